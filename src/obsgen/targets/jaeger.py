"""Jaeger: the sampling strategies file and the Kubernetes manifests that run Jaeger, in one of two
variants.

- `v2` (default): Jaeger 2, an OpenTelemetry Collector build, configured by `jaeger/config.yaml`
  (see jaeger_config). Manifests: a ConfigMap with that file, a ConfigMap with the strategies, a
  Deployment running `--config`, a Service with OTLP (4317/4318), the UI (16686) and remote sampling
  (5778 HTTP, 5779 gRPC).
- `v1-all-in-one`: the Jaeger 1.x all-in-one image configured by flags and environment variables,
  for users not ready to move (1.x is end of life). Service: OTLP, UI, the HTTP collector (14268)
  and the admin port (14269).

Neither exposes the Thrift agent ports (6831/6832 UDP): the agent is deprecated and OTLP replaces it.
"""
from __future__ import annotations

import hashlib

from obsgen.core.serialise import Artifact, to_json, to_yaml, to_yaml_documents
from obsgen.resolve.model import Model
from obsgen.spec import JaegerSpec
from obsgen.targets import jaeger_config as v2
from obsgen.targets.jaeger_sampling import sampling_strategies

NAME = "jaeger"
LABELS = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/part-of": "obsgen-monitoring"}
IMAGES = {"v2": "jaegertracing/jaeger:2.11.0", "v1-all-in-one": "jaegertracing/all-in-one:1.62.0"}
SAMPLING_CONFIGMAP = "jaeger-sampling"
SAMPLING_FILE = "sampling-strategies.json"
SAMPLING_DIR = "/etc/jaeger/sampling"
CONFIG_CONFIGMAP = "jaeger-config"
CONFIG_FILE = "config.yaml"
# Its own folder, not /etc/jaeger/config.yaml through subPath: a subPath mount never sees ConfigMap
# updates, and nesting the sampling folder inside a ConfigMap volume fails on its read-only files.
CONFIG_DIR = "/etc/jaeger/config"
# The images' own user; stating it keeps runAsNonRoot satisfiable for any image tag.
JAEGER_UID = 10001

# (IANA-valid port name, port), in the order they appear in the Deployment and the Service.
OTLP_PORTS = (("otlp-grpc", v2.OTLP_GRPC), ("otlp-http", v2.OTLP_HTTP))
V1_PORTS = (("ui", 16686), ("collector-http", 14268), ("admin", 14269))
V2_PORTS = (("ui", v2.UI), ("sampling-http", v2.SAMPLING_HTTP), ("sampling-grpc", v2.SAMPLING_GRPC))
V2_HEALTH = ("health", v2.HEALTH)  # probed by the kubelet only: not in the Service


def image(jaeger: JaegerSpec) -> str:
    return jaeger.image or IMAGES[jaeger.variant]


def _meta(name: str, namespace: str) -> dict:
    return {"name": name, "namespace": namespace, "labels": dict(LABELS)}


def _configmap(jaeger: JaegerSpec, name: str, filename: str, text: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(name, jaeger.namespace),
            "data": {filename: text}}


def _probe(port: str, path: str, initial_delay: int, period: int) -> dict:
    # A fresh dict each time: a shared one would be dumped as a YAML anchor and alias.
    return {"httpGet": {"path": path, "port": port}, "initialDelaySeconds": initial_delay, "periodSeconds": period}


def _password_env(jaeger: JaegerSpec) -> list[dict]:
    es = jaeger.storage.elasticsearch
    if jaeger.storage.type != "elasticsearch" or es.password_secret is None:
        return []
    ref = es.password_secret
    return [{"name": v2.PASSWORD_ENV, "valueFrom": {"secretKeyRef": {"name": ref.name, "key": ref.key}}}]


def _v1_env(jaeger: JaegerSpec) -> list[dict]:
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
        env.update(BADGER_EPHEMERAL="false", BADGER_DIRECTORY_VALUE=f"{v2.BADGER_DIR}/data",
                   BADGER_DIRECTORY_KEY=f"{v2.BADGER_DIR}/key")
    return [{"name": k, "value": v} for k, v in env.items()] + _password_env(jaeger)


