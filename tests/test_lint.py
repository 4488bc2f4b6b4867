"""Lint (OBS050-062): each check fires, where it should, on a spec that has the problem, and stays
quiet on the same spec without it; the seeds' own mistakes are found; findings can be silenced."""
from __future__ import annotations

import json

import promql_parser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from obsgen.api import load_texts
from obsgen.check import lint
from obsgen.core.diagnostics import Severity
from obsgen.core.routes import match_routes
from obsgen.targets.alertmanager import config

TEAM = """\
  - name: web
    slack: {channel: "#web", api_url_file: /s/slack-web}
    pagerduty: {routing_key_file: /s/pd-web}
    email: {to: web@example.com}
"""
CATALOG = """\
      - {name: http_requests_total, type: counter, help: Requests., labels: [code, route]}
      - {name: http_request_duration_seconds, type: histogram, help: Latency., labels: [route]}
      - {name: queue_depth, type: gauge, help: Jobs waiting., labels: [queue]}
      - {name: rpc_seconds, type: summary, help: RPC latency.}
"""


def q(text: str) -> str:
    """A YAML (JSON) string: where the diagnostics of an expression point."""
    return json.dumps(text)


def alert(expr: str, name: str = "Checked", **fields) -> str:
    body = {"name": name, "expr": expr, "severity": "warning", "summary": "s", "description": "d", **fields}
    return "      - {" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in body.items()) + "}\n"


def spec(alerts: str = "", service: str = "", top: str = "", teams: str = TEAM, routing: str = "",
         scrape: str = '{static: ["api:8000"]}') -> str:
    return (
        "apiVersion: obsgen/v1\n"
        f"teams:\n{teams}"
        "routing:\n  default_team: web\n  smtp: {smarthost: \"smtp:25\", from: am@example.com}\n" + routing +
        "services:\n  - name: api\n    team: web\n"
        f"    scrape: {scrape}\n"
        f"    metrics:\n{CATALOG}"
        + (f"    alerts:\n{alerts}" if alerts else "") + service + top)


def at(text: str, needle: str, nth: int = 0) -> str:
    """line:col of the `nth` occurrence of `needle` in `text`."""
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    line = text.count("\n", 0, i) + 1
    return f"{line}:{i - (text.rfind(chr(10), 0, i) + 1) + 1}"


def found(text: str, code: str) -> list[str]:
    """`line:col` of each diagnostic with `code`; the spec must otherwise be fine."""
    project = load_texts({"spec.yaml": text})
    others = [d for d in project.diagnostics if d.code < "OBS050" and d.severity is Severity.ERROR]
    assert not others, others
    return [f"{d.pos.line}:{d.pos.col}" for d in project.diagnostics if d.code == code]


def diagnostics(text: str, code: str):
    return [d for d in load_texts({"spec.yaml": text}).diagnostics if d.code == code]


def test_a_clean_spec_has_no_lint_findings():
    text = spec(alert("sum(rate(http_requests_total{code=~\"5..\"}[5m])) / sum(rate(http_requests_total[5m])) > 0.05",
                      severity="critical", runbook_url="https://runbooks.example.com/errors", **{"for": "5m"}))
    project = load_texts({"spec.yaml": text})
    assert [d for d in project.diagnostics if d.code >= "OBS050"] == []


def test_a_critical_alert_without_for_is_warned_and_a_dead_mans_switch_is_not():
    text = spec(alert("up == 0", severity="critical", runbook_url="https://r.example.com/x"))
    [d] = diagnostics(text, "OBS066")
    assert d.severity is Severity.WARNING and "pages on the first evaluation" in d.message
    assert found(spec(alert("up == 0", severity="critical", runbook_url="https://r", **{"for": "2m"})), "OBS066") == []
    watchdog = spec(alert("vector(1)", name="Watchdog", severity="critical", runbook_url="https://r"))
    assert found(watchdog, "OBS066") == [] and found(watchdog, "OBS055") == []


# ----------------------------------------------------------------------------- OBS077

BUCKETED = CATALOG.replace("labels: [route]}", "labels: [route], buckets: [0.1, 0.5, 1, 2.5]}")
P99 = "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))"


def test_a_quantile_threshold_at_the_last_finite_bucket_never_fires_and_is_reported_at_the_alert():
    expr = f"{P99} > 2.5"
    text = spec(alert(expr)).replace(CATALOG, BUCKETED)
    [d] = diagnostics(text, "OBS077")
    assert (f"{d.pos.line}:{d.pos.col}", d.severity) == (at(text, q(expr)), Severity.WARNING)
    assert d.message == ("alert Checked (service api): histogram_quantile() > 2.5 can never be true: the buckets of "
                         "`http_request_duration_seconds_bucket` end at le=2.5, and a quantile above the last finite "
                         "bucket reads as that bound, so the alert never fires")
    assert d.hint == "add a bucket above 2.5 to the histogram's `buckets` (and to its instrumentation), or alert below 2.5"


@pytest.mark.parametrize("expr", [f"{P99} > 1", f"{P99} >= 2.5", f"2 < {P99}", f"{P99} > bool 3"])
def test_a_quantile_threshold_a_bucket_can_reach_is_not_reported(expr):
    assert found(spec(alert(expr)).replace(CATALOG, BUCKETED), "OBS077") == []


