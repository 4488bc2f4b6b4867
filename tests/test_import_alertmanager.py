"""`obsgen import alertmanager`: an alertmanager.yml (plain, in a Secret or in a ConfigMap) becomes
routing in an obsgen spec whose built configuration routes every alert as the input did (proven
with amtool), with literal secrets turned into file references (OBS081, never the value) and
bad input refused with file:line:col.

Every configuration here is written for these tests, small and inline. Known importer bugs are
strict xfails (they start passing, and so failing, when fixed); none are left.
"""
from __future__ import annotations

import base64
import copy
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import needs
from ruamel.yaml import YAML

from obsgen.api import load_texts
from obsgen.core.diagnostics import Severity, format_text
from obsgen.features.importers.alertmanager import (
    equivalent,
    import_alertmanager,
    label_sets,
)
from obsgen.targets.alertmanager import config as build_config

# Nested routes three deep with continue, legacy match (an integer value) and match_re, matchers in
# every style, group_by '...' and [], per-route timing, both forms of time intervals (Title-Case
# weekdays), active intervals, both forms of inhibit rules, a receiver named null.
TREE = """\
global:
  resolve_timeout: 3m
  opsgenie_api_key: og-global-literal-7741
  smtp_smarthost: relay.example.org:587
  smtp_from: alertmanager@example.org
route:
  receiver: 'null'
  group_by: ['cluster', 'alertname']
  group_wait: 15s
  group_interval: 2m
  routes:
    - receiver: storage-chat
      match: {team: storage, tier: 2}
      continue: true
      routes:
        - receiver: storage-pager
          matchers: ['severity="page"', zone=~"eu-.*"]
          group_wait: 5s
          routes:
            - receiver: storage-mail
              matchers: ['{kind="disk", rack=~"r1|r2"}']
              continue: true
              group_by: []
              repeat_interval: 90m
            - {receiver: storage-chat, matchers: [kind!=disk]}
    - receiver: edge-hook
      match_re: {service: (api|edge)-.+}
      mute_time_intervals: [weekend]
      group_by: ['...']
      group_interval: 10m
    - {receiver: office-opsgenie, matchers: [env!=prod], active_time_intervals: [office-hours]}
mute_time_intervals:
  - name: weekend
    time_intervals: [{weekdays: ['Saturday', 'Sunday']}]
time_intervals:
  - name: office-hours
    time_intervals:
      - weekdays: ['Monday:Friday']
        times: [{start_time: '08:30', end_time: '18:00'}]
        location: Europe/Berlin
inhibit_rules:
  - {source_match: {severity: page}, target_match_re: {severity: 'info|ticket'}, equal: [cluster]}
  - {source_matchers: [outage="true"], target_matchers: [team=~".+"]}
receivers:
  - name: 'null'
  - name: storage-chat
    slack_configs:
      - api_url: https://hooks.slack.com/services/T0/B0/storagechatliteral
        channel: '#storage'
        fields: [{title: Zone, value: '{{ .CommonLabels.zone }}', short: true}]
  - {name: storage-pager, pagerduty_configs: [{service_key: pd-v1-literal-5521}]}
  - name: storage-mail
    email_configs: [{to: storage-oncall@example.org, headers: {Subject: 'Storage: {{ .Status }}'}}]
  - name: edge-hook
    webhook_configs:
      - url: http://hooks.internal:9000/alert
        http_config:
          basic_auth: {username: am, password: edge-basic-literal}
  - name: office-opsgenie
    opsgenie_configs: [{priority: P3, tags: office}]
"""

