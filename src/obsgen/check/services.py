"""Services: scrape and probe timeouts, rule groups and jobs unique, probes, body regexes, logs,
the metric catalog, PromQL and templates of alerts and recording rules, instrumentation modules."""
from __future__ import annotations

import keyword
import re
import sys

from obsgen.check.context import Context
from obsgen.check.expressions import promql_diag, promql_error, template_error
from obsgen.core import naming
from obsgen.core.diagnostics import error, warning
from obsgen.core.regex import re2_problem
from obsgen.load.yaml import YMap, YSeq
from obsgen.resolve.derived import alerts as derived_alerts
from obsgen.resolve.merge import as_str as _str

# A series as promtool's input_series and exp_samples take it: a name and equality matchers.
_SERIES = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*\s*(\{\s*([a-zA-Z_][a-zA-Z0-9_]*\s*=\s*"(?:[^"\\]|\\.)*"\s*,?\s*)*\})?$')


class ServiceChecks(Context):
    def _rules_per_team(self) -> tuple[bool, str]:
        """Whether the output target writes a service's rule groups into one file (or Mimir namespace,
        or PrometheusRule) per team, and what that is called."""
        out, g = self.sections.get("output"), self.sections.get("global")
        target = out.target if out else "files"
        if target == "operator":
            return out.operator.rules_per == "team", "one PrometheusRule per team (output.operator.rules_per)"
        if target == "mimir":
            return out.mimir.namespaces == "team", "one Mimir namespace per team (output.mimir.namespaces)"
        return (g.rule_files_per == "team" if g else False), "one rule file per team (global.rule_files_per)"

    def services(self):
        jobs: dict[str, str] = {}
        # Prometheus (and Mimir, per namespace) wants group names unique within a rule file; obsgen
        # writes a file per service, or per team (global.rule_files_per, output.operator.rules_per,
        # output.mimir.namespaces), so two services may share a group name unless one file holds both.
        per_team, where = self._rules_per_team()
        groups: dict[tuple[str, str], str] = {}
        # SLO groups are named <service>-slo-<slo>.
        slo_groups = {(s.team if per_team else s.name, f"{s.name}-slo-{o.name}"): s.name
                      for _, s in self.svcs for o in s.slos}
        g = self.sections["global"]
        for i, s in self.svcs:
            if s.scrape and s.scrape.timeout:
                interval = s.scrape.interval or g.scrape_interval
                if naming.duration_seconds(s.scrape.timeout) > naming.duration_seconds(interval):
                    self.diags.append(error(
                        "OBS038", f"service {s.name!r}: scrape timeout {s.scrape.timeout} is longer than its scrape "
                                  f"interval {interval}", self.at("services", i, "scrape", "timeout"),
                        hint="Prometheus refuses that; set `interval` too, or a shorter timeout"))
            group = s.rule_group.name or s.name
            key = (s.team if per_team else s.name, group)
            at = self.at("services", i, "rule_group", "name") if s.rule_group.name else self.at("services", i, "name")
            if key in slo_groups:
                self.diags.append(error("OBS020", f"rule group {group!r} is the name of an SLO group of service "
                                                  f"{slo_groups[key]!r}", at, hint="set rule_group.name to another name"))
            elif key in groups:
                self.diags.append(error("OBS020", f"rule group {group!r} is already used by service {groups[key]!r}, "
                                                  f"and {where} holds the groups of both",
                                        at, hint="set rule_group.name to tell the groups apart"))
            groups.setdefault(key, s.name)
            if s.scrape:
                job = s.scrape.job or s.name
                if job in jobs:
                    self.diags.append(error("OBS020", f"scrape job {job!r} is already used by service "
                                                      f"{jobs[job]!r}", self.at("services", i, "scrape")))
                jobs.setdefault(job, s.name)
            self.probes(i, s, jobs)
            self.logs(i, s)
            self.written_tests(i, s)
        self.instrumentation()
        for i, s in self.items("services"):
            name = _str(s.get("name")) or f"#{i + 1}"
            metrics = s.get("metrics")
            seen: set[str] = set()
            for j, m in enumerate(metrics if isinstance(metrics, YSeq) else []):
                metric = _str(m.get("name")) if isinstance(m, YMap) else None
                if metric in seen:
                    self.diags.append(error("OBS020", f"metric {metric!r} is declared twice in service {name!r}",
                                            self.at("services", i, "metrics", j, "name")))
                if metric:
                    seen.add(metric)
            records = s.get("recording_rules")
            for j, r in enumerate(records if isinstance(records, YSeq) else []):
                expr = _str(r.get("expr")) if isinstance(r, YMap) else None
                problem = promql_error(expr) if expr and expr.strip() else None
                if problem:
                    self.diags.append(promql_diag(problem, f"recording rule {r.get('record')}: expr",
                                                  self.at("services", i, "recording_rules", j, "expr"),
                                                  "check brackets, `by (...)` placement and operators"))
            # One name may have a rule per severity (warning at 80%, critical at 95%), or several of one
            # severity told apart by their labels (the long and short windows of a burn-rate alert), as
            # Prometheus allows; the same name, severity and labels twice would be one alert twice.
            alerts: set[tuple[str, object, object]] = set()
            for j, a in self.alerts(s):
                alert = _str(a.get("name"))
                labels = a.get("labels")
                own = {k: _str(a.get(k)) for k in ("team", "category") if a.get(k) is not None}
                key = (alert, _str(a.get("severity")),
                       tuple(sorted([(str(k), str(v)) for k, v in labels.items()] if isinstance(labels, YMap) else [])
                             + sorted(own.items())))
                if alert and key in alerts:
                    # Prometheus takes it (two conditions of one alert, as Loki's mixin writes), but when
                    # both fire for the same series Alertmanager gets one alert.
                    self.diags.append(warning("OBS085", f"alert {alert!r} with severity {a.get('severity')} has "
                                                        f"two rules in service {name!r} with the same labels: when "
                                                        f"both fire for the same series, Alertmanager sees one alert",
                                              self.at("services", i, "alerts", j, "name"),
                                              hint="if the conditions can hold at once, give one rule a label "
                                                   "that tells them apart, or rename it"))
                if alert:
                    alerts.add(key)
                expr = _str(a.get("expr"))
                problem = promql_error(expr) if expr and expr.strip() else None
                if problem:
                    self.diags.append(promql_diag(problem, f"alert {alert}: expr",
                                                  self.at("services", i, "alerts", j, "expr"),
                                                  "check brackets, `by (...)` placement and operators"))
                # Prometheus expands templates in every label and annotation value.
                texts = [((field,), a.get(field)) for field in ("summary", "description", "runbook_url")]
                for block in ("labels", "annotations"):
                    if isinstance(a.get(block), YMap):
                        texts += [((block, k), v) for k, v in a[block].items()]
                for loc, text in texts:
                    bad = template_error(text) if isinstance(text, str) else None
                    if bad:
                        self.diags.append(error("OBS031", f"alert {alert}: {'.'.join(loc)}: {bad}",
                                                self.at("services", i, "alerts", j, *loc)))

    def written_tests(self, i: int, s):
        """Tests written next to alerts and recording rules: their series are series selectors, and
        what a firing case says it checks is what the alert can have."""
        def selector(text: str, *loc) -> None:
            problem = promql_error(text)
            if problem is None and not _SERIES.fullmatch(text.strip()):
                problem = "not a series: a metric name with label matchers written `=`"
            if problem:
                self.diags.append(error("OBS086", f"{text!r}: {problem}", self.at(*loc),
                                        hint='e.g. http_requests_total{job="api", code="500"}'))

        for j, a in enumerate(s.alerts):
            templated = sorted(k for k, v in {**a.annotations, "summary": a.summary or "",
                                              "description": a.description or ""}.items() if "{{" in v)
            for k, t in enumerate(a.tests):
                loc = ("services", i, "alerts", j, "tests", k)
                for sel in t.series:
                    selector(sel, *loc, "series", sel)
                own = sorted(set(t.labels or {}) & {"alertname", "alertstate", *naming.ALERT_LABELS, *a.labels})
                if own:
                    self.diags.append(error("OBS086", f"alert {a.name}, test {k + 1}: labels {', '.join(own)} are the "
                                                      f"rule's own: give only those the alert takes from its series",
                                            self.at(*loc, "labels")))
                missing = [key for key in templated if t.annotations is not None and key not in t.annotations]
                if missing:
                    self.diags.append(error(
                        "OBS086", f"alert {a.name}, test {k + 1}: annotations {', '.join(missing)} are templates: "
                                  f"give their rendered text too (promtool compares every annotation)",
                        self.at(*loc, "annotations")))
                if t.annotations is not None and t.labels is None:
                    self.diags.append(error("OBS086", f"alert {a.name}, test {k + 1}: annotations are checked on "
                                                      f"the alert with its labels: give `labels` too",
                                            self.at(*loc, "annotations")))
        for j, r in enumerate(s.recording_rules):
            for k, t in enumerate(r.tests):
                loc = ("services", i, "recording_rules", j, "tests", k)
                for sel in t.series:
                    selector(sel, *loc, "series", sel)
                for sel in t.expect:
                    selector(sel, *loc, "expect", sel)

    def probes(self, i: int, s, jobs: dict[str, str]):
        seen: set[str] = set()
        for k, p in enumerate(s.probes):
            if p.name in seen:
                self.diags.append(error("OBS020", f"probe {p.name!r} is defined twice in service {s.name!r}",
                                        self.at("services", i, "probes", k, "name")))
                continue
            seen.add(p.name)
            job = naming.probe_job(s.name, p.name)
            if job in jobs:
                self.diags.append(error("OBS020", f"probe {p.name!r} scrapes as job {job!r}, which service "
                                                  f"{jobs[job]!r} already uses", self.at("services", i, "probes", k,
                                                                                         "name")))
            jobs.setdefault(job, s.name)
            if p.http:
                self.body_regexes(i, k, p)
            if p.timeout and naming.duration_seconds(p.timeout) > naming.duration_seconds(
                    p.interval or self.sections["global"].scrape_interval):
                self.diags.append(error("OBS038", f"probe {p.name!r}: timeout {p.timeout} is longer than its "
                                                  "interval", self.at("services", i, "probes", k, "timeout"),
                                        hint="Prometheus refuses that; set `interval` too, or a shorter timeout"))
        # Derived alerts must not clash with the service's own (name and severity).
        own = {(a.name, a.severity) for a in s.alerts}
        for d in derived_alerts(s, self.sections.get("logging")):
            if (d.spec.name, d.spec.severity) in own:
                self.diags.append(error("OBS020", f"service {s.name!r} defines alert {d.spec.name!r} "
                                                  f"({d.spec.severity}), which obsgen generates for "
                                                  f"{'.'.join(map(str, d.origin))}",
                                        self.at("services", i, *d.origin),
                                        hint="rename the service's own alert"))

    def body_regexes(self, i: int, k: int, p):
        for key in ("body_matches", "body_not_matches"):
            for n, pattern in enumerate(getattr(p.http, key)):
                problem = re2_problem(pattern)
                if problem:
                    self.diags.append(error(
                        "OBS036", f"probe {p.name!r}: {key}[{n}] {pattern!r} is not a regular expression the "
                                  f"blackbox exporter (Go, RE2) accepts: {problem}",
                        self.at("services", i, "probes", k, "http", key, n),
                        hint="RE2 has no lookarounds ((?=, (?!, (?<=) and no backreferences (\\1); name groups "
                             "(?P<name>...)"))

    def logs(self, i: int, s):
        if s.logs is not None and self.sections.get("logging") is None:
            self.diags.append(error("OBS039", f"service {s.name!r} ships its logs, but the spec has no `logging` "
                                              "section saying where to", self.at("services", i, "logs"),
                                    hint="add a top-level `logging:` (Elasticsearch and retention), or remove "
                                         "`logs`"))

    def instrumentation(self):
        """Generated Python modules must be importable and unique; a catalog's metrics must not
        expose the same series (client libraries refuse that at import, Prometheus mixes them up)."""
        modules: dict[str, str] = {}
        for i, s in self.svcs:
            series: dict[str, str] = {}
            # Only where obsgen writes the instrumentation: exporters do expose x and x_total as two
            # metrics (kube-apiserver's aggregator_unavailable_apiservice and ..._total).
            for j, m in enumerate(s.metrics if s.instrumentation.python is not None else []):
                for name in naming.series_of(m.name, m.type):
                    if name in series and series[name] != m.name:
                        self.diags.append(error(
                            "OBS020", f"metric {m.name!r} would expose series {name!r}, which metric "
                                      f"{series[name]!r} of service {s.name!r} exposes too",
                            self.at("services", i, "metrics", j, "name"),
                            hint="a counter x_total is also x and x_created; a histogram h is h_bucket, h_sum, "
                                 "h_count and h_created"))
                        break
                    series.setdefault(name, m.name)
            python = s.instrumentation.python
            if python is None:
                continue
            for j, m in enumerate(s.metrics):
                if m.type == "counter" and not m.name.endswith("_total"):
                    # prometheus_client names a counter's series <name>_total: the module would
                    # expose another series than the catalog says.
                    self.diags.append(error(
                        "OBS032", f"service {s.name!r}: counter {m.name!r} does not end in _total, and the "
                                  f"generated Python module would expose it as {m.name}_total",
                        self.at("services", i, "metrics", j, "name"),
                        hint=f"name it {m.name}_total, or leave instrumentation.python out for this service"))
            module = naming.python_module(s.name, python.module)
            where = ("services", i, "instrumentation", "python", "module") if python.module else ("services", i, "name")
            if keyword.iskeyword(module) or module in sys.stdlib_module_names or module == "prometheus_client" \
                    or not module.isidentifier():
                self.diags.append(error("OBS032", f"service {s.name!r}: {module!r} cannot be the name of the "
                                                  f"generated Python module (a keyword, not an identifier, or it "
                                                  f"would shadow a module it imports)", self.at(*where),
                                        hint="set instrumentation.python.module to another name"))
            if module in modules:
                self.diags.append(error("OBS020", f"service {s.name!r}: Python module {module!r} is already "
                                                  f"generated for service {modules[module]!r}", self.at(*where),
                                        hint="set instrumentation.python.module"))
            modules.setdefault(module, s.name)
