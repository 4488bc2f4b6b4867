"""Phase 3, resolve: merge the files, apply each environment, check names and references.

Each file is loaded on its own; this module merges their trees (list sections concatenate,
mapping sections may be defined in one file only), applies an environment's overrides by deep
merge, parses the result, and checks what pydantic cannot: duplicate names across files,
references between teams, services, dashboards and routing, PromQL syntax, alert templates.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache


from . import lint, naming, objectives, silence
from .gotemplate import structure_problem
from .promql import PromQLTooBig, parse as parse_promql
from .diagnostics import Diagnostic, Pos, error, has_errors, warning
from .loader import YMap, YSeq
from .model import Model
from .slo import dashboard_uid
from .parse import Parsed, describe, did_you_mean, key_pos, locate, parse_project
from .spec import ENV_KEYS, FILE_KEYS, LIST_SECTIONS, SECTION_KEYS, OutputSpec

DEFAULT_ENV = "default"
# prometheus_client's (and client_golang's) default histogram buckets.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


@dataclass
class SpecFile:
    name: str  # stable name used in generated headers (relative to the spec folder)
    display: str  # what diagnostics print
    tree: YMap


def check_file(f: SpecFile) -> list[Diagnostic]:
    """Top-level shape of one file: apiVersion and known sections."""
    diags = []
    tree = f.tree
    if "apiVersion" not in tree:
        diags.append(error("OBS007", f"missing `apiVersion: {naming.API_VERSION}`", tree.pos))
    elif tree["apiVersion"] != naming.API_VERSION:
        diags.append(error("OBS007", f"unsupported apiVersion {tree['apiVersion']!r}",
                           tree.val_pos["apiVersion"], hint=f"this obsgen reads {naming.API_VERSION}"))
    allowed = FILE_KEYS + SECTION_KEYS
    for key in tree:
        if key not in allowed:
            diags.append(error("OBS010", f"unknown top-level key `{key}`", tree.key_pos[key],
                               hint=did_you_mean(key, list(allowed)) or f"allowed: {', '.join(allowed)}"))
    envs = tree.get("environments")
    if envs is not None and not isinstance(envs, YMap):
        diags.append(error("OBS011", "environments: should be a mapping of name to overrides",
                           tree.val_pos["environments"]))
    elif envs:
        for name, body in envs.items():
            try:
                naming.check_name(name)
            except ValueError as exc:
                diags.append(error("OBS032", f"environment {name!r}: {exc}", envs.key_pos[name]))
            if body is None:
                continue
            if not isinstance(body, YMap):
                diags.append(error("OBS011", f"environments.{name}: should be a mapping", envs.val_pos[name]))
                continue
            for key in body:
                if key not in ENV_KEYS:
                    diags.append(error("OBS010", f"unknown key `environments.{name}.{key}`", body.key_pos[key],
                                       hint=did_you_mean(key, list(ENV_KEYS)) or f"allowed: {', '.join(ENV_KEYS)}"))
    return diags


def merge_files(files: list[SpecFile]) -> tuple[YMap, dict[str, YMap], list[Diagnostic]]:
    """One tree for all files, and the environments' override blocks by name."""
    diags: list[Diagnostic] = []
    root = YMap(Pos(files[0].display, 1, 1) if files else Pos("<none>"))
    envs: dict[str, YMap] = {}
    env_pos: dict[str, Pos] = {}
    for f in sorted(files, key=lambda f: f.name):
        tree = f.tree
        for key in SECTION_KEYS:
            if key not in tree:
                continue
            value = tree[key]
            if key in LIST_SECTIONS:
                if value is None:
                    continue  # `teams:` with every item commented out
                if not isinstance(value, YSeq):
                    diags.append(error("OBS011", f"{key}: should be a list, not {describe(value)}",
                                       tree.val_pos[key]))
                    continue
                if key not in root:
                    root[key] = YSeq(tree.val_pos[key])
                    root.key_pos[key], root.val_pos[key] = tree.key_pos[key], tree.val_pos[key]
                root[key].extend(value)
                root[key].item_pos.extend(value.item_pos)
            elif key in root:
                first = root.key_pos[key]
                diags.append(error("OBS022", f"section `{key}` is already defined in {first.file} "
                                             f"(line {first.line})", tree.key_pos[key],
                                   hint="keep each of global, tracing and routing in one file"))
            else:
                root[key] = value
                root.key_pos[key], root.val_pos[key] = tree.key_pos[key], tree.val_pos[key]
        env_block = tree.get("environments")
        if isinstance(env_block, YMap):
            for name, body in env_block.items():
                if name in envs:
                    first = env_pos[name]
                    diags.append(error("OBS020", f"environment {name!r} is already defined in {first.file} "
                                                 f"(line {first.line})", env_block.key_pos[name]))
                    continue
                envs[name] = body if isinstance(body, YMap) else YMap(env_block.val_pos[name])
                env_pos[name] = env_block.key_pos[name]
    return root, envs, diags