def test_a_quantile_threshold_of_a_histogram_without_declared_buckets_is_not_judged():
    assert found(spec(alert(f"{P99} > 100")), "OBS077") == []


# ----------------------------------------------------------------------------- OBS050

def test_a_metric_nothing_exports_is_reported_with_a_did_you_mean():
    expr = "queue_depht > 10"
    text = spec(alert(expr))
    [d] = diagnostics(text, "OBS050")
    assert f"{d.pos.line}:{d.pos.col}" == at(text, q(expr))
    assert "queue_depht" in d.message and d.hint == "did you mean `queue_depth`?"
    assert d.severity is Severity.WARNING


@pytest.mark.parametrize("expr", [
    "sum(rate(http_request_duration_seconds_bucket[5m])) > 1",  # a histogram's three series
    "rate(http_request_duration_seconds_sum[5m]) / rate(http_request_duration_seconds_count[5m]) > 1",
    "rpc_seconds{quantile=\"0.99\"} > 1",  # a summary's quantiles and its _sum
    "rate(rpc_seconds_sum[5m]) > 1",
    "up == 0", "ALERTS{alertstate=\"firing\"} > 0", "scrape_duration_seconds > 5",  # Prometheus's own
    "process_resident_memory_bytes > 1e9", "rate(go_gc_duration_seconds_count[5m]) > 1",  # client libraries
    "{__name__=~\"anything_.*\"} > 1",  # no metric name to look up
])
def test_series_the_spec_accounts_for_are_not_reported(expr):
    assert found(spec(alert(expr)), "OBS050") == []


def test_an_exporters_series_are_known_only_when_a_service_declares_that_exporter():
    expr = "node_load1 > 4"
    assert found(spec(alert(expr)), "OBS050") == [at(spec(alert(expr)), q(expr))]
    exporter = "  - name: nodes\n    team: web\n    scrape: {exporter: {kind: node, targets: [host-1]}}\n"
    assert found(spec(alert(expr), top=exporter), "OBS050") == []


def test_recording_rules_and_slo_rules_produce_series():
    rules = ("    recording_rules:\n"
             "      - {record: \"job:http_requests:rate5m\", expr: \"sum by (job) (rate(http_requests_total[5m]))\"}\n"
             "    slos:\n"
             "      - {name: avail, objective: 99.9, sli: {ratio: {bad: 'http_requests_total{code=~\"5..\"}', "
             "total: http_requests_total}}, alerting: {runbook_url: \"https://r.example.com/a\"}}\n")
    text = spec(alert("job:http_requests:rate5m > 100") + alert("slo:sli_error:ratio_rate1h > 0.01", "SloRatio"),
                rules)
    assert found(text, "OBS050") == []


def test_a_histograms_own_name_is_not_a_series():
    [d] = diagnostics(spec(alert("http_request_duration_seconds > 1")), "OBS050")
    assert "http_request_duration_seconds_bucket" in d.hint


# ----------------------------------------------------------------------------- OBS051

@pytest.mark.parametrize("expr, label", [
    ("sum(rate(http_requests_total{status=~\"5..\"}[5m])) > 1", "status"),  # matcher
    ("sum by (endpoint) (rate(http_requests_total[5m])) > 1", "endpoint"),  # by
    ("sum without (pod_name) (queue_depth) > 1", "pod_name"),  # without
    ("sum(queue_depth) / on (queue) sum by (queue) (queue_depth) > 1", "queue"),  # on: the left has no queue
    ("rate(http_requests_total[5m]) * on (instance) group_left (tier) max by (instance) (queue_depth) > 1",
     "tier"),
    ("histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_count[5m]))) > 1", "le"),
])
def test_labels_a_metric_cannot_have_are_reported(expr, label):
    text = spec(alert(expr))
    ds = diagnostics(text, "OBS051")
    assert [f"{d.pos.line}:{d.pos.col}" for d in ds] == [at(text, q(expr))]
    assert f"`{label}`" in ds[0].message


@pytest.mark.parametrize("expr", [
    "sum by (instance, job) (rate(http_requests_total{route=\"/\"}[5m])) > 1",  # target labels
    "sum by (le) (rate(http_request_duration_seconds_bucket[5m])) > 1",  # le on buckets
    "rpc_seconds{quantile=\"0.5\"} > 1",  # quantile on a summary
    "sum by (svc) (label_replace(queue_depth, \"svc\", \"$1\", \"queue\", \"(.*)\")) > 1",  # made by label_replace
    "sum by (x) (node_vmstat_nr_frozen_widgets) > 1",  # a run-time vmstat field: its labels are not known
    "queue_depth{env=\"\"} > 1",  # testing that a label is absent
    "sum by (queue) (queue_depth) / on (queue) group_left sum by (queue) (queue_depth) > 1",
])
def test_labels_the_series_can_have_or_that_cannot_be_known_are_not_reported(expr):
    # node_load1's labels are known from node_exporter's catalog: `sum by (x) (node_load1)` is reported.
    exporter = "  - name: nodes\n    team: web\n    scrape: {exporter: {kind: node, targets: [host-1]}}\n"
    assert found(spec(alert(expr), top=exporter), "OBS051") == []


