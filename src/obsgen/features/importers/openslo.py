"""OpenSLO v1 -> obsgen: documents of kind SLO, SLI and Service (DataSource for metricSourceRef).

Field by field:

    SLO metadata.name, spec.service       -> the SLO's name, its service
    displayName, description (SLO, objective, SLI) -> the SLO's description
    metadata.labels (SLI, then SLO)       -> SLO labels; `team` -> the owning team
    metadata.annotations                  -> alerting.annotations; runbook(_url) -> runbook_url
    timeWindow [{duration, isRolling}]    -> period (rolling windows of m, h, d or w)
    objectives [{target | targetPercent}] -> objective (percent)
    indicator | indicatorRef -> SLI spec:
      ratioMetric {counter: true, good|bad, total}, budgetingMethod Occurrences
                                          -> sli.ratio (Prometheus selectors, or sum(selector))
      ratioMetric {rawType, raw}          -> sli.raw: the ratio averaged over each window
      thresholdMetric + objective op lte|lt and value, budgetingMethod Occurrences or Timeslices
                                          -> sli.freshness {gauge, max}: the share of rule
                                             evaluations at which the worst series is within value
    Service spec.description, displayName -> the service's description; its `team` label -> its team

Refused with OBS040, naming the field: calendar windows, several objectives, composite
objectives, non-Prometheus metric sources, gt/gte thresholds, alert policies, and values the
obsgen spec cannot hold.
"""
from __future__ import annotations

import re
from pathlib import Path

import promql_parser

from obsgen.core import naming
from obsgen.core.diagnostics import Diagnostic, error
from obsgen.core.promql import parse as parse_promql
from obsgen.features.importers.common import (
    DEFAULT_TEAM,
    Build,
    Ctx,
    ImportedSLO,
    Node,
    Val,
    alert_annotations,
    check_name,
    finish,
    input_files,
    promql_ok,
    read_documents,
    slo_labels,
)
from obsgen.spec.parse import did_you_mean

API_VERSION = "openslo/v1"
KINDS = ("SLO", "SLI", "Service", "DataSource")
ALERT_KINDS = ("AlertPolicy", "AlertCondition", "AlertNotificationTarget")
METHODS = ("Occurrences", "Timeslices", "RatioTimeslices")
_DURATION = re.compile(r"^(\d+)([mhdwMQY])$")
DEFAULT_PERIOD = "30d"


def import_openslo(paths: list[Path], team: str = DEFAULT_TEAM) -> tuple[str | None, list[Diagnostic]]:
    """OpenSLO files -> (obsgen spec as YAML text, or None; diagnostics)."""
    ctx = Ctx("OpenSLO")
    build = Build(ctx)
    docs: dict[str, list[tuple[Node, Val]]] = {k: [] for k in KINDS}
    for path, shown in input_files(paths, ctx):
        build.files.append(shown)
        trees, diags = read_documents(path, shown)
        ctx.diags += diags
        for tree in trees:
            kind, doc = _document(Node(tree, "", ctx))
            if kind is not None:
                docs[kind].append(doc)
    slis = _by_name(ctx, docs["SLI"], "SLI")
    sources = _by_name(ctx, docs["DataSource"], "DataSource")
    for doc, name in docs["Service"]:
        _service(doc, name, build)
    used: set[str] = set()
    for doc, name in docs["SLO"]:
        _slo(doc, name, slis, sources, used, build)
    for sli_name, (_, name) in slis.items():
        if sli_name not in used:
            ctx.note(f"{name.pos}: SLI {sli_name!r} is used by no SLO: not imported")
    for src_name, (_, name) in sources.items():
        ctx.note(f"{name.pos}: DataSource {src_name!r}: obsgen's rules run on the Prometheus that loads them; "
                 f"its connection details are not imported")
    return finish(build, team, "OpenSLO")


def _document(doc: Node) -> tuple[str | None, tuple[Node, Val] | None]:
    """Check the envelope; (kind, (document, its name)) for the kinds obsgen imports."""
    ctx = doc.ctx
    api = doc.val("apiVersion", str, required=True)
    if api is None:
        return None, None
    if api.value != API_VERSION:
        hint = ("import it with `obsgen import sloth`" if "sloth" in api.value or "version" in doc
                else f"obsgen imports `apiVersion: {API_VERSION}`")
        ctx.invalid(f"apiVersion: {api.value!r} is not an OpenSLO version obsgen reads", api.pos, hint=hint)
        return None, None
    doc.only(("apiVersion", "kind", "metadata", "spec"))
    kind = doc.val("kind", str, required=True)
    if kind is None:
        return None, None
    if kind.value in ALERT_KINDS:
        ctx.cannot(f"kind {kind.value}: obsgen alerts on every SLO with its own multi-window burn-rate alerts; "
                   f"OpenSLO alerting objects cannot be imported", kind.pos, hint="leave this document out")
        return None, None
    if kind.value not in KINDS:
        ctx.invalid(f"kind {kind.value!r} is not an OpenSLO v1 kind", kind.pos,
                    hint=did_you_mean(kind.value, list(KINDS + ALERT_KINDS)))
        return None, None
    meta = doc.map("metadata", required=True)
    name = meta.val("name", str, required=True) if meta else None
    if meta is not None:
        meta.only(("name", "displayName", "labels", "annotations"))
    return (kind.value, (doc, name)) if name is not None else (None, None)


