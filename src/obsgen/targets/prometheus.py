"""prometheus.yml: global block, rule files, Alertmanagers, one scrape job per service.

With `output.sharding.shards` > 1 there is one config per shard instead, prometheus-<i>.yml beside
the rules/ folder (so rule paths read the same as in prometheus.yml), and no prometheus.yml: a
config that scrapes everything, deployed next to the shards, would scrape every target twice.
- by hashmod, every shard runs every job and keeps the targets whose address hashes to it. Each
  shard sees part of every job, so rules evaluated on a shard would be wrong (`absent(up)`, ratios,
  SLOs); they belong to a ruler with the global view, which is why resolve accepts hashmod only
  with the mimir target, where Prometheus only scrapes and remote-writes.
- by team, each team's jobs go whole to one shard, with the rule files of that team's services.
Either way the external label `prometheus_shard` says which server scraped a series.
"""
from __future__ import annotations

import posixpath
import re

from obsgen.core import naming
from obsgen.core.serialise import Artifact, to_yaml
from obsgen.resolve import derived, probes
from obsgen.resolve.model import Model
from obsgen.spec import EXPORTER_PORTS, KubernetesScrape, ProbeSpec, ScrapeSpec, ServiceSpec
from obsgen.spec.integrations import plain
from obsgen.spec.scraping import DISCOVERY, HTTP, SCRAPE
from obsgen.targets.slo import rules_path

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


# The external label naming the shard a series was scraped by, and the relabelling's scratch label
# (Prometheus drops `__`-prefixed labels after relabelling).
SHARD_LABEL = naming.SHARD_LABEL
HASH_LABEL = "__tmp_hash"
CONFIG = "prometheus/prometheus.yml"


def shard_config(shard: int) -> str:
    return f"prometheus/prometheus-{shard}.yml"


class PrometheusTarget:
    name = "prometheus"

    def generate(self, model: Model) -> list[Artifact]:
        jobs = [(s.team, job) for s in model.services for job in service_jobs(s, model)]
        sharding = model.spec.output.sharding
        if sharding.shards == 1:
            return [Artifact(CONFIG, config(model, all_jobs(model), ["rules/*.rules.yml"]))]
        # The monitoring's own jobs and the spec's extra jobs are scraped once, by shard 0.
        own = monitoring_jobs(model) + [plain(job) for job in model.spec.global_.extra_scrape_jobs]
        if sharding.by == "hashmod":
            return [Artifact(shard_config(i), config(model, [hashmod(job, sharding.shards, i) for _, job in jobs]
                                                     + (own if i == 0 else []), ["rules/*.rules.yml"], i))
                    for i in range(sharding.shards)]
        shard_of = team_shards(model)
        return [Artifact(shard_config(i), config(model, [job for team, job in jobs if shard_of[team] == i]
                                                 + (own if i == 0 else []),
                                                 rule_files(model, {t for t, s in shard_of.items() if s == i}), i))
                for i in range(sharding.shards)]


def config(model: Model, jobs: list[dict], rules: list[str], shard: int | None = None) -> str:
    """A prometheus.yml scraping `jobs` and evaluating `rules` (paths relative to it; not with mimir)."""
    return to_yaml(config_doc(model, jobs, rules, shard), _header(model, shard))


def all_jobs(model: Model) -> list[dict]:
    """Every scrape job of an unsharded prometheus.yml: the services' (with their probes), the
    monitoring's own when global.self_monitoring, then global.extra_scrape_jobs as given."""
    return [job for s in model.services for job in service_jobs(s, model)] + monitoring_jobs(model) + [
        plain(job) for job in model.spec.global_.extra_scrape_jobs]


def monitoring_jobs(model: Model) -> list[dict]:
    g = model.spec.global_
    if not g.self_monitoring:
        return []
    out = [{"job_name": "prometheus", "static_configs": [{"targets": ["localhost:9090"]}]}]
    if g.alertmanagers:
        out.append({"job_name": "alertmanager", "static_configs": [{"targets": list(g.alertmanagers)}]})
    if any(s.probes for s in model.services) or any(
            s.scrape and s.scrape.exporter and s.scrape.exporter.kind == "blackbox" for s in model.services):
        out.append({"job_name": "blackbox-exporter", "static_configs": [{"targets": [g.blackbox_exporter]}]})
    return out


