"""OpenSLO -> obsgen: `openslo/v1` documents of kind SLO, SLI and Service (DataSource for
metricSourceRef), and `openslo/v1alpha` SLO and Service documents (the shape Sloth reads). A file
holds one or more YAML documents, or a list of them (as `oslo` writes them): common.read_documents
reads both, each item of a list as a document, with its positions.

Field by field (v1; v1alpha differences after the table):

    SLO metadata.name, spec.service       -> the SLO's name, its service
    displayName, description (SLO, objective, SLI) -> the SLO's description
    metadata.labels (SLI, then SLO)       -> SLO labels; `team` -> the owning team
    metadata.annotations                  -> alerting.annotations; runbook(_url) -> runbook_url
    timeWindow [{duration, isRolling}]    -> period: m, h, d, w as written; M, Q, Y as 30, 90 and 365
                                             days, as the OpenSLO Go SDK counts them (a warning)
    timeWindow [{duration, calendar}]     -> the same period, rolling (a warning: see below)
    objectives [{target | targetPercent}] -> objective (percent); several objectives -> one obsgen
                                             SLO each (see below)
    indicator | indicatorRef -> SLI spec:
      ratioMetric {counter: true, good|bad, total}, budgetingMethod Occurrences
                                          -> sli.ratio (Prometheus selectors, or sum(selector));
                                             counter not given: read as counters (a warning)
      ratioMetric {rawType, raw}          -> sli.raw: the ratio averaged over each window
      thresholdMetric + objective op lte|lt and value, budgetingMethod Occurrences (or Timeslices
      with timeSliceTarget 1 and no timeSliceWindow, or RatioTimeslices)
                                          -> sli.freshness {gauge, max}: the share of rule
                                             evaluations at which the worst series is within value
      any of them, budgetingMethod Timeslices {timeSliceTarget, timeSliceWindow, op gt|gte}
                                          -> sli.raw: the share of bad time slices (below)
      ratioMetric, budgetingMethod RatioTimeslices {timeSliceWindow}
                                          -> sli.raw: 1 - the average of the slices' ratios
    metricSource {type, spec: {query}}    -> the PromQL query (type Prometheus, or one that speaks it)
    timeSliceWindow                       -> the slice: a duration, or a number of minutes
    Service spec.description, displayName -> the service's description; its `team` label -> its team

v1alpha: `timeWindows [{count, unit, isRolling, calendar}]` is read as timeWindow (unit Second to
Year); `objectives[].ratioMetrics {good|bad, total: {source, queryType, query}}` is the SLI of that
objective, `spec.indicator.thresholdMetric {source, queryType, query}` the SLI of the others.
Queries may hold Sloth's `{{.window}}` placeholder: `sum(rate(selector[{{.window}}]))` becomes the
selector of a ratio SLI, any other such query is used as written, in sli.raw `1 - (good / total)`
(or `bad / total`), as Sloth does.

Several objectives: obsgen's SLO has one objective, so each becomes an SLO of its own, named after
the OpenSLO SLO and the objective's displayName (`search-slo-good-experience`), or its place when it
has none or the name is taken (`search-slo-1`, `search-slo-2`). A composite SLO (an indicator per
objective) imports the same way, with a warning: obsgen has no budget shared by several SLOs.

Time slices. Occurrences counts events; Timeslices counts time slices (of timeSliceWindow) that
were good: for a ratio, slices whose good/total reaches timeSliceTarget (`op: gt`: exceeds it);
for a threshold, slices in which at least timeSliceTarget of the rule evaluations kept the worst
series within value. obsgen says that exactly with a raw SLI over a subquery aligned to the
slices, `avg_over_time((<slice is bad>)[{{window}}:<slice>])`, so alerts burn on bad slices.
RatioTimeslices averages the slices' ratios: `1 - avg_over_time((<slice ratio>)[{{window}}:<slice>])`.
Slices without events (total 0) count neither way; a good or bad counter with no series yet counts
0. Slices longer than 5m, obsgen's shortest alert window, are cut to 5m (a warning), so that every
window holds whole slices. The `op` of a ratio objective says how its slices compare with
timeSliceTarget (gt: above it; gte, the default: from it up); with RatioTimeslices, which compares
nothing, an op without value is ignored (a warning).

Calendar windows: imported as a rolling period of the same length, with a warning. obsgen's SLO
period is rolling: its rules read Prometheus range selectors, which look back from each evaluation,
so the budget is not reset when a calendar month (week, quarter) starts; on the 1st of a month
obsgen still counts the last 30 days. The figures agree with the calendar window's only at its end
(and, for months, only for a 30-day month). Supporting calendar periods would need a period model
obsgen's SLO spec does not have.
(A calendar duration in minutes, `1m`, is read as months, `1M`, with a warning: calendar windows
are at least a day long, and the OpenSLO examples write `1m` for a month.)

Data sources: type Prometheus (and the PromQL services Thanos, Cortex, Mimir, VictoriaMetrics,
Amazon and Azure managed Prometheus) imports as is. A source known not to speak PromQL (Datadog,
CloudWatch, ...) is refused (OBS040). Any other type (`Any` in the OpenSLO examples) imports with a
warning when its query is valid PromQL, and is refused otherwise.

Refused with OBS040, naming the field: non-PromQL metric sources, ratios of gauges (counter:
false), gt/gte thresholds, lt/lte for a slice's ratio, alert policies (the AlertPolicy,
AlertCondition and AlertNotificationTarget kinds and spec.alertPolicies: obsgen alerts on burn
rates of its own), and values the obsgen spec cannot hold (names, periods under 1h). A `value` on a
ratio objective, and settings of another budgeting method, are invalid input (OBS041).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import promql_parser

from obsgen.check.expressions import promql_error
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
from obsgen.resolve.slo import BASE_WINDOW, fmt_number
from obsgen.spec.parse import did_you_mean

V1 = "openslo/v1"
V1ALPHA = "openslo/v1alpha"
KINDS = {V1: ("SLO", "SLI", "Service", "DataSource"), V1ALPHA: ("SLO", "Service")}
ALERT_KINDS = ("AlertPolicy", "AlertCondition", "AlertNotificationTarget")
METHODS = {V1: ("Occurrences", "Timeslices", "RatioTimeslices"), V1ALPHA: ("Occurrences", "Timeslices")}
META_KEYS = ("name", "displayName", "labels", "annotations")
_DURATION = re.compile(r"^(\d+)([mhdwMQY])$")
# v1alpha time window units -> duration shorthand units
_UNITS = {"second": "s", "minute": "m", "hour": "h", "day": "d", "week": "w", "month": "M", "quarter": "Q",
          "year": "Y"}
_DAYS = {"M": (30, "a month", "28 to 31 days"), "Q": (90, "a quarter", "90 to 92 days"),
         "Y": (365, "a year", "365 or 366 days")}
DEFAULT_PERIOD = "30d"
DEFAULT_SLICE = "1m"  # v1alpha has no timeSliceWindow; Nobl9, where OpenSLO started, slices by the minute
_WINDOW = re.compile(r"\{\{\s*\.?window\s*\}\}")  # Sloth's {{.window}}; obsgen's own {{window}}
# Metric source types, compared lowercase without spaces, dashes or underscores.
PROMQL_SOURCES = {"prometheus", "promql", "sloth", "thanos", "cortex", "mimir", "grafanamimir", "victoriametrics",
                  "amazonprometheus", "amazonmanagedprometheus", "azureprometheus", "azuremanagedprometheus"}
OTHER_SOURCES = {"datadog", "newrelic", "dynatrace", "appdynamics", "splunk", "splunkobservability", "sumologic",
                 "cloudwatch", "bigquery", "redshift", "elasticsearch", "opensearch", "graphite", "influxdb",
                 "opentsdb", "lightstep", "servicenowcloudobservability", "pingdom", "thousandeyes", "instana",
                 "honeycomb", "logicmonitor", "azuremonitor", "gcm", "googlecloudmonitoring", "stackdriver", "loki",
                 "grafanaloki"}


def import_openslo(paths: list[Path], team: str = DEFAULT_TEAM) -> tuple[str | None, list[Diagnostic]]:
    """OpenSLO files -> (obsgen spec as YAML text, or None; diagnostics)."""
    ctx = Ctx("OpenSLO")
    build = Build(ctx)
    docs: dict[str, list[Doc]] = {k: [] for k in KINDS[V1]}
    for path, shown in input_files(paths, ctx):
        build.files.append(shown)
        trees, diags = read_documents(path, shown, lists_of="OpenSLO")
        ctx.diags += diags
        for tree in trees:
            doc = _document(Node(tree, "", ctx))
            if doc is not None:
                docs[doc.kind].append(doc)
    slis = _by_name(ctx, docs["SLI"], "SLI")
    sources = _by_name(ctx, docs["DataSource"], "DataSource")
    for doc in docs["Service"]:
        _service(doc, build)
    used: set[str] = set()
    for doc in docs["SLO"]:
        _slo(doc, Lookup(slis, sources, used), build)
    for sli_name, doc in slis.items():
        if sli_name not in used:
            ctx.note(f"{doc.name.pos}: SLI {sli_name!r} is used by no SLO: not imported")
    for src_name, doc in sources.items():
        ctx.note(f"{doc.name.pos}: DataSource {src_name!r}: obsgen's rules run on the Prometheus that loads them; "
                 f"its connection details are not imported")
    return finish(build, team, "OpenSLO")


# ----------------------------------------------------------------------------- reading

@dataclass
class Doc:
    node: Node
    name: Val
    kind: str
    version: str


@dataclass
class Lookup:
    slis: dict[str, Doc]
    sources: dict[str, Doc]
    used: set[str]


def _document(doc: Node) -> Doc | None:
    """Check the envelope; the document, if of a kind obsgen imports."""
    ctx = doc.ctx
    api = doc.val("apiVersion", str, required=True)
    if api is None:
        return None
    if api.value not in KINDS:
        hint = ("import it with `obsgen import sloth`" if "sloth" in api.value or "version" in doc
                else f"obsgen imports `apiVersion: {V1}` and `apiVersion: {V1ALPHA}`")
        ctx.invalid(f"apiVersion: {api.value!r} is not an OpenSLO version obsgen reads", api.pos, hint=hint)
        return None
    doc.only(("apiVersion", "kind", "metadata", "spec"))
    kind = doc.val("kind", str, required=True)
    if kind is None:
        return None
    if kind.value in ALERT_KINDS and api.value == V1:
        ctx.cannot(f"kind {kind.value}: obsgen alerts on every SLO with its own multi-window burn-rate alerts; "
                   f"OpenSLO alerting objects cannot be imported", kind.pos, hint="leave this document out")
        return None
    kinds = KINDS[api.value]
    if kind.value not in kinds:
        ctx.invalid(f"kind {kind.value!r} is not an OpenSLO {api.value.split('/')[1]} kind", kind.pos,
                    hint=did_you_mean(kind.value, list(kinds + ALERT_KINDS)) or f"one of {', '.join(kinds)}")
        return None
    meta = doc.map("metadata", required=True)
    name = meta.val("name", str, required=True) if meta else None
    if meta is not None:
        meta.only(META_KEYS)
    return Doc(doc, name, kind.value, api.value) if name is not None else None


def _by_name(ctx: Ctx, docs: list[Doc], what: str) -> dict[str, Doc]:
    out: dict[str, Doc] = {}
    for doc in docs:
        if doc.name.value in out:
            first = out[doc.name.value].name.pos
            ctx.diags.append(error("OBS020", f"{what} {doc.name.value!r} is already defined at {first}",
                                   doc.name.pos))
        else:
            out[doc.name.value] = doc
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


def _service(doc: Doc, build: Build) -> None:
    meta = doc.node.map("metadata")
    spec = doc.node.map("spec")
    if spec is not None:
        spec.only(("description",))
    labels = _labels(meta)
    for key, v in labels.items():
        if key != "team":
            build.ctx.cannot(f"{v.path}: obsgen services carry no labels", v.key_pos,
                             hint="put it on the service's SLOs (their metadata.labels) instead")
    annotations = meta.strings("annotations") if meta else {}
    for v in annotations.values():
        build.ctx.cannot(f"{v.path}: obsgen services carry no annotations", v.key_pos,
                         hint="put it on the service's SLOs (their metadata.annotations) instead")
    name = doc.name
    build.service(Val(name.value, name.pos, name.key_pos, name.path), team=labels.get("team"),
                  description=_describe([meta.get("displayName", str) if meta else None,
                                         spec.get("description", str) if spec else None]))


# ----------------------------------------------------------------------------- SLOs

@dataclass
class Query:
    """A PromQL query of a metric source: `text` with obsgen's {{window}} placeholder if it had one."""

    val: Val
    text: str

    @property
    def windowed(self) -> bool:
        return "{{window}}" in self.text

    def at(self, window: str) -> str:
        return self.text.replace("{{window}}", window)


