"""Tracing: instrumentation, Jaeger's variant and image, sampling strategies that work together."""
from __future__ import annotations

from obsgen.check.context import Context
from obsgen.core.diagnostics import error, warning


class TracingChecks(Context):
    def tracing(self):
        """A service's OpenTelemetry settings point its SDK at the OTLP port of the generated Jaeger."""
        tracing = self.sections["tracing"]
        if tracing is None and self.tree.get("tracing") is not None:
            return  # the section is there but did not parse: reported already
        for i, s in self.svcs:
            if not s.instrumentation.tracing:
                continue
            where = self.at("services", i, "instrumentation", "tracing")
            if tracing is None:
                self.diags.append(error("OBS047", f"service {s.name!r} sets instrumentation.tracing, but the spec "
                                                  f"has no `tracing` section to send its spans to", where,
                                        hint="add a `tracing` section (`tracing: {}` for an in-memory Jaeger), "
                                             "or drop instrumentation.tracing"))
            elif not tracing.jaeger.otlp:
                self.diags.append(error("OBS047", f"service {s.name!r} sets instrumentation.tracing, but "
                                                  f"tracing.jaeger.otlp is false: Jaeger would not accept its "
                                                  f"OTLP spans", where,
                                        hint="set tracing.jaeger.otlp to true, or drop instrumentation.tracing"))
            else:
                strategy = tracing.sampling.services.get(s.name)
                if getattr(strategy, "rate_limit", None) is not None:
                    self.diags.append(error(
                        "OBS047", f"service {s.name!r} sets instrumentation.tracing, but its sampling strategy is "
                                  f"a rate limit, which the OpenTelemetry SDK cannot apply from environment "
                                  f"variables (only a ratio)", where,
                        hint="give the service a `probability`, or drop instrumentation.tracing and have its SDK "
                             "use Jaeger's remote sampling"))
        if tracing is not None and tracing.jaeger.image:
            image, variant = tracing.jaeger.image, tracing.jaeger.variant
            v1_image = "all-in-one" in image.rsplit("/", 1)[-1]
            if v1_image == (variant == "v2"):
                self.diags.append(error(
                    "OBS047", f"tracing.jaeger.image {image!r} does not run variant {variant}: "
                              + ("the 1.x all-in-one image takes flags, not Jaeger 2's configuration file"
                                 if v1_image else "variant v1-all-in-one needs a Jaeger 1.x all-in-one image"),
                    self.at("tracing", "jaeger", "image"),
                    hint="set `variant: v1-all-in-one` for a 1.x image, or use a jaegertracing/jaeger:2.x image"))
        if tracing is not None and tracing.sampling.operations:
            self.rate_limits_and_operations(tracing)

    def rate_limits_and_operations(self, tracing):
        """Jaeger v2 (2.2 and later) copies the global per-operation probabilities into a rate-limited
        service's strategy, and SDKs then sample it by them instead of its rate limit; 1.62 leaves
        them out."""
        for name, own in sorted(tracing.sampling.services.items()):
            if getattr(own, "rate_limit", None) is None:
                continue
            where = self.at("tracing", "sampling", "services", name, "rate_limit")
            if tracing.jaeger.variant == "v2":
                self.diags.append(error(
                    "OBS047", f"service {name!r} is rate-limited, but tracing.sampling.operations applies "
                              f"per-operation probabilities to every service: Jaeger v2 sends them to {name!r} too, "
                              f"and SDKs then sample it by them instead of its rate limit", where,
                    hint=f"give {name} a probability (with its own operations), or drop tracing.sampling.operations"))
            else:
                self.diags.append(warning(
                    "OBS048", f"service {name!r} is rate-limited, so the 1.x all-in-one does not apply "
                              f"tracing.sampling.operations to it", where,
                    hint=f"give {name} a probability to have its operations sampled as listed"))
