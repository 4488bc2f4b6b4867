"""End to end: a real Prometheus scrapes a tiny exporter, evaluates the rules obsgen generated,
fires the alert, and sends it to a real Alertmanager running the drill copy of the generated
alertmanager.yml; the notification lands where the spec's routing table says."""
import json
import shutil
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from obsgen.features.drill import drill
from obsgen.api import generate, load_texts
from obsgen.features.drill.drill import environment_files
from obsgen.features.drill.sandbox import LocalAlertmanager, free_port, stop_process

PROMETHEUS = shutil.which("prometheus")
HAVE_TOOLS = bool(PROMETHEUS and (shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")))
# Generous deadlines for events, never fixed sleeps or speed limits: a loaded machine is slow, not wrong.
EVENT_DEADLINE = 120

pytestmark = [pytest.mark.tools, pytest.mark.skipif(
    not HAVE_TOOLS, reason="needs prometheus and prometheus-alertmanager (apt-get install prometheus "
                           "prometheus-alertmanager)")]

SPEC = """\
apiVersion: obsgen/v1
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
routing:
  default_team: ops
  group_by: [alertname, service]
  severities:
    critical: {{channels: [pagerduty, slack]}}
    warning: {{channels: [email]}}
  inhibit:
    - {{source_severity: critical, target_severity: [warning], equal: [alertname, service]}}
  smtp: {{smarthost: "smtp.example.com:587", from: "am@example.com"}}
teams:
  - name: payments
    slack: {{channel: "#payments", api_url_file: /etc/alertmanager/secrets/slack-payments}}
    pagerduty: {{routing_key_file: /etc/alertmanager/secrets/pd-payments}}
    email: {{to: payments@example.com}}
  - name: ops
    email: {{to: ops@example.com}}
services:
  - name: checkout
    team: payments
    scrape: {{static: ["127.0.0.1:{port}"]}}
    metrics:
      - {{name: checkout_queue_depth, type: gauge, help: Orders waiting to be processed.}}
    alerts:
      - name: CheckoutQueueStuck
        expr: checkout_queue_depth > 100
        for: 1s
        severity: critical
        category: application
        summary: "Checkout queue at {{{{ $value }}}}"
        description: "Orders are not being processed."
      - name: CheckoutQueueRising
        expr: checkout_queue_depth > 200
        severity: info
        category: application
        summary: "Checkout queue rising"
        description: "More orders than usual."
      - name: CheckoutQueueEmpty
        expr: checkout_queue_depth < 1
        severity: warning
        category: application
        summary: "Checkout queue empty"
        description: "Nothing to process."
"""

METRICS = b"""\
# HELP checkout_queue_depth Orders waiting to be processed.
# TYPE checkout_queue_depth gauge
checkout_queue_depth 150
"""


class Exporter(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200 if self.path == "/metrics" else 404)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(METRICS)))
        self.end_headers()
        self.wfile.write(METRICS)

    def log_message(self, format, *args):  # noqa: A002
        pass


@pytest.fixture
def exporter():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Exporter)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def prometheus_files(files: dict[str, str], root: Path, alertmanager: str) -> Path:
    """The generated prometheus/ tree under `root`, its prometheus.yml sending alerts to `alertmanager`."""
    for rel, text in files.items():
        if rel.startswith("prometheus/"):
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
    config = root / "prometheus" / "prometheus.yml"
    doc = YAML(typ="safe", pure=True).load(config.read_text())
    doc["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]}
    config.write_text(json.dumps(doc))
    return config


def test_an_alert_prometheus_fires_from_generated_rules_reaches_the_receiver_the_spec_names(exporter, tmp_path):
    project = load_texts({"spec.yaml": SPEC.format(port=exporter)})
    assert project.ok, [str(d) for d in project.diagnostics]
    files = environment_files(generate(project), project.models[0].env)
    (row,) = [t for t in YAML(typ="safe", pure=True).load(files[drill.TABLE])["tests"]
              if t["labels"] == {"team": "payments", "severity": "critical", "category": "application"}]
    assert row["receivers"] == ["payments-critical"]
    with LocalAlertmanager(files) as am:
        port = free_port()
        config = prometheus_files(files, tmp_path, am.url.removeprefix("http://"))
        log = tmp_path / "prometheus.log"
        with open(log, "wb") as out:
            prom = subprocess.Popen([PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                     f"--web.listen-address=127.0.0.1:{port}", "--rules.alert.resend-delay=1s"],
                                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True, cwd=tmp_path)
        try:
            expected = {(r, kind) for r in row["receivers"] for kind in ("pagerduty", "slack")}
            deadline = time.monotonic() + EVENT_DEADLINE
            while time.monotonic() < deadline:
                got = {(c.receiver, c.kind) for c in am.capture.captures() if "CheckoutQueueStuck" in c.text}
                if expected <= got:
                    break
                assert prom.poll() is None, log.read_text()[-3000:]
                time.sleep(0.2)
            else:
                pytest.fail(f"no notification at {row['receivers']} within {EVENT_DEADLINE}s; Prometheus said:\n"
                            + log.read_text()[-3000:] + "\nAlertmanager said:\n" + "\n".join(am.errors()))
            # Whatever else Alertmanager sends, it has counted: wait until all of it has arrived.
            quiet_until = time.monotonic() + EVENT_DEADLINE
            while time.monotonic() < quiet_until and (am.notifications_sent() or 0) > len(am.capture.captures()):
                time.sleep(0.2)
            time.sleep(drill.GRACE)
            captures = am.capture.captures()
            with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                    f"http://127.0.0.1:{port}/api/v1/alerts", timeout=5) as resp:
                firing = {a["labels"]["alertname"] for a in json.load(resp)["data"]["alerts"]
                          if a["state"] == "firing"}
        finally:
            stop_process(prom)
            shutil.rmtree(tmp_path / "tsdb", ignore_errors=True)
        pd_secret = next(i.secret for i in am.config.integrations["payments-critical"] if i.kind == "pagerduty")
    assert firing == {"CheckoutQueueStuck"}  # the other two are false at 150
    assert {(c.receiver, c.kind) for c in captures} == expected, "delivered somewhere else too"
    pd = next(c for c in captures if c.kind == "pagerduty")
    assert pd.secret == pd_secret  # routing_key_file was read
    assert any("Checkout queue at 150" in c.text for c in captures)  # the summary Prometheus rendered

