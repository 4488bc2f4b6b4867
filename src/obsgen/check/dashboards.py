"""Dashboards: every query parses as what its datasource reads, every variable and datasource a
dashboard uses exists, repeats repeat over something, and every escape hatch is noted."""
from __future__ import annotations

from obsgen.check.context import Context
from obsgen.check.expressions import GRAFANA_RANGE, GRAFANA_VARS, promql_diag, promql_error
from obsgen.core.diagnostics import error, note, warning
from obsgen.core.templating import for_promql, ref_id, references, undefined, variable_promql
from obsgen.load.yaml import YMap, YSeq
from obsgen.resolve.datasources import Datasources, variable_name
from obsgen.resolve.layout import layout
from obsgen.resolve.merge import as_str as _str
from obsgen.spec import DashboardSpec, PanelSpec
from obsgen.spec.dashboards import LEGACY_PANEL_TYPES, PANEL_TYPES, QUERYLESS

_DRAWN = frozenset({"timeseries", "piechart", "state-timeline", "status-history", "histogram", "barchart"})
_REDUCING = frozenset({"stat", "gauge", "bargauge", "piechart"})
# Panel settings that only some panel types read (what targets/grafana_panels.py writes for them).
SETTING_KINDS = {
    "content": {"text"}, "content_mode": {"text"}, "display_mode": {"bargauge"},
    "color_mode": {"stat"}, "graph_mode": {"stat"}, "text_mode": {"stat"},
    "reduce": _REDUCING, "all_values": _REDUCING,
    "orientation": {"stat", "gauge", "bargauge", "barchart", "piechart"},
    "stack": {"timeseries", "barchart", "histogram"},
    "draw": {"timeseries"}, "points": {"timeseries"}, "span_nulls": {"timeseries"}, "log_scale": {"timeseries"},
    "show_thresholds": {"timeseries"},
    "fill": _DRAWN, "line_width": _DRAWN, "axis_label": _DRAWN, "negative_y": _DRAWN, "axis": _DRAWN | {"heatmap"},
    "legend": _DRAWN | {"bargauge", "heatmap"}, "tooltip": _DRAWN | {"heatmap"},
}


def _kinds(kinds) -> str:
    names = sorted(kinds)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


HINT_BUILTINS = "Grafana's own variables are $__rate_interval, $__interval, $__range and the like"


class DashboardChecks(Context):
    def dashboards(self):
        parsed = dict(self.dashboard_items)
        self.unique("datasources", [(i, _str(d.get("name"))) for i, d in self.items("datasources")], "datasource")
        sources = Datasources(self.parsed_spec) if parsed else None
        for i, d in self.items("dashboards"):
            spec = parsed.get(i)
            if spec is None:
                self._queries_of_unparsed(i, d)
            else:
                _Dashboard(self, i, spec, sources).check()

    def _queries_of_unparsed(self, i: int, d: YMap) -> None:
        """A dashboard with errors elsewhere still has its queries checked."""
        panels = d.get("panels")
        for j, p in enumerate(panels if isinstance(panels, YSeq) else []):
            queries = p.get("queries") if isinstance(p, YMap) else None
            for k, q in enumerate(queries if isinstance(queries, YSeq) else []):
                expr = _str(q.get("expr")) if isinstance(q, YMap) else None
                if not expr or not expr.strip() or (isinstance(p, YMap) and p.get("datasource") is not None) \
                        or q.get("datasource") is not None:
                    continue
                problem = promql_error(GRAFANA_VARS.sub(GRAFANA_RANGE, for_promql(expr)))
                if problem:
                    self.diags.append(promql_diag(
                        problem, f"dashboard {d.get('title')!r}, panel {p.get('title')!r}: query",
                        self.at("dashboards", i, "panels", j, "queries", k, "expr"),
                        "check brackets, `by (...)` placement and operators"))


