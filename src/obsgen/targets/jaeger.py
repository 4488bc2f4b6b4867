"""Jaeger: file-based sampling strategies and the Kubernetes manifests of an all-in-one Jaeger.

Clients send spans over OTLP (4317 gRPC, 4318 HTTP) or Jaeger's HTTP collector (14268). The
Thrift agent ports (6831/6832 UDP) are left out on purpose: the agent is deprecated and OTLP
replaces it.
"""
from __future__ import annotations

from ..model import Model
from ..output import Artifact, to_json, to_yaml_documents
from ..spec import JaegerSpec, SamplingSpec

NAME = "jaeger"
LABELS = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/part-of": "obsgen-monitoring"}
SAMPLING_CONFIGMAP = "jaeger-sampling"
SAMPLING_FILE = "sampling-strategies.json"
SAMPLING_DIR = "/etc/jaeger/sampling"
BADGER_DIR = "/badger"
# The all-in-one image's own user; stating it keeps runAsNonRoot satisfiable for any image tag.
JAEGER_UID = 10001

# (IANA-valid port name, port), in the order they appear in the Deployment and the Service.
OTLP_PORTS = (("otlp-grpc", 4317), ("otlp-http", 4318))
PORTS = (("ui", 16686), ("collector-http", 14268), ("admin", 14269))


def _probabilistic(param: float) -> dict:
    return {"type": "probabilistic", "param": param}


def sampling_strategies(sampling: SamplingSpec) -> dict:
    """Jaeger's `--sampling.strategies-file` format.

    Operation strategies are repeated in every service strategy, so the file says what it means
    without depending on whether (and how) a Jaeger version merges the default strategy's
    operations into service strategies.
    """
    ops = [{"operation": op, **_probabilistic(p)} for op, p in sorted(sampling.operations.items())]

    def strategy(param: float) -> dict:
        return {**_probabilistic(param), **({"operation_strategies": ops} if ops else {})}

    return {
        "default_strategy": strategy(sampling.default),
        "service_strategies": [{"service": svc, **strategy(p)} for svc, p in sorted(sampling.services.items())],
    }


def _meta(name: str, namespace: str) -> dict:
    return {"name": name, "namespace": namespace, "labels": dict(LABELS)}


def _ports(jaeger: JaegerSpec) -> tuple[tuple[str, int], ...]:
    return (OTLP_PORTS if jaeger.otlp else ()) + PORTS


def _env(jaeger: JaegerSpec) -> list[dict]:
    storage = jaeger.storage
    # Recent images enable OTLP by default, so "false" must be said out loud to switch it off.
    env = {"SPAN_STORAGE_TYPE": storage.type, "COLLECTOR_OTLP_ENABLED": "true" if jaeger.otlp else "false"}
    if storage.type == "elasticsearch":
        es = storage.elasticsearch
        env["ES_SERVER_URLS"] = ",".join(es.urls)
        if es.index_prefix:
            env["ES_INDEX_PREFIX"] = es.index_prefix
        if es.username:
            env["ES_USERNAME"] = es.username
    elif storage.type == "badger":
        # Not ephemeral: keep data in named folders on a volume so a container restart keeps it.
        env.update(BADGER_EPHEMERAL="false", BADGER_DIRECTORY_VALUE=f"{BADGER_DIR}/data",
                   BADGER_DIRECTORY_KEY=f"{BADGER_DIR}/key")
    out = [{"name": k, "value": v} for k, v in env.items()]
    if storage.type == "elasticsearch" and storage.elasticsearch.password_secret:
        ref = storage.elasticsearch.password_secret
        out.append({"name": "ES_PASSWORD", "valueFrom": {"secretKeyRef": {"name": ref.name, "key": ref.key}}})
    return out


def _probe(initial_delay: int, period: int) -> dict:
    # A fresh dict each time: a shared one would be dumped as a YAML anchor and alias.
    return {"httpGet": {"path": "/", "port": "admin"}, "initialDelaySeconds": initial_delay, "periodSeconds": period}


def _deployment(jaeger: JaegerSpec) -> dict:
    mounts = [{"name": "sampling", "mountPath": SAMPLING_DIR, "readOnly": True}]
    volumes = [{"name": "sampling", "configMap": {"name": SAMPLING_CONFIGMAP}}]
    if jaeger.storage.type == "badger":
        mounts.append({"name": "badger", "mountPath": BADGER_DIR})
        volumes.append({"name": "badger", "emptyDir": {}})
    res = jaeger.resources
    container = {
        "name": NAME,
        "image": jaeger.image,
        "args": [
            f"--sampling.strategies-file={SAMPLING_DIR}/{SAMPLING_FILE}",
            # Pick up ConfigMap edits without a restart, which would lose in-memory traces.
            "--sampling.strategies-reload-interval=60s",
        ],
        "ports": [{"name": n, "containerPort": p, "protocol": "TCP"} for n, p in _ports(jaeger)],
        "env": _env(jaeger),
        "readinessProbe": _probe(initial_delay=5, period=10),
        "livenessProbe": _probe(initial_delay=15, period=20),
        "resources": {
            "requests": {"cpu": res.requests.cpu, "memory": res.requests.memory},
            "limits": {"cpu": res.limits.cpu, "memory": res.limits.memory},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": mounts,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(NAME, jaeger.namespace),
        "spec": {
            "replicas": jaeger.replicas,
            "selector": {"matchLabels": dict(LABELS)},
            "template": {
                "metadata": {"labels": dict(LABELS)},
                "spec": {
                    # Jaeger never talks to the Kubernetes API.
                    "automountServiceAccountToken": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": JAEGER_UID,
                        "runAsGroup": JAEGER_UID,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container],
                    "volumes": volumes,
                },
            },
        },
    }


def _service(jaeger: JaegerSpec) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(NAME, jaeger.namespace),
        "spec": {
            "type": "ClusterIP",
            "selector": dict(LABELS),
            "ports": [{"name": n, "port": p, "targetPort": n, "protocol": "TCP"} for n, p in _ports(jaeger)],
        },
    }


def _configmap(jaeger: JaegerSpec, strategies_json: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(SAMPLING_CONFIGMAP, jaeger.namespace),
        "data": {SAMPLING_FILE: strategies_json},
    }


class JaegerTarget:
    name = "jaeger"

    def generate(self, model: Model) -> list[Artifact]:
        tracing = model.spec.tracing
        if tracing is None:
            return []
        strategies = to_json(sampling_strategies(tracing.sampling))
        docs = [_configmap(tracing.jaeger, strategies), _deployment(tracing.jaeger), _service(tracing.jaeger)]
        return [
            Artifact(f"jaeger/{SAMPLING_FILE}", strategies),
            Artifact("jaeger/jaeger.yaml", to_yaml_documents(docs, model.header())),
        ]
