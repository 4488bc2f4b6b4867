"""Lint of expressions (OBS050-055, OBS064) and lint's `run`, checked directly: for each kind of
mistake in an alert, rule, SLI or dashboard query, the exact findings (code, error or warning,
message, hint) and where they point; and the correct patterns next to them stay quiet.

Most tests run `Analysis` over one expression against the catalog of a small spec, and compare the
whole list of problems it returns: a check that stops firing, fires on a correct pattern, reports
at another place or says something else fails here."""
from __future__ import annotations

import pytest

from obsgen.check import lint
from obsgen.check.lint.catalog import Catalog
from obsgen.check.lint.exprs import (
    Analysis,
    Expr,
    Problem,
    _grouping,
    _keep_le,
    _names,
    expression_findings,
    expressions,
)
from obsgen.check.silences import Finding
from obsgen.core.diagnostics import Diagnostic, Pos, Severity
from obsgen.core.promql_tree import Bin, Fn, Lit, Sel, parse
from obsgen.load.yaml import load_text
from obsgen.resolve.environments import resolve
from obsgen.resolve.merge import SpecFile

TEAM = """\
  - name: web
    slack: {channel: "#web", api_url_file: /s/slack-web}
"""
CATALOG = """\
      - {name: http_requests_total, type: counter, help: Requests., labels: [code, route]}
      - {name: http_request_duration_seconds, type: histogram, help: Latency., labels: [route]}
      - {name: queue_depth, type: gauge, help: Jobs waiting., labels: [queue]}
      - {name: rpc_seconds, type: summary, help: RPC latency.}
"""


def spec(alerts: str = "", service: str = "", top: str = "", scrape: str = '{static: ["api:8000"]}',
         glob: str = "", teams: str = TEAM) -> str:
    return ("apiVersion: obsgen/v1\n" + glob + f"teams:\n{teams}routing:\n  default_team: web\n"
            "services:\n  - name: api\n    team: web\n" f"    scrape: {scrape}\n" f"    metrics:\n{CATALOG}"
            + (f"    alerts:\n{alerts}" if alerts else "") + service + top)


def env(text: str):
    tree, diags = load_text(text, "spec.yaml")
    assert not diags, diags
    [environment] = resolve([SpecFile(name="spec.yaml", display="spec.yaml", tree=tree)]).environments
    assert environment.model is not None
    return environment


def catalog(text: str) -> Catalog:
    return Catalog(env(text).model)


RULES = ("    rule_group: {interval: 1m}\n"
         "    recording_rules:\n"
         "      - {record: \"route:latency_bucket:rate5m\", "
         "expr: \"sum by (route, le) (rate(http_request_duration_seconds_bucket[5m]))\"}\n"
         "      - {record: \"route:latency:rate5m\", "
         "expr: \"sum by (route) (rate(http_request_duration_seconds_bucket[5m]))\"}\n"
         "      - {record: \"unknown:rate5m\", expr: \"rate(unknown_total[5m])\"}\n")
CAT = catalog(spec())
RULES_CAT = catalog(spec(service=RULES))
EXTERNAL_CAT = catalog(spec(glob="global:\n  external_labels: {cluster: eu}\n"))
NO_SCRAPE_CAT = catalog(spec(scrape="null"))
SLOW_CAT = catalog(spec(scrape='{static: ["api:8000"], interval: 5m}'))

COUNTER_HINT = ("a counter only goes up, and restarts from zero with its process: take rate({0}[5m]) or "
                "increase({0}[1h]) first")
MAY_BE_MEANT = ("; if the raw value is meant (has it ever happened, a restart), silence this on the alert with "
                "the reason")
NO_CONDITION_HINT = ("compare the value (`> 0.05`), filter with `and`/`unless`, or use absent() for a missing "
                     "series")
BUCKETS_HINT = ("use http_request_duration_seconds_bucket: histogram_quantile(0.95, sum by (le) "
                "(rate(http_request_duration_seconds_bucket[5m])))")
UNKNOWN_HINT = "add it to the `metrics` of the service that exports it"


def problems(expr: str, kind: str = "alert", cat: Catalog = CAT) -> list[tuple]:
    root = parse(expr)
    assert root is not None, expr
    return [(p.code, p.is_error, p.message, p.hint) for p in Analysis(cat, root, kind).run()]


def raw_counter(name: str, uses: str, sure: bool = False, what: str = "counter") -> tuple:
    return ("OBS052", sure, f"{what} `{name}` is used without rate() or increase(): {uses}",
            COUNTER_HINT.format(name) + ("" if sure else MAY_BE_MEANT))


def no_condition(names: str, sure: bool = True) -> tuple:
    return ("OBS055", sure, f"the alert has no condition: it returns {names} whenever the series exist, so it fires "
                            "all the time" + ("" if sure else " (unless the label matchers are the condition: a "
                                                               "series that exists only when something is wrong)"),
            NO_CONDITION_HINT)


def unknown(name: str, hint: str = UNKNOWN_HINT) -> tuple:
    return ("OBS050", False, f"metric `{name}` is not in any service's catalog, recording rule or declared exporter",
            hint)


def no_le(culprit: str, fix: str) -> tuple:
    return ("OBS053", True, f"histogram_quantile() needs the `le` label, but `{culprit}` drops it", f"keep `le`: {fix}")


def not_buckets(name: str, hint: str = BUCKETS_HINT) -> tuple:
    message = f"histogram_quantile() over `{name}`, which is not a histogram's bucket series (it has no `le` label)"
    return "OBS053", True, message, hint


# ----------------------------------------------------------------------------- message helpers

@pytest.mark.parametrize("expr, shown", [
    ("a + b + a", "`a`, `b`"),  # each metric once, in the order written
    ("a + b + c", "`a`, `b`, `c`"),
    ("a + b + c + d", "`a`, `b`, `c` …"),  # more than three: the first three and an ellipsis
    ('{__name__=~"x.*"} + b', "`b`"),  # a selector without a fixed name is not named
    ('{__name__=~"x.*"}', "the expression"),
    ("1", "the expression"),
])
def test_messages_name_the_metrics_of_an_expression_at_most_three(expr, shown):
    assert _names(parse(expr)) == shown


def test_the_number_of_metrics_a_message_names_can_be_chosen():
    assert _names(parse("a + b"), limit=1) == "`a` …"
    assert _names(parse("a + b"), limit=2) == "`a`, `b`"


@pytest.mark.parametrize("culprit, fix", [
    ("sum by (route)", "`sum by (route, le)`"),  # le added to the grouping
    ("sum by (route, code)", "`sum by (route, code, le)`"),
    ("sum by ()", "`sum by (le)`"),
    ("/ on (instance)", "`/ on (instance, le)`"),
    ("/ on ()", "`/ on (le)`"),
    ("sum without (le)", "take `le` out of `sum without (le)`"),
    ("/ ignoring (le)", "take `le` out of `/ ignoring (le)`"),
    ("sum", "`sum by (le)`"),  # no grouping: group by le
    ("histogram_quantile", "`histogram_quantile by (le)`"),
])
def test_the_fix_for_a_grouping_that_drops_le_keeps_le(culprit, fix):
    assert _keep_le(culprit) == fix


@pytest.mark.parametrize("expr, shown", [
    ("sum by (a, b) (x)", "sum by (a, b)"),
    ("sum by () (x)", "sum by ()"),
    ("max without (a, b) (x)", "max without (a, b)"),
    ("max without () (x)", "max without ()"),
    ("count(x)", "count"),
])
def test_an_aggregation_is_quoted_with_its_grouping(expr, shown):
    assert _grouping(parse(expr)) == shown


# ----------------------------------------------------------------------------- OBS050

def test_a_metric_nothing_exports_is_a_warning_with_a_did_you_mean_or_where_to_declare_it():
    assert problems("queue_depht > 1") == [unknown("queue_depht", "did you mean `queue_depth`?")]
    assert problems("zzz_unrelated > 1") == [unknown("zzz_unrelated")]


def test_a_histograms_own_name_is_reported_with_its_series():
    assert problems("http_request_duration_seconds > 1") == [unknown(
        "http_request_duration_seconds", "`http_request_duration_seconds` is a histogram: its series are "
        "http_request_duration_seconds_bucket, http_request_duration_seconds_sum and "
        "http_request_duration_seconds_count")]


