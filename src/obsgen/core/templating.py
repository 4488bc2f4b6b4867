"""Grafana's template variables in panel queries: finding the references (`$var`, `${var}`,
`${var:format}`, `[[var]]`), the variables Grafana defines itself, and what a reference stands
for when a query is checked as PromQL."""
from __future__ import annotations

import re
from dataclasses import dataclass

# Grafana's own (global) variables.
BUILTINS = frozenset({
    "__interval", "__interval_ms", "__rate_interval", "__rate_interval_ms", "__range", "__range_s", "__range_ms",
    "__from", "__to", "__dashboard", "__org", "__user", "__name", "__timezone", "__timeFilter", "timeFilter",
    "__auto", "__all_variables", "__url_time_range", "__series",
})
# Those that stand for a duration, and one PromQL reads well in their place (checks of ranges
# recognise it as Grafana's).
DURATIONS = frozenset({"__interval", "__rate_interval", "__range", "__auto"})

# Grafana's own pattern, by kind: $name, [[name:format]], ${name.field:format}. A name that starts
# with a digit ($1 in label_replace) is not a variable to Grafana either.
_REFERENCE = re.compile(r"\$([A-Za-z_]\w*)|\[\[([A-Za-z_]\w*?)(?::\w+)?\]\]|\$\{([A-Za-z_]\w*)(?:\.[^:^}]+)?(?::[^}]+)?\}")


@dataclass(frozen=True)
class Reference:
    name: str
    start: int
    end: int


def references(text: str) -> list[Reference]:
    return [Reference(next(g for g in m.groups() if g), m.start(), m.end()) for m in _REFERENCE.finditer(text)]


def undefined(text: str, declared: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """The variables `text` refers to that are neither Grafana's own nor declared, in order, once each."""
    out: list[str] = []
    for ref in references(text):
        if ref.name not in BUILTINS and ref.name not in declared and ref.name not in out:
            out.append(ref.name)
    return out
