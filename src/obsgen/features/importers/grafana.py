"""Grafana dashboards -> obsgen `dashboards` (and the `datasources` they use), as YAML text.

Input: dashboard JSON files (plain, "export for sharing" with `__inputs`, or wrapped as
`{"dashboard": …}`), Kubernetes ConfigMaps (and lists of them) holding dashboard JSON, and
grafana-operator GrafanaDashboard resources. Folders give their *.json, *.yaml and *.yml files.

Every setting obsgen models is mapped onto its spec: variables, rows, positions, datasources,
queries, field defaults, overrides, mappings, links, transformations, legend, tooltip and drawing
options, annotations. Legacy panels are migrated to the types current Grafana migrates them to
(graph -> timeseries, singlestat -> stat, table-old -> table) and the old `rows[]` layout to rows
on the grid; a legacy setting that has no modern equivalent is dropped with a warning (OBS042).

Then the importer builds each dashboard back with obsgen's Grafana target and compares it with
the input: whatever the spec did not reproduce (a plugin's options, a setting obsgen does not
model) goes into the object's `extra`, written back as given, with a warning at its place in the
input (OBS069). A last build checks that everything the input says is in the output: the import
round-trips by construction, and any difference left is reported, never silent.

Instance noise is not imported: `id`, `version`, `iteration`, `gnetId`, `schemaVersion`,
`__inputs`/`__requires`/`__elements`, `pluginVersion`, query editor state (`editorMode`, `key`),
variables' computed `options`, the empty queries Grafana's editor leaves on rows. `editable` is not carried over: provisioned dashboards are
read-only (the next build would overwrite an edit).
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from obsgen.check.dashboards import SETTING_KINDS
from obsgen.check.expressions import GRAFANA_RANGE, GRAFANA_VARS, promql_error
from obsgen.core import naming
from obsgen.core.diagnostics import Diagnostic, Pos, error, has_errors, normalise, warning
from obsgen.core.serialise import to_commented_yaml
from obsgen.core.templating import for_promql, ref_id, undefined, variable_promql
from obsgen.features.importers.common import Ctx, input_files, read_documents
from obsgen.load.yaml import MAX_FILE_BYTES, YMap, YSeq, load_text
from obsgen.resolve.datasources import Datasources
from obsgen.resolve.layout import DEFAULT_HEIGHT, GRID_COLUMNS, default_width
from obsgen.spec import ProjectSpec
from obsgen.spec.dashboards import (
    LEGACY_PANEL_TYPES,
    PANEL_TYPES,
    PLUGIN_TYPE_RE,
    VARIABLE_RE,
)
from obsgen.targets.grafana import dashboard as build_dashboard
from obsgen.targets.grafana_panels import PANEL_QUERY_FORMAT, num, plain

PASSED_THROUGH = "OBS069"  # kept as Grafana JSON in `extra`
DROPPED = "OBS042"  # a legacy setting with no modern equivalent
SUFFIXES = (".json", ".yaml", ".yml")
MAX_WARNED_KEYS = 6

DASHBOARD_NOISE = {"id", "version", "iteration", "gnetId", "schemaVersion", "__inputs", "__requires", "__elements",
                   "editable", "folderId", "overwrite", "hideControls", "style", "sharedCrosshair", "rows", "meta",
                   "uid", "title", "description", "tags", "refresh", "time", "timezone", "graphTooltip",
                   "templating", "links", "panels", "annotations"}
PANEL_NOISE = {"id", "pluginVersion", "gridPos", "datasource", "targets", "panels", "collapsed", "isNew", "error",
               "editable", "span", "height", "type", "title"}
TARGET_NOISE = {"datasource", "refId", "editorMode", "key", "step", "calculatedInterval", "errors", "legendLink",
                "datasourceErrors"}
VARIABLE_NOISE = {"options", "definition", "current", "datasource", "name", "type", "error", "index", "state",
                  "tagsQuery", "tagValuesQuery", "tags", "useTags"}
HIDE = {1: "label", 2: "variable", 3: "menu"}
REFRESH = {0: "never", 1: "load", 2: "time_range"}
SORT = {1: "alpha", 2: "alpha_desc", 3: "numeric", 4: "numeric_desc", 5: "alpha_ci", 6: "alpha_ci_desc",
        7: "natural", 8: "natural_desc"}
GRAPH_TOOLTIP = {0: "off", 1: "crosshair", 2: "tooltip"}
MATCHERS = {"byName": "name", "byRegexp": "regex", "byNames": "names", "byFrameRefID": "query", "byType": "type",
            "byValue": "value"}
GRAFANA_OWN = {"-- Mixed --": "mixed", "-- Dashboard --": "dashboard", "-- Grafana --": "grafana",
               "grafana": "grafana"}
# Simple panel settings: spec field, where the panel JSON keeps it, the values the spec accepts.
SIMPLE = [
    ("description", "description", str),
    ("unit", "fieldConfig.defaults.unit", str),
    ("min", "fieldConfig.defaults.min", "number"),
    ("max", "fieldConfig.defaults.max", "number"),
    ("decimals", "fieldConfig.defaults.decimals", range(0, 21)),
    ("no_value", "fieldConfig.defaults.noValue", str),
    ("display_name", "fieldConfig.defaults.displayName", str),
    ("draw", "fieldConfig.defaults.custom.drawStyle", ("line", "bars", "points")),
    ("fill", "fieldConfig.defaults.custom.fillOpacity", range(0, 101)),
    ("line_width", "fieldConfig.defaults.custom.lineWidth", range(0, 11)),
    ("points", "fieldConfig.defaults.custom.showPoints", ("auto", "always", "never")),
    ("axis", "fieldConfig.defaults.custom.axisPlacement", ("auto", "left", "right", "hidden")),
    ("axis_label", "fieldConfig.defaults.custom.axisLabel", str),
    ("span_nulls", "fieldConfig.defaults.custom.spanNulls", bool),
    ("stack", "fieldConfig.defaults.custom.stacking.mode", ("none", "normal", "percent")),
    ("show_thresholds", "fieldConfig.defaults.custom.thresholdsStyle.mode",
     ("off", "line", "area", "dashed", "line+area", "dashed+area")),
    ("color_mode", "options.colorMode", ("value", "background", "background_solid", "none")),
    ("graph_mode", "options.graphMode", ("area", "none")),
    ("text_mode", "options.textMode", ("auto", "value", "value_and_name", "name", "none")),
    ("orientation", "options.orientation", ("auto", "horizontal", "vertical")),
    ("display_mode", "options.displayMode", ("gradient", "lcd", "basic")),
    ("interval", "interval", str),
    ("max_data_points", "maxDataPoints", range(1, 10**9)),
    ("time_from", "timeFrom", str),
    ("time_shift", "timeShift", str),
    ("hide_time_override", "hideTimeOverride", bool),
    ("transparent", "transparent", bool),
    ("repeat_direction", "repeatDirection", ("h", "v")),
    ("max_per_row", "maxPerRow", range(1, 25)),
]
MISSING = object()
# Settings of the legacy graph panel: current panel types ignore them (compiled mixins often leave
# them on timeseries panels).
GRAPH_ONLY = {"aliasColors", "bars", "dashLength", "dashes", "fill", "fillGradient", "hiddenSeries", "legend",
              "lines", "linewidth", "nullPointMode", "percentage", "pointradius", "points", "renderer",
              "seriesOverrides", "spaceLength", "stack", "steppedLine", "thresholds", "timeRegions", "tooltip",
              "xaxis", "yaxes", "yaxis", "paceLength", "legendType", "grid", "leftYAxisLabel", "rightYAxisLabel",
              "sparkline", "valueName", "valueMaps", "rangeMaps", "colorBackground", "colorValue", "colors",
              "mappingType", "mappingTypes", "nullText", "prefix", "postfix", "format", "gauge", "tableColumn",
              "valueFontSize", "prefixFontSize", "postfixFontSize", "colorPrefix", "colorPostfix", "styles",
              "columns", "transform", "sort", "scroll", "fontSize", "pageSize", "showHeader", "cacheTimeout"}
# Plugin types a datasource's name may give away, most specific first.
NAMED_TYPES = ("elasticsearch", "influxdb", "cloudwatch", "graphite", "postgres", "mysql", "clickhouse", "loki",
               "tempo", "jaeger", "prometheus")
# Query keys current Grafana no longer reads: not imported (the header says so).
DEAD_TARGET_KEYS = {"step", "calculatedInterval", "errors", "legendLink", "datasourceErrors"}
# Grafana's own defaults: a key set to its default says nothing a dashboard without it does not
# (Grafana 10+ saves many of them), so it is not imported as `extra`.
_HIDE_NOTHING = {"legend": False, "tooltip": False, "viz": False}
PANEL_DEFAULTS = {
    "fieldConfig": {"defaults": {
        "mappings": [], "links": [],
        "custom": {"axisBorderShow": False, "axisCenteredZero": False, "axisColorMode": "text", "axisLabel": "",
                   "axisPlacement": "auto", "barAlignment": 0, "barWidthFactor": 0.6, "drawStyle": "line",
                   "fillOpacity": 0, "gradientMode": "none", "hideFrom": _HIDE_NOTHING, "insertNulls": False,
                   "lineInterpolation": "linear", "lineWidth": 1, "pointSize": 5, "showPoints": "auto",
                   "spanNulls": False, "lineStyle": {"fill": "solid"}, "scaleDistribution": {"type": "linear"},
                   "stacking": {"group": "A", "mode": "none"}, "thresholdsStyle": {"mode": "off"},
                   "align": "auto", "cellOptions": {"type": "auto"}, "inspect": False, "filterable": False,
                   "axisGridShow": True, "minWidth": None}},
        "overrides": []},
    "options": {"legend": {"showLegend": True, "displayMode": "list", "placement": "bottom", "calcs": [],
                           "asTable": None, "isVisible": None},
                "tooltip": {"mode": "single", "sort": "none", "maxHeight": 600, "hideZeros": False},
                "justifyMode": "auto", "wideLayout": True, "showPercentChange": False,
                "percentChangeColorMode": "standard", "text": {}, "showThresholdLabels": False,
                "showThresholdMarkers": True, "sizing": "auto", "minVizWidth": None, "minVizHeight": None,
                "maxVizHeight": 300, "valueMode": "color", "namePlacement": "auto", "showUnfilled": True,
                "cellHeight": "sm", "showHeader": True, "frameIndex": 0, "showTypeIcons": False,
                "footer": {"show": False, "reducer": ["sum"], "countRows": False, "fields": "",
                           "enablePagination": False},
                "code": {"language": "plaintext", "showLineNumbers": False, "showMiniMap": False},
                "reduceOptions": {"fields": "", "values": False}},
    "links": [], "transparent": False, "hideTimeOverride": False, "transformations": [], "timeFrom": None,
    "timeShift": None, "interval": None, "maxDataPoints": None, "description": "", "repeat": None,
    "repeatDirection": "h",
}
TARGET_DEFAULTS = {"hide": False, "exemplar": False, "instant": False, "interval": "", "legendFormat": "",
                   "useBackend": False, "disableTextWrap": False, "fullMetaSearch": False,
                   "includeNullMetadata": True, "intervalFactor": 1, "range": True, "format": "time_series",
                   "step": None, "queryType": None, "metric": "", "datasourceErrors": {}}
DASHBOARD_DEFAULTS = {"fiscalYearStartMonth": 0, "weekStart": "", "liveNow": False, "links": [],
                      "timepicker": {"hidden": False, "collapse": False, "enable": True, "notice": False,
                                     "now": True, "status": "Stable", "type": "timepicker", "time_options": None,
                                     "refresh_intervals": None, "nowDelay": ""}}


def _drop_defaults(value: dict, defaults: dict) -> dict:
    """`value` without the keys set to Grafana's default (None in the table: any value is noise)."""
    out = {}
    for k, v in value.items():
        d = defaults.get(k, MISSING)
        if d is MISSING:
            out[k] = v
        elif d is None:
            if k in ("timeFrom", "timeShift", "interval", "maxDataPoints", "repeat", "minVizWidth", "minVizHeight",
                     "minWidth", "asTable", "isVisible", "step", "queryType", "time_options", "refresh_intervals"):
                if v is None or v == "" or k in ("minVizWidth", "minVizHeight", "asTable", "isVisible",
                                                 "time_options", "refresh_intervals"):
                    continue
            out[k] = v
        elif isinstance(d, dict) and isinstance(v, dict) and d and set(d) != set(_HIDE_NOTHING) \
                and k not in ("lineStyle", "scaleDistribution", "stacking", "thresholdsStyle", "cellOptions"):
            sub = _drop_defaults(v, d)
            if sub:
                out[k] = sub
        elif not _same(v, d) or not _same(d, v):
            out[k] = v
    return out


