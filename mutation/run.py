"""Run mutmut module by module, each against the tests written for it.

One run over every module with the union of their tests took a day on two cores: a mutant that
survives runs every test that reaches its function, and the loader is reached by all of them.
Here each group of modules is mutated in a copy of the project of its own
(`mutants-work/<group>/`, ignored by git), whose pyproject selects that group's tests only. A
mutant the group's tests miss but a test elsewhere would catch counts as a survivor: the score is
a lower bound, and the report lists it, so a test belongs where the module is tested.

    python mutation/run.py [GROUP ...] [-- mutmut run arguments]    (default: every group)

Results stay in each copy (mutmut resumes there after a stopped run; all of a group is run again
when its code or tests changed); `python mutation/report.py` records them in
mutation/results.json (committed, so a run of one group keeps the others' results) and writes
mutation/REPORT.md from it.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "mutants-work"

# group -> (the modules mutated, the tests that are meant to catch their mistakes)
GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "credentials": (("src/obsgen/core/credentials.py",), ("tests/test_secrets.py",)),
    "regex": (("src/obsgen/core/regex.py",), ("tests/test_regex.py", "tests/test_routing.py")),
    "routes": (("src/obsgen/core/routes.py",), ("tests/test_routing.py", "tests/test_routing_custom.py")),
    "merge": (("src/obsgen/resolve/merge.py",), ("tests/test_load.py", "tests/test_dashboard_model.py", "tests/test_merge.py")),
    "writer": (("src/obsgen/write/tree.py",), ("tests/test_writer.py", "tests/test_output_folder.py")),
    "loader": (("src/obsgen/load/yaml.py",), ("tests/test_load.py", "tests/test_loader.py")),
    "slo": (("src/obsgen/resolve/slo.py",), ("tests/test_slo.py", "tests/test_slo_rules.py")),
    "lint": (("src/obsgen/check/lint",), ("tests/test_lint.py", "tests/test_no_silent_failures.py",
                                         "tests/test_lint_exprs.py", "tests/test_lint_catalog.py",
                                         "tests/test_lint_routing.py")),
}
COPIED = ("src", "tests", "specs", "generated", "templates", "schemas", "pyproject.toml")


def _config(modules: tuple[str, ...], tests: tuple[str, ...]) -> str:
    quoted = lambda items: ", ".join(f'"{i}"' for i in items)  # noqa: E731
    return ("\n[tool.mutmut]\n"
            f"source_paths = [{quoted(modules)}]\n"
            f'also_copy = ["src", "specs", "generated", "templates", "schemas"]\n'
            f"pytest_add_cli_args_test_selection = [{quoted(tests)}, \"-p\", \"no:cacheprovider\"]\n")


def sources(group: str, root: Path = ROOT) -> list[str]:
    """The files a group mutates (a folder stands for the .py files under it), sorted."""
    out: list[str] = []
    for m in GROUPS[group][0]:
        path = root / m
        out += sorted(p.relative_to(root).as_posix() for p in path.rglob("*.py")) if path.is_dir() else [m]
    return out


def digest(group: str, root: Path = ROOT) -> str:
    """What a group's results depend on: the code mutated and the tests run against it. A result
    recorded under another digest is stale (mutation/report.py says so)."""
    h = hashlib.sha256()
    for name in (*sources(group, root), *GROUPS[group][1], "tests/conftest.py"):
        h.update(name.encode() + b"\0" + (root / name).read_bytes() + b"\0")
    return h.hexdigest()


def prepare(group: str) -> Path:
    modules, tests = GROUPS[group]
    home = WORK / group
    home.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        target = home / name
        if (ROOT / name).is_dir():
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, target)
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    start = text.index("[tool.mutmut]")
    end = text.find("\n[", start + 1)
    (home / "pyproject.toml").write_text(text[:start] + _config(modules, tests).lstrip() +
                                         (text[end:] if end != -1 else ""), encoding="utf-8")
    # Changed code or tests invalidate the group's results: mutmut keeps a result while the mutated
    # function is unchanged, so it would keep a survivor that a new test kills, and it keeps its map
    # of which tests reach which function, so a new function would have "no tests".
    stamp = home / "inputs.sha256"
    now = digest(group)
    if stamp.exists() and stamp.read_text() != now and (home / "mutants").exists():
        shutil.rmtree(home / "mutants")
    stamp.write_text(now)
    return home


def main(argv: list[str]) -> int:
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    groups = [a for a in (argv[:argv.index("--")] if "--" in argv else argv)] or list(GROUPS)
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        print(f"unknown group(s) {', '.join(unknown)}; groups: {', '.join(GROUPS)}", file=sys.stderr)
        return 2
    failed = 0
    for group in groups:
        home = prepare(group)
        print(f"== {group}: {', '.join(GROUPS[group][0])} against {', '.join(GROUPS[group][1])}", flush=True)
        env = {**os.environ, "OBSGEN_SHARED": os.environ.get("OBSGEN_SHARED", str((ROOT.parent / "shared").resolve()))}
        started = digest(group)
        done = subprocess.run([sys.executable, "-m", "mutmut", "run", *extra], cwd=home, env=env)
        failed |= done.returncode != 0
        # What these results were made from, read by mutation/report.py (an edit during the run
        # makes them stale: the stamp is the digest at the start).
        (home / "digest").write_text(started)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
