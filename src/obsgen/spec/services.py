"""`services`: scrape job, metric catalog, alerts, recording rules, logs, instrumentation."""
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, create_model, model_validator

from obsgen.core import naming
from obsgen.spec.base import (
    AlertName,
    CategoryName,
    Duration,
    FilePath,
    Finite,
    LabelName,
    MetricName,
    Name,
    PositiveDuration,
    SeverityName,
    Silences,
    Spec,
    _regex,
)
from obsgen.spec.batteries import BatteriesSpec, ServiceType, SignalsSpec
from obsgen.spec.probes import ProbeSpec
from obsgen.spec.scraping import DISCOVERY, HTTP, SCRAPE, SD_MODELS, RelabelRule, StaticGroup, _fields, _refused
from obsgen.spec.slos import SLOSpec


class MetricSpec(Spec):
    name: MetricName = Field(
        description="the metric's name as the service exports it, without a histogram's _bucket/_sum/_count "
                    "suffixes; counters end in _total. Expressions and dashboards are checked against the "
                    "catalog (OBS050, OBS051)", examples=["http_requests_total", "http_request_duration_seconds"])
    type: Literal["counter", "gauge", "histogram", "summary"] = Field(
        description="Prometheus metric type; obsgen checks that counters are read through rate()/increase() "
                    "and that histogram_quantile reads a histogram's buckets")
    help: str = Field(min_length=1, description="the metric's HELP text: what it counts or measures",
                      examples=["Total HTTP requests."])
    unit: str | None = Field(None, description="unit of the values, as in the name's suffix; documentation only",
                             examples=["seconds", "bytes", "aud"])
    labels: list[LabelName] = Field(
        default_factory=list, description="labels the metric's own series carry, besides those every target "
                                          "of the job gets (job, instance, scrape.labels, external labels, "
                                          "Kubernetes namespace and pod) and a histogram's le; a query matching "
                                          "or grouping by any other label is reported (OBS051)",
        examples=[["method", "endpoint", "status"]])
    inferred: bool = Field(False, description="the type is a guess from the name (`obsgen import` writes this): "
                                              "lint findings that rest on the type are warnings, not errors, until "
                                              "you check it and remove this")
    buckets: list[Finite] | None = Field(
        None, description="histograms only: the bucket upper bounds (le), strictly ascending; a latency SLI's "
                          "threshold must be one of them. Unset: not checked",
        examples=[[0.05, 0.1, 0.25, 0.5, 1, 2, 5]])
    silence: Silences = Field(default_factory=dict)

    @model_validator(mode="after")
    def _buckets(self):
        if self.buckets is not None:
            if self.type != "histogram":
                raise ValueError("buckets are only for histograms")
            if list(self.buckets) != sorted(set(self.buckets)):
                raise ValueError("buckets must be strictly ascending")
        if "le" in self.labels and self.type == "histogram":
            raise ValueError("`le` is reserved for histogram buckets")
        if "quantile" in self.labels and self.type == "summary":
            raise ValueError("`quantile` is reserved for summary quantiles")
        if self.buckets is not None and not self.buckets:
            raise ValueError("buckets: give at least one upper bound, or leave it out for the defaults")
        return self


class KubernetesScrape(Spec):
    role: Literal["node", "pod", "service", "endpoints", "endpointslice", "ingress"] = Field(
        "endpoints", description="the Kubernetes objects targets are discovered from (kubernetes_sd_configs "
                                 "role); endpoints finds every pod behind a Service")
    preset: Literal["apiservers", "nodes", "cadvisor"] | None = Field(
        None, description="a ready-made cluster job, authenticated with Prometheus' service account: the API "
                          "servers, the kubelets, or cAdvisor (both through the API server's node proxy); the "
                          "other kubernetes fields are then ignored")
    namespaces: list[str] = Field(
        default_factory=list, description="namespaces to discover targets in; empty: all namespaces",
        examples=[["trading", "monitoring"]])
    annotated: bool = Field(False, description="keep only targets annotated prometheus.io/scrape: \"true\" "
                                              "and honour prometheus.io/path and prometheus.io/port")
    selector: dict[Annotated[str, Field(pattern=r"^([a-z0-9]([a-z0-9.-]*[a-z0-9])?/)?[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$")],
                   str] = Field(
        default_factory=dict, description="Kubernetes labels (name: value) the target's Service (pod, node or "
                                          "ingress, by role) must have to be kept",
        examples=[{"app": "waardhaven-api"}])
    port: str | None = Field(
        None, description="name of the container or Service port to scrape (roles pod, service, endpoints, "
                          "endpointslice); unset: every port discovered", examples=["metrics"])


