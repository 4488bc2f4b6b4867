"""`obsgen drill`: the drill copy of alertmanager.yml (sandbox.py), the capture servers, the plan of
synthetic alerts, the report, and real drills against prometheus-alertmanager (marked `tools`)."""
import json
import os
import shutil
import select
import signal
import smtplib
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from email.message import EmailMessage
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from obsgen.features.drill import drill, sandbox
from obsgen.api import generate, load_project
from obsgen.features.drill.capture import EMAIL_HEADER, Capture, CaptureServer
from obsgen.features.verify import INSTALL_HINT, ToolMissing
from obsgen.features.drill.drill import (AlertResult, DrillError, DrillReport, environment_files, format_report, plan, read_table,
                          run_drill)

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"
ROUTING_CASE = Path(__file__).parent / "golden" / "routing" / "specs"
HAVE_AM = bool(shutil.which("prometheus-alertmanager") or shutil.which("alertmanager"))
needs_alertmanager = pytest.mark.skipif(not HAVE_AM, reason="needs prometheus-alertmanager "
                                                            "(apt-get install prometheus-alertmanager)")


def env_files(specs: Path, env: str) -> dict[str, str]:
    """One environment's generated files, routing table included."""
    project = load_project([specs])
    assert project.ok, [str(d) for d in project.diagnostics]
    files = environment_files(generate(project), env)
    assert drill.TABLE in files
    return files


@pytest.fixture(scope="module")
def production() -> dict[str, str]:
    return env_files(SPECS, "production")


def yaml_load(text: str):
    return YAML(typ="safe", pure=True).load(text)


# ----------------------------------------------------------------------------- the drill copy

def test_the_drill_copy_sends_nothing_off_this_machine_and_keeps_secrets_in_files(production, tmp_path):
    with CaptureServer() as capture:
        copy = sandbox.drill_config(yaml_load(production[drill.CONFIG]), capture, tmp_path)
    text = json.dumps(copy.doc)
    for outside in ("smtp.gmail.com", "sms-gateway.monitoring.svc", "/etc/alertmanager"):
        assert outside not in text
    assert copy.doc["global"]["smtp_smarthost"] == f"127.0.0.1:{capture.smtp_port}"
    assert copy.doc["global"]["smtp_require_tls"] is False
    assert copy.doc["global"]["smtp_auth_password_file"] in copy.files
    quant = next(r for r in copy.doc["receivers"] if r["name"] == "quant-critical")
    assert "api_url" not in quant["slack_configs"][0]
    assert copy.files[quant["slack_configs"][0]["api_url_file"]] == capture.url("slack", "quant-critical", 0)
    pd = quant["pagerduty_configs"][0]
    assert pd["url"] == capture.url("pagerduty", "quant-critical", 0) and pd["routing_key_file"] in copy.files
    sms = quant["webhook_configs"][0]
    assert sms["url"] == capture.url("webhook", "quant-critical", 0)
    assert sms["http_config"]["authorization"]["credentials_file"] in copy.files
    assert [i.label for i in copy.integrations["quant-critical"]] == [
        "pagerduty", "slack", "webhook(sms-gateway.monitoring.svc:8080)"]
    assert all(Path(p).parent == tmp_path / "secrets" for p in copy.files)


def test_the_drill_copy_compresses_timing_everywhere_it_is_set(production, tmp_path):
    with CaptureServer() as capture:
        copy = sandbox.drill_config(yaml_load(production[drill.CONFIG]), capture, tmp_path)

    def timings(route):
        yield {k: route[k] for k in drill.TIMING if k in route}
        for child in route.get("routes") or []:
            yield from timings(child)

    root = copy.doc["route"]
    assert {k: root[k] for k in drill.TIMING} == drill.TIMING
    assert all(v == drill.TIMING[k] for t in timings(root) for k, v in t.items())


