"""alertmanager.yml: a routing tree from teams, severities and categories.

The tree, top to bottom:
- one route per category that names a team of its own (security, business, …): it notifies
  that team too (`continue: true`), unless the alert is already that team's;
- one route per team (`team="x"`), with a child per severity leading to the receiver
  `<team>-<severity>`, which holds the team's channels for that severity.
Timing: a route takes the values set explicitly for its severity and for its category; where
both set one, the more urgent (shorter) wins; anything unset falls back to the root's.
Time intervals: a route's notifications are muted during the `mute_during` intervals and outside
the `active_during` ones of its severity and of its category (both apply).
Texts come from Alertmanager templates rendered from templates/alertmanager/*.j2, with a team's
own texts (teams[].templates) replacing obsgen's for that team's receivers.
Secrets only ever appear as `*_file` paths. Matchers use the `matchers` syntax, never `match`.
"""
from __future__ import annotations

from functools import lru_cache

from obsgen.core import naming
from obsgen.core.resources import templates_dir
from obsgen.core.routes import routing_table_doc
from obsgen.core.serialise import Artifact, to_yaml
from obsgen.resolve.model import Model
from obsgen.resolve.routing_table import custom_route, root_receiver, routing_table
from obsgen.spec import ReceiverSpec, SeverityRouting, TeamSpec, TimeIntervalSpec, Timing
from obsgen.spec.integrations import INTEGRATIONS

TIMING = ("group_wait", "group_interval", "repeat_interval")
DEFAULT_RECEIVER = naming.DEFAULT_RECEIVER
receiver_name = naming.receiver_name


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



# Template kinds (spec) -> the name of obsgen's Alertmanager template for it.
TEMPLATE_NAMES = {"slack_title": "slack.title", "slack_text": "slack.text", "email_subject": "email.subject",
                  "email_html": "email.html", "pagerduty_description": "pagerduty.description"}
TEMPLATE_GLOB = "templates/*.tmpl"


def template_ref(team: TeamSpec, kind: str) -> str:
    """The Go template call a receiver field holds: the team's own text if it has one."""
    name = f"obsgen.team.{team.name}.{TEMPLATE_NAMES[kind]}" if kind in team.templates else \
        f"obsgen.{TEMPLATE_NAMES[kind]}"
    return '{{ template "%s" . }}' % name


@lru_cache(maxsize=1)
def _jinja():
    import jinja2  # ~15 ms: only builds render templates, `obsgen validate` does not

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir() / "alertmanager")), autoescape=False,
        variable_start_string="[[", variable_end_string="]]", block_start_string="[%", block_end_string="%]",
        comment_start_string="[#", comment_end_string="#]", keep_trailing_newline=True, trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined)


def template_files(model: Model) -> list[Artifact]:
    env = _jinja()
    out = [Artifact("alertmanager/templates/obsgen.tmpl",
                    env.get_template("notifications.tmpl.j2").render(environment=model.env))]
    for team in model.teams.values():
        if team.templates:
            overrides = [(TEMPLATE_NAMES[k], v) for k, v in sorted(team.templates.items())]
            out.append(Artifact(f"alertmanager/templates/team-{team.name}.tmpl",
                                env.get_template("team.tmpl.j2").render(team=team.name, overrides=overrides)))
    return out


def time_interval(spec: TimeIntervalSpec) -> dict:
    out: dict = {}
    if spec.times:
        out["times"] = [{"start_time": t.start, "end_time": t.end} for t in spec.times]
    for key in ("weekdays", "days_of_month", "months", "years"):
        if getattr(spec, key):
            out[key] = list(getattr(spec, key))
    if spec.location:
        out["location"] = spec.location
    return out


