"""Alert routing: obsgen's Alertmanager route evaluator, the spec's routing table, and `obsgen check`
running that table through amtool.

The evaluator is held to amtool's answers on random labels, over the reference output and over
tests/fixtures/routing/tricky.yml, a config built to exercise matcher syntax, the RE2 dialect and
the routing rules.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from ruamel.yaml import YAML

from obsgen.core import naming
from obsgen.api import generate, load_project, load_texts
from obsgen.features.verify import amtool_routes, check_routing_tests, check_tree
from obsgen.core.serialise import to_yaml
from obsgen.core.naming import DEFAULT_RECEIVER, receiver_name
from obsgen.core.routes import (Matcher, RoutingRow, UnsupportedRegex, describe_route, go_regex, match_routes,
                                parse_label_args, parse_matcher, parse_matchers, read_routing_table,
                                receiver_integrations, route_matchers, routing_table_doc)
from obsgen.resolve.routing_table import routing_table
from obsgen.targets import alertmanager as am_target
from obsgen.write.tree import write_tree

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"
PRODUCTION = ROOT / "generated" / "production" / "alertmanager" / "alertmanager.yml"
TRICKY = Path(__file__).parent / "fixtures" / "routing" / "tricky.yml"
AMTOOL = shutil.which("amtool")
needs_amtool = pytest.mark.skipif(AMTOOL is None, reason="needs amtool (apt-get install prometheus-alertmanager)")
PROPERTY = dict(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def load(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def receivers(config: dict, labels: dict[str, str]) -> list[str]:
    return [h.receiver for h in match_routes(config, labels)]


# ----------------------------------------------------------------------------- matcher syntax

@pytest.mark.parametrize("text, name, op, value", [
    ('a="b"', "a", "=", "b"),
    ('a!="b"', "a", "!=", "b"),
    ('a=~"b.*"', "a", "=~", "b.*"),
    ('a!~"b.*"', "a", "!~", "b.*"),
    ("a=b", "a", "=", "b"),
    ("  a  !=  spaced value  ", "a", "!=", "spaced value"),
    ('a="  kept  "', "a", "=", "  kept  "),
    (r'a="say \"hi\""', "a", "=", 'say "hi"'),
    (r'a="back\\slash"', "a", "=", "back\\slash"),
    (r'a="two\nlines"', "a", "=", "two\nlines"),
    (r'a="\q"', "a", "=", "\\q"),
    (r'a="\X"', "a", "=", "\\X"),
    ("a=ends\\", "a", "=", "ends\\"),
    ('a=""', "a", "=", ""),
    ("a=", "a", "=", ""),
    ("a==b", "a", "=", "=b"),
    ("a=~", "a", "=~", ""),
    ("_x:y=1", "_x:y", "=", "1"),
    ("a=VALUEX", "a", "=", "VALUEX"),  # only Go's white space is trimmed from the end
])
def test_a_matcher_is_read_as_alertmanager_reads_it(text, name, op, value):
    assert parse_matcher(text) == Matcher(name, op, value)


@pytest.mark.parametrize("text, message", [
    ('a="b', "unescaped double quote"),
    ('a=b"c', "unescaped double quote"),
    (r'a="b\"', "unescaped double quote"),
    ('a=bc"', "unescaped double quote"),
    ('a="b"c"', "unescaped double quote"),
    ('a="b"\x0b', "unescaped double quote"),  # a vertical tab is not trimmed: the quote is not last
    ("1a=b", "bad matcher format"),
    ("a<b", "bad matcher format"),
    ("a", "bad matcher format"),
    ("", "bad matcher format"),
])
def test_a_malformed_matcher_is_refused_with_alertmanagers_reason(text, message):
    with pytest.raises(ValueError, match=message):
        parse_matcher(text)


def test_a_matchers_item_may_hold_several_matchers_in_optional_braces():
    assert parse_matchers('{a="b", c!="d",}') == [Matcher("a", "=", "b"), Matcher("c", "!=", "d")]
    assert parse_matchers('a="x,y",b=~"1|2"') == [Matcher("a", "=", "x,y"), Matcher("b", "=~", "1|2")]
    with pytest.raises(ValueError, match="bad matcher format"):
        parse_matchers("a=b,,c=d")


@given(name=st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,8}", fullmatch=True),
       op=st.sampled_from(["=", "!=", "=~", "!~"]), value=st.text(max_size=12))
def test_a_matcher_reads_back_from_how_it_prints(name, op, value):
    m = Matcher(name, op, value)
    assert parse_matcher(str(m)) == m


def test_deprecated_match_and_match_re_maps_are_matchers_too():
    route = {"matchers": ['a="1"'], "match": {"b": "2"}, "match_re": {"c": "3|4"}}
    assert route_matchers(route) == [Matcher("a", "=", "1"), Matcher("b", "=", "2"), Matcher("c", "=~", "3|4")]


# ----------------------------------------------------------------------------- regexes

@pytest.mark.parametrize("pattern, value, matches", [
    ("crit", "critical", False),         # fully anchored
    ("crit.*", "critical", True),
    ("a|b", "ab", False),                 # the alternation is anchored as a whole
    ("a$", "a\n", False),                 # `$` is the end of the text, not before a final newline
    ("(?m)a$\n^b", "a\nb", True),
    ("a{,2}", "a{,2}", True),             # RE2 reads `{,2}` literally; Python would repeat
    ("a{,2}", "aa", False),
    ("[[:upper:]][[:digit:]]", "A1", True),
    (r"\d", "٣", False),                  # Perl classes are ASCII in RE2
    (r".*\bb\b.*", "x b y", True),
    (r".*\bb\b.*", "xby", False),
    ("(?i)é", "É", True),                 # case folding is Unicode
    ("x(?i)b(?-i)c", "xBc", True),
    ("x(?i)b(?-i)c", "xBC", False),
    ("a(?i)b|c", "C", True),              # a bare flag group reaches across `|` to the group's end
    ("a(?i)b|c", "Ab", False),
    ("a.b", "a\nb", False),
    ("(?s)a.b", "a\nb", True),
    (r"\Qa.b\E", "a.b", True),
    (r"\Qa.b\E", "axb", False),
    (r"\x{e9}", "é", True),
    (r"\101", "A", True),
    ("[]a]+", "]a", True),
])
def test_regexes_follow_re2_not_python(pattern, value, matches):
    assert (go_regex(pattern).fullmatch(value) is not None) is matches


@pytest.mark.parametrize("pattern, value, matches", [(r"\pL+", "éa", True), (r"\p{Greek}", "a", False),
                                                     ("(?U)a+", "aaa", True)])
def test_unicode_classes_and_flags_re2_knows_are_evaluated(pattern, value, matches):
    assert (go_regex(pattern).fullmatch(value) is not None) is matches


def test_a_catastrophic_pattern_is_matched_in_linear_time():
    # Python's re takes longer than the age of the universe on this; RE2 a microsecond.
    assert go_regex("(a+)+$").fullmatch("a" * 100_000 + "!") is None


@pytest.mark.parametrize("pattern", [r"\1", "[[:nope:]]", "(a", r"\x{zz}", r"\x{e9", "a**"])
def test_a_regex_re2_refuses_is_an_error_not_a_guess(pattern):
    with pytest.raises(UnsupportedRegex):
        go_regex(pattern)


@given(st.text(st.sampled_from("ab.*+?|()[]{}^$\\:,-=~!1x{}EQzbBdDpiUsm\n\""), max_size=14))
def test_any_pattern_translates_or_is_refused_as_unsupported(pattern):
    try:
        go_regex(pattern)
    except UnsupportedRegex:
        pass


# ----------------------------------------------------------------------------- routing rules

def config(*routes: dict, **root) -> dict:
    return {"route": {"receiver": "root", **root, "routes": list(routes)}}


def test_the_root_matches_everything_when_no_child_does():
    cfg = config({"matchers": ['team="a"'], "receiver": "a"})
    assert receivers(cfg, {}) == ["root"]
    assert receivers({"route": {"receiver": "root"}}, {"anything": "x"}) == ["root"]


def test_the_first_matching_child_wins_unless_it_continues():
    first, second = {"matchers": ['x="1"'], "receiver": "first"}, {"matchers": ['x=~".*"'], "receiver": "second"}
    assert receivers(config(first, second), {"x": "1"}) == ["first"]
    assert receivers(config({**first, "continue": True}, second), {"x": "1"}) == ["first", "second"]
    assert receivers(config({**first, "continue": True}, second), {"x": "2"}) == ["second"]


def test_a_child_whose_children_all_miss_is_itself_the_hit_and_stops_its_siblings():
    parent = {"matchers": ['team="a"'], "receiver": "team-a",
              "routes": [{"matchers": ['severity="critical"'], "receiver": "team-a-pager"}]}
    sibling = {"matchers": ['team=~".*"'], "receiver": "sibling"}
    assert receivers(config(parent, sibling), {"team": "a", "severity": "info"}) == ["team-a"]
    assert receivers(config(parent, sibling), {"team": "a", "severity": "critical"}) == ["team-a-pager"]


def test_settings_are_inherited_except_time_intervals():
    leaf = {"matchers": ['severity="critical"'], "group_wait": "5s"}
    team = {"matchers": ['team="a"'], "receiver": "team-a", "group_by": ["alertname"], "repeat_interval": "1h",
            "mute_time_intervals": ["nights"], "active_time_intervals": ["weekdays"], "routes": [leaf]}
    hit, = match_routes(config(team, group_wait="10s", group_by=["service"]), {"team": "a", "severity": "critical"})
    assert (hit.receiver, hit.group_by, hit.group_wait, hit.group_interval, hit.repeat_interval) == (
        "team-a", ("alertname",), "5s", "5m", "1h")
    assert hit.mute_time_intervals == () and hit.active_time_intervals == ()
    hit, = match_routes(config(team), {"team": "a"})
    assert hit.mute_time_intervals == ("nights",) and hit.active_time_intervals == ("weekdays",)


def test_the_root_takes_alertmanagers_defaults_and_group_by_dots_means_all_labels():
    hit, = match_routes({"route": {"receiver": "r"}}, {})
    assert (hit.group_by, hit.group_wait, hit.group_interval, hit.repeat_interval) == ((), "30s", "5m", "4h")
    child = {"matchers": ['a="1"'], "group_by": ["..."], "routes": [{"matchers": ['b="2"'], "group_by": []}]}
    hit, = match_routes(config(child, group_by=["x"]), {"a": "1", "b": "2"})
    assert hit.group_by == ("...",)  # an empty group_by inherits, as in Alertmanager


def test_group_by_dots_beside_labels_groups_by_the_labels():
    # Alertmanager refuses such a config; the evaluator, fed one unchecked, reads the labels and drops `...`.
    hit, = match_routes({"route": {"receiver": "r", "group_by": ["...", "a", "b", "a"]}}, {})
    assert hit.group_by == ("a", "b")


def test_a_route_that_is_not_a_mapping_is_an_error_naming_its_type():
    with pytest.raises(ValueError, match=r"^a route must be a mapping, not list$"):
        match_routes(config(["team=a"]), {"team": "a"})
    with pytest.raises(ValueError, match=r"^a route must be a mapping, not str$"):
        match_routes(config("r"), {})
    with pytest.raises(ValueError, match=r"^the configuration has no `route`$"):
        match_routes({"receivers": []}, {})
    with pytest.raises(ValueError, match=r"^the configuration has no `route`$"):
        match_routes({"route": ["r"]}, {})


def test_any_mapping_is_a_route_not_only_a_dict():
    from types import MappingProxyType
    child = MappingProxyType({"matchers": ['team="a"'], "receiver": "team-a"})
    root = MappingProxyType({"receiver": "default", "routes": [child]})
    assert [h.receiver for h in match_routes({"route": root}, {"team": "a"})] == ["team-a"]
    assert [h.receiver for h in match_routes({"route": root}, {"team": "b"})] == ["default"]


def test_not_equal_compares_text_and_never_reads_the_value_as_a_regex():
    assert Matcher("a", "!=", "x.y").matches({"a": "xzy"})
    assert not Matcher("a", "!=", "x.y").matches({"a": "x.y"})
    assert Matcher("a", "=", "x.y").matches({"a": "x.y"}) and not Matcher("a", "=", "x.y").matches({"a": "xzy"})


@pytest.mark.parametrize("value, written", [
    ('back\\slash', 'a="back\\\\slash"'),
    ("two\nlines", 'a="two\\nlines"'),
    ('say "hi"', 'a="say \\"hi\\""'),
    ('all \\ "three"\n', 'a="all \\\\ \\"three\\"\\n"'),
])
def test_a_matcher_is_written_with_alertmanagers_escapes_and_reads_back_the_same(value, written):
    m = Matcher("a", "=", value)
    assert str(m) == written
    assert parse_matcher(str(m)) == m


def test_a_missing_label_matches_as_the_empty_string():
    cfg = config({"matchers": ['x=""'], "receiver": "empty", "continue": True},
                 {"matchers": ['x=~".*"'], "receiver": "any", "continue": True},
                 {"matchers": ['x=~".+"'], "receiver": "set", "continue": True},
                 {"matchers": ['x!="a"'], "receiver": "not-a"})
    assert receivers(cfg, {}) == ["empty", "any", "not-a"]
    assert receivers(cfg, {"x": ""}) == ["empty", "any", "not-a"]
    assert receivers(cfg, {"x": "b"}) == ["any", "set", "not-a"]


def test_a_hit_records_the_matchers_that_led_to_it():
    cfg = config({"matchers": ['team="a"'], "match": {"env": "prod"},
                  "routes": [{"matchers": ['severity=~"critical|warning"'], "receiver": "pager"}]})
    hit, = match_routes(cfg, {"team": "a", "env": "prod", "severity": "warning"})
    assert hit.path == (('team="a"', 'env="prod"'), ('severity=~"critical|warning"',))


def test_a_config_without_a_route_is_an_error():
    with pytest.raises(ValueError, match="no `route`"):
        match_routes({"receivers": []}, {})


# ----------------------------------------------------------------------------- obsgen route

def test_describe_route_gives_each_hits_receiver_integrations_and_timing():
    cfg = config({"matchers": ['category="business"'], "continue": True, "group_wait": "1m",
                  "routes": [{"matchers": ['severity="info"'], "receiver": "desk", "mute_time_intervals": ["nights"]}]},
                 {"matchers": ['team="a"'], "receiver": "team-a"}, group_by=["alertname"])
    cfg["receivers"] = [{"name": "root"}, {"name": "desk", "email_configs": [{"to": "d@x"}], "slack_configs": []},
                        {"name": "team-a", "webhook_configs": [{}], "pagerduty_configs": [{}]}]
    assert describe_route(cfg, {"team": "a", "severity": "info", "category": "business"}) == [
        {"receiver": "desk", "integrations": ["email"], "group_by": ["alertname"], "group_wait": "1m",
         "group_interval": "5m", "repeat_interval": "4h", "mute_time_intervals": ["nights"],
         "active_time_intervals": [], "route": [['category="business"'], ['severity="info"']]},
        {"receiver": "team-a", "integrations": ["pagerduty", "webhook"], "group_by": ["alertname"],
         "group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h", "mute_time_intervals": [],
         "active_time_intervals": [], "route": [['team="a"']]}]
    with pytest.raises(ValueError, match="no receiver named 'nope'"):
        receiver_integrations(cfg, "nope")


def test_label_arguments_are_read_like_amtools():
    assert parse_label_args(["team=quant", 'summary="a \\"b\\", c"', "empty="]) == {
        "team": "quant", "summary": 'a "b", c', "empty": ""}


@pytest.mark.parametrize("args, message", [
    (["team"], "'team' is not LABEL=VALUE"),
    (["team=~q.*"], "not =~ matchers"),
    (["team!=x"], "not != matchers"),
    (["1team=x"], "'1team=x' is not LABEL=VALUE"),
    (['team="x'], "unescaped double quote"),
    (["team=a", "team=b"], "'team' is given twice"),
])
def test_a_bad_label_argument_says_which_and_why(args, message):
    with pytest.raises(ValueError, match=message):
        parse_label_args(args)


# ----------------------------------------------------------------------------- the spec's table

def reference_model(env: str = "production"):
    project = load_project([SPECS])
    assert project.ok
    return next(m for m in project.models if m.env == env)


def test_the_table_has_a_sorted_row_per_team_severity_and_category():
    model = reference_model()
    rows = routing_table(model)
    assert len(rows) == len(model.teams) * len(naming.SEVERITIES) * len(naming.CATEGORIES)
    keys = [(r.labels["team"], naming.SEVERITIES.index(r.labels["severity"]),
             naming.CATEGORIES.index(r.labels["category"])) for r in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    by_labels = {(r.labels["team"], r.labels["severity"], r.labels["category"]): r.receivers for r in rows}
    assert by_labels["quant", "critical", "business"] == ("business-critical", "quant-critical")
    assert by_labels["quant", "warning", "application"] == ("quant-warning",)
    assert by_labels["devops", "info", "infrastructure"] == ("devops-info",)  # its own category: once
    assert by_labels["backend", "critical", "infrastructure"] == ("devops-critical", "backend-critical")


SMALL_SPEC = """
apiVersion: obsgen/v1
teams:
  - name: ghost
  - name: sec
    slack: {channel: "#sec", api_url_file: /s/slack}
  - name: pager-only
    pagerduty: {routing_key_file: /s/pd}
