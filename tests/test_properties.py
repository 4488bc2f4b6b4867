"""Properties of the whole pipeline over random specs.

- every valid spec builds into files that promtool and amtool accept;
- the build is deterministic, whatever the order of files and mapping keys;
- diagnostics for broken specs point inside the file they name, and never a traceback.

The strategies build specs as plain Python data (then dumped as JSON, which is YAML, or as block
YAML). They stay within what obsgen's spec allows, and lean on the awkward corners of it: names
and strings that YAML 1.1 readers take for booleans, nulls or numbers, quotes, unicode, Go
templates, and every scrape kind, channel and panel type.
"""
from __future__ import annotations

import io
import json
import random
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from ruamel.yaml import YAML

from obsgen import naming
from obsgen.api import generate, load_project, load_texts
from obsgen.check import check_tree
from obsgen.diagnostics import Severity
from obsgen.writer import write_tree

TOOLS_MISSING = [t for t in ("promtool", "amtool") if shutil.which(t) is None]
needs_tools = pytest.mark.skipif(
    bool(TOOLS_MISSING), reason=f"{' and '.join(TOOLS_MISSING)} not on PATH (Debian packages prometheus, "
                                f"prometheus-alertmanager)")

# promtool check config stats credentials files, so the token file of a scrape job must exist on
# the machine running the check; this file does.
EXISTING_FILE = str(Path(__file__).resolve())

# ----------------------------------------------------------------------------- words and strings

# Plain scalars that a YAML 1.1 reader (go-yaml v2, in Prometheus and Alertmanager) does not read as
# strings: booleans, nulls, numbers in odd bases, sexagesimals, dates, the merge key.
YAML11_WORDS = ["yes", "No", "on", "OFF", "y", "n", "True", "null", "~", "0x1f", "0o17", "017", "1:20", "1_000",
                "+1", "-1.5e3", "1e3", ".inf", ".NaN", "2024-01-31", "<<", "="]
ODD_TEXT = ['"double"', "it's", "back\\slash", "a: b", "# hash", "- dash", "[x, y]", "%pct", "@at", "`tick`",
            "*star", "&amp", "!bang", "| pipe", "> gt", "  padded  ", "trailing ", "tab\there", "two\nlines",
            "café", "日本語", "🚀 emoji", "e\u0301", "שלום", "zero\u200bwidth", "\u00a0nbsp", "\ufeffbom"]
# Go templates that promtool parses (summaries, descriptions, label and annotation values).
TEMPLATES = ["{{ $labels.instance }}", "{{ $value }}", "{{ $value | humanize }}", "{{- $labels.job -}}",
             '{{ printf "%.2f" $value }}', "{{ $labels.yes }}", "{{ humanizePercentage $value }}"]

# Characters a YAML file can hold; braces come only from TEMPLATES, so templates stay well formed.
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


NAME_WORDS = ["yes", "no", "on", "off", "y", "null", "true", "0x1f", "1e3", "007", "123", "api", "db-1"]
names = st.one_of(st.sampled_from(NAME_WORDS), st.from_regex(r"[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?", fullmatch=True)
                  ).filter(lambda n: n not in naming.RESERVED_NAMES)

LABEL_WORDS = ["env", "region", "yes", "on", "null", "true", "_", "_private", "instance", "job", "L0", "on_call"]
label_names = st.one_of(st.sampled_from(LABEL_WORDS), st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,12}", fullmatch=True))

# PromQL keywords cannot stand alone as metric names in an expression.
PROMQL_KEYWORDS = {"sum", "avg", "count", "min", "max", "stddev", "stdvar", "topk", "bottomk", "quantile", "group",
                   "count_values", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
                   "and", "or", "unless", "inf", "nan", "atan2", "start", "end", "limitk", "limit_ratio"}
METRIC_WORDS = ["rate", "time", "vector", "abs", "inf_x", "nan_seconds", "by_x", "job:requests:rate5m", "_", "x__y"]
metric_bases = st.one_of(st.sampled_from(METRIC_WORDS),
                         st.from_regex(r"[a-z_:][a-z0-9_:]{0,15}", fullmatch=True)).filter(
    lambda n: n not in PROMQL_KEYWORDS)

