"""`obsgen import grafana`: dashboards in, a spec out that builds back to the same dashboards."""
from __future__ import annotations

import json
import re
from pathlib import Path

from obsgen.api import load_texts
from obsgen.core.diagnostics import Severity
from obsgen.features.importers.grafana import equivalent, import_grafana
from obsgen.resolve.datasources import Datasources
from obsgen.targets.grafana import dashboard as build

PROM = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}


def _dashboard(**over) -> dict:
    d = {
        "__inputs": [{"name": "DS_PROMETHEUS", "type": "datasource", "pluginId": "prometheus"}],
        "id": 12, "uid": "nodes-x", "title": "Nodes", "version": 7, "schemaVersion": 39, "editable": True,
        "graphTooltip": 1, "refresh": "30s", "time": {"from": "now-3h", "to": "now"}, "tags": ["nodes"],
        "templating": {"list": [
            {"name": "job", "type": "query", "datasource": PROM, "definition": "label_values(up, job)",
             "query": {"query": "label_values(up, job)", "refId": "PrometheusVariableQueryEditor-VariableQuery"},
             "multi": True, "includeAll": True, "current": {"text": "All", "value": "$__all"}, "refresh": 2,
             "options": [], "hide": 0, "sort": 1},
            {"name": "window", "type": "interval", "query": "1m,5m,1h", "auto": False, "auto_count": 30,
             "auto_min": "10s", "current": {"text": "5m", "value": "5m"}, "refresh": 2, "options": []},
        ]},
        "panels": [
            {"id": 1, "type": "row", "title": "Overview", "collapsed": False,
             "gridPos": {"x": 0, "y": 0, "w": 24, "h": 1}, "panels": []},
            {"id": 2, "type": "stat", "title": "Up", "datasource": PROM, "gridPos": {"x": 0, "y": 1, "w": 6, "h": 8},
             "pluginVersion": "10.4.1",
             "fieldConfig": {"defaults": {"unit": "percentunit", "thresholds": {"mode": "absolute", "steps": [
                 {"color": "red", "value": None}, {"color": "green", "value": 0.99}]},
                 "mappings": [{"type": "special", "options": {"match": "null", "result": {"text": "N/A", "index": 0}}}]},
                 "overrides": []},
             "options": {"reduceOptions": {"calcs": ["lastNotNull"], "values": False, "fields": ""},
                         "colorMode": "background", "graphMode": "none", "justifyMode": "auto"},
             "targets": [{"datasource": PROM, "expr": 'avg(up{job=~"$job"})', "refId": "A", "editorMode": "code",
                          "instant": True, "range": False}]},
            {"id": 3, "type": "timeseries", "title": "Requests", "datasource": PROM,
             "gridPos": {"x": 6, "y": 1, "w": 18, "h": 8},
             "fieldConfig": {"defaults": {"unit": "reqps", "custom": {"fillOpacity": 10, "axisBorderShow": False,
                                                                    "axisSoftMax": 100}},
                             "overrides": [{"matcher": {"id": "byName", "options": "errors"},
                                            "properties": [{"id": "color",
                                                            "value": {"mode": "fixed", "fixedColor": "red"}}]}]},
             "options": {"legend": {"displayMode": "table", "placement": "right", "calcs": ["mean", "max"],
                                    "showLegend": True},
                         "tooltip": {"mode": "multi", "sort": "desc", "maxHeight": 600}},
             "targets": [{"datasource": PROM, "expr": 'sum by (job) (rate(up{job=~"$job"}[$window]))',
                          "legendFormat": "{{job}}", "refId": "A"}]},
            {"id": 4, "type": "row", "title": "Details", "collapsed": True, "gridPos": {"x": 0, "y": 9, "w": 24, "h": 1},
             "panels": [{"id": 5, "type": "grafana-clock-panel", "title": "Clock", "gridPos": {"x": 0, "y": 10,
                                                                                             "w": 4, "h": 4},
                         "options": {"mode": "time", "clockType": "24 hour"}}]},
        ],
    }
    d.update(over)
    return d


def _import(tmp_path: Path, *docs: dict) -> tuple[str | None, list]:
    paths = []
    for i, d in enumerate(docs):
        p = tmp_path / f"d{i}.json"
        p.write_text(json.dumps(d, indent=2), encoding="utf-8")
        paths.append(p)
    return import_grafana(paths)


def _built(text: str) -> list[dict]:
    project = load_texts({"imported.yaml": text})
    assert project.ok, [d.message for d in project.diagnostics if d.severity is Severity.ERROR]
    model = project.models[0]
    return [build(uid, d, Datasources(model.spec)) for uid, d in model.dashboards]