EXPORTER_PORTS = {"node": 9100, "postgres": 9187, "redis": 9121, "kafka": 9308, "blackbox": 9115, "mysql": 9104,
                  "mongodb": 9216, "rabbitmq": 15692, "nginx": 9113, "haproxy": 8405, "elasticsearch": 9114,
                  "kube-state-metrics": 8080, "jvm": 9404, "prometheus": 9090, "alertmanager": 9093}


class ExporterScrape(Spec):
    kind: Literal[tuple(EXPORTER_PORTS)] = Field(
        description="which exporter; sets its default port (node 9100, postgres 9187, redis 9121, kafka 9308, "
                    "blackbox 9115, mysql 9104, mongodb 9216, rabbitmq 15692 (its own prometheus plugin), nginx "
                    "9113, haproxy 8405 (HAProxy's own exporter), elasticsearch 9114, kube-state-metrics 8080, jvm "
                    "9404 (the JMX exporter's agent), prometheus 9090, alertmanager 9093), brings its pack of "
                    "alerts and dashboard (see `batteries`), and its well-known metrics count as the service's "
                    "catalog")
    targets: list[Annotated[str, Field(pattern=r"^[^\s/:]+(:\d+)?$")]] | None = Field(
        None, min_length=1, description="exporter host[:port]; the exporter's default port is used when none is "
                                        "given. Leave it out when the job's `kubernetes` discovery finds the "
                                        "exporters (say, by their pods' labels). blackbox: exactly one, the "
                                        "exporter every probe goes through",
        examples=[["postgres-exporter"], ["node-1:9100", "node-2:9100"]])
    collectors: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list, description="the exporter's collectors (or options) turned on beyond its defaults, "
                                          "as its catalog names them (mongodb: diagnosticdata, replicasetstatus, "
                                          "dbstats; postgres: stat_statements; node: systemd, ...): their series "
                                          "count as the exporter's, and the pack's alerts and panels that read "
                                          "them are added", examples=[["diagnosticdata"]])
    module: str = Field("http_2xx", description="blackbox only: the prober module (from the blackbox "
                                                "exporter's own config) every probe uses")
    probes: list[str] = Field(
        default_factory=list, description="blackbox only (and required there): the URLs or hosts to probe; each "
                                          "becomes a target, its `instance` label the probed URL",
        examples=[["https://api.waardhaven.com/health"]])

    @model_validator(mode="after")
    def _blackbox(self):
        if self.kind == "blackbox" and not self.probes:
            raise ValueError("a blackbox exporter needs `probes`: the URLs or hosts it checks")
        if self.kind == "blackbox" and len(self.targets or ()) != 1:
            raise ValueError("a blackbox job sends every probe through one exporter: give one target")
        if self.kind != "blackbox" and self.probes:
            raise ValueError("`probes` is only for the blackbox exporter")
        return self