# A fan-out under a route without a receiver; != and !~; settings Alertmanager 0.25 added.
FANOUT = """\
global: {smtp_smarthost: mx.example.com:25, smtp_from: am@example.com, smtp_require_tls: false}
route:
  receiver: catchall
  group_by: ['...']
  routes:
    - matchers: [cluster=~"prod-.*"]
      group_by: [alertname, cluster]
      routes:
        - {receiver: dba-mail, matchers: [team=dba], continue: true}
        - receiver: dba-webex
          matchers: ['team="dba"', 'severity!~"info|debug"']
          group_interval: 3m
        - {receiver: oncall, match: {priority: 1}, continue: true}
        - {receiver: vo, match_re: {priority: '1|2'}}
    - {receiver: catchall, matchers: [cluster=~"dev-.*"], repeat_interval: 24h}
inhibit_rules:
  - {source_match: {priority: 1}, target_match: {priority: 3}, equal: [cluster, service]}
receivers:
  - name: catchall
  - name: dba-mail
    email_configs: [{to: dba@example.com, auth_username: am, auth_password: mail-literal-0042, send_resolved: true}]
  - name: dba-webex
    webex_configs: [{room_id: room-123, http_config: {authorization: {credentials_file: /run/secrets/webex}}}]
  - name: oncall
    pagerduty_configs: [{routing_key: pd-v2-literal-9931, source: '{{ .CommonLabels.cluster }}'}]
  - name: vo
    victorops_configs: [{api_key: vo-literal-3310, routing_key: ops-team}]
"""

SECRETS = """\
global:
  slack_api_url: https://hooks.slack.com/services/TX/BX/globalslackliteral
  smtp_smarthost: smtp.example.net:25
  smtp_from: alerts@example.net
  smtp_auth_username: alerts
  smtp_auth_password: smtp-literal-8812
route:
  receiver: chat
  routes:
    - {receiver: pager, matchers: [severity="critical"]}
    - {receiver: relay, matchers: [team="db"]}
    - {receiver: aws, matchers: [team="cloud"]}
receivers:
  - {name: chat, slack_configs: [{channel: '#general'}]}
  - name: pager
    pagerduty_configs: [{routing_key: pd-routing-literal-4410}]
  - name: relay
    webhook_configs:
      - url: http://relay.example.net/in
        http_config: {basic_auth: {username: relay, password: basic-literal-6620}}
      - url: http://relay2.example.net/in
        http_config: {bearer_token: bearer-literal-7730}
  - name: aws
    sns_configs:
      - topic_arn: arn:aws:sns:eu-west-1:111122223333:alerts
        sigv4: {region: eu-west-1, access_key: AKIAACCESSLITERAL, secret_key: sns-secret-literal-9940}
"""

PUSHOVER = """\
route: {receiver: phone}
receivers:
  - name: phone
    pushover_configs: [{user_key: po-user-literal, token: po-token-literal, priority: 1}]
"""

@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # positions name inputs relative to the working folder


def write(name: str, text: str) -> Path:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load(text: str):
    return YAML(typ="safe", pure=True).load(text)


def spec_routing(text: str) -> dict:
    return load(text)["routing"]


def dump(path: Path, doc: dict) -> Path:
    YAML(typ="safe", pure=True).dump(doc, path)
    return path


def run(*paths) -> tuple[str, list]:
    text, diags = import_alertmanager([Path(p) for p in paths])
    errs = [format_text(d) for d in diags if d.severity is Severity.ERROR]
    assert text is not None and not errs, "\n".join(errs)
    return text, diags


def of(diags, code: str) -> list:
    return [d for d in diags if d.code == code]


def build(text: str) -> dict:
    project = load_texts({"imported.yaml": text})
    assert project.ok, "\n".join(format_text(d) for d in project.diagnostics)
    return build_config(project.models[0])


def pos_of(text: str, needle: str) -> tuple[int, int]:
    """1-based line:col where `needle` first stands in `text`."""
    before = text[:text.index(needle)]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


def amtool(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["amtool", *map(str, args)], capture_output=True, text=True, timeout=60, check=False)


def routes_test(cfg: Path, labels: dict[str, str]) -> str:
    proc = amtool("config", "routes", "test", f"--config.file={cfg}", *(f"{k}={v}" for k, v in labels.items()))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def obsgen(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "obsgen", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120, check=False)


# ----------------------------------------------------------------------------- round trip

@needs("amtool")
@pytest.mark.parametrize("source", [TREE, FANOUT, SECRETS], ids=["tree", "fanout", "secrets"])
def test_the_built_config_routes_every_label_set_to_the_same_receivers_as_amtool_sees_the_input(source):
    original = write("in.yml", source)
    assert amtool("check-config", original).returncode == 0  # the fixture itself is valid for 0.25
    text, _ = run(original)
    built = build(text)
    out = dump(Path("built.yml"), built)
    check = amtool("check-config", out)
    assert check.returncode == 0, check.stdout + check.stderr
    parsed = load(source)
    assert equivalent(parsed, built) == []
    samples = label_sets(parsed)
    assert len(samples) >= 4
    samples += [extra for extra in EXTRA_LABELS if extra not in samples]  # what label_sets cannot sample
    reached = set()
    for labels in samples:
        want = routes_test(original, labels)
        assert want, labels
        assert routes_test(out, labels) == want, labels
        reached.update(want.split(","))
    assert reached == {r["name"] for r in parsed["receivers"]}  # the comparison covered the whole tree


