"""OpenTelemetry SDK settings, as environment variables, for every service with
`instrumentation.tracing: true`.

The variables are those of the OpenTelemetry SDK environment-variable specification, so any
language's SDK (or zero-code agent) reads them without code: service name and resource attributes,
an OTLP/gRPC exporter pointed at the Jaeger Service the jaeger target generates (either variant), a
parent-based trace-id-ratio sampler with the service's sampling probability. Metrics and logs
exporters are off: metrics go through Prometheus, logs are not obsgen's. Per-operation probabilities
have no environment variable: they reach only SDKs that use Jaeger's remote sampler.

Each service gets the same variables twice, under instrumentation/otel/:
- `<service>.env`: `KEY=value` lines sorted by key, values never quoted. Every value is restricted
  to characters that docker `--env-file` (which takes the rest of the line literally), systemd
  `EnvironmentFile=` (which strips quotes and backslashes and trims whitespace) and a POSIX shell
  (`set -a; . ./<service>.env`) all read the same way, so quoting is never needed and the file
  means one thing to all three.
- `<service>.configmap.yaml`: a ConfigMap `<service>-otel` whose data are those variables, for a
  container's `envFrom`. It names no namespace: it belongs in the service's own namespace
  (`kubectl apply -n ...`), which the spec does not know.

The checker refuses `instrumentation.tracing` without a `tracing` section, with OTLP switched off,
or on a service whose sampling strategy is a rate limit (OBS033): the SDK's own samplers have no
rate limit, and `jaeger_remote`, which would fetch one, is not in every SDK (Python's lacks it).
This target assumes none of these happens.
"""
from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import quote

from obsgen.core.serialise import Artifact, comment_header, to_yaml
from obsgen.resolve.model import Model
from obsgen.spec import ServiceSpec, TracingSpec
from obsgen.targets import jaeger
from obsgen.targets.jaeger_sampling import probability

NAME = "otel"
OUT_DIR = "instrumentation/otel"
MANAGED_BY = "obsgen"
OTLP_GRPC_PORT = dict(jaeger.OTLP_PORTS)["otlp-grpc"]

# Both names of the environment attribute: semantic conventions 1.27 renamed `deployment.environment`
# to `deployment.environment.name`, and SDKs and backends in use today read one or the other.
ENVIRONMENT_ATTRIBUTES = ("deployment.environment", "deployment.environment.name")
# The owning team, under the name the alerts' `team` label has, so spans and alerts join on it.
TEAM_ATTRIBUTE = "team"

# What a value may hold so that docker, systemd and sh read it identically, unquoted: no whitespace,
# quotes, backslash, `$`, `#`, `;`, `~` or shell metacharacters.
_ENV_SAFE = re.compile(r"[A-Za-z0-9._%:/=,+-]*")


def env_path(service: str) -> str:
    return f"{OUT_DIR}/{service}.env"


def configmap_path(service: str) -> str:
    return f"{OUT_DIR}/{service}.configmap.yaml"


def configmap_name(service: str) -> str:
    return f"{service}-otel"


def percent_encode(value: str) -> str:
    """A resource attribute value as OTEL_RESOURCE_ATTRIBUTES needs it (W3C Baggage values).

    Baggage requires encoding only outside `baggage-octet` (whitespace, `"`, `,`, `;`, `\\`), and
    allows encoding anything else. Everything but RFC 3986's unreserved characters is encoded: `%`
    itself (decoders decode), `+` (Java's URLDecoder reads it as a space), `=` (naive parsers split
    on every `=`), `~` and whatever else a shell or env-file reader could take specially.
    """
    # `~` is unreserved but a shell expands it after `=` or `:` in an assignment.
    return quote(value, safe="").replace("~", "%7E")


def resource_attributes(attributes: dict[str, str]) -> str:
    """`key=value,...` sorted by key, values percent-encoded (keys are obsgen's own, plain tokens)."""
    return ",".join(f"{k}={percent_encode(v)}" for k, v in sorted(attributes.items()))


def ratio(p: float) -> str:
    """A sampling probability in plain decimal notation (`0.00001`, never `1e-05`) for every SDK's
    number parser."""
    return format(Decimal(repr(float(p))), "f")


def otlp_endpoint(tracing: TracingSpec) -> str:
    # The Service's cluster DNS name without the cluster domain (`cluster.local` is only a default):
    # the pod's resolv.conf search list completes it. `http` says plaintext gRPC, as Jaeger serves it.
    return f"http://{jaeger.NAME}.{tracing.jaeger.namespace}.svc:{OTLP_GRPC_PORT}"


def _probability(tracing: TracingSpec, service: str) -> float:
    p = probability(tracing.sampling, service)
    # A rate-limited service is refused by the checker when it asks for tracing; reaching this is a bug.
    assert p is not None, f"service {service} has a rate-limited strategy"
    return p


def variables(model: Model, service: ServiceSpec) -> dict[str, str]:
    """The service's OpenTelemetry SDK environment, sorted by name."""
    tracing = model.spec.tracing
    attributes = {key: model.env for key in ENVIRONMENT_ATTRIBUTES}
    attributes[TEAM_ATTRIBUTE] = service.team
    env = {
        "OTEL_SERVICE_NAME": service.name,
        "OTEL_RESOURCE_ATTRIBUTES": resource_attributes(attributes),
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_endpoint(tracing),
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": ratio(_probability(tracing, service.name)),
    }
    for key, value in env.items():
        # Names and namespaces are DNS labels and attribute values are percent-encoded, so this
        # holds for every valid model; a failure is a bug here, not a user error.
        assert _ENV_SAFE.fullmatch(value), (key, value)
    return dict(sorted(env.items()))


def env_file(model: Model, service: ServiceSpec, env: dict[str, str]) -> str:
    about = (f"OpenTelemetry SDK settings of service {service.name} in environment {model.env}.\n"
             "KEY=value, unquoted: for docker --env-file, systemd EnvironmentFile= or sh `set -a; . ./FILE`.")
    return comment_header(f"{model.header()}\n{about}") + "".join(f"{k}={v}\n" for k, v in env.items())


def configmap(service: ServiceSpec, env: dict[str, str]) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": configmap_name(service.name),
            "labels": {"app.kubernetes.io/name": service.name, "app.kubernetes.io/managed-by": MANAGED_BY},
        },
        "data": dict(env),
    }


class OtelTarget:
    name = NAME

    def generate(self, model: Model) -> list[Artifact]:
        tracing = model.spec.tracing
        if tracing is None or not tracing.jaeger.otlp:
            return []  # refused by the checker (OBS033) whenever a service asks for tracing
        out: list[Artifact] = []
        for service in model.services:
            if not service.instrumentation.tracing:
                continue
            env = variables(model, service)
            out.append(Artifact(env_path(service.name), env_file(model, service, env)))
            out.append(Artifact(configmap_path(service.name), to_yaml(configmap(service, env), model.header())))
        return out
