"""Synthetic probes: the facts the blackbox target, the scrape jobs and the dashboards share (when a
probe runs, how long it may take, whether it is TLS), the uptime panels of a service's dashboard,
the RE2 check of body regexes that validation runs, and the exporter's own check of blackbox.yml
that `obsgen check` runs.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from . import naming
from .derived import cert_warning
from .spec import GlobalSpec, PanelSpec, ProbeSpec, QuerySpec, ServiceSpec, ThresholdStep

# Uptime colours: below two nines is an outage-sized hole, below three a worry.
UPTIME_STEPS = (0.99, 0.999)
SECONDS_PER_DAY = 86400
URGENT_DAYS = 7.0  # a certificate expiring within a week is red whatever the alert says


def interval(probe: ProbeSpec, g: GlobalSpec) -> str:
    """How often the probe's job scrapes the exporter."""
    return probe.interval or g.scrape_interval


def timeout(probe: ProbeSpec, g: GlobalSpec) -> str:
    """The probe job's scrape timeout: the probe's own, else the global one, at most the interval."""
    if probe.timeout:
        return probe.timeout
    every = interval(probe, g)
    return every if naming.duration_seconds(g.scrape_timeout) > naming.duration_seconds(every) else g.scrape_timeout


def uses_tls(probe: ProbeSpec) -> bool:
    """Whether the probe requires TLS (an http probe's `tls` defaults to its URL's scheme)."""
    if probe.http:
        return probe.http.tls if probe.http.tls is not None else probe.http.url.startswith("https://")
    return bool(probe.tcp and probe.tcp.tls)


def selector(service: ServiceSpec, probe: ProbeSpec) -> str:
    return f'{{job="{naming.probe_job(service.name, probe.name)}"}}'


def uptime_panels(service: ServiceSpec) -> list[PanelSpec]:
    """Per probe, its uptime over the dashboard's range; the probes' durations; days left on the
    certificates of TLS probes. Empty for a service without probes."""
    if not service.probes:
        return []
    probes = sorted(service.probes, key=lambda p: p.name)
    panels = [PanelSpec(
        title=f"Uptime: {p.name}", type="stat", unit="percentunit", decimals=3, min=0, max=1,
        description=f"Share of {p.name}'s probes that succeeded over the dashboard's time range",
        # Instant: one average over exactly the range shown, not a series of averages.
        queries=[QuerySpec(expr=f"avg_over_time(probe_success{selector(service, p)}[$__range])", instant=True)],
        thresholds=[ThresholdStep(color="red"), *(ThresholdStep(value=v, color=c)
                                                  for v, c in zip(UPTIME_STEPS, ("orange", "green")))])
        for p in probes]
    panels.append(PanelSpec(
        title="Probe duration", type="timeseries", unit="s", min=0, width=12,
        description="How long each probe took, connection, TLS handshake and answer included",
        queries=[QuerySpec(expr=f"probe_duration_seconds{selector(service, p)}", legend=p.name) for p in probes]))
    tls = [p for p in probes if uses_tls(p)]
    if tls:
        panels.append(PanelSpec(
            title="Days to certificate expiry", type="timeseries", unit="d", min=0, width=12,
            description="Days until the earliest-expiring certificate each TLS probe was served expires",
            queries=[QuerySpec(expr=f"(probe_ssl_earliest_cert_expiry{selector(service, p)} - time()) / "
                                    f"{SECONDS_PER_DAY}", legend=p.name) for p in tls],
            thresholds=cert_steps(tls)))
    return panels


def cert_steps(tls: list[ProbeSpec]) -> list[ThresholdStep]:
    """Red within a week; orange within the longest certificate alert horizon, where alerts fire; green beyond."""
    horizons = [naming.duration_seconds(w) / SECONDS_PER_DAY for w in map(cert_warning, tls) if w]
    horizon = round(max(horizons, default=0), 2)
    if horizon <= URGENT_DAYS:
        return [ThresholdStep(color="red"), ThresholdStep(value=URGENT_DAYS, color="green")]
    return [ThresholdStep(color="red"), ThresholdStep(value=URGENT_DAYS, color="orange"),
            ThresholdStep(value=horizon, color="green")]


def re2_problem(pattern: str) -> str | None:
    """Why the blackbox exporter (Go's regexp, which is RE2) would refuse `pattern`, or None.

    Python's `re` accepts lookarounds and backreferences that RE2 refuses, so it cannot judge.
    google-re2 parses RE2 itself; two things it accepts that the Go of Debian's exporter (built
    with Go 1.19) does not are refused here too: `\\C` (any byte) and `(?<name>` groups.
    """
    import re2

    options = re2.Options()
    options.log_errors = False  # its parse errors are returned to us, not logged to stderr
    try:
        re2.compile(pattern, options)
    except re2.error as exc:
        return exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
    return _go_only(pattern)


def _go_only(pattern: str) -> str | None:
    """What RE2 accepts and Go 1.19's regexp does not, outside character classes."""
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            if pattern[i + 1:i + 2] == "C":
                return "\\C (any byte) is not supported by Go's regular expressions"
            if pattern[i + 1:i + 2] == "Q":  # a literal up to \E
                end = pattern.find("\\E", i + 2)
                i = n if end < 0 else end + 2
                continue
            i += 2
        elif c == "[":
            i = _class_end(pattern, i)
        elif pattern.startswith("(?<", i):  # RE2 refused lookbehinds already: a named group
            return "named groups are written (?P<name>...) in Go's regular expressions"
        else:
            i += 1
    return None


def _class_end(pattern: str, i: int) -> int:
    """Index after the character class opening at pattern[i] (the pattern already parsed as RE2)."""
    i += 1
    if pattern.startswith("^", i):
        i += 1
    if pattern.startswith("]", i):  # a `]` first is a literal
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        if pattern[i] == "\\":
            i += 2
        elif pattern.startswith("[:", i) and ":]" in pattern[i + 2:]:
            i = pattern.index(":]", i + 2) + 2
        else:
            i += 1
    return i + 1


# ----------------------------------------------------------------------------- obsgen check

EXPORTER = "prometheus-blackbox-exporter"
INSTALL_HINT = ("install it with: apt-get install prometheus-blackbox-exporter (Debian/Ubuntu), or put "
                "blackbox_exporter from the Prometheus release archives on PATH")


def check_blackbox_config(path: Path, exporter: str | None = None) -> tuple[bool, str]:
    """Run the real exporter's `--config.check` on a blackbox.yml: (ok, what it said when not ok).

    `exporter` is the binary to run; unset, `prometheus-blackbox-exporter` (Debian's name) or
    `blackbox_exporter` (the release archives') from PATH. Neither there: not ok, with how to install it.
    """
    exporter = exporter or shutil.which(EXPORTER) or shutil.which("blackbox_exporter")
    if exporter is None:
        return False, f"{EXPORTER} not found on PATH; {INSTALL_HINT}"
    try:
        proc = subprocess.run([exporter, "--config.check", f"--config.file={path}"], capture_output=True, text=True,
                              timeout=60, env={**os.environ, "NO_COLOR": "1"})
    except subprocess.TimeoutExpired:
        return False, f"{Path(exporter).name} did not finish within 60 s (the time limit per file); stopped"
    except OSError as exc:
        return False, f"{Path(exporter).name} could not run: {exc}"
    if proc.returncode == 0:
        return True, ""
    out = (proc.stdout + proc.stderr).strip().splitlines()
    # It logs its start-up too; what matters is the error line.
    return False, "\n".join([line for line in out if "level=error" in line] or out)
