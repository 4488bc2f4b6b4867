"""Prometheus rule files -> an obsgen spec (`obsgen import rules FILE...`).

Reads plain rule files (`groups:`), Kubernetes `PrometheusRule` resources (monitoring.coreos.com/v1,
groups under `spec.groups`) and `kind: List` documents holding them, several documents per file if
need be. Field by field:

    group                    -> a service named after the group (a DNS label, made unique), or
                                after the `service` label all its alerts share; rule_group.name,
                                interval, limit, query_offset and labels copied (the last two raise
                                global.prometheus_version to 2.53 / 3.0); rule_group.alert_labels
                                lists only the labels the rules had, so that obsgen adds nothing.
                                Group names are scoped per file, as in Prometheus
    alert, expr, for, keep_firing_for -> an alert's own (any name: Prometheus takes any text)
        label severity       -> severity; one obsgen lacks is defined in routing.severities
                                (common.Vocabulary); missing, or not a name: the nearest, OBS042
        label team           -> the alert's team; the service's when all alerts of the group agree
        label category       -> category; one obsgen lacks is defined in routing.categories
        label service        -> the service's name, when all alerts of the group share it
        other labels         -> labels
        annotations summary, description, runbook_url -> those fields; the others -> annotations
    record, expr, labels     -> a recording rule
    metrics the expressions read, that no imported rule records -> the catalog of the service
        `imported-metrics`; types are guessed from the names and marked as such

Round trip: building the result writes back the same groups and rules (names, expressions, `for`,
`keep_firing_for`, labels, annotations, group interval and limit), except what a warning (OBS042)
names at the rule. Within a group obsgen writes recording rules first, then alerts by name; the
header notes the groups whose order changes. The importer builds its own result and compares it
with the input, so a difference it did not foresee is an error, never a silent change.

Into a project (`into`: an obsgen project's spec files or folders, which must validate without
errors, else they are reported and nothing is imported): the result is written to be validated
together with that project. Teams the project defines are used, not defined again; routing is left
to the project when it has any; service names avoid the project's services, and a group whose name
a project rule group has gets a new one (OBS042); the catalog leaves out every series the project
accounts for, by lint's own reckoning (lint.Catalog: catalogs, recording rules, SLO rules,
exporters, Prometheus's own series), in every environment.

Without inference (`infer=False`) there is no `imported-metrics` service: the metrics nothing
provides stay unknown, so `obsgen validate` names them (OBS050) at the rules that read them.

Input that is not a rule file (unknown keys, wrong types, two groups of one name in a file) is
OBS041; valid input that obsgen's spec cannot hold (label and recorded names obsgen refuses) is
OBS040. An empty rule file is a warning, and a Thanos group's partial_response_strategy is left out
with one. An expression that does not parse
is imported as written, with a warning (OBS030): Prometheus refuses such a file too, and
`obsgen validate` then shows the error in its new home.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from obsgen.api import load_texts
from obsgen.check.expressions import promql_error, template_error
from obsgen.core import naming
from obsgen.core.diagnostics import Diagnostic, Pos, error, has_errors, normalise, warning
from obsgen.core.promql import parse as parse_promql
from obsgen.core.serialise import to_commented_yaml
from obsgen.features.importers.common import Ctx, Val, Vocabulary, check_name, input_files
from obsgen.features.importers.rulefiles import (
    _URL,
    DEFAULT_SEVERITY,
    DEFAULT_TEAM,
    FIELD_ANNOTATIONS,
    GROUP_SINCE,
    IMPORTED_NAME,
    METRICS_SERVICE,
    Expected,
    Host,
    RawGroup,
    RawRule,
    Reader,
    Use,
    _seconds,
    catalog,
    read_host,
    rule_fields,
    selectors,
)
from obsgen.resolve.model import Model
from obsgen.spec import ProjectSpec
from obsgen.spec.global_ import GlobalSpec
from obsgen.spec.scraping import version_of
from obsgen.targets.rules import RulesTarget

# ----------------------------------------------------------------------------- building the spec

# global.prometheus_version's default: a newer one is written only when needed
PROMETHEUS_DEFAULT = GlobalSpec.model_fields["prometheus_version"].default


def _slug(name: str) -> str:
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()  # NodeExporter -> node-exporter
    s = re.sub(r"[^a-z0-9]+", "-", words).strip("-")[:63].rstrip("-") or "rules"
    return f"{s}-rules" if s in naming.RESERVED_NAMES else s


def _unique(base: str, taken: set[str], limit: int | None = 63) -> str:
    """`base`, else `base-2`, `base-3`, ... (cut to fit `limit` characters) that is not taken."""
    name, n = base, 1
    while name in taken:
        n += 1
        stem = base if limit is None else base[:limit - len(str(n)) - 1].rstrip("-")
        name = f"{stem}-{n}"
    return name


def _change(key: str, before: str | None, after: str | None, what: str) -> str:
    if before is None:
        return f"gets the {what} {key}={after!r}"
    if after is None:
        return f"loses the {what} {key}={before!r}"
    return f"has {what} {key}={after!r}, not {before!r}"


@dataclass
class Placement:
    """Where a group's rules go: the service, its team, and the labels obsgen adds to its alerts."""

    group: RawGroup
    service: str
    team: str
    added: list[str]
    name: str  # the group's name in obsgen: its own, unless the project has a group of that name
    wanted: str | None = None  # the service label all its alerts share, when it can name a service
    expected: dict = field(default_factory=dict)  # rule key -> Expected

    def key(self, rule: RawRule) -> tuple:
        """(kind, name, n-th of that name in the group): recording rules may share a name."""
        return rule.kind, rule.name.value, sum(1 for k in self.expected if k[:2] == (rule.kind, rule.name.value))