routing:
  categories:
    security: {team: sec}
services:
  - name: api
    team: ghost
"""


def small_model():
    project = load_texts({"small.yaml": SMALL_SPEC})
    assert project.ok, [str(d) for d in project.diagnostics]
    return project, project.models[0]


def test_a_team_without_a_channel_for_the_severity_falls_to_the_default_receiver():
    _, model = small_model()
    rows = {(r.labels["team"], r.labels["severity"], r.labels["category"]): r.receivers for r in routing_table(model)}
    assert rows["pager-only", "critical", "application"] == ("pager-only-critical",)
    assert rows["pager-only", "warning", "application"] == (DEFAULT_RECEIVER,)
    assert rows["pager-only", "warning", "security"] == ("sec-warning", DEFAULT_RECEIVER)
    assert rows["ghost", "critical", "security"] == ("sec-critical", DEFAULT_RECEIVER)
    assert rows["sec", "critical", "security"] == ("sec-critical",)
    assert rows["sec", "info", "security"] == (DEFAULT_RECEIVER,)  # info goes by email; sec has none


def test_the_table_document_lists_labels_and_receivers():
    doc = routing_table_doc([RoutingRow({"team": "a", "severity": "info", "category": "business"}, ("b-info", "a-info"))])
    assert doc == {"tests": [{"labels": {"category": "business", "severity": "info", "team": "a"},
                              "receivers": ["b-info", "a-info"]}]}
    rows, problems = read_routing_table(doc)
    assert problems == [] and rows[0].receivers == ("b-info", "a-info")
    assert read_routing_table({"tests": [{"labels": {"a": 1}, "receivers": []}]})[1] == [
        "tests[0]: needs `labels` (label: string value) and a non-empty `receivers` list"]


@pytest.mark.parametrize("doc", [["tests"], "tests", None, {"tests": "row"}])
def test_a_table_that_is_not_a_mapping_with_a_list_is_a_problem_not_a_crash(doc):
    assert read_routing_table(doc) == ([], ["expected a mapping with a `tests` list"])


def test_each_bad_row_of_a_table_is_reported_and_the_good_rows_after_it_are_read():
    bad = [{"labels": {"a": 1}, "receivers": ["x"]}, {"labels": {"a": "b"}, "receivers": []}, "row",
           {"labels": {"a": "b"}, "receivers": [1]}, {"labels": ["a"], "receivers": ["x"]}]
    rows, problems = read_routing_table({"tests": [*bad, {"labels": {"a": "b"}, "receivers": ["x"]}]})
    assert rows == [RoutingRow({"a": "b"}, ("x",))]
    assert [p.split(":")[0] for p in problems] == [f"tests[{i}]" for i in range(len(bad))]


def test_the_table_uses_the_alertmanager_targets_receiver_names():
    assert DEFAULT_RECEIVER == am_target.DEFAULT_RECEIVER
    assert receiver_name("quant", "critical") == am_target.receiver_name("quant", "critical")


# ----------------------------------------------------------------------------- against amtool

def build_alertmanager(project, out: Path) -> list[Path]:
    """The alertmanager target's files, with the routing table beside each alertmanager.yml."""
    write_tree(out, generate(project, ["alertmanager"]))
    tables = []
    for model in project.models:
        table = out / model.env / "alertmanager" / "routing-tests.yaml"
        table.write_text(to_yaml(routing_table_doc(routing_table(model))), encoding="utf-8")
        tables.append(table)
    return tables