def deep_merge(base, over, reshaped: list | None = None):
    """`over` on top of `base`: mappings merge key by key, anything else is replaced. Where a
    mapping replaces something else or the other way round, `reshaped` notes it: the base's own
    shape is then checked on its own (an override must not hide a mistake in the base)."""
    if not (isinstance(base, YMap) and isinstance(over, YMap)):
        if reshaped is not None and base is not None and over is not None and \
                isinstance(base, YMap) != isinstance(over, YMap):
            reshaped.append(over)
        return over
    out = YMap(base.pos)
    for src in (base, over):
        for key, value in src.items():
            if src is over and key in out:
                out[key] = deep_merge(out[key], value, reshaped)
            else:
                out[key] = value
            out.key_pos[key], out.val_pos[key] = src.key_pos[key], src.val_pos[key]
    return out


def apply_environment(root: YMap, name: str, overrides: YMap,
                      reshaped: list | None = None) -> tuple[YMap, list[Diagnostic]]:
    diags: list[Diagnostic] = []
    out = YMap(root.pos)
    out.update(root)
    out.key_pos.update(root.key_pos)
    out.val_pos.update(root.val_pos)
    for key, value in overrides.items():
        if key not in ENV_KEYS:
            continue  # reported once by check_file
        if key in LIST_SECTIONS:
            if not isinstance(value, YMap):
                diags.append(error("OBS011", f"environments.{name}.{key}: should be a mapping of "
                                             f"{key[:-1]} name to overrides", overrides.val_pos[key]))
                continue
            base = root.get(key)
            merged = YSeq(base.pos if isinstance(base, YSeq) else overrides.val_pos[key])
            by_name = {}
            if isinstance(base, YSeq):
                for item, pos in zip(base, base.item_pos):
                    merged.append(item)
                    merged.item_pos.append(pos)
                    name_of = _item_name(key, item) if isinstance(item, YMap) else None
                    if isinstance(name_of, str):
                        by_name.setdefault(name_of, len(merged) - 1)
            for item_name, patch in value.items():
                if item_name not in by_name:
                    diags.append(error("OBS021", f"environment {name!r} overrides {key[:-1]} {item_name!r}, "
                                                 f"which is not defined", value.key_pos[item_name],
                                       hint=did_you_mean(item_name, list(by_name))))
                    continue
                i = by_name[item_name]
                renamed = _renames(key, merged[i], patch)
                if renamed:
                    diags.append(error("OBS033", f"environment {name!r} cannot change the {renamed} of {key[:-1]} "
                                                 f"{item_name!r}: overrides find their object by it",
                                       patch.key_pos[renamed],
                                       hint=f"define another {key[:-1]} instead"))
                    continue
                merged[i] = deep_merge(merged[i], patch, reshaped)
            out[key] = merged
            out.key_pos[key] = root.key_pos.get(key, overrides.key_pos[key])
            out.val_pos[key] = merged.pos
        else:
            out[key] = deep_merge(root.get(key), value, reshaped)
            out.key_pos[key], out.val_pos[key] = overrides.key_pos[key], overrides.val_pos[key]
    return out, diags


def _renames(section: str, base, patch) -> str | None:
    """The identifying key an environment's patch would change, if any."""
    if not isinstance(patch, YMap) or not isinstance(base, YMap):
        return None
    keys = ("uid", "title") if section == "dashboards" else ("name",)
    for key in keys:
        if key == "title" and base.get("uid") is not None:
            continue  # a dashboard with a uid may retitle itself per environment
        if key in patch and patch[key] != base.get(key):
            return key
    return None


def _item_name(section: str, item: YMap) -> str | None:
    if section == "dashboards":
        uid, title = item.get("uid"), item.get("title")
        return _str(uid) or (naming.slug(title) if isinstance(title, str) and uid is None else None)
    return _str(item.get("name"))


# ----------------------------------------------------------------------------- semantic checks

_GRAFANA_VARS = re.compile(r"\$(__rate_interval|__interval|__range)\b|\$\{(__rate_interval|__interval|__range)\}")


@lru_cache(maxsize=8192)  # every environment checks the same expressions
def promql_error(expr: str) -> str | None:
    try:
        parse_promql(expr)
    except PromQLTooBig as exc:
        return f"{TOO_BIG}{exc}"
    except (ValueError, TypeError) as exc:
        return str(exc) or "invalid PromQL"
    return None


TOO_BIG = "\x00too big: "


def promql_diag(problem: str, what: str, pos: Pos, hint: str) -> Diagnostic:
    """OBS030 for an expression that does not parse; OBS037 for one over the size limits."""
    if problem.startswith(TOO_BIG):
        return error("OBS037", f"{what}: {problem[len(TOO_BIG):]}", pos,
                     hint="split it into recording rules; the limits are in the README (input limits)")
    return error("OBS030", f"{what} is not valid PromQL ({problem})", pos, hint=hint)


def template_error(text: str, own_templates: bool = True) -> str | None:
    """Why Go template text is malformed (unclosed or stray delimiters, unbalanced blocks), or None;
    with `own_templates=False` (a team's text, placed inside obsgen's `define`), also any `define`
    or `block`. The full parse is Go's; this catches mistakes and text that would escape."""
    problem = structure_problem(text, own_templates=own_templates)
    return problem[0] if problem else None


def _str(value) -> str | None:
    return value if isinstance(value, str) else None


