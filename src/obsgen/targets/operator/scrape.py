"""Scraping as operator resources: ServiceMonitor, PodMonitor, ScrapeConfig and Probe.

Which resource a service's scrape becomes:
- kubernetes role endpoints / endpointslice: a ServiceMonitor; role pod: a PodMonitor. The
  operator turns selector, namespaces and port into the same keep rules the files target writes.
- kubernetes `annotated`, and roles service, node and ingress: a ScrapeConfig with
  kubernetesSDConfigs and the files target's own relabelings. A PodMonitor or ServiceMonitor
  cannot take the port from an annotation: it makes a target per container (or Service) port and
  labels each with its `container`/`endpoint`, so rewriting every target's address to the
  annotated port would scrape the same endpoint once per port. Role service scrapes the Service
  address itself, which no ServiceMonitor does (it always scrapes the pods behind it).
- static targets and exporters: a ScrapeConfig with staticConfigs; the blackbox exporter: a Probe.
- presets: apiservers is the kube-prometheus ServiceMonitor on default/kubernetes; nodes and
  cadvisor a ServiceMonitor on the kubelet Service the operator maintains
  (`--kubelet-service=kube-system/kubelet`, on in kube-prometheus-stack). The files target goes
  through the API server's node proxy instead, which needs a node-role ScrapeConfig and the
  service account's token from a Secret; the kubelet Service needs neither.
- each synthetic probe: a Probe through global.blackbox_exporter, named and labelled like its
  files-target job.

Every resource states its interval and timeout: the Prometheus resource's defaults are not
global.scrape_interval, and the files target's jobs inherit that. Every resource sets the `job`
label the files target's job has, since the spec's alerts select on it.
Credential files (ca_file, bearer_token_file) become Secret key references (common.secret_ref).
"""
from __future__ import annotations

from obsgen.core import naming
from obsgen.resolve.derived import probe_target
from obsgen.resolve.model import Model
from obsgen.spec import EXPORTER_PORTS, ProbeSpec, ScrapeSpec, ServiceSpec
from obsgen.targets.operator.common import (
    MONITORING_V1,
    MONITORING_V1ALPHA1,
    metadata,
    relabeling,
    resource,
    secret_key,
)
from obsgen.targets.prometheus import SA_DIR, honors_exporter_labels, scrape_job

_ROLES = {"pod": "Pod", "endpoints": "Endpoints", "endpointslice": "EndpointSlice", "service": "Service",
          "node": "Node", "ingress": "Ingress"}


def scrape_resources(model: Model, service: ServiceSpec) -> list[dict]:
    """The service's scrape resource (if it is scraped), then a Probe per synthetic probe."""
    out = [_scrape(model, service)] if service.scrape else []
    return out + [_probe(model, service, p) for p in service.probes]


def timing(model: Model, interval: str | None, timeout: str | None) -> tuple[str, str]:
    """(interval, timeout) as the files target's job gets them, defaults included."""
    g = model.spec.global_
    interval = interval or g.scrape_interval
    if timeout is None:
        timeout = g.scrape_timeout
        if naming.duration_seconds(timeout) > naming.duration_seconds(interval):
            timeout = interval
    return interval, timeout


def _scrape(model: Model, service: ServiceSpec) -> dict:
    sc: ScrapeSpec = service.scrape  # type: ignore[assignment]
    k = sc.kubernetes
    if sc.exporter is not None and sc.exporter.kind == "blackbox":
        return _blackbox(model, service, sc)
    if k is not None and k.preset:
        return _preset(model, service, sc)
    if k is not None and not k.annotated and k.role in ("endpoints", "endpointslice", "pod"):
        return _monitor(model, service, sc)
    return _scrape_config(model, service, sc)


def _auth(sc: ScrapeSpec) -> dict:
    out: dict = {}
    if sc.ca_file:
        out["tlsConfig"] = {"ca": {"secret": secret_key(sc.ca_file)}}
    if sc.bearer_token_file:
        out["authorization"] = {"type": "Bearer", "credentials": secret_key(sc.bearer_token_file)}
    return out


def _path_and_scheme(sc: ScrapeSpec, path_key: str) -> dict:
    out: dict = {}
    if sc.metrics_path != "/metrics":
        out[path_key] = sc.metrics_path
    if sc.scheme != "http":
        out["scheme"] = sc.scheme
    return out


def _job_and_labels(job: str, labels: dict[str, str]) -> list[dict]:
    # Applied after the operator's own relabelings, so these win over its `job` (Service or
    # PodMonitor name) and over discovered labels of the same name.
    return [{"targetLabel": "job", "replacement": job}] + [
        {"targetLabel": name, "replacement": value} for name, value in sorted(labels.items())]


