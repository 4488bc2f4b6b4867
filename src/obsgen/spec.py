"""The user-facing spec format, obsgen/v1, as pydantic models (phase 2, parse).

Every model forbids unknown keys. Field descriptions and examples feed `obsgen schema`.
These types describe what a user writes; `model.py` holds what the compiler works on.
"""
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from . import naming


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _name(v: str) -> str:
    try:
        return naming.check_name(v)
    except naming.NameNotAllowed as exc:
        raise PydanticCustomError("name_not_allowed", str(exc)) from None


def _duration(v: str) -> str:
    naming.duration_seconds(v)
    return v


def _positive(v: str) -> str:
    if naming.duration_seconds(v) <= 0:
        raise ValueError("must be longer than zero")
    return v


def _regex(pattern, what: str):
    def check(v: str) -> str:
        if not pattern.fullmatch(v):
            raise ValueError(f"{v!r} is not a valid {what}")
        return v
    return check


Duration = Annotated[str, AfterValidator(_duration), Field(examples=["30s", "5m", "1h"])]
PositiveDuration = Annotated[str, AfterValidator(_duration), AfterValidator(_positive),
                             Field(examples=["15s", "5m", "1h"])]
Name = Annotated[str, AfterValidator(_name), Field(examples=["trading-api"])]


def _label_name(v: str) -> str:
    if not naming.LABEL_RE.fullmatch(v):
        raise ValueError(f"{v!r} is not a valid label name")
    if v.startswith("__"):
        raise ValueError(f"{v!r}: label names starting with __ are reserved for Prometheus")
    return v


LabelName = Annotated[str, AfterValidator(_label_name)]
MetricName = Annotated[str, AfterValidator(_regex(naming.METRIC_RE, "metric name"))]
AlertName = Annotated[str, AfterValidator(_regex(naming.ALERT_RE, "alert name"))]
Finite = Annotated[float, Field(allow_inf_nan=False)]
SeverityName = Literal["critical", "warning", "info"]
CategoryName = Literal["infrastructure", "application", "business", "security"]
ChannelName = Literal["pagerduty", "slack", "email", "webhook", "sms"]
FilePath = Annotated[str, Field(min_length=1, description="Path of a file the consuming tool reads at run time",
                                examples=["/etc/alertmanager/secrets/slack-platform-url"])]
CheckCode = Annotated[str, Field(pattern=r"^OBS\d{3}$")]
Silences = Annotated[dict[CheckCode, Annotated[str, Field(min_length=1)]], Field(
    description="checks silenced on this object: {code: reason}. The reason is kept in the output "
                "(silenced.yaml); a silence that silences nothing is reported",
    examples=[{"OBS050": "exported by the vendor's sidecar, which has no catalog"}])]


# ----------------------------------------------------------------------------- global

class Retention(Spec):
    time: Duration | None = Field(None, description="--storage.tsdb.retention.time for the Prometheus server")
    size: Annotated[str, Field(pattern=r"^\d+(B|KB|MB|GB|TB|PB|EB)$")] | None = Field(
        None, description="--storage.tsdb.retention.size", examples=["100GB"])


class Datasource(Spec):
    type: str = Field("prometheus", description="Grafana datasource plugin type")
    uid: Annotated[str, AfterValidator(_regex(naming.UID_RE, "datasource uid"))] = Field(
        "prometheus", description="uid of the Grafana datasource dashboards query")


CoverageAspect = Literal["owner", "scrape", "alerts", "slo", "dashboard"]


class CoverageObjective(Spec):
    min_percent: Annotated[Finite, Field(ge=0, le=100)] = Field(
        description="share of services that have every aspect in `require`", examples=[95])
    require: list[CoverageAspect] = Field(
        default_factory=lambda: ["owner", "scrape", "alerts", "slo", "dashboard"],
        description="what a service needs to count as covered")


class Objectives(Spec):
    time_to_notify: dict[SeverityName, PositiveDuration] = Field(
        default_factory=dict, description="worst-case time from an alert's condition becoming true to its first "
                                          "notification, per severity; `validate` reports alerts over it",
        examples=[{"critical": "5m", "warning": "15m"}])
    coverage: CoverageObjective | None = None


