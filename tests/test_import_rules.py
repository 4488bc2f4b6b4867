"""`obsgen import rules`: Prometheus rule files and PrometheusRule resources become an obsgen spec
that builds back the same rules, with a metric catalog inferred from the expressions; whatever
cannot come back exactly is a warning at its position, and what obsgen cannot hold is refused.

Fixtures live in tests/fixtures/import/rules: good inputs at the top (the two seed files hold the
design documents' alert rules verbatim), `expected/` the specs they import to (rewrite with
--update-golden), and `bad/` inputs that must be refused, each declaring its errors in leading
`# expect: CODE line:col` comments.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import promql_parser
import pytest
from ruamel.yaml import YAML

from obsgen import naming
from obsgen.api import generate, load_texts
from obsgen.diagnostics import CODES, Severity, format_text
from obsgen.importers import rules as rules_importer
from obsgen.importers.rules import METRICS_SERVICE, import_rules
from obsgen.model import Model
from obsgen.spec import ProjectSpec
from obsgen.targets.rules import RulesTarget

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures" / "import" / "rules"
ROUND_TRIP = ["plain.yml", "prometheusrule.yaml", "waardhaven-alerts.yml", "qlib-pro-alerts.yml"]
GOLDEN = ["plain.yml", "prometheusrule.yaml"]

needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None,
                                    reason="needs promtool (apt-get install prometheus)")


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch):
    # The header and positions name the inputs relative to the working folder.
    monkeypatch.chdir(REPO)


def fixture(name: str) -> Path:
    return (FIXTURES / name).relative_to(REPO)


def run_import(*names: str, **kwargs) -> tuple[str, list]:
    text, diags = import_rules([fixture(n) for n in names], **kwargs)
    errors = [format_text(d) for d in diags if d.severity is Severity.ERROR]
    assert text is not None and not errors, "\n".join(errors)
    return text, diags


def load(text: str):
    return YAML(typ="safe", pure=True).load(text)


def the_rules_own_problem(d) -> bool:
    """What `validate` finds in the rules themselves (lint, PromQL syntax), not in the import."""
    return d.code == "OBS030" or d.code >= "OBS050"


def built_rule_files(text: str) -> dict[str, str]:
    """The rule files `obsgen build` writes for the spec. Where lint refuses a rule (the seeds'
    raw counter comparison), the rules target runs on the spec as it is: the rules are still the
    import's result, and lint is not what is under test here."""
    project = load_texts({"imported.yaml": text})
    errors = [d for d in project.diagnostics if d.severity is Severity.ERROR]
    assert all(the_rules_own_problem(d) for d in errors), "\n".join(map(format_text, errors))
    if not errors:
        return {p: t for p, t in generate(project, ["rules"]).items() if "/prometheus/rules/" in p}
    model = Model(env="as-is", sources=("imported.yaml",), spec=ProjectSpec.model_validate(
        {k: v for k, v in load(text).items() if k != "apiVersion"}))
    return {a.path: a.content for a in RulesTarget().generate(model)}


# ----------------------------------------------------------------------------- comparing rules

def original_groups(path: Path) -> list[dict]:
    """The rule groups of a file as Prometheus (or the operator) reads them."""
    out = []

    def document(doc) -> None:
        if doc.get("kind") == "List":
            for item in doc["items"]:
                document(item)
        elif doc.get("kind") == "PrometheusRule":
            out.extend(doc["spec"]["groups"])
        else:
            out.extend(doc["groups"])

    for doc in YAML(typ="safe", pure=True).load_all(path.read_text(encoding="utf-8")):
        if doc:
            document(doc)
    return out


def canonical_expr(expr: str) -> str:
    try:
        return promql_parser.parse(expr).prettify()
    except ValueError:
        return " ".join(expr.split())


def seconds(value) -> float:
    return 0 if value in (None, "0") else naming.duration_seconds(str(value))


