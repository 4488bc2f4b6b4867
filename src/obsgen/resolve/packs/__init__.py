"""Batteries: what a service gets without writing it.

- its exporter's **pack** (`scrape.exporter.kind`): alerts scoped to the service's job, and a
  dashboard with an instance variable (packs/exporters);
- its **type**'s golden signals (`type: http|grpc`): recording rules, error and latency alerts, an
  overview dashboard, read from a metric convention (packs/signals);
- its **tier**'s SLOs, for a typed service: availability and latency, paging at tier 1, ticketing
  at tier 2, none at tiers 3 and 4;
- key panels of the services it `depends_on`, on its dashboard.

`batteries:` on the service tunes each by name (threshold, for, severity, objective, ...) or turns
it off; an alert, SLO or recording rule of the same name written by the service replaces the one
added. `battery(...)` returns all of it with, per object, where it came from and what was done to
it (`obsgen explain --packs`); `offered(...)` says by name only what a service would get, which is
what the checks need (a tuned name that nothing adds is an error there).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from string import Template

from obsgen.core import naming
from obsgen.core.routes import parse_matchers
from obsgen.resolve.derived import Derived
from obsgen.resolve.packs.data import Pack, PackAlert, PackPanel
from obsgen.resolve.packs.exporters import PACKS
from obsgen.resolve.packs.signals import CONVENTIONS, LATENCY_THRESHOLDS, SATURATION, Convention
from obsgen.resolve.packs.signals import pack as type_pack
from obsgen.resolve.slo import fmt_duration, fmt_number
from obsgen.spec import AlertSpec, DashboardSpec, RecordingRuleSpec, RouteSpec, ServiceSpec
from obsgen.spec.services import MetricSpec
from obsgen.spec.slos import SLOSpec

# Tier -> (availability objective, latency objective, whether fast burns page); tiers 3 and 4: none.
TIER_SLOS = {1: (99.9, 99.0, True), 2: (99.9, 99.0, False)}


@dataclass(frozen=True)
class Added:
    """One thing a service got, for `obsgen explain --packs`."""

    what: str  # alert | recording rule | SLO | dashboard
    name: str
    source: str  # "postgres pack", "http type", "tier 1", "depends_on"
    state: str  # "added", "tuned: threshold 0.9", "off", "replaced by the service's own"


@dataclass(frozen=True)
class Battery:
    alerts: tuple[Derived, ...] = ()
    records: tuple[RecordingRuleSpec, ...] = ()
    slos: tuple[SLOSpec, ...] = ()
    dashboards: tuple[DashboardSpec, ...] = ()
    metrics: tuple[MetricSpec, ...] = ()
    added: tuple[Added, ...] = ()


EMPTY = Battery()


def dashboard_uid(service: str) -> str:
    return naming.owned_uid("svc", service)


def job_matcher(job: str) -> str:
    """`job="<job>"`, the name quoted as a PromQL string (a quote or a backslash in it escaped)."""
    return f"job={json.dumps(job, ensure_ascii=False)}"


def job_of(service: ServiceSpec) -> str:
    sc = service.scrape
    return (sc.job if sc is not None and sc.job else None) or service.name


# The gauges a service names for its type's alerts, and the type that reads each.
SIGNAL_TYPES = {"backlog": "worker", "oldest_age": "worker", "last_success": "batch"}

# Kubernetes presets whose component has a pack: the kubelets, and the cAdvisor inside them.
PRESET_PACKS = {"nodes": "kubelet", "cadvisor": "cadvisor"}


def packs_of(service: ServiceSpec) -> list[tuple[Pack, str, tuple]]:
    """(pack, where it comes from in words, the spec path that brings it) for the service."""
    out = []
    sc = service.scrape
    if sc is not None and sc.exporter is not None and sc.exporter.kind in PACKS:
        out.append((PACKS[sc.exporter.kind], f"{sc.exporter.kind} pack", ("scrape", "exporter", "kind")))
    elif sc is not None and sc.kubernetes is not None and PRESET_PACKS.get(sc.kubernetes.preset or "") in PACKS:
        kind = PRESET_PACKS[sc.kubernetes.preset or ""]
        out.append((PACKS[kind], f"{kind} pack", ("scrape", "kubernetes", "preset")))
    if service.type is not None:
        out.append((type_pack(service.type), f"{service.type} type", ("type",)))
    return out


def rows_of(pack: Pack, service: ServiceSpec) -> tuple:
    """The pack's rows for the service: a type's overview also shows saturation, where the
    service's convention has a metric of it."""
    conv = convention(service) if pack.kind == service.type else None
    return pack.rows + ((SATURATION,) if conv is not None and conv.saturation else ())


