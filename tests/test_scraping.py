"""Scraping as teams write it: relabelling, job and HTTP client settings, discovery, remote write and
read, Alertmanager discovery, self-monitoring and escape hatches; versions gated (OBS082), insecure
TLS warned (OBS083), escape hatches reported (OBS084), secrets only as files, and promtool accepts it."""
from __future__ import annotations

from conftest import needs
from ruamel.yaml import YAML

from obsgen.api import generate, load_texts
from obsgen.core.diagnostics import Severity
from obsgen.features.verify import check_prometheus_config
from obsgen.write.tree import write_tree

HEAD = """\
apiVersion: obsgen/v1
teams: [{name: web}]
"""

SPEC = HEAD + """\
global:
  prometheus_version: "2.47"
  scrape_defaults: {sample_limit: 200000}
  remote_write:
    - url: https://metrics.example.org/api/v1/push
      basic_auth: {username: prod, password_file: /etc/prometheus/secrets/rw-password}
      queue_config: {max_samples_per_send: 2000}
      write_relabel_configs: [{source_labels: [__name__], regex: "go_.*", action: drop}]
  remote_read: [{url: "https://metrics.example.org/api/v1/read", read_recent: false}]
  alertmanager_configs:
    - {scheme: https, path_prefix: /am, static_configs: [{targets: ["am.example.org:443"]}]}
  alert_relabel_configs: [{regex: replica, action: labeldrop}]
  self_monitoring: true
services:
  - name: api
    team: web
    scrape:
      kubernetes: {role: pod, namespaces: [trading], selector: {app: api}}
      honor_labels: true
      sample_limit: 5000
      keep_dropped_targets: 10
      relabel_configs:
        - {source_labels: [__meta_kubernetes_pod_label_version], target_label: version}
        - {source_labels: [__meta_kubernetes_pod_node_name], modulus: 4, target_label: __tmp_hash, action: hashmod}
      metric_relabel_configs:
        - {source_labels: [__name__], regex: "http_request_duration_seconds_bucket", action: drop}
  - name: edge
    team: web
    scrape:
      static: ["edge-1:9100"]
      static_configs: [{targets: ["edge-2:9100"], labels: {zone: b}}]
      file_sd_configs: [{files: [/etc/prometheus/targets/edge-*.json], refresh_interval: 5m}]
      dns_sd_configs: [{names: [_metrics._tcp.edge.example.org]}]
      params: {'collect[]': [cpu, meminfo]}
      basic_auth: {username: prometheus, password_file: /etc/prometheus/secrets/edge}
      tls_config: {ca_file: /etc/prometheus/ca.crt, server_name: edge.example.org}
"""


# What Debian's promtool (2.42) knows: the spec without the 2.45 and 2.47 settings.
SPEC42 = (SPEC.replace('prometheus_version: "2.47"', 'prometheus_version: "2.42"')
          .replace("  scrape_defaults: {sample_limit: 200000}\n", "").replace("      keep_dropped_targets: 10\n", ""))


def project(text: str):
    return load_texts({"spec.yaml": text})


def errors(text: str, code: str | None = None) -> list:
    return [d for d in project(text).diagnostics if d.severity is Severity.ERROR and (code is None or d.code == code)]


def config(text: str = SPEC) -> dict:
    return YAML(typ="safe").load(generate(project(text))["default/prometheus/prometheus.yml"])


def job(cfg: dict, name: str) -> dict:
    return next(j for j in cfg["scrape_configs"] if j["job_name"] == name)


def test_the_spec_validates():
    p = project(SPEC)
    assert p.ok, [str(d) for d in p.diagnostics if d.severity is Severity.ERROR]


def test_obsgen_relabelling_comes_first_then_the_spec_own_in_order():
    j = job(config(), "api")
    rules = j["relabel_configs"]
    ours = [r for r in rules if r.get("target_label") in ("version", "__tmp_hash")]
    assert rules[-2:] == ours  # after the selection and namespace/pod labels obsgen writes
    assert rules[0]["source_labels"] == ["__meta_kubernetes_pod_label_app"] and rules[0]["action"] == "keep"
    assert ours[1] == {"source_labels": ["__meta_kubernetes_pod_node_name"], "modulus": 4,
                       "target_label": "__tmp_hash", "action": "hashmod"}
    assert j["metric_relabel_configs"] == [{"source_labels": ["__name__"],
                                            "regex": "http_request_duration_seconds_bucket", "action": "drop"}]
    assert j["honor_labels"] is True and j["sample_limit"] == 5000 and j["keep_dropped_targets"] == 10


