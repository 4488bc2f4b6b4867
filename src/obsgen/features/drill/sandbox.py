"""A sandbox Alertmanager for `obsgen drill` and the end-to-end tests: the *drill copy* of a generated
alertmanager.yml, run by the real `prometheus-alertmanager` on 127.0.0.1, with every notification
landing on the capture servers (capture.py) in this process instead of the outside world.

The drill copy differs from the generated file only where it must:
- every integration points at the capture server: Slack, PagerDuty and webhooks (the SMS gateway's
  too) at `/slack/<receiver>/<n>`, `/pagerduty/…`, `/webhook/…`; email at the SMTP capture, with
  `smtp_require_tls: false` and a header naming the integration (`X-Obsgen-Drill-Integration`).
  Secret `*_file` fields stay file fields, pointing at temporary files holding drill values, and
  each capture keeps the secret its sender presented (bearer token, routing key, SMTP password), so
  the drill can tell that the files were read. SMTP keeps its username and password file: Go's
  smtp client sends PLAIN credentials without TLS to 127.0.0.1, which the capture always is;
- timing is compressed (TIMING: group_wait and group_interval 1s) so a drill takes seconds; the
  generated timing itself is not exercised;
- time intervals (`mute_time_intervals`, `active_time_intervals`) are removed and listed in the
  notes: they decide *when* a route may notify, not *where* alerts go, and keeping them would make
  the outcome depend on the hour the drill runs;
- integrations it cannot capture (OpsGenie, Telegram, …) are removed and listed in the notes:
  nothing is ever sent off this machine. Proxy, TLS and OAuth2 settings of HTTP clients go too.
Routing tree, grouping, inhibition rules and templates stay as generated.

Leaving LocalAlertmanager stops the process (its whole process group; on Linux it also dies with
this process), the capture servers, and removes the temporary folder. Nothing here prints.
"""
from __future__ import annotations

import base64
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from obsgen.core.interrupts import deferred as signals_deferred
from obsgen.features.drill.capture import EMAIL_HEADER, CaptureServer, integration_key
from obsgen.features.verify import ToolMissing
from obsgen.load.yaml import read_yaml

CONFIG = "alertmanager/alertmanager.yml"
TIMING = {"group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"}
KINDS = {"slack_configs": "slack", "pagerduty_configs": "pagerduty", "webhook_configs": "webhook",
         "email_configs": "email"}
_HTTP_DROP = ("proxy_url", "proxy_from_environment", "proxy_connect_header", "no_proxy", "tls_config", "oauth2")
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class DrillError(Exception):
    """The drill cannot run: no config or routing table, or Alertmanager refused the config."""


# ----------------------------------------------------------------------------- the drill copy

@dataclass(frozen=True)
class Integration:
    receiver: str
    kind: str  # slack | pagerduty | webhook | email
    index: int  # among the receiver's integrations of this kind
    target: str  # where it would really go: a channel, an address, a host
    secret: str | None  # what the sender must present if it read its secret file

    @property
    def label(self) -> str:
        return f"{self.kind}({self.target})" if self.kind == "webhook" and self.target else self.kind


@dataclass
class DrillConfig:
    doc: dict
    integrations: dict[str, list[Integration]]  # receiver → its integrations, in the drill copy
    files: dict[str, str]  # absolute path → text: the secret files the drill copy names
    notes: list[str]


