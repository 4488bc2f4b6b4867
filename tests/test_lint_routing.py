"""Lint routing (OBS060-062, check/lint/routing.py): the generated alertmanager.yml, evaluated with
obsgen's route evaluator for the labels each alert and SLO alert carries, says which team hears what.

Each test builds a small spec, checks it is otherwise valid, and compares the whole findings
(code, position, message, hint, owner, what) or the evaluator's whole view of the tree, so that a
lint that stops firing, fires on a correct spec, or says the wrong thing fails here."""
from __future__ import annotations

import json

import pytest

from obsgen.check.lint.routing import (
    RoutingTree,
    Sent,
    _channels,
    _mislabelled,
    routing_findings,
    sent_alerts,
)
from obsgen.check.semantic import Checker
from obsgen.core.diagnostics import Severity
from obsgen.core.routes import RouteHit
from obsgen.load.yaml import load_text
from obsgen.resolve.environments import resolve
from obsgen.resolve.merge import SpecFile

WEB = ('  - name: web\n    slack: {channel: "#web", api_url_file: /s/slack-web}\n'
       "    pagerduty: {routing_key_file: /s/pd-web}\n    email: {to: web@example.com}\n")
MAIL = "  - name: mail\n    email: {to: mail@example.com}\n"
IDLE = '  - name: idle\n    slack: {channel: "#idle", api_url_file: /s/slack-idle}\n'
NO_TEAM_LABEL = "    rule_group: {alert_labels: [service]}\n"
RUNBOOK = "https://r.example.com/q"


def alert(name: str, severity: str = "warning", **fields) -> str:
    body = {"name": name, "expr": "queue_depth > 1", "severity": severity, "summary": "s", "description": "d",
            **({"runbook_url": RUNBOOK} if severity == "critical" else {}), **fields}
    return "      - {" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in body.items()) + "}\n"


def service(name: str = "api", team: str = "web", alerts: str = "", extra: str = "") -> str:
    return (f"  - name: {name}\n    team: {team}\n    scrape: {{static: [\"{name}:8000\"]}}\n"
            "    metrics:\n      - {name: queue_depth, type: gauge, help: Jobs.}\n"
            + (f"    alerts:\n{alerts}" if alerts else "") + extra)


def spec(services: str, teams: str = WEB, routing: str = "", default: str | None = "web", top: str = "") -> str:
    return ("apiVersion: obsgen/v1\n"
            f"teams:\n{teams}"
            "routing:\n" + (f"  default_team: {default}\n" if default else "")
            + '  smtp: {smarthost: "smtp:25", from: am@example.com}\n' + routing
            + f"services:\n{services}" + top)


def environment(text: str, index: int = 0):
    """One environment of a valid spec: its merged tree, parsed spec and model."""
    tree, problems = load_text(text, "spec.yaml")
    assert not problems, problems
    resolved = resolve([SpecFile(name="spec.yaml", display="spec.yaml", tree=tree)])
    assert not resolved.diagnostics, resolved.diagnostics
    env = resolved.environments[index]
    errors = [d for d in Checker(env.tree, env.parsed).run() if d.severity is Severity.ERROR]
    assert not errors, errors
    return env


def findings(text: str, index: int = 0) -> list[tuple]:
    env = environment(text, index)
    out = []
    for f in routing_findings(env.tree, env.parsed, env.model):
        d = f.diagnostic
        assert d.severity is Severity.WARNING, d
        out.append((d.code, f"{d.pos.line}:{d.pos.col}", d.message, d.hint, f.owner, f.what))
    return out


def tree_of(text: str) -> RoutingTree:
    return RoutingTree(environment(text).model)


def at(text: str, needle: str, nth: int | None = None) -> str:
    """line:col of the `nth` occurrence of `needle` in `text`; without `nth`, its only one."""
    assert nth is not None or text.count(needle) == 1, f"{needle!r} is not unique"
    i = -1
    for _ in range((nth or 0) + 1):
        i = text.index(needle, i + 1)
    return f"{text.count(chr(10), 0, i) + 1}:{i - (text.rfind(chr(10), 0, i) + 1) + 1}"


def name_at(text: str, team: str) -> str:
    """line:col of a team's name in `teams`."""
    line, col = at(text, f"  - name: {team}\n").split(":")
    return f"{line}:{int(col) + len('  - name: ')}"


def hint060(team: str, sev: str) -> str:
    return f"set up one of those channels for team {team!r}, or give it `channels.{sev}`"


HINT061_CATEGORY = "drop the category's `team`, or silence OBS061 on the team with the reason to keep the route"
HINT062 = "make it the `team` of the alerts it should get, route a category to it, or drop its channels"


def hint061_channels(sev: str) -> str:
    return f"drop `channels.{sev}`, or silence OBS061 on the team with the reason to keep it"


# ----------------------------------------------------------------------------- what an alert carries