# label_sets makes no value up for a regex with a group (`(api|edge)-.+`): these reach that route.
EXTRA_LABELS = [{"service": "edge-lb"}, {"service": "api-gw", "env": "prod"}, {"service": "api-gw", "team": "storage"}]


@needs("amtool")
def test_the_deepest_route_and_continue_reach_what_amtool_says():
    text, _ = run(write("in.yml", TREE))
    out = dump(Path("built.yml"), build(text))
    deep = {"team": "storage", "tier": "2", "severity": "page", "zone": "eu-west", "kind": "disk", "rack": "r2"}
    assert routes_test(out, deep) == "storage-mail,office-opsgenie"
    assert routes_test(out, {**deep, "kind": "net"}) == "storage-chat,office-opsgenie"
    assert routes_test(out, {"service": "edge-lb", "env": "prod"}) == "edge-hook"
    assert routes_test(out, {"env": "prod"}) == "null"


@needs("amtool")
def test_legacy_match_values_keep_the_text_alertmanager_reads():
    source = ("route:\n  receiver: ops\n  routes:\n    - receiver: canary\n      match: {canary: true}\n"
              "    - receiver: ver\n      match: {version: 1.10}\n    - receiver: shard\n      match: {shard: 007}\n"
              "receivers:\n  - name: ops\n  - name: canary\n  - name: ver\n  - name: shard\n")
    original = write("in.yml", source)
    out = dump(Path("built.yml"), build(run(original)[0]))
    for labels, receiver in (({"canary": "true"}, "canary"), ({"version": "1.10"}, "ver"), ({"shard": "007"}, "shard")):
        assert routes_test(original, labels) == receiver
        assert routes_test(out, labels) == receiver, labels


# ----------------------------------------------------------------------------- equivalent

def _route(cfg: dict, *path: int) -> dict:
    node = cfg["route"]
    for i in path:
        node = node["routes"][i]
    return node


def _receiver(cfg: dict, name: str) -> dict:
    return next(r for r in cfg["receivers"] if r["name"] == name)


def _interval(cfg: dict, name: str) -> dict:
    return next(t for t in cfg["time_intervals"] if t["name"] == name)


MUTATIONS = {
    "receiver": (lambda c: _route(c, 2).update(receiver="null"), "labels"),
    "group_wait": (lambda c: _route(c, 0, 0).update(group_wait="1m"), "labels"),
    "continue": (lambda c: _route(c, 0).pop("continue"), "labels"),
    "active": (lambda c: _route(c, 2).pop("active_time_intervals"), "labels"),
    "inhibit": (lambda c: c["inhibit_rules"][0].update(equal=["cluster", "namespace"]), "inhibit rules"),
    "interval": (lambda c: _interval(c, "office-hours")["time_intervals"][0].update(weekdays=["monday:thursday"]),
                 "time intervals"),
    "integration": (lambda c: _receiver(c, "storage-chat").pop("slack_configs"), "receiver 'storage-chat'"),
}


@pytest.mark.parametrize("change", list(MUTATIONS))
def test_equivalent_reports_each_kind_of_difference(change):
    original = load(TREE)
    built = build(run(write("in.yml", TREE))[0])
    assert equivalent(original, built) == []
    mutate, says = MUTATIONS[change]
    changed = copy.deepcopy(built)
    mutate(changed)
    problems = equivalent(original, changed)
    assert problems and any(p.startswith(says) for p in problems), problems


@pytest.mark.parametrize("change", ["receiver", "mute_time_intervals"])
def test_equivalent_looks_at_a_route_whose_regex_has_a_group(change):
    original = load(TREE)
    changed = copy.deepcopy(build(run(write("in.yml", TREE))[0]))
    edge = _route(changed, 1)
    assert edge["receiver"] == "edge-hook"
    edge.update(receiver="null") if change == "receiver" else edge.pop(change)
    assert equivalent(original, changed)


