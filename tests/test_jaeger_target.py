"""The Jaeger target: sampling strategies, Jaeger v2's configuration, and the Kubernetes manifests of
both variants (v2, and the 1.x all-in-one)."""
from __future__ import annotations

import hashlib
import json
import re
import textwrap

import jsonschema
import kubernetes_validate
import pytest
from ruamel.yaml import YAML

from obsgen.api import load_texts
from obsgen.resolve.model import Model
from obsgen.targets import REGISTRY
from obsgen.targets.jaeger import JaegerTarget
from obsgen.targets.jaeger_config import config_problems

# Kubernetes release whose schemas (shipped with kubernetes-validate) the manifests must satisfy.
K8S_VERSION = "1.31.0"
IANA_PORT_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?=[a-z0-9]))*$")
V1 = "variant: v1-all-in-one"

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

FEED_SERVICES = TEAMS_AND_SERVICES + """\
  - name: market-feed
    team: platform
  - name: quotes
    team: platform
"""

# Per-service strategies: a probability with operations of its own, a plain number.
STRATEGIES = "apiVersion: obsgen/v1\n" + FEED_SERVICES + """\
tracing:
  sampling:
    default: 0.05
    services:
      trading-api: {probability: 0.2, operations: {/health: 0.5, /orders: 1.0}}
      auth: 0.1
    operations: {/health: 0.0, /metrics: 0.0}
"""

# Rate limits without global operations: Jaeger v2 would hand those to a rate-limited service,
# whose SDK then samples by them instead of the limit, so the spec check refuses the pair for v2.
RATE_LIMITED = "apiVersion: obsgen/v1\n" + FEED_SERVICES + """\
tracing:
  sampling:
    default: 0.05
    services: {market-feed: {rate_limit: 50}, quotes: {rate_limit: 2}, auth: 0.5}
"""


REPLICATED = ELASTICSEARCH.replace("    namespace: observability\n", "    namespace: observability\n    replicas: 3\n")

ENVIRONMENTS = """\
apiVersion: obsgen/v1
tracing:
  jaeger: {storage: {type: memory}}
environments:
  production: {tracing: {sampling: {default: 0.01}}}
  development: {tracing: {sampling: {default: 1.0}}}
"""


def v1(text: str) -> str:
    """The same spec with the 1.x all-in-one variant."""
    if "  jaeger: {" in text:
        return text.replace("  jaeger: {", "  jaeger: {%s, " % V1, 1)
    if "  jaeger:\n" in text:
        return text.replace("  jaeger:\n", f"  jaeger:\n    {V1}\n", 1)
    if "tracing: {}" in text:
        return text.replace("tracing: {}", "tracing: {jaeger: {%s}}" % V1)
    return text.replace("tracing:\n", f"tracing:\n  jaeger: {{{V1}}}\n", 1)


# With the 1.x all-in-one the pair is allowed (a warning): 1.62 leaves the rate limit alone.
V1_RATE_LIMITED_WITH_OPERATIONS = v1(STRATEGIES.replace("      auth: 0.1\n", "      auth: 0.1\n"
                                                                           "      market-feed: {rate_limit: 50}\n"))

NO_OTLP = """\
apiVersion: obsgen/v1
tracing:
  jaeger: {variant: v1-all-in-one, otlp: false}
"""

CASES = {"memory": MEMORY, "elasticsearch": ELASTICSEARCH, "badger": BADGER, "strategies": STRATEGIES,
         "rate-limited": RATE_LIMITED, "replicated": REPLICATED, "environments": ENVIRONMENTS}
V1_CASES = {f"v1-{name}": v1(text) for name, text in CASES.items() if name != "replicated"} | {
    "v1-no-otlp": NO_OTLP, "v1-rate-limited-with-operations": V1_RATE_LIMITED_WITH_OPERATIONS}


def models(text: str) -> dict[str, Model]:
    project = load_texts({"tracing.yaml": text})
    assert [d for d in project.diagnostics if d.severity.value == "error"] == []
    return {m.env: m for m in project.models}


def model(text: str) -> Model:
    (only,) = models(text).values()
    return only


def files(m: Model) -> dict[str, str]:
    return {a.path: a.content for a in JaegerTarget().generate(m)}


