"""Literal credentials: refused in any value of a spec (OBS013, at the value) and in any generated
file (OBS015: the build writes nothing), and reported by `obsgen check` over a tree."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from obsgen.api import load_texts
from obsgen.check.secrets import scan_files, scan_text
from obsgen.features.verify import secret_scan

ROOT = Path(__file__).parents[1]

# (kind, a text holding one) for each kind of credential the scanner knows.
SECRETS = [
    ("slack_token", "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp"),
    ("slack_webhook", "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"),
    ("pagerduty_key", "https://events.pagerduty.com/integration/0123456789abcdef0123456789abcdef/enqueue"),
    ("assignment", "routing_key: 0123456789abcdef0123456789abcdef"),
    ("assignment", "password: hunter2hunter2"),
    ("assignment", 'client_secret = "s3cr3t-value"'),
    ("bearer", "Authorization: Bearer eyJzdWIiOiJzcmUifQabcdefghij"),
    ("url_credentials", "https://alerts:Sup3rS3cret@hooks.example.com/notify"),
    ("url_token", "https://hooks.example.com/notify?token=abcdef0123456789"),
    ("private_key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"),
    ("private_key", "-----BEGIN RSA PRIVATE KEY-----"),
    ("aws_key", "aws_access_key_id AKIAIOSFODNN7EXAMPLE"),
    ("github_token", "ghp_" + "a1B2c3D4e5" * 4),
    ("jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    ("assignment", "password: hunterhunter"),  # a password needs no digit to be one
    ("assignment", "routing_key: a1b2c3d4e5f6a7b8c9d0"),  # 20 letters and digits: generated
]

# Texts that look close but hold no credential: references resolved at run time, paths, prose.
CLEAN = [
    "auth_password_file: /etc/alertmanager/secrets/smtp-password",
    "http_passwd: ${ES_PASSWORD}",
    "password: ${env:ES_PASSWORD}",
    "routing_key_file: /etc/alertmanager/secrets/pagerduty-key",
    "credentials_file: /var/run/secrets/kubernetes.io/serviceaccount/token",
    "Use the bearer token file the service account mounts.",
    "secret: true",
    "mailto:alerts@waardhaven.com",
    "The seed had the SMTP password inline; it now lives in a file.",
    'sum by (service) (rate(http_requests_total{job="api", status=~"5.."}[5m]))',
    # References, placeholders and paths where each kind expects a value
    "url: https://alerts:${SMTP_PASSWORD}@smtp.example.com",
    "https://hooks.example.com/notify?token=${HOOK_TOKEN}",
    "Authorization: Bearer /var/run/secrets/kubernetes.io/token",
    "X-API-Key: ${API_KEY_VALUE}",
    "password: <your-password-here>",
    "password: {{ .Values.password }}",
    # Keys named like identifiers hold a name unless it looks generated
    "routing_key: a1b2c3d4e5f6a7b8c9d",  # 19 characters
    "routing_key: payments-team-2024-oncall",  # not only letters and digits
    "routing_key: abcdefghijklmnopqrstuvwxyz",  # no digit
    # Other keys: a word or a name is not a secret
    "client_secret: from-vault-only",
    "api_key: frontend",
]


@pytest.mark.parametrize(("kind", "text"), SECRETS, ids=[f"{k}-{i}" for i, (k, _) in enumerate(SECRETS)])
def test_each_kind_of_credential_is_found(kind, text):
    assert kind in [h.kind for h in scan_text(text)]


@pytest.mark.parametrize("text", CLEAN)
def test_references_paths_and_prose_are_not_credentials(text):
    assert scan_text(text) == []


def test_a_credential_in_an_annotation_is_refused_at_its_value():
    spec = """\
apiVersion: obsgen/v1
teams: [{name: ops, email: {to: ops@example.com}}]
routing: {smtp: {smarthost: "smtp:587", from: a@example.com}}
services:
  - name: api
    team: ops
    alerts:
      - name: ApiDown
        expr: up == 0
        severity: warning
        annotations:
          dashboard: "https://grafana.example.com/d/api?token=abcdef0123456789"
"""
    project = load_texts({"spec.yaml": spec})
    assert [(d.code, d.pos.line, d.pos.col) for d in project.diagnostics if d.code == "OBS013"] == [("OBS013", 12, 22)]
    assert not project.ok


def test_a_url_field_with_a_credential_is_reported_once():
    spec = """\
