"""One pack per exporter kind: the alerts an SRE ships with the exporter, scoped to the service's
job, and a dashboard. Written for obsgen from each exporter's metrics (the catalogs in
core/exporters; a test checks every name against them) and what the component needs watched."""
from __future__ import annotations

from obsgen.resolve.packs.data import Pack, PackAlert, PackPanel, exporter_down

_FS = 'fstype!~"tmpfs|overlay|squashfs|ramfs|nsfs", mountpoint!~"/run($|/.*)"'

NODE = Pack("node", "Linux host", (
    exporter_down("NodeExporterDown", "Node"),
    PackAlert("NodeHighCPU", '1 - avg by (instance) (rate(node_cpu_seconds_total{$job, mode="idle"}[5m])) > $threshold',
              "CPU of {{ $labels.instance }} is {{ $value | humanizePercentage }} busy",
              "The CPUs of {{ $labels.instance }} have been busy more than $threshold of the time for $for: "
              "requests queue and latency grows.",
              ("Find the busiest processes (`top -o %CPU`) and whether the load is expected (a deploy, a batch).",
               "Compare with the days before on the host's dashboard: growth needs capacity, a spike a cause.",
               "Spread the load or add capacity; throttle a runaway batch."),
              for_="15m", threshold=0.9, unit="ratio of CPU time"),
    PackAlert("NodeMemoryLow", "node_memory_MemAvailable_bytes{$job} / node_memory_MemTotal_bytes{$job} < $threshold",
              "{{ $labels.instance }} has {{ $value | humanizePercentage }} of its memory available",
              "Less than $threshold of the memory of {{ $labels.instance }} has been "
              "available for $for: the kernel's OOM killer is next.",
              ("Find what holds the memory (`ps aux --sort=-rss | head`), and whether it keeps growing (a leak).",
               "Restart a leaking process in a quiet moment; raise the host's memory if the load is real."),
              for_="10m", threshold=0.1, unit="ratio of memory"),
    PackAlert("NodeFilesystemSpaceLow",
              f"node_filesystem_avail_bytes{{$job, {_FS}}} / node_filesystem_size_bytes{{$job, {_FS}}} < $threshold",
              "{{ $labels.mountpoint }} on {{ $labels.instance }} has {{ $value | humanizePercentage }} space left",
              "The filesystem {{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.instance }} has had less "
              "than $threshold of its space free for $for.",
              ("Find what grew (`du -xh --max-depth=2 <mountpoint> | sort -h | tail`): logs, dumps, caches.",
               "Rotate or delete what is safe to delete; grow the volume if the data is needed."),
              for_="30m", threshold=0.15, unit="ratio of the filesystem"),
    PackAlert("NodeFilesystemAlmostFull",
              f"node_filesystem_avail_bytes{{$job, {_FS}}} / node_filesystem_size_bytes{{$job, {_FS}}} < $threshold",
              "{{ $labels.mountpoint }} on {{ $labels.instance }} is almost full",
              "Only {{ $value | humanizePercentage }} of {{ $labels.mountpoint }} on {{ $labels.instance }} is free: "
              "writes will fail when it fills, and databases and logs stop.",
              ("Free space now: delete rotated logs, old dumps and caches (`du -xh --max-depth=2 <mountpoint>`).",
               "Grow the volume if the data must stay; then find out why NodeFilesystemSpaceLow was not acted on."),
              severity="critical", for_="3m", threshold=0.05, unit="ratio of the filesystem"),
    PackAlert("NodeFilesystemReadOnly", f"node_filesystem_readonly{{$job, {_FS}}} == 1",
              "{{ $labels.mountpoint }} on {{ $labels.instance }} is read-only",
              "The filesystem {{ $labels.mountpoint }} ({{ $labels.device }}) on {{ $labels.instance }} has been "
              "mounted read-only for $for: the kernel does so after disk errors.",
              ("Read the kernel log (`dmesg -T | grep -i -e error -e ext4 -e xfs`) for I/O errors.",
               "Move the workload away, then check the disk (`smartctl -a`) and the filesystem before remounting."),
              for_="5m"),
    PackAlert("NodeOOMKill", "increase(node_vmstat_oom_kill{$job}[5m]) > 0",
              "The kernel killed a process on {{ $labels.instance }} for lack of memory",
              "The OOM killer ended a process on {{ $labels.instance }} in the last 5 minutes.",
              ("Find the victim (`dmesg -T | grep -i 'killed process'`) and restart it if its supervisor did not.",
               "See NodeMemoryLow: find what holds the memory."),
              for_="0s"),
    PackAlert("NodeClockSkew", "abs(node_timex_offset_seconds{$job}) > $threshold",
              "The clock of {{ $labels.instance }} is {{ $value | humanizeDuration }} off",
              "The clock of {{ $labels.instance }} has been more than ${threshold}s off for $for: certificates, "
              "tokens and distributed databases depend on it.",
              ("Check the time daemon (`timedatectl`, `chronyc tracking`) and that it reaches its servers.",),
              for_="10m", threshold=0.05, unit="seconds"),
), rows=(
    ("CPU and memory", (
        PackPanel("CPU busy", (('1 - avg by (instance) (rate(node_cpu_seconds_total{$sel, mode="idle"}'
                                '[$__rate_interval]))', "{{instance}}"),), unit="percentunit", min=0, max=1, key=True),
        PackPanel("Load (1m)", (("node_load1{$sel}", "{{instance}}"),)),
        PackPanel("Memory available", (("node_memory_MemAvailable_bytes{$sel} / node_memory_MemTotal_bytes{$sel}",
                                        "{{instance}}"),), unit="percentunit", min=0, max=1, key=True),
    )),
    ("Disk and network", (
        PackPanel("Filesystem space used", ((f"1 - node_filesystem_avail_bytes{{$sel, {_FS}}} / "
                                             f"node_filesystem_size_bytes{{$sel, {_FS}}}",
                                             "{{instance}} {{mountpoint}}"),), unit="percentunit", min=0, max=1,
                  key=True),
        PackPanel("Disk busy", (("rate(node_disk_io_time_seconds_total{$sel}[$__rate_interval])",
                                 "{{instance}} {{device}}"),), unit="percentunit", min=0),
        PackPanel("Network", (('sum by (instance) (rate(node_network_receive_bytes_total{$sel, device!="lo"}'
                               '[$__rate_interval]))', "{{instance}} in"),
                              ('sum by (instance) (rate(node_network_transmit_bytes_total{$sel, device!="lo"}'
                               '[$__rate_interval]))', "{{instance}} out")), unit="Bps"),
    )),
))