def _container(jaeger: JaegerSpec, args: list[str], ports, env: list[dict], probe: tuple[str, str],
               mounts: list[dict]) -> dict:
    res = jaeger.resources
    container = {
        "name": NAME,
        "image": image(jaeger),
        "args": args,
        "ports": [{"name": n, "containerPort": p, "protocol": "TCP"} for n, p in ports],
        "env": env,
        "readinessProbe": _probe(*probe, initial_delay=5, period=10),
        "livenessProbe": _probe(*probe, initial_delay=15, period=20),
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
    if not env:
        del container["env"]
    return container


def _deployment(jaeger: JaegerSpec, container: dict, volumes: list[dict], annotations: dict) -> dict:
    template_meta: dict = {"labels": dict(LABELS)}
    if annotations:
        template_meta["annotations"] = annotations
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(NAME, jaeger.namespace),
        "spec": {
            "replicas": jaeger.replicas,
            "selector": {"matchLabels": dict(LABELS)},
            "template": {
                "metadata": template_meta,
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


def _service(jaeger: JaegerSpec, ports) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(NAME, jaeger.namespace),
        "spec": {
            "type": "ClusterIP",
            "selector": dict(LABELS),
            "ports": [{"name": n, "port": p, "targetPort": n, "protocol": "TCP"} for n, p in ports],
        },
    }


def _volumes(jaeger: JaegerSpec, configmaps: dict[str, tuple[str, str]]) -> tuple[list[dict], list[dict]]:
    """Mounts and volumes: each ConfigMap (volume name: (ConfigMap, folder)) read-only, and badger's folder."""
    mounts = [{"name": vol, "mountPath": path, "readOnly": True} for vol, (_, path) in configmaps.items()]
    volumes = [{"name": vol, "configMap": {"name": cm}} for vol, (cm, _) in configmaps.items()]
    if jaeger.storage.type == "badger":
        mounts.append({"name": "badger", "mountPath": v2.BADGER_DIR})
        volumes.append({"name": "badger", "emptyDir": {}})
    return mounts, volumes


def _v1_manifests(jaeger: JaegerSpec, strategies: str) -> list[dict]:
    ports = (OTLP_PORTS if jaeger.otlp else ()) + V1_PORTS
    mounts, volumes = _volumes(jaeger, {"sampling": (SAMPLING_CONFIGMAP, SAMPLING_DIR)})
    args = [
        f"--sampling.strategies-file={SAMPLING_DIR}/{SAMPLING_FILE}",
        # Pick up ConfigMap edits without a restart, which would lose in-memory traces.
        f"--sampling.strategies-reload-interval={v2.RELOAD_INTERVAL}",
    ]
    container = _container(jaeger, args, ports, _v1_env(jaeger), ("admin", "/"), mounts)
    return [_configmap(jaeger, SAMPLING_CONFIGMAP, SAMPLING_FILE, strategies),
            _deployment(jaeger, container, volumes, {}), _service(jaeger, ports)]


def _v2_manifests(jaeger: JaegerSpec, strategies: str, config_text: str) -> list[dict]:
    ports = OTLP_PORTS + V2_PORTS
    mounts, volumes = _volumes(jaeger, {"config": (CONFIG_CONFIGMAP, CONFIG_DIR),
                                        "sampling": (SAMPLING_CONFIGMAP, SAMPLING_DIR)})
    container = _container(jaeger, [f"--config={CONFIG_DIR}/{CONFIG_FILE}"], ports + (V2_HEALTH,),
                           _password_env(jaeger), (V2_HEALTH[0], v2.HEALTH_PATH), mounts)
    # The Collector reads its configuration once: a changed digest rolls the pods so a new one
    # takes effect. Strategies are re-read in place and need no such annotation.
    digest = {"checksum/config": hashlib.sha256(config_text.encode()).hexdigest()}
    return [_configmap(jaeger, CONFIG_CONFIGMAP, CONFIG_FILE, config_text),
            _configmap(jaeger, SAMPLING_CONFIGMAP, SAMPLING_FILE, strategies),
            _deployment(jaeger, container, volumes, digest), _service(jaeger, ports)]


class JaegerTarget:
    name = "jaeger"

    def generate(self, model: Model) -> list[Artifact]:
        tracing = model.spec.tracing
        if tracing is None:
            return []
        jaeger = tracing.jaeger
        strategies = to_json(sampling_strategies(tracing.sampling))
        out = [Artifact(f"jaeger/{SAMPLING_FILE}", strategies)]
        if jaeger.variant == "v1-all-in-one":
            docs = _v1_manifests(jaeger, strategies)
        else:
            config = v2.config(jaeger, f"{SAMPLING_DIR}/{SAMPLING_FILE}")
            config_text = to_yaml(config, model.header())
            out.append(Artifact(f"jaeger/{CONFIG_FILE}", config_text))
            docs = _v2_manifests(jaeger, strategies, config_text)
        out.append(Artifact("jaeger/jaeger.yaml", to_yaml_documents(docs, model.header())))
        return sorted(out, key=lambda a: a.path)
