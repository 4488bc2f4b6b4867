"""`obsgen import pyrra`: Pyrra ServiceLevelObjective resources become an obsgen spec that validates
and builds; each indicator keeps Pyrra's error ratio (checked with promtool against the expression
Pyrra generates); what obsgen only approximates is a warning at its field, what it cannot express
or what is not valid Pyrra is an error at file:line:col. Fixtures are written inline.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import build_imported as build
from ruamel.yaml import YAML

from obsgen.core.diagnostics import Severity, format_text
from obsgen.features.importers.pyrra import import_pyrra

needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None,
                                    reason="needs promtool (apt-get install prometheus)")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(tmp_path: Path, text: str, name: str = "slo.yaml", **kwargs) -> tuple[str | None, list]:
    return import_pyrra([write(tmp_path, name, text)], **kwargs)


def ok(tmp_path: Path, text: str, **kwargs) -> tuple[str, list]:
    out, diags = run(tmp_path, text, **kwargs)
    errors = [format_text(d) for d in diags if d.severity is Severity.ERROR]
    assert out is not None and not errors, "\n".join(errors)
    return out, diags


def load(text: str) -> dict:
    return YAML(typ="safe", pure=True).load(text)


def slos(text: str) -> dict[tuple[str, str], dict]:
    return {(s["name"], o["name"]): o for s in load(text)["services"] for o in s["slos"]}


def warnings(diags) -> list[tuple[str, int, int]]:
    return [(d.code, d.pos.line, d.pos.col) for d in diags if d.severity is Severity.WARNING]


def errors(diags) -> list[tuple[str, int, int]]:
    return [(d.code, d.pos.line, d.pos.col) for d in diags if d.severity is Severity.ERROR]


def header(text: str) -> str:
    return text.split("\napiVersion: obsgen/v1\n")[0]


def slo(name: str = "api-errors", indicator: str = "", *, namespace: str | None = "shop", target: str = '"99.5"',
        window: str = "2w", extra: str = "", labels: str = "") -> str:
    """A ServiceLevelObjective document; `indicator` and `extra` are indented under spec."""
    meta = f"  name: {name}\n" + (f"  namespace: {namespace}\n" if namespace else "") + labels
    return (f"apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata:\n{meta}spec:\n"
            f"  target: {target}\n  window: {window}\n{indicator}{extra}")


RATIO = """\
  indicator:
    ratio:
      errors:
        metric: http_requests_total{job="shop",code=~"5.."}
      total:
        metric: http_requests_total{job="shop"}
"""
LATENCY = """\
  indicator:
    latency:
      success:
        metric: http_request_duration_seconds_bucket{job="shop",le="0.25"}
      total:
        metric: http_request_duration_seconds_count{job="shop"}
"""
NATIVE = """\
  indicator:
    latencyNative:
      latency: 200ms
      total:
        metric: rpc_duration_seconds{job="shop",code="ok"}
"""
BOOL_GAUGE = """\
  indicator:
    bool_gauge:
      metric: probe_success{job="blackbox"}
