"""Prometheus' scrape, discovery, HTTP client and remote write settings, as spec models made from
one table, each setting under Prometheus' own name with the versions that have it (checked
against global.prometheus_version: OBS082).

The table was written from Prometheus' configuration documentation and release notes for
versions 2.42 (Debian's package) to 3.14. Secrets are only ever file references: a literal
password, token, credentials, client secret or private key is refused, naming the setting to use.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, create_model, model_validator

from obsgen.spec.base import Duration, Spec
from obsgen.spec.integrations import Settings, refuse_nested_secret, refused

Version = tuple[int, int]
_S, _B, _I, _D, _L, _M, _X, _F = "S", "B", "I", "D", "L", "M", "X", "F"

# Settings of a scrape job besides where its targets are (obsgen's `static`/`kubernetes`/
# `exporter`, or Prometheus' own discovery lists) and its relabelling: (kind, since, until).
SCRAPE: dict[str, tuple[str, Version | None, Version | None]] = {
    "honor_labels": (_B, None, None), "honor_timestamps": (_B, None, None),
    "track_timestamps_staleness": (_B, (2, 48), None), "params": (_M, None, None),
    "scrape_protocols": (_L, (2, 49), None), "fallback_scrape_protocol": (_S, (3, 0), None),
    "enable_compression": (_B, (2, 49), None), "body_size_limit": (_S, None, None), "sample_limit": (_I, None, None),
    "target_limit": (_I, None, None), "label_limit": (_I, None, None), "label_name_length_limit": (_I, None, None),
    "label_value_length_limit": (_I, None, None), "keep_dropped_targets": (_I, (2, 47), None),
    "scrape_classic_histograms": (_B, (2, 45), (3, 0)), "always_scrape_classic_histograms": (_B, (3, 0), None),
    "convert_classic_histograms_to_nhcb": (_B, (3, 0), None), "scrape_native_histograms": (_B, (3, 8), None),
    "native_histogram_bucket_limit": (_I, (2, 45), None), "native_histogram_min_bucket_factor": (_F, (2, 50), None),
    "metric_name_validation_scheme": (_S, (2, 55), None), "metric_name_escaping_scheme": (_S, (3, 4), None),
    "scrape_failure_log_file": (_S, (2, 55), None), "extra_scrape_metrics": (_B, (3, 10), None),
}
# The global block's scrape defaults (beside scrape_interval, scrape_timeout, evaluation_interval
# and external_labels, which global has under those names).
GLOBAL_SCRAPE: dict[str, tuple[str, Version | None, Version | None]] = {
    "query_log_file": (_S, None, None), "body_size_limit": (_S, (2, 45), None), "sample_limit": (_I, (2, 45), None),
    "target_limit": (_I, (2, 45), None), "label_limit": (_I, (2, 45), None),
    "label_name_length_limit": (_I, (2, 45), None), "label_value_length_limit": (_I, (2, 45), None),
    "keep_dropped_targets": (_I, (2, 47), None), "scrape_protocols": (_L, (2, 49), None),
    "rule_query_offset": (_D, (2, 53), None), "scrape_failure_log_file": (_S, (2, 55), None),
    "metric_name_validation_scheme": (_S, (2, 55), None), "metric_name_escaping_scheme": (_S, (3, 4), None),
    "convert_classic_histograms_to_nhcb": (_B, (3, 4), None), "always_scrape_classic_histograms": (_B, (3, 5), None),
    "scrape_native_histograms": (_B, (3, 8), None), "extra_scrape_metrics": (_B, (3, 10), None),
}
# Prometheus' HTTP client settings, inline in a scrape job, a remote write or a discovery.
HTTP: dict[str, tuple[str, Version | None, Version | None]] = {
    "basic_auth": (_M, None, None), "authorization": (_M, None, None), "oauth2": (_M, None, None),
    "bearer_token_file": (_S, None, None), "tls_config": (_M, None, None), "follow_redirects": (_B, None, None),
    "enable_http2": (_B, None, None), "proxy_url": (_S, None, None), "no_proxy": (_S, (2, 43), None),
    "proxy_from_environment": (_B, (2, 43), None), "proxy_connect_header": (_M, (2, 43), None),
    "http_headers": (_M, (3, 0), None),
}
HTTP_SECRETS = {"bearer_token": "authorization.credentials_file"}

# Service discovery: name (as in `<name>_sd_configs`) -> (since, its settings, its literal secrets
# -> their file setting or None, whether it takes the HTTP client settings).
_ALL = None
DISCOVERY: dict[str, tuple[Version | None, dict[str, tuple[str, Version | None]], dict[str, str | None], bool]] = {
    "file": (_ALL, {"files": (_L, None), "refresh_interval": (_D, None)}, {}, False),
    "http": (_ALL, {"url": (_S, None), "refresh_interval": (_D, None)}, {}, True),
    "dns": (_ALL, {"names": (_L, None), "type": (_S, None), "port": (_I, None), "refresh_interval": (_D, None)},
            {}, False),
    "kubernetes": (_ALL, {"api_server": (_S, None), "role": (_S, None), "kubeconfig_file": (_S, None),
                          "namespaces": (_M, None), "selectors": (_L, None), "attach_metadata": (_M, None)},
                   {}, True),
    "consul": (_ALL, {"server": (_S, None), "datacenter": (_S, None), "namespace": (_S, None),
                      "partition": (_S, None), "tag_separator": (_S, None), "scheme": (_S, None),
                      "username": (_S, None), "allow_stale": (_B, None), "refresh_interval": (_D, None),
                      "services": (_L, None), "tags": (_L, None), "node_meta": (_M, None),
                      "path_prefix": (_S, (2, 45)), "filter": (_S, (3, 0)), "health_filter": (_S, (3, 12))},
               {"token": None, "password": None}, True),
    "ec2": (_ALL, {"endpoint": (_S, None), "region": (_S, None), "access_key": (_S, None), "profile": (_S, None),
                   "role_arn": (_S, None), "refresh_interval": (_D, None), "port": (_I, None),
                   "filters": (_L, None), "external_id": (_S, (3, 12))}, {"secret_key": None}, True),
    "lightsail": (_ALL, {"endpoint": (_S, None), "region": (_S, None), "access_key": (_S, None),
                         "profile": (_S, None), "role_arn": (_S, None), "refresh_interval": (_D, None),
                         "port": (_I, None), "external_id": (_S, (3, 12))}, {"secret_key": None}, True),
    "azure": (_ALL, {"environment": (_S, None), "port": (_I, None), "subscription_id": (_S, None),
                     "tenant_id": (_S, None), "client_id": (_S, None), "refresh_interval": (_D, None),
                     "authentication_method": (_S, None), "resource_group": (_S, None)},
              {"client_secret": None}, True),
    "gce": (_ALL, {"project": (_S, None), "zone": (_S, None), "filter": (_S, None), "refresh_interval": (_D, None),
                   "port": (_I, None), "tag_separator": (_S, None)}, {}, False),
    "openstack": (_ALL, {"identity_endpoint": (_S, None), "username": (_S, None), "userid": (_S, None),
                         "project_name": (_S, None), "project_id": (_S, None), "domain_name": (_S, None),
                         "domain_id": (_S, None), "application_credential_name": (_S, None),
                         "application_credential_id": (_S, None), "role": (_S, None), "region": (_S, None),
                         "refresh_interval": (_D, None), "port": (_I, None), "all_tenants": (_B, None),
                         "tls_config": (_M, None), "availability": (_S, None)},
                  {"password": None, "application_credential_secret": None}, False),
    "digitalocean": (_ALL, {"refresh_interval": (_D, None), "port": (_I, None), "role": (_S, (3, 12))}, {}, True),
    "docker": (_ALL, {"host": (_S, None), "port": (_I, None), "filters": (_L, None),
                      "host_networking_host": (_S, None), "refresh_interval": (_D, None),
                      "match_first_network": (_B, (2, 54))}, {}, True),
    "dockerswarm": (_ALL, {"host": (_S, None), "role": (_S, None), "port": (_I, None), "filters": (_L, None),
                           "refresh_interval": (_D, None)}, {}, True),
    "eureka": (_ALL, {"server": (_S, None), "refresh_interval": (_D, None)}, {}, True),
    "hetzner": (_ALL, {"refresh_interval": (_D, None), "port": (_I, None), "role": (_S, None),
                       "label_selector": (_S, (3, 5))}, {}, True),
    "ionos": (_ALL, {"datacenter_id": (_S, None), "refresh_interval": (_D, None), "port": (_I, None)}, {}, True),
    "kuma": (_ALL, {"server": (_S, None), "refresh_interval": (_D, None), "fetch_timeout": (_D, None),
                    "client_id": (_S, (2, 50))}, {}, True),
    "linode": (_ALL, {"refresh_interval": (_D, None), "port": (_I, None), "tag_separator": (_S, None),
                      "region": (_S, (2, 52))}, {}, True),
    "marathon": (_ALL, {"servers": (_L, None), "refresh_interval": (_D, None), "auth_token_file": (_S, None)},
                 {"auth_token": "auth_token_file"}, True),
    "nomad": (_ALL, {"allow_stale": (_B, None), "namespace": (_S, None), "refresh_interval": (_D, None),
                     "region": (_S, None), "server": (_S, None), "tag_separator": (_S, None)}, {}, True),
    "ovhcloud": (_ALL, {"endpoint": (_S, None), "application_key": (_S, None), "refresh_interval": (_D, None),
                        "service": (_S, None)}, {"application_secret": None, "consumer_key": None}, False),
    "puppetdb": (_ALL, {"url": (_S, None), "query": (_S, None), "include_parameters": (_B, None),
                        "refresh_interval": (_D, None), "port": (_I, None)}, {}, True),
    "scaleway": (_ALL, {"project_id": (_S, None), "api_url": (_S, None), "zone": (_S, None),
                        "access_key": (_S, None), "secret_key_file": (_S, None), "name_filter": (_S, None),
                        "tags_filter": (_L, None), "refresh_interval": (_D, None), "port": (_I, None),
                        "role": (_S, None)}, {"secret_key": "secret_key_file"}, True),
    "triton": (_ALL, {"account": (_S, None), "role": (_S, None), "dns_suffix": (_S, None), "endpoint": (_S, None),
                      "groups": (_L, None), "port": (_I, None), "refresh_interval": (_D, None),
                      "tls_config": (_M, None), "version": (_I, None)}, {}, False),
    "uyuni": (_ALL, {"server": (_S, None), "username": (_S, None), "entitlement": (_S, None),
                     "separator": (_S, None), "refresh_interval": (_D, None)}, {"password": None}, True),
    "vultr": (_ALL, {"refresh_interval": (_D, None), "port": (_I, None)}, {}, True),
    "serverset": (_ALL, {"servers": (_L, None), "paths": (_L, None), "timeout": (_D, None)}, {}, False),
    "nerve": (_ALL, {"servers": (_L, None), "paths": (_L, None), "timeout": (_D, None)}, {}, False),
    **{kind: (since, {"region": (_S, None), "endpoint": (_S, None), "access_key": (_S, None), "profile": (_S, None),
                      "role_arn": (_S, None), "clusters": (_L, None), "port": (_I, None), "filters": (_L, None),
                      "refresh_interval": (_D, None), "request_concurrency": (_I, None), "role": (_S, None),
                      "external_id": (_S, (3, 12))}, {"secret_key": None}, True)
       for kind, since in (("aws", (3, 8)), ("msk", (3, 10)), ("rds", (3, 11)), ("elasticache", (3, 11)))},
    "outscale": ((3, 12), {"endpoint": (_S, None), "region": (_S, None), "access_key": (_S, None),
                           "secret_key_file": (_S, None), "refresh_interval": (_D, None), "port": (_I, None)},
                 {"secret_key": "secret_key_file"}, True),
    "stackit": ((3, 5), {"project": (_S, None), "refresh_interval": (_D, None), "port": (_I, None),
                         "region": (_S, None), "endpoint": (_S, None), "service_account_key_path": (_S, None),
                         "private_key_path": (_S, None), "credentials_file_path": (_S, None)},
                {"service_account_key": "service_account_key_path", "private_key": "private_key_path"}, True),
    "ecs": ((3, 8), {"region": (_S, None), "endpoint": (_S, None), "access_key": (_S, None), "profile": (_S, None),
                     "role_arn": (_S, None), "clusters": (_L, None), "port": (_I, None),
                     "refresh_interval": (_D, None), "request_concurrency": (_I, None),
                     "external_id": (_S, (3, 12))}, {"secret_key": None}, True),
}

REMOTE_WRITE: dict[str, tuple[str, Version | None, Version | None]] = {
    "url": (_S, None, None), "name": (_S, None, None), "remote_timeout": (_D, None, None),
    "headers": (_M, None, None), "send_exemplars": (_B, None, None), "send_native_histograms": (_B, None, None),
    "queue_config": (_M, None, None), "metadata_config": (_M, None, None), "sigv4": (_M, None, None),
    "azuread": (_M, (2, 45), None), "google_iam": (_M, (2, 55), None), "protobuf_message": (_S, (2, 54), None),
    "round_robin_dns": (_B, (3, 1), None),
}
REMOTE_READ: dict[str, tuple[str, Version | None, Version | None]] = {
    "url": (_S, None, None), "name": (_S, None, None), "remote_timeout": (_D, None, None),
    "headers": (_M, None, None), "read_recent": (_B, None, None), "required_matchers": (_M, None, None),
    "filter_external_labels": (_B, None, None), "chunked_read_limit": (_I, (2, 55), None),
}
QUEUE = {"capacity": (2, 0), "max_shards": (2, 0), "min_shards": (2, 0), "max_samples_per_send": (2, 0),
         "batch_send_deadline": (2, 0), "min_backoff": (2, 0), "max_backoff": (2, 0), "retry_on_http_429": (2, 0),
         "sample_age_limit": (2, 50)}
METADATA = {"send": (2, 0), "send_interval": (2, 0), "max_samples_per_send": (2, 0)}

RELABEL_ACTIONS = ("replace", "keep", "drop", "keepequal", "dropequal", "hashmod", "labelmap", "labeldrop",
                   "labelkeep", "lowercase", "uppercase")


def _version_text(v: Version) -> str:
    return f"{v[0]}.{v[1]}"


def _no_secret(root: str):
    return AfterValidator(lambda v: refuse_nested_secret(v, root))


_TYPES: dict[str, Any] = {_S: str, _B: bool, _I: int, _D: Duration, _L: list[Any], _X: str | int | float,
                          _F: float}


def _type(key: str, kind: str) -> Any:
    if kind == _M:
        return Annotated[dict[str, Any], _no_secret(key)]
    if kind == _L:
        return Annotated[list[Any], _no_secret(key)]
    return _TYPES[kind]


def _refused(literal: str, file: str | None) -> tuple[Any, Any]:
    return refused(literal, file, "Prometheus host", "Prometheus")


def _describe(key: str, what: str, since: Version | None, until: Version | None) -> str:
    needs = []
    if since:
        needs.append(f"needs global.prometheus_version {_version_text(since)} or later")
    if until:
        needs.append(f"removed in {_version_text(until)}")
    return f"Prometheus' `{key}` for {what}" + (f" ({'; '.join(needs)})" if needs else "")


_EXAMPLES: dict[str, Any] = {
    "honor_labels": True, "params": {"module": ["http_2xx"]}, "scrape_protocols": ["PrometheusProto",
                                                                                  "OpenMetricsText1.0.0"],
    "fallback_scrape_protocol": "PrometheusText0.0.4", "body_size_limit": "10MB", "sample_limit": 50000,
    "target_limit": 100, "label_limit": 64, "label_name_length_limit": 128, "label_value_length_limit": 1024,
    "keep_dropped_targets": 100, "native_histogram_bucket_limit": 160, "native_histogram_min_bucket_factor": 1.1,
    "metric_name_validation_scheme": "utf8", "metric_name_escaping_scheme": "underscores",
    "scrape_failure_log_file": "/var/log/prometheus/scrape-failures.log",
    "basic_auth": {"username": "prometheus", "password_file": "/etc/prometheus/secrets/scrape-password"},
    "authorization": {"credentials_file": "/etc/prometheus/secrets/scrape-token"},
    "oauth2": {"client_id": "prometheus", "client_secret_file": "/etc/prometheus/secrets/oauth2-secret",
               "token_url": "https://auth.example.org/token"},
    "bearer_token_file": "/etc/prometheus/secrets/scrape-token",
    "tls_config": {"ca_file": "/etc/prometheus/certs/ca.crt", "cert_file": "/etc/prometheus/certs/client.crt",
                   "key_file": "/etc/prometheus/certs/client.key"},
    "proxy_url": "http://proxy.example.org:3128", "no_proxy": "localhost,.svc",
    "proxy_connect_header": {"Proxy-Authorization-Org": ["monitoring"]},
    "http_headers": {"X-Scope-OrgID": {"values": ["tenant-a"]}},
}


def _fields(table: dict, what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, (kind, since, until) in table.items():
        example = _EXAMPLES.get(key)
        if example is None:
            example = {_B: True, _I: 10, _D: "30s", _F: 1.5, _S: "value", _L: ["value"], _M: {"key": "value"},
                       _X: "value"}[kind]
        out[key] = (_type(key, kind) | None, Field(None, description=_describe(key, what, since, until),
                                                   examples=[example]))
    return out


class RelabelRule(Spec):
    """One relabelling step, as Prometheus' relabel_configs take it."""

    source_labels: list[str] | None = Field(None, description="labels whose values, joined by `separator`, are "
                                                               "matched against `regex`",
                                            examples=[["__meta_kubernetes_pod_label_app"]])
    separator: str | None = Field(None, description="what joins the source labels' values; default `;`",
                                  examples=[";"])
    regex: str | None = Field(None, description="an RE2 regular expression, anchored at both ends; default `(.*)`",
                              examples=["api|web"])
    modulus: int | None = Field(None, ge=1, description="hashmod: the number of buckets", examples=[4])
    target_label: str | None = Field(None, description="the label written (replace, hashmod, lowercase, uppercase) "
                                                        "or compared (keepequal, dropequal)",
                                     examples=["app"])
    replacement: str | None = Field(None, description="what a match is replaced with (`$1` for the first group); "
                                                       "default `$1`", examples=["$1"])
    action: Literal[RELABEL_ACTIONS] | None = Field(  # type: ignore[valid-type]
        None, description="replace (default), keep, drop, keepequal, dropequal, hashmod, labelmap, labeldrop, "
                          "labelkeep, lowercase, uppercase")

    @model_validator(mode="after")
    def _complete(self):
        action = self.action or "replace"
        if action in ("replace", "hashmod", "lowercase", "uppercase", "keepequal", "dropequal") and \
                not self.target_label:
            raise ValueError(f"action {action} needs target_label")
        if action == "hashmod" and self.modulus is None:
            raise ValueError("action hashmod needs modulus")
        if action in ("keepequal", "dropequal") and (self.regex is not None or self.replacement is not None):
            raise ValueError(f"action {action} compares source_labels with target_label: no regex or replacement")
        if action in ("hashmod", "lowercase", "uppercase", "keep", "drop", "keepequal", "dropequal") and \
                not self.source_labels and action != "replace":
            raise ValueError(f"action {action} needs source_labels")
        return self

    def written(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump(exclude_none=True).items()}


