"""Bad input: every case in tests/cases/bad/ is refused with exactly the errors it declares.

A case file's leading comments hold its expectations (`# expect: OBS010 16:9`) and, for what obsgen
gets wrong today, a `# bug:` line that turns its test into a strict xfail; tests/cases/README.md has
the details. Most cases run in-process through the library API; a few go through the real CLI to pin
the exit codes and the printed formats.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from obsgen.api import load_project
from obsgen.core.codes import CODES, REGISTRY
from obsgen.core.diagnostics import Diagnostic, Severity

BAD = Path(__file__).resolve().parent / "cases" / "bad"

_EXPECT = re.compile(r"^#\s*expect:\s*(OBS\d{3})\s+(\d+):(\d+)\s*$")
_BUG = re.compile(r"^#\s*bug:\s*(.+)$")
# `path:LINE:COL: error[CODE]: message`, as the text reporter prints a positioned diagnostic.
_DIAG_LINE = re.compile(
    r"^(?P<file>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning)\[(?P<code>OBS\d{3})\]: "
    r"(?P<message>\S.*)$")
_SUMMARY_LINE = re.compile(r"^\d+ error\(s\), \d+ warning\(s\)$")
_JSON_FIELDS = {"file", "line", "col", "code", "severity", "message", "hint"}

Error = tuple[str, str, int, int]  # (file relative to the case, code, line, col)


@dataclass(frozen=True)
class Case:
    name: str
    path: Path  # what is given to obsgen: one file, or a folder of files
    root: Path  # diagnostics' files are compared relative to this folder
    expected: tuple[Error, ...]
    bugs: tuple[str, ...]


def _header(path: Path) -> list[str]:
    """The leading comment lines; read as bytes, since some cases are deliberately not UTF-8."""
    lines = []
    for raw in path.read_bytes().splitlines():
        if not raw.startswith(b"#"):
            break
        lines.append(raw.decode("utf-8", errors="replace"))
    return lines


def _read_case(path: Path) -> Case:
    root = path if path.is_dir() else path.parent
    files = sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
    expected: list[Error] = []
    bugs: list[str] = []
    for f in files:
        for line in _header(f):
            if m := _EXPECT.match(line):
                expected.append((f.relative_to(root).as_posix(), m[1], int(m[2]), int(m[3])))
            elif m := _BUG.match(line):
                bugs.append(f"{f.relative_to(root).as_posix()}: {m[1]}")
    name = path.name.removesuffix(".yaml")
    return Case(name, path, root, tuple(sorted(expected)), tuple(bugs))


CASES = [_read_case(p) for p in sorted(BAD.iterdir()) if p.is_dir() or p.suffix == ".yaml"]
BY_NAME = {c.name: c for c in CASES}


def _param(case: Case, crashes_only: bool = False):
    """The case as a test parameter; a strict xfail while it has a `# bug:` line. `crashes_only`: only
    bugs that are tracebacks (`# bug: traceback ...`) make the test fail."""
    bugs = [b for b in case.bugs if not crashes_only or b.split(": ", 1)[1].startswith("traceback")]
    marks = [pytest.mark.xfail(strict=True, reason="; ".join(bugs))] if bugs else []
    return pytest.param(case, id=case.name, marks=marks)


def _relative(file: str, root: Path, cwd: Path | None = None) -> str:
    """A diagnostic's file (printed relative to the working directory) relative to the case root."""
    path = Path(file) if cwd is None else cwd / file
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return file


def _errors(diags: list[Diagnostic], root: Path) -> list[Error]:
    return sorted((_relative(d.pos.file, root), d.code, d.pos.line, d.pos.col)
                  for d in diags if d.severity is Severity.ERROR)


def _load(case: Case):
    return load_project([case.path])


def _diag(case: Case, code: str) -> Diagnostic:
    found = [d for d in _load(case).diagnostics if d.code == code]
    assert len(found) == 1, found
    return found[0]


