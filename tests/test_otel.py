"""The otel target: each traced service's OpenTelemetry SDK settings, as an env file and a ConfigMap."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from urllib.parse import unquote

import kubernetes_validate
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from obsgen.api import load_texts
from obsgen.resolve.model import Model
from obsgen.targets import REGISTRY
from obsgen.targets.jaeger import JaegerTarget
from obsgen.targets.otel import OtelTarget, percent_encode, ratio, resource_attributes

K8S_VERSION = "1.31.0"  # as tests/test_jaeger_target.py

SPEC = """\
apiVersion: obsgen/v1
teams:
  - name: payments
  - name: web
services:
  - name: checkout
    team: payments
    instrumentation: {tracing: true}
  - name: storefront
    team: web
    instrumentation: {tracing: true}
  - name: batch-export
    team: payments
tracing:
  jaeger: {namespace: observability}
  sampling:
    default: 0.05
    services: {checkout: 0.25, batch-export: 0.5}
    operations: {/health: 0.0}
"""

ENVIRONMENTS = SPEC + """\
environments:
  production: {}
  staging:
    tracing: {sampling: {default: 1.0, services: {checkout: 1.0}}}
    services:
      batch-export: {instrumentation: {tracing: true}}
"""

# Rate limits beside global operations are refused for Jaeger v2 (its SDKs would not apply the limit).
NO_GLOBAL_OPERATIONS = SPEC.replace("    operations: {/health: 0.0}\n", "")

EXPECTED_CHECKOUT = {
    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://jaeger.observability.svc:4317",
    "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
    "OTEL_LOGS_EXPORTER": "none",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=default,deployment.environment.name=default,team=payments",
    "OTEL_SERVICE_NAME": "checkout",
    "OTEL_TRACES_EXPORTER": "otlp",
    "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
    "OTEL_TRACES_SAMPLER_ARG": "0.25",
}


def models(text: str) -> dict[str, Model]:
    project = load_texts({"spec.yaml": text})
    assert [d for d in project.diagnostics if d.severity.value == "error"] == []
    return {m.env: m for m in project.models}


def model(text: str = SPEC) -> Model:
    (only,) = models(text).values()
    return only


def files(m: Model) -> dict[str, str]:
    return {a.path: a.content for a in OtelTarget().generate(m)}


def configmap(m: Model, service: str) -> dict:
    return YAML(typ="safe", pure=True).load(files(m)[f"instrumentation/otel/{service}.configmap.yaml"])


def env_text(m: Model, service: str) -> str:
    return files(m)[f"instrumentation/otel/{service}.env"]


def read_env_file(text: str) -> dict[str, str]:
    """docker --env-file's reading: `#` lines are comments, the value is the rest of the line as is."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key] = value
    return out


def read_resource_attributes(text: str) -> dict[str, str]:
    """OTEL_RESOURCE_ATTRIBUTES as the SDK specification reads it: `,`-separated, first `=` splits,
    values percent-decoded."""
    pairs = (item.split("=", 1) for item in text.split(","))
    return {k.strip(): unquote(v.strip()) for k, v in pairs}


def every_model() -> list:
    return [pytest.param(m, id=name) for name, m in models(ENVIRONMENTS).items()]


# ----------------------------------------------------------------------------- which files

def test_the_registry_builds_the_otel_target():
    assert REGISTRY["otel"]().name == "otel"


def test_a_spec_without_traced_services_generates_no_otel_files():
    assert OtelTarget().generate(model("apiVersion: obsgen/v1\ntracing: {}\n")) == []
    assert files(model(SPEC.replace("instrumentation: {tracing: true}", "instrumentation: {tracing: false}"))) == {}


def test_every_traced_service_gets_an_env_file_and_a_configmap_and_untraced_ones_nothing():
    assert sorted(files(model())) == [
        "instrumentation/otel/checkout.configmap.yaml", "instrumentation/otel/checkout.env",
        "instrumentation/otel/storefront.configmap.yaml", "instrumentation/otel/storefront.env",
    ]


def test_both_files_start_with_the_generated_by_obsgen_header():
    m = model()
    for path, text in files(m).items():
        assert text.splitlines()[0] == f"# {m.header()}", path


# ----------------------------------------------------------------------------- the variables

def test_the_variables_name_the_service_its_environment_and_team_the_collector_and_the_sampler():
    assert read_env_file(env_text(model(), "checkout")) == EXPECTED_CHECKOUT


def test_a_service_without_its_own_ratio_samples_at_the_default():
    assert read_env_file(env_text(model(), "storefront"))["OTEL_TRACES_SAMPLER_ARG"] == "0.05"


def test_a_probabilistic_strategy_gives_its_probability_and_leaves_operations_to_remote_samplers():
    text = NO_GLOBAL_OPERATIONS.replace(
        "{checkout: 0.25, batch-export: 0.5}",
        "{checkout: {probability: 0.125, operations: {/orders: 1.0}}, batch-export: {rate_limit: 5}}")
    variables = read_env_file(env_text(model(text), "checkout"))
    assert variables["OTEL_TRACES_SAMPLER_ARG"] == "0.125"
    assert variables["OTEL_TRACES_SAMPLER"] == "parentbased_traceidratio"
    assert not any("/orders" in v for v in variables.values())


