"""The user-facing spec format, obsgen/v1, as pydantic models (phase 2, parse).

Every model forbids unknown keys. Every field has a description (for someone editing the YAML:
units, what leaving it out means, what obsgen does with it) and examples unless its default shows
the form: `obsgen schema` turns them into the JSON Schema editors show, and tests/test_schema.py
checks that none is missing and that every example is accepted here.
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
Name = Annotated[str, AfterValidator(_name)]


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
FilePath = Annotated[str, Field(min_length=1, description="path of a file the consuming tool (Prometheus, "
                                                            "Alertmanager) reads at run time")]
CheckCode = Annotated[str, Field(pattern=r"^OBS\d{3}$")]
Silences = Annotated[dict[CheckCode, Annotated[str, Field(min_length=1)]], Field(
    description="checks silenced on this object: {code: reason}. The reason is kept in the output "
                "(silenced.yaml); a silence that silences nothing is reported",
    examples=[{"OBS050": "exported by the vendor's sidecar, which has no catalog"}])]


# ----------------------------------------------------------------------------- global

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
    external_labels: dict[LabelName, str] = Field(
        default_factory=dict, description="labels Prometheus adds to every series and alert it sends out "
                                          "(to Alertmanager, remote storage, federation): which cluster or "
                                          "region a series comes from. Label names may not start with __",
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

    @model_validator(mode="after")
    def _timeout_within_interval(self):
        if naming.duration_seconds(self.scrape_timeout) > naming.duration_seconds(self.scrape_interval):
            raise ValueError("scrape_timeout must not be longer than scrape_interval")
        return self


# ----------------------------------------------------------------------------- teams

class SlackChannel(Spec):
    channel: Annotated[str, Field(pattern=r"^[#@]?[\w.-]+$")] = Field(
        description="Slack channel (#name) or user (@name) the team's notifications are posted to",
        examples=["#platform-alerts"])
    api_url_file: FilePath = Field(
        description="file on the Alertmanager host holding the Slack incoming-webhook URL (written as "
                    "api_url_file; the URL is a secret, so the spec never holds it)",
        examples=["/etc/alertmanager/secrets/slack-platform-url"])


class PagerDutyChannel(Spec):
    routing_key_file: FilePath = Field(
        description="file on the Alertmanager host holding the PagerDuty Events API v2 integration (routing) key",
        examples=["/etc/alertmanager/secrets/pagerduty-platform-key"])


class EmailChannel(Spec):
    to: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")] = Field(
        description="address the team's notifications are mailed to; needs routing.smtp",
        examples=["platform@waardhaven.com"])


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
        None, description="http(s) endpoint that receives Alertmanager's webhook payload, without credentials "
                          "(a URL with a token or password in it is refused: use credentials_file or url_file). "
                          "Give url or url_file", examples=["http://incident-bot.ops.svc:8080/alertmanager"])
    url_file: FilePath | None = Field(
        None, description="file holding the endpoint URL, for URLs that are themselves secret (needs "
                          "routing.alertmanager_version 0.26 or later). Give url or url_file",
        examples=["/etc/alertmanager/secrets/webhook-url"])
    credentials_file: FilePath | None = Field(
        None, description="file holding a bearer token Alertmanager sends in the Authorization header",
        examples=["/etc/alertmanager/secrets/webhook-token"])

    @model_validator(mode="after")
    def _one_url(self):
        if (self.url is None) == (self.url_file is None):
            raise ValueError("give exactly one of url and url_file")
        return self


class SnsTarget(Spec):
    """Amazon SNS, with credentials from the AWS SDK's default chain (instance role, environment)."""

    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")] = Field(
        description="AWS region of the SNS topic, or the region SMS are sent from",
        examples=["us-east-1", "ap-southeast-2"])
    topic_arn: Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:sns:")] | None = Field(
        None, description="SNS topic to publish to (its subscribers get the text). Give topic_arn or phone_number",
        examples=["arn:aws:sns:ap-southeast-2:123456789012:quant-oncall"])
    phone_number: Annotated[str, Field(pattern=r"^\+\d{6,15}$")] | None = Field(
        None, description="phone number to text directly, in E.164 form (+ and country code). Give topic_arn or "
                          "phone_number", examples=["+61412345678"])
    role_arn: Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::")] | None = Field(
        None, description="IAM role Alertmanager assumes to publish (SigV4); unset: the credentials it already has",
        examples=["arn:aws:iam::123456789012:role/alertmanager-sns"])

    @model_validator(mode="after")
    def _one_destination(self):
        if (self.topic_arn is None) == (self.phone_number is None):
            raise ValueError("give exactly one of topic_arn and phone_number")
        return self


class SmsChannel(Spec):
    """SMS goes out through a gateway that accepts Alertmanager's webhook payload, or through SNS."""

    gateway_url: SafeURL | None = Field(
        None, description="http(s) endpoint of an SMS gateway that accepts Alertmanager's webhook payload, without "
                          "credentials. Give gateway_url or sns",
        examples=["http://sms-gateway.monitoring.svc:8080/alertmanager"])
    credentials_file: FilePath | None = Field(
        None, description="file holding a bearer token for the gateway (sent in the Authorization header); "
                          "not for sns", examples=["/etc/alertmanager/secrets/sms-gateway-token"])
    sns: SnsTarget | None = Field(
        None, description="send through Amazon SNS instead of a gateway (needs routing.alertmanager_version 0.23 "
                          "or later). Give gateway_url or sns",
        examples=[{"region": "ap-southeast-2", "phone_number": "+61412345678"}])

    @model_validator(mode="after")
    def _one_path(self):
        if (self.gateway_url is None) == (self.sns is None):
            raise ValueError("give exactly one of gateway_url and sns")
        if self.sns is not None and self.credentials_file:
            raise ValueError("credentials_file is for the gateway; SNS uses the AWS credential chain")
        return self


TemplateKind = Literal["slack_title", "slack_text", "email_subject", "email_html", "pagerduty_description"]


