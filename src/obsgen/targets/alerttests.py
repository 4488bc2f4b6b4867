"""Generated promtool tests for every alert whose shape allows it: input series made from the
expression and the catalog that put the condition just past its threshold and just short of it.

For each alert two cases, each a promtool test group:
- **fires**: the healthy (just short) level long enough to fill every window and the alert's `for`,
  then the firing (just past) level, then healthy again. It checks: quiet before the change,
  still quiet one evaluation before `for` has elapsed, firing after it with the alert's labels
  (and annotations, where obsgen can render their templates exactly), resolved after recovery;
- **quiet**: the healthy level throughout, checked quiet at the same times.

How the levels are found: every selector of the expression becomes a synthetic series (its
matchers' values; labels the expression groups or matches by shared; counters fed as counters,
gauges as gauges, a histogram as buckets around one latency), each with one level. The threshold
comparison (the first comparison with a number) is solved one series at a time: where the
condition turns, and a level either side (the value half as far again past the threshold, and
half of it short, where reachable), checked against the whole expression. An expression with no
number to reach (`rate[1h] > 3 * rate[1d]`, `absent(...)`, a spike over a mean) is driven by a
change: a series steps up tenfold, drops to zero or stops. When to check is taken from
simulating both Prometheus 2's and 3's window edges (targets/promsim.py) at every evaluation, and
checks sit only where both agree. What is beyond this says why (`obsgen explain` shows it)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from obsgen.core import promql_tree as pq
from obsgen.core.regex import sample_of
from obsgen.resolve.slo import fmt_duration, fmt_number
from obsgen.targets.promsim import LOOKBACK, Beyond, Series, Simulation, exact, matches

DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STEPS = (15, 30, 60, 120, 300)  # sample steps the inputs may use, seconds
MAX_EVALS = 800  # evaluations one test may span; longer stories use a coarser evaluation interval
TOO_LONG = "its windows need"
HIST_RATE = 1.0  # observations per second in a synthetic histogram


@dataclass
class Var:
    """One synthetic input: a series (or a histogram's buckets) with one level at a time."""

    name: str  # the series name selected (a histogram's *_bucket)
    labels: dict[str, str]  # without __name__ and le
    kind: str  # counter | gauge | ramp (a gauge moving by its level per second) | histogram
    buckets: tuple[float, ...] = ()
    twin: int = -1  # a second series of the variable at this index, absent until a story adds it

    @property
    def baseline(self) -> float | None:
        if self.twin >= 0:
            return None
        return self.candidates()[len(self.candidates()) // 3] if self.kind == "histogram" else 1.0

    def candidates(self) -> list[float]:
        """Levels to look for a turn between: rates or values, or a histogram's latencies."""
        if self.kind == "histogram":
            b = self.buckets
            return [b[0] / 2] + [(x + y) / 2 for x, y in zip(b, b[1:])] + [b[-1] * 2]
        grid = [0.0] + [10.0 ** k for k in range(-4, 11)]
        return grid if self.kind == "counter" else sorted([-g for g in grid[1:]] + grid)

    def series(self, timeline: list[float | None], step: float) -> list[Series]:
        """The series for levels per sample (None: no sample)."""
        if self.kind == "gauge":  # a (low, high) level flaps between them, sample by sample
            values = [v[k % 2] if isinstance(v, tuple) else v for k, v in enumerate(timeline)]
            return [Series({"__name__": self.name, **self.labels}, values)]
        if self.kind in ("counter", "ramp"):  # a ramp: a gauge moving by its level per second
            return [Series({"__name__": self.name, **self.labels}, _counter(timeline, step))]
        out = []
        for bound in (*self.buckets, math.inf):
            rates = [None if v is None else (HIST_RATE if v <= bound else 0.0) for v in timeline]
            le = "+Inf" if bound == math.inf else exact_number(bound)
            out.append(Series({"__name__": self.name, **self.labels, "le": le}, _counter(rates, step)))
        return out


def _counter(rates: list[float | None], step: float) -> list[float | None]:
    out: list[float | None] = []
    total = 0.0
    for r in rates:
        if r is None:
            out.append(None)
            continue
        out.append(round(total, 9))
        total += r * step
    return out


@dataclass
class Story:
    healthy: dict[int, float | None]  # var index -> level
    firing: dict[int, float | None]
    how: str  # what the firing level is, for the case's name
    base: dict[int, float | None] = field(default_factory=dict)  # levels that hold the other conditions
    verified: bool = True  # steady levels were seen to fire and to keep quiet (else only the change may)


@dataclass
class Plan:
    """What a generated test needs for one alert: its inputs, when to check what."""

    inputs: list[tuple[dict[str, str], str]]  # (series labels with __name__, values) of the fire case
    interval: float  # seconds between input samples
    checks: list[tuple[float, bool]]  # (time, firing?) for the fire case
    firing: list[tuple[dict[str, str], list]]  # the firing alerts' labels from the expression at the firing
    # check, and their values (as Prometheus 2 and 3 would compute them)
    how: str


@dataclass
class Context:
    """What the synthesis knows about the alert's rule file."""

    kinds: dict[str, str]  # series name -> counter | gauge | bucket (from the catalog)
    buckets: dict[str, tuple[float, ...]]  # histogram *_bucket name -> its bounds
    records: dict[str, list[tuple[object, dict[str, str]]]]  # recorded in the same rule file
    eval_interval: float
    labels: dict[str, str] = field(default_factory=dict)  # job/instance values for unconstrained series
    record_texts: dict[str, list[tuple[str, dict[str, str]]]] = field(default_factory=dict)  # records as written
    offset: float = 0.0  # the rule group's query_offset: each evaluation at t reads the series at t - offset


# ----------------------------------------------------------------------------- the variables

def _resolve_records(node, ctx: Context, seen: tuple = ()) -> list[pq.Sel]:
    """The selectors the expression reads, through the rule file's own recording rules."""
    out = []
    for sel in pq.selectors(node):
        if sel.name in ctx.records and sel.name not in seen:
            for expr, _ in ctx.records[sel.name]:
                out += _resolve_records(expr, ctx, (*seen, sel.name))
        else:
            out.append(sel)
    return out


def recorded_names(node, ctx: Context, seen: frozenset = frozenset()) -> set[str]:
    """The rule file's recorded series the expression reads, transitively."""
    out: set[str] = set()
    for sel in pq.selectors(node):
        if sel.name in ctx.records and sel.name not in seen:
            out.add(sel.name)
            for expr, _ in ctx.records[sel.name]:
                out |= recorded_names(expr, ctx, seen | {sel.name})
    return out


def _records_read(node, ctx: Context) -> list:
    """The expressions of the rule file's recording rules the expression reads, transitively."""
    return [expr for name in sorted(recorded_names(node, ctx)) for expr, _ in ctx.records[name]]


def _grouping_labels(node) -> set[str]:
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, pq.Agg):
            out |= set(n.by or ()) | set(n.without or ())
        if isinstance(n, pq.Bin):
            out |= set(n.on or ()) | set(n.ignoring or ()) | set(n.group)
        stack.extend(pq.children(n))
    return out


def _label_value(op: str, value: str) -> str | None:
    """A value the matcher accepts ("" for no label), or None."""
    if op == "=":
        return value
    if op == "=~":
        return sample_of(value)
    for candidate in ("", "x", "other", value + "x"):
        ok = candidate != value if op == "!=" else not matches({"l": candidate}, None, [("l", "=~", value)])
        if ok:
            return candidate
    return None


_COUNTER_FNS = frozenset(["rate", "increase", "irate", "resets"])
_RAMP_FNS = frozenset(["delta", "idelta", "deriv", "predict_linear"])


def _read_by(node, ctx: Context) -> dict[int, str]:
    """{id(selector): the function reading it}, through the rule file's recording rules."""
    out: dict[int, str] = {}
    stack = [(node, "")]
    seen: set[str] = set()
    while stack:
        n, fn = stack.pop()
        if isinstance(n, pq.Sel):
            out.setdefault(id(n), fn)
            if n.name in ctx.records and n.name not in seen:
                seen.add(n.name)
                stack.extend((expr, "") for expr, _ in ctx.records[n.name])
            continue
        inner = n.name if isinstance(n, pq.Fn) else fn if isinstance(n, pq.Sub) else ""
        stack.extend((c, inner) for c in pq.children(n))
    return out


def variables(node, ctx: Context, levels: bool = False) -> list[Var]:
    """One Var per series the expression reads. `levels`: a counter the expression reads as it is
    (`errors_total > 0 and completed_total == 0`, `uptime_seconds_total / 60 < 1`), not by rate()
    or increase(), is fed as a level that may also fall, as a gauge; a second try, for the
    expressions no rising counter makes fire or keeps quiet."""
    sels = _resolve_records(node, ctx)
    if any(s.name is None for s in sels):
        raise Beyond("a selector without a metric name")
    if any(s.name.startswith("ALERTS") for s in sels):
        raise Beyond("a query of ALERTS")
    read_by = _read_by(node, ctx)
    shared: dict[str, str] = {}
    equal: dict[str, set[str]] = {}
    for s in sels:
        for label, op, value in s.matchers:
            if op == "=":
                equal.setdefault(label, set()).add(value)
    for label in sorted(_grouping_labels(node) | {"job", "instance"}):
        values = equal.get(label, set())
        if len(values) == 1:
            shared[label] = next(iter(values))
        elif label in ctx.labels:
            shared[label] = ctx.labels[label]
        elif label != "le":
            shared[label] = f"{label}-1"
    thresholds = [number for _, _, number, _ in _comparisons(node) if number > 0]  # latencies are positive
    out: list[Var] = []
    seen: set = set()
    for s in sels:
        labels = {k: v for k, v in shared.items()}
        own = {m[0] for m in s.matchers}
        # A label another selector of the metric excludes (`type!="available"`) and this one does
        # not constrain takes the excluded value: the two selectors then read different series.
        for other in sels:
            if other is not s and other.name == s.name:
                for label, op, value in other.matchers:
                    if label not in own and op in ("!=", "!~"):
                        excluded = value if op == "!=" else sample_of(value)
                        if excluded:
                            labels[label] = excluded
        for label, op, value in s.matchers:
            if label == "le" and op == "=":
                labels["le"] = value
                continue
            have = labels.get(label, "")
            if op == "=" or not matches({label: have}, None, [(label, op, value)]):
                chosen = _label_value(op, value)
                if chosen is None:
                    raise Beyond(f"no label value matches {label}{op}{value!r}")
                labels[label] = chosen
        labels = {k: v for k, v in labels.items() if v != ""}
        if not all(matches({"__name__": s.name, **labels}, s.name, [m])
                   for m in s.matchers if m[0] != "le" or m[1] != "="):
            raise Beyond(f"no series satisfies every matcher of {s.name}")
        kind = ctx.kinds.get(s.name)
        fn = read_by.get(id(s), "")
        if s.name.endswith("_bucket") and "le" not in labels and kind in (None, "bucket"):
            buckets = ctx.buckets.get(s.name)
            if buckets is None:  # not in a catalog: bounds around the thresholds, and the usual ones
                buckets = sorted({*DEFAULT_BUCKETS, *(x * f for x in thresholds for f in (0.5, 1, 2))})
            buckets = [b for b in buckets if b > 0]  # a latency is above zero: le="0" stays empty
            if not buckets:
                raise Beyond("histogram buckets at or below zero")
            var = Var(s.name, labels, "histogram", tuple(buckets))
        else:
            if kind is None:
                kind = ("counter" if s.name.endswith(("_total", "_count", "_sum", "_bucket")) or fn in _COUNTER_FNS
                        else "gauge")
            kind = "counter" if kind in ("counter", "bucket") else "gauge"  # a summary's quantiles are gauges
            if kind == "counter" and levels and fn not in _COUNTER_FNS:
                kind = "gauge"
            if kind == "gauge" and fn in _RAMP_FNS:
                kind = "ramp"  # a gauge whose change is read: its level is how fast it moves
            var = Var(s.name, labels, kind)
        key = (var.name, tuple(sorted(var.labels.items())))
        if key not in seen:
            seen.add(key)
            out.append(var)
    if not out:
        raise Beyond("no series to feed")
    out += _twins(node, out)
    if len(out) > 8:
        raise Beyond(f"{len(out)} input series")
    return out


def _twins(node, variables: list[Var]) -> list[Var]:
    """A second series for each variable a count() counts (`count(redis_instance_info{role="master"})
    > 1`, `count(count by (version) (build_info)) > 1`): it differs in `instance` and in the labels
    inner aggregations group by and the count does not, and is absent until a story adds it."""
    out: list[Var] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if not (isinstance(n, pq.Agg) and n.op == "count"):
            stack.extend(pq.children(n))
            continue
        inner: set[str] = set()
        sels: list[pq.Sel] = []
        below = [n.expr]
        while below:
            m = below.pop()
            if isinstance(m, pq.Agg) and m.by:
                inner |= set(m.by)
            if isinstance(m, pq.Sel):
                sels.append(m)
            below.extend(pq.children(m))
        vary = set(n.without) if n.without else (inner | {"instance"}) - set(n.by or ())
        for sel in sels:
            pinned = {label for label, op, _ in sel.matchers if op == "="}
            labels = sorted(vary - pinned)
            if not labels:
                continue
            for i, var in enumerate(variables):
                if var.twin >= 0 or var.name != sel.name or not matches({"__name__": var.name, **var.labels},
                                                                        sel.name, sel.matchers):
                    continue
                twin = {**var.labels, **{k: var.labels.get(k, "") + "-2" for k in labels}}
                if matches({"__name__": var.name, **twin}, sel.name, sel.matchers) and not any(
                        t.name == var.name and t.labels == twin for t in out):
                    out.append(Var(var.name, twin, var.kind, var.buckets, twin=i))
    return out


# ----------------------------------------------------------------------------- simulation

def _ranges(node) -> tuple[float, float]:
    """(longest range plus offset, shortest range) the expression reads."""
    longest, shortest = 0.0, math.inf
    for s in pq.selectors(node):
        longest = max(longest, (s.range or 0) + max(s.offset, 0))
        if s.range:
            shortest = min(shortest, s.range)
        if s.offset < 0:
            raise Beyond("a negative offset")
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, pq.Sub):
            raise Beyond("a subquery")
        stack.extend(pq.children(n))
    return longest, shortest


