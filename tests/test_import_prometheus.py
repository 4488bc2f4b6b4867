"""`obsgen import prometheus`: one service per scrape job, whose built prometheus.yml scrapes as the
input did (`equivalent`, each job compared, promtool); literal secrets become *_file references
(OBS081, never the value); bad input is refused with file:line:col. Every configuration here is
written for these tests. Known bugs were strict xfails; all are fixed."""
from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import needs
from ruamel.yaml import YAML

from obsgen.api import load_texts
from obsgen.core import naming
from obsgen.core.diagnostics import Severity, format_text
from obsgen.core.serialise import to_yaml
from obsgen.features.importers.prometheus import equivalent, import_prometheus
from obsgen.features.verify import check_prometheus_config
from obsgen.targets.prometheus import config_doc

# Several label groups; blackbox params with the target moved to __param_target; federation.
STATIC = """\
global:
  {scrape_interval: 30s, scrape_timeout: 12s, evaluation_interval: 45s, external_labels: {cluster: eu-1, replica: a}}
scrape_configs:
  - job_name: node_exporter
    static_configs:
      - {targets: [db-1:9100, db-2:9100], labels: {role: db, dc: fra}}
      - {targets: [web-1:9100], labels: {role: web}}
  - job_name: Blackbox HTTP
    metrics_path: /probe
    params: {module: [http_2xx]}
    scrape_interval: 15s
    static_configs: [{targets: ['https://example.org', 'http://intranet.local/health']}]
    relabel_configs:
      - {source_labels: [__address__], target_label: __param_target}
      - {source_labels: [__param_target], target_label: instance}
      - {target_label: __address__, replacement: 'blackbox:9115'}
  - job_name: federate
    honor_labels: true
    metrics_path: /federate
    params: {'match[]': ['{job="node"}', '{__name__=~"job:.*"}']}
    static_configs: [{targets: ['prom-a:9090']}]
    metric_relabel_configs: [{source_labels: [__name__], regex: 'scrape_.*', action: drop}]
"""

# file, dns, consul and kubernetes discovery; every kind of relabelling; limits.
DISCOVERY = """\
scrape_configs:
  - job_name: files
    file_sd_configs:
      - {files: [/etc/prometheus/targets/*.json, /etc/prometheus/targets/*.yml], refresh_interval: 2m}
    dns_sd_configs:
      - {names: [_metrics._tcp.example.org], type: SRV, refresh_interval: 45s}
      - {names: [db.example.org], type: A, port: 9187}
  - job_name: consul-services
    consul_sd_configs:
      - {server: 'consul.service:8500', datacenter: dc1, services: [api, worker], tags: [metrics], allow_stale: true}
    relabel_configs:
      - {source_labels: [__meta_consul_service], target_label: service}
      - {source_labels: [__meta_consul_tags], regex: '.*,canary,.*', action: drop}
  - job_name: k8s-pods
    kubernetes_sd_configs:
      - role: pod
        namespaces: {names: [shop, payments]}
        selectors: [{role: pod, label: app.kubernetes.io/part-of=shop}]
      - {role: endpoints, namespaces: {own_namespace: true}}
    relabel_configs:
      - {source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape], action: keep, regex: 'true'}
      - {source_labels: [__meta_kubernetes_pod_phase], action: drop, regex: Pending|Succeeded|Failed}
      - {action: labelmap, regex: __meta_kubernetes_pod_label_(.+)}
      - {source_labels: [__address__], modulus: 3, target_label: __tmp_shard, action: hashmod}
      - {source_labels: [__tmp_shard], regex: '1', action: keep}
      - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
        regex: '([^:]+)(?::\\d+)?;(\\d+)'
        replacement: '$1:$2'
        target_label: __address__
        action: replace
    metric_relabel_configs:
      - {source_labels: [__name__], regex: 'go_gc_.*|process_.*', action: drop}
      - {regex: pod_template_hash, action: labeldrop}
    sample_limit: 20000
    label_limit: 40
    target_limit: 500
    body_size_limit: 12MB
    label_name_length_limit: 100
    label_value_length_limit: 500
"""