# ----------------------------------------------------------------------------- secrets

SECRET_FIELDS = {  # value -> the field the warning names, and the setting it becomes
    "https://hooks.slack.com/services/TX/BX/globalslackliteral": ("global.slack_api_url", "slack_api_url_file"),
    "smtp-literal-8812": ("global.smtp_auth_password", "smtp_auth_password_file"),
    "pd-routing-literal-4410": ("receivers[1].pagerduty_configs[0].routing_key", "routing_key_file"),
    "basic-literal-6620": ("receivers[2].webhook_configs[0].http_config.basic_auth.password", "password_file"),
    "bearer-literal-7730": ("receivers[2].webhook_configs[1].http_config.bearer_token", "credentials_file"),
    "sns-secret-literal-9940": ("receivers[3].sns_configs[0].sigv4.access_key and secret_key", "sigv4.profile"),
}


def test_each_literal_secret_is_one_obs081_at_its_value_naming_the_field_and_never_the_value():
    text, diags = run(write("am.yml", SECRETS))
    warnings = of(diags, "OBS081")
    assert len(warnings) == len(SECRET_FIELDS)
    shown = "\n".join(format_text(d) for d in diags)
    for value, (field, setting) in SECRET_FIELDS.items():
        line, col = pos_of(SECRETS, value)
        here = [w for w in warnings if (w.pos.file, w.pos.line, w.pos.col) == ("am.yml", line, col)]
        assert len(here) == 1, (value, [format_text(w) for w in warnings])
        assert field in here[0].message and f"imported as {setting}" in here[0].message
        assert value not in shown and value not in text
    assert "AKIAACCESSLITERAL" not in text and "AKIAACCESSLITERAL" not in shown
    header = [line[4:].split("  (")[0] for line in text.splitlines() if line.startswith("# - ")]
    files = re.findall(r"imported as \w+: (/etc/alertmanager/secrets/[\w-]+)", shown)
    assert len(files) == 5 and set(files) <= set(header)
    assert "AWS shared credentials file, profile [alertmanager-aws-sns]" in header
    routing = spec_routing(text)
    assert routing["global"]["slack_api_url_file"] in files and routing["global"]["smtp_auth_password_file"] in files
    relay = _receiver(routing, "relay")["webhook"]
    assert relay[0]["http_config"]["basic_auth"] == {"username": "relay", "password_file": files[3]}
    assert relay[1]["http_config"] == {"authorization": {"credentials_file": files[4]}}
    assert _receiver(routing, "aws")["sns"][0]["sigv4"] == {"profile": "alertmanager-aws-sns", "region": "eu-west-1"}


# ----------------------------------------------------------------------------- wrappers

INNER = "route:\n  receiver: ops\nreceivers:\n  - name: ops\n    pagerduty_configs:\n      - routing_key: wrapped-literal-1\n"
INDENTED = "".join(f"    {line}\n" for line in INNER.splitlines())
WRAPPERS = {
    "stringData": ("sec.yaml", (f"apiVersion: v1\nkind: Secret\nmetadata: {{name: am}}\nstringData:\n"
                                f"  alertmanager.yaml: |\n{INDENTED}"), "sec.yaml[stringData.alertmanager.yaml]"),
    "base64": ("sec.yaml", ("apiVersion: v1\nkind: Secret\nmetadata: {name: am}\ndata:\n  alertmanager.yaml: "
                            f"{base64.b64encode(INNER.encode()).decode()}\n"), "sec.yaml[data.alertmanager.yaml]"),
    "configmap": ("cm.yaml", ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: am}\ndata:\n  notes.txt: hi\n"
                              f"  routing.yml: |\n{INDENTED}"), "cm.yaml[data.routing.yml]"),
    "multidoc": ("all.yaml", ("apiVersion: v1\nkind: Service\nmetadata: {name: am}\nspec: {ports: [{port: 9093}]}\n"
                              "---\napiVersion: v1\nkind: Secret\nmetadata: {name: am-main}\nstringData:\n"
                              f"  alertmanager.yaml: |\n{INDENTED}---\napiVersion: apps/v1\nkind: Deployment\n"
                              "metadata: {name: other}\n"), "all.yaml[stringData.alertmanager.yaml]"),
}