def _model(name: str, doc: str, table: dict, what: str, http: bool, extra: dict | None = None):
    spec = _fields(table, what)
    if http:
        spec.update(_fields(HTTP, what))
        for literal, file in HTTP_SECRETS.items():
            spec[literal] = _refused(literal, file)
    spec.update(extra or {})
    return create_model(name, __base__=Settings, __doc__=doc, **spec)


JobSettings = _model("JobSettings", "A scrape job's settings besides its targets.", SCRAPE, "this job", True)
RemoteWriteSpec = _model(
    "RemoteWriteSpec", "A remote write endpoint (Prometheus' remote_write).", REMOTE_WRITE, "this remote write",
    True, {"write_relabel_configs": (list[RelabelRule], Field(
        default_factory=list, description="relabelling of the series sent (drop what the endpoint need not store)",
        examples=[[{"source_labels": ["__name__"], "regex": "go_.*", "action": "drop"}]]))})
RemoteReadSpec = _model("RemoteReadSpec", "A remote read endpoint (Prometheus' remote_read).", REMOTE_READ,
                        "this remote read", True)


def _sd_model(kind: str):
    since, fields, secrets, http = DISCOVERY[kind]
    table = {k: (t, v, None) for k, (t, v) in fields.items()}
    spec = _fields(table, f"{kind} discovery")
    if http:
        spec.update(_fields(HTTP, f"{kind} discovery"))
        for literal, file in HTTP_SECRETS.items():
            spec[literal] = _refused(literal, file)
    for literal, file in secrets.items():
        spec[literal] = _refused(literal, file)
    return create_model(f"{kind.capitalize()}Discovery", __base__=Settings, __doc__=f"{kind}_sd_configs entry",
                        **spec)


SD_MODELS = {kind: _sd_model(kind) for kind in DISCOVERY}


class StaticGroup(Spec):
    targets: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list,
                                                               description="host:port of each target",
                                                               examples=[["api-1:8000"]])
    labels: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], str] = Field(
        default_factory=dict, description="labels of this group's targets (`__param_x` and `__metrics_path__` too)",
        examples=[{"zone": "a"}])


ScrapeDefaults = _model("ScrapeDefaults", "The global block's scrape defaults.", GLOBAL_SCRAPE, "every job", False)


def version_of(text: str) -> Version:
    major, minor = text.split(".")
    return int(major), int(minor)
