"""`obsgen import alertmanager`: an Alertmanager configuration -> obsgen's routing section.

What is read: a plain alertmanager.yml, or the `alertmanager.yaml` key of a Kubernetes Secret
(`stringData`, or base64 `data`). What is written is obsgen's own model, not a copy:
- the root route becomes routing.receiver, group_by and timing; every route below it a
  routing.routes entry (legacy `match`/`match_re` written as `matchers`, one matcher per item);
- receivers become routing.receivers, one list per integration, every setting under
  Alertmanager's name; `receiver_defaults: alertmanager`, so the built config adds nothing;
- inhibit rules become routing.inhibit_rules (obsgen's severity inhibition is turned off:
  `inhibit: []`); time intervals (and the older `mute_time_intervals`) routing.time_intervals;
- `global` becomes routing.global, `templates` routing.templates.
A literal secret is never copied: it becomes the setting's `*_file` form, pointing at a file
under /etc/alertmanager/secrets/ named after the receiver and setting, with a warning naming the
field (OBS081) and never the value. routing.alertmanager_version is the oldest version that has
every setting used (at least 0.25, obsgen's default).

The produced spec is loaded and built by obsgen before it is returned, and the built
configuration is compared with the input: the same receivers for every label set drawn from the
input's matchers, with the same grouping, timing, `continue` and time intervals; the same
receivers with the same integrations; the same inhibit rules and time intervals. A difference is
an error, as an importer bug would be (`equivalent` is also what the tests and the corpus measure
use).
"""
from __future__ import annotations

import base64
import binascii
from pathlib import Path

from obsgen.core.diagnostics import Diagnostic, Pos, error, has_errors, normalise
from obsgen.core.regex import re2_problem
from obsgen.core.routes import Matcher, match_routes, parse_matchers, route_matchers
from obsgen.core.serialise import to_commented_yaml
from obsgen.features.importers.common import NOT_EXPRESSIBLE, Ctx, input_files, load_imported, read_documents
from obsgen.features.importers.configs import ConfigReader, key_pos, slug, val_pos
from obsgen.load.yaml import YMap, YSeq, load_text
from obsgen.spec.integrations import (
    GLOBAL,
    GLOBAL_SECRETS,
    INTEGRATIONS,
    TRACING,
    plain,
    url_carries_secret,
)
from obsgen.spec.parse import did_you_mean

SECRETS_DIR = "/etc/alertmanager/secrets"
KEYS = ("global", "route", "inhibit_rules", "receivers", "templates", "mute_time_intervals", "time_intervals",
        "tracing")
ROUTE_KEYS = ("receiver", "group_by", "match", "match_re", "matchers", "mute_time_intervals",
              "active_time_intervals", "continue", "routes", "group_wait", "group_interval", "repeat_interval")
INHIBIT_KEYS = ("source_match", "source_match_re", "source_matchers", "target_match", "target_match_re",
                "target_matchers", "equal")
INTERVAL_KEYS = ("times", "weekdays", "days_of_month", "months", "years", "location")
_BY_KEY = {key: kind for kind, (key, *_rest) in INTEGRATIONS.items()}
_OLDEST = (0, 25)


