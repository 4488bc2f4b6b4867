"""Objectives: time to notify per alert (OBS070), coverage (OBS071), and `obsgen explain`."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from obsgen.api import load_texts
from obsgen.check.objectives import Explainer

SPECS = Path(__file__).parents[1] / "specs"

BASE = """\
apiVersion: obsgen/v1
global:
  scrape_interval: 30s
  evaluation_interval: 20s
  objectives:
    time_to_notify: {critical: TARGET}
routing:
  severities:
    critical: {channels: [pagerduty], group_wait: 10s}
    warning: {channels: [pagerduty]}
teams:
  - name: ops
    pagerduty: {routing_key_file: /s/pd}
services:
  - name: api
    team: ops
    scrape: {static: ["api:8080"]}
    metrics:
      - {name: api_up, type: gauge, help: Up.}
    alerts:
      - name: ApiDown
        expr: api_up == 0
        for: 2m
        severity: critical
        summary: down
        description: down
        runbook_url: https://runbooks.example.com/api-down
"""


def codes(text: str) -> list[tuple[str, int, int]]:
    project = load_texts({"spec.yaml": text})
    return [(d.code, d.pos.line, d.pos.col) for d in project.diagnostics]


def test_time_to_notify_adds_scrape_evaluation_for_and_group_wait():
    project = load_texts({"spec.yaml": BASE.replace("TARGET", "10m")})
    (timing,) = Explainer(project.models[0]).timings
    assert timing.to_dict()["parts"] == {"detection": 0, "scrape_interval": 30, "evaluation_interval": 20,
                                         "for": 120, "group_wait": 10}
    assert timing.time_to_notify_seconds == 180
    assert timing.receivers == ("ops-critical",)


def test_an_alert_over_the_objective_is_reported_at_its_for_and_one_under_it_is_not():
    assert codes(BASE.replace("TARGET", "3m")) == []  # exactly 180 s: not over
    assert codes(BASE.replace("TARGET", "2m59s")) == [("OBS070", 23, 14)]
    project = load_texts({"spec.yaml": BASE.replace("TARGET", "2m")})
    (d,) = project.diagnostics
    assert d.severity.value == "warning" and "3m" in d.message and "group_wait 10s" in d.message


def test_a_rule_group_interval_counts_instead_of_the_global_one():
    spec = BASE.replace("TARGET", "3m").replace("    alerts:\n", "    rule_group: {interval: 1m}\n    alerts:\n", 1)
    assert codes(spec) == [("OBS070", 24, 14)]


def test_silencing_the_objective_on_the_alert_keeps_the_reason_in_the_model():
    spec = BASE.replace("TARGET", "1m") + '        silence: {OBS070: "flaps without a 2m for"}\n'
    project = load_texts({"spec.yaml": spec})
    assert project.diagnostics == []
    (s,) = project.models[0].silenced
    assert (s.code, s.reason, s.what) == ("OBS070", "flaps without a 2m for", "alert ApiDown (service api)")


def test_coverage_below_the_objective_fails_validate_at_the_objective():
    spec = BASE.replace("    time_to_notify: {critical: TARGET}\n",
                        "    coverage: {min_percent: 60, require: [owner, scrape, alerts]}\n")
    assert codes(spec) == []
    uncovered = spec + "  - {name: batch, team: ops}\n"  # no scrape job, no alerts: 50%
    assert codes(uncovered) == [("OBS071", 6, 29)]
    project = load_texts({"spec.yaml": uncovered})
    assert "batch (no scrape, alerts)" in project.diagnostics[0].message
    assert project.diagnostics[0].severity.value == "error"


def test_coverage_aspects_per_service():
    spec = BASE.replace("TARGET", "1h") + """\
  - {name: batch, team: ops}
dashboards:
  - title: API
    panels: [{title: Up, queries: [{expr: max(api_up)}]}]
"""
    rows = {c.service: c.aspects for c in Explainer(load_texts({"spec.yaml": spec}).models[0]).coverage}
    assert rows["api"] == {"owner": True, "scrape": True, "alerts": True, "slo": False, "dashboard": True}
    assert rows["batch"] == {"owner": True, "scrape": False, "alerts": False, "slo": False, "dashboard": False}


def obsgen(*args):
    return subprocess.run([sys.executable, "-m", "obsgen", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_explain_json_lists_every_alert_of_the_reference_spec_with_its_receivers_and_time():
    proc = obsgen("explain", SPECS, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["environment"] == "production"
    alerts = {a["alert"]: a for a in doc["alerts"]}
    assert {"alert", "severity", "team", "receivers", "time_to_notify_seconds"} <= set(alerts["RedisDown"])
    assert alerts["RedisDown"]["receivers"] == ["devops-critical", "platform-critical"]
    assert alerts["RedisDown"]["time_to_notify_seconds"] == 15 + 15 + 60 + 5
    assert "ApiAvailabilityBudgetBurnPage" in alerts  # SLO alerts too


def test_explain_coverage_prints_the_table_and_the_share():
    proc = obsgen("explain", SPECS, "--coverage")
    assert proc.returncode == 0, proc.stderr
    assert "100.0% of 10 services covered" in proc.stdout
    assert proc.stdout.splitlines()[0].split() == ["service", "owner", "scrape", "alerts", "slo", "dashboard",
                                                   "covered"]


def test_explain_with_an_unknown_environment_exits_2():
    proc = obsgen("explain", SPECS, "--env", "staging")
    assert proc.returncode == 2 and "production" in proc.stderr


def test_a_warning_and_a_critical_rule_may_share_a_name_and_are_timed_apart():
    spec = BASE.replace("TARGET", "3m").replace("    alerts:\n", """    alerts:
      - {name: ApiDown, expr: "api_up < 1", for: 10m, severity: warning, summary: s, description: d}
""", 1)
    project = load_texts({"spec.yaml": spec})
    assert project.diagnostics == []
    timings = {t.severity: t.time_to_notify_seconds for t in Explainer(project.models[0]).timings}
    assert timings == {"critical": 180, "warning": 30 + 20 + 600 + 30}
