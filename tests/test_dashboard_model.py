"""Dashboards as teams build them: variables, rows, several datasources, links, annotations, field
overrides, transformations and the `extra` escape hatch, each written as Grafana's current model
and checked by obsgen as it would be used."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from conftest import SCHEMA_DEFECT, grafana_schema
from ruamel.yaml import YAML

from obsgen.api import load_texts
from obsgen.core.diagnostics import Severity
from obsgen.targets.grafana import GrafanaTarget

HEADER = """\
apiVersion: obsgen/v1
global:
  datasource: {type: prometheus, uid: prom-main}
datasources:
  - {name: loki, type: loki, uid: loki-main, url: 'http://loki:3100'}
  - {name: eu, type: prometheus, uid: prom-eu}
dashboards:
"""


def project(text: str):
    return load_texts({"spec.yaml": text})


def findings(text: str, code: str, severity: Severity | None = None) -> list:
    return [d for d in project(text).diagnostics if d.code == code and (severity is None or d.severity is severity)]


def one(text: str) -> dict:
    p = project(text)
    assert p.ok, [f"{d.pos.line}:{d.pos.col} {d.code} {d.message}" for d in p.diagnostics]
    (model,) = p.models
    (dash,) = [json.loads(a.content) for a in GrafanaTarget().generate(model) if a.path.endswith(".json")]
    return dash


def dashboard(body: str) -> str:
    return HEADER + "  - title: Nodes\n" + body


VARIABLES = """\
    variables:
      - {name: datasource, type: datasource, plugin: prometheus}
      - {name: job, query: 'label_values(up, job)', datasource: $datasource, multi: true, include_all: true}
      - {name: instance, query: 'label_values(up{job=~"$job"}, instance)', datasource: $datasource, multi: true}
"""


# ----------------------------------------------------------------------------- variables

def test_variables_are_written_as_grafana_templating_with_their_datasource():
    dash = one(dashboard(VARIABLES + """\
    panels:
      - title: CPU of $instance
        datasource: $datasource
        repeat: instance
        queries: [{expr: 'rate(node_cpu_seconds_total{job=~"$job", instance=~"$instance"}[$__rate_interval])'}]
"""))
    names = [v["name"] for v in dash["templating"]["list"]]
    assert names == ["datasource", "job", "instance"]
    ds, job, instance = dash["templating"]["list"]
    assert ds["type"] == "datasource" and ds["query"] == "prometheus"
    assert job["type"] == "query" and job["multi"] is True and job["includeAll"] is True
    assert job["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    assert instance["definition"] == instance["query"]["query"] if isinstance(instance["query"], dict) \
        else instance["query"] == 'label_values(up{job=~"$job"}, instance)'
    (panel,) = dash["panels"]
    assert panel["repeat"] == "instance"
    assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


def test_an_undefined_variable_in_a_query_is_an_error_at_the_query():
    text = dashboard(VARIABLES + """\
    panels:
      - title: CPU
        queries: [{expr: 'up{pod="$pod"}'}]
""")
    (err,) = findings(text, "OBS065", Severity.ERROR)
    assert "$pod" in err.message and err.pos.line == 15


def test_grafanas_own_variables_are_not_undefined():
    text = dashboard("""\
    panels:
      - title: Rate
        queries: [{expr: 'sum(rate(http_requests_total[$__rate_interval])) / $__interval_ms'}]
""")
    assert findings(text, "OBS065") == []


def test_repeating_by_a_variable_that_is_not_multi_value_is_reported():
    text = dashboard(VARIABLES + """\
    panels:
      - title: Per job
        repeat: datasource
        queries: [{expr: up}]
""")
    assert any("repeat" in d.message for d in findings(text, "OBS065"))


def test_a_variable_query_is_checked_as_promql():
    text = dashboard("""\
    variables:
      - {name: job, query: 'label_values(up{job=~, job)'}
    panels:
      - {title: a, queries: [{expr: 'up{job="$job"}'}]}
""")
    assert [d for d in project(text).diagnostics if d.severity is Severity.ERROR and d.pos.line == 10]


# ----------------------------------------------------------------------------- datasources

def test_panels_and_queries_reference_named_datasources_by_uid():
    dash = one(dashboard("""\
    panels:
      - title: Errors in logs
        datasource: loki
        queries: [{expr: 'sum(count_over_time({app="api"} |= "error" [5m]))'}]
      - title: Mixed
        datasource: mixed
        queries: [{expr: up, datasource: eu}, {expr: 'count_over_time({app="api"}[5m])', datasource: loki}]
"""))
    logs, mixed = dash["panels"]
    assert logs["datasource"] == {"type": "loki", "uid": "loki-main"}
    assert mixed["datasource"]["uid"] == "-- Mixed --"
    assert [t["datasource"]["uid"] for t in mixed["targets"]] == ["prom-eu", "loki-main"]


def test_an_unknown_datasource_name_is_an_error_at_it():
    text = dashboard("""\
    panels:
      - {title: a, datasource: elsewhere, queries: [{expr: up}]}
""")
    errors = [d for d in project(text).diagnostics if d.severity is Severity.ERROR]
    assert errors and all(d.pos.line == 10 for d in errors) and any("elsewhere" in d.message for d in errors)


# ----------------------------------------------------------------------------- rows and layout

def test_open_rows_precede_their_panels_and_collapsed_rows_carry_them():
    dash = one(dashboard("""\
    panels:
      - title: Overview
        type: row
        panels: [{title: a, queries: [{expr: up}]}, {title: b, queries: [{expr: up}]}]
      - title: Details
        type: row
        collapsed: true
        panels: [{title: c, queries: [{expr: up}]}]
"""))
    kinds = [(p["type"], p["title"]) for p in dash["panels"]]
    assert kinds == [("row", "Overview"), ("timeseries", "a"), ("timeseries", "b"), ("row", "Details")]
    overview, a, b, details = dash["panels"]
    assert overview["gridPos"]["y"] < a["gridPos"]["y"] == b["gridPos"]["y"] < details["gridPos"]["y"]
    assert overview["panels"] == [] and details["collapsed"] is True
    assert [p["title"] for p in details["panels"]] == ["c"]
    ids = [p["id"] for p in dash["panels"]] + [p["id"] for p in details["panels"]]
    assert len(ids) == len(set(ids))


# ----------------------------------------------------------------------------- the escape hatch

def test_extra_is_merged_deeply_and_reported_as_a_note():
    text = dashboard("""\
    panels:
      - title: a
        type: stat
        queries: [{expr: up}]
        extra: {options: {colorMode: background, justifyMode: center}, pluginVersion: '11.0.0'}
""")
    (panel,) = one(text)["panels"]
    assert panel["options"]["colorMode"] == "background" and panel["options"]["justifyMode"] == "center"
    assert "reduceOptions" in panel["options"]  # merged, not replaced
    assert panel["pluginVersion"] == "11.0.0"
    (n,) = findings(text, "OBS068")
    assert n.severity is Severity.NOTE and "pluginVersion" in n.message and n.pos.line == 13


def test_legacy_and_plugin_panel_types_are_notes_not_errors():
    text = dashboard("""\
    panels:
      - {title: old, type: graph, queries: [{expr: up}]}
      - {title: clock, type: grafana-clock-panel, extra: {options: {mode: time}}}