def test_static_groups_discovery_params_and_auth_are_written_as_prometheus_reads_them():
    j = job(config(), "edge")
    assert j["static_configs"] == [{"targets": ["edge-1:9100"]}, {"targets": ["edge-2:9100"], "labels": {"zone": "b"}}]
    assert j["file_sd_configs"] == [{"files": ["/etc/prometheus/targets/edge-*.json"], "refresh_interval": "5m"}]
    assert j["dns_sd_configs"] == [{"names": ["_metrics._tcp.edge.example.org"]}]
    assert j["params"] == {"collect[]": ["cpu", "meminfo"]}
    assert j["basic_auth"] == {"username": "prometheus", "password_file": "/etc/prometheus/secrets/edge"}
    assert j["tls_config"]["server_name"] == "edge.example.org"


def test_global_remote_alerting_and_self_monitoring():
    cfg = config()
    assert cfg["global"]["sample_limit"] == 200000
    rw = cfg["remote_write"][0]
    assert rw["queue_config"] == {"max_samples_per_send": 2000}
    assert rw["write_relabel_configs"] == [{"source_labels": ["__name__"], "regex": "go_.*", "action": "drop"}]
    assert cfg["remote_read"] == [{"url": "https://metrics.example.org/api/v1/read", "read_recent": False}]
    managers = cfg["alerting"]["alertmanagers"]
    assert managers[0] == {"static_configs": [{"targets": ["alertmanager:9093"]}]}
    assert managers[1]["path_prefix"] == "/am"
    assert cfg["alerting"]["alert_relabel_configs"] == [{"regex": "replica", "action": "labeldrop"}]
    names = [j["job_name"] for j in cfg["scrape_configs"]]
    assert {"prometheus", "alertmanager"} <= set(names) and "blackbox-exporter" not in names


@needs("promtool")
def test_promtool_accepts_the_generated_config(tmp_path):
    assert project(SPEC42).ok
    write_tree(tmp_path, generate(project(SPEC42)))
    config_path = tmp_path / "default" / "prometheus" / "prometheus.yml"
    result = check_prometheus_config(config_path, "prometheus.yml", "promtool")
    assert result.ok, result.detail


def test_a_setting_newer_than_the_targeted_prometheus_is_obs082_at_its_place():
    text = SPEC.replace('prometheus_version: "2.47"', 'prometheus_version: "2.42"')
    errs = errors(text, "OBS082")
    assert sorted(e.message.split(" needs")[0] for e in errs) == ["global sample_limit", "scrape keep_dropped_targets"]
    errs = [e for e in errs if "keep_dropped_targets" in e.message]
    assert errs[0].pos.line == next(i for i, line in enumerate(text.splitlines(), 1) if "keep_dropped_targets" in line)
    removed = SPEC.replace('"2.47"', '"3.0"').replace("honor_labels: true", "scrape_classic_histograms: true")
    assert any("removed in Prometheus 3.0" in e.message for e in errors(removed, "OBS082"))


def test_relabelling_is_checked():
    bad = SPEC.replace('regex: "http_request_duration_seconds_bucket"', 'regex: "a(b"')
    assert errors(bad, "OBS036")
    assert errors(SPEC.replace("modulus: 4, ", ""))  # hashmod needs modulus
    assert errors(SPEC.replace("target_label: version", "target_label: 1version"), "OBS011")
    assert errors(SPEC.replace("action: hashmod", "action: hashmodd"))
    templated = SPEC.replace("target_label: version", "target_label: '${1}_version'")
    assert errors(templated) == []  # replace may write a label named from the match


def test_one_way_to_say_each_thing():
    both = SPEC.replace("tls_config: {ca_file: /etc/prometheus/ca.crt", "ca_file: /x\n      tls_config: {ca_file: /e")
    assert [e.code for e in errors(both)] == ["OBS020"]
    auth = SPEC.replace("basic_auth: {username: prometheus, password_file: /etc/prometheus/secrets/edge}",
                        "basic_auth: {username: p, password_file: /f}\n      bearer_token_file: /t")
    assert [e.code for e in errors(auth)] == ["OBS020"]
    k8s = SPEC.replace("honor_labels: true", "kubernetes_sd_configs: [{role: pod}]")
    assert [e.code for e in errors(k8s)] == ["OBS020"]


