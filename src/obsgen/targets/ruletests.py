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
import re
from dataclasses import dataclass

from obsgen.core import naming
from obsgen.resolve.model import Alert, Model
from obsgen.resolve.slo import fmt_duration
from obsgen.spec import AlertTestSpec, RecordingRuleSpec, ServiceSpec
from obsgen.targets.alerttests import TOO_LONG, Beyond, Context, Plan, Synthesis, recorded_names

COARSER = (60.0, 300.0, 900.0)  # evaluation intervals for generated tests whose windows are long

CASE_TAG = "# obsgen case "  # a PromQL comment ending each check's query: which case it belongs to


def tests_path(owner: str, interval: float | None = None) -> str:
    every = "" if interval is None else f".{fmt_duration(int(interval))}"
    return f"prometheus/tests/{owner}.rules{every}.test.yml"


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
    index: int  # among the rule's tests; generated cases count on after the written ones
    group: dict
    generated: bool = False
    eval_interval: float | None = None  # a coarser evaluation interval than the file's (generated, long windows)
    label: str | None = None  # its name, when it shares its group with another case
    checks: tuple[int, ...] | None = None  # its checks among the group's queries; None: all

    @property
    def name(self) -> str:
        return self.label or self.group["name"]


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


def cases_of(model: Model, services: list[ServiceSpec], generated: GeneratedTests | None = None) -> list[Case]:
    names = {s.name for s in services}
    out: list[Case] = []
    for s in services:
        for rule in model.recording_rules(s):
            out += record_cases(s.name, rule)
    for a in model.alerts:
        if a.service in names:
            out += [alert_case(a, k, t) for k, t in enumerate(a.spec.tests)]
            if generated is not None:
                out += generated.cases(a)
    return out


def test_files(model: Model, owners: dict[str, list[ServiceSpec]],
               generate: bool = True) -> dict[str, tuple[dict, list[Case]]]:
    """{test file path: (its document, its cases)} for the rule files that have tests: those
    written in the spec and those generated. Generated tests whose windows need a coarser
    evaluation interval than the spec's go to a file of their own with it."""
    out = {}
    for owner, services in owners.items():
        generated = GeneratedTests(model, services) if generate else None
        cases = cases_of(model, services, generated)
        files: dict[float | None, list[Case]] = {}
        for case in cases:
            files.setdefault(case.eval_interval, []).append(case)
        for interval, owned in sorted(files.items(), key=lambda kv: kv[0] or 0):
            for n, case in enumerate(owned):
                # promtool names the failing query, not its test group: a comment in it says which case
                for k, check in enumerate(case.group.get("promql_expr_test", [])):
                    if case.checks is None or k in case.checks:
                        check["expr"] = f"{check['expr']}\n{CASE_TAG}{n}"
            groups = list({id(c.group): c.group for c in owned}.values())
            doc = {"rule_files": [f"../rules/{owner}.rules.yml"],
                   "evaluation_interval": (model.spec.global_.evaluation_interval if interval is None
                                           else fmt_duration(int(interval))),
                   "tests": groups}
            out[tests_path(owner, interval)] = (doc, owned)
    return out