@pytest.mark.tools
@needs_amtool
def test_every_row_of_the_reference_table_passes_through_amtool(tmp_path):
    tables = build_alertmanager(load_project([SPECS]), tmp_path)
    assert len(tables) == 2
    for table in tables:
        results = check_routing_tests(table, table.name, AMTOOL)
        assert [(r.check, r.ok, r.detail) for r in results] == [
            ("amtool config routes test", True, ""), ("route evaluator", True, "")]


@pytest.mark.tools
@needs_amtool
def test_a_wrong_row_fails_obsgen_check_and_says_what_amtool_answered(tmp_path):
    table, = [t for t in build_alertmanager(load_project([SPECS]), tmp_path) if "production" in t.parts]
    doc = load(table)
    quant = next(t for t in doc["tests"] if t["labels"] == {"category": "business", "severity": "critical",
                                                            "team": "quant"})
    quant["receivers"] = ["quant-critical"]  # forgets that business alerts also reach the business team
    table.write_text(to_yaml(doc), encoding="utf-8")
    results = {r.check: r for r in check_tree(tmp_path) if r.file == "production/alertmanager/routing-tests.yaml"}
    amtool, evaluator = results["amtool config routes test"], results["route evaluator"]
    assert not amtool.ok and not evaluator.ok
    assert amtool.detail == ("1 of 108 rows failed:\ncategory=business severity=critical team=quant: "
                             "expected quant-critical, amtool answered business-critical,quant-critical")
    assert "obsgen's evaluator answered business-critical,quant-critical" in evaluator.detail


