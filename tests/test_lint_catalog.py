"""What the lint knows exists (check/lint/catalog.py) and the alert hygiene checks (check/lint/alerts.py),
tested directly: the series a spec's catalogs, rules, exporters and Prometheus produce, with the kinds,
labels and intervals every other lint check trusts; the labels an expression keeps; whether it has a
condition; and OBS056-059, OBS066, OBS067 with their exact messages, positions and owners.

A slip in the catalog is a silent failure or a false alarm everywhere downstream (a label it forgets
is an OBS051 on a correct query, a kind it loses hides a raw counter), so these tests compare whole
values."""
from __future__ import annotations

import json

import pytest

from obsgen.api import load_texts
from obsgen.check.lint import alerts as lint_alerts
from obsgen.check.lint import catalog as cat_mod
from obsgen.check.lint.alerts import alert_findings
from obsgen.check.lint.catalog import Catalog, Known, Labels, condition
from obsgen.core.diagnostics import Severity
from obsgen.core.promql_tree import Sel, parse
from obsgen.load.yaml import load_text
from obsgen.resolve.environments import resolve
from obsgen.resolve.merge import SpecFile

HEAD = """\
apiVersion: obsgen/v1
teams:
  - name: web
    slack: {channel: "#web", api_url_file: /s/slack-web}
    pagerduty: {routing_key_file: /s/pd-web}
routing:
  default_team: web
"""

API = """\
  - name: api
    team: web
    scrape: {static: ["api:8000"]}
    metrics:
      - {name: http_requests_total, type: counter, help: R., labels: [code, route]}
      - {name: http_request_duration_seconds, type: histogram, help: L., labels: [route]}
      - {name: queue_depth, type: gauge, help: Q., labels: [queue]}
      - {name: rpc_seconds, type: summary, help: S.}
"""

JL = frozenset({"job", "instance"})  # the target labels of a static job


def text_of(services: str, top: str = "") -> str:
    return HEAD + "services:\n" + services + top


def model_of(services: str, top: str = ""):
    project = load_texts({"spec.yaml": text_of(services, top)})
    errors = [(d.code, d.message) for d in project.diagnostics if d.severity is Severity.ERROR]
    assert not errors, errors
    [model] = project.models
    return model


def catalog(services: str = API, top: str = "") -> Catalog:
    return Catalog(model_of(services, top))


def svc(name: str, scrape: str | None = '{static: ["h:1"]}', metrics: str = "", extra: str = "") -> str:
    out = f"  - name: {name}\n    team: web\n"
    if scrape is not None:
        out += f"    scrape: {scrape}\n"
    if metrics:
        out += f"    metrics:\n{metrics}"
    return out + extra


def metric(name: str, type_: str, *labels: str, **more) -> str:
    body = {"name": name, "type": type_, "help": "h.", "labels": list(labels), **more}
    return "      - {" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in body.items()) + "}\n"


def K(kind, labels, intervals, source, rules=None) -> Known:
    return Known(kind, None if labels is None else frozenset(labels), dict(intervals), source, list(rules or []))


def prometheus_series(labels, jobs, eval_interval=15) -> dict[str, Known]:
    out = {name: K("gauge", labels, jobs, "prometheus") for name in
           ("up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
            "scrape_series_added")}
    out.update({name: K("gauge", None, {"": eval_interval}, "prometheus") for name in ("ALERTS", "ALERTS_FOR_STATE")})
    return out


def client_prefixes(jobs, up_labels) -> list[tuple[str, Known]]:
    """Prometheus' scrape_ family and the client libraries' families, longest prefix first."""
    return [("promhttp_", K(None, None, jobs, "exporter")), ("process_", K(None, None, jobs, "exporter")),
            ("scrape_", K("gauge", up_labels, jobs, "prometheus")), ("python_", K(None, None, jobs, "exporter")),
            ("go_", K(None, None, jobs, "exporter"))]


# ----------------------------------------------------------------------------- the spec's own catalog

def test_a_services_catalog_is_every_series_its_metrics_are_scraped_as_with_the_target_labels():
    cat = catalog()
    api = {"api": 15}
    assert cat.exact == {
        "http_requests_total": K("counter", {"code", "route", *JL}, api, "catalog"),
        "http_requests_created": K("gauge", {"code", "route", *JL}, api, "catalog"),
        "http_request_duration_seconds_bucket": K("bucket", {"route", "le", *JL}, api, "catalog"),
        "http_request_duration_seconds_sum": K("counter", {"route", *JL}, api, "catalog"),
        "http_request_duration_seconds_count": K("counter", {"route", *JL}, api, "catalog"),
        "http_request_duration_seconds_created": K("gauge", {"route", *JL}, api, "catalog"),
        "queue_depth": K("gauge", {"queue", *JL}, api, "catalog"),
        "rpc_seconds": K("summary", {"quantile", *JL}, api, "catalog"),
        "rpc_seconds_sum": K("counter", JL, api, "catalog"),
        "rpc_seconds_count": K("counter", JL, api, "catalog"),
        "rpc_seconds_created": K("gauge", JL, api, "catalog"),
        **prometheus_series(JL, api),
    }
    assert cat.prefixes == client_prefixes(api, JL)
    assert (cat.targets, cat.scrape_interval, cat.eval_interval) == (JL, 15, 15)
    assert (cat.external, cat.external_visible) == (frozenset(), False)


def test_a_type_guessed_from_the_name_is_marked_inferred():
    cat = catalog(svc("api", metrics=metric("jobs_total", "counter", inferred=True)
                      + metric("temp", "gauge", inferred=True)))
    assert cat.exact["jobs_total"] == K("counter", JL, {"api": 15}, "inferred")
    assert cat.exact["jobs_created"] == K("gauge", JL, {"api": 15}, "inferred")
    assert cat.exact["temp"] == K("gauge", JL, {"api": 15}, "inferred")
    assert "temp_created" not in cat.exact  # a gauge has no creation timestamp


def test_intervals_come_from_the_job_or_the_global_settings():
    top = "global: {scrape_interval: 30s, evaluation_interval: 1m}\n"
    cat = catalog(svc("api", '{static: ["h:1"], job: api-job, interval: 2m}', metric("a_total", "counter"))
                  + svc("web", metrics=metric("b", "gauge")), top)
    assert (cat.scrape_interval, cat.eval_interval) == (30, 60)
    assert cat.exact["a_total"].intervals == {"api-job": 120}
    assert cat.exact["b"].intervals == {"web": 30}
    assert cat.exact["up"].intervals == {"api-job": 120, "web": 30}
    assert cat.exact["ALERTS"].intervals == {"": 60}


def test_a_service_without_a_scrape_job_has_series_at_the_global_interval_and_prometheus_no_jobs():
    cat = catalog(svc("api", None, metric("a_total", "counter", "x")), "global: {scrape_interval: 20s}\n")
    assert cat.exact["a_total"] == K("counter", {"x", *JL}, {"": 20}, "catalog")
    assert cat.exact["up"] == K("gauge", JL, {"": 20}, "prometheus")
    # No job: no process scraped, so no client library families; only Prometheus' scrape_ family.
    assert cat.prefixes == [("scrape_", K("gauge", JL, {"": 20}, "prometheus"))]


def test_a_service_without_a_scrape_job_does_not_stop_the_next_ones_from_counting():
    cat = catalog(svc("a", None, metric("a_total", "counter"))
                  + svc("b", '{static: ["h:1"], labels: {tier: x}}', metric("b", "gauge")))
    assert cat.targets == {*JL, "tier"}
    assert cat.exact["b"] == K("gauge", {*JL, "tier"}, {"b": 15}, "catalog")
    assert cat.exact["up"] == K("gauge", {*JL, "tier"}, {"b": 15}, "prometheus")


