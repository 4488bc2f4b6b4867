"""Routing as teams write it: routes on any matchers before and after obsgen's own, receivers of the
spec's own, inhibit rules on any matchers; checked, written, tabled, and proven in amtool and a
real Alertmanager."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import needs
from ruamel.yaml import YAML

from obsgen.api import generate, load_texts
from obsgen.core.diagnostics import Severity
from obsgen.core.naming import DEFAULT_RECEIVER
from obsgen.features.verify import check_routing_tests
from obsgen.resolve.routing_table import expected, routing_table, sample_labels
from obsgen.write.tree import write_tree

TEAMS = """\
apiVersion: obsgen/v1
teams:
  - name: web
    slack: {channel: "#web-alerts", api_url_file: /etc/am/slack-web}
    pagerduty: {routing_key_file: /etc/am/pd-web}
  - name: platform
    slack: {channel: "#platform", api_url_file: /etc/am/slack-platform}
  - name: quiet
"""

ROUTING = """\
routing:
  default_team: platform
  time_intervals:
    weekends: [{weekdays: [saturday, sunday]}]
  receivers:
    - name: watchdog
      webhook: [{url: "https://hc-ping.example.org/obsgen-watchdog"}]
    - name: blackhole
    - name: web-pages
      slack: [{channel: "#web-pages", api_url_file: /etc/am/slack-web}]
      pagerduty: [{routing_key_file: /etc/am/pd-web}]
    - name: kube
      slack: [{channel: "#kube", api_url_file: /etc/am/slack-platform}]
  routes:
    - matchers: ['alertname="Watchdog"']
      receiver: watchdog
      group_wait: 0s
      repeat_interval: 1m
    - matchers: ['alertname="InfoInhibitor"']
      receiver: blackhole
    - matchers: ['team="web"', 'severity="critical"']
      receiver: web-pages
      group_by: [alertname, service]
    - matchers: ['namespace=~"kube-system|kube-public"']
      receiver: kube
      position: last
      mute_during: [weekends]
      routes:
        - matchers: ['severity="critical"']
          receiver: platform-critical
          continue: true
  inhibit_rules:
    - source_matchers: ['alertname="PostgresDown"']
      target_matchers: ['alertname="PostgresConnectionsHigh"']
      equal: [instance]