def test_findings_come_in_the_order_the_expression_is_written():
    assert problems("unknown_a + unknown_b > 1") == [unknown("unknown_a"), unknown("unknown_b")]
    assert problems("unknown_b + unknown_a > 1") == [unknown("unknown_b"), unknown("unknown_a")]


def test_each_problem_of_an_expression_is_reported_once():
    assert problems("unknown_a + unknown_a > 1") == [unknown("unknown_a")]


def test_a_selector_without_a_metric_name_is_not_looked_up():
    assert problems('{__name__=~"anything_.*", nope="x"} > 1') == []


@pytest.mark.parametrize("expr", [
    "queue_depth > 1", "up == 0", "rpc_seconds > 1", "rate(http_request_duration_seconds_count[5m]) > 1",
    "max_over_time(ALERTS[1m]) > 1",
])
def test_series_the_catalog_and_prometheus_produce_are_found(expr):
    assert problems(expr) == []


# ----------------------------------------------------------------------------- OBS051: selectors

def test_a_matcher_on_a_label_the_metric_cannot_have_is_a_warning_with_its_labels():
    assert problems('queue_depth{nope="x"} > 1') == [
        ("OBS051", False, "`queue_depth` has no label `nope`", "labels it can have: instance, job, queue")]
    assert problems('queue_depth{nope!=""} > 1') == [
        ("OBS051", False, "`queue_depth` has no label `nope`", "labels it can have: instance, job, queue")]
    assert problems('http_requests_total{rout="/"} > 1')[0] == (
        "OBS051", False, "`http_requests_total` has no label `rout`", "did you mean `route`?")


@pytest.mark.parametrize("expr", [
    'queue_depth{queue="a", job="api", instance="i"} > 1',  # its own and the target's labels
    'queue_depth{nope=""} > 1',  # a label that is absent: always true
    'queue_depth{__address__="x"} > 1',  # internal labels are not checked
])
def test_matchers_on_labels_the_metric_has_or_that_test_absence_are_fine(expr):
    assert problems(expr) == []


def test_each_matcher_of_a_selector_is_checked_past_a_good_one():
    assert problems('queue_depth{queue="a", nope="b", other="c"} > 1') == [
        ("OBS051", False, "`queue_depth` has no label `nope`", "labels it can have: instance, job, queue"),
        ("OBS051", False, "`queue_depth` has no label `other`", "labels it can have: instance, job, queue")]


def test_a_metric_whose_labels_are_unknown_has_no_label_findings():
    assert problems('unknown_metric{nope="x"} > 1') == [unknown("unknown_metric")]
    assert problems('unknown:rate5m{nope="x"} > 1', cat=RULES_CAT) == []


def external(op: str, effect: str) -> tuple:
    message = ("`cluster` is an external label: Prometheus adds it only to what leaves it (remote write, federation, "
               f"alerts), so this query never sees it and `queue_depth{{cluster{op}...}}` {effect}")
    hint = ("drop the matcher (each Prometheus holds its own environment's series), or use output.target: mimir, "
            "whose ruler reads remote-written series with their external labels")
    return "OBS064", True, message, hint


@pytest.mark.parametrize("op, effect", [
    ("=", "never matches"), ("=~", "never matches"), ("!=", "matches every series"), ("!~", "matches every series"),
])
def test_a_matcher_on_an_external_label_is_an_error_saying_what_it_does(op, effect):
    assert problems(f'queue_depth{{cluster{op}"eu"}} > 1', cat=EXTERNAL_CAT) == [external(op, effect)]


def test_matchers_after_an_external_label_are_still_checked():
    assert problems('queue_depth{cluster="eu", nope="x"} > 1', cat=EXTERNAL_CAT) == [
        external("=", "never matches"),
        ("OBS051", False, "`queue_depth` has no label `nope`", "labels it can have: instance, job, queue")]


def test_an_external_label_is_a_target_label_under_mimir():
    cat = catalog(spec(glob="global:\n  external_labels: {cluster: eu}\n", top="output: {target: mimir}\n"))
    assert problems('queue_depth{cluster="eu"} > 1', cat=cat) == []


# ----------------------------------------------------------------------------- OBS051: groupings, matching

def test_an_aggregation_by_or_without_a_label_the_series_lack_is_reported_at_the_grouping():
    assert problems("sum by (nope) (queue_depth) > 1") == [
        ("OBS051", False, "`sum by (nope)`: the series of `queue_depth` have no label `nope`",
         "labels it can have: instance, job, queue")]
    assert problems("sum without (nope) (queue_depth) > 1") == [
        ("OBS051", False, "`sum without (nope)`: the series of `queue_depth` have no label `nope`",
         "labels it can have: instance, job, queue")]
    assert problems("sum by (queu) (queue_depth) > 1") == [
        ("OBS051", False, "`sum by (queu)`: the series of `queue_depth` have no label `queu`", "did you mean `queue`?")]
    assert problems("sum by (x) (sum(queue_depth)) > 1") == [
        ("OBS051", False, "`sum by (x)`: the series of `queue_depth` have no label `x`", "labels it can have: none")]


def test_each_label_of_a_grouping_is_checked():
    assert problems("sum by (queue, a, b) (queue_depth) > 1") == [
        ("OBS051", False, "`sum by (queue, a, b)`: the series of `queue_depth` have no label `a`",
         "labels it can have: instance, job, queue"),
        ("OBS051", False, "`sum by (queue, a, b)`: the series of `queue_depth` have no label `b`",
         "labels it can have: instance, job, queue")]


@pytest.mark.parametrize("expr", [
    "sum by (queue, job, instance) (queue_depth) > 1",
    "sum without (queue) (queue_depth) > 1",
    "sum by (__name__) (queue_depth) > 1",
    "sum by (anything) (unknown:rate5m) > 1",  # labels not known
])
def test_groupings_by_labels_the_series_have_or_may_have_are_fine(expr):
    assert problems(expr, cat=RULES_CAT) == []


def test_a_grouping_over_an_unknown_metric_reports_only_the_metric():
    assert problems("sum by (nope) (unknown_metric) > 1") == [unknown("unknown_metric")]


def test_vector_matching_on_a_label_one_side_lacks_is_reported_per_side():
    assert problems("queue_depth / on (nope) group_left (tier) http_requests_total > 1") == [
        ("OBS051", False, "`/ on (nope)`: the left-hand side (`queue_depth`) has no label `nope`, so no series match",
         "labels it can have: instance, job, queue"),
        ("OBS051", False, ("`/ on (nope)`: the right-hand side (`http_requests_total`) has no label `nope`, so no "
                          "series match"), "labels it can have: code, instance, job, route"),
        ("OBS051", False, ("`group_left (tier)`: the right-hand side (`http_requests_total`) has no label `tier` to "
                          "copy"), "labels it can have: code, instance, job, route"),
        raw_counter("http_requests_total", "computed with (`/`)")]
    assert problems("queue_depth / on (job, queues) queue_depth > 1") == [
        ("OBS051", False, ("`/ on (job, queues)`: the left-hand side (`queue_depth`) has no label `queues`, so no "
                          "series match"), "did you mean `queue`?"),
        ("OBS051", False, ("`/ on (job, queues)`: the right-hand side (`queue_depth`) has no label `queues`, so no "
                          "series match"), "did you mean `queue`?")]


def test_group_right_copies_from_the_left_hand_side():
    assert problems("http_requests_total * on (code) group_right (tier) queue_depth > 1") == [
        ("OBS051", False, ("`* on (code)`: the right-hand side (`queue_depth`) has no label `code`, so no series "
                          "match"), "labels it can have: instance, job, queue"),
        ("OBS051", False, ("`group_right (tier)`: the left-hand side (`http_requests_total`) has no label `tier` to "
                          "copy"), "labels it can have: code, instance, job, route"),
        raw_counter("http_requests_total", "computed with (`*`)")]


def test_group_left_and_group_right_copy_labels_that_exist():
    assert problems("queue_depth * on (job) group_left (code, route) sum by (job, code, route) "
                    "(rate(http_requests_total[5m])) > 1") == []
    assert problems("sum by (job, code) (rate(http_requests_total[5m])) * on (job) group_right (code, __x) "
                    "queue_depth > 1") == []
    assert problems("queue_depth * ignoring (queue) group_left (b, rout) http_requests_total > 1") == [
        ("OBS051", False, "`group_left (b)`: the right-hand side (`http_requests_total`) has no label `b` to copy",
         "labels it can have: code, instance, job, route"),
        ("OBS051", False, ("`group_left (rout)`: the right-hand side (`http_requests_total`) has no label `rout` to "
                          "copy"), "did you mean `route`?"),
        raw_counter("http_requests_total", "computed with (`*`)")]


