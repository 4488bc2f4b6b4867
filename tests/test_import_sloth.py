"""`obsgen import sloth` on the shapes of Sloth's own examples: what the user wrote is kept (their
severities and categories defined in routing, their summary, their `owner`), Sloth's plugins are
taken for what they do, and every approximation is a warning at its position. Each imported spec is
validated (and, where it matters, built) as it is."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import needs
from ruamel.yaml import YAML

from obsgen.api import generate, load_texts
from obsgen.core.diagnostics import Severity, format_text
from obsgen.features.importers import import_sloth

HEAD = """\
version: prometheus/v1
service: myservice
labels:
  owner: myteam
  repo: myorg/myservice
  tier: 2
slos:
  - name: requests-availability
    objective: 99.9
"""
EVENTS = """\
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="myservice",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="myservice"}[{{.window}}]))
"""
ALERTING = """\
    alerting:
      name: MyServiceHighErrorRate
      labels:
        category: availability
      annotations:
        summary: "High error rate on 'myservice' requests responses"
      page_alert:
        labels:
          severity: pageteam
          routing_key: myteam
      ticket_alert:
        labels:
          severity: slack
          slack_channel: "#alerts-myteam"
"""


def imported(tmp_path: Path, text: str, name: str = "slo.yml") -> tuple[str, list]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out, diags = import_sloth([path])
    errors = [format_text(d) for d in diags if d.severity is Severity.ERROR]
    assert out is not None and not errors, "\n".join(errors)
    return out, diags


def spec_of(text: str) -> dict:
    return YAML(typ="safe").load(text)


def built(text: str) -> dict[str, str]:
    project = load_texts({"imported.yaml": text})
    assert project.ok, "\n".join(format_text(d) for d in project.diagnostics)
    return generate(project)


def alerts_of(files: dict[str, str]) -> list[dict]:
    return [r for path, content in files.items() if "/prometheus/rules/" in path
            for g in YAML(typ="safe").load(content)["groups"] for r in g["rules"] if "alert" in r]


def test_sloths_getting_started_example_imports_keeping_severities_category_summary_and_owner(tmp_path):
    text, diags = imported(tmp_path, HEAD + EVENTS + ALERTING)
    spec = spec_of(text)
    [service] = spec["services"]
    assert service["team"] == "myteam"  # Sloth's `owner` label names the owning team
    [slo] = service["slos"]
    assert slo["labels"] == {"owner": "myteam", "repo": "myorg/myservice", "tier": "2"}  # `2` as written
    alerting = slo["alerting"]
    assert (alerting["page"]["severity"], alerting["ticket"]["severity"], alerting["category"]) == (
        "pageteam", "slack", "availability")
    assert alerting["summary"] == "High error rate on 'myservice' requests responses"
    routing = spec["routing"]
    assert set(routing["severities"]) == {"pageteam", "slack"}
    assert routing["severities"]["pageteam"]["channels"] == ["pagerduty", "slack"]  # a page, like critical
    assert routing["categories"] == {"availability": {}}
    assert not [d for d in diags if d.severity is Severity.WARNING]
    rules = {r["labels"]["severity"]: r for r in alerts_of(built(text))}
    assert set(rules) == {"pageteam", "slack"}
    assert rules["pageteam"]["labels"]["category"] == "availability"
    assert rules["pageteam"]["labels"]["routing_key"] == "myteam"
    assert rules["slack"]["annotations"]["summary"] == "High error rate on 'myservice' requests responses"


def test_a_category_label_on_the_slo_becomes_its_alerts_category_with_a_warning(tmp_path):
    text, diags = imported(tmp_path, HEAD + "    labels:\n      category: latency\n" + EVENTS +
                           "    alerting:\n      name: Latency\n")
    assert spec_of(text)["services"][0]["slos"][0]["alerting"]["category"] == "latency"
    [w] = [d for d in diags if d.code == "OBS042"]
    assert (w.pos.line, w.pos.col) == (11, 7) and "SLO series do not carry it" in w.message
    assert all(r["labels"]["category"] == "latency" for r in alerts_of(built(text)))


def test_sloths_example_sli_plugin_becomes_the_query_it_generates(tmp_path):
    plugin = """\
    sli:
      plugin:
        id: getting_started_availability
        options:
          job: myservice
          filter: 'f1="v1",f2="v2"'
