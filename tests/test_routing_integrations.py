"""Receivers of the spec's own with any Alertmanager integration: what each version has (OBS080),
what each integration cannot do without (OBS046), secrets only as files (OBS013), the root receiver,
obsgen's receiver defaults, global settings and templates; proven in amtool 0.25."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from conftest import needs
from ruamel.yaml import YAML

from obsgen.api import generate, load_texts
from obsgen.core.diagnostics import Severity
from obsgen.spec.integrations import INTEGRATIONS

HEAD = "apiVersion: obsgen/v1\nrouting:\n"


def project(routing: str):
    return load_texts({"spec.yaml": HEAD + routing})


def errors(p) -> list:
    return [d for d in p.diagnostics if d.severity is Severity.ERROR]


def config(routing: str) -> dict:
    p = project(routing)
    assert p.ok, [(d.code, d.message) for d in p.diagnostics]
    return YAML(typ="safe").load(generate(p)["default/alertmanager/alertmanager.yml"])


def where(routing: str, marker: str) -> tuple[int, int]:
    """1-based line and column of the first `marker` in the spec file."""
    for n, line in enumerate((HEAD + routing).splitlines(), 1):
        if marker in line:
            return n, line.index(marker) + 1
    raise AssertionError(f"{marker!r} not in the spec")


def amtool_check(tmp_path, p) -> subprocess.CompletedProcess:
    from obsgen.write.tree import write_tree

    write_tree(tmp_path / "out", generate(p))
    am = tmp_path / "out" / "default" / "alertmanager"
    assert (am / "templates" / "obsgen.tmpl").is_file()  # the templates glob has something to read
    return subprocess.run([shutil.which("amtool"), "check-config", str(am / "alertmanager.yml")],
                          check=False, capture_output=True, text=True, timeout=60)


# ----------------------------------------------------------------------------- every 0.25 integration

EVERY_025 = """\
  alertmanager_version: "0.25"
  smtp: {smarthost: "smtp.example.org:587", from: alertmanager@example.org}
  receiver: everything
  global: {opsgenie_api_key_file: /etc/am/opsgenie, victorops_api_key_file: /etc/am/victorops}
  receivers:
    - name: everything
      pagerduty:
        - {routing_key_file: /etc/am/pd-v2, class: database, component: postgres, group: db, source: pg-1}
        - {service_key_file: /etc/am/pd-v1, severity: error}
      slack:
        - api_url_file: /etc/am/slack
          channel: "#ops"
          fields: [{title: service, value: "{{ .CommonLabels.service }}", short: true}]
          actions: [{type: button, text: Runbook, url: "{{ .CommonAnnotations.runbook_url }}"}]
      email:
        - {to: oncall@example.org, from: ops@example.org, headers: {Subject: "{{ .Status }}", X-Team: ops}}
      webhook:
        - {url: "https://hooks.example.org/am", credentials_file: /etc/am/webhook-token, max_alerts: 20}
      opsgenie: [{responders: [{name: ops, type: team}], priority: P2}]
      victorops: [{routing_key: ops, message_type: CRITICAL}]
      sns: [{topic_arn: "arn:aws:sns:us-east-1:123456789012:alerts", sigv4: {region: us-east-1}}]
      webex: [{room_id: Y2lzY29z, http_config: {authorization: {credentials_file: /etc/am/webex}}}]
