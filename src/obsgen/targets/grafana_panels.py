"""Grafana panels: one PanelSpec -> the panel JSON of Grafana's current dashboard model.

Each panel is built with grafanalib's class for its type and encoded by it, then normalised:
grafanalib 0.7 still writes the model of Grafana 6 to 8 (nulls, legacy keys, gauge options inside
`fieldConfig`, bar gauge `fieldOptions`, the pre-9 heatmap), which Grafana's own JSON Schema
rejects. The `_options_*` functions translate that output much as Grafana's migrations do when it
loads an old dashboard, so what we write is already in the form Grafana would save. grafanalib
has no status-history panel and no class for plugin panels: those are written directly.

Then what the spec says on top of the type's defaults: field defaults (unit, range, thresholds,
colour, mappings, data links), overrides, legend, tooltip, drawing, reduction, transformations,
links, repeats and query options; last, the panel's `extra` is merged in.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import grafanalib.core as g
from grafanalib._gen import DashboardEncoder

from obsgen.core.templating import ref_id
from obsgen.resolve.datasources import Datasources
from obsgen.resolve.layout import Pos
from obsgen.spec import DashboardSpec, PanelSpec, QuerySpec
from obsgen.spec.dashboards import ColorSpec, LinkSpec, MappingSpec, OverrideSpec

# Single-value panels should show the latest value; grafanalib's default averages the whole range.
REDUCE_CALC = "lastNotNull"
# A query that does not say its format gets the one its panel reads: heatmaps want the `le` bucket
# series as format "heatmap" (Prometheus turns cumulative buckets into cells), tables want rows.
PANEL_QUERY_FORMAT = {"heatmap": "heatmap", "table": "table"}
# Colour mode when the spec gives none: series get the palette, single values their thresholds.
PALETTE_TYPES = ("timeseries", "piechart", "barchart", "histogram")
HIDE_FROM_NOTHING = {"legend": False, "tooltip": False, "viz": False}
# Panel types that read a reduced value per series (reduceOptions).
REDUCING = ("stat", "gauge", "bargauge", "piechart")
SORT = {"none": "none", "asc": "asc", "desc": "desc"}
DEFAULT_ICON = "external link"
MATCHERS = {"name": "byName", "regex": "byRegexp", "names": "byNames", "query": "byFrameRefID", "type": "byType",
            "value": "byValue"}


def query_format(q: QuerySpec, panel_type: str) -> str:
    return q.format or PANEL_QUERY_FORMAT.get(panel_type, "time_series")


def deep_merge(base: dict, extra: dict) -> dict:
    """`extra` merged into `base`: mappings merge key by key, anything else replaces."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = plain(value)
    return out


def plain(value):
    """A loaded YAML value as plain JSON data (YMap/YSeq are dict/list subclasses)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Where:
    """What a panel's references resolve against."""

    dashboard: DashboardSpec
    datasources: Datasources
    row: PanelSpec | None = None


# ----------------------------------------------------------------------------- panels

def panel(pid: int, spec: PanelSpec, pos: Pos, where: Where) -> dict:
    d, ds = where.dashboard, where.datasources
    kind = spec.kind
    ref = ds.panel(spec, d, where.row)
    targets = [_target(i, q, kind, ds.query(q, spec, d, where.row)) for i, q in enumerate(spec.queries)]
    builder = _BUILDERS.get(kind)
    if builder is None:
        out = _plugin_panel(spec)
    else:
        built = builder(spec, pid, ref)
        raw = drop_nulls(json.loads(json.dumps(built.to_json_data(), cls=DashboardEncoder)))
        options, custom = _OPTIONS[kind](raw, spec)
        out = {"id": pid, "type": kind, "title": spec.title}
        out["fieldConfig"] = {"defaults": _field_defaults(spec, custom), "overrides": [
            _override(o) for o in spec.overrides]}
        out["options"] = options
    out["id"], out["type"], out["title"] = pid, kind, spec.title
    if spec.description:
        out["description"] = spec.description
    if kind != "text" or spec.datasource:
        out["datasource"] = ref
    out["gridPos"] = pos.json()
    if kind != "text" or targets:
        out["targets"] = targets
    _panel_keys(out, spec)
    out = _order(out)
    return deep_merge(out, spec.extra) if spec.extra else out


