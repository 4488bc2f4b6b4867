"""What commands do, without the command-line framework: `cli.py` (typer) and the fast entry
point (`entry.py`) both call these, so `obsgen validate` behaves the same either way."""
from __future__ import annotations

import sys
from pathlib import Path


def err(text: str) -> None:
    print(text, file=sys.stderr)


def report(diags: list, fmt: str) -> None:
    from .diagnostics import Severity, format_json, format_text

    if fmt == "json":
        print(format_json(diags))
    else:
        for d in diags:
            err(format_text(d))
        errors = sum(d.severity is Severity.ERROR for d in diags)
        warnings = len(diags) - errors
        if diags:
            err(f"{errors} error(s), {warnings} warning(s)")


def load(paths: list[Path] | None, fmt: str, strict: bool, output: str | None = None):
    """Load and report: (project, failed)."""
    from .api import DEFAULT_SPECS, load_project
    from .diagnostics import Severity

    project = load_project(paths or [Path(DEFAULT_SPECS)], output)
    diags = project.diagnostics
    failed = not project.ok or (strict and any(d.severity is Severity.WARNING for d in diags))
    report(diags, fmt)
    return project, failed


def validate(paths: list[Path] | None, fmt: str, strict: bool, output: str | None) -> int:
    """`obsgen validate`: the exit code."""
    project, failed = load(paths, fmt, strict, output)
    if failed:
        return 1
    if fmt == "text":
        models = project.models
        m = models[0] if models else None
        services, alerts, slos = (len(m.services), len(m.alerts), len(m.slos)) if m else (0, 0, 0)
        err(f"ok: {len(models)} environment(s), {services} service(s), {alerts} alert(s), {slos} SLO(s)")
    return 0


def build(paths: list[Path] | None, out: Path, check: bool, fmt: str, strict: bool, output: str | None) -> int:
    """`obsgen build` (and `build --check`): the exit code."""
    project, failed = load(paths, fmt, strict, output)
    if failed:
        err("nothing written")
        return 1
    from .api import generate
    from .secrets import scan_files
    from .writer import MANIFEST, diff_tree, write_tree

    files = generate(project)
    leaks = scan_files(files)
    if leaks:
        report(leaks, fmt)
        err("nothing written")
        return 1
    if check:
        changes = diff_tree(out, files)
        if changes.any:
            for label, items in (("changed", changes.changed), ("missing", changes.added),
                                 ("would be removed", changes.removed)):
                for item in items:
                    if item != MANIFEST:
                        err(f"stale: {out / item} ({label})")
            err(f"{out} is stale: run `obsgen build` and commit the result")
            return 1
        err(f"{out} is up to date ({len(files)} files)")
        return 0
    changes = write_tree(out, files)
    count = lambda items: sum(1 for p in items if p != MANIFEST)  # noqa: E731
    err(f"wrote {out}: {len(files)} files ({count(changes.added)} added, {count(changes.changed)} changed, "
        f"{count(changes.removed)} removed)")
    return 0