apiVersion: obsgen/v1
teams: [{name: ops, webhook: {url: "https://u:p4ssw0rd@hooks.example.com/x"}}]
"""
    project = load_texts({"spec.yaml": spec})
    assert [d.code for d in project.diagnostics if d.code == "OBS013"] == ["OBS013"]


def test_a_generated_file_with_a_credential_is_reported_at_its_line_and_column():
    (d,) = scan_files({"prod/alertmanager/alertmanager.yml": "route:\n  receiver: x\n# xoxb-1234567890-abcdefghij\n"})
    assert (d.code, d.pos.file, d.pos.line, d.pos.col) == ("OBS015", "prod/alertmanager/alertmanager.yml", 3, 3)


def test_the_reference_spec_and_its_generated_tree_hold_no_credentials():
    result = secret_scan(ROOT / "generated")
    assert result.ok, result.detail
    assert not any(d.code == "OBS013" for d in load_texts(
        {p.name: p.read_text() for p in (ROOT / "specs").glob("*.yaml")}).diagnostics)


def test_check_reports_a_credential_put_into_a_built_tree_by_hand(tmp_path):
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod" / "notes.yml").write_text("slack: https://hooks.slack.com/services/T0/B0/abcdefghijkl\n")
    result = secret_scan(tmp_path)
    assert not result.ok and "prod/notes.yml:1:16" in result.detail


def test_build_writes_nothing_when_the_output_would_hold_a_credential(tmp_path):
    # A team template is copied into the output as written: the one path from spec text to output
    # that spec validation does not see as a value of its own.
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "spec.yaml").write_text("""\
apiVersion: obsgen/v1
teams:
  - name: ops
    slack: {channel: "#ops", api_url_file: /s/slack}
    templates:
      slack_text: '{{ .CommonAnnotations.summary }}'
""")
    out = tmp_path / "out"
    ok = subprocess.run([sys.executable, "-m", "obsgen", "build", str(specs), "-o", str(out)],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    (specs / "spec.yaml").write_text((specs / "spec.yaml").read_text().replace(
        "{{ .CommonAnnotations.summary }}", "{{ .CommonAnnotations.summary }} xoxb-1234567890-abcdefghij"))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    result = subprocess.run([sys.executable, "-m", "obsgen", "build", str(specs), "-o", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "nothing written" in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


# ----------------------------------------------------------------------------- the scanner itself

def test_redact_replaces_each_credential_and_keeps_every_character_around_it():
    from obsgen.core.credentials import REDACTED, redact

    assert redact(None) is None and redact("") == ""
    assert redact("nothing to hide here") == "nothing to hide here"
    token = "ghp_" + "a1B2c3D4e5" * 4
    assert redact(f"{token} then AKIAIOSFODNN7EXAMPLE, end") == f"{REDACTED} then {REDACTED}, end"
    assert redact(f"a {token} b") == f"a {REDACTED} b"
    # one credential inside another: one [redacted] for the outer
    assert redact(f"x password: {token} y") == f"x {REDACTED} y"
    # two that overlap (a token in a URL, and a password assignment running past it): one for both
    text = "https://x.example/?password=eyJaaaaaaaaa.eyJbbbbbbbbb.cccccccccc&z done"
    assert redact(text) == f"https://x.example/{REDACTED} done"


def test_the_scanner_reports_what_it_found_in_order_of_position():
    from obsgen.core.credentials import scan_text

    token = "ghp_" + "a1B2c3D4e5" * 4
    hits = scan_text(f"AKIAIOSFODNN7EXAMPLE and {token}")
    assert [(h.kind, h.what, h.start) for h in hits] == [("aws_key", "an AWS access key", 0),
                                                        ("github_token", "a GitHub token", 25)]


def test_offsets_stay_those_of_the_text_when_a_character_lower_cases_to_two():
    from obsgen.core.credentials import REDACTED, redact, scan_text

    text = "İstanbul PASSWORD: Hunter2Hunter2 ok"  # 'İ'.lower() is two characters
    hits = scan_text(text)
    assert [(h.kind, text[h.start:h.end]) for h in hits] == [("assignment", "PASSWORD: Hunter2Hunter2")]
    assert redact(text) == f"İstanbul {REDACTED} ok"
