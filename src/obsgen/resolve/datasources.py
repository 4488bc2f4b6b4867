"""Grafana datasources: what a dashboard's `datasource: ...` reference stands for.

A reference is the name of a `datasources` entry, the default datasource's uid
(global.datasource), a datasource variable ($ds), or one of Grafana's own (mixed, dashboard,
grafana). The target writes the {type, uid} object Grafana stores; the checks use the plugin
type to decide how a query is read (PromQL for prometheus, LogQL for loki, not at all otherwise).
"""
from __future__ import annotations

from obsgen.spec import DashboardSpec, PanelSpec, ProjectSpec, QuerySpec

GRAFANA_OWN = {
    "mixed": {"type": "datasource", "uid": "-- Mixed --"},
    "dashboard": {"type": "datasource", "uid": "-- Dashboard --"},
    "grafana": {"type": "grafana", "uid": "grafana"},
}
# A datasource variable whose plugin is unknown (declared nowhere) is read as Prometheus.
DEFAULT_PLUGIN = "prometheus"


def variable_name(ref: str) -> str | None:
    """`$ds` or `${ds}` -> "ds"; None for other references."""
    if not ref.startswith("$"):
        return None
    return ref[1:].removeprefix("{").removesuffix("}")


class Datasources:
    def __init__(self, spec: ProjectSpec):
        ds = spec.global_.datasource
        self.default = {"type": ds.type, "uid": ds.uid}
        self.named = {d.name: {"type": d.type, "uid": d.uid} for d in spec.datasources}
        self.named.setdefault(ds.uid, self.default)

    def known(self, ref: str, dashboard: DashboardSpec) -> bool:
        name = variable_name(ref)
        if name is not None:
            return any(v.name == name and v.type == "datasource" for v in dashboard.variables)
        return ref in GRAFANA_OWN or ref in self.named

    def ref(self, ref: str | None, dashboard: DashboardSpec) -> dict:
        """The {type, uid} object Grafana stores for a reference (unknown ones: the default)."""
        if ref is None:
            return dict(self.default) if dashboard.datasource is None else self.ref(dashboard.datasource, dashboard)
        name = variable_name(ref)
        if name is not None:
            return {"type": self._variable_plugin(name, dashboard), "uid": f"${{{name}}}"}
        return dict(GRAFANA_OWN.get(ref) or self.named.get(ref) or self.default)

    def panel(self, panel: PanelSpec, dashboard: DashboardSpec, row: PanelSpec | None = None) -> dict:
        return self.ref(panel.datasource or (row.datasource if row else None), dashboard)

    def query(self, query: QuerySpec, panel: PanelSpec, dashboard: DashboardSpec,
              row: PanelSpec | None = None) -> dict:
        if query.datasource:
            return self.ref(query.datasource, dashboard)
        own = self.panel(panel, dashboard, row)
        if own["uid"] in ("-- Mixed --", "-- Dashboard --"):
            return own if own["uid"] == "-- Dashboard --" else self.ref(None, dashboard)
        return own

    def plugin_of(self, query: QuerySpec, panel: PanelSpec, dashboard: DashboardSpec,
                  row: PanelSpec | None = None) -> str:
        """The plugin type that answers a query: how its `expr` is to be read."""
        return self.query(query, panel, dashboard, row)["type"]

    @staticmethod
    def _variable_plugin(name: str, dashboard: DashboardSpec) -> str:
        for v in dashboard.variables:
            if v.name == name and v.type == "datasource" and v.plugin:
                return v.plugin
        return DEFAULT_PLUGIN