""")
    notes = findings(text, "OBS068")
    assert {d.pos.line for d in notes} == {10, 11} and all(d.severity is Severity.NOTE for d in notes)
    old, clock = one(text)["panels"]
    assert old["type"] == "timeseries"
    assert clock["type"] == "grafana-clock-panel" and clock["options"] == {"mode": "time"}


# ----------------------------------------------------------------------------- Grafana's schema

def _schema_errors(tmp_path: Path, text: str) -> list[str]:
    p = project(text)
    assert p.ok
    (model,) = p.models
    for art in GrafanaTarget().generate(model):
        if art.path.endswith(".json"):
            path = tmp_path / art.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(art.content, encoding="utf-8")
    out, errors = grafana_schema(tmp_path)
    assert "dashboards pass Grafana's schema" in out, out
    return errors


FULL = dashboard("""\
    description: every part of the open model
    graph_tooltip: crosshair
    links: [{title: Runbooks, url: 'https://runbooks.example.org'}, {title: Related, tags: [nodes], as_dropdown: true}]
    annotations:
      - {name: Deployments, expr: 'changes(kube_deployment_status_observed_generation[2m]) > 0', title: '{{deployment}}'}
""" + VARIABLES + """\
      - {name: window, type: interval, values: [1m, 5m, 1h], auto: true}
      - {name: env, type: custom, values: [prod, staging], current: prod}
      - {name: filters, type: adhoc, datasource: eu}
    panels:
      - title: Overview
        type: row
        panels:
          - title: Requests
            queries: [{expr: 'sum by (job) (avg_over_time(up{job=~"$job"}[$window]))', legend: '{{job}}'}]
            legend: {mode: table, placement: right, calcs: [mean, max]}
            tooltip: {mode: multi, sort: desc}
            stack: normal
            overrides:
              - {match: {name: errors}, properties: {color: red, unit: reqps}}
            data_links: [{title: Logs, url: '/explore?job=${__field.labels.job}'}]
          - title: Up
            type: stat
            queries: [{expr: 'sum(up{job=~"$job"})', instant: true}]
            mappings: [{values: {'0': {text: down, color: red}}}, {special: {match: null, text: N/A}}]
            thresholds: [{color: red}, {value: 1, color: green}]
      - title: Details
        type: row
        collapsed: true
        repeat: instance
        panels:
          - title: Table
            type: table
            queries: [{expr: 'up{instance=~"$instance"}', instant: true, format: table}]
            transformations: [{id: organize, options: {excludeByName: {Time: true}}}]
          - {title: Notes, type: text, content: '# Runbook', width: 24}
""")


def test_the_whole_open_model_passes_grafanas_schema(tmp_path):
    assert _schema_errors(tmp_path, FULL) == []


def test_the_schema_defect_allowance_covers_only_the_two_known_places():
    assert SCHEMA_DEFECT.search("x.json: $.panels[1].fieldConfig.overrides[0].matcher.options: 'e' is not of type 'object'")
    assert SCHEMA_DEFECT.search("x.json: $.panels[1].fieldConfig.overrides[2].properties[1].value: 3 is not of type "
                                "'object'")
    assert not SCHEMA_DEFECT.search("x.json: $.panels[1].fieldConfig.defaults.unit: 3 is not of type 'string'")
    assert not SCHEMA_DEFECT.search("x.json: $.panels[1].fieldConfig.overrides[0].matcher: 'e' is not of type 'object'")


def test_the_whole_open_model_validates_without_warnings():
    p = project(FULL)
    assert p.ok
    assert [d for d in p.diagnostics if d.severity is not Severity.NOTE] == []


# ----------------------------------------------------------------------------- helpers for what follows

def _line(text: str, fragment: str) -> int:
    """1-based line of the first line of `text` containing `fragment`."""
    (n,) = [i for i, line in enumerate(text.splitlines(), 1) if fragment in line][:1]
    return n


def _variables(body: str) -> list[dict]:
    return one(dashboard("    variables:\n" + body + "    panels:\n      - {title: a, queries: [{expr: up}]}\n"))[
        "templating"]["list"]


def _problems(text: str) -> list:
    return [d for d in project(text).diagnostics if d.severity is not Severity.NOTE]


# ----------------------------------------------------------------------------- variables, by type

def test_a_custom_variables_values_become_grafanas_comma_separated_query():
    env, pairs = _variables("""\
      - {name: env, type: custom, values: [prod, staging], multi: true, include_all: true, all_value: '.*', current: prod}
      - {name: size, type: custom, query: 'Small : s,Large : l'}
""")
    assert env["type"] == "custom" and env["query"] == "prod,staging"
    assert (env["multi"], env["includeAll"], env["allValue"]) == (True, True, ".*")
    assert env["current"] == {"text": "prod", "value": "prod"}
    assert env["options"] == []  # Grafana computes them when the dashboard loads
    assert pairs["query"] == "Small : s,Large : l" and "allValue" not in pairs and "current" not in pairs
    assert "datasource" not in env and "refresh" not in env and "definition" not in env


def test_an_interval_variable_carries_its_auto_settings_and_follows_the_time_range():
    window, step = _variables("""\
      - {name: window, type: interval, values: [1m, 5m, 1h], auto: true, auto_count: 20, auto_min: 30s}
      - {name: step, type: interval, query: '1m,10m', refresh: load}
""")
    assert window["type"] == "interval" and window["query"] == "1m,5m,1h"
    assert (window["auto"], window["auto_count"], window["auto_min"]) == (True, 20, "30s")
    assert window["refresh"] == 2  # Grafana's own for intervals: on time range change
    assert (step["auto"], step["auto_count"], step["auto_min"]) == (False, 30, "10s")
    assert step["query"] == "1m,10m" and step["refresh"] == 1


def test_constant_and_textbox_variables_start_at_their_value():
    const, text = _variables("""\
      - {name: cluster, type: constant, query: eu-1, hide: variable}
      - {name: filter, type: textbox, query: 'GET', label: Filter, description: request method, skip_url_sync: true, hide: label}
""")
    assert const == {"name": "cluster", "type": "constant", "hide": 2, "query": "eu-1",
                     "current": {"text": "eu-1", "value": "eu-1"}, "options": []}
    assert text["query"] == "GET" and text["current"] == {"text": "GET", "value": "GET"}
    assert (text["label"], text["description"], text["hide"], text["skipUrlSync"]) == (
        "Filter", "request method", 1, True)
    assert "skipUrlSync" not in const and "label" not in const


def test_an_adhoc_variable_names_its_datasource_and_has_no_query():
    named, default = _variables("""\
      - {name: filters, type: adhoc, datasource: eu}
      - {name: more, type: adhoc}
""")
    assert named["type"] == "adhoc" and named["datasource"] == {"type": "prometheus", "uid": "prom-eu"}
    assert default["datasource"] == {"type": "prometheus", "uid": "prom-main"}
    assert "query" not in named and "multi" not in named


def test_a_datasource_variable_offers_one_plugin_type_filtered_by_its_regex():
    (ds,) = _variables("""\
      - {name: logs, type: datasource, plugin: loki, regex: '/^prod-.*/', multi: true, current: [prod-eu, prod-us]}
