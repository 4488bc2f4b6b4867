"""PromQL evaluated over synthetic series, the way Prometheus evaluates a rule: what the generated
alert tests (targets/alerttests.py) use to choose input series and the times to check.

Only what a rule test needs: series sampled on one grid (a value or a gap per step), instant
selectors with the 5-minute lookback, range selectors with offsets, the functions rules use most
(rates with Prometheus' extrapolation, `*_over_time`, `absent`, `histogram_quantile`, ...),
aggregations and binary operators with vector matching. Range windows include a sample at their
left edge (Prometheus 2) or not (Prometheus 3), and so do lookbacks: the tests only check times both
agree on. Anything
else raises `Beyond`, naming it, and the alert is left to a written test.

promtool runs every generated test: a difference between this and Prometheus shows as a failed
test, never as a passing one."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from obsgen.core.promql_tree import Agg, Bin, Fn, Lit, Sel, Sub, children

LOOKBACK = 300.0
Labels = tuple  # sorted ((name, value), ...), __name__ included when the series has one


class Beyond(Exception):
    """The expression uses something the simulation does not model; the message says what."""


@dataclass
class Series:
    labels: dict[str, str]  # with __name__
    values: list[float | None]  # one per step from t=0; None: no sample then
    step: float | None = None  # seconds between samples; None: the simulation's


def _key(labels: dict[str, str]) -> Labels:
    return tuple(sorted(labels.items()))


def _drop_name(labels: Labels) -> Labels:
    return tuple(kv for kv in labels if kv[0] != "__name__")


_RE_CACHE: dict[str, re.Pattern] = {}


def _fullmatch(pattern: str, value: str) -> bool:
    compiled = _RE_CACHE.get(pattern)
    if compiled is None:
        try:
            compiled = _RE_CACHE[pattern] = re.compile(pattern, re.S)
        except re.error as e:
            raise Beyond(f"regex {pattern!r}") from e
    return compiled.fullmatch(value) is not None


def matches(labels: dict[str, str], name: str | None, matchers) -> bool:
    if name is not None and labels.get("__name__") != name:
        return False
    for label, op, value in matchers:
        have = labels.get(label, "")
        if op == "=" and have != value or op == "!=" and have == value:
            return False
        if op == "=~" and not _fullmatch(value, have) or op == "!~" and _fullmatch(value, have):
            return False
    return True


class Simulation:
    """Series on a grid of `step` seconds; `eval(node, t)` as Prometheus would at time t."""

    def __init__(self, series: list[Series], step: float, left_open: bool = False):
        self.series = series
        self.step = step
        self.left_open = left_open
        self._selected: dict[int, list[Series]] = {}
        # Comparisons whose sides are equal or within a billionth (3.0000000000000004 > 3): Prometheus'
        # last bit may decide them the other way, so a test does not check a time that rests on one.
        self.close_calls = 0
        self.exact_ties = False  # True: every value is a sample, a count or whole-number arithmetic,
        # so equal sides are equal to Prometheus too (`count(x) > 1` at one series)

    def _compare(self, op: str, a: float, c: float) -> bool:
        if op in _ORDER and (a == c != 0 and not self.exact_ties or a != c and abs(a - c) <= 1e-9 * max(abs(a), abs(c))):
            self.close_calls += 1
        return _apply(op, a, c)

    # ------------------------------------------------------------------ selection
    def _select(self, sel: Sel) -> list[Series]:
        got = self._selected.get(id(sel))
        if got is None:
            if sel.name is None:
                raise Beyond("a selector without a metric name")
            if sel.pinned:
                raise Beyond("an `@` modifier")
            got = self._selected[id(sel)] = [s for s in self.series if matches(s.labels, sel.name, sel.matchers)]
        return got

    def _points(self, s: Series, start: float, end: float, open_left: bool) -> list[tuple[float, float]]:
        step = s.step or self.step
        first = max(0, math.ceil(start / step - 1e-9))
        if open_left and first * step <= start + 1e-9:
            first += 1
        last = min(len(s.values) - 1, math.floor(end / step + 1e-9))
        if last < first:
            return []
        return [(k * step, v) for k, v in zip(range(first, last + 1), s.values[first:last + 1]) if v is not None]

    def instant(self, sel: Sel, t: float, offset: float = 0.0) -> dict:
        at = t - offset
        out = {}
        for s in self._select(sel):
            pts = self._points(s, at - LOOKBACK, at, self.left_open)  # its lookback: as its ranges
            if pts:
                out[_key(s.labels)] = pts[-1][1]
        return out

    def matrix(self, sel: Sel, t: float) -> dict:
        at = t - sel.offset
        out = {}
        for s in self._select(sel):
            pts = self._points(s, at - sel.range, at, self.left_open)
            if pts:
                out[_key(s.labels)] = pts
        return out

    # ------------------------------------------------------------------ evaluation
    def eval(self, n, t: float):
        """A float (scalar), or {labels: value} (instant vector)."""
        if isinstance(n, Lit):
            if isinstance(n.value, str):
                raise Beyond("a string where a number is expected")
            return float(n.value)
        if isinstance(n, Sel):
            if n.range is not None:
                raise Beyond("a range vector where an instant vector is expected")
            return self.instant(n, t, n.offset)
        if isinstance(n, Fn):
            return self._call(n, t)
        if isinstance(n, Agg):
            return self._aggregate(n, t)
        if isinstance(n, Bin):
            return self._binary(n, t)
        if isinstance(n, Sub):
            raise Beyond("a subquery")
        raise Beyond(f"{type(n).__name__}")

    # ------------------------------------------------------------------ functions
    def _call(self, f: Fn, t: float):
        name, args = f.name, f.args
        if name == "time":
            return float(t)
        if name == "vector":
            return {(): self._scalar(args[0], t)}
        if name == "scalar":
            v = self._vector(args[0], t)
            return next(iter(v.values())) if len(v) == 1 else math.nan
        if name in _RANGE:
            arg = args[1] if name == "quantile_over_time" else args[0]
            if not isinstance(arg, Sel) or arg.range is None:
                raise Beyond(f"{name}() over something other than a range selector")
            out = {}
            for labels, pts in self.matrix(arg, t).items():
                v = _RANGE[name](self, f, pts, arg, t)
                if v is not None:
                    out[labels if name == "last_over_time" else _drop_name(labels)] = v
            return out
        if name == "absent":
            v = self._vector(args[0], t)
            return {} if v else {(): 1.0} if not isinstance(args[0], Sel) else {_absent_labels(args[0]): 1.0}
        if name == "absent_over_time":
            arg = args[0]
            if not isinstance(arg, Sel) or arg.range is None:
                raise Beyond("absent_over_time() over something other than a range selector")
            return {} if self.matrix(arg, t) else {_absent_labels(arg): 1.0}
        if name == "round" and len(args) == 2:
            v = self._vector(args[0], t)
            inverse = 1 / self._scalar(args[1], t)
            return {_drop_name(k): math.floor(x * inverse + 0.5) / inverse if math.isfinite(x) else x
                    for k, x in v.items()}
        if name in _MATH:
            v = self._vector(args[0], t)
            return {_drop_name(k): _MATH[name](x) for k, x in v.items()}
        if name in ("clamp", "clamp_min", "clamp_max"):
            v = self._vector(args[0], t)
            lo = self._scalar(args[1], t) if name in ("clamp", "clamp_min") else -math.inf
            hi = self._scalar(args[-1], t) if name in ("clamp", "clamp_max") else math.inf
            return {_drop_name(k): min(max(x, lo), hi) for k, x in v.items()}
        if name in ("sort", "sort_desc"):
            return self._vector(args[0], t)
        if name == "timestamp":
            raise Beyond("timestamp()")
        if name == "histogram_quantile":
            return _histogram_quantile(self._scalar(args[0], t), self._vector(args[1], t))
        if name == "label_replace":
            return self._label_replace(args, t)
        raise Beyond(f"{name}()")

    def _label_replace(self, args, t: float):
        v = self._vector(args[0], t)
        dst, repl, src, regex = (a.value if isinstance(a, Lit) and isinstance(a.value, str) else None for a in args[1:])
        if None in (dst, repl, src, regex):
            raise Beyond("label_replace() with arguments that are not strings")
        try:
            pattern = re.compile(regex, re.S)
        except re.error as e:
            raise Beyond(f"regex {regex!r}") from e
        template = re.sub(r"\$\{?(\w+)\}?", lambda m: "\\g<" + m.group(1) + ">", repl)
        out = {}
        for k, x in v.items():
            labels = dict(k)
            m = pattern.fullmatch(labels.get(src, ""))
            if m:
                value = m.expand(template)
                if value:
                    labels[dst] = value
                else:
                    labels.pop(dst, None)
            out[_key(labels)] = x
        return out

    def _scalar(self, n, t: float) -> float:
        v = self.eval(n, t)
        if isinstance(v, dict):
            raise Beyond("a vector where a scalar is expected")
        return v

    def _vector(self, n, t: float) -> dict:
        v = self.eval(n, t)
        if not isinstance(v, dict):
            raise Beyond("a scalar where a vector is expected")
        return v

    # ------------------------------------------------------------------ aggregation
    def _aggregate(self, a: Agg, t: float):
        v = self._vector(a.expr, t)
        param = self.eval(a.param, t) if a.param is not None else None
        groups: dict[Labels, list[tuple[Labels, float]]] = {}
        for k, x in v.items():
            if a.by is not None:
                g = tuple(kv for kv in k if kv[0] in a.by)
            elif a.without is not None:
                g = tuple(kv for kv in k if kv[0] not in a.without and kv[0] != "__name__")
            else:
                g = ()
            groups.setdefault(g, []).append((k, x))
        op = a.op
        out = {}
        for g, members in groups.items():
            xs = [x for _, x in members]
            if op in ("topk", "bottomk"):
                k = int(param) if isinstance(param, float) else 0
                chosen = sorted(members, key=lambda m: m[1], reverse=op == "topk")[:max(k, 0)]
                out.update(dict(chosen))
                continue
            if op == "sum":
                out[g] = math.fsum(xs)
            elif op == "avg":
                out[g] = math.fsum(xs) / len(xs)
            elif op == "min":
                out[g] = min(xs)
            elif op == "max":
                out[g] = max(xs)
            elif op == "count":
                out[g] = float(len(xs))
            elif op == "group":
                out[g] = 1.0
            elif op in ("stddev", "stdvar"):
                mean = math.fsum(xs) / len(xs)
                var = math.fsum((x - mean) ** 2 for x in xs) / len(xs)
                out[g] = math.sqrt(var) if op == "stddev" else var
            elif op == "quantile":
                out[g] = _quantile(float(param), xs)
            else:
                raise Beyond(f"{op}()")
        return out

    # ------------------------------------------------------------------ binary operators
    def _binary(self, b: Bin, t: float):
        op = b.op
        if op == "atan2":
            raise Beyond("atan2")
        c0 = self.close_calls
        lhs = self.eval(b.lhs, t)
        c1 = self.close_calls
        rhs = self.eval(b.rhs, t)
        l_vec, r_vec = isinstance(lhs, dict), isinstance(rhs, dict)
        if op in ("and", "or", "unless"):
            if not (l_vec and r_vec):
                raise Beyond(f"`{op}` with a scalar")
            # A side's close calls do not matter where the other side alone decides the result:
            # an empty side of `and` (the surer one, when both are), an empty left of `unless`.
            left, right = c1 - c0, self.close_calls - c1
            if op == "and" and not lhs and not rhs:
                self.close_calls = c0 + min(left, right)
            elif op in ("and", "unless") and not lhs:
                self.close_calls = c0 + left
            elif op == "and" and not rhs:
                self.close_calls = c0 + right
            return _set_op(op, lhs, rhs, b)
        if not l_vec and not r_vec:
            v = self._compare(op, lhs, rhs) if op in _CMP else _apply(op, lhs, rhs)
            return (1.0 if v else 0.0) if op in _CMP else v
        if not r_vec or not l_vec:
            vec, scalar = (lhs, rhs) if l_vec else (rhs, lhs)
            out = {}
            for k, x in vec.items():
                a, c = (x, scalar) if l_vec else (scalar, x)
                if op in _CMP:
                    hit = self._compare(op, a, c)
                    if b.bool:
                        out[_drop_name(k)] = 1.0 if hit else 0.0
                    elif hit:
                        out[k] = x
                else:
                    out[_drop_name(k)] = _apply(op, a, c)
            return out
        return self._vector_binary(b, lhs, rhs)

    def _vector_binary(self, b: Bin, lhs: dict, rhs: dict) -> dict:
        op = b.op
        card = b.card
        if card == "OneToMany":  # group_right: the right side is the "many" side
            many, one, swapped = rhs, lhs, True
        else:
            many, one, swapped = lhs, rhs, False
        one_by_sig: dict[Labels, tuple[Labels, float]] = {}
        for k, x in one.items():
            s = _signature(k, b)
            if s in one_by_sig:
                raise Beyond("many-to-many matching")
            one_by_sig[s] = (k, x)
        out: dict[Labels, float] = {}
        seen: set[Labels] = set()
        for k, x in many.items():
            s = _signature(k, b)
            match = one_by_sig.get(s)
            if match is None:
                continue
            if card == "OneToOne":
                if s in seen:
                    raise Beyond("many-to-one matching without group_left")
                seen.add(s)
            ok, ox = match
            a, c = (ox, x) if swapped else (x, ox)
            labels = dict(k)
            drop_name = op not in _CMP or b.bool
            if drop_name:
                labels.pop("__name__", None)
            if card == "OneToOne":
                if b.on is not None:
                    labels = {n: v for n, v in labels.items() if n in b.on}
                elif b.ignoring is not None:
                    labels = {n: v for n, v in labels.items() if n not in b.ignoring}
            else:
                other = dict(ok)
                for n in b.group:
                    if n in other:
                        labels[n] = other[n]
                    else:
                        labels.pop(n, None)
            key = _key(labels)
            if op in _CMP:
                hit = self._compare(op, a, c)
                if b.bool:
                    value = 1.0 if hit else 0.0
                elif hit:
                    value = x
                else:
                    continue
            else:
                value = _apply(op, a, c)
            if key in out:
                raise Beyond("a result with two series of one label set")
            out[key] = value
        return out


_CMP = frozenset(["==", "!=", ">", "<", ">=", "<="])
_ORDER = frozenset([">", "<", ">=", "<="])


def _apply(op: str, a: float, c: float):
    if op == "+":
        return a + c
    if op == "-":
        return a - c
    if op == "*":
        return a * c
    if op == "/":
        if c == 0:
            return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * (1 if c >= 0 else -1)
        return a / c
    if op == "%":
        return math.fmod(a, c) if c else math.nan
    if op == "^":
        try:
            return a ** c
        except (OverflowError, ZeroDivisionError):
            return math.inf
    if op == "==":
        return a == c
    if op == "!=":
        return a != c
    if op == ">":
        return a > c
    if op == "<":
        return a < c
    if op == ">=":
        return a >= c
    if op == "<=":
        return a <= c
    raise Beyond(f"operator {op}")


def _signature(k: Labels, b: Bin) -> Labels:
    if b.on is not None:
        return tuple(kv for kv in k if kv[0] in b.on)
    ignored = set(b.ignoring or ()) | {"__name__"}
    return tuple(kv for kv in k if kv[0] not in ignored)


def _set_op(op: str, lhs: dict, rhs: dict, b: Bin) -> dict:
    r_sigs = {_signature(k, b) for k in rhs}
    if op == "and":
        return {k: x for k, x in lhs.items() if _signature(k, b) in r_sigs}
    if op == "unless":
        return {k: x for k, x in lhs.items() if _signature(k, b) not in r_sigs}
    l_sigs = {_signature(k, b) for k in lhs}
    out = dict(lhs)
    out.update({k: x for k, x in rhs.items() if _signature(k, b) not in l_sigs})
    return out


def _absent_labels(sel: Sel) -> Labels:
    eq: dict[str, str] = {}
    dup: set[str] = set()
    for label, op, value in sel.matchers:
        if op == "=":
            if label in eq:
                dup.add(label)
            eq[label] = value
    return _key({k: v for k, v in eq.items() if k not in dup})


def _quantile(q: float, xs: list[float]) -> float:
    if math.isnan(q) or not xs:
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    xs = sorted(xs)
    rank = q * (len(xs) - 1)
    lo = max(0, math.floor(rank))
    hi = min(len(xs) - 1, lo + 1)
    weight = rank - math.floor(rank)
    return xs[lo] * (1 - weight) + xs[hi] * weight


def _histogram_quantile(q: float, v: dict) -> dict:
    groups: dict[Labels, list[tuple[float, float]]] = {}
    for k, x in v.items():
        labels = dict(k)
        le = labels.pop("le", None)
        labels.pop("__name__", None)
        if le is None:
            continue
        try:
            bound = float(le)
        except ValueError:
            continue
        groups.setdefault(_key(labels), []).append((bound, x))
    out = {}
    for g, buckets in groups.items():
        out[g] = _bucket_quantile(q, sorted(buckets))
    return out


def _bucket_quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """Prometheus' bucketQuantile, for classic histograms."""
    if math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    if len(buckets) < 2 or buckets[-1][0] != math.inf:
        return math.nan
    # monotonic counts, as Prometheus forces them
    fixed, top = [], -math.inf
    for bound, count in buckets:
        top = max(top, count)
        fixed.append((bound, top))
    buckets = fixed
    observations = buckets[-1][1]
    if observations == 0:
        return math.nan
    rank = q * observations
    b = next(i for i, (_, c) in enumerate(buckets) if c >= rank)
    if b == len(buckets) - 1:
        return buckets[-2][0]
    if b == 0 and buckets[0][0] <= 0:
        return buckets[0][0]
    start, end, count = 0.0, buckets[b][0], buckets[b][1]
    if b > 0:
        start = buckets[b - 1][0]
        count -= buckets[b - 1][1]
        rank -= buckets[b - 1][1]
    return start + (end - start) * (rank / count) if count else start


