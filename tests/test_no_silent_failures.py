"""No silent failures: specs that validate must alert as written (issue 16). Each case is built
by a whole obsgen process, and the outcome is proven on what it wrote: where `obsgen route` says
an alert goes, which rules an environment's file holds, or the diagnostic that says why not."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

TEAM = """\
teams:
  - name: web
    slack: {channel: "#web", api_url_file: /etc/am/slack}
    pagerduty: {routing_key_file: /etc/am/pd}
    email: {to: web@example.com}
routing:
  smtp: {smarthost: "smtp.example.com:587", from: am@example.com}
"""
SERVICE = """\
services:
  - name: api
    team: web
    scrape: {static: ["api:8000"]}
    metrics:
      - {name: http_requests_total, type: counter, help: Requests., labels: [code]}
    alerts:
      - name: ApiHighErrorRate
        expr: sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.05
        for: 5m
        severity: critical
        summary: API errors
        description: Many API errors.
        runbook_url: https://runbooks.example.com/api
      - {name: ApiDown, expr: 'up{job="api"} == 0', for: 2m, severity: warning, summary: API down, description: d}
      - {name: ApiSlowStart, expr: 'up{job="api"} == 2', for: 10m, severity: warning, summary: s, description: d}
"""


def obsgen(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "obsgen", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1"}, timeout=300)


def project(tmp_path: Path, text: str) -> Path:
    (tmp_path / "specs").mkdir(parents=True)
    (tmp_path / "specs" / "spec.yaml").write_text("apiVersion: obsgen/v1\n" + text)
    return tmp_path


def route(root: Path, env: str, **labels: str) -> list[dict]:
    proc = obsgen("route", "--env", env, "--format", "json", *(f"{k}={v}" for k, v in labels.items()), cwd=root)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["routes"]


def rules(root: Path, env: str, service: str = "api") -> dict[str, dict]:
    doc = YAML(typ="safe").load((root / "generated" / env / "prometheus" / "rules" / f"{service}.rules.yml").read_text())
    return {r["alert"]: r for g in doc["groups"] for r in g["rules"] if "alert" in r}


# ----------------------------------------------------------------------------- 1. severities

def test_overriding_one_severitys_channels_keeps_every_other_default(tmp_path):
    for where in ("base", "environment"):
        override = "  severities: {critical: {channels: [pagerduty]}}\n"
        text = TEAM + (override if where == "base" else "") + SERVICE
        if where == "environment":
            text += "environments:\n  production:\n    routing:\n" + "    " + override
        root = project(tmp_path / where, text)
        assert obsgen("build", cwd=root).returncode == 0
        env = "production" if where == "environment" else "default"
        (warning,) = route(root, env, team="web", severity="warning")
        assert warning["receiver"] == "web-warning" and warning["integrations"] == ["email", "slack"]
        (critical,) = route(root, env, team="web", severity="critical")
        assert critical["integrations"] == ["pagerduty"]  # the override
        assert critical["group_wait"] == "10s" and critical["repeat_interval"] == "1h"  # the default's timing
        (info,) = route(root, env, team="web", severity="info")
        assert info["integrations"] == ["email"]


# ----------------------------------------------------------------------------- 2. lists of named objects

def test_an_environment_that_changes_one_alert_keeps_the_others_and_removes_only_what_it_says(tmp_path):
    text = TEAM + SERVICE + """\
environments:
  production: {}
  staging:
    services:
      api:
        alerts:
          - {name: ApiHighErrorRate, for: 15m}
          - {name: ApiSlowStart, $delete: true}
          - {name: ApiStagingOnly, expr: 'up{job="api"} == 3', severity: info, summary: s, description: d}
