"""The logging target: Fluent Bit's YAML configuration, the Elasticsearch index template and ILM
policy, checked against the structure their documentation (and Fluent Bit's plugin sources)
give. No Fluent Bit binary can be installed from the registries this project uses (no Debian or
PyPI package), so its `--dry-run` cannot run here."""
from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from obsgen.core import naming
from obsgen.api import load_texts
from obsgen.targets.logging import LoggingTarget, es_time, metric_parts

SCHEMAS = json.loads((Path(__file__).parent / "fixtures" / "logging_es_schemas.json").read_text())

SPEC = """\
apiVersion: obsgen/v1
teams:
  - name: payments
  - name: web
services:
  - name: checkout
    team: payments
    logs: {}
  - name: storefront
    team: web
    logs: {path: /var/log/storefront/*.log, format: json, level_key: severity, error_levels: [error, fatal]}
  - name: search
    team: web
    logs: {format: docker}
  - name: batch
    team: web
logging:
  elasticsearch: {host: es.logging, tls: true, ca_file: /etc/fluent-bit/ca.crt, username: fluent-bit,
                  password_env: ES_PASSWORD, index_prefix: shop-logs}
  retention: {warm_after: 30d, cold_after: 1y, delete_after: 7y, rollover_max_age: 12h}
  fluent_bit: {retry_limit: null, metrics_port: 2025, buffer_limit: 2G}
  error_metric: shop_log_errors_total
environments:
  production: {}
  staging: {}
"""
LOGGED = ("checkout", "search", "storefront")


def models(text: str = SPEC):
    project = load_texts({"spec.yaml": text})
    assert project.ok, project.diagnostics
    return project.models


def files(model) -> dict[str, str]:
    return {a.path: a.content for a in LoggingTarget().generate(model)}


def fluent_bit(model) -> dict:
    return YAML(typ="safe").load(files(model)["logging/fluent-bit/fluent-bit.yaml"])


# ------------------------------------------------------------------ Fluent Bit's documented structure
# Keys each plugin accepts (its config map in the Fluent Bit sources, plus the properties every
# input, filter or output has), and the ones obsgen's pipeline cannot do without.
SECTIONS = {"service", "parsers", "multiline_parsers", "pipeline", "env", "includes", "plugins", "upstream_servers"}
SERVICE_KEYS = {"flush", "grace", "daemon", "log_level", "log_file", "parsers_file", "plugins_file", "http_server",
                "http_listen", "http_port", "hot_reload", "storage.path", "storage.sync", "storage.checksum",
                "storage.backlog.mem_limit", "storage.max_chunks_up", "storage.metrics",
                "storage.delete_irrecoverable_chunks", "scheduler.base", "scheduler.cap"}
PARSER_KEYS = {"name", "format", "regex", "time_key", "time_format", "time_keep", "time_offset", "time_strict",
               "types", "decode_field", "decode_field_as", "skip_empty_values"}
BUILTIN_MULTILINE = {"docker", "cri", "go", "python", "java", "ruby"}
COMMON = {"input": {"name", "tag", "alias", "log_level", "storage.type", "storage.pause_on_chunks_overlimit",
                    "mem_buf_limit", "threaded", "processors"},
          "filter": {"name", "match", "match_regex", "alias", "log_level"},
          "output": {"name", "match", "match_regex", "alias", "log_level", "host", "port", "retry_limit", "workers",
                     "storage.total_limit_size", "tls", "tls.verify", "tls.ca_file", "tls.ca_path", "tls.crt_file",
                     "tls.key_file", "tls.vhost", "processors"}}
