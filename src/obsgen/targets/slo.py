"""SLO rules per service, and promtool unit tests that prove each SLO's alerts behave.

The tests feed the recorded SLI (bad and total events per second; for raw SLIs, the window
ratios) and check these stories: healthy traffic fires nothing, a full outage pages within the
time the budget maths says, and a slow burn opens a ticket without paging.
"""
from __future__ import annotations

import math

from obsgen.core.serialise import Artifact, to_yaml
from obsgen.resolve.model import Model
from obsgen.resolve.slo import (
    BASE_WINDOW,
    SLO,
    alert_rules,
    detection_seconds,
    fmt_duration,
    fmt_number,
    ratio_name,
    rule_groups,
)

TOTAL_RATE = 100.0  # events per second in the synthetic traffic
STEP = 60  # seconds between samples and evaluations in the tests that time an alert
COARSE = 300  # ... in those that span hours and check only whether an alert fires
LONG = 120  # steps of a minute above which such a story is told in steps of COARSE


def rules_path(service: str) -> str:
    return f"prometheus/rules/{service}.slo.rules.yml"


def tests_path(service: str, interval: str | None = None) -> str:
    return f"prometheus/tests/{service}.slo{'.' + interval if interval else ''}.test.yml"


class SLOTarget:
    name = "slo"

    def generate(self, model: Model) -> list[Artifact]:
        out = []
        by_service: dict[str, list[SLO]] = {}
        for s in model.slos:
            by_service.setdefault(s.service.name, []).append(s)
        for service, slos in sorted(by_service.items()):
            out.append(Artifact(rules_path(service), to_yaml({"groups": rule_groups(slos)}, model.header())))
            for path, doc in test_files(service, slos).items():
                out.append(Artifact(path, to_yaml(doc, model.header())))
        return out


def test_files(service: str, slos: list[SLO]) -> dict[str, dict]:
    """{path: test document}: the stories that time an alert to the minute in one file, evaluated
    every minute; those that span hours (and check only whether an alert fires) in another,
    evaluated every five minutes, which makes them 25 times cheaper for promtool."""
    by_step: dict[str, list[dict]] = {}
    for t in (t for s in slos for t in slo_tests(s)):
        by_step.setdefault(t["interval"], []).append(t)
    out = {}
    for interval, tests in sorted(by_step.items(), key=lambda kv: kv[0] != fmt_duration(STEP)):
        path = tests_path(service, None if interval == fmt_duration(STEP) else interval)
        out[path] = {"rule_files": [f"../rules/{service}.slo.rules.yml"], "evaluation_interval": interval,
                     "tests": tests}
    return out


def _series(slo: SLO, segments: list[tuple[float, int]]) -> list[dict]:
    """Input series for a scenario: (error ratio, steps) segments, at TOTAL_RATE events/s."""
    labels = ",".join(f'{k}="{v}"' for k, v in slo.labels().items())

    def values(fn) -> str:
        return " ".join(f"{fmt_number(fn(ratio))}+0x{minutes}" for ratio, minutes in segments)

    if slo.spec.sli.kind == "raw":
        # Raw SLIs record each window straight from the user's query: feed every window's ratio
        # (except the period, which obsgen derives from the 5m ratio itself).
        windows = [w for w in slo.record_windows() if w == BASE_WINDOW or w != slo.period]
        return [{"series": f"{ratio_name(w)}{{{labels}}}", "values": values(lambda r: r)} for w in windows]
    return [{"series": f"slo:sli_bad:rate5m{{{labels}}}", "values": values(lambda r: r * TOTAL_RATE)},
            {"series": f"slo:sli_total:rate5m{{{labels}}}", "values": values(lambda r: TOTAL_RATE)}]


def _expected(rule: dict) -> dict:
    return {"exp_labels": {**rule["labels"], "alertname": rule["alert"]}, "exp_annotations": rule["annotations"]}


def _story(slo: SLO, title: str, segments: list[tuple[float, int]], checks: list[dict], step: int = STEP) -> dict:
    return {"name": f"{slo.service.name}/{slo.spec.name}: {title}", "interval": fmt_duration(step),
            "input_series": _series(slo, segments), "alert_rule_test": checks}


def _check(at: int, rule: dict, fires: bool, step: int = STEP) -> dict:
    return {"eval_time": fmt_duration(at * step), "alertname": rule["alert"],
            "exp_alerts": [_expected(rule)] if fires else []}


