"""The operator target: Prometheus Operator resources, checked by the real tools and by the
project's own schema of every field it writes."""
from __future__ import annotations

import re
import shutil
import subprocess
import os
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest

from conftest import needs
from ruamel.yaml import YAML

from obsgen.api import load_project, load_texts
from obsgen.resolve.model import Model
from obsgen.core.serialise import Artifact
from obsgen.targets.alertmanager import config as alertmanager_config
from obsgen.targets.operator import OperatorTarget, alertmanager_files, operator_rule_file_groups, rule_files
from obsgen.core.naming import secret_ref
from obsgen.targets.operator.common import k8s_name
from obsgen.targets.rules import RulesTarget
from obsgen.targets.slo import SLOTarget

K8S_VERSION = "1.31.0"
GOLDEN_SPECS = Path(__file__).parent / "golden" / "operator" / "specs"
SHARED_TOOL = Path(os.environ.get("OBSGEN_SHARED") or Path(__file__).resolve().parents[2] / "shared") / "tools" / "check-operator-resources"
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

# Everything the golden case lacks: other scrape shapes, weekday and month intervals, a webhook
# URL from a file, SNS, the older blackbox exporter shape, credential files on scrapes.
VARIANTS = """\
apiVersion: obsgen/v1
output:
  target: operator
  operator: {alertmanager: alertmanager_config, namespace: obs, labels: {prometheus: main}}
teams:
  - name: ops
    webhook: {url_file: /etc/alertmanager/secrets/hook/url}
    sms: {sns: {region: eu-west-1, topic_arn: "arn:aws:sns:eu-west-1:123456789012:pages"}}
    channels: {critical: [webhook, sms], warning: [webhook]}
routing:
  alertmanager_version: "0.27"
  severities:
    warning: {channels: [webhook], active_during: [office]}
  time_intervals:
    office:
      - weekdays: ["monday:friday"]
        months: ["january:june", "9"]
        years: ["2026:2027"]
        times: [{start: "08:00", end: "18:00"}]
services:
  - name: apiservers
    team: ops
    scrape: {kubernetes: {preset: apiservers}}
  - name: kubelets
    team: ops
    scrape: {kubernetes: {preset: nodes}}
  - name: cadvisor
    team: ops
    scrape: {kubernetes: {preset: cadvisor}, interval: 10s}
  - name: shop
    team: ops
    scrape:
      kubernetes: {role: endpointslice, selector: {app: shop}}
      scheme: https
      metrics_path: /internal/metrics
      ca_file: /etc/prometheus/secrets/shop-tls/ca.crt
      bearer_token_file: /etc/prometheus/secrets/shop-token/token
  - name: batch
    team: ops
    scrape:
      kubernetes: {role: pod, selector: {app: batch}, port: http-metrics, namespaces: [jobs, etl]}
      labels: {tier: batch}
      ca_file: /etc/prometheus/secrets/batch-tls/ca.crt
  - name: edge
    team: ops
    scrape: {kubernetes: {role: service, selector: {app: edge}}}
  - name: ingresses
    team: ops
    scrape: {kubernetes: {role: ingress}}
  - name: legacy
    team: ops
    scrape:
      static: ["legacy-1:8080", "legacy-2:8080"]
      job: legacy-app
      labels: {dc: ams}
      bearer_token_file: /etc/prometheus/secrets/legacy/token
  - name: website
    team: ops
    scrape:
      exporter: {kind: blackbox, targets: [blackbox], module: http_2xx, probes: ["https://example.com"]}
    probes:
      - {name: dns, dns: {server: "10.0.0.2", query_name: example.com}}
      - {name: ping, icmp: {host: gateway}}
      - {name: pg, tcp: {address: "postgres:5432"}, interval: 15s, timeout: 5s}
"""


def models(texts: dict[str, str]) -> list[Model]:
    project = load_texts(texts)
    errors = [str(d) for d in project.diagnostics if d.severity.value == "error"]
    assert project.ok, errors
    return project.models


def golden_models() -> dict[str, Model]:
    project = load_project([GOLDEN_SPECS])
    assert project.ok, [str(d) for d in project.diagnostics]
    return {m.env: m for m in project.models}


