"""Finding spec files: every *.yaml / *.yml below the folders given (hidden ones left out), each with
a stable name for generated headers."""
from __future__ import annotations

import os
from pathlib import Path

from obsgen.core.diagnostics import Diagnostic, Pos, error

SPEC_SUFFIXES = (".yaml", ".yml")
DEFAULT_SPECS = "specs"


def display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def discover(paths: list[Path]) -> tuple[list[tuple[Path, str]], list[Diagnostic]]:
    """Spec files under `paths`: (path, stable name). A folder gives its *.yaml/*.yml files, searched
    recursively; the stable name is relative to that folder (for explicit files, the file name)."""
    found: dict[str, tuple[Path, str]] = {}
    diags = []
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.suffix in SPEC_SUFFIXES and f.is_file() and not any(
                        part.startswith(".") for part in f.relative_to(p).parts):
                    found.setdefault(str(f.resolve()), (f, f.relative_to(p).as_posix()))
        elif p.is_file():
            found.setdefault(str(p.resolve()), (p, p.name))
        else:
            diags.append(error("OBS023", "no such file or folder", Pos(display(p)),
                               hint="run `obsgen init` for a starter project" if str(p) == DEFAULT_SPECS else None))
    if not found and not diags:
        diags.append(error("OBS023", "no spec files (*.yaml, *.yml) found",
                           Pos(", ".join(display(p) for p in paths) or DEFAULT_SPECS),
                           hint="run `obsgen init` for a starter project"))
    return sorted(found.values(), key=lambda pair: pair[1]), diags
