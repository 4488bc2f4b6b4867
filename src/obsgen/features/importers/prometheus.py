"""`obsgen import prometheus`: a prometheus.yml -> obsgen services (one per scrape job) and global settings.

Each job becomes a service whose `scrape` says what the job said, in obsgen's model: `static`
and `labels` for one group of static targets; Prometheus' discovery lists, relabelling, HTTP
client and job settings under Prometheus' own names. The global block becomes `global`
(intervals, external labels, the scrape defaults), `alerting` the Alertmanagers, `remote_write`
and `remote_read` their lists. What obsgen does not model (`storage`, `tracing`, `otlp`,
`runtime`) goes into global.prometheus_extra, written back as given, with a warning (OBS069).
Rule files are not imported here (`obsgen import rules` does that): a warning names them.

A literal secret becomes its `*_file` setting under /etc/prometheus/secrets/, with a warning
(OBS081) naming the field, never the value; one with no file setting in Prometheus is refused.
global.prometheus_version is the oldest version (at least 2.42, Debian's) with every setting used.

The produced spec is loaded and built, and every job of the built prometheus.yml is compared with
the input's (`equivalent`): the same discovery, relabelling in the same order, params, auth,
limits, intervals; and the same global settings and remote endpoints.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from obsgen.core import naming
from obsgen.core.diagnostics import Diagnostic, Pos, describe, error, has_errors, normalise, warning
from obsgen.core.regex import re2_problem
from obsgen.core.serialise import to_commented_yaml
from obsgen.features.importers.common import NOT_EXPRESSIBLE, Ctx, input_files, load_imported, read_documents
from obsgen.features.importers.configs import ConfigReader, key_pos, slug, val_pos
from obsgen.load.yaml import YMap, YSeq
from obsgen.spec.integrations import NESTED_SECRETS, plain
from obsgen.spec.parse import did_you_mean
from obsgen.spec.scraping import (
    DISCOVERY,
    GLOBAL_SCRAPE,
    HTTP,
    RELABEL_ACTIONS,
    REMOTE_READ,
    REMOTE_WRITE,
    SCRAPE,
)

EXTRA = "OBS069"
SECRETS_DIR = "/etc/prometheus/secrets"
TOP = ("global", "rule_files", "scrape_config_files", "alerting", "scrape_configs", "remote_write", "remote_read",
       "storage", "tracing", "otlp", "runtime")
UNMODELLED = ("storage", "tracing", "otlp", "runtime")
RELABEL_KEYS = ("source_labels", "separator", "regex", "modulus", "target_label", "replacement", "action")
_OLDEST = (2, 42)
_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TARGET = re.compile(r"^[^\s/]+(:\d+)?$")


def import_prometheus(paths: list[Path], team: str = "imported") -> tuple[str | None, list[Diagnostic]]:
    """A prometheus.yml -> (obsgen spec as YAML text, or None; diagnostics)."""
    ctx = Ctx("Prometheus")
    found: list[tuple[YMap, str]] = []
    files = []
    texts: dict[str, list[str]] = {}
    for path, shown in input_files(paths, ctx):
        files.append(shown)
        docs, diags = read_documents(path, shown)
        ctx.diags += diags
        if docs:
            texts[shown] = path.read_text(encoding="utf-8-sig").splitlines()
        for doc in docs:
            if any(key in doc for key in TOP) and "kind" not in doc:
                found.append((doc, shown))
            elif doc.get("kind") in ("ConfigMap", "Secret"):
                ctx.cannot(f"a {doc.get('kind')}: give the prometheus.yml it holds", doc.pos)
    if has_errors(ctx.diags):
        return None, normalise(ctx.diags)
    if not found:
        ctx.invalid("found no Prometheus configuration (`global`, `scrape_configs`, `alerting`, `remote_write`...) "
                    "to import",
                    Pos(files[0] if files else "<no input>"))
        return None, normalise(ctx.diags)
    if len(found) > 1:
        ctx.diags.append(error("OBS040", f"{len(found)} Prometheus configurations given ({found[0][1]} and "
                                         f"{found[1][1]}); import one at a time", found[1][0].pos))
        return None, normalise(ctx.diags)
    tree, where = found[0]
    try:
        naming.check_name(team)
    except naming.NameNotAllowed as exc:
        ctx.diags.append(error("OBS032", f"--team {team!r}: {exc}", Pos("<command line>")))
        return None, normalise(ctx.diags)
    conv = _Config(tree, ctx, team, texts)
    doc = conv.convert()
    if doc is None or has_errors(ctx.diags):
        return None, normalise(ctx.diags)
    header = [f"Imported by obsgen from the Prometheus configuration {where}: one service per scrape job.",
              "Review it (teams, names), then keep it with your obsgen specs: it replaces that file as the source "
              "of truth."]
    header += conv.header_secrets()
    if ctx.notes:
        header += ["", "Notes:"] + [f"- {n}" for n in ctx.notes]
    text = to_commented_yaml(doc, "\n".join(header))
    _self_check(text, conv.as_read(), ctx, {path for path, _ in conv.secret_files})
    return (None if has_errors(ctx.diags) else text), normalise(ctx.diags)


_pos, _key_pos = val_pos, key_pos


def _slug(text: str) -> str:
    return slug(text, "job")


class _Config(ConfigReader):
    tool, host, secrets_dir, versions = "Prometheus", "Prometheus host", SECRETS_DIR, "2.42 to 3.14"

    def __init__(self, tree: YMap, ctx: Ctx, team: str, texts: dict[str, list[str]]):
        super().__init__(tree, ctx, texts, _OLDEST)
        self.team = team

    def as_read(self) -> dict:
        """The input as Prometheus reads it: relabelling and label values as written (for `equivalent`)."""
        def rules(seq) -> list:
            out = []
            for rule in seq if isinstance(seq, YSeq) else []:
                if not isinstance(rule, YMap):
                    out.append(plain(rule))
                    continue
                out.append({k: ([str(x) for x in v] if k == "source_labels" and isinstance(v, YSeq) else
                                 int(v) if k == "modulus" and isinstance(v, int) else
                                 plain(v) if isinstance(v, (YMap, YSeq)) else self.text(v, _pos(rule, k)))
                            for k, v in rule.items() if v is not None})
            return out

        def labels(m) -> dict:
            return {str(k): self.text(v, _pos(m, k)) for k, v in m.items()} if isinstance(m, YMap) else plain(m)

        doc = plain(self.tree)
        g = self.tree.get("global")
        if isinstance(g, YMap) and isinstance(g.get("external_labels"), YMap):
            doc["global"]["external_labels"] = labels(g["external_labels"])
        for i, job in enumerate(self.tree.get("scrape_configs") or []):
            if not isinstance(job, YMap):
                continue
            for key in ("relabel_configs", "metric_relabel_configs"):
                if key in job:
                    doc["scrape_configs"][i][key] = rules(job[key])
            for k, grp in enumerate(job.get("static_configs") or []):
                if isinstance(grp, YMap) and "labels" in grp:
                    doc["scrape_configs"][i]["static_configs"][k]["labels"] = labels(grp["labels"])
        for i, rw in enumerate(self.tree.get("remote_write") or []):
            if isinstance(rw, YMap) and "write_relabel_configs" in rw:
                doc["remote_write"][i]["write_relabel_configs"] = rules(rw["write_relabel_configs"])
        alerting = self.tree.get("alerting")
        if isinstance(alerting, YMap):
            if "alert_relabel_configs" in alerting:
                doc["alerting"]["alert_relabel_configs"] = rules(alerting["alert_relabel_configs"])
            for i, am in enumerate(alerting.get("alertmanagers") or []):
                if isinstance(am, YMap) and "relabel_configs" in am:
                    doc["alerting"]["alertmanagers"][i]["relabel_configs"] = rules(am["relabel_configs"])
        return doc

    def settings(self, m: YMap, table: dict, where: str, owner: str, out: dict,
                 secrets: dict[str, str | None] | None = None) -> None:
        """Copy the settings of `table` (and the HTTP client's, if in it) from `m` into `out`."""
        for key, value in m.items():
            if value is None:
                continue
            pos = _pos(m, key)
            if secrets and key in secrets:
                self.literal(m, key, secrets[key], where, owner, None, out)
                continue
            if key not in table:
                continue
            since = table[key][1]
            self.need(since, f"{where}{key}")
            if isinstance(value, (YMap, YSeq)):
                out[key] = self.nested(value, f"{where}{key}", owner, pos)
            else:
                out[key] = plain(value)

    # ---------------------------------------------------------------- the whole file

    def convert(self) -> dict | None:
        t = self.tree
        self.unknown(t, TOP, "")
        g = self.global_()
        services = self.jobs()
        for key in ("rule_files", "scrape_config_files"):
            if t.get(key):
                self.ctx.approximate(f"{key}: not imported ({'obsgen import rules' if key == 'rule_files' else 'import each file of jobs'} "
                                     f"takes them)", _key_pos(t, key))
        extra = {}
        for key in UNMODELLED:
            if t.get(key) is not None:
                extra[key] = self.nested(t[key], key, "global", _pos(t, key))
                self.ctx.diags.append(warning(EXTRA, f"{key}: not in obsgen's model; kept as given in "
                                                     f"global.prometheus_extra", _key_pos(t, key)))
        if extra:
            g["prometheus_extra"] = extra
        remote = {}
        for key, table in (("remote_write", REMOTE_WRITE), ("remote_read", REMOTE_READ)):
            items = self.items(t, key, "")
            entries = []
            for i, item in items:
                entry: dict = {}
                self.unknown(item, (*table, *HTTP, "bearer_token", "write_relabel_configs")
                             if key == "remote_write" else (*table, *HTTP, "bearer_token"), f"{key}[{i}].")
                self.settings(item, {**table, **HTTP}, f"{key}[{i}].", f"{key.replace('_', '-')}-{i + 1}", entry,
                              {"bearer_token": "authorization.credentials_file"})
                if key == "remote_write" and isinstance(item.get("write_relabel_configs"), YSeq):
                    entry["write_relabel_configs"] = self.relabel(item["write_relabel_configs"],
                                                                  f"{key}[{i}].write_relabel_configs")
                if isinstance(item.get("headers"), YMap):
                    for h in item["headers"]:
                        if str(h).lower() in ("authorization", "x-api-key", "api-key"):
                            self.ctx.cannot(f"{key}[{i}].headers.{h}: a credential in a header; Prometheus "
                                            "reads headers only as written", _pos(item["headers"], h),
                                            hint="use authorization.credentials_file or basic_auth.password_file")
                entries.append(entry)
            if entries:
                remote[key] = entries
        g.update(remote)
        out: dict = {"apiVersion": naming.API_VERSION}
        g["prometheus_version"] = self.version_note("global.prometheus_version")
        out["global"] = g
        out["teams"] = [{"name": self.team}]
        out["services"] = services
        return out

    def global_(self) -> dict:
        g = self.tree.get("global")
        out: dict = {}
        if isinstance(g, YMap):
            self.unknown(g, ("scrape_interval", "scrape_timeout", "evaluation_interval", "external_labels",
                             *GLOBAL_SCRAPE), "global.")
            for key in ("scrape_interval", "scrape_timeout", "evaluation_interval"):
                if g.get(key) is not None:
                    out[key] = str(g[key])
            labels = g.get("external_labels")
            if isinstance(labels, YMap) and labels:
                out["external_labels"] = {str(k): self.text(v, _pos(labels, k)) for k, v in labels.items()}
            defaults: dict = {}
            self.settings(g, GLOBAL_SCRAPE, "global.", "global", defaults)
            if defaults:
                out["scrape_defaults"] = defaults
        # Prometheus' own defaults where the file says nothing (obsgen's differ): 1m, 10s but never
        # longer than the interval, 1m.
        out.setdefault("scrape_interval", "1m")
        if "scrape_timeout" not in out:
            interval = naming.duration_seconds(out["scrape_interval"])
            out["scrape_timeout"] = out["scrape_interval"] if interval < 10 else "10s"
        out.setdefault("evaluation_interval", "1m")
        alerting = self.tree.get("alerting")
        managers: list[str] = []
        configs: list[dict] = []
        if isinstance(alerting, YMap):
            self.unknown(alerting, ("alertmanagers", "alert_relabel_configs"), "alerting.")
            if alerting.get("alert_relabel_configs"):
                out["alert_relabel_configs"] = self.relabel(alerting["alert_relabel_configs"],
                                                            "alerting.alert_relabel_configs")
            for i, am in self.items(alerting, "alertmanagers", "alerting."):
                simple = set(am) <= {"static_configs"} and all(
                    isinstance(s, YMap) and set(s) <= {"targets"} for s in am.get("static_configs") or [])
                if simple:
                    managers += [str(x) for s in am.get("static_configs") or [] for x in s.get("targets") or []]
                else:
                    configs.append(self.nested(am, f"alerting.alertmanagers[{i}]", f"alertmanager-{i + 1}", am.pos))
        out["alertmanagers"] = managers
        if configs:
            out["alertmanager_configs"] = configs
        return out

    # ---------------------------------------------------------------- jobs

    def relabel(self, value: Any, where: str) -> list[dict]:
        if not isinstance(value, YSeq):
            self.ctx.invalid(f"{where}: should be a list", getattr(value, "pos", self.tree.pos))
            return []
        out = []
        for i, (rule, pos) in enumerate(zip(value, value.item_pos)):
            if not isinstance(rule, YMap):
                self.ctx.invalid(f"{where}[{i}]: should be a mapping, not {describe(rule)}", pos)
                continue
            self.unknown(rule, RELABEL_KEYS, f"{where}[{i}].")
            entry = {}
            for key in RELABEL_KEYS:
                if rule.get(key) is not None:
                    v = rule[key]
                    entry[key] = [str(x) for x in v] if key == "source_labels" and isinstance(v, YSeq) else \
                        (str(v).lower() if key == "action" else (int(v) if key == "modulus" else
                                                                 self.text(v, _pos(rule, key))))
            if entry.get("action") is not None and entry["action"] not in RELABEL_ACTIONS:
                self.ctx.invalid(f"{where}[{i}].action: {entry['action']!r} is not a relabel action",
                                 _pos(rule, "action"), hint=did_you_mean(entry["action"], list(RELABEL_ACTIONS)))
            if "regex" in entry:
                problem = re2_problem(entry["regex"])
                if problem:
                    self.ctx.invalid(f"{where}[{i}].regex: not a regular expression Prometheus (RE2) accepts: "
                                     f"{problem}", _pos(rule, "regex"))
            out.append(entry)
        return out

    def jobs(self) -> list[dict]:
        services = []
        names: set[str] = set()
        jobs_seen: set[str] = set()
        for i, job in self.items(self.tree, "scrape_configs", ""):
            pos = job.pos
            where = f"scrape_configs[{i}]."
            name = job.get("job_name")
            if not isinstance(name, str) or not name:
                self.ctx.invalid(f"{where}job_name: required", pos)
                continue
            if name in jobs_seen:
                self.ctx.invalid(f"{where}job_name: job {name!r} is defined twice", _pos(job, "job_name"))
                continue
            jobs_seen.add(name)
            sd_keys = tuple(f"{k}_sd_configs" for k in DISCOVERY)
            allowed = ("job_name", "scrape_interval", "scrape_timeout", "metrics_path", "scheme", "static_configs",
                       "relabel_configs", "metric_relabel_configs", "bearer_token", *SCRAPE, *HTTP, *sd_keys)
            self.unknown(job, allowed, where)
            service = _slug(name)
            base, n = service, 2
            while service in names:
                service, n = f"{base[:60]}-{n}", n + 1
            names.add(service)
            sc: dict = {}
            if service != name:
                sc["job"] = name
            for key, ours in (("scrape_interval", "interval"), ("scrape_timeout", "timeout")):
                if job.get(key) is not None:
                    sc[ours] = str(job[key])
            if job.get("metrics_path") is not None:
                sc["metrics_path"] = str(job["metrics_path"])
            if job.get("scheme") is not None:
                sc["scheme"] = str(job["scheme"]).lower()
            groups = self.items(job, "static_configs", where)
            if len(groups) == 1 and self.plain_group(groups[0][1]):
                group = groups[0][1]
                sc["static"] = [str(x) for x in group.get("targets") or []]
                if isinstance(group.get("labels"), YMap) and group["labels"]:
                    sc["labels"] = {str(k): self.text(v, _pos(group["labels"], k)) for k, v in group["labels"].items()}
            elif groups:
                sc["static_configs"] = [{"targets": [str(x) for x in g.get("targets") or []],
                                         **({"labels": {str(k): self.text(v, _pos(g["labels"], k))
                                                        for k, v in g["labels"].items()}}
                                            if isinstance(g.get("labels"), YMap) and g["labels"] else {})}
                                        for _, g in groups]
            for kind, (since, fields, secrets, http) in DISCOVERY.items():
                key = f"{kind}_sd_configs"
                entries = []
                for k, sd in self.items(job, key, where):
                    self.need(since, key)
                    allowed_sd = (*fields, *secrets, *(HTTP if http else ()), *(("bearer_token",) if http else ()))
                    self.unknown(sd, allowed_sd, f"{where}{key}[{k}].")
                    entry: dict = {}
                    table = {f: (t, v, None) for f, (t, v) in fields.items()}
                    if http:
                        table.update(HTTP)
                    self.settings(sd, table, f"{where}{key}[{k}].", f"{service}-{kind}-{k + 1}", entry,
                                  {**secrets, **({"bearer_token": "authorization.credentials_file"} if http else {})})
                    entries.append(entry)
                if entries:
                    sc[key] = entries
            if not any(k in sc for k in ("static", "static_configs")) and not any(
                    k.endswith("_sd_configs") for k in sc):
                sc["static_configs"] = []
            self.settings(job, {**SCRAPE, **HTTP}, where, service, sc,
                          {"bearer_token": "authorization.credentials_file"})
            for key in ("relabel_configs", "metric_relabel_configs"):
                if job.get(key) is not None:
                    sc[key] = self.relabel(job[key], f"{where}{key}")
            services.append({"name": service, "team": self.team, "scrape": sc})
        return services

    @staticmethod
    def plain_group(group: YMap) -> bool:
        """A static group obsgen's short form says as it is: targets it accepts, ordinary labels."""
        targets = group.get("targets")
        labels = group.get("labels") or {}
        return (set(group) <= {"targets", "labels"} and isinstance(targets, YSeq) and len(targets) > 0
                and all(isinstance(x, str) and _TARGET.fullmatch(x) for x in targets)
                and all(_LABEL.fullmatch(str(k)) and not str(k).startswith("__") for k in labels))


# ----------------------------------------------------------------------------- proving it

def _self_check(text: str, original: dict, ctx: Ctx, created: set[str]) -> None:
    from obsgen.targets.prometheus import config_doc

    model = load_imported(text, ctx)
    if model is None:
        return
    for problem in equivalent(original, config_doc(model), created)[:10]:
        ctx.diags.append(error(NOT_EXPRESSIBLE, f"the built configuration would differ: {problem}",
                               Pos("<imported spec>")))


_JOB_DEFAULTS = {"metrics_path": "/metrics", "scheme": "http", "honor_labels": False, "honor_timestamps": True,
                 "follow_redirects": True, "enable_http2": True, "enable_compression": True}
_GLOBAL_DEFAULTS = {"scrape_interval": "1m", "scrape_timeout": "10s", "evaluation_interval": "1m"}


def _seconds(value: Any) -> float | None:
    try:
        return naming.duration_seconds(str(value))
    except Exception:  # noqa: BLE001 - not a duration: compared as written
        return None


def _norm_job(job: dict, g: dict, created: set[str]) -> dict:
    out = {k: v for k, v in job.items() if v is not None and _JOB_DEFAULTS.get(k, object()) != v}
    interval = out.pop("scrape_interval", g.get("scrape_interval", "1m"))
    timeout = out.pop("scrape_timeout", None)
    if timeout is None:
        gt = g.get("scrape_timeout", "10s")
        timeout = interval if (_seconds(gt) or 0) > (_seconds(interval) or 0) else gt
    out["scrape_interval"], out["scrape_timeout"] = _seconds(interval), _seconds(timeout)
    groups = []
    for grp in out.pop("static_configs", None) or []:
        grp = {k: v for k, v in grp.items() if v}
        if grp.get("targets") or grp.get("labels"):
            groups.append({"targets": list(grp.get("targets") or []),
                           "labels": {str(k): str(v) for k, v in (grp.get("labels") or {}).items()}})
    if groups:
        out["static_configs"] = groups
    for key in ("relabel_configs", "metric_relabel_configs"):
        rules = _rules(out.pop(key, None))
        if rules:
            out[key] = rules
    return _strip_secrets(out, created)


def _rules(rules) -> list:
    return [{k: (str(v).lower() if k == "action" else v) for k, v in r.items()
             if not (k == "action" and str(v).lower() == "replace")} for r in rules or []]


_SD_SECRETS = {"token", "auth_token", "application_secret", "consumer_key", "secret_key",
               "application_credential_secret", "alert_source_token"}


def _strip_secrets(value: Any, created: set[str] = frozenset()) -> Any:  # type: ignore[assignment]
    """Secrets compared by where they are, not by value: a literal secret in the input and the file
    the import made of it (`created`) read the same; other files compare by path. The old
    `bearer_token(_file)` reads as `authorization.credentials(_file)`, as Prometheus does."""
    if isinstance(value, dict):
        value = dict(value)
        if isinstance(value.get("sigv4"), dict):  # keys, or the profile they moved to: compared by region and role
            value["sigv4"] = {k: v for k, v in value["sigv4"].items() if k not in ("access_key", "secret_key",
                                                                                  "profile")}
        for old in ("bearer_token", "bearer_token_file"):
            if old in value:
                value.setdefault("authorization", {})
                value["authorization"] = {**value["authorization"],
                                          old.replace("bearer_token", "credentials"): value.pop(old)}
        out = {}
        for k, v in value.items():
            if v is None:  # null: as if not given
                continue
            if (k in NESTED_SECRETS or k in _SD_SECRETS) and not isinstance(v, (dict, list)):
                out[f"{k}_file"] = "<secret>"
            elif k.endswith("_file") and isinstance(v, str) and v in created:
                out[k] = "<secret>"
            else:
                out[k] = _strip_secrets(v, created)
        return out
    if isinstance(value, list):
        return [_strip_secrets(v, created) for v in value]
    return value


def equivalent(original: dict, built: dict, created: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """Where a built prometheus.yml does not scrape as the original did (see the module's docstring);
    `created`: the secret files the import made of literal secrets."""
    problems = []
    og, bg = original.get("global") or {}, built.get("global") or {}
    def effective(g: dict, key: str) -> float | None:
        if key == "scrape_timeout" and key not in g:  # Prometheus: 10s, but never longer than the interval
            return min(10.0, _seconds(g.get("scrape_interval", "1m")) or 60.0)
        return _seconds(g.get(key, _GLOBAL_DEFAULTS[key]))

    for key in ("scrape_interval", "scrape_timeout", "evaluation_interval"):
        if effective(og, key) != effective(bg, key):
            problems.append(f"global.{key}: {og.get(key)} in the original, {bg.get(key)} when built")
    if {str(k): str(v) for k, v in (og.get("external_labels") or {}).items()} != \
            {str(k): str(v) for k, v in (bg.get("external_labels") or {}).items()}:
        problems.append("global.external_labels differ")
    rest = lambda d: {k: v for k, v in d.items() if k not in (*_GLOBAL_DEFAULTS, "external_labels")}  # noqa: E731
    if rest(og) != rest(bg):
        problems.append(f"global settings {rest(og)} in the original, {rest(bg)} when built")
    mine = {j.get("job_name"): _norm_job(j, og, created) for j in original.get("scrape_configs") or []}
    theirs = {j.get("job_name"): _norm_job(j, bg, created) for j in built.get("scrape_configs") or []}
    for name, job in mine.items():
        if theirs.get(name) != job:
            problems.append(f"job {name!r}: {job} in the original, {theirs.get(name)} when built")
    for name in theirs:
        if name not in mine:
            problems.append(f"job {name!r} is built but not in the original")
    for key in ("remote_write", "remote_read"):
        if _remote(original.get(key), created) != _remote(built.get(key), created):
            problems.append(f"{key} differs")
    for key in UNMODELLED:
        if original.get(key) != built.get(key):
            problems.append(f"{key} differs")
    am_o = (original.get("alerting") or {})
    am_b = (built.get("alerting") or {})
    if _rules(am_o.get("alert_relabel_configs")) != _rules(am_b.get("alert_relabel_configs")):
        problems.append("alerting.alert_relabel_configs differ")
    if _alertmanagers(am_o, created) != _alertmanagers(am_b, created):
        problems.append(f"alerting.alertmanagers {am_o.get('alertmanagers')} in the original, "
                        f"{am_b.get('alertmanagers')} when built")
    return problems


def _remote(entries, created: set[str]) -> list:
    out = []
    for e in entries or []:
        e = dict(e)
        if "write_relabel_configs" in e:
            e["write_relabel_configs"] = _rules(e["write_relabel_configs"])
        out.append(_strip_secrets(e, created))
    return out


def _alertmanagers(alerting: dict, created: set[str]) -> list:
    out = []
    for am in alerting.get("alertmanagers") or []:
        am = dict(am)
        groups = [t for s in am.pop("static_configs", None) or [] for t in (s.get("targets") or [])]
        if "relabel_configs" in am:
            am["relabel_configs"] = _rules(am["relabel_configs"])
        out.append((tuple(groups), _strip_secrets(am, created)))
    merged = [o for o in out if o[1] == {}]
    rest = [o for o in out if o[1] != {}]
    targets = tuple(t for o in merged for t in o[0])
    return ([((targets), {})] if targets else []) + rest