def strategies(m: Model) -> dict:
    return json.loads(files(m)["jaeger/sampling-strategies.json"])


def safe_load(text: str):
    return YAML(typ="safe", pure=True).load(text)


def manifests(m: Model) -> dict[str, dict]:
    """Documents by kind, ConfigMaps by name."""
    docs = list(YAML(typ="safe", pure=True).load_all(files(m)["jaeger/jaeger.yaml"]))
    out = {d["metadata"]["name"] if d["kind"] == "ConfigMap" else d["kind"]: d for d in docs}
    assert len(out) == len(docs)
    return out


def pod(m: Model) -> dict:
    return manifests(m)["Deployment"]["spec"]["template"]["spec"]


def container(m: Model) -> dict:
    (c,) = pod(m)["containers"]
    return c


def env(m: Model) -> dict[str, dict]:
    return {e["name"]: e for e in container(m).get("env", [])}


def config(m: Model) -> dict:
    return safe_load(files(m)["jaeger/config.yaml"])


def mounted_file(m: Model, path: str) -> tuple[str, str]:
    """(ConfigMap name, key) that the container sees at `path`."""
    folder, _, key = path.rpartition("/")
    (mount,) = [v for v in container(m)["volumeMounts"] if v["mountPath"] == folder]
    (volume,) = [v for v in pod(m)["volumes"] if v["name"] == mount["name"]]
    return volume["configMap"]["name"], key


def every_model(cases: dict[str, str]) -> list:
    return [pytest.param(m, id=f"{case}-{name}") for case, text in cases.items() for name, m in models(text).items()]


# ----------------------------------------------------------------------------- artifacts

def test_a_spec_without_tracing_generates_no_jaeger_files():
    assert JaegerTarget().generate(model("apiVersion: obsgen/v1\n")) == []


def test_the_registry_builds_the_jaeger_target():
    assert REGISTRY["jaeger"]().name == "jaeger"


def test_jaeger_v2_is_the_default_and_writes_its_config_the_manifests_and_the_strategies():
    assert sorted(files(model(MEMORY))) == ["jaeger/config.yaml", "jaeger/jaeger.yaml",
                                            "jaeger/sampling-strategies.json"]


def test_the_v1_all_in_one_variant_writes_the_manifests_and_the_strategies_only():
    assert sorted(files(model(v1(MEMORY)))) == ["jaeger/jaeger.yaml", "jaeger/sampling-strategies.json"]


@pytest.mark.parametrize("text", [MEMORY, v1(MEMORY)], ids=["v2", "v1"])
def test_yaml_files_start_with_the_generated_by_obsgen_header(text):
    m = model(text)
    for path, content in files(m).items():
        if path.endswith(".yaml"):
            assert content.splitlines()[0] == f"# {m.header()}", path


def test_each_variant_runs_its_own_pinned_image_unless_the_spec_names_one():
    assert container(model(MEMORY))["image"] == "jaegertracing/jaeger:2.11.0"
    assert container(model(v1(MEMORY)))["image"] == "jaegertracing/all-in-one:1.62.0"
    own = MEMORY.replace("tracing: {}", "tracing: {jaeger: {image: 'registry.example/jaeger@sha256:abc'}}")
    assert container(model(own))["image"] == "registry.example/jaeger@sha256:abc"


# ----------------------------------------------------------------------------- sampling strategies

# Jaeger's strategies file as its file provider decodes it (internal/sampling/samplingstrategy/file),
# with no other keys: Go's decoder would drop a misspelt one silently.
_STRATEGY = {"type": {"enum": ["probabilistic", "ratelimiting"]}, "param": {"type": "number", "minimum": 0}}
_OPERATION = {"type": "object", "additionalProperties": False, "required": ["operation", "type", "param"],
              "properties": {"operation": {"type": "string"}, "type": {"const": "probabilistic"},
                             "param": {"type": "number", "minimum": 0, "maximum": 1}}}
_SERVICE = {"type": "object", "additionalProperties": False, "required": ["type", "param"],
            "properties": {**_STRATEGY, "service": {"type": "string"},
                           "operation_strategies": {"type": "array", "minItems": 1, "items": _OPERATION}},
            "if": {"properties": {"type": {"const": "probabilistic"}}},
            "then": {"properties": {"param": {"maximum": 1}}},
            "else": {"not": {"required": ["operation_strategies"]}}}
