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


@dataclass(frozen=True)
class Pack:
    kind: str  # the exporter kind, or the service type
    title: str  # "PostgreSQL", "HTTP service"
    alerts: tuple[PackAlert, ...]
    rows: tuple[tuple[str, tuple[PackPanel, ...]], ...]
    records: tuple[PackRecord, ...] = field(default=())
