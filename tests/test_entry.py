"""The fast entry point: plain `obsgen validate` command lines run without the CLI framework and
behave exactly like the full CLI; everything else is handed to it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from obsgen.entry import _validate_args

ROOT = Path(__file__).parents[1]
BAD = ROOT / "tests" / "cases" / "bad" / "duplicate-key.yaml"


def _run(module: str, *args: str) -> tuple[int, str, str]:
    p = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, cwd=ROOT)
    return p.returncode, p.stdout, p.stderr


@pytest.mark.parametrize("args", [
    ["validate"], ["validate", "specs"], ["validate", "specs", "--strict"], ["validate", "--format", "json", "specs"],
    ["validate", "--format=json", str(BAD)], ["validate", str(BAD)], ["validate", "specs", "--target", "operator"],
    ["validate", "specs", "--target=mimir", "--strict"], ["validate", "no-such-folder"],
], ids=lambda a: " ".join(a[1:]) or "no-args")
def test_the_fast_path_prints_and_exits_exactly_like_the_full_cli(args):
    assert _validate_args(args) is not None
    assert _run("obsgen", *args) == _run("obsgen.cli", *args)


@pytest.mark.parametrize("args", [
    [], ["build"], ["validate", "--help"], ["validate", "-h"], ["validate", "--format", "yaml"],
    ["validate", "--target", "helm"], ["validate", "--format"], ["validate", "--bogus"], ["--version"],
])
def test_anything_else_goes_to_the_full_cli(args):
    assert _validate_args(args) is None


def test_validate_help_and_usage_errors_still_come_from_the_full_cli():
    code, _, err = _run("obsgen", "validate", "--format", "yaml")
    assert code == 2 and "Invalid value for '--format'" in err
    code, out, _ = _run("obsgen", "validate", "--help")
    assert code == 0 and "Check the spec and report every problem" in out


def test_the_fast_path_does_not_import_the_cli_framework():
    code = ("import sys, runpy; sys.argv = ['obsgen', 'validate', 'specs']\n"
            "try:\n    runpy.run_module('obsgen', run_name='__main__')\nexcept SystemExit as e:\n    assert e.code == 0\n"
            "assert 'typer' not in sys.modules and 'click' not in sys.modules, sorted(m for m in sys.modules if 'ty' in m)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