INTERVALS = ["5s", "10s", "15s", "30s", "1m", "1m30s", "2m"]
DURATIONS = ["0s", "1s", "5s", "30s", "1m", "90s", "1m30s", "5m", "10m", "1h", "2h30m", "1d", "1w", "500ms"]
durations = st.sampled_from(DURATIONS)
positive_durations = st.sampled_from([d for d in DURATIONS if naming.duration_seconds(d) > 0])
RANGES = ["1m", "5m", "90s", "1h", "1h30m"]
SEVERITIES = list(naming.SEVERITIES)
CATEGORIES = list(naming.CATEGORIES)
CHANNELS = list(naming.CHANNELS)

hostnames = st.from_regex(r"[a-z0-9][a-z0-9.-]{0,15}", fullmatch=True)
ports = st.integers(1, 65535).map(str)
host_ports = st.builds(lambda h, p: f"{h}:{p}", hostnames, ports)
urls = st.builds(lambda scheme, host, path: f"{scheme}://{host}{path}", st.sampled_from(["http", "https"]),
                 st.one_of(hostnames, host_ports), st.sampled_from(["", "/", "/alert", "/hook?x=1&y=2", "/a/b%20c"]))
file_paths = st.builds(lambda d, f: f"/etc/{d}/{f}", st.sampled_from(["alertmanager/secrets", "obs gen", "ünï"]),
                       st.from_regex(r"[a-z0-9][a-z0-9._-]{0,12}", fullmatch=True))
numbers = st.one_of(st.integers(-1000, 10**9).map(str), st.sampled_from(["0.5", "1e3", "0x1f", "1.5e-3", ".5"]),
                    st.floats(-1e6, 1e6, allow_nan=False).map(repr))


def pick(draw, fields: dict[str, st.SearchStrategy], required: tuple[str, ...] = ()) -> dict:
    """A mapping with each optional key of `fields` present or not."""
    return {key: draw(strategy) for key, strategy in fields.items() if key in required or draw(st.booleans())}


def promql_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


# ----------------------------------------------------------------------------- global

@st.composite
def scrape_timing(draw) -> tuple[str, str]:
    """(interval, timeout), the timeout no longer than the interval."""
    interval = draw(st.sampled_from(INTERVALS))
    timeout = draw(st.sampled_from([d for d in INTERVALS if naming.duration_seconds(d) <= naming.duration_seconds(
        interval)]))
    return interval, timeout


@st.composite
def global_section(draw) -> dict:
    interval, timeout = draw(scrape_timing())
    out = pick(draw, {
        "evaluation_interval": st.sampled_from(INTERVALS),
        "external_labels": st.dictionaries(label_names, text(templates=False), max_size=3),
        "alertmanagers": st.lists(host_ports, max_size=2),
        "retention": st.builds(lambda t, s: {**t, **s}, pick_strategy({"time": positive_durations}),
                               pick_strategy({"size": st.sampled_from(["100GB", "1TB", "512MB"])})),
        "datasource": pick_strategy({"type": st.sampled_from(["prometheus", "mimir"]),
                                     "uid": st.from_regex(r"[a-zA-Z0-9_-]{1,20}", fullmatch=True)}),
        "rule_files_per": st.sampled_from(["service", "team"]),
    })
    if draw(st.booleans()):
        out.update(scrape_interval=interval, scrape_timeout=timeout)
    return out


@st.composite
def pick_strategy(draw, fields: dict[str, st.SearchStrategy]) -> dict:
    return pick(draw, fields)


# ----------------------------------------------------------------------------- teams

CHANNEL_BLOCKS = {
    "slack": pick_strategy({"channel": st.from_regex(r"[#@]?[\w.-]{1,16}", fullmatch=True), "api_url_file": file_paths}),
    "pagerduty": st.builds(lambda f: {"routing_key_file": f}, file_paths),
    "email": st.builds(lambda to: {"to": to}, st.from_regex(r"[a-z0-9._+-]{1,10}@[a-z0-9.-]{1,10}", fullmatch=True)),
    "webhook": st.builds(lambda url, cred: {"url": url, **cred}, urls, pick_strategy({"credentials_file": file_paths})),
    "sms": st.builds(lambda url, cred: {"gateway_url": url, **cred}, urls, pick_strategy({"credentials_file": file_paths})),
}


