"""`dashboards` and `datasources`: Grafana dashboards as teams build them.

The short form stays short: a title and panels of PromQL queries. Everything the dashboards people
actually run use is here too: template variables of every Grafana type, rows, repeats, explicit
grid positions, field defaults and overrides, value mappings, legends, tooltips, stacking,
transformations, links, annotation queries, several datasources. What obsgen does not model goes
into `extra`, Grafana JSON merged into what obsgen writes: `obsgen validate` notes every use
(OBS068), and Grafana's schema still checks the result.
"""
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from obsgen.core import naming
from obsgen.spec.base import Duration, Finite, Name, Silences, Spec, _regex

# Grafana's variable names: what `$name` can refer to.
VARIABLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")  # Grafana allows a dash (only ${...} can't use it)
# A datasource reference: a `datasources[].name`, the default datasource's uid, a datasource
# variable ($ds or ${ds}), or one of Grafana's own: mixed (each query names its own),
# dashboard (another panel's results), grafana (Grafana's built-in annotations and test data).
DATASOURCE_REF_RE = re.compile(r"^(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|[A-Za-z0-9_.-]{1,40})$")
BUILTIN_DATASOURCES = ("mixed", "dashboard", "grafana")
# Panel types obsgen builds itself; others (plugins) are written from `extra`.
PANEL_TYPES = ("timeseries", "stat", "gauge", "bargauge", "heatmap", "table", "text", "piechart",
               "state-timeline", "status-history", "histogram", "barchart", "logs")
# Grafana's legacy panels, which current Grafana migrates on load: built as their modern types.
LEGACY_PANEL_TYPES = {"graph": "timeseries", "singlestat": "stat", "table-old": "table"}
# Plugin ids are lowercase with dashes; Grafana's own newer panels are camelCase (nodeGraph).
PLUGIN_TYPE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
# Panels that need no query.
QUERYLESS = ("text", "row")

Json = Any
Extra = Annotated[dict[str, Json], Field(
    default_factory=dict,
    description="escape hatch: Grafana JSON merged (deeply; lists replaced) into what obsgen writes here, for what "
                "the spec does not model. `obsgen validate` notes each use (OBS068); Grafana's schema still checks "
                "the result", examples=[{"options": {"colorMode": "background"}}])]
DatasourceRef = Annotated[str, Field(
    pattern=DATASOURCE_REF_RE.pattern,
    description="which datasource: the name of one in `datasources`, the default's uid (global.datasource.uid), a "
                "datasource variable ($datasource), or Grafana's own `mixed` (each query names its own), "
                "`dashboard` (another panel's results) or `grafana`",
    examples=["$datasource", "loki", "mixed"])]
VariableName = Annotated[str, AfterValidator(_regex(VARIABLE_RE, "variable name"))]
Color = Annotated[str, Field(min_length=1, description="Grafana colour name or hex code",
                             examples=["green", "red", "#FF9830"])]


class DatasourceSpec(Spec):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,40}$")] = Field(
        description="how dashboards refer to it (`datasource: <name>`); not mixed, dashboard or grafana",
        examples=["loki", "prometheus-eu"])
    type: Annotated[str, Field(pattern=PLUGIN_TYPE_RE.pattern)] = Field(
        description="Grafana plugin type id; `prometheus` and `loki` queries are checked as PromQL and LogQL",
        examples=["prometheus", "loki", "elasticsearch"])
    uid: Annotated[str, AfterValidator(_regex(naming.UID_RE, "datasource uid"))] = Field(
        description="the datasource's uid in Grafana, which dashboards store", examples=["loki", "P8E80F9AEF21F6940"])
    url: str | None = Field(None, description="where Grafana reaches it: with `output.grafana.enabled`, the "
                                              "datasource is provisioned with this URL. Unset: it must already exist "
                                              "in Grafana", examples=["http://loki:3100"])

    @model_validator(mode="after")
    def _not_builtin(self):
        if self.name in BUILTIN_DATASOURCES:
            raise ValueError(f"`{self.name}` is one of Grafana's own datasources; choose another name")
        return self


