"""SLOs: the burn-rate maths, the rules it becomes, and the promtool tests generated beside them."""
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from obsgen.core import naming
from obsgen.api import generate, load_texts
from obsgen.resolve.slo import burn_windows, fmt_duration, fmt_number, le_values
from obsgen.write.tree import write_tree

HAVE_PROMTOOL = shutil.which("promtool") is not None
needs_promtool = pytest.mark.skipif(not HAVE_PROMTOOL, reason="needs promtool (apt-get install prometheus)")

HEAD = """\
apiVersion: obsgen/v1
teams: [{name: web, slack: {channel: "#web", api_url_file: /s/web}}]
services:
  - name: api
    team: web
    metrics:
      - {name: http_requests_total, type: counter, help: x, labels: [code]}
      - {name: http_request_duration_seconds, type: histogram, help: x, buckets: [0.1, 0.25, 0.5, 1]}
      - {name: lag_seconds, type: gauge, help: x}
    slos:
"""


def build(slos_yaml: str):
    project = load_texts({"spec.yaml": HEAD + slos_yaml})
    return project


def table(period: str) -> list[tuple[str, str, str, float]]:
    return [(w.tier, fmt_duration(w.long), fmt_duration(w.short), round(w.factor, 3)) for w in burn_windows(period)]


def test_a_30_day_period_gives_the_workbook_windows_and_factors():
    assert table("30d") == [("page", "1h", "5m", 14.4), ("page", "6h", "30m", 6.0),
                            ("ticket", "1d", "2h", 3.0), ("ticket", "3d", "6h", 1.0)]


def test_a_28_day_period_keeps_the_windows_and_computes_its_factors():
    assert table("28d") == [("page", "1h", "5m", 13.44), ("page", "6h", "30m", 5.6),
                            ("ticket", "1d", "2h", 2.8), ("ticket", "3d", "6h", 0.933)]


def test_a_24_hour_period_scales_the_windows_and_floors_them_at_five_minutes():
    # 1h * 24h/30d = 2m -> floored to 5m, so that tier's factor is recomputed from 5m: 0.02*1440/5.
    assert table("24h") == [("page", "5m", "5m", 5.76), ("page", "12m", "5m", 6.0),
                            ("ticket", "48m", "5m", 3.0), ("ticket", "2h24m", "12m", 1.0)]


@given(period_days=st.integers(min_value=1, max_value=400), fraction=st.integers(min_value=1, max_value=24))
def test_factors_follow_the_workbook_formula_for_any_period(period_days, fraction):
    period = f"{period_days}d" if fraction == 24 else f"{period_days}d{fraction}h"
    seconds = naming.duration_seconds(period)
    for w in burn_windows(period):
        assert w.factor == pytest.approx(w.budget_fraction * seconds / w.long)
        assert w.short <= w.long and w.short >= 300
        if seconds >= 28 * 86400:
            assert (w.long, w.short) in {(3600, 300), (21600, 1800), (86400, 7200), (259200, 21600)}
        else:
            assert w.long <= seconds


def test_le_values_cover_the_spellings_of_a_bound():
    assert {"0.5", "0.50"} <= set(le_values(0.5))
    assert {"1", "1.0"} <= set(le_values(1.0))


def test_fmt_number_has_no_float_noise():
    assert fmt_number(1 - 0.999) == "0.001"
    assert fmt_number(14.4 * 0.001) == "0.0144"


def test_a_latency_slo_needs_a_bucket_at_its_threshold():
    project = build("""\
      - name: latency
        objective: 99
        sli: {latency: {histogram: http_request_duration_seconds, threshold: 0.3}}
""")
    errors = [d for d in project.diagnostics if d.severity.value == "error"]
    assert [(d.code, d.pos.line) for d in errors] == [("OBS034", 13)]
    assert "0.1, 0.25, 0.5, 1" in errors[0].hint


def test_a_latency_threshold_written_050_matches_the_05_bucket():
    assert build("""\
      - name: latency
        objective: 99
        sli: {latency: {histogram: http_request_duration_seconds, threshold: 0.50}}
""").ok


def test_a_latency_slo_on_a_metric_that_is_not_a_histogram_is_an_error():
    project = build("""\
      - name: latency
        objective: 99
        sli: {latency: {histogram: lag_seconds, threshold: 1}}
""")
    assert [d.code for d in project.diagnostics if d.severity.value == "error"] == ["OBS034"]


