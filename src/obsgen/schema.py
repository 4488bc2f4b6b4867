"""`obsgen schema`: the JSON Schema of an obsgen/v1 spec file, for editors and CI.

The sections come from the pydantic models in `spec` (by alias, so `global`, `for`, `from`). A
spec *file* is more than one environment's `ProjectSpec`: it has `apiVersion`, every section is
optional (files are merged), and `environments` maps each name to overrides that are deep-merged
(mappings merge key by key, so every field of an override is optional; lists replace, so list
items are whole) — the same rules as `resolve.check_file` and `resolve.apply_environment`.

Constraints the models check in Python (names, durations, label and metric names) are added as
`pattern`s where a regular expression says the same; cross-field rules (exactly one of `static`,
`kubernetes` or `exporter`, …) stay with `obsgen validate`.

Fields whose model gives no description get one from FIELD_DESCRIPTIONS below; a description
written in `spec.py` wins. The output is deterministic: `schema_text()` is what
`schemas/obsgen-v1.json` holds.
"""
from __future__ import annotations

import copy
import json
from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from . import naming, spec

SCHEMA_ID = "urn:obsgen:schema:obsgen-v1"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


# ----------------------------------------------------------------------------- patterns

def _pattern_of(fn: Any) -> str | None:
    """The regular expression equivalent to one of spec.py's after-validators, where there is one."""
    if fn is spec._name:
        return naming.NAME_RE.pattern
    if fn is spec._duration:
        return r"^(?=.)" + naming.DURATION_RE.pattern.removeprefix("^")
    if fn is spec._label_name:
        return r"^(?!__)" + naming.LABEL_RE.pattern.removeprefix("^")
    if getattr(fn, "__qualname__", "") == "_regex.<locals>.check":
        for cell in fn.__closure__ or ():
            pattern = getattr(cell.cell_contents, "pattern", None)
            if isinstance(pattern, str):
                return pattern
    return None


class _Generator(GenerateJsonSchema):
    def function_after_schema(self, schema):  # type: ignore[override]
        out = super().function_after_schema(schema)
        pattern = _pattern_of(schema.get("function", {}).get("function"))
        if pattern and out.get("type") == "string" and "pattern" not in out:
            out = {**out, "pattern": pattern}
        return out


# ----------------------------------------------------------------------------- descriptions