def test_an_alerts_team_severity_and_category_are_its_labels_and_an_empty_label_is_no_label():
    sent = Sent({"team": "web", "severity": "critical", "category": "security"}, "web", (), (), ())
    assert (sent.team, sent.severity, sent.category) == ("web", "critical", "security")
    empty = Sent({"team": "", "category": ""}, "web", (), (), ())  # Alertmanager: a missing label is ""
    assert (empty.team, empty.severity, empty.category) == (None, "", None)


def test_every_alert_probe_alert_and_slo_alert_is_evaluated_with_the_labels_prometheus_sends_where_it_is_defined():
    """External labels, under the rule group's, under the rule's own (an SLO's alerts are in a group of
    their own); each kind of alert is located where the spec defines it (an alert's severity, a probe,
    an SLO tier's severity, budget_alerts), in a service after the first."""
    sli = "        objective: 99.9\n        sli: {ratio: {bad: queue_depth, total: queue_depth}}\n"
    slos = ("    slos:\n"
            f"      - name: first\n{sli}"
            f"        alerting: {{runbook_url: \"{RUNBOOK}\", ticket: {{enabled: false, severity: warning}}}}\n"
            f"      - name: second\n{sli}"
            f"        alerting: {{runbook_url: \"{RUNBOOK}\", team: web, budget_alerts: true, "
            "ticket: {severity: info}}\n")
    probes = "    probes:\n      - {name: up, icmp: {host: h}, severity: info}\n      - {name: gw, icmp: {host: gw}}\n"
    mq = service("mq", "mail", alerts=alert("B", "info") + alert("C", "critical", team="web"),
                 extra=probes + slos + "    rule_group: {labels: {tier: gold}}\n")
    top = 'global:\n  prometheus_version: "3.0"\n  external_labels: {cluster: eu, tier: silver}\n'
    text = spec(service(alerts=alert("A")) + mq, teams=WEB + MAIL, top=top)
    env = environment(text)
    got = [(s.at, s.spec_team, dict(s.labels), s.receivers, tuple(h.receiver for h in s.hits))
           for s in sent_alerts(env.parsed, env.model, RoutingTree(env.model))]
    gold = {"cluster": "eu", "tier": "gold", "service": "mq"}
    slo = {"cluster": "eu", "tier": "silver", "category": "application", "service": "mq"}
    assert got == [
        (("services", 0, "alerts", 0, "severity"), "web",
         {"cluster": "eu", "tier": "silver", "service": "api", "severity": "warning", "team": "web", "alertname": "A"},
         ("web-warning",), ("web-warning",)),
        (("services", 1, "alerts", 0, "severity"), "mail",
         {**gold, "severity": "info", "team": "mail", "alertname": "B"}, ("mail-info",), ("mail-info",)),
        (("services", 1, "alerts", 1, "severity"), "web",
         {**gold, "severity": "critical", "team": "web", "alertname": "C"}, ("web-critical",), ("web-critical",)),
        (("services", 1, "probes", 1), "mail",
         {**gold, "category": "application", "severity": "critical", "team": "mail", "alertname": "GwProbeFailed"},
         ("obsgen-default",), ("obsgen-default",)),
        (("services", 1, "probes", 0), "mail",
         {**gold, "category": "application", "severity": "info", "team": "mail", "alertname": "UpProbeFailed"},
         ("mail-info",), ("mail-info",)),
        (("services", 1, "slos", 0, "alerting", "page", "severity"), "mail",
         {**slo, "severity": "critical", "slo": "first", "slo_tier": "page", "team": "mail",
          "alertname": "MqFirstBudgetBurnPage"}, ("obsgen-default",), ("obsgen-default",)),
        (("services", 1, "slos", 1, "alerting", "page", "severity"), "web",
         {**slo, "severity": "critical", "slo": "second", "slo_tier": "page", "team": "web",
          "alertname": "MqSecondBudgetBurnPage"}, ("web-critical",), ("web-critical",)),
        (("services", 1, "slos", 1, "alerting", "ticket", "severity"), "web",
         {**slo, "severity": "info", "slo": "second", "slo_tier": "ticket", "team": "web",
          "alertname": "MqSecondBudgetBurnTicket"}, ("web-info",), ("web-info",)),
        (("services", 1, "slos", 1, "alerting", "budget_alerts"), "web",
         {**slo, "severity": "info", "slo": "second", "slo_tier": "budget", "team": "web",
          "alertname": "MqSecondErrorBudget50PercentSpent"}, ("web-info",), ("web-info",)),
        (("services", 1, "slos", 1, "alerting", "budget_alerts"), "web",
         {**slo, "severity": "critical", "slo": "second", "slo_tier": "budget", "team": "web",
          "alertname": "MqSecondErrorBudget90PercentSpent"}, ("web-critical",), ("web-critical",)),
    ]


# ----------------------------------------------------------------------------- the generated tree

SECURITY_TO_MAIL = "  categories:\n    security: {team: mail}\n    business: {group_wait: 1m}\n"
OWN_ROUTES = (
    "  receivers:\n    - {name: biz, email: [{to: biz@example.com}]}\n    - {name: blackhole}\n"
    "  routes:\n"
    "    - matchers: ['alertname=\"Zzz\"']\n      routes:\n        - {matchers: ['env=~\"prod.*\"'], receiver: biz}\n"
    "    - {matchers: ['cluster=\"eu\"'], receiver: biz, continue: true}\n"
    "    - {matchers: ['category=~\"sec.*\"'], receiver: biz, continue: true}\n"
    "    - {matchers: ['category=\"business\"'], receiver: biz}\n"
    "    - {matchers: ['namespace=\"x\"'], receiver: blackhole, position: last}\n")


