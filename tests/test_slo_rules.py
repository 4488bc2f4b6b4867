"""What resolve/slo.py produces, pinned down independently of the tests obsgen generates.

tests/test_slo.py checks the SLO rules with the promtool tests obsgen writes from the same rules,
so a wrong rule and its wrong test agree. Here:

* in-process, every function's output is compared whole (exact strings, lists and dicts) with
  what an SRE reading the rules, alerts and dashboards relies on;
* through promtool (`tools`), hand-written counters, histograms and gauges are fed to the
  generated rule file, and the burn-rate alerts must page, open a ticket, stay quiet and
  resolve as the SRE workbook says.
"""
from __future__ import annotations

import json
import subprocess

import pytest
from conftest import needs
from ruamel.yaml import YAML

from obsgen.api import generate, load_texts
from obsgen.resolve.slo import (
    SLO,
    BurnWindow,
    _describe_tier,
    _tier_expr,
    _with_matchers,
    alert_rules,
    burn_windows,
    dashboard,
    dashboard_uid,
    detection_seconds,
    fmt_number,
    le_values,
    metadata_rules,
    ratio_name,
    rule_groups,
    sli_sample_rules,
    sli_window_rules,
    warnings_for,
)
from obsgen.spec import PanelSpec, QuerySpec, ServiceSpec, SLOSpec
from obsgen.write.tree import write_tree

RATIO = {"ratio": {"bad": 'http_requests_total{code=~"5.."}', "total": "http_requests_total"}}
SEL = 'service="api", slo="availability"'
IDS = {"service": "api", "slo": "availability"}


def make(sli: dict | None = None, *, name: str = "availability", objective: float = 99.9, period: str = "30d",
         alerting: dict | None = None, labels: dict | None = None, description: str | None = None,
         service: str = "api", team: str = "web") -> SLO:
    """An SLO as the model builds it: a service, its SLO spec, and the team its alerts go to."""
    spec = {"name": name, "objective": objective, "period": period, "sli": sli or RATIO}
    if alerting is not None:
        spec["alerting"] = alerting
    if labels is not None:
        spec["labels"] = labels
    if description is not None:
        spec["description"] = description
    return SLO(ServiceSpec(name=service, team="web"), SLOSpec.model_validate(spec), team)


def approx_windows(windows: list[BurnWindow]) -> list[tuple]:
    return [(w.tier, w.budget_fraction, w.long, w.short, pytest.approx(w.factor, rel=1e-9)) for w in windows]


# ----------------------------------------------------------------------------- burn-rate windows


def test_a_30_day_period_uses_the_workbook_windows_and_factors():
    assert approx_windows(burn_windows("30d")) == [
        ("page", 0.02, 3600, 300, 14.4), ("page", 0.05, 21600, 1800, 6.0),
        ("ticket", 0.10, 86400, 7200, 3.0), ("ticket", 0.10, 259200, 21600, 1.0)]


def test_a_28_day_period_is_the_shortest_that_keeps_the_workbook_windows():
    assert approx_windows(burn_windows("28d")) == [
        ("page", 0.02, 3600, 300, 13.44), ("page", 0.05, 21600, 1800, 5.6),
        ("ticket", 0.10, 86400, 7200, 2.8), ("ticket", 0.10, 259200, 21600, 0.1 * 28 / 3)]


def test_a_7_day_period_scales_every_window_and_keeps_the_workbook_factors():
    assert approx_windows(burn_windows("7d")) == [
        ("page", 0.02, 840, 300, 14.4), ("page", 0.05, 5040, 420, 6.0),
        ("ticket", 0.10, 20160, 1680, 3.0), ("ticket", 0.10, 60480, 5040, 1.0)]


def test_a_1_day_period_floors_windows_at_5_minutes_and_recomputes_that_factor():
    # 1h * 1d/30d = 2m is floored to 5m: the tier still means "2% of the budget in 5m", 0.02 * 1440 / 5.
    assert approx_windows(burn_windows("1d")) == [
        ("page", 0.02, 300, 300, 5.76), ("page", 0.05, 720, 300, 6.0),
        ("ticket", 0.10, 2880, 300, 3.0), ("ticket", 0.10, 8640, 720, 1.0)]


def test_scaled_windows_are_whole_seconds_even_when_the_period_is_not():
    # 10h1s: 3d scales to 3600.1 s, which must become a duration Prometheus can read (1h, not 1.0000277h).
    windows = burn_windows("10h1s")
    assert [(w.long, w.short) for w in windows] == [(300, 300), (300, 300), (1200, 300), (3600, 300)]
    assert {type(v) for w in windows for v in (w.long, w.short)} == {int}
    assert [w.factor for w in windows] == pytest.approx([0.02 * 36001 / 300, 0.05 * 36001 / 300,
                                                         0.1 * 36001 / 1200, 0.1 * 36001 / 3600])


def test_detection_time_is_the_fastest_window_of_the_tier_filling_with_bad_events():
    slo = make()  # 99.9% over 30d: 14.4 x 0.001 of 1h = 51.84 s; ticket 3 x 0.001 of 1d = 259.2 s
    assert detection_seconds(slo, "page") == pytest.approx(51.84)
    assert detection_seconds(slo, "ticket") == pytest.approx(259.2)


def test_detection_time_skips_windows_whose_threshold_is_over_100_percent():
    loose = make(objective=90)  # budget 0.1: the 1h page needs 144% errors, the 6h one 60%
    assert detection_seconds(loose, "page") == pytest.approx(0.6 * 21600)
    assert detection_seconds(loose, "ticket") == pytest.approx(0.3 * 86400)


def test_a_tier_whose_every_window_needs_more_than_all_events_bad_is_never_detected():
    looser = make(objective=80)  # budget 0.2: page thresholds 288% and 120%
    assert detection_seconds(looser, "page") is None
    assert detection_seconds(looser, "ticket") == pytest.approx(0.6 * 86400)


def test_a_threshold_of_exactly_100_percent_errors_cannot_fire_either():
    # 16h40m: the page windows are 5m (factor 0.02*60000/300 = 4) and 500s (factor 6); budget 0.25.
    # 4 x 0.25 = 1: the alert needs an error ratio above 100%, which never happens.
    edge = make(objective=75, period="16h40m")
    assert [w.factor * edge.budget for w in edge.windows if w.tier == "page"] == [1.0, 1.5]
    assert detection_seconds(edge, "page") is None
    assert detection_seconds(edge, "ticket") == pytest.approx(0.75 * 2000)


# ----------------------------------------------------------------------------- numbers and le


@pytest.mark.parametrize(("value", "text"), [
    (0.1 + 0.2, "0.3"), (1 - 0.999, "0.001"), (14.4 * 0.001, "0.0144"), (14.4, "14.4"), (1.0, "1"),
    (100, "100"), (99.95, "99.95"), (1e-5, "0.00001"), (1.234567891234e-5, "0.000012345678912"),
    (-1e-5, "-0.00001"), (1e13, "10000000000000"), (0.5, "0.5"),
])
def test_fmt_number_writes_plain_decimals_promql_reads_without_float_noise(value, text):
    assert fmt_number(value) == text


@pytest.mark.parametrize(("threshold", "spellings"), [
    (0.25, ["0.25", "0.250"]),
    (1, ["1", "1.0", "1.00", "1.000"]),
    (1.0, ["1", "1.0", "1.00", "1.000"]),
    (0.5, ["0.5", "0.50", "0.500"]),
    (2.5, ["2.5", "2.50", "2.500"]),
    (0.001, ["0.001"]),
    (1e-5, ["0.00001", "1e-05"]),
    (100, ["100", "100.0", "100.00", "100.000"]),
    # From 1e16 Python's repr switches to an exponent; the decimal spellings must stay.
    (1e16, ["10000000000000000", "10000000000000000.0", "10000000000000000.00", "10000000000000000.000", "1e+16"]),
])
def test_le_values_are_every_spelling_a_client_may_give_the_bucket_bound(threshold, spellings):
    assert le_values(threshold) == spellings