POSTGRES = Pack("postgres", "PostgreSQL", (
    exporter_down("PostgresExporterDown", "PostgreSQL"),
    PackAlert("PostgresDown", "pg_up{$job} == 0", "PostgreSQL behind {{ $labels.instance }} is unreachable",
              "postgres_exporter on {{ $labels.instance }} has not been able to connect to its database for "
              "$for: the database is down or refuses connections.",
              ("Check the server's process and its log (`journalctl -u postgresql`, the pod's logs).",
               "Try to connect as the exporter does (`psql` with its DSN): authentication, max_connections and "
               "network errors each say what to fix.",
               "If a primary is down, follow the failover procedure of the cluster."),
              severity="critical", for_="1m"),
    PackAlert("PostgresTooManyConnections",
              "sum by (instance) (pg_stat_activity_count{$job}) / on (instance) "
              "max by (instance) (pg_settings_max_connections{$job}) > $threshold",
              "{{ $labels.instance }} uses {{ $value | humanizePercentage }} of max_connections",
              "Connections to {{ $labels.instance }} have been above $threshold of "
              "max_connections for $for: new clients will be refused when it is reached.",
              ("See who holds them: `select usename, application_name, state, count(*) from pg_stat_activity "
               "group by 1, 2, 3 order by 4 desc`.",
               "Idle connections point to a pool that is too large; put a pooler (PgBouncer) in front, or end the "
               "idle sessions of a misbehaving client."),
              for_="5m", threshold=0.8, unit="ratio of max_connections"),
    PackAlert("PostgresReplicationLag",
              "pg_replication_lag_seconds{$job} > $threshold and on (instance) pg_replication_is_replica{$job} == 1",
              "Replica {{ $labels.instance }} is {{ $value | humanizeDuration }} behind its primary",
              "The replica {{ $labels.instance }} has been replaying WAL more than ${threshold}s behind its primary "
              "for $for: reads from it are stale, and a failover would lose that much.",
              ("Check the replica's log and `pg_stat_wal_receiver`: is it connected and receiving?",
               "On the primary, `pg_stat_replication` shows the lag per replica; long queries on the replica "
               "(hot_standby_feedback, max_standby_streaming_delay) can hold replay back."),
              for_="5m", threshold=60, unit="seconds"),
    PackAlert("PostgresDeadlocks",
              "sum by (instance, datname) (increase(pg_stat_database_deadlocks{$job}[10m])) > $threshold",
              "{{ $value }} deadlocks in {{ $labels.datname }} on {{ $labels.instance }}",
              "Transactions in {{ $labels.datname }} on {{ $labels.instance }} deadlocked more than $threshold times in 10 "
              "minutes: each one is an error an application saw.",
              ("The server log names the statements of each deadlock (`deadlock detected`).",
               "Make the transactions involved take their locks in one order."),
              for_="0s", threshold=5, unit="deadlocks in 10 minutes"),
    PackAlert("PostgresLongTransaction",
              'max by (instance, datname) (pg_stat_activity_max_tx_duration{$job, state!="idle"}) > $threshold',
              "A transaction in {{ $labels.datname }} on {{ $labels.instance }} has run "
              "{{ $value | humanizeDuration }}",
              "A transaction in {{ $labels.datname }} on {{ $labels.instance }} has been open for more than "
              "$duration: it holds locks and keeps vacuum from cleaning up.",
              ("Find it: `select pid, usename, state, xact_start, query from pg_stat_activity order by xact_start "
               "limit 5`.",
               "Ask its owner, or end it (`select pg_terminate_backend(pid)`) if it is stuck."),
              for_="5m", threshold=3600, unit="seconds"),
    PackAlert("PostgresExporterErrors", "pg_exporter_last_scrape_error{$job} == 1",
              "postgres_exporter on {{ $labels.instance }} fails to read some statistics",
              "The last scrapes of postgres_exporter on {{ $labels.instance }} have failed for $for: some "
              "PostgreSQL metrics are missing, and the alerts on them cannot fire.",
              ("Read the exporter's log: a permission its role lacks (pg_monitor) or a query that times out.",),
              for_="10m"),
), rows=(
    ("Availability and connections", (
        PackPanel("Up", (("pg_up{$sel}", "{{instance}}"),), type="stat", width=6, key=True),
        PackPanel("Connections used", (("sum by (instance) (pg_stat_activity_count{$sel}) / on (instance) "
                                        "max by (instance) (pg_settings_max_connections{$sel})", "{{instance}}"),),
                  unit="percentunit", min=0, max=1, key=True),
        PackPanel("Connections by state", (("sum by (instance, state) (pg_stat_activity_count{$sel})",
                                            "{{instance}} {{state}}"),)),
    )),
    ("Work", (
        PackPanel("Transactions", (("sum by (instance) (rate(pg_stat_database_xact_commit{$sel}[$__rate_interval]))",
                                    "{{instance}} commits"),
                                   ("sum by (instance) (rate(pg_stat_database_xact_rollback{$sel}"
                                    "[$__rate_interval]))", "{{instance}} rollbacks")), unit="ops", key=True),
        PackPanel("Cache hit ratio", (("sum by (instance) (rate(pg_stat_database_blks_hit{$sel}[$__rate_interval])) / "
                                       "(sum by (instance) (rate(pg_stat_database_blks_hit{$sel}[$__rate_interval])) "
                                       "+ sum by (instance) (rate(pg_stat_database_blks_read{$sel}"
                                       "[$__rate_interval])))", "{{instance}}"),), unit="percentunit", max=1),
        PackPanel("Replication lag", (("pg_replication_lag_seconds{$sel}", "{{instance}}"),), unit="s", min=0),
        PackPanel("Deadlocks", (("sum by (instance, datname) (increase(pg_stat_database_deadlocks{$sel}"
                                 "[$__rate_interval]))", "{{instance}} {{datname}}"),)),
        PackPanel("Database size", (("pg_database_size_bytes{$sel}", "{{instance}} {{datname}}"),), unit="bytes"),
    )),
))

