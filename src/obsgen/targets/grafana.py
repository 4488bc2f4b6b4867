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

import grafanalib.core as g
from grafanalib._gen import DashboardEncoder

from obsgen.core import naming
from obsgen.core.serialise import Artifact, to_json
from obsgen.resolve.datasources import Datasources
from obsgen.resolve.layout import GRID_COLUMNS, layout
from obsgen.resolve.model import Model
from obsgen.spec import AnnotationSpec, DashboardSpec, VariableSpec
from obsgen.targets.grafana_panels import Where, deep_merge, drop_nulls, link, panel, query_format, ref_id, row
from obsgen.targets.grafana_provisioning import provisioning

__all__ = ["GRID_COLUMNS", "SCHEMA_VERSION", "GrafanaTarget", "dashboard", "folder_title", "layout", "query_format",
           "ref_id"]

DEFAULT_FOLDER = "General"
# The classic dashboard model's current version (Grafana 12): Grafana runs no migrations on load.
SCHEMA_VERSION = 42

BUILT_IN_ANNOTATION = {
    "builtIn": 1,
    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
    "enable": True,
    "hide": True,
    "iconColor": "rgba(0, 211, 255, 1)",
    "name": "Annotations & Alerts",
    "type": "dashboard",
}
GRAPH_TOOLTIP = {"off": 0, "crosshair": 1, "tooltip": 2}
HIDE = {None: 0, "label": 1, "variable": 2, "menu": 3}
REFRESH = {"never": 0, "load": 1, "time_range": 2}
SORT = {None: 0, "alpha": 1, "alpha_desc": 2, "numeric": 3, "numeric_desc": 4, "alpha_ci": 5, "alpha_ci_desc": 6,
        "natural": 7, "natural_desc": 8}
ALL = "$__all"


class GrafanaTarget:
    name = "grafana"

    def generate(self, model: Model) -> list[Artifact]:
        sources = Datasources(model.spec)
        out, folders = [], {}
        for uid, d in model.dashboards:
            title = folder_title(d)
            path = naming.dashboard_file(title, uid)
            folder = posixpath.dirname(path)
            # Titles whose slugs agree share a folder; the first in sort order names it.
            folders[folder] = min(title, folders.get(folder, title))
            out.append(Artifact(path, to_json(dashboard(uid, d, sources))))
        if model.spec.output.grafana.enabled:
            out += provisioning(model, folders)
        return out


def folder_title(spec: DashboardSpec) -> str:
    """The dashboard's Grafana folder: the one the spec names, else its team's, else General."""
    named = spec.folder if "folder" in spec.model_fields_set else None
    return named or spec.team or DEFAULT_FOLDER


def dashboard(uid: str, spec: DashboardSpec, sources: Datasources) -> dict:
    """The dashboard JSON for one spec."""
    built = g.Dashboard(
        title=spec.title, uid=uid, description=spec.description or "", tags=list(spec.tags),
        refresh=spec.refresh, time=g.Time(spec.time.from_, spec.time.to), timezone=spec.timezone,
        # Generated files are overwritten on the next build: saving edits in Grafana would lose them.
        editable=False, graphTooltip=GRAPH_TOOLTIP[spec.graph_tooltip],
        annotations=g.Annotations(list=[BUILT_IN_ANNOTATION, *(_annotation(a, spec, sources)
                                                              for a in spec.annotations)]),
        templating=g.Templating(list=[_variable(v, spec, sources) for v in spec.variables]),
        links=[_dashboard_link(x) for x in spec.links], panels=[])
    raw = json.loads(json.dumps(built.to_json_data(), cls=DashboardEncoder))
    out = _normalise_dashboard(raw, spec, sources)
    return deep_merge(out, spec.extra) if spec.extra else out


def panels(spec: DashboardSpec, sources: Datasources) -> list[dict]:
    """The dashboard's panels in Grafana's order: a row, then (open rows) its panels after it or
    (collapsed rows) inside it. Ids count up in that order."""
    out, pid = [], 0
    for p, (pos, inner) in zip(spec.panels, layout(spec.panels)):
        pid += 1
        if not p.is_row:
            out.append(panel(pid, p, pos, Where(spec, sources)))
            continue
        row_id, children = pid, []
        for c, cpos in zip(p.panels or [], inner):
            pid += 1
            children.append(panel(pid, c, cpos, Where(spec, sources, p)))
        out.append(row(row_id, p, pos, children, Where(spec, sources)))
        if not p.collapsed:
            out += children
    return out


# ----------------------------------------------------------------------------- dashboard parts