@dataclass
class Indicator:
    """An SLI as read, before an objective and the budgeting method make an obsgen SLI of it."""

    kind: str  # ratio | raw | threshold
    node: Node  # the ratioMetric / thresholdMetric block
    good: Query | None = None
    bad: Query | None = None
    total: Query | None = None
    query: Query | None = None  # raw, threshold
    failure: bool = False  # raw: the stored ratio is of failures
    selectors: dict[str, str | None] | None = None  # ratio: each side's counter selector, None if it has none

    def counters(self) -> dict[str, str] | None:
        """A ratio whose sides all are counter selectors: obsgen's ratio SLI."""
        return self.selectors if self.selectors and None not in self.selectors.values() else None


@dataclass
class SLISource:
    """Where an SLI comes from: its metadata and spec description, and the indicator (None if invalid)."""

    meta: Node | None
    description: str | None
    indicator: Indicator | None


@dataclass
class Slices:
    """The Timeslices or RatioTimeslices settings of an objective."""

    window: str  # PromQL duration of a slice
    target: float | None  # timeSliceTarget (Timeslices)
    strict: bool  # op gt: a ratio slice is good only above the target


def _slo(doc: Doc, lookup: Lookup, build: Build) -> None:
    ctx, v1 = doc.node.ctx, doc.version == V1
    meta = doc.node.map("metadata")
    spec = doc.node.map("spec", required=True)
    slo_name = check_name(ctx, doc.name, "SLO name")
    if spec is None:
        return
    if v1:
        spec.only(("description", "service", "indicator", "indicatorRef", "timeWindow", "budgetingMethod",
                   "objectives", "alertPolicies"))
    else:
        spec.only(("description", "service", "indicator", "timeWindows", "budgetingMethod", "objectives"))
    service = spec.val("service", str, required=True)
    period = _period(spec, v1)
    method = spec.val("budgetingMethod", str, required=True)
    methods = METHODS[doc.version]
    if method is not None and method.value not in methods:
        ctx.invalid(f"{method.path}: {method.value!r} is not an OpenSLO {doc.version.split('/')[1]} budgeting method",
                    method.pos, hint=did_you_mean(method.value, list(methods)) or f"one of {', '.join(methods)}")
        method = None
    if spec.m.get("alertPolicies"):
        ctx.cannot(f"{spec.where('alertPolicies')}: obsgen alerts on every SLO with its own multi-window burn-rate "
                   f"alerts; OpenSLO alert policies cannot be imported", spec.key_pos("alertPolicies"),
                   hint="remove them; obsgen pages on a fast burn and opens a ticket on a slow one")
    objectives = spec.items("objectives", required=True)
    if "objectives" in spec and not objectives and isinstance(spec.m["objectives"], list):
        ctx.invalid(f"{spec.where('objectives')}: give at least one objective", spec.val_pos("objectives"))
    composite = v1 and any("indicator" in o or "indicatorRef" in o for o in objectives)
    shared = _shared_indicator(spec, doc.version, composite, objectives, lookup)
    slo_meta_labels = _labels(meta)
    slo_annotations = meta.strings("annotations") if meta else {}
    names = _objective_names(slo_name, objectives) if slo_name else [None] * len(objectives)
    if composite and len(objectives) > 1:
        weights = [o for o in objectives if "compositeWeight" in o]
        ctx.approximate(f"{spec.where('objectives')}: a composite SLO (an indicator per objective): obsgen has no "
                        f"error budget shared by several SLOs, so each objective is an SLO of its own, with its own "
                        f"budget and alerts" + ("; compositeWeight has nothing to weigh and is not imported"
                                                if weights else ""), spec.key_pos("objectives"))
    if len(objectives) > 1 and slo_name:
        ctx.note(f"{spec.key_pos('objectives')}: SLO {slo_name!r} has {len(objectives)} objectives; obsgen's SLO has "
                 f"one, so each is an SLO of its own: {', '.join(n for n in names if n)}")
    for obj, name in zip(objectives, names, strict=True):
        source = _objective_indicator(obj, doc.version, composite, lookup) or shared
        target = _target(obj, v1)
        sli = _sli(source.indicator, method.value, obj, doc.version) if source and source.indicator and method \
            else None
        labels, team = slo_labels(ctx, _labels(source.meta) if source else {}, slo_meta_labels)
        annotations, runbook = alert_annotations(ctx, {**(source.meta.strings("annotations")
                                                          if source and source.meta else {}), **slo_annotations})
        if None in (name, service, period, target, sli):
            continue
        out: dict = {"name": name, "objective": target, "period": period}
        description = _describe(
            [meta.get("displayName", str) if meta else None, spec.get("description", str)],
            [("objective", obj.get("displayName", str)),
             ("indicator", source.meta.get("displayName", str) if source.meta else None),
             ("indicator", source.description)])
        if description:
            out["description"] = description
        out["sli"] = sli
        alerting = {"runbook_url": runbook, "annotations": annotations}
        if runbook or annotations:
            out["alerting"] = {k: v for k, v in alerting.items() if v}
        if labels:
            out["labels"] = labels
        build.add(ImportedSLO(service, out, doc.node.pos if len(objectives) == 1 else obj.pos, team))


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()  # Über -> Uber
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", text).lower()  # GoodExperience -> good-experience
    return re.sub(r"[^a-z0-9]+", "-", words).strip("-")