def _sli_exprs(o) -> list[tuple[tuple[str, ...], str]]:
    """The PromQL an SLO's SLI holds, by field (raw SLIs with their window filled in)."""
    sli, out = o.sli, []
    if sli.ratio:
        out += [(("ratio", k), getattr(sli.ratio, k)) for k in ("good", "bad", "total") if getattr(sli.ratio, k)]
    if sli.freshness:
        out.append((("freshness", "gauge"), sli.freshness.gauge))
    if sli.raw:
        out.append((("raw", "error_ratio"), re.sub(r"\{\{\s*window\s*\}\}", "5m", sli.raw.error_ratio)))
    return out


class Checker:
    """Checks across objects. Names, references and expressions are read from the raw tree, so
    that a service with a type error elsewhere still has its team and PromQL checked; the checks
    that need defaults (routing) use what parsed. List items keep their index in the merged tree."""

    def __init__(self, tree: YMap, parsed: Parsed):
        self.tree = tree
        self.sections = parsed.sections
        self.teams = parsed.items["teams"]
        self.svcs = parsed.items["services"]
        self.diags: list[Diagnostic] = []

    def at(self, *loc) -> Pos:
        return locate(self.tree, loc)[0]

    def items(self, section: str) -> list[tuple[int, YMap]]:
        value = self.tree.get(section)
        return [(i, item) for i, item in enumerate(value) if isinstance(item, YMap)] if isinstance(value, YSeq) else []

    def run(self) -> list[Diagnostic]:
        teams = self.unique("teams", [(i, _str(t.get("name"))) for i, t in self.items("teams")], "team")
        services = self.unique("services", [(i, _str(s.get("name"))) for i, s in self.items("services")], "service")
        uids = self.unique("dashboards", [(i, _item_name("dashboards", d)) for i, d in self.items("dashboards")],
                           "dashboard uid", "uid", fold=True)
        for i, s in self.svcs:
            if (s.slos or s.probes) and dashboard_uid(s.name).casefold() in {u.casefold() for u in uids}:
                self.diags.append(error("OBS020", f"dashboard uid {dashboard_uid(s.name)!r} is taken by the SLO "
                                                  f"dashboard of service {s.name!r}", self.at("services", i, "slos"),
                                        hint="give the other dashboard another uid"))
        self.references(teams, services)
        self.services()
        self.slos(teams)
        self.dashboards()
        self.routing()
        self.tracing()
        self.logging()
        self.operator()
        self.sharding()
        return self.diags

    def unique(self, section: str, names: list[tuple[int, str | None]], what: str, field: str = "name",
               fold: bool = False) -> set[str]:
        """The names, each once; a second use is OBS020. With `fold`, names that differ only in
        case are the same (they become file names: one file on macOS and Windows checkouts)."""
        first: dict[str, tuple[int, str]] = {}
        for i, name in names:
            if name is None:
                continue
            key = name.casefold() if fold else name
            if key in first:
                j, seen = first[key]
                prev = self.at(section, j, field)
                same = f"duplicate {what} {name!r}" if seen == name else \
                    f"{what} {name!r} differs from {seen!r} only in case"
                self.diags.append(error("OBS020", f"{same} (first defined at {prev.file}:{prev.line})",
                                        self.at(section, i, field),
                                        hint=None if seen == name else "file systems on macOS and Windows, and Grafana "
                                             "on MySQL, treat them as one: rename one"))
            else:
                first[key] = (i, name)
        return {name for _, name in first.values()}

    def ref(self, name, known: set[str], what: str, *loc):
        if isinstance(name, str) and name not in known:
            self.diags.append(error("OBS021", f"{what} {name!r} is not defined", self.at(*loc),
                                    hint=did_you_mean(name, sorted(known)) or (
                                        f"defined: {', '.join(sorted(known))}" if known else f"no {what}s defined")))

    def references(self, teams: set[str], services: set[str]):
        for i, s in self.items("services"):
            self.ref(s.get("team"), teams, "team", "services", i, "team")
            for j, a in self.alerts(s):
                self.ref(a.get("team"), teams, "team", "services", i, "alerts", j, "team")
        for i, d in self.items("dashboards"):
            self.ref(d.get("team"), teams, "team", "dashboards", i, "team")
        routing = self.tree.get("routing")
        if isinstance(routing, YMap):
            self.ref(routing.get("default_team"), teams, "team", "routing", "default_team")
            categories = routing.get("categories")
            if isinstance(categories, YMap):
                for cat, c in categories.items():
                    if isinstance(c, YMap):
                        self.ref(c.get("team"), teams, "team", "routing", "categories", cat, "team")
        sampling = (self.tree.get("tracing") or {}).get("sampling") if isinstance(self.tree.get("tracing"), YMap) else None
        if isinstance(sampling, YMap) and isinstance(sampling.get("services"), YMap):
            for name in sampling["services"]:
                self.ref(name, services, "service", "tracing", "sampling", "services", name, "[key]")

    @staticmethod
    def alerts(service: YMap) -> list[tuple[int, YMap]]:
        alerts = service.get("alerts")
        return [(j, a) for j, a in enumerate(alerts) if isinstance(a, YMap)] if isinstance(alerts, YSeq) else []

    def services(self):
        jobs: dict[str, str] = {}
        groups: dict[str, str] = {}
        # SLO groups are named <service>-slo-<slo>: Mimir refuses two groups of one name in a namespace,
        # and Prometheus's rule files would hold two groups of one name.
        slo_groups = {f"{s.name}-slo-{o.name}": s.name for _, s in self.svcs for o in s.slos}
        g = self.sections["global"]
        for i, s in self.svcs:
            if s.scrape and s.scrape.timeout:
                interval = s.scrape.interval or g.scrape_interval
                if naming.duration_seconds(s.scrape.timeout) > naming.duration_seconds(interval):
                    self.diags.append(error(
                        "OBS033", f"service {s.name!r}: scrape timeout {s.scrape.timeout} is longer than its scrape "
                                  f"interval {interval}", self.at("services", i, "scrape", "timeout"),
                        hint="Prometheus refuses that; set `interval` too, or a shorter timeout"))
            group = s.rule_group.name or s.name
            if group in slo_groups:
                self.diags.append(error("OBS020", f"rule group {group!r} is the name of an SLO group of service "
                                                  f"{slo_groups[group]!r}",
                                        self.at("services", i, "rule_group", "name") if s.rule_group.name
                                        else self.at("services", i, "name"),
                                        hint="set rule_group.name to another name"))
            elif group in groups:
                self.diags.append(error("OBS020", f"rule group {group!r} is already used by service {groups[group]!r}",
                                        self.at("services", i, "rule_group", "name") if s.rule_group.name
                                        else self.at("services", i, "name"),
                                        hint="set rule_group.name to tell the groups apart"))
            groups.setdefault(group, s.name)
            if s.scrape:
                job = s.scrape.job or s.name
                if job in jobs:
                    self.diags.append(error("OBS020", f"scrape job {job!r} is already used by service "
                                                      f"{jobs[job]!r}", self.at("services", i, "scrape")))
                jobs.setdefault(job, s.name)
            self.probes(i, s, jobs)
            self.logs(i, s)
        self.instrumentation()
        for i, s in self.items("services"):
            name = _str(s.get("name")) or f"#{i + 1}"
            metrics = s.get("metrics")
            seen: set[str] = set()
            for j, m in enumerate(metrics if isinstance(metrics, YSeq) else []):
                metric = _str(m.get("name")) if isinstance(m, YMap) else None
                if metric in seen:
                    self.diags.append(error("OBS020", f"metric {metric!r} is declared twice in service {name!r}",
                                            self.at("services", i, "metrics", j, "name")))
                if metric:
                    seen.add(metric)
            records = s.get("recording_rules")
            for j, r in enumerate(records if isinstance(records, YSeq) else []):
                expr = _str(r.get("expr")) if isinstance(r, YMap) else None
                problem = promql_error(expr) if expr and expr.strip() else None
                if problem:
                    self.diags.append(promql_diag(problem, f"recording rule {r.get('record')}: expr",
                                                  self.at("services", i, "recording_rules", j, "expr"),
                                                  "check brackets, `by (...)` placement and operators"))
            # One name may have a rule per severity (warning at 80%, critical at 95%), as Prometheus allows.
            alerts: set[tuple[str, object]] = set()
            for j, a in self.alerts(s):
                alert = _str(a.get("name"))
                key = (alert, _str(a.get("severity")))
                if alert and key in alerts:
                    self.diags.append(error("OBS020", f"alert {alert!r} with severity {a.get('severity')} is defined "
                                                      f"twice in service {name!r}",
                                            self.at("services", i, "alerts", j, "name"),
                                            hint="one name may have a rule per severity; rename one of them"))
                if alert:
                    alerts.add(key)
                expr = _str(a.get("expr"))
                problem = promql_error(expr) if expr and expr.strip() else None
                if problem:
                    self.diags.append(promql_diag(problem, f"alert {alert}: expr",
                                                  self.at("services", i, "alerts", j, "expr"),
                                                  "check brackets, `by (...)` placement and operators"))
                # Prometheus expands templates in every label and annotation value.
                texts = [((field,), a.get(field)) for field in ("summary", "description", "runbook_url")]
                for block in ("labels", "annotations"):
                    if isinstance(a.get(block), YMap):
                        texts += [((block, k), v) for k, v in a[block].items()]
                for loc, text in texts:
                    bad = template_error(text) if isinstance(text, str) else None
                    if bad:
                        self.diags.append(error("OBS031", f"alert {alert}: {'.'.join(loc)}: {bad}",
                                                self.at("services", i, "alerts", j, *loc)))

    def probes(self, i: int, s, jobs: dict[str, str]):
        from .derived import alerts as derived_alerts

        seen: set[str] = set()
        for k, p in enumerate(s.probes):
            if p.name in seen:
                self.diags.append(error("OBS020", f"probe {p.name!r} is defined twice in service {s.name!r}",
                                        self.at("services", i, "probes", k, "name")))
                continue
            seen.add(p.name)
            job = naming.probe_job(s.name, p.name)
            if job in jobs:
                self.diags.append(error("OBS020", f"probe {p.name!r} scrapes as job {job!r}, which service "
                                                  f"{jobs[job]!r} already uses", self.at("services", i, "probes", k,
                                                                                         "name")))
            jobs.setdefault(job, s.name)
            if p.http:
                self.body_regexes(i, k, p)
            if p.timeout and naming.duration_seconds(p.timeout) > naming.duration_seconds(
                    p.interval or self.sections["global"].scrape_interval):
                self.diags.append(error("OBS033", f"probe {p.name!r}: timeout {p.timeout} is longer than its "
                                                  "interval", self.at("services", i, "probes", k, "timeout"),
                                        hint="Prometheus refuses that; set `interval` too, or a shorter timeout"))
        # Derived alerts must not clash with the service's own (name and severity).
        own = {(a.name, a.severity) for a in s.alerts}
        for d in derived_alerts(s, self.sections.get("logging")):
            if (d.spec.name, d.spec.severity) in own:
                self.diags.append(error("OBS020", f"service {s.name!r} defines alert {d.spec.name!r} "
                                                  f"({d.spec.severity}), which obsgen generates for "
                                                  f"{'.'.join(map(str, d.origin))}",
                                        self.at("services", i, *d.origin),
                                        hint="rename the service's own alert"))

    def body_regexes(self, i: int, k: int, p):
        from .probes import re2_problem

        for key in ("body_matches", "body_not_matches"):
            for n, pattern in enumerate(getattr(p.http, key)):
                problem = re2_problem(pattern)
                if problem:
                    self.diags.append(error(
                        "OBS036", f"probe {p.name!r}: {key}[{n}] {pattern!r} is not a regular expression the "
                                  f"blackbox exporter (Go, RE2) accepts: {problem}",
                        self.at("services", i, "probes", k, "http", key, n),
                        hint="RE2 has no lookarounds ((?=, (?!, (?<=) and no backreferences (\\1); name groups "
                             "(?P<name>...)"))

    def logging(self):
        lg = self.sections.get("logging")
        if lg is None:
            return
        # Fluent Bit names its counter namespace_subsystem_name and never leaves the subsystem empty.
        if not re.fullmatch(r"[^_]+_[^_]+_.+", lg.error_metric):
            self.diags.append(error("OBS033", f"logging.error_metric {lg.error_metric!r}: Fluent Bit can only "
                                              "name a counter namespace_subsystem_name",
                                    self.at("logging", "error_metric"),
                                    hint="use three or more `_`-separated parts, like log_errors_total"))
        es = lg.elasticsearch
        if es.username and not es.password_env:
            self.diags.append(error("OBS033", "logging.elasticsearch.username without password_env: Fluent Bit "
                                              "would log in with an empty password",
                                    self.at("logging", "elasticsearch", "username"),
                                    hint="set password_env to the variable holding the password, or drop username"))

    def sharding(self):
        """hashmod gives each shard part of every job: its rules need a ruler with the global view."""
        out = self.sections["output"]
        sh = out.sharding
        if sh.shards == 1:
            return
        if sh.by == "hashmod" and out.target == "files":
            self.diags.append(error(
                "OBS033", f"hashmod sharding gives each of the {sh.shards} Prometheus servers part of every job's "
                          f"targets, so rules evaluated on a shard see part of the data (absent(up), ratios and "
                          f"SLOs go wrong)", self.at("output", "sharding", "by"),
                hint="use `output.target: mimir` (Mimir's ruler evaluates the rules on all shards' samples), or "
                     "`by: team` (each team's jobs and rules on one shard)"))
        if out.target == "operator":
            self.diags.append(warning(
                "OBS033", f"the operator target writes no Prometheus configuration, so it cannot shard it over "
                          f"{sh.shards} servers", self.at("output", "sharding", "shards"),
                hint="set `shards` on your Prometheus resource: the operator splits the targets with hashmod"))
        owning = {s.team for _, s in self.svcs}
        known = {t.name for _, t in self.teams}
        for team, shard in sh.pin.items():
            where = self.at("output", "sharding", "pin", team)
            if sh.by != "team":
                self.diags.append(error("OBS033", "pin places whole teams, which only `by: team` does", where))
                break
            if team not in known:
                self.diags.append(error("OBS021", f"team {team!r} is not defined",
                                        key_pos(self.tree, ("output", "sharding", "pin", team)),
                                        hint=did_you_mean(team, sorted(known))))
            elif team not in owning:
                self.diags.append(warning("OBS033", f"pin: team {team!r} owns no services, so nothing is placed",
                                          where))
            if shard >= sh.shards:
                self.diags.append(error("OBS033", f"pin: shard {shard} does not exist; shards are numbered 0 to "
                                                  f"{sh.shards - 1}", where))
        teams = len(owning)
        if sh.by == "team" and sh.shards > teams:
            self.diags.append(warning(
                "OBS033", f"{sh.shards} shards by team, but only {teams} team(s) own services: the others scrape "
                          "nothing", self.at("output", "sharding", "shards")))
        if naming.SHARD_LABEL in self.sections["global"].external_labels:
            self.diags.append(error("OBS033", f"external label `{naming.SHARD_LABEL}` is obsgen's own on sharded "
                                              "servers", self.at("global", "external_labels", naming.SHARD_LABEL),
                                    hint="rename the label, or set output.sharding.shards to 1"))

    def operator(self):
        """The operator target refers to credentials as Secret keys: a file path must read
        <dir>/<secret>/<key>. AlertmanagerConfig has no time zones."""
        out = self.sections["output"]
        if out.target != "operator":
            return

        def secret_path(path: str | None, *loc):
            if path and naming.secret_ref(path) is None:
                self.diags.append(error(
                    "OBS033", f"{'.'.join(map(str, loc[-2:]))} {path!r} names no Secret key: with the operator "
                              "target a credential file is <dir>/<secret>/<key>, as the operator mounts Secrets",
                    self.at(*loc), hint="e.g. /etc/prometheus/secrets/<secret>/<key>"))

        for i, s in self.svcs:
            sc = s.scrape
            if sc and not (sc.kubernetes and sc.kubernetes.preset):
                secret_path(sc.ca_file, "services", i, "scrape", "ca_file")
                secret_path(sc.bearer_token_file, "services", i, "scrape", "bearer_token_file")
        if out.operator.alertmanager != "alertmanager_config":
            return
        for i, t in self.teams:
            for channel, fields in (("slack", ("api_url_file",)), ("pagerduty", ("routing_key_file",)),
                                    ("webhook", ("url_file", "credentials_file")), ("sms", ("credentials_file",))):
                block = getattr(t, channel)
                for field in fields:
                    secret_path(getattr(block, field, None) if block else None, "teams", i, channel, field)
        r = self.sections["routing"]
        if r.smtp:
            secret_path(r.smtp.auth_password_file, "routing", "smtp", "auth_password_file")
        for name, entries in r.time_intervals.items():
            for j, entry in enumerate(entries):
                if entry.location:
                    self.diags.append(error(
                        "OBS033", f"time interval {name!r} has a location ({entry.location}), which "
                                  "AlertmanagerConfig resources cannot hold: it would silently become UTC",
                        self.at("routing", "time_intervals", name, j, "location"),
                        hint="use output.operator.alertmanager: secret (the whole config as a Secret), or "
                             "write the times in UTC"))

    def logs(self, i: int, s):
        if s.logs is not None and self.sections.get("logging") is None:
            self.diags.append(error("OBS033", f"service {s.name!r} ships its logs, but the spec has no `logging` "
                                              "section saying where to", self.at("services", i, "logs"),
                                    hint="add a top-level `logging:` (Elasticsearch and retention), or remove "
                                         "`logs`"))

    def instrumentation(self):
        """Generated Python modules must be importable and unique; a catalog's metrics must not
        expose the same series (client libraries refuse that at import, Prometheus mixes them up)."""
        import keyword
        import sys

        modules: dict[str, str] = {}
        for i, s in self.svcs:
            series: dict[str, str] = {}
            for j, m in enumerate(s.metrics):
                for name in naming.series_of(m.name, m.type):
                    if name in series and series[name] != m.name:
                        self.diags.append(error(
                            "OBS020", f"metric {m.name!r} would expose series {name!r}, which metric "
                                      f"{series[name]!r} of service {s.name!r} exposes too",
                            self.at("services", i, "metrics", j, "name"),
                            hint="a counter x_total is also x and x_created; a histogram h is h_bucket, h_sum, "
                                 "h_count and h_created"))
                        break
                    series.setdefault(name, m.name)
            python = s.instrumentation.python
            if python is None:
                continue
            module = naming.python_module(s.name, python.module)
            where = ("services", i, "instrumentation", "python", "module") if python.module else ("services", i, "name")
            if keyword.iskeyword(module) or module in sys.stdlib_module_names or module == "prometheus_client" \
                    or not module.isidentifier():
                self.diags.append(error("OBS032", f"service {s.name!r}: {module!r} cannot be the name of the "
                                                  f"generated Python module (a keyword, not an identifier, or it "
                                                  f"would shadow a module it imports)", self.at(*where),
                                        hint="set instrumentation.python.module to another name"))
            if module in modules:
                self.diags.append(error("OBS020", f"service {s.name!r}: Python module {module!r} is already "
                                                  f"generated for service {modules[module]!r}", self.at(*where),
                                        hint="set instrumentation.python.module"))
            modules.setdefault(module, s.name)

    def slos(self, teams: set[str]):
        from .slo import SLO, warnings_for

        for i, s in self.items("services"):
            slos = s.get("slos")
            for j, o in enumerate(slos if isinstance(slos, YSeq) else []):
                alerting = o.get("alerting") if isinstance(o, YMap) else None
                if isinstance(alerting, YMap):
                    self.ref(alerting.get("team"), teams, "team", "services", i, "slos", j, "alerting", "team")
        for i, s in self.svcs:
            names: set[str] = set()
            alert_names = {a.name for a in s.alerts}
            catalog = {m.name: m for m in s.metrics}
            for j, o in enumerate(s.slos):
                at = ("services", i, "slos", j)
                if o.name in names:
                    self.diags.append(error("OBS020", f"SLO {o.name!r} is defined twice in service {s.name!r}",
                                            self.at(*at, "name")))
                names.add(o.name)
                for rule_name in (f"{SLO(s, o, s.team).alert_base}BudgetBurn{t}" for t in ("Page", "Ticket")):
                    if rule_name in alert_names:
                        self.diags.append(error("OBS020", f"SLO {o.name!r} would generate alert {rule_name!r}, which "
                                                          f"service {s.name!r} already defines", self.at(*at, "name"),
                                                hint="set the SLO's alerting.name to another base name"))
                for field, text in _sli_exprs(o):
                    problem = promql_error(text)
                    if problem:
                        self.diags.append(promql_diag(problem, f"SLO {o.name!r}: sli.{'.'.join(field)}",
                                                      self.at(*at, "sli", *field),
                                                      "check brackets and quotes in the selector"))
                lat = o.sli.latency
                if lat is not None:
                    metric = catalog.get(lat.histogram)
                    where = self.at(*at, "sli", "latency", "histogram")
                    if metric is None or metric.type != "histogram":
                        self.diags.append(error("OBS034", f"SLO {o.name!r}: {lat.histogram!r} is not a histogram in "
                                                          f"the metric catalog of service {s.name!r}", where,
                                                hint=did_you_mean(lat.histogram, [m for m, d in catalog.items()
                                                                                  if d.type == "histogram"])))
                    else:
                        buckets = metric.buckets or DEFAULT_BUCKETS
                        if not any(abs(b - lat.threshold) < 1e-9 for b in buckets):
                            self.diags.append(error(
                                "OBS034", f"SLO {o.name!r}: no bucket of {lat.histogram} has le={lat.threshold:g}, so "
                                          f"the share of requests under it cannot be counted",
                                self.at(*at, "sli", "latency", "threshold"),
                                hint=f"buckets: {', '.join(f'{b:g}' for b in buckets)}"))
                for problem in warnings_for(o):
                    self.diags.append(warning("OBS035", f"SLO {o.name!r}: {problem}", self.at(*at, "objective"),
                                              hint="lower the objective or lengthen the period"))

    def dashboards(self):
        for i, d in self.items("dashboards"):
            panels = d.get("panels")
            for j, p in enumerate(panels if isinstance(panels, YSeq) else []):
                queries = p.get("queries") if isinstance(p, YMap) else None
                for k, q in enumerate(queries if isinstance(queries, YSeq) else []):
                    expr = _str(q.get("expr")) if isinstance(q, YMap) else None
                    problem = promql_error(_GRAFANA_VARS.sub("5m", expr)) if expr and expr.strip() else None
                    if problem:
                        self.diags.append(promql_diag(
                            problem, f"dashboard {d.get('title')!r}, panel {p.get('title')!r}: query",
                            self.at("dashboards", i, "panels", j, "queries", k, "expr"),
                            "check brackets, `by (...)` placement and operators"))

    # Settings that need a newer Alertmanager than the oldest obsgen writes for: (what, version, where found).
    def am_features(self) -> list[tuple[str, tuple[int, int], tuple]]:
        r = self.sections["routing"]
        out: list[tuple[str, tuple[int, int], tuple]] = []
        for i, t in self.teams:
            if t.webhook and t.webhook.url_file:
                out.append(("webhook url_file", (0, 26), ("teams", i, "webhook", "url_file")))
            if t.pagerduty:
                out.append(("PagerDuty routing_key_file", (0, 25), ("teams", i, "pagerduty", "routing_key_file")))
            if t.sms and t.sms.sns:
                out.append(("SNS notifications", (0, 23), ("teams", i, "sms", "sns")))
        if r.time_intervals:
            out.append(("time_intervals and active_time_intervals", (0, 24), ("routing", "time_intervals")))
        return out

    def routing(self):
        r = self.sections["routing"]
        version = tuple(int(p) for p in r.alertmanager_version.split("."))
        for what, needed, loc in self.am_features():
            if version < needed:
                self.diags.append(error(
                    "OBS080", f"{what} needs Alertmanager {needed[0]}.{needed[1]} or later, and the spec targets "
                              f"{r.alertmanager_version} (routing.alertmanager_version)", self.at(*loc),
                    hint="upgrade Alertmanager and raise routing.alertmanager_version, or use a setting it has"))
        intervals = set(r.time_intervals)
        routing_tree = self.tree.get("routing")
        for block in ("severities", "categories"):
            entries = routing_tree.get(block) if isinstance(routing_tree, YMap) else None
            for key, cfg in (entries.items() if isinstance(entries, YMap) else []):
                for field in ("mute_during", "active_during"):
                    names = cfg.get(field) if isinstance(cfg, YMap) else None
                    for k, name in enumerate(names if isinstance(names, YSeq) else []):
                        self.ref(name, intervals, "time interval", "routing", block, key, field, k)
        for i, t in self.teams:
            for kind, text in t.templates.items():
                bad = template_error(text, own_templates=False)
                if bad:
                    self.diags.append(error("OBS031", f"team {t.name!r}: templates.{kind}: {bad}",
                                            self.at("teams", i, "templates", kind)))
        for i, t in self.teams:
            for sev, channels in t.channels.items():
                for ch in channels:
                    if getattr(t, ch) is None:
                        self.diags.append(error("OBS033", f"team {t.name!r} routes {sev} alerts to {ch}, "
                                                          f"but has no `{ch}` block", self.at("teams", i, "channels", sev)))
        with_email = [i for i, t in self.teams if t.email]
        if with_email and r.smtp is None:
            self.diags.append(error("OBS033", "teams have email channels, but routing.smtp is not set",
                                    key_pos(self.tree, ("teams", with_email[0], "email")),
                                    hint="set routing.smtp.smarthost and routing.smtp.from"))

    def tracing(self):
        """A service's OpenTelemetry settings point its SDK at the OTLP port of the generated Jaeger."""
        tracing = self.sections["tracing"]
        if tracing is None and self.tree.get("tracing") is not None:
            return  # the section is there but did not parse: reported already
        for i, s in self.svcs:
            if not s.instrumentation.tracing:
                continue
            where = self.at("services", i, "instrumentation", "tracing")
            if tracing is None:
                self.diags.append(error("OBS033", f"service {s.name!r} sets instrumentation.tracing, but the spec "
                                                  f"has no `tracing` section to send its spans to", where,
                                        hint="add a `tracing` section (`tracing: {}` for an in-memory Jaeger), "
                                             "or drop instrumentation.tracing"))
            elif not tracing.jaeger.otlp:
                self.diags.append(error("OBS033", f"service {s.name!r} sets instrumentation.tracing, but "
                                                  f"tracing.jaeger.otlp is false: Jaeger would not accept its "
                                                  f"OTLP spans", where,
                                        hint="set tracing.jaeger.otlp to true, or drop instrumentation.tracing"))
            else:
                strategy = tracing.sampling.services.get(s.name)
                if getattr(strategy, "rate_limit", None) is not None:
                    self.diags.append(error(
                        "OBS033", f"service {s.name!r} sets instrumentation.tracing, but its sampling strategy is "
                                  f"a rate limit, which the OpenTelemetry SDK cannot apply from environment "
                                  f"variables (only a ratio)", where,
                        hint="give the service a `probability`, or drop instrumentation.tracing and have its SDK "
                             "use Jaeger's remote sampling"))
        if tracing is not None and tracing.jaeger.image:
            image, variant = tracing.jaeger.image, tracing.jaeger.variant
            v1_image = "all-in-one" in image.rsplit("/", 1)[-1]
            if v1_image == (variant == "v2"):
                self.diags.append(error(
                    "OBS033", f"tracing.jaeger.image {image!r} does not run variant {variant}: "
                              + ("the 1.x all-in-one image takes flags, not Jaeger 2's configuration file"
                                 if v1_image else "variant v1-all-in-one needs a Jaeger 1.x all-in-one image"),
                    self.at("tracing", "jaeger", "image"),
                    hint="set `variant: v1-all-in-one` for a 1.x image, or use a jaegertracing/jaeger:2.x image"))
        if tracing is not None and tracing.sampling.operations:
            self.rate_limits_and_operations(tracing)

    def rate_limits_and_operations(self, tracing):
        """Jaeger v2 (2.2 and later) copies the global per-operation probabilities into a rate-limited
        service's strategy, and SDKs then sample it by them instead of its rate limit; 1.62 leaves
        them out."""
        for name, own in sorted(tracing.sampling.services.items()):
            if getattr(own, "rate_limit", None) is None:
                continue
            where = self.at("tracing", "sampling", "services", name, "rate_limit")
            if tracing.jaeger.variant == "v2":
                self.diags.append(error(
                    "OBS033", f"service {name!r} is rate-limited, but tracing.sampling.operations applies "
                              f"per-operation probabilities to every service: Jaeger v2 sends them to {name!r} too, "
                              f"and SDKs then sample it by them instead of its rate limit", where,
                    hint=f"give {name} a probability (with its own operations), or drop tracing.sampling.operations"))
            else:
                self.diags.append(warning(
                    "OBS033", f"service {name!r} is rate-limited, so the 1.x all-in-one does not apply "
                              f"tracing.sampling.operations to it", where,
                    hint=f"give {name} a probability to have its operations sampled as listed"))