def test_time_intervals_are_removed_and_reported_with_the_receivers_they_applied_to(tmp_path):
    files = env_files(ROUTING_CASE, "default")
    with CaptureServer() as capture:
        copy = sandbox.drill_config(yaml_load(files[drill.CONFIG]), capture, tmp_path)
    def keys(node):
        if isinstance(node, dict):
            for k, v in node.items():
                yield k
                yield from keys(v)
        elif isinstance(node, list):
            for v in node:
                yield from keys(v)

    assert not [k for k in keys(copy.doc) if "time_intervals" in k]
    note = next(n for n in copy.notes if n.startswith("time intervals removed"))
    assert "active_time_intervals office-hours (on routes to " in note
    assert "mute_time_intervals weekends" in note and "payments-info" in note


def test_integrations_the_drill_cannot_capture_are_removed_and_reported(tmp_path):
    doc = {"route": {"receiver": "ops"},
           "receivers": [{"name": "ops", "opsgenie_configs": [{"api_key": "k"}],
                          "webhook_configs": [{"url": "https://hook.example.com/x",
                                               "http_config": {"proxy_url": "http://proxy:3128",
                                                               "basic_auth": {"username": "u", "password": "p"}}}]}]}
    with CaptureServer() as capture:
        copy = sandbox.drill_config(doc, capture, tmp_path)
    ops = copy.doc["receivers"][0]
    assert "opsgenie_configs" not in ops
    assert any("ops: opsgenie_configs removed" in n for n in copy.notes)
    http = ops["webhook_configs"][0]["http_config"]
    assert "proxy_url" not in http and "password" not in http["basic_auth"]
    assert copy.integrations["ops"][0].secret.startswith("Basic ")


# ----------------------------------------------------------------------------- the plan

def test_every_table_row_becomes_one_alert_with_its_own_alertname(production):
    rows = read_table(production[drill.TABLE])
    alerts, _ = plan(rows, yaml_load(production[drill.CONFIG]))
    from_rows = [a for a in alerts if a.origin.startswith("table row")]
    assert len(from_rows) == len(rows)
    assert len({a.labels["alertname"] for a in from_rows}) == len(rows)
    assert all(a.labels.items() >= labels.items() for a, (labels, _) in zip(from_rows, rows))
    assert not any(a.inhibited_by for a in from_rows)


def test_each_inhibition_rule_gets_a_pair_whose_target_only_is_expected_to_be_muted(production):
    rows = read_table(production[drill.TABLE])
    alerts, notes = plan(rows, yaml_load(production[drill.CONFIG]))
    source, target = [a for a in alerts if a.origin.startswith("inhibit_rules[0]")]
    assert source.labels["severity"] == "critical" and target.labels["severity"] == "warning"
    assert {k: source.labels[k] for k in ("alertname", "service", "instance")} == {
        k: target.labels[k] for k in ("alertname", "service", "instance")}
    assert source.inhibited_by is None
    assert target.inhibited_by.startswith(f"{source.labels['alertname']} (inhibit_rules[0] source)")
    assert (source.labels.items() - {"alertname", "service", "instance"}, source.expected) in [
        (labels.items(), receivers) for labels, receivers in rows] or any(
        source.labels.items() >= labels.items() and source.expected == receivers for labels, receivers in rows)
    assert not [n for n in notes if "not exercised" in n]


def test_a_rule_no_table_row_can_satisfy_is_reported_as_not_exercised():
    doc = {"route": {"receiver": "r", "routes": [{"matchers": ['team="a"'], "receiver": "a"}]},
           "inhibit_rules": [{"source_matchers": ['team=~"x.*"'], "target_matchers": ['team="a"'],
                              "equal": ["alertname"]}]}
    alerts, notes = plan([({"team": "a"}, ["a"])], doc)
    assert len(alerts) == 1
    assert notes == ["inhibit_rules[0] not exercised: no row of the routing table gives a source and a target "
                     "whose receivers the table knows"]