def test_one_job_with_unknowable_labels_makes_up_unknowable_whatever_the_jobs_after_it():
    cat = catalog(svc("a", '{static: ["h:1"], honor_labels: true}') + svc("b", "{kubernetes: {preset: apiservers}}")
                  + svc("c", metrics=metric("c", "gauge")))
    assert cat.exact["up"].labels is None and cat.exact["c"].labels == JL


def test_labels_prometheus_adds_to_a_jobs_series_are_target_labels():
    relabel = ("[{source_labels: [a], target_label: r_default}, "
               "{source_labels: [a], target_label: r_replace, action: replace}, "
               "{source_labels: [a], target_label: r_hash, action: hashmod, modulus: 2}, "
               "{source_labels: [a], target_label: r_lower, action: lowercase}, "
               "{source_labels: [a], target_label: r_upper, action: uppercase}, "
               "{source_labels: [a], target_label: r_keepequal, action: keepequal}, "
               "{source_labels: [a], regex: x, action: drop}, "
               "{source_labels: [a], target_label: __param_target}]")
    scrape = ('{static: ["h:1"], labels: {tier: a}, static_configs: [{targets: ["b:1"], labels: {zone: z, '
              '__meta_x: y}}], relabel_configs: ' + relabel +
              ', metric_relabel_configs: [{source_labels: [a], target_label: m_replace}]}')
    cat = catalog(svc("api", scrape, metric("q", "gauge", "own")))
    targets = {*JL, "tier", "zone", "r_default", "r_replace", "r_hash", "r_lower", "r_upper", "m_replace"}
    assert cat.targets == targets
    assert cat.exact["q"] == K("gauge", targets | {"own"}, {"api": 15}, "catalog")
    assert cat.exact["up"].labels == targets


def test_target_labels_of_one_job_are_assumed_on_every_jobs_series():
    cat = catalog(svc("api", '{static: ["h:1"], labels: {tier: a}}', metric("a", "gauge"))
                  + svc("web", '{static: ["h:1"], labels: {zone: b}}', metric("b", "gauge")))
    assert cat.exact["a"].labels == cat.exact["b"].labels == {*JL, "tier", "zone"}


def test_external_labels_are_seen_only_by_a_global_ruler():
    top = "global: {external_labels: {region: eu}}\n"
    local = catalog(svc("api", metrics=metric("a", "gauge")), top)
    assert (local.external, local.external_visible, local.targets) == (frozenset({"region"}), False, JL)
    mimir = catalog(svc("api", metrics=metric("a", "gauge")), top + "output: {target: mimir}\n")
    assert (mimir.external, mimir.external_visible) == (frozenset({"region"}), True)
    assert mimir.targets == {*JL, "region"} and mimir.exact["a"].labels == {*JL, "region"}


@pytest.mark.parametrize("rule", [
    "{source_labels: [a], regex: '(.*)', action: labelmap}",
    "{source_labels: [a], target_label: '${1}_x'}",
    "{source_labels: [a], target_label: '$1', action: replace}",
])
@pytest.mark.parametrize("where", ["relabel_configs", "metric_relabel_configs"])
def test_a_job_whose_labels_are_named_at_run_time_has_labels_no_one_can_know(rule, where):
    cat = catalog(svc("api", f'{{static: ["h:1"], {where}: [{rule}]}}', metric("a", "gauge"))
                  + svc("web", metrics=metric("b", "gauge")))
    assert cat.exact["a"].labels is None
    assert cat.exact["b"].labels == JL  # another job's series stay known
    assert cat.exact["up"].labels is None  # up exists for every job, the open one included
    assert cat.prefixes[2] == ("scrape_", K("gauge", None, {"api": 15, "web": 15}, "prometheus"))


@pytest.mark.parametrize("setting", ["honor_labels: true", "extra: {some_future_setting: true}"])
def test_honor_labels_or_an_escape_hatch_make_a_jobs_labels_unknowable(setting):
    cat = catalog(svc("api", f'{{static: ["h:1"], {setting}}}', metric("a", "gauge")))
    assert cat.exact["a"].labels is None and cat.exact["up"].labels is None


def test_a_plain_relabelling_leaves_the_labels_known():
    rules = "[{source_labels: [a], target_label: b}, {source_labels: [a], regex: x, action: keep}]"
    cat = catalog(svc("api", f'{{static: ["h:1"], relabel_configs: {rules}, honor_labels: false}}',
                      metric("a", "gauge")))
    assert cat.exact["a"].labels == {*JL, "b"} and cat.exact["up"].labels == {*JL, "b"}


def test_labels_a_metric_relabelling_drops_are_not_on_the_jobs_series():
    drops = ("[{regex: 'pod|own', action: labeldrop}, {regex: 'tmp_.*', action: labeldrop}, "
             "{regex: 'other', action: labelkeep}, {source_labels: [x], regex: 'instance', action: drop}]")
    scrape = f'{{static: ["h:1"], labels: {{pod: p}}, metric_relabel_configs: {drops}}}'
    cat = catalog(svc("api", scrape, metric("a", "gauge", "own", "tmp_x", "kept")))
    assert cat.exact["a"].labels == {*JL, "tmp_x", "kept"}


def test_a_labeldrop_of_target_relabelling_is_not_a_metric_relabelling():
    scrape = '{static: ["h:1"], relabel_configs: [{regex: own, action: labeldrop}]}'
    assert catalog(svc("api", scrape, metric("a", "gauge", "own"))).exact["a"].labels == {*JL, "own"}


def test_a_labeldrop_of_target_relabelling_removes_that_target_label_from_the_jobs_series():
    scrape = '{static: ["h:1"], labels: {region: eu}, relabel_configs: [{regex: region, action: labeldrop}]}'
    kept = '{static: ["h:1"], labels: {region: eu}}'
    assert catalog(svc("api", scrape, metric("a", "gauge", "own"))).exact["a"].labels == {*JL, "own"}
    assert catalog(svc("api", kept, metric("a", "gauge", "own"))).exact["a"].labels == {*JL, "region", "own"}


def test_the_metrics_a_service_type_names_are_in_the_catalog():
    """type: http adds OpenTelemetry's request histogram: an alert on its buckets is no unknown metric."""
    cat = catalog(svc("api", extra="    type: http\n"))
    known = cat.exact["http_server_request_duration_seconds_bucket"]
    assert (known.kind, known.source) == ("bucket", "catalog")
    assert cat.exact["http_server_request_duration_seconds_count"].kind == "counter"


def test_dropped_reads_labeldrops_of_plain_names_only():
    def rule(action, regex):
        return type("R", (), {"action": action, "regex": regex})()

    def sc(*rules):
        return type("S", (), {"metric_relabel_configs": list(rules)})()

    assert cat_mod._dropped(sc(rule("labeldrop", "a|b_2|_c"), rule("labeldrop", "d"))) == {"a", "b_2", "_c", "d"}
    assert cat_mod._dropped(sc(rule("labeldrop", "a|b.*"), rule("labeldrop", "9x"), rule("labeldrop", None),
                               rule("labeldrop", ""), rule("labelkeep", "e"), rule(None, "f"))) == frozenset()


@pytest.mark.parametrize("role, labels", [
    ("node", set()),
    ("pod", {"namespace", "pod"}),
    ("service", {"namespace", "kubernetes_service"}),
    ("endpoints", {"namespace", "pod", "kubernetes_service"}),
    ("endpointslice", {"namespace", "pod", "kubernetes_service"}),
    ("ingress", {"namespace"}),
])
def test_kubernetes_discovery_keeps_the_labels_of_its_role(role, labels):
    cat = catalog(svc("api", f"{{kubernetes: {{role: {role}}}}}", metric("a", "gauge")))
    assert cat.targets == JL | labels
    assert cat.exact["a"] == K("gauge", JL | labels, {"api": 15}, "catalog")


