"""Phase 3b, lint: PromQL-aware checks across the catalog, rules, dashboards and routing.

Every PromQL expression of the spec (alert and recording rule exprs, dashboard queries, and the
SLI selectors as obsgen's SLO rules use them) is parsed once into plain data (`Sel`, `Fn`, `Agg`,
`Bin`, `Sub`, `Lit`) and checked against what the spec says exists:

- OBS050 a metric no catalog, recording rule (the spec's or an SLO's), declared exporter or
  Prometheus itself produces;
- OBS051 a label (matcher, by/without, on/ignoring, group_left/right) the series cannot have, where
  every metric involved is known with its labels;
- OBS052 a counter whose raw value is compared, computed with, aggregated over time or returned;
  rate/irate/increase over a gauge (warning);
- OBS053 histogram_quantile over a series that is not a histogram's buckets, or after a grouping
  that drops `le`;
- OBS054 a range shorter than twice the interval of the series it reads;
- OBS055 an alert expression without a condition, which fires whenever its series exist.

Alert hygiene (OBS056-059) reads the alerts themselves; routing (OBS060-062) follows the tree the
alertmanager target builds (targets/alertmanager.py) for every alert and SLO alert of the spec.
Checks return `Finding`s owned by the object a user would silence them on.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import promql_parser as pp

from . import naming
from .diagnostics import Diagnostic, error, warning
from .loader import YMap
from .model import Model
from .parse import Parsed, did_you_mean, locate
from .silence import Finding
from .slo import BASE_WINDOW, fmt_duration, fmt_number, rule_groups

# ----------------------------------------------------------------------------- PromQL as plain data
# The parser's objects are rebuilt on every attribute access; the checks walk these instead.


@dataclass(frozen=True, eq=False, slots=True)
class Sel:
    name: str | None  # None: no fixed metric name ({__name__=~"..."})
    matchers: tuple[tuple[str, str, str], ...]  # (label, op, value), __name__ left out
    range: float | None  # seconds, for a range selector


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
_GRAFANA_SECONDS = 99 * 86400 + 1


def _sel(vs, rng: float | None) -> Sel:
    name = vs.name
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
    return Sel(name, tuple(matchers), rng)


MAX_DEPTH = 120  # deeper expressions are not linted: the checks recurse


class _TooDeep(Exception):
    pass


def _convert(e, depth: int = 0):
    if depth > MAX_DEPTH:
        raise _TooDeep
    convert = lambda x: _convert(x, depth + 1)  # noqa: E731
    if isinstance(e, (pp.ParenExpr, pp.UnaryExpr)):
        return convert(e.expr)
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
        return _convert(pp.parse(GRAFANA_VARS.sub(GRAFANA_RANGE, text)))
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


def _vector_arg(n: Fn):
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
# A counter's raw value goes through unchanged (and is judged where it is used).
COUNTER_PASS = frozenset("""label_replace label_join sort sort_desc sort_by_label sort_by_label_desc
last_over_time abs ceil floor round clamp clamp_min clamp_max scalar sgn""".split())
# These read a counter's raw values over time: drops at restarts become falls or negative slopes.
COUNTER_MISREAD = frozenset("""avg_over_time sum_over_time min_over_time max_over_time quantile_over_time
stddev_over_time stdvar_over_time mad_over_time delta idelta deriv predict_linear holt_winters
double_exponential_smoothing""".split())
RATES = frozenset(["rate", "irate", "increase"])
# Aggregations that return input series unchanged rather than aggregating them.
SELECTING = frozenset(["topk", "bottomk", "limitk", "limit_ratio"])
COUNTING = frozenset(["count", "count_values", "group"])

# ----------------------------------------------------------------------------- what the spec says exists

EXPORTER_PREFIXES = {"node": ("node_",), "postgres": ("pg_", "postgres_exporter_"), "redis": ("redis_",),
                     "kafka": ("kafka_",), "blackbox": ("probe_", "blackbox_exporter_")}
# Kubernetes presets scrape components whose metrics no catalog lists.
PRESET_PREFIXES = {"apiservers": ("apiserver_", "etcd_", "workqueue_", "rest_client_"),
                   "nodes": ("kubelet_", "rest_client_", "storage_operation_", "volume_manager_"),
                   "cadvisor": ("container_", "machine_")}
# Series the client libraries (Go, Python) add to every instrumented process, exporters included.
CLIENT_PREFIXES = ("process_", "go_", "python_", "promhttp_")
# Presets that copy every Kubernetes node label onto their series (labelmap): labels unknowable.
OPEN_LABEL_PRESETS = frozenset(["nodes", "cadvisor"])


@dataclass
class Known:
    """A series name the spec accounts for."""

    kind: str | None  # counter | gauge | bucket (a histogram's) | summary (its quantiles) | None: unknown
    labels: frozenset[str] | None  # None: unknown
    intervals: dict[str, float]  # job -> seconds between samples; "" when the job is not known
    source: str  # catalog | record | exporter | prometheus | mixed
    rules: list = field(default_factory=list)  # record: [(expr text, extra labels)]


def _k8s_labels(k) -> set[str]:
    """Target labels the kubernetes job of targets/prometheus.py keeps (see _kubernetes there)."""
    out = set()
    if k.role != "node":
        out.add("namespace")
    if k.role in ("pod", "endpoints", "endpointslice"):
        out.add("pod")
    if k.role in ("service", "endpoints", "endpointslice"):
        out.add("kubernetes_service")
    return out


class Catalog:
    def __init__(self, model: Model):
        g = model.spec.global_
        self.scrape_interval = naming.duration_seconds(g.scrape_interval)
        self.eval_interval = naming.duration_seconds(g.evaluation_interval)
        self.exact: dict[str, Known] = {}
        self.prefixes: list[tuple[str, Known]] = []
        self._record_labels: dict[str, frozenset[str] | None] = {}
        self._computing: set[str] = set()
        open_jobs = False
        targets = {"job", "instance", *g.external_labels}
        kinds: dict[str, dict[str, float]] = {}
        every_job: dict[str, float] = {}
        for s in model.services:
            sc = s.scrape
            if sc is None:
                continue
            job, interval = sc.job or s.name, naming.duration_seconds(sc.interval or g.scrape_interval)
            every_job[job] = interval
            targets |= set(sc.labels)
            if sc.kubernetes is not None:
                if sc.kubernetes.preset:
                    open_jobs |= sc.kubernetes.preset in OPEN_LABEL_PRESETS
                    kinds.setdefault(f"preset:{sc.kubernetes.preset}", {})[job] = interval
                else:
                    targets |= _k8s_labels(sc.kubernetes)
            if sc.exporter is not None:
                kinds.setdefault(sc.exporter.kind, {})[job] = interval
        self.targets = frozenset(targets)
        for s in model.services:
            sc = s.scrape
            open_labels = sc is not None and sc.kubernetes is not None and sc.kubernetes.preset in OPEN_LABEL_PRESETS
            intervals = ({sc.job or s.name: naming.duration_seconds(sc.interval or g.scrape_interval)}
                         if sc is not None else {"": self.scrape_interval})
            for m in s.metrics:
                own = None if open_labels else frozenset(m.labels) | self.targets
                series = {"counter": [(m.name, "counter", own)],
                          "gauge": [(m.name, "gauge", own)],
                          "histogram": [(f"{m.name}_bucket", "bucket", own and own | {"le"}),
                                        (f"{m.name}_sum", "counter", own), (f"{m.name}_count", "counter", own)],
                          "summary": [(m.name, "summary", own and own | {"quantile"}),
                                      (f"{m.name}_sum", "counter", own), (f"{m.name}_count", "counter", own)],
                          }[m.type]
                if m.type != "gauge":  # prometheus_client's creation timestamps
                    series.append((f"{m.name.removesuffix('_total')}_created", "gauge", own))
                for name, kind, labels in series:
                    self._add(name, Known(kind, labels, dict(intervals), "catalog"))
            group_interval = naming.duration_seconds(s.rule_group.interval or g.evaluation_interval)
            for r in s.recording_rules:
                self._add(r.record, Known(None, None, {"": group_interval}, "record", [(r.expr, frozenset(r.labels))]))
        for group in rule_groups(model.slos):
            for rule in group["rules"]:
                if "record" in rule:
                    self._add(rule["record"], Known(None, None, {"": self.eval_interval}, "record"))
        up_labels = None if open_jobs else self.targets
        all_jobs = every_job or {"": self.scrape_interval}
        for name in ("up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
                     "scrape_series_added"):
            self._add(name, Known("gauge", up_labels, dict(all_jobs), "prometheus"))
        self.prefixes.append(("scrape_", Known("gauge", up_labels, dict(all_jobs), "prometheus")))
        for name in ("ALERTS", "ALERTS_FOR_STATE"):
            self._add(name, Known("gauge", None, {"": self.eval_interval}, "prometheus"))
        for kind, jobs in sorted(kinds.items()):
            family = PRESET_PREFIXES.get(kind[7:], ()) if kind.startswith("preset:") else EXPORTER_PREFIXES[kind]
            for prefix in family:
                self.prefixes.append((prefix, Known(None, None, dict(jobs), "exporter")))
        if every_job:
            for prefix in CLIENT_PREFIXES:
                self.prefixes.append((prefix, Known(None, None, dict(every_job), "exporter")))
        self.prefixes.sort(key=lambda p: -len(p[0]))
        self._names = sorted(self.exact)

    def _add(self, name: str, known: Known):
        """Record a series; a name several services (or rules) produce gets what they have in common."""
        old = self.exact.setdefault(name, known)
        if old is not known:  # merged in place: a name shared by n services costs O(n), not O(n²)
            old.kind = old.kind if old.kind == known.kind else None
            old.labels = None if old.labels is None or known.labels is None else old.labels | known.labels
            old.intervals.update(known.intervals)
            old.source = old.source if old.source == known.source else "mixed"
            old.rules += known.rules

    def lookup(self, name: str | None) -> Known | None:
        if name is None:
            return None
        known = self.exact.get(name)
        if known is None:
            known = next((k for p, k in self.prefixes if name.startswith(p)), None)
        return known

    def labels(self, name: str | None) -> frozenset[str] | None:
        known = self.lookup(name)
        if known is None:
            return None
        if known.source != "record":
            return known.labels
        assert name is not None
        if name not in self._record_labels:
            if name in self._computing:  # a rule that reads its own output
                return None
            self._computing.add(name)
            out: frozenset[str] | None = frozenset()
            for text, extra in known.rules:
                node = parse(text)
                got = None if node is None else Labels(self).of(node)
                out = None if got is None or out is None else out | got | extra
            self._computing.discard(name)
            self._record_labels[name] = out if known.rules else None
        return self._record_labels[name]

    def filtered(self, name: str | None) -> bool:
        """Whether a recording rule's output only exists while its condition holds."""
        known = self.lookup(name)
        if known is None or known.source != "record" or not known.rules or name in self._computing:
            return False
        self._computing.add(name)
        try:
            roots = [parse(text) for text, _ in known.rules]
            return all(r is not None and Analysis(self, r, "record").condition(r) for r in roots)
        finally:
            self._computing.discard(name)

    def kind(self, name: str | None) -> str | None:
        """counter, gauge, bucket, summary, or None when the spec does not say."""
        known = self.lookup(name)
        if known is not None and (known.kind is not None or known.source in ("record", "catalog", "mixed")):
            return known.kind
        if name and f"{name}_bucket" in self.exact:
            return None  # a histogram's own name, which is no series (OBS050 says so)
        if name and (name.endswith("_total") or name.endswith("_bucket")):
            return "bucket" if name.endswith("_bucket") else "counter"
        return None

    def interval(self, sel: Sel) -> tuple[float, str] | None:
        known = self.lookup(sel.name)
        if known is None:
            return None
        jobs = known.intervals
        wanted = [v for label, op, v in sel.matchers if label == "job" and op == "="]
        if wanted and wanted[0] in jobs:
            return jobs[wanted[0]], wanted[0]
        job = max(sorted(jobs), key=lambda j: jobs[j])
        return jobs[job], job

    def suggest(self, name: str) -> str | None:
        if f"{name}_bucket" in self.exact and self.exact[f"{name}_bucket"].kind == "bucket":
            return f"`{name}` is a histogram: its series are {name}_bucket, {name}_sum and {name}_count"
        return did_you_mean(name, self._names)