def test_kubernetes_discovery_labels_and_scrape_labels_are_target_labels():
    expr = "sum by (namespace, pod, kubernetes_service, shard) (queue_depth) > 1"
    scrape = "{kubernetes: {role: endpoints, selector: {app: api}}, labels: {shard: a}}"
    assert found(spec(alert(expr), scrape=scrape), "OBS051") == []
    assert len(found(spec(alert(expr)), "OBS051")) == 4  # static targets have none of them


def test_a_recording_rules_labels_are_what_its_expression_keeps():
    rules = ("    recording_rules:\n      - {record: \"route:http_requests:rate5m\", "
             "expr: \"sum by (route) (rate(http_requests_total[5m]))\", labels: {tier: gold}}\n")
    ok = "route:http_requests:rate5m{route=\"/\", tier=\"gold\"} > 1"
    bad = "route:http_requests:rate5m{code=\"500\"} > 1"
    assert found(spec(alert(ok), rules), "OBS051") == []
    text = spec(alert(bad), rules)
    assert found(text, "OBS051") == [at(text, q(bad))]


# ----------------------------------------------------------------------------- OBS052

def test_a_counter_compared_raw_is_a_warning_with_a_hint():
    expr = "http_requests_total offset 1h > http_requests_total * 3"
    text = spec(alert(expr))
    [d] = diagnostics(text, "OBS052")
    assert f"{d.pos.line}:{d.pos.col}" == at(text, q(expr))
    assert d.severity is Severity.WARNING and "compared (`>`)" in d.message and "rate(" in d.hint


@pytest.mark.parametrize("expr", [
    "delta(http_requests_total[5m]) > 1",  # takes a restart for a fall
    "max_over_time(http_request_duration_seconds_count[1h]) > 1",
    "histogram_quantile(0.9, http_request_duration_seconds_bucket) > 1",  # the lifetime distribution
])
def test_a_declared_counter_read_as_a_level_is_an_error(expr):
    assert [d.severity for d in diagnostics(spec(alert(expr)), "OBS052")] == [Severity.ERROR]


@pytest.mark.parametrize("expr", [
    "http_requests_total",  # returned as is (also OBS055)
    "sum(http_requests_total) > 100",
    "http_requests_total > 0",  # has it ever happened since the process started
    "queue_depth > 10 or http_requests_total",  # `or` returns its right-hand side's series too
    "delta(cloudwatch_requests_total[5m]) > 1",  # no catalog says it is a counter: its name is no proof
])
def test_raw_values_that_may_be_meant_are_warnings(expr):
    assert [d.severity for d in diagnostics(spec(alert(expr)), "OBS052")] == [Severity.WARNING]


@pytest.mark.parametrize("expr", [
    "sum(rate(http_requests_total[5m])) > 1", "sum(increase(http_requests_total[1h])) > 1",
    "count(http_requests_total) > 10", "absent(http_requests_total)", "changes(http_requests_total[5m]) > 0",
    "rate(http_requests_total[5m]) > 0 and http_requests_total", "queue_depth > 10",
    "rate(http_requests_total[5m]) > 0 unless http_requests_total",  # a set operator filters, computes nothing
    "time() - timestamp(http_requests_total) > 300",
])
def test_counters_read_through_rates_or_existence_are_fine(expr):
    assert found(spec(alert(expr)), "OBS052") == []


def test_rate_over_a_gauge_is_a_warning():
    expr = "rate(queue_depth[5m]) > 1"
    text = spec(alert(expr))
    [d] = diagnostics(text, "OBS052")
    assert d.severity is Severity.WARNING and f"{d.pos.line}:{d.pos.col}" == at(text, q(expr))
    assert found(spec(alert("deriv(queue_depth[5m]) > 1")), "OBS052") == []


# ----------------------------------------------------------------------------- OBS053

@pytest.mark.parametrize("expr, words", [
    ("histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_count[5m]))) > 1", "not a histogram"),
    ("histogram_quantile(0.95, rate(rpc_seconds_sum[5m])) > 1", "not a histogram"),
    ("histogram_quantile(0.95, sum by (route) (rate(http_request_duration_seconds_bucket[5m]))) > 1",
     "`sum by (route)` drops it"),
    ("histogram_quantile(0.95, sum without (le) (rate(http_request_duration_seconds_bucket[5m]))) > 1", "drops it"),
    ("histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m]))) > 1", "`sum` drops it"),
])
def test_histogram_quantile_needs_bucket_series_that_keep_le(expr, words):
    text = spec(alert(expr))
    [d] = diagnostics(text, "OBS053")
    assert d.severity is Severity.ERROR and words in d.message
    assert f"{d.pos.line}:{d.pos.col}" == at(text, q(expr))


@pytest.mark.parametrize("expr", [
    "histogram_quantile(0.95, sum by (route, le) (rate(http_request_duration_seconds_bucket[5m]))) > 1",
    "histogram_quantile(0.95, rate(http_request_duration_seconds_bucket[5m])) > 1",
    "histogram_quantile(0.95, sum(rate(native_request_seconds[5m]))) > 1",  # unknown: maybe a native histogram
])
def test_histogram_quantile_over_buckets_with_le_is_fine(expr):
    assert found(spec(alert(expr)), "OBS053") == []