"""


# ----------------------------------------------------------------------------- indicators

def test_a_ratio_becomes_obsgens_ratio_sli_with_target_window_and_description(tmp_path):
    text, diags = ok(tmp_path, slo(indicator=RATIO, extra="  description: Checkout requests succeed.\n"))
    assert warnings(diags) == []
    assert slos(text)[("shop", "api-errors")] == {
        "name": "api-errors", "objective": 99.5, "period": "2w", "description": "Checkout requests succeed.",
        "sli": {"ratio": {"bad": 'http_requests_total{job="shop",code=~"5.."}', "total": 'http_requests_total{job="shop"}'}},
        "labels": {"job": "shop"}}  # Pyrra labels its rules with the total selector's equality matchers


def test_a_latency_indicator_becomes_a_ratio_of_good_requests_as_pyrra_computes_it(tmp_path):
    text, diags = ok(tmp_path, slo("api-latency", LATENCY, target='"95"'))
    assert warnings(diags) == []
    got = slos(text)[("shop", "api-latency")]
    assert got["objective"] == 95
    assert got["sli"] == {"ratio": {"good": 'http_request_duration_seconds_bucket{job="shop",le="0.25"}',
                                    "total": 'http_request_duration_seconds_count{job="shop"}'}}


def test_an_integer_bucket_bound_matches_prometheus_3s_float_form_as_pyrras_rules_do(tmp_path):
    text, _ = ok(tmp_path, slo("api-latency", LATENCY.replace('le="0.25"', 'le="1"')))
    assert slos(text)[("shop", "api-latency")]["sli"]["ratio"]["good"] == \
        'http_request_duration_seconds_bucket{job="shop",le=~"1(\\\\.0)?"}'
    assert 'le="1" imported as le=~"1(\\\\.0)?", as Pyrra\'s rules have it by default' in header(text)


def test_a_native_latency_indicator_becomes_a_raw_ratio_with_histogram_fraction(tmp_path):
    text, diags = ok(tmp_path, slo("rpc-latency", NATIVE))
    assert warnings(diags) == []
    assert slos(text)[("shop", "rpc-latency")]["sli"] == {"raw": {"error_ratio": (
        '1 - histogram_fraction(0, 0.2, sum(rate(rpc_duration_seconds{job="shop",code="ok"}[{{window}}])))')}}
    assert "Prometheus 2.40 or later" in header(text)


def test_a_bool_gauge_becomes_a_raw_ratio_of_failed_samples(tmp_path):
    text, diags = ok(tmp_path, slo("probes", BOOL_GAUGE, namespace="edge"))
    assert warnings(diags) == []
    assert slos(text)[("edge", "probes")]["sli"] == {"raw": {"error_ratio": (
        '(sum(count_over_time(probe_success{job="blackbox"}[{{window}}])) - '
        'sum(sum_over_time(probe_success{job="blackbox"}[{{window}}]))) / '
        'sum(count_over_time(probe_success{job="blackbox"}[{{window}}]))')}}


# ----------------------------------------------------------------------------- grouping

def test_grouping_takes_the_worst_groups_ratio_with_a_warning_at_the_field(tmp_path):
    grouped = RATIO + "      grouping: [handler, method, handler]\n"
    text, diags = ok(tmp_path, slo(indicator=grouped))
    assert warnings(diags) == [("OBS042", 15, 7)]
    assert "an SLO per handler, method" in diags[0].message
    assert slos(text)[("shop", "api-errors")]["sli"] == {"raw": {"error_ratio": (
        'max(sum by (handler, method) (rate(http_requests_total{job="shop",code=~"5.."}[{{window}}])) / '
        'sum by (handler, method) (rate(http_requests_total{job="shop"}[{{window}}])))')}}
    assert "worst group" in header(text)


@pytest.mark.parametrize("indicator, expected", [
    (LATENCY, ('max((sum by (path) (rate(http_request_duration_seconds_count{job="shop"}[{{window}}])) - '
               'sum by (path) (rate(http_request_duration_seconds_bucket{job="shop",le="0.25"}[{{window}}]))) / '
               'sum by (path) (rate(http_request_duration_seconds_count{job="shop"}[{{window}}])))')),
    (NATIVE, ('max(1 - histogram_fraction(0, 0.2, sum by (path) '
              '(rate(rpc_duration_seconds{job="shop",code="ok"}[{{window}}]))))')),
    (BOOL_GAUGE, ('max((sum by (path) (count_over_time(probe_success{job="blackbox"}[{{window}}])) - '
                  'sum by (path) (sum_over_time(probe_success{job="blackbox"}[{{window}}]))) / '
                  'sum by (path) (count_over_time(probe_success{job="blackbox"}[{{window}}])))')),
])
def test_every_indicator_kind_can_be_grouped(tmp_path, indicator, expected):
    text, diags = ok(tmp_path, slo(indicator=indicator + "      grouping:\n        - path\n"))
    assert [w[0] for w in warnings(diags)] == ["OBS042"]
    assert slos(text)[("shop", "api-errors")]["sli"] == {"raw": {"error_ratio": expected}}


def test_grouping_by_labels_pinned_to_one_value_is_one_group_and_changes_nothing(tmp_path):
    text, diags = ok(tmp_path, slo(indicator=RATIO + "      grouping: [job]\n"))
    assert warnings(diags) == []
    assert "ratio" in slos(text)[("shop", "api-errors")]["sli"]


# ----------------------------------------------------------------------------- alerting

def test_alerting_name_severities_and_disabled_alerts(tmp_path):
    named = """\
  alerting:
    name: ShopErrorBudgetBurn
    absent: false
    severities: {fastBurn: warning, mediumBurn: warning, slowBurn: info, longTermBurn: info}
