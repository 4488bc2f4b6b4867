"""runbooks/<service>.md: what to do when an alert a pack or a service type added fires, one
section per alert (and per tier SLO), its heading the alert's name so that
`<global.runbooks_url>/<service>.md#<alert>` lands on it. Written for every service that got such
alerts; published where `global.runbooks_url` says, the alerts link to it."""
from __future__ import annotations

from obsgen.core.serialise import Artifact
from obsgen.resolve.model import Model
from obsgen.resolve.packs import packs_of
from obsgen.resolve.slo import fmt_number

_SLO_STEPS = (
    "The SLO dashboard shows the error ratio over each alert window and the budget left.",
    "A fast burn (a page) is an outage or a bad deploy now: roll back or fail over first, then find the cause.",
    "A slow burn (a ticket) is a steady loss: find which routes or instances fail most, and fix them this week.",
)


class RunbooksTarget:
    name = "runbooks"

    def generate(self, model: Model) -> list[Artifact]:
        out = []
        for service in model.services:
            battery = model.battery(service)
            if not battery.alerts and not battery.slos:
                continue
            out.append(Artifact(f"runbooks/{service.name}.md", runbook(model, service)))
        return out


def runbook(model: Model, service) -> str:
    battery = model.battery(service)
    steps = {pa.name: pa for pack, _, _ in packs_of(service) for pa in pack.alerts}
    lines = [f"<!-- {line} -->" for line in model.header().splitlines()]
    lines += ["", f"# {service.name}", ""]
    facts = [f"Team: {service.team}", f"tier {service.tier}"]
    if service.type:
        facts.append(f"type {service.type}")
    if service.scrape is not None and service.scrape.exporter is not None:
        facts.append(f"{service.scrape.exporter.kind} exporter")
    lines.append(", ".join(facts) + ".")
    if service.depends_on:
        lines.append(f"Depends on: {', '.join(service.depends_on)}: when they alert too, start with them.")
    for derived in battery.alerts:
        a = derived.spec
        pa = steps.get(a.name)
        lines += ["", f"## {a.name}", ""]
        when = f"Severity {a.severity}, after the condition has held for {a.for_}." if a.for_ not in ("0s", "0m") \
            else f"Severity {a.severity}, as soon as the condition holds."
        lines.append(when)
        lines += ["", "```promql", a.expr, "```", ""]
        if a.summary:
            lines.append(f"**{a.summary}**")
            lines.append("")
        if a.description:
            lines.append(a.description)
            lines.append("")
        if pa is not None and pa.threshold is not None:
            lines.append(f"The threshold is in {pa.unit}; tune it with `batteries.alerts.{a.name}.threshold` "
                         f"(the pack's is {fmt_number(pa.threshold)}).")
            lines.append("")
        if pa is not None:
            lines.append("What to check:")
            lines.append("")
            lines += [f"{n}. {step}" for n, step in enumerate(pa.runbook, 1)]
    for slo in battery.slos:
        lines += ["", f"## SLO {slo.name}", "",
                  f"{slo.description or slo.name}: {fmt_number(slo.objective)}% over {slo.period}. Its burn-rate "
                  f"alerts fire when the error budget is spent too fast.", "", "What to check:", ""]
        lines += [f"{n}. {step}" for n, step in enumerate(_SLO_STEPS, 1)]
    return "\n".join(lines).rstrip("\n") + "\n"
