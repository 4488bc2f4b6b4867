"""Open-source NGINX through nginx/nginx-prometheus-exporter reading stub_status: whether NGINX answers,
connections it could not handle, connection load and restarts. stub_status has no status codes or
latencies: watch those from the services behind NGINX, or from its access logs. Written for obsgen from
the metrics of core/exporters/nginx.yaml (the NGINX Plus ones, nginxplus_*, need --nginx.plus)."""
from __future__ import annotations

from obsgen.resolve.packs.data import Pack, PackAlert, PackPanel, exporter_down

PACK = Pack("nginx", "NGINX", (
    exporter_down("NginxExporterDown", "NGINX"),
    PackAlert("NginxDown", "nginx_up{$job} == 0", "NGINX behind {{ $labels.instance }} is not answering",
              "nginx-prometheus-exporter on {{ $labels.instance }} has failed to read NGINX's stub_status page for "
              "$for: NGINX is down, or the status location is unreachable or broken.",
              ("Check NGINX itself: `systemctl status nginx` (or the pod's state and logs) and "
               "`tail /var/log/nginx/error.log`.",
               "Fetch the page the exporter reads (its --nginx.scrape-uri, `curl -sv http://127.0.0.1:8080/stub_status`): "
               "a refused connection means NGINX is down or not listening there, a 403 or 404 a changed config "
               "(`nginx -T | grep -B3 stub_status`)."),
              severity="critical", for_="1m"),
    PackAlert("NginxDroppedConnections",
              "increase(nginx_connections_accepted{$job}[5m]) - increase(nginx_connections_handled{$job}[5m]) "
              "> $threshold",
              "NGINX on {{ $labels.instance }} dropped {{ $value | humanize }} connections",
              "NGINX on {{ $labels.instance }} accepted connections in the last 5 minutes that it then closed "
              "without handling: it ran out of worker_connections or of file descriptors, and those clients "
              "saw failures.",
              ("`grep -e 'worker_connections are not enough' -e 'Too many open files' /var/log/nginx/error.log` "
               "says which limit was hit.",
               "Raise worker_connections (and worker_rlimit_nofile, and the service's file limit) to match, "
               "then `nginx -t && nginx -s reload`."),
              for_="0s", threshold=0, unit="connections in 5 minutes"),
    PackAlert("NginxTooManyConnections", "nginx_connections_active{$job} > $threshold",
              "NGINX on {{ $labels.instance }} holds {{ $value }} connections",
              "NGINX on {{ $labels.instance }} has held more than $threshold client connections for $for. Each "
              "worker can hold worker_connections (proxied requests use two): set this threshold to about 80% "
              "of worker_processes x worker_connections of this server.",
              ("See what the connections do on the dashboard: many waiting ones are idle keepalives "
               "(lower keepalive_timeout), many writing ones are requests stuck on slow upstreams.",
               "Raise worker_connections and the file limit if the load is real, or add instances."),
              for_="10m", threshold=3000, unit="connections"),
    PackAlert("NginxRestarted",
              "nginx_connections_accepted{$job} < max_over_time(nginx_connections_accepted{$job}[15m])",
              "NGINX on {{ $labels.instance }} restarted",
              "The counters of NGINX on {{ $labels.instance }} started over in the last 15 minutes: NGINX was "
              "restarted (a reload keeps them). Open connections were cut, and an unplanned restart may repeat.",
              ("Was it planned? Check the deploy history and `journalctl -u nginx --since -15min` (or the pod's "
               "restart count and last state).",
               "If it crashed, the error log names the signal (`worker process ... exited on signal`)."),
              severity="info", for_="1m"),
), rows=(
    ("Availability and connections", (
        PackPanel("Up", (("nginx_up{$sel}", "{{instance}}"),), type="stat", width=6, key=True),
        PackPanel("Connections", (("nginx_connections_active{$sel}", "{{instance}} active"),
                                  ("nginx_connections_reading{$sel}", "{{instance}} reading"),
                                  ("nginx_connections_writing{$sel}", "{{instance}} writing"),
                                  ("nginx_connections_waiting{$sel}", "{{instance}} waiting")), min=0),
        PackPanel("Connections accepted and handled",
                  (("rate(nginx_connections_accepted{$sel}[$__rate_interval])", "{{instance}} accepted"),
                   ("rate(nginx_connections_handled{$sel}[$__rate_interval])", "{{instance}} handled")),
                  unit="ops", min=0),
        PackPanel("Dropped connections",
                  (("rate(nginx_connections_accepted{$sel}[$__rate_interval]) - "
                    "rate(nginx_connections_handled{$sel}[$__rate_interval])", "{{instance}}"),), unit="ops", min=0,
                  description="Connections accepted but closed unhandled: a worker_connections or file limit."),
    )),
    ("Requests", (
        PackPanel("Requests", (("rate(nginx_http_requests_total{$sel}[$__rate_interval])", "{{instance}}"),),
                  unit="reqps", min=0, key=True),
        PackPanel("Requests per connection",
                  (("rate(nginx_http_requests_total{$sel}[$__rate_interval]) / "
                    "(rate(nginx_connections_handled{$sel}[$__rate_interval]) > 0)", "{{instance}}"),), min=0,
                  description="How many requests a connection carries: near 1 means clients do not keep "
                              "connections alive."),
    )),
))
