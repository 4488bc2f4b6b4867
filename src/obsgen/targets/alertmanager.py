"""alertmanager.yml: a routing tree from teams, severities and categories.

The tree, top to bottom:
- one route per category that names a team of its own (security, business, …): it notifies
  that team too (`continue: true`), unless the alert is already that team's;
- one route per team (`team="x"`), with a child per severity leading to the receiver
  `<team>-<severity>`, which holds the team's channels for that severity.
Timing: a route takes the values set explicitly for its severity and for its category; where
both set one, the more urgent (shorter) wins; anything unset falls back to the root's.
Secrets only ever appear as `*_file` paths. Matchers use the `matchers` syntax, never `match`.
"""
from __future__ import annotations

from .. import naming
from ..model import Model
from ..output import Artifact, to_yaml
from ..spec import SeverityRouting, TeamSpec, Timing

TIMING = ("group_wait", "group_interval", "repeat_interval")
DEFAULT_RECEIVER = "obsgen-default"


def matcher(label: str, value: str, op: str = "=") -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{label}{op}"{escaped}"'


def merge_timing(*sources: Timing | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for src in sources:
        if src is None:
            continue
        for key in TIMING:
            value = getattr(src, key)
            if value and (key not in out or naming.duration_seconds(value) < naming.duration_seconds(out[key])):
                out[key] = value
    return {key: out[key] for key in TIMING if key in out}


def team_channels(model: Model, team: TeamSpec, severity: str) -> list[str]:
    """The channels a team's alerts of `severity` go to, among those the team has configured."""
    r = model.spec.routing
    wanted = team.channels.get(severity)
    if wanted is None:
        sev: SeverityRouting | None = r.severities.get(severity)  # type: ignore[call-overload]
        wanted = sev.channels if sev else []
    return [ch for ch in wanted if getattr(team, ch) is not None]


def receiver_name(team: str, severity: str) -> str:
    return f"{team}-{severity}"


_TITLE = '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] ' \
         '{{ .CommonLabels.alertname }} ({{ .CommonLabels.service }})'
_TEXT = ('{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\n'
         '{{ if .Annotations.runbook_url }}Runbook: {{ .Annotations.runbook_url }}\n{{ end }}{{ end }}')


def integrations(model: Model, team: TeamSpec, severity: str, fixed: bool = True) -> dict:
    """Receiver body for `team`'s channels at `severity`. `fixed` is False for the default receiver,
    which gets alerts of any severity: its texts then read the severity from the alerts."""
    out: dict = {}
    tag = severity.upper() if fixed else "{{ .CommonLabels.severity | toUpper }}"
    for ch in team_channels(model, team, severity):
        if ch == "pagerduty":
            assert team.pagerduty
            out["pagerduty_configs"] = [{
                "routing_key_file": team.pagerduty.routing_key_file,
                "send_resolved": True,
                "severity": severity,
                "description": "{{ .CommonLabels.alertname }}: {{ .CommonAnnotations.summary }}",
                "details": {"team": team.name, "service": "{{ .CommonLabels.service }}",
                            "runbook_url": "{{ .CommonAnnotations.runbook_url }}",
                            "firing": "{{ .Alerts.Firing | len }}"},
            }]
        elif ch == "slack":
            assert team.slack
            out["slack_configs"] = [{"api_url_file": team.slack.api_url_file, "channel": team.slack.channel,
                                     "send_resolved": True, "title": _TITLE, "text": _TEXT}]
        elif ch == "email":
            assert team.email
            out["email_configs"] = [{"to": team.email.to, "send_resolved": severity != "info",
                                     "headers": {"Subject": f"[{tag}] " + _TITLE}}]
        else:
            hook = team.webhook if ch == "webhook" else None
            url = hook.url if hook else team.sms.gateway_url  # type: ignore[union-attr]
            cred = hook.credentials_file if hook else team.sms.credentials_file  # type: ignore[union-attr]
            cfg: dict = {"url": url, "send_resolved": ch == "webhook"}
            if cred:
                cfg["http_config"] = {"authorization": {"credentials_file": cred}}
            out.setdefault("webhook_configs", []).append(cfg)
    return out


class AlertmanagerTarget:
    name = "alertmanager"

    def generate(self, model: Model) -> list[Artifact]:
        r = model.spec.routing
        doc: dict = {"global": {"resolve_timeout": "5m"}}
        if r.smtp:
            smtp = {"smtp_smarthost": r.smtp.smarthost, "smtp_from": r.smtp.from_}
            if r.smtp.auth_username:
                smtp["smtp_auth_username"] = r.smtp.auth_username
            if r.smtp.auth_password_file:
                smtp["smtp_auth_password_file"] = r.smtp.auth_password_file
            smtp["smtp_require_tls"] = r.smtp.require_tls
            doc["global"].update(smtp)
        receivers = self.receivers(model)
        doc["route"] = self.route(model, {rc["name"] for rc in receivers})
        doc["inhibit_rules"] = [{
            "source_matchers": [matcher("severity", i.source_severity)],
            "target_matchers": [matcher("severity", i.target_severity[0]) if len(i.target_severity) == 1
                                else matcher("severity", "|".join(i.target_severity), "=~")],
            "equal": list(i.equal),
        } for i in r.inhibit]
        if any(s.spec.alerting.page.enabled and s.spec.alerting.ticket.enabled for s in model.slos):
            # An SLO's ticket says nothing new while its page fires.
            doc["inhibit_rules"].append({"source_matchers": [matcher("slo_tier", "page")],
                                         "target_matchers": [matcher("slo_tier", "ticket")],
                                         "equal": ["service", "slo"]})
        doc["receivers"] = receivers
        return [Artifact("alertmanager/alertmanager.yml", to_yaml(doc, model.header()))]

    def receivers(self, model: Model) -> list[dict]:
        r = model.spec.routing
        default: dict = {"name": DEFAULT_RECEIVER}
        if r.default_team:
            default.update(integrations(model, model.teams[r.default_team], "warning", fixed=False))
        out = [default]
        for team in model.teams.values():
            for sev in naming.SEVERITIES:
                body = integrations(model, team, sev)
                if body:
                    out.append({"name": receiver_name(team.name, sev), **body})
        return out

    def severity_routes(self, model: Model, team: str, receivers: set[str], category: str | None) -> list[dict]:
        r = model.spec.routing
        cat = r.categories.get(category) if category else None  # type: ignore[call-overload]
        routes = []
        for sev in naming.SEVERITIES:
            name = receiver_name(team, sev)
            if name not in receivers:
                continue
            sev_cfg = r.severities.get(sev)  # type: ignore[call-overload]
            base = merge_timing(sev_cfg, cat)
            if category is None:
                # Categories with timing of their own get a leaf first, where it changes the timing,
                # for the categories this team's alerts of this severity use (the file stays readable;
                # an alert from elsewhere still routes right, with the severity's timing).
                used = {a.spec.category for a in model.alerts if a.team == team and a.spec.severity == sev}
                used |= {s.spec.alerting.category for s in model.slos if s.team == team and sev in (
                    s.spec.alerting.page.severity, s.spec.alerting.ticket.severity, "warning", "critical")}
                for c_name, c_cfg in sorted(r.categories.items()):
                    if c_name not in used:
                        continue
                    timing = merge_timing(sev_cfg, c_cfg)
                    if timing != base:
                        routes.append({"matchers": [matcher("severity", sev), matcher("category", c_name)],
                                       "receiver": name, **timing})
            routes.append({"matchers": [matcher("severity", sev)], "receiver": name, **base})
        return routes

    def route(self, model: Model, receivers: set[str]) -> dict:
        r = model.spec.routing
        root: dict = {"receiver": DEFAULT_RECEIVER, "group_by": list(r.group_by), "group_wait": r.group_wait,
                      "group_interval": r.group_interval, "repeat_interval": r.repeat_interval}
        routes = []
        for c_name, c_cfg in sorted(r.categories.items()):
            if c_cfg.team is None:
                continue
            children = self.severity_routes(model, c_cfg.team, receivers, c_name)
            if children:
                # Only the severities this team has receivers for: anything else would fall to the
                # parent route's (default) receiver and then continue to the owner's route anyway.
                sevs = [sev for sev in naming.SEVERITIES if receiver_name(c_cfg.team, sev) in receivers]
                sev_matcher = matcher("severity", sevs[0]) if len(sevs) == 1 else matcher(
                    "severity", "|".join(sevs), "=~")
                routes.append({"matchers": [matcher("category", c_name), matcher("team", c_cfg.team, "!="),
                                            sev_matcher], "continue": True, "routes": children})
        for team in model.teams:
            children = self.severity_routes(model, team, receivers, None)
            if children:
                routes.append({"matchers": [matcher("team", team)], "routes": children})
        if routes:
            root["routes"] = routes
        return root