def config_doc(model: Model, jobs: list[dict] | None = None, rules: list[str] | None = None,
               shard: int | None = None) -> dict:
    """The prometheus.yml document (by default the unsharded one)."""
    g = model.spec.global_
    if jobs is None:
        jobs = all_jobs(model)
    if rules is None:
        rules = ["rules/*.rules.yml"]
    doc: dict = {
        "global": {
            "scrape_interval": g.scrape_interval,
            "scrape_timeout": g.scrape_timeout,
            "evaluation_interval": g.evaluation_interval,
        },
    }
    if g.scrape_defaults is not None:
        doc["global"].update(g.scrape_defaults.settings())
    labels = dict(g.external_labels)
    if shard is not None:
        labels[SHARD_LABEL] = str(shard)
    if labels:
        doc["global"]["external_labels"] = dict(sorted(labels.items()))
    mimir = model.spec.output.target == "mimir"
    if not mimir:
        # With Mimir, its ruler evaluates the rules and sends the alerts; Prometheus only scrapes.
        doc["rule_files"] = rules
        managers = ([{"static_configs": [{"targets": list(g.alertmanagers)}]}] if g.alertmanagers else [])
        managers += [plain(c) for c in g.alertmanager_configs]
        alerting: dict = {}
        if g.alert_relabel_configs:
            alerting["alert_relabel_configs"] = [r.written() for r in g.alert_relabel_configs]
        if managers:
            alerting["alertmanagers"] = managers
        if alerting:
            doc["alerting"] = alerting
    doc["scrape_configs"] = jobs
    remote_write = [_remote_write(r) for r in g.remote_write]
    if mimir and model.spec.output.mimir.remote_write_url:
        m = model.spec.output.mimir
        remote: dict = {"url": m.remote_write_url}
        if m.tenant:
            remote["headers"] = {"X-Scope-OrgID": m.tenant}
        remote_write.append(remote)
    if remote_write:
        doc["remote_write"] = remote_write
    if g.remote_read:
        doc["remote_read"] = [r.settings() for r in g.remote_read]
    for key, value in g.prometheus_extra.items():
        doc.setdefault(key, plain(value))
    return doc


def _remote_write(r) -> dict:
    out = r.settings(skip=("write_relabel_configs",))
    if r.write_relabel_configs:
        out["write_relabel_configs"] = [x.written() for x in r.write_relabel_configs]
    return out


def _header(model: Model, shard: int | None) -> str:
    g = model.spec.global_
    header = model.header()
    if g.retention and (g.retention.time or g.retention.size):
        flags = []
        if g.retention.time:
            flags.append(f"--storage.tsdb.retention.time={g.retention.time}")
        if g.retention.size:
            flags.append(f"--storage.tsdb.retention.size={g.retention.size}")
        header += ("\nRetention is not part of this file: start Prometheus with " + " ".join(flags) + ".")
    if shard is not None:
        header += f"\nShard {shard} of {model.spec.output.sharding.shards} (by {model.spec.output.sharding.by})."
    return header


def hashmod(job: dict, shards: int, shard: int) -> dict:
    """`job` keeping only the targets whose address hashes to `shard`. The pair goes first, on the
    address as discovered: blackbox and kubelet jobs rewrite __address__ to one exporter or the API
    server later, and hashing that would send all their targets to the same shard."""
    keep = [{"source_labels": ["__address__"], "modulus": shards, "target_label": HASH_LABEL, "action": "hashmod"},
            {"source_labels": [HASH_LABEL], "regex": str(shard), "action": "keep"}]
    return {**job, "relabel_configs": keep + job.get("relabel_configs", [])}


def team_shards(model: Model) -> dict[str, int]:
    """The shard of each team that owns services. Pinned teams (`sharding.pin`) go where they are
    pinned; the others, by descending job count (then name), each to the least loaded shard (then
    the lowest). Balanced, deterministic, independent of spec order. An unpinned team may move when
    teams come or grow, and its series with it (`obsgen diff` shows it): pin the teams whose
    history must stay on one server."""
    sharding = model.spec.output.sharding
    weight: dict[str, int] = {}
    for s in model.services:
        weight[s.team] = weight.get(s.team, 0) + len(service_jobs(s, model))
    load = [0] * sharding.shards
    out = {}
    for team in sorted(weight):
        if team in sharding.pin:
            out[team] = sharding.pin[team]
            load[out[team]] += weight[team]
    for team in sorted(weight, key=lambda t: (-weight[t], t)):
        if team not in out:
            out[team] = min(range(len(load)), key=lambda i: (load[i], i))
            load[out[team]] += weight[team]
    return out


