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
import sys
from collections import Counter
from pathlib import Path

import promql_parser
import pytest
from conftest import needs
from ruamel.yaml import YAML

from obsgen.api import generate, load_texts
from obsgen.core import naming
from obsgen.core.codes import CODES
from obsgen.core.diagnostics import Severity, format_text
from obsgen.features.importers import rules as rules_importer
from obsgen.features.importers.rules import METRICS_SERVICE, import_rules
from obsgen.resolve.model import Model
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
    return {a.path: a.content for a in RulesTarget(tests=False).generate(model)}


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
    # severity: page and category: ops are kept (defined in routing), so they are no approximation
    assert set(warned) == {(5, 16), (12, 17), (13, 16), (17, 20), (19, 20), (20, 24), (21, 16), (25, 11)}
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
                      "PagingSeverity": {"category": "ops", "severity": "page", "team": "platform-ops"},
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
        [key] = [k for k in groups if k[1] == "api.rules"]
        drift(groups[key]["rules"])
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


def test_two_rules_of_one_alert_with_the_same_labels_import_and_validate_warns(tmp_path):
    rules = tmp_path / "twice.yml"
    rules.write_text("""groups:
  - name: compactor
    rules:
      - alert: CompactionStalled
        expr: time() - compaction_last_success_timestamp_seconds > 3 * 3600
        labels: {severity: critical}
      - alert: CompactionStalled
        expr: max_over_time(compaction_last_success_timestamp_seconds[3h]) == 0
        labels: {severity: critical}
""", encoding="utf-8")
    text, diags = import_rules([rules])
    assert text is not None and not [d for d in diags if d.severity is Severity.ERROR], diags
    project = load_texts({"imported.yaml": text})
    [w] = [d for d in project.diagnostics if d.code == "OBS085"]
    assert w.severity is Severity.WARNING and "Alertmanager sees one alert" in w.message
    rebuilt = YAML(typ="safe").load(generate(project)["default/prometheus/rules/compactor.rules.yml"])
    assert [r["alert"] for r in rebuilt["groups"][0]["rules"]] == ["CompactionStalled", "CompactionStalled"]


def test_a_warning_and_a_critical_alert_of_one_name_import_and_build_back(tmp_path):
    rules = tmp_path / "pair.yml"
    rules.write_text("""groups:
  - name: disks
    rules:
      - alert: HostDiskFull
        expr: node_filesystem_avail_bytes < 1e9
        labels: {severity: warning}
      - alert: HostDiskFull
        expr: node_filesystem_avail_bytes < 1e8
        labels: {severity: critical}
""", encoding="utf-8")
    text, diags = import_rules([rules])
    assert text is not None and not [d for d in diags if d.severity is Severity.ERROR], diags
    project = load_texts({"imported.yaml": text})
    rebuilt = YAML(typ="safe").load(generate(project)["default/prometheus/rules/disks.rules.yml"])
    assert [(r["alert"], r["labels"]["severity"]) for r in rebuilt["groups"][0]["rules"]] == [
        ("HostDiskFull", "warning"), ("HostDiskFull", "critical")]


def test_a_group_name_used_in_two_files_is_two_groups_as_prometheus_scopes_group_names_per_file(tmp_path):
    for name, job in (("a.yml", "a"), ("b.yml", "b")):
        (tmp_path / name).write_text(f"groups:\n  - name: api\n    rules:\n      - alert: Down\n"
                                     f"        expr: up{{job=\"{job}\"}} == 0\n", encoding="utf-8")
    text, diags = import_rules([tmp_path])
    assert text is not None, diags
    files = generate(load_texts({"imported.yaml": text}))
    groups = {path: YAML(typ="safe").load(content)["groups"] for path, content in files.items()
              if "/prometheus/rules/" in path}
    assert sorted((g["name"], g["rules"][0]["expr"]) for gs in groups.values() for g in gs) == [
        ("api", 'up{job="a"} == 0'), ("api", 'up{job="b"} == 0')]
    assert len(groups) == 2  # one file each


