"""promtool unit tests for the tests written in the spec, next to the alerts and recording rules they
prove: one test file per rule file (`prometheus/tests/<owner>.rules.test.yml`, loading
`../rules/<owner>.rules.yml`), one promtool test group per case.

An alert case checks the ALERTS series promtool records for the rule (picked by its name and its
own labels, so that several rules of one name are told apart): firing at `at`, or not. A case that
gives `labels` checks the firing alert's whole label set; one that gives `annotations` also checks
the rendered annotations (promtool's alert_rule_test), those without a template taken from the rule.
A recording case checks the exact series the rule records at `at`.

Each group is named `<service>/<rule> #<n>: <what>`, which `obsgen test` reads back from promtool's
report to say which case failed."""
from __future__ import annotations

import json
from dataclasses import dataclass

from obsgen.resolve.model import Alert, Model
from obsgen.spec import AlertTestSpec, RecordingRuleSpec, ServiceSpec

CASE_TAG = "# obsgen case "  # a PromQL comment ending each check's query: which case it belongs to


def tests_path(owner: str) -> str:
    return f"prometheus/tests/{owner}.rules.test.yml"


def _literal(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _selector(name: str, labels: dict[str, str]) -> str:
    return name + "{" + ", ".join(f"{k}={_literal(v)}" for k, v in sorted(labels.items())) + "}"


@dataclass(frozen=True)
class Case:
    """One written test: where it is (service, rule, severity, index) and its promtool group."""

    service: str
    rule: str  # alert name or recorded series name
    kind: str  # alert | record
    severity: str | None
    index: int  # among the rule's tests
    group: dict

    @property
    def name(self) -> str:
        return self.group["name"]


def case_name(service: str, rule: str, severity: str | None, index: int, what: str) -> str:
    return f"{service}/{rule}{f' ({severity})' if severity else ''} #{index + 1}: {what}"


def _inputs(t) -> list[dict]:
    return [{"series": sel, "values": values} for sel, values in t.series.items()]


def alert_case(alert: Alert, index: int, t: AlertTestSpec) -> Case:
    own = {"alertname": alert.name, **alert.sent_labels}
    what = t.name or f"{'fires' if t.fires else 'quiet'} at {t.at}"
    name = case_name(alert.service, alert.name, alert.spec.severity, index, what)
    firing = _selector("ALERTS", {**own, "alertstate": "firing"})
    group: dict = {"name": name, "interval": t.interval, "input_series": _inputs(t)}
    if not t.fires:
        group["promql_expr_test"] = [{"expr": firing, "eval_time": t.at, "exp_samples": []}]
    elif t.labels is None:
        group["promql_expr_test"] = [{"expr": f"count({firing}) > bool 0", "eval_time": t.at,
                                      "exp_samples": [{"labels": "{}", "value": 1}]}]
    else:
        labels = {**own, **t.labels}
        group["promql_expr_test"] = [{"expr": firing, "eval_time": t.at,
                                      "exp_samples": [{"labels": _selector("ALERTS", {**labels, "alertstate": "firing"}),
                                                       "value": 1}]}]
        if t.annotations is not None:
            static = {k: v for k, v in alert.annotations.items() if "{{" not in v}
            exp_labels = {k: v for k, v in labels.items() if k != "alertname"}
            group["alert_rule_test"] = [{"eval_time": t.at, "alertname": alert.name, "exp_alerts": [
                {"exp_labels": exp_labels, "exp_annotations": {**static, **t.annotations}}]}]
    return Case(alert.service, alert.name, "alert", alert.spec.severity, index, group)


def record_cases(service: str, rule: RecordingRuleSpec) -> list[Case]:
    out = []
    for index, t in enumerate(rule.tests):
        what = t.name or f"records {len(t.expect)} series at {t.at}"
        name = case_name(service, rule.record, None, index, what)
        group = {"name": name, "interval": t.interval, "input_series": _inputs(t),
                 "promql_expr_test": [{"expr": rule.record, "eval_time": t.at,
                                       "exp_samples": [{"labels": sel, "value": v} for sel, v in t.expect.items()]}]}
        out.append(Case(service, rule.record, "record", None, index, group))
    return out


def cases_of(model: Model, services: list[ServiceSpec]) -> list[Case]:
    names = {s.name for s in services}
    out: list[Case] = []
    for s in services:
        for rule in model.recording_rules(s):
            out += record_cases(s.name, rule)
    for a in model.alerts:
        if a.service in names:
            out += [alert_case(a, k, t) for k, t in enumerate(a.spec.tests)]
    return out


def test_files(model: Model, owners: dict[str, list[ServiceSpec]]) -> dict[str, tuple[dict, list[Case]]]:
    """{test file path: (its document, its cases)} for the rule files that have written tests."""
    out = {}
    for owner, services in owners.items():
        cases = cases_of(model, services)
        for n, case in enumerate(cases):
            # promtool names the failing query, not its test group: a comment in it says which case
            for check in case.group.get("promql_expr_test", []):
                check["expr"] = f"{check['expr']}\n{CASE_TAG}{n}"
        if cases:
            doc = {"rule_files": [f"../rules/{owner}.rules.yml"],
                   "evaluation_interval": model.spec.global_.evaluation_interval,
                   "tests": [c.group for c in cases]}
            out[tests_path(owner)] = (doc, cases)
    return out


__all__ = ["Case", "case_name", "test_files", "tests_path"]
