"""prometheus.yml: global block, rule files, Alertmanagers, one scrape job per service."""
from __future__ import annotations

import re

from .. import naming
from ..model import Model
from ..output import Artifact, to_yaml
from ..spec import EXPORTER_PORTS, KubernetesScrape, ScrapeSpec, ServiceSpec

SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
# The Kubernetes object whose labels and annotations a role's targets carry.
_META_OBJECT = {"pod": "pod", "service": "service", "endpoints": "service", "endpointslice": "service",
                "node": "node", "ingress": "ingress"}
_PORT_NAME = {"pod": "__meta_kubernetes_pod_container_port_name",
              "endpoints": "__meta_kubernetes_endpoint_port_name",
              "endpointslice": "__meta_kubernetes_endpointslice_port_name",
              "service": "__meta_kubernetes_service_port_name"}


def re2_escape(value: str) -> str:
    """`value` as a literal in an RE2 pattern (Prometheus anchors relabel regexes itself)."""
    return re.sub(r"([.+*?()|\[\]{}^$\\])", r"\\\1", value)


def meta_label(name: str) -> str:
    """Prometheus's form of a Kubernetes label or annotation name in __meta_* labels."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


class PrometheusTarget:
    name = "prometheus"

    def generate(self, model: Model) -> list[Artifact]:
        g = model.spec.global_
        doc: dict = {
            "global": {
                "scrape_interval": g.scrape_interval,
                "scrape_timeout": g.scrape_timeout,
                "evaluation_interval": g.evaluation_interval,
            },
        }
        if g.external_labels:
            doc["global"]["external_labels"] = dict(sorted(g.external_labels.items()))
        doc["rule_files"] = ["rules/*.rules.yml"]
        doc["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": list(g.alertmanagers)}]}]}
        doc["scrape_configs"] = [scrape_job(s, model) for s in model.services if s.scrape]
        header = model.header()
        if g.retention and (g.retention.time or g.retention.size):
            flags = []
            if g.retention.time:
                flags.append(f"--storage.tsdb.retention.time={g.retention.time}")
            if g.retention.size:
                flags.append(f"--storage.tsdb.retention.size={g.retention.size}")
            header += ("\nRetention is not part of this file: start Prometheus with " + " ".join(flags) + ".")
        return [Artifact("prometheus/prometheus.yml", to_yaml(doc, header))]


def scrape_job(service: ServiceSpec, model: Model) -> dict:
    sc: ScrapeSpec = service.scrape  # type: ignore[assignment]
    g = model.spec.global_
    job: dict = {"job_name": sc.job or service.name}
    interval = sc.interval or g.scrape_interval
    if sc.interval:
        job["scrape_interval"] = sc.interval
    timeout = sc.timeout
    if timeout is None and naming.duration_seconds(g.scrape_timeout) > naming.duration_seconds(interval):
        timeout = interval  # the global timeout would exceed this job's shorter interval
    if timeout:
        job["scrape_timeout"] = timeout
    if sc.static is not None:
        _common(job, sc)
        job["static_configs"] = [_static(sc.static, sc.labels)]
    elif sc.exporter is not None:
        _exporter(job, sc)
    else:
        _kubernetes(job, sc, sc.kubernetes)  # type: ignore[arg-type]
    return job


def _static(targets: list[str], labels: dict[str, str]) -> dict:
    out: dict = {"targets": list(targets)}
    if labels:
        out["labels"] = dict(sorted(labels.items()))
    return out


def _common(job: dict, sc: ScrapeSpec) -> None:
    if sc.metrics_path != "/metrics":
        job["metrics_path"] = sc.metrics_path
    if sc.scheme != "http":
        job["scheme"] = sc.scheme
    _auth(job, sc.ca_file, sc.bearer_token_file)


def _auth(job: dict, ca_file: str | None, token_file: str | None) -> None:
    if ca_file:
        job["tls_config"] = {"ca_file": ca_file}
    if token_file:
        job["authorization"] = {"credentials_file": token_file}


def _exporter(job: dict, sc: ScrapeSpec) -> None:
    ex = sc.exporter
    assert ex is not None
    port = EXPORTER_PORTS[ex.kind]
    targets = [t if ":" in t else f"{t}:{port}" for t in ex.targets]
    if ex.kind != "blackbox":
        _common(job, sc)
        job["static_configs"] = [_static(targets, sc.labels)]
        return
    # Blackbox: each probed URL becomes a target; the exporter is the address actually scraped.
    job["metrics_path"] = "/probe"
    if sc.scheme != "http":
        job["scheme"] = sc.scheme
    _auth(job, sc.ca_file, sc.bearer_token_file)
    job["params"] = {"module": [ex.module]}
    job["static_configs"] = [_static(ex.probes, sc.labels)]
    job["relabel_configs"] = [
        {"source_labels": ["__address__"], "target_label": "__param_target"},
        {"source_labels": ["__param_target"], "target_label": "instance"},
        {"target_label": "__address__", "replacement": targets[0]},
    ]


def _kubernetes(job: dict, sc: ScrapeSpec, k: KubernetesScrape) -> None:
    if k.preset:
        _preset(job, k)
        return
    _common(job, sc)
    sd: dict = {"role": k.role}
    if k.namespaces:
        sd["namespaces"] = {"names": list(k.namespaces)}
    job["kubernetes_sd_configs"] = [sd]
    obj = _META_OBJECT[k.role]
    relabel: list[dict] = []
    if k.annotated:
        ann = f"__meta_kubernetes_{obj}_annotation_prometheus_io_"
        relabel += [
            {"source_labels": [ann + "scrape"], "action": "keep", "regex": "true"},
            {"source_labels": [ann + "path"], "action": "replace", "target_label": "__metrics_path__",
             "regex": "(.+)"},
            {"source_labels": ["__address__", ann + "port"], "action": "replace", "target_label": "__address__",
             "regex": r"([^:]+)(?::\d+)?;(\d+)", "replacement": "$1:$2"},
        ]
    for name, value in sorted(k.selector.items()):
        relabel.append({"source_labels": [f"__meta_kubernetes_{obj}_label_{meta_label(name)}"], "action": "keep",
                        "regex": re2_escape(value)})
    if k.port and k.role in _PORT_NAME:
        relabel.append({"source_labels": [_PORT_NAME[k.role]], "action": "keep", "regex": re2_escape(k.port)})
    if k.role != "node":
        relabel.append({"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"})
    if k.role in ("pod", "endpoints", "endpointslice"):
        relabel.append({"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"})
    if obj == "service":
        relabel.append({"source_labels": ["__meta_kubernetes_service_name"], "target_label": "kubernetes_service"})
    for name, value in sorted(sc.labels.items()):
        relabel.append({"target_label": name, "replacement": value})
    job["relabel_configs"] = relabel


def _preset(job: dict, k: KubernetesScrape) -> None:
    """The cluster jobs every Kubernetes Prometheus has, authenticated with its service account."""
    job["scheme"] = "https"
    job["tls_config"] = {"ca_file": f"{SA_DIR}/ca.crt"}
    job["authorization"] = {"credentials_file": f"{SA_DIR}/token"}
    if k.preset == "apiservers":
        job["kubernetes_sd_configs"] = [{"role": "endpoints"}]
        job["relabel_configs"] = [{
            "source_labels": ["__meta_kubernetes_namespace", "__meta_kubernetes_service_name",
                              "__meta_kubernetes_endpoint_port_name"],
            "action": "keep", "regex": "default;kubernetes;https"}]
        return
    # Kubelets (and their cAdvisor) are reached through the API server's node proxy.
    path = "/api/v1/nodes/${1}/proxy/metrics" + ("/cadvisor" if k.preset == "cadvisor" else "")
    job["kubernetes_sd_configs"] = [{"role": "node"}]
    job["relabel_configs"] = [
        {"action": "labelmap", "regex": "__meta_kubernetes_node_label_(.+)"},
        {"target_label": "__address__", "replacement": "kubernetes.default.svc:443"},
        {"source_labels": ["__meta_kubernetes_node_name"], "regex": "(.+)", "target_label": "__metrics_path__",
         "replacement": path},
    ]