PLUGINS = {
    ("input", "tail"): ({"path"}, {"path", "exclude_path", "db", "db.locking", "db.sync", "db.journal_mode",
                                   "skip_long_lines", "buffer_chunk_size", "buffer_max_size", "parser",
                                   "multiline.parser", "refresh_interval", "rotate_wait", "read_from_head",
                                   "path_key", "offset_key", "key", "ignore_older", "skip_empty_lines"}),
    ("filter", "parser"): ({"key_name", "parser"}, {"key_name", "parser", "reserve_data", "preserve_key",
                                                    "unescape_key"}),
    ("filter", "modify"): (set(), {"set", "add", "remove", "rename", "hard_rename", "copy", "hard_copy",
                                   "remove_wildcard", "remove_regex", "move_to_start", "move_to_end", "condition"}),
    ("filter", "log_to_metrics"): ({"tag", "metric_mode", "metric_name", "metric_description"},
                                   {"tag", "metric_mode", "metric_name", "metric_description", "metric_namespace",
                                    "metric_subsystem", "regex", "exclude", "value_field", "kubernetes_mode",
                                    "add_label", "label_field", "bucket", "emitter_name", "emitter_mem_buf_limit",
                                    "discard_logs", "flush_interval_sec", "flush_interval_nsec"}),
    ("output", "prometheus_exporter"): (set(), {"add_timestamp", "add_label", "ttl"}),
    ("output", "es"): ({"index"}, {"index", "type", "suppress_type_name", "http_user", "http_passwd", "http_api_key",
                                   "compress", "cloud_id", "cloud_auth", "logstash_format", "logstash_prefix",
                                   "logstash_prefix_key", "logstash_dateformat", "time_key", "time_key_format",
                                   "time_key_nanos", "include_tag_key", "tag_key", "buffer_size", "path", "pipeline",
                                   "generate_id", "write_operation", "id_key", "replace_dots", "current_time_index",
                                   "trace_output", "trace_error"}),
}
# Properties a plugin reads as a list of values (several `Key value` lines in the classic format).
MULTI = {"set", "add", "remove", "rename", "copy", "condition", "regex", "exclude", "add_label", "label_field"}
BOOLEAN = {"db.locking", "skip_long_lines", "reserve_data", "preserve_key", "logstash_format", "suppress_type_name",
           "trace_error", "generate_id", "tls", "tls.verify", "time_keep", "storage.checksum", "read_from_head"}
SIZE = re.compile(r"^\d+(\.\d+)?[KMG]B?$")


def check_fluent_bit(cfg: dict) -> list[str]:
    """What in `cfg` Fluent Bit's YAML format or its plugins would not accept, or what never flows."""
    problems = [f"unknown section {k}" for k in cfg if k not in SECTIONS]
    problems += [f"service: unknown key {k}" for k in cfg.get("service", {}) if k not in SERVICE_KEYS]
    if cfg.get("service", {}).get("storage.sync", "normal") not in ("normal", "full"):
        problems.append("service: storage.sync is normal or full")
    parsers = {p["name"]: p for p in cfg.get("parsers", [])}
    for p in parsers.values():
        problems += [f"parser {p['name']}: unknown key {k}" for k in p if k not in PARSER_KEYS]
        if p.get("format") not in ("json", "regex", "ltsv", "logfmt"):
            problems.append(f"parser {p['name']}: unknown format")
    pipeline = cfg.get("pipeline", {})
    problems += [f"pipeline: unknown key {k}" for k in pipeline if k not in ("inputs", "filters", "outputs")]
    aliases: list[str] = []
    for kind in ("input", "filter", "output"):
        for plugin in pipeline.get(kind + "s", []):
            where = f"{kind} {plugin.get('alias') or plugin.get('name')}"
            aliases.append(plugin.get("alias"))
            required, allowed = PLUGINS.get((kind, plugin.get("name")), (None, None))
            if allowed is None:
                problems.append(f"{where}: not a plugin this check knows")
                continue
            problems += [f"{where}: unknown key {k}" for k in plugin if k not in allowed | COMMON[kind]]
            problems += [f"{where}: missing {k}" for k in required if k not in plugin]
            if kind == "input" and "tag" not in plugin:
                problems.append(f"{where}: no tag")
            if kind != "input" and "match" not in plugin:
                problems.append(f"{where}: no match")
            for key, value in plugin.items():
                if isinstance(value, list) and key not in MULTI:
                    problems.append(f"{where}: {key} takes one value")
                if key in BOOLEAN and not isinstance(value, bool):
                    problems.append(f"{where}: {key} is a boolean")
                if (key in ("buffer_max_size", "storage.total_limit_size", "mem_buf_limit")
                        and not SIZE.fullmatch(str(value))):
                    problems.append(f"{where}: {key} {value!r} is not a unit size")
            for ref in [plugin.get("parser")] if plugin.get("parser") else []:
                if ref not in parsers:
                    problems.append(f"{where}: no parser {ref}")
            if plugin.get("multiline.parser") and plugin["multiline.parser"] not in BUILTIN_MULTILINE:
                problems.append(f"{where}: no multiline parser {plugin['multiline.parser']}")
            if plugin.get("name") == "es" and plugin.get("write_operation", "create") not in (
                    "create", "index", "update", "upsert"):
                problems.append(f"{where}: unknown write_operation")
            retry = plugin.get("retry_limit")
            if retry is not None and not (retry in ("no_limits", "no_retries") or retry is False
                                          or (type(retry) is int and retry >= 1)):
                problems.append(f"{where}: retry_limit {retry!r}")
    problems += [f"alias {a} used twice" for a in {a for a in aliases if aliases.count(a) > 1}]
    return problems


