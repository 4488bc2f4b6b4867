"""The top level of each spec file on its own: apiVersion, known sections, environment names."""
from __future__ import annotations

from obsgen.core import naming
from obsgen.core.diagnostics import Diagnostic, error
from obsgen.load.yaml import YMap
from obsgen.resolve.merge import SpecFile
from obsgen.spec import ENV_KEYS, FILE_KEYS, SECTION_KEYS
from obsgen.spec.parse import did_you_mean


def check_file(f: SpecFile) -> list[Diagnostic]:
    """Top-level shape of one file: apiVersion and known sections."""
    diags = []
    tree = f.tree
    if "apiVersion" not in tree:
        diags.append(error("OBS007", f"missing `apiVersion: {naming.API_VERSION}`", tree.pos))
    elif tree["apiVersion"] != naming.API_VERSION:
        diags.append(error("OBS007", f"unsupported apiVersion {tree['apiVersion']!r}",
                           tree.val_pos["apiVersion"], hint=f"this obsgen reads {naming.API_VERSION}"))
    allowed = FILE_KEYS + SECTION_KEYS
    for key in tree:
        if key not in allowed:
            diags.append(error("OBS010", f"unknown top-level key `{key}`", tree.key_pos[key],
                               hint=did_you_mean(key, list(allowed)) or f"allowed: {', '.join(allowed)}"))
    envs = tree.get("environments")
    if envs is not None and not isinstance(envs, YMap):
        diags.append(error("OBS011", "environments: should be a mapping of name to overrides",
                           tree.val_pos["environments"]))
    elif envs:
        for name, body in envs.items():
            try:
                naming.check_name(name)
            except ValueError as exc:
                diags.append(error("OBS032", f"environment {name!r}: {exc}", envs.key_pos[name]))
            if body is None:
                continue
            if not isinstance(body, YMap):
                diags.append(error("OBS011", f"environments.{name}: should be a mapping", envs.val_pos[name]))
                continue
            for key in body:
                if key not in ENV_KEYS:
                    diags.append(error("OBS010", f"unknown key `environments.{name}.{key}`", body.key_pos[key],
                                       hint=did_you_mean(key, list(ENV_KEYS)) or f"allowed: {', '.join(ENV_KEYS)}"))
    return diags