def _objective_names(slo_name: str, objectives: list[Node]) -> list[str]:
    """One obsgen SLO name per objective: the SLO's own when it has one objective; else the SLO's
    name and the objective's displayName, or its place (1, 2, ...) when unnamed or taken."""
    if len(objectives) == 1:
        return [slo_name]
    out: list[str] = []
    for i, obj in enumerate(objectives):
        display = obj.m.get("displayName")
        slug = _slug(display) if isinstance(display, str) else ""
        candidates = [_joined(slo_name, s) for s in ([slug] if slug else []) + [str(i + 1)]]
        name = next((n for n in candidates if n not in out), None)
        out.append(name or _joined(slo_name, f"{slug or 'objective'}-{i + 1}"))
    return out


def _joined(base: str, suffix: str) -> str:
    """base-suffix, at most 63 characters: a long suffix is cut first, then the base."""
    suffix = suffix[:40].rstrip("-")
    return f"{base[:63 - len(suffix) - 1].rstrip('-')}-{suffix}"


def _shared_indicator(spec: Node, version: str, composite: bool, objectives: list[Node],
                      lookup: Lookup) -> SLISource | None:
    """The SLI all objectives share: the SLO's indicator or indicatorRef (v1); v1alpha: the SLO's
    thresholdMetric, for objectives without ratioMetrics of their own."""
    ctx = spec.ctx
    if version == V1ALPHA:
        ind = spec.map("indicator")
        if ind is None:
            if any(not _alpha_ratio_key(o) for o in objectives):
                ctx.invalid(f"{spec.path}: an objective without ratioMetrics needs spec.indicator.thresholdMetric",
                            spec.pos)
            return None
        ind.only(("thresholdMetric",))
        metric = ind.map("thresholdMetric", required=True)
        query = _alpha_query(metric) if metric else None
        return SLISource(None, None, Indicator("threshold", metric, query=query) if query else None)
    given = [k for k in ("indicator", "indicatorRef") if k in spec]
    if composite:
        for key in given:
            ctx.invalid(f"{spec.where(key)}: a composite SLO gives an indicator in each objective, not here",
                        spec.key_pos(key))
        return None
    return _indicator(spec, lookup)