# ----------------------------------------------------------------------------- selectors


@pytest.mark.parametrize(("selector", "extra", "result"), [
    ('m{a="1"}', 'b="2"', 'm{a="1", b="2"}'),
    ('m{a="1"}  ', 'b="2"', 'm{a="1", b="2"}'),
    ('m{a="1" }', 'b="2"', 'm{a="1", b="2"}'),
    ("m{}", 'b="2"', 'm{b="2"}'),
    ("m{ } ", 'b="2"', 'm{b="2"}'),
    ("m", 'b="2"', 'm{b="2"}'),
    ('m{a="1"}', None, 'm{a="1"}'),
    ('m{a="1"}', "", 'm{a="1"}'),
    ("m", None, "m"),
])
def test_with_matchers_adds_label_matchers_inside_the_selector_braces(selector, extra, result):
    assert _with_matchers(selector, extra) == result


def test_ratio_names_follow_the_recording_rule_convention():
    assert [ratio_name(s) for s in (300, 3600, 5040, 2592000)] == [
        "slo:sli_error:ratio_rate5m", "slo:sli_error:ratio_rate1h", "slo:sli_error:ratio_rate1h24m",
        "slo:sli_error:ratio_rate30d"]


# ----------------------------------------------------------------------------- the SLO object


def test_the_budget_is_100_minus_the_objective_without_float_noise():
    assert make(objective=99.9).budget == 0.001
    assert make(objective=99.95).budget == 0.0005
    assert make(objective=95).budget == 0.05


def test_alert_names_default_to_service_and_slo_in_camel_case_unless_named():
    assert make().alert_base == "ApiAvailability"
    assert make(service="checkout-api", name="p99-latency").alert_base == "CheckoutApiP99Latency"
    assert make(alerting={"name": "Checkout"}).alert_base == "Checkout"


def test_every_alert_window_and_the_period_are_recorded_once_each_in_order():
    assert make().record_windows() == [300, 1800, 3600, 7200, 21600, 86400, 259200, 2592000]
    assert make(period="1d").record_windows() == [300, 720, 2880, 8640, 86400]
    assert make(period="7d").record_windows() == [300, 420, 840, 1680, 5040, 20160, 60480, 604800]


def test_every_series_is_selected_by_service_and_slo_and_labelled_with_the_spec_labels():
    slo = make(labels={"zone": "eu", "journey": "checkout"})
    assert slo.selector() == SEL
    assert list(slo.labels().items()) == [("journey", "checkout"), ("service", "api"), ("slo", "availability"),
                                          ("zone", "eu")]
    assert list(make().labels().items()) == [("service", "api"), ("slo", "availability")]


def test_the_service_and_slo_ids_win_over_spec_labels_of_the_same_name():
    # The spec's validation refuses such labels; the SLO must not let one through if it ever came.
    spec = SLOSpec.model_construct(**{**make().spec.__dict__, "labels": {"slo": "other", "service": "x", "a": "b"}})
    slo = SLO(ServiceSpec(name="api", team="web"), spec, "web")
    assert list(slo.labels().items()) == [("a", "b"), ("service", "api"), ("slo", "availability")]


# ----------------------------------------------------------------------------- SLI samples


def test_a_ratio_sli_records_bad_and_total_event_rates():
    slo = make(labels={"journey": "checkout"})
    labels = {"journey": "checkout", **IDS}
    assert sli_sample_rules(slo) == [
        {"record": "slo:sli_bad:rate5m", "expr": 'sum(rate(http_requests_total{code=~"5.."}[5m]))', "labels": labels},
        {"record": "slo:sli_total:rate5m", "expr": "sum(rate(http_requests_total[5m]))", "labels": labels}]


def test_a_ratio_sli_given_good_events_records_bad_as_total_minus_good():
    slo = make({"ratio": {"good": 'http_requests_total{code!~"5.."}', "total": "http_requests_total"}})
    assert sli_sample_rules(slo) == [
        {"record": "slo:sli_bad:rate5m",
         "expr": 'sum(rate(http_requests_total[5m])) - (sum(rate(http_requests_total{code!~"5.."}[5m])) or vector(0))',
         "labels": IDS},
        {"record": "slo:sli_total:rate5m", "expr": "sum(rate(http_requests_total[5m]))", "labels": IDS}]


def test_a_latency_sli_counts_requests_over_the_threshold_bucket_as_bad():
    slo = make({"latency": {"histogram": "http_request_duration_seconds", "threshold": 0.25}})
    assert sli_sample_rules(slo) == [
        {"record": "slo:sli_bad:rate5m",
         "expr": r'sum(rate(http_request_duration_seconds_count[5m])) - '
                 r'sum(rate(http_request_duration_seconds_bucket{le=~"0\\.25|0\\.250"}[5m]))',
         "labels": IDS},
        {"record": "slo:sli_total:rate5m", "expr": "sum(rate(http_request_duration_seconds_count[5m]))",
         "labels": IDS}]


def test_a_latency_sli_with_matchers_applies_them_to_count_and_bucket():
    slo = make({"latency": {"histogram": "http_request_duration_seconds", "threshold": 1,
                            "matchers": 'code!="404"'}})
    assert sli_sample_rules(slo) == [
        {"record": "slo:sli_bad:rate5m",
         "expr": r'sum(rate(http_request_duration_seconds_count{code!="404"}[5m])) - '
                 r'sum(rate(http_request_duration_seconds_bucket{code!="404", le=~"1|1\\.0|1\\.00|1\\.000"}[5m]))',
         "labels": IDS},
        {"record": "slo:sli_total:rate5m", "expr": 'sum(rate(http_request_duration_seconds_count{code!="404"}[5m]))',
         "labels": IDS}]


def test_a_freshness_sli_is_bad_while_the_worst_gauge_is_over_its_maximum():
    slo = make({"freshness": {"gauge": 'lag_seconds{pipeline="md"}', "max": 2.5}})
    assert sli_sample_rules(slo) == [
        {"record": "slo:sli_bad:rate5m", "expr": 'max(lag_seconds{pipeline="md"}) > bool 2.5', "labels": IDS},
        {"record": "slo:sli_total:rate5m", "expr": 'count(lag_seconds{pipeline="md"}) > bool 0', "labels": IDS}]


def test_a_raw_sli_records_no_event_rates():
    assert sli_sample_rules(make({"raw": {"error_ratio": "e[{{window}}] / t[{{window}}]"}})) == []


# ----------------------------------------------------------------------------- SLI windows


def window_ratio(d: str) -> str:
    return (f"sum_over_time(slo:sli_bad:rate5m{{{SEL}}}[{d}])\n"
            f"  / sum_over_time(slo:sli_total:rate5m{{{SEL}}}[{d}])")


def test_the_error_ratio_is_recorded_over_every_window_from_the_5m_rates():
    rules = sli_window_rules(make(labels={"journey": "checkout"}))
    labels = {"journey": "checkout", **IDS}
    assert rules == [
        {"record": "slo:sli_error:ratio_rate5m",
         "expr": f"slo:sli_bad:rate5m{{{SEL}}} / slo:sli_total:rate5m{{{SEL}}}", "labels": labels},
        *({"record": f"slo:sli_error:ratio_rate{d}", "expr": window_ratio(d), "labels": labels}
          for d in ("30m", "1h", "2h", "6h", "1d", "3d", "30d"))]


def test_a_freshness_sli_averages_its_0_or_1_samples_even_over_5_minutes():
    rules = sli_window_rules(make({"freshness": {"gauge": "lag_seconds", "max": 5}}, period="1d"))
    assert rules == [{"record": f"slo:sli_error:ratio_rate{d}", "expr": window_ratio(d), "labels": IDS}
                     for d in ("5m", "12m", "48m", "2h24m", "1d")]


