"""The library API: what the CLI (and anyone else) calls. Nothing here prints.

It drives the pipeline: load (spec files found and read with positions) -> parse and resolve
(files merged, environments applied, models) -> check (every semantic check, lint, objectives,
silences, literal secrets) -> generate (targets) ; writing is `write.tree`'s."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from obsgen.check.run import run_checks
from obsgen.check.secrets import scan_tree
from obsgen.core.diagnostics import Diagnostic, has_errors, normalise
from obsgen.core.serialise import Artifact
from obsgen.load.discover import DEFAULT_SPECS, SPEC_SUFFIXES, discover, display
from obsgen.load.yaml import YMap, load_file, load_text
from obsgen.resolve.environments import resolve
from obsgen.resolve.merge import SpecFile
from obsgen.resolve.model import Model
from obsgen.targets import generate_all


@dataclass
class Project:
    models: list[Model]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    trees: list[YMap] = field(default_factory=list)  # the spec files as read, with positions

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


def load_project(paths: list[Path], output: str | None = None) -> Project:
    """Load, parse and resolve the spec files under `paths`; `output` replaces every environment's
    `output.target` (files, operator, mimir)."""
    files, diags = discover(paths)
    spec_files = []
    names: dict[str, str] = {}
    for path, name in files:
        shown = display(path)
        if name in names:  # two folders with the same relative file: keep headers unambiguous
            name = shown
        names[name] = shown
        tree, file_diags = load_file(path, shown)
        diags += file_diags
        if isinstance(tree, YMap):
            spec_files.append(SpecFile(name=name, display=shown, tree=tree))
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
    if spec_files:
        resolved = resolve(spec_files, output)
        models, checked = run_checks(spec_files, resolved)
        more = resolved.diagnostics + resolved.base_diagnostics + checked
        # Literal credentials anywhere in the spec's values; where the spec's shape already refused
        # the value (a URL field with a password in it), that diagnostic says it better.
        known = {(d.pos.file, d.pos.line) for d in more if d.code == "OBS013"}
        leaks = [d for f in spec_files for d in scan_tree(f.tree) if (d.pos.file, d.pos.line) not in known]
        diags = diags + more + leaks
    else:
        models = []
    diags = normalise(diags)
    return Project(models=models if not has_errors(diags) else [], diagnostics=diags,
                   trees=[f.tree for f in spec_files])


def generate(project: Project, targets: list[str] | None = None, output: str | None = None) -> dict[str, str]:
    """Every environment's artifacts: {path relative to the output folder: text}.

    `output` (files, operator, mimir) replaces each environment's `output.target`."""
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


__all__ = ["DEFAULT_SPECS", "SPEC_SUFFIXES", "Artifact", "Project", "discover", "generate", "load_project",
           "load_texts"]