def text_of(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def by_rule(groups: list[dict]) -> dict[tuple, dict]:
    """(group, alert|record, name, n-th of that name) -> what makes the rule what it is."""
    out = {}
    for g in groups:
        seen: Counter = Counter()
        for r in g.get("rules") or []:
            kind = "alert" if "alert" in r else "record"
            key = (g["name"], kind, r[kind], seen[(kind, r[kind])])
            seen[(kind, r[kind])] += 1
            out[key] = {"expr": canonical_expr(r["expr"]), "for": seconds(r.get("for")),
                        "keep_firing_for": seconds(r.get("keep_firing_for")),
                        "labels": {k: text_of(v) for k, v in (r.get("labels") or {}).items()},
                        "annotations": {k: text_of(v) for k, v in (r.get("annotations") or {}).items()}}
    return out


def group_settings(groups: list[dict]) -> dict[str, tuple]:
    return {g["name"]: (seconds(g.get("interval")), g.get("limit")) for g in groups if g.get("rules")}


def rebuilt_groups(text: str) -> list[dict]:
    return [g for content in built_rule_files(text).values() for g in load(content)["groups"]]


# ----------------------------------------------------------------------------- round trip

@pytest.mark.parametrize("name", ROUND_TRIP)
def test_the_imported_spec_builds_back_the_same_groups_and_rules(name):
    text, diags = run_import(name)
    assert not [d for d in diags if d.code == "OBS042"], "\n".join(map(format_text, diags))
    original, rebuilt = original_groups(FIXTURES / name), rebuilt_groups(text)
    assert group_settings(rebuilt) == group_settings(original)
    assert by_rule(rebuilt) == by_rule(original)


def test_within_a_group_recording_rules_come_first_in_their_order_then_alerts_by_name_and_the_header_says_so():
    text, _ = run_import("plain.yml")
    group = next(g for g in rebuilt_groups(text) if g["name"] == "api.rules")
    assert [r.get("record") or r.get("alert") for r in group["rules"]] == [
        "job:http_requests:rate5m", "job:http_request_duration_seconds:p99", "job:http_request_duration_seconds:p99",
        "job:rpc_duration_seconds:mean5m", "ApiHighErrorRatio", "ApiSlow"]
    assert "# - rule order: obsgen writes a group's recording rules first" in text
    assert "'api.rules', 'CheckoutAlerts'" in text and "'node.rules'" not in text.split("apiVersion:")[0]


@needs_promtool
@pytest.mark.tools
@pytest.mark.parametrize("name", ["plain.yml", "prometheusrule.yaml"])
def test_the_rebuilt_rule_files_pass_promtool(name, tmp_path):
    text, _ = run_import(name)
    for path, content in built_rule_files(text).items():
        out = tmp_path / Path(path).name
        out.write_text(content, encoding="utf-8")
        proc = subprocess.run(["promtool", "check", "rules", str(out)], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("name", GOLDEN)
def test_the_import_matches_its_golden_file(name, update_golden):
    text, _ = run_import(name)
    expected = FIXTURES / "expected" / f"{Path(name).stem}.yaml"
    if update_golden:
        expected.write_text(text, encoding="utf-8")
    assert text == expected.read_text(encoding="utf-8")


def test_the_import_does_not_depend_on_the_order_the_files_are_given_in():
    names = ["plain.yml", "prometheusrule.yaml", "qlib-pro-alerts.yml"]
    assert run_import(*names)[0] == run_import(*reversed(names))[0]


# ----------------------------------------------------------------------------- the mapping

def services_of(text: str) -> dict[str, dict]:
    return {s["name"]: s for s in load(text)["services"]}


def test_each_group_becomes_a_service_named_after_it_that_keeps_the_group_name_and_settings():
    services = services_of(run_import("plain.yml")[0])
    assert services["api-rules"]["rule_group"] == {"name": "api.rules", "interval": "30s", "limit": 100,
                                                   "alert_labels": ["category"]}
    assert services["node-rules"]["rule_group"] == {"name": "node.rules", "alert_labels": []}
    resources = services_of(run_import("prometheusrule.yaml")[0])
    assert resources["ledger-recording"]["rule_group"] == {"name": "ledger.recording", "limit": 0,
                                                           "alert_labels": []}


def test_a_service_label_all_alerts_of_a_group_share_names_the_service_and_a_shared_team_owns_it():
    text, _ = run_import("plain.yml")
    checkout = services_of(text)["checkout"]
    assert checkout["rule_group"]["name"] == "CheckoutAlerts"
    assert checkout["team"] == "payments"
    assert checkout["rule_group"]["alert_labels"] == ["team", "category", "service"]
    assert all("team" not in a and "labels" not in a for a in checkout["alerts"])
    assert {t["name"] for t in load(text)["teams"]} == {"imported", "payments"}


def test_alerts_with_different_team_labels_keep_each_team_and_the_service_belongs_to_the_default_team():
    text, _ = run_import("qlib-pro-alerts.yml", team="quant-platform")
    service = services_of(text)["qlib-pro-alerts"]
    assert service["team"] == "quant-platform"
    assert {a["name"]: a["team"] for a in service["alerts"]}["MarketDataStale"] == "data"
    assert {t["name"] for t in load(text)["teams"]} == {
        "backend", "data", "database", "infrastructure", "platform", "quant", "quant-platform", "security"}


def test_alert_labels_and_annotations_map_onto_obsgens_fields_and_the_rest_is_kept():
    service = services_of(run_import("plain.yml")[0])["api-rules"]
    alert = next(a for a in service["alerts"] if a["name"] == "ApiHighErrorRatio")
    assert alert["severity"] == "critical" and alert["category"] == "application"
    assert alert["for"] == "5m" and alert["keep_firing_for"] == "10m"
    assert alert["summary"] == "API error ratio above 5%"
    assert alert["runbook_url"] == "https://runbooks.example.com/api-errors"
    assert alert["labels"] == {"priority": "1", "tier": "gold"}  # an unquoted number, as written
    assert alert["annotations"] == {"dashboard": "https://grafana.example.com/d/api"}


def test_numbers_and_booleans_written_unquoted_are_taken_as_they_are_written(tmp_path):
    path = tmp_path / "unquoted.yml"
    path.write_text("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: 1\n        labels:\n"
                    "          severity: warning\n          ratio: 0.50\n          paging: true\n"
                    "          code: 007\n", encoding="utf-8")
    text, diags = import_rules([path])
    assert text is not None, "\n".join(map(format_text, diags))
    alert = services_of(text)["g"]["alerts"][0]
    assert alert["expr"] == "1"
    assert alert["labels"] == {"ratio": "0.50", "paging": "true", "code": "007"}


# ----------------------------------------------------------------------------- metric catalog

def catalog_of(text: str) -> dict[str, dict]:
    return {m["name"]: m for m in services_of(text)[METRICS_SERVICE]["metrics"]}


def test_the_metrics_the_rules_read_are_cataloged_with_types_guessed_from_their_names():
    metrics = catalog_of(run_import("plain.yml")[0])
    assert {name: m["type"] for name, m in metrics.items()} == {
        "http_requests_total": "counter",
        "http_request_duration_seconds": "histogram",  # from _bucket, under histogram_quantile
        "rpc_duration_seconds": "summary",  # only _sum and _count are read
        "checkout_queue_depth": "gauge",
        "checkout_payment_failures_total": "counter",
        "node_cpu_seconds_total": "counter",
    }
    assert metrics["http_requests_total"]["labels"] == ["code"]  # job is the target's, not the metric's
    assert metrics["http_request_duration_seconds"]["labels"] == ["handler"]  # no `le`
    assert metrics["node_cpu_seconds_total"]["labels"] == ["cpu", "mode"]  # matchers and `without`


def test_cataloged_metrics_are_marked_as_inferred_and_recorded_series_are_not_cataloged():
    text, _ = run_import("prometheusrule.yaml")
    metrics = catalog_of(text)
    assert set(metrics) == {"ledger_postings_total", "ledger_last_reconciled_timestamp_seconds"}
    assert metrics["ledger_postings_total"]["help"].startswith(
        "inferred by obsgen import rules from alert LedgerPostingsStalled in prometheusrule.yaml; check the type")
    assert "type: counter  # inferred from the name: check it" in text
    assert "  # Inferred from the rules' expressions, types guessed from the names: check them.\n" \
           f"  - name: {METRICS_SERVICE}\n" in text


def test_quantile_labels_mean_summaries_and_label_functions_read_their_source_labels(tmp_path):
    (tmp_path / "a.yml").write_text(
        "groups:\n  - name: a\n    rules:\n"
        "      - record: job:rpc:p90\n        expr: max by (job) (rpc_seconds{quantile=\"0.9\"})\n"
        "      - record: svc:up\n"
        "        expr: label_replace(probe_success{target=\"x\"}, \"svc\", \"$1\", \"url\", \"(.*)\")\n",
        encoding="utf-8")
    (tmp_path / "b.yml").write_text(  # reads a series a.yml records: not cataloged
        "groups:\n  - name: b\n    rules:\n      - alert: RpcSlow\n        expr: job:rpc:p90 > 1\n"
        "        labels:\n          severity: info\n", encoding="utf-8")
    text, diags = import_rules([tmp_path])
    assert text is not None, "\n".join(map(format_text, diags))
    metrics = catalog_of(text)
    assert set(metrics) == {"rpc_seconds", "probe_success"}
    assert metrics["rpc_seconds"]["type"] == "summary" and "labels" not in metrics["rpc_seconds"]
    assert metrics["probe_success"]["labels"] == ["target", "url"]


def test_with_its_metrics_cataloged_the_imported_spec_reports_no_unknown_metric():
    for name in ROUND_TRIP:
        project = load_texts({"imported.yaml": run_import(name)[0]})
        assert not [d for d in project.diagnostics if d.code == "OBS050"], name


# ----------------------------------------------------------------------------- approximations

def expectations(path: Path) -> set[tuple[str, int, int]]:
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        m = re.match(r"^#\s*expect:\s*(OBS\d{3})\s+(\d+):(\d+)\s*$", line)
        if m:
            out.add((m.group(1), int(m.group(2)), int(m.group(3))))
    return out


def test_what_cannot_come_back_exactly_is_a_warning_at_the_value_that_changes():
    _, diags = run_import("approximations.yml")
    warned = {(d.pos.line, d.pos.col): d.message for d in diags if d.code == "OBS042"}
    assert set(warned) == {(5, 16), (10, 21), (11, 21), (12, 17), (13, 16), (17, 20), (19, 20), (20, 24),
                           (21, 16), (25, 11)}
    assert "severity='critical', not 'page'" in warned[(10, 21)]
    assert "loses the label category='ops'" in warned[(11, 21)]
    assert "team='platform-ops', not 'Platform_Ops'" in warned[(12, 17)]
    assert "loses the annotation runbook_url='/wiki/queue'" in warned[(20, 24)]
    assert "group 'empty' has no rules" in warned[(25, 11)]
    assert all(d.severity is Severity.WARNING for d in diags)


def test_the_rebuilt_rules_differ_from_the_originals_exactly_as_warned():
    text, _ = run_import("approximations.yml")
    original = by_rule(original_groups(FIXTURES / "approximations.yml"))
    rebuilt = by_rule(rebuilt_groups(text))
    assert set(rebuilt) == set(original)
    labels = {key[2]: rule["labels"] for key, rule in rebuilt.items()}
    assert labels == {"NoSeverity": {"severity": "warning", "team": "imported"},
                      "PagingSeverity": {"severity": "critical", "team": "platform-ops"},
                      "EmptySummary": {"severity": "warning", "team": "imported"},
                      "BrokenExpr": {"severity": "warning", "team": "imported"}}
    assert rebuilt[("legacy", "alert", "EmptySummary", 0)]["annotations"] == {}
    for key in original:
        assert {f: v for f, v in rebuilt[key].items() if f not in ("labels", "annotations")} == \
               {f: v for f, v in original[key].items() if f not in ("labels", "annotations")}


def test_an_expression_that_does_not_parse_is_imported_as_written_and_validate_points_at_it():
    text, diags = run_import("approximations.yml")
    broken = [d for d in diags if d.code == "OBS030"]
    assert [(d.pos.line, d.pos.col, d.severity) for d in broken] == [(22, 15, Severity.WARNING)]
    assert "imported as written" in broken[0].message
    project = load_texts({"imported.yaml": text})
    errors = [d for d in project.diagnostics if d.severity is Severity.ERROR]
    assert [d.code for d in errors] == ["OBS030"]
    line = text.splitlines()[errors[0].pos.line - 1]
    assert line.strip() == "expr: sum(rate(queue_jobs_total[5m]) by (queue)"


def change_expr(rules: list) -> None:
    rules[0]["expr"] += " * 2"


def drop_rule(rules: list) -> None:
    del rules[0]


@pytest.mark.parametrize("drift, message", [
    (change_expr, "cannot rebuild recording rule job:http_requests:rate5m of group 'api.rules' exactly: "
                  "its expr would differ"),
    (drop_rule, "cannot rebuild recording rule job:http_requests:rate5m of group 'api.rules'"),
])
def test_a_rebuilt_rule_that_differs_in_a_way_the_import_did_not_foresee_is_an_error(monkeypatch, drift, message):
    real = rules_importer.rebuild

    def drifting(doc):
        groups = real(doc)
        drift(groups["api.rules"]["rules"])
        return groups

    monkeypatch.setattr(rules_importer, "rebuild", drifting)
    text, diags = import_rules([fixture("plain.yml")])
    assert text is None
    errors = [d for d in diags if d.severity is Severity.ERROR]
    assert [(d.code, d.pos.line, d.message) for d in errors] == [("OBS040", 23, f"obsgen {message}")]


# ----------------------------------------------------------------------------- bad inputs

BAD = sorted((FIXTURES / "bad").glob("*.y*ml"))


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_input_is_refused_with_exactly_the_errors_its_file_declares(path):
    text, diags = import_rules([path.relative_to(REPO)])
    assert text is None
    errors = [d for d in diags if d.severity is Severity.ERROR]
    assert {d.pos.file for d in errors} == {path.relative_to(REPO).as_posix()}
    assert {(d.code, d.pos.line, d.pos.col) for d in errors} == expectations(path), \
        "\n".join(format_text(d) for d in errors)
    for d in errors:
        assert d.code in CODES
        assert d.message and "\n" not in d.message and "{'" not in d.message


def test_two_alerts_of_one_name_in_a_group_are_refused_with_a_hint_naming_a_new_name():
    _, diags = import_rules([(FIXTURES / "bad" / "names-obsgen-refuses.yml").relative_to(REPO)])
    second = next(d for d in diags if "a second alert" in d.message)
    assert "HostDiskFull" in second.message and ":12:16" in second.message  # where the first one is
    assert "HostDiskFullCritical" in second.hint


def test_a_group_name_used_in_two_files_is_refused_at_the_second(tmp_path):
    for name in ("a.yml", "b.yml"):
        (tmp_path / name).write_text("groups:\n  - name: api\n    rules:\n      - record: x:y\n        expr: up\n",
                                     encoding="utf-8")
    text, diags = import_rules([tmp_path])
    assert text is None
    [d] = [d for d in diags if d.severity is Severity.ERROR]
    assert (d.code, Path(d.pos.file).name, d.pos.line, d.pos.col) == ("OBS040", "b.yml", 2, 11)


def test_a_team_that_is_not_a_name_is_refused_before_reading_anything():
    text, diags = import_rules([fixture("plain.yml")], team="Platform Team")
    assert text is None
    assert [(d.code, d.pos.file) for d in diags] == [("OBS040", "--team")]


def test_the_waardhaven_block_without_document_separators_has_duplicate_groups_keys(tmp_path):
    path = tmp_path / "waardhaven-as-written.yml"
    lines = (FIXTURES / "waardhaven-alerts.yml").read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if line != "---\n"), encoding="utf-8")
    text, diags = import_rules([path])
    assert text is None
    assert {d.code for d in diags if d.severity is Severity.ERROR} == {"OBS002"}