def row(pid: int, spec: PanelSpec, pos: Pos, children: list[dict], where: Where) -> dict:
    built = g.RowPanel(title=spec.title, collapsed=spec.collapsed, panels=[], id=pid)
    raw = drop_nulls(json.loads(json.dumps(built.to_json_data(), cls=DashboardEncoder)))
    out = {"id": raw["id"], "type": "row", "title": raw["title"], "collapsed": raw["collapsed"]}
    if spec.datasource:
        out["datasource"] = where.datasources.ref(spec.datasource, where.dashboard)
    out["gridPos"] = pos.json()
    # A collapsed row keeps its panels; an open one is followed by them at the top level.
    out["panels"] = children if spec.collapsed else []
    if spec.repeat:
        out["repeat"] = spec.repeat
    return deep_merge(out, spec.extra) if spec.extra else out


_KEY_ORDER = ("id", "type", "title", "description", "datasource", "gridPos", "fieldConfig", "options", "targets")


def _order(out: dict) -> dict:
    return {**{k: out[k] for k in _KEY_ORDER if k in out}, **{k: v for k, v in out.items() if k not in _KEY_ORDER}}


def _panel_keys(out: dict, spec: PanelSpec) -> None:
    if spec.links:
        out["links"] = [link(x) for x in spec.links]
    if spec.transformations:
        out["transformations"] = [_transformation(t) for t in spec.transformations]
    if spec.repeat:
        out["repeat"] = spec.repeat
        out["repeatDirection"] = spec.repeat_direction or "h"
        if spec.max_per_row:
            out["maxPerRow"] = spec.max_per_row
    for key, value in (("interval", spec.interval), ("maxDataPoints", spec.max_data_points),
                       ("timeFrom", spec.time_from), ("timeShift", spec.time_shift)):
        if value is not None:
            out[key] = value
    if spec.hide_time_override:
        out["hideTimeOverride"] = True
    if spec.transparent:
        out["transparent"] = True


def _target(index: int, q: QuerySpec, kind: str, ref: dict) -> dict:
    out: dict = {"datasource": ref, "refId": q.ref_id or ref_id(index)}
    if q.expr is not None:
        out["expr"] = q.expr
    fmt = query_format(q, kind)
    legend = q.legend
    if legend is None and fmt == "heatmap":
        legend = "{{le}}"  # one row per bucket bound, ordered by Grafana
    if legend is not None:
        out["legendFormat"] = legend
    if ref["type"] == "prometheus" or ref["uid"].startswith("$"):
        # `range` is how current Grafana says "not only instant".
        out.update(format=fmt, instant=q.instant, range=q.range if q.range is not None else not q.instant)
    elif q.instant or q.range is not None:
        out.update(instant=q.instant, range=q.range if q.range is not None else not q.instant)
    if q.interval:
        out["interval"] = q.interval
    if q.hide:
        out["hide"] = True
    if q.exemplar:
        out["exemplar"] = True
    return deep_merge(out, q.extra) if q.extra else out


def link(spec: LinkSpec, data: bool = False) -> dict:
    """A dashboard, panel or data link with every key Grafana's schema requires."""
    kind = "link" if spec.url is not None or data else "dashboards"
    out = {"title": spec.title, "type": kind, "icon": spec.icon or DEFAULT_ICON, "tooltip": spec.tooltip,
           "tags": list(spec.tags), "asDropdown": spec.as_dropdown, "targetBlank": spec.new_tab,
           "includeVars": spec.include_vars, "keepTime": spec.keep_time}
    if spec.url is not None:
        out["url"] = spec.url
    return out


def _transformation(t) -> dict:
    out = {"id": t.id, "options": plain(t.options)}
    if t.disabled:
        out["disabled"] = True
    if t.filter is not None:
        out["filter"] = plain(t.filter)
    return out


def color(value: str | ColorSpec) -> dict:
    if isinstance(value, str):
        return {"mode": value}
    out = {"mode": value.mode}
    if value.fixed:
        out["fixedColor"] = value.fixed
    if value.series_by:
        out["seriesBy"] = value.series_by
    return out