class Builder:
    """Places groups into services and alerts' routing labels into obsgen's fields, writes the
    spec, and checks it by building it."""

    def __init__(self, ctx: Ctx, reader: Reader, default_team: str, host: Host | None = None,
                 infer: bool = True):
        self.ctx, self.reader, self.default_team, self.host, self.infer = ctx, reader, default_team, host, infer
        services = set(host.services) if host else set()
        # The metrics service has no rule_group.name: its name is a group name too.
        self.metrics_service = _unique(METRICS_SERVICE, services | set(host.groups if host else ()))
        self.taken: set[str] = {*services, self.metrics_service}
        self.teams: set[str] = {default_team}
        self.placements: list[Placement] = []
        self.reordered: list[str] = []
        self.renamed: set[str] = set()
        self.prometheus_version, self.version_why = PROMETHEUS_DEFAULT, ""
        self.vocab = Vocabulary(ctx, not (host and host.routing), *((host.severities, host.categories) if host else ()))

    def service_name(self, group: RawGroup, wanted: str | None) -> str:
        name = wanted if wanted is not None and wanted not in self.taken else _unique(_slug(str(group.name.value)),
                                                                                     self.taken)
        self.taken.add(name)
        return name

    def group_name(self, group: RawGroup) -> str:
        """The group's own name, unless the project writes a group of that name."""
        name = str(group.name.value)
        owner = self.host.groups.get(name) if self.host else None
        if owner is None:
            return name
        taken = set(self.host.groups) | {str(g.name.value) for g in self.reader.groups} | self.renamed
        new = _unique(f"{name}-imported", taken, limit=None)
        self.renamed.add(new)
        self.ctx.approximate(f"group {name!r} is imported as group {new!r}: {owner} of the project writes a rule "
                             f"group named {name!r}", group.name.pos)
        return new

    @staticmethod
    def team_of(v: Val) -> str:
        """An obsgen team for a `team` label: the value itself when it is a valid name."""
        try:
            return naming.check_name(v.value)
        except naming.NameNotAllowed:
            return _slug(v.value)

    def category_of(self, a: RawRule) -> str | None:
        v = a.labels.get("category")
        return self.vocab.category(v) if v is not None else None

    def place(self, group: RawGroup) -> Placement:
        """The service takes the `service` label every alert shares, or else the group's name; the
        team every alert names, or else the default; obsgen adds a routing label to a group's
        alerts when any of them had it."""
        alerts = [r for r in group.rules if r.kind == "alert"]
        services = {a.labels["service"].value if "service" in a.labels else None for a in alerts}
        wanted = services.pop() if len(services) == 1 else None
        if wanted is not None and (not naming.NAME_RE.fullmatch(wanted) or wanted in naming.RESERVED_NAMES):
            wanted = None
        name = self.service_name(group, wanted)
        teams = [self.team_of(a.labels["team"]) for a in alerts if "team" in a.labels]
        team = teams[0] if len(teams) == len(alerts) and len(set(teams)) == 1 else self.default_team
        added = [label for label, used in (("team", bool(teams)),
                                           ("category", any(self.category_of(a) for a in alerts)),
                                           ("service", name == wanted)) if used]
        return Placement(group, name, team, added, self.group_name(group), wanted)

    def service(self, group: RawGroup) -> dict | None:
        ctx = self.ctx
        if not group.rules:
            if not group.written:  # (a group whose rules all have errors is reported already)
                ctx.approximate(f"group {group.name.value!r} has no rules: obsgen writes no empty groups, so it is "
                                f"not imported", group.name.pos)
            return None
        alerts = [r for r in group.rules if r.kind == "alert"]
        records = [r for r in group.rules if r.kind == "record"]
        where = self.place(group)
        self.placements.append(where)
        self.teams.add(where.team)
        rule_group: dict = {"name": where.name}
        if group.interval is not None:
            rule_group["interval"] = group.interval.value
        if group.limit is not None:
            rule_group["limit"] = group.limit
        if group.query_offset is not None:
            rule_group["query_offset"] = "0s" if group.query_offset.value == "0" else group.query_offset.value
        if group.labels:
            rule_group["labels"] = {k: v.value for k, v in group.labels.items()}
        for key, since in GROUP_SINCE.items():
            if key in rule_group and version_of(since) > version_of(self.prometheus_version):
                self.prometheus_version = since
                self.version_why = f"rule group {group.name.value!r} has {key}"
        rule_group["alert_labels"] = where.added
        out: dict = {"name": where.service, "team": where.team, "rule_group": rule_group}
        if records:
            out["recording_rules"] = [self.record(r, where) for r in records]
        if alerts:
            out["alerts"] = [self.alert(a, where) for a in alerts]
        if [r.name.value for r in group.rules] != [r.name.value for r in records] + sorted(a.name.value for a in alerts):
            self.reordered.append(str(group.name.value))
        return out

    def record(self, r: RawRule, where: Placement) -> dict:
        labels = {k: v.value for k, v in r.labels.items()}
        spec: dict = {"record": r.name.value, "expr": r.expr.value.strip()}
        if labels:
            spec["labels"] = labels
        self._parses(r)
        where.expected[where.key(r)] = Expected(r, rule_fields(r.expr.value, None, None, labels, {}))
        return spec

    def alert(self, a: RawRule, where: Placement) -> dict:
        spec: dict = {"name": a.name.value, "expr": a.expr.value.strip()}
        for key, v in (("for", a.for_), ("keep_firing_for", a.keep_firing_for)):
            if v is not None:
                spec[key] = "0s" if v.value == "0" else v.value
        severity = a.labels.get("severity")
        spec["severity"] = self.vocab.severity(severity, warn=False) if severity is not None else DEFAULT_SEVERITY
        category = self.category_of(a)
        if category is not None:
            spec["category"] = category
        team = self.team_of(a.labels["team"]) if "team" in a.labels else where.team
        if team != where.team:
            spec["team"] = team
            self.teams.add(team)
        for key in FIELD_ANNOTATIONS:
            v = a.annotations.get(key)
            if v is not None and v.value and (key != "runbook_url" or _URL.match(v.value)):
                spec[key] = v.value
        labels = {k: v.value for k, v in a.labels.items() if k not in naming.ALERT_LABELS}
        if labels:
            spec["labels"] = labels
        annotations = {k: v.value for k, v in a.annotations.items() if k not in FIELD_ANNOTATIONS}
        if annotations:
            spec["annotations"] = annotations
        # What obsgen will write, by the rules of model.Alert.labels and .annotations.
        own = {"severity": spec["severity"], "team": team, "category": category, "service": where.service}
        rebuilt_labels = {**labels, **{k: v for k, v in own.items()
                                       if (k == "severity" or k in where.added) and v is not None}}
        rebuilt_annotations = {**annotations, **{k: spec[k] for k in FIELD_ANNOTATIONS if k in spec}}
        self.report_changes(a, where, rebuilt_labels, rebuilt_annotations)
        self._parses(a)
        where.expected[where.key(a)] = Expected(a, rule_fields(
            a.expr.value, a.for_.value if a.for_ else None, a.keep_firing_for.value if a.keep_firing_for else None,
            rebuilt_labels, rebuilt_annotations))
        return spec

    def report_changes(self, a: RawRule, where: Placement, labels: dict, annotations: dict) -> None:
        """A warning at each label or annotation the rebuilt alert has differently, saying why."""
        whose = "the project's" if self.host and where.wanted in self.host.services else "another imported"
        why = {
            "severity": self.vocab.why(a.labels["severity"].value) if "severity" in a.labels
            else "obsgen gives every alert a severity",
            "category": self.vocab.why(a.labels["category"].value, "categories") if "category" in a.labels else "",
            "team": "team names are lowercase DNS labels" if "team" in a.labels
            else "other alerts of the group have a team label, and obsgen sets it on all or none",
            "service": "obsgen sets it from the service name, and the alerts of this group do not all share one "
                       "service label that can name the service" if where.wanted in (None, where.service)
            else f"{whose} service is named {where.wanted!r}, so the group is imported as service "
                 f"{where.service!r}; move its alerts to that service to keep the label",
            "runbook_url": "obsgen's runbook_url is an http(s) URL",
        }
        changes = []
        for what, given, after in (("label", a.labels, labels), ("annotation", a.annotations, annotations)):
            before = {k: v.value for k, v in given.items()}
            for key in sorted(set(before) | set(after)):
                if before.get(key) != after.get(key):
                    reason = "obsgen leaves out empty annotations" if before.get(key) == "" else why[key]
                    changes.append((given[key].pos if key in given else a.name.pos,
                                    f"{_change(key, before.get(key), after.get(key), what)} ({reason})"))
        for pos, change in sorted(changes):
            self.ctx.approximate(f"group {where.group.name.value!r}, alert {a.name.value}: the rebuilt rule "
                                 f"{change}", pos)

    def _parses(self, r: RawRule) -> None:
        problem = promql_error(r.expr.value)
        if problem:
            self.ctx.diags.append(warning(
                "OBS030", f"{r.title}: expr is not valid PromQL ({problem}); imported as written",
                r.expr.pos, hint="Prometheus refuses this rule too; fix it in the imported spec, where "
                                 "`obsgen validate` reports it"))
        for what, items in (("label", r.labels), ("annotation", r.annotations)):
            for key, v in items.items():
                bad = template_error(v.value)
                if bad:
                    self.ctx.diags.append(warning("OBS031", f"{r.title}: {what} {key}: {bad}; imported as written",
                                                  v.pos))

    # -- the whole spec

    def metrics(self, groups: list[RawGroup]) -> list[CommentedMap]:
        if not self.infer:
            return []
        provided = self.host.provides if self.host else (lambda name: False)
        recorded = {r.name.value for g in groups for r in g.rules if r.kind == "record"}
        uses: dict[str, Use] = {}
        rules = [r for g in groups for r in g.rules]
        for i, r in enumerate(rules):
            try:
                tree = parse_promql(r.expr.value)
            except (ValueError, TypeError):
                continue  # reported with OBS030; its metrics are not cataloged
            for name, labels in selectors(tree):
                if (name in recorded or name in naming.PROMETHEUS_SERIES or not naming.METRIC_RE.fullmatch(name)
                        or provided(name)):
                    continue
                use = uses.setdefault(name, Use(i, f"{r.title} in {Path(r.file).name}"))
                use.labels |= labels
        return catalog(uses)

    def render(self, groups: list[RawGroup]) -> str | None:
        ctx = self.ctx
        services = [s for s in (self.service(g) for g in groups) if s is not None]
        if not services and not has_errors(ctx.diags):  # an empty rule file is valid: Prometheus loads it
            ctx.approximate("found no rules to import: the spec has no services",
                            Pos(self.reader.files[0] if self.reader.files else "<no input>"))
        metrics = self.metrics(groups)
        seq = CommentedSeq(sorted(services, key=lambda s: s["name"]))
        if metrics:
            seq.append({"name": self.metrics_service, "team": self.default_team,
                        "description": "Metrics the imported rules read, inferred from their expressions. Nothing "
                                       "scrapes this service: move each metric to the service that exports it.",
                        "metrics": metrics})
            seq.yaml_set_comment_before_after_key(
                len(seq) - 1, indent=2, before="Inferred from the rules' expressions, types guessed from the names: "
                                               "check them.")
        if has_errors(ctx.diags):
            return None
        host = self.host
        teams = sorted(self.teams - host.teams) if host else sorted(self.teams)
        doc: dict = {"apiVersion": naming.API_VERSION}
        if teams:
            doc["teams"] = [{"name": t} for t in teams]
        doc["services"] = seq
        if not (host and host.routing):
            doc["routing"] = {"default_team": self.default_team, **self.vocab.routing()}
        if self.prometheus_version != PROMETHEUS_DEFAULT and not host:
            doc["global"] = {"prometheus_version": self.prometheus_version}
            ctx.note(f"global.prometheus_version: {self.prometheus_version}, as {self.version_why}")
        header = [f"Imported by obsgen from Prometheus rule files: {', '.join(self.reader.files)}."]
        if host:
            where = " ".join(host.shown)
            uses = "teams, routing and metrics" if host.routing else "teams and metrics"
            header += [f"Written for the obsgen project in {where}, whose {uses} it uses:",
                       f"keep it with the project and validate them together (obsgen validate {where} THIS_FILE).",
                       "It replaces the rule files as the source of truth."]
        else:
            header += ["Review it, then keep it with your obsgen specs: it replaces those files as the source of "
                       "truth."]
        if not self.infer:
            header += ["No metric catalog was inferred: `obsgen validate` reports each metric that nothing provides "
                       "(OBS050)."]
        notes = list(self.reader.notes)
        if self.reordered:
            notes.append(f"rule order: obsgen writes a group's recording rules first (in their order), then its "
                         f"alerts sorted by name; this changes the order in {', '.join(map(repr, self.reordered))}")
        notes += ctx.notes
        if notes:
            header += ["", "Notes:"] + [f"- {n}" for n in notes]
        text = to_commented_yaml(doc, "\n".join(header))
        self.self_check(text, doc)
        return None if has_errors(ctx.diags) else text

    def self_check(self, text: str, doc: dict) -> None:
        """The spec must validate and build back the rules as foreseen; a miss is reported at the rule."""
        ignored = {"OBS030", "OBS031"}  # the input's own expressions and templates, reported above
        texts = {**(self.host.texts if self.host else {}), IMPORTED_NAME: text}
        problems = [d for d in load_texts(texts).diagnostics
                    if d.severity.value == "error" and d.code not in ignored and d.code < "OBS050"]
        with_project = " with the project" if self.host else ""
        for d in problems:
            pos = d.pos if self.host and d.pos.file in self.host.texts else Pos(IMPORTED_NAME, d.pos.line, d.pos.col)
            self.ctx.diags.append(error(d.code, f"the imported spec does not validate{with_project}: {d.message}",
                                        pos, d.hint))
        if problems:
            return
        for pos, what in compare(self.placements, rebuild(doc)):
            self.ctx.cannot(f"obsgen cannot rebuild {what}", pos, hint="an importer bug: please report it with this rule")