def import_alertmanager(paths: list[Path]) -> tuple[str | None, list[Diagnostic]]:
    """An Alertmanager configuration -> (obsgen spec as YAML text, or None; diagnostics)."""
    ctx = Ctx("Alertmanager")
    found: list[tuple[YMap, str]] = []
    files = []
    texts: dict[str, list[str]] = {}  # each input's lines, for scalars Alertmanager reads as written
    for path, shown in input_files(paths, ctx):
        files.append(shown)
        found += _configs_in(path, shown, ctx, texts)
    if has_errors(ctx.diags):
        return None, normalise(ctx.diags)
    if not found:
        ctx.invalid("found no Alertmanager configuration (a `route` and `receivers`) to import",
                    Pos(files[0] if files else "<no input>"))
        return None, normalise(ctx.diags)
    if len(found) > 1:
        ctx.diags.append(error("OBS040", f"{len(found)} Alertmanager configurations given ({found[0][1]} and "
                                         f"{found[1][1]}); an obsgen spec holds one routing tree",
                               found[1][0].pos, hint="import one configuration at a time"))
        return None, normalise(ctx.diags)
    tree, where = found[0]
    conv = _Config(tree, ctx, texts)
    routing = conv.convert()
    if routing is None or has_errors(ctx.diags):
        return None, normalise(ctx.diags)
    header = [f"Imported by obsgen from the Alertmanager configuration {where}.",
              "Review it, then keep it with your obsgen specs: it replaces that file as the source of truth.",
              "Receivers keep Alertmanager's defaults for what they leave unset (receiver_defaults: alertmanager)."]
    header += conv.header_secrets()
    if ctx.notes:
        header += ["", "Notes:"] + [f"- {n}" for n in ctx.notes]
    text = to_commented_yaml({"apiVersion": "obsgen/v1", "routing": routing}, "\n".join(header))
    _self_check(text, conv.as_read(), ctx)
    return (None if has_errors(ctx.diags) else text), normalise(ctx.diags)


# ----------------------------------------------------------------------------- reading

def _configs_in(path: Path, shown: str, ctx: Ctx, texts: dict[str, list[str]]) -> list[tuple[YMap, str]]:
    docs, diags = read_documents(path, shown)
    ctx.diags += diags
    if docs:
        texts[shown] = path.read_text(encoding="utf-8-sig").splitlines()
    out = []
    for doc in docs:
        if doc.get("kind") in ("Secret", "ConfigMap"):
            out += _from_resource(doc, shown, ctx, texts)
        elif "route" in doc or "receivers" in doc:
            out.append((doc, shown))
        elif doc.get("kind") == "AlertmanagerConfig":
            ctx.cannot("an AlertmanagerConfig resource (the Prometheus Operator's per-namespace routing) is not an "
                       "Alertmanager configuration", doc.pos, hint="import the alertmanager.yaml the operator "
                                                                  "generates from it, or write the routes in obsgen")
    return out


def _from_resource(doc: YMap, shown: str, ctx: Ctx, texts: dict[str, list[str]]) -> list[tuple[YMap, str]]:
    """The configuration a Secret (stringData, or base64 data) or a ConfigMap holds: the key
    `alertmanager.yaml` (or .yml), else the one YAML key whose text is an Alertmanager config."""
    secret = doc.get("kind") == "Secret"
    found: list[tuple[YMap, str]] = []
    broken = False
    for field, encoded in (("stringData", False), ("data", secret)):
        block = doc.get(field)
        if not isinstance(block, YMap):
            continue
        keys = sorted((k for k in block if str(k).endswith((".yaml", ".yml")) and isinstance(block[k], str)),
                      key=lambda k: (not str(k).startswith("alertmanager."), str(k)))
        for k in block:  # notification templates kept beside the config: not part of obsgen's spec
            if str(k).endswith(".tmpl"):
                ctx.approximate(f"{field}.{k}: a template file in the {doc.get('kind')}, not imported; keep it where "
                                "routing.templates says Alertmanager finds it", block.key_pos.get(k, doc.pos))
        for key in keys:
            name = f"{shown}[{field}.{key}]"
            text = block[key]
            if encoded:
                try:
                    text = base64.b64decode(text.replace("\n", ""), validate=True).decode("utf-8")
                except (binascii.Error, UnicodeDecodeError):
                    ctx.invalid(f"{field}.{key}: not base64-encoded UTF-8 text", block.val_pos.get(key, doc.pos))
                    broken = True
                    continue
            tree, diags = load_text(text, name)
            texts[name] = text.splitlines()
            named = str(key).startswith("alertmanager.")
            if isinstance(tree, YMap) and ("route" in tree or "receivers" in tree):
                ctx.diags += diags
                found.append((tree, name))
                if named:  # the key Alertmanager's operator and charts read: that one, and no other
                    return found[-1:]
            elif named:
                ctx.diags += diags
        if found:
            return found
    if secret and not broken:
        ctx.invalid(f"a {doc.get('kind')} without an Alertmanager configuration (an `alertmanager.yaml` key in "
                    "stringData or data)", doc.pos)
    return []