"""
    text, diags = imported(tmp_path, HEAD + plugin + "    alerting:\n      name: Avail\n")
    query = spec_of(text)["services"][0]["slos"][0]["sli"]["raw"]["error_ratio"]
    assert query == ('sum(rate(http_request_duration_seconds_count{f1="v1",f2="v2",job="myservice",'
                     'code=~"(5..|429)"}[{{window}}]))\n/\n'
                     'sum(rate(http_request_duration_seconds_count{f1="v1",f2="v2",job="myservice"}[{{window}}]))')
    assert "imported as the query it generates" in text
    built(text)


def test_an_sli_plugin_obsgen_does_not_know_is_refused_saying_what_to_write(tmp_path):
    path = tmp_path / "p.yml"
    path.write_text(HEAD + "    sli:\n      plugin:\n        id: sloth-common/coredns/availability\n", encoding="utf-8")
    text, diags = import_sloth([path])
    assert text is None
    [d] = [d for d in diags if d.severity is Severity.ERROR]
    assert (d.code, d.pos.line, d.pos.col) == ("OBS040", 12, 13)
    assert "sli.raw.error_ratio_query" in d.hint and "[{{.window}}]" in d.hint


def test_a_missing_plugin_option_is_an_error_at_the_plugin(tmp_path):
    path = tmp_path / "p.yml"
    path.write_text(HEAD + "    sli:\n      plugin:\n        id: getting_started_availability\n", encoding="utf-8")
    text, diags = import_sloth([path])
    assert text is None and [(d.code, d.pos.line) for d in diags if d.severity is Severity.ERROR] == [("OBS041", 12)]


@pytest.mark.parametrize("plugin, warned", [
    ("sloth.dev/core/debug/v1", False),
    ("sloth.dev/core/validate/v1", False),
    ("sloth.dev/contrib/info_labels/v1", True),
    ("sloth.dev/contrib/rule_intervals/v1", True),
    ("sloth.dev/contrib/denominator_corrected_rules/v1", True),
    ("sloth.dev/contrib/error_budget_exhausted_alert/v1", True),
])
def test_sloths_own_slo_plugins_import_and_those_that_change_rules_are_warned_about(tmp_path, plugin, warned):
    chain = f"slo_plugins:\n  chain:\n    - id: \"{plugin}\"\n      priority: 10\n      config: {{msg: x}}\n"
    text, diags = imported(tmp_path, HEAD.replace("slos:\n", chain + "slos:\n") + EVENTS)
    warnings = [d for d in diags if d.code == "OBS042"]
    assert bool(warnings) == warned
    if warned:
        assert warnings[0].pos.line == 9 and "is not applied" in warnings[0].message
    built(text)


def test_in_a_kubernetes_resource_an_unknown_field_is_dropped_with_a_warning(tmp_path):
    resource = """\
apiVersion: sloth.slok.dev/v1
kind: PrometheusServiceLevel
metadata: {name: svc}
spec:
  service: svc
  slos:
    - name: slo1
      objective: 99.9
      sli:
        events:
          errorQuery: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
          totalQuery: sum(rate(http_requests_total[{{.window}}]))
      alerting:
        name: Svc
        ticket_alert:
          labels: {severity: slack}
"""
    text, diags = imported(tmp_path, resource, "k8s.yaml")
    [w] = [d for d in diags if d.code == "OBS042"]
    assert (w.pos.line, w.pos.col) == (15, 9) and w.hint == "did you mean `ticketAlert`?"
    assert spec_of(text)["services"][0]["slos"][0]["alerting"]["ticket"] == {"severity": "warning"}


def test_numbers_and_booleans_in_labels_are_taken_as_written(tmp_path):
    text, _ = imported(tmp_path, HEAD.replace("  tier: 2\n", "  tier: 2\n  objective_reversed: 1\n  beta: true\n"
                                                          "  version: 1.10\n") + EVENTS)
    labels = spec_of(text)["services"][0]["slos"][0]["labels"]
    assert (labels["tier"], labels["objective_reversed"], labels["beta"], labels["version"]) == (
        "2", "1", "true", "1.10")


def test_a_severity_that_cannot_be_an_obsgen_name_is_the_nearest_default_with_a_warning(tmp_path):
    text, diags = imported(tmp_path, HEAD + EVENTS + ALERTING.replace("severity: pageteam", "severity: P1"))
    assert spec_of(text)["services"][0]["slos"][0]["alerting"]["page"]["severity"] == "critical"
    [w] = [d for d in diags if d.code == "OBS042"]
    assert "'P1' is imported as critical" in w.message and (w.pos.line, w.pos.col) == (22, 21)


@needs("promtool")
def test_the_imported_custom_severity_spec_builds_rules_promtool_accepts(tmp_path):
    text, _ = imported(tmp_path, HEAD + EVENTS + ALERTING)
    files = built(text)
    for path, content in files.items():
        if path.endswith(".rules.yml"):
            target = tmp_path / "out" / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
            proc = subprocess.run(["promtool", "check", "rules", str(target)], capture_output=True, text=True,
                                  timeout=120)
            assert proc.returncode == 0, proc.stdout + proc.stderr


def test_sloths_labels_in_a_summary_become_obsgens_with_a_warning(tmp_path):
    text, diags = imported(tmp_path, HEAD + EVENTS + ALERTING.replace(
        "summary: \"High error rate on 'myservice' requests responses\"",
        "summary: \"{{$labels.sloth_service}} {{$labels.sloth_slo}} burns its budget\""))
    assert spec_of(text)["services"][0]["slos"][0]["alerting"]["summary"] == \
        "{{$labels.service}} {{$labels.slo}} burns its budget"
    assert any("sloth_service -> service" in d.message for d in diags if d.code == "OBS042")


def test_a_category_that_cannot_be_a_name_is_refused_with_or_without_alerting(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text(HEAD + "    labels:\n      category: Availability SLO\n" + EVENTS, encoding="utf-8")
    text, diags = import_sloth([path])
    assert text is None and [(d.code, d.pos.line) for d in diags if d.severity is Severity.ERROR] == [("OBS040", 11)]