class _ScrapeShort(Spec):
    static: list[Annotated[str, Field(pattern=r"^[^\s/]+(:\d+)?$")]] | None = Field(
        None, description="fixed targets, host[:port] each (static_configs; no port: the scheme's). Give exactly "
                          "one of static, kubernetes and exporter", examples=[["api-1:8000", "api-2:8000"]])
    kubernetes: KubernetesScrape | None = Field(
        None, description="find targets through Kubernetes service discovery. Give exactly one of static, "
                          "kubernetes and exporter",
        examples=[{"role": "endpoints", "selector": {"app": "waardhaven-api"}, "port": "metrics"},
                  {"preset": "nodes"}])
    exporter: ExporterScrape | None = Field(
        None, description="scrape a well-known exporter (node, postgres, redis, kafka, blackbox); its metrics "
                          "need no catalog. Give exactly one of static, kubernetes and exporter",
        examples=[{"kind": "postgres", "targets": ["postgres-exporter"]}])
    job: str | None = Field(None, description="the scrape job's name, and so the `job` label of its series; "
                                              "unique across services. Unset: the service name",
                            examples=["waardhaven-api"])
    interval: PositiveDuration | None = Field(
        None, description="scrape interval of this job; unset: global.scrape_interval", examples=["30s", "1m"])
    timeout: PositiveDuration | None = Field(
        None, description="scrape timeout of this job, at most its interval; unset: global.scrape_timeout (or "
                          "the interval, if that is shorter)", examples=["10s"])
    metrics_path: Annotated[str, Field(pattern=r"^/")] = Field(
        "/metrics", description="HTTP path of the metrics endpoint on each target")
    scheme: Literal["http", "https"] = Field("http", description="protocol the targets are scraped with")
    ca_file: FilePath | None = Field(
        None, description="CA certificate file (on the Prometheus host) to verify the targets' TLS certificates "
                          "with; unset: the system's CAs", examples=["/etc/prometheus/certs/internal-ca.crt"])
    bearer_token_file: FilePath | None = Field(
        None, description="file (on the Prometheus host) holding a bearer token sent with every scrape",
        examples=["/etc/prometheus/secrets/api-metrics-token"])
    labels: dict[LabelName, str] = Field(default_factory=dict, description="labels added to every target's series",
                                         examples=[{"tier": "frontend"}])

    @model_validator(mode="after")
    def _exactly_one(self):
        # Where the targets are: static, kubernetes, or the exporter's own `targets`. `exporter`
        # also says what they are (its catalog and defaults), so it goes with kubernetes discovery.
        # Prometheus' own discovery lists (static_configs, <kind>_sd_configs) may join the first.
        where = [k for k in ("static", "kubernetes") if getattr(self, k) is not None]
        if self.exporter is not None and self.exporter.targets is not None:
            where.append("exporter.targets")
        raw = [k for k in (self.model_fields_set or ()) if k == "static_configs" or k.endswith("_sd_configs")]
        if len(where) > 1 or (not where and not raw):
            raise ValueError("say where the targets are with exactly one of `static`, `kubernetes` or "
                             "`exporter.targets`, or with Prometheus' static_configs or <kind>_sd_configs"
                             + (f" (this job has {' and '.join(where)})" if where else ""))
        if self.exporter is not None and self.exporter.kind == "blackbox" and self.kubernetes is not None:
            raise ValueError("a blackbox exporter job sends every probe through one exporter: give "
                             "`exporter.targets`, not `kubernetes`")
        if self.interval and self.timeout and (
                naming.duration_seconds(self.timeout) > naming.duration_seconds(self.interval)):
            raise ValueError("timeout must not be longer than interval")
        return self