def mappings(specs: list[MappingSpec]) -> list[dict]:
    """Grafana's value mappings; `index` orders results as Grafana's editor does."""
    out, index = [], 0

    def result(text, colour):
        nonlocal index
        r = {"index": index}
        index += 1
        if text is not None:
            r["text"] = text
        if colour is not None:
            r["color"] = colour
        return r

    for m in specs:
        if m.value is not None:
            out.append({"type": "value", "options": {m.value: result(m.text, m.color)}})
        elif m.values is not None:
            out.append({"type": "value", "options": {k: result(v.text, v.color) for k, v in m.values.items()}})
        elif m.range is not None:
            out.append({"type": "range", "options": {"from": num(m.range.from_), "to": num(m.range.to),
                                                     "result": result(m.range.text, m.range.color)}})
        elif m.regex is not None:
            out.append({"type": "regex", "options": {"pattern": m.regex.pattern,
                                                     "result": result(m.regex.text, m.regex.color)}})
        else:
            out.append({"type": "special", "options": {"match": m.special.match,
                                                       "result": result(m.special.text, m.special.color)}})
    return out


def _override(o: OverrideSpec) -> dict:
    (key, value), = ((k, getattr(o.match, k)) for k in o.match.model_fields_set)
    options = {"mode": "include", "names": list(value)} if key == "names" else plain(value)
    props = []
    for pid, pvalue in o.properties.items():
        if pid == "color" and isinstance(pvalue, str):
            pvalue = {"mode": "fixed", "fixedColor": pvalue}
        props.append({"id": pid, "value": plain(pvalue)})
    return {"matcher": {"id": MATCHERS[key], "options": options}, "properties": props}


# ----------------------------------------------------------------------------- building

def _common(spec: PanelSpec, pid: int, ref: dict) -> dict:
    # Targets, positions and panel keys are written by `panel`; grafanalib builds the type's body.
    return dict(id=pid, title=spec.title, dataSource=ref, targets=[])


def _timeseries(spec: PanelSpec, pid: int, ref: dict):
    legend, tooltip = spec.legend, spec.tooltip
    kwargs = {}
    if legend:
        kwargs.update(legendDisplayMode=legend.mode, legendPlacement=legend.placement, legendCalcs=list(legend.calcs))
    if tooltip:
        kwargs.update(tooltipMode=tooltip.mode, tooltipSort=SORT[tooltip.sort])
    if spec.stack and spec.stack != "none":
        kwargs["stacking"] = {"mode": spec.stack, "group": "A"}
    if spec.log_scale:
        kwargs.update(scaleDistributionType="log", scaleDistributionLog=spec.log_scale)
    for key, value in (("drawStyle", spec.draw), ("fillOpacity", spec.fill), ("lineWidth", spec.line_width),
                       ("showPoints", spec.points), ("axisPlacement", spec.axis), ("axisLabel", spec.axis_label),
                       ("spanNulls", spec.span_nulls)):
        if value is not None:
            kwargs[key] = value
    shown = spec.show_thresholds or ("line" if spec.thresholds else "off")
    return g.TimeSeries(**_common(spec, pid, ref), thresholdsStyleMode=shown, **kwargs)


def _stat(spec: PanelSpec, pid: int, ref: dict):
    kwargs = {}
    for key, value in (("colorMode", spec.color_mode), ("graphMode", spec.graph_mode), ("textMode", spec.text_mode),
                       ("orientation", spec.orientation)):
        if value is not None:
            kwargs[key] = value
    return g.Stat(**_common(spec, pid, ref), reduceCalc=_calcs(spec)[0], **kwargs)


def _gauge(spec: PanelSpec, pid: int, ref: dict):
    return g.GaugePanel(**_common(spec, pid, ref), calc=_calcs(spec)[0])


def _bargauge(spec: PanelSpec, pid: int, ref: dict):
    return g.BarGauge(**_common(spec, pid, ref), calc=_calcs(spec)[0],
                      displayMode=spec.display_mode or g.GAUGE_DISPLAY_MODE_GRADIENT,
                      orientation=spec.orientation or "horizontal")


def _heatmap(spec: PanelSpec, pid: int, ref: dict):
    formats = [query_format(q, "heatmap") for q in spec.queries]
    # Bucket series are already a histogram; anything else Grafana must bucket itself.
    data_format = "tsbuckets" if formats and all(f == "heatmap" for f in formats) else "timeseries"
    return g.Heatmap(**_common(spec, pid, ref), dataFormat=data_format, legend={"show": True},
                     color=g.HeatmapColor(cardColor="dark-orange"))  # Grafana's default fill


def _table(spec: PanelSpec, pid: int, ref: dict):
    return g.Table(**_common(spec, pid, ref))


