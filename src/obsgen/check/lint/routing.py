"""OBS060-062: routing, judged on the routing tree obsgen writes.

The alertmanager target's own document (targets/alertmanager.py `config`) is evaluated with the
exact Alertmanager route evaluator (core/routes.py `match_routes`) for the labels each alert
and SLO alert of the spec carries when Prometheus sends it: its rule's labels as targets/rules.py
and slo.alert_rules write them, over the environment's external labels. Only the labels the
tree's matchers read can change where an alert lands, so each distinct set of those is evaluated
once.

- OBS060 alerts of a team and severity that reach none of the team's channels for it, and where
  they end up instead; alerts without a team label that reach no channel at all;
- OBS061 a category route no alert matches; a team's `channels.<severity>` it never receives;
- OBS062 a team with channels that no alert reaches, unless OBS060/061 already say why.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from obsgen.check.silences import Finding
from obsgen.core import naming
from obsgen.core.diagnostics import warning
from obsgen.core.naming import DEFAULT_RECEIVER, receiver_name
from obsgen.core.routes import RouteHit, match_routes, receiver_integrations, route_matchers
from obsgen.load.yaml import YMap
from obsgen.resolve.model import Model
from obsgen.resolve.routing_table import custom_route
from obsgen.resolve.slo import alert_rules
from obsgen.spec.parse import Parsed, locate


@dataclass(frozen=True)
class Sent:
    """One kind of alert Alertmanager will get: its labels, the team the spec gives it (which the
    labels may leave out), where it is defined, and the routes it lands on."""

    labels: Mapping[str, str]
    spec_team: str
    at: tuple
    hits: tuple[RouteHit, ...]
    receivers: tuple[str, ...]  # of the hits, each once

    @property
    def team(self) -> str | None:
        return self.labels.get("team") or None

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "")

    @property
    def category(self) -> str | None:
        return self.labels.get("category") or None


class RoutingTree:
    """The generated routing tree, evaluated once per distinct set of the labels its matchers read."""

    def __init__(self, model: Model):
        from obsgen.targets.alertmanager import config  # targets import lint's siblings; keep the cycle lazy

        self.model = model
        self.config = config(model)
        self.read: set[str] = set()
        self.categories: dict[tuple[str, ...], str] = {}  # a category route's matchers -> its category
        stack = [self.config["route"]]
        while stack:
            route = stack.pop()
            matchers = route_matchers(route)
            self.read |= {m.name for m in matchers}
            stack += route.get("routes") or []
        # obsgen's category routes: `category="c", team!="<c's team>"`, continuing. A route of the
        # spec's own on `category` is not one, whatever it continues to.
        teams_of = {c: cfg.team for c, cfg in model.spec.routing.categories.items() if cfg and cfg.team}
        for route in self.config["route"].get("routes") or []:
            matchers = route_matchers(route)
            category = next((m.value for m in matchers if m.name == "category" and m.op == "="), None)
            if category in teams_of and route.get("continue") and any(
                    m.name == "team" and m.op == "!=" and m.value == teams_of[category] for m in matchers):
                self.categories[tuple(str(m) for m in matchers)] = category
        # The spec's own top-level routes, by their matchers: whether each goes on to the routes after it.
        self.own_routes: dict[tuple[str, ...], bool] = {}
        for r in model.spec.routing.routes:
            key = tuple(str(m) for m in route_matchers(custom_route(r)))
            self.own_routes[key] = self.own_routes.get(key, True) and bool(r.continue_)
        self.integrations = {rc["name"]: receiver_integrations(self.config, rc["name"])
                             for rc in self.config["receivers"]}
        self.owners = {receiver_name(t, sev): t for t in model.teams for sev in model.spec.routing.severity_names}
        self.default = model.spec.routing.default_team
        self._memo: dict[tuple, tuple[tuple[RouteHit, ...], tuple[str, ...]]] = {}

    def land(self, labels: Mapping[str, str]) -> tuple[tuple[RouteHit, ...], tuple[str, ...]]:
        """The routes an alert with `labels` lands on, and their receivers (each once)."""
        key = tuple(sorted((k, v) for k, v in labels.items() if k in self.read))
        if key not in self._memo:
            hits = tuple(match_routes(self.config, dict(key)))
            self._memo[key] = hits, tuple(dict.fromkeys(h.receiver for h in hits))
        return self._memo[key]

    def owner(self, receiver: str) -> str | None:
        """The team whose channels a receiver notifies: the default receiver has the default team's."""
        if receiver == DEFAULT_RECEIVER:
            return self.default if self.integrations.get(receiver) else None
        return self.owners.get(receiver)

    def notifies(self, receiver: str) -> bool:
        return bool(self.integrations.get(receiver))

    def by_spec(self, hit: RouteHit) -> bool:
        """Whether a top-level route of the spec's own led to the hit."""
        return bool(hit.path) and hit.path[0] in self.own_routes

    def decided_by_spec(self, hit: RouteHit) -> bool:
        """Whether a top-level route of the spec's own that stops there (no `continue`) led to the hit:
        where the alert goes is then where the spec says."""
        return bool(hit.path) and self.own_routes.get(hit.path[0]) is False

    def category(self, hit: RouteHit) -> str | None:
        """The category whose route (top level, `continue: true`) led to the hit, if one did."""
        return self.categories.get(hit.path[0]) if hit.path else None


