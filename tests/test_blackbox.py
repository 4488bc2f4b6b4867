"""Synthetic probes: the blackbox target (blackbox.yml, checked by the real exporter), the probe
scrape jobs (checked by promtool), the RE2 check of body regexes, the uptime panels (checked by
Grafana's schema) and, end to end, the real exporter probing local servers with the generated modules.
"""
from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from obsgen.core import naming
from obsgen.core.regex import re2_problem
from obsgen.resolve import probes
from obsgen.features import verify
from obsgen.resolve.model import Model
from obsgen.spec import DashboardSpec, ProjectSpec, ServiceSpec
from obsgen.targets.blackbox import PATH, BlackboxTarget
from obsgen.resolve.datasources import Datasources
from obsgen.targets.grafana import dashboard
from obsgen.targets.prometheus import PrometheusTarget

EXPORTER = shutil.which(verify.EXPORTER)
PROMTOOL = shutil.which("promtool")
CHECKER = Path(os.environ.get("OBSGEN_SHARED") or Path(__file__).resolve().parents[2] / "shared") / "tools" / "check-grafana-dashboards"


def needs_exporter(test):
    return pytest.mark.tools(pytest.mark.skipif(EXPORTER is None, reason=f"{verify.EXPORTER} is not installed; "
                                                                       f"{verify.BLACKBOX_HINT}")(test))


HEALTH = {"name": "health", "http": {"url": "https://api.example.com/health", "valid_status_codes": [204, 200],
                                     "body_matches": ['"status":\\s*"(ok|healthy)"'],
                                     "body_not_matches": ["maintenance"]},
          "interval": "15s", "timeout": "5s"}
DB = {"name": "db", "tcp": {"address": "db.internal:5432", "tls": True}, "interval": "1m"}
PING = {"name": "ping", "icmp": {"host": "gateway.internal"}, "interval": "5s"}
LOOKUP = {"name": "lookup", "dns": {"server": "10.0.0.2:53", "query_name": "api.example.com", "query_type": "AAAA",
                                    "transport": "tcp"}}


def model(services: dict[str, list[dict]], **global_) -> Model:
    spec = ProjectSpec.model_validate({
        "global": global_, "teams": [{"name": "web"}],
        "services": [{"name": name, "team": "web", "probes": ps} for name, ps in services.items()]})
    return Model(env="default", sources=("spec.yaml",), spec=spec)


def config_text(m: Model) -> str:
    (art,) = BlackboxTarget().generate(m)
    assert art.path == PATH
    return art.content


def modules(m: Model) -> dict[str, dict]:
    return YAML(typ="safe").load(config_text(m))["modules"]


def exporter_check(text: str, tmp: Path) -> tuple[bool, str]:
    path = tmp / "blackbox.yml"
    path.write_text(text, encoding="utf-8")
    return verify.check_blackbox_config(path)


# ----------------------------------------------------------------------------- blackbox.yml

@needs_exporter
def test_the_exporter_accepts_a_module_of_every_probe_kind(tmp_path):
    m = model({"api": [HEALTH, LOOKUP], "postgres": [DB, PING]})
    assert exporter_check(config_text(m), tmp_path) == (True, "")
    assert {mod["prober"] for mod in modules(m).values()} == {"http", "tcp", "icmp", "dns"}


REGEXES = ['"status":\\s*"ok"', "maintenance", "^OK$", "(?i)healthy", "[[:alpha:]]+ \\d{2,3}", "a: 'b'",
           "\\pL+", "#not a comment", "yes", "x\\.y|z", "(?P<v>\\d+)\\.\\d+", "\\Q(?<\\E"]
names = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)
durations = st.sampled_from(["1s", "5s", "15s", "30s", "1m", "90s"])


