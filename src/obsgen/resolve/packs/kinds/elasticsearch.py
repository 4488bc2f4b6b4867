"""Elasticsearch through prometheus-community/elasticsearch_exporter, with its default collectors
(cluster health, node stats, cluster info). Written for obsgen from the metrics in
core/exporters/elasticsearch.yaml and what a cluster needs watched."""
from __future__ import annotations

from obsgen.resolve.packs.data import Pack, PackAlert, PackPanel, exporter_down

_ES = "curl -s http://<node>:9200"  # add -u/--cacert as the cluster needs

_HEAP = ('elasticsearch_jvm_memory_used_bytes{$job, area="heap"} / '
         '(elasticsearch_jvm_memory_max_bytes{$job, area="heap"} > 0)')
_DISK = "elasticsearch_filesystem_data_available_bytes{$job} / (elasticsearch_filesystem_data_size_bytes{$job} > 0)"

PACK = Pack("elasticsearch", "Elasticsearch", (
    exporter_down("ElasticsearchExporterDown", "Elasticsearch"),
    PackAlert("ElasticsearchUnreachable", 'elasticsearch_scrape_success{$job, collector="cluster-info"} == 0',
              "Elasticsearch behind {{ $labels.instance }} does not answer",
              "elasticsearch_exporter on {{ $labels.instance }} has not been able to read Elasticsearch's root "
              "endpoint for $for: the node is down, refuses the exporter's credentials, or is too slow to answer "
              "within --es.timeout. Cluster health and node metrics are missing meanwhile.",
              (f"`{_ES}/` from the exporter's host: a refused connection, a 401/403 or a timeout each say what to fix.",
               "On the node: `systemctl status elasticsearch` and its log (`/var/log/elasticsearch/<cluster>.log`), "
               "looking for OutOfMemoryError or long GC pauses.",
               "If the whole cluster is down, follow its recovery procedure; start master-eligible nodes first."),
              severity="critical", for_="2m"),
    PackAlert("ElasticsearchClusterRed", 'elasticsearch_cluster_health_status{$job, color="red"} == 1',
              "Elasticsearch cluster {{ $labels.cluster }} is red",
              "The cluster {{ $labels.cluster }} has been red for $for: at least one primary shard is unassigned, so "
              "part of the data cannot be searched and writes to it fail.",
              (f"Find the unassigned primaries: `{_ES}/_cat/shards?v&h=index,shard,prirep,state,unassigned.reason "
               "| grep UNASSIGNED`.",
               f"Ask why: `{_ES}/_cluster/allocation/explain?pretty` (a lost node, a full disk, an allocation filter).",
               "Bring the missing node back; restore from a snapshot only if its data is gone for good."),
              severity="critical", for_="2m"),
    PackAlert("ElasticsearchClusterYellow", 'elasticsearch_cluster_health_status{$job, color="yellow"} == 1',
              "Elasticsearch cluster {{ $labels.cluster }} is yellow",
              "The cluster {{ $labels.cluster }} has been yellow for $for: replica shards are unassigned, so losing "
              "one more node could lose data. Expected for a while after a node restarts.",
              (f"`{_ES}/_cluster/allocation/explain?pretty` says why a replica is not allocated.",
               "A single-node cluster is always yellow when indices have replicas: set their number_of_replicas to 0."),
              for_="30m"),
    PackAlert("ElasticsearchNodeLeft",
              "elasticsearch_cluster_health_number_of_nodes{$job} < "
              "max_over_time(elasticsearch_cluster_health_number_of_nodes{$job}[1h])",
              "Elasticsearch cluster {{ $labels.cluster }} has {{ $value }} nodes, fewer than in the last hour",
              "A node has left the cluster {{ $labels.cluster }} within the last hour and not come back for $for "
              "(this alert forgets after an hour: check the node count).",
              (f"See who is there: `{_ES}/_cat/nodes?v&h=name,ip,node.role,master,uptime`.",
               "On the missing node, read its log for why it left (OOM, disk, network partition, a restart)."),
              for_="5m"),
    PackAlert("ElasticsearchHeapUsageHigh", f"{_HEAP} > $threshold",
              "Elasticsearch node {{ $labels.name }} uses {{ $value | humanizePercentage }} of its heap",
              "The JVM heap of Elasticsearch node {{ $labels.name }} ({{ $labels.instance }}) has been more than "
              "$threshold full for $for: garbage collection takes longer, and circuit breakers start rejecting "
              "requests.",
              (f"`{_ES}/_nodes/<node>/stats/jvm,breaker?pretty`: which breaker is near its limit (fielddata, request) "
               "points to the queries using the memory.",
               "Look for heavy aggregations, large fielddata or too many shards per node; add memory (heap up to "
               "half the RAM, under 31 GB) or nodes."),
              for_="15m", threshold=0.9, unit="ratio of the heap"),
    PackAlert("ElasticsearchDiskSpaceLow", f"{_DISK} < $threshold",
              "Elasticsearch node {{ $labels.name }} has {{ $value | humanizePercentage }} disk left on "
              "{{ $labels.path }}",
              "Less than $threshold of the data path {{ $labels.path }} of node {{ $labels.name }} has been free for "
              "$for: past the low watermark no new shards go to this node, past the high one shards move away.",
              (f"`{_ES}/_cat/allocation?v` shows disk use per node; `{_ES}/_cat/indices?v&s=store.size:desc` the "
               "largest indices.",
               "Delete or shrink old indices (or tighten the ILM retention), or add disk or nodes."),
              for_="15m", threshold=0.15, unit="ratio of the filesystem"),
    PackAlert("ElasticsearchDiskAlmostFull", f"{_DISK} < $threshold",
              "Elasticsearch node {{ $labels.name }} is almost out of disk",
              "Only {{ $value | humanizePercentage }} of the data path {{ $labels.path }} of node {{ $labels.name }} "
              "is free: at the flood-stage watermark Elasticsearch makes every index with a shard on it read-only.",
              ("Free space now: delete old indices (`curl -X DELETE <node>:9200/<index>`), then clear the read-only "
               "block if it was set (`index.blocks.read_only_allow_delete: null`).",
               "Then see ElasticsearchDiskSpaceLow for why it filled."),
              severity="critical", for_="2m", threshold=0.07, unit="ratio of the filesystem"),
    PackAlert("ElasticsearchThreadPoolRejections",
              "sum by (instance, name, type) (increase(elasticsearch_thread_pool_rejected_count{$job}[5m])) > $threshold",
              "Elasticsearch node {{ $labels.name }} rejected {{ $value | humanize }} {{ $labels.type }} tasks",
              "The {{ $labels.type }} thread pool of node {{ $labels.name }} rejected more than $threshold tasks in "
              "the last 5 minutes: its queue was full, and clients got 429 errors.",
              (f"`{_ES}/_cat/thread_pool?v&h=node_name,name,active,queue,rejected` shows which pool and node.",
               "Write rejections call for smaller or fewer concurrent bulk requests; search ones for cheaper queries "
               "or more nodes or replicas."),
              for_="0s", threshold=10, unit="tasks in 5 minutes"),
), rows=(
    ("Cluster", (
        PackPanel("Cluster green", (('max by (cluster) (elasticsearch_cluster_health_status{$sel, color="green"})',
                                     "{{cluster}}"),), type="stat", width=6, key=True),
        PackPanel("Nodes", (("max by (cluster) (elasticsearch_cluster_health_number_of_nodes{$sel})", "{{cluster}} all"),
                            ("max by (cluster) (elasticsearch_cluster_health_number_of_data_nodes{$sel})",
                             "{{cluster}} data")), min=0),
        PackPanel("Shards not started", (
            ("max by (cluster) (elasticsearch_cluster_health_unassigned_shards{$sel})", "{{cluster}} unassigned"),
            ("max by (cluster) (elasticsearch_cluster_health_initializing_shards{$sel})", "{{cluster}} initializing"),
            ("max by (cluster) (elasticsearch_cluster_health_relocating_shards{$sel})", "{{cluster}} relocating")),
            min=0),
        PackPanel("Pending cluster tasks", (("max by (cluster) (elasticsearch_cluster_health_number_of_pending_tasks"
                                             "{$sel})", "{{cluster}}"),), min=0),
    )),
    ("Nodes", (
        PackPanel("Heap used", (('elasticsearch_jvm_memory_used_bytes{$sel, area="heap"} / '
                                 'elasticsearch_jvm_memory_max_bytes{$sel, area="heap"}', "{{name}}"),),
                  unit="percentunit", min=0, max=1),
        PackPanel("Disk used", (("1 - elasticsearch_filesystem_data_available_bytes{$sel} / "
                                 "elasticsearch_filesystem_data_size_bytes{$sel}", "{{name}} {{path}}"),),
                  unit="percentunit", min=0, max=1),
        PackPanel("CPU", (("elasticsearch_process_cpu_percent{$sel} / 100", "{{name}}"),), unit="percentunit", min=0),
        PackPanel("Time in GC", (("rate(elasticsearch_jvm_gc_collection_seconds_sum{$sel}[$__rate_interval])",
                                  "{{name}} {{gc}}"),), unit="percentunit", min=0),
    )),
    ("Work", (
        PackPanel("Search latency", (("sum by (name) (rate(elasticsearch_indices_search_query_time_seconds{$sel}"
                                      "[$__rate_interval])) / sum by (name) (rate("
                                      "elasticsearch_indices_search_query_total{$sel}[$__rate_interval]))", "{{name}}"),),
                  unit="s", min=0, key=True),
        PackPanel("Searches", (("sum by (name) (rate(elasticsearch_indices_search_query_total{$sel}[$__rate_interval]))",
                                "{{name}}"),), unit="ops", min=0),
        PackPanel("Documents indexed", (("sum by (name) (rate(elasticsearch_indices_indexing_index_total{$sel}"
                                         "[$__rate_interval]))", "{{name}}"),), unit="ops", min=0),
        PackPanel("Rejected tasks", (("sum by (name, type) (rate(elasticsearch_thread_pool_rejected_count{$sel}"
                                      "[$__rate_interval]))", "{{name}} {{type}}"),), unit="ops", min=0, key=True),
    )),
))
