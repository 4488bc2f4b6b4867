"""The one place every check of a spec runs from, in order: each file's top level; each
environment's semantic checks (names, references, expressions, settings that must agree); then,
where an environment has no errors, lint and objectives, with the spec's silences applied; and
last, silences that silenced nothing in any environment."""
from __future__ import annotations

from dataclasses import replace

from obsgen.check import lint, objectives, silences
from obsgen.check.files import check_file
from obsgen.check.semantic import Checker
from obsgen.core.diagnostics import Diagnostic, has_errors
from obsgen.resolve.environments import Resolved
from obsgen.resolve.merge import SpecFile
from obsgen.resolve.model import Model


def run_checks(files: list[SpecFile], resolved: Resolved) -> tuple[list[Model], list[Diagnostic]]:
    """(the models of environments without errors, with what their spec silenced; every
    diagnostic of the checks)."""
    diags: list[Diagnostic] = [d for f in files for d in check_file(f)]
    models: list[Model] = []
    used: set = set()
    for env in resolved.environments:
        checked = Checker(env.tree, env.parsed).run()
        diags += checked
        if env.model is None or has_errors(checked):
            continue
        findings = lint.run(env.tree, env.parsed, env.model) + objectives.findings(env.tree, env.parsed, env.model)
        left, silenced, env_used = silences.apply(env.tree, findings)
        diags += left
        used |= env_used
        models.append(replace(env.model, silenced=tuple(silenced)))
    # Unused silences are known only when every environment was linted.
    if len(models) == len(resolved.environments) and not has_errors(resolved.base_diagnostics):
        diags += silences.unused([env.tree for env in resolved.environments], used)
    return models, diags
