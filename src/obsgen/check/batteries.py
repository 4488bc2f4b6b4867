"""Batteries: what a service tunes must be something it is offered, what it depends on must exist,
and the SLOs and alerts it is given must be able to work (a latency threshold on a bucket, a
severity and category routing knows)."""
from __future__ import annotations

from obsgen.check.context import Context
from obsgen.check.silences import Finding
from obsgen.core.diagnostics import error, warning
from obsgen.load.yaml import YMap
from obsgen.resolve.merge import DEFAULT_BUCKETS
from obsgen.resolve.model import Model
from obsgen.resolve.packs import SIGNAL_TYPES, UNROUTED, convention, dashboard_uid, offered, packs_of
from obsgen.resolve.slo import dashboard_uid as slo_dashboard_uid
from obsgen.spec.parse import Parsed, did_you_mean, locate


def heartbeat_findings(tree: YMap, parsed: Parsed, model: Model) -> list[Finding]:
    """OBS074 for each service whose pack's heartbeat is left out because no route of the spec's
    own takes it to a dead man's switch: without one, a Prometheus that dies is noticed by nobody."""
    out = []
    for i, s in parsed.items["services"]:
        for a in model.battery(s).added:
            if a.what == "alert" and a.state == UNROUTED:
                owner = ("services", i, "scrape", "exporter", "kind")
                out.append(Finding(warning(
                    "OBS074", f"service {s.name!r}: the {a.source}'s heartbeat alert {a.name} is left out: no route of "
                              f"routing.routes takes alertname=\"{a.name}\" to a dead man's switch, so if this "
                              f"Prometheus or its Alertmanager stops, nobody is told", locate(tree, owner)[0],
                    hint=f"add a receiver for your dead man's switch (a webhook to it) and a route "
                         f"{{matchers: ['alertname=\"{a.name}\"'], receiver: <it>, group_wait: 0s, group_interval: 1m, "
                         f"repeat_interval: 1m}}; or turn it off with batteries.alerts.{a.name}.enabled: false"),
                    ("services", i), f"service {s.name}"))
    return out