# ----------------------------------------------------------------------------- labels of an expression

class Labels:
    """The labels an expression's series can carry (None: not known), memoised per node."""

    def __init__(self, cat: Catalog):
        self.cat = cat
        self.memo: dict[int, frozenset[str] | None] = {}

    def of(self, n) -> frozenset[str] | None:
        key = id(n)
        if key not in self.memo:
            self.memo[key] = self._of(n)
        return self.memo[key]

    def _of(self, n) -> frozenset[str] | None:
        if isinstance(n, Sel):
            return self.cat.labels(n.name)
        if isinstance(n, Lit):
            return frozenset()
        if isinstance(n, Sub):
            return self.of(n.expr)
        if isinstance(n, Fn):
            if n.scalar or n.name == "vector":
                return frozenset()
            if n.name in ("label_replace", "label_join"):
                base = self.of(n.args[0])
                dst = n.args[1].value if len(n.args) > 1 and isinstance(n.args[1], Lit) else None
                return None if base is None or not isinstance(dst, str) else base | {dst}
            if n.name == "histogram_quantile":
                base = self.of(n.args[1]) if len(n.args) > 1 else None
                return None if base is None else base - {"le"}
            if n.name in KEEP_LABELS:
                arg = _vector_arg(n)
                return frozenset() if arg is None else self.of(arg)
            return None
        if isinstance(n, Agg):
            inner = self.of(n.expr)
            if n.op in SELECTING:
                return inner
            extra = {n.param.value} if n.op == "count_values" and isinstance(n.param, Lit) else set()
            if n.by is not None:
                grouped = frozenset(n.by) if inner is None else frozenset(n.by) & inner
                return grouped | extra
            if n.without is not None:
                return None if inner is None else inner - set(n.without) | extra
            return frozenset(extra)
        if isinstance(n, Bin):
            if n.op in ("and", "unless"):
                return self.of(n.lhs)
            lhs, rhs = self.of(n.lhs), self.of(n.rhs)
            if n.op == "or":
                return None if lhs is None or rhs is None else lhs | rhs
            if is_scalar(n.lhs):
                return rhs
            if is_scalar(n.rhs):
                return lhs
            if n.card == "ManyToOne":
                return None if lhs is None else lhs | set(n.group)
            if n.card == "OneToMany":
                return None if rhs is None else rhs | set(n.group)
            if n.on is not None:
                return frozenset(n.on) if lhs is None else frozenset(n.on) & lhs
            if n.ignoring is not None:
                return None if lhs is None else lhs - set(n.ignoring)
            return lhs
        return None


