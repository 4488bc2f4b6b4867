"""The kubelets, watched through their own /metrics (the `nodes` Kubernetes preset: one target per node, `instance`
the node's name): whether each kubelet answers, how its pod lifecycle loop and the container runtime under it
behave, the PersistentVolumeClaims mounted on its node, evictions, and the client certificate it talks to the API
server with. Written for obsgen from the metrics of core/exporters/kubelet.yaml; every family read exists, with the
labels used, in every kubelet from 1.30 to 1.36 (all are ALPHA there, so a later release may rename them)."""
from __future__ import annotations

from obsgen.resolve.packs.data import Pack, PackAlert, PackPanel

_PVC = "{{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }}"
_NODE_SHELL = "a shell on the node (`ssh`, or `kubectl debug node/<instance> -it --image=busybox` then `chroot /host`)"

PACK = Pack("kubelet", "Kubelets", (
    PackAlert("KubeletDown", "up{$job} == 0",
              "The kubelet of node {{ $labels.instance }} does not answer",
              "Prometheus has not been able to read the kubelet of {{ $labels.instance }} through the API server "
              "for $for. Either the kubelet is down, and the node will turn NotReady and its pods be evicted, or "
              "the API server cannot reach it on port 10250.",
              ("`kubectl get node <instance>` and `kubectl describe node <instance>`: NotReady with \"Kubelet stopped "
               "posting node status\" means the kubelet itself is gone.",
               f"From {_NODE_SHELL}: `systemctl status kubelet` and `journalctl -u kubelet -n 200`; a failing "
               "container runtime (`systemctl status containerd`, `crictl info`) takes the kubelet down with it.",
               "If the node is Ready, test the path the scrape takes: "
               "`kubectl get --raw /api/v1/nodes/<instance>/proxy/metrics | head`; a timeout points to the network "
               "or firewall between API server and node."),
              severity="critical", for_="3m"),
    PackAlert("KubeletPlegRelistSlow",
              "histogram_quantile(0.99, sum by (instance, le) "
              "(rate(kubelet_pleg_relist_duration_seconds_bucket{$job}[5m]))) > $threshold",
              "The kubelet of {{ $labels.instance }} takes {{ $value | humanizeDuration }} to relist its pods",
              "The slowest 1% of the kubelet's pod relists (PLEG) on {{ $labels.instance }} have taken more than "
              "${threshold}s for $for. The kubelet notices container starts and deaths late, and when a relist "
              "takes minutes the node is reported \"PLEG is not healthy\" and goes NotReady.",
              ("This is almost always the container runtime answering slowly: from the node, time `crictl ps -a` "
               "and check `journalctl -u containerd` (or crio) for errors or timeouts.",
               "Count the containers on the node (`crictl ps -a | wc -l`): thousands of exited containers slow every "
               "relist; a runtime restart (`systemctl restart containerd`) clears a wedged one.",
               "Check the node's CPU and disk I/O: a saturated node delays the runtime and the kubelet alike."),
              for_="10m", threshold=5, unit="seconds (99th percentile)"),
    PackAlert("KubeletRuntimeOperationErrors",
              "sum by (instance, operation_type) (rate(kubelet_runtime_operations_errors_total{$job}[10m])) "
              "/ (sum by (instance, operation_type) (rate(kubelet_runtime_operations_total{$job}[10m])) > 0) "
              "> $threshold",
              "{{ $value | humanizePercentage }} of {{ $labels.operation_type }} calls to the container runtime "
              "fail on {{ $labels.instance }}",
              "More than $threshold of the kubelet's {{ $labels.operation_type }} calls to the container runtime "
              "on {{ $labels.instance }} have returned an error for $for: pods on the node may fail to start, stop "
              "or report their status.",
              ("Read the errors: `journalctl -u kubelet | grep -i 'rpc error' | tail` on the node, "
               "and the runtime's own log (`journalctl -u containerd -n 200`).",
               "Image pulls (pull_image) fail for registry or credential reasons: `kubectl get events -A "
               "--field-selector reason=Failed` names the image; sandbox errors (run_podsandbox) usually come from "
               "the CNI plugin.",
               "A runtime that fails everything: restart it (`systemctl restart containerd`) and drain the node if "
               "it does not recover."),
              for_="15m", threshold=0.1, unit="ratio of calls"),
    PackAlert("KubeletVolumeSpaceLow",
              "kubelet_volume_stats_available_bytes{$job} / (kubelet_volume_stats_capacity_bytes{$job} > 0) "
              "< $threshold",
              f"Volume {_PVC} has {{{{ $value | humanizePercentage }}}} of its space free",
              f"The volume of the PersistentVolumeClaim {_PVC}, mounted on {{{{ $labels.instance }}}}, has had less "
              "than $threshold of its space free for $for. A read-only volume that is full by design can be "
              "excluded by turning this alert off for the service.",
              ("See what fills it: `kubectl -n <namespace> exec <pod using the claim> -- df -h` and `du` in the "
               "mount; logs, dumps and old data are the usual suspects.",
               "Grow the claim if its StorageClass allows it (`allowVolumeExpansion: true`): "
               "`kubectl -n <namespace> patch pvc <persistentvolumeclaim> -p "
               "'{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"<new size>\"}}}}'`."),
              for_="15m", threshold=0.15, unit="ratio of the volume"),
    PackAlert("KubeletVolumeAlmostFull",
              "kubelet_volume_stats_available_bytes{$job} / (kubelet_volume_stats_capacity_bytes{$job} > 0) "
              "< $threshold",
              f"Volume {_PVC} is almost full",
              f"Only {{{{ $value | humanizePercentage }}}} of the volume of {_PVC} (on {{{{ $labels.instance }}}}) "
              "is free: writes to it fail when it fills, and databases or queues on it stop.",
              ("Free space now: remove what is safe to remove inside the volume (old logs, dumps, temporary "
               "files), or expand the claim as for KubeletVolumeSpaceLow.",
               "Then find out why the earlier warning was not acted on, and whether the data grows faster than "
               "expected."),
              severity="critical", for_="3m", threshold=0.03, unit="ratio of the volume"),
    PackAlert("KubeletVolumeInodesLow",
              "kubelet_volume_stats_inodes_free{$job} / (kubelet_volume_stats_inodes{$job} > 0) < $threshold",
              f"Volume {_PVC} has {{{{ $value | humanizePercentage }}}} of its inodes free",
              f"The volume of {_PVC} on {{{{ $labels.instance }}}} has had less than $threshold of its inodes free "
              "for $for: once they run out no file can be created, however much space is left.",
              ("Find the directories with the most files: `kubectl -n <namespace> exec <pod> -- sh -c "
               "'find <mount> -xdev -type f | cut -d/ -f1-4 | sort | uniq -c | sort -n | tail'`.",
               "Delete or archive the small files (caches, sessions, spool); a larger volume also gets more inodes "
               "on most filesystems."),
              for_="15m", threshold=0.1, unit="ratio of inodes"),
    PackAlert("KubeletEvictingPods",
              "sum by (instance, eviction_signal) (increase(kubelet_evictions{$job}[15m])) > 0",
              "The kubelet of {{ $labels.instance }} is evicting pods ({{ $labels.eviction_signal }})",
              "The kubelet of {{ $labels.instance }} evicted pods in the last 15 minutes because "
              "{{ $labels.eviction_signal }} crossed its eviction threshold: the node is short of memory, disk or "
              "PIDs, and the evicted pods restart elsewhere or stay pending.",
              ("`kubectl describe node <instance>`: the conditions (MemoryPressure, DiskPressure, PIDPressure) and "
               "events say which resource ran short.",
               "`kubectl get pods -A --field-selector spec.nodeName=<instance>` and `kubectl top pods -A` find the "
               "heavy users; set requests and limits on them, or clean the node's disk (`crictl rmi --prune`)."),
              for_="0s"),
    PackAlert("KubeletClientCertificateExpiring", "kubelet_certificate_manager_client_ttl_seconds{$job} < $threshold",
              "The client certificate of the kubelet on {{ $labels.instance }} expires in "
              "{{ $value | humanizeDuration }}",
              "The certificate the kubelet of {{ $labels.instance }} uses towards the API server expires within "
              "$duration and has not been renewed: rotation is failing. When it expires the node goes NotReady.",
              ("Look for the kubelet's certificate signing requests: `kubectl get csr --sort-by=.metadata."
               "creationTimestamp | tail`; Pending ones need approving (`kubectl certificate approve <name>`), or "
               "the approver (kube-controller-manager's csrapproving controller) is not running.",
               f"From {_NODE_SHELL}: `journalctl -u kubelet | grep -i certificate` gives the renewal errors; "
               "`openssl x509 -enddate -noout -in /var/lib/kubelet/pki/kubelet-client-current.pem` the expiry."),
              for_="15m", threshold=7 * 86400, unit="seconds"),
    PackAlert("KubeletClientCertificateExpiresVerySoon",
              "kubelet_certificate_manager_client_ttl_seconds{$job} < $threshold",
              "The client certificate of the kubelet on {{ $labels.instance }} expires in "
              "{{ $value | humanizeDuration }}",
              "The kubelet of {{ $labels.instance }} will lose access to the API server within $duration, when its "
              "client certificate expires: the node then goes NotReady and its pods are evicted.",
              ("Approve its pending CSR now (`kubectl get csr`, `kubectl certificate approve <name>`), or re-join "
               "the node (`kubeadm join`, or the installer's node replacement) before the certificate expires.",
               "Then see KubeletClientCertificateExpiring for why rotation failed."),
              severity="critical", for_="2m", threshold=86400, unit="seconds"),
), rows=(
    ("Kubelets", (
        PackPanel("Kubelets up", (("sum(up{$sel})", "up"), ("count(up{$sel} == 0)", "down")),
                  type="stat", width=6, key=True),
        PackPanel("Running pods", (("kubelet_running_pods{$sel}", "{{instance}}"),), key=True),
        PackPanel("Running containers", (('kubelet_running_containers{$sel, container_state="running"}',
                                          "{{instance}}"),)),
        PackPanel("PLEG relist p99", (("histogram_quantile(0.99, sum by (instance, le) "
                                       "(rate(kubelet_pleg_relist_duration_seconds_bucket{$sel}[$__rate_interval])))",
                                       "{{instance}}"),), unit="s", min=0, key=True),
    )),
    ("Container runtime and pods", (
        PackPanel("Runtime calls", (("sum by (operation_type) (rate(kubelet_runtime_operations_total{$sel}"
                                     "[$__rate_interval]))", "{{operation_type}}"),), unit="ops"),
        PackPanel("Runtime errors", (("sum by (operation_type) (rate(kubelet_runtime_operations_errors_total{$sel}"
                                      "[$__rate_interval]))", "{{operation_type}}"),), unit="ops"),
        PackPanel("Runtime call p99", (("histogram_quantile(0.99, sum by (operation_type, le) "
                                        "(rate(kubelet_runtime_operations_duration_seconds_bucket{$sel}"
                                        "[$__rate_interval])))", "{{operation_type}}"),), unit="s", min=0),
        PackPanel("Pod start p99", (("histogram_quantile(0.99, sum by (instance, le) "
                                     "(rate(kubelet_pod_start_sli_duration_seconds_bucket{$sel}[$__rate_interval])))",
                                     "{{instance}}"),), unit="s", min=0,
                  description="From pod creation to all containers started, image pulls left out."),
        PackPanel("Evictions", (("sum by (instance, eviction_signal) (increase(kubelet_evictions{$sel}"
                                 "[$__rate_interval]))", "{{instance}} {{eviction_signal}}"),)),
    )),
    ("Volumes and certificates", (
        PackPanel("Volume space used", (("1 - kubelet_volume_stats_available_bytes{$sel} / "
                                         "(kubelet_volume_stats_capacity_bytes{$sel} > 0)",
                                         "{{namespace}}/{{persistentvolumeclaim}}"),),
                  unit="percentunit", min=0, max=1, key=True),
        PackPanel("Volume inodes used", (("1 - kubelet_volume_stats_inodes_free{$sel} / "
                                          "(kubelet_volume_stats_inodes{$sel} > 0)",
                                          "{{namespace}}/{{persistentvolumeclaim}}"),),
                  unit="percentunit", min=0, max=1),
        PackPanel("Client certificate expires in", (("kubelet_certificate_manager_client_ttl_seconds{$sel}",
                                                     "{{instance}}"),), unit="s"),
    )),
))