def convention(service: ServiceSpec) -> Convention | None:
    if service.type is None:
        return None
    s = service.signals
    base = CONVENTIONS.get((service.type, s.convention))
    if base is None:  # no convention names it (a batch job, a worker's Prometheus client): the service's own
        if not s.requests:
            return None
        return Convention(s.requests, s.errors or "", s.duration or "", 1, (), None)
    if not (s.requests or s.duration or s.errors):
        return base
    return Convention(s.requests or base.requests, s.errors or base.errors, s.duration or base.duration,
                      base.scale if not s.duration else 1, base.metrics if not (s.requests or s.duration) else (),
                      base.saturation)


def _words(conv: Convention | None, job: str, service: ServiceSpec | None = None) -> dict[str, str]:
    words = {"job": job_matcher(job)}
    if service is not None:
        s = service.signals
        words.update({name: getattr(s, name) for name in SIGNAL_TYPES if getattr(s, name)})
    if conv is not None:
        words.update(requests=conv.requests, errors=conv.errors, bucket=f"{conv.duration}_bucket",
                     per_second="" if conv.scale == 1 else f" / {fmt_number(conv.scale)}",
                     saturation=conv.saturation or "")
    return words


def _fill(text: str, words: dict[str, str]) -> str:
    return Template(text).safe_substitute(words)


UNROUTED = "off: no route of routing.routes names it to take it to a dead man's switch"


def needs_collector(collector: str) -> str:
    if collector.startswith("signals."):
        return f"off: reads {collector}, which the service does not name"
    return f"off: reads the exporter's {collector} collector, not in scrape.exporter.collectors"


def collectors_of(service: ServiceSpec) -> frozenset[str]:
    """What the service has that a pack alert or panel may need (PackAlert.needs): the exporter
    collectors it turns on beyond the defaults, and `signals.<field>` for each signal it names (a
    worker's backlog, a batch job's last success; `signals.errors` where it names failed runs)."""
    sc = service.scrape
    out = set(sc.exporter.collectors) if sc is not None and sc.exporter is not None else set()
    s = service.signals
    out |= {f"signals.{name}" for name in SIGNAL_TYPES if getattr(s, name)}
    if s.requests and s.errors:
        out.add("signals.errors")
    return frozenset(out)


def heartbeat_route(routes: list[RouteSpec], labels: dict[str, str]) -> RouteSpec | None:
    """The route of the spec's own that takes a heartbeat with these labels (alertname included)
    to a dead man's switch: the first top-level route tried before obsgen's (position first)
    whose matchers all hold, if it names the alert by `alertname` and has a receiver."""
    for r in routes:
        if r.position == "last":
            continue
        matchers = [m for text in r.matchers for m in parse_matchers(text)]
        if all(m.matches(labels) for m in matchers):
            named = any(m.name == "alertname" for m in matchers)
            return r if named and r.receiver else None
    return None


