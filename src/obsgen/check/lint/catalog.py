"""What the spec says exists: the series of catalogs, recording rules (the spec's and the SLOs'),
declared exporters, Kubernetes presets and Prometheus itself, with their kinds, labels and sample
intervals; and what follows for an expression: the labels its series can carry, and whether it has
a condition (can return nothing while its series exist)."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from obsgen.core import naming
from obsgen.core.exporters import catalogs as exporter_catalogs
from obsgen.core.promql_tree import (
    COMPARISONS,
    KEEP_LABELS,
    SELECTING,
    Agg,
    Bin,
    Fn,
    Lit,
    Sel,
    Sub,
    is_scalar,
    parse,
    vector_arg,
)
from obsgen.resolve.model import Model
from obsgen.resolve.slo import rule_groups
from obsgen.spec.parse import did_you_mean

# ----------------------------------------------------------------------------- what the spec says exists

EXPORTER_PREFIXES = {"node": ("node_",), "postgres": ("pg_", "postgres_exporter_"), "redis": ("redis_",),
                     "kafka": ("kafka_",), "blackbox": ("probe_", "blackbox_exporter_"), "mysql": ("mysql_", "mysqld_exporter_"),
                     "mongodb": ("mongodb_",), "rabbitmq": ("rabbitmq_", "erlang_", "telemetry_"), "nginx": ("nginx_", "nginxplus_"),
                     "haproxy": ("haproxy_",), "elasticsearch": ("elasticsearch_",), "kube-state-metrics": ("kube_",),
                     "jvm": ("jvm_", "jmx_"), "prometheus": ("prometheus_",), "alertmanager": ("alertmanager_",)}
# Kubernetes presets scrape components whose metrics no catalog lists.
PRESET_PREFIXES = {"apiservers": ("apiserver_", "etcd_", "workqueue_", "rest_client_"),
                   "nodes": ("kubelet_", "rest_client_", "storage_operation_", "volume_manager_", "csi_operations_",
                             "dra_", "plugin_manager_", "volume_operation_", "reconstruct_volume_", "force_cleaned_",
                             "workqueue_", "kubernetes_build_info", "kubernetes_feature_enabled",
                             "registered_metrics_total", "disabled_metrics_total", "hidden_metrics_total"),
                   "cadvisor": ("container_", "machine_", "cadvisor_version_info")}
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
    source: str  # catalog | inferred (a catalog's guessed type) | record | exporter | prometheus | mixed
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


def _opens(sc) -> bool:
    """Whether a job's series can carry labels the spec cannot know: a labelmap, a label named from a
    match, honor_labels (the target's own labels win), or an escape hatch."""
    return bool(sc.honor_labels or sc.extra or any(
        (r.action or "replace") == "labelmap" or (r.target_label and "$" in r.target_label)
        for r in (*sc.relabel_configs, *sc.metric_relabel_configs)))


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _dropped(sc, target: bool = False) -> frozenset[str]:
    """Labels a job's metric relabelling removes from its series (with `target`, those its target
    relabelling removes from the target's labels, which come after obsgen's own): a labeldrop of
    plain label names (`pod|instance`); a labelkeep makes every other label go, which the catalog
    cannot list."""
    out: set[str] = set()
    for r in (sc.relabel_configs if target else sc.metric_relabel_configs):
        if r.action == "labeldrop" and r.regex:
            names = r.regex.split("|")
            if all(_NAME.fullmatch(n) for n in names):
                out |= set(names)
    return frozenset(out)


@lru_cache(maxsize=None)
def _series_index(kind: str) -> dict[str, tuple[str | None, tuple[str, ...]]]:
    """An exporter's series by name: (lint's kind, the exporter's own labels). Made once."""
    out: dict[str, tuple[str | None, tuple[str, ...]]] = {}
    for m in exporter_catalogs()[kind].metrics.values():
        for name, lint_kind, labels in _series(m.name, m.type, frozenset(m.labels)):
            out[name] = (lint_kind, tuple(sorted(labels or ())))
    return out


def _with(labels: frozenset[str] | None, label: str) -> frozenset[str] | None:
    """The labels and one more; None (labels unknown) stays None. A metric without labels of its
    own still has its buckets' `le` and its quantiles' `quantile`."""
    return None if labels is None else labels | {label}


def _series(name: str, type_: str, labels: frozenset[str] | None) -> list[tuple[str, str | None, frozenset | None]]:
    """The series a catalog metric of `type_` is scraped as: (name, lint's kind, labels)."""
    if type_ == "histogram":
        return [(f"{name}_bucket", "bucket", _with(labels, "le")), (f"{name}_sum", "counter", labels),
                (f"{name}_count", "counter", labels)]
    if type_ == "summary":
        return [(name, "summary", _with(labels, "quantile")), (f"{name}_sum", "counter", labels),
                (f"{name}_count", "counter", labels)]
    return [(name, type_ if type_ in ("counter", "gauge") else None, labels)]


class Catalog:
    def __init__(self, model: Model):
        g = model.spec.global_
        self.scrape_interval = naming.duration_seconds(g.scrape_interval)
        self.eval_interval = naming.duration_seconds(g.evaluation_interval)
        self.exact: dict[str, Known] = {}
        self._exporters: list[tuple[dict[str, tuple[str | None, tuple[str, ...]]], dict[str, float]]] = []
        self._all_names: list[str] | None = None
        self.prefixes: list[tuple[str, Known]] = []
        # A declared histogram's bucket series -> its largest finite bound (le); None where one of the
        # services declaring it leaves `buckets` unset (the client's defaults: not known here).
        self.top_bucket: dict[str, float | None] = {}
        self._record_labels: dict[str, frozenset[str] | None] = {}
        self._computing: set[str] = set()
        open_jobs = False
        # External labels are added to what leaves Prometheus (remote write, federation, alerts):
        # its own rules and queries never see them. A global ruler reading remote-written series
        # (the mimir target) does.
        self.external = frozenset(g.external_labels)
        self.external_visible = model.spec.output.target == "mimir"
        targets = {"job", "instance", *(g.external_labels if self.external_visible else ())}
        kinds: dict[str, dict[str, float]] = {}
        collectors: dict[str, set[str]] = {}  # exporter kind -> collectors a service of it turns on
        every_job: dict[str, float] = {}
        for s in model.services:
            for p in s.probes:  # synthetic probes: the blackbox exporter's probe_* series
                probe_job = naming.probe_job(s.name, p.name)
                every_job[probe_job] = naming.duration_seconds(p.interval or g.scrape_interval)
                kinds.setdefault("blackbox", {})[probe_job] = every_job[probe_job]
            if s.probes:
                targets |= {naming.PROBE_LABEL, "service"}
            sc = s.scrape
            if sc is None:
                continue
            job, interval = sc.job or s.name, naming.duration_seconds(sc.interval or g.scrape_interval)
            every_job[job] = interval
            targets |= set(sc.labels)
            # What Prometheus' own settings add: static groups' labels, relabelling's target labels;
            # a labelmap, a label named from a match, or honor_labels make the labels unknowable.
            for group in sc.static_configs:
                targets |= {k for k in group.labels if not k.startswith("__")}
            for rule in (*sc.relabel_configs, *sc.metric_relabel_configs):
                if (rule.action or "replace") in ("replace", "hashmod", "lowercase", "uppercase") and \
                        rule.target_label and "$" not in rule.target_label and not rule.target_label.startswith("__"):
                    targets.add(rule.target_label)
            open_jobs |= _opens(sc)
            if sc.kubernetes is not None:
                if sc.kubernetes.preset:
                    open_jobs |= sc.kubernetes.preset in OPEN_LABEL_PRESETS
                    kinds.setdefault(f"preset:{sc.kubernetes.preset}", {})[job] = interval
                else:
                    targets |= _k8s_labels(sc.kubernetes)
            if sc.exporter is not None:
                kinds.setdefault(sc.exporter.kind, {})[job] = interval
                collectors.setdefault(sc.exporter.kind, set()).update(sc.exporter.collectors)
        self.targets = frozenset(targets)
        for s in model.services:
            sc = s.scrape
            open_labels = sc is not None and ((sc.kubernetes is not None and sc.kubernetes.preset in OPEN_LABEL_PRESETS)
                                              or _opens(sc))
            intervals = ({sc.job or s.name: naming.duration_seconds(sc.interval or g.scrape_interval)}
                         if sc is not None else {"": self.scrape_interval})
            dropped = _dropped(sc) if sc is not None else frozenset()
            job_targets = self.targets - _dropped(sc, target=True) if sc is not None else self.targets
            for m in model.metrics(s):  # the type's convention metrics too
                own = None if open_labels else (frozenset(m.labels) | job_targets) - dropped
                series = {"counter": [(m.name, "counter", own)],
                          "gauge": [(m.name, "gauge", own)],
                          "histogram": [(f"{m.name}_bucket", "bucket", _with(own, "le")),
                                        (f"{m.name}_sum", "counter", own), (f"{m.name}_count", "counter", own)],
                          "summary": [(m.name, "summary", _with(own, "quantile")),
                                      (f"{m.name}_sum", "counter", own), (f"{m.name}_count", "counter", own)],
                          }[m.type]
                if m.type == "histogram":
                    bound = max(m.buckets) if m.buckets else None
                    seen = self.top_bucket.get(f"{m.name}_bucket", bound)
                    self.top_bucket[f"{m.name}_bucket"] = None if bound is None or seen is None else max(bound, seen)
                if m.type != "gauge":  # prometheus_client's creation timestamps
                    series.append((f"{m.name.removesuffix('_total')}_created", "gauge", own))
                for name, kind, labels in series:
                    self._add(name, Known(kind, labels, dict(intervals), "inferred" if m.inferred else "catalog"))
            group_interval = naming.duration_seconds(s.rule_group.interval or g.evaluation_interval)
            for r in model.recording_rules(s):
                self._add(r.record, Known(None, None, {"": group_interval}, "record", [(r.expr, frozenset(r.labels))]))
        for group in rule_groups(model.slos):
            for rule in group["rules"]:
                if "record" in rule:
                    self._add(rule["record"], Known(None, None, {"": self.eval_interval}, "record"))
        if model.spec.logging is not None:  # Fluent Bit's counter of error lines, by service
            self._add(model.spec.logging.error_metric, Known("counter", self.targets | {"service"},
                                                             {"": self.scrape_interval}, "exporter"))
        up_labels = None if open_jobs else self.targets
        all_jobs = every_job or {"": self.scrape_interval}
        for name in naming.PROMETHEUS_SCRAPE_SERIES:
            self._add(name, Known("gauge", up_labels, dict(all_jobs), "prometheus"))
        self.prefixes.append(("scrape_", Known("gauge", up_labels, dict(all_jobs), "prometheus")))
        for name in naming.PROMETHEUS_RULE_SERIES:
            self._add(name, Known("gauge", None, {"": self.eval_interval}, "prometheus"))
        self._dynamic: dict[str, str] = {}  # prefix of a run-time family -> its exporter kind
        for kind, jobs in sorted(kinds.items()):
            if kind.startswith("preset:"):
                for prefix in PRESET_PREFIXES.get(kind[7:], ()):
                    self.prefixes.append((prefix, Known(None, None, dict(jobs), "exporter")))
            else:
                self._exporter(exporter_catalogs()[kind], jobs, frozenset(collectors.get(kind, ())))
        if every_job:
            for prefix in CLIENT_PREFIXES:
                self.prefixes.append((prefix, Known(None, None, dict(every_job), "exporter")))
        self.prefixes.sort(key=lambda p: -len(p[0]))

    def _exporter(self, catalog, jobs: dict[str, float], collectors: frozenset[str] = frozenset()) -> None:
        """An exporter's typed catalog: its series are facts (type, labels), and a name it does not
        have is reported like a service's own typo. Families it names at run time are known by
        prefix, without labels, unless the name is a near miss of one it has. Its thousands of
        series are looked up when an expression names one (`lookup`), not copied in."""
        self._exporters.append((_series_index(catalog.kind), dict(jobs)))
        for d in catalog.dynamic:
            if catalog.emits(d, collectors):
                kind = {"counter": "counter", "gauge": "gauge"}.get(d.type or "")
                self.prefixes.append((d.prefix, Known(kind, None, dict(jobs), "exporter")))
                self._dynamic[d.prefix] = catalog.kind

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
            known = self._from_exporters(name)
        if known is None:
            hit = next(((p, k) for p, k in self.prefixes if name.startswith(p)), None)
            if hit is not None and hit[0] in self._dynamic and self._near_miss(name):
                return None  # node_memory_MemAvailble_bytes: a typo, not a run-time family member
            known = hit[1] if hit else None
        return known

    def _series(self, name: str) -> Known | None:
        """A series known by its exact name (the spec's, or an exporter's), prefixes aside."""
        return self.exact.get(name) or self._from_exporters(name)

    def _from_exporters(self, name: str) -> Known | None:
        found = [(index[name], jobs) for index, jobs in self._exporters if name in index]
        if not found:
            return None
        for (kind, labels), jobs in found:  # several exporters of a kind, or two kinds naming one series
            self._add(name, Known(kind, frozenset(labels) | self.targets, dict(jobs), "catalog"))
        return self.exact[name]

    @property
    def _names(self) -> list[str]:
        """Every series name this catalog knows, for "did you mean" (exporters' included)."""
        if self._all_names is None:
            names = set(self.exact)
            for index, _ in self._exporters:
                names.update(index)
            self._all_names = sorted(names)
        return self._all_names

    @lru_cache(maxsize=None)  # noqa: B019 (one catalog per check run)
    def _near_miss(self, name: str) -> bool:
        return bool(difflib.get_close_matches(name, self._names, n=1, cutoff=0.9))

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
            return all(r is not None and condition(self, r) for r in roots)
        finally:
            self._computing.discard(name)

    def declared_kind(self, name: str | None) -> str | None:
        """The kind the spec (a catalog, a recording rule, an exporter's catalog) says a series
        has; None where only its name suggests one."""
        known = self.lookup(name)
        return known.kind if known is not None and known.source != "inferred" else None

    def kind(self, name: str | None) -> str | None:
        """counter, gauge, bucket, summary, or None when the spec does not say."""
        known = self.lookup(name)
        if known is not None and (known.kind is not None or known.source in ("record", "catalog", "mixed")):
            return known.kind
        if name and self._series(f"{name}_bucket") is not None:
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
        bucket = self._series(f"{name}_bucket")
        if bucket is not None and bucket.kind == "bucket":
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
                arg = vector_arg(n)
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



# ----------------------------------------------------------------------------- conditions

def condition(cat: Catalog, n) -> bool:
    """Whether the expression can return nothing while its series exist."""
    if isinstance(n, Bin):
        if n.op in COMPARISONS and not n.bool:
            return True
        if n.op in ("and", "unless"):
            return True
        if n.op == "or":
            return condition(cat, n.lhs) and condition(cat, n.rhs)
        return condition(cat, n.lhs) or condition(cat, n.rhs)
    if isinstance(n, Fn):
        return n.name in ("absent", "absent_over_time") or any(condition(cat, a) for a in n.args)
    if isinstance(n, (Agg, Sub)):
        return condition(cat, n.expr)
    if isinstance(n, Sel):  # a recorded series may carry its rule's condition
        return cat.filtered(n.name)
    return False