class ThresholdStep(Spec):
    value: Finite | None = Field(None, description="lowest value shown in this step's colour, in the panel's unit "
                                                   "(percent of min..max with threshold_mode percentage); the first "
                                                   "step (the base colour) has none",
                                 examples=[0.8])
    color: Color


class QuerySpec(Spec):
    expr: str | None = Field(None, min_length=1,
                             description="the query: PromQL (checked against the metric catalog) or, for a Loki "
                                         "datasource, LogQL. Grafana's $__rate_interval, $__interval and $__range and "
                                         "the dashboard's variables may be used. Other datasources' queries are "
                                         "given in `extra`",
                             examples=['sum by (instance) (rate(node_network_receive_bytes_total[$__rate_interval]))'])
    legend: str | None = Field(None, description="legend format, with {{label}} for label values (`__auto`: "
                                                 "Grafana's automatic one); unset: Grafana's default (heatmaps: {{le}})",
                               examples=["{{instance}}", "95th percentile"])
    format: Literal["time_series", "table", "heatmap"] | None = Field(
        None, description="result format (default: what the panel type reads: heatmap for heatmaps, "
                          "table for tables, time_series otherwise)")
    instant: bool = Field(False, description="query the latest value only instead of a range (for bar gauges "
                                            "and tables of current values)")
    range: bool | None = Field(None, description="also query the range when `instant` is set (Grafana's "
                                                 "\"Both\"); unset: not instant")
    interval: str | None = Field(None, description="minimum step of this query (Grafana's \"Min step\"), a "
                                                   "duration or a variable", examples=["1m", "$interval"])
    hide: bool = Field(False, description="run the query but do not draw it (for expressions and transformations "
                                          "that read it)")
    exemplar: bool = Field(False, description="also fetch exemplars (trace ids) for this query")
    ref_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")] | None = Field(
        None, description="Grafana's query id, which overrides (match.query) and transformations refer to; unset: "
                          "A, B, C... by position", examples=["A", "requests"])
    datasource: DatasourceRef | None = Field(None, description="this query's datasource (in a panel whose "
                                                               "datasource is `mixed`); unset: the panel's")
    extra: Extra

    @model_validator(mode="after")
    def _has_query(self):
        if self.expr is None and not self.extra:
            raise ValueError("a query needs an `expr` (or, for datasources other than Prometheus and Loki, its "
                             "fields in `extra`)")
        return self