def battery(service: ServiceSpec, services: dict[str, ServiceSpec], runbooks_url: str | None,
            routed: Callable[[AlertSpec], bool] = lambda spec: False) -> Battery:
    """Everything the service gets from packs, its type, its tier and its dependencies; a
    heartbeat alert only if `routed` says a route of the spec's own takes it (heartbeat_route)."""
    tune = service.batteries
    if not tune.enabled:
        return EMPTY
    job = job_of(service)
    conv = convention(service)
    words = _words(conv, job, service)
    own_alerts = {a.name for a in service.alerts}
    own_records = {r.record for r in service.recording_rules}
    own_slos = {s.name for s in service.slos}
    alerts: list[Derived] = []
    records: list[RecordingRuleSpec] = []
    added: list[Added] = []
    packs = packs_of(service)
    have = collectors_of(service)
    for pack, source, path in packs:
        if pack.kind == service.type and conv is None and pack.kind != "batch":
            continue  # no metric names to read its signals from (OBS076 said so)
        for rec in pack.records:
            name = rec.record
            if name in own_records:
                added.append(Added("recording rule", name, source, "replaced by the service's own"))
                continue
            records.append(RecordingRuleSpec.model_validate({"record": name, "expr": _fill(rec.expr, words)}))
            added.append(Added("recording rule", name, source, "added"))
        for pa in pack.alerts:
            if pa.name in own_alerts:
                added.append(Added("alert", pa.name, source, "replaced by the service's own"))
                continue
            if pa.needs and pa.needs not in have:
                added.append(Added("alert", pa.name, source, needs_collector(pa.needs)))
                continue
            made = _alert(pa, service, tune.alerts.get(pa.name), words, runbooks_url)
            if made is None:
                added.append(Added("alert", pa.name, source, "off"))
            elif pa.heartbeat and not routed(made[0]):
                added.append(Added("alert", pa.name, source, UNROUTED))
            else:
                spec, state = made
                origin = ("batteries", "alerts", pa.name) if pa.name in tune.alerts else path
                alerts.append(Derived(spec, origin))
                added.append(Added("alert", pa.name, source, state))
    slos, slo_added = _tier_slos(service, conv, job, own_slos, runbooks_url)
    added += slo_added
    dashboards = _dashboards(service, services, packs, words)
    added += [Added("dashboard", d.title, "packs", "added") for d in dashboards]
    metrics = ()
    if conv is not None:
        have = {m.name for m in service.metrics}
        metrics = tuple(MetricSpec(name=n, type=t, labels=list(labels), help=h, buckets=list(b) if b else None)
                        for n, t, labels, h, b in conv.metrics if n not in have)
    return Battery(tuple(alerts), tuple(records), tuple(slos), tuple(dashboards), metrics, tuple(added))


def runbook_link(runbooks_url: str | None, service: str, alert: str) -> str | None:
    return f"{runbooks_url.rstrip('/')}/{service}.md#{alert.lower()}" if runbooks_url else None


def _alert(pa: PackAlert, service: ServiceSpec, tuned, words: dict[str, str],
           runbooks_url: str | None) -> tuple[AlertSpec, str] | None:
    if tuned is not None and not tuned.enabled:
        return None
    changes = []
    threshold = pa.threshold
    if tuned is not None:
        for field in ("threshold", "for_", "severity", "category", "team", "summary", "description", "runbook_url"):
            value = getattr(tuned, field)
            if value is not None:
                changes.append(f"{field.rstrip('_')} {fmt_number(value) if isinstance(value, float) else value}")
        if tuned.labels:
            changes.append("labels " + ", ".join(f"{k}={v}" for k, v in sorted(tuned.labels.items())))
        if tuned.silence:
            changes.append("silenced " + ", ".join(sorted(tuned.silence)))
        if tuned.threshold is not None:
            threshold = tuned.threshold

    def pick(field: str, default):
        value = getattr(tuned, field) if tuned is not None else None
        return default if value is None else value

    for_ = pick("for_", pa.for_)
    told = {**words, "for": for_}  # what the texts restate: the alert's own threshold and for
    if threshold is not None:
        told["threshold"] = f"{threshold * 100:g}%" if pa.unit.startswith("ratio") else fmt_number(threshold)
        if pa.unit == "seconds" and threshold >= 1 and float(threshold).is_integer():
            told["duration"] = fmt_duration(int(threshold))
    expr = _fill(pa.expr, {**words, **({"threshold": fmt_number(threshold)} if threshold is not None else {})})
    spec = AlertSpec.model_validate({
        "name": pa.name, "expr": expr, "for": for_, "severity": pick("severity", pa.severity),
        "category": pick("category", pa.category), "team": pick("team", None),
        "summary": pick("summary", _fill(pa.summary, told)),
        "description": pick("description", _fill(pa.description, told)),
        "runbook_url": pick("runbook_url", runbook_link(runbooks_url, service.name, pa.name)),
        "labels": dict(tuned.labels) if tuned is not None else {},
        "silence": dict(tuned.silence) if tuned is not None else {}})
    return spec, ("tuned: " + "; ".join(changes)) if changes else "added"