STRATEGIES_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["default_strategy", "service_strategies"],
    "properties": {"default_strategy": {**_SERVICE, "not": {"required": ["service"]}},
                   "service_strategies": {"type": "array", "items": {**_SERVICE, "required": ["service", "type",
                                                                                            "param"]}}},
}


@pytest.mark.parametrize("m", every_model(CASES | V1_CASES))
def test_every_strategies_file_has_exactly_the_structure_jaeger_reads(m):
    jsonschema.validate(strategies(m), STRATEGIES_SCHEMA)


def test_the_schema_would_catch_a_misspelt_key_and_a_rate_limited_operation():
    good = strategies(model(STRATEGIES))
    misspelt = {**good, "default_strategy": {**good["default_strategy"], "operation_strategy": []}}
    op = {"operation": "/x", "type": "ratelimiting", "param": 5}
    rate_limited_op = {**good, "default_strategy": {**good["default_strategy"], "operation_strategies": [op]}}
    for bad in (misspelt, rate_limited_op):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, STRATEGIES_SCHEMA)


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


def test_a_services_own_operations_are_merged_over_the_global_ones_and_win():
    (api,) = [s for s in strategies(model(STRATEGIES))["service_strategies"] if s["service"] == "trading-api"]
    assert api == {"service": "trading-api", "type": "probabilistic", "param": 0.2, "operation_strategies": [
        {"operation": "/health", "type": "probabilistic", "param": 0.5},
        {"operation": "/metrics", "type": "probabilistic", "param": 0.0},
        {"operation": "/orders", "type": "probabilistic", "param": 1.0},
    ]}


def test_the_default_strategy_carries_only_the_global_operations():
    default = strategies(model(STRATEGIES))["default_strategy"]
    assert [o["operation"] for o in default["operation_strategies"]] == ["/health", "/metrics"]
    assert {o["param"] for o in default["operation_strategies"]} == {0.0}


def test_a_plain_number_is_a_probabilistic_strategy_with_the_global_operations():
    (auth,) = [s for s in strategies(model(STRATEGIES))["service_strategies"] if s["service"] == "auth"]
    assert (auth["type"], auth["param"]) == ("probabilistic", 0.1)
    assert [o["operation"] for o in auth["operation_strategies"]] == ["/health", "/metrics"]


def test_a_rate_limit_is_a_ratelimiting_strategy_in_traces_per_second_without_operations():
    by_service = {s["service"]: s for s in strategies(model(RATE_LIMITED))["service_strategies"]}
    assert by_service["market-feed"] == {"service": "market-feed", "type": "ratelimiting", "param": 50}
    assert isinstance(by_service["market-feed"]["param"], int)
    assert by_service["quotes"] == {"service": "quotes", "type": "ratelimiting", "param": 2}
    assert by_service["auth"] == {"service": "auth", "type": "probabilistic", "param": 0.5}


def test_a_rate_limited_service_gets_no_operation_strategies_even_when_there_are_global_ones():
    s = strategies(model(V1_RATE_LIMITED_WITH_OPERATIONS))
    (feed,) = [x for x in s["service_strategies"] if x["service"] == "market-feed"]
    assert feed == {"service": "market-feed", "type": "ratelimiting", "param": 50}
    assert len(s["default_strategy"]["operation_strategies"]) == 2


def test_operations_at_probability_zero_are_written_as_zero_never_left_out():
    ops = strategies(model(STRATEGIES))["default_strategy"]["operation_strategies"]
    assert {"operation": "/health", "type": "probabilistic", "param": 0.0} in ops


def test_production_samples_one_percent_and_development_every_trace():
    by_env = models(ENVIRONMENTS)
    assert strategies(by_env["production"])["default_strategy"]["param"] == 0.01
    assert strategies(by_env["development"])["default_strategy"]["param"] == 1.0


@pytest.mark.parametrize("m", every_model(CASES | V1_CASES))
def test_the_sampling_configmap_holds_the_same_strategies_as_the_strategies_file(m):
    data = manifests(m)["jaeger-sampling"]["data"]
    assert data == {"sampling-strategies.json": files(m)["jaeger/sampling-strategies.json"]}