class GeneratedTests:
    """The generated cases of the alerts of one rule file (targets/alerttests.py), and for those
    beyond synthesis, why."""

    def __init__(self, model: Model, services: list[ServiceSpec]):
        from obsgen.core.promql_tree import parse

        self.model = model
        g = model.spec.global_
        self.default_eval = naming.duration_seconds(g.evaluation_interval)
        catalog = _kinds(model)
        records: dict[str, list] = {}
        self.record_texts: dict[str, list] = {}
        for s in services:
            for r in model.recording_rules(s):
                node = parse(r.expr)
                if node is not None:
                    records.setdefault(r.record, []).append((node, dict(r.labels)))
                    self.record_texts.setdefault(r.record, []).append((r.expr, dict(r.labels)))
        buckets = {f"{m.name}_bucket": tuple(m.buckets) for s in model.services for m in model.metrics(s)
                   if m.type == "histogram" and m.buckets}
        self.services = {s.name: s for s in services}
        self.shared = (catalog, records, buckets)
        self.same_name = {}
        self.twins: dict[tuple, int] = {}  # rules of one name whose alerts carry the same labels
        for a in model.alerts:
            if a.service in self.services:
                self.same_name[(a.service, a.name)] = self.same_name.get((a.service, a.name), 0) + 1
                twin = _twin(a)
                self.twins[twin] = self.twins.get(twin, 0) + 1
        self.reasons: dict[tuple[str, str, str], str] = {}

    def _context(self, service: ServiceSpec):
        catalog, records, buckets = self.shared

        job = (service.scrape.job or service.name) if service.scrape is not None else service.name
        offset = service.rule_group.query_offset
        return Context(catalog, buckets, records, self.default_eval, {"job": job, "instance": f"{service.name}-1"},
                       self.record_texts, naming.duration_seconds(offset) if offset else 0.0)

    def cases(self, alert: Alert) -> list[Case]:
        service = self.services[alert.service]
        key = (alert.service, alert.name, alert.spec.severity)
        if not alert.spec.generate_tests:
            self.reasons[key] = "switched off (generate_tests: false)"
            return []
        if any(re.search(r"\$value|\.Value\b", v) for v in alert.sent_labels.values() if "{{" in v):
            # Prometheus makes a new alert whenever such a label's value changes: `for` starts again
            self.reasons[key] = "a label template reads $value, so the alert is a new one at each new value"
            return []
        if self.twins.get(_twin(alert), 1) > 1:
            self.reasons[key] = "another rule of its name has the same labels, so their alerts cannot be told apart"
            return []
        own = service.rule_group.interval
        intervals = [naming.duration_seconds(own)] if own else [self.default_eval] + [
            x for x in COARSER if x > self.default_eval]
        ctx = self._context(service)
        for_s = naming.duration_seconds(alert.spec.for_)
        keep_s = naming.duration_seconds(alert.spec.keep_firing_for) if alert.spec.keep_firing_for else 0.0
        plan: Plan | str = "no plan"
        used = None
        for eval_s in intervals:
            plan = _plan(alert.spec.expr, for_s, keep_s, ctx, eval_s)
            if isinstance(plan, Plan):
                used = eval_s
                break
            if not plan.startswith(TOO_LONG):
                break
        if not isinstance(plan, Plan):
            self.reasons[key] = plan
            return []
        coarse = None if own or used == self.default_eval else used
        return generated_cases(alert, plan, len(alert.spec.tests), coarse,
                               self.same_name.get((alert.service, alert.name), 1) == 1)


_PLANS: dict[tuple, Plan | str] = {}
_PLACEHOLDER = "obsgen-value-{}"


