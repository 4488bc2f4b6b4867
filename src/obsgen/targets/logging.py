"""The logging pipeline: Fluent Bit ships each service's JSON logs to its own Elasticsearch data
stream, counts error lines into a Prometheus counter, and Elasticsearch keeps them per the spec's
retention. Written only when the spec has a `logging` section and some service has `logs`.

Files, below logging/:
- `fluent-bit/fluent-bit.yaml`: Fluent Bit's YAML configuration. YAML, not the classic `.conf`:
  the Fluent Bit documentation calls classic mode "phasing out", and since 3.2 YAML configures
  everything, parsers included, so one file holds the whole pipeline (needs Fluent Bit 3.2 or later).
- `elasticsearch/_ilm/policy/<prefix>.json` and `elasticsearch/_index_template/<prefix>.json`: the
  bodies of `PUT _ilm/policy/<prefix>` and `PUT _index_template/<prefix>`; each path is its API path.

Choices that matter:
- Data streams, not Logstash-style daily indices: the template makes `<prefix>-<service>` a data
  stream, rolled over by ILM (size and age), which is what Elasticsearch recommends for logs.
  Data streams only accept `create`, and need `@timestamp`, which Fluent Bit's `es` output adds
  from the record's time: the application's `timestamp`, parsed by the JSON parser.
- Tail inputs buffer on the filesystem (`storage.type filesystem`), so `Mem_Buf_Limit`, which
  only applies to memory buffering, is not set; the memory bound is the service's
  `storage.max_chunks_up`, the disk bound each output's `storage.total_limit_size`.
- One `log_to_metrics` filter counts errors for every service. The Prometheus exporter
  concatenates what each metrics emitter sends, so one filter per service would expose the
  counter's family several times, which Prometheus refuses. Services differ in level key and
  error levels, so each service's own `modify` filter marks its error lines first; the mark is
  removed before the records leave.
- Fluent Bit names the counter `<namespace>_<subsystem>_<name>` and puts the mode (`counter`)
  in place of an empty subsystem, so the spec's `error_metric` is split at its first two
  underscores (`log_errors_total` -> `log`, `errors`, `total`); the checker refuses names that
  cannot be split so.
"""
from __future__ import annotations

import re

from obsgen.core import naming
from obsgen.core.serialise import Artifact, comment_header, to_json, to_yaml
from obsgen.resolve.model import Model
from obsgen.spec import LoggingSpec, ServiceLogsSpec, ServiceSpec

NAME = "logging"
FLUENT_BIT_FILE = "logging/fluent-bit/fluent-bit.yaml"
ES_DIR = "logging/elasticsearch"

JSON_PARSER = "obsgen-json"
# The seeds' structured logger writes `datetime.utcnow().isoformat()`: UTC without an offset,
# which Fluent Bit reads as UTC. A line whose time does not parse keeps the time it was read at.
TIME_KEY = "timestamp"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%L"
METRICS_TAG = "obsgen.log_metrics"
ERROR_MARK = "_obsgen_error"  # set on a service's error lines for log_to_metrics, then removed
TEMPLATE_PRIORITY = 200  # above Elasticsearch's built-in templates (100), e.g. logs-*-*
MANAGED_BY = "obsgen"

# Fields of the seeds' structured logs (and the ones obsgen adds), by Elasticsearch type. Other
# strings are keywords too (dynamic template): exact filters and aggregations (the seeds' term
# query on `level`, terms on `error_type`) work on them without a `.keyword` sub-field.
KEYWORD_FIELDS = ("environment", "error_type", "level", "logger", "service", "span_id", "team", "trace_id")
TEXT_FIELDS = ("error_message", "log", "message")  # `log`: a line that was not JSON, kept whole
DATE_FIELDS = ("@timestamp", TIME_KEY)
KEYWORD_IGNORE_ABOVE = 1024
# Aliases name each plugin instance in Fluent Bit's logs and metrics: `<service>-...` per service,
# `obsgen_...` for the shared ones (a service name, a DNS label, never has `_`).


def tag(service: str) -> str:
    return f"logs.{service}"


def policy_name(logging: LoggingSpec) -> str:
    return logging.elasticsearch.index_prefix


def template_name(logging: LoggingSpec) -> str:
    return logging.elasticsearch.index_prefix


def policy_path(logging: LoggingSpec) -> str:
    return f"{ES_DIR}/_ilm/policy/{policy_name(logging)}.json"


def template_path(logging: LoggingSpec) -> str:
    return f"{ES_DIR}/_index_template/{template_name(logging)}.json"