def test_inhibition_follows_alertmanager_including_alerts_that_match_both_sides():
    rule = drill.inhibit_rules({"inhibit_rules": [{"source_matchers": ['severity=~"critical|warning"'],
                                                   "target_matchers": ['severity=~"warning|info"'],
                                                   "equal": ["service"]}]})[0]
    crit, warn, info = ({"severity": s, "service": "x"} for s in ("critical", "warning", "info"))
    assert rule.inhibits(warn, crit) and rule.inhibits(info, warn)
    assert not rule.inhibits(warn, {**warn})  # a target that also matches the source ignores sources matching both
    assert not rule.inhibits(info, {**crit, "service": "y"})


def test_a_table_that_is_not_a_table_is_a_drill_error():
    with pytest.raises(DrillError, match="routing-tests.yaml: .*tests"):
        read_table("tests: 3")
    with pytest.raises(DrillError, match=r"tests\[0\]"):
        read_table("tests: [{labels: {team: a}}]")


# ----------------------------------------------------------------------------- capture servers

def test_the_smtp_capture_speaks_enough_smtp_for_a_real_client_and_records_the_password():
    with CaptureServer() as capture:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "am@example.com", "ops@example.com", "[FIRING:1] Drill"
        msg[EMAIL_HEADER] = "ops%2Fteam/1"
        msg.set_content("ObsgenDrill004 is firing\n.leading dot survives\n")
        with smtplib.SMTP("127.0.0.1", capture.smtp_port, timeout=5) as smtp:
            smtp.ehlo()
            smtp.login("am", "s3cret")
            smtp.send_message(msg)
        time.sleep(0.1)
        (got,) = capture.captures()
    assert (got.kind, got.receiver, got.index, got.secret) == ("email", "ops/team", 1, "s3cret")
    assert "ObsgenDrill004 is firing" in got.text and ".leading dot survives" in got.text
    assert "Subject: [FIRING:1] Drill" in got.text


def test_the_http_capture_answers_like_the_services_it_stands_in_for():
    with CaptureServer() as capture:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        req = urllib.request.Request(capture.url("pagerduty", "a b", 0), data=b'{"routing_key": "k1"}',
                                     method="POST")
        with opener.open(req, timeout=5) as resp:
            assert resp.status == 202
        req = urllib.request.Request(capture.url("webhook", "a b", 2), data=b"{}", method="POST",
                                     headers={"Authorization": "Bearer t"})
        with opener.open(req, timeout=5) as resp:
            assert resp.status == 200
        pd, hook = capture.captures()
    assert (pd.kind, pd.receiver, pd.index, pd.secret) == ("pagerduty", "a b", 0, "k1")
    assert (hook.kind, hook.index, hook.secret) == ("webhook", 2, "Bearer t")


# ----------------------------------------------------------------------------- the report

def sample_report() -> DrillReport:
    good = AlertResult("ObsgenDrill001", "table row 1", {"alertname": "ObsgenDrill001", "service": "obsgen-drill-001",
                                                        "team": "a", "severity": "critical"},
                       ["a-critical"], None, {"a-critical": ["pagerduty", "slack"]}, ["a-critical"], False, 1.234)
    muted = AlertResult("ObsgenDrillInhibit0", "inhibit_rules[0] target", {"team": "a", "severity": "warning"},
                        ["a-warning"], "ObsgenDrillInhibit0 (inhibit_rules[0] source) by inhibit_rules[0]", {},
                        ["a-warning"], True, None)
    bad = AlertResult("ObsgenDrill002", "table row 2", {"team": "b", "severity": "warning"}, ["b-warning"], None,
                      {"c-warning": ["email"]}, ["c-warning"], False, 1.5,
                      ["expected at b-warning, but Alertmanager did not route it there",
                       "unexpected: went to c-warning (email)"])
    return DrillReport([good, muted, bad], ["slack at receiver x: names none of the drill's alerts"],
                       ["time intervals removed (the drill checks where alerts go, not when): mute_time_intervals w "
                        "(on routes to a-warning)"], dict(drill.TIMING), "0.25.0", 4.25, False,
                       ['component=dispatcher msg="Notify for alerts failed"'])