def test_group_labels_of_a_side_whose_labels_are_unknown_are_not_judged():
    assert problems("queue_depth * on (job) group_left (tier) unknown:rate5m > 1", cat=RULES_CAT) == []
    assert problems("unknown:rate5m * on (job) group_right (tier) queue_depth > 1", cat=RULES_CAT) == []


def test_ignoring_a_label_neither_side_has_is_reported():
    assert problems("queue_depth / ignoring (nope, queue) queue_depth > 1") == [
        ("OBS051", False, "`/ ignoring (nope, queue)`: neither side has a label `nope`",
         "labels it can have: instance, job, queue")]
    assert problems("sum by (job) (queue_depth) / ignoring (cod) sum by (job, code) (http_requests_total) > 1") == [
        ("OBS051", False, "`/ ignoring (cod)`: neither side has a label `cod`", "did you mean `code`?"),
        raw_counter("http_requests_total", "computed with (`/`)")]


@pytest.mark.parametrize("expr", [
    "queue_depth / ignoring (queue) queue_depth > 1",
    "sum by (job) (queue_depth) / ignoring (code) sum by (job, code) (rate(http_requests_total[5m])) > 1",
    "sum by (job, code) (rate(http_requests_total[5m])) / ignoring (code) sum by (job) (queue_depth) > 1",
    "queue_depth / ignoring (__name__) queue_depth > 1",
    "queue_depth / ignoring (nope) unknown:rate5m > 1",  # one side's labels unknown: it may have it
    "unknown:rate5m / ignoring (nope) queue_depth > 1",
    "queue_depth / on (__name__) queue_depth > 1",
    "unknown:rate5m / on (job) unknown:rate5m > 1",
])
def test_matching_labels_a_side_has_or_may_have_are_fine(expr):
    assert problems(expr, cat=RULES_CAT) == []


def test_on_a_label_is_judged_only_on_a_side_whose_labels_are_known():
    assert problems("queue_depth / on (nope) unknown:rate5m > 1", cat=RULES_CAT) == [
        ("OBS051", False, "`/ on (nope)`: the left-hand side (`queue_depth`) has no label `nope`, so no series match",
         "labels it can have: instance, job, queue")]
    assert problems("unknown:rate5m / on (nope) queue_depth > 1", cat=RULES_CAT) == [
        ("OBS051", False, ("`/ on (nope)`: the right-hand side (`queue_depth`) has no label `nope`, so no series "
                          "match"), "labels it can have: instance, job, queue")]


def test_matching_with_a_number_has_no_labels_to_check():
    assert problems("queue_depth > 1") == []
    # The parser refuses `on` beside a number; a tree built by hand has nothing to match either.
    tree = Bin(">", Sel("queue_depth", (), None), Lit(1.0), False, ("nope",), None, "OneToOne", ())
    assert Analysis(CAT, tree, "alert").run() == []
    tree = Bin(">", Lit(1.0), Sel("queue_depth", (), None), False, ("nope",), None, "OneToOne", ())
    assert Analysis(CAT, tree, "alert").run() == []


# ----------------------------------------------------------------------------- OBS052

def test_a_counter_compared_raw_is_a_warning_naming_how_it_is_used():
    assert problems("http_requests_total > 0") == [raw_counter("http_requests_total", "compared (`>`)")]
    assert problems("http_request_duration_seconds_bucket > 1") == [
        raw_counter("http_request_duration_seconds_bucket", "compared (`>`)")]


def test_every_use_of_a_raw_counter_is_listed_once_in_the_order_met():
    assert problems("http_requests_total * 2 > http_requests_total") == [
        raw_counter("http_requests_total", "computed with (`*`), compared (`>`)")]
    assert problems("http_requests_total * 2 > http_requests_total * 3") == [
        raw_counter("http_requests_total", "computed with (`*`)")]


def test_each_raw_counter_of_an_expression_is_reported():
    assert problems("http_requests_total / rpc_seconds_count > 1") == [
        raw_counter("http_requests_total", "computed with (`/`)"),
        raw_counter("rpc_seconds_count", "computed with (`/`)")]


def test_a_counter_returned_as_is_is_reported_with_the_missing_condition():
    assert problems("http_requests_total") == [raw_counter("http_requests_total", "returned as is"),
                                               no_condition("`http_requests_total`")]
    assert problems("sum(http_requests_total)", kind="record") == [raw_counter("http_requests_total", "returned as is")]


@pytest.mark.parametrize("expr, uses", [
    ("http_requests_total unless queue_depth > 1", "returned as is"),  # a set operator returns its left side
    ("http_requests_total and queue_depth > 1", "returned as is"),
    ("queue_depth > 1 or http_requests_total", "returned as is"),  # `or` returns both sides
    ("http_requests_total or queue_depth > 1", "returned as is"),
    ("abs(http_requests_total) > 1", "compared (`>`)"),  # functions that pass the value through
    ("label_replace(http_requests_total, \"a\", \"$1\", \"code\", \"(.*)\") > 1", "compared (`>`)"),
    ("sum by (code) (http_requests_total) > 1", "compared (`>`)"),  # an aggregation of raw values
    ("max_over_time(http_requests_total[1h:1m]) - 1 > 1", "max_over_time() over its raw values"),  # a subquery
    ("sort(http_requests_total) + 1 > 1", "computed with (`+`)"),
])
def test_raw_counter_values_are_followed_through_the_expression(expr, uses):
    found = [p for p in problems(expr) if p[0] == "OBS052"]
    assert found == [raw_counter("http_requests_total", uses, sure=uses.endswith("raw values"))]


@pytest.mark.parametrize("expr", [
    "sum(rate(http_requests_total[5m])) > 1", "sum(irate(http_requests_total[5m])) > 1",
    "sum(increase(http_requests_total[1h])) > 1", "resets(http_requests_total[1h]) > 0",
    "changes(http_requests_total[5m]) > 0", "absent(http_requests_total)", "absent_over_time(http_requests_total[5m])",
    "present_over_time(http_requests_total[5m]) > 0", "count_over_time(http_requests_total[5m]) > 0",
    "time() - timestamp(http_requests_total) > 300",
    "count(http_requests_total) > 10", "group(http_requests_total) > 0",
    'count_values("v", http_requests_total) > 10',
    "rate(http_requests_total[5m]) > 0 and http_requests_total",  # the right of `and` only filters
    "rate(http_requests_total[5m]) > 0 unless http_requests_total",
    "topk(3, rate(http_requests_total[5m])) > 1",
    "queue_depth > 1",
])
def test_counters_read_through_rates_or_existence_are_fine(expr):
    assert [p for p in problems(expr) if p[0] == "OBS052"] == []


@pytest.mark.parametrize("expr, fn", [
    ("delta(http_requests_total[5m]) > 1", "delta"),
    ("max_over_time(http_requests_total[1h]) > 1", "max_over_time"),
    ("quantile_over_time(0.9, http_requests_total[5m]) > 1", "quantile_over_time"),  # the counter is not first
    ("predict_linear(http_requests_total[1h], 3600) > 1", "predict_linear"),
])
def test_a_declared_counter_read_as_a_level_over_time_is_an_error(expr, fn):
    assert problems(expr) == [raw_counter("http_requests_total", f"{fn}() over its raw values", sure=True)]


def test_raw_buckets_under_histogram_quantile_are_an_error():
    assert problems("histogram_quantile(0.9, http_request_duration_seconds_bucket) > 1") == [
        raw_counter("http_request_duration_seconds_bucket", "histogram_quantile() over its raw buckets (the "
                    "distribution since each process started)", sure=True)]


def test_a_counter_in_an_aggregations_parameter_is_followed():
    assert problems("quantile(scalar(max_over_time(http_requests_total[5m])), queue_depth) > 1") == [
        raw_counter("http_requests_total", "max_over_time() over its raw values", sure=True)]
    assert problems("topk(scalar(http_requests_total), queue_depth) > 1") == []  # the parameter is no output