""")
    assert ds["type"] == "datasource" and ds["query"] == "loki" and ds["regex"] == "/^prod-.*/"
    assert ds["multi"] is True and ds["current"] == {"text": ["prod-eu", "prod-us"], "value": ["prod-eu", "prod-us"]}
    assert "datasource" not in ds and "sort" not in ds


def test_sort_refresh_and_hide_are_written_as_grafanas_numeric_ids():
    sorts = ["alpha", "alpha_desc", "numeric", "numeric_desc", "alpha_ci", "alpha_ci_desc", "natural", "natural_desc"]
    body = "".join(f"      - {{name: v{i}, query: 'label_values(up, job)', sort: {s}}}\n" for i, s in enumerate(sorts))
    body += "      - {name: plain, query: 'label_values(up, job)'}\n"
    body += "".join(f"      - {{name: r{i}, query: 'label_values(up, job)', refresh: {r}, hide: {h}}}\n"
                    for i, (r, h) in enumerate([("never", "label"), ("load", "variable"), ("time_range", "menu")]))
    out = _variables(body)
    assert [v["sort"] for v in out[:9]] == [1, 2, 3, 4, 5, 6, 7, 8, 0]
    assert out[8]["refresh"] == 1 and out[8]["hide"] == 0  # defaults: on load, shown
    assert [(v["refresh"], v["hide"]) for v in out[9:]] == [(0, 1), (1, 2), (2, 3)]
    assert all(v["definition"] == v["query"] == "label_values(up, job)" for v in out)


def test_current_all_selects_grafanas_all_option():
    one_, many = _variables("""\
      - {name: job, query: 'label_values(up, job)', include_all: true, current: $__all}
      - {name: env, type: custom, values: [a, b], multi: true, include_all: true, current: [$__all]}
""")
    assert one_["current"] == {"text": "All", "value": "$__all"}
    assert many["current"] == {"text": ["All"], "value": ["$__all"]}


def test_a_field_another_variable_type_uses_is_an_error_at_the_variable():
    for var, wrong in [("{name: job, query: 'label_values(up, job)', values: [a]}", "values: not used by a query"),
                       ("{name: f, type: adhoc, datasource: eu, query: x}", "query: not used by a"),
                       ("{name: t, type: textbox, multi: true}", "multi: not used by a textbox"),
                       ("{name: c, type: custom, values: [a], refresh: load}", "refresh: not used by a custom"),
                       ("{name: w, type: interval, values: [1m], regex: x, sort: alpha}", "regex, sort: not used")]:
        text = dashboard(f"    variables:\n      - {var}\n    panels:\n      - {{title: a, queries: [{{expr: up}}]}}\n")
        (err,) = _problems(text)
        assert err.code == "OBS011" and err.severity is Severity.ERROR, var
        assert wrong in err.message and (err.pos.line, err.pos.col) == (10, 9), (var, err.message, err.pos)


def test_a_variable_missing_what_its_type_needs_is_an_error():
    for var, needed in [("{name: job, type: query}", "needs a `query`"),
                        ("{name: env, type: custom}", "needs either `query` or `values`"),
                        ("{name: env, type: custom, query: a, values: [a]}", "needs either `query` or `values`"),
                        ("{name: ds, type: datasource}", "needs a `plugin`"),
                        ("{name: c, type: constant}", "needs its value in `query`"),
                        ("{name: env, type: custom, values: [a, b], current: [a, b]}", "need `multi: true`"),
                        ("{name: 9lives, type: custom, values: [a]}", "not a valid variable name")]:
        text = dashboard(f"    variables:\n      - {var}\n    panels:\n      - {{title: a, queries: [{{expr: up}}]}}\n")
        errs = _problems(text)
        assert errs and all(e.severity is Severity.ERROR and e.pos.line == 10 for e in errs), var
        assert any(needed in e.message for e in errs), (var, [e.message for e in errs])


def test_a_variable_declared_twice_is_an_error():
    text = dashboard("""\
    variables:
      - {name: env, type: custom, values: [a]}
      - {name: env, type: constant, query: b}
    panels:
      - {title: a, queries: [{expr: 'up{env="$env"}'}]}
""")
    assert any("declared twice" in e.message for e in _problems(text))
    assert not project(text).ok


# ----------------------------------------------------------------------------- variable references

def test_every_reference_syntax_of_a_declared_variable_is_fine_and_of_an_undeclared_one_an_error():
    forms = ['$job', '${job}', '${job:regex}', '[[job]]', '[[job:csv]]']
    for form in forms:
        declared = dashboard(f"""\
    variables:
      - {{name: job, type: custom, values: [a, b], multi: true}}
    panels:
      - {{title: a, queries: [{{expr: 'up{{job=~"{form}"}}'}}]}}
""")
        assert findings(declared, "OBS065") == [], form
        (err,) = findings(declared.replace("name: job", "name: other"), "OBS065")
        assert err.severity is Severity.ERROR and "$job" in err.message and err.pos.line == 12, form


def test_a_variable_query_using_a_later_variable_is_a_warning_and_using_itself_an_error():
    text = dashboard("""\
    variables:
      - {name: instance, query: 'label_values(up{job=~"$job"}, instance)'}
      - {name: job, query: 'label_values(up{job!="$job"}, job)'}
      - {name: missing, query: 'label_values(up{env="$env"}, job)'}
    panels:
      - {title: a, queries: [{expr: 'up{instance=~"$instance", job=~"$job"}'}]}
""")
    later, itself, undeclared = sorted(findings(text, "OBS065"), key=lambda d: d.pos.line)
    assert later.severity is Severity.WARNING and later.pos.line == 10
    assert "$job" in later.message and "after" in later.message and later.hint == "move job before instance"
    assert itself.severity is Severity.ERROR and itself.pos.line == 11 and "itself" in itself.message
    assert undeclared.severity is Severity.ERROR and undeclared.pos.line == 12 and "$env" in undeclared.message


def test_a_datasource_reference_must_be_a_declared_datasource_variable():
    text = dashboard("""\
    variables:
      - {name: job, type: custom, values: [a]}
    panels:
      - {title: a, datasource: $job, queries: [{expr: up}]}
      - {title: b, datasource: '${nope}', queries: [{expr: up}]}
""")
    (wrong_type,) = findings(text, "OBS021")
    assert wrong_type.pos.line == 12 and "custom variable, not a datasource variable" in wrong_type.message
    (undeclared,) = findings(text, "OBS065")
    assert undeclared.pos.line == 13 and "$nope" in undeclared.message


def test_variables_stand_in_for_what_promql_expects_where_they_are_used():
    text = dashboard("""\
    variables:
      - {name: job, type: custom, values: [a, b], multi: true}
      - {name: by, type: custom, values: [job, instance]}
      - {name: window, type: interval, values: [1m, 5m]}
      - {name: n, type: custom, values: ['5', '10']}
    panels:
      - title: a
        queries:
          - {expr: 'topk($n, sum by ($by) (rate(http_requests_total{job=~"$job"}[$window])))'}
          - {expr: 'sum(rate(http_requests_total[${window}] offset $window)) > $n'}
""")
    assert [d for d in project(text).diagnostics if d.code in ("OBS030", "OBS065")] == []
    broken = text.replace("[${window}] offset", "[${window} offset")
    assert [d.pos.line for d in findings(broken, "OBS030", Severity.ERROR)] == [_line(broken, "offset")]


# ----------------------------------------------------------------------------- datasources of queries

LOGQL = r'sum(count_over_time({app=\"api\"} |= \"error\" | json [5m]))'


def test_loki_queries_are_read_as_logql_wherever_their_datasource_comes_from():
    text = dashboard(f"""\
    variables:
      - {{name: logs, type: datasource, plugin: loki}}
      - {{name: app, query: 'label_values(app)', datasource: $logs}}
    annotations:
      - {{name: Errors, datasource: loki, expr: "{LOGQL}"}}
    panels:
      - {{title: by variable, datasource: $logs, queries: [{{expr: "{LOGQL}"}}]}}
      - {{title: R, type: row, datasource: loki, panels: [{{title: by row, queries: [{{expr: "{LOGQL}"}}]}}]}}