def test_the_text_report_says_where_each_alert_went_and_why_the_drill_failed():
    assert format_report(sample_report()) == textwrap.dedent("""\
        fire drill: 3 alert(s) through Alertmanager 0.25.0 on 127.0.0.1
        note: timing compressed for the drill (group_wait 1s, group_interval 1s, repeat_interval 1h); the generated timing is not exercised
        note: time intervals removed (the drill checks where alerts go, not when): mute_time_intervals w (on routes to a-warning)
        ok    ObsgenDrill001  [table row 1]  team=a severity=critical  → a-critical (pagerduty, slack)  1.2s
        ok    ObsgenDrillInhibit0  [inhibit_rules[0] target]  team=a severity=warning  → inhibited, delivered nowhere
        FAIL  ObsgenDrill002  [table row 2]  team=b severity=warning  → c-warning (email)  1.5s
              expected: b-warning
              - expected at b-warning, but Alertmanager did not route it there
              - unexpected: went to c-warning (email)
        FAIL  stray notification: slack at receiver x: names none of the drill's alerts
        alertmanager logged: component=dispatcher msg="Notify for alerts failed"
        FAILED: 2 passed, 1 failed, 1 stray notification(s); delivery latency 1.2–1.5s; drill took 4.2s
        """)


def test_the_json_report_is_versioned_and_carries_every_alert():
    doc = json.loads(format_report(sample_report(), "json"))
    assert doc["version"] == 1 and doc["ok"] is False and doc["timing"] == drill.TIMING
    assert [a["ok"] for a in doc["alerts"]] == [True, True, False]
    assert doc["alerts"][0]["latency_seconds"] == 1.234
    assert doc["alerts"][1]["expected_inhibited_by"].startswith("ObsgenDrillInhibit0")


def test_an_alert_that_should_be_inhibited_fails_the_drill_wherever_it_lands():
    target = drill.PlannedAlert(2, "inhibit_rules[0] target", {"alertname": "X", "severity": "warning"}, ["a-warning"],
                                inhibited_by="X (inhibit_rules[0] source) by inhibit_rules[0]")
    slack = drill.Integration("a-warning", "slack", 0, "#a", None)
    capture = Capture("slack", "a-warning", 0, 11.0, "[FIRING:1] X ObsgenDrill002", None, "/slack/a-warning/0")
    (result,), stray = drill._evaluate([target], [capture], {target.token: {"a-warning"}}, {target.token: False},
                                       {"a-warning": [slack]}, {("a-warning", "slack", 0): slack}, 10.0, None)
    assert not result.ok and stray == []
    assert result.problems == [
        "delivered to a-warning (slack) although X (inhibit_rules[0] source) by inhibit_rules[0] should inhibit it",
        "Alertmanager did not inhibit it (expected: X (inhibit_rules[0] source) by inhibit_rules[0])"]
    assert result.latency == 1.0


def test_what_went_where_is_said_in_the_configs_order_whatever_order_it_arrived_in():
    # Under load the email can arrive before the Slack message: the report must not depend on it.
    alert = drill.PlannedAlert(1, "table row 1", {"alertname": "ObsgenDrill001"}, ["a-warning"])
    slack = drill.Integration("b-warning", "slack", 0, "#b", None)
    email = drill.Integration("b-warning", "email", 0, "b@example.org", None)
    captures = [Capture("email", "b-warning", 0, 1.5, "ObsgenDrill001", None, "b-warning/0"),
                Capture("slack", "b-warning", 0, 1.7, "ObsgenDrill001", None, "/slack/b-warning/0")]
    for arrived in (captures, captures[::-1]):
        (result,), _ = drill._evaluate([alert], arrived, {alert.token: {"b-warning"}}, {},
                                       {"a-warning": [], "b-warning": [slack, email]},
                                       {("b-warning", "slack", 0): slack, ("b-warning", "email", 0): email}, 0.0, None)
        assert "unexpected: went to b-warning (slack, email)" in result.problems
        assert result.reached == {"b-warning": ["slack", "email"]}


