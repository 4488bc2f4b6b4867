"""The Grafana target: dashboards in Grafana's current model, checked by Grafana's own schema."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import GRAFANA_CHECKER
from hypothesis import given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from obsgen.api import load_texts
from obsgen.spec import PanelSpec
from obsgen.targets import REGISTRY
from obsgen.targets.grafana import GRID_COLUMNS, SCHEMA_VERSION, GrafanaTarget, layout

CHECKER = GRAFANA_CHECKER

HEADER = """\
apiVersion: obsgen/v1
global:
  datasource: {type: prometheus, uid: prom-main}
dashboards:
"""

# One dashboard per panel type, each panel with every option the spec allows, and one dashboard
# with every type side by side.
ALL_TYPES = ("timeseries", "stat", "gauge", "bargauge", "heatmap", "table")


def _full_panel(kind: str) -> str:
    return f"""
      - title: {kind} panel
        type: {kind}
        description: every option set
        unit: s
        min: 0
        max: 2.5
        decimals: 2
        thresholds: [{{color: green}}, {{value: 0.5, color: orange}}, {{value: 1, color: red}}]
        queries:
          - {{expr: 'sum(rate(http_requests_total[5m]))', legend: '{{{{job}}}}'}}
          - {{expr: 'up', instant: true}}
"""


EVERY_TYPE = HEADER + "".join(
    f"  - title: Every {kind}\n    tags: [obsgen, {kind}]\n    panels:{_full_panel(kind)}" for kind in ALL_TYPES
) + """\
  - title: Side by side
    refresh: null
    panels:
""" + "".join(f"      - {{title: bare {kind}, type: {kind}, queries: [{{expr: up}}]}}\n" for kind in ALL_TYPES) + """\
      - title: Latency from Grafana's buckets
        type: heatmap
        queries: [{expr: 'rate(request_seconds_sum[5m])', format: time_series}]
      - title: Series as a table
        type: table
        queries: [{expr: up, format: time_series}]
"""


def build(text: str) -> list:
    project = load_texts({"spec.yaml": text})
    assert project.ok, project.diagnostics
    (model,) = project.models
    return GrafanaTarget().generate(model)


def dashboards(text: str) -> dict[str, dict]:
    return {a.path: json.loads(a.content) for a in build(text) if a.path.endswith(".json")}


def one(text: str) -> dict:
    (dash,) = dashboards(text).values()
    return dash


def spec(*panels: str, extra: str = "") -> str:
    return HEADER + "  - title: Checkout\n" + extra + "    panels:\n" + "".join(f"      - {p}\n" for p in panels)


# ----------------------------------------------------------------------------- schema and files

def test_every_panel_type_passes_grafanas_schema(tmp_path):
    if not CHECKER.is_file():
        pytest.skip(f"Grafana's schema checker is not at {CHECKER}")
    for art in build(EVERY_TYPE):
        path = tmp_path / art.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(art.content, encoding="utf-8")
    result = subprocess.run([sys.executable, str(CHECKER), str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(ALL_TYPES) + 1} of {len(ALL_TYPES) + 1} dashboards pass" in result.stdout


def test_writes_one_json_file_per_dashboard_named_by_folder_and_uid():
    text = HEADER + """\
  - {title: Checkout, folder: Team Payments, panels: [{title: a, queries: [{expr: up}]}]}
  - {title: Other, uid: fixed-uid, panels: [{title: a, queries: [{expr: up}]}]}
"""
    paths = [a.path for a in build(text) if a.path.endswith(".json")]
    assert paths == ["grafana/dashboards/team-payments/checkout.json", "grafana/dashboards/general/fixed-uid.json"]


def test_output_is_byte_identical_across_runs():
    first, second = build(EVERY_TYPE), build(EVERY_TYPE)
    assert first == second
    assert all(a.content.endswith("\n") and "\r" not in a.content for a in first)


def test_target_is_registered_under_its_name():
    target = REGISTRY["grafana"]()
    assert isinstance(target, GrafanaTarget) and target.name == "grafana"


# ----------------------------------------------------------------------------- dashboard settings

def test_dashboard_settings_come_from_the_spec():
    dash = one(spec("{title: a, queries: [{expr: up}]}", extra="""\
    uid: checkout-v2
    description: How checkout is doing
    tags: [payments, tier-1]
    refresh: 30s
    time: {from: now-24h, to: now-5m}
    timezone: utc
