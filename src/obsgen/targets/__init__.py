"""Targets turn a valid model into artifacts. One small protocol, one registry.

A target assumes the model is valid and never reports user errors; it returns files as
(path, text) with paths relative to the environment's output folder.
"""
from __future__ import annotations

from typing import Callable, Protocol

from obsgen.resolve.model import Model
from obsgen.core.serialise import Artifact


class Target(Protocol):
    name: str

    def generate(self, model: Model) -> list[Artifact]: ...


def _registry() -> dict[str, Callable[[], Target]]:
    # Imported lazily: `obsgen validate` must not pay for grafanalib or jinja2.
    def load(module: str, cls: str) -> Callable[[], Target]:
        def make() -> Target:
            import importlib

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
_COMMON = ("alertmanager", "jaeger", "otel", "silenced", "instrumentation", "blackbox", "logging")
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