class GlobalSpec(Spec):
    scrape_interval: PositiveDuration = "15s"
    scrape_timeout: PositiveDuration = "10s"
    evaluation_interval: PositiveDuration = "15s"
    external_labels: dict[LabelName, str] = Field(default_factory=dict, examples=[{"cluster": "prod-1"}])
    alertmanagers: list[Annotated[str, Field(pattern=r"^[^\s/]+:\d+$")]] = Field(
        default_factory=lambda: ["alertmanager:9093"], description="host:port of each Alertmanager")
    retention: Retention | None = None
    datasource: Datasource = Field(default_factory=Datasource)
    objectives: Objectives = Field(default_factory=Objectives, description="the monitoring's own targets, "
                                   "checked by `obsgen validate` and shown by `obsgen explain`")
    rule_files_per: Literal["service", "team"] = Field(
        "service", description="write one alert rule file per service (default) or per owning team")

    @model_validator(mode="after")
    def _timeout_within_interval(self):
        if naming.duration_seconds(self.scrape_timeout) > naming.duration_seconds(self.scrape_interval):
            raise ValueError("scrape_timeout must not be longer than scrape_interval")
        return self


# ----------------------------------------------------------------------------- teams

class SlackChannel(Spec):
    channel: Annotated[str, Field(pattern=r"^[#@]?[\w.-]+$")] = Field(examples=["#platform-alerts"])
    api_url_file: FilePath = Field(description="file holding the Slack webhook URL (Alertmanager api_url_file)")


class PagerDutyChannel(Spec):
    routing_key_file: FilePath = Field(description="file holding the Events API v2 integration key")


class EmailChannel(Spec):
    to: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")] = Field(examples=["platform@example.com"])


_SECRET_URL = re.compile(
    r"//[^/@\s]*:[^/@\s]*@"  # user:password@host
    r"|[?&](?:token|access_token|api_key|apikey|key|secret|sig|signature|password|auth)=[^&\s]"
    r"|hooks\.slack\.com/(?:services|workflows)/"  # Slack webhook URLs are themselves the secret
    r"|events\.pagerduty\.com/.*[0-9a-f]{32}", re.IGNORECASE)


def _no_secret_in_url(v: str) -> str:
    if _SECRET_URL.search(v):
        raise PydanticCustomError("literal_secret", "this URL carries a credential")
    return v


SafeURL = Annotated[str, Field(pattern=r"^https?://"), AfterValidator(_no_secret_in_url)]


class WebhookChannel(Spec):
    url: SafeURL | None = Field(
        None, description="endpoint without credentials; put a token in credentials_file", examples=["http://hook:8080/"])
    url_file: FilePath | None = Field(None, description="file holding the endpoint URL, for URLs that are "
                                                        "themselves secret (needs Alertmanager 0.26)")
    credentials_file: FilePath | None = Field(None, description="bearer token file sent as Authorization header")

    @model_validator(mode="after")
    def _one_url(self):
        if (self.url is None) == (self.url_file is None):
            raise ValueError("give exactly one of url and url_file")
        return self


class SnsTarget(Spec):
    """Amazon SNS, with credentials from the AWS SDK's default chain (instance role, environment)."""

    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")] = Field(examples=["eu-west-1"])
    topic_arn: Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:sns:")] | None = None
    phone_number: Annotated[str, Field(pattern=r"^\+\d{6,15}$")] | None = None
    role_arn: Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::")] | None = Field(
        None, description="role to assume for publishing")

    @model_validator(mode="after")
    def _one_destination(self):
        if (self.topic_arn is None) == (self.phone_number is None):
            raise ValueError("give exactly one of topic_arn and phone_number")
        return self