def test_a_secret_the_sender_did_not_read_from_its_file_fails_the_drill():
    alert = drill.PlannedAlert(1, "table row 1", {"alertname": "ObsgenDrill001"}, ["a-critical"])
    pd = drill.Integration("a-critical", "pagerduty", 0, "critical", "drill-routing-key-a")
    capture = Capture("pagerduty", "a-critical", 0, 1.0, "ObsgenDrill001", "the-real-key", "/pagerduty/a-critical/0")
    (result,), _ = drill._evaluate([alert], [capture], {alert.token: {"a-critical"}}, {}, {"a-critical": [pd]},
                                   {("a-critical", "pagerduty", 0): pd}, 0.0, None)
    assert result.problems == [
        "a-critical pagerduty: did not present the secret from its file (its *_file was not read)"]


def test_without_alertmanager_the_drill_says_how_to_install_it(production, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissing) as exc:
        run_drill(production)
    assert INSTALL_HINT in str(exc.value)


def test_without_a_routing_table_the_drill_refuses_to_guess(production):
    files = {k: v for k, v in production.items() if k != drill.TABLE}
    with pytest.raises(DrillError, match="routing-tests.yaml"):
        run_drill(files)


# ----------------------------------------------------------------------------- real drills

def drill_processes(marker: str) -> list[int]:
    """Processes whose command line mentions `marker` (the drill's temporary folder)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
                state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if marker in cmdline and state != "Z":
                pids.append(int(proc.name))
    return pids


@pytest.mark.tools
@needs_alertmanager
@pytest.mark.parametrize("specs, env", [(SPECS, "production"), (SPECS, "development"), (ROUTING_CASE, "default")],
                         ids=["reference-production", "reference-development", "golden-routing"])
def test_a_drill_of_a_generated_config_passes(specs, env):
    files = env_files(specs, env)
    report = run_drill(files, timeout=45)
    assert report.ok, format_report(report)
    assert len(report.alerts) > len(read_table(files[drill.TABLE]))  # inhibition pairs too
    assert any(a.expected_inhibited_by and a.inhibited and not a.reached for a in report.alerts)
    assert not report.timed_out


@pytest.mark.tools
@needs_alertmanager
def test_a_drill_fails_when_the_config_routes_elsewhere_than_the_table_says(production):
    files = dict(production)
    files[drill.CONFIG] = files[drill.CONFIG].replace("receiver: quant-warning", "receiver: data-warning", 1)
    report = run_drill(files, timeout=30)
    assert not report.ok
    (bad,) = [a for a in report.alerts if not a.ok]
    assert bad.labels["team"] == "quant" and "data-warning" in bad.reached
    text = format_report(report)
    assert "expected at quant-warning, but Alertmanager did not route it there" in text
    assert "unexpected: went to data-warning (slack, email)" in text
    assert not report.timed_out  # no waiting for what Alertmanager will never send


@pytest.mark.tools
@needs_alertmanager
def test_a_drill_fails_when_the_table_expects_another_receiver(production):
    table = yaml_load(production[drill.TABLE])
    row = next(t for t in table["tests"] if t["labels"] == {"team": "platform", "severity": "info",
                                                            "category": "application"})
    assert row["receivers"] == ["platform-info"]
    row["receivers"] = ["devops-info"]
    report = run_drill({**production, drill.TABLE: json.dumps(table)}, timeout=30)
    assert not report.ok
    text = format_report(report)
    assert "expected at devops-info, but Alertmanager did not route it there" in text
    assert "unexpected: went to platform-info (email)" in text


@pytest.mark.tools
@needs_alertmanager
def test_a_config_alertmanager_refuses_is_a_drill_error_with_its_message(production, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    files = {**production, drill.CONFIG: production[drill.CONFIG].replace(
        "receiver: obsgen-default", "receiver: nobody-at-all", 1)}
    with pytest.raises(DrillError, match="nobody-at-all"):
        run_drill(files, timeout=30)
    assert list(tmp_path.iterdir()) == []
    assert drill_processes(str(tmp_path)) == []


@pytest.mark.tools
@needs_alertmanager
def test_a_drill_leaves_no_process_and_no_temporary_folder_behind(production, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    seen = []
    real_start = drill.LocalAlertmanager._start

    def start(self):
        real_start(self)
        seen.append((self.pid, self.root))
        assert drill_processes(str(tmp_path)) == [self.pid]
    monkeypatch.setattr(drill.LocalAlertmanager, "_start", start)
    assert run_drill(production, timeout=30).ok
    ((pid, root),) = seen
    assert not root.exists() and list(tmp_path.iterdir()) == []
    assert drill_processes(str(tmp_path)) == []
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


SLOW_DRILL = """
import faulthandler, json, signal, sys
# A process started from a background job inherits SIGINT ignored (the shell's rule for `&`), and
# then Ctrl-C never reaches Python: the test stands in for a terminal, so Ctrl-C must.
signal.signal(signal.SIGINT, signal.default_int_handler)
from obsgen.features.drill import drill, sandbox
drill.GRACE = 600  # a drill that waits long enough to be interrupted
post = sandbox.LocalAlertmanager.post_alerts