def test_a_rate_limited_service_that_is_not_traced_does_not_stop_the_others():
    text = NO_GLOBAL_OPERATIONS.replace("batch-export: 0.5", "batch-export: {rate_limit: 5}")
    assert "instrumentation/otel/batch-export.env" not in files(model(text))
    assert read_env_file(env_text(model(text), "checkout"))["OTEL_TRACES_SAMPLER_ARG"] == "0.25"


def test_each_environment_gets_its_own_sampling_ratios_and_environment_attributes():
    by_env = models(ENVIRONMENTS)
    prod = read_env_file(env_text(by_env["production"], "checkout"))
    staging = read_env_file(env_text(by_env["staging"], "checkout"))
    assert (prod["OTEL_TRACES_SAMPLER_ARG"], staging["OTEL_TRACES_SAMPLER_ARG"]) == ("0.25", "1.0")
    assert read_env_file(env_text(by_env["staging"], "storefront"))["OTEL_TRACES_SAMPLER_ARG"] == "1.0"
    for env, variables in (("production", prod), ("staging", staging)):
        assert read_resource_attributes(variables["OTEL_RESOURCE_ATTRIBUTES"]) == {
            "deployment.environment": env, "deployment.environment.name": env, "team": "payments"}


def test_an_environment_can_turn_tracing_on_for_a_service():
    by_env = models(ENVIRONMENTS)
    assert "instrumentation/otel/batch-export.env" not in files(by_env["production"])
    staged = read_env_file(env_text(by_env["staging"], "batch-export"))
    assert staged["OTEL_SERVICE_NAME"] == "batch-export"
    assert staged["OTEL_TRACES_SAMPLER_ARG"] == "0.5"  # its own ratio, which staging does not override


@pytest.mark.parametrize("variant", ["v2", "v1-all-in-one"])
def test_the_endpoint_is_the_otlp_grpc_port_of_the_jaeger_service_the_jaeger_target_writes(variant):
    m = model(SPEC.replace("{namespace: observability}", f"{{namespace: observability, variant: {variant}}}"))
    docs = YAML(typ="safe", pure=True).load_all(
        {a.path: a.content for a in JaegerTarget().generate(m)}["jaeger/jaeger.yaml"])
    (service,) = [d for d in docs if d["kind"] == "Service"]
    (port,) = [p["port"] for p in service["spec"]["ports"] if p["name"] == "otlp-grpc"]
    meta = service["metadata"]
    endpoint = read_env_file(env_text(m, "checkout"))["OTEL_EXPORTER_OTLP_ENDPOINT"]
    assert endpoint == f"http://{meta['name']}.{meta['namespace']}.svc:{port}"


def test_the_ratio_is_written_in_plain_decimal_notation():
    assert [ratio(p) for p in (0.0, 1.0, 1, 0.5, 0.01, 0.00001, 0.123456789)] == [
        "0.0", "1.0", "1.0", "0.5", "0.01", "0.00001", "0.123456789"]


def test_a_tiny_default_ratio_reaches_the_env_file_without_an_exponent():
    m = model(SPEC.replace("default: 0.05", "default: 1.0e-6"))
    assert read_env_file(env_text(m, "storefront"))["OTEL_TRACES_SAMPLER_ARG"] == "0.000001"


# ----------------------------------------------------------------------------- resource attributes

def test_percent_encoding_escapes_commas_equals_spaces_and_everything_a_reader_could_split_on():
    assert percent_encode("eu west, zone=a") == "eu%20west%2C%20zone%3Da"
    assert percent_encode('a;b\\c"d%e+f~g') == "a%3Bb%5Cc%22d%25e%2Bf%7Eg"
    assert percent_encode("café") == "caf%C3%A9"
    assert percent_encode("payments-team_1.x") == "payments-team_1.x"


def test_resource_attributes_are_sorted_by_key_and_read_back_to_the_same_values():
    attributes = {"team": "a,b", "deployment.environment.name": "prod = eu", "x": "100%"}
    text = resource_attributes(attributes)
    assert text == "deployment.environment.name=prod%20%3D%20eu,team=a%2Cb,x=100%25"
    assert read_resource_attributes(text) == attributes


# W3C Baggage `baggage-octet`, the characters a value may hold unencoded.
_BAGGAGE_OCTET = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*")


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["team", "deployment.environment", "service.namespace"]),
                       st.text(st.characters(exclude_categories=("Cs",)))))
def test_any_attribute_values_round_trip_through_the_encoding(attributes):
    text = resource_attributes(attributes)
    if attributes:
        assert read_resource_attributes(text) == attributes
    else:
        assert text == ""
    for item in filter(None, text.split(",")):
        assert _BAGGAGE_OCTET.fullmatch(item.split("=", 1)[1])


# ----------------------------------------------------------------------------- the two files agree