def test_a_raw_sli_fills_in_each_window_and_averages_the_5m_ratio_over_the_period():
    raw = make({"raw": {"error_ratio": "  sum(rate(e[{{window}}])) / sum(rate(t[{{ window }}]))\n"}})
    assert sli_window_rules(raw) == [
        *({"record": f"slo:sli_error:ratio_rate{d}", "expr": f"sum(rate(e[{d}])) / sum(rate(t[{d}]))", "labels": IDS}
          for d in ("5m", "30m", "1h", "2h", "6h", "1d", "3d")),
        {"record": "slo:sli_error:ratio_rate30d",
         "expr": f"avg_over_time(slo:sli_error:ratio_rate5m{{{SEL}}}[30d])", "labels": IDS}]


def test_a_raw_sli_placeholder_with_any_inner_spacing_is_filled_in():
    raw = make({"raw": {"error_ratio": "a[{{window }}] + b[{{  window}}] + c[{{\twindow\t}}] + d[{{window}}]"}},
               period="1h")
    assert [(r["record"], r["expr"]) for r in sli_window_rules(raw)] == [
        ("slo:sli_error:ratio_rate5m", "a[5m] + b[5m] + c[5m] + d[5m]"),
        ("slo:sli_error:ratio_rate6m", "a[6m] + b[6m] + c[6m] + d[6m]"),
        ("slo:sli_error:ratio_rate1h", f"avg_over_time(slo:sli_error:ratio_rate5m{{{SEL}}}[1h])")]


def test_a_raw_sli_whose_period_is_the_base_window_never_reads_its_own_series():
    # Validation asks for periods of 1h or more; were a 5m period to come through, the 5m ratio must
    # still be the user's query, not an average of itself.
    spec = make({"raw": {"error_ratio": "x[{{window}}]"}}).spec
    slo = SLO(ServiceSpec(name="api", team="web"), SLOSpec.model_construct(**{**spec.__dict__, "period": "5m"}), "web")
    assert sli_window_rules(slo) == [{"record": "slo:sli_error:ratio_rate5m", "expr": "x[5m]", "labels": IDS}]


# ----------------------------------------------------------------------------- metadata


def test_metadata_records_objective_budget_period_and_burn_rates():
    slo = make(labels={"journey": "checkout"})
    labels = {"journey": "checkout", **IDS}
    assert metadata_rules(slo) == [
        {"record": "slo:objective:ratio", "expr": "vector(0.999)", "labels": labels},
        {"record": "slo:error_budget:ratio", "expr": "vector(0.001)", "labels": labels},
        {"record": "slo:time_period:days", "expr": "vector(30)", "labels": labels},
        {"record": "slo:current_burn_rate:ratio",
         "expr": f"slo:sli_error:ratio_rate5m{{{SEL}}} / on (service, slo) slo:error_budget:ratio{{{SEL}}}",
         "labels": labels},
        {"record": "slo:period_burn_rate:ratio",
         "expr": f"slo:sli_error:ratio_rate30d{{{SEL}}} / on (service, slo) slo:error_budget:ratio{{{SEL}}}",
         "labels": labels},
        {"record": "slo:period_error_budget_remaining:ratio",
         "expr": f"1 - slo:period_burn_rate:ratio{{{SEL}}}", "labels": labels},
    ]


def test_metadata_of_a_36_hour_995_slo():
    rules = metadata_rules(make(objective=99.5, period="36h"))
    assert [r["expr"] for r in rules[:3]] == ["vector(0.995)", "vector(0.005)", "vector(1.5)"]
    assert rules[4]["expr"] == (f"slo:sli_error:ratio_rate1d12h{{{SEL}}} / on (service, slo) "
                                f"slo:error_budget:ratio{{{SEL}}}")


# ----------------------------------------------------------------------------- alert expressions

PAGE_30D = f"""(
  slo:sli_error:ratio_rate1h{{{SEL}}} > 0.0144
  and slo:sli_error:ratio_rate5m{{{SEL}}} > 0.0144
)
or
(
  slo:sli_error:ratio_rate6h{{{SEL}}} > 0.006
  and slo:sli_error:ratio_rate30m{{{SEL}}} > 0.006
)"""

TICKET_30D = f"""(
  slo:sli_error:ratio_rate1d{{{SEL}}} > 0.003
  and slo:sli_error:ratio_rate2h{{{SEL}}} > 0.003
)
or
(
  slo:sli_error:ratio_rate3d{{{SEL}}} > 0.001
  and slo:sli_error:ratio_rate6h{{{SEL}}} > 0.001
)"""


def test_each_tier_fires_when_both_its_long_and_short_window_burn_too_fast():
    slo = make()
    assert _tier_expr(slo, "page") == PAGE_30D
    assert _tier_expr(slo, "ticket") == TICKET_30D


def test_min_traffic_guards_each_window_with_the_average_event_rate_over_its_long_window():
    slo = make(alerting={"min_traffic": 0.5})
    assert _tier_expr(slo, "page") == f"""(
  slo:sli_error:ratio_rate1h{{{SEL}}} > 0.0144
  and slo:sli_error:ratio_rate5m{{{SEL}}} > 0.0144
  and avg_over_time(slo:sli_total:rate5m{{{SEL}}}[1h]) >= 0.5
)
or
(
  slo:sli_error:ratio_rate6h{{{SEL}}} > 0.006
  and slo:sli_error:ratio_rate30m{{{SEL}}} > 0.006
  and avg_over_time(slo:sli_total:rate5m{{{SEL}}}[6h]) >= 0.5
)"""


def test_a_min_traffic_of_zero_still_guards_against_no_traffic_at_all():
    slo = make(alerting={"min_traffic": 0})
    assert _tier_expr(slo, "ticket").splitlines()[3] == (
        f"  and avg_over_time(slo:sli_total:rate5m{{{SEL}}}[1d]) >= 0")


def test_a_window_whose_short_window_is_its_long_one_is_checked_once():
    slo = make(objective=99, period="1d")
    assert _tier_expr(slo, "page") == f"""(
  slo:sli_error:ratio_rate5m{{{SEL}}} > 0.0576
)
or
(
  slo:sli_error:ratio_rate12m{{{SEL}}} > 0.06
  and slo:sli_error:ratio_rate5m{{{SEL}}} > 0.06
)"""


def test_the_alert_description_names_each_window_burn_rate_and_share_of_the_budget():
    slo = make()
    assert _describe_tier(slo, "page") == (
        "SLO availability of api (99.9% over 30d) is spending its error budget too fast: 2% of the budget in 1h "
        "(burn rate 14.4, also over 5m); or 5% of the budget in 6h (burn rate 6, also over 30m).")
    assert _describe_tier(make(objective=99.95, period="28d"), "ticket") == (
        "SLO availability of api (99.95% over 28d) is spending its error budget too fast: 10% of the budget in 1d "
        "(burn rate 2.8, also over 2h); or 10% of the budget in 3d (burn rate 0.933, also over 6h).")


# ----------------------------------------------------------------------------- alerts

DEFAULT_LABELS = {"category": "application", "service": "api", "slo": "availability", "team": "web"}


def test_an_slo_pages_critical_and_tickets_warning_by_default():
    assert alert_rules(make()) == [
        {"alert": "ApiAvailabilityBudgetBurnPage", "expr": PAGE_30D,
         "labels": {**DEFAULT_LABELS, "severity": "critical", "slo_tier": "page"},
         "annotations": {
             "description": "SLO availability of api (99.9% over 30d) is spending its error budget too fast: 2% of "
                            "the budget in 1h (burn rate 14.4, also over 5m); or 5% of the budget in 6h (burn rate "
                            "6, also over 30m).",
             "summary": "api: error budget of SLO availability burning too fast (page)"}},
        {"alert": "ApiAvailabilityBudgetBurnTicket", "expr": TICKET_30D,
         "labels": {**DEFAULT_LABELS, "severity": "warning", "slo_tier": "ticket"},
         "annotations": {
             "description": "SLO availability of api (99.9% over 30d) is spending its error budget too fast: 10% of "
                            "the budget in 1d (burn rate 3, also over 2h); or 10% of the budget in 3d (burn rate "
                            "1, also over 6h).",
             "summary": "api: error budget of SLO availability burning too fast (ticket)"}},
    ]


