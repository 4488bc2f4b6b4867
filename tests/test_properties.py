"""Properties of the whole pipeline over random specs.

- every valid spec builds into files that promtool and amtool accept;
- the build is deterministic, whatever the order of files and mapping keys;
- generating twice gives the same files;
- diagnostics for broken specs point inside the file they name, and never a traceback.

The strategies build specs as plain Python data, dumped as JSON (which is YAML) or as block YAML.
They stay within what the spec allows and lean on its awkward corners: names and strings that
YAML 1.1 readers take for booleans, nulls or numbers, quotes, unicode, Go templates, every scrape
kind, channel and panel type, environments that override list items by name.

Every spec these properties once found that obsgen accepted and the real tools refused is kept at
the end of this file as a regression test (obsgen must now refuse it, or build it into files the
tools take).
"""
from __future__ import annotations

import contextlib
import io
import json
import random
import shutil
import tempfile
import textwrap
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from ruamel.yaml import YAML

from obsgen.core import naming
from obsgen.api import generate, load_project, load_texts
from obsgen.features.verify import check_tree
from obsgen.core.diagnostics import Severity
from obsgen.write.tree import write_tree

TOOLS_MISSING = [t for t in ("promtool", "amtool") if shutil.which(t) is None]
needs_tools = pytest.mark.skipif(
    bool(TOOLS_MISSING), reason=f"{' and '.join(TOOLS_MISSING)} not on PATH (Debian packages prometheus and "
                                f"prometheus-alertmanager)")

# A real file for token paths. `obsgen check` runs `promtool check config --syntax-only`, which
# does not stat them, but a file that exists keeps the properties independent of that flag.
EXISTING_FILE = str(Path(__file__).resolve())

# promtool and amtool make an example cost tens of milliseconds: no per-example deadline.
PROPERTY = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# ----------------------------------------------------------------------------- words and strings

# Plain scalars that a YAML 1.1 reader (go-yaml, in Prometheus and Alertmanager) does not read as
# strings: booleans, nulls, numbers in odd bases, sexagesimals, dates, the merge key.
YAML11_WORDS = ["yes", "No", "on", "OFF", "y", "n", "True", "null", "~", "0x1f", "0o17", "017", "1:20", "1_000",
                "+1", "-1.5e3", "1e3", ".inf", ".NaN", "2024-01-31", "<<", "="]
ODD_TEXT = ['"double"', "it's", "back\\slash", "a: b", "# hash", "- dash", "[x, y]", "%pct", "@at", "`tick`",
            "*star", "&amp", "!bang", "| pipe", "> gt", "  padded  ", "trailing ", "tab\there", "two\nlines",
            "café", "日本語", "🚀 emoji", "e\u0301", "שלום", "zero\u200bwidth", "\u00a0nbsp", "\ufeffbom"]
# Go templates that promtool parses (summaries, descriptions, label and annotation values).
TEMPLATES = ["{{ $labels.instance }}", "{{ $value }}", "{{ $value | humanize }}", "{{- $labels.job -}}",
             '{{ printf "%.2f" $value }}', "{{ $labels.yes }}", "{{ humanizePercentage $value }}"]

# Any character a YAML file can hold; braces come only from TEMPLATES, so templates stay well formed.
_chars = st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="{}\ufffe\uffff",
                       include_characters="\n\t")
free_text = st.text(_chars, max_size=12)
words = st.sampled_from(YAML11_WORDS + ODD_TEXT)


@st.composite
def text(draw, templates: bool = True, min_size: int = 0) -> str:
    """Strings a person could write in a summary, a label value or a description."""
    piece = st.one_of(words, free_text, *([st.sampled_from(TEMPLATES)] if templates else []))
    out = "".join(draw(st.lists(piece, min_size=min_size, max_size=3)))
    return out if len(out) >= min_size else out + "x"


def non_empty(templates: bool = True) -> st.SearchStrategy[str]:
    return text(templates=templates, min_size=1)


LOWER, UPPER, DIGITS = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"


def word(first: str, rest: str, max_size: int) -> st.SearchStrategy[str]:
    """One character of `first`, then up to `max_size` of `rest` (cheaper than from_regex)."""
    return st.builds(str.__add__, st.sampled_from(first), st.text(rest, max_size=max_size))


# Names become file and folder names: DNS labels. Some of them are YAML 1.1 booleans or numbers.
NAME_WORDS = ["yes", "no", "on", "off", "y", "null", "true", "0x1f", "1e3", "007", "123", "api", "db-1"]
names = st.one_of(st.sampled_from(NAME_WORDS),
                  word(LOWER + DIGITS, LOWER + DIGITS + "-", 14).map(lambda s: s.rstrip("-"))
                  ).filter(lambda n: n not in naming.RESERVED_NAMES)

LABEL_WORDS = ["env", "region", "yes", "on", "null", "true", "_", "_private", "instance", "job", "L0"]
label_names = st.one_of(st.sampled_from(LABEL_WORDS), word(LOWER + UPPER + "_", LOWER + UPPER + DIGITS + "_", 12)
                        ).filter(lambda n: not n.startswith("__"))
# Prometheus refuses `__name__` on an alert (test_obsgen_never_accepts_what_the_tools_reject).
alert_label_names = label_names.filter(lambda n: n != "__name__" and n not in naming.ALERT_LABELS)
annotation_names = label_names.filter(lambda n: n not in ("summary", "description", "runbook_url"))