class Alerting:
    """One alert rule simulated: its condition at every evaluation, and what Prometheus would do."""

    def __init__(self, node, records, for_s: float, keep_s: float, eval_s: float, offset: float = 0.0):
        self.node, self.records = node, records
        self.for_s, self.keep_s, self.eval_s, self.offset = for_s, keep_s, eval_s, offset
        self.exact = exact(node) and all(exact(expr) for rules in records.values() for expr, _ in rules)

    def fires_at(self, series: list[Series], step: float, ks: list[int], evals: int) -> bool:
        """Whether the alert fires at any of the evaluations ks (under either window edge)."""
        for left_open in (False, True):
            sim = RecordingSimulation(series, step, left_open, self.records, self.eval_s, self.offset, self.exact)
            if not any(sim.at(self.node, k) for k in ks) and not self.keep_s:
                continue  # its condition is false at each: it cannot be firing then
            line = self.run(series, step, evals, left_open)
            if any(line[k] for k in ks):
                return True
        return False

    def run(self, series: list[Series], step: float, evals: int, left_open: bool,
            stop_from: int | None = None) -> list[dict]:
        """The firing alerts ({labels: value}) at each evaluation 0..evals-1; with stop_from, only
        until one evaluation after the first firing after it."""
        sim = RecordingSimulation(series, step, left_open, self.records, self.eval_s, self.offset, self.exact)
        active: dict = {}  # labels -> (active since, last seen, firing)
        out: list[dict] = []
        self.close = set()  # the evaluations a comparison decided by a hair
        first = None
        for k in range(evals):
            if first is not None and k > first + math.ceil(self.for_s / self.eval_s) + 4:
                break
            t = k * self.eval_s
            before = sim.close_calls
            result = sim.at(self.node, k)
            if sim.close_calls > before:
                self.close.add(k)
            if not isinstance(result, dict):
                raise Beyond("an expression that returns a scalar")
            now = {}
            for labels, value in result.items():
                labels = tuple(kv for kv in labels if kv[0] != "__name__")
                since, _, firing = active.get(labels, (t, t, False))
                firing = firing or t - since >= self.for_s
                active[labels] = (since, t, firing)
                now[labels] = value
            for labels in list(active):
                if labels not in now:
                    since, seen, firing = active[labels]
                    # Prometheus keeps it firing for keep_firing_for from the first evaluation without it
                    if firing and self.keep_s and t - (seen + self.eval_s) < self.keep_s:
                        continue
                    del active[labels]
            out.append({labels: now.get(labels) for labels, (_, _, firing) in active.items() if firing})
            if stop_from is not None and first is None and k > stop_from and out[-1]:
                first = k
        return out