"""
    root = project(tmp_path, text)
    proc = obsgen("build", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert set(rules(root, "production")) == {"ApiHighErrorRate", "ApiDown", "ApiSlowStart"}
    staging = rules(root, "staging")
    assert set(staging) == {"ApiHighErrorRate", "ApiDown", "ApiStagingOnly"}
    assert staging["ApiHighErrorRate"]["for"] == "15m"
    assert staging["ApiHighErrorRate"]["expr"] == rules(root, "production")["ApiHighErrorRate"]["expr"]
    explained = obsgen("explain", "--env", "staging", cwd=root)
    assert "service api alerts ApiSlowStart" in explained.stdout


def test_an_override_that_cannot_tell_which_alert_it_changes_is_an_error(tmp_path):
    text = TEAM + SERVICE.replace("      - {name: ApiSlowStart, expr: 'up{job=\"api\"} == 2', for: 10m, severity: warning",
                                  "      - {name: ApiDown, expr: 'up{job=\"api\"} == 0', for: 10m, severity: critical") \
        + "environments:\n  staging:\n    services:\n      api:\n        alerts:\n          - {name: ApiDown, for: 1m}\n"
    proc = obsgen("validate", cwd=project(tmp_path, text))
    assert proc.returncode == 1 and "error[OBS033]" in proc.stderr and "give its severity too" in proc.stderr


# ----------------------------------------------------------------------------- 4. external labels

def test_a_rule_matching_an_external_label_is_an_error_unless_a_global_ruler_evaluates_it(tmp_path):
    text = TEAM + "global: {external_labels: {cluster: shop-prod}}\n" + SERVICE.replace(
        '{code=~"5.."}', '{code=~"5..", cluster="shop-prod"}')
    for target, code in (("files", 1), ("operator", 1), ("mimir", 0)):
        proc = obsgen("validate", "--target", target, cwd=project(tmp_path / target, text))
        assert proc.returncode == code, proc.stderr
        assert ("error[OBS064]" in proc.stderr) is (code == 1)


# ----------------------------------------------------------------------------- 5. dashboard variables

def test_a_dashboard_query_with_an_undeclared_variable_is_an_error_at_the_query(tmp_path):
    text = TEAM + SERVICE + """\
dashboards:
  - title: API
    panels:
      - title: Errors
        queries:
          - expr: sum by (code) (rate(http_requests_total{instance=~"$instance"}[$__rate_interval]))
      - title: Renamed
        queries:
          - expr: label_replace(up, "x", "$1", "job", "(.*)")
"""
    root = project(tmp_path, text)
    proc = obsgen("validate", cwd=root)
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if "error[OBS065]" in line]
    assert len(errors) == 1 and "$instance" in errors[0] and "spec.yaml:30:19:" in errors[0]
    assert obsgen("build", cwd=root).returncode == 1 and not (root / "generated").exists()


# ----------------------------------------------------------------------------- 9. OBS060 says why, where

def test_obs060_names_the_environment_and_points_at_the_override_that_left_alerts_without_a_channel(tmp_path):
    text = TEAM.replace("    pagerduty: {routing_key_file: /etc/am/pd}\n", "") + SERVICE + """\
environments:
  production:
    routing:
      severities:
        critical: {channels: [pagerduty]}
  staging: {}
"""
    proc = obsgen("validate", cwd=project(tmp_path, text))
    (line,) = [x for x in proc.stderr.splitlines() if "warning[OBS060]" in x]
    assert "specs/spec.yaml:28:" in line  # the production override's channels
    assert "critical alerts of team 'web' in environment 'production' reach none of its channels" in line
    assert "routing.severities.critical.channels lists pagerduty, and the team has none of them set up" in line
    assert "none of no" not in line


# ----------------------------------------------------------------------------- 3. exporters' catalogs

EXPORTERS = """\
  - name: cache
    team: web
    scrape: {exporter: {kind: redis, targets: ["redis-exporter:9121"]}}
    alerts:
      - {name: RedisMemoryHigh, expr: 'redis_memory_usd_bytes / redis_memory_max_bytes > 0.9', for: 5m, severity: warning, summary: s, description: d}
  - name: db
    team: web
    scrape: {exporter: {kind: postgres, targets: ["pg-exporter:9187"]}}
    alerts:
      - {name: PostgresBusy, expr: 'sum(pg_stat_activity_cnt) > 100', for: 5m, severity: warning, summary: s, description: d}
      - {name: PostgresIdle, expr: 'sum by (database) (pg_stat_activity_count{stat="idle"}) > 50', for: 5m, severity: warning, summary: s, description: d}
  - name: hosts
    team: web
    scrape: {exporter: {kind: node, targets: ["node-1:9100"]}}
    alerts:
      - {name: HostMemoryLow, expr: 'node_memory_MemAvailble_bytes / node_memory_MemTotal_bytes < 0.1', for: 5m, severity: warning, summary: s, description: d}
      - {name: HostNetworkDrop, expr: 'delta(node_network_receive_drop_total[5m]) > 10', for: 5m, severity: warning, summary: s, description: d}
      - {name: HostSwapping, expr: 'rate(node_vmstat_pswpin[5m]) > 100', for: 5m, severity: warning, summary: s, description: d}
