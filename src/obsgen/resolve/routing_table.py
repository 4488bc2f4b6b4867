"""Where the spec says each kind of alert must go: one row per team × severity × category, and
one per route of the spec's own (`routing.routes`), with labels its matchers accept.

Derived from the routing semantics, not from the route tree the alertmanager target builds, so
that `obsgen check` (running the table through amtool and core/routes.py's evaluator) proves the
tree right. The semantics: the spec's `first` routes are tried in order (a match without
`continue` ends it); then an alert of a team with channels goes where its team, severity and
category say; an alert no team route takes (no team label, an unknown team, a team without
channels) goes to a category's team if the category has one, then to the spec's `last` routes,
and to obsgen-default if none takes it.
"""
from __future__ import annotations

import re

from obsgen.core.naming import DEFAULT_RECEIVER, receiver_name
from obsgen.core.regex import sample_of
from obsgen.core.routes import RoutingRow, match_routes, route_matchers
from obsgen.resolve.model import Model
from obsgen.spec import RouteSpec, TeamSpec

TIMING = ("group_wait", "group_interval", "repeat_interval")


def has_channels(model: Model, team: TeamSpec, severity: str) -> bool:
    """Whether `team` has a configured channel for `severity`: its own per-severity list if it has
    one, else routing.severities' list, keeping the channels the team has set up."""
    return channels_for(model.spec.routing, team, severity)


def channels_for(routing, team: TeamSpec, severity: str) -> bool:
    """has_channels, from the routing section alone."""
    wanted = team.channels.get(severity)  # type: ignore[call-overload]
    if wanted is None:
        default = routing.severities.get(severity)
        wanted = default.channels if default else []
    return any(getattr(team, channel) is not None for channel in wanted)


def expected_receivers(model: Model, team: str, severity: str, category: str) -> tuple[str, ...]:
    """Where the spec says an alert of `team`, `severity` and `category` must go, in order: the
    category's own team first (if it is another team with channels for the severity), then the
    alert's team, or the default receiver if that team has no channel for the severity."""
    out = []
    cat = model.spec.routing.category(category)
    owner = cat.team if cat else None
    if owner and owner != team and owner in model.teams and has_channels(model, model.teams[owner], severity):
        out.append(receiver_name(owner, severity))
    own = has_channels(model, model.teams[team], severity)
    out.append(receiver_name(team, severity) if own else root_receiver(model))
    return tuple(out)


def custom_route(r: RouteSpec) -> dict:
    """A route of the spec's own, as Alertmanager reads it (matchers as written)."""
    out: dict = {}
    if r.matchers:
        out["matchers"] = list(r.matchers)
    if r.receiver:
        out["receiver"] = r.receiver
    if r.group_by is not None:
        out["group_by"] = list(r.group_by)
    for key in TIMING:
        if getattr(r, key):
            out[key] = getattr(r, key)
    if r.mute_during:
        out["mute_time_intervals"] = sorted(set(r.mute_during))
    if r.active_during:
        out["active_time_intervals"] = sorted(set(r.active_during))
    if r.continue_:
        out["continue"] = True
    if r.routes:
        out["routes"] = [custom_route(c) for c in r.routes]
    return out


def root_receiver(model: Model) -> str:
    """Where alerts no route takes go: routing.receiver, or obsgen-default."""
    return model.spec.routing.receiver or DEFAULT_RECEIVER


def _through(routes: list[RouteSpec], labels: dict[str, str], root: str) -> tuple[list[str], bool]:
    """The receivers the spec's routes give an alert, tried in order as Alertmanager does, and
    whether one matched without `continue` (which ends the search)."""
    out: list[str] = []
    for r in routes:
        hits = match_routes({"route": {"receiver": root, "routes": [custom_route(r)]}}, labels)
        hits = [h for h in hits if h.path]  # the root's own hit: this route did not match
        if hits:
            out += [h.receiver for h in hits]
            if not r.continue_:
                return out, True
    return out, False