def test_the_tree_knows_every_label_its_matchers_read_and_which_top_level_routes_are_category_routes():
    """Only a `category="x"` route that continues is a category route (obsgen's); a spec's own routes
    on other labels, on a category regex, or that stop, are not."""
    routes = tree_of(spec(service(alerts=alert("A", category="security")), teams=WEB + MAIL,
                          routing=SECURITY_TO_MAIL + OWN_ROUTES))
    assert routes.read == {"alertname", "env", "cluster", "category", "namespace", "team", "severity"}
    assert routes.categories == {('category="security"', 'team!="mail"', 'severity=~"warning|info"'): "security"}
    assert routes.integrations == {
        "obsgen-default": ["email", "slack"], "web-critical": ["pagerduty", "slack"], "web-warning": ["email", "slack"],
        "web-info": ["email"], "mail-warning": ["email"], "mail-info": ["email"], "biz": ["email"], "blackhole": []}
    assert routes.owners == {f"{t}-{s}": t for t in ("mail", "web") for s in ("critical", "warning", "info")}
    assert routes.default == "web"


def test_each_receiver_belongs_to_its_team_and_the_default_receiver_to_the_default_team_when_it_notifies():
    routes = tree_of(spec(service(alerts=alert("A")), teams=WEB + MAIL, routing=OWN_ROUTES))
    assert [routes.owner(r) for r in ("obsgen-default", "mail-info", "mail-critical", "web-critical", "biz")] == [
        "web", "mail", "mail", "web", None]
    assert [routes.notifies(r) for r in ("obsgen-default", "web-critical", "biz", "blackhole", "mail-critical")] == [
        True, True, True, False, False]
    silent = tree_of(spec(service(alerts=alert("A")), teams=WEB + MAIL, default=None))
    assert (silent.default, silent.owner("obsgen-default"), silent.notifies("obsgen-default")) == (None, None, False)
    assert silent.owner("web-warning") == "web"


def test_a_hit_knows_the_category_route_that_led_to_it():
    routes = tree_of(spec(service(alerts=alert("A", category="security")), teams=WEB + MAIL,
                          routing=SECURITY_TO_MAIL))
    hits, receivers = routes.land({"team": "web", "severity": "warning", "category": "security"})
    assert receivers == ("mail-warning", "web-warning")
    assert [routes.category(h) for h in hits] == ["security", None]
    [fallthrough], receivers = routes.land({"severity": "warning"})
    assert (fallthrough.path, receivers, routes.category(fallthrough)) == ((), ("obsgen-default",), None)
    assert routes.category(RouteHit("x", (), "1s", "1s", "1s", path=(("team=\"web\"",),))) is None


def test_each_distinct_set_of_the_labels_the_tree_reads_is_evaluated_once_and_a_receiver_counts_once():
    twice = "  routes:\n    - {matchers: ['severity=\"warning\"'], receiver: web-warning, continue: true}\n"
    routes = tree_of(spec(service(alerts=alert("A")), routing=twice))
    first = routes.land({"team": "web", "severity": "warning", "service": "api", "instance": "a:1"})
    assert routes.land({"severity": "warning", "team": "web", "service": "db", "instance": "b:2"}) is first
    hits, receivers = first
    assert ([h.receiver for h in hits], receivers) == (["web-warning", "web-warning"], ("web-warning",))
    hits, receivers = routes.land({"team": "web", "severity": "critical", "service": "api"})
    assert ([h.receiver for h in hits], receivers) == (["web-critical"], ("web-critical",))
    assert routes.land({"team": "web", "severity": "critical"}) is not first


def test_a_tree_the_evaluator_cannot_read_gives_no_routing_findings_amtool_judges_it():
    """`obsgen validate` refuses the regex (OBS036) before lint runs; the lint itself must not crash."""
    bad = "  receivers:\n    - {name: biz, email: [{to: biz@example.com}]}\n" \
          "  routes:\n    - {matchers: ['alertname=~\"(?=x)y\"'], receiver: biz}\n"
    text = spec(service(alerts=alert("A", "critical", team="mail")), teams=WEB + MAIL, routing=bad)
    tree, _ = load_text(text, "spec.yaml")
    env = resolve([SpecFile(name="spec.yaml", display="spec.yaml", tree=tree)]).environments[0]
    assert [d.code for d in Checker(env.tree, env.parsed).run()] == ["OBS036"]
    assert routing_findings(env.tree, env.parsed, env.model) == []
    fine = text.replace('(?=x)y', 'y')
    assert [f[0] for f in findings(fine)] == ["OBS060"]


# ----------------------------------------------------------------------------- OBS060

