"""What `obsgen check` and `obsgen explain` print: their tables as text, or JSON. Each function
returns the text; the commands write it.

Commands import what they use when they run (function-level imports): `obsgen --help`, and the
plain `validate` and `build` that pre-commit hooks and CI run, import only what they need.
"""
from __future__ import annotations

import json


def check_results(results: list, fmt: str) -> str:
    failed = [r for r in results if not r.ok]
    if fmt == "json":
        return json.dumps({"results": [r.__dict__ for r in results], "failed": len(failed)}, indent=2) + "\n"
    lines = []
    for r in results:
        lines.append(f"{'ok  ' if r.ok else 'FAIL'}  {r.file}  [{r.check}]")
        if r.note:
            lines.append(f"      note: {r.note}")
        lines += [f"      {line}" for line in r.detail.splitlines()]
    lines.append(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return "\n".join(lines) + "\n"


def coverage(model, explainer, fmt: str) -> str:
    """`obsgen explain --coverage`: per service, which aspects it has, and the share covered."""
    from obsgen.check.objectives import ASPECTS

    objectives = model.spec.global_.objectives
    required = explainer.required()
    rows = explainer.coverage
    if fmt == "json":
        return json.dumps({"environment": model.env, "required": list(required),
                           "covered_percent": round(explainer.covered_percent(), 2),
                           "objective_percent": objectives.coverage.min_percent if objectives.coverage else None,
                           "services": [{"service": c.service, "team": c.team, **c.aspects,
                                         "covered": c.covered(required)} for c in rows]}, indent=2) + "\n"
    width = max([len(c.service) for c in rows] + [7])
    lines = [f"{'service':<{width}}  " + "  ".join(f"{a:<9}" for a in ASPECTS) + "  covered"]
    for c in rows:
        lines.append(f"{c.service:<{width}}  " + "  ".join(f"{'yes' if c.aspects[a] else '-':<9}" for a in ASPECTS)
                     + f"  {'yes' if c.covered(required) else 'NO'}")
    target = f" (objective {objectives.coverage.min_percent:g}%)" if objectives.coverage else ""
    lines.append(f"\n{explainer.covered_percent():.1f}% of {len(rows)} services covered, counting "
                 f"{', '.join(required)}{target}")
    return "\n".join(lines) + "\n"


def packs(model, fmt: str) -> str:
    """`obsgen explain --packs`: per service, what its exporter's pack, its type, its tier and its
    dependencies gave it, and what its own `batteries:` changed."""
    services = []
    for s in model.services:
        battery = model.battery(s)
        if not battery.added and not s.depends_on:
            continue
        services.append({"service": s.name, "team": s.team, "tier": s.tier, "type": s.type,
                         "exporter": s.scrape.exporter.kind if s.scrape and s.scrape.exporter else None,
                         "depends_on": list(s.depends_on),
                         "added": [{"what": a.what, "name": a.name, "from": a.source, "state": a.state}
                                   for a in battery.added]})
    if fmt == "json":
        return json.dumps({"environment": model.env, "services": services}, indent=2) + "\n"
    if not services:
        return "no service gets anything from packs, types or tiers: give one an exporter kind or a type\n"
    lines = []
    for svc in services:
        given = ", ".join(x for x in (f"{svc['exporter']} exporter" if svc["exporter"] else "",
                                      f"type {svc['type']}" if svc["type"] else "", f"tier {svc['tier']}") if x)
        lines.append(f"{svc['service']} ({given}; team {svc['team']})")
        if svc["depends_on"]:
            lines.append(f"  depends on: {', '.join(svc['depends_on'])} (their key panels are on its dashboard)")
        width = max([len(a["name"]) for a in svc["added"]] + [4])
        for a in svc["added"]:
            lines.append(f"  {a['what']:<14}  {a['name']:<{width}}  {a['from']:<16}  {a['state']}")
        lines.append("")
    return "\n".join(lines)


def timings(model, explainer, fmt: str, proofs: list | None = None) -> str:
    """`obsgen explain`: per alert, its worst-case time to notify and the receivers it reaches; then
    what proves the alerts (features/prove.proofs)."""
    from obsgen.core import naming
    from obsgen.resolve.slo import fmt_duration

    objectives = model.spec.global_.objectives
    rows = explainer.timings
    if fmt == "json":
        return json.dumps({"environment": model.env, "objectives": dict(objectives.time_to_notify.items()),
                           "alerts": [t.to_dict() for t in rows], "removed": list(model.removed),
                           "tests": [p.to_dict() for p in proofs or []]}, indent=2) + "\n"
    width = max([len(t.alert) for t in rows] + [5])
    lines = [f"{'alert':<{width}}  severity  {'notify':>7}  {'target':>6}  receivers"]
    for t in rows:
        target = objectives.time_to_notify.get(t.severity)  # type: ignore[call-overload]
        over = target is not None and t.time_to_notify_seconds > naming.duration_seconds(target)
        extra = f"  (only during {', '.join(t.only_during)})" if t.only_during else ""
        lines.append(f"{t.alert:<{width}}  {t.severity:<8}  {fmt_duration(round(t.time_to_notify_seconds)):>7}  "
                     f"{(target or '-'):>6}{'!' if over else ' '} {', '.join(t.receivers)}{extra}")
    lines.append("\nnotify = scrape interval + evaluation interval + for + group_wait (worst case); for SLO "
                 "burn-rate alerts, plus how long a full outage takes to burn past the tier's threshold; "
                 "! = over the objective")
    if proofs:
        unproven = [p for p in proofs if p.why_not and not p.written]
        proven = len(proofs) - len([p for p in proofs if p.why_not])
        lines.append(f"\ntests: {proven} of {len(proofs)} alerts have generated tests that make them fire and keep "
                     f"them quiet (`obsgen test` runs them)")
        for p in (p for p in proofs if p.why_not):
            ask = f"; {p.written} written" if p.written else ": write one in its `tests:`"
            lines.append(f"  {p.service}/{p.alert} ({p.severity}): no generated test, {p.why_not}{ask}")
        if unproven:
            lines.append(f"  {len(unproven)} alert(s) have no test at all")
    if model.removed:
        lines.append(f"\nremoved by environment {model.env}: " + "; ".join(model.removed))
    return "\n".join(lines) + "\n"