def _plan(expr: str, for_s: float, keep_s: float, ctx: Context, eval_s: float) -> Plan | str:
    """The alert's plan, shared by alerts that differ only in the values their selectors pin
    (a job, a service): those values are stood in for while the plan is made, then put back."""
    from obsgen.core.promql_tree import parse, selectors

    node = parse(expr)
    values: dict[str, str] = {}
    # what it reads from the rule file's own recording rules, and what those read
    recorded = sorted(recorded_names(node, ctx)) if node is not None else []
    texts = [expr] + [text for name in recorded for text, _ in ctx.record_texts[name]]
    nodes = [n for n in (parse(t) for t in texts) if n is not None]
    if node is not None and len(nodes) == len(texts):
        sels = [s for n in nodes for s in selectors(n)]
        equal = {(label, value) for s in sels for label, op, value in s.matchers if op == "="}
        other = {label for s in sels for label, op, _ in s.matchers if op != "="}
        if equal and not other & {label for label, _ in equal}:
            for n, value in enumerate(sorted({v for _, v in equal} | set(ctx.labels.values()))):
                values[value] = _PLACEHOLDER.format(n)
    stand_in = _stand_in(expr, values) if values else expr
    labels = {k: values.get(v, v) for k, v in ctx.labels.items()}
    stand_records = {name: [(_stand_in(text, values), {k: values.get(v, v) for k, v in lab.items()})
                            for text, lab in ctx.record_texts[name]] for name in recorded}
    read = sorted({s.name for n in nodes for s in selectors(n) if s.name})
    key = (stand_in, for_s, keep_s, eval_s, ctx.offset, tuple(sorted(labels.items())),
           tuple((n, ctx.kinds.get(n), ctx.buckets.get(n)) for n in read),
           tuple((name, tuple((t, tuple(sorted(lab.items()))) for t, lab in rules))
                 for name, rules in stand_records.items()))
    plan = _PLANS.get(key)
    if plan is None:
        records = {name: [(parse(t), lab) for t, lab in rules] for name, rules in stand_records.items()}
        records = {name: [(n, lab) for n, lab in rules if n is not None] for name, rules in records.items()}
        context = Context(ctx.kinds, ctx.buckets, records, eval_s, labels, stand_records, ctx.offset)
        try:
            first = Synthesis(stand_in, for_s, keep_s, context, eval_s)
            plan = first.plan()
            if not isinstance(plan, Plan):  # counters read as they are, fed as levels that may fall
                again = Synthesis(stand_in, for_s, keep_s, context, eval_s, levels=True)
                if [v.kind for v in again.vars] != [v.kind for v in first.vars]:
                    second = again.plan()
                    plan = second if isinstance(second, Plan) else plan
        except Beyond as e:
            plan = f"its expression uses {e}"
        except (ArithmeticError, TypeError, ValueError, KeyError, IndexError, RecursionError) as e:
            # A shape the planner trips on is left to a written test, never a failed build.
            plan = f"obsgen's test planner does not handle its shape ({type(e).__name__})"
        if len(_PLANS) > 4096:
            _PLANS.clear()
        _PLANS[key] = plan
    if not values or not isinstance(plan, Plan):
        return plan
    back = {stand: value for value, stand in values.items()}
    put = lambda d: {k: _put_text(v, back) for k, v in d.items()}  # noqa: E731 (a twin's `<value>-2` too)
    return Plan([(put(lab), v) for lab, v in plan.inputs], plan.interval, plan.checks,
                [(put(lab), v) for lab, v in plan.firing], _put_text(plan.how, back))


def _twin(alert: Alert) -> tuple:
    """What ALERTS tells an alert apart by: its name and its fixed labels (templated ones aside)."""
    return alert.name, tuple(sorted((k, v) for k, v in alert.sent_labels.items() if "{{" not in v))


def _put_text(text: str, back: dict[str, str]) -> str:
    """The text with each stand-in put back (the longest first: `obsgen-value-1` is part of
    `obsgen-value-12`)."""
    if not back:
        return text
    found = re.compile("|".join(re.escape(stand) for stand in sorted(back, key=len, reverse=True)))
    return found.sub(lambda m: back[m.group(0)], text)