def test_kubernetes_labels_follow_role_directly():
    ns = lambda role: cat_mod._k8s_labels(type("K", (), {"role": role})())
    assert [ns(r) for r in ("node", "pod", "service", "endpoints", "endpointslice", "ingress")] == [
        set(), {"namespace", "pod"}, {"namespace", "kubernetes_service"},
        {"namespace", "pod", "kubernetes_service"}, {"namespace", "pod", "kubernetes_service"}, {"namespace"}]


def test_a_kubernetes_preset_scrapes_families_known_by_prefix():
    cat = catalog(svc("apis", "{kubernetes: {preset: apiservers}, interval: 30s}")
                  + svc("kubelets", "{kubernetes: {preset: nodes}}") + svc("web", metrics=metric("b", "gauge")))
    every = {"apis": 30, "kubelets": 15, "web": 15}
    # nodes copies every node label onto its series: labels of every job are unknowable.
    assert cat.exact["b"].labels == JL and cat.exact["up"] == K("gauge", None, every, "prometheus")
    apis, kubelets = {"apis": 30}, {"kubelets": 15}
    expected = [(p, K(None, None, apis, "exporter")) for p in cat_mod.PRESET_PREFIXES["apiservers"]]
    expected += [(p, K(None, None, kubelets, "exporter")) for p in cat_mod.PRESET_PREFIXES["nodes"]]
    expected += client_prefixes(every, None)
    expected.sort(key=lambda p: -len(p[0]))
    assert cat.prefixes == expected
    assert cat.lookup("apiserver_request_total") == K(None, None, apis, "exporter")
    assert cat.lookup("kubelet_running_pods") == K(None, None, kubelets, "exporter")


def test_a_preset_that_keeps_its_labels_known_leaves_other_jobs_known():
    cat = catalog(svc("apis", "{kubernetes: {preset: apiservers}}") + svc("web", metrics=metric("b", "gauge")))
    assert cat.exact["up"].labels == JL and cat.exact["b"].labels == JL


def test_cadvisor_series_have_unknowable_labels():
    cat = catalog(svc("cadvisor", "{kubernetes: {preset: cadvisor}}", metric("own_metric", "gauge", "x")))
    assert cat.exact["own_metric"].labels is None
    assert cat.lookup("container_cpu_usage_seconds_total") == K(None, None, {"cadvisor": 15}, "exporter")
    assert cat.exact["up"].labels is None


# ----------------------------------------------------------------------------- exporters

NODE = svc("nodes", '{exporter: {kind: node, targets: ["h:9100"]}, interval: 30s}\n    batteries: {enabled: false}')


def test_an_exporters_series_are_facts_of_its_catalog_with_the_target_labels():
    cat = catalog(NODE)
    assert "node_load1" not in cat.exact
    assert cat.lookup("node_load1") == K("gauge", JL, {"nodes": 30}, "catalog")
    assert cat.exact["node_load1"] == K("gauge", JL, {"nodes": 30}, "catalog")  # kept once looked up
    assert cat.lookup("node_cpu_seconds_total") == K("counter", {"cpu", "mode", *JL}, {"nodes": 30}, "catalog")
    assert cat.lookup("go_gc_duration_seconds") == K("summary", {"quantile", *JL}, {"nodes": 30}, "catalog")
    assert cat.lookup("go_gc_duration_seconds_count") == K("counter", JL, {"nodes": 30}, "catalog")


def test_an_exporters_histogram_is_its_three_series():
    cat = catalog(svc("cache", '{exporter: {kind: redis, targets: ["r:9121"]}}\n    batteries: {enabled: false}'))
    jobs = {"cache": 15}
    assert cat.lookup("redis_commands_latencies_usec_bucket") == K("bucket", {"cmd", "le", *JL}, jobs, "catalog")
    assert cat.lookup("redis_commands_latencies_usec_sum") == K("counter", {"cmd", *JL}, jobs, "catalog")
    assert cat.lookup("redis_commands_latencies_usec_count") == K("counter", {"cmd", *JL}, jobs, "catalog")
    assert cat.lookup("redis_commands_latencies_usec") is None


def test_the_series_a_catalog_metric_of_each_type_is_scraped_as():
    labels = frozenset({"a"})
    assert cat_mod._series("h", "histogram", labels) == [
        ("h_bucket", "bucket", {"a", "le"}), ("h_sum", "counter", labels), ("h_count", "counter", labels)]
    assert cat_mod._series("s", "summary", labels) == [
        ("s", "summary", {"a", "quantile"}), ("s_sum", "counter", labels), ("s_count", "counter", labels)]
    assert cat_mod._series("h", "histogram", None) == [("h_bucket", "bucket", None), ("h_sum", "counter", None),
                                                       ("h_count", "counter", None)]
    assert cat_mod._series("c", "counter", labels) == [("c", "counter", labels)]
    assert cat_mod._series("g", "gauge", None) == [("g", "gauge", None)]
    assert cat_mod._series("u", "untyped", labels) == [("u", None, labels)]
    assert cat_mod._with(None, "le") is None and cat_mod._with(frozenset(), "le") == {"le"}


def test_an_exporters_series_index_has_kinds_and_sorted_labels():
    index = cat_mod._series_index("redis")
    assert index["redis_commands_latencies_usec_bucket"] == ("bucket", ("cmd", "le"))
    assert index["redis_commands_latencies_usec_count"] == ("counter", ("cmd",))
    node = cat_mod._series_index("node")
    assert node["node_load1"] == ("gauge", ())
    assert node["node_cpu_seconds_total"] == ("counter", ("cpu", "mode"))
    assert node["node_ethtool_received_bytes_total"] == (None, ("device",))  # untyped


def test_run_time_families_are_known_by_prefix_with_their_kind():
    cat = catalog(NODE)
    jobs = {"nodes": 30}
    assert cat.lookup("node_memory_SomethingNew_bytes") == K("gauge", None, jobs, "exporter")
    assert cat.lookup("node_vmstat_nr_frozen_widgets") == K(None, None, jobs, "exporter")  # untyped
    assert cat.lookup("node_rapl_gpu0_energy_total") == K("counter", None, jobs, "exporter")
    assert cat.lookup("node_perf_cycles_total") is None  # perf is off by default
    assert cat._dynamic == {p: "node" for p in ("node_memory_", "node_vmstat_", "node_netstat_", "node_sockstat_",
                                                "node_hwmon_", "node_rapl_", "node_zfs_", "node_bcachefs_")}


def test_a_collector_turned_on_adds_its_run_time_families():
    off = catalog(svc("mongo", '{exporter: {kind: mongodb, targets: ["m:9216"]}}\n    batteries: {enabled: false}'))
    assert off.lookup("mongodb_ss_new_field") is None and off._dynamic == {}
    on = catalog(svc("mongo", '{exporter: {kind: mongodb, targets: ["m:9216"], collectors: [diagnosticdata]}}\n'
                     '    batteries: {enabled: false}'))
    assert on.lookup("mongodb_ss_new_field") == K(None, None, {"mongo": 15}, "exporter")
    assert on.lookup("mongodb_members_new_field") is None  # replicasetstatus is still off
    assert on._dynamic == {p: "mongodb" for p in ("mongodb_ss_", "mongodb_rs_", "mongodb_sys_",
                                                  "mongodb_oplog_stats_", "mongodb_config_")}