def test_a_metric_only_named_like_a_counter_is_a_warning_even_when_misread():
    assert problems("delta(cloudwatch_requests_total[5m]) > 1") == [
        unknown("cloudwatch_requests_total", "did you mean `http_requests_total`?"),
        raw_counter("cloudwatch_requests_total", "delta() over its raw values", what="metric (named like a counter)")]


def test_a_declared_counter_misread_and_compared_is_an_error_listing_both_uses():
    assert problems("delta(http_requests_total[5m]) > http_requests_total") == [
        raw_counter("http_requests_total", "delta() over its raw values, compared (`>`)", sure=True)]


def test_rate_over_a_gauge_is_a_warning_at_the_rate_call():
    assert problems("rate(queue_depth[5m]) > 1") == [
        ("OBS052", False, "rate() over gauge `queue_depth`: it reads every drop of the gauge as a counter reset",
         "rate() and increase() are for counters; for a gauge use deriv() or delta(), or the value itself")]
    assert problems("increase(rpc_seconds[5m]) > 1") == [  # a summary's quantiles are gauges too
        ("OBS052", False, "increase() over gauge `rpc_seconds`: it reads every drop of the gauge as a counter reset",
         "rate() and increase() are for counters; for a gauge use deriv() or delta(), or the value itself")]
    assert problems("deriv(queue_depth[5m]) > 1") == []


def test_rate_over_a_gauge_in_an_sli_says_what_obsgen_does_with_it():
    assert problems("sum(irate(queue_depth[5m]))", kind="sli") == [
        ("OBS052", False, "irate() over gauge `queue_depth`: it reads every drop of the gauge as a counter reset",
         "obsgen takes the rate() of a ratio SLI's selectors: give counters (or use a freshness SLI for a gauge)")]


@pytest.mark.parametrize("expr", ["rate(queue_depth[5m:1m]) > 1", "rate(max(queue_depth)[10m:]) > 1",
                                  "rate(min(queue_depth)[10m:]) > 1", "rate(avg(queue_depth)[10m:]) > 1",
                                  "rate(sum by (queue) (queue_depth)[5m:1m]) > 1",
                                  "rate(max(sum by (queue) (queue_depth))[5m:1m]) > 1"])
def test_rate_over_a_subquery_of_a_gauge_is_the_same_warning_as_over_its_range(expr):
    assert problems(expr) == [
        ("OBS052", False, "rate() over gauge `queue_depth`: it reads every drop of the gauge as a counter reset",
         "rate() and increase() are for counters; for a gauge use deriv() or delta(), or the value itself")]


def test_rate_over_a_subquery_the_gauge_does_not_reach_as_itself_is_not_judged():
    # count() of a gauge's series is no longer its values; deriv() inside is the fix, not the mistake.
    assert problems("rate(count(queue_depth)[5m:1m]) > 1") == []
    assert problems("rate(deriv(queue_depth[5m])[10m:1m]) > 1") == []


@pytest.mark.parametrize("fn", ["sqrt", "exp", "ln", "log2", "log10"])
def test_a_raw_counter_through_element_wise_maths_is_still_a_raw_counter(fn):
    assert problems(f"{fn}(http_requests_total) > 10") == problems("http_requests_total > 10") == [
        raw_counter("http_requests_total", "compared (`>`)")]
    assert problems(f"{fn}(rate(http_requests_total[5m])) > 10") == []


def test_rate_over_a_subquery_of_summed_counters_is_fine():
    assert problems("rate(sum(http_requests_total)[5m:1m]) > 1") == []


# ----------------------------------------------------------------------------- OBS054

def range_too_short(rng: str, name: str, interval: str, whose: str, hint: str) -> tuple:
    message = (f"range [{rng}] over `{name}` is shorter than twice its interval ({interval}, {whose}): it can hold "
               "fewer than two samples")
    return "OBS054", False, message, hint


def test_a_range_shorter_than_two_scrape_intervals_is_reported_with_the_job():
    assert problems("rate(http_requests_total[29s]) > 1") == [
        range_too_short("29s", "http_requests_total", "15s", "job api", "use at least [30s]; in Grafana, "
                                                                        "[$__rate_interval]")]
    assert problems("max_over_time(queue_depth[1500ms]) > 1") == [
        range_too_short("1500ms", "queue_depth", "15s", "job api",
                        "use at least [30s]; in Grafana, [$__rate_interval]")]
    assert problems("rate(http_requests_total[30s]) > 1") == []  # exactly two intervals


def test_a_recorded_series_range_is_judged_against_its_rule_groups_interval():
    assert problems("max_over_time(route:latency:rate5m[1m]) > 1", cat=RULES_CAT) == [
        range_too_short("1m", "route:latency:rate5m", "1m", "its rule group", "use at least [2m]; in Grafana, "
                                                                              "[$__rate_interval]")]
    assert problems("max_over_time(route:latency:rate5m[2m]) > 1", cat=RULES_CAT) == []


def test_a_series_of_no_job_is_judged_against_the_global_setting():
    assert problems("max_over_time(ALERTS[20s]) > 1") == [
        range_too_short("20s", "ALERTS", "15s", "the global setting", "use at least [30s]; in Grafana, "
                                                                       "[$__rate_interval]")]
    assert problems("max_over_time(queue_depth[20s]) > 1", cat=NO_SCRAPE_CAT) == [
        range_too_short("20s", "queue_depth", "15s", "the global setting", "use at least [30s]; in Grafana, "
                                                                            "[$__rate_interval]")]


def test_an_sli_scraped_too_rarely_for_obsgens_window_says_how_often_to_scrape():
    assert problems("sum(rate(http_requests_total[5m]))", kind="sli", cat=SLOW_CAT) == [
        range_too_short("5m", "http_requests_total", "5m", "job api", "obsgen's SLO rules read the SLI over [5m]: "
                                                                     "scrape it at least every 2m30s")]
    assert problems("sum(rate(http_requests_total[5m]))", kind="query", cat=SLOW_CAT) == [
        range_too_short("5m", "http_requests_total", "5m", "job api", "use at least [10m]; in Grafana, "
                                                                     "[$__rate_interval]")]


def test_a_range_over_an_unknown_metric_is_not_judged():
    assert problems("rate(unknown_total[1s]) > 1") == [unknown("unknown_total")]


def test_grafanas_interval_variables_are_never_judged():
    cat = catalog(spec(scrape='{static: ["api:8000"], interval: 60d}'))
    assert problems("sum(rate(http_requests_total[$__rate_interval]))", kind="query", cat=cat) == []
    assert problems("sum(rate(http_requests_total[121d]))", kind="query", cat=cat) == []
    assert problems("sum(rate(http_requests_total[119d]))", kind="query", cat=cat) == [
        range_too_short("119d", "http_requests_total", "60d", "job api", "use at least [120d]; in Grafana, "
                                                                         "[$__rate_interval]")]


def subquery(rng: str, step: str, fix: str) -> tuple:
    return ("OBS054", False, f"subquery range [{rng}] holds fewer than two steps of {step}",
            f"make the range at least {fix}")


def test_a_subquery_needs_two_steps():
    assert problems("max_over_time(sum(queue_depth)[1m:31s]) > 1") == [subquery("1m:31s", "31s", "1m2s")]
    assert problems("max_over_time(sum(queue_depth)[1m:30s]) > 1") == []
    assert problems("max_over_time(sum(queue_depth)[1m:500ms]) > 1") == []


def test_a_subquery_without_a_step_is_judged_against_the_evaluation_interval():
    assert problems("max_over_time(sum(queue_depth)[29s:]) > 1") == [subquery("29s:", "15s", "30s")]
    assert problems("max_over_time(sum(queue_depth)[30s:]) > 1") == []


def test_a_subquery_with_grafanas_interval_variables_is_not_judged():
    assert problems("max_over_time(sum(queue_depth)[1m:$__interval])", kind="query") == []
    assert problems("max_over_time(sum(queue_depth)[$__range:60d])", kind="query") == []
    assert problems("max_over_time(sum(queue_depth)[99d:60d])", kind="query") == [
        subquery("99d:60d", "60d", "120d")]


# ----------------------------------------------------------------------------- OBS055