def obs060(team: str, sev: str, why: str, goes: str, where: str = "") -> str:
    return f"{sev} alerts of team {team!r}{where} reach none of its channels: {why}; they go to {goes}"


DEFAULT_CRITICAL = "routing.severities.critical.channels lists pagerduty, slack, and the team has none of them set up"


def test_alerts_of_a_team_without_channels_for_their_severity_are_reported_once_at_the_first_of_them():
    """mail has email only: its critical alerts fall through to the default receiver. The default
    severities are not written in the spec, so the finding points at the first such alert, and says
    where they go once however many go there."""
    text = spec(service(alerts=alert("Paging", "critical", team="mail") + alert("Other", "critical", team="mail")),
                teams=WEB + MAIL)
    assert findings(text) == [("OBS060", at(text, '"critical"', 0), obs060(
        "mail", "critical", DEFAULT_CRITICAL, "the default receiver (team web)"),
        hint060("mail", "critical"), ("teams", 1), "team mail")]


def test_the_first_astray_alert_is_the_first_in_the_spec_not_the_first_evaluated():
    """A probe written before the service's alerts: its uptime alert is evaluated after them."""
    probes = "    probes:\n      - {name: gw, icmp: {host: gw}}\n"
    text = spec(service("mq", "mail", extra=probes + "    alerts:\n" + alert("Paging", "critical")), teams=WEB + MAIL)
    assert findings(text) == [("OBS060", at(text, "{name: gw"), obs060(
        "mail", "critical", DEFAULT_CRITICAL, "the default receiver (team web)"),
        hint060("mail", "critical"), ("teams", 1), "team mail")]


def test_where_routing_severities_says_the_channels_the_finding_points_there():
    routing = "  severities:\n    critical: {channels: [pagerduty]}\n"
    text = spec(service(alerts=alert("Paging", "critical", team="mail")), teams=WEB + MAIL, routing=routing)
    assert findings(text) == [("OBS060", at(text, "[pagerduty]"), obs060(
        "mail", "critical", "routing.severities.critical.channels lists pagerduty, and the team has none of them set up",
        "the default receiver (team web)"), hint060("mail", "critical"), ("teams", 1), "team mail")]


def test_a_severity_without_channels_is_said_so_and_with_no_default_team_the_alerts_reach_no_one():
    routing = "  severities:\n    critical: {channels: []}\n"
    text = spec(service(alerts=alert("Paging", "critical", team="mail")), teams=WEB + MAIL, routing=routing)
    assert findings(text) == [("OBS060", at(text, "[]"), obs060(
        "mail", "critical", "routing.severities.critical.channels lists no channel", "the default receiver (team web)"),
        hint060("mail", "critical"), ("teams", 1), "team mail")]
    alone = spec(service("mq", "mail", alerts=alert("Paging", "critical")), teams=MAIL, default=None)
    assert findings(alone) == [("OBS060", at(alone, '"critical"'), obs060(
        "mail", "critical", DEFAULT_CRITICAL, "no one"), hint060("mail", "critical"), ("teams", 0), "team mail")]


def test_alerts_a_route_of_the_spec_own_sends_to_another_teams_receiver_go_where_the_spec_says():
    """mail lists email for critical alerts, but routes of the spec's own send them to web's receivers:
    not lost (OBS060 stays quiet), and the warnings on mail's unused channels say where they go."""
    routing = ("  routes:\n    - {matchers: ['alertname=\"Paging\"'], receiver: web-critical}\n"
               "    - {matchers: ['alertname=\"Paged\"'], receiver: web-warning}\n")
    text = spec(service(alerts=alert("Paging", "critical", team="mail") + alert("Paged", "critical", team="mail")),
                teams=WEB + MAIL + "    channels: {critical: [email]}\n", routing=routing)
    assert findings(text) == [
        ("OBS061", at(text, "critical: [email]"),
         "team 'mail' lists channels for critical alerts, but it never receives one: the spec's own routes send "
         "its critical alerts to 'web-critical', 'web-warning'", hint061_channels("critical"), ("teams", 1),
         "team mail"),
        ("OBS062", name_at(text, "mail"),
         "team 'mail' has notification channels (email), but no alert reaches them: the spec's own routes send "
         "its alerts to 'web-critical', 'web-warning'", HINT062, ("teams", 1), "team mail"),
    ]


def test_a_route_of_the_spec_own_that_continues_does_not_decide_where_the_alert_ends():
    """`continue: true` sends a copy to web and goes on: mail still hears nothing, and OBS060 says where
    the alert goes, the copy included."""
    routing = "  routes:\n    - {matchers: ['alertname=\"Paging\"'], receiver: web-critical, continue: true}\n"
    text = spec(service(alerts=alert("Paging", "critical", team="mail")), teams=WEB + MAIL, routing=routing)
    assert findings(text) == [
        ("OBS060", at(text, '"critical"'),
         obs060("mail", "critical", DEFAULT_CRITICAL, "team web, the default receiver (team web)"),
         hint060("mail", "critical"), ("teams", 1), "team mail")]


