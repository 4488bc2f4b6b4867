"""The golden signals of a service type: where a convention keeps requests, errors and durations,
and the recording rules, alerts and overview dashboard made from them. In expressions, `$requests`
is the request counter, `$errors` the matchers of failed requests, `$bucket` the duration
histogram's buckets, `$job` the job matcher, `$threshold` the alert's threshold, `$per_second`
what turns the histogram's unit into seconds (` / 1000` for milliseconds, else nothing)."""
from __future__ import annotations

from dataclasses import dataclass

from obsgen.resolve.packs.data import Pack, PackAlert, PackPanel, PackRecord


@dataclass(frozen=True)
class Convention:
    requests: str  # counter of requests handled (a histogram's _count counts too)
    errors: str  # matchers of the failed ones
    duration: str  # histogram of durations, without _bucket
    scale: float  # the histogram's unit per second: 1 for seconds, 1000 for milliseconds
    # (name, type, labels, help, buckets or None) for the catalog
    metrics: tuple[tuple[str, str, tuple[str, ...], str, tuple[float, ...] | None], ...]
    saturation: str | None = None  # a query of how busy the process is, where the convention has one


_OTEL_HTTP = "http_server_request_duration_seconds"
# OpenTelemetry's messaging semantic conventions: messaging.process.duration, the time a consumer
# spent processing a message (a job), with error.type set when it failed.
_OTEL_PROCESS = "messaging_process_duration_seconds"
_OTEL_RPC = "rpc_server_duration_milliseconds"
# The OpenTelemetry SDKs' default bucket bounds: seconds for http.server.request.duration (semantic
# conventions' advice), milliseconds for the older rpc.server.duration.
_OTEL_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)
_OTEL_MILLISECONDS = (0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000)
_GRPC_SERVER_ERRORS = "Unknown|DeadlineExceeded|Unimplemented|Internal|Unavailable|DataLoss"

CONVENTIONS: dict[tuple[str, str], Convention] = {
    ("http", "opentelemetry"): Convention(
        f"{_OTEL_HTTP}_count", 'http_response_status_code=~"5.."', _OTEL_HTTP, 1,
        ((_OTEL_HTTP, "histogram", ("http_request_method", "http_response_status_code", "http_route",
                                    "url_scheme", "network_protocol_version", "server_address", "server_port",
                                    "error_type"),
          "Duration of HTTP server requests (OpenTelemetry http.server.request.duration).", _OTEL_SECONDS),)),
    ("http", "prometheus-client"): Convention(
        "http_requests_total", 'code=~"5.."', "http_request_duration_seconds", 1,
        (("http_requests_total", "counter", ("method", "code", "handler"), "HTTP requests handled.", None),
         ("http_request_duration_seconds", "histogram", ("method", "code", "handler"),
          "Duration of HTTP requests.", None)),
        saturation="rate(process_cpu_seconds_total{$sel}[$__rate_interval])"),
    ("worker", "opentelemetry"): Convention(
        f"{_OTEL_PROCESS}_count", 'error_type!=""', _OTEL_PROCESS, 1,
        ((_OTEL_PROCESS, "histogram", ("messaging_system", "messaging_operation_name", "messaging_destination_name",
                                       "messaging_consumer_group_name", "error_type", "server_address"),
          "Time spent processing messages (jobs) taken from a queue (OpenTelemetry messaging.process.duration).",
          _OTEL_SECONDS),)),
    ("grpc", "opentelemetry"): Convention(
        f"{_OTEL_RPC}_count", 'rpc_grpc_status_code=~"2|4|12|13|14|15"', _OTEL_RPC, 1000,
        ((_OTEL_RPC, "histogram", ("rpc_system", "rpc_service", "rpc_method", "rpc_grpc_status_code",
                                   "server_address", "server_port"),
          "Duration of RPC server calls (OpenTelemetry rpc.server.duration), in milliseconds.",
          _OTEL_MILLISECONDS),)),
    ("grpc", "prometheus-client"): Convention(
        "grpc_server_handled_total", f'grpc_code=~"{_GRPC_SERVER_ERRORS}"', "grpc_server_handling_seconds", 1,
        (("grpc_server_handled_total", "counter", ("grpc_type", "grpc_service", "grpc_method", "grpc_code"),
          "RPCs completed on the server, by status code.", None),
         ("grpc_server_handling_seconds", "histogram", ("grpc_type", "grpc_service", "grpc_method"),
          "Time the server took to handle RPCs (go-grpc-prometheus' handling-time histogram).", None)),
        saturation="rate(process_cpu_seconds_total{$sel}[$__rate_interval])"),
}