def post_and_say(self, alerts):
    post(self, alerts)
    print("posted", flush=True)  # the test interrupts the drill here: mid-drill, whatever the load
    faulthandler.dump_traceback_later(60, exit=True)  # one that hangs says where, before the test gives up

sandbox.LocalAlertmanager.post_alerts = post_and_say
files = json.load(open(sys.argv[1]))
drill.run_drill(files, timeout=600)
"""
# Generous deadlines for events, never fixed sleeps: a loaded machine is slow, not wrong.
EVENT_DEADLINE = 120


def start_slow_drill(files: dict[str, str], tmp_path: Path) -> tuple[subprocess.Popen, Path, int]:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    (tmp_path / "files.json").write_text(json.dumps(files))
    proc = subprocess.Popen([sys.executable, "-c", SLOW_DRILL, str(tmp_path / "files.json")],
                            env={**os.environ, "TMPDIR": str(tmp)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    ready = select.select([proc.stdout], [], [], EVENT_DEADLINE)[0]
    line = proc.stdout.readline() if ready else ""
    assert line.strip() == "posted", f"the drill did not post its alerts: {line!r}"
    pids = drill_processes(str(tmp))
    assert pids, "no Alertmanager running"
    return proc, tmp, pids[0]


@pytest.mark.tools
@needs_alertmanager
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_drill_stops_alertmanager_and_removes_its_files(production, tmp_path, sig):
    proc, tmp, pid = start_slow_drill(production, tmp_path)
    try:
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=EVENT_DEADLINE)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        raise AssertionError(f"the interrupted drill did not end: {err}") from None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "KeyboardInterrupt" in err, err
    assert drill_processes(str(tmp)) == []
    assert list(tmp.iterdir()) == []


@pytest.mark.tools
@needs_alertmanager
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux's")
def test_alertmanager_does_not_outlive_a_killed_drill(production, tmp_path):
    proc, tmp, pid = start_slow_drill(production, tmp_path)
    proc.kill()
    proc.communicate(timeout=EVENT_DEADLINE)
    deadline = time.monotonic() + EVENT_DEADLINE
    while drill_processes(str(tmp)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert drill_processes(str(tmp)) == []
    # SIGKILL leaves no chance to remove the temporary folder; that much is left to the OS.