# ----------------------------------------------------------------------------- checks on one expression

@dataclass(frozen=True)
class Problem:
    code: str
    is_error: bool
    message: str
    hint: str | None = None


def _dur(seconds: float) -> str:
    return fmt_duration(int(seconds)) if seconds == int(seconds) else f"{round(seconds * 1000)}ms"


def _names(n, limit: int = 3) -> str:
    names = list(dict.fromkeys(s.name for s in selectors(n) if s.name))
    if not names:
        return "the expression"
    shown = ", ".join(f"`{x}`" for x in names[:limit])
    return shown + (" …" if len(names) > limit else "")


def _keep_le(culprit: str) -> str:
    """How to write `culprit` (an aggregation or vector matching) so that it keeps `le`."""
    if culprit.endswith(")") and (" by (" in culprit or " on (" in culprit):
        inside = culprit[culprit.index("(") + 1:-1]
        return f"`{culprit[:culprit.index('(')]}({inside + ', ' if inside else ''}le)`"
    if culprit.endswith(")"):
        return f"take `le` out of `{culprit}`"
    return f"`{culprit} by (le)`"


def _grouping(n: Agg) -> str:
    if n.by is not None:
        return f"{n.op} by ({', '.join(n.by)})"
    if n.without is not None:
        return f"{n.op} without ({', '.join(n.without)})"
    return n.op


