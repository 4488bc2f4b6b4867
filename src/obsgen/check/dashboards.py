"""Dashboards: every query parses, and uses only variables that exist."""
from __future__ import annotations

from obsgen.check.context import Context
from obsgen.check.expressions import GRAFANA_VARS, promql_diag, promql_error
from obsgen.core.diagnostics import error
from obsgen.core.templating import undefined
from obsgen.load.yaml import YMap, YSeq
from obsgen.resolve.merge import as_str as _str


class DashboardChecks(Context):
    def dashboards(self):
        for i, d in self.items("dashboards"):
            panels = d.get("panels")
            for j, p in enumerate(panels if isinstance(panels, YSeq) else []):
                queries = p.get("queries") if isinstance(p, YMap) else None
                for k, q in enumerate(queries if isinstance(queries, YSeq) else []):
                    expr = _str(q.get("expr")) if isinstance(q, YMap) else None
                    problem = promql_error(GRAFANA_VARS.sub("5m", expr)) if expr and expr.strip() else None
                    if problem:
                        self.diags.append(promql_diag(
                            problem, f"dashboard {d.get('title')!r}, panel {p.get('title')!r}: query",
                            self.at("dashboards", i, "panels", j, "queries", k, "expr"),
                            "check brackets, `by (...)` placement and operators"))
                    for name in undefined(expr or ""):
                        self.diags.append(error(
                            "OBS065", f"dashboard {d.get('title')!r}, panel {p.get('title')!r}: the query uses "
                                      f"${name}, which the dashboard does not declare: Grafana sends it as written "
                                      f"and the panel shows nothing", self.at("dashboards", i, "panels", j, "queries",
                                                                               k, "expr"),
                            hint="Grafana's own variables are $__rate_interval, $__interval, $__range and the like"))