def expected(model: Model, labels: dict[str, str]) -> tuple[str, ...]:
    """Where the spec says an alert with `labels` must go (see the module's docstring)."""
    routing = model.spec.routing
    root = root_receiver(model)
    out, done = _through([r for r in routing.routes if r.position != "last"], labels, root)
    if done:
        return tuple(out)
    team, sev, cat = labels.get("team", ""), labels.get("severity", ""), labels.get("category", "")
    t = model.teams.get(team)
    sevs = routing.severity_names
    if t is not None and any(has_channels(model, t, s) for s in sevs):
        # The team's route takes it (no `continue`): its severity's receiver, or, for a severity
        # it has no receiver for (or one the spec does not define), the root's.
        if sev in sevs:
            return tuple(out) + expected_receivers(model, team, sev, cat)
        return tuple(out) + (root,)
    c = routing.category(cat)
    owner = model.teams.get(c.team) if c and c.team else None
    if owner is not None and owner.name != team and sev in sevs and has_channels(model, owner, sev):
        out.append(receiver_name(owner.name, sev))
    more, done = _through([r for r in routing.routes if r.position == "last"], labels, root)
    out += more
    if done:
        return tuple(out)
    if t is not None and category_routes(model):
        return tuple(out) + (root,)  # the placeholder route of a team without channels
    return tuple(out or [root])  # a route that took it (continue or not) is no fall-through


def category_routes(model: Model) -> bool:
    """Whether the tree has category routes (a category's team with a channel), and so a
    placeholder route per team without channels (see targets/alertmanager.py)."""
    for cfg in model.spec.routing.categories.values():
        owner = model.teams.get(cfg.team) if cfg and cfg.team else None
        if owner is not None and any(has_channels(model, owner, s) for s in model.spec.routing.severity_names):
            return True
    return False


_LITERAL = re.compile(r"^[A-Za-z0-9_.:/@ -]+$")


def sample_labels(routes: list[dict]) -> dict[str, str] | None:
    """Labels the matchers of a chain of routes (root's child down to one route) all accept, or
    None when obsgen cannot make them up (a regex that is not a list of literals, say)."""
    labels: dict[str, str] = {}
    matchers = [m for r in routes for m in route_matchers(r)]
    for m in matchers:
        if m.op == "=":
            value = m.value
        elif m.op == "=~":
            first = m.value.split("|")[0]
            value = first if _LITERAL.fullmatch(first) else sample_of(m.value)
            if value is None:
                return None
        else:
            continue  # != and !~ hold for a label left out, unless they exclude the empty value
        if labels.get(m.name, value) != value:
            return None
        labels[m.name] = value
    return labels if all(m.matches(labels) for m in matchers) else None


def custom_rows(model: Model) -> list[RoutingRow]:
    """One row per route of the spec's own whose matchers obsgen can satisfy, in the order the
    routes are written (depth first)."""
    out: list[RoutingRow] = []

    def walk(r: RouteSpec, chain: list[dict]):
        chain = chain + [custom_route(r)]
        labels = sample_labels(chain) if any(c.get("matchers") for c in chain) else None
        if labels:
            row = RoutingRow(labels, expected(model, labels))
            if all(row.labels != o.labels for o in out):
                out.append(row)
        for c in r.routes:
            walk(c, chain)
    for r in model.spec.routing.routes:
        walk(r, [])
    return out


def routing_table(model: Model) -> list[RoutingRow]:
    """One row per team × severity × category (teams by name, severities and categories in
    naming's order), then one per route of the spec's own."""
    rows = [RoutingRow({"team": team, "severity": sev, "category": cat},
                       expected(model, {"team": team, "severity": sev, "category": cat}))
            for team in sorted(model.teams) for sev in model.spec.routing.severity_names
            for cat in model.spec.routing.category_names]
    return rows + custom_rows(model)