""")
    assert _problems(text) == []
    dash = one(text)
    by_variable, _, by_row = dash["panels"]
    assert by_variable["targets"][0]["datasource"] == {"type": "loki", "uid": "${logs}"}
    assert by_row["datasource"] == by_row["targets"][0]["datasource"] == {"type": "loki", "uid": "loki-main"}
    # the same query where Prometheus answers it is not PromQL
    prom = dashboard(f"    panels:\n      - {{title: a, queries: [{{expr: \"{LOGQL}\"}}]}}\n")
    (err,) = findings(prom, "OBS030", Severity.ERROR)
    assert err.pos.line == 10


def test_a_dashboard_datasource_is_every_panels_and_annotations_default():
    text = dashboard(f"""\
    datasource: loki
    annotations: [{{name: Errors, expr: "{LOGQL}"}}]
    panels:
      - {{title: a, queries: [{{expr: "{LOGQL}"}}]}}
      - {{title: b, datasource: eu, queries: [{{expr: up}}]}}
""")
    assert _problems(text) == []
    dash = one(text)
    a, b = dash["panels"]
    assert a["datasource"] == a["targets"][0]["datasource"] == dash["annotations"]["list"][1]["datasource"] == {
        "type": "loki", "uid": "loki-main"}
    assert b["targets"][0]["datasource"] == {"type": "prometheus", "uid": "prom-eu"}


def test_loki_queries_still_need_their_variables_declared_and_a_query_may_not_be_mixed():
    text = dashboard("""\
    panels:
      - {title: a, datasource: loki, queries: [{expr: '{app="$app"}'}]}
      - {title: b, datasource: mixed, queries: [{expr: up, datasource: mixed}]}
""")
    (undeclared,) = findings(text, "OBS065")
    assert undeclared.pos.line == 10 and "$app" in undeclared.message
    (mixed,) = findings(text, "OBS021")
    assert mixed.severity is Severity.ERROR and mixed.pos.line == 11 and "`mixed` is for panels" in mixed.message


# ----------------------------------------------------------------------------- queries and overrides

def test_query_options_are_written_on_its_target():
    (panel,) = one(dashboard("""\
    panels:
      - title: a
        queries:
          - {expr: up, ref_id: total, legend: __auto, format: table, instant: true, range: true, interval: 1m, hide: true, exemplar: true}
          - {expr: up, instant: true}
          - {expr: up}
"""))["panels"]
    first, second, third = panel["targets"]
    assert first == {"datasource": {"type": "prometheus", "uid": "prom-main"}, "refId": "total", "expr": "up",
                     "legendFormat": "__auto", "format": "table", "instant": True, "range": True, "interval": "1m",
                     "hide": True, "exemplar": True}
    assert (second["refId"], second["instant"], second["range"]) == ("B", True, False)
    assert (third["refId"], third["instant"], third["range"], third["format"]) == ("C", False, True, "time_series")
    assert not {"hide", "exemplar", "interval", "legendFormat"} & set(third)


def test_two_queries_with_one_ref_id_are_an_error_at_the_second():
    text = dashboard("""\
    panels:
      - title: a
        queries:
          - {expr: up, ref_id: req}
          - {expr: up, ref_id: err}
          - {expr: up, ref_id: req}
""")
    (err,) = findings(text, "OBS020")
    assert err.severity is Severity.ERROR and err.pos.line == 14 and "'req'" in err.message


def test_an_explicit_ref_id_equal_to_another_querys_automatic_one_is_an_error():
    text = dashboard("""\
    panels:
      - title: a
        queries:
          - {expr: up, ref_id: B}
          - {expr: up}
""")
    assert findings(text, "OBS020", Severity.ERROR)


def test_an_override_of_a_query_the_panel_does_not_have_is_a_warning():
    text = dashboard("""\
    panels:
      - title: a
        queries: [{expr: up}, {expr: up, ref_id: errors}]
        overrides:
          - {match: {query: A}, properties: {color: green}}
          - {match: {query: errors}, properties: {color: red}}
          - {match: {query: B}, properties: {color: red}}
""")
    (w,) = findings(text, "OBS021")
    assert w.severity is Severity.WARNING and w.pos.line == 15 and "'B'" in w.message
    assert w.hint == "its queries: A, errors"


def test_overrides_are_written_with_grafanas_matcher_for_each_way_of_matching():
    (panel,) = one(dashboard("""\
    panels:
      - title: a
        queries: [{expr: up}, {expr: up}]
        overrides:
          - {match: {name: errors}, properties: {color: red, unit: reqps}}
          - {match: {regex: '/.*5xx.*/'}, properties: {custom.fillOpacity: 10}}
          - {match: {names: [read, write]}, properties: {custom.transform: negative-Y}}
          - {match: {query: B}, properties: {color: {mode: shades, fixedColor: blue}}}
          - {match: {type: number}, properties: {decimals: 2}}
          - {match: {value: {reducer: max, op: gte, value: 100}}, properties: {custom.hideFrom: {legend: true}}}
"""))["panels"]
    name, regex, names, query, type_, value = panel["fieldConfig"]["overrides"]
    assert [o["matcher"]["id"] for o in panel["fieldConfig"]["overrides"]] == [
        "byName", "byRegexp", "byNames", "byFrameRefID", "byType", "byValue"]
    assert name == {"matcher": {"id": "byName", "options": "errors"}, "properties": [
        {"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}}, {"id": "unit", "value": "reqps"}]}
    assert regex["matcher"]["options"] == "/.*5xx.*/" and regex["properties"] == [{"id": "custom.fillOpacity",
                                                                                   "value": 10}]
    assert names["matcher"]["options"] == {"mode": "include", "names": ["read", "write"]}
    assert query["matcher"]["options"] == "B"
    assert query["properties"] == [{"id": "color", "value": {"mode": "shades", "fixedColor": "blue"}}]
    assert type_["matcher"]["options"] == "number"
    assert value["matcher"]["options"] == {"reducer": "max", "op": "gte", "value": 100}
    assert value["properties"] == [{"id": "custom.hideFrom", "value": {"legend": True}}]


def test_an_override_matches_in_exactly_one_way():
    text = dashboard("""\
    panels:
      - title: a
        queries: [{expr: up}]
        overrides:
          - {match: {name: errors, regex: '/e/'}, properties: {color: red}}
""")
    (err,) = _problems(text)
    assert err.code == "OBS011" and err.pos.line == 13 and "exactly one of" in err.message


# ----------------------------------------------------------------------------- mappings, links, annotations

def test_mappings_of_every_kind_number_their_results_in_order():
    (panel,) = one(dashboard("""\
    panels:
      - title: a
        type: stat
        queries: [{expr: up}]
        mappings:
          - {value: '0', text: down, color: red}
          - {values: {'1': {text: up}, '2': {color: green}}}
          - {range: {from: 0.5, to: 0.9, text: degraded, color: orange}}
          - {range: {from: 100}}
          - {regex: {pattern: '^err', text: error}}
          - {special: {match: null, text: N/A}}
          - {special: {match: true, color: blue}}
