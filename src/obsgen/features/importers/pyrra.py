"""Pyrra -> obsgen: Kubernetes resources `apiVersion: pyrra.dev/v1alpha1, kind: ServiceLevelObjective`
(several documents per file, and `kind: List` or `ServiceLevelObjectiveList` with `items`); the
files Pyrra's filesystem mode reads are the same resources.

Which service: the `pyrra.dev/service` label (Pyrra copies it onto its rules as `service`, the
label obsgen sets to the service's name, so that stays as it was); else metadata.namespace (how
Pyrra groups SLOs; usually the service's namespace, `monitoring` for cluster SLOs); else the first
dash-separated word of metadata.name (`caddy-response-latency` -> `caddy`).
Which team: the first of the labels `pyrra.dev/team`, `team`, `pyrra.dev/owner`, `owner` that is
present, if it is a valid obsgen name (else a warning, and the --team default); the service's team
when all its SLOs agree, else the SLO's alerting.team (see common.py).

Field by field:

    metadata.name                          -> the SLO's name
    metadata.labels `pyrra.dev/<key>`      -> SLO label <key> (Pyrra copies them onto its rules);
                                              `pyrra.dev/team` -> the team, `pyrra.dev/service` -> the service
    metadata.annotations `pyrra.dev/<key>` -> alerting.annotations (Pyrra's alert annotations);
                                              runbook(_url) -> alerting.runbook_url
    metadata.labels team, owner            -> the team (see above); `pyrra.dev/owner` is a label too
    other metadata labels and annotations  -> not imported (a note): they label the Kubernetes
                                              resource (e.g. `prometheus: k8s` for a rule selector)
    spec.target "99.5" (percent, a string) -> objective 99.5
    spec.window (2w, 28d, ...)             -> period, as written (the same duration syntax)
    spec.description                       -> description
    equality matchers of the total selector (not grouped) -> SLO labels, as Pyrra puts them on its
                                              rules and alerts (except labels obsgen sets itself)
    indicator.ratio {errors, total}        -> sli.ratio {bad: errors, total}: obsgen sums the rates
                                              of both selectors, which is Pyrra's ratio
    indicator.latency {success, total}     -> sli.ratio {good: success, total}: obsgen's bad events
                                              are total - good, so (total - success) / total, as Pyrra
                                              computes it (obsgen's latency SLI would need the histogram
                                              in a metric catalog, which the import does not write);
                                              an integer bound le="5" -> le=~"5(\\.0)?", as Pyrra's
                                              default Prometheus 3 migration writes it (a note)
    indicator.latencyNative {latency, total} -> sli.raw: 1 - histogram_fraction(0, latency, sum(rate(total)))
                                              (native histograms: Prometheus 2.40 or later, with them enabled)
    indicator.bool_gauge {metric}          -> sli.raw: (sum(count_over_time(m)) - sum(sum_over_time(m)))
                                              / sum(count_over_time(m)), Pyrra's share of 0 samples
    indicator.*.grouping                   -> nothing when every grouping label is pinned by an
                                              equality matcher (one group); otherwise sli.raw with
                                              the worst group's ratio, max(sum by (grouping) ...),
                                              with a warning: obsgen's SLO is one series, Pyrra's one
                                              per group (see _grouping)
    alerting.name                          -> alerting.name, without a trailing `BudgetBurn` (obsgen
                                              appends BudgetBurnPage / BudgetBurnTicket)
    alerting.disabled: true, burnrates: false -> page and ticket enabled: false
    alerting.severities fastBurn, mediumBurn -> page.severity; slowBurn, longTermBurn -> ticket.severity
    spec.performanceOverAccuracy           -> not needed: obsgen's long windows read recorded 5m rates (a note)
    status                                 -> not imported (Pyrra's run-time state; a note)

Warned (OBS042, imported as an approximation, at the field): grouping that is not one group,
absent alerts asked for explicitly (alerting.absent: true, absentName, severities.absent: obsgen has
no alert for a missing metric), partial_response_strategy: warn, ruleOutput, team labels that are
not obsgen names. Noted in the header: obsgen's burn-rate windows and factors replace Pyrra's, its
alert names replace ErrorBudgetBurn, and Pyrra's default absent alerts are not imported.
Severities obsgen lacks are kept and defined in routing.severities (common.Vocabulary).
Refused (OBS040, naming the field): targets of 0 or 100, windows under 1h, severities that differ
within a tier, selectors with offset or @, labels obsgen sets itself
(`pyrra.dev/severity`, ...), SLO and service names that are not obsgen names (with a suggestion).
Invalid input (OBS041): what Pyrra's own validation rejects, wrong types, and unknown keys (with the
key they resemble): Pyrra reads its files with yaml.UnmarshalStrict, and kubectl's default strict
field validation refuses them too, so a misspelt key never takes effect in Pyrra either.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import promql_parser

from obsgen.core import naming
from obsgen.core.diagnostics import Diagnostic, Pos, describe
from obsgen.core.promql import parse as parse_promql
from obsgen.features.importers.common import (
    DEFAULT_TEAM,
    RESERVED_LABELS,
    Build,
    Ctx,
    ImportedSLO,
    Node,
    Val,
    Vocabulary,
    alert_annotations,
    check_name,
    finish,
    input_files,
    promql_ok,
    read_documents,
    slo_labels,
)
from obsgen.load.yaml import YSeq
from obsgen.resolve.slo import fmt_number
from obsgen.spec.parse import did_you_mean

API_VERSION = "pyrra.dev/v1alpha1"
KIND = "ServiceLevelObjective"
LIST_KINDS = {("v1", "List"), (API_VERSION, "ServiceLevelObjectiveList")}
PREFIX = "pyrra.dev/"  # Pyrra copies labels (and annotations) with this prefix onto its rules (alerts)
INDICATORS = ("ratio", "latency", "latencyNative", "bool_gauge")
SPEC_KEYS = ("description", "target", "window", "indicator", "alerting", "partial_response_strategy",
             "performanceOverAccuracy", "ruleOutput")
# Kubernetes ObjectMeta: a misspelt key (`label:`) is reported, not dropped.
META_KEYS = ("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
             "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
             "ownerReferences", "finalizers", "managedFields", "clusterName")
ALERTING_KEYS = ("disabled", "burnrates", "absent", "name", "absentName", "severities")
SEVERITY_KEYS = ("absent", "fastBurn", "mediumBurn", "slowBurn", "longTermBurn")
TIERS = (("page", "critical", ("fastBurn", "mediumBurn")), ("ticket", "warning", ("slowBurn", "longTermBurn")))
TEAM_LABELS = (PREFIX + "team", "team", PREFIX + "owner", "owner")
WINDOW = "{{window}}"
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass
class _Seen:
    """What the header notes say once for the whole import."""

    k8s_labels: dict[str, Pos] = field(default_factory=dict)  # "key=value" -> first place
    k8s_annotations: dict[str, Pos] = field(default_factory=dict)  # annotation key -> first place
    default_absent: list[str] = field(default_factory=list)  # SLOs with Pyrra's absent alerts on by default
    reserved_matchers: dict[str, Pos] = field(default_factory=dict)  # matcher labels obsgen sets itself


@dataclass(frozen=True)
class _Sel:
    """A series selector from a `metric` field: as written, parsed, and where it stands."""

    v: Val
    text: str
    expr: promql_parser.VectorSelector

    def matchers(self) -> list:
        return list(self.expr.matchers.matchers)

    def pinned(self, label: str) -> str | None:
        """The value an equality matcher fixes `label` to, if any."""
        for m in self.matchers():
            if m.name == label and m.op == promql_parser.MatchOp.Equal:
                return m.value
        return None


def import_pyrra(paths: list[Path], team: str = DEFAULT_TEAM) -> tuple[str | None, list[Diagnostic]]:
    """Pyrra files -> (obsgen spec as YAML text, or None; diagnostics)."""
    ctx = Ctx("Pyrra")
    build = Build(ctx)
    seen = _Seen()
    for path, shown in input_files(paths, ctx):
        build.files.append(shown)
        trees, diags = read_documents(path, shown)
        ctx.diags += diags
        for tree in trees:
            _document(Node(tree, "", ctx), build, seen, in_list=False)
    if any(svc.slos for svc in build.services.values()):
        _notes(ctx, seen)
    return finish(build, team, "Pyrra")


def _notes(ctx: Ctx, seen: _Seen) -> None:
    ctx.note("burn-rate alerts: obsgen's multi-window tiers (page: 2% of the budget in 1h or 5% in 6h; ticket: 10% "
             "in 1d or 3d, for a 30d period; windows scaled down for shorter periods) replace Pyrra's (factors "
             "14, 7, 2 and 1 over 1h, 6h, 1d and 4d of a 28d window, scaled with the window, each with a `for`)")
    ctx.note("alert names: Pyrra names the burn-rate alerts of every SLO ErrorBudgetBurn (or alerting.name); obsgen "
             "names them <alerting.name, or service and SLO name in CamelCase>BudgetBurnPage and ...BudgetBurnTicket, "
             "labelled service, slo, severity and team: update Alertmanager routes, inhibitions and silences that "
             "match on alertname")
    if seen.default_absent:
        ctx.note(f"Pyrra also alerts (SLOMetricAbsent, severity critical) when an SLO's metric disappears, by default "
                 f"(alerting.absent); obsgen has no such alert, so these SLOs lose it: "
                 f"{', '.join(seen.default_absent)}. Alert on absent() with an alert rule of your own if you need it")
    if seen.k8s_labels:
        first = min(seen.k8s_labels.values())
        ctx.note(f"{first}: Kubernetes labels of the ServiceLevelObjective resources ({', '.join(seen.k8s_labels)}) "
                 f"select which Prometheus loads Pyrra's rules: not imported; obsgen labels its PrometheusRule "
                 f"resources with output.operator.labels")
    if seen.k8s_annotations:
        first = min(seen.k8s_annotations.values())
        ctx.note(f"{first}: Kubernetes annotations without the pyrra.dev/ prefix "
                 f"({', '.join(seen.k8s_annotations)}) do not reach Pyrra's alerts: not imported")
    if seen.reserved_matchers:
        first = min(seen.reserved_matchers.values())
        ctx.note(f"{first}: Pyrra also copies the total selector's equality matchers onto its rules as labels; "
                 f"obsgen sets {', '.join(sorted(seen.reserved_matchers))} itself, so those are not copied")


# ----------------------------------------------------------------------------- documents

def _document(doc: Node, build: Build, seen: _Seen, in_list: bool) -> None:
    ctx = doc.ctx
    api, kind = doc.get("apiVersion", str), doc.get("kind", str)
    if (api, kind) in LIST_KINDS and not in_list:
        doc.only(("apiVersion", "kind", "metadata", "items"))
        items = doc.items("items", required=True)
        if "items" in doc and not items and isinstance(doc.m["items"], list):
            ctx.invalid(f"{doc.where('items')}: the list holds no ServiceLevelObjective", doc.val_pos("items"))
        for item in items:
            _document(item, build, seen, in_list=True)
        return
    if api == API_VERSION and kind == KIND:
        _objective(doc, build, seen)
        return
    where = doc.val_pos("apiVersion") if "apiVersion" in doc else doc.pos
    if isinstance(api, str) and api.startswith("openslo/"):
        ctx.invalid(f"{doc.path or 'document'}: an OpenSLO {kind or 'document'}, not a Pyrra one", where,
                    hint="import it with `obsgen import openslo`")
    elif api == "sloth.slok.dev/v1" or "version" in doc:
        ctx.invalid(f"{doc.path or 'document'}: a Sloth document, not a Pyrra one", where,
                    hint="import it with `obsgen import sloth`")
    elif isinstance(api, str) and api.startswith("pyrra.dev/") and api != API_VERSION:
        ctx.invalid(f"{doc.where('apiVersion')}: {api!r} is not a Pyrra API version obsgen reads", where,
                    hint=f"obsgen imports `apiVersion: {API_VERSION}`")
    elif api == API_VERSION:
        kinds = [KIND, "ServiceLevelObjectiveList"]
        ctx.invalid(f"{doc.where('kind')}: {kind!r} is not a Pyrra SLO resource",
                    doc.val_pos("kind") if "kind" in doc else doc.pos,
                    hint=did_you_mean(kind, kinds) or f"obsgen imports kind {KIND}")
    elif isinstance(api, str) and isinstance(kind, str):
        ctx.invalid(f"{doc.path or 'document'}: a Kubernetes {kind} ({api}), not a Pyrra ServiceLevelObjective",
                    where, hint="leave it out of the import")
    else:
        ctx.invalid(f"{doc.path or 'document'}: not a Pyrra document", doc.pos,
                    hint=f"a Pyrra SLO starts with `apiVersion: {API_VERSION}` and `kind: {KIND}`")


def _objective(doc: Node, build: Build, seen: _Seen) -> None:
    """One ServiceLevelObjective -> one obsgen SLO."""
    ctx = doc.ctx
    doc.only(("apiVersion", "kind", "metadata", "spec", "status"))
    meta = doc.map("metadata", required=True)
    spec = doc.map("spec", required=True)
    if meta is not None:
        meta.only(META_KEYS)
    name_v = meta.val("name", str, required=True) if meta else None
    namespace = meta.val("namespace", str) if meta else None
    k8s_labels = meta.strings("labels") if meta else {}
    k8s_annotations = meta.strings("annotations") if meta else {}
    if "status" in doc:
        ctx.note(f"{doc.key_pos('status')}: the status of a ServiceLevelObjective is Pyrra's run-time state: "
                 f"not imported")
    slo_name = check_name(ctx, name_v, "SLO name") if name_v else None

    propagated = {k[len(PREFIX):]: v for k, v in k8s_labels.items() if k.startswith(PREFIX)}
    for key, v in k8s_labels.items():
        if not key.startswith(PREFIX) and key not in ("team", "owner"):
            seen.k8s_labels.setdefault(f"{key}={v.value}", v.key_pos)
    for key, v in k8s_annotations.items():
        if not key.startswith(PREFIX):
            seen.k8s_annotations.setdefault(key, v.key_pos)
    service = propagated.pop("service", None) or namespace
    if service is None and name_v is not None:
        prefix = re.split(r"[-.]", str(name_v.value))[0] or str(name_v.value)
        service = Val(prefix, name_v.pos, name_v.key_pos, name_v.path)
    team = _team(ctx, k8s_labels)
    propagated.pop("team", None)  # the team, not a label (obsgen puts `team` on the alerts itself)
    labels, _ = slo_labels(ctx, propagated)
    annotations, runbook = alert_annotations(
        ctx, {k[len(PREFIX):]: v for k, v in k8s_annotations.items() if k.startswith(PREFIX)})

    if spec is None:
        return
    spec.only(SPEC_KEYS)
    objective = _target(spec)
    period = _window(spec)
    description = spec.get("description", str)
    indicator = _indicator(spec.map("indicator", required=True))
    alerting = _alerting(spec.map("alerting"), seen, slo_name or "?", build.vocab)
    _operational(spec)
    if None in (slo_name, service, objective, period, indicator, alerting):
        return
    sli, matcher_labels = indicator
    for key, (value, pos) in matcher_labels.items():
        if key in RESERVED_LABELS or key == "team":
            seen.reserved_matchers.setdefault(key, pos)
        else:
            labels[key] = value  # Pyrra sets them after the propagated labels: they win
    if runbook:
        alerting["runbook_url"] = runbook
    if annotations:
        alerting["annotations"] = annotations
    out: dict = {"name": slo_name, "objective": objective, "period": period}
    if description and description.strip():
        out["description"] = description.strip()
    out["sli"] = sli
    if alerting:
        out["alerting"] = alerting
    if labels:
        out["labels"] = dict(sorted(labels.items()))
    build.add(ImportedSLO(service, out, doc.pos, team))


def _team(ctx: Ctx, labels: dict[str, Val]) -> Val | None:
    """The owning team from the first team label present, if obsgen can use it as a team name."""
    for key in TEAM_LABELS:
        v = labels.get(key)
        if v is None:
            continue
        if naming.NAME_RE.fullmatch(str(v.value)) and str(v.value) not in naming.RESERVED_NAMES:
            return v
        ctx.approximate(f"{v.path}: {v.value!r} is not an obsgen team name (lowercase letters, digits and dashes): "
                        f"the SLO goes to the --team default", v.pos, hint="rename the team label's value")
        return None
    return None


# ----------------------------------------------------------------------------- target and window

def _target(spec: Node) -> float | int | None:
    ctx = spec.ctx
    raw = spec.m.get("target")
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        ctx.invalid(f"{spec.where('target')}: Pyrra reads target as a string, not a number", spec.val_pos("target"),
                    hint=f'quote it: target: "{raw}"')
        return None
    v = spec.val("target", str, required=True)
    if v is None:
        return None
    text = v.value
    if not _NUMBER.fullmatch(text):
        ctx.invalid(f"{v.path}: {text!r} is not a number", v.pos, hint='a percentage, e.g. "99.5"')
        return None
    value = float(text)
    if not 0 <= value <= 100:
        ctx.invalid(f"{v.path}: Pyrra targets are percentages from 0 to 100", v.pos)
        return None
    if value in (0, 100):
        ctx.cannot(f"{v.path}: a target of {value:g}% " + ("sets no goal" if value == 0 else "leaves no error budget")
                   + "; obsgen's objectives are above 0 and below 100", v.pos, hint='use e.g. "99.99"')
        return None
    value = round(value, 10)
    return int(value) if value.is_integer() else value


def _duration(node: Node, key: str, like: str, hint: str | None = None) -> tuple[Val, float] | None:
    """A required duration field, as written and in seconds; an error at it if it is not one."""
    v = node.val(key, str, required=True)
    if v is None:
        return None
    try:
        return v, naming.duration_seconds(v.value)
    except ValueError:
        node.ctx.invalid(f"{v.path}: {v.value!r} is not a Prometheus duration{like}", v.pos, hint=hint)
        return None


def _window(spec: Node) -> str | None:
    ctx = spec.ctx
    read = _duration(spec, "window", " like 28d or 2w")
    if read is None:
        return None
    v, seconds = read
    if seconds < 3600:
        ctx.cannot(f"{v.path}: obsgen's SLO period is at least 1h, to leave room for burn-rate windows", v.pos)
        return None
    return v.value


# ----------------------------------------------------------------------------- indicators

def _indicator(ind: Node | None) -> tuple[dict, dict[str, tuple[str, Pos]]] | None:
    """(obsgen SLI, labels Pyrra puts on its rules from the total selector's equality matchers)."""
    if ind is None:
        return None
    ctx = ind.ctx
    ind.only(INDICATORS)
    given = [k for k in INDICATORS if k in ind]
    if not given and any(k not in INDICATORS for k in ind.m):
        return None  # a misspelt kind: reported as an unknown key, with the one it resembles
    if len(given) != 1:
        ctx.invalid(f"{ind.path}: give exactly one of {', '.join(INDICATORS)}"
                    + (f" (found {', '.join(given)})" if given else ""), ind.pos)
        return None
    kind = given[0]
    node = ind.map(kind, required=True)
    if node is None:
        return None
    if kind in ("ratio", "latency"):
        sides = ("errors", "total") if kind == "ratio" else ("success", "total")
        node.only((*sides, "grouping"))
        sels = {side: _metric(node.map(side, required=True)) for side in sides}
    elif kind == "latencyNative":
        node.only(("latency", "total", "grouping"))
        sels = {"total": _metric(node.map("total", required=True))}
    else:
        node.only(("metric", "grouping"))
        sels = {"metric": _metric(node, own_keys=False)}
    grouping = _grouping(node, [s for s in sels.values() if s is not None])
    latency = _native_latency(node) if kind == "latencyNative" else None
    if None in sels.values() or grouping is None or (kind == "latencyNative" and latency is None):
        return None
    main = sels.get("total") or sels["metric"]
    labels = {m.name: (m.value, main.v.pos) for m in main.matchers()
              if m.op == promql_parser.MatchOp.Equal and m.name != "__name__" and m.name not in grouping
              and not m.name.startswith("__")}
    if kind == "ratio":
        sli = _ratio(node, sels["errors"], sels["total"], grouping)
    elif kind == "latency":
        sli = _latency(node, sels["success"], sels["total"], grouping)
    elif kind == "latencyNative":
        total = _agg(grouping, f"rate({main.text}[{WINDOW}])")
        sli = _raw(node, f"1 - histogram_fraction(0, {latency}, {total})", grouping)
        node.ctx.note("latencyNative SLIs read native histograms with histogram_fraction: Prometheus 2.40 or later, "
                      "with native histograms enabled (--enable-feature=native-histograms before they became "
                      "stable)")
    else:
        good, count = (_agg(grouping, f"{fn}({main.text}[{WINDOW}])") for fn in ("sum_over_time", "count_over_time"))
        sli = _raw(node, f"({count} - {good}) / {count}", grouping)
    return (sli, labels) if sli is not None else None


def _metric(holder: Node | None, own_keys: bool = True) -> _Sel | None:
    """The selector in `holder.metric`: Pyrra accepts only a plain series selector there."""
    if holder is None:
        return None
    ctx = holder.ctx
    if own_keys:
        holder.only(("metric",))
    v = holder.val("metric", str, required=True)
    if v is None:
        return None
    text = v.value.strip()
    if not text:
        ctx.invalid(f"{v.path}: required", v.pos)
        return None
    if not promql_ok(ctx, v, text):
        return None
    expr = parse_promql(text)
    if not isinstance(expr, promql_parser.VectorSelector) or expr.matchers.or_matchers:
        ctx.invalid(f"{v.path}: Pyrra needs a series selector here (it builds the rate and sums itself), not "
                    f"{text!r}", v.pos, hint='e.g. http_requests_total{job="api",code=~"5.."}')
        return None
    if expr.offset is not None or expr.at is not None:
        ctx.cannot(f"{v.path}: obsgen puts the selector inside rate(...[window]); a selector with offset or @ "
                   f"cannot be expressed", v.pos, hint="remove the offset or @ modifier")
        return None
    return _Sel(v, text, expr)


def _grouping(node: Node, sels: list[_Sel]) -> list[str] | None:
    """Pyrra's grouping labels, sorted and without repeats as Pyrra uses them; [] when the grouping
    yields one group only (every label pinned to one value by an equality matcher in every selector),
    since the SLO is then the same without it.

    Otherwise obsgen cannot have an SLO per group: its SLO is one series (a raw SLI that returned a
    series per group would record them, but obsgen's burn-rate and budget records match the SLI
    one-to-one on service and slo, and fail on several). The import takes the worst group's error
    ratio at each evaluation, max(...): an alert fires when some group burns, as Pyrra's does, but
    does not name the group, the long and short windows may see different groups, and the budget
    is spent at the worst group's pace: that is an approximation, and says so."""
    ctx = node.ctx
    if "grouping" not in node:
        return []
    seq = node.get("grouping", YSeq)
    if seq is None:
        return None if node.m.get("grouping") is not None else []
    labels: list[str] = []
    ok = True
    for i, (item, pos) in enumerate(zip(seq, seq.item_pos)):
        if not isinstance(item, str):
            ctx.invalid(f"{node.where('grouping')}[{i}]: should be a label name, not {describe(item)}", pos)
            ok = False
        elif not naming.LABEL_RE.fullmatch(item) or item.startswith("__"):
            ctx.invalid(f"{node.where('grouping')}[{i}]: {item!r} is not a Prometheus label name", pos)
            ok = False
        elif item not in labels:
            labels.append(item)
    if not ok:
        return None
    if not labels or not sels:
        return []
    one_group = all(len({s.pinned(g) for s in sels}) == 1 and sels[0].pinned(g) is not None for g in labels)
    if one_group:
        return []
    ctx.approximate(f"{node.where('grouping')}: Pyrra keeps an SLO per {', '.join(sorted(labels))}; obsgen's SLO is "
                    f"one series, so it takes the worst group's error ratio: it alerts when any group burns its "
                    f"budget, without naming the group", node.key_pos("grouping"),
                    hint="for an SLO (and alert) per group, import one Pyrra SLO per group, each selecting it")
    return sorted(labels)


def _agg(grouping: list[str], inner: str) -> str:
    return f"sum by ({', '.join(grouping)}) ({inner})" if grouping else f"sum({inner})"


def _raw(node: Node, ratio: str, grouping: list[str]) -> dict | None:
    """A raw SLI from the error ratio (per group when grouped: then the worst group's)."""
    query = f"max({ratio})" if grouping else ratio
    v = Val(query, node.pos, node.pos, node.path)
    return {"raw": {"error_ratio": query}} if promql_ok(node.ctx, v, query.replace(WINDOW, "5m")) else None


def _ratio(node: Node, errors: _Sel, total: _Sel, grouping: list[str]) -> dict | None:
    if not grouping:
        return {"ratio": {"bad": errors.text, "total": total.text}}
    bad, all_ = (_agg(grouping, f"rate({sel.text}[{WINDOW}])") for sel in (errors, total))
    return _raw(node, f"{bad} / {all_}", grouping)


def _latency(node: Node, success: _Sel, total: _Sel, grouping: list[str]) -> dict | None:
    """Pyrra's latency ratio is (total - success) / total: obsgen's ratio SLI with `good`, whose bad
    events are total - good. (obsgen's latency SLI builds the same from a histogram's name, but
    needs the histogram in the service's metric catalog, which a Pyrra import does not have.)"""
    ctx = node.ctx
    le = [m for m in success.matchers() if m.name == "le"]
    bound = _float(le[0].value) if le else None
    if bound is None:
        ctx.invalid(f"{success.v.path}: Pyrra needs an le matcher with a number on the success selector (the bucket "
                    f"of requests fast enough)", success.v.pos,
                    hint='e.g. http_request_duration_seconds_bucket{le="0.5"}')
        return None
    success, total = _prometheus3(ctx, success), _prometheus3(ctx, total)
    if grouping:
        t, s = (_agg(grouping, f"rate({sel.text}[{WINDOW}])") for sel in (total, success))
        return _raw(node, f"({t} - {s}) / {t}", grouping)
    return {"ratio": {"good": success.text, "total": total.text}}


_FLOAT_FORM = r"(\.0)?"  # what Pyrra's Prometheus 3 migration lets follow an integer bucket bound
_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _prometheus3(ctx: Ctx, sel: _Sel) -> _Sel:
    """Pyrra's Prometheus 3 migration, on by default (--enable-prometheus-3-migration): an exact
    integer bucket bound, le="5", becomes le=~"5(\\.0)?", since Prometheus 3 writes classic bucket
    bounds as floats (le="5.0") and Prometheus 2 as the client did. The selector is rewritten so."""
    ms = sel.matchers()
    integer = [m for m in ms if m.name == "le" and m.op == promql_parser.MatchOp.Equal
               and re.fullmatch(r"\d+", m.value)]
    if not integer:
        return sel
    parts = [f"le=~{_quote(m.value + _FLOAT_FORM)}" if m in integer else f"{m.name}{_OPS[str(m.op)]}{_quote(m.value)}"
             for m in ms]
    text = f"{sel.expr.name or ''}{{{','.join(parts)}}}"
    bound = integer[0].value
    ctx.note(f"{sel.v.pos}: le=\"{bound}\" imported as le=~{_quote(bound + _FLOAT_FORM)}, as Pyrra's rules have it "
             f"by default (its Prometheus 3 migration): Prometheus 3 writes bucket bounds as floats (le=\"{bound}.0\")")
    return _Sel(sel.v, text, parse_promql(text))


def _native_latency(node: Node) -> str | None:
    """latencyNative.latency: a Prometheus duration (Pyrra parses it so), in seconds for histogram_fraction."""
    ctx = node.ctx
    read = _duration(node, "latency", "", hint="Pyrra reads the latency as a duration, e.g. 100ms or 1s")
    if read is None:
        return None
    v, seconds = read
    if seconds <= 0:
        ctx.invalid(f"{v.path}: the latency must be longer than zero", v.pos)
        return None
    return fmt_number(seconds)


def _float(text: str) -> float | None:
    """A bucket bound as Go's ParseFloat reads it (+Inf included)."""
    if text.strip() != text or "_" in text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


# ----------------------------------------------------------------------------- alerting

def _alerting(a: Node | None, seen: _Seen, slo_name: str, vocab: Vocabulary) -> dict | None:
    """Pyrra's alerting block -> obsgen's; None if it cannot be imported."""
    if a is None:
        seen.default_absent.append(slo_name)
        return {}
    ctx = a.ctx
    a.only(ALERTING_KEYS)
    disabled, burnrates = a.val("disabled", bool), a.val("burnrates", bool)
    off = bool(disabled and disabled.value) or bool(burnrates and burnrates.value is False)
    name = a.val("name", str)
    absent, absent_name = a.val("absent", bool), a.val("absentName", str)
    sev = a.map("severities")
    if sev is not None:
        sev.only(SEVERITY_KEYS)
    severities = {k: v for k in SEVERITY_KEYS if (v := sev.val(k, str) if sev else None) is not None and v.value}
    ok = True
    out: dict = {}
    if name is not None and name.value:
        base = name.value.removesuffix("BudgetBurn")
        if not naming.ALERT_RE.fullmatch(name.value):
            ctx.cannot(f"{name.path}: {name.value!r} is not an alert name obsgen can use", name.pos,
                       hint="an alert name is text without control characters or surrounding spaces")
            ok = False
        elif base:
            out["name"] = base
    if absent is None or absent.value:
        explicit = [v for v in (absent, absent_name, severities.get("absent")) if v is not None]
        if explicit:
            ctx.approximate(f"{explicit[0].path}: obsgen has no alert for an SLO metric that disappears (Pyrra's "
                            f"{absent_name.value if absent_name else 'SLOMetricAbsent'}): not imported",
                            explicit[0].pos, hint="alert on absent() with an alert rule of your own")
        else:
            seen.default_absent.append(slo_name)
    for tier, default, keys in TIERS:
        chosen = _tier_severity(ctx, severities, keys, default, vocab) if not off else default
        if chosen is None:
            ok = False
            continue
        if off:
            out[tier] = {"enabled": False, "severity": chosen}
        elif chosen != default:
            out[tier] = {"severity": chosen}
    return out if ok else None


def _tier_severity(ctx: Ctx, severities: dict[str, Val], keys: tuple[str, str], default: str,
                   vocab: Vocabulary) -> str | None:
    """One severity for the two Pyrra burn-rate alerts an obsgen tier stands for (Pyrra's default:
    critical for the fast and medium burn, warning for the slow and long-term burn, as obsgen's).
    A name obsgen lacks is kept and defined in routing.severities, as the other importers do."""
    values = {k: severities[k].value if k in severities else default for k in keys}
    if len(set(values.values())) > 1:
        v = severities.get(keys[1]) or severities[keys[0]]
        ctx.cannot(f"{v.path}: obsgen's tier stands for both Pyrra's {keys[0]} and {keys[1]} alerts and has one "
                   f"severity; here they differ ({values[keys[0]]} and {values[keys[1]]}; {default} unless set)",
                   v.pos, hint=f"give {keys[0]} and {keys[1]} the same severity")
        return None
    given = [severities[k] for k in keys if k in severities]
    return vocab.severity(given[0], like=default) if given else default


def _operational(spec: Node) -> None:
    """Fields about how Pyrra evaluates its rules, not what the SLO is."""
    ctx = spec.ctx
    strategy = spec.val("partial_response_strategy", str)
    if strategy is not None and strategy.value not in ("abort", "warn", ""):
        ctx.invalid(f"{strategy.path}: {strategy.value!r} is not abort or warn", strategy.pos)
    elif strategy is not None and strategy.value == "warn":
        ctx.approximate(f"{strategy.path}: obsgen's rules do not set a partial response strategy, so Thanos Ruler "
                        f"aborts on partial data (its default) instead of warning", strategy.pos)
    fast = spec.val("performanceOverAccuracy", bool)
    if fast is not None and fast.value:
        ctx.note(f"{fast.pos}: performanceOverAccuracy: not needed: obsgen's long windows read its recorded 5m rates")
    out = spec.map("ruleOutput")
    if out is not None:
        out.only(("shortRulesLabels", "longRulesLabels", "enableDescriptionAsLabel"))
        for key in ("shortRulesLabels", "longRulesLabels"):
            if out.strings(key):
                ctx.approximate(f"{out.where(key)}: obsgen writes all rules of an SLO to one rule group; they cannot "
                                f"be split between PrometheusRule resources by label", out.key_pos(key))
        described = out.val("enableDescriptionAsLabel", bool)
        if described is not None and described.value:
            ctx.approximate(f"{described.path}: obsgen does not put the description on the rules as a label; it is "
                            f"the SLO's description (on its dashboard)", described.pos)
