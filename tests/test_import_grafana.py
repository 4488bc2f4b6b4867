"""`obsgen import grafana`: Grafana dashboards (plain JSON, exported for sharing, API-wrapped,
ConfigMaps, GrafanaDashboard resources) become an obsgen spec that validates and builds back the
same dashboards; what obsgen does not model is kept in `extra` with a warning (OBS069) at its place
in the input, legacy panels and layouts are migrated, and bad input is refused with a position.

Every fixture is written here, small, as a dict dumped into tmp_path: no dashboard is copied from
anywhere. Known importer bugs are strict xfails (they start passing, and so failing, when fixed).
"""
from __future__ import annotations

import copy
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import grafana_schema
from ruamel.yaml import YAML

from obsgen.api import load_texts
from obsgen.core.diagnostics import Severity, format_text
from obsgen.features.importers.grafana import equivalent, import_grafana
from obsgen.resolve.datasources import Datasources
from obsgen.targets.grafana import dashboard as build_dashboard

REPO = Path(__file__).resolve().parents[1]
PROM = {"type": "prometheus", "uid": "prom-main"}
VAR_DS = {"type": "prometheus", "uid": "${ds}"}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    # Positions and the header name inputs relative to the working folder: keep them short.
    monkeypatch.chdir(tmp_path)


# ----------------------------------------------------------------------------- helpers

def write(name: str, obj) -> Path:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj, indent=2) + "\n", encoding="utf-8")
    return path


def errors(diags) -> list[str]:
    return [format_text(d) for d in diags if d.severity is Severity.ERROR]


def of(diags, code: str) -> list:
    return [d for d in diags if d.code == code]


def run(*paths) -> tuple[str, list]:
    text, diags = import_grafana([Path(p) for p in paths])
    assert text is not None and not errors(diags), "\n".join(errors(diags))
    return text, diags


def spec(text: str) -> dict:
    return YAML(typ="safe", pure=True).load(text)


def built(text: str) -> dict[str, dict]:
    """uid -> the dashboard obsgen builds from the imported spec."""
    project = load_texts({"x.yaml": text})
    assert project.ok, "\n".join(format_text(d) for d in project.diagnostics)
    model = project.models[0]
    sources = Datasources(model.spec)
    return {uid: build_dashboard(uid, d, sources) for uid, d in model.dashboards}


def flat(panels: list) -> list:
    """Panels in order, a collapsed row's own panels after it (as the target writes them)."""
    out = []
    for p in panels:
        out.append(p)
        if p.get("type") == "row" and p.get("collapsed"):
            out += p.get("panels") or []
    return out


def opening_brace(path: Path, marker: str) -> tuple[int, int]:
    """line:col of the `{` of the object whose line holding `marker` comes first in it (indent=2 JSON)."""
    lines = path.read_text().splitlines()
    i = next(n for n, line in enumerate(lines) if marker in line)
    while lines[i].strip() not in ("{", "{,"):
        i -= 1
    return i + 1, lines[i].index("{") + 1


