"""SLOs: unique, their generated alerts not clashing, SLI PromQL, latency buckets, alerting that can fire."""
from __future__ import annotations

from obsgen.check.context import Context
from obsgen.check.expressions import promql_diag, promql_error, sli_exprs, template_error
from obsgen.core.diagnostics import error, warning
from obsgen.load.yaml import YMap, YSeq
from obsgen.resolve.merge import DEFAULT_BUCKETS
from obsgen.resolve.slo import SLO, warnings_for
from obsgen.spec.parse import did_you_mean


class SLOChecks(Context):
    def slos(self, teams: set[str]):
        for i, s in self.items("services"):
            slos = s.get("slos")
            for j, o in enumerate(slos if isinstance(slos, YSeq) else []):
                alerting = o.get("alerting") if isinstance(o, YMap) else None
                if isinstance(alerting, YMap):
                    self.ref(alerting.get("team"), teams, "team", "services", i, "slos", j, "alerting", "team")
        for i, s in self.svcs:
            names: set[str] = set()
            alert_names = {a.name for a in s.alerts}
            catalog = {m.name: m for m in s.metrics}
            for j, o in enumerate(s.slos):
                at = ("services", i, "slos", j)
                if o.name in names:
                    self.diags.append(error("OBS020", f"SLO {o.name!r} is defined twice in service {s.name!r}",
                                            self.at(*at, "name")))
                names.add(o.name)
                for rule_name in (f"{SLO(s, o, s.team).alert_base}BudgetBurn{t}" for t in ("Page", "Ticket")):
                    if rule_name in alert_names:
                        self.diags.append(error("OBS020", f"SLO {o.name!r} would generate alert {rule_name!r}, which "
                                                          f"service {s.name!r} already defines", self.at(*at, "name"),
                                                hint="set the SLO's alerting.name to another base name"))
                a = o.alerting
                texts = [((k,), getattr(a, k)) for k in ("summary", "description")]
                texts += [(("annotations", k), v) for k, v in a.annotations.items()]
                texts += [((f"{t}", "labels", k), v) for t in ("page", "ticket") for k, v in getattr(a, t).labels.items()]
                for loc, text in texts:
                    bad = template_error(text) if text else None
                    if bad:  # Prometheus expands templates in every label and annotation value
                        self.diags.append(error("OBS031", f"SLO {o.name!r}: alerting.{'.'.join(loc)}: {bad}",
                                                self.at(*at, "alerting", *loc)))
                for field, text in sli_exprs(o):
                    problem = promql_error(text)
                    if problem:
                        self.diags.append(promql_diag(problem, f"SLO {o.name!r}: sli.{'.'.join(field)}",
                                                      self.at(*at, "sli", *field),
                                                      "check brackets and quotes in the selector"))
                lat = o.sli.latency
                if lat is not None:
                    metric = catalog.get(lat.histogram)
                    where = self.at(*at, "sli", "latency", "histogram")
                    if metric is None or metric.type != "histogram":
                        self.diags.append(error("OBS034", f"SLO {o.name!r}: {lat.histogram!r} is not a histogram in "
                                                          f"the metric catalog of service {s.name!r}", where,
                                                hint=did_you_mean(lat.histogram, [m for m, d in catalog.items()
                                                                                  if d.type == "histogram"])))
                    else:
                        buckets = metric.buckets or DEFAULT_BUCKETS
                        if not any(abs(b - lat.threshold) < 1e-9 for b in buckets):
                            self.diags.append(error(
                                "OBS034", f"SLO {o.name!r}: no bucket of {lat.histogram} has le={lat.threshold:g}, so "
                                          f"the share of requests under it cannot be counted",
                                self.at(*at, "sli", "latency", "threshold"),
                                hint=f"buckets: {', '.join(f'{b:g}' for b in buckets)}"))
                for problem in warnings_for(o):
                    self.diags.append(warning("OBS035", f"SLO {o.name!r}: {problem}", self.at(*at, "objective"),
                                              hint="lower the objective or lengthen the period"))
