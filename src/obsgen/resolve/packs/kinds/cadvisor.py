"""The containers of the cluster, as the cAdvisor inside each kubelet reports them (the `cadvisor` Kubernetes
preset, /metrics/cadvisor of every node; `instance` is the node's name). Its alerts are about the containers'
resources against their limits: memory near the limit, OOM kills, CPU throttling, file descriptors. Written for
obsgen from the metrics of core/exporters/cadvisor.yaml, which exist under every kubelet from 1.30 to 1.36.

Only real containers are looked at (container!=""): the series without a container name are the pod, the pod
sandbox and the node's own cgroups. No filesystem alert: under containerd cAdvisor reports filesystem usage for
the node only, not per container (kubelet_volume_stats_* of the kubelet pack cover the volumes)."""
from __future__ import annotations

from obsgen.resolve.packs.data import Pack, PackAlert, PackPanel

_C = "{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }})"
_BY = "instance, namespace, pod, container"


def _throttled(sel: str, window: str) -> str:
    """Share of the CFS periods in which a container with a CPU limit was throttled."""
    return (f'sum by ({_BY}) (increase(container_cpu_cfs_throttled_periods_total{{{sel}, container!=""}}[{window}])) '
            f'/ (sum by ({_BY}) (increase(container_cpu_cfs_periods_total{{{sel}, container!=""}}[{window}])) > 0)')


def _memory_of_limit(sel: str) -> str:
    return (f'container_memory_working_set_bytes{{{sel}, container!=""}} '
            f'/ (container_spec_memory_limit_bytes{{{sel}, container!=""}} > 0)')


