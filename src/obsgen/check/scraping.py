"""Scraping as Prometheus says it: settings the targeted Prometheus has (OBS082), relabelling
Prometheus accepts, one way to say each thing, what the operator target cannot write (OBS045),
TLS verification turned off (OBS083), and the escape hatches reported (OBS084)."""
from __future__ import annotations

import re

from obsgen.check.context import Context
from obsgen.core.diagnostics import error, warning
from obsgen.core.regex import re2_problem
from obsgen.spec.scraping import DISCOVERY, GLOBAL_SCRAPE, HTTP, QUEUE, REMOTE_READ, REMOTE_WRITE, SCRAPE, version_of

_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_AUTH = ("basic_auth", "authorization", "oauth2", "bearer_token_file")


class ScrapingChecks(Context):
    def scraping(self):
        g = self.sections.get("global")
        if g is None:
            return
        version = version_of(g.prometheus_version)

        def gate(what: str, since, until, *loc):
            if since and version < since:
                self.diags.append(error("OBS082", f"{what} needs Prometheus {since[0]}.{since[1]} or later, and the "
                                                  f"spec targets {g.prometheus_version} (global.prometheus_version)",
                                        self.at(*loc), hint="raise global.prometheus_version once Prometheus is "
                                                            "upgraded, or leave the setting out"))
            if until and version >= until:
                self.diags.append(error("OBS082", f"{what} was removed in Prometheus {until[0]}.{until[1]}, and the "
                                                  f"spec targets {g.prometheus_version}", self.at(*loc)))

        def settings(model, table: dict, what: str, *loc):
            for key in model.settings():
                if key in table:
                    _, since, until = table[key]
                    gate(f"{what} {key}", since, until, *loc, key)
                    if key == "tls_config":
                        self.insecure(getattr(model, key), *loc, key)
                    if key == "queue_config":
                        for q in getattr(model, key) or {}:
                            if q in QUEUE:
                                gate(f"queue_config {q}", QUEUE[q], None, *loc, key, q)

        for i, s in self.svcs:
            for key, since in (("query_offset", (2, 53)), ("labels", (3, 0))):
                if getattr(s.rule_group, key):
                    gate(f"rule_group {key}", since, None, "services", i, "rule_group", key)
            sc = s.scrape
            if sc is None:
                continue
            loc = ("services", i, "scrape")
            for key in sc.model_fields_set:
                if key in SCRAPE:
                    _, since, until = SCRAPE[key]
                    gate(f"scrape {key}", since, until, *loc, key)
                elif key in HTTP:
                    _, since, until = HTTP[key]
                    gate(f"scrape {key}", since, until, *loc, key)
                elif key.endswith("_sd_configs"):
                    kind = key.removesuffix("_sd_configs")
                    since, fields, _, _ = DISCOVERY[kind]
                    gate(key, since, None, *loc, key)
                    for k, entry in enumerate(getattr(sc, key)):
                        for setting in entry.settings():
                            spec = fields.get(setting) or HTTP.get(setting)
                            if spec:
                                gate(f"{key} {setting}", spec[1], spec[2] if len(spec) == 3 else None,
                                     *loc, key, k, setting)
            if sc.tls_config is not None:
                self.insecure(sc.tls_config, *loc, "tls_config")
            if sc.tls_config is not None and sc.ca_file:
                self.diags.append(error("OBS020", "scrape gives ca_file and tls_config: give the CA in "
                                                  "tls_config.ca_file", self.at(*loc, "tls_config")))
            auth = [k for k in _AUTH if getattr(sc, k, None)]
            if len(auth) > 1:
                self.diags.append(error("OBS020", f"scrape gives {' and '.join(auth)}: Prometheus takes one way to "
                                                  "authenticate", self.at(*loc, auth[1])))
            if sc.kubernetes is not None and sc.kubernetes_sd_configs:
                self.diags.append(error("OBS020", "scrape gives kubernetes and kubernetes_sd_configs: the first "
                                                  "writes the second", self.at(*loc, "kubernetes_sd_configs")))
            for field in ("relabel_configs", "metric_relabel_configs"):
                for k, rule in enumerate(getattr(sc, field)):
                    self.relabel(rule, *loc, field, k)
            if sc.extra:
                for key in sc.extra:
                    if key in SCRAPE or key in HTTP or key in ("job_name", "static_configs", "relabel_configs",
                                                               "metric_relabel_configs", "scrape_interval",
                                                               "scrape_timeout", "metrics_path", "scheme") \
                            or key.endswith("_sd_configs"):
                        self.diags.append(error("OBS020", f"scrape.extra.{key}: obsgen models this setting; give it "
                                                          "as a field of scrape", self.at(*loc, "extra", key)))
                    else:
                        self.diags.append(warning("OBS084", f"scrape.extra.{key}: written into job "
                                                            f"{sc.job or s.name!r} as given, unchecked by obsgen",
                                                  self.at(*loc, "extra", key)))
        if g.scrape_defaults is not None:
            settings(g.scrape_defaults, GLOBAL_SCRAPE, "global", "global", "scrape_defaults")
        for k, rw in enumerate(g.remote_write):
            settings(rw, {**REMOTE_WRITE, **HTTP}, "remote_write", "global", "remote_write", k)
            for n, rule in enumerate(rw.write_relabel_configs):
                self.relabel(rule, "global", "remote_write", k, "write_relabel_configs", n)
        for k, rr in enumerate(g.remote_read):
            settings(rr, {**REMOTE_READ, **HTTP}, "remote_read", "global", "remote_read", k)
        for n, rule in enumerate(g.alert_relabel_configs):
            self.relabel(rule, "global", "alert_relabel_configs", n)
        for k, job in enumerate(g.extra_scrape_jobs):
            self.diags.append(warning("OBS084", f"global.extra_scrape_jobs[{k}] ({job.get('job_name', '?')}): "
                                                "written into prometheus.yml as given, unchecked by obsgen",
                                      self.at("global", "extra_scrape_jobs", k)))
        for key in g.prometheus_extra:
            self.diags.append(warning("OBS084", f"global.prometheus_extra.{key}: written into prometheus.yml as "
                                                "given, unchecked by obsgen", self.at("global", "prometheus_extra", key)))
        self.operator_scraping(g)

    def insecure(self, tls, *loc):
        if isinstance(tls, dict) and tls.get("insecure_skip_verify") is True:
            self.diags.append(warning("OBS083", "tls_config.insecure_skip_verify: the targets' certificates are "
                                                "not verified (anyone on the path can impersonate them)",
                                      self.at(*loc, "insecure_skip_verify"),
                                      hint="give tls_config.ca_file instead, with the CA that signed them"))

    def relabel(self, rule, *loc):
        if rule.regex is not None:
            problem = re2_problem(rule.regex)
            if problem:
                self.diags.append(error("OBS036", f"relabel regex {rule.regex!r}: not a regular expression "
                                                  f"Prometheus (Go, RE2) accepts: {problem}", self.at(*loc, "regex")))
        target = rule.target_label
        if target is not None and not _LABEL.fullmatch(target) and not (
                (rule.action or "replace") == "replace" and "$" in target):
            self.diags.append(error("OBS011", f"relabel target_label {target!r} is not a label name",
                                    self.at(*loc, "target_label")))
        for label in rule.source_labels or ():
            if not _LABEL.fullmatch(label):
                self.diags.append(error("OBS011", f"relabel source label {label!r} is not a label name",
                                        self.at(*loc, "source_labels")))

    def operator_scraping(self, g):
        out = self.sections["output"]
        if out.target != "operator":
            return
        short = {"static", "kubernetes", "exporter", "job", "interval", "timeout", "metrics_path", "scheme",
                 "ca_file", "bearer_token_file", "labels"}
        for i, s in self.svcs:
            sc = s.scrape
            for key in sorted((sc.model_fields_set - short) if sc else ()):
                self.diags.append(error("OBS045", f"scrape.{key}: the operator target does not write Prometheus' "
                                                  "own scrape settings yet", self.at("services", i, "scrape", key),
                                        hint="use the files target for this service's job"))
        for key in ("remote_write", "remote_read", "alertmanager_configs", "alert_relabel_configs",
                    "extra_scrape_jobs", "prometheus_extra", "scrape_defaults"):
            if getattr(g, key):
                self.diags.append(error("OBS045", f"global.{key}: the Prometheus Operator's resources do not carry "
                                                  "it as obsgen writes them", self.at("global", key),
                                        hint="set it on the Prometheus resource, or use the files target"))
