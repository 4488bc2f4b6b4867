"""The instrumentation target: per service with `instrumentation.python`, a Python module with
the metric catalog as prometheus_client metrics, typed helpers and timing decorators.

Generated modules are imported in a fresh interpreter, fed one sample through every helper and
decorator, and their exposition is parsed by prometheus_client's own parsers and compared with
the catalog; mypy --strict checks them and code that uses them."""
from __future__ import annotations

import importlib.util
import json
import math
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families as parse_text

from obsgen.api import load_project, load_texts
from obsgen.spec import MetricSpec, ServiceSpec
from obsgen.targets.instrumentation import (
    InstrumentationTarget, counterpart, module_name, module_path, python_module)

ROOT = Path(__file__).parents[1]
GOLDEN_SPECS = Path(__file__).parent / "golden" / "instrumentation" / "specs"
HAVE_MYPY = importlib.util.find_spec("mypy") is not None
DEFAULT_BUCKETS = [.005, .01, .025, .05, .075, .1, .25, .5, .75, 1.0, 2.5, 5.0, 7.5, 10.0]

# Names that are Python keywords, shadow a helper's parameters or the module's own names, or
# only differ after `:` becomes `_` or in case; and a help text that needs every escape.
ODD_HELP = 'Odd "help": back\\slash, """triple""", ünïcode 🚀, ' + " ".join(["and long enough to wrap"] * 4)
EDGE_CASES = f"""\
apiVersion: obsgen/v1
teams:
  - name: team
services:
  - name: edge-cases
    team: team
    instrumentation: {{python: {{}}}}
    metrics:
      - {{name: "orders:backlog", type: gauge, help: Backlog (recording-rule style name).}}
      - {{name: orders_backlog, type: gauge, help: Backlog.}}
      - {{name: registry, type: gauge, help: Named like the module's registry.}}
      - {{name: _p, type: gauge, help: Named like the decorator's ParamSpec.}}
      - {{name: Requests_total, type: counter, help: Capitalised.}}
      - {{name: requests_total, type: counter, help: Lowercase.}}
      - {{name: class, type: gauge, help: A keyword as metric name.}}
      - name: odd_labels
        type: gauge
        help: Labels that are keywords or shadow names.
        labels: [class, None, value, value_, float, str, REGISTRY, ODD_LABELS, _, amount]
      - {{name: task_seconds, type: histogram, help: Task time., unit: seconds, labels: [outcome, seconds, record]}}
      - {{name: tasks_total, type: counter, help: Tasks by outcome., labels: [record, outcome, seconds]}}
      - {{name: tasks_amount_total, type: counter, help: Not a counterpart (extra label)., labels: [record, outcome, seconds, x]}}
      - {{name: odd_help_bytes, type: summary, help: {json.dumps(ODD_HELP, ensure_ascii=False)}, unit: bytes}}
"""


def reference_project():
    """The reference spec, with Python instrumentation for the two APIs (added here until specs/
    has it)."""
    texts = {f"specs/{p.name}": p.read_text() for p in sorted((ROOT / "specs").glob("*.yaml"))}
    for name, text in texts.items():
        for service in ("waardhaven-api", "qlib-pro-api"):
            block = re.search(rf"^  - name: {service}\n(?:    .*\n|\s*#.*\n|\n)*", text, re.M)
            if block and "    instrumentation:" not in block.group(0):
                text = text.replace(f"  - name: {service}\n",
                                    f"  - name: {service}\n    instrumentation: {{python: {{}}}}\n", 1)
        texts[name] = text
    return load_texts(texts)


def modules_of(project) -> dict[str, tuple[ServiceSpec, str]]:
    """{module name: (service, source)} over all environments (which must agree)."""
    out: dict[str, tuple[ServiceSpec, str]] = {}
    assert project.ok, [str(d) for d in project.diagnostics]
    for model in project.models:
        services = {module_path(module_name(s)): s for s in model.services}
        for art in InstrumentationTarget().generate(model):
            name = Path(art.path).stem
            assert out.setdefault(name, (services[art.path], art.content))[1] == art.content
    return out