PACK = Pack("cadvisor", "Containers (cAdvisor)", (
    PackAlert("CadvisorDown", "up{$job} == 0",
              "Container metrics of node {{ $labels.instance }} are not scraped",
              "Prometheus has not been able to read /metrics/cadvisor of the kubelet on {{ $labels.instance }} for "
              "$for: the containers of that node are unwatched, and their alerts cannot fire. If the kubelet itself "
              "is down, its node is NotReady as well.",
              ("`kubectl get node <instance>`: a NotReady node means the kubelet is down; see its log "
               "(`journalctl -u kubelet`) on the node.",
               "If the node is Ready, fetch what Prometheus fetches: "
               "`kubectl get --raw /api/v1/nodes/<instance>/proxy/metrics/cadvisor | head`; a timeout on a node "
               "with very many containers calls for a longer scrape_timeout."),
              for_="5m"),
    PackAlert("CadvisorScrapeErrors", "container_scrape_error{$job} == 1",
              "cAdvisor on {{ $labels.instance }} fails to collect container statistics",
              "The kubelet's cAdvisor on {{ $labels.instance }} has reported an error collecting container "
              "statistics for $for: the container series of that node are missing or stale.",
              ("`journalctl -u kubelet | grep -i cadvisor` on the node gives the error (cgroup reads, the container "
               "runtime's socket).",
               "Restarting the kubelet (`systemctl restart kubelet`) rebuilds cAdvisor's view of the cgroups; it "
               "does not touch running pods."),
              for_="15m"),
    PackAlert("ContainerOomKilled",
              f'sum by ({_BY}) (increase(container_oom_events_total{{$job, container!=""}}[10m])) > 0',
              f"A process of container {_C} was killed for lack of memory",
              f"The kernel's OOM killer ended a process of the container {_C} on {{{{ $labels.instance }}}} in "
              "the last 10 minutes: it went over its memory limit (or the node ran out). A kill that ends the "
              "container often goes unseen here, as its series ends with it: kube-state-metrics (last terminated "
              "reason OOMKilled) counts those.",
              ("`kubectl -n <namespace> describe pod <pod>`: Last State \"OOMKilled\" and the restart count confirm "
               "it; `kubectl -n <namespace> logs <pod> -c <container> --previous` shows what it was doing.",
               "Compare its memory with its limit on the containers dashboard: raise the limit if the usage is "
               "legitimate, or find the leak (a heap profile, the app's own metrics)."),
              for_="0s"),
    PackAlert("ContainerCpuThrottled", f"{_throttled('$job', '5m')} > $threshold",
              f"Container {_C} is CPU-throttled in {{{{ $value | humanizePercentage }}}} of periods",
              f"The container {_C} on {{{{ $labels.instance }}}} has hit its CPU limit in more than $threshold of "
              "the scheduler's periods for $for: its work is delayed, and its latency grows, even when the node has "
              "idle CPUs.",
              ("Compare its CPU usage with its limit: `kubectl -n <namespace> top pod <pod> --containers` and "
               "`kubectl -n <namespace> get pod <pod> -o jsonpath='{.spec.containers[*].resources}'`.",
               "Raise (or remove) the CPU limit, or scale the workload out; many threads against a small limit "
               "(JVM, Go's GOMAXPROCS) throttle even at low average usage."),
              for_="15m", threshold=0.5, unit="ratio of CFS periods"),
    PackAlert("ContainerMemoryNearLimit", f"{_memory_of_limit('$job')} > $threshold",
              f"Container {_C} uses {{{{ $value | humanizePercentage }}}} of its memory limit",
              f"The working set of the container {_C} on {{{{ $labels.instance }}}} has been above $threshold of "
              "its memory limit for $for: the next allocations over the limit get it OOM-killed.",
              ("Is it growing (a leak) or steady near the limit (a limit set too tight)? See its memory panel "
               "over days.",
               "Raise the memory limit (and request) in its workload, or reduce what it keeps in memory (caches, "
               "JVM -Xmx or Go's GOMEMLIMIT below the limit)."),
              for_="15m", threshold=0.9, unit="ratio of the memory limit"),
    PackAlert("ContainerFileDescriptorsNearLimit",
              'container_file_descriptors{$job, container!=""} / ignoring (ulimit) '
              '(container_ulimits_soft{$job, container!="", ulimit="max_open_files"} > 0) > $threshold',
              f"Container {_C} has {{{{ $value | humanizePercentage }}}} of its open-file limit in use",
              f"The processes of the container {_C} on {{{{ $labels.instance }}}} have held more than $threshold of "
              "its soft open-file limit for $for: at the limit, new connections and files fail with \"too many "
              "open files\".",
              ("Count what it holds: `kubectl -n <namespace> exec <pod> -c <container> -- ls /proc/1/fd | wc -l`; "
               "a steady climb is a descriptor leak (connections not closed).",
               "Raise the limit in the image or the runtime's configuration (LimitNOFILE of containerd) if the load "
               "is real."),
              for_="10m", threshold=0.9, unit="ratio of the open-file limit"),
), rows=(
    ("Usage by namespace", (
        PackPanel("CPU used", (('sum by (namespace) (rate(container_cpu_usage_seconds_total{$sel, container!=""}'
                                '[$__rate_interval]))', "{{namespace}}"),), unit="short", min=0, key=True,
                  description="CPU cores in use."),
        PackPanel("Memory working set", (('sum by (namespace) (container_memory_working_set_bytes'
                                          '{$sel, container!=""})', "{{namespace}}"),), unit="bytes", min=0, key=True),
        PackPanel("Network", (('sum by (namespace) (rate(container_network_receive_bytes_total{$sel, namespace!=""}'
                               '[$__rate_interval]))', "{{namespace}} in"),
                              ('sum by (namespace) (rate(container_network_transmit_bytes_total{$sel, namespace!=""}'
                               '[$__rate_interval]))', "{{namespace}} out")), unit="Bps"),
    )),
    ("Limits", (
        PackPanel("Memory of limit, worst container", ((f"max by (namespace) ({_memory_of_limit('$sel')})",
                                                        "{{namespace}}"),), unit="percentunit", min=0, max=1,
                  key=True),
        PackPanel("CPU throttled, worst container", ((f"max by (namespace) ({_throttled('$sel', '$__rate_interval')})",
                                                      "{{namespace}}"),), unit="percentunit", min=0, max=1),
        PackPanel("OOM kills", (('sum by (namespace) (increase(container_oom_events_total{$sel, container!=""}'
                                 '[$__rate_interval]))', "{{namespace}}"),)),
    )),
    ("Nodes", (
        PackPanel("Node CPU used", (('sum by (instance) (rate(container_cpu_usage_seconds_total{$sel, id="/"}'
                                     '[$__rate_interval])) / sum by (instance) (machine_cpu_cores{$sel})',
                                     "{{instance}}"),), unit="percentunit", min=0, max=1),
        PackPanel("Node memory used", (('sum by (instance) (container_memory_working_set_bytes{$sel, id="/"}) '
                                        '/ sum by (instance) (machine_memory_bytes{$sel})', "{{instance}}"),),
                  unit="percentunit", min=0, max=1),
        PackPanel("Node disk I/O", (('sum by (instance) (rate(container_fs_reads_bytes_total{$sel, id="/"}'
                                     '[$__rate_interval]))', "{{instance}} read"),
                                    ('sum by (instance) (rate(container_fs_writes_bytes_total{$sel, id="/"}'
                                     '[$__rate_interval]))', "{{instance}} write")), unit="Bps"),
    )),
))