class BatteryChecks(Context):
    def batteries(self, services: set[str], uids: set[str] = frozenset()) -> None:
        folded = {u.casefold() for u in uids}
        # The dashboards obsgen makes per service (SLO and probe panels; a pack's or type's) take
        # uids from the service's name, cut at 40 characters: two names may meet there.
        made: dict[str, str] = {}
        for i, s in self.svcs:
            owned = [slo_dashboard_uid(s.name)] if (s.slos or s.probes) else []
            for uid in owned:
                other = made.setdefault(uid.casefold(), s.name)
                if other != s.name:
                    self.diags.append(error(
                        "OBS020", f"services {other!r} and {s.name!r} would both have the SLO dashboard uid "
                                  f"{uid!r} (a uid has at most 40 characters)", self.at("services", i, "name"),
                        hint="shorten one of the names within their first 36 characters"))
        for i, s in self.svcs:
            if packs_of(s) and s.batteries.enabled and dashboard_uid(s.name).casefold() in folded:
                self.diags.append(error("OBS020", f"dashboard uid {dashboard_uid(s.name)!r} is taken by the dashboard "
                                                  f"service {s.name!r} gets from its {self._sources(s)}",
                                        self.at("services", i, "name"),
                                        hint="give the other dashboard another uid"))
            ex = s.scrape.exporter if s.scrape is not None else None
            if ex is not None and ex.collectors:
                from obsgen.core.exporters import catalogs

                known = catalogs()[ex.kind].collectors
                for j, name in enumerate(ex.collectors):
                    if name not in known:
                        self.diags.append(error(
                            "OBS075", f"service {s.name!r}: the {ex.kind} exporter has no collector {name!r} that "
                                      f"adds series", self.at("services", i, "scrape", "exporter", "collectors", j),
                            hint=did_you_mean(name, sorted(known)) or (
                                f"its collectors: {', '.join(sorted(known))}" if known else
                                f"everything the {ex.kind} exporter exposes is on by default")))
            self._signals(i, s)
            for j, name in enumerate(s.depends_on):
                if name == s.name:
                    self.diags.append(error("OBS021", f"service {s.name!r} depends on itself",
                                            self.at("services", i, "depends_on", j)))
                elif name not in services:
                    self.diags.append(error("OBS021", f"service {s.name!r} depends on {name!r}, which is not a "
                                                      f"service", self.at("services", i, "depends_on", j),
                                            hint=did_you_mean(name, sorted(services))))
            got = offered(s)
            tune = s.batteries
            for section, names, given in (("alerts", got.alerts, tune.alerts), ("slos", got.slos, tune.slos),
                                          ("panels", got.panels, tune.panels)):
                for name in given:
                    if name not in names:
                        what = {"alerts": "alert", "slos": "SLO", "panels": "panel"}[section]
                        offer = sorted(set(names))
                        self.diags.append(error(
                            "OBS021", f"service {s.name!r} tunes {what} {name!r}, which its "
                                      f"{self._sources(s)} do not add", self.at("services", i, "batteries", section, name),
                            hint=did_you_mean(name, offer) or (f"they add: {', '.join(offer)}" if offer else
                                                               "only a typed service of tier 1 or 2 gets SLOs"
                                                               if section == "slos" else
                                                               "nothing is added: give the service an exporter kind "
                                                               "or a type")))
            g = self.sections.get("global")
            if g is None or not getattr(g, "runbooks_url", None):
                bare = [(name, origin) for name, (severity, _, origin, on) in got.alerts.items()
                        if on and severity == "critical" and not getattr(tune.alerts.get(name), "runbook_url", None)]
                if bare:
                    self.diags.append(warning(
                        "OBS059", f"critical alerts service {s.name!r} gets from its {self._sources(s)} link no "
                                  f"runbook: {', '.join(n for n, _ in bare)}", self.at("services", i, *bare[0][1]),
                        hint="obsgen writes their runbooks to runbooks/<service>.md: publish them and set "
                             "global.runbooks_url, or give each a batteries.alerts.<name>.runbook_url"))
            if got.latency is not None:
                histogram, threshold = got.latency
                catalog = {m.name: m for m in s.metrics}
                metric = catalog.get(histogram)
                buckets = (metric.buckets if metric is not None else None) or self._convention_buckets(s, histogram)
                if buckets and not any(abs(b - threshold) < 1e-9 for b in buckets):
                    where = ("batteries", "slos", "latency", "threshold") if "latency" in tune.slos else ("tier",)
                    self.diags.append(error(
                        "OBS034", f"the latency SLO of service {s.name!r}: no bucket of {histogram} has "
                                  f"le={threshold:g}, so the share of requests under it cannot be counted",
                        self.at("services", i, *where), hint=f"buckets: {', '.join(f'{b:g}' for b in buckets)}"))

    def _signals(self, i: int, s) -> None:
        """OBS076: what a type needs named is named, and what only another type reads is not."""
        sig = s.signals
        if s.type == "worker" and sig.convention == "prometheus-client" and not (
                sig.requests and sig.errors and sig.duration):
            self.diags.append(error(
                "OBS076", f"service {s.name!r} is a worker with convention prometheus-client: no client library "
                          f"names a worker's jobs, so signals.requests, errors and duration must", self.at(
                    "services", i, "signals", "convention"),
                hint="name the counter of jobs handled, the matchers of failed ones and the histogram of "
                     "processing time; or instrument with OpenTelemetry's messaging conventions "
                     "(the default convention)"))
        if s.type == "batch" and not sig.last_success:
            self.diags.append(error(
                "OBS076", f"service {s.name!r} is a batch job but names no signals.last_success: nothing tells "
                          f"when it last succeeded", self.at("services", i, "type"),
                hint="name the gauge each good run sets to the time it ended (a Pushgateway job pushes it), "
                     "e.g. signals: {last_success: db_backup_last_success_timestamp_seconds}"))
        if s.type == "batch" and sig.errors and not sig.requests:
            self.diags.append(error(
                "OBS076", f"service {s.name!r}: signals.errors picks failed runs out of signals.requests, which "
                          f"is not named", self.at("services", i, "signals", "errors"),
                hint="name the counter of runs, e.g. requests: backup_runs_total"))
        for field, only in SIGNAL_TYPES.items():
            if getattr(sig, field) and s.type != only:
                self.diags.append(error(
                    "OBS076", f"service {s.name!r}: signals.{field} is read by the {only} type only, and the "
                              f"service is {'a ' + s.type if s.type else 'not typed'}",
                    self.at("services", i, "signals", field), hint=f"give it type: {only}, or leave {field} out"))

    @staticmethod
    def _sources(s) -> str:
        parts = [source for pack, source, _ in packs_of(s) if pack.kind != s.type]  # an exporter's or preset's
        if s.type is not None:
            parts.append(f"type ({s.type}) and tier ({s.tier})")
        return " and ".join(parts) or "packs, type and tier"

    @staticmethod
    def _convention_buckets(s, histogram: str):
        conv = convention(s)
        for name, _, _, _, buckets in (conv.metrics if conv is not None else ()):
            if name == histogram:
                return buckets or DEFAULT_BUCKETS
        return None