# ----------------------------------------------------------------------------- range functions

def _extrapolated(sim: Simulation, pts, sel: Sel, t: float, counter: bool, rate: bool):
    if len(pts) < 2:
        return None
    start, end = t - sel.offset - sel.range, t - sel.offset
    first_t, first_v = pts[0]
    last_t, last_v = pts[-1]
    result = last_v - first_v
    if counter:
        prev = first_v
        for _, v in pts[1:]:
            if v < prev:
                result += prev
            prev = v
    to_start, to_end = first_t - start, end - last_t
    sampled = last_t - first_t
    average = sampled / (len(pts) - 1)
    if counter and result > 0 and first_v >= 0:
        to_zero = sampled * (first_v / result)
        to_start = min(to_start, to_zero)
    threshold = average * 1.1
    interval = sampled
    interval += to_start if to_start < threshold else average / 2
    interval += to_end if to_end < threshold else average / 2
    result *= interval / sampled
    return result / sel.range if rate else result


def _irate(pts, is_rate: bool):
    if len(pts) < 2:
        return None
    (t0, v0), (t1, v1) = pts[-2], pts[-1]
    d = v1 - v0
    if is_rate and v1 < v0:
        d = v1
    return d / (t1 - t0) if is_rate else d


def _deriv(pts):
    if len(pts) < 2:
        return None
    n = len(pts)
    mt = sum(p[0] for p in pts) / n
    mv = sum(p[1] for p in pts) / n
    cov = sum((p[0] - mt) * (p[1] - mv) for p in pts)
    var = sum((p[0] - mt) ** 2 for p in pts)
    return cov / var if var else None