def _text(spec: PanelSpec, pid: int, ref: dict):
    # grafanalib knows markdown and html only; `code` is set on the options it writes (_options_text)
    mode = spec.content_mode if spec.content_mode in ("markdown", "html") else "markdown"
    return g.Text(id=pid, title=spec.title, content=spec.content or "", mode=mode)


def _piechart(spec: PanelSpec, pid: int, ref: dict):
    return g.PieChartv2(**_common(spec, pid, ref), reduceOptionsCalcs=_calcs(spec),
                        reduceOptionsValues=spec.all_values)


def _state_timeline(spec: PanelSpec, pid: int, ref: dict):
    return g.StateTimeline(**_common(spec, pid, ref))


def _histogram(spec: PanelSpec, pid: int, ref: dict):
    return g.Histogram(**_common(spec, pid, ref))


def _barchart(spec: PanelSpec, pid: int, ref: dict):
    kwargs = {}
    if spec.stack:
        kwargs["stacking"] = spec.stack
    if spec.orientation:
        kwargs["orientation"] = spec.orientation
    return g.BarChart(**_common(spec, pid, ref), **kwargs)


def _logs(spec: PanelSpec, pid: int, ref: dict):
    return g.Logs(**_common(spec, pid, ref))


class _StatusHistory:
    """grafanalib has no status-history panel: its body in Grafana's current model."""

    def __init__(self, spec: PanelSpec, pid: int, ref: dict):
        self.pid = pid

    def to_json_data(self) -> dict:
        return {"options": {"showValue": "auto", "rowHeight": 0.9, "colWidth": 0.9},
                "fieldConfig": {"defaults": {"custom": {"lineWidth": 1, "fillOpacity": 70}}}}


_BUILDERS = {"timeseries": _timeseries, "stat": _stat, "gauge": _gauge, "bargauge": _bargauge, "heatmap": _heatmap,
             "table": _table, "text": _text, "piechart": _piechart, "state-timeline": _state_timeline,
             "status-history": _StatusHistory, "histogram": _histogram, "barchart": _barchart, "logs": _logs}


def _plugin_panel(spec: PanelSpec) -> dict:
    """A plugin panel obsgen does not model: Grafana's common field defaults; its options come from
    `extra`."""
    return {"fieldConfig": {"defaults": _field_defaults(spec, None), "overrides": [
        _override(o) for o in spec.overrides]}, "options": {}}


def _calcs(spec: PanelSpec) -> list[str]:
    if spec.reduce is None:
        return [REDUCE_CALC]
    return [spec.reduce] if isinstance(spec.reduce, str) else list(spec.reduce)


# ----------------------------------------------------------------------------- normalising

def drop_nulls(value):
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