class SmsChannel(Spec):
    """SMS goes out through a gateway that accepts Alertmanager's webhook payload, or through SNS."""

    gateway_url: SafeURL | None = Field(None, examples=["http://sms-gateway:8080/alert"])
    credentials_file: FilePath | None = None
    sns: SnsTarget | None = None

    @model_validator(mode="after")
    def _one_path(self):
        if (self.gateway_url is None) == (self.sns is None):
            raise ValueError("give exactly one of gateway_url and sns")
        if self.sns is not None and self.credentials_file:
            raise ValueError("credentials_file is for the gateway; SNS uses the AWS credential chain")
        return self


TemplateKind = Literal["slack_title", "slack_text", "email_subject", "email_html", "pagerduty_description"]


class TeamSpec(Spec):
    name: Name
    description: str | None = None
    slack: SlackChannel | None = None
    pagerduty: PagerDutyChannel | None = None
    email: EmailChannel | None = None
    webhook: WebhookChannel | None = None
    sms: SmsChannel | None = None
    channels: dict[SeverityName, list[ChannelName]] = Field(
        default_factory=dict,
        description="per-severity channels for this team, replacing routing.severities[...].channels",
        examples=[{"critical": ["pagerduty", "slack", "sms"]}])
    templates: dict[TemplateKind, Annotated[str, Field(min_length=1)]] = Field(
        default_factory=dict, description="this team's notification texts, as Alertmanager (Go) templates, "
                                          "replacing obsgen's (templates/alertmanager/*.j2)",
        examples=[{"slack_title": "{{ .CommonLabels.alertname }} on {{ .CommonLabels.service }}"}])
    silence: Silences = Field(default_factory=dict)


# ----------------------------------------------------------------------------- services

class MetricSpec(Spec):
    name: MetricName
    type: Literal["counter", "gauge", "histogram", "summary"]
    help: str = Field(min_length=1)
    unit: str | None = Field(None, examples=["seconds", "bytes", "aud"])
    labels: list[LabelName] = Field(default_factory=list)
    buckets: list[Finite] | None = Field(None, description="histogram bucket upper bounds, ascending")
    silence: Silences = Field(default_factory=dict)

    @model_validator(mode="after")
    def _buckets(self):
        if self.buckets is not None:
            if self.type != "histogram":
                raise ValueError("buckets are only for histograms")
            if list(self.buckets) != sorted(set(self.buckets)):
                raise ValueError("buckets must be strictly ascending")
        if self.type == "counter" and not self.name.endswith("_total"):
            raise ValueError("counter names end in _total (Prometheus naming convention)")
        if "le" in self.labels and self.type == "histogram":
            raise ValueError("`le` is reserved for histogram buckets")
        return self


class KubernetesScrape(Spec):
    role: Literal["node", "pod", "service", "endpoints", "endpointslice", "ingress"] = "endpoints"
    preset: Literal["apiservers", "nodes", "cadvisor"] | None = Field(
        None, description="well-known cluster jobs: the API servers, kubelets, or cAdvisor via the API server")
    namespaces: list[str] = Field(default_factory=list)
    annotated: bool = Field(False, description="keep only targets annotated prometheus.io/scrape: \"true\" "
                                              "and honour prometheus.io/path and prometheus.io/port")
    selector: dict[Annotated[str, Field(pattern=r"^([a-z0-9]([a-z0-9.-]*[a-z0-9])?/)?[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$")],
                   str] = Field(
        default_factory=dict, description="Kubernetes labels a target's service (or pod) must have",
        examples=[{"app": "trading-api"}])
    port: str | None = Field(None, description="name of the port to scrape", examples=["metrics"])


EXPORTER_PORTS = {"node": 9100, "postgres": 9187, "redis": 9121, "kafka": 9308, "blackbox": 9115}


class ExporterScrape(Spec):
    kind: Literal["node", "postgres", "redis", "kafka", "blackbox"]
    targets: list[Annotated[str, Field(pattern=r"^[^\s/:]+(:\d+)?$")]] = Field(
        min_length=1, description="exporter host[:port]; the exporter's default port is used when none is given",
        examples=[["postgres-exporter"]])
    module: str = Field("http_2xx", description="blackbox only: the prober module")
    probes: list[str] = Field(default_factory=list, description="blackbox only: URLs or hosts to probe")

    @model_validator(mode="after")
    def _blackbox(self):
        if self.kind == "blackbox" and not self.probes:
            raise ValueError("a blackbox exporter needs `probes`: the URLs or hosts it checks")
        if self.kind == "blackbox" and len(self.targets) != 1:
            raise ValueError("a blackbox job sends every probe through one exporter: give one target")
        if self.kind != "blackbox" and self.probes:
            raise ValueError("`probes` is only for the blackbox exporter")
        return self