def every_model() -> list[Model]:
    return [*golden_models().values(), *models({"variants.yaml": VARIANTS})]


def artifacts(m: Model) -> dict[str, str]:
    return {a.path: a.content for a in OperatorTarget().generate(m)}


def documents(m: Model) -> list[dict]:
    yaml = YAML(typ="safe", pure=True)
    return [d for text in artifacts(m).values() for d in yaml.load_all(text)]


def write(m: Model, root: Path) -> Path:
    for path, text in artifacts(m).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root / "operator"


# ----------------------------------------------------------------------------- the project's schema
# The fields the target writes, and nothing else (additionalProperties: false everywhere), with the
# CRDs' types, enums and patterns (operator 0.93). A misspelt or misplaced field fails here.

DURATION = {"type": "string", "pattern": r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?"
                                         r"(([0-9]+)s)?(([0-9]+)ms)?)$"}
STR = {"type": "string", "minLength": 1}
STRS = {"type": "array", "items": STR}
STR_MAP = {"type": "object", "additionalProperties": {"type": "string"}}


def obj(required: list[str], **props) -> dict:
    return {"type": "object", "required": required, "properties": props, "additionalProperties": False}


def array(item: dict, min_items: int = 1) -> dict:
    return {"type": "array", "items": item, "minItems": min_items}


SECRET_KEY = obj(["name", "key"], name={"type": "string", "pattern": DNS1123.pattern},
                 key={"type": "string", "pattern": r"^[-._a-zA-Z0-9]+$"})
RELABEL = obj([], sourceLabels=STRS, targetLabel=STR, regex={"type": "string"}, replacement={"type": "string"},
              separator={"type": "string"}, action={"enum": ["replace", "keep", "drop", "labelmap", "labeldrop",
                                                               "labelkeep", "hashmod"]})
TLS = obj([], ca=obj(["secret"], secret=SECRET_KEY), caFile=STR, serverName=STR)
AUTH = obj(["type", "credentials"], type={"const": "Bearer"}, credentials=SECRET_KEY)
METADATA = obj(["name", "namespace", "labels"], name={"type": "string", "pattern": DNS1123.pattern},
               namespace={"type": "string", "pattern": DNS1123.pattern},
               labels={**STR_MAP, "required": ["app.kubernetes.io/managed-by"]}, annotations=STR_MAP)
SELECTOR = obj(["matchLabels"], matchLabels=STR_MAP)
NAMESPACES = {"oneOf": [obj(["any"], any={"const": True}), obj(["matchNames"], matchNames=array(STR))]}
ENDPOINT = dict(interval=DURATION, scrapeTimeout=DURATION, port=STR, path={"type": "string", "pattern": "^/"},
                scheme={"enum": ["http", "https"]}, relabelings=array(RELABEL), tlsConfig=TLS, authorization=AUTH)
MATCHER = obj(["name", "matchType", "value"], name=STR, matchType={"enum": ["=", "!=", "=~", "!~"]},
              value={"type": "string"})
ROUTE: dict = obj([], receiver=STR, matchers=array(MATCHER), groupBy=STRS, groupWait=DURATION,
                  groupInterval=DURATION, repeatInterval=DURATION, muteTimeIntervals=STRS,
                  activeTimeIntervals=STRS, routes={"type": "array", "items": {"$ref": "#/$defs/route"}})
KEY_VALUE = obj(["key", "value"], key=STR, value={"type": "string"})
RECEIVER = obj(
    ["name"], name=STR,
    pagerdutyConfigs=array(obj(["routingKey"], routingKey=SECRET_KEY, sendResolved={"type": "boolean"},
                               severity=STR, description=STR, details=array(KEY_VALUE))),
    slackConfigs=array(obj(["apiURL"], apiURL=SECRET_KEY, channel=STR, sendResolved={"type": "boolean"},
                           title=STR, text=STR)),
    emailConfigs=array(obj(["to", "from", "smarthost"], to=STR, smarthost=STR, authUsername=STR,
                           authPassword=SECRET_KEY, requireTLS={"type": "boolean"},
                           sendResolved={"type": "boolean"}, headers=array(KEY_VALUE), html=STR,
                           **{"from": STR})),
    webhookConfigs=array({**obj([], url={"type": "string", "pattern": "^https?://"}, urlSecret=SECRET_KEY,
                                sendResolved={"type": "boolean"},
                                httpConfig=obj(["authorization"], authorization=AUTH)),
                          "oneOf": [{"required": ["url"]}, {"required": ["urlSecret"]}]}),
    snsConfigs=array(obj(["sigv4", "subject", "message"], sendResolved={"type": "boolean"},
                         sigv4=obj(["region"], region=STR, roleArn=STR), topicARN=STR, phoneNumber=STR,
                         subject=STR, message=STR)))
