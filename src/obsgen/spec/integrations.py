"""Alertmanager's notification integrations and global settings, as spec models made from one table.

Every setting Alertmanager has for an integration is a field here, under Alertmanager's own name,
with the version that added it (checked against routing.alertmanager_version: OBS080). Secrets
are only ever file references: a literal secret (`api_url`, `routing_key`, `password` in an
`http_config`) is refused with the name of the `*_file` setting to use instead.

The table was written from Alertmanager's configuration documentation and release notes for
versions 0.22 to 0.34 (what each version's config accepts).
"""
from __future__ import annotations

import keyword
import re
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, create_model
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from obsgen.spec.base import Duration, Spec

# Value kinds: S text, B boolean, I integer, D duration, L list, M mapping, X text or number,
# H an HTTP client (http_config).
_S, _B, _I, _D, _L, _M, _X, _H = "S", "B", "I", "D", "L", "M", "X", "H"

Version = tuple[int, int]

# kind: (Alertmanager key, version that added it, {field: (value kind, version or None)},
#        {literal secret: its file setting}, what it is)
# `send_resolved` and (except email) `http_config` are added to every integration below.
INTEGRATIONS: dict[str, tuple[str, Version, dict[str, tuple[str, Version | None]], dict[str, str], str]] = {
    "pagerduty": ("pagerduty_configs", (0, 22), {
        "routing_key_file": (_S, (0, 25)), "service_key_file": (_S, (0, 25)), "url": (_S, None),
        "client": (_S, None), "client_url": (_S, None), "description": (_S, None), "details": (_M, None),
        "images": (_L, None), "links": (_L, None), "severity": (_S, None), "class": (_S, None),
        "component": (_S, None), "group": (_S, None), "source": (_S, (0, 25)), "timeout": (_D, (0, 30)),
    }, {"routing_key": "routing_key_file", "service_key": "service_key_file"},
        "PagerDuty: Events API v2 (routing_key_file) or v1 (service_key_file)"),
    "slack": ("slack_configs", (0, 22), {
        "api_url_file": (_S, None), "app_token_file": (_S, (0, 30)), "app_url": (_S, (0, 30)),
        "channel": (_S, None), "username": (_S, None), "color": (_S, None), "title": (_S, None),
        "title_link": (_S, None), "pretext": (_S, None), "text": (_S, None), "message_text": (_S, (0, 31)),
        "fields": (_L, None), "short_fields": (_B, None), "footer": (_S, None), "fallback": (_S, None),
        "callback_id": (_S, None), "icon_emoji": (_S, None), "icon_url": (_S, None), "image_url": (_S, None),
        "thumb_url": (_S, None), "link_names": (_B, None), "mrkdwn_in": (_L, None), "actions": (_L, None),
        "update_message": (_B, (0, 32)), "timeout": (_D, (0, 30)),
    }, {"api_url": "api_url_file", "app_token": "app_token_file"}, "Slack channels or users"),
    "email": ("email_configs", (0, 22), {
        "to": (_S, None), "from": (_S, None), "hello": (_S, None), "smarthost": (_S, None),
        "auth_username": (_S, None), "auth_password_file": (_S, (0, 25)), "auth_secret_file": (_S, (0, 31)),
        "auth_identity": (_S, None), "headers": (_M, None), "html": (_S, None), "text": (_S, None),
        "require_tls": (_B, None), "tls_config": (_M, None), "force_implicit_tls": (_B, (0, 31)),
        "threading": (_M, (0, 30)),
    }, {"auth_password": "auth_password_file", "auth_secret": "auth_secret_file"}, "mail, one message per entry"),
    "webhook": ("webhook_configs", (0, 22), {
        "url": (_S, None), "url_file": (_S, (0, 26)), "max_alerts": (_I, None), "timeout": (_D, (0, 28)),
        "payload": (_M, (0, 32)),
    }, {}, "webhooks: a dead man's switch, a chat bridge, an incident tool"),
    "opsgenie": ("opsgenie_configs", (0, 22), {
        "api_key_file": (_S, (0, 24)), "api_url": (_S, None), "message": (_S, None), "description": (_S, None),
        "source": (_S, None), "details": (_M, None), "responders": (_L, None), "tags": (_S, None),
        "note": (_S, None), "priority": (_S, None), "entity": (_S, (0, 24)), "actions": (_S, (0, 24)),
        "update_alerts": (_B, (0, 24)),
    }, {"api_key": "api_key_file"}, "OpsGenie"),
    "wechat": ("wechat_configs", (0, 22), {
        "api_secret_file": (_S, (0, 31)), "corp_id": (_S, None), "message": (_S, None), "api_url": (_S, None),
        "to_user": (_S, None), "to_party": (_S, None), "to_tag": (_S, None), "agent_id": (_S, None),
        "message_type": (_S, None),
    }, {"api_secret": "api_secret_file"}, "WeChat"),
    "pushover": ("pushover_configs", (0, 22), {
        "user_key_file": (_S, (0, 26)), "token_file": (_S, (0, 26)), "title": (_S, None), "message": (_S, None),
        "url": (_S, None), "url_title": (_S, None), "device": (_S, (0, 26)), "sound": (_S, None),
        "priority": (_X, None), "retry": (_D, None), "expire": (_D, None), "ttl": (_D, (0, 27)),
        "html": (_B, None), "monospace": (_B, (0, 29)),
    }, {"user_key": "user_key_file", "token": "token_file"}, "Pushover"),
    "victorops": ("victorops_configs", (0, 22), {
        "api_key_file": (_S, (0, 25)), "api_url": (_S, None), "routing_key": (_S, None),
        "message_type": (_S, None), "state_message": (_S, None), "entity_display_name": (_S, None),
        "monitoring_tool": (_S, None), "custom_fields": (_M, None),
    }, {"api_key": "api_key_file"}, "VictorOps (Splunk On-Call)"),
    "sns": ("sns_configs", (0, 23), {
        "api_url": (_S, None), "sigv4": (_M, None), "topic_arn": (_S, None), "phone_number": (_S, None),
        "target_arn": (_S, None), "subject": (_S, None), "message": (_S, None), "attributes": (_M, None),
        "use_aws_http_client": (_B, (0, 33)),
    }, {}, "Amazon SNS (credentials from the AWS chain: an instance role, the environment, sigv4.profile or "
           "sigv4.role_arn)"),
    "telegram": ("telegram_configs", (0, 24), {
        "api_url": (_S, None), "bot_token_file": (_S, (0, 26)), "chat_id": (_X, None),
        "chat_id_file": (_S, (0, 31)), "message": (_S, None), "disable_notifications": (_B, None),
        "parse_mode": (_S, None), "message_thread_id": (_X, (0, 28)),
    }, {"bot_token": "bot_token_file"}, "Telegram chats"),
    "discord": ("discord_configs", (0, 25), {
        "webhook_url_file": (_S, (0, 27)), "title": (_S, None), "message": (_S, None),
        "content": (_S, (0, 28)), "username": (_S, (0, 28)), "avatar_url": (_S, (0, 28)),
    }, {"webhook_url": "webhook_url_file"}, "Discord channels"),
    "webex": ("webex_configs", (0, 25), {
        "api_url": (_S, None), "message": (_S, None), "room_id": (_S, None),
    }, {}, "Webex rooms (the bot token goes in http_config.authorization.credentials_file)"),
    "msteams": ("msteams_configs", (0, 26), {
        "webhook_url_file": (_S, (0, 27)), "title": (_S, None), "summary": (_S, (0, 27)), "text": (_S, None),
    }, {"webhook_url": "webhook_url_file"}, "Microsoft Teams (Office 365 connectors)"),
    "msteamsv2": ("msteamsv2_configs", (0, 28), {
        "webhook_url_file": (_S, None), "title": (_S, None), "text": (_S, None),
    }, {"webhook_url": "webhook_url_file"}, "Microsoft Teams (Power Automate workflows)"),
    "jira": ("jira_configs", (0, 28), {
        "api_url": (_S, None), "project": (_S, None), "summary": (_S, None), "description": (_S, None),
        "labels": (_L, None), "priority": (_S, None), "issue_type": (_S, None), "reopen_transition": (_S, None),
        "resolve_transition": (_S, None), "wont_fix_resolution": (_S, None), "reopen_duration": (_D, None),
        "fields": (_M, None), "api_type": (_S, (0, 29)),
    }, {}, "Jira issues (credentials in http_config)"),
    "rocketchat": ("rocketchat_configs", (0, 28), {
        "api_url": (_S, None), "token_id_file": (_S, None), "token_file": (_S, None), "channel": (_S, None),
        "color": (_S, None), "title": (_S, None), "title_link": (_S, None), "text": (_S, None),
        "fields": (_L, None), "short_fields": (_B, None), "emoji": (_S, None), "icon_url": (_S, None),
        "image_url": (_S, None), "thumb_url": (_S, None), "link_names": (_B, None), "actions": (_L, None),
    }, {"token": "token_file", "token_id": "token_id_file"}, "Rocket.Chat"),
    "incidentio": ("incidentio_configs", (0, 29), {
        "url": (_S, None), "url_file": (_S, None), "alert_source_token_file": (_S, None),
        "max_alerts": (_I, None), "timeout": (_D, None),
    }, {"alert_source_token": "alert_source_token_file"}, "incident.io"),
    "mattermost": ("mattermost_configs", (0, 30), {
        "webhook_url_file": (_S, None), "channel": (_S, None), "username": (_S, None), "text": (_S, None),
        "icon_url": (_S, None), "icon_emoji": (_S, None), "attachments": (_L, None), "type": (_S, None),
        "props": (_M, None), "priority": (_M, None),
    }, {"webhook_url": "webhook_url_file"}, "Mattermost"),
}