def _scrape_config(model: Model, service: ServiceSpec, sc: ScrapeSpec) -> dict:
    """The files target's job, spelt as a ScrapeConfig: same targets, same relabelings."""
    job = scrape_job(service, model)
    interval, timeout = timing(model, sc.interval, sc.timeout)
    spec: dict = {"jobName": job["job_name"], "scrapeInterval": interval, "scrapeTimeout": timeout,
                  **_path_and_scheme(sc, "metricsPath"), **_auth(sc)}
    for sd in job.get("kubernetes_sd_configs", []):
        k8s: dict = {"role": _ROLES[sd["role"]]}
        if "namespaces" in sd:
            k8s["namespaces"] = {"names": list(sd["namespaces"]["names"])}
        spec.setdefault("kubernetesSDConfigs", []).append(k8s)
    if "static_configs" in job:
        spec["staticConfigs"] = [dict(c) for c in job["static_configs"]]
    if job.get("relabel_configs"):
        spec["relabelings"] = [relabeling(rc) for rc in job["relabel_configs"]]
    if honors_exporter_labels(sc):
        spec["honorLabels"] = True
    return resource(MONITORING_V1ALPHA1, "ScrapeConfig", metadata(model, service.name), spec)


def _namespace_selector(namespaces: list[str]) -> dict:
    # A monitor without one only looks in its own namespace; the spec's empty list means all.
    return {"matchNames": sorted(namespaces)} if namespaces else {"any": True}


def _monitor(model: Model, service: ServiceSpec, sc: ScrapeSpec) -> dict:
    k = sc.kubernetes
    assert k is not None
    interval, timeout = timing(model, sc.interval, sc.timeout)
    endpoint: dict = {}
    if k.port:
        endpoint["port"] = k.port
    endpoint.update({**_path_and_scheme(sc, "path"), "interval": interval, "scrapeTimeout": timeout, **_auth(sc)})
    if honors_exporter_labels(sc):
        endpoint["honorLabels"] = True
    relabelings = _job_and_labels(sc.job or service.name, sc.labels)
    spec: dict = {"selector": {"matchLabels": dict(sorted(k.selector.items()))},
                  "namespaceSelector": _namespace_selector(k.namespaces)}
    if k.role == "pod":
        endpoint["relabelings"] = relabelings
        spec["podMetricsEndpoints"] = [endpoint]
        return resource(MONITORING_V1, "PodMonitor", metadata(model, service.name), spec)
    # The files target labels these targets with their Service's name as kubernetes_service.
    endpoint["relabelings"] = [{"sourceLabels": ["__meta_kubernetes_service_name"],
                                "targetLabel": "kubernetes_service"}] + relabelings
    if k.role == "endpointslice":
        spec["serviceDiscoveryRole"] = "EndpointSlice"
    spec["endpoints"] = [endpoint]
    return resource(MONITORING_V1, "ServiceMonitor", metadata(model, service.name), spec)


def _preset(model: Model, service: ServiceSpec, sc: ScrapeSpec) -> dict:
    k = sc.kubernetes
    assert k is not None
    interval, timeout = timing(model, sc.interval, sc.timeout)
    # The service account's own files: these are not Secrets anyone manages.
    endpoint: dict = {"scheme": "https", "interval": interval, "scrapeTimeout": timeout,
                      "bearerTokenFile": f"{SA_DIR}/token", "tlsConfig": {"caFile": f"{SA_DIR}/ca.crt"}}
    if k.preset == "apiservers":
        selector, namespace = {"component": "apiserver", "provider": "kubernetes"}, "default"
        endpoint = {"port": "https", **endpoint}
        endpoint["tlsConfig"]["serverName"] = "kubernetes"
    else:
        selector, namespace = {"app.kubernetes.io/name": "kubelet"}, "kube-system"
        endpoint = {"port": "https-metrics", "path": "/metrics/cadvisor" if k.preset == "cadvisor" else "/metrics",
                    **endpoint}
    endpoint["relabelings"] = _job_and_labels(sc.job or service.name, {})
    spec = {"selector": {"matchLabels": selector}, "namespaceSelector": {"matchNames": [namespace]},
            "endpoints": [endpoint]}
    return resource(MONITORING_V1, "ServiceMonitor", metadata(model, service.name), spec)


def _blackbox(model: Model, service: ServiceSpec, sc: ScrapeSpec) -> dict:
    ex = sc.exporter
    assert ex is not None
    exporter = ex.targets[0] if ":" in ex.targets[0] else f"{ex.targets[0]}:{EXPORTER_PORTS['blackbox']}"
    interval, timeout = timing(model, sc.interval, sc.timeout)
    prober: dict = {"url": exporter}
    if sc.scheme != "http":
        prober["scheme"] = sc.scheme
    static: dict = {"static": list(ex.probes)}
    if sc.labels:
        static["labels"] = dict(sorted(sc.labels.items()))
    spec = {"jobName": sc.job or service.name, "prober": prober, "module": ex.module, "interval": interval,
            "scrapeTimeout": timeout, **_auth(sc), "targets": {"staticConfig": static}}
    return resource(MONITORING_V1, "Probe", metadata(model, service.name), spec)


def _probe(model: Model, service: ServiceSpec, probe: ProbeSpec) -> dict:
    job = naming.probe_job(service.name, probe.name)
    interval, timeout = timing(model, probe.interval, probe.timeout)
    labels = {naming.PROBE_LABEL: probe.name, "service": service.name}
    spec = {"jobName": job, "prober": {"url": model.spec.global_.blackbox_exporter},
            "module": naming.probe_module(service.name, probe.name), "interval": interval,
            "scrapeTimeout": timeout,
            "targets": {"staticConfig": {"static": [probe_target(probe)], "labels": dict(sorted(labels.items()))}}}
    return resource(MONITORING_V1, "Probe", metadata(model, job), spec)