def _scrape_model():
    fields: dict = {}
    fields.update(_fields(SCRAPE, "this job"))
    fields.update({k: v for k, v in _fields(HTTP, "this job").items() if k != "bearer_token_file"})
    fields["bearer_token"] = _refused("bearer_token", "bearer_token_file")
    fields["static_configs"] = (list[StaticGroup], Field(
        default_factory=list, description="Prometheus' static_configs: groups of targets, each with labels of its "
                                          "own (besides, or instead of, `static`)",
        examples=[[{"targets": ["api-1:8000"], "labels": {"zone": "a"}}]]))
    for kind, (since, *_rest) in DISCOVERY.items():
        needs = f" (needs global.prometheus_version {since[0]}.{since[1]} or later)" if since else ""
        fields[f"{kind}_sd_configs"] = (list[SD_MODELS[kind]], Field(
            default_factory=list, description=f"Prometheus' {kind} service discovery{needs}: its settings under "
                                              "Prometheus' names; secrets only as files",
            examples=[[_SD_EXAMPLES.get(kind) or ({"servers": ["zk-1:2181"], "paths": ["/monitoring"]}
                                                  if kind in ("serverset", "nerve") else {"refresh_interval": "1m"})]]))
    fields["relabel_configs"] = (list[RelabelRule], Field(
        default_factory=list, description="relabelling of the discovered targets, after obsgen's own (the "
                                          "selection and labels of `kubernetes`, an exporter's address)",
        examples=[[{"source_labels": ["__meta_kubernetes_pod_label_app"], "target_label": "app"},
                   {"source_labels": ["__meta_kubernetes_namespace"], "regex": "kube-.*", "action": "drop"}]]))
    fields["metric_relabel_configs"] = (list[RelabelRule], Field(
        default_factory=list, description="relabelling of the scraped series (drop expensive ones before they "
                                          "are stored)",
        examples=[[{"source_labels": ["__name__"], "regex": "go_gc_.*", "action": "drop"}]]))
    fields["extra"] = (dict[str, Any], Field(
        default_factory=dict, description="an escape hatch: settings obsgen does not model, added to the "
                                          "generated job as given (each reported; promtool still checks them); "
                                          "a setting obsgen writes itself cannot be given here",
        examples=[{"some_future_setting": True}]))
    return create_model("ScrapeSpec", __base__=_ScrapeShort, __doc__="A service's scrape job.", **fields)


_SD_EXAMPLES = {"file": {"files": ["/etc/prometheus/targets/*.json"]},
                "http": {"url": "http://inventory.example.org/targets"},
                "dns": {"names": ["_metrics._tcp.api.example.org"]},
                "kubernetes": {"role": "pod", "namespaces": {"names": ["trading"]}},
                "consul": {"server": "consul.service:8500", "services": ["api"]},
                "ec2": {"region": "eu-west-1", "port": 9100}, "gce": {"project": "trading", "zone": "europe-west4-a"}}

ScrapeSpec = _scrape_model()


# promtool's expanding notation: `1 2 3`, `0+10x30` (30 more, each 10 up), `1x5`, `_` (no sample),
# `stale`, and `_x3`.
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?Inf|NaN"
SERIES_VALUES = re.compile(rf"^\s*(?:(?:(?:{_NUMBER})(?:[-+](?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)?(?:x\d+)?|_(?:x\d+)?"
                           rf"|stale)\s*)+$")


def _series_values(v) -> str:
    text = str(v).lower() if isinstance(v, bool) else str(v)
    if isinstance(v, bool) or not SERIES_VALUES.fullmatch(text):
        raise ValueError(f"{text!r} is not in promtool's series notation (e.g. `1 1 0x10`, `0+5x60`, `_`, `stale`)")
    return text


SeriesValues = Annotated[str | int | float, AfterValidator(_series_values)]


class AlertTestSpec(Spec):
    name: str | None = Field(None, description="what the case shows, in the test report", examples=["down 10 minutes"])
    series: dict[str, SeriesValues] = Field(
        min_length=1, description="input series, selector -> values in promtool's notation, one sample per "
                                  "`interval` from time 0", examples=[{'up{job="api", instance="api-1"}': "1 1 0x15"}])
    interval: PositiveDuration = Field("1m", description="time between the input samples")
    at: Duration = Field(description="when to look: the time since the first sample", examples=["10m"])
    fires: bool = Field(description="true: the alert is firing then (its `for` has passed); false: it is not "
                                    "(quiet, or still pending)")
    labels: dict[LabelName, str] | None = Field(
        None, description="fires only: the labels the firing alert has from its series, besides the rule's own "
                          "(severity, team...): checked exactly. Unset: not checked", examples=[{"instance": "api-1"}])
    annotations: dict[LabelName, str] | None = Field(
        None, description="fires only: the annotations as rendered, each that has a template; checked exactly. "
                          "Unset: not checked", examples=[{"summary": "api-1 is down"}])

    @model_validator(mode="after")
    def _quiet_has_nothing_to_check(self):
        if not self.fires and (self.labels is not None or self.annotations is not None):
            raise ValueError("labels and annotations are what a firing alert has: give them with `fires: true`")
        return self