# Alertmanager's `global` block. routing.smtp is the short way to give the main SMTP settings.
GLOBAL: dict[str, tuple[str, Version | None]] = {
    "resolve_timeout": (_D, None), "http_config": (_H, None),
    "smtp_smarthost": (_S, None), "smtp_from": (_S, None), "smtp_auth_username": (_S, None),
    "smtp_auth_password_file": (_S, (0, 25)), "smtp_require_tls": (_B, None), "smtp_hello": (_S, None), "smtp_auth_secret_file": (_S, (0, 31)), "smtp_auth_identity": (_S, None),
    "smtp_tls_config": (_M, (0, 28)), "smtp_force_implicit_tls": (_B, (0, 31)),
    "slack_api_url_file": (_S, None), "slack_app_token_file": (_S, (0, 30)), "slack_app_url": (_S, (0, 30)),
    "pagerduty_url": (_S, None), "opsgenie_api_url": (_S, None), "opsgenie_api_key_file": (_S, (0, 24)),
    "wechat_api_url": (_S, None), "wechat_api_secret_file": (_S, (0, 31)), "wechat_api_corp_id": (_S, None),
    "victorops_api_url": (_S, None), "victorops_api_key_file": (_S, (0, 25)), "telegram_api_url": (_S, (0, 24)),
    "telegram_bot_token_file": (_S, (0, 31)), "webex_api_url": (_S, (0, 25)), "jira_api_url": (_S, (0, 28)),
    "rocketchat_api_url": (_S, (0, 28)), "rocketchat_token_file": (_S, (0, 28)),
    "rocketchat_token_id_file": (_S, (0, 28)), "mattermost_webhook_url_file": (_S, (0, 32)),
}
# Alertmanager's tracing of its own notifications (0.30).
TRACING: dict[str, tuple[str, Version | None]] = {
    "client_type": (_S, None), "endpoint": (_S, None), "sampling_fraction": (_X, None), "insecure": (_B, None),
    "tls_config": (_M, None), "headers": (_M, None), "compression": (_S, None), "timeout": (_D, None),
}
GLOBAL_SECRETS = {"smtp_auth_password": "smtp_auth_password_file", "smtp_auth_secret": "smtp_auth_secret_file", "slack_api_url": "slack_api_url_file",
                  "slack_app_token": "slack_app_token_file", "opsgenie_api_key": "opsgenie_api_key_file",
                  "wechat_api_secret": "wechat_api_secret_file", "victorops_api_key": "victorops_api_key_file",
                  "telegram_bot_token": "telegram_bot_token_file", "rocketchat_token": "rocketchat_token_file",
                  "rocketchat_token_id": "rocketchat_token_id_file",
                  "mattermost_webhook_url": "mattermost_webhook_url_file"}