@pytest.mark.tools
@needs_amtool
def test_an_unreadable_table_is_a_failure_not_a_crash(tmp_path):
    table, _ = build_alertmanager(load_project([SPECS]), tmp_path)
    table.write_text("tests: {not: a list}\n", encoding="utf-8")
    result, = check_routing_tests(table, "t", AMTOOL)
    assert not result.ok and "`tests` list" in result.detail


@pytest.mark.tools
@needs_amtool
def test_the_small_spec_routes_as_its_table_says(tmp_path):
    project, _ = small_model()
    table, = build_alertmanager(project, tmp_path)
    results = check_routing_tests(table, "t", AMTOOL)
    assert all(r.ok for r in results), [r.detail for r in results]


def config_values(cfg: dict) -> dict[str, list[str]]:
    """The values the config's matchers compare each label with (regex alternatives split)."""
    values: dict[str, set[str]] = {}

    def walk(route: dict) -> None:
        for m in route_matchers(route):
            values.setdefault(m.name, set()).update(m.value.split("|") if m.op in ("=~", "!~") else [m.value])
        for child in route.get("routes") or []:
            walk(child)
    walk(cfg["route"])
    return {name: sorted(v) for name, v in sorted(values.items())}


# Anything a label value can hold and a command line can carry (no NUL, no lone surrogates).
free_values = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=10)
free_names = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,6}", fullmatch=True)