def test_a_typo_of_an_exporters_series_is_not_taken_for_a_run_time_family_member():
    cat = catalog(NODE)
    assert cat.lookup("node_memory_MemAvailble_bytes") is None  # node_memory_MemAvailable_bytes
    assert cat.lookup("node_memory_MemAvailable_bytes") == K("gauge", JL, {"nodes": 30}, "catalog")
    # A client library's family is no exporter's run-time family: a near miss there is still found.
    assert cat.lookup("go_gc_duration_secondz") == K(None, None, {"nodes": 30}, "exporter")


def test_the_names_for_did_you_mean_include_every_exporter_series():
    cat = catalog(NODE + svc("api", metrics=metric("queue_depth", "gauge")))
    names = cat._names
    assert names == sorted(names) and "node_load1" in names and "queue_depth" in names and "up" in names
    assert len(names) == len(set(cat.exact) | set(cat_mod._series_index("node")))
    assert cat._names is names  # made once
    assert cat.suggest("node_lod1") == "did you mean `node_load1`?"
    assert cat.suggest("queue_dept") == "did you mean `queue_depth`?"
    assert cat.suggest("nothing_like_it") is None


def test_two_exporters_of_one_kind_share_its_series_with_both_jobs():
    two = (svc("n1", '{exporter: {kind: node, targets: ["a:9100"]}}\n    batteries: {enabled: false}')
           + svc("n2", '{exporter: {kind: node, targets: ["b:9100"]}, interval: 1m}\n    batteries: {enabled: false}'))
    cat = catalog(two)
    assert cat.lookup("node_load1") == K("gauge", JL, {"n1": 15, "n2": 60}, "catalog")
    assert cat.lookup("node_memory_New_bytes") == K("gauge", None, {"n1": 15, "n2": 60}, "exporter")


def test_two_exporter_kinds_naming_one_series_share_it():
    two = (svc("jvm", '{exporter: {kind: jvm, targets: ["j:9404"]}}\n    batteries: {enabled: false}')
           + svc("nodes", '{exporter: {kind: node, targets: ["n:9100"]}, interval: 1m}\n'
                          '    batteries: {enabled: false}'))
    cat = catalog(two)
    assert cat_mod._series_index("jvm")["process_open_fds"] == cat_mod._series_index("node")["process_open_fds"]
    assert cat.lookup("process_open_fds") == K("gauge", JL, {"jvm": 15, "nodes": 60}, "catalog")


def test_a_blackbox_probe_is_a_job_of_the_blackbox_exporters_series():
    probe = "    probes:\n      - {name: health, http: {url: \"https://api/health\"}, interval: 1m}\n" \
            "      - {name: tcp, tcp: {address: \"db:5432\"}}\n"
    cat = catalog(svc("api", metrics=metric("a", "gauge"), extra=probe))
    jobs = {"api-probe-health": 60, "api-probe-tcp": 15}
    assert cat.targets == {*JL, "probe", "service"}
    assert cat.lookup("probe_success") == K("gauge", {*JL, "probe", "service"}, jobs, "catalog")
    assert cat.exact["up"].intervals == {**jobs, "api": 15}
    assert cat.exact["a"].intervals == {"api": 15}


def test_a_probe_of_a_service_without_a_scrape_job_still_makes_jobs():
    probe = "    probes:\n      - {name: health, http: {url: \"https://api/health\"}}\n"
    cat = catalog(svc("api", None, extra=probe))
    assert cat.exact["up"] == K("gauge", {*JL, "probe", "service"}, {"api-probe-health": 15}, "prometheus")
    assert [p for p, _ in cat.prefixes] == ["promhttp_", "process_", "scrape_", "python_", "go_"]


# ----------------------------------------------------------------------------- rules, logs, merging

RULES = """\
    rule_group: {interval: 1m}
    recording_rules:
      - {record: "route:requests:rate5m", expr: "sum by (route) (rate(http_requests_total[5m]))", labels: {tier: gold}}
      - {record: "code:requests:rate5m", expr: "sum by (code) (rate(http_requests_total[5m])) > 1"}
"""


def test_a_recording_rule_is_a_series_of_its_groups_interval_with_its_expression():
    cat = catalog(API + RULES)
    assert cat.exact["route:requests:rate5m"] == K(
        None, None, {"": 60}, "record", [("sum by (route) (rate(http_requests_total[5m]))", frozenset({"tier"}))])
    assert cat.exact["code:requests:rate5m"] == K(
        None, None, {"": 60}, "record", [("sum by (code) (rate(http_requests_total[5m])) > 1", frozenset())])


def test_a_recording_rule_without_a_group_interval_is_evaluated_at_the_global_one():
    rules = "    recording_rules:\n      - {record: \"x:y:z\", expr: \"sum(queue_depth)\"}\n"
    cat = catalog(API + rules, "global: {evaluation_interval: 30s}\n")
    assert cat.exact["x:y:z"].intervals == {"": 30}


SLO = ("    slos:\n      - {name: avail, objective: 99.9, sli: {ratio: {bad: 'http_requests_total{code=~\"5..\"}', "
       "total: http_requests_total}}, alerting: {runbook_url: \"https://r.example.com/a\"}}\n")


def test_an_slos_recording_rules_are_series_without_known_labels():
    cat = catalog(API + SLO, "global: {evaluation_interval: 30s}\n")
    assert cat.exact["slo:sli_error:ratio_rate1h"] == K(None, None, {"": 30}, "record")
    assert cat.exact["slo:sli_error:ratio_rate5m"] == K(None, None, {"": 30}, "record")
    assert cat.labels("slo:sli_error:ratio_rate1h") is None
    assert cat.filtered("slo:sli_error:ratio_rate1h") is False


def test_fluent_bits_error_counter_is_a_series_labelled_by_service():
    top = "logging: {error_metric: app_log_errors_total}\nglobal: {scrape_interval: 30s}\n"
    cat = catalog(API, top)
    assert cat.exact["app_log_errors_total"] == K("counter", {*JL, "service"}, {"": 30}, "exporter")
    assert "log_errors_total" not in catalog().exact


def test_a_metric_several_services_declare_gets_what_they_have_in_common():
    cat = catalog(svc("a", metrics=metric("shared_total", "counter", "x") + metric("mixed", "gauge", "y"))
                  + svc("b", '{static: ["h:1"], interval: 1m}',
                        metric("shared_total", "counter", "z") + metric("mixed", "counter", inferred=True)))
    assert cat.exact["shared_total"] == K("counter", {"x", "z", *JL}, {"a": 15, "b": 60}, "catalog")
    assert cat.exact["mixed"] == K(None, {"y", *JL}, {"a": 15, "b": 60}, "mixed")


def test_merging_keeps_unknown_labels_unknown_and_every_rule():
    cat = catalog(svc("a", '{static: ["h:1"], honor_labels: true}', metric("m", "gauge"))
                  + svc("b", metrics=metric("m", "gauge", "x")))
    assert cat.exact["m"] == K("gauge", None, {"a": 15, "b": 15}, "catalog")
    cat = catalog(svc("a", metrics=metric("m", "gauge", "x"))
                  + svc("b", '{static: ["h:1"], honor_labels: true}', metric("m", "gauge")))
    assert cat.exact["m"].labels is None
    rules = lambda e: f"    recording_rules:\n      - {{record: \"r:x\", expr: \"{e}\"}}\n"
    cat = catalog(svc("a", extra=rules("sum(up)")) + svc("b", extra=rules("max(up)")))
    assert cat.exact["r:x"] == K(None, None, {"": 15}, "record", [("sum(up)", frozenset()), ("max(up)", frozenset())])


