"""Stand-ins for Slack, PagerDuty, webhook receivers and an SMTP server, on 127.0.0.1, for `obsgen drill`.

Each HTTP integration of the drill copy (sandbox.py) gets its own path: `/slack/<receiver>/<n>`,
`/pagerduty/…`, `/webhook/…`; an email names its integration in the `X-Obsgen-Drill-Integration`
header. Every capture keeps the decoded text of the notification and the secret its sender
presented (bearer token, PagerDuty routing key, SMTP password). Both servers answer from daemon
threads; `close()` stops them. Nothing here prints.
"""
from __future__ import annotations

import base64
import binascii
import email
import email.policy
import json
import socketserver
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote

HTTP_KINDS = ("slack", "pagerduty", "webhook")
EMAIL_HEADER = "X-Obsgen-Drill-Integration"
MAX_BODY = 16 * 1024 * 1024
BACKLOG = 256  # Alertmanager flushes every group at once: socketserver's default of 5 resets connections


@dataclass(frozen=True)
class Capture:
    kind: str  # slack | pagerduty | webhook | email; unknown for a request naming no integration
    receiver: str  # "" when the request named no integration the drill set up
    index: int
    at: float  # time.monotonic() when it arrived
    text: str  # what the notification says, decoded: searched for the drill's alerts
    secret: str | None = None  # the credential it came with
    path: str = ""  # the HTTP path, or the email's integration header


def integration_key(receiver: str, index: int) -> str:
    return f"{quote(receiver, safe='')}/{index}"


def _parse_key(key: str) -> tuple[str, int] | None:
    receiver, _, index = key.rpartition("/")
    if not receiver or not index.isdigit():
        return None
    return unquote(receiver), int(index)


class CaptureServer:
    """Records every notification sent to it. Use as a context manager, or call start() and close()."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._captures: list[Capture] = []
        self._http = _HTTPServer(("127.0.0.1", 0), _handler(self))
        self._smtp = _SMTPServer(("127.0.0.1", 0), self)
        self._threads: list[threading.Thread] = []

    @property
    def http_port(self) -> int:
        return self._http.server_address[1]

    @property
    def smtp_port(self) -> int:
        return self._smtp.server_address[1]

    def url(self, kind: str, receiver: str, index: int) -> str:
        return f"http://127.0.0.1:{self.http_port}/{kind}/{integration_key(receiver, index)}"

    def start(self) -> None:
        for server in (self._http, self._smtp):
            t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                 name="obsgen-capture", daemon=True)
            self._threads.append(t)
            t.start()

    def close(self) -> None:
        # shutdown() waits for serve_forever to finish, forever if it never ran: only servers
        # whose thread started are shut down (an interrupt can land between the two starts).
        for server, t in zip((self._http, self._smtp), self._threads + [None, None]):
            if t is not None and t.ident is not None:
                server.shutdown()
            server.server_close()
        for t in self._threads:
            if t.ident is not None:
                t.join(timeout=5)
        self._threads = []

    def __enter__(self) -> CaptureServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def record(self, capture: Capture) -> None:
        with self._lock:
            self._captures.append(capture)

    def captures(self) -> list[Capture]:
        with self._lock:
            return list(self._captures)


def _handler(server: CaptureServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (the http.server API)
            at = time.monotonic()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, MAX_BODY)).decode("utf-8", "replace")
            kind, _, key = self.path.lstrip("/").partition("/")
            where = _parse_key(key) if kind in HTTP_KINDS else None
            secret = self.headers.get("Authorization")
            if kind == "pagerduty":
                try:
                    payload = json.loads(body)
                    secret = payload.get("routing_key") or payload.get("service_key")
                except (ValueError, AttributeError):
                    secret = None
            server.record(Capture(kind if where else "unknown", where[0] if where else "", where[1] if where else 0,
                                  at, body, secret, self.path))
            # Slack's webhook answers `ok`; PagerDuty's Events API v2 answers 202 with a small JSON body.
            status, reply = (202, b'{"status":"success","message":"Event processed"}') if kind == "pagerduty" \
                else (200, b"ok")
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if kind == "pagerduty" else "text/plain")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format, *args) -> None:  # noqa: A002 (the http.server API)
            pass

    return Handler


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = BACKLOG


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    request_queue_size = BACKLOG
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], capture: CaptureServer):
        self.capture = capture
        super().__init__(address, _SMTPHandler)


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for Alertmanager (Go's net/smtp): EHLO/HELO, AUTH PLAIN, MAIL, RCPT, DATA,
    RSET, NOOP, QUIT. No STARTTLS: the drill copy sets smtp_require_tls to false, and Go sends
    PLAIN credentials without TLS only to 127.0.0.1/localhost, which this server always is."""

    timeout = 30

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")

    def handle(self) -> None:
        server: _SMTPServer = self.server  # type: ignore[assignment]
        password: str | None = None
        self.reply("220 obsgen-drill ESMTP capture")
        while True:
            raw = self.rfile.readline(65536)
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.reply("250-obsgen-drill")
                self.reply("250-8BITMIME")
                self.reply("250 AUTH PLAIN")
            elif verb == "HELO":
                self.reply("250 obsgen-drill")
            elif verb == "AUTH":
                mech, _, initial = arg.partition(" ")
                if mech.upper() != "PLAIN":
                    self.reply("504 5.5.4 only PLAIN")
                    continue
                if not initial:
                    self.reply("334 ")
                    initial = self.rfile.readline(65536).decode("ascii", "replace").strip()
                try:
                    _identity, _user, password = base64.b64decode(initial).decode("utf-8").split("\0", 2)
                except (binascii.Error, ValueError):
                    self.reply("501 5.5.2 cannot decode")
                    continue
                self.reply("235 2.7.0 accepted")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                data = self._read_data()
                at = time.monotonic()
                self._record(server.capture, data, password, at)
                self.reply("250 ok: captured")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 5.5.2 not implemented")

    def _read_data(self) -> bytes:
        lines = []
        size = 0
        while True:
            raw = self.rfile.readline(65536)
            if not raw or raw.rstrip(b"\r\n") == b".":
                return b"".join(lines)
            if raw.startswith(b".."):
                raw = raw[1:]
            size += len(raw)
            if size <= MAX_BODY:
                lines.append(raw)

    @staticmethod
    def _record(capture: CaptureServer, data: bytes, password: str | None, at: float) -> None:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        key = str(msg.get(EMAIL_HEADER, "")).strip()
        where = _parse_key(key)
        parts = [f"{name}: {value}" for name, value in msg.items()]
        for part in msg.walk():
            if part.is_multipart():
                continue
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                parts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
        capture.record(Capture("email" if where else "unknown", where[0] if where else "", where[1] if where else 0,
                               at, "\n".join(parts), password, key))