# HTTP clients from files, remote write and read, static Alertmanagers with alert relabelling.
CLIENTS = """\
global: {scrape_interval: 20s, external_labels: {region: eu}}
scrape_configs:
  - job_name: secure-api
    scheme: https
    basic_auth: {username: scraper, password_file: /etc/prometheus/api.pass}
    tls_config: {ca_file: /etc/prometheus/ca.pem, cert_file: /etc/prometheus/c.pem, key_file: /etc/prometheus/c.key,
                 server_name: api.internal}
    follow_redirects: false
    static_configs: [{targets: ['api-1:8443']}]
  - job_name: token-api
    authorization: {type: Bearer, credentials_file: /etc/prometheus/token}
    scrape_timeout: 5s
    honor_timestamps: false
    static_configs: [{targets: ['svc:8080']}]
  - job_name: oauth-api
    oauth2: {client_id: prom, client_secret_file: /etc/prometheus/oauth.secret, scopes: [metrics.read],
             token_url: 'https://sso.example.org/token', endpoint_params: {audience: metrics}}
    proxy_url: http://proxy:3128
    static_configs: [{targets: ['oauth-svc:9000'], labels: {tier: gold}}]
  - job_name: legacy-token
    bearer_token_file: /etc/prometheus/legacy.token
    static_configs: [{targets: ['old:9000']}]
remote_write:
  - url: https://mimir.example.org/api/v1/push
    name: mimir
    remote_timeout: 20s
    headers: {X-Scope-OrgID: team-a}
    basic_auth: {username: rw, password_file: /etc/prometheus/rw.pass}
    queue_config: {capacity: 5000, max_shards: 20, max_samples_per_send: 1000, batch_send_deadline: 10s}
    metadata_config: {send: false}
    write_relabel_configs: [{source_labels: [__name__], regex: 'up|node_.*', action: keep},
                            {regex: instance_id, action: labeldrop}]
remote_read:
  - {url: 'http://thanos:10902/api/v1/read', read_recent: true, required_matchers: {env: prod}}
alerting:
  alert_relabel_configs: [{regex: replica, action: labeldrop}]
  alertmanagers: [{static_configs: [{targets: ['am-1:9093', 'am-2:9093']}]}]
"""

# Alertmanagers found by Kubernetes discovery, beside static ones.
K8S_ALERTMANAGERS = """\
alerting:
  alertmanagers:
    - static_configs: [{targets: ['am-1:9093']}]
    - kubernetes_sd_configs: [{role: pod, namespaces: {names: [monitoring]}}]
      path_prefix: /am
      timeout: 10s
      relabel_configs: [{source_labels: [__meta_kubernetes_pod_label_app], regex: alertmanager, action: keep}]
scrape_configs: [{job_name: self, static_configs: [{targets: ['localhost:9090']}]}]
"""

FIXTURES = {"static": STATIC, "discovery": DISCOVERY, "clients": CLIENTS}
# Prometheus' defaults for a job's settings (a built job may leave them out, or say them).
JOB_DEFAULTS = {"metrics_path": "/metrics", "scheme": "http", "honor_labels": False, "honor_timestamps": True,
                "follow_redirects": True, "enable_http2": True}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # positions name inputs relative to the working folder


def write(name: str, text: str) -> Path:
    Path(name).write_text(text, encoding="utf-8")
    return Path(name)


def load(text: str):
    return YAML(typ="safe", pure=True).load(text)


def run(*paths) -> tuple[str, list]:
    text, diags = import_prometheus([Path(p) for p in paths])
    errs = [format_text(d) for d in diags if d.severity is Severity.ERROR]
    assert text is not None and not errs, "\n".join(errs)
    return text, diags


def build(text: str) -> dict:
    project = load_texts({"imported.yaml": text})
    assert project.ok, "\n".join(format_text(d) for d in project.diagnostics)
    return config_doc(project.models[0])


_IMPORTED: dict[str, tuple] = {}


def imported(source: str) -> tuple[dict, str, list, dict]:
    """(the input as parsed, the imported spec, its diagnostics, the built prometheus.yml); the input
    is read from in.yml in the working folder."""
    if source not in _IMPORTED:
        text, diags = run(write("in.yml", source))
        _IMPORTED[source] = (text, diags, build(text))
    text, diags, built = _IMPORTED[source]
    write("in.yml", source)
    return load(source), text, list(diags), copy.deepcopy(built)