def test_own_routes_with_the_same_matchers_decide_if_any_of_them_stops():
    routing = ("  routes:\n    - {matchers: ['alertname=\"Paging\"'], receiver: web-critical}\n"
               "    - {matchers: ['alertname=\"Paging\"'], receiver: web-warning, continue: true}\n"
               "    - {matchers: ['alertname=\"Paged\"'], receiver: web-warning, continue: true}\n")
    tree = tree_of(spec(service(alerts=alert("Paging", "critical", team="mail")), teams=WEB + MAIL, routing=routing))
    assert tree.own_routes == {('alertname="Paging"',): False, ('alertname="Paged"',): True}


def test_mislabelled_alerts_say_which_team_labels_they_carry_instead():
    def sent(team):
        return Sent({"team": team} if team else {}, "web", (), (), ())

    assert _mislabelled("", []) == ""
    assert _mislabelled("warning ", [sent(None), sent("")]) == (
        "its warning alerts carry no `team` label (their rule group's alert_labels leave it out)")
    assert _mislabelled("", [sent("b"), sent(None), sent("a"), sent("b")]) == (
        "its alerts carry `team` 'a' or 'b' instead (global.external_labels or the alerts' labels)")


CATEGORY_LIKE = [
    "['alertname=\"security\"', 'team!=\"sec\"']",  # no category matcher
    "['category=\"security\"', 'team!=\"sec\"']",  # does not continue (below, `continue` is left out)
    "['category=\"security\"']",  # no team!= of the category's team
    "['category=\"security\"', 'service=\"sec\"']",
    "['category=\"security\"', 'team=\"web\"']",
    "['category=\"security\"', 'team!=\"web\"']",
    "['category=~\"security\"', 'team!=\"sec\"']",
]


@pytest.mark.parametrize("matchers", CATEGORY_LIKE)
def test_only_the_category_routes_obsgen_writes_are_category_routes(matchers):
    keep_going = "" if matchers == CATEGORY_LIKE[1] else ", continue: true"
    routing = ("  categories:\n    security: {team: sec}\n"
               f"  routes:\n    - {{matchers: {matchers}, receiver: web-warning{keep_going}}}\n")
    tree = tree_of(spec(service(alerts=alert("Paging", category="security")), teams=HOOKS, routing=routing))
    assert tree.categories == {('category="security"', 'team!="sec"', 'severity=~"critical|warning"'): "security"}


def test_a_route_of_the_spec_own_on_category_is_not_a_category_route_of_obsgens():
    """A continuing `category="business"` route of the spec's own, with or without a category of that
    name in routing.categories, is the spec's: no OBS061 about it, and no crash."""
    receiver = "  receivers:\n    - {name: biz, email: [{to: biz@example.com}]}\n"
    route = "  routes:\n    - {matchers: ['category=\"business\"'], receiver: biz, continue: true}\n"
    for extra in ("", "  categories:\n    business: {group_wait: 1m}\n"):
        text = spec(service(alerts=alert("Slow")), routing=receiver + route + extra)
        assert tree_of(text).categories == {}
        assert findings(text) == []


def test_an_alert_whose_team_label_names_no_team_and_no_default_team_reaches_no_one():
    """external_labels give `team: ghost` to an alert whose rule group leaves `team` out: it reaches
    no receiver, and the team that wrote it hears nothing, for that reason."""
    text = spec(service(alerts=alert("Slow"), extra=NO_TEAM_LABEL), default=None,
                top="global:\n  external_labels: {team: ghost}\n")
    assert findings(text) == [
        ("OBS060", at(text, '"warning"'),
         "this warning alert carries `team: ghost`, which is no team of the spec, and there is no default team "
         "with channels: it reaches no receiver",
         "name a team of the spec in the `team` label (global.external_labels, the alert's labels), or set "
         "routing.default_team", ("services", 0, "alerts", 0), "alert"),
        ("OBS062", name_at(text, "web"),
         "team 'web' has notification channels (pagerduty, slack, email), but no alert reaches them: its alerts "
         "carry `team` 'ghost' instead (global.external_labels or the alerts' labels)", HINT062,
         ("teams", 0), "team web"),
    ]


def test_the_environment_whose_routing_loses_the_alerts_is_named_and_its_override_pointed_at():
    envs = ("environments:\n  production:\n    routing:\n      severities:\n        critical: {channels: [pagerduty]}\n"
            "  staging: {}\n")
    text = spec(service(alerts=alert("Paging", "critical", team="mail")), teams=WEB + MAIL, top=envs)
    assert findings(text, 0) == [("OBS060", at(text, "[pagerduty]"), obs060(
        "mail", "critical", "routing.severities.critical.channels lists pagerduty, and the team has none of them set up",
        "the default receiver (team web)", " in environment 'production'"),
        hint060("mail", "critical"), ("teams", 1), "team mail")]
    assert findings(text, 1) == [("OBS060", at(text, '"critical"'), obs060(
        "mail", "critical", DEFAULT_CRITICAL, "the default receiver (team web)", " in environment 'staging'"),
        hint060("mail", "critical"), ("teams", 1), "team mail")]