def drill_config(doc: dict, capture: CaptureServer, root: Path) -> DrillConfig:
    """The drill copy of a parsed alertmanager.yml (see the module docstring); secret files go under `root`."""
    doc = json.loads(json.dumps(doc))
    files: dict[str, str] = {}
    notes: list[str] = []

    def secret_file(name: str, value: str) -> str:
        path = str(root / "secrets" / f"{len(files):03d}-{name}")
        files[path] = value
        return path

    glob = doc.setdefault("global", {}) or {}
    doc["global"] = glob
    for key in ("slack_api_url", "slack_api_url_file", "pagerduty_url"):
        glob.pop(key, None)
    glob["smtp_smarthost"] = f"127.0.0.1:{capture.smtp_port}"
    glob["smtp_require_tls"] = False
    smtp_secret = None
    if glob.get("smtp_auth_username") and ("smtp_auth_password" in glob or "smtp_auth_password_file" in glob):
        glob.pop("smtp_auth_password", None)
        smtp_secret = "drill-smtp-password"
        glob["smtp_auth_password_file"] = secret_file("smtp-password", smtp_secret)
    for key in [k for k in glob if k.startswith("smtp_auth_secret") or k == "smtp_auth_identity_file"]:
        glob.pop(key)
    if isinstance(glob.get("http_config"), dict):
        _http_config(glob["http_config"], secret_file, "global")
    _compress(doc.setdefault("route", {}), root=True)
    muted = _drop_time_intervals(doc)
    if muted:
        notes.append("time intervals removed (the drill checks where alerts go, not when): "
                     + "; ".join(muted))
    templates = []
    for t in doc.get("templates") or []:
        templates.append(str(root / "alertmanager" / "templates" / Path(t).name) if Path(t).is_absolute() else t)
    if templates:
        doc["templates"] = templates

    integrations: dict[str, list[Integration]] = {}
    for ri, rc in enumerate(doc.get("receivers") or []):
        name = str(rc["name"])
        found = integrations.setdefault(name, [])
        for key in [k for k in rc if k.endswith("_configs")]:
            kind = KINDS.get(key)
            if kind is None:
                notes.append(f"receiver {name}: {key} removed (the drill cannot capture it, and never sends "
                             "anything off this machine)")
                del rc[key]
                continue
            for j, cfg in enumerate(rc[key] or []):
                where = f"r{ri:03d}-{kind}{j}"  # receiver names may hold anything; file names and tokens may not
                target, secret = "", None
                url = capture.url(kind, name, j)
                if kind == "slack":
                    target = str(cfg.get("channel", ""))
                    cfg.pop("api_url", None)
                    cfg["api_url_file"] = secret_file(f"{where}-api-url", url)
                elif kind == "pagerduty":
                    target = str(cfg.get("severity", ""))
                    cfg["url"] = url
                    field_name = "service_key" if ("service_key" in cfg or "service_key_file" in cfg) else "routing_key"
                    cfg.pop(field_name, None)
                    secret = f"drill-{field_name.replace('_', '-')}-{where}"
                    cfg[f"{field_name}_file"] = secret_file(f"{where}-{field_name}", secret)
                elif kind == "webhook":
                    target = urlsplit(str(cfg.get("url", ""))).netloc
                    cfg.pop("url_file", None)
                    cfg["url"] = url
                else:
                    target = str(cfg.get("to", ""))
                    cfg["headers"] = {**(cfg.get("headers") or {}), EMAIL_HEADER: integration_key(name, j)}
                    secret = _email_secret(cfg, glob, smtp_secret, secret_file, where, capture.smtp_port)
                if kind != "email":
                    http = cfg.setdefault("http_config", {})
                    secret = _http_config(http, secret_file, where) or secret
                    if not http:
                        del cfg["http_config"]
                found.append(Integration(name, kind, j, target, secret))
    return DrillConfig(doc, integrations, files, notes)


def _email_secret(cfg: dict, glob: dict, smtp_secret: str | None, secret_file, where: str, port: int) -> str | None:
    if "smarthost" in cfg:
        cfg["smarthost"] = f"127.0.0.1:{port}"
    cfg["require_tls"] = False
    cfg.pop("tls_config", None)
    if "auth_password" in cfg or "auth_password_file" in cfg:
        cfg.pop("auth_password", None)
        value = f"drill-smtp-password-{where}"
        cfg["auth_password_file"] = secret_file(f"{where}-smtp-password", value)
        return value if cfg.get("auth_username") or glob.get("smtp_auth_username") else None
    return smtp_secret if cfg.get("auth_username", glob.get("smtp_auth_username")) else None