def of(diags, code: str) -> list:
    return [d for d in diags if d.code == code]


def pos_of(text: str, needle: str) -> tuple[int, int]:
    before = text[:text.index(needle)]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


def promtool_check(path: Path):
    return check_prometheus_config(path, path.name, shutil.which("promtool"))


def job(cfg: dict, name: str) -> dict:
    [found] = [j for j in cfg["scrape_configs"] if j["job_name"] == name]
    return found


def without_defaults(j: dict) -> dict:
    out = {k: v for k, v in j.items() if JOB_DEFAULTS.get(k, object()) != v}
    if "bearer_token_file" in out:  # Prometheus' older spelling of the same setting
        out["authorization"] = {"credentials_file": out.pop("bearer_token_file")}
    return out


def spec_services(text: str) -> dict:
    return {s["name"]: s for s in load(text)["services"]}


def obsgen(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "obsgen", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120, check=False)


# ----------------------------------------------------------------------------- round trip

@needs("promtool")
@pytest.mark.parametrize("name", list(FIXTURES))
def test_the_built_config_scrapes_each_job_as_the_input_did_and_promtool_accepts_it(name):
    source = FIXTURES[name]
    assert promtool_check(write("in.yml", source)).ok  # the fixture itself is valid for 2.42
    original, text, diags, built = imported(source)
    assert diags == []
    assert load(text)["global"]["prometheus_version"] == "2.42"
    assert equivalent(original, built) == []
    result = promtool_check(write("built.yml", to_yaml(built)))
    assert result.ok, result.detail
    assert sorted(j["job_name"] for j in built["scrape_configs"]) == sorted(
        j["job_name"] for j in original["scrape_configs"])
    for want in original["scrape_configs"]:
        assert without_defaults(job(built, want["job_name"])) == without_defaults(want), want["job_name"]
    for key in ("remote_write", "remote_read"):
        assert built.get(key) == original.get(key)
    assert built["global"].get("external_labels") == (original.get("global") or {}).get("external_labels")
    assert (built.get("alerting") or {}) == (original.get("alerting") or {})


def test_static_groups_use_the_short_form_only_for_one_plain_group():
    _, text, _, _ = imported(STATIC)
    services = spec_services(text)
    assert services["federate"]["scrape"]["static"] == ["prom-a:9090"]
    assert "static_configs" not in services["federate"]["scrape"]
    assert [g["labels"] for g in services["node-exporter"]["scrape"]["static_configs"]] == [
        {"role": "db", "dc": "fra"}, {"role": "web"}]
    assert "static_configs" in services["blackbox-http"]["scrape"]  # URLs are not host:port targets


def test_alertmanagers_found_by_kubernetes_discovery_come_back_as_given():
    original, text, _, built = imported(K8S_ALERTMANAGERS)
    assert load(text)["global"]["alertmanagers"] == ["am-1:9093"]
    assert equivalent(original, built) == []
    assert built["alerting"]["alertmanagers"] == original["alerting"]["alertmanagers"]


@needs("promtool")
def test_promtool_check_accepts_a_built_config_with_kubernetes_alertmanagers():
    result = promtool_check(write("built.yml", to_yaml(imported(K8S_ALERTMANAGERS)[3])))
    assert result.ok, result.detail


def test_rule_files_are_named_in_a_warning_and_storage_kept_as_given():
    source = ("global: {scrape_interval: 15s}\nrule_files: [/etc/prometheus/rules/*.yml]\n"
              "storage:\n  tsdb: {out_of_order_time_window: 30m}\n"
              "scrape_configs:\n  - {job_name: self, static_configs: [{targets: ['localhost:9090']}]}\n")
    original, text, diags, built = imported(source)
    [rules] = of(diags, "OBS042")
    [extra] = of(diags, "OBS069")
    assert (rules.pos.line, rules.pos.col, extra.pos.line, extra.pos.col) == (2, 1, 3, 1)
    assert "rule_files" in rules.message and "obsgen import rules" in rules.message
    assert load(text)["global"]["prometheus_extra"] == {"storage": original["storage"]}
    assert built["storage"] == original["storage"] and equivalent(original, built) == []


