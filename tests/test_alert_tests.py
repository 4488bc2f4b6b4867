"""Generated tests for every alert (targets/alerttests.py): input series that put each alert's
condition just past its threshold and just short of it, checked with promtool.

What is proven here: every alert of the reference spec has a firing and a quiet test and all of
them pass; changing a threshold or a `for` tenfold in the generated rules makes a test fail (a
mutation test, with promtool); the simulation the tests are planned with computes what promtool
computes; and what is beyond synthesis says why."""
from __future__ import annotations

import math
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import needs
from ruamel.yaml import YAML

from obsgen.api import generate, load_project, load_texts
from obsgen.core.naming import duration_seconds, fmt_duration
from obsgen.core.promql_tree import parse
from obsgen.resolve.slo import alert_rules
from obsgen.targets.alerttemplates import render
from obsgen.targets.alerttests import notation
from obsgen.targets.promsim import Series, Simulation
from obsgen.targets.rules import rule_file_owners
from obsgen.targets.ruletests import GeneratedTests
from obsgen.targets.slo import slo_tests

ROOT = Path(__file__).resolve().parents[1]
yaml = YAML(typ="safe")


@pytest.fixture(scope="module")
def reference():
    project = load_project([ROOT / "specs"])
    assert project.ok
    return project


def _generated(model):
    out = {}
    for _, services in rule_file_owners(model).items():
        gen = GeneratedTests(model, services)
        for alert in model.alerts:
            if alert.service in gen.services:
                out[(alert.service, alert.name, alert.spec.severity)] = (gen.cases(alert), gen.reasons)
    return out


# ----------------------------------------------------------------------------- coverage

def test_every_alert_of_the_reference_spec_has_a_firing_and_a_quiet_test(reference):
    for model in reference.models:
        missing = []
        for key, (cases, reasons) in _generated(model).items():
            names = [c.name for c in cases]
            if not (any(": fires" in n for n in names) and any(": quiet" in n for n in names)):
                missing.append(f"{key}: {reasons.get(key)}")
        for slo in model.slos:  # the SLO alerts: the SLO's stories
            stories = slo_tests(slo)
            for rule in alert_rules(slo):
                checks = [c for t in stories for c in t["alert_rule_test"] if c["alertname"] == rule["alert"]]
                if not (any(c["exp_alerts"] for c in checks) and any(not c["exp_alerts"] for c in checks)):
                    missing.append(rule["alert"])
        assert not missing, f"{model.env}: alerts without a firing and a quiet test: {missing}"


def test_alerts_that_differ_only_in_their_job_get_their_own_series():
    spec = _spec("""
      - name: a
        team: ops
        scrape: {static: ["a:80"]}
        alerts:
          - {name: Down, expr: 'up{job="a"} == 0', for: 2m, severity: warning, summary: "{{ $labels.job }} down"}
      - name: b
        team: ops
        scrape: {static: ["b:80"]}
        alerts:
          - {name: Down, expr: 'up{job="b"} == 0', for: 2m, severity: warning, summary: "{{ $labels.job }} down"}
    """)
    files = generate(load_texts({"s.yaml": spec}))
    for service in ("a", "b"):
        doc = yaml.load(files[f"default/prometheus/tests/{service}.rules.test.yml"])
        group = doc["tests"][0]
        assert {s["series"] for s in group["input_series"]} == {f'up{{instance="{service}-1", job="{service}"}}'}
        rendered = group["alert_rule_test"][0]["exp_alerts"][0]["exp_annotations"]
        assert rendered == {"summary": f"{service} down"}


def test_beyond_synthesis_says_why_and_a_switch_turns_generation_off():
    spec = _spec("""
      - name: a
        team: ops
        scrape: {static: ["a:80"]}
        metrics: [{name: jobs_total, type: counter, help: jobs}]
        alerts:
          - {name: Sub, expr: 'max_over_time(rate(jobs_total[5m])[1h:1m]) > 1', severity: warning, summary: s}
          - {name: Off, expr: 'up{job="a"} == 0', severity: warning, summary: s, generate_tests: false}
          - {name: On, expr: 'up{job="a"} == 0', severity: warning, summary: s}
    """)
    project = load_texts({"s.yaml": spec})
    assert project.ok
    got = _generated(project.models[0])
    assert got[("a", "Sub", "warning")][0] == []
    assert got[("a", "Sub", "warning")][1][("a", "Sub", "warning")] == "its expression uses a subquery"
    assert got[("a", "Off", "warning")][0] == []
    assert "generate_tests: false" in got[("a", "Off", "warning")][1][("a", "Off", "warning")]
    assert len(got[("a", "On", "warning")][0]) == 2