CASES = {"reference": reference_project, "golden": lambda: load_project([GOLDEN_SPECS]),
         "edge-cases": lambda: load_texts({"edge.yaml": EDGE_CASES})}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request, tmp_path_factory):
    modules = modules_of(CASES[request.param]())
    folder = tmp_path_factory.mktemp(request.param)
    for name, (_, source) in modules.items():
        (folder / f"{name}.py").write_text(source)
    return request.param, folder, modules


# ------------------------------------------------------------------ running the modules

RUN = textwrap.dedent('''\
    import asyncio, importlib, importlib.util, inspect, json, os, sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves it out
    from prometheus_client import generate_latest
    from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

    # From 0.23 the default escaping writes `a:b` samples as `a_b` under `# TYPE a:b`
    # (prometheus/client_python#1177); before, there was no escaping and no bug.
    OPENMETRICS = {"escaping": "allow-utf-8"} if "escaping" in inspect.signature(generate_openmetrics).parameters else {}

    def ok():
        return "ok"

    def fail():
        raise RuntimeError("boom")

    async def ok_async():
        return "ok"

    out = {}
    for name in sys.argv[1:]:
        module = importlib.import_module(name)
        for attr in module.__all__:
            fn = getattr(module, attr)
            if not inspect.isfunction(fn):
                continue
            params = inspect.signature(fn).parameters.values()
            labels = {p.name: "v" for p in params if p.kind is p.KEYWORD_ONLY and p.default is p.empty}
            if attr.startswith("timed_"):
                timed = fn(**labels)
                assert timed(ok)() == "ok" and timed(ok).__name__ == "ok"
                try:
                    timed(fail)()
                except RuntimeError:
                    pass
                else:
                    raise AssertionError("the decorator swallowed the exception")
                assert asyncio.run(timed(ok_async)()) == "ok"
                assert inspect.iscoroutinefunction(timed(ok_async))
            elif any(p.name == "value" and p.kind is p.POSITIONAL_OR_KEYWORD for p in params):
                fn(1.0, **labels)
            else:
                fn(**labels)
        # a second copy of the module (another import path, a reload) has a registry of its own
        spec = importlib.util.spec_from_file_location(name + "_again", module.__file__)
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
        out[name] = {"text": generate_latest(module.REGISTRY).decode(),
                     "openmetrics": generate_openmetrics(module.REGISTRY, **OPENMETRICS).decode()}
    print(json.dumps(out))
''')


