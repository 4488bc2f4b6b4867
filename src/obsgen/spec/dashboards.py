"""`dashboards`: Grafana dashboards and their panels."""
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from obsgen.core import naming
from obsgen.spec.base import Duration, Finite, Name, Silences, Spec, _regex


class ThresholdStep(Spec):
    value: Finite | None = Field(None, description="lowest value shown in this step's colour, in the panel's unit; "
                                                   "the first step (the base colour) has none",
                                 examples=[0.8])
    color: str = Field(description="Grafana colour name or hex code", examples=["green", "red", "#FF9830"])


class QuerySpec(Spec):
    expr: str = Field(min_length=1, description="PromQL; Grafana's $__rate_interval, $__interval and $__range "
                                                "may be used. Checked against the metric catalog",
                      examples=['sum by (instance) (rate(node_network_receive_bytes_total[$__rate_interval]))'])
    legend: str | None = Field(None, description="legend format, with {{label}} for label values; unset: "
                                                 "Grafana's default (heatmaps: {{le}})",
                               examples=["{{instance}}", "95th percentile"])
    format: Literal["time_series", "table", "heatmap"] | None = Field(
        None, description="result format (default: what the panel type reads: heatmap for heatmaps, "
                          "table for tables, time_series otherwise)")
    instant: bool = Field(False, description="query the latest value only instead of a range (for bar gauges "
                                            "and tables of current values)")


class PanelSpec(Spec):
    title: str = Field(min_length=1, description="panel title", examples=["CPU Usage by Node"])
    type: Literal["timeseries", "stat", "gauge", "bargauge", "heatmap", "table"] = Field(
        "timeseries", description="Grafana visualisation; also sets the default width and what format queries "
                                  "return")
    description: str | None = Field(None, description="shown in the panel's info tooltip",
                                    examples=["Share of scrape targets that are up."])
    queries: list[QuerySpec] = Field(min_length=1, description="the PromQL queries the panel draws, at least one",
                                     examples=[[{"expr": "avg(up)", "legend": "Services Up"}]])
    unit: str | None = Field(None, description="Grafana unit id of the values (percent is 0-100, percentunit "
                                               "0-1); unset: none", examples=["percent", "percentunit", "s", "bytes",
                                                                              "reqps"])
    min: Finite | None = Field(None, description="lowest value of the axis or gauge, in the panel's unit; unset: "
                                                 "from the data", examples=[0])
    max: Finite | None = Field(None, description="highest value of the axis or gauge, in the panel's unit; unset: "
                                                 "from the data", examples=[100])
    decimals: int | None = Field(None, ge=0, le=10, description="decimals shown (0-10); unset: Grafana chooses",
                                 examples=[1])
    thresholds: list[ThresholdStep] | None = Field(
        None, description="colour steps, ascending: the first is the base colour and has no value; unset: one "
                          "base step",
        examples=[[{"color": "red"}, {"value": 0.8, "color": "yellow"}, {"value": 0.95, "color": "green"}]])
    width: int | None = Field(None, ge=1, le=24, description="grid columns out of 24; unset: 6 for stat, gauge "
                                                             "and bargauge, 24 for table, 12 otherwise",
                              examples=[12, 24])
    height: int | None = Field(None, ge=2, le=40, description="grid rows (about 30 px each); unset: 8",
                               examples=[8])
    silence: Silences = Field(default_factory=dict)

    @model_validator(mode="after")
    def _thresholds(self):
        steps = self.thresholds or []
        if steps and steps[0].value is not None:
            raise ValueError("the first threshold step is the base colour: give it no `value`")
        values = [s.value for s in steps[1:]]
        if any(v is None for v in values):
            raise ValueError("every threshold step after the first needs a `value`")
        if values != sorted(values) or len(set(values)) != len(values):
            raise ValueError("threshold values must be strictly ascending")
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError("min must be below max")
        return self


class TimeRange(Spec):
    from_: str = Field("now-6h", alias="from", description="start of the dashboard's default time range, in "
                                                           "Grafana's syntax (now-1h, now-7d/d)",
                       examples=["now-1h", "now-24h"])
    to: str = Field("now", description="end of the default time range, in Grafana's syntax")


class DashboardSpec(Spec):
    title: str = Field(min_length=1, description="dashboard title", examples=["Waardhaven Infrastructure Overview"])
    uid: Annotated[str, AfterValidator(_regex(naming.UID_RE, "dashboard uid"))] | None = Field(
        None, description="Grafana uid, which links and bookmarks use: letters, digits, _ and -, at most 40; also "
                          "the JSON file's name and how environments refer to the dashboard. Unset: the title's "
                          "slug, which changes when the title does", examples=["waardhaven-infrastructure"])
    folder: str | None = Field(None, description="Grafana folder; unset: the owning team's folder (named after "
                                                 "`team`), or General without a team. The JSON is written to "
                                                 "grafana/dashboards/<folder slug>/", examples=["Infrastructure"])
    team: Name | None = Field(None, description="the owning team (a teams[].name, which must exist); its "
                                                "dashboards without a `folder` go to the team's Grafana folder",
                          examples=["infrastructure"])
    description: str | None = Field(None, description="what the dashboard is for; Grafana's dashboard description",
                                    examples=["Nodes, scrape targets and network of the production cluster."])
    tags: list[str] = Field(default_factory=list, description="Grafana tags, for search and dashboard links",
                            examples=[["infrastructure", "overview"]])
    refresh: Duration | None = Field("1m", description="auto-refresh interval; null: no auto-refresh",
                                     examples=["30s", "5m"])
    time: TimeRange = Field(default_factory=TimeRange, description="default time range when the dashboard opens",
                            examples=[{"from": "now-1h", "to": "now"}])
    timezone: Literal["browser", "utc"] = Field("browser", description="time zone times are shown in: the "
                                                                      "viewer's browser or UTC")
    panels: list[PanelSpec] = Field(
        min_length=1, description="panels, at least one, laid out left to right and wrapped onto new rows",
        examples=[[{"title": "CPU Usage by Node", "unit": "percent", "min": 0, "max": 100,
                    "queries": [{"expr": '100 - (avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}'
                                         '[$__rate_interval])) * 100)', "legend": "{{instance}}"}]}]])
    silence: Silences = Field(default_factory=dict)


