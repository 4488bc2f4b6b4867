"""OBS060-062: routing, following the tree the alertmanager target builds (targets/alertmanager.py)
for every alert and SLO alert of the spec."""
from __future__ import annotations

from dataclasses import dataclass

from .. import naming
from ..diagnostics import warning
from ..loader import YMap
from ..model import Model
from ..parse import Parsed, locate
from ..silence import Finding

@dataclass(frozen=True)
class Sent:
    """One kind of alert Alertmanager will get: the labels routing reads, and where it is defined."""

    team: str | None  # the `team` label (None when the rule group does not add it)
    severity: str
    category: str | None
    at: tuple


class Routes:
    """Where Alertmanager sends an alert, following the tree of targets/alertmanager.py: category routes
    (continue: true) for categories that name a team, then one route per team; a team route with no
    child for the severity, or no route at all, leaves the alert to the default receiver."""

    def __init__(self, model: Model):
        self.r = model.spec.routing
        self.teams = model.teams
        self.default = self.r.default_team if self.r.default_team in self.teams else None

    def channels(self, team: str, severity: str) -> list[str]:
        t = self.teams[team]
        wanted = t.channels.get(severity)
        if wanted is None:
            sev = self.r.severities.get(severity)
            wanted = sev.channels if sev else []
        return [ch for ch in wanted if getattr(t, ch, None) is not None]

    def receives(self, team: str) -> list[str]:
        return [s for s in naming.SEVERITIES if self.channels(team, s)]

    def category_teams(self) -> list[tuple[str, str]]:
        return [(c, cfg.team) for c, cfg in sorted(self.r.categories.items()) if cfg.team in self.teams]

    def hits(self, a: Sent) -> list[tuple[str | None, str]]:
        """(team, severity) receivers the alert reaches; team None is the default receiver."""
        out = [(team, a.severity) for c, team in self.category_teams()
               if a.category == c and a.team != team and a.severity in self.receives(team)]
        if a.team in self.teams and self.receives(a.team):
            out.append((a.team if self.channels(a.team, a.severity) else None, a.severity))
        elif not out:
            out.append((None, a.severity))
        return out


def sent_alerts(parsed: Parsed, model: Model) -> list[Sent]:
    out = []
    by_spec = {id(a.spec): a for a in model.alerts}
    for i, s in parsed.items["services"]:
        for j, spec in enumerate(s.alerts):
            labels = by_spec[id(spec)].labels
            out.append(Sent(labels.get("team"), spec.severity, labels.get("category"),
                            ("services", i, "alerts", j, "severity")))
        for j, o in enumerate(s.slos):
            team = o.alerting.team or s.team
            for tier in ("page", "ticket"):
                cfg = getattr(o.alerting, tier)
                if cfg.enabled:
                    out.append(Sent(team, cfg.severity, o.alerting.category,
                                    ("services", i, "slos", j, "alerting", tier, "severity")))
            if o.alerting.budget_alerts:
                out += [Sent(team, sev, o.alerting.category, ("services", i, "slos", j, "alerting", "budget_alerts"))
                        for sev in ("warning", "critical")]
    return out


def routing_findings(tree: YMap, parsed: Parsed, model: Model) -> list[Finding]:
    out = []
    at = lambda *loc: locate(tree, loc)[0]  # noqa: E731
    routes = Routes(model)
    team_index = {t.name: i for i, t in parsed.items["teams"]}
    team_owner = lambda name: ("teams", team_index[name])  # noqa: E731
    alerts = sent_alerts(parsed, model)
    default_ok = routes.default is not None and bool(routes.channels(routes.default, "warning"))
    reached: dict[tuple[str | None, str], Sent] = {}
    for a in alerts:
        for hit in routes.hits(a):
            reached.setdefault(hit, a)

    # OBS060: per team and severity, at the first such alert.
    seen: set[tuple] = set()
    for a in sorted(alerts, key=lambda a: at(*a.at)):
        if a.team is not None and a.team in routes.teams:
            if routes.channels(a.team, a.severity) or (a.team, a.severity) in seen \
                    or routes.teams[a.team].channels.get(a.severity) == []:  # none, on purpose
                continue
            seen.add((a.team, a.severity))
            elsewhere = [f"team {t} (category {a.category})" for t, sev in routes.hits(a) if t is not None]
            if (None, a.severity) in routes.hits(a):
                elsewhere.append(f"the default receiver (team {routes.default})" if default_ok else "")
            goes = ", ".join(e for e in elsewhere if e) or "no one"
            sev = routes.r.severities.get(a.severity)
            wanted = routes.teams[a.team].channels.get(a.severity, sev.channels if sev else [])
            out.append(Finding(warning(
                "OBS060", f"{a.severity} alerts of team {a.team!r} reach none of its channels (it has none of "
                          f"{', '.join(wanted) or 'no channel listed'}); they go to {goes}", at(*a.at),
                hint=f"give team {a.team!r} one of those channels, or set its `channels.{a.severity}`"),
                team_owner(a.team), f"team {a.team}"))
        elif a.team is None and all(t is None for t, _ in routes.hits(a)) and not default_ok:
            out.append(Finding(warning(
                "OBS060", f"this {a.severity} alert has no `team` label and there is no default team with channels: "
                          f"it reaches no receiver", at(*a.at),
                hint="set routing.default_team, or add `team` to the rule group's alert_labels"),
                a.at[:4], "alert"))

    # OBS061: category routes and team channels that no alert can take.
    for c, team in routes.category_teams():
        if not routes.receives(team) or any(hit == team for hit, _ in
                                            (h for a in alerts if a.category == c for h in routes.hits(a))):
            continue
        of_c = [a for a in alerts if a.category == c]
        why = (f"no alert or SLO alert carries `category: {c}`" if not of_c else
               f"every {c} alert is team {team}'s own" if all(a.team == team for a in of_c) else
               f"team {team} has channels for none of their severities")
        out.append(Finding(warning(
            "OBS061", f"routing.categories.{c} also sends {c} alerts to team {team!r}, but that route never matches: "
                      f"{why}", at("routing", "categories", c, "team"),
            hint="drop the category's `team`, or silence OBS061 on the team with the reason to keep the route"),
            team_owner(team), f"team {team} (routing.categories.{c})"))
    for i, t in parsed.items["teams"]:
        for sev in naming.SEVERITIES:
            if sev not in t.channels or not routes.channels(t.name, sev) or (t.name, sev) in reached:
                continue
            if t.name == routes.default and sev == "warning":
                continue  # the default receiver uses these channels for whatever falls through
            out.append(Finding(warning(
                "OBS061", f"team {t.name!r} lists channels for {sev} alerts, but it never receives one: no {sev} alert "
                          f"or SLO alert of the team, or of a category routed to it, exists",
                at("teams", i, "channels", sev, "[key]"),
                hint=f"drop `channels.{sev}`, or silence OBS061 on the team with the reason to keep it"),
                ("teams", i), f"team {t.name}"))

    # OBS062: teams with channels that nothing ever routes to.
    owners = {a.team for a in alerts} | {team for _, team in routes.category_teams()} | {routes.default}
    for i, t in parsed.items["teams"]:
        have = [ch for ch in naming.CHANNELS if getattr(t, ch, None) is not None]
        if have and t.name not in owners:
            out.append(Finding(warning(
                "OBS062", f"team {t.name!r} has notification channels ({', '.join(have)}), but no alert, SLO alert, "
                          f"category route or routing.default_team ever sends anything to it", at("teams", i, "name"),
                hint="make it the `team` of the alerts it should get, route a category to it, or drop its channels"),
                ("teams", i), f"team {t.name}"))
    return out