# PromQL keywords cannot stand alone as metric names in an expression.
PROMQL_KEYWORDS = {"sum", "avg", "count", "min", "max", "stddev", "stdvar", "topk", "bottomk", "quantile", "group",
                   "count_values", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
                   "and", "or", "unless", "inf", "nan", "atan2", "start", "end", "limitk", "limit_ratio"}
METRIC_WORDS = ["rate", "time", "vector", "abs", "inf_x", "nan_seconds", "by_x", "job:requests:rate5m", "_", "x__y"]
metric_bases = st.one_of(st.sampled_from(METRIC_WORDS), word(LOWER + "_:", LOWER + DIGITS + "_:", 15)).filter(
    lambda n: n not in PROMQL_KEYWORDS)
alert_names = word(LOWER + UPPER + "_", LOWER + UPPER + DIGITS + "_", 15)
uids = st.text(LOWER + UPPER + DIGITS + "_-", min_size=1, max_size=20)

INTERVALS = ["5s", "10s", "15s", "30s", "1m", "1m30s", "2m"]
DURATIONS = ["0s", "1s", "5s", "30s", "1m", "90s", "1m30s", "5m", "10m", "1h", "2h30m", "1d", "1w", "500ms"]
durations = st.sampled_from(DURATIONS)
# Alertmanager refuses a zero group_interval or repeat_interval (obsgen refuses it: see the regressions below).
positive_durations = st.sampled_from([d for d in DURATIONS if naming.duration_seconds(d) > 0])
RANGES = ["1m", "5m", "90s", "1h", "1h30m"]
SEVERITIES = list(naming.SEVERITIES)
CATEGORIES = list(naming.CATEGORIES)
CHANNELS = list(naming.CHANNELS)

hostnames = word(LOWER + DIGITS, LOWER + DIGITS + ".-", 15)
host_ports = st.builds("{}:{}".format, hostnames, st.integers(1, 65535))
urls = st.builds("{}://{}{}".format, st.sampled_from(["http", "https"]), st.one_of(hostnames, host_ports),
                 st.sampled_from(["", "/", "/alert", "/hook?x=1&y=2", "/a/b%20c"]))
file_paths = st.builds("/etc/{}/{}".format, st.sampled_from(["alertmanager/secrets", "obs gen", "ünï"]),
                       word(LOWER + DIGITS, LOWER + DIGITS + "._-", 12))
numbers = st.one_of(st.integers(-1000, 10**9).map(str), st.sampled_from(["0.5", "1e3", "0x1f", "1.5e-3", ".5"]),
                    st.floats(-1e6, 1e6, allow_nan=False).map(repr))
probabilities = st.floats(0, 1)


def pick(draw, fields: dict[str, st.SearchStrategy], required: tuple[str, ...] = ()) -> dict:
    """A mapping with each key of `fields` present or not (those in `required` always)."""
    return {key: draw(strategy) for key, strategy in fields.items() if key in required or draw(st.booleans())}


@st.composite
def some_of(draw, fields: dict[str, st.SearchStrategy]) -> dict:
    return pick(draw, fields)


def promql_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


# ----------------------------------------------------------------------------- global

@st.composite
def scrape_timing(draw) -> tuple[str, str]:
    """(interval, timeout), the timeout no longer than the interval."""
    interval = draw(st.sampled_from(INTERVALS))
    seconds = naming.duration_seconds(interval)
    return interval, draw(st.sampled_from([d for d in INTERVALS if naming.duration_seconds(d) <= seconds]))


@st.composite
def global_section(draw) -> dict:
    out = pick(draw, {
        "evaluation_interval": st.sampled_from(INTERVALS),
        "external_labels": st.dictionaries(label_names, text(templates=False), max_size=3),
        "alertmanagers": st.lists(host_ports, max_size=2),
        "retention": some_of({"time": positive_durations, "size": st.sampled_from(["100GB", "1TB", "512MB"])}),
        "datasource": some_of({"type": st.sampled_from(["prometheus", "mimir"]), "uid": uids}),
        "rule_files_per": st.sampled_from(["service", "team"]),
    })
    if draw(st.booleans()):
        out["scrape_interval"], out["scrape_timeout"] = draw(scrape_timing())
    return out


# ----------------------------------------------------------------------------- teams

CHANNEL_BLOCKS = {
    "slack": st.builds(lambda channel, path: {"channel": channel, "api_url_file": path},
                       st.one_of(st.builds(str.__add__, st.sampled_from(["", "#", "@"]),
                                           st.text(LOWER + DIGITS + "_.-", min_size=1, max_size=15)),
                                 st.sampled_from(["#café", "@日本", "#ops_alerts.v2"])), file_paths),
    "pagerduty": st.builds(lambda path: {"routing_key_file": path}, file_paths),
    "email": st.builds(lambda user, host: {"to": f"{user}@{host}"},
                       st.text(LOWER + DIGITS + "._+-", min_size=1, max_size=10), hostnames),
    "webhook": st.builds(lambda url, cred: {"url": url, **cred}, urls, some_of({"credentials_file": file_paths})),
    "sms": st.builds(lambda url, cred: {"gateway_url": url, **cred}, urls, some_of({"credentials_file": file_paths})),
}


@st.composite
def team(draw, name: str) -> dict:
    """A team with some of the five channels, perhaps its own channels per severity."""
    out: dict = {"name": name, **pick(draw, {"description": text()})}
    have = draw(st.lists(st.sampled_from(CHANNELS), unique=True))
    for channel in have:
        out[channel] = draw(CHANNEL_BLOCKS[channel])
    if have and draw(st.booleans()):
        out["channels"] = draw(st.dictionaries(st.sampled_from(SEVERITIES), st.lists(st.sampled_from(have)),
                                               max_size=3))
    return out


