"""A service's `slos`: SLIs, objectives and burn-rate alerting."""
from typing import Annotated

from pydantic import Field, model_validator

from obsgen.core import naming
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

Selector = Annotated[str, Field(min_length=1, description="a PromQL series selector")]


class RatioSLI(Spec):
    """Events: good (or bad) over total, each a counter selector; obsgen takes their rates."""

    good: Selector | None = Field(
        None, description="counter selector of the good events (obsgen takes its rate). Give good or bad",
        examples=['http_requests_total{job="waardhaven-api",status!~"5.."}'])
    bad: Selector | None = Field(
        None, description="counter selector of the bad events (obsgen takes its rate). Give good or bad",
        examples=['api_request_duration_seconds_count{status=~"5.."}'])
    total: Selector = Field(description="counter selector of all events, good and bad (obsgen takes its rate)",
                            examples=["api_request_duration_seconds_count"])

    @model_validator(mode="after")
    def _one_side(self):
        if (self.good is None) == (self.bad is None):
            raise ValueError("give exactly one of `good` or `bad`, beside `total`")
        return self


class LatencySLI(Spec):
    """Requests faster than `threshold` seconds are good: the histogram bucket with that `le`."""

    histogram: MetricName = Field(description="the histogram's name, without _bucket",
                                  examples=["http_request_duration_seconds"])
    threshold: Annotated[Finite, Field(gt=0)] = Field(
        description="in seconds: requests at or under it are good. Must be the bound (le) of one of the "
                    "histogram's buckets (checked against the catalog's buckets, OBS034)", examples=[0.5, 0.25])
    matchers: str | None = Field(None, description="label matchers added to the histogram's selectors, to pick "
                                                   "the requests that count; unset: all of them",
                                 examples=['job="waardhaven-api", endpoint!="/health"'])


class FreshnessSLI(Spec):
    """A gauge that must stay at or under `max` (e.g. lag in seconds): the SLI is the fraction of
    time it does, taking the worst series."""

    gauge: Selector = Field(description="selector of the gauge: a lag or an age, in the unit of `max`; the worst "
                                        "series counts", examples=['data_pipeline_lag_seconds{pipeline="market-data"}'])
    max: Finite = Field(description="largest good value of the gauge (inclusive), in the gauge's unit",
                        examples=[5])


class RawSLI(Spec):
    error_ratio: str = Field(
        description="PromQL for the share of bad events (0 to 1) over a window, with {{window}} where the range "
                    "goes; obsgen fills in each burn-rate window",
        examples=["sum(rate(errors_total[{{window}}])) / sum(rate(requests_total[{{window}}]))"])

    @model_validator(mode="after")
    def _window(self):
        if "{{window}}" not in self.error_ratio.replace(" ", ""):
            raise ValueError("error_ratio needs a {{window}} placeholder where the range goes")
        return self


class SLISpec(Spec):
    ratio: RatioSLI | None = Field(
        None, description="good (or bad) events over all events, from counters",
        examples=[{"bad": 'api_request_duration_seconds_count{status=~"5.."}',
                   "total": "api_request_duration_seconds_count"}])
    latency: LatencySLI | None = Field(
        None, description="requests at or under a latency threshold, from a histogram's buckets",
        examples=[{"histogram": "api_request_duration_seconds", "threshold": 0.5}])
    freshness: FreshnessSLI | None = Field(
        None, description="share of time a gauge (a lag, an age) stays at or under a maximum",
        examples=[{"gauge": 'data_pipeline_lag_seconds{pipeline="market-data"}', "max": 5}])
    raw: RawSLI | None = Field(
        None, description="an error-ratio query of your own, with a {{window}} placeholder; for what the other "
                          "kinds cannot say (min_traffic is not available)",
        examples=[{"error_ratio": "sum(rate(errors_total[{{window}}])) / sum(rate(requests_total[{{window}}]))"}])

    @model_validator(mode="after")
    def _exactly_one(self):
        given = [k for k in ("ratio", "latency", "freshness", "raw") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one SLI kind: ratio, latency, freshness or raw"
                             + (f" (found {', '.join(given)})" if given else ""))
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("ratio", "latency", "freshness", "raw") if getattr(self, k) is not None)


SLO_ALERT_LABELS = ("service", "slo", "slo_tier", *naming.ALERT_LABELS)


class SLOTier(Spec):
    enabled: bool = Field(True, description="whether this tier alerts at all")
    severity: SeverityName = Field(description="severity of this tier's alerts, which picks their channels "
                                               "(routing.severities)")
    labels: dict[LabelName, str] = Field(
        default_factory=dict, description="extra labels on this tier's alerts; service, slo, slo_tier, severity, "
                                          "team and category are set by obsgen", examples=[{"escalation": "oncall"}])

    @model_validator(mode="after")
    def _reserved(self):
        clash = sorted(set(self.labels) & set(SLO_ALERT_LABELS))
        if clash:
            raise ValueError(f"labels {', '.join(clash)} are set by obsgen (severity: use `severity`)")
        return self