def _objective_indicator(obj: Node, version: str, composite: bool, lookup: Lookup) -> SLISource | None:
    """An objective's own SLI: a composite objective's indicator (v1), or ratioMetrics (v1alpha)."""
    if version == V1ALPHA:
        key = _alpha_ratio_key(obj)
        if key is None:
            return None
        metric = obj.map(key, required=True)
        return SLISource(None, None, _alpha_ratio(metric) if metric else None)
    if not composite:
        return None
    return _indicator(obj, lookup) or SLISource(None, None, None)


def _alpha_ratio_key(obj: Node) -> str | None:
    given = [k for k in ("ratioMetrics", "ratioMetric") if k in obj]
    if len(given) > 1:
        obj.ctx.invalid(f"{obj.where('ratioMetric')}: give ratioMetrics once", obj.key_pos("ratioMetric"))
    return given[0] if given else None


def _indicator(holder: Node, lookup: Lookup) -> SLISource | None:
    """The SLI of an SLO (or of a composite objective): inline (`indicator`) or named
    (`indicatorRef`, an SLI in the same files)."""
    ctx = holder.ctx
    if ("indicator" in holder) == ("indicatorRef" in holder):
        ctx.invalid(f"{holder.path}: give exactly one of indicator or indicatorRef", holder.pos)
        return None
    if "indicator" in holder:
        inline = holder.map("indicator", required=True)
        if inline is None:
            return None
        inline.only(("metadata", "spec"))
        meta = inline.map("metadata")
        if meta is not None:
            meta.only(META_KEYS)
        return _sli_doc(inline, lookup)
    ref = holder.val("indicatorRef", str, required=True)
    if ref is None:
        return None
    if ref.value not in lookup.slis:
        ctx.diags.append(error("OBS021", f"{ref.path}: no SLI named {ref.value!r} in the files imported", ref.pos,
                               hint=did_you_mean(ref.value, list(lookup.slis)) or "give the file with that SLI too"))
        return None
    lookup.used.add(ref.value)
    return _sli_doc(lookup.slis[ref.value].node, lookup)


def _sli_doc(doc: Node, lookup: Lookup) -> SLISource:
    """An SLI document (or inline indicator): {metadata, spec: {description, ratioMetric | thresholdMetric}}."""
    ctx = doc.ctx
    meta = doc.map("metadata")
    spec = doc.map("spec", required=True)
    if spec is None:
        return SLISource(meta, None, None)
    spec.only(("description", "thresholdMetric", "ratioMetric"))
    given = [k for k in ("ratioMetric", "thresholdMetric") if k in spec]
    indicator = None
    if len(given) != 1:
        ctx.invalid(f"{spec.path}: give exactly one of ratioMetric or thresholdMetric", spec.pos)
    elif "ratioMetric" in spec:
        r = spec.map("ratioMetric", required=True)
        indicator = _ratio(r, lookup.sources) if r else None
    else:
        t = spec.map("thresholdMetric", required=True)
        query = _query(t, lookup.sources) if t else None
        indicator = Indicator("threshold", t, query=query) if query else None
    return SLISource(meta, spec.get("description", str), indicator)


