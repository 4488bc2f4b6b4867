"""The Jaeger target: sampling strategies file and Kubernetes manifests for all-in-one Jaeger."""
from __future__ import annotations

import json
import re
import textwrap

import kubernetes_validate
import pytest
from ruamel.yaml import YAML

from obsgen.api import load_texts
from obsgen.model import Model
from obsgen.targets import REGISTRY
from obsgen.targets.jaeger import JaegerTarget

# Kubernetes release whose schemas (shipped with kubernetes-validate) the manifests must satisfy.
K8S_VERSION = "1.31.0"
IANA_PORT_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?=[a-z0-9]))*$")

TEAMS_AND_SERVICES = """\
teams:
  - name: platform
services:
  - name: trading-api
    team: platform
  - name: auth
    team: platform
"""

MEMORY = """\
apiVersion: obsgen/v1
tracing: {}
"""

ELASTICSEARCH = "apiVersion: obsgen/v1\n" + TEAMS_AND_SERVICES + """\
tracing:
  jaeger:
    namespace: observability
    storage:
      type: elasticsearch
      elasticsearch:
        urls: [http://es-1:9200, http://es-2:9200]
        index_prefix: obsgen
        username: jaeger
        password_secret: {name: es-credentials, key: password}
  sampling:
    default: 0.01
    services: {trading-api: 0.5, auth: 0.1}
    operations: {/health: 0.0, /metrics: 0.0}
"""

BADGER = """\
apiVersion: obsgen/v1
tracing:
  jaeger:
    storage: {type: badger}
    resources:
      requests: {cpu: 250m, memory: 512Mi}
      limits: {cpu: "2", memory: 4Gi}
"""

NO_OTLP = """\
apiVersion: obsgen/v1
tracing:
  jaeger: {otlp: false}
"""

ENVIRONMENTS = """\
apiVersion: obsgen/v1
tracing:
  jaeger: {storage: {type: memory}}
environments:
  production: {tracing: {sampling: {default: 0.01}}}
  development: {tracing: {sampling: {default: 1.0}}}
"""

CASES = {"memory": MEMORY, "elasticsearch": ELASTICSEARCH, "badger": BADGER, "no-otlp": NO_OTLP,
         "environments": ENVIRONMENTS}


def models(text: str) -> dict[str, Model]:
    project = load_texts({"tracing.yaml": text})
    assert project.diagnostics == []
    return {m.env: m for m in project.models}


def model(text: str) -> Model:
    (only,) = models(text).values()
    return only


def files(m: Model) -> dict[str, str]:
    return {a.path: a.content for a in JaegerTarget().generate(m)}


def strategies(m: Model) -> dict:
    return json.loads(files(m)["jaeger/sampling-strategies.json"])


def manifests(m: Model) -> dict[str, dict]:
    docs = list(YAML(typ="safe", pure=True).load_all(files(m)["jaeger/jaeger.yaml"]))
    return {d["kind"]: d for d in docs}


def container(m: Model) -> dict:
    (c,) = manifests(m)["Deployment"]["spec"]["template"]["spec"]["containers"]
    return c


def env(m: Model) -> dict[str, dict]:
    return {e["name"]: e for e in container(m)["env"]}


def every_model() -> list:
    return [pytest.param(m, id=f"{case}-{name}")
            for case, text in CASES.items() for name, m in models(text).items()]


# ----------------------------------------------------------------------------- artifacts

def test_a_spec_without_tracing_generates_no_jaeger_files():
    assert JaegerTarget().generate(model("apiVersion: obsgen/v1\n")) == []


def test_the_registry_builds_the_jaeger_target():
    assert REGISTRY["jaeger"]().name == "jaeger"


def test_tracing_writes_a_strategies_file_and_one_manifest_file():
    assert sorted(files(model(MEMORY))) == ["jaeger/jaeger.yaml", "jaeger/sampling-strategies.json"]


def test_manifests_start_with_the_generated_by_obsgen_header():
    m = model(MEMORY)
    first = files(m)["jaeger/jaeger.yaml"].splitlines()[0]
    assert first == f"# {m.header()}"


# ----------------------------------------------------------------------------- sampling

def test_default_sampling_keeps_every_trace_and_has_no_service_strategies():
    assert strategies(model(MEMORY)) == {
        "default_strategy": {"type": "probabilistic", "param": 1.0},
        "service_strategies": [],
    }


def test_service_and_operation_strategies_follow_jaegers_format_sorted_by_name():
    ops = [{"operation": "/health", "type": "probabilistic", "param": 0.0},
           {"operation": "/metrics", "type": "probabilistic", "param": 0.0}]
    assert strategies(model(ELASTICSEARCH)) == {
        "default_strategy": {"type": "probabilistic", "param": 0.01, "operation_strategies": ops},
        "service_strategies": [
            {"service": "auth", "type": "probabilistic", "param": 0.1, "operation_strategies": ops},
            {"service": "trading-api", "type": "probabilistic", "param": 0.5, "operation_strategies": ops},
        ],
    }