"""))["panels"]
    assert panel["fieldConfig"]["defaults"]["mappings"] == [
        {"type": "value", "options": {"0": {"index": 0, "text": "down", "color": "red"}}},
        {"type": "value", "options": {"1": {"index": 1, "text": "up"}, "2": {"index": 2, "color": "green"}}},
        {"type": "range", "options": {"from": 0.5, "to": 0.9, "result": {"index": 3, "text": "degraded",
                                                                         "color": "orange"}}},
        {"type": "range", "options": {"from": 100, "to": None, "result": {"index": 4}}},
        {"type": "regex", "options": {"pattern": "^err", "result": {"index": 5, "text": "error"}}},
        {"type": "special", "options": {"match": "null", "result": {"index": 6, "text": "N/A"}}},
        {"type": "special", "options": {"match": "true", "result": {"index": 7, "color": "blue"}}},
    ]


def test_a_mapping_has_exactly_one_kind_and_keeps_its_result_inside_it():
    for mapping, why in [("{value: '0', regex: {pattern: x}}", "exactly one of"),
                         ("{text: down}", "exactly one of"),
                         ("{range: {from: 0}, text: low}", "go inside the range")]:
        text = dashboard(f"    panels:\n      - {{title: a, queries: [{{expr: up}}], mappings: [{mapping}]}}\n")
        errs = _problems(text)
        assert errs and all(e.code == "OBS011" and e.pos.line == 10 for e in errs), mapping
        assert any(why in e.message for e in errs), (mapping, [e.message for e in errs])


def test_dashboard_links_go_to_urls_or_to_dashboards_with_tags():
    links = one(dashboard("""\
    links:
      - {title: Runbooks, url: 'https://runbooks.example.org', new_tab: true, icon: doc, tooltip: how to}
      - {title: Related, tags: [nodes, k8s], as_dropdown: true, include_vars: true, keep_time: true}
    panels:
      - {title: a, queries: [{expr: up}]}
"""))["links"]
    url, tagged = links
    assert url["type"] == "link" and url["url"] == "https://runbooks.example.org"
    assert (url["targetBlank"], url["icon"], url["tooltip"], url["asDropdown"]) == (True, "doc", "how to", False)
    assert tagged["type"] == "dashboards" and "url" not in tagged and tagged["tags"] == ["nodes", "k8s"]
    assert (tagged["asDropdown"], tagged["includeVars"], tagged["keepTime"], tagged["targetBlank"]) == (
        True, True, True, False)
    assert tagged["icon"] == "external link" and tagged["title"] == "Related"


def test_panel_links_sit_in_the_header_and_data_links_on_the_values():
    (panel,) = one(dashboard("""\
    panels:
      - title: a
        queries: [{expr: up}]
        links: [{title: Runbook, url: 'https://runbooks.example.org/cpu', include_vars: true}]
        data_links: [{title: Logs, url: '/explore?job=${__field.labels.job}', new_tab: true}]
"""))["panels"]
    (header,) = panel["links"]
    assert header["url"] == "https://runbooks.example.org/cpu" and header["includeVars"] is True
    (data,) = panel["fieldConfig"]["defaults"]["links"]
    assert data["title"] == "Logs" and data["url"] == "/explore?job=${__field.labels.job}"
    assert data["targetBlank"] is True and data["type"] == "link"


def test_annotation_queries_carry_their_formats_tags_step_and_toggles():
    _, deploys, plain = one(dashboard("""\
    annotations:
      - name: Deployments
        expr: 'changes(kube_deployment_status_observed_generation[2m]) > 0'
        title: '{{deployment}}'
        text: 'in {{namespace}}'
        tags: [namespace, cluster]
        step: 60s
        color: blue
        enabled: false
        hidden: true
        use_value_for_time: true
      - {name: Restarts, expr: 'changes(process_start_time_seconds[5m]) > 0', datasource: eu}
    panels:
      - {title: a, queries: [{expr: up}]}
"""))["annotations"]["list"]
    assert deploys == {"name": "Deployments", "datasource": {"type": "prometheus", "uid": "prom-main"},
                       "enable": False, "hide": True, "iconColor": "blue",
                       "expr": "changes(kube_deployment_status_observed_generation[2m]) > 0",
                       "titleFormat": "{{deployment}}", "textFormat": "in {{namespace}}", "step": "60s",
                       "tagKeys": "namespace,cluster", "useValueForTime": True}
    assert plain["datasource"] == {"type": "prometheus", "uid": "prom-eu"}
    assert (plain["enable"], plain["hide"], plain["iconColor"]) == (True, False, "red")
    assert not {"titleFormat", "textFormat", "step", "tagKeys", "useValueForTime"} & set(plain)


def test_annotation_queries_are_checked_like_panel_queries():
    text = dashboard("""\
    annotations:
      - {name: a, expr: 'up{job="$nope"}'}
      - {name: b, expr: 'up{job="api"'}
      - {name: c, datasource: elsewhere, expr: up}
    panels:
      - {title: a, queries: [{expr: up}]}
""")
    (undeclared,) = findings(text, "OBS065")
    assert undeclared.pos.line == 10 and "$nope" in undeclared.message
    (invalid,) = findings(text, "OBS030")
    assert invalid.pos.line == 11
    assert any(d.pos.line == 12 and "elsewhere" in d.message for d in findings(text, "OBS021", Severity.ERROR))


def test_transformations_keep_their_order_disabled_flag_and_filter():
    (panel,) = one(dashboard("""\
    panels:
      - title: a
        type: table
        queries: [{expr: up, instant: true}]
        transformations:
          - {id: labelsToFields}
          - {id: organize, options: {excludeByName: {Time: true}, renameByName: {Value: up}}, disabled: true}
          - {id: filterByValue, filter: {id: byRefId, options: A}}
"""))["panels"]
    assert panel["transformations"] == [
        {"id": "labelsToFields", "options": {}},
        {"id": "organize", "options": {"excludeByName": {"Time": True}, "renameByName": {"Value": "up"}},
         "disabled": True},
        {"id": "filterByValue", "options": {}, "filter": {"id": "byRefId", "options": "A"}},
    ]


# ----------------------------------------------------------------------------- how values are drawn

def test_timeseries_drawing_settings_reach_the_field_defaults_and_options():
    drawn, hidden = one(dashboard("""\
    panels:
      - title: a
        queries: [{expr: up}]
        legend: {mode: table, placement: right, calcs: [mean, max], sort_by: Max, sort_desc: true, width: 300}
        tooltip: {mode: multi, sort: desc}
        stack: percent
        draw: bars
        fill: 20
        line_width: 3
        points: never
        axis: right
        axis_label: req/s
        log_scale: 2
        negative_y: true
        span_nulls: true
      - {title: b, queries: [{expr: up}], legend: {mode: hidden}}
"""))["panels"]
    custom = drawn["fieldConfig"]["defaults"]["custom"]
    assert custom["stacking"] == {"mode": "percent", "group": "A"}
    assert (custom["drawStyle"], custom["fillOpacity"], custom["lineWidth"], custom["showPoints"]) == (
        "bars", 20, 3, "never")
    assert (custom["axisPlacement"], custom["axisLabel"], custom["spanNulls"]) == ("right", "req/s", True)
    assert custom["scaleDistribution"] == {"type": "log", "log": 2} and custom["transform"] == "negative-Y"
    assert drawn["options"]["legend"] == {"showLegend": True, "displayMode": "table", "placement": "right",
                                          "calcs": ["mean", "max"], "sortBy": "Max", "sortDesc": True, "width": 300}
    assert drawn["options"]["tooltip"] == {"mode": "multi", "sort": "desc"}
    plain = hidden["fieldConfig"]["defaults"]["custom"]
    assert hidden["options"]["legend"]["showLegend"] is False
    assert plain["stacking"]["mode"] == "none" and plain["scaleDistribution"] == {"type": "linear"}
    assert "transform" not in plain and plain["drawStyle"] == "line"


def test_single_value_panels_take_their_reducer_and_display_options():
    stat, gauge, bargauge = one(dashboard("""\
    panels:
      - {title: s, type: stat, queries: [{expr: up}], reduce: [max], all_values: true, color_mode: background_solid, graph_mode: none, text_mode: value_and_name, orientation: horizontal}
      - {title: g, type: gauge, queries: [{expr: up}], reduce: mean, orientation: vertical}
      - {title: b, type: bargauge, queries: [{expr: up}], display_mode: lcd, orientation: vertical}