class TeamSpec(Spec):
    name: Name = Field(
        description="team name, unique in the spec: lowercase letters, digits and dashes (a DNS label). Services, "
                    "alerts and routes refer to it; it names the team's receivers (<team>-<severity>) and is the "
                    "`team` label its alerts are routed by", examples=["platform", "quant"])
    description: str | None = Field(
        None, description="what the team does; for people reading the spec (not written to any output)",
        examples=["Runs the shared API platform."])
    slack: SlackChannel | None = Field(
        None, description="the team's Slack channel; used at the severities whose channels list slack",
        examples=[{"channel": "#platform-alerts", "api_url_file": "/etc/alertmanager/secrets/slack-platform-url"}])
    pagerduty: PagerDutyChannel | None = Field(
        None, description="the team's PagerDuty service (Events API v2); used at the severities whose channels "
                          "list pagerduty",
        examples=[{"routing_key_file": "/etc/alertmanager/secrets/pagerduty-platform-key"}])
    email: EmailChannel | None = Field(
        None, description="the team's mail address; used at the severities whose channels list email "
                          "(needs routing.smtp)", examples=[{"to": "platform@waardhaven.com"}])
    webhook: WebhookChannel | None = Field(
        None, description="an HTTP endpoint that receives Alertmanager's webhook payload (a chat bot, an "
                          "incident tool); used at the severities whose channels list webhook",
        examples=[{"url": "http://incident-bot.ops.svc:8080/alertmanager",
                   "credentials_file": "/etc/alertmanager/secrets/webhook-token"}])
    sms: SmsChannel | None = Field(
        None, description="text messages, through a webhook gateway or Amazon SNS; used at the severities whose "
                          "channels list sms (resolved alerts are not texted)",
        examples=[{"gateway_url": "http://sms-gateway.monitoring.svc:8080/alertmanager",
                   "credentials_file": "/etc/alertmanager/secrets/sms-gateway-token"}])
    channels: dict[SeverityName, list[ChannelName]] = Field(
        default_factory=dict,
        description="per severity, the channels this team is notified through, replacing "
                    "routing.severities.<severity>.channels for this team; channels the team has not configured "
                    "are skipped",
        examples=[{"critical": ["pagerduty", "slack", "sms"]}])
    templates: dict[TemplateKind, Annotated[str, Field(min_length=1)]] = Field(
        default_factory=dict, description="this team's notification texts, as Alertmanager (Go) templates, "
                                          "replacing obsgen's (templates/alertmanager/*.j2) in the team's receivers",
        examples=[{"slack_title": "{{ .CommonLabels.alertname }} on {{ .CommonLabels.service }}"}])
    silence: Silences = Field(default_factory=dict)


# ----------------------------------------------------------------------------- services

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
        if self.type == "counter" and not self.name.endswith("_total"):
            raise ValueError("counter names end in _total (Prometheus naming convention)")
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


EXPORTER_PORTS = {"node": 9100, "postgres": 9187, "redis": 9121, "kafka": 9308, "blackbox": 9115}


class ExporterScrape(Spec):
    kind: Literal["node", "postgres", "redis", "kafka", "blackbox"] = Field(
        description="which exporter; sets its default port (node 9100, postgres 9187, redis 9121, kafka 9308, "
                    "blackbox 9115), and its well-known metrics count as the service's catalog")
    targets: list[Annotated[str, Field(pattern=r"^[^\s/:]+(:\d+)?$")]] = Field(
        min_length=1, description="exporter host[:port]; the exporter's default port is used when none is given. "
                                  "blackbox: exactly one, the exporter every probe goes through",
        examples=[["postgres-exporter"], ["node-1:9100", "node-2:9100"]])
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
        if self.kind == "blackbox" and len(self.targets) != 1:
            raise ValueError("a blackbox job sends every probe through one exporter: give one target")
        if self.kind != "blackbox" and self.probes:
            raise ValueError("`probes` is only for the blackbox exporter")
        return self


class ScrapeSpec(Spec):
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
        given = [k for k in ("static", "kubernetes", "exporter") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of `static`, `kubernetes` or `exporter`"
                             + (f" (found {', '.join(given)})" if given else ""))
        if self.interval and self.timeout and (
                naming.duration_seconds(self.timeout) > naming.duration_seconds(self.interval)):
            raise ValueError("timeout must not be longer than interval")
        return self


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
    alert_labels: list[Literal["team", "category", "service"]] = Field(
        default_factory=lambda: ["team", "category", "service"],
        description="labels obsgen adds to this service's alerts for routing; `obsgen import rules` "
                    "clears it so imported rules build back unchanged")


# ----------------------------------------------------------------------------- SLOs

Selector = Annotated[str, Field(min_length=1, description="a PromQL series selector")]


class RatioSLI(Spec):
    """Events: good (or bad) over total, each a counter selector; obsgen takes their rates."""

    good: Selector | None = Field(
        None, description="counter selector of the good events (obsgen takes its rate). Give good or bad",
        examples=['http_requests_total{job="waardhaven-api",status!~"5.."}'])
    bad: Selector | None = Field(
        None, description="counter selector of the bad events (obsgen takes its rate). Give good or bad",
        examples=['api_request_duration_seconds_count{status=~"5.."}'])
    total: Selector = Field(description="counter selector of all events, good and bad (obsgen takes its rate)",
                            examples=["api_request_duration_seconds_count"])

    @model_validator(mode="after")
    def _one_side(self):
        if (self.good is None) == (self.bad is None):
            raise ValueError("give exactly one of `good` or `bad`, beside `total`")
        return self


class LatencySLI(Spec):
    """Requests faster than `threshold` seconds are good: the histogram bucket with that `le`."""

    histogram: MetricName = Field(description="the histogram's name, without _bucket",
                                  examples=["http_request_duration_seconds"])
    threshold: Annotated[Finite, Field(gt=0)] = Field(
        description="in seconds: requests at or under it are good. Must be the bound (le) of one of the "
                    "histogram's buckets (checked against the catalog's buckets, OBS034)", examples=[0.5, 0.25])
    matchers: str | None = Field(None, description="label matchers added to the histogram's selectors, to pick "
                                                   "the requests that count; unset: all of them",
                                 examples=['job="waardhaven-api", endpoint!="/health"'])


class FreshnessSLI(Spec):
    """A gauge that must stay at or under `max` (e.g. lag in seconds): the SLI is the fraction of
    time it does, taking the worst series."""

    gauge: Selector = Field(description="selector of the gauge: a lag or an age, in the unit of `max`; the worst "
                                        "series counts", examples=['data_pipeline_lag_seconds{pipeline="market-data"}'])
    max: Finite = Field(description="largest good value of the gauge (inclusive), in the gauge's unit",
                        examples=[5])


class RawSLI(Spec):
    error_ratio: str = Field(
        description="PromQL for the share of bad events (0 to 1) over a window, with {{window}} where the range "
                    "goes; obsgen fills in each burn-rate window",
        examples=["sum(rate(errors_total[{{window}}])) / sum(rate(requests_total[{{window}}]))"])

    @model_validator(mode="after")
    def _window(self):
        if "{{window}}" not in self.error_ratio.replace(" ", ""):
            raise ValueError("error_ratio needs a {{window}} placeholder where the range goes")
        return self


