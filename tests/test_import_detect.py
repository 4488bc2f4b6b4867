"""`obsgen import PATH...`: each file's kind found from its content, each kind imported by its own
importer, the specs merged into one that validates; what has no kind is an error at its file."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from ruamel.yaml import YAML

from obsgen.api import load_texts
from obsgen.core.diagnostics import Severity
from obsgen.features.importers.detect import import_any, kind_of

SLOTH = """\
version: prometheus/v1
service: checkout
labels: {owner: web}
slos:
  - name: availability
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
    alerting:
      name: CheckoutAvailability
      page_alert: {labels: {severity: page}}
"""
RULES = """\
groups:
  - name: hosts
    rules:
      - alert: HostDown
        expr: up{job="node"} == 0
        for: 5m
        labels: {severity: critical}
"""
OPENSLO = """\
- apiVersion: openslo/v1
  kind: SLO
  metadata: {name: search}
  spec:
    service: search
    budgetingMethod: Occurrences
    timeWindow: [{duration: 28d, isRolling: true}]
    objectives: [{target: 0.99}]
"""
PROMETHEUS = "global: {scrape_interval: 30s}\nscrape_configs:\n  - job_name: node\n    static_configs: [{targets: [a:9100]}]\n"
ALERTMANAGER = "route: {receiver: ops}\nreceivers:\n  - name: ops\n"
RULE_RESOURCE = "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: x}\nspec: {groups: []}\n"
PYRRA = "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata: {name: x}\nspec: {target: '99'}\n"


@pytest.mark.parametrize("name, text, kind", [
    ("a.yml", SLOTH, "sloth"),
    ("b.yml", RULES, "rules"),
    ("c.yaml", RULE_RESOURCE, "rules"),
    ("d.yaml", OPENSLO, "openslo"),
    ("e.yml", PROMETHEUS, "prometheus"),
    ("f.yml", ALERTMANAGER, "alertmanager"),
    ("g.yaml", PYRRA, "pyrra"),
    ("h.json", json.dumps({"title": "D", "panels": []}), "grafana"),
    ("i.yaml", "apiVersion: v1\nkind: Secret\nstringData:\n  alertmanager.yaml: 'route: {}'\n", "alertmanager"),
    ("j.yaml", "apiVersion: v1\nkind: List\nitems:\n  - " + RULE_RESOURCE.replace("\n", "\n    "), "rules"),
])
def test_the_kind_of_a_file_comes_from_its_content(tmp_path, name, text, kind):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert kind_of(path, name) == (kind, None)


def test_a_file_of_no_known_kind_is_an_error_at_its_first_line(tmp_path):
    path = tmp_path / "notes.yaml"
    path.write_text("hello: world\n", encoding="utf-8")
    kind, problem = kind_of(path, "notes.yaml")
    assert kind is None and (problem.code, problem.pos.line, problem.pos.col) == ("OBS041", 1, 1)
    text, diags = import_any([path])
    assert text is None and [d.code for d in diags] == ["OBS041"]


def test_a_folder_of_several_kinds_imports_into_one_spec_that_validates(tmp_path):
    src = tmp_path / "monitoring"
    src.mkdir()
    (src / "slo.yml").write_text(SLOTH, encoding="utf-8")
    (src / "rules.yml").write_text(RULES, encoding="utf-8")
    text, diags = import_any([src])
    assert text is not None, diags
    doc = YAML(typ="safe").load(text)
    assert {s["name"] for s in doc["services"]} == {"checkout", "hosts"}
    assert {t["name"] for t in doc["teams"]} == {"web", "imported"}
    assert doc["routing"]["default_team"] == "imported" and "page" in doc["routing"]["severities"]
    assert "[sloth]" in text and "[rules]" in text
    project = load_texts({"imported.yaml": text})
    assert project.ok, [d.message for d in project.diagnostics if d.severity is Severity.ERROR]


def test_two_inputs_defining_one_service_are_an_error_naming_both(tmp_path):
    (tmp_path / "slo.yml").write_text(SLOTH, encoding="utf-8")
    (tmp_path / "rules.yml").write_text(RULES.replace("name: hosts", "name: checkout"), encoding="utf-8")
    text, diags = import_any([tmp_path])
    assert text is None
    [d] = [d for d in diags if d.severity is Severity.ERROR]
    assert d.code == "OBS020" and "service 'checkout'" in d.message and "sloth" in d.message and "rules" in d.message


def test_obsgen_import_with_paths_and_no_kind_detects_kinds(tmp_path):
    (tmp_path / "rules.yml").write_text(RULES, encoding="utf-8")
    out = tmp_path / "spec.yaml"
    proc = subprocess.run([sys.executable, "-m", "obsgen", "import", str(tmp_path / "rules.yml"), "-o", str(out)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "HostDown" in out.read_text(encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "obsgen", "import", str(tmp_path / "missing.yml")],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 1 and "no such file or folder" in proc.stderr and "Traceback" not in proc.stderr


def test_a_list_of_documents_of_one_kind_is_that_kind(tmp_path):
    path = tmp_path / "slos.yaml"
    path.write_text(OPENSLO + OPENSLO.replace("search", "find"), encoding="utf-8")
    assert kind_of(path, "slos.yaml")[0] == "openslo"


def test_documents_of_several_kinds_in_one_file_are_an_error(tmp_path):
    path = tmp_path / "mixed.yaml"
    path.write_text(SLOTH + "---\n" + RULES, encoding="utf-8")
    kind, problem = kind_of(path, "mixed.yaml")
    assert kind is None and "several kinds" in problem.message



@pytest.mark.parametrize("name, text", [
    ("cm.yaml", "apiVersion: v1\nkind: ConfigMap\ndata: hello\n"),
    ("secret.yaml", "apiVersion: v1\nkind: Secret\nstringData: [a]\n"),
    ("loop.yaml", "&d {kind: List, items: [*d]}\n"),
    ("deep.json", "[" * 5000 + "]" * 5000),
])
def test_odd_input_is_a_diagnostic_never_a_traceback(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    kind, problem = kind_of(path, name)
    assert kind is None and problem is not None and problem.code.startswith("OBS")


def test_a_yaml_syntax_error_is_reported_where_it_is(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("groups:\n  - name: a\n    rules: [\n", encoding="utf-8")
    _, problem = kind_of(path, "broken.yaml")
    assert problem.code == "OBS001" and problem.pos.line > 1


def test_options_may_come_before_the_paths_and_a_folder_named_like_a_kind_is_a_path(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "r.yml").write_text(RULES, encoding="utf-8")
    out = tmp_path / "spec.yaml"
    proc = subprocess.run([sys.executable, "-m", "obsgen", "import", "-o", str(out), "--team", "platform", "rules"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "name: platform" in out.read_text(encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "obsgen", "import", "rules"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == 0 and "HostDown" in proc.stdout, proc.stderr


def test_the_merged_spec_targets_the_newest_prometheus_either_input_needs(tmp_path):
    (tmp_path / "prometheus.yml").write_text(PROMETHEUS, encoding="utf-8")
    (tmp_path / "rules.yml").write_text(RULES.replace("  - name: hosts\n", "  - name: hosts\n    query_offset: 1m\n"),
                                        encoding="utf-8")
    text, diags = import_any([tmp_path])
    assert text is not None, [d.message for d in diags if d.severity is Severity.ERROR]
    assert YAML(typ="safe").load(text)["global"]["prometheus_version"] == "2.53"