@st.composite
def team(draw, name: str) -> dict:
    out: dict = {"name": name}
    if draw(st.booleans()):
        out["description"] = draw(text())
    have = draw(st.lists(st.sampled_from(CHANNELS), unique=True))
    for ch in have:
        block = draw(CHANNEL_BLOCKS[ch])
        if ch == "slack":  # both keys are required
            block.setdefault("channel", "#alerts")
            block.setdefault("api_url_file", "/etc/alertmanager/secrets/slack")
        out[ch] = block
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
        metric = {"name": name, "type": kind, "help": draw(non_empty()), "labels": labels}
        if draw(st.booleans()):
            metric["unit"] = draw(st.sampled_from(["seconds", "bytes", "aud", "ratio"]))
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
    """A PromQL expression over the service's own metrics."""
    cmp = draw(st.sampled_from([">", "<", ">=", "<=", "==", "!="]))
    n = draw(numbers)
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
    if draw(st.integers(0, 4)) == 0:  # written as a block scalar over two lines
        expr = expr.replace(f" {cmp} ", f"\n  {cmp} ", 1) + "\n"
    return expr


RESERVED_ALERT_LABELS = set(naming.ALERT_LABELS)
RESERVED_ANNOTATIONS = {"summary", "description", "runbook_url"}