class RecordTestSpec(Spec):
    name: str | None = Field(None, description="what the case shows, in the test report",
                             examples=["one request per second"])
    series: dict[str, SeriesValues] = Field(min_length=1, description="input series, selector -> values in "
                                                                      "promtool's notation",
                                            examples=[{'http_requests_total{job="api"}': "0+60x20"}])
    interval: PositiveDuration = Field("1m", description="time between the input samples")
    at: Duration = Field(description="when to look: the time since the first sample", examples=["10m"])
    expect: dict[str, float] = Field(
        description="the recorded series then, with all their labels, and their values; {}: none",
        examples=[{'job:http_requests:rate5m{job="api"}': 1}])


class AlertSpec(Spec):
    name: AlertName = Field(
        description="the alert's name (its alertname label), CamelCase by convention; unique per severity "
                    "within the service", examples=["HighErrorRate", "DiskSpaceLow"])
    expr: str = Field(min_length=1, description="PromQL condition: the alert is pending while it returns series, "
                                                "one alert per series; checked against the metric catalog",
                      examples=['sum(rate(http_requests_total{status=~"5.."}[5m])) '
                                '/ sum(rate(http_requests_total[5m])) > 0.05'])
    for_: Duration = Field("0s", alias="for", description="how long `expr` must keep returning a series before "
                                                          "the alert fires; 0s: fires at the first evaluation",
                           examples=["2m", "5m"])
    keep_firing_for: Duration | None = Field(
        None, description="how long the alert keeps firing after `expr` stops returning it, so a flapping "
                          "condition does not resolve and re-fire; unset: resolves at once", examples=["10m"])
    severity: SeverityName = Field(
        description="the alert's `severity` label: picks the channels and timing (routing.severities) and what "
                    "inhibits what")
    category: CategoryName | None = Field(
        None, description="the alert's `category` label: applies routing.categories.<category> (timing, and a "
                          "team also notified); unset: no category label")
    team: Name | None = Field(None, description="the team notified (its `team` label), when not the service's "
                                                "owner; unset: the service's team", examples=["platform"])
    summary: Annotated[str, Field(min_length=1)] | None = Field(
        None, description="one line for the notification's title (the `summary` annotation); Go template, "
                          "e.g. {{ $labels.instance }}. `obsgen validate` warns when it is missing",
        examples=["High CPU usage on {{ $labels.instance }}"])
    description: Annotated[str, Field(min_length=1)] | None = Field(
        None, description="the notification's body (the `description` annotation); Go template with "
                          "{{ $labels.<name> }} and {{ $value }}",
        examples=["Error rate is {{ $value | humanizePercentage }} for the last 5 minutes"])
    runbook_url: Annotated[str, Field(pattern=r"^https?://")] | None = Field(
        None, description="link to what to do when the alert fires (the `runbook_url` annotation, linked from "
                          "notifications); `obsgen validate` warns when a critical alert has none",
        examples=["https://runbooks.waardhaven.com/infrastructure/high-cpu-usage"])
    labels: dict[LabelName, str] = Field(
        default_factory=dict, description="extra labels on the alert; severity, team, category and service are "
                                          "set by obsgen and may not be given here",
        examples=[{"component": "database"}])
    annotations: dict[LabelName, str] = Field(
        default_factory=dict, description="extra annotations (Go templates allowed); summary, description and "
                                          "runbook_url come from their own fields",
        examples=[{"dashboard": "https://grafana.waardhaven.com/d/waardhaven-infrastructure"}])
    tests: list[AlertTestSpec] = Field(
        default_factory=list, description="cases that prove the alert: input series, a time, and whether it fires "
                                          "then; `obsgen test` runs them with promtool",
        examples=[[{"series": {'up{job="api"}': "1 0x15"}, "at": "10m", "fires": True},
                   {"series": {'up{job="api"}': "1x15"}, "at": "10m", "fires": False}]])
    generate_tests: bool = Field(
        True, description="generate promtool tests that make the alert fire just past its threshold and keep it "
                          "quiet just short of it (`obsgen test` runs them); false: only the written `tests` "
                          "prove it, and `obsgen explain` says so")
    silence: Silences = Field(default_factory=dict)

    @model_validator(mode="after")
    def _reserved(self):
        clash = sorted(set(self.labels) & set(naming.ALERT_LABELS))
        if clash:
            raise ValueError(f"labels {', '.join(clash)} are set by obsgen from the alert's own fields")
        clash = sorted(set(self.annotations) & {"summary", "description", "runbook_url"})
        if clash:
            raise ValueError(f"annotations {', '.join(clash)} come from the alert's own fields")
        return self