HOOK = '  - name: hooks\n    webhook: {url: "http://bot.example.com/am"}\n'
HOOKS = WEB + '  - name: sec\n    slack: {channel: "#sec", api_url_file: /s/slack-sec}\n' + HOOK


def test_alerts_that_reach_another_team_through_a_category_say_so():
    """hooks has only a webhook, which no severity uses: its security alert reaches sec (category
    route, continue) and the default receiver, never hooks. That explains why nothing reaches hooks:
    no OBS062 on it."""
    text = spec(service(alerts=alert("Paging", "critical", team="hooks", category="security")), teams=HOOKS,
                routing="  categories:\n    security: {team: sec}\n")
    assert findings(text) == [("OBS060", at(text, '"critical"'), obs060(
        "hooks", "critical", DEFAULT_CRITICAL, "team sec (category security), the default receiver (team web)"),
        hint060("hooks", "critical"), ("teams", 2), "team hooks")]


def test_where_lost_alerts_go_counts_only_receivers_that_notify_whatever_their_order():
    """No default team: obsgen-default notifies no one, though a route sends hooks' alerts there first."""
    routing = ("  categories:\n    security: {team: sec}\n"
               "  routes:\n    - {matchers: ['alertname=\"Paging\"'], receiver: obsgen-default, continue: true}\n")
    text = spec(service(alerts=alert("Paging", "critical", team="hooks", category="security")), teams=HOOKS,
                routing=routing, default=None)
    assert findings(text) == [
        ("OBS060", at(text, '"critical"'), obs060("hooks", "critical", DEFAULT_CRITICAL, "team sec (category security)"),
         hint060("hooks", "critical"), ("teams", 2), "team hooks"),
        ("OBS062", name_at(text, "web"), ("team 'web' has notification channels (pagerduty, slack, email), but no "
                                         "alert, SLO alert, category route or routing.default_team ever sends anything "
                                         "to it"), HINT062, ("teams", 0), "team web")]


def test_teams_with_lost_alerts_are_reported_each_in_the_order_of_their_alerts():
    text = spec(service(alerts=alert("Hooked", "critical", team="hooks") + alert("Mailed", "critical", team="mail")
                        + alert("Mailed2", "critical", team="mail")),
                teams=MAIL + HOOK + WEB)
    assert findings(text) == [
        ("OBS060", at(text, '"critical"', 0), obs060("hooks", "critical", DEFAULT_CRITICAL,
                                                 "the default receiver (team web)"),
         hint060("hooks", "critical"), ("teams", 1), "team hooks"),
        ("OBS060", at(text, '"critical"', 1), obs060("mail", "critical", DEFAULT_CRITICAL,
                                                    "the default receiver (team web)"),
         hint060("mail", "critical"), ("teams", 0), "team mail")]


def test_an_alert_without_a_team_label_and_no_default_team_reaches_no_one():
    text = spec(service(alerts=alert("Lost", "critical"), extra=NO_TEAM_LABEL), default=None)
    assert findings(text) == [
        ("OBS060", at(text, '"critical"'), ("this critical alert has no `team` label and there is no default team "
                                           "with channels: it reaches no receiver"),
         "set routing.default_team, or add `team` to the rule group's alert_labels",
         ("services", 0, "alerts", 0), "alert"),
        ("OBS062", name_at(text, "web"), ("team 'web' has notification channels (pagerduty, slack, email), but no alert "
                                      "reaches them: its alerts carry no `team` label (their rule group's alert_labels "
                                      "leave it out)"), HINT062, ("teams", 0), "team web")]
    assert findings(spec(service(alerts=alert("Lost", "critical"), extra=NO_TEAM_LABEL))) == []  # web hears it


def test_alerts_the_team_chose_not_to_hear_or_the_spec_routes_to_a_receiver_of_its_own_are_not_lost():
    """channels.critical: [] says no one is paged; a route to a null receiver says the same."""
    on_purpose = spec(service(alerts=alert("Paging", "critical", team="mail")),
                      teams=WEB + MAIL + "    channels: {critical: []}\n")
    null = spec(service(alerts=alert("Paging", "critical", team="mail")), teams=WEB + MAIL,
                routing="  receivers:\n    - {name: blackhole}\n"
                        "  routes:\n    - {matchers: ['alertname=\"Paging\"'], receiver: blackhole}\n")
    after = spec(service(alerts=alert("Paging", "critical", team="mail") + alert("Hooked", "critical", team="hooks")),
                 teams=WEB + MAIL + "    channels: {critical: []}\n" + HOOK)
    assert [(f[0], f[1], f[4]) for f in findings(after)] == [
        ("OBS060", at(after, '"critical"', 1), ("teams", 2)), ("OBS062", name_at(after, "mail"), ("teams", 1))]
    for text in (on_purpose, null):
        assert findings(text) == [("OBS062", name_at(text, "mail"), (
            "team 'mail' has notification channels (email), but no alert reaches them: the alerts meant for it are "
            "critical, and it lists none of its channels for that severity"), HINT062, ("teams", 1), "team mail")]


# ----------------------------------------------------------------------------- OBS061: category routes

