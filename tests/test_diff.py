"""obsgen diff: golden reports per kind of difference, properties, built folders and git refs.

Golden cases: tests/golden_diff/<case>/old/*.yaml and new/*.yaml are built in memory and diffed;
the report in each format must equal expected.txt, expected.md and expected.json beside them.
After an intended change of output, run `pytest tests/test_diff.py --update-golden` and review
the diff of the expected files like any other change.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from obsgen.api import generate, load_project, load_texts
from obsgen.features.diff import Change, DiffError, Report, diff_trees, format_report, read_tree, run_diff
from obsgen.write.tree import write_tree

GOLDEN = Path(__file__).parent / "golden_diff"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "old").is_dir())
FORMATS = {"text": "expected.txt", "markdown": "expected.md", "json": "expected.json"}
REFERENCE = Path(__file__).parent.parent / "specs"


def build_texts(texts: dict[str, str], targets: list[str] | None = None) -> dict[str, str]:
    project = load_texts(texts)
    assert project.ok, [str(d) for d in project.diagnostics]
    return generate(project, targets)


def build_folder(folder: Path) -> dict[str, str]:
    return build_texts({f.name: f.read_text(encoding="utf-8") for f in sorted(folder.glob("*.yaml"))})


def config_only(tree: dict[str, str]) -> dict[str, str]:
    """The golden cases pin the diff of configuration; the test fixtures obsgen writes beside it
    (promtool unit tests, routing tests) have golden files of their own and are left out."""
    return {p: t for p, t in tree.items() if "/tests/" not in p and not p.endswith("-tests.yaml")}


@pytest.fixture(scope="module")
def golden_reports() -> dict[str, Report]:
    return {case: diff_trees(config_only(build_folder(GOLDEN / case / "old")),
                             config_only(build_folder(GOLDEN / case / "new")))
            for case in CASES}


# ----------------------------------------------------------------------------- golden reports

@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("case", CASES)
def test_golden_case_reports_exactly_its_expected_output(case, fmt, golden_reports, update_golden):
    got = format_report(golden_reports[case], fmt, color=False)
    expected = GOLDEN / case / FORMATS[fmt]
    if update_golden:
        expected.write_text(got, encoding="utf-8", newline="\n")
    assert got == expected.read_text(encoding="utf-8")


def test_there_is_a_golden_case_for_every_kind_of_object(golden_reports):
    from obsgen.features.diff import KINDS

    seen = {c.kind for r in golden_reports.values() for c in r.changes}
    assert seen == set(KINDS)


def test_reordered_files_keys_and_items_are_no_difference(golden_reports):
    report = golden_reports["unchanged"]
    assert report.empty
    assert format_report(report, "text") == "obsgen diff: no changes\n"
    assert format_report(report, "markdown") == "### obsgen diff\n\nNo changes.\n"
    assert json.loads(format_report(report, "json")) == {"changes": [], "risky": 0, "summary": {}}


def test_each_risky_rule_is_flagged_in_the_golden_cases(golden_reports):
    reasons = {(c.kind, c.object_id, c.field): c.reason for r in golden_reports.values() for c in r.risky}
    assert reasons[("alert", "api/HighErrorRate", "expr")].startswith("threshold of `>` moved from 0.05 to 0.1")
    assert reasons[("alert", "api/LowTraffic", "expr")].startswith("threshold of `<` moved from 10 to 5")
    assert reasons[("alert", "api/SlowRequests", "for")].startswith("`for` longer")
    assert reasons[("alert", "api/SlowRequests", "labels.severity")].startswith("severity lowered")
    assert reasons[("alert", "api/QueueBacklog", "")] == "alert removed"
    assert "pagerduty" in reasons[("receiver", "payments-critical", "pagerduty[/s/pd-payments]")]
    assert "sms" in reasons[("receiver", "payments-critical", "webhook[http://sms:8080/send]")]
    assert reasons[("slo", "api/availability", "objective")] == "SLO objective lowered from 99.9% to 99.5%"


def test_a_lower_threshold_a_shorter_for_and_a_moved_alert_are_not_risky(golden_reports):
    alerts = {(c.object_id, c.field): c for c in golden_reports["alerts"].changes}
    assert not alerts[("api/SlowRequests", "expr")].risky  # > 2 -> > 1.5 fires sooner
    moved = alerts[("api/JobsStuck", "group")]
    assert (moved.old, moved.new, moved.risky) == ("worker", "api", False)


def test_markdown_folds_long_sections_into_details(golden_reports):
    text = format_report(golden_reports["slos"], "markdown")
    assert "<details><summary>Recording rules</summary>" in text
    assert "#### SLOs" in text
    assert text.index("**⚠ risky**") < text.index("#### SLOs")


def test_text_is_coloured_only_when_asked(golden_reports):
    report = golden_reports["alerts"]
    assert "\x1b[" not in format_report(report, "text", color=False)
    coloured = format_report(report, "text", color=True)
    assert "\x1b[1;31m" in coloured and "\x1b[32m" in coloured
    assert format_report(report, "text", color=False) == re.sub(r"\x1b\[[0-9;]*m", "", coloured)


def test_json_is_sorted_and_stable(golden_reports):
    text = format_report(golden_reports["routing"], "json")
    doc = json.loads(text)
    assert text == json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert doc["risky"] == 2 and doc["summary"]["receiver"] == {"added": 3, "changed": 1, "removed": 0}


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown format"):
        format_report(Report(), "yaml")


# ----------------------------------------------------------------------------- properties

NAMES = st.lists(st.from_regex(r"[A-Z][a-z]{2,8}", fullmatch=True), min_size=1, max_size=6, unique=True)


def alerts_spec(alerts: dict[str, dict]) -> dict[str, str]:
    lines = ["apiVersion: obsgen/v1",
             "teams:", "  - {name: web, slack: {channel: '#web', api_url_file: /s/web}}",
             "services:", "  - name: api", "    team: web", "    alerts:"]
    for name, a in alerts.items():
        labels = ", ".join(f"{k}: {v}" for k, v in sorted(a["labels"].items()))
        lines.append(f"      - {{name: {name}, expr: 'sum(rate(x_total[5m])) > {a['threshold']}', "
                     f"for: {a['for']}m, severity: {a['severity']}, summary: s, description: d, "
                     f"labels: {{{labels}}}}}")
    return {"spec.yaml": "\n".join(lines) + "\n"}


@st.composite
def alert_sets(draw):
    names = draw(NAMES)
    return {n: {"threshold": draw(st.integers(0, 1000)), "for": draw(st.integers(0, 30)),
                "severity": draw(st.sampled_from(["critical", "warning", "info"])),
                "labels": draw(st.dictionaries(st.sampled_from(["tier", "owner", "area"]),
                                               st.sampled_from(["a", "b", "c"]), max_size=2))}
            for n in names}


@st.composite
def mutations(draw):
    alerts = draw(alert_sets())
    changed = draw(st.sets(st.sampled_from(sorted(alerts))))
    new = {n: dict(a, labels=dict(a["labels"])) for n, a in alerts.items()}
    for n in changed:
        what = draw(st.sampled_from(["threshold", "for", "labels"]))
        if what == "threshold":
            new[n]["threshold"] += draw(st.integers(1, 50)) * draw(st.sampled_from([-1, 1]))
        elif what == "for":
            new[n]["for"] += draw(st.integers(1, 10))
        else:
            new[n]["labels"]["extra"] = draw(st.sampled_from(["x", "y"]))
    return alerts, new, changed


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alert_sets())
def test_a_build_diffed_against_itself_is_empty(alerts):
    tree = build_texts(alerts_spec(alerts))
    assert diff_trees(tree, tree).empty
    assert diff_trees(tree, dict(reversed(list(tree.items())))).empty


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_the_diff_lists_exactly_the_alerts_that_were_changed(case):
    old, new, changed = case
    report = diff_trees(build_texts(alerts_spec(old), ["rules"]), build_texts(alerts_spec(new), ["rules"]))
    assert {c.object_id for c in report.changes} == {f"api/{n}" for n in changed}
    assert all(c.kind == "alert" and c.action == "changed" for c in report.changes)
    for c in report.changes:
        name = c.object_id.split("/")[1]
        if c.field == "expr":
            assert c.risky == (new[name]["threshold"] > old[name]["threshold"])
        elif c.field == "for":
            assert c.risky
        else:
            assert not c.risky


def test_the_reference_build_diffed_against_itself_is_empty():
    tree = generate(load_project([REFERENCE]))
    assert diff_trees(tree, tree).empty


def test_objects_are_read_back_from_every_file_of_the_reference_build():
    from obsgen.features.diff import objects

    from obsgen.features.diff.objects import READERS
    from obsgen.targets import file_kind

    tree = generate(load_project([REFERENCE]))
    found = objects(tree)
    as_text = {f"{env}/{oid}" for kind, env, oid in found if kind == "file"}
    readable = {p for p in tree if (kind := file_kind(p.split("/", 1)[1])) and kind[0] in READERS}
    assert readable and not readable & as_text  # every file a reader knows was read
    assert {kind for kind, _, _ in found} >= {"scrape_job", "alert", "slo", "route", "receiver", "dashboard",
                                              "sampling", "jaeger", "inhibit_rule", "time_interval"}


# ----------------------------------------------------------------------------- folders and files

def test_a_written_build_reads_back_as_the_same_tree(tmp_path):
    tree = build_folder(GOLDEN / "routing" / "new")
    write_tree(tmp_path / "out", tree)
    assert read_tree(tmp_path / "out") == tree
    (tmp_path / "out" / "notes.txt").write_text("a person's file\n")
    assert read_tree(tmp_path / "out") == tree  # the manifest says what obsgen owns


def test_a_folder_without_manifest_is_read_whole_and_a_missing_one_is_an_error(tmp_path):
    (tmp_path / "default").mkdir()
    (tmp_path / "default" / "x.txt").write_text("x\n")
    (tmp_path / ".hidden").write_text("h\n")
    assert read_tree(tmp_path) == {"default/x.txt": "x\n"}
    with pytest.raises(DiffError, match="not a folder"):
        read_tree(tmp_path / "nope")


def test_a_file_that_cannot_be_parsed_is_compared_as_text():
    tree = build_folder(GOLDEN / "scrape" / "old")
    broken = dict(tree, **{"default/prometheus/prometheus.yml": "scrape_configs: [\n"})
    report = diff_trees(tree, broken)
    kinds = {(c.kind, c.action) for c in report.changes}
    assert ("file", "added") in kinds and ("scrape_job", "removed") in kinds


def test_generated_headers_naming_other_spec_files_are_no_difference():
    tree = build_folder(GOLDEN / "alerts" / "old")
    renamed = build_texts({"renamed.yaml": (GOLDEN / "alerts" / "old" / "spec.yaml").read_text()})
    assert tree != renamed
    assert diff_trees(tree, renamed).empty


def test_changes_sort_by_kind_then_environment_then_object():
    a = Change("file", "b", "x", "text", None, "d")
    b = Change("alert", "b", "z")
    c = Change("alert", "a", "z", old={})
    assert sorted([a, b, c], key=Change.sort_key) == [c, b, a]
    assert (b.action, c.action, a.action) == ("added", "removed", "changed")


# ----------------------------------------------------------------------------- run_diff

def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd,
                          check=True, capture_output=True, text=True).stdout


def test_run_diff_compares_with_the_built_folder_or_any_other(tmp_path):
    specs = tmp_path / "specs"
    shutil.copytree(GOLDEN / "alerts" / "old", specs)
    write_tree(tmp_path / "generated", build_folder(specs))
    assert run_diff(cwd=tmp_path).empty
    shutil.copy(GOLDEN / "alerts" / "new" / "spec.yaml", specs / "spec.yaml")
    report = run_diff(cwd=tmp_path)
    assert ("alert", "default", "api/DiskFull") in report.objects()
    write_tree(tmp_path / "elsewhere", build_folder(specs))
    assert run_diff(cwd=tmp_path, against=tmp_path / "elsewhere").empty


def test_run_diff_base_builds_the_spec_at_a_git_ref_in_a_temporary_worktree(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(GOLDEN / "alerts" / "old", repo / "specs")
    _git(repo, "init", "-q")
    _git(repo, "add", "specs")
    _git(repo, "commit", "-q", "-m", "spec")
    shutil.copy(GOLDEN / "alerts" / "new" / "spec.yaml", repo / "specs" / "spec.yaml")
    report = run_diff(base="HEAD", cwd=repo)
    expected = diff_trees(build_folder(GOLDEN / "alerts" / "old"), build_folder(GOLDEN / "alerts" / "new"))
    assert report == expected
    assert _git(repo, "worktree", "list").count("\n") == 1  # the temporary worktree is gone
    with pytest.raises(DiffError, match="not a commit"):
        run_diff(base="no-such-ref", cwd=repo)
    assert _git(repo, "worktree", "list").count("\n") == 1


def test_run_diff_base_removes_the_worktree_when_the_old_spec_has_errors(tmp_path):
    repo = tmp_path / "repo"
    (repo / "specs").mkdir(parents=True)
    (repo / "specs" / "spec.yaml").write_text("apiVersion: obsgen/v1\nservices: [{name: Bad_Name}]\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "specs")
    _git(repo, "commit", "-q", "-m", "bad spec")
    shutil.copy(GOLDEN / "alerts" / "old" / "spec.yaml", repo / "specs" / "spec.yaml")
    with pytest.raises(DiffError, match="at HEAD has errors") as err:
        run_diff(base="HEAD", cwd=repo)
    assert err.value.diagnostics
    assert _git(repo, "worktree", "list").count("\n") == 1


def test_run_diff_base_from_before_the_spec_existed_reports_everything_added(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README").write_text("x\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "README")
    _git(repo, "commit", "-q", "-m", "start")
    shutil.copytree(GOLDEN / "alerts" / "old", repo / "specs")
    report = run_diff(base="HEAD", cwd=repo)
    assert report.changes and all(c.action == "added" for c in report.changes)


def test_run_diff_refuses_against_and_base_together(tmp_path):
    with pytest.raises(DiffError, match="not both"):
        run_diff(against=tmp_path, base="HEAD", cwd=tmp_path)


# ----------------------------------------------------------------------------- routes and pagers

AM = """route:
  receiver: {root}
  routes:
{routes}
receivers:
  - name: mail
    email_configs: [{{to: ops@example.com}}]
  - name: pager
    pagerduty_configs: [{{routing_key_file: /s/pd}}]
    email_configs: [{{to: ops@example.com}}]