def test_alerts_of_one_name_and_severity_told_apart_by_labels_import_as_the_burn_rate_pattern(tmp_path):
    rules = tmp_path / "burn.yml"
    rules.write_text("""groups:
  - name: slos
    rules:
      - alert: ErrorBudgetBurn
        expr: job:errors:ratio1h > 14.4 * 0.001 and job:errors:ratio5m > 14.4 * 0.001
        labels: {severity: critical, long: 1h, short: 5m}
      - alert: ErrorBudgetBurn
        expr: job:errors:ratio6h > 6 * 0.001 and job:errors:ratio30m > 6 * 0.001
        labels: {severity: critical, long: 6h, short: 30m}
""", encoding="utf-8")
    text, diags = import_rules([rules])
    assert text is not None, diags
    rebuilt = YAML(typ="safe").load(generate(load_texts({"imported.yaml": text}))[
        "default/prometheus/rules/slos.rules.yml"])
    assert [r["labels"]["long"] for r in rebuilt["groups"][0]["rules"]] == ["1h", "6h"]


def test_group_labels_and_query_offset_import_and_raise_the_targeted_prometheus_version(tmp_path):
    rules = tmp_path / "settings.yml"
    rules.write_text("""groups:
  - name: api
    query_offset: 1m
    labels:
      env: prod
    rules:
      - alert: ApiDown
        expr: up{job="api"} == 0
        labels:
          severity: critical
""", encoding="utf-8")
    text, diags = import_rules([rules])
    assert text is not None, diags
    assert "prometheus_version: '3.0'" in text and "rule group 'api' has labels" in text
    project = load_texts({"imported.yaml": text})
    assert project.ok
    [group] = YAML(typ="safe").load(generate(project)["default/prometheus/rules/api.rules.yml"])["groups"]
    assert (group["query_offset"], group["labels"]) == ("1m", {"env": "prod"})
    older = text.replace("prometheus_version: '3.0'", "prometheus_version: '2.53'")
    assert [(d.code, "labels" in d.message) for d in load_texts({"imported.yaml": older}).diagnostics
            if d.severity is Severity.ERROR] == [("OBS082", True)]


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
    found = load_texts({"imported.yaml": text}).diagnostics
    assert not [d for d in found if d.severity is Severity.ERROR], "\n".join(map(format_text, found))
    # Comparing raw counters has real uses: a warning, at the expression (the inferred type is a guess).
    raw = [d for d in found if d.code == "OBS052"]
    assert len(raw) == 1 and raw[0].severity is Severity.WARNING
    assert "TradingVolumeAnomaly" in raw[0].message and "trades_executed_total" in raw[0].message
    line = text.splitlines()[raw[0].pos.line - 1]
    assert line.strip() == "expr: trades_executed_total offset 1h > trades_executed_total * 3"


def test_validate_finds_no_error_in_the_qlib_pro_rules():
    text, _ = run_import("qlib-pro-alerts.yml")
    assert not [d for d in load_texts({"imported.yaml": text}).diagnostics if d.severity is Severity.ERROR]


# ----------------------------------------------------------------------------- into a project

SPECS = Path("specs")  # the reference spec (the tests run at the top of the repository)
IMPORTED = "imported.yaml"


def import_into(names: list[str], into: list[Path], **kwargs) -> tuple[str, list]:
    text, diags = import_rules([fixture(n) if isinstance(n, str) else n for n in names], into=into, **kwargs)
    errors = [format_text(d) for d in diags if d.severity is Severity.ERROR]
    assert text is not None and not errors, "\n".join(errors)
    return text, diags


def validated_together(text: str, project: Path = SPECS) -> list:
    """What `obsgen validate PROJECT imported.yaml` reports."""
    texts = {f.as_posix(): f.read_text(encoding="utf-8") for f in sorted(project.rglob("*.y*ml"))}
    return load_texts({**texts, IMPORTED: text}).diagnostics


def metric_findings(diags: list) -> set[tuple[str, str, str]]:
    """(code, metric, alert) of every PromQL finding about a metric in the imported file."""
    out = set()
    for d in diags:
        if d.pos.file == IMPORTED and "OBS050" <= d.code <= "OBS055":
            alert = re.match(r"alert (\w+)", d.message)
            for metric in re.findall(r"`([A-Za-z_:][A-Za-z0-9_:]*)`", d.message):
                out.add((d.code, metric, alert.group(1) if alert else ""))
    return out