FIELD_DESCRIPTIONS = {
    # global
    "GlobalSpec.scrape_interval": "how often Prometheus scrapes each target (a service's scrape.interval overrides it)",
    "GlobalSpec.scrape_timeout": "how long a scrape may take; at most scrape_interval",
    "GlobalSpec.evaluation_interval": "how often Prometheus evaluates rules (a rule_group.interval overrides it)",
    "GlobalSpec.external_labels": "labels Prometheus adds to every series and alert it sends out",
    "GlobalSpec.retention": "how long and how much the Prometheus server keeps (its command-line flags)",
    "GlobalSpec.datasource": "the Grafana datasource every dashboard queries",
    "Objectives.coverage": "share of services that must have an owner, a scrape job, alerts, an SLO and a dashboard",
    # teams
    "TeamSpec.name": "team name: a DNS label, used in receiver and file names",
    "TeamSpec.description": "what the team does; for people reading the spec",
    "TeamSpec.slack": "the team's Slack channel",
    "TeamSpec.pagerduty": "the team's PagerDuty service (Events API v2)",
    "TeamSpec.email": "the team's mail address",
    "TeamSpec.webhook": "an HTTP endpoint that receives Alertmanager's webhook payload",
    "TeamSpec.sms": "SMS, through a webhook gateway or Amazon SNS",
    "SlackChannel.channel": "channel (#name) or user (@name) to post to",
    "EmailChannel.to": "address notifications are sent to",
    "SmsChannel.gateway_url": "endpoint of an SMS gateway that accepts Alertmanager's webhook payload",
    "SmsChannel.credentials_file": "bearer token file for the gateway",
    "SmsChannel.sns": "send through Amazon SNS instead of a gateway",
    "SnsTarget.region": "AWS region of the SNS topic or the SMS sender",
    "SnsTarget.topic_arn": "SNS topic to publish to",
    "SnsTarget.phone_number": "phone number (E.164) to text directly",
    # services
    "ServiceSpec.name": "service name: a DNS label, used in job, rule group and file names",
    "ServiceSpec.team": "the owning team (teams[].name); notified of the service's alerts",
    "ServiceSpec.description": "what the service does; for people reading the spec",
    "ServiceSpec.scrape": "how Prometheus finds and scrapes the service's metrics (none: not scraped)",
    "ServiceSpec.metrics": "the metric catalog: what the service exports; queries are checked against it",
    "ServiceSpec.alerts": "alert rules, written to the service's rule group",
    "ServiceSpec.recording_rules": "recording rules, written to the service's rule group before its alerts",
    "ServiceSpec.rule_group": "name, interval and limit of the service's rule group",
    "ServiceSpec.slos": "service level objectives: recording rules, burn-rate alerts, unit tests and a dashboard",
    "MetricSpec.name": "the metric's name as exported (counters end in _total)",
    "MetricSpec.type": "Prometheus metric type",
    "MetricSpec.help": "the metric's HELP text",
    "MetricSpec.unit": "unit of the values (seconds, bytes, ...)",
    "MetricSpec.labels": "labels the metric carries",
    "ScrapeSpec.kubernetes": "find targets through Kubernetes service discovery",
    "ScrapeSpec.exporter": "scrape a well-known exporter (node, postgres, redis, kafka, blackbox)",
    "ScrapeSpec.interval": "scrape interval for this job (default: global.scrape_interval)",
    "ScrapeSpec.timeout": "scrape timeout for this job (default: global.scrape_timeout); at most the interval",
    "ScrapeSpec.metrics_path": "HTTP path of the metrics endpoint",
    "ScrapeSpec.scheme": "http or https",
    "ScrapeSpec.ca_file": "CA certificate file to verify the targets' TLS certificates",
    "ScrapeSpec.bearer_token_file": "file holding a bearer token sent with each scrape",
    "KubernetesScrape.role": "the Kubernetes objects targets are discovered from",
    "KubernetesScrape.namespaces": "namespaces to look in (default: all)",
    "ExporterScrape.kind": "which exporter; its default port is used for targets without one",
    "AlertSpec.name": "alert name (alertname label), unique within the service",
    "AlertSpec.for": "how long the condition must hold before the alert fires",
    "AlertSpec.keep_firing_for": "how long the alert keeps firing after the condition clears",
    "AlertSpec.severity": "routes the alert (routing.severities) and sets its `severity` label",
    "AlertSpec.description": "notification body; may use {{ $labels.x }} and {{ $value }}",
    "AlertSpec.runbook_url": "link to what to do, added as the runbook_url annotation",
    "AlertSpec.labels": "extra labels on the alert (severity, team, category and service are obsgen's)",
    "AlertSpec.annotations": "extra annotations (summary, description and runbook_url come from their own fields)",
    "RecordingRuleSpec.expr": "PromQL whose result is recorded under `record`",
    "RecordingRuleSpec.labels": "labels added to the recorded series",
    # SLOs
    "SLOSpec.name": "SLO name: a DNS label, unique within the service",
    "SLOSpec.period": "the window the objective is measured over",
    "SLOSpec.description": "what the SLO promises; shown on its dashboard",
    "SLOSpec.sli": "the indicator: exactly one of ratio, latency, freshness or raw",
    "SLOSpec.alerting": "burn-rate and budget alerts for this SLO",
    "SLISpec.ratio": "good or bad events over all events, from counters",
    "SLISpec.latency": "requests faster than a histogram bucket's bound",
    "SLISpec.freshness": "a gauge (a lag, an age) that must stay at or under a maximum",
    "SLISpec.raw": "an error-ratio query of your own, with a {{window}} placeholder",
    "RatioSLI.good": "selector of the good events (give good or bad)",
    "RatioSLI.bad": "selector of the bad events (give good or bad)",
    "FreshnessSLI.max": "largest good value of the gauge",
    "SLOAlerting.page": "the fast-burn tier (2% of the budget in 1h, 5% in 6h)",
    "SLOAlerting.ticket": "the slow-burn tier (10% of the budget in 1d or 3d)",
    "SLOAlerting.category": "category label of the SLO's alerts (routing.categories)",
    "SLOAlerting.runbook_url": "runbook link added to every alert of the SLO",
    "SLOAlerting.annotations": "extra annotations on every alert of the SLO",
    "SLOTier.enabled": "whether this tier alerts at all",
    "SLOTier.severity": "severity of this tier's alert",
    "SLOTier.labels": "extra labels on this tier's alert",
    # dashboards
    "DashboardSpec.title": "dashboard title",
    "DashboardSpec.folder": "Grafana folder; also the output sub-folder",
    "DashboardSpec.team": "owning team (teams[].name)",
    "DashboardSpec.description": "what the dashboard is for",
    "DashboardSpec.tags": "Grafana tags",
    "DashboardSpec.refresh": "auto-refresh interval (none: off)",
    "DashboardSpec.time": "default time range",
    "DashboardSpec.timezone": "time zone the dashboard shows times in",
    "DashboardSpec.panels": "panels, laid out left to right, top to bottom",
    "TimeRange.from": "start of the default range, in Grafana's syntax",
    "TimeRange.to": "end of the default range, in Grafana's syntax",
    "PanelSpec.title": "panel title, unique within the dashboard",
    "PanelSpec.type": "visualisation",
    "PanelSpec.description": "shown in the panel's info tooltip",
    "PanelSpec.queries": "PromQL queries drawn in the panel",
    "PanelSpec.unit": "Grafana unit of the values",
    "PanelSpec.min": "lowest value of the axis or gauge",
    "PanelSpec.max": "highest value of the axis or gauge",
    "PanelSpec.decimals": "decimals shown",
    "PanelSpec.thresholds": "colour steps; the first is the base colour and has no value",
    "PanelSpec.height": "grid rows",
    "QuerySpec.expr": "PromQL; Grafana variables such as $__rate_interval may be used",
    "QuerySpec.legend": "legend format, e.g. {{instance}}",
    "QuerySpec.instant": "query one instant instead of a range",
    "ThresholdStep.color": "Grafana colour name or hex code",
    # tracing
    "TracingSpec.jaeger": "the Jaeger deployment",
    "TracingSpec.sampling": "trace sampling strategies",
    "JaegerSpec.namespace": "Kubernetes namespace Jaeger runs in",
    "JaegerSpec.image": "Jaeger all-in-one container image",
    "JaegerSpec.storage": "where spans are kept",
    "JaegerSpec.resources": "CPU and memory requests and limits",
    "StorageSpec.type": "span storage backend",
    "StorageSpec.elasticsearch": "Elasticsearch settings, for type elasticsearch",
    "ElasticsearchStorage.urls": "Elasticsearch endpoints",
    "ElasticsearchStorage.index_prefix": "prefix of Jaeger's indices",
    "ElasticsearchStorage.username": "user Jaeger logs in as",
    "ElasticsearchStorage.password_secret": "Kubernetes Secret key holding the password",
    "SecretRef.name": "name of the Kubernetes Secret",
    "SecretRef.key": "key within the Secret",
    "ResourceSpec.requests": "what the container is guaranteed",
    "ResourceSpec.limits": "what the container may use at most",
    "Resources.cpu": "CPU, in cores or millicores (500m)",
    "Resources.memory": "memory, e.g. 1Gi",
    "SamplingSpec.services": "per-service sampling probabilities, overriding `default`",
    # routing
    "RoutingSpec.group_by": "labels that group alerts into one notification",
    "RoutingSpec.group_wait": "how long to wait to batch the first notification of a group",
    "RoutingSpec.group_interval": "how long to wait before notifying of new alerts in a group",
    "RoutingSpec.repeat_interval": "how long to wait before repeating a notification",
    "RoutingSpec.severities": "per severity: channels, timing and time intervals",
    "RoutingSpec.categories": "per category: timing, time intervals and a team also notified",
    "RoutingSpec.inhibit": "which alerts mute which while they fire",
    "RoutingSpec.smtp": "mail server, needed when any team uses email",
    "SeverityRouting.channels": "the channels a team is notified through at this severity",
    "SeverityRouting.group_wait": "group_wait for this severity",
    "SeverityRouting.group_interval": "group_interval for this severity",
    "SeverityRouting.repeat_interval": "repeat_interval for this severity",
    "CategoryRouting.group_wait": "group_wait for this category (the shorter of severity's and category's wins)",
    "CategoryRouting.group_interval": "group_interval for this category (the shorter wins)",
    "CategoryRouting.repeat_interval": "repeat_interval for this category (the shorter wins)",
    "InhibitSpec.source_severity": "severity of the alert that mutes",
    "InhibitSpec.target_severity": "severities of the alerts muted",
    "InhibitSpec.equal": "labels both alerts must share for the mute to apply",
    "SmtpSpec.smarthost": "host:port of the mail server",
    "SmtpSpec.from": "sender address",
    "SmtpSpec.auth_username": "user to log in to the mail server as",
    "SmtpSpec.auth_password_file": "file holding the mail server password",
    "SmtpSpec.require_tls": "refuse to send mail without STARTTLS",
    "TimeIntervalSpec.times": "times of day, in `location`",
    "TimeIntervalSpec.weekdays": "days of the week or ranges of them",
    "TimeIntervalSpec.days_of_month": "days of the month or ranges; negative counts from the end",
    "TimeIntervalSpec.months": "months, by name or number, or ranges",
    "TimeIntervalSpec.years": "years or ranges of years",
    "TimeRangeOfDay.start": "start time, HH:MM",
    "TimeRangeOfDay.end": "end time, HH:MM (24:00 for midnight)",
    # the whole spec
    "ProjectSpec.global": "settings for the whole stack: intervals, external labels, objectives",
    "ProjectSpec.teams": "who gets notified, and through which channels",
    "ProjectSpec.services": "what is monitored: scrape config, metric catalog, alerts, SLOs",
    "ProjectSpec.dashboards": "Grafana dashboards",
    "ProjectSpec.tracing": "Jaeger and trace sampling",
    "ProjectSpec.routing": "how alerts reach teams: Alertmanager's routing tree, receivers, inhibition",
}

