"""RabbitMQ, scraped from its own rabbitmq_prometheus plugin (port 15692, the default aggregated /metrics: one series
per node, no per-queue labels). Written for obsgen from the plugin's metrics (core/exporters/rabbitmq.yaml)."""
from __future__ import annotations

from obsgen.resolve.packs.data import Pack, PackAlert, PackPanel

_ALARM = ("`rabbitmq-diagnostics alarms` lists the alarms in effect in the cluster, and on which node.",)

PACK = Pack("rabbitmq", "RabbitMQ", (
    PackAlert("RabbitmqNodeDown", "up{$job} == 0", "RabbitMQ node {{ $labels.instance }} is not answering scrapes",
              "Prometheus has not been able to read the metrics of {{ $labels.instance }} (job {{ $labels.job }}) "
              "for $for. The plugin runs inside the broker, so the node is down, hung, or unreachable, or the "
              "rabbitmq_prometheus plugin is off; the other RabbitMQ alerts of this node are blind meanwhile.",
              ("On the node, `rabbitmq-diagnostics -q status` (or `check_running`) says whether the broker runs; "
               "`journalctl -u rabbitmq-server` or the pod's logs say why it stopped.",
               "If it runs, `rabbitmq-plugins list -e` must show rabbitmq_prometheus, and "
               "`curl -s <node>:15692/metrics | head` from the Prometheus host tells a network problem from a "
               "plugin one.",
               "`rabbitmq-diagnostics cluster_status` on another node shows whether the cluster still sees it."),
              severity="critical", for_="2m"),
    PackAlert("RabbitmqMemoryAlarm", "rabbitmq_alarms_memory_used_watermark{$job} == 1",
              "RabbitMQ node {{ $labels.instance }} is over its memory high watermark",
              "The memory alarm of {{ $labels.instance }} has been in effect for $for: the whole cluster blocks "
              "publishing connections until the node's memory drops below the watermark.",
              _ALARM + ("`rabbitmq-diagnostics memory_breakdown -q --unit mb` on the node shows what holds the "
                        "memory: queue processes (long queues: drain them, add consumers, set max-length), "
                        "connections and channels (too many: find the client), binaries.",
                        "Raise vm_memory_high_watermark only if the host has the memory to spare."),
              severity="critical", for_="1m"),
    PackAlert("RabbitmqDiskAlarm", "rabbitmq_alarms_free_disk_space_watermark{$job} == 1",
              "RabbitMQ node {{ $labels.instance }} is below its free disk space limit",
              "The free disk space alarm of {{ $labels.instance }} has been in effect for $for: the whole cluster "
              "blocks publishing connections until the node's data partition has more free space than "
              "disk_free_limit.",
              _ALARM + ("`df -h` on the data directory's partition (`rabbitmq-diagnostics status` names it); "
                        "`du -sh` its mnesia/ subdirectories shows whether queues (messages paged to disk, "
                        "streams) or something else filled it.",
                        "Drain or purge the large queues, or grow the volume; then check that the alarm clears."),
              severity="critical", for_="1m"),
    PackAlert("RabbitmqClusterPeerUnreachable", "rabbitmq_unreachable_cluster_peers_count{$job} > 0",
              "RabbitMQ node {{ $labels.instance }} cannot reach {{ $value }} cluster peers",
              "{{ $labels.instance }} has not been able to reach {{ $value }} other members of its cluster for "
              "$for: a peer is down or the network is partitioned. Quorum queues without a majority stop, and "
              "classic queues on the lost node are unavailable.",
              ("`rabbitmq-diagnostics cluster_status` on each node: which peers are running, which are "
               "unreachable, and whether a partition is reported.",
               "Check the network between the nodes (ports 4369 and 25672) and the missing node's own log.",
               "After a partition, follow the cluster's partition-handling procedure before restarting nodes."),
              severity="critical", for_="2m"),
    PackAlert("RabbitmqMemoryNearWatermark",
              "rabbitmq_process_resident_memory_bytes{$job} / (rabbitmq_resident_memory_limit_bytes{$job} > 0) "
              "> $threshold",
              "RabbitMQ node {{ $labels.instance }} uses {{ $value | humanizePercentage }} of its memory watermark",
              "{{ $labels.instance }} has used more than $threshold of its memory high watermark for $for: at "
              "the watermark the memory alarm blocks every publisher in the cluster.",
              ("`rabbitmq-diagnostics memory_breakdown -q --unit mb` shows what grows.",
               "Usual causes: queues piling up messages (see the Messages ready panel), a client opening "
               "connections or channels without closing them (`rabbitmqctl list_connections name channels`)."),
              for_="10m", threshold=0.9, unit="ratio of the memory high watermark"),
    PackAlert("RabbitmqFileDescriptorsNearLimit",
              "rabbitmq_process_open_fds{$job} / (rabbitmq_process_max_fds{$job} > 0) > $threshold",
              "RabbitMQ node {{ $labels.instance }} uses {{ $value | humanizePercentage }} of its file descriptors",
              "{{ $labels.instance }} has had more than $threshold of its file descriptor limit open for $for: "
              "every client connection takes one, and at the limit new connections are refused.",
              ("`rabbitmqctl list_connections -q peer_host user | sort | uniq -c | sort -rn | head` finds the "
               "clients holding the most connections; a client that reconnects without closing is the usual cause.",
               "Raise the limit (LimitNOFILE in the systemd unit, ulimit in the container) if the load is real."),
              for_="5m", threshold=0.8, unit="ratio of the file descriptor limit"),
    PackAlert("RabbitmqMessagesPilingUp", "rabbitmq_queue_messages_ready{$job} > $threshold",
              "{{ $value }} messages wait for consumers on RabbitMQ node {{ $labels.instance }}",
              "The queues on {{ $labels.instance }} have held more than $threshold ready messages together for "
              "$for: consumers are missing, stuck or too slow, and the backlog costs memory and disk.",
              ("`rabbitmqctl list_queues -q name messages_ready consumers | sort -k2 -n | tail` names the queues "
               "that grow and whether they have consumers (repeat it on every vhost with -p).",
               "Restart or scale out the consumers of those queues; a queue nobody reads any more needs a TTL "
               "or max-length, or deleting."),
              for_="15m", threshold=100000, unit="ready messages on the node"),
    PackAlert("RabbitmqUnroutableMessages",
              "sum by (instance) (increase(rabbitmq_global_messages_unroutable_dropped_total{$job}[10m])) "
              "> $threshold",
              "RabbitMQ node {{ $labels.instance }} dropped {{ $value }} unroutable messages",
              "Publishers on {{ $labels.instance }} sent more than $threshold messages in 10 minutes to exchanges "
              "that routed them to no queue, and RabbitMQ dropped them: a binding or a queue is missing, or a "
              "routing key is wrong.",
              ("The exchange_messages_unroutable counters per exchange (`/metrics/per-object`, or the management "
               "UI's exchange pages) say which exchange drops them; `rabbitmqctl list_bindings` what is bound.",
               "Recreate the missing queue or binding; publishers that must not lose messages should set "
               "mandatory or use an alternate exchange."),
              for_="0s", threshold=10, unit="messages in 10 minutes"),
), rows=(
    ("Node", (
        PackPanel("Up", (("up{$sel}", "{{instance}}"),), type="stat", width=6, key=True),
        PackPanel("Memory used of watermark", (("rabbitmq_process_resident_memory_bytes{$sel} / "
                                                "(rabbitmq_resident_memory_limit_bytes{$sel} > 0)", "{{instance}}"),),
                  unit="percentunit", min=0, max=1, key=True),
        PackPanel("Free disk space", (("rabbitmq_disk_space_available_bytes{$sel}", "{{instance}} free"),
                                      ("rabbitmq_disk_space_available_limit_bytes{$sel}", "{{instance}} limit")),
                  unit="bytes", min=0),
        PackPanel("Alarms", (("rabbitmq_alarms_memory_used_watermark{$sel}", "{{instance}} memory"),
                             ("rabbitmq_alarms_free_disk_space_watermark{$sel}", "{{instance}} disk")),
                  min=0, max=1, key=True,
                  description="1 while an alarm blocks publishers in the whole cluster."),
        PackPanel("File descriptors used", (("rabbitmq_process_open_fds{$sel} / (rabbitmq_process_max_fds{$sel} > 0)",
                                             "{{instance}}"),), unit="percentunit", min=0, max=1),
    )),
    ("Messages", (
        PackPanel("Published, delivered, acknowledged", (
            ("sum by (instance) (rate(rabbitmq_global_messages_received_total{$sel}[$__rate_interval]))",
             "{{instance}} published"),
            ("sum by (instance) (rate(rabbitmq_global_messages_delivered_total{$sel}[$__rate_interval]))",
             "{{instance}} delivered"),
            ("sum by (instance) (rate(rabbitmq_global_messages_acknowledged_total{$sel}[$__rate_interval]))",
             "{{instance}} acknowledged")), unit="ops", key=True),
        PackPanel("Messages in queues", (("rabbitmq_queue_messages_ready{$sel}", "{{instance}} ready"),
                                         ("rabbitmq_queue_messages_unacked{$sel}", "{{instance}} unacked")),
                  unit="short", min=0),
        PackPanel("Unroutable and redelivered", (
            ("sum by (instance) (rate(rabbitmq_global_messages_unroutable_dropped_total{$sel}[$__rate_interval]))",
             "{{instance}} dropped"),
            ("sum by (instance) (rate(rabbitmq_global_messages_unroutable_returned_total{$sel}[$__rate_interval]))",
             "{{instance}} returned"),
            ("sum by (instance) (rate(rabbitmq_global_messages_redelivered_total{$sel}[$__rate_interval]))",
             "{{instance}} redelivered")), unit="ops", min=0),
    )),
    ("Clients", (
        PackPanel("Connections, channels, consumers", (("rabbitmq_connections{$sel}", "{{instance}} connections"),
                                                       ("rabbitmq_channels{$sel}", "{{instance}} channels"),
                                                       ("rabbitmq_consumers{$sel}", "{{instance}} consumers")),
                  unit="short", min=0),
        PackPanel("Connections opened and closed", (
            ("rate(rabbitmq_connections_opened_total{$sel}[$__rate_interval])", "{{instance}} opened"),
            ("rate(rabbitmq_connections_closed_total{$sel}[$__rate_interval])", "{{instance}} closed")),
            unit="ops", min=0, description="A high rate means clients connect per message instead of reusing "
                                           "connections."),
        PackPanel("Queues", (("rabbitmq_queues{$sel}", "{{instance}}"),), unit="short", min=0),
    )),
))
