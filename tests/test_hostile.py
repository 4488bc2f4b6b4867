"""Hostile input, as whole `obsgen` processes: each gives one clear diagnostic at the right place,
exit 1, within two seconds and bounded memory, and `build` writes nothing. The small cases live in
tests/cases/bad/ (test_bad_input.py); these are generated because they are big, or binary."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

# Every limit is one of work (bytes, depth, values built), checked structurally; time is asserted
# only as a hang guard, far above what a loaded machine takes (speed belongs in the benchmarks).
HANG_SECONDS = 60
LIMIT_MB = 250  # peak RSS of the obsgen process; a plain `obsgen validate` of the reference spec is ~45 MB

LOL = '["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'


def _bomb() -> bytes:
    lines = ["apiVersion: obsgen/v1", f"a: &a {LOL}"]
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


CASES = {
    # name: (file content, expected code, expected "line:col" or None for any position)
    "deep-flow-nesting": (b"apiVersion: obsgen/v1\nx: " + b"[" * 50_000 + b"]" * 50_000 + b"\n", "OBS004", "2:203"),
    "deep-block-nesting": (b"apiVersion: obsgen/v1\n" + b"".join(b" " * i + b"a:\n" for i in range(5000)),
                           "OBS004", "202:201"),
    "deep-mixed-nesting": (b"apiVersion: obsgen/v1\nx:\n" + b"  - " * 1 + b"{a: " * 4000 + b"1" + b"}" * 4000 + b"\n",
                           "OBS004", None),
    "huge-file": (b"apiVersion: obsgen/v1\nteams:\n" + b"  - {name: t, description: " + b"x" * (20 * 2**20) + b"}\n",
                  "OBS005", "1:1"),
    "billion-laughs": (_bomb(), "OBS004", None),
    "random-binary": (os.urandom(1 << 16).replace(b"\x00", b"\x01") + b"\x00", "OBS005", "1:1"),
    "utf-16": ("apiVersion: obsgen/v1\n".encode("utf-16"), "OBS005", "1:1"),
    "latin-1": ("apiVersion: obsgen/v1\nteams: [{name: caf\xe9}]\n".encode("latin-1"), "OBS005", "2:19"),
    "python-object": (b"apiVersion: obsgen/v1\nx: !!python/object/apply:os.system ['touch /tmp/pwned']\n",
                      "OBS003", "2:4"),
    "python-name": (b"apiVersion: obsgen/v1\nx: !!python/name:os.system\n", "OBS003", "2:4"),
    "many-anchors": (b"apiVersion: obsgen/v1\nx: [" + b",".join(b"&a%d 1" % i for i in range(50_000)) + b"]\n",
                     "OBS010", "2:1"),
}


def _run(args: list[str]) -> tuple[subprocess.CompletedProcess, float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "obsgen", *args], capture_output=True, text=True, timeout=HANG_SECONDS * 2)
    elapsed = time.monotonic() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB -> MiB on Linux
    # ru_maxrss of children is the largest of any child so far: only meaningful when it grew.
    return result, elapsed, peak if peak * 1024 > before else 0.0


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input_gets_one_clear_diagnostic_fast_with_bounded_memory_and_nothing_written(name, tmp_path):
    content, code, where = CASES[name]
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(content)
    out = tmp_path / "out"
    result, elapsed, peak = _run(["build", str(spec), "--out", str(out)])
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if ": error[" in line]
    assert len(errors) == 1, result.stderr
    assert f"error[{code}]" in errors[0]
    if where:
        assert f"spec.yaml:{where}: error[{code}]" in errors[0], errors[0]
    assert not out.exists()
    assert elapsed < HANG_SECONDS, f"{elapsed:.2f}s"
    assert peak < LIMIT_MB, f"{peak:.0f} MiB"


def test_a_python_tag_never_runs_its_code(tmp_path):
    marker = tmp_path / "pwned"
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"apiVersion: obsgen/v1\nx: !!python/object/apply:os.system ['touch {marker}']\n")
    _run(["validate", str(spec)])
    assert not marker.exists()


@pytest.mark.parametrize("text, expect", [
    # YAML allows an anchor to be defined again; an alias takes the latest definition.
    ("a: &x 1\nb: &x 2\nc: *x\n", {"a": 1, "b": 2, "c": 2}),
    # libyaml refuses this flow text (YAML 1.1), so the pure parser reads it: the same answer.
    ("a: &x [http://h:1]\nb: &x [2]\nc: *x\n", {"a": ["http://h:1"], "b": [2], "c": [2]}),
])
def test_a_redefined_anchor_reads_the_same_on_both_parsers_and_warns_nothing(text, expect):
    import warnings

    from obsgen.load import yaml as loader

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data, diags = loader.load_text(text, "spec.yaml")
        pure = [loader._Builder("spec.yaml").build(d) for d in loader._compose_pure(text)]
    assert not diags
    assert data == expect
    assert pure == [expect]


def test_broken_yaml_with_a_redefined_anchor_is_a_syntax_error_not_a_warning(tmp_path):
    # found by test_fuzz: libyaml refuses it, and the pure parser warned before it refused it
    spec = tmp_path / "spec.yaml"
    spec.write_text("&a [&a ")
    result = subprocess.run([sys.executable, "-W", "default", "-m", "obsgen", "validate", str(spec)],
                            capture_output=True, text=True, timeout=HANG_SECONDS * 2)
    assert result.returncode == 1
    assert "Warning" not in result.stderr and "Traceback" not in result.stderr
    assert "spec.yaml:1:" in result.stderr and "error[OBS001]" in result.stderr
