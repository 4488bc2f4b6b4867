"""PromQL as plain data: each expression parsed once (cached) into `Sel`, `Fn`, `Agg`, `Bin`, `Sub`
and `Lit`, with the helpers the checks walk it with and PromQL's functions grouped by what they do."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import promql_parser as pp

from obsgen.core.naming import fmt_duration
from obsgen.core.promql import parse as bounded_parse
from obsgen.core.templating import METRIC_PLACEHOLDER

# ----------------------------------------------------------------------------- PromQL as plain data
# The parser's objects are rebuilt on every attribute access; the checks walk these instead.


@dataclass(frozen=True, eq=False, slots=True)
class Sel:
    name: str | None  # None: no fixed metric name ({__name__=~"..."})
    matchers: tuple[tuple[str, str, str], ...]  # (label, op, value), __name__ left out
    range: float | None  # seconds, for a range selector
    offset: float = 0.0  # seconds (`offset 1h`; negative ahead)
    pinned: bool = False  # an `@` modifier pins its time


@dataclass(frozen=True, eq=False, slots=True)
class Sub:
    expr: object
    range: float
    step: float | None


@dataclass(frozen=True, eq=False, slots=True)
class Fn:
    name: str
    args: tuple
    scalar: bool  # the function returns a scalar


@dataclass(frozen=True, eq=False, slots=True)
class Agg:
    op: str
    expr: object
    param: object | None
    by: tuple[str, ...] | None
    without: tuple[str, ...] | None


@dataclass(frozen=True, eq=False, slots=True)
class Bin:
    op: str
    lhs: object
    rhs: object
    bool: bool
    on: tuple[str, ...] | None
    ignoring: tuple[str, ...] | None
    card: str  # OneToOne, ManyToOne (group_left), OneToMany (group_right), ManyToMany (set operators)
    group: tuple[str, ...]


@dataclass(frozen=True, eq=False, slots=True)
class Lit:
    value: float | str


_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}
COMPARISONS = frozenset(["==", "!=", ">", "<", ">=", "<="])
SET_OPS = frozenset(["and", "or", "unless"])
# Grafana's interval variables stand for a range Grafana picks well; they become this sentinel,
# which no range check reports.
GRAFANA_VARS = re.compile(r"\$(__rate_interval|__interval|__range)\b|\$\{(__rate_interval|__interval|__range)\}")
GRAFANA_RANGE = "99d1s"
GRAFANA_SECONDS = 99 * 86400 + 1


def _sel(vs, rng: float | None) -> Sel:
    name = None if vs.name == METRIC_PLACEHOLDER else vs.name  # a Grafana variable: any metric
    matchers = []
    groups = [vs.matchers.matchers, *vs.matchers.or_matchers]
    for group in groups:
        for m in group:
            op = _OPS.get(str(m.op), "=")
            if m.name == "__name__":
                if op == "=" and name is None and len(groups) == 1:
                    name = m.value
                continue
            matchers.append((m.name, op, m.value))
    offset = vs.offset.total_seconds() if vs.offset is not None else 0.0
    return Sel(name, tuple(matchers), rng, offset, vs.at is not None)


MAX_DEPTH = 120  # deeper expressions are not linted: the checks recurse


class _TooDeep(Exception):
    pass


def _convert(e, depth: int = 0):
    if depth > MAX_DEPTH:
        raise _TooDeep
    convert = lambda x: _convert(x, depth + 1)  # noqa: E731
    if isinstance(e, pp.ParenExpr):
        return convert(e.expr)
    if isinstance(e, pp.UnaryExpr):  # -x: a negative number, or -1 * x (which drops the name, as -x does)
        inner = convert(e.expr)
        if isinstance(inner, Lit) and isinstance(inner.value, float):
            return Lit(-inner.value)
        return Bin("*", Lit(-1.0), inner, False, None, None, "OneToOne", ())
    if isinstance(e, pp.VectorSelector):
        return _sel(e, None)
    if isinstance(e, pp.MatrixSelector):
        return _sel(e.vector_selector, e.range.total_seconds())
    if isinstance(e, pp.SubqueryExpr):
        return Sub(convert(e.expr), e.range.total_seconds(), e.step.total_seconds() if e.step else None)
    if isinstance(e, pp.Call):
        return Fn(e.func.name, tuple(convert(a) for a in e.args), str(e.func.return_type) == "ValueType.Scalar")
    if isinstance(e, pp.AggregateExpr):
        mod = e.modifier
        labels = tuple(mod.labels) if mod is not None else None
        by = labels if mod is not None and str(mod.type) == "AggModifierType.By" else None
        without = labels if mod is not None and str(mod.type) == "AggModifierType.Without" else None
        return Agg(str(e.op), convert(e.expr), convert(e.param) if e.param is not None else None, by, without)
    if isinstance(e, pp.BinaryExpr):
        mod = e.modifier
        on = ignoring = None
        card, group, is_bool = "VectorMatchCardinality.OneToOne", (), False
        if mod is not None:
            is_bool = bool(mod.return_bool)
            card = str(mod.card)
            group = tuple(mod.group_labels or ())
            if mod.matching is not None:
                if str(mod.matching.type) == "LabelModifierType.Include":
                    on = tuple(mod.matching.labels)
                else:
                    ignoring = tuple(mod.matching.labels)
        return Bin(str(e.op), convert(e.lhs), convert(e.rhs), is_bool, on, ignoring,
                   card.removeprefix("VectorMatchCardinality."), group)
    if isinstance(e, (pp.NumberLiteral, pp.StringLiteral)):
        return Lit(e.val)
    return Lit(0.0)  # a node type this parser version added: read as a constant


@lru_cache(maxsize=4096)
def parse(text: str):
    """The expression as plain data, or None when it does not parse (resolve reports that)."""
    try:
        return _convert(bounded_parse(GRAFANA_VARS.sub(GRAFANA_RANGE, text)))
    except (ValueError, TypeError, RecursionError, _TooDeep):
        return None


def children(n) -> tuple:
    if isinstance(n, Fn):
        return n.args
    if isinstance(n, Agg):
        return (n.expr,) if n.param is None else (n.param, n.expr)
    if isinstance(n, Bin):
        return n.lhs, n.rhs
    if isinstance(n, Sub):
        return (n.expr,)
    return ()


def selectors(n) -> list[Sel]:
    out: list[Sel] = []
    stack = [n]
    while stack:
        node = stack.pop()
        if isinstance(node, Sel):
            out.append(node)
        stack.extend(reversed(children(node)))
    return out


def is_scalar(n) -> bool:
    if isinstance(n, Lit):
        return isinstance(n.value, float)
    if isinstance(n, Fn):
        return n.scalar
    if isinstance(n, Bin):
        return is_scalar(n.lhs) and is_scalar(n.rhs)
    return False


def vector_arg(n: Fn):
    return next((a for a in n.args if not isinstance(a, Lit) and not is_scalar(a)), None)


# ----------------------------------------------------------------------------- functions, by what they do

# Output labels are the (first) vector argument's.
KEEP_LABELS = frozenset("""
abs acos acosh asin asinh atan atanh avg_over_time ceil changes clamp clamp_max clamp_min cos cosh
count_over_time day_of_month day_of_week day_of_year days_in_month deg delta deriv
double_exponential_smoothing exp floor histogram_avg histogram_count histogram_fraction
histogram_stddev histogram_stdvar histogram_sum holt_winters hour idelta increase irate
last_over_time ln log10 log2 mad_over_time max_over_time min_over_time minute month predict_linear
present_over_time quantile_over_time rad rate resets round sgn sin sinh sort sort_by_label
sort_by_label_desc sort_desc sqrt stddev_over_time stdvar_over_time sum_over_time tan tanh timestamp
year""".split())
# Fine on a counter: they look at its increase, or only at whether samples exist.
COUNTER_SAFE = frozenset("""rate irate increase resets changes absent absent_over_time present_over_time
count_over_time timestamp""".split())
# A counter's raw value goes through, unchanged or element by element (and is judged where it is used).
COUNTER_PASS = frozenset("""label_replace label_join sort sort_desc sort_by_label sort_by_label_desc
last_over_time abs ceil floor round clamp clamp_min clamp_max scalar sgn sqrt exp ln log2 log10""".split())
# These read a counter's raw values over time: drops at restarts become falls or negative slopes.
COUNTER_MISREAD = frozenset("""avg_over_time sum_over_time min_over_time max_over_time quantile_over_time
stddev_over_time stdvar_over_time mad_over_time delta idelta deriv predict_linear holt_winters
double_exponential_smoothing""".split())
RATES = frozenset(["rate", "irate", "increase"])
# Aggregations that return input series unchanged rather than aggregating them.
SELECTING = frozenset(["topk", "bottomk", "limitk", "limit_ratio"])
COUNTING = frozenset(["count", "count_values", "group"])


def dur(seconds: float) -> str:
    """A duration as PromQL writes it; sub-second ones in ms."""
    return fmt_duration(int(seconds)) if seconds == int(seconds) else f"{round(seconds * 1000)}ms"