def obsgen(*args, cwd: Path):
    return subprocess.run([sys.executable, "-m", "obsgen", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300, check=False)


def target(expr: str, ref: str = "A", ds=PROM, **kw) -> dict:
    return {"datasource": ds, "expr": expr, "refId": ref, **kw}


def one_panel(panel: dict, title: str = "One", uid: str = "one", **kw) -> dict:
    return {"title": title, "uid": uid, "panels": [panel], **kw}


def ts(title: str = "Up", x: int = 0, y: int = 0, w: int = 12, h: int = 8, **kw) -> dict:
    return {"type": "timeseries", "title": title, "datasource": PROM, "gridPos": {"x": x, "y": y, "w": w, "h": h},
            "targets": [target("up")], **kw}


def block(text: str, indent: str) -> str:
    return "\n".join(indent + line for line in text.splitlines())


# ----------------------------------------------------------------------------- fixtures

def modern() -> dict:
    """A current (schema 39) dashboard using most of what obsgen models."""
    return {
        "id": 12, "version": 3, "schemaVersion": 39, "editable": True,
        "title": "Service overview", "uid": "svc-overview", "tags": ["svc", "team-a"], "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"}, "timezone": "utc", "graphTooltip": 1,
        "templating": {"list": [
            {"name": "ds", "type": "datasource", "query": "prometheus",
             "current": {"text": "main", "value": "prom-main"}},
            {"name": "job", "type": "query", "datasource": VAR_DS, "definition": "label_values(up, job)",
             "query": {"query": "label_values(up, job)", "refId": "PrometheusVariableQueryEditor-VariableQuery"},
             "refresh": 2, "multi": True, "includeAll": True, "sort": 1, "options": [], "current": {}},
            {"name": "env", "type": "custom", "query": "prod,staging", "current": {"text": "prod", "value": "prod"}},
            {"name": "window", "type": "interval", "query": "1m,5m,1h"},
            {"name": "cluster", "type": "constant", "query": "eu-1", "hide": 2},
            {"name": "filter", "type": "textbox", "query": "", "label": "Filter"},
            {"name": "adhoc", "type": "adhoc", "datasource": VAR_DS},
        ]},
        "panels": [
            {"type": "row", "title": "Traffic", "collapsed": False, "gridPos": {"x": 0, "y": 0, "w": 24, "h": 1},
             "panels": []},
            {"type": "timeseries", "title": "Requests", "datasource": VAR_DS, "pluginVersion": "10.4.0",
             "gridPos": {"x": 0, "y": 1, "w": 12, "h": 8},
             "targets": [target('sum by (job) (rate(http_requests_total{job=~"$job"}[$window]))', ds=VAR_DS,
                                legendFormat="{{job}}", editorMode="code", range=True)],
             "fieldConfig": {
                 "defaults": {
                     "unit": "reqps", "min": 0, "max": 100, "decimals": 2,
                     "thresholds": {"mode": "absolute", "steps": [{"color": "green", "value": None},
                                                                  {"color": "red", "value": 80}]},
                     "custom": {"fillOpacity": 10, "stacking": {"mode": "normal", "group": "A"}}},
                 "overrides": [{"matcher": {"id": "byName", "options": "errors"},
                                "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}}]}]},
             "options": {"legend": {"showLegend": True, "displayMode": "table", "placement": "right",
                                    "calcs": ["mean", "max"]},
                         "tooltip": {"mode": "multi", "sort": "desc"}},
             "links": [{"title": "Runbook", "url": "https://runbooks.example.org/requests"}],
             "transformations": [{"id": "organize", "options": {"excludeByName": {"Time": True}}}]},
            {"type": "stat", "title": "Up", "datasource": PROM, "gridPos": {"x": 12, "y": 1, "w": 6, "h": 4},
             "repeat": "job", "repeatDirection": "h", "maxPerRow": 4,
             "targets": [target('sum(up{job=~"$job"})', instant=True)],
             "fieldConfig": {"defaults": {"mappings": [
                 {"type": "value", "options": {"0": {"text": "down", "color": "red", "index": 0}}}]},
                 "overrides": []},
             "options": {"reduceOptions": {"calcs": ["lastNotNull"], "values": False, "fields": ""},
                         "colorMode": "background", "graphMode": "none"}},
            # Below the stat, where obsgen's own layout would put it beside it: kept with x/y.
            {"type": "gauge", "title": "Saturation", "datasource": PROM, "gridPos": {"x": 12, "y": 5, "w": 6, "h": 4},
             "targets": [target('avg(saturation{job=~"$job"})')],
             "fieldConfig": {"defaults": {
                 "unit": "percentunit", "min": 0, "max": 1,
                 "thresholds": {"mode": "percentage", "steps": [{"color": "green", "value": None},
                                                                {"color": "orange", "value": 70},
                                                                {"color": "red", "value": 90}]}},
                 "overrides": []}},
            {"type": "row", "title": "Details", "collapsed": True, "gridPos": {"x": 0, "y": 9, "w": 24, "h": 1},
             "panels": [
                 {"type": "table", "title": "Top jobs", "datasource": PROM,
                  "gridPos": {"x": 0, "y": 10, "w": 16, "h": 10},
                  "targets": [target("topk(10, sum by (job) (rate(http_requests_total[5m])))", format="table",
                                     instant=True)]},
                 {"type": "text", "title": "Notes", "gridPos": {"x": 16, "y": 10, "w": 8, "h": 10},
                  "options": {"content": "# Read me\nSee the runbook.", "mode": "markdown"}},
             ]},
        ],
    }


def clock_dashboard() -> dict:
    return one_panel({"type": "grafana-clock-panel", "title": "Clock", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
                      "options": {"mode": "time", "clockType": "24 hour", "timezone": "utc"}},
                     title="Clock", uid="b-clock")


def graph_panel(**kw) -> dict:
    return {"type": "graph", "title": "Latency", "datasource": PROM, "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
            "targets": [target("histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))", legendFormat="p99")],
            "yaxes": [{"format": "s", "min": 0, "label": "seconds", "logBase": 1, "show": True},
                      {"format": "short", "show": True}],
            "legend": {"show": True, "alignAsTable": True, "rightSide": True, "values": True, "avg": True,
                       "max": True, "current": False},
            "stack": True, "percentage": False, "fill": 1, "linewidth": 1, "lines": True, "bars": False,
            "seriesOverrides": [{"alias": "errors", "color": "#F2495C", "yaxis": 2}],
            "aliasColors": {"p99": "orange"}, "tooltip": {"shared": True, "sort": 2, "value_type": "individual"},
            "xaxis": {"mode": "time", "show": True}, "nullPointMode": "null", **kw}


def old_rows(*rows) -> dict:
    return {"title": "Old", "uid": "old", "schemaVersion": 16, "rows": list(rows)}


def old_graph(title: str, span, **kw) -> dict:
    return {"type": "graph", "title": title, "span": span, "datasource": PROM, "targets": [target("up")], **kw}


# ----------------------------------------------------------------------------- round trip

def test_a_modern_dashboard_imports_without_errors_validates_and_builds_back_equivalent():
    original = modern()
    text, diags = run(write("modern.json", original))
    assert not of(diags, "OBS069"), "everything in it is modelled: " + "\n".join(map(format_text, diags))
    assert not of(diags, "OBS042"), "\n".join(map(format_text, diags))
    rebuilt = built(text)["svc-overview"]
    assert equivalent(original, rebuilt) == []
    assert rebuilt["title"] == "Service overview" and rebuilt["tags"] == ["svc", "team-a"]
    assert (rebuilt["refresh"], rebuilt["time"], rebuilt["timezone"], rebuilt["graphTooltip"]) == \
        ("30s", {"from": "now-1h", "to": "now"}, "utc", 1)
    assert [p["title"] for p in flat(rebuilt["panels"])] == \
        ["Traffic", "Requests", "Up", "Saturation", "Details", "Top jobs", "Notes"]


def test_instance_noise_is_not_imported():
    text, _ = run(write("modern.json", modern()))
    body = text.split("apiVersion:")[1]
    for noise in ("schemaVersion", "pluginVersion", "editorMode", "version", "editable", "PrometheusVariableQuery",
                  "refId", "options: []"):
        assert noise not in body
    assert not re.search(r"\bid: 12\b", body)


def test_variables_of_every_type_map_onto_the_spec():
    text, _ = run(write("modern.json", modern()))
    variables = {v["name"]: v for v in spec(text)["dashboards"][0]["variables"]}
    assert variables["ds"] == {"name": "ds", "type": "datasource", "plugin": "prometheus", "current": "prom-main"}
    # The object form {query, refId} of a Prometheus query variable is read as its query string.
    assert variables["job"] == {"name": "job", "datasource": "$ds", "query": "label_values(up, job)", "sort": "alpha",
                                "refresh": "time_range", "multi": True, "include_all": True}
    assert variables["env"] == {"name": "env", "type": "custom", "values": ["prod", "staging"], "current": "prod"}
    assert variables["window"] == {"name": "window", "type": "interval", "values": ["1m", "5m", "1h"]}
    assert variables["cluster"] == {"name": "cluster", "type": "constant", "hide": "variable", "query": "eu-1"}
    assert variables["filter"]["type"] == "textbox" and variables["filter"]["label"] == "Filter"
    assert variables["adhoc"] == {"name": "adhoc", "type": "adhoc", "datasource": "$ds"}
    rebuilt = {v["name"]: v for v in built(text)["svc-overview"]["templating"]["list"]}
    assert rebuilt["job"]["query"] == "label_values(up, job)" and rebuilt["job"]["datasource"] == VAR_DS
    assert rebuilt["cluster"]["hide"] == 2 and rebuilt["env"]["query"] == "prod,staging"


def test_open_and_collapsed_rows_own_their_panels_and_panel_settings_are_spec_fields():
    text, _ = run(write("modern.json", modern()))
    traffic, details = spec(text)["dashboards"][0]["panels"]
    assert traffic["type"] == details["type"] == "row"
    assert "collapsed" not in traffic and details["collapsed"] is True
    assert [p["title"] for p in traffic["panels"]] == ["Requests", "Up", "Saturation"]
    assert [p["title"] for p in details["panels"]] == ["Top jobs", "Notes"]
    requests, up, saturation = traffic["panels"]
    assert (requests["unit"], requests["min"], requests["max"], requests["decimals"]) == ("reqps", 0, 100, 2)
    assert requests["thresholds"] == [{"color": "green"}, {"color": "red", "value": 80}]
    assert requests["overrides"] == [{"match": {"name": "errors"}, "properties": {"color": "red"}}]
    assert requests["legend"] == {"mode": "table", "placement": "right", "calcs": ["mean", "max"]}
    assert requests["tooltip"] == {"mode": "multi", "sort": "desc"}
    assert requests["links"] == [{"title": "Runbook", "url": "https://runbooks.example.org/requests"}]
    assert requests["transformations"] == [{"id": "organize", "options": {"excludeByName": {"Time": True}}}]
    assert (requests["stack"], requests["fill"], requests["datasource"]) == ("normal", 10, "$ds")
    assert (up["repeat"], up["repeat_direction"], up["max_per_row"]) == ("job", "h", 4)
    assert up["mappings"] == [{"value": "0", "text": "down", "color": "red"}]
    assert saturation["threshold_mode"] == "percentage" and saturation["unit"] == "percentunit"
    notes = details["panels"][1]
    assert (notes["content"], notes["content_mode"]) == ("# Read me\nSee the runbook.", "markdown")


def test_positions_obsgen_would_not_choose_are_kept_and_built_back():
    original = modern()
    text, _ = run(write("modern.json", original))
    saturation = spec(text)["dashboards"][0]["panels"][0]["panels"][2]
    assert (saturation["x"], saturation["y"]) == (12, 5)
    assert saturation["height"] == 4 and "width" not in saturation  # 6 is a gauge's default width
    gen = {p["title"]: p["gridPos"] for p in flat(built(text)["svc-overview"]["panels"])}
    want = {p["title"]: p["gridPos"] for p in flat(original["panels"]) if p["type"] != "row"}
    assert {t: gen[t] for t in want} == want


def test_a_simple_dashboard_imports_short_with_no_sizes_positions_or_extra():
    original = {"title": "Simple", "uid": "simple", "panels": [ts("Up"), ts("Load", x=12)]}
    text, diags = run(write("simple.json", original))
    assert not [d for d in diags if d.severity is not Severity.NOTE]
    (panel_a, panel_b) = spec(text)["dashboards"][0]["panels"]
    for p in (panel_a, panel_b):
        assert set(p) == {"title", "type", "datasource", "queries"}, p
        assert p["queries"] == [{"expr": "up"}]
    body = text.split("apiVersion:")[1]
    assert not re.search(r"^\s*(width|height|x|'y'|y|extra):", body, re.MULTILINE)
    assert len(body.splitlines()) < 25
    assert equivalent(original, built(text)["simple"]) == []


def test_equivalent_sees_a_difference_the_build_would_make():
    original = modern()
    text, _ = run(write("modern.json", original))
    rebuilt = copy.deepcopy(built(text)["svc-overview"])
    requests = next(p for p in rebuilt["panels"] if p["title"] == "Requests")
    requests["fieldConfig"]["defaults"]["unit"] = "bytes"
    requests["gridPos"]["x"] = 3
    problems = equivalent(original, rebuilt)
    assert any("fieldConfig.defaults.unit" in p for p in problems) and any("gridPos" in p for p in problems)


# ----------------------------------------------------------------------------- extra and OBS069

def test_a_plugin_panels_options_go_to_extra_with_one_warning_at_the_panel():
    path = write("clock.json", clock_dashboard())
    text, diags = run(path)
    (warned,) = of(diags, "OBS069")
    assert (warned.pos.file, warned.pos.line, warned.pos.col) == ("clock.json", *opening_brace(path, "grafana-clock"))
    assert "options.mode" in warned.message and "options.clockType" in warned.message
    (panel,) = spec(text)["dashboards"][0]["panels"]
    assert panel["type"] == "grafana-clock-panel"
    assert panel["extra"] == {"options": {"mode": "time", "clockType": "24 hour", "timezone": "utc"}}
    rebuilt = built(text)["b-clock"]["panels"][0]
    assert rebuilt["type"] == "grafana-clock-panel" and rebuilt["options"]["clockType"] == "24 hour"


def test_a_field_setting_obsgen_does_not_model_goes_to_the_panels_extra_with_one_warning():
    soft = ts("Soft", fieldConfig={"defaults": {"unit": "s", "custom": {"axisSoftMax": 100}}, "overrides": []})
    original = {"title": "Axes", "uid": "soft", "panels": [ts("Plain"), soft]}
    path = write("soft.json", original)
    text, diags = run(path)
    (warned,) = of(diags, "OBS069")
    assert (warned.pos.file, warned.pos.line, warned.pos.col) == ("soft.json", *opening_brace(path, '"title": "Soft"'))
    assert "fieldConfig.defaults.custom.axisSoftMax" in warned.message
    plain, panel = spec(text)["dashboards"][0]["panels"]
    assert "extra" not in plain
    assert panel["unit"] == "s"
    assert panel["extra"] == {"fieldConfig": {"defaults": {"custom": {"axisSoftMax": 100}}}}
    assert built(text)["soft"]["panels"][1]["fieldConfig"]["defaults"]["custom"]["axisSoftMax"] == 100
    assert equivalent(original, built(text)["soft"]) == []


def test_settings_at_grafanas_defaults_give_no_warning_and_no_extra():
    saved_by_grafana_11 = ts(
        "Defaults",
        fieldConfig={"defaults": {"custom": {"axisBorderShow": False, "axisCenteredZero": False, "drawStyle": "line",
                                             "lineInterpolation": "linear", "barAlignment": 0, "pointSize": 5,
                                             "hideFrom": {"legend": False, "tooltip": False, "viz": False},
                                             "scaleDistribution": {"type": "linear"}, "insertNulls": False},
                                  "mappings": [], "links": []},
                     "overrides": []},
        options={"tooltip": {"mode": "single", "sort": "none", "maxHeight": 600},
                 "legend": {"showLegend": True, "displayMode": "list", "placement": "bottom", "calcs": []}},
        transparent=False, links=[])
    original = one_panel(saved_by_grafana_11, title="Defaults", uid="defaults", fiscalYearStartMonth=0, liveNow=False,
                         weekStart="")
    text, diags = run(write("defaults.json", original))
    assert not of(diags, "OBS069"), "\n".join(map(format_text, diags))
    assert "extra" not in text and "maxHeight" not in text and "axisBorderShow" not in text
    assert equivalent(original, built(text)["defaults"]) == []


# ----------------------------------------------------------------------------- datasources

def test_export_for_sharing_inputs_prometheus_is_the_default_and_others_become_a_variable():
    original = {
        "__inputs": [{"name": "DS_PROMETHEUS", "label": "Prometheus", "type": "datasource", "pluginId": "prometheus"},
                     {"name": "DS_LOKI", "label": "Loki", "type": "datasource", "pluginId": "loki"}],
        "__requires": [{"type": "datasource", "id": "prometheus"}, {"type": "datasource", "id": "loki"}],
        "title": "Shared", "uid": "shared",
        "panels": [
            {"type": "timeseries", "title": "Rate", "datasource": {"type": "prometheus", "uid": "${DS_PROMETHEUS}"},
             "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
             "targets": [target("rate(x[5m])", ds={"type": "prometheus", "uid": "${DS_PROMETHEUS}"})]},
            {"type": "logs", "title": "Logs", "datasource": {"type": "loki", "uid": "${DS_LOKI}"},
             "gridPos": {"x": 0, "y": 8, "w": 24, "h": 8},
             "targets": [target('{app="x"}', ds={"type": "loki", "uid": "${DS_LOKI}"})]},
        ]}
    text, diags = run(write("shared.json", original))
    doc = spec(text)
    assert "datasources" not in doc and "DS_PROMETHEUS" not in text and "__inputs" not in text
    dash = doc["dashboards"][0]
    assert dash["variables"] == [{"name": "DS_LOKI", "type": "datasource", "plugin": "loki"}]
    rate, logs = dash["panels"]
    assert "datasource" not in rate and all("datasource" not in q for q in rate["queries"])
    assert logs["datasource"] == "$DS_LOKI"
    assert equivalent(original, built(text)["shared"]) == []
    assert not of(diags, "OBS069")


def test_a_concrete_datasource_becomes_a_datasources_entry_that_panels_and_queries_name():
    original = one_panel(ts("Up", targets=[target("up"), target("up", "B", ds={"type": "prometheus", "uid": "prom-eu"})]),
                         title="Two", uid="two")
    text, _ = run(write("two.json", original))
    doc = spec(text)
    assert doc["datasources"] == [{"name": "prom-eu", "type": "prometheus", "uid": "prom-eu"},
                                  {"name": "prom-main", "type": "prometheus", "uid": "prom-main"}]
    (panel,) = doc["dashboards"][0]["panels"]
    assert panel["datasource"] == "prom-main"
    assert panel["queries"] == [{"expr": "up"}, {"expr": "up", "datasource": "prom-eu"}]
    rebuilt = built(text)["two"]["panels"][0]
    assert rebuilt["datasource"] == PROM and rebuilt["targets"][1]["datasource"] == {"type": "prometheus",
                                                                                      "uid": "prom-eu"}


@pytest.mark.parametrize("mixed", [{"type": "datasource", "uid": "-- Mixed --"}, "-- Mixed --"])
def test_a_mixed_panel_is_mixed_with_each_query_naming_its_datasource(mixed):
    original = one_panel({**ts("Both"), "datasource": mixed,
                          "targets": [target("up", ds={"type": "prometheus", "uid": "prom-eu"}),
                                      target("up", "B", ds={"type": "prometheus", "uid": "prom-us"})]},
                         title="Mixed", uid="mixed-one")
    text, _ = run(write("mixed.json", original))
    (panel,) = spec(text)["dashboards"][0]["panels"]
    assert panel["datasource"] == "mixed"
    assert [q["datasource"] for q in panel["queries"]] == ["prom-eu", "prom-us"]
    rebuilt = built(text)["mixed-one"]["panels"][0]
    assert rebuilt["datasource"]["uid"] == "-- Mixed --"
    assert [t["datasource"]["uid"] for t in rebuilt["targets"]] == ["prom-eu", "prom-us"]


def test_a_legacy_datasource_name_becomes_an_entry_with_a_warning_at_it():
    path = write("legacy.json", one_panel({**ts("Up"), "datasource": "Prometheus", "targets": [{"expr": "up",
                                                                                                  "refId": "A"}]},
                                          title="Legacy", uid="legacy"))
    text, diags = run(path)
    (warned,) = of(diags, "OBS042")
    assert "'Prometheus'" in warned.message and "by name" in warned.message
    line = next(n for n, s in enumerate(path.read_text().splitlines(), 1) if '"datasource": "Prometheus"' in s)
    assert (warned.pos.file, warned.pos.line) == ("legacy.json", line)
    doc = spec(text)
    assert doc["datasources"] == [{"name": "Prometheus", "type": "prometheus", "uid": "Prometheus"}]
    assert doc["dashboards"][0]["panels"][0]["datasource"] == "Prometheus"
    assert "Prometheus" in text.split("apiVersion:")[0]  # the header's notes say so too


# ----------------------------------------------------------------------------- legacy panels and layout

def test_a_graph_panel_is_migrated_to_a_timeseries_with_unit_stack_legend_and_overrides():
    text, diags = run(write("graph.json", one_panel(graph_panel(), title="Graph", uid="graph")))
    (panel,) = spec(text)["dashboards"][0]["panels"]
    assert panel["type"] == "timeseries"
    assert (panel["unit"], panel["min"], panel["stack"], panel["axis_label"]) == ("s", 0, "normal", "seconds")
    assert panel["legend"]["mode"] == "table" and panel["legend"]["placement"] == "right"
    assert sorted(panel["legend"]["calcs"]) == ["max", "mean"]
    assert panel["tooltip"] == {"mode": "multi", "sort": "desc"}
    overrides = {o["match"]["name"]: o["properties"] for o in panel["overrides"]}
    assert overrides == {"p99": {"color": "orange"}, "errors": {"custom.axisPlacement": "right", "color": "#F2495C"}}
    rebuilt = built(text)["graph"]["panels"][0]
    assert rebuilt["type"] == "timeseries"
    assert rebuilt["fieldConfig"]["defaults"]["unit"] == "s"
    assert rebuilt["fieldConfig"]["defaults"]["custom"]["stacking"]["mode"] == "normal"
    for legacy in ("yaxes", "seriesOverrides", "aliasColors", "nullPointMode"):
        assert legacy not in rebuilt and legacy not in text
    assert not of(diags, "OBS069")


def test_a_singlestat_is_migrated_to_a_stat_with_thresholds_reducer_and_unit():
    singlestat = {"type": "singlestat", "title": "CPU", "datasource": PROM, "gridPos": {"x": 0, "y": 0, "w": 6, "h": 4},
                  "targets": [target("avg(cpu)")], "thresholds": "50,80", "colors": ["green", "orange", "red"],
                  "valueName": "current", "format": "percent", "colorBackground": True, "sparkline": {"show": False}}
    text, diags = run(write("stat.json", one_panel(singlestat, title="Stat", uid="stat")))
    (panel,) = spec(text)["dashboards"][0]["panels"]
    assert panel["type"] == "stat"
    assert panel["unit"] == "percent" and panel["reduce"] == "lastNotNull" and panel["color_mode"] == "background"
    assert panel["thresholds"] == [{"color": "green"}, {"color": "orange", "value": 50}, {"color": "red", "value": 80}]
    rebuilt = built(text)["stat"]["panels"][0]
    assert rebuilt["type"] == "stat"
    assert rebuilt["options"]["reduceOptions"]["calcs"] == ["lastNotNull"]
    assert [s["value"] for s in rebuilt["fieldConfig"]["defaults"]["thresholds"]["steps"]] == [None, 50, 80]
    assert not of(diags, "OBS069") and not of(diags, "OBS042")


def test_old_rows_become_rows_on_the_grid_with_widths_twice_the_span():
    original = old_rows(
        {"title": "First", "showTitle": True, "height": "300px",
         "panels": [old_graph("A", 4), old_graph("B", 8)]},
        {"title": "Second", "showTitle": True, "height": 250, "panels": [old_graph("C", 12)]})
    text, _ = run(write("old.json", original))
    first, second = spec(text)["dashboards"][0]["panels"]
    assert (first["type"], first["title"], second["type"], second["title"]) == ("row", "First", "row", "Second")
    assert [p["title"] for p in first["panels"]] == ["A", "B"] and [p["title"] for p in second["panels"]] == ["C"]
    grid = {p["title"]: p["gridPos"] for p in built(text)["old"]["panels"]}
    assert (grid["A"]["w"], grid["B"]["w"], grid["C"]["w"]) == (8, 16, 24)
    assert (grid["A"]["x"], grid["B"]["x"], grid["C"]["x"]) == (0, 8, 0)
    assert grid["A"]["h"] == grid["B"]["h"] and grid["A"]["y"] == grid["B"]["y"] == grid["First"]["y"] + 1
    assert grid["Second"]["y"] == grid["A"]["y"] + grid["A"]["h"] and grid["C"]["y"] == grid["Second"]["y"] + 1
    assert equivalent(original, built(text)["old"]) == []


def test_old_row_heights_become_grid_heights_as_grafanas_migration_computes_them():
    original = old_rows(
        {"title": "First", "showTitle": True, "height": "300px", "panels": [old_graph("A", 12)]},
        {"title": "Second", "showTitle": True, "height": 250,
         "panels": [old_graph("B", 6), old_graph("C", 6, height="150px")]})
    text, _ = run(write("old.json", original))
    grid = {p["title"]: p["gridPos"] for p in built(text)["old"]["panels"]}
    assert grid["A"]["h"] == math.ceil(300 / 38) == 8
    assert grid["B"]["h"] == math.ceil(250 / 38) == 7
    assert grid["C"]["h"] == math.ceil(150 / 38) == 4


@pytest.mark.parametrize("rows, want", [
    ([{"title": "Hidden", "collapse": True, "height": 250, "panels": [old_graph("A", 12)]}],
     [("row", "Hidden", True)]),
    ([{"title": "a", "height": 250, "panels": [old_graph("A", 12)]},
      {"title": "b", "height": 250, "panels": [old_graph("B", 12)]}],
     [("timeseries", "A", None), ("timeseries", "B", None)]),
], ids=["one-collapsed-row", "untitled-rows"])
def test_old_rows_get_row_panels_exactly_when_grafanas_migration_makes_them(rows, want):
    text, _ = run(write("old.json", old_rows(*rows)))
    panels = spec(text)["dashboards"][0]["panels"]
    assert [(p["type"], p["title"], p.get("collapsed")) for p in panels] == want


def test_graph_legend_values_off_migrate_to_no_calcs():
    panel = graph_panel(legend={"show": True, "avg": True, "max": True, "values": False})
    text, _ = run(write("graph.json", one_panel(panel, title="Graph", uid="graph")))
    assert spec(text)["dashboards"][0]["panels"][0]["legend"]["calcs"] == []


def test_graph_tooltip_sort_is_kept_only_for_a_shared_tooltip():
    panel = graph_panel(tooltip={"shared": False, "sort": 2})
    text, _ = run(write("graph.json", one_panel(panel, title="Graph", uid="graph")))
    assert spec(text)["dashboards"][0]["panels"][0]["tooltip"] == {"mode": "single", "sort": "none"}


def test_graph_settings_left_on_timeseries_panels_are_one_warning_per_dashboard_and_not_kept():
    stale = {"aliasColors": {"a": "red"}, "bars": False, "lines": True, "fill": 1, "nullPointMode": "null"}
    original = {"title": "Stale", "uid": "stale", "panels": [ts("S1", **stale), ts("S2", x=12, **stale)]}
    other = {"title": "Stale two", "uid": "stale-two", "panels": [ts("S3", bars=False)]}
    text, diags = run(write("stale.json", original), write("stale2.json", other))
    warned = of(diags, "OBS042")
    assert len(warned) == 2 and {d.pos.file for d in warned} == {"stale.json", "stale2.json"}
    assert "2 panel(s)" in next(d.message for d in warned if d.pos.file == "stale.json")
    assert not of(diags, "OBS069")
    body = text.split("apiVersion:")[1]
    assert "extra" not in body and "aliasColors" not in body and "nullPointMode" not in body
    assert equivalent(original, built(text)["stale"]) == []


# ----------------------------------------------------------------------------- envelopes

def simple(title: str, uid: str) -> dict:
    return {"title": title, "uid": uid, "panels": [ts("Up")]}


def configmap(*dashboards: dict, indent: str = "") -> str:
    data = "\n".join(f"{indent}  {d['uid']}.json: |\n{block(json.dumps(d, indent=2), indent + '    ')}"
                     for d in dashboards)
    return (f"{indent}apiVersion: v1\n{indent}kind: ConfigMap\n{indent}metadata:\n{indent}  name: dashboards\n"
            f"{indent}  labels: {{grafana_dashboard: '1'}}\n{indent}data:\n{data}\n")


ENVELOPES = {
    "api-wrapped.json": (lambda: json.dumps({"dashboard": simple("Api", "api"),
                                             "meta": {"slug": "api", "folderTitle": "General"}}, indent=2),
                         {"api": "Api"}),
    "configmap.yaml": (lambda: configmap(simple("One", "one"), simple("Two", "two")), {"one": "One", "two": "Two"}),
    "configmaplist.yaml": (lambda: "apiVersion: v1\nkind: ConfigMapList\nitems:\n"
                                   + configmap(simple("Three", "three"), indent="  ").replace("  apiVersion", "- apiVersion", 1),
                           {"three": "Three"}),
    "grafanadashboard.yaml": (lambda: "apiVersion: grafana.integreatly.org/v1beta1\nkind: GrafanaDashboard\n"
                                      "metadata: {name: four}\nspec:\n  instanceSelector: {matchLabels: {a: b}}\n"
                                      "  json: >\n" + block(json.dumps(simple("Four", "four"), indent=2), "    ") + "\n",
                              {"four": "Four"}),
}


@pytest.mark.parametrize("name", sorted(ENVELOPES))
def test_dashboards_are_read_out_of_their_envelopes(name):
    make, titles = ENVELOPES[name]
    text, diags = run(write(name, make()))
    assert {d["uid"]: d["title"] for d in spec(text)["dashboards"]} == titles
    rebuilt = built(text)
    for uid, title in titles.items():
        assert equivalent(simple(title, uid), rebuilt[uid]) == []
    assert not [d for d in diags if d.severity is not Severity.NOTE]


def test_a_warning_inside_a_configmap_names_the_data_key_it_is_in():
    plugin = clock_dashboard()
    write("cm.yaml", configmap(simple("One", "one"), {**plugin, "uid": "clock"}))
    _, diags = run("cm.yaml")
    (warned,) = of(diags, "OBS069")
    assert warned.pos.file == "cm.yaml[clock.json]" and warned.pos.line > 1


# ----------------------------------------------------------------------------- bad input

def test_invalid_json_is_obs041_at_the_json_modules_line_col_exit_1_and_nothing_written(tmp_path):
    broken = '{\n  "title": "X",\n  "panels": [\n    {"type": "timeseries",}\n  ]\n}\n'
    write("in/broken.json", broken)
    with pytest.raises(json.JSONDecodeError) as exc:
        json.loads(broken)
    proc = obsgen("import", "grafana", "in", "-o", "out.yaml", cwd=tmp_path)
    assert proc.returncode == 1
    assert f"in/broken.json:{exc.value.lineno}:{exc.value.colno}: error[OBS041]: not valid JSON" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out.yaml").exists() and proc.stdout == ""


@pytest.mark.parametrize("name, content, message", [
    ("not-a-dashboard.json", '{"foo": 1}\n', "not a Grafana dashboard"),
    ("secret.yaml", "apiVersion: v1\nkind: Secret\ndata: {}\n", "no Grafana dashboard here"),
    ("cm.yaml", "apiVersion: v1\nkind: ConfigMap\ndata:\n  a.json: '{\"title\": \"x\", }'\n", "not valid JSON"),
])
def test_a_file_that_holds_no_dashboard_is_refused_with_its_name(tmp_path, name, content, message):
    write(name, content)
    proc = obsgen("import", "grafana", name, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "error[OBS041]" in proc.stderr and message in proc.stderr and name in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_a_folder_with_no_files_is_obs023(tmp_path):
    (tmp_path / "empty").mkdir()
    proc = obsgen("import", "grafana", "empty", "-o", "out.yaml", cwd=tmp_path)
    assert proc.returncode == 1
    assert "empty: error[OBS023]" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out.yaml").exists()


# ----------------------------------------------------------------------------- determinism

def test_the_output_does_not_depend_on_the_order_of_the_arguments():
    paths = [write("in/modern.json", modern()), write("in/cm.yaml", configmap(simple("One", "one"))),
             write("in/legacy.json", one_panel(graph_panel(datasource="Prometheus"), title="L", uid="legacy"))]
    forward, _ = run(*paths)
    backward, _ = run(*reversed(paths))
    assert forward == backward
    assert run("in")[0] == forward


# ----------------------------------------------------------------------------- the command line

def test_the_cli_imports_a_folder_and_the_result_validates_builds_and_passes_grafanas_schema(tmp_path):
    write("in/a-overview.json", {**modern(), "uid": "a-overview"})
    write("in/b-clock.json", clock_dashboard())
    (tmp_path / "specs").mkdir()
    proc = obsgen("import", "grafana", "in", "-o", "specs/dashboards.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "in/b-clock.json:" in proc.stderr and "warning[OBS069]" in proc.stderr
    assert (tmp_path / "specs" / "dashboards.yaml").is_file()
    assert [d["uid"] for d in spec((tmp_path / "specs" / "dashboards.yaml").read_text())["dashboards"]] == \
        ["a-overview", "b-clock"]

    check = obsgen("validate", cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert "0 error(s)" in check.stderr

    build = obsgen("build", "--out", "out", cwd=tmp_path)
    assert build.returncode == 0, build.stderr
    written = {p.stem: p for p in (tmp_path / "out").rglob("grafana/dashboards/**/*.json")}
    assert set(written) == {"a-overview", "b-clock"}
    assert json.loads(written["b-clock"].read_text())["panels"][0]["options"]["clockType"] == "24 hour"

    folders = sorted({str(p.parent) for p in written.values()})
    out, problems = grafana_schema(*folders)
    assert "dashboards pass Grafana's schema" in out, out
    assert problems == []


# ----------------------------------------------------------------------------- known bugs

def test_several_dashboards_whose_uids_sort_otherwise_than_their_files_import_without_placement_warnings():
    write("a.json", {"title": "First", "uid": "zzz", "panels": [ts("Wide")]})
    write("b.json", {"title": "Second", "uid": "aaa",
                     "panels": [{**ts("Small", w=6, h=4), "type": "stat"}]})
    _, diags = run("a.json", "b.json")
    assert of(diags, "OBS042") == [], "\n".join(map(format_text, diags))


@pytest.mark.parametrize("uid", ["same", None], ids=["same-uid", "same-title-no-uid"])
def test_two_dashboards_with_one_uid_are_reported_at_the_inputs(uid):
    for name in ("a.json", "b.json"):
        d = {"title": "Same", "panels": [ts("Up")]}
        if uid:
            d["uid"] = uid
        write(name, d)
    _, diags = import_grafana([Path("a.json"), Path("b.json")])
    assert all(d.pos.file in ("a.json", "b.json") for d in diags), "\n".join(map(format_text, diags))


def test_a_repeat_over_an_undeclared_variable_is_dropped_once():
    text, diags = run(write("r.json", one_panel(ts("Up", repeat="nope"), title="R", uid="r")))
    assert len(of(diags, "OBS042")) == 1 and of(diags, "OBS069") == []
    assert "extra" not in spec(text)["dashboards"][0]["panels"][0]
