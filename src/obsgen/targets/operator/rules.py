"""PrometheusRule resources: the files target's rule groups, one resource per service or team."""
from __future__ import annotations

from obsgen.resolve.model import Model
from obsgen.targets.operator.common import MONITORING_V1, metadata, resource
from obsgen.targets.rules import service_groups


def prometheus_rules(model: Model) -> dict[str, dict]:
    """{owner: PrometheusRule}, owner being a service or (rules_per: team) a team. Each holds the
    owner's groups exactly as `service_groups` gives them, services in name order, so the operator
    evaluates the same rules as the files target writes."""
    per_team = model.spec.output.operator.rules_per == "team"
    teams = {s.name: s.team for s in model.services}
    owned: dict[str, list[dict]] = {}
    for service, groups in service_groups(model).items():
        owned.setdefault(teams[service] if per_team else service, []).extend(groups)
    return {owner: resource(MONITORING_V1, "PrometheusRule", metadata(model, owner), {"groups": groups})
            for owner, groups in sorted(owned.items())}