class SLISpec(Spec):
    ratio: RatioSLI | None = Field(
        None, description="good (or bad) events over all events, from counters",
        examples=[{"bad": 'api_request_duration_seconds_count{status=~"5.."}',
                   "total": "api_request_duration_seconds_count"}])
    latency: LatencySLI | None = Field(
        None, description="requests at or under a latency threshold, from a histogram's buckets",
        examples=[{"histogram": "api_request_duration_seconds", "threshold": 0.5}])
    freshness: FreshnessSLI | None = Field(
        None, description="share of time a gauge (a lag, an age) stays at or under a maximum",
        examples=[{"gauge": 'data_pipeline_lag_seconds{pipeline="market-data"}', "max": 5}])
    raw: RawSLI | None = Field(
        None, description="an error-ratio query of your own, with a {{window}} placeholder; for what the other "
                          "kinds cannot say (min_traffic is not available)",
        examples=[{"error_ratio": "sum(rate(errors_total[{{window}}])) / sum(rate(requests_total[{{window}}]))"}])

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
    enabled: bool = Field(True, description="whether this tier alerts at all")
    severity: SeverityName = Field(description="severity of this tier's alerts, which picks their channels "
                                               "(routing.severities)")
    labels: dict[LabelName, str] = Field(
        default_factory=dict, description="extra labels on this tier's alerts; service, slo, slo_tier, severity, "
                                          "team and category are set by obsgen", examples=[{"escalation": "oncall"}])

    @model_validator(mode="after")
    def _reserved(self):
        clash = sorted(set(self.labels) & set(SLO_ALERT_LABELS))
        if clash:
            raise ValueError(f"labels {', '.join(clash)} are set by obsgen (severity: use `severity`)")
        return self


class SLOAlerting(Spec):
    name: AlertName | None = Field(
        None, description="base of the SLO's alert names, CamelCase; unset: the service's and the SLO's names in "
                          "CamelCase (waardhaven-api + api-latency: WaardhavenApiApiLatency)",
        examples=["ApiLatency"])
    page: SLOTier = Field(default_factory=lambda: SLOTier(severity="critical"),
                          description="the fast-burn tier: 2% of the budget spent in 1h, or 5% in 6h (windows "
                                      "scaled for periods under 28d); default severity critical",
                          examples=[{"severity": "critical"}])
    ticket: SLOTier = Field(default_factory=lambda: SLOTier(severity="warning"),
                            description="the slow-burn tier: 10% of the budget spent in 1d, or in 3d (windows "
                                        "scaled for periods under 28d); default severity warning",
                            examples=[{"severity": "warning"}, {"enabled": False, "severity": "warning"}])
    team: Name | None = Field(None, description="the team the SLO's alerts notify; unset: the service's team",
                              examples=["data"])
    category: CategoryName = Field("application", description="the `category` label of the SLO's alerts, which "
                                                              "applies routing.categories.<category>")
    runbook_url: Annotated[str, Field(pattern=r"^https?://")] | None = Field(
        None, description="runbook link added to every alert of the SLO; `obsgen validate` warns when an SLO "
                          "with critical alerts has none", examples=["https://runbooks.waardhaven.com/slo/api-latency"])
    min_traffic: Annotated[Finite, Field(ge=0)] | None = Field(
        None, description="events per second, averaged over an alert's long window, below which the alert does "
                          "not fire (a few failures at night are not a burn); ratio and latency SLIs only",
        examples=[0.5])
    budget_alerts: bool = Field(False, description="also alert when 50% (warning) and 90% (critical) of the "
                                                   "period's error budget is spent")
    annotations: dict[LabelName, str] = Field(
        default_factory=dict, description="extra annotations on every alert of the SLO; summary, description and "
                                          "runbook_url are obsgen's",
        examples=[{"dashboard": "https://grafana.waardhaven.com/d/slo-waardhaven-api"}])

    @model_validator(mode="after")
    def _own_annotations(self):
        clash = sorted(set(self.annotations) & {"summary", "description", "runbook_url"})
        if clash:
            raise ValueError(f"annotations {', '.join(clash)} are written by obsgen (runbook: use `runbook_url`)")
        return self


class SLOSpec(Spec):
    name: Name = Field(description="SLO name, unique within the service: lowercase letters, digits and dashes; "
                                   "the `slo` label of its series and alerts", examples=["api-availability"])
    objective: float = Field(gt=0, lt=100, description="the target, in percent of good events (or, for "
                                                       "freshness, of time) over the period; 100 minus it is the "
                                                       "error budget", examples=[99.9, 95])
    period: Duration = Field("30d", description="the rolling window the objective is measured over, at least 1h; "
                                                "burn-rate windows follow the SRE workbook for 28d and more and "
                                                "are scaled down for shorter periods", examples=["30d", "28d", "24h"])
    description: str | None = Field(None, description="what the SLO promises, in words; shown on its dashboard",
                                    examples=["95% of API requests complete within 500 ms"])
    sli: SLISpec = Field(description="the indicator: exactly one of ratio, latency, freshness or raw",
                         examples=[{"latency": {"histogram": "api_request_duration_seconds", "threshold": 0.5}}])
    alerting: SLOAlerting = Field(
        default_factory=SLOAlerting, description="the SLO's multi-window burn-rate alerts (a page and a ticket "
                                                 "tier) and optional error-budget alerts",
        examples=[{"name": "ApiLatency", "budget_alerts": True,
                   "runbook_url": "https://runbooks.waardhaven.com/slo/api-latency"}])
    labels: dict[LabelName, str] = Field(default_factory=dict, description="labels added to every series and "
                                                                           "alert the SLO generates",
                                         examples=[{"journey": "trading"}])
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


# ----------------------------------------------------------------------------- synthetic probes

HostPort = Annotated[str, Field(pattern=r"^[^\s/:]+:\d+$")]


class HttpProbe(Spec):
    url: SafeURL = Field(description="the URL probed, without credentials in it",
                         examples=["https://api.waardhaven.com/health"])
    method: Literal["GET", "HEAD", "POST"] = Field("GET", description="HTTP method of the probe request")
    valid_status_codes: list[Annotated[int, Field(ge=100, le=599)]] = Field(
        default_factory=list, description="status codes that count as up; empty: any 2xx", examples=[[200, 204]])
    body_matches: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list, description="regular expressions (RE2) the response body must all match",
        examples=[['"status":\\s*"(ok|healthy)"']])
    body_not_matches: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list, description="regular expressions (RE2) the response body must not match",
        examples=[["maintenance"]])
    tls: bool | None = Field(None, description="require TLS (fail when the answer was not over TLS, for example "
                                               "after a redirect to http); unset: required for https URLs",
                             examples=[True])
    cert_expiry_warning: Duration | None = Field(
        "14d", description="alert (warning) when the TLS certificate expires sooner than this; null: no "
                           "certificate alert", examples=["14d", "30d"])


class TcpProbe(Spec):
    address: HostPort = Field(description="host:port to connect to", examples=["postgres:5432"])
    tls: bool = Field(False, description="start TLS after connecting and check the certificate")
    cert_expiry_warning: Duration | None = Field(
        "14d", description="with tls: alert (warning) when the certificate expires sooner than this; null: no "
                           "certificate alert", examples=["14d"])