class ScrapeSpec(Spec):
    static: list[Annotated[str, Field(pattern=r"^[^\s/]+(:\d+)?$")]] | None = Field(
        None, description="host:port targets", examples=[["api-1:8000"]])
    kubernetes: KubernetesScrape | None = None
    exporter: ExporterScrape | None = None
    job: str | None = Field(None, description="job label (default: the service name)")
    interval: PositiveDuration | None = None
    timeout: PositiveDuration | None = None
    metrics_path: Annotated[str, Field(pattern=r"^/")] = "/metrics"
    scheme: Literal["http", "https"] = "http"
    ca_file: FilePath | None = None
    bearer_token_file: FilePath | None = None
    labels: dict[LabelName, str] = Field(default_factory=dict, description="labels added to every target")

    @model_validator(mode="after")
    def _exactly_one(self):
        given = [k for k in ("static", "kubernetes", "exporter") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of `static`, `kubernetes` or `exporter`"
                             + (f" (found {', '.join(given)})" if given else ""))
        if self.interval and self.timeout and (
                naming.duration_seconds(self.timeout) > naming.duration_seconds(self.interval)):
            raise ValueError("timeout must not be longer than interval")
        return self


class AlertSpec(Spec):
    name: AlertName
    expr: str = Field(min_length=1, description="PromQL; the alert fires while it returns series")
    for_: Duration = Field("0s", alias="for")
    keep_firing_for: Duration | None = None
    severity: SeverityName
    category: CategoryName | None = Field(None, description="routes by category (routing.categories); "
                                                            "no `category` label when unset")
    team: Name | None = Field(None, description="owning team (default: the service's)")
    summary: Annotated[str, Field(min_length=1)] | None = Field(None, description="one line for the notification "
                                                                               "title; lint warns when missing")
    description: Annotated[str, Field(min_length=1)] | None = None
    runbook_url: Annotated[str, Field(pattern=r"^https?://")] | None = None
    labels: dict[LabelName, str] = Field(default_factory=dict)
    annotations: dict[LabelName, str] = Field(default_factory=dict)
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
        description="the new series' name (level:metric:operations)", examples=["job:http_requests:rate5m"])
    expr: str = Field(min_length=1)
    labels: dict[LabelName, str] = Field(default_factory=dict)
    silence: Silences = Field(default_factory=dict)


class RuleGroupSpec(Spec):
    name: Annotated[str, Field(min_length=1)] | None = Field(None, description="rule group name (default: the "
                                                                                "service name)")
    interval: PositiveDuration | None = Field(None, description="evaluation interval of this group "
                                                                "(default: global.evaluation_interval)")
    limit: int | None = Field(None, ge=0, description="Prometheus' per-group series limit (0: none)")
    alert_labels: list[Literal["team", "category", "service"]] = Field(
        default_factory=lambda: ["team", "category", "service"],
        description="labels obsgen adds to this service's alerts for routing; `obsgen import rules` "
                    "clears it so imported rules build back unchanged")


# ----------------------------------------------------------------------------- SLOs

Selector = Annotated[str, Field(min_length=1, description="a PromQL series selector",
                                examples=['http_requests_total{job="api",code!~"5.."}'])]


class RatioSLI(Spec):
    """Events: good (or bad) over total, each a counter selector; obsgen takes their rates."""

    good: Selector | None = None
    bad: Selector | None = None
    total: Selector

    @model_validator(mode="after")
    def _one_side(self):
        if (self.good is None) == (self.bad is None):
            raise ValueError("give exactly one of `good` or `bad`, beside `total`")
        return self


