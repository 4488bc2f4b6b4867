"""Alert routing you can prove: Alertmanager's route evaluation in Python, and the table of where
the spec says each kind of alert must go.

- `match_routes` evaluates an alertmanager.yml (a plain dict) the way Alertmanager 0.25 does
  (dispatch/route.go): the root matches everything; children are tried in order and a matching
  child is descended into; the siblings after a matching child are tried only if it has
  `continue: true`; a route none of whose children match is itself the hit. receiver, group_by and
  the three timings are inherited from the parent where a route leaves them unset;
  mute_time_intervals and active_time_intervals are not (0.25 copies them from the route itself).
- Matchers follow Alertmanager's parser (pkg/labels/parse.go): `a="b"`, `a!="b"`, `a=~"re"`,
  `a!~"re"`, unquoted values, `\\"`/`\\\\`/`\\n` escapes; a missing label is the empty string;
  regexes are RE2 (google-re2), fully anchored.
- A routing table (`RoutingRow`s; resolve/routing_table.py derives one from the spec) is read and
  written here, so that `obsgen check` can run a committed table through amtool and `match_routes`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

from obsgen.core.regex import UnsupportedRegex, go_regex

__all__ = ["Matcher", "RouteHit", "RoutingRow", "UnsupportedRegex", "describe_route", "go_regex", "match_routes",
           "parse_label_args", "parse_matcher", "parse_matchers", "read_routing_table", "receiver_integrations",
           "route_matchers", "routing_table_doc"]


# ----------------------------------------------------------------------------- matchers

_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
            "\u2028\u2029\u202f\u205f\u3000"  # Go's unicode.IsSpace
# Trailing blanks are stripped before matching: `(.*?)[ ]*` at the end would backtrack over a long
# run of them (quadratic on a hostile config).
_MATCHER = re.compile(r"[\t\n\f\r ]*([a-zA-Z_:][a-zA-Z0-9_:]*)[\t\n\f\r ]*(=~|=|!=|!~)[\t\n\f\r ]*(.*)", re.DOTALL)


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str  # one of = != =~ !~
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.name, "")
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        hit = go_regex(self.value).fullmatch(value) is not None
        return hit if self.op == "=~" else not hit

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
        return f'{self.name}{self.op}"{escaped}"'


def parse_matcher(text: str) -> Matcher:
    """One matcher, as Alertmanager's parser reads it; raises ValueError with its reason."""
    m = _MATCHER.fullmatch(text.rstrip("\t\n\f\r "))
    if not m:
        raise ValueError(f"bad matcher format: {text}")
    name, op, raw = m.groups()
    quoted = raw.startswith('"')
    if quoted:
        raw = raw[1:]
    value: list[str] = []
    escaped = False
    for i, c in enumerate(raw):
        last = i == len(raw) - 1
        if escaped:
            escaped = False
            value.append("\n" if c == "n" else c if c in '"\\' else "\\" + c)
        elif c == "\\" and not last:
            escaped = True
        elif c == '"':
            if not quoted or not last:
                raise ValueError(f"matcher value contains unescaped double quote: {m.group(3)}")
            quoted = False
        else:
            value.append(c)
    if quoted:
        raise ValueError(f"matcher value contains unescaped double quote: {m.group(3)}")
    return Matcher(name, op, "".join(value))


def parse_matchers(text: str) -> list[Matcher]:
    """A comma-separated list of matchers (one item of a route's `matchers`), optionally in braces."""
    return list(_parse_matchers(text))


@lru_cache(maxsize=4096)  # a routing tree repeats the same few matchers; evaluating it parses them once
def _parse_matchers(text: str) -> tuple[Matcher, ...]:
    text = text.removeprefix("{").removesuffix("}")
    tokens, token = [], []
    quoted = escaped = False
    for c in text:
        if c == "," and not quoted:
            tokens.append("".join(token))
            token = []
            continue
        if c == '"':
            quoted, escaped = (quoted, False) if escaped else (not quoted, False)
        elif c == "\\":
            escaped = not escaped
        elif c != ",":  # a quoted comma keeps a pending escape, as in Alertmanager
            escaped = False
        token.append(c)
    if "".join(token).strip(_GO_SPACE):
        tokens.append("".join(token).strip(_GO_SPACE))
    return tuple(parse_matcher(t) for t in tokens)


def route_matchers(route: Mapping) -> list[Matcher]:
    """A route's matchers: `matchers`, and the deprecated `match` and `match_re` maps."""
    out = [m for item in route.get("matchers") or [] for m in parse_matchers(str(item))]
    out += [Matcher(str(k), "=", str(v)) for k, v in (route.get("match") or {}).items()]
    out += [Matcher(str(k), "=~", str(v)) for k, v in (route.get("match_re") or {}).items()]
    return out


# ----------------------------------------------------------------------------- evaluation

@dataclass(frozen=True)
class RouteHit:
    """Where an alert lands: the route's effective settings, and the matchers of each route from
    the root's child down to it (`path`, empty for the root)."""

    receiver: str
    group_by: tuple[str, ...]  # ("...",) for grouping by all labels
    group_wait: str
    group_interval: str
    repeat_interval: str
    mute_time_intervals: tuple[str, ...] = ()
    active_time_intervals: tuple[str, ...] = ()
    path: tuple[tuple[str, ...], ...] = ()


# Alertmanager's DefaultRouteOpts: what the root inherits.
_ROOT = RouteHit(receiver="", group_by=(), group_wait="30s", group_interval="5m", repeat_interval="4h")


