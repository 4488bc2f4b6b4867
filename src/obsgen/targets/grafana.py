"""Grafana target: one dashboard JSON file per dashboard, in Grafana's current dashboard model, in
its folder (the spec's, else the owning team's), and the provisioning files that load them
(targets/grafana_provisioning.py) when `output.grafana.enabled`.

Dashboards are built with grafanalib and encoded by it, then normalised: grafanalib 0.7 still
writes the model of Grafana 6 to 8 (schemaVersion 12, nulls, legacy keys, gauge options inside
`fieldConfig`, bar gauge `fieldOptions`, the pre-9 heatmap), which Grafana's own JSON Schema
rejects. The `_normalise_*` functions translate that output much as Grafana's migrations do when
it loads an old dashboard, so what we write is already in the form Grafana would save.
"""
from __future__ import annotations

import json
import posixpath
import string

import grafanalib.core as g
from grafanalib._gen import DashboardEncoder

from obsgen.core import naming
from obsgen.core.serialise import Artifact, to_json
from obsgen.resolve.model import Model
from obsgen.spec import DashboardSpec, PanelSpec, QuerySpec
from obsgen.targets.grafana_provisioning import provisioning

DEFAULT_FOLDER = "General"
# The classic dashboard model's current version (Grafana 12): Grafana runs no migrations on load.
SCHEMA_VERSION = 42
GRID_COLUMNS = 24
DEFAULT_HEIGHT = 8
DEFAULT_WIDTH = {"stat": 6, "gauge": 6, "bargauge": 6, "timeseries": 12, "heatmap": 12, "table": 24}
# Single-value panels should show the latest value; grafanalib's default averages the whole range.
REDUCE_CALC = "lastNotNull"
# A query that does not say its format gets the one its panel reads: heatmaps want the `le` bucket
# series as format "heatmap" (Prometheus turns cumulative buckets into cells), tables want rows.
PANEL_QUERY_FORMAT = {"heatmap": "heatmap", "table": "table"}

BUILT_IN_ANNOTATION = {
    "builtIn": 1,
    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
    "enable": True,
    "hide": True,
    "iconColor": "rgba(0, 211, 255, 1)",
    "name": "Annotations & Alerts",
    "type": "dashboard",
}
HIDE_FROM_NOTHING = {"legend": False, "tooltip": False, "viz": False}


class GrafanaTarget:
    name = "grafana"

    def generate(self, model: Model) -> list[Artifact]:
        ds = model.spec.global_.datasource
        ref = {"type": ds.type, "uid": ds.uid}
        out, folders = [], {}
        for uid, d in model.dashboards:
            title = folder_title(d)
            path = naming.dashboard_file(title, uid)
            folder = posixpath.dirname(path)
            # Titles whose slugs agree share a folder; the first in sort order names it.
            folders[folder] = min(title, folders.get(folder, title))
            out.append(Artifact(path, to_json(dashboard(uid, d, ref))))
        if model.spec.output.grafana.enabled:
            out += provisioning(model, folders)
        return out


def folder_title(spec: DashboardSpec) -> str:
    """The dashboard's Grafana folder: the one the spec names, else its team's, else General."""
    named = spec.folder if "folder" in spec.model_fields_set else None
    return named or spec.team or DEFAULT_FOLDER


def dashboard(uid: str, spec: DashboardSpec, ref: dict) -> dict:
    """The dashboard JSON for one spec, every panel and query reading the datasource `ref`."""
    panels = [_panel(i, p, pos, ref) for i, (p, pos) in enumerate(zip(spec.panels, layout(spec.panels)), 1)]
    built = g.Dashboard(
        title=spec.title, uid=uid, description=spec.description or "", tags=list(spec.tags),
        refresh=spec.refresh, time=g.Time(spec.time.from_, spec.time.to), timezone=spec.timezone,
        # Generated files are overwritten on the next build: saving edits in Grafana would lose them.
        editable=False, graphTooltip=1,
        annotations=g.Annotations(list=[BUILT_IN_ANNOTATION]), panels=panels)
    raw = json.loads(json.dumps(built.to_json_data(), cls=DashboardEncoder))
    return _normalise_dashboard(raw, spec)


def layout(panels: list[PanelSpec]) -> list[g.GridPos]:
    """Shelf packing: left to right on the 24-column grid, a new row when the next panel does not
    fit, each row as tall as its tallest panel."""
    out, x, y, row_height = [], 0, 0, 0
    for p in panels:
        w, h = p.width or DEFAULT_WIDTH[p.type], p.height or DEFAULT_HEIGHT
        if x + w > GRID_COLUMNS:
            x, y, row_height = 0, y + row_height, 0
        out.append(g.GridPos(h=h, w=w, x=x, y=y))
        x, row_height = x + w, max(row_height, h)
    return out


def ref_id(index: int) -> str:
    """A, B, ... Z, AA, AB, ...: Grafana's own sequence of query ids."""
    out, n = "", index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = string.ascii_uppercase[r] + out
    return out