"""
    text, diags = ok(tmp_path, slo(indicator=RATIO, extra=named))
    assert warnings(diags) == []
    got = slos(text)[("shop", "api-errors")]["alerting"]
    assert got == {"name": "ShopError", "page": {"severity": "warning"}, "ticket": {"severity": "info"}}
    assert "SLOMetricAbsent" not in header(text)  # absent: false: nothing lost
    for off in ("disabled: true", "burnrates: false"):
        text, _ = ok(tmp_path, slo(indicator=RATIO, extra=f"  alerting:\n    {off}\n    absent: false\n"))
        assert slos(text)[("shop", "api-errors")]["alerting"] == {
            "page": {"enabled": False, "severity": "critical"}, "ticket": {"enabled": False, "severity": "warning"}}


def test_the_built_alerts_carry_the_imported_name_and_severity(tmp_path):
    text, _ = ok(tmp_path, slo(indicator=RATIO, extra="  alerting:\n    name: Checkout\n    disabled: true\n"))
    files = build(text, tmp_path / "out")
    rules = [r for p, t in files.items() if p.endswith(".slo.rules.yml") for g in load(t)["groups"] for r in g["rules"]]
    assert not [r for r in rules if "alert" in r]  # both tiers disabled: recording rules only
    text, _ = ok(tmp_path, slo(indicator=RATIO, extra="  alerting:\n    name: Checkout\n"))
    files = build(text, tmp_path / "out2")
    alerts = {r["alert"]: r["labels"]["severity"] for p, t in files.items() if p.endswith(".slo.rules.yml")
              for g in load(t)["groups"] for r in g["rules"] if "alert" in r}
    assert alerts == {"CheckoutBudgetBurnPage": "critical", "CheckoutBudgetBurnTicket": "warning"}


def test_absent_alerts_asked_for_are_a_warning_and_default_ones_a_note(tmp_path):
    text, diags = ok(tmp_path, slo(indicator=RATIO, extra="  alerting:\n    absent: true\n"))
    assert warnings(diags) == [("OBS042", 16, 13)]
    assert "disappears" in diags[0].message
    text, diags = ok(tmp_path, slo(indicator=RATIO))
    assert warnings(diags) == []
    assert "when an SLO's metric disappears, by default (alerting.absent); obsgen has no such alert, so these " \
           "SLOs lose it: api-errors." in header(text)


def test_two_severities_in_one_tier_are_refused_at_their_field(tmp_path):
    text, diags = run(tmp_path, slo(indicator=RATIO, extra="  alerting:\n    severities:\n      fastBurn: warning\n"))
    assert text is None
    assert errors(diags) == [("OBS040", 17, 17)]  # mediumBurn stays critical: the page tier would need two
    assert "fastBurn and mediumBurn" in diags[0].message


def test_a_severity_obsgen_lacks_is_kept_and_defined_in_routing(tmp_path):
    text, _ = ok(tmp_path, slo(indicator=RATIO, extra="  alerting:\n    severities: {slowBurn: low, "
                                                          "longTermBurn: low}\n"))
    assert slos(text)[("shop", "api-errors")]["alerting"]["ticket"] == {"severity": "low"}
    assert "low" in load(text)["routing"]["severities"]
    build(text, tmp_path / "out")


# ----------------------------------------------------------------------------- labels, service, team

def test_pyrra_labels_become_slo_labels_annotations_alert_annotations_and_the_team(tmp_path):
    labels = """\
  labels:
    prometheus: k8s
    role: alert-rules
    pyrra.dev/team: checkout
    pyrra.dev/tier: gold
  annotations:
    pyrra.dev/runbook_url: https://runbooks.example.org/shop
    pyrra.dev/dashboard: https://grafana.example.org/d/shop
    kubectl.kubernetes.io/last-applied-configuration: "{}"
