"""Synthetic probes: the facts the blackbox target, the scrape jobs and the dashboards share (when a
probe runs, how long it may take, whether it is TLS), and the uptime panels of a service's
dashboard. (The RE2 check of body regexes is core/regex.py; the exporter's own check of
blackbox.yml is features/verify.py.)
"""
from __future__ import annotations

from obsgen.core import naming
from obsgen.resolve.derived import cert_warning
from obsgen.spec import GlobalSpec, PanelSpec, ProbeSpec, QuerySpec, ServiceSpec, ThresholdStep

# Uptime colours: below two nines is an outage-sized hole, below three a worry.
UPTIME_STEPS = (0.99, 0.999)
SECONDS_PER_DAY = 86400
URGENT_DAYS = 7.0  # a certificate expiring within a week is red whatever the alert says


def interval(probe: ProbeSpec, g: GlobalSpec) -> str:
    """How often the probe's job scrapes the exporter."""
    return probe.interval or g.scrape_interval


def timeout(probe: ProbeSpec, g: GlobalSpec) -> str:
    """The probe job's scrape timeout: the probe's own, else the global one, at most the interval."""
    if probe.timeout:
        return probe.timeout
    every = interval(probe, g)
    return every if naming.duration_seconds(g.scrape_timeout) > naming.duration_seconds(every) else g.scrape_timeout


def uses_tls(probe: ProbeSpec) -> bool:
    """Whether the probe requires TLS (an http probe's `tls` defaults to its URL's scheme)."""
    if probe.http:
        return probe.http.tls if probe.http.tls is not None else probe.http.url.startswith("https://")
    return bool(probe.tcp and probe.tcp.tls)


def selector(service: ServiceSpec, probe: ProbeSpec) -> str:
    return f'{{job="{naming.probe_job(service.name, probe.name)}"}}'


def uptime_panels(service: ServiceSpec) -> list[PanelSpec]:
    """Per probe, its uptime over the dashboard's range; the probes' durations; days left on the
    certificates of TLS probes. Empty for a service without probes."""
    if not service.probes:
        return []
    probes = sorted(service.probes, key=lambda p: p.name)
    panels = [PanelSpec(
        title=f"Uptime: {p.name}", type="stat", unit="percentunit", decimals=3, min=0, max=1,
        description=f"Share of {p.name}'s probes that succeeded over the dashboard's time range",
        # Instant: one average over exactly the range shown, not a series of averages.
        queries=[QuerySpec(expr=f"avg_over_time(probe_success{selector(service, p)}[$__range])", instant=True)],
        thresholds=[ThresholdStep(color="red"), *(ThresholdStep(value=v, color=c)
                                                  for v, c in zip(UPTIME_STEPS, ("orange", "green")))])
        for p in probes]
    panels.append(PanelSpec(
        title="Probe duration", type="timeseries", unit="s", min=0, width=12,
        description="How long each probe took, connection, TLS handshake and answer included",
        queries=[QuerySpec(expr=f"probe_duration_seconds{selector(service, p)}", legend=p.name) for p in probes]))
    tls = [p for p in probes if uses_tls(p)]
    if tls:
        panels.append(PanelSpec(
            title="Days to certificate expiry", type="timeseries", unit="d", min=0, width=12,
            description="Days until the earliest-expiring certificate each TLS probe was served expires",
            queries=[QuerySpec(expr=f"(probe_ssl_earliest_cert_expiry{selector(service, p)} - time()) / "
                                    f"{SECONDS_PER_DAY}", legend=p.name) for p in tls],
            thresholds=cert_steps(tls)))
    return panels


def cert_steps(tls: list[ProbeSpec]) -> list[ThresholdStep]:
    """Red within a week; orange within the longest certificate alert horizon, where alerts fire; green beyond."""
    horizons = [naming.duration_seconds(w) / SECONDS_PER_DAY for w in map(cert_warning, tls) if w]
    horizon = round(max(horizons, default=0), 2)
    if horizon <= URGENT_DAYS:
        return [ThresholdStep(color="red"), ThresholdStep(value=URGENT_DAYS, color="green")]
    return [ThresholdStep(color="red"), ThresholdStep(value=URGENT_DAYS, color="orange"),
            ThresholdStep(value=horizon, color="green")]