def test_an_alert_without_a_condition_is_an_error():
    assert problems("queue_depth + 1") == [no_condition("`queue_depth`")]
    assert problems('count(queue_depth{job="api", instance="i"})') == [no_condition("`queue_depth`")]
    assert problems("abs(vector(1))") == [no_condition("the expression")]
    assert problems("queue_depth > 1 or queue_depth") == [no_condition("`queue_depth`")]


@pytest.mark.parametrize("expr", [
    'queue_depth{queue="stuck"}', 'count(queue_depth{queue="stuck"})', 'queue_depth{job="api", queue!="ok"}',
])
def test_an_alert_whose_matchers_may_be_its_condition_is_a_warning(expr):
    assert problems(expr) == [no_condition("`queue_depth`", sure=False)]


@pytest.mark.parametrize("expr", [
    "vector(1)",  # a dead man's switch
    "queue_depth > 1", "queue_depth and queue_depth", "absent(queue_depth)", "queue_depth unless queue_depth",
])
def test_alerts_with_a_condition_or_firing_on_purpose_are_fine(expr):
    assert problems(expr) == []


@pytest.mark.parametrize("kind", ["record", "query", "sli"])
def test_only_alerts_need_a_condition(kind):
    assert problems("queue_depth + 1", kind=kind) == []


def test_a_recorded_series_that_carries_its_rules_condition_is_a_condition():
    cat = catalog(spec(service="    recording_rules:\n      - {record: \"queue:long\", expr: \"queue_depth > 10\"}\n"))
    assert problems("queue:long", cat=cat) == []
    assert problems("queue_depth", cat=cat) == [no_condition("`queue_depth`")]


@pytest.mark.parametrize("expr, filters", [
    ('queue_depth{queue="a"}', True),
    ('queue_depth{job="a"}', False),  # the target's labels pick a target, not a state
    ('queue_depth{instance="a"}', False),
    ('queue_depth{job="a", queue="b"}', True),
    ("queue_depth", False),
    ('queue_depth{queue="a"}[5m]', False),
    ('count(queue_depth{queue="a"})', True),
    ("count(queue_depth)", False),
    ('abs(queue_depth{queue="a"})', False),
    ('queue_depth{queue="a"} + 1', False),
])
def test_matchers_that_may_be_the_condition_are_those_on_the_series_own_labels(expr, filters):
    assert Analysis(CAT, parse(expr), "alert").filters(parse(expr)) is filters


@pytest.mark.parametrize("expr, watchdog", [
    ("vector(1)", True), ("vector(0)", True), ("abs(vector(1))", False), ("queue_depth", False), ("up", False),
])
def test_a_dead_mans_switch_is_vector_at_the_top(expr, watchdog):
    assert Analysis(CAT, parse(expr), "alert").watchdog() is watchdog


# ----------------------------------------------------------------------------- OBS053

def test_histogram_quantile_over_a_histograms_other_series_points_to_its_buckets():
    assert problems("histogram_quantile(0.9, rate(http_request_duration_seconds_count[5m])) > 1") == [
        not_buckets("http_request_duration_seconds_count")]
    assert problems("histogram_quantile(0.9, rate(http_request_duration_seconds_sum[5m])) > 1") == [
        not_buckets("http_request_duration_seconds_sum")]
    assert problems("histogram_quantile(0.9, rate(http_request_duration_seconds[5m])) > 1") == [
        not_buckets("http_request_duration_seconds"),
        unknown("http_request_duration_seconds", "`http_request_duration_seconds` is a histogram: its series are "
                "http_request_duration_seconds_bucket, http_request_duration_seconds_sum and "
                "http_request_duration_seconds_count")]


def test_histogram_quantile_over_a_series_of_no_histogram_says_what_it_reads():
    hint = "histogram_quantile() reads the `_bucket` series of a histogram"
    assert problems("histogram_quantile(0.9, rate(http_requests_total[5m])) > 1") == [
        not_buckets("http_requests_total", hint)]
    assert problems("histogram_quantile(0.9, rate(rpc_seconds_sum[5m])) > 1") == [not_buckets("rpc_seconds_sum", hint)]
    assert problems("histogram_quantile(0.9, route:latency:rate5m) > 1", cat=RULES_CAT) == [
        not_buckets("route:latency:rate5m", hint)]


def test_each_series_that_is_not_buckets_is_reported_once():
    assert problems("histogram_quantile(0.9, rate(http_request_duration_seconds_count[5m]) / "
                    "rate(http_request_duration_seconds_count[1m])) > 1") == [
        not_buckets("http_request_duration_seconds_count")]
    assert problems("histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m]) + "
                    "rate(rpc_seconds_count[5m]) + rate(http_request_duration_seconds_count[5m])) > 1") == [
        not_buckets("rpc_seconds_count", "histogram_quantile() reads the `_bucket` series of a histogram"),
        not_buckets("http_request_duration_seconds_count")]


def test_a_series_that_is_not_buckets_past_an_unknown_one_is_reported():
    assert problems("histogram_quantile(0.9, rate(native_seconds[5m]) + "
                    "rate(http_request_duration_seconds_count[5m])) > 1") == [
        not_buckets("http_request_duration_seconds_count"), unknown("native_seconds", "did you mean `rpc_seconds`?")]


@pytest.mark.parametrize("expr", [
    "histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m])) > 1",
    "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 1",
    "histogram_quantile(0.9, sum by (route, le) (rate(http_request_duration_seconds_bucket[5m]))) > 1",
    "histogram_quantile(0.9, sum without (route) (rate(http_request_duration_seconds_bucket[5m]))) > 1",
    "histogram_quantile(0.9, route:latency_bucket:rate5m) > 1",  # a recorded histogram that keeps le
    "histogram_quantile(0.9, sum by (le) (route:latency_bucket:rate5m)) > 1",
    "histogram_quantile(0.9, unknown:rate5m) > 1",  # a recorded series whose labels are unknown
    "histogram_quantile(0.9, sum(unknown:rate5m)) > 1",
    "histogram_quantile(0.9, sum(rate(process_latency_seconds[5m]))) > 1",  # an exporter's run-time family
    "histogram_quantile(0.9, absent(http_request_duration_seconds_count)) > 1",  # reads no values
    'histogram_quantile(0.9, {__name__="x_bucket"}) > 1',
    'histogram_quantile(0.9, {__name__=~"x_bucket"}) > 1',  # no metric name to judge
])
def test_histogram_quantile_over_buckets_that_keep_le_or_that_cannot_be_judged_is_fine(expr):
    assert [p for p in problems(expr, cat=RULES_CAT) if p[0] == "OBS053"] == []


def test_a_grouping_that_drops_le_is_reported_with_how_to_keep_it():
    assert problems("histogram_quantile(0.9, sum by (route) (rate(http_request_duration_seconds_bucket[5m]))) > 1") \
        == [no_le("sum by (route)", "`sum by (route, le)`")]
    assert problems("histogram_quantile(0.9, sum(rate(http_request_duration_seconds_bucket[5m]))) > 1") == [
        no_le("sum", "`sum by (le)`")]
    assert problems("histogram_quantile(0.9, sum without (le) (rate(http_request_duration_seconds_bucket[5m]))) > 1") \
        == [no_le("sum without (le)", "take `le` out of `sum without (le)`")]
    assert problems("histogram_quantile(0.9, sum(route:latency_bucket:rate5m)) > 1", cat=RULES_CAT) == [
        no_le("sum", "`sum by (le)`")]


def test_a_series_named_like_buckets_that_is_not_is_judged_by_what_the_spec_says_it_is():
    """A gauge declared `token_bucket`, and a rule recorded as `..._bucket` without `le`: not a histogram's
    buckets, whatever the name says (as the same series under another name)."""
    gauge = catalog(spec().replace(CATALOG, CATALOG + "      - {name: token_bucket, type: gauge, help: T.}\n"))
    hint = "histogram_quantile() reads the `_bucket` series of a histogram"
    assert problems("histogram_quantile(0.9, token_bucket) > 1", cat=gauge) == [not_buckets("token_bucket", hint)]
    recorded = catalog(spec(service=(
        "    recording_rules:\n      - {record: route_request_duration_seconds_bucket, "
        "expr: \"sum by (route) (rate(http_request_duration_seconds_bucket[5m]))\"}\n")))
    assert problems("histogram_quantile(0.9, route_request_duration_seconds_bucket) > 1", cat=recorded) == [
        not_buckets("route_request_duration_seconds_bucket", hint)]