def test_alert_labels_and_annotations_are_written_sorted():
    rule = alert_rules(make(labels={"journey": "checkout"}, alerting={
        "runbook_url": "https://rb/x", "annotations": {"zdash": "d", "about": "a"}}))[0]
    assert list(rule) == ["alert", "expr", "labels", "annotations"]
    assert list(rule["labels"]) == ["category", "journey", "service", "severity", "slo", "slo_tier", "team"]
    assert list(rule["annotations"]) == ["about", "description", "runbook_url", "summary", "zdash"]


CUSTOM = {
    "name": "Checkout", "category": "business", "runbook_url": "https://runbooks.example/checkout",
    "annotations": {"dashboard": "https://grafana.example/d/slo-api"},
    "summary": "Checkout is failing", "description": "See the runbook.",
    "page": {"severity": "pager", "labels": {"escalation": "oncall"}},
    "ticket": {"enabled": False, "severity": "mail"},
    "budget_alerts": True,
}


def test_custom_alerting_names_routes_and_annotates_every_alert_of_the_slo():
    rules = alert_rules(make(alerting=CUSTOM, labels={"journey": "checkout"}, team="payments"))
    common = {"category": "business", "journey": "checkout", "service": "api", "slo": "availability",
              "team": "payments"}
    extra = {"dashboard": "https://grafana.example/d/slo-api", "runbook_url": "https://runbooks.example/checkout"}
    assert rules == [
        {"alert": "CheckoutBudgetBurnPage", "expr": PAGE_30D,
         "labels": {**common, "escalation": "oncall", "severity": "pager", "slo_tier": "page"},
         "annotations": {**extra, "description": "See the runbook.", "summary": "Checkout is failing"}},
        {"alert": "CheckoutErrorBudget50PercentSpent",
         "expr": f"slo:period_error_budget_remaining:ratio{{{SEL}}} <= 0.5",
         "labels": {**common, "severity": "mail", "slo_tier": "budget"},
         "annotations": {**extra,
                         "description": "Over the last 30d, more than 50% of the error budget of SLO availability "
                                        "has been used.",
                         "summary": "api: 50% of the error budget of SLO availability is spent"}},
        {"alert": "CheckoutErrorBudget90PercentSpent",
         "expr": f"slo:period_error_budget_remaining:ratio{{{SEL}}} <= 0.1",
         "labels": {**common, "severity": "pager", "slo_tier": "budget"},
         "annotations": {**extra,
                         "description": "Over the last 30d, more than 90% of the error budget of SLO availability "
                                        "has been used.",
                         "summary": "api: 90% of the error budget of SLO availability is spent"}},
    ]
    assert [list(r["labels"]) for r in rules] == [
        ["category", "escalation", "journey", "service", "severity", "slo", "slo_tier", "team"],
        ["category", "journey", "service", "severity", "slo", "slo_tier", "team"],
        ["category", "journey", "service", "severity", "slo", "slo_tier", "team"]]
    assert [list(r["annotations"]) for r in rules] == [["dashboard", "description", "runbook_url", "summary"]] * 3


def test_budget_alerts_without_a_runbook_carry_only_summary_and_description():
    rules = alert_rules(make(alerting={"budget_alerts": True, "page": {"enabled": False, "severity": "critical"}},
                             period="7d"))
    assert [(r["alert"], r["labels"]["severity"], r["labels"]["slo_tier"]) for r in rules] == [
        ("ApiAvailabilityBudgetBurnTicket", "warning", "ticket"),
        ("ApiAvailabilityErrorBudget50PercentSpent", "warning", "budget"),
        ("ApiAvailabilityErrorBudget90PercentSpent", "critical", "budget")]
    assert rules[2]["annotations"] == {
        "description": "Over the last 7d, more than 90% of the error budget of SLO availability has been used.",
        "summary": "api: 90% of the error budget of SLO availability is spent"}


def test_tier_labels_cannot_override_the_labels_routing_relies_on():
    # Validation refuses reserved tier labels; were one to come through, obsgen's own values win.
    slo = make()
    alerting = slo.spec.alerting
    page = alerting.page.model_construct(enabled=True, severity="critical",
                                         labels={"team": "x", "severity": "info", "slo_tier": "y", "extra": "z"})
    spec = SLOSpec.model_construct(**{**slo.spec.__dict__, "alerting": alerting.model_construct(
        **{**alerting.__dict__, "page": page})})
    rule = alert_rules(SLO(slo.service, spec, "web"))[0]
    assert rule["labels"] == {**DEFAULT_LABELS, "extra": "z", "severity": "critical", "slo_tier": "page"}


def test_the_slo_labels_override_team_and_category_in_alert_labels():
    # Likewise unreachable through validation: the SLO's own labels come after team and category.
    slo = make()
    spec = SLOSpec.model_construct(**{**slo.spec.__dict__, "labels": {"team": "t2", "category": "c2"}})
    rule = alert_rules(SLO(slo.service, spec, "web"))[0]
    assert rule["labels"] == {"category": "c2", "service": "api", "severity": "critical", "slo": "availability",
                              "slo_tier": "page", "team": "t2"}


# ----------------------------------------------------------------------------- rule groups


def test_one_rule_group_per_slo_with_samples_windows_metadata_then_alerts():
    groups = rule_groups([make(), make(name="latency", sli={"latency": {
        "histogram": "http_request_duration_seconds", "threshold": 0.5}}, alerting={"budget_alerts": True})])
    windows = ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"]
    meta = ["slo:objective:ratio", "slo:error_budget:ratio", "slo:time_period:days", "slo:current_burn_rate:ratio",
            "slo:period_burn_rate:ratio", "slo:period_error_budget_remaining:ratio"]
    head = ["slo:sli_bad:rate5m", "slo:sli_total:rate5m", *(f"slo:sli_error:ratio_rate{w}" for w in windows), *meta]
    assert [(g["name"], [r.get("record") or r["alert"] for r in g["rules"]]) for g in groups] == [
        ("api-slo-availability", [*head, "ApiAvailabilityBudgetBurnPage", "ApiAvailabilityBudgetBurnTicket"]),
        ("api-slo-latency", [*head, "ApiLatencyBudgetBurnPage", "ApiLatencyBudgetBurnTicket",
                             "ApiLatencyErrorBudget50PercentSpent", "ApiLatencyErrorBudget90PercentSpent"])]
    slo = make()
    assert groups[0]["rules"] == sli_sample_rules(slo) + sli_window_rules(slo) + metadata_rules(slo) + alert_rules(slo)
    assert list(groups[0]) == ["name", "rules"]


def test_no_slos_no_rule_groups():
    assert rule_groups([]) == []


# ----------------------------------------------------------------------------- warnings


def test_no_warning_when_every_window_can_fire():
    assert warnings_for(make().spec) == []


def test_a_window_needing_more_than_every_event_bad_is_reported_with_its_numbers():
    assert warnings_for(make(objective=80).spec) == [
        "the page alert over 1h needs an error ratio above 288% (burn rate 14.4 x budget 0.2), which can never happen",
        "the page alert over 6h needs an error ratio above 120% (burn rate 6 x budget 0.2), which can never happen"]


def test_a_window_needing_exactly_every_event_bad_is_reported_too():
    assert warnings_for(make(objective=75, period="16h40m").spec) == [
        "the page alert over 5m needs an error ratio above 100% (burn rate 4 x budget 0.25), which can never happen",
        ("the page alert over 8m20s needs an error ratio above 150% (burn rate 6 x budget 0.25), which can never "
         "happen")]