def sent_alerts(parsed: Parsed, model: Model, tree: RoutingTree) -> list[Sent]:
    out = []
    external = dict(model.spec.global_.external_labels)  # Prometheus adds them where a rule has not
    alerts = {id(a.spec): a for a in model.alerts}
    derived: dict[str, list] = {}
    for a in model.alerts:
        if a.origin:
            derived.setdefault(a.service, []).append(a)
    slos = {id(s.spec): s for s in model.slos}
    tiers = {"page": ("alerting", "page", "severity"), "ticket": ("alerting", "ticket", "severity"),
             "budget": ("alerting", "budget_alerts")}
    for i, s in parsed.items["services"]:
        for j, spec in enumerate(s.alerts):
            a = alerts[id(spec)]
            labels = {**external, **a.sent_labels, "alertname": a.name}
            out.append(Sent(labels, a.team, ("services", i, "alerts", j, "severity"), *tree.land(labels)))
        for a in derived.get(s.name, []):
            labels = {**external, **a.sent_labels, "alertname": a.name}
            out.append(Sent(labels, a.team, ("services", i, *a.origin), *tree.land(labels)))
        for j, o in enumerate(s.slos):
            slo = slos[id(o)]
            for rule in alert_rules(slo):
                labels = {**external, **rule["labels"], "alertname": rule["alert"]}
                at = ("services", i, "slos", j, *tiers[rule["labels"]["slo_tier"]])
                out.append(Sent(labels, slo.team, at, *tree.land(labels)))
    return out


def _mislabelled(kind: str, alerts: list[Sent]) -> str:
    """Why a team's alerts (`alerts`: those whose `team` label is not the team) do not reach it."""
    if not alerts:
        return ""
    if all(a.team is None for a in alerts):
        return f"its {kind}alerts carry no `team` label (their rule group's alert_labels leave it out)"
    others = sorted({a.team for a in alerts if a.team is not None})
    return (f"its {kind}alerts carry `team` {' or '.join(map(repr, others))} instead "
            f"(global.external_labels or the alerts' labels)")


def _channels(model: Model, team: str, severity: str) -> list[str]:
    """The channels `team` lists for `severity` (its own, else routing.severities'), had or not."""
    t = model.teams[team]
    wanted = t.channels.get(severity)  # type: ignore[call-overload]
    if wanted is None:
        sev = model.spec.routing.severities.get(severity)  # type: ignore[call-overload]
        wanted = sev.channels if sev else []
    return list(wanted)


def routing_findings(tree: YMap, parsed: Parsed, model: Model) -> list[Finding]:
    at = lambda *loc: locate(tree, loc)[0]  # noqa: E731
    try:
        routes = RoutingTree(model)
        alerts = sent_alerts(parsed, model, routes)
    except ValueError:  # a matcher the evaluator cannot read: `obsgen check` judges the tree with amtool
        return []
    team_index = {t.name: i for i, t in parsed.items["teams"]}
    team_owner = lambda name: ("teams", team_index[name])  # noqa: E731
    out = obs060(alerts, routes, model, tree, team_owner) + category_routes(alerts, routes, model, at, team_owner)
    explained = {f.owner for f in out}  # teams whose alerts, or category route, OBS060/061 already report
    return out + team_channels(alerts, routes, parsed, at) + obs062(alerts, routes, parsed, model, at, explained)


