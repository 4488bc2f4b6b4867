"""What the exporters obsgen knows expose: one typed metric catalog per exporter kind.

The sources are the YAML files beside this module (`node.yaml`, `postgres.yaml`, ...), written by
us from each exporter's source and documentation, with a header saying which version was read.
Lint reads `catalogs.json`, made from them (`python -m obsgen.core.exporters` rewrites it; a test
checks it is current), because loading 400 KB of YAML would double `obsgen validate`'s time.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
KINDS = ("node", "postgres", "redis", "kafka", "blackbox", "mysql", "mongodb", "rabbitmq", "nginx", "haproxy",
         "elasticsearch", "kube-state-metrics", "jvm", "prometheus", "alertmanager", "kubelet", "cadvisor")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


@dataclass(frozen=True)
class ExporterMetric:
    name: str
    type: str  # counter | gauge | histogram | summary | untyped
    labels: tuple[str, ...]
    default: bool  # emitted without turning anything on
    collector: str | None = None  # the exporter's collector (or option) that emits it


@dataclass(frozen=True)
class Dynamic:
    """A family whose names the exporter makes at run time (one per /proc/meminfo field, say)."""

    prefix: str
    type: str | None
    default: bool
    collector: str | None = None


@dataclass(frozen=True)
class ExporterCatalog:
    kind: str
    version: str
    metrics: dict[str, ExporterMetric]
    dynamic: tuple[Dynamic, ...]

    @property
    def collectors(self) -> frozenset[str]:
        """The collectors (or options) that add series a default start does not have: what a
        service lists in `scrape.exporter.collectors`."""
        return frozenset(x.collector for x in (*self.metrics.values(), *self.dynamic)
                         if not x.default and x.collector)

    def emits(self, metric: ExporterMetric | Dynamic, collectors=frozenset()) -> bool:
        """Whether an exporter started with these collectors on (besides its defaults) emits it."""
        return metric.default or metric.collector in collectors


def compact(kind: str, doc: dict) -> dict:
    """One exporter's YAML document as the compact form catalogs.json holds."""
    return {"version": str(doc.get("version", "")),
            "metrics": [[m["name"], m["type"], list(m.get("labels") or []), bool(m.get("default", True)),
                         m.get("collector")] for m in sorted(doc["metrics"], key=lambda m: m["name"])],
            "dynamic": [[d["prefix"], d.get("type"), bool(d.get("default", True)), d.get("collector")]
                        for d in doc.get("dynamic") or []]}


def json_text() -> str:
    """catalogs.json as the YAML sources give it."""
    from ruamel.yaml import YAML  # only when rewriting (and in its test)

    yaml = YAML(typ="safe")
    data = {kind: compact(kind, yaml.load((HERE / f"{kind}.yaml").read_text(encoding="utf-8"))) for kind in KINDS
            if (HERE / f"{kind}.yaml").exists()}  # a missing one fails the test that compares with KINDS
    return json.dumps(data, indent=None, separators=(",", ":"), sort_keys=True) + "\n"


class _Catalogs(Mapping):
    """The exporters' catalogs by kind, each built the first time it is read: a spec that scrapes
    two exporters pays for two (building all five was 8 ms of a validate)."""

    def __init__(self, data: dict):
        self._data = data
        self._built: dict[str, ExporterCatalog] = {}

    def __getitem__(self, kind: str) -> ExporterCatalog:
        if kind not in self._built:
            doc = self._data[kind]
            metrics = {name: ExporterMetric(name, type_, tuple(labels), default, collector)
                       for name, type_, labels, default, collector in doc["metrics"]}
            self._built[kind] = ExporterCatalog(kind, doc["version"], metrics, tuple(
                Dynamic(prefix, type_, default, collector) for prefix, type_, default, collector in doc["dynamic"]))
        return self._built[kind]

    def __iter__(self):
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


@lru_cache(maxsize=None)
def catalogs() -> Mapping[str, ExporterCatalog]:
    return _Catalogs(json.loads((HERE / "catalogs.json").read_text(encoding="utf-8")))
