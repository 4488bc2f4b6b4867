"""Prometheus watched through its own /metrics (prometheus_*), scraped by another Prometheus or by itself:
the alerts that say the monitoring itself is in trouble (configuration, rules, notifications to Alertmanager,
storage, discovery). Written for obsgen from the metrics in core/exporters/prometheus.yaml; every metric the
alerts read exists, with the labels used, from Prometheus 2.42 to 3.14 (the WAL size panel needs 2.43). Remote
write is left out: its series exist only when it is configured.

Its `Watchdog` is a heartbeat for a dead man's switch, added only where a route of the spec's own takes it there
(see PackAlert.heartbeat)."""
from __future__ import annotations

from obsgen.resolve.packs.data import Pack, PackAlert, PackPanel

_API = "curl -s http://<instance>/api/v1"  # the server's HTTP API, from a host that reaches it

PACK = Pack("prometheus", "Prometheus", (
    PackAlert("PrometheusDown", "up{$job} == 0",
              "Prometheus on {{ $labels.instance }} does not answer its metrics endpoint",
              "{{ $labels.instance }} (job {{ $labels.job }}) has not been scraped for $for: that Prometheus is down "
              "or unreachable, so the targets it scrapes are unwatched and the alerts it evaluates cannot fire.",
              ("Is the process up? `systemctl status prometheus` or the pod's status, then "
               "`journalctl -u prometheus -n 200` (or `kubectl logs --previous`) for a crash: out of memory, a full "
               "disk, a corrupt WAL at start.",
               "A slow start is normal after a restart: WAL replay takes minutes on a large head; "
               "`curl -s http://<instance>/-/ready` answers 200 once it has finished.",
               "From the scraping host, `curl -sv http://<instance>/metrics | head` tells a network or TLS problem "
               "from a dead process."),
              severity="critical", for_="3m"),
    PackAlert("PrometheusConfigReloadFailed", "prometheus_config_last_reload_successful{$job} == 0",
              "Prometheus on {{ $labels.instance }} could not load its new configuration",
              "The last configuration reload of {{ $labels.instance }} failed and has stayed failed for $for: it keeps "
              "running the previous configuration, so recent changes (jobs, rules, Alertmanagers) are not in force, "
              "and a restart would fail to start.",
              ("Find the error: `journalctl -u prometheus | grep -i 'loading config'` (or the pod's log).",
               "Check the files as deployed: `promtool check config /etc/prometheus/prometheus.yml` (it checks "
               "the rule files too), fix them, then reload (`curl -X POST http://<instance>/-/reload` or SIGHUP)."),
              for_="10m"),
    PackAlert("PrometheusRuleEvaluationFailures", "increase(prometheus_rule_evaluation_failures_total{$job}[5m]) > 0",
              "Rules of group {{ $labels.rule_group }} fail to evaluate on {{ $labels.instance }}",
              "Rules in {{ $labels.rule_group }} on {{ $labels.instance }} have kept failing for $for: the "
              "alerts among them cannot fire and the series recorded by them have gaps.",
              (f"See which rule fails and why: `{_API}/rules | jq '.data.groups[].rules[] | select(.health==\"err\") "
               "| {name, lastError}'`.",
               "Usual causes: a many-to-many match after a label change, a query hitting --query.timeout or "
               "--query.max-samples, or a recording rule producing duplicate series. Fix the rule and run "
               "`promtool check rules` before reloading."),
              severity="critical", for_="3m"),
    PackAlert("PrometheusRuleGroupMissedIterations",
              "increase(prometheus_rule_group_iterations_missed_total{$job}[10m]) > 0",
              "Rule group {{ $labels.rule_group }} on {{ $labels.instance }} misses evaluations",
              "The group {{ $labels.rule_group }} on {{ $labels.instance }} has skipped evaluations for $for: one "
              "evaluation takes longer than its interval, so its alerts and recordings run late or not at all.",
              (f"Compare the group's evaluation time with its interval: `{_API}/rules | jq '.data.groups[] | "
               "{name, interval, evaluationTime}'`, and find its slowest rules (evaluationTime per rule).",
               "Speed them up (record the expensive part once, narrow the selectors), split the group, or lengthen "
               "its interval; check too whether the server is short of CPU."),
              for_="10m"),
    PackAlert("PrometheusNotificationErrors", "increase(prometheus_notifications_errors_total{$job}[5m]) > 0",
              "Prometheus on {{ $labels.instance }} fails to send alerts to {{ $labels.alertmanager }}",
              "Sending alerts from {{ $labels.instance }} to the Alertmanager {{ $labels.alertmanager }} has "
              "kept failing for $for: unless another Alertmanager of the cluster receives them, notifications are "
              "lost.",
              ("Read the error: `journalctl -u prometheus | grep 'Error sending alert'` (a timeout, a refused "
               "connection, a 4xx from an API or TLS mismatch).",
               "From the Prometheus host, `curl -sv http://<host:port of the alertmanager label>/-/healthy`; check the "
               "Alertmanager is up (AlertmanagerDown) and that alerting.alertmanagers in prometheus.yml points at it."),
              for_="15m"),
    PackAlert("PrometheusNotificationsDropped",
              "sum by (job, instance) (increase(prometheus_notifications_dropped_total{$job}[5m])) > 0",
              "Prometheus on {{ $labels.instance }} dropped alerts meant for Alertmanager",
              "{{ $labels.instance }} threw away about {{ $value | humanize }} alerts in the last 5 minutes, "
              "because they could not be delivered or the send queue was full. Before Prometheus 3.10 they reached "
              "no Alertmanager; from 3.10 they missed one of them.",
              ("See PrometheusNotificationErrors: the same log lines (`Error sending alert`, `queue full, dropping`) "
               "name the Alertmanager and the cause.",
               "A full queue means alerts arrive faster than they go out: a slow Alertmanager, or a flood of alerts; "
               "raise --alertmanager.notification-queue-capacity only once the cause is known."),
              for_="0s"),
    PackAlert("PrometheusNotificationQueueFilling",
              "max by (job, instance) (prometheus_notifications_queue_length{$job}) / "
              "max by (job, instance) (prometheus_notifications_queue_capacity{$job} > 0) > $threshold",
              "The alert queue of Prometheus on {{ $labels.instance }} is {{ $value | humanizePercentage }} full",
              "The queue of alerts waiting to be sent to Alertmanager on {{ $labels.instance }} has been more than "
              "$threshold full for $for: when it is full, alerts are dropped.",
              ("Check how fast the Alertmanager answers (`prometheus_notifications_latency_seconds` on this dashboard) "
               "and whether it is overloaded.",
               f"Look for an alert flood: `{_API}/alerts | jq '.data.alerts | length'`; silence or fix the rule "
               "producing thousands of alerts."),
              for_="5m", threshold=0.8, unit="ratio of the queue capacity"),
    PackAlert("PrometheusNoAlertmanagerDiscovered",
              "prometheus_notifications_alertmanagers_discovered{$job} < 1 "
              "and on (job, instance) sum by (job, instance) (prometheus_rule_group_rules{$job}) > 0",
              "Prometheus on {{ $labels.instance }} has no Alertmanager to send alerts to",
              "{{ $labels.instance }} evaluates rules but has found no Alertmanager for $for: every alert it fires "
              "goes nowhere.",
              (f"See what it was told and what it found: `{_API}/alertmanagers | jq .data` (activeAlertmanagers and "
               "droppedAlertmanagers) and the alerting section of prometheus.yml.",
               "With service discovery, check that the Alertmanager pods or hosts exist and match the relabelling; "
               "with static targets, that their names resolve."),
              severity="critical", for_="3m"),
    PackAlert("PrometheusTSDBCompactionsFailing", "increase(prometheus_tsdb_compactions_failed_total{$job}[3h]) > 0",
              "Prometheus on {{ $labels.instance }} failed to compact its storage",
              "A compaction of the TSDB on {{ $labels.instance }} failed in the last 3 hours: the in-memory head keeps "
              "growing (memory), and old data is not merged into blocks.",
              ("Read the cause: `journalctl -u prometheus | grep -i compaction` (a full disk, a corrupt block, "
               "a permission error).",
               "Check the data volume (`df -h <storage.tsdb.path>`); a corrupt block named in the log can be moved "
               "out of the data directory while Prometheus is stopped."),
              for_="0s"),
    PackAlert("PrometheusTSDBReloadsFailing", "increase(prometheus_tsdb_reloads_failures_total{$job}[3h]) > 0",
              "Prometheus on {{ $labels.instance }} failed to reload its storage blocks",
              "Reloading the on-disk blocks of {{ $labels.instance }} failed in the last 3 hours: blocks that "
              "cannot be opened are missing from queries, and retention cannot delete them.",
              ("Read the cause: `journalctl -u prometheus | grep -i 'reload blocks'`; it names the block directory.",
               "Check that block with `promtool tsdb analyze <storage.tsdb.path> <block ULID>`; move a broken one "
               "out of the data directory while Prometheus is stopped."),
              for_="0s"),
    PackAlert("PrometheusTargetSyncFailing", "increase(prometheus_target_sync_failed_total{$job}[30m]) > 0",
              "Prometheus on {{ $labels.instance }} cannot set up targets of job {{ $labels.scrape_job }}",
              "Discovered targets of the job {{ $labels.scrape_job }} on {{ $labels.instance }} could not be turned "
              "into scrape targets in the last 30 minutes: they are not scraped, and no `up` series says so.",
              ("Read the error: `journalctl -u prometheus | grep -i 'creating target failed'` (usually an invalid "
               "label set after relabelling, or a bad scrape setting in a target label).",
               f"Compare discovered and active targets: `{_API}/targets?state=dropped` and the job's relabel_configs."),
              for_="0s"),
    PackAlert("Watchdog", "up{$job} == 1",
              "Heartbeat of {{ $labels.instance }}: rules are evaluated and alerts reach Alertmanager",
              "This alert fires all the time on purpose, for a dead man's switch: while it keeps arriving, "
              "{{ $labels.instance }} is scraped, the Prometheus evaluating this rule runs its rules and sends "
              "alerts, and Alertmanager delivers them. When the switch stops hearing it, one of those has stopped, "
              "and nobody would be told of anything else either.",
              ("If the dead man's switch raised the alarm: is the Prometheus that evaluates this rule running, "
               "and is its rule group evaluated (`curl -s http://<instance>/api/v1/rules | head`)?",
               "Does it reach Alertmanager? `prometheus_notifications_errors_total` and "
               "`prometheus_notifications_alertmanagers_discovered` on its /metrics; the PrometheusNotification* "
               "alerts say the same if anything still delivers them.",
               "Does Alertmanager reach the switch? Its log, and `alertmanager_notifications_failed_total` for the "
               "webhook integration."),
              severity="info", for_="0s", heartbeat=True),
), rows=(
    ("Health and ingestion", (
        PackPanel("Up", (("up{$sel}", "{{instance}}"),), type="stat", width=4, key=True),
        PackPanel("Configuration loaded", (("prometheus_config_last_reload_successful{$sel}", "{{instance}}"),),
                  type="stat", width=4),
        PackPanel("Samples ingested", (("sum by (instance) (rate(prometheus_tsdb_head_samples_appended_total{$sel}"
                                        "[$__rate_interval]))", "{{instance}}"),), unit="ops", key=True),
        PackPanel("Head series", (("prometheus_tsdb_head_series{$sel}", "{{instance}}"),), unit="short"),
        PackPanel("Targets per job", (("prometheus_target_scrape_pool_targets{$sel}", "{{instance}} {{scrape_job}}"),),
                  unit="short"),
    )),
    ("Queries and rules", (
        PackPanel("Query evaluation time", (('prometheus_engine_query_duration_seconds{$sel, slice="inner_eval"}',
                                             "{{instance}} q{{quantile}}"),), unit="s", key=True,
                  description="Quantiles of the time queries spend evaluating, API and rules alike."),
        PackPanel("Queries in flight", (("prometheus_engine_queries{$sel}", "{{instance}} running"),
                                        ("prometheus_engine_queries_concurrent_max{$sel}", "{{instance}} max")),
                  unit="short"),
        PackPanel("Rule group duration", (("prometheus_rule_group_last_duration_seconds{$sel}",
                                           "{{instance}} {{rule_group}}"),), unit="s"),
        PackPanel("Rule failures and missed evaluations",
                  (("sum by (instance) (rate(prometheus_rule_evaluation_failures_total{$sel}[$__rate_interval]))",
                    "{{instance}} failures"),
                   ("sum by (instance) (rate(prometheus_rule_group_iterations_missed_total{$sel}[$__rate_interval]))",
                    "{{instance}} missed")), unit="ops"),
    )),
    ("Notifications and storage", (
        PackPanel("Alerts sent to Alertmanager",
                  (("rate(prometheus_notifications_sent_total{$sel}[$__rate_interval])", "{{alertmanager}} sent"),
                   ("rate(prometheus_notifications_errors_total{$sel}[$__rate_interval])", "{{alertmanager}} errors")),
                  unit="ops"),
        PackPanel("Notification queue", (("prometheus_notifications_queue_length{$sel}", "{{instance}} queued"),
                                         ("prometheus_notifications_queue_capacity{$sel}", "{{instance}} capacity")),
                  unit="short"),
        PackPanel("Alertmanagers discovered", (("prometheus_notifications_alertmanagers_discovered{$sel}",
                                                "{{instance}}"),), type="stat", width=4),
        PackPanel("Storage used", (("prometheus_tsdb_storage_blocks_bytes{$sel}", "{{instance}} blocks"),
                                   ("prometheus_tsdb_wal_storage_size_bytes{$sel}", "{{instance}} WAL")), unit="bytes"),
        PackPanel("Compactions",
                  (("rate(prometheus_tsdb_compactions_total{$sel}[$__rate_interval])", "{{instance}} run"),
                   ("rate(prometheus_tsdb_compactions_failed_total{$sel}[$__rate_interval])", "{{instance}} failed")),
                  unit="ops"),
    )),
))
