"""Expressions in a spec, checked as the tools will read them: PromQL (bounded, then parsed) and Go
templates (alert labels and annotations; a team's notification texts)."""
from __future__ import annotations

import re
from functools import lru_cache

from obsgen.core.diagnostics import Diagnostic, Pos, error
from obsgen.core.gotemplate import structure_problem
from obsgen.core.promql import PromQLTooBig
from obsgen.core.promql import parse as parse_promql

GRAFANA_VARS = re.compile(r"\$(__rate_interval|__interval|__range)\b|\$\{(__rate_interval|__interval|__range)\}")
# What they stand for in a query that is only parsed: the lint's value, so both parse one text once.
GRAFANA_RANGE = "99d1s"


@lru_cache(maxsize=8192)  # every environment checks the same expressions
def promql_error(expr: str) -> str | None:
    try:
        parse_promql(expr)
    except PromQLTooBig as exc:
        return f"{TOO_BIG}{exc}"
    except (ValueError, TypeError) as exc:
        return str(exc) or "invalid PromQL"
    return None


TOO_BIG = "\x00too big: "


def promql_diag(problem: str, what: str, pos: Pos, hint: str) -> Diagnostic:
    """OBS030 for an expression that does not parse; OBS037 for one over the size limits."""
    if problem.startswith(TOO_BIG):
        return error("OBS037", f"{what}: {problem[len(TOO_BIG):]}", pos,
                     hint="split it into recording rules; the limits are in the README (input limits)")
    return error("OBS030", f"{what} is not valid PromQL ({problem})", pos, hint=hint)


def template_error(text: str, own_templates: bool = True) -> str | None:
    """Why Go template text is malformed (unclosed or stray delimiters, unbalanced blocks), or None;
    with `own_templates=False` (a team's text, placed inside obsgen's `define`), also any `define`
    or `block`. The full parse is Go's; this catches mistakes and text that would escape."""
    problem = structure_problem(text, own_templates=own_templates)
    return problem[0] if problem else None


def sli_exprs(o) -> list[tuple[tuple[str, ...], str]]:
    """The PromQL an SLO's SLI holds, by field (raw SLIs with their window filled in)."""
    sli, out = o.sli, []
    if sli.ratio:
        out += [(("ratio", k), getattr(sli.ratio, k)) for k in ("good", "bad", "total") if getattr(sli.ratio, k)]
    if sli.freshness:
        out.append((("freshness", "gauge"), sli.freshness.gauge))
    if sli.raw:
        out.append((("raw", "error_ratio"), re.sub(r"\{\{\s*window\s*\}\}", "5m", sli.raw.error_ratio)))
    return out