class RecordingSimulation(Simulation):
    """A simulation in which the rule file's recording rules record, in order, at each evaluation
    (`advance`), and are read back like any series."""

    def __init__(self, series, step, left_open, records, eval_s, offset: float = 0.0, exact_ties: bool = False):
        super().__init__(series, step, left_open)
        self.records, self.eval_s, self.offset = records, eval_s, offset
        self.exact_ties = exact_ties
        self._recorded: dict[str, dict[tuple, Series]] = {name: {} for name in records}
        self._done = -1

    def advance(self, k: int) -> None:
        """Record every recording rule at evaluations up to k."""
        while self._done < k:
            self._done += 1
            j = self._done
            for name, rules in self.records.items():
                for expr, labels in rules:
                    v = self.eval(expr, j * self.eval_s - self.offset)
                    if not isinstance(v, dict):
                        v = {(): v}
                    for lab, x in v.items():
                        d = {kk: vv for kk, vv in lab if kk != "__name__"}
                        d.update(labels)
                        d["__name__"] = name
                        key = tuple(sorted(d.items()))
                        series = self._recorded[name].get(key)
                        if series is None:
                            series = self._recorded[name][key] = Series(d, [], self.eval_s)
                        series.values.extend([None] * (j - len(series.values)))
                        series.values.append(x)

    def _select(self, sel):
        if sel.name not in self.records:
            return super()._select(sel)
        return [s for s in self._recorded[sel.name].values() if matches(s.labels, sel.name, sel.matchers)]

    def at(self, node, k: int):
        """The expression at evaluation k, after the recording rules have recorded."""
        self.advance(k)
        return self.eval(node, k * self.eval_s - self.offset)