@pytest.fixture(scope="module")
def exposition(case):
    _, folder, modules = case
    (folder / "_run.py").write_text(RUN)
    # -I: a fresh interpreter that sees neither the test's sys.path nor PYTHON* variables
    done = subprocess.run([sys.executable, "-I", str(folder / "_run.py"), *sorted(modules)], cwd=folder,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def created(metric: MetricSpec) -> str:
    return metric.name.removesuffix("_total") + "_created"


def declares_unit(metric: MetricSpec) -> bool:
    base = metric.name.removesuffix("_total") if metric.type == "counter" else metric.name
    return bool(metric.unit) and base.endswith(f"_{metric.unit}")


def samples_by_name(families) -> dict[str, list]:
    out: dict[str, list] = {}
    for family in families:
        for sample in family.samples:
            out.setdefault(sample.name, []).append(sample)
    return out


def test_every_module_exposes_exactly_its_catalogs_families_with_their_types(case, exposition):
    _, _, modules = case
    for name, (service, _) in modules.items():
        text = exposition[name]["text"]
        types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
        want = {m.name: m.type for m in service.metrics}
        want |= {created(m): "gauge" for m in service.metrics if m.type != "gauge"}
        assert types == want, name


def test_every_sample_has_the_catalogs_series_names_labels_and_help(case, exposition):
    _, _, modules = case
    for name, (service, _) in modules.items():
        families = list(parse_text(exposition[name]["text"]))
        samples = samples_by_name(families)
        helps = {f.name: f.documentation for f in families}
        expected_names = set()
        for m in service.metrics:
            series = {"counter": [m.name], "gauge": [m.name], "histogram": [f"{m.name}_{s}" for s in
                                                                          ("bucket", "sum", "count")],
                      "summary": [f"{m.name}_{s}" for s in ("sum", "count")]}[m.type]
            if m.buckets and m.buckets[0] < 0:
                # OpenMetrics: a histogram that can observe negative values has no _sum (it would
                # not be a counter), and prometheus_client leaves it out
                series.remove(f"{m.name}_sum")
            if m.type != "gauge":
                series.append(created(m))
            expected_names |= set(series)
            for series_name in series:
                assert series_name in samples, f"{name}: no {series_name} after recording one sample"
                for sample in samples[series_name]:
                    extra = {"le"} if series_name.endswith("_bucket") else set()
                    assert set(sample.labels) == set(m.labels) | extra, f"{name}: {series_name}"
            assert helps[m.name.removesuffix("_total") if m.type == "counter" else m.name] == m.help
            if m.type == "histogram":
                bounds = sorted({float(s.labels["le"]) for s in samples[f"{m.name}_bucket"]})
                assert bounds == [*(m.buckets or DEFAULT_BUCKETS), math.inf]
        assert set(samples) == expected_names, name


def test_units_are_declared_only_where_the_name_ends_in_them(case, exposition):
    # Read with a regex: prometheus_client's OpenMetrics parser rejects prometheus_client's own
    # output for a histogram with negative buckets (_count without _sum; OpenMetrics#229).
    _, _, modules = case
    for name, (service, _) in modules.items():
        text = exposition[name]["openmetrics"]
        families = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
        units = dict(re.findall(r"^# UNIT (\S+) (\S+)$", text, re.M))
        family = {m.name: m.name.removesuffix("_total") if m.type == "counter" else m.name for m in service.metrics}
        assert families == set(family.values())
        assert units == {family[m.name]: m.unit for m in service.metrics if declares_unit(m)}


def test_timed_decorators_observe_every_call_and_count_outcomes(case, exposition):
    _, _, modules = case
    for name, (service, _) in modules.items():
        samples = samples_by_name(parse_text(exposition[name]["text"]))
        for timer in python_module(service)["timers"]:
            h = timer.histogram.spec
            counts = {tuple(sorted(s.labels.items())): s.value for s in samples[f"{h.name}_count"]}
            if timer.outcome_label:
                # the helper recorded outcome "v"; the decorator 2 successes (sync, async), 1 error
                by_outcome = {dict(k)[timer.outcome_label]: v for k, v in counts.items()}
                assert by_outcome == {"v": 1, "success": 2, "error": 1}
            else:
                assert list(counts.values()) == [4]
            if timer.counter:
                label = next(l for l in ("outcome", "result") if l in timer.counter.spec.labels)
                got = {s.labels[label]: s.value for s in samples[timer.counter.spec.name]}
                assert got == {"v": 1, "success": 2, "error": 1}


# ------------------------------------------------------------------ typing

def usage(modules) -> tuple[str, str]:
    """Code that calls every helper and decorator as a user would, and code that misuses them
    (each misuse on a line of its own, marked with a comment)."""
    imports = ["import asyncio", *(f"import {name}" for name in sorted(modules)), ""]
    good, bad = list(imports), list(imports)
    for name, (service, _) in sorted(modules.items()):
        view = python_module(service)
        for m in view["metrics"]:
            kwargs = ", ".join(f"{p.name}={p.label!r}" for p in m.params)
            value = [] if m.spec.type == "counter" else ["0.5"]
            good.append(f"{name}.{m.helper}({', '.join(value + ([kwargs] if kwargs else []))})")
            if m.params:
                bad.append(f"{name}.{m.helper}({', '.join(value)})  # a label is missing")
        for t in view["timers"]:
            kwargs = ", ".join(f"{p.name}='x'" for p in t.params)
            i = f"{name}_{t.name}"
            good += [f"@{name}.{t.name}({kwargs})", f"def f_{i}(x: int, *, y: str = '') -> str:", "    return y * x",
                     f"s_{i}: str = f_{i}(2, y='a')",
                     f"@{name}.{t.name}({kwargs})", f"async def g_{i}(x: int) -> float:", "    return x / 2",
                     f"h_{i}: float = asyncio.run(g_{i}(1))", ""]
            bad += [f"@{name}.{t.name}({kwargs})", f"def wrong_{i}(x: int) -> str:", "    return str(x)",
                    f"wrong_{i}('not an int')  # the decorator keeps the signature",
                    f"w_{i}: int = wrong_{i}(1)  # and the return type"]
    return "\n".join(good) + "\n", "\n".join(bad) + "\n"


def mypy(folder: Path, *files: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir",
                           str(folder / ".mypy_cache"), *files], cwd=folder, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.tools
@pytest.mark.skipif(not HAVE_MYPY, reason="needs mypy (pip install mypy)")
def test_modules_and_code_using_them_pass_mypy_strict_and_misuse_does_not(case):
    _, folder, modules = case
    good, bad = usage(modules)
    (folder / "_usage.py").write_text(good)
    (folder / "_misuse.py").write_text(bad)
    start = time.perf_counter()
    done = mypy(folder, *(f"{name}.py" for name in sorted(modules)), "_usage.py")
    assert done.returncode == 0, done.stdout + done.stderr
    print(f"mypy --strict over {len(modules)} modules: {time.perf_counter() - start:.1f}s")
    done = mypy(folder, "_misuse.py")
    errors = {int(n) for n in re.findall(r"^_misuse\.py:(\d+): error", done.stdout, re.M)}
    assert errors == {i for i, line in enumerate(bad.splitlines(), 1) if "  # " in line}, done.stdout


# ------------------------------------------------------------------ what is generated

def test_each_service_with_python_instrumentation_gets_one_module_named_after_it_or_its_setting():
    model = load_project([GOLDEN_SPECS]).models[0]
    assert [a.path for a in InstrumentationTarget().generate(model)] == [
        "instrumentation/python/billing.py", "instrumentation/python/checkout_api_metrics.py"]
    assert InstrumentationTarget.name == "instrumentation"


def test_modules_start_with_the_generated_header_and_build_byte_identically_twice():
    model = load_project([GOLDEN_SPECS]).models[0]
    first, second = InstrumentationTarget().generate(model), InstrumentationTarget().generate(model)
    assert first == second
    for art in first:
        assert art.content.startswith(f"# {model.header()}\n")
        assert art.content.endswith("\n") and not art.content.endswith("\n\n") and "\r" not in art.content


METRICS = [{"name": "jobs_total", "type": "counter", "help": "Jobs.", "labels": ["queue", "outcome"]},
           {"name": "job_duration_seconds", "type": "histogram", "help": "Job time.", "unit": "seconds",
            "labels": ["queue"], "buckets": [0.5, 1]},
           {"name": "depth", "type": "gauge", "help": "Depth.", "labels": ["class"]}]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.randoms(use_true_random=False), min_size=len(METRICS), max_size=len(METRICS)),
       st.sampled_from(["0-services.yaml", "m.yaml", "z-services.yaml"]))
