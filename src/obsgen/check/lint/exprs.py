"""OBS050-055: checks on each PromQL expression of the spec (alert and recording rule exprs,
dashboard queries, and the SLI selectors as obsgen's SLO rules use them) against the catalog."""
from __future__ import annotations

import re
from dataclasses import dataclass

from obsgen.check.lint.catalog import Catalog, Labels, condition
from obsgen.check.silences import Finding
from obsgen.core.diagnostics import error, warning
from obsgen.core.promql_tree import (
    COMPARISONS,
    COUNTER_MISREAD,
    COUNTER_PASS,
    COUNTER_SAFE,
    COUNTING,
    GRAFANA_SECONDS,
    KEEP_LABELS,
    RATES,
    SELECTING,
    Agg,
    Bin,
    Fn,
    Lit,
    Sel,
    Sub,
    children,
    dur,
    is_scalar,
    parse,
    selectors,
    vector_arg,
)
from obsgen.core.templating import for_promql
from obsgen.load.yaml import YMap
from obsgen.resolve.datasources import Datasources
from obsgen.resolve.model import Model
from obsgen.resolve.slo import BASE_WINDOW, fmt_duration, fmt_number
from obsgen.spec.parse import Parsed, did_you_mean, locate

# ----------------------------------------------------------------------------- checks on one expression

@dataclass(frozen=True)
class Problem:
    code: str
    is_error: bool
    message: str
    hint: str | None = None


def _names(n, limit: int = 3) -> str:
    names = list(dict.fromkeys(s.name for s in selectors(n) if s.name))
    if not names:
        return "the expression"
    shown = ", ".join(f"`{x}`" for x in names[:limit])
    return shown + (" …" if len(names) > limit else "")