class VariableSpec(Spec):
    name: VariableName = Field(description="what queries refer to as $name", examples=["job", "instance"])
    type: Literal["query", "custom", "interval", "datasource", "constant", "textbox", "adhoc"] = Field(
        "query", description="query: values from a query (label_values(...), query_result(...)); custom: a fixed "
                             "list; interval: durations; datasource: datasources of one plugin type; constant: a "
                             "hidden value; textbox: free text; adhoc: label filters added to every query")
    label: str | None = Field(None, description="shown instead of the name", examples=["Instance"])
    description: str | None = Field(None, description="shown in the variable's tooltip",
                                    examples=["Scrape target (host:port)"])
    hide: Literal["label", "variable", "menu"] | None = Field(
        None, description="hide the label only, the whole variable, or show it in the controls menu; unset: shown")
    query: str | None = Field(
        None, description="query: the query (may use other variables: chained); custom: Grafana's comma-separated "
                          "list (`text : value` pairs allowed); interval: comma-separated durations; constant: the "
                          "value; textbox: the default text",
        examples=["label_values(up, job)", 'label_values(up{job=~"$job"}, instance)', "1m,5m,1h"])
    values: list[str] | None = Field(None, description="custom and interval: the values, instead of `query`",
                                     examples=[["prod", "staging"]])
    plugin: Annotated[str, Field(pattern=PLUGIN_TYPE_RE.pattern)] | None = Field(
        None, description="datasource variables: the plugin type offered", examples=["prometheus", "loki"])
    datasource: DatasourceRef | None = Field(None, description="query and adhoc: the datasource queried; unset: "
                                                               "the dashboard's")
    regex: str | None = Field(None, description="query and datasource: keep only matching values (a capture "
                                                "group extracts the value; named groups `text` and `value`)",
                              examples=["/.*instance=\"([^\"]+)\".*/"])
    sort: Literal["alpha", "alpha_desc", "numeric", "numeric_desc", "alpha_ci", "alpha_ci_desc", "natural",
                  "natural_desc"] | None = Field(None, description="order of the values; unset: as returned")
    refresh: Literal["never", "load", "time_range"] = Field(
        "load", description="query: when values are fetched again: never, on dashboard load, on time range change")
    multi: bool = Field(False, description="several values may be chosen")
    include_all: bool = Field(False, description="offer an All option")
    all_value: str | None = Field(None, description="what All stands for in queries; unset: every value, joined",
                                  examples=[".*", ".+"])
    current: str | list[str] | None = Field(None, description="value(s) chosen when the dashboard opens ($__all: "
                                                              "All); unset: Grafana picks the first",
                                            examples=["prod", ["a", "b"], "$__all"])
    auto: bool = Field(False, description="interval: offer `auto`, the time range divided by auto_count")
    auto_count: int | None = Field(None, gt=0, description="interval with auto: into how many steps; unset: 30",
                                      examples=[30])
    auto_min: Duration | None = Field(None, description="interval with auto: the smallest step; unset: 10s")
    skip_url_sync: bool = Field(False, description="keep the value out of the dashboard's URL")
    extra: Extra

    @model_validator(mode="after")
    def _fits_type(self):
        t = self.type
        allowed = {
            "query": {"query", "datasource", "regex", "sort", "refresh", "multi", "include_all", "all_value",
                      "current"},
            "custom": {"query", "values", "multi", "include_all", "all_value", "current"},
            "interval": {"query", "values", "current", "auto", "auto_count", "auto_min", "refresh"},
            "datasource": {"plugin", "regex", "multi", "include_all", "current", "refresh"},
            "constant": {"query"},
            "textbox": {"query", "current"},
            "adhoc": {"datasource"},
        }[t]
        common = {"name", "type", "label", "description", "hide", "skip_url_sync", "extra"}
        wrong = sorted(k for k in self.model_fields_set - common - allowed)
        if wrong:
            raise ValueError(f"{', '.join(wrong)}: not used by a {t} variable")
        if t == "query" and not self.query and "query" not in self.extra:  # another datasource's, in `extra`
            raise ValueError("a query variable needs a `query`")
        if t == "datasource" and not self.plugin:
            raise ValueError("a datasource variable needs a `plugin` (the datasource type offered)")
        if t in ("custom", "interval") and (self.query is None) == (self.values is None):
            raise ValueError(f"a {t} variable needs either `query` or `values`")
        if t == "interval" and self.values:
            bad = [x for x in self.values if not re.fullmatch(r"\d+(ms|s|m|h|d|w|y)", x)]
            if bad:
                raise ValueError(f"interval values are durations (30s, 5m, 1h, 1d): not {', '.join(bad)}")
        if t == "constant" and self.query is None:
            raise ValueError("a constant variable needs its value in `query`")
        if isinstance(self.current, list) and not self.multi:
            raise ValueError("several `current` values need `multi: true`")
        return self


class LinkSpec(Spec):
    title: str = Field("", description="the link's text", examples=["Node details"])
    url: str | None = Field(None, description="where it goes (Grafana variables and ${__field...} may be used); "
                                              "unset on dashboard links: dashboards with `tags`",
                            examples=["/d/node-exporter?var-instance=${__field.labels.instance}"])
    tags: list[str] = Field(default_factory=list, description="dashboard links without url: the dashboards with "
                                                              "these tags (none: all)", examples=[["kubernetes"]])
    as_dropdown: bool = Field(False, description="dashboard links: show the dashboards in a dropdown")
    include_vars: bool = Field(False, description="pass the current variable values on")
    keep_time: bool = Field(False, description="pass the current time range on")
    new_tab: bool = Field(False, description="open in a new tab")
    icon: str | None = Field(None, description="Grafana icon name; unset: external link",
                             examples=["dashboard", "doc", "info"])
    tooltip: str = Field("", description="shown on hover")