TOP_DESCRIPTIONS = {
    "apiVersion": f"the spec format; always {naming.API_VERSION}",
    "environments": "environments, each built into its own output folder, with overrides of global, tracing "
                    "and routing (deep-merged) and of teams, services and dashboards (by name)",
}


# ----------------------------------------------------------------------------- building the schema

def _key_patterns(node: Any) -> None:
    """pydantic writes a mapping with constrained keys as patternProperties, which lets any other
    key through; a mapping of label names must refuse other keys: propertyNames says so."""
    if isinstance(node, list):
        for x in node:
            _key_patterns(x)
    if not isinstance(node, dict):
        return
    pp = node.get("patternProperties")
    if isinstance(pp, dict) and len(pp) == 1 and "properties" not in node and "additionalProperties" not in node:
        (pattern, value), = pp.items()
        del node["patternProperties"]
        node["propertyNames"] = {"pattern": pattern}
        node["additionalProperties"] = value
    for v in node.values():
        _key_patterns(v)


def _describe(defs: dict, top: dict) -> None:
    for name, d in [*defs.items(), ("ProjectSpec", top)]:
        for prop, schema in d.get("properties", {}).items():
            if "description" not in schema and f"{name}.{prop}" in FIELD_DESCRIPTIONS:
                schema["description"] = FIELD_DESCRIPTIONS[f"{name}.{prop}"]