def tags(cfg: dict) -> set[str]:
    pipe = cfg["pipeline"]
    return {i["tag"] for i in pipe["inputs"]} | {f["tag"] for f in pipe["filters"] if f["name"] == "log_to_metrics"}


def matching(plugins: list[dict], tag: str) -> list[dict]:
    return [p for p in plugins if fnmatch.fnmatchcase(tag, p["match"])]


def exposed_name(f: dict) -> str:
    """The name cmetrics gives a log_to_metrics counter: namespace_subsystem_name, each part only
    when not empty, and the mode (`counter`) when the subsystem is empty."""
    namespace = f.get("metric_namespace", "log_metric")
    subsystem = f.get("metric_subsystem") or f.get("metric_mode", "counter")
    return "".join(f"{part}_" for part in (namespace, subsystem.rstrip("_")) if part) + f["metric_name"]


def run_filters(cfg: dict, tag: str, record: dict) -> tuple[dict, list[dict]]:
    """The record after the filters matching `tag`, and the counter increments log_to_metrics makes:
    the plugins' documented semantics for the options this target uses, nothing more."""
    increments = []
    for f in matching(cfg["pipeline"]["filters"], tag):
        values = lambda key: f[key] if isinstance(f.get(key), list) else [f[key]] if key in f else []  # noqa: E731
        if f["name"] == "parser":
            try:
                record = json.loads(record[f["key_name"]])
            except (KeyError, ValueError):
                pass  # not JSON: the record goes on unchanged
        elif f["name"] == "modify":
            ok = True
            for cond in values("condition"):
                kind, key, regex = cond.split(" ", 2)
                assert kind.lower() == "key_value_matches"
                ok &= isinstance(record.get(key), str) and re.search(regex, record[key]) is not None
            if ok:
                for rule in values("set"):
                    key, value = rule.split(" ", 1)
                    record = {**record, key: value}
                for key in values("remove"):
                    record = {k: v for k, v in record.items() if k != key}
        elif f["name"] == "log_to_metrics":
            key, regex = f["regex"].split(" ", 1)
            if isinstance(record.get(key), str) and re.search(regex, record[key]):
                increments.append({label: record.get(label, "") for label in values("label_field")})
    return record, increments


def seed_line(service: str, level_key: str, level: str) -> dict:
    """A log line as the seeds' StructuredLogger writes it."""
    return {"timestamp": datetime(2024, 5, 6, 7, 8, 9, 123456).isoformat(), "service": service,
            level_key: level, "message": "Market data processing failed", "error_type": "TimeoutError",
            "error_message": "read timed out", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
            "span_id": "00f067aa0ba902b7", "symbol": "AAPL"}


def wrapped(fmt: str, line: dict) -> dict:
    """The record Fluent Bit's tail input makes of a line, before the filters."""
    text = json.dumps(line)
    if fmt == "json":
        return line
    return {"time": "2024-05-06T07:08:09.123456789Z", "stream": "stdout", "log": text} | (
        {"_p": "F"} if fmt == "cri" else {})


# ------------------------------------------------------------------------------------ the tests
def test_the_fluent_bit_configuration_has_the_documented_structure():
    for model in models():
        assert check_fluent_bit(fluent_bit(model)) == []