def test_a_dashboard_comes_back_equivalent_and_the_spec_validates(tmp_path):
    original = _dashboard()
    text, diags = _import(tmp_path, original)
    assert text is not None, diags
    (out,) = _built(text)
    assert equivalent(original, out) == []
    assert [v["name"] for v in out["templating"]["list"]] == ["job", "window"]
    assert [p["title"] for p in out["panels"]] == ["Overview", "Up", "Requests", "Details"]
    assert [p["title"] for p in out["panels"][3]["panels"]] == ["Clock"]


def test_what_obsgen_does_not_model_is_kept_in_extra_with_a_warning_at_its_place(tmp_path):
    text, diags = _import(tmp_path, _dashboard())
    passed = [d for d in diags if d.code == "OBS069"]
    # the clock plugin's options and a soft axis maximum; Grafana's defaults (axisBorderShow: false,
    # maxHeight: 600, justifyMode: auto) and instance noise (id, version, pluginVersion) are not kept
    assert sorted(d.message.split(": ")[1] for d in passed) == ["fieldConfig.defaults.custom.axisSoftMax",
                                                                "options.mode, options.clockType"]
    assert all(d.severity is Severity.WARNING and d.pos.file.endswith("d0.json") and d.pos.line > 1 for d in passed)
    assert "pluginVersion" not in text and "editorMode" not in text and "axisBorderShow" not in text


def test_the_simple_case_stays_short(tmp_path):
    text, _ = _import(tmp_path, _dashboard())
    assert not re.search(r"^\s+[xy]: ", text, re.M)  # the layout obsgen computes is the one the input has
    assert "width: 18" in text and "width: 6" not in text  # sizes only where they differ from the defaults
    assert "${DS_PROMETHEUS}" not in text and "datasources:" not in text  # the default datasource


def test_concrete_datasources_become_entries_and_mixed_panels_keep_theirs(tmp_path):
    loki = {"type": "loki", "uid": "loki-1"}
    d = _dashboard(panels=[{"id": 1, "type": "timeseries", "title": "Both",
                            "datasource": {"type": "datasource", "uid": "-- Mixed --"},
                            "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
                            "targets": [{"datasource": {"type": "prometheus", "uid": "prom-eu"}, "expr": "up",
                                         "refId": "A"},
                                        {"datasource": loki, "expr": 'count_over_time({app="x"}[5m])',
                                         "refId": "B"}]}])
    text, diags = _import(tmp_path, d)
    assert text is not None, diags
    assert "datasources:" in text and "uid: prom-eu" in text and "uid: loki-1" in text
    (out,) = _built(text)
    (panel,) = out["panels"]
    assert panel["datasource"]["uid"] == "-- Mixed --"
    assert [t["datasource"]["uid"] for t in panel["targets"]] == ["prom-eu", "loki-1"]


def test_a_legacy_graph_panel_becomes_a_timeseries_with_its_settings(tmp_path):
    graph = {"id": 1, "type": "graph", "title": "Old", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
             "yaxes": [{"format": "bytes", "min": 0}, {"format": "short"}], "stack": True, "fill": 1,
             "legend": {"show": True, "values": True, "alignAsTable": True, "rightSide": True, "max": True,
                        "current": True},
             "aliasColors": {"errors": "red"}, "targets": [{"expr": "up", "refId": "A"}]}
    text, diags = _import(tmp_path, _dashboard(panels=[graph], templating={"list": []}))
    assert text is not None, diags
    (out,) = _built(text)
    (panel,) = out["panels"]
    assert panel["type"] == "timeseries"
    assert panel["fieldConfig"]["defaults"]["unit"] == "bytes"
    assert panel["fieldConfig"]["defaults"]["custom"]["stacking"]["mode"] == "normal"
    assert panel["options"]["legend"]["displayMode"] == "table" and panel["options"]["legend"]["calcs"] == [
        "max", "lastNotNull"]
    assert panel["fieldConfig"]["overrides"][0]["matcher"] == {"id": "byName", "options": "errors"}


def test_a_query_prometheus_would_refuse_is_kept_unchecked_and_said_so(tmp_path):
    d = _dashboard(panels=[{"id": 1, "type": "timeseries", "title": "MetricsQL",
                            "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
                            "targets": [{"expr": "irate(node_load1)", "refId": "A"}]}], templating={"list": []})
    text, diags = _import(tmp_path, d)
    assert text is not None
    (warn,) = [x for x in diags if x.code == "OBS042"]
    assert "MetricsQL" in warn.message and warn.pos.line > 1
    (out,) = _built(text)
    assert out["panels"][0]["targets"][0]["expr"] == "irate(node_load1)"


