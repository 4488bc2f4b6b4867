"""What a service gets without writing it: its exporter's pack, its type's golden signals, its
tier's SLOs (resolve/packs), and how a service tunes or switches off each of them."""
from typing import Annotated, Literal

from pydantic import Field

from obsgen.spec.base import (
    AlertName,
    CategoryName,
    Duration,
    Finite,
    LabelName,
    MetricName,
    Name,
    SeverityName,
    Silences,
    Spec,
)

ServiceType = Literal["http", "grpc", "worker", "batch"]


class SignalsSpec(Spec):
    """Where a typed service's golden signals are read from: a convention's metric names, or the
    service's own."""

    convention: Literal["opentelemetry", "prometheus-client"] = Field(
        "opentelemetry", description="the metric names the service's instrumentation uses: OpenTelemetry's "
                                     "semantic conventions (as the OTel Prometheus exporter names them), or the "
                                     "usual Prometheus client library names (each type's are in the docs)")
    requests: MetricName | None = Field(
        None, description="the counter of requests (jobs, runs) handled, instead of the convention's; a "
                          "histogram's _count may be named", examples=["shop_requests_total"])
    duration: MetricName | None = Field(
        None, description="the histogram of durations in seconds, instead of the convention's (without _bucket)",
        examples=["shop_request_duration_seconds"])
    errors: str | None = Field(
        None, min_length=1, description="label matchers that pick the failed requests out of `requests`, instead "
                                        "of the convention's", examples=['code=~"5.."', 'outcome="failure"'])
    backlog: MetricName | None = Field(
        None, description="worker: a gauge of the jobs waiting in its queue, exported by the worker's own job; "
                          "gives the backlog and stalled alerts", examples=["queue_jobs_waiting"])
    oldest_age: MetricName | None = Field(
        None, description="worker: a gauge of how long, in seconds, the oldest waiting job has waited; gives "
                          "the job-age alert", examples=["queue_oldest_job_age_seconds"])
    last_success: MetricName | None = Field(
        None, description="batch (and required there): a gauge of the Unix time the last run succeeded, set at "
                          "the end of each good run (pushed to a Pushgateway with the service's job name)",
        examples=["db_backup_last_success_timestamp_seconds"])


class BatteryAlert(Spec):
    """Changes to one alert a pack or the service's type adds (by the alert's name)."""

    enabled: bool = Field(True, description="false: the alert is not written")
    threshold: Finite | None = Field(None, description="the number the alert compares with, in the unit its "
                                                       "description names; unset: the pack's", examples=[0.9])
    for_: Duration | None = Field(None, alias="for", description="how long the condition must hold; unset: the "
                                                                  "pack's", examples=["15m"])
    severity: SeverityName | None = Field(None, description="unset: the pack's", examples=["warning"])
    category: CategoryName | None = Field(None, description="unset: the pack's", examples=["infrastructure"])
    team: Name | None = Field(None, description="the team notified; unset: the service's", examples=["dba"])
    summary: Annotated[str, Field(min_length=1)] | None = Field(
        None, description="unset: the pack's", examples=["Database {{ $labels.instance }} is unreachable"])
    description: Annotated[str, Field(min_length=1)] | None = Field(
        None, description="unset: the pack's", examples=["The orders database has been down for {{ $value }}s."])
    runbook_url: Annotated[str, Field(pattern=r"^https?://")] | None = Field(
        None, description="unset: the runbook obsgen writes, under global.runbooks_url",
        examples=["https://wiki.example.com/runbooks/postgres"])
    labels: dict[LabelName, str] = Field(default_factory=dict, description="extra labels on the alert",
                                         examples=[{"component": "database"}])
    silence: Silences = Field(default_factory=dict)


class BatterySLO(Spec):
    """Changes to one SLO the service's tier adds (`availability` or `latency`)."""

    enabled: bool = Field(True, description="false: the SLO is not made")
    objective: float | None = Field(None, gt=0, lt=100, description="percent of good requests; unset: the tier's",
                                    examples=[99.5])
    period: Duration | None = Field(None, description="unset: 30d", examples=["28d"])
    threshold: float | None = Field(None, gt=0, description="latency: seconds a good request takes at most; a "
                                                             "bucket of the duration histogram. Unset: the type's",
                                    examples=[0.5])
    page: bool | None = Field(None, description="whether fast burns page; unset: tier 1 pages, tier 2 tickets")


class BatteryPanel(Spec):
    enabled: bool = Field(True, description="false: the panel is left off the dashboard")


class BatteriesSpec(Spec):
    """What the exporter's pack, the service's type and its tier add, tuned by name."""

    enabled: bool = Field(True, description="false: nothing from packs, type or tier; only what the service "
                                            "writes itself")
    alerts: dict[AlertName, BatteryAlert] = Field(
        default_factory=dict, description="by alert name: changes to the alerts added (a name that is not added is "
                                          "an error)",
        examples=[{"PostgresTooManyConnections": {"threshold": 0.9}, "PostgresDeadlocks": {"enabled": False}}])
    slos: dict[Name, BatterySLO] = Field(
        default_factory=dict, description="by SLO name (availability, latency): changes to the tier's SLOs",
        examples=[{"availability": {"objective": 99.5}, "latency": {"threshold": 0.5}}])
    panels: dict[Annotated[str, Field(min_length=1)], BatteryPanel] = Field(
        default_factory=dict, description="by panel title: panels left off the dashboards added",
        examples=[{"Locks": {"enabled": False}}])