class Analysis:
    def __init__(self, cat: Catalog, root, kind: str):
        self.cat, self.root, self.kind = cat, root, kind
        self.labels = Labels(cat)
        self.problems: dict[tuple[str, str], Problem] = {}
        self.raw: dict[str, list[str]] = {}  # counter -> how its raw value is used

    def add(self, code: str, is_error: bool, message: str, hint: str | None = None):
        self.problems.setdefault((code, message), Problem(code, is_error, message, hint))

    def run(self) -> list[Problem]:
        stack = [self.root]
        while stack:
            n = stack.pop()
            self.visit(n)
            stack.extend(reversed(children(n)))
        for name in self.counters(self.root):
            self.raw.setdefault(name, []).append("returned as is")
        for name, uses in self.raw.items():
            self.add("OBS052", True, f"counter `{name}` is used without rate() or increase(): "
                                     f"{', '.join(dict.fromkeys(uses))}",
                     f"a counter only goes up, and restarts from zero with its process: take rate({name}[5m]) "
                     f"or increase({name}[1h]) first")
        if self.kind == "alert" and not self.condition(self.root):
            self.add("OBS055", True, f"the alert has no condition: it returns {_names(self.root)} whenever "
                                     f"the series exist, so it fires all the time",
                     "compare the value (`> 0.05`), filter with `and`/`unless`, or use absent() for a "
                     "missing series")
        return list(self.problems.values())

    # -- OBS050, OBS051, OBS053, OBS054: node by node
    def visit(self, n):
        if isinstance(n, Sel):
            self.selector(n)
        elif isinstance(n, Sub):
            step = n.step or self.cat.eval_interval
            if _GRAFANA_SECONDS not in (n.range, n.step) and n.range < 2 * step:
                self.add("OBS054", False, f"subquery range [{_dur(n.range)}:{_dur(n.step) if n.step else ''}] holds "
                                          f"fewer than two steps of {_dur(step)}",
                         f"make the range at least {_dur(2 * step)}")
        elif isinstance(n, Agg):
            inner = self.labels.of(n.expr)
            for label in (n.by or ()) + (n.without or ()):
                if inner is not None and not label.startswith("__") and label not in inner:
                    self.add("OBS051", False, f"`{_grouping(n)}`: the series of {_names(n.expr)} have no "
                                              f"label `{label}`", self.label_hint(label, inner))
        elif isinstance(n, Bin):
            self.matching(n)
        elif isinstance(n, Fn) and n.name == "histogram_quantile" and len(n.args) > 1:
            self.histogram(n.args[1])

    def label_hint(self, label: str, known: frozenset[str]) -> str:
        return did_you_mean(label, sorted(known)) or f"labels it can have: {', '.join(sorted(known)) or 'none'}"

    def selector(self, n: Sel):
        if n.name is None:
            return
        known = self.cat.lookup(n.name)
        if known is None:
            self.add("OBS050", False, f"metric `{n.name}` is not in any service's catalog, recording rule or "
                                      f"declared exporter", self.cat.suggest(n.name) or
                     "add it to the `metrics` of the service that exports it")
            return
        labels = self.cat.labels(n.name)
        if labels is not None:
            for label, op, value in n.matchers:
                if label.startswith("__") or label in labels or (op == "=" and value == ""):
                    continue
                self.add("OBS051", False, f"`{n.name}` has no label `{label}`", self.label_hint(label, labels))
        if n.range is not None and n.range != _GRAFANA_SECONDS:
            got = self.cat.interval(n)
            if got is not None and n.range < 2 * got[0]:
                interval, job = got
                whose = f"job {job}" if job else ("its rule group" if known.source == "record" else "the global "
                                                                                                    "setting")
                self.add("OBS054", False, f"range [{_dur(n.range)}] over `{n.name}` is shorter than twice its "
                                          f"interval ({_dur(interval)}, {whose}): it can hold fewer than two samples",
                         f"obsgen's SLO rules read the SLI over [{_dur(n.range)}]: scrape it at least every "
                         f"{_dur(n.range / 2)}" if self.kind == "sli" else
                         f"use at least [{_dur(2 * interval)}]; in Grafana, [$__rate_interval]")

    def matching(self, n: Bin):
        if is_scalar(n.lhs) or is_scalar(n.rhs):
            return
        lhs, rhs = self.labels.of(n.lhs), self.labels.of(n.rhs)
        sides = (("left", n.lhs, lhs), ("right", n.rhs, rhs))
        op = f"{n.op} on ({', '.join(n.on)})" if n.on is not None else (
            f"{n.op} ignoring ({', '.join(n.ignoring or ())})")
        for label in n.on or ():
            for side, node, known in sides:
                if known is not None and not label.startswith("__") and label not in known:
                    self.add("OBS051", False, f"`{op}`: the {side}-hand side ({_names(node)}) has no label "
                                              f"`{label}`, so no series match", self.label_hint(label, known))
        for label in n.ignoring or ():
            if lhs is not None and rhs is not None and label not in lhs | rhs and not label.startswith("__"):
                self.add("OBS051", False, f"`{op}`: neither side has a label `{label}`",
                         self.label_hint(label, lhs | rhs))
        one = {"ManyToOne": ("right", n.rhs, rhs), "OneToMany": ("left", n.lhs, lhs)}.get(n.card)
        if one is not None:
            side, node, known = one
            for label in n.group:
                if known is not None and label not in known and not label.startswith("__"):
                    self.add("OBS051", False, f"`group_{'left' if side == 'right' else 'right'} ({label})`: the "
                                              f"{side}-hand side ({_names(node)}) has no label `{label}` to copy",
                             self.label_hint(label, known))

    # -- OBS052: where raw counter values end up
    def counters(self, n) -> list[str]:
        """Counters whose raw values flow out of `n`; uses that read them are recorded on the way."""
        if isinstance(n, Sel):
            return [n.name] if n.name and self.cat.kind(n.name) in ("counter", "bucket") else []
        if isinstance(n, Sub):
            return self.counters(n.expr)
        if isinstance(n, Fn):
            flows = [self.counters(a) for a in n.args]
            if n.name in RATES and n.args and isinstance(n.args[0], Sel) and n.args[0].range is not None:
                name = n.args[0].name
                if self.cat.kind(name) in ("gauge", "summary"):
                    self.add("OBS052", False, f"{n.name}() over gauge `{name}`: it reads every drop of the gauge as "
                                              f"a counter reset",
                             "obsgen takes the rate() of a ratio SLI's selectors: give counters (or use a freshness "
                             "SLI for a gauge)" if self.kind == "sli" else
                             "rate() and increase() are for counters; for a gauge use deriv() or delta(), or the "
                             "value itself")
            if n.name in COUNTER_SAFE:
                return []
            if n.name == "histogram_quantile" and len(flows) > 1:
                for name in flows[1]:
                    self.raw.setdefault(name, []).append("histogram_quantile() over its raw buckets (the "
                                                         "distribution since each process started)")
                return []
            if n.name in COUNTER_MISREAD:
                for name in (x for f in flows for x in f):
                    self.raw.setdefault(name, []).append(f"{n.name}() over its raw values")
                return []
            if n.name in COUNTER_PASS:
                return flows[0] if flows else []
            return []
        if isinstance(n, Agg):
            if n.param is not None:
                self.counters(n.param)
            flows = self.counters(n.expr)
            return [] if n.op in COUNTING else flows
        if isinstance(n, Bin):
            lhs, rhs = self.counters(n.lhs), self.counters(n.rhs)
            if n.op in ("and", "unless"):
                return lhs
            if n.op == "or":
                return lhs + rhs
            use = f"compared (`{n.op}`)" if n.op in COMPARISONS else f"computed with (`{n.op}`)"
            for name in lhs + rhs:
                self.raw.setdefault(name, []).append(use)
            return []
        return []

    # -- OBS053
    def sources(self, n) -> list[Sel]:
        """The selectors whose values reach `n` (not those that only filter, like the right of `and`)."""
        if isinstance(n, Sel):
            return [n]
        if isinstance(n, Sub):
            return self.sources(n.expr)
        if isinstance(n, Fn):
            arg = _vector_arg(n)
            return [] if arg is None or n.name in ("absent", "absent_over_time", "vector") else self.sources(arg)
        if isinstance(n, Agg):
            return self.sources(n.expr)
        if isinstance(n, Bin):
            if n.op in ("and", "unless"):
                return self.sources(n.lhs)
            return [s for side in (n.lhs, n.rhs) if not is_scalar(side) for s in self.sources(side)]
        return []

    def histogram(self, arg):
        bad = []
        for s in self.sources(arg):
            if s.name is None or s.name.endswith("_bucket"):
                continue
            known = self.cat.lookup(s.name)
            if known is None:
                if f"{s.name}_bucket" in self.cat.exact:
                    bad.append(s.name)  # the histogram's own name: not a series
                continue
            if known.source == "record":
                labels = self.cat.labels(s.name)
                if labels is not None and "le" not in labels:
                    bad.append(s.name)
            elif known.source == "catalog" and known.kind != "bucket":
                bad.append(s.name)
        for name in dict.fromkeys(bad):
            base = next((b for b in (name, name.removesuffix("_count"), name.removesuffix("_sum"))
                         if f"{b}_bucket" in self.cat.exact), None)
            self.add("OBS053", True, f"histogram_quantile() over `{name}`, which is not a histogram's bucket series "
                                     f"(it has no `le` label)",
                     f"use {base}_bucket: histogram_quantile(0.95, sum by (le) (rate({base}_bucket[5m])))"
                     if base else "histogram_quantile() reads the `_bucket` series of a histogram")
        if bad or not any(self.le(s)[0] for s in self.sources(arg)):
            return  # no classic bucket series known to be read (a native histogram, say): nothing to judge
        has_le, culprit = self.le(arg)
        if has_le is False:
            self.add("OBS053", True, f"histogram_quantile() needs the `le` label, but `{culprit}` drops it",
                     f"keep `le`: {_keep_le(culprit)}")

    def le(self, n) -> tuple[bool | None, str]:
        """Whether `n`'s series still carry `le` (None: cannot tell), and what dropped it."""
        if isinstance(n, Sel):
            labels = self.cat.labels(n.name)
            return (True, "") if (n.name or "").endswith("_bucket") or (labels and "le" in labels) else (None, "")
        if isinstance(n, Sub):
            return self.le(n.expr)
        if isinstance(n, Fn):
            if n.name in ("label_replace", "label_join") and len(n.args) > 1 and isinstance(n.args[1], Lit) \
                    and n.args[1].value == "le":
                return True, ""
            if n.name == "histogram_quantile":
                return False, "histogram_quantile"
            arg = _vector_arg(n)
            return self.le(arg) if arg is not None and n.name in KEEP_LABELS | COUNTER_PASS else (None, "")
        if isinstance(n, Agg):
            if n.op in SELECTING:
                return self.le(n.expr)
            if (n.by is not None and "le" not in n.by) or (n.without is not None and "le" in n.without) or (
                    n.by is None and n.without is None):
                return False, _grouping(n)
            return self.le(n.expr)
        if isinstance(n, Bin):
            if n.op in ("and", "unless") or is_scalar(n.rhs):
                return self.le(n.lhs)
            if is_scalar(n.lhs):
                return self.le(n.rhs)
            if n.op == "or":
                for side in (n.lhs, n.rhs):
                    got = self.le(side)
                    if got[0] is False:
                        return got
                return None, ""
            if n.card == "OneToOne" and ((n.on is not None and "le" not in n.on) or "le" in (n.ignoring or ())):
                return False, f"{n.op} {'on' if n.on is not None else 'ignoring'} " \
                              f"({', '.join(n.on if n.on is not None else n.ignoring or ())})"
            return self.le(n.rhs if n.card == "OneToMany" else n.lhs)
        return None, ""

    # -- OBS055
    def condition(self, n) -> bool:
        """Whether the expression can return nothing while its series exist."""
        if isinstance(n, Bin):
            if n.op in COMPARISONS and not n.bool:
                return True
            if n.op in ("and", "unless"):
                return True
            if n.op == "or":
                return self.condition(n.lhs) and self.condition(n.rhs)
            return self.condition(n.lhs) or self.condition(n.rhs)
        if isinstance(n, Fn):
            return n.name in ("absent", "absent_over_time") or any(self.condition(a) for a in n.args)
        if isinstance(n, (Agg, Sub)):
            return self.condition(n.expr)
        if isinstance(n, Sel):  # a recorded series may carry its rule's condition
            return self.cat.filtered(n.name)
        return False