def _gets_tier_slos(service: ServiceSpec, conv: Convention | None) -> bool:
    """Whether the service's tier gives it SLOs: a tier with SLOs, a type with a latency threshold,
    and a convention (or names of its own) with failed requests and a duration histogram."""
    return (conv is not None and service.tier in TIER_SLOS and service.type in LATENCY_THRESHOLDS
            and bool(conv.errors) and bool(conv.duration))


def _tier_slos(service: ServiceSpec, conv: Convention | None, job: str, own: set[str],
               runbooks_url: str | None) -> tuple[list[SLOSpec], list[Added]]:
    if not _gets_tier_slos(service, conv):
        return [], []
    availability, latency, page = TIER_SLOS[service.tier]
    source = f"tier {service.tier}"
    sel = job_matcher(job)
    made = {
        "availability": {"objective": availability, "description": f"Requests to {service.name} that do not fail",
                         "sli": {"ratio": {"bad": f"{conv.requests}{{{sel}, {conv.errors}}}",
                                           "total": f"{conv.requests}{{{sel}}}"}}},
        "latency": {"objective": latency, "description": f"Requests to {service.name} answered in time",
                    "sli": {"latency": {"histogram": conv.duration, "threshold": LATENCY_THRESHOLDS[service.type] * conv.scale,
                                        "matchers": sel}}},
    }
    out, added = [], []
    for name, body in made.items():
        tuned = service.batteries.slos.get(name)
        if name in own:
            added.append(Added("SLO", name, source, "replaced by the service's own"))
            continue
        if tuned is not None and not tuned.enabled:
            added.append(Added("SLO", name, source, "off"))
            continue
        changes = []
        pages = page
        if tuned is not None:
            if tuned.objective is not None:
                body["objective"] = tuned.objective
                changes.append(f"objective {fmt_number(tuned.objective)}")
            if tuned.period is not None:
                body["period"] = tuned.period
                changes.append(f"period {tuned.period}")
            if tuned.threshold is not None and "latency" in body["sli"]:
                body["sli"]["latency"]["threshold"] = tuned.threshold * conv.scale
                changes.append(f"threshold {fmt_number(tuned.threshold)}s")
            if tuned.page is not None:
                pages = tuned.page
                changes.append("pages" if pages else "tickets only")
        alerting: dict = {"runbook_url": runbook_link(runbooks_url, service.name, f"slo-{name}")} \
            if runbooks_url else {}
        if not pages:
            alerting["page"] = {"enabled": False, "severity": "critical"}
        out.append(SLOSpec.model_validate({"name": name, **body, "alerting": alerting}))
        what = f"{fmt_number(body['objective'])}% over {body.get('period', '30d')}, " + \
            ("fast burns page" if pages else "burns open tickets")
        added.append(Added("SLO", name, source, (f"tuned ({'; '.join(changes)}): " if changes else "added: ") + what))
    return out, added