# The CRD's own weekday and month patterns, with Go's group-local (?i) spelt as Python's (?i:...).
WEEKDAY = r"^(?i:sun|mon|tues|wednes|thurs|fri|satur)day(?::(?i:sun|mon|tues|wednes|thurs|fri|satur)day)?$"
MONTH = (r"^(?i:january|february|march|april|may|june|july|august|september|october|november|december|1[0-2]|"
         r"[1-9])(?::(?i:january|february|march|april|may|june|july|august|september|october|november|"
         r"december|1[0-2]|[1-9]))?$")
DAY = {"type": "integer", "minimum": -31, "maximum": 31}
TIME = {"type": "string", "pattern": r"^((([01][0-9])|(2[0-3])):[0-5][0-9])$|(^24:00$)"}
TIME_INTERVAL = obj(["name", "timeIntervals"], name=STR, timeIntervals=array(obj(
    [], times=array(obj(["startTime", "endTime"], startTime=TIME, endTime=TIME)),
    weekdays=array({"type": "string", "pattern": WEEKDAY}), months=array({"type": "string", "pattern": MONTH}),
    daysOfMonth=array(obj(["start", "end"], start=DAY, end=DAY)),
    years=array({"type": "string", "pattern": r"^\d{4}(:\d{4})?$"}))))
RULE = obj(["expr"], record=STR, alert=STR, expr=STR, labels=STR_MAP, annotations=STR_MAP,
           keep_firing_for=DURATION, **{"for": DURATION})


def kind_schema(api: str, kind: str, spec: dict) -> dict:
    return {**obj(["apiVersion", "kind", "metadata", "spec"], apiVersion={"const": api}, kind={"const": kind},
                  metadata=METADATA, spec=spec), "$defs": {"route": ROUTE}}


V1, V1ALPHA1 = "monitoring.coreos.com/v1", "monitoring.coreos.com/v1alpha1"
SCHEMAS = {
    "PrometheusRule": kind_schema(V1, "PrometheusRule", obj(["groups"], groups=array(obj(
        ["name", "rules"], name=STR, interval=DURATION, limit={"type": "integer"}, rules=array(RULE))))),
    "ServiceMonitor": kind_schema(V1, "ServiceMonitor", obj(
        ["selector", "namespaceSelector", "endpoints"], selector=SELECTOR, namespaceSelector=NAMESPACES,
        serviceDiscoveryRole={"enum": ["Endpoints", "EndpointSlice"]},
        endpoints=array(obj(["interval", "scrapeTimeout", "relabelings"], bearerTokenFile=STR, **ENDPOINT))),
    ),
    "PodMonitor": kind_schema(V1, "PodMonitor", obj(
        ["selector", "namespaceSelector", "podMetricsEndpoints"], selector=SELECTOR, namespaceSelector=NAMESPACES,
        podMetricsEndpoints=array(obj(["interval", "scrapeTimeout", "relabelings"], **ENDPOINT)))),
    "ScrapeConfig": kind_schema(V1ALPHA1, "ScrapeConfig", {**obj(
        ["jobName", "scrapeInterval", "scrapeTimeout"], jobName=STR, scrapeInterval=DURATION,
        scrapeTimeout=DURATION, metricsPath={"type": "string", "pattern": "^/"}, scheme={"enum": ["http", "https"]},
        tlsConfig=obj(["ca"], ca=obj(["secret"], secret=SECRET_KEY)), authorization=AUTH,
        staticConfigs=array(obj(["targets"], targets=array(STR), labels=STR_MAP)),
        kubernetesSDConfigs=array(obj(["role"], role={"enum": ["Pod", "Endpoints", "EndpointSlice", "Service",
                                                               "Node", "Ingress"]},
                                      namespaces=obj(["names"], names=array(STR)))),
        relabelings=array(RELABEL)),
        "oneOf": [{"required": ["staticConfigs"]}, {"required": ["kubernetesSDConfigs"]}]}),
    "Probe": kind_schema(V1, "Probe", obj(
        ["jobName", "prober", "module", "interval", "scrapeTimeout", "targets"], jobName=STR,
        prober=obj(["url"], url={"type": "string", "pattern": r"^[^\s/:]+:\d+$"}, scheme={"enum": ["https"]}),
        module=STR, interval=DURATION, scrapeTimeout=DURATION, tlsConfig=TLS, authorization=AUTH,
        targets=obj(["staticConfig"], staticConfig=obj(["static"], static=array(STR), labels=STR_MAP)))),
    "AlertmanagerConfig": kind_schema(V1ALPHA1, "AlertmanagerConfig", obj(
        ["route"], route={"$ref": "#/$defs/route"}, receivers=array(RECEIVER),
        inhibitRules=array(obj(["sourceMatch", "targetMatch", "equal"], sourceMatch=array(MATCHER),
                               targetMatch=array(MATCHER), equal=STRS)),
        muteTimeIntervals=array(TIME_INTERVAL))),
}