def import_grafana(paths: list[Path]) -> tuple[str | None, list[Diagnostic]]:
    """Grafana dashboards -> (obsgen spec as YAML text, or None; diagnostics)."""
    ctx = Ctx("Grafana")
    sources = _Sources()
    dashboards, files = [], []
    seen: dict[str, str] = {}  # uid -> where the dashboard that has it came from
    for path, shown in input_files(paths, ctx, SUFFIXES):
        files.append(shown)
        for tree, where in _dashboards_in(path, shown, ctx):
            d = _Dashboard(tree, where, ctx, sources).convert()
            if d is None:
                continue
            uid = d[0].get("uid") or naming.slug(d[0]["title"])
            if uid in seen:  # Grafana keeps one dashboard per uid: the second would replace the first
                key = "uid" if "uid" in tree else "title"
                ctx.diags.append(error("OBS020", f"dashboard {d[0]['title']!r}: uid {uid!r} is also the uid of the "
                                                 f"dashboard imported from {seen[uid]}; Grafana keeps one dashboard "
                                                 f"per uid", tree.key_pos.get(key, tree.pos),
                                       hint="import one of them, or give one another uid"))
                continue
            seen[uid] = str(tree.pos)
            dashboards.append(d)
    if not dashboards and not has_errors(ctx.diags):
        ctx.invalid("found no Grafana dashboard to import", Pos(files[0] if files else "<no input>"))
    if has_errors(ctx.diags):
        return None, normalise(ctx.diags)
    doc: dict = {"apiVersion": naming.API_VERSION}
    if sources.entries:
        doc["datasources"] = sorted(sources.entries.values(), key=lambda e: e["name"])
    doc["dashboards"] = [d for d, _ in dashboards]
    header = [f"Imported by obsgen from Grafana dashboards: {', '.join(files)}.",
              "Review it, then keep it with your obsgen specs: it replaces those files as the source of truth.",
              "Dashboards are provisioned read-only (`editable` is not imported): change them here."]
    if ctx.notes:
        header += ["", "Notes:"] + [f"- {n}" for n in ctx.notes]
    text = to_commented_yaml(doc, "\n".join(header))
    for _ in range(3):  # what obsgen's lint refuses in the input's own queries: kept unchecked, said so
        if not _uncheck_refused(text, dashboards, ctx):
            break
        text = to_commented_yaml(doc, "\n".join(header))
    _self_check(text, dashboards, ctx)
    return (None if has_errors(ctx.diags) else text), normalise(ctx.diags)


# ----------------------------------------------------------------------------- reading

def _dashboards_in(path: Path, shown: str, ctx: Ctx) -> list[tuple[YMap, str]]:
    """The dashboards of one file, each with the name its positions are reported under."""
    if path.suffix == ".json":
        tree = _read_json(path, shown, ctx)
        if tree is None:
            return []
        return [(d, shown) for d in [_unwrap(tree, shown, ctx)] if d is not None]
    docs, diags = read_documents(path, shown)
    ctx.diags += diags
    out = []
    for doc in docs:
        for item in (doc.get("items") or []) if doc.get("kind") in ("ConfigMapList", "List") else [doc]:
            if isinstance(item, YMap):
                out += _from_resource(item, shown, ctx)
    if not out and not has_errors(diags):
        ctx.invalid("no Grafana dashboard here: expected a ConfigMap with dashboard JSON in `data`, or a "
                    "GrafanaDashboard", Pos(shown, 1, 1))
    return out


def _read_json(path: Path, shown: str, ctx: Ctx) -> YMap | None:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            ctx.diags.append(error("OBS005", f"file is {size} bytes; inputs are limited to {MAX_FILE_BYTES}",
                                   Pos(shown)))
            return None
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        ctx.diags.append(error("OBS005", f"cannot read file: {exc.strerror or exc}", Pos(shown)))
        return None
    except UnicodeDecodeError:
        ctx.diags.append(error("OBS005", "file is not UTF-8 text", Pos(shown)))
        return None
    return _parse_json(text, shown, ctx)