@pytest.mark.parametrize("kind", list(WRAPPERS))
def test_a_wrapped_config_is_imported_with_positions_inside_the_wrapped_text(kind):
    name, content, where = WRAPPERS[kind]
    text, diags = run(write(name, content))
    assert f"from the Alertmanager configuration {where}." in text
    [warned] = of(diags, "OBS081")
    assert (warned.pos.file, warned.pos.line, warned.pos.col) == (where, *pos_of(INNER, "wrapped-literal-1"))
    assert "wrapped-literal-1" not in text
    assert _receiver(spec_routing(text), "ops")["pagerduty"][0]["routing_key_file"].startswith("/etc/alertmanager/")


@pytest.mark.parametrize("content, code, says", [
    ("apiVersion: v1\nkind: Secret\nmetadata: {name: am}\nstringData:\n  other.txt: hello\n", "OBS041",
     "a Secret without an Alertmanager configuration"),
    (("apiVersion: monitoring.coreos.com/v1alpha1\nkind: AlertmanagerConfig\nmetadata: {name: x}\n"
      "spec:\n  route: {receiver: a}\n  receivers: [{name: a}]\n"), "OBS040", "AlertmanagerConfig"),
], ids=["secret-without-key", "alertmanagerconfig"])
def test_a_resource_that_is_not_a_config_is_refused(content, code, says):
    text, diags = import_alertmanager([write("res.yaml", content)])
    assert text is None
    [refusal] = [d for d in diags if d.severity is Severity.ERROR]
    assert refusal.code == code and says in refusal.message and refusal.pos.file == "res.yaml"


# ----------------------------------------------------------------------------- refusals

REFUSALS = [
    pytest.param({"in.yml": "route:\n  receiver: ops\n  recevier: x\nreceivers:\n  - name: ops\n"},
                 "in.yml:3:3: error[OBS041]: route.recevier", "did you mean `receiver`", id="unknown-key"),
    pytest.param({"in.yml": "route:\n  receiver: ops\n  matchers: [a=\"b\"]\nreceivers:\n  - name: ops\n"},
                 "in.yml:3:3: error[OBS041]: route.matchers", "root route", id="root-matchers"),
    pytest.param({"in.yml": "route:\n  receiver: opz\nreceivers:\n  - name: ops\n"},
                 "in.yml:2:13: error[OBS041]: route.receiver: no receiver named 'opz'", "did you mean `ops`",
                 id="root-undefined-receiver"),
    pytest.param({"in.yml": "route:\n  receiver: ops\n  routes:\n    - receiver: opz\nreceivers:\n  - name: ops\n"},
                 "in.yml:4:17: error[OBS041]: route.routes[0].receiver: no receiver named 'opz'", "did you mean `ops`",
                 id="child-undefined-receiver"),
    pytest.param({"in.yml": "route:\n  receiver: ops\n  routes:\n    - receiver: ops\n      mute_time_intervals: [nite]\n"
                            "time_intervals:\n  - name: night\n    time_intervals: [{}]\nreceivers:\n  - name: ops\n"},
                 "in.yml:5:29: error[OBS041]: route.routes[0].mute_time_intervals[0]: no time interval named 'nite'",
                 "did you mean `night`", id="child-undefined-interval"),
    pytest.param({"in.yml": "route:\n  receiver: ops\n  routes:\n    - receiver: ops\n      matchers: ['a=~\"(\"']\n"
                            "receivers:\n  - name: ops\n"},
                 "in.yml:5:18: error[OBS041]: route.routes[0].matchers[0]", "Alertmanager (Go, RE2)",
                 id="child-bad-regex"),
    pytest.param({"in.yml": "route:\n  receiver: ops\n  routes:\n    - receiver: ops\n      labels: {a: b}\n"
                            "receivers:\n  - name: ops\n"},
                 "in.yml:5:7: error[OBS040]: route.routes[0].labels", "not in obsgen's routing model", id="labels"),
    pytest.param({"a.yml": PUSHOVER, "b.yml": PUSHOVER},
                 "b.yml:1:1: error[OBS040]: 2 Alertmanager configurations given",
                 "import one configuration at a time", id="two-configs"),
    pytest.param({"in.yml": "route:\n  receiver: ops\nreceivers:\n  - name: ops\n    opsgenie_configs:\n"
                            "      - api_key: og-both-literal\n        api_key_file: /etc/og\n"},
                 "in.yml:6:18: error[OBS041]: receivers[0].opsgenie_configs[0].api_key: given with api_key_file",
                 "refuses both", id="key-and-key-file"),
    pytest.param({"in.yml": "route:\n  receiver: ops\n  routes:\n    - receiver: ops\n      match_re:\n        svc:\n"
                            "receivers:\n  - name: ops\n"},
                 "in.yml:6:13: error[OBS041]: route.routes[0].match_re.svc: no value", "", id="null-match-re"),
]