@st.composite
def probe_specs(draw, name: str) -> dict:
    kind = draw(st.sampled_from(["http", "tcp", "icmp", "dns"]))
    if kind == "http":
        body = {"url": draw(st.sampled_from(["https://a.example.com/h", "http://b.example.com:8080/x?y=1"])),
                "method": draw(st.sampled_from(["GET", "HEAD", "POST"])),
                "valid_status_codes": draw(st.lists(st.integers(100, 599), max_size=3)),
                "body_matches": draw(st.lists(st.sampled_from(REGEXES), max_size=2)),
                "body_not_matches": draw(st.lists(st.sampled_from(REGEXES), max_size=2)),
                "tls": draw(st.sampled_from([None, True, False])),
                "cert_expiry_warning": draw(st.sampled_from([None, "14d", "30d"]))}
    elif kind == "tcp":
        body = {"address": draw(st.sampled_from(["db.internal:5432", "10.1.2.3:443"])), "tls": draw(st.booleans())}
    elif kind == "icmp":
        body = {"host": draw(st.sampled_from(["gw.internal", "10.0.0.1"]))}
    else:
        body = {"server": draw(st.sampled_from(["10.0.0.2", "ns.example.com:5353"])),
                "query_name": draw(st.sampled_from(["api.example.com", "_sip._tcp.example.com"])),
                "query_type": draw(st.sampled_from(["A", "AAAA", "CNAME", "MX", "NS", "SOA", "TXT", "SRV"])),
                "transport": draw(st.sampled_from(["udp", "tcp"]))}
    out = {"name": name, kind: body}
    interval = draw(st.none() | durations)
    if interval:
        out["interval"] = interval
        if draw(st.booleans()):
            out["timeout"] = interval  # the longest a probe may take
    return out


@st.composite
def spec_services(draw) -> dict[str, list[dict]]:
    services = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    return {s: [draw(probe_specs(p)) for p in draw(st.lists(names, min_size=1, max_size=3, unique=True))]
            for s in services}


@needs_exporter
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(services=spec_services())
def test_the_exporter_accepts_the_config_whatever_the_probes_and_their_options(services, tmp_path):
    m = model(services)
    ok, said = exporter_check(config_text(m), tmp_path)
    assert ok, said
    assert sorted(modules(m)) == sorted(naming.probe_module(s, p["name"]) for s, ps in services.items() for p in ps)


def test_each_probe_job_asks_the_exporter_for_its_own_module_and_no_module_is_unused():
    m = model({"api": [HEALTH, LOOKUP], "postgres": [DB, PING]})
    (prom,) = PrometheusTarget().generate(m)
    jobs = [j for j in YAML(typ="safe").load(prom.content)["scrape_configs"] if j.get("metrics_path") == "/probe"]
    asked = [j["params"]["module"] for j in jobs]
    assert sorted(a for (a,) in asked) == sorted(modules(m))
    assert all(len(a) == 1 for a in asked)