class IcmpProbe(Spec):
    host: Annotated[str, Field(pattern=r"^[^\s/:]+$")] = Field(description="host name or address pinged",
                                                               examples=["gateway.waardhaven.internal"])


class DnsProbe(Spec):
    server: Annotated[str, Field(pattern=r"^[^\s/:]+(:\d+)?$")] = Field(
        description="the DNS server asked, host[:port] (port 53 by default)", examples=["10.0.0.2", "1.1.1.1:53"])
    query_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")] = Field(
        description="the name looked up", examples=["api.waardhaven.com"])
    query_type: Literal["A", "AAAA", "CNAME", "MX", "NS", "SOA", "TXT", "SRV"] = Field(
        "A", description="the record type asked for")
    transport: Literal["udp", "tcp"] = Field("udp", description="protocol the query is sent over")


class ProbeSpec(Spec):
    name: Name = Field(description="probe name, unique within the service; its uptime alert is named after it "
                                   "(api-health: ApiHealthProbeFailed)", examples=["api-health"])
    http: HttpProbe | None = Field(None, description="an HTTP(S) check", examples=[
        {"url": "https://api.waardhaven.com/health", "body_matches": ['"status":\\s*"ok"']}])
    tcp: TcpProbe | None = Field(None, description="a TCP connect (optionally TLS) check",
                                 examples=[{"address": "postgres:5432"}])
    icmp: IcmpProbe | None = Field(None, description="a ping", examples=[{"host": "gateway.waardhaven.internal"}])
    dns: DnsProbe | None = Field(None, description="a DNS lookup",
                                 examples=[{"server": "10.0.0.2", "query_name": "api.waardhaven.com"}])
    interval: PositiveDuration | None = Field(None, description="how often the probe runs; unset: the global "
                                                                "scrape interval", examples=["30s", "1m"])
    timeout: PositiveDuration | None = Field(None, description="how long a probe may take before it fails; unset: "
                                                               "the scrape timeout (at most the interval)",
                                             examples=["5s"])
    for_: Duration = Field("2m", alias="for", description="how long the probe must keep failing before its "
                                                          "uptime alert fires", examples=["1m", "2m"])
    severity: SeverityName = Field("critical", description="severity of the uptime alert")
    silence: Silences = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_kind(self):
        kinds = [k for k in ("http", "tcp", "icmp", "dns") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("a probe is exactly one of http, tcp, icmp or dns"
                             + (f" (this one has {', '.join(kinds)})" if kinds else ""))
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("http", "tcp", "icmp", "dns") if getattr(self, k) is not None)


# ----------------------------------------------------------------------------- logs

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
    tier: int = Field(2, ge=1, le=4, description="how critical the service is, 1 (most) to 4 (least)")
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
    silence: Silences = Field(default_factory=dict)


# ----------------------------------------------------------------------------- dashboards

class ThresholdStep(Spec):
    value: Finite | None = Field(None, description="lowest value shown in this step's colour, in the panel's unit; "
                                                   "the first step (the base colour) has none",
                                 examples=[0.8])
    color: str = Field(description="Grafana colour name or hex code", examples=["green", "red", "#FF9830"])


class QuerySpec(Spec):
    expr: str = Field(min_length=1, description="PromQL; Grafana's $__rate_interval, $__interval and $__range "
                                                "may be used. Checked against the metric catalog",
                      examples=['sum by (instance) (rate(node_network_receive_bytes_total[$__rate_interval]))'])
    legend: str | None = Field(None, description="legend format, with {{label}} for label values; unset: "
                                                 "Grafana's default (heatmaps: {{le}})",
                               examples=["{{instance}}", "95th percentile"])
    format: Literal["time_series", "table", "heatmap"] | None = Field(
        None, description="result format (default: what the panel type reads: heatmap for heatmaps, "
                          "table for tables, time_series otherwise)")
    instant: bool = Field(False, description="query the latest value only instead of a range (for bar gauges "
                                            "and tables of current values)")


class PanelSpec(Spec):
    title: str = Field(min_length=1, description="panel title", examples=["CPU Usage by Node"])
    type: Literal["timeseries", "stat", "gauge", "bargauge", "heatmap", "table"] = Field(
        "timeseries", description="Grafana visualisation; also sets the default width and what format queries "
                                  "return")
    description: str | None = Field(None, description="shown in the panel's info tooltip",
                                    examples=["Share of scrape targets that are up."])
    queries: list[QuerySpec] = Field(min_length=1, description="the PromQL queries the panel draws, at least one",
                                     examples=[[{"expr": "avg(up)", "legend": "Services Up"}]])
    unit: str | None = Field(None, description="Grafana unit id of the values (percent is 0-100, percentunit "
                                               "0-1); unset: none", examples=["percent", "percentunit", "s", "bytes",
                                                                              "reqps"])
    min: Finite | None = Field(None, description="lowest value of the axis or gauge, in the panel's unit; unset: "
                                                 "from the data", examples=[0])
    max: Finite | None = Field(None, description="highest value of the axis or gauge, in the panel's unit; unset: "
                                                 "from the data", examples=[100])
    decimals: int | None = Field(None, ge=0, le=10, description="decimals shown (0-10); unset: Grafana chooses",
                                 examples=[1])
    thresholds: list[ThresholdStep] | None = Field(
        None, description="colour steps, ascending: the first is the base colour and has no value; unset: one "
                          "base step",
        examples=[[{"color": "red"}, {"value": 0.8, "color": "yellow"}, {"value": 0.95, "color": "green"}]])
    width: int | None = Field(None, ge=1, le=24, description="grid columns out of 24; unset: 6 for stat, gauge "
                                                             "and bargauge, 24 for table, 12 otherwise",
                              examples=[12, 24])
    height: int | None = Field(None, ge=2, le=40, description="grid rows (about 30 px each); unset: 8",
                               examples=[8])
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
    from_: str = Field("now-6h", alias="from", description="start of the dashboard's default time range, in "
                                                           "Grafana's syntax (now-1h, now-7d/d)",
                       examples=["now-1h", "now-24h"])
    to: str = Field("now", description="end of the default time range, in Grafana's syntax")