def other_service(latency_buckets: str) -> str:
    return ("  - name: other\n    team: web\n    scrape: {static: [\"other:8000\"]}\n    metrics:\n"
            f"      - {{name: http_request_duration_seconds, type: histogram, help: L.{latency_buckets}}}\n"
            "      - {name: job_seconds, type: histogram, help: J., buckets: [1, 60]}\n")


BUCKETS_CAT = catalog(spec(service=other_service(", buckets: [0.1, 1, 5]")).replace(
    "labels: [route]}", "labels: [route], buckets: [0.5, 10]}", 1))


def never(op: str, t: str, top: str, names: str = "`http_request_duration_seconds_bucket`") -> tuple:
    return ("OBS077", False, f"histogram_quantile() {op} {t} can never be true: the buckets of {names} end at "
                             f"le={top}, and a quantile above the last finite bucket reads as that bound, so the "
                             f"alert never fires",
            f"add a bucket above {t} to the histogram's `buckets` (and to its instrumentation), or alert below {top}")


def test_a_histogram_declared_by_two_services_ends_at_the_larger_of_their_last_buckets():
    assert BUCKETS_CAT.top_bucket == {"http_request_duration_seconds_bucket": 10.0, "job_seconds_bucket": 60.0}
    assert CAT.top_bucket == {"http_request_duration_seconds_bucket": None}  # buckets left to the client
    # one service leaves them to the client: the histogram's last bucket is not known, whichever comes first
    assert catalog(spec(service=other_service(""))).top_bucket["http_request_duration_seconds_bucket"] is None
    assert catalog(spec(service=other_service("")).replace(
        "labels: [route]}", "labels: [route], buckets: [0.5, 10]}", 1)).top_bucket[
        "http_request_duration_seconds_bucket"] is None
    assert catalog(spec(service=other_service(", buckets: [1, 2]")).replace(
        "labels: [route]}", "labels: [route], buckets: [0.5, 10]}", 1)).top_bucket == {
        "http_request_duration_seconds_bucket": 10.0, "job_seconds_bucket": 60.0}
    assert catalog(spec(service=other_service(", buckets: [1, 20]")).replace(
        "labels: [route]}", "labels: [route], buckets: [0.5, 10]}", 1)).top_bucket == {
        "http_request_duration_seconds_bucket": 20.0, "job_seconds_bucket": 60.0}


@pytest.mark.parametrize("expr, found", [
    ("histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m])) > 10", [never(">", "10", "10")]),
    ("histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m])) > 12.5", [never(">", "12.5", "10")]),
    ("histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m])) >= 10.5", [never(">=", "10.5", "10")]),
    ("10 < histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m]))", [never(">", "10", "10")]),
    ("11 <= histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m]))", [never(">=", "11", "10")]),
    ("histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m]) or rate(job_seconds_bucket[5m])) > 60",
     [never(">", "60", "60", "`http_request_duration_seconds_bucket` and `job_seconds_bucket`")]),
    ("histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m]) or rate(job_seconds_bucket[5m])) > 30",
     []),  # job_seconds reaches 60
    ("histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m])) >= 10", []),
    ("histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m])) > 9.99", []),
    ("histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m])) < 100", []),
    ("100 > histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m]))", []),
    ("histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m])) == 100", []),
    ("histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m])) * 1000 > 100000", []),  # not judged
    ("histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m])) > queue_depth", []),
    ("histogram_quantile(0.9, rate(unknown_bucket[5m])) > 100", [unknown("unknown_bucket")]),
])
def test_an_alert_on_a_quantile_above_the_last_finite_bucket_never_fires(expr, found):
    assert problems(expr, cat=BUCKETS_CAT) == found


def test_a_quantile_above_the_last_bucket_is_only_judged_in_an_alert():
    expr = "histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m])) > 100"
    assert problems(expr, kind="record", cat=BUCKETS_CAT) == problems(expr, kind="panel", cat=BUCKETS_CAT) == []
    assert problems(expr, cat=CAT) == []  # no buckets declared: the client's defaults are not known
    # `> bool` always returns a sample (0 or 1): OBS055 says so, not OBS077
    assert [p[0] for p in problems(expr.replace(">", "> bool"), cat=BUCKETS_CAT)] == ["OBS055"]


def test_a_selector_without_a_name_does_not_stop_the_check_of_the_series_after_it():
    assert problems('histogram_quantile(0.9, {__name__=~"a.*"} or rate(http_request_duration_seconds_count[5m])) > 1'
                    ) == [not_buckets("http_request_duration_seconds_count")]


def test_a_histogram_named_like_buckets_read_by_its_own_name_is_not_a_series():
    cat = catalog(spec().replace(CATALOG, CATALOG + "      - {name: queue_bucket, type: histogram, help: Q.}\n"))
    assert problems("histogram_quantile(0.9, rate(queue_bucket[5m])) > 1", cat=cat) == [
        not_buckets("queue_bucket", "use queue_bucket_bucket: histogram_quantile(0.95, sum by (le) "
                                    "(rate(queue_bucket_bucket[5m])))"),
        unknown("queue_bucket", "`queue_bucket` is a histogram: its series are queue_bucket_bucket, queue_bucket_sum "
                                "and queue_bucket_count")]


def test_buckets_of_a_metric_nothing_declares_are_judged_by_their_name():
    assert problems("histogram_quantile(0.9, sum(rate(unknown_bucket[5m]))) > 1") == [
        no_le("sum", "`sum by (le)`"), unknown("unknown_bucket")]
    assert problems("histogram_quantile(0.9, sum(rate(native_seconds[5m]))) > 1") == [
        unknown("native_seconds", "did you mean `rpc_seconds`?")]


def test_series_that_are_not_buckets_are_reported_instead_of_a_dropped_le():
    assert problems("histogram_quantile(0.9, sum(rate(http_request_duration_seconds_bucket[5m]) + "
                    "rate(http_request_duration_seconds_count[5m]))) > 1") == [
        not_buckets("http_request_duration_seconds_count")]


def test_the_right_of_and_only_filters_the_buckets():
    assert problems("histogram_quantile(0.9, sum(rate(http_request_duration_seconds_bucket[5m])) and "
                    "sum(rate(http_requests_total[5m]))) > 1") == [no_le("sum", "`sum by (le)`")]
    assert problems("histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m]) unless "
                    "rate(http_requests_total[5m])) > 1") == []


def test_a_histogram_quantile_call_without_its_vector_is_not_judged():
    assert Analysis(CAT, Fn("histogram_quantile", (Lit(0.9),), False), "query").run() == []


B = "http_request_duration_seconds_bucket"


@pytest.mark.parametrize("expr, le", [
    (B, (True, "")),
    ("route:latency_bucket:rate5m", (True, "")),  # a recorded series with le among its labels
    ("route:latency:rate5m", (None, "")),
    ("unknown_bucket", (True, "")),  # named as buckets
    ("queue_depth", (None, "")),
    ('{__name__="x"}', (None, "")),
    ("1", (None, "")),
    (f"rate({B}[5m])", (True, "")),
    (f"max_over_time({B}[5m:1m])", (True, "")),
    (f"sum by (le) (sum({B}))", (False, "sum")),
    (f"sum by (le) ({B})", (True, "")),
    (f"sum by (route) ({B})", (False, "sum by (route)")),
    (f"sum without (route) ({B})", (True, "")),
    (f"sum without (route, le) ({B})", (False, "sum without (route, le)")),
    (f"sum({B})", (False, "sum")),
    (f"topk(3, {B})", (True, "")),  # picks series, keeps their labels
    (f"topk(3, sum({B}))", (False, "sum")),
    (f'label_replace(sum({B}), "le", "$1", "x", "(.*)")', (True, "")),  # makes le anew
    (f'label_replace(sum({B}), "x", "$1", "le", "(.*)")', (False, "sum")),
    (f'label_join(sum({B}), "le", ",", "x")', (True, "")),
    (f"histogram_quantile(0.9, {B})", (False, "histogram_quantile")),
    (f"abs({B})", (True, "")),
    (f"absent({B})", (None, "")),
    ("vector(1)", (None, "")),
    (f"{B} and sum(queue_depth)", (True, "")),
    (f"sum({B}) unless {B}", (False, "sum")),
    (f"{B} * 2", (True, "")),
    (f"2 * sum({B})", (False, "sum")),
    (f"sum({B}) * 2", (False, "sum")),
    (f"{B} or sum({B})", (False, "sum")),
    (f"sum by (route) ({B}) or {B}", (False, "sum by (route)")),
    (f"{B} or {B}", (None, "")),
    (f"{B} / on (route) {B}", (False, "/ on (route)")),
    (f"{B} / on (route, code) {B}", (False, "/ on (route, code)")),
    (f"{B} / ignoring (code, le) {B}", (False, "/ ignoring (code, le)")),
    (f"{B} / on () {B}", (False, "/ on ()")),
    (f"{B} / on (route, le) {B}", (True, "")),
    (f"{B} / ignoring (le) {B}", (False, "/ ignoring (le)")),
    (f"{B} / ignoring (route) {B}", (True, "")),
    (f"{B} / sum({B})", (True, "")),  # one-to-one: the left-hand side's labels
    (f"sum({B}) / {B}", (False, "sum")),
    (f"{B} / on (route) group_left sum by (route) ({B})", (True, "")),  # many-to-one: the left's labels
    (f"sum by (route) ({B}) / on (route) group_right {B}", (True, "")),  # one-to-many: the right's
    (f"{B} / on (route) group_right sum by (route) ({B})", (False, "sum by (route)")),
])
def test_whether_le_survives_and_what_dropped_it(expr, le):
    assert Analysis(RULES_CAT, parse(expr), "query").le(parse(expr)) == le