# ----------------------------------------------------------------------------- equivalent

SWAP, POP = object(), object()
MISSED = {"alert-relabel": "equivalent does not compare alerting.alert_relabel_configs",
          "ca-file": "equivalent compares every *_file (ca_file, cert_file...) only by presence"}
MUTATIONS = {  # id: (fixture, the job changed (None: the whole file), the path to the value, the new value)
    "relabel-order": ("discovery", "k8s-pods", ["relabel_configs"], SWAP),
    "relabel-regex": ("discovery", "k8s-pods", ["relabel_configs", 4, "regex"], "2"),
    "hashmod-modulus": ("discovery", "k8s-pods", ["relabel_configs", 3, "modulus"], 4),
    "metric-relabel": ("discovery", "k8s-pods", ["metric_relabel_configs", 0], POP),
    "dns-names": ("discovery", "files", ["dns_sd_configs", 1, "names"], ["db2.example.org"]),
    "file-sd": ("discovery", "files", ["file_sd_configs", 0, "files", 1], POP),
    "k8s-role": ("discovery", "k8s-pods", ["kubernetes_sd_configs", 1, "role"], "service"),
    "k8s-selector": ("discovery", "k8s-pods", ["kubernetes_sd_configs", 0, "selectors"], POP),
    "consul-services": ("discovery", "consul-services", ["consul_sd_configs", 0, "services"], ["api"]),
    "sample-limit": ("discovery", "k8s-pods", ["sample_limit"], 1),
    "params": ("static", "Blackbox HTTP", ["params", "module"], ["tcp_connect"]),
    "job-interval": ("static", "Blackbox HTTP", ["scrape_interval"], "20s"),
    "honor-labels": ("static", "federate", ["honor_labels"], POP),
    "group-label": ("static", "node_exporter", ["static_configs", 1, "labels", "role"], "db"),
    "global-interval": ("static", None, ["global", "scrape_interval"], "1m"),
    "evaluation": ("static", None, ["global", "evaluation_interval"], "1m"),
    "external-labels": ("static", None, ["global", "external_labels", "replica"], "b"),
    "missing-job": ("static", None, ["scrape_configs", 2], POP),
    "remote-write-url": ("clients", None, ["remote_write", 0, "url"], "https://other.example.org/push"),
    "write-relabel": ("clients", None, ["remote_write", 0, "write_relabel_configs"], SWAP),
    "queue": ("clients", None, ["remote_write", 0, "queue_config", "max_shards"], 2),
    "remote-read": ("clients", None, ["remote_read", 0, "read_recent"], False),
    "alertmanager": ("clients", None, ["alerting", "alertmanagers", 0, "static_configs", 0, "targets", 1], POP),
    "basic-auth-user": ("clients", "secure-api", ["basic_auth", "username"], "other"),
    "oauth2-scope": ("clients", "oauth-api", ["oauth2", "scopes"], []),
    "alert-relabel": ("clients", None, ["alerting", "alert_relabel_configs", 0, "regex"], "zone"),
    "ca-file": ("clients", "secure-api", ["tls_config", "ca_file"], "/other/ca.pem"),
}
SAYS = {"global-interval": "global.scrape_interval", "evaluation": "global.evaluation_interval",
        "external-labels": "global.external_labels differ", "missing-job": "job 'node_exporter'",
        "alertmanager": "alerting.alertmanagers", "alert-relabel": "alert_relabel_configs"}


@pytest.mark.parametrize("change", list(MUTATIONS))
def test_equivalent_reports_each_kind_of_difference(change):
    fixture, name, path, new = MUTATIONS[change]
    original, _, _, built = imported(FIXTURES[fixture])
    assert equivalent(original, built) == []
    node = job(built, name) if name else built
    for key in path[:-1]:
        node = node[key]
    if new is POP:
        del node[path[-1]]
    elif new is SWAP:
        node[path[-1]][:2] = node[path[-1]][1::-1]
    else:
        node[path[-1]] = new
    says = SAYS.get(change) or (f"job '{name}'" if name else path[0] + " differs")
    problems = equivalent(original, built)
    assert any(says in p for p in problems), problems