def test_module_text_does_not_depend_on_the_order_of_keys_or_files(rngs, services_file):
    def flow(metric: dict, rng) -> str:
        keys = sorted(metric)
        if rng:
            rng.shuffle(keys)
        return "{" + ", ".join(f"{k}: {json.dumps(metric[k])}" for k in keys) + "}"

    def build(metric_lines: list[str], services_file: str) -> str:
        texts = {"m-teams.yaml": "apiVersion: obsgen/v1\nteams: [{name: t}]\n",
                 services_file: "apiVersion: obsgen/v1\nservices:\n  - instrumentation: {python: {}}\n"
                                "    team: t\n    name: worker\n    metrics:\n"
                                + "".join(f"      - {line}\n" for line in metric_lines)}
        [art] = InstrumentationTarget().generate(load_texts(texts).models[0])
        return art.content.split("\n", 1)[1]  # the header names the files

    base = build([flow(m, None) for m in METRICS], "b.yaml")
    assert build([flow(m, rng) for m, rng in zip(METRICS, rngs)], services_file) == base


def test_names_that_are_keywords_or_clash_after_mangling_each_get_their_own_identifier():
    [(service, source)] = modules_of(load_texts({"edge.yaml": EDGE_CASES})).values()
    view = python_module(service)
    consts = {m.spec.name: m.const for m in view["metrics"]}
    helpers = {m.spec.name: m.helper for m in view["metrics"]}
    assert consts["orders:backlog"] == "ORDERS_BACKLOG" and consts["orders_backlog"] == "ORDERS_BACKLOG_"
    assert helpers["orders:backlog"] == "set_orders_backlog" and helpers["orders_backlog"] == "set_orders_backlog_"
    assert consts["registry"] == "REGISTRY_" and consts["_p"] == "_P_"
    assert consts["Requests_total"] == "REQUESTS_TOTAL" and consts["requests_total"] == "REQUESTS_TOTAL_"
    assert helpers["Requests_total"] == "inc_Requests" and helpers["requests_total"] == "inc_requests"
    odd = next(m for m in view["metrics"] if m.spec.name == "odd_labels")
    assert [p.name for p in odd.params] == ["class_", "None_", "value_", "value__", "float_", "str_", "REGISTRY__",
                                            "ODD_LABELS_", "_", "amount"]
    assert "def set_odd_labels(\n    value: float,\n    *,\n    class_: str," in source
    [timer] = view["timers"]
    assert (timer.outcome_label, timer.counter.spec.name) == ("outcome", "tasks_total")
    assert [p.name for p in timer.params] == ["seconds_", "record_"]
    assert "TASKS_TOTAL.labels(record_, outcome, seconds_" in source
    assert len(set(view["exported"])) == len(view["exported"])