def test_add_merges_in_place_field_by_field():
    cat = catalog()
    first = K("counter", {"a"}, {"j1": 10}, "catalog", [("e1", frozenset())])
    cat._add("n", first)
    cat._add("n", K("counter", {"b"}, {"j2": 20}, "catalog", [("e2", frozenset({"l"}))]))
    assert cat.exact["n"] is first
    assert first == K("counter", {"a", "b"}, {"j1": 10, "j2": 20}, "catalog",
                      [("e1", frozenset()), ("e2", frozenset({"l"}))])
    cat._add("n", K("gauge", None, {"j1": 5}, "record"))
    assert first == K(None, None, {"j1": 5, "j2": 20}, "mixed", [("e1", frozenset()), ("e2", frozenset({"l"}))])
    cat._add("n", K("gauge", {"c"}, {}, "catalog"))
    assert (first.kind, first.labels, first.source) == (None, None, "mixed")


# ----------------------------------------------------------------------------- lookups

def test_lookup_finds_exact_names_then_exporters_then_prefixes():
    cat = catalog(API + NODE)
    assert cat.lookup(None) is None
    assert cat.lookup("queue_depth") is cat.exact["queue_depth"]
    assert cat.lookup("scrape_timeout_seconds") == K("gauge", JL, {"api": 15, "nodes": 30}, "prometheus")
    assert cat.lookup("process_cpu_seconds_total") == K("counter", JL, {"nodes": 30}, "catalog")  # node's own
    assert cat.lookup("process_new_thing_total") == K(None, None, {"api": 15, "nodes": 30}, "exporter")
    assert cat.lookup("nowhere") is None
    assert cat._series("queue_depth") is cat.exact["queue_depth"]
    assert cat._series("node_load1") == K("gauge", JL, {"nodes": 30}, "catalog")
    assert cat._series("process_new_thing_total") is None  # prefixes aside
    assert cat._from_exporters("queue_depth") is None


def test_labels_of_a_series_are_the_catalogs():
    cat = catalog()
    assert cat.labels("queue_depth") == {"queue", *JL}
    assert cat.labels(None) is None and cat.labels("nowhere") is None
    assert cat.labels("process_open_fds") is None


def test_a_recording_rules_labels_are_what_its_expression_keeps_and_its_own():
    cat = catalog(API + RULES)
    assert cat.labels("route:requests:rate5m") == {"route", "tier"}
    assert cat.labels("code:requests:rate5m") == {"code"}
    assert cat._record_labels == {"route:requests:rate5m": {"route", "tier"}, "code:requests:rate5m": {"code"}}
    assert cat._computing == set()


def test_a_recorded_series_several_rules_write_has_every_rules_labels():
    rules = ("    recording_rules:\n"
             "      - {record: \"r:x\", expr: \"sum by (route) (http_requests_total)\", labels: {a: b}}\n"
             "      - {record: \"r:x\", expr: \"sum by (code) (http_requests_total)\", labels: {c: d}}\n")
    assert catalog(API + rules).labels("r:x") == {"route", "a", "code", "c"}
    unknown = rules.replace("sum by (code) (http_requests_total)", "sum by (code) (process_open_fds)")
    assert catalog(API + unknown).labels("r:x") == {"route", "a", "code", "c"}  # by (code) is known anyway
    unknown = rules.replace("sum by (code) (http_requests_total)", "rate(process_open_fds[5m])")
    assert catalog(API + unknown).labels("r:x") is None


def test_a_rule_whose_expression_keeps_unknown_labels_has_unknown_labels():
    rules = ("    recording_rules:\n      - {record: \"r:a\", expr: \"process_open_fds\", labels: {x: y}}\n"
             "      - {record: \"r:b\", expr: \"sum(queue_depth)\", labels: {x: y}}\n")
    cat = catalog(API + rules)
    assert cat.labels("r:a") is None
    assert cat.labels("r:b") == {"x"}


def test_a_rule_that_reads_its_own_output_does_not_loop():
    rules = ("    recording_rules:\n      - {record: \"r:self\", expr: \"r:self + 1\"}\n"
             "      - {record: \"r:a\", expr: \"r:b\"}\n      - {record: \"r:b\", expr: \"r:a > 1\"}\n")
    cat = catalog(API + rules)
    assert cat.labels("r:self") is None
    assert cat.labels("r:a") is None and cat.labels("r:b") is None
    assert cat.filtered("r:self") is False
    assert cat.filtered("r:a") is True  # r:b's own `> 1` is a condition
    assert cat._computing == set()


def test_a_rule_that_does_not_parse_has_unknown_labels_and_is_no_filter():
    cat = catalog()
    cat._add("r:bad", K(None, None, {"": 15}, "record", [("sum(", frozenset())]))
    assert cat.labels("r:bad") is None and cat.filtered("r:bad") is False
    cat._add("r:norules", K(None, None, {"": 15}, "record"))
    assert cat.labels("r:norules") is None


def test_a_recorded_series_is_a_filter_when_every_rule_writing_it_has_a_condition():
    rules = ("    recording_rules:\n"
             "      - {record: \"r:over\", expr: \"queue_depth > 10\"}\n"
             "      - {record: \"r:all\", expr: \"sum(queue_depth)\"}\n"
             "      - {record: \"r:mixed\", expr: \"queue_depth > 10\"}\n"
             "      - {record: \"r:mixed\", expr: \"queue_depth\"}\n"
             "      - {record: \"r:via\", expr: \"sum(r:over)\"}\n")
    cat = catalog(API + rules)
    assert [cat.filtered(n) for n in ("r:over", "r:all", "r:mixed", "r:via", "queue_depth", "nowhere", None)] == [
        True, False, False, True, False, False, False]
    assert cat._computing == set()


@pytest.mark.parametrize("name, declared, kind", [
    ("up", "gauge", "gauge"),  # Prometheus' own
    ("queue_depth", "gauge", "gauge"),
    ("http_requests_total", "counter", "counter"),
    ("http_request_duration_seconds_bucket", "bucket", "bucket"),
    ("rpc_seconds", "summary", "summary"),
    ("guessed_total", None, "counter"),  # the catalog guessed: the kind is used, but nothing is declared
    ("mixed", None, None),  # two services disagree: a catalog says so, the name is no proof
    ("mixed_total", None, None),  # a catalog and a guess disagree: the name is no proof either
    ("batch_size_total_bucket", "bucket", "bucket"),
    ("batch_size_total", None, None),  # a histogram's own name is no series, whatever it ends in
    ("r:x_total", None, None),  # a recorded series' kind is not its name's
    ("route_bucket", None, None),
    ("http_request_duration_seconds", None, None),  # a histogram's own name is no series
    ("cloudwatch_requests_total", None, "counter"),  # unknown: the name suggests
    ("cloudwatch_latency_bucket", None, "bucket"),
    ("process_cpu_seconds_total", None, "counter"),  # a client family: no kind of its own
    ("cloudwatch_latency", None, None),
    (None, None, None),
])
def test_the_kind_of_a_series(name, declared, kind):
    services = (API.replace("    metrics:\n", "    metrics:\n" + metric("guessed_total", "counter", inferred=True)
                            + metric("mixed", "gauge") + metric("mixed_total", "gauge")
                            + metric("batch_size_total", "histogram"))
                + svc("b", metrics=metric("mixed", "counter") + metric("mixed_total", "counter", inferred=True))
                + "    recording_rules:\n      - {record: \"r:x_total\", expr: \"sum(http_requests_total)\"}\n"
                  "      - {record: \"route_bucket\", expr: \"sum(http_requests_total)\"}\n")
    cat = catalog(services)
    assert (cat.declared_kind(name), cat.kind(name)) == (declared, kind)


