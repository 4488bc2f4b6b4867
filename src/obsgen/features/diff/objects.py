"""Reading a built tree back into objects keyed by identity.

Each file obsgen writes has a reader that turns it into objects: a scrape job by job_name, a
rule group by name, an alert by group and name, an SLO by service and name (read back from its
metadata rules and burn-rate alerts), a route by the matchers on its path from the root, a
receiver by name, a dashboard by uid, a sampling strategy by service and operation. Values are
normalised so that order that means nothing (targets, group_by, matchers, named list items)
does not show as a difference. A file without a reader, or one its reader cannot read, is one
object of kind `file` holding its text.
"""
from __future__ import annotations

import json
import re
from pathlib import PurePosixPath
from typing import Any, Callable, Iterable

import promql_parser

from obsgen.core import naming
from obsgen.core.promql import parse as parse_promql
from obsgen.core.routes import UnsupportedRegex, go_regex
from obsgen.core.routes import parse_matcher as parse_routing_matcher
from obsgen.features.diff.model import Key
from obsgen.load.yaml import read_yaml
from obsgen.resolve.slo import fmt_duration, fmt_number
from obsgen.targets import file_kind
from obsgen.targets.operator.extract import operator_rule_file_groups
from obsgen.write.tree import MANIFEST

# Integrations that wake someone up. A webhook counts when it goes to an SMS gateway.
PAGER_KINDS = ("pagerduty", "opsgenie", "victorops", "sns", "pushover")
# Lists whose order means nothing to the tool that reads them; any other list keeps its order.
UNORDERED = frozenset({
    "targets", "group_by", "matchers", "source_matchers", "target_matchers", "equal", "tags",
    "rule_files", "names", "weekdays", "days_of_month", "months", "years", "mute_time_intervals",
    "active_time_intervals", "namespaces", "drop"})



def _load_yaml(text: str) -> Any:
    return read_yaml(text)


def _split(path: str) -> tuple[str, str]:
    """(environment, path inside it); files at the top of the tree have no environment."""
    env, sep, rest = path.partition("/")
    return (env, rest) if sep else ("", path)


class Keyed(dict):
    """A list of named items turned into a mapping; its keys print as [name] in field paths."""