def _variable(v: VariableSpec, d: DashboardSpec, sources: Datasources) -> dict:
    # Grafana splits a custom variable's query at unescaped commas
    query = v.query if v.values is None else ",".join(x.replace(",", "\\,") for x in v.values)
    if v.type == "datasource":
        query = v.plugin
    kwargs = dict(name=v.name, query=query or "", type=v.type, label=v.label, hide=HIDE[v.hide],
                  refresh=REFRESH[v.refresh], sort=SORT[v.sort], includeAll=v.include_all, multi=v.multi,
                  allValue=v.all_value, regex=v.regex or "")
    if v.type in ("query", "adhoc"):
        kwargs["dataSource"] = sources.ref(v.datasource, d)
    if v.type == "interval":
        kwargs.update(auto=v.auto, autoCount=v.auto_count or 30, autoMin=v.auto_min or "10s")
    # grafanalib lists a custom variable's options itself; Grafana recomputes every variable's
    # options when the dashboard loads, so none are stored.
    built = g.Template(**kwargs, options=[{"selected": False, "text": "", "value": ""}])
    raw = json.loads(json.dumps(built.to_json_data(), cls=DashboardEncoder))
    return _normalise_variable(raw, v)


def _normalise_variable(raw: dict, v: VariableSpec) -> dict:
    out = {"name": raw["name"], "type": raw["type"]}
    if v.label is not None:
        out["label"] = v.label
    if v.description is not None:
        out["description"] = v.description
    out["hide"] = raw["hide"]
    if v.skip_url_sync:
        out["skipUrlSync"] = True
    if "datasource" in raw and v.type in ("query", "adhoc"):
        out["datasource"] = raw["datasource"]
    if v.type != "adhoc":
        out["query"] = raw["query"]
    if v.type == "query":
        out["definition"] = raw["query"]
    if v.type in ("query", "datasource", "interval"):
        out["refresh"] = raw["refresh"] if v.type != "interval" or "refresh" in v.model_fields_set else 2
    if v.type in ("query", "datasource"):
        out["regex"] = raw["regex"]
    if v.type == "query":
        out["sort"] = raw["sort"]
    if v.type in ("query", "custom", "datasource"):
        out["multi"] = raw["multi"]
        out["includeAll"] = raw["includeAll"]
        if v.all_value is not None:
            out["allValue"] = v.all_value
    if v.type == "interval":
        out.update(auto=raw["auto"], auto_count=raw["auto_count"], auto_min=raw["auto_min"])
    current = v.current
    if current is None and v.type in ("constant", "textbox") and v.query is not None:
        current = v.query
    if current is not None:
        out["current"] = _current(current)
    out["options"] = []
    return deep_merge(out, v.extra) if v.extra else out


def _current(value: str | list[str]) -> dict:
    if value == ALL or value == [ALL]:
        return {"text": "All", "value": ALL} if isinstance(value, str) else {"text": ["All"], "value": [ALL]}
    return {"text": value, "value": value}


def _dashboard_link(spec) -> g.DashboardLink:
    data = link(spec)
    built = g.DashboardLink(title=data["title"], uri=data.get("url", ""), type=data["type"], icon=data["icon"],
                            tooltip=data["tooltip"], tags=data["tags"], asDropdown=data["asDropdown"],
                            targetBlank=data["targetBlank"], includeVars=data["includeVars"],
                            keepTime=data["keepTime"])
    return built


def _annotation(a: AnnotationSpec, d: DashboardSpec, sources: Datasources) -> dict:
    out = {"name": a.name, "datasource": sources.ref(a.datasource, d), "enable": a.enabled, "hide": a.hidden,
           "iconColor": a.color}
    if a.expr is not None:
        out["expr"] = a.expr
    for key, value in (("titleFormat", a.title), ("textFormat", a.text), ("step", a.step)):
        if value is not None:
            out[key] = value
    if a.tags:
        out["tagKeys"] = ",".join(a.tags)
    if a.use_value_for_time:
        out["useValueForTime"] = True
    return deep_merge(out, a.extra) if a.extra else out


# ----------------------------------------------------------------------------- normalising

def _normalise_dashboard(raw: dict, spec: DashboardSpec, sources: Datasources) -> dict:
    raw = drop_nulls(raw)
    out = {k: raw[k] for k in ("uid", "title", "description", "tags", "timezone", "editable",
                               "graphTooltip", "refresh", "time") if raw.get(k) not in (None, "")}
    # `time_options` is the pre-7 list of quick ranges (now `quick_ranges` of objects).
    out["timepicker"] = {k: v for k, v in raw["timepicker"].items() if k != "time_options"}
    out["schemaVersion"] = SCHEMA_VERSION
    out["annotations"] = raw["annotations"]
    out["templating"] = {"list": list(raw["templating"]["list"])}
    # grafanalib writes a link's `url` even for tag links; Grafana's schema wants it only on URL links.
    out["links"] = [{k: v for k, v in x.items() if k != "url" or x["type"] == "link"} for x in raw["links"]]
    # Dropped: `id` (Grafana assigns it per instance), `version`, `__inputs`, `gnetId`, `rows`,
    # `hideControls`, `sharedCrosshair` and `style`, which current Grafana no longer has.
    out["panels"] = panels(spec, sources)
    return out