def test_an_exporters_series_kinds_are_declared():
    cat = catalog(NODE)
    assert cat.declared_kind("node_cpu_seconds_total") == "counter" == cat.kind("node_cpu_seconds_total")
    # Untyped in its catalog: the catalog says it is no counter to judge, whatever its name.
    assert cat.declared_kind("node_ethtool_received_bytes_total") is None
    assert cat.kind("node_ethtool_received_bytes_total") is None
    assert cat.kind("node_memory_New_bytes") == "gauge"


def test_a_logged_error_counter_is_a_counter():
    cat = catalog(API, "logging: {}\n")
    assert cat.kind("log_errors_total") == "counter" == cat.declared_kind("log_errors_total")


@pytest.mark.parametrize("expr, interval", [
    ("a_total", (60, "slow")),  # the slowest job, so a range long enough for it is long enough
    ('a_total{job="fast"}', (10, "fast")),
    ('a_total{job="slow"}', (60, "slow")),
    ('a_total{job="other"}', (60, "slow")),
    ('a_total{job=~"fast"}', (60, "slow")),
    ('a_total{instance="fast", job!="slow"}', (60, "slow")),
    ('b_total', (30, "b1")),  # two jobs as slow: the first by name
    ('b_total{job="b2"}', (30, "b2")),
    ("up", (60, "slow")),
    ("ALERTS", (15, "")),
])
def test_the_interval_of_a_selector_is_its_jobs(expr, interval):
    services = (svc("fast", '{static: ["h:1"], interval: 10s}', metric("a_total", "counter"))
                + svc("slow", '{static: ["h:1"], interval: 1m}', metric("a_total", "counter"))
                + svc("b2", '{static: ["h:1"], interval: 30s}', metric("b_total", "counter"))
                + svc("b1", '{static: ["h:1"], interval: 30s}', metric("b_total", "counter")))
    cat = catalog(services)
    assert cat.interval(parse(expr)) == interval


def test_a_selector_of_an_unknown_series_has_no_interval():
    assert catalog().interval(parse("nowhere")) is None
    assert catalog().interval(Sel(None, (), None)) is None


def test_interval_picks_the_slowest_job_first_by_name():
    cat = catalog()
    cat._add("z", K("gauge", None, {"b": 30, "a": 30, "c": 10}, "catalog"))
    assert cat.interval(Sel("z", (), None)) == (30, "a")
    cat._add("y", K("gauge", None, {"c": 10, "b": 20, "a": 5}, "catalog"))
    assert cat.interval(Sel("y", (), None)) == (20, "b")


def test_a_histograms_own_name_is_explained():
    cat = catalog(API + svc("cache", '{exporter: {kind: redis, targets: ["r:9121"]}}\n'
                                     '    batteries: {enabled: false}'))
    assert cat.suggest("http_request_duration_seconds") == (
        "`http_request_duration_seconds` is a histogram: its series are http_request_duration_seconds_bucket, "
        "http_request_duration_seconds_sum and http_request_duration_seconds_count")
    assert cat.suggest("redis_commands_latencies_usec") == (
        "`redis_commands_latencies_usec` is a histogram: its series are redis_commands_latencies_usec_bucket, "
        "redis_commands_latencies_usec_sum and redis_commands_latencies_usec_count")
    assert cat.suggest("queue_dpeth") == "did you mean `queue_depth`?"


def test_a_recorded_bucket_series_is_no_histogram_to_explain():
    rules = "    recording_rules:\n      - {record: \"lat_bucket\", expr: \"sum by (le) (http_request_duration_seconds_bucket)\"}\n"
    assert catalog(API + rules).suggest("lat") is None


# ----------------------------------------------------------------------------- labels of an expression

LABEL_RULES = """\
    recording_rules:
      - {record: "r:route", expr: "sum by (route) (http_requests_total)"}
"""


@pytest.mark.parametrize("expr, labels", [
    ("http_requests_total", {"code", "route", "job", "instance"}),
    ("process_open_fds", None),
    ("1", set()),
    ('"text"', set()),
    ("max_over_time(queue_depth[10m:1m])", {"queue", "job", "instance"}),
    ("queue_depth[5m]", {"queue", "job", "instance"}),
    ("time()", set()),
    ("scalar(queue_depth)", set()),
    ("vector(1)", set()),
    ('label_replace(queue_depth, "svc", "$1", "queue", "(.*)")', {"queue", "job", "instance", "svc"}),
    ('label_join(queue_depth, "all", ",", "queue", "job")', {"queue", "job", "instance", "all"}),
    ('label_replace(process_open_fds, "svc", "$1", "queue", "(.*)")', None),
    ("histogram_quantile(0.9, http_request_duration_seconds_bucket)", {"route", "job", "instance"}),
    ("histogram_quantile(0.9, process_open_fds)", None),
    ("rate(http_requests_total[5m])", {"code", "route", "job", "instance"}),
    ("clamp_max(queue_depth, 10)", {"queue", "job", "instance"}),
    ("round(queue_depth, 1)", {"queue", "job", "instance"}),
    ("absent(queue_depth)", None),
    ("sum(queue_depth)", set()),
    ("sum by (queue, nope) (queue_depth)", {"queue"}),
    ("sum by (queue, nope) (process_open_fds)", {"queue", "nope"}),
    ("sum without (queue) (queue_depth)", {"job", "instance"}),
    ("sum without (queue) (process_open_fds)", None),
    ("topk(3, queue_depth)", {"queue", "job", "instance"}),
    ("topk(3, process_open_fds)", None),
    ("quantile by (queue) (0.9, queue_depth)", {"queue"}),  # its parameter is no label
    ('count_values("value", queue_depth)', {"value"}),
    ('count_values by (queue) ("value", queue_depth)', {"queue", "value"}),
    ('count_values without (queue) ("value", queue_depth)', {"job", "instance", "value"}),
    ('count_values by (x) ("value", process_open_fds)', {"x", "value"}),
    ("queue_depth and http_requests_total", {"queue", "job", "instance"}),
    ("queue_depth and on (instance) http_requests_total", {"queue", "job", "instance"}),  # a filter keeps all
    ("queue_depth unless ignoring (queue) http_requests_total", {"queue", "job", "instance"}),
    ("queue_depth unless process_open_fds", {"queue", "job", "instance"}),
    ("process_open_fds unless queue_depth", None),
    ("queue_depth or http_requests_total", {"queue", "code", "route", "job", "instance"}),
    ("queue_depth or process_open_fds", None),
    ("process_open_fds or queue_depth", None),
    ("2 * queue_depth", {"queue", "job", "instance"}),
    ("queue_depth * 2", {"queue", "job", "instance"}),
    ("2 * process_open_fds", None),
    ("queue_depth * on (instance) group_left (code) http_requests_total", {"queue", "job", "instance", "code"}),
    ("process_open_fds * on (instance) group_left (code) http_requests_total", None),
    ("http_requests_total * on (instance) group_right (queue) queue_depth", {"queue", "job", "instance"}),
    ("queue_depth * on (instance) group_right (code) process_open_fds", None),
    ("queue_depth / on (queue, nope) http_requests_total", {"queue"}),
    ("process_open_fds / on (queue, nope) http_requests_total", {"queue", "nope"}),
    ("queue_depth / ignoring (queue) http_requests_total", {"job", "instance"}),
    ("process_open_fds / ignoring (queue) http_requests_total", None),
    ("queue_depth / http_requests_total", {"queue", "job", "instance"}),
    ("queue_depth > 1", {"queue", "job", "instance"}),
    ("r:route", {"route"}),
])
def test_the_labels_an_expressions_series_can_carry(expr, labels):
    cat = catalog(API + LABEL_RULES)
    node = parse(expr)
    assert node is not None
    assert Labels(cat).of(node) == (None if labels is None else frozenset(labels))


