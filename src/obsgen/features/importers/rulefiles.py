"""Reading Prometheus rule files for `obsgen import rules`: rule files and PrometheusRule resources
read with positions into groups and rules (what was read, checked as Prometheus would), the project
imported into, and the metric catalog the expressions imply."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import promql_parser as p
from ruamel.yaml.comments import CommentedMap

from obsgen.api import discover, load_project
from obsgen.check.lint import Catalog
from obsgen.core import naming
from obsgen.core.diagnostics import Pos, Severity, has_errors
from obsgen.features.importers.common import Ctx, Node, Val, display, read_documents
from obsgen.load.yaml import load_text
from obsgen.resolve.slo import rule_groups

DEFAULT_TEAM = "imported"
METRICS_SERVICE = "imported-metrics"
K8S_API = "monitoring.coreos.com/v1"
K8S_KIND = "PrometheusRule"
GROUP_KEYS = ("name", "interval", "limit", "query_offset", "labels", "rules")
# Group settings and the Prometheus version that added them (global.prometheus_version gates them).
GROUP_SINCE = {"query_offset": "2.53", "labels": "3.0"}
RULE_KEYS = ("alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations")
# Group settings of newer Prometheus versions and of Thanos that obsgen's rule_group does not have.
GROUP_SETTINGS_NOT_IN_OBSGEN = {
    "partial_response_strategy": "a Thanos Ruler setting: obsgen writes Prometheus rule files, so it is left out "
                                 "(Thanos Ruler then uses its default, abort)",
}
DEFAULT_SEVERITY = "warning"
FIELD_ANNOTATIONS = ("summary", "description", "runbook_url")
_URL = re.compile(r"^https?://")
_PLAIN_TOKEN = re.compile(r"[^\s,\]}#]+")




# ----------------------------------------------------------------------------- what was read

@dataclass
class RawRule:
    kind: str  # "alert" or "record"
    name: Val
    expr: Val
    file: str
    for_: Val | None = None
    keep_firing_for: Val | None = None
    labels: dict[str, Val] = field(default_factory=dict)
    annotations: dict[str, Val] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{'alert' if self.kind == 'alert' else 'recording rule'} {self.name.value}"


@dataclass
class RawGroup:
    name: Val
    file: str
    pos: Pos
    interval: Val | None = None
    limit: int | None = None
    rules: list[RawRule] = field(default_factory=list)
    written: int = 0  # rules in the input, read or not
    query_offset: Val | None = None
    labels: dict[str, Val] = field(default_factory=dict)


@dataclass
class Expected:
    """A rule as obsgen should write it back, in the terms the round-trip check compares."""

    rule: RawRule
    fields: dict


def _seconds(v: Val | str | None) -> float:
    text = v.value if isinstance(v, Val) else v
    return 0 if not text or text == "0" else naming.duration_seconds(text)


def rule_fields(expr: str, for_: str | None, keep: str | None, labels: dict, annotations: dict) -> dict:
    """What makes two rules the same: Prometheus reads `for: 0s` as no `for`, and ignores the
    whitespace around an expression."""
    return {"expr": expr.strip(), "for": _seconds(for_), "keep_firing_for": _seconds(keep),
            "labels": dict(sorted(labels.items())), "annotations": dict(sorted(annotations.items()))}


# ----------------------------------------------------------------------------- reading

class Reader:
    """Turns the documents of all input files into RawGroups, reporting what is not a rule file."""

    def __init__(self, ctx: Ctx):
        self.ctx = ctx
        self.groups: list[RawGroup] = []
        self.files: list[str] = []
        self.notes: list[str] = []
        self._lines: dict[str, list[str]] = {}

    def file(self, path: Path, shown: str) -> None:
        self.files.append(shown)
        trees, diags = read_documents(path, shown)
        self.ctx.diags += diags
        try:
            self._lines[shown] = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
        except OSError:
            self._lines[shown] = []
        if not trees and not has_errors(diags):
            self.ctx.invalid("not a Prometheus rule file: the top level should be a mapping with `groups`",
                             Pos(shown, 1, 1))
        for tree in trees:
            self.document(Node(tree, "", self.ctx), shown)

    def document(self, doc: Node, shown: str) -> None:
        api, kind = doc.m.get("apiVersion"), doc.m.get("kind")
        if "groups" in doc and api is None and kind is None:
            doc.only(("groups",))
            self.groups_of(doc, shown, {})
        elif api == K8S_API and kind == K8S_KIND:
            doc.only(("apiVersion", "kind", "metadata", "spec", "status"))
            meta = doc.map("metadata")
            what = "/".join(str(meta.m[k]) for k in ("namespace", "name") if meta and isinstance(meta.m.get(k), str))
            if meta is not None:
                self.note(f"{meta.pos}: the metadata of {K8S_KIND} {what or '(no name)'} (its name, namespace and "
                          f"labels, which rule selectors match) is not imported: obsgen writes plain rule files")
            spec = doc.map("spec", required=True)
            if spec is not None:
                spec.only(("groups",))
                self.groups_of(spec, shown, {})
        elif api == "v1" and kind == "List":
            doc.only(("apiVersion", "kind", "metadata", "items"))
            for item in doc.items("items"):
                self.document(item, shown)
        elif kind == K8S_KIND or api == K8S_API:
            where = doc.val_pos("kind") if "kind" in doc else doc.pos
            self.ctx.invalid(f"apiVersion {api!r} and kind {kind!r}: not a rule resource obsgen reads", where,
                             hint=f"obsgen imports apiVersion {K8S_API}, kind {K8S_KIND}")
        else:
            self.ctx.invalid("not a Prometheus rule file", doc.pos,
                             hint=f"a rule file has a top-level `groups:` list; a Kubernetes resource needs "
                                  f"`apiVersion: {K8S_API}` and `kind: {K8S_KIND}`")

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def groups_of(self, node: Node, shown: str, in_unit: dict[str, RawGroup]) -> None:
        """The groups of one rule file or resource: Prometheus wants their names unique there (and
        only there: groups of one name in two files are two groups, each its own service)."""
        for g in node.items("groups", required=True):
            group = self.group(g, shown)
            if group is None:
                continue
            name = str(group.name.value)
            first = in_unit.get(name)
            if first is not None:
                self.ctx.invalid(f"{group.name.path}: group {name!r} is already defined at {first.name.pos}; "
                                 f"Prometheus refuses two groups of one name in a file", group.name.pos)
            else:
                in_unit[name] = group
                self.groups.append(group)

    def group(self, g: Node, shown: str) -> RawGroup | None:
        ctx = self.ctx
        g.only(GROUP_KEYS + tuple(GROUP_SETTINGS_NOT_IN_OBSGEN))
        for key, why in GROUP_SETTINGS_NOT_IN_OBSGEN.items():
            if key in g:
                ctx.approximate(f"{g.where(key)}: {why}", g.key_pos(key))
        name = self.text(g, "name", required=True)
        if name is not None and not name.value:
            ctx.invalid(f"{name.path}: a rule group needs a name", name.pos)
            name = None
        interval = self.duration(g, "interval")
        limit = g.m.get("limit")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            ctx.invalid(f"{g.where('limit')}: should be a whole number, 0 or more", g.val_pos("limit"))
            limit = None
        offset = self.duration(g, "query_offset")
        labels = self.texts(g, "labels")
        self._label_names(labels)
        items = g.items("rules")
        rules = [self.rule(r, shown) for r in items]
        if name is None:
            return None
        if interval is not None and _seconds(interval) == 0:
            interval = None  # Prometheus reads 0 as "the global interval", as obsgen does with none
        # A group label obsgen routes by (severity, team...) is the alert's own where the alert has
        # none: obsgen writes those on each rule, where a group label would be overridden.
        for rule in (r for r in rules if r is not None and r.kind == "alert"):
            for key in naming.ALERT_LABELS:
                if key in labels and key not in rule.labels:
                    rule.labels[key] = labels[key]
        return RawGroup(name, shown, g.pos, interval, limit, [r for r in rules if r is not None], len(items),
                        offset, labels)

    def rule(self, r: Node, shown: str) -> RawRule | None:
        """The rule, or None if it has errors (then nothing is imported, and a half-read rule would
        only add misleading warnings)."""
        errors = sum(d.severity.value == "error" for d in self.ctx.diags)
        rule = self._rule(r, shown)
        return rule if sum(d.severity.value == "error" for d in self.ctx.diags) == errors else None

    def _rule(self, r: Node, shown: str) -> RawRule | None:
        ctx = self.ctx
        r.only(RULE_KEYS)
        alert, record = self.text(r, "alert"), self.text(r, "record")
        expr = self.text(r, "expr", required=True)
        if expr is not None and not expr.value.strip():
            ctx.invalid(f"{expr.path}: empty expression", expr.pos)
            expr = None
        if (alert is None) == (record is None):
            ctx.invalid(f"{r.path}: a rule has either `alert` or `record`"
                        + (", not both" if alert is not None else ""), r.pos)
            return None
        name = alert or record
        if not name.value:
            ctx.invalid(f"{name.path}: empty name", name.pos)
            return None
        labels = self.texts(r, "labels")
        if record is not None:
            for key in ("for", "keep_firing_for", "annotations"):
                if key in r:
                    ctx.invalid(f"{r.where(key)}: a recording rule has no `{key}`", r.key_pos(key))
            if not naming.METRIC_RE.fullmatch(record.value):
                ctx.cannot(f"{record.path}: {record.value!r} is not a metric name obsgen can record", record.pos,
                           hint="recorded names are letters, digits, underscores and colons (level:metric:op)")
                return None
            if expr is None:
                return None
            self._label_names(labels)
            return RawRule("record", record, expr, shown, labels=labels)
        if not naming.ALERT_RE.fullmatch(alert.value):
            suggestion = "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", alert.value))
            suggestion = suggestion if naming.ALERT_RE.fullmatch(suggestion) else None
            ctx.cannot(f"{alert.path}: {alert.value!r} is not an alert name obsgen can use", alert.pos,
                       hint="an alert name is text without control characters or surrounding spaces"
                            + (f"; rename it, e.g. `{suggestion}`" if suggestion else ""))
            return None
        for_, keep = self.duration(r, "for"), self.duration(r, "keep_firing_for")
        annotations = self.texts(r, "annotations")
        self._label_names(labels)
        self._label_names(annotations, "annotation")
        if expr is None:
            return None
        return RawRule("alert", alert, expr, shown, for_, keep, labels, annotations)

    def _label_names(self, items: dict[str, Val], what: str = "label") -> None:
        for key, v in list(items.items()):
            if not naming.LABEL_RE.fullmatch(key) or key.startswith("__"):
                self.ctx.cannot(f"{v.path}: {key!r} is not a {what} name obsgen can write", v.key_pos,
                                hint="letters, digits and underscores, not starting with a digit or __")
                del items[key]

    # -- typed values

    def text(self, node: Node, key: str, required: bool = False) -> Val | None:
        """A string. A plain number or boolean is taken as written: Prometheus reads its text."""
        value = node.m.get(key)
        if value is None:
            if required:
                self.ctx.invalid(f"{node.where(key)}: required", node.key_pos(key) if key in node else node.pos)
            return None
        pos = node.val_pos(key)
        if isinstance(value, (bool, int, float)):
            value = self._token(pos, value)
        elif not isinstance(value, str):
            self.ctx.invalid(f"{node.where(key)}: should be a string", pos)
            return None
        return Val(value, pos, node.key_pos(key), node.where(key))

    def texts(self, node: Node, key: str) -> dict[str, Val]:
        """Labels or annotations: a mapping of strings."""
        m = node.map(key)
        if m is None:
            return {}
        out = {}
        for k in m.m:
            if m.m[k] is None:
                self.ctx.invalid(f"{m.where(str(k))}: should be a string, not empty", m.val_pos(str(k)),
                                 hint='write "" for an empty value, or remove it')
                continue
            v = self.text(m, str(k))
            if v is not None:
                out[str(k)] = v
        return out

    def duration(self, node: Node, key: str) -> Val | None:
        v = self.text(node, key)
        if v is None:
            return None
        if v.value != "0":
            try:
                naming.duration_seconds(v.value)
            except ValueError as exc:
                self.ctx.invalid(f"{v.path}: {exc}", v.pos)
                return None
        return v

    def _token(self, pos: Pos, value) -> str:
        lines = self._lines.get(pos.file, [])
        if 0 < pos.line <= len(lines):
            m = _PLAIN_TOKEN.match(lines[pos.line - 1], pos.col - 1)
            if m:
                return m.group(0)
        return str(value).lower() if isinstance(value, bool) else str(value)


# ----------------------------------------------------------------------------- the project imported into

IMPORTED_NAME = "<imported spec>"  # the result's name when it is validated with the project


@dataclass(frozen=True)
class Host:
    """What the obsgen project an import goes into already has."""

    shown: tuple[str, ...]  # its paths, as given
    texts: dict[str, str]  # its spec files, to validate the result together with them
    teams: frozenset[str]
    services: frozenset[str]
    groups: dict[str, str]  # rule group name -> what writes it
    routing: bool  # whether a file of it has a routing section (which only one file may have)
    severities: frozenset[str]  # the severities and categories its routing defines (in every environment)
    categories: frozenset[str]
    provides: Callable[[str], bool]  # whether a series name is accounted for in every environment


def read_host(paths: list[Path], ctx: Ctx) -> Host | None:
    """The project at `paths`, or None (its errors reported) when it does not validate."""
    project = load_project(paths)
    errors = [d for d in project.diagnostics if d.severity is Severity.ERROR]
    if errors or not project.models:
        ctx.diags += errors
        return None
    files, _ = discover(paths)
    texts = {display(f): f.read_bytes().decode("utf-8-sig") for f, _ in files}
    groups: dict[str, str] = {}
    for model in project.models:
        for s in model.services:
            groups.setdefault(s.rule_group.name or s.name, f"service {s.name!r}")
        for g in rule_groups(model.slos):
            groups.setdefault(g["name"], "an SLO of the project")
    catalogs = [Catalog(m) for m in project.models]

    def provides(name: str) -> bool:
        # A histogram's bare name is no series, but the project has it: cataloging it as a gauge
        # would hide the mistake that validate reports (OBS050, "is a histogram").
        return all(c.lookup(name) is not None or getattr(c.exact.get(f"{name}_bucket"), "kind", None) == "bucket"
                   for c in catalogs)

    return Host(shown=tuple(display(p) for p in paths), texts=texts,
                teams=frozenset(t for m in project.models for t in m.teams),
                services=frozenset(s.name for m in project.models for s in m.services),
                groups=groups, routing=any("routing" in (load_text(t, n)[0] or {}) for n, t in texts.items()),
                severities=frozenset.intersection(*(frozenset(m.spec.routing.severity_names) for m in project.models)),
                categories=frozenset.intersection(*(frozenset(m.spec.routing.category_names)
                                                     for m in project.models)),
                provides=provides)


# ----------------------------------------------------------------------------- metric catalog

# Labels Prometheus puts on every scraped series: they belong to the target, not to a metric.
TARGET_LABELS = frozenset({"job", "instance"})


@dataclass
class Use:
    order: int  # first read by the n-th rule of the import
    first: str  # that rule, for the help text
    labels: set[str] = field(default_factory=set)


def selectors(expr) -> list[tuple[str, set[str]]]:
    """(metric name, label names the query relies on) for every named series selector: its
    matchers, and the labels of the by/without/on/ignoring/group_x clauses above it."""
    out: list[tuple[str, set[str]]] = []

    def visit(e, labels: frozenset) -> None:
        if isinstance(e, p.VectorSelector):
            matchers = list(e.matchers.matchers) + [m for ors in (e.matchers.or_matchers or []) for m in ors]
            name = e.name or next((m.value for m in matchers if m.name == "__name__"
                                   and m.op == p.MatchOp.Equal), None)
            if name:
                out.append((name, {m.name for m in matchers if m.name != "__name__"} | labels))
        elif isinstance(e, p.MatrixSelector):
            visit(e.vector_selector, labels)
        elif isinstance(e, p.AggregateExpr):
            inner = labels | set(e.modifier.labels) if e.modifier else labels
            visit(e.expr, inner)
            if e.param is not None:
                visit(e.param, labels)
        elif isinstance(e, p.BinaryExpr):
            mod = e.modifier
            inner = labels
            if mod is not None:
                inner = inner | set(mod.matching.labels if mod.matching else ()) | set(mod.group_labels or ())
            visit(e.lhs, inner)
            visit(e.rhs, inner)
        elif isinstance(e, p.Call):
            sources = {"label_replace": slice(3, 4), "label_join": slice(3, None)}.get(e.func.name)
            read = {a.val for a in e.args[sources] if isinstance(a, p.StringLiteral)} if sources else set()
            for arg in e.args:
                visit(arg, labels | read)
        elif isinstance(e, (p.ParenExpr, p.UnaryExpr, p.SubqueryExpr)):
            visit(e.expr, labels)

    visit(expr, frozenset())
    return out


def catalog(uses: dict[str, Use]) -> list[CommentedMap]:
    """Catalog entries for the metrics read, by name: histograms for `_bucket` series (with their
    `_sum` and `_count`), summaries for `_sum`/`_count` without buckets or for a `quantile` label,
    counters for `_total`, gauges otherwise."""
    names = set(uses)
    groups: dict[str, tuple[str, list[str], str]] = {}  # catalog name -> (type, series, why)
    for n in sorted(names):
        if n.endswith("_bucket") and len(n) > len("_bucket"):
            base = n[: -len("_bucket")]
            series = [s for s in (n, f"{base}_sum", f"{base}_count") if s in names]
            groups[base] = ("histogram", series, "its _bucket series is read")
    taken = {s for _, series, _ in groups.values() for s in series}
    for n in sorted(names - taken):
        base = next((n[: -len(suffix)] for suffix in ("_sum", "_count") if n.endswith(suffix) and len(n) > len(suffix)),
                    n if "quantile" in uses[n].labels else None)
        if base is not None and base not in groups:
            series = [s for s in (base, f"{base}_sum", f"{base}_count") if s in names - taken]
            groups[base] = ("summary", series, "a quantile label or only _sum/_count series are read; "
                                               "it may be a histogram")
            taken |= set(series)
    for n in sorted(names - taken - set(groups)):  # (a bare name that is also a histogram's is left out)
        groups[n] = ("counter", [n], "the name ends in _total") if n.endswith("_total") else (
            "gauge", [n], "no naming convention says otherwise")
    out = []
    for name in sorted(groups):
        kind, series, why = groups[name]
        implied = {"histogram": {"le"}, "summary": {"quantile"}}.get(kind, set())
        labels = set().union(*(uses[s].labels for s in series)) - TARGET_LABELS - implied
        labels = sorted(x for x in labels if naming.LABEL_RE.fullmatch(x) and not x.startswith("__"))
        first = min((uses[s] for s in series), key=lambda u: u.order).first
        m = CommentedMap(name=name, type=kind)
        m["help"] = f"inferred by obsgen import rules from {first}; check the type ({kind}: {why})"
        if labels:
            m["labels"] = labels
        m["inferred"] = True
        m.yaml_add_eol_comment("inferred from the name: check it", "type")
        out.append(m)
    return out