def _by_name(ctx: Ctx, docs: list[tuple[Node, Val]], what: str) -> dict[str, tuple[Node, Val]]:
    out: dict[str, tuple[Node, Val]] = {}
    for doc, name in docs:
        if name.value in out:
            first = out[name.value][1].pos
            ctx.diags.append(error("OBS020", f"{what} {name.value!r} is already defined at {first}", name.pos))
        else:
            out[name.value] = (doc, name)
    return out


def _labels(meta: Node | None) -> dict[str, Val]:
    """metadata.labels: OpenSLO allows a list of strings as a value, Prometheus does not."""
    m = meta.map("labels") if meta else None
    if m is None:
        return {}
    for key, value in m.m.items():
        if isinstance(value, list):
            m.ctx.cannot(f"{m.where(key)}: a label with a list of values cannot be a Prometheus label", m.val_pos(key),
                         hint="give it one string value")
    return m.string_values(skip=lambda value: isinstance(value, list))


def _describe(head: list[str | None], extras: list[tuple[str, str | None]] = ()) -> str | None:
    """One description from an object's displayName and description, and those of its parts."""
    main = " - ".join(dict.fromkeys(p.strip() for p in head if p and p.strip()))
    more = "; ".join(f"{what}: {p.strip()}" for what, p in extras if p and p.strip())
    if main and more:
        return f"{main} ({more})"
    return main or more or None


def _service(doc: Node, name: Val, build: Build) -> None:
    meta = doc.map("metadata")
    spec = doc.map("spec")
    if spec is not None:
        spec.only(("description",))
    labels = _labels(meta)
    for key, v in labels.items():
        if key != "team":
            build.ctx.cannot(f"{v.path}: obsgen services carry no labels", v.key_pos,
                             hint="put it on the service's SLOs (their metadata.labels) instead")
    annotations = meta.strings("annotations") if meta else {}
    for key, v in annotations.items():
        build.ctx.cannot(f"{v.path}: obsgen services carry no annotations", v.key_pos,
                         hint="put it on the service's SLOs (their metadata.annotations) instead")
    build.service(Val(name.value, name.pos, name.key_pos, name.path), team=labels.get("team"),
                  description=_describe([meta.get("displayName", str) if meta else None,
                                         spec.get("description", str) if spec else None]))