@pytest.mark.parametrize("histogram, counters, expected", [
    ("http_request_duration_seconds{method}", ["http_requests_total{method,outcome}"], "http_requests_total"),
    ("http_request_duration_seconds{method}", ["http_requests_total{method,status}"], None),
    ("http_request_duration_seconds{method}",
     ["http_request_outcomes_total{method,outcome}", "http_requests_total{method,result}"], "http_requests_total"),
    ("db_query_latency_seconds{table}", ["db_queries_total{table,result}"], "db_queries_total"),
    ("job_seconds{queue,outcome}", ["jobs_total{outcome,queue}"], "jobs_total"),
    ("job_seconds{queue}", ["jobstore_evictions_total{queue,outcome}"], None),
    ("job_seconds{queue}", ["jobs_total{outcome}"], None),
    ("job_seconds{queue}", ["cache_lookups_total{queue,outcome}"], None),
], ids=lambda v: v if isinstance(v, str) else None)
def test_a_timed_histograms_outcome_counter_is_its_counterpart_in_name_and_labels(histogram, counters, expected):
    def metric(text: str, type_: str) -> MetricSpec:
        name, labels = text.rstrip("}").split("{")
        return MetricSpec(name=name, type=type_, help="x", labels=labels.split(",") if labels else [])

    found = counterpart(metric(histogram, "histogram"), [metric(c, "counter") for c in counters])
    assert (found.name if found else None) == expected