# ----------------------------------------------------------------------------- the threshold

def _comparisons(node) -> list[tuple[pq.Bin, object, float, str]]:
    """(comparison, its vector side, the number, the operator as `vector OP number`), pre-order."""
    out = []
    stack = [node]
    flip = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "==", "!=": "!="}
    while stack:
        n = stack.pop()
        if isinstance(n, pq.Bin) and n.op in pq.COMPARISONS and not n.bool:
            for vec, num, op in ((n.lhs, n.rhs, n.op), (n.rhs, n.lhs, flip[n.op])):
                if not pq.selectors(num) and pq.selectors(vec) and _constant(num) is not None:
                    out.append((n, vec, _constant(num), op))
        stack.extend(reversed(pq.children(n)))
    return out


def _roles(node, target) -> dict[int, bool]:
    """{id(comparison): whether it must hold} for the comparisons around `target` when `target`
    alone is to decide: those `and`-ed with it hold, those `or`-ed with it or after `unless` do not."""
    out: dict[int, bool] = {}

    def mark(n, want: bool) -> None:
        stack = [n]
        while stack:
            m = stack.pop()
            if isinstance(m, pq.Bin) and m.op in pq.COMPARISONS:
                out.setdefault(id(m), want)
            stack.extend(pq.children(m))

    def walk(n) -> bool:  # True when target is below n
        if n is target:
            return True
        if isinstance(n, pq.Bin) and n.op in ("and", "or", "unless"):
            for side, other in ((n.lhs, n.rhs), (n.rhs, n.lhs)):
                if walk(side):
                    mark(other, n.op == "and" or (n.op == "unless" and side is n.rhs))
                    return True
            return False
        return any(walk(c) for c in pq.children(n))

    walk(node)
    return out