class LatencySLI(Spec):
    """Requests faster than `threshold` seconds are good: the histogram bucket with that `le`."""

    histogram: MetricName = Field(description="the histogram's name, without _bucket",
                                  examples=["http_request_duration_seconds"])
    threshold: Annotated[Finite, Field(gt=0)] = Field(description="seconds; must be one of the histogram's buckets")
    matchers: str | None = Field(None, description="label matchers added to every selector",
                                 examples=['job="api", route!="/health"'])


class FreshnessSLI(Spec):
    """A gauge that must stay at or under `max` (e.g. lag in seconds): the SLI is the fraction of
    time it does, taking the worst series."""

    gauge: Selector
    max: Finite


class RawSLI(Spec):
    error_ratio: str = Field(description="PromQL for the ratio of bad events, with {{window}} where the range goes",
                             examples=["sum(rate(errors_total[{{window}}])) / sum(rate(requests_total[{{window}}]))"])

    @model_validator(mode="after")
    def _window(self):
        if "{{window}}" not in self.error_ratio.replace(" ", ""):
            raise ValueError("error_ratio needs a {{window}} placeholder where the range goes")
        return self


class SLISpec(Spec):
    ratio: RatioSLI | None = None
    latency: LatencySLI | None = None
    freshness: FreshnessSLI | None = None
    raw: RawSLI | None = None

    @model_validator(mode="after")
    def _exactly_one(self):
        given = [k for k in ("ratio", "latency", "freshness", "raw") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one SLI kind: ratio, latency, freshness or raw"
                             + (f" (found {', '.join(given)})" if given else ""))
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("ratio", "latency", "freshness", "raw") if getattr(self, k) is not None)


SLO_ALERT_LABELS = ("service", "slo", "slo_tier", *naming.ALERT_LABELS)