class MappingResult(Spec):
    text: str | None = Field(None, description="shown instead of the value", examples=["down"])
    color: Color | None = Field(None, description="colour of the value; unset: unchanged", examples=["red"])


class RangeMatch(MappingResult):
    from_: Finite | None = Field(None, alias="from", description="lowest value matched; unset: no lower bound",
                                 examples=[0])
    to: Finite | None = Field(None, description="highest value matched; unset: no upper bound", examples=[0.5])


class RegexMatch(MappingResult):
    pattern: str = Field(min_length=1, description="regular expression the value must match",
                         examples=["^(ok|up)$"])


def _yaml_scalars_too(schema: dict) -> None:
    # `match: null` / `match: true` are YAML's null and booleans, accepted as "null" / "true"
    schema.pop("type", None)
    schema["enum"] = [*schema["enum"], None, True, False]


class SpecialMatch(MappingResult):
    match: Literal["null", "nan", "null+nan", "true", "false", "empty"] = Field(
        description="which special value", json_schema_extra=_yaml_scalars_too)

    @field_validator("match", mode="before")
    @classmethod
    def _yaml_scalars(cls, v):
        # `match: null` and `match: true` read as YAML's null and booleans: they mean the same here
        return {None: "null", True: "true", False: "false"}.get(v, v) if v is None or isinstance(v, bool) else v


class MappingSpec(Spec):
    """One of: `value` (with text/color), `values` (several), `range`, `regex`, `special`."""
    value: str | None = Field(None, description="a value to show differently", examples=["0"])
    text: str | None = Field(None, description="with `value`: shown instead of it", examples=["down"])
    color: Color | None = Field(None, description="with `value`: its colour")
    values: dict[str, MappingResult] | None = Field(
        None, description="several values in one mapping: {value: {text, color}}",
        examples=[{"0": {"text": "down", "color": "red"}, "1": {"text": "up", "color": "green"}}])
    range: RangeMatch | None = Field(None, description="values in a range, shown differently",
                                     examples=[{"from": 0, "to": 0.5, "text": "low", "color": "red"}])
    regex: RegexMatch | None = Field(None, description="text values matching a regular expression, shown "
                                                       "differently",
                                     examples=[{"pattern": "^err", "text": "error", "color": "red"}])
    special: SpecialMatch | None = Field(None, description="null, NaN, true, false or empty, shown differently",
                                         examples=[{"match": "null", "text": "N/A"}])

    @model_validator(mode="after")
    def _one_kind(self):
        kinds = [k for k in ("value", "values", "range", "regex", "special") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("a mapping has exactly one of value, values, range, regex, special")
        if kinds[0] != "value" and (self.text is not None or self.color is not None):
            raise ValueError("`text` and `color` go inside the range, regex or special mapping")
        return self


class OverrideMatch(Spec):
    """Exactly one: the fields an override applies to."""
    name: str | None = Field(None, description="the field (series) with this display name", examples=["errors"])
    regex: str | None = Field(None, description="fields whose name matches this regular expression",
                              examples=["/.*5xx.*/"])
    names: list[str] | None = Field(None, description="any of these fields", examples=[["read", "write"]])
    query: str | None = Field(None, description="fields of the query with this ref_id", examples=["B"])
    type: str | None = Field(None, description="fields of this type (number, string, time, ...)",
                             examples=["number"])
    value: dict[str, Json] | None = Field(None, description="fields whose reduced value meets a condition "
                                                            "(Grafana's byValue options)",
                                          examples=[{"reducer": "max", "op": "gte", "value": 100}])

    @model_validator(mode="after")
    def _one(self):
        if len(self.model_fields_set) != 1:
            raise ValueError("an override matches by exactly one of name, regex, names, query, type, value")
        return self


class OverrideSpec(Spec):
    match: OverrideMatch = Field(description="which fields: exactly one way of matching", examples=[{"name": "errors"}, {"regex": "/.*5xx.*/"}])
    properties: dict[Annotated[str, Field(min_length=1)], Json] = Field(
        description="Grafana field properties by id, as Grafana names them (unit, decimals, min, max, displayName, "
                    "custom.fillOpacity, custom.axisPlacement, custom.transform, custom.hideFrom, thresholds, "
                    "mappings, links...); `color` may be just a colour",
        examples=[{"color": "red", "custom.transform": "negative-Y", "unit": "bytes"}])


class TransformationSpec(Spec):
    id: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")] = Field(
        description="Grafana transformation id", examples=["organize", "merge", "seriesToColumns", "labelsToFields"])
    options: dict[str, Json] = Field(default_factory=dict, examples=[{"excludeByName": {"Time": True}}],
                                     description="the transformation's options, as Grafana "
                                                                         "names them")
    disabled: bool = Field(False, description="kept in the dashboard but not applied")
    filter: dict[str, Json] | None = Field(None, description="Grafana frame matcher limiting which results it "
                                                             "applies to",
                                             examples=[{"id": "byRefId", "options": "A"}])