def test_an_objective_too_low_for_its_page_factor_warns_that_alerting_cannot_work():
    project = build("""\
      - name: loose
        objective: 90
        sli: {ratio: {bad: 'http_requests_total{code=~"5.."}', total: http_requests_total}}
""")
    assert project.ok
    slo_diags = [d for d in project.diagnostics if d.code != "OBS059"]  # lint: the page has no runbook
    assert [d.code for d in slo_diags] == ["OBS035"]
    assert "can never happen" in slo_diags[0].message


def test_sli_kinds_are_exclusive_and_ratio_needs_one_side():
    project = build("""\
      - name: both
        objective: 99
        sli: {ratio: {good: a_total, bad: b_total, total: c_total}}
      - name: two-kinds
        objective: 99
        sli: {raw: {error_ratio: "x[{{window}}]"}, freshness: {gauge: lag_seconds, max: 1}}
""")
    assert sorted(d.code for d in project.diagnostics) == ["OBS011", "OBS011"]


def test_the_ticket_alert_is_inhibited_while_the_page_fires():
    project = build("""\
      - name: availability
        objective: 99.9
        sli: {ratio: {bad: 'http_requests_total{code=~"5.."}', total: http_requests_total}}
""")
    files = generate(project)
    am = files["default/alertmanager/alertmanager.yml"]
    assert 'slo_tier="page"' in am and 'slo_tier="ticket"' in am


def test_every_slo_gets_a_dashboard_with_its_burn_rate_thresholds():
    files = generate(build("""\
      - name: availability
        objective: 99.9
        sli: {ratio: {bad: 'http_requests_total{code=~"5.."}', total: http_requests_total}}
"""))
    dash = files["default/grafana/dashboards/slos/slo-api.json"]
    assert "slo:period_error_budget_remaining:ratio" in dash and "14.4" in dash


slo_specs = st.fixed_dictionaries({
    "objective": st.sampled_from([80.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99]),
    "period": st.sampled_from(["1d", "2d", "7d", "14d", "28d", "30d", "90d"]),
    "kind": st.sampled_from(["ratio", "latency", "freshness", "raw"]),
    "budget_alerts": st.booleans(),
    "min_traffic": st.sampled_from([None, 0.5]),
    "ticket": st.booleans(),
})

SLI = {
    "ratio": "{ratio: {bad: 'http_requests_total{code=~\"5..\"}', total: http_requests_total}}",
    "latency": "{latency: {histogram: http_request_duration_seconds, threshold: 0.25, matchers: 'code!=\"404\"'}}",
    "freshness": "{freshness: {gauge: 'lag_seconds{pipeline=\"md\"}', max: 5}}",
    "raw": "{raw: {error_ratio: 'sum(rate(http_requests_total{code=~\"5..\"}[{{window}}])) / sum(rate(http_requests_total[{{window}}]))'}}",
}


@needs_promtool
@pytest.mark.tools
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=slo_specs)
def test_random_slos_give_rules_promtool_accepts_and_tests_that_pass(case, tmp_path_factory):
    body = f"""\
      - name: s
        objective: {case['objective']}
        period: {case['period']}
        sli: {SLI[case['kind']]}
        alerting:
          budget_alerts: {str(case['budget_alerts']).lower()}
          ticket: {{enabled: {str(case['ticket']).lower()}, severity: warning}}
""" + (f"          min_traffic: {case['min_traffic']}\n" if case["min_traffic"] else "")
    project = build(body)
    if case["min_traffic"] and case["kind"] in ("raw", "freshness"):
        assert not project.ok  # no event rate to guard with
        return
    assert project.ok, project.diagnostics
    out = tmp_path_factory.mktemp("slo")
    write_tree(out, generate(project))
    prom = out / "default" / "prometheus"
    rules = YAML(typ="safe").load((prom / "rules" / "api.slo.rules.yml").read_text())
    budget = round(1 - case["objective"] / 100, 12)
    page = next(r for g in rules["groups"] for r in g["rules"] if r.get("alert", "").endswith("BudgetBurnPage"))
    for w in burn_windows(case["period"]):
        if w.tier == "page":
            assert f"> {fmt_number(w.factor * budget)}" in page["expr"]
    check = subprocess.run(["promtool", "check", "rules", "rules/api.slo.rules.yml"], cwd=prom,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    tests = subprocess.run(["promtool", "test", "rules", "tests/api.slo.test.yml"], cwd=prom,
                           capture_output=True, text=True, timeout=300)
    assert tests.returncode == 0, tests.stdout + tests.stderr
