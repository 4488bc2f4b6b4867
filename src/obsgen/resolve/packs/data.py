"""The shapes of what packs and service types add: plain data, read by resolve/packs."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PackAlert:
    """An alert a pack adds. In `expr`, `$job` stands for the service's job matcher
    (job="checkout-db") and `$threshold` for the threshold (the pack's, or the service's own)."""

    name: str
    expr: str
    summary: str
    description: str
    runbook: tuple[str, ...]  # what whoever is notified checks first, in order (markdown)
    severity: str = "warning"
    for_: str = "5m"
    threshold: float | None = None
    unit: str = ""  # what the threshold is in, for the runbook and `explain --packs`
    category: str = "infrastructure"
    # A heartbeat fires all the time the rules are evaluated, for a dead man's switch that raises
    # the alarm when it stops: added only where a route of the spec's own names it (alertname) and
    # takes it before obsgen's team routes, which would otherwise notify a team of it for ever.
    heartbeat: bool = False
    # The exporter's collector (or option) whose series it reads, when a default start lacks them:
    # added only where the service lists it in scrape.exporter.collectors.
    needs: str | None = None


@dataclass(frozen=True)
class PackRecord:
    """A recording rule a pack adds, for what its alerts and panels read more than once."""

    record: str
    expr: str  # `$job` as in PackAlert


@dataclass(frozen=True)
class PackPanel:
    """A panel: `$sel` in its queries stands for the job and the dashboard's instance variable."""

    title: str
    queries: tuple[tuple[str, str], ...]  # (expr, legend)
    unit: str | None = None
    type: str = "timeseries"
    width: int | None = None
    min: float | None = None
    max: float | None = None
    key: bool = False  # shown on the dashboards of services that depend on this one
    description: str | None = None
    needs: str | None = None  # as PackAlert's


@dataclass(frozen=True)
class Pack:
    kind: str  # the exporter kind, or the service type
    title: str  # "PostgreSQL", "HTTP service"
    alerts: tuple[PackAlert, ...]
    rows: tuple[tuple[str, tuple[PackPanel, ...]], ...]
    records: tuple[PackRecord, ...] = field(default=())


_DOWN = ("Check the exporter's process or pod and its logs: `kubectl logs` or `journalctl -u` the exporter.",
         "From the Prometheus host, fetch the target's /metrics: a refused connection, a timeout or a TLS error "
         "says which side is wrong.",
         "While it is down, the other alerts of this service cannot fire: watch the component by hand.")


def exporter_down(name: str, what: str) -> PackAlert:
    """The alert every exporter pack starts with: its target is not scraped, so the rest are blind."""
    return PackAlert(
        name, "up{$job} == 0", f"{what} exporter on {{{{ $labels.instance }}}} is not scraped",
        f"Prometheus has failed to scrape {{{{ $labels.instance }}}} (job {{{{ $labels.job }}}}) for $for: "
        f"the {what} alerts of this service are blind until it is back.", _DOWN)
