"""Jaeger v2's configuration file, in the OpenTelemetry Collector's format.

Spans come in over OTLP only (the Thrift agent and Jaeger's own protocols are left out), go through
`batch` and are written by `jaeger_storage_exporter` to the one storage backend `jaeger_storage`
declares, which `jaeger_query` (the UI) reads too. `remote_sampling` serves the strategies file that
the jaeger target mounts beside this file, and re-reads it, so a new ConfigMap reaches SDKs without a
restart. `healthcheckv2` answers the kubelet's probes.

Every endpoint is spelled out on 0.0.0.0: the Collector's components default to localhost, which
nothing outside the pod reaches. The Elasticsearch password is the `${env:ES_PASSWORD}` reference,
expanded by the Collector from the container's environment, which the Deployment fills from the
Secret: the value is never in the file.
"""
from __future__ import annotations

from obsgen.spec import JaegerSpec

STORAGE = "primary"  # the name jaeger_storage gives the backend; jaeger_query and the exporter refer to it
MEMORY_MAX_TRACES = 100_000  # Jaeger's own example value: bounds the memory store below the pod's limit
PASSWORD_ENV = "ES_PASSWORD"
BADGER_DIR = "/badger"
RELOAD_INTERVAL = "60s"  # about how long the kubelet takes to update a mounted ConfigMap

# name: port, for the config, the container and the Service alike.
OTLP_GRPC, OTLP_HTTP, UI, SAMPLING_HTTP, SAMPLING_GRPC, HEALTH = 4317, 4318, 16686, 5778, 5779, 13133
HEALTH_PATH = "/status"  # healthcheckv2's status endpoint (use_v2)


def _listen(port: int) -> dict:
    return {"endpoint": f"0.0.0.0:{port}"}


def _backend(jaeger: JaegerSpec) -> dict:
    storage = jaeger.storage
    if storage.type == "memory":
        return {"memory": {"max_traces": MEMORY_MAX_TRACES}}
    if storage.type == "badger":
        # Not ephemeral: keep the data in folders on the pod's volume, so a container restart keeps it.
        return {"badger": {"ephemeral": False,
                           "directories": {"keys": f"{BADGER_DIR}/key", "values": f"{BADGER_DIR}/data"}}}
    es = storage.elasticsearch
    out: dict = {"server_urls": list(es.urls)}
    if es.index_prefix:
        out["indices"] = {"index_prefix": es.index_prefix}
    basic = {}
    if es.username:
        basic["username"] = es.username
    if es.password_secret:
        basic["password"] = "${env:%s}" % PASSWORD_ENV
    if basic:
        out["auth"] = {"basic": basic}
    return {"elasticsearch": out}


def config(jaeger: JaegerSpec, strategies_path: str) -> dict:
    """The configuration; `strategies_path` is where the pod sees the strategies file."""
    # OTLP is the only receiver, so it is always on: the spec check refuses `otlp: false` with v2.
    # In the order Jaeger's own configurations start them: storage before what reads it.
    extensions = {
        "jaeger_storage": {"backends": {STORAGE: _backend(jaeger)}},
        "jaeger_query": {"storage": {"traces": STORAGE}, "http": _listen(UI)},
        "remote_sampling": {
            # No default_sampling_probability: the file always has a default strategy, and leaving
            # sampling out of this file keeps a sampling change from restarting the pods.
            "file": {"path": strategies_path, "reload_interval": RELOAD_INTERVAL},
            "http": _listen(SAMPLING_HTTP),
            "grpc": _listen(SAMPLING_GRPC),
        },
        "healthcheckv2": {"use_v2": True, "http": _listen(HEALTH)},
    }
    return {
        "extensions": extensions,
        "receivers": {"otlp": {"protocols": {"grpc": _listen(OTLP_GRPC), "http": _listen(OTLP_HTTP)}}},
        "processors": {"batch": {}},
        "exporters": {"jaeger_storage_exporter": {"trace_storage": STORAGE}},
        "service": {
            "extensions": list(extensions),
            "pipelines": {"traces": {"receivers": ["otlp"], "processors": ["batch"],
                                     "exporters": ["jaeger_storage_exporter"]}},
        },
    }


# The Collector's top-level sections, and the components a pipeline may name per section.
_SECTIONS = ("receivers", "processors", "exporters")
_TOP_LEVEL = {"extensions", "service", "connectors", *_SECTIONS}


def config_problems(doc) -> list[str]:
    """What the Collector or Jaeger would refuse at start-up in a v2 configuration (for `obsgen check`,
    which has no Jaeger binary to ask): unknown sections, pipeline components or extensions that are
    not declared, storage names that jaeger_storage does not define."""
    if not isinstance(doc, dict):
        return ["a Jaeger configuration must be a mapping"]
    problems = [f"unknown top-level key `{k}`" for k in sorted(set(doc) - _TOP_LEVEL)]
    service = doc.get("service") or {}
    extensions = doc.get("extensions") or {}
    for name in service.get("extensions") or []:
        if name not in extensions:
            problems.append(f"service.extensions names `{name}`, which `extensions` does not declare")
    pipelines = service.get("pipelines") or {}
    if not pipelines:
        problems.append("service.pipelines is empty: the Collector needs at least one pipeline")
    for pipe, components in sorted(pipelines.items()):
        for section in _SECTIONS:
            names = (components or {}).get(section) or []
            if not names and section != "processors":
                problems.append(f"pipeline {pipe} has no {section}")
            problems += [f"pipeline {pipe} names {section[:-1]} `{n}`, which `{section}` does not declare"
                         for n in names if n not in (doc.get(section) or {})]
    backends = (extensions.get("jaeger_storage") or {}).get("backends") or {}
    query = (extensions.get("jaeger_query") or {}).get("storage") or {}
    exporter = (doc.get("exporters") or {}).get("jaeger_storage_exporter") or {}
    refs = [("jaeger_query storage.traces", query.get("traces")),
            ("jaeger_storage_exporter trace_storage", exporter.get("trace_storage"))]
    problems += [f"{where} is `{name}`, which jaeger_storage.backends does not define"
                 for where, name in refs if name is not None and name not in backends]
    return problems