def test_labels_are_memoised_per_node():
    cat = catalog()
    node = parse("sum by (queue) (queue_depth)")
    labels = Labels(cat)
    assert labels.of(node) == {"queue"}
    assert labels.memo == {id(node): {"queue"}, id(node.expr): {"queue", "job", "instance"}}
    labels.memo[id(node)] = frozenset({"cached"})
    assert labels.of(node) == {"cached"}


def test_labels_of_malformed_calls_are_unknown_not_a_crash():
    from obsgen.core.promql_tree import Fn, Lit
    cat = catalog()
    q = parse("queue_depth")
    assert Labels(cat).of(Fn("label_replace", (q,), False)) is None
    assert Labels(cat).of(Fn("label_replace", (q, Lit(1.0)), False)) is None
    assert Labels(cat).of(Fn("label_replace", (q, q), False)) is None
    assert Labels(cat).of(Fn("label_replace", (q, Lit("dst")), False)) == {"queue", "job", "instance", "dst"}
    assert Labels(cat).of(Fn("histogram_quantile", (Lit(0.9),), False)) is None
    assert Labels(cat).of(Fn("rate", (Lit(1.0),), False)) == frozenset()
    assert Labels(cat).of(object()) is None


# ----------------------------------------------------------------------------- conditions

@pytest.mark.parametrize("expr, has", [
    ("queue_depth > 10", True),
    ("queue_depth == 10", True),
    ("queue_depth != 10", True),
    ("queue_depth < 10", True),
    ("queue_depth >= 10", True),
    ("queue_depth <= 10", True),
    ("queue_depth > bool 10", False),
    ("queue_depth and up", True),
    ("queue_depth unless up", True),
    ("queue_depth or up", False),
    ("(queue_depth > 1) or up", False),
    ("queue_depth or (up == 0)", False),
    ("(queue_depth > 1) or (up == 0)", True),
    ("queue_depth * 2", False),
    ("(queue_depth > 1) * 2", True),
    ("2 * (queue_depth > 1)", True),
    ("absent(up)", True),
    ("absent_over_time(up[5m])", True),
    ("rate(http_requests_total[5m])", False),
    ("abs(queue_depth > 1)", True),
    ("clamp(queue_depth, 0, 1)", False),
    ("sum(queue_depth)", False),
    ("sum(queue_depth > 1)", True),
    ("max_over_time((queue_depth > 1)[10m:1m])", True),
    ("max_over_time(queue_depth[10m:1m])", False),
    ("queue_depth", False),
    ("r:over", True),
    ("r:all", False),
    ("queue_depth * r:over", True),  # the right-hand side's recorded condition
    ("1", False),
])
def test_an_expression_has_a_condition_when_it_can_return_nothing_while_its_series_exist(expr, has):
    rules = ("    recording_rules:\n      - {record: \"r:over\", expr: \"queue_depth > 10\"}\n"
             "      - {record: \"r:all\", expr: \"sum(queue_depth)\"}\n")
    assert condition(catalog(API + rules), parse(expr)) is has


# ----------------------------------------------------------------------------- alert hygiene (alerts.py)

def alert(expr: str = "queue_depth > 1", name: str = "QueueDeep", **fields) -> str:
    body = {"name": name, "expr": expr, "severity": "warning", "summary": "s", "description": "d", **fields}
    return "      - {" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in body.items() if v is not None) + "}\n"


def hygiene_spec(alerts: str = "", extra: str = "", metrics: str = "", top: str = "") -> str:
    return text_of("  - name: api\n    team: web\n    scrape: {static: [\"api:8000\"]}\n"
                   "    metrics:\n      - {name: queue_depth, type: gauge, help: Q.}\n" + metrics
                   + (f"    alerts:\n{alerts}" if alerts else "") + extra, top)


def findings(text: str) -> list[tuple]:
    """alert_findings of the spec: (code, severity, line:col, message, hint, owner, what) each."""
    tree, diags = load_text(text, "spec.yaml")
    assert not diags
    [env] = resolve([SpecFile(name="spec.yaml", display="spec.yaml", tree=tree)]).environments
    assert env.model is not None
    return [(f.diagnostic.code, f.diagnostic.severity, f"{f.diagnostic.pos.line}:{f.diagnostic.pos.col}",
             f.diagnostic.message, f.diagnostic.hint, f.owner, f.what)
            for f in alert_findings(env.tree, env.parsed, env.model)]


def at(text: str, needle: str, nth: int = 0) -> str:
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    return f"{text.count(chr(10), 0, i) + 1}:{i - (text.rfind(chr(10), 0, i) + 1) + 1}"


W = Severity.WARNING
ALERT0 = ("services", 0, "alerts", 0)
WHAT0 = "alert QueueDeep (service api)"
RUNBOOK = "https://r.example.com/q"


def test_a_clean_alert_has_no_hygiene_findings():
    assert findings(hygiene_spec(alert(severity="critical", runbook_url=RUNBOOK, **{"for": "5m"}))) == []
    assert findings(hygiene_spec()) == []


def test_for_shorter_than_the_groups_interval_is_a_warning_at_the_for():
    text = hygiene_spec(alert(**{"for": "30s"}), "    rule_group: {interval: 1m}\n")
    assert findings(text) == [(
        "OBS056", W, at(text, '"30s"'),
        ("alert QueueDeep: `for: 30s` is shorter than the evaluation interval of its rule group (1m), so it acts "
         "as `for: 1m`"), "use `for: 1m` or longer, or drop `for`", ALERT0, WHAT0)]


def test_for_is_judged_against_the_global_evaluation_interval_when_the_group_has_none():
    text = hygiene_spec(alert(**{"for": "20s"}), top="global: {evaluation_interval: 30s}\n")
    [(code, _, _, message, hint, _, _)] = findings(text)
    assert (code, hint) == ("OBS056", "use `for: 30s` or longer, or drop `for`")
    assert "of its rule group (30s), so it acts as `for: 30s`" in message
    assert findings(hygiene_spec(alert(**{"for": "30s"}), top="global: {evaluation_interval: 30s}\n")) == []
    assert findings(hygiene_spec(alert(**{"for": "1m"}), "    rule_group: {interval: 1m}\n")) == []
    # The group's own interval wins over the global one.
    assert findings(hygiene_spec(alert(**{"for": "20s"}), "    rule_group: {interval: 10s}\n",
                                 top="global: {evaluation_interval: 30s}\n")) == []
    assert findings(hygiene_spec(alert(**{"for": "0s"}), "    rule_group: {interval: 1m}\n")) == []
    # Any wait shorter than an evaluation, however short, is one evaluation.
    text = hygiene_spec(alert(**{"for": "1s"}))
    assert [(f[0], f[2], f[3]) for f in findings(text)] == [(
        "OBS056", at(text, '"1s"'), ("alert QueueDeep: `for: 1s` is shorter than the evaluation interval of its "
                                     "rule group (15s), so it acts as `for: 15s`"))]


def test_an_alert_name_that_is_not_camel_case_is_a_warning_at_the_name():
    for name in ("queue_deep", "queueDeep", "Queue-Deep", "Queue Deep"):
        text = hygiene_spec(alert(name=name))
        assert findings(text) == [(
            "OBS057", W, at(text, json.dumps(name)), f"alert name {name!r} is not CamelCase",
            "alert names are CamelCase by convention, e.g. HighErrorRate", ALERT0, f"alert {name} (service api)")]
    for name in ("QueueDeep", "Q", "Http5xxErrors"):
        assert findings(hygiene_spec(alert(name=name))) == []


