"""Rule files: one per service (or per team), one group per service inside: the service's
recording rules first (alerts may use them), then its alerts."""
from __future__ import annotations

from itertools import groupby

from obsgen.core import naming
from obsgen.core.serialise import Artifact, to_yaml
from obsgen.resolve.model import Alert, Model
from obsgen.resolve.slo import rule_groups
from obsgen.spec import RecordingRuleSpec, ServiceSpec
from obsgen.targets.ruletests import test_files


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


def rule_group(service: ServiceSpec, alerts: list[Alert], recording: list[RecordingRuleSpec] | None = None) -> dict:
    group: dict = {"name": group_name(service)}
    if service.rule_group.interval:
        group["interval"] = service.rule_group.interval
    if service.rule_group.limit is not None:
        group["limit"] = service.rule_group.limit
    if service.rule_group.query_offset:
        group["query_offset"] = service.rule_group.query_offset
    if service.rule_group.labels:
        group["labels"] = dict(sorted(service.rule_group.labels.items()))
    records = service.recording_rules if recording is None else recording
    group["rules"] = [recording_rule(r) for r in records] + [alert_rule(a) for a in alerts]
    return group


def service_groups(model: Model) -> dict[str, list[dict]]:
    """Every rule group of the model by service, in rule-file order: the service's own group (its
    recording rules and alerts, the spec's and those obsgen derives), then one group per SLO.
    The rules, operator and mimir targets all lay out these same groups."""
    alerts = {name: list(owned) for name, owned in groupby(model.alerts, key=lambda a: a.service)}
    slos: dict[str, list] = {}
    for slo in model.slos:
        slos.setdefault(slo.service.name, []).append(slo)
    out: dict[str, list[dict]] = {}
    for s in model.services:
        records = model.recording_rules(s)
        groups = [rule_group(s, alerts.get(s.name, []), records)] if records or s.name in alerts else []
        groups += rule_groups(slos.get(s.name, []))
        if groups:
            out[s.name] = groups
    return out


def rule_file_owners(model: Model) -> dict[str, list[ServiceSpec]]:
    """{rule file owner (a service, or a team with global.rule_files_per: team): its services with
    rules}, in file order."""
    per_team = model.spec.global_.rule_files_per == "team"
    alerting = {a.service for a in model.alerts}
    services = [s for s in model.services if model.recording_rules(s) or s.name in alerting]
    owner = (lambda s: s.team) if per_team else (lambda s: s.name)
    return {o: list(owned) for o, owned in groupby(sorted(services, key=lambda s: (owner(s), s.name)), key=owner)}


class RulesTarget:
    name = "rules"

    def __init__(self, tests: bool = True):
        self.tests = tests  # the rule files' tests too (written and generated); rebuilding rules needs none

    def generate(self, model: Model) -> list[Artifact]:
        alerts = {name: list(owned) for name, owned in groupby(model.alerts, key=lambda a: a.service)}
        out = []
        owners = rule_file_owners(model)
        for file_owner, owned in owners.items():
            groups = [rule_group(s, alerts.get(s.name, []), model.recording_rules(s)) for s in owned]
            out.append(Artifact(naming.rules_file(file_owner), to_yaml({"groups": groups}, model.header())))
        if self.tests:
            for path, (doc, _) in test_files(model, owners).items():
                out.append(Artifact(path, to_yaml(doc, model.header())))
        return out
