"""Batteries (resolve/packs): exporter packs, service types and tier SLOs.

What is proven here: a short spec of four services (an http server of tier 1, postgres, redis,
node) builds into alerts, SLOs and dashboards that promtool, amtool and Grafana's schema accept;
every alert a pack or type adds is scoped to its service's job, reads only metrics its exporter
exports (the catalog), has generated tests that pass, and a tenfold change of its threshold or
`for` fails one of them; what a service tunes is applied, and what it names wrongly is an error."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import grafana_schema, needs
from ruamel.yaml import YAML
from test_alert_tests import _generated, assert_most_killed, mutation_test

from obsgen.api import generate, load_texts
from obsgen.core.diagnostics import format_text
from obsgen.core.exporters import catalogs
from obsgen.core.promql_tree import parse, selectors
from obsgen.features.verify import check_tree
from obsgen.resolve.packs import packs_of
from obsgen.resolve.packs.exporters import PACKS
from obsgen.resolve.packs.signals import CONVENTIONS, TYPES
from obsgen.resolve.packs.signals import pack as type_pack
from obsgen.write.tree import write_tree

yaml = YAML(typ="safe")

HEAD = """\
apiVersion: obsgen/v1
global: {runbooks_url: "https://git.example.com/ops/monitoring/-/blob/main/generated/default/runbooks"}
teams:
  - name: web
    email: {to: web@example.com}
    slack: {channel: "#web", api_url_file: /etc/alertmanager/slack}
routing: {default_team: web, smtp: {smarthost: "smtp:25", from: am@example.com}}
services:
"""

FOUR = HEAD + """\
  - name: checkout
    team: web
    tier: 1
    type: http
    depends_on: [checkout-db, cache]
    scrape: {kubernetes: {role: pod, namespaces: [shop], selector: {app: checkout}, port: metrics}}
  - name: checkout-db
    team: web
    scrape: {exporter: {kind: postgres, targets: ["pg-exporter.shop:9187"]}}
  - name: cache
    team: web
    scrape: {exporter: {kind: redis, targets: ["redis-exporter.shop:9121"]}}
  - name: hosts
    team: web
    scrape: {exporter: {kind: node, targets: ["node-1:9100", "node-2:9100"]}}
"""

EVERY_PACK = FOUR + """\
  - name: events
    team: web
    scrape: {exporter: {kind: kafka, targets: ["kafka-exporter:9308"]}}
  - name: probes
    team: web
    scrape: {exporter: {kind: blackbox, targets: ["blackbox:9115"], probes: ["https://shop.example.com/health"]}}
  - name: payments
    team: web
    tier: 2
    type: grpc
    signals: {convention: prometheus-client}
    depends_on: [events]
    scrape: {static: ["payments-1:9090"]}
  - name: search
    team: web
    tier: 1
    type: grpc
    scrape: {static: ["search-1:9090"]}
  - name: api
    team: web
    tier: 2
    type: http
    signals: {convention: prometheus-client}
    depends_on: [orders-db, edge]
    scrape: {static: ["api-1:8000"]}
  - name: orders-db
    team: web
    scrape: {exporter: {kind: mysql, targets: ["mysqld-exporter:9104"]}}
  - name: web-front
    team: web
    scrape: {exporter: {kind: nginx, targets: ["nginx-exporter"]}}
  - name: edge
    team: web
    scrape: {exporter: {kind: haproxy, targets: ["haproxy-1:8405", "haproxy-2:8405"]}}
  - name: logs-es
    team: web
    scrape: {exporter: {kind: elasticsearch, targets: ["es-exporter:9114"]}}
  - name: cluster-state
    team: web
    scrape:
      exporter: {kind: kube-state-metrics}
      kubernetes: {role: endpoints, namespaces: [kube-system], selector: {app.kubernetes.io/name: kube-state-metrics}}
  - name: billing-jvm
    team: web
    scrape: {exporter: {kind: jvm, targets: ["billing-1", "billing-2"]}}
  - name: sessions-mongo
    team: web
    scrape: {exporter: {kind: mongodb, targets: ["mongodb-exporter:9216"], collectors: [diagnosticdata]}}
  - name: queue
    team: web
    scrape: {exporter: {kind: rabbitmq, targets: ["rabbit-1", "rabbit-2", "rabbit-3"]}}
  - name: monitoring
    team: web
    scrape: {exporter: {kind: prometheus, targets: ["prometheus-0:9090", "prometheus-1:9090"]}}
  - name: alerting
    team: web
    scrape: {exporter: {kind: alertmanager, targets: ["alertmanager-0", "alertmanager-1"]}}
  - name: mailer
    team: web
    tier: 1
    type: worker
    depends_on: [queue]
    signals: {backlog: mail_queue_jobs_waiting, oldest_age: mail_queue_oldest_job_age_seconds}
    scrape: {static: ["mailer-1:9464", "mailer-2:9464"]}
  - name: kubelets
    team: web
    scrape: {kubernetes: {preset: nodes}}
  - name: containers
    team: web
    scrape: {kubernetes: {preset: cadvisor}}
  - name: nightly-backup
    team: web
    type: batch
    signals: {last_success: backup_last_success_timestamp_seconds, requests: backup_runs_total,
              errors: 'status="failed"'}
    scrape: {static: ["pushgateway:9091"], honor_labels: true}