def num(value):
    """80.0 -> 80, so that output reads as the spec was written."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _field_defaults(spec: PanelSpec, custom: dict | None) -> dict:
    out: dict = {}
    kind = spec.kind
    if kind != "heatmap":  # a heatmap's unit and range belong to its y axis (options.yAxis)
        for key in ("unit", "min", "max", "decimals"):
            if getattr(spec, key) is not None:
                out[key] = num(getattr(spec, key))
        if spec.color is not None:
            out["color"] = color(spec.color)
        elif kind not in ("text", "logs"):
            out["color"] = {"mode": "palette-classic" if kind in PALETTE_TYPES else "thresholds"}
    if kind in ("text", "logs") and not (spec.thresholds or spec.mappings):
        return {**out, **_value_keys(spec), **({"custom": custom} if custom else {})}
    steps = spec.thresholds or []
    # Grafana's first step is the base (-Infinity), written as null; without thresholds, one base step.
    out["thresholds"] = {"mode": spec.threshold_mode, "steps": [
        {"value": None if i == 0 or s.value is None else num(s.value), "color": s.color}
        for i, s in enumerate(steps)] or [{"value": None, "color": "green"}]}
    out["mappings"] = mappings(spec.mappings)
    out.update(_value_keys(spec))
    if custom:
        out["custom"] = custom
    return out


def _value_keys(spec: PanelSpec) -> dict:
    out: dict = {}
    if spec.no_value is not None:
        out["noValue"] = spec.no_value
    if spec.display_name is not None:
        out["displayName"] = spec.display_name
    if spec.data_links:
        out["links"] = [link(x, data=True) for x in spec.data_links]
    return out


def _legend(spec: PanelSpec, base: dict | None = None) -> dict:
    legend = spec.legend
    out = {"showLegend": True, "displayMode": "list", "placement": "bottom", "calcs": []}
    out.update({k: v for k, v in (base or {}).items() if k in ("displayMode", "placement", "calcs", "showLegend")})
    if legend:
        out.update(showLegend=legend.mode != "hidden", displayMode="list" if legend.mode == "hidden" else legend.mode,
                   placement=legend.placement, calcs=list(legend.calcs))
        if legend.sort_by:
            out.update(sortBy=legend.sort_by, sortDesc=legend.sort_desc)
        if legend.width:
            out["width"] = legend.width
    return out


def _tooltip(spec: PanelSpec) -> dict:
    t = spec.tooltip
    return {"mode": t.mode if t else "single", "sort": SORT[t.sort] if t else "none"}


def _reduce(spec: PanelSpec) -> dict:
    return {"values": spec.all_values, "calcs": _calcs(spec), "fields": ""}


def _custom_draw(spec: PanelSpec, custom: dict) -> dict:
    """Drawing settings many panel types share, in fieldConfig.defaults.custom."""
    for key, value in (("fillOpacity", spec.fill), ("lineWidth", spec.line_width), ("axisPlacement", spec.axis),
                       ("axisLabel", spec.axis_label)):
        if value is not None:
            custom[key] = value
    if spec.negative_y:
        custom["transform"] = "negative-Y"
    return custom


# Per panel type: (options, fieldConfig.defaults.custom) in the current model, from grafanalib's.

def _options_timeseries(raw: dict, spec: PanelSpec):
    options = {"legend": _legend(spec, raw["options"]["legend"]), "tooltip": _tooltip(spec)}
    custom = raw["fieldConfig"]["defaults"]["custom"]
    if custom["scaleDistribution"]["type"] == "linear":
        custom["scaleDistribution"].pop("log", None)
    if not custom.get("stacking"):
        custom["stacking"] = {"mode": "none", "group": "A"}
    if spec.negative_y:
        custom["transform"] = "negative-Y"
    return options, custom


def _options_stat(raw: dict, spec: PanelSpec):
    options = raw["options"]
    options["reduceOptions"] = _reduce(spec)
    options.update(wideLayout=True, showPercentChange=False, percentChangeColorMode="standard")
    return options, None


def _options_gauge(raw: dict, spec: PanelSpec):
    legacy = raw["fieldConfig"]  # Grafana 6's gauge kept its options inside fieldConfig
    return {
        "reduceOptions": _reduce(spec),
        "orientation": spec.orientation or "auto",
        "showThresholdLabels": legacy["showThresholdLabels"],
        "showThresholdMarkers": legacy["showThresholdMarkers"],
        "sizing": "auto", "minVizWidth": 75, "minVizHeight": 75,
    }, None


def _options_bargauge(raw: dict, spec: PanelSpec):
    legacy = raw["options"]  # Grafana 6's `fieldOptions`, split into reduceOptions and fieldConfig in 7
    legend = _legend(spec)
    if spec.legend is None:
        legend["showLegend"] = False
    return {
        "reduceOptions": _reduce(spec),
        "orientation": legacy["orientation"],
        "displayMode": legacy["displayMode"],
        "valueMode": "color", "namePlacement": "auto", "showUnfilled": True,
        "sizing": "auto", "minVizWidth": 8, "minVizHeight": 16, "maxVizHeight": 300,
        "legend": legend,
    }, None


def _options_heatmap(raw: dict, spec: PanelSpec):
    # grafanalib writes the heatmap panel Grafana 9 replaced; its settings map onto the new one.
    c = raw["color"]
    y_axis = {"axisPlacement": spec.axis or ("left" if raw["yAxis"]["show"] else "hidden"),
              "reverse": raw["reverseYBuckets"]}
    for key in ("unit", "decimals", "min", "max"):
        if getattr(spec, key) is not None:
            y_axis[key] = num(getattr(spec, key))
    options = {
        "calculate": raw["dataFormat"] != "tsbuckets",
        "color": {"mode": "opacity" if c["mode"] == "opacity" else "scheme",
                  "scheme": c["colorScheme"].removeprefix("interpolate"), "fill": c["cardColor"],
                  "scale": "exponential" if c["colorScale"] == "sqrt" else "linear",
                  "exponent": c["exponent"], "steps": 64, "reverse": False},
        "cellGap": 1,
        "showValue": "auto",
        "yAxis": y_axis,
        "rowsFrame": {"layout": raw.get("yBucketBound") or "auto"},
        "legend": {"show": spec.legend.mode != "hidden" if spec.legend else raw["legend"]["show"]},
        "tooltip": {"mode": spec.tooltip.mode if spec.tooltip else "single", "yHistogram": False,
                    "showColorScale": False},
        "exemplars": {"color": "rgba(255,0,255,0.7)"},
        "selectionMode": "x",
    }
    if raw["hideZeroBuckets"]:
        options["filterValues"] = {"le": 1e-9}
    return options, {"hideFrom": dict(HIDE_FROM_NOTHING), "scaleDistribution": {"type": "linear"}}


def _options_table(raw: dict, spec: PanelSpec):
    legacy = raw["fieldConfig"]["defaults"]["custom"]
    # `displayMode` became `cellOptions` in Grafana 10. Ours is "auto", Grafana's default, so it is
    # left out: `{"type": "auto"}` matches several branches of the schema's `oneOf` and fails it.
    custom = {"align": legacy["align"], "filterable": legacy["filterable"], "inspect": False}
    options = {"showHeader": raw["options"]["showHeader"], "cellHeight": "sm", "frameIndex": 0,
               "showTypeIcons": False, "footer": {"show": False, "reducer": ["sum"], "countRows": False},
               "sortBy": raw["options"]["sortBy"]}
    return options, custom


def _options_text(raw: dict, spec: PanelSpec):
    return {"mode": spec.content_mode or raw["options"]["mode"], "content": raw["options"]["content"],
            "code": {"language": "plaintext", "showLineNumbers": False, "showMiniMap": False}}, None


def _options_piechart(raw: dict, spec: PanelSpec):
    o = raw["options"]
    legend = {**_legend(spec, o["legend"]), "values": list(o["legend"].get("values", []))}
    return {"reduceOptions": _reduce(spec), "pieType": o["pieType"], "tooltip": _tooltip(spec),
            "legend": legend, "orientation": spec.orientation or "auto", "displayLabels": []}, \
        _custom_draw(spec, {"hideFrom": dict(HIDE_FROM_NOTHING)})


def _options_state_timeline(raw: dict, spec: PanelSpec):
    o = raw["options"]
    options = {"showValue": o["showValue"], "rowHeight": o["rowHeight"], "mergeValues": o["mergeValues"],
               "alignValue": o["alignValue"], "legend": _legend(spec, o["legend"]), "tooltip": _tooltip(spec)}
    return options, _custom_draw(spec, {**raw["fieldConfig"]["defaults"]["custom"],
                                        "hideFrom": dict(HIDE_FROM_NOTHING)})


def _options_status_history(raw: dict, spec: PanelSpec):
    options = {**raw["options"], "legend": _legend(spec), "tooltip": _tooltip(spec)}
    return options, _custom_draw(spec, {**raw["fieldConfig"]["defaults"]["custom"],
                                        "hideFrom": dict(HIDE_FROM_NOTHING)})


def _options_histogram(raw: dict, spec: PanelSpec):
    o = raw["options"]
    options = {"legend": _legend(spec, o["legend"]), "tooltip": _tooltip(spec), "bucketOffset": o["bucketOffset"],
               "combine": o["combine"]}
    custom = {**raw["fieldConfig"]["defaults"]["custom"], "hideFrom": dict(HIDE_FROM_NOTHING)}
    if spec.stack and spec.stack != "none":
        custom["stacking"] = {"mode": spec.stack, "group": "A"}
    return options, _custom_draw(spec, custom)


def _options_barchart(raw: dict, spec: PanelSpec):
    o = raw["options"]
    options = {k: o[k] for k in ("orientation", "xTickLabelRotation", "xTickLabelSpacing", "showValue", "stacking",
                                 "groupWidth", "barWidth", "barRadius")}
    options.update(legend=_legend(spec, o["legend"]), tooltip=_tooltip(spec))
    custom = raw["fieldConfig"]["defaults"]["custom"]
    return options, _custom_draw(spec, custom)


def _options_logs(raw: dict, spec: PanelSpec):
    return raw["options"], None


_OPTIONS = {"timeseries": _options_timeseries, "stat": _options_stat, "gauge": _options_gauge,
            "bargauge": _options_bargauge, "heatmap": _options_heatmap, "table": _options_table,
            "text": _options_text, "piechart": _options_piechart, "state-timeline": _options_state_timeline,
            "status-history": _options_status_history, "histogram": _options_histogram,
            "barchart": _options_barchart, "logs": _options_logs}