class DashboardSpec(Spec):
    title: str = Field(min_length=1, description="dashboard title", examples=["Waardhaven Infrastructure Overview"])
    uid: Annotated[str, AfterValidator(_regex(naming.UID_RE, "dashboard uid"))] | None = Field(
        None, description="Grafana uid, which links and bookmarks use: letters, digits, _ and -, at most 40; also "
                          "the JSON file's name and how environments refer to the dashboard. Unset: the title's "
                          "slug, which changes when the title does", examples=["waardhaven-infrastructure"])
    folder: str | None = Field(None, description="Grafana folder; unset: the owning team's folder (named after "
                                                 "`team`), or General without a team. The JSON is written to "
                                                 "grafana/dashboards/<folder slug>/", examples=["Infrastructure"])
    team: Name | None = Field(None, description="the owning team (a teams[].name, which must exist); its "
                                                "dashboards without a `folder` go to the team's Grafana folder",
                          examples=["infrastructure"])
    description: str | None = Field(None, description="what the dashboard is for; Grafana's dashboard description",
                                    examples=["Nodes, scrape targets and network of the production cluster."])
    tags: list[str] = Field(default_factory=list, description="Grafana tags, for search and dashboard links",
                            examples=[["infrastructure", "overview"]])
    refresh: Duration | None = Field("1m", description="auto-refresh interval; null: no auto-refresh",
                                     examples=["30s", "5m"])
    time: TimeRange = Field(default_factory=TimeRange, description="default time range when the dashboard opens",
                            examples=[{"from": "now-1h", "to": "now"}])
    timezone: Literal["browser", "utc"] = Field("browser", description="time zone times are shown in: the "
                                                                      "viewer's browser or UTC")
    panels: list[PanelSpec] = Field(
        min_length=1, description="panels, at least one, laid out left to right and wrapped onto new rows",
        examples=[[{"title": "CPU Usage by Node", "unit": "percent", "min": 0, "max": 100,
                    "queries": [{"expr": '100 - (avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}'
                                         '[$__rate_interval])) * 100)', "legend": "{{instance}}"}]}]])
    silence: Silences = Field(default_factory=dict)


# ----------------------------------------------------------------------------- tracing

class Resources(Spec):
    cpu: str = Field(pattern=r"^\d+(\.\d+)?m?$", description="CPU in cores (1, 0.5) or millicores (500m), as "
                                                             "Kubernetes writes it", examples=["500m", "1"])
    memory: str = Field(pattern=r"^\d+(Ki|Mi|Gi|Ti|K|M|G|T)?$", description="memory in bytes with a Kubernetes "
                                                                          "suffix (Mi, Gi: powers of 1024)",
                        examples=["1Gi", "512Mi"])


class ResourceSpec(Spec):
    requests: Resources = Field(default_factory=lambda: Resources(cpu="500m", memory="1Gi"),
                                description="what the Jaeger container is guaranteed (scheduling); default 500m "
                                            "CPU, 1Gi memory", examples=[{"cpu": "500m", "memory": "1Gi"}])
    limits: Resources = Field(default_factory=lambda: Resources(cpu="1", memory="2Gi"),
                              description="the most the Jaeger container may use (over the memory limit it is "
                                          "killed); default 1 CPU, 2Gi memory",
                              examples=[{"cpu": "1", "memory": "2Gi"}])


class SecretRef(Spec):
    """A key of a Kubernetes Secret; obsgen never sees the value."""

    name: Name = Field(description="name of the Kubernetes Secret, in Jaeger's namespace",
                       examples=["jaeger-elasticsearch"])
    key: str = Field(min_length=1, description="key within the Secret whose value is used", examples=["password"])


class ElasticsearchStorage(Spec):
    urls: list[Annotated[str, Field(pattern=r"^https?://")]] = Field(
        min_length=1, description="Elasticsearch endpoints, at least one (ES_SERVER_URLS)",
        examples=[["http://elasticsearch:9200"]])
    index_prefix: str | None = Field(None, description="prefix of Jaeger's index names, to share a cluster "
                                                       "(ES_INDEX_PREFIX); unset: none", examples=["waardhaven"])
    username: str | None = Field(None, description="user Jaeger logs in to Elasticsearch as (ES_USERNAME); unset: "
                                                   "no authentication", examples=["jaeger"])
    password_secret: SecretRef | None = Field(
        None, description="the Kubernetes Secret key holding the password (ES_PASSWORD, read from the Secret at "
                          "run time)", examples=[{"name": "jaeger-elasticsearch", "key": "password"}])


class StorageSpec(Spec):
    type: Literal["memory", "elasticsearch", "badger"] = Field(
        "memory", description="span storage backend: memory (lost on restart), elasticsearch, or badger (local "
                              "files on a volume in the pod)")
    elasticsearch: ElasticsearchStorage | None = Field(
        None, description="Elasticsearch settings; required with type elasticsearch, refused otherwise",
        examples=[{"urls": ["http://elasticsearch:9200"]}])

    @model_validator(mode="after")
    def _backend(self):
        if self.type == "elasticsearch" and self.elasticsearch is None:
            raise ValueError("storage type elasticsearch needs an `elasticsearch` block")
        if self.type != "elasticsearch" and self.elasticsearch is not None:
            raise ValueError("an `elasticsearch` block needs `type: elasticsearch`")
        return self


class ServiceSampling(Spec):
    probability: Annotated[float, Field(ge=0, le=1)] | None = Field(
        None, description="probability (0 to 1) that a trace is sampled", examples=[0.1])
    rate_limit: Annotated[int, Field(ge=1, le=2_147_483_647)] | None = Field(
        None, description="at most this many traces per second are sampled, a whole number (rate-limited "
                          "strategy; SDKs that read Jaeger's remote sampling only)", examples=[50])
    operations: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict, description="per operation (span name), a probability for this service, over the "
                                          "global `operations`", examples=[{"/metrics": 0.0}])

    @model_validator(mode="after")
    def _one(self):
        if (self.probability is None) == (self.rate_limit is None):
            raise ValueError("a service strategy has exactly one of probability or rate_limit")
        if self.rate_limit is not None and self.operations:
            raise ValueError("per-operation probabilities need a probabilistic strategy (Jaeger ignores them "
                             "under a rate limit)")
        return self


class SamplingSpec(Spec):
    default: float = Field(1.0, ge=0, le=1, description="probability (0 to 1) that a trace is sampled, for "
                                                         "services not listed in `services`; 0.01 is 1%",
                           examples=[0.01, 1.0])
    services: dict[Name, Annotated[float, Field(ge=0, le=1)] | ServiceSampling] = Field(
        default_factory=dict, description="per traced service (its OpenTelemetry service.name), a sampling "
                                          "probability replacing `default`, or a strategy: a probability or a "
                                          "rate limit, with per-operation probabilities",
        examples=[{"waardhaven-api": 0.1, "qlib-pro-api": {"probability": 0.05, "operations": {"/metrics": 0.0}},
                   "market-data-feed": {"rate_limit": 50}}])
    operations: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict, description="per operation (span name), a sampling probability, applied in every "
                                          "service", examples=[{"/health": 0.0}])


