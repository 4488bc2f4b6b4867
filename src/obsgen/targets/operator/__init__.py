"""The operator target: Prometheus Operator resources instead of prometheus.yml, rule files and
dashboard files. alertmanager.yml is still written beside (by the alertmanager target).

Layout under the environment's `operator/` folder, one file per thing a reviewer looks for, so a
change to one service shows up in that service's files only; `kubectl apply -R -f operator/`
applies it all:
- rules/<service or team>.yaml      a PrometheusRule
- scrape/<service>.yaml             the service's ServiceMonitor, PodMonitor, ScrapeConfig and Probes
- alertmanager/config-secret.yaml   (secret mode) the Secret for the Alertmanager's configSecret
- alertmanager/<namespace>/<name>.yaml  (alertmanager_config mode) an AlertmanagerConfig
- alertmanager/templates.yaml       (alertmanager_config mode) ConfigMap of notification templates
- dashboards/<uid>.yaml             a dashboard ConfigMap for the Grafana sidecar
Every file is multi-document YAML with obsgen's header. `extract` turns the folder back into plain
rule files and an alertmanager.yml for promtool and amtool.
"""
from __future__ import annotations

from obsgen.core.serialise import Artifact, to_yaml_documents
from obsgen.resolve.model import Model
from obsgen.targets.operator.alerting import alertmanager_configs, config_secret, templates_configmap
from obsgen.targets.operator.dashboards import dashboard_configmaps
from obsgen.targets.operator.extract import alertmanager_files, operator_rule_file_groups, rule_files
from obsgen.targets.operator.rules import prometheus_rules
from obsgen.targets.operator.scrape import scrape_resources

FOLDER = "operator"

__all__ = ["OperatorTarget", "alertmanager_files", "operator_rule_file_groups", "rule_files"]


class OperatorTarget:
    name = "operator"

    def generate(self, model: Model) -> list[Artifact]:
        header = model.header()
        files: dict[str, list[dict]] = {}
        for owner, rule in prometheus_rules(model).items():
            files[f"{FOLDER}/rules/{owner}.yaml"] = [rule]
        for service in model.services:
            docs = scrape_resources(model, service)
            if docs:
                files[f"{FOLDER}/scrape/{service.name}.yaml"] = docs
        if model.spec.output.operator.alertmanager == "secret":
            files[f"{FOLDER}/alertmanager/config-secret.yaml"] = [config_secret(model)]
        else:
            for doc in alertmanager_configs(model):
                meta = doc["metadata"]
                files[f"{FOLDER}/alertmanager/{meta['namespace']}/{meta['name']}.yaml"] = [doc]
            files[f"{FOLDER}/alertmanager/templates.yaml"] = [templates_configmap(model)]
        for uid, cm in dashboard_configmaps(model).items():
            files[f"{FOLDER}/dashboards/{uid}.yaml"] = [cm]
        return [Artifact(path, to_yaml_documents(docs, header)) for path, docs in sorted(files.items())]