# The HTTP client settings Alertmanager's integrations share (Prometheus' common HTTP client),
# and the literal secrets inside them, each with its file setting; `bearer_token` is the old form.
HTTP_KEYS = ("authorization", "basic_auth", "oauth2", "bearer_token_file", "tls_config", "proxy_url", "no_proxy",
             "proxy_from_environment", "proxy_connect_header", "follow_redirects", "enable_http2", "http_headers")
NESTED_SECRETS = {"password": "password_file", "credentials": "credentials_file",
                  "client_secret": "client_secret_file", "bearer_token": "authorization.credentials_file",
                  "secret_key": None, "key": "key_file"}


def nested_secret(value: Any, path: str = "") -> tuple[str, str | None] | None:
    """The first literal secret inside a mapping (an http_config, a tls_config, sigv4): its dotted
    path and the file setting to use instead (None: there is none, use the AWS credential chain)."""
    if isinstance(value, dict):
        for k, v in value.items():
            here = f"{path}.{k}" if path else str(k)
            if k in NESTED_SECRETS and v not in (None, "") and (k != "key" or path.endswith("tls_config")):
                return here, NESTED_SECRETS[k]
            found = nested_secret(v, here)
            if found:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = nested_secret(v, f"{path}[{i}]")
            if found:
                return found
    return None


