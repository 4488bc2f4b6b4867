"""Severities and categories are the spec's to define: page/ticket/none instead of critical/warning/
info, a `database` category; every alert, derived alert, team channel list and inhibition uses a
defined one (OBS021 otherwise, at its place); the routing, the table and the SLO alerts follow."""
from __future__ import annotations

import subprocess

from conftest import needs
from ruamel.yaml import YAML

from obsgen.api import generate, load_texts
from obsgen.core.diagnostics import Severity
from obsgen.resolve.routing_table import routing_table
from obsgen.write.tree import write_tree

SPEC = """\
apiVersion: obsgen/v1
teams:
  - name: web
    slack: {channel: "#web", api_url_file: /etc/am/slack}
    pagerduty: {routing_key_file: /etc/am/pd}
    channels: {page: [pagerduty, slack]}
  - name: dba
    slack: {channel: "#dba", api_url_file: /etc/am/slack-dba}
routing:
  default_team: web
  severities:
    page: {channels: [pagerduty], group_wait: 5s}
    ticket: {channels: [slack]}
    none: {channels: []}
    critical: null
    info: null
  categories:
    database: {team: dba}
    business: null
  inhibit:
    - {source_severity: page, target_severity: [ticket]}
services:
  - name: web-api
    team: web
    scrape: {static: ["web:8080"]}
    alerts:
      - {name: WebDown, expr: 'up{job="web-api"} == 0', for: 2m, severity: page, category: database,
         summary: down, description: d, runbook_url: "https://r.example.org/x"}
      - {name: WebSlow, expr: 'up{job="web-api"} < 1', for: 10m, severity: ticket, summary: slow, description: d}
    slos:
      - name: availability
        objective: 99.9
        sli: {ratio: {bad: 'http_requests_total{code=~"5.."}', total: http_requests_total}}
        alerting:
          page: {severity: page}
          ticket: {severity: ticket}
          category: database
          budget_alerts: true
          runbook_url: "https://r.example.org/slo"
"""


def project(text: str):
    return load_texts({"spec.yaml": text})


def errors(text: str) -> list:
    return [d for d in project(text).diagnostics if d.severity is Severity.ERROR]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_spec_defines_its_severities_and_categories_in_order():
    p = project(SPEC)
    assert p.ok, [str(d) for d in p.diagnostics]
    r = p.models[0].spec.routing
    assert r.severity_names == ("warning", "page", "ticket", "none")  # kept defaults first, then its own
    assert r.category_names == ("infrastructure", "application", "security", "database")
    assert r.severities["page"].channels == ["pagerduty"] and r.severities["page"].group_wait == "5s"


def test_the_defaults_are_unchanged_without_a_severities_section():
    r = project("apiVersion: obsgen/v1\n").models[0].spec.routing
    assert r.severity_names == ("critical", "warning", "info")
    assert r.category_names == ("infrastructure", "application", "business", "security")


def test_receivers_routes_and_the_table_use_the_spec_severities():
    model = project(SPEC).models[0]
    files = generate(project(SPEC))
    cfg = YAML(typ="safe").load(files["default/alertmanager/alertmanager.yml"])
    names = {rc["name"] for rc in cfg["receivers"]}
    assert {"web-page", "web-ticket", "dba-ticket"} <= names
    assert not any(n.endswith(("-critical", "-info")) for n in names)
    rows = routing_table(model)
    assert {r.labels["severity"] for r in rows if "team" in r.labels} == {"warning", "page", "ticket", "none"}
    row = next(r for r in rows if r.labels == {"team": "web", "severity": "page", "category": "database"})
    assert row.receivers == ("web-page",)  # dba has no channel at page: only the owner's
    row = next(r for r in rows if r.labels == {"team": "web", "severity": "ticket", "category": "database"})
    assert row.receivers == ("dba-ticket", "web-ticket")
    assert cfg["inhibit_rules"][0]["source_matchers"] == ['severity="page"']


def test_slo_alerts_and_budget_alerts_take_the_tiers_severities():
    files = generate(project(SPEC))
    rules = next(t for p, t in files.items() if "slo" in p and p.endswith(".yml") and "web-api" in p)
    doc = YAML(typ="safe").load(rules)
    severities = {r["alert"]: r["labels"]["severity"] for g in doc["groups"] for r in g["rules"] if "alert" in r}
    assert severities["WebApiAvailabilityErrorBudget50PercentSpent"] == "ticket"
    assert severities["WebApiAvailabilityErrorBudget90PercentSpent"] == "page"
    assert set(severities.values()) == {"page", "ticket"}


@needs("amtool")
def test_amtool_routes_the_spec_severities_as_the_table_says(tmp_path):
    p = project(SPEC)
    write_tree(tmp_path, generate(p))
    config = tmp_path / "default" / "alertmanager" / "alertmanager.yml"
    assert subprocess.run(["amtool", "check-config", str(config)], capture_output=True).returncode == 0
    out = subprocess.run(["amtool", "config", "routes", "test", f"--config.file={config}", "team=web",
                          "severity=ticket", "category=database"], capture_output=True, text=True).stdout
    assert out.strip() == "dba-ticket,web-ticket"


def test_a_removed_or_misspelt_severity_is_an_error_at_its_place():
    text = SPEC.replace("severity: ticket, summary: slow", "severity: critical, summary: slow")
    errs = errors(text)
    assert [d.code for d in errs] == ["OBS021"]
    assert errs[0].pos.line == line_of(text, "severity: critical, summary: slow")
    assert "severity 'critical' is not defined" in errs[0].message and "page" in errs[0].hint

    text = SPEC.replace("channels: {page: [pagerduty, slack]}", "channels: {pag: [pagerduty, slack]}")
    errs = errors(text)
    assert [d.code for d in errs] == ["OBS021"] and "did you mean `page`" in errs[0].hint
    assert errs[0].pos.line == line_of(text, "pag: [pagerduty")

    text = SPEC.replace("target_severity: [ticket]", "target_severity: [info]")
    assert [d.code for d in errors(text)] == ["OBS021"]


def test_a_removed_category_is_an_error_at_its_place():
    text = SPEC.replace("severity: page, category: database", "severity: page, category: business")
    errs = errors(text)
    assert [d.code for d in errs] == ["OBS021"]
    assert "category 'business' is not defined" in errs[0].message
    assert errs[0].pos.line == line_of(text, "category: business")


def test_derived_alerts_need_their_severity_and_category_defined():
    probe = ("    probes:\n      - name: health\n        http: {url: https://api.example.org/health}\n")
    text = SPEC.replace("    slos:\n", probe + "    slos:\n", 1).replace("    critical: null\n", "")
    assert errors(text) == []  # the probe's failure alert is critical (kept); its certificate alert, warning
    errs = errors(text.replace("    info: null\n", "    info: null\n    warning: null\n"))
    assert "default_team" in " ".join(d.message for d in errs)
    assert any("CertExpiringSoon" in d.message and "severity 'warning'" in d.message for d in errs)
    errs = errors(text.replace("    business: null\n", "    business: null\n    application: null\n"))
    assert any("obsgen derives" in d.message and "category 'application'" in d.message for d in errs)


def test_default_team_needs_the_warning_severity():
    text = SPEC.replace("    info: null\n", "    info: null\n    warning: null\n")
    errs = errors(text)
    assert [d.code for d in errs] == ["OBS021"]
    assert errs[0].pos.line == line_of(text, "default_team: web")


def test_removing_every_severity_is_refused():
    text = ("apiVersion: obsgen/v1\nrouting:\n  severities: {critical: null, warning: null, info: null}\n")
    assert errors(text) and "no severity" in errors(text)[0].message