def _logs(service: ServiceSpec) -> ServiceLogsSpec:
    assert service.logs is not None  # only services with logs get here
    return service.logs


def log_path(service: ServiceSpec) -> str:
    return _logs(service).path or f"/var/log/containers/{service.name}-*.log"


def metric_parts(name: str) -> tuple[str, str, str]:
    """(namespace, subsystem, name) that Fluent Bit's log_to_metrics joins back into `name`."""
    parts = name.split("_", 2)
    # The checker only lets names with two inner underscores through; failing here is a bug.
    assert len(parts) == 3 and all(parts), name
    return parts[0], parts[1], parts[2]


def es_time(text: str) -> str:
    """An obsgen duration in Elasticsearch time units, which have no `w` or `y` (a year is 365d)."""
    ms = round(naming.duration_seconds(text) * 1000)
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def _error_regex(service: ServiceSpec) -> str:
    return "^(" + "|".join(re.escape(level) for level in _logs(service).error_levels) + ")$"


def _input(service: ServiceSpec, storage: str) -> dict:
    out = {
        "name": "tail",
        "alias": f"{service.name}-tail",
        "tag": tag(service.name),
        "path": log_path(service),
        "db": f"{storage}/{service.name}.tail.db",
        "db.locking": True,
        "skip_long_lines": True,
        # Whole lines up to 1M (a JSON line can carry a traceback); longer ones are skipped, not cut.
        "buffer_max_size": "1M",
        "storage.type": "filesystem",
    }
    if _logs(service).format == "json":
        out["parser"] = JSON_PARSER
    else:  # the runtime's wrapper first (it also joins lines the runtime split), JSON in a filter
        out["multiline.parser"] = _logs(service).format
    return out


def _filters(model: Model, service: ServiceSpec) -> list[dict]:
    name, match = service.name, tag(service.name)
    out = []
    if _logs(service).format != "json":
        # Keeps only the application's fields; a line that is not JSON stays as it came, in `log`.
        out.append({"name": "parser", "alias": f"{name}-json", "match": match, "key_name": "log",
                    "parser": JSON_PARSER, "reserve_data": False})
    out.append({"name": "modify", "alias": f"{name}-fields", "match": match,
                "set": [f"service {name}", f"team {service.team}", f"environment {model.env}"]})
    out.append({"name": "modify", "alias": f"{name}-errors", "match": match,
                "condition": f"Key_value_matches {_logs(service).level_key} {_error_regex(service)}",
                "set": f"{ERROR_MARK} true"})
    return out


def _error_counter(logging: LoggingSpec) -> list[dict]:
    namespace, subsystem, name = metric_parts(logging.error_metric)
    return [
        {"name": "log_to_metrics", "alias": "obsgen_error_counter", "match": "logs.*", "tag": METRICS_TAG,
         "metric_mode": "counter", "metric_namespace": namespace, "metric_subsystem": subsystem,
         "metric_name": name, "metric_description": "Log lines at an error level, per service.",
         "regex": f"{ERROR_MARK} ^true$", "label_field": "service"},
        {"name": "modify", "alias": "obsgen_error_unmark", "match": "logs.*", "remove": ERROR_MARK},
    ]


def _es_output(logging: LoggingSpec, service: ServiceSpec) -> dict:
    es, fb = logging.elasticsearch, logging.fluent_bit
    out = {
        "name": "es",
        "alias": f"{service.name}-es",
        "match": tag(service.name),
        "host": es.host,
        "port": es.port,
        "index": naming.log_stream(es.index_prefix, service.name),
        "logstash_format": False,
        # The only operation a data stream accepts. No `generate_id`: Fluent Bit releases without
        # the fix of fluent-bit#11422 retry a chunk whose lines come back 409 (already stored),
        # forever when retries are unlimited; an occasional duplicate line is the lesser harm.
        "write_operation": "create",
        "suppress_type_name": True,  # Elasticsearch 8 has no mapping types
        "time_key": "@timestamp",
        "trace_error": True,
        "retry_limit": fb.retry_limit if fb.retry_limit is not None else "no_limits",
        "storage.total_limit_size": fb.buffer_limit,
    }
    if es.tls:
        out |= {"tls": True, "tls.verify": True}
        if es.ca_file:
            out["tls.ca_file"] = es.ca_file
    if es.username:
        out["http_user"] = es.username
        if es.password_env:
            out["http_passwd"] = "${" + es.password_env + "}"  # read from the environment at start
    return out