_pos, _key_pos = val_pos, key_pos


def _slug(text: str) -> str:
    return slug(text, "receiver")


# ----------------------------------------------------------------------------- converting

class _Config(ConfigReader):
    tool, host, secrets_dir, versions = "Alertmanager", "Alertmanager host", SECRETS_DIR, "0.22 to 0.34"

    def __init__(self, tree: YMap, ctx: Ctx, texts: dict[str, list[str]]):
        super().__init__(tree, ctx, texts, _OLDEST)
        self.receiver_names: set[str] = set()
        self.interval_names: set[str] = set()

    def unknown(self, m: YMap, allowed, where: str) -> None:
        if "labels" in m and (where.startswith("route") or (where.startswith("receivers") and where.count(".") == 1)):
            self.ctx.cannot(f"{where}labels: labels set by a route or receiver (Alertmanager 0.33 and 0.34) "
                            "are not in obsgen's routing model yet", _key_pos(m, "labels"),
                            hint="leave them out of the input, or add them to the alerts' rules instead")
            allowed = (*allowed, "labels")
        super().unknown(m, allowed, where)

    def convert(self) -> dict | None:
        t = self.tree
        if t.get("event_recorder") is not None:
            self.ctx.cannot("event_recorder: Alertmanager's event recording (0.33) is not in obsgen's model yet",
                            _key_pos(t, "event_recorder"), hint="leave it out of the input and add it to the "
                                                                "built configuration's deployment yourself")
        self.unknown(t, (*KEYS, "event_recorder"), "")
        out: dict = {}
        route = self.mapping(t.get("route"), _pos(t, "route"), "route")
        if route is None:
            self.ctx.invalid("route: required (the root route, with its receiver)", t.pos)
            return None
        receivers = self.receivers()
        intervals = self.intervals()
        self.receiver_names, self.interval_names = {r["name"] for r in receivers}, set(intervals)
        root = self.root(route, self.receiver_names)
        inhibit = self.inhibit()
        g = self.global_()
        tracing = self.mapping(t.get("tracing"), _pos(t, "tracing"), "tracing")
        if tracing:
            self.unknown(tracing, tuple(TRACING), "tracing.")
            self.need((0, 30), "tracing")
        out["alertmanager_version"] = self.version_note("routing.alertmanager_version")
        out["receiver_defaults"] = "alertmanager"
        out.update(root["settings"])
        out["inhibit"] = []
        if g:
            out["global"] = g
        if tracing:
            out["tracing"] = {k: self.nested(v, f"tracing.{k}", "tracing", _pos(tracing, k))
                              for k, v in tracing.items() if k in TRACING and v is not None}
        templates = t.get("templates")
        if isinstance(templates, YSeq) and templates:
            out["templates"] = [str(x) for x in templates]
        if intervals:
            out["time_intervals"] = intervals
        out["receivers"] = receivers
        if root["routes"]:
            out["routes"] = root["routes"]
        if inhibit:
            out["inhibit_rules"] = inhibit
        return out

    def as_read(self) -> dict:
        """The input as Alertmanager reads it: legacy match values as written (for `equivalent`)."""
        def fix(m: YMap, prefixes: tuple[str, ...]) -> dict:
            out = plain(m)
            for prefix in prefixes:
                for key in (f"{prefix}match", f"{prefix}match_re"):
                    block = m.get(key)
                    if isinstance(block, YMap):
                        out[key] = {str(k): self.text(v, block.val_pos.get(k, block.pos)) for k, v in block.items()
                                    if v is not None}
            return out

        def route(m: YMap) -> dict:
            out = fix(m, ("",))
            children = m.get("routes")
            if isinstance(children, YSeq):
                out["routes"] = [route(c) if isinstance(c, YMap) else plain(c) for c in children]
            return out
        doc = plain(self.tree)
        if isinstance(self.tree.get("route"), YMap):
            doc["route"] = route(self.tree["route"])
        rules = self.tree.get("inhibit_rules")
        if isinstance(rules, YSeq):
            doc["inhibit_rules"] = [fix(r, ("source_", "target_")) if isinstance(r, YMap) else plain(r)
                                    for r in rules]
        return doc

    # -- routes

    def root(self, route: YMap, receivers: set[str]) -> dict:
        self.unknown(route, ROUTE_KEYS, "route.")
        for key in ("match", "match_re", "matchers", "mute_time_intervals", "active_time_intervals", "continue"):
            if route.get(key) not in (None, [], {}, False):
                self.ctx.invalid(f"route.{key}: the root route takes every alert; Alertmanager refuses {key} on it",
                                 _key_pos(route, key))
        receiver = route.get("receiver")
        settings: dict = {}
        if not isinstance(receiver, str) or not receiver:
            self.ctx.invalid("route.receiver: required on the root route", _key_pos(route, "receiver")
                             if "receiver" in route else route.pos)
        else:
            if receiver not in receivers:
                self.ctx.invalid(f"route.receiver: no receiver named {receiver!r}", _pos(route, "receiver"),
                                 hint=did_you_mean(receiver, sorted(receivers)))
            settings["receiver"] = receiver
        settings["group_by"] = self.group_by(route, "route.") or []
        for key in ("group_wait", "group_interval", "repeat_interval"):
            if route.get(key) is not None:
                settings[key] = str(route.get(key))
        routes = [self.route(child, f"route.routes[{i}].") for i, child in self.items(route, "routes", "route.")]
        return {"settings": settings, "routes": routes}

    def group_by(self, route: YMap, where: str) -> list[str] | None:
        value = route.get("group_by")
        if value is None:
            return None
        if not isinstance(value, YSeq):
            self.ctx.invalid(f"{where}group_by: should be a list of label names", _pos(route, "group_by"))
            return None
        return [str(x) for x in value]

    def matchers(self, m: YMap, prefix: str, where: str) -> list[str]:
        """A route's (or an inhibit rule side's) matchers, legacy maps included, one per item."""
        out: list[str] = []
        items = m.get(f"{prefix}matchers")
        if items is not None:
            if not isinstance(items, YSeq):
                self.ctx.invalid(f"{where}{prefix}matchers: should be a list", _pos(m, f"{prefix}matchers"))
            else:
                for i, (text, pos) in enumerate(zip(items, items.item_pos)):
                    try:
                        found = parse_matchers(str(text))
                    except ValueError as exc:
                        self.ctx.invalid(f"{where}{prefix}matchers[{i}]: {exc}", pos)
                        continue
                    for one in found:
                        self.regex_ok(one, f"{where}{prefix}matchers[{i}]", pos)
                    out += [str(x) for x in found]
        for key, op in ((f"{prefix}match", "="), (f"{prefix}match_re", "=~")):
            block = self.mapping(m.get(key), _pos(m, key), f"{where}{key}")
            for label, value in (block or {}).items():
                vpos = block.val_pos.get(label, block.pos)
                if value is None:
                    self.ctx.invalid(f"{where}{key}.{label}: no value", vpos)
                    continue
                legacy = Matcher(str(label), op, self.text(value, vpos))
                self.regex_ok(legacy, f"{where}{key}.{label}", vpos)
                out.append(str(legacy))
        return list(dict.fromkeys(out))

    def regex_ok(self, m: Matcher, where: str, pos: Pos) -> None:
        problem = re2_problem(m.value) if m.op in ("=~", "!~") else None
        if problem:
            self.ctx.invalid(f"{where}: {m} is not a regular expression Alertmanager (Go, RE2) accepts: {problem}",
                             pos)

    def route(self, route: YMap, where: str) -> dict:
        self.unknown(route, ROUTE_KEYS, where)
        out: dict = {}
        found = self.matchers(route, "", where)
        if found:
            out["matchers"] = found
        if route.get("receiver") is not None:
            out["receiver"] = str(route.get("receiver"))
            if out["receiver"] not in self.receiver_names:
                self.ctx.invalid(f"{where}receiver: no receiver named {out['receiver']!r}", _pos(route, "receiver"),
                                 hint=did_you_mean(out["receiver"], sorted(self.receiver_names)))
        if route.get("continue") is True:
            out["continue"] = True
        group_by = self.group_by(route, where)
        if group_by:  # an empty list is the parent's grouping in Alertmanager, as leaving it out is
            out["group_by"] = group_by
        for key in ("group_wait", "group_interval", "repeat_interval"):
            if route.get(key) is not None:
                out[key] = str(route.get(key))
        for key, ours in (("mute_time_intervals", "mute_during"), ("active_time_intervals", "active_during")):
            names = route.get(key)
            if isinstance(names, YSeq) and names:
                out[ours] = [str(x) for x in names]
                for n, (name, npos) in enumerate(zip(out[ours], names.item_pos)):
                    if name not in self.interval_names:
                        self.ctx.invalid(f"{where}{key}[{n}]: no time interval named {name!r}", npos,
                                         hint=did_you_mean(name, sorted(self.interval_names)))
                if key == "active_time_intervals":
                    self.need((0, 24), "active_time_intervals")
        children = [self.route(child, f"{where}routes[{i}].") for i, child in self.items(route, "routes", where)]
        if children:
            out["routes"] = children
        return out

    # -- receivers

    def receivers(self) -> list[dict]:
        out = []
        names: set[str] = set()
        for i, rc in self.items(self.tree, "receivers", ""):
            where = f"receivers[{i}]."
            name = rc.get("name")
            if not isinstance(name, str) or not name.strip():
                self.ctx.invalid(f"{where}name: required", rc.pos)
                continue
            if name in names:
                self.ctx.invalid(f"{where}name: receiver {name!r} is defined twice", _pos(rc, "name"))
                continue
            names.add(name)
            entry: dict = {"name": name}
            self.unknown(rc, ("name", *_BY_KEY), where)
            for key, kind in _BY_KEY.items():
                items = self.items(rc, key, where)
                if items:
                    self.need(INTEGRATIONS[kind][1], key)
                    entry[kind] = [self.integration(kind, cfg, name, k, len(items), f"{where}{key}[{k}].")
                                   for k, cfg in items]
            out.append(entry)
        return out

    def integration(self, kind: str, cfg: YMap, receiver: str, k: int, count: int, where: str) -> dict:
        key, _, fields, secrets, _ = INTEGRATIONS[kind]
        allowed = ("send_resolved", *fields, *secrets, *(() if kind == "email" else ("http_config",)))
        self.unknown(cfg, allowed, where)
        owner = f"{_slug(receiver)}-{kind}" + (f"-{k + 1}" if count > 1 else "")
        out: dict = {}
        for setting, value in cfg.items():
            if setting not in allowed or value is None:
                continue
            pos = _pos(cfg, setting)
            if setting in secrets:
                self.literal(cfg, setting, secrets[setting], where, owner, fields[secrets[setting]][1], out)
                continue
            if setting == "http_config":
                out[setting] = self.nested(value, f"{where}http_config", owner, pos)
                continue
            if setting in ("url", "webhook_url") and isinstance(value, str) and url_carries_secret(value) and \
                    f"{setting}_file" in fields:
                self.need(fields[f"{setting}_file"][1], f"{key} {setting}_file, where the URL with a credential now is")
                out[f"{setting}_file"] = self.secret(f"{where}{setting}", f"{setting}_file", owner, pos)
                continue
            if setting != "send_resolved":
                self.need(fields[setting][1], f"{key} {setting}")
            if isinstance(value, (YMap, YSeq)):
                value = self.nested(value, f"{where}{setting}", owner, pos)
            elif setting in fields and fields[setting][0] == "S":
                value = self.text(value, pos)
            out[setting] = plain(value)
        return out

    # -- global, intervals, inhibition

    def global_(self) -> dict:
        g = self.mapping(self.tree.get("global"), _pos(self.tree, "global"), "global")
        if not g:
            return {}
        self.unknown(g, (*GLOBAL, *GLOBAL_SECRETS), "global.")
        out: dict = {}
        for key, value in g.items():
            if value is None or (key not in GLOBAL and key not in GLOBAL_SECRETS):
                continue
            pos = _pos(g, key)
            if key in GLOBAL_SECRETS:
                self.literal(g, key, GLOBAL_SECRETS[key], "global.", "global", GLOBAL[GLOBAL_SECRETS[key]][1], out)
                continue
            self.need(GLOBAL[key][1], f"global {key}")
            out[key] = self.nested(value, f"global.{key}", "global", pos) if isinstance(value, (YMap, YSeq)) \
                else plain(value)
        return out

    def intervals(self) -> dict:
        out: dict = {}
        for block in ("mute_time_intervals", "time_intervals"):
            for i, ti in self.items(self.tree, block, ""):
                where = f"{block}[{i}]."
                self.unknown(ti, ("name", "time_intervals"), where)
                name = ti.get("name")
                if not isinstance(name, str) or not name:
                    self.ctx.invalid(f"{where}name: required", ti.pos)
                    continue
                if name in out:
                    self.ctx.invalid(f"{where}name: time interval {name!r} is defined twice", _pos(ti, "name"))
                    continue
                if block == "time_intervals":
                    self.need((0, 24), "time_intervals")
                spans = []
                for k, span in self.items(ti, "time_intervals", where):
                    self.unknown(span, INTERVAL_KEYS, f"{where}time_intervals[{k}].")
                    entry: dict = {}
                    for t_i, t in self.items(span, "times", f"{where}time_intervals[{k}]."):
                        entry.setdefault("times", []).append({"start": str(t.get("start_time")),
                                                              "end": str(t.get("end_time"))})
                    for key in ("weekdays", "days_of_month", "months", "years"):
                        values = span.get(key)
                        if isinstance(values, YSeq) and values:  # Alertmanager reads names in any case
                            entry[key] = [str(x).lower() for x in values]
                    if span.get("location") is not None:
                        entry["location"] = str(span.get("location"))
                    spans.append(entry)
                out[name] = spans
        if "mute_time_intervals" in self.tree and out:
            self.ctx.note("mute_time_intervals (the older name) are written as time_intervals (Alertmanager 0.24)")
            self.need((0, 24), "time_intervals")
        return out

    def inhibit(self) -> list[dict]:
        out = []
        for i, rule in self.items(self.tree, "inhibit_rules", ""):
            where = f"inhibit_rules[{i}]."
            self.unknown(rule, INHIBIT_KEYS, where)
            entry: dict = {"source_matchers": self.matchers(rule, "source_", where),
                           "target_matchers": self.matchers(rule, "target_", where)}
            equal = rule.get("equal")
            if isinstance(equal, YSeq) and equal:
                entry["equal"] = [str(x) for x in equal]
            out.append(entry)
        return out