def _stddev(pts, var: bool = False):
    xs = [p[1] for p in pts]
    mean = math.fsum(xs) / len(xs)
    v = math.fsum((x - mean) ** 2 for x in xs) / len(xs)
    return v if var else math.sqrt(v)


def _predict(sim, f, pts, sel, t):
    if len(pts) < 2:
        return None
    ahead = sim._scalar(f.args[1], t)
    n = len(pts)
    mt = sum(p[0] for p in pts) / n - t
    mv = sum(p[1] for p in pts) / n
    cov = sum((p[0] - t - mt) * (p[1] - mv) for p in pts)
    var = sum((p[0] - t - mt) ** 2 for p in pts)
    if not var:
        return None
    slope = cov / var
    intercept = mv - slope * mt
    return intercept + slope * ahead


def _changes(pts):
    return float(sum(1 for a, b in zip(pts, pts[1:]) if a[1] != b[1]))


def _resets(pts):
    return float(sum(1 for a, b in zip(pts, pts[1:]) if b[1] < a[1]))


_RANGE = {
    "rate": lambda s, f, p, sel, t: _extrapolated(s, p, sel, t, True, True),
    "increase": lambda s, f, p, sel, t: _extrapolated(s, p, sel, t, True, False),
    "delta": lambda s, f, p, sel, t: _extrapolated(s, p, sel, t, False, False),
    "irate": lambda s, f, p, sel, t: _irate(p, True),
    "idelta": lambda s, f, p, sel, t: _irate(p, False),
    "deriv": lambda s, f, p, sel, t: _deriv(p),
    "predict_linear": _predict,
    "avg_over_time": lambda s, f, p, sel, t: math.fsum(x for _, x in p) / len(p),
    "sum_over_time": lambda s, f, p, sel, t: math.fsum(x for _, x in p),
    "min_over_time": lambda s, f, p, sel, t: min(x for _, x in p),
    "max_over_time": lambda s, f, p, sel, t: max(x for _, x in p),
    "count_over_time": lambda s, f, p, sel, t: float(len(p)),
    "last_over_time": lambda s, f, p, sel, t: p[-1][1],
    "present_over_time": lambda s, f, p, sel, t: 1.0,
    "stddev_over_time": lambda s, f, p, sel, t: _stddev(p),
    "stdvar_over_time": lambda s, f, p, sel, t: _stddev(p, True),
    "quantile_over_time": lambda s, f, p, sel, t: _quantile(s._scalar(f.args[0], t), [x for _, x in p]),
    "changes": lambda s, f, p, sel, t: _changes(p),
    "resets": lambda s, f, p, sel, t: _resets(p),
}

