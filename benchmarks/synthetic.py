"""Synthetic specs shaped like a big organisation: one file per team, as teams keep their own.

Each service has a static scrape job, a metric catalog (counter, histogram, gauge), two alerts,
an availability SLO (whose rules, tests and dashboard obsgen derives) and a dashboard of its own.
The spec is valid and free of warnings, so a benchmark times the work, not the printing of findings.

    python benchmarks/synthetic.py 1000 /tmp/spec1000   # writes /tmp/spec1000/*.yaml
"""
from __future__ import annotations

import sys
from pathlib import Path

SERVICES_PER_TEAM = 20


def team_count(n: int) -> int:
    return max(2, n // SERVICES_PER_TEAM)


# With packs (`--packs`): the services take turns over the service types and the exporter kinds:
# an http server of tier 1 (its type's alerts, SLOs and dashboard), a worker of tier 2 naming its
# backlog, and exporters of ten kinds (their packs).
PACKED = ("type: http\n    tier: 1\n    scrape: {{static: ['{name}-a:8000', '{name}-b:8000']}}",
          "scrape: {{exporter: {{kind: postgres, targets: ['{name}-a:9187']}}}}",
          "scrape: {{exporter: {{kind: redis, targets: ['{name}-a:9121']}}}}",
          "scrape: {{exporter: {{kind: node, targets: ['{name}-a:9100', '{name}-b:9100']}}}}",
          "type: worker\n    tier: 2\n    signals: {{backlog: jobs_waiting}}\n    scrape: {{static: ['{name}-a:9464']}}",
          "scrape: {{exporter: {{kind: mysql, targets: ['{name}-a:9104']}}}}",
          "scrape: {{exporter: {{kind: kafka, targets: ['{name}-a:9308']}}}}",
          "scrape: {{exporter: {{kind: rabbitmq, targets: ['{name}-a:15692']}}}}",
          "scrape: {{exporter: {{kind: elasticsearch, targets: ['{name}-a:9114']}}}}",
          "scrape: {{exporter: {{kind: haproxy, targets: ['{name}-a:8405']}}}}",
          "scrape: {{exporter: {{kind: jvm, targets: ['{name}-a:9404']}}}}",
          "scrape: {{exporter: {{kind: mongodb, targets: ['{name}-a:9216'], collectors: [diagnosticdata]}}}}")


def service(i: int, team: str, packs: bool = False) -> str:
    name = f"svc-{i}"
    job = f'job="{name}"'
    scrape = PACKED[i % len(PACKED)].format(name=name) if packs else f"scrape: {{static: ['{name}-a:8000', '{name}-b:8000']}}"
    return f"""\
  - name: {name}
    team: {team}
    {scrape}
    metrics:
      - {{name: http_requests_total, type: counter, help: Requests served., labels: [code]}}
      - {{name: http_request_duration_seconds, type: histogram, help: Request latency., buckets: [0.05, 0.1, 0.25, 0.5, 1]}}
      - {{name: queue_depth, type: gauge, help: Jobs waiting.}}
    alerts:
      - name: Svc{i}Errors
        expr: 'sum(rate(http_requests_total{{code=~"5..",{job}}}[5m])) > 1'
        for: 5m
        severity: critical
        category: application
        summary: '{name} serves errors'
        description: '{{{{ $value }}}} errors per second'
        runbook_url: 'https://runbooks.example/{name}/errors'
      - name: Svc{i}QueueDeep
        expr: 'queue_depth{{{job}}} > 100'
        for: 10m
        severity: warning
        category: application
        summary: '{name} queue is deep'
        description: '{{{{ $value }}}} jobs waiting'
    slos:
      - name: availability
        objective: 99.9
        sli: {{ratio: {{bad: 'http_requests_total{{code=~"5..",{job}}}', total: 'http_requests_total{{{job}}}'}}}}
        alerting: {{runbook_url: 'https://runbooks.example/{name}/slo'}}
"""


def dashboard(i: int, team: str) -> str:
    job = f'job=\\"svc-{i}\\"'
    return f"""\
  - title: Service {i} overview
    team: {team}
    panels:
      - {{title: Requests, queries: [{{expr: "sum by (code) (rate(http_requests_total{{{job}}}[$__rate_interval]))"}}], unit: reqps}}
      - {{title: Latency p99, queries: [{{expr: "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{{{job}}}[$__rate_interval])))"}}], unit: s}}
      - {{title: Queue, queries: [{{expr: "queue_depth{{{job}}}"}}]}}
"""


def files(n: int, target: str = "files", packs: bool = False) -> dict[str, str]:
    """{file name: text} of a spec of `n` services spread evenly over the teams."""
    teams = team_count(n)
    out = {"global.yaml": "apiVersion: obsgen/v1\n"
                          "global: {external_labels: {cluster: bench}}\n"
                          f"output: {{target: {target}}}\n"}
    for t in range(teams):
        name = f"team-{t}"
        mine = range(t, n, teams)
        text = ["apiVersion: obsgen/v1", "teams:",
                f"  - {{name: {name}, slack: {{channel: '#{name}', api_url_file: /secrets/slack-{t}}},",
                f"     pagerduty: {{routing_key_file: /secrets/pd-{t}}}}}",
                "services:"]
        text += [service(i, name, packs).rstrip("\n") for i in mine]
        text += ["dashboards:"] + [dashboard(i, name).rstrip("\n") for i in mine]
        out[f"{name}.yaml"] = "\n".join(text) + "\n"
    return out


def write(n: int, folder: Path, target: str = "files", packs: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files(n, target, packs).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


if __name__ == "__main__":
    write(int(sys.argv[1]), Path(sys.argv[2]), *(sys.argv[3:4] or ["files"]))
