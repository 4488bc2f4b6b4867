"""SLOs: burn-rate windows and factors, recording rules, multi-window multi-burn-rate alerts.

The maths (Google SRE workbook, "Alerting on SLOs"): an SLO with objective O over period P has an
error budget B = 1 - O. Alerting when a fraction f of the budget is spent within a window W means
alerting when the error ratio over W exceeds factor * B, with factor = f * P / W (the burn rate).
The workbook's tiers for a 30-day period:

    page    2% of the budget in 1h  (checked over 1h and 5m)   -> 14.4
    page    5% of the budget in 6h  (6h and 30m)                -> 6
    ticket 10% of the budget in 1d  (1d and 2h)                 -> 3
    ticket 10% of the budget in 3d  (3d and 6h)                 -> 1

Factors are computed from the period, never tabled (28 days gives 13.44 / 5.6 / 2.8 / 0.933).

Short periods: below 28 days the workbook's windows stop making sense (over 24 h the 3 d window is
longer than the period, and a 1 h window puts the page factor below 1). There the windows are
scaled with the period (W * P / 30d), so the tiers keep the workbook's factors; no window goes
below 5 minutes, the resolution of the SLI's base rate, and where that floor applies the factor is
recomputed from the window actually used, so each tier still means "f of the budget in W".

Cheap long windows: the SLI is recorded once per evaluation as two rates over 5 minutes, bad
and total events per second. The error ratio over any window W is then
sum_over_time(bad[W]) / sum_over_time(total[W]), which reads one pre-aggregated series instead
of re-rating every raw counter over days.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from obsgen.core import naming
from obsgen.core.naming import fmt_duration
from obsgen.spec import DashboardSpec, PanelSpec, QuerySpec, ServiceSpec, SLOSpec, ThresholdStep

MONTH = 30 * 86400
WORKBOOK_MIN_PERIOD = 28 * 86400
BASE_WINDOW = 300  # seconds: the rate window of the recorded SLI, and the smallest alert window
WORKBOOK = (  # tier, fraction of the budget, long window, short window (seconds, for 30 days)
    ("page", 0.02, 3600, 300),
    ("page", 0.05, 6 * 3600, 1800),
    ("ticket", 0.10, 86400, 2 * 3600),
    ("ticket", 0.10, 3 * 86400, 6 * 3600),
)
BUDGET_ALERTS = ((0.5, "ticket"), (0.9, "page"))  # at the severity of that tier (by default warning, critical)


@dataclass(frozen=True)
class BurnWindow:
    tier: str  # page | ticket
    budget_fraction: float
    long: int  # seconds
    short: int
    factor: float


def detection_seconds(slo: "SLO", tier: str) -> float | None:
    """How long a full outage (every event bad) takes to make a tier's alert condition true: until
    the fastest of its windows that can fire holds factor x budget of bad events. explain adds it to
    the time to notify of the SLO's alerts, and the generated tests assert a page by then; None
    when no window of the tier can fire (its threshold is an error ratio over 100%)."""
    fireable = [w for w in slo.windows if w.tier == tier and w.factor * slo.budget < 1]
    return min(w.factor * slo.budget * w.long for w in fireable) if fireable else None


def burn_windows(period: str) -> list[BurnWindow]:
    p = int(naming.duration_seconds(period))
    out = []
    for tier, fraction, long, short in WORKBOOK:
        if p < WORKBOOK_MIN_PERIOD:
            long, short = (max(BASE_WINDOW, round(w * p / MONTH)) for w in (long, short))
        out.append(BurnWindow(tier, fraction, long, short, fraction * p / long))
    return out


def fmt_number(x: float) -> str:
    """Shortest exact-enough decimal for PromQL: no float noise such as 0.0009999999999998899."""
    text = f"{x:.12g}"
    return text if "e" not in text else f"{x:.15f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class SLO:
    """An SLO with what its rules need: names, labels, windows."""

    service: ServiceSpec
    spec: SLOSpec
    team: str

    @property
    def budget(self) -> float:
        return round(1 - self.spec.objective / 100, 12)

    @property
    def windows(self) -> list[BurnWindow]:
        return burn_windows(self.spec.period)

    @property
    def period(self) -> int:
        return int(naming.duration_seconds(self.spec.period))

    @property
    def alert_base(self) -> str:
        return self.spec.alerting.name or f"{naming.camel(self.service.name)}{naming.camel(self.spec.name)}"

    def record_windows(self) -> list[int]:
        ws = {BASE_WINDOW, self.period}
        for w in self.windows:
            ws.update((w.long, w.short))
        return sorted(ws)

    @property
    def ids(self) -> dict[str, str]:
        return {"service": self.service.name, "slo": self.spec.name}

    def selector(self) -> str:
        return ", ".join(f'{k}="{v}"' for k, v in self.ids.items())

    def labels(self) -> dict[str, str]:
        return dict(sorted({**self.spec.labels, **self.ids}.items()))


def ratio_name(seconds: int) -> str:
    return f"slo:sli_error:ratio_rate{fmt_duration(seconds)}"


def _with_matchers(selector: str, extra: str | None) -> str:
    if not extra:
        return selector
    if selector.rstrip().endswith("}"):
        body = selector.rstrip()[:-1].rstrip()
        sep = "" if body.endswith("{") else ", "
        return f"{body}{sep}{extra}}}"
    return f"{selector}{{{extra}}}"


def le_values(threshold: float) -> list[str]:
    """Spellings an `le` label may have for this bound: Go clients write 0.5 and 1, Python and
    Prometheus 3's normalisation 1.0; hand-written bucket lists sometimes 0.50."""
    forms = {repr(float(threshold)), f"{threshold:g}", fmt_number(threshold)}
    if float(threshold).is_integer():
        forms.add(str(int(threshold)))
    forms.update(f"{threshold:.{d}f}" for d in (1, 2, 3) if float(f"{threshold:.{d}f}") == threshold)
    return sorted(forms)