def resolve(files: list[SpecFile], output: str | None = None) -> tuple[list[Model], list[Diagnostic]]:
    """Every environment's model. `output` (files, operator, mimir) replaces each environment's
    `output.target`, as `obsgen build --target` asks; it is checked as if the spec had said it."""
    diags: list[Diagnostic] = []
    for f in files:
        diags += check_file(f)
    root, envs, merge_diags = merge_files(files)
    diags += merge_diags
    if not envs:
        envs = {DEFAULT_ENV: YMap(root.pos)}
    sources = tuple(sorted(f.name for f in files))
    models = []
    trees, used = [], set()
    reshaped: list = []
    for name in sorted(envs):
        tree, env_diags = apply_environment(root, name, envs[name], reshaped)
        diags += env_diags
        parsed, parse_diags = parse_project(tree)
        diags += parse_diags
        if output and isinstance(parsed.sections.get("output"), OutputSpec):
            parsed.sections["output"] = parsed.sections["output"].model_copy(update={"target": output})
        checked = Checker(tree, parsed).run()
        diags += checked
        trees.append(tree)
        if parsed.ok and not has_errors(checked):
            model = Model(env=name, sources=sources, spec=parsed.spec())
            findings = lint.run(tree, parsed, model) + objectives.findings(tree, parsed, model)
            left, silenced, env_used = silence.apply(tree, findings)
            diags += left
            used |= env_used
            models.append(replace(model, silenced=tuple(silenced)))
    if reshaped:
        # An override changed a value's shape: the base's wrong types would otherwise go unseen.
        _, base_diags = parse_project(root)
        diags += [d for d in base_diags if d.code == "OBS011"]
        models = models if not has_errors(diags) else []
    if len(models) == len(trees):  # every environment was linted: unused silences are known
        diags += silence.unused(trees, used)
    return models, diags