def test_the_structural_check_catches_what_fluent_bit_would_refuse():
    cfg = fluent_bit(models()[0])
    cfg["pipeline"]["outputs"][1]["indx"] = "x"
    cfg["pipeline"]["inputs"][0]["parser"] = "nope"
    cfg["pipeline"]["filters"][0].pop("match")
    cfg["pipeline"]["outputs"][1]["retry_limit"] = 0
    assert len(check_fluent_bit(cfg)) == 4


def test_every_service_with_logs_is_tailed_filtered_and_shipped_to_its_own_data_stream():
    cfg = fluent_bit(models()[0])
    pipe = cfg["pipeline"]
    assert {i["tag"] for i in pipe["inputs"]} == {f"logs.{s}" for s in LOGGED}
    for service in LOGGED:
        tag = f"logs.{service}"
        [outputs] = [matching(pipe["outputs"], tag)]
        assert [o["name"] for o in outputs] == ["es"]
        assert outputs[0]["index"] == naming.log_stream("shop-logs", service)
        assert outputs[0]["write_operation"] == "create" and outputs[0]["logstash_format"] is False
        assert {f["name"] for f in matching(pipe["filters"], tag)} >= {"modify", "log_to_metrics"}
    assert not any(i["tag"] == "logs.batch" for i in pipe["inputs"])


def test_tail_inputs_unwrap_each_runtime_format_and_keep_their_position_on_disk():
    pipe = fluent_bit(models()[0])["pipeline"]
    tail = {i["tag"]: i for i in pipe["inputs"]}
    assert tail["logs.checkout"]["path"] == "/var/log/containers/checkout-*.log"
    assert tail["logs.checkout"]["multiline.parser"] == "cri"
    assert tail["logs.search"]["multiline.parser"] == "docker"
    assert tail["logs.storefront"]["path"] == "/var/log/storefront/*.log"
    assert tail["logs.storefront"]["parser"] == "obsgen-json" and "multiline.parser" not in tail["logs.storefront"]
    for t in tail.values():
        assert t["db"].startswith("/var/fluent-bit/state/") and t["storage.type"] == "filesystem"
        assert t["skip_long_lines"] is True


def test_the_application_timestamp_format_reads_the_seeds_isoformat_timestamps():
    [parser] = fluent_bit(models()[0])["parsers"]
    assert parser["time_key"] == "timestamp" and parser["time_keep"] is True
    stamp = datetime(2024, 5, 6, 7, 8, 9, 123456)
    # Fluent Bit's %L is the fractional seconds, Python's %f.
    assert datetime.strptime(stamp.isoformat(), parser["time_format"].replace("%L", "%f")) == stamp


@pytest.mark.parametrize("service,level_key,levels,fmt", [
    ("checkout", "level", ("ERROR", "CRITICAL"), "cri"),
    ("search", "level", ("ERROR", "CRITICAL"), "docker"),
    ("storefront", "severity", ("error", "fatal"), "json"),
])
def test_error_lines_are_counted_per_service_and_every_line_gets_service_team_and_environment(
        service, level_key, levels, fmt):
    for model in models():
        cfg = fluent_bit(model)
        team = "payments" if service == "checkout" else "web"
        line = lambda level: wrapped(fmt, seed_line(service, level_key, level))  # noqa: E731
        for level in levels:
            record, counted = run_filters(cfg, f"logs.{service}", line(level))
            assert counted == [{"service": service}]
            assert record["service"] == service and record["team"] == team and record["environment"] == model.env
            assert "_obsgen_error" not in record and record["message"] and "log" not in record
        for level in ("INFO", "WARNING", "Error", "error" if fmt != "json" else "ERROR"):
            _, counted = run_filters(cfg, f"logs.{service}", line(level))
            assert counted == []


def test_a_line_that_is_not_json_is_shipped_as_it_came():
    cfg = fluent_bit(models()[0])
    record, counted = run_filters(cfg, "logs.checkout", {"log": "Traceback (most recent call last):", "_p": "F"})
    assert record["log"] == "Traceback (most recent call last):" and record["service"] == "checkout"
    assert counted == []