# What the server's failures are, in words, per type.
_FAILED = {"http": "5xx responses", "grpc": "server-side error codes"}
_PREFIX = {"http": "Http", "grpc": "Grpc"}
# Recorded per job; names apart from the usual `job:http_requests:rate5m`, which a spec may record
# itself over all jobs (the same series written by two groups would clash).
_RECORD = {"http": "http_server_requests", "grpc": "grpc_server_requests"}


def pack(kind: str) -> Pack:
    """The pack of a service type (http, grpc, worker, batch), over the placeholders above."""
    if kind == "worker":
        return WORKER
    if kind == "batch":
        return BATCH
    p, r, failed = _PREFIX[kind], _RECORD[kind], _FAILED[kind]
    rate, errors = f"job:{r}:rate5m", f"job:{r}_failed:rate5m"
    return Pack(kind, f"{kind.upper() if kind == 'http' else 'gRPC'} service", (
        PackAlert(f"{p}TargetDown", "up{$job} == 0", "{{ $labels.instance }} of {{ $labels.job }} is not scraped",
                  "Prometheus has failed to scrape {{ $labels.instance }} for $for: it is down, or its metrics "
                  "endpoint is.",
                  ("Check the instance's process or pod, its restarts and its log.",
                   "If it runs, fetch its /metrics from the Prometheus host."),
                  for_="5m", category="application"),
        PackAlert(f"{p}HighErrorRate", f"{errors}{{$job}} / {rate}{{$job}} > $threshold",
                  f"{{{{ $labels.job }}}} answers {{{{ $value | humanizePercentage }}}} of requests with {failed}",
                  f"More than $threshold of the requests to {{{{ $labels.job }}}} have ended in {failed} for "
                  "$for.",
                  ("The overview dashboard's error panel shows since when, and by route or method.",
                   "A deploy at that time: roll it back. A dependency failing: see its dashboard (rows below).",
                   "Read the service's log for the errors' cause."),
                  for_="10m", threshold=0.05, unit="ratio of requests", category="application"),
        PackAlert(f"{p}HighLatency",
                  "histogram_quantile(0.99, sum by (job, le) (rate($bucket{$job}[5m])))$per_second > $threshold",
                  "{{ $labels.job }} answers 1% of requests in more than {{ $value | humanizeDuration }}",
                  "The 99th percentile of the request durations of {{ $labels.job }} has been above ${threshold}s "
                  "for $for.",
                  ("The latency panel shows whether all requests slowed or only the slowest.",
                   "Saturation (CPU) and the dependencies' panels show where the time goes."),
                  for_="10m", threshold=1, unit="seconds", category="application"),
    ), rows=(
        ("Traffic and errors", (
            PackPanel("Requests", ((f"{rate}{{$job}}", "{{job}}"),), unit="reqps", key=True),
            PackPanel("Error ratio", ((f"{errors}{{$job}} / {rate}{{$job}}", "{{job}}"),), unit="percentunit",
                      min=0, key=True),
            PackPanel("Requests by instance", (("sum by (instance) (rate($requests{$sel}[$__rate_interval]))",
                                                "{{instance}}"),), unit="reqps"),
        )),
        ("Latency", (
            PackPanel("Latency percentiles", tuple(
                (f"histogram_quantile({q}, sum by (le) (rate($bucket{{$sel}}[$__rate_interval])))$per_second",
                 f"p{q[2:] if len(q) > 3 else q[2:] + '0'}") for q in ("0.5", "0.9", "0.99")), unit="s", key=True),
        )),
    ), records=(
        PackRecord(rate, "sum by (job) (rate($requests{$job}[5m]))"),
        PackRecord(errors, "sum by (job) (rate($requests{$job, $errors}[5m]))"),
    ))


