"""Jaeger's file-based sampling strategies (`sampling-strategies.json`), the same file for Jaeger v2's
`remote_sampling` extension and Jaeger 1.x's `--sampling.strategies-file`.

The format has `default_strategy` and `service_strategies`; a strategy is `{"type": "probabilistic",
"param": <0..1>}` or `{"type": "ratelimiting", "param": <traces per second>}`, and may carry
`operation_strategies` (always probabilistic: Jaeger drops rate-limited ones). There is no key for
`default_lower_bound_traces_per_second` in the file: Jaeger leaves it at 0, which is what makes an
operation at probability 0 (`/health`) never sampled.

The global operations sit in `default_strategy` (for services the file does not list) and, merged
with the service's own (the service's win), in full in every probabilistic service strategy. Jaeger
merges them the same way, but spelling them out keeps the file's meaning independent of how a
Jaeger version merges: 1.x (before 1.65) takes the default strategy's probability for a service
without operations of its own (jaeger#5270). A rate-limited service carries none: Jaeger 1.62 then
rate-limits it as written, and v2 copies the default's operations into it, which SDKs apply instead
of the rate limit; the spec check refuses that combination for v2.
"""
from __future__ import annotations

from obsgen.spec import SamplingSpec, ServiceSampling


def probability(sampling: SamplingSpec, service: str) -> float | None:
    """The probability a service is sampled at; None when its strategy is a rate limit."""
    own = sampling.services.get(service)
    if own is None:
        return sampling.default
    if isinstance(own, ServiceSampling):
        return own.probability
    return own


def operations(sampling: SamplingSpec, service: str) -> dict[str, float]:
    """A service's per-operation probabilities: the global ones, overridden by the service's own."""
    own = sampling.services.get(service)
    if isinstance(own, ServiceSampling) and own.rate_limit is not None:
        return {}
    merged = dict(sampling.operations)
    if isinstance(own, ServiceSampling):
        merged.update(own.operations)
    return dict(sorted(merged.items()))


def _number(value: float) -> float | int:
    # Jaeger reads a rate limit into an int32: write whole numbers as integers, as its docs do.
    return int(value) if float(value).is_integer() else value


def _probabilistic(param: float) -> dict:
    return {"type": "probabilistic", "param": param}


def _strategy(param: float | None, rate_limit: float | None, ops: dict[str, float]) -> dict:
    if rate_limit is not None:
        return {"type": "ratelimiting", "param": _number(rate_limit)}
    out = _probabilistic(param)
    if ops:
        out["operation_strategies"] = [{"operation": op, **_probabilistic(p)} for op, p in ops.items()]
    return out


def sampling_strategies(sampling: SamplingSpec) -> dict:
    """The strategies file's content, services sorted by name, operations by operation."""
    services = []
    for name in sorted(sampling.services):
        own = sampling.services[name]
        rate_limit = own.rate_limit if isinstance(own, ServiceSampling) else None
        services.append({"service": name, **_strategy(probability(sampling, name), rate_limit,
                                                      operations(sampling, name))})
    return {
        "default_strategy": _strategy(sampling.default, None, dict(sorted(sampling.operations.items()))),
        "service_strategies": services,
    }