def test_production_samples_one_percent_and_development_every_trace():
    by_env = models(ENVIRONMENTS)
    assert strategies(by_env["production"])["default_strategy"]["param"] == 0.01
    assert strategies(by_env["development"])["default_strategy"]["param"] == 1.0


def test_the_configmap_holds_the_same_strategies_as_the_strategies_file():
    m = model(ELASTICSEARCH)
    data = manifests(m)["ConfigMap"]["data"]
    assert data == {"sampling-strategies.json": files(m)["jaeger/sampling-strategies.json"]}


def test_jaeger_reads_strategies_from_the_mounted_configmap():
    m = model(MEMORY)
    pod = manifests(m)["Deployment"]["spec"]["template"]["spec"]
    c = container(m)
    assert "--sampling.strategies-file=/etc/jaeger/sampling/sampling-strategies.json" in c["args"]
    (mount,) = [v for v in c["volumeMounts"] if v["mountPath"] == "/etc/jaeger/sampling"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert volume["configMap"]["name"] == manifests(m)["ConfigMap"]["metadata"]["name"]


# ----------------------------------------------------------------------------- kubernetes

@pytest.mark.parametrize("m", every_model())
def test_every_manifest_passes_strict_kubernetes_schema_validation(m):
    docs = manifests(m)
    assert sorted(docs) == ["ConfigMap", "Deployment", "Service"]
    for doc in docs.values():
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_strict_validation_would_catch_a_misspelt_field():
    deployment = manifests(model(MEMORY))["Deployment"]
    deployment["spec"]["replica"] = 1
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


@pytest.mark.parametrize("m", every_model())
def test_manifests_start_with_api_version_kind_metadata(m):
    for doc in manifests(m).values():
        assert list(doc)[:3] == ["apiVersion", "kind", "metadata"]


def test_the_deployment_selector_matches_its_pod_labels():
    spec = manifests(model(MEMORY))["Deployment"]["spec"]
    labels = {"app.kubernetes.io/name": "jaeger", "app.kubernetes.io/part-of": "obsgen-monitoring"}
    assert spec["selector"]["matchLabels"] == labels
    assert spec["template"]["metadata"]["labels"] == labels


def test_the_service_selects_the_jaeger_pods():
    docs = manifests(model(MEMORY))
    assert docs["Service"]["spec"]["selector"] == docs["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert docs["Service"]["spec"]["type"] == "ClusterIP"


def test_everything_goes_into_the_namespace_and_image_from_the_spec():
    m = model(ELASTICSEARCH)
    assert {d["metadata"]["namespace"] for d in manifests(m).values()} == {"observability"}
    assert container(m)["image"] == "jaegertracing/all-in-one:1.62.0"
    assert manifests(m)["Deployment"]["spec"]["replicas"] == 1


EXPECTED_PORTS = {"otlp-grpc": 4317, "otlp-http": 4318, "ui": 16686, "collector-http": 14268, "admin": 14269}


def test_the_container_and_the_service_expose_otlp_ui_collector_and_admin_ports():
    docs = manifests(model(MEMORY))
    assert {p["name"]: p["containerPort"] for p in container(model(MEMORY))["ports"]} == EXPECTED_PORTS
    service_ports = docs["Service"]["spec"]["ports"]
    assert {p["name"]: p["port"] for p in service_ports} == EXPECTED_PORTS
    assert all(p["targetPort"] == p["name"] for p in service_ports)


def test_legacy_thrift_agent_ports_are_not_exposed():
    ports = {p["containerPort"] for p in container(model(MEMORY))["ports"]}
    assert not ports & {5775, 6831, 6832, 5778}


def test_port_names_are_valid_iana_service_names():
    for p in manifests(model(MEMORY))["Service"]["spec"]["ports"]:
        assert len(p["name"]) <= 15 and IANA_PORT_NAME.match(p["name"]), p["name"]


def test_otlp_is_enabled_with_its_ports_by_default():
    assert env(model(MEMORY))["COLLECTOR_OTLP_ENABLED"]["value"] == "true"


def test_turning_otlp_off_drops_its_ports_and_says_so_to_jaeger():
    m = model(NO_OTLP)
    assert env(m)["COLLECTOR_OTLP_ENABLED"]["value"] == "false"
    names = {p["name"] for p in container(m)["ports"]} | {p["name"] for p in manifests(m)["Service"]["spec"]["ports"]}
    assert names == {"ui", "collector-http", "admin"}


def test_readiness_and_liveness_probes_hit_the_admin_port():
    c = container(model(MEMORY))
    for probe in (c["readinessProbe"], c["livenessProbe"]):
        assert probe["httpGet"] == {"path": "/", "port": "admin"}
    assert {p["name"]: p["containerPort"] for p in c["ports"]}["admin"] == 14269


def test_resources_come_from_the_spec():
    assert container(model(BADGER))["resources"] == {
        "requests": {"cpu": "250m", "memory": "512Mi"},
        "limits": {"cpu": "2", "memory": "4Gi"},
    }


def test_the_pod_runs_as_non_root_without_privilege_escalation():
    m = model(MEMORY)
    assert manifests(m)["Deployment"]["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    assert container(m)["securityContext"]["allowPrivilegeEscalation"] is False


# ----------------------------------------------------------------------------- storage

def test_memory_storage_sets_only_the_storage_type():
    assert {k: e["value"] for k, e in env(model(MEMORY)).items()} == {
        "SPAN_STORAGE_TYPE": "memory", "COLLECTOR_OTLP_ENABLED": "true"}


def test_elasticsearch_storage_joins_urls_and_sets_prefix_and_username():
    e = env(model(ELASTICSEARCH))
    assert e["SPAN_STORAGE_TYPE"]["value"] == "elasticsearch"
    assert e["ES_SERVER_URLS"]["value"] == "http://es-1:9200,http://es-2:9200"
    assert e["ES_INDEX_PREFIX"]["value"] == "obsgen"
    assert e["ES_USERNAME"]["value"] == "jaeger"


def test_the_elasticsearch_password_is_read_from_the_secret_never_written_literally():
    assert env(model(ELASTICSEARCH))["ES_PASSWORD"] == {
        "name": "ES_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "es-credentials", "key": "password"}}}


def test_no_password_or_secret_value_appears_in_any_generated_file():
    for text in files(model(ELASTICSEARCH)).values():
        assert not re.search(r"(?im)^\s*(password|ES_PASSWORD)\s*:", text)


def test_elasticsearch_without_credentials_sets_no_username_or_password():
    text = ELASTICSEARCH.replace("        username: jaeger\n", "").replace(
        "        password_secret: {name: es-credentials, key: password}\n", "")
    assert not {"ES_USERNAME", "ES_PASSWORD"} & set(env(model(text)))


def test_badger_storage_keeps_its_folders_on_a_pod_volume():
    m = model(BADGER)
    e = {k: v["value"] for k, v in env(m).items()}
    assert e["SPAN_STORAGE_TYPE"] == "badger" and e["BADGER_EPHEMERAL"] == "false"
    mounts = {v["name"]: v["mountPath"] for v in container(m)["volumeMounts"]}
    volumes = {v["name"]: v for v in manifests(m)["Deployment"]["spec"]["template"]["spec"]["volumes"]}
    assert volumes["badger"] == {"name": "badger", "emptyDir": {}}
    for key in ("BADGER_DIRECTORY_VALUE", "BADGER_DIRECTORY_KEY"):
        assert e[key].startswith(mounts["badger"] + "/")


@pytest.mark.parametrize("m", every_model())
def test_every_env_value_is_a_string(m):
    for e in container(m)["env"]:
        assert "valueFrom" in e or isinstance(e["value"], str), e


# ----------------------------------------------------------------------------- determinism

def test_the_same_spec_gives_byte_identical_files():
    assert JaegerTarget().generate(model(ELASTICSEARCH)) == JaegerTarget().generate(model(ELASTICSEARCH))


def test_the_order_of_services_and_operations_in_the_spec_does_not_change_the_output():
    reordered = ELASTICSEARCH.replace("{trading-api: 0.5, auth: 0.1}", "{auth: 0.1, trading-api: 0.5}").replace(
        "{/health: 0.0, /metrics: 0.0}", "{/metrics: 0.0, /health: 0.0}")
    assert reordered != ELASTICSEARCH
    assert files(model(reordered)) == files(model(ELASTICSEARCH))


@pytest.mark.parametrize("m", every_model())
def test_files_use_lf_end_with_a_newline_and_have_no_yaml_aliases(m):
    for path, text in files(m).items():
        assert text.endswith("\n") and "\r" not in text, path
    assert not re.search(r"[&*]id\d+", files(m)["jaeger/jaeger.yaml"])


def test_which_file_holds_the_tracing_section_does_not_change_the_output():
    tracing_part = textwrap.dedent("""\
        apiVersion: obsgen/v1
        tracing:
          sampling: {default: 0.25, services: {auth: 0.5}}
        """)
    base = "apiVersion: obsgen/v1\n" + TEAMS_AND_SERVICES
    (first,) = load_texts({"a.yaml": tracing_part, "b.yaml": base}).models
    (second,) = load_texts({"a.yaml": base, "b.yaml": tracing_part}).models
    assert files(first) == files(second)
