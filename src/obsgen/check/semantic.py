"""The semantic checks of one environment, split by topic (one mixin per module), run in order."""
from __future__ import annotations

from obsgen.check.batteries import BatteryChecks
from obsgen.check.context import Context
from obsgen.check.dashboards import DashboardChecks
from obsgen.check.logging import LoggingChecks
from obsgen.check.operator import OperatorChecks
from obsgen.check.references import ReferenceChecks
from obsgen.check.routing import RoutingChecks
from obsgen.check.scraping import ScrapingChecks
from obsgen.check.services import ServiceChecks
from obsgen.check.sharding import ShardingChecks
from obsgen.check.slos import SLOChecks
from obsgen.check.tracing import TracingChecks
from obsgen.core.diagnostics import Diagnostic, error
from obsgen.resolve.merge import as_str as _str
from obsgen.resolve.merge import item_name as _item_name
from obsgen.resolve.slo import dashboard_uid


class Checker(ReferenceChecks, ServiceChecks, BatteryChecks, SLOChecks, DashboardChecks, RoutingChecks, TracingChecks, LoggingChecks,
              OperatorChecks, ShardingChecks, ScrapingChecks, Context):
    """Checks across objects: names, references and expressions from the merged tree, the checks that
    need defaults from what parsed. List items keep their index in the merged tree."""

    def run(self) -> list[Diagnostic]:
        teams = self.unique("teams", [(i, _str(t.get("name"))) for i, t in self.items("teams")], "team")
        services = self.unique("services", [(i, _str(s.get("name"))) for i, s in self.items("services")], "service")
        uids = self.unique("dashboards", [(i, _item_name("dashboards", d)) for i, d in self.items("dashboards")],
                           "dashboard uid", "uid", fold=True)
        folded = {u.casefold() for u in uids}
        for i, s in self.svcs:
            if (s.slos or s.probes) and dashboard_uid(s.name).casefold() in folded:
                self.diags.append(error("OBS020", f"dashboard uid {dashboard_uid(s.name)!r} is taken by the SLO "
                                                  f"dashboard of service {s.name!r}", self.at("services", i, "slos"),
                                        hint="give the other dashboard another uid"))
        self.references(teams, services)
        self.services()
        self.batteries(services, uids)
        self.slos(teams)
        self.dashboards()
        self.routing()
        self.tracing()
        self.logging()
        self.operator()
        self.sharding()
        self.scraping()
        return self.diags
