"""`obsgen test`: every promtool unit test of a build, run, and reported per case.

The build's rule files and tests (the SLO stories of targets/slo.py, the cases written next to
alerts and recording rules of targets/ruletests.py) are written to a temporary folder, each test
file is run with `promtool test rules` (two at a time), and promtool's report is read back: a failed
query names its case by the comment each check ends with, a failed alert check by its group's name.
A test file promtool cannot load fails all its cases with that reason."""
from __future__ import annotations

import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from obsgen.core.diagnostics import Pos
from obsgen.features.verify import _run, too_new_for_promtool
from obsgen.load.yaml import YMap, YSeq
from obsgen.resolve.model import Model
from obsgen.targets.rules import rule_file_owners
from obsgen.targets.ruletests import CASE_TAG, test_files
from obsgen.targets.slo import slo_tests
from obsgen.targets.slo import test_files as slo_test_files

_NAME = re.compile(r"^\s*name: (.*),\s*$", re.M)
_TAGGED = re.compile(re.escape(CASE_TAG) + r"(\d+)")
_RULE_FILE = re.compile(r"^- \.\./rules/(\S+)$", re.M)
_START = re.compile(r"^ {4}(expr|name|alertname):")  # where promtool starts reporting one failure


@dataclass
class CaseResult:
    env: str
    file: str  # the test file, below the environment's folder
    name: str  # the case (promtool test group) name
    service: str
    rule: str
    kind: str  # alert | record | slo
    ok: bool = True
    detail: str = ""
    pos: Pos | None = None  # the case's place in the spec: where it is written, or its alert's
    generated: bool = False  # made by obsgen (the SLO stories, the generated alert tests)
    run: bool = True  # False: promtool could not run it (the detail says why); not a failure


@dataclass
class Report:
    results: list[CaseResult] = field(default_factory=list)

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not r.ok]


def _failures(output: str) -> tuple[set[int], set[str], list[str]]:
    """From promtool's report: the tagged cases whose query failed, the named groups that failed,
    and the report cut into one block per failure."""
    blocks: list[str] = []
    after_name = False
    for line in output.splitlines():
        starts = _START.match(line)
        if starts and not (after_name and starts.group(1) == "alertname") or not blocks:
            blocks.append(line)
        else:
            blocks[-1] += "\n" + line
        after_name = bool(starts) and starts.group(1) == "name"
    blocks = [b for b in blocks if b.strip() and not b.startswith("Unit Testing")]
    return ({int(n) for n in _TAGGED.findall(output.replace("\\n", "\n"))}, set(_NAME.findall(output)), blocks)


def _detail(blocks: list[str], token: str) -> str:
    return "\n".join(b.strip("\n") for b in blocks
                     if re.search(re.escape(token) + r"(?!\d)", b.replace("\\n", "\n")))


def _positions(trees: list[YMap]) -> dict[tuple, Pos]:
    """(service, rule, severity or None, index) -> the position of that written test in the spec."""
    out: dict[tuple, Pos] = {}
    for tree in trees:
        services = tree.get("services")
        for s in services if isinstance(services, YSeq) else []:
            if not isinstance(s, YMap):
                continue
            for key, name_key in (("alerts", "name"), ("recording_rules", "record")):
                rules = s.get(key)
                for r in rules if isinstance(rules, YSeq) else []:
                    tests = r.get("tests") if isinstance(r, YMap) else None
                    if not isinstance(tests, YSeq):
                        continue
                    severity = r.get("severity") if key == "alerts" else None
                    for k, pos in enumerate(tests.item_pos):
                        out.setdefault((s.get("name"), r.get(name_key), severity, k), pos)
            alerts = s.get("alerts")
            for r, pos in zip(alerts, alerts.item_pos) if isinstance(alerts, YSeq) else ():
                if isinstance(r, YMap):  # a generated case's place: its alert's
                    out.setdefault((s.get("name"), r.get("name"), r.get("severity"), None), pos)
    return out


def _cases(model: Model, positions: dict[tuple, Pos]) -> dict[str, list[CaseResult]]:
    """{test file: its cases} for one environment."""
    out: dict[str, list[CaseResult]] = {}
    for path, (_, cases) in test_files(model, rule_file_owners(model)).items():
        out[path] = [CaseResult(model.env, path, c.name, c.service, c.rule, c.kind, generated=c.generated,
                                pos=positions.get((c.service, c.rule, c.severity, None if c.generated else c.index)))
                     for c in cases]
    by_service: dict[str, list] = {}
    for slo in model.slos:
        by_service.setdefault(slo.service.name, []).append(slo)
    for service, slos in by_service.items():
        names = {t["name"]: slo.spec.name for slo in slos for t in slo_tests(slo)}
        for path, doc in slo_test_files(service, slos).items():
            out[path] = [CaseResult(model.env, path, t["name"], service, names[t["name"]], "slo", generated=True)
                         for t in doc["tests"]]
    return out


def run_tests(models: list[Model], files: dict[str, str], trees: list[YMap], promtool: str) -> Report:
    """Run every test file of the build `files` ({env/path: text}) and report each case."""
    positions = _positions(trees)
    report = Report()
    with tempfile.TemporaryDirectory(prefix="obsgen-test-") as tmp:
        root = Path(tmp)
        for path, text in files.items():
            if "/prometheus/rules/" in path or "/prometheus/tests/" in path:
                target = root / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        jobs = [(model.env, path, cases) for model in models for path, cases in _cases(model, positions).items()]
        # The same tests and rule files in several environments are run once.
        keys = [_inputs_key(files, env, path) for env, path, _ in jobs]
        first = {}
        for key, (env, path, _) in zip(keys, jobs):
            first.setdefault(key, root / env / path)

        def promtool_test(test: Path):
            return _run([promtool, "test", "rules", test.name], cwd=test.parent)

        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = dict(zip(first, pool.map(promtool_test, first.values())))

        for (_, _, cases), key in zip(jobs, keys):
            report.results += _read_outcome(cases, *outcomes[key])
    return report