def test_equivalent_reports_a_job_built_that_the_input_lacks():
    original, _, _, built = imported(STATIC)
    built["scrape_configs"].append({"job_name": "x", "static_configs": [{"targets": ["x:1"]}]})
    assert equivalent(original, built) == ["job 'x' is built but not in the original"]


# ----------------------------------------------------------------------------- secrets

SECRETS = """\
scrape_configs:
  - job_name: api
    basic_auth:
      username: scraper
      password: pw-literal-1111
    tls_config: {ca_file: /etc/prometheus/ca.pem, cert_file: /etc/prometheus/client.pem, key: key-literal-2222}
    static_configs: [{targets: ['api:443']}]
  - job_name: sso
    oauth2: {client_id: prom, client_secret: oauth-literal-4444, token_url: 'https://sso.example.org/token'}
    static_configs: [{targets: ['sso:80']}]
remote_write:
  - url: https://rw.example.org/push
    basic_auth: {username: rw, password: rw-literal-5555}
"""
SECRET_FIELDS = {  # value -> the field the warning names, and the setting it becomes
    "pw-literal-1111": ("scrape_configs[0].basic_auth.password", "password_file"),
    "key-literal-2222": ("scrape_configs[0].tls_config.key", "key_file"),
    "oauth-literal-4444": ("scrape_configs[1].oauth2.client_secret", "client_secret_file"),
    "rw-literal-5555": ("remote_write[0].basic_auth.password", "password_file"),
}


@needs("promtool")
def test_each_literal_secret_is_one_obs081_at_its_value_and_becomes_a_file_never_the_value():
    original, text, diags, built = imported(SECRETS)
    warnings = of(diags, "OBS081")
    assert len(warnings) == len(SECRET_FIELDS)
    shown = "\n".join(format_text(d) for d in diags)
    for value, (field, setting) in SECRET_FIELDS.items():
        here = [w for w in warnings if (w.pos.file, w.pos.line, w.pos.col) == ("in.yml", *pos_of(SECRETS, value))]
        assert len(here) == 1, (value, [format_text(w) for w in warnings])
        assert field in here[0].message and f"imported as {setting}" in here[0].message
        assert value not in shown and value not in text
    files = re.findall(r"imported as \w+: (/etc/prometheus/secrets/[\w-]+)", shown)
    header = [line[4:].split("  (")[0] for line in text.splitlines() if line.startswith("# - ")]
    assert len(set(files)) == 4 and set(files) == set(header)
    api = spec_services(text)["api"]["scrape"]
    assert api["basic_auth"] == {"username": "scraper", "password_file": files[0]}
    assert api["tls_config"]["key_file"] == files[1] and "key" not in api["tls_config"]
    assert load(text)["global"]["remote_write"][0]["basic_auth"] == {"username": "rw", "password_file": files[3]}
    assert equivalent(original, built, set(files)) == []  # the literal and the file made of it read the same
    assert equivalent(original, built) != []  # without saying which files the import made, they differ
    assert promtool_check(write("built.yml", to_yaml(built))).ok
    assert not any(v in Path("built.yml").read_text() for v in SECRET_FIELDS)


@pytest.mark.parametrize("source", [
    "scrape_configs:\n  - job_name: t\n    bearer_token: bt-literal-3333\n    static_configs: [{targets: ['t:80']}]\n",
    "scrape_configs:\n  - job_name: t\n    http_sd_configs: [{url: 'http://sd.t/', bearer_token: bt-literal-3333}]\n",
    "scrape_configs: []\nremote_write:\n  - url: https://rw.example.org/push\n    bearer_token: bt-literal-3333\n",
], ids=["job", "http-sd", "remote-write"])
def test_a_literal_bearer_token_becomes_a_credentials_file(source):
    text, diags = run(write("in.yml", source))
    [warned] = of(diags, "OBS081")
    assert warned.pos.line == source.count("\n", 0, source.index("bt-literal")) + 1
    assert "bt-literal-3333" not in text and "credentials_file: /etc/prometheus/secrets/" in text


