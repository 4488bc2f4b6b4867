"""Alertmanager under the operator: the whole alertmanager.yml as a Secret, or an
AlertmanagerConfig per team.

secret: Secret `obsgen-alertmanager` for the Alertmanager resource's `spec.configSecret`. The
operator reads the config from its `alertmanager.yaml` key and mounts the other keys (the
notification templates) in /etc/alertmanager/config/, so the config's template glob points there.

alertmanager_config: per team, in `team_namespaces.get(team, team)`, an AlertmanagerConfig
`obsgen-<team>` with the team's route (team="x", a child per severity) and the receivers it uses,
and one `obsgen-<team>-category-<category>` per category that also notifies the team (the
files target's `continue: true` category routes; the operator gives every config's top route
`continue: true`, which keeps the same meaning). The routing root's group_by and timing are on
each top route, as they are inherited in alertmanager.yml. Inhibit rules are global there: each
team's config holds them with `team="<team>"` added to the target side, so together they mute
exactly what the global rule mutes. The notification templates go in a ConfigMap
`obsgen-alertmanager-templates` for the Alertmanager resource's `spec.configMaps` (mounted in
/etc/alertmanager/configmaps/obsgen-alertmanager-templates/), since an AlertmanagerConfig cannot
carry templates. The Alertmanager resource must set `alertmanagerConfigMatcherStrategy.type: None`:
the default adds `namespace="<team namespace>"` to every route and inhibit rule, which obsgen's
alerts (routed by `team`) do not carry. Alerts no team route takes go to the Alertmanager's own
base configuration, not to obsgen's default receiver.
Credential files become Secret key references in the team's namespace (common.secret_ref).
"""
from __future__ import annotations

import re

from obsgen.core.serialise import to_yaml
from obsgen.resolve.model import Model
from obsgen.targets.alertmanager import config, template_files
from obsgen.targets.operator.common import MONITORING_V1ALPHA1, metadata, resource, secret_key

SECRET_NAME = "obsgen-alertmanager"
SECRET_CONFIG_KEY = "alertmanager.yaml"
SECRET_TEMPLATE_DIR = "/etc/alertmanager/config"
TEMPLATES_CONFIGMAP = "obsgen-alertmanager-templates"

_MATCHER = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*)(=~|!~|!=|=)"((?:[^"\\]|\\.)*)"$')


def templates(model: Model) -> dict[str, str]:
    """{file name: text} of the notification templates the alertmanager target writes."""
    return {a.path.rsplit("/", 1)[1]: a.content for a in template_files(model)}


def config_secret(model: Model) -> dict:
    doc = config(model)
    doc["templates"] = [f"{SECRET_TEMPLATE_DIR}/*.tmpl"]
    data = {SECRET_CONFIG_KEY: to_yaml(doc), **templates(model)}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata(model, SECRET_NAME), "type": "Opaque",
            "stringData": dict(sorted(data.items()))}


def templates_configmap(model: Model) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata(model, TEMPLATES_CONFIGMAP),
            "data": dict(sorted(templates(model).items()))}


def matcher(text: str) -> dict:
    """`team="x"` (obsgen's matcher syntax) as an AlertmanagerConfig matcher."""
    m = _MATCHER.fullmatch(text)
    assert m, text
    value = re.sub(r"\\(.)", r"\1", m.group(3))
    return {"name": m.group(1), "matchType": m.group(2), "value": value}


_ROUTE_KEYS = {"receiver": "receiver", "group_by": "groupBy", "group_wait": "groupWait",
               "group_interval": "groupInterval", "repeat_interval": "repeatInterval", "continue": "continue",
               "mute_time_intervals": "muteTimeIntervals", "active_time_intervals": "activeTimeIntervals"}


def route(r: dict) -> dict:
    out: dict = {}
    if "matchers" in r:
        out["matchers"] = [matcher(m) for m in r["matchers"]]
    for key, value in r.items():
        if key in _ROUTE_KEYS:
            out[_ROUTE_KEYS[key]] = value
    if "routes" in r:
        out["routes"] = [route(c) for c in r["routes"]]
    return out