def test_a_recorded_histogram_needs_le_in_its_labels():
    rules = ("    recording_rules:\n"
             "      - {record: \"route:latency_bucket:rate5m\", "
             "expr: \"sum by (route, le) (rate(http_request_duration_seconds_bucket[5m]))\"}\n"
             "      - {record: \"route:latency:rate5m\", "
             "expr: \"sum by (route) (rate(http_request_duration_seconds_bucket[5m]))\"}\n")
    good = "histogram_quantile(0.9, route:latency_bucket:rate5m) > 1"
    bad = "histogram_quantile(0.9, route:latency:rate5m) > 1"
    text = spec(alert(good) + alert(bad, "Other"), rules)
    assert found(text, "OBS053") == [at(text, q(bad))]


# ----------------------------------------------------------------------------- OBS054

def test_a_range_shorter_than_two_scrape_intervals_is_reported():
    expr = "sum(rate(http_requests_total[20s])) > 1"
    text = spec(alert(expr))
    [d] = diagnostics(text, "OBS054")
    assert f"{d.pos.line}:{d.pos.col}" == at(text, q(expr)) and "[20s]" in d.message and "[30s]" in d.hint
    assert found(spec(alert("sum(rate(http_requests_total[30s])) > 1")), "OBS054") == []


def test_the_range_is_judged_against_the_services_own_interval():
    scrape = '{static: ["api:8000"], interval: 1m}'
    expr = "sum(rate(http_requests_total[1m])) > 1"
    text = spec(alert(expr), scrape=scrape)
    assert found(text, "OBS054") == [at(text, q(expr))]
    assert found(spec(alert("sum(rate(http_requests_total[2m])) > 1"), scrape=scrape), "OBS054") == []


def test_subqueries_need_two_steps_and_grafana_intervals_are_fine():
    expr = "max_over_time(sum(queue_depth)[1m:45s]) > 1"
    text = spec(alert(expr))
    assert found(text, "OBS054") == [at(text, q(expr))]
    board = ("dashboards:\n  - title: D\n    panels:\n      - {title: P, queries: [{expr: "
             "'sum(rate(http_requests_total[$__rate_interval]))'}, {expr: 'sum(rate(http_requests_total[5s]))'}, "
             "{expr: 'max_over_time(sum(queue_depth)[1h:$__interval])'}]}\n")
    text = spec(top=board)
    assert found(text, "OBS054") == [at(text, "'sum(rate(http_requests_total[5s]))'")]


# ----------------------------------------------------------------------------- OBS055

@pytest.mark.parametrize("expr", ["queue_depth", "sum(queue_depth) > bool 10", "(queue_depth > 10) or vector(0)",
                                  "sum by (queue) (queue_depth) * 2"])
def test_an_alert_without_a_condition_always_fires(expr):
    text = spec(alert(expr))
    [d] = diagnostics(text, "OBS055")
    assert d.severity is Severity.ERROR and f"{d.pos.line}:{d.pos.col}" == at(text, q(expr))


@pytest.mark.parametrize("expr", ["queue_depth > 10", "absent(up{job=\"api\"})", "up unless queue_depth",
                                  "sum by (queue) (queue_depth > 10) * 2", "queue:over_limit"])
def test_comparisons_absence_and_filters_are_conditions(expr):
    rules = "    recording_rules:\n      - {record: \"queue:over_limit\", expr: \"queue_depth > 100\"}\n"
    assert found(spec(alert(expr), rules), "OBS055") == []


@pytest.mark.parametrize("expr", ['queue_depth{queue=~".*dead.*"}', 'count(queue_depth{state="stuck"})'])
def test_an_alert_that_selects_series_by_their_own_labels_may_mean_they_exist_and_is_a_warning(expr):
    text = spec(alert(expr))
    [d] = diagnostics(text, "OBS055")
    assert d.severity is Severity.WARNING and "the label matchers are the condition" in d.message


def test_one_alert_name_and_severity_twice_with_the_same_labels_is_a_warning_and_a_label_tells_them_apart():
    rules = ("      - {name: DiskFull, expr: \"queue_depth > 0.9\", severity: critical, summary: s, description: d}\n"
             "      - {name: DiskFull, expr: \"queue_depth > 0.95\", severity: critical, summary: s, description: d}\n")
    text = spec(rules)
    [d] = [d for d in load_texts({"spec.yaml": text}).diagnostics if d.code == "OBS085"]
    assert d.severity is Severity.WARNING and "Alertmanager sees one alert" in d.message
    apart = rules.replace("description: d}\n      - {", "description: d, labels: {window: long}}\n      - {", 1)
    assert not [d for d in load_texts({"spec.yaml": spec(apart)}).diagnostics if d.code == "OBS085"]


def test_only_alerts_need_a_condition():
    board = "dashboards:\n  - title: D\n    panels:\n      - {title: P, queries: [{expr: queue_depth}]}\n"
    assert found(spec(top=board), "OBS055") == []


# ----------------------------------------------------------------------------- OBS056-059

def test_for_shorter_than_the_groups_evaluation_interval_is_reported():
    text = spec(alert("queue_depth > 1", **{"for": "30s"}), "    rule_group: {interval: 1m}\n")
    assert found(text, "OBS056") == [at(text, '"30s"')]
    assert found(spec(alert("queue_depth > 1", **{"for": "30s"})), "OBS056") == []  # global: 15s
    assert found(spec(alert("queue_depth > 1", **{"for": "0s"}), "    rule_group: {interval: 1m}\n"), "OBS056") == []