def fluent_bit(model: Model, logging: LoggingSpec, services: list[ServiceSpec]) -> dict:
    fb = logging.fluent_bit
    return {
        "service": {
            "flush": 1,
            "log_level": "info",
            "storage.path": fb.storage_path,
            "storage.sync": "normal",
            "storage.backlog.mem_limit": "50M",
            "storage.max_chunks_up": 128,
        },
        "parsers": [{"name": JSON_PARSER, "format": "json", "time_key": TIME_KEY,
                     "time_format": TIME_FORMAT, "time_keep": True}],
        "pipeline": {
            "inputs": [_input(s, fb.storage_path) for s in services],
            "filters": [f for s in services for f in _filters(model, s)] + _error_counter(logging),
            "outputs": [{"name": "prometheus_exporter", "alias": "obsgen_metrics", "match": METRICS_TAG,
                         "host": "0.0.0.0", "port": fb.metrics_port}]
                       + [_es_output(logging, s) for s in services],
        },
    }


def index_template(logging: LoggingSpec) -> dict:
    props: dict[str, dict] = {f: {"type": "date"} for f in DATE_FIELDS}
    props |= {f: {"type": "keyword", "ignore_above": KEYWORD_IGNORE_ABOVE} for f in KEYWORD_FIELDS}
    props |= {f: {"type": "text"} for f in TEXT_FIELDS}
    return {
        "index_patterns": [f"{logging.elasticsearch.index_prefix}-*"],
        "data_stream": {},
        "priority": TEMPLATE_PRIORITY,
        "template": {
            "settings": {"index.lifecycle.name": policy_name(logging)},
            "mappings": {
                "dynamic_templates": [{"strings_as_keywords": {
                    "match_mapping_type": "string",
                    "mapping": {"type": "keyword", "ignore_above": KEYWORD_IGNORE_ABOVE}}}],
                "properties": dict(sorted(props.items())),
            },
        },
        "_meta": {"managed_by": MANAGED_BY, "description": "structured service logs shipped by Fluent Bit"},
    }


def ilm_policy(logging: LoggingSpec) -> dict:
    r = logging.retention
    # Ages count from rollover, when a backing index stops taking writes.
    return {"policy": {
        "_meta": {"managed_by": MANAGED_BY},
        "phases": {
            "hot": {"min_age": "0ms", "actions": {
                "rollover": {"max_age": es_time(r.rollover_max_age),
                             "max_primary_shard_size": r.rollover_max_primary_shard_size},
                "set_priority": {"priority": 100}}},
            "warm": {"min_age": es_time(r.warm_after), "actions": {"set_priority": {"priority": 50}}},
            "cold": {"min_age": es_time(r.cold_after), "actions": {"set_priority": {"priority": 0}}},
            "delete": {"min_age": es_time(r.delete_after), "actions": {"delete": {}}},
        },
    }}


def header(model: Model, logging: LoggingSpec, services: list[ServiceSpec]) -> str:
    es = logging.elasticsearch
    scheme = "https" if es.tls else "http"
    lines = [
        model.header(),
        f"Fluent Bit (3.2 or later) for environment {model.env}: ships the JSON logs of "
        f"{', '.join(s.name for s in services)} to Elasticsearch {es.host}:{es.port}, one data stream "
        f"each ({es.index_prefix}-<service>), and serves `{logging.error_metric}` on port "
        f"{logging.fluent_bit.metrics_port} for Prometheus.",
        "Before the first start, load the lifecycle policy, then the index template, as a user with the "
        "manage_ilm and manage_index_templates privileges (curl -u USER; paths relative to this "
        "environment's folder):",
        f"  curl -X PUT -H 'Content-Type: application/json' --data-binary @{policy_path(logging)} "
        f"{scheme}://{es.host}:{es.port}/_ilm/policy/{policy_name(logging)}",
        f"  curl -X PUT -H 'Content-Type: application/json' --data-binary @{template_path(logging)} "
        f"{scheme}://{es.host}:{es.port}/_index_template/{template_name(logging)}",
        "Run: fluent-bit -c fluent-bit.yaml",
    ]
    if es.username and es.password_env:
        lines.append(f"Needs the environment variable {es.password_env}: the password of {es.username}.")
    return "\n".join(lines)


class LoggingTarget:
    name = NAME

    def generate(self, model: Model) -> list[Artifact]:
        logging = model.spec.logging
        services = [s for s in model.services if s.logs is not None]
        if logging is None or not services:
            return []
        return [
            Artifact(FLUENT_BIT_FILE, comment_header(header(model, logging, services))
                     + to_yaml(fluent_bit(model, logging, services))),
            Artifact(policy_path(logging), to_json(ilm_policy(logging))),
            Artifact(template_path(logging), to_json(index_template(logging))),
        ]