REDIS = Pack("redis", "Redis", (
    exporter_down("RedisExporterDown", "Redis"),
    PackAlert("RedisDown", "redis_up{$job} == 0", "Redis behind {{ $labels.instance }} is unreachable",
              "redis_exporter on {{ $labels.instance }} has not been able to reach Redis for $for.",
              ("Check the Redis process or pod and its log.",
               "Connect as the exporter does (`redis-cli -h <host> ping`): authentication and network errors say "
               "what to fix."),
              severity="critical", for_="1m"),
    PackAlert("RedisMemoryNearLimit",
              "redis_memory_used_bytes{$job} / (redis_memory_max_bytes{$job} > 0) > $threshold",
              "Redis on {{ $labels.instance }} uses {{ $value | humanizePercentage }} of maxmemory",
              "Redis on {{ $labels.instance }} has used more than $threshold of its "
              "maxmemory for $for: at the limit it evicts keys or refuses writes, as its policy says.",
              ("`redis-cli info memory` and `--bigkeys` show what holds the memory.",
               "Expire what needs no keeping, or raise maxmemory (and the host's memory)."),
              for_="5m", threshold=0.9, unit="ratio of maxmemory"),
    PackAlert("RedisTooManyClients", "redis_connected_clients{$job} / redis_config_maxclients{$job} > $threshold",
              "Redis on {{ $labels.instance }} has {{ $value | humanizePercentage }} of maxclients connected",
              "Clients connected to Redis on {{ $labels.instance }} have been above $threshold "
              "of maxclients for $for: new connections are refused at the limit.",
              ("`redis-cli client list` shows who is connected; a client opening connections without closing "
               "them is the usual cause.",),
              for_="5m", threshold=0.85, unit="ratio of maxclients"),
    PackAlert("RedisRejectedConnections", "increase(redis_rejected_connections_total{$job}[5m]) > 0",
              "Redis on {{ $labels.instance }} refused connections",
              "Redis on {{ $labels.instance }} refused connections in the last 5 minutes: maxclients was reached, "
              "and clients saw errors.",
              ("See RedisTooManyClients: find who holds the connections.",),
              for_="0s"),
    PackAlert("RedisReplicationBroken", "redis_master_link_up{$job} == 0",
              "Replica {{ $labels.instance }} lost its link to the master",
              "The replica {{ $labels.instance }} has not been connected to its master {{ $labels.master_host }} "
              "for $for: it serves stale data and would lose writes in a failover.",
              ("`redis-cli info replication` on the replica says what state the link is in.",
               "Check the network and the master's log; a full resync after a long break needs memory on both."),
              for_="2m"),
    PackAlert("RedisPersistenceFailing", "redis_rdb_last_bgsave_status{$job} == 0",
              "Redis on {{ $labels.instance }} cannot save its snapshot",
              "The last background save of Redis on {{ $labels.instance }} failed, $for ago or more: a restart "
              "would lose the data since the last good one.",
              ("The Redis log says why (`Background saving error`): disk full, or fork failing for lack of memory.",),
              for_="5m"),
    PackAlert("RedisEvictingKeys", "increase(redis_evicted_keys_total{$job}[10m]) > $threshold",
              "Redis on {{ $labels.instance }} evicts keys",
              "Redis on {{ $labels.instance }} evicted keys to stay under maxmemory in the last 10 minutes. Expected "
              "for a cache; data loss for a store.",
              ("If Redis is a store here, see RedisMemoryNearLimit; if it is a cache, silence or disable this alert.",),
              severity="info", for_="0s", threshold=0, unit="keys in 10 minutes"),
), rows=(
    ("Availability and memory", (
        PackPanel("Up", (("redis_up{$sel}", "{{instance}}"),), type="stat", width=6, key=True),
        PackPanel("Memory used", (("redis_memory_used_bytes{$sel}", "{{instance}} used"),
                                  ("redis_memory_max_bytes{$sel} > 0", "{{instance}} max")), unit="bytes", key=True),
        PackPanel("Clients", (("redis_connected_clients{$sel}", "{{instance}}"),)),
    )),
    ("Work", (
        PackPanel("Commands", (("rate(redis_commands_processed_total{$sel}[$__rate_interval])", "{{instance}}"),),
                  unit="ops", key=True),
        PackPanel("Hit ratio", (("rate(redis_keyspace_hits_total{$sel}[$__rate_interval]) / "
                                 "(rate(redis_keyspace_hits_total{$sel}[$__rate_interval]) + "
                                 "rate(redis_keyspace_misses_total{$sel}[$__rate_interval]))", "{{instance}}"),),
                  unit="percentunit", max=1),
        PackPanel("Evicted and expired keys", (("rate(redis_evicted_keys_total{$sel}[$__rate_interval])",
                                                "{{instance}} evicted"),
                                               ("rate(redis_expired_keys_total{$sel}[$__rate_interval])",
                                                "{{instance}} expired")), unit="ops"),
        PackPanel("Keys", (("redis_db_keys{$sel}", "{{instance}} {{db}}"),)),
    )),
))