class LegendSpec(Spec):
    mode: Literal["list", "table", "hidden"] = Field("list", description="a list, a table (with calcs as columns), "
                                                                        "or no legend")
    placement: Literal["bottom", "right"] = Field("bottom", description="below the graph or to its right")
    calcs: list[str] = Field(default_factory=list, description="values shown per series (Grafana reducer ids)",
                             examples=[["mean", "max", "lastNotNull"]])
    sort_by: str | None = Field(None, description="table legends: sort by this column", examples=["Max"])
    sort_desc: bool = Field(False, description="table legends: sort descending")
    width: int | None = Field(None, gt=0, description="right-placed legends: width in pixels", examples=[300])


class TooltipSpec(Spec):
    mode: Literal["single", "multi", "none"] = Field("single", description="one series, all series, or none")
    sort: Literal["none", "asc", "desc"] = Field("none", description="multi tooltips: order of the series by "
                                                                     "value")


class ColorSpec(Spec):
    mode: str = Field(description="Grafana colour mode: palette-classic, thresholds, fixed, shades, "
                                  "continuous-GrYlRd, ...", examples=["fixed", "continuous-GrYlRd"])
    fixed: Color | None = Field(None, description="fixed and shades: the colour")
    series_by: Literal["last", "min", "max"] | None = Field(None, description="continuous modes: which value "
                                                                              "colours a series")


