"""Alertmanager watched through its own /metrics (alertmanager_*): whether notifications go out, whether its
configuration is in force, and whether the peers of an HA cluster see each other. Written for obsgen from the
metrics in core/exporters/alertmanager.yaml; every metric used exists, with the labels used, from
Alertmanager 0.25 to 0.34. The cluster alerts stay quiet on a single instance (one member, no peers to join)."""
from __future__ import annotations

from obsgen.resolve.packs.data import Pack, PackAlert, PackPanel

_AMTOOL = "amtool --alertmanager.url=http://<instance>"

PACK = Pack("alertmanager", "Alertmanager", (
    PackAlert("AlertmanagerDown", "up{$job} == 0",
              "Alertmanager on {{ $labels.instance }} does not answer its metrics endpoint",
              "{{ $labels.instance }} (job {{ $labels.job }}) has not been scraped for $for: that Alertmanager "
              "is down or unreachable. Alone, no notification goes out; in a cluster, the others carry on with one "
              "peer less.",
              ("Is the process up? `systemctl status alertmanager` or the pod's status, then its log "
               "(`journalctl -u alertmanager -n 200`, `kubectl logs --previous`) for a configuration error at start "
               "or a full disk under --storage.path.",
               "From the Prometheus host, `curl -sv http://<instance>/-/healthy` tells a network problem from a dead "
               "process.",
               "Until it is back, watch for alerts in Prometheus itself (its Alerts page): they may not reach anyone."),
              severity="critical", for_="3m"),
    PackAlert("AlertmanagerConfigReloadFailed", "alertmanager_config_last_reload_successful{$job} == 0",
              "Alertmanager on {{ $labels.instance }} could not load its new configuration",
              "The last configuration reload of {{ $labels.instance }} failed and has stayed failed for $for: it keeps "
              "the previous routes and receivers, so recent changes are not in force, and a restart would fail.",
              ("Find the error in the log: `journalctl -u alertmanager | grep -i 'loading configuration file failed'`.",
               "Check the file as deployed: `amtool check-config /etc/alertmanager/alertmanager.yml` (templates "
               "included), fix it, then reload (`curl -X POST http://<instance>/-/reload` or SIGHUP)."),
              for_="10m"),
    PackAlert("AlertmanagerNotificationsFailing",
              "sum by (job, instance, integration) (rate(alertmanager_notifications_failed_total{$job}[10m])) "
              "/ (sum by (job, instance, integration) (rate(alertmanager_notifications_total{$job}[10m])) > 0) "
              "> $threshold",
              "{{ $value | humanizePercentage }} of the {{ $labels.integration }} notifications of "
              "{{ $labels.instance }} fail",
              "More than $threshold of the notifications {{ $labels.instance }} sent through {{ $labels.integration }} "
              "have failed after all retries for $for: the people behind those receivers are not being told.",
              ("Read the error: `journalctl -u alertmanager | grep -i 'notify for alerts failed'` names the "
               "receiver and the answer (401/403: a revoked token or webhook; 429: rate limited; timeouts: "
               "network or proxy).",
               "Test the receiver by hand from the Alertmanager host (`curl` the webhook or API URL), fix the secret "
               "or URL, reload; meanwhile tell the affected teams to watch Prometheus' Alerts page."),
              severity="critical", for_="3m", threshold=0.1, unit="ratio of notifications"),
    PackAlert("AlertmanagerClusterMembersDropped",
              "alertmanager_cluster_members{$job} < max_over_time(alertmanager_cluster_members{$job}[1h])",
              "Alertmanager {{ $labels.instance }} sees {{ $value }} cluster members, fewer than in the last hour",
              "A peer has left the cluster as {{ $labels.instance }} sees it and has not come back for $for: the HA "
              "pair or group has less redundancy, or is split and may send duplicate notifications. (After a planned "
              "scale-down this alert clears within the hour.)",
              (f"Compare the peers each instance sees: `{_AMTOOL} cluster show` on every instance, or the "
               "cluster status on their /#/status page.",
               "Check the missing peer is running and that the gossip port (9094, TCP and UDP) is open between them."),
              for_="10m"),
    PackAlert("AlertmanagerClusterPeerJoinFailing",
              "increase(alertmanager_cluster_refresh_join_failed_total{$job}[10m]) > 0",
              "Alertmanager on {{ $labels.instance }} cannot join the peers it is configured with",
              "{{ $labels.instance }} has kept failing for $for to join peers named by its --cluster.peer flags: it "
              "runs apart from them, and each side notifies on its own (duplicates).",
              ("The log names the address: `journalctl -u alertmanager | grep -i refresh`.",
               "From this host, check that address's gossip port answers (`nc -vz <peer> 9094`, and UDP) and that "
               "both sides use the same --cluster.label and TLS settings."),
              for_="15m"),
    PackAlert("AlertmanagerInvalidAlertsReceived", "increase(alertmanager_alerts_invalid_total{$job}[10m]) > 0",
              "Alertmanager on {{ $labels.instance }} rejected invalid alerts",
              "{{ $labels.instance }} refused about {{ $value | humanize }} alerts as invalid in the last 10 "
              "minutes: the client that sent them (a Prometheus, a script) got an error and those alerts notify "
              "no one.",
              ("The log says what was wrong (`journalctl -u alertmanager | grep -i 'invalid'`): an empty or invalid "
               "label name, no labels, an end before the start.",
               "Fix the sender: for Prometheus, the labels its alerting rules set or relabel."),
              for_="0s"),
), rows=(
    ("Health and alerts", (
        PackPanel("Up", (("up{$sel}", "{{instance}}"),), type="stat", width=4, key=True),
        PackPanel("Alerts held", (("alertmanager_alerts{$sel}", "{{instance}} {{state}}"),), unit="short"),
        PackPanel("Alerts received", (("sum by (instance, status) (rate(alertmanager_alerts_received_total{$sel}"
                                       "[$__rate_interval]))", "{{instance}} {{status}}"),), unit="ops"),
        PackPanel("Active silences", (('alertmanager_silences{$sel, state="active"}', "{{instance}}"),), unit="short"),
        PackPanel("Aggregation groups", (("alertmanager_dispatcher_aggregation_groups{$sel}", "{{instance}}"),),
                  unit="short"),
    )),
    ("Notifications", (
        PackPanel("Notifications sent", (("sum by (integration) (rate(alertmanager_notifications_total{$sel}"
                                          "[$__rate_interval])) > 0", "{{integration}}"),), unit="ops", key=True),
        PackPanel("Notifications failed", (("sum by (integration) (rate(alertmanager_notifications_failed_total{$sel}"
                                            "[$__rate_interval])) > 0", "{{integration}}"),), unit="ops", key=True),
        PackPanel("Requests failed, retries included",
                  (("sum by (integration) (rate(alertmanager_notification_requests_failed_total{$sel}"
                    "[$__rate_interval])) > 0", "{{integration}}"),), unit="ops"),
        PackPanel("Configuration loaded", (("alertmanager_config_last_reload_successful{$sel}", "{{instance}}"),),
                  type="stat", width=4),
    )),
    ("Cluster", (
        PackPanel("Members", (("alertmanager_cluster_members{$sel}", "{{instance}}"),), unit="short"),
        PackPanel("Failed peers", (("alertmanager_cluster_failed_peers{$sel}", "{{instance}}"),), unit="short"),
        PackPanel("Health score", (("alertmanager_cluster_health_score{$sel}", "{{instance}}"),), unit="short",
                  description="Memberlist's view of this instance: 0 is healthy."),
        PackPanel("Gossip messages sent", (("sum by (instance, msg_type) (rate(alertmanager_cluster_messages_sent_total"
                                            "{$sel}[$__rate_interval]))", "{{instance}} {{msg_type}}"),), unit="ops"),
    )),
))