def _spec(services: str) -> str:
    return ("apiVersion: obsgen/v1\nteams:\n  - name: ops\n    email: {to: ops@example.com}\n"
            "routing:\n  default_team: ops\n  smtp: {smarthost: \"smtp:25\", from: am@example.com}\n"
            "services:\n" + "\n".join(line[4:] for line in services.strip("\n").splitlines()) + "\n")


# ----------------------------------------------------------------------------- promtool runs them

def _write(files: dict[str, str], root: Path, env: str) -> Path:
    for path, text in files.items():
        if path.startswith(f"{env}/prometheus/"):
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
    return root / env / "prometheus"


@needs("promtool")
def test_a_spec_of_every_alert_shape_passes_its_generated_tests(tmp_path):
    spec = _spec("""
      - name: api
        team: ops
        scrape: {static: ["api:80"]}
        metrics:
          - {name: http_requests_total, type: counter, help: requests, labels: [code]}
          - {name: http_request_duration_seconds, type: histogram, help: latency, buckets: [0.1, 0.5, 1, 5]}
          - {name: queue_depth, type: gauge, help: depth}
          - {name: cert_expiry_seconds, type: gauge, help: expiry}
          - {name: error_ratio_5m, type: gauge, help: ratio}
          - {name: error_ratio_1h, type: gauge, help: ratio}
          - {name: error_ratio_30m, type: gauge, help: ratio}
          - {name: error_ratio_6h, type: gauge, help: ratio}
        alerts:
          - {name: Errors, expr: 'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.05', for: 5m, severity: critical, summary: "errors {{ $value | humanizePercentage }}", runbook_url: "https://r.example.com/e"}
          - {name: Slow, expr: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 1', for: 10m, severity: warning, summary: slow}
          - {name: Backlog, expr: 'queue_depth < 3 or queue_depth > 1000', for: 1m, severity: warning, summary: "{{ $labels.instance }} at {{ $value }}"}
          - {name: Stalled, expr: 'sum by (instance) (increase(http_requests_total[10m])) == 0', for: 5m, severity: warning, summary: stalled}
          - {name: Gone, expr: 'absent(up{job="api"} == 1)', for: 2m, severity: critical, summary: gone, runbook_url: "https://r.example.com/g"}
          - {name: Surge, expr: 'sum(rate(http_requests_total[10m])) > 3 * sum(rate(http_requests_total[1h] offset 1h))', for: 5m, severity: info, summary: surge}
          - {name: Expiring, expr: 'cert_expiry_seconds - time() < 7 * 86400', for: 15m, severity: warning, summary: expiring}
          - {name: Flapping, expr: 'changes(queue_depth[15m]) > 4', severity: info, summary: flapping, keep_firing_for: 10m}
          - {name: NotExactly, expr: 'avg(queue_depth) != -212423.2105871588', for: 1m, severity: info, summary: exact}
          - {name: Tiny, expr: 'queue_depth != 3.8449536902588825e-161', severity: info, summary: tiny}
          - {name: FailedNoneDone, expr: 'jobs_failed_total > 0 and jobs_done_total == 0', for: 5m, severity: warning, summary: raw}
          - {name: JustStarted, expr: 'process_uptime_seconds_total / 60 < 1', severity: info, summary: restarted}
          - {name: TwoLeaders, expr: 'count(leader_info{role="leader"}) > 1', for: 1m, severity: critical, summary: split, runbook_url: "https://r.example.com/l"}
          - {name: Versions, expr: 'count(count by (version) (build_info)) > 1', for: 15m, severity: info, summary: versions}
          - {name: EvenMembers, expr: 'count(member_id) % 2 == 0', for: 5m, severity: warning, summary: even}
          - {name: BurnFast, expr: '(max(error_ratio_5m > (14.4 * 0.001)) and max(error_ratio_1h > (14.4 * 0.001))) or (max(error_ratio_30m > (6 * 0.001)) and max(error_ratio_6h > (6 * 0.001)))', severity: critical, summary: burn, runbook_url: "https://r.example.com/b"}
    """)
    project = load_texts({"s.yaml": spec})
    assert project.ok
    got = _generated(project.models[0])
    assert all(cases for cases, _ in got.values()), {k: r.get(k) for k, (c, r) in got.items() if not c}
    prom = _write(generate(project), tmp_path, "default")
    for test in sorted((prom / "tests").glob("*.rules*.test.yml")):
        run = subprocess.run(["promtool", "test", "rules", test.name], cwd=test.parent, capture_output=True,
                             text=True, timeout=300)
        assert run.returncode == 0, run.stdout + run.stderr


