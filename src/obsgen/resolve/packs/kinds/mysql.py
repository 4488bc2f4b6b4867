"""MySQL (and MariaDB, Percona Server) through prometheus/mysqld_exporter with its default collectors:
whether the server answers, connection headroom, replication, slow queries and the exporter's own
collectors. Written for obsgen from the metrics of core/exporters/mysql.yaml.

Replication metrics are the columns of the replica status, named after the statement the exporter could
run: slave_*/master_* up to MySQL 8.0 and on MariaDB, replica_*/source_* on MySQL 8.4+. The replication
alerts read both spellings (`or`), so they work on either and stay quiet on a server that is no replica."""
from __future__ import annotations

from obsgen.resolve.packs.data import Pack, PackAlert, PackPanel, exporter_down

_SQL_RUNNING = "(mysql_slave_status_slave_sql_running{$job} or mysql_slave_status_replica_sql_running{$job})"
_IO_RUNNING = "(mysql_slave_status_slave_io_running{$job} or mysql_slave_status_replica_io_running{$job})"
_LAG = "(mysql_slave_status_seconds_behind_master{$job} or mysql_slave_status_seconds_behind_source{$job})"
_LAG_PANEL = "(mysql_slave_status_seconds_behind_master{$sel} or mysql_slave_status_seconds_behind_source{$sel})"