def query_format(q: QuerySpec, panel_type: str) -> str:
    return q.format or PANEL_QUERY_FORMAT.get(panel_type, "time_series")


# ----------------------------------------------------------------------------- building

def _panel(pid: int, spec: PanelSpec, pos: g.GridPos, ref: dict):
    formats = [query_format(q, spec.type) for q in spec.queries]
    common = dict(id=pid, title=spec.title, description=spec.description, dataSource=ref, gridPos=pos,
                  targets=[_target(i, q, fmt, ref) for i, (q, fmt) in enumerate(zip(spec.queries, formats))])
    if spec.type == "timeseries":
        return g.TimeSeries(**common, thresholdsStyleMode="line" if spec.thresholds else "off")
    if spec.type == "stat":
        return g.Stat(**common, reduceCalc=REDUCE_CALC)
    if spec.type == "gauge":
        return g.GaugePanel(**common, calc=REDUCE_CALC)
    if spec.type == "bargauge":
        return g.BarGauge(**common, calc=REDUCE_CALC, displayMode=g.GAUGE_DISPLAY_MODE_GRADIENT)
    if spec.type == "heatmap":
        # Bucket series are already a histogram; anything else Grafana must bucket itself.
        data_format = "tsbuckets" if all(f == "heatmap" for f in formats) else "timeseries"
        return g.Heatmap(**common, dataFormat=data_format, legend={"show": True},
                         color=g.HeatmapColor(cardColor="dark-orange"))  # Grafana's default fill
    return g.Table(**common)


def _target(index: int, q: QuerySpec, fmt: str, ref: dict) -> g.Target:
    legend = q.legend
    if legend is None and fmt == "heatmap":
        legend = "{{le}}"  # one row per bucket bound, ordered by Grafana
    return g.Target(expr=q.expr, refId=ref_id(index), legendFormat=legend, format=fmt,
                    instant=q.instant, datasource=ref)


# ----------------------------------------------------------------------------- normalising