# ----------------------------------------------------------------------------- services

@st.composite
def metric_catalog(draw) -> list[dict]:
    metrics, seen = [], set()
    for base in draw(st.lists(metric_bases, max_size=4, unique=True)):
        kind = draw(st.sampled_from(["counter", "gauge", "histogram", "summary"]))
        name = base + "_total" if kind == "counter" else base
        if name in seen:
            continue
        seen.add(name)
        labels = draw(st.lists(label_names.filter(lambda n: n != "le"), max_size=3, unique=True))
        metric = {"name": name, "type": kind, "help": draw(non_empty()), "labels": labels,
                  **pick(draw, {"unit": st.sampled_from(["seconds", "bytes", "aud", "ratio"])})}
        if kind == "histogram" and draw(st.booleans()):
            metric["buckets"] = sorted(draw(st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=1, max_size=5,
                                                     unique=True)))
        metrics.append(metric)
    return metrics


@st.composite
def selector(draw, metric: dict) -> str:
    """`metric{label="value"}`, or the bare name."""
    if not metric["labels"] or draw(st.booleans()):
        return metric["name"]
    label = draw(st.sampled_from(metric["labels"]))
    op = draw(st.sampled_from(["=", "!=", "=~", "!~"]))
    value = draw(text(templates=False)) if op in ("=", "!=") else draw(st.sampled_from([".*", "5..", "a|b", ""]))
    return f"{metric['name']}{{{label}{op}{promql_string(value)}}}"


@st.composite
def alert_expr(draw, metrics: list[dict]) -> str:
    """A PromQL expression over the service's own metrics, as their types allow."""
    cmp, n = draw(st.sampled_from([">", "<", ">=", "<=", "==", "!="])), draw(numbers)
    if not metrics:
        return draw(st.sampled_from(["up == 0", "absent(up)", f"count(up) {cmp} {n}"]))
    m = draw(st.sampled_from(metrics))
    sel, rng = draw(selector(m)), draw(st.sampled_from(RANGES))
    by = f" by ({', '.join(m['labels'][:2])})" if m["labels"] and draw(st.booleans()) else ""
    if m["type"] == "counter":
        fn = draw(st.sampled_from(["rate", "increase", "irate"]))
        expr = f"sum{by} ({fn}({sel}[{rng}])) {cmp} {n}"
    elif m["type"] == "gauge":
        expr = draw(st.sampled_from([f"{sel} {cmp} {n}", f"avg{by} ({sel}) {cmp} {n}",
                                     f"max_over_time({sel}[{rng}]) {cmp} {n}"]))
    elif m["type"] == "histogram":
        q = draw(st.sampled_from(["0.5", "0.9", "0.99"]))
        by = f" by ({', '.join([*m['labels'][:1], 'le'])})"
        expr = f"histogram_quantile({q}, sum{by} (rate({m['name']}_bucket[{rng}]))) {cmp} {n}"
    else:
        expr = draw(st.sampled_from([f"{m['name']}{{quantile=\"0.99\"}} {cmp} {n}",
                                     f"rate({m['name']}_sum[{rng}]) / rate({m['name']}_count[{rng}]) {cmp} {n}"]))
    if draw(st.integers(0, 4)) == 0:  # over two lines, as a block scalar would have it
        expr = expr.replace(f" {cmp} ", f"\n  {cmp} ", 1) + "\n"
    return expr


@st.composite
def alert(draw, name: str, metrics: list[dict], team_names: list[str]) -> dict:
    # Generated alert tests are on: promtool runs the tests obsgen writes for every random alert.
    out = {"name": name, "expr": draw(alert_expr(metrics)), "severity": draw(st.sampled_from(SEVERITIES)),
           "category": draw(st.sampled_from(CATEGORIES)), "summary": draw(non_empty()),
           "description": draw(non_empty())}
    out.update(pick(draw, {
        "for": durations,
        "keep_firing_for": durations,
        "team": st.sampled_from(team_names),
        "runbook_url": st.builds(str.__add__, urls, st.sampled_from(["", "#{{ $labels.instance }}"])),
        "labels": st.dictionaries(alert_label_names, text(), max_size=3),
        "annotations": st.dictionaries(annotation_names, text(), max_size=3),
    }))
    return out


K8S_LABEL_KEYS = ["app", "app.kubernetes.io/name", "tier", "Team_1", "example.com/x-y", "a"]


@st.composite
def kubernetes_scrape(draw) -> dict:
    if draw(st.integers(0, 4)) == 0:
        return {"preset": draw(st.sampled_from(["apiservers", "nodes", "cadvisor"]))}
    return pick(draw, {
        "role": st.sampled_from(["node", "pod", "service", "endpoints", "endpointslice", "ingress"]),
        "namespaces": st.lists(names, max_size=2),
        "annotated": st.booleans(),
        "selector": st.dictionaries(st.sampled_from(K8S_LABEL_KEYS), text(templates=False), max_size=2),
        "port": st.one_of(st.sampled_from(["metrics", "http-metrics", "9090"]), non_empty(templates=False)),
    })