@pytest.mark.skipif(PROMTOOL is None, reason="promtool is not installed (apt-get install prometheus)")
def test_promtool_accepts_the_probe_scrape_jobs(tmp_path):
    m = model({"api": [HEALTH, LOOKUP], "postgres": [DB, PING]}, scrape_interval="30s", scrape_timeout="10s")
    (prom,) = PrometheusTarget().generate(m)
    (tmp_path / "prometheus.yml").write_text(prom.content, encoding="utf-8")
    result = subprocess.run([PROMTOOL, "check", "config", "--syntax-only", str(tmp_path / "prometheus.yml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_module_times_out_with_its_scrape_so_a_slow_target_fails_the_probe_instead_of_the_scrape():
    m = model({"api": [HEALTH, LOOKUP], "postgres": [DB, PING]}, scrape_interval="30s", scrape_timeout="10s")
    (prom,) = PrometheusTarget().generate(m)
    jobs = {j["params"]["module"][0]: j for j in YAML(typ="safe").load(prom.content)["scrape_configs"]
            if "params" in j}
    for name, mod in modules(m).items():
        assert mod["timeout"] == jobs[name].get("scrape_timeout", "10s")
    assert modules(m)["api_health"]["timeout"] == "5s"  # its own
    assert modules(m)["postgres_ping"]["timeout"] == "5s"  # its 5s interval, under the global 10s


@pytest.mark.parametrize("url, tls, required", [
    ("https://a.example.com/", None, True), ("http://a.example.com/", None, False),
    ("https://a.example.com/", False, False), ("http://a.example.com/", True, True)])
def test_an_http_probe_fails_without_tls_when_tls_is_asked_for_or_the_url_is_https(url, tls, required):
    mod = modules(model({"api": [{"name": "h", "http": {"url": url, "tls": tls}}]}))["api_h"]["http"]
    assert mod.get("fail_if_not_ssl", False) is required


def test_probes_prefer_ipv4_and_fall_back_to_ipv6():
    for mod in modules(model({"api": [HEALTH, LOOKUP], "postgres": [DB, PING]})).values():
        settings_ = mod[mod["prober"]]
        assert (settings_["preferred_ip_protocol"], settings_["ip_protocol_fallback"]) == ("ip4", True)


def test_a_tls_connection_is_verified_against_the_probed_host():
    tcp = modules(model({"postgres": [DB]}))["postgres_db"]["tcp"]
    assert tcp["tls"] is True
    assert tcp["tls_config"] == {"insecure_skip_verify": False, "server_name": "db.internal"}


def test_a_dns_probe_needs_noerror_and_a_record_of_the_type_asked_for():
    dns = modules(model({"api": [LOOKUP]}))["api_lookup"]["dns"]
    assert dns["valid_rcodes"] == ["NOERROR"]
    assert (dns["query_name"], dns["query_type"], dns["transport_protocol"]) == ("api.example.com", "AAAA", "tcp")
    assert dns["validate_answer_rrs"] == {"fail_if_none_matches_regexp": ["\\tIN\\tAAAA\\t"]}


def test_nothing_is_written_when_no_service_has_probes():
    assert BlackboxTarget().generate(model({"api": []})) == []


def test_the_same_probes_in_any_order_give_the_same_bytes():
    one = config_text(model({"api": [HEALTH, LOOKUP], "postgres": [DB, PING]}))
    other = config_text(model({"postgres": [PING, DB], "api": [LOOKUP, HEALTH]}))
    assert one == other
    assert one.startswith("# Generated by obsgen from spec.yaml.")


# ----------------------------------------------------------------------------- body regexes

# RE2 (Go's regexp, which the exporter compiles body regexes with) against Python's `re`.
ACCEPTED = ['"status":\\s*"ok"', "\\pL+", "[[:alpha:]]", "(?P<v>a)", "\\z", "[(?<]", "\\Q(?<\\E", "(?i)ok",
            "a{2,3}", "\\x{41}"]
REFUSED = ["a(?=b)", "a(?!b)", "(?<=a)b", "(a)\\1", "(?P=v)", "(?<x>a)", "\\C", "a**", "a{2,1}", "x{1001}", "(a",
           "[z-a]", "(?>a)"]


@pytest.mark.parametrize("pattern", ACCEPTED + REFUSED)
def test_a_body_regex_is_refused_exactly_when_re2_as_go_reads_it_refuses_it(pattern):
    problem = re2_problem(pattern)
    assert (problem is None) == (pattern in ACCEPTED), problem


@needs_exporter
@pytest.mark.parametrize("pattern", ACCEPTED + REFUSED)
def test_a_body_regex_is_refused_exactly_when_the_exporter_refuses_it(pattern, tmp_path):
    problem = re2_problem(pattern)
    m = model({"api": [{"name": "h", "http": {"url": "http://a.example.com/", "body_matches": [pattern]}}]})
    ok, said = exporter_check(config_text(m), tmp_path)
    assert ok == (problem is None), said


def test_python_re_accepts_regexes_the_exporter_refuses_so_it_cannot_be_the_check():
    accepted_by_python = []
    for pattern in REFUSED:
        try:
            re.compile(pattern)
            accepted_by_python.append(pattern)
        except re.error:
            pass
    assert {"a(?=b)", "(a)\\1", "(?<=a)b"} <= set(accepted_by_python)


# ----------------------------------------------------------------------------- obsgen check

@needs_exporter
def test_the_check_names_the_regex_the_exporter_refuses(tmp_path):
    text = config_text(model({"api": [{"name": "h", "http": {"url": "http://a/", "body_matches": ["a(?=b)"]}}]}))
    ok, said = exporter_check(text, tmp_path)
    assert not ok
    assert "Could not compile regular expression" in said and "a(?=b)" in said
    assert "Starting blackbox_exporter" not in said  # its start-up chatter is left out


def test_the_check_says_how_to_install_the_exporter_when_it_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(verify.shutil, "which", lambda name: None)
    ok, said = verify.check_blackbox_config(tmp_path / "blackbox.yml")
    assert not ok
    assert said == ("prometheus-blackbox-exporter not found on PATH; install it with: apt-get install "
                    "prometheus-blackbox-exporter (Debian/Ubuntu), or put blackbox_exporter from the Prometheus "
                    "release archives on PATH")


# ----------------------------------------------------------------------------- uptime panels

def service(*ps: dict) -> ServiceSpec:
    return ServiceSpec.model_validate({"name": "api", "team": "web", "probes": list(ps)})


def test_a_service_without_probes_has_no_uptime_panels():
    assert probes.uptime_panels(service()) == []


def test_each_probe_has_an_uptime_stat_over_the_dashboards_range_and_a_duration_line():
    panels = probes.uptime_panels(service(HEALTH, LOOKUP))
    stats = [p for p in panels if p.type == "stat"]
    assert [(p.title, p.queries[0].expr, p.unit) for p in stats] == [
        ("Uptime: health", 'avg_over_time(probe_success{job="api-probe-health"}[$__range])', "percentunit"),
        ("Uptime: lookup", 'avg_over_time(probe_success{job="api-probe-lookup"}[$__range])', "percentunit")]
    assert all(p.queries[0].instant for p in stats)
    (duration,) = [p for p in panels if p.title == "Probe duration"]
    assert [q.expr for q in duration.queries] == ['probe_duration_seconds{job="api-probe-health"}',
                                                  'probe_duration_seconds{job="api-probe-lookup"}']


def test_only_tls_probes_get_days_to_certificate_expiry_with_the_alert_horizon_as_threshold():
    assert not [p for p in probes.uptime_panels(service(LOOKUP, PING)) if "certificate" in p.title]
    (cert,) = [p for p in probes.uptime_panels(service(HEALTH, DB, PING)) if "certificate" in p.title]
    assert [q.legend for q in cert.queries] == ["db", "health"]
    assert [(s.value, s.color) for s in cert.thresholds or []] == [(None, "red"), (7.0, "orange"), (14.0, "green")]


@pytest.mark.parametrize("warnings, steps", [
    ([None], [(None, "red"), (7.0, "green")]),
    (["3d"], [(None, "red"), (7.0, "green")]),
    (["14d", "30d"], [(None, "red"), (7.0, "orange"), (30.0, "green")])])
def test_certificates_are_red_within_a_week_and_orange_while_their_alert_would_fire(warnings, steps):
    tls = [{"name": f"t{i}", "tcp": {"address": "db:5432", "tls": True, "cert_expiry_warning": w}}
           for i, w in enumerate(warnings)]
    (cert,) = [p for p in probes.uptime_panels(service(*tls)) if "certificate" in p.title]
    assert [(s.value, s.color) for s in cert.thresholds or []] == steps


@pytest.mark.skipif(not CHECKER.is_file(), reason=f"Grafana's schema checker is not at {CHECKER}")
def test_uptime_panels_pass_grafanas_dashboard_schema(tmp_path):
    spec = DashboardSpec(title="Probes: api", uid="probes-api", panels=probes.uptime_panels(service(HEALTH, DB, LOOKUP)))
    (tmp_path / "probes-api.json").write_text(json.dumps(dashboard("probes-api", spec, Datasources(ProjectSpec()))))
    result = subprocess.run([sys.executable, str(CHECKER), str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# ----------------------------------------------------------------------------- end to end

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Pages(http.server.BaseHTTPRequestHandler):
    PAGES = {"/ok": b'{"status": "ok"}', "/down": b'{"status": "down"}', "/maint": b'{"status": "ok"} maintenance'}

    def do_GET(self):
        body = self.PAGES.get(self.path, b"")
        self.send_response(200 if body else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _Dns(socketserver.BaseRequestHandler):
    """Answers A questions for ok.test. with 127.0.0.1, and any other name with NOERROR and no answer."""

    def handle(self):
        query, sock = self.request
        qid, end = query[:2], query.index(b"\0", 12) + 5  # the question: name, type, class
        question = query[12:end]
        answers = b""
        if question.startswith(b"\x02ok\x04test\x00"):
            answers = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 300, 4) + bytes([127, 0, 0, 1])
        header = qid + struct.pack(">HHHHH", 0x8180, 1, 1 if answers else 0, 0, 0)
        sock.sendto(header + question + answers, self.client_address)


@contextmanager
def serving(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def exporter(config: Path):
    port = free_port()
    proc = subprocess.Popen([EXPORTER, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/-/healthy", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the exporter did not start: {proc.stderr.read().decode()}") from None
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stderr.close()


def probe_success(port: int, module: str, target: str) -> float:
    url = f"http://127.0.0.1:{port}/probe?" + urllib.parse.urlencode({"module": module, "target": target})
    with urllib.request.urlopen(url, timeout=15) as resp:
        text = resp.read().decode()
    return float(re.search(r"^probe_success (\S+)$", text, re.M).group(1))


@needs_exporter
def test_the_real_exporter_probes_with_the_generated_modules(tmp_path):
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    dns = socketserver.ThreadingUDPServer(("127.0.0.1", 0), _Dns)
    with serving(web) as web_port, serving(dns) as dns_port:
        base = f"http://127.0.0.1:{web_port}"
        m = model({"site": [
            {"name": "health", "http": {"url": f"{base}/ok", "body_matches": ['"status":\\s*"ok"'],
                                        "body_not_matches": ["maintenance"]}},
            {"name": "secure", "http": {"url": f"{base}/ok", "tls": True}},
            {"name": "port", "tcp": {"address": f"127.0.0.1:{web_port}"}},
            {"name": "ping", "icmp": {"host": "127.0.0.1"}},
            {"name": "name", "dns": {"server": f"127.0.0.1:{dns_port}", "query_name": "ok.test"}},
            {"name": "gone", "dns": {"server": f"127.0.0.1:{dns_port}", "query_name": "gone.test"}}]})
        config = tmp_path / "blackbox.yml"
        config.write_text(config_text(m), encoding="utf-8")
        with exporter(config) as port:
            assert probe_success(port, "site_health", f"{base}/ok") == 1
            assert probe_success(port, "site_health", f"{base}/down") == 0  # the body does not match
            assert probe_success(port, "site_health", f"{base}/maint") == 0  # the body matches what it must not
            assert probe_success(port, "site_health", f"{base}/missing") == 0  # 404
            assert probe_success(port, "site_secure", f"{base}/ok") == 0  # TLS asked for, plain HTTP answered
            assert probe_success(port, "site_port", f"127.0.0.1:{web_port}") == 1
            if os.geteuid() == 0:  # pings need raw sockets: root, or the exporter with cap_net_raw
                assert probe_success(port, "site_ping", "127.0.0.1") == 1
            assert probe_success(port, "site_name", f"127.0.0.1:{dns_port}") == 1
            assert probe_success(port, "site_gone", f"127.0.0.1:{dns_port}") == 0  # NOERROR, but no record