def test_the_exposed_metric_name_is_exactly_the_spec_error_metric():
    for text, metric in ((SPEC, "shop_log_errors_total"), (SPEC.replace("  error_metric: shop_log_errors_total\n", ""),
                                                            "log_errors_total")):
        cfg = fluent_bit(models(text)[0])
        [counter] = [f for f in cfg["pipeline"]["filters"] if f["name"] == "log_to_metrics"]
        assert counter["metric_subsystem"], "an empty subsystem becomes `counter`"
        assert exposed_name(counter) == metric
        assert counter["label_field"] == "service" and counter["metric_mode"] == "counter"
        [exporter] = matching(cfg["pipeline"]["outputs"], counter["tag"])
        assert exporter["name"] == "prometheus_exporter"


def test_one_counter_serves_all_services_so_the_exporter_shows_its_family_once():
    cfg = fluent_bit(models()[0])
    assert [f["name"] for f in cfg["pipeline"]["filters"]].count("log_to_metrics") == 1
    [exporter] = [o for o in cfg["pipeline"]["outputs"] if o["name"] == "prometheus_exporter"]
    assert exporter["port"] == 2025
    # Metrics go to the exporter only; logs never reach it, metrics never reach Elasticsearch.
    for tag in tags(cfg):
        assert len(matching(cfg["pipeline"]["outputs"], tag)) == 1


@pytest.mark.parametrize("name,parts", [("log_errors_total", ("log", "errors", "total")),
                                        ("a_b_c_d", ("a", "b", "c_d")), ("x:y_z_w", ("x:y", "z", "w"))])
def test_metric_names_split_into_namespace_subsystem_and_name_that_join_back(name, parts):
    assert metric_parts(name) == parts
    assert exposed_name({"metric_namespace": parts[0], "metric_subsystem": parts[1], "metric_name": parts[2]}) == name


def test_buffering_and_retries_follow_the_spec():
    cfg = fluent_bit(models()[0])
    for out in (o for o in cfg["pipeline"]["outputs"] if o["name"] == "es"):
        assert out["retry_limit"] == "no_limits" and out["storage.total_limit_size"] == "2G"
    cfg = fluent_bit(models(SPEC.replace("retry_limit: null", "retry_limit: 3"))[0])
    assert {o["retry_limit"] for o in cfg["pipeline"]["outputs"] if o["name"] == "es"} == {3}
    assert cfg["service"]["storage.path"] == "/var/fluent-bit/state"


def test_the_password_is_an_environment_reference_and_never_a_value():
    model = models()[0]
    out = [o for o in fluent_bit(model)["pipeline"]["outputs"] if o["name"] == "es"]
    assert {(o["http_user"], o["http_passwd"]) for o in out} == {("fluent-bit", "${ES_PASSWORD}")}
    assert all(o["tls"] and o["tls.verify"] and o["tls.ca_file"] == "/etc/fluent-bit/ca.crt" for o in out)
    text = "".join(files(model).values())
    assert re.findall(r"^\s*[\w.]*passw\w*: (.*)$", text, re.I | re.M) == ["${ES_PASSWORD}"] * len(LOGGED)


def test_without_credentials_or_tls_no_authentication_or_tls_keys_are_written():
    text = SPEC.replace("tls: true, ca_file: /etc/fluent-bit/ca.crt, username: fluent-bit,\n"
                        "                  password_env: ES_PASSWORD, ", "")
    out = [o for o in fluent_bit(models(text)[0])["pipeline"]["outputs"] if o["name"] == "es"]
    assert not any(k.startswith(("tls", "http_")) for o in out for k in o)


def test_the_index_template_matches_the_data_streams_and_maps_the_structured_log_fields():
    model = models()[0]
    template = json.loads(files(model)["logging/elasticsearch/_index_template/shop-logs.json"])
    jsonschema.validate(template, SCHEMAS["index_template"])
    assert template["data_stream"] == {} and template["priority"] > 100
    for service in LOGGED:
        assert any(fnmatch.fnmatchcase(naming.log_stream("shop-logs", service), p) for p in template["index_patterns"])
    assert template["template"]["settings"]["index.lifecycle.name"] == "shop-logs"
    props = template["template"]["mappings"]["properties"]
    assert {k for k, v in props.items() if v["type"] == "date"} == {"@timestamp", "timestamp"}
    assert {k for k, v in props.items() if v["type"] == "keyword"} >= {
        "service", "team", "environment", "level", "error_type", "trace_id", "span_id", "logger"}
    assert props["message"]["type"] == props["error_message"]["type"] == "text"
    [dynamic] = template["template"]["mappings"]["dynamic_templates"]
    assert list(dynamic.values())[0]["mapping"]["type"] == "keyword"