def expr_pos(text: str, alert: str) -> tuple[int, int]:
    """line:col of the expression of an alert in the imported spec."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == f"- name: {alert}")
    i = next(i for i in range(start, len(lines)) if lines[i].lstrip().startswith("expr: "))
    return i + 1, lines[i].index("expr: ") + len("expr: ") + 1


def test_without_inference_validate_reports_the_waardhaven_metric_nothing_exports_and_the_raw_counter():
    text, diags = import_into(["waardhaven-alerts.yml"], [SPECS], infer=False)
    assert not [d for d in diags if d.severity is Severity.WARNING], "\n".join(map(format_text, diags))
    assert METRICS_SERVICE not in services_of(text)
    found = validated_together(text)
    assert metric_findings(found) == {("OBS050", "database_connections_max", "DatabaseConnectionPoolExhausted"),
                                      ("OBS052", "trades_executed_total", "TradingVolumeAnomaly")}
    [unknown] = [d for d in found if d.code == "OBS050"]
    assert (unknown.pos.line, unknown.pos.col) == expr_pos(text, "DatabaseConnectionPoolExhausted")
    assert unknown.hint == "did you mean `database_connections_active`?"
    [raw] = [d for d in found if d.code == "OBS052"]
    assert raw.severity is Severity.WARNING
    assert (raw.pos.line, raw.pos.col) == expr_pos(text, "TradingVolumeAnomaly")
    # The import itself is sound: all other errors are the project's coverage objective, which the
    # imported services (no scrape job, no dashboard) lower.
    errors = {d.code for d in found if d.severity is Severity.ERROR}
    assert errors == {"OBS071"}, "\n".join(map(format_text, found))


def test_without_inference_validate_reports_the_qlib_metric_nothing_exports():
    text, _ = import_into(["qlib-pro-alerts.yml"], [SPECS], infer=False)
    found = validated_together(text)
    assert metric_findings(found) == {("OBS050", "market_data_last_update", "MarketDataStale")}
    [unknown] = [d for d in found if d.code == "OBS050"]
    assert (unknown.pos.line, unknown.pos.col) == expr_pos(text, "MarketDataStale")
    assert unknown.hint == "did you mean `market_data_updates_total`?"


@pytest.mark.parametrize("name, unknown", [("waardhaven-alerts.yml", "database_connections_max"),
                                           ("qlib-pro-alerts.yml", "market_data_last_update")])
def test_into_a_project_the_inferred_catalog_holds_only_what_the_project_does_not_provide(name, unknown):
    text, _ = import_into([name], [SPECS])
    assert set(catalog_of(text)) == {unknown}
    assert not [d for d in validated_together(text) if d.code == "OBS050"]


def test_into_a_project_its_teams_and_routing_are_used_not_defined_again():
    text, _ = import_into(["qlib-pro-alerts.yml"], [SPECS])
    doc = load(text)
    assert [t["name"] for t in doc["teams"]] == ["imported"]  # backend, data, quant, ... are the project's
    assert {a["team"] for a in services_of(text)["qlib-pro-alerts"]["alerts"]} >= {"backend", "data", "quant"}
    assert "routing" not in doc  # the project routes (default_team: devops)
    text, _ = import_into(["qlib-pro-alerts.yml"], [SPECS], team="devops")
    assert "teams" not in load(text)
    assert not [d for d in validated_together(text) if d.code in ("OBS020", "OBS021", "OBS022")]


PROJECT = """\
apiVersion: obsgen/v1
teams:
  - name: payments
    slack: {channel: "#payments", api_url_file: /etc/alertmanager/slack-url}
services:
  - name: checkout
    team: payments
    scrape: {static: ["checkout:8000"]}
    metrics:
      - {name: checkout_request_seconds, type: histogram, help: Request latency}
      - {name: checkout_rpc_seconds, type: summary, help: RPC latency}
      - {name: checkout_requests_total, type: counter, help: Requests, labels: [code]}
    recording_rules:
      - {record: "job:checkout_requests:rate5m", expr: "sum by (job) (rate(checkout_requests_total[5m]))"}
    slos:
      - name: availability
        objective: 99.9
        sli: {ratio: {bad: 'checkout_requests_total{code=~"5.."}', total: checkout_requests_total}}
  - name: imported-metrics
    team: payments
    scrape: {exporter: {kind: node, targets: ["node"]}}