_PINNED = re.compile(r"""(\b[A-Za-z_][A-Za-z0-9_]*\s*=\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")


def _stand_in(expr: str, values: dict[str, str]) -> str:
    """The expression with each pinned value (`label="value"`) replaced by its stand-in."""

    def swap(m: re.Match) -> str:
        raw = m.group(2)
        try:
            value = json.loads(raw) if raw.startswith('"') else raw[1:-1]
        except ValueError:
            return m.group(0)
        return m.group(1) + _literal(values[value]) if value in values else m.group(0)

    return _PINNED.sub(swap, expr)


def _kinds(model: Model) -> dict[str, str]:
    """{series name: counter | gauge | bucket | summary} as the spec's catalogs and the exporters'
    say; a name in none of them is judged by its suffix when the test is made."""
    from obsgen.core.exporters import catalogs

    out: dict[str, str] = {name: "gauge" for name in naming.PROMETHEUS_SCRAPE_SERIES}
    metrics = [(m.name, m.type) for s in model.services for m in model.metrics(s) if not m.inferred]  # a guess: the query says
    kinds = {s.scrape.exporter.kind for s in model.services if s.scrape is not None and s.scrape.exporter is not None}
    exporters = catalogs()
    metrics += [(m.name, m.type) for kind in sorted(kinds) if kind in exporters
                for m in exporters[kind].metrics.values()]
    for name, type_ in metrics:
        if type_ in ("histogram", "summary"):
            out[f"{name}_sum"] = out[f"{name}_count"] = "counter"
            out[f"{name}_bucket" if type_ == "histogram" else name] = "bucket" if type_ == "histogram" else "summary"
        elif type_ in ("counter", "gauge"):
            out[name] = type_
    if model.spec.logging is not None:
        out[model.spec.logging.error_metric] = "counter"
    return out


def generated_cases(alert: Alert, plan: Plan, index: int, coarse: float | None, alone: bool) -> list[Case]:
    from obsgen.targets.alerttemplates import render

    # Prometheus expands the rule's label and annotation templates with the series' labels and
    # value (not the rule's labels); an empty label is no label.
    static = {k: v for k, v in alert.sent_labels.items() if "{{" not in v}
    firing = _selector("ALERTS", {"alertname": alert.name, **static, "alertstate": "firing"})

    def expand(text: str, series: dict[str, str], values: list) -> str | None:
        texts = {render(text, series, v) for v in values}
        return texts.pop() if len(texts) == 1 else None

    alerts = []  # (labels, annotations) of each firing alert; None where obsgen cannot render them
    for series, values in plan.firing:
        series = {k: v for k, v in series.items() if k != "__name__"}
        labels: dict | None = dict(series)
        for key, text in alert.sent_labels.items():
            value = expand(text, series, values) if "{{" in text else text
            if value is None:
                labels = None
                break
            labels[key] = value
        annotations = {key: expand(text, series, values) for key, text in alert.annotations.items()}
        alerts.append(({k: v for k, v in labels.items() if v != ""} if labels is not None else None, annotations))
    exact = all(labels is not None for labels, _ in alerts)
    if exact:
        expr = firing
        samples = [{"labels": _selector("ALERTS", {**labels, "alertname": alert.name, "alertstate": "firing"}),
                    "value": 1} for labels, _ in alerts]
    else:  # a label template obsgen cannot render: how many fire, not their labels
        expr = f"count({firing})"
        samples = [{"labels": "{}", "value": len(alerts)}]
    interval = fmt_duration(int(plan.interval))

    def check(t: float, fires: bool) -> dict:
        return {"expr": firing if not fires else expr, "eval_time": fmt_duration(int(t)),
                "exp_samples": samples if fires else []}

    fire_at = next(t for t, f in plan.checks if f)
    fire = {"name": case_name(alert.service, alert.name, alert.spec.severity, index, f"fires: {plan.how}"),
            "interval": interval, "input_series": _input_series(plan.inputs),
            "promql_expr_test": [check(t, f) for t, f in plan.checks]}
    if alone and exact and all(None not in annotations.values() for _, annotations in alerts):
        fire["alert_rule_test"] = [{"eval_time": fmt_duration(int(fire_at)), "alertname": alert.name, "exp_alerts": [
            {"exp_labels": {k: v for k, v in labels.items() if k != "alertname"}, "exp_annotations": annotations}
            for labels, annotations in alerts]}]
    # The quiet case is the fire case's first check: the healthy level held until every window
    # is full of it and the alert's `for` has passed, and no alert. One promtool group holds both.
    quiet_name = case_name(alert.service, alert.name, alert.spec.severity, index + 1,
                           f"quiet at the healthy level, {fmt_duration(int(plan.checks[0][0]))} in")
    severity = alert.spec.severity
    return [Case(alert.service, alert.name, "alert", severity, index, fire, True, coarse,
                 checks=tuple(range(1, len(plan.checks)))),
            Case(alert.service, alert.name, "alert", severity, index + 1, fire, True, coarse, quiet_name, (0,))]


def _input_series(inputs: list[tuple[dict[str, str], str]]) -> list[dict]:
    return [{"series": _selector(labels["__name__"], {k: v for k, v in labels.items() if k != "__name__"}),
             "values": values} for labels, values in inputs]


__all__ = ["Case", "GeneratedTests", "case_name", "test_files", "tests_path"]