def _slo(doc: Node, name: Val, slis: dict, sources: dict, used: set[str], build: Build) -> None:
    ctx = doc.ctx
    meta = doc.map("metadata")
    spec = doc.map("spec", required=True)
    slo_name = check_name(ctx, name, "SLO name")
    if spec is None:
        return
    spec.only(("description", "service", "indicator", "indicatorRef", "timeWindow", "budgetingMethod",
               "objectives", "alertPolicies"))
    service = spec.val("service", str, required=True)
    period = _period(spec)
    method = spec.val("budgetingMethod", str, required=True)
    if method is not None and method.value not in METHODS:
        ctx.invalid(f"{method.path}: {method.value!r} is not an OpenSLO budgeting method", method.pos,
                    hint=did_you_mean(method.value, list(METHODS)) or f"one of {', '.join(METHODS)}")
        method = None
    if spec.m.get("alertPolicies"):
        ctx.cannot(f"{spec.where('alertPolicies')}: obsgen alerts on every SLO with its own multi-window burn-rate "
                   f"alerts; OpenSLO alert policies cannot be imported", spec.key_pos("alertPolicies"),
                   hint="remove them; obsgen pages on a fast burn and opens a ticket on a slow one")
    sli_doc = _indicator(spec, slis, used)
    objectives = spec.items("objectives", required=True)
    if len(objectives) > 1:
        ctx.cannot(f"{objectives[1].path}: obsgen's SLO has one objective; this SLO has {len(objectives)}",
                   objectives[1].pos, hint="import each objective as an SLO of its own (one OpenSLO SLO each)")
    elif "objectives" in spec and not objectives and isinstance(spec.m["objectives"], list):
        ctx.invalid(f"{spec.where('objectives')}: give one objective", spec.val_pos("objectives"))
    objective = _objective(objectives[0]) if objectives else None
    sli_spec = sli_doc.map("spec", required=True) if sli_doc else None
    sli_meta = sli_doc.map("metadata") if sli_doc else None
    sli = _sli(sli_spec, method, objectives[0] if objectives else None, sources) if sli_spec and method else None
    labels, team = slo_labels(ctx, _labels(sli_meta), _labels(meta))
    annotations, runbook = alert_annotations(ctx, {**(sli_meta.strings("annotations") if sli_meta else {}),
                                                   **(meta.strings("annotations") if meta else {})})
    if None in (slo_name, service, period, objective, sli):
        return
    out: dict = {"name": slo_name, "objective": objective, "period": period}
    description = _describe(
        [meta.get("displayName", str) if meta else None, spec.get("description", str)],
        [("objective", objectives[0].get("displayName", str)),
         ("indicator", sli_meta.get("displayName", str) if sli_meta else None),
         ("indicator", sli_spec.get("description", str))])
    if description:
        out["description"] = description
    out["sli"] = sli
    alerting = {"runbook_url": runbook, "annotations": annotations}
    if runbook or annotations:
        out["alerting"] = {k: v for k, v in alerting.items() if v}
    if labels:
        out["labels"] = labels
    build.add(ImportedSLO(service, out, doc.pos, team))


def _indicator(spec: Node, slis: dict, used: set[str]) -> Node | None:
    """The SLI document: inline (`indicator`) or named (`indicatorRef`, an SLI in the same files)."""
    ctx = spec.ctx
    if ("indicator" in spec) == ("indicatorRef" in spec):
        ctx.invalid(f"{spec.path}: give exactly one of indicator or indicatorRef", spec.pos)
        return None
    if "indicator" in spec:
        inline = spec.map("indicator", required=True)
        if inline is not None:
            inline.only(("metadata", "spec"))
            meta = inline.map("metadata")
            if meta is not None:
                meta.only(("name", "displayName", "labels", "annotations"))
        return inline
    ref = spec.val("indicatorRef", str, required=True)
    if ref is None:
        return None
    if ref.value not in slis:
        ctx.diags.append(error("OBS021", f"{ref.path}: no SLI named {ref.value!r} in the files imported", ref.pos,
                               hint=did_you_mean(ref.value, list(slis)) or "give the file with that SLI too"))
        return None
    used.add(ref.value)
    return slis[ref.value][0]


def _period(spec: Node) -> str | None:
    ctx = spec.ctx
    windows = spec.items("timeWindow")
    if "timeWindow" not in spec:
        ctx.approximate(f"{spec.path}: no timeWindow; the SLO gets obsgen's default period of {DEFAULT_PERIOD}",
                        spec.pos)
        return DEFAULT_PERIOD
    if len(windows) != 1:
        ctx.invalid(f"{spec.where('timeWindow')}: give exactly one time window", spec.val_pos("timeWindow"))
        return None
    w = windows[0]
    w.only(("duration", "isRolling", "calendar"))
    rolling = w.val("isRolling", bool)
    if "calendar" in w or (rolling is not None and rolling.value is False):
        where = w.key_pos("calendar") if "calendar" in w else rolling.pos
        ctx.cannot(f"{w.path}: a calendar-aligned time window cannot be expressed: obsgen's SLO period is rolling",
                   where, hint="use a rolling window (isRolling: true) of about the same length, e.g. 30d")
        return None
    duration = w.val("duration", str, required=True)
    if duration is None:
        return None
    m = _DURATION.fullmatch(duration.value)
    if not m:
        ctx.invalid(f"{duration.path}: {duration.value!r} is not an OpenSLO duration like 28d or 4w", duration.pos)
        return None
    if m.group(2) in "MQY":
        ctx.cannot(f"{duration.path}: months, quarters and years vary in length; obsgen's period is a fixed "
                   f"duration", duration.pos, hint="use days or weeks, e.g. 30d or 4w")
        return None
    if naming.duration_seconds(duration.value) < 3600:
        ctx.cannot(f"{duration.path}: obsgen's SLO period is at least 1h, to leave room for burn-rate windows",
                   duration.pos)
        return None
    return duration.value


