"""Python instrumentation: for each service with `instrumentation.python`, a module
(`instrumentation/python/<module>.py`) holding the service's metric catalog as prometheus_client
metrics on a registry of its own, typed helpers that record them, and a timing decorator per
duration histogram.

The module is rendered from `templates/instrumentation/python_module.py.j2`; this file decides
every name and literal in it, so the template only lays code out.

Names. Metric objects are the catalog name in capitals (`TRADES_EXECUTED_TOTAL`); helpers are
`inc_<name without _total>`, `set_<gauge>`, `observe_<histogram or summary>` and
`timed_<histogram>`, with `:` written `_`. Labels become keyword-only `str` parameters; a label
that is a Python keyword, or would shadow a name the helper uses, gets a trailing `_`
(`class_`), and so does any name that would clash after these rewrites: the first in catalog
order keeps its name.

Units follow the catalog: a metric's `unit` is declared to prometheus_client (OpenMetrics
`# UNIT`) only when the name, without a counter's `_total`, already ends in `_<unit>`; otherwise
prometheus_client would append the unit and the exposed name would no longer be the catalog's.

Timing decorators. Each histogram whose name ends in `_seconds` gets `timed_<name>(**labels)`,
a decorator (sync and async functions) that observes each call's duration. Outcomes are
`success` (returned) and `error` (raised an Exception). A histogram label named `outcome` or
`result` is set to the outcome by the decorator instead of the caller. A catalog counter counts
the outcomes too when it is that histogram's counterpart: it has an `outcome` or `result` label,
its other labels are the histogram's other labels, and its name (without `_total`) is the
histogram's stem (the name without `_seconds` and then `_duration`, `_latency` or `_time`) in
singular or plural, alone or followed by `_...`: `http_request_duration_seconds{method}` pairs
with `http_requests_total{method, outcome}`. `status` is deliberately not an outcome label:
it usually holds HTTP codes that queries match with `status=~"5.."`.
"""
from __future__ import annotations

import json
import keyword
import re
import textwrap
from dataclasses import dataclass
from functools import lru_cache

from obsgen.core import naming
from obsgen.core.resources import templates_dir
from obsgen.core.serialise import Artifact, comment_header
from obsgen.resolve.model import Model
from obsgen.spec import MetricSpec, ServiceSpec

OUTCOME_LABELS = ("outcome", "result")
DURATION_SUFFIXES = ("_duration", "_latency", "_time")
_LINE = 99

# Every name the generated module defines or imports at module level, whether or not a given
# module needs it: a metric's names then never depend on what else is in its catalog's module.
_MODULE_NAMES = frozenset({
    "functools", "inspect", "time", "Any", "Awaitable", "Callable", "ParamSpec",
    "TypeVar", "cast", "CollectorRegistry", "Counter", "Gauge", "Histogram", "Summary", "REGISTRY",
    "_P", "_R", "_timed", "__all__"})
# Names a helper's own code uses besides module-level ones (parameters, locals, builtins): its
# label parameters must not shadow them.
_HELPER_NAMES = {"counter": {"amount", "float", "str"}, "gauge": {"value", "float", "str"},
                 "histogram": {"value", "float", "str"}, "summary": {"value", "float", "str"},
                 "timer": {"record", "seconds", "outcome", "float", "str"}}

_HELPER_PREFIX = {"counter": "inc_", "gauge": "set_", "histogram": "observe_", "summary": "observe_"}
_CLASS = {"counter": "Counter", "gauge": "Gauge", "histogram": "Histogram", "summary": "Summary"}


def module_name(service: ServiceSpec) -> str:
    """The Python module of a service: `instrumentation.python.module`, else the service name with
    `_` for `-`, plus `_metrics`."""
    python = service.instrumentation.python
    return naming.python_module(service.name, python.module if python else None)


def module_path(module: str) -> str:
    return f"instrumentation/python/{module}.py"


def py_str(text: str) -> str:
    """A double-quoted Python string literal: JSON's escapes all mean the same in Python."""
    return json.dumps(text, ensure_ascii=False)


def py_float(value: float) -> str:
    return repr(float(value))


