"""The one place every check of a spec runs from, in order: each file's top level; each
environment's semantic checks (names, references, expressions, settings that must agree); then,
where an environment has no errors, lint and objectives, with the spec's silences applied; and
last, silences that silenced nothing in any environment."""
from __future__ import annotations

from dataclasses import replace

from obsgen.check import lint, objectives, silences
from obsgen.check.batteries import heartbeat_findings
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
            # Every independent problem in one run: the lint findings of what parsed still count,
            # those that cannot depend on the broken part (a typo'd key must not hide them).
            diags += silences.apply(env.tree, _independent(env))[0]
            continue
        findings = (lint.run(env.tree, env.parsed, env.model) + objectives.findings(env.tree, env.parsed, env.model)
                    + heartbeat_findings(env.tree, env.parsed, env.model))
        left, silenced, env_used = silences.apply(env.tree, findings)
        diags += left
        used |= env_used
        models.append(replace(env.model, silenced=tuple(silenced)))
    # Unused silences are known only when every environment was linted.
    if len(models) == len(resolved.environments) and not has_errors(resolved.base_diagnostics):
        diags += silences.unused([env.tree for env in resolved.environments], used)
    return models, diags


# Findings about one expression or one alert, which what failed elsewhere cannot change. Those
# about the whole spec (metrics nothing provides, labels, ranges, routing, objectives) wait until
# it is whole: with part of it missing they could be false.
LOCAL_ALWAYS = frozenset({"OBS052", "OBS053", "OBS055", "OBS056", "OBS057", "OBS058", "OBS059", "OBS066", "OBS067"})
# Once every object parsed, the catalog is whole: expression findings are sound whatever else is wrong.
LOCAL_WHEN_PARSED = LOCAL_ALWAYS | {"OBS050", "OBS051", "OBS054", "OBS064"}


def _independent(env) -> list:
    """The lint findings of an environment that has errors, from what parsed."""
    parsed_whole = env.model is not None
    model = env.model or Model(env=env.name, sources=(), spec=env.parsed.spec())
    try:
        found = lint.expression_findings(env.tree, env.parsed, model) + lint.alert_findings(env.tree, env.parsed,
                                                                                             model)
    except (KeyError, AttributeError, TypeError, ValueError):  # a spec too broken to lint: its errors say why
        return []
    keep = LOCAL_WHEN_PARSED if parsed_whole else LOCAL_ALWAYS
    return [f for f in found if f.diagnostic.code in keep]