class RecordingRuleSpec(Spec):
    record: Annotated[str, AfterValidator(_regex(naming.METRIC_RE, "metric name"))] = Field(
        description="name of the series the rule writes, by convention level:metric:operations; alerts and "
                    "dashboards may query it", examples=["job:http_requests:rate5m"])
    expr: str = Field(min_length=1, description="PromQL whose result is recorded under `record` at every "
                                                "evaluation of the service's rule group",
                      examples=["sum by (job) (rate(http_requests_total[5m]))"])
    labels: dict[LabelName, str] = Field(default_factory=dict, description="labels added to the recorded series",
                                         examples=[{"source": "recording"}])
    tests: list[RecordTestSpec] = Field(
        default_factory=list, description="cases that prove the rule: input series, a time, and the series "
                                          "recorded then; `obsgen test` runs them with promtool",
        examples=[[{"series": {'http_requests_total{job="api"}': "0+60x20"}, "at": "10m",
                    "expect": {'job:http_requests:rate5m{job="api"}': 1}}]])
    silence: Silences = Field(default_factory=dict)


class RuleGroupSpec(Spec):
    name: Annotated[str, Field(min_length=1)] | None = Field(
        None, description="name of the service's rule group, unique across services; unset: the service name",
        examples=["waardhaven-api-alerts"])
    interval: PositiveDuration | None = Field(
        None, description="how often this group's rules are evaluated; unset: global.evaluation_interval",
        examples=["30s", "1m"])
    limit: int | None = Field(
        None, ge=0, description="most alerts (and recorded series) one rule of the group may produce; above it "
                                "the rule fails (Prometheus' group limit). 0 or unset: no limit", examples=[100])
    query_offset: Duration | None = Field(
        None, description="evaluate the group's rules this far in the past, for late-arriving samples (Prometheus "
                          "2.53 or later); unset: global rule_query_offset, if any", examples=["1m"])
    labels: dict[LabelName, str] = Field(
        default_factory=dict, description="labels added to every rule of the group, recording and alerting "
                                          "(Prometheus 3.0 or later); a rule's own label of the same name wins",
        examples=[{"cluster_tier": "core"}])
    alert_labels: list[Literal["team", "category", "service"]] = Field(
        default_factory=lambda: ["team", "category", "service"],
        description="labels obsgen adds to this service's alerts for routing; `obsgen import rules` "
                    "clears it so imported rules build back unchanged")