def rule_files(model: Model, teams: set[str]) -> list[str]:
    """The rule files (relative to the config) holding the rules of `teams`' services: the files the
    rules and slo targets write, by the same conditions."""
    per_team = model.spec.global_.rule_files_per == "team"
    alerting = {a.service for a in model.alerts}
    with_slos = {slo.service.name for slo in model.slos}
    paths = set()
    for s in model.services:
        if s.team not in teams:
            continue
        if model.recording_rules(s) or s.name in alerting:
            paths.add(naming.rules_file(s.team if per_team else s.name))
        if s.name in with_slos:
            paths.add(rules_path(s.name))
    return sorted(posixpath.relpath(p, "prometheus") for p in paths)


def service_jobs(service: ServiceSpec, model: Model) -> list[dict]:
    """The service's scrape job, then one job per synthetic probe."""
    return ([scrape_job(service, model)] if service.scrape else []) + [
        probe_job(service, p, model) for p in service.probes]


def probe_job(service: ServiceSpec, probe: ProbeSpec, model: Model) -> dict:
    g = model.spec.global_
    job: dict = {"job_name": naming.probe_job(service.name, probe.name)}
    if probe.interval:
        job["scrape_interval"] = probe.interval
    timeout = probes.timeout(probe, g)  # the blackbox module's timeout is this same value
    if timeout != g.scrape_timeout:
        job["scrape_timeout"] = timeout
    job["metrics_path"] = "/probe"
    job["params"] = {"module": [naming.probe_module(service.name, probe.name)]}
    labels = {naming.PROBE_LABEL: probe.name, "service": service.name}
    job["static_configs"] = [_static([derived.probe_target(probe)], labels)]
    job["relabel_configs"] = _through_exporter(g.blackbox_exporter)
    return job


def _through_exporter(exporter: str) -> list[dict]:
    # Each probed URL or host is a target; the exporter is the address actually scraped.
    return [
        {"source_labels": ["__address__"], "target_label": "__param_target"},
        {"source_labels": ["__param_target"], "target_label": "instance"},
        {"target_label": "__address__", "replacement": exporter},
    ]


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
    elif sc.kubernetes is not None:  # with or without an exporter kind: discovery finds the targets
        _kubernetes(job, sc, sc.kubernetes)
    elif sc.exporter is not None:
        _exporter(job, sc)
    else:
        _common(job, sc)
    _prometheus_settings(job, sc)
    return job


def _prometheus_settings(job: dict, sc: ScrapeSpec) -> None:
    """What the spec says under Prometheus' own names: discovery lists, job and HTTP settings, the
    relabelling after obsgen's own, then `extra` as given."""
    if sc.static_configs:
        job.setdefault("static_configs", []).extend(
            {"targets": list(g.targets), **({"labels": dict(g.labels)} if g.labels else {})}
            for g in sc.static_configs)
    elif "static_configs" in sc.model_fields_set and "static_configs" not in job:
        job["static_configs"] = []  # a job with no targets (yet): said so
    for kind in DISCOVERY:
        entries = getattr(sc, f"{kind}_sd_configs")
        if entries:
            job.setdefault(f"{kind}_sd_configs", []).extend(e.settings() for e in entries)
    given = _settings_of(sc, tuple(k for k in (*SCRAPE, *HTTP) if k != "bearer_token_file"))
    job.update(given)
    if sc.relabel_configs:
        job["relabel_configs"] = job.get("relabel_configs", []) + [r.written() for r in sc.relabel_configs]
    if sc.metric_relabel_configs:
        job["metric_relabel_configs"] = [r.written() for r in sc.metric_relabel_configs]
    for key, value in sc.extra.items():
        job.setdefault(key, plain(value))
    if honors_exporter_labels(sc) and "honor_labels" not in job:
        job["honor_labels"] = True


def honors_exporter_labels(sc: ScrapeSpec) -> bool:
    """Whether the job keeps the labels its exporter sets over its target's: kube-state-metrics
    labels every series with the namespace and pod it describes, which discovery's own namespace
    and pod labels (the exporter's pod) would rename to exported_namespace and exported_pod.
    A spec's own honor_labels wins."""
    return (sc.exporter is not None and sc.exporter.kind == "kube-state-metrics"
            and "honor_labels" not in sc.model_fields_set)


def _settings_of(sc: ScrapeSpec, keys: tuple[str, ...]) -> dict:
    return {k: plain(getattr(sc, k)) for k in keys if k in sc.model_fields_set and getattr(sc, k, None) is not None}


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
    targets = [t if ":" in t else f"{t}:{port}" for t in ex.targets or ()]
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
    job["relabel_configs"] = _through_exporter(targets[0])


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