def _parse_json(text: str, shown: str, ctx: Ctx, line: int = 0) -> YMap | None:
    """JSON with positions: checked by the json module (its message and line:col on bad input),
    then read by obsgen's loader, which keeps where every value stands."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        ctx.invalid(f"not valid JSON: {exc.msg}", Pos(shown, exc.lineno + line, exc.colno))
        return None
    except RecursionError:
        ctx.diags.append(error("OBS004", "JSON nested too deeply", Pos(shown, 1 + line, 1)))
        return None
    tree, diags = load_text("\n" * line + text, shown)
    if has_errors(diags):
        ctx.diags += diags
        return None
    if not isinstance(tree, YMap):
        ctx.invalid("a dashboard is a JSON object", Pos(shown, 1 + line, 1))
        return None
    return tree


def _unwrap(tree: YMap, shown: str, ctx: Ctx) -> YMap | None:
    """The dashboard itself: API exports wrap it as {"dashboard": …, "meta": …}."""
    if isinstance(tree.get("dashboard"), YMap) and "panels" not in tree and "rows" not in tree:
        tree = tree["dashboard"]
    if not any(k in tree for k in ("panels", "rows", "title")):
        ctx.invalid("not a Grafana dashboard: no `title`, `panels` or `rows`", tree.pos)
        return None
    return tree


def _from_resource(doc: YMap, shown: str, ctx: Ctx) -> list[tuple[YMap, str]]:
    kind = doc.get("kind")
    if kind == "GrafanaDashboard":
        spec = doc.get("spec") if isinstance(doc.get("spec"), YMap) else {}
        if isinstance(spec.get("json"), str):
            return _embedded(spec, "json", shown, ctx)
        ctx.invalid("GrafanaDashboard without `spec.json`: only inline JSON can be imported", doc.pos)
        return []
    if kind == "ConfigMap":
        data = doc.get("data") if isinstance(doc.get("data"), YMap) else {}
        out = []
        for key in data:
            if str(key).endswith(".json") and isinstance(data[key], str):
                out += _embedded(data, key, shown, ctx)
        return out
    if "panels" in doc or "rows" in doc:  # a dashboard written as YAML
        return [(doc, shown)]
    return []


def _embedded(parent: YMap, key: str, shown: str, ctx: Ctx) -> list[tuple[YMap, str]]:
    """Dashboard JSON kept as a string in YAML: positions point into that string, named after its key."""
    name = f"{shown}[{key}]"
    tree = _parse_json(parent[key], name, ctx)
    if tree is None:
        return []
    d = _unwrap(tree, name, ctx)
    return [(d, name)] if d is not None else []


# ----------------------------------------------------------------------------- datasources

class _Sources:
    """The `datasources` entries the imported dashboards need, one per (type, uid)."""

    def __init__(self):
        self.entries: dict[tuple[str, str], dict] = {}

    def entry(self, kind: str, uid: str) -> str:
        key = (kind, uid)
        if key not in self.entries:
            base = re.sub(r"[^A-Za-z0-9_.-]+", "-", uid).strip("-")[:40] or kind
            if base in ("mixed", "dashboard", "grafana"):
                base = f"{base}-{kind}"[:40]
            name, n = base, 2
            taken = {e["name"] for e in self.entries.values()}
            while name in taken:
                name = f"{base[:36]}-{n}"
                n += 1
            self.entries[key] = {"name": name, "type": kind, "uid": uid}
        return self.entries[key]["name"]


# ----------------------------------------------------------------------------- one dashboard

@dataclass
class _Converted:
    """A panel (or row) as spec data, with its input for the comparison."""

    spec: dict
    raw: dict
    pos: Pos
    children: list["_Converted"] = field(default_factory=list)
    queries: list[tuple[dict, dict, Pos]] = field(default_factory=list)  # (query spec, input target, where)


def _get(d, path: str, default=MISSING):
    for part in path.split("."):
        if not isinstance(d, dict) or part not in d:
            return default
        d = d[part]
    return d


def _fits(value, allowed) -> bool:
    if allowed is str:
        return isinstance(value, str)
    if allowed is bool:
        return isinstance(value, bool)
    if allowed == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if isinstance(allowed, range):
        return isinstance(value, int) and not isinstance(value, bool) and value in allowed
    return isinstance(value, str) and value in allowed


def _same(a, b) -> bool:
    """`a` (the input) is reproduced by `b` (the output): mappings may have more keys in `b`."""
    if isinstance(a, dict):
        return isinstance(b, dict) and all(k in b and _same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and not isinstance(a, bool) and isinstance(b, (int, float)) \
            and not isinstance(b, bool):
        return a == b
    if isinstance(a, str) and isinstance(b, str):  # a CR before a newline is whitespace to every reader
        return a == b or a.replace("\r\n", "\n") == b.replace("\r\n", "\n")
    return type(a) is type(b) and a == b


def _residual(orig: dict, gen: dict, skip: set[str] = frozenset(), prefix: str = "") -> tuple[dict, list[str]]:
    """What of `orig` `gen` does not reproduce: (the extra that restores it, its dotted paths)."""
    out, paths = {}, []
    for k, v in orig.items():
        if k in skip:
            continue
        g = gen.get(k, MISSING) if isinstance(gen, dict) else MISSING
        if isinstance(v, dict) and isinstance(g, dict) and v:
            sub, more = _residual(v, g, prefix=f"{prefix}{k}.")
            if sub:
                out[k] = sub
                paths += more
        elif not _same(v, g):
            out[k] = plain(v)
            paths.append(f"{prefix}{k}")
    return out, paths


class _Dashboard:
    def __init__(self, tree: YMap, shown: str, ctx: Ctx, sources: _Sources):
        self.t, self.shown, self.ctx, self.sources = tree, shown, ctx, sources
        self.title = tree.get("title") if isinstance(tree.get("title"), str) and tree.get("title") else "Imported"
        inputs = tree.get("__inputs") if isinstance(tree.get("__inputs"), list) else []
        self.inputs = {str(i.get("name")): str(i.get("pluginId") or "prometheus") for i in inputs
                       if isinstance(i, dict) and i.get("type") == "datasource"}
        variables = _get(tree, "templating.list", [])
        self.ds_variables = {str(v.get("name")): v.get("query") if isinstance(v.get("query"), str) else "prometheus"
                             for v in (variables if isinstance(variables, list) else [])
                             if isinstance(v, dict) and v.get("type") == "datasource"}
        self.extra_variables: list[dict] = []
        self.declared = {str(v.get("name")) for v in (variables if isinstance(variables, list) else [])
                         if isinstance(v, dict)}
        self.stale: set[str] = set()  # modern panels still carrying the legacy graph panel's settings
        self.stale_keys: set[str] = set()
        requires = [r.get("id") for r in (tree.get("__requires") or []) if isinstance(r, dict)
                    and r.get("type") == "datasource" and isinstance(r.get("id"), str)]
        self.requires = requires[0] if len(requires) == 1 else None  # the one datasource type it needs

    # -- reporting
    def at(self, node, key: str | None = None) -> Pos:
        if isinstance(node, YMap):
            if key is not None and key in node:
                return node.key_pos.get(key, node.pos)
            return node.pos
        if isinstance(node, YSeq):
            return node.pos
        return self.t.pos

    def passed(self, what: str, paths: list[str], pos: Pos) -> None:
        shown = ", ".join(paths[:MAX_WARNED_KEYS]) + (f" and {len(paths) - MAX_WARNED_KEYS} more"
                                                      if len(paths) > MAX_WARNED_KEYS else "")
        self.ctx.diags.append(warning(PASSED_THROUGH, f"{what}: {shown}: not modelled by obsgen; kept as Grafana "
                                                      f"JSON in `extra`", pos))

    def dropped(self, what: str, keys: list[str], pos: Pos, why: str) -> None:
        self.ctx.approximate(f"dashboard {self.title!r}, {what}: {', '.join(keys)} dropped ({why})", pos)

    # -- datasources
    def ds(self, raw, where: Pos, guess: str = "prometheus") -> str | None:
        """A datasource reference as the spec writes it; None: the default."""
        if raw is None or raw == "default" or raw == "":
            return None
        kind = None
        if isinstance(raw, dict):
            uid, kind = raw.get("uid"), raw.get("type")
            if uid is None:
                if kind in (None, "prometheus"):
                    return None
                self.ctx.approximate(f"dashboard {self.title!r}: a {kind} datasource named by type only; obsgen "
                                     f"writes uid {kind!r}", where)
                return self.sources.entry(str(kind), str(kind))
            raw = uid
        if not isinstance(raw, str):
            self.ctx.approximate(f"dashboard {self.title!r}: datasource {raw!r} is not a reference Grafana reads; "
                                 "the default datasource is used", where)
            return None
        if raw in GRAFANA_OWN:
            return GRAFANA_OWN[raw]
        m = re.fullmatch(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::\w+)?\}?", raw)
        inp = re.fullmatch(r"\$\{([^}:]+)(?::\w+)?\}", raw)
        if inp and inp.group(1) in self.inputs:
            return self.input_ds(inp.group(1))
        if m:
            name = m.group(1)
            if name in self.ds_variables:
                return f"${name}"
            self.ctx.approximate(f"dashboard {self.title!r}: datasource {raw} names no datasource variable; the "
                                 "default datasource is used", where)
            return None
        if kind is None:
            self.ctx.approximate(f"dashboard {self.title!r}: datasource named {raw!r} (Grafana's old form, by "
                                 f"name): imported as a `datasources` entry whose uid and type obsgen guessed; set "
                                 f"the real ones", where)
        if not naming.UID_RE.fullmatch(raw):
            uid = re.sub(r"[^A-Za-z0-9_-]+", "-", raw).strip("-")[:40] or "datasource"
            self.ctx.approximate(f"dashboard {self.title!r}: datasource {raw!r} is not a uid Grafana accepts; "
                                 f"written as uid {uid!r}", where)
            raw = uid
        if kind is None and self.requires is None:  # a name often says the type: "InfluxDB (trending)"
            kind = next((t for t in NAMED_TYPES if t in raw.lower().replace(" ", "")), None)
        return self.sources.entry(str(kind or self.requires or guess), raw)

    def plugin(self, ref: str | None) -> str:
        """The plugin type a spec reference stands for (default: Prometheus)."""
        if ref is None:
            return "prometheus"
        if ref.startswith("$"):
            return self.ds_variables.get(ref.lstrip("$").strip("{}"), "prometheus") or "prometheus"
        for e in self.sources.entries.values():
            if e["name"] == ref:
                return e["type"]
        return "other"

    def unchecked(self, spec: dict, key: str, plugin: str, what: str, where: Pos) -> None:
        """An expression Prometheus would refuse, or that uses a variable the dashboard does not
        declare, is the input's own problem: kept as given in `extra` (unchecked), and said so."""
        expr = spec.get(key)
        if not isinstance(expr, str):
            return
        missing = undefined(expr, self.declared)
        problem = promql_error(GRAFANA_VARS.sub(GRAFANA_RANGE, for_promql(expr))) if plugin == "prometheus" else None
        if not (missing or problem):
            return
        why = (f"not PromQL Prometheus accepts ({problem}; MetricsQL?)" if problem else "") + \
            ("; " if problem and missing else "") + \
            (f"uses {', '.join('$' + m for m in missing)}, which the dashboard does not declare" if missing else "")
        self.ctx.approximate(f"dashboard {self.title!r}, {what}: {why}: kept as given in `extra`, so obsgen does "
                             "not check it; fix it in the spec to have it checked", where)
        spec.setdefault("extra", {})[key] = spec.pop(key)

    def input_ds(self, name: str) -> str | None:
        """An "export for sharing" input (${DS_PROMETHEUS}): Prometheus ones are the default datasource;
        others become a datasource variable, which the viewer chooses as the import dialog would ask."""
        plugin = self.inputs[name]
        if plugin == "prometheus":
            return None
        if not VARIABLE_RE.fullmatch(name):
            name = re.sub(r"\W", "_", name)
        if name not in self.ds_variables:
            self.ds_variables[name] = plugin
            self.extra_variables.append({"name": name, "type": "datasource", "plugin": plugin})
            self.ctx.note(f"dashboard {self.title!r}: its input ${{{name}}} ({plugin}) is a datasource variable")
        return f"${name}"

    # -- the dashboard
    def convert(self) -> tuple[dict, dict] | None:
        t = self.t
        raw_panels = self.panels_in()
        spec: dict = {"title": self.title}
        uid = t.get("uid")
        if isinstance(uid, str) and naming.UID_RE.fullmatch(uid):
            spec["uid"] = uid
        elif uid:
            self.ctx.approximate(f"dashboard {self.title!r}: uid {uid!r} is not a Grafana uid obsgen can write "
                                 "(letters, digits, _ and -, at most 40); the title's slug is used", self.at(t, "uid"))
        for key in ("description",):
            if isinstance(t.get(key), str) and t.get(key):
                spec[key] = t[key]
        if isinstance(t.get("tags"), list) and t["tags"]:
            spec["tags"] = [str(x) for x in t["tags"]]
        refresh = t.get("refresh")
        spec["refresh"] = refresh if isinstance(refresh, str) and re.fullmatch(r"\d+[smhdwy]", refresh) else None
        if refresh and spec["refresh"] is None:
            self.dropped("refresh", [repr(refresh)], self.at(t, "refresh"), "not an interval")
        time = t.get("time")
        if isinstance(time, dict) and isinstance(time.get("from"), str) and isinstance(time.get("to"), str):
            if (time["from"], time["to"]) != ("now-6h", "now"):
                spec["time"] = {"from": time["from"], "to": time["to"]}
        if isinstance(t.get("timezone"), str) and t["timezone"] not in ("", "browser"):
            spec["timezone"] = t["timezone"]
        tooltip = t.get("graphTooltip", 1 if t.get("sharedCrosshair") else 0)
        spec["graph_tooltip"] = GRAPH_TOOLTIP.get(tooltip, "off")
        if spec["graph_tooltip"] == "crosshair":
            del spec["graph_tooltip"]
        variables = [v for v in (self.variable(x) for x in _get(t, "templating.list", []) or []) if v]
        links = [self.link(x) for x in (t.get("links") or []) if isinstance(x, dict)]
        annotations = [a for a in (self.annotation(x) for x in _get(t, "annotations.list", []) or []
                                   if isinstance(x, dict)) if a]
        panels = self.grouped(raw_panels)
        if self.extra_variables:
            variables = [_Converted(v, None, self.t.pos) for v in self.extra_variables] + variables
        declared = {v.spec["name"] for v in variables}
        for c in _flat(panels):
            if c.spec.get("repeat") and c.spec["repeat"] not in declared:
                self.dropped(f"{c.spec['type']} {c.spec['title']!r}", [f"repeat {c.spec['repeat']}"], c.pos,
                             "a variable the dashboard does not declare: Grafana repeats nothing")
                del c.spec["repeat"]
                c.spec.pop("repeat_direction", None)
                c.spec.pop("max_per_row", None)
                c.raw = YMapLike(c.raw, {}, keep=tuple(k for k in c.raw
                                                       if k not in ("repeat", "repeatDirection", "maxPerRow")))
        if variables:
            spec["variables"] = [v.spec for v in variables]
        if links:
            spec["links"] = [x for x, _ in links]
        if annotations:
            spec["annotations"] = [a.spec for a in annotations]
        spec["panels"] = [c.spec for c in panels]
        if self.stale:
            self.ctx.approximate(f"dashboard {self.title!r}: {len(self.stale)} panel(s) ({', '.join(sorted(self.stale)[:3])}"
                                 f"{', …' if len(self.stale) > 3 else ''}) carry settings of Grafana's legacy graph "
                                 f"panel that their type ignores ({', '.join(sorted(self.stale_keys)[:8])}"
                                 f"{', …' if len(self.stale_keys) > 8 else ''}): not imported", self.t.pos)
        return self.fit(spec, panels, variables, annotations, links)

    def grouped(self, raw_panels: list) -> list[_Converted]:
        """Top-level panels and rows, each row with its panels: an open row owns the panels after
        it, up to the next row; a collapsed row keeps its own."""
        out: list[_Converted] = []
        current: _Converted | None = None
        for p in raw_panels:
            c = self.panel(p, None)
            if c is None:
                continue
            if c.spec["type"] == "row":
                out.append(c)
                current = None if c.spec.get("collapsed") else c
                if c.spec.get("collapsed"):
                    c.children = [x for x in (self.panel(q, c.spec) for q in (p.get("panels") or [])) if x]
                    if any(x.spec["type"] == "row" for x in c.children):
                        c.children = [x for x in c.children if x.spec["type"] != "row"]
                        self.ctx.approximate(f"dashboard {self.title!r}: a row inside row {c.spec['title']!r}; "
                                             "rows do not nest, not imported", self.at(p))
                    c.spec["panels"] = [x.spec for x in c.children]
            elif current is not None:
                current.children.append(c)
                current.spec.setdefault("panels", []).append(c.spec)
            else:
                out.append(c)
        return out

    def panels_in(self) -> list:
        t = self.t
        panels = t.get("panels")
        if isinstance(panels, list) and panels:
            return list(panels)
        rows = t.get("rows")
        if isinstance(rows, list) and rows:
            return self.old_rows(rows)
        return list(panels or [])

    def old_rows(self, rows: list) -> list:
        """Grafana 4's `rows[]` (12 columns, heights in pixels) as rows on the 24-column grid, the
        way Grafana's own migration (schema 16) lays them out: row panels only when some row is
        collapsed, shows its title or repeats; spans times two; pixel heights in 38-pixel cells."""
        out, y = [], 0
        rows = [r for r in rows if isinstance(r, dict) and not r.get("repeatIteration")]
        show_rows = any(r.get("collapse") or r.get("showTitle") or r.get("repeat") for r in rows)
        for r in rows:
            row_h = _grid_height(r.get("height", 250))
            collapsed = show_rows and bool(r.get("collapse"))
            top = y + (1 if show_rows else 0)
            children, x, line_y, line_h, bottom = [], 0, top, 0, top
            for p in r.get("panels") or []:
                if not isinstance(p, dict):
                    continue
                span = p.get("span", 4)
                w = max(1, min(GRID_COLUMNS, int(math.floor(float(span))) * 2)) \
                    if isinstance(span, (int, float)) and span > 0 else 8
                h = _grid_height(p["height"]) if p.get("height") else row_h
                if x + w > GRID_COLUMNS:
                    x, line_y, line_h = 0, line_y + line_h, 0
                children.append(YMapLike(p, {"gridPos": {"x": x, "y": line_y, "w": w, "h": h}}))
                x, line_h, bottom = x + w, max(line_h, h), max(bottom, line_y + h)
            if show_rows:
                title = r.get("title") if isinstance(r.get("title"), str) else ""
                out.append(YMapLike(r, {"type": "row", "title": title, "collapsed": collapsed,
                                        "gridPos": {"x": 0, "y": y, "w": GRID_COLUMNS, "h": 1},
                                        "panels": children if collapsed else []}, keep=("repeat",)))
            if not collapsed:
                out += children
            y = top if collapsed else max(top + row_h, bottom)
        return out

    # -- panels
    def panel(self, p, row: dict | None) -> _Converted | None:
        if not isinstance(p, dict):
            return None
        kind = p.get("type")
        where = self.at(p)
        if kind is None and isinstance(p.get("libraryPanel"), dict):
            self.ctx.approximate(f"dashboard {self.title!r}: panel {p['libraryPanel'].get('name', '')!r} is a "
                                 "library panel, whose settings live in Grafana's library, not in the dashboard: "
                                 "not imported (copy it into the dashboard in Grafana, export, import again)", where)
            return None
        if not isinstance(kind, str) or not (kind == "row" or kind in PANEL_TYPES or kind in LEGACY_PANEL_TYPES
                                             or PLUGIN_TYPE_RE.fullmatch(kind)):
            self.ctx.approximate(f"dashboard {self.title!r}: a panel of type {kind!r} is not a Grafana panel type; "
                                 "not imported", where)
            return None
        title = p.get("title") if isinstance(p.get("title"), str) else ""
        if kind == "row":
            return self.row(p, title)
        if kind in LEGACY_PANEL_TYPES:
            p = self.migrate(p, kind, title)
            kind = LEGACY_PANEL_TYPES[kind]
        elif kind in PANEL_TYPES:
            stale = sorted(k for k in p if k in GRAPH_ONLY)
            if stale:
                self.stale.add(f"{kind} {title!r}")
                self.stale_keys.update(stale)
                p = YMapLike(p, {}, keep=tuple(k for k in p if k not in GRAPH_ONLY))
        spec: dict = {"title": title, "type": kind}
        ds = self.ds(p.get("datasource"), self.at(p, "datasource"))
        if ds is not None:
            spec["datasource"] = ds
        queries = self.queries(p, spec)
        if queries:  # none: Grafana runs its datasource's default query (test data draws, Prometheus shows nothing)
            spec["queries"] = [q for q, _, _ in queries]
        grid = p.get("gridPos") if isinstance(p.get("gridPos"), dict) else {}
        w, h = grid.get("w"), grid.get("h")
        if isinstance(w, int) and 1 <= w <= GRID_COLUMNS and w != default_width(kind):
            spec["width"] = w
        if isinstance(h, int) and 1 <= h <= 100 and h != DEFAULT_HEIGHT:
            spec["height"] = h
        if isinstance(p.get("repeat"), str) and VARIABLE_RE.fullmatch(p["repeat"]):
            spec["repeat"] = p["repeat"]
        for key, path, allowed in SIMPLE:
            value = _get(p, path)
            if value is not MISSING and _fits(value, allowed):
                spec[key] = num(value) if allowed == "number" else value
        if kind == "text":
            if isinstance(_get(p, "options.content"), str):
                spec["content"] = p["options"]["content"]
            if _get(p, "options.mode") in ("markdown", "html", "code"):
                spec["content_mode"] = p["options"]["mode"]
        self.field_defaults(p, spec)
        self.options(p, spec, kind)
        for key in [k for k in spec if k in SETTING_KINDS and kind not in SETTING_KINDS[k]]:
            del spec[key]  # its type does not read it: kept as given by the fit, if it matters
        return _Converted(spec, p, where, queries=queries)

    def row(self, p: dict, title: str) -> _Converted:
        spec: dict = {"title": title, "type": "row"}
        if p.get("collapsed") is True:
            spec["collapsed"] = True
        if isinstance(p.get("repeat"), str) and VARIABLE_RE.fullmatch(p["repeat"]):
            spec["repeat"] = p["repeat"]
        ds = self.ds(p.get("datasource"), self.at(p, "datasource"))
        if ds is not None:
            spec["datasource"] = ds
        return _Converted(spec, p, self.at(p))

    def queries(self, p: dict, spec: dict) -> list[tuple[dict, dict, Pos]]:
        out = []
        targets = p.get("targets") if isinstance(p.get("targets"), list) else []
        panel_ds = spec.get("datasource")
        used_ids: set[str] = set()
        for i, t in enumerate(x for x in targets if isinstance(x, dict)):
            q: dict = {}
            if isinstance(t.get("expr"), str) and t["expr"].strip():
                q["expr"] = t["expr"]
            if isinstance(t.get("legendFormat"), str) and t["legendFormat"]:
                q["legend"] = t["legendFormat"]
            if t.get("format") in ("time_series", "table", "heatmap") and \
                    t["format"] != PANEL_QUERY_FORMAT.get(spec["type"], "time_series"):
                q["format"] = t["format"]
            if t.get("instant") is True:
                q["instant"] = True
                if t.get("range") is True:
                    q["range"] = True
            if isinstance(t.get("interval"), str) and t["interval"]:
                q["interval"] = t["interval"]
            for key in ("hide", "exemplar"):
                if t.get(key) is True:
                    q[key] = True
            rid = t.get("refId") if isinstance(t.get("refId"), str) and re.fullmatch(r"[A-Za-z0-9_-]{1,40}",
                                                                                     t["refId"]) else ref_id(i)
            if rid in used_ids:  # Grafana keys results by refId: one of the two would be lost
                free = next(ref_id(n) for n in range(len(targets) + len(used_ids) + 1) if ref_id(n) not in used_ids
                            and ref_id(n) not in {x.get("refId") for x in targets if isinstance(x, dict)})
                self.ctx.approximate(f"dashboard {self.title!r}, panel {spec['title']!r}: two queries have refId "
                                     f"{rid!r}, and Grafana shows only one of their results: this one is {free!r}",
                                     self.at(t, "refId"))
                rid = free
            used_ids.add(rid)
            if rid != ref_id(i):
                q["ref_id"] = rid
            if "datasource" in t:
                ds = self.ds(t["datasource"], self.at(t, "datasource"))
                if ds != panel_ds and not (ds is None and panel_ds == "mixed"):
                    if ds is not None or panel_ds is not None:
                        q["datasource"] = ds if ds is not None else self.default_name()
            if DEAD_TARGET_KEYS & set(t):
                self.ctx.note(f"dashboard {self.title!r}: query settings current Grafana no longer reads "
                              f"({', '.join(sorted(DEAD_TARGET_KEYS & set(t)))}) are not imported")
            if "expr" in q:
                plugin = self.plugin(q.get("datasource", panel_ds if panel_ds != "mixed" else None))
                self.unchecked(q, "expr", plugin, f"panel {spec['title']!r}, query {t.get('refId', i + 1)}",
                               self.at(t, "expr"))
            if "expr" not in q and "extra" not in q:  # another datasource's query: its fields, until the fit keeps what is needed
                q["extra"] = {k: plain(v) for k, v in t.items() if k not in TARGET_NOISE} or {"refId": ref_id(i)}
            out.append((q, t, self.at(t)))
        return out

    def default_name(self) -> str:
        return "prometheus"

    def field_defaults(self, p: dict, spec: dict) -> None:
        d = _get(p, "fieldConfig.defaults", {})
        if not isinstance(d, dict):
            return
        th = d.get("thresholds")
        if isinstance(th, dict) and isinstance(th.get("steps"), list) and th["steps"]:
            steps = []
            for i, s in enumerate(th["steps"]):
                if not isinstance(s, dict) or not isinstance(s.get("color"), str):
                    steps = []
                    break
                step = {"color": s["color"]}
                if i > 0:
                    step["value"] = s.get("value")
                steps.append(step)
            values = [s.get("value") for s in steps[1:]]
            if steps and all(_fits(v, "number") for v in values) and values == sorted(set(values)):
                spec["thresholds"] = [{**s, "value": num(s["value"])} if "value" in s else s for s in steps]
            if th.get("mode") == "percentage":
                spec["threshold_mode"] = "percentage"
        c = d.get("color")
        if isinstance(c, dict) and isinstance(c.get("mode"), str):
            if set(c) == {"mode"}:
                spec["color"] = c["mode"]
            elif set(c) <= {"mode", "fixedColor", "seriesBy"} and c.get("seriesBy") in (None, "last", "min", "max"):
                spec["color"] = {"mode": c["mode"], **({"fixed": c["fixedColor"]} if c.get("fixedColor") else {}),
                                 **({"series_by": c["seriesBy"]} if c.get("seriesBy") else {})}
        if isinstance(d.get("mappings"), list) and d["mappings"]:
            m = self.mappings(d["mappings"])
            if m is not None:
                spec["mappings"] = m
        if isinstance(d.get("links"), list) and d["links"]:
            spec["data_links"] = [x for x, _ in (self.link(x) for x in d["links"] if isinstance(x, dict))]
        custom = d.get("custom") if isinstance(d.get("custom"), dict) else {}
        sd = custom.get("scaleDistribution")
        if isinstance(sd, dict) and sd.get("type") == "log" and sd.get("log") in (2, 10):
            spec["log_scale"] = sd["log"]
        if custom.get("transform") == "negative-Y":
            spec["negative_y"] = True
        overrides = _get(p, "fieldConfig.overrides", [])
        if isinstance(overrides, list) and overrides:
            o = [self.override(x) for x in overrides]
            if all(x is not None for x in o):
                spec["overrides"] = o

    @staticmethod
    def mappings(raw: list) -> list | None:
        out = []
        for m in raw:
            if not isinstance(m, dict) or not isinstance(m.get("options"), dict):
                return None
            o, kind = m["options"], m.get("type")

            def result(r):
                r = r if isinstance(r, dict) else {}
                return {k: r[k] for k in ("text", "color") if isinstance(r.get(k), str)}
            if kind == "value" and o:
                if len(o) == 1:
                    (k, v), = o.items()
                    out.append({"value": str(k), **result(v)})
                else:
                    out.append({"values": {str(k): result(v) for k, v in o.items()}})
            elif kind == "range" and all(o.get(k) is None or _fits(o.get(k), "number") for k in ("from", "to")):
                out.append({"range": {**{k: num(o[k]) for k in ("from", "to") if o.get(k) is not None},
                                      **result(o.get("result"))}})
            elif kind == "regex" and isinstance(o.get("pattern"), str) and o["pattern"]:
                out.append({"regex": {"pattern": o["pattern"], **result(o.get("result"))}})
            elif kind == "special" and o.get("match") in ("null", "nan", "null+nan", "true", "false", "empty"):
                out.append({"special": {"match": o["match"], **result(o.get("result"))}})
            else:
                return None
        return out

    @staticmethod
    def override(o) -> dict | None:
        if not isinstance(o, dict) or not isinstance(o.get("matcher"), dict):
            return None
        key = MATCHERS.get(o["matcher"].get("id"))
        options = o["matcher"].get("options")
        if key is None:
            return None
        if key == "names":
            if not (isinstance(options, dict) and options.get("mode", "include") == "include"
                    and isinstance(options.get("names"), list)):
                return None
            options = [str(x) for x in options["names"]]
        elif key == "value":
            if not isinstance(options, dict):
                return None
        elif not isinstance(options, str):
            return None
        props: dict = {}
        for prop in o.get("properties") or []:
            if not isinstance(prop, dict) or not isinstance(prop.get("id"), str) or prop["id"] in props:
                return None
            value = prop.get("value")
            if prop["id"] == "color" and isinstance(value, dict) and value.get("mode") == "fixed" \
                    and set(value) == {"mode", "fixedColor"} and isinstance(value["fixedColor"], str):
                value = value["fixedColor"]
            props[prop["id"]] = plain(value)
        return {"match": {key: plain(options)}, "properties": props}

    def options(self, p: dict, spec: dict, kind: str) -> None:
        o = p.get("options") if isinstance(p.get("options"), dict) else {}
        legend = o.get("legend")
        if isinstance(legend, dict) and kind != "heatmap":
            mode = "hidden" if legend.get("showLegend") is False or legend.get("displayMode") == "hidden" \
                else legend.get("displayMode", "list")
            calcs = legend.get("calcs", [])
            if mode in ("list", "table", "hidden") and legend.get("placement", "bottom") in ("bottom", "right") \
                    and isinstance(calcs, list) and all(isinstance(c, str) for c in calcs):
                out = {"mode": mode, "placement": legend.get("placement", "bottom"), "calcs": list(calcs)}
                if isinstance(legend.get("sortBy"), str) and legend["sortBy"]:
                    out["sort_by"] = legend["sortBy"]
                    out["sort_desc"] = legend.get("sortDesc") is True
                if isinstance(legend.get("width"), int) and legend["width"] > 0:
                    out["width"] = legend["width"]
                spec["legend"] = out
        tooltip = o.get("tooltip")
        if isinstance(tooltip, dict) and tooltip.get("mode", "single") in ("single", "multi", "none") \
                and tooltip.get("sort", "none") in ("none", "asc", "desc"):
            spec["tooltip"] = {"mode": tooltip.get("mode", "single"), "sort": tooltip.get("sort", "none")}
        reduce = o.get("reduceOptions")
        if isinstance(reduce, dict):
            calcs = reduce.get("calcs")
            if isinstance(calcs, list) and calcs and all(isinstance(c, str) for c in calcs):
                spec["reduce"] = calcs[0] if len(calcs) == 1 else list(calcs)
            if reduce.get("values") is True:
                spec["all_values"] = True
        if isinstance(p.get("links"), list) and p["links"]:
            spec["links"] = [x for x, _ in (self.link(x) for x in p["links"] if isinstance(x, dict))]
        trans = p.get("transformations")
        if isinstance(trans, list) and trans:
            out = []
            for tr in trans:
                if not (isinstance(tr, dict) and isinstance(tr.get("id"), str)
                        and re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", tr["id"])):
                    out = None
                    break
                item = {"id": tr["id"]}
                if isinstance(tr.get("options"), dict) and tr["options"]:
                    item["options"] = plain(tr["options"])
                if tr.get("disabled") is True:
                    item["disabled"] = True
                if isinstance(tr.get("filter"), dict):
                    item["filter"] = plain(tr["filter"])
                out.append(item)
            if out:
                spec["transformations"] = out

    # -- legacy panels
    def migrate(self, p: dict, kind: str, title: str) -> dict:
        """A legacy panel as the modern one Grafana migrates it to; what has no modern form is
        reported as dropped."""
        fn = {"graph": _migrate_graph, "singlestat": _migrate_singlestat, "table-old": _migrate_table_old}[kind]
        modern, dropped = fn(p)
        if dropped:
            self.dropped(f"{kind} panel {title!r}", sorted(dropped), self.at(p),
                         f"Grafana's legacy {kind} settings with no {LEGACY_PANEL_TYPES[kind]} equivalent")
        return YMapLike(p, modern, keep=())

    # -- variables, links, annotations
    def variable(self, v) -> _Converted | None:
        if not isinstance(v, dict):
            return None
        name, kind = v.get("name"), v.get("type", "query")
        where = self.at(v)
        if not isinstance(name, str) or not VARIABLE_RE.fullmatch(name) or kind not in (
                "query", "custom", "interval", "datasource", "constant", "textbox", "adhoc"):
            self.ctx.approximate(f"dashboard {self.title!r}: variable {name!r} of type {kind!r} is not one obsgen "
                                 "can write; not imported", where)
            return None
        spec: dict = {"name": name}
        if kind != "query":
            spec["type"] = kind
        if isinstance(v.get("label"), str) and v["label"]:
            spec["label"] = v["label"]
        if isinstance(v.get("description"), str) and v["description"]:
            spec["description"] = v["description"]
        if v.get("hide") in HIDE:
            spec["hide"] = HIDE[v["hide"]]
        if v.get("skipUrlSync") is True:
            spec["skip_url_sync"] = True
        query = v.get("query")
        if isinstance(query, dict) and isinstance(query.get("query"), str):
            query = query["query"]
        if kind in ("query", "adhoc") and v.get("datasource") is not None:
            ds = self.ds(v.get("datasource"), self.at(v, "datasource"))
            if ds is not None:
                spec["datasource"] = ds
        if kind == "query":
            if not isinstance(query, str) or not query.strip():
                self.ctx.approximate(f"dashboard {self.title!r}: query variable {name!r} has no query; not "
                                     "imported", where)
                return None
            spec["query"] = query
            inner = variable_promql(query) if self.plugin(spec.get("datasource")) == "prometheus" else None
            problem = promql_error(GRAFANA_VARS.sub(GRAFANA_RANGE, for_promql(inner))) if inner else None
            if problem:  # another datasource's query (the dashboard's default was not Prometheus), or broken
                self.ctx.approximate(f"dashboard {self.title!r}, variable {name!r}: its query is not PromQL "
                                     f"Prometheus accepts ({problem}): kept as given in `extra`, so obsgen does not "
                                     "check it", self.at(v, "query"))
                spec["extra"] = {"query": plain(v["query"])}
                del spec["query"]
            if isinstance(v.get("sort"), int) and v["sort"] in SORT:
                spec["sort"] = SORT[v["sort"]]
        elif kind in ("custom", "interval"):
            text = query if isinstance(query, str) else ""
            parts = [x.strip() for x in text.split(",")] if text else []
            if parts and all(parts) and not any(" : " in x for x in parts):
                spec["values"] = parts
            else:
                spec["query"] = text
        elif kind == "datasource":
            spec["plugin"] = query if isinstance(query, str) and PLUGIN_TYPE_RE.fullmatch(query) else "prometheus"
        elif kind in ("constant", "textbox") and isinstance(query, str):
            spec["query"] = query
        if kind in ("query", "datasource") and isinstance(v.get("regex"), str) and v["regex"]:
            spec["regex"] = v["regex"]
        if kind in ("query", "datasource", "interval") and v.get("refresh") in REFRESH:
            spec["refresh"] = REFRESH[v["refresh"]]
        if kind in ("query", "custom", "datasource"):
            for key, out in (("multi", "multi"), ("includeAll", "include_all")):
                if v.get(key) is True:
                    spec[out] = True
            if isinstance(v.get("allValue"), str) and v["allValue"]:
                spec["all_value"] = v["allValue"]
        if kind == "interval":
            if v.get("auto") is True:
                spec["auto"] = True
            if isinstance(v.get("auto_count"), int) and v["auto_count"] > 0:
                spec["auto_count"] = v["auto_count"]
            if isinstance(v.get("auto_min"), str) and re.fullmatch(r"\d+[smhdwy]", v["auto_min"]):
                spec["auto_min"] = v["auto_min"]
        if kind in ("query", "custom", "interval", "datasource", "textbox"):
            cur = _get(v, "current.value", None)
            if isinstance(cur, list) and len(cur) == 1 and not spec.get("multi"):
                cur = cur[0]
            if isinstance(cur, str) and cur and not cur.startswith("${DS_"):
                spec["current"] = cur
            elif isinstance(cur, list) and cur and all(isinstance(c, str) for c in cur) and spec.get("multi"):
                spec["current"] = list(cur)
        return _Converted(spec, v, where)

    def link(self, x: dict) -> tuple[dict, dict]:
        out: dict = {}
        if isinstance(x.get("title"), str) and x["title"]:
            out["title"] = x["title"]
        if x.get("type", "link") == "link" or "url" in x:
            out["url"] = x.get("url") if isinstance(x.get("url"), str) else ""
        if isinstance(x.get("tags"), list) and x["tags"]:
            out["tags"] = [str(t) for t in x["tags"]]
        for key, name in (("asDropdown", "as_dropdown"), ("includeVars", "include_vars"), ("keepTime", "keep_time"),
                          ("targetBlank", "new_tab")):
            if x.get(key) is True:
                out[name] = True
        if isinstance(x.get("icon"), str) and x["icon"] and x["icon"] != "external link":
            out["icon"] = x["icon"]
        if isinstance(x.get("tooltip"), str) and x["tooltip"]:
            out["tooltip"] = x["tooltip"]
        return out, x

    def annotation(self, a: dict) -> _Converted | None:
        if a.get("builtIn") == 1:
            return None
        name = a.get("name") if isinstance(a.get("name"), str) and a.get("name") else "Annotations"
        spec: dict = {"name": name}
        ds = self.ds(a.get("datasource"), self.at(a, "datasource"))
        if ds is not None:
            spec["datasource"] = ds
        if isinstance(a.get("expr"), str) and a["expr"]:
            spec["expr"] = a["expr"]
            self.unchecked(spec, "expr", self.plugin(spec.get("datasource")), f"annotation {name!r}",
                           self.at(a, "expr"))
        if "expr" not in spec:  # another datasource's query: its fields, until the fit keeps what is needed
            spec["extra"] = {k: plain(v) for k, v in a.items() if k not in ("datasource", "name", "enable", "hide",
                                                                             "iconColor", "builtIn")} or {"type": ""}
        if isinstance(a.get("iconColor"), str) and a["iconColor"]:
            spec["color"] = a["iconColor"]
        if a.get("enable") is False:
            spec["enabled"] = False
        if a.get("hide") is True:
            spec["hidden"] = True
        for key, out in (("titleFormat", "title"), ("textFormat", "text"), ("step", "step")):
            if isinstance(a.get(key), str) and a[key]:
                spec[out] = a[key]
        if isinstance(a.get("tagKeys"), str) and a["tagKeys"]:
            spec["tags"] = [x.strip() for x in a["tagKeys"].split(",") if x.strip()]
        if a.get("useValueForTime") is True:
            spec["use_value_for_time"] = True
        return _Converted(spec, a, self.at(a))

    # -- fitting: build it back, keep what is not reproduced
    def fit(self, spec: dict, panels: list[_Converted], variables: list[_Converted],
            annotations: list[_Converted], links: list) -> tuple[dict, dict] | None:
        built = self.build(spec)
        if built is None:
            return None
        self.place(spec, panels, built)
        built = self.build(spec)
        if built is None:
            return None
        flat = _flat(panels)
        out_panels = _flat_built(built["panels"])
        for conv, gen in zip(flat, out_panels):
            self.fit_panel(conv, gen)
        gen_vars = {v["name"]: v for v in built["templating"]["list"]}
        for conv in variables:
            if conv.raw is None:
                continue
            raw = _variable_input(conv.raw)
            extra, paths = _residual(raw, gen_vars.get(conv.spec["name"], {}), VARIABLE_NOISE)
            if extra:
                conv.spec["extra"] = extra
                self.passed(f"dashboard {self.title!r}, variable {conv.spec['name']!r}", paths, conv.pos)
        gen_ann = [a for a in built["annotations"]["list"] if a.get("builtIn") != 1]
        for conv, gen in zip(annotations, gen_ann):
            extra, paths = _residual(conv.raw, gen, {"datasource", "builtIn"})
            if extra:  # an expression kept unchecked stays in `extra` too
                conv.spec["extra"] = {**{k: v for k, v in conv.spec.get("extra", {}).items() if k == "expr"}, **extra}
                self.passed(f"dashboard {self.title!r}, annotation {conv.spec['name']!r}", paths, conv.pos)
        for (lspec, raw), gen in zip(links, built["links"]):
            extra, paths = _residual(raw, gen)
            if extra:  # links have no `extra` of their own: the dashboard's keeps them all as given
                self.passed(f"dashboard {self.title!r}, link {lspec.get('title', '')!r}", paths, self.at(raw))
                spec.setdefault("extra", {})["links"] = [plain(r) for _, r in links]
                break
        extra, paths = _residual(_drop_defaults(self.t, DASHBOARD_DEFAULTS), built, DASHBOARD_NOISE)
        if extra:
            spec["extra"] = {**spec.get("extra", {}), **extra}
            self.passed(f"dashboard {self.title!r}", paths, self.t.pos)
        return spec, {"raw": self.t, "panels": flat, "where": self.shown, "variables": variables,
                      "annotations": annotations}

    def build(self, spec: dict) -> dict | None:
        try:
            project = ProjectSpec.model_validate({"datasources": list(self.sources.entries.values()),
                                                  "dashboards": [spec]})
        except ValidationError as exc:
            for e in exc.errors(include_url=False)[:5]:
                where = ".".join(str(p) for p in e["loc"])
                self.ctx.cannot(f"dashboard {self.title!r}: as an obsgen dashboard, `{where}`: {e['msg']}",
                                self.t.pos)
            return None
        d = project.dashboards[0]
        return build_dashboard(d.uid or "imported", d, Datasources(project))

    def place(self, spec: dict, panels: list[_Converted], built: dict) -> None:
        """x/y only where obsgen's layout would put the panel elsewhere."""
        flat, gen = _flat(panels), _flat_built(built["panels"])
        moved = False
        for conv, g in zip(flat, gen):
            want = conv.raw.get("gridPos") if isinstance(conv.raw.get("gridPos"), dict) else None
            if conv.spec.get("type") == "row" or not want:
                continue
            x, y = _cell(want.get("x", 0)), _cell(want.get("y"))
            if x is None or y is None or x < 0 or y < 0:
                continue
            if (g["gridPos"]["x"], g["gridPos"]["y"]) != (x, y) and x + g["gridPos"]["w"] <= GRID_COLUMNS:
                conv.spec["x"], conv.spec["y"] = x, y
                moved = True
        if moved:  # one panel placed explicitly can shift the ones after it: check again, place all if so
            check = self.build(spec)
            if check is not None and any(
                    isinstance(c.raw.get("gridPos"), dict) and c.spec.get("type") != "row"
                    and (g["gridPos"]["x"], g["gridPos"]["y"]) != (c.raw["gridPos"].get("x"), c.raw["gridPos"].get("y"))
                    for c, g in zip(flat, _flat_built(check["panels"]))):
                for c in flat:
                    grid = c.raw.get("gridPos") if isinstance(c.raw.get("gridPos"), dict) else {}
                    x, y = _cell(grid.get("x", 0)), _cell(grid.get("y"))
                    if c.spec.get("type") != "row" and x is not None and y is not None and x >= 0 \
                            and y >= 0 and x + (c.spec.get("width") or default_width(c.spec["type"])) <= GRID_COLUMNS:
                        c.spec["x"], c.spec["y"] = x, y

    def fit_panel(self, conv: _Converted, gen: dict) -> None:
        what = f"dashboard {self.title!r}, {'row' if conv.spec.get('type') == 'row' else 'panel'} " \
               f"{conv.spec.get('title', '')!r}"
        extra, paths = _residual(_panel_input(conv.raw), gen, PANEL_NOISE)
        for (q, t, pos), gt in zip(conv.queries, gen.get("targets", [])):
            qx, qpaths = _residual(_drop_defaults(t, TARGET_DEFAULTS), gt, TARGET_NOISE)
            if qx:  # an expression kept unchecked stays in `extra` too
                q["extra"] = {**{k: v for k, v in q.get("extra", {}).items() if k == "expr"}, **qx}
                self.passed(f"{what}, query {gt.get('refId')}", qpaths, pos)
        if extra:
            conv.spec["extra"] = extra
            self.passed(what, paths, conv.pos)


def _cell(v) -> int | None:
    """A grid coordinate: Grafana keeps fractions it was given, and draws them on whole cells."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return int(round(v))


def _uncheck_refused(text: str, dashboards: list, ctx: Ctx) -> bool:
    """Errors obsgen's checks find in the input's own expressions (a MetricsQL histogram's vmrange,
    a variable the dashboard never declared, another datasource's query): each such expression is
    moved into its object's `extra`, written as given and not checked, with a warning at the input.
    True if anything moved."""
    from obsgen.api import load_texts
    from obsgen.core.diagnostics import Severity

    errors = [d for d in load_texts({"imported.yaml": text}).diagnostics if d.severity is Severity.ERROR]
    if not errors:
        return False
    tree, _ = load_text(text, "imported.yaml")
    where: dict[tuple[int, int], tuple[dict, str, Pos, str]] = {}  # position -> (spec dict, key, input pos, what)
    for i, (spec, info) in enumerate(dashboards):
        node = tree["dashboards"][i]
        by_spec = {id(c.spec): c for c in info["panels"]}

        def index(n, d: dict, key: str, pos: Pos, what: str):
            if isinstance(n, YMap) and key in n:
                for p in (n.key_pos.get(key), n.val_pos.get(key)):
                    if p is not None:
                        where[(p.line, p.col)] = (d, key, pos, what)
        for j, p in enumerate(spec.get("panels", [])):
            pn = node["panels"][j]
            for c_spec, c_node in [(p, pn)] + list(zip(p.get("panels") or [], pn.get("panels") or [])):
                conv = by_spec.get(id(c_spec))
                for q_i, q in enumerate(c_spec.get("queries") or []):
                    pos = conv.queries[q_i][2] if conv and q_i < len(conv.queries) else c_node.pos
                    index(c_node["queries"][q_i], q, "expr", pos,
                          f"dashboard {spec['title']!r}, panel {c_spec.get('title', '')!r}, query {q_i + 1}")
        for k, v in enumerate(spec.get("variables") or []):
            conv = info["variables"][k] if k < len(info["variables"]) else None
            if v.get("type", "query") == "query":
                index(node["variables"][k], v, "query", conv.pos if conv else node.pos,
                      f"dashboard {spec['title']!r}, variable {v['name']!r}")
        for k, a in enumerate(spec.get("annotations") or []):
            conv = info["annotations"][k] if k < len(info["annotations"]) else None
            index(node["annotations"][k], a, "expr", conv.pos if conv else node.pos,
                  f"dashboard {spec['title']!r}, annotation {a['name']!r}")
    moved = False
    for d in errors:
        hit = where.get((d.pos.line, d.pos.col))
        if hit is None or hit[1] not in hit[0]:
            continue
        spec, key, pos, what = hit
        ctx.approximate(f"{what}: {d.message} ({d.code}): kept as given in `extra`, so obsgen does not check it; "
                        "fix it in the spec to have it checked", pos)
        spec.setdefault("extra", {})[key] = spec.pop(key)
        moved = True
    return moved


def _strip_mapping_index(fc: dict) -> dict:
    """Value mappings' `index` only orders them in Grafana's editor: not compared."""
    def strip(m):
        if isinstance(m, dict):
            return {k: strip(v) for k, v in m.items() if k != "index"}
        if isinstance(m, list):
            return [strip(x) for x in m]
        return m
    out = dict(fc)
    if isinstance(fc.get("defaults"), dict) and "mappings" in fc["defaults"]:
        out["defaults"] = {**fc["defaults"], "mappings": strip(fc["defaults"]["mappings"])}
    return out


def _panel_input(p: dict) -> dict:
    """A panel as it is compared: Grafana's defaults and mapping indexes left out."""
    out = _drop_defaults(p, PANEL_DEFAULTS)
    if isinstance(out.get("fieldConfig"), dict):
        out["fieldConfig"] = _strip_mapping_index(out["fieldConfig"])
    return out


def _variable_input(v: dict) -> dict:
    out = dict(v)
    q = v.get("query")
    if isinstance(q, dict) and isinstance(q.get("query"), str):
        out["query"] = q["query"]
    for key, default in (("skipUrlSync", False), ("hide", 0), ("regex", ""), ("description", None), ("label", None),
                         ("allValue", None), ("sort", 0), ("multi", False), ("includeAll", False)):
        if out.get(key, MISSING) in (default, ""):
            out.pop(key, None)
    return out


def _flat(panels: list[_Converted]) -> list[_Converted]:
    """In the order the target writes them: a row, then its panels."""
    out = []
    for c in panels:
        out.append(c)
        out += c.children
    return out


def _flat_built(panels: list[dict]) -> list[dict]:
    out = []
    for p in panels:
        out.append(p)
        if p.get("type") == "row" and p.get("collapsed"):
            out += p.get("panels") or []
    return out


def _grid_height(height) -> int:
    """Grafana's getGridHeight: pixels (at least 90) in cells of 30 pixels plus an 8-pixel margin."""
    try:
        px = int(str(height).strip().removesuffix("px")) if not isinstance(height, (int, float)) else height
    except ValueError:
        return DEFAULT_HEIGHT
    return max(1, math.ceil(max(px, 90) / 38))


def YMapLike(orig, new: dict, keep: tuple | None = None) -> YMap:
    """A mapping made by the importer (a migrated panel, a laid-out old row) that reports at the
    input's position: `orig`'s keys (or only `keep`), then `new`."""
    m = YMap(getattr(orig, "pos", Pos("<input>")))
    m.key_pos.update(getattr(orig, "key_pos", {}))
    m.val_pos.update(getattr(orig, "val_pos", {}))
    m.update(orig if keep is None else {k: orig[k] for k in keep if k in orig})
    m.update(new)
    return m


# ----------------------------------------------------------------------------- legacy panels

GRAPH_CALCS = {"avg": "mean", "min": "min", "max": "max", "current": "lastNotNull", "total": "sum"}
SINGLESTAT_CALCS = {"avg": "mean", "current": "lastNotNull", "max": "max", "min": "min", "total": "sum",
                    "first": "firstNotNull", "delta": "delta", "diff": "diff", "range": "range", "last_time": "last"}
COMMON = {"id", "type", "title", "description", "datasource", "targets", "gridPos", "links", "repeat",
          "repeatDirection", "maxPerRow", "interval", "maxDataPoints", "timeFrom", "timeShift", "hideTimeOverride",
          "transparent", "transformations", "span", "height", "pluginVersion", "editable", "error", "isNew",
          "fieldConfig", "options", "cacheTimeout", "renderer", "bars", "lines", "points", "nullPointMode",
          "legend", "tooltip", "seriesOverrides", "aliasColors", "yaxes", "yaxis", "xaxis", "stack", "percentage",
          "fill", "linewidth", "pointradius", "steppedLine", "thresholds", "decimals", "format", "timeRegions",
          "dashes", "dashLength", "spaceLength", "fillGradient", "hiddenSeries", "options", "paceLength",
          "leftYAxisLabel", "rightYAxisLabel", "grid", "minSpan", "libraryPanel"}


def _base(p: dict) -> dict:
    keep = ("title", "description", "datasource", "targets", "gridPos", "links", "repeat", "repeatDirection",
            "maxPerRow", "interval", "maxDataPoints", "timeFrom", "timeShift", "hideTimeOverride", "transparent",
            "transformations", "id", "libraryPanel")
    return {k: p[k] for k in keep if k in p}


def _legacy_thresholds(p: dict) -> list | None:
    th = p.get("thresholds")
    if isinstance(th, list) and th:
        steps = [{"value": None, "color": "green"}]
        for t in sorted((t for t in th if isinstance(t, dict) and isinstance(t.get("value"), (int, float))),
                        key=lambda t: t["value"]):
            colour = t.get("lineColor") or t.get("fillColor") or {"critical": "red", "warning": "orange",
                                                                  "ok": "green"}.get(t.get("colorMode"), "red")
            steps.append({"value": t["value"], "color": colour})
        return steps if len(steps) > 1 else None
    return None


def _migrate_graph(p: dict) -> tuple[dict, set[str]]:
    out = _base(p)
    custom: dict = {}
    defaults: dict = {"custom": custom}
    used = set(_base(p)) | {"type", "span", "height", "pluginVersion", "editable", "error", "isNew", "renderer",
                            "fieldConfig", "options", "hiddenSeries", "timeRegions", "fillGradient", "paceLength",
                            "dashLength", "spaceLength", "minSpan", "cacheTimeout", "grid", "pointradius"}
    if p.get("bars") is True and p.get("lines") is not True:
        custom["drawStyle"] = "bars"
    elif p.get("points") is True and p.get("lines") is False:
        custom["drawStyle"] = "points"
    used |= {"bars", "lines", "points"}
    if isinstance(p.get("fill"), (int, float)):
        custom["fillOpacity"] = max(0, min(100, int(p["fill"]) * 10))
    if isinstance(p.get("linewidth"), int):
        custom["lineWidth"] = max(0, min(10, p["linewidth"]))
    if p.get("stack") is True:
        custom["stacking"] = {"mode": "percent" if p.get("percentage") else "normal", "group": "A"}
    if p.get("nullPointMode") == "connected":
        custom["spanNulls"] = True
    if p.get("steppedLine") is True:
        custom["lineInterpolation"] = "stepAfter"
    used |= {"fill", "linewidth", "stack", "percentage", "nullPointMode", "steppedLine"}
    yaxes = p.get("yaxes") if isinstance(p.get("yaxes"), list) else []
    if yaxes and isinstance(yaxes[0], dict):
        y = yaxes[0]
        if isinstance(y.get("format"), str) and y["format"] != "short":
            defaults["unit"] = y["format"]
        for key in ("min", "max"):
            try:
                if y.get(key) not in (None, ""):
                    defaults[key] = float(y[key])
            except (TypeError, ValueError):
                pass
        if isinstance(y.get("label"), str) and y["label"]:
            custom["axisLabel"] = y["label"]
        if y.get("logBase") in (2, 10):
            custom["scaleDistribution"] = {"type": "log", "log": y["logBase"]}
        if isinstance(y.get("decimals"), int):
            defaults["decimals"] = y["decimals"]
    if isinstance(p.get("decimals"), int):
        defaults["decimals"] = p["decimals"]
    used |= {"yaxes", "yaxis", "xaxis", "decimals", "format"}
    steps = _legacy_thresholds(p)
    if steps:
        defaults["thresholds"] = {"mode": "absolute", "steps": steps}
        custom["thresholdsStyle"] = {"mode": "line"}
    used.add("thresholds")
    legend = p.get("legend") if isinstance(p.get("legend"), dict) else {}
    # Grafana migrates the legend's values only when they are shown
    calcs = [GRAPH_CALCS[k] for k in ("min", "max", "avg", "current", "total")
             if legend.get(k) is True] if legend.get("values") is True else []
    options: dict = {"legend": {"showLegend": legend.get("show", True) is not False,
                                "displayMode": "table" if legend.get("alignAsTable") else "list",
                                "placement": "right" if legend.get("rightSide") else "bottom", "calcs": calcs}}
    tooltip = p.get("tooltip") if isinstance(p.get("tooltip"), dict) else {}
    shared = tooltip.get("shared", True) is not False
    options["tooltip"] = {"mode": "multi" if shared else "single",  # the sort only orders a shared tooltip
                          "sort": {1: "asc", 2: "desc"}.get(tooltip.get("sort"), "none") if shared else "none"}
    used |= {"legend", "tooltip"}
    overrides = []
    for name, colour in (p.get("aliasColors") or {}).items() if isinstance(p.get("aliasColors"), dict) else []:
        if isinstance(colour, str):
            overrides.append({"matcher": {"id": "byName", "options": str(name)},
                              "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": colour}}]})
    used.add("aliasColors")
    for so in p.get("seriesOverrides") or []:
        if not isinstance(so, dict) or not isinstance(so.get("alias"), str):
            continue
        alias = so["alias"]
        matcher = {"id": "byRegexp", "options": alias} if alias.startswith("/") and alias.endswith("/") \
            else {"id": "byName", "options": alias}
        props = []
        if so.get("transform") == "negative-Y":
            props.append({"id": "custom.transform", "value": "negative-Y"})
        if so.get("yaxis") == 2:
            props.append({"id": "custom.axisPlacement", "value": "right"})
        if isinstance(so.get("color"), str):
            props.append({"id": "color", "value": {"mode": "fixed", "fixedColor": so["color"]}})
        if isinstance(so.get("fill"), (int, float)):
            props.append({"id": "custom.fillOpacity", "value": int(so["fill"]) * 10})
        if isinstance(so.get("linewidth"), int):
            props.append({"id": "custom.lineWidth", "value": so["linewidth"]})
        if so.get("bars") is True:
            props.append({"id": "custom.drawStyle", "value": "bars"})
        if so.get("stack") is False:
            props.append({"id": "custom.stacking", "value": {"mode": "none", "group": "A"}})
        if props:
            overrides.append({"matcher": matcher, "properties": props})
    used.add("seriesOverrides")
    out["fieldConfig"] = {"defaults": defaults, "overrides": overrides}
    out["options"] = options
    return out, {k for k in p if k not in used and k not in COMMON} | _graph_dropped(p)