def _panels(panels: tuple[PackPanel, ...], words: dict[str, str], sel: str, off: dict,
            collectors: frozenset[str] = frozenset()) -> list[dict]:
    out = []
    for p in panels:
        if (p.title in off and not off[p.title].enabled) or (p.needs and p.needs not in collectors):
            continue
        told = {**words, "sel": sel}
        if "saturation" in told:  # a query of its own, over the same selector
            told["saturation"] = _fill(told["saturation"], {"sel": sel})
        panel: dict = {"title": p.title, "type": p.type,
                       "queries": [{"expr": _fill(e, told), "legend": legend} for e, legend in p.queries]}
        for field in ("unit", "width", "min", "max", "description"):
            if getattr(p, field) is not None:
                panel[field] = getattr(p, field)
        out.append(panel)
    return out


def _dashboards(service: ServiceSpec, services: dict[str, ServiceSpec], packs,
                words: dict[str, str]) -> list[DashboardSpec]:
    """One dashboard per service with a pack or a type: its rows, then its dependencies' key panels."""
    if not packs:
        return []
    off = service.batteries.panels
    sel = f'{words["job"]}, instance=~"$instance"'
    rows = []
    for pack, _, _ in packs:
        for row, panels in rows_of(pack, service):
            chosen = _panels(panels, words, sel, off, collectors_of(service))
            if chosen:
                rows.append({"title": row, "type": "row", "panels": chosen})
    for name in service.depends_on:
        dep = services.get(name)
        if dep is None or not dep.batteries.enabled:
            continue
        dep_words = _words(convention(dep), job_of(dep), dep)
        key = [p for pack, _, _ in packs_of(dep) for _, panels in rows_of(pack, dep) for p in panels if p.key]
        chosen = _panels(tuple(key), dep_words, dep_words["job"], {}, collectors_of(dep))
        if chosen:
            rows.append({"title": f"Dependency: {name}", "type": "row", "collapsed": False, "panels": chosen})
    if not rows:
        return []
    title = " and ".join(p.title for p, _, _ in packs)
    job = words["job"]
    return [DashboardSpec.model_validate({
        "title": f"{service.name}: {title}", "uid": dashboard_uid(service.name), "folder": "Services",
        "team": service.team, "tags": ["obsgen-pack", *[p.kind for p, _, _ in packs], service.name],
        "variables": [{"name": "instance", "query": f"label_values(up{{{job}}}, instance)", "label": "Instance",
                       "multi": True, "include_all": True, "current": "$__all"}],
        "panels": rows})]


@dataclass(frozen=True)
class Offered:
    """What a service is offered, by name, without building it (for the checks)."""

    alerts: dict[str, tuple[str, str, tuple, bool]]  # name -> (severity, category, spec path that brings it, on)
    slos: tuple[str, ...]
    panels: tuple[str, ...]
    latency: tuple[str, float] | None  # (histogram, threshold in its unit) of the tier's latency SLO


def offered(service: ServiceSpec) -> Offered:
    alerts: dict[str, tuple[str, str, tuple, bool]] = {}
    panels: list[str] = []
    own = {a.name for a in service.alerts}
    have = collectors_of(service)
    for pack, _, path in packs_of(service):
        for pa in pack.alerts:
            tuned = service.batteries.alerts.get(pa.name)
            origin = ("batteries", "alerts", pa.name) if tuned is not None else path
            alerts[pa.name] = ((tuned.severity if tuned is not None and tuned.severity else pa.severity),
                               (tuned.category if tuned is not None and tuned.category else pa.category), origin,
                               service.batteries.enabled and (tuned is None or tuned.enabled)
                               and pa.name not in own and (not pa.needs or pa.needs in have))
        panels += [p.title for _, row in rows_of(pack, service) for p in row]
    conv = convention(service)
    slos: tuple[str, ...] = ()
    latency = None
    if _gets_tier_slos(service, conv):
        slos = ("availability", "latency")
        tuned = service.batteries.slos.get("latency")
        if service.batteries.enabled and (tuned is None or tuned.enabled):
            threshold = tuned.threshold if tuned is not None and tuned.threshold is not None \
                else LATENCY_THRESHOLDS[service.type]
            latency = (conv.duration, threshold * conv.scale)
    return Offered(alerts, slos, tuple(panels), latency)
