"""Mimir ruler: the model's rule groups as namespaces for `mimirtool rules sync` (or `load`).

mimirtool reads YAML files of `namespace:` + `groups:` (Prometheus rule groups). We write one file
per namespace, a namespace per team or per service (`output.mimir.namespaces`), holding exactly
the groups the files target writes as rule files (targets.rules.service_groups). Group names are
unique within a namespace because service group names are unique in the spec and SLO groups are
named `<service>-slo-<slo>`.

`sync` makes the tenant's rules equal to the files it is given: it deletes every namespace of the
tenant that no file holds. So the files of one environment are the whole rule set of its tenant,
and must be synced together; a team or service without rules has no file, and sync removes what
it had. Thanos' ruler reads plain Prometheus rule files: the files target's rules serve it as is.
"""
from __future__ import annotations

from itertools import groupby

from obsgen.core.serialise import Artifact, to_yaml
from obsgen.resolve.model import Model
from obsgen.targets.rules import service_groups

RULES_DIR = "mimir/rules"
# The tenant Mimir uses for every request when multi-tenancy is off (-auth.no-auth-tenant).
NO_AUTH_TENANT = "anonymous"


def namespace_file(namespace: str) -> str:
    return f"{RULES_DIR}/{namespace}.yaml"


def namespaces(model: Model) -> dict[str, list[dict]]:
    """{namespace: its rule groups}, sorted by namespace; services in name order inside each."""
    groups = service_groups(model)
    per_team = model.spec.output.mimir.namespaces == "team"
    owner = {s.name: s.team if per_team else s.name for s in model.services}
    ordered = sorted(groups, key=lambda name: (owner[name], name))
    return {ns: [g for name in names for g in groups[name]]
            for ns, names in groupby(ordered, key=lambda name: owner[name])}


def sync_command(model: Model) -> str:
    tenant = model.spec.output.mimir.tenant or NO_AUTH_TENANT
    return f'mimirtool rules sync --address "$MIMIR_ADDRESS" --id {tenant} --rule-dirs {RULES_DIR}'


def _header(model: Model, namespace: str) -> str:
    tenant = model.spec.output.mimir.tenant
    whose = f"tenant {tenant}" if tenant else f"tenant {NO_AUTH_TENANT} (Mimir's when multi-tenancy is off)"
    return (f"{model.header()}\n\n"
            f"Mimir ruler namespace {namespace}, {whose}. Sync all of mimir/rules/ at once, from this\n"
            f"environment's output folder, with the ruler's address in MIMIR_ADDRESS:\n"
            f"  {sync_command(model)}\n"
            f"sync deletes the tenant's namespaces that no file here holds; `mimirtool rules load` only\n"
            f"adds and updates.")


class MimirTarget:
    name = "mimir"

    def generate(self, model: Model) -> list[Artifact]:
        return [Artifact(namespace_file(ns), to_yaml({"namespace": ns, "groups": groups}, _header(model, ns)))
                for ns, groups in namespaces(model).items()]