"""

RULES = """\
groups:
  - name: checkout
    rules:
      - alert: CheckoutSlow
        expr: histogram_quantile(0.99, rate(checkout_request_seconds_bucket[5m])) > 1
        labels: {severity: warning, team: payments}
      - alert: CheckoutRpcSlow
        expr: rate(checkout_rpc_seconds_sum[5m]) / rate(checkout_rpc_seconds_count[5m]) > 0.5
        labels: {severity: warning, team: payments}
      - alert: CheckoutRpcP99
        expr: checkout_rpc_seconds{quantile="0.99"} > 2
        labels: {severity: warning, team: payments}
      - alert: CheckoutLatencyMisread
        expr: checkout_request_seconds > 1
        labels: {severity: warning, team: payments}
      - alert: CheckoutErrors
        expr: job:checkout_requests:rate5m > 100 and slo:sli_bad:rate5m > 1
        labels: {severity: warning, team: payments}
      - alert: NodeBusy
        expr: node_load1 > 8 or go_goroutines > 1000 or up == 0
        labels: {severity: warning, team: payments}
      - alert: RefundsSpike
        expr: rate(payment_refunds_total[5m]) > 1
        labels: {severity: warning, team: payments}
"""


@pytest.fixture
def small_project(tmp_path) -> tuple[Path, Path]:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "obsgen.yaml").write_text(PROJECT, encoding="utf-8")
    (tmp_path / "rules.yml").write_text(RULES, encoding="utf-8")
    return tmp_path / "specs", tmp_path / "rules.yml"


def test_the_catalog_leaves_out_catalogs_histogram_and_summary_series_recording_and_slo_rules_and_exporters(
        small_project):
    specs, rules = small_project
    text, _ = import_into([rules], [specs])
    services = services_of(text)
    assert {m["name"] for m in services["imported-metrics-2"]["metrics"]} == {"payment_refunds_total"}
    found = validated_together(text, specs)
    # A histogram's bare name is the project's too: left out, so that validate says what it is.
    assert metric_findings(found) == {("OBS050", "checkout_request_seconds", "CheckoutLatencyMisread")}
    assert [d.hint for d in found if d.code == "OBS050"] == [
        "`checkout_request_seconds` is a histogram: its series are checkout_request_seconds_bucket, "
        "checkout_request_seconds_sum and checkout_request_seconds_count"]
    assert not [d for d in found if d.severity is Severity.ERROR], "\n".join(map(format_text, found))


def test_names_the_project_has_are_not_taken_again_and_a_renamed_group_is_a_warning(small_project):
    specs, rules = small_project
    text, diags = import_into([rules], [specs])
    services = services_of(text)
    assert set(services) == {"checkout-2", "imported-metrics-2"}
    assert services["checkout-2"]["rule_group"]["name"] == "checkout-imported"
    [renamed] = [d for d in diags if d.code == "OBS042"]
    assert (renamed.severity, Path(renamed.pos.file).name, renamed.pos.line, renamed.pos.col) == \
           (Severity.WARNING, "rules.yml", 2, 11)
    assert "group 'checkout' is imported as group 'checkout-imported': service 'checkout'" in renamed.message
    doc = load(text)
    assert [t["name"] for t in doc["teams"]] == ["imported"]  # payments is the project's
    assert doc["routing"] == {"default_team": "imported"}  # the project has no routing
    assert not [d for d in validated_together(text, specs) if d.code == "OBS020"]
    rebuilt = {g["name"] for g in rebuilt_groups_with(text, specs)}
    assert {"checkout", "checkout-imported"} <= rebuilt


def test_alerts_whose_service_label_names_a_project_service_go_to_a_new_service_with_a_warning(small_project):
    specs, rules = small_project
    rules.write_text("groups:\n  - name: refunds\n    rules:\n      - alert: RefundsSpike\n"
                     "        expr: rate(payment_refunds_total[5m]) > 1\n"
                     "        labels: {severity: warning, service: checkout}\n", encoding="utf-8")
    text, diags = import_into([rules], [specs])
    assert services_of(text)["refunds"]["rule_group"] == {"name": "refunds", "alert_labels": []}
    [lost] = [d for d in diags if d.code == "OBS042"]
    assert (lost.pos.line, lost.pos.col) == (6, 46)
    assert "loses the label service='checkout' (the project's service is named 'checkout', so the group is " \
           "imported as service 'refunds'" in lost.message


def rebuilt_groups_with(text: str, project: Path) -> list[dict]:
    texts = {f.as_posix(): f.read_text(encoding="utf-8") for f in sorted(project.rglob("*.y*ml"))}
    built = generate(load_texts({**texts, IMPORTED: text}), ["rules"])
    return [g for path, content in built.items() if "/prometheus/rules/" in path for g in load(content)["groups"]]


def test_into_a_project_with_errors_reports_them_and_imports_nothing(small_project):
    specs, rules = small_project
    (specs / "obsgen.yaml").write_text(PROJECT.replace("    team: payments\n    scrape: {static",
                                                       "    teem: payments\n    scrape: {static"), encoding="utf-8")
    text, diags = import_rules([rules], into=[specs])
    assert text is None
    errors = [d for d in diags if d.severity is Severity.ERROR]
    assert errors and all(Path(d.pos.file).parent.name == "specs" for d in errors)
    assert ("OBS010", 7, 5) in {(d.code, d.pos.line, d.pos.col) for d in errors}


def test_into_a_project_that_is_missing_the_rule_files_own_errors_are_reported_too(tmp_path):
    text, diags = import_rules([(FIXTURES / "bad").relative_to(REPO)], into=[tmp_path / "missing"])
    assert text is None
    files = {d.pos.file for d in diags if d.severity is Severity.ERROR}
    assert any("missing" in f for f in files) and any(f.startswith("tests/fixtures") for f in files)


def test_a_group_label_obsgen_routes_by_is_the_alerts_own_where_it_has_none(tmp_path):
    rules = tmp_path / "g.yml"
    rules.write_text("""groups:
  - name: db
    labels: {severity: critical, env: prod}
    rules:
      - alert: DbDown
        expr: up{job="db"} == 0
      - alert: DbSlow
        expr: db_latency_seconds > 1
        labels: {severity: warning}