def _partial(node: Any, defs: dict, made: dict) -> Any:
    """An override of `node`: every mapping field optional, recursively through mappings; lists
    (which an override replaces) keep whole items."""
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        partial_name = f"{name}Override"
        if partial_name not in made:
            made[partial_name] = {}  # placeholder: definitions may refer to themselves
            made[partial_name] = _partial(defs[name], defs, made)
        return {**{k: v for k, v in node.items() if k != "$ref"}, "$ref": f"#/$defs/{partial_name}"}
    out = dict(node)
    out.pop("required", None)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in out:
            out[key] = [_partial(x, defs, made) for x in out[key]]
    if "properties" in out:
        out["properties"] = {k: _partial(v, defs, made) for k, v in out["properties"].items()}
    if isinstance(out.get("additionalProperties"), dict):
        out["additionalProperties"] = _partial(out["additionalProperties"], defs, made)
    return out


def spec_schema() -> dict:
    """The JSON Schema (draft 2020-12) of one obsgen/v1 spec file."""
    model = copy.deepcopy(spec.ProjectSpec.model_json_schema(by_alias=True, schema_generator=_Generator))
    _key_patterns(model)
    defs = model.pop("$defs")
    _describe(defs, model)
    sections = model["properties"]
    for key in spec.LIST_SECTIONS:  # `teams:` with every item commented out is allowed
        sections[key] = {"description": sections[key].get("description", ""),
                         "anyOf": [{"type": "array", "items": sections[key]["items"]}, {"type": "null"}]}
    made: dict = {}
    overrides: dict = {}
    for key in spec.ENV_KEYS:
        if key in spec.LIST_SECTIONS:
            item = sections[key]["anyOf"][0]["items"]
            by = "uid (or the title's slug)" if key == "dashboards" else "name"
            overrides[key] = {"type": "object", "description": f"{key} by {by}: overrides of each",
                              "additionalProperties": _partial(item, defs, made)}
            if key != "dashboards":
                overrides[key]["propertyNames"] = {"pattern": naming.NAME_RE.pattern}
        else:
            body = {k: v for k, v in sections[key].items() if k not in ("default", "title")}
            overrides[key] = _partial(body, defs, made)
    defs.update(made)
    defs["EnvironmentOverrides"] = {
        "type": "object", "additionalProperties": False, "properties": overrides,
        "description": "what an environment changes: mappings merge key by key, lists and values replace",
    }
    name_pattern = naming.NAME_RE.pattern
    properties = {
        "apiVersion": {"const": naming.API_VERSION, "description": TOP_DESCRIPTIONS["apiVersion"]},
        "environments": {
            "description": TOP_DESCRIPTIONS["environments"],
            "anyOf": [{"type": "object", "propertyNames": {"pattern": name_pattern},
                       "additionalProperties": {"anyOf": [{"$ref": "#/$defs/EnvironmentOverrides"},
                                                          {"type": "null"}]},
                       "examples": [{"production": {}, "staging": {"global": {"external_labels": {
                           "cluster": "staging"}}}}]},
                      {"type": "null"}]},
        **{key: sections[key] for key in spec.SECTION_KEYS},
    }
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_ID,
        "title": f"obsgen spec file ({naming.API_VERSION})",
        "description": "One file of an obsgen spec. Every *.yaml file in the spec folder is read and merged: "
                       "teams, services and dashboards are concatenated, global, tracing and routing may each "
                       "be defined in one file only.",
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion"],
        "properties": properties,
        "$defs": dict(sorted(defs.items())),
    }


def schema_text() -> str:
    """The schema as committed in schemas/obsgen-v1.json: sorted keys, 2-space indent, final newline."""
    return json.dumps(spec_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def undocumented(schema: dict) -> list[str]:
    """Fields (`Model.field`) without a description, anywhere in the schema."""
    out = []
    for name, d in [*schema.get("$defs", {}).items(), ("<file>", schema)]:
        for prop, sub in (d.get("properties") or {}).items():
            if not sub.get("description"):
                out.append(f"{name}.{prop}")
    return sorted(out)


__all__ = ["FIELD_DESCRIPTIONS", "SCHEMA_ID", "schema_text", "spec_schema", "undocumented"]