class JaegerSpec(Spec):
    variant: Literal["v2", "v1-all-in-one"] = Field(
        "v2", description="v2: Jaeger 2 (built on the OpenTelemetry Collector) with its configuration file; "
                          "v1-all-in-one: the Jaeger 1.x all-in-one image configured by flags, for users not ready "
                          "to move (Jaeger 1.x is end of life)")
    namespace: Name = Field("monitoring", description="Kubernetes namespace the Jaeger manifests are written for")
    image: str | None = Field(None, description="container image, pinned by tag or digest; unset: the "
                                                "variant's default", examples=["jaegertracing/jaeger:2.4.0"])
    replicas: int = Field(1, ge=1, le=20, description="pods; more than 1 needs variant v2 with elasticsearch "
                                                      "storage (memory and badger keep state in one pod)")
    storage: StorageSpec = Field(default_factory=StorageSpec, description="where spans are kept; default: in "
                                                                          "memory, lost on restart",
                                 examples=[{"type": "elasticsearch",
                                            "elasticsearch": {"urls": ["http://elasticsearch:9200"]}}])
    resources: ResourceSpec = Field(default_factory=ResourceSpec, description="CPU and memory requests and "
                                                                              "limits of the Jaeger container",
                                    examples=[{"requests": {"cpu": "500m", "memory": "1Gi"},
                                               "limits": {"cpu": "1", "memory": "2Gi"}}])
    otlp: bool = Field(True, description="accept OTLP over gRPC (4317) and HTTP (4318); false switches it off")

    @model_validator(mode="after")
    def _replicas(self):
        if self.replicas > 1 and (self.variant != "v2" or self.storage.type != "elasticsearch"):
            raise ValueError("more than one Jaeger replica needs variant v2 and elasticsearch storage")
        if not self.otlp and self.variant == "v2":
            raise ValueError("Jaeger v2 receives spans over OTLP only: `otlp: false` needs variant v1-all-in-one")
        return self


class TracingSpec(Spec):
    jaeger: JaegerSpec = Field(default_factory=JaegerSpec, description="the all-in-one Jaeger deployment obsgen "
                                                                       "writes Kubernetes manifests for",
                               examples=[{"namespace": "monitoring", "storage": {"type": "badger"}}])
    sampling: SamplingSpec = Field(default_factory=SamplingSpec,
                                   description="trace sampling strategies, written as Jaeger's strategies file; "
                                               "they apply to SDKs that use Jaeger's remote sampler",
                                   examples=[{"default": 0.01, "operations": {"/health": 0.0}}])


# ----------------------------------------------------------------------------- logging pipeline

class LogElasticsearch(Spec):
    host: Annotated[str, Field(pattern=r"^[^\s/:]+$")] = Field(
        "elasticsearch", description="Elasticsearch host Fluent Bit ships to", examples=["elasticsearch.logging"])
    port: int = Field(9200, ge=1, le=65535, description="its HTTP port")
    tls: bool = Field(False, description="connect over TLS, verifying the certificate")
    ca_file: FilePath | None = Field(None, description="CA bundle Fluent Bit verifies Elasticsearch with; unset: "
                                                       "the system's", examples=["/etc/fluent-bit/es-ca.crt"])
    username: str | None = Field(None, description="user Fluent Bit logs in as; unset: no authentication",
                                 examples=["fluent-bit"])
    password_env: Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")] | None = Field(
        None, description="environment variable of the Fluent Bit process holding the password (from a Secret); "
                          "the password never appears in the spec or the output", examples=["ES_PASSWORD"])
    index_prefix: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")] = Field(
        "obsgen-logs", description="each service's logs go to <prefix>-<service>; avoid `logs`, whose "
                                   "logs-*-* pattern Elasticsearch reserves for its own data streams",
        examples=["qlib-pro-logs"])


class LogRetention(Spec):
    warm_after: PositiveDuration = Field("90d", description="age at which an index leaves the hot tier",
                                         examples=["90d"])
    cold_after: PositiveDuration = Field("365d", description="age at which it moves from warm to cold",
                                         examples=["1y", "365d"])
    delete_after: PositiveDuration = Field("7y", description="age at which it is deleted", examples=["7y"])
    rollover_max_age: PositiveDuration = Field("1d", description="a new backing index is started at least this "
                                                                 "often", examples=["1d"])
    rollover_max_primary_shard_size: Annotated[str, Field(pattern=r"^\d+(b|kb|mb|gb|tb)$")] = Field(
        "50gb", description="or when a primary shard reaches this size", examples=["50gb"])

    @model_validator(mode="after")
    def _ordered(self):
        ages = [naming.duration_seconds(x) for x in (self.warm_after, self.cold_after, self.delete_after)]
        if not ages[0] < ages[1] < ages[2]:
            raise ValueError("retention ages must grow: warm_after < cold_after < delete_after")
        return self


class FluentBitSpec(Spec):
    storage_path: Annotated[str, Field(pattern=r"^/")] = Field(
        "/var/fluent-bit/state", description="folder (on the node) for the filesystem buffer and tail positions, "
                                             "so nothing is lost or read twice across restarts",
        examples=["/var/fluent-bit/state"])
    buffer_limit: Annotated[str, Field(pattern=r"^\d+[KMG]$")] = Field(
        "5G", description="most buffered data kept on disk per output while Elasticsearch is unreachable",
        examples=["5G"])
    retry_limit: int | None = Field(
        10, ge=1, description="retries of a failed chunk before it is dropped; null: retry forever",
        examples=[10])
    metrics_port: int = Field(2021, ge=1, le=65535, description="port Fluent Bit exposes its log-derived "
                                                                "metrics on, for Prometheus")


class LoggingSpec(Spec):
    elasticsearch: LogElasticsearch = Field(default_factory=LogElasticsearch,
                                            description="where logs are shipped",
                                            examples=[{"host": "elasticsearch", "port": 9200}])
    retention: LogRetention = Field(default_factory=LogRetention, description="index lifecycle: hot, warm, cold, "
                                                                              "delete ages",
                                    examples=[{"warm_after": "90d", "cold_after": "1y", "delete_after": "7y"}])
    fluent_bit: FluentBitSpec = Field(default_factory=FluentBitSpec, description="buffering and retries",
                                      examples=[{"buffer_limit": "5G", "retry_limit": 10}])
    error_metric: MetricName = Field(
        "log_errors_total", description="name of the counter Fluent Bit derives from error lines, labelled "
                                        "with service (the error-spike alerts use it)")


# ----------------------------------------------------------------------------- output targets

K8sLabels = dict[Annotated[str, Field(pattern=r"^([a-z0-9]([a-z0-9.-]*[a-z0-9])?/)?[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$")],
                 Annotated[str, Field(pattern=r"^([A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?)?$", max_length=63)]]