def test_the_schemas_refuse_what_elasticsearch_refuses():
    template = json.loads(files(models()[0])["logging/elasticsearch/_index_template/shop-logs.json"])
    template["template"]["mappings"]["properties"]["message"] = {"type": "txt"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(template, SCHEMAS["index_template"])
    policy = json.loads(files(models()[0])["logging/elasticsearch/_ilm/policy/shop-logs.json"])
    policy["policy"]["phases"]["delete"]["min_age"] = "7y"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(policy, SCHEMAS["ilm_policy"])
    policy["policy"]["phases"]["delete"] = {"min_age": "10d", "actions": {"rollover": {"max_age": "1d"}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(policy, SCHEMAS["ilm_policy"])


def test_the_lifecycle_policy_has_the_spec_ages_in_units_elasticsearch_accepts_and_in_order():
    policy = json.loads(files(models()[0])["logging/elasticsearch/_ilm/policy/shop-logs.json"])
    jsonschema.validate(policy, SCHEMAS["ilm_policy"])
    phases = policy["policy"]["phases"]
    assert list(phases) == ["hot", "warm", "cold", "delete"]
    assert phases["hot"]["actions"]["rollover"] == {"max_age": "12h", "max_primary_shard_size": "50gb"}
    assert [phases[p]["min_age"] for p in ("warm", "cold", "delete")] == ["30d", "365d", "2555d"]
    ages = [naming.duration_seconds(p["min_age"]) for p in phases.values()]
    assert ages == sorted(ages) and len(set(ages)) == len(ages)
    assert phases["delete"]["actions"] == {"delete": {}}


@pytest.mark.parametrize("text,expected", [("1y", "365d"), ("7y", "2555d"), ("2w", "14d"), ("36h", "36h"),
                                           ("90m", "90m"), ("1d12h", "36h"), ("45s", "45s"), ("1500ms", "1500ms")])
def test_durations_become_elasticsearch_time_units(text, expected):
    assert es_time(text) == expected


def test_the_header_says_how_to_load_the_template_and_policy_under_their_derivable_names():
    out = files(models()[0])
    assert set(out) == {"logging/fluent-bit/fluent-bit.yaml", "logging/elasticsearch/_ilm/policy/shop-logs.json",
                        "logging/elasticsearch/_index_template/shop-logs.json"}
    head = out["logging/fluent-bit/fluent-bit.yaml"].split("\nservice:")[0]
    assert head.startswith("# Generated by obsgen from spec.yaml")
    assert "@logging/elasticsearch/_ilm/policy/shop-logs.json https://es.logging:9200/_ilm/policy/shop-logs" in head
    assert ("@logging/elasticsearch/_index_template/shop-logs.json "
            "https://es.logging:9200/_index_template/shop-logs") in head
    curls = [line for line in head.splitlines() if "curl -X PUT" in line]
    assert ["_ilm/policy" in curls[0], "_index_template" in curls[1]] == [True, True]


def test_output_is_deterministic_whatever_the_order_of_services_and_keys():
    services = SPEC[SPEC.index("services:\n") + 10:SPEC.index("logging:\n")].split("  - name: ")[1:]
    permuted = SPEC.replace("".join("  - name: " + s for s in services),
                            "".join("  - name: " + s for s in reversed(services)))
    permuted = permuted.replace("{path: /var/log/storefront/*.log, format: json, level_key: severity,",
                                "{level_key: severity, format: json, path: /var/log/storefront/*.log,")
    assert permuted != SPEC
    first = {m.env: files(m) for m in models()}
    assert first == {m.env: files(m) for m in models(permuted)} == {m.env: files(m) for m in models()}


def test_nothing_is_written_without_a_logging_section_or_without_services_with_logs():
    no_logs = re.sub(r"    logs: .*\n", "", SPEC)
    assert files(models(no_logs)[0]) == {}
    model = models()[0]
    assert LoggingTarget().generate(replace(model, spec=model.spec.model_copy(update={"logging": None}))) == []
