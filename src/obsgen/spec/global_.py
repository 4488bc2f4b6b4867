"""`global`: intervals, external labels, Alertmanagers, retention, the datasource, objectives."""
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from obsgen.core import naming
from obsgen.spec.base import Duration, Finite, PositiveDuration, SeverityName, Spec, _regex
from obsgen.spec.integrations import refuse_nested_secret
from obsgen.spec.scraping import RelabelRule, RemoteReadSpec, RemoteWriteSpec, ScrapeDefaults


class Retention(Spec):
    time: Duration | None = Field(
        None, description="how long the Prometheus server keeps samples (--storage.tsdb.retention.time). Retention "
                          "is a command-line flag, not part of prometheus.yml: obsgen writes the flag into "
                          "prometheus.yml's header for whoever starts Prometheus. Unset: Prometheus' default, 15d",
        examples=["30d", "365d"])
    size: Annotated[str, Field(pattern=r"^\d+(B|KB|MB|GB|TB|PB|EB)$")] | None = Field(
        None, description="most disk the Prometheus server's data may take, oldest blocks dropped first "
                          "(--storage.tsdb.retention.size; written into prometheus.yml's header like `time`). "
                          "Unset: no size limit", examples=["100GB", "500GB"])


class Datasource(Spec):
    type: str = Field("prometheus", description="plugin type of the Grafana datasource, written as every panel's "
                                                "and query's datasource.type")
    uid: Annotated[str, AfterValidator(_regex(naming.UID_RE, "datasource uid"))] = Field(
        "prometheus", description="uid of the Grafana datasource every generated dashboard queries; must match "
                                  "the uid the datasource is provisioned with in Grafana")


CoverageAspect = Literal["owner", "scrape", "alerts", "slo", "dashboard"]


class CoverageObjective(Spec):
    min_percent: Annotated[Finite, Field(ge=0, le=100)] = Field(
        description="lowest share of services, in percent (0-100), that must have every aspect in `require`; "
                    "below it `obsgen validate` reports an error (OBS071) listing what each service lacks",
        examples=[95])
    require: list[CoverageAspect] = Field(
        default_factory=lambda: ["owner", "scrape", "alerts", "slo", "dashboard"],
        description="what a service needs to count as covered: an owner team that can be notified, a scrape job, "
                    "at least one alert (its own or an SLO's), an SLO, a dashboard that queries it",
        examples=[["owner", "scrape", "alerts", "dashboard"]])


class Objectives(Spec):
    time_to_notify: dict[SeverityName, PositiveDuration] = Field(
        default_factory=dict, description="per severity, the longest an alert may take from its condition "
                                          "becoming true to its first notification (scrape interval + evaluation "
                                          "interval + `for` + the route's group_wait); `obsgen validate` warns "
                                          "(OBS070) about every alert that can take longer",
        examples=[{"critical": "5m", "warning": "15m"}])
    coverage: CoverageObjective | None = Field(
        None, description="how many services must be fully monitored; `obsgen explain --coverage` shows the "
                          "table. Unset: coverage is not checked",
        examples=[{"min_percent": 95, "require": ["owner", "scrape", "alerts", "dashboard"]}])