def obs061_category(c: str, team: str, why: str) -> str:
    return f"routing.categories.{c} also sends {c} alerts to team {team!r}, but that route never matches: {why}"


SECURITY = "  categories:\n    security: {team: mail}\n"


def test_a_category_route_no_alert_carries_the_category_of_is_reported_at_its_team_in_category_order():
    routing = "  categories:\n    security: {team: mail}\n    business: {team: mail}\n    infrastructure: {}\n"
    text = spec(service(alerts=alert("A", category="application")), teams=WEB + MAIL, routing=routing)
    assert findings(text) == [
        ("OBS061", at(text, "mail}", 1), obs061_category(
            "business", "mail", "no alert or SLO alert carries `category: business`"),
         HINT061_CATEGORY, ("teams", 1), "team mail (routing.categories.business)"),
        ("OBS061", at(text, "mail}", 0), obs061_category(
            "security", "mail", "no alert or SLO alert carries `category: security`"),
         HINT061_CATEGORY, ("teams", 1), "team mail (routing.categories.security)")]
    taken = spec(service(alerts=alert("A", category="security") + alert("B", category="business")),
                 teams=WEB + MAIL, routing=routing)
    assert findings(taken) == []


def test_a_category_route_only_its_own_teams_alerts_would_take_never_matches():
    text = spec(service(alerts=alert("A", team="mail", category="security") + alert("B", category="business")),
                teams=WEB + MAIL, routing=SECURITY)
    assert findings(text) == [("OBS061", at(text, "mail}"), obs061_category(
        "security", "mail", "every security alert is team mail's own"),
        HINT061_CATEGORY, ("teams", 1), "team mail (routing.categories.security)")]


def test_a_category_route_for_severities_its_team_has_no_channels_for_never_matches():
    """mail has channels for warning and info; web's security alert is critical. One of mail's own
    security alerts beside it does not make every security alert mail's."""
    text = spec(service(alerts=alert("A", "critical", category="security")
                        + alert("B", team="mail", category="security")), teams=WEB + MAIL, routing=SECURITY)
    assert findings(text) == [("OBS061", at(text, "mail}"), obs061_category(
        "security", "mail", "team mail has channels for none of their severities"),
        HINT061_CATEGORY, ("teams", 1), "team mail (routing.categories.security)")]


def test_a_category_route_taken_by_an_slo_alert_is_used():
    slo = ("    slos:\n      - name: avail\n        objective: 99.9\n"
           "        sli: {ratio: {bad: queue_depth, total: queue_depth}}\n"
           f"        alerting: {{runbook_url: \"{RUNBOOK}\", category: security, page: {{severity: warning}}}}\n")
    text = spec(service(extra=slo), teams=WEB + MAIL, routing=SECURITY)
    assert findings(text) == []


# ----------------------------------------------------------------------------- OBS061: a team's channels

def test_a_teams_channels_for_a_severity_it_never_receives_are_reported_at_the_severity():
    """web is the default team: its warning channels also take what falls through, so they are kept;
    its critical and info channels are not."""
    teams = (WEB + "    channels: {warning: [slack], critical: [pagerduty], info: [email]}\n"
             + MAIL + "    channels: {info: [email], warning: [email]}\n")
    text = spec(service(alerts=alert("A", "info", team="mail")), teams=teams)
    assert findings(text) == [
        ("OBS061", at(text, "critical: [pagerduty]"), (
            "team 'web' lists channels for critical alerts, but it never receives one: no critical alert or SLO alert "
            "of the team, or of a category routed to it, exists"), hint061_channels("critical"), ("teams", 0),
         "team web"),
        ("OBS061", at(text, "info: [email]}"), (
            "team 'web' lists channels for info alerts, but it never receives one: no info alert or SLO alert "
            "of the team, or of a category routed to it, exists"), hint061_channels("info"), ("teams", 0),
         "team web"),
        ("OBS061", at(text, "warning: [email]"), (
            "team 'mail' lists channels for warning alerts, but it never receives one: no warning alert or SLO alert "
            "of the team, or of a category routed to it, exists"), hint061_channels("warning"), ("teams", 1),
         "team mail")]
    received = spec(service(alerts=alert("A", "info", team="mail") + alert("B", team="mail") + alert("C", "critical")
                            + alert("D", "info")),
                    teams=teams)
    assert findings(received) == []


def test_channels_that_make_no_receiver_are_not_reported_here():
    """channels.info: [] builds no receiver: nothing to receive, nothing to report."""
    text = spec(service(alerts=alert("A", team="mail")), teams=WEB + MAIL + "    channels: {info: []}\n")
    assert findings(text) == []