def test_alert_names_are_camel_case():
    text = spec(alert("queue_depth > 1", "queue_too_deep"))
    assert found(text, "OBS057") == [at(text, '"queue_too_deep"')]
    assert found(spec(alert("queue_depth > 1", "QueueTooDeep")), "OBS057") == []


def test_an_alert_needs_a_summary_and_a_description():
    line = '      - {name: "Bare", expr: "queue_depth > 1", severity: "warning", summary: "s"}\n'
    text = spec(line)
    [d] = diagnostics(text, "OBS058")
    assert f"{d.pos.line}:{d.pos.col}" == at(text, '"Bare"') and "no description" in d.message
    assert found(spec(alert("queue_depth > 1")), "OBS058") == []


def test_a_critical_alert_needs_a_runbook():
    text = spec(alert("queue_depth > 1", severity="critical"))
    assert found(text, "OBS059") == [at(text, '"critical"')]
    assert found(spec(alert("queue_depth > 1", severity="critical", runbook_url="https://r.example.com/q")),
                 "OBS059") == []
    assert found(spec(alert("queue_depth > 1", severity="warning")), "OBS059") == []


# ----------------------------------------------------------------------------- OBS060-062

MAIL_ONLY = TEAM + "  - name: mail\n    email: {to: mail@example.com}\n"


def test_alerts_of_a_team_without_channels_for_their_severity_are_reported():
    page = alert("queue_depth > 1", "Paging", severity="critical", team="mail", runbook_url="https://r.example.com/q")
    text = spec(page, teams=MAIL_ONLY)
    [d] = diagnostics(text, "OBS060")
    assert f"{d.pos.line}:{d.pos.col}" == at(text, '"critical"') and "team 'mail'" in d.message
    assert "default receiver (team web)" in d.message
    warn = alert("queue_depth > 1", "Warning", team="mail")  # warning goes to email by default
    assert found(spec(warn, teams=MAIL_ONLY), "OBS060") == []
    on_purpose = MAIL_ONLY + "    channels: {critical: []}\n"
    text = spec(page, teams=on_purpose)
    assert found(text, "OBS060") == []
    # Nothing else ever reaches mail's email: the routing tree is evaluated, not who is named.
    [d] = diagnostics(text, "OBS062")
    assert f"{d.pos.line}:{d.pos.col}" == at(text, "mail\n") and "meant for it are critical" in d.message


HOOKS = TEAM + ("  - name: sec\n    slack: {channel: \"#sec\", api_url_file: /s/slack-sec}\n"
                "  - name: hooks\n    webhook: {url: \"http://bot.example.com/am\"}\n")


def test_a_team_without_receivers_whose_alert_is_in_another_teams_category_reaches_both_that_team_and_the_default():
    """hooks has only a webhook, which no severity uses: it has no receiver. Its security alert goes to
    sec through the category route (continue: true) and, through hooks' own route, to the default
    receiver; before the alertmanager target gave such teams a route, the category route swallowed it."""
    page = alert("queue_depth > 1", "Paging", severity="critical", team="hooks", category="security",
                 runbook_url="https://r.example.com/q")
    text = spec(page, teams=HOOKS, routing="  categories:\n    security: {team: sec}\n")
    [d] = diagnostics(text, "OBS060")
    assert f"{d.pos.line}:{d.pos.col}" == at(text, '"critical"') and "team 'hooks'" in d.message
    assert d.message.endswith("they go to team sec (category security), the default receiver (team web)")
    [model] = load_texts({"spec.yaml": text}).models
    labels = {"team": "hooks", "severity": "critical", "category": "security", "service": "api"}
    assert [h.receiver for h in match_routes(config(model), labels)] == ["sec-critical", "obsgen-default"]
    assert found(text, "OBS062") == []  # OBS060 already says why nothing reaches hooks


def test_a_category_route_no_alert_can_take_is_reported():
    routing = "  categories:\n    security: {team: mail}\n"
    text = spec(alert("queue_depth > 1"), teams=MAIL_ONLY, routing=routing)
    [d] = diagnostics(text, "OBS061")
    assert f"{d.pos.line}:{d.pos.col}" == at(text, "mail}") and "carries `category: security`" in d.message
    used = alert("queue_depth > 1", category="security")
    assert found(spec(used, teams=MAIL_ONLY, routing=routing), "OBS061") == []


def test_a_category_route_that_only_its_own_teams_alerts_would_take_never_matches():
    """The route is `category="security", team!="mail"`: mail's own security alerts skip it (they reach
    mail through its team route), so it never matches. Lint once counted that team route as the
    category route's and said nothing."""
    routing = "  categories:\n    security: {team: mail}\n"
    text = spec(alert("queue_depth > 1", team="mail", category="security"), teams=MAIL_ONLY, routing=routing)
    [d] = diagnostics(text, "OBS061")
    assert f"{d.pos.line}:{d.pos.col}" == at(text, "mail}") and "every security alert is team mail's own" in d.message