class OperatorSpec(Spec):
    namespace: Name = Field("monitoring", description="namespace of the Prometheus Operator resources "
                                                      "(PrometheusRule, monitors, ScrapeConfig, Probe)")
    labels: K8sLabels = Field(default_factory=dict, description="labels on every resource, for the Prometheus "
                                                                "resource's rule, monitor and probe selectors",
                              examples=[{"release": "kube-prometheus-stack"}])
    rules_per: Literal["service", "team"] = Field("service", description="one PrometheusRule per service or per "
                                                                         "team")
    alertmanager: Literal["secret", "alertmanager_config"] = Field(
        "secret", description="secret: the whole alertmanager.yml as a Secret manifest for the Alertmanager "
                              "resource's configSecret; alertmanager_config: an AlertmanagerConfig per team, in the "
                              "team's namespace")
    team_namespaces: dict[Name, Name] = Field(
        default_factory=dict, description="with alertmanager_config: the namespace of each team's "
                                          "AlertmanagerConfig; unset for a team: the team's name",
        examples=[{"backend": "waardhaven"}])
    grafana_sidecar_label: K8sLabels = Field(
        default_factory=lambda: {"grafana_dashboard": "1"},
        description="label the Grafana sidecar picks dashboard ConfigMaps up by", examples=[{"grafana_dashboard": "1"}])


class MimirSpec(Spec):
    remote_write_url: SafeURL | None = Field(
        None, description="where Prometheus remote-writes its samples (Mimir's /api/v1/push); unset: none",
        examples=["http://mimir-distributor:8080/api/v1/push"])
    tenant: Annotated[str, Field(pattern=r"^[A-Za-z0-9!._*'()-]+$")] | None = Field(
        None, description="Mimir tenant (X-Scope-OrgID) written with, and rules synced to", examples=["trading"])
    namespaces: Literal["team", "service"] = Field("team", description="rule namespace per team or per service")


class ShardingSpec(Spec):
    shards: int = Field(1, ge=1, le=64, description="number of Prometheus servers the scrape jobs are split over")
    by: Literal["hashmod", "team"] = Field(
        "hashmod", description="hashmod: every shard runs every job and keeps the targets whose address hashes to "
                               "it; team: each team's jobs go to one shard, whole")
    pin: dict[str, Annotated[int, Field(ge=0, le=63)]] = Field(
        default_factory=dict, description="by team: teams placed on a given shard (numbered from 0), where they stay "
                                          "when other teams come, go or grow; the others are balanced around them",
        examples=[{"payments": 0}])


class GrafanaProvisioning(Spec):
    enabled: bool = Field(True, description="write provisioning files so a stock Grafana loads generated/ as is")
    path: Annotated[str, Field(pattern=r"^/")] = Field(
        "/var/lib/grafana/obsgen", description="where the environment's grafana/ folder is mounted in Grafana",
        examples=["/var/lib/grafana/obsgen"])
    datasource_url: SafeURL = Field("http://prometheus:9090", description="URL Grafana queries Prometheus at",
                                    examples=["http://prometheus:9090"])


class OutputSpec(Spec):
    target: Literal["files", "operator", "mimir"] = Field(
        "files", description="files: prometheus.yml and rule files; operator: Prometheus Operator resources; "
                             "mimir: rule namespaces for `mimirtool rules sync`, evaluated by Mimir's ruler. "
                             "`obsgen build --target` overrides it")
    operator: OperatorSpec = Field(default_factory=OperatorSpec, description="settings of the operator target",
                                   examples=[{"namespace": "monitoring", "labels": {"release": "prometheus"}}])
    mimir: MimirSpec = Field(default_factory=MimirSpec, description="settings of the mimir target",
                             examples=[{"remote_write_url": "http://mimir:8080/api/v1/push", "tenant": "trading"}])
    sharding: ShardingSpec = Field(default_factory=ShardingSpec, description="functional sharding of scraping",
                                   examples=[{"shards": 3, "by": "hashmod"}])
    grafana: GrafanaProvisioning = Field(default_factory=GrafanaProvisioning,
                                         description="Grafana provisioning files",
                                         examples=[{"path": "/var/lib/grafana/obsgen"}])


# ----------------------------------------------------------------------------- routing

class Timing(Spec):
    group_wait: Duration | None = Field(
        None, description="how long Alertmanager waits to batch the first notification of a new group; where a "
                          "severity and a category both set it, the shorter wins. Unset: routing.group_wait",
        examples=["5s", "1m"])
    group_interval: PositiveDuration | None = Field(
        None, description="how long to wait before notifying about alerts added to a group already notified; the "
                          "shorter of severity's and category's wins. Unset: routing.group_interval",
        examples=["5m"])
    repeat_interval: PositiveDuration | None = Field(
        None, description="how long to wait before repeating a notification for alerts still firing; the shorter "
                          "of severity's and category's wins. Unset: routing.repeat_interval",
        examples=["5m", "1h"])
    mute_during: list[Name] = Field(default_factory=list, description="time intervals (names in "
                                                                      "routing.time_intervals) when these "
                                                                      "notifications are muted",
                                    examples=[["maintenance-window"]])
    active_during: list[Name] = Field(default_factory=list, description="time intervals (names in "
                                                                        "routing.time_intervals) outside which these "
                                                                        "notifications are muted; alerts still "
                                                                        "firing are sent when one starts",
                                      examples=[["business-hours"]])


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
    start: Annotated[str, Field(pattern=f"^({_CLOCK})$")] = Field(
        description="start of the range, HH:MM (24-hour clock), in the interval's location", examples=["09:00"])
    end: Annotated[str, Field(pattern=f"^({_CLOCK})$")] = Field(
        description="end of the range, HH:MM, after start (24:00 for midnight; split a range that crosses "
                    "midnight in two)", examples=["17:30"])

    @model_validator(mode="after")
    def _order(self):
        if self.start >= self.end:
            raise ValueError("start must be before end (split ranges that cross midnight in two)")
        return self


class TimeIntervalSpec(Spec):
    """When a time interval holds: every field given must match (Alertmanager's time_intervals)."""

    times: list[TimeRangeOfDay] = Field(default_factory=list, description="times of day, in `location`; empty: "
                                                                          "all day",
                                        examples=[[{"start": "08:00", "end": "18:00"}]])
    weekdays: list[Annotated[str, _range_of(_WEEKDAY, "monday:friday")]] = Field(
        default_factory=list, description="days of the week (lowercase names) or ranges of them; empty: every day",
        examples=[["monday:friday"], ["saturday", "sunday"]])
    days_of_month: list[Annotated[str, _range_of(r"-?([1-9]|[12]\d|3[01])", "1:7 or -1")]] = Field(
        default_factory=list, description="days of the month or ranges; negative numbers count from the end (-1 is "
                                          "the last day); empty: every day", examples=[["1:7", "-1"]])
    months: list[Annotated[str, _range_of(_MONTH, "january:march or 1:3")]] = Field(
        default_factory=list, description="months, by lowercase name or number (1-12), or ranges; empty: every "
                                          "month", examples=[["december"], ["january:march"]])
    years: list[Annotated[str, _range_of(r"\d{4}", "2026:2027")]] = Field(
        default_factory=list, description="years or ranges of years; empty: every year", examples=[["2026:2027"]])
    location: Annotated[str, AfterValidator(_zone)] | None = Field(
        None, description="IANA time zone the times and days are in; unset: UTC", examples=["America/New_York",
                                                                                            "Europe/Amsterdam"])