def receiver(model: Model, rc: dict) -> dict:
    """An alertmanager.yml receiver in AlertmanagerConfig's spelling, credential files as Secret keys."""
    out: dict = {"name": rc["name"]}
    for c in rc.get("pagerduty_configs", []):
        out.setdefault("pagerdutyConfigs", []).append({
            "routingKey": secret_key(c["routing_key_file"]), "sendResolved": c["send_resolved"],
            "severity": c["severity"], "description": c["description"],
            "details": [{"key": k, "value": v} for k, v in sorted(c["details"].items())]})
    for c in rc.get("slack_configs", []):
        out.setdefault("slackConfigs", []).append({
            "apiURL": secret_key(c["api_url_file"]), "channel": c["channel"], "sendResolved": c["send_resolved"],
            "title": c["title"], "text": c["text"]})
    for c in rc.get("email_configs", []):
        # AlertmanagerConfig has no global section: the SMTP settings go on each email config.
        smtp = model.spec.routing.smtp
        assert smtp is not None
        email: dict = {"to": c["to"], "from": smtp.from_, "smarthost": smtp.smarthost}
        if smtp.auth_username:
            email["authUsername"] = smtp.auth_username
        if smtp.auth_password_file:
            email["authPassword"] = secret_key(smtp.auth_password_file)
        email.update({"requireTLS": smtp.require_tls, "sendResolved": c["send_resolved"],
                      "headers": [{"key": k, "value": v} for k, v in sorted(c["headers"].items())],
                      "html": c["html"]})
        out.setdefault("emailConfigs", []).append(email)
    for c in rc.get("sns_configs", []):
        sns: dict = {"sendResolved": c["send_resolved"], "sigv4": {"region": c["sigv4"]["region"]}}
        if "role_arn" in c["sigv4"]:
            sns["sigv4"]["roleArn"] = c["sigv4"]["role_arn"]
        if "topic_arn" in c:
            sns["topicARN"] = c["topic_arn"]
        else:
            sns["phoneNumber"] = c["phone_number"]
        sns.update({"subject": c["subject"], "message": c["message"]})
        out.setdefault("snsConfigs", []).append(sns)
    for c in rc.get("webhook_configs", []):
        hook: dict = {"urlSecret": secret_key(c["url_file"])} if "url_file" in c else {"url": c["url"]}
        hook["sendResolved"] = c["send_resolved"]
        cred = c.get("http_config", {}).get("authorization", {}).get("credentials_file")
        if cred:
            hook["httpConfig"] = {"authorization": {"type": "Bearer", "credentials": secret_key(cred)}}
        out.setdefault("webhookConfigs", []).append(hook)
    return out


def _interval(spans: list[dict]) -> list[dict]:
    out = []
    for span in spans:
        ti: dict = {}
        if "times" in span:
            ti["times"] = [{"startTime": t["start_time"], "endTime": t["end_time"]} for t in span["times"]]
        if "weekdays" in span:
            ti["weekdays"] = list(span["weekdays"])
        if "days_of_month" in span:
            ti["daysOfMonth"] = [_day_range(d) for d in span["days_of_month"]]
        for key in ("months", "years"):
            if key in span:
                ti[key] = list(span[key])
        # `location` has no field in AlertmanagerConfig v1alpha1: resolve refuses it in this mode.
        out.append(ti)
    return out


def _day_range(text: str) -> dict:
    start, _, end = text.partition(":")
    return {"start": int(start), "end": int(end or start)}


def _used_intervals(r: dict) -> set[str]:
    names = set(r.get("mute_time_intervals", [])) | set(r.get("active_time_intervals", []))
    for child in r.get("routes", []):
        names |= _used_intervals(child)
    return names


def _receivers_used(r: dict) -> set[str]:
    names = {r["receiver"]} if "receiver" in r else set()
    for child in r.get("routes", []):
        names |= _receivers_used(child)
    return names


def alertmanager_configs(model: Model) -> list[dict]:
    """The AlertmanagerConfigs, by namespace and name."""
    doc = config(model)
    root = doc["route"]
    inherited = {k: root[k] for k in ("group_by", "group_wait", "group_interval", "repeat_interval")}
    receivers = {rc["name"]: rc for rc in doc["receivers"]}
    intervals = {ti["name"]: ti["time_intervals"] for ti in doc.get("time_intervals", [])}
    ns = model.spec.output.operator.team_namespaces
    owned: list[tuple[str, str, dict]] = []  # (team, name, top route)
    for r in root.get("routes", []):
        team_matchers = [matcher(m) for m in r["matchers"] if matcher(m)["name"] == "team"]
        category = [matcher(m)["value"] for m in r["matchers"] if matcher(m)["name"] == "category"]
        team = team_matchers[0]["value"]
        name = f"obsgen-{team}-category-{category[0]}" if category else f"obsgen-{team}"
        top = {**{k: v for k, v in r.items() if k != "continue"}, **inherited}
        owned.append((team, name, top))
    out = []
    for team, name, top in owned:
        spec: dict = {"route": route(top)}
        used = sorted(_receivers_used(top))
        if used:
            spec["receivers"] = [receiver(model, receivers[n]) for n in used]
        if name == f"obsgen-{team}" and doc["inhibit_rules"]:
            spec["inhibitRules"] = [{
                "sourceMatch": [matcher(m) for m in rule["source_matchers"]],
                "targetMatch": [matcher(m) for m in rule["target_matchers"]] + [
                    {"name": "team", "matchType": "=", "value": team}],
                "equal": list(rule["equal"])} for rule in doc["inhibit_rules"]]
        names = sorted(_used_intervals(top))
        if names:
            spec["muteTimeIntervals"] = [{"name": n, "timeIntervals": _interval(intervals[n])} for n in names]
        out.append(resource(MONITORING_V1ALPHA1, "AlertmanagerConfig",
                            metadata(model, name, namespace=ns.get(team, team)), spec))
    return sorted(out, key=lambda d: (d["metadata"]["namespace"], d["metadata"]["name"]))

