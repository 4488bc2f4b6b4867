"""Importers: Sloth and OpenSLO files become obsgen specs that validate, build, pass promtool, and
alert over the same windows and burn rates Sloth would; what obsgen cannot express is refused,
naming the field.

Fixtures live in tests/fixtures/import: `sloth/` and `openslo/` are good inputs, `expected/` the
specs they import to (rewrite with --update-golden), and `bad/` inputs that must be refused, each
declaring its errors in leading `# expect: CODE line:col` comments (as tests/cases/bad does).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import build_imported as build
from ruamel.yaml import YAML

from obsgen.core.codes import CODES
from obsgen.core.diagnostics import Severity, format_text
from obsgen.features.importers import import_openslo, import_sloth
from obsgen.resolve.slo import burn_windows, fmt_duration

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures" / "import"
IMPORT_CODES = {"OBS040", "OBS041", "OBS042"}  # the importers' own codes

needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None,
                                    reason="needs promtool (apt-get install prometheus)")

GOOD = {
    "sloth": (import_sloth, ["sloth/ledger.yml", "sloth/shipping-k8s.yaml"]),
    "openslo": (import_openslo, ["openslo"]),
}
# Sloth's alert windows for its default 30-day period: (tier, long, short) -> burn-rate factor.
SLOTH_30D = {("page", "1h", "5m"): 14.4, ("page", "6h", "30m"): 6.0,
             ("ticket", "1d", "2h"): 3.0, ("ticket", "3d", "6h"): 1.0}


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch):
    # The header names the inputs relative to the working folder: keep it the same for every run.
    monkeypatch.chdir(REPO)


def run_import(case: str, order=lambda paths: paths) -> str:
    importer, names = GOOD[case]
    text, diags = importer(order([FIXTURES.relative_to(REPO) / n for n in names]))
    errors = [format_text(d) for d in diags if d.severity is Severity.ERROR]
    assert text is not None and not errors, "\n".join(errors)
    return text


def load(text: str) -> dict:
    return YAML(typ="safe").load(text)


def promtool(*args: str, cwd: Path) -> None:
    proc = subprocess.run(["promtool", *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


_CONDITION = re.compile(r"slo:sli_error:ratio_rate(\w+)\{[^}]*\} > ([0-9.e+-]+)")


def alert_conditions(rule: dict) -> dict[tuple[str, str], float]:
    """(long window, short window) -> threshold, read from a burn-rate alert's expression."""
    out = {}
    for part in rule["expr"].split("\nor\n"):
        (long, t1), (short, t2) = _CONDITION.findall(part)
        assert t1 == t2, part
        out[(long, short)] = float(t1)
    return out


def slo_alerts(files: dict[str, str]) -> list[dict]:
    return [rule for path, text in files.items() if path.endswith(".slo.rules.yml")
            for group in load(text)["groups"] for rule in group["rules"] if "alert" in rule]


def objectives(spec: dict) -> dict[tuple[str, str], dict]:
    return {(s["name"], o["name"]): o for s in spec["services"] for o in s["slos"]}


# ----------------------------------------------------------------------------- good inputs

@pytest.mark.parametrize("case", sorted(GOOD))
def test_the_imported_spec_validates_and_builds_with_no_hand_edits(case, tmp_path):
    files = build(run_import(case), tmp_path)
    assert any(p.endswith(".slo.rules.yml") for p in files)
    assert any(p.endswith(".slo.test.yml") for p in files)


@pytest.mark.tools
@needs_promtool
@pytest.mark.parametrize("case", sorted(GOOD))
def test_the_rules_built_from_an_import_pass_promtool_check_and_their_unit_tests(case, tmp_path):
    build(run_import(case), tmp_path)
    rules = sorted(tmp_path.rglob("prometheus/rules/*.slo.rules.yml"))
    tests = sorted(tmp_path.rglob("prometheus/tests/*.slo.test.yml"))
    assert rules and tests
    for path in rules:
        promtool("check", "rules", str(path), cwd=tmp_path)
    for path in tests:  # they name their rules as ../rules/...: run them from their own folder
        promtool("test", "rules", path.name, cwd=path.parent)


def test_imported_sloth_alerts_use_sloths_windows_and_burn_rate_factors(tmp_path):
    text = run_import("sloth")
    slos = objectives(load(text))
    alerts = slo_alerts(build(text, tmp_path))
    assert alerts
    for rule in alerts:
        labels = rule["labels"]
        budget = 1 - slos[(labels["service"], labels["slo"])]["objective"] / 100
        expected = {(long, short): factor * budget for (tier, long, short), factor in SLOTH_30D.items()
                    if tier == labels["slo_tier"]}
        found = alert_conditions(rule)
        assert found.keys() == expected.keys(), rule["alert"]
        for windows, threshold in expected.items():
            assert found[windows] == pytest.approx(threshold, rel=1e-9), (rule["alert"], windows)