def _http_config(http: dict, secret_file, where: str) -> str | None:
    """Strip what could send traffic elsewhere; repoint credential files. The Authorization header
    the sender must then present, if any."""
    for key in _HTTP_DROP:
        http.pop(key, None)
    auth = http.get("authorization")
    if isinstance(auth, dict) and ("credentials" in auth or "credentials_file" in auth):
        auth.pop("credentials", None)
        token = f"drill-token-{where}"
        auth["credentials_file"] = secret_file(f"{where}-credentials", token)
        return f"{auth.get('type') or 'Bearer'} {token}"
    if "bearer_token" in http or "bearer_token_file" in http:
        http.pop("bearer_token", None)
        token = f"drill-token-{where}"
        http["bearer_token_file"] = secret_file(f"{where}-bearer-token", token)
        return f"Bearer {token}"
    basic = http.get("basic_auth")
    if isinstance(basic, dict):
        basic.pop("password", None)
        password = f"drill-password-{where}"
        basic["password_file"] = secret_file(f"{where}-password", password)
        return "Basic " + base64.b64encode(f"{basic.get('username', '')}:{password}".encode()).decode()
    return None


def _compress(route: dict, root: bool = False) -> None:
    for key, value in TIMING.items():
        if root or key in route:
            route[key] = value
    for child in route.get("routes") or []:
        _compress(child)


def _drop_time_intervals(doc: dict) -> list[str]:
    found: dict[str, set[str]] = {}

    def walk(route: dict, receiver: str) -> None:
        receiver = route.get("receiver") or receiver
        for key in ("mute_time_intervals", "active_time_intervals"):
            for name in route.pop(key, None) or []:
                found.setdefault(f"{key} {name}", set()).add(receiver)
        for child in route.get("routes") or []:
            walk(child, receiver)

    walk(doc.get("route") or {}, "")
    for key in ("time_intervals", "mute_time_intervals"):
        doc.pop(key, None)
    return [f"{what} (on routes to {', '.join(sorted(receivers))})" for what, receivers in sorted(found.items())]


# ----------------------------------------------------------------------------- the local Alertmanager