@st.composite
def exporter_scrape(draw) -> dict:
    # Targets are host[:port]: a URL is refused by promtool (obsgen refuses it: see the regressions below).
    kind = draw(st.sampled_from(["node", "postgres", "redis", "kafka", "blackbox"]))
    target = st.one_of(hostnames, host_ports)
    if kind != "blackbox":
        return {"kind": kind, "targets": draw(st.lists(target, min_size=1, max_size=3))}
    return {"kind": kind, "targets": [draw(target)],
            "probes": draw(st.lists(st.one_of(urls, hostnames, host_ports), min_size=1, max_size=3)),
            **pick(draw, {"module": st.sampled_from(["http_2xx", "icmp", "tcp_connect", "dns udp"])})}


@st.composite
def scrape(draw, service_name: str, token_file: str) -> dict:
    kind = draw(st.sampled_from(["static", "kubernetes", "exporter"]))
    if kind == "static":
        target = st.one_of(hostnames, host_ports, st.sampled_from(["[::1]:9090", "10.0.0.1:80"]))
        out: dict = {"static": draw(st.lists(target, max_size=3))}
    elif kind == "kubernetes":
        out = {"kubernetes": draw(kubernetes_scrape())}
    else:
        out = {"exporter": draw(exporter_scrape())}
    out.update(pick(draw, {
        # A service name has no spaces, so "<name> <anything>" is unique among jobs.
        "job": st.builds(f"{service_name} {{}}".format, text(templates=False)),
        "metrics_path": st.sampled_from(["/metrics", "/", "/probe", "/a b/ü", "/metrics?x=1"]),
        "scheme": st.sampled_from(["http", "https"]),
        "ca_file": file_paths,
        "bearer_token_file": st.just(token_file),
        "labels": st.dictionaries(label_names, text(templates=False), max_size=3),
    }))
    # An interval alone, or both: a timeout alone may exceed the global interval (obsgen refuses it: see the regressions below).
    timing = draw(st.sampled_from(["none", "interval", "both"]))
    if timing != "none":
        interval, timeout = draw(scrape_timing())
        out["interval"] = interval
        if timing == "both":
            out["timeout"] = timeout
    return out


@st.composite
def service(draw, name: str, team_names: list[str], token_file: str) -> dict:
    out: dict = {"name": name, "team": draw(st.sampled_from(team_names)),
                 **pick(draw, {"tier": st.integers(1, 4), "description": text()})}
    if draw(st.integers(0, 5)):
        out["scrape"] = draw(scrape(name, token_file))
    metrics = draw(metric_catalog())
    if metrics:
        out["metrics"] = metrics
    alerts = [draw(alert(a, metrics, team_names)) for a in draw(st.lists(alert_names, max_size=3, unique=True))]
    if alerts:
        out["alerts"] = alerts
    return out


# ----------------------------------------------------------------------------- dashboards, tracing

# Shapes a query takes over a metric; counters only ever inside rate()/increase() (lint's OBS052).
COUNTER_SHAPES = ["sum(rate({m}[$__rate_interval]))", "sum(increase({m}[${{__range}}]))"]
QUERY_SHAPES = ["{m}", "avg({m})", "max_over_time({m}[$__interval])"]
COLORS = ["green", "red", "#FF9830", "rgba(0, 0, 0, 0.5)"]


@st.composite
def panel(draw, metric_names: list[str]) -> dict:
    kind = draw(st.sampled_from(["timeseries", "stat", "gauge", "bargauge", "heatmap", "table"]))
    def expr(m: str, pick_shape: int) -> str:
        shapes = COUNTER_SHAPES if m.endswith("_total") else QUERY_SHAPES
        return shapes[pick_shape % len(shapes)].format(m=m)

    query = st.builds(lambda m, shape, more: {"expr": expr(m, shape), **more},
                      st.sampled_from(metric_names or ["up"]), st.integers(0, 5),
                      some_of({"legend": text(), "format": st.sampled_from(["time_series", "table", "heatmap"]),
                               "instant": st.booleans()}))
    out = {"title": draw(non_empty()), "type": kind, "queries": draw(st.lists(query, min_size=1, max_size=2))}
    out.update(pick(draw, {
        "description": text(),
        "unit": st.sampled_from(["percent", "s", "bytes", "reqps", "currencyUSD"]),
        "decimals": st.integers(0, 10),
        "width": st.integers(1, 24),
        "height": st.integers(2, 40),
    }))
    if draw(st.booleans()):
        low = draw(st.floats(-1e6, 1e6, allow_nan=False))
        out.update(min=low, max=low + draw(st.floats(0.5, 1e6)))
    if draw(st.booleans()):
        values = sorted(draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), max_size=3, unique=True)))
        steps = [{"color": draw(st.sampled_from(COLORS))}]
        out["thresholds"] = steps + [{"value": v, "color": draw(st.sampled_from(COLORS))} for v in values]
    return out


@st.composite
def dashboards(draw, metric_names: list[str], team_names: list[str]) -> list[dict]:
    out, keys = [], set()
    for _ in range(draw(st.integers(0, 2))):
        board: dict = {"title": draw(non_empty()), **pick(draw, {"uid": uids})}
        key = board.get("uid") or naming.slug(board["title"])
        if key in keys:
            continue
        keys.add(key)
        board.update(pick(draw, {
            "folder": non_empty(templates=False),
            "team": st.sampled_from(team_names),
            "description": text(),
            "tags": st.lists(text(templates=False), max_size=3),
            "refresh": st.one_of(st.none(), positive_durations),
            "time": some_of({"from": st.sampled_from(["now-1h", "now-7d", "now/d"]), "to": st.just("now")}),
            "timezone": st.sampled_from(["browser", "utc"]),
        }))
        board["panels"] = draw(st.lists(panel(metric_names), min_size=1, max_size=3))
        out.append(board)
    return out