@pytest.mark.parametrize("m", every_model())
def test_the_env_file_holds_exactly_the_configmaps_data(m):
    for service in ("checkout", "storefront"):
        assert read_env_file(env_text(m, service)) == configmap(m, service)["data"]


def test_a_posix_shell_reads_the_env_file_to_the_configmaps_data(tmp_path: Path):
    m = model()
    path = tmp_path / "checkout.env"
    path.write_text(env_text(m, "checkout"))
    out = subprocess.run(["/bin/sh", "-c", 'set -a; . "$1"; env', "sh", str(path)], env={"PATH": os.defpath},
                         capture_output=True, text=True, check=True).stdout
    got = dict(line.split("=", 1) for line in out.splitlines() if line.startswith("OTEL_"))
    assert got == configmap(m, "checkout")["data"]


@pytest.mark.parametrize("m", every_model())
def test_env_file_values_need_no_quoting_for_docker_systemd_or_sh(m):
    # docker keeps quotes and backslashes literally, systemd strips them and trims whitespace,
    # sh expands `$`, `~` and globs: values without any of these read the same everywhere.
    for path, text in files(m).items():
        if path.endswith(".env"):
            for key, value in read_env_file(text).items():
                assert re.fullmatch(r"OTEL_[A-Z_]+", key)
                assert re.fullmatch(r"[A-Za-z0-9._%:/=,+-]+", value), (key, value)


# ----------------------------------------------------------------------------- kubernetes

@pytest.mark.parametrize("m", every_model())
def test_every_configmap_passes_strict_kubernetes_schema_validation(m):
    for path, text in files(m).items():
        if path.endswith(".configmap.yaml"):
            kubernetes_validate.validate(YAML(typ="safe", pure=True).load(text), K8S_VERSION, strict=True)


def test_the_configmap_is_named_after_the_service_and_labelled_for_obsgen():
    doc = configmap(model(), "checkout")
    assert list(doc)[:3] == ["apiVersion", "kind", "metadata"]
    assert (doc["apiVersion"], doc["kind"]) == ("v1", "ConfigMap")
    assert doc["metadata"] == {"name": "checkout-otel", "labels": {
        "app.kubernetes.io/name": "checkout", "app.kubernetes.io/managed-by": "obsgen"}}


def test_configmap_data_are_all_strings_even_the_ratio():
    data = configmap(model(), "checkout")["data"]
    assert data["OTEL_TRACES_SAMPLER_ARG"] == "0.25"
    assert all(isinstance(v, str) for v in data.values())


# ----------------------------------------------------------------------------- determinism

def test_the_same_spec_gives_byte_identical_files():
    assert OtelTarget().generate(model()) == OtelTarget().generate(model())


def test_the_order_of_services_and_sampling_keys_in_the_spec_does_not_change_the_output():
    reordered = SPEC.replace("{checkout: 0.25, batch-export: 0.5}", "{batch-export: 0.5, checkout: 0.25}")
    services = reordered.split("services:\n", 1)[1].split("tracing:")[0]
    blocks = re.split(r"(?m)^(?=  - name:)", services)[1:]
    reordered = reordered.replace(services, "".join(reversed(blocks)))
    assert reordered != SPEC
    assert OtelTarget().generate(model(reordered)) == OtelTarget().generate(model())


@pytest.mark.parametrize("m", every_model())
def test_files_use_lf_and_end_with_a_newline(m):
    for path, text in files(m).items():
        assert text.endswith("\n") and "\r" not in text, path


# ----------------------------------------------------------------------------- checked before generation

def _errors(text: str) -> list[tuple[str, int, int]]:
    project = load_texts({"spec.yaml": text})
    return [(d.code, d.pos.line, d.pos.col) for d in project.diagnostics if d.severity.value == "error"]


def test_tracing_instrumentation_without_a_tracing_section_is_an_error_at_the_setting():
    text = SPEC.split("tracing:\n  jaeger")[0]
    assert _errors(text) == [("OBS047", 8, 32), ("OBS047", 11, 32)]


def test_tracing_instrumentation_with_otlp_switched_off_is_an_error_at_the_setting():
    assert _errors(SPEC.replace("{namespace: observability}", "{variant: v1-all-in-one, otlp: false}")) == [
        ("OBS047", 8, 32), ("OBS047", 11, 32)]


def test_an_environment_without_tracing_or_with_otlp_off_is_refused_for_the_services_it_traces():
    base = SPEC.split("tracing:\n  jaeger")[0]
    only_prod = base + "environments:\n  prod: {tracing: {}}\n  lab: {}\n"
    lab_off = SPEC + "environments:\n  prod: {}\n  lab: {tracing: {jaeger: {variant: v1-all-in-one, otlp: false}}}\n"
    for text in (only_prod, lab_off):
        assert _errors(text) == [("OBS047", 8, 32), ("OBS047", 11, 32)]


def test_a_tracing_section_that_does_not_parse_is_reported_once_not_as_missing():
    errors = _errors(SPEC.replace("default: 0.05", "default: 5"))
    assert errors and "OBS047" not in {code for code, _, _ in errors}