class PanelSpec(Spec):
    title: str = Field(description="panel title (may be empty)", examples=["CPU Usage by Node"])
    type: str = Field(
        "timeseries", description="Grafana visualisation: timeseries, stat, gauge, bargauge, heatmap, table, text, "
                                  "piechart, state-timeline, status-history, histogram, barchart, logs; `row` for a "
                                  "row holding `panels`; graph, singlestat and table-old are built as their modern "
                                  "types; another plugin id is written with its settings from `extra`",
        examples=["timeseries", "stat", "row"])
    description: str | None = Field(None, description="shown in the panel's info tooltip",
                                    examples=["Share of scrape targets that are up."])
    datasource: DatasourceRef | None = Field(None, description="the panel's datasource; unset: the dashboard's")
    queries: list[QuerySpec] = Field(default_factory=list,
                                     description="what the panel draws; every panel but text and row needs one",
                                     examples=[[{"expr": "avg(up)", "legend": "Services Up"}]])
    # rows
    collapsed: bool = Field(False, description="rows: start collapsed")
    panels: list["PanelSpec"] | None = Field(None, description="rows: the panels in the row",
                                             examples=[[{"title": "CPU", "queries": [{"expr": "up"}]}]])
    # layout
    width: int | None = Field(None, ge=1, le=24, description="grid columns out of 24; unset: 6 for stat, gauge "
                                                             "and bargauge, 24 for table, text and logs, 12 otherwise",
                              examples=[12, 24])
    height: int | None = Field(None, ge=1, le=100, description="grid rows (about 30 px each); unset: 8",
                               examples=[8])
    x: int | None = Field(None, ge=0, le=23, description="explicit grid column; unset: laid out left to right, "
                                                         "wrapping", examples=[12])
    y: int | None = Field(None, ge=0, description="explicit grid row (with x)", examples=[8])
    repeat: VariableName | None = Field(None, description="one copy of the panel (or row) per value of this "
                                                          "multi-value variable", examples=["instance"])
    repeat_direction: Literal["h", "v"] | None = Field(None, description="repeated panels: side by side (h) or "
                                                                         "stacked (v); unset: h")
    max_per_row: int | None = Field(None, ge=1, le=24, description="horizontally repeated panels: at most this "
                                                                    "many side by side", examples=[4])
    # values
    unit: str | None = Field(None, description="Grafana unit id of the values (percent is 0-100, percentunit "
                                               "0-1); unset: none", examples=["percent", "percentunit", "s", "bytes",
                                                                              "reqps"])
    min: Finite | None = Field(None, description="lowest value of the axis or gauge, in the panel's unit; unset: "
                                                 "from the data", examples=[0])
    max: Finite | None = Field(None, description="highest value of the axis or gauge, in the panel's unit; unset: "
                                                 "from the data", examples=[100])
    decimals: int | None = Field(None, ge=0, le=20, description="decimals shown; unset: Grafana chooses",
                                 examples=[1])
    thresholds: list[ThresholdStep] | None = Field(
        None, description="colour steps, ascending: the first is the base colour and has no value; unset: one "
                          "base step",
        examples=[[{"color": "red"}, {"value": 0.8, "color": "yellow"}, {"value": 0.95, "color": "green"}]])
    threshold_mode: Literal["absolute", "percentage"] = Field("absolute", description="threshold values in the "
                                                                                      "unit, or percent of min..max")
    show_thresholds: Literal["off", "line", "area", "dashed", "line+area", "dashed+area"] | None = Field(
        None, description="timeseries: how thresholds are drawn; unset: as lines when there are thresholds")
    color: str | ColorSpec | None = Field(None, description="colour mode (a Grafana mode id), or {mode, fixed, "
                                                            "series_by}; unset: palette-classic for series, "
                                                            "thresholds for single values",
                                          examples=["thresholds", {"mode": "fixed", "fixed": "blue"}])
    mappings: list[MappingSpec] = Field(default_factory=list, description="values shown as text or colour",
                                        examples=[[{"values": {"0": {"text": "down", "color": "red"},
                                                               "1": {"text": "up", "color": "green"}}}]])
    no_value: str | None = Field(None, description="shown when there is no data", examples=["0", "N/A"])
    display_name: str | None = Field(None, description="name shown for the values (variables and "
                                                       "${__field.labels.x} allowed)",
                                     examples=["${__field.labels.instance}"])
    overrides: list[OverrideSpec] = Field(default_factory=list, description="field settings for matching series",
                                          examples=[[{"match": {"name": "errors"}, "properties": {"color": "red"}}]])
    data_links: list[LinkSpec] = Field(default_factory=list, description="links on the values (data links)",
                                       examples=[[{"title": "Logs", "url": "/explore?left=${__field.labels.pod}"}]])
    links: list[LinkSpec] = Field(default_factory=list, description="links in the panel's header",
                                  examples=[[{"title": "Runbook", "url": "https://runbooks.example.org/cpu"}]])
    transformations: list[TransformationSpec] = Field(default_factory=list,
                                                      description="Grafana transformations, in order",
                                                      examples=[[{"id": "merge"}]])
    # how values are drawn
    legend: LegendSpec | None = Field(None, description="legend; unset: a list below the graph",
                                      examples=[{"mode": "table", "placement": "right", "calcs": ["mean", "max"]}])
    tooltip: TooltipSpec | None = Field(None, description="hover tooltip; unset: the hovered series",
                                        examples=[{"mode": "multi", "sort": "desc"}])
    stack: Literal["none", "normal", "percent"] | None = Field(None, description="stack series on each other "
                                                                                 "(percent: to 100%)")
    draw: Literal["line", "bars", "points"] | None = Field(None, description="timeseries: draw style")
    fill: int | None = Field(None, ge=0, le=100, description="opacity of the area under lines, in percent",
                             examples=[10])
    line_width: int | None = Field(None, ge=0, le=10, description="line width in pixels; unset: 1", examples=[2])
    points: Literal["auto", "always", "never"] | None = Field(None, description="timeseries: draw points")
    axis: Literal["auto", "left", "right", "hidden"] | None = Field(None, description="where the value axis is")
    axis_label: str | None = Field(None, description="label of the value axis", examples=["requests/s"])
    log_scale: Literal[2, 10] | None = Field(None, description="logarithmic value axis of this base")
    negative_y: bool = Field(False, description="draw every series below the axis (Grafana's negative-Y "
                                                "transform; usually set per series in `overrides`)")
    span_nulls: bool | None = Field(None, description="connect lines across missing points")
    # single values
    reduce: str | list[str] | None = Field(None, description="stat, gauge, bargauge, piechart: which value a "
                                                             "series shows (Grafana reducer ids); unset: lastNotNull",
                                           examples=["lastNotNull", "mean", ["max"]])
    all_values: bool = Field(False, description="stat, gauge, bargauge, piechart: every value instead of one "
                                                "per series")
    color_mode: Literal["value", "background", "background_solid", "none"] | None = Field(
        None, description="stat: what the colour paints; unset: value")
    graph_mode: Literal["area", "none"] | None = Field(None, description="stat: sparkline; unset: area")
    text_mode: Literal["auto", "value", "value_and_name", "name", "none"] | None = Field(
        None, description="stat: what is written; unset: auto")
    orientation: Literal["auto", "horizontal", "vertical"] | None = Field(
        None, description="stat, gauge, bargauge: how several values are arranged; unset: auto")
    display_mode: Literal["gradient", "lcd", "basic"] | None = Field(None, description="bargauge: bar style")
    # text panels
    content: str | None = Field(None, description="text panels: the text", examples=["# Runbooks\n..."])
    content_mode: Literal["markdown", "html", "code"] | None = Field(None, description="text panels: how the "
                                                                                       "text is read; unset: markdown")
    # query options
    interval: str | None = Field(None, description="minimum interval of the panel's queries", examples=["1m"])
    max_data_points: int | None = Field(None, gt=0, description="most points per series the queries ask for; "
                                                                "unset: the panel's width in pixels",
                                        examples=[500])
    time_from: str | None = Field(None, description="relative time range of this panel instead of the "
                                                    "dashboard's", examples=["1h", "now/d"])
    time_shift: str | None = Field(None, description="shift the panel's time range back", examples=["1d"])
    hide_time_override: bool = Field(False, description="do not show time_from/time_shift in the panel's header")
    transparent: bool = Field(False, description="no panel background")
    extra: Extra
    silence: Silences = Field(default_factory=dict)

    @property
    def is_row(self) -> bool:
        return self.type == "row"

    @property
    def kind(self) -> str:
        """The type written: legacy types as their modern ones."""
        return LEGACY_PANEL_TYPES.get(self.type, self.type)

    @model_validator(mode="after")
    def _consistent(self):
        if self.type != "row" and self.type not in PANEL_TYPES and self.type not in LEGACY_PANEL_TYPES \
                and not PLUGIN_TYPE_RE.fullmatch(self.type):
            raise ValueError(f"{self.type!r} is not a Grafana panel type")
        if self.is_row:
            used = sorted(self.model_fields_set - {"title", "type", "collapsed", "panels", "repeat", "datasource",
                                                   "extra", "silence"})
            if used:
                raise ValueError(f"{', '.join(used)}: not used by a row (its panels are in `panels`)")
            if any(p.is_row for p in self.panels or []):
                raise ValueError("rows do not nest: a row's panels cannot be rows")
            return self
        if "panels" in self.model_fields_set or "collapsed" in self.model_fields_set:
            raise ValueError("`panels` and `collapsed` belong to rows (type: row)")
        if (self.x is None) != (self.y is None):
            raise ValueError("give both `x` and `y`, or neither")
        if self.x is not None and self.x + (self.width or 1) > 24:
            raise ValueError("x + width must fit the 24 grid columns")
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