# ----------------------------------------------------------------------------- proving it

def _self_check(text: str, original: dict, ctx: Ctx) -> None:
    """The produced spec must validate as it is and build into a configuration equivalent to the
    input (an error here is an importer bug)."""
    from obsgen.targets.alertmanager import config

    model = load_imported(text, ctx)
    if model is None:
        return
    for problem in equivalent(original, config(model))[:10]:
        ctx.diags.append(error(NOT_EXPRESSIBLE, f"the built configuration would differ: {problem}",
                               Pos("<imported spec>")))


def label_sets(cfg: dict) -> list[dict[str, str]]:
    """Label sets that exercise a configuration's routes: for each route, labels its chain of
    matchers accepts; then, for each matcher on the way, the same labels with that matcher made
    false (the label left out, or given the value it refuses); and no labels at all."""
    from obsgen.resolve.routing_table import sample_labels

    out: list[dict[str, str]] = [{}]

    def add(labels: dict[str, str]) -> None:
        if labels not in out:
            out.append(labels)

    def walk(route: dict, chain: list[dict]) -> None:
        for child in route.get("routes") or []:
            if not isinstance(child, dict):
                continue
            here = chain + [child]
            labels = sample_labels(here)
            if labels is not None:
                add(labels)
                for m in (m for r in here for m in route_matchers(r)):
                    flipped = dict(labels)
                    if m.op in ("=", "=~"):
                        flipped.pop(m.name, None)
                    else:
                        first = m.value.split("|")[0]
                        flipped[m.name] = first
                    add(flipped)
            walk(child, here)
    root = cfg.get("route")
    if isinstance(root, dict):
        walk(root, [])
    return out