def _settings(route: Mapping, parent: RouteHit, path: tuple[tuple[str, ...], ...]) -> RouteHit:
    group_by = parent.group_by
    labels = [str(g) for g in route.get("group_by") or []]
    if any(g != "..." for g in labels):
        group_by = tuple(dict.fromkeys(g for g in labels if g != "..."))
    elif labels:  # only `...`; an empty list leaves the parent's, as in Alertmanager
        group_by = ("...",)

    def timing(key: str) -> str:
        value = route.get(key)
        return getattr(parent, key) if value is None else str(value)

    return RouteHit(receiver=str(route.get("receiver") or parent.receiver), group_by=group_by,
                    group_wait=timing("group_wait"), group_interval=timing("group_interval"),
                    repeat_interval=timing("repeat_interval"),
                    mute_time_intervals=tuple(str(t) for t in route.get("mute_time_intervals") or ()),
                    active_time_intervals=tuple(str(t) for t in route.get("active_time_intervals") or ()),
                    path=path)


def _match(route: Mapping, labels: Mapping[str, str], parent: RouteHit,
           path: tuple[tuple[str, ...], ...], root: bool = False) -> list[RouteHit] | None:
    if not isinstance(route, dict) and not isinstance(route, Mapping):  # dict first: the ABC check is slow
        raise ValueError(f"a route must be a mapping, not {type(route).__name__}")
    matchers = route_matchers(route)
    if not all(m.matches(labels) for m in matchers):
        return None
    if not root:  # the path is only built for the routes that match
        path = path + (tuple(str(m) for m in matchers),)
    here = _settings(route, parent, path)
    hits: list[RouteHit] = []
    for child in route.get("routes") or []:
        found = _match(child, labels, here, path)
        if found is not None:
            hits += found
            if not child.get("continue"):
                break
    return hits or [here]


def match_routes(config: Mapping, labels: Mapping[str, str]) -> list[RouteHit]:
    """The routes an alert with `labels` lands on, in Alertmanager's order (amtool's too).
    Raises ValueError for a config without a route or with a matcher it cannot read."""
    root = config.get("route")
    if not isinstance(root, Mapping):
        raise ValueError("the configuration has no `route`")
    return _match(root, labels, _ROOT, (), root=True) or []


def receiver_integrations(config: Mapping, receiver: str) -> list[str]:
    """The kinds of integration a receiver notifies through (pagerduty, slack, …), sorted."""
    for rc in config.get("receivers") or []:
        if rc.get("name") == receiver:
            return sorted(k.removesuffix("_configs") for k, v in rc.items() if k.endswith("_configs") and v)
    raise ValueError(f"no receiver named {receiver!r}")


def describe_route(config: Mapping, labels: Mapping[str, str]) -> list[dict]:
    """`obsgen route`: per hit, its receiver, the receiver's integrations, grouping and timing."""
    return [{"receiver": h.receiver, "integrations": receiver_integrations(config, h.receiver),
             "group_by": list(h.group_by), "group_wait": h.group_wait, "group_interval": h.group_interval,
             "repeat_interval": h.repeat_interval, "mute_time_intervals": list(h.mute_time_intervals),
             "active_time_intervals": list(h.active_time_intervals), "route": [list(level) for level in h.path]}
            for h in match_routes(config, labels)]


def parse_label_args(args: list[str]) -> dict[str, str]:
    """`LABEL=VALUE` arguments, read as amtool reads them (the value may be quoted, with \\" and \\\\).
    Raises ValueError naming the argument that is wrong and why."""
    out: dict[str, str] = {}
    for arg in args:
        try:
            m = parse_matcher(arg)
        except ValueError as exc:
            raise ValueError(f"{arg!r} is not LABEL=VALUE ({exc})") from None
        if m.op != "=":
            raise ValueError(f"{arg!r} is not LABEL=VALUE: an alert's labels have values, not {m.op} matchers")
        if m.name in out:
            raise ValueError(f"label {m.name!r} is given twice")
        out[m.name] = m.value
    return out


# ----------------------------------------------------------------------------- the spec's table

@dataclass(frozen=True)
class RoutingRow:
    labels: dict[str, str]
    receivers: tuple[str, ...]


def routing_table_doc(rows: list[RoutingRow]) -> dict:
    """The table as a YAML-able document: {"tests": [{"labels": {...}, "receivers": [...]}, ...]}."""
    return {"tests": [{"labels": dict(sorted(r.labels.items())), "receivers": list(r.receivers)} for r in rows]}


def read_routing_table(doc: object) -> tuple[list[RoutingRow], list[str]]:
    """Rows from a routing-tests document (as loaded from YAML), and what is wrong with it."""
    tests = doc.get("tests") if isinstance(doc, dict) else None
    if not isinstance(tests, list):
        return [], ["expected a mapping with a `tests` list"]
    rows, problems = [], []
    for i, test in enumerate(tests):
        labels = test.get("labels") if isinstance(test, dict) else None
        receivers = test.get("receivers") if isinstance(test, dict) else None
        if not (isinstance(labels, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items())
                and isinstance(receivers, list) and receivers and all(isinstance(r, str) for r in receivers)):
            problems.append(f"tests[{i}]: needs `labels` (label: string value) and a non-empty `receivers` list")
            continue
        rows.append(RoutingRow(dict(labels), tuple(receivers)))
    return rows, problems