def sli_sample_rules(slo: SLO) -> list[dict]:
    """The two per-evaluation series the windows are computed from: bad and total events per second."""
    sli = slo.spec.sli
    rate = lambda sel: f"sum(rate({sel}[5m]))"  # noqa: E731
    if sli.ratio:
        total = rate(sli.ratio.total)
        # Without a good series (a restarted process creates its labelled series on the first good
        # event: none during an outage), `total - good` would be empty and a full outage never pages.
        bad = rate(sli.ratio.bad) if sli.ratio.bad else f"{total} - ({rate(sli.ratio.good)} or vector(0))"
    elif sli.latency:
        lat = sli.latency
        # A regex inside a PromQL string: `\.` for the regex, written `\\.` in the string.
        le = "|".join(v.replace(".", "\\\\.") for v in le_values(lat.threshold))
        total = rate(_with_matchers(f"{lat.histogram}_count", lat.matchers))
        good = rate(_with_matchers(f"{lat.histogram}_bucket", ", ".join(
            m for m in (lat.matchers, f'le=~"{le}"') if m)))
        bad = f"{total} - {good}"
    elif sli.freshness:
        worst = f"max({sli.freshness.gauge})"
        bad = f"{worst} > bool {fmt_number(sli.freshness.max)}"
        total = f"count({sli.freshness.gauge}) > bool 0"  # 1 whenever the gauge reports at all
    else:
        return []
    return [{"record": "slo:sli_bad:rate5m", "expr": bad, "labels": slo.labels()},
            {"record": "slo:sli_total:rate5m", "expr": total, "labels": slo.labels()}]


def sli_window_rules(slo: SLO) -> list[dict]:
    rules = []
    sel = slo.selector()
    raw = slo.spec.sli.raw
    for w in slo.record_windows():
        if raw is not None:
            if w == slo.period and w > BASE_WINDOW:
                # The period straight from raw counters would re-read weeks of samples each time.
                expr = f"avg_over_time({ratio_name(BASE_WINDOW)}{{{sel}}}[{fmt_duration(w)}])"
            else:
                expr = re.sub(r"\{\{\s*window\s*\}\}", fmt_duration(w), raw.error_ratio).strip()
        elif w == BASE_WINDOW and slo.spec.sli.kind != "freshness":
            expr = f"slo:sli_bad:rate5m{{{sel}}} / slo:sli_total:rate5m{{{sel}}}"
        else:
            d = fmt_duration(w)
            expr = (f"sum_over_time(slo:sli_bad:rate5m{{{sel}}}[{d}])\n"
                    f"  / sum_over_time(slo:sli_total:rate5m{{{sel}}}[{d}])")
        rules.append({"record": ratio_name(w), "expr": expr, "labels": slo.labels()})
    return rules