def test_bad_json_is_an_error_at_its_line_and_column(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text('{\n  "title": "x",\n  "panels": [,]\n}\n', encoding="utf-8")
    text, diags = import_grafana([p])
    assert text is None
    (err,) = [d for d in diags if d.severity is Severity.ERROR]
    assert err.code == "OBS041" and (err.pos.line, err.pos.col) == (3, 14)


def test_configmaps_and_api_envelopes_are_read(tmp_path):
    cm = tmp_path / "cm.yaml"
    cm.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dash}\ndata:\n  nodes.json: |\n"
                  + "".join(f"    {line}\n" for line in json.dumps(_dashboard(uid="a1")).splitlines()),
                  encoding="utf-8")
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"dashboard": _dashboard(uid="b2", title="Other"), "meta": {"slug": "x"}}),
                       encoding="utf-8")
    text, diags = import_grafana([wrapped, cm])
    assert text is not None, diags
    assert [d["uid"] for d in _built(text)] == ["a1", "b2"]


def test_the_output_does_not_depend_on_the_order_of_the_files(tmp_path):
    _import(tmp_path, _dashboard(uid="a1"), _dashboard(uid="b2", title="Other"))
    first, _ = import_grafana([tmp_path / "d0.json", tmp_path / "d1.json"])
    second, _ = import_grafana([tmp_path / "d1.json", tmp_path / "d0.json"])
    assert first is not None and first == second


def test_every_dashboard_obsgen_builds_imports_back_to_itself(tmp_path):
    """What obsgen writes, read back: every golden dashboard, each feature of the model."""
    files = sorted((Path(__file__).parent / "golden").glob("*/expected/**/grafana/dashboards/**/*.json"))
    assert len(files) >= 14
    for f in files:
        text, diags = import_grafana([f])
        assert text is not None, (f, [d.message for d in diags])
        assert [d for d in diags if d.code == "OBS069"] == [] or "escape-hatch" in f.name, (f, diags)
        (out,) = _built(text)
        assert equivalent(json.loads(f.read_text(encoding="utf-8")), out) == [], f


def test_what_obsgens_checks_refuse_in_the_inputs_own_queries_is_kept_unchecked_at_its_place(tmp_path):
    # A MetricsQL histogram (vmrange, not le) on a Prometheus datasource, and a variable query using a
    # variable the dashboard never declared: Grafana runs both as written; obsgen keeps them, unchecked.
    d = _dashboard(templating={"list": [
        {"name": "hosts", "type": "query", "query": 'query_result(count(up{instance=~"$ip"}))', "refresh": 1}]},
        panels=[{"id": 1, "type": "timeseries", "title": "Latency", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
                 "targets": [{"expr": "histogram_quantile(0.99, sum(rate(req_bucket[5m])) by (vmrange))",
                              "refId": "A"}]}])
    text, diags = _import(tmp_path, d)
    assert text is not None, [x.message for x in diags if x.severity is Severity.ERROR]
    warned = [x for x in diags if x.code == "OBS042" and "kept as given" in x.message]
    assert len(warned) == 2 and all(x.pos.file.endswith("d0.json") and x.pos.line > 1 for x in warned)
    assert any("le" in x.message for x in warned) and any("$ip" in x.message for x in warned)
    (out,) = _built(text)
    assert equivalent(d, out) == []


def test_panels_without_queries_core_camel_case_panels_and_dashed_variable_names_import(tmp_path):
    d = _dashboard(templating={"list": [{"name": "namespace-viz", "type": "custom", "query": "a,b"}]},
                   panels=[{"id": 1, "type": "nodeGraph", "title": "Services", "gridPos": {"x": 0, "y": 0, "w": 12,
                                                                                            "h": 8},
                            "targets": [{"expr": "up", "refId": "A"}]},
                           {"id": 2, "type": "stat", "title": "Nothing yet", "gridPos": {"x": 12, "y": 0, "w": 6,
                                                                                        "h": 8}},
                           {"id": 3, "gridPos": {"x": 18, "y": 0, "w": 6, "h": 8},
                            "libraryPanel": {"uid": "lib1", "name": "Shared"}}])
    text, diags = _import(tmp_path, d)
    assert text is not None, [x.message for x in diags if x.severity is Severity.ERROR]
    (library,) = [x for x in diags if "library panel" in x.message]
    assert library.code == "OBS042" and "'Shared'" in library.message
    (out,) = _built(text)
    assert [(p["type"], p["title"]) for p in out["panels"]] == [("nodeGraph", "Services"), ("stat", "Nothing yet")]
    assert [v["name"] for v in out["templating"]["list"]] == ["namespace-viz"]
    project = load_texts({"imported.yaml": text})
    (empty,) = [x for x in project.diagnostics if x.code == "OBS073"]
    assert "'Nothing yet'" in empty.message and empty.severity is Severity.WARNING