def test_imported_openslo_alerts_burn_at_the_workbook_rates_for_their_period(tmp_path):
    text = run_import("openslo")
    slos = objectives(load(text))
    alerts = slo_alerts(build(text, tmp_path))
    assert {slo["period"] for slo in slos.values()} == {"28d", "4w", "7d", "30d"}
    for rule in alerts:
        slo = slos[(rule["labels"]["service"], rule["labels"]["slo"])]
        budget = 1 - slo["objective"] / 100
        expected = {(fmt_duration(w.long), fmt_duration(w.short)): w.factor * budget
                    for w in burn_windows(slo["period"]) if w.tier == rule["labels"]["slo_tier"]}
        assert alert_conditions(rule) == pytest.approx(expected, rel=1e-9)
        if slo["period"] == "30d":
            assert {(t, lo, sh) for (t, lo, sh) in SLOTH_30D if t == rule["labels"]["slo_tier"]} == {
                (rule["labels"]["slo_tier"], lo, sh) for lo, sh in expected}


def test_sloth_alert_names_keep_the_sloth_name_and_disabled_tiers_generate_no_alert(tmp_path):
    names = sorted(rule["alert"] for rule in slo_alerts(build(run_import("sloth"), tmp_path)))
    assert names == ["LabelPrinterFailuresBudgetBurnTicket", "LedgerBalanceLatencyBudgetBurnPage",
                     "LedgerPostingErrorsBudgetBurnPage", "LedgerPostingErrorsBudgetBurnTicket",
                     "LedgerReconciliationBudgetBurnTicket", "ShippingQuoteAvailabilityBudgetBurnPage",
                     "ShippingQuoteAvailabilityBudgetBurnTicket"]


@pytest.mark.parametrize("case", sorted(GOOD))
def test_the_import_matches_its_golden_file(case, update_golden):
    text = run_import(case)
    expected = FIXTURES / "expected" / f"{case}.yaml"
    if update_golden:
        expected.write_text(text, encoding="utf-8")
    assert text == expected.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", sorted(GOOD))
def test_the_import_does_not_depend_on_the_order_the_files_are_given_in(case):
    assert run_import(case) == run_import(case, order=lambda paths: list(reversed(paths)))


def test_the_output_starts_with_a_header_naming_the_files_then_the_api_version():
    text = run_import("sloth")
    header, _, body = text.partition("\napiVersion: obsgen/v1\n")
    assert header.startswith("# Imported by obsgen from Sloth: tests/fixtures/import/sloth/ledger.yml, "
                             "tests/fixtures/import/sloth/shipping-k8s.yaml.")
    assert all(line.startswith("#") for line in header.splitlines())
    assert body.startswith("teams:\n")


def test_sloth_events_become_a_raw_error_ratio_with_obsgens_window_placeholder():
    slos = objectives(load(run_import("sloth")))
    ratio = slos[("ledger", "posting-errors")]["sli"]["raw"]["error_ratio"]
    assert ratio == ('(sum(rate(ledger_postings_total{outcome="error"}[{{window}}]))) / '
                     '(sum(rate(ledger_postings_total[{{window}}])))')
    assert all(".window" not in o["sli"]["raw"]["error_ratio"] for o in slos.values())
    assert {o["period"] for o in slos.values()} == {"30d"}


def test_sloth_labels_become_slo_labels_tier_labels_and_the_owning_team():
    spec = load(run_import("sloth"))
    services = {s["name"]: s for s in spec["services"]}
    assert services["ledger"]["team"] == "ledger-core"  # service-level `team` label
    assert services["shipping-quotes"]["team"] == "logistics"  # the team every SLO of it names
    assert services["label-printer"]["team"] == "slo-owners"  # no team label: the default
    assert {t["name"] for t in spec["teams"]} == {"ledger-core", "logistics", "slo-owners"}
    posting = objectives(spec)[("ledger", "posting-errors")]
    assert posting["labels"] == {"environment": "prod", "journey": "post-entry"}
    assert posting["alerting"]["page"] == {"severity": "critical",
                                           "labels": {"pager_group": "ledger", "escalation": "immediate"}}
    assert posting["alerting"]["runbook_url"] == "https://runbooks.example.org/ledger/posting-errors"
    assert posting["alerting"]["annotations"] == {"dashboard": "https://grafana.example.org/d/ledger"}
    quotes = objectives(spec)[("shipping-quotes", "quote-availability")]
    assert quotes["alerting"]["category"] == "application"


