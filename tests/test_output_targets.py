"""Output targets: the reference spec builds for each (files, operator, mimir) and what it writes
passes obsgen check's real tools; `--target` replaces the spec's choice, checks included."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from obsgen.api import generate, load_project
from obsgen.features.verify import check_tree
from obsgen.write.tree import write_tree

ROOT = Path(__file__).parents[1]
SPECS = ROOT / "specs"

tools = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("promtool", "amtool", "prometheus-blackbox-exporter")),
    reason="needs promtool, amtool and the blackbox exporter: apt-get install prometheus prometheus-alertmanager "
           "prometheus-blackbox-exporter")


@tools
@pytest.mark.parametrize("target", ["files", "operator", "mimir"])
def test_the_reference_spec_builds_for_every_target_into_files_the_real_tools_accept(target, tmp_path):
    project = load_project([SPECS], output=target)
    assert project.ok, [str(d) for d in project.diagnostics]
    files = generate(project)
    write_tree(tmp_path, files)
    failed = [r for r in check_tree(tmp_path) if not r.ok]
    assert failed == []
    folders = {p.split("/")[1] for p in files if p.count("/") > 1}
    if target == "operator":
        assert "operator" in folders and "prometheus" not in folders and "grafana" not in folders
    elif target == "mimir":
        assert {"mimir", "prometheus", "grafana"} <= folders
        assert not any("/prometheus/rules/" in p for p in files)
    else:
        assert "operator" not in folders and "mimir" not in folders


def _obsgen(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "obsgen", *args], capture_output=True, text=True, cwd=ROOT)


def test_build_target_writes_that_target_whatever_the_spec_says(tmp_path):
    result = _obsgen("build", str(SPECS), "--target", "operator", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "production" / "operator" / "rules" / "waardhaven-api.yaml").is_file()
    assert not (tmp_path / "production" / "prometheus").exists()


def test_validate_target_checks_the_spec_as_that_target(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("""\
apiVersion: obsgen/v1
teams: [{name: web}]
services:
  - name: api
    team: web
    scrape: {static: ["api:8080"], bearer_token_file: token}
""")
    assert _obsgen("validate", str(spec)).returncode == 0
    result = _obsgen("validate", str(spec), "--target", "operator")
    assert result.returncode == 1
    assert "spec.yaml:6:55: error[OBS045]" in result.stderr and "Traceback" not in result.stderr