"""


def _project(text: str):
    project = load_texts({"spec.yaml": text})
    assert project.ok, "\n".join(format_text(d) for d in project.diagnostics)
    return project


@pytest.fixture(scope="module")
def four():
    return _project(FOUR)


@pytest.fixture(scope="module")
def every():
    return _project(EVERY_PACK)


# ----------------------------------------------------------------------------- what a spec gets

def test_four_short_services_get_scoped_alerts_slos_and_dashboards(four):
    model = four.models[0]
    by_service: dict[str, list] = {}
    for a in model.alerts:
        by_service.setdefault(a.service, []).append(a)
    for name in ("checkout-db", "cache", "hosts"):
        alerts = by_service[name]
        # at least five that wait their `for` (an event counted over a window, a deadlock or an OOM
        # kill, needs none)
        assert len([a for a in alerts if a.spec.for_ not in ("0s", "0m")]) >= 5, name
        for a in alerts:
            assert a.spec.summary and a.spec.description, a.name
            if a.spec.severity == "critical":
                assert a.spec.runbook_url and a.spec.runbook_url.endswith(f"/{name}.md#{a.name.lower()}")
    checkout = {a.name for a in by_service["checkout"]}
    assert {"HttpHighErrorRate", "HttpHighLatency", "HttpTargetDown"} <= checkout
    slos = [s for s in model.slos if s.service.name == "checkout"]
    assert sorted(s.spec.name for s in slos) == ["availability", "latency"]
    assert all(s.spec.alerting.page.enabled for s in slos)  # tier 1 pages
    dashboards = dict(model.dashboards)
    for name in ("checkout", "checkout-db", "cache", "hosts"):
        d = dashboards[f"svc-{name}"]
        assert [v.name for v in d.variables] == ["instance"]
    rows = [p.title for p in dashboards["svc-checkout"].panels]
    assert rows[-2:] == ["Dependency: checkout-db", "Dependency: cache"]


def test_every_added_alert_reads_only_its_own_job(every):
    model = every.models[0]
    jobs = {s.name: (s.scrape.job or s.name) for s in model.services}
    added = [(a, jobs[a.service]) for a in model.alerts if a.origin]
    assert len(added) > 40
    for a, job in added:
        for sel in selectors(parse(a.spec.expr)):
            if sel.name in {r.record for s in model.services for r in model.recording_rules(s)}:
                assert ("job", "=", job) in sel.matchers, (a.name, a.spec.expr)
                continue
            assert ("job", "=", job) in sel.matchers, (a.name, a.spec.expr)
    for s in model.services:
        for r in model.battery(s).records:
            assert all(("job", "=", jobs[s.name]) in sel.matchers for sel in selectors(parse(r.expr)))


@pytest.mark.parametrize("kind", sorted(PACKS))
def test_every_pack_reads_only_metrics_its_exporter_exports_by_default(kind):
    pack = PACKS[kind]
    catalog = catalogs()[kind]
    exprs = [(pa.expr, pa.needs) for pa in pack.alerts] + [(r.expr, None) for r in pack.records] + \
        [(e, p.needs) for _, row in pack.rows for p in row for e, _ in p.queries]
    assert len([pa for pa in pack.alerts if not pa.needs]) >= 5  # out of the box
    for expr, collector in exprs:
        assert collector is None or collector in catalog.collectors, (kind, collector)
        on = frozenset([collector] if collector else [])
        prefixes = [d.prefix for d in catalog.dynamic if catalog.emits(d, on)]
        text = expr.replace("$job", 'job="x"').replace("$sel", 'job="x"').replace("$threshold", "1") \
            .replace("$__rate_interval", "5m")
        for sel in selectors(parse(text)):
            if sel.name == "up":
                continue
            metric = _series(kind, sel.name)
            known = metric is not None and catalog.emits(metric[0], on)
            assert known or any(sel.name.startswith(p) for p in prefixes), f"{kind}: {sel.name} in {expr}"
            if metric is not None:  # and the labels it matches or groups by are the metric's
                have = set(metric[0].labels) | set(metric[1]) | {"job", "instance"}
                assert {label for label, _, _ in sel.matchers} <= have, (sel.name, sel.matchers)


def _series(kind: str, name: str):
    """(the catalog's metric, labels the series adds) for a series name: a metric's own, or a
    histogram's or summary's _bucket (le), _sum, _count, or a summary's quantiles."""
    metrics = catalogs()[kind].metrics
    if name in metrics:
        return metrics[name], (("quantile",) if metrics[name].type == "summary" else ())
    for suffix, types, extra in (("_bucket", ("histogram",), ("le",)), ("_sum", ("histogram", "summary"), ()),
                                 ("_count", ("histogram", "summary"), ())):
        base = metrics.get(name.removesuffix(suffix)) if name.endswith(suffix) else None
        if base is not None and base.type in types:
            return base, extra
    return None


@pytest.mark.parametrize("kind", TYPES)
def test_every_type_reads_what_its_conventions_name(kind):
    pack = type_pack(kind)
    for (k, _), conv in CONVENTIONS.items():
        if k != kind:
            continue
        families = {conv.duration + "_bucket", conv.requests, "up"}
        declared = {name for name, *_ in conv.metrics}
        assert conv.duration in declared
        exprs = [pa.expr for pa in pack.alerts] + [r.expr for r in pack.records] + \
                [e for _, row in pack.rows for p in row for e, _ in p.queries]
        for expr in exprs:
            text = (expr.replace("$job", 'job="x"').replace("$sel", 'job="x"').replace("$threshold", "1")
                    .replace("$backlog", "backlog").replace("$oldest_age", "oldest_age")
                    .replace("$__rate_interval", "5m").replace("$requests", conv.requests)
                    .replace("$errors", conv.errors).replace("$bucket", conv.duration + "_bucket")
                    .replace("$per_second", ""))
            for sel in selectors(parse(text)):
                assert sel.name in families | {"backlog", "oldest_age"} or sel.name.startswith("job:"), \
                    (kind, sel.name)


@needs("promtool", "amtool")
def test_the_files_pass_promtool_amtool_and_grafanas_schema(every, tmp_path):
    files = generate(every)
    write_tree(tmp_path, files)
    failed = [f"{r.file}: {r.check}\n{r.detail}" for r in check_tree(tmp_path) if not r.ok]
    assert not failed, "\n\n".join(failed)
    dashboards = sorted(tmp_path.glob("default/grafana/dashboards/**/*.json"))
    made = [s for s in every.models[0].services if packs_of(s)]
    assert len([d for d in dashboards if d.name.startswith("svc-")]) == len(made) > len(PACKS)
    printed, errors = grafana_schema(*dashboards)
    assert not errors, printed


def test_every_added_alert_has_generated_tests(every):
    got = _generated(every.models[0])
    added = {(a.service, a.name, a.spec.severity) for a in every.models[0].alerts if a.origin}
    missing = {k: r.get(k) for k, (cases, r) in got.items() if k in added and not cases}
    assert not missing


@needs("promtool")
def test_a_tenfold_change_of_a_pack_threshold_or_for_fails_a_test(every, tmp_path):
    files = {p: t for p, t in generate(every, targets=["rules"]).items()}
    assert_most_killed(*mutation_test(files, "default", tmp_path), at_least=80)


# ----------------------------------------------------------------------------- tuning

TUNED = HEAD + """\
  - name: db
    team: web
    scrape: {exporter: {kind: postgres, targets: ["pg:9187"]}}
    alerts:
      - name: PostgresDown
        expr: 'pg_up{job="db"} == 0'
        for: 30s
        severity: critical
        summary: our own
        runbook_url: https://wiki.example.com/pg
    batteries:
      alerts:
        PostgresTooManyConnections: {threshold: 0.95, for: 15m, labels: {component: database}}
        PostgresDeadlocks: {enabled: false}
        PostgresLongTransaction: {severity: info, silence: {OBS059: "info needs no runbook"}}
      panels:
        Database size: {enabled: false}
  - name: web-api
    team: web
    tier: 2
    type: http
    signals: {convention: prometheus-client}
    scrape: {static: ["api:8000"]}
    batteries:
      slos:
        availability: {objective: 99.5, page: true}
        latency: {enabled: false}
"""


def test_what_a_service_tunes_is_applied_and_its_own_alert_replaces_the_packs():
    model = _project(TUNED).models[0]
    alerts = {(a.service, a.name): a for a in model.alerts}
    assert alerts[("db", "PostgresDown")].spec.summary == "our own"
    assert sum(1 for a in model.alerts if a.name == "PostgresDown") == 1
    conn = alerts[("db", "PostgresTooManyConnections")]
    assert conn.spec.expr.endswith("> 0.95") and conn.spec.for_ == "15m"
    assert conn.labels["component"] == "database"
    assert "95%" in conn.spec.description and "15m" in conn.spec.description
    assert ("db", "PostgresDeadlocks") not in alerts
    assert alerts[("db", "PostgresLongTransaction")].spec.severity == "info"
    panels = [p.title for row in dict(model.dashboards)["svc-db"].panels for p in row.panels or []]
    assert "Database size" not in panels and "Connections used" in panels
    slos = {s.spec.name: s for s in model.slos if s.service.name == "web-api"}
    assert list(slos) == ["availability"] and slos["availability"].spec.objective == 99.5
    assert slos["availability"].spec.alerting.page.enabled  # tier 2, told to page
    states = {(a.what, a.name): a.state for a in model.battery(next(s for s in model.services if s.name == "db")).added}
    assert states[("alert", "PostgresDown")] == "replaced by the service's own"
    assert states[("alert", "PostgresDeadlocks")] == "off"
    assert states[("alert", "PostgresTooManyConnections")].startswith("tuned: threshold 0.95; for 15m")


@pytest.mark.parametrize("change, message, where", [
    ("PostgresDeadlocks: {enabled: false}", "tunes alert 'PostgresDeadlock'", "PostgresDeadlock: {enabled"),
    ("Database size: {enabled: false}", "tunes panel 'Database sise'", "Database sise:"),
])
def test_a_name_nothing_adds_is_an_error_at_its_line(change, message, where):
    text = TUNED.replace(change, change.replace("PostgresDeadlocks", "PostgresDeadlock")
                         .replace("Database size", "Database sise"))
    project = load_texts({"spec.yaml": text})
    found = [d for d in project.diagnostics if d.code == "OBS021"]
    assert len(found) == 1 and message in found[0].message, [format_text(d) for d in project.diagnostics]
    line = next(n for n, row in enumerate(text.splitlines(), 1) if where in row)
    assert found[0].pos.line == line
    assert "did you mean" in (found[0].hint or "")


def test_wrong_dependencies_severities_and_latency_thresholds_are_errors():
    text = FOUR.replace("depends_on: [checkout-db, cache]", "depends_on: [checkout-dbs, checkout]") + """\
    batteries:
      alerts: {NodeHighCPU: {severity: page}}
      slos: {}
  - name: web2
    team: web
    tier: 1
    type: http
    scrape: {static: ["w:80"]}
    batteries: {slos: {latency: {threshold: 0.3}}}
"""
    project = load_texts({"spec.yaml": text})
    messages = [d.message for d in project.diagnostics if d.severity.value == "error"]
    assert any("depends on 'checkout-dbs', which is not a service" in m for m in messages), messages
    assert any("depends on itself" in m for m in messages), messages
    assert any("severity 'page' is not defined" in m for m in messages), messages
    assert any("no bucket of http_server_request_duration_seconds has le=0.3" in m for m in messages), messages


def test_explain_packs_lists_what_each_service_got_and_from_where(tmp_path):
    (tmp_path / "spec.yaml").write_text(TUNED, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "obsgen", "explain", "--packs", str(tmp_path), "--format", "json"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    services = {s["service"]: s for s in json.loads(run.stdout)["services"]}
    added = {(a["what"], a["name"]): (a["from"], a["state"]) for a in services["db"]["added"]}
    assert added[("alert", "PostgresDeadlocks")] == ("postgres pack", "off")
    assert added[("alert", "PostgresExporterDown")] == ("postgres pack", "added")
    assert services["web-api"]["added"][0]["from"] == "http type"
    text = subprocess.run([sys.executable, "-m", "obsgen", "explain", "--packs", str(tmp_path)],
                          capture_output=True, text=True, timeout=120).stdout
    assert re.search(r"SLO\s+availability\s+tier 2\s+tuned \(objective 99.5; pages\)", text), text


def test_runbooks_are_written_for_what_packs_add_and_the_alerts_link_them(four):
    files = generate(four)
    runbook = files["default/runbooks/checkout-db.md"]
    assert "## PostgresDown\n" in runbook and "What to check:" in runbook
    rules = yaml.load(files["default/prometheus/rules/checkout-db.rules.yml"])
    down = next(r for g in rules["groups"] for r in g["rules"] if r.get("alert") == "PostgresDown")
    assert down["annotations"]["runbook_url"].endswith("/checkout-db.md#postgresdown")
    assert "## SLO availability\n" in files["default/runbooks/checkout.md"]


def test_batteries_off_leaves_only_what_the_service_writes():
    text = FOUR.replace("    scrape: {exporter: {kind: postgres, targets: [\"pg-exporter.shop:9187\"]}}",
                        "    scrape: {exporter: {kind: postgres, targets: [\"pg-exporter.shop:9187\"]}}\n"
                        "    batteries: {enabled: false}")
    model = _project(text).models[0]
    assert not [a for a in model.alerts if a.service == "checkout-db"]
    assert "svc-checkout-db" not in dict(model.dashboards)


def test_critical_alerts_added_without_a_runbook_address_are_one_warning_per_service():
    text = FOUR.replace(HEAD.splitlines()[1] + "\n", "")
    project = load_texts({"spec.yaml": text})
    found = sorted(d.message for d in project.diagnostics if d.code == "OBS059")
    assert len(found) == 3 and all("link no runbook" in m for m in found), found  # checkout-db, cache, hosts
    assert "PostgresDown" in found[1] and project.ok


def test_a_dashboard_of_the_spec_with_the_uid_a_pack_dashboard_takes_is_an_error():
    text = FOUR + "dashboards:\n  - {title: Mine, uid: svc-cache, panels: [{title: Up, queries: [{expr: up}]}]}\n"
    project = load_texts({"spec.yaml": text})
    found = [d.message for d in project.diagnostics if d.code == "OBS020"]
    assert found and "'svc-cache' is taken by the dashboard service 'cache' gets" in found[0], found


@needs("promtool", "amtool")
def test_a_job_name_with_quotes_and_backslashes_is_quoted_in_every_query(tmp_path):
    text = HEAD + """\
  - name: db
    team: web
    scrape: {exporter: {kind: postgres, targets: ["pg:9187"]}, job: 'pg "main" \\\\ $sel'}
  - name: web
    team: web
    tier: 1
    type: http
    signals: {convention: prometheus-client}
    depends_on: [db]
    scrape: {static: ["w:80"], job: 'web $job'}
"""
    project = _project(text)
    db = next(a for a in project.models[0].alerts if a.name == "PostgresDown")
    assert db.spec.expr == 'pg_up{job="pg \\"main\\" \\\\\\\\ $sel"} == 0'  # the job has two backslashes
    files = generate(project)
    write_tree(tmp_path, files)
    failed = [f"{r.file}: {r.check}\n{r.detail}" for r in check_tree(tmp_path) if not r.ok]
    assert not failed, "\n\n".join(failed)
    overview = json.loads(files["default/grafana/dashboards/services/svc-web.json"])
    exprs = [t["expr"] for p in overview["panels"] for t in p.get("targets", [])]
    assert 'rate(process_cpu_seconds_total{job="web $job", instance=~"$instance"}[$__rate_interval])' in exprs


def test_long_service_names_that_begin_alike_keep_their_own_dashboards():
    long = "payments-processing-service-eu-west-1"
    text = HEAD + "".join(f"""\
  - name: {long}-{role}
    team: web
    scrape: {{exporter: {{kind: postgres, targets: ["{role}:9187"]}}}}
""" for role in ("primary", "replica"))
    files = generate(_project(text))
    uids = sorted(p for p in files if "/dashboards/services/" in p)
    assert len(uids) == 2 and len({len(p) for p in uids}) == 1, uids
    slos = text.replace('targets: ["primary:9187"]}}', 'targets: ["primary:9187"]}}\n    slos: [' + SLO + "]") \
        .replace('targets: ["replica:9187"]}}', 'targets: ["replica:9187"]}}\n    slos: [' + SLO + "]")
    project = load_texts({"spec.yaml": slos})
    found = [d.message for d in project.diagnostics if d.code == "OBS020"]
    assert len(found) == 1 and "would both have the SLO dashboard uid" in found[0], found


SLO = ('{name: up, objective: 99, alerting: {runbook_url: "https://r.example.com/up"}, '
       'sli: {raw: {error_ratio: "1 - avg(avg_over_time(pg_up[{{window}}]))"}}}')


def test_batteries_off_asks_for_no_runbook_and_checks_no_severity_of_what_is_not_added():
    text = FOUR.replace(HEAD.splitlines()[1] + "\n", "").replace(
        '    scrape: {exporter: {kind: redis, targets: ["redis-exporter.shop:9121"]}}',
        '    scrape: {exporter: {kind: redis, targets: ["redis-exporter.shop:9121"]}}\n'
        '    batteries: {enabled: false, alerts: {RedisDown: {severity: page}}}')
    messages = [d.message for d in load_texts({"spec.yaml": text}).diagnostics]
    assert not [m for m in messages if "'cache'" in m], messages


def test_every_exporter_kind_has_a_pack_and_a_service_in_the_spec_that_proves_them(every):
    from obsgen.core.exporters import KINDS

    assert set(PACKS) == set(KINDS) == set(catalogs())
    used = {pack.kind for s in every.models[0].services for pack, source, _ in packs_of(s) if "pack" in source}
    assert used == set(PACKS)


def test_kube_state_metrics_keeps_the_namespace_and_pod_it_reports_over_discoverys(every):
    files = generate(every)
    jobs = {j["job_name"]: j for j in yaml.load(files["default/prometheus/prometheus.yml"])["scrape_configs"]}
    assert jobs["cluster-state"]["honor_labels"] is True
    assert "honor_labels" not in jobs["orders-db"]
    own = EVERY_PACK.replace("      exporter: {kind: kube-state-metrics}\n",
                             "      exporter: {kind: kube-state-metrics}\n      honor_labels: false\n")
    jobs = {j["job_name"]: j for j in yaml.load(generate(_project(own))["default/prometheus/prometheus.yml"])
            ["scrape_configs"]}
    assert jobs["cluster-state"]["honor_labels"] is False
    operator = generate(every, output="operator")
    monitors = [yaml.load(text) for path, text in operator.items() if "cluster-state" in path and "/scrape/" in path]
    assert monitors and all(e.get("honorLabels") is True for m in monitors
                            for e in m["spec"].get("endpoints", [m["spec"]])), monitors


def test_what_reads_a_collector_off_by_default_comes_with_the_collector_and_an_unknown_one_is_an_error():
    with_it = {a.name for a in _project(EVERY_PACK).models[0].alerts if a.service == "sessions-mongo"}
    assert {"MongodbReplicationLag", "MongodbCacheDirty", "MongodbDown"} <= with_it
    without = EVERY_PACK.replace(', collectors: [diagnosticdata]}}', '}}')
    model = _project(without).models[0]
    got = {a.name for a in model.alerts if a.service == "sessions-mongo"}
    assert "MongodbDown" in got and not got & {"MongodbReplicationLag", "MongodbCacheDirty"}
    states = {a.name: a.state for a in model.battery(next(s for s in model.services if s.name == "sessions-mongo"))
              .added}
    assert states["MongodbReplicationLag"].startswith("off: reads the exporter's diagnosticdata collector")
    panels = [p.title for row in dict(model.dashboards)["svc-sessions-mongo"].panels for p in row.panels]
    assert "Replication lag" not in panels and "Up" in panels
    wrong = EVERY_PACK.replace("collectors: [diagnosticdata]", "collectors: [diagnosticsdata]")
    found = [d for d in load_texts({"spec.yaml": wrong}).diagnostics if d.code == "OBS075"]
    assert len(found) == 1 and "diagnosticdata" in (found[0].hint or ""), found
    assert found[0].pos.line == wrong.splitlines().index(
        next(line for line in wrong.splitlines() if "diagnosticsdata" in line)) + 1


def test_a_worker_gets_its_queue_alerts_only_for_the_gauges_it_names_and_a_batch_job_its_last_success(every):
    model = every.models[0]
    got = {(a.service, a.name) for a in model.alerts}
    assert {("mailer", n) for n in ("WorkerHighFailureRatio", "WorkerBacklogHigh", "WorkerStalled",
                                    "WorkerOldestJobTooOld")} <= got
    assert {("nightly-backup", "BatchJobNotSucceeded"), ("nightly-backup", "BatchRunsFailing")} <= got
    assert sorted(s.spec.name for s in model.slos if s.service.name == "mailer") == ["availability", "latency"]
    assert not [s for s in model.slos if s.service.name == "nightly-backup"]  # no SLO of a batch job
    latency = next(s for s in model.slos if s.service.name == "mailer" and s.spec.name == "latency")
    assert latency.spec.sli.latency.threshold == 10  # seconds: a job, not a request
    bare = EVERY_PACK.replace("    signals: {backlog: mail_queue_jobs_waiting, oldest_age: "
                              "mail_queue_oldest_job_age_seconds}\n", "")
    model = _project(bare).models[0]
    mailer = next(s for s in model.services if s.name == "mailer")
    states = {a.name: a.state for a in model.battery(mailer).added}
    assert states["WorkerBacklogHigh"] == "off: reads signals.backlog, which the service does not name"
    assert states["WorkerHighFailureRatio"] == "added"
    assert "Backlog" not in [p.title for row in dict(model.dashboards)["svc-mailer"].panels for p in row.panels]


def test_a_team_a_service_tunes_on_an_added_alert_is_the_team_the_alert_notifies():
    text = HEAD.replace("teams:\n", "teams:\n  - name: dba\n    email: {to: dba@example.com}\n") + """\
  - name: db
    team: web
    scrape: {exporter: {kind: postgres, targets: ["pg:9187"]}}
    batteries:
      alerts:
        PostgresDeadlocks: {team: dba}
"""
    alerts = {a.name: a for a in _project(text).models[0].alerts}
    assert (alerts["PostgresDeadlocks"].team, alerts["PostgresDeadlocks"].labels["team"]) == ("dba", "dba")
    assert alerts["PostgresDown"].labels["team"] == "web"


@pytest.mark.parametrize("change, message, where", [
    (("    type: worker\n", "    type: worker\n    signals: {convention: prometheus-client}\n"),
     "no client library names a worker's jobs", "convention: prometheus-client"),
    (("    signals: {last_success: backup_last_success_timestamp_seconds, requests: backup_runs_total,\n"
      "              errors: 'status=\"failed\"'}\n", ""), "names no signals.last_success", "type: batch"),
    (("requests: backup_runs_total,", ""), "which is not named", "errors:"),
    (("  - name: api\n    team: web\n", "  - name: api\n    team: web\n    signals: {backlog: q}\n"),
     "signals.backlog is read by the worker type only, and the service is a http", "signals: {backlog: q}"),
])
def test_signals_a_type_needs_or_another_type_reads_are_errors_at_their_line(change, message, where):
    text = EVERY_PACK.replace("    signals: {backlog: mail_queue_jobs_waiting, oldest_age: "
                              "mail_queue_oldest_job_age_seconds}\n", "")
    assert change[0] in text
    text = text.replace(change[0], change[1], 1)
    found = [d for d in load_texts({"spec.yaml": text}).diagnostics if d.code == "OBS076"]
    assert len(found) == 1 and message in found[0].message, found
    assert where in text.splitlines()[found[0].pos.line - 1], (found[0].pos, where)


def test_the_operator_resources_of_every_pack_pass_the_operator_crds(every, tmp_path):
    import os
    from pathlib import Path

    tool = Path(os.environ.get("OBSGEN_SHARED") or Path(__file__).resolve().parents[2] / "shared") / "tools" / \
        "check-operator-resources"
    write_tree(tmp_path, generate(every, output="operator"))
    files = sorted(str(f) for f in (tmp_path / "default" / "operator").rglob("*.yaml"))
    result = subprocess.run([str(tool), *files], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and " 0 problems" in result.stdout, result.stdout + result.stderr


# ----------------------------------------------------------------------------- the heartbeat

MONITOR = HEAD.replace("routing: {default_team: web, smtp: {smarthost: \"smtp:25\", from: am@example.com}}\n", "") + """\
  - name: monitoring
    team: web
    scrape: {exporter: {kind: prometheus, targets: ["prometheus:9090"]}}
"""
ROUTED = """\
routing:
  default_team: web
  smtp: {smarthost: "smtp:25", from: am@example.com}
  receivers:
    - {name: deadmans-switch, webhook: [{url: "https://hc-ping.example.org/abc"}]}
  routes:
    - {matchers: ['alertname="Watchdog"'], receiver: deadmans-switch, group_wait: 0s, group_interval: 1m,
       repeat_interval: 1m}
"""


def test_the_heartbeat_is_left_out_with_a_warning_until_a_route_takes_it_to_a_dead_mans_switch():
    bare = MONITOR + 'routing: {default_team: web, smtp: {smarthost: "smtp:25", from: am@example.com}}\n'
    project = load_texts({"spec.yaml": bare})
    assert project.ok
    assert "Watchdog" not in {a.name for a in project.models[0].alerts}
    found = [d for d in project.diagnostics if d.code == "OBS074"]
    assert len(found) == 1 and "alertname=\"Watchdog\"" in found[0].message and found[0].severity.value == "warning"
    assert found[0].pos.line == bare.splitlines().index(
        '    scrape: {exporter: {kind: prometheus, targets: ["prometheus:9090"]}}') + 1
    states = {a.name: a.state for a in project.models[0].battery(project.models[0].services[0]).added}
    assert states["Watchdog"].startswith("off: no route")
    # a route that takes every info alert somewhere does not name the heartbeat: still left out
    catch_all = ROUTED.replace("""['alertname="Watchdog"']""", """['severity="info"']""")
    assert "Watchdog" not in {a.name for a in _project(MONITOR + catch_all).models[0].alerts}
    # turned off by name: no warning
    off = bare.replace('targets: ["prometheus:9090"]}}\n',
                       'targets: ["prometheus:9090"]}}\n    batteries: {alerts: {Watchdog: {enabled: false}}}\n')
    assert not [d for d in load_texts({"spec.yaml": off}).diagnostics if d.code == "OBS074"]


@needs("promtool", "amtool")
def test_a_routed_heartbeat_fires_to_the_dead_mans_switch_and_nowhere_else(tmp_path):
    from obsgen.core.routes import match_routes

    project = _project(MONITOR + ROUTED)
    assert not [d for d in project.diagnostics if d.code == "OBS074"]
    watchdog = next(a for a in project.models[0].alerts if a.name == "Watchdog")
    files = generate(project)
    am = yaml.load(files["default/alertmanager/alertmanager.yml"])
    hits = match_routes(am, {**watchdog.sent_labels, "alertname": "Watchdog"})
    assert [h.receiver for h in hits] == ["deadmans-switch"]
    write_tree(tmp_path, files)
    failed = [f"{r.file}: {r.check}\n{r.detail}" for r in check_tree(tmp_path) if not r.ok]
    assert not failed, "\n\n".join(failed)
    got = _generated(project.models[0])
    assert got[("monitoring", "Watchdog", watchdog.spec.severity)][0]