def _objective(obj: Node) -> float | None:
    """target (0..1) or targetPercent (0..100) -> obsgen's objective in percent."""
    ctx = obj.ctx
    obj.only(("displayName", "op", "value", "target", "targetPercent", "timeSliceTarget", "timeSliceWindow",
              "indicator", "indicatorRef", "compositeWeight"))
    for key in ("indicator", "indicatorRef", "compositeWeight"):
        if key in obj:
            ctx.cannot(f"{obj.where(key)}: composite SLOs (an indicator per objective) cannot be expressed in obsgen",
                       obj.key_pos(key), hint="import each indicator as an SLO of its own")
    target, percent = obj.val("target", float), obj.val("targetPercent", float)
    if (target is None) == (percent is None):
        ctx.invalid(f"{obj.path}: give exactly one of target or targetPercent", obj.pos)
        return None
    v, scale, top = (target, 100, 1) if target is not None else (percent, 1, 100)
    if not 0 <= v.value < top:
        ctx.invalid(f"{v.path}: must be at least 0 and below {top}", v.pos)
        return None
    if v.value == 0:
        ctx.cannot(f"{v.path}: an objective of 0 sets no goal; obsgen's objectives are above 0", v.pos)
        return None
    percent_value = round(v.value * scale, 10)
    return int(percent_value) if float(percent_value).is_integer() else percent_value


def _sli(spec: Node, method: Val, objective: Node | None, sources: dict) -> dict | None:
    ctx = spec.ctx
    spec.only(("description", "thresholdMetric", "ratioMetric"))
    given = [k for k in ("ratioMetric", "thresholdMetric") if k in spec]
    if len(given) != 1:
        ctx.invalid(f"{spec.path}: give exactly one of ratioMetric or thresholdMetric", spec.pos)
        return None
    if objective is None:
        return None
    slices = [k for k in ("timeSliceTarget", "timeSliceWindow") if k in objective]
    if "ratioMetric" in spec:
        for key in ("op", "value"):
            if key in objective:
                ctx.invalid(f"{objective.where(key)}: only a thresholdMetric SLI compares against a value",
                            objective.key_pos(key))
        if method.value != "Occurrences":
            ctx.cannot(f"{method.path}: {method.value}: obsgen counts a ratio SLI by occurrences (good events over "
                       f"all events); time slices cannot be expressed", method.pos, hint="use Occurrences")
            return None
        for key in slices:
            ctx.invalid(f"{objective.where(key)}: time slices only apply to the Timeslices budgeting method",
                        objective.key_pos(key))
        return _ratio(spec.map("ratioMetric", required=True), sources)
    return _threshold(spec.map("thresholdMetric", required=True), method, objective, slices, sources)


def _ratio(r: Node | None, sources: dict) -> dict | None:
    if r is None:
        return None
    ctx = r.ctx
    r.only(("counter", "good", "bad", "total", "rawType", "raw"))
    if "raw" in r:
        for key in ("good", "bad", "total"):
            if key in r:
                ctx.invalid(f"{r.where(key)}: a raw ratio is not used together with good, bad or total",
                            r.key_pos(key))
        kind = r.val("rawType", str, required=True)
        query = _query(r.map("raw", required=True), sources)
        if kind is not None and kind.value not in ("success", "failure"):
            ctx.invalid(f"{kind.path}: {kind.value!r} is not success or failure", kind.pos)
            return None
        sel = _selector(ctx, query, ()) if query else None
        if sel is None or kind is None:
            return None
        avg = f"avg_over_time({sel}[{{{{window}}}}])"
        return {"raw": {"error_ratio": avg if kind.value == "failure" else f"1 - {avg}"}}
    counter = r.val("counter", bool)
    if counter is None or counter.value is not True:
        ctx.cannot(f"{r.where('counter')}: obsgen's ratio SLI takes the rate of counters; a ratio of gauges "
                   f"(counter: false, the default) cannot be expressed", counter.pos if counter else r.pos,
                   hint="set counter: true if the series are counters")
    if ("good" in r) == ("bad" in r):
        ctx.invalid(f"{r.path}: give exactly one of good or bad, beside total", r.pos)
        return None
    side = "good" if "good" in r else "bad"
    queries = {k: _query(r.map(k, required=True), sources) for k in (side, "total")}
    sels = {k: _selector(ctx, q, ("sum",)) if q else None for k, q in queries.items()}
    if None in sels.values() or counter is None or counter.value is not True:
        return None
    return {"ratio": sels}