"""))["panels"]
    s = stat["options"]
    assert s["reduceOptions"] == {"values": True, "calcs": ["max"], "fields": ""}
    assert (s["colorMode"], s["graphMode"], s["textMode"], s["orientation"]) == (
        "background_solid", "none", "value_and_name", "horizontal")
    assert gauge["options"]["reduceOptions"]["calcs"] == ["mean"] and gauge["options"]["orientation"] == "vertical"
    b = bargauge["options"]
    assert (b["displayMode"], b["orientation"], b["reduceOptions"]["calcs"]) == ("lcd", "vertical", ["lastNotNull"])


def test_a_text_panel_writes_its_content_in_its_mode_and_queries_nothing():
    md, html = one(dashboard("""\
    panels:
      - {title: Runbook, type: text, content: '# Steps'}
      - {title: Banner, type: text, content: '<b>frozen</b>', content_mode: html, width: 12}
"""))["panels"]
    assert md["options"]["mode"] == "markdown" and md["options"]["content"] == "# Steps"
    assert html["options"]["mode"] == "html" and html["options"]["content"] == "<b>frozen</b>"
    assert "targets" not in md and "datasource" not in md
    assert md["gridPos"]["w"] == 24 and html["gridPos"]["w"] == 12


def test_a_text_panel_may_show_its_content_as_code():
    (panel,) = one(dashboard("    panels:\n      - {title: a, type: text, content: 'x = 1', content_mode: code}\n"))[
        "panels"]
    assert panel["options"]["mode"] == "code" and panel["options"]["content"] == "x = 1"


def test_query_options_and_time_overrides_of_a_panel_are_written_only_when_set():
    special, plain = one(dashboard("""\
    panels:
      - {title: a, queries: [{expr: up}], interval: 1m, max_data_points: 500, time_from: 1h, time_shift: 1d, hide_time_override: true, transparent: true}
      - {title: b, queries: [{expr: up}]}
"""))["panels"]
    assert (special["interval"], special["maxDataPoints"], special["timeFrom"], special["timeShift"]) == (
        "1m", 500, "1h", "1d")
    assert special["hideTimeOverride"] is True and special["transparent"] is True
    assert not {"interval", "maxDataPoints", "timeFrom", "timeShift", "hideTimeOverride", "transparent",
                "repeat"} & set(plain)


def test_an_undeclared_variable_as_a_min_step_is_an_error():
    text = dashboard("""\
    panels:
      - {title: a, queries: [{expr: up, interval: $step}]}
      - {title: b, queries: [{expr: up}], interval: '${step}'}
""")
    assert [d.pos.line for d in findings(text, "OBS065", Severity.ERROR)] == [10, 11]


def test_a_setting_the_panel_type_does_not_use_is_reported():
    text = dashboard("""\
    panels:
      - {title: a, queries: [{expr: up}], content: '# forgot type: text'}
      - {title: b, type: stat, queries: [{expr: up}], display_mode: lcd}
""")
    problems = _problems(text)
    assert {d.pos.line for d in problems} == {10, 11} and {d.code for d in problems} == {"OBS049"}
    assert "a timeseries panel ignores it" in problems[0].message


# ----------------------------------------------------------------------------- layout

def test_explicit_positions_are_kept_and_later_panels_flow_around_them():
    a, b, c = one(dashboard("""\
    panels:
      - {title: a, queries: [{expr: up}], x: 12, y: 0, width: 12, height: 4}
      - {title: b, queries: [{expr: up}]}
      - {title: c, queries: [{expr: up}], width: 8}
"""))["panels"]
    assert a["gridPos"] == {"h": 4, "w": 12, "x": 12, "y": 0}
    assert b["gridPos"] == {"h": 8, "w": 12, "x": 0, "y": 0}
    assert c["gridPos"] == {"h": 8, "w": 8, "x": 12, "y": 4}  # right below a, beside b


def test_a_position_needs_both_coordinates_and_must_fit_the_grid():
    for panel, why in [("x: 0", "give both `x` and `y`"), ("y: 4", "give both `x` and `y`"),
                       ("x: 16, y: 0, width: 12", "must fit the 24 grid columns")]:
        text = dashboard(f"    panels:\n      - {{title: a, queries: [{{expr: up}}], {panel}}}\n")
        (err,) = _problems(text)
        assert err.code == "OBS011" and err.pos.line == 10 and why in err.message, panel


def test_panels_of_a_collapsed_row_are_placed_below_it_and_the_next_row_follows_right_after():
    top, collapsed, open_, inside = one(dashboard("""\
    panels:
      - {title: top, queries: [{expr: up}], height: 5}
      - {title: Hidden, type: row, collapsed: true, panels: [{title: c1, queries: [{expr: up}], width: 24, height: 3}, {title: c2, queries: [{expr: up}]}]}
      - {title: Shown, type: row, panels: [{title: o1, queries: [{expr: up}], height: 4}]}
"""))["panels"]
    assert top["gridPos"]["y"] == 0 and collapsed["gridPos"] == {"h": 1, "w": 24, "x": 0, "y": 5}
    c1, c2 = collapsed["panels"]
    assert c1["gridPos"] == {"h": 3, "w": 24, "x": 0, "y": 6} and c2["gridPos"] == {"h": 8, "w": 12, "x": 0, "y": 9}
    assert open_["gridPos"]["y"] == 6 and open_["panels"] == []
    assert inside["title"] == "o1" and inside["gridPos"] == {"h": 4, "w": 12, "x": 0, "y": 7}
    assert [p["id"] for p in (top, collapsed, c1, c2, open_, inside)] == [1, 2, 3, 4, 5, 6]


def test_a_panel_placed_explicitly_in_a_row_stays_below_its_row():
    text = dashboard("""\
    panels:
      - {title: top, queries: [{expr: up}]}
      - {title: R, type: row, panels: [{title: a, queries: [{expr: up}]}, {title: b, queries: [{expr: up}], x: 12, y: 0}]}
""")
    problems = _problems(text)
    assert {(d.code, d.pos.line) for d in problems} == {("OBS072", 11)}
    assert any("outside its row 'R'" in d.message for d in problems)


def test_overlapping_explicit_positions_are_reported():
    text = dashboard("""\
    panels:
      - {title: top, queries: [{expr: up}]}
      - {title: over, queries: [{expr: up}], x: 6, y: 4}
""")
    (d,) = _problems(text)
    assert d.code == "OBS072" and "overlaps panel 'top'" in d.message and d.pos.line == 11


def test_panels_placed_explicitly_where_grafana_keeps_them_are_not_reported():
    text = dashboard("""\
    panels:
      - {title: top, queries: [{expr: up}], x: 0, y: 0, width: 12}
      - {title: beside, queries: [{expr: up}], x: 12, y: 0, width: 12}
      - {title: R, type: row, panels: [{title: a, queries: [{expr: up}], x: 0, y: 9}, {title: b, queries: [{expr: up}], x: 12, y: 9}]}
      - {title: S, type: row, panels: [{title: c, queries: [{expr: up}], x: 0, y: 18}]}
""")
    assert _problems(text) == []


def test_a_top_level_panel_below_the_first_row_is_reported():
    text = dashboard("""\
    panels:
      - {title: R, type: row, panels: [{title: a, queries: [{expr: up}]}]}
      - {title: late, queries: [{expr: up}], x: 0, y: 30}