def slo_tests(slo: SLO) -> list[dict]:
    """The stories each SLO's alerts must tell; each is a promtool test case."""
    rules = alert_rules(slo)
    by_tier = {r["labels"]["slo_tier"]: r for r in rules}
    page, ticket = by_tier.get("page"), by_tier.get("ticket")
    if not rules:
        return []
    b = slo.budget
    healthy = 0.1 * b  # a tenth of the sustainable error rate
    minutes = lambda seconds: math.ceil(seconds / STEP)  # noqa: E731

    def spread(seconds: float, fine_steps: int) -> int:
        """The step for a story whose timing is not checked: a minute, or five where it spans hours."""
        return COARSE if minutes(seconds) + fine_steps > LONG else STEP

    # Under constant traffic every window's ratio equals the traffic's once the short windows are
    # full (a long window averages over what data exists), so a few hours stand for days.
    longest_short = max(w.short for w in slo.windows)
    step = spread(longest_short, 30)
    settled = math.ceil(longest_short / step) + 30 * STEP // step
    raw = slo.spec.sli.kind == "raw"  # raw SLIs are fed window ratios: no story about time passing
    tests = [_story(slo, "healthy traffic fires nothing", [(healthy, settled + 10 * STEP // step)],
                    [_check(t, r, False, step) for r in rules for t in (min(3600 // step, settled), settled)], step)]
    pages = sorted((w for w in slo.windows if w.tier == "page"), key=lambda w: w.factor)
    tickets = sorted((w for w in slo.windows if w.tier == "ticket"), key=lambda w: w.factor)
    fireable = [w for w in pages if w.factor * b < 1]  # a tier needing a ratio over 100% never fires
    if page and fireable:
        if not raw:
            # Under a 100% error ratio a window of W passes factor*budget after factor*budget*W;
            # the fastest tier decides, plus two evaluations of slack for sample alignment.
            need = minutes(detection_seconds(slo, "page")) + 2
            # Healthy first, long enough for the short windows: a longer healthy past only
            # lowers the long windows, which the fastest tier's detection does not wait for.
            base = minutes(max(w.short for w in pages)) + 5
            tests.append(_story(slo, f"a full outage pages within {need} minutes",
                                [(healthy, base), (1.0, need + 10)],
                                [_check(base, page, False), _check(base + need, page, True)]))
            # After the outage, the page stops once every page tier's short window has passed it,
            # long before the long windows forget it: that is what the short windows are for.
            outage, after = need + 10, minutes(max(w.short for w in pages)) + 2
            still_burning = [w for w in fireable if min(outage, max(0, minutes(w.long) - after)) * STEP
                             > w.factor * b * w.long]
            if still_burning:
                # Back to half the slowest page tier's burn rate, not to healthy: each tier's short
                # window must fall below its own threshold, not merely below a tenth of it.
                back = max(healthy, 0.5 * pages[0].factor * b)
                tests.append(_story(slo, f"the page stops within {after} minutes of the outage's end, at half "
                                         f"the slowest page burn rate",
                                    [(healthy, base), (1.0, outage), (back, after + 5)],
                                    [_check(base + need, page, True), _check(base + outage + after, page, False)]))
            fast = max(pages, key=lambda w: w.factor)
            if fast is not pages[0] and 1.2 * fast.factor * b < 1:
                # A burst just over the fastest tier's burn rate, as long as its long window, after a
                # healthy stretch as long as every page window: only the fastest tier can see it.
                longest = max(w.long for w in pages)
                step = spread(longest + fast.long, 5)
                burst, lead = math.ceil(fast.long / step), math.ceil(longest / step)
                tests.append(_story(slo, f"a {fmt_duration(fast.long)} burst over burn rate "
                                         f"{fmt_number(round(fast.factor, 3))} pages",
                                    [(healthy, lead), (1.2 * fast.factor * b, burst + 1)],
                                    [_check(lead + burst, page, True, step)], step))
        slow = pages[0]
        at = minutes(max(w.short for w in pages)) + 5
        for scale, fires in ((0.8, False), (1.25, True)):
            if scale * slow.factor * b < 1:
                tests.append(_story(slo, f"a steady burn at {scale:g}x the page threshold "
                                         f"({fmt_number(round(scale * slow.factor, 3))}) "
                                         f"{'pages' if fires else 'does not page'}",
                                    [(scale * slow.factor * b, at + 5)], [_check(at, page, fires)]))
    if ticket and tickets:
        slow = tickets[0]
        step = spread(max(w.short for w in tickets), 5)
        at = math.ceil(max(w.short for w in tickets) / step) + 5 * STEP // step + 1
        faster = min(w.factor for w in slo.windows if w != slow)
        for scale, fires in ((0.8, False), (1.25, True)):
            burn = scale * slow.factor
            if burn * b >= 1 or (fires and burn >= faster):
                continue
            checks = [_check(at, ticket, fires, step)]
            if page and fires:
                checks.append(_check(at, page, False, step))
            tests.append(_story(slo, f"a slow burn at {scale:g}x the ticket threshold "
                                     f"({fmt_number(round(burn, 3))}) "
                                     f"{'opens a ticket and does not page' if fires else 'stays quiet'}",
                                [(burn * b, at + 2)], checks, step))
    budget = sorted((r for r in rules if r["labels"]["slo_tier"] == "budget"),
                    key=lambda r: -float(r["expr"].rsplit("<=", 1)[1]))
    if budget and b < 1:
        # Steady traffic: the period's error ratio is the traffic's after a few minutes, so the
        # share of the budget spent is the ratio over the budget. Each alert fires on its side.
        at = 10
        for spent in (0.4, 0.7, 0.95):
            checks = [_check(at, r, 1 - spent <= float(r["expr"].rsplit("<=", 1)[1])) for r in budget]
            firing = [r["alert"] for r, c in zip(budget, checks) if c["exp_alerts"]]
            verdict = f"{' and '.join(firing)} fire{'s' if len(firing) == 1 else ''}" if firing else "no budget alert fires"
            tests.append(_story(slo, f"{spent:.0%} of the budget spent: {verdict}",
                                [(spent * b, at + 5)], checks))
    return tests