def refuse_nested_secret(value: Any, root: str = "") -> Any:
    """`value` if it holds no literal secret; else the error naming it and the file setting to use."""
    found = nested_secret({root: value} if root else value)
    if found:
        where, use = found
        raise PydanticCustomError("literal_secret", "{where} is a secret: {fix}", {
            "where": where, "fix": f"put it in a file and write {use}" if use else
            "obsgen never writes it; use the AWS credential chain (an instance role, the environment, "
            "sigv4.profile or sigv4.role_arn)"})
    return value


def _http_keys(value: dict) -> dict:
    unknown = sorted(k for k in value if k not in HTTP_KEYS)
    if unknown:
        from difflib import get_close_matches

        close = get_close_matches(str(unknown[0]), HTTP_KEYS, n=1)
        raise PydanticCustomError("unknown_http_setting", "{key} is not an HTTP client setting ({known})",
                                  {"key": unknown[0], "known": f"did you mean {close[0]}?" if close else
                                   "known: " + ", ".join(HTTP_KEYS)})
    return value


_SECRET_URL = re.compile(
    r"//[^/@\s{}]*:[^/@\s{}]*@"  # user:password@host
    r"|[?&](?:token|access_token|api_key|apikey|key|secret|sig|signature|password|auth)=[^&\s]"
    r"|hooks\.slack\.com/(?:services|workflows)/"  # Slack webhook URLs are themselves the secret
    r"|events\.pagerduty\.com/.*[0-9a-f]{32}", re.IGNORECASE)


def url_carries_secret(url: str) -> bool:
    return bool(_SECRET_URL.search(url))


def _safe_url(v: str) -> str:
    if url_carries_secret(v):
        raise PydanticCustomError("literal_secret", "this URL carries a credential: put the URL in a file and "
                                                    "write the *_file setting (or url_file)")
    return v


HttpClient = Annotated[dict[str, Any], AfterValidator(_http_keys),
                       AfterValidator(lambda v: refuse_nested_secret(v, "http_config")), Field(
    description="Alertmanager's HTTP client settings (authorization, basic_auth, oauth2, tls_config, proxy_url, "
                "follow_redirects, ...); secrets only as files (credentials_file, password_file, "
                "client_secret_file)",
    examples=[{"authorization": {"credentials_file": "/etc/alertmanager/secrets/token"}}])]


def _mapping(key: str) -> Any:
    return Annotated[dict[str, Any], AfterValidator(lambda v: refuse_nested_secret(v, key))]


_URL = Annotated[str, AfterValidator(_safe_url)]