"""


def test_exporter_metrics_are_checked_against_the_exporters_catalogs_like_a_services_own(tmp_path):
    root = project(tmp_path, TEAM + SERVICE + EXPORTERS)
    proc = obsgen("validate", cwd=root)
    lines = proc.stderr.splitlines()

    def found(code: str, needle: str) -> list[str]:
        return [x for x in lines if f"[{code}]" in x and needle in x]

    assert found("OBS050", "redis_memory_usd_bytes") and "redis_memory_used_bytes" in proc.stderr
    assert found("OBS050", "pg_stat_activity_cnt") and "pg_stat_activity_count" in proc.stderr
    assert found("OBS051", "has no label `stat`")  # it is `state`
    assert found("OBS050", "node_memory_MemAvailble_bytes")  # a near miss, not a run-time meminfo field
    assert found("OBS052", "node_network_receive_drop_total") and "error[OBS052]" in proc.stderr
    assert not [x for x in lines if "node_vmstat_pswpin" in x]  # a run-time vmstat field: known
    assert proc.returncode == 1  # the declared counter read by delta() is an error


# ----------------------------------------------------------------------------- 12. exporters found by Kubernetes

def test_an_exporter_found_by_kubernetes_discovery_is_scraped_there_and_its_catalog_counts(tmp_path):
    db = """\
  - name: db
    team: web
    scrape:
      kubernetes: {role: pod, namespaces: [shop], selector: {app: pg-exporter}, port: metrics}
      exporter: {kind: postgres}
    alerts:
      - {name: PostgresTooManyConnections, expr: 'sum(pg_stat_activity_count) > 100', for: 5m, severity: warning, summary: s, description: d}
"""
    root = project(tmp_path, TEAM + SERVICE + db)
    proc = obsgen("build", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "OBS050" not in proc.stderr  # pg_stat_activity_count is postgres_exporter's
    config = YAML(typ="safe").load((root / "generated" / "default" / "prometheus" / "prometheus.yml").read_text())
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "db"]
    assert job["kubernetes_sd_configs"][0]["role"] == "pod" and "static_configs" not in job
    assert obsgen("build", "--target", "operator", "--out", "op", cwd=root).returncode == 0
    assert any("PodMonitor" in p.read_text() for p in (root / "op").rglob("*.yaml"))


def test_an_exporter_with_targets_and_kubernetes_too_says_so_in_obsgens_words(tmp_path):
    db = ("services:\n  - name: db\n    team: web\n    scrape:\n      kubernetes: {role: pod, selector: {app: pg}}\n"
          "      exporter: {kind: postgres, targets: [pg-exporter]}\n")
    proc = obsgen("validate", cwd=project(tmp_path, TEAM + db))
    assert proc.returncode == 1
    assert "exactly one of `static`, `kubernetes` or `exporter.targets`" in proc.stderr
    assert "(this job has kubernetes and exporter.targets)" in proc.stderr and "Value error" not in proc.stderr


# ----------------------------------------------------------------------------- 10, 11, 13, 14

def test_commands_not_about_validation_count_warnings_instead_of_reprinting_them(tmp_path):
    warned = SERVICE.replace("summary: API down, description: d", "summary: API down")  # no description
    root = project(tmp_path, TEAM + warned + "environments:\n  production: {}\n  staging: {}\n")
    validate = obsgen("validate", cwd=root)
    lines = [x for x in validate.stderr.splitlines() if "warning[OBS058]" in x]
    assert len(lines) == 1  # found in both environments, printed once
    for args in (["explain"], ["route", "team=web", "severity=warning"]):
        proc = obsgen(*args, cwd=root)
        assert proc.returncode == 0 and "OBS058" not in proc.stderr
        assert "warning(s): `obsgen validate` lists them" in proc.stderr
    assert obsgen("build", cwd=root).returncode == 0
    check = obsgen("build", "--check", cwd=root)
    assert check.returncode == 0 and "OBS058" not in check.stderr


def test_coverage_counts_a_dashboard_of_an_exporters_metrics_and_asks_no_slo_unless_an_objective_does(tmp_path):
    # The exporters' packs are off: the dashboards they would give are not what this counts.
    text = TEAM + SERVICE + EXPORTERS.split("  - name: hosts")[0].replace("redis_memory_usd_bytes", "redis_memory_used_bytes") \
        .replace("pg_stat_activity_cnt", "pg_stat_activity_count").replace('{stat="idle"}', '{state="idle"}') \
        .replace('targets: ["redis-exporter:9121"]}}', 'targets: ["redis-exporter:9121"]}}\n    batteries: {enabled: false}') \
        .replace('targets: ["pg-exporter:9187"]}}', 'targets: ["pg-exporter:9187"]}}\n    batteries: {enabled: false}') + """\
dashboards:
  - title: Data stores
    panels:
      - title: Redis memory
        queries: [{expr: redis_memory_used_bytes}]
      - title: API
        queries: [{expr: 'sum(rate(http_requests_total[5m]))'}]
