"""MongoDB through Percona's mongodb_exporter. Written for obsgen from the exporter's metrics
(core/exporters/mongodb.yaml).

A default start of the exporter (no --collector.* flag) serves only its general collector (mongodb_up and the ping
time in collector_scrape_time_ms) and its own process metrics: everything about connections, operations,
replication or the WiredTiger cache needs --collector.diagnosticdata / --collector.replicasetstatus. A pack must
work out of the box, so this one watches what a default start gives: whether MongoDB answers, how fast it answers
the exporter's ping, and the exporter's own health (it has a history of leaking connections to MongoDB). A
service whose exporter runs the diagnosticdata collector says so (`scrape.exporter.collectors`) and also gets
alerts and panels on connections, replication, lock queues and the WiredTiger cache."""
from __future__ import annotations

from obsgen.resolve.packs.data import Pack, PackAlert, PackPanel, exporter_down

_PING = 'collector_scrape_time_ms{%s, collector="general"}'
# With --collector.diagnosticdata (or --collect-all), which most deployments pass: serverStatus and
# replSetGetStatus as mongodb_ss_* and mongodb_rs_*. A service lists it in scrape.exporter.collectors.
_CONN = 'mongodb_ss_connections{$job, conn_type="current"}'
_CONN_ALL = 'mongodb_ss_connections{$job, conn_type=~"current|available"}'