""")
    (d,) = _problems(text)
    assert d.code == "OBS072" and "below the first row" in d.message and d.pos.line == 11


def test_repeats_are_written_with_their_direction_and_limit():
    text = dashboard("""\
    variables:
      - {name: instance, type: custom, values: [a, b, c], multi: true}
    panels:
      - {title: h, queries: [{expr: up}], repeat: instance, max_per_row: 4}
      - {title: v, queries: [{expr: up}], repeat: instance, repeat_direction: v}
      - {title: R, type: row, repeat: instance, panels: [{title: in, queries: [{expr: up}]}]}
""")
    h, v, row_, _ = one(text)["panels"]
    assert (h["repeat"], h["repeatDirection"], h["maxPerRow"]) == ("instance", "h", 4)
    assert (v["repeat"], v["repeatDirection"]) == ("instance", "v") and "maxPerRow" not in v
    assert row_["repeat"] == "instance" and "repeatDirection" not in row_
    (undeclared,) = findings(text.replace("repeat: instance, repeat_direction", "repeat: pod, repeat_direction"),
                             "OBS065")
    assert undeclared.severity is Severity.ERROR and undeclared.pos.line == 13


def test_rows_take_no_panel_settings_and_do_not_nest():
    for row_, why in [("{title: R, type: row, unit: s, panels: []}", "unit: not used by a row"),
                      ("{title: R, type: row, panels: [{title: S, type: row, panels: []}]}", "rows do not nest"),
                      ("{title: a, queries: [{expr: up}], collapsed: true}", "belong to rows")]:
        text = dashboard(f"    panels:\n      - {row_}\n")
        errs = _problems(text)
        assert errs and all(e.code == "OBS011" for e in errs), row_
        assert any(why in e.message for e in errs), (row_, [e.message for e in errs])


# ----------------------------------------------------------------------------- the escape hatch, everywhere

EXTRAS = dashboard("""\
    extra: {fiscalYearStartMonth: 3, timepicker: {refresh_intervals: [1m, 5m]}}
    variables:
      - {name: job, query: 'label_values(up, job)', extra: {definition: jobs, options: [{text: a, value: a}]}}
    annotations:
      - {name: D, expr: up, extra: {filter: {exclude: false, ids: [1]}}}
    panels:
      - title: a
        queries:
          - {expr: 'up{job="$job"}', extra: {editorMode: code, range: false}}
        mappings: [{value: '0', text: down}]
        extra: {fieldConfig: {defaults: {mappings: [], custom: {lineWidth: 5}}}, options: {legend: {showLegend: false}}}
      - {title: R, type: row, extra: {collapsed: false, title: Renamed}, panels: [{title: b, queries: [{expr: up}]}]}
""")


def test_extra_is_merged_at_every_level_dicts_key_by_key_and_lists_replaced():
    dash = one(EXTRAS)
    assert dash["fiscalYearStartMonth"] == 3
    assert dash["timepicker"]["refresh_intervals"] == ["1m", "5m"] and "hidden" in dash["timepicker"]
    (job,) = dash["templating"]["list"]
    assert job["definition"] == "jobs" and job["options"] == [{"text": "a", "value": "a"}]
    assert job["query"] == "label_values(up, job)"
    assert dash["annotations"]["list"][1]["filter"] == {"exclude": False, "ids": [1]}
    panel, row_, _ = dash["panels"]
    (target,) = panel["targets"]
    assert target["editorMode"] == "code" and target["range"] is False and target["expr"] == 'up{job="$job"}'
    defaults = panel["fieldConfig"]["defaults"]
    assert defaults["mappings"] == []  # a list is replaced, not appended to
    assert defaults["custom"]["lineWidth"] == 5 and defaults["custom"]["drawStyle"] == "line"
    assert panel["options"]["legend"] == {"showLegend": False, "displayMode": "list", "placement": "bottom",
                                          "calcs": []}
    assert row_["title"] == "Renamed" and row_["type"] == "row"


def test_each_extra_is_one_note_at_its_line_whatever_the_number_of_environments():
    expected = {_line(EXTRAS, "extra: {fiscal"), _line(EXTRAS, "extra: {definition"), _line(EXTRAS, "extra: {filter"),
                _line(EXTRAS, "extra: {editorMode"), _line(EXTRAS, "extra: {fieldConfig"),
                _line(EXTRAS, "extra: {collapsed")}
    for text in (EXTRAS, EXTRAS.replace("apiVersion: obsgen/v1\n",
                                        "apiVersion: obsgen/v1\nenvironments:\n  prod: {}\n  dev: {}\n")):
        shift = 0 if text is EXTRAS else 3
        notes = findings(text, "OBS068")
        assert len(notes) == 6 and all(n.severity is Severity.NOTE for n in notes)
        assert {n.pos.line for n in notes} == {line + shift for line in expected}
    assert len(project(EXTRAS.replace("apiVersion: obsgen/v1\n", "apiVersion: obsgen/v1\nenvironments:\n  prod: {}\n"
                                                               "  dev: {}\n")).models) == 2
    by_line = {n.pos.line: n.message for n in findings(EXTRAS, "OBS068")}
    assert "sets fieldConfig.defaults.mappings, fieldConfig.defaults.custom.lineWidth, options.legend.showLegend" in \
        by_line[_line(EXTRAS, "extra: {fieldConfig")]
    assert "variable 'job'" in by_line[_line(EXTRAS, "extra: {definition")]
    assert "query 1" in by_line[_line(EXTRAS, "extra: {editorMode")]


def test_notes_do_not_fail_validate_strict_but_warnings_do(tmp_path):
    def validate(text: str, *flags: str) -> subprocess.CompletedProcess:
        spec = tmp_path / "spec.yaml"
        spec.write_text(text, encoding="utf-8")
        return subprocess.run([sys.executable, "-m", "obsgen", "validate", str(spec), *flags],
                              capture_output=True, text=True, timeout=120, check=False)

    notes_only = dashboard("""\
    panels:
      - {title: old, type: graph, queries: [{expr: up}], extra: {pluginVersion: '11.0.0'}}
""")
    proc = validate(notes_only, "--strict")
    assert proc.returncode == 0, proc.stderr
    assert "OBS068" in proc.stderr
    warned = dashboard("""\
    variables:
      - {name: instance, query: 'label_values(up{job="$job"}, instance)'}
      - {name: job, query: 'label_values(up, job)'}
    panels:
      - {title: a, queries: [{expr: 'up{job="$job", instance="$instance"}'}]}
""")
    assert validate(warned).returncode == 0
    proc = validate(warned, "--strict")
    assert proc.returncode == 1 and "OBS065" in proc.stderr


# ----------------------------------------------------------------------------- datasources section

def _with_environments(overrides: str) -> str:
    return HEADER.replace("apiVersion: obsgen/v1\n", "apiVersion: obsgen/v1\nenvironments:\n  prod:\n"
                          "    datasources:\n" + overrides + "  dev: {}\n") + """\
  - title: Logs
    panels: [{title: a, datasource: loki, queries: [{expr: '{app="api"}'}]}]