def _graph_dropped(p: dict) -> set[str]:
    """Graph settings that mean something but have no timeseries form."""
    out = set()
    if isinstance(p.get("xaxis"), dict) and p["xaxis"].get("mode") not in (None, "time"):
        out.add(f"xaxis.mode {p['xaxis']['mode']}")
    if isinstance(p.get("yaxes"), list) and len(p["yaxes"]) > 1 and isinstance(p["yaxes"][1], dict) \
            and p["yaxes"][1].get("format") not in (None, "short", (p["yaxes"][0] or {}).get("format")):
        out.add("yaxes[1] (the right axis's own unit)")
    if p.get("timeRegions"):
        out.add("timeRegions")
    return out


def _migrate_singlestat(p: dict) -> tuple[dict, set[str]]:
    out = _base(p)
    defaults: dict = {}
    if isinstance(p.get("format"), str) and p["format"] != "none":
        defaults["unit"] = p["format"]
    if isinstance(p.get("decimals"), int):
        defaults["decimals"] = p["decimals"]
    th = p.get("thresholds")
    colours = p.get("colors") if isinstance(p.get("colors"), list) else []
    if isinstance(th, str) and th.strip() and colours:
        try:
            values = [float(x) for x in th.split(",") if x.strip()]
        except ValueError:
            values = []
        steps = [{"value": None, "color": colours[0]}]
        steps += [{"value": v, "color": colours[min(i + 1, len(colours) - 1)]} for i, v in enumerate(values)]
        defaults["thresholds"] = {"mode": "absolute", "steps": steps}
    mappings = []
    for m in p.get("valueMaps") or []:
        if isinstance(m, dict) and "value" in m and isinstance(m.get("text"), str):
            if m["value"] == "null":
                mappings.append({"type": "special", "options": {"match": "null", "result": {"text": m["text"]}}})
            else:
                mappings.append({"type": "value", "options": {str(m["value"]): {"text": m["text"]}}})
    for m in p.get("rangeMaps") or []:
        if isinstance(m, dict) and isinstance(m.get("text"), str):
            try:
                mappings.append({"type": "range", "options": {"from": float(m["from"]), "to": float(m["to"]),
                                                              "result": {"text": m["text"]}}})
            except (KeyError, TypeError, ValueError):
                pass
    if mappings:
        defaults["mappings"] = mappings
    if isinstance(p.get("nullText"), str) and p["nullText"]:
        defaults["noValue"] = p["nullText"]
    calc = SINGLESTAT_CALCS.get(p.get("valueName", "avg"), "mean")
    color_mode = "background" if p.get("colorBackground") else "value" if p.get("colorValue") else "none"
    sparkline = p.get("sparkline") if isinstance(p.get("sparkline"), dict) else {}
    out["fieldConfig"] = {"defaults": defaults, "overrides": []}
    out["options"] = {"reduceOptions": {"calcs": [calc], "values": False},
                      "colorMode": color_mode, "graphMode": "area" if sparkline.get("show") else "none"}
    used = set(_base(p)) | {"format", "decimals", "thresholds", "colors", "valueMaps", "rangeMaps", "nullText",
                            "valueName", "colorBackground", "colorValue", "sparkline", "mappingType",
                            "mappingTypes", "type", "span", "height", "pluginVersion", "editable", "error", "isNew",
                            "nullPointMode", "cacheTimeout", "maxDataPoints", "tableColumn", "fieldConfig",
                            "options", "valueFontSize", "prefixFontSize", "postfixFontSize", "colorPrefix",
                            "colorPostfix", "interval", "thresholdsStyle", "renderer"}
    dropped = {k for k in p if k not in used}
    for key in ("prefix", "postfix"):
        if isinstance(p.get(key), str) and p[key]:
            dropped.add(key)
        else:
            dropped.discard(key)
    if isinstance(p.get("gauge"), dict) and p["gauge"].get("show"):
        dropped.add("gauge.show (draw it as a gauge panel)")
    else:
        dropped.discard("gauge")
    return out, dropped


