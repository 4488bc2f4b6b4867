"""The fast entry point: plain `obsgen validate` and `obsgen build` command lines run without the
CLI framework and behave exactly like the full CLI; everything else is handed to it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from obsgen.cli.entry import _fast_args

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
    assert _fast_args(args) is not None
    assert _run("obsgen", *args) == _run("obsgen.cli", *args)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("args", [
    ["build", "specs", "--out", "{out}"], ["build", "-o", "{out}", "--target", "operator"],
    ["build", "specs", "--out={out}", "--target=mimir", "--strict", "--format", "json"],
    ["build", str(BAD), "--out", "{out}"], ["build", "--check", "--out", "{out}"],
    ["build", "--check", "-o", "generated"], ["build", "no-such-folder", "-o", "{out}"],
], ids=lambda a: " ".join(a[1:]))
def test_the_fast_build_writes_prints_and_exits_exactly_like_the_full_cli(args, tmp_path):
    runs = {}
    for module in ("obsgen", "obsgen.cli"):
        out = tmp_path / module
        argv = [a.replace("{out}", str(out)) for a in args]
        assert _fast_args(argv) is not None
        code, stdout, stderr = _run(module, *argv)
        runs[module] = (code, stdout, stderr.replace(str(out), "OUT"), _tree(out) if out.exists() else None)
    assert runs["obsgen"] == runs["obsgen.cli"]


@pytest.mark.parametrize("args", [
    [], ["check"], ["validate", "--help"], ["validate", "-h"], ["validate", "--format", "yaml"],
    ["validate", "--target", "helm"], ["validate", "--format"], ["validate", "--bogus"], ["--version"],
    ["validate", "--check"], ["validate", "--out", "x"], ["build", "--help"], ["build", "--out"], ["build", "--out="],
    ["build", "-o", "--check"], ["build", "-ox"], ["build", "--", "specs"], ["build", "--diff"],
])
def test_anything_else_goes_to_the_full_cli(args):
    assert _fast_args(args) is None


def test_validate_help_and_usage_errors_still_come_from_the_full_cli():
    code, _, err = _run("obsgen", "validate", "--format", "yaml")
    assert code == 2 and "Invalid value for '--format'" in err
    code, out, _ = _run("obsgen", "validate", "--help")
    assert code == 0 and "Check the spec and report every problem" in out


@pytest.mark.parametrize("argv", [["validate", "specs"], ["build", "--check"]])
def test_the_fast_path_does_not_import_the_cli_framework(argv):
    code = (f"import sys, runpy; sys.argv = ['obsgen', *{argv!r}]\n"
            "try:\n    runpy.run_module('obsgen', run_name='__main__')\nexcept SystemExit as e:\n    assert e.code == 0\n"
            "assert 'typer' not in sys.modules and 'click' not in sys.modules, sorted(m for m in sys.modules if 'ty' in m)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr


def _quiet_main(monkeypatch, entry) -> None:
    """entry.main() without touching this test process's signal handlers and collector."""
    monkeypatch.setattr(entry.signal, "signal", lambda *args: None)
    monkeypatch.setattr(entry.gc, "set_threshold", lambda *args: None)


def test_an_interrupt_wrapped_in_another_exception_still_ends_in_one_line(monkeypatch, capsys):
    # Found by test_kill: SIGTERM while the models were being imported surfaced as Python 3.11's
    # "RuntimeError: Error calling __set_name__", with a traceback.
    from obsgen.cli import entry

    def interrupted_import(full=False):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise RuntimeError("Error calling __set_name__ on 'PydanticDescriptorProxy'") from exc

    _quiet_main(monkeypatch, entry)
    monkeypatch.setattr(entry, "_main", interrupted_import)
    with pytest.raises(SystemExit) as exit_:
        entry.main()
    assert exit_.value.code == 1
    assert capsys.readouterr().err == "Aborted!\n"


def test_other_errors_are_not_taken_for_interrupts(monkeypatch):
    from obsgen.cli import entry

    def broken(full=False):
        try:
            raise ValueError("inner")
        except ValueError as exc:
            raise RuntimeError("outer") from exc

    _quiet_main(monkeypatch, entry)
    monkeypatch.setattr(entry, "_main", broken)
    with pytest.raises(RuntimeError, match="outer"):
        entry.main()