@st.composite
def label_sets(draw, values: dict[str, list[str]]) -> dict[str, str]:
    """Mostly the labels and values the config routes on, so that routes match; sometimes anything."""
    labels = draw(st.dictionaries(free_names, free_values, max_size=2))
    for name, known in values.items():
        if draw(st.integers(0, 4)):  # present four times in five
            labels[name] = draw(st.sampled_from(known) if draw(st.integers(0, 4)) else free_values)
    return labels


PRODUCTION_CONFIG = load(PRODUCTION)
TRICKY_CONFIG = load(TRICKY)


@pytest.mark.tools
@needs_amtool
@settings(**PROPERTY)
@given(labels=label_sets(config_values(PRODUCTION_CONFIG)))
def test_the_evaluator_routes_the_reference_output_as_amtool_does(labels):
    ok, printed = amtool_routes(AMTOOL, PRODUCTION, labels)
    assert ok, printed
    assert ",".join(receivers(PRODUCTION_CONFIG, labels)) == printed
    assert [h["receiver"] for h in describe_route(PRODUCTION_CONFIG, labels)] == printed.split(",")


TRICKY_X = ["a", "b", "c", "", "A", "a\n", "aa", "É", "é", "STRASSE", "straße", "A1", "1 _", "x b y", "xby",
            "a\nb", "axb", "a.b", "aB", "C", 'quo"te', "back\\slash", "line\nbreak", "spaced out", "a,b", "a{,2}"]
