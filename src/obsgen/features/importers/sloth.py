"""Sloth -> obsgen: `version: prometheus/v1` specs and the Kubernetes resource
`apiVersion: sloth.slok.dev/v1, kind: PrometheusServiceLevel` (camelCase keys, under `spec`).

Field by field:

    service                               -> services[].name
    labels, slos[].labels                 -> SLO labels (the SLO's win); `team` -> the owning team
    slos[].name, objective, description   -> the SLO's; period 30d, Sloth's default
    sli.events {error_query, total_query} -> sli.raw.error_ratio `(error) / (total)`
    sli.raw.error_ratio_query             -> sli.raw.error_ratio;  {{.window}} -> {{window}}
    alerting.name                         -> alerting.name (obsgen appends BudgetBurnPage/Ticket)
    alerting.labels + page_alert/ticket_alert labels -> that tier's labels, except
        severity -> the tier's severity, team -> alerting.team, category -> alerting.category
    alerting.annotations + tier annotations -> alerting.annotations; runbook(_url) -> runbook_url
    page_alert/ticket_alert.disable: true -> page/ticket.enabled: false

Refused with OBS040, naming the field: SLI plugins, SLO plugin chains, infoLabels, interval,
labels obsgen sets itself, and values obsgen's spec cannot hold (names, severities, categories).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from obsgen.core import naming
from obsgen.core.diagnostics import Diagnostic
from obsgen.features.importers.common import (
    DEFAULT_TEAM,
    Build,
    Ctx,
    ImportedSLO,
    Node,
    Val,
    alert_annotations,
    check_name,
    finish,
    input_files,
    label_name_ok,
    merge_team,
    promql_ok,
    read_documents,
    slo_labels,
)

NATIVE_VERSION = "prometheus/v1"
K8S_API = "sloth.slok.dev/v1"
K8S_KIND = "PrometheusServiceLevel"
PERIOD = "30d"  # Sloth takes the period from its command line, 30 days unless told otherwise
_WINDOW = re.compile(r"\{\{\s*\.window\s*\}\}")


@dataclass(frozen=True)
class Dialect:
    """Key spellings: the native spec is snake_case, the Kubernetes resource camelCase."""

    prefix: str  # where the spec starts, for messages
    error_query: str
    total_query: str
    error_ratio_query: str
    page_alert: str
    ticket_alert: str
    slo_plugins: str
    service_keys: tuple[str, ...]
    slo_keys: tuple[str, ...]


NATIVE = Dialect("", "error_query", "total_query", "error_ratio_query", "page_alert", "ticket_alert", "slo_plugins",
                 ("version", "service", "labels", "slo_plugins", "slos"),
                 ("name", "description", "objective", "labels", "infoLabels", "sli", "alerting", "interval",
                  "plugins"))
K8S = Dialect("spec.", "errorQuery", "totalQuery", "errorRatioQuery", "pageAlert", "ticketAlert", "sloPlugins",
              ("service", "labels", "sloPlugins", "slos"),
              ("name", "description", "objective", "labels", "sli", "alerting", "plugins"))


def import_sloth(paths: list[Path], team: str = DEFAULT_TEAM) -> tuple[str | None, list[Diagnostic]]:
    """Sloth files -> (obsgen spec as YAML text, or None; diagnostics)."""
    ctx = Ctx("Sloth")
    build = Build(ctx)
    for path, shown in input_files(paths, ctx):
        build.files.append(shown)
        trees, diags = read_documents(path, shown)
        ctx.diags += diags
        for tree in trees:
            _document(Node(tree, "", ctx), build)
    if any(svc.slos for svc in build.services.values()):
        ctx.note(f"period: {PERIOD} for every SLO, Sloth's default (Sloth sets the period on its command line, "
                 f"not in the spec); change it here if you ran Sloth with another --default-slo-period")
    return finish(build, team, "Sloth")


def _document(doc: Node, build: Build) -> None:
    ctx = doc.ctx
    if "version" in doc:
        version = doc.val("version", str)
        if version is not None and version.value != NATIVE_VERSION:
            ctx.invalid(f"version: {version.value!r} is not a Sloth spec version obsgen reads", version.pos,
                        hint=f"obsgen imports `version: {NATIVE_VERSION}` and `apiVersion: {K8S_API}`")
        elif version is not None:
            _service_level(doc, NATIVE, build)
        return
    api, kind = doc.get("apiVersion", str), doc.get("kind", str)
    if api == K8S_API and kind == K8S_KIND:
        doc.only(("apiVersion", "kind", "metadata", "spec", "status"))
        meta = doc.map("metadata")
        name = meta.get("name", str) if meta else None
        namespace = meta.get("namespace", str) if meta else None
        what = f"{K8S_KIND} {'/'.join(x for x in (namespace, name) if x) or 'without a name'}"
        if meta is not None:
            ctx.note(f"{meta.pos}: the Kubernetes metadata of {what} describes the resource, not its SLOs: "
                     f"not imported")
        if "status" in doc:
            ctx.note(f"{doc.key_pos('status')}: the status of {what} is Sloth's run-time state: not imported")
        spec = doc.map("spec", required=True)
        if spec is not None:
            _service_level(spec, K8S, build)
        return
    if isinstance(api, str) and api.startswith("openslo/"):
        ctx.invalid(f"an OpenSLO {kind or 'document'}, not a Sloth one", doc.val_pos("apiVersion"),
                    hint="import it with `obsgen import openslo`")
    elif api == K8S_API:
        ctx.invalid(f"kind {kind!r} is not a Sloth SLO resource", doc.val_pos("kind") if "kind" in doc else doc.pos,
                    hint=f"obsgen imports kind {K8S_KIND}")
    else:
        ctx.invalid("not a Sloth document", doc.pos,
                    hint=f"a Sloth spec starts with `version: {NATIVE_VERSION}`, a Kubernetes resource with "
                         f"`apiVersion: {K8S_API}` and `kind: {K8S_KIND}`")


def _plugins(node: Node, key: str) -> None:
    """Plugin chains rewrite Sloth's generated rules; obsgen has no such hook. (An empty block
    changes nothing and is accepted.)"""
    if node.m.get(key):
        node.ctx.cannot(f"{node.where(key)}: Sloth SLO plugins change the rules Sloth generates; obsgen has no "
                        f"plugins", node.key_pos(key), hint="remove the chain, and check obsgen's rules do what it did")


def _service_level(spec: Node, d: Dialect, build: Build) -> None:
    spec.only(d.service_keys)
    service = spec.val("service", str, required=True)
    labels = spec.strings("labels")
    _plugins(spec, d.slo_plugins)
    slos = spec.items("slos")
    if service is None:
        return
    own_team = labels.get("team")
    build.service(service, team=own_team)
    for slo in slos:
        out = _slo(slo, d, {k: v for k, v in labels.items() if k != "team"})
        if out is not None:
            spec_, team = out
            build.add(ImportedSLO(service, spec_, slo.pos, team))


def _slo(slo: Node, d: Dialect, service_labels: dict[str, Val]) -> tuple[dict, Val | None] | None:
    ctx = slo.ctx
    slo.only(d.slo_keys)
    name_v = slo.val("name", str, required=True)
    name = check_name(ctx, name_v, "SLO name") if name_v else None
    objective = _objective(slo)
    description = slo.get("description", str)
    labels, team = slo_labels(ctx, service_labels, slo.strings("labels"))
    _plugins(slo, "plugins")
    for key, why in (("infoLabels", "obsgen has no SLO info series to put them on"),
                     ("interval", "obsgen evaluates SLO rules at the global evaluation_interval")):
        if slo.m.get(key):
            ctx.cannot(f"{slo.where(key)}: {why}", slo.key_pos(key))
    sli = _sli(slo.map("sli", required=True), d)
    alerting, alert_team = _alerting(slo, d, labels)
    team = merge_team(ctx, team, alert_team)
    if name is None or objective is None or sli is None:
        return None
    out = {"name": name, "objective": objective, "period": PERIOD}
    if description:
        out["description"] = description
    out["sli"] = sli
    if alerting:
        out["alerting"] = alerting
    if labels:
        out["labels"] = labels
    return out, team


def _objective(slo: Node) -> float | None:
    v = slo.val("objective", float, required=True)
    if v is None:
        return None
    if not 0 < v.value <= 100:
        slo.ctx.invalid(f"{v.path}: Sloth objectives are percentages above 0 and at most 100", v.pos)
        return None
    if v.value == 100:
        slo.ctx.cannot(f"{v.path}: an objective of 100% leaves no error budget; obsgen's objectives are below 100",
                       v.pos, hint="use e.g. 99.99")
        return None
    return v.value


def _query(node: Node, key: str) -> str | None:
    v = node.val(key, str, required=True)
    if v is None:
        return None
    text = v.value.strip()
    if not _WINDOW.search(text):
        node.ctx.invalid(f"{v.path}: the query needs the {{{{.window}}}} placeholder where the range goes", v.pos)
        return None
    converted = _WINDOW.sub("{{window}}", text)
    if "{{" in converted.replace("{{window}}", ""):
        node.ctx.cannot(f"{v.path}: obsgen fills in only the window; other Go template actions cannot be expressed",
                        v.pos)
        return None
    return converted if promql_ok(node.ctx, v, converted.replace("{{window}}", "5m")) else None


def _sli(sli: Node | None, d: Dialect) -> dict | None:
    if sli is None:
        return None
    ctx = sli.ctx
    sli.only(("events", "raw", "plugin"))
    given = [k for k in ("events", "raw", "plugin") if k in sli]
    if len(given) != 1:
        ctx.invalid(f"{sli.path}: give exactly one of events, raw or plugin"
                    + (f" (found {', '.join(given)})" if given else ""), sli.pos)
        return None
    if "plugin" in sli:
        ctx.cannot(f"{sli.where('plugin')}: Sloth SLI plugins run Sloth's own code to build the query; obsgen "
                   f"cannot express them", sli.key_pos("plugin"),
                   hint="write the query the plugin produces as sli.raw or sli.events")
        return None
    if "raw" in sli:
        raw = sli.map("raw", required=True)
        if raw is None:
            return None
        raw.only((d.error_ratio_query,))
        query = _query(raw, d.error_ratio_query)
        return {"raw": {"error_ratio": query}} if query else None
    events = sli.map("events", required=True)
    if events is None:
        return None
    events.only((d.error_query, d.total_query))
    bad, total = _query(events, d.error_query), _query(events, d.total_query)
    if bad is None or total is None:
        return None
    if bad == total:
        ctx.invalid(f"{events.path}: the error and total queries are the same", events.pos)
        return None
    if "\n" in bad or "\n" in total:
        ratio = f"(\n{_indent(bad)}\n)\n/\n(\n{_indent(total)}\n)"
    else:
        ratio = f"({bad}) / ({total})"
    return {"raw": {"error_ratio": ratio}}


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" if line else line for line in text.splitlines())


TIERS = (("page", "critical"), ("ticket", "warning"))


def _alerting(slo: Node, d: Dialect, slo_label_values: dict[str, str]) -> tuple[dict, Val | None]:
    """Sloth's alerting block -> obsgen's, and the team it routes to (if a label names one)."""
    ctx = slo.ctx
    a = slo.map("alerting")
    if a is None:
        return {}, None
    a.only(("name", "labels", "annotations", d.page_alert, d.ticket_alert))
    out: dict = {}
    name = a.val("name", str)
    if name is not None:
        if naming.ALERT_RE.fullmatch(name.value):
            out["name"] = name.value
        else:
            ctx.cannot(f"{name.path}: {name.value!r} is not an alert name obsgen can use", name.pos,
                       hint="alert names are letters, digits and underscores, not starting with a digit")
    common = a.strings("labels")
    tiers = {}
    for tier, key in (("page", d.page_alert), ("ticket", d.ticket_alert)):
        t = a.map(key)
        if t is not None:
            t.only(("disable", "labels", "annotations"))
        disabled = bool(t.get("disable", bool)) if t else False
        tiers[tier] = (t, disabled, {**common, **(t.strings("labels") if t else {})})
    team = _shared_label(slo, tiers, "team")
    category = _shared_label(slo, tiers, "category")
    if category is not None and category.value not in naming.CATEGORIES:
        ctx.cannot(f"{category.path}: alert category {category.value!r} is not one of obsgen's "
                   f"({', '.join(naming.CATEGORIES)})", category.pos,
                   hint="rename the label (e.g. `slo_category`) to keep it as a plain label")
    elif category is not None:
        out["category"] = category.value
    for tier, default in TIERS:
        _, disabled, labels = tiers[tier]
        out[tier] = _tier(slo, labels, disabled, default, slo_label_values)
    annotations, runbook = alert_annotations(ctx, _annotations(a, tiers))
    if runbook:
        out["runbook_url"] = runbook
    if annotations:
        out["annotations"] = annotations
    if team is not None:
        check_name(ctx, team, "team name")
    return out, team


def _shared_label(slo: Node, tiers: dict, key: str) -> Val | None:
    """A label obsgen sets once for both tiers (team, category): both tiers must agree."""
    seen: list[tuple[str, Val | None]] = []
    for tier, (t, disabled, labels) in tiers.items():
        v = labels.get(key)
        if v is not None or not disabled:
            seen.append((tier, v))
    values = {v.value if v else None for _, v in seen}
    given = [v for _, v in seen if v is not None]
    if len(values) > 1:
        v = given[-1]
        slo.ctx.cannot(f"{v.path}: obsgen sets `{key}` once for both alert tiers of an SLO, and the tiers differ",
                       v.key_pos, hint=f"set `{key}` under alerting.labels, or the same on both tiers")
    return given[0] if given else None


def _tier(slo: Node, labels: dict[str, Val], disabled: bool, default: str, slo_labels: dict[str, str]) -> dict:
    ctx = slo.ctx
    out: dict = {"enabled": False} if disabled else {}
    severity = labels.get("severity")
    if severity is not None and severity.value not in naming.SEVERITIES:
        ctx.cannot(f"{severity.path}: severity {severity.value!r} is not one of obsgen's "
                   f"({', '.join(naming.SEVERITIES)})", severity.pos,
                   hint="obsgen routes by severity; map it to critical, warning or info and route per team")
    out["severity"] = severity.value if severity is not None and severity.value in naming.SEVERITIES else default
    extra = {}
    for key, v in labels.items():
        if key in ("severity", "team", "category"):
            continue
        if key in ("service", "slo", "slo_tier"):
            ctx.cannot(f"{v.path}: label `{key}` is set by obsgen itself on SLO alerts", v.key_pos,
                       hint="rename the label to keep it")
        elif key in slo_labels and slo_labels[key] != v.value:
            ctx.cannot(f"{v.path}: obsgen puts the SLO's label {key}={slo_labels[key]!r} on its alerts; an alert "
                       f"label cannot override it", v.key_pos)
        elif key not in slo_labels and label_name_ok(ctx, v, key):
            extra[key] = v.value
    if extra:
        out["labels"] = extra
    return out


def _annotations(a: Node, tiers: dict) -> dict[str, Val]:
    """Sloth gives each alert alerting.annotations plus its tier's own. obsgen's annotations are
    shared by both tiers, so a tier's own annotation must be what the other tier gets too (a
    disabled tier generates no alert, so its annotations do not matter)."""
    common = a.strings("annotations")
    own = {tier: t.strings("annotations") if t is not None else {} for tier, (t, _, _) in tiers.items()}
    enabled = [tier for tier, (_, disabled, _) in tiers.items() if not disabled]
    effective = {tier: {**common, **own[tier]} for tier in enabled}
    out = dict(common)
    for tier in enabled:
        for key, v in own[tier].items():
            others = [o for o in enabled if o != tier]
            if all(key in effective[o] and effective[o][key].value == v.value for o in others):
                out[key] = v
            else:
                a.ctx.cannot(f"{v.path}: obsgen's SLO alert annotations are shared by both tiers, and the "
                             f"{others[0]} alert does not get the same `{key}`", v.key_pos,
                             hint="move it to alerting.annotations, or give both tiers the same one")
    return out
