"""Where the spec says each kind of alert must go: one row per team × severity × category.

Derived from the routing semantics, not from the route tree the alertmanager target builds, so
that `obsgen check` (running the table through amtool and core/routes.py's evaluator) proves the
tree right.
"""
from __future__ import annotations

from obsgen.core import naming
from obsgen.core.naming import DEFAULT_RECEIVER, receiver_name
from obsgen.core.routes import RoutingRow
from obsgen.resolve.model import Model
from obsgen.spec import TeamSpec


def has_channels(model: Model, team: TeamSpec, severity: str) -> bool:
    """Whether `team` has a configured channel for `severity`: its own per-severity list if it has
    one, else routing.severities' list, keeping the channels the team has set up."""
    wanted = team.channels.get(severity)  # type: ignore[call-overload]
    if wanted is None:
        default = model.spec.routing.severities.get(severity)  # type: ignore[call-overload]
        wanted = default.channels if default else []
    return any(getattr(team, channel) is not None for channel in wanted)


def expected_receivers(model: Model, team: str, severity: str, category: str) -> tuple[str, ...]:
    """Where the spec says an alert of `team`, `severity` and `category` must go, in order: the
    category's own team first (if it is another team with channels for the severity), then the
    alert's team, or the default receiver if that team has no channel for the severity."""
    out = []
    cat = model.spec.routing.categories.get(category)  # type: ignore[call-overload]
    owner = cat.team if cat else None
    if owner and owner != team and owner in model.teams and has_channels(model, model.teams[owner], severity):
        out.append(receiver_name(owner, severity))
    own = has_channels(model, model.teams[team], severity)
    out.append(receiver_name(team, severity) if own else DEFAULT_RECEIVER)
    return tuple(out)


def routing_table(model: Model) -> list[RoutingRow]:
    """One row per team × severity × category: teams by name, severities and categories in
    naming's order."""
    return [RoutingRow({"team": team, "severity": sev, "category": cat}, expected_receivers(model, team, sev, cat))
            for team in sorted(model.teams) for sev in naming.SEVERITIES for cat in naming.CATEGORIES]