def metadata_rules(slo: SLO) -> list[dict]:
    sel = slo.selector()
    labels = slo.labels()
    return [
        {"record": "slo:objective:ratio", "expr": f"vector({fmt_number(slo.spec.objective / 100)})", "labels": labels},
        {"record": "slo:error_budget:ratio", "expr": f"vector({fmt_number(slo.budget)})", "labels": labels},
        {"record": "slo:time_period:days", "expr": f"vector({fmt_number(slo.period / 86400)})", "labels": labels},
        {"record": "slo:current_burn_rate:ratio",
         "expr": f"{ratio_name(BASE_WINDOW)}{{{sel}}} / on (service, slo) slo:error_budget:ratio{{{sel}}}",
         "labels": labels},
        {"record": "slo:period_burn_rate:ratio",
         "expr": f"{ratio_name(slo.period)}{{{sel}}} / on (service, slo) slo:error_budget:ratio{{{sel}}}",
         "labels": labels},
        {"record": "slo:period_error_budget_remaining:ratio",
         "expr": f"1 - slo:period_burn_rate:ratio{{{sel}}}", "labels": labels},
    ]


def _tier_expr(slo: SLO, tier: str) -> str:
    sel = slo.selector()
    parts = []
    for w in slo.windows:
        if w.tier != tier:
            continue
        threshold = fmt_number(w.factor * slo.budget)
        cond = f"(\n  {ratio_name(w.long)}{{{sel}}} > {threshold}"
        if w.short != w.long:
            cond += f"\n  and {ratio_name(w.short)}{{{sel}}} > {threshold}"
        if slo.spec.alerting.min_traffic is not None:
            cond += (f"\n  and avg_over_time(slo:sli_total:rate5m{{{sel}}}[{fmt_duration(w.long)}])"
                     f" >= {fmt_number(slo.spec.alerting.min_traffic)}")
        parts.append(cond + "\n)")
    return "\nor\n".join(parts)


def _describe_tier(slo: SLO, tier: str) -> str:
    spent = [f"{w.budget_fraction:.0%} of the budget in {fmt_duration(w.long)} (burn rate "
             f"{fmt_number(round(w.factor, 3))}, also over {fmt_duration(w.short)})"
             for w in slo.windows if w.tier == tier]
    return (f"SLO {slo.spec.name} of {slo.service.name} ({fmt_number(slo.spec.objective)}% over "
            f"{slo.spec.period}) is spending its error budget too fast: " + "; or ".join(spent) + ".")


def alert_rules(slo: SLO) -> list[dict]:
    a = slo.spec.alerting
    common = {"team": slo.team, "category": a.category, **slo.labels()}
    annotations = dict(a.annotations)
    if a.runbook_url:
        annotations["runbook_url"] = a.runbook_url
    rules = []
    for tier, cfg in (("page", a.page), ("ticket", a.ticket)):
        if not cfg.enabled:
            continue
        labels = {**cfg.labels, **common, "severity": cfg.severity, "slo_tier": tier}
        rules.append({
            "alert": f"{slo.alert_base}BudgetBurn{naming.camel(tier)}",
            "expr": _tier_expr(slo, tier),
            "labels": dict(sorted(labels.items())),
            "annotations": dict(sorted({**annotations,
                                        "summary": a.summary or f"{slo.service.name}: error budget of SLO "
                                                                f"{slo.spec.name} burning too fast ({tier})",
                                        "description": a.description or _describe_tier(slo, tier)}.items())),
        })
    if a.budget_alerts:
        for spent, tier in BUDGET_ALERTS:
            labels = {**common, "severity": getattr(a, tier).severity, "slo_tier": "budget"}
            rules.append({
                "alert": f"{slo.alert_base}ErrorBudget{int(spent * 100)}PercentSpent",
                "expr": f"slo:period_error_budget_remaining:ratio{{{slo.selector()}}} <= {fmt_number(1 - spent)}",
                "labels": dict(sorted(labels.items())),
                "annotations": dict(sorted({**annotations,
                                            "summary": f"{slo.service.name}: {spent:.0%} of the error budget of "
                                                       f"SLO {slo.spec.name} is spent",
                                            "description": f"Over the last {slo.spec.period}, more than "
                                                           f"{spent:.0%} of the error budget of SLO "
                                                           f"{slo.spec.name} has been used."}.items())),
            })
    return rules


