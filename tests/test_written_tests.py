"""Tests written next to alerts and recording rules: they become promtool unit tests beside the rule
files, `obsgen test` runs them and reports each case at its place in the spec, and a test that
cannot check what it says is refused (OBS086)."""
from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import needs
from ruamel.yaml import YAML

from obsgen.api import generate, load_texts
from obsgen.core.diagnostics import Severity

SPEC = """\
apiVersion: obsgen/v1
teams:
  - name: ops
    email: {to: ops@example.com}
    channels: {critical: [email]}
routing:
  default_team: ops
  smtp: {smarthost: "smtp:25", from: am@example.com}
services:
  - name: api
    team: ops
    scrape: {static: ["api:8000"]}
    metrics:
      - {name: http_requests_total, type: counter, help: requests, labels: [code]}
    recording_rules:
      - record: job:http_requests:rate5m
        expr: sum by (job) (rate(http_requests_total[5m]))
        tests:
          - series: {'http_requests_total{job="api", code="200"}': "0+60x20"}
            at: 10m
            expect: {'job:http_requests:rate5m{job="api"}': 1}
    alerts:
      - name: ApiDown
        expr: up{job="api"} == 0
        for: FOR
        severity: critical
        summary: "{{ $labels.instance }} is down"
        description: down
        runbook_url: https://example.com/rb
        generate_tests: false  # the written tests are under test here (test_alert_tests.py: generated ones)
        tests:
          - series: {'up{job="api", instance="a"}': "1 0x15"}
            at: 10m
            fires: true
          - name: still pending
            series: {'up{job="api", instance="a"}': "1 0x15"}
            at: 4m
            fires: false
          - name: labels and annotations
            series: {'up{job="api", instance="a"}': "1 0x15"}
            at: 10m
            fires: true
            labels: {instance: a, job: api}
            annotations: {summary: "a is down"}
"""


def spec(for_: str = "5m") -> str:
    return SPEC.replace("FOR", for_)


def obsgen(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "obsgen", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def project_dir(tmp_path: Path, text: str) -> Path:
    (tmp_path / "specs").mkdir(exist_ok=True)
    (tmp_path / "specs" / "spec.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_written_tests_become_a_promtool_test_file_beside_the_rule_file():
    files = generate(load_texts({"spec.yaml": spec()}))
    doc = YAML(typ="safe").load(files["default/prometheus/tests/api.rules.test.yml"])
    assert doc["rule_files"] == ["../rules/api.rules.yml"]
    names = [t["name"] for t in doc["tests"]]
    assert names == ["api/job:http_requests:rate5m #1: records 1 series at 10m", "api/ApiDown (critical) #1: fires at 10m",
                     "api/ApiDown (critical) #2: still pending", "api/ApiDown (critical) #3: labels and annotations"]
    quiet = doc["tests"][2]["promql_expr_test"][0]
    assert quiet["exp_samples"] == [] and 'alertstate="firing"' in quiet["expr"] and 'severity="critical"' in quiet["expr"]
    full = doc["tests"][3]["alert_rule_test"][0]["exp_alerts"][0]
    assert full["exp_annotations"] == {"summary": "a is down", "description": "down", "runbook_url": "https://example.com/rb"}


@needs("promtool")
def test_obsgen_test_passes_the_written_tests_and_reports_each_at_its_place(tmp_path):
    root = project_dir(tmp_path, spec())
    proc = obsgen("test", "specs", cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 of 4 test(s) passed" in proc.stdout
    assert "api/ApiDown (critical) #2: still pending  (specs/spec.yaml:35:13)" in proc.stdout


@needs("promtool")
@pytest.mark.parametrize("for_", ["50m", "30s"])
def test_a_tenfold_change_of_for_fails_a_written_test_and_says_which(tmp_path, for_):
    root = project_dir(tmp_path, spec(for_))
    proc = obsgen("test", "specs", "--format", "json", cwd=root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    failed = {r["name"] for r in json.loads(proc.stdout) if not r["ok"]}
    if for_ == "50m":  # not yet firing at 10m
        assert failed == {"api/ApiDown (critical) #1: fires at 10m", "api/ApiDown (critical) #3: labels and annotations"}
    else:  # already firing at 4m
        assert failed == {"api/ApiDown (critical) #2: still pending"}


@needs("promtool")
def test_junit_output_has_a_testcase_per_case_and_a_failure_for_each_failed_one(tmp_path):
    root = project_dir(tmp_path, spec("50m"))
    proc = obsgen("test", "specs", "--format", "junit", cwd=root)
    assert proc.returncode == 1
    suites = ET.fromstring(proc.stdout)
    cases = suites.findall(".//testcase")
    assert len(cases) == 4 and suites.get("failures") == "2"
    failed = [c for c in cases if c.find("failure") is not None]
    assert {c.get("line") for c in failed} == {"32", "39"}


@needs("promtool")
def test_a_wrong_expected_recorded_value_fails_its_case(tmp_path):
    root = project_dir(tmp_path, spec().replace("expect: {'job:http_requests:rate5m{job=\"api\"}': 1}",
                                                "expect: {'job:http_requests:rate5m{job=\"api\"}': 2}"))
    proc = obsgen("test", "specs", cwd=root)
    assert proc.returncode == 1
    assert "FAIL [default] api/job:http_requests:rate5m #1" in proc.stdout and "got:" in proc.stdout


@pytest.mark.parametrize("change, message", [
    (("name: still pending\n            series: {'up{job=\"api\", instance=\"a\"}': \"1 0x15\"}",
      "name: still pending\n            series: {'rate(up[5m])': \"1\"}"), "not a series"),
    (("labels: {instance: a, job: api}", "labels: {instance: a, severity: critical}"), "labels severity are the rule's own"),
    (('annotations: {summary: "a is down"}', "annotations: {description: down}"), "annotations summary are templates"),
    (("at: 10m\n            fires: true\n", "at: 10m\n            fires: false\n            labels: {a: b}\n"),
     "give them with `fires: true`"),
    (("values", "values"), None),
])
def test_a_written_test_that_cannot_check_what_it_says_is_refused(change, message):
    text = spec().replace(*change, 1)
    errors = [d for d in load_texts({"spec.yaml": text}).diagnostics if d.severity is Severity.ERROR]
    if message is None:
        assert errors == []
    else:
        assert len(errors) == 1 and message in errors[0].message, errors


def test_series_values_must_be_in_promtools_notation():
    errors = [d for d in load_texts({"spec.yaml": spec().replace('"1 0x15"', '"1 then 0"', 1)}).diagnostics
              if d.severity is Severity.ERROR]
    assert len(errors) == 1 and "promtool's series notation" in errors[0].message