def test_jaeger_v2_serves_the_mounted_strategies_file_and_rereads_it():
    m = model(STRATEGIES)
    file = config(m)["extensions"]["remote_sampling"]["file"]
    assert mounted_file(m, file["path"]) == ("jaeger-sampling", "sampling-strategies.json")
    assert file == {"path": file["path"], "reload_interval": "60s"}


def test_jaeger_v1_reads_strategies_from_the_mounted_configmap():
    m = model(v1(MEMORY))
    (arg,) = [a for a in container(m)["args"] if a.startswith("--sampling.strategies-file=")]
    assert mounted_file(m, arg.partition("=")[2]) == ("jaeger-sampling", "sampling-strategies.json")
    assert "--sampling.strategies-reload-interval=60s" in container(m)["args"]


# ----------------------------------------------------------------------------- Jaeger v2 configuration

# What the configuration may hold: the Collector's top-level sections, and per component the keys of
# Jaeger's and the Collector's config structs that obsgen uses (the Collector refuses unknown keys).
TOP_LEVEL = {"extensions", "receivers", "processors", "exporters", "service"}
BACKEND_KEYS = {"memory": {"max_traces"}, "badger": {"ephemeral", "directories"},
                "elasticsearch": {"server_urls", "indices", "auth"}}
EXTENSION_KEYS = {"jaeger_storage": {"backends"}, "jaeger_query": {"storage", "http"},
                  "remote_sampling": {"file", "http", "grpc"}, "healthcheckv2": {"use_v2", "http"}}


def endpoints(tree, path=()) -> dict[tuple, int]:
    """Every `endpoint: host:port` in the configuration, by where it is, as its port."""
    out = {}
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key == "endpoint":
                host, _, port = value.rpartition(":")
                assert host == "0.0.0.0", (path, value)  # localhost would be unreachable from the Service
                out[path] = int(port)
            else:
                out |= endpoints(value, path + (key,))
    return out


@pytest.mark.parametrize("m", every_model(CASES))
def test_the_v2_configuration_has_the_documented_structure(m):
    c = config(m)
    assert set(c) == TOP_LEVEL
    service = c["service"]
    assert set(service) == {"extensions", "pipelines"}
    # Every extension is declared and started, and only those.
    assert service["extensions"] == list(c["extensions"]) and set(c["extensions"]) == set(EXTENSION_KEYS)
    for name, keys in EXTENSION_KEYS.items():
        assert set(c["extensions"][name]) <= keys, name
    # Every pipeline component is declared in its section, and nothing is declared but unused.
    assert set(service["pipelines"]) == {"traces"}
    (pipeline,) = service["pipelines"].values()
    for kind in ("receivers", "processors", "exporters"):
        assert pipeline[kind] and set(pipeline[kind]) == set(c[kind]), kind
    assert pipeline == {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["jaeger_storage_exporter"]}
    # One backend, of one known type, which the query extension and the exporter both name.
    backends = c["extensions"]["jaeger_storage"]["backends"]
    (name,) = backends
    ((kind, settings),) = backends[name].items()
    assert set(settings) <= BACKEND_KEYS[kind]
    assert c["extensions"]["jaeger_query"]["storage"] == {"traces": name}
    assert c["exporters"]["jaeger_storage_exporter"] == {"trace_storage": name}
    # Remote sampling from a file, not adaptive (which needs a sampling store and a processor).
    assert "adaptive" not in c["extensions"]["remote_sampling"] and "path" in c["extensions"]["remote_sampling"]["file"]
    assert c["extensions"]["healthcheckv2"]["use_v2"] is True


@pytest.mark.parametrize("m", every_model(CASES))
def test_the_v2_configuration_listens_on_the_documented_ports(m):
    assert endpoints(config(m)) == {
        ("extensions", "jaeger_query", "http"): 16686,
        ("extensions", "remote_sampling", "http"): 5778,
        ("extensions", "remote_sampling", "grpc"): 5779,
        ("extensions", "healthcheckv2", "http"): 13133,
        ("receivers", "otlp", "protocols", "grpc"): 4317,
        ("receivers", "otlp", "protocols", "http"): 4318,
    }


