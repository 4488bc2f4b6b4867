"""What commands do, without the command-line framework: `app.py` (typer) and the fast entry
point (`entry.py`) both call these, so `obsgen validate` behaves the same either way.

Commands import what they use when they run (function-level imports): `obsgen --help`, and the
plain `validate` and `build` that pre-commit hooks and CI run, import only what they need.
"""
from __future__ import annotations

import sys
from pathlib import Path

from obsgen.core import interrupts


def err(text: str) -> None:
    print(text, file=sys.stderr)


def write_file(path: Path, text: str) -> str | None:
    """Write a file the user named (an imported spec, the schema): None, or why it failed, in one
    line (a missing folder, a read-only disk, a full one)."""
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    except FileNotFoundError:
        return f"cannot write {path}: the folder {path.parent} does not exist"
    except IsADirectoryError:
        return f"cannot write {path}: it is a folder"
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror or exc}"
    return None


def report(diags: list, fmt: str) -> None:
    from obsgen.core.diagnostics import Severity, format_json, format_text

    if fmt == "json":
        print(format_json(diags))
    else:
        for d in diags:
            err(format_text(d))
        errors = sum(d.severity is Severity.ERROR for d in diags)
        notes = sum(d.severity is Severity.NOTE for d in diags)
        warnings = len(diags) - errors - notes
        if diags:
            err(f"{errors} error(s), {warnings} warning(s)" + (f", {notes} note(s)" if notes else ""))


def load(paths: list[Path] | None, fmt: str, strict: bool, output: str | None = None, findings: bool = True):
    """Load and report: (project, failed). Commands that are not about validating the spec
    (`findings=False`: explain, route, drill, build --check) print its errors, and only count its
    warnings, which `obsgen validate` lists."""
    from obsgen.api import DEFAULT_SPECS, load_project
    from obsgen.core.diagnostics import Severity

    project = load_project(paths or [Path(DEFAULT_SPECS)], output)
    interrupts.raise_if_pending()  # an interrupt swallowed while parsing: its errors are not to be trusted
    diags = project.diagnostics
    failed = not project.ok or (strict and any(d.severity is Severity.WARNING for d in diags))
    if findings or failed:
        report(diags, fmt)
    elif fmt == "text":
        warnings = sum(d.severity is Severity.WARNING for d in diags)
        if warnings:
            err(f"the spec has {warnings} warning(s): `obsgen validate` lists them")
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
    from obsgen.api import DEFAULT_SPECS
    from obsgen.write.tree import OutputError, check_output_folder

    try:
        check_output_folder(out, paths or [Path(DEFAULT_SPECS)])
    except OutputError as exc:
        err(f"obsgen build: {exc}")
        err("nothing written")
        return 1
    project, failed = load(paths, fmt, strict, output, findings=not check)
    if failed:
        err("nothing written")
        return 1
    from obsgen.api import generate
    from obsgen.check.secrets import scan_files

    files = generate(project)
    interrupts.raise_if_pending()
    leaks = scan_files(files)
    if leaks:
        report(leaks, fmt)
        err("nothing written")
        return 1
    try:
        return _check(out, files) if check else _write(out, files)
    except OutputError as exc:
        err(f"obsgen build: {exc}")
        if not check:
            err("nothing written")
        return 1


def _notes(changes) -> None:
    for note in changes.ignored:
        err(f"note: manifest entry {note}")


def _check(out: Path, files: dict[str, str]) -> int:
    from obsgen.write.tree import MANIFEST, diff_tree

    changes = diff_tree(out, files)
    _notes(changes)
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


def _write(out: Path, files: dict[str, str]) -> int:
    from obsgen.write.tree import MANIFEST, write_tree

    changes = write_tree(out, files, waiting=lambda: err(f"waiting for another obsgen build into {out} to finish"))
    _notes(changes)
    count = lambda items: sum(1 for p in items if p != MANIFEST)  # noqa: E731
    err(f"wrote {out}: {len(files)} files ({count(changes.added)} added, {count(changes.changed)} changed, "
        f"{count(changes.removed)} removed)")
    return 0