def test_a_consul_token_has_no_file_setting_and_is_refused_at_its_value():
    source = "scrape_configs:\n  - job_name: svc\n    consul_sd_configs:\n      - {server: 'consul:8500', " \
             "token: consul-literal-6666}\n"
    text, diags = import_prometheus([write("in.yml", source)])
    assert text is None
    [refusal] = [d for d in diags if d.severity is Severity.ERROR]
    assert refusal.code == "OBS040" and (refusal.pos.line, refusal.pos.col) == pos_of(source, "consul-literal")
    assert "consul_sd_configs[0].token" in refusal.message and "no file setting" in refusal.message
    assert "consul-literal-6666" not in "\n".join(format_text(d) for d in diags)


# ----------------------------------------------------------------------------- version

@pytest.mark.parametrize("source, version, setting", [
    ("scrape_configs:\n  - {job_name: k, keep_dropped_targets: 50, static_configs: [{targets: ['a:1']}]}\n",
     "2.47", "scrape_configs[0].keep_dropped_targets"),
    ("global: {sample_limit: 1000}\nscrape_configs:\n  - {job_name: k, static_configs: [{targets: ['a:1']}]}\n",
     "2.45", "global.sample_limit"),
], ids=["keep_dropped_targets", "global-sample-limit"])
def test_a_newer_setting_raises_the_version_with_a_note_naming_it(source, version, setting):
    original, text, _, built = imported(source)
    assert load(text)["global"]["prometheus_version"] == version
    notes = text.split("# Notes:")[1].split("apiVersion:")[0]
    assert f"prometheus_version is {version}" in notes and setting in notes
    assert equivalent(original, built) == []  # and the spec validates: no OBS082 at that version


def test_a_config_with_only_242_settings_and_no_global_gets_242_and_prometheus_default_intervals():
    original, text, _, _ = imported(DISCOVERY)
    g = load(text)["global"]
    assert "global" not in original and "prometheus_version is" not in text
    assert (g["prometheus_version"], g["scrape_interval"], g["scrape_timeout"], g["evaluation_interval"]) == (
        "2.42", "1m", "10s", "1m")  # Prometheus' defaults, not obsgen's


# ----------------------------------------------------------------------------- refusals

JOB = "    static_configs: [{targets: ['a:1']}]\n"
REFUSALS = [
    pytest.param({"in.yml": f"scrape_configs:\n  - job_name: a\n    scrape_intervall: 10s\n{JOB}"},
                 "in.yml:3:5: error[OBS041]: scrape_configs[0].scrape_intervall", "did you mean `scrape_interval`",
                 id="unknown-key"),
    pytest.param({"in.yml": f"scrape_configs:\n  - job_name: a\n{JOB}  - job_name: a\n{JOB}"},
                 "in.yml:4:15: error[OBS041]: scrape_configs[1].job_name: job 'a' is defined twice", "",
                 id="duplicate-job"),
    pytest.param({"in.yml": f"scrape_configs:\n  - job_name: a\n{JOB}    relabel_configs:\n"
                            "      - {source_labels: [x], regex: 'a(?=b)', action: keep}\n"},
                 "in.yml:5:37: error[OBS041]: scrape_configs[0].relabel_configs[0].regex", "(RE2)", id="re2"),
    pytest.param({"a.yml": f"scrape_configs:\n  - job_name: a\n{JOB}", "b.yml": "global: {scrape_interval: 1m}\n"},
                 "b.yml:1:1: error[OBS040]: 2 Prometheus configurations given", "import one at a time",
                 id="two-configs"),
    pytest.param({"in.yml": f"scrape_configs:\n  - job_name: a\n{JOB}    relabel_configs:\n"
                            "      - {source_labels: [x], action: keepit}\n"},
                 "in.yml:5:38: error[OBS041]: scrape_configs[0].relabel_configs[0].action: 'keepit' is not a relabel "
                 "action", "did you mean `keep`", id="unknown-action"),
    pytest.param({"in.yml": "scrape_configs:\n  - job_name: svc\n    consul_sd_configs:\n"
                            "      - {server: 'consul:8500', token: consul-literal-6666}\n"},
                 "in.yml:4:40: error[OBS040]: scrape_configs[0].consul_sd_configs[0].token", "no file setting",
                 id="consul-token"),
]


