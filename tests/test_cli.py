"""The command line as a user runs it: whole processes, exit codes, what is written."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"
HAVE_TOOLS = shutil.which("promtool") and shutil.which("amtool")


def obsgen(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "obsgen", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def test_validate_accepts_the_reference_spec():
    proc = obsgen("validate", SPECS)
    assert proc.returncode == 0, proc.stderr
    assert "2 environment(s), 10 service(s), 64 alert(s), 3 SLO(s)" in proc.stderr


def test_validate_reads_specs_folder_by_default(tmp_path):
    shutil.copytree(SPECS, tmp_path / "specs")
    assert obsgen("validate", cwd=tmp_path).returncode == 0


def test_validate_without_specs_folder_is_an_error_not_a_traceback(tmp_path):
    proc = obsgen("validate", cwd=tmp_path)
    assert proc.returncode == 1
    assert "error[OBS023]" in proc.stderr and "Traceback" not in proc.stderr


def test_wrong_usage_exits_2():
    assert obsgen("validate", "--no-such-flag").returncode == 2
    assert obsgen("no-such-command").returncode == 2


def test_every_command_has_help_with_examples():
    for command in ("validate", "build", "check", "init"):
        proc = obsgen(command, "--help")
        assert proc.returncode == 0
        assert "obsgen " + command in proc.stdout  # an example line


def test_json_format_lists_the_diagnostics(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: obsgen/v1\nteams:\n  - name: Platform\n")
    proc = obsgen("validate", bad, "--format", "json")
    assert proc.returncode == 1
    diags = json.loads(proc.stdout)["diagnostics"]
    assert [(d["code"], d["line"], d["col"]) for d in diags] == [("OBS032", 3, 11)]


def test_build_writes_every_environment_and_a_manifest(tmp_path):
    out = tmp_path / "out"
    proc = obsgen("build", SPECS, "--out", out)
    assert proc.returncode == 0, proc.stderr
    for env in ("production", "development"):
        for rel in ("prometheus/prometheus.yml", "alertmanager/alertmanager.yml", "jaeger/jaeger.yaml",
                    "jaeger/sampling-strategies.json", "prometheus/rules/waardhaven-api.rules.yml"):
            assert (out / env / rel).is_file(), rel
        assert len(list((out / env / "grafana" / "dashboards").rglob("*.json"))) == 13  # 6 + the SLO dashboard + the probes dashboard of qlib-pro-api + 4 exporter packs + the kubelet pack
    manifest = json.loads((out / ".obsgen-manifest.json").read_text())
    assert "production/prometheus/prometheus.yml" in manifest["files"]


def test_build_check_reports_stale_output_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    assert obsgen("build", SPECS, "--out", out).returncode == 0
    assert obsgen("build", SPECS, "--out", out, "--check").returncode == 0
    target = out / "production" / "prometheus" / "prometheus.yml"
    target.write_text(target.read_text() + "# hand edit\n")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    proc = obsgen("build", SPECS, "--out", out, "--check")
    assert proc.returncode == 1
    assert "production/prometheus/prometheus.yml (changed)" in proc.stderr
    assert before == {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}


K8S_JOB = "scrape_configs:\n  - job_name: k\n    kubernetes_sd_configs: [{role: pod}]\n"


def test_the_committed_generated_tree_is_what_specs_produce():
    proc = obsgen("build", "--check", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.tools
@pytest.mark.skipif(not HAVE_TOOLS, reason="needs promtool and amtool (apt-get install prometheus prometheus-alertmanager)")
def test_init_creates_a_starter_that_builds_and_checks(tmp_path):
    proc = obsgen("init", tmp_path / "demo")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "demo" / "specs" / "obsgen.yaml").is_file()
    assert obsgen("build", cwd=tmp_path / "demo").returncode == 0
    assert (tmp_path / "demo" / "generated" / "production" / "prometheus" / "prometheus.yml").is_file()
    proc = obsgen("check", cwd=tmp_path / "demo")
    assert proc.returncode == 0, proc.stdout
    assert obsgen("init", tmp_path / "demo").returncode == 1  # never overwrites


@pytest.mark.tools
@pytest.mark.skipif(not HAVE_TOOLS, reason="needs promtool and amtool (apt-get install prometheus prometheus-alertmanager)")
def test_check_passes_the_reference_output_and_says_what_was_only_checked_structurally(tmp_path):
    out = tmp_path / "out"
    assert obsgen("build", SPECS, "--out", out).returncode == 0
    proc = obsgen("check", out)
    assert proc.returncode == 0, proc.stdout
    assert "0 failed" in proc.stdout
    assert "promtool check rules" in proc.stdout and "amtool check-config" in proc.stdout
    # Debian's promtool has no Kubernetes service discovery: obsgen says what it checked only
    # structurally. A promtool with it checks those jobs itself, and there is nothing to say.
    k8s = subprocess.run(["promtool", "check", "config", "--syntax-only", "/dev/stdin"], input=K8S_JOB,
                         capture_output=True, text=True).returncode == 0
    assert ("checked structurally only" in proc.stdout) is not k8s


@pytest.mark.tools
@pytest.mark.skipif(not HAVE_TOOLS, reason="needs promtool and amtool")
def test_check_fails_when_a_file_is_broken(tmp_path):
    out = tmp_path / "out"
    assert obsgen("build", SPECS, "--out", out).returncode == 0
    rules = out / "production" / "prometheus" / "rules" / "qlib-pro-api.rules.yml"
    rules.write_text(rules.read_text().replace("expr: ", "expr: sum(", 1))
    proc = obsgen("check", out)
    assert proc.returncode == 1
    assert "FAIL  production/prometheus/rules/qlib-pro-api.rules.yml" in proc.stdout


def test_check_without_the_tools_says_how_to_install_them_and_exits_2(tmp_path):
    out = tmp_path / "out"
    assert obsgen("build", SPECS, "--out", out).returncode == 0
    # Only this interpreter is reachable: a folder holding nothing but a link to it.
    alone = tmp_path / "python-only"
    alone.mkdir()
    (alone / "python").symlink_to(sys.executable)
    env = dict(os.environ, PATH=str(alone))
    proc = obsgen("check", out, env=env)
    assert proc.returncode == 2
    assert "apt-get install prometheus prometheus-alertmanager" in proc.stderr


@pytest.mark.tools
@pytest.mark.skipif(shutil.which("prometheus-alertmanager") is None,
                    reason="needs prometheus-alertmanager (apt-get install prometheus-alertmanager)")
def test_drill_on_the_reference_spec_passes_in_every_environment():
    proc = obsgen("drill", SPECS, "--all", "--format", "json")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["ok"] and sorted(doc["environments"]) == ["development", "production"]


def test_drill_with_an_unknown_environment_exits_2():
    proc = obsgen("drill", SPECS, "--env", "staging")
    assert proc.returncode == 2 and "development, production" in proc.stderr
