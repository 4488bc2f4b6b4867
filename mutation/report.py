"""Write mutation/REPORT.md from the last `nox -s mutants` run (mutmut's results, per group of
modules, in mutants-work/<group>/mutants/: see mutation/run.py).

Per module: how many mutants were made, how many the tests killed, the score, and every
surviving mutant with its diff; a survivor judged equivalent (no test could tell it apart,
because the program behaves the same) says why, from EQUIVALENT below.
"""
from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "mutants-work"
REPORT = ROOT / "mutation" / "REPORT.md"
TARGET = 90.0  # percent killed, per module (issue 23)

# Mutants that behave exactly like the original, and why (each was read and argued, not assumed).
EQUIVALENT: dict[str, str] = {
}

# mutmut's exit codes per mutant: 0 the tests passed (survived); 1 they failed (killed); 36 timed
# out (killed: the mutant hangs); 33 no test covers the function (survived); None not run.
KILLED = {1, 3, 36, -11, -9}


def outcomes() -> dict[str, dict[str, int | None]]:
    by_module: dict[str, dict[str, int | None]] = defaultdict(dict)
    for meta in sorted(WORK.glob("*/mutants/**/*.meta")):
        mutants = next(p for p in meta.parents if p.name == "mutants")
        module = meta.relative_to(mutants).with_suffix("").with_suffix("").as_posix()
        for key, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            by_module[module][key] = code
            _GROUP[key] = mutants.parent
    return by_module


_GROUP: dict[str, Path] = {}  # mutant -> the group's folder, where `mutmut show` finds it


def diff(key: str) -> str:
    done = subprocess.run([sys.executable, "-m", "mutmut", "show", key], cwd=_GROUP.get(key, ROOT),
                          capture_output=True, text=True)
    lines = done.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("---")), 0)
    return "\n".join(lines[start:])


def main() -> int:
    by_module = outcomes()
    if not by_module:
        print("no results in mutants-work/: run `nox -s mutants` first", file=sys.stderr)
        return 1
    rows, sections, below = [], [], []
    for module, results in sorted(by_module.items()):
        total = len(results)
        killed = sum(1 for code in results.values() if code in KILLED)
        not_run = sum(1 for code in results.values() if code is None)
        survived = sorted(k for k, code in results.items() if code not in KILLED and code is not None)
        equivalent = [k for k in survived if k in EQUIVALENT]
        score = 100.0 * killed / total if total else 100.0
        adjusted = 100.0 * (killed + len(equivalent)) / total if total else 100.0
        rows.append(f"| `{module}` | {total} | {killed} | {len(survived) - len(equivalent)} | {len(equivalent)} | "
                    f"{not_run} | {score:.1f}% | {adjusted:.1f}% |")
        if score < TARGET:
            below.append(module)
        for key in survived:
            why = EQUIVALENT.get(key)
            title = f"#### `{key}`" + (" (equivalent)" if why else "")
            sections.append("\n".join([title, "", *( [why, ""] if why else []), "```diff", diff(key), "```", ""]))
    text = "\n".join([
        "# Mutation testing", "",
        "Made by `nox -s mutants` (mutmut over the modules whose mistakes would silently break users' "
        "monitoring: the loader, lint, the secret scanner, SLO maths and rules, the route evaluator, the "
        "writer, the mergers), then `python mutation/report.py`. A mutant is killed when a test fails on it; "
        f"the goal is at least {TARGET:g}% killed in each module. Each group of modules is run against the tests "
        "written for it (mutation/run.py), so a mutant only a test elsewhere catches counts as a survivor. "
        "Equivalent mutants behave exactly like the original (each says why); the last column counts them as "
        "killed. Mutants not run (a run stopped early) count as not killed.", "",
        "| module | mutants | killed | survived | equivalent | not run | killed % | with equivalents |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |", *rows, "",
        "## Survivors", "", *sections])
    REPORT.write_text(text.rstrip() + "\n")
    print(f"wrote {REPORT.relative_to(ROOT)}; below {TARGET:g}%: {', '.join(below) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