# ----------------------------------------------------------------------------- the spec's expressions

@dataclass(frozen=True)
class Expr:
    text: str
    kind: str  # alert | record | query | sli
    at: tuple  # path of the value in the tree
    owner: tuple
    what: str


def expressions(parsed: Parsed) -> list[Expr]:
    out = []
    for i, s in parsed.items["services"]:
        for j, a in enumerate(s.alerts):
            out.append(Expr(a.expr, "alert", ("services", i, "alerts", j, "expr"), ("services", i, "alerts", j),
                            f"alert {a.name} (service {s.name})"))
        for j, r in enumerate(s.recording_rules):
            out.append(Expr(r.expr, "record", ("services", i, "recording_rules", j, "expr"),
                            ("services", i, "recording_rules", j), f"recording rule {r.record} (service {s.name})"))
        window = fmt_duration(BASE_WINDOW)
        for j, o in enumerate(s.slos):
            at, what = ("services", i, "slos", j), f"SLO {o.name} (service {s.name})"
            sli = o.sli
            texts: list[tuple[str, tuple]] = []
            if sli.ratio:
                texts += [(f"sum(rate({sel}[{window}]))", ("ratio", key)) for key, sel in
                          (("good", sli.ratio.good), ("bad", sli.ratio.bad), ("total", sli.ratio.total)) if sel]
            elif sli.latency:
                lat = sli.latency
                where = ("latency", "matchers" if lat.matchers else "histogram")
                m = f"{{{lat.matchers}}}" if lat.matchers else ""
                texts += [(f"sum(rate({lat.histogram}_{part}{m}[{window}]))", where) for part in ("count", "bucket")]
            elif sli.freshness:
                texts.append((f"max({sli.freshness.gauge}) > bool {fmt_number(sli.freshness.max)}",
                              ("freshness", "gauge")))
            elif sli.raw:
                texts.append((re.sub(r"\{\{\s*window\s*\}\}", window, sli.raw.error_ratio), ("raw", "error_ratio")))
            out += [Expr(text, "sli", (*at, "sli", *loc), at, what) for text, loc in texts]
    for i, d in parsed.items["dashboards"]:
        for j, p in enumerate(d.panels):
            for k, q in enumerate(p.queries):
                out.append(Expr(q.expr, "query", ("dashboards", i, "panels", j, "queries", k, "expr"),
                                ("dashboards", i, "panels", j), f"panel {p.title!r} of dashboard {d.title!r}"))
    return out