def integrations(model: Model, team: TeamSpec, severity: str) -> dict:
    """Receiver body for `team`'s channels at `severity`."""
    out: dict = {}
    for ch in team_channels(model, team, severity):
        if ch == "pagerduty":
            assert team.pagerduty
            out["pagerduty_configs"] = [{
                "routing_key_file": team.pagerduty.routing_key_file,
                "send_resolved": True,
                "severity": "{{ if .CommonLabels.severity }}{{ .CommonLabels.severity }}{{ else }}%s{{ end }}"
                            % severity,
                "description": template_ref(team, "pagerduty_description"),
                "details": {"team": team.name, "service": "{{ .CommonLabels.service }}",
                            "runbook_url": "{{ .CommonAnnotations.runbook_url }}",
                            "firing": "{{ .Alerts.Firing | len }}"},
            }]
        elif ch == "slack":
            assert team.slack
            out["slack_configs"] = [{"api_url_file": team.slack.api_url_file, "channel": team.slack.channel,
                                     "send_resolved": True, "title": template_ref(team, "slack_title"),
                                     "text": template_ref(team, "slack_text")}]
        elif ch == "email":
            assert team.email
            out["email_configs"] = [{"to": team.email.to, "send_resolved": severity != "info",
                                     "headers": {"Subject": template_ref(team, "email_subject")},
                                     "html": template_ref(team, "email_html")}]
        elif ch == "sms" and team.sms and team.sms.sns:
            sns = team.sms.sns
            cfg: dict = {"send_resolved": False, "sigv4": {"region": sns.region}}
            if sns.role_arn:
                cfg["sigv4"]["role_arn"] = sns.role_arn
            if sns.topic_arn:
                cfg["topic_arn"] = sns.topic_arn
            else:
                cfg["phone_number"] = sns.phone_number
            cfg["subject"] = template_ref(team, "email_subject")
            cfg["message"] = template_ref(team, "slack_title")
            out["sns_configs"] = [cfg]
        else:
            hook = team.webhook if ch == "webhook" else None
            url, url_file = (hook.url, hook.url_file) if hook else (team.sms.gateway_url, None)  # type: ignore[union-attr]
            cred = hook.credentials_file if hook else team.sms.credentials_file  # type: ignore[union-attr]
            cfg = {"url_file": url_file} if url_file else {"url": url}
            cfg["send_resolved"] = ch == "webhook"
            if cred:
                cfg["http_config"] = {"authorization": {"credentials_file": cred}}
            out.setdefault("webhook_configs", []).append(cfg)
    return out


# What obsgen gives a receiver of the spec's own for the settings it leaves unset (unless
# routing.receiver_defaults is `alertmanager`): its notification texts, and resolved notifications.
OBSGEN_DEFAULTS: dict[str, dict] = {
    "pagerduty": {"send_resolved": True,
                  "severity": "{{ if .CommonLabels.severity }}{{ .CommonLabels.severity }}{{ else }}critical{{ end }}",
                  "description": '{{ template "obsgen.pagerduty.description" . }}',
                  "details": {"service": "{{ .CommonLabels.service }}",
                              "runbook_url": "{{ .CommonAnnotations.runbook_url }}",
                              "firing": "{{ .Alerts.Firing | len }}"}},
    "slack": {"send_resolved": True, "title": '{{ template "obsgen.slack.title" . }}',
              "text": '{{ template "obsgen.slack.text" . }}'},
    "email": {"send_resolved": True, "headers": {"Subject": '{{ template "obsgen.email.subject" . }}'},
              "html": '{{ template "obsgen.email.html" . }}'},
    "webhook": {"send_resolved": True},
}
# Where obsgen writes a default in the settings' order (send_resolved after the destination).
_FIRST = {"pagerduty": ("routing_key_file", "service_key_file"), "slack": ("api_url_file", "channel"),
          "email": ("to",), "webhook": ("url", "url_file")}


def integration(kind: str, item, defaults: bool) -> dict:
    """One integration of a receiver of the spec's own, as Alertmanager reads it."""
    given = item.settings()
    out: dict = {k: given.pop(k) for k in _FIRST.get(kind, ()) if k in given}
    if defaults:
        for k, v in OBSGEN_DEFAULTS.get(kind, {}).items():
            if k not in given:
                out[k] = v
            elif isinstance(v, dict) and isinstance(given[k], dict):  # merged: what the spec gives wins
                given[k] = {**v, **given[k]}
    out.update(given)
    if kind == "webhook" and item.credentials_file:
        http = dict(out.get("http_config") or {})
        http["authorization"] = {"credentials_file": item.credentials_file}
        out["http_config"] = http
    return out