@pytest.mark.parametrize("m", every_model(CASES))
def test_every_port_the_v2_configuration_listens_on_is_a_container_port_and_the_service_targets_them(m):
    declared = {p["name"]: p["containerPort"] for p in container(m)["ports"]}
    assert set(endpoints(config(m)).values()) == set(declared.values())
    service_ports = manifests(m)["Service"]["spec"]["ports"]
    assert {p["name"]: p["port"] for p in service_ports} == {
        "otlp-grpc": 4317, "otlp-http": 4318, "ui": 16686, "sampling-http": 5778, "sampling-grpc": 5779}
    for p in service_ports:
        assert declared[p["targetPort"]] == p["port"]


@pytest.mark.parametrize("m", every_model(CASES))
def test_obsgen_checks_structural_rules_find_nothing_in_a_generated_configuration(m):
    assert config_problems(config(m)) == []


def test_the_structural_rules_find_undeclared_components_and_unknown_storage_names():
    c = config(model(MEMORY))
    c["service"]["extensions"].append("zpages")
    c["service"]["pipelines"]["traces"]["processors"].append("memory_limiter")
    c["exporters"]["jaeger_storage_exporter"]["trace_storage"] = "elsewhere"
    c["receiver"] = {}
    assert config_problems(c) == [
        "unknown top-level key `receiver`",
        "service.extensions names `zpages`, which `extensions` does not declare",
        "pipeline traces names processor `memory_limiter`, which `processors` does not declare",
        "jaeger_storage_exporter trace_storage is `elsewhere`, which jaeger_storage.backends does not define",
    ]
    assert config_problems({"service": {"pipelines": {}}}) == [
        "service.pipelines is empty: the Collector needs at least one pipeline"]
    assert config_problems([]) == ["a Jaeger configuration must be a mapping"]


def test_the_v2_configuration_accepts_only_otlp_never_the_thrift_agent():
    c = config(model(MEMORY))
    assert set(c["receivers"]) == {"otlp"} and set(c["receivers"]["otlp"]["protocols"]) == {"grpc", "http"}


def test_the_v2_probes_ask_the_health_check_extension():
    m = model(MEMORY)
    health_port = config(m)["extensions"]["healthcheckv2"]["http"]["endpoint"].rpartition(":")[2]
    ports = {p["name"]: p["containerPort"] for p in container(m)["ports"]}
    for probe in (container(m)["readinessProbe"], container(m)["livenessProbe"]):
        assert probe["httpGet"]["path"] == "/status"
        assert ports[probe["httpGet"]["port"]] == int(health_port)


def test_the_v2_pod_runs_the_configuration_file_of_the_config_configmap():
    m = model(MEMORY)
    (arg,) = container(m)["args"]
    assert arg.startswith("--config=")
    assert mounted_file(m, arg.partition("=")[2]) == ("jaeger-config", "config.yaml")
    assert manifests(m)["jaeger-config"]["data"] == {"config.yaml": files(m)["jaeger/config.yaml"]}


