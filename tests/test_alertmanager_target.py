"""The Alertmanager target: receivers, time intervals, notification templates, version checks.

Where a real tool can judge the output (amtool check-config, amtool template render), it does."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from obsgen.api import generate, load_texts

GOLDEN = Path(__file__).parent / "golden"
AMTOOL = shutil.which("amtool")
needs_amtool = pytest.mark.skipif(AMTOOL is None, reason="needs amtool (apt-get install prometheus-alertmanager)")

TEAM = """
apiVersion: obsgen/v1
routing:
  smtp: {smarthost: "smtp.example.com:587", from: "am@example.com"}
  time_intervals:
    nights:
      - times: [{start: "00:00", end: "07:00"}]
        location: Europe/Amsterdam
  severities:
    critical: {channels: [pagerduty]}
    warning: {channels: [slack], mute_during: [nights]}
    info: {channels: [email], active_during: [nights]}
teams:
  - name: ops
    slack: {channel: "#ops", api_url_file: /s/slack}
    pagerduty: {routing_key_file: /s/pd}
    email: {to: ops@example.com}
    templates:
      pagerduty_description: "OPS {{ .CommonLabels.alertname }}"
  - name: web
    slack: {channel: "#web", api_url_file: /s/slack-web}
services:
  - name: api
    team: ops
    alerts:
      - {name: ApiDown, expr: "up == 0", severity: critical, summary: down, description: down}
"""


def build(text: str) -> dict[str, str]:
    project = load_texts({"spec.yaml": text})
    assert project.ok, project.diagnostics
    return generate(project)


def am_config(files: dict[str, str]) -> dict:
    return YAML(typ="safe").load(files["default/alertmanager/alertmanager.yml"])


def receiver(config: dict, name: str) -> dict:
    return next(r for r in config["receivers"] if r["name"] == name)


def test_time_intervals_are_written_and_routes_mute_or_activate_with_them():
    config = am_config(build(TEAM))
    assert config["time_intervals"] == [{"name": "nights", "time_intervals": [
        {"times": [{"start_time": "00:00", "end_time": "07:00"}], "location": "Europe/Amsterdam"}]}]
    ops = next(r for r in config["route"]["routes"] if r["matchers"] == ['team="ops"'])
    by_sev = {r["matchers"][0]: r for r in ops["routes"]}
    assert by_sev['severity="warning"']["mute_time_intervals"] == ["nights"]
    assert by_sev['severity="info"']["active_time_intervals"] == ["nights"]
    assert "mute_time_intervals" not in by_sev['severity="critical"']


def test_texts_come_from_the_template_files_and_a_team_override_replaces_only_its_own():
    files = build(TEAM)
    config = am_config(files)
    assert config["templates"] == ["templates/*.tmpl"]
    ops_pd = receiver(config, "ops-critical")["pagerduty_configs"][0]
    assert ops_pd["description"] == '{{ template "obsgen.team.ops.pagerduty.description" . }}'
    web_slack = receiver(config, "web-warning")["slack_configs"][0]
    assert web_slack["title"] == '{{ template "obsgen.slack.title" . }}'
    team_file = files["default/alertmanager/templates/team-ops.tmpl"]
    assert '{{ define "obsgen.team.ops.pagerduty.description" }}OPS {{ .CommonLabels.alertname }}{{ end }}' in team_file
    assert "default/alertmanager/templates/team-web.tmpl" not in files
    assert "[[" not in files["default/alertmanager/templates/obsgen.tmpl"]  # jinja2 rendered everything


def test_no_secret_reaches_the_config_only_file_paths():
    text = am_config(build(TEAM))
    flat = repr(text)
    assert "/s/slack" in flat and "/s/pd" in flat
    for key in ("api_url'", "routing_key'", "service_key'", "auth_password'"):
        assert key not in flat


def test_a_webhook_url_from_a_file_is_allowed_once_the_spec_targets_alertmanager_026():
    spec = TEAM.replace("routing:\n", 'routing:\n  alertmanager_version: "0.26"\n', 1).replace(
        "    slack: {channel: \"#web\", api_url_file: /s/slack-web}",
        "    webhook: {url_file: /s/web-hook}\n    channels: {warning: [webhook]}")
    config = am_config(build(spec))
    assert receiver(config, "web-warning")["webhook_configs"][0]["url_file"] == "/s/web-hook"
    project = load_texts({"spec.yaml": spec.replace('"0.26"', '"0.25"')})
    assert [d.code for d in project.diagnostics if d.severity.value == "error"] == ["OBS080"]


def _golden_configs() -> list[Path]:
    return sorted(GOLDEN.glob("*/expected/*/alertmanager/alertmanager.yml")) + sorted(
        (Path(__file__).parents[1] / "generated").glob("*/alertmanager/alertmanager.yml"))


@pytest.mark.tools
@needs_amtool
@pytest.mark.parametrize("config", _golden_configs(), ids=lambda p: "/".join(p.parts[-5:-2]))
def test_every_golden_and_generated_config_passes_amtool_and_its_templates_render(config: Path):
    proc = subprocess.run([AMTOOL, "check-config", str(config)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = config.read_text()
    names = {line.split('"')[1] for line in text.splitlines() if '{{ template "' in line}
    # routing-receivers keeps Alertmanager's own texts (receiver_defaults: alertmanager)
    integrations = any(k.endswith("_configs") for rc in YAML(typ="safe").load(text)["receivers"] for k in rc)
    assert names or config.parts[-5] == "routing-receivers" or not integrations, \
        "receivers should use the template files"
    for name in sorted(names):
        proc = subprocess.run([AMTOOL, "template", "render", "--template.glob", str(config.parent / "templates/*.tmpl"),
                               "--template.text", '{{ template "%s" . }}' % name], capture_output=True, text=True)
        assert proc.returncode == 0, f"{name}: {proc.stderr}"
        if not name.startswith("obsgen.team."):  # a team's text may well be empty on amtool's sample data
            assert proc.stdout.strip(), f"{name} renders to nothing"


SECRET_KEYS = {"api_url", "routing_key", "service_key", "auth_password", "smtp_auth_password", "password",
               "credentials", "bearer_token", "url"}


def _walk(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield path + (key,), key, value
            yield from _walk(value, path + (key,))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk(item, path + (i,))


@pytest.mark.parametrize("config", _golden_configs(), ids=lambda p: "/".join(p.parts[-5:-2]))
def test_no_generated_config_has_a_literal_secret_or_a_deprecated_matcher(config: Path):
    doc = YAML(typ="safe").load(config.read_text())
    for path, key, value in _walk(doc):
        assert key not in ("match", "match_re", "source_match", "source_match_re", "target_match",
                           "target_match_re"), f"deprecated {key} at {path}"
        if key in SECRET_KEYS - {"url"} and "victorops_configs" not in path:  # VictorOps' routing_key is a name
            raise AssertionError(f"literal secret field {key} at {path}")
        if key == "url":  # webhook endpoints are allowed, without credentials in them
            assert "@" not in value.split("//", 1)[-1].split("/", 1)[0] and "token=" not in value, path