def resources(cpu: list[str], memory: list[str]) -> st.SearchStrategy[dict]:
    return st.builds(lambda c, m: {"cpu": c, "memory": m}, st.sampled_from(cpu), st.sampled_from(memory))


@st.composite
def tracing(draw, service_names: list[str]) -> dict:
    jaeger = pick(draw, {
        "namespace": names,
        "variant": st.sampled_from(["v2", "v1-all-in-one"]),
        "otlp": st.booleans(),
        "resources": some_of({"requests": resources(["100m", "0.5", "2"], ["256Mi", "1Gi", "1000"]),
                              "limits": resources(["1", "1500m"], ["2Gi", "4G"])}),
    })
    if jaeger.get("otlp") is False:
        jaeger["variant"] = "v1-all-in-one"  # Jaeger v2 receives over OTLP only
    if draw(st.booleans()):
        jaeger["image"] = ("jaegertracing/all-in-one:1.62.0" if jaeger.get("variant") == "v1-all-in-one"
                           else "registry.local:5000/jaeger:2.11.0")
    storage = draw(st.sampled_from(["memory", "badger", "elasticsearch"]))
    jaeger["storage"] = {"type": storage}
    if storage == "elasticsearch":
        jaeger["storage"]["elasticsearch"] = {"urls": draw(st.lists(urls, min_size=1, max_size=2)), **pick(draw, {
            "index_prefix": non_empty(templates=False),
            "username": non_empty(templates=False),
            "password_secret": st.builds(lambda n: {"name": n, "key": "password"}, names),
        })}
    sampling = pick(draw, {
        "default": probabilities,
        "services": st.dictionaries(st.sampled_from(service_names), probabilities, max_size=3),
        "operations": st.dictionaries(st.one_of(st.sampled_from(["/health", "GET /api", "yes"]), non_empty()),
                                      probabilities, max_size=3),
    })
    return {"jaeger": jaeger, "sampling": sampling}


# ----------------------------------------------------------------------------- routing, environments

timing_fields = {"group_wait": durations, "group_interval": positive_durations, "repeat_interval": positive_durations}


@st.composite
def routing(draw, team_names: list[str], needs_smtp: bool) -> dict:
    out = pick(draw, {
        "default_team": st.sampled_from(team_names),
        # Unique: Alertmanager refuses a label twice in group_by (obsgen refuses it: see the regressions below).
        "group_by": st.lists(st.one_of(label_names, st.sampled_from(["alertname", "service", "severity"])),
                             max_size=4, unique=True),
        **timing_fields,
        "severities": st.dictionaries(st.sampled_from(SEVERITIES), st.builds(
            lambda channels, timing: {"channels": channels, **timing},
            st.lists(st.sampled_from(CHANNELS), max_size=3, unique=True), some_of(timing_fields)), max_size=3),
        "categories": st.dictionaries(st.sampled_from(CATEGORIES),
                                      some_of({"team": st.sampled_from(team_names), **timing_fields}), max_size=4),
        "inhibit": st.lists(st.builds(
            lambda source, targets, equal: {"source_severity": source, "target_severity": targets, **equal},
            st.sampled_from(SEVERITIES), st.lists(st.sampled_from(SEVERITIES), min_size=1, max_size=2, unique=True),
            some_of({"equal": st.lists(label_names, max_size=3, unique=True)})), max_size=2),
    })
    if needs_smtp or draw(st.booleans()):
        out["smtp"] = {"smarthost": draw(host_ports), "from": "alerts@example.com", **pick(draw, {
            "auth_username": non_empty(templates=False), "auth_password_file": file_paths,
            "require_tls": st.booleans()})}
    return out


@st.composite
def environment(draw, spec: dict) -> dict | None:
    """Overrides one environment applies: mapping sections deeply, list items by name."""
    if draw(st.integers(0, 5)) == 0:
        return None
    # A shorter global interval could undercut a job's own timeout (obsgen refuses it: see the regressions below).
    job_timeouts = [naming.duration_seconds(s["scrape"]["timeout"]) for s in spec["services"]
                    if "timeout" in s.get("scrape", {})]
    floor = max([naming.duration_seconds(spec.get("global", {}).get("scrape_timeout", "10s")), *job_timeouts])
    interval = st.sampled_from([{}] + [{"scrape_interval": i} for i in INTERVALS
                                       if naming.duration_seconds(i) >= floor])
    over = pick(draw, {
        "global": st.builds(lambda iv, more: {**iv, **more}, interval, some_of({
            "external_labels": st.dictionaries(label_names, text(templates=False), max_size=2)})),
        "routing": some_of({"repeat_interval": positive_durations, "group_wait": durations}),
        "tracing": st.builds(lambda p: {"sampling": {"default": p}}, probabilities),
        "services": st.dictionaries(st.sampled_from([s["name"] for s in spec["services"]]),
                                    some_of({"tier": st.integers(1, 4), "description": text()}), max_size=2),
        "teams": st.dictionaries(st.sampled_from([t["name"] for t in spec["teams"]]),
                                 some_of({"description": text()}), max_size=2),
    })
    if spec.get("dashboards") and draw(st.booleans()):
        keys = [d.get("uid") or naming.slug(d["title"]) for d in spec["dashboards"]]
        over["dashboards"] = draw(st.dictionaries(st.sampled_from(keys), st.builds(
            lambda r: {"refresh": r}, positive_durations), max_size=2))
    return over