def obs060(alerts: list[Sent], routes: RoutingTree, model: Model, tree: YMap, team_owner) -> list[Finding]:
    """Per team and severity: where its alerts go when none reaches the team, at the setting that
    decides it (routing.severities.<severity>.channels), else at the first alert."""
    at = lambda *loc: locate(tree, loc)[0]  # noqa: E731
    out = []
    groups: dict[tuple[str, str], list[Sent]] = {}
    # An alert the spec's own routes send to a receiver of its own goes where the spec says (a null
    # receiver included), as does one a route of the spec's own takes and keeps (to another team's
    # receiver, say): only the others can have lost their way.
    own = {rc.name for rc in model.spec.routing.receivers}
    astray = [a for a in alerts if not (a.team in model.teams and receiver_name(a.team, a.severity) in a.receivers)
              and not own.intersection(a.receivers) and not any(routes.decided_by_spec(h) for h in a.hits)]
    for a in sorted(astray, key=lambda a: at(*a.at)):  # only these: locating every alert is not free
        if a.team in model.teams:
            if model.teams[a.team].channels.get(a.severity) == []:  # none, on purpose
                continue
            groups.setdefault((a.team, a.severity), []).append(a)
        elif not any(routes.notifies(r) for r in a.receivers):
            carries = ("has no `team` label" if a.team is None else
                       f"carries `team: {a.team}`, which is no team of the spec,")
            out.append(Finding(warning(
                "OBS060", f"this {a.severity} alert {carries} and there is no default team with channels: "
                          f"it reaches no receiver", at(*a.at),
                hint="set routing.default_team, or add `team` to the rule group's alert_labels" if a.team is None
                else "name a team of the spec in the `team` label (global.external_labels, the alert's labels), "
                     "or set routing.default_team"),
                a.at[:4], "alert"))
    for (team, sev), group in groups.items():
        goes: list[str] = []
        for a in group:
            for hit in a.hits:
                if not routes.notifies(hit.receiver):
                    continue
                if hit.receiver == DEFAULT_RECEIVER:
                    goes.append(f"the default receiver (team {routes.default})")
                else:
                    via = routes.category(hit)
                    owner = routes.owner(hit.receiver)
                    goes.append((f"team {owner}" if owner else f"receiver {hit.receiver!r}")
                                + (f" (category {via})" if via else ""))
        # routing.severities' channels decide: a team's own `channels.<sev>` names channels it has set
        # up (OBS046 otherwise), whose receiver its alerts reach unless a route of the spec's own keeps
        # them (left out above), and `channels.<sev>: []` is no one on purpose.
        wanted = _channels(model, team, sev)
        source = f"routing.severities.{sev}.channels"
        why = (f"{source} lists {', '.join(wanted)}, and the team has none of them set up" if wanted
               else f"{source} lists no channel")
        where = f" in environment {model.env!r}" if model.env != "default" else ""
        # The setting that decides it, where the spec (or an environment's override) says it; else the alert.
        pos, said = locate(tree, ("routing", "severities", sev, "channels"))
        pos = pos if said else at(*group[0].at)
        out.append(Finding(warning(
            "OBS060", f"{sev} alerts of team {team!r}{where} reach none of its channels: {why}; they go to "
                      f"{', '.join(dict.fromkeys(goes)) or 'no one'}", pos,
            hint=f"set up one of those channels for team {team!r}, or give it `channels.{sev}`"),
            team_owner(team), f"team {team}"))
    return out


def category_routes(alerts: list[Sent], routes: RoutingTree, model: Model, at, team_owner) -> list[Finding]:
    """OBS061: category routes no alert matches."""
    out = []
    taken = {routes.category(h) for a in alerts for h in a.hits}
    for c in sorted(set(routes.categories.values()) - taken):
        team = model.spec.routing.categories[c].team  # type: ignore[index]
        assert team is not None
        of_c = [a for a in alerts if a.category == c]
        why = (f"no alert or SLO alert carries `category: {c}`" if not of_c else
               f"every {c} alert is team {team}'s own" if all(a.team == team for a in of_c) else
               f"team {team} has channels for none of their severities")
        out.append(Finding(warning(
            "OBS061", f"routing.categories.{c} also sends {c} alerts to team {team!r}, but that route never matches: "
                      f"{why}", at("routing", "categories", c, "team"),
            hint="drop the category's `team`, or silence OBS061 on the team with the reason to keep the route"),
            team_owner(team), f"team {team} (routing.categories.{c})"))
    return out


