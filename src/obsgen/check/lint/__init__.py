"""Lint (part of phase 4, check): PromQL-aware checks across the catalog, rules, dashboards and routing.

Every PromQL expression of the spec (alert and recording rule exprs, dashboard queries, and the
SLI selectors as obsgen's SLO rules use them) is parsed once into plain data (`Sel`, `Fn`, `Agg`,
`Bin`, `Sub`, `Lit`) and checked against what the spec says exists:

- OBS050 a metric no catalog, recording rule (the spec's or an SLO's), declared exporter or
  Prometheus itself produces;
- OBS051 a label (matcher, by/without, on/ignoring, group_left/right) the series cannot have, where
  every metric involved is known with its labels;
- OBS052 a counter whose raw value is compared, computed with, aggregated over time or returned;
  rate/irate/increase over a gauge (warning);
- OBS053 histogram_quantile over a series that is not a histogram's buckets, or after a grouping
  that drops `le`;
- OBS054 a range shorter than twice the interval of the series it reads;
- OBS055 an alert expression without a condition, which fires whenever its series exist.

Alert hygiene (OBS056-059) reads the alerts themselves; routing (OBS060-062) evaluates the
alertmanager.yml the target writes (targets/alertmanager.py) with obsgen's Alertmanager route
evaluator (core/routes.py) for the labels every alert and SLO alert of the spec carries.
Checks return `Finding`s owned by the object a user would silence them on.

The modules: `promql` (expressions as plain data), `catalog` (what series exist, their labels, kinds
and intervals), `exprs` (OBS050-055), `alerts` (OBS056-059), `routing` (OBS060-062).
"""
from __future__ import annotations

from obsgen.check.lint.alerts import alert_findings
from obsgen.check.lint.catalog import Catalog, Known
from obsgen.check.lint.exprs import expression_findings
from obsgen.check.lint.routing import routing_findings
from obsgen.check.silences import Finding
from obsgen.core.diagnostics import Diagnostic
from obsgen.core.promql_tree import parse
from obsgen.load.yaml import YMap
from obsgen.resolve.model import Model
from obsgen.spec.parse import Parsed

__all__ = ["Catalog", "Known", "alert_findings", "expression_findings", "parse", "routing_findings", "run"]


def run(tree: YMap, parsed: Parsed, model: Model) -> list[Finding]:
    findings = (expression_findings(tree, parsed, model) + alert_findings(tree, parsed, model)
                + routing_findings(tree, parsed, model))
    unique = {(f.diagnostic, f.owner): f for f in findings}
    return sorted(unique.values(), key=lambda f: Diagnostic.sort_key(f.diagnostic))