"""

SPEC = TEAMS + ROUTING


def project(text: str = SPEC):
    return load_texts({"spec.yaml": text})


def errors(text: str) -> list:
    return [d for d in project(text).diagnostics if d.severity is Severity.ERROR]


def config(text: str = SPEC) -> dict:
    p = project(text)
    assert p.ok, [d.message for d in p.diagnostics if d.severity is Severity.ERROR]
    return YAML(typ="safe").load(generate(p)["default/alertmanager/alertmanager.yml"])


# ----------------------------------------------------------------------------- the written config

def test_the_spec_own_routes_come_first_and_last_around_obsgens():
    routes = config()["route"]["routes"]
    firsts = [r.get("matchers") for r in routes[:3]]
    assert firsts == [['alertname="Watchdog"'], ['alertname="InfoInhibitor"'], ['team="web"', 'severity="critical"']]
    assert [r["matchers"] for r in routes[3:5]] == [['team="platform"'], ['team="web"']]
    last = routes[5]
    assert last["matchers"] == ['namespace=~"kube-system|kube-public"'] and last["receiver"] == "kube"
    assert last["mute_time_intervals"] == ["weekends"]
    assert last["routes"] == [{"matchers": ['severity="critical"'], "receiver": "platform-critical",
                               "continue": True}]
    assert routes[0]["group_wait"] == "0s" and routes[0]["repeat_interval"] == "1m"
    assert routes[2]["group_by"] == ["alertname", "service"]


def test_receivers_of_the_spec_own_are_written_with_their_integrations_and_a_null_one_with_none():
    receivers = {r["name"]: r for r in config()["receivers"]}
    assert receivers["blackhole"] == {"name": "blackhole"}
    assert receivers["watchdog"]["webhook_configs"] == [{"url": "https://hc-ping.example.org/obsgen-watchdog",
                                                         "send_resolved": True}]
    pages = receivers["web-pages"]
    assert pages["slack_configs"][0]["channel"] == "#web-pages"
    assert pages["slack_configs"][0]["api_url_file"] == "/etc/am/slack-web"
    assert pages["pagerduty_configs"][0]["routing_key_file"] == "/etc/am/pd-web"
    assert "web-critical" in receivers and DEFAULT_RECEIVER in receivers  # obsgen's own are still there


def test_inhibit_rules_on_any_matchers_follow_the_severity_ones():
    rules = config()["inhibit_rules"]
    assert rules[-1] == {"source_matchers": ['alertname="PostgresDown"'],
                         "target_matchers": ['alertname="PostgresConnectionsHigh"'], "equal": ["instance"]}
    assert rules[0]["source_matchers"] == ['severity="critical"']


def test_a_team_without_channels_is_routed_after_the_last_routes():
    # With a category route (continue: true) above, a team without channels keeps a route of its
    # own to the default receiver; the spec's last routes come before it, so they get its alerts.
    text = SPEC.replace("routing:\n", "routing:\n  categories:\n    security: {team: platform}\n", 1)
    routes = config(text)["route"]["routes"]
    quiet = [i for i, r in enumerate(routes) if r.get("matchers") == ['team="quiet"']]
    kube = [i for i, r in enumerate(routes) if r.get("receiver") == "kube"]
    assert quiet and kube and quiet[0] > kube[0]


# ----------------------------------------------------------------------------- the routing table

def test_the_table_says_where_the_spec_own_routes_send_alerts():
    p = project()
    (model,) = p.models
    rows = {tuple(sorted(r.labels.items())): r.receivers for r in routing_table(model)}
    assert rows[(("alertname", "Watchdog"),)] == ("watchdog",)
    assert rows[(("alertname", "InfoInhibitor"),)] == ("blackhole",)
    assert rows[(("namespace", "kube-system"),)] == ("kube",)
    assert rows[(("namespace", "kube-system"), ("severity", "critical"))] == ("platform-critical",)
    # obsgen's own rows: a first route takes web's critical alerts, the others go where they did
    assert rows[(("category", "application"), ("severity", "critical"), ("team", "web"))] == ("web-pages",)
    assert rows[(("category", "application"), ("severity", "warning"), ("team", "web"))] == ("web-warning",)


def test_alerts_no_team_route_takes_reach_the_last_routes_then_the_default():
    (model,) = project().models
    assert expected(model, {"namespace": "kube-public", "team": "quiet", "severity": "warning"}) == ("kube",)
    assert expected(model, {"team": "quiet", "severity": "warning"}) == (DEFAULT_RECEIVER,)
    assert expected(model, {"team": "web", "severity": "warning", "namespace": "kube-system"}) == ("web-warning",)


def test_labels_are_made_up_only_where_the_matchers_allow_it():
    assert sample_labels([{"matchers": ['a="x"', 'b=~"y|z"', 'c!="q"']}]) == {"a": "x", "b": "y"}
    assert sample_labels([{"matchers": ['a=~"x.+"']}]) == {"a": "xx"}  # made up, and checked against the regex
    assert sample_labels([{"matchers": ['a=~"(api|edge)-[^x]+"']}]) == {"a": "api-y"}  # from the regex's syntax
    assert sample_labels([{"matchers": ['a=~"x.+"', 'a=~"y.*"']}]) is None  # no value both accept
    assert sample_labels([{"matchers": ['a="x"']}, {"matchers": ['a="y"']}]) is None  # contradicting
    assert sample_labels([{"matchers": ['a!~""']}]) is None  # needs a value obsgen cannot choose


# ----------------------------------------------------------------------------- what is refused

@pytest.mark.parametrize("change, code, words", [
    ("receiver: web-pages\n      group_by", "OBS021", "does not exist"),
    ("- name: kube\n", "OBS020", "obsgen builds"),
    ("mute_during: [weekends]", "OBS021", "time interval"),
    ('namespace=~"kube-system|kube-public"', "OBS036", "RE2"),
], ids=["unknown-receiver", "receiver-name-taken", "unknown-interval", "not-re2"])
def test_mistakes_in_the_spec_own_routing_are_errors_at_their_place(change, code, words):
    replacement = {
        "receiver: web-pages\n      group_by": "receiver: web-pagez\n      group_by",
        "- name: kube\n": "- name: web-critical\n",
        "mute_during: [weekends]": "mute_during: [holidays]",
        'namespace=~"kube-system|kube-public"': 'namespace=~"(?=kube)"',
    }[change]
    text = SPEC.replace(change, replacement, 1)
    if change == "- name: kube\n":
        text = text.replace("receiver: kube\n", "receiver: web-critical\n")
    found = [d for d in errors(text) if d.code == code]
    assert found and words in found[0].message and found[0].pos.line > 10, [d.message for d in errors(text)]


def test_a_matcher_alertmanager_cannot_read_is_an_error_at_it():
    text = SPEC.replace("['alertname=\"InfoInhibitor\"']", "['alertname=InfoInhibitor\"']")
    (err,) = errors(text)
    assert err.code == "OBS011" and "not an Alertmanager matcher" in err.message


def test_nested_routes_have_no_position_and_receivers_no_twins():
    nested = SPEC.replace("          continue: true\n", "          continue: true\n          position: last\n")
    assert any("`position` is for top-level routes" in d.message for d in errors(nested))
    twice = SPEC.replace("    - name: kube\n", "    - name: blackhole\n")
    assert any("defined twice" in d.message for d in errors(twice))


def test_mail_needs_a_mail_server():
    text = SPEC.replace("    - name: blackhole\n", "    - name: blackhole\n      email: [{to: a@example.org}]\n")
    assert [d.code for d in errors(text)] == ["OBS046"]


def test_alertmanager_config_resources_cannot_hold_the_spec_own_routing():
    text = SPEC.replace("apiVersion: obsgen/v1\n", "apiVersion: obsgen/v1\noutput:\n  target: operator\n"
                        "  operator: {alertmanager: alertmanager_config}\n")
    codes = [(d.code, d.message.split(":")[0]) for d in errors(text)]
    for key in ("routes", "receivers", "inhibit_rules"):
        assert ("OBS045", f"routing.{key}") in codes


def test_an_alert_sent_to_a_receiver_of_the_spec_own_is_not_reported_lost():
    text = SPEC + """\
