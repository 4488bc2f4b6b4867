"""Phase 2, parse: the user-facing spec format, obsgen/v1, as pydantic models, one module per
section; how a loaded tree becomes them (`parse`); and the JSON Schema they give (`schema`).

Every model forbids unknown keys. Every field has a description (for someone editing the YAML:
units, what leaving it out means, what obsgen does with it) and examples unless its default shows
the form: `obsgen schema` turns them into the JSON Schema editors show, and tests/test_schema.py
checks that none is missing and that every example is accepted here.
These types describe what a user writes; `resolve.model` holds what the compiler works on.
"""
from obsgen.spec.base import (
    AlertName, CategoryName, ChannelName, CheckCode, Duration, FilePath, Finite, LabelName, MetricName, Name,
    PositiveDuration, SeverityName, Silences, Spec)
from obsgen.spec.global_ import CoverageAspect, CoverageObjective, Datasource, GlobalSpec, Objectives, Retention
from obsgen.spec.teams import (
    EmailChannel, PagerDutyChannel, SafeURL, SlackChannel, SmsChannel, SnsTarget, TeamSpec, TemplateKind,
    WebhookChannel)
from obsgen.spec.services import (
    AlertSpec, EXPORTER_PORTS, ErrorSpikeSpec, ExporterScrape, InstrumentationSpec, KubernetesScrape, MetricSpec,
    PythonInstrumentation, RecordingRuleSpec, RuleGroupSpec, ScrapeSpec, ServiceLogsSpec, ServiceSpec)
from obsgen.spec.slos import (
    FreshnessSLI, LatencySLI, RatioSLI, RawSLI, SLISpec, SLOAlerting, SLOSpec, SLOTier, SLO_ALERT_LABELS, Selector)
from obsgen.spec.probes import DnsProbe, HostPort, HttpProbe, IcmpProbe, ProbeSpec, TcpProbe
from obsgen.spec.dashboards import DashboardSpec, PanelSpec, QuerySpec, ThresholdStep, TimeRange
from obsgen.spec.tracing import (
    ElasticsearchStorage, JaegerSpec, ResourceSpec, Resources, SamplingSpec, SecretRef, ServiceSampling, StorageSpec,
    TracingSpec)
from obsgen.spec.logging import FluentBitSpec, LogElasticsearch, LogRetention, LoggingSpec
from obsgen.spec.output import GrafanaProvisioning, K8sLabels, MimirSpec, OperatorSpec, OutputSpec, ShardingSpec
from obsgen.spec.routing import (
    CategoryRouting, InhibitSpec, RoutingSpec, SeverityRouting, SmtpSpec, TimeIntervalSpec, TimeRangeOfDay, Timing)
from obsgen.spec.project import ENV_KEYS, FILE_KEYS, LIST_SECTIONS, ProjectSpec, SECRET_KEYS, SECTION_KEYS

__all__ = [
    "AlertName",
    "AlertSpec",
    "CategoryName",
    "CategoryRouting",
    "ChannelName",
    "CheckCode",
    "CoverageAspect",
    "CoverageObjective",
    "DashboardSpec",
    "Datasource",
    "DnsProbe",
    "Duration",
    "ENV_KEYS",
    "EXPORTER_PORTS",
    "ElasticsearchStorage",
    "EmailChannel",
    "ErrorSpikeSpec",
    "ExporterScrape",
    "FILE_KEYS",
    "FilePath",
    "Finite",
    "FluentBitSpec",
    "FreshnessSLI",
    "GlobalSpec",
    "GrafanaProvisioning",
    "HostPort",
    "HttpProbe",
    "IcmpProbe",
    "InhibitSpec",
    "InstrumentationSpec",
    "JaegerSpec",
    "K8sLabels",
    "KubernetesScrape",
    "LIST_SECTIONS",
    "LabelName",
    "LatencySLI",
    "LogElasticsearch",
    "LogRetention",
    "LoggingSpec",
    "MetricName",
    "MetricSpec",
    "MimirSpec",
    "Name",
    "Objectives",
    "OperatorSpec",
    "OutputSpec",
    "PagerDutyChannel",
    "PanelSpec",
    "PositiveDuration",
    "ProbeSpec",
    "ProjectSpec",
    "PythonInstrumentation",
    "QuerySpec",
    "RatioSLI",
    "RawSLI",
    "RecordingRuleSpec",
    "ResourceSpec",
    "Resources",
    "Retention",
    "RoutingSpec",
    "RuleGroupSpec",
    "SECRET_KEYS",
    "SECTION_KEYS",
    "SLISpec",
    "SLOAlerting",
    "SLOSpec",
    "SLOTier",
    "SLO_ALERT_LABELS",
    "SafeURL",
    "SamplingSpec",
    "ScrapeSpec",
    "SecretRef",
    "Selector",
    "ServiceLogsSpec",
    "ServiceSampling",
    "ServiceSpec",
    "SeverityName",
    "SeverityRouting",
    "ShardingSpec",
    "Silences",
    "SlackChannel",
    "SmsChannel",
    "SmtpSpec",
    "SnsTarget",
    "Spec",
    "StorageSpec",
    "TcpProbe",
    "TeamSpec",
    "TemplateKind",
    "ThresholdStep",
    "TimeIntervalSpec",
    "TimeRange",
    "TimeRangeOfDay",
    "Timing",
    "TracingSpec",
    "WebhookChannel",
]
