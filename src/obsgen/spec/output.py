"""`output`: the output target, sharding, Grafana provisioning."""
from typing import Annotated, Literal

from pydantic import Field

from obsgen.spec.base import Name, Spec
from obsgen.spec.teams import SafeURL

K8sLabels = dict[Annotated[str, Field(pattern=r"^([a-z0-9]([a-z0-9.-]*[a-z0-9])?/)?[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$")],
                 Annotated[str, Field(pattern=r"^([A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?)?$", max_length=63)]]


class OperatorSpec(Spec):
    namespace: Name = Field("monitoring", description="namespace of the Prometheus Operator resources "
                                                      "(PrometheusRule, monitors, ScrapeConfig, Probe)")
    labels: K8sLabels = Field(default_factory=dict, description="labels on every resource, for the Prometheus "
                                                                "resource's rule, monitor and probe selectors",
                              examples=[{"release": "kube-prometheus-stack"}])
    rules_per: Literal["service", "team"] = Field("service", description="one PrometheusRule per service or per "
                                                                         "team")
    alertmanager: Literal["secret", "alertmanager_config"] = Field(
        "secret", description="secret: the whole alertmanager.yml as a Secret manifest for the Alertmanager "
                              "resource's configSecret; alertmanager_config: an AlertmanagerConfig per team, in the "
                              "team's namespace")
    team_namespaces: dict[Name, Name] = Field(
        default_factory=dict, description="with alertmanager_config: the namespace of each team's "
                                          "AlertmanagerConfig; unset for a team: the team's name",
        examples=[{"backend": "waardhaven"}])
    grafana_sidecar_label: K8sLabels = Field(
        default_factory=lambda: {"grafana_dashboard": "1"},
        description="label the Grafana sidecar picks dashboard ConfigMaps up by", examples=[{"grafana_dashboard": "1"}])


class MimirSpec(Spec):
    remote_write_url: SafeURL | None = Field(
        None, description="where Prometheus remote-writes its samples (Mimir's /api/v1/push); unset: none",
        examples=["http://mimir-distributor:8080/api/v1/push"])
    tenant: Annotated[str, Field(pattern=r"^[A-Za-z0-9!._*'()-]+$")] | None = Field(
        None, description="Mimir tenant (X-Scope-OrgID) written with, and rules synced to", examples=["trading"])
    namespaces: Literal["team", "service"] = Field("team", description="rule namespace per team or per service")


class ShardingSpec(Spec):
    shards: int = Field(1, ge=1, le=64, description="number of Prometheus servers the scrape jobs are split over")
    by: Literal["hashmod", "team"] = Field(
        "hashmod", description="hashmod: every shard runs every job and keeps the targets whose address hashes to "
                               "it; team: each team's jobs go to one shard, whole")
    pin: dict[str, Annotated[int, Field(ge=0, le=63)]] = Field(
        default_factory=dict, description="by team: teams placed on a given shard (numbered from 0), where they stay "
                                          "when other teams come, go or grow; the others are balanced around them",
        examples=[{"payments": 0}])


class GrafanaProvisioning(Spec):
    enabled: bool = Field(True, description="write provisioning files so a stock Grafana loads generated/ as is")
    path: Annotated[str, Field(pattern=r"^/")] = Field(
        "/var/lib/grafana/obsgen", description="where the environment's grafana/ folder is mounted in Grafana",
        examples=["/var/lib/grafana/obsgen"])
    datasource_url: SafeURL = Field("http://prometheus:9090", description="URL Grafana queries Prometheus at",
                                    examples=["http://prometheus:9090"])


class OutputSpec(Spec):
    target: Literal["files", "operator", "mimir"] = Field(
        "files", description="files: prometheus.yml and rule files; operator: Prometheus Operator resources; "
                             "mimir: rule namespaces for `mimirtool rules sync`, evaluated by Mimir's ruler. "
                             "`obsgen build --target` overrides it")
    operator: OperatorSpec = Field(default_factory=OperatorSpec, description="settings of the operator target",
                                   examples=[{"namespace": "monitoring", "labels": {"release": "prometheus"}}])
    mimir: MimirSpec = Field(default_factory=MimirSpec, description="settings of the mimir target",
                             examples=[{"remote_write_url": "http://mimir:8080/api/v1/push", "tenant": "trading"}])
    sharding: ShardingSpec = Field(default_factory=ShardingSpec, description="functional sharding of scraping",
                                   examples=[{"shards": 3, "by": "hashmod"}])
    grafana: GrafanaProvisioning = Field(default_factory=GrafanaProvisioning,
                                         description="Grafana provisioning files",
                                         examples=[{"path": "/var/lib/grafana/obsgen"}])


