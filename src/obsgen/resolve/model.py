"""The resolved model: one environment's spec, merged, defaulted, references checked.

Targets receive a `Model` and may assume it is valid.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from obsgen.core import naming
from obsgen.resolve import derived, packs
from obsgen.resolve.probes import uptime_panels
from obsgen.resolve.slo import SLO, dashboard
from obsgen.spec import AlertSpec, DashboardSpec, ProjectSpec, RecordingRuleSpec, ServiceSpec, TeamSpec
from obsgen.spec.services import MetricSpec


@dataclass(frozen=True)
class Alert:
    spec: AlertSpec
    service: str
    team: str
    added_labels: tuple[str, ...] = ("team", "category", "service")
    origin: tuple = ()  # derived alerts: where below the service they come from, e.g. ("probes", 0)
    group_labels: tuple[tuple[str, str], ...] = ()  # the rule group's labels, which Prometheus adds to the rule's

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def labels(self) -> dict[str, str]:
        out = dict(self.spec.labels)
        out["severity"] = self.spec.severity
        own = {"team": self.team, "category": self.spec.category, "service": self.service}
        out.update({k: v for k, v in own.items() if k in self.added_labels and v is not None})
        return dict(sorted(out.items()))

    @property
    def sent_labels(self) -> dict[str, str]:
        """The labels the alert fires with: the rule group's, then the rule's own (which win)."""
        return {**dict(self.group_labels), **self.labels}

    @property
    def annotations(self) -> dict[str, str]:
        out = dict(self.spec.annotations)
        if self.spec.summary:
            out["summary"] = self.spec.summary
        if self.spec.description:
            out["description"] = self.spec.description
        if self.spec.runbook_url:
            out["runbook_url"] = self.spec.runbook_url
        return dict(sorted(out.items()))


@dataclass(frozen=True, order=True)
class Silenced:
    """A finding the spec silenced on an object, with the spec's reason (check/silences.py)."""

    what: str
    code: str
    reason: str
    message: str



def _alert_of(spec: AlertSpec, service: ServiceSpec, origin: tuple = ()) -> Alert:
    """An alert rule of the service: its team the alert's own (a spec's, or one a battery tunes),
    else the service's; its labels the rule group's."""
    return Alert(spec, service.name, spec.team or service.team, tuple(service.rule_group.alert_labels), origin,
                 tuple(sorted(service.rule_group.labels.items())))


@dataclass(frozen=True)
class Model:
    env: str
    sources: tuple[str, ...]
    spec: ProjectSpec
    silenced: tuple[Silenced, ...] = field(default=())  # checks the spec silenced, with reasons
    removed: tuple[str, ...] = field(default=())  # what this environment's overrides removed (`$delete`)

    @cached_property
    def teams(self) -> dict[str, TeamSpec]:
        return {t.name: t for t in sorted(self.spec.teams, key=lambda t: t.name)}

    @cached_property
    def services(self) -> list[ServiceSpec]:
        return sorted(self.spec.services, key=lambda s: s.name)

    @cached_property
    def batteries(self) -> dict[str, packs.Battery]:
        """What each service gets from its exporter's pack, its type and its tier (resolve/packs)."""
        by_name = {s.name: s for s in self.spec.services}
        routes = self.spec.routing.routes

        def routed(service: ServiceSpec):
            def takes(spec) -> bool:
                labels = {**_alert_of(spec, service).sent_labels, "alertname": spec.name}
                return packs.heartbeat_route(routes, labels) is not None
            return takes
        return {s.name: packs.battery(s, by_name, self.spec.global_.runbooks_url, routed(s)) for s in self.services}

    def battery(self, service: ServiceSpec) -> packs.Battery:
        return self.batteries.get(service.name, packs.EMPTY)

    def metrics(self, service: ServiceSpec) -> list[MetricSpec]:
        """The service's catalog: its own metrics, and those its type's convention names."""
        return list(service.metrics) + list(self.battery(service).metrics)

    @cached_property
    def alerts(self) -> list[Alert]:
        """Every alert rule: the spec's, those derived from probes and logs (derived.py), and those
        packs and service types add (packs)."""
        out = [_alert_of(a, s) for s in self.services for a in s.alerts]
        out += [_alert_of(d.spec, s, d.origin)
                for s in self.services for d in (*derived.alerts(s, self.spec.logging), *self.battery(s).alerts)]
        return sorted(out, key=lambda a: (a.service, a.name))  # stable: a name's rules keep spec order

    def recording_rules(self, service: ServiceSpec) -> list[RecordingRuleSpec]:
        """The service's recording rules: the spec's, then those obsgen derives (log error rate)."""
        return (list(service.recording_rules) + list(self.battery(service).records)
                + derived.log_recording_rules(service, self.spec.logging, self.spec.global_))

    @cached_property
    def slos(self) -> list:
        return [SLO(s, o, o.alerting.team or s.team) for s in self.services
                for o in sorted((*s.slos, *self.battery(s).slos), key=lambda o: o.name)]

    @cached_property
    def dashboards(self) -> list[tuple[str, DashboardSpec]]:
        """(uid, dashboard), sorted by uid: the spec's, and one per service with SLOs or probes
        (its SLO panels, then its uptime panels)."""
        out = [(d.uid or naming.slug(d.title), d) for d in self.spec.dashboards]
        for service in self.services:
            slos = [s for s in self.slos if s.service is service]
            if slos or service.probes:
                d = dashboard(service, slos, tuple(uptime_panels(service)))
                out.append((d.uid, d))
            out += [(d.uid, d) for d in self.battery(service).dashboards]
        return sorted(out, key=lambda p: p[0])

    def header(self) -> str:
        return naming.HEADER.format(sources=", ".join(self.sources) or "no spec files")