class SLOAlerting(Spec):
    name: AlertName | None = Field(
        None, description="base of the SLO's alert names, CamelCase; unset: the service's and the SLO's names in "
                          "CamelCase (waardhaven-api + api-latency: WaardhavenApiApiLatency)",
        examples=["ApiLatency"])
    page: SLOTier = Field(default_factory=lambda: SLOTier(severity="critical"),
                          description="the fast-burn tier: 2% of the budget spent in 1h, or 5% in 6h (windows "
                                      "scaled for periods under 28d); default severity critical",
                          examples=[{"severity": "critical"}])
    ticket: SLOTier = Field(default_factory=lambda: SLOTier(severity="warning"),
                            description="the slow-burn tier: 10% of the budget spent in 1d, or in 3d (windows "
                                        "scaled for periods under 28d); default severity warning",
                            examples=[{"severity": "warning"}, {"enabled": False, "severity": "warning"}])
    team: Name | None = Field(None, description="the team the SLO's alerts notify; unset: the service's team",
                              examples=["data"])
    category: CategoryName = Field("application", description="the `category` label of the SLO's alerts, which "
                                                              "applies routing.categories.<category>")
    runbook_url: Annotated[str, Field(pattern=r"^https?://")] | None = Field(
        None, description="runbook link added to every alert of the SLO; `obsgen validate` warns when an SLO "
                          "with critical alerts has none", examples=["https://runbooks.waardhaven.com/slo/api-latency"])
    min_traffic: Annotated[Finite, Field(ge=0)] | None = Field(
        None, description="events per second, averaged over an alert's long window, below which the alert does "
                          "not fire (a few failures at night are not a burn); ratio and latency SLIs only",
        examples=[0.5])
    budget_alerts: bool = Field(False, description="also alert when 50% (warning) and 90% (critical) of the "
                                                   "period's error budget is spent")
    summary: str | None = Field(None, description="the summary of the SLO's burn-rate alerts (a template, like an "
                                                  "alert's); unset: obsgen's, naming the service, SLO and tier",
                                examples=["High error rate on {{ $labels.service }} requests"])
    description: str | None = Field(None, description="the description of the SLO's burn-rate alerts; unset: "
                                                      "obsgen's, naming the windows and burn rates",
                                    examples=["Checkout requests fail faster than the SLO allows: see the runbook."])
    annotations: dict[LabelName, str] = Field(
        default_factory=dict, description="extra annotations on every alert of the SLO; summary, description and "
                                          "runbook_url are fields of their own",
        examples=[{"dashboard": "https://grafana.waardhaven.com/d/slo-waardhaven-api"}])

    @model_validator(mode="after")
    def _own_annotations(self):
        clash = sorted(set(self.annotations) & {"summary", "description", "runbook_url"})
        if clash:
            raise ValueError(f"annotations {', '.join(clash)} are written by obsgen (runbook: use `runbook_url`)")
        return self


class SLOSpec(Spec):
    name: Name = Field(description="SLO name, unique within the service: lowercase letters, digits and dashes; "
                                   "the `slo` label of its series and alerts", examples=["api-availability"])
    objective: float = Field(gt=0, lt=100, description="the target, in percent of good events (or, for "
                                                       "freshness, of time) over the period; 100 minus it is the "
                                                       "error budget", examples=[99.9, 95])
    period: Duration = Field("30d", description="the rolling window the objective is measured over, at least 1h; "
                                                "burn-rate windows follow the SRE workbook for 28d and more and "
                                                "are scaled down for shorter periods", examples=["30d", "28d", "24h"])
    description: str | None = Field(None, description="what the SLO promises, in words; shown on its dashboard",
                                    examples=["95% of API requests complete within 500 ms"])
    sli: SLISpec = Field(description="the indicator: exactly one of ratio, latency, freshness or raw",
                         examples=[{"latency": {"histogram": "api_request_duration_seconds", "threshold": 0.5}}])
    alerting: SLOAlerting = Field(
        default_factory=SLOAlerting, description="the SLO's multi-window burn-rate alerts (a page and a ticket "
                                                 "tier) and optional error-budget alerts",
        examples=[{"name": "ApiLatency", "budget_alerts": True,
                   "runbook_url": "https://runbooks.waardhaven.com/slo/api-latency"}])
    labels: dict[LabelName, str] = Field(default_factory=dict, description="labels added to every series and "
                                                                           "alert the SLO generates",
                                         examples=[{"journey": "trading"}])
    silence: Silences = Field(default_factory=dict)

    @model_validator(mode="after")
    def _period(self):
        if naming.duration_seconds(self.period) < 3600:
            raise ValueError("an SLO period shorter than 1h leaves no room for burn-rate windows")
        if self.sli.raw is not None and self.alerting.min_traffic is not None:
            raise ValueError("alerting.min_traffic needs an event rate, which a raw SLI does not give; "
                             "use a ratio or latency SLI")
        if self.sli.freshness is not None and self.alerting.min_traffic is not None:
            raise ValueError("alerting.min_traffic is for event SLIs; a freshness SLI has no traffic")
        clash = sorted(set(self.labels) & set(SLO_ALERT_LABELS))
        if clash:
            raise ValueError(f"labels {', '.join(clash)} are set by obsgen")
        return self