# ----------------------------------------------------------------------------- time windows

def _period(spec: Node, v1: bool) -> str | None:
    ctx = spec.ctx
    key = "timeWindow" if v1 else "timeWindows"
    if key not in spec:
        ctx.approximate(f"{spec.path}: no {key}; the SLO gets obsgen's default period of {DEFAULT_PERIOD}",
                        spec.pos)
        return DEFAULT_PERIOD
    windows = spec.items(key)
    if len(windows) != 1:
        ctx.invalid(f"{spec.where(key)}: give exactly one time window", spec.val_pos(key))
        return None
    w = windows[0]
    rolling = w.val("isRolling", bool)
    calendar = "calendar" in w or (rolling is not None and rolling.value is False)
    if v1:
        w.only(("duration", "isRolling", "calendar"))
        duration = w.val("duration", str, required=True)
        if duration is None:
            return None
        m = _DURATION.fullmatch(duration.value)
        if not m or int(m.group(1)) == 0:
            ctx.invalid(f"{duration.path}: {duration.value!r} is not an OpenSLO duration like 28d or 4w",
                        duration.pos)
            return None
        count, unit, where = int(m.group(1)), m.group(2), duration
        calendar_unit = unit
        if calendar and unit == "m":
            months = "one month" if count == 1 else f"{count} months"
            ctx.approximate(f"{duration.path}: {duration.value!r} is {count} minute{'s' * (count > 1)} in OpenSLO, "
                            f"too short for a calendar-aligned window (at least a day): read as {count}M, {months}, "
                            f"which obsgen's fixed period counts as {30 * count}d, as the OpenSLO Go SDK does",
                            duration.pos, hint=f"write {count}M for months")
            unit, count, calendar_unit = "d", 30 * count, "M"
    else:
        w.only(("count", "unit", "isRolling", "calendar"))
        count_v, unit_v = w.val("count", float, required=True), w.val("unit", str, required=True)
        if count_v is None or unit_v is None:
            return None
        if unit_v.value.lower() not in _UNITS:
            ctx.invalid(f"{unit_v.path}: {unit_v.value!r} is not an OpenSLO v1alpha time unit", unit_v.pos,
                        hint=f"one of {', '.join(u.title() for u in _UNITS)}")
            return None
        if not float(count_v.value).is_integer() or count_v.value <= 0:
            ctx.invalid(f"{count_v.path}: should be a whole number above 0", count_v.pos)
            return None
        count, unit, where = int(count_v.value), _UNITS[unit_v.value.lower()], unit_v
        calendar_unit = unit
    period = _fixed(ctx, count, unit, where)
    if calendar and not _calendar(w, rolling, period, calendar_unit):
        return None
    if naming.duration_seconds(period) < 3600:
        ctx.cannot(f"{where.path}: obsgen's SLO period is at least 1h, to leave room for burn-rate windows",
                   where.pos)
        return None
    return period


def _fixed(ctx: Ctx, count: int, unit: str, where: Val) -> str:
    """A duration in obsgen's units; months, quarters and years as the OpenSLO Go SDK counts them."""
    if unit not in _DAYS:
        return f"{count}{unit}"
    days, one, varies = _DAYS[unit]
    ctx.approximate(f"{where.path}: {one} is {varies}; obsgen's period is a fixed duration: read as {days} days "
                    f"each ({count * days}d), as the OpenSLO Go SDK counts it", where.pos)
    return f"{count * days}d"


_CALENDAR = {"M": "month", "Q": "quarter", "Y": "year", "w": "week", "d": "day", "h": "hour", "m": "minute",
             "s": "second"}


def _calendar(w: Node, rolling: Val | None, period: str, unit: str) -> bool:
    """A calendar-aligned window: imported as rolling, with a warning saying what changes."""
    ctx = w.ctx
    if rolling is not None and rolling.value is True:
        ctx.invalid(f"{w.where('calendar')}: a rolling window (isRolling: true) has no calendar",
                    w.key_pos("calendar"), hint="remove calendar, or set isRolling: false")
        return False
    cal = w.map("calendar")
    start = zone = None
    if cal is not None:
        cal.only(("startTime", "timeZone"))
        start, zone = cal.get("startTime", str), cal.get("timeZone", str)
    since = f" (from {' '.join(x for x in (start, zone) if x)})" if start or zone else ""
    where = w.key_pos("calendar") if "calendar" in w else rolling.pos
    ctx.approximate(f"{w.path}: a calendar-aligned window{since} is imported as a rolling {period}: obsgen's SLO "
                    f"period is rolling (Prometheus range selectors look back from each evaluation), so the error "
                    f"budget is not reset when a calendar {_CALENDAR[unit]} starts; on its first day obsgen still "
                    f"counts the last {period}", where, hint="obsgen has no calendar-aligned periods")
    return True


# ----------------------------------------------------------------------------- objectives

def _target(obj: Node, v1: bool) -> float | None:
    """target (0..1) or targetPercent (0..100) -> obsgen's objective in percent."""
    ctx = obj.ctx
    if v1:
        obj.only(("displayName", "op", "value", "target", "targetPercent", "timeSliceTarget", "timeSliceWindow",
                  "indicator", "indicatorRef", "compositeWeight"))
    else:
        obj.only(("displayName", "op", "value", "target", "timeSliceTarget", "ratioMetrics", "ratioMetric"))
    target, percent = obj.val("target", float), obj.val("targetPercent", float) if v1 else None
    if (target is None) == (percent is None):
        ctx.invalid(f"{obj.path}: give exactly one of target or targetPercent" if v1 else
                    f"{obj.where('target')}: required", obj.pos)
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