def test_a_changed_v2_configuration_changes_the_pod_template_so_pods_restart_with_it():
    def annotation(m):
        return manifests(m)["Deployment"]["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    m = model(MEMORY)
    assert annotation(m) == hashlib.sha256(files(m)["jaeger/config.yaml"].encode()).hexdigest()
    assert annotation(model(BADGER)) != annotation(m)


def test_strategies_changes_alone_keep_the_pod_template_since_jaeger_rereads_them():
    def template(text):
        return manifests(model(text))["Deployment"]["spec"]["template"]
    assert template(MEMORY) == template(MEMORY.replace("tracing: {}", "tracing: {sampling: {default: 0.3}}"))


# ----------------------------------------------------------------------------- storage

def backend(m: Model) -> dict:
    (settings,) = config(m)["extensions"]["jaeger_storage"]["backends"].values()
    return settings


def test_v2_memory_storage_is_bounded_and_needs_no_environment():
    m = model(MEMORY)
    assert backend(m) == {"memory": {"max_traces": 100000}}
    assert "env" not in container(m)


def test_v2_elasticsearch_storage_names_urls_prefix_and_user_and_reads_the_password_from_the_environment():
    assert backend(model(ELASTICSEARCH)) == {"elasticsearch": {
        "server_urls": ["http://es-1:9200", "http://es-2:9200"],
        "indices": {"index_prefix": "obsgen"},
        "auth": {"basic": {"username": "jaeger", "password": "${env:ES_PASSWORD}"}},
    }}


@pytest.mark.parametrize("text", [ELASTICSEARCH, v1(ELASTICSEARCH)], ids=["v2", "v1"])
def test_the_elasticsearch_password_comes_from_the_secret_into_the_environment(text):
    assert env(model(text))["ES_PASSWORD"] == {
        "name": "ES_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "es-credentials", "key": "password"}}}


@pytest.mark.parametrize("m", every_model(CASES | V1_CASES))
def test_no_password_value_appears_in_any_generated_file_only_the_environment_reference(m):
    for path, text in files(m).items():
        for value in re.findall(r"(?im)^\s*(?:password|ES_PASSWORD)\s*:\s*(.*)$", text):
            assert value == "${env:ES_PASSWORD}", (path, value)
    for e in container(m).get("env", []):
        assert e["name"] != "ES_PASSWORD" or "value" not in e


@pytest.mark.parametrize("text", [ELASTICSEARCH, v1(ELASTICSEARCH)], ids=["v2", "v1"])
def test_elasticsearch_without_credentials_sets_no_username_or_password(text):
    text = text.replace("        username: jaeger\n", "").replace(
        "        password_secret: {name: es-credentials, key: password}\n", "")
    m = model(text)
    assert not {"ES_USERNAME", "ES_PASSWORD"} & set(env(m))
    if "jaeger/config.yaml" in files(m):
        assert "auth" not in backend(m)["elasticsearch"]


@pytest.mark.parametrize("text", [BADGER, v1(BADGER)], ids=["v2", "v1"])
def test_badger_storage_keeps_its_folders_on_a_pod_volume(text):
    m = model(text)
    mounts = {v["name"]: v["mountPath"] for v in container(m)["volumeMounts"]}
    volumes = {v["name"]: v for v in pod(m)["volumes"]}
    assert volumes["badger"] == {"name": "badger", "emptyDir": {}}
    if "jaeger/config.yaml" in files(m):
        badger = backend(m)["badger"]
        assert badger["ephemeral"] is False
        folders = badger["directories"].values()
    else:
        e = {k: v["value"] for k, v in env(m).items()}
        assert e["SPAN_STORAGE_TYPE"] == "badger" and e["BADGER_EPHEMERAL"] == "false"
        folders = [e["BADGER_DIRECTORY_VALUE"], e["BADGER_DIRECTORY_KEY"]]
    assert len(set(folders)) == 2
    assert all(f.startswith(mounts["badger"] + "/") for f in folders)


def test_v1_memory_storage_sets_only_the_storage_type():
    assert {k: e["value"] for k, e in env(model(v1(MEMORY))).items()} == {
        "SPAN_STORAGE_TYPE": "memory", "COLLECTOR_OTLP_ENABLED": "true"}


def test_v1_elasticsearch_storage_joins_urls_and_sets_prefix_and_username():
    e = env(model(v1(ELASTICSEARCH)))
    assert e["SPAN_STORAGE_TYPE"]["value"] == "elasticsearch"
    assert e["ES_SERVER_URLS"]["value"] == "http://es-1:9200,http://es-2:9200"
    assert e["ES_INDEX_PREFIX"]["value"] == "obsgen"
    assert e["ES_USERNAME"]["value"] == "jaeger"


@pytest.mark.parametrize("m", every_model(CASES | V1_CASES))
def test_every_env_value_is_a_string(m):
    for e in container(m).get("env", []):
        assert "valueFrom" in e or isinstance(e["value"], str), e


# ----------------------------------------------------------------------------- replicas

def test_v2_with_elasticsearch_runs_the_replicas_the_spec_asks_for():
    assert manifests(model(REPLICATED))["Deployment"]["spec"]["replicas"] == 3


@pytest.mark.parametrize("text", [MEMORY, BADGER, v1(ELASTICSEARCH)], ids=["memory", "badger", "v1"])
def test_more_than_one_replica_is_refused_where_state_lives_in_one_pod(text):
    many = text.replace("tracing: {}", "tracing: {jaeger: {replicas: 2}}") if "tracing: {}" in text else \
        text.replace("  jaeger:\n", "  jaeger:\n    replicas: 2\n", 1)
    errors = [d for d in load_texts({"t.yaml": many}).diagnostics if d.severity.value == "error"]
    assert errors and all("replica" in d.message for d in errors)


# ----------------------------------------------------------------------------- kubernetes

@pytest.mark.parametrize("m", every_model(CASES | V1_CASES))
def test_every_manifest_passes_strict_kubernetes_schema_validation(m):
    docs = manifests(m)
    v2 = "jaeger/config.yaml" in files(m)
    assert sorted(docs) == sorted(["jaeger-sampling", "Deployment", "Service"] + (["jaeger-config"] if v2 else []))
    for doc in docs.values():
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_strict_validation_would_catch_a_misspelt_field():
    deployment = manifests(model(MEMORY))["Deployment"]
    deployment["spec"]["replica"] = 1
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


@pytest.mark.parametrize("m", every_model(CASES | V1_CASES))
def test_manifests_start_with_api_version_kind_metadata(m):
    for doc in manifests(m).values():
        assert list(doc)[:3] == ["apiVersion", "kind", "metadata"]


@pytest.mark.parametrize("text", [MEMORY, v1(MEMORY)], ids=["v2", "v1"])
def test_the_deployment_selects_its_pods_and_the_service_selects_them_too(text):
    docs = manifests(model(text))
    spec = docs["Deployment"]["spec"]
    labels = {"app.kubernetes.io/name": "jaeger", "app.kubernetes.io/part-of": "obsgen-monitoring"}
    assert spec["selector"]["matchLabels"] == labels == spec["template"]["metadata"]["labels"]
    assert docs["Service"]["spec"]["selector"] == labels
    assert docs["Service"]["spec"]["type"] == "ClusterIP"


@pytest.mark.parametrize("text", [ELASTICSEARCH, v1(ELASTICSEARCH)], ids=["v2", "v1"])
def test_everything_goes_into_the_namespace_from_the_spec(text):
    m = model(text)
    assert {d["metadata"]["namespace"] for d in manifests(m).values()} == {"observability"}
    assert manifests(m)["Deployment"]["spec"]["replicas"] == 1


V1_PORTS = {"otlp-grpc": 4317, "otlp-http": 4318, "ui": 16686, "collector-http": 14268, "admin": 14269}


def test_v1_exposes_otlp_ui_collector_and_admin_ports():
    m = model(v1(MEMORY))
    assert {p["name"]: p["containerPort"] for p in container(m)["ports"]} == V1_PORTS
    service_ports = manifests(m)["Service"]["spec"]["ports"]
    assert {p["name"]: p["port"] for p in service_ports} == V1_PORTS
    assert all(p["targetPort"] == p["name"] for p in service_ports)


@pytest.mark.parametrize("m", every_model(CASES | V1_CASES))
def test_no_legacy_thrift_agent_port_is_exposed_and_port_names_are_valid_iana_names(m):
    ports = container(m)["ports"] + manifests(m)["Service"]["spec"]["ports"]
    assert not {p.get("containerPort", p.get("port")) for p in ports} & {5775, 6831, 6832}
    for p in ports:
        assert len(p["name"]) <= 15 and IANA_PORT_NAME.match(p["name"]), p["name"]


def test_v1_enables_otlp_by_default_and_turning_it_off_drops_its_ports_and_says_so():
    assert env(model(v1(MEMORY)))["COLLECTOR_OTLP_ENABLED"]["value"] == "true"
    m = model(NO_OTLP)
    assert env(m)["COLLECTOR_OTLP_ENABLED"]["value"] == "false"
    names = {p["name"] for p in container(m)["ports"]} | {p["name"] for p in manifests(m)["Service"]["spec"]["ports"]}
    assert names == {"ui", "collector-http", "admin"}


def test_v1_probes_hit_the_admin_port():
    c = container(model(v1(MEMORY)))
    for probe in (c["readinessProbe"], c["livenessProbe"]):
        assert probe["httpGet"] == {"path": "/", "port": "admin"}


@pytest.mark.parametrize("text", [BADGER, v1(BADGER)], ids=["v2", "v1"])
def test_resources_come_from_the_spec(text):
    assert container(model(text))["resources"] == {
        "requests": {"cpu": "250m", "memory": "512Mi"},
        "limits": {"cpu": "2", "memory": "4Gi"},
    }


@pytest.mark.parametrize("text", [MEMORY, v1(MEMORY)], ids=["v2", "v1"])
def test_the_pod_runs_as_non_root_read_only_without_privilege_escalation(text):
    m = model(text)
    assert pod(m)["securityContext"]["runAsNonRoot"] is True and pod(m)["automountServiceAccountToken"] is False
    assert container(m)["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                               "capabilities": {"drop": ["ALL"]}}
    assert all(v["readOnly"] for v in container(m)["volumeMounts"] if v["name"] != "badger")


# ----------------------------------------------------------------------------- determinism

@pytest.mark.parametrize("text", [ELASTICSEARCH, v1(ELASTICSEARCH), STRATEGIES], ids=["v2", "v1", "strategies"])
def test_the_same_spec_gives_byte_identical_files(text):
    assert JaegerTarget().generate(model(text)) == JaegerTarget().generate(model(text))


def test_the_order_of_services_and_operations_in_the_spec_does_not_change_the_output():
    reordered = ELASTICSEARCH.replace("{trading-api: 0.5, auth: 0.1}", "{auth: 0.1, trading-api: 0.5}").replace(
        "{/health: 0.0, /metrics: 0.0}", "{/metrics: 0.0, /health: 0.0}")
    assert reordered != ELASTICSEARCH
    assert files(model(reordered)) == files(model(ELASTICSEARCH))
    own_ops = STRATEGIES.replace("{/health: 0.5, /orders: 1.0}", "{/orders: 1.0, /health: 0.5}")
    assert files(model(own_ops)) == files(model(STRATEGIES))


@pytest.mark.parametrize("m", every_model(CASES | V1_CASES))
def test_files_use_lf_end_with_a_newline_and_have_no_yaml_aliases(m):
    for path, text in files(m).items():
        assert text.endswith("\n") and "\r" not in text, path
        if path.endswith(".yaml"):
            assert not re.search(r"[&*]id\d+", text), path


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


RATE_LIMITED_BESIDE_GLOBAL_OPERATIONS = """\
apiVersion: obsgen/v1
tracing:
  jaeger: {variant: VARIANT}
  sampling:
    operations: {/health: 0.0}
    services:
      feed: {rate_limit: 50}
services:
  - {name: feed, team: ops}
teams:
  - {name: ops}
"""


@pytest.mark.parametrize(("variant", "code", "severity"), [("v2", "OBS047", "error"),
                                                          ("v1-all-in-one", "OBS048", "warning")])
def test_a_rate_limited_service_beside_global_operations_is_reported_at_its_rate_limit(variant, code, severity):
    project = load_texts({"spec.yaml": RATE_LIMITED_BESIDE_GLOBAL_OPERATIONS.replace("VARIANT", variant)})
    found = [(d.code, d.severity.value, d.pos.line, d.pos.col) for d in project.diagnostics
             if d.code in ("OBS047", "OBS048")]
    assert found == [(code, severity, 7, 26)]


def test_jaeger_v2_without_otlp_is_refused():
    project = load_texts({"spec.yaml": "apiVersion: obsgen/v1\ntracing:\n  jaeger: {otlp: false}\n"})
    assert [d.code for d in project.diagnostics] == ["OBS011"]
    project = load_texts({"spec.yaml": "apiVersion: obsgen/v1\ntracing:\n  jaeger: {otlp: false, variant: v1-all-in-one}\n"})
    assert project.ok


def test_an_all_in_one_image_with_variant_v2_is_refused_at_the_image():
    project = load_texts({"spec.yaml": "apiVersion: obsgen/v1\ntracing:\n  jaeger: {image: 'jaegertracing/all-in-one:1.62.0'}\n"})
    assert [(d.code, d.pos.line, d.pos.col) for d in project.diagnostics] == [("OBS047", 3, 19)]