class SLOTier(Spec):
    enabled: bool = True
    severity: SeverityName
    labels: dict[LabelName, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _reserved(self):
        clash = sorted(set(self.labels) & set(SLO_ALERT_LABELS))
        if clash:
            raise ValueError(f"labels {', '.join(clash)} are set by obsgen (severity: use `severity`)")
        return self


class SLOAlerting(Spec):
    name: AlertName | None = Field(None, description="base of the alert names (default: from service and SLO)")
    page: SLOTier = Field(default_factory=lambda: SLOTier(severity="critical"))
    ticket: SLOTier = Field(default_factory=lambda: SLOTier(severity="warning"))
    team: Name | None = Field(None, description="who is paged (default: the service's team)")
    category: CategoryName = "application"
    runbook_url: Annotated[str, Field(pattern=r"^https?://")] | None = None
    min_traffic: Annotated[Finite, Field(ge=0)] | None = Field(
        None, description="events per second, averaged over an alert's long window, below which it does not fire")
    budget_alerts: bool = Field(False, description="also alert when 50% (warning) and 90% (critical) of the "
                                                   "period's error budget is spent")
    annotations: dict[LabelName, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _own_annotations(self):
        clash = sorted(set(self.annotations) & {"summary", "description", "runbook_url"})
        if clash:
            raise ValueError(f"annotations {', '.join(clash)} are written by obsgen (runbook: use `runbook_url`)")
        return self


class SLOSpec(Spec):
    name: Name
    objective: float = Field(gt=0, lt=100, description="percent of good events (or time)", examples=[99.9])
    period: Duration = "30d"
    description: str | None = None
    sli: SLISpec
    alerting: SLOAlerting = Field(default_factory=SLOAlerting)
    labels: dict[LabelName, str] = Field(default_factory=dict, description="added to every SLO series and alert")
    silence: Silences = Field(default_factory=dict)

    @model_validator(mode="after")
    def _period(self):
        if naming.duration_seconds(self.period) < 3600:
            raise ValueError("an SLO period shorter than 1h leaves no room for burn-rate windows")
        if self.sli.raw is not None and self.alerting.min_traffic is not None:
            raise ValueError("alerting.min_traffic needs an event rate, which a raw SLI does not give; "
                             "use a ratio or latency SLI")
        if self.sli.freshness is not None and self.alerting.min_traffic is not None:
            raise ValueError("alerting.min_traffic is for event SLIs; a freshness SLI has no traffic")
        clash = sorted(set(self.labels) & set(SLO_ALERT_LABELS))
        if clash:
            raise ValueError(f"labels {', '.join(clash)} are set by obsgen")
        return self


class ServiceSpec(Spec):
    name: Name
    team: Name
    tier: int = Field(2, ge=1, le=4, description="1 is most critical")
    description: str | None = None
    scrape: ScrapeSpec | None = None
    metrics: list[MetricSpec] = Field(default_factory=list)
    alerts: list[AlertSpec] = Field(default_factory=list)
    recording_rules: list[RecordingRuleSpec] = Field(default_factory=list)
    rule_group: RuleGroupSpec = Field(default_factory=RuleGroupSpec)
    slos: list[SLOSpec] = Field(default_factory=list)
    silence: Silences = Field(default_factory=dict)


# ----------------------------------------------------------------------------- dashboards

class ThresholdStep(Spec):
    value: Finite | None = Field(None, description="lower bound of this step; the first step has none")
    color: str = Field(examples=["green", "red", "#FF9830"])


class QuerySpec(Spec):
    expr: str = Field(min_length=1)
    legend: str | None = None
    format: Literal["time_series", "table", "heatmap"] | None = Field(
        None, description="result format (default: what the panel type reads: heatmap for heatmaps, "
                          "table for tables, time_series otherwise)")
    instant: bool = False


class PanelSpec(Spec):
    title: str = Field(min_length=1)
    type: Literal["timeseries", "stat", "gauge", "bargauge", "heatmap", "table"] = "timeseries"
    description: str | None = None
    queries: list[QuerySpec] = Field(min_length=1)
    unit: str | None = Field(None, examples=["percent", "percentunit", "s", "bytes", "reqps"])
    min: Finite | None = None
    max: Finite | None = None
    decimals: int | None = Field(None, ge=0, le=10)
    thresholds: list[ThresholdStep] | None = None
    width: int | None = Field(None, ge=1, le=24, description="grid columns (24 is full width)")
    height: int | None = Field(None, ge=2, le=40)
    silence: Silences = Field(default_factory=dict)

    @model_validator(mode="after")
    def _thresholds(self):
        steps = self.thresholds or []
        if steps and steps[0].value is not None:
            raise ValueError("the first threshold step is the base colour: give it no `value`")
        values = [s.value for s in steps[1:]]
        if any(v is None for v in values):
            raise ValueError("every threshold step after the first needs a `value`")
        if values != sorted(values) or len(set(values)) != len(values):
            raise ValueError("threshold values must be strictly ascending")
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError("min must be below max")
        return self


class TimeRange(Spec):
    from_: str = Field("now-6h", alias="from")
    to: str = "now"


class DashboardSpec(Spec):
    title: str = Field(min_length=1)
    uid: Annotated[str, AfterValidator(_regex(naming.UID_RE, "dashboard uid"))] | None = Field(
        None, description="stable Grafana uid (default: derived from the title)")
    folder: str = "General"
    team: Name | None = None
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    refresh: Duration | None = "1m"
    time: TimeRange = Field(default_factory=TimeRange)
    timezone: Literal["browser", "utc"] = "browser"
    panels: list[PanelSpec] = Field(min_length=1)
    silence: Silences = Field(default_factory=dict)


# ----------------------------------------------------------------------------- tracing

class Resources(Spec):
    cpu: str = Field(pattern=r"^\d+(\.\d+)?m?$")
    memory: str = Field(pattern=r"^\d+(Ki|Mi|Gi|Ti|K|M|G|T)?$")


class ResourceSpec(Spec):
    requests: Resources = Field(default_factory=lambda: Resources(cpu="500m", memory="1Gi"))
    limits: Resources = Field(default_factory=lambda: Resources(cpu="1", memory="2Gi"))


class SecretRef(Spec):
    """A key of a Kubernetes Secret; obsgen never sees the value."""

    name: Name
    key: str = Field(min_length=1)


class ElasticsearchStorage(Spec):
    urls: list[Annotated[str, Field(pattern=r"^https?://")]] = Field(min_length=1)
    index_prefix: str | None = None
    username: str | None = None
    password_secret: SecretRef | None = None


class StorageSpec(Spec):
    type: Literal["memory", "elasticsearch", "badger"] = "memory"
    elasticsearch: ElasticsearchStorage | None = None

    @model_validator(mode="after")
    def _backend(self):
        if self.type == "elasticsearch" and self.elasticsearch is None:
            raise ValueError("storage type elasticsearch needs an `elasticsearch` block")
        if self.type != "elasticsearch" and self.elasticsearch is not None:
            raise ValueError("an `elasticsearch` block needs `type: elasticsearch`")
        return self


class SamplingSpec(Spec):
    default: float = Field(1.0, ge=0, le=1, description="probability of sampling a trace (0.01 is 1%)")
    services: dict[Name, Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=dict)
    operations: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict, description="per-operation probabilities applied to every service",
        examples=[{"/health": 0.0}])


class JaegerSpec(Spec):
    namespace: Name = "monitoring"
    image: str = "jaegertracing/all-in-one:1.62.0"
    replicas: int = Field(1, ge=1, le=1, description="the all-in-one image keeps state in memory: one replica")
    storage: StorageSpec = Field(default_factory=StorageSpec)
    resources: ResourceSpec = Field(default_factory=ResourceSpec)
    otlp: bool = Field(True, description="accept OTLP over gRPC (4317) and HTTP (4318)")


class TracingSpec(Spec):
    jaeger: JaegerSpec = Field(default_factory=JaegerSpec)
    sampling: SamplingSpec = Field(default_factory=SamplingSpec)


# ----------------------------------------------------------------------------- routing

class Timing(Spec):
    group_wait: Duration | None = None
    group_interval: PositiveDuration | None = None
    repeat_interval: PositiveDuration | None = None
    mute_during: list[Name] = Field(default_factory=list, description="time intervals (routing.time_intervals) "
                                                                      "when these notifications are muted")
    active_during: list[Name] = Field(default_factory=list, description="time intervals outside which these "
                                                                        "notifications are muted")


_CLOCK = r"([01]\d|2[0-3]):[0-5]\d|24:00"
_WEEKDAY = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTH = (r"(january|february|march|april|may|june|july|august|september|october|november|december"
          r"|[1-9]|1[0-2])")


def _range_of(item: str, example: str):
    pattern = re.compile(rf"^{item}(:{item})?$")

    def check(v: str) -> str:
        if not pattern.fullmatch(v):
            raise ValueError(f"{v!r} is not a value or range like {example}")
        return v
    return AfterValidator(check)


def _zone(v: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {v!r} (an IANA name like Europe/Amsterdam)") from None
    return v


class TimeRangeOfDay(Spec):
    start: Annotated[str, Field(pattern=f"^({_CLOCK})$")] = Field(examples=["09:00"])
    end: Annotated[str, Field(pattern=f"^({_CLOCK})$")] = Field(examples=["17:30"])

    @model_validator(mode="after")
    def _order(self):
        if self.start >= self.end:
            raise ValueError("start must be before end (split ranges that cross midnight in two)")
        return self


class TimeIntervalSpec(Spec):
    """When a time interval holds: every field given must match (Alertmanager's time_intervals)."""

    times: list[TimeRangeOfDay] = Field(default_factory=list)
    weekdays: list[Annotated[str, _range_of(_WEEKDAY, "monday:friday")]] = Field(
        default_factory=list, examples=[["monday:friday"]])
    days_of_month: list[Annotated[str, _range_of(r"-?([1-9]|[12]\d|3[01])", "1:7 or -1")]] = Field(
        default_factory=list, examples=[["1:7", "-1"]])
    months: list[Annotated[str, _range_of(_MONTH, "january:march or 1:3")]] = Field(default_factory=list)
    years: list[Annotated[str, _range_of(r"\d{4}", "2026:2027")]] = Field(default_factory=list)
    location: Annotated[str, AfterValidator(_zone)] | None = Field(
        None, description="IANA time zone of the times (default UTC)", examples=["Europe/Amsterdam"])


class SeverityRouting(Timing):
    channels: list[ChannelName]


class CategoryRouting(Timing):
    team: Name | None = Field(None, description="also notify this team of every alert in the category")


class InhibitSpec(Spec):
    source_severity: SeverityName
    target_severity: list[SeverityName] = Field(min_length=1)
    equal: list[LabelName] = Field(default_factory=lambda: ["alertname", "service", "instance"])


class SmtpSpec(Spec):
    smarthost: Annotated[str, Field(pattern=r"^[^\s:/]+:\d+$")]
    from_: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")] = Field(alias="from")
    auth_username: str | None = None
    auth_password_file: FilePath | None = None
    require_tls: bool = True


def _default_severities() -> dict:
    return {
        "critical": SeverityRouting(channels=["pagerduty", "slack"], group_wait="5s", repeat_interval="5m"),
        "warning": SeverityRouting(channels=["slack", "email"]),
        "info": SeverityRouting(channels=["email"]),
    }


class RoutingSpec(Spec):
    default_team: Name | None = Field(None, description="receives alerts that no team route matches")
    group_by: list[LabelName] = Field(default_factory=lambda: ["alertname", "service", "severity"])
    group_wait: Duration = "30s"
    group_interval: PositiveDuration = "5m"
    repeat_interval: PositiveDuration = "4h"
    severities: dict[SeverityName, SeverityRouting] = Field(default_factory=_default_severities)
    categories: dict[CategoryName, CategoryRouting] = Field(default_factory=dict)
    inhibit: list[InhibitSpec] = Field(
        default_factory=lambda: [InhibitSpec(source_severity="critical", target_severity=["warning"])])
    smtp: SmtpSpec | None = None
    time_intervals: dict[Name, list[TimeIntervalSpec]] = Field(
        default_factory=dict, description="named time intervals that severities and categories mute or "
                                          "activate notifications with",
        examples=[{"business-hours": [{"weekdays": ["monday:friday"], "times": [{"start": "09:00", "end": "17:00"}],
                                        "location": "Europe/Amsterdam"}]}])
    alertmanager_version: Annotated[str, Field(pattern=r"^\d+\.\d+$")] = Field(
        "0.25", description="the Alertmanager version the config targets; settings it lacks are refused")

    @model_validator(mode="after")
    def _group_by(self):
        if len(set(self.group_by)) != len(self.group_by):
            raise ValueError("group_by lists a label twice")
        return self


# ----------------------------------------------------------------------------- documents

class ProjectSpec(Spec):
    """One environment's view of the whole spec: all files merged, overrides applied."""

    global_: GlobalSpec = Field(default_factory=GlobalSpec, alias="global")
    teams: list[TeamSpec] = Field(default_factory=list)
    services: list[ServiceSpec] = Field(default_factory=list)
    dashboards: list[DashboardSpec] = Field(default_factory=list)
    tracing: TracingSpec | None = None
    routing: RoutingSpec = Field(default_factory=RoutingSpec)


# Keys a spec file may have at the top, besides these sections.
FILE_KEYS = ("apiVersion", "environments")
SECTION_KEYS = ("global", "teams", "services", "dashboards", "tracing", "routing")
LIST_SECTIONS = ("teams", "services", "dashboards")
# What an environment may override: the mapping sections deeply, list items by name.
ENV_KEYS = ("global", "tracing", "routing", "teams", "services", "dashboards")

# Keys that would hold a secret in the tool's own config: a spec must point at a file instead.
SECRET_KEYS = {
    "api_url": "api_url_file", "routing_key": "routing_key_file", "service_key": "routing_key_file",
    "auth_password": "auth_password_file", "password": "a SecretRef (password_secret) or a *_file path",
    "token": "credentials_file", "bearer_token": "bearer_token_file", "credentials": "credentials_file",
    "api_key": "an *_file path", "secret": "an *_file path",
}