class ErrorSpikeSpec(Spec):
    enabled: bool = Field(True, description="alert when the service logs errors well above its recent normal")
    window: PositiveDuration = Field("1h", description="the recent past the normal rate (mean and standard "
                                                       "deviation of errors per minute) is taken over",
                                     examples=["1h", "6h"])
    sigma: Annotated[Finite, Field(gt=0)] = Field(2.0, description="how many standard deviations above the mean "
                                                                   "counts as a spike", examples=[2, 3])
    min_per_minute: Annotated[Finite, Field(ge=0)] = Field(
        1.0, description="errors per minute below which it never alerts, so a quiet service does not page on its "
                         "first error", examples=[1, 5])
    for_: Duration = Field("5m", alias="for", description="how long the spike must last before the alert fires",
                           examples=["5m"])
    severity: SeverityName = Field("warning", description="severity of the LogErrorSpike alert")
    silence: Silences = Field(default_factory=dict)


class ServiceLogsSpec(Spec):
    path: Annotated[str, Field(pattern=r"^/")] | None = Field(
        None, description="glob of the log files Fluent Bit tails; unset: the service's Kubernetes container "
                          "logs, /var/log/containers/<service>-*.log", examples=["/var/log/qlib-pro/api-*.log"])
    format: Literal["cri", "docker", "json"] = Field(
        "cri", description="how each line is wrapped: cri (containerd, CRI-O) or docker (json-file) around the "
                           "application's JSON line, or json: the file holds the JSON lines themselves")
    level_key: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] = Field(
        "level", description="the JSON key holding the log level")
    error_levels: list[Annotated[str, Field(pattern=r"^[A-Za-z]+$")]] = Field(
        default_factory=lambda: ["ERROR", "CRITICAL"], min_length=1,
        description="level values counted as errors (exact, case-sensitive)", examples=[["ERROR", "CRITICAL"]])
    error_spike: ErrorSpikeSpec = Field(
        default_factory=ErrorSpikeSpec, description="the error-spike alert on the log-derived error counter "
                                                    "(the seeds' errors per minute over mean + 2 sigma)",
        examples=[{"window": "1h", "sigma": 2, "min_per_minute": 1}])


class PythonInstrumentation(Spec):
    module: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")] | None = Field(
        None, description="name of the generated Python module (default: the service name with `_` for `-`, "
                          "plus `_metrics`)", examples=["waardhaven_metrics"])


class InstrumentationSpec(Spec):
    python: PythonInstrumentation | None = Field(
        None, description="generate a Python module with the service's metric catalog as prometheus_client "
                          "metrics and typed helpers to record them (instrumentation/python/<module>.py)",
        examples=[{}, {"module": "waardhaven_metrics"}])
    tracing: bool = Field(False, description="generate the service's OpenTelemetry SDK settings (service name, "
                                             "resource attributes, OTLP endpoint of the generated collector, sampler) "
                                             "as an env file and a Kubernetes ConfigMap; needs a `tracing` section")