def find_alertmanager() -> str:
    for name in ("prometheus-alertmanager", "alertmanager"):
        path = shutil.which(name)
        if path:
            return path
    raise ToolMissing(["prometheus-alertmanager"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def sigterm_interrupts():
    """SIGTERM raises KeyboardInterrupt for the block (main thread only), so `finally` clauses run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    old = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _die_with_parent():
    """A preexec_fn asking Linux to TERM the child when this process dies, even by SIGKILL."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)
    return preexec


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=5)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


class LocalAlertmanager:
    """A real Alertmanager on 127.0.0.1 running the drill copy of one environment's generated files,
    every notification landing in `self.capture`. A context manager: leaving it stops the process
    (its whole process group) and the capture servers, and removes the temporary folder. Enter it
    from the thread that will leave it: on Linux the process is bound to that thread's life."""

    def __init__(self, files: dict[str, str], *, binary: str | None = None, startup_timeout: float = 20):
        if CONFIG not in files:
            raise DrillError(f"no {CONFIG} among the generated files")
        try:
            self.source = read_yaml(files[CONFIG], CONFIG)
        except ValueError as exc:
            raise DrillError(f"{CONFIG}: not readable YAML: {exc}") from None
        if not isinstance(self.source, dict):
            raise DrillError(f"{CONFIG}: not an Alertmanager configuration (a mapping)")
        self.files = files
        self.binary = binary or find_alertmanager()
        self.startup_timeout = startup_timeout
        self.url = ""
        self.pid = 0
        self.version = ""
        self._stack = ExitStack()

    def __enter__(self) -> LocalAlertmanager:
        stack = self._stack
        try:
            with signals_deferred():
                self.root = Path(tempfile.mkdtemp(prefix="obsgen-drill-"))
                stack.callback(shutil.rmtree, self.root, ignore_errors=True)
                self.capture = CaptureServer()
                stack.callback(self.capture.close)
            self.config = drill_config(self.source, self.capture, self.root)
            self._write()
            self._start()
            self.capture.start()
            self.version = self._version()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with signals_deferred():
            self._stack.close()

    def _write(self) -> None:
        for rel, text in self.files.items():
            if rel.startswith("alertmanager/") and rel != CONFIG:
                dest = self.root / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_text(text, encoding="utf-8")
        (self.root / "secrets").mkdir(mode=0o700)
        for path, text in self.config.files.items():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
        self.config_path = self.root / CONFIG
        self.config_path.parent.mkdir(parents=True, exist_ok=True)
        # JSON is YAML: no quoting questions for go-yaml.
        self.config_path.write_text(json.dumps(self.config.doc, indent=2) + "\n", encoding="utf-8")

    def _start(self) -> None:
        log_path = self.root / "alertmanager.log"
        deadline = time.monotonic() + self.startup_timeout
        for _attempt in range(3):
            port = free_port()
            cmd = [self.binary, f"--config.file={self.config_path}", f"--storage.path={self.root / 'data'}",
                   f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=info"]
            with open(log_path, "ab") as log, signals_deferred():
                proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True, preexec_fn=_die_with_parent(), cwd=self.root)
                self._stack.callback(stop_process, proc)
            self.pid, self.url = proc.pid, f"http://127.0.0.1:{port}"
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    break
                try:
                    with _NO_PROXY.open(f"{self.url}/-/ready", timeout=1) as resp:
                        if resp.status == 200:
                            return
                except (urllib.error.URLError, OSError):
                    pass
                time.sleep(0.05)
            log = log_path.read_text(encoding="utf-8", errors="replace")
            if proc.poll() is not None and "address already in use" in log:
                continue  # another process took the free port first
            tail = "\n".join(log.strip().splitlines()[-15:])
            raise DrillError(f"Alertmanager did not start with the drill copy of {CONFIG}"
                             + (" within {:.0f}s".format(self.startup_timeout) if proc.poll() is None else "")
                             + f":\n{tail}")
        raise DrillError("Alertmanager could not get a free port on 127.0.0.1")

    def errors(self, limit: int = 20) -> list[str]:
        """Alertmanager's logged errors so far (failed notifications, template errors), without timestamps."""
        try:
            log = (self.root / "alertmanager.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        found = [m.group(1) for m in re.finditer(r"level=error (.*)", log)]
        return found[:limit] + ([f"… and {len(found) - limit} more"] if len(found) > limit else [])

    def _version(self) -> str:
        try:
            status = self.get("/api/v2/status")
            return str(status.get("versionInfo", {}).get("version", ""))
        except (DrillError, AttributeError):
            return ""

    def get(self, path: str):
        try:
            with _NO_PROXY.open(self.url + path, timeout=10) as resp:
                return json.loads(resp.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise DrillError(f"Alertmanager API {path}: {exc}") from None

    def notifications_sent(self) -> int | None:
        """How many notification requests Alertmanager has made (its own metric, retries included),
        or None when it cannot say."""
        try:
            with _NO_PROXY.open(self.url + "/metrics", timeout=10) as resp:
                text = resp.read().decode("utf-8", "replace")
        except (urllib.error.URLError, OSError):
            return None
        total = 0.0
        for line in text.splitlines():
            if line.startswith("alertmanager_notification_requests_total{"):
                total += float(line.rsplit(" ", 1)[1])
        return int(total)

    def post_alerts(self, alerts: list[dict]) -> None:
        req = urllib.request.Request(self.url + "/api/v2/alerts", data=json.dumps(alerts).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        try:
            with _NO_PROXY.open(req, timeout=10) as resp:
                resp.read()
        except urllib.error.HTTPError as exc:
            with exc:
                body = exc.read()[:500].decode("utf-8", "replace")
            raise DrillError(f"Alertmanager refused the drill's alerts: {exc.code} {body}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise DrillError(f"could not post alerts to Alertmanager: {exc}") from None
