"""`teams`: who is notified, and through which channels."""
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from obsgen.spec.base import ChannelName, FilePath, Name, SeverityName, Silences, Spec
from obsgen.spec.integrations import url_carries_secret


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


def _no_secret_in_url(v: str) -> str:
    if url_carries_secret(v):
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