"""
# 0.25 has these integrations too, but obsgen cannot write them for it: their secrets became files later
# (wechat api_secret_file 0.31, pushover user_key_file/token_file 0.26, telegram bot_token_file 0.26,
# discord webhook_url_file 0.27).
NO_SECRET_FILE_IN_025 = {"wechat", "pushover", "telegram", "discord"}


@needs("amtool")
def test_a_receiver_with_every_integration_025_can_have_passes_amtool_025(tmp_path):
    p = project(EVERY_025)
    assert p.ok and not p.diagnostics, [(d.code, d.message) for d in p.diagnostics]
    doc = YAML(typ="safe").load(generate(p)["default/alertmanager/alertmanager.yml"])
    (rc,) = doc["receivers"]
    usable = {INTEGRATIONS[k][0] for k in INTEGRATIONS if INTEGRATIONS[k][1] <= (0, 25)} - {
        INTEGRATIONS[k][0] for k in NO_SECRET_FILE_IN_025}
    assert set(rc) - {"name"} == usable
    assert rc["pagerduty_configs"][0]["class"] == "database" and rc["email_configs"][0]["from"] == "ops@example.org"
    assert rc["pagerduty_configs"][1]["service_key_file"] == "/etc/am/pd-v1"
    assert rc["webhook_configs"][0]["http_config"] == {"authorization": {"credentials_file": "/etc/am/webhook-token"}}
    result = amtool_check(tmp_path, p)
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr


# ----------------------------------------------------------------------------- versions (OBS080)

R = "  receiver: r\n  receivers:\n    - name: r\n"
VERSIONED = [  # (routing at 0.25, the setting as the message names it, version, where, raised, amtool's word)
    (R + "      pushover:\n        - token_file: /etc/am/po-token\n          user_key_file: /etc/am/po-user\n",
     "pushover_configs user_key_file", "0.26", "/etc/am/po-user", "0.26", "user_key_file"),
    (R + "      msteams:\n        - webhook_url_file: /etc/am/teams\n",
     "msteams_configs", "0.26", "webhook_url_file", "0.27", "msteams_configs"),
    (R + "      discord:\n        - webhook_url_file: /etc/am/discord\n",
     "discord_configs webhook_url_file", "0.27", "/etc/am/discord", "0.27", "webhook_url_file"),
    (R + "      webhook:\n        - url_file: /etc/am/hook-url\n",
     "webhook_configs url_file", "0.26", "/etc/am/hook-url", "0.26", "url_file"),
    ("  global:\n    resolve_timeout: 1m\n    telegram_bot_token_file: /etc/am/tg\n",
     "global telegram_bot_token_file", "0.31", "/etc/am/tg", "0.31", "telegram_bot_token_file"),
    (R + "      wechat:\n        - {corp_id: ww1, api_secret_file: /etc/am/wechat}\n",
     "wechat_configs api_secret_file", "0.31", "/etc/am/wechat", "0.31", "api_secret_file"),
]
IDS = ["pushover-user_key_file", "msteams", "discord-webhook_url_file", "webhook-url_file", "global-telegram",
       "wechat-api_secret_file"]


@pytest.mark.parametrize("routing, what, version, marker, raised, _field", VERSIONED, ids=IDS)
def test_a_setting_of_a_later_alertmanager_is_obs080_at_it_until_the_version_is_raised(
        routing, what, version, marker, raised, _field):
    text = '  alertmanager_version: "0.25"\n' + routing
    errs = errors(project(text))
    assert errs and {d.code for d in errs} == {"OBS080"}, [d.message for d in errs]
    (d,) = [d for d in errs if d.message.startswith(f"{what} needs")]
    assert f"needs Alertmanager {version} or later" in d.message and "targets 0.25" in d.message
    assert (d.pos.file, d.pos.line, d.pos.col) == ("spec.yaml", *where(text, marker))
    raised_text = text.replace('"0.25"', f'"{raised}"')
    assert project(raised_text).ok, [d.message for d in project(raised_text).diagnostics]
    below = text.replace('"0.25"', f'"0.{int(version[2:]) - 1}"')
    assert any(d.message.startswith(f"{what} needs") for d in errors(project(below)))


@needs("amtool")
@pytest.mark.parametrize("routing, what, version, marker, raised, field", VERSIONED, ids=IDS)
def test_alertmanager_025_itself_refuses_what_the_version_gate_refuses(
        tmp_path, routing, what, version, marker, raised, field):
    p = project(f'  alertmanager_version: "{raised}"\n' + routing)
    assert p.ok
    result = amtool_check(tmp_path, p)
    assert result.returncode != 0 and f"field {field} not found" in result.stdout + result.stderr


# ----------------------------------------------------------------------------- literal secrets (OBS013)

SECRETS = [  # (a receiver's line, the secret, where the diagnostic points, what it says to use)
    ('      slack: [{channel: "#a", api_url: "https://hooks.slack.com/services/T0/B0/SlackSecret42"}]',
     "SlackSecret42", '"https://hooks', "write api_url_file"),
    ("      pagerduty: [{routing_key: PdSecret0123456789abcdef}]", "PdSecret0123456789abcdef", "PdSecret",
     "write routing_key_file"),
    ("      opsgenie: [{api_key: OgSecret42}]", "OgSecret42", "OgSecret42", "write api_key_file"),
    ('      webhook: [{url: "https://a.example.org/", http_config: {basic_auth: {username: u, password: PwSecret42}}}]',
     "PwSecret42", "{basic_auth", "basic_auth.password is a secret: put it in a file and write password_file"),
    ('      webhook: [{url: "https://a.example.org/", http_config: {tls_config: {key: TlsKeySecret42}}}]',
     "TlsKeySecret42", "{tls_config", "tls_config.key is a secret: put it in a file and write key_file"),
    ('      sns: [{topic_arn: "arn:aws:sns:us-east-1:1:a", sigv4: {region: us-east-1, secret_key: Sigv4Secret42}}]',
     "Sigv4Secret42", "{region", "secret_key is a secret: obsgen never writes it; use the AWS credential chain"),
    ('      webhook: [{url: "https://a.example.org/hook?token=HookSecret42"}]', "HookSecret42", '"https://',
     "this URL carries a credential"),
]
GLOBAL_SECRET = ('  global: {slack_api_url: "https://hooks.slack.com/services/T0/B0/GlobalSecret42"}',
                 "GlobalSecret42", '"https://hooks', "slack_api_url is a secret")


@pytest.mark.parametrize("line, secret, marker, words", [*SECRETS, GLOBAL_SECRET],
                         ids=["slack-api_url", "pagerduty-routing_key", "opsgenie-api_key", "http-password",
                              "http-tls-key", "sigv4-secret_key", "url-token", "global-slack_api_url"])
def test_a_literal_secret_is_refused_at_its_place_and_never_repeated(line, secret, marker, words):
    text = (line + "\n") if line.startswith("  global") else (R + line + "\n")
    p = project(text)
    errs = errors(p)
    assert [d.code for d in errs] == ["OBS013"], [(d.code, str(d.pos), d.message) for d in errs]
    assert (errs[0].pos.file, errs[0].pos.line, errs[0].pos.col) == ("spec.yaml", *where(text, marker))
    assert words in errs[0].message
    for d in p.diagnostics:
        assert secret not in d.message and secret not in (d.hint or ""), d




def test_a_literal_tls_key_in_an_email_tls_config_is_refused():
    text = ('  smtp: {smarthost: "smtp.example.org:587", from: a@example.org}\n' + R
            + "      email: [{to: a@example.org, tls_config: {key: TlsKeySecret42}}]\n")
    assert [d.code for d in errors(project(text))] == ["OBS013"]


# ----------------------------------------------------------------------------- required settings (OBS046)

SLACK = R + '      slack:\n        - channel: "#a"\n'


def test_slack_needs_a_url_of_its_own_or_the_global_one():
    (d,) = errors(project(SLACK))
    assert d.code == "OBS046" and "slack_configs[0] needs api_url_file or" in d.message
    assert "routing.global.slack_api_url_file" in d.message and (d.pos.line, d.pos.col) == where(SLACK, "channel")
    assert project("  global: {slack_api_url_file: /etc/am/slack}\n" + SLACK).ok


def test_mail_without_a_mail_server_is_one_obs046_and_a_global_one_will_do():
    text = R + "      email: [{to: a@example.org}]\n"
    (d,) = errors(project(text))
    assert d.code == "OBS046" and "routing.smtp is not set" in d.message
    assert project('  global: {smtp_smarthost: "smtp.example.org:25", smtp_from: a@example.org}\n' + text).ok
    (d,) = errors(project(R + '      email: [{to: a@example.org, smarthost: "smtp.example.org:25"}]\n'))
    assert d.code == "OBS046" and "needs from or routing.global.smtp_from (or routing.smtp)" in d.message


def test_victorops_needs_a_routing_key_and_a_webhook_one_url():
    vo = "  global: {victorops_api_key_file: /etc/am/vo}\n" + R + "      victorops: [{message_type: CRITICAL}]\n"
    (d,) = errors(project(vo))
    assert d.code == "OBS046" and d.message.endswith("victorops_configs[0] needs routing_key")
    both = '  alertmanager_version: "0.26"\n' + R + \
        '      webhook:\n        - url: "https://a.example.org/"\n          url_file: /etc/am/url\n'
    (d,) = errors(project(both))
    assert d.code == "OBS046" and "gives both url and url_file" in d.message
    assert (d.pos.line, d.pos.col) == where(both, "/etc/am/url")


# ----------------------------------------------------------------------------- the root receiver

def test_the_root_route_goes_to_routing_receiver_and_obsgen_default_is_written_only_when_used():
    doc = config("  receiver: blackhole\n  receivers: [{name: blackhole}]\n")
    assert doc["route"]["receiver"] == "blackhole" and doc["receivers"] == [{"name": "blackhole"}]
    named = config("  receiver: blackhole\n  receivers: [{name: blackhole}]\n"
                   "  routes: [{matchers: ['alertname=\"X\"'], receiver: obsgen-default}]\n")
    assert [r["name"] for r in named["receivers"]] == ["obsgen-default", "blackhole"]
    assert named["route"]["routes"] == [{"matchers": ['alertname="X"'], "receiver": "obsgen-default"}]
    unset = config("  receivers: [{name: blackhole}]\n")
    assert unset["route"]["receiver"] == "obsgen-default" and {"name": "obsgen-default"} in unset["receivers"]


def test_routing_receiver_must_be_a_receiver_of_the_spec_and_not_beside_default_team():
    text = "  receiver: blackhol\n  receivers: [{name: blackhole}]\n"
    (d,) = errors(project(text))
    assert d.code == "OBS021" and d.hint == "did you mean `blackhole`?"
    assert (d.pos.line, d.pos.col) == where(text, "blackhol")
    p = load_texts({"spec.yaml": "apiVersion: obsgen/v1\nteams:\n  - name: web\n    slack: {channel: '#w', "
                                 "api_url_file: /x}\n" + HEAD.split("\n", 1)[1]
                                 + "  receiver: blackhole\n  default_team: web\n  receivers: [{name: blackhole}]\n"})
    assert any("give routing.receiver or routing.default_team, not both" in d.message for d in errors(p))


# ----------------------------------------------------------------------------- receiver defaults

BARE = R + "      slack: [{api_url_file: /x}]\n      webhook: [{url: 'https://a.example.org/'}]\n"


def test_obsgen_defaults_fill_a_bare_entry_and_alertmanager_defaults_write_only_what_is_given():
    rc = config(BARE)["receivers"][0]
    assert rc["slack_configs"] == [{"api_url_file": "/x", "send_resolved": True,
                                    "title": '{{ template "obsgen.slack.title" . }}',
                                    "text": '{{ template "obsgen.slack.text" . }}'}]
    assert rc["webhook_configs"] == [{"url": "https://a.example.org/", "send_resolved": True}]
    plain = config("  receiver_defaults: alertmanager\n" + BARE)["receivers"][0]
    assert plain == {"name": "r", "slack_configs": [{"api_url_file": "/x"}],
                     "webhook_configs": [{"url": "https://a.example.org/"}]}


def test_a_setting_given_wins_over_obsgens_default():
    rc = config(R + "      slack: [{api_url_file: /x, send_resolved: false, title: mine}]\n")["receivers"][0]
    (slack,) = rc["slack_configs"]
    assert slack["send_resolved"] is False and slack["title"] == "mine"
    assert slack["text"] == '{{ template "obsgen.slack.text" . }}'


# ----------------------------------------------------------------------------- global and templates

def test_global_settings_and_templates_are_written_after_obsgens_own():
    doc = config("  global: {resolve_timeout: 1m, slack_api_url_file: /etc/am/slack, pagerduty_url: "
                 "'https://events.eu.pagerduty.com/v2/enqueue'}\n"
                 "  templates: [/etc/alertmanager/templates/*.tmpl, extra.tmpl]\n")
    assert doc["global"] == {"resolve_timeout": "1m", "slack_api_url_file": "/etc/am/slack",
                             "pagerduty_url": "https://events.eu.pagerduty.com/v2/enqueue"}
    assert doc["templates"] == ["templates/*.tmpl", "/etc/alertmanager/templates/*.tmpl", "extra.tmpl"]


def test_the_mail_server_is_given_in_one_place():
    text = ('  smtp: {smarthost: "smtp.example.org:587", from: a@example.org}\n'
            '  global: {smtp_smarthost: "other.example.org:25"}\n')
    (d,) = errors(project(text))
    assert "routing.global.smtp_smarthost and routing.smtp both set" in d.message


# ----------------------------------------------------------------------------- group_by

@needs("amtool")
@pytest.mark.parametrize("group_by", [[], ["..."]], ids=["none", "every-label"])
def test_group_by_none_or_every_label_is_written_as_given_and_amtool_accepts_it(tmp_path, group_by):
    text = f"  group_by: {group_by!r}\n  receiver: r\n  receivers: [{{name: r}}]\n".replace("'", '"')
    p = project(text)
    assert YAML(typ="safe").load(generate(p)["default/alertmanager/alertmanager.yml"])["route"]["group_by"] == group_by
    result = amtool_check(tmp_path, p)
    assert result.returncode == 0, result.stdout + result.stderr


# ----------------------------------------------------------------------------- unknown keys

@pytest.mark.parametrize("text, key, hint", [
    (R + '      slack:\n        - api_url_file: /x\n          chanel: "#a"\n', "chanel", "did you mean `channel`?"),
    ("  global:\n    slack_api_url_fil: /x\n", "slack_api_url_fil", "did you mean `slack_api_url_file`?"),
], ids=["integration", "global"])
def test_an_unknown_setting_is_obs010_at_its_key_with_a_did_you_mean(text, key, hint):
    (d,) = errors(project(text))
    assert d.code == "OBS010" and key in d.message and d.hint == hint
    assert (d.pos.line, d.pos.col) == where(text, key)