_TYPES: dict[str, Any] = {_S: str, _B: bool, _I: int, _D: Duration, _L: list[Any], _M: dict[str, Any],
                          _X: str | int | float, _H: HttpClient}


def field_name(key: str) -> str:
    """The Python name of an Alertmanager setting (`from` and `class` are Python keywords)."""
    return key + "_" if keyword.iskeyword(key) else key


_EXAMPLE = {
    "channel": "#ops-alerts", "username": "alertmanager", "color": "{{ if eq .Status \"firing\" }}danger{{ else }}"
    "good{{ end }}", "title": "{{ .CommonLabels.alertname }} ({{ .Status }})", "text": "{{ .CommonAnnotations.summary }}",
    "message": "{{ .CommonAnnotations.summary }}", "description": "{{ .CommonAnnotations.summary }}",
    "summary": "{{ .CommonAnnotations.summary }}", "to": "oncall@example.org", "from": "alertmanager@example.org",
    "smarthost": "smtp.example.org:587", "smtp_smarthost": "smtp.example.org:587",
    "smtp_from": "alertmanager@example.org", "hello": "alertmanager.example.org", "smtp_hello": "alertmanager.example.org",
    "auth_username": "alertmanager@example.org", "smtp_auth_username": "alertmanager@example.org",
    "auth_identity": "alertmanager@example.org", "smtp_auth_identity": "alertmanager@example.org",
    "severity": "{{ .CommonLabels.severity }}", "class": "database", "component": "postgres", "group": "payments",
    "client": "Alertmanager", "source": "{{ .CommonLabels.instance }}", "priority": "P2", "tags": "prod,database",
    "note": "{{ .CommonAnnotations.runbook_url }}", "entity": "{{ .CommonLabels.service }}", "actions": "restart",
    "routing_key": "ops", "message_type": "CRITICAL", "room_id": "Y2lzY29zcGFyazovL3VzL1JPT00v",
    "topic_arn": "arn:aws:sns:us-east-1:123456789012:alerts", "phone_number": "+15551234567",
    "target_arn": "arn:aws:sns:us-east-1:123456789012:endpoint/APNS/app/1",
    "parse_mode": "HTML", "chat_id": -1001234567890, "message_thread_id": 42, "project": "OPS", "issue_type": "Bug",
    "corp_id": "ww1234567890", "agent_id": "1000002", "to_user": "@all", "to_party": "2", "to_tag": "oncall",
    "sound": "siren", "device": "oncall-phone", "url_title": "runbook", "state_message": "{{ .CommonAnnotations.summary }}",
    "entity_display_name": "{{ .CommonLabels.alertname }}", "monitoring_tool": "prometheus",
    "reopen_transition": "Reopen", "resolve_transition": "Done", "wont_fix_resolution": "Won't Fix",
    "api_type": "cloud", "emoji": ":fire:", "icon_emoji": ":fire:", "type": "custom_alert", "content": "@here",
    "pretext": "{{ .CommonLabels.environment }}", "footer": "alertmanager", "fallback": "{{ .CommonLabels.alertname }}",
    "callback_id": "alert", "title_link": "https://alertmanager.example.org", "message_text": "{{ .Status }}",
    "max_alerts": 10, "resolve_timeout": "5m",
}
_BY_KIND = {_B: True, _I: 10, _D: "30s", _L: [{"name": "oncall", "type": "team"}], _M: {"team": "{{ "
            ".CommonLabels.team }}"}, _X: "2", _H: {"authorization": {"credentials_file": "/etc/alertmanager/secrets/token"}}}
_LISTS = {"fields": [{"title": "service", "value": "{{ .CommonLabels.service }}", "short": True}],
          "mrkdwn_in": ["text", "pretext"], "labels": ["alertmanager"], "images": [{"src": "https://example.org/g.png"}],
          "links": [{"href": "https://grafana.example.org", "text": "Grafana"}],
          "attachments": [{"text": "{{ .CommonAnnotations.summary }}"}],
          "actions": [{"type": "button", "text": "Runbook", "url": "{{ .CommonAnnotations.runbook_url }}"}]}