@pytest.mark.parametrize("expr, names", [
    ("a", ["a"]),
    ("rate(a[5m])", ["a"]),
    ("max_over_time(a[5m:1m])", ["a"]),
    ("sum by (x) (a)", ["a"]),
    ("a + b", ["a", "b"]),
    ("a * 2", ["a"]),
    ("a * scalar(b)", ["a"]),  # a scalar factor's series are not what is read
    ("scalar(b) * a", ["a"]),
    ("2 * a", ["a"]),
    ("a and b", ["a"]),
    ("a unless b", ["a"]),
    ("a or b", ["a", "b"]),
    ("absent(a)", []),
    ("absent_over_time(a[5m])", []),
    ("vector(1)", []),
    ("time()", []),
    ('label_replace(a, "x", "$1", "y", "(.*)")', ["a"]),
    ("1", []),
])
def test_the_series_whose_values_reach_histogram_quantile(expr, names):
    assert [s.name for s in Analysis(CAT, parse(expr), "query").sources(parse(expr))] == names


# ----------------------------------------------------------------------------- the spec's expressions

EVERYWHERE = """\
apiVersion: obsgen/v1
teams:
  - name: web
    slack: {channel: "#web", api_url_file: /s/slack-web}
datasources:
  - {name: logs, type: loki, uid: logs}
  - {name: traces, type: tempo, uid: traces}
routing:
  default_team: web
services:
  - name: db
    team: web
    scrape: {static: ["db:9000"]}
    metrics:
      - {name: db_queries_total, type: counter, help: Queries.}
    alerts:
      - {name: DbDown, expr: "up == 0", severity: warning, summary: s, description: d}
  - name: api
    team: web
    scrape: {static: ["api:8000"]}
    metrics:
      - {name: http_requests_total, type: counter, help: Requests., labels: [code, route]}
      - {name: http_request_duration_seconds, type: histogram, help: Latency., labels: [route], buckets: [0.1, 0.5]}
      - {name: queue_depth, type: gauge, help: Jobs waiting., labels: [queue]}
    alerts:
      - {name: QueueLong, expr: "queue_depth > 10", severity: warning, summary: s, description: d}
      - {name: QueueLonger, expr: "queue_depth > 100", severity: warning, summary: s, description: d}
    recording_rules:
      - {record: "route:http_requests:rate5m", expr: "sum by (route) (rate(http_requests_total[5m]))"}
      - {record: "queue:depth:max", expr: "max by (queue) (queue_depth)"}
    slos:
      - {name: good, objective: 99.9, sli: {ratio: {good: 'http_requests_total{code!~"5.."}', total: http_requests_total}}}
      - {name: bad, objective: 99.9, sli: {ratio: {bad: 'http_requests_total{code=~"5.."}', total: http_requests_total}}}
      - {name: fast, objective: 99, sli: {latency: {histogram: http_request_duration_seconds, threshold: 0.5, matchers: 'route="/"'}}}
      - {name: fastall, objective: 99, sli: {latency: {histogram: http_request_duration_seconds, threshold: 0.5}}}
      - {name: fresh, objective: 99, sli: {freshness: {gauge: queue_depth, max: 5.5}}}
      - {name: raw, objective: 99, sli: {raw: {error_ratio: "sum(rate(http_requests_total[{{ window }}])) / sum(rate(http_requests_total[{{window}}]))"}}}
dashboards:
  - title: One
    panels:
      - {title: Plain, queries: [{expr: "sum(queue_depth)"}, {datasource: traces, extra: {query: x}}, {expr: "rate(up[$__rate_interval]) > $x"}]}
      - {title: Logs, datasource: logs, queries: [{expr: "{app=\\"api\\"}"}]}
      - title: Row
        type: row
        datasource: logs
        panels:
          - {title: InRowLogs, queries: [{expr: "count_over_time({app=\\"x\\"}[5m])"}]}
          - {title: InRowProm, datasource: prometheus, queries: [{expr: "queue_depth"}, {expr: "up"}]}
  - title: Two
    panels:
      - title: Mixed
        queries: [{expr: 'up{job="db"}'}, {expr: "count_over_time({app=\\"x\\"}[1m])", datasource: logs}]
"""


def test_every_promql_expression_of_the_spec_is_linted_as_what_it_is():
    api = ("services", 1)
    slo = lambda j: (*api, "slos", j)
    assert expressions(env(EVERYWHERE).parsed) == [
        Expr("up == 0", "alert", ("services", 0, "alerts", 0, "expr"), ("services", 0, "alerts", 0),
             "alert DbDown (service db)"),
        Expr("queue_depth > 10", "alert", (*api, "alerts", 0, "expr"), (*api, "alerts", 0),
             "alert QueueLong (service api)"),
        Expr("queue_depth > 100", "alert", (*api, "alerts", 1, "expr"), (*api, "alerts", 1),
             "alert QueueLonger (service api)"),
        Expr("sum by (route) (rate(http_requests_total[5m]))", "record", (*api, "recording_rules", 0, "expr"),
             (*api, "recording_rules", 0), "recording rule route:http_requests:rate5m (service api)"),
        Expr("max by (queue) (queue_depth)", "record", (*api, "recording_rules", 1, "expr"),
             (*api, "recording_rules", 1), "recording rule queue:depth:max (service api)"),
        # SLIs as obsgen's SLO rules use them: rates over the base window, the freshness comparison
        Expr('sum(rate(http_requests_total{code!~"5.."}[5m]))', "sli", (*slo(0), "sli", "ratio", "good"), slo(0),
             "SLO good (service api)"),
        Expr("sum(rate(http_requests_total[5m]))", "sli", (*slo(0), "sli", "ratio", "total"), slo(0),
             "SLO good (service api)"),
        Expr('sum(rate(http_requests_total{code=~"5.."}[5m]))', "sli", (*slo(1), "sli", "ratio", "bad"), slo(1),
             "SLO bad (service api)"),
        Expr("sum(rate(http_requests_total[5m]))", "sli", (*slo(1), "sli", "ratio", "total"), slo(1),
             "SLO bad (service api)"),
        Expr('sum(rate(http_request_duration_seconds_count{route="/"}[5m]))', "sli",
             (*slo(2), "sli", "latency", "matchers"), slo(2), "SLO fast (service api)"),
        Expr('sum(rate(http_request_duration_seconds_bucket{route="/"}[5m]))', "sli",
             (*slo(2), "sli", "latency", "matchers"), slo(2), "SLO fast (service api)"),
        Expr("sum(rate(http_request_duration_seconds_count[5m]))", "sli", (*slo(3), "sli", "latency", "histogram"),
             slo(3), "SLO fastall (service api)"),
        Expr("sum(rate(http_request_duration_seconds_bucket[5m]))", "sli", (*slo(3), "sli", "latency", "histogram"),
             slo(3), "SLO fastall (service api)"),
        Expr("max(queue_depth) > bool 5.5", "sli", (*slo(4), "sli", "freshness", "gauge"), slo(4),
             "SLO fresh (service api)"),
        Expr("sum(rate(http_requests_total[5m])) / sum(rate(http_requests_total[5m]))", "sli",
             (*slo(5), "sli", "raw", "error_ratio"), slo(5), "SLO raw (service api)"),
        # Prometheus queries of dashboards, rows' panels included, with variables as Grafana sends them;
        # Loki's (by the panel's, the row's or the query's datasource) and queries without expr are not PromQL.
        Expr("sum(queue_depth)", "query", ("dashboards", 0, "panels", 0, "queries", 0, "expr"),
             ("dashboards", 0, "panels", 0), "panel 'Plain' of dashboard 'One'"),
        Expr("rate(up[$__rate_interval]) > 1", "query", ("dashboards", 0, "panels", 0, "queries", 2, "expr"),
             ("dashboards", 0, "panels", 0), "panel 'Plain' of dashboard 'One'"),
        Expr("queue_depth", "query", ("dashboards", 0, "panels", 2, "panels", 1, "queries", 0, "expr"),
             ("dashboards", 0, "panels", 2, "panels", 1), "panel 'InRowProm' of dashboard 'One'"),
        Expr("up", "query", ("dashboards", 0, "panels", 2, "panels", 1, "queries", 1, "expr"),
             ("dashboards", 0, "panels", 2, "panels", 1), "panel 'InRowProm' of dashboard 'One'"),
        Expr('up{job="db"}', "query", ("dashboards", 1, "panels", 0, "queries", 0, "expr"),
             ("dashboards", 1, "panels", 0), "panel 'Mixed' of dashboard 'Two'"),
    ]