"""))
    assert dash["uid"] == "checkout-v2"
    assert dash["title"] == "Checkout"
    assert dash["description"] == "How checkout is doing"
    assert dash["tags"] == ["payments", "tier-1"]
    assert dash["refresh"] == "30s"
    assert dash["time"] == {"from": "now-24h", "to": "now-5m"}
    assert dash["timezone"] == "utc"
    assert dash["schemaVersion"] == SCHEMA_VERSION == 42
    assert dash["editable"] is False
    assert "id" not in dash
    assert dash["templating"] == {"list": []}


def test_dashboard_has_the_built_in_annotations_entry():
    (annotation,) = one(spec("{title: a, queries: [{expr: up}]}"))["annotations"]["list"]
    assert annotation["name"] == "Annotations & Alerts"
    assert annotation["builtIn"] == 1
    assert annotation["datasource"] == {"type": "grafana", "uid": "-- Grafana --"}


def test_output_has_no_nulls_except_the_base_threshold():
    def nulls(value, path="$"):
        if isinstance(value, dict):
            for k, v in value.items():
                yield from nulls(v, f"{path}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from nulls(v, f"{path}[{i}]")
        elif value is None:
            yield path

    for dash in dashboards(EVERY_TYPE).values():
        found = list(nulls(dash))
        assert found and all(p.endswith(".thresholds.steps[0].value") for p in found), found


# ----------------------------------------------------------------------------- panels and queries

def test_panel_ids_are_unique_and_numbered_from_one():
    for dash in dashboards(EVERY_TYPE).values():
        assert [p["id"] for p in dash["panels"]] == list(range(1, len(dash["panels"]) + 1))


def test_every_panel_and_query_reads_the_global_datasource():
    want = {"type": "prometheus", "uid": "prom-main"}
    for dash in dashboards(EVERY_TYPE).values():
        for panel in dash["panels"]:
            assert panel["datasource"] == want
            assert panel["targets"] and all(t["datasource"] == want for t in panel["targets"])


def test_datasource_defaults_to_prometheus_when_the_spec_names_none():
    text = spec("{title: a, queries: [{expr: up}]}").replace(
        "global:\n  datasource: {type: prometheus, uid: prom-main}\n", "")
    (panel,) = one(text)["panels"]
    assert panel["datasource"] == panel["targets"][0]["datasource"] == {"type": "prometheus", "uid": "prometheus"}


def test_queries_get_ref_ids_in_order_starting_again_in_each_panel():
    many = ", ".join(f"{{expr: up{i}}}" for i in range(28))
    panels = one(spec("{title: a, queries: [{expr: up}, {expr: up}, {expr: up}]}",
                      "{title: b, queries: [{expr: up}]}", f"{{title: c, queries: [{many}]}}"))["panels"]
    assert [t["refId"] for t in panels[0]["targets"]] == ["A", "B", "C"]
    assert [t["refId"] for t in panels[1]["targets"]] == ["A"]
    ref_ids = [t["refId"] for t in panels[2]["targets"]]
    assert ref_ids[25:] == ["Z", "AA", "AB"] and len(set(ref_ids)) == 28


def test_query_legend_format_and_instant_map_to_the_target():
    (panel,) = one(spec("{title: a, queries: [{expr: up, legend: '{{instance}}', format: table, instant: true},"
                        " {expr: up}]}"))["panels"]
    first, second = panel["targets"]
    assert first == {"datasource": {"type": "prometheus", "uid": "prom-main"}, "refId": "A", "expr": "up",
                     "legendFormat": "{{instance}}", "format": "table", "instant": True, "range": False}
    assert "legendFormat" not in second  # Grafana's automatic legend
    assert (second["format"], second["instant"], second["range"]) == ("time_series", False, True)


def test_legacy_keys_do_not_reach_the_output():
    legacy_dashboard = {"__inputs", "rows", "style", "sharedCrosshair", "hideControls", "gnetId", "id"}
    legacy_panel = {"span", "height", "minSpan", "editable", "error", "maxDataPoints", "cards", "xAxis", "dataFormat",
                    "columns", "fontSize", "styles"}
    legacy_target = {"query", "target", "metric", "step", "intervalFactor"}
    for dash in dashboards(EVERY_TYPE).values():
        assert not legacy_dashboard & dash.keys()
        assert "time_options" not in dash["timepicker"]
        for panel in dash["panels"]:
            assert not legacy_panel & panel.keys(), panel["type"]
            assert all(not legacy_target & t.keys() for t in panel["targets"])


# ----------------------------------------------------------------------------- field config

def test_unit_range_decimals_and_thresholds_map_to_field_defaults():
    (panel,) = one(spec("""{title: a, type: stat, unit: percentunit, min: 0, max: 1, decimals: 1,
               thresholds: [{color: green}, {value: 0.9, color: orange}, {value: 0.99, color: red}],
               queries: [{expr: up}]}"""))["panels"]
    defaults = panel["fieldConfig"]["defaults"]
    assert (defaults["unit"], defaults["min"], defaults["max"], defaults["decimals"]) == ("percentunit", 0, 1, 1)
    assert defaults["thresholds"] == {"mode": "absolute", "steps": [
        {"value": None, "color": "green"}, {"value": 0.9, "color": "orange"}, {"value": 0.99, "color": "red"}]}
    assert defaults["color"] == {"mode": "thresholds"}


def test_a_panel_without_thresholds_gets_one_base_step():
    (panel,) = one(spec("{title: a, type: gauge, queries: [{expr: up}]}"))["panels"]
    assert panel["fieldConfig"]["defaults"]["thresholds"]["steps"] == [{"value": None, "color": "green"}]
    assert "min" not in panel["fieldConfig"]["defaults"]  # Grafana works the range out from the data


def test_timeseries_draws_thresholds_as_lines_only_when_it_has_some():
    with_steps, without = one(spec("{title: a, thresholds: [{color: green}, {value: 1, color: red}], "
                                   "queries: [{expr: up}]}", "{title: b, queries: [{expr: up}]}"))["panels"]
    assert with_steps["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"] == {"mode": "line"}
    assert without["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"] == {"mode": "off"}
    assert with_steps["options"]["legend"]["showLegend"] is True


def test_single_value_panels_show_the_latest_value():
    for panel in one(spec(*(f"{{title: {k}, type: {k}, queries: [{{expr: up}}]}}"
                            for k in ("stat", "gauge", "bargauge"))))["panels"]:
        assert panel["options"]["reduceOptions"]["calcs"] == ["lastNotNull"], panel["type"]


# ----------------------------------------------------------------------------- heatmaps and tables

def test_heatmap_of_histogram_buckets_reads_them_without_recalculating():
    (panel,) = one(spec("{title: Latency, type: heatmap, unit: s, "
                        "queries: [{expr: 'sum by (le) (rate(request_seconds_bucket[5m]))'}]}"))["panels"]
    (target,) = panel["targets"]
    assert (target["format"], target["legendFormat"]) == ("heatmap", "{{le}}")
    assert panel["options"]["calculate"] is False
    assert panel["options"]["yAxis"]["unit"] == "s"
    assert "unit" not in panel["fieldConfig"]["defaults"]


def test_heatmap_of_plain_series_lets_grafana_calculate_the_buckets():
    (panel,) = one(spec("{title: Latency, type: heatmap, "
                        "queries: [{expr: 'rate(request_seconds_sum[5m])', format: time_series}]}"))["panels"]
    assert panel["targets"][0]["format"] == "time_series"
    assert panel["options"]["calculate"] is True


def test_table_queries_default_to_table_format():
    (panel,) = one(spec("{title: t, type: table, queries: [{expr: up, instant: true}]}"))["panels"]
    assert panel["targets"][0]["format"] == "table"
    assert panel["fieldConfig"]["defaults"]["custom"]["inspect"] is False


# ----------------------------------------------------------------------------- layout

def test_panels_pack_left_to_right_and_wrap_onto_a_new_row():
    panels = one(spec(*(f"{{title: p{i}, type: {k}, queries: [{{expr: up}}]}}"
                        for i, k in enumerate(("stat", "stat", "timeseries", "gauge", "table", "heatmap")))))["panels"]
    assert [p["gridPos"] for p in panels] == [
        {"h": 8, "w": 6, "x": 0, "y": 0},
        {"h": 8, "w": 6, "x": 6, "y": 0},
        {"h": 8, "w": 12, "x": 12, "y": 0},
        {"h": 8, "w": 6, "x": 0, "y": 8},
        {"h": 8, "w": 24, "x": 0, "y": 16},
        {"h": 8, "w": 12, "x": 0, "y": 24},
    ]


def test_width_and_height_from_the_spec_override_the_defaults():
    panels = one(spec("{title: a, width: 8, height: 4, queries: [{expr: up}]}",
                      "{title: b, width: 16, height: 12, queries: [{expr: up}]}",
                      "{title: c, type: stat, queries: [{expr: up}]}"))["panels"]
    assert [p["gridPos"] for p in panels] == [
        {"h": 4, "w": 8, "x": 0, "y": 0},
        {"h": 12, "w": 16, "x": 8, "y": 0},
        {"h": 8, "w": 6, "x": 0, "y": 4},  # right below a: Grafana floats panels up
    ]


PANEL = st.builds(lambda k, w, h: PanelSpec(title="p", type=k, width=w, height=h, queries=[{"expr": "up"}]),
                  st.sampled_from(ALL_TYPES), st.none() | st.integers(1, 24), st.none() | st.integers(2, 40))
ROW = st.builds(lambda c, inner: PanelSpec(title="r", type="row", collapsed=c, panels=inner),
                st.booleans(), st.lists(PANEL, max_size=5))


@given(st.lists(PANEL | ROW, min_size=1, max_size=30))
def test_layout_keeps_every_panel_on_the_grid_without_overlaps(panels):
    """What is shown (panels, rows, open rows' panels) never overlaps; a collapsed row's panels do
    not overlap each other, and sit below their row."""
    shown = set()

    def put(pos, cells):
        assert 0 <= pos.x and pos.x + pos.w <= GRID_COLUMNS and pos.y >= 0
        mine = {(x, y) for x in range(pos.x, pos.x + pos.w) for y in range(pos.y, pos.y + pos.h)}
        assert not cells & mine
        cells |= mine

    for spec, (pos, inner) in zip(panels, layout(panels)):
        put(pos, shown)
        hidden: set = set()
        for child in inner:
            assert child.y > pos.y
            put(child, hidden if spec.collapsed else shown)


# ----------------------------------------------------------------------------- provisioning

# Grafana's documented provisioning format (administration/provisioning): the keys a v1 dashboards
# provider and a datasource may have, as its config readers (pkg/services/provisioning) decode them.
PROVIDER_KEYS = {"name", "orgId", "folder", "folderUid", "type", "disableDeletion", "updateIntervalSeconds",
                 "allowUiUpdates", "editable", "options"}
PROVIDER_OPTIONS = {"path", "foldersFromFilesStructure"}
DATASOURCE_KEYS = {"name", "type", "access", "orgId", "uid", "url", "user", "database", "basicAuth",
                   "basicAuthUser", "withCredentials", "isDefault", "jsonData", "secureJsonData", "version",
                   "editable"}
UID = re.compile(r"^[a-zA-Z0-9_-]{1,40}$")


def _strings(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def provisioning_problems(kind: str, doc) -> list[str]:
    """What Grafana would refuse, or read otherwise than meant, in a provisioning file."""
    out = []
    items = {"dashboards": "providers", "datasources": "datasources"}[kind]
    if not isinstance(doc, dict) or set(doc) - {"apiVersion", items, "deleteDatasources", "prune"}:
        return [f"unexpected top level: {doc!r:.80}"]
    if doc.get("apiVersion") != 1:
        out.append("apiVersion must be 1 (0 is the deprecated list format)")
    if not isinstance(doc.get(items), list):
        return out + [f"{items} must be a list"]
    # Grafana expands $VAR and ${VAR} in every value; a literal $ is written $$.
    out += [f"unescaped $ in {s!r}" for s in _strings(doc) if re.search(r"\$", s.replace("$$", ""))]
    names = [i.get("name") for i in doc[items] if isinstance(i, dict)]
    if len(names) != len(set(names)) or not all(isinstance(n, str) and n for n in names):
        out.append(f"names must be set and unique: {names}")
    for i, item in enumerate(doc[items]):
        where = f"{items}[{i}]"
        if kind == "dashboards":
            out += [f"{where}: unknown key {k}" for k in set(item) - PROVIDER_KEYS]
            if item.get("type", "file") != "file" or not isinstance(item.get("orgId", 1), int):
                out.append(f"{where}: type must be file, orgId a number")
            options = item.get("options") or {}
            out += [f"{where}: unknown option {k}" for k in set(options) - PROVIDER_OPTIONS]
            if not str(options.get("path", "")).startswith("/"):
                out.append(f"{where}: options.path must be an absolute path")
            if options.get("foldersFromFilesStructure") and (item.get("folder") or item.get("folderUid")):
                out.append(f"{where}: folder and folderUid must be empty with foldersFromFilesStructure")
            for key in ("disableDeletion", "allowUiUpdates", "editable"):
                if key in item and not isinstance(item[key], bool):
                    out.append(f"{where}: {key} must be a boolean")
        else:
            out += [f"{where}: unknown key {k}" for k in set(item) - DATASOURCE_KEYS]
            if not item.get("type") or item.get("access", "proxy") not in ("proxy", "direct"):
                out.append(f"{where}: needs a type, and access proxy or direct")
            if "uid" in item and not UID.fullmatch(item["uid"]):
                out.append(f"{where}: uid {item['uid']!r} is not a Grafana uid")
            if not re.match(r"^https?://[^\s/]+", item.get("url", "")):
                out.append(f"{where}: url must be http(s)")
    if kind == "datasources":
        defaults = [d.get("orgId", 1) for d in doc[items] if d.get("isDefault")]
        if len(defaults) != len(set(defaults)):
            out.append("only one datasource per organisation may be the default")
    return out


def provisioning_files(text: str) -> dict[str, dict]:
    return {a.path.rsplit("/", 2)[1]: YAML(typ="safe").load(a.content) for a in build(text)
            if "/provisioning/" in a.path}


TEAM_SPEC = """\
apiVersion: obsgen/v1
global:
  datasource: {type: prometheus, uid: prom-main}
  scrape_interval: 30s
output:
  grafana: {path: /srv/obsgen/grafana, datasource_url: "http://mimir:8080/prometheus"}
teams:
  - {name: payments, slack: {channel: "#p", api_url_file: /s/p}}
  - {name: search, slack: {channel: "#s", api_url_file: /s/s}}
dashboards:
  - {title: Checkout, team: payments, panels: [{title: a, queries: [{expr: up}]}]}
  - {title: Refunds, team: payments, panels: [{title: a, queries: [{expr: up}]}]}
  - {title: Index, team: search, folder: Search Overview, panels: [{title: a, queries: [{expr: up}]}]}
  - {title: Home, panels: [{title: a, queries: [{expr: up}]}]}
"""


def test_provisioning_files_follow_grafanas_documented_format():
    files = provisioning_files(TEAM_SPEC)
    assert sorted(files) == ["dashboards", "datasources"]
    for kind, doc in files.items():
        assert provisioning_problems(kind, doc) == [], kind


def test_the_structural_check_finds_what_grafana_would_refuse():
    bad_provider = {"apiVersion": 1, "providers": [
        {"name": "a", "type": "file", "folder": "X", "options": {"path": "rel/$HOME", "foldersFromFilesStructure": True}},
        {"name": "a", "type": "file", "options": {"path": "/ok"}, "folders": "typo"}]}
    assert provisioning_problems("dashboards", bad_provider) == [
        "unescaped $ in 'rel/$HOME'", "names must be set and unique: ['a', 'a']",
        "providers[0]: options.path must be an absolute path",
        "providers[0]: folder and folderUid must be empty with foldersFromFilesStructure",
        "providers[1]: unknown key folders"]
    bad_sources = {"apiVersion": 1, "datasources": [
        {"name": "a", "type": "prometheus", "uid": "has space", "url": "prometheus:9090", "isDefault": True},
        {"name": "b", "type": "prometheus", "access": "browser", "url": "http://p", "isDefault": True}]}
    assert provisioning_problems("datasources", bad_sources) == [
        "datasources[0]: uid 'has space' is not a Grafana uid", "datasources[0]: url must be http(s)",
        "datasources[1]: needs a type, and access proxy or direct",
        "only one datasource per organisation may be the default"]


def test_each_provider_path_is_the_folder_its_json_files_sit_in_when_grafana_folder_is_mounted(tmp_path):
    env = tmp_path / "env"
    for art in build(TEAM_SPEC):
        (env / art.path).parent.mkdir(parents=True, exist_ok=True)
        (env / art.path).write_text(art.content)
    mount = "/srv/obsgen/grafana"  # output.grafana.path: where env/grafana is in Grafana's filesystem
    seen = []
    for provider in provisioning_files(TEAM_SPEC)["dashboards"]["providers"]:
        path = provider["options"]["path"]
        assert path.startswith(mount + "/dashboards/")
        local = env / "grafana" / path.removeprefix(mount + "/")
        assert local.is_dir() and not any(p.is_dir() for p in local.iterdir())
        seen += sorted(local.glob("*.json"))
    assert sorted(seen) == sorted(env.glob("grafana/dashboards/*/*.json")) and len(seen) == 4
    # The provisioning files are not in any provider's tree, and sit where Grafana looks for them.
    assert sorted(p.relative_to(env).as_posix() for p in env.rglob("*.yaml")) == [
        "grafana/provisioning/dashboards/obsgen.yaml", "grafana/provisioning/datasources/obsgen.yaml"]
    header = (env / "grafana/provisioning/dashboards/obsgen.yaml").read_text()
    assert f"GF_PATHS_PROVISIONING={mount}/provisioning" in header


def test_dashboards_of_a_team_without_a_folder_go_to_the_teams_folder():
    folders = {p["options"]["path"].rsplit("/", 1)[1]: p["folder"]
               for p in provisioning_files(TEAM_SPEC)["dashboards"]["providers"]}
    # The team's folder; a folder the spec names wins; without either, Grafana's own General.
    assert folders == {"payments": "payments", "search-overview": "Search Overview", "general": ""}
    assert sorted(dashboards(TEAM_SPEC)) == [
        "grafana/dashboards/general/home.json", "grafana/dashboards/payments/checkout.json",
        "grafana/dashboards/payments/refunds.json", "grafana/dashboards/search-overview/index.json"]


def test_a_folder_named_explicitly_stays_even_when_the_dashboard_has_a_team():
    text = TEAM_SPEC.replace("{title: Checkout, team: payments,", "{title: Checkout, team: payments, folder: General,")
    assert "grafana/dashboards/general/checkout.json" in dashboards(text)


def test_provisioned_dashboards_cannot_be_changed_in_grafana_and_follow_the_files():
    for provider in provisioning_files(TEAM_SPEC)["dashboards"]["providers"]:
        assert (provider["type"], provider["orgId"]) == ("file", 1)
        assert provider["allowUiUpdates"] is False and provider["disableDeletion"] is False
        assert provider["name"] == "obsgen-" + provider["options"]["path"].rsplit("/", 1)[1]


def test_the_datasource_is_the_one_every_panel_queries():
    (source,) = provisioning_files(TEAM_SPEC)["datasources"]["datasources"]
    assert source == {"name": "prom-main", "type": "prometheus", "uid": "prom-main", "access": "proxy",
                      "url": "http://mimir:8080/prometheus", "isDefault": True, "editable": False,
                      "jsonData": {"timeInterval": "30s", "prometheusType": "Prometheus"}}
    refs = {json.dumps(p["datasource"], sort_keys=True) for d in dashboards(TEAM_SPEC).values() for p in d["panels"]}
    refs |= {json.dumps(t["datasource"], sort_keys=True) for d in dashboards(TEAM_SPEC).values()
             for p in d["panels"] for t in p["targets"]}
    assert refs == {json.dumps({"type": source["type"], "uid": source["uid"]}, sort_keys=True)}


def test_with_mimir_and_a_tenant_grafana_queries_as_that_tenant():
    text = TEAM_SPEC.replace("output:\n", "output:\n  target: mimir\n  mimir: {tenant: trading}\n")
    (source,) = provisioning_files(text)["datasources"]["datasources"]
    assert source["jsonData"] == {"timeInterval": "30s", "prometheusType": "Mimir", "httpHeaderName1": "X-Scope-OrgID"}
    assert source["secureJsonData"] == {"httpHeaderValue1": "trading"}
    assert provisioning_problems("datasources", provisioning_files(text)["datasources"]) == []


def test_dollar_signs_reach_grafana_literally():
    text = TEAM_SPEC.replace("path: /srv/obsgen/grafana", "path: /srv/$HOME/grafana").replace(
        "folder: Search Overview", "folder: 'Search $ Overview'")
    files = provisioning_files(text)
    assert provisioning_problems("dashboards", files["dashboards"]) == []
    paths = {p["options"]["path"] for p in files["dashboards"]["providers"]}
    assert "/srv/$$HOME/grafana/dashboards/search-overview" in paths
    assert "Search $$ Overview" in {p["folder"] for p in files["dashboards"]["providers"]}


def test_provisioning_is_not_written_when_disabled():
    text = TEAM_SPEC.replace("output:\n  grafana: {", "output:\n  grafana: {enabled: false, ")
    assert [a.path for a in build(text) if not a.path.endswith(".json")] == []
    assert len(dashboards(text)) == 4


def test_provisioning_is_byte_identical_whatever_the_order_of_dashboards():
    head, dashes = TEAM_SPEC.split("dashboards:\n")
    reordered = head + "dashboards:\n" + "".join(reversed(dashes.splitlines(keepends=True)))
    first = [a for a in build(TEAM_SPEC) if "/provisioning/" in a.path]
    assert first == [a for a in build(reordered) if "/provisioning/" in a.path]
    assert all(a.content.startswith("# Generated by obsgen from spec.yaml.") for a in first)