class ServiceSpec(Spec):
    name: Name = Field(description="service name, unique in the spec: lowercase letters, digits and dashes (a "
                                   "DNS label). Names the scrape job, the rule group and the rule file, and is "
                                   "the `service` label of its alerts", examples=["waardhaven-api", "node-exporter"])
    team: Name = Field(description="the owning team (a teams[].name): notified of the service's alerts unless an "
                                   "alert names another team", examples=["backend"])
    tier: int = Field(2, ge=1, le=4, description="how critical the service is, 1 (most) to 4 (least). With a "
                                                 "`type`: tier 1 gets availability and latency SLOs whose fast "
                                                 "burns page, tier 2 the same SLOs as tickets, tiers 3 and 4 none")
    description: str | None = Field(None, description="what the service does; for people reading the spec",
                                    examples=["Trading API of the Waardhaven platform."])
    scrape: ScrapeSpec | None = Field(
        None, description="how Prometheus finds and scrapes the service's metrics: a scrape job; unset: not scraped "
                          "(alerts may still read metrics scraped elsewhere)",
        examples=[{"kubernetes": {"role": "endpoints", "selector": {"app": "waardhaven-api"}, "port": "metrics"}},
                  {"static": ["web-1:8000", "web-2:8000"]}])
    metrics: list[MetricSpec] = Field(
        default_factory=list, description="the metric catalog: what the service exports. Alert, recording rule, "
                                          "SLO and dashboard queries are checked against it (names, types, labels)",
        examples=[[{"name": "http_requests_total", "type": "counter", "help": "Total HTTP requests.",
                    "labels": ["method", "endpoint", "status"]}]])
    alerts: list[AlertSpec] = Field(
        default_factory=list, description="alerting rules, written to the service's rule group after its recording "
                                          "rules",
        examples=[[{"name": "HighErrorRate", "for": "2m", "severity": "critical", "category": "application",
                    "expr": 'sum(rate(http_requests_total{status=~"5.."}[5m])) '
                            '/ sum(rate(http_requests_total[5m])) > 0.05',
                    "summary": "High error rate detected",
                    "runbook_url": "https://runbooks.waardhaven.com/application/high-error-rate"}]])
    recording_rules: list[RecordingRuleSpec] = Field(
        default_factory=list, description="recording rules, written to the service's rule group before its alerts "
                                          "(which may use them)",
        examples=[[{"record": "job:http_requests:rate5m", "expr": "sum by (job) (rate(http_requests_total[5m]))"}]])
    rule_group: RuleGroupSpec = Field(
        default_factory=RuleGroupSpec, description="name, evaluation interval and limit of the service's rule group",
        examples=[{"interval": "30s"}])
    slos: list[SLOSpec] = Field(
        default_factory=list, description="service level objectives; each becomes recording rules, burn-rate "
                                          "alerts, rule unit tests and panels on the service's SLO dashboard",
        examples=[[{"name": "api-availability", "objective": 99.9, "period": "30d",
                    "sli": {"ratio": {"bad": 'api_request_duration_seconds_count{status=~"5.."}',
                                      "total": "api_request_duration_seconds_count"}}}]])
    instrumentation: InstrumentationSpec = Field(
        default_factory=InstrumentationSpec, description="application-side code and settings obsgen generates for "
                                                         "the service from its catalog",
        examples=[{"python": {}, "tracing": True}])
    probes: list[ProbeSpec] = Field(
        default_factory=list, description="synthetic checks of the service from outside, through the blackbox "
                                          "exporter; each has an uptime alert and a panel on the service's dashboard",
        examples=[[{"name": "api-health", "http": {"url": "https://api.waardhaven.com/health"}}]])
    logs: ServiceLogsSpec | None = Field(
        None, description="ship the service's JSON logs to Elasticsearch (needs the top-level `logging` section) "
                          "and alert on error spikes; unset: its logs are not handled by obsgen",
        examples=[{"format": "cri"}, {"path": "/var/log/qlib-pro/api-*.log", "format": "json"}])
    type: ServiceType | None = Field(
        None, description="what the service is: an http or a grpc server, a worker taking jobs from a queue, or "
                          "a batch job. Gives its golden signals: recording rules, error and latency alerts (a "
                          "worker's backlog and job age, a batch job's last success), an overview dashboard, and "
                          "with its tier the SLOs (not for batch jobs); unset: none",
        examples=["http", "worker"])
    signals: SignalsSpec = Field(
        default_factory=SignalsSpec, description="where the type's golden signals are read from: OpenTelemetry's "
                                                 "metric names unless told otherwise",
        examples=[{"convention": "prometheus-client"}, {"requests": "shop_requests_total", "errors": 'code=~"5.."'}])
    depends_on: list[Name] = Field(
        default_factory=list, description="services this one needs (services[].name): their key panels join its "
                                          "overview dashboard, and `obsgen explain` lists them with its alerts",
        examples=[["checkout-db", "cache"]])
    batteries: BatteriesSpec = Field(
        default_factory=BatteriesSpec, description="what the exporter's pack, the type and the tier add, tuned or "
                                                   "switched off by name (`obsgen explain --packs` lists it)",
        examples=[{"alerts": {"PostgresTooManyConnections": {"threshold": 0.9}}, "slos": {"latency": {"enabled": False}}}])
    silence: Silences = Field(default_factory=dict)