def test_camel_case_is_the_whole_name():
    assert [bool(lint_alerts.CAMEL.fullmatch(n)) for n in ("A1", "Ab", "aB", "A_b", "A-", "1A", "", "AB c")] == [
        True, True, False, False, False, False, False, False]


@pytest.mark.parametrize("summary, description, words", [
    (None, "d", "no summary"),
    ("s", None, "no description"),
    (None, None, "no summary and no description"),
])
def test_an_alert_without_a_summary_or_description_is_a_warning_naming_what_is_missing(summary, description, words):
    text = hygiene_spec(alert(summary=summary, description=description))
    assert findings(text) == [(
        "OBS058", W, at(text, '"QueueDeep"'), f"alert QueueDeep has {words}",
        "the summary is the notification's title; the description says what is wrong and where", ALERT0, WHAT0)]


def test_a_critical_alert_without_for_or_runbook_is_warned_at_its_severity():
    text = hygiene_spec(alert(severity="critical"))
    assert findings(text) == [
        ("OBS066", W, at(text, '"critical"'),
         ("critical alert QueueDeep has no `for`: it pages on the first evaluation that sees the condition, a "
          "single bad scrape or a blip included"),
         "give it `for:` (a few evaluation intervals, e.g. 2m), or silence this with why an instant page is right",
         ALERT0, WHAT0),
        ("OBS059", W, at(text, '"critical"'), "critical alert QueueDeep has no runbook_url",
         "whoever is paged needs to know what to do: link the runbook", ALERT0, WHAT0)]


def test_for_and_a_runbook_quiet_a_critical_alert_and_a_warning_needs_neither():
    assert findings(hygiene_spec(alert(severity="critical", runbook_url=RUNBOOK, **{"for": "1m"}))) == []
    assert [f[0] for f in findings(hygiene_spec(alert(severity="critical", **{"for": "1m"})))] == ["OBS059"]
    assert [f[0] for f in findings(hygiene_spec(alert(severity="critical", runbook_url=RUNBOOK)))] == ["OBS066"]
    assert findings(hygiene_spec(alert(severity="warning"))) == []
    assert findings(hygiene_spec(alert(severity="info"))) == []


@pytest.mark.parametrize("expr, switch", [
    ("vector(1)", True), (" vector( 1 ) ", True), ("vector(-1.5e3)", True), ("vector(+0)", True),
    ("vector(1) > 0", False), ("vector(time())", False), ("sum(vector(1))", False), ("up == 0", False),
    ("vector(1) and up", False), ("xvector(1)", False),
])
def test_a_dead_mans_switch_is_an_instant_page_on_purpose(expr, switch):
    assert lint_alerts._always_firing(expr) is switch
    codes = [f[0] for f in findings(hygiene_spec(alert(expr, severity="critical", runbook_url=RUNBOOK)))]
    assert codes == ([] if switch else ["OBS066"])


def test_every_finding_of_an_alert_is_owned_by_that_alert():
    alerts = alert() + alert(name="bad_name", summary=None, severity="critical", **{"for": "5s"})
    text = hygiene_spec(alerts, "    rule_group: {interval: 1m}\n")
    owner, what = ("services", 0, "alerts", 1), "alert bad_name (service api)"
    assert [(f[0], f[2], f[5], f[6]) for f in findings(text)] == [
        ("OBS056", at(text, '"5s"'), owner, what),
        ("OBS057", at(text, '"bad_name"'), owner, what),
        ("OBS058", at(text, '"bad_name"'), owner, what),
        ("OBS059", at(text, '"critical"'), owner, what)]


def test_alerts_of_every_service_are_checked_with_their_own_owner():
    text = text_of(svc("a", metrics=metric("q", "gauge"), extra="    alerts:\n" + alert("q > 1"))
                   + svc("b", metrics=metric("q", "gauge"), extra="    alerts:\n" + alert("q > 1", name="b_bad")))
    assert [(f[0], f[5], f[6]) for f in findings(text)] == [
        ("OBS057", ("services", 1, "alerts", 0), "alert b_bad (service b)")]


def test_a_counter_not_named_total_is_a_convention_warning_at_its_name():
    text = hygiene_spec(metrics="      - {name: node_vmstat_pgmajfault, type: counter, help: F.}\n"
                                "      - {name: jobs_total, type: counter, help: J.}\n"
                                "      - {name: jobs_total_x, type: gauge, help: J.}\n")
    assert findings(text) == [(
        "OBS067", W, at(text, "node_vmstat_pgmajfault"), "counter 'node_vmstat_pgmajfault' does not end in _total",
        ("Prometheus names counters *_total; exporters that do not (node_vmstat_pgmajfault) are right to be "
         "declared as they are"), ("services", 0, "metrics", 1), "metric node_vmstat_pgmajfault (service api)")]


SLO_ALERTING = ("    slos:\n      - name: avail\n        objective: 99.9\n"
                "        sli: {ratio: {bad: 'queue_depth{queue=\"dead\"}', total: queue_depth}}\n"
                "        alerting: ALERTING\n")


def slo_spec(alerting: str) -> str:
    return hygiene_spec(extra=SLO_ALERTING.replace("ALERTING", alerting))


def test_an_slo_alert_name_base_that_is_not_camel_case_is_a_warning():
    text = slo_spec(f"{{name: apiAvail, runbook_url: \"{RUNBOOK}\"}}")
    assert findings(text) == [(
        "OBS057", W, at(text, "apiAvail"), "SLO avail: alert name base 'apiAvail' is not CamelCase",
        "the SLO's alerts are named after it, e.g. ApiAvailability", ("services", 0, "slos", 0),
        "SLO avail (service api)")]
    assert findings(slo_spec(f"{{name: ApiAvail, runbook_url: \"{RUNBOOK}\"}}")) == []
    assert findings(slo_spec(f"{{runbook_url: \"{RUNBOOK}\"}}")) == []


def test_an_slo_that_pages_needs_a_runbook():
    text = slo_spec("{name: ApiAvail}")
    assert findings(text) == [(
        "OBS059", W, at(text, "avail\n"), "SLO avail has critical alerts but no alerting.runbook_url",
        "whoever is paged needs to know what to do: link the runbook", ("services", 0, "slos", 0),
        "SLO avail (service api)")]


def test_the_severities_an_slo_alerts_with():
    def slo(page=True, ticket=True, budget=False, page_sev="critical", ticket_sev="warning"):
        t = lambda on, sev: type("T", (), {"enabled": on, "severity": sev})()
        alerting = type("A", (), {"page": t(page, page_sev), "ticket": t(ticket, ticket_sev),
                                  "budget_alerts": budget})()
        return type("O", (), {"alerting": alerting})()

    assert lint_alerts._slo_severities(slo()) == ["critical", "warning"]
    assert lint_alerts._slo_severities(slo(page=False)) == ["warning"]
    assert lint_alerts._slo_severities(slo(page=False, ticket=False)) == []
    assert lint_alerts._slo_severities(slo(page=False, ticket=False, budget=True)) == ["warning", "critical"]
    assert lint_alerts._slo_severities(slo(budget=True)) == ["critical", "warning"]
    assert lint_alerts._slo_severities(slo(ticket_sev="critical")) == ["critical"]


def test_an_slo_that_only_tickets_needs_no_runbook():
    assert findings(slo_spec("{name: ApiAvail, page: {enabled: false, severity: critical}}")) == []
    text = slo_spec("{name: ApiAvail, page: {enabled: false, severity: critical}, budget_alerts: true}")
    assert [f[0] for f in findings(text)] == ["OBS059"]
