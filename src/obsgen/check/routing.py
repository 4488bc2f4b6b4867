"""Routing: settings the targeted Alertmanager has, time intervals referenced, channels configured,
team templates that stay in their place."""
from __future__ import annotations

from obsgen.check.context import Context
from obsgen.check.expressions import template_error
from obsgen.core import naming
from obsgen.core.diagnostics import error
from obsgen.core.regex import re2_problem
from obsgen.core.routes import parse_matchers
from obsgen.load.yaml import YMap, YSeq
from obsgen.resolve.derived import alerts as derived_alerts
from obsgen.resolve.packs import offered
from obsgen.resolve.routing_table import channels_for
from obsgen.spec.integrations import GLOBAL, INTEGRATIONS, ONE_OF, REQUIRED
from obsgen.spec.parse import did_you_mean, key_pos


class RoutingChecks(Context):
    # Settings that need a newer Alertmanager than the oldest obsgen writes for: (what, version, where found).
    def am_features(self) -> list[tuple[str, tuple[int, int], tuple]]:
        r = self.sections["routing"]
        out: list[tuple[str, tuple[int, int], tuple]] = []
        for i, t in self.teams:
            if t.webhook and t.webhook.url_file:
                out.append(("webhook url_file", (0, 26), ("teams", i, "webhook", "url_file")))
            if t.pagerduty:
                out.append(("PagerDuty routing_key_file", (0, 25), ("teams", i, "pagerduty", "routing_key_file")))
            if t.sms and t.sms.sns:
                out.append(("SNS notifications", (0, 23), ("teams", i, "sms", "sns")))
        if r.time_intervals:
            out.append(("time_intervals and active_time_intervals", (0, 24), ("routing", "time_intervals")))
        for i, rc in enumerate(r.receivers):
            for kind, k, item in rc.integrations():
                key, since, fields, _, _ = INTEGRATIONS[kind]
                loc = ("routing", "receivers", i, kind, k)
                if since > (0, 22):
                    out.append((f"{key}", since, loc))
                for setting in item.settings():
                    needed = fields.get(setting, (None, None))[1]
                    if needed:
                        out.append((f"{key} {setting}", needed, (*loc, setting)))
        if r.tracing is not None:
            out.append(("tracing", (0, 30), ("routing", "tracing")))
        if r.global_ is not None:
            for setting in r.global_.settings():
                needed = GLOBAL[setting][1]
                if needed:
                    out.append((f"global {setting}", needed, ("routing", "global", setting)))
        return out

    def routing(self):
        r = self.sections["routing"]
        version = tuple(int(p) for p in r.alertmanager_version.split("."))
        for what, needed, loc in self.am_features():
            if version < needed:
                self.diags.append(error(
                    "OBS080", f"{what} needs Alertmanager {needed[0]}.{needed[1]} or later, and the spec targets "
                              f"{r.alertmanager_version} (routing.alertmanager_version)", self.at(*loc),
                    hint="upgrade Alertmanager and raise routing.alertmanager_version, or use a setting it has"))
        intervals = set(r.time_intervals)
        routing_tree = self.tree.get("routing")
        for block in ("severities", "categories"):
            entries = routing_tree.get(block) if isinstance(routing_tree, YMap) else None
            for key, cfg in (entries.items() if isinstance(entries, YMap) else []):
                for field in ("mute_during", "active_during"):
                    names = cfg.get(field) if isinstance(cfg, YMap) else None
                    for k, name in enumerate(names if isinstance(names, YSeq) else []):
                        self.ref(name, intervals, "time interval", "routing", block, key, field, k)
        for i, t in self.teams:
            for kind, text in t.templates.items():
                bad = template_error(text, own_templates=False)
                if bad:
                    self.diags.append(error("OBS031", f"team {t.name!r}: templates.{kind}: {bad}",
                                            self.at("teams", i, "templates", kind)))
        for i, t in self.teams:
            for sev, channels in t.channels.items():
                for ch in channels:
                    if getattr(t, ch) is None:
                        self.diags.append(error("OBS046", f"team {t.name!r} routes {sev} alerts to {ch}, "
                                                          f"but has no `{ch}` block", self.at("teams", i, "channels", sev)))
        self.own_routing(r)
        self.severities_and_categories(r)
        with_email = [i for i, t in self.teams if t.email]
        if with_email and r.smtp is None:
            self.diags.append(error("OBS046", "teams have email channels, but routing.smtp is not set",
                                    key_pos(self.tree, ("teams", with_email[0], "email")),
                                    hint="set routing.smtp.smarthost and routing.smtp.from"))

    def severities_and_categories(self, r) -> None:
        """Every severity and category the spec uses is one routing.severities and
        routing.categories define (a default they remove, or a misspelt name, routes nowhere)."""
        sevs, cats = set(r.severity_names), set(r.category_names)

        def sev(value, what: str, *loc, key: bool = False):
            if value not in sevs:
                self.diags.append(error(
                    "OBS021", f"{what}: severity {value!r} is not defined in routing.severities",
                    key_pos(self.tree, loc) if key else self.at(*loc),
                    hint=did_you_mean(value, sorted(sevs)) or f"defined: {', '.join(r.severity_names)}"))

        def cat(value, what: str, *loc):
            if value is not None and value not in cats:
                self.diags.append(error(
                    "OBS021", f"{what}: category {value!r} is not defined in routing.categories",
                    self.at(*loc), hint=did_you_mean(value, sorted(cats)) or
                    f"defined: {', '.join(r.category_names)}; add it to routing.categories ({{}} for no settings)"))

        for i, svc in self.svcs:
            for j, a in enumerate(svc.alerts):
                sev(a.severity, f"alert {a.name!r}", "services", i, "alerts", j, "severity")
                cat(a.category, f"alert {a.name!r}", "services", i, "alerts", j, "category")
            for j, slo in enumerate(svc.slos):
                for tier in ("page", "ticket"):
                    t = getattr(slo.alerting, tier)
                    if t.enabled:
                        sev(t.severity, f"SLO {slo.name!r} {tier} tier", "services", i, "slos", j, "alerting", tier,
                            "severity")
                    elif slo.alerting.budget_alerts:  # its budget alerts still take the tier's severity
                        sev(t.severity, f"SLO {slo.name!r} budget alerts ({tier} tier's severity)", "services", i,
                            "slos", j, "alerting", tier, "severity")
                cat(slo.alerting.category, f"SLO {slo.name!r}", "services", i, "slos", j, "alerting", "category")
            for j, probe in enumerate(svc.probes):
                sev(probe.severity, f"probe {probe.name!r}", "services", i, "probes", j, "severity")
            if svc.logs is not None and svc.logs.error_spike.enabled:
                sev(svc.logs.error_spike.severity, f"service {svc.name!r} log error spike", "services", i, "logs",
                    "error_spike", "severity")
            for name, (severity, category, origin, on) in offered(svc).alerts.items():  # packs and types
                if on:
                    where = f"the {name} alert of service {svc.name!r} (from its {'.'.join(map(str, origin))})"
                    sev(severity, where, "services", i, *origin, "severity")
                    cat(category, where, "services", i, *origin, "category")
            for d in derived_alerts(svc, self.sections.get("logging")):  # what obsgen sets on the alerts it derives
                where = f"the {d.spec.name} alert obsgen derives from {'.'.join(str(x) for x in d.origin)}"
                if d.spec.name.endswith("CertExpiringSoon"):  # the others take a severity the spec gives
                    sev(d.spec.severity, where, "services", i, *d.origin)
                cat(d.spec.category, where, "services", i, *d.origin)
        for i, t in self.teams:
            for name in t.channels:
                sev(name, f"team {t.name!r} channels", "teams", i, "channels", name, key=True)
        for k, inh in enumerate(r.inhibit):
            sev(inh.source_severity, "routing.inhibit", "routing", "inhibit", k, "source_severity")
            for n, target in enumerate(inh.target_severity):
                sev(target, "routing.inhibit", "routing", "inhibit", k, "target_severity", n)
        objectives = self.sections["global"].objectives if self.sections.get("global") else None
        for name in (objectives.time_to_notify if objectives else {}):
            sev(name, "global.objectives.time_to_notify", "global", "objectives", "time_to_notify", name, key=True)
        if r.default_team is not None and "warning" not in sevs:
            self.diags.append(error("OBS021", "routing.default_team is notified through its warning channels, and "
                                              "routing.severities has no warning", self.at("routing", "default_team"),
                                    hint="keep the warning severity, or route what falls through with "
                                         "routing.receiver"))

    def own_routing(self, r) -> None:
        """The spec's own receivers, routes and inhibit rules: names apart from the receivers obsgen
        builds, routes to receivers that exist, regexes Alertmanager (Go, RE2) accepts."""
        built = {naming.DEFAULT_RECEIVER} | {naming.receiver_name(t.name, sev) for _, t in self.teams
                                             for sev in r.severity_names}
        existing = {naming.DEFAULT_RECEIVER} | {naming.receiver_name(t.name, sev) for _, t in self.teams
                                                for sev in r.severity_names if channels_for(r, t, sev)}
        for i, rc in enumerate(r.receivers):
            if rc.name in built:
                self.diags.append(error("OBS020", f"receiver {rc.name!r} has the name of a receiver obsgen builds "
                                                  "(obsgen-default, or <team>-<severity>)",
                                        self.at("routing", "receivers", i, "name"), hint="choose another name"))
            self.integrations_complete(r, i, rc)
        names = existing | {rc.name for rc in r.receivers}
        if r.receiver is not None and r.default_team is not None:
            self.diags.append(error("OBS020", "give routing.receiver or routing.default_team, not both: both say "
                                              "where alerts no route takes go", self.at("routing", "receiver")))
        given = r.global_.settings() if r.global_ is not None else {}
        for key in ("smtp_smarthost", "smtp_from", "smtp_auth_username", "smtp_auth_password_file",
                    "smtp_require_tls"):
            if r.smtp is not None and key in given:
                self.diags.append(error("OBS020", f"routing.global.{key} and routing.smtp both set the mail "
                                                  "server's settings: give them in one place",
                                        self.at("routing", "global", key)))
        if r.receiver is not None and r.receiver not in {rc.name for rc in r.receivers}:
            self.diags.append(error("OBS021", f"routing.receiver {r.receiver!r} is not in routing.receivers",
                                    self.at("routing", "receiver"),
                                    hint=did_you_mean(r.receiver, sorted(rc.name for rc in r.receivers))
                                    or "define it in routing.receivers"))
        intervals = set(r.time_intervals)

        def route(x, *loc):
            if x.receiver is not None and x.receiver not in names:
                hint = (f"{x.receiver} is built only for a team with channels for that severity"
                        if x.receiver in built else "define it in routing.receivers")
                self.diags.append(error("OBS021", f"route to receiver {x.receiver!r}, which does not exist",
                                        self.at(*loc, "receiver"), hint=hint))
            for field in ("mute_during", "active_during"):
                for k, name in enumerate(getattr(x, field)):
                    if name not in intervals:
                        self.diags.append(error("OBS021", f"time interval {name!r} is not defined",
                                                self.at(*loc, field, k), hint="define it in routing.time_intervals"))
            self.matchers(x.matchers, *loc, "matchers")
            for k, child in enumerate(x.routes):
                route(child, *loc, "routes", k)
        for k, x in enumerate(r.routes):
            route(x, "routing", "routes", k)
        for k, rule in enumerate(r.inhibit_rules):
            self.matchers(rule.source_matchers, "routing", "inhibit_rules", k, "source_matchers")
            self.matchers(rule.target_matchers, "routing", "inhibit_rules", k, "target_matchers")

    def integrations_complete(self, r, i: int, rc) -> None:
        """Each integration has what it cannot do without (from itself or from the global settings
        Alertmanager falls back to), and no setting twice."""
        given = r.global_.settings() if r.global_ is not None else {}
        if r.smtp is not None:
            given.update(smtp_smarthost=r.smtp.smarthost, smtp_from=r.smtp.from_)
        for kind, k, item in rc.integrations():
            own = item.settings()
            if kind == "webhook" and item.credentials_file:
                own.setdefault("http_config", {})["authorization"] = {}
            key = INTEGRATIONS[kind][0]
            missing = []
            for alternatives in REQUIRED[kind]:
                def has(alt: str) -> bool:
                    if alt.startswith("global."):
                        return alt[7:] in given
                    head, _, tail = alt.partition(".")
                    return head in own and (not tail or tail in (own[head] or {}))
                if not any(has(a) for a in alternatives):
                    missing.append(alternatives)
            if kind == "email" and ("smarthost", "global.smtp_smarthost") in missing and \
                    ("from", "global.smtp_from") in missing:
                missing = [m for m in missing if m[0] not in ("smarthost", "from")]
                self.diags.append(error("OBS046", f"receiver {rc.name!r} sends mail, but routing.smtp is not set",
                                        self.at("routing", "receivers", i, kind, k),
                                        hint="set routing.smtp.smarthost and routing.smtp.from"))
            for alternatives in missing:
                said = " or ".join(a.replace("global.", "routing.global.") for a in alternatives)
                if alternatives[-1] in ("global.smtp_smarthost", "global.smtp_from"):
                    said += " (or routing.smtp)"
                self.diags.append(error("OBS046", f"receiver {rc.name!r}: {key}[{k}] needs {said}",
                                        self.at("routing", "receivers", i, kind, k)))
            both = [a for a in ONE_OF.get(kind, ()) if a in own]
            if len(both) > 1:
                self.diags.append(error("OBS046", f"receiver {rc.name!r}: {key}[{k}] gives both {both[0]} and "
                                                  f"{both[1]}; give one", self.at("routing", "receivers", i, kind, k,
                                                                                   both[1])))
            if kind == "webhook" and item.credentials_file and "authorization" in (item.http_config or {}):
                self.diags.append(error("OBS046", f"receiver {rc.name!r}: {key}[{k}] gives credentials_file and "
                                                  "http_config.authorization; give one",
                                        self.at("routing", "receivers", i, kind, k, "credentials_file")))

    def matchers(self, texts: list[str], *loc) -> None:
        for n, text in enumerate(texts):
            for m in parse_matchers(text):
                problem = re2_problem(m.value) if m.op in ("=~", "!~") else None
                if problem:
                    self.diags.append(error(
                        "OBS036", f"matcher {text}: not a regular expression Alertmanager (Go, RE2) accepts: "
                                  f"{problem}", self.at(*loc, n),
                        hint="RE2 has no lookarounds and no backreferences"))