@st.composite
def specs(draw, token_file: str = "/var/run/secrets/prometheus/token") -> dict:
    """A valid obsgen/v1 spec as plain data, in one document."""
    team_names = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    service_names = draw(st.lists(names, min_size=1, max_size=5, unique=True))
    spec: dict = {"apiVersion": naming.API_VERSION, **pick(draw, {"global": global_section()})}
    spec["teams"] = [draw(team(n)) for n in team_names]
    spec["services"] = [draw(service(n, team_names, token_file)) for n in service_names]
    spec["routing"] = draw(routing(team_names, needs_smtp=any("email" in t for t in spec["teams"])))
    metric_names = sorted({m["name"] for s in spec["services"] for m in s.get("metrics", [])})
    boards = draw(dashboards(metric_names, team_names))
    if boards:
        spec["dashboards"] = boards
    spec.update(pick(draw, {"tracing": tracing(service_names)}))
    env_names = draw(st.lists(names, max_size=2, unique=True))
    if env_names:
        spec["environments"] = {env: draw(environment(spec)) for env in env_names}
    return spec


# ----------------------------------------------------------------------------- texts and files

def dump(data, style: str) -> str:
    """YAML text for `data`: JSON (a subset of YAML) or block-style YAML."""
    if style == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    y = YAML(typ="safe", pure=True)
    y.default_flow_style, y.allow_unicode, y.width = False, True, 4096
    buf = io.StringIO()
    y.dump(data, buf)
    return buf.getvalue()


def shuffled_keys(data, rnd: random.Random):
    """`data` with every mapping's keys in a random order; lists keep theirs (it can carry meaning)."""
    if isinstance(data, dict):
        keys = list(data)
        rnd.shuffle(keys)
        return {k: shuffled_keys(data[k], rnd) for k in keys}
    if isinstance(data, list):
        return [shuffled_keys(v, rnd) for v in data]
    return data


@st.composite
def split_into_files(draw, spec: dict) -> list[dict]:
    """The spec over 1-4 files: list items in any of them, each mapping section and environment in one."""
    n = draw(st.integers(1, 4))
    files: list[dict] = [{"apiVersion": spec["apiVersion"]} for _ in range(n)]
    for key, value in spec.items():
        if key == "apiVersion":
            continue
        if key in ("teams", "services", "dashboards"):
            for item in value:
                files[draw(st.integers(0, n - 1))].setdefault(key, []).append(item)
        elif key == "environments":
            for env, body in value.items():
                files[draw(st.integers(0, n - 1))].setdefault(key, {})[env] = body
        else:
            files[draw(st.integers(0, n - 1))][key] = value
    return files


def errors(project) -> list[str]:
    return [f"{d.pos}: {d.code}: {d.message}" for d in project.diagnostics if d.severity is Severity.ERROR]


def tool_failures(files: dict[str, str]) -> list[str]:
    """What promtool, amtool and obsgen's structural checks say against a build (empty: all fine)."""
    with tempfile.TemporaryDirectory(prefix="obsgen-properties-") as tmp:
        out = Path(tmp) / "generated"
        write_tree(out, files)
        results = check_tree(out)
    return [f"{r.file}: {r.check}\n{r.detail}\n--- {r.file}\n{files.get(r.file, '')}" for r in results if not r.ok]


def yaml11_read_back_problems(project, files: dict[str, str]) -> list[str]:
    """Alert labels and annotations that a YAML 1.1 reader (go-yaml's dialect) would not read back as
    the spec's strings: promtool accepts `severity: yes` as happily as `severity: 'yes'`."""
    reader = YAML(typ="safe", pure=True)
    problems = []
    for model in project.models:
        expected = {(a.service, a.name): {"labels": a.labels, "annotations": a.annotations} for a in model.alerts}
        for path, content in files.items():
            if not path.startswith(f"{model.env}/prometheus/rules/"):
                continue
            for group in reader.load("%YAML 1.1\n---\n" + content)["groups"]:
                for rule in group["rules"]:
                    want = expected[(group["name"], rule["alert"])]
                    got = {"labels": rule["labels"], "annotations": rule["annotations"]}
                    if got != want:
                        problems.append(f"{path}: {rule['alert']}: read back {got!r}, spec says {want!r}")
    return problems


# ----------------------------------------------------------------------------- properties

@pytest.mark.tools
@needs_tools
@settings(max_examples=25, **PROPERTY)
@given(spec=specs(token_file=EXISTING_FILE), style=st.sampled_from(["json", "yaml"]))
def test_generated_specs_build_into_files_promtool_and_amtool_accept(spec, style):
    source = dump(spec, style)
    project = load_texts({"spec.yaml": source})
    assert not errors(project), "\n".join(errors(project)) + "\n\n" + source
    files = generate(project)
    failed = tool_failures(files)
    assert not failed, "\n\n".join(failed)
    assert not yaml11_read_back_problems(project, files)


