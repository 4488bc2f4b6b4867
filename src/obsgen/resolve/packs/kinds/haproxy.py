"""HAProxy, scraped on its own Prometheus endpoint (the built-in prometheus-exporter service, "promex"):
no separate exporter, so a failed scrape means HAProxy itself, or its metrics frontend, is not answering.
Written for obsgen from the metrics in core/exporters/haproxy.yaml."""
from __future__ import annotations

from obsgen.resolve.packs.data import Pack, PackAlert, PackPanel

_SOCK = "echo 'show stat' | socat stdio /var/run/haproxy/admin.sock"  # the runtime API; the socket path varies

PACK = Pack("haproxy", "HAProxy", (
    PackAlert("HaproxyMetricsEndpointDown", "up{$job} == 0",
              "HAProxy on {{ $labels.instance }} does not answer its metrics endpoint",
              "Prometheus has failed to scrape HAProxy's own /metrics on {{ $labels.instance }} (job "
              "{{ $labels.job }}) for $for: HAProxy is down, or the frontend serving prometheus-exporter is, and the "
              "other HAProxy alerts of this service are blind until it is back.",
              ("Is the process up? `systemctl status haproxy` (or the pod's status), then `journalctl -u haproxy -n 100` "
               "for a failed reload or a configuration error (`haproxy -c -f /etc/haproxy/haproxy.cfg`).",
               "From the Prometheus host, `curl -sv http://<instance>/metrics | head`: a refused connection means the "
               "metrics frontend is not bound; a 404 means its `http-request use-service prometheus-exporter` rule "
               "does not match the path.",
               "If HAProxy is up but traffic fails too, treat it as an outage of everything behind it."),
              severity="critical", for_="2m"),
    PackAlert("HaproxyBackendDown", 'haproxy_backend_status{$job, state="DOWN"} == 1',
              "Backend {{ $labels.proxy }} on {{ $labels.instance }} has no server left",
              "The backend {{ $labels.proxy }} on {{ $labels.instance }} has had no usable server for $for: HAProxy "
              "answers its requests with 503.",
              (f"See which servers are down and why: `{_SOCK} | grep <backend>` (the check_status and last_chk columns).",
               "Check the servers themselves (process, port, health-check path) from the HAProxy host with `curl` on "
               "the address and path the check uses.",
               "If they were put in maintenance on purpose, re-enable them: `set server <backend>/<server> state ready`."),
              severity="critical", for_="1m"),
    PackAlert("HaproxyServerDown", 'haproxy_server_status{$job, state="DOWN"} == 1',
              "Server {{ $labels.server }} of {{ $labels.proxy }} is DOWN on {{ $labels.instance }}",
              "HAProxy on {{ $labels.instance }} has found {{ $labels.server }} in backend {{ $labels.proxy }} failing "
              "its health checks for $for: the other servers carry its share.",
              (f"Read the failing check: `{_SOCK} | grep <server>` shows check_status (L4CON refused, L4TOUT timeout, "
               "L7STS wrong HTTP status) and check_desc.",
               "Fix or restart the server; if it is being retired, set it to maintenance so it stops alerting."),
              for_="3m"),
    PackAlert("HaproxyBackendHigh5xxRate",
              'sum by (job, instance, proxy) (rate(haproxy_backend_http_responses_total{$job, code="5xx"}[5m])) / '
              "(sum by (job, instance, proxy) (rate(haproxy_backend_http_responses_total{$job}[5m])) > 0) > $threshold",
              "{{ $value | humanizePercentage }} of the responses of {{ $labels.proxy }} are 5xx",
              "More than $threshold of the HTTP responses of backend {{ $labels.proxy }} on {{ $labels.instance }} "
              "have been 5xx for $for.",
              ("Tell HAProxy's own errors from the servers': in the HAProxy log, termination states starting with `s` "
               "or `S` and status 503 are HAProxy giving up on a server; others are the application's.",
               "Check the application's logs and latest deploy behind the backend; roll back if it started with it."),
              for_="5m", threshold=0.05, unit="ratio of responses"),
    PackAlert("HaproxyBackendConnectionErrors",
              "rate(haproxy_backend_connection_errors_total{$job}[5m]) / "
              "(rate(haproxy_backend_connection_attempts_total{$job}[5m]) > 0) > $threshold",
              "{{ $value | humanizePercentage }} of the connections of {{ $labels.proxy }} to its servers fail",
              "More than $threshold of the connection attempts from backend {{ $labels.proxy }} on "
              "{{ $labels.instance }} to its servers have failed for $for: requests are retried or answered 503.",
              (f"Find the servers refusing or timing out: `{_SOCK} | grep <backend>` (econ per server).",
               "Check the servers' listen backlog and connection limits, and the network between HAProxy and them "
               "(`ss -s` on a server, `nc -zv <server> <port>` from HAProxy)."),
              for_="5m", threshold=0.05, unit="ratio of connection attempts"),
    PackAlert("HaproxyBackendQueueing", "haproxy_backend_current_queue{$job} > $threshold",
              "{{ $value }} requests are queued in backend {{ $labels.proxy }}",
              "More than $threshold requests have been waiting in the queue of backend {{ $labels.proxy }} on "
              "{{ $labels.instance }} for $for: its servers are at their maxconn, and clients wait.",
              ("Are the servers slower than usual (the backend's response time panel) or is the traffic higher?",
               "Add servers or raise the servers' `maxconn` if they can take more; see `timeout queue` for how long a "
               "request may wait before a 503."),
              for_="5m", threshold=10, unit="requests"),
    PackAlert("HaproxyProcessNearMaxconn",
              "haproxy_process_current_connections{$job} / (haproxy_process_max_connections{$job} > 0) > $threshold",
              "HAProxy on {{ $labels.instance }} uses {{ $value | humanizePercentage }} of its maxconn",
              "Connections to HAProxy on {{ $labels.instance }} have been above $threshold of its global maxconn for "
              "$for: at the limit, new connections wait in the kernel's backlog and then fail.",
              ("`echo 'show info' | socat stdio /var/run/haproxy/admin.sock` shows CurrConns, Maxconn and ulimit-n.",
               "Raise `maxconn` in the global section (and the file-descriptor limit with it) if the host has the "
               "memory, or find the client holding connections open."),
              for_="5m", threshold=0.8, unit="ratio of maxconn"),
    PackAlert("HaproxyFrontendNearSessionLimit",
              "haproxy_frontend_current_sessions{$job} / (haproxy_frontend_limit_sessions{$job} > 0) > $threshold",
              "Frontend {{ $labels.proxy }} on {{ $labels.instance }} is at {{ $value | humanizePercentage }} of its "
              "maxconn",
              "Sessions on frontend {{ $labels.proxy }} on {{ $labels.instance }} have been above $threshold of its "
              "maxconn for $for: further clients will wait to be accepted.",
              (f"`{_SOCK} | grep FRONTEND` shows scur against slim per frontend.",
               "Raise the frontend's `maxconn` if the backends can take the load; otherwise find what holds the "
               "sessions (long polling, slow clients: `timeout client`)."),
              for_="5m", threshold=0.8, unit="ratio of the frontend's maxconn"),
), rows=(
    ("Traffic", (
        PackPanel("Requests", (("sum by (instance) (rate(haproxy_frontend_http_requests_total{$sel}[$__rate_interval]))",
                                "{{instance}}"),), unit="reqps", key=True),
        PackPanel("5xx responses by backend",
                  (('sum by (proxy) (rate(haproxy_backend_http_responses_total{$sel, code="5xx"}[$__rate_interval])) / '
                    "sum by (proxy) (rate(haproxy_backend_http_responses_total{$sel}[$__rate_interval]))", "{{proxy}}"),),
                  unit="percentunit", min=0, key=True),
        PackPanel("Sessions by frontend", (("sum by (proxy) (haproxy_frontend_current_sessions{$sel})", "{{proxy}}"),)),
        PackPanel("Bytes", (("sum by (instance) (rate(haproxy_frontend_bytes_in_total{$sel}[$__rate_interval]))",
                             "{{instance}} in"),
                            ("sum by (instance) (rate(haproxy_frontend_bytes_out_total{$sel}[$__rate_interval]))",
                             "{{instance}} out")), unit="Bps"),
    )),
    ("Backends", (
        PackPanel("Servers by state", (("sum by (state) (haproxy_server_status{$sel})", "{{state}}"),), key=True),
        PackPanel("Response time (last 1024 requests)",
                  (("haproxy_backend_response_time_average_seconds{$sel}", "{{instance}} {{proxy}}"),), unit="s", min=0),
        PackPanel("Queued requests", (("haproxy_backend_current_queue{$sel}", "{{instance}} {{proxy}}"),), min=0),
        PackPanel("Connection errors", (("sum by (proxy) (rate(haproxy_backend_connection_errors_total{$sel}"
                                         "[$__rate_interval]))", "{{proxy}}"),), unit="ops", min=0),
    )),
    ("Process", (
        PackPanel("Connections used", (("haproxy_process_current_connections{$sel} / "
                                        "haproxy_process_max_connections{$sel}", "{{instance}}"),),
                  unit="percentunit", min=0, max=1),
        PackPanel("Busy", (("1 - haproxy_process_idle_time_percent{$sel} / 100", "{{instance}}"),),
                  unit="percentunit", min=0, max=1),
        PackPanel("Uptime", (("haproxy_process_uptime_seconds{$sel}", "{{instance}}"),), unit="s", type="stat"),
    )),
))