"""
    text, diags = ok(tmp_path, slo(indicator=RATIO, labels=labels))
    assert warnings(diags) == []
    spec = load(text)
    assert spec["services"][0]["team"] == "checkout"
    assert {t["name"] for t in spec["teams"]} == {"checkout"}
    got = slos(text)[("shop", "api-errors")]
    assert got["labels"] == {"job": "shop", "tier": "gold"}
    assert got["alerting"] == {"runbook_url": "https://runbooks.example.org/shop",
                               "annotations": {"dashboard": "https://grafana.example.org/d/shop"}}
    notes = header(text)
    assert "(prometheus=k8s, role=alert-rules) select which Prometheus loads Pyrra's rules" in notes
    assert "kubectl.kubernetes.io/last-applied-configuration" in notes


def test_the_service_comes_from_pyrra_dev_service_then_the_namespace_then_the_name(tmp_path):
    docs = "---\n".join([
        slo("a-errors", RATIO, labels="  labels: {pyrra.dev/service: payments}\n"),
        slo("b-errors", RATIO),
        slo("cart-latency", LATENCY, namespace=None),
    ])
    text, _ = ok(tmp_path, docs)
    assert sorted(slos(text)) == [("cart", "cart-latency"), ("payments", "a-errors"), ("shop", "b-errors")]


def test_a_team_or_owner_label_owns_the_service_and_a_bad_one_falls_back_with_a_warning(tmp_path):
    text, diags = ok(tmp_path, slo(indicator=RATIO, labels="  labels: {owner: web-team}\n"), team="platform")
    assert load(text)["services"][0]["team"] == "web-team"
    text, diags = ok(tmp_path, slo(indicator=RATIO, labels="  labels: {team: Web_Team}\n"), team="platform")
    assert load(text)["services"][0]["team"] == "platform"
    assert warnings(diags) == [("OBS042", 6, 18)]


def test_a_label_obsgen_sets_itself_is_refused(tmp_path):
    text, diags = run(tmp_path, slo(indicator=RATIO, labels="  labels:\n    pyrra.dev/severity: high\n"))
    assert text is None
    assert errors(diags) == [("OBS040", 7, 5)]


# ----------------------------------------------------------------------------- files and documents

def test_several_documents_and_lists_in_one_file_all_import(tmp_path):
    items = "\n".join("  - " + slo(n, RATIO).replace("\n", "\n    ").rstrip() for n in ("in-list-a", "in-list-b"))
    docs = (slo("first", RATIO) + "---\n" + f"apiVersion: v1\nkind: List\nitems:\n{items}\n" + "---\n"
            + "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjectiveList\nitems:\n  - "
            + slo("last", BOOL_GAUGE).replace("\n", "\n    ").rstrip() + "\n")
    text, _ = ok(tmp_path, docs)
    assert [o["name"] for o in load(text)["services"][0]["slos"]] == ["first", "in-list-a", "in-list-b", "last"]


def test_an_error_in_a_list_item_names_the_item_and_its_line(tmp_path):
    item = slo("in-list", RATIO, target='"abc"').replace("\n", "\n    ").rstrip()
    text, diags = run(tmp_path, slo("first", RATIO) + "---\n" + f"apiVersion: v1\nkind: List\nitems:\n  - {item}\n")
    assert text is None
    assert errors(diags) == [("OBS041", 25, 15)]
    assert diags[0].message.startswith("items[0].spec.target: ")


def test_a_file_with_no_slo_is_refused(tmp_path):
    text, diags = run(tmp_path, "# nothing here\n")
    assert text is None and errors(diags) == [("OBS041", 1, 1)]
    text, diags = run(tmp_path, "apiVersion: v1\nkind: List\nitems: []\n")
    assert text is None and errors(diags) == [("OBS041", 3, 8)]


def test_the_import_does_not_depend_on_the_order_of_the_files(tmp_path):
    a = write(tmp_path, "a.yaml", slo("a-errors", RATIO))
    b = write(tmp_path, "b.yaml", slo("b-latency", LATENCY))
    assert import_pyrra([a, b])[0] == import_pyrra([b, a])[0] is not None


def test_the_same_slo_twice_in_a_service_is_refused(tmp_path):
    text, diags = run(tmp_path, slo("x", RATIO) + "---\n" + slo("x", LATENCY))
    assert text is None and errors(diags) == [("OBS020", 16, 1)]


@pytest.mark.parametrize("doc, hint", [
    ("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\n", "import it with `obsgen import openslo`"),
    ("version: prometheus/v1\nservice: x\nslos: []\n", "import it with `obsgen import sloth`"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "leave it out of the import"),
    ("apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjectiv\n", "did you mean `ServiceLevelObjective`?"),
])
def test_a_document_that_is_not_a_pyrra_slo_is_refused_with_a_hint(tmp_path, doc, hint):
    text, diags = run(tmp_path, doc)
    assert text is None
    assert [d.code for d in diags] == ["OBS041"] and diags[0].hint == hint
    assert diags[0].pos.line in (1, 2)


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("doc, expected, words", [
    (slo(indicator=RATIO, target="99.5"), [("OBS041", 7, 11)], 'quote it: target: "99.5"'),
    (slo(indicator=RATIO, target='"high"'), [("OBS041", 7, 11)], "'high' is not a number"),
    (slo(indicator=RATIO, target='"100"'), [("OBS040", 7, 11)], "leaves no error budget"),
    (slo(indicator=RATIO, target='"120"'), [("OBS041", 7, 11)], "percentages from 0 to 100"),
    (slo(indicator=RATIO, window="2weeks"), [("OBS041", 8, 11)], "not a Prometheus duration"),
    (slo(indicator=RATIO, window="30m"), [("OBS040", 8, 11)], "at least 1h"),
    (slo(indicator=RATIO, extra="  tagret: x\n"), [("OBS041", 15, 3)], "did you mean `target`?"),
    (slo(indicator=RATIO.replace("ratio:", "ratios:")), [("OBS041", 10, 5)], "did you mean `ratio`?"),
    (slo(), [("OBS041", 7, 3)], "spec.indicator: required"),
    (slo(indicator=RATIO + BOOL_GAUGE.replace("  indicator:\n", "")), [("OBS041", 10, 5)],
     "give exactly one of ratio, latency, latencyNative, bool_gauge (found ratio, bool_gauge)"),
    (slo(indicator=RATIO + "      grouping: handler\n"), [("OBS041", 15, 17)], "should be a list, not the string 'handler'"),
    (slo(indicator=RATIO + "      grouping: [handler, 3]\n"), [("OBS041", 15, 27)], "should be a label name"),
    (slo(indicator=RATIO.replace('http_requests_total{job="shop"}\n', "sum(rate(http_requests_total[5m]))\n")),
     [("OBS041", 14, 17)], "Pyrra needs a series selector here"),
    (slo(indicator=RATIO.replace('{job="shop"}\n', '{job="shop"\n')), [("OBS030", 14, 17)], "not valid PromQL"),
    (slo(indicator=RATIO.replace('{job="shop"}\n', '{job="shop"} offset 1h\n')), [("OBS040", 14, 17)],
     "offset or @"),
    (slo(indicator=LATENCY.replace(',le="0.25"', "")), [("OBS041", 12, 17)], "needs an le matcher"),
    (slo(indicator=NATIVE.replace("200ms", '"0.2"')), [("OBS041", 11, 16)], "is not a Prometheus duration"),
    (slo(indicator=RATIO.replace("metric: http_requests_total{job=\"shop\"}\n", "metric: [a]\n")),
     [("OBS041", 14, 17)], "should be a string, not a list"),
    (slo("Api_Errors", RATIO), [("OBS040", 4, 9)], "rename it, e.g. `api-errors`"),
    (slo(indicator=RATIO, extra="  alerting: {nmae: X}\n"), [("OBS041", 15, 14)], "did you mean `name`?"),
    (slo(indicator=RATIO, extra="  alerting: {disabled: yes please}\n"), [("OBS041", 15, 24)],
     "should be true or false"),
    (slo(indicator=RATIO, labels="  lables: {}\n"), [("OBS041", 6, 3)], "did you mean `labels`?"),
])
def test_bad_input_is_an_error_at_its_line_and_column(tmp_path, doc, expected, words):
    text, diags = run(tmp_path, doc)
    assert text is None
    assert errors(diags) == expected, "\n".join(format_text(d) for d in diags)
    shown = "\n".join(f"{d.message} {d.hint or ''}" for d in diags if d.severity is Severity.ERROR)
    assert words in shown
    assert all(d.pos.file.endswith("slo.yaml") for d in diags if d.severity is Severity.ERROR)


def test_fields_about_how_pyrra_runs_are_warnings_or_notes(tmp_path):
    extra = """\
  partial_response_strategy: warn
  performanceOverAccuracy: true
  ruleOutput:
    longRulesLabels: {thanos-ruler: "true"}