def test_alerts_without_a_team_label_reach_the_team_of_their_category():
    routing = "  categories:\n    security: {team: mail}\n"
    text = spec(alert("queue_depth > 1", category="security"),
                "    rule_group: {alert_labels: [service, category]}\n", teams=MAIL_ONLY, routing=routing).replace(
        "  default_team: web\n", "")
    assert found(text, "OBS060") == found(text, "OBS061") == []


def test_team_channels_for_a_severity_the_team_never_gets_are_reported():
    teams = TEAM + "    channels: {info: [email]}\n"
    text = spec(alert("queue_depth > 1"), teams=teams)
    assert found(text, "OBS061") == [at(text, "info: [email]")]
    assert found(spec(alert("queue_depth > 1", severity="info"), teams=teams), "OBS061") == []


def test_a_team_nothing_routes_to_is_reported():
    idle = TEAM + "  - name: idle\n    slack: {channel: \"#idle\", api_url_file: /s/slack-idle}\n"
    text = spec(alert("queue_depth > 1"), teams=idle)
    assert found(text, "OBS062") == [at(text, "idle\n")]
    assert found(spec(alert("queue_depth > 1", team="idle"), teams=idle), "OBS062") == []
    assert found(spec(alert("queue_depth > 1")), "OBS062") == []  # web is the default team


def test_alerts_without_a_team_label_and_no_default_team_reach_no_one():
    text = spec(alert("queue_depth > 1"), "    rule_group: {alert_labels: [service]}\n").replace(
        "  default_team: web\n", "")
    assert found(text, "OBS060") == [at(text, '"warning"')]
    [d] = diagnostics(text, "OBS062")  # and web, whose alert it is, hears nothing: the label is why
    assert "its alerts carry no `team` label" in d.message


def test_routing_reads_the_labels_alerts_carry_external_labels_included():
    """Prometheus adds external labels an alert does not have: here the `team` its rule group leaves out."""
    text = spec(alert("queue_depth > 1"), "    rule_group: {alert_labels: [service]}\n",
                top="global:\n  external_labels: {team: web}\n").replace("  default_team: web\n", "")
    assert found(text, "OBS060") == found(text, "OBS062") == []


def test_slo_alert_names_and_runbooks_are_checked_too():
    slo = ("    slos:\n      - name: avail\n        objective: 99.9\n"
           "        sli: {ratio: {bad: 'http_requests_total{code=~\"5..\"}', total: http_requests_total}}\n"
           "        alerting: {name: apiAvail}\n")
    text = spec(service=slo)
    assert found(text, "OBS057") == [at(text, "apiAvail")]
    assert found(text, "OBS059") == [at(text, "avail\n")]
    fixed = slo.replace("{name: apiAvail}", "{name: ApiAvail, runbook_url: \"https://r.example.com/a\"}")
    assert found(spec(service=fixed), "OBS057") == found(spec(service=fixed), "OBS059") == []


# ----------------------------------------------------------------------------- the seeds' mistakes

WAARDHAVEN = """\
apiVersion: obsgen/v1
teams:
  - name: backend
    slack: {channel: "#backend", api_url_file: /s/slack}
    pagerduty: {routing_key_file: /s/pd}
routing:
  severities:
    critical: {channels: [pagerduty, slack]}
    warning: {channels: [slack]}
    info: {channels: [slack]}
services:
  - name: waardhaven-api
    team: backend
    scrape: {kubernetes: {role: endpoints, selector: {app: waardhaven-api}, port: metrics}}
    metrics:
      - {name: trades_executed_total, type: counter, help: Trades., labels: [symbol, side, order_type]}
      - {name: database_connections_active, type: gauge, help: Connections.}
    alerts:
      - name: TradingVolumeAnomaly
        expr: trades_executed_total offset 1h > trades_executed_total * 3
        for: 10m
        severity: warning
        summary: Unusual trading volume detected
        description: Trading volume is 3x higher than the previous hour
      - name: DatabaseConnectionPoolExhausted
        expr: database_connections_active / database_connections_max > 0.9
        for: 2m
        severity: warning
        summary: Database connection pool near exhaustion
        description: Database connection pool is 90% full
"""


def test_the_seeds_raw_counter_comparison_is_reported():
    [d] = diagnostics(WAARDHAVEN, "OBS052")
    assert (d.pos.line, d.pos.col) == (20, 15) and d.severity is Severity.WARNING
    assert "trades_executed_total" in d.message and "compared (`>`)" in d.message


def test_the_seeds_database_connections_max_is_exported_by_nothing():
    [d] = diagnostics(WAARDHAVEN, "OBS050")
    assert (d.pos.line, d.pos.col) == (26, 15) and "database_connections_max" in d.message
    assert d.hint == "did you mean `database_connections_active`?"


def test_the_seeds_dashboard_query_is_not_promql_and_is_reported_once():
    board = ("dashboards:\n  - title: Qlib Pro - Trading Operations\n    panels:\n"
             "      - title: Model Performance\n        type: table\n"
             "        queries: [{expr: trading_signal_accuracy by (model), format: table}]\n")
    text = spec(top=board)
    project = load_texts({"spec.yaml": text})
    assert [(d.code, f"{d.pos.line}:{d.pos.col}") for d in project.diagnostics] == [
        ("OBS030", at(text, "trading_signal_accuracy by"))]


# ----------------------------------------------------------------------------- silences, environments

