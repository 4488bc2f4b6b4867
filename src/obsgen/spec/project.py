"""One environment's whole spec, and the keys a spec file may have."""

from pydantic import Field

from obsgen.spec.base import Spec
from obsgen.spec.dashboards import DashboardSpec, DatasourceSpec
from obsgen.spec.global_ import GlobalSpec
from obsgen.spec.logging import LoggingSpec
from obsgen.spec.output import OutputSpec
from obsgen.spec.routing import RoutingSpec
from obsgen.spec.services import ServiceSpec
from obsgen.spec.teams import TeamSpec
from obsgen.spec.tracing import TracingSpec


class ProjectSpec(Spec):
    """One environment's view of the whole spec: all files merged, overrides applied."""

    global_: GlobalSpec = Field(
        default_factory=GlobalSpec, alias="global",
        description="settings for the whole stack: scrape and evaluation intervals, external labels, Alertmanager "
                    "addresses, retention, the Grafana datasource, the monitoring's own objectives. In one file only",
        examples=[{"scrape_interval": "15s", "evaluation_interval": "15s",
                   "external_labels": {"cluster": "waardhaven-prod"}, "alertmanagers": ["alertmanager:9093"]}])
    teams: list[TeamSpec] = Field(
        default_factory=list, description="who gets notified, and through which channels; teams from every file "
                                          "are combined",
        examples=[[{"name": "platform",
                    "slack": {"channel": "#platform-alerts",
                              "api_url_file": "/etc/alertmanager/secrets/slack-platform-url"},
                    "pagerduty": {"routing_key_file": "/etc/alertmanager/secrets/pagerduty-platform-key"},
                    "email": {"to": "platform@waardhaven.com"}}]])
    services: list[ServiceSpec] = Field(
        default_factory=list, description="what is monitored: each service's scrape job, metric catalog, alerts, "
                                          "recording rules and SLOs; services from every file are combined",
        examples=[[{"name": "waardhaven-api", "team": "backend", "tier": 1,
                    "scrape": {"kubernetes": {"selector": {"app": "waardhaven-api"}, "port": "metrics"}}}]])
    dashboards: list[DashboardSpec] = Field(
        default_factory=list, description="Grafana dashboards, one JSON file each; dashboards from every file are "
                                          "combined (SLO dashboards are generated besides these)",
        examples=[[{"title": "Waardhaven Infrastructure Overview", "uid": "waardhaven-infrastructure",
                    "folder": "Infrastructure",
                    "panels": [{"title": "Services Up", "type": "stat", "queries": [{"expr": "avg(up)"}],
                                "unit": "percentunit"}]}]])
    datasources: list[DatasourceSpec] = Field(
        default_factory=list, description="Grafana datasources dashboards may name besides the default "
                                          "(global.datasource): other Prometheus servers, Loki, Elasticsearch; "
                                          "datasources from every file are combined",
        examples=[[{"name": "loki", "type": "loki", "uid": "loki", "url": "http://loki:3100"}]])
    tracing: TracingSpec | None = Field(
        None, description="Jaeger and trace sampling; unset: no tracing output. In one file only",
        examples=[{"jaeger": {"storage": {"type": "elasticsearch",
                                          "elasticsearch": {"urls": ["http://elasticsearch:9200"]}}},
                   "sampling": {"default": 0.01}}])
    logging: LoggingSpec | None = Field(
        None, description="the logging pipeline: Fluent Bit shipping services' JSON logs to Elasticsearch, index "
                          "template and lifecycle; unset: no logging output. In one file only",
        examples=[{"elasticsearch": {"host": "elasticsearch"},
                   "retention": {"warm_after": "90d", "cold_after": "1y", "delete_after": "7y"}}])
    output: OutputSpec = Field(
        default_factory=OutputSpec, description="what the build writes: plain files, Prometheus Operator "
                                                "resources or Mimir rule namespaces; sharding; Grafana provisioning. "
                                                "In one file only",
        examples=[{"target": "operator", "operator": {"labels": {"release": "prometheus"}}}])
    routing: RoutingSpec = Field(
        default_factory=RoutingSpec,
        description="how alerts reach teams: Alertmanager's routing tree, receivers, timing, time intervals and "
                    "inhibition. In one file only",
        examples=[{"default_team": "devops", "group_wait": "10s", "repeat_interval": "1h",
                   "smtp": {"smarthost": "smtp.gmail.com:587", "from": "alerts@waardhaven.com"}}])


# Keys a spec file may have at the top, besides these sections.
FILE_KEYS = ("apiVersion", "environments")
SECTION_KEYS = ("global", "teams", "services", "dashboards", "datasources", "tracing", "logging", "output", "routing")
LIST_SECTIONS = ("teams", "services", "dashboards", "datasources")
# What an environment may override: the mapping sections deeply, list items by name.
ENV_KEYS = ("global", "tracing", "logging", "output", "routing", "teams", "services", "dashboards",
            "datasources")

# Keys that would hold a secret in the tool's own config: a spec must point at a file instead.
SECRET_KEYS = {
    "api_url": "api_url_file", "routing_key": "routing_key_file", "service_key": "routing_key_file",
    "auth_password": "auth_password_file", "password": "a SecretRef (password_secret) or a *_file path",
    "token": "credentials_file", "bearer_token": "bearer_token_file", "credentials": "credentials_file",
    "api_key": "an *_file path", "secret": "an *_file path",
}