def _drop_nulls(value):
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _num(value):
    """80.0 -> 80, so that output reads as the spec was written."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _normalise_dashboard(raw: dict, spec: DashboardSpec) -> dict:
    raw = _drop_nulls(raw)
    out = {k: raw[k] for k in ("uid", "title", "description", "tags", "timezone", "editable",
                               "graphTooltip", "refresh", "time") if raw.get(k) not in (None, "")}
    # `time_options` is the pre-7 list of quick ranges (now `quick_ranges` of objects).
    out["timepicker"] = {k: v for k, v in raw["timepicker"].items() if k != "time_options"}
    out["schemaVersion"] = SCHEMA_VERSION
    out["annotations"] = raw["annotations"]
    out["templating"] = raw["templating"]
    out["links"] = raw["links"]
    # Dropped: `id` (Grafana assigns it per instance), `version`, `__inputs`, `gnetId`, `rows`,
    # `hideControls`, `sharedCrosshair` and `style`, which current Grafana no longer has.
    out["panels"] = [_normalise_panel(p, s) for p, s in zip(raw["panels"], spec.panels)]
    return out


def _normalise_panel(raw: dict, spec: PanelSpec) -> dict:
    kind = raw["type"]
    options, custom = _OPTIONS[kind](raw, spec)
    out = {k: raw[k] for k in ("id", "type", "title", "description", "datasource", "gridPos") if k in raw}
    out["fieldConfig"] = {"defaults": _field_defaults(spec, custom), "overrides": []}
    out["options"] = options
    out["targets"] = [_normalise_target(t) for t in raw["targets"]]
    # Dropped: pre-7 layout keys (`span`, `height`, `minSpan`), `editable`, `error`, grafanalib's
    # `maxDataPoints: 100` (it would cap resolution; Grafana sizes it to the panel's width), and
    # default-valued or empty keys, so files stay short and diffs small.
    return out


def _normalise_target(raw: dict) -> dict:
    # Legacy Graphite/pre-7 keys (`query`, `target`, `metric`, `step`, `intervalFactor`) are dropped;
    # `range` is how current Grafana says "not only instant".
    out = {"datasource": raw["datasource"], "refId": raw["refId"], "expr": raw["expr"]}
    if "legendFormat" in raw:
        out["legendFormat"] = raw["legendFormat"]
    out.update(format=raw["format"], instant=raw["instant"], range=not raw["instant"])
    return out


def _field_defaults(spec: PanelSpec, custom: dict | None) -> dict:
    out: dict = {}
    if spec.type != "heatmap":  # a heatmap's unit and range belong to its y axis (options.yAxis)
        for key in ("unit", "min", "max", "decimals"):
            if getattr(spec, key) is not None:
                out[key] = _num(getattr(spec, key))
        out["color"] = {"mode": "palette-classic" if spec.type == "timeseries" else "thresholds"}
    steps = spec.thresholds or []
    # Grafana's first step is the base (-Infinity), written as null; without thresholds, one base step.
    out["thresholds"] = {"mode": "absolute", "steps": [
        {"value": None if i == 0 or s.value is None else _num(s.value), "color": s.color}
        for i, s in enumerate(steps)] or [{"value": None, "color": "green"}]}
    out["mappings"] = []
    if custom:
        out["custom"] = custom
    return out


# Per panel type: (options, fieldConfig.defaults.custom) in the current model, from grafanalib's.

def _timeseries(raw: dict, spec: PanelSpec):
    options = raw["options"]
    options["legend"]["showLegend"] = True  # required since Grafana 9, which grafanalib predates
    custom = raw["fieldConfig"]["defaults"]["custom"]
    if custom["scaleDistribution"]["type"] == "linear":
        custom["scaleDistribution"].pop("log", None)
    return options, custom


def _reduce(calcs: list, values: bool) -> dict:
    return {"values": values, "calcs": calcs, "fields": ""}


def _stat(raw: dict, spec: PanelSpec):
    options = raw["options"]
    options.update(wideLayout=True, showPercentChange=False, percentChangeColorMode="standard")
    return options, None


def _gauge(raw: dict, spec: PanelSpec):
    legacy = raw["fieldConfig"]  # Grafana 6's gauge kept its options inside fieldConfig
    return {
        "reduceOptions": _reduce(legacy["defaults"]["calcs"], legacy["defaults"]["values"]),
        "orientation": "auto",
        "showThresholdLabels": legacy["showThresholdLabels"],
        "showThresholdMarkers": legacy["showThresholdMarkers"],
        "sizing": "auto", "minVizWidth": 75, "minVizHeight": 75,
    }, None


def _bargauge(raw: dict, spec: PanelSpec):
    legacy = raw["options"]  # Grafana 6's `fieldOptions`, split into reduceOptions and fieldConfig in 7
    return {
        "reduceOptions": _reduce(legacy["fieldOptions"]["calcs"], legacy["fieldOptions"]["values"]),
        "orientation": legacy["orientation"],
        "displayMode": legacy["displayMode"],
        "valueMode": "color", "namePlacement": "auto", "showUnfilled": True,
        "sizing": "auto", "minVizWidth": 8, "minVizHeight": 16, "maxVizHeight": 300,
        "legend": {"displayMode": "list", "placement": "bottom", "showLegend": False, "calcs": []},
    }, None


def _heatmap(raw: dict, spec: PanelSpec):
    # grafanalib writes the heatmap panel Grafana 9 replaced; its settings map onto the new one.
    color = raw["color"]
    y_axis = {"axisPlacement": "left" if raw["yAxis"]["show"] else "hidden", "reverse": raw["reverseYBuckets"]}
    for key in ("unit", "decimals", "min", "max"):
        if getattr(spec, key) is not None:
            y_axis[key] = _num(getattr(spec, key))
    options = {
        "calculate": raw["dataFormat"] != "tsbuckets",
        "color": {"mode": "opacity" if color["mode"] == "opacity" else "scheme",
                  "scheme": color["colorScheme"].removeprefix("interpolate"), "fill": color["cardColor"],
                  "scale": "exponential" if color["colorScale"] == "sqrt" else "linear",
                  "exponent": color["exponent"], "steps": 64, "reverse": False},
        "cellGap": 1,
        "showValue": "auto",
        "yAxis": y_axis,
        "rowsFrame": {"layout": raw.get("yBucketBound") or "auto"},
        "legend": {"show": raw["legend"]["show"]},
        "tooltip": {"mode": "single", "yHistogram": False, "showColorScale": False},
        "exemplars": {"color": "rgba(255,0,255,0.7)"},
        "selectionMode": "x",
    }
    if raw["hideZeroBuckets"]:
        options["filterValues"] = {"le": 1e-9}
    return options, {"hideFrom": dict(HIDE_FROM_NOTHING), "scaleDistribution": {"type": "linear"}}


def _table(raw: dict, spec: PanelSpec):
    legacy = raw["fieldConfig"]["defaults"]["custom"]
    # `displayMode` became `cellOptions` in Grafana 10. Ours is "auto", Grafana's default, so it is
    # left out: `{"type": "auto"}` matches several branches of the schema's `oneOf` and fails it.
    custom = {"align": legacy["align"], "filterable": legacy["filterable"], "inspect": False}
    options = {"showHeader": raw["options"]["showHeader"], "cellHeight": "sm", "frameIndex": 0,
               "showTypeIcons": False, "footer": {"show": False, "reducer": ["sum"], "countRows": False},
               "sortBy": raw["options"]["sortBy"]}
    return options, custom


_OPTIONS = {"timeseries": _timeseries, "stat": _stat, "gauge": _gauge, "bargauge": _bargauge,
            "heatmap": _heatmap, "table": _table}