class _Dashboard:
    def __init__(self, ctx: DashboardChecks, index: int, spec: DashboardSpec, sources: Datasources):
        self.ctx, self.i, self.d, self.sources = ctx, index, spec, sources
        self.declared = {v.name: v for v in spec.variables}

    def at(self, *loc):
        return self.ctx.at("dashboards", self.i, *loc)

    def add(self, diag):
        self.ctx.diags.append(diag)

    def check(self) -> None:
        d = self.d
        what = f"dashboard {d.title!r}"
        self.datasource(d.datasource, what, "datasource")
        self.variables()
        for k, a in enumerate(d.annotations):
            loc = ("annotations", k)
            self.datasource(a.datasource, f"{what}, annotation {a.name!r}", *loc, "datasource")
            if a.expr is not None and self.sources.ref(a.datasource, d)["type"] == "prometheus":
                self.promql(a.expr, f"{what}, annotation {a.name!r}", *loc, "expr")
            self.used(a.expr or "", f"{what}, annotation {a.name!r}", *loc, "expr")
            self.extra(a.extra, f"{what}, annotation {a.name!r}", *loc)
        for loc, p in d.all_panels():
            row = d.panels[loc[1]] if len(loc) == 4 else None
            self.panel(p, row, loc)
        if any(p.y is not None for _, p in d.all_panels()):
            self.positions()
        self.extra(d.extra, what)

    # -- layout
    def positions(self) -> None:
        """Explicit positions Grafana would not keep: it sorts panels by position (a panel of an
        open row belongs to the row above it) and pushes overlapping panels down."""
        d = self.d
        placed = layout(d.panels)
        rows = [pos.y for p, (pos, _) in zip(d.panels, placed) if p.is_row]
        flat: list[tuple[tuple, object, object]] = []  # (loc, spec, pos) on the dashboard's grid
        for j, (p, (pos, inner)) in enumerate(zip(d.panels, placed)):
            if not p.is_row:
                flat.append((("panels", j), p, pos))
                continue
            if p.collapsed:
                continue  # Grafana places a collapsed row's panels again when it opens
            nxt = next((y for y in rows if y > pos.y), None)
            for k, (c, cpos) in enumerate(zip(p.panels or [], inner)):
                flat.append((("panels", j, "panels", k), c, cpos))
                if c.y is not None and (cpos.y <= pos.y or (nxt is not None and cpos.y >= nxt)):
                    self.add(warning("OBS072", f"dashboard {d.title!r}, panel {c.title!r}: y {cpos.y} is outside its "
                                               f"row {p.title!r} (rows {pos.y}..{'' if nxt is None else nxt - 1}): "
                                               "Grafana shows it in another row",
                                     self.at("panels", j, "panels", k, "y"),
                                     hint="y is a position on the whole dashboard, as Grafana stores it"))
        first_row = min(rows, default=None)
        for j, p in enumerate(d.panels):
            pos = placed[j][0]
            if not p.is_row and p.y is not None and first_row is not None and pos.y > first_row:
                self.add(warning("OBS072", f"dashboard {d.title!r}, panel {p.title!r}: y {pos.y} is below the first "
                                           "row: Grafana shows it in a row", self.at("panels", j, "y"),
                                 hint="put it in that row's `panels`"))
        for n, (loc, p, pos) in enumerate(flat):
            for loc2, q, qpos in flat[:n]:
                if (p.y is not None or q.y is not None) and pos.x < qpos.x + qpos.w and qpos.x < pos.x + pos.w \
                        and pos.y < qpos.y + qpos.h and qpos.y < pos.y + pos.h:
                    self.add(warning("OBS072", f"dashboard {d.title!r}, panel {p.title!r} overlaps panel "
                                               f"{q.title!r}: Grafana pushes one of them down",
                                     self.at(*loc, "y" if p.y is not None else "title")))
                    break

    # -- variables
    def variables(self) -> None:
        d, what = self.d, f"dashboard {self.d.title!r}"
        before: set[str] = set()
        for k, v in enumerate(d.variables):
            loc = ("variables", k)
            self.datasource(v.datasource, f"{what}, variable {v.name!r}", *loc, "datasource")
            if v.query:
                for name in undefined(v.query, set(self.declared)):
                    self.add(error("OBS065", f"{what}, variable {v.name!r}: its query uses ${name}, which the "
                                             f"dashboard does not declare", self.at(*loc, "query"),
                                   hint=HINT_BUILTINS))
                later = [r.name for r in references(v.query) if r.name in self.declared and r.name not in before]
                for name in dict.fromkeys(later):
                    if name == v.name:
                        self.add(error("OBS065", f"{what}, variable {v.name!r}: its query uses itself",
                                       self.at(*loc, "query")))
                    else:
                        self.add(warning("OBS065", f"{what}, variable {v.name!r}: its query uses ${name}, "
                                                   f"declared after it: Grafana shows the variables in order, so "
                                                   f"the one it depends on comes later", self.at(*loc, "query"),
                                         hint=f"move {name} before {v.name}"))
            if v.type == "query" and v.query and self.sources.ref(v.datasource, d)["type"] == "prometheus":
                self.variable_query(v.query, f"{what}, variable {v.name!r}", *loc, "query")
            self.extra(v.extra, f"{what}, variable {v.name!r}", *loc)
            before.add(v.name)

    def variable_query(self, query: str, what: str, *loc) -> None:
        """Prometheus variable queries: label_values(...), query_result(...) and the other helpers
        wrap PromQL; that PromQL must parse."""
        inner = variable_promql(query)
        if inner is not None:
            self.promql(inner, what, *loc)

    # -- panels
    def panel(self, p: PanelSpec, row: PanelSpec | None, loc: tuple) -> None:
        d = self.d
        what = f"dashboard {d.title!r}, {'row' if p.is_row else 'panel'} {p.title!r}"
        self.datasource(p.datasource, what, *loc, "datasource")
        if p.repeat:
            self.repeat(p.repeat, what, *loc)
        if p.interval:
            self.used(p.interval, what, *loc, "interval")
        if not p.is_row and not p.queries and p.kind in PANEL_TYPES and p.kind not in QUERYLESS \
                and self.sources.panel(p, d, row)["type"] in ("prometheus", "loki"):
            self.add(warning("OBS073", f"{what}: no query, so the panel shows no data", self.at(*loc, "title"),
                             hint="add `queries`"))
        if p.kind in PANEL_TYPES:
            for key in sorted(p.model_fields_set & set(SETTING_KINDS)):
                if p.kind not in SETTING_KINDS[key]:
                    self.add(warning("OBS049", f"{what}: `{key}` is a setting of {_kinds(SETTING_KINDS[key])} "
                                               f"panels; a {p.kind} panel ignores it", self.at(*loc, key),
                                     hint="set the panel's `type`, or remove the setting"))
        if p.type in LEGACY_PANEL_TYPES:
            self.add(note("OBS068", f"{what}: {p.type} is Grafana's legacy panel; it is written as a "
                                    f"{LEGACY_PANEL_TYPES[p.type]} panel, as Grafana migrates it",
                          self.at(*loc, "type")))
        elif not p.is_row and p.type not in PANEL_TYPES:
            self.add(note("OBS068", f"{what}: {p.type} is a plugin panel obsgen does not model: its settings are "
                                    f"written from `extra` as given", self.at(*loc, "type"),
                          hint="Grafana needs the plugin installed"))
        ref_ids = set()
        for k, q in enumerate(p.queries):
            qloc = (*loc, "queries", k)
            qwhat = f"{what}: query"
            if q.datasource == "mixed":
                self.add(error("OBS021", f"{qwhat} {k + 1}: `mixed` is for panels; a query names the datasource "
                                         f"it reads", self.at(*qloc, "datasource")))
            else:
                self.datasource(q.datasource, qwhat, *qloc, "datasource")
            rid = q.ref_id or ref_id(k)  # what the target writes: explicit ids and A, B, ... can meet
            if rid in ref_ids:
                self.add(error("OBS020", f"{what}: two queries have ref_id {rid!r}",
                               self.at(*qloc, "ref_id" if q.ref_id else "expr")))
            ref_ids.add(rid)
            if q.interval:
                self.used(q.interval, qwhat, *qloc, "interval")
            if q.expr is not None:
                self.used(q.expr, qwhat, *qloc, "expr")
                if self.sources.plugin_of(q, p, d, row) == "prometheus":
                    self.promql(q.expr, qwhat, *qloc, "expr")
            self.extra(q.extra, f"{qwhat} {k + 1}", *qloc)
        for k, o in enumerate(p.overrides):
            if o.match.query is not None and p.queries:
                ids = {q.ref_id or ref_id(n) for n, q in enumerate(p.queries)}
                if o.match.query not in ids:
                    self.add(warning("OBS021", f"{what}: the override matches query {o.match.query!r}, which the "
                                               f"panel does not have: it changes nothing",
                                     self.at(*loc, "overrides", k, "match", "query"),
                                     hint=f"its queries: {', '.join(sorted(ids))}"))
        self.extra(p.extra, what, *loc)

    def repeat(self, name: str, what: str, *loc) -> None:
        v = self.declared.get(name)
        if v is None:
            self.add(error("OBS065", f"{what}: repeats over ${name}, which the dashboard does not declare",
                           self.at(*loc, "repeat")))
        elif not (v.multi or v.include_all):
            self.add(warning("OBS065", f"{what}: repeats over ${name}, which takes one value at a time (neither "
                                       f"multi nor include_all): there is only ever one copy",
                             self.at(*loc, "repeat"), hint=f"set multi: true on variable {name}"))

    # -- references
    def datasource(self, ref: str | None, what: str, *loc) -> None:
        if ref is None:
            return
        name = variable_name(ref)
        if name is not None:
            v = self.declared.get(name)
            if v is None:
                self.add(error("OBS065", f"{what}: datasource ${name} is a variable the dashboard does not declare",
                               self.at(*loc), hint="declare it: {name: %s, type: datasource, plugin: prometheus}"
                                                   % name))
            elif v.type != "datasource":
                self.add(error("OBS021", f"{what}: datasource ${name} is a {v.type} variable, not a datasource "
                                         f"variable", self.at(*loc)))
        elif not self.sources.known(ref, self.d):
            known = sorted(n for n in self.sources.named) + ["mixed", "dashboard", "grafana"]
            self.ctx.ref(ref, set(known), "datasource", "dashboards", self.i, *loc)

    def used(self, text: str, what: str, *loc) -> None:
        for name in undefined(text, set(self.declared)):
            self.add(error("OBS065", f"{what} uses ${name}, which the dashboard does not declare: Grafana sends "
                                     f"it as written and the panel shows nothing", self.at(*loc), hint=HINT_BUILTINS))

    def promql(self, expr: str, what: str, *loc) -> None:
        if not expr.strip():
            return
        problem = promql_error(GRAFANA_VARS.sub(GRAFANA_RANGE, for_promql(expr)))
        if problem:
            self.add(promql_diag(problem, what, self.at(*loc), "check brackets, `by (...)` placement and operators"))

    def extra(self, extra: dict, what: str, *loc) -> None:
        if extra:
            keys = ", ".join(_paths(extra)[:6]) + (", ..." if len(_paths(extra)) > 6 else "")
            self.add(note("OBS068", f"{what}: `extra` sets {keys}, which obsgen does not model: written as given",
                          self.at(*loc, "extra")))


def _paths(extra: dict, prefix: str = "") -> list[str]:
    out = []
    for key, value in extra.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value and len(out) < 7:
            out += _paths(value, path)
        else:
            out.append(path)
    return out