def test_a_disabled_sloth_alert_becomes_a_disabled_tier():
    slos = objectives(load(run_import("sloth")))
    assert slos[("ledger", "balance-latency")]["alerting"]["ticket"]["enabled"] is False
    assert slos[("ledger", "reconciliation-success")]["alerting"]["page"]["enabled"] is False


def test_the_team_option_names_the_team_of_services_without_one():
    text, _ = import_sloth([FIXTURES / "sloth" / "shipping-k8s.yaml"], team="platform")
    services = {s["name"]: s["team"] for s in load(text)["services"]}
    assert services == {"label-printer": "platform", "shipping-quotes": "logistics"}
    assert [t["name"] for t in load(text)["teams"]] == ["logistics", "platform"]


def test_openslo_ratio_queries_become_selectors_and_a_threshold_becomes_freshness():
    slos = objectives(load(run_import("openslo")))
    assert slos[("checkout", "checkout-availability")]["sli"] == {
        "ratio": {"good": 'checkout_requests_total{status!~"5.."}', "total": "checkout_requests_total"}}
    assert slos[("checkout", "payment-errors")]["sli"] == {  # sum(selector): obsgen sums the rates itself
        "ratio": {"bad": 'payment_attempts_total{result="error"}', "total": "payment_attempts_total"}}
    assert slos[("search", "index-freshness")]["sli"] == {
        "freshness": {"gauge": 'search_index_lag_seconds{cluster="main"}', "max": 120}}
    assert slos[("search", "search-success")]["sli"] == {
        "raw": {"error_ratio": "1 - avg_over_time(search:request_success:ratio[{{window}}])"}}
    assert slos[("checkout", "checkout-availability")]["objective"] == 99.9


def test_an_indicator_ref_finds_its_sli_in_another_file_of_the_set():
    text, diags = import_openslo([FIXTURES / "openslo" / "search-slos.yaml"])
    assert text is None
    assert [(d.code, d.pos.line, d.pos.col) for d in diags] == [("OBS021", 9, 17), ("OBS021", 28, 17)]
    text, diags = import_openslo([FIXTURES / "openslo" / "search-slos.yaml", FIXTURES / "openslo" / "search-slis.yaml"])
    assert text is not None and not diags


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