class _Names:
    """Hands out identifiers, each once: a wanted name that is taken or a keyword gets `_`s."""

    def __init__(self, taken=()):
        self.taken = set(taken)

    def claim(self, wanted: str) -> str:
        name = wanted
        while name in self.taken or keyword.iskeyword(name):
            name += "_"
        self.taken.add(name)
        return name


@dataclass(frozen=True)
class Param:
    name: str   # the Python parameter
    label: str  # the label it sets


@dataclass(frozen=True)
class PyMetric:
    spec: MetricSpec
    const: str
    helper: str
    params: tuple[Param, ...]

    @property
    def cls(self) -> str:
        return _CLASS[self.spec.type]

    @property
    def args(self) -> list[str]:
        """The constructor's arguments after the name and help, as Python source."""
        out = []
        if self.spec.labels:
            out.append(f"labelnames={_tuple(py_str(l) for l in self.spec.labels)}")
        unit = self.spec.unit
        base = self.spec.name.removesuffix("_total") if self.spec.type == "counter" else self.spec.name
        if unit and base.endswith("_" + unit):
            out.append(f"unit={py_str(unit)}")
        if self.spec.type == "histogram" and self.spec.buckets is not None:
            out.append(f"buckets={_tuple(py_float(b) for b in self.spec.buckets)}")
        return out + ["registry=REGISTRY"]

    def labels_call(self, values: dict[str, str] | None = None) -> str:
        """`.labels(a, b)`, in label order: the helper's parameters, or the expressions `values`
        gives for every label."""
        if not self.spec.labels:
            return ""
        names = {p.label: p.name for p in self.params} if values is None else values
        return f".labels({', '.join(names[label] for label in self.spec.labels)})"

    @property
    def signature(self) -> str:
        labels = [f"{p.name}: str" for p in self.params]
        if self.spec.type == "counter":
            return _signature(self.helper, ["*", *labels, "amount: float = 1.0"], "None")
        return _signature(self.helper, ["value: float", *(["*", *labels] if labels else [])], "None")

    @property
    def body(self) -> str:
        call = "inc(amount)" if self.spec.type == "counter" else \
            "set(value)" if self.spec.type == "gauge" else "observe(value)"
        return f"{self.const}{self.labels_call()}.{call}"

    @property
    def doc(self) -> str:
        what = {"counter": "Add `amount` (at least 0) to", "gauge": "Set", "histogram": "Observe `value` in",
                "summary": "Observe `value` in"}[self.spec.type]
        return _doc(f"{what} {self.spec.name}: {self.spec.help}")


@dataclass(frozen=True)
class Timer:
    name: str
    histogram: PyMetric
    outcome_label: str | None  # the histogram's, which the decorator sets
    counter: PyMetric | None
    params: tuple[Param, ...]

    @property
    def signature(self) -> str:
        decorator = "Callable[[Callable[_P, _R]], Callable[_P, _R]]"
        return _signature(self.name, ["*", *(f"{p.name}: str" for p in self.params)] if self.params else [],
                          decorator)

    def _values(self, outcome_label: str | None) -> dict[str, str]:
        own = {p.label: p.name for p in self.params}
        return own | ({outcome_label: "outcome"} if outcome_label else {})

    @property
    def observe(self) -> str:
        h = self.histogram
        return f"{h.const}{h.labels_call(self._values(self.outcome_label))}.observe(seconds)"

    @property
    def count(self) -> str | None:
        c = self.counter
        if c is None:
            return None
        return f"{c.const}{c.labels_call(self._values(_outcome_label(c.spec)))}.inc()"

    @property
    def doc(self) -> str:
        text = f"Decorator: observe each call's duration in {self.histogram.spec.name}"
        if self.outcome_label:
            text += f", with {self.outcome_label} set to success or error"
        if self.counter:
            text += (f", and count the call in {self.counter.spec.name} with "
                     f"{_outcome_label(self.counter.spec)} success or error")
        return _doc(text + ".")