@pytest.mark.parametrize("files, where, says", REFUSALS)
def test_bad_input_is_refused_through_the_cli_with_its_position_and_nothing_written(tmp_path, files, where, says):
    for name, content in files.items():
        write(name, content)
    proc = obsgen("import", "prometheus", *files, "-o", "out.yaml", cwd=tmp_path)
    assert proc.returncode == 1
    assert where in proc.stderr and says in proc.stderr and "nothing imported" in proc.stderr, proc.stderr
    assert "consul-literal-6666" not in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out.yaml").exists() and proc.stdout == ""


def test_an_unknown_relabel_action_is_refused_at_its_place_in_the_input():
    source = f"scrape_configs:\n  - job_name: a\n{JOB}    relabel_configs:\n      - source_labels: [x]\n" \
             "        action: keepit\n"
    _, diags = import_prometheus([write("in.yml", source)])
    [refusal] = [d for d in diags if d.severity is Severity.ERROR]
    assert (refusal.pos.file, refusal.pos.line, refusal.pos.col) == ("in.yml", 6, 17)


# ----------------------------------------------------------------------------- names

NAMES = "scrape_configs:\n" + "".join(
    f"  - job_name: '{name}'\n    static_configs: [{{targets: ['h{i}:9100']}}]\n"
    for i, name in enumerate(["node_exporter", "Blackbox HTTP", "api_v1", "api-v1", "API.V1", "plain"]))


def test_job_names_that_are_not_dns_labels_become_distinct_service_names_keeping_the_job():
    original, text, _, built = imported(NAMES)
    services = spec_services(text)
    assert {n: s["scrape"].get("job") for n, s in services.items()} == {
        "node-exporter": "node_exporter", "blackbox-http": "Blackbox HTTP", "api-v1": "api_v1",
        "api-v1-2": "api-v1", "api-v1-3": "API.V1", "plain": None}
    for name in services:
        naming.check_name(name)
        assert re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", name)
    assert sorted(j["job_name"] for j in built["scrape_configs"]) == sorted(
        j["job_name"] for j in original["scrape_configs"])
    assert equivalent(original, built) == []


# ----------------------------------------------------------------------------- the command line

@needs("promtool", "amtool")
def test_import_build_check_end_to_end_and_the_import_is_deterministic(tmp_path):
    write("cfg.yml", STATIC + DISCOVERY.removeprefix("scrape_configs:\n"))
    (tmp_path / "specs").mkdir()
    first = obsgen("import", "prometheus", "cfg.yml", "-o", "specs/scraping.yaml", cwd=tmp_path)
    assert first.returncode == 0 and "wrote specs/scraping.yaml" in first.stderr, first.stderr
    again = obsgen("import", "prometheus", "cfg.yml", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout.encode() == (tmp_path / "specs" / "scraping.yaml").read_bytes()
    built = obsgen("build", "specs", "-o", "out", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    check = obsgen("check", "out", cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "prometheus/prometheus.yml  [promtool check config]" in check.stdout
    config = load((tmp_path / "out" / "default" / "prometheus" / "prometheus.yml").read_text())
    original = load(Path("cfg.yml").read_text())
    assert equivalent(original, config) == []
    assert len(config["scrape_configs"]) == len(original["scrape_configs"]) == 6


def test_relabel_and_label_values_yaml_would_type_keep_the_text_prometheus_reads():
    source = ("global:\n  external_labels: {version: 1.10}\nscrape_configs:\n  - job_name: k\n"
              "    static_configs: [{targets: ['k:80'], labels: {shard: 007}}]\n    relabel_configs:\n"
              "      - {source_labels: [__meta_x_scrape], regex: true, action: keep}\n"
              "      - {source_labels: [__meta_x_port], regex: 9187, action: keep}\n"
              "      - {source_labels: [__meta_x_v], regex: 1.10, target_label: v}\n")
    _, text, diags, built = imported(source)
    assert text is not None, [format_text(d) for d in diags]
    job = built["scrape_configs"][0]
    assert [r["regex"] for r in job["relabel_configs"]] == ["true", "9187", "1.10"]  # not True, 9187, 1.1
    assert job["static_configs"][0]["labels"] == {"shard": "007"}
    assert built["global"]["external_labels"] == {"version": "1.10"}