PACK = Pack("mysql", "MySQL", (
    exporter_down("MysqlExporterDown", "MySQL"),
    PackAlert("MysqlDown", "mysql_up{$job} == 0", "MySQL behind {{ $labels.instance }} is unreachable",
              "mysqld_exporter on {{ $labels.instance }} has not been able to connect to and ping its MySQL server "
              "for $for: the server is down, or refuses the exporter's connections.",
              ("Check the server's process and its error log (`systemctl status mysql`, `journalctl -u mysql`, or "
               "the pod's logs).",
               "Connect the way the exporter does (`mysql --defaults-file=<exporter .my.cnf> -e 'select 1'`): an "
               "authentication error, `Too many connections` or a timeout each say what to fix.",
               "If it is a primary that is gone, follow the cluster's failover procedure."),
              severity="critical", for_="1m"),
    PackAlert("MysqlTooManyConnections",
              "mysql_global_status_threads_connected{$job} / (mysql_global_variables_max_connections{$job} > 0) "
              "> $threshold",
              "MySQL on {{ $labels.instance }} uses {{ $value | humanizePercentage }} of max_connections",
              "Connections to MySQL on {{ $labels.instance }} have been above $threshold of max_connections for "
              "$for: at the limit, new clients get `Too many connections`.",
              ("See who holds them: `select user, substring_index(host, ':', 1) h, command, count(*) from "
               "information_schema.processlist group by 1, 2, 3 order by 4 desc`.",
               "Many `Sleep` connections mean a client pool larger than it needs or leaking connections: shrink "
               "it, or lower wait_timeout; raise max_connections only if the host has the memory for it."),
              for_="5m", threshold=0.8, unit="ratio of max_connections"),
    PackAlert("MysqlConnectionsRefused",
              'increase(mysql_global_status_connection_errors_total{$job, error="max_connections"}[5m]) > $threshold',
              "MySQL on {{ $labels.instance }} refused connections at max_connections",
              "MySQL on {{ $labels.instance }} turned connections away in the last 5 minutes because "
              "max_connections was reached: those clients got errors.",
              ("See MysqlTooManyConnections: find who holds the connections and why.",
               "`show global status like 'Max_used_connections%'` says when the peak was."),
              for_="0s", threshold=0, unit="refused connections in 5 minutes"),
    PackAlert("MysqlReplicationSqlThreadStopped", f"{_SQL_RUNNING} == 0",
              "Replication applier on {{ $labels.instance }} is stopped",
              "The SQL (applier) thread of the replica {{ $labels.instance }} (source {{ $labels.master_host }}) "
              "has not been running for $for: it applies nothing, falls further behind every second, and does "
              "not restart by itself after an error.",
              ("`show replica status\\G` (`show slave status\\G` before 8.0.22): Last_SQL_Errno and Last_SQL_Error "
               "name the failing event.",
               "Fix the cause (a missing row, a duplicate key, a schema difference) and `start replica sql_thread`; "
               "if the data has drifted, rebuild the replica from a fresh backup rather than skipping events."),
              severity="critical", for_="2m"),
    PackAlert("MysqlReplicationIoThreadStopped", f"{_IO_RUNNING} == 0",
              "Replica {{ $labels.instance }} is not receiving from its source",
              "The I/O (receiver) thread of the replica {{ $labels.instance }} has been stopped or still "
              "connecting to its source {{ $labels.master_host }} for $for: no new changes arrive.",
              ("`show replica status\\G`: Last_IO_Errno and Last_IO_Error say why (network, credentials, or binary "
               "logs already purged on the source).",
               "Check that the source is up and reachable from the replica (`mysql -h <source> -u <repl user>`); "
               "then `start replica io_thread`."),
              for_="5m"),
    PackAlert("MysqlReplicationLag", f"{_LAG} > $threshold",
              "Replica {{ $labels.instance }} is {{ $value | humanizeDuration }} behind its source",
              "The replica {{ $labels.instance }} has been applying changes more than ${threshold}s behind its "
              "source {{ $labels.master_host }} for $for: reads from it are stale, and a failover to it would "
              "wait for (or lose) that much. A replica delayed on purpose (SOURCE_DELAY) lags by design.",
              ("`show replica status\\G`: compare Seconds_Behind_Source with SQL_Delay, and see whether the receiver "
               "or the applier is behind (Read vs Exec positions).",
               "A long transaction or a big ALTER on the source replays as long on the replica: "
               "`show processlist` on the replica shows what the applier runs. More applier threads "
               "(replica_parallel_workers) help with many small transactions."),
              for_="5m", threshold=120, unit="seconds"),
    PackAlert("MysqlSlowQueries", "rate(mysql_global_status_slow_queries{$job}[5m]) > $threshold",
              "MySQL on {{ $labels.instance }} runs {{ $value | humanize }} slow queries per second",
              "MySQL on {{ $labels.instance }} has been running more than $threshold queries per second that take "
              "longer than long_query_time, for $for.",
              ("Find them: the slow query log (`pt-query-digest <slow log>`), or `select digest_text, count_star, "
               "avg_timer_wait/1e12 from performance_schema.events_statements_summary_by_digest order by "
               "sum_timer_wait desc limit 10`.",
               "`EXPLAIN` the worst: a missing index or a full scan is the usual cause; check whether a deploy "
               "brought a new query."),
              for_="10m", threshold=0.1, unit="slow queries per second"),
    PackAlert("MysqlExporterCollectorFailing", "mysql_exporter_collector_success{$job} == 0",
              "mysqld_exporter on {{ $labels.instance }} fails to collect {{ $labels.collector }}",
              "The {{ $labels.collector }} collector of mysqld_exporter on {{ $labels.instance }} has failed for "
              "$for: its metrics are missing, and alerts built on them (replication for collect.slave_status) "
              "cannot fire.",
              ("Read the exporter's log (`Error from scraper`): usually a privilege its MySQL user lacks; it needs "
               "PROCESS, REPLICATION CLIENT and SELECT (`grant process, replication client, select on *.* to "
               "<exporter user>`).",),
              for_="10m"),
), rows=(
    ("Availability and connections", (
        PackPanel("Up", (("mysql_up{$sel}", "{{instance}}"),), type="stat", width=6, key=True),
        PackPanel("Connections used", (("mysql_global_status_threads_connected{$sel} / "
                                        "(mysql_global_variables_max_connections{$sel} > 0)", "{{instance}}"),),
                  unit="percentunit", min=0, max=1, key=True),
        PackPanel("Threads", (("mysql_global_status_threads_connected{$sel}", "{{instance}} connected"),
                              ("mysql_global_status_threads_running{$sel}", "{{instance}} running")), min=0),
        PackPanel("Failed connections", (("rate(mysql_global_status_aborted_connects{$sel}[$__rate_interval])",
                                          "{{instance}} aborted connects"),
                                         ("sum by (instance, error) (rate(mysql_global_status_connection_errors_total"
                                          "{$sel}[$__rate_interval]))", "{{instance}} {{error}}")), unit="ops", min=0),
    )),
    ("Work", (
        PackPanel("Queries", (("rate(mysql_global_status_questions{$sel}[$__rate_interval])", "{{instance}}"),),
                  unit="ops", min=0, key=True),
        PackPanel("Statements by kind",
                  (('sum by (instance, command) (rate(mysql_global_status_commands_total{$sel, '
                    'command=~"select|insert|update|delete|replace|commit|rollback"}[$__rate_interval]))',
                    "{{instance}} {{command}}"),), unit="ops", min=0),
        PackPanel("Slow queries", (("rate(mysql_global_status_slow_queries{$sel}[$__rate_interval])",
                                    "{{instance}}"),), unit="ops", min=0),
        PackPanel("Buffer pool reads from disk",
                  (("rate(mysql_global_status_innodb_buffer_pool_reads{$sel}[$__rate_interval]) / "
                    "(rate(mysql_global_status_innodb_buffer_pool_read_requests{$sel}[$__rate_interval]) > 0)",
                    "{{instance}}"),), unit="percentunit", min=0,
                  description="Share of InnoDB page reads the buffer pool could not serve from memory."),
        PackPanel("Row lock waits", (("rate(mysql_global_status_innodb_row_lock_waits{$sel}[$__rate_interval])",
                                      "{{instance}}"),), unit="ops", min=0),
    )),
    ("Replication", (
        PackPanel("Replication lag", ((_LAG_PANEL, "{{instance}} {{channel_name}}"),), unit="s", min=0),
        PackPanel("Replication threads running",
                  (("mysql_slave_status_slave_io_running{$sel} or mysql_slave_status_replica_io_running{$sel}",
                    "{{instance}} receiver"),
                   ("mysql_slave_status_slave_sql_running{$sel} or mysql_slave_status_replica_sql_running{$sel}",
                    "{{instance}} applier")), min=0, max=1),
    )),
))