services:
  - name: web-api
    team: web
    alerts:
      - {name: WebDown, expr: 'up == 0', for: 2m, severity: critical, summary: down, description: down,
         runbook_url: "https://runbooks.example.org/x"}
"""
    assert [d for d in project(text).diagnostics if d.code == "OBS060"] == []


# ----------------------------------------------------------------------------- the real tools

@needs("amtool")
def test_amtool_accepts_the_config_and_routes_every_table_row_as_the_spec_says(tmp_path):
    p = project()
    write_tree(tmp_path / "out", generate(p))
    tests = tmp_path / "out" / "default" / "alertmanager" / "routing-tests.yaml"
    results = check_routing_tests(tests, "routing-tests.yaml", shutil.which("amtool"))
    assert results and all(r.ok for r in results), [r.detail for r in results]


@pytest.mark.tools
@pytest.mark.skipif(not (shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")),
                    reason="needs prometheus-alertmanager (apt-get install prometheus-alertmanager)")
def test_a_drill_with_custom_routes_several_receivers_per_team_and_a_watchdog_passes():
    from obsgen.features.drill.drill import environment_files, format_report, run_drill

    files = environment_files(generate(project()), "default")
    report = run_drill(files, timeout=60)
    assert report.ok, format_report(report)
    by_name = {a.labels.get("alertname"): a for a in report.alerts}
    assert dict(by_name["Watchdog"].reached) == {"watchdog": ["webhook(hc-ping.example.org)"]}
    assert by_name["InfoInhibitor"].reached == {} and by_name["InfoInhibitor"].ok
    pages = [a for a in report.alerts if a.labels.get("team") == "web" and a.labels.get("severity") == "critical"]
    assert pages and all(set(a.reached) == {"web-pages"} for a in pages)
    assert not report.timed_out


def test_the_golden_case_holds_every_part():
    spec = (Path(__file__).parent / "golden" / "routing-custom" / "specs" / "spec.yaml").read_text()
    for part in ("receivers:", "position: last", "continue: true", "inhibit_rules:", "mute_during", "blackhole"):
        assert part in spec


def test_a_weekday_range_alertmanager_would_refuse_is_an_error_at_it():
    # Alertmanager's week starts on Sunday: saturday:sunday ends before it starts, and amtool refuses it.
    text = SPEC.replace("weekends: [{weekdays: [saturday, sunday]}]", 'weekends: [{weekdays: ["saturday:sunday"]}]')
    (err,) = errors(text)
    assert err.code == "OBS011" and "ends before it starts" in err.message and err.pos.line == 12


def test_an_environment_changes_a_receiver_by_name_and_keeps_the_others():
    text = SPEC + """\
