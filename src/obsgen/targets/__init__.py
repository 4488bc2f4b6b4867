"""Targets turn a valid model into artifacts. One small protocol, one registry.

A target assumes the model is valid and never reports user errors; it returns files as
(path, text) with paths relative to the environment's output folder. Each target declares the
files it writes (`WRITES`: a kind and a path pattern per kind of file); `obsgen check` and
`obsgen diff` find a tree's files by those declarations, so a target's paths are said once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Protocol

from obsgen.core.serialise import Artifact

if TYPE_CHECKING:  # importing the models costs `obsgen check` start-up it does not need
    from obsgen.resolve.model import Model


class Target(Protocol):
    name: str

    def generate(self, model: Model) -> list[Artifact]: ...


@dataclass(frozen=True)
class Writes:
    """A kind of file a target writes, and where: a path below an environment's folder, where
    `*` stands for any name and `**/` for any folders."""

    kind: str
    pattern: str

    @property
    def regex(self) -> re.Pattern[str]:
        parts = re.split(r"(\*\*/|\*)", self.pattern)
        body = "".join("(?:[^/]+/)*" if p == "**/" else "[^/]*" if p == "*" else re.escape(p) for p in parts)
        return re.compile(body)


# What each target writes, most specific first: a path is of the first kind it matches.
WRITES: dict[str, tuple[Writes, ...]] = {
    "prometheus": (Writes("prometheus-config", "prometheus/prometheus.yml"),
                   Writes("prometheus-config", "prometheus/prometheus-*.yml")),
    "slo": (Writes("rules", "prometheus/rules/*.slo.rules.yml"), Writes("rule-tests", "prometheus/tests/*.yml")),
    "rules": (Writes("rules", "prometheus/rules/*.yml"), Writes("rule-tests", "prometheus/tests/*.rules.test.yml"),
              Writes("rule-tests", "prometheus/tests/*.rules.*.test.yml")),
    "alertmanager": (Writes("alertmanager-config", "alertmanager/alertmanager.yml"),
                     Writes("routing-tests", "alertmanager/routing-tests.yaml"),
                     Writes("alertmanager-templates", "alertmanager/templates/*.tmpl")),
    "grafana": (Writes("dashboard", "grafana/dashboards/**/*.json"),
                Writes("grafana-provisioning", "grafana/provisioning/**/*.yaml")),
    "jaeger": (Writes("jaeger-config", "jaeger/config.yaml"),
               Writes("sampling-strategies", "jaeger/sampling-strategies.json"),
               Writes("jaeger-manifests", "jaeger/*.yaml")),
    "otel": (Writes("otel-env", "instrumentation/otel/*.env"),
             Writes("otel-configmap", "instrumentation/otel/*.configmap.yaml")),
    "silenced": (Writes("silenced", "silenced.yaml"),),
    "runbooks": (Writes("runbooks", "runbooks/*.md"),),
    "instrumentation": (Writes("python-module", "instrumentation/python/*.py"),),
    "blackbox": (Writes("blackbox-config", "blackbox/blackbox.yml"),),
    "mimir": (Writes("mimir-namespace", "mimir/rules/*.yaml"),),
    "operator": (Writes("operator-rules", "operator/rules/*.yaml"),
                 Writes("operator-alertmanager-secret", "operator/alertmanager/config-secret.yaml"),
                 Writes("operator-resources", "operator/**/*.yaml")),
    "logging": (Writes("fluent-bit-config", "logging/fluent-bit/*.yaml"),
                Writes("elasticsearch-bodies", "logging/elasticsearch/**/*.json")),
}


@lru_cache(maxsize=None)
def _declared() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((w.kind, w.regex) for writes in WRITES.values() for w in writes)


def file_kind(path: str) -> tuple[str, str] | None:
    """(kind, path below its environment's folder) of a file obsgen writes, from the targets'
    declarations; None for a file no target writes. `path` may start at any folder above the
    environment's (a built tree's root, or an environment folder itself)."""
    parts = path.split("/")
    for start in range(len(parts)):
        rel = "/".join(parts[start:])
        for kind, regex in _declared():
            if regex.fullmatch(rel):
                return kind, rel
    return None


def _registry() -> dict[str, Callable[[], Target]]:
    # Imported lazily: `obsgen validate` must not pay for grafanalib or jinja2.
    def load(module: str, cls: str) -> Callable[[], Target]:
        def make() -> Target:
            import importlib  # the registry loads each target when it is first used

            return getattr(importlib.import_module(f"{__name__}.{module}"), cls)()
        return make

    return {
        "prometheus": load("prometheus", "PrometheusTarget"),
        "rules": load("rules", "RulesTarget"),
        "slo": load("slo", "SLOTarget"),
        "alertmanager": load("alertmanager", "AlertmanagerTarget"),
        "grafana": load("grafana", "GrafanaTarget"),
        "jaeger": load("jaeger", "JaegerTarget"),
        "otel": load("otel", "OtelTarget"),
        "silenced": load("silenced", "SilencedTarget"),
        "runbooks": load("runbooks", "RunbooksTarget"),
        "instrumentation": load("instrumentation", "InstrumentationTarget"),
        "blackbox": load("blackbox", "BlackboxTarget"),
        "mimir": load("mimir", "MimirTarget"),
        "operator": load("operator", "OperatorTarget"),
        "logging": load("logging", "LoggingTarget"),
    }


REGISTRY = _registry()

# What each output target (`output.target`, `obsgen build --target`) writes. The Prometheus side
# differs; the rest (Alertmanager, tracing, logs, application code) is the same everywhere.
# alertmanager.yml is kept under the operator target too: its Secret or AlertmanagerConfigs are
# made from it, and `obsgen check` and `obsgen drill` test routing on it.
_COMMON = ("alertmanager", "jaeger", "otel", "silenced", "runbooks", "instrumentation", "blackbox", "logging")
OUTPUT_TARGETS: dict[str, tuple[str, ...]] = {
    "files": ("prometheus", "rules", "slo", "grafana") + _COMMON,
    "operator": ("operator",) + _COMMON,
    "mimir": ("prometheus", "mimir", "grafana") + _COMMON,
}


def generate_all(model: Model, names: list[str] | None = None, output: str | None = None) -> list[Artifact]:
    """The model's artifacts: those of `names`, or of the output target (`output`, else the spec's)."""
    out: list[Artifact] = []
    for name in names or OUTPUT_TARGETS[output or model.spec.output.target]:
        out.extend(REGISTRY[name]().generate(model))
    return sorted(out, key=lambda a: a.path)