THRESHOLD_SLO = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: queue-lag
spec:
  service: billing
  indicator:
    metadata: {{name: queue-lag}}
    spec:
      thresholdMetric:
        metricSource: {{type: Prometheus, spec: {{query: 'max(billing_queue_lag_seconds)'}}}}
  timeWindow: [{{duration: 30d, isRolling: true}}]
  budgetingMethod: {method}
  objectives:
    - op: {op}
      value: 60
      target: 0.99
{extra}"""


def test_an_lt_threshold_imports_as_lte_with_a_warning_and_a_note_in_the_header(tmp_path):
    path = write(tmp_path, "lag.yaml", THRESHOLD_SLO.format(method="Occurrences", op="lt", extra=""))
    text, diags = import_openslo([path])
    assert text is not None
    assert [(d.severity, d.code, d.pos.line, d.pos.col) for d in diags] == [(Severity.WARNING, "OBS042", 15, 11)]
    assert "lt read as lte" in text.split("apiVersion:")[0]
    assert objectives(load(text))[("billing", "queue-lag")]["sli"]["freshness"] == {
        "gauge": "billing_queue_lag_seconds", "max": 60}


def test_a_time_slice_target_below_one_needs_the_length_of_a_slice(tmp_path):
    # (with timeSliceWindow, it imports: tests/test_import_openslo.py)
    path = write(tmp_path, "lag.yaml", THRESHOLD_SLO.format(method="Timeslices", op="lte",
                                                             extra="      timeSliceTarget: 0.95\n"))
    text, diags = import_openslo([path])
    assert text is None
    assert [(d.code, d.pos.line, d.pos.col) for d in diags] == [("OBS041", 15, 7)]
    assert "timeSliceWindow" in diags[0].message


# ----------------------------------------------------------------------------- bad inputs

_EXPECT = re.compile(r"^#\s*expect:\s*(OBS\d{3})\s+(\d+):(\d+)\s*$")
BAD = sorted((FIXTURES / "bad").glob("*/*.y*ml"))


def expectations(path: Path) -> set[tuple[str, int, int]]:
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        m = _EXPECT.match(line)
        if m:
            out.add((m.group(1), int(m.group(2)), int(m.group(3))))
    return out


@pytest.mark.parametrize("path", BAD, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_bad_input_is_refused_with_exactly_the_errors_its_file_declares(path):
    importer = import_sloth if path.parent.name == "sloth" else import_openslo
    text, diags = importer([path])
    assert text is None
    errors = [d for d in diags if d.severity is Severity.ERROR]
    shown = path.relative_to(REPO).as_posix()
    assert {d.pos.file for d in errors} == {shown}
    assert {(d.code, d.pos.line, d.pos.col) for d in errors} == expectations(path), \
        "\n".join(format_text(d) for d in errors)
    for d in errors:
        assert d.code in CODES or d.code in IMPORT_CODES
        assert d.message and "\n" not in d.message and "{'" not in d.message


@pytest.mark.parametrize("name, field", [
    ("sloth/plugin-sli.yml", "slos[0].sli.plugin.id"),
    ("sloth/reserved-labels.yml", "labels.service"),
    ("sloth/error-in-second-document.yaml", "spec.slos[0].alerting.ticketAlert.disable"),
    ("openslo/non-prometheus-source.yaml", "spec.indicator.spec.ratioMetric.total.metricSource.type"),
    ("openslo/several-objectives-and-minimum.yaml", "spec.objectives[0].op"),
])
def test_an_error_message_names_the_offending_field(name, field):
    path = FIXTURES / "bad" / name
    importer = import_sloth if name.startswith("sloth/") else import_openslo
    _, diags = importer([path])
    assert any(d.message.startswith(f"{field}: ") for d in diags), [d.message for d in diags]


def test_a_name_obsgen_cannot_use_comes_with_a_suggested_one():
    _, diags = import_sloth([FIXTURES / "bad" / "sloth" / "names-not-allowed.yml"])
    assert sorted(d.hint for d in diags) == ["rename it, e.g. `inventory-api`", "rename it, e.g. `stock-reads`"]


def test_an_openslo_file_given_to_the_sloth_importer_points_to_the_other_importer():
    text, diags = import_sloth([FIXTURES / "openslo" / "search-slis.yaml"])
    assert text is None
    assert {(d.code, d.pos.line, d.pos.col) for d in diags if d.severity is Severity.ERROR} == {
        ("OBS041", 2, 13), ("OBS041", 14, 13)}
    assert all(d.hint == "import it with `obsgen import openslo`" for d in diags)


def test_a_missing_file_and_a_bad_default_team_are_reported(tmp_path):
    text, diags = import_sloth([tmp_path / "nope.yml"])
    assert text is None and [d.code for d in diags] == ["OBS023"]
    text, diags = import_sloth([FIXTURES / "sloth" / "ledger.yml"], team="SLO Owners")
    assert text is None and [(d.code, d.pos.file) for d in diags] == [("OBS040", "--team")]


def test_a_yaml_syntax_error_in_a_later_document_is_reported_at_its_line(tmp_path):
    path = write(tmp_path, "two.yaml", "version: prometheus/v1\nservice: a\nslos: []\n---\nversion: [\n")
    text, diags = import_sloth([path])
    assert text is None
    assert [d.code for d in diags] == ["OBS001"] and diags[0].pos.line >= 5


def test_an_empty_file_holds_nothing_to_import(tmp_path):
    text, diags = import_openslo([write(tmp_path, "empty.yaml", "# nothing yet\n")])
    assert text is None and [(d.code, d.pos.line, d.pos.col) for d in diags] == [("OBS041", 1, 1)]


def test_a_sloth_plugin_chain_of_an_unknown_plugin_cannot_be_expressed_but_an_empty_one_changes_nothing(tmp_path):
    spec = """\
version: prometheus/v1
service: inventory
slo_plugins: {chain}
slos:
  - name: stock-reads
    objective: 99.9
    sli: {{raw: {{error_ratio_query: 'avg_over_time(stock:read_errors:ratio[{{{{.window}}}}])'}}}}
"""
    text, diags = import_sloth([write(tmp_path, "chain.yml", spec.format(chain="{chain: [{id: x/y/v1}]}"))])
    assert text is None and [(d.code, d.pos.line, d.pos.col) for d in diags] == [("OBS040", 3, 28)]
    text, diags = import_sloth([write(tmp_path, "chain.yml", spec.format(chain="{}"))])
    assert text is not None and not [d for d in diags if d.severity is Severity.ERROR]