# How busy the process is, where the convention has a metric for it (the client libraries' process
# collector): a row of its own on the overview.
SATURATION = ("Saturation", (PackPanel("CPU used", (("$saturation", "{{instance}}"),), unit="percentunit", min=0),))

# Latency SLO threshold per type, in seconds: a bucket of every convention's default buckets.
LATENCY_THRESHOLDS = {"http": 0.5, "grpc": 0.5, "worker": 10.0}

_JOBS, _FAILED_JOBS = "job:worker_jobs:rate5m", "job:worker_jobs_failed:rate5m"

# A worker: the jobs it processes and fails from its convention (OpenTelemetry's messaging
# conventions, or the service's own names); its queue's backlog and the age of the oldest waiting
# job from the gauges the service names (no convention has them), each alert only where named.
WORKER = Pack("worker", "Queue worker", (
    PackAlert("WorkerTargetDown", "up{$job} == 0", "{{ $labels.instance }} of {{ $labels.job }} is not scraped",
              "Prometheus has failed to scrape the worker {{ $labels.instance }} for $for: it is down, or its "
              "metrics endpoint is; the jobs it would take wait meanwhile.",
              ("Check the worker's process or pod, its restarts and its log.",
               "If it runs, fetch its /metrics from the Prometheus host."),
              for_="5m", category="application"),
    PackAlert("WorkerHighFailureRatio", f"{_FAILED_JOBS}{{$job}} / ({_JOBS}{{$job}} > 0) > $threshold",
              "{{ $labels.job }} fails {{ $value | humanizePercentage }} of the jobs it processes",
              "More than $threshold of the jobs {{ $labels.job }} processed have failed for $for: they are "
              "retried, dead-lettered or lost, as its queue says.",
              ("The overview dashboard's failure panel shows since when; its log says why (error.type names the "
               "kind of failure).",
               "A deploy at that time: roll it back. A dependency failing: see its dashboard (rows below).",
               "Look at the dead-letter queue before replaying what failed."),
              for_="10m", threshold=0.05, unit="ratio of jobs", category="application"),
    # Its threshold stays under the default buckets' last bound (10 s): a quantile past it reads as
    # that bound, and an alert above it could never fire.
    PackAlert("WorkerSlowProcessing",
              "histogram_quantile(0.99, sum by (job, le) (rate($bucket{$job}[5m])))$per_second > $threshold",
              "{{ $labels.job }} takes {{ $value | humanizeDuration }} for 1% of its jobs",
              "The 99th percentile of the time {{ $labels.job }} spends on a job has been above ${threshold}s for "
              "$for: the queue drains more slowly.",
              ("The processing-time panel shows whether every job slowed or only the slowest.",
               "Saturation and the dependencies' panels show where the time goes."),
              for_="15m", threshold=5, unit="seconds", category="application"),
    PackAlert("WorkerBacklogHigh", "max by (job) ($backlog{$job}) > $threshold",
              "{{ $value }} jobs wait for {{ $labels.job }}",
              "More than $threshold jobs have been waiting in the queue of {{ $labels.job }} for $for: the "
              "workers do not keep up with what arrives.",
              ("Compare the rate jobs arrive with the rate the workers finish them (the throughput panel).",
               "Scale the workers out if the load grew; find the slow or failing jobs if it did not."),
              for_="15m", threshold=1000, unit="jobs", category="application", needs="signals.backlog"),
    PackAlert("WorkerStalled", f"max by (job) ($backlog{{$job}}) > 0 and on (job) {_JOBS}{{$job}} == 0",
              "{{ $labels.job }} processes nothing while jobs wait",
              "Jobs have been waiting for {{ $labels.job }} for $for and it has finished none: every worker is "
              "stuck, crashed, or cannot reach the queue.",
              ("Are the workers running and connected to the queue? Their log, and the queue's own view of its "
               "consumers.",
               "A job that hangs every worker in turn (a poison message): find it and move it aside."),
              severity="critical", for_="10m", category="application", needs="signals.backlog"),
    PackAlert("WorkerOldestJobTooOld", "max by (job) ($oldest_age{$job}) > $threshold",
              "The oldest job waiting for {{ $labels.job }} has waited {{ $value | humanizeDuration }}",
              "A job has been waiting more than $duration in the queue of {{ $labels.job }} for $for: whatever "
              "depends on it is late.",
              ("See WorkerBacklogHigh and WorkerStalled: the workers are behind or stuck.",
               "A job that is never taken (no worker subscribes to its kind) also ages: check the routing."),
              for_="5m", threshold=600, unit="seconds", category="application", needs="signals.oldest_age"),
), rows=(
    ("Throughput and failures", (
        PackPanel("Jobs processed", ((f"{_JOBS}{{$job}}", "{{job}}"),), unit="ops", key=True),
        PackPanel("Failure ratio", ((f"{_FAILED_JOBS}{{$job}} / ({_JOBS}{{$job}} > 0)", "{{job}}"),),
                  unit="percentunit", min=0, key=True),
        PackPanel("Jobs by instance", (("sum by (instance) (rate($requests{$sel}[$__rate_interval]))",
                                        "{{instance}}"),), unit="ops"),
    )),
    ("Processing time", (
        PackPanel("Processing time percentiles", tuple(
            (f"histogram_quantile({q}, sum by (le) (rate($bucket{{$sel}}[$__rate_interval])))$per_second",
             f"p{q[2:] if len(q) > 3 else q[2:] + '0'}") for q in ("0.5", "0.9", "0.99")), unit="s"),
    )),
    ("Queue", (
        PackPanel("Backlog", (("max by (job) ($backlog{$sel})", "{{job}}"),), key=True, needs="signals.backlog"),
        PackPanel("Oldest job's age", (("max by (job) ($oldest_age{$sel})", "{{job}}"),), unit="s",
                  needs="signals.oldest_age"),
    )),
), records=(
    PackRecord(_JOBS, "sum by (job) (rate($requests{$job}[5m]))"),
    PackRecord(_FAILED_JOBS, "sum by (job) (rate($requests{$job, $errors}[5m]))"),
))