def team_channels(alerts: list[Sent], routes: RoutingTree, parsed: Parsed, at) -> list[Finding]:
    """OBS061: a team's `channels.<severity>` for a severity it never receives."""
    out = []
    received = {r for a in alerts for r in a.receivers}
    for i, t in parsed.items["teams"]:
        for sev in routes.model.spec.routing.severity_names:
            name = receiver_name(t.name, sev)
            if sev not in t.channels or name not in routes.integrations or name in received:
                continue
            if t.name == routes.default and sev == "warning":
                continue  # the default receiver uses these channels for whatever falls through
            of_team = [a for a in alerts if a.spec_team == t.name and a.severity == sev]
            diverted = sorted({h.receiver for a in of_team for h in a.hits if routes.by_spec(h)})
            why = (_mislabelled(sev + " ", [a for a in of_team if a.team != t.name]) or
                   (f"the spec's own routes send its {sev} alerts to {', '.join(map(repr, diverted))}"
                    if diverted else f"no {sev} alert or SLO alert of the team, or of a category routed to it, exists"))
            out.append(Finding(warning(
                "OBS061", f"team {t.name!r} lists channels for {sev} alerts, but it never receives one: {why}",
                at("teams", i, "channels", sev, "[key]"),
                hint=f"drop `channels.{sev}`, or silence OBS061 on the team with the reason to keep it"),
                ("teams", i), f"team {t.name}"))
    return out


def obs062(alerts: list[Sent], routes: RoutingTree, parsed: Parsed, model: Model, at, explained: set) -> list[Finding]:
    """Teams with channels that no alert reaches, where no OBS060/061 on the team says why."""
    out = []
    reached = {routes.owner(r) for r in {r for a in alerts for r in a.receivers}}

    def named(rs):  # receivers the spec's own routes name: alerts of any team may go there
        for r in rs:
            yield r.receiver
            yield from named(r.routes)
    reached |= {routes.owner(r) for r in named(model.spec.routing.routes) if r}
    categories = {c: cfg.team for c, cfg in model.spec.routing.categories.items() if cfg and cfg.team}
    for i, t in parsed.items["teams"]:
        have = [ch for ch in naming.CHANNELS if getattr(t, ch, None) is not None]
        if not have or t.name in reached or ("teams", i) in explained:
            continue
        if t.name == routes.default and routes.notifies(DEFAULT_RECEIVER):
            continue  # the default receiver notifies it of whatever falls through, now or later
        sent = sorted({a.severity for a in alerts if a.team == t.name or (
            a.category is not None and categories.get(a.category) == t.name)}, key=model.spec.routing.severity_names.index)
        message = f"team {t.name!r} has notification channels ({', '.join(have)}), but no alert reaches them: "
        diverted = sorted({h.receiver for a in alerts if a.spec_team == t.name for h in a.hits if routes.by_spec(h)})
        lists_none = not any(set(_channels(model, t.name, sev)) & set(have) for sev in sent)
        if sent and (lists_none or not diverted):
            message += (f"the alerts meant for it are {' and '.join(sent)}, and it lists none of its channels for "
                        f"{'that severity' if len(sent) == 1 else 'those severities'}")
        elif diverted:
            message += f"the spec's own routes send its alerts to {', '.join(map(repr, diverted))}"
        elif mislabelled := _mislabelled("", [a for a in alerts if a.spec_team == t.name and a.team != t.name]):
            message += mislabelled
        elif t.name == routes.default:
            message += "it is routing.default_team, but it has no warning channels, which the default receiver uses"
        else:
            message = (f"team {t.name!r} has notification channels ({', '.join(have)}), but no alert, SLO alert, "
                       f"category route or routing.default_team ever sends anything to it")
        out.append(Finding(warning(
            "OBS062", message, at("teams", i, "name"),
            hint="make it the `team` of the alerts it should get, route a category to it, or drop its channels"),
            ("teams", i), f"team {t.name}"))
    return out