def _rated(arg) -> Sel | None:
    """The series a rate()/irate()/increase() argument reads: a range selector's, or a subquery's
    over a selector (through sum, min, max or avg of it: still that series' values)."""
    if isinstance(arg, Sel):
        return arg if arg.range is not None else None
    if not isinstance(arg, Sub):
        return None
    inner = arg.expr
    while isinstance(inner, Agg) and inner.op in ("sum", "min", "max", "avg"):
        inner = inner.expr
    return inner if isinstance(inner, Sel) and inner.range is None else None


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
        self.misread: set[str] = set()  # counters whose raw values a function reads as if they were levels

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
            # An error only where it is sure to mislead: a counter the catalog declares, read by a
            # function that takes its resets for falls. Comparing or adding raw counters has real
            # uses (`errors_total > 0`: has it ever happened; restarts found with offset), and a
            # type guessed from a name (`_total`) is not a fact (CloudWatch's, ceph_pg_total).
            declared = self.cat.declared_kind(name) is not None
            sure = declared and name in self.misread
            what = "counter" if declared else "metric (named like a counter)"
            self.add("OBS052", sure, f"{what} `{name}` is used without rate() or increase(): "
                                     f"{', '.join(dict.fromkeys(uses))}",
                     f"a counter only goes up, and restarts from zero with its process: take rate({name}[5m]) "
                     f"or increase({name}[1h]) first" + ("" if sure else "; if the raw value is meant (has it "
                                                                          "ever happened, a restart), silence this "
                                                                          "on the alert with the reason"))
        if self.kind == "alert" and not self.condition(self.root) and not self.watchdog():
            # A selector that picks series by a label of their own (`{indexrelname=~".*ccnew.*"}`) may be
            # meant as "such a series exists": said as a warning, since obsgen cannot know.
            sure = not self.filters(self.root)
            self.add("OBS055", sure, f"the alert has no condition: it returns {_names(self.root)} whenever "
                                     f"the series exist, so it fires all the time"
                                     + ("" if sure else " (unless the label matchers are the condition: a "
                                                        "series that exists only when something is wrong)"),
                     "compare the value (`> 0.05`), filter with `and`/`unless`, or use absent() for a "
                     "missing series")
        return list(self.problems.values())

    def filters(self, n) -> bool:
        """Whether the expression is a selector (or an aggregation of one) picking series by a label
        other than the target's (job, instance): then their existence may be the condition."""
        if isinstance(n, Sel):
            return n.range is None and any(label not in ("job", "instance") for label, _, _ in n.matchers)
        if isinstance(n, Agg):  # count(x{state="stuck"}): still "such series exist"
            return self.filters(n.expr)
        return False

    def watchdog(self) -> bool:
        """`vector(1)`: a dead man's switch, firing all the time so that its absence is the alarm."""
        return isinstance(self.root, Fn) and self.root.name == "vector"

    # -- OBS050, OBS051, OBS053, OBS054: node by node
    def visit(self, n):
        if isinstance(n, Sel):
            self.selector(n)
        elif isinstance(n, Sub):
            step = n.step or self.cat.eval_interval
            if GRAFANA_SECONDS not in (n.range, n.step) and n.range < 2 * step:
                self.add("OBS054", False, f"subquery range [{dur(n.range)}:{dur(n.step) if n.step else ''}] holds "
                                          f"fewer than two steps of {dur(step)}",
                         f"make the range at least {dur(2 * step)}")
        elif isinstance(n, Agg):
            inner = self.labels.of(n.expr)
            for label in (n.by or ()) + (n.without or ()):
                if inner is not None and not label.startswith("__") and label not in inner:
                    self.add("OBS051", False, f"`{_grouping(n)}`: the series of {_names(n.expr)} have no "
                                              f"label `{label}`", self.label_hint(label, inner))
        elif isinstance(n, Bin):
            self.matching(n)
            if self.kind == "alert":
                self.ceiling(n)
        elif isinstance(n, Fn) and n.name == "histogram_quantile" and len(n.args) > 1:
            self.histogram(n.args[1])

    def ceiling(self, n: Bin):
        """OBS077: `histogram_quantile(...) > t` where every histogram read declares its buckets and
        none has a finite bound above t. A quantile in the +Inf bucket reads as the largest finite
        bound, so the quantile never exceeds it and the alert never fires."""
        if n.bool or n.op not in (">", ">=", "<", "<="):
            return
        quantile, threshold, op = n.lhs, n.rhs, n.op
        if op in ("<", "<="):  # `t < histogram_quantile(...)`
            quantile, threshold, op = n.rhs, n.lhs, {"<": ">", "<=": ">="}[op]
        if not (isinstance(quantile, Fn) and quantile.name == "histogram_quantile" and len(quantile.args) > 1
                and isinstance(threshold, Lit) and isinstance(threshold.value, float)):
            return
        names = [s.name for s in self.sources(quantile.args[1])]
        tops = [self.cat.top_bucket.get(name) if name else None for name in names]
        if not tops or None in tops:
            return
        top, t = max(tops), threshold.value  # type: ignore[type-var]
        if t > top or (t == top and op == ">"):
            shown = " and ".join(f"`{x}`" for x in dict.fromkeys(names))
            self.add("OBS077", False, f"histogram_quantile() {op} {fmt_number(t)} can never be true: the buckets of "
                                      f"{shown} end at le={fmt_number(top)}, and a quantile above the last finite "
                                      f"bucket reads as that bound, so the alert never fires",
                     f"add a bucket above {fmt_number(t)} to the histogram's `buckets` (and to its instrumentation), "
                     f"or alert below {fmt_number(top)}")

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
                if label in self.cat.external:
                    self.add("OBS064", True, f"`{label}` is an external label: Prometheus adds it only to what "
                                             f"leaves it (remote write, federation, alerts), so this query never "
                                             f"sees it and `{n.name}{{{label}{op}...}}` "
                                             f"{'never matches' if op in ('=', '=~') else 'matches every series'}",
                             "drop the matcher (each Prometheus holds its own environment's series), or use "
                             "output.target: mimir, whose ruler reads remote-written series with their external "
                             "labels")
                    continue
                self.add("OBS051", False, f"`{n.name}` has no label `{label}`", self.label_hint(label, labels))
        if n.range is not None and n.range != GRAFANA_SECONDS:
            got = self.cat.interval(n)
            if got is not None and n.range < 2 * got[0]:
                interval, job = got
                whose = f"job {job}" if job else ("its rule group" if known.source == "record" else "the global "
                                                                                                    "setting")
                self.add("OBS054", False, f"range [{dur(n.range)}] over `{n.name}` is shorter than twice its "
                                          f"interval ({dur(interval)}, {whose}): it can hold fewer than two samples",
                         f"obsgen's SLO rules read the SLI over [{dur(n.range)}]: scrape it at least every "
                         f"{dur(n.range / 2)}" if self.kind == "sli" else
                         f"use at least [{dur(2 * interval)}]; in Grafana, [$__rate_interval]")

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
            read = _rated(n.args[0]) if n.name in RATES and n.args else None
            if read is not None:
                name = read.name
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
                    self.misread.add(name)
                    self.raw.setdefault(name, []).append("histogram_quantile() over its raw buckets (the "
                                                         "distribution since each process started)")
                return []
            if n.name in COUNTER_MISREAD:
                for name in (x for f in flows for x in f):
                    self.misread.add(name)
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
            arg = vector_arg(n)
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
            if s.name is None:
                continue
            known = self.cat.lookup(s.name)
            if known is None:
                if f"{s.name}_bucket" in self.cat.exact:
                    bad.append(s.name)  # the histogram's own name: not a series
                continue  # a name ending in _bucket the spec does not know is taken at its word
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
            arg = vector_arg(n)
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
        return condition(self.cat, n)


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
    sources = Datasources(parsed.spec()) if parsed.items["dashboards"] else None
    for i, d in parsed.items["dashboards"]:
        for loc, p in d.all_panels():
            row = d.panels[loc[1]] if len(loc) == 4 else None
            for k, q in enumerate(p.queries):
                # Only Prometheus queries are PromQL; variables stand in as what Grafana sends.
                if q.expr is None or sources.plugin_of(q, p, d, row) != "prometheus":
                    continue
                out.append(Expr(for_promql(q.expr), "query", ("dashboards", i, *loc, "queries", k, "expr"),
                                ("dashboards", i, *loc), f"panel {p.title!r} of dashboard {d.title!r}"))
    return out


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

