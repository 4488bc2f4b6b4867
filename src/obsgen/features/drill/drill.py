"""`obsgen drill`: a fire drill for one environment's alert routing, run against a real Alertmanager.

Start `prometheus-alertmanager` on 127.0.0.1 with the drill copy of the generated alertmanager.yml
(sandbox.py: every notification lands on a capture server in this process; timing compressed;
time intervals removed), post one synthetic alert per row of the routing table
(alertmanager/routing-tests.yaml) plus a source/target pair per inhibition rule, and watch where
the notifications land. The drill is `ok` only when every alert reached exactly the receivers the
table names, through every integration those receivers have, each sender presented the secret of
its `*_file`, the alerts the rules should mute reached nobody, and nothing else arrived.

Synthetic alerts carry a token (`ObsgenDrill007`) in their alertname and annotations; a
notification is credited to the alerts whose tokens its text contains. Which alerts the inhibition
rules should mute is worked out here from the rules (InhibitRule) and checked against both the
deliveries and Alertmanager's own view (its alert groups API). Nothing here prints.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field

from obsgen.core.naming import duration_seconds
from obsgen.core.routes import Matcher, read_routing_table, route_matchers
from obsgen.features.drill.capture import Capture
from obsgen.features.drill.sandbox import CONFIG, TIMING, DrillError, Integration, LocalAlertmanager, sigterm_interrupts
from obsgen.load.yaml import read_yaml

TABLE = "alertmanager/routing-tests.yaml"
# After the expected deliveries, the drill waits until Alertmanager has sent nothing it has not
# delivered (its own count of notification requests equals what arrived), then this long again
# with nothing new, for unexpected ones. Events, not a fixed time: a busy machine is slow, not wrong.
GRACE = 1.0
REPORT_VERSION = 1
TOKEN_RE = re.compile(r"ObsgenDrill(\d+)")

__all__ = ["CONFIG", "TABLE", "DrillError", "DrillReport", "AlertResult", "LocalAlertmanager", "environment_files",
           "format_report", "report_dict", "run_drill"]


# ----------------------------------------------------------------------------- inhibition

@dataclass(frozen=True)
class InhibitRule:
    index: int
    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...]

    def inhibits(self, target: dict[str, str], source: dict[str, str]) -> bool:
        """Alertmanager's rule: a firing alert matching `source` mutes a `target` alert with the same
        `equal` labels, except that when the target also matches `source`, sources that also match
        `target` do not count."""
        if not all(m.matches(target) for m in self.target) or not all(m.matches(source) for m in self.source):
            return False
        if all(m.matches(target) for m in self.source) and all(m.matches(source) for m in self.target):
            return False
        return all(target.get(n, "") == source.get(n, "") for n in self.equal)


def _side(rule: dict, side: str) -> tuple[Matcher, ...]:
    return tuple(route_matchers({k: rule.get(f"{side}_{k}") for k in ("matchers", "match", "match_re")}))


def inhibit_rules(doc: dict) -> list[InhibitRule]:
    return [InhibitRule(i, _side(r, "source"), _side(r, "target"), tuple(str(n) for n in r.get("equal") or ()))
            for i, r in enumerate(doc.get("inhibit_rules") or [])]


def routing_labels(route: dict) -> set[str]:
    """Every label name a route of the tree matches on."""
    names = {m.name for m in route_matchers(route)}
    for child in route.get("routes") or []:
        names |= routing_labels(child)
    return names


# ----------------------------------------------------------------------------- the plan

@dataclass
class PlannedAlert:
    n: int
    origin: str  # "table row 3", "inhibit_rules[0] source"
    labels: dict[str, str]
    expected: list[str]
    inhibited_by: str | None = None  # set when the inhibition rules should mute it

    @property
    def token(self) -> str:
        return f"ObsgenDrill{self.n:03d}"

    def payload(self) -> dict:
        text = f"Obsgen fire drill alert {self.token} ({self.origin})"
        return {"labels": self.labels,
                "annotations": {"summary": text, "description": f"{text}: no action needed, this is a drill.",
                                "obsgen_drill": self.token},
                "generatorURL": "http://127.0.0.1/obsgen-drill"}


def read_table(text: str) -> list[tuple[dict[str, str], list[str]]]:
    try:
        doc = read_yaml(text, TABLE)
    except ValueError as exc:
        raise DrillError(f"{TABLE}: not readable YAML: {exc}") from None
    rows, problems = read_routing_table(doc)
    if problems or not rows:
        raise DrillError(f"{TABLE}: " + ("; ".join(problems) or "no tests"))
    return [(dict(r.labels), list(r.receivers)) for r in rows]


def plan(rows: list[tuple[dict[str, str], list[str]]], doc: dict) -> tuple[list[PlannedAlert], list[str]]:
    """One alert per table row, then a source/target pair per inhibition rule; which of them the
    rules should mute when all fire together."""
    alerts: list[PlannedAlert] = []
    notes: list[str] = []
    for i, (labels, receivers) in enumerate(rows):
        n = len(alerts) + 1
        own = {"alertname": f"ObsgenDrill{n:03d}", "service": f"obsgen-drill-{n:03d}",
               "instance": f"obsgen-drill-{n:03d}:9999"}
        alerts.append(PlannedAlert(n, f"table row {i + 1}", {**own, **labels}, receivers))
    routed = routing_labels(doc.get("route") or {})
    by_route = {}
    for labels, receivers in rows:
        by_route.setdefault(_project(labels, routed), receivers)
    rules = inhibit_rules(doc)
    for rule in rules:
        pair = _pair(rule, rows, routed, by_route)
        if isinstance(pair, str):
            notes.append(f"inhibit_rules[{rule.index}] not exercised: {pair}")
            continue
        (source, s_expected), (target, t_expected) = pair
        n = len(alerts) + 1
        alerts.append(PlannedAlert(n, f"inhibit_rules[{rule.index}] source", source, s_expected))
        alerts.append(PlannedAlert(n + 1, f"inhibit_rules[{rule.index}] target", target, t_expected))
    for a in alerts:
        for rule in rules:
            src = next((s for s in alerts if s is not a and rule.inhibits(a.labels, s.labels)), None)
            if src:
                a.inhibited_by = f"{src.labels.get('alertname')} ({src.origin}) by inhibit_rules[{rule.index}]"
                break
    for a in alerts:
        if a.origin.endswith("target") and a.inhibited_by is None:
            notes.append(f"{a.origin}: the drill's pair does not trigger the rule; check the rule's matchers")
    return alerts, notes


def _project(labels: dict[str, str], names: set[str]) -> frozenset:
    return frozenset((k, v) for k, v in labels.items() if k in names and v != "")


def _apply(labels: dict[str, str], matchers: tuple[Matcher, ...]) -> dict[str, str] | None:
    """`labels` changed as little as possible to satisfy `matchers`; None where that takes guessing."""
    out = dict(labels)
    for m in matchers:
        if m.matches(out):
            continue
        if m.op == "=":
            out[m.name] = m.value
        elif m.op == "=~" and (lit := next((a for a in m.value.split("|") if re.fullmatch(r"[\w:. -]*", a)), None)) \
                is not None and m.matches({m.name: lit}):
            out[m.name] = lit
        else:
            return None
    return out if all(m.matches(out) for m in matchers) else None


def _pair(rule: InhibitRule, rows, routed: set[str], by_route: dict):
    """((source labels, receivers), (target labels, receivers)) built from the first table row that
    fits, or why none does."""
    k = rule.index
    own = {"alertname": f"ObsgenDrillInhibit{k}", "service": f"obsgen-drill-inhibit-{k}",
           "instance": f"obsgen-drill-inhibit-{k}:9999"}
    for labels, _ in rows:
        base = {**own, **labels, **{n: "drill" for n in rule.equal if n not in own and n not in labels}}
        target = _apply(base, rule.target)
        source = _apply(target, rule.source) if target else None
        if not target or not source or any(target.get(n, "") != source.get(n, "") for n in rule.equal):
            continue
        t_expected, s_expected = by_route.get(_project(target, routed)), by_route.get(_project(source, routed))
        if t_expected is not None and s_expected is not None:
            return (source, s_expected), (target, t_expected)
    return "no row of the routing table gives a source and a target whose receivers the table knows"


# ----------------------------------------------------------------------------- the run and its report

@dataclass
class AlertResult:
    alert: str
    origin: str
    labels: dict[str, str]
    expected: list[str]
    expected_inhibited_by: str | None
    reached: dict[str, list[str]]  # receiver → integrations that delivered it
    routed: list[str]  # receivers Alertmanager grouped it under (its API)
    inhibited: bool | None  # what Alertmanager's API says; None if unknown
    latency: float | None  # seconds from posting it to its last delivery
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class DrillReport:
    alerts: list[AlertResult]
    unattributed: list[str]  # deliveries that name none of the drill's alerts
    notes: list[str]
    timing: dict[str, str]
    alertmanager: str
    duration: float
    timed_out: bool
    alertmanager_errors: list[str] = field(default_factory=list)  # from its log: why a delivery failed

    @property
    def ok(self) -> bool:
        return not self.unattributed and all(a.ok for a in self.alerts)


def environment_files(files: dict[str, str], env: str) -> dict[str, str]:
    """One environment's artifacts out of `api.generate`'s {env/path: text}."""
    prefix = f"{env}/"
    return {k[len(prefix):]: v for k, v in files.items() if k.startswith(prefix)}


def run_drill(files: dict[str, str], *, timeout: float = 60, binary: str | None = None) -> DrillReport:
    """Fire drill over one environment's generated files {relative path: text}. Raises DrillError
    when it cannot run, ToolMissing without Alertmanager, KeyboardInterrupt on SIGINT/SIGTERM
    (having cleaned up)."""
    started = time.monotonic()
    if TABLE not in files:
        raise DrillError(f"no {TABLE} among the generated files: build with an obsgen that writes the routing table")
    rows = read_table(files[TABLE])
    with sigterm_interrupts(), LocalAlertmanager(files, binary=binary,
                                                 startup_timeout=min(20.0, timeout)) as am:
        alerts, notes = plan(rows, am.source)
        integrations = {(i.receiver, i.kind, i.index): i for ints in am.config.integrations.values() for i in ints}
        wanted = {(a.n, i.receiver, i.kind, i.index) for a in alerts if not a.inhibited_by
                  for r in a.expected for i in am.config.integrations.get(r, [])}
        posted = time.monotonic()
        am.post_alerts([a.payload() for a in alerts])
        timed_out = _wait(am, alerts, wanted, posted, started + timeout)
        captures = am.capture.captures()
        routed, inhibited = _states(am.get("/api/v2/alerts/groups"))
        results, unattributed = _evaluate(alerts, captures, routed, inhibited, am.config.integrations,
                                          integrations, posted, timeout if timed_out else None)
        version, errors = am.version, am.errors()
        drill_notes = am.config.notes + notes
    return DrillReport(results, unattributed, drill_notes, dict(TIMING), version, time.monotonic() - started,
                       timed_out, errors)


def _wait(am: LocalAlertmanager, alerts: list[PlannedAlert], wanted: set, posted: float, deadline: float) -> bool:
    """Wait until every expected delivery that Alertmanager can still make has arrived (those to
    receivers it did not route an alert to, or of alerts it inhibited, never will), then until
    every notification Alertmanager has sent has arrived and nothing new comes for GRACE seconds.
    True if the deadline came first."""
    tokens = {a.n: a.token for a in alerts}
    pending, checked = set(wanted), 0.0
    while True:
        got = {(n, c.receiver, c.kind, c.index): c.at for c in am.capture.captures() for n in _tokens(c)}
        now = time.monotonic()
        if now - checked > 0.25:
            checked = now
            routed, inhibited = _states(am.get("/api/v2/alerts/groups"))
            if all(t in routed for t in tokens.values()):  # Alertmanager has taken in every alert
                pending = {w for w in wanted if w[1] in routed[tokens[w[0]]] and not inhibited.get(tokens[w[0]])}
        if pending <= set(got):
            break
        if now > deadline:
            return True
        time.sleep(0.05)
    # Every group has flushed once group_wait has passed; then the unexpected ones are those
    # Alertmanager sent and has not yet delivered, or sends in the quiet period.
    time.sleep(max(0.0, posted + duration_seconds(TIMING["group_wait"]) - time.monotonic()))
    seen, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        arrived = len(am.capture.captures())
        sent = am.notifications_sent()
        if arrived != seen or (sent is not None and sent > arrived):
            seen, quiet_since = arrived, time.monotonic()
        elif time.monotonic() - quiet_since >= GRACE:
            return False
        time.sleep(0.1)
    return True


def _states(groups: list) -> tuple[dict[str, set[str]], dict[str, bool]]:
    """From Alertmanager's alert groups: the receivers each drill alert (by token) was routed to,
    and whether it is inhibited."""
    routed: dict[str, set[str]] = {}
    inhibited: dict[str, bool] = {}
    for g in groups or []:
        for alert in g.get("alerts") or []:
            token = (alert.get("annotations") or {}).get("obsgen_drill")
            if token:
                routed.setdefault(token, set()).add((g.get("receiver") or {}).get("name", ""))
                inhibited[token] = inhibited.get(token, False) or bool((alert.get("status") or {}).get("inhibitedBy"))
    return routed, inhibited


def _tokens(c: Capture) -> set[int]:
    return {int(t) for t in TOKEN_RE.findall(c.text)}


def _evaluate(alerts: list[PlannedAlert], captures: list[Capture], routed: dict[str, set[str]],
              inhibited: dict[str, bool], by_receiver: dict[str, list[Integration]], integrations: dict,
              posted: float, timed_out_after: float | None) -> tuple[list[AlertResult], list[str]]:
    known = {a.n for a in alerts}
    unattributed = []
    for c in captures:
        if not (_tokens(c) & known):
            where = f"{c.kind} at receiver {c.receiver}" if c.receiver else f"a request to {c.path or '?'}"
            unattributed.append(f"{where}: names none of the drill's alerts")
        elif (c.receiver, c.kind, c.index) not in integrations:
            unattributed.append(f"{c.kind} {c.path}: not an integration of the drill copy")
    within = f" within {timed_out_after:.0f}s" if timed_out_after else ""
    results = []
    for a in alerts:
        mine = [c for c in captures if a.n in _tokens(c) and (c.receiver, c.kind, c.index) in integrations]
        am_routed = routed.get(a.token, set())
        reached: dict[str, list[str]] = {}
        problems = []
        for c in mine:
            i = integrations[(c.receiver, c.kind, c.index)]
            if i.label not in reached.setdefault(c.receiver, []):
                reached[c.receiver].append(i.label)
            if i.secret is not None and c.secret != i.secret:
                msg = f"{c.receiver} {i.label}: did not present the secret from its file (its *_file was not read)"
                if msg not in problems:
                    problems.append(msg)
        # Arrival order varies with load; every message and the result use the config's order.
        reached = _in_config_order(reached, a.expected, by_receiver)
        am_inhibited = inhibited.get(a.token)
        if a.inhibited_by:
            problems += [f"delivered to {r} ({', '.join(ls)}) although {a.inhibited_by} should inhibit it"
                         for r, ls in reached.items()]
            if am_inhibited is False:
                problems.append(f"Alertmanager did not inhibit it (expected: {a.inhibited_by})")
        else:
            if am_inhibited:
                problems.append("Alertmanager inhibited it")
            for r in a.expected:
                if r not in by_receiver:
                    problems.append(f"the table expects receiver {r}, which {CONFIG} does not define")
                elif r not in am_routed:
                    problems.append(f"expected at {r}, but Alertmanager did not route it there")
                else:
                    missing = [i.label for i in by_receiver[r] if i.label not in reached.get(r, [])]
                    if missing:
                        problems.append(f"routed to {r}, but {', '.join(missing)} never arrived{within}"
                                        " (see Alertmanager's errors)")
            for r in sorted((set(reached) | am_routed) - set(a.expected)):
                how = f" ({', '.join(reached[r])})" if r in reached else " (routed there; nothing captured)"
                problems.append(f"unexpected: went to {r}{how}")
        latency = max((c.at - posted for c in mine), default=None)
        results.append(AlertResult(a.labels.get("alertname", a.token), a.origin, a.labels, a.expected,
                                   a.inhibited_by, reached, sorted(am_routed), am_inhibited, latency, problems))
    return results, unattributed


def _in_config_order(reached: dict[str, list[str]], expected: list[str],
                     by_receiver: dict[str, list[Integration]]) -> dict[str, list[str]]:
    """Receivers in the table's order, then the unexpected ones by name; integrations as configured."""
    order = {r: i for i, r in enumerate(expected)}
    out = {}
    for r in sorted(reached, key=lambda r: (order.get(r, len(order)), r)):
        labels = [i.label for i in by_receiver.get(r, [])]
        out[r] = sorted(reached[r], key=lambda x: labels.index(x) if x in labels else len(labels))
    return out