def _obsgen(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "obsgen", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def _no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr


# ----------------------------------------------------------------------------- the case table

def test_the_case_folder_holds_cases_that_each_declare_known_error_codes():
    assert len(CASES) >= 40
    for case in CASES:
        assert case.expected, f"{case.name}: no `# expect:` line"
        for _, code, line, col in case.expected:
            assert code in CODES, f"{case.name}: unknown code {code}"
            assert line >= 1 and col >= 1


# Codes no spec in cases/bad can trip, by the phase that reports them (core/codes.py), and where
# they are tested instead. Every other error code has a bad case.
ELSEWHERE = {"discover": "no spec files: tests/test_cli.py", "import": "tests/test_importers.py",
             "build": "generated files, not spec files: tests/test_secrets.py",
             "lint": "tests/test_lint.py (each code tripped and not tripped, position asserted)",
             "objectives": "tests/test_explain.py"}
NEEDS_A_BAD_CASE = {code for code, c in REGISTRY.items() if c.severity == "error" and c.phase not in ELSEWHERE}


def test_every_error_code_has_a_bad_case_except_those_tested_elsewhere():
    covered = {code for case in CASES for _, code, _, _ in case.expected}
    assert covered == NEEDS_A_BAD_CASE


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_a_bad_case_reports_exactly_its_expected_errors_at_their_line_and_column(case: Case):
    project = _load(case)
    assert not project.ok
    assert project.models == []
    assert _errors(project.diagnostics, case.root) == list(case.expected)


@pytest.mark.parametrize("case", [_param(c, crashes_only=True) for c in CASES])
def test_every_diagnostic_of_a_bad_case_has_a_known_code_and_a_one_line_message(case: Case):
    for d in _load(case).diagnostics:
        assert d.code in CODES
        assert d.message.strip() and "\n" not in d.message
        assert "Traceback" not in d.message
        assert d.hint is None or (d.hint.strip() and "\n" not in d.hint)


# ----------------------------------------------------------------------------- through the CLI

CLI_CASES = ["unknown-nested-key", "non-utf8", "duplicate-team-across-files", "many-files", "alias-bomb"]


def _cli_errors(text: str, case: Case, cwd: Path) -> list[Error]:
    """Parse the text reporter's output, checking that every line has one of its three forms."""
    errors = []
    lines = text.splitlines()
    assert lines and _SUMMARY_LINE.match(lines[-1]), text
    for line in lines[:-1]:
        if line.startswith("  hint: "):
            continue
        m = _DIAG_LINE.match(line)
        assert m, f"not a `path:LINE:COL: error[CODE]: message` line: {line!r}"
        if m["severity"] == "error":
            errors.append((_relative(m["file"], case.root, cwd), m["code"], int(m["line"]), int(m["col"])))
    return sorted(errors)


@pytest.mark.parametrize("name", CLI_CASES)
def test_validate_prints_each_error_as_path_line_col_code_message_and_exits_1(name: str):
    case = BY_NAME[name]
    proc = _obsgen("validate", case.path.relative_to(BAD).as_posix(), cwd=BAD)
    _no_traceback(proc)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert _cli_errors(proc.stderr, case, BAD) == _errors(_load(case).diagnostics, case.root)


@pytest.mark.parametrize("name", CLI_CASES)
def test_validate_format_json_gives_the_same_diagnostics_as_the_text_report(name: str):
    case = BY_NAME[name]
    arg = case.path.relative_to(BAD).as_posix()
    text = _obsgen("validate", arg, cwd=BAD)
    proc = _obsgen("validate", arg, "--format", "json", cwd=BAD)
    _no_traceback(proc)
    assert proc.returncode == 1
    diags = json.loads(proc.stdout)["diagnostics"]
    assert diags
    for d in diags:
        assert set(d) == _JSON_FIELDS
        assert d["severity"] in ("error", "warning")
        assert isinstance(d["line"], int) and isinstance(d["col"], int)
    printed = [m.groups() for m in map(_DIAG_LINE.match, text.stderr.splitlines()) if m]
    assert printed == [(d["file"], str(d["line"]), str(d["col"]), d["severity"], d["code"], d["message"])
                       for d in diags]
    hints = [line.removeprefix("  hint: ") for line in text.stderr.splitlines() if line.startswith("  hint: ")]
    assert hints == [d["hint"] for d in diags if d["hint"]]


def test_build_on_a_bad_spec_exits_1_and_writes_nothing(tmp_path: Path):
    out = tmp_path / "out"
    proc = _obsgen("build", str(BAD / "unknown-nested-key.yaml"), "--out", str(out), cwd=tmp_path)
    _no_traceback(proc)
    assert proc.returncode == 1
    assert "error[OBS010]" in proc.stderr
    assert not out.exists()


def test_build_on_a_bad_spec_leaves_an_existing_output_folder_untouched(tmp_path: Path):
    out = tmp_path / "out"
    (out / "default").mkdir(parents=True)
    (out / "default" / "keep.txt").write_text("a person's file\n")
    before = sorted((p.relative_to(out).as_posix(), p.read_bytes() if p.is_file() else b"") for p in out.rglob("*"))
    proc = _obsgen("build", str(BAD / "many-files"), "--out", str(out), cwd=tmp_path)
    _no_traceback(proc)
    assert proc.returncode == 1
    after = sorted((p.relative_to(out).as_posix(), p.read_bytes() if p.is_file() else b"") for p in out.rglob("*"))
    assert after == before


@pytest.mark.parametrize("args", [["validate", "--no-such-option"], ["build", "--outt", "x"], ["frobnicate"]])
def test_wrong_usage_exits_2_without_a_traceback(args: list[str], tmp_path: Path):
    proc = _obsgen(*args, cwd=tmp_path)
    _no_traceback(proc)
    assert proc.returncode == 2
    assert "Usage:" in proc.stderr


def test_a_folder_without_spec_files_is_reported_as_obs023_and_exits_1(tmp_path: Path):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "notes.txt").write_text("not a spec\n")
    proc = _obsgen("validate", "specs", "--format", "json", cwd=tmp_path)
    _no_traceback(proc)
    assert proc.returncode == 1
    assert [d["code"] for d in json.loads(proc.stdout)["diagnostics"]] == ["OBS023"]