def test_a_spec_without_dashboards_has_only_its_rules_and_slis_linted():
    assert [(e.kind, e.text) for e in expressions(env(spec(service=RULES)).parsed)] == [
        ("record", "sum by (route, le) (rate(http_request_duration_seconds_bucket[5m]))"),
        ("record", "sum by (route) (rate(http_request_duration_seconds_bucket[5m]))"),
        ("record", "rate(unknown_total[5m])")]


def pos(text: str, needle: str, nth: int = 0) -> Pos:
    """Where the `nth` occurrence of `needle` starts in `text`."""
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    return Pos("spec.yaml", text.count("\n", 0, i) + 1, i - (text.rfind("\n", 0, i) + 1) + 1)


def test_findings_are_said_of_their_object_at_the_expression():
    alerts = ('      - {name: Raw, expr: "http_requests_total > 0", severity: warning, summary: s, description: d}\n'
              '      - {name: Bad, expr: "delta(http_requests_total[5m]) > 1", severity: warning, summary: s, '
              'description: d}\n'
              '      - {name: Always, expr: "queue_depth", severity: warning, summary: s, description: d}\n')
    board = ('dashboards:\n  - title: D\n    panels:\n'
             '      - {title: P, queries: [{expr: "sum(("}, {expr: "nope_metric"}]}\n')
    text = spec(alerts, top=board)
    e = env(text)
    raw = raw_counter("http_requests_total", "compared (`>`)")
    bad = raw_counter("http_requests_total", "delta() over its raw values", sure=True)
    assert expression_findings(e.tree, e.parsed, e.model) == [
        Finding(Diagnostic(Severity.WARNING, "OBS052", f"alert Raw (service api): {raw[2]}",
                           pos(text, '"http_requests_total > 0"'), raw[3]),
                ("services", 0, "alerts", 0), "alert Raw (service api)"),
        Finding(Diagnostic(Severity.ERROR, "OBS052", f"alert Bad (service api): {bad[2]}",
                           pos(text, '"delta('), bad[3]),
                ("services", 0, "alerts", 1), "alert Bad (service api)"),
        Finding(Diagnostic(Severity.ERROR, "OBS055", f"alert Always (service api): {no_condition('`queue_depth`')[2]}",
                           pos(text, '"queue_depth"'), NO_CONDITION_HINT),
                ("services", 0, "alerts", 2), "alert Always (service api)"),
        # a query that does not parse (reported elsewhere) is skipped, and the next one linted
        Finding(Diagnostic(Severity.WARNING, "OBS050", f"panel 'P' of dashboard 'D': {unknown('nope_metric')[2]}",
                           pos(text, '"nope_metric"'), UNKNOWN_HINT),
                ("dashboards", 0, "panels", 0), "panel 'P' of dashboard 'D'"),
    ]


def test_an_sli_is_linted_as_obsgen_reads_it_and_reported_where_it_is_written():
    slo = ("    slos:\n      - name: avail\n        objective: 99.9\n"
           "        sli: {ratio: {bad: 'http_requests_total{status=~\"5..\"}', total: queue_depth}}\n")
    text = spec(service=slo)
    e = env(text)
    what = "SLO avail (service api)"
    assert [(f.diagnostic.code, f.diagnostic.pos, f.diagnostic.message, f.diagnostic.hint, f.owner, f.what)
            for f in expression_findings(e.tree, e.parsed, e.model)] == [
        ("OBS051", pos(text, "'http_requests_total{status"), f"{what}: `http_requests_total` has no label `status`",
         "labels it can have: code, instance, job, route", ("services", 0, "slos", 0), what),
        ("OBS052", pos(text, "queue_depth}}"), (f"{what}: rate() over gauge `queue_depth`: it reads every drop of the "
                                               "gauge as a counter reset"),
         "obsgen takes the rate() of a ratio SLI's selectors: give counters (or use a freshness SLI for a gauge)",
         ("services", 0, "slos", 0), what)]


# ----------------------------------------------------------------------------- lint.run

def test_lint_findings_of_every_check_come_sorted_by_position_then_code():
    alerts = '      - {name: raw, expr: "histogram_quantile(0.9, rate(http_request_duration_seconds[5m])) > 1", ' \
             'severity: warning, ' \
             'summary: s, description: d}\n'
    idle = TEAM + "  - name: idle\n    slack: {channel: \"#idle\", api_url_file: /s/slack-idle}\n"
    text = spec(alerts, teams=idle)
    e = env(text)
    found = lint.run(e.tree, e.parsed, e.model)
    assert [(f.diagnostic.code, f.diagnostic.pos) for f in found] == [
        ("OBS062", pos(text, "idle\n")),  # routing: a team nothing routes to, first in the file
        ("OBS057", pos(text, "raw,")),  # the alert's name, before its expression
        ("OBS050", pos(text, '"histogram')),  # found after OBS053, which its code sorts after
        ("OBS053", pos(text, '"histogram'))]
    assert [f.owner for f in found] == [("teams", 1)] + [("services", 0, "alerts", 0)] * 3


def test_a_finding_is_kept_once_per_object_it_is_about():
    """YAML aliases: one alert written twice is two alerts (each reported), one query written twice in a
    panel is one finding of that panel."""
    alerts = ('      - &a {name: Raw, expr: "http_requests_total > 0", severity: warning, summary: s, '
              'description: d}\n      - *a\n')
    board = ('dashboards:\n  - title: D\n    panels:\n'
             '      - {title: P, queries: [&q {expr: "nope_metric"}, *q, {expr: "other_metric"}]}\n')
    text = spec(alerts, top=board)
    e = env(text)
    found = lint.run(e.tree, e.parsed, e.model)
    assert [(f.diagnostic.code, f.diagnostic.pos, f.owner) for f in found] == [
        ("OBS052", pos(text, '"http_requests_total > 0"'), ("services", 0, "alerts", 0)),
        ("OBS052", pos(text, '"http_requests_total > 0"'), ("services", 0, "alerts", 1)),
        ("OBS050", pos(text, '"nope_metric"'), ("dashboards", 0, "panels", 0)),
        ("OBS050", pos(text, '"other_metric"'), ("dashboards", 0, "panels", 0))]
    assert [f.diagnostic.message for f in found][2:] == [
        f"panel 'P' of dashboard 'D': {unknown('nope_metric')[2]}",
        f"panel 'P' of dashboard 'D': {unknown('other_metric')[2]}"]


def test_problems_are_plain_values():
    assert Problem("OBS050", False, "m") == Problem("OBS050", False, "m", None)