def _hit(h) -> tuple:
    return (h.receiver, tuple(sorted(h.group_by)), h.group_wait, h.group_interval, h.repeat_interval,
            tuple(sorted(set(h.mute_time_intervals))), tuple(sorted(set(h.active_time_intervals))))


def _integrations(cfg: dict) -> dict[str, dict[str, int]]:
    out = {}
    for rc in cfg.get("receivers") or []:
        if isinstance(rc, dict):
            out[str(rc.get("name"))] = {k: len(v) for k, v in rc.items() if k.endswith("_configs") and v}
    return out


def _inhibitions(cfg: dict) -> list[tuple]:
    out = []
    for rule in cfg.get("inhibit_rules") or []:
        sides = []
        for side in ("source_", "target_"):
            ms = [str(m) for item in rule.get(f"{side}matchers") or [] for m in parse_matchers(str(item))]
            ms += [str(Matcher(str(k), "=", str(v))) for k, v in (rule.get(f"{side}match") or {}).items()]
            ms += [str(Matcher(str(k), "=~", str(v))) for k, v in (rule.get(f"{side}match_re") or {}).items()]
            sides.append(tuple(sorted(set(ms))))
        out.append((*sides, tuple(sorted(rule.get("equal") or []))))
    return sorted(out)


def _intervals(cfg: dict) -> dict:
    out = {}
    for block in ("mute_time_intervals", "time_intervals"):
        for ti in cfg.get(block) or []:
            spans = []
            for span in ti.get("time_intervals") or []:
                spans.append({k: [(str(x).lower() if k in ("weekdays", "months") else str(x))
                                  if not isinstance(x, dict) else {a: str(b) for a, b in x.items()}
                                  for x in v] if isinstance(v, list) else str(v)
                              for k, v in span.items() if v not in (None, [])})
            out[str(ti.get("name"))] = spans
    return out


def equivalent(original: dict, built: dict) -> list[str]:
    """Where a built Alertmanager configuration does not do what the original did (see the module's
    docstring); empty when they are equivalent."""
    problems = []
    for labels in label_sets(original):
        want = [_hit(h) for h in match_routes(original, labels)]
        got = [_hit(h) for h in match_routes(built, labels)]
        if want != got:
            problems.append(f"labels {labels}: routed to {[w[0] for w in want]} with {want} in the original, "
                            f"{[g[0] for g in got]} with {got} when built")
    mine, theirs = _integrations(original), _integrations(built)
    for name, kinds in mine.items():
        if theirs.get(name) != kinds:
            problems.append(f"receiver {name!r}: integrations {kinds} in the original, {theirs.get(name)} when built")
    if _inhibitions(original) != _inhibitions(built):
        problems.append(f"inhibit rules {_inhibitions(original)} in the original, {_inhibitions(built)} when built")
    if _intervals(original) != _intervals(built):
        problems.append(f"time intervals {_intervals(original)} in the original, {_intervals(built)} when built")
    return problems