def test_a_teams_unused_channels_are_explained_by_its_alerts_lacking_a_team_label():
    """Only the team's own alerts of that severity without the label explain it: not another team's,
    not the team's alerts of another severity."""
    text = spec(service(alerts=alert("A", "info"), extra=NO_TEAM_LABEL)
                + service("mq", "mail", alerts=alert("B", "info"), extra=NO_TEAM_LABEL),
                teams=WEB + MAIL + "    channels: {info: [email]}\n")
    assert findings(text) == [
        ("OBS061", at(text, "info: [email]"), (
            "team 'mail' lists channels for info alerts, but it never receives one: its info alerts carry no `team` "
            "label (their rule group's alert_labels leave it out)"), hint061_channels("info"), ("teams", 1),
         "team mail"),
        ("OBS062", name_at(text, "mail"), (
            "team 'mail' has notification channels (email), but no alert reaches them: its alerts carry no `team` "
            "label (their rule group's alert_labels leave it out)"), HINT062, ("teams", 1), "team mail")]
    others = spec(service(alerts=alert("A", "info"), extra=NO_TEAM_LABEL)
                  + service("mq", "mail", alerts=alert("B"), extra=NO_TEAM_LABEL),
                  teams=WEB + MAIL + "    channels: {info: [email]}\n")
    assert findings(others)[0] == (
        "OBS061", at(others, "info: [email]"), (
            "team 'mail' lists channels for info alerts, but it never receives one: no info alert or SLO alert of the "
            "team, or of a category routed to it, exists"), hint061_channels("info"), ("teams", 1), "team mail")


# ----------------------------------------------------------------------------- OBS062

def test_a_team_nothing_routes_to_is_reported_at_its_name_with_its_channels():
    """Another team's alerts without a team label are not idle's; a team without channels has nothing
    to reach; a category set to null routes nothing."""
    idle = IDLE + "    email: {to: idle@example.com}\n"
    text = spec(service(alerts=alert("A")) + service("db", alerts=alert("B"), extra=NO_TEAM_LABEL),
                teams=WEB + idle + "  - name: bare\n", routing="  categories:\n    business: null\n")
    assert findings(text) == [("OBS062", name_at(text, "idle"), (
        "team 'idle' has notification channels (slack, email), but no alert, SLO alert, category route or "
        "routing.default_team ever sends anything to it"), HINT062, ("teams", 1), "team idle")]
    assert findings(spec(service(alerts=alert("A", team="idle")), teams=WEB + idle + "  - name: bare\n")) == []


def test_a_team_a_route_of_the_spec_names_a_receiver_of_is_reached_however_deep_the_route():
    routing = ("  routes:\n    - matchers: ['alertname=\"Zzz\"']\n"
               "      routes:\n        - {matchers: ['service=\"x\"'], receiver: idle-warning}\n")
    assert findings(spec(service(alerts=alert("A")), teams=WEB + IDLE, routing=routing)) == []


def test_the_default_team_hears_what_falls_through_unless_it_has_no_warning_channels():
    assert findings(spec(service("mq", "mail", alerts=alert("B")), teams=WEB + MAIL)) == []
    text = spec(service("mq", "mail", alerts=alert("B", "critical")),
                teams=WEB + "    channels: {warning: []}\n" + MAIL)
    assert findings(text) == [
        ("OBS060", at(text, '"critical"'), obs060("mail", "critical", DEFAULT_CRITICAL, "no one"),
         hint060("mail", "critical"), ("teams", 1), "team mail"),
        ("OBS062", name_at(text, "web"), (
            "team 'web' has notification channels (pagerduty, slack, email), but no alert reaches them: it is "
            "routing.default_team, but it has no warning channels, which the default receiver uses"),
         HINT062, ("teams", 0), "team web")]


def test_a_team_that_lists_none_of_its_channels_for_the_severities_of_its_alerts_hears_nothing():
    """Severities named in routing order, whatever the order of the alerts."""
    text = spec(service("mq", "mail", alerts=alert("B", "info") + alert("C") + alert("D", "info")),
                teams=WEB + MAIL + "    channels: {warning: [], info: []}\n")
    assert findings(text) == [("OBS062", name_at(text, "mail"), (
        "team 'mail' has notification channels (email), but no alert reaches them: the alerts meant for it are "
        "warning and info, and it lists none of its channels for those severities"), HINT062, ("teams", 1),
        "team mail")]


def test_the_alerts_a_category_routes_to_a_team_are_meant_for_it():
    """mail has no receiver, so no category route is built; web's critical security alert is still
    meant for mail, and web's application alert is not."""
    text = spec(service(alerts=alert("A", "critical", category="security") + alert("B", category="application")),
                teams=WEB + MAIL + "    channels: {critical: [], warning: [], info: []}\n", routing=SECURITY)
    assert findings(text) == [("OBS062", name_at(text, "mail"), (
        "team 'mail' has notification channels (email), but no alert reaches them: the alerts meant for it are "
        "critical, and it lists none of its channels for that severity"), HINT062, ("teams", 1), "team mail")]


def test_the_channels_a_team_wants_are_its_own_else_the_severitys_else_none():
    model = environment(spec(service(alerts=alert("A")), teams=WEB + MAIL + "    channels: {critical: [email]}\n",
                             routing="  severities:\n    page: {channels: [pagerduty]}\n")).model
    assert [_channels(model, "mail", sev) for sev in ("critical", "warning", "page", "undefined")] == [
        ["email"], ["slack", "email"], ["pagerduty"], []]