# ----------------------------------------------------------------------------- all errors, in order

def test_errors_in_several_files_are_all_reported_in_one_run_sorted_by_file_and_line():
    case = BY_NAME["many-files"]
    diags = _load(case).diagnostics
    everything = [(_relative(d.pos.file, case.root), d.pos.line, d.pos.col) for d in diags]
    assert everything == sorted(everything)
    errors = [(_relative(d.pos.file, case.root), d.pos.line, d.pos.col) for d in diags if d.severity is Severity.ERROR]
    assert {file for file, _, _ in errors} == {"a-global.yaml", "b-teams.yaml", "c-services.yaml"}
    assert len(errors) == len(case.expected)
    # The warnings of what parsed come in the same run (a critical alert with neither runbook nor `for`).
    assert {d.code for d in diags if d.severity is Severity.WARNING} == {"OBS059", "OBS066"}


def test_one_broken_file_does_not_stop_the_others_from_being_checked():
    case = BY_NAME["many-files"]
    codes = {(_relative(d.pos.file, case.root), d.code) for d in _load(case).diagnostics}
    assert ("a-global.yaml", "OBS001") in codes  # this file does not even load...
    assert ("c-services.yaml", "OBS030") in codes  # ...yet later files get their semantic checks


# ----------------------------------------------------------------------------- loader limits

def test_an_alias_bomb_is_refused_with_obs004_having_built_no_more_than_the_limit(monkeypatch):
    from obsgen.load import yaml as loader

    built = []
    real = loader._Builder.build

    def counting(self, node, depth=0):
        built.append(1)
        return real(self, node, depth)
    monkeypatch.setattr(loader._Builder, "build", counting)
    project = _load(BY_NAME["alias-bomb"])
    assert [d.code for d in project.diagnostics] == ["OBS004"]
    # The bound is on work, not time: the loader stops once the aliases have built the limit.
    assert len(built) <= loader.MAX_EXPANDED_VALUES + 1000


@pytest.mark.parametrize("content", [b"", b"\n\n   \n", b"# comments only\n"], ids=["zero-bytes", "blank-lines", "comments"])
def test_a_file_without_any_yaml_document_is_reported_as_empty(content: bytes, tmp_path: Path):
    spec = tmp_path / "empty.yaml"
    spec.write_bytes(content)
    diags = load_project([spec]).diagnostics
    assert [(d.code, d.pos.line, d.pos.col) for d in diags] == [("OBS006", 1, 1)]
    assert "empty" in diags[0].message


@pytest.mark.parametrize("content", [b"---\n", b"---\n...\n", b"---\n# to do\n"])
def test_a_file_holding_only_a_document_marker_is_reported_as_empty(content: bytes, tmp_path: Path):
    spec = tmp_path / "empty.yaml"
    spec.write_bytes(content)
    diags = load_project([spec]).diagnostics
    assert [(d.code, d.pos.line, d.pos.col) for d in diags] == [("OBS006", 1, 1)]
    assert "empty" in diags[0].message