def _sli(ind: Indicator, method: str, obj: Node, version: str) -> dict | None:
    """The obsgen SLI of one objective over an indicator, by budgeting method."""
    ctx = obj.ctx
    slice_keys = [k for k in ("timeSliceTarget", "timeSliceWindow") if k in obj]
    if method != "Timeslices" and "timeSliceTarget" in obj:
        ctx.invalid(f"{obj.where('timeSliceTarget')}: only applies to the Timeslices budgeting method",
                    obj.key_pos("timeSliceTarget"))
        return None
    if method == "Occurrences" and slice_keys:
        for key in slice_keys:
            ctx.invalid(f"{obj.where(key)}: time slices only apply to the Timeslices and RatioTimeslices "
                        f"budgeting methods", obj.key_pos(key))
        return None
    if ind.kind == "threshold":
        return _threshold(ind, method, obj, version)
    for key in ("op", "value"):
        if key in obj and (method == "Occurrences" or key == "value"):
            hint = None
            if method == "Timeslices":
                hint = "a time slice is good when its ratio reaches timeSliceTarget: put the value there"
            elif method == "RatioTimeslices":
                hint = ("to count the slices whose ratio reaches a value, use budgetingMethod Timeslices with "
                        "timeSliceTarget")
            ctx.invalid(f"{obj.where(key)}: only a thresholdMetric SLI (or, with Timeslices, a slice's ratio) "
                        f"compares against a value", obj.key_pos(key), hint=hint)
            return None
    if method == "Occurrences":
        return _occurrences(ind)
    slices = _slices(obj, method, version, ratio=True)
    if slices is None:
        return None
    if ind.kind == "raw":
        sel = ind.query.text
        good = f"1 - avg_over_time({sel}[{slices.window}])" if ind.failure else f"avg_over_time({sel}[{slices.window}])"
    else:
        total = _rate(ind, "total", slices.window)
        if ind.good is not None:
            good = f"{_numerator(ind, 'good', slices.window)} / ({_operand(total)} > 0)"
        else:
            good = f"1 - {_numerator(ind, 'bad', slices.window)} / ({_operand(total)} > 0)"
    return {"raw": {"error_ratio": _slice_ratio(good, slices)}}


def _numerator(ind: Indicator, side: str, window: str) -> str:
    """The good or bad events of a slice: 0 when a counter has no series yet (a `code="500"` series
    appears with the first failure), so that a slice with events is judged even then."""
    rate = _rate(ind, side, window)
    return f"({rate} or vector(0))" if ind.selectors[side] is not None else _operand(rate)


def _slice_ratio(good: str, slices: Slices) -> str:
    """The error ratio over {{window}} from a slice's good ratio: the share of bad slices
    (Timeslices), or 1 - the slices' average ratio (RatioTimeslices)."""
    if slices.target is None:
        return f"1 - avg_over_time(({good})[{{{{window}}}}:{slices.window}])"
    bad = f"{good} {'<=' if slices.strict else '<'} bool {fmt_number(slices.target)}"
    return f"avg_over_time(({bad})[{{{{window}}}}:{slices.window}])"


def _slices(obj: Node, method: str, version: str, ratio: bool) -> Slices | None:
    """timeSliceWindow (and timeSliceTarget, op for Timeslices) of an objective."""
    ctx = obj.ctx
    window = None
    if "timeSliceWindow" in obj:
        window = _slice_window(obj)
        if window is None:
            return None
    elif version == V1ALPHA:
        ctx.approximate(f"{obj.path}: OpenSLO v1alpha has no timeSliceWindow; obsgen uses slices of "
                        f"{DEFAULT_SLICE}", obj.pos)
        window = DEFAULT_SLICE
    else:
        ctx.invalid(f"{obj.where('timeSliceWindow')}: required with budgetingMethod {method}", obj.pos,
                    hint="give the length of a time slice, e.g. timeSliceWindow: 1m")
        return None
    if method == "RatioTimeslices":
        op = obj.val("op", str)
        if op is not None and ratio:
            ctx.approximate(f"{op.path}: {op.value} has no value to compare with: RatioTimeslices averages the "
                            f"slices' ratios, so op is ignored", op.pos)
        return Slices(window, None, False)
    target = obj.val("timeSliceTarget", float, required=True)
    if target is None:
        return None
    if not 0 < target.value <= 1:
        ctx.invalid(f"{target.path}: must be above 0 and at most 1", target.pos)
        return None
    strict = False
    if ratio:
        op = obj.val("op", str)
        if op is not None and op.value in ("lt", "lte"):
            ctx.cannot(f"{op.path}: {op.value}: a time slice whose good ratio is below timeSliceTarget is bad; "
                       f"{op.value} would turn that around", op.pos, hint="use gte (the default) or gt")
            return None
        if op is not None and op.value not in ("gt", "gte"):
            ctx.invalid(f"{op.path}: {op.value!r} is not one of lt, lte, gt, gte", op.pos)
            return None
        strict = op is not None and op.value == "gt"
        if strict and target.value == 1:
            ctx.invalid(f"{op.path}: no slice's ratio is above 1, so no slice could be good", op.pos)
            return None
    return Slices(window, target.value, strict)


def _slice_window(obj: Node) -> str | None:
    """timeSliceWindow: a duration shorthand, or a number of minutes."""
    ctx = obj.ctx
    raw = obj.m.get("timeSliceWindow")
    where = Val(raw, obj.val_pos("timeSliceWindow"), obj.key_pos("timeSliceWindow"), obj.where("timeSliceWindow"))
    if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
        window = f"{raw}m"
    elif isinstance(raw, str) and _DURATION.fullmatch(raw) and int(raw[:-1]) > 0:
        window = _fixed(ctx, int(raw[:-1]), raw[-1], where)
    else:
        ctx.invalid(f"{where.path}: {raw!r} is not a duration like 1m or 5m (or a number of minutes)", where.pos)
        return None
    if naming.duration_seconds(window) > BASE_WINDOW:
        ctx.approximate(f"{where.path}: slices of {window} are cut to 5m: obsgen's shortest alert window is 5m, "
                        f"and each window must hold whole slices", where.pos)
        window = "5m"
    return window