status:
  type: PrometheusRule
"""
    text, diags = ok(tmp_path, slo(indicator=RATIO, extra=extra))
    assert warnings(diags) == [("OBS042", 15, 30), ("OBS042", 18, 5)]
    assert "performanceOverAccuracy: not needed" in header(text)
    assert "the status of a ServiceLevelObjective is Pyrra's run-time state: not imported" in header(text)


# ----------------------------------------------------------------------------- building

EVERY_KIND = "---\n".join([
    slo("api-errors", RATIO, window="4w"),
    slo("api-latency", LATENCY, target='"95"', window="4w"),
    slo("rpc-latency", NATIVE, window="4w"),
    slo("probes", BOOL_GAUGE + "      grouping: [instance]\n", target='"99"', window="4w"),
])


def test_an_import_of_every_indicator_kind_validates_and_builds_with_no_hand_edits(tmp_path):
    text, _ = ok(tmp_path, EVERY_KIND)
    files = build(text, tmp_path / "out")
    assert any(p.endswith(".slo.rules.yml") for p in files)
    assert any(p.endswith(".slo.test.yml") for p in files)


def promtool(*args: str, cwd: Path) -> None:
    proc = subprocess.run(["promtool", *args], check=False, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.tools
@needs_promtool
def test_the_built_rules_pass_promtool_and_keep_pyrras_error_ratio(tmp_path):
    text, _ = ok(tmp_path, EVERY_KIND)
    build(text, tmp_path)
    rules = sorted(tmp_path.rglob("prometheus/rules/*.slo.rules.yml"))
    for path in rules:
        promtool("check", "rules", str(path), cwd=tmp_path)
    for path in sorted(tmp_path.rglob("prometheus/tests/*.slo.test.yml")):
        promtool("test", "rules", path.name, cwd=path.parent)
    # Pyrra's burn-rate expressions (slo/rules.go, over 1h) for the same series give what obsgen
    # records as the 1h error ratio (the probe SLO: the worst instance's): 32 of 128 requests a
    # minute fail, 8 of 128 are slower than 0.25s, instance b fails one probe in four.
    series = {
        'http_requests_total{job="shop",code="200"}': "0+96x200",
        'http_requests_total{job="shop",code="503"}': "0+32x200",
        'http_requests_total{job="other",code="500"}': "0+50x200",
        'http_request_duration_seconds_bucket{job="shop",le="0.25"}': "0+120x200",
        'http_request_duration_seconds_count{job="shop"}': "0+128x200",
        'probe_success{job="blackbox",instance="a"}': "1x200",
        'probe_success{job="blackbox",instance="b"}': " ".join(["1 1 1 0"] * 50),
    }
    pyrra = {
        "api-errors": 'sum(rate(http_requests_total{job="shop",code=~"5.."}[1h])) / '
                      'sum(rate(http_requests_total{job="shop"}[1h]))',
        "api-latency": '(sum(rate(http_request_duration_seconds_count{job="shop"}[1h])) - '
                       'sum(rate(http_request_duration_seconds_bucket{job="shop",le="0.25"}[1h]))) / '
                       'sum(rate(http_request_duration_seconds_count{job="shop"}[1h]))',
        "probes": 'max((sum by (instance) (count_over_time(probe_success{job="blackbox"}[1h])) - sum by (instance) '
                  '(sum_over_time(probe_success{job="blackbox"}[1h]))) / sum by (instance) '
                  '(count_over_time(probe_success{job="blackbox"}[1h])))',
    }
    jobs = {"api-errors": "shop", "api-latency": "shop", "probes": "blackbox"}
    tests = []
    for name, expr in pyrra.items():
        labels = f'{{job="{jobs[name]}",service="shop",slo="{name}"}}'
        record = f'slo:sli_error:ratio_rate1h{{slo="{name}"}}'
        tests.append({"expr": f"{record} - on () ({expr})", "eval_time": "2h",  # on (): no labels left
                      "exp_samples": [{"labels": "{}", "value": 0}]})
        tests.append({"expr": f"{record} > bool 0.05", "eval_time": "2h",  # and it is not 0 = 0
                      "exp_samples": [{"labels": labels, "value": 1}]})
    rule_file = rules[0]
    doc = {"rule_files": [rule_file.name], "evaluation_interval": "1m",
           "tests": [{"interval": "1m", "input_series": [{"series": s, "values": v} for s, v in series.items()],
                      "promql_expr_test": tests}]}
    with (rule_file.parent / "pyrra-semantics.test.yml").open("w", encoding="utf-8") as f:
        YAML(typ="safe", pure=True).dump(doc, f)
    promtool("test", "rules", "pyrra-semantics.test.yml", cwd=rule_file.parent)
