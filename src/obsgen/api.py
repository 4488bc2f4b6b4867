"""The library API: what the CLI (and anyone else) calls. Nothing here prints."""
from __future__ import annotations

import dataclasses

import os
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostic, Pos, error, has_errors, normalise
from .loader import YMap, load_file, load_text
from .model import Model
from .output import Artifact
from .resolve import SpecFile, resolve

SPEC_SUFFIXES = (".yaml", ".yml")
DEFAULT_SPECS = "specs"


@dataclass
class Project:
    models: list[Model]
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


def _display(path: Path) -> str:
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
            diags.append(error("OBS023", "no such file or folder", Pos(_display(p))))
    if not found and not diags:
        diags.append(error("OBS023", "no spec files (*.yaml, *.yml) found",
                           Pos(", ".join(_display(p) for p in paths) or DEFAULT_SPECS),
                           hint="run `obsgen init` for a starter project"))
    return sorted(found.values(), key=lambda pair: pair[1]), diags


def load_project(paths: list[Path], output: str | None = None) -> Project:
    """Load, parse and resolve the spec files under `paths`; `output` replaces every environment's
    `output.target` (files, operator, mimir)."""
    files, diags = discover(paths)
    spec_files = []
    names: dict[str, str] = {}
    for path, name in files:
        display = _display(path)
        if name in names:  # two folders with the same relative file: keep headers unambiguous
            name = display
        names[name] = display
        tree, file_diags = load_file(path, display)
        diags += file_diags
        if isinstance(tree, YMap):
            spec_files.append(SpecFile(name=name, display=display, tree=tree))
    return _resolve(spec_files, diags, output)


def load_texts(texts: dict[str, str]) -> Project:
    """Resolve specs given as {file name: YAML text}; for tests and tools that hold specs in memory."""
    diags: list[Diagnostic] = []
    spec_files = []
    for name in sorted(texts):
        tree, file_diags = load_text(texts[name], name)
        diags += file_diags
        if isinstance(tree, YMap):
            spec_files.append(SpecFile(name=name, display=name, tree=tree))
    return _resolve(spec_files, diags)


def _resolve(spec_files: list[SpecFile], diags: list[Diagnostic], output: str | None = None) -> Project:
    from .secrets import scan_tree

    if spec_files:
        models, more = resolve(spec_files, output)
        # Literal credentials anywhere in the spec's values; where the spec's shape already refused
        # the value (a URL field with a password in it), that diagnostic says it better.
        known = {(d.pos.file, d.pos.line) for d in more if d.code == "OBS013"}
        leaks = [d for f in spec_files for d in scan_tree(f.tree) if (d.pos.file, d.pos.line) not in known]
        diags = diags + more + leaks
    else:
        models = []
    diags = normalise(diags)
    return Project(models=models if not has_errors(diags) else [], diagnostics=diags)


def generate(project: Project, targets: list[str] | None = None, output: str | None = None) -> dict[str, str]:
    """Every environment's artifacts: {path relative to the output folder: text}.

    `output` (files, operator, mimir) replaces each environment's `output.target`."""
    from .targets import generate_all

    out: dict[str, str] = {}
    for model in project.models:
        if output and output != model.spec.output.target:
            # Targets read the output target from the spec (prometheus.yml drops rule_files under
            # mimir): the override must look as if the spec had said it.
            spec = model.spec.model_copy(update={"output": model.spec.output.model_copy(update={"target": output})})
            model = dataclasses.replace(model, spec=spec)
        for art in generate_all(model, targets, output):
            out[f"{model.env}/{art.path}"] = art.content
    return dict(sorted(out.items()))


__all__ = ["Artifact", "Project", "discover", "generate", "load_project", "load_texts"]