def test_a_loose_objective_warns_on_the_ticket_windows_too():
    assert warnings_for(make(objective=50).spec) == [
        f"the {tier} alert over {w} needs an error ratio above {pct}% (burn rate {f} x budget 0.5), which can never "
        f"happen" for tier, w, pct, f in (("page", "1h", 720, "14.4"), ("page", "6h", 300, "6"),
                                          ("ticket", "1d", 150, "3"))]


# ----------------------------------------------------------------------------- dashboards


def test_the_dashboard_uid_is_slo_and_the_service_within_40_characters():
    assert dashboard_uid("api") == "slo-api"
    assert dashboard_uid("a" * 36) == "slo-" + "a" * 36
    assert dashboard_uid("a" * 37) == "slo-" + "a" * 36
    assert dashboard_uid("a" * 35 + "-b") == "slo-" + "a" * 35  # cut after the dash: no trailing dash
    assert dashboard_uid("a" * 34 + "--b") == "slo-" + "a" * 34


def burn_queries(windows: list[str]) -> list[dict]:
    return [{"expr": f"slo:sli_error:ratio_rate{w}{{{SEL}}} / on (service, slo) slo:error_budget:ratio{{{SEL}}}",
             "legend": w} for w in windows]


def test_the_slo_dashboard_shows_sli_budget_left_and_burn_rate_with_alert_thresholds():
    d = dashboard(ServiceSpec(name="api", team="web"), [make()])
    assert d.model_dump(exclude_defaults=True) == {
        "title": "SLOs: api", "uid": "slo-api", "folder": "SLOs", "team": "web", "tags": ["slo", "api"],
        "panels": [
            {"title": "availability: SLI", "unit": "percentunit", "width": 12,
             "description": "Good share of ratio SLI availability (objective 99.9% over 30d)",
             "queries": [{"expr": f"1 - slo:sli_error:ratio_rate5m{{{SEL}}}", "legend": "SLI (5m)"},
                         {"expr": f"1 - slo:sli_error:ratio_rate1h{{{SEL}}}", "legend": "SLI (1h)"},
                         {"expr": f"slo:objective:ratio{{{SEL}}}", "legend": "objective"}]},
            {"title": "availability: error budget left", "type": "stat", "unit": "percentunit", "width": 4,
             "description": "Share of the 30d error budget not yet spent (objective 99.9% over 30d)",
             "queries": [{"expr": f"slo:period_error_budget_remaining:ratio{{{SEL}}}"}],
             "thresholds": [{"color": "red"}, {"color": "orange", "value": 0.1}, {"color": "green", "value": 0.5}]},
            {"title": "availability: burn rate", "width": 8,
             "description": "Error ratio over each alert window, in multiples of the budget; lines at the alert "
                            "thresholds (1, 3, 6, 14.4)",
             "queries": burn_queries(["5m", "30m", "1h", "2h", "6h", "1d", "3d"]),
             "thresholds": [{"color": "green"}, {"color": "orange", "value": 1.0}, {"color": "orange", "value": 3.0},
                            {"color": "red", "value": 6.0}, {"color": "red", "value": 14.4}]},
        ]}
    # Defaults the dump leaves out, stated: the SLI and burn-rate panels are time series.
    assert [p.type for p in d.panels] == ["timeseries", "stat", "timeseries"]
    assert d.panels[2].unit is None


def test_without_a_1h_window_the_sli_panel_shows_the_first_alert_window():
    d = dashboard(ServiceSpec(name="api", team="web"), [make(period="7d", description="Checkout works")])
    sli = d.panels[0]
    assert sli.description == "Checkout works (objective 99.9% over 7d)"
    assert [(q.expr, q.legend) for q in sli.queries] == [
        (f"1 - slo:sli_error:ratio_rate5m{{{SEL}}}", "SLI (5m)"),
        (f"1 - slo:sli_error:ratio_rate14m{{{SEL}}}", "SLI (14m)"),
        (f"slo:objective:ratio{{{SEL}}}", "objective")]
    assert d.panels[1].description == "Share of the 7d error budget not yet spent (objective 99.9% over 7d)"
    assert [q.legend for q in d.panels[2].queries] == ["5m", "7m", "14m", "28m", "1h24m", "5h36m", "16h48m"]


def test_a_period_that_records_1h_shows_it_on_the_sli_panel():
    d = dashboard(ServiceSpec(name="api", team="web"), [make(period="1h")])
    assert [(q.expr, q.legend) for q in d.panels[0].queries][1] == (
        f"1 - slo:sli_error:ratio_rate1h{{{SEL}}}", "SLI (1h)")


def test_burn_rate_thresholds_are_orange_at_a_tickets_factors_and_red_at_a_pages_for_short_periods():
    d = dashboard(ServiceSpec(name="api", team="web"), [make(period="1d", objective=99)])
    burn = d.panels[2]
    assert burn.description == ("Error ratio over each alert window, in multiples of the budget; lines at the alert "
                                "thresholds (1, 3, 5.76, 6)")
    assert [(t.value, t.color) for t in burn.thresholds] == [
        (None, "green"), (1.0, "orange"), (3.0, "orange"), (5.76, "red"), (6.0, "red")]
    assert [q.legend for q in burn.queries] == ["5m", "12m", "48m", "2h24m"]


def test_a_page_factor_with_more_than_three_decimals_is_still_drawn_red():
    # 90061 s: the first page window floors at 5 minutes, burn rate 6.004066..., the second is 751 s (5.996)
    d = dashboard(ServiceSpec(name="api", team="web"), [make(period="1d1h1m1s", objective=99)])
    assert [(t.value, t.color) for t in d.panels[2].thresholds] == [
        (None, "green"), (1.0, "orange"), (3.0, "orange"), (5.996, "red"), (6.004, "red")]


def test_burn_rate_thresholds_are_drawn_at_the_burn_rates_rounded_as_the_alert_descriptions_give_them():
    d = dashboard(ServiceSpec(name="api", team="web"), [make(period="28d")])
    burn = d.panels[2]
    assert burn.description == ("Error ratio over each alert window, in multiples of the budget; lines at the alert "
                                "thresholds (0.933, 2.8, 5.6, 13.44)")
    assert [(t.value, t.color) for t in burn.thresholds] == [
        (None, "green"), (0.933, "orange"), (2.8, "orange"), (5.6, "red"), (13.44, "red")]


def test_a_service_with_probes_only_gets_a_probes_dashboard_of_its_extra_panels():
    probe = PanelSpec(title="Uptime", queries=[QuerySpec(expr="probe_success")])
    d = dashboard(ServiceSpec(name="api", team="web"), [], extra=(probe,))
    assert (d.title, d.uid, d.folder, d.team, d.tags, d.panels) == (
        "Probes: api", "slo-api", "SLOs", "web", ["probes", "api"], [probe])


def test_slo_panels_come_before_the_probe_panels_in_one_dashboard():
    probe = PanelSpec(title="Uptime", queries=[QuerySpec(expr="probe_success")])
    d = dashboard(ServiceSpec(name="api", team="web"), [make(), make(name="latency")], extra=(probe,))
    assert d.title == "SLOs: api"
    assert d.tags == ["slo", "probes", "api"]
    assert [p.title for p in d.panels] == [
        "availability: SLI", "availability: error budget left", "availability: burn rate",
        "latency: SLI", "latency: error budget left", "latency: burn rate", "Uptime"]
    assert d.panels[3].queries[2].expr == 'slo:objective:ratio{service="api", slo="latency"}'


def test_an_slo_dashboard_without_probes_is_not_tagged_probes():
    d = dashboard(ServiceSpec(name="api", team="web"), [make()])
    assert d.tags == ["slo", "api"]


# ============================================================================= through promtool