_MAPS = {"headers": {"Subject": "{{ .CommonLabels.alertname }}"}, "tls_config": {"ca_file": "/etc/ssl/ca.pem"},
         "smtp_tls_config": {"ca_file": "/etc/ssl/ca.pem"}, "sigv4": {"region": "us-east-1"},
         "threading": {"enabled": True}, "priority": {"priority": "important"}, "fields": {"customfield_10000": "x"}}


def _example(key: str, kind: str) -> Any:
    if key.endswith("_file"):
        return f"/etc/alertmanager/secrets/{key[:-5].replace('_', '-')}"
    if kind == _L and key in _LISTS:
        return _LISTS[key]
    if kind == _M and key in _MAPS:
        return _MAPS[key]
    if kind == _S and (key == "url" or key.endswith("_url")):
        return f"https://{key.replace('_', '-')}.example.org/"
    if kind == _S:
        return _EXAMPLE.get(key, "{{ .CommonLabels.alertname }}")
    return _EXAMPLE.get(key) if key in _EXAMPLE and not isinstance(_EXAMPLE[key], str) else _BY_KIND[kind]


def _field(key: str, kind: str, since: Version | None, what: str) -> tuple[Any, Any]:
    t = _URL if kind == _S and (key == "url" or key.endswith("_url")) else _mapping(key) if kind == _M \
        else _TYPES[kind]
    needs = f" (needs routing.alertmanager_version {since[0]}.{since[1]} or later)" if since else ""
    if key.endswith("_file"):
        desc = f"file on the Alertmanager host holding {what}'s `{key[:-5]}`{needs}"
    else:
        desc = f"Alertmanager's `{key}` for {what}{needs}"
    return (t | None, Field(None, alias=key if field_name(key) != key else None, description=desc,
                            examples=[_example(key, kind)]))


