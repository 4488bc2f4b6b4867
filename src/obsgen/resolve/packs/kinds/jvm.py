"""A JVM with the Prometheus JMX exporter as its Java agent: the JVM's own metrics (client_java's
JvmMetrics) and the exporter's jmx_* series. The agent runs inside the application, so its target
not being scraped means the application is down. What the user's JMX rules export is theirs to
alert on. Written for obsgen from the metrics of core/exporters/jvm.yaml."""
from __future__ import annotations

from obsgen.resolve.packs.data import Pack, PackAlert, PackPanel

_HEAP = 'jvm_memory_used_bytes{$job, area="heap"} / (jvm_memory_max_bytes{$job, area="heap"} > 0)'

PACK = Pack("jvm", "JVM (JMX exporter)", (
    PackAlert("JvmDown", "up{$job} == 0", "The JVM on {{ $labels.instance }} is not scraped",
              "Prometheus has failed to scrape the JMX exporter agent on {{ $labels.instance }} (job "
              "{{ $labels.job }}) for $for. The agent runs inside the application's JVM: the application is down, "
              "hung or unreachable.",
              ("Check the process or pod (`kubectl get pod`, `systemctl status <unit>`) and its last log lines: an "
               "OutOfMemoryError or a failed start shows there.",
               "If it runs, fetch `http://<instance>/metrics` from the Prometheus host: a timeout from a running JVM "
               "means it is stalled (take a thread dump with `jcmd <pid> Thread.print`)."),
              severity="critical", for_="2m"),
    PackAlert("JvmHeapUsageHigh", f"{_HEAP} > $threshold",
              "The JVM on {{ $labels.instance }} uses {{ $value | humanizePercentage }} of its heap",
              "The heap of the JVM on {{ $labels.instance }} has stayed above $threshold of its maximum for $for: "
              "garbage collection no longer frees enough, so pauses grow and an OutOfMemoryError is near.",
              ("See whether the live data grows (the heap after each GC on the dashboard keeps rising: a leak) or "
               "the load did.",
               "Take a class histogram (`jcmd <pid> GC.class_histogram | head -30`) or a heap dump "
               "(`jcmd <pid> GC.heap_dump /tmp/heap.hprof`) before restarting.",
               "Raise -Xmx (and the container's memory limit with it) if the load is real."),
              for_="10m", threshold=0.9, unit="ratio of the maximum heap"),
    PackAlert("JvmHeapAlmostFull", f"{_HEAP} > $threshold",
              "The JVM on {{ $labels.instance }} has almost no heap left",
              "The heap of the JVM on {{ $labels.instance }} has stayed above $threshold of its maximum for $for: "
              "it spends its time collecting and will fail with OutOfMemoryError.",
              ("Take a heap dump now if you can (`jcmd <pid> GC.heap_dump /tmp/heap.hprof`), then restart the "
               "instance to restore service.",
               "See JvmHeapUsageHigh for finding the cause."),
              severity="critical", for_="3m", threshold=0.97, unit="ratio of the maximum heap"),
    PackAlert("JvmGcOverhead",
              "sum by (instance) (rate(jvm_gc_collection_seconds_sum{$job}[5m])) > $threshold",
              "The JVM on {{ $labels.instance }} spends {{ $value | humanizePercentage }} of its time in GC",
              "The garbage collectors of the JVM on {{ $labels.instance }} have taken more than $threshold of the "
              "wall-clock time for $for: requests stall in the pauses. (For ZGC and Shenandoah this counts their "
              "concurrent work too: raise the threshold.)",
              ("Look at the heap on the dashboard: a heap near its maximum makes GC run back to back (see "
               "JvmHeapUsageHigh).",
               "Otherwise the allocation rate grew: compare with the traffic, and profile allocations "
               "(`jcmd <pid> JFR.start duration=60s filename=/tmp/rec.jfr`)."),
              for_="10m", threshold=0.1, unit="ratio of wall-clock time"),
    PackAlert("JvmThreadsDeadlocked", "jvm_threads_deadlocked{$job} > 0",
              "{{ $value }} threads of the JVM on {{ $labels.instance }} are deadlocked",
              "{{ $value }} threads of the JVM on {{ $labels.instance }} have been waiting on each other's locks for "
              "$for. They never recover: the requests they serve hang, and the pool they belong to shrinks.",
              ("Take a thread dump (`jcmd <pid> Thread.print`): it ends with the deadlock found and the stacks "
               "holding the locks.",
               "Restart the instance to free them, and give the dump to the application's owners."),
              for_="2m"),
    PackAlert("JvmFileDescriptorsHigh",
              "process_open_fds{$job} / (process_max_fds{$job} > 0) > $threshold",
              "The JVM on {{ $labels.instance }} uses {{ $value | humanizePercentage }} of its file descriptors",
              "The JVM on {{ $labels.instance }} has held more than $threshold of its file descriptor limit for "
              "$for: at the limit it can open no file or socket (\"Too many open files\").",
              ("See what is open: `ls -l /proc/<pid>/fd | awk '{print $NF}' | sort | uniq -c | sort -n | tail` "
               "(sockets or files, and which).",
               "A count that only grows is a leak (connections or streams not closed); otherwise raise the limit "
               "(`ulimit -n`, LimitNOFILE)."),
              for_="10m", threshold=0.8, unit="ratio of the file descriptor limit"),
    PackAlert("JvmRestarted", "changes(process_start_time_seconds{$job}[15m]) > 0",
              "The JVM on {{ $labels.instance }} restarted",
              "The JVM on {{ $labels.instance }} started again in the last 15 minutes. Expected on a deploy; "
              "otherwise it crashed or was killed.",
              ("Find why the last one ended: `kubectl describe pod` (OOMKilled: the container limit is below heap "
               "plus native memory) or `journalctl -u <unit>`, and any hs_err_pid*.log it left.",),
              severity="info", for_="0s"),
    PackAlert("JmxScrapeFailing", "jmx_scrape_error{$job} == 1",
              "The JMX exporter on {{ $labels.instance }} fails to read the MBeans",
              "The JMX exporter agent on {{ $labels.instance }} has failed to read the MBeans for $for: the series "
              "its rules make are missing, and alerts on them cannot fire.",
              ("The application's log has the exporter's `JMX scrape failed` line with the exception.",
               "A rule that throws on one MBean, or an MBean that errors, is the usual cause: narrow the rules or "
               "exclude it (excludeObjectNames)."),
              for_="15m"),
), rows=(
    ("Memory", (
        PackPanel("Heap used", ((_HEAP.replace("$job", "$sel"), "{{instance}}"),), unit="percentunit", min=0, max=1,
                  key=True),
        PackPanel("Heap", (('jvm_memory_used_bytes{$sel, area="heap"}', "{{instance}} used"),
                           ('jvm_memory_committed_bytes{$sel, area="heap"}', "{{instance}} committed"),
                           ('jvm_memory_max_bytes{$sel, area="heap"}', "{{instance}} max")), unit="bytes"),
        PackPanel("Heap after GC", (("jvm_memory_pool_collection_used_bytes{$sel}", "{{instance}} {{pool}}"),),
                  unit="bytes", description="What each pool held right after its last collection: live data. "
                                            "A rising line is a leak."),
        PackPanel("Non-heap and direct memory", (('jvm_memory_used_bytes{$sel, area="nonheap"}', "{{instance}} non-heap"),
                                                 ("jvm_buffer_pool_used_bytes{$sel}", "{{instance}} {{pool}} buffers")),
                  unit="bytes"),
    )),
    ("Garbage collection and threads", (
        PackPanel("Time in GC", (("sum by (instance) (rate(jvm_gc_collection_seconds_sum{$sel}[$__rate_interval]))",
                                  "{{instance}}"),), unit="percentunit", min=0, key=True),
        PackPanel("Collections", (("rate(jvm_gc_collection_seconds_count{$sel}[$__rate_interval])",
                                   "{{instance}} {{gc}}"),), unit="ops"),
        PackPanel("Threads", (("jvm_threads_current{$sel}", "{{instance}} live"),
                              ("jvm_threads_daemon{$sel}", "{{instance}} daemon"))),
        PackPanel("Threads by state", (("sum by (state) (jvm_threads_state{$sel})", "{{state}}"),)),
    )),
    ("Process", (
        PackPanel("CPU", (("rate(process_cpu_seconds_total{$sel}[$__rate_interval])", "{{instance}}"),),
                  unit="short", min=0, description="CPU cores in use."),
        PackPanel("Resident memory", (("process_resident_memory_bytes{$sel}", "{{instance}}"),), unit="bytes"),
        PackPanel("File descriptors used", (("process_open_fds{$sel} / (process_max_fds{$sel} > 0)", "{{instance}}"),),
                  unit="percentunit", min=0, max=1),
        PackPanel("Uptime", (("time() - process_start_time_seconds{$sel}", "{{instance}}"),), unit="s"),
    )),
))
