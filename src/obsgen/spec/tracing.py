"""`tracing`: Jaeger and trace sampling."""
from typing import Annotated, Literal

from pydantic import Field, model_validator

from obsgen.spec.base import Name, Spec


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