_MATH = {
    "abs": abs, "ceil": math.ceil, "floor": math.floor,
    "round": lambda x: math.floor(x + 0.5) if math.isfinite(x) else x,
    "sqrt": lambda x: math.sqrt(x) if x >= 0 else math.nan,
    "exp": lambda x: math.exp(x) if x < 700 else math.inf,
    "ln": lambda x: math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan),
    "log2": lambda x: math.log2(x) if x > 0 else (-math.inf if x == 0 else math.nan),
    "log10": lambda x: math.log10(x) if x > 0 else (-math.inf if x == 0 else math.nan),
    "sgn": lambda x: float((x > 0) - (x < 0)),
}


_INEXACT_FNS = frozenset("""rate increase irate delta idelta deriv predict_linear avg_over_time sum_over_time
stddev_over_time stdvar_over_time quantile_over_time histogram_quantile sqrt exp ln log2 log10""".split())


def exact(node) -> bool:
    """Whether every value the expression computes is a sample, a count or whole-number arithmetic:
    no extrapolation, mean or division whose last bit Prometheus may round otherwise."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Fn) and n.name in _INEXACT_FNS or isinstance(n, Agg) and n.op in ("avg", "stddev", "stdvar",
                                                                                           "quantile"):
            return False
        if isinstance(n, Bin) and (n.op in ("/", "^", "%", "atan2") or any(
                isinstance(side, Lit) and isinstance(side.value, float) and side.value != int(side.value)
                for side in (n.lhs, n.rhs))):
            return False
        if isinstance(n, Sub):
            return False
        stack.extend(children(n))
    return True


__all__ = ["Beyond", "LOOKBACK", "Series", "Simulation", "exact", "matches"]
