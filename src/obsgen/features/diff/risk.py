"""Which changes make the monitoring quieter: an alert removed, a higher threshold, a longer
`for`, a lower severity, a critical route losing its pager, a lower SLO objective."""
from __future__ import annotations

from typing import Any

import promql_parser

from obsgen.features.diff.model import Change
from obsgen.features.diff.objects import (
    Objects,
    accepts_critical,
    pager_kinds,
    parse_expr,
    route_id,
    route_path,
    seconds,
    unparen,
)
from obsgen.resolve.slo import fmt_number

SEVERITY_RANK = {"info": 1, "warning": 2, "error": 3, "critical": 4, "page": 4}
COMPARISONS = (">", ">=", "<", "<=")


def _threshold(expr: Any) -> tuple[str, float] | None:
    """The comparison and number of `<query> > 0.05`-shaped alert expressions."""
    tree = parse_expr(expr) if isinstance(expr, str) else None
    tree = unparen(tree) if tree is not None else None
    if not isinstance(tree, promql_parser.BinaryExpr) or str(tree.op) not in COMPARISONS:
        return None
    if tree.modifier is not None and tree.modifier.return_bool:
        return None
    rhs = unparen(tree.rhs)
    if not isinstance(rhs, promql_parser.NumberLiteral):
        return None
    return str(tree.op), rhs.val


def _alert_risk(c: Change) -> str:
    if c.action == "removed":
        return "alert removed"
    if c.field == "expr":
        before, after = _threshold(c.old), _threshold(c.new)
        if before and after and before[0] == after[0]:
            op, x, y = before[0], before[1], after[1]
            if (op in (">", ">=") and y > x) or (op in ("<", "<=") and y < x):
                return f"threshold of `{op}` moved from {fmt_number(x)} to {fmt_number(y)}: fires less often"
    elif c.field == "for":
        x, y = seconds(c.old), seconds(c.new)
        if x is not None and y is not None and y > x:
            return f"`for` longer ({c.old} -> {c.new}): fires later"
    elif c.field == "labels.severity":
        x, y = SEVERITY_RANK.get(str(c.old), 0), SEVERITY_RANK.get(str(c.new), 0)
        if c.new is None or (x and y and y < x):
            return f"severity lowered ({c.old} -> {c.new})"
    return ""


def _critical_receivers(objs: Objects, env: str) -> dict[str, str]:
    """Receivers reached by severity="critical" alerts in `env`: name -> the route that reaches it."""
    out: dict[str, str] = {}
    for (kind, e, oid), route in sorted(objs.items()):
        if kind == "route" and e == env:
            path = route_path(oid)
            if path is not None and accepts_critical(path):
                out.setdefault(_effective_receiver(objs, env, path), oid)
    return out


def _effective_receiver(objs: Objects, env: str, path: list[list[str]]) -> str:
    for depth in range(len(path), -1, -1):
        route = objs.get(("route", env, route_id(path[:depth])))
        if route and route.get("receiver"):
            return str(route["receiver"])
    return ""


def assess(changes: list[Change], old: Objects, new: Objects) -> list[Change]:
    """Flag the changes that make the monitoring quieter."""
    out = []
    crit_cache: dict[str, tuple[dict, dict]] = {}
    for c in changes:
        reason = ""
        if c.kind == "alert":
            reason = _alert_risk(c)
        elif c.kind == "slo" and c.field == "objective" and isinstance(c.old, (int, float)) \
                and isinstance(c.new, (int, float)) and c.new < c.old:
            reason = f"SLO objective lowered from {fmt_number(c.old)}% to {fmt_number(c.new)}%"
        elif c.kind == "slo" and c.action == "removed":
            reason = "SLO removed"
        elif c.kind in ("receiver", "route"):
            if c.env not in crit_cache:
                crit_cache[c.env] = (_critical_receivers(old, c.env), _critical_receivers(new, c.env))
            reason = _pager_risk(c, old, new, crit_cache[c.env][0])
        out.append(Change(c.kind, c.env, c.object_id, c.field, c.old, c.new, bool(reason), reason)
                   if reason else c)
    return out


def _pager_risk(c: Change, old: Objects, new: Objects, critical: dict[str, str]) -> str:
    if c.kind == "receiver":
        if c.object_id not in critical:
            return ""
        lost = pager_kinds(old.get(("receiver", c.env, c.object_id))) - \
            pager_kinds(new.get(("receiver", c.env, c.object_id)))
        if c.action != "removed":
            if c.new is not None:
                return ""
            kind = c.field.split("[")[0]
            lost = {k for k in lost if k == kind or (k == "sms" and kind == "webhook")}
        if not lost:
            return ""
        return f"critical alerts lose their pager: {', '.join(sorted(lost))} (route {critical[c.object_id]})"
    path = route_path(c.object_id)
    if path is None or not accepts_critical(path) or c.field not in ("", "receiver"):
        return ""
    before = _effective_receiver(old, c.env, path)
    had = pager_kinds(old.get(("receiver", c.env, before)))
    if not had:
        return ""
    if c.action == "removed":
        return f"critical route removed; its receiver {before} paged ({', '.join(sorted(had))})"
    if c.action == "changed":
        after = _effective_receiver(new, c.env, path)
        lost = had - pager_kinds(new.get(("receiver", c.env, after)))
        if lost:
            return f"critical route now goes to {after}, which has no {', '.join(sorted(lost))}"
    return ""