def test_secrets_are_only_files():
    for old, new in (("password_file: /etc/prometheus/secrets/edge", "password: hunter2-scrape"),
                     ("password_file: /etc/prometheus/secrets/rw-password", "password: hunter2-remote"),
                     ("honor_labels: true", "bearer_token: hunter2-token")):
        p = project(SPEC42.replace(old, new))
        codes = [d.code for d in p.diagnostics if d.severity is Severity.ERROR]
        assert codes and set(codes) == {"OBS013"}, codes
        assert all("hunter2" not in d.message and "hunter2" not in (d.hint or "") for d in p.diagnostics)
    consul = SPEC42.replace("dns_sd_configs:", "consul_sd_configs: [{server: 'c:8500', token: hunter2-consul}]\n"
                                             "      dns_sd_configs:")
    assert [d.code for d in errors(consul)] == ["OBS013"]


def test_insecure_tls_is_a_warning():
    text = SPEC.replace("server_name: edge.example.org", "insecure_skip_verify: true")
    warns = [d for d in project(text).diagnostics if d.code == "OBS083"]
    assert len(warns) == 1 and warns[0].severity is Severity.WARNING


def test_escape_hatches_are_written_and_reported():
    text = SPEC.replace("  self_monitoring: true\n", "  self_monitoring: true\n  extra_scrape_jobs:\n"
                        "    - {job_name: federate, metrics_path: /federate, honor_labels: true,\n"
                        "       params: {'match[]': ['{job=\"node\"}']}, static_configs: [{targets: ['dc2:9090']}]}\n"
                        "  prometheus_extra: {storage: {tsdb: {out_of_order_time_window: 30m}}}\n")
    text = text.replace("      honor_labels: true\n", "      honor_labels: true\n      extra: {future_setting: 1}\n")
    p = project(text)
    assert p.ok, [str(d) for d in p.diagnostics if d.severity is Severity.ERROR]
    notes = [d for d in p.diagnostics if d.code == "OBS084"]
    assert len(notes) == 3
    cfg = config(text)
    assert job(cfg, "federate")["metrics_path"] == "/federate"
    assert cfg["storage"] == {"tsdb": {"out_of_order_time_window": "30m"}}
    assert job(cfg, "api")["future_setting"] == 1
    clash = text.replace("extra: {future_setting: 1}", "extra: {sample_limit: 1}")
    assert [e.code for e in errors(clash)] == ["OBS020"]


def test_the_operator_target_refuses_what_it_does_not_write():
    text = SPEC.replace("global:\n", "output: {target: operator}\nglobal:\n")
    codes = {e.code for e in errors(text)}
    assert "OBS045" in codes


def test_a_job_with_only_prometheus_discovery_needs_no_obsgen_short_form():
    text = HEAD + ("services:\n  - name: nodes\n    team: web\n    scrape:\n"
                   "      file_sd_configs: [{files: [/etc/prometheus/nodes.json]}]\n")
    assert project(text).ok
    assert job(config(text), "nodes") == {"job_name": "nodes", "file_sd_configs": [
        {"files": ["/etc/prometheus/nodes.json"]}]}
    assert errors(HEAD + "services:\n  - name: nodes\n    team: web\n    scrape: {honor_labels: true}\n")


def test_lint_knows_the_labels_relabelling_adds():
    from obsgen.check.lint.catalog import Catalog

    model = project(SPEC).models[0]
    catalog = Catalog(model)
    assert {"version", "zone"} <= catalog.targets  # a relabelled label, a static group's label
    assert "__tmp_hash" not in catalog.targets  # labels starting with __ are dropped after relabelling


LINTED = HEAD + """\
services:
  - name: pay
    team: web
    scrape:
      static: ["pay:8000"]
      relabel_configs: [{source_labels: [__address__], regex: "([^:]+):.*", target_label: host}]
      metric_relabel_configs: [{regex: "pod|replica", action: labeldrop}]
    metrics:
      - {name: payments_total, type: counter, labels: [pod, result], help: payments}
    alerts:
      - {name: PaymentsFailing, expr: 'sum by (BY) (rate(payments_total{result="error"}[5m])) > 1', for: 5m,
         severity: warning, summary: failing, description: d}
"""


def test_lint_knows_the_labels_relabelling_adds_and_drops():
    def obs051(by: str) -> list:
        return [d for d in project(LINTED.replace("BY", by)).diagnostics if d.code == "OBS051"]
    assert obs051("host") == []  # added by the job's relabelling
    assert obs051("result") == []  # the catalog's own
    dropped = obs051("pod")  # in the catalog, but the job's metric relabelling drops it
    assert len(dropped) == 1 and "pod" in dropped[0].message
