"""Names and references: each team, service and dashboard uid once, and every reference to a
team or service pointing at one that exists."""
from __future__ import annotations

from obsgen.check.context import Context
from obsgen.load.yaml import YMap


class ReferenceChecks(Context):
    def references(self, teams: set[str], services: set[str]):
        for i, s in self.items("services"):
            self.ref(s.get("team"), teams, "team", "services", i, "team")
            for j, a in self.alerts(s):
                self.ref(a.get("team"), teams, "team", "services", i, "alerts", j, "team")
        for i, d in self.items("dashboards"):
            self.ref(d.get("team"), teams, "team", "dashboards", i, "team")
        routing = self.tree.get("routing")
        if isinstance(routing, YMap):
            self.ref(routing.get("default_team"), teams, "team", "routing", "default_team")
            categories = routing.get("categories")
            if isinstance(categories, YMap):
                for cat, c in categories.items():
                    if isinstance(c, YMap):
                        self.ref(c.get("team"), teams, "team", "routing", "categories", cat, "team")
        sampling = (self.tree.get("tracing") or {}).get("sampling") if isinstance(self.tree.get("tracing"), YMap) else None
        if isinstance(sampling, YMap) and isinstance(sampling.get("services"), YMap):
            for name in sampling["services"]:
                self.ref(name, services, "service", "tracing", "sampling", "services", name, "[key]")
