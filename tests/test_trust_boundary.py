"""The output folder and every input are a trust boundary (README, "Security model").

A spec, a committed generated/ tree (its manifest, links and files) and the tools obsgen calls
may come from someone untrusted: nothing outside the output folder is read through a link,
written or removed; every input is bounded before a parser or a regex sees it; and a failure is
one clear line, never a traceback, with nothing half-written.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import needs

from obsgen.cli import commands
from obsgen.write import tree as writer
from obsgen.api import load_texts
from obsgen.features.verify import CheckResult, check_tree
from obsgen.core.credentials import redact, scan_text
from obsgen.core.diagnostics import format_json, format_text
from obsgen.write.tree import MANIFEST, OutputError, write_tree

ROOT = Path(__file__).parents[1]
STARTER = ROOT / "templates" / "init" / "obsgen.yaml"  # environments production and staging


def obsgen(*args: str, cwd: Path, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "obsgen", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1", **(env or {})}, timeout=timeout)


def no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr


@pytest.fixture
def project(tmp_path) -> Path:
    """A repository-like folder: specs/ with the starter spec, built once into generated/."""
    repo = tmp_path / "repo"
    (repo / "specs").mkdir(parents=True)
    shutil.copy(STARTER, repo / "specs" / "obsgen.yaml")
    done = obsgen("build", cwd=repo)
    assert done.returncode == 0, done.stderr
    return repo


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder beside the project holding files an attacker would like obsgen to touch."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "precious").write_text("keep me\n")
    return folder


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def consistent(out: Path) -> bool:
    """Every file the manifest lists is there with the digest it records."""
    files = json.loads((out / MANIFEST).read_text())["files"]
    return all(hashlib.sha256((out / rel).read_bytes()).hexdigest() == digest for rel, digest in files.items())


# ----------------------------------------------------------------------------- 1. the manifest is data

def _poison_manifest(out: Path, entries: list[str], digest_of: Path) -> None:
    manifest = json.loads((out / MANIFEST).read_text())
    for entry in entries:
        manifest["files"][entry] = hashlib.sha256(digest_of.read_bytes()).hexdigest()
    (out / MANIFEST).write_text(json.dumps(manifest))


@pytest.mark.parametrize("command", [["build"], ["build", "--check"], ["diff"]])
def test_a_manifest_listing_paths_outside_the_output_folder_never_makes_obsgen_touch_them(project, outside,
                                                                                         command):
    (project / "README").write_text("the repository's own\n")
    precious = outside / "precious"
    entries = [str(precious), f"../../elsewhere/{precious.name}", "../README", "production/../../README",
               "./production/x", "production//x", "C:/x", "a\\..\\..\\x", ""]
    _poison_manifest(project / "generated", entries, precious)
    before = tree(outside)
    proc = obsgen(*command, cwd=project)
    no_traceback(proc)
    assert tree(outside) == before
    assert (project / "README").read_text() == "the repository's own\n"
    if command == ["build"]:
        assert proc.returncode == 0, proc.stderr
        assert "not a path inside the output folder" in proc.stderr
        assert consistent(project / "generated")
        assert set(json.loads((project / "generated" / MANIFEST).read_text())["files"]).isdisjoint(entries)


def test_a_listed_file_someone_edited_is_not_pruned(project):
    out = project / "generated"
    kept = out / "production" / "notes.txt"
    kept.write_text("my notes\n")
    _poison_manifest(out, ["production/notes.txt"], STARTER)  # a digest that is not the file's
    proc = obsgen("build", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert kept.read_text() == "my notes\n"
    assert "production/notes.txt: changed since obsgen wrote it; left alone" in proc.stderr


def test_a_file_obsgen_wrote_and_no_longer_writes_is_still_pruned(project):
    spec = project / "specs" / "obsgen.yaml"
    spec.write_text(spec.read_text().replace("  staging:\n    global:\n      external_labels: {cluster: demo-staging}\n",
                                             ""))
    proc = obsgen("build", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert not (project / "generated" / "staging").exists()


# ----------------------------------------------------------------------------- 2. links inside the folder

def test_a_folder_link_inside_the_output_folder_is_refused_and_its_target_untouched(project, outside):
    out = project / "generated"
    shutil.rmtree(out / "staging")
    (out / "staging").symlink_to(outside)
    before = tree(outside)
    for command in (["build"], ["build", "--check"], ["diff"]):
        proc = obsgen(*command, cwd=project)
        no_traceback(proc)
        assert proc.returncode != 0
        assert "staging is a symbolic link" in proc.stderr
        assert tree(outside) == before
    assert (out / "staging").is_symlink()


def test_a_file_link_inside_the_output_folder_is_never_written_through(project, outside):
    target = project / "generated" / "production" / "jaeger" / "config.yaml"
    target.unlink()
    target.symlink_to(outside / "precious")
    proc = obsgen("build", cwd=project)
    no_traceback(proc)
    assert proc.returncode == 1
    assert "config.yaml is a symbolic link" in proc.stderr and "nothing written" in proc.stderr
    assert (outside / "precious").read_text() == "keep me\n"


@needs('promtool', 'amtool')
def test_obsgen_check_reports_a_link_and_reads_nothing_through_it(project, outside):
    rules = project / "generated" / "production" / "prometheus" / "rules"
    (outside / "stolen.yml").write_text("groups: [{name: x, rules: [{record: secret_value, expr: vector(42)}]}]\n")
    (rules / "stolen.yml").symlink_to(outside / "stolen.yml")
    results = check_tree(project / "generated") if shutil.which("promtool") else None
    if results is None:
        pytest.fail("promtool missing")  # the tools are required (tests/conftest.py)
    links = [r for r in results if r.check == "no symbolic links"]
    assert [(r.file, r.ok) for r in links] == [("production/prometheus/rules/stolen.yml", False)]
    assert not any(r.file.endswith("stolen.yml") and r.check.startswith("promtool") for r in results)


# ----------------------------------------------------------------------------- 3. bounded PromQL

@pytest.mark.parametrize("expr, limit", [
    (" + ".join(["up"] * 6000) + " > 0", "characters"),
    (" + ".join(["up"] * 300) + " > 0", "operators"),
    ("(" * 100 + "up" + ")" * 100, "levels deep"),
    ("abs(" * 100 + "up" + ")" * 100, "levels deep"),
    ("-" * 400 + "up", "operators"),
])
def test_a_huge_promql_expression_is_one_diagnostic_at_its_value_not_a_crash(expr, limit):
    spec = ("apiVersion: obsgen/v1\nteams: [{name: ops, email: {to: ops@example.com}}]\n"
            "routing: {smtp: {smarthost: 'smtp:587', from: a@example.com}}\n"
            "services:\n  - name: api\n    team: ops\n    alerts:\n      - name: Huge\n"
            f"        expr: '{expr}'\n        severity: warning\n        summary: s\n        description: d\n")
    project = load_texts({"spec.yaml": spec})
    found = [d for d in project.diagnostics if d.code == "OBS037"]
    assert [(d.pos.line, d.pos.col) for d in found] == [(9, 15)]
    assert limit in found[0].message


def test_real_rule_files_are_far_inside_the_promql_limits():
    from obsgen.features.importers.rules import import_rules
    from obsgen.core.promql import bounds_problem

    corpus = Path(os.environ.get("OBSGEN_SHARED") or ROOT.parent / "shared") / "corpus" / "rules"
    files = sorted(p for p in corpus.iterdir() if p.suffix in (".yml", ".yaml"))
    assert files, f"no rule files in {corpus}"
    exprs = []
    for f in files:
        for line in f.read_text().splitlines():
            if line.strip().startswith("expr:"):
                exprs.append(line.split("expr:", 1)[1])
    assert exprs and [e for e in exprs if bounds_problem(e)] == []
    assert import_rules  # the importer parses through the same bounded parser


# ----------------------------------------------------------------------------- 4. a linear secret scanner

@pytest.mark.parametrize("unit", ["events.pagerduty.com/", "eyj", "eyJhbGciOiJI.", "://a:", "bearer ", "password=",
                                  "xoxb-", "?token=", "-----BEGIN "])
def test_the_secret_scanner_is_linear_on_adversarial_text(unit):
    text = unit * (2_000_000 // len(unit))  # 2 MB; a backtracking scanner took a minute on 339 KB
    started = time.process_time()
    scan_text(text)
    redact(text[:100_000])
    # A hang guard, not a speed test: RE2 takes well under a second, a quadratic scanner hours.
    assert time.process_time() - started < 120


def test_a_spec_of_repeated_near_misses_validates_quickly(tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    summary = "events.pagerduty.com/" * 64_000  # 1.3 MB: quadratic scanning would take a quarter of an hour
    text = STARTER.read_text().replace("summary: More than 5% of web-api requests fail", f"summary: {summary}")
    (specs / "obsgen.yaml").write_text(text)
    started = time.monotonic()
    proc = obsgen("validate", str(specs), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - started < 300  # a hang guard: it took 40-70 s of CPU before, a second now


# ----------------------------------------------------------------------------- 5. team templates

@pytest.mark.parametrize("text", [
    '{{ end }}{{ define "obsgen.slack.text" }}pwned{{ end }}{{ define "x" }}',
    '{{ define "obsgen.slack.text" }}pwned{{ end }}',
    '{{ block "obsgen.slack.text" . }}pwned{{ end }}',
    '{{- end -}}{{ template "obsgen.slack.title" . }}',
    '{{ if .Alerts }}unclosed',
])
def test_a_team_template_cannot_close_its_define_or_define_other_templates(text):
    spec = ("apiVersion: obsgen/v1\nteams:\n  - name: ops\n    slack: {channel: '#ops', api_url_file: /s}\n"
            f"    templates:\n      slack_text: '{text}'\n")
    project = load_texts({"spec.yaml": spec})
    assert [(d.code, d.pos.line) for d in project.diagnostics if d.code == "OBS031"] == [("OBS031", 6)]


@pytest.mark.parametrize("text", [
    "{{ range .Alerts }}{{ .Labels.alertname }}: {{ .Annotations.summary }}\n{{ end }}",
    '{{ if eq .Status "firing" }}🔥{{ else }}ok{{ end }} {{ "}}" }}',
    "{{/* a comment with }} inside */}}{{ template \"obsgen.slack.text\" . }}",
    "{{ with .CommonLabels.team }}{{ . }}{{ end }}",
])
def test_ordinary_team_templates_pass(text):
    from obsgen.check.expressions import template_error

    assert template_error(text, own_templates=False) is None


# ----------------------------------------------------------------------------- 6. concurrent builds

def test_a_build_waits_for_another_build_into_the_same_folder_and_both_leave_a_consistent_tree(project):
    out = project / "generated"
    fd = os.open(project, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as a running build holds it
    try:
        proc = subprocess.Popen([sys.executable, "-m", "obsgen", "build", "--out", "generated"], cwd=project,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        line = ""
        while time.monotonic() < deadline and "waiting" not in line:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                break
        assert "waiting for another obsgen build into generated" in line
        assert proc.poll() is None
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert consistent(out)


def test_concurrent_builds_of_different_specs_each_leave_a_complete_consistent_tree(project):
    other = project / "specs2"
    other.mkdir()
    (other / "obsgen.yaml").write_text((project / "specs" / "obsgen.yaml").read_text().replace(
        "scrape_interval: 15s", "scrape_interval: 20s"))
    for _ in range(3):
        procs = [subprocess.Popen([sys.executable, "-m", "obsgen", "build", spec, "--out", "shared-out"],
                                  cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for spec in ("specs", "specs2", "specs", "specs2")]
        for p in procs:
            _, err = p.communicate(timeout=300)
            assert p.returncode == 0, err
            no_traceback(subprocess.CompletedProcess(p.args, p.returncode, "", err))
        assert consistent(project / "shared-out")
        assert [p.name for p in project.iterdir() if "obsgen-" in p.name] == []


# ----------------------------------------------------------------------------- 7. a linked output folder

def test_a_linked_output_folder_is_refused_and_neither_link_nor_target_changes(project, outside):
    link = project / "linked"
    link.symlink_to(outside)
    before = tree(outside)
    for _ in range(2):
        proc = obsgen("build", "--out", "linked", cwd=project)
        no_traceback(proc)
        assert proc.returncode == 1
        assert "linked is a symbolic link" in proc.stderr and "nothing written" in proc.stderr
    assert link.is_symlink() and tree(outside) == before


def test_a_link_on_the_way_to_the_output_folder_inside_the_project_is_refused(project, outside):
    (project / "build").symlink_to(outside)
    proc = obsgen("build", "--out", "build/generated", cwd=project)
    assert proc.returncode == 1 and "build is a symbolic link" in proc.stderr
    assert not (outside / "generated").exists()


# ----------------------------------------------------------------------------- 8-9. credentials

def test_diagnostics_never_echo_a_credential_they_quote():
    token = "xoxb-1234567890-0987654321-AbCdEfGhIjKl"
    spec = (f"apiVersion: obsgen/v1\nteams: [{{name: ops, email: {{to: ops@example.com}}}}]\n"
            f"services:\n  - {{name: api, team: '{token}'}}\n  - name: db\n    team: ops\n"
            f"    scrape: {{interval: '{token}'}}\n")
    diags = load_texts({"spec.yaml": spec}).diagnostics
    assert diags
    printed = "\n".join(format_text(d) for d in diags) + format_json(diags)
    assert token not in printed and token.lower() not in printed.lower()
    assert "[redacted]" in printed


@pytest.mark.parametrize("text, secret", [
    ("redis://:s3cretpass@redis.example.com:6379/0", "s3cretpass"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP", "0123456789ABCDEFGHIJ"),
    ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA"),
    ("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "bPxRfiCYEXAMPLEKEY"),
    ("https://example.com/hook?access-token=abcdef0123456789", "abcdef0123456789"),
    ("https://example.com/hook?pass=hunter2hunter2", "hunter2hunter2"),
    ("X-API-Key: 0123456789abcdef0123", "0123456789abcdef0123"),
    ("glpat-abcdefghij0123456789", "abcdefghij0123456789"),
    ("sk_live_51H8abcdefghijklmnop0123", "51H8abcdefghijklmnop0123"),
    ("AIzaSyA1234567890abcdefghijklmnopqrstuv", "SyA1234567890abcdefghij"),
    ("sk-proj-abcdefghijklmnopqrstuvwxyz0123456789", "abcdefghijklmnopqrstuvwxyz0123456789"),
    ("ghp_" + "a1B2c3D4e5F6" * 3, "a1B2c3D4e5F6a1B2c3D4e5F6"),  # 36 characters, as real GitHub tokens have
    ("ASIAIOSFODNN7EXAMPLE", "IOSFODNN7EXAMPLE"),
])
def test_the_scanner_finds_credentials_in_the_shapes_users_paste(text, secret):
    assert scan_text(text), text
    shown = redact(f"value {text} end")
    assert "[redacted]" in shown and secret not in shown and shown.endswith(" end")


@pytest.mark.parametrize("text", [
    "routing_key: payments",
    "routing_key: payments-eu-west-1",
    "service_key: checkout-team",
    "secret: obsgen-alertmanager",
    "task-scheduler-service-dashboard-overview",
    "risk_live_dashboard_for_trading_0123",
    "https://grafana.example.com/d/abc?orgId=1&var-key=instance",
])
def test_labels_and_names_that_look_close_are_not_credentials(text):
    assert scan_text(text) == [], text


def test_a_routing_key_label_holding_a_team_name_builds(tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "obsgen.yaml").write_text(STARTER.read_text().replace(
        "        runbook_url: https://runbooks.example.com/web-api/high-error-rate",
        "        runbook_url: https://runbooks.example.com/web-api/high-error-rate\n"
        "        labels: {routing_key: payments}"))
    proc = obsgen("build", str(specs), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


# ----------------------------------------------------------------------------- 10. a hanging tool

@needs('promtool', 'amtool')
def test_a_hanging_checker_is_a_failed_check_with_its_time_limit_and_the_rest_still_run(project, tmp_path,
                                                                                         monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    real = shutil.which("promtool")
    assert real, "promtool missing"
    fake = bin_dir / "promtool"
    fake.write_text(f"#!/bin/sh\ncase \"$*\" in *check\\ rules*) exec sleep 30;; esac\nexec {real} \"$@\"\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setattr("obsgen.features.verify.TOOL_TIMEOUT", 2)
    results = check_tree(project / "generated")
    hung = [r for r in results if r.check == "promtool check rules"]
    assert hung and all(not r.ok and "did not finish within 2 s" in r.detail for r in hung)
    assert any(r.ok and r.check == "amtool check-config" for r in results)
    assert all(isinstance(r, CheckResult) for r in results)


# ----------------------------------------------------------------------------- 11-12. the output folder itself

def _fail_writes(monkeypatch, err: int) -> None:
    real_open = os.open

    def failing(path, flags, *args, **kwargs):
        if flags & os.O_WRONLY and "obsgen-staging" in str(path):
            raise OSError(err, os.strerror(err), str(path))
        return real_open(path, flags, *args, **kwargs)
    monkeypatch.setattr(writer.os, "open", failing)


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_disk_that_refuses_writes_is_one_clear_error_and_the_old_tree_stays(project, monkeypatch, capsys, err):
    out = project / "generated"
    spec = project / "specs" / "obsgen.yaml"
    spec.write_text(spec.read_text().replace("scrape_interval: 15s", "scrape_interval: 20s"))
    before = tree(out)
    monkeypatch.chdir(project)
    _fail_writes(monkeypatch, err)
    code = commands.build([Path("specs")], Path("generated"), False, "text", False, None)
    printed = capsys.readouterr().err
    assert code == 1
    assert os.strerror(err) in printed and "nothing written" in printed and "Traceback" not in printed
    assert tree(out) == before
    assert [p.name for p in project.iterdir() if "obsgen-" in p.name] == []


@pytest.mark.parametrize("out, says", [
    ("specs", "is the spec folder"), ("specs/generated", "sits inside the spec folder"), (".", "is the repository"),
    ("..", "contains the repository"), ("/", "file-system root"), ("README/x", "is a file, not a folder"),
])
def test_an_output_folder_obsgen_must_not_manage_is_refused_with_nothing_written(project, out, says):
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (project / "README").write_text("x\n")
    before = tree(project)
    proc = obsgen("build", "--out", out, cwd=project)
    no_traceback(proc)
    assert proc.returncode == 1 and says in proc.stderr and "nothing written" in proc.stderr
    after = tree(project)
    assert {k: v for k, v in after.items() if not k.startswith(".git/")} == \
           {k: v for k, v in before.items() if not k.startswith(".git/")}
    assert [p.name for p in project.parent.iterdir() if "obsgen-" in p.name] == []


def test_the_writer_refuses_a_path_that_is_not_inside_the_folder(tmp_path):
    for rel in ("../x", "/etc/x", "a/../../x", "a//b", ".", ""):
        with pytest.raises(OutputError):
            write_tree(tmp_path / "out", {rel: "x\n"})
    assert not (tmp_path / "x").exists()


# ----------------------------------------------------------------------------- 13. case-insensitive names

def test_dashboard_uids_that_differ_only_in_case_are_refused():
    spec = ("apiVersion: obsgen/v1\nteams: [{name: ops, email: {to: ops@example.com}}]\n"
            "dashboards:\n  - {title: A, uid: api-Overview, team: ops, panels: [{title: Up, queries: [{expr: up}]}]}\n"
            "  - {title: B, uid: API-overview, team: ops, panels: [{title: Up, queries: [{expr: up}]}]}\n")
    found = [d for d in load_texts({"spec.yaml": spec}).diagnostics if d.code == "OBS020"]
    assert [(d.pos.line, "only in case" in d.message) for d in found] == [(5, True)]


# ----------------------------------------------------------------------------- 14. import into a missing folder

def test_import_into_a_missing_folder_is_one_clear_error(tmp_path):
    rules = tmp_path / "r.yml"
    rules.write_text("groups: [{name: g, rules: [{alert: Down, expr: up == 0, labels: {severity: critical}}]}]\n")
    for args in (["import", "rules", str(rules), "-o", "nodir/spec.yaml"], ["schema", "-o", "nodir/s.json"]):
        proc = obsgen(*args, cwd=tmp_path)
        no_traceback(proc)
        assert proc.returncode == 1 and "nodir does not exist" in proc.stderr
    assert not (tmp_path / "nodir").exists()


# ----------------------------------------------------------------------------- a hand-made tree

HOSTILE_FILES = ["p/prometheus/prometheus.yml", "p/alertmanager/alertmanager.yml", "p/jaeger/config.yaml",
                 "p/jaeger/sampling-strategies.json", "p/mimir/rules/a.yaml", "p/operator/rules/a.yaml",
                 "p/operator/alertmanager/config-secret.yaml", "p/instrumentation/otel/a.configmap.yaml",
                 "p/grafana/dashboards/f/a.json"]
HOSTILE_VALUES = ["[1, 2]\n", "{groups: [5]}\n", "{kind: Secret, stringData: {alertmanager.yaml: '[1]'}}\n",
                  "{kind: PrometheusRule, spec: 5}\n", "{extensions: 5, service: 5, route: {routes: 5}}\n",
                  "{scrape_configs: [{job_name: j, kubernetes_sd_configs: 5, relabel_configs: [5]}]}\n",
                  '{"panels": [1, {"targets": [3]}]}\n', "[" * 5000 + "]" * 5000 + "\n",
                  "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
                      f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(7))]


@pytest.mark.parametrize("path", HOSTILE_FILES)
@needs('promtool', 'amtool')
def test_obsgen_check_reports_a_hand_made_file_of_any_shape_as_a_failed_check_not_a_crash(tmp_path, path):
    (tmp_path / path).parent.mkdir(parents=True)
    routing = tmp_path / "p" / "alertmanager" / "routing-tests.yaml"
    routing.parent.mkdir(parents=True, exist_ok=True)
    routing.write_text((ROOT / "generated" / "production" / "alertmanager" / "routing-tests.yaml").read_text())
    for value in HOSTILE_VALUES:
        (tmp_path / path).write_text(value)
        results = check_tree(tmp_path)
        assert any(not r.ok for r in results), value