def test_a_silenced_finding_is_gone_and_its_reason_kept():
    reason = "a gauge that only ever grows; it is reset by hand"
    text = spec(alert("rate(queue_depth[5m]) > 1", silence={"OBS052": reason}))
    project = load_texts({"spec.yaml": text})
    assert [d.code for d in project.diagnostics] == []
    [silenced] = project.models[0].silenced
    assert (silenced.code, silenced.reason) == ("OBS052", reason)
    assert silenced.what == "alert Checked (service api)" and "queue_depth" in silenced.message


def test_a_team_silences_its_routing_findings():
    idle = TEAM + "  - name: idle\n    slack: {channel: \"#idle\", api_url_file: /s/i}\n    silence: {OBS062: later}\n"
    project = load_texts({"spec.yaml": spec(alert("queue_depth > 1"), teams=idle)})
    assert project.diagnostics == [] and [s.code for s in project.models[0].silenced] == ["OBS062"]


def test_a_silence_that_silences_nothing_is_reported():
    text = spec(alert("queue_depth > 1", silence={"OBS052": "not needed"}))
    assert found(text, "OBS063") == [at(text, '"OBS052"')]


def test_a_finding_in_every_environment_is_reported_once():
    envs = "environments:\n  staging: {}\n  production: {}\n"
    project = load_texts({"spec.yaml": spec(alert("queue_depht > 1"), top=envs)})
    assert [d.code for d in project.diagnostics] == ["OBS050"]


def test_sli_selectors_are_linted_where_they_are_written():
    slo = ("    slos:\n      - name: avail\n        objective: 99.9\n"
           "        sli: {ratio: {bad: 'http_requests_total{status=~\"5..\"}', total: queue_depth}}\n"
           "        alerting: {runbook_url: \"https://r.example.com/a\"}\n")
    text = spec(service=slo)
    assert found(text, "OBS051") == [at(text, "'http_requests_total{status")]
    assert found(text, "OBS052") == [at(text, "queue_depth}}")]  # obsgen takes rate() of the total


# ----------------------------------------------------------------------------- robustness

METRICS = ["http_requests_total", "http_request_duration_seconds_bucket", "queue_depth", "rpc_seconds", "up",
           "unknown_metric", "job:http_requests:rate5m", "node_load1"]
LABELS = ["code", "route", "le", "queue", "job", "nope"]


def _expr(depth: int) -> st.SearchStrategy[str]:
    label = st.sampled_from(LABELS)
    labels = st.lists(label, max_size=3).map(", ".join)
    selector = st.builds(lambda m, lab, v: f"{m}{{{lab}=\"{v}\"}}" if lab else m, st.sampled_from(METRICS),
                         st.sampled_from(["", *LABELS]), st.sampled_from(["a", "5..", ""]))
    matrix = st.builds("{}[{}]".format, selector, st.sampled_from(["10s", "1m", "5m", "$__rate_interval"]))
    leaf = st.one_of(selector, st.sampled_from(["1", "0.5", "time()", "vector(1)"]),
                     st.builds("{}({})".format, st.sampled_from(["rate", "increase", "delta", "max_over_time",
                                                                "absent_over_time", "changes"]), matrix))
    if depth == 0:
        return leaf
    sub = _expr(depth - 1)
    return st.one_of(
        leaf,
        st.builds("{}({})".format, st.sampled_from(["abs", "absent", "sort", "timestamp", "scalar"]), sub),
        st.builds("{} by ({}) ({})".format, st.sampled_from(["sum", "max", "count", "avg"]), labels, sub),
        st.builds("{} without ({}) ({})".format, st.sampled_from(["sum", "min"]), labels, sub),
        st.builds("topk(3, {})".format, sub),
        st.builds("histogram_quantile(0.9, {})".format, sub),
        st.builds("label_replace({}, \"{}\", \"$1\", \"{}\", \"(.*)\")".format, sub, label, label),
        st.builds("({}) {} {}({})".format, sub,
                  st.sampled_from(["+", "/", ">", "== bool", "and", "or", "unless"]),
                  st.sampled_from(["", "on () ", "on (route) ", "ignoring (code) ", "on (queue) group_left (le) ",
                                   "ignoring (le) group_right "]), sub),
        st.builds("max_over_time(({})[30m:{}])".format, sub, st.sampled_from(["", "1m", "20s"])),
    )


def _parses(text: str) -> bool:
    try:
        promql_parser.parse(text.replace("$__rate_interval", "5m"))
    except (ValueError, TypeError):
        return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(expr=_expr(3).filter(_parses))
def test_linting_never_crashes_on_expressions_that_parse(expr):
    rules = f"    recording_rules:\n      - {{record: \"job:http_requests:rate5m\", expr: {json.dumps(expr)}}}\n"
    exporter = "  - name: nodes\n    team: web\n    scrape: {exporter: {kind: node, targets: [host-1]}}\n"
    board = f"dashboards:\n  - title: D\n    panels:\n      - {{title: P, queries: [{{expr: {json.dumps(expr)}}}]}}\n"
    text = spec(alert(expr), rules, top=exporter + board)
    project = load_texts({"spec.yaml": text})
    for d in project.diagnostics:
        assert d.pos.file == "spec.yaml" and d.pos.line > 0 and d.code in lint_codes() | {"OBS030", "OBS063"}, d