@settings(max_examples=25, **PROPERTY)
@given(spec=specs(), data=st.data())
def test_the_build_is_deterministic_whatever_the_order_of_files_and_keys(spec, data):
    files = data.draw(split_into_files(spec), label="files")
    n = len(files)
    file_names = data.draw(st.lists(st.sampled_from(["a.yaml", "b.yml", "teams.yaml", "z/last.yaml", "ü.yaml"]),
                                    min_size=n, max_size=n, unique=True), label="names")
    styles = data.draw(st.lists(st.sampled_from(["json", "yaml"]), min_size=n, max_size=n), label="styles")
    baseline = load_texts({name: dump(f, s) for name, f, s in zip(file_names, files, styles)})
    assert not errors(baseline), "\n".join(errors(baseline))
    expected = generate(baseline)

    # The same set of names, given to other contents, in another order, every mapping shuffled.
    rnd = random.Random(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    renamed = rnd.sample(file_names, n)
    texts = {renamed[i]: dump(shuffled_keys(f, rnd), s) for i, (f, s) in enumerate(zip(files, styles))}
    given_order = rnd.sample(list(texts), n)
    project = load_texts({name: texts[name] for name in given_order})
    assert not errors(project), "\n".join(errors(project))
    assert generate(project) == expected

    # The same files on disk, created in yet another order, found by walking the folder.
    with tempfile.TemporaryDirectory(prefix="obsgen-properties-") as tmp:
        for name in given_order:
            (Path(tmp) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / name).write_text(texts[name], encoding="utf-8")
        assert generate(load_project([Path(tmp)])) == expected


@settings(max_examples=20, **PROPERTY)
@given(spec=specs(), style=st.sampled_from(["json", "yaml"]))
def test_generating_twice_gives_identical_files(spec, style):
    texts = {"spec.yaml": dump(spec, style)}
    first, second = load_texts(texts), load_texts(texts)
    assert not errors(first), "\n".join(errors(first))
    files = generate(first)
    assert generate(first) == files
    assert generate(second) == files
    assert all(t.endswith("\n") and "\r" not in t for t in files.values())
    with tempfile.TemporaryDirectory(prefix="obsgen-properties-") as tmp:
        out = Path(tmp) / "generated"
        write_tree(out, files)
        assert not write_tree(out, generate(second)).any  # nothing to rewrite


# ----------------------------------------------------------------------------- broken specs

def _places(data, here: tuple = ()) -> list[tuple]:
    """Every place in `data` (mapping values and list items) as a path from the root."""
    out = [here]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _places(v, here + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _places(v, here + (i,))
    return out


def _at(data, path: tuple):
    for step in path:
        data = data[step]
    return data


def wrong_type(value):
    """A value of another kind than `value`, wrong wherever it stands in a spec."""
    if isinstance(value, dict):
        return ["not", "a", "mapping"]
    if isinstance(value, list):
        return {"not a list!": [1]}
    return {"not a scalar!": [1]}


@st.composite
def mutations(draw, spec: dict) -> tuple[dict, str]:
    """(broken copy of `spec`, what was done): a key deleted, a value of the wrong type, an unknown key."""
    broken = json.loads(json.dumps(spec))
    kind = draw(st.sampled_from(["delete", "retype", "unknown"]))
    if kind == "delete":
        path = draw(st.sampled_from([p for p in _places(broken) if p and isinstance(p[-1], str)]))
        del _at(broken, path[:-1])[path[-1]]
    elif kind == "retype":
        path = draw(st.sampled_from([p for p in _places(broken) if p]))
        _at(broken, path[:-1])[path[-1]] = wrong_type(_at(broken, path))
    else:
        path = draw(st.sampled_from([p for p in _places(broken) if isinstance(_at(broken, p), dict)]))
        _at(broken, path)["zz unknown key!"] = {"x": [1]}
    return broken, f"{kind} at {'.'.join(map(str, path)) or 'the top'}"


@settings(max_examples=100, **PROPERTY)
@given(spec=specs(), data=st.data())
def test_every_diagnostic_for_a_broken_spec_points_inside_the_file_it_names(spec, data):
    files = data.draw(split_into_files(spec), label="files")
    victim = data.draw(st.integers(0, len(files) - 1), label="victim")
    files[victim], what = data.draw(mutations(files[victim]), label="mutation")
    style = data.draw(st.sampled_from(["json", "yaml"]), label="style")
    texts = {f"part-{i}.yaml": dump(f, style) for i, f in enumerate(files)}

    project = load_texts(texts)
    if project.ok:
        generate(project)  # a harmless mutation (an optional key deleted) must still build
    if not what.startswith("delete"):
        assert not project.ok, f"{what} went unnoticed"
    for d in project.diagnostics:
        assert d.pos.file in texts, f"{what}: {d.pos}: names no given file"
        lines = texts[d.pos.file].split("\n")
        if texts[d.pos.file].endswith("\n"):
            lines.pop()
        assert 1 <= d.pos.line <= len(lines), f"{what}: {d.pos}: no such line ({len(lines)} lines)"
        assert 1 <= d.pos.col <= len(lines[d.pos.line - 1]) + 1, f"{what}: {d.pos}: no such column"


# ----------------------------------------------------------------------------- regressions
#
# Each case is the smallest spec found for a bug the properties once found, now fixed.

def _spec(body: str) -> str:
    return "apiVersion: obsgen/v1\nteams: [{name: ops, slack: {channel: '#ops', api_url_file: /etc/slack}}]\n" + \
        textwrap.dedent(body)


_ALERT = "{name: Down, expr: up == 0, severity: critical, category: application, summary: s, description: d"


def _bug(body: str, reason: str, id: str):
    """A spec that once got through obsgen and was refused by the tools (`reason`): now a regression test."""
    return pytest.param(_spec(body), id=id)


ACCEPTED_BUT_REFUSED_BY_THE_TOOLS = [
    _bug("""\
        services:
          - {name: api, team: ops, scrape: {static: ["api:8080"], timeout: 30s}}
        """, "a job's timeout alone is not compared with the global scrape_interval (15s): promtool: scrape "
             "timeout greater than scrape interval", id="job-timeout-longer-than-global-interval"),
    _bug("""\
        global: {scrape_interval: 1m}
        services:
          - {name: api, team: ops, scrape: {static: ["api:8080"], timeout: 30s}}
        environments:
          dev: {global: {scrape_interval: 15s}}
        """, "an environment's shorter scrape_interval is not compared with a job's timeout: promtool: scrape "
             "timeout greater than scrape interval (dev only)", id="environment-interval-below-job-timeout"),
    _bug("""\
        routing: {group_by: [alertname, alertname]}
        """, "group_by may repeat a label: amtool: duplicated label \"alertname\" in group_by",
         id="group-by-repeats-a-label"),
    _bug("""\
        routing: {group_interval: 0s}
        """, "zero group_interval is accepted: amtool: group_interval cannot be zero", id="zero-group-interval"),
    _bug("""\
        routing:
          severities: {critical: {channels: [slack], repeat_interval: 0s}}
        services:
          - {name: api, team: ops, alerts: [""" + _ALERT + """}]}
        """, "zero repeat_interval is accepted: amtool: repeat_interval cannot be zero", id="zero-repeat-interval"),
    _bug("""\
        services:
          - {name: api, team: ops, alerts: [""" + _ALERT + """, labels: {__name__: x}}]}
        """, "LABEL_RE allows __name__ on an alert: promtool: invalid label name: __name__",
         id="alert-label-dunder-name"),
    _bug("""\
        services:
          - {name: api, team: ops, alerts: [""" + _ALERT + """, annotations: {dashboard: "{{ $labels.x"}}]}
        """, "templates of annotations other than summary/description are not checked (OBS031): promtool: "
             "annotation \"dashboard\": unclosed action", id="annotation-template-unclosed"),
    _bug("""\
        services:
          - {name: api, team: ops, alerts: [""" + _ALERT + """, labels: {x: "{{ }}"}}]}
        """, "templates of alert label values are not checked: promtool: label \"x\": missing value for command",
         id="label-template-empty"),
    _bug("""\
        services:
          - {name: api, team: ops, alerts: [""" + _ALERT + """, runbook_url: "https://x/{{"}]}
        """, "runbook_url is an annotation template but is not checked: promtool: annotation \"runbook_url\": "
             "unclosed action", id="runbook-url-template-unclosed"),
    _bug("""\
        services:
          - {name: api, team: ops, scrape: {exporter: {kind: node, targets: ["http://node:9100"]}}}
        """, "exporter targets are not checked like static ones (host[:port]): promtool: \"http://node:9100\" is "
             "not a valid hostname", id="exporter-target-url"),
    _bug("""\
        services:
          - {name: api, team: ops, scrape: {exporter: {kind: blackbox, targets: ["http://bb:9115"], probes: [x]}}}
        """, "the blackbox exporter's target becomes the scrape address unchecked: promtool: \"http://bb:9115\" is "
             "not a valid hostname", id="blackbox-target-url"),
    _bug("""\
        services:
          - {name: api, team: ops, alerts: [""" + _ALERT + """, labels: {"x\\n": y}}]}
        """, "naming regexes end in `$`, which matches before a final newline: promtool: invalid label name",
         id="label-name-trailing-newline"),
    _bug("""\
        services:
          - {name: api, team: ops, alerts: [""" + _ALERT + """, for: "5m\\n"}]}
        """, "DURATION_RE ends in `$`, which matches before a final newline: promtool: not a valid duration string",
         id="duration-trailing-newline"),
]


@pytest.mark.tools
@needs_tools
@pytest.mark.parametrize("source", ACCEPTED_BUT_REFUSED_BY_THE_TOOLS)
def test_obsgen_never_accepts_what_the_tools_reject(source):
    project = load_texts({"spec.yaml": source})
    if project.ok:  # obsgen took it: then promtool and amtool must take what it built
        failed = tool_failures(generate(project))
        assert not failed, "\n\n".join(failed)


PATH_NAMES_WITH_A_NEWLINE = [
    _bug("""\
        services: [{name: "api\\n", team: ops}]
        """, "NAME_RE ends in `$`: a service name with a final newline passes, and becomes a file name",
         id="service"),
    _bug("""\
        environments: {"prod\\n": {}}
        """, "NAME_RE ends in `$`: an environment name with a final newline passes, and becomes a folder name",
         id="environment"),
    _bug("""\
        dashboards: [{title: d, uid: "abc\\n", panels: [{title: p, queries: [{expr: up}]}]}]
        """, "UID_RE ends in `$`: a dashboard uid with a final newline passes, and becomes a file name",
         id="dashboard-uid"),
]


@pytest.mark.parametrize("source", PATH_NAMES_WITH_A_NEWLINE)
def test_a_name_with_a_final_newline_is_refused(source):
    project = load_texts({"spec.yaml": source})
    assert not project.ok, f"accepted; it would write {sorted(generate(project))}"


@pytest.mark.tools
@needs_tools
def test_check_accepts_token_files_that_exist_only_where_prometheus_runs():
    source = _spec("""\
        services:
          - {name: api, team: ops, scrape: {static: ["api:8080"], bearer_token_file: /var/run/secrets/api-token}}
        """)
    project = load_texts({"spec.yaml": source})
    assert project.ok, errors(project)
    failed = tool_failures(generate(project))
    assert not failed, "\n\n".join(failed)