def receiver_body(rc: ReceiverSpec, defaults: bool = True) -> dict:
    """A receiver of the spec's own: its integrations, by kind; none: a null receiver
    (Alertmanager accepts a receiver with no integration and notifies no one)."""
    out: dict = {}
    for kind, (key, *_rest) in INTEGRATIONS.items():
        items = getattr(rc, kind)
        if items:
            out[key] = [integration(kind, item, defaults) for item in items]
    return out


def default_used(model: Model) -> bool:
    """Whether a route of the spec's own names obsgen-default (written only when something uses it)."""
    def names(routes) -> bool:
        return any(x.receiver == DEFAULT_RECEIVER or names(x.routes) for x in routes)
    return names(model.spec.routing.routes)


def interval_settings(*sources: Timing | None) -> dict[str, list[str]]:
    mute = sorted({n for src in sources if src for n in src.mute_during})
    active = sorted({n for src in sources if src for n in src.active_during})
    out: dict[str, list[str]] = {}
    if mute:
        out["mute_time_intervals"] = mute
    if active:
        out["active_time_intervals"] = active
    return out


def config(model: Model) -> dict:
    """The alertmanager.yml document."""
    r = model.spec.routing
    doc: dict = {"global": {"resolve_timeout": "5m"}}
    if r.global_ is not None:
        doc["global"].update(r.global_.settings())
    if r.smtp:
        smtp = {"smtp_smarthost": r.smtp.smarthost, "smtp_from": r.smtp.from_}
        if r.smtp.auth_username:
            smtp["smtp_auth_username"] = r.smtp.auth_username
        if r.smtp.auth_password_file:
            smtp["smtp_auth_password_file"] = r.smtp.auth_password_file
        smtp["smtp_require_tls"] = r.smtp.require_tls
        doc["global"].update(smtp)
    doc["templates"] = [TEMPLATE_GLOB, *r.templates]
    if r.tracing is not None:
        doc["tracing"] = r.tracing.settings()
    receivers = AlertmanagerTarget.receivers(model)
    doc["route"] = AlertmanagerTarget.route(model, {rc["name"] for rc in receivers})
    doc["inhibit_rules"] = [{
        "source_matchers": [matcher("severity", i.source_severity)],
        "target_matchers": [matcher("severity", i.target_severity[0]) if len(i.target_severity) == 1
                            else matcher("severity", "|".join(i.target_severity), "=~")],
        "equal": list(i.equal),
    } for i in r.inhibit]
    doc["inhibit_rules"] += [{"source_matchers": list(i.source_matchers), "target_matchers": list(i.target_matchers),
                              **({"equal": list(i.equal)} if i.equal else {})} for i in r.inhibit_rules]
    if any(s.spec.alerting.page.enabled and s.spec.alerting.ticket.enabled for s in model.slos):
        # An SLO's ticket says nothing new while its page fires.
        doc["inhibit_rules"].append({"source_matchers": [matcher("slo_tier", "page")],
                                     "target_matchers": [matcher("slo_tier", "ticket")],
                                     "equal": ["service", "slo"]})
    doc["receivers"] = receivers
    if r.time_intervals:
        doc["time_intervals"] = [{"name": name, "time_intervals": [time_interval(t) for t in spans]}
                                 for name, spans in sorted(r.time_intervals.items())]
    return doc