def schema_errors(doc: dict) -> list[str]:
    validator = jsonschema.Draft202012Validator(SCHEMAS[doc["kind"]])
    return [f"{doc['kind']} {doc['metadata']['name']}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(doc)]


# ----------------------------------------------------------------------------- validity


@pytest.mark.parametrize("m", every_model(), ids=lambda m: m.env)
def test_every_core_kind_document_passes_strict_kubernetes_validation(m):
    core = [d for d in documents(m) if d["apiVersion"] == "v1"]
    assert {d["kind"] for d in core} <= {"Secret", "ConfigMap"} and core
    for doc in core:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


@pytest.mark.parametrize("m", every_model(), ids=lambda m: m.env)
def test_every_operator_resource_matches_the_projects_schema_of_its_kind(m):
    docs = [d for d in documents(m) if d["apiVersion"] != "v1"]
    assert docs
    assert [e for d in docs for e in schema_errors(d)] == []


def test_the_projects_schema_catches_a_misspelt_field_and_a_bad_duration():
    monitor = next(d for d in documents(golden_models()["production"]) if d["kind"] == "ServiceMonitor")
    monitor["spec"]["endpoints"][0]["scrapeInterval"] = "15s"
    monitor["spec"]["endpoints"][0]["interval"] = "15 seconds"
    errors = schema_errors(monitor)
    assert any("scrapeInterval" in e for e in errors) and any("endpoints/0/interval" in e for e in errors)


@pytest.mark.skipif(not SHARED_TOOL.is_file(), reason="../shared/tools is not part of the project")
def test_operator_resources_pass_the_operator_crd_schemas(tmp_path):
    files = []
    for i, m in enumerate(every_model()):
        if m.env == "default":
            # The tool reads CRD patterns with Python's re, which refuses the weekday and month
            # patterns' (?i) in mid-pattern; the project's schema checks those fields instead.
            m = models({"variants.yaml": VARIANTS.replace('      - weekdays: ["monday:friday"]\n        months: '
                                                          '["january:june", "9"]\n        years:', "      - years:")})[0]
        folder = write(m, tmp_path / str(i))
        files += [str(p) for p in sorted(folder.rglob("*.yaml")) if "monitoring.coreos.com" in p.read_text()]
    result = subprocess.run([SHARED_TOOL, *files], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 problems" in result.stdout


@pytest.mark.parametrize("m", every_model(), ids=lambda m: m.env)
def test_every_resource_is_in_a_valid_namespace_with_a_dns_name_and_the_operator_labels(m):
    op = m.spec.output.operator
    for doc in documents(m):
        meta = doc["metadata"]
        assert DNS1123.fullmatch(meta["name"]) and len(meta["name"]) <= 253
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "obsgen"
        assert op.labels.items() <= meta["labels"].items()
        if doc["kind"] != "AlertmanagerConfig":
            assert meta["namespace"] == op.namespace


@pytest.mark.parametrize("m", every_model(), ids=lambda m: m.env)
def test_every_file_starts_with_the_generated_by_obsgen_header(m):
    for path, text in artifacts(m).items():
        assert path.startswith("operator/") and path.endswith(".yaml")
        assert text.startswith("# Generated by obsgen from "), path


# ----------------------------------------------------------------------------- rules


@pytest.mark.parametrize("env", ["production", "staging"])
@needs('promtool')
def test_prometheus_rules_pass_promtool_check_rules(env, tmp_path):
    folder = write(golden_models()[env], tmp_path / "out")
    plain = tmp_path / "plain"
    plain.mkdir()
    for name, text in rule_files(folder).items():
        (plain / name).write_text(text)
    paths = sorted(str(p) for p in plain.iterdir())
    assert paths
    result = subprocess.run(["promtool", "check", "rules", *paths], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def files_target_groups(m: Model) -> list[dict]:
    yaml = YAML(typ="safe", pure=True)
    out: list[Artifact] = RulesTarget(tests=False).generate(m) + [
        a for a in SLOTarget().generate(m) if a.path.endswith(".rules.yml")]
    return sorted((g for a in out for g in yaml.load(a.content)["groups"]), key=lambda g: g["name"])


@pytest.mark.parametrize("env", ["production", "staging"])
def test_prometheus_rules_hold_exactly_the_files_targets_rule_groups(env):
    m = golden_models()[env]
    groups = [g for d in documents(m) if d["kind"] == "PrometheusRule" for g in d["spec"]["groups"]]
    assert sorted(groups, key=lambda g: g["name"]) == files_target_groups(m)


def test_rules_per_service_or_team_decides_which_prometheus_rule_holds_a_services_groups():
    per = {}
    for env, m in golden_models().items():
        per[env] = {d["metadata"]["name"]: [g["name"] for g in d["spec"]["groups"]]
                    for d in documents(m) if d["kind"] == "PrometheusRule"}
    assert per["production"] == {"data": ["postgres"], "web": ["api", "api-slo-availability"]}
    assert per["staging"] == {"api": ["api", "api-slo-availability"], "postgres": ["postgres"]}


def test_an_operator_rule_file_reads_back_as_a_plain_rule_file_for_diff():
    m = golden_models()["production"]
    text = artifacts(m)["operator/rules/web.yaml"]
    web = [g for g in files_target_groups(m) if g["name"].startswith("api")]
    assert operator_rule_file_groups(text) == {"groups": web}
    assert operator_rule_file_groups("# only a comment\n") == {"groups": []}


# ----------------------------------------------------------------------------- alertmanager


@needs('amtool')
def test_the_config_secret_holds_alertmanager_yml_and_templates_that_amtool_accepts(tmp_path):
    m = golden_models()["production"]
    folder = write(m, tmp_path / "out")
    secret = next(d for d in documents(m) if d["kind"] == "Secret")
    assert secret["metadata"]["name"] == "obsgen-alertmanager"
    config = YAML(typ="safe", pure=True).load(secret["stringData"]["alertmanager.yaml"])
    assert config["templates"] == ["/etc/alertmanager/config/*.tmpl"]
    assert {k: v for k, v in config.items() if k != "templates"} == {
        k: v for k, v in alertmanager_config(m).items() if k != "templates"}
    files = alertmanager_files(folder)
    assert {p for p in files if p.startswith("templates/")} == {"templates/obsgen.tmpl"}
    for path, text in files.items():
        (tmp_path / "am" / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "am" / path).write_text(text)
    result = subprocess.run(["amtool", "check-config", str(tmp_path / "am" / "alertmanager.yml")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 templates" in result.stdout


def test_alertmanager_config_mode_gives_each_team_its_configs_in_its_namespace(tmp_path):
    m = golden_models()["staging"]
    configs = {(d["metadata"]["namespace"], d["metadata"]["name"]) for d in documents(m)
               if d["kind"] == "AlertmanagerConfig"}
    assert configs == {("data", "obsgen-data"), ("web-apps", "obsgen-web"),
                       ("web-apps", "obsgen-web-category-security")}
    assert not any(d["kind"] == "Secret" for d in documents(m))
    # No config Secret to extract: `obsgen check` tests the alertmanager.yml written beside.
    assert alertmanager_files(write(m, tmp_path)) == {}
    templates = next(d for d in documents(m) if d["kind"] == "ConfigMap" and "obsgen.tmpl" in d.get("data", {}))
    assert templates["metadata"]["name"] == "obsgen-alertmanager-templates"


def test_alertmanager_configs_route_every_team_and_severity_to_the_receivers_alertmanager_yml_does():
    def leaves(route: dict, path: tuple) -> set:
        here = path + tuple(sorted((mm["name"], mm["matchType"], mm["value"]) for mm in route.get("matchers", [])))
        out = {(here, route["receiver"])} if "receiver" in route else set()
        for child in route.get("routes", []):
            out |= leaves(child, here)
        return out

    m = golden_models()["staging"]
    got = set()
    for d in documents(m):
        if d["kind"] == "AlertmanagerConfig":
            got |= leaves(d["spec"]["route"], ())
            assert {n for _, n in leaves(d["spec"]["route"], ())} == {r["name"] for r in d["spec"]["receivers"]}

    def plain(route: dict, path: tuple) -> set:
        parsed = [re.fullmatch(r'(\w+)(=~|!~|!=|=)"(.*)"', mm).groups() for mm in route.get("matchers", [])]
        here = path + tuple(sorted(parsed))
        out = {(here, route["receiver"])} if "receiver" in route and path else set()
        for child in route.get("routes", []):
            out |= plain(child, here)
        return out

    assert got == plain(alertmanager_config(m)["route"], ())


def test_alertmanager_config_receivers_read_every_credential_from_a_secret_key():
    texts = {d["metadata"]["name"]: d for m in every_model() for d in documents(m) if d["kind"] == "AlertmanagerConfig"}
    receivers = {r["name"]: r for d in texts.values() for r in d["spec"]["receivers"]}
    assert receivers["web-critical"]["slackConfigs"][0]["apiURL"] == {"name": "slack", "key": "web-url"}
    assert receivers["web-critical"]["pagerdutyConfigs"][0]["routingKey"] == {"name": "pagerduty", "key": "web-key"}
    assert receivers["data-warning"]["emailConfigs"][0]["authPassword"] == {"name": "smtp", "key": "password"}
    hook = receivers["data-critical"]["webhookConfigs"][0]["httpConfig"]["authorization"]
    assert hook == {"type": "Bearer", "credentials": {"name": "incident-bot", "key": "token"}}
    assert receivers["ops-critical"]["webhookConfigs"][0]["urlSecret"] == {"name": "hook", "key": "url"}


def test_no_output_holds_a_credential_only_references_to_files_and_secret_keys():
    for m in every_model():
        for path, text in artifacts(m).items():
            # Only obsgen's own placeholders and the spec's file paths: never a key such as
            # api_url, routing_key, password or token holding a value.
            assert not re.search(r"\b(api_url|routing_key|service_key|auth_password|password|token|bearer_token)"
                                 r"\s*:", text), path
            assert "hooks.slack.com" not in text
    from obsgen.check import secrets  # the build's own scanner for literal credentials
    assert [(p, h.what) for m in every_model() for p, t in artifacts(m).items() for h in secrets.scan_text(t)] == []


def test_a_credential_file_names_the_secret_and_key_by_its_last_two_path_parts():
    assert secret_ref("/etc/alertmanager/secrets/slack/web-url") == {"name": "slack", "key": "web-url"}
    assert secret_ref("/etc/prometheus/secrets/shop-tls/ca.crt") == {"name": "shop-tls", "key": "ca.crt"}
    assert secret_ref("/run/Secrets/x") is None  # Secret names are lowercase
    assert secret_ref("token") is None


def test_time_intervals_keep_days_weekdays_months_and_times_in_alertmanager_configs_spelling():
    m = models({"variants.yaml": VARIANTS})[0]
    ops = next(d for d in documents(m) if d["metadata"]["name"] == "obsgen-ops")
    assert ops["spec"]["muteTimeIntervals"] == [{"name": "office", "timeIntervals": [{
        "times": [{"startTime": "08:00", "endTime": "18:00"}], "weekdays": ["monday:friday"],
        "months": ["january:june", "9"], "years": ["2026:2027"]}]}]
    staging = next(d for d in documents(golden_models()["staging"]) if d["metadata"]["name"] == "obsgen-data")
    assert staging["spec"]["muteTimeIntervals"][0]["timeIntervals"][0]["daysOfMonth"] == [{"start": -3, "end": -1}]


# ----------------------------------------------------------------------------- scraping


def scrape(m: Model, service: str) -> list[dict]:
    yaml = YAML(typ="safe", pure=True)
    return list(yaml.load_all(artifacts(m)[f"operator/scrape/{service}.yaml"]))


def test_each_scrape_shape_becomes_the_resource_the_operator_needs_for_it():
    m = models({"variants.yaml": VARIANTS})[0]
    kinds = {s.name: [d["kind"] for d in scrape(m, s.name)] for s in m.services}
    assert kinds == {"apiservers": ["ServiceMonitor"], "kubelets": ["ServiceMonitor"], "cadvisor": ["ServiceMonitor"],
                     "shop": ["ServiceMonitor"], "batch": ["PodMonitor"], "edge": ["ScrapeConfig"],
                     "ingresses": ["ScrapeConfig"], "legacy": ["ScrapeConfig"],
                     "website": ["Probe", "Probe", "Probe", "Probe"]}
    golden = golden_models()["production"]
    assert [d["kind"] for d in scrape(golden, "workers")] == ["ScrapeConfig"]  # annotated pods


def test_monitors_select_by_labels_namespaces_and_port_and_keep_the_jobs_labels():
    m = models({"variants.yaml": VARIANTS})[0]
    (batch,) = scrape(m, "batch")
    assert batch["spec"]["selector"] == {"matchLabels": {"app": "batch"}}
    assert batch["spec"]["namespaceSelector"] == {"matchNames": ["etl", "jobs"]}
    ep = batch["spec"]["podMetricsEndpoints"][0]
    g = m.spec.global_  # unset interval and timeout: the spec's global ones, stated on the resource
    assert (ep["port"], ep["interval"], ep["scrapeTimeout"]) == ("http-metrics", g.scrape_interval, g.scrape_timeout)
    assert ep["relabelings"] == [{"targetLabel": "job", "replacement": "batch"},
                                 {"targetLabel": "tier", "replacement": "batch"}]
    assert ep["tlsConfig"] == {"ca": {"secret": {"name": "batch-tls", "key": "ca.crt"}}}
    (shop,) = scrape(m, "shop")
    assert shop["spec"]["namespaceSelector"] == {"any": True}
    assert shop["spec"]["serviceDiscoveryRole"] == "EndpointSlice"
    sep = shop["spec"]["endpoints"][0]
    assert (sep["path"], sep["scheme"]) == ("/internal/metrics", "https")
    assert sep["authorization"] == {"type": "Bearer", "credentials": {"name": "shop-token", "key": "token"}}


def test_scrape_configs_carry_the_files_targets_job_targets_and_relabelings():
    from obsgen.targets.prometheus import scrape_job

    m = golden_models()["production"]
    for name in ("workers", "postgres"):
        (doc,) = scrape(m, name)
        job = scrape_job(next(s for s in m.services if s.name == name), m)
        assert doc["spec"]["jobName"] == job["job_name"]
        assert doc["spec"].get("staticConfigs") == job.get("static_configs")
        relabel = [{k.replace("source_labels", "sourceLabels").replace("target_label", "targetLabel"): v
                    for k, v in rc.items()} for rc in job.get("relabel_configs", [])]
        assert doc["spec"].get("relabelings", []) == relabel
    (legacy,) = scrape(models({"variants.yaml": VARIANTS})[0], "legacy")
    assert legacy["spec"]["jobName"] == "legacy-app"
    assert legacy["spec"]["staticConfigs"] == [{"targets": ["legacy-1:8080", "legacy-2:8080"], "labels": {"dc": "ams"}}]


def test_presets_scrape_the_api_server_and_the_kubelets_with_the_service_account():
    m = models({"variants.yaml": VARIANTS})[0]
    (api,) = scrape(m, "apiservers")
    assert api["spec"]["namespaceSelector"] == {"matchNames": ["default"]}
    assert api["spec"]["selector"]["matchLabels"] == {"component": "apiserver", "provider": "kubernetes"}
    (cadvisor,) = scrape(m, "cadvisor")
    ep = cadvisor["spec"]["endpoints"][0]
    assert (ep["port"], ep["path"], ep["interval"]) == ("https-metrics", "/metrics/cadvisor", "10s")
    assert ep["bearerTokenFile"] == "/var/run/secrets/kubernetes.io/serviceaccount/token"
    assert "insecureSkipVerify" not in ep["tlsConfig"]


def test_each_synthetic_probe_is_a_probe_through_the_blackbox_exporter_named_like_its_job():
    m = models({"variants.yaml": VARIANTS})[0]
    probes = {d["metadata"]["name"]: d["spec"] for d in scrape(m, "website")}
    assert sorted(probes) == ["website", "website-probe-dns", "website-probe-pg", "website-probe-ping"]
    pg = probes["website-probe-pg"]
    assert pg == {"jobName": "website-probe-pg", "prober": {"url": "blackbox-exporter:9115"}, "module": "website_pg",
                  "interval": "15s", "scrapeTimeout": "5s",
                  "targets": {"staticConfig": {"static": ["postgres:5432"],
                                               "labels": {"probe": "pg", "service": "website"}}}}
    assert probes["website-probe-dns"]["targets"]["staticConfig"]["static"] == ["10.0.0.2"]
    legacy = probes["website"]
    assert (legacy["prober"], legacy["module"]) == ({"url": "blackbox:9115"}, "http_2xx")
    assert legacy["targets"]["staticConfig"]["static"] == ["https://example.com"]


# ----------------------------------------------------------------------------- dashboards


def test_each_dashboard_is_a_configmap_for_the_grafana_sidecar_with_its_folder():
    from obsgen.targets.grafana import GrafanaTarget

    m = golden_models()["production"]
    plain = {a.path.rsplit("/", 1)[1]: a.content for a in GrafanaTarget().generate(m)
             if a.path.startswith("grafana/dashboards/") and a.path.endswith(".json")}
    maps = [d for d in documents(m) if d["kind"] == "ConfigMap"]
    assert {k: v for d in maps for k, v in d["data"].items()} == plain
    overview = next(d for d in maps if "api_Overview.json" in d["data"])
    assert overview["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert overview["metadata"]["annotations"] == {"grafana_folder": "Web Team"}
    from obsgen.targets.grafana import folder_title

    folders = {next(iter(d["data"])): d["metadata"]["annotations"]["grafana_folder"] for d in maps}
    assert folders == {f"{uid}.json": folder_title(spec) for uid, spec in m.dashboards}


def test_dashboard_uids_that_are_not_dns_names_get_distinct_configmap_names():
    assert k8s_name("slo-api", "grafana-dashboard-") == "grafana-dashboard-slo-api"
    a, b = k8s_name("api_Overview"), k8s_name("api-overview")
    assert a != b and DNS1123.fullmatch(a) and b == "api-overview"


# ----------------------------------------------------------------------------- determinism


def test_the_same_spec_gives_byte_identical_output_whatever_the_order_of_its_files():
    halves = VARIANTS.split("services:\n")
    services = halves[1].split("  - name: ")[1:]
    reordered = halves[0] + "services:\n" + "".join("  - name: " + s for s in reversed(services))
    a = artifacts(models({"variants.yaml": VARIANTS})[0])
    b = artifacts(models({"variants.yaml": reordered})[0])
    assert a == b
    assert a == artifacts(models({"variants.yaml": VARIANTS})[0])


def test_the_registry_builds_the_operator_target_when_registered():
    from obsgen.targets import OUTPUT_TARGETS, REGISTRY

    assert "operator" in OUTPUT_TARGETS["operator"]
    assert isinstance(REGISTRY["operator"](), OperatorTarget)