def _occurrences(ind: Indicator) -> dict | None:
    """A ratio or raw ratio counted by occurrences."""
    if ind.kind == "raw":
        avg = f"avg_over_time({ind.query.text}[{{{{window}}}}])"
        return {"raw": {"error_ratio": avg if ind.failure else f"1 - {avg}"}}
    if ind.counters() is not None:
        return {"ratio": ind.counters()}
    total = _rate(ind, "total", "{{window}}")
    if ind.good is not None:
        return {"raw": {"error_ratio": f"1 - {_operand(_rate(ind, 'good', '{{window}}'))} / {_operand(total)}"}}
    return {"raw": {"error_ratio": f"{_operand(_rate(ind, 'bad', '{{window}}'))} / {_operand(total)}"}}


_ATOMS = (promql_parser.AggregateExpr, promql_parser.Call, promql_parser.VectorSelector, promql_parser.ParenExpr,
          promql_parser.NumberLiteral, promql_parser.SubqueryExpr)


def _operand(expr: str) -> str:
    """An expression to use as an operand of / - or a comparison: in parentheses unless it is one
    term (a call, an aggregation, a selector), which binds tighter than any operator."""
    probe = expr.replace("{{window}}", "5m")
    atomic = promql_error(probe) is None and isinstance(parse_promql(probe), _ATOMS)
    return expr if atomic else f"({expr})"


def _rate(ind: Indicator, side: str, window: str) -> str:
    """Events per second of one side of a ratio over a window: the counter selector's summed rate,
    or the windowed query with the window filled in."""
    sel = ind.selectors[side]
    return f"sum(rate({sel}[{window}]))" if sel is not None else getattr(ind, side).at(window)


def _threshold(ind: Indicator, method: str, obj: Node, version: str) -> dict | None:
    ctx = obj.ctx
    op, value = obj.val("op", str, required=True), obj.val("value", float, required=True)
    sel = _selector(ctx, ind.query.val, ("max",)) if not ind.query.windowed else None
    if ind.query.windowed:
        ctx.cannot(f"{ind.query.val.path}: a thresholdMetric query is read as a gauge; it takes no "
                   f"{{{{.window}}}}", ind.query.val.pos)
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
    slices = None
    if method == "Timeslices":
        target = obj.val("timeSliceTarget", float)
        if target is not None and target.value == 1 and "timeSliceWindow" not in obj:
            pass  # a slice is one rule evaluation, good when the gauge is within the value: freshness
        else:
            slices = _slices(obj, method, version, ratio=False)
            if slices is None:
                return None
    elif method == "RatioTimeslices":
        if _slices(obj, method, version, ratio=False) is None:
            return None
        ctx.note(f"{obj.pos}: RatioTimeslices over a thresholdMetric: the average over slices of the share of good "
                 f"rule evaluations is the share of good evaluations, obsgen's freshness SLI")
    if sel is None:
        return None
    if slices is None:
        if op.value == "lt":
            ctx.approximate(f"{op.path}: lt read as lte: obsgen counts the gauge good at exactly {value.value:g} too",
                            op.pos)
        return {"freshness": {"gauge": sel, "max": value.value}}
    cmp = "<" if op.value == "lt" else "<="
    good = f"avg_over_time((max({sel}) {cmp} bool {fmt_number(value.value)})[{slices.window}:])"
    return {"raw": {"error_ratio": _slice_ratio(good, slices)}}


# ----------------------------------------------------------------------------- metrics and queries

def _ratio(r: Node, sources: dict) -> Indicator | None:
    """A v1 ratioMetric."""
    ctx = r.ctx
    r.only(("counter", "good", "bad", "total", "rawType", "raw"))
    if "raw" in r:
        for key in ("good", "bad", "total"):
            if key in r:
                ctx.invalid(f"{r.where(key)}: a raw ratio is not used together with good, bad or total",
                            r.key_pos(key))
        kind = r.val("rawType", str, required=True)
        raw = r.map("raw", required=True)
        query = _query(raw, sources) if raw else None
        if kind is not None and kind.value not in ("success", "failure"):
            ctx.invalid(f"{kind.path}: {kind.value!r} is not success or failure", kind.pos)
            return None
        if query is not None and query.windowed:
            ctx.cannot(f"{query.val.path}: a raw ratio is read as a gauge; it takes no {{{{.window}}}}",
                       query.val.pos)
            return None
        sel = _selector(ctx, query.val, ()) if query else None
        if sel is None or kind is None:
            return None
        return Indicator("raw", r, query=Query(query.val, sel), failure=kind.value == "failure")
    if ("good" in r) == ("bad" in r):
        ctx.invalid(f"{r.path}: give exactly one of good or bad, beside total", r.pos)
        return None
    side = "good" if "good" in r else "bad"
    queries = {}
    for key in (side, "total"):
        holder = r.map(key, required=True)
        queries[key] = _query(holder, sources) if holder else None
    return _events(r, queries, r.val("counter", bool))


def _alpha_ratio(r: Node) -> Indicator | None:
    """A v1alpha objective's ratioMetrics {counter | incremental, good | bad, total}."""
    r.only(("counter", "incremental", "good", "bad", "total"))
    if ("good" in r) == ("bad" in r):
        r.ctx.invalid(f"{r.path}: give exactly one of good or bad, beside total", r.pos)
        return None
    side = "good" if "good" in r else "bad"
    queries = {}
    for key in (side, "total"):
        holder = r.map(key, required=True)
        queries[key] = _alpha_query(holder) if holder else None
    return _events(r, queries, r.val("counter", bool) or r.val("incremental", bool))