class AlertmanagerTarget:
    name = "alertmanager"

    def generate(self, model: Model) -> list[Artifact]:
        return [Artifact("alertmanager/alertmanager.yml", to_yaml(config(model), model.header())),
                Artifact("alertmanager/routing-tests.yaml",
                         to_yaml(routing_table_doc(routing_table(model)), model.header())),
                *template_files(model)]

    @staticmethod
    def receivers(model: Model) -> list[dict]:
        r = model.spec.routing
        default: dict = {"name": DEFAULT_RECEIVER}
        if r.default_team:
            default.update(integrations(model, model.teams[r.default_team], "warning"))
        out = [default] if root_receiver(model) == DEFAULT_RECEIVER or default_used(model) else []
        for team in model.teams.values():
            for sev in r.severity_names:
                body = integrations(model, team, sev)
                if body:
                    out.append({"name": receiver_name(team.name, sev), **body})
        defaults = r.receiver_defaults == "obsgen"
        out += [{"name": rc.name, **receiver_body(rc, defaults)} for rc in r.receivers]
        return out

    @staticmethod
    def severity_routes(model: Model, team: str, receivers: set[str], category: str | None) -> list[dict]:
        r = model.spec.routing
        cat = r.category(category)
        routes = []
        for sev in r.severity_names:
            name = receiver_name(team, sev)
            if name not in receivers:
                continue
            sev_cfg = r.severities.get(sev)  # type: ignore[call-overload]
            base = {**merge_timing(sev_cfg, cat), **interval_settings(sev_cfg, cat)}
            if category is None:
                # Categories with timing of their own get a leaf first, where it changes the timing,
                # for the categories this team's alerts of this severity use (the file stays readable;
                # an alert from elsewhere still routes right, with the severity's timing).
                used = {a.spec.category for a in model.alerts if a.team == team and a.spec.severity == sev}
                used |= {s.spec.alerting.category for s in model.slos if s.team == team and sev in (
                    s.spec.alerting.page.severity, s.spec.alerting.ticket.severity)}
                for c_name, c_cfg in sorted(r.categories.items()):
                    if c_name not in used or c_cfg is None:
                        continue
                    timing = {**merge_timing(sev_cfg, c_cfg), **interval_settings(sev_cfg, c_cfg)}
                    if timing != base:
                        routes.append({"matchers": [matcher("severity", sev), matcher("category", c_name)],
                                       "receiver": name, **timing})
            routes.append({"matchers": [matcher("severity", sev)], "receiver": name, **base})
        return routes

    @staticmethod
    def route(model: Model, receivers: set[str]) -> dict:
        r = model.spec.routing
        root: dict = {"receiver": root_receiver(model), "group_by": list(r.group_by), "group_wait": r.group_wait,
                      "group_interval": r.group_interval, "repeat_interval": r.repeat_interval}
        routes = []
        for c_name, c_cfg in sorted(r.categories.items()):
            if c_cfg is None or c_cfg.team is None:
                continue
            children = AlertmanagerTarget.severity_routes(model, c_cfg.team, receivers, c_name)
            if children:
                # Only the severities this team has receivers for: anything else would fall to the
                # parent route's (default) receiver and then continue to the owner's route anyway.
                sevs = [sev for sev in r.severity_names if receiver_name(c_cfg.team, sev) in receivers]
                sev_matcher = matcher("severity", sevs[0]) if len(sevs) == 1 else matcher(
                    "severity", "|".join(sevs), "=~")
                routes.append({"matchers": [matcher("category", c_name), matcher("team", c_cfg.team, "!="),
                                            sev_matcher], "continue": True, "routes": children})
        category_routes = bool(routes)
        placeholders = []
        for team in model.teams:
            children = AlertmanagerTarget.severity_routes(model, team, receivers, None)
            if children:
                routes.append({"matchers": [matcher("team", team)], "routes": children})
            elif category_routes:
                # A team without receivers still needs a route: a category route above may have
                # matched its alert (`continue: true`), and then the root is no longer the fallback.
                # It comes after the spec's last routes, which get such alerts first.
                placeholders.append({"matchers": [matcher("team", team)], "receiver": root["receiver"]})
        first = [custom_route(x) for x in r.routes if x.position != "last"]
        last = [custom_route(x) for x in r.routes if x.position == "last"]
        routes = first + routes + last + placeholders
        if routes:
            root["routes"] = routes
        return root