HEAD = """\
apiVersion: obsgen/v1
teams: [{name: web, slack: {channel: "#web", api_url_file: /s/web}}]
services:
  - name: api
    team: web
    metrics:
      - {name: http_requests_total, type: counter, help: x, labels: [code]}
      - {name: http_request_duration_seconds, type: histogram, help: x, labels: [code], buckets: [0.1, 0.25, 0.5, 1]}
      - {name: lag_seconds, type: gauge, help: x, labels: [pipeline]}
    slos:
      - name: availability
        objective: 99.9
        period: 30d
        labels: {journey: checkout}
        sli: {ratio: {bad: 'http_requests_total{code=~"5.."}', total: http_requests_total}}
        alerting: {runbook_url: "https://runbooks.example/availability"}
      - name: guarded
        objective: 99.9
        sli: {ratio: {bad: 'http_requests_total{code=~"5.."}', total: http_requests_total}}
        alerting: {min_traffic: 1, runbook_url: "https://runbooks.example/guarded"}
      - name: latency
        objective: 99
        sli: {latency: {histogram: http_request_duration_seconds, threshold: 0.25, matchers: 'code!="404"'}}
        alerting: {runbook_url: "https://runbooks.example/latency"}
      - name: latency-half
        objective: 99
        sli: {latency: {histogram: http_request_duration_seconds, threshold: 0.5}}
        alerting: {runbook_url: "https://runbooks.example/latency"}
      - name: freshness
        objective: 99
        sli: {freshness: {gauge: 'lag_seconds{pipeline="md"}', max: 5}}
        alerting: {runbook_url: "https://runbooks.example/freshness"}
"""

PAGE_LABELS = {"category": "application", "journey": "checkout", "service": "api", "severity": "critical",
               "slo": "availability", "slo_tier": "page", "team": "web"}
PAGE_ANNOTATIONS = {
    "description": "SLO availability of api (99.9% over 30d) is spending its error budget too fast: 2% of the budget "
                   "in 1h (burn rate 14.4, also over 5m); or 5% of the budget in 6h (burn rate 6, also over 30m).",
    "runbook_url": "https://runbooks.example/availability",
    "summary": "api: error budget of SLO availability burning too fast (page)"}
TICKET_ANNOTATIONS = {
    "description": "SLO availability of api (99.9% over 30d) is spending its error budget too fast: 10% of the "
                   "budget in 1d (burn rate 3, also over 2h); or 10% of the budget in 3d (burn rate 1, also over 6h).",
    "runbook_url": "https://runbooks.example/availability",
    "summary": "api: error budget of SLO availability burning too fast (ticket)"}


def build_prom(tmp_path_factory, text: str):
    """The prometheus/ folder of a build of `text`: rules/api.slo.rules.yml and a tests/ folder."""
    project = load_texts({"spec.yaml": text})
    assert project.ok, project.diagnostics
    out = tmp_path_factory.mktemp("slo-rules")
    write_tree(out, generate(project))
    return out / "default" / "prometheus"


@pytest.fixture(scope="module")
def prom(tmp_path_factory):
    return build_prom(tmp_path_factory, HEAD)


# The other SLI forms, in a rule file of their own (every promtool test evaluates every group).
MORE = """\
apiVersion: obsgen/v1
teams: [{name: web, slack: {channel: "#web", api_url_file: /s/web}}]
services:
  - name: api
    team: web
    metrics:
      - {name: http_requests_total, type: counter, help: x, labels: [code]}
      - {name: http_request_duration_seconds, type: histogram, help: x, labels: [code],
         buckets: [0.1, 0.5, 1, 10, 100]}
    slos:
      - name: good-side
        objective: 99.9
        sli: {ratio: {good: 'http_requests_total{code!~"5.."}', total: http_requests_total}}
        alerting: {runbook_url: "https://runbooks.example/good-side"}
      - name: raw
        objective: 99.9
        sli: {raw: {error_ratio: 'sum(rate(http_requests_total{code=~"5.."}[{{window}}]))
                                  / sum(rate(http_requests_total[{{ window }}]))'}}
        alerting: {runbook_url: "https://runbooks.example/raw"}
      - name: latency-1s
        objective: 99
        sli: {latency: {histogram: http_request_duration_seconds, threshold: 1}}
        alerting: {runbook_url: "https://runbooks.example/latency-1s"}
"""


@pytest.fixture(scope="module")
def prom_more(tmp_path_factory):
    return build_prom(tmp_path_factory, MORE)


def page_of(slo: str, objective: str = "99.9") -> tuple[dict, dict]:
    """The labels and annotations of the page of an SLO of MORE (defaults but the runbook)."""
    return ({"category": "application", "service": "api", "severity": "critical", "slo": slo, "slo_tier": "page",
             "team": "web"},
            {"description": f"SLO {slo} of api ({objective}% over 30d) is spending its error budget too fast: 2% of "
                            "the budget in 1h (burn rate 14.4, also over 5m); or 5% of the budget in 6h (burn rate "
                            "6, also over 30m).",
             "runbook_url": f"https://runbooks.example/{slo}",
             "summary": f"api: error budget of SLO {slo} burning too fast (page)"})


def counter(per_minute: list[float]) -> str:
    """A counter's samples, one a minute from 0: each minute adds its events."""
    values, total = [0.0], 0.0
    for n in per_minute:
        total += n
        values.append(total)
    return " ".join(fmt_number(v) for v in values)


def requests(*segments: tuple[int, float, float]) -> list[dict]:
    """http_requests_total by code for (minutes, requests per second, error ratio) segments."""
    ok, bad = [], []
    for minutes, rps, errors in segments:
        ok += [rps * 60 * (1 - errors)] * minutes
        bad += [rps * 60 * errors] * minutes
    return [{"series": 'http_requests_total{code="200"}', "values": counter(ok)},
            {"series": 'http_requests_total{code="500"}', "values": counter(bad)}]