"""


def _provisioned_datasources(model) -> list[dict]:
    (art,) = [a for a in GrafanaTarget().generate(model) if a.path == "grafana/provisioning/datasources/obsgen.yaml"]
    return YAML(typ="safe").load(art.content)["datasources"]


def test_an_environment_overrides_a_datasource_by_its_name():
    p = project(_with_environments("      loki: {url: 'http://loki.prod:3100'}\n"))
    assert p.ok
    urls = {m.env: {d.name: d.url for d in m.spec.datasources} for m in p.models}
    assert urls == {"dev": {"loki": "http://loki:3100", "eu": None},
                    "prod": {"loki": "http://loki.prod:3100", "eu": None}}
    unknown = _with_environments("      lokki: {url: 'http://x'}\n")
    assert [(d.code, d.pos.line) for d in _problems(unknown)] == [("OBS021", 5)]
    renamed = _with_environments("      loki: {name: logs}\n")
    assert [d.code for d in _problems(renamed)] == ["OBS033"]
    removed = _with_environments("      loki: {$delete: true}\n")
    assert any(d.code == "OBS021" and "'loki'" in d.message for d in _problems(removed))


def test_datasources_with_a_url_are_provisioned_and_those_without_are_not():
    (model,) = project(dashboard("    panels:\n      - {title: a, queries: [{expr: up}]}\n")).models
    sources = {s["name"]: s for s in _provisioned_datasources(model)}
    assert set(sources) == {"prom-main", "loki"}  # eu has no url: it must exist in Grafana already
    loki = sources["loki"]
    assert (loki["type"], loki["uid"], loki["url"], loki.get("access", "proxy")) == (
        "loki", "loki-main", "http://loki:3100", "proxy")
    assert not loki.get("isDefault") and [s["name"] for s in sources.values() if s.get("isDefault")] == ["prom-main"]


def test_an_environments_datasource_url_reaches_only_its_own_provisioning():
    p = project(_with_environments("      loki: {url: 'http://loki.prod:3100'}\n"))
    urls = {m.env: {s["name"]: s["url"] for s in _provisioned_datasources(m)} for m in p.models}
    assert urls["prod"]["loki"] == "http://loki.prod:3100" and urls["dev"]["loki"] == "http://loki:3100"
    assert urls["prod"]["prom-main"] == urls["dev"]["prom-main"]


def test_a_datasource_is_named_once_and_not_like_one_of_grafanas_own():
    body = "  - {title: a, panels: [{title: a, queries: [{expr: up}]}]}\n"
    for name in ("mixed", "dashboard", "grafana"):
        (err,) = _problems(HEADER.replace("name: eu", f"name: {name}") + body)
        assert err.code == "OBS011" and err.pos.line == 6 and "one of Grafana's own" in err.message, name
    text = HEADER.replace("name: eu", "name: loki") + body
    (dup,) = _problems(text)
    assert dup.code == "OBS020" and dup.pos.line == 6 and "duplicate datasource 'loki'" in dup.message


# ----------------------------------------------------------------------------- what Grafana reads

def _grafana_custom_options(query: str) -> list[str]:
    """How Grafana splits a custom variable's query into its values: at commas not escaped as `\\,`."""
    return [v.strip().replace("\\,", ",") for v in re.findall(r"(?:\\,|[^,])+", query)]


def test_a_custom_value_containing_a_comma_stays_one_value():
    (var,) = _variables("      - {name: pair, type: custom, values: ['eu,us', asia]}\n")
    assert _grafana_custom_options(var["query"]) == ["eu,us", "asia"]


def test_an_interval_variables_values_must_be_durations():
    text = dashboard("""\
    variables:
      - {name: window, type: interval, values: [1m, 5 minutes]}
    panels:
      - {title: a, queries: [{expr: 'rate(up[$window])'}]}
""")
    assert [d.pos.line for d in _problems(text) if d.severity is Severity.ERROR] == [10]


EVERYTHING = dashboard("""\
    links: [{title: Docs, url: 'https://docs.example.org', new_tab: true, icon: doc, tooltip: docs}]
    annotations:
      - {name: Deploys, expr: 'changes(kube_deployment_status_observed_generation[2m]) > 0', title: '{{deployment}}', text: '{{namespace}}', tags: [namespace], step: 60s, use_value_for_time: true}
      - {name: Logs, datasource: loki, expr: '{app="api"} |= "deploy"'}
    variables:
      - {name: ds, type: datasource, plugin: prometheus, regex: '/prod.*/', refresh: time_range}
      - {name: job, query: 'label_values(up, job)', datasource: $ds, sort: natural_desc, refresh: time_range, hide: menu, include_all: true, multi: true, current: [$__all], all_value: '.*'}
      - {name: env, type: custom, values: [prod, staging], current: prod}
      - {name: window, type: interval, values: [1m, 5m], auto: true, auto_count: 20, auto_min: 30s}
      - {name: cluster, type: constant, query: eu-1, hide: variable}
      - {name: path, type: textbox, query: /, label: Path, description: URL path, skip_url_sync: true, hide: label}
      - {name: filters, type: adhoc, datasource: eu}
    panels:
      - title: Requests
        repeat: job
        repeat_direction: v
        queries:
          - {expr: 'sum(avg_over_time(up{job=~"$job"}[$window]))', ref_id: req, legend: __auto, interval: 1m, exemplar: true}
          - {expr: 'up{job=~"$job"}', hide: true, instant: true, range: true}
        overrides:
          - {match: {name: errors}, properties: {color: red}}
          - {match: {regex: '/5xx/'}, properties: {custom.fillOpacity: 10}}
          - {match: {names: [read, write]}, properties: {custom.transform: negative-Y}}
          - {match: {query: B}, properties: {unit: short}}
          - {match: {type: number}, properties: {decimals: 2}}
          - {match: {value: {reducer: max, op: gte, value: 100}}, properties: {custom.lineWidth: 2}}
        mappings:
          - {value: '0', text: down, color: red}
          - {range: {from: 10, text: high}}
          - {regex: {pattern: '^err', text: error}}
          - {special: {match: nan, text: '-'}}
        links: [{title: Runbook, url: 'https://runbooks.example.org/http', keep_time: true}]
        data_links: [{title: Logs, url: '/explore?job=${__field.labels.job}'}]
        transformations: [{id: merge}, {id: organize, options: {excludeByName: {Time: true}}, disabled: true}]
        legend: {mode: table, placement: right, calcs: [mean, max], sort_by: Max, sort_desc: true, width: 300}
        tooltip: {mode: multi, sort: desc}
        stack: normal
        draw: bars
        fill: 20
        line_width: 3
        points: never
        axis: right
        axis_label: req/s
        log_scale: 10
        span_nulls: true
        max_data_points: 500
        time_from: 1h
        time_shift: 1d
        hide_time_override: true
        transparent: true
      - {title: Up, type: stat, queries: [{expr: up}], reduce: [max], all_values: true, color_mode: background, graph_mode: none, text_mode: value_and_name, orientation: horizontal}
      - {title: Load, type: gauge, queries: [{expr: up}], reduce: mean, orientation: vertical}
      - {title: Bars, type: bargauge, queries: [{expr: up}], display_mode: lcd, orientation: vertical}
      - {title: Banner, type: text, content: '<b>hi</b>', content_mode: html}
      - {title: More, type: row, collapsed: true, panels: [{title: inner, queries: [{expr: up}], x: 0, y: 40, width: 24}]}
""")


def test_a_dashboard_using_every_variable_type_and_panel_setting_passes_grafanas_schema(tmp_path):
    assert _problems(EVERYTHING) == []
    assert _schema_errors(tmp_path, EVERYTHING) == []


def test_every_golden_dashboard_passes_grafanas_schema():
    golden = Path(__file__).parent / "golden"
    files = sorted(golden.glob("*/expected/**/grafana/dashboards/**/*.json"))
    assert len(files) >= 14
    out, errors = grafana_schema(*files)
    counted = re.search(r"(\d+) of (\d+) dashboards pass", out)
    assert counted and int(counted.group(2)) == len(files), out
    assert errors == []