def lint_codes() -> set[str]:
    return {f"OBS0{n}" for n in range(50, 63)}


def test_each_distinct_expression_is_parsed_once():
    lint.parse.cache_clear()
    expr = "sum(rate(http_requests_total[5m])) > 1"
    load_texts({"spec.yaml": spec(alert(expr) + alert(expr, "Twice"), top="environments:\n  a: {}\n  b: {}\n")})
    assert lint.parse.cache_info().misses == 1


def test_a_counter_without_total_is_a_convention_warning_not_a_refusal():
    text = spec().replace("    metrics:\n", "    metrics:\n      - {name: node_vmstat_pgmajfault, type: counter, help: Faults.}\n")
    [d] = diagnostics(text, "OBS067")
    assert d.severity is Severity.WARNING and load_texts({"spec.yaml": text}).ok



def test_the_exporter_catalogs_lint_reads_are_made_from_their_yaml_sources():
    from obsgen.core.exporters import HERE, KINDS, catalogs, json_text

    assert (HERE / "catalogs.json").read_text() == json_text(), "run `python -m obsgen.core.exporters`"
    loaded = catalogs()
    assert set(loaded) == set(KINDS)
    for kind, catalog in loaded.items():
        assert catalog.version and catalog.metrics, kind
        assert all(m.type in ("counter", "gauge", "histogram", "summary", "untyped") for m in catalog.metrics.values())
        assert not any(label in ("job", "instance") for m in catalog.metrics.values() for label in m.labels), kind


def test_an_exporters_series_labels_are_known_from_its_catalog():
    exporter = "  - name: nodes\n    team: web\n    scrape: {exporter: {kind: node, targets: [host-1]}}\n"
    assert found(spec(alert("sum by (x) (node_load1) > 1"), top=exporter), "OBS051")
    assert found(spec(alert("sum by (mode) (rate(node_cpu_seconds_total[5m])) > 1"), top=exporter), "OBS051") == []


def test_a_ratio_with_a_forgotten_threshold_stays_an_error_though_it_has_matchers():
    text = spec(alert('sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))'))
    [d] = diagnostics(text, "OBS055")
    assert d.severity is Severity.ERROR


def test_rules_of_one_name_and_severity_for_different_teams_are_not_the_same_alert():
    rules = ("      - {name: DiskFull, expr: \"queue_depth > 0.9\", severity: critical, summary: s, description: d}\n"
             "      - {name: DiskFull, expr: \"queue_depth > 0.9\", severity: critical, summary: s, description: d, "
             "team: web}\n")
    assert not [d for d in load_texts({"spec.yaml": spec(rules)}).diagnostics if d.code == "OBS085"]


@pytest.mark.parametrize("kind, expr, codes", [
    # An exporter's histogram: its buckets carry le, its _sum and _count are counters.
    ("redis", "histogram_quantile(0.99, sum by (le, cmd) (rate(redis_commands_latencies_usec_bucket[5m]))) > 1000",
     set()),
    ("redis", "sum(rate(redis_commands_latencies_usec_count[5m])) > 1", set()),
    ("redis", "redis_commands_latencies_usec_sum > 1", {"OBS052"}),
    ("redis", "redis_commands_latencies_usec_count > 1", {"OBS052"}),
    ("redis", 'redis_commands_latencies_usec_bucket{lee="1"} > 1', {"OBS051", "OBS052"}),
    # An exporter's summary: its quantiles are read as they are, its _sum and _count are counters.
    ("node", 'go_gc_duration_seconds{quantile="0.99"} > 1', set()),
    ("node", 'go_gc_duration_seconds{quantil="0.99"} > 1', {"OBS051"}),
    ("node", "go_gc_duration_seconds_count > 1", {"OBS052"}),
    ("node", "go_gc_duration_seconds_sum > 1", {"OBS052"}),
    ("node", "sum(rate(go_gc_duration_seconds_sum[5m])) > 1", set()),
])
def test_an_exporters_histograms_and_summaries_are_the_series_it_scrapes(kind, expr, codes):
    text = spec(scrape=f'{{exporter: {{kind: {kind}, targets: ["x:9100"]}}}}\n    batteries: {{enabled: false}}',
                alerts=alert(expr))
    found = {d.code for d in load_texts({"spec.yaml": text}).diagnostics} & lint_codes()
    assert found == codes, (expr, found)


def test_the_kind_a_series_is_declared_with_comes_from_every_source_but_a_guess():
    from obsgen.check.lint.catalog import Catalog

    text = spec(scrape='{exporter: {kind: redis, targets: ["r:9121"]}}\n    batteries: {enabled: false}') \
        .replace("    metrics:\n", "    metrics:\n      - {name: guessed_total, type: counter, help: G., inferred: true}\n")
    catalog = Catalog(load_texts({"spec.yaml": text}).models[0])
    assert catalog.declared_kind("up") == "gauge"  # Prometheus' own
    assert catalog.declared_kind("redis_commands_processed_total") == "counter"  # the exporter's catalog
    assert catalog.declared_kind("queue_depth") == "gauge"  # the service's catalog
    assert catalog.declared_kind("guessed_total") is None  # a type guessed from the name
    assert catalog.declared_kind("nowhere_total") is None