def _events(r: Node, queries: dict[str, Query | None], counter: Val | None) -> Indicator | None:
    """good (or bad) and total: counter selectors, or queries with a window placeholder."""
    ctx = r.ctx
    if None in queries.values():
        return None
    selectors = {}
    for key, q in queries.items():  # obsgen takes the rate of a plain query: it must be a counter selector
        selectors[key] = _counter_selector(q) if q.windowed else _selector(ctx, q.val, ("sum",))
        if selectors[key] is None and not q.windowed:
            return None
    plain = any(not q.windowed for q in queries.values())
    if plain and counter is not None and counter.value is not True:
        ctx.cannot(f"{counter.path}: obsgen's ratio SLI takes the rate of counters; a ratio of gauges "
                   f"(counter: false) cannot be expressed", counter.pos,
                   hint="set counter: true if the series are counters")
        return None
    if plain and counter is None:
        ctx.approximate(f"{r.path}: counter is not given; obsgen reads good/bad and total as counters and takes "
                        f"their rate (with counter: false, OpenSLO would read them as gauges)", r.pos,
                        hint="say counter: true")
    first, total = queries.get("good") or queries.get("bad"), queries["total"]
    if first.text == total.text:
        ctx.approximate(f"{r.path}: {'good' if 'good' in queries else 'bad'} and total are the same query "
                        f"({total.text!r}): " + ("every event is good, so the SLO can never burn its budget"
                                                 if "good" in queries else "every event is bad"), r.pos,
                        hint="give the query of the good (or bad) events")
    return Indicator("ratio", r, **queries, selectors=selectors)


def _counter_selector(q: Query) -> str | None:
    """What a windowed query `sum(rate(<selector>[{{window}}]))` (or increase) takes the rate of: the
    counter selector of obsgen's ratio SLI. None for any other query."""
    probe = "7919s"  # a range nobody writes, to find where the placeholder stands
    if q.text.count("{{window}}") != 1 or promql_error(q.at(probe)):
        return None
    expr = parse_promql(q.at(probe))
    if not (isinstance(expr, promql_parser.AggregateExpr) and str(expr.op) == "sum" and expr.modifier is None
            and expr.param is None and isinstance(expr.expr, promql_parser.Call)
            and expr.expr.func.name in ("rate", "increase") and len(expr.expr.args) == 1):
        return None
    m = expr.expr.args[0]
    if not isinstance(m, promql_parser.MatrixSelector) or m.range.total_seconds() != 7919:
        return None
    vs = m.vector_selector
    if vs.offset is not None or vs.at is not None:
        return None
    return vs.prettify()


def _query(holder: Node | None, sources: dict) -> Query | None:
    """The PromQL query of a v1 `{metricSource: {metricSourceRef | type, spec: {query}}}` block."""
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
        src = sources[ref.value].node.map("spec")
        kind = src.val("type", str, required=True) if src else None
        if src is not None:
            src.only(("description", "type", "connectionDetails"))
    if kind is None:
        if ref is None:
            ctx.invalid(f"{ms.path}: give type (or metricSourceRef to a DataSource)", ms.pos)
        return None
    spec = ms.map("spec", required=True)
    query = spec.val("query", str) if spec else None
    if not _speaks_promql(ctx, kind, query):
        return None
    if spec is None:
        return None
    for key in spec.m:
        if key != "query":
            ctx.cannot(f"{spec.where(key)}: obsgen reads only `query` from a PromQL metric source",
                       spec.key_pos(key))
    if query is None:
        spec.val("query", str, required=True)
        return None
    return _promql(ctx, query)


def _alpha_query(m: Node) -> Query | None:
    """A v1alpha metric: {source, queryType, query, metadata}."""
    ctx = m.ctx
    m.only(("source", "queryType", "query", "metadata"))
    source, qtype = m.val("source", str, required=True), m.val("queryType", str)
    query = m.val("query", str, required=True)
    if source is None or query is None:
        return None
    if qtype is not None and qtype.value.lower() != "promql":
        if not _speaks_promql(ctx, qtype, query, what="query type"):
            return None
    elif not _speaks_promql(ctx, source, query):
        return None
    if m.m.get("metadata"):
        ctx.cannot(f"{m.where('metadata')}: passes details to a data source; obsgen reads only `query`",
                   m.key_pos("metadata"))
    return _promql(ctx, query)


def _speaks_promql(ctx: Ctx, kind: Val, query: Val | None, what: str = "metric source type") -> bool:
    """Whether a metric source's query is PromQL: by its type, or, for a type obsgen does not know,
    by the query itself (then with a warning)."""
    key = re.sub(r"[\s_-]+", "", kind.value).lower()
    if key in PROMQL_SOURCES:
        if key not in ("prometheus", "promql", "sloth"):
            ctx.note(f"{kind.pos}: {kind.value} speaks PromQL: its query is imported as it is; obsgen's rules must "
                     f"run where its data is (the Prometheus, or the ruler, that loads them)")
        return True
    if key not in OTHER_SOURCES and query is not None and promql_error(_WINDOW.sub("5m", query.value.strip())) is None:
        ctx.approximate(f"{kind.path}: {what} {kind.value!r} does not say PromQL, but its query "
                        f"{query.value.strip()!r} is valid PromQL: imported as a Prometheus query, run where obsgen's "
                        f"rules run",
                        kind.pos, hint="check that the query names your Prometheus series, then say type: Prometheus")
        return True
    ctx.cannot(f"{kind.path}: {what} {kind.value!r} cannot be expressed: obsgen's SLO rules run in Prometheus",
               kind.pos, hint="only PromQL queries import (type Prometheus)")
    return False


def _promql(ctx: Ctx, query: Val) -> Query | None:
    """A query as obsgen uses it: Sloth's {{.window}} becomes {{window}}; it must parse."""
    text = _WINDOW.sub("{{window}}", query.value.strip())
    if "{{" in text.replace("{{window}}", ""):
        ctx.cannot(f"{query.path}: obsgen fills in only the window ({{{{.window}}}}); other Go template actions "
                   f"cannot be expressed", query.pos)
        return None
    if not promql_ok(ctx, query, text.replace("{{window}}", "5m")):
        return None
    return Query(query, text)


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