def _migrate_table_old(p: dict) -> tuple[dict, set[str]]:
    out = _base(p)
    out["fieldConfig"] = {"defaults": {}, "overrides": []}
    out["options"] = {}
    used = set(_base(p)) | {"type", "span", "height", "pluginVersion", "editable", "error", "isNew", "transform",
                            "fontSize", "pageSize", "scroll", "showHeader", "sort", "columns", "styles"}
    dropped = {k for k in p if k not in used}
    if isinstance(p.get("styles"), list) and len(p["styles"]) > 1:
        dropped.add("styles (per-column formatting: set it with `overrides`)")
    if p.get("transform") not in (None, "timeseries_to_rows", "table"):
        dropped.add(f"transform {p['transform']} (use `transformations`)")
    return out, dropped


# ----------------------------------------------------------------------------- checking the result

def _self_check(text: str, dashboards: list, ctx: Ctx) -> None:
    """The produced spec must validate as it is (an error here is an importer bug), and build into
    dashboards that say everything the input said."""
    from obsgen.features.importers.common import load_imported

    model = load_imported(text, ctx)
    if model is None:
        return
    sources = Datasources(model.spec)
    remaining = list(model.dashboards)  # the model's order is by uid: found by title, in input order
    for spec, info in dashboards:
        match = next((x for x in remaining if x[1].title == spec["title"]), None)
        if match is None:
            continue
        remaining.remove(match)
        uid, d = match
        built = build_dashboard(uid, d, sources)
        for conv, gen in zip(info["panels"], _flat_built(built["panels"])):
            raw = conv.raw
            grid = raw.get("gridPos")
            if isinstance(grid, dict) and conv.spec.get("type") != "row" and not _same(plain(grid), gen["gridPos"]):
                ctx.approximate(f"dashboard {spec['title']!r}, panel {conv.spec.get('title', '')!r}: placed at "
                                f"{gen['gridPos']} instead of {plain(grid)}", conv.pos)