# ----------------------------------------------------------------------------- the seeds

def validated(name: str) -> list:
    return load_texts({"imported.yaml": run_import(name)[0]}).diagnostics


@pytest.mark.parametrize("name", ["waardhaven-alerts.yml", "qlib-pro-alerts.yml"])
def test_the_seed_rules_import_exactly_and_validate_finds_no_problem_of_the_import(name):
    text, diags = run_import(name)
    assert not [d for d in diags if d.severity is Severity.WARNING], "\n".join(map(format_text, diags))
    errors = [d for d in load_texts({"imported.yaml": text}).diagnostics if d.severity is Severity.ERROR]
    assert all(the_rules_own_problem(d) for d in errors), "\n".join(map(format_text, errors))


def test_validate_reports_the_waardhaven_trading_volume_alert_comparing_a_raw_counter_at_its_expression():
    text, _ = run_import("waardhaven-alerts.yml")
    errors = [d for d in load_texts({"imported.yaml": text}).diagnostics if d.severity is Severity.ERROR]
    assert [d.code for d in errors] == ["OBS052"], "\n".join(map(format_text, errors))
    assert "TradingVolumeAnomaly" in errors[0].message and "trades_executed_total" in errors[0].message
    line = text.splitlines()[errors[0].pos.line - 1]
    assert line.strip() == "expr: trades_executed_total offset 1h > trades_executed_total * 3"


def test_validate_finds_no_error_in_the_qlib_pro_rules():
    text, _ = run_import("qlib-pro-alerts.yml")
    assert not [d for d in load_texts({"imported.yaml": text}).diagnostics if d.severity is Severity.ERROR]
