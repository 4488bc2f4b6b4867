"""Rules obsgen derives from a service's probes and logs, so they are written once with the check
they watch: an uptime alert per probe (and a certificate alert for TLS probes), and the error-spike
alert on the log-derived error counter.

Each derived alert remembers where in the service it comes from (`origin`, a path below the
service), so findings about it point at that object and its `silence` applies.
"""
from __future__ import annotations

from dataclasses import dataclass

from obsgen.core import naming
from obsgen.resolve.slo import fmt_duration
from obsgen.spec import AlertSpec, GlobalSpec, LoggingSpec, ProbeSpec, RecordingRuleSpec, ServiceSpec

# What a probe checks, in words, for alert texts.
_WHAT = {"http": "HTTP check of", "tcp": "TCP connection to", "icmp": "ping of", "dns": "DNS lookup through"}
# A certificate that keeps failing its expiry check needs a person within the day, not a page.
CERT_FOR = "15m"


@dataclass(frozen=True)
class Derived:
    spec: AlertSpec
    origin: tuple  # path below the service: ("probes", i) or ("logs", "error_spike")


def probe_target(probe: ProbeSpec) -> str:
    """What the blackbox exporter is asked to probe (its `target` parameter)."""
    if probe.http:
        return probe.http.url
    if probe.tcp:
        return probe.tcp.address
    if probe.icmp:
        return probe.icmp.host
    assert probe.dns is not None
    return probe.dns.server


def probe_failed_name(probe: ProbeSpec) -> str:
    return f"{naming.camel(probe.name)}ProbeFailed"


def cert_expiring_name(probe: ProbeSpec) -> str:
    return f"{naming.camel(probe.name)}CertExpiringSoon"


def cert_warning(probe: ProbeSpec) -> str | None:
    """The certificate expiry horizon of a TLS probe, or None when it has no certificate alert."""
    if probe.http and (probe.http.tls or (probe.http.tls is None and probe.http.url.startswith("https://"))):
        return probe.http.cert_expiry_warning
    if probe.tcp and probe.tcp.tls:
        return probe.tcp.cert_expiry_warning
    return None


def probe_alerts(service: ServiceSpec) -> list[Derived]:
    out = []
    for i, p in enumerate(service.probes):
        job = naming.probe_job(service.name, p.name)
        what = f"{_WHAT[p.kind]} {probe_target(p)}"
        out.append(Derived(AlertSpec(
            name=probe_failed_name(p), expr=f'probe_success{{job="{job}"}} == 0', **{"for": p.for_},
            severity=p.severity, category="application",
            summary=f"{service.name}: probe {p.name} is failing",
            description=f"The blackbox exporter's {what} has failed for {p.for_}. Its /probe endpoint with "
                        f"module={naming.probe_module(service.name, p.name)} and &debug=true shows why.",
            silence=p.silence), ("probes", i)))
        horizon = cert_warning(p)
        if horizon:
            seconds = int(naming.duration_seconds(horizon))
            out.append(Derived(AlertSpec(
                name=cert_expiring_name(p),
                expr=f'probe_ssl_earliest_cert_expiry{{job="{job}"}} - time() < {seconds}',
                **{"for": CERT_FOR}, severity="warning", category="application",
                summary=f"{service.name}: the TLS certificate of {probe_target(p)} expires within {horizon}",
                description="The earliest certificate in the chain served to probe " + p.name + " expires in "
                            "{{ $value | humanizeDuration }}.",
                silence=p.silence), ("probes", i)))
    return out


def log_rate_range(g: GlobalSpec) -> str:
    """The rate window of the error counter: at least 2m and four scrapes, so a missed scrape
    never leaves it without two samples."""
    return fmt_duration(int(max(120, 4 * naming.duration_seconds(g.scrape_interval))))


def log_recording_rules(service: ServiceSpec, logging: LoggingSpec | None, g: GlobalSpec) -> list[RecordingRuleSpec]:
    if service.logs is None or logging is None or not service.logs.error_spike.enabled:
        return []
    sel = f'{logging.error_metric}{{service="{service.name}"}}'
    return [RecordingRuleSpec(
        record=naming.LOG_ERRORS_RECORD,
        expr=f"sum by (service) (rate({sel}[{log_rate_range(g)}])) * 60")]


def log_alerts(service: ServiceSpec, logging: LoggingSpec | None) -> list[Derived]:
    if service.logs is None or logging is None or not service.logs.error_spike.enabled:
        return []
    spike = service.logs.error_spike
    rate = f'{naming.LOG_ERRORS_RECORD}{{service="{service.name}"}}'
    w = spike.window
    # Errors per minute above the window's mean plus sigma standard deviations (the seeds' rule),
    # and above a floor, so the first error of a quiet service (a tiny mean and deviation) is no spike.
    expr = (f"{rate} > (avg_over_time({rate}[{w}]) + {spike.sigma:g} * stddev_over_time({rate}[{w}]))\n"
            f"and {rate} >= {spike.min_per_minute:g}")
    return [Derived(AlertSpec(
        name="LogErrorSpike", expr=expr, **{"for": spike.for_}, severity=spike.severity, category="application",
        summary=f"{service.name} logs errors well above its normal rate",
        description=f"{{{{ $value | printf \"%.1f\" }}}} errors per minute, more than the mean plus "
                    f"{spike.sigma:g} standard deviations of the last {w}, for {spike.for_}. Find them in "
                    f"Elasticsearch: {naming.log_stream(logging.elasticsearch.index_prefix, service.name)}, "
                    f"{service.logs.level_key} in (" + ", ".join(service.logs.error_levels) + ").",
        silence=spike.silence), ("logs", "error_spike"))]


def alerts(service: ServiceSpec, logging: LoggingSpec | None) -> list[Derived]:
    return probe_alerts(service) + log_alerts(service, logging)