# A batch job: whether it succeeded recently enough, from the gauge it sets at the end of each good
# run (the service names it: signals.last_success); its failed runs where it counts runs
# (signals.requests and errors).
BATCH = Pack("batch", "Batch job", (
    PackAlert("BatchJobNotSucceeded", "time() - max by (job) ($last_success{$job}) > $threshold",
              "{{ $labels.job }} last succeeded {{ $value | humanizeDuration }} ago",
              "{{ $labels.job }} has not completed a run successfully for more than $duration: its runs fail, "
              "hang, or are no longer started (a schedule, a suspended CronJob).",
              ("When did it last run, and how did it end? The scheduler's history (`kubectl get jobs`, the cron "
               "log) and the run's log.",
               "Start it by hand once the cause is fixed, and check that the next scheduled run succeeds."),
              for_="10m", threshold=93600, unit="seconds", category="application", needs="signals.last_success"),
    PackAlert("BatchRunsFailing", "sum by (job) (increase($requests{$job, $errors}[1h])) > $threshold",
              "{{ $value }} runs of {{ $labels.job }} failed in the last hour",
              "More than $threshold runs of {{ $labels.job }} have failed in the last hour.",
              ("The failed runs' logs say why; a run that is retried may still succeed (see "
               "BatchJobNotSucceeded).",),
              for_="0s", threshold=0, unit="failed runs in an hour", category="application", needs="signals.errors"),
), rows=(
    ("Runs", (
        PackPanel("Since the last success", (("time() - max by (job) ($last_success{$sel})", "{{job}}"),),
                  unit="s", key=True, needs="signals.last_success"),
        PackPanel("Runs", (("sum by (job) (increase($requests{$sel}[$__rate_interval]))", "{{job}} all"),
                           ("sum by (job) (increase($requests{$sel, $errors}[$__rate_interval]))", "{{job}} failed")),
                  needs="signals.errors"),
    )),
))

TYPES = ("http", "grpc", "worker", "batch")