"""
CRITICAL = '    - {matchers: [\'severity="critical"\'], receiver: %s}'
WARNING = '    - {matchers: [\'severity="warning"\'], receiver: mail}'


def am_tree(root: str = "mail", critical: str | None = "pager") -> dict[str, str]:
    routes = "\n".join(([CRITICAL % critical] if critical else []) + [WARNING])
    return {"prod/alertmanager/alertmanager.yml": AM.format(root=root, routes=routes)}


def test_a_critical_route_sent_to_a_receiver_without_a_pager_is_risky():
    report = diff_trees(am_tree(), am_tree(critical="mail"))
    (change,) = report.changes
    assert (change.kind, change.object_id, change.field) == ("route", '{severity="critical"}', "receiver")
    assert change.risky and "mail, which has no pagerduty" in change.reason


def test_a_critical_route_removed_is_risky_and_a_warning_route_is_not():
    report = diff_trees(am_tree(), am_tree(critical=None))
    assert [(c.object_id, c.action, c.risky) for c in report.changes] == [('{severity="critical"}', "removed", True)]
    report = diff_trees(am_tree(critical="mail"), am_tree(critical="pager"))
    assert not report.risky  # gaining a pager is fine


def test_a_route_that_inherits_its_receiver_is_judged_by_the_inherited_one():
    inherited = {k: v.replace("receiver: pager}", "}") for k, v in am_tree(root="pager").items()}
    report = diff_trees(inherited, am_tree(root="mail", critical="mail"))
    flagged = {(c.object_id, c.field) for c in report.risky}
    assert flagged == {("(root)", "receiver"), ('{severity="critical"}', "receiver")}


# ----------------------------------------------------------------------------- the command line

def _cli_command(name: str):
    from obsgen.cli.app import app

    assert any((c.name or c.callback.__name__) == name for c in app.registered_commands), f"no `obsgen {name}`"
    return app


def test_obsgen_diff_exits_1_on_changes_0_with_exit_zero_and_2_on_errors(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    app = _cli_command("diff")
    shutil.copytree(GOLDEN / "alerts" / "old", tmp_path / "specs")
    write_tree(tmp_path / "generated", build_folder(tmp_path / "specs"))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["diff"]).exit_code == 0
    shutil.copy(GOLDEN / "alerts" / "new" / "spec.yaml", tmp_path / "specs" / "spec.yaml")
    result = runner.invoke(app, ["diff", "--format", "markdown"])
    assert result.exit_code == 1 and result.output.startswith("### obsgen diff")
    assert runner.invoke(app, ["diff", "--exit-zero", "--format", "json"]).exit_code == 0
    assert runner.invoke(app, ["diff", "--against", str(tmp_path / "missing")]).exit_code == 2


def test_obsgen_schema_prints_the_committed_schema():
    from typer.testing import CliRunner

    app = _cli_command("schema")
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    assert result.output == (Path(__file__).parent.parent / "schemas" / "obsgen-v1.json").read_text(encoding="utf-8")
