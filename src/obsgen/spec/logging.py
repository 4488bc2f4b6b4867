"""`logging`: the Fluent Bit and Elasticsearch log pipeline."""
from typing import Annotated

from pydantic import Field, model_validator

from obsgen.core import naming
from obsgen.spec.base import FilePath, MetricName, PositiveDuration, Spec


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