def equivalent(original: dict, built: dict) -> list[str]:
    """Where a built dashboard does not say what the original said (for tests and the corpus
    measure): the variables in order with their queries and flags, the links, the annotation
    queries, and the panels in order (so which row each sits in) with their titles, types (legacy
    ones as Grafana migrates them), settings, positions and queries. Instance noise, Grafana's
    defaults, the datasource form, and what the importer reports dropping are not compared."""
    problems = []
    variables = [v for v in (original.get("templating") or {}).get("list") or [] if isinstance(v, dict)]
    declared = {v.get("name") for v in variables}
    gen_vars = {v["name"]: v for v in built.get("templating", {}).get("list", [])}
    names = [v.get("name") for v in variables]
    if [n for n in gen_vars if n in declared] != names:
        problems.append(f"variables: {names} in, {list(gen_vars)} out")
    for v in variables:
        _, paths = _residual(_variable_input(v), gen_vars.get(v.get("name"), {}), VARIABLE_NOISE)
        problems += [f"variable {v.get('name')}.{p}" for p in paths]
    for i, (x, y) in enumerate(zip([x for x in original.get("links") or [] if isinstance(x, dict)],
                                   built.get("links") or [])):
        problems += [f"links[{i}].{p}" for p in _residual(x, y)[1]]
    annotations = [a for a in (original.get("annotations") or {}).get("list") or []
                   if isinstance(a, dict) and a.get("builtIn") != 1]
    gen_ann = [a for a in built.get("annotations", {}).get("list", []) if a.get("builtIn") != 1]
    if len(annotations) != len(gen_ann):
        problems.append(f"{len(annotations)} annotation queries in, {len(gen_ann)} out")
    for i, (x, y) in enumerate(zip(annotations, gen_ann)):
        problems += [f"annotations[{i}].{p}" for p in _residual(x, y, {"datasource", "builtIn"})[1]]
    orig_panels = original.get("panels") or []
    old = not orig_panels and original.get("rows")
    if old:  # Grafana 4's rows: the panels in order, positions not compared
        orig_panels = [p for r in original["rows"] if isinstance(r, dict) for p in (r.get("panels") or [])]
        built = {**built, "panels": [p for p in _flat_built(built.get("panels") or []) if p.get("type") != "row"]}
    flat_orig = _flat_built([p for p in orig_panels if isinstance(p, dict)])
    flat_gen = _flat_built(built.get("panels") or [])
    if len(flat_orig) != len(flat_gen):
        problems.append(f"{len(flat_orig)} panels in, {len(flat_gen)} out")
    for i, (a, b) in enumerate(zip(flat_orig, flat_gen)):
        kind = a.get("type")
        if LEGACY_PANEL_TYPES.get(kind, kind) != b.get("type") or (a.get("title") or "") != b.get("title"):
            problems.append(f"panels[{i}]: {kind} {a.get('title')!r} in, {b.get('type')} {b.get('title')!r} out")
        # a row runs no query: the empty ones Grafana's editor leaves on rows are noise
        targets = [t for t in a.get("targets") or [] if isinstance(t, dict)] if kind != "row" else []
        if len(targets) != len(b.get("targets") or []):
            problems.append(f"panels[{i}]: {len(targets)} queries in, {len(b.get('targets') or [])} out")
        for j, (t, u) in enumerate(zip(targets, b.get("targets") or [])):
            _, paths = _residual(_drop_defaults(t, TARGET_DEFAULTS), u, TARGET_NOISE)
            problems += [f"panels[{i}].targets[{j}].{p}" for p in paths]
        if kind in LEGACY_PANEL_TYPES:  # migrated: its settings have other names now
            continue
        skip = PANEL_NOISE | (GRAPH_ONLY if kind in PANEL_TYPES else set())  # dropped, said so
        if a.get("repeat") and a["repeat"] not in declared:  # Grafana repeats nothing: dropped, said so
            skip = skip | {"repeat", "repeatDirection", "maxPerRow"}
        _, paths = _residual(_panel_input(a), b, skip)
        problems += [f"panels[{i}].{p}" for p in paths]
        grid = a.get("gridPos") if isinstance(a.get("gridPos"), dict) else None
        overflows = grid is not None and (grid.get("x") or 0) + (grid.get("w") or 0) > GRID_COLUMNS  # Grafana moves it
        cells = {k: _cell(v) for k, v in {"x": 0, **grid}.items()} if grid else None  # fractions drawn on cells
        if not old and kind != "row" and grid is not None and not overflows \
                and not _same(cells, b.get("gridPos")):  # Grafana draws rows full width whatever they say
            problems.append(f"panels[{i}].gridPos")
    return problems