KAFKA = Pack("kafka", "Kafka", (
    exporter_down("KafkaExporterDown", "Kafka"),
    PackAlert("KafkaUnderReplicatedPartitions",
              "sum by (topic) (kafka_topic_partition_under_replicated_partition{$job}) > 0",
              "{{ $value }} partitions of {{ $labels.topic }} are under-replicated",
              "Partitions of {{ $labels.topic }} have had fewer in-sync replicas than replicas for $for: one "
              "more broker lost and their data is at risk.",
              ("Find the broker that fell behind or left (`kafka-topics --describe --under-replicated-partitions`).",
               "Check that broker's log, disk and network; restart it if it is wedged."),
              severity="critical", for_="3m"),
    PackAlert("KafkaBrokerCountDropped", "kafka_brokers{$job} < max_over_time(kafka_brokers{$job}[1h])",
              "The Kafka cluster has {{ $value }} brokers, fewer than an hour ago",
              "A broker has left the cluster in the last hour and not come back for $for (this alert forgets "
              "after an hour: check the broker count).",
              ("Find the missing broker (`kafka-broker-api-versions` against the bootstrap servers) and its log.",),
              for_="5m"),
    PackAlert("KafkaConsumerGroupLagHigh",
              "sum by (consumergroup, topic) (kafka_consumergroup_lag{$job}) > $threshold",
              "Consumer group {{ $labels.consumergroup }} is {{ $value }} messages behind on {{ $labels.topic }}",
              "The consumer group {{ $labels.consumergroup }} has been more than $threshold messages behind "
              "on {{ $labels.topic }} for $for: consumers are too slow or stopped.",
              ("Are the consumers running and without errors? (`kafka-consumer-groups --describe --group <group>`).",
               "Scale the consumers out (up to the partition count) if the traffic grew."),
              for_="15m", threshold=1000, unit="messages"),
    PackAlert("KafkaConsumerGroupEmpty", "kafka_consumergroup_members{$job} == 0",
              "Consumer group {{ $labels.consumergroup }} has no members",
              "No consumer has been in the group {{ $labels.consumergroup }} for $for: its topics are not "
              "being read.",
              ("Start the consumers, or delete the group if it is no longer used.",),
              for_="15m"),
    PackAlert("KafkaLeaderNotPreferred",
              "sum by (topic) (kafka_topic_partition_leader_is_preferred{$job} == bool 0) > 0",
              "{{ $value }} partitions of {{ $labels.topic }} are led by a broker that is not their preferred one",
              "Partitions of {{ $labels.topic }} have been led by other than their preferred replica for $for: "
              "the load is uneven across brokers, usually after a broker restarted.",
              ("Run a preferred replica election (`kafka-leader-election --election-type preferred "
               "--all-topic-partitions`), or check that auto.leader.rebalance.enable is on.",),
              severity="info", for_="1h"),
), rows=(
    ("Cluster", (
        PackPanel("Brokers", (("kafka_brokers{$sel}", "{{instance}}"),), type="stat", width=6, key=True),
        PackPanel("Under-replicated partitions", (("sum by (topic) (kafka_topic_partition_under_replicated_partition"
                                                   "{$sel})", "{{topic}}"),), key=True),
        PackPanel("Messages in", (("sum by (topic) (rate(kafka_topic_partition_current_offset{$sel}"
                                   "[$__rate_interval]))", "{{topic}}"),), unit="short"),
    )),
    ("Consumers", (
        PackPanel("Consumer lag", (("sum by (consumergroup, topic) (kafka_consumergroup_lag{$sel})",
                                    "{{consumergroup}} {{topic}}"),), key=True),
        PackPanel("Consumer group members", (("kafka_consumergroup_members{$sel}", "{{consumergroup}}"),)),
    )),
))