def report_dict(report: DrillReport) -> dict:
    return {"version": REPORT_VERSION, "ok": report.ok, "alertmanager": report.alertmanager,
            "duration_seconds": round(report.duration, 3), "timing": report.timing, "timed_out": report.timed_out,
            "notes": report.notes, "unattributed": report.unattributed,
            "alertmanager_errors": report.alertmanager_errors,
            "alerts": [{**{k: v for k, v in asdict(a).items() if k != "latency"},
                        "latency_seconds": None if a.latency is None else round(a.latency, 3), "ok": a.ok}
                       for a in report.alerts]}


def _labels_text(labels: dict[str, str]) -> str:
    """The labels that say where an alert should go: not the ones the drill made up to tell alerts apart."""
    made_up = ("ObsgenDrill", "obsgen-drill")
    return " ".join(f"{k}={v}" for k, v in labels.items()
                    if k not in ("alertname", "service", "instance") or not v.startswith(made_up))


def format_report(report: DrillReport, fmt: str = "text") -> str:
    """The report as text for people or as JSON (`report_dict`, versioned) for machines."""
    if fmt == "json":
        return json.dumps(report_dict(report), indent=2) + "\n"
    if fmt != "text":
        raise ValueError(f"unknown report format {fmt!r}: text or json")
    timing = ", ".join(f"{k} {v}" for k, v in report.timing.items())
    version = report.alertmanager or "(version unknown)"
    lines = [f"fire drill: {len(report.alerts)} alert(s) through Alertmanager {version} on 127.0.0.1",
             f"note: timing compressed for the drill ({timing}); the generated timing is not exercised"]
    lines += [f"note: {n}" for n in report.notes]
    for a in report.alerts:
        status = "ok  " if a.ok else "FAIL"
        if a.expected_inhibited_by:
            outcome = "inhibited, delivered nowhere" if not a.reached else "NOT inhibited"
        else:
            outcome = "; ".join(f"{r} ({', '.join(ls)})" for r, ls in a.reached.items()) or "delivered nowhere"
        latency = f"  {a.latency:.1f}s" if a.latency is not None else ""
        lines.append(f"{status}  {a.alert}  [{a.origin}]  {_labels_text(a.labels)}  → {outcome}{latency}")
        if not a.ok:
            expected = "nothing (inhibited)" if a.expected_inhibited_by else ", ".join(a.expected) or "nothing"
            lines.append(f"      expected: {expected}")
            lines += [f"      - {p}" for p in a.problems]
    lines += [f"FAIL  stray notification: {u}" for u in report.unattributed]
    lines += [f"alertmanager logged: {e}" for e in report.alertmanager_errors]
    failed = sum(not a.ok for a in report.alerts)
    lats = sorted(a.latency for a in report.alerts if a.latency is not None)
    lat = f"; delivery latency {lats[0]:.1f}–{lats[-1]:.1f}s" if lats else ""
    lines.append(f"{'ok' if report.ok else 'FAILED'}: {len(report.alerts) - failed} passed, {failed} failed, "
                 f"{len(report.unattributed)} stray notification(s){lat}; drill took {report.duration:.1f}s")
    return "\n".join(lines) + "\n"