"""
    proc = obsgen("explain", "--coverage", "--format", "json", cwd=project(tmp_path, text))
    doc = json.loads(proc.stdout)
    rows = {r["service"]: r for r in doc["services"]}
    assert rows["cache"]["dashboard"] is True and rows["db"]["dashboard"] is False
    assert "slo" not in doc["required"] and rows["cache"]["covered"] is True


def test_explain_and_the_slo_tests_use_one_time_to_page(tmp_path):
    slo = """\
    slos:
      - name: availability
        objective: 99.9
        sli: {ratio: {bad: 'http_requests_total{code=~"5.."}', total: http_requests_total}}
        alerting: {runbook_url: https://runbooks.example.com/slo}
"""
    root = project(tmp_path, TEAM + SERVICE + slo)
    assert obsgen("build", cwd=root).returncode == 0
    timings = json.loads(obsgen("explain", "--format", "json", cwd=root).stdout)["alerts"]
    (page,) = [t for t in timings if t["alert"].endswith("BudgetBurnPage")]
    detection = page["parts"]["detection"]
    assert detection == 0.001 * 14.4 * 3600  # 2% of a 30-day budget: 51.84 s of full outage
    assert page["time_to_notify_seconds"] == detection + sum(v for k, v in page["parts"].items() if k != "detection")
    tests = (root / "generated" / "default" / "prometheus" / "tests" / "api.slo.test.yml").read_text()
    assert "a full outage pages within 3 minutes" in tests  # ceil(51.84 s) + two evaluations of slack


def test_validate_in_an_empty_folder_says_to_run_init(tmp_path):
    proc = obsgen("validate", cwd=tmp_path)
    assert proc.returncode == 1 and "run `obsgen init`" in proc.stderr


def test_a_new_slo_objective_changes_its_panels_descriptions_not_which_panels_exist(tmp_path):
    slo = ("    slos:\n      - name: availability\n        objective: 99.9\n"
           "        sli: {ratio: {bad: 'http_requests_total{code=~\"5..\"}', total: http_requests_total}}\n"
           "        alerting: {runbook_url: https://runbooks.example.com/slo}\n")
    root = project(tmp_path, TEAM + SERVICE + slo)
    assert obsgen("build", cwd=root).returncode == 0
    spec = root / "specs" / "spec.yaml"
    spec.write_text(spec.read_text().replace("objective: 99.9", "objective: 99.5"))
    report = json.loads(obsgen("diff", "--format", "json", cwd=root).stdout)
    panels = [c for c in report["changes"] if c["kind"] == "dashboard"]
    assert panels and all(c["action"] == "changed" and c["field"].endswith(".description") for c in panels)


# ----------------------------------------------------------------------------- 6. one run, every problem

def test_a_typo_elsewhere_hides_neither_promql_errors_nor_lint_findings(tmp_path):
    text = TEAM + """\
services:
  - name: a
    team: web
    scrape: {static: ["a:1"], intervall: 30s}
  - name: b
    team: web
    scrape: {static: ["b:1"]}
    metrics: [{name: y_total, type: counter, help: h}]
    alerts:
      - {name: BBroken, expr: 'sum(rate(y_total[5m]) > 1', severity: warning, summary: s, description: d}
      - {name: BRaw, expr: 'delta(y_total[5m]) > 1', severity: warning, summary: s}
"""
    proc = obsgen("validate", cwd=project(tmp_path, text))
    codes = {line.split("[")[1].split("]")[0] for line in proc.stderr.splitlines() if "[OBS" in line}
    assert {"OBS010", "OBS030", "OBS052", "OBS058"} <= codes, proc.stderr


def test_an_override_picks_one_of_two_rules_of_one_name_and_severity_by_their_labels(tmp_path):
    two = SERVICE.replace(
        "      - {name: ApiDown, expr: 'up{job=\"api\"} == 0', for: 2m, severity: warning",
        "      - {name: ApiDown, expr: 'up{job=\"api\"} == 0', for: 2m, severity: warning, labels: {window: short}") \
        .replace("      - {name: ApiSlowStart, expr: 'up{job=\"api\"} == 2', for: 10m, severity: warning",
                 "      - {name: ApiDown, expr: 'up{job=\"api\"} == 0', for: 10m, severity: warning, labels: {window: long}")
    text = TEAM + two + ("environments:\n  production: {}\n  staging:\n    services:\n      api:\n        alerts:\n"
                         "          - {name: ApiDown, severity: warning, labels: {window: long}, for: 1h}\n")
    root = project(tmp_path, text)
    proc = obsgen("build", cwd=root)
    assert proc.returncode == 0, proc.stderr
    staged = YAML(typ="safe").load((root / "generated" / "staging" / "prometheus" / "rules" / "api.rules.yml")
                                   .read_text(encoding="utf-8"))["groups"][0]["rules"]
    fors = {r["labels"]["window"]: r.get("for") for r in staged if r.get("alert") == "ApiDown"}
    assert fors == {"long": "1h", "short": "2m"}