PACK = Pack("mongodb", "MongoDB", (
    exporter_down("MongodbExporterDown", "MongoDB"),
    PackAlert("MongodbDown", "mongodb_up{$job} == 0", "MongoDB behind {{ $labels.instance }} is unreachable",
              "mongodb_exporter on {{ $labels.instance }} has failed to connect to MongoDB, or MongoDB has not "
              "answered its ping, for $for: the server is down, refuses connections, or rejects the exporter's "
              "credentials.",
              ("Check the mongod (or mongos) process and its log: `systemctl status mongod`, "
               "`journalctl -u mongod`, or the pod's logs.",
               "Connect as the exporter does: `mongosh \"<the exporter's --mongodb.uri>\" --eval "
               "'db.runCommand({ping: 1})'`; the exporter's log (raise --log.level to info) has the driver's error.",
               "If a replica set primary is down, check that an election gave the set a new primary "
               "(`rs.status()` on a surviving member)."),
              severity="critical", for_="1m"),
    PackAlert("MongodbSlowToAnswer", _PING % "$job" + " > $threshold",
              "MongoDB behind {{ $labels.instance }} takes {{ $value }} ms to answer a ping",
              "The exporter's ping of MongoDB through {{ $labels.instance }} has taken more than $threshold ms for "
              "$for. A ping does no work, so the server is starved (CPU, a full ticket queue, a stalled disk) or "
              "the network between them is slow; applications see the same delays.",
              ("On the server, `mongosh --eval 'db.currentOp({secs_running: {$gte: 5}})'` lists long operations; "
               "`db.serverStatus().wiredTiger.concurrentTransactions` (7.0+: `.queues.execution`) shows whether "
               "read or write tickets are exhausted.",
               "Check the host: CPU steal and load (`top`), disk latency (`iostat -x 1`), and the network path "
               "from the exporter (`ping`, `mtr`)."),
              for_="10m", threshold=500, unit="milliseconds"),
    PackAlert("MongodbExporterFileDescriptorsHigh",
              "process_open_fds{$job} / (process_max_fds{$job} > 0) > $threshold",
              "mongodb_exporter on {{ $labels.instance }} uses {{ $value | humanizePercentage }} of its file "
              "descriptors",
              "The exporter behind {{ $labels.instance }} has had more than $threshold of its file descriptor "
              "limit open for $for. Its descriptors are mostly connections to MongoDB: a growing count is the "
              "exporter leaking connections, which also eats into MongoDB's own connection limit; at the limit "
              "the exporter stops answering.",
              ("See who holds them: `ls /proc/$(pgrep -f mongodb_exporter)/fd | wc -l`, and on MongoDB "
               "`db.currentOp(true).inprog.filter(o => o.appName == 'mongodb_exporter').length`.",
               "Restart the exporter to release them, and upgrade it if it is older than the fix for its "
               "connection leaks; scraping it less often slows the growth."),
              for_="15m", threshold=0.8, unit="ratio of the file descriptor limit"),
    PackAlert("MongodbExporterMemoryHigh", "process_resident_memory_bytes{$job} > $threshold",
              "mongodb_exporter on {{ $labels.instance }} uses {{ $value | humanize1024 }}B of memory",
              "The exporter behind {{ $labels.instance }} has used more than $threshold bytes of memory for $for. "
              "A default exporter needs a few tens of MB; growth points to a leak (some collectors, pbm among "
              "them, have had leaks) and ends with the exporter killed and MongoDB unwatched.",
              ("Compare with the exporter's flags (`ps -o args -p $(pgrep -f mongodb_exporter)`): "
               "--collect-all, --discovering-mode and collstats on many collections are the heavy ones.",
               "Restart the exporter, drop the collectors you do not need, or upgrade it."),
              for_="30m", threshold=1073741824, unit="bytes"),
    PackAlert("MongodbConnectionsNearLimit",
              f"sum by (instance) ({_CONN}) / (sum by (instance) ({_CONN_ALL}) > 0) > $threshold",
              "MongoDB behind {{ $labels.instance }} uses {{ $value | humanizePercentage }} of its connection limit",
              "Client connections to MongoDB behind {{ $labels.instance }} have been above $threshold of what it "
              "accepts (net.maxIncomingConnections and the file descriptor limit) for $for: new connections are "
              "refused at the limit.",
              ("`db.currentOp(true).inprog` grouped by appName and client shows who holds them; a driver pool "
               "that is too large or never closed is the usual cause.",
               "Shrink the pools (maxPoolSize) or raise the limit if the load is real."),
              for_="5m", threshold=0.8, unit="ratio of the connection limit", needs="diagnosticdata"),
    PackAlert("MongodbReplicaSetMemberUnhealthy", "mongodb_rs_members_health{$job} == 0",
              "Replica set member {{ $labels.member_idx }} is down, seen from {{ $labels.instance }}",
              "{{ $labels.instance }} has seen the member {{ $labels.member_idx }} of {{ $labels.rs_nm }} as down "
              "for $for: the set has one copy less, and may lose its majority if another member fails.",
              ("`rs.status()` on a healthy member: the down member's lastHeartbeatMessage says why.",
               "Check that member's process, log and disk; restart it, or resync it if it fell off the oplog."),
              severity="critical", for_="2m", needs="diagnosticdata"),
    PackAlert("MongodbReplicationLag",
              '(max by (instance) (mongodb_rs_members_optimeDate{$job, member_state="PRIMARY"}) - '
              'min by (instance) (mongodb_rs_members_optimeDate{$job, member_state="SECONDARY"})) / 1000 '
              '> $threshold',
              "A secondary of the set of {{ $labels.instance }} is {{ $value | humanizeDuration }} behind its primary",
              "The slowest secondary, as {{ $labels.instance }} sees the set, has been more than ${threshold}s "
              "behind the primary for $for: reads from it are stale, and a failover to it would lose that much.",
              ("`rs.printSecondaryReplicationInfo()` on the primary names the lagging member.",
               "Check that member's disk and CPU, and whether the oplog window (`rs.printReplicationInfo()`) "
               "still covers the lag; if not, it needs an initial sync."),
              for_="5m", threshold=30, unit="seconds", needs="diagnosticdata"),
    PackAlert("MongodbLockQueue", 'mongodb_ss_globalLock_currentQueue{$job, count_type="total"} > $threshold',
              "{{ $value }} operations wait for a lock on MongoDB behind {{ $labels.instance }}",
              "More than $threshold operations have been queued for locks (or execution tickets) on MongoDB behind "
              "{{ $labels.instance }} for $for: the server does not keep up, and clients see the wait.",
              ("`db.currentOp({waitingForLock: true})` and the longest running operations "
               "(`db.currentOp({secs_running: {$gte: 5}})`) show the blocker; kill it with `db.killOp(<opid>)` "
               "if it is a runaway.",),
              for_="10m", threshold=20, unit="operations", needs="diagnosticdata"),
    PackAlert("MongodbCacheDirty",
              "mongodb_ss_wt_cache_tracked_dirty_bytes_in_the_cache{$job} / "
              "(mongodb_ss_wt_cache_maximum_bytes_configured{$job} > 0) > $threshold",
              "The WiredTiger cache of {{ $labels.instance }} is {{ $value | humanizePercentage }} dirty",
              "More than $threshold of the WiredTiger cache of MongoDB behind {{ $labels.instance }} has held "
              "unwritten changes for $for: eviction cannot keep up with writes, and application threads are "
              "made to evict, which stalls them.",
              ("Check disk write latency (`iostat -x 1`) on the data volume and the write load (`mongostat`).",
               "Spread or slow the write load, or give the storage more throughput."),
              for_="10m", threshold=0.2, unit="ratio of the cache", needs="diagnosticdata"),
), rows=(
    ("Availability", (
        PackPanel("Up", (("mongodb_up{$sel}", "{{instance}}"),), type="stat", width=6, key=True,
                  description="1 when the exporter reaches MongoDB; 0 when it cannot connect or the ping fails."),
        PackPanel("Ping time", ((_PING % "$sel", "{{instance}}"),), unit="ms", min=0, key=True,
                  description="How long MongoDB took to answer the exporter's ping this scrape."),
    )),
    ("Work (with the diagnosticdata collector)", (
        PackPanel("Operations", (('sum by (instance, legacy_op_type) (rate(mongodb_ss_opcounters{$sel}'
                                  '[$__rate_interval]))', "{{instance}} {{legacy_op_type}}"),), unit="ops", key=True,
                  needs="diagnosticdata"),
        PackPanel("Connections used", ((f"sum by (instance) ({_CONN.replace('$job', '$sel')}) / "
                                        f"(sum by (instance) ({_CONN_ALL.replace('$job', '$sel')}) > 0)",
                                        "{{instance}}"),), unit="percentunit", min=0, max=1, key=True,
                  needs="diagnosticdata"),
        PackPanel("Replication lag", (('(max by (instance) (mongodb_rs_members_optimeDate{$sel, '
                                       'member_state="PRIMARY"}) - min by (instance) (mongodb_rs_members_optimeDate'
                                       '{$sel, member_state="SECONDARY"})) / 1000', "{{instance}}"),), unit="s", min=0,
                  needs="diagnosticdata"),
        PackPanel("Lock queue", (('mongodb_ss_globalLock_currentQueue{$sel, count_type="total"}', "{{instance}}"),),
                  needs="diagnosticdata"),
    )),
    ("Exporter", (
        PackPanel("Exporter file descriptors used", (("process_open_fds{$sel} / (process_max_fds{$sel} > 0)",
                                                      "{{instance}}"),), unit="percentunit", min=0, max=1),
        PackPanel("Exporter memory", (("process_resident_memory_bytes{$sel}", "{{instance}}"),), unit="bytes", min=0),
        PackPanel("Collector time", (("collector_scrape_time_ms{$sel}", "{{instance}} {{collector}}"),), unit="ms",
                  min=0, description="Time per collector; collectors beyond general appear when their "
                                     "--collector.* flag is on."),
    )),
))