class GlobalSpec(Spec):
    scrape_interval: PositiveDuration = Field(
        "15s", description="how often Prometheus scrapes every target (prometheus.yml global.scrape_interval); "
                           "a service's scrape.interval overrides it for that job",
        examples=["15s", "30s", "1m"])
    scrape_timeout: PositiveDuration = Field(
        "10s", description="how long Prometheus waits for a scrape before counting the target down; at most "
                           "scrape_interval (a job whose interval is shorter gets its interval as timeout)",
        examples=["10s", "30s"])
    evaluation_interval: PositiveDuration = Field(
        "15s", description="how often Prometheus evaluates recording and alerting rules; a service's "
                           "rule_group.interval overrides it for that group. Adds to every alert's time to notify",
        examples=["15s", "30s", "1m"])
    external_labels: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], str] = Field(
        default_factory=dict, description="labels Prometheus adds to every series and alert it sends out "
                                          "(to Alertmanager, remote storage, federation): which cluster or "
                                          "region a series comes from (`__replica__` for a remote store's HA "
                                          "deduplication)",
        examples=[{"cluster": "waardhaven-prod", "region": "us-east-1"}])
    alertmanagers: list[Annotated[str, Field(pattern=r"^[^\s/]+:\d+$")]] = Field(
        default_factory=lambda: ["alertmanager:9093"],
        description="host:port of each Alertmanager Prometheus sends alerts to (prometheus.yml "
                    "alerting.alertmanagers); list every replica of an Alertmanager cluster",
        examples=[["alertmanager:9093"], ["alertmanager-0.alertmanager:9093", "alertmanager-1.alertmanager:9093"]])
    retention: Retention | None = Field(
        None, description="how long and how much the Prometheus server keeps. These are command-line flags, so "
                          "obsgen writes them into prometheus.yml's header. Unset: Prometheus' defaults",
        examples=[{"time": "365d", "size": "100GB"}])
    datasource: Datasource = Field(
        default_factory=Datasource, description="the Grafana datasource every generated dashboard queries "
                                                "(the spec's and the SLO dashboards)",
        examples=[{"type": "prometheus", "uid": "prometheus"}])
    objectives: Objectives = Field(
        default_factory=Objectives, description="the monitoring's own targets: how soon alerts must notify and "
                                                "how much must be covered; checked by `obsgen validate`, shown "
                                                "by `obsgen explain`",
        examples=[{"time_to_notify": {"critical": "5m"},
                   "coverage": {"min_percent": 95, "require": ["owner", "scrape", "alerts", "dashboard"]}}])
    blackbox_exporter: Annotated[str, Field(pattern=r"^[^\s/:]+:\d+$")] = Field(
        "blackbox-exporter:9115", description="host:port of the blackbox exporter the services' probes run through",
        examples=["blackbox-exporter.monitoring:9115"])
    rule_files_per: Literal["service", "team"] = Field(
        "service", description="how alert rule files are split: one file per service "
                               "(prometheus/rules/<service>.rules.yml), or one per owning team, holding a rule "
                               "group for each of the team's services")

    prometheus_version: Annotated[str, Field(pattern=r"^\d+\.\d+$")] = Field(
        "2.42", description="the Prometheus version (major.minor) prometheus.yml is written for: settings it does "
                            "not have are refused (OBS082). Default: Debian's prometheus package",
        examples=["2.42", "2.53", "3.5"])
    scrape_defaults: ScrapeDefaults | None = Field(  # type: ignore[valid-type]
        None, description="the global block's other scrape settings (limits, protocols, query log), under "
                          "Prometheus' names", examples=[{"sample_limit": 100000, "body_size_limit": "50MB"}])
    remote_write: list[RemoteWriteSpec] = Field(  # type: ignore[valid-type]
        default_factory=list, description="remote write endpoints, each with its queue, metadata, relabelling and "
                                          "auth (files only); besides the mimir target's own",
        examples=[[{"url": "https://metrics.example.org/api/v1/push",
                    "basic_auth": {"username": "prod", "password_file": "/etc/prometheus/secrets/remote-write"},
                    "queue_config": {"max_samples_per_send": 2000},
                    "write_relabel_configs": [{"source_labels": ["__name__"], "regex": "go_.*", "action": "drop"}]}]])
    remote_read: list[RemoteReadSpec] = Field(  # type: ignore[valid-type]
        default_factory=list, description="remote read endpoints",
        examples=[[{"url": "https://metrics.example.org/api/v1/read", "read_recent": False}]])
    alertmanager_configs: list[dict[str, Any]] = Field(
        default_factory=list, description="Alertmanagers found some other way than `alertmanagers` (Kubernetes "
                                          "discovery, a path prefix, TLS), as Prometheus' alerting.alertmanagers "
                                          "entries; written after those of `alertmanagers`; secrets only as files",
        examples=[[{"kubernetes_sd_configs": [{"role": "pod"}], "relabel_configs": [
            {"source_labels": ["__meta_kubernetes_pod_label_app"], "regex": "alertmanager", "action": "keep"}]}]])
    alert_relabel_configs: list[RelabelRule] = Field(
        default_factory=list, description="relabelling of the alerts Prometheus sends",
        examples=[[{"regex": "replica", "action": "labeldrop"}]])
    runbooks_url: Annotated[str, Field(pattern=r"^https?://")] | None = Field(
        None, description="where the runbooks obsgen writes (runbooks/<service>.md, for the alerts packs and "
                          "service types add) are published: their alerts link `<runbooks_url>/<service>.md#<alert>`; "
                          "unset: they carry no runbook_url", examples=["https://git.example.com/ops/monitoring/-/blob/main/generated/production/runbooks"])
    self_monitoring: bool = Field(
        False, description="also scrape the monitoring itself: Prometheus (localhost:9090), the Alertmanagers of "
                           "`alertmanagers`, and the blackbox exporter when probes use it")
    extra_scrape_jobs: list[dict[str, Any]] = Field(
        default_factory=list, description="an escape hatch: whole scrape jobs obsgen does not model, added to "
                                          "prometheus.yml as given (each reported; promtool still checks them)",
        examples=[[{"job_name": "federate", "metrics_path": "/federate", "honor_labels": True,
                    "params": {"match[]": ['{job="node"}']}, "static_configs": [{"targets": ["dc2:9090"]}]}]])
    prometheus_extra: dict[str, Any] = Field(
        default_factory=dict, description="an escape hatch: top-level prometheus.yml sections obsgen does not "
                                          "model (storage, tracing, otlp, runtime), written as given (reported)",
        examples=[{"storage": {"tsdb": {"out_of_order_time_window": "30m"}}}])

    @model_validator(mode="after")
    def _external_labels(self):
        if "__name__" in self.external_labels:
            raise ValueError("external_labels: __name__ is the metric name, not a label to set")
        return self

    @model_validator(mode="after")
    def _no_literal_secrets(self):
        for name in ("alertmanager_configs", "extra_scrape_jobs", "prometheus_extra"):
            refuse_nested_secret(getattr(self, name), name)
        return self

    @model_validator(mode="after")
    def _timeout_within_interval(self):
        if naming.duration_seconds(self.scrape_timeout) > naming.duration_seconds(self.scrape_interval):
            raise ValueError("scrape_timeout must not be longer than scrape_interval")
        return self