class AnnotationSpec(Spec):
    name: str = Field(min_length=1, description="shown in the dashboard's annotation toggles",
                      examples=["Deployments"])
    expr: str | None = Field(None, description="PromQL: a series' samples become annotations (its labels fill "
                                               "title and text)", examples=['changes(kube_deployment_status_observed'
                                                                            '_generation{namespace="$namespace"}[2m]) '
                                                                            '> 0'])
    datasource: DatasourceRef | None = Field(None, description="unset: the dashboard's")
    color: Color = Field("red", description="colour of the markers")
    enabled: bool = Field(True, description="shown when the dashboard opens")
    hidden: bool = Field(False, description="no toggle for it on the dashboard")
    title: str | None = Field(None, description="title format, with {{label}}", examples=["{{deployment}}"])
    text: str | None = Field(None, description="text format, with {{label}}", examples=["{{namespace}}"])
    tags: list[str] = Field(default_factory=list, description="labels whose values become tags",
                            examples=[["namespace"]])
    step: str | None = Field(None, description="query step", examples=["60s"])
    use_value_for_time: bool = Field(False, description="the sample value is the annotation's time (ms)")
    extra: Extra

    @model_validator(mode="after")
    def _has_query(self):
        if self.expr is None and not self.extra:
            raise ValueError("an annotation needs an `expr` (or, for other datasources, its query in `extra`)")
        return self


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
    timezone: str = Field("browser", description="time zone times are shown in: browser (the viewer's), utc, or "
                                                 "an IANA zone", examples=["browser", "utc", "Europe/Amsterdam"])
    graph_tooltip: Literal["off", "crosshair", "tooltip"] = Field(
        "crosshair", description="hovering one graph shows on the others: nothing, the crosshair, or crosshair and "
                                 "tooltip")
    datasource: DatasourceRef | None = Field(None, description="datasource of panels and variables that name "
                                                               "none; unset: the default (global.datasource)",
                                             examples=["$datasource"])
    variables: list[VariableSpec] = Field(
        default_factory=list, description="template variables, in the order shown; a variable's query may use the "
                                          "ones before it",
        examples=[[{"name": "datasource", "type": "datasource", "plugin": "prometheus"},
                   {"name": "job", "query": "label_values(up, job)", "datasource": "$datasource"},
                   {"name": "instance", "query": 'label_values(up{job="$job"}, instance)',
                    "datasource": "$datasource", "multi": True, "include_all": True}]])
    links: list[LinkSpec] = Field(default_factory=list, description="links above the panels: to dashboards with "
                                                                    "tags, or to URLs",
                                  examples=[[{"title": "Services", "tags": ["services"], "as_dropdown": True,
                                              "include_vars": True, "keep_time": True}]])
    annotations: list[AnnotationSpec] = Field(default_factory=list,
                                              description="annotation queries, besides Grafana's built-in one",
                                              examples=[[{"name": "Deployments", "expr": "changes(kube_deployment_"
                                                          "status_observed_generation[2m]) > 0"}]])
    panels: list[PanelSpec] = Field(
        min_length=1, description="panels, at least one, laid out left to right and wrapped onto new rows; "
                                  "`type: row` starts a row holding its own `panels`",
        examples=[[{"title": "CPU Usage by Node", "unit": "percent", "min": 0, "max": 100,
                    "queries": [{"expr": '100 - (avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}'
                                         '[$__rate_interval])) * 100)', "legend": "{{instance}}"}]}]])
    extra: Extra
    silence: Silences = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_variables(self):
        seen: set[str] = set()
        for v in self.variables:
            if v.name in seen:
                raise ValueError(f"variable {v.name!r} is declared twice")
            seen.add(v.name)
        return self

    def all_panels(self) -> list[tuple[tuple, "PanelSpec"]]:
        """Every panel with its location below the dashboard (("panels", j) or ("panels", j, "panels", k)),
        rows included, in document order."""
        out = []
        for j, p in enumerate(self.panels):
            out.append((("panels", j), p))
            for k, inner in enumerate(p.panels or []):
                out.append((("panels", j, "panels", k), inner))
        return out
