"""Sloth -> obsgen: `version: prometheus/v1` specs and the Kubernetes resource
`apiVersion: sloth.slok.dev/v1, kind: PrometheusServiceLevel` (camelCase keys, under `spec`).

Field by field:

    service                               -> services[].name
    labels, slos[].labels                 -> SLO labels (the SLO's win); `team` -> the owning team, else
                                             `owner` when it is an obsgen name (the label stays);
                                             `category` -> alerting.category (a warning: obsgen's SLO
                                             series do not carry it); numbers and booleans as written
    slos[].name, objective, description   -> the SLO's; period 30d, Sloth's default
    sli.events {error_query, total_query} -> sli.raw.error_ratio `(error) / (total)`
    sli.raw.error_ratio_query             -> sli.raw.error_ratio;  {{.window}} -> {{window}}
    sli.plugin getting_started_availability -> the query the plugin generates (other plugins: refused,
                                             saying what to write instead)
    alerting.name                         -> alerting.name (obsgen appends BudgetBurnPage/Ticket)
    alerting.labels + page_alert/ticket_alert labels -> that tier's labels, except
        severity -> the tier's severity (one obsgen lacks is defined in routing.severities, like
        the default it acts like: common.Vocabulary), team -> alerting.team, category ->
        alerting.category (defined in routing.categories when new)
    alerting.annotations + tier annotations -> alerting.annotations; summary, description ->
        alerting.summary, alerting.description; runbook(_url) -> runbook_url
    page_alert/ticket_alert.disable: true -> page/ticket.enabled: false
    slo_plugins / plugins chains          -> Sloth's core plugins: nothing to do; contrib plugins: left
                                             out with a warning saying what differs; others refused
    infoLabels, interval                  -> left out with a warning

In a Kubernetes resource an unknown field is a warning (the API server drops it); in a plain file
an error. Refused with OBS040, naming the field: SLI plugins obsgen does not know, unknown SLO
plugins, labels obsgen sets itself, and values obsgen's spec cannot hold (names).
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
    Vocabulary,
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
    pruned: bool = False  # a Kubernetes resource: unknown fields are dropped by the API server


NATIVE = Dialect("", "error_query", "total_query", "error_ratio_query", "page_alert", "ticket_alert", "slo_plugins",
                 ("version", "service", "labels", "slo_plugins", "slos"),
                 ("name", "description", "objective", "labels", "infoLabels", "sli", "alerting", "interval",
                  "plugins"))
K8S = Dialect("spec.", "errorQuery", "totalQuery", "errorRatioQuery", "pageAlert", "ticketAlert", "sloPlugins",
              ("service", "labels", "sloPlugins", "slos"),
              ("name", "description", "objective", "labels", "sli", "alerting", "plugins"), pruned=True)


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


# Sloth's own SLO plugins, and what obsgen does about each. Sloth's default chain (sli_rules,
# metadata_rules, alert_rules, validate) is what obsgen generates anyway; the others change what
# Sloth writes, and obsgen leaves them out with a warning saying what differs.
_SLO_PLUGINS = {
    "sloth.dev/core/sli_rules/v1": None, "sloth.dev/core/metadata_rules/v1": None,
    "sloth.dev/core/alert_rules/v1": None, "sloth.dev/core/validate/v1": None,
    "sloth.dev/core/noop/v1": None, "sloth.dev/core/debug/v1": None,
    "sloth.dev/contrib/validate_victoria_metrics/v1": None,
    "sloth.dev/contrib/info_labels/v1": "it adds labels to Sloth's SLO info series; obsgen's SLO info series carry "
                                        "the SLO's labels only",
    "sloth.dev/contrib/rule_intervals/v1": "it sets the evaluation interval of Sloth's rule groups; obsgen evaluates "
                                           "SLO rules at global.evaluation_interval",
    "sloth.dev/contrib/remove_labels/v1": "it removes labels from Sloth's rules; obsgen writes the SLO's labels on "
                                          "all of its rules",
    "sloth.dev/contrib/denominator_corrected_rules/v1": "it weighs each window's error ratio by its traffic; "
                                                        "obsgen's burn-rate alerts use the plain error ratio of each "
                                                        "window, as Sloth does by default",
    "sloth.dev/contrib/error_budget_exhausted_alert/v1": "it adds an alert when the error budget is used up; "
                                                         "obsgen's nearest is alerting.budget_alerts (50% and 90% "
                                                         "spent), which is not turned on",
}


def _plugins(node: Node, key: str) -> None:
    """SLO plugin chains: Sloth's default plugins change nothing obsgen does, and are accepted; the
    contrib ones are left out with a warning that says what differs; another plugin is refused."""
    chain = node.map(key)
    if chain is None:
        return
    chain.only(("chain", "overridePrevious"))
    for plugin in chain.items("chain"):
        plugin.only(("id", "priority", "config"))
        pid = plugin.val("id", str, required=True)
        if pid is None:
            continue
        if pid.value not in _SLO_PLUGINS:
            node.ctx.cannot(f"{pid.path}: SLO plugin {pid.value!r} changes the rules Sloth generates in ways "
                            f"obsgen cannot know", pid.pos,
                            hint="remove it from the chain, and check that obsgen's rules do what it did")
        elif _SLO_PLUGINS[pid.value] is None:
            node.ctx.note(f"{pid.pos}: SLO plugin {pid.value} changes nothing obsgen generates: not imported")
        else:
            node.ctx.approximate(f"{pid.path}: SLO plugin {pid.value} is not applied: {_SLO_PLUGINS[pid.value]}",
                                 pid.pos)


def _service_level(spec: Node, d: Dialect, build: Build) -> None:
    spec.only(d.service_keys, d.pruned)
    service = spec.val("service", str, required=True)
    labels = spec.strings("labels")
    _plugins(spec, d.slo_plugins)
    slos = spec.items("slos")
    if service is None:
        return
    own_team = labels.get("team") or _owner(labels.get("owner"))
    build.service(service, team=own_team)
    for slo in slos:
        out = _slo(slo, d, {k: v for k, v in labels.items() if k != "team"}, build.vocab)
        if out is not None:
            spec_, team = out
            build.add(ImportedSLO(service, spec_, slo.pos, team))


def _owner(v: Val | None) -> Val | None:
    """Sloth's examples and users name the owning team in an `owner` label: it owns the service
    when it can be an obsgen team name (the label itself stays on the SLO's series)."""
    if v is None:
        return None
    try:
        naming.check_name(str(v.value))
    except naming.NameNotAllowed:
        return None
    return v


def _slo(slo: Node, d: Dialect, service_labels: dict[str, Val], vocab: Vocabulary) -> tuple[dict, Val | None] | None:
    ctx = slo.ctx
    slo.only(d.slo_keys, d.pruned)
    name_v = slo.val("name", str, required=True)
    name = check_name(ctx, name_v, "SLO name") if name_v else None
    objective = _objective(slo)
    description = slo.get("description", str)
    own = slo.strings("labels")
    # A `category` label goes on Sloth's series and alerts; obsgen's category is its alerts' label.
    series_category = own.pop("category", None) or service_labels.get("category")
    if series_category is not None:
        ctx.approximate(f"{series_category.path}: label category={series_category.value!r} is imported as the "
                        f"category of the SLO's alerts: obsgen's SLO series do not carry it", series_category.key_pos)
    labels, team = slo_labels(ctx, {k: v for k, v in service_labels.items() if k != "category"}, own)
    _plugins(slo, "plugins")
    for key, why in (("infoLabels", "labels of Sloth's SLO info series only; obsgen's info series carry the "
                                    "SLO's labels"),
                     ("interval", "obsgen evaluates SLO rules at global.evaluation_interval")):
        if slo.m.get(key):
            ctx.approximate(f"{slo.where(key)}: not imported: {why}", slo.key_pos(key))
    sli = _sli(slo.map("sli", required=True), d)
    alerting, alert_team = _alerting(slo, d, labels, vocab, series_category)
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
    sli.only(("events", "raw", "plugin"), d.pruned)
    given = [k for k in ("events", "raw", "plugin") if k in sli]
    if len(given) != 1:
        ctx.invalid(f"{sli.path}: give exactly one of events, raw or plugin"
                    + (f" (found {', '.join(given)})" if given else ""), sli.pos)
        return None
    if "plugin" in sli:
        return _plugin_sli(sli.map("plugin", required=True), d)
    if "raw" in sli:
        raw = sli.map("raw", required=True)
        if raw is None:
            return None
        raw.only((d.error_ratio_query,), d.pruned)
        query = _query(raw, d.error_ratio_query)
        return {"raw": {"error_ratio": query}} if query else None
    events = sli.map("events", required=True)
    if events is None:
        return None
    events.only((d.error_query, d.total_query), d.pruned)
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


_FILTER = re.compile(r'^(\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*"\s*,?)*$')


def _getting_started_availability(options: dict[str, Val], plugin: Node) -> dict | None:
    """Sloth's example SLI plugin (examples/plugins/getting-started): HTTP requests of a job from
    http_request_duration_seconds_count, 5xx and 429 responses being errors; `filter`: more label
    matchers for both queries."""
    job = options.get("job")
    if job is None:
        plugin.ctx.invalid(f"{plugin.where('options')}: the plugin needs the `job` option", plugin.pos)
        return None
    matchers = []
    flt = options.get("filter")
    if flt is not None and flt.value.strip("{} ,"):
        if not _FILTER.fullmatch(flt.value.strip("{}")):
            plugin.ctx.invalid(f"{flt.path}: not a list of label matchers (k=\"v\",...)", flt.pos)
            return None
        matchers.append(flt.value.strip("{} ,"))
    job_text = str(job.value).replace("\\", "\\\\").replace('"', '\\"')
    total = ",".join(matchers + [f'job="{job_text}"'])
    errors = f'{total},code=~"(5..|429)"'
    metric = "http_request_duration_seconds_count"
    return {"raw": {"error_ratio": f"sum(rate({metric}{{{errors}}}[{{{{window}}}}]))\n/\n"
                                   f"sum(rate({metric}{{{total}}}[{{{{window}}}}]))"}}


# SLI plugins whose query obsgen writes itself: Sloth's own example plugin.
_SLI_PLUGINS = {"getting_started_availability": _getting_started_availability}


def _plugin_sli(plugin: Node | None, d: Dialect) -> dict | None:
    """An SLI plugin obsgen knows becomes the query it generates; another one is refused, saying what
    to write instead."""
    if plugin is None:
        return None
    plugin.only(("id", "options"), d.pruned)
    pid = plugin.val("id", str, required=True)
    options = plugin.strings("options")
    if pid is None:
        return None
    make = _SLI_PLUGINS.get(pid.value)
    if make is None:
        plugin.ctx.cannot(f"{pid.path}: SLI plugin {pid.value!r} runs code obsgen does not have to build the query",
                          pid.pos, hint=f"replace `sli.plugin` with `sli.raw.{d.error_ratio_query}`: the expression "
                                        f"Sloth records as slo:sli_error:ratio_rate5m for this SLO (in `sloth "
                                        f"generate`'s output), with [5m] written as [{{{{.window}}}}]; obsgen writes "
                                        f"the query itself for: {', '.join(sorted(_SLI_PLUGINS))}")
        return None
    out = make(options, plugin)
    if out is not None:
        plugin.ctx.note(f"{pid.pos}: SLI plugin {pid.value} is imported as the query it generates")
        promql_ok(plugin.ctx, pid, out["raw"]["error_ratio"].replace("{{window}}", "5m"))
    return out


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" if line else line for line in text.splitlines())


TIERS = (("page", "critical"), ("ticket", "warning"))


def _alerting(slo: Node, d: Dialect, slo_label_values: dict[str, str], vocab: Vocabulary,
              series_category: Val | None = None) -> tuple[dict, Val | None]:
    """Sloth's alerting block -> obsgen's, and the team it routes to (if a label names one);
    `series_category`: the SLO's `category` label, which its alerts carry unless they set their own."""
    ctx = slo.ctx
    a = slo.map("alerting")
    if a is None:
        kept = vocab.category(series_category) if series_category is not None else None
        if series_category is not None and kept is None:
            ctx.cannot(f"{series_category.path}: alert category {series_category.value!r} cannot be an obsgen "
                       f"category name", series_category.pos,
                       hint="categories are lowercase names; or rename the label (e.g. `slo_category`) to keep it")
        return ({"category": kept} if kept else {}), None
    a.only(("name", "labels", "annotations", d.page_alert, d.ticket_alert), d.pruned)
    out: dict = {}
    name = a.val("name", str)
    if name is not None:
        if naming.ALERT_RE.fullmatch(name.value):
            out["name"] = name.value
        else:
            ctx.cannot(f"{name.path}: {name.value!r} is not an alert name obsgen can use", name.pos,
                       hint="an alert name is text without control characters or surrounding spaces")
    common = a.strings("labels")
    tiers = {}
    for tier, key in (("page", d.page_alert), ("ticket", d.ticket_alert)):
        t = a.map(key)
        if t is not None:
            t.only(("disable", "labels", "annotations"), d.pruned)
        disabled = bool(t.get("disable", bool)) if t else False
        tiers[tier] = (t, disabled, {**common, **(t.strings("labels") if t else {})})
    team = _shared_label(slo, tiers, "team")
    category = _shared_label(slo, tiers, "category") or series_category
    if category is not None:
        kept = vocab.category(category)
        if kept is None:
            ctx.cannot(f"{category.path}: alert category {category.value!r} cannot be an obsgen category name",
                       category.pos, hint="categories are lowercase names; or rename the label (e.g. `slo_category`) "
                                          "to keep it as a plain label")
        else:
            out["category"] = kept
    for tier, default in TIERS:
        _, disabled, labels = tiers[tier]
        out[tier] = _tier(slo, labels, disabled, default, slo_label_values, vocab)
    given = _annotations(a, tiers)
    for key in ("summary", "description"):
        if key in given:
            out[key] = _obsgen_labels(slo.ctx, given.pop(key))
    annotations, runbook = alert_annotations(ctx, given)
    if runbook:
        out["runbook_url"] = runbook
    if annotations:
        out["annotations"] = annotations
    if team is not None:
        check_name(ctx, team, "team name")
    return out, team


# Labels Sloth puts on its alerts, and obsgen's of the same meaning.
_SLOTH_LABELS = {"sloth_service": "service", "sloth_slo": "slo", "sloth_severity": "severity"}
_SLOTH_LABEL_USE = re.compile(r"\$labels\.(sloth_(?:service|slo|severity|id|window))\b")


def _obsgen_labels(ctx, v: Val) -> str:
    """A summary or description as obsgen's alerts render it: Sloth's labels (`$labels.sloth_slo`)
    are obsgen's (`$labels.slo`); one obsgen has not is left and warned about."""
    text = str(v.value)
    used = sorted(set(_SLOTH_LABEL_USE.findall(text)))
    for name in used:
        if name in _SLOTH_LABELS:
            text = text.replace(f"$labels.{name}", f"$labels.{_SLOTH_LABELS[name]}")
    if used:
        missing = [n for n in used if n not in _SLOTH_LABELS]
        ctx.approximate(f"{v.path}: Sloth's labels {', '.join(used)} are obsgen's "
                        + ", ".join(f"{n} -> {_SLOTH_LABELS[n]}" for n in used if n in _SLOTH_LABELS)
                        + (f"; {', '.join(missing)} has none, so it renders empty" if missing else ""), v.pos)
    return text


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


def _tier(slo: Node, labels: dict[str, Val], disabled: bool, default: str, slo_labels: dict[str, str],
          vocab: Vocabulary) -> dict:
    ctx = slo.ctx
    out: dict = {"enabled": False} if disabled else {}
    severity = labels.get("severity")
    out["severity"] = vocab.severity(severity, like=default) if severity is not None else default
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