def _tuple(items) -> str:
    items = list(items)
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def _signature(name: str, params: list[str], returns: str) -> str:
    line = f"def {name}({', '.join(params)}) -> {returns}:"
    if len(line) <= _LINE:
        return line
    return f"def {name}(\n" + "".join(f"    {p},\n" for p in params) + f") -> {returns}:"


def _doc(text: str) -> str:
    """A helper's docstring, indented for a function body: the text with a string literal's
    escapes, on one line if it fits, else wrapped."""
    text = py_str(" ".join(text.split()))[1:-1]
    if len(text) <= _LINE - 10:
        return f'"""{text}"""'
    lines = textwrap.wrap(text, _LINE - 7, break_long_words=False, break_on_hyphens=False)
    return '"""' + "\n    ".join(lines) + '\n    """'


def _ident(metric_name: str) -> str:
    return metric_name.replace(":", "_")


def _outcome_label(metric: MetricSpec) -> str | None:
    return next((label for label in OUTCOME_LABELS if label in metric.labels), None)


def _stem(histogram: str) -> str:
    name = histogram.removesuffix("_seconds")
    for suffix in DURATION_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def counterpart(histogram: MetricSpec, counters: list[MetricSpec]) -> MetricSpec | None:
    """The catalog counter that counts a timed histogram's outcomes (see the module docstring)."""
    stem = _stem(histogram.name)
    plural = f"|{re.escape(stem[:-1])}ies" if stem.endswith("y") else ""
    name_re = re.compile(rf"(?:{re.escape(stem)}(?:s|es)?{plural})(?:_.+)?")
    own = set(histogram.labels) - {_outcome_label(histogram)}
    fits = [c for c in counters
            if (label := _outcome_label(c)) and set(c.labels) - {label} == own
            and name_re.fullmatch(c.name.removesuffix("_total"))]
    return min(fits, key=lambda c: (len(c.name), c.name), default=None)


def _params(taken, kind: str, labels, skip: str | None = None) -> tuple[Param, ...]:
    names = _Names(taken | _HELPER_NAMES[kind])
    return tuple(Param(names.claim(label), label) for label in labels if label != skip)


def python_module(service: ServiceSpec) -> dict:
    """What the template needs for one service's module."""
    names = _Names(_MODULE_NAMES)
    consts = [names.claim(_ident(m.name).upper()) for m in service.metrics]
    helpers = [names.claim(_HELPER_PREFIX[m.type] + _ident(m.name.removesuffix("_total") if m.type == "counter"
                                                             else m.name)) for m in service.metrics]
    timed = [(i, names.claim("timed_" + _ident(m.name))) for i, m in enumerate(service.metrics)
             if m.type == "histogram" and m.name.endswith("_seconds")]
    # Label parameters may not shadow anything defined at module level: helpers read constants.
    metrics = [PyMetric(m, const, helper, _params(names.taken, m.type, m.labels))
               for m, const, helper in zip(service.metrics, consts, helpers)]
    counters = [m for m in service.metrics if m.type == "counter"]
    by_name = {p.spec.name: p for p in metrics}
    timers = []
    for i, name in timed:
        h = metrics[i]
        outcome = _outcome_label(h.spec)
        counter = counterpart(h.spec, counters)
        timers.append(Timer(name, h, outcome, by_name[counter.name] if counter else None,
                            _params(names.taken, "timer", h.spec.labels, outcome)))
    classes = sorted({m.cls for m in metrics})
    exported = ["REGISTRY", *consts, *helpers, *(t.name for t in timers)]
    return {"service": service, "metrics": metrics, "timers": timers, "classes": classes, "exported": exported,
            "py_str": py_str}


@lru_cache(maxsize=1)
def _template():
    import jinja2  # ~15 ms: only builds render templates, `obsgen validate` does not

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir() / "instrumentation")), autoescape=False,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    return env.get_template("python_module.py.j2")


def render(service: ServiceSpec, header: str) -> str:
    return comment_header(header) + _template().render(python_module(service))


class InstrumentationTarget:
    name = "instrumentation"

    def generate(self, model: Model) -> list[Artifact]:
        return [Artifact(module_path(module_name(s)), render(s, model.header()))
                for s in model.services if s.instrumentation.python is not None]