@pytest.mark.parametrize("text", ["apiVersion: obsgen/v1\nteams: []\n---\n", "---\n---\napiVersion: obsgen/v1\n"])
def test_an_empty_document_beside_the_spec_is_not_a_second_document(text: str, tmp_path: Path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    assert load_project([spec]).diagnostics == []


def test_deep_nesting_is_refused_with_obs004_not_a_recursion_error(tmp_path: Path):
    spec = tmp_path / "deep.yaml"
    spec.write_text("apiVersion: obsgen/v1\nx: " + "[" * 3000 + "]" * 3000 + "\n")
    assert [d.code for d in load_project([spec]).diagnostics] == ["OBS004"]


# ----------------------------------------------------------------------------- messages and hints

def test_a_misspelt_nested_key_suggests_the_right_one():
    d = _diag(BY_NAME["unknown-nested-key"], "OBS010")
    assert "lables" in d.message
    assert d.hint == "did you mean `labels`?"


def test_a_misspelt_top_level_key_suggests_the_section():
    assert _diag(BY_NAME["unknown-top-level-key"], "OBS010").hint == "did you mean `teams`?"


def test_a_reference_to_a_misspelt_team_suggests_the_defined_team():
    d = _diag(BY_NAME["undefined-team"], "OBS021")
    assert "platfrom" in d.message
    assert d.hint == "did you mean `platform`?"


def test_an_environment_overriding_a_misspelt_service_suggests_the_defined_service():
    d = _diag(BY_NAME["environment-overrides-undefined-service"], "OBS021")
    assert "trading-apii" in d.message and "production" in d.message
    assert d.hint == "did you mean `trading-api`?"


def test_a_bad_enum_value_lists_the_allowed_values():
    d = _diag(BY_NAME["bad-enum"], "OBS011")
    assert all(word in d.message for word in ("endpoints", "endpointslice", "pod", "node"))


def test_a_misspelt_severity_suggests_the_defined_one():
    d = _diag(BY_NAME["undefined-severity"], "OBS021")
    assert "'critcal'" in d.message and d.hint == "did you mean `critical`?"


def test_a_bad_duration_says_what_a_duration_looks_like():
    d = _diag(BY_NAME["bad-duration"], "OBS011")
    assert "5x" in d.message and "5m" in d.message


@pytest.mark.parametrize("name, secret, file_key", [
    ("inline-secret-slack", "https://hooks.slack.com/services/T000/B000/XXXXXXXX", "api_url_file"),
    ("inline-secret-elasticsearch", "changeme", "password_secret"),
])
def test_an_inline_secret_is_refused_without_echoing_it_and_the_hint_names_the_safe_key(name, secret, file_key):
    diags = _load(BY_NAME[name]).diagnostics
    assert all(secret not in f"{d.message} {d.hint}" for d in diags)
    (d,) = [d for d in diags if d.code == "OBS013"]
    assert file_key in d.hint


def test_a_duplicate_key_names_the_line_of_its_first_occurrence():
    d = _diag(BY_NAME["duplicate-key"], "OBS002")
    assert "'description'" in d.message and "line 6" in d.message


def test_a_duplicate_team_across_files_names_the_file_and_line_of_the_first():
    d = _diag(BY_NAME["duplicate-team-across-files"], "OBS020")
    assert "'platform'" in d.message and "a-teams.yaml:3" in d.message


def test_a_section_in_two_files_names_the_file_that_defined_it_first():
    d = _diag(BY_NAME["global-in-two-files"], "OBS022")
    assert "`global`" in d.message and "a-global.yaml" in d.message


def test_a_refused_tag_is_named_in_the_message():
    assert "!!python/object/apply:os.system" in _diag(BY_NAME["python-tag"], "OBS003").message
    assert "!env" in _diag(BY_NAME["custom-tag"], "OBS003").message


def test_a_message_about_a_list_item_does_not_count_items_of_other_files():
    d = _diag(BY_NAME["item-in-second-file"], "OBS011")
    assert "tier" in d.message
    assert "services[2]" not in d.message


def test_a_list_section_left_empty_in_one_file_does_not_stop_another_file_from_filling_it(tmp_path: Path):
    (tmp_path / "a-teams.yaml").write_text("apiVersion: obsgen/v1\nteams:\n  # - name: platform\n")
    (tmp_path / "b-teams.yaml").write_text("apiVersion: obsgen/v1\nteams:\n  - name: backend\n")
    project = load_project([tmp_path])
    assert project.diagnostics == []
    assert [list(m.teams) for m in project.models] == [["backend"]]
