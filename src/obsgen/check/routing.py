"""Routing: settings the targeted Alertmanager has, time intervals referenced, channels configured,
team templates that stay in their place."""
from __future__ import annotations

from obsgen.check.context import Context
from obsgen.check.expressions import template_error
from obsgen.core.diagnostics import error
from obsgen.load.yaml import YMap, YSeq
from obsgen.spec.parse import key_pos


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
        with_email = [i for i, t in self.teams if t.email]
        if with_email and r.smtp is None:
            self.diags.append(error("OBS046", "teams have email channels, but routing.smtp is not set",
                                    key_pos(self.tree, ("teams", with_email[0], "email")),
                                    hint="set routing.smtp.smarthost and routing.smtp.from"))