def rebuild(doc: dict) -> dict[tuple[str, str], dict]:
    """The rule groups obsgen writes for the imported spec, by (rule file, group name)."""
    model = Model(env="import", sources=(), spec=ProjectSpec.model_validate(
        {k: v for k, v in doc.items() if k != "apiVersion"}))
    yaml = YAML(typ="safe", pure=True)
    return {(art.path, g["name"]): g for art in RulesTarget(tests=False).generate(model)
            for g in yaml.load(art.content)["groups"]}


def compare(placements: list[Placement], built: dict[tuple[str, str], dict]) -> list[tuple[Pos, str]]:
    """(where, what) for every way the rebuilt groups differ from what the import foresaw."""
    out = []
    for where in placements:
        group = where.group
        title = f"group {group.name.value!r}"
        got = built.get((naming.rules_file(where.service), where.name))
        if got is None:
            out.append((group.name.pos, title))
            continue
        if (_seconds(got.get("interval")) != _seconds(group.interval) or got.get("limit") != group.limit
                or _seconds(got.get("query_offset")) != _seconds(group.query_offset)
                or got.get("labels", {}) != {k: v.value for k, v in group.labels.items()}):
            out.append((group.name.pos, f"the interval, limit, query_offset and labels of {title} exactly"))
        found: dict[tuple, dict] = {}
        for rule in got.get("rules", []):
            kind = "alert" if "alert" in rule else "record"
            key = (kind, rule[kind], sum(1 for k in found if k[:2] == (kind, rule[kind])))
            found[key] = rule_fields(rule["expr"], rule.get("for"), rule.get("keep_firing_for"),
                                     rule.get("labels", {}), rule.get("annotations", {}))
        for key, exp in where.expected.items():
            fields = found.pop(key, None)
            differ = [f for f in exp.fields if fields is not None and exp.fields[f] != fields[f]]
            if fields is None:
                out.append((exp.rule.name.pos, f"{exp.rule.title} of {title}"))
            elif differ:
                out.append((exp.rule.name.pos, f"{exp.rule.title} of {title} exactly: its {', '.join(differ)} "
                                               f"would differ"))
        for kind, name, _ in found:
            out.append((group.name.pos, f"{title} without adding {kind} {name}"))
    return out


def import_rules(paths: list[Path], team: str = DEFAULT_TEAM, *, into: list[Path] | None = None,
                 infer: bool = True) -> tuple[str | None, list[Diagnostic]]:
    """Prometheus rule files and PrometheusRule resources -> (obsgen spec as YAML text, or None;
    diagnostics). Files are read in the order of their displayed paths, so the result does not
    depend on the order they are given in.

    `into`: the spec files or folders of the obsgen project the result is for (see the module's
    docstring); a project with errors is reported, and nothing is imported. `infer=False`: no
    metric catalog, so that validate reports the metrics nothing provides."""
    ctx = Ctx("Prometheus rule")
    if check_name(ctx, Val(team, Pos("--team"), Pos("--team"), "--team"), "team name") is None:
        return None, normalise(ctx.diags)
    host = read_host(into, ctx) if into is not None else None
    reader = Reader(ctx)
    for path, shown in input_files(paths, ctx):
        reader.file(path, shown)
    if into is not None and host is None:
        return None, normalise(ctx.diags)  # the rule files are read all the same, to report their errors too
    text = Builder(ctx, reader, team, host, infer).render(reader.groups)
    return text, normalise(ctx.diags)


__all__ = ["DEFAULT_TEAM", "import_rules"]