""", encoding="utf-8")
    text, diags = import_rules([rules])
    assert text is not None, diags
    alerts = {a["name"]: a for a in YAML(typ="safe").load(text)["services"][0]["alerts"]}
    assert (alerts["DbDown"]["severity"], alerts["DbSlow"]["severity"]) == ("critical", "warning")


GROUP_SETTINGS_SPEC = """\
apiVersion: obsgen/v1
global: {prometheus_version: "3.0"}
teams: [{name: ops, email: {to: ops@example.com}}]
routing: {default_team: ops, smtp: {smarthost: "smtp:25", from: am@example.com}}
services:
  - name: api
    team: ops
    rule_group: {labels: {env: prod}, query_offset: 1m}
    alerts:
      - {name: ApiDown, expr: 'up{job="api"} == 0', for: 5m, severity: warning, summary: s, description: d}
"""


@needs("promtool", "amtool")
@pytest.mark.parametrize("target", ["files", "operator", "mimir"])
def test_group_labels_and_query_offset_pass_obsgen_check_with_any_promtool(tmp_path, target):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "spec.yaml").write_text(GROUP_SETTINGS_SPEC, encoding="utf-8")
    run = lambda *args: subprocess.run([sys.executable, "-m", "obsgen", *args], cwd=tmp_path,  # noqa: E731
                                       capture_output=True, text=True, timeout=300)
    built = run("build", "specs", "--target", target, "-o", "out")
    assert built.returncode == 0, built.stderr
    checked = run("check", "out")
    assert checked.returncode == 0, checked.stdout + checked.stderr


@needs("promtool")
def test_group_settings_an_older_promtool_lacks_are_still_checked_by_obsgen(tmp_path):
    from obsgen.features.verify import _rules

    bad = tmp_path / "x.rules.yml"
    bad.write_text("groups:\n  - name: g\n    labels: {bad-name: x}\n    query_offset: soon\n    rules:\n"
                   "      - {alert: A, expr: up == 0}\n", encoding="utf-8")
    result = _rules(bad, "x.rules.yml", {"promtool": shutil.which("promtool")})
    newer = "checked structurally only" in result.note
    if newer:  # this promtool predates the settings: obsgen's own check must catch both
        assert not result.ok and "bad-name" in result.detail and "soon" in result.detail
    else:  # a promtool that has them refuses them itself
        assert not result.ok