def promtool_test(prom, name: str, tests: list[dict]) -> None:
    """Write `tests` as a promtool unit-test file against the generated SLO rules and run it."""
    (prom / "tests").mkdir(exist_ok=True)
    path = prom / "tests" / f"{name}.yml"
    path.write_text(json.dumps({"rule_files": ["../rules/api.slo.rules.yml"], "evaluation_interval": "1m",
                                "tests": tests}, indent=1))
    result = subprocess.run(["promtool", "test", "rules", f"tests/{name}.yml"], cwd=prom, capture_output=True,
                            text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def alert(name: str, at: str, *firing: tuple[dict, dict]) -> dict:
    return {"eval_time": at, "alertname": name,
            "exp_alerts": [{"exp_labels": labels, "exp_annotations": annotations} for labels, annotations in firing]}


def quiet(name: str, *times: str) -> list[dict]:
    return [alert(name, t) for t in times]


@needs("promtool")
@pytest.mark.parametrize("fixture", ["prom", "prom_more"])
def test_the_generated_slo_rules_pass_promtool_check(fixture, request):
    folder = request.getfixturevalue(fixture)
    result = subprocess.run(["promtool", "check", "rules", "rules/api.slo.rules.yml"], cwd=folder,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    rules = YAML(typ="safe").load((folder / "rules" / "api.slo.rules.yml").read_text())
    assert f"SUCCESS: {sum(len(g['rules']) for g in rules['groups'])} rules found" in result.stdout


@needs("promtool")
def test_a_full_outage_pages_within_5_minutes_and_not_before(prom):
    # An hour of healthy traffic at 100 requests/s, then every request fails from minute 60.
    promtool_test(prom, "full-outage", [{
        "interval": "1m", "input_series": requests((60, 100, 0), (20, 100, 1)),
        "alert_rule_test": [
            *quiet("ApiAvailabilityBudgetBurnPage", "30m", "60m"),
            alert("ApiAvailabilityBudgetBurnPage", "65m", (PAGE_LABELS, PAGE_ANNOTATIONS)),
            alert("ApiAvailabilityBudgetBurnPage", "80m", (PAGE_LABELS, PAGE_ANNOTATIONS)),
        ]}])


@needs("promtool")
def test_the_page_resolves_within_the_short_window_after_recovery_though_the_1h_ratio_is_still_high(prom):
    # Six healthy hours (so that the 6h window holds mostly good traffic), then 30 minutes at 5%
    # errors (a burn rate of 50), then healthy again. Ten minutes after recovery the 1h error ratio
    # is still 2.5%, above the 1.44% page threshold, but the 5m one is 0: the page must be gone,
    # as it would not be if only the long window were checked.
    sel = 'service="api", slo="availability", journey="checkout"'
    promtool_test(prom, "recovery", [{
        "interval": "1m", "input_series": requests((360, 100, 0), (30, 100, 0.05), (30, 100, 0)),
        "alert_rule_test": [
            *quiet("ApiAvailabilityBudgetBurnPage", "360m", "370m"),
            alert("ApiAvailabilityBudgetBurnPage", "385m", (PAGE_LABELS, PAGE_ANNOTATIONS)),
            alert("ApiAvailabilityBudgetBurnPage", "390m", (PAGE_LABELS, PAGE_ANNOTATIONS)),
            *quiet("ApiAvailabilityBudgetBurnPage", "397m", "400m", "410m"),
        ],
        "promql_expr_test": [
            {"expr": f"slo:sli_error:ratio_rate1h{{{sel}}} > bool 0.0144", "eval_time": "400m",
             "exp_samples": [{"labels": '{journey="checkout", service="api", slo="availability"}', "value": 1}]},
            {"expr": f"slo:sli_error:ratio_rate5m{{{sel}}}", "eval_time": "400m",
             "exp_samples": [{"labels": 'slo:sli_error:ratio_rate5m{journey="checkout", service="api", '
                                        'slo="availability"}', "value": 0}]},
            {"expr": f"slo:sli_error:ratio_rate6h{{{sel}}} < bool 0.006", "eval_time": "390m",
             "exp_samples": [{"labels": '{journey="checkout", service="api", slo="availability"}', "value": 1}]},
        ]}])


@needs("promtool")
def test_a_slow_burn_opens_a_ticket_and_never_pages(prom):
    # 0.2% errors, twice the budget, for 7 hours: the 3d/6h ticket (threshold 0.1%) opens, the
    # pages (1.44% and 0.6%) and the 1d/2h ticket (0.3%) never fire.
    ticket = ({**PAGE_LABELS, "severity": "warning", "slo_tier": "ticket"}, TICKET_ANNOTATIONS)
    promtool_test(prom, "slow-burn", [{
        "interval": "1m", "input_series": requests((420, 100, 0.002)),
        "alert_rule_test": [
            alert("ApiAvailabilityBudgetBurnTicket", "1h", ticket),
            alert("ApiAvailabilityBudgetBurnTicket", "6h30m", ticket),
            *quiet("ApiAvailabilityBudgetBurnPage", "10m", "1h", "3h", "6h30m", "7h"),
        ]}])


@needs("promtool")
def test_slos_counting_good_events_or_given_as_raw_queries_page_on_a_full_outage(prom_more):
    promtool_test(prom_more, "other-slis", [
        {"interval": "1m", "input_series": requests((60, 100, 0), (20, 100, 1)),
         "alert_rule_test": [*quiet("ApiGoodSideBudgetBurnPage", "30m", "60m"),
                             alert("ApiGoodSideBudgetBurnPage", "65m", page_of("good-side")),
                             *quiet("ApiRawBudgetBurnPage", "30m", "60m"),
                             alert("ApiRawBudgetBurnPage", "65m", page_of("raw"))]},
        # Errors at half the budget's rate: nothing fires, and half the budget is left.
        {"interval": "1m", "input_series": requests((120, 100, 0.0005)),
         "alert_rule_test": [*quiet("ApiGoodSideBudgetBurnPage", "1h", "2h"),
                             *quiet("ApiGoodSideBudgetBurnTicket", "1h", "2h"),
                             *quiet("ApiRawBudgetBurnPage", "1h", "2h"),
                             *quiet("ApiRawBudgetBurnTicket", "1h", "2h")],
         "promql_expr_test": [
             {"expr": "count(slo:period_error_budget_remaining:ratio > 0.45 < 0.55)", "eval_time": "2h",
              "exp_samples": [{"labels": "{}", "value": 2}]}]},
    ])


@needs("promtool")
def test_a_slo_counting_good_events_pages_on_an_outage_where_no_good_series_exists(prom_more):
    # A process restarted into an outage creates its labelled series on their first event: only the
    # errors' series exists. `total - good` must read the missing good events as none, not as no data.
    errors_only = [{"series": 'http_requests_total{code="500"}', "values": counter([6000.0] * 70)}]
    promtool_test(prom_more, "errors-only", [
        {"interval": "1m", "input_series": errors_only,
         "alert_rule_test": [alert("ApiGoodSideBudgetBurnPage", "10m", page_of("good-side"))],
         "promql_expr_test": [ratio5m("good-side", "10m", 1)]},
    ])


@needs("promtool")
def test_errors_are_weighed_by_requests_so_a_few_failures_at_low_traffic_do_not_page(prom_more):
    # An hour at 100 requests/s, then 10 minutes at 1 request/s, every one failing: 600 bad
    # requests out of 300,600 in the last hour (0.2%), under the 1.44% page threshold, though
    # the 5m ratio is 100%. An average of 5m ratios over the hour would be about 10% and page.
    promtool_test(prom_more, "low-traffic", [
        {"interval": "1m", "input_series": requests((60, 100, 0), (10, 1, 1)),
         "alert_rule_test": quiet("ApiGoodSideBudgetBurnPage", "65m", "70m") + quiet(
             "ApiRawBudgetBurnPage", "65m", "70m"),
         "promql_expr_test": [ratio5m("good-side", "70m", 1), ratio5m("raw", "70m", 1)]},
    ])


@needs("promtool")
def test_a_1s_latency_threshold_reads_the_1s_bucket_and_never_the_100s_one(prom_more):
    # le="1" must match "1", "1.0"... but not "100" or "1000": the dots of the bucket regex are escaped.
    bounds = ("0.1", "0.5", "1", "10", "100", "+Inf")
    promtool_test(prom_more, "latency-1s", [
        {"interval": "1m", "input_series": histogram({}, {"10": 6000}, 30, bounds=bounds),  # 5 s requests
         "alert_rule_test": [alert("ApiLatency1sBudgetBurnPage", "10m", page_of("latency-1s", "99"))],
         "promql_expr_test": [ratio5m("latency-1s", "10m", 1)]},
        {"interval": "1m", "input_series": histogram({"1": "1.0"}, {"1": 6000}, 30, bounds=bounds),  # 0.8 s
         "alert_rule_test": quiet("ApiLatency1sBudgetBurnPage", "10m", "30m"),
         "promql_expr_test": [ratio5m("latency-1s", "10m", 0)]},
    ])


@needs("promtool")
def test_healthy_traffic_fires_nothing(prom):
    promtool_test(prom, "healthy", [{
        "interval": "1m", "input_series": requests((120, 100, 0.0005)),
        "alert_rule_test": [*quiet("ApiAvailabilityBudgetBurnPage", "30m", "2h"),
                            *quiet("ApiAvailabilityBudgetBurnTicket", "30m", "2h")]}])


GUARDED = ({"category": "application", "service": "api", "severity": "critical", "slo": "guarded",
            "slo_tier": "page", "team": "web"},
           {"description": "SLO guarded of api (99.9% over 30d) is spending its error budget too fast: 2% of the "
                           "budget in 1h (burn rate 14.4, also over 5m); or 5% of the budget in 6h (burn rate 6, "
                           "also over 30m).",
            "runbook_url": "https://runbooks.example/guarded",
            "summary": "api: error budget of SLO guarded burning too fast (page)"})


@needs("promtool")
def test_min_traffic_keeps_an_outage_at_night_from_paging_but_not_one_at_day(prom):
    # min_traffic 1/s: an outage at 0.5 requests/s pages the unguarded SLO only; at 2/s, both.
    promtool_test(prom, "min-traffic", [
        {"interval": "1m", "input_series": requests((60, 0.5, 0), (30, 0.5, 1)),
         "alert_rule_test": [
             alert("ApiAvailabilityBudgetBurnPage", "75m", (PAGE_LABELS, PAGE_ANNOTATIONS)),
             *quiet("ApiGuardedBudgetBurnPage", "65m", "75m", "90m")]},
        {"interval": "1m", "input_series": requests((60, 2, 0), (30, 2, 1)),
         "alert_rule_test": [alert("ApiGuardedBudgetBurnPage", "75m", GUARDED),
                             alert("ApiGuardedBudgetBurnPage", "90m", GUARDED)]},
        {"interval": "1m", "input_series": requests((60, 1, 0), (30, 1, 1)),  # exactly min_traffic pages
         "alert_rule_test": [alert("ApiGuardedBudgetBurnPage", "75m", GUARDED)]},
    ])


def histogram(le_spellings: dict[str, str], per_minute: dict[str, float], minutes: int, code: str = "200",
              bounds: tuple[str, ...] = ("0.1", "0.25", "0.5", "1", "+Inf")):
    """Histogram series of one code: `per_minute` requests a minute in each bucket bound (by its
    float value, "+Inf" for the rest), the `le` labels spelled as `le_spellings` says."""
    series, cumulative = [], 0.0
    for bound in bounds:
        cumulative += per_minute.get(bound, 0.0)
        le = le_spellings.get(bound, bound)
        series.append({"series": f'http_request_duration_seconds_bucket{{code="{code}", le="{le}"}}',
                       "values": counter([cumulative] * minutes)})
    series.append({"series": f'http_request_duration_seconds_count{{code="{code}"}}',
                   "values": counter([cumulative] * minutes)})
    return series


def latency_page(slo: str) -> tuple[dict, dict]:
    return ({"category": "application", "service": "api", "severity": "critical", "slo": slo, "slo_tier": "page",
             "team": "web"},
            {"description": f"SLO {slo} of api (99% over 30d) is spending its error budget too fast: 2% of the "
                            "budget in 1h (burn rate 14.4, also over 5m); or 5% of the budget in 6h (burn rate 6, "
                            "also over 30m).",
             "runbook_url": "https://runbooks.example/latency",
             "summary": f"api: error budget of SLO {slo} burning too fast (page)"})


def ratio5m(slo: str, at: str, value: float) -> dict:
    return {"expr": f'slo:sli_error:ratio_rate5m{{slo="{slo}"}}', "eval_time": at,
            "exp_samples": [{"labels": f'slo:sli_error:ratio_rate5m{{service="api", slo="{slo}"}}', "value": value}]}


@needs("promtool")
def test_a_latency_slo_pages_when_requests_are_slower_than_its_threshold_and_not_otherwise(prom):
    promtool_test(prom, "latency", [
        # Every request takes 0.1 s or less: nothing is bad.
        {"interval": "1m", "input_series": histogram({}, {"0.1": 6000}, 90),
         "alert_rule_test": quiet("ApiLatencyBudgetBurnPage", "30m", "90m"),
         "promql_expr_test": [ratio5m("latency", "30m", 0), ratio5m("latency-half", "30m", 0)]},
        # Every request takes between 0.5 and 1 s: both latency SLOs page.
        {"interval": "1m", "input_series": histogram({}, {"1": 6000}, 30),
         "alert_rule_test": [alert("ApiLatencyBudgetBurnPage", "10m", latency_page("latency")),
                             alert("ApiLatencyHalfBudgetBurnPage", "10m", latency_page("latency-half"))],
         "promql_expr_test": [ratio5m("latency", "10m", 1), ratio5m("latency-half", "10m", 1)]},
        # Slow requests that the SLO's matchers leave out (404s) do not count.
        {"interval": "1m", "input_series": histogram({}, {"0.1": 6000}, 30)
                                           + histogram({}, {"+Inf": 6000}, 30, code="404"),
         "alert_rule_test": [*quiet("ApiLatencyBudgetBurnPage", "10m", "30m"),
                             alert("ApiLatencyHalfBudgetBurnPage", "10m", latency_page("latency-half"))],
         "promql_expr_test": [ratio5m("latency", "10m", 0)]},
    ])


@needs("promtool")
def test_a_latency_slo_finds_its_bucket_whichever_way_the_client_spells_the_bound(prom):
    # Buckets written "0.250" and "0.50", requests of 0.3 s: the 0.25 s SLO sees all of them bad and
    # pages; the 0.5 s SLO sees all of them good. Were a spelling missed, the SLI would have no data.
    spelled = {"0.25": "0.250", "0.5": "0.50"}
    promtool_test(prom, "latency-spelling", [
        {"interval": "1m", "input_series": histogram(spelled, {"0.5": 6000}, 30),
         "alert_rule_test": [alert("ApiLatencyBudgetBurnPage", "10m", latency_page("latency")),
                             *quiet("ApiLatencyHalfBudgetBurnPage", "10m", "30m")],
         "promql_expr_test": [ratio5m("latency", "10m", 1), ratio5m("latency-half", "10m", 0)]},
        {"interval": "1m", "input_series": histogram({"0.25": "0.25", "0.5": "0.500"}, {"0.5": 6000}, 30),
         "promql_expr_test": [ratio5m("latency", "10m", 1), ratio5m("latency-half", "10m", 0)]},
    ])


FRESHNESS = ({"category": "application", "service": "api", "severity": "critical", "slo": "freshness",
              "slo_tier": "page", "team": "web"},
             {"description": "SLO freshness of api (99% over 30d) is spending its error budget too fast: 2% of the "
                             "budget in 1h (burn rate 14.4, also over 5m); or 5% of the budget in 6h (burn rate 6, "
                             "also over 30m).",
              "runbook_url": "https://runbooks.example/freshness",
              "summary": "api: error budget of SLO freshness burning too fast (page)"})


@needs("promtool")
def test_a_freshness_slo_pages_on_a_stale_pipeline_and_accepts_a_lag_up_to_its_maximum(prom):
    gauge = 'lag_seconds{pipeline="md"}'
    promtool_test(prom, "freshness", [
        # Lag at exactly the maximum (5 s) is good: no alert in two hours.
        {"interval": "1m", "input_series": [{"series": gauge, "values": "5x120"}],
         "alert_rule_test": quiet("ApiFreshnessBudgetBurnPage", "30m", "2h"),
         "promql_expr_test": [ratio5m("freshness", "1h", 0)]},
        # 30 fresh minutes, then the pipeline stalls: lag 100 s.
        {"interval": "1m", "input_series": [{"series": gauge, "values": "1x30 100x30"}],
         "alert_rule_test": [*quiet("ApiFreshnessBudgetBurnPage", "30m"),
                             alert("ApiFreshnessBudgetBurnPage", "40m", FRESHNESS),
                             alert("ApiFreshnessBudgetBurnPage", "60m", FRESHNESS)],
         "promql_expr_test": [
             ratio5m("freshness", "60m", 1),
             # Two minutes into the stall the 5m ratio is the stale share of the last 5 minutes,
             # neither the fresh 0 before nor the 1 of a pipeline stale the whole window.
             {"expr": 'count(slo:sli_error:ratio_rate5m{slo="freshness"} > 0 < 1)', "eval_time": "32m",
              "exp_samples": [{"labels": "{}", "value": 1}]}]},
    ])


def test_the_rule_file_has_one_group_per_slo_in_name_order(prom):
    rules = YAML(typ="safe").load((prom / "rules" / "api.slo.rules.yml").read_text())
    assert [g["name"] for g in rules["groups"]] == [
        "api-slo-availability", "api-slo-freshness", "api-slo-guarded", "api-slo-latency", "api-slo-latency-half"]
