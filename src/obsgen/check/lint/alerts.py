"""OBS056-059, OBS066, OBS067: hygiene of the alerts themselves (and of counter names) and of SLO alerting (for vs the evaluation interval,
CamelCase names, summary and description, runbooks for critical alerts)."""
from __future__ import annotations

import re

from obsgen.check.silences import Finding
from obsgen.core import naming
from obsgen.core.diagnostics import warning
from obsgen.core.promql_tree import dur
from obsgen.load.yaml import YMap
from obsgen.resolve.model import Model
from obsgen.spec.parse import Parsed, locate

CAMEL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
# A dead man's switch: an alert that fires all the time, so that its silence is the alarm.
WATCHDOG = re.compile(r"\s*vector\(\s*[-+0-9.eE]+\s*\)\s*")


def alert_findings(tree: YMap, parsed: Parsed, model: Model) -> list[Finding]:
    out = []
    at = lambda *loc: locate(tree, loc)[0]  # noqa: E731
    default_eval = naming.duration_seconds(model.spec.global_.evaluation_interval)
    for i, s in parsed.items["services"]:
        interval = naming.duration_seconds(s.rule_group.interval) if s.rule_group.interval else default_eval
        for j, a in enumerate(s.alerts):
            owner, what = ("services", i, "alerts", j), f"alert {a.name} (service {s.name})"
            wait = naming.duration_seconds(a.for_)
            if 0 < wait < interval:
                out.append(Finding(warning(
                    "OBS056", f"alert {a.name}: `for: {a.for_}` is shorter than the evaluation interval of its rule "
                              f"group ({dur(interval)}), so it acts as `for: {dur(interval)}`",
                    at(*owner, "for"), hint=f"use `for: {dur(interval)}` or longer, or drop `for`"), owner, what))
            if not CAMEL.fullmatch(a.name):
                out.append(Finding(warning("OBS057", f"alert name {a.name!r} is not CamelCase", at(*owner, "name"),
                                           hint="alert names are CamelCase by convention, e.g. HighErrorRate"),
                                   owner, what))
            missing = [f for f in ("summary", "description") if not getattr(a, f)]
            if missing:
                out.append(Finding(warning(
                    "OBS058", f"alert {a.name} has no {' and no '.join(missing)}", at(*owner, "name"),
                    hint="the summary is the notification's title; the description says what is wrong and where"),
                    owner, what))
            if a.severity == "critical" and wait == 0 and not _always_firing(a.expr):
                out.append(Finding(warning(
                    "OBS066", f"critical alert {a.name} has no `for`: it pages on the first evaluation that sees the "
                              f"condition, a single bad scrape or a blip included", at(*owner, "severity"),
                    hint="give it `for:` (a few evaluation intervals, e.g. 2m), or silence this with why an "
                         "instant page is right"), owner, what))
            if a.severity == "critical" and not a.runbook_url:
                out.append(Finding(warning(
                    "OBS059", f"critical alert {a.name} has no runbook_url", at(*owner, "severity"),
                    hint="whoever is paged needs to know what to do: link the runbook"), owner, what))
        for j, m in enumerate(s.metrics):
            if m.type == "counter" and not m.name.endswith("_total"):
                owner = ("services", i, "metrics", j)
                out.append(Finding(warning(
                    "OBS067", f"counter {m.name!r} does not end in _total", at(*owner, "name"),
                    hint="Prometheus names counters *_total; exporters that do not (node_vmstat_pgmajfault) are "
                         "right to be declared as they are"), owner, f"metric {m.name} (service {s.name})"))
        for j, o in enumerate(s.slos):
            owner, what = ("services", i, "slos", j), f"SLO {o.name} (service {s.name})"
            a = o.alerting
            if a.name and not CAMEL.fullmatch(a.name):
                out.append(Finding(warning("OBS057", f"SLO {o.name}: alert name base {a.name!r} is not CamelCase",
                                           at(*owner, "alerting", "name"),
                                           hint="the SLO's alerts are named after it, e.g. ApiAvailability"),
                                   owner, what))
            if "critical" in _slo_severities(o) and not a.runbook_url:
                out.append(Finding(warning(
                    "OBS059", f"SLO {o.name} has critical alerts but no alerting.runbook_url", at(*owner, "name"),
                    hint="whoever is paged needs to know what to do: link the runbook"), owner, what))
    return out


def _always_firing(expr: str) -> bool:
    """A dead man's switch (`vector(1)`): it fires all the time on purpose."""
    return WATCHDOG.fullmatch(expr) is not None


def _slo_severities(o) -> list[str]:
    a = o.alerting
    sevs = [t.severity for t in (a.page, a.ticket) if t.enabled]
    if a.budget_alerts:
        sevs += ["warning", "critical"]
    return list(dict.fromkeys(sevs))