def plain(value: Any) -> Any:
    """Loaded values as plain Python data (lists, dicts, scalars), for writing out."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value) if isinstance(value, str) else value


class Settings(Spec):
    """A tool's settings under its own names (Alertmanager's integrations, Prometheus' jobs,
    discoveries, remote endpoints), made from a table."""

    # Built once, inside the spec's own validator, not each on its own at import (start-up time).
    model_config = ConfigDict(**Spec.model_config, defer_build=True)

    def settings(self, skip: tuple[str, ...] = ()) -> dict[str, Any]:
        """The settings given, under the tool's names, in the table's order."""
        out = {}
        for name, info in type(self).model_fields.items():
            if name in self.model_fields_set and name not in skip:
                value = getattr(self, name)
                if value is not None:
                    out[info.alias or name] = plain(value)
        return out


class Integration(Settings):
    """An Alertmanager integration: its settings (webhook's `credentials_file` is obsgen's short
    form, written into http_config)."""

    def settings(self, skip: tuple[str, ...] = ()) -> dict[str, Any]:
        return super().settings((*skip, "credentials_file"))


def refused(literal: str, file: str | None, host: str, tool: str) -> tuple[Any, Any]:
    """A field for a literal secret: not in the schema, and refused where it is written, naming the
    file setting to use (None: `tool` has none)."""
    def refuse(v: Any) -> Any:
        if v in (None, ""):
            return None
        raise PydanticCustomError("literal_secret", "{literal} is a secret: {fix}", {
            "literal": literal, "fix": f"put it in a file on the {host} and write {file}" if file else
            f"{tool} has no file setting for it, and obsgen never writes secrets into configurations"})
    return (SkipJsonSchema[Annotated[Any, AfterValidator(refuse)]], Field(
        None, alias=literal if field_name(literal) != literal else None))


def _refused(literal: str, file: str) -> tuple[Any, Any]:
    return refused(literal, file, "Alertmanager host", "Alertmanager")


def _model(kind: str):
    key, since, fields, secrets, what = INTEGRATIONS[kind]
    name = f"{kind.capitalize()}Integration"
    spec: dict[str, Any] = {"send_resolved": (bool | None, Field(
        None, description="also notify when the alerts resolve; unset: Alertmanager's default for the "
                          "integration (obsgen's receiver defaults say true)"))}
    for f, (k, v) in fields.items():
        spec[field_name(f)] = _field(f, k, v, what)
    for literal, file in secrets.items():
        spec[field_name(literal)] = _refused(literal, file)
    if kind != "email":
        spec["http_config"] = (HttpClient | None, Field(None, description=f"the HTTP client {what} is reached "
                                                                          "with: auth, TLS, proxy"))
    if kind == "webhook":
        spec["credentials_file"] = (str | None, Field(
            None, description="file holding a bearer token sent in the Authorization header (short for "
                              "http_config.authorization.credentials_file)",
            examples=["/etc/alertmanager/secrets/webhook-token"]))
    return create_model(name, __base__=Integration, __doc__=what, **spec)


MODELS = {kind: _model(kind) for kind in INTEGRATIONS}


def _global_model():
    spec: dict[str, Any] = {}
    for f, (k, v) in GLOBAL.items():
        spec[f] = _field(f, k, v, "every integration that does not set it")
    for literal, file in GLOBAL_SECRETS.items():
        spec[literal] = _refused(literal, file)
    return create_model("GlobalSettings", __base__=Integration,
                        __doc__="Alertmanager's global settings that integrations inherit", **spec)


GlobalSettings = _global_model()


def _tracing_model():
    spec: dict[str, Any] = {f: _field(f, k, v, "Alertmanager's tracing") for f, (k, v) in TRACING.items()}
    _EXAMPLE_TRACING = {"client_type": "grpc", "endpoint": "otel-collector.monitoring.svc:4317",
                        "sampling_fraction": 0.1, "compression": "gzip"}
    for f, example in _EXAMPLE_TRACING.items():
        spec[f][1].examples = [example]
    return create_model("TracingSettings", __base__=Integration,
                        __doc__="Alertmanager's tracing of its own work (needs 0.30)", **spec)


TracingSettings = _tracing_model()


# What each integration cannot do without, as alternatives (any one of them will do); `global.x`
# is routing.global's setting (or routing.smtp's, for smtp_*), which Alertmanager falls back to.
REQUIRED: dict[str, list[tuple[str, ...]]] = {
    "pagerduty": [("routing_key_file", "service_key_file")],
    "slack": [("api_url_file", "app_token_file", "global.slack_api_url_file", "global.slack_app_token_file")],
    "email": [("to",), ("smarthost", "global.smtp_smarthost"), ("from", "global.smtp_from")],
    "webhook": [("url", "url_file")],
    "opsgenie": [("api_key_file", "global.opsgenie_api_key_file")],
    "wechat": [("api_secret_file", "global.wechat_api_secret_file"), ("corp_id", "global.wechat_api_corp_id")],
    "pushover": [("user_key_file",), ("token_file",)],
    "victorops": [("api_key_file", "global.victorops_api_key_file"), ("routing_key",)],
    "sns": [("topic_arn", "phone_number", "target_arn")],
    "telegram": [("bot_token_file", "global.telegram_bot_token_file"), ("chat_id", "chat_id_file")],
    "discord": [("webhook_url_file",)],
    "webex": [("room_id",), ("http_config.authorization",)],
    "msteams": [("webhook_url_file",)],
    "msteamsv2": [("webhook_url_file",)],
    "jira": [("project",), ("issue_type",), ("api_url", "global.jira_api_url")],
    "rocketchat": [("token_file", "global.rocketchat_token_file"),
                   ("token_id_file", "global.rocketchat_token_id_file")],
    "incidentio": [("url", "url_file")],
    "mattermost": [("webhook_url_file", "global.mattermost_webhook_url_file")],
}
ONE_OF = {"webhook": ("url", "url_file"), "incidentio": ("url", "url_file")}


def example_of(kind: str) -> dict:
    """A smallest complete entry of an integration, for the schema's examples."""
    out: dict = {}
    fields = INTEGRATIONS[kind][2]
    for alternatives in REQUIRED[kind]:
        alt = next(a for a in alternatives if not a.startswith("global."))
        if alt == "http_config.authorization":
            out["http_config"] = _BY_KIND[_H]
        else:
            out[alt] = _example(alt, fields[alt][0])
    return out