environments:
  production:
    routing:
      receivers:
        - {name: watchdog, webhook: [{url: "https://hc-ping.example.org/prod-watchdog"}]}
  staging: {}
"""
    p = project(text)
    assert p.ok
    files = generate(p)
    prod = YAML(typ="safe").load(files["production/alertmanager/alertmanager.yml"])
    staging = YAML(typ="safe").load(files["staging/alertmanager/alertmanager.yml"])
    hook = {r["name"]: r for r in prod["receivers"]}["watchdog"]["webhook_configs"][0]["url"]
    assert hook == "https://hc-ping.example.org/prod-watchdog"
    assert {r["name"] for r in prod["receivers"]} == {r["name"] for r in staging["receivers"]}
    assert {r["name"]: r for r in staging["receivers"]}["watchdog"]["webhook_configs"][0]["url"].endswith(
        "obsgen-watchdog")


def test_a_route_that_takes_an_alert_with_continue_is_no_fall_through_to_the_root():
    text = ("apiVersion: obsgen/v1\nrouting:\n  receiver: root\n  receivers: [{name: root}, {name: chat}]\n"
            "  routes:\n    - {matchers: ['namespace=~\"kube-.*\"'], receiver: chat, continue: true}\n")
    model = project(text).models[0]
    assert expected(model, {"namespace": "kube-system"}) == ("chat",)  # as Alertmanager: not also `root`
    assert expected(model, {"namespace": "default"}) == ("root",)


@pytest.mark.tools
@pytest.mark.skipif(not (shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")),
                    reason="needs prometheus-alertmanager (apt-get install prometheus-alertmanager)")
def test_a_drill_on_receivers_of_every_kind_passes_with_what_it_cannot_capture_named():
    from obsgen.features.drill.drill import environment_files, format_report, run_drill

    spec = (Path(__file__).parent / "golden" / "routing-receivers" / "specs" / "routing.yaml").read_text()
    report = run_drill(environment_files(generate(load_texts({"routing.yaml": spec})), "default"), timeout=60)
    assert report.ok, format_report(report)
    notes = " ".join(report.notes)
    assert "opsgenie_configs removed" in notes and "sns_configs removed" in notes
    by_name = {a.labels.get("alertname"): a for a in report.alerts}
    assert dict(by_name["Watchdog"].reached) == {"deadmansswitch": ["webhook(hc-ping.example.org)"]}