class SeverityRouting(Timing):
    channels: list[ChannelName] = Field(
        description="the channels each team is notified through at this severity, among those it has configured; "
                    "a team's own `channels` replaces this for that team", examples=[["pagerduty", "slack"]])


class CategoryRouting(Timing):
    team: Name | None = Field(None, description="also notify this team of every alert in the category, besides "
                                                "the alert's own team", examples=["security"])


class InhibitSpec(Spec):
    source_severity: SeverityName = Field(description="severity of the firing alert that mutes others")
    target_severity: list[SeverityName] = Field(min_length=1, description="severities of the alerts it mutes",
                                                examples=[["warning"], ["warning", "info"]])
    equal: list[LabelName] = Field(
        default_factory=lambda: ["alertname", "service", "instance"],
        description="labels both alerts must have equal for the mute to apply; default alertname, service, "
                    "instance (the same problem on the same target)", examples=[["alertname", "service", "instance"]])


class SmtpSpec(Spec):
    smarthost: Annotated[str, Field(pattern=r"^[^\s:/]+:\d+$")] = Field(
        description="host:port of the mail server Alertmanager sends through", examples=["smtp.gmail.com:587"])
    from_: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")] = Field(
        alias="from", description="sender address of notification mails", examples=["alerts@waardhaven.com"])
    auth_username: str | None = Field(None, description="user to log in to the mail server as; unset: no login",
                                      examples=["alerts@waardhaven.com"])
    auth_password_file: FilePath | None = Field(
        None, description="file on the Alertmanager host holding the mail server password",
        examples=["/etc/alertmanager/secrets/smtp-password"])
    require_tls: bool = Field(True, description="refuse to send mail unless the server offers STARTTLS")


def _default_severities() -> dict:
    return {
        "critical": SeverityRouting(channels=["pagerduty", "slack"], group_wait="5s", repeat_interval="5m"),
        "warning": SeverityRouting(channels=["slack", "email"]),
        "info": SeverityRouting(channels=["email"]),
    }


class RoutingSpec(Spec):
    default_team: Name | None = Field(
        None, description="the team whose channels (at warning severity) receive alerts no team route takes, such "
                          "as alerts without a team label; unset: those alerts reach no one",
        examples=["devops"])
    group_by: list[LabelName] = Field(
        default_factory=lambda: ["alertname", "service", "severity"],
        description="labels whose values group alerts into one notification; default alertname, service, severity",
        examples=[["alertname", "service", "severity"]])
    group_wait: Duration = Field("30s", description="how long Alertmanager waits to batch the first notification "
                                                    "of a new group; adds to every alert's time to notify",
                                 examples=["10s", "30s"])
    group_interval: PositiveDuration = Field(
        "5m", description="how long to wait before notifying about alerts added to a group already notified",
        examples=["5m"])
    repeat_interval: PositiveDuration = Field(
        "4h", description="how long to wait before repeating a notification for alerts still firing",
        examples=["1h", "4h"])
    severities: dict[SeverityName, SeverityRouting] = Field(
        default_factory=_default_severities,
        description="per severity: the channels teams are notified through, timing, and time intervals. Default: "
                    "critical to pagerduty and slack (group_wait 5s, repeat_interval 5m), warning to slack and "
                    "email, info to email. Giving `severities` replaces the default as a whole",
        examples=[{"critical": {"channels": ["pagerduty", "slack"], "group_wait": "5s", "repeat_interval": "5m"},
                   "warning": {"channels": ["slack", "email"]},
                   "info": {"channels": ["email"], "active_during": ["business-hours"]}}])
    categories: dict[CategoryName, CategoryRouting] = Field(
        default_factory=dict, description="per alert category: timing, time intervals, and a team also notified",
        examples=[{"security": {"team": "security", "group_wait": "1m", "repeat_interval": "15m"}}])
    inhibit: list[InhibitSpec] = Field(
        default_factory=lambda: [InhibitSpec(source_severity="critical", target_severity=["warning"])],
        description="which firing alerts mute which others; default: critical mutes warning for the same "
                    "alertname, service and instance. An SLO's page also mutes its ticket",
        examples=[[{"source_severity": "critical", "target_severity": ["warning"],
                    "equal": ["alertname", "service", "instance"]}]])
    smtp: SmtpSpec | None = Field(
        None, description="the mail server Alertmanager sends through; required when any team is notified by "
                          "email",
        examples=[{"smarthost": "smtp.gmail.com:587", "from": "alerts@waardhaven.com",
                   "auth_username": "alerts@waardhaven.com",
                   "auth_password_file": "/etc/alertmanager/secrets/smtp-password"}])
    time_intervals: dict[Name, list[TimeIntervalSpec]] = Field(
        default_factory=dict, description="named time intervals that severities and categories mute "
                                          "(mute_during) or limit (active_during) notifications with; an interval "
                                          "holds when any of its entries does (needs Alertmanager 0.24)",
        examples=[{"business-hours": [{"weekdays": ["monday:friday"], "times": [{"start": "08:00", "end": "18:00"}],
                                        "location": "America/New_York"}]}])
    alertmanager_version: Annotated[str, Field(pattern=r"^\d+\.\d+$")] = Field(
        "0.25", description="the Alertmanager version (major.minor) the config is written for; settings it does "
                            "not support are refused (OBS080)", examples=["0.25", "0.27"])

    @model_validator(mode="after")
    def _group_by(self):
        if len(set(self.group_by)) != len(self.group_by):
            raise ValueError("group_by lists a label twice")
        return self


# ----------------------------------------------------------------------------- documents

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
SECTION_KEYS = ("global", "teams", "services", "dashboards", "tracing", "logging", "output", "routing")
LIST_SECTIONS = ("teams", "services", "dashboards")
# What an environment may override: the mapping sections deeply, list items by name.
ENV_KEYS = ("global", "tracing", "logging", "output", "routing", "teams", "services", "dashboards")

# Keys that would hold a secret in the tool's own config: a spec must point at a file instead.
SECRET_KEYS = {
    "api_url": "api_url_file", "routing_key": "routing_key_file", "service_key": "routing_key_file",
    "auth_password": "auth_password_file", "password": "a SecretRef (password_secret) or a *_file path",
    "token": "credentials_file", "bearer_token": "bearer_token_file", "credentials": "credentials_file",
    "api_key": "an *_file path", "secret": "an *_file path",
}