BLACKBOX = Pack("blackbox", "Blackbox probes", (
    exporter_down("BlackboxExporterDown", "Blackbox"),
    PackAlert("BlackboxProbeFailed", "probe_success{$job} == 0", "{{ $labels.instance }} is failing its probe",
              "The blackbox exporter's probe of {{ $labels.instance }} has failed for $for: users reaching it "
              "the same way fail too.",
              ("Probe it by hand from the exporter (`/probe?target=<target>&module=<module>&debug=true` on the "
               "exporter shows each step).",
               "DNS, connection, TLS and status errors each point to a different owner: escalate to the one it "
               "names."),
              severity="critical", for_="2m"),
    PackAlert("BlackboxProbeSlow", "avg_over_time(probe_duration_seconds{$job}[5m]) > $threshold",
              "{{ $labels.instance }} answers its probe in {{ $value | humanizeDuration }}",
              "The probes of {{ $labels.instance }} have taken more than ${threshold}s on average for $for.",
              ("The probe's phases (probe_http_duration_seconds by phase) say where the time goes: DNS, connect, "
               "TLS or the server's processing.",),
              for_="10m", threshold=1, unit="seconds"),
    PackAlert("BlackboxHttpStatusError", "probe_http_status_code{$job} >= $threshold",
              "{{ $labels.instance }} answers HTTP {{ $value }}",
              "The HTTP probe of {{ $labels.instance }} has got a {{ $value }} status for $for.",
              ("Look at the service's own error logs for the probed path.",),
              for_="5m", threshold=400, unit="HTTP status"),
    PackAlert("BlackboxCertificateExpiringSoon", "probe_ssl_earliest_cert_expiry{$job} - time() < $threshold",
              "The certificate of {{ $labels.instance }} expires in {{ $value | humanizeDuration }}",
              "A certificate in the chain {{ $labels.instance }} presents expires within $duration.",
              ("Renew it; if renewal is automated (cert-manager, ACME), find why it did not run.",),
              for_="15m", threshold=14 * 86400, unit="seconds"),
    PackAlert("BlackboxCertificateExpiresVerySoon", "probe_ssl_earliest_cert_expiry{$job} - time() < $threshold",
              "The certificate of {{ $labels.instance }} expires in {{ $value | humanizeDuration }}",
              "A certificate in the chain {{ $labels.instance }} presents expires within $duration: clients will "
              "refuse it then.",
              ("Renew and deploy it now; see BlackboxCertificateExpiringSoon for why it was not renewed.",),
              severity="critical", for_="2m", threshold=3 * 86400, unit="seconds"),
), rows=(
    ("Probes", (
        PackPanel("Probe success", (("probe_success{$sel}", "{{instance}}"),), type="stat", key=True),
        PackPanel("Probe duration", (("probe_duration_seconds{$sel}", "{{instance}}"),), unit="s", key=True),
        PackPanel("HTTP status", (("probe_http_status_code{$sel}", "{{instance}}"),)),
        PackPanel("Certificate expires in", (("probe_ssl_earliest_cert_expiry{$sel} - time()", "{{instance}}"),),
                  unit="s"),
    )),
))



def _kinds() -> dict[str, Pack]:
    """The packs in resolve/packs/kinds, one module each."""
    import importlib
    import pkgutil

    from obsgen.resolve.packs import kinds

    out = {}
    for info in sorted(pkgutil.iter_modules(kinds.__path__), key=lambda m: m.name):
        pack = importlib.import_module(f"{kinds.__name__}.{info.name}").PACK
        out[pack.kind] = pack
    return out


PACKS: dict[str, Pack] = {p.kind: p for p in (NODE, POSTGRES, REDIS, KAFKA, BLACKBOX)} | _kinds()