def _threshold(t: Node | None, method: Val, objective: Node, slices: list[str], sources: dict) -> dict | None:
    if t is None:
        return None
    ctx = t.ctx
    if method.value == "RatioTimeslices":
        ctx.cannot(f"{method.path}: RatioTimeslices cannot be expressed in obsgen", method.pos,
                   hint="use Occurrences or Timeslices")
        return None
    if method.value == "Occurrences":
        for key in slices:
            ctx.invalid(f"{objective.where(key)}: time slices only apply to the Timeslices budgeting method",
                        objective.key_pos(key))
    else:
        target = objective.val("timeSliceTarget", float)
        if target is not None and target.value != 1:
            ctx.cannot(f"{target.path}: obsgen judges each rule evaluation on its own, so a time slice is good "
                       f"only when all of it is; a timeSliceTarget below 1 cannot be expressed", target.pos,
                       hint="use timeSliceTarget: 1")
        if "timeSliceWindow" in objective:
            ctx.approximate(f"{objective.where('timeSliceWindow')}: obsgen's time slice is one rule evaluation "
                            f"(global.evaluation_interval), not {objective.m['timeSliceWindow']}",
                            objective.val_pos("timeSliceWindow"))
    op, value = objective.val("op", str, required=True), objective.val("value", float, required=True)
    query = _query(t, sources)
    sel = _selector(ctx, query, ("max",)) if query else None
    if op is None or value is None:
        return None
    if op.value in ("gt", "gte"):
        ctx.cannot(f"{op.path}: {op.value}: obsgen's threshold SLI (freshness) counts time the worst series stays "
                   f"at or under a maximum; a minimum cannot be expressed", op.pos,
                   hint="record the metric negated (or as a shortfall) and compare with lte")
        return None
    if op.value not in ("lt", "lte"):
        ctx.invalid(f"{op.path}: {op.value!r} is not one of lt, lte, gt, gte", op.pos)
        return None
    if op.value == "lt":
        ctx.approximate(f"{op.path}: lt read as lte: obsgen counts the gauge good at exactly {value.value:g} too",
                        op.pos)
    if sel is None:
        return None
    return {"freshness": {"gauge": sel, "max": value.value}}


def _query(holder: Node | None, sources: dict) -> Val | None:
    """The Prometheus query of a `{metricSource: {type, spec: {query}}}` block."""
    if holder is None:
        return None
    ctx = holder.ctx
    holder.only(("metricSource",))
    ms = holder.map("metricSource", required=True)
    if ms is None:
        return None
    ms.only(("metricSourceRef", "type", "spec"))
    kind, ref = ms.val("type", str), ms.val("metricSourceRef", str)
    if ref is not None and ref.value not in sources and kind is None:
        ctx.diags.append(error("OBS021", f"{ref.path}: no DataSource named {ref.value!r} in the files imported",
                               ref.pos, hint=did_you_mean(ref.value, list(sources)) or "give its type here"))
        return None
    if kind is None and ref is not None:
        src = sources[ref.value][0].map("spec")
        kind = src.val("type", str, required=True) if src else None
        if src is not None:
            src.only(("description", "type", "connectionDetails"))
    if kind is None:
        if ref is None:
            ctx.invalid(f"{ms.path}: give type (or metricSourceRef to a DataSource)", ms.pos)
        return None
    if kind.value.lower() != "prometheus":
        ctx.cannot(f"{kind.path}: metric source type {kind.value!r} cannot be expressed: obsgen's SLO rules run "
                   f"in Prometheus", kind.pos, hint="only type Prometheus imports")
        return None
    spec = ms.map("spec", required=True)
    if spec is None:
        return None
    for key in spec.m:
        if key != "query":
            ctx.cannot(f"{spec.where(key)}: obsgen reads only `query` from a Prometheus metric source",
                       spec.key_pos(key))
    return spec.val("query", str, required=True)


def _selector(ctx: Ctx, q: Val, aggregations: tuple[str, ...]) -> str | None:
    """A series selector from a query: the query itself, or what an allowed plain aggregation
    (sum for counters, max for gauges: what obsgen applies anyway) wraps."""
    text = q.value.strip()
    if not promql_ok(ctx, q, text):
        return None
    expr = inner = parse_promql(text)
    if (isinstance(expr, promql_parser.AggregateExpr) and str(expr.op) in aggregations
            and expr.modifier is None and expr.param is None):
        inner = expr.expr
    if not isinstance(inner, promql_parser.VectorSelector) or inner.offset is not None or inner.at is not None:
        shapes = " or ".join(["a series selector"] + [f"{a}(selector)" for a in aggregations])
        ctx.cannot(f"{q.path}: obsgen needs {shapes} here (it builds the rate and aggregation itself); "
                   f"{text!r} cannot be expressed", q.pos,
                   hint="give the counter or gauge selector, e.g. http_requests_total{job=\"api\"}")
        return None
    return text if inner is expr else inner.prettify()
