"""Alerting rule files: one per service (or per team), a group per service inside."""
from __future__ import annotations

from itertools import groupby

from .. import naming
from ..model import Alert, Model
from ..output import Artifact, to_yaml


def alert_rule(alert: Alert) -> dict:
    rule: dict = {"alert": alert.name, "expr": alert.spec.expr.strip()}
    if naming.duration_seconds(alert.spec.for_) > 0:
        rule["for"] = alert.spec.for_
    if alert.spec.keep_firing_for:
        rule["keep_firing_for"] = alert.spec.keep_firing_for
    rule["labels"] = alert.labels
    rule["annotations"] = alert.annotations
    return rule


class RulesTarget:
    name = "rules"

    def generate(self, model: Model) -> list[Artifact]:
        per_team = model.spec.global_.rule_files_per == "team"
        owner = (lambda a: a.team) if per_team else (lambda a: a.service)
        alerts = sorted(model.alerts, key=lambda a: (owner(a), a.service, a.name))
        out = []
        for file_owner, owned in groupby(alerts, key=owner):
            groups = [
                {"name": service, "rules": [alert_rule(a) for a in in_service]}
                for service, in_service in groupby(owned, key=lambda a: a.service)
            ]
            out.append(Artifact(naming.rules_file(file_owner), to_yaml({"groups": groups}, model.header())))
        return out
