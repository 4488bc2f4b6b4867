"""The monitoring's own objectives: how soon each alert can notify, and how much is covered.

Time to notify is the worst case from an alert's condition becoming true to its first
notification: the condition shows up at the next scrape (scrape interval), the rule sees it at its
next evaluation (the group's interval), it must then hold for `for`, and Alertmanager waits
`group_wait` before the first notification of a new group (the route's, found by evaluating the
generated routing tree). Where an alert reaches several receivers, the first notification is the
earliest of them. Routes that are only active in some time intervals notify outside them later,
when the interval starts; that is reported, not added.

Coverage: for each service, whether it has an owner that can be notified, a scrape job, at least
one alert (its own or an SLO's), an SLO, and a dashboard that queries its metrics or its job.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from obsgen.check.lint.catalog import EXPORTER_PREFIXES
from obsgen.check.silences import Finding
from obsgen.core import naming
from obsgen.core.diagnostics import error, warning
from obsgen.core.routes import match_routes
from obsgen.load.yaml import YMap
from obsgen.resolve.model import Model
from obsgen.resolve.routing_table import has_channels
from obsgen.resolve.slo import alert_rules, detection_seconds, fmt_duration
from obsgen.spec.parse import Parsed, locate
from obsgen.targets.alertmanager import config

ASPECTS = ("owner", "scrape", "alerts", "slo", "dashboard")
_TOKEN = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


@dataclass(frozen=True)
class AlertTiming:
    alert: str
    service: str
    severity: str
    team: str
    receivers: tuple[str, ...]
    scrape_seconds: float
    evaluation_seconds: float
    for_seconds: float
    group_wait_seconds: float
    only_during: tuple[str, ...]  # the route is only active in these time intervals
    muted_during: tuple[str, ...]
    slo: str | None = None  # set for the alerts an SLO generates
    origin: tuple = ()  # set for alerts obsgen derives: their source below the service, e.g. ("probes", 0)
    # SLO burn-rate alerts: how long a full outage takes to burn past the tier's threshold
    # (resolve/slo.detection_seconds, which the generated SLO tests assert too).
    detection_seconds: float = 0.0

    @property
    def time_to_notify_seconds(self) -> float:
        return (self.detection_seconds + self.scrape_seconds + self.evaluation_seconds + self.for_seconds
                + self.group_wait_seconds)

    def to_dict(self) -> dict:
        return {"alert": self.alert, "service": self.service, "severity": self.severity, "team": self.team,
                "receivers": list(self.receivers), "time_to_notify_seconds": self.time_to_notify_seconds,
                "parts": {"detection": self.detection_seconds, "scrape_interval": self.scrape_seconds,
                          "evaluation_interval": self.evaluation_seconds, "for": self.for_seconds,
                          "group_wait": self.group_wait_seconds},
                "only_during": list(self.only_during), "muted_during": list(self.muted_during),
                "slo": self.slo}


@dataclass(frozen=True)
class Coverage:
    service: str
    team: str
    aspects: dict[str, bool]

    def covered(self, required: tuple[str, ...]) -> bool:
        return all(self.aspects[a] for a in required)


class Explainer:
    def __init__(self, model: Model):
        self.model = model
        self.g = model.spec.global_

    @cached_property
    def config(self) -> dict:
        return config(self.model)

    def _timing(self, name: str, service, labels: dict[str, str], for_: str | None, slo: str | None,
                team: str, origin: tuple = (), detect: float = 0.0) -> AlertTiming:
        hits = match_routes(self.config, {**labels, "alertname": name})
        first = min(hits, key=lambda h: naming.duration_seconds(h.group_wait))
        scrape = (service.scrape.interval if service.scrape and service.scrape.interval else None) or \
            self.g.scrape_interval
        if origin[:1] == ("probes",):
            scrape = service.probes[origin[1]].interval or self.g.scrape_interval
        evaluation = (service.rule_group.interval if slo is None else None) or self.g.evaluation_interval
        return AlertTiming(
            alert=name, service=service.name, severity=labels.get("severity", ""), team=team,
            receivers=tuple(h.receiver for h in hits), scrape_seconds=naming.duration_seconds(scrape),
            evaluation_seconds=naming.duration_seconds(evaluation),
            for_seconds=naming.duration_seconds(for_) if for_ else 0.0,
            group_wait_seconds=naming.duration_seconds(first.group_wait),
            only_during=tuple(first.active_time_intervals), muted_during=tuple(first.mute_time_intervals), slo=slo,
            origin=origin, detection_seconds=detect)

    @cached_property
    def timings(self) -> list[AlertTiming]:
        by_name = {s.name: s for s in self.model.services}
        # The labels the alert reaches Alertmanager with: the rule's, over the external labels.
        external = dict(self.g.external_labels)
        out = [self._timing(a.name, by_name[a.service], {**external, **a.sent_labels}, a.spec.for_, None, a.team,
                            a.origin) for a in self.model.alerts]
        for slo in self.model.slos:
            for rule in alert_rules(slo):
                detect = detection_seconds(slo, rule["labels"].get("slo_tier", "")) or 0.0
                out.append(self._timing(rule["alert"], slo.service, {**external, **rule["labels"]}, rule.get("for"),
                                        slo.spec.name, slo.team, detect=detect))
        return sorted(out, key=lambda t: (t.service, t.alert))

    @cached_property
    def coverage(self) -> list[Coverage]:
        tokens: set[str] = set()
        for _, d in self.model.dashboards:
            for _, p in d.all_panels():  # rows' panels too
                for q in p.queries:
                    if q.expr is None:  # another datasource's query, in `extra`
                        continue
                    tokens.update(_TOKEN.findall(q.expr))
                    tokens.update(f"job={v}" for v in re.findall(r'job\s*=~?\s*"([^"]*)"', q.expr))
        slo_alerting = {s.service.name for s in self.model.slos
                        if s.spec.alerting.page.enabled or s.spec.alerting.ticket.enabled}
        alerting = slo_alerting | {a.service for a in self.model.alerts}
        out = []
        for s in self.model.services:
            team = self.model.teams.get(s.team)
            series = {m.name for m in s.metrics} | {f"{m.name}{suffix}" for m in s.metrics
                                                    if m.type in ("histogram", "summary")
                                                    for suffix in ("_bucket", "_sum", "_count")}
            jobs = {(s.scrape.job if s.scrape else None) or s.name} | {naming.probe_job(s.name, p.name)
                                                                       for p in s.probes}
            exporter = s.scrape.exporter.kind if s.scrape and s.scrape.exporter else None
            # An exporter's series are the exporter's: a dashboard querying them shows this service.
            family = EXPORTER_PREFIXES.get(exporter, ()) if exporter else ()
            aspects = {
                "owner": team is not None and any(has_channels(self.model, team, sev) for sev in
                                                                self.model.spec.routing.severity_names),
                "scrape": s.scrape is not None or bool(s.probes),
                "alerts": s.name in alerting,
                "slo": bool(s.slos),
                "dashboard": bool(series & tokens) or any(f"job={job}" in tokens for job in jobs)
                             or any(t.startswith(family) for t in tokens if family),
            }
            out.append(Coverage(s.name, s.team, aspects))
        return out

    def required(self) -> tuple[str, ...]:
        """What `covered` counts: the coverage objective's list, else everything but an SLO (which
        not every service, an exporter say, needs unless an objective asks for one)."""
        cov = self.g.objectives.coverage
        return tuple(cov.require) if cov else tuple(a for a in ASPECTS if a != "slo")

    def covered_percent(self) -> float:
        rows = self.coverage
        if not rows:
            return 100.0
        return 100.0 * sum(c.covered(self.required()) for c in rows) / len(rows)


def findings(tree: YMap, parsed: Parsed, model: Model) -> list[Finding]:
    objectives = model.spec.global_.objectives
    if not objectives.time_to_notify and objectives.coverage is None:
        return []
    ex = Explainer(model)
    out: list[Finding] = []
    services = {s.name: i for i, s in parsed.items["services"]}
    if objectives.time_to_notify:
        for t in ex.timings:
            target = objectives.time_to_notify.get(t.severity)  # type: ignore[call-overload]
            if target is None or t.time_to_notify_seconds <= naming.duration_seconds(target):
                continue
            i = services[t.service]
            if t.origin:
                owner = ("services", i, *t.origin)
                at = locate(tree, owner)[0]
                what = f"alert {t.alert} (service {t.service}, generated from {'.'.join(map(str, t.origin))})"
            elif t.slo is None:
                j = next(j for j, a in enumerate(parsed.items["services"][_pos(parsed, i)][1].alerts)
                         if a.name == t.alert and a.severity == t.severity)
                owner: tuple = ("services", i, "alerts", j)
                at = locate(tree, owner + ("for",))[0] if t.for_seconds else locate(tree, owner + ("name",))[0]
                what = f"alert {t.alert} (service {t.service})"
            else:
                j = next(j for j, o in enumerate(parsed.items["services"][_pos(parsed, i)][1].slos) if o.name == t.slo)
                owner = ("services", i, "slos", j)
                at = locate(tree, owner + ("name",))[0]
                what = f"SLO {t.slo} (service {t.service})"
            parts = (f"scrape {t.scrape_seconds:g}s + evaluation {t.evaluation_seconds:g}s + for {t.for_seconds:g}s "
                     f"+ group_wait {t.group_wait_seconds:g}s")
            burn = ""
            hint = "shorten `for`, the route's group_wait or the scrape/evaluation interval"
            if t.detection_seconds:
                burn = f"a full outage burning past the threshold {fmt_duration(round(t.detection_seconds))} + "
                hint = ("a burn-rate alert waits until a share of the error budget is spent, and a looser objective "
                        "has more budget: raise the objective, or alert on the outage itself too")
            out.append(Finding(warning(
                "OBS070", f"{t.severity} alert {t.alert} can take {fmt_duration(round(t.time_to_notify_seconds))} "
                          f"to notify in {model.env} ({burn}{parts}), over the objective of {target}", at,
                hint=hint), owner, what))
    if objectives.coverage is not None:
        percent = ex.covered_percent()
        if percent < objectives.coverage.min_percent:
            missing = [f"{c.service} (no {', '.join(a for a in ex.required() if not c.aspects[a])})"
                       for c in ex.coverage if not c.covered(ex.required())]
            owner = ("global", "objectives", "coverage")
            out.append(Finding(error(
                "OBS071", f"monitoring coverage is {percent:.1f}% of services, below the objective of "
                          f"{objectives.coverage.min_percent:g}%: {'; '.join(missing)}",
                locate(tree, owner + ("min_percent",))[0],
                hint="`obsgen explain --coverage` shows the table"), owner, "coverage objective"))
    return out


def _pos(parsed: Parsed, tree_index: int) -> int:
    return next(k for k, (i, _) in enumerate(parsed.items["services"]) if i == tree_index)
