"""kube-state-metrics: the state of the cluster's objects as the API server has it. Its alerts are
about the workloads, nodes and volumes it reports on, scoped to the kube-state-metrics job (so a
cluster with two of them, or a test one, is not counted twice). Written for obsgen from the
metrics of core/exporters/kube-state-metrics.yaml."""
from __future__ import annotations

from obsgen.resolve.packs.data import Pack, PackAlert, PackPanel, exporter_down

_POD = "{{ $labels.namespace }}/{{ $labels.pod }}"

PACK = Pack("kube-state-metrics", "Kubernetes objects (kube-state-metrics)", (
    exporter_down("KubeStateMetricsDown", "kube-state-metrics"),
    PackAlert("KubePodCrashLooping",
              'max_over_time(kube_pod_container_status_waiting_reason{$job, reason="CrashLoopBackOff"}[5m]) >= 1',
              f"Container {{{{ $labels.container }}}} of {_POD} is crash-looping",
              f"The container {{{{ $labels.container }}}} of the pod {_POD} has kept failing and being restarted "
              "with a back-off for $for: whatever it serves is down or short of capacity.",
              ("Read why the last run ended: `kubectl -n <namespace> logs <pod> -c <container> --previous`.",
               "`kubectl -n <namespace> describe pod <pod>` shows the exit code and "
               "events: OOMKilled wants more memory, a failing probe a slower start or a fixed endpoint.",
               "If a deploy started it, roll back: `kubectl -n <namespace> rollout undo deployment/<name>`."),
              for_="15m"),
    PackAlert("KubePodNotReady",
              'kube_pod_status_ready{$job, condition="false"} == 1 '
              'and on (namespace, pod) kube_pod_status_phase{$job, phase=~"Pending|Running"} == 1',
              f"Pod {_POD} has not been ready for $for",
              f"The pod {_POD} is pending or running but has failed its readiness for $for: it gets no "
              "traffic from its Services, and its controller counts it as missing.",
              ("`kubectl -n <namespace> describe pod <pod>`: the events say whether it "
               "waits for an image, a volume or a node, or fails its readiness probe.",
               "For a failing probe, read the container's logs and call the probe's endpoint from inside the pod "
               "(`kubectl exec`)."),
              for_="15m"),
    PackAlert("KubeDeploymentReplicasUnavailable",
              "kube_deployment_status_replicas_available{$job} < kube_deployment_spec_replicas{$job}",
              "Deployment {{ $labels.namespace }}/{{ $labels.deployment }} is short of available replicas",
              "The Deployment {{ $labels.namespace }}/{{ $labels.deployment }} has had fewer available pods than "
              "it asks for during $for: a rollout is stuck, or pods cannot be scheduled or do not get ready.",
              ("`kubectl -n <namespace> rollout status deployment/<deployment>` and "
               "`kubectl -n <namespace> get pods` show which pods are missing or not ready.",
               "Pending pods: check the events for insufficient CPU/memory or unbound volumes; failing ones: see "
               "KubePodCrashLooping. Roll back a bad rollout with `kubectl rollout undo`."),
              for_="15m"),
    PackAlert("KubeStatefulSetReplicasNotReady",
              "kube_statefulset_status_replicas_ready{$job} < kube_statefulset_replicas{$job}",
              "StatefulSet {{ $labels.namespace }}/{{ $labels.statefulset }} is short of ready replicas",
              "The StatefulSet {{ $labels.namespace }}/{{ $labels.statefulset }} has had fewer ready pods than it "
              "asks for during $for. Its pods start one at a time, so one stuck pod holds back the ones after it.",
              ("`kubectl -n <namespace> get pods -l <its selector>` and describe the lowest-numbered "
               "pod that is not ready.",
               "A pod stuck Pending usually waits for its volume: check its PVC (`kubectl get pvc`) and the zone "
               "of the PersistentVolume."),
              for_="15m"),
    PackAlert("KubeDaemonSetPodsUnavailable", "kube_daemonset_status_number_unavailable{$job} > 0",
              "DaemonSet {{ $labels.namespace }}/{{ $labels.daemonset }} is missing on {{ $value }} nodes",
              "On {{ $value }} nodes that should run the DaemonSet {{ $labels.namespace }}/{{ $labels.daemonset }} "
              "no pod of it has been available for $for: whatever it does per node (logs, networking, storage, "
              "monitoring) is not done there.",
              ("`kubectl -n <namespace> get pods -o wide -l <its selector>` lists the pods by node; "
               "describe the ones not running.",
               "Taints without a matching toleration and full nodes are the usual causes; a crash is fixed as "
               "for KubePodCrashLooping."),
              for_="15m"),
    PackAlert("KubeJobFailed", 'kube_job_failed{$job, condition="true"} == 1',
              "Job {{ $labels.namespace }}/{{ $labels.job_name }} failed",
              "The Job {{ $labels.namespace }}/{{ $labels.job_name }} has given up: its pods failed more than its "
              "backoffLimit allows or it ran past its deadline. The alert stays until the Job is deleted.",
              ("`kubectl -n <namespace> describe job <job_name>` gives the reason; the "
               "logs of its last pod say what went wrong.",
               "Re-run what is needed, then delete the failed Job (a CronJob's next run does not clear it)."),
              for_="5m"),
    PackAlert("KubePersistentVolumeClaimPending", 'kube_persistentvolumeclaim_status_phase{$job, phase="Pending"} == 1',
              "PVC {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is not bound",
              "The PersistentVolumeClaim {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has been "
              "pending for $for: pods that mount it cannot start. (A storage class with WaitForFirstConsumer "
              "binds only once a pod uses the claim.)",
              ("`kubectl -n <namespace> describe pvc <persistentvolumeclaim>`: the events "
               "say whether the provisioner failed, the storage class is wrong or no volume matches.",
               "Check the CSI provisioner's pods and logs, and the cloud account's volume quota."),
              for_="15m"),
    PackAlert("KubeNodeNotReady", 'kube_node_status_condition{$job, condition="Ready", status="true"} == 0',
              "Node {{ $labels.node }} is not ready",
              "The node {{ $labels.node }} has not reported itself ready for $for: its pods are being evicted and "
              "the cluster has that much less capacity.",
              ("`kubectl describe node <node>`: its conditions and events say whether the kubelet "
               "stopped posting, or memory, disk or PIDs ran out.",
               "On the node: `systemctl status kubelet` and `journalctl -u kubelet`, and the container runtime's "
               "status; replace the node if it does not come back."),
              for_="10m"),
), rows=(
    ("Cluster", (
        PackPanel("Nodes ready", (('sum(kube_node_status_condition{$sel, condition="Ready", status="true"})',
                                   "ready"),
                                  ('sum(kube_node_status_condition{$sel, condition="Ready", status="true"} == bool 0)',
                                   "not ready")), type="stat", width=6, key=True),
        PackPanel("Pods by phase", (("sum by (phase) (kube_pod_status_phase{$sel})", "{{phase}}"),)),
        PackPanel("Pods not ready", (('sum by (namespace) (kube_pod_status_ready{$sel, condition="false"})',
                                      "{{namespace}}"),), key=True),
    )),
    ("Workloads", (
        PackPanel("Crash-looping containers",
                  (('sum by (namespace) (kube_pod_container_status_waiting_reason{$sel, reason="CrashLoopBackOff"})',
                    "{{namespace}}"),), key=True),
        PackPanel("Container restarts", (("sum by (namespace) (increase(kube_pod_container_status_restarts_total"
                                          "{$sel}[$__rate_interval]))", "{{namespace}}"),)),
        PackPanel("Deployment replicas missing", (("sum by (namespace) (kube_deployment_spec_replicas{$sel} - "
                                                   "kube_deployment_status_replicas_available{$sel})",
                                                   "{{namespace}}"),), min=0),
        PackPanel("DaemonSet pods unavailable", (("sum by (namespace) (kube_daemonset_status_number_unavailable{$sel})",
                                                  "{{namespace}}"),), min=0),
    )),
    ("Jobs and storage", (
        PackPanel("Failed jobs", (('sum by (namespace) (kube_job_failed{$sel, condition="true"})', "{{namespace}}"),)),
        PackPanel("Pending PVCs", (('sum by (namespace) (kube_persistentvolumeclaim_status_phase{$sel, phase="Pending"})',
                                    "{{namespace}}"),)),
        PackPanel("Storage requested", (("sum by (namespace) (kube_persistentvolumeclaim_resource_requests_storage_bytes"
                                         "{$sel})", "{{namespace}}"),), unit="bytes"),
    )),
))