def _constant(n) -> float | None:
    try:
        v = Simulation([], 60).eval(n, 0.0)
    except Beyond:
        return None
    return v if isinstance(v, float) and not _uses_time(n) else None


def _uses_time(n) -> bool:
    if isinstance(n, pq.Fn) and n.name == "time":
        return True
    return any(_uses_time(c) for c in pq.children(n))


def _round(x: float) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.3g}")


class Synthesis:
    """The search for one alert rule's test: `plan()` gives the Plan, or why there is none."""

    def __init__(self, expr: str, for_s: float, keep_s: float, ctx: Context, eval_s: float,
                 levels: bool = False):
        self.ctx, self.eval_s = ctx, eval_s
        node = pq.parse(expr)
        if node is None:
            raise Beyond("an expression obsgen cannot read")
        self.node = node
        self.vars = variables(node, ctx, levels)
        longest, shortest = _ranges(node)
        for read in _records_read(node, ctx):
            lo, sh = _ranges(read)
            longest, shortest = max(longest, lo + eval_s), min(shortest, sh)
        self.for_s, self.keep_s = for_s, keep_s
        self.longest = longest
        # inputs every step: at least five samples in the shortest window, at most one per lookback
        self.step = max([s for s in STEPS if s <= min(shortest / 5, LOOKBACK, max(eval_s, 60, longest / 5))]
                        or [STEPS[0]])
        self.warm = longest + 2 * self.step  # every window full of the current level
        self.rule = Alerting(node, ctx.records, for_s, keep_s, eval_s, ctx.offset)
        self.base: dict[int, float | None] = {}  # levels other than the baselines, while a story is sought

    # steady state ---------------------------------------------------------------------------
    def _series(self, levels: dict[int, float | None], samples: int, change: dict[int, float | None] | None = None,
                at: int = 0, back: int | None = None) -> list[Series]:
        out = []
        for i, var in enumerate(self.vars):
            h = levels.get(i, self.base.get(i, var.baseline))
            timeline = [h] * samples
            if change is not None and i in change:
                end = samples if back is None else back
                for k in range(at, min(end, samples)):
                    timeline[k] = change[i]
            out += var.series(timeline, self.step)
        return out

    def steady(self, levels: dict[int, float | None], *nodes) -> list:
        samples = int(self.warm // self.step) + 2
        k = int((samples - 1) * self.step // self.eval_s)
        # levels are steady: recording rules may record less often than the rules evaluate
        every = max(self.eval_s, min(LOOKBACK / 2, self.step * 4))
        k = int((samples - 1) * self.step // every)
        sim = RecordingSimulation(self._series(levels, samples), self.step, False, self.ctx.records, every)
        return [sim.at(node, k) for node in nodes]

    def _fires(self, levels) -> bool:
        v = self.steady({**self.base, **levels}, self.node)[0]
        return bool(v) if isinstance(v, dict) else False

    # the threshold ---------------------------------------------------------------------------
    def by_threshold(self) -> list[Story]:
        comparisons = _comparisons(self.node)
        for n, (comparison, vec, number, op) in enumerate(comparisons):
            read = _resolve_records(vec, self.ctx)
            involved = [i for i, var in enumerate(self.vars)
                        if var.twin < 0 and any(s.name == var.name and matches({"__name__": var.name, **var.labels}, s.name,
                                                              [m for m in s.matchers if m[0] != "le"]) for s in read)]
            unsure: list[Story] = []
            for base in ({}, self._holding_the_others(comparisons, n, involved)):
                self.base = base
                for i in involved:
                    story = self._solve(i, comparison, vec, number, op)
                    if story is not None:
                        story.base = dict(base)
                        if story.verified:
                            self.base = {}
                            return [story]
                        unsure.append(story)
            if unsure:
                self.base = {}
                return unsure
        self.base = {}
        return []

    def _holding_the_others(self, comparisons, n: int, involved: list[int]) -> dict[int, float | None]:
        """Levels for series the other comparisons read (not the one being solved) at which each of
        them holds, or fails where it is `or`-ed with the one solved, the nearest its baseline first:
        `x > 0.05 and total > 10` needs total past 10, `a > 1 or b > 1` needs b short of 1."""
        base: dict[int, float | None] = {}
        roles = _roles(self.node, comparisons[n][0])
        for m, (comparison, vec, number, op) in enumerate(comparisons):
            if m == n:
                continue
            want = roles.get(id(comparison), True)
            read = _resolve_records(vec, self.ctx)
            for i, var in enumerate(self.vars):
                if i in involved or i in base or var.twin >= 0 or not any(s.name == var.name for s in read):
                    continue
                grid = sorted(set(var.candidates()) | ({number} if var.kind == "gauge" else set()),
                              key=lambda lv: abs(math.log10(abs(lv) + 1e-9) - math.log10(abs(var.baseline) + 1e-9)))
                for level in grid:
                    self.base = {**base, i: level}
                    if self._holds(i, level, comparison, vec)[0] == want:
                        base[i] = level
                        break
                self.base = {}
                if i in base:
                    break
        return base

    def _holds(self, i: int, level: float, comparison, vec) -> tuple[bool, float | None]:
        got, side = self.steady({**self.base, i: level}, comparison, vec)
        holds = bool(got) if isinstance(got, dict) else bool(got)
        value = next(iter(side.values())) if isinstance(side, dict) and side else None
        return holds, value

    def _solve(self, i: int, comparison, vec, number: float, op: str) -> Story | None:
        var = self.vars[i]
        grid = sorted(set(var.candidates()) | ({number} if var.kind == "gauge" else set()))
        states = [(level, *self._holds(i, level, comparison, vec)) for level in grid]
        turns = [(a, b) for a, b in zip(states, states[1:]) if a[1] != b[1]]
        if not turns:
            return None
        base = var.baseline
        near = lambda level: abs(math.log10(abs(level) + 1e-9) - math.log10(abs(base) + 1e-9))  # noqa: E731
        if op in ("==", "!="):  # no threshold to be near: a level it holds at, one it does not
            holding = sorted((lv for lv, h, _ in states if h), key=near)[:2]
            failing = sorted((lv for lv, h, _ in states if not h), key=near)[:2]
            for fire in holding:
                for quiet in failing:
                    if self._fires({i: fire}) and not self._fires({i: quiet}):
                        return Story({i: quiet}, {i: fire}, self._describe(var, fire))
                    if self._fires({i: quiet}) and not self._fires({i: fire}):
                        return Story({i: fire}, {i: quiet}, self._describe(var, quiet))
            return None
        # the turn nearest the baseline
        turns.sort(key=lambda ab: abs(math.log10(abs(ab[0][0]) + 1e-9) - math.log10(abs(base) + 1e-9)))
        for (l1, h1, _), (l2, h2, _) in turns:
            if var.kind == "histogram":
                fire, quiet = (l1, l2) if h1 else (l2, l1)
                pairs = [(fire, quiet)]
            else:
                lo, hi = l1, l2  # bisect to the turn
                while abs(hi - lo) > 1e-4 * max(abs(lo), abs(hi), 1e-6):
                    mid = (lo + hi) / 2
                    if self._holds(i, mid, comparison, vec)[0] == h1:
                        lo = mid
                    else:
                        hi = mid
                turn = (lo + hi) / 2
                if abs(turn) < 1e-6:
                    turn = 0.0
                pairs = self._levels_around(i, turn, l1 if h1 else l2, comparison, vec, number, op)
            unsure = None
            for fire, quiet in pairs:
                fires, quiets = self._fires({i: fire}), self._fires({i: quiet})
                if fires and not quiets:
                    return Story({i: quiet}, {i: fire}, self._describe(var, fire))
                if quiets and not fires:  # the alert fires when the comparison does not hold (absent, unless)
                    return Story({i: fire}, {i: quiet}, self._describe(var, quiet))
                if not fires and not quiets and unsure is None:
                    # Steady levels never fire it (a spike over its own mean): the change from one
                    # level to the other may, which the story's simulation shows or refutes.
                    unsure = Story({i: quiet}, {i: fire}, "after " + self._describe(var, fire),
                                   verified=False)
            if unsure is not None:
                return unsure
        return None

    def _levels_around(self, i, turn, holding_end, comparison, vec, number, op):
        """(level where the comparison holds, level where it does not), nearest first: the value
        about 1.5x past the threshold and 0.5x short of it where that is reachable."""
        out = []
        direction = 1 if holding_end > turn else -1
        scale = max(abs(turn), 1e-6)
        for delta in (0.5, 0.25, 1.0, 0.1, 3.0, 10.0, 0.02):
            fire = _round(turn + direction * delta * scale) if turn else _round(direction * delta)
            quiet = _round(turn - direction * delta * scale) if turn else 0.0
            if not turn:
                quiet = 0.0 if direction > 0 else 0.0
            if self.vars[i].kind == "counter" and (fire < 0 or quiet < 0):
                if quiet < 0:
                    quiet = 0.0
                if fire < 0:
                    fire = 0.0
            h_fire, v_fire = self._holds(i, fire, comparison, vec)
            h_quiet, v_quiet = self._holds(i, quiet, comparison, vec)
            if h_fire and not h_quiet:
                out.append((fire, quiet, _in_band(v_fire, number) and _in_band(v_quiet, number)))
        out.sort(key=lambda p: not p[2])
        return [(f, q) for f, q, _ in out]

    def _describe(self, var: Var, level: float | None) -> str:
        what = {"counter": "rising", "ramp": "moving", "gauge": "at", "histogram": "observing"}[var.kind]
        if isinstance(level, tuple):
            return f"{var.name} flapping between {fmt_number(level[0])} and {fmt_number(level[1])}"
        value = "absent" if level is None else fmt_number(level) + ("/s" if var.kind in ("counter", "ramp") else "")
        if var.kind == "histogram" and level is not None:
            value = f"{fmt_number(level)} each, {fmt_number(HIST_RATE)}/s"
        return f"{var.name} {what} {value}"

    # a change --------------------------------------------------------------------------------
    def by_change(self) -> list[Story]:
        out = []
        for i, var in enumerate(self.vars):
            base = var.baseline
            if var.twin >= 0:  # a second series of the variable appears, at its level
                level = self.vars[var.twin].baseline
                out.append(Story({}, {i: level}, f"after a second {var.name} series appears"))
                continue
            if var.kind == "histogram":
                options = [var.candidates()[-1], var.candidates()[0], None]
            else:
                if var.kind == "counter":  # a burst, a stop, the series gone
                    options = [base * 10, base * 100, 0.0, None, base * 0.1]
                elif var.kind == "ramp":  # moving ten times faster, still, the other way, gone
                    options = [base * 10, 0.0, -base * 10, None]
                else:  # down to zero (up, *_up, probe_success), up tenfold, gone, flapping
                    options = [0.0, base * 10, None, base * 100, base * 0.1, -base, (base, base * 2)]
            for f in options:
                out.append(Story({}, {i: f}, "after " + self._describe(var, f).replace(" at ", " to ", 1)))
            if var.kind == "gauge":  # a flag that is 1 when something is wrong: from 0 to 1
                out.append(Story({i: 0.0}, {i: base}, f"after {var.name} from 0 to {fmt_number(base)}"))
        return out

    # the story -------------------------------------------------------------------------------
    def plan(self) -> Plan | str:
        """The test plan, or why there is none."""
        reasons = []
        candidates = []
        try:
            candidates += self.by_threshold()
        except Beyond:
            raise
        candidates += self.by_change()
        for story in candidates:
            plan = self._tell(story)
            if isinstance(plan, Plan):
                return plan
            reasons.append(plan)
        if _uses_time(self.node) and not getattr(self, "_longer", False):
            # `time() - last_success > 1800`: Prometheus' clock starts at 0 in a test, so a timestamp
            # can lie that far in the past only after the clock has run that long.
            numbers = [abs(number) for _, _, number, _ in _comparisons(self.node)]
            if numbers and max(numbers) * 1.5 > self.warm:
                self.warm, self._longer = min(max(numbers) * 1.5, 2 * 86400.0), True
                again = self.plan()
                if isinstance(again, Plan):
                    return again
        return reasons[0] if reasons else "no input found that makes it fire"

    def _tell(self, story: Story) -> Plan | str:
        E, S = self.eval_s, self.step
        settle = self.warm + self.ctx.offset + self.for_s + 2 * E
        W = math.ceil(settle / E) * E  # healthy until here
        fire_span = self.warm + self.ctx.offset + self.for_s + self.keep_s + 4 * E
        end = W + fire_span + self.warm + self.keep_s + 6 * E
        evals = int(end // E) + 1
        if evals > MAX_EVALS:
            return f"{TOO_LONG} {fmt_duration(int(end))} of series"
        samples = int(end // S) + 2
        at = int(W // S) + 1  # first sample of the change: just after W
        healthy = {**{i: v.baseline for i, v in enumerate(self.vars)}, **story.base, **story.healthy}
        firing = {**healthy, **story.firing}
        change = {i: firing[i] for i in range(len(self.vars)) if firing[i] != healthy[i]}
        w_k = int(W // E)
        close: set[int] = set()

        def sure(k: int, span: float) -> bool:
            """No comparison decided by a hair in the evaluations that decide the state at k."""
            return not any(j in close for j in range(k - math.ceil(span / E) - 1, k + 1))

        lines = []
        for left_open in (False, True):
            lines.append(self.rule.run(self._series(healthy, samples, change, at), S, evals, left_open, w_k))
            close |= self.rule.close
        if any(line[w_k] for line in lines if len(line) > w_k):
            return "no input found that keeps it quiet before"
        if not sure(w_k, self.for_s + self.keep_s):
            return "its healthy level is too close to the threshold to check exactly"
        first = [next((k for k in range(w_k + 1, len(line)) if line[k]), None) for line in lines]
        if None in first:
            return "no input found that makes it fire"
        f0, f1 = min(first), max(first)
        # the firing check: the first evaluation both edges fire at, with no close call deciding it
        fire_k = next((k for k in range(f1, min(len(line) for line in lines))
                       if all(line[k] for line in lines) and sure(k, self.for_s)), None)
        if fire_k is None:
            return "its firing is too close to the threshold to check exactly"
        # recover right after the check, and find when it resolves
        back = int((fire_k * E) // S) + 1
        series = self._series(healthy, samples, change, at, back)
        lines, close = [], set()
        for left_open in (False, True):
            lines.append(self.rule.run(series, S, evals, left_open))
            close |= self.rule.close
        if not all(line[fire_k] for line in lines) or not sure(fire_k, self.for_s):
            return "its firing is too close to the threshold to check exactly"
        if set(lines[0][fire_k]) != set(lines[1][fire_k]):
            return "Prometheus 2 and 3 would fire different alerts"
        checks: list[tuple[float, bool]] = [(w_k * E, False)]
        if (f0 - 1) * E > W and not any(line[f0 - 1] for line in lines) and sure(f0 - 1, self.for_s):
            checks.append(((f0 - 1) * E, False))
        checks.append((fire_k * E, True))
        # resolved: once every window holds the healthy level again (not while it passes the threshold)
        settled = math.ceil((back * S + self.warm + self.ctx.offset + self.keep_s + 2 * E) / E)
        total_evals = fire_k + 1
        if settled < evals and not any(line[settled] for line in lines) and sure(settled, self.keep_s + self.for_s):
            checks.append((settled * E, False))
            total_evals = settled + 1
        samples_needed = int((total_evals - 1) * E // S) + 2
        series = self._series(healthy, samples_needed, change, at, back)
        # The first check is the quiet case: the healthy level until every window is full of it
        # and the alert's `for` has passed. Simulated by itself, as if the change never came.
        if self.rule.fires_at(self._series(healthy, int(w_k * E // S) + 2), S, [w_k], w_k + 1):
            return "its healthy level fires too"
        firing_now = [(dict(labels), [line[fire_k][labels] for line in lines]) for labels in sorted(lines[0][fire_k])]
        return Plan(inputs=_inputs(series), interval=S, checks=checks, firing=firing_now, how=story.how)


def _in_band(value: float | None, number: float) -> bool:
    """The value within tenfold of the threshold, on its side: a tenfold change then turns it."""
    if value is None or number == 0 or not math.isfinite(value):
        return False
    ratio = value / number
    return 0.1 < ratio < 10


def _inputs(series: list[Series]) -> list[tuple[dict[str, str], str]]:
    """The input series as promtool reads them; one that never has a sample is left out."""
    return [(dict(s.labels), notation(s.values)) for s in series if any(v is not None for v in s.values)]


def notation(values: list[float | None]) -> str:
    """promtool's expanding notation: `a+bxn` runs, `_xn` gaps."""
    parts = []
    i, n = 0, len(values)
    while i < n:
        v = values[i]
        if v is None:
            j = i
            while j < n and values[j] is None:
                j += 1
            parts.append("_" if j - i == 1 else f"_x{j - i}")
            i = j
            continue
        j = i + 1
        if j < n and values[j] is not None:
            d = values[j] - v
            while j + 1 < n and values[j + 1] is not None and abs((values[j + 1] - values[j]) - d) <= 1e-9 * max(1, abs(d)):
                j += 1
            count = j - i
            step = exact_number(round(d, 9))
            sign = "" if step.startswith("-") else "+"
            parts.append(f"{exact_number(v)}{sign}{step}x{count}")
            i = j + 1
        else:
            parts.append(exact_number(v))
            i = j
    return " ".join(parts)


def exact_number(x: float) -> str:
    """The number as promtool will read back exactly the same float: short where that is exact
    (`0.25`, `1800`), else every digit Python's repr needs (`-212423.2105871588`, `3.8e-161`). An
    alert on `x != -212423.2105871588` is quiet only at exactly that value."""
    text = fmt_number(x)
    return text if math.isinf(x) or math.isnan(x) or float(text) == x else repr(x)


__all__ = ["TOO_LONG", "Beyond", "recorded_names", "Context", "Plan", "Synthesis", "notation", "variables"]