TRICKY_Y = ["1", "2", "3", "4", "n", "nx", "nz", "z"]


@pytest.mark.tools
@needs_amtool
@settings(**PROPERTY)
@given(x=st.none() | st.sampled_from(TRICKY_X) | free_values, y=st.none() | st.sampled_from(TRICKY_Y) | free_values)
def test_the_evaluator_agrees_with_amtool_on_matcher_syntax_regexes_and_routing_rules(x, y):
    labels = {k: v for k, v in (("x", x), ("y", y)) if v is not None}
    ok, printed = amtool_routes(AMTOOL, TRICKY, labels)
    assert ok, printed
    assert ",".join(receivers(TRICKY_CONFIG, labels)) == printed


@pytest.mark.parametrize("pattern, sample", [
    ("[^x]", "y"), ("[^a]", "x"), (".", "x"), ("[b-d]", "b"), ("(ab|cd)", "ab"), ("(?:ef|gh)+", "ef"),
    ("a+?", "a"), ("(x){2,3}", "xx"), (r"\d", "1"), ("^a$", "a"), ("5..", "5xx"), ("", ""),
])
def test_a_sample_of_a_regex_is_the_shortest_first_value_it_accepts(pattern, sample):
    from obsgen.core.regex import sample_of

    assert sample_of(pattern) == sample


@pytest.mark.parametrize("pattern", [r"[^xa0\-_Z]", "(", "a(?=b)"])
def test_a_regex_without_a_sample_obsgen_can_find_or_that_go_refuses_has_none(pattern):
    from obsgen.core.regex import sample_of

    assert sample_of(pattern) is None