# ----------------------------------------------------------------------------- alerts themselves

CAMEL = re.compile(r"^[A-Z][A-Za-z0-9]*$")


def alert_findings(tree: YMap, parsed: Parsed, model: Model) -> list[Finding]:
    out = []
    at = lambda *loc: locate(tree, loc)[0]  # noqa: E731
    default_eval = naming.duration_seconds(model.spec.global_.evaluation_interval)
    for i, s in parsed.items["services"]:
        interval = naming.duration_seconds(s.rule_group.interval) if s.rule_group.interval else default_eval
        for j, a in enumerate(s.alerts):
            owner, what = ("services", i, "alerts", j), f"alert {a.name} (service {s.name})"
            wait = naming.duration_seconds(a.for_)
            if 0 < wait < interval:
                out.append(Finding(warning(
                    "OBS056", f"alert {a.name}: `for: {a.for_}` is shorter than the evaluation interval of its rule "
                              f"group ({_dur(interval)}), so it acts as `for: {_dur(interval)}`",
                    at(*owner, "for"), hint=f"use `for: {_dur(interval)}` or longer, or drop `for`"), owner, what))
            if not CAMEL.fullmatch(a.name):
                out.append(Finding(warning("OBS057", f"alert name {a.name!r} is not CamelCase", at(*owner, "name"),
                                           hint="alert names are CamelCase by convention, e.g. HighErrorRate"),
                                   owner, what))
            missing = [f for f in ("summary", "description") if not getattr(a, f)]
            if missing:
                out.append(Finding(warning(
                    "OBS058", f"alert {a.name} has no {' and no '.join(missing)}", at(*owner, "name"),
                    hint="the summary is the notification's title; the description says what is wrong and where"),
                    owner, what))
            if a.severity == "critical" and not a.runbook_url:
                out.append(Finding(warning(
                    "OBS059", f"critical alert {a.name} has no runbook_url", at(*owner, "severity"),
                    hint="whoever is paged needs to know what to do: link the runbook"), owner, what))
        for j, o in enumerate(s.slos):
            owner, what = ("services", i, "slos", j), f"SLO {o.name} (service {s.name})"
            a = o.alerting
            if a.name and not CAMEL.fullmatch(a.name):
                out.append(Finding(warning("OBS057", f"SLO {o.name}: alert name base {a.name!r} is not CamelCase",
                                           at(*owner, "alerting", "name"),
                                           hint="the SLO's alerts are named after it, e.g. ApiAvailability"),
                                   owner, what))
            if "critical" in _slo_severities(o) and not a.runbook_url:
                out.append(Finding(warning(
                    "OBS059", f"SLO {o.name} has critical alerts but no alerting.runbook_url", at(*owner, "name"),
                    hint="whoever is paged needs to know what to do: link the runbook"), owner, what))
    return out


def _slo_severities(o) -> list[str]:
    a = o.alerting
    sevs = [t.severity for t in (a.page, a.ticket) if t.enabled]
    if a.budget_alerts:
        sevs += ["warning", "critical"]
    return list(dict.fromkeys(sevs))


# ----------------------------------------------------------------------------- routing

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


# ----------------------------------------------------------------------------- entry point

def expression_findings(tree: YMap, parsed: Parsed, model: Model) -> list[Finding]:
    cat = Catalog(model)
    out = []
    for e in expressions(parsed):
        root = parse(e.text)
        if root is None:
            continue
        pos = locate(tree, e.at)[0]
        for p in Analysis(cat, root, e.kind).run():
            make = error if p.is_error else warning
            out.append(Finding(make(p.code, f"{e.what}: {p.message}", pos, hint=p.hint), e.owner, e.what))
    return out


def run(tree: YMap, parsed: Parsed, model: Model) -> list[Finding]:
    findings = (expression_findings(tree, parsed, model) + alert_findings(tree, parsed, model)
                + routing_findings(tree, parsed, model))
    unique = {(f.diagnostic, f.owner): f for f in findings}
    return sorted(unique.values(), key=lambda f: Diagnostic.sort_key(f.diagnostic))
