"""Every environment of a spec: the files merged, the environment's overrides applied, parsed into
the spec's models, and (where it parses) the model targets generate from. No checks run here:
`check` looks at what this returns, and `api` drives the two."""
from __future__ import annotations

from dataclasses import dataclass

from obsgen.core.diagnostics import Diagnostic
from obsgen.load.yaml import YMap
from obsgen.resolve.merge import DEFAULT_ENV, SpecFile, apply_environment, merge_files
from obsgen.resolve.model import Model
from obsgen.spec import OutputSpec
from obsgen.spec.parse import Parsed, parse_project


@dataclass
class Environment:
    name: str
    tree: YMap  # the merged spec with this environment's overrides: what checks locate positions in
    parsed: Parsed
    model: Model | None  # None where the spec does not parse


@dataclass
class Resolved:
    environments: list[Environment]
    diagnostics: list[Diagnostic]  # merging and parsing
    # An override changed a value's shape (a mapping for a list, say): the base's own types were
    # parsed on their own, and these are its errors (they would otherwise go unseen).
    base_diagnostics: list[Diagnostic]


def resolve(files: list[SpecFile], output: str | None = None) -> Resolved:
    """Every environment, sorted by name (`default` when the spec declares none). `output` (files,
    operator, mimir) replaces each environment's `output.target`, as `obsgen build --target` asks;
    it is then checked as if the spec had said it."""
    root, envs, diags = merge_files(files)
    if not envs:
        envs = {DEFAULT_ENV: YMap(root.pos)}
    sources = tuple(sorted(f.name for f in files))
    environments, reshaped = [], []
    for name in sorted(envs):
        tree, env_diags, removed = apply_environment(root, name, envs[name], reshaped)
        diags += env_diags
        parsed, parse_diags = parse_project(tree)
        diags += parse_diags
        if output and isinstance(parsed.sections.get("output"), OutputSpec):
            parsed.sections["output"] = parsed.sections["output"].model_copy(update={"target": output})
        model = Model(env=name, sources=sources, spec=parsed.spec(), removed=tuple(removed)) if parsed.ok else None
        environments.append(Environment(name, tree, parsed, model))
    base: list[Diagnostic] = []
    if reshaped:
        _, base_diags = parse_project(root)
        base = [d for d in base_diags if d.code == "OBS011"]
    return Resolved(environments, diags, base)