@st.composite
def alert(draw, name: str, metrics: list[dict], team_names: list[str]) -> dict:
    out = {"name": name, "expr": draw(alert_expr(metrics)), "severity": draw(st.sampled_from(SEVERITIES)),
           "category": draw(st.sampled_from(CATEGORIES)), "summary": draw(non_empty()),
           "description": draw(non_empty())}
    out.update(pick(draw, {
        "for": durations,
        "keep_firing_for": durations,
        "team": st.sampled_from(team_names),
        "runbook_url": st.builds(lambda u, t: u + t, urls, st.sampled_from(["", "#{{ $labels.instance }}"])),
        "labels": st.dictionaries(label_names.filter(lambda n: n not in RESERVED_ALERT_LABELS), text(), max_size=3),
        "annotations": st.dictionaries(label_names.filter(lambda n: n not in RESERVED_ANNOTATIONS), text(),
                                       max_size=3),
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
    kind = draw(st.sampled_from(["node", "postgres", "redis", "kafka", "blackbox"]))
    target = st.one_of(hostnames, host_ports)
    if kind != "blackbox":
        return {"kind": kind, "targets": draw(st.lists(target, min_size=1, max_size=3))}
    out = {"kind": kind, "targets": [draw(target)],
           "probes": draw(st.lists(st.one_of(urls, hostnames, host_ports), min_size=1, max_size=3))}
    if draw(st.booleans()):
        out["module"] = draw(st.sampled_from(["http_2xx", "icmp", "tcp_connect", "dns udp"]))
    return out


@st.composite
def scrape(draw, service: str, token_file: str) -> dict:
    kind = draw(st.sampled_from(["static", "kubernetes", "exporter"]))
    if kind == "static":
        target = st.one_of(hostnames, host_ports, st.sampled_from(["[::1]:9090", "10.0.0.1:80"]))
        out: dict = {"static": draw(st.lists(target, max_size=3))}
    elif kind == "kubernetes":
        out = {"kubernetes": draw(kubernetes_scrape())}
    else:
        out = {"exporter": draw(exporter_scrape())}
    out.update(pick(draw, {
        # The service name has no spaces, so "<name> <anything>" is unique among jobs.
        "job": st.builds(lambda t: f"{service} {t}", text(templates=False)),
        "metrics_path": st.sampled_from(["/metrics", "/", "/probe", "/a b/ü", "/metrics?x=1"]),
        "scheme": st.sampled_from(["http", "https"]),
        "ca_file": file_paths,
        "bearer_token_file": st.just(token_file),
        "labels": st.dictionaries(label_names, text(templates=False), max_size=3),
    }))
    timing = draw(st.sampled_from(["none", "interval", "both"]))
    if timing != "none":
        interval, timeout = draw(scrape_timing())
        out["interval"] = interval
        if timing == "both":
            out["timeout"] = timeout
    return out


@st.composite
def service(draw, name: str, team_names: list[str], token_file: str) -> dict:
    out: dict = {"name": name, "team": draw(st.sampled_from(team_names))}
    out.update(pick(draw, {"tier": st.integers(1, 4), "description": text()}))
    if draw(st.integers(0, 5)):
        out["scrape"] = draw(scrape(name, token_file))
    metrics = draw(metric_catalog())
    if metrics:
        out["metrics"] = metrics
    alert_names = draw(st.lists(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True), max_size=3,
                                unique=True))
    if alert_names:
        out["alerts"] = [draw(alert(a, metrics, team_names)) for a in alert_names]
    return out


# ----------------------------------------------------------------------------- dashboards, tracing

@st.composite
def panel(draw, metric_names: list[str]) -> dict:
    kind = draw(st.sampled_from(["timeseries", "stat", "gauge", "bargauge", "heatmap", "table"]))
    metric = st.sampled_from(metric_names or ["up"])
    query = st.builds(lambda m, e, q: {"expr": e.format(m=m), **q}, metric,
                      st.sampled_from(["{m}", "sum(rate({m}[$__rate_interval]))", "avg by (le) ({m})",
                                       "sum(increase({m}[${{__range}}]))", "max_over_time({m}[$__interval])"]),
                      pick_strategy({"legend": text(), "format": st.sampled_from(["time_series", "table", "heatmap"]),
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
        colors = st.sampled_from(["green", "red", "#FF9830", "rgba(0, 0, 0, 0.5)"])
        out["thresholds"] = [{"color": draw(colors)}] + [{"value": v, "color": draw(colors)} for v in values]
    return out


@st.composite
def dashboards(draw, metric_names: list[str], team_names: list[str]) -> list[dict]:
    out, uids = [], set()
    for _ in range(draw(st.integers(0, 2))):
        d = {"title": draw(non_empty())}
        if draw(st.booleans()):
            d["uid"] = draw(st.from_regex(r"[a-zA-Z0-9_-]{1,40}", fullmatch=True))
        uid = d.get("uid") or naming.slug(d["title"])
        if uid in uids:
            continue
        uids.add(uid)
        d.update(pick(draw, {
            "folder": non_empty(templates=False),
            "team": st.sampled_from(team_names),
            "description": text(),
            "tags": st.lists(text(templates=False), max_size=3),
            "refresh": st.one_of(st.none(), positive_durations),
            "time": pick_strategy({"from": st.sampled_from(["now-1h", "now-7d", "now/d"]), "to": st.just("now")}),
            "timezone": st.sampled_from(["browser", "utc"]),
        }))
        d["panels"] = draw(st.lists(panel(metric_names), min_size=1, max_size=3))
        out.append(d)
    return out


probabilities = st.floats(0, 1)


@st.composite
def tracing(draw, service_names: list[str]) -> dict:
    storage = draw(st.sampled_from(["memory", "badger", "elasticsearch"]))
    jaeger = pick(draw, {
        "namespace": names,
        "image": st.sampled_from(["jaegertracing/all-in-one:1.62.0", "registry.local:5000/jaeger:latest"]),
        "otlp": st.booleans(),
        "resources": pick_strategy({
            "requests": st.builds(lambda c, m: {"cpu": c, "memory": m}, st.sampled_from(["100m", "0.5", "2"]),
                                  st.sampled_from(["256Mi", "1Gi", "1000"])),
            "limits": st.builds(lambda c, m: {"cpu": c, "memory": m}, st.sampled_from(["1", "1500m"]),
                                st.sampled_from(["2Gi", "4G"])),
        }),
    })
    jaeger["storage"] = {"type": storage}
    if storage == "elasticsearch":
        jaeger["storage"]["elasticsearch"] = {"urls": draw(st.lists(urls, min_size=1, max_size=2)), **pick(draw, {
            "index_prefix": non_empty(templates=False),
            "username": non_empty(templates=False),
            "password_secret": st.builds(lambda n, k: {"name": n, "key": k}, names, st.sampled_from(["password"])),
        })}
    sampling = pick(draw, {
        "default": probabilities,
        "services": st.dictionaries(st.sampled_from(service_names), probabilities, max_size=3) if service_names
        else st.just({}),
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
        "group_by": st.lists(st.one_of(label_names, st.sampled_from(["alertname", "service", "severity"])),
                             max_size=4, unique=True),
        **timing_fields,
        "severities": st.dictionaries(st.sampled_from(SEVERITIES), st.builds(
            lambda ch, t: {"channels": ch, **t}, st.lists(st.sampled_from(CHANNELS), max_size=3, unique=True),
            pick_strategy(timing_fields)), max_size=3),
        "categories": st.dictionaries(st.sampled_from(CATEGORIES), pick_strategy(
            {"team": st.sampled_from(team_names), **timing_fields}), max_size=4),
        "inhibit": st.lists(st.builds(lambda s, t, e: {"source_severity": s, "target_severity": t, **e},
                                      st.sampled_from(SEVERITIES),
                                      st.lists(st.sampled_from(SEVERITIES), min_size=1, max_size=2, unique=True),
                                      pick_strategy({"equal": st.lists(label_names, max_size=3, unique=True)})),
                            max_size=2),
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
    base_timeout = naming.duration_seconds(spec.get("global", {}).get("scrape_timeout", "10s"))
    over = pick(draw, {
        "global": st.builds(lambda iv, labels: {**iv, **labels},
                            st.sampled_from([{}] + [{"scrape_interval": i} for i in INTERVALS
                                                    if naming.duration_seconds(i) >= base_timeout]),
                            pick_strategy({"external_labels": st.dictionaries(label_names, text(templates=False),
                                                                              max_size=2)})),
        "routing": pick_strategy({"repeat_interval": positive_durations, "group_wait": durations}),
        "tracing": st.builds(lambda p: {"sampling": {"default": p}}, probabilities),
        "services": st.dictionaries(st.sampled_from([s["name"] for s in spec["services"]]),
                                    pick_strategy({"tier": st.integers(1, 4), "description": text()}), max_size=2),
        "teams": st.dictionaries(st.sampled_from([t["name"] for t in spec["teams"]]),
                                 pick_strategy({"description": text()}), max_size=2),
    })
    if spec.get("dashboards") and draw(st.booleans()):
        keys = [d.get("uid") or naming.slug(d["title"]) for d in spec["dashboards"]]
        over["dashboards"] = draw(st.dictionaries(st.sampled_from(keys), st.builds(
            lambda r: {"refresh": r}, positive_durations), max_size=2))
    return over


# ----------------------------------------------------------------------------- whole specs

@st.composite
def specs(draw, token_file: str = "/var/run/secrets/prometheus/token") -> dict:
    """A valid obsgen/v1 spec as plain data, in one document."""
    team_names = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    teams = [draw(team(n)) for n in team_names]
    service_names = draw(st.lists(names, min_size=1, max_size=5, unique=True))
    services = [draw(service(n, team_names, token_file)) for n in service_names]
    spec: dict = {"apiVersion": naming.API_VERSION}
    if draw(st.booleans()):
        spec["global"] = draw(global_section())
    spec["teams"] = teams
    spec["services"] = services
    spec["routing"] = draw(routing(team_names, needs_smtp=any("email" in t for t in teams)))
    metric_names = sorted({m["name"] for s in services for m in s.get("metrics", [])})
    boards = draw(dashboards(metric_names, team_names))
    if boards:
        spec["dashboards"] = boards
    if draw(st.booleans()):
        spec["tracing"] = draw(tracing(service_names))
    env_names = draw(st.lists(names, max_size=2, unique=True))
    if env_names:
        spec["environments"] = {e: draw(environment(spec)) for e in env_names}
    return spec


# ----------------------------------------------------------------------------- text, files, keys

def _block_yaml() -> YAML:
    y = YAML(typ="safe", pure=True)
    y.default_flow_style = False
    y.allow_unicode = True
    y.width = 4096
    return y


def dump(data, style: str) -> str:
    """YAML text for `data`: JSON (a subset of YAML) or block-style YAML."""
    if style == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    buf = io.StringIO()
    _block_yaml().dump(data, buf)
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
    """The spec spread over 1-4 files: list items anywhere, each mapping section and environment in one."""
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
    return [str(d.pos) + f": {d.code}: {d.message}" for d in project.diagnostics if d.severity is Severity.ERROR]


# ----------------------------------------------------------------------------- properties

@pytest.mark.tools
@needs_tools
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec=specs(token_file=EXISTING_FILE), style=st.sampled_from(["json", "yaml"]))
def test_generated_specs_build_into_files_promtool_and_amtool_accept(spec, style):
    text_ = dump(spec, style)
    project = load_texts({"spec.yaml": text_})
    assert not errors(project), "\n".join(errors(project)) + "\n\n" + text_
    files = generate(project)
    with tempfile.TemporaryDirectory(prefix="obsgen-prop-") as tmp:
        out = Path(tmp) / "generated"
        write_tree(out, files)
        failed = [r for r in check_tree(out) if not r.ok]
    report = [f"{r.file}: {r.check}\n{r.detail}\n--- {r.file}\n{files.get(r.file, '')}" for r in failed]
    assert not failed, "\n\n".join(report)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec=specs(), data=st.data())
def test_the_build_is_deterministic_whatever_the_order_of_files_and_keys(spec, data):
    files = data.draw(split_into_files(spec), label="files")
    names_ = data.draw(st.lists(st.sampled_from(["a.yaml", "b.yml", "teams.yaml", "z/last.yaml", "ü.yaml"]),
                                min_size=len(files), max_size=len(files), unique=True), label="names")
    styles = data.draw(st.lists(st.sampled_from(["json", "yaml"]), min_size=len(files), max_size=len(files)))
    baseline = load_texts({n: dump(f, s) for n, f, s in zip(names_, files, styles)})
    assert not errors(baseline), "\n".join(errors(baseline))
    expected = generate(baseline)

    # The same names, given to other contents, in another order, with every mapping shuffled.
    rnd = random.Random(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    order = list(range(len(files)))
    rnd.shuffle(order)
    texts = {names_[order[i]]: dump(shuffled_keys(f, rnd), s) for i, (f, s) in enumerate(zip(files, styles))}
    given_order = list(texts)
    rnd.shuffle(given_order)
    project = load_texts({n: texts[n] for n in given_order})
    assert not errors(project), "\n".join(errors(project))
    assert generate(project) == expected

    # The same files on disk, created in another order, read by folder.
    with tempfile.TemporaryDirectory(prefix="obsgen-prop-") as tmp:
        for name in given_order:
            path = Path(tmp) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(texts[name], encoding="utf-8")
        assert generate(load_project([Path(tmp)])) == expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec=specs(), style=st.sampled_from(["json", "yaml"]))
def test_generating_twice_gives_identical_files(spec, style):
    texts = {"spec.yaml": dump(spec, style)}
    first, second = load_texts(texts), load_texts(texts)
    assert not errors(first), "\n".join(errors(first))
    files = generate(first)
    assert generate(first) == files
    assert generate(second) == files
    assert all(t.endswith("\n") and "\r" not in t for t in files.values())
    with tempfile.TemporaryDirectory(prefix="obsgen-prop-") as tmp:
        out = Path(tmp) / "generated"
        write_tree(out, files)
        assert not write_tree(out, generate(second)).any


# ----------------------------------------------------------------------------- broken specs

def _paths(data, here=()) -> list[tuple]:
    """Every place in `data`: mapping keys and list items, as paths from the root."""
    out = [here]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, here + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, here + (i,))
    return out


def _get(data, path):
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
        keyed = [p for p in _paths(broken) if p and isinstance(p[-1], str)]
        path = draw(st.sampled_from(keyed))
        del _get(broken, path[:-1])[path[-1]]
    elif kind == "retype":
        path = draw(st.sampled_from([p for p in _paths(broken) if p]))
        _get(broken, path[:-1])[path[-1]] = wrong_type(_get(broken, path))
    else:
        path = draw(st.sampled_from([p for p in _paths(broken) if isinstance(_get(broken, p), dict)]))
        _get(broken, path)["zz unknown key!"] = {"x": [1]}
    return broken, f"{kind} at {'.'.join(map(str, path)) or '<top>'}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
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
    if what.startswith(("retype", "unknown")):
        assert not project.ok, what
    for d in project.diagnostics:
        assert d.pos.file in texts, f"{what}: {d} names no given file"
        lines = texts[d.pos.file].split("\n")
        if texts[d.pos.file].endswith("\n"):
            lines.pop()
        assert 1 <= d.pos.line <= len(lines), f"{what}: {d}: line outside the file ({len(lines)} lines)"
        assert 1 <= d.pos.col <= len(lines[d.pos.line - 1]) + 1, f"{what}: {d}: column outside line {d.pos.line}"
