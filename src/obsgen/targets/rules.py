"""Rule files: one per service (or per team), one group per service inside: the service's
recording rules first (alerts may use them), then its alerts."""
from __future__ import annotations

from itertools import groupby

from .. import naming
from ..model import Alert, Model
from ..output import Artifact, to_yaml
from ..spec import RecordingRuleSpec, ServiceSpec


def alert_rule(alert: Alert) -> dict:
    rule: dict = {"alert": alert.name, "expr": alert.spec.expr.strip()}
    if naming.duration_seconds(alert.spec.for_) > 0:
        rule["for"] = alert.spec.for_
    if alert.spec.keep_firing_for:
        rule["keep_firing_for"] = alert.spec.keep_firing_for
    rule["labels"] = alert.labels
    annotations = alert.annotations
    if annotations:
        rule["annotations"] = annotations
    return rule


def recording_rule(rec: RecordingRuleSpec) -> dict:
    rule: dict = {"record": rec.record, "expr": rec.expr.strip()}
    if rec.labels:
        rule["labels"] = dict(sorted(rec.labels.items()))
    return rule


def group_name(service: ServiceSpec) -> str:
    return service.rule_group.name or service.name


def rule_group(service: ServiceSpec, alerts: list[Alert]) -> dict:
    group: dict = {"name": group_name(service)}
    if service.rule_group.interval:
        group["interval"] = service.rule_group.interval
    if service.rule_group.limit is not None:
        group["limit"] = service.rule_group.limit
    group["rules"] = [recording_rule(r) for r in service.recording_rules] + [alert_rule(a) for a in alerts]
    return group


class RulesTarget:
    name = "rules"

    def generate(self, model: Model) -> list[Artifact]:
        per_team = model.spec.global_.rule_files_per == "team"
        alerts = {name: list(owned) for name, owned in groupby(model.alerts, key=lambda a: a.service)}
        services = [s for s in model.services if s.recording_rules or s.name in alerts]
        owner = (lambda s: s.team) if per_team else (lambda s: s.name)
        out = []
        for file_owner, owned in groupby(sorted(services, key=lambda s: (owner(s), s.name)), key=owner):
            groups = [rule_group(s, alerts.get(s.name, [])) for s in owned]
            out.append(Artifact(naming.rules_file(file_owner), to_yaml({"groups": groups}, model.header())))
        return out