# ----------------------------------------------------------------------------- the mutation test

_COMPARED = re.compile(r"(?P<op>>=|<=|==|!=|>|<)(?P<sp>\s*)(?P<num>-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)(?![\w.])")


def _mutants(rule: dict) -> list[tuple[str, dict]]:
    """(what, mutated rule): each threshold (a number a comparison reads; where several
    comparisons read the same number, as an SLO tier's long and short windows do, all of them)
    and the `for`, ten times and a tenth."""
    out = []
    expr = rule["expr"]
    for value in sorted({float(m.group("num")) for m in _COMPARED.finditer(expr)} - {0.0}):
        for factor, what in ((10, "threshold x10"), (0.1, "threshold /10")):
            new = _COMPARED.sub(lambda m: m.group(0) if float(m.group("num")) != value else
                                m.group("op") + m.group("sp") + repr(value * factor).removesuffix(".0"), expr)
            out.append((what, {**rule, "expr": new}))
    if rule.get("for"):
        seconds = duration_seconds(rule["for"])
        out.append(("for x10", {**rule, "for": fmt_duration(int(seconds * 10))}))
        if seconds >= 10:
            out.append(("for /10", {**rule, "for": fmt_duration(int(seconds // 10))}))
    return out


def _killed(job) -> bool:
    rules_text, tests_doc, folder, n = job
    work = folder / f"m{n}"
    (work / "rules").mkdir(parents=True)
    (work / "tests").mkdir()
    rule_file = tests_doc["rule_files"][0].removeprefix("../rules/")
    (work / "rules" / rule_file).write_text(rules_text, encoding="utf-8")
    out = YAML()
    with (work / "tests" / "t.yml").open("w", encoding="utf-8") as fh:
        out.dump(tests_doc, fh)
    run = subprocess.run(["promtool", "test", "rules", "t.yml"], cwd=work / "tests", capture_output=True, timeout=600)
    return run.returncode != 0


@needs("promtool")
def test_a_tenfold_change_of_any_threshold_or_for_fails_a_test(tmp_path, reference):
    """Each alert of the reference spec's production rules is changed, one change at a time, and
    its own tests (the generated ones, or the SLO's stories, in each test file of its rule file)
    are run against the changed rules: at least 90% of the changes must fail a test."""
    files = {p: t for p, t in generate(reference, targets=["rules", "slo"]).items() if p.startswith("production/")}
    # The survivors that remain are SLO tiers another tier covers (a tier of 5m > 5.76x next to one of
    # 12m and 5m > 6x: whatever fires the second fires the first), and a count of targets down among one.
    assert_most_killed(*mutation_test(files, "production", tmp_path), at_least=60)


def assert_most_killed(by_kind: dict[str, list[bool]], survivors: list[str], mutants: list, at_least: int) -> None:
    """At least `at_least` mutants, and 90% of them killed: of the tenfold ones, and of all."""
    assert len(mutants) > at_least
    tenfold = [k for what, ks in by_kind.items() if "x10" in what for k in ks]
    summary = {what: f"{sum(ks)}/{len(ks)}" for what, ks in by_kind.items()}
    assert sum(tenfold) / len(tenfold) >= 0.9 and sum(map(sum, by_kind.values())) / len(mutants) >= 0.9, \
        f"killed {summary}; survivors: {survivors}"


def mutation_test(files: dict[str, str], env: str, tmp_path) -> tuple[dict[str, list[bool]], list[str], list]:
    """Each alert of the environment's rule files changed, one change at a time (`_mutants`), and
    run against its own tests: ({change: [killed, ...]}, the survivors, the mutants)."""
    by_rules: dict[str, list[dict]] = {}
    for path, text in sorted(files.items()):
        if "/prometheus/tests/" in path:
            tests = yaml.load(text)
            by_rules.setdefault(f"{env}/prometheus/rules/{tests['rule_files'][0].removeprefix('../rules/')}",
                                []).append(tests)
    jobs, mutants = [], []
    for rules_path, test_docs in by_rules.items():
        rules = yaml.load(files[rules_path])
        for gi, group in enumerate(rules["groups"]):
            for ri, rule in enumerate(group["rules"]):
                if "alert" not in rule:
                    continue
                docs = [{**doc, "tests": own} for doc in test_docs
                        if (own := [t for t in doc["tests"] if _tests_alert(t, rule)])]
                if not docs:
                    continue
                for what, mutated in _mutants(rule):
                    changed = yaml.load(files[rules_path])
                    changed["groups"][gi]["rules"][ri] = mutated
                    mutants.append((what, f"{rule['alert']}: {what}", len(jobs), len(docs)))
                    jobs += [(_dump(changed), doc, tmp_path, len(jobs) + k) for k, doc in enumerate(docs)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        failed = list(pool.map(_killed, jobs))
    by_kind: dict[str, list[bool]] = {}
    survivors = []
    for what, name, first, count in mutants:
        killed = any(failed[first:first + count])
        by_kind.setdefault(what, []).append(killed)
        if not killed:
            survivors.append(name)
    return by_kind, survivors, mutants


def _tests_alert(test: dict, rule: dict) -> bool:
    """Whether a promtool test group is one of this alert's: generated ones are named after it,
    the SLO stories check it."""
    if any(c.get("alertname") == rule["alert"] for c in test.get("alert_rule_test", [])):
        return True
    service = rule["labels"].get("service")
    return test["name"].startswith(f"{service}/{rule['alert']} (")


def _dump(doc) -> str:
    import io

    out = YAML()
    buf = io.StringIO()
    out.dump(doc, buf)
    return buf.getvalue()


# ----------------------------------------------------------------------------- the simulation is promtool's

STEP = 60
INPUTS = {
    'req_total{job="api", instance="a:80", code="200"}': [i * 30.0 for i in range(15)] + [5.0 + i * 90 for i in range(16)],
    'req_total{job="api", instance="a:80", code="500"}': [i * 3.0 for i in range(31)],
    'temp{job="api", instance="a:80", zone="x"}': [20, 21, 23, 22, 25, None, None, 30, 28, 27, 27, 29, 35, 31, 30,
                                                  30, 33, 36, 36, 34, 31, 29, 28, 28, 30, 32, 33, 35, 35, 36, 38],
    'temp{job="api", instance="b:80", zone="y"}': [10.0 + (i % 4) for i in range(31)],
    'limit{job="api", instance="a:80", owner="ops"}': [40.0] * 31,
    'limit{job="api", instance="b:80", owner="dev"}': [12.0] * 31,
}
for _le, _share in (("0.1", 0.5), ("0.5", 0.8), ("1", 0.95), ("+Inf", 1.0)):
    INPUTS[f'lat_bucket{{job="api", instance="a:80", le="{_le}"}}'] = [i * 20 * _share for i in range(31)]

EXPRESSIONS = [
    "rate(req_total[5m])", "increase(req_total[10m])", "irate(req_total[5m])", "resets(req_total[30m])",
    "sum by (code) (rate(req_total[5m]))",
    'sum(rate(req_total{code=~"5.."}[5m])) / sum(rate(req_total[5m]))',
    "delta(temp[10m])", "deriv(temp[10m])", "idelta(temp[5m])", "predict_linear(temp[10m], 600)",
    "avg_over_time(temp[10m])", "max_over_time(temp[10m])", "min_over_time(temp[10m])", "sum_over_time(temp[10m])",
    "count_over_time(temp[10m])", "stddev_over_time(temp[10m])", "quantile_over_time(0.9, temp[10m])",
    "changes(temp[10m])", "last_over_time(temp[10m])", "present_over_time(temp[10m])",
    "temp", "temp offset 5m", "rate(req_total[5m] offset 3m)",
    "avg(temp)", "max by (job) (temp)", "min without (zone) (temp)", "count(temp)", "stddev(temp)",
    "quantile(0.5, temp)", "topk(1, temp)", "bottomk(1, temp)", "group by (job) (temp)",
    "temp > 25", "temp > bool 25", "temp / on (instance) limit", "temp / on (instance) group_left (owner) limit",
    "temp and on (instance) limit > 20", "temp unless on (instance) limit > 20", "temp or vector(1)",
    'label_replace(temp, "host", "$1", "instance", "(.*):.*")', "clamp_max(temp, 25)", "clamp_min(temp, 25)",
    "abs(temp - 30)", "ceil(temp / 7)", "floor(temp / 7)", "round(temp / 7)", "sqrt(temp)", "ln(temp)",
    "time() - temp", "absent(nothing)", 'absent(nothing{job="api"})', "absent_over_time(nothing[5m])",
    "scalar(sum(limit)) * temp", "histogram_quantile(0.9, sum by (le) (rate(lat_bucket[5m])))",
    "histogram_quantile(0.5, rate(lat_bucket[5m]))", "-temp", "temp ^ 2 % 7",
]
TIMES = (300, 420, 780, 1200, 1800)


def _series() -> list[Series]:
    out = []
    for selector, values in INPUTS.items():
        name, rest = selector.split("{", 1)
        labels = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        out.append(Series({"__name__": name, **labels}, list(values)))
    return out


def _selector(labels: tuple) -> str:
    d = dict(labels)
    name = d.pop("__name__", "")
    return name + "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(d.items())) + "}"


@needs("promtool")
def test_the_simulation_computes_what_promtool_computes(tmp_path):
    """Every expression at every time: promtool is asked for nothing, and its report of what it
    got instead is compared with the simulation, to a billionth (the last bits of a sum differ)."""
    sim = Simulation(_series(), STEP)
    expected, checks = {}, []
    for expr in EXPRESSIONS:
        node = parse(expr)
        assert node is not None, expr
        text = expr if isinstance(sim.eval(node, 0), dict) else f"vector({expr})"
        for t in TIMES:
            got = sim.eval(node, t)
            got = got if isinstance(got, dict) else {(): got}
            expected[(text, fmt_duration(t))] = {_selector(k): v for k, v in got.items() if not math.isnan(v)}
            checks.append({"expr": text, "eval_time": fmt_duration(t), "exp_samples": []})
    inputs = [{"series": s, "values": notation(v)} for s, v in INPUTS.items()]
    (tmp_path / "rules.yml").write_text("groups: []\n", encoding="utf-8")
    doc = {"rule_files": ["rules.yml"], "evaluation_interval": "1m",
           "tests": [{"interval": "1m", "input_series": inputs, "promql_expr_test": checks}]}
    with (tmp_path / "t.yml").open("w", encoding="utf-8") as fh:
        YAML().dump(doc, fh)
    run = subprocess.run(["promtool", "test", "rules", "t.yml"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300)
    reported = _reported(run.stdout + run.stderr)
    wrong = []
    for key, want in expected.items():
        got = reported.get(key, {})
        if set(got) != set(want) or any(not math.isclose(got[k], want[k], rel_tol=1e-9, abs_tol=1e-12) for k in got):
            wrong.append(f"{key}: promtool {got}, simulation {want}")
    assert not wrong, "\n".join(wrong)
    assert set(reported) <= set(expected)


_REPORTED = re.compile(r'expr: "(?P<expr>(?:[^"\\]|\\.)*)", time: (?P<time>\S+),\s*exp: [^\n]*\n\s*got: (?P<got>[^\n]*)')
_SAMPLE = re.compile(r"(\{[^}]*\}) (\S+?)(?:, |$)")


def _reported(output: str) -> dict:
    """What promtool got, per (expr, time), from its report of failed checks."""
    out = {}
    for m in _REPORTED.finditer(output):
        expr = m.group("expr").encode().decode("unicode_escape")
        out[(expr, m.group("time"))] = {_canonical(labels): float(value)
                                        for labels, value in _SAMPLE.findall(m.group("got"))}
    return out


def _canonical(labels: str) -> str:
    pairs = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels))
    return _selector(tuple(sorted(pairs.items())))


def test_the_notation_expands_to_the_values():
    values = [0, 5, 10, 15, None, None, 7, 7, 7, 3.5, -1, -5.5]
    text = notation(values)
    assert text == "0+5x3 _x2 7+0x2 3.5-4.5x2"
    assert _expand(text) == values


def _expand(text: str) -> list:
    out: list = []
    for token in text.split():
        if token.startswith("_"):
            out += [None] * (int(token[2:]) if "x" in token else 1)
            continue
        m = re.fullmatch(r"(-?[\d.]+)([+-][\d.]+)x(\d+)", token)
        if m:
            a, b, n = float(m.group(1)), float(m.group(2)), int(m.group(3))
            out += [a + b * k for k in range(n + 1)]
        else:
            out.append(float(token))
    return out


@pytest.mark.parametrize("text, labels, value, expected", [
    ("{{ $labels.instance }} is down", {"instance": "a:80"}, 0.0, "a:80 is down"),
    ("{{ .Labels.job }}", {"job": "api"}, None, "api"),
    ("{{ $value | humanizePercentage }}", {}, 0.0612, "6.12%"),
    ("{{ $value | humanize }} req/s", {}, 15300.0, "15.3k req/s"),
    ("{{ humanize $value }}", {}, 0.0025, "2.5m"),
    ('{{ printf "%.1f" $value }} errors', {}, 12.34, "12.3 errors"),
    ('{{ $value | printf "%.2f" }}', {}, 3.14159, "3.14"),
    ("{{ $value }}", {}, 42.0, "42"),
    ("{{ $value }}", {}, 0.1, None),  # Go's float formatting: not rendered
    ("{{ $value }}", {}, -1e6, None),  # Go prints -1e+06
    ("{{ $labels.missing }}", {}, 1.0, None),
    ("{{ if gt $value 1.0 }}high{{ end }}", {}, 2.0, None),
    ("{{- $labels.x }}", {"x": "1"}, 1.0, None),
    ('{{ printf "%.1f" $value }}', {}, 0.25, None),  # on a rounding boundary
])
def test_annotations_are_rendered_only_where_obsgen_renders_them_exactly(text, labels, value, expected):
    assert render(text, labels, value) == expected


def test_explain_says_which_alerts_have_no_generated_test_and_why(tmp_path):
    import sys

    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "s.yaml").write_text(_spec("""
      - name: a
        team: ops
        scrape: {static: ["a:80"]}
        metrics: [{name: jobs_total, type: counter, help: jobs}]
        alerts:
          - {name: Sub, expr: 'max_over_time(rate(jobs_total[5m])[1h:1m]) > 1', severity: warning, summary: s}
          - {name: On, expr: 'up{job="a"} == 0', severity: warning, summary: s}
    """), encoding="utf-8")
    run = lambda *a: subprocess.run([sys.executable, "-m", "obsgen", *a], cwd=tmp_path, capture_output=True,  # noqa: E731
                                    text=True, timeout=300)
    text = run("explain", "specs")
    assert text.returncode == 0, text.stderr
    assert "tests: 1 of 2 alerts have generated tests" in text.stdout
    assert "a/Sub (warning): no generated test, its expression uses a subquery: write one in its `tests:`" in text.stdout
    import json

    data = json.loads(run("explain", "specs", "--format", "json").stdout)
    assert {(t["alert"], t["generated"], t["not_generated"]) for t in data["tests"]} == {
        ("Sub", 0, "its expression uses a subquery"), ("On", 2, None)}