def _unique(keys: Iterable[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for k in keys:
        seen[k] = seen.get(k, 0) + 1
        out.append(k if seen[k] == 1 else f"{k} #{seen[k]}")
    return out


def norm(value: Any, key: str = "") -> Any:
    """Plain data in a comparable shape: lists of named mappings keyed by name, set-like lists
    sorted, expressions with their whitespace collapsed."""
    if isinstance(value, dict):
        return {str(k): norm(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(v, dict) and isinstance(v.get("name"), str) for v in value):
            names = _unique(v["name"] for v in value)
            return Keyed((n, norm({k: x for k, x in v.items() if k != "name"})) for n, v in zip(names, value))
        items = [norm(v) for v in value]
        if key in UNORDERED and all(isinstance(v, (str, int, float)) for v in items):
            return sorted(items, key=lambda v: (str(type(v)), v))
        return items
    if isinstance(value, str) and key == "expr":
        return " ".join(value.split())
    return value


def seconds(text: Any) -> float | None:
    try:
        return naming.duration_seconds(str(text))
    except (ValueError, TypeError):
        return None


def parse_expr(text: str):
    try:
        return parse_promql(text)
    except (ValueError, TypeError):
        return None


Objects = dict[Key, Any]


def _put(out: Objects, kind: str, env: str, oid: str, value: Any) -> None:
    key, n = (kind, env, oid), 1
    while key in out:
        n += 1
        key = (kind, env, f"{oid} #{n}")
    out[key] = value


def _without(d: dict, *keys: str) -> dict:
    return {k: v for k, v in d.items() if k not in keys}


_RETENTION = re.compile(r"^# Retention .*?(--storage\.tsdb\.retention\..*?)\.?$", re.MULTILINE)


def _prometheus(env: str, rel: str, text: str, out: Objects) -> None:
    doc = _load_yaml(text) or {}
    settings = norm(_without(doc, "scrape_configs"))
    retention = _RETENTION.search(text)
    if retention:
        settings["retention"] = retention.group(1)
    name = PurePosixPath(rel).name
    shard = re.fullmatch(r"prometheus-(\d+)\.ya?ml", name)
    _put(out, "prometheus", env, name, settings)
    for job in doc.get("scrape_configs") or []:
        job_id = str(job["job_name"]) + (f" (shard {shard.group(1)})" if shard else "")
        _put(out, "scrape_job", env, job_id, norm(_without(job, "job_name")))


def _rules(env: str, rel: str, text: str, out: Objects) -> None:
    _rule_groups(env, _load_yaml(text) or {}, out)


def _rule_groups(env: str, doc: dict, out: Objects) -> None:
    for group in doc.get("groups") or []:
        name = str(group["name"])
        _put(out, "rule_group", env, name, norm(_without(group, "name", "rules")))
        rules = group.get("rules") or []
        for rule in rules:
            if "alert" in rule:
                value = norm(_without(rule, "alert"))
                value.setdefault("for", "0s")
                value.setdefault("keep_firing_for", "0s")
                _put(out, "alert", env, f"{name}/{rule['alert']}", {"group": name, **value})
            else:
                _put(out, "recording_rule", env, f"{name}/{rule['record']}",
                     {"group": name, **norm(_without(rule, "record"))})
        slo = _slo(rules)
        if slo is not None:
            _put(out, "slo", env, slo[0], slo[1])


def _vector(expr: str) -> float:
    m = re.fullmatch(r"\s*vector\(\s*([-+0-9.eE]+)\s*\)\s*", expr)
    if not m:
        raise ValueError(f"not a constant: {expr}")
    return float(m.group(1))


def unparen(e):
    while isinstance(e, promql_parser.ParenExpr):
        e = e.expr
    return e


def _conditions(e, out: list[list]) -> None:
    """Split `a or b or c` into its branches, each branch into its `and`-ed conditions."""
    e = unparen(e)
    if isinstance(e, promql_parser.BinaryExpr) and str(e.op) == "or":
        _conditions(e.lhs, out)
        _conditions(e.rhs, out)
        return
    conds: list = []
    stack = [e]
    while stack:
        x = unparen(stack.pop())
        if isinstance(x, promql_parser.BinaryExpr) and str(x.op) == "and":
            stack += [x.rhs, x.lhs]
        else:
            conds.append(x)
    out.append(conds)


def _burn_tier(expr: str, budget: float) -> tuple[list[str], float | None]:
    """The windows of a burn-rate alert ("14.4x over 1h/5m") and its min_traffic, if any."""
    tree = parse_expr(expr)
    if tree is None:
        raise ValueError("unreadable burn-rate expression")
    branches: list[list] = []
    _conditions(tree, branches)
    windows, traffic = [], None
    for conds in branches:
        spans, threshold = [], None
        for c in conds:
            if not isinstance(c, promql_parser.BinaryExpr) or not isinstance(c.rhs, promql_parser.NumberLiteral):
                continue
            lhs = unparen(c.lhs)
            if str(c.op) == ">" and isinstance(lhs, promql_parser.VectorSelector) and \
                    (lhs.name or "").startswith("slo:sli_error:ratio_rate"):
                spans.append(lhs.name.removeprefix("slo:sli_error:ratio_rate"))
                threshold = c.rhs.val
            elif str(c.op) == ">=" and isinstance(lhs, promql_parser.Call):
                traffic = c.rhs.val
        if spans and threshold is not None:
            factor = fmt_number(round(threshold / budget, 4)) if budget else "?"
            windows.append(f"{factor}x over {'/'.join(spans)}")
    return windows, traffic


def _slo(rules: list[dict]) -> tuple[str, dict] | None:
    """An SLO, read back from its group: the metadata rules give objective, budget and period;
    the burn-rate alerts give each tier's windows and factors."""
    meta = {r["record"]: r for r in rules if "record" in r}
    objective = meta.get("slo:objective:ratio")
    if objective is None:
        return None
    labels = objective.get("labels") or {}
    budget = _vector(meta["slo:error_budget:ratio"]["expr"]) if "slo:error_budget:ratio" in meta else \
        1 - _vector(objective["expr"])
    value: dict[str, Any] = {"objective": float(fmt_number(_vector(objective["expr"]) * 100))}
    if "slo:time_period:days" in meta:
        value["period"] = fmt_duration(round(_vector(meta["slo:time_period:days"]["expr"]) * 86400))
    value["labels"] = {k: v for k, v in sorted(labels.items()) if k not in ("service", "slo")}
    value["budget_alerts"] = False
    for r in rules:
        tier = (r.get("labels") or {}).get("slo_tier") if "alert" in r else None
        if tier in ("page", "ticket"):
            windows, traffic = _burn_tier(r["expr"], budget)
            value[tier] = {"alert": r["alert"], "severity": r["labels"].get("severity"), "windows": windows}
            if traffic is not None:
                value["min_traffic"] = traffic
        elif tier == "budget":
            value["budget_alerts"] = True
    return f"{labels.get('service', '?')}/{labels.get('slo', '?')}", value


def parse_matcher(text: str) -> tuple[str, str, str]:
    """(name, operator, value) of one Alertmanager matcher, read by the one matcher parser
    (core/routes.py, Alertmanager's rules); unreadable text comes back whole as the name."""
    try:
        m = parse_routing_matcher(text)
    except ValueError:
        return (text.strip(), "", "")
    return (m.name, m.op, m.value)


def _matchers(d: dict, key: str, legacy: str) -> list[str]:
    """A route's (or an inhibition side's) matchers as sorted `name op "value"` strings, from
    `key` and the deprecated `legacy` and `legacy_re` maps."""
    out = []
    for item in d.get(key) or []:
        for part in split_matchers(str(item)):
            name, op, value = parse_matcher(part)
            out.append(f"{name}{op}{json.dumps(value, ensure_ascii=False)}" if op else name)
    for suffix, op in (("", "="), ("_re", "=~")):
        for name, value in (d.get(legacy + suffix) or {}).items():
            out.append(f"{name}{op}{json.dumps(str(value), ensure_ascii=False)}")
    return sorted(out)


def split_matchers(text: str) -> list[str]:
    """One `matchers` item (`a="1", b=~"2|3"`, braces optional) split at the commas outside quotes."""
    parts, cur, quoted, escaped = [], [], False, False
    for c in text.strip().removeprefix("{").removesuffix("}"):
        if c == "," and not quoted:
            parts.append("".join(cur))
            cur = []
            continue
        if c == '"' and not escaped:
            quoted = not quoted
        escaped = c == "\\" and not escaped
        cur.append(c)
    if "".join(cur).strip():
        parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def route_id(path: list[list[str]]) -> str:
    """A route's identity: the matchers of each route from the root's child down to it."""
    return " > ".join("{" + ", ".join(level) + "}" for level in path) or "(root)"


def route_path(oid: str) -> list[list[str]] | None:
    """The matcher levels back out of a route id (quotes respected: values may hold `>` or `,`)."""
    if oid == "(root)":
        return []
    levels, cur, depth, quoted, escaped = [], [], 0, False, False
    for c in oid:
        if quoted:
            cur.append(c)
            quoted = escaped or c != '"'
            escaped = c == "\\" and not escaped
        elif c == "{" and depth == 0:
            depth, cur = 1, []
        elif c == "}" and depth == 1:
            depth = 0
            levels.append(split_matchers("".join(cur)))
        elif depth:
            cur.append(c)
            quoted = c == '"'
    return levels


def _walk_routes(route: dict, path: list[list[str]], out: list) -> None:
    out.append((path, route))
    for child in route.get("routes") or []:
        _walk_routes(child, path + [_matchers(child, "matchers", "match")], out)


_INTEGRATION_KEY = {
    "pagerduty": ("routing_key_file", "routing_key", "service_key_file", "service_key", "url"),
    "slack": ("channel", "api_url_file", "api_url"), "email": ("to",),
    "webhook": ("url", "url_file"), "sns": ("topic_arn", "phone_number", "target_arn"),
    "opsgenie": ("api_key_file", "api_url", "responders"), "msteams": ("webhook_url_file", "webhook_url"),
    "telegram": ("chat_id",), "discord": ("webhook_url_file", "webhook_url"),
}


def _receiver(rc: dict) -> dict:
    out: dict[str, Any] = {}
    for key, configs in rc.items():
        if not key.endswith("_configs") or not isinstance(configs, list):
            if key != "name":
                out[key] = norm(configs, key)
            continue
        kind = key.removesuffix("_configs")
        names = []
        for i, cfg in enumerate(configs):
            ident = next((cfg[k] for k in _INTEGRATION_KEY.get(kind, ()) if k in cfg), None)
            names.append(str(ident) if isinstance(ident, (str, int)) else f"#{i + 1}")
        out[kind] = Keyed(zip(_unique(names), (norm(c) for c in configs)))
    return out


def pager_kinds(receiver: dict | None) -> set[str]:
    """The integrations of a (normalised) receiver that page someone: pagerduty and the like, and
    webhooks to an SMS gateway (a URL mentioning sms)."""
    if not receiver:
        return set()
    kinds = {k for k in PAGER_KINDS if receiver.get(k)}
    hooks = receiver.get("webhook") or {}
    if any("sms" in json.dumps(h).lower() or "sms" in name.lower() for name, h in hooks.items()):
        kinds.add("sms")
    return kinds


def accepts_critical(path: list[list[str]]) -> bool:
    """Whether a label set with severity="critical" can get down this route path."""
    for level in path:
        for m in level:
            name, op, value = parse_matcher(m)
            if name != "severity":
                continue
            try:
                hit = go_regex(value).fullmatch("critical") is not None if op in ("=~", "!~") else value == "critical"
            except UnsupportedRegex:
                continue
            if hit != (op in ("=", "=~")):
                return False
    return True


def _alertmanager(env: str, rel: str, text: str, out: Objects) -> None:
    doc = _load_yaml(text) or {}
    top = doc.get("route") or {}
    settings = norm(_without(doc, "route", "receivers", "inhibit_rules", "time_intervals", "mute_time_intervals"))
    _put(out, "alertmanager", env, "alertmanager.yml", settings)
    routes: list = []
    _walk_routes(top, [], routes)
    for path, route in routes:
        _put(out, "route", env, route_id(path),
             norm(_without(route, "routes", "matchers", "match", "match_re")))
    for rc in doc.get("receivers") or []:
        _put(out, "receiver", env, str(rc["name"]), _receiver(rc))
    # An inhibition is known by its source matchers, and by its targets too when several share a source.
    rules = [(_matchers(r, "source_matchers", "source_match"), _matchers(r, "target_matchers", "target_match"), r)
             for r in doc.get("inhibit_rules") or []]
    sources = [tuple(src) for src, _, _ in rules]
    for src, tgt, rule in rules:
        oid = "{" + ", ".join(src) + "}"
        value = {"target_matchers": tgt, **norm(_without(rule, "source_matchers", "target_matchers", "source_match",
                                                          "source_match_re", "target_match", "target_match_re"))}
        if sources.count(tuple(src)) > 1:
            oid += " -> {" + ", ".join(tgt) + "}"
        _put(out, "inhibit_rule", env, oid, value)
    for key in ("time_intervals", "mute_time_intervals"):
        for ti in doc.get(key) or []:
            _put(out, "time_interval", env, str(ti["name"]), norm(ti.get("time_intervals") or []))


def _panels(panels: list[dict]) -> Keyed:
    flat: list[dict] = []
    for p in panels:
        flat.append(p)
        flat += p.get("panels") or []  # a collapsed row keeps its panels inside
    titles = _unique(str(p.get("title") or f"panel {p.get('id', '?')}") for p in flat)
    out = Keyed()
    for title, p in zip(titles, flat):
        value = norm(_without(p, "id", "gridPos", "targets", "panels", "title"))
        grid = p.get("gridPos") or {}
        if "w" in grid or "h" in grid:
            value["size"] = f"{grid.get('w', '?')}x{grid.get('h', '?')}"
        targets = p.get("targets") or []
        refs = _unique(str(t.get("refId") or f"#{i + 1}") for i, t in enumerate(targets))
        value["queries"] = Keyed((r, norm(_without(t, "refId"))) for r, t in zip(refs, targets))
        out[title] = value
    return out


def _dashboard(env: str, rel: str, text: str, out: Objects) -> None:
    d = json.loads(text)
    parts = PurePosixPath(rel).parts
    value = norm(_without(d, "panels", "id", "uid", "version"))
    value["folder"] = "/".join(parts[2:-1])
    value["panels"] = _panels(d.get("panels") or [])
    _put(out, "dashboard", env, str(d.get("uid") or PurePosixPath(rel).stem), value)


def _sampling(env: str, rel: str, text: str, out: Objects) -> None:
    d = json.loads(text)

    def strategy(owner: str, s: dict) -> None:
        _put(out, "sampling", env, owner, norm(_without(s, "service", "operation", "operation_strategies")))
        for op in s.get("operation_strategies") or []:
            strategy(f"{owner} {op.get('operation')}", op)

    strategy("default", d.get("default_strategy") or {})
    for s in d.get("service_strategies") or []:
        strategy(str(s.get("service")), s)
    extra = _without(d, "default_strategy", "service_strategies")
    if extra:
        _put(out, "sampling", env, "settings", norm(extra))


def _jaeger(env: str, rel: str, text: str, out: Objects) -> None:
    for doc in read_yaml(text, documents=True):
        if not isinstance(doc, dict):
            continue
        doc = dict(doc)
        if doc.get("kind") == "ConfigMap" and isinstance(doc.get("data"), dict):
            # What it carries is compared from the files themselves: the strategies as trace
            # sampling (sampling-strategies.json), Jaeger 2's configuration from config.yaml.
            doc["data"] = {k: v for k, v in doc["data"].items() if not k.endswith((".json", ".yaml"))}
        meta = doc.get("metadata") or {}
        _put(out, "jaeger", env, f"{doc.get('kind')}/{meta.get('name')}", norm(doc))


def _jaeger_config(env: str, rel: str, text: str, out: Objects) -> None:
    doc = _load_yaml(text) or {}
    for section, value in doc.items():  # extensions, receivers, processors, exporters, service
        _put(out, "jaeger", env, f"config.yaml {section}", norm(value))


def _operator_rules(env: str, rel: str, text: str, out: Objects) -> None:
    # PrometheusRule resources hold rule groups: compared as rules, whatever file or resource holds them.
    _rule_groups(env, operator_rule_file_groups(text), out)


def _operator(env: str, rel: str, text: str, out: Objects) -> None:
    for doc in read_yaml(text, documents=True):
        if not isinstance(doc, dict):
            continue
        meta = doc.get("metadata") or {}
        value = dict(doc)
        if doc.get("kind") == "ConfigMap" and "grafana_dashboard" in str(meta.get("labels")):
            value["data"] = sorted(doc.get("data") or {})  # the dashboards themselves are compared from grafana/
        _put(out, "operator", env, f"{doc.get('kind')}/{meta.get('namespace')}/{meta.get('name')}", norm(value))


def _blackbox(env: str, rel: str, text: str, out: Objects) -> None:
    doc = _load_yaml(text) or {}
    for name, module in (doc.get("modules") or {}).items():
        _put(out, "probe_module", env, str(name), norm(module))


def _rule_tests(env: str, rel: str, text: str, out: Objects) -> None:
    """promtool's tests follow the rules they prove (a changed threshold changes its generated
    test's inputs) and the tests written in the spec: they are what `obsgen test` runs, not
    objects a review weighs, so a diff lists the alerts and rules, not their tests."""


# How each kind of file the targets declare (targets.WRITES) is read into objects; a kind not
# here (templates, env files, Python modules, provisioning) is compared as text.
READERS: dict[str, Callable[[str, str, str, Objects], None]] = {
    "rule-tests": _rule_tests,
    "prometheus-config": _prometheus,
    "rules": _rules,
    "mimir-namespace": _rules,  # Mimir namespaces: `namespace:` over rule groups
    "blackbox-config": _blackbox,
    "operator-rules": _operator_rules,
    "operator-alertmanager-secret": _operator,
    "operator-resources": _operator,
    "jaeger-config": _jaeger_config,
    "alertmanager-config": _alertmanager,
    "dashboard": _dashboard,
    "sampling-strategies": _sampling,
    "jaeger-manifests": _jaeger,
}

_HEADER = re.compile(r"\A(# Generated by obsgen[^\n]*\n)")


def objects(tree: dict[str, str]) -> Objects:
    """Every object in a tree, keyed by (kind, environment, id). A file no reader understands, or
    one it cannot read, is one object of kind `file` holding its text."""
    out: Objects = {}
    for path, text in sorted(tree.items()):
        if path == MANIFEST:
            continue
        env, rel = _split(path)
        found = file_kind(rel)
        reader = READERS.get(found[0]) if found is not None and found[1] == rel else None
        if reader is not None:
            found: Objects = {}
            try:
                reader(env, rel, text, found)
            except Exception:  # noqa: BLE001 - a file we cannot read is still compared, as text
                found = {}
            else:
                for (kind, e, oid), value in found.items():
                    _put(out, kind, e, oid, value)
                continue
        _put(out, "file", env, rel, _HEADER.sub("", text))
    return out