def rule_groups(slos: list[SLO]) -> list[dict]:
    """One group per SLO: samples, windows, metadata, then alerts (a group evaluates in order)."""
    return [{"name": f"{s.service.name}-slo-{s.spec.name}",
             "rules": sli_sample_rules(s) + sli_window_rules(s) + metadata_rules(s) + alert_rules(s)}
            for s in slos]


def warnings_for(slo: SLOSpec) -> list[str]:
    """Reasons this SLO's alerting cannot work as declared."""
    budget = 1 - slo.objective / 100
    out = []
    for w in burn_windows(slo.period):
        if w.factor * budget >= 1:
            out.append(f"the {w.tier} alert over {fmt_duration(w.long)} needs an error ratio above "
                       f"{w.factor * budget:.0%} (burn rate {w.factor:.3g} x budget {budget:.3g}), which can never happen")
    return out


def dashboard_uid(service: str) -> str:
    return f"slo-{service}"[:40].rstrip("-")


def dashboard(service: ServiceSpec, slos: list[SLO], extra: tuple = ()):
    """One dashboard per service: per SLO, the SLI against its objective, the budget left, and
    the burn rate over each alert window with the page and ticket thresholds drawn in; then the
    `extra` panels (the service's uptime panels)."""
    panels = []
    for s in slos:
        sel = s.selector()
        # Titles name the SLO only: a new objective changes what a panel shows, not which panel it is.
        title = s.spec.name
        target = f"objective {fmt_number(s.spec.objective)}% over {s.spec.period}"
        panels.append(PanelSpec(
            title=f"{title}: SLI", type="timeseries", unit="percentunit", width=12,
            description=(s.spec.description or f"Good share of {s.spec.sli.kind} SLI {s.spec.name}") + f" ({target})",
            queries=[QuerySpec(expr=f"1 - {ratio_name(BASE_WINDOW)}{{{sel}}}", legend="SLI (5m)"),
                     QuerySpec(expr=f"1 - {ratio_name(3600 if 3600 in s.record_windows() else s.windows[0].long)}"
                                    f"{{{sel}}}", legend="SLI (1h)" if 3600 in s.record_windows() else
                               f"SLI ({fmt_duration(s.windows[0].long)})"),
                     QuerySpec(expr=f"slo:objective:ratio{{{sel}}}", legend="objective")]))
        panels.append(PanelSpec(
            title=f"{title}: error budget left", type="stat", unit="percentunit", width=4,
            description=f"Share of the {s.spec.period} error budget not yet spent ({target})",
            queries=[QuerySpec(expr=f"slo:period_error_budget_remaining:ratio{{{sel}}}")],
            thresholds=[ThresholdStep(color="red"), ThresholdStep(value=0.1, color="orange"),
                        ThresholdStep(value=0.5, color="green")]))
        factors = sorted({round(w.factor, 3) for w in s.windows})
        paging = {round(w.factor, 3) for w in s.windows if w.tier == "page"}
        windows = sorted({w for bw in s.windows for w in (bw.long, bw.short)})
        panels.append(PanelSpec(
            title=f"{title}: burn rate", type="timeseries", width=8,
            description="Error ratio over each alert window, in multiples of the budget; lines at the alert "
                        "thresholds (" + ", ".join(fmt_number(f) for f in factors) + ")",
            queries=[QuerySpec(expr=f"{ratio_name(w)}{{{sel}}} / on (service, slo) slo:error_budget:ratio{{{sel}}}",
                               legend=fmt_duration(w)) for w in windows],
            # A page's burn rates in red, a ticket's in orange: above the lowest page line, it pages.
            thresholds=[ThresholdStep(color="green")] + [
                ThresholdStep(value=f, color="red" if f in paging else "orange") for f in factors]))
    panels += list(extra)
    title = f"SLOs: {service.name}" if slos else f"Probes: {service.name}"
    tags = (["slo"] if slos else []) + (["probes"] if extra else []) + [service.name]
    return DashboardSpec(title=title, uid=dashboard_uid(service.name), folder="SLOs",
                         team=service.team, tags=tags, panels=panels)