@pytest.mark.parametrize("files, where, says", REFUSALS)
def test_bad_input_is_refused_through_the_cli_with_its_position_and_nothing_written(tmp_path, files, where, says):
    for name, content in files.items():
        write(name, content)
    proc = obsgen("import", "alertmanager", *files, "-o", "out.yaml", cwd=tmp_path)
    assert proc.returncode != 0
    assert where in proc.stderr and says in proc.stderr, proc.stderr
    assert "og-both-literal" not in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out.yaml").exists() and proc.stdout == ""


# ----------------------------------------------------------------------------- version

def test_pushover_secrets_as_files_raise_the_version_to_026_with_a_note_saying_why():
    text, diags = run(write("po.yml", PUSHOVER))
    routing = spec_routing(text)
    assert routing["alertmanager_version"] == "0.26"
    assert set(routing["receivers"][0]["pushover"][0]) == {"user_key_file", "token_file", "priority"}
    notes = text.split("# Notes:")[1].split("apiVersion:")[0]
    assert "alertmanager_version is 0.26" in notes and "user_key_file" in notes
    assert len(of(diags, "OBS081")) == 2 and "po-user-literal" not in text


def test_a_config_with_only_025_settings_stays_at_025_without_a_version_note():
    text, _ = run(write("in.yml", FANOUT))
    assert spec_routing(text)["alertmanager_version"] == "0.25"
    assert "alertmanager_version is" not in text


# ----------------------------------------------------------------------------- the command line

@needs("amtool")
def test_import_then_build_gives_a_config_amtool_accepts_and_the_import_is_deterministic(tmp_path):
    write("cfg.yml", TREE)
    (tmp_path / "specs").mkdir()
    first = obsgen("import", "alertmanager", "cfg.yml", "-o", "specs/routing.yaml", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stderr.count("warning[OBS081]") == 4 and "edge-basic-literal" not in first.stderr
    again = obsgen("import", "alertmanager", "cfg.yml", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout.encode() == (tmp_path / "specs" / "routing.yaml").read_bytes()
    built = obsgen("build", "specs", "-o", "out", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    out = tmp_path / "out" / "default" / "alertmanager" / "alertmanager.yml"
    check = amtool("check-config", out)
    assert check.returncode == 0, check.stdout + check.stderr
    assert routes_test(out, {"service": "api-gw", "env": "prod"}) == "edge-hook"


def test_a_template_kept_in_the_secret_is_named_not_silently_dropped(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    secret = ("apiVersion: v1\nkind: Secret\nmetadata: {name: am}\nstringData:\n"
              "  alertmanager.yaml: |\n    route: {receiver: ops}\n    receivers: [{name: ops}]\n"
              "    templates: [/etc/alertmanager/config/*.tmpl]\n"
              "  ops.tmpl: '{{ define \"ops.title\" }}x{{ end }}'\n")
    Path("am.yaml").write_text(secret)
    text, diags = import_alertmanager([Path("am.yaml")])
    assert text is not None and "templates:" in text
    named = [d for d in diags if d.code == "OBS042" and "ops.tmpl" in d.message]
    assert len(named) == 1 and named[0].pos.line == 9


def test_event_recording_is_refused_as_not_modelled_not_as_unknown(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("am.yml").write_text("route: {receiver: ops}\nreceivers: [{name: ops}]\nevent_recorder: {enabled: true}\n")
    text, diags = import_alertmanager([Path("am.yml")])
    assert text is None
    assert [(d.code, d.pos.line) for d in diags] == [("OBS040", 3)] and "event recording" in diags[0].message