def _read_outcome(cases: list[CaseResult], ok: bool, output: str) -> list[CaseResult]:
    """Each case passed or failed, from promtool's report of its file."""
    if ok:
        return cases
    newer = too_new_for_promtool(ok, output)
    if newer:
        for c in cases:
            c.ok, c.run, c.detail = True, False, newer
        return cases
    tagged, named, blocks = _failures(output)
    if not tagged and not named:  # promtool could not run the file at all
        for c in cases:
            c.ok, c.detail = False, output.strip()
        return cases
    for n, c in enumerate(cases):
        if n in tagged or c.name in named:
            c.ok = False
            c.detail = "\n".join(x for x in (_detail(blocks, f"{CASE_TAG}{n}") if n in tagged else "",
                                             _detail(blocks, f"name: {c.name},")) if x)
    return cases


def _inputs_key(files: dict[str, str], env: str, path: str) -> str:
    """A test file and the rule files it loads (by obsgen's layout: `../rules/<owner>.*`)."""
    text = files.get(f"{env}/{path}", "")
    rules = sorted(f"{env}/prometheus/rules/{name}" for name in _RULE_FILE.findall(text))
    return text + "\0" + "\0".join(files.get(k, "") for k in rules)


# ----------------------------------------------------------------------------- what proves each alert

@dataclass(frozen=True)
class Proof:
    """What proves one alert: generated cases, written ones, and why none is generated."""

    service: str
    alert: str
    severity: str
    generated: int
    written: int
    why_not: str | None  # set when obsgen generates no test for it

    def to_dict(self) -> dict:
        return {"service": self.service, "alert": self.alert, "severity": self.severity,
                "generated": self.generated, "written": self.written, "not_generated": self.why_not}


def proofs(model: Model) -> list[Proof]:
    """Per alert of the model (the spec's, the derived ones, the SLOs'), what proves it."""
    from obsgen.resolve.slo import alert_rules
    from obsgen.targets.ruletests import GeneratedTests

    out = []
    for _, services in rule_file_owners(model).items():
        generated = GeneratedTests(model, services)
        for a in model.alerts:
            if a.service in generated.services:
                cases = generated.cases(a)
                out.append(Proof(a.service, a.name, a.spec.severity, len(cases), len(a.spec.tests),
                                 generated.reasons.get((a.service, a.name, a.spec.severity))))
    for slo in model.slos:
        stories = slo_tests(slo)
        for rule in alert_rules(slo):
            n = sum(any(c["alertname"] == rule["alert"] for c in t["alert_rule_test"]) for t in stories)
            out.append(Proof(slo.service.name, rule["alert"], rule["labels"]["severity"], n, 0,
                             None if n else "its SLO's stories do not reach it"))
    return sorted(out, key=lambda p: (p.service, p.alert, p.severity))


# ----------------------------------------------------------------------------- reports

def text_report(report: Report) -> str:
    lines = []
    for r in report.results:
        where = f"  ({r.pos})" if r.pos else ""
        lines.append(f"{'ok  ' if r.ok and r.run else 'skip' if r.ok else 'FAIL'} [{r.env}] {r.name}{where}")
        if not r.ok or not r.run:
            lines += [f"       {line}" for line in r.detail.splitlines()[:12]]
    passed = sum(r.ok and r.run for r in report.results)
    skipped = sum(not r.run for r in report.results)
    lines.append((f"{passed} of {len(report.results)} test(s) passed" + (f", {skipped} not run" if skipped else ""))
                 if report.results else "no tests in the build")
    return "\n".join(lines) + "\n"


def json_report(report: Report) -> list[dict]:
    return [{"environment": r.env, "file": r.file, "name": r.name, "service": r.service, "rule": r.rule,
             "kind": r.kind, "generated": r.generated, "ok": r.ok, "run": r.run, "detail": r.detail,
             "position": str(r.pos) if r.pos else None} for r in report.results]


def junit_report(report: Report) -> str:
    suites: dict[tuple[str, str], list[CaseResult]] = {}
    for r in report.results:
        suites.setdefault((r.env, r.file), []).append(r)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites name="obsgen test" tests="{len(report.results)}" failures="{len(report.failed)}">']
    for (env, file), cases in suites.items():
        failures = sum(not c.ok for c in cases)
        out.append(f'  <testsuite name={quoteattr(f"{env}/{file}")} tests="{len(cases)}" failures="{failures}">')
        for c in cases:
            attrs = f'classname={quoteattr(f"{env}.{c.service}.{c.rule}")} name={quoteattr(c.name)}'
            if c.pos:
                attrs += f" file={quoteattr(c.pos.file)} line=\"{c.pos.line}\""
            if c.ok and not c.run:
                out.append(f"    <testcase {attrs}><skipped message={quoteattr(c.detail)}/></testcase>")
            elif c.ok:
                out.append(f"    <testcase {attrs}/>")
            else:
                message = c.detail.splitlines()[0] if c.detail else "failed"
                out.append(f"    <testcase {attrs}><failure message={quoteattr(message)}>{escape(c.detail)}"
                           f"</failure></testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


__all__ = ["CaseResult", "Proof", "Report", "proofs", "json_report", "junit_report", "run_tests", "text_report"]
