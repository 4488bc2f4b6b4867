"""A service's `probes`: synthetic checks run by the blackbox exporter."""
from typing import Annotated, Literal

from pydantic import Field, model_validator

from obsgen.spec.base import Duration, Name, PositiveDuration, SeverityName, Silences, Spec
from obsgen.spec.teams import SafeURL

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


