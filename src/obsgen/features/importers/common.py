"""Importers: Sloth and OpenSLO documents -> an obsgen spec, as YAML text.

Each importer reads its files with obsgen's loader, so every problem has a file:line:col, maps
every field it understands onto obsgen's SLO spec, and reports each field obsgen cannot express
as an error naming that field (OBS040): nothing is dropped silently. Input that is not a valid
document of the format is OBS041; an import that only approximates its input says so with a
warning (OBS042) and a note in the header of the produced spec.

What both importers share lives here: reading multi-document files with their positions, typed
field access, the label and annotation rules, and assembling and self-checking the spec.
Output order: services by name; within a service, SLOs in input order (files sorted by path,
then documents and list items as written), so the result does not depend on argument order.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from obsgen.api import load_texts
from obsgen.check.expressions import promql_error
from obsgen.core import naming
from obsgen.core.diagnostics import Diagnostic, Pos, Severity, describe, error, has_errors, normalise, warning
from obsgen.core.serialise import to_commented_yaml
from obsgen.load.yaml import MAX_FILE_BYTES, YMap, YSeq, load_text
from obsgen.resolve.slo import warnings_for
from obsgen.spec import SLO_ALERT_LABELS, SLOSpec
from obsgen.spec.parse import did_you_mean
from obsgen.spec.routing import DEFAULT_SEVERITIES

DEFAULT_TEAM = "slo-owners"
NOT_EXPRESSIBLE = "OBS040"  # the input is valid, but obsgen's spec cannot say it
NOT_VALID = "OBS041"  # the input is not a valid document of the format
APPROXIMATED = "OBS042"  # imported, but only approximately (a warning)
YAML_SUFFIXES = (".yaml", ".yml")

# Labels obsgen sets itself on SLO series and alerts; `team` is mapped, not refused.
RESERVED_LABELS = tuple(label for label in SLO_ALERT_LABELS if label != "team")
OBSGEN_ANNOTATIONS = ("summary", "description")
RUNBOOK_KEYS = ("runbook_url", "runbook")
_URL = re.compile(r"^https?://")


@dataclass(frozen=True)
class Val:
    """A scalar from the input with where it stands: value, key and value positions, dotted path."""

    value: object
    pos: Pos
    key_pos: Pos
    path: str


class Ctx:
    """Diagnostics and header notes collected over a whole import."""

    def __init__(self, fmt: str):
        self.fmt = fmt  # "Sloth" or "OpenSLO", for messages
        self.diags: list[Diagnostic] = []
        self.notes: list[str] = []
        self._lines: dict[str, list[str]] = {}

    def cannot(self, message: str, pos: Pos, hint: str | None = None) -> None:
        self.diags.append(error(NOT_EXPRESSIBLE, message, pos, hint))

    def invalid(self, message: str, pos: Pos, hint: str | None = None) -> None:
        self.diags.append(error(NOT_VALID, message, pos, hint))

    def approximate(self, message: str, pos: Pos, hint: str | None = None) -> None:
        self.diags.append(warning(APPROXIMATED, message, pos, hint))
        self.note(f"{pos}: {message}")

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def written(self, value: object, pos: Pos) -> str:
        """A scalar as the other tool (a Go program) reads it into a text field: as written."""
        if pos.file not in self._lines:
            try:
                self._lines[pos.file] = Path(pos.file).read_text(encoding="utf-8-sig", errors="replace").splitlines()
            except OSError:
                self._lines[pos.file] = []
        return as_written(value, pos, self._lines[pos.file])


_KINDS = {str: "a string", bool: "true or false", YMap: "a mapping", YSeq: "a list", float: "a number"}


class Node:
    """One mapping of an input document, read field by field with types checked and positions kept."""

    def __init__(self, m: YMap, path: str, ctx: Ctx):
        self.m, self.path, self.ctx = m, path, ctx

    @property
    def pos(self) -> Pos:
        return self.m.pos

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def __contains__(self, key: str) -> bool:
        return key in self.m

    def key_pos(self, key: str) -> Pos:
        return self.m.key_pos.get(key, self.m.pos)

    def val_pos(self, key: str) -> Pos:
        return self.m.val_pos.get(key, self.m.pos)

    def only(self, allowed: tuple[str, ...], pruned: bool = False) -> None:
        """Unknown keys are errors: a misspelt key must not vanish from the import. `pruned`: a
        Kubernetes resource, whose unknown fields the API server drops (or kubectl refuses, with
        --validate=strict): each is a warning that says it is not imported."""
        for key in self.m:
            if key not in allowed:
                hint = did_you_mean(key, list(allowed)) or f"known here: {', '.join(allowed)}"
                if pruned:
                    self.ctx.approximate(f"{self.where(key)}: unknown field of a {self.ctx.fmt} resource: Kubernetes "
                                         f"drops it (or kubectl refuses it), so the tool never sees it; not imported",
                                         self.key_pos(key), hint=hint)
                else:
                    self.ctx.invalid(f"{self.where(key)}: unknown key in a {self.ctx.fmt} document",
                                     self.key_pos(key), hint=hint)

    def get(self, key: str, kind: type, required: bool = False):
        """The value at `key` if it has the right type; None (with an error if wrong or required) otherwise."""
        if key not in self.m or self.m[key] is None:
            if required:
                self.ctx.invalid(f"{self.where(key)}: required", self.key_pos(key) if key in self.m else self.pos)
            return None
        value = self.m[key]
        ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
        if kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok:
            self.ctx.invalid(f"{self.where(key)}: should be {_KINDS[kind]}, not {describe(value)}",
                             self.val_pos(key))
            return None
        return value

    def val(self, key: str, kind: type, required: bool = False) -> Val | None:
        value = self.get(key, kind, required)
        return None if value is None else Val(value, self.val_pos(key), self.key_pos(key), self.where(key))

    def map(self, key: str, required: bool = False) -> Node | None:
        value = self.get(key, YMap, required)
        return None if value is None else Node(value, self.where(key), self.ctx)

    def items(self, key: str, required: bool = False) -> list[Node]:
        """The mappings of a list; items that are not mappings are reported."""
        seq = self.get(key, YSeq, required)
        out = []
        for i, (item, pos) in enumerate(zip(seq or [], (seq.item_pos if seq else []))):
            path = f"{self.where(key)}[{i}]"
            if isinstance(item, YMap):
                out.append(Node(item, path, self.ctx))
            else:
                self.ctx.invalid(f"{path}: should be a mapping, not {describe(item)}", pos)
        return out

    def strings(self, key: str) -> dict[str, Val]:
        """A map of string to string (labels, annotations)."""
        m = self.map(key)
        return m.string_values() if m else {}

    def string_values(self, skip=lambda value: False) -> dict[str, Val]:
        """This mapping's values as strings. A number or boolean is taken as written (`1`, `true`,
        `1.10`), as the Go tools whose files these are read it into a text field; a mapping, list
        or empty value is an error, except those `skip` takes."""
        out: dict[str, Val] = {}
        for k, value in self.m.items():
            if skip(value):
                continue
            if isinstance(value, str):
                out[k] = Val(value, self.val_pos(k), self.key_pos(k), self.where(k))
            elif isinstance(value, (bool, int, float)):
                out[k] = Val(self.ctx.written(value, self.val_pos(k)), self.val_pos(k), self.key_pos(k), self.where(k))
            else:
                self.ctx.invalid(f"{self.where(k)}: should be a string, not {describe(value)}", self.val_pos(k),
                                 hint=None if isinstance(value, (YMap, YSeq)) else "quote it")
        return out


# ----------------------------------------------------------------------------- reading

def display(path: Path) -> str:
    try:
        return Path(os.path.relpath(path)).as_posix()
    except ValueError:  # another drive on Windows
        return path.as_posix()


def input_files(paths: list[Path], ctx: Ctx, suffixes: tuple[str, ...] = YAML_SUFFIXES) -> list[tuple[Path, str]]:
    """Files to read, sorted by displayed path: folders give their files with these suffixes."""
    found: dict[str, tuple[Path, str]] = {}
    for p in paths:
        if p.is_dir():
            files = [f for f in sorted(p.rglob("*")) if f.suffix in suffixes and f.is_file()]
            if not files:
                kinds = " or ".join(", ".join(f"*{x}" for x in suffixes).rsplit(", ", 1))
                ctx.diags.append(error("OBS023", f"no {kinds} files in this folder", Pos(display(p))))
        elif p.is_file():
            files = [p]
        else:
            ctx.diags.append(error("OBS023", "no such file or folder", Pos(display(p))))
            files = []
        for f in files:
            found.setdefault(str(f.resolve()), (f, display(f)))
    return sorted(found.values(), key=lambda pair: pair[1])


def _empty(node) -> bool:
    return node is None or (isinstance(node, ScalarNode) and node.tag.endswith(":null") and node.value == "")


def read_documents(path: Path, shown: str, lists_of: str | None = None) -> tuple[list[YMap], list[Diagnostic]]:
    """Every YAML document of a file, each built by obsgen's loader with positions in the file.

    The loader takes one document per text, so a multi-document file (common for Kubernetes
    resources) is cut at document boundaries; each piece is padded with the lines and columns
    before it, so line:col still point into the original file. `lists_of` (a format's name): a
    document that is a list holds documents of that format, each read as one (an item that is not
    a mapping is an error at its place).
    """
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return [], [error("OBS005", f"file is {size} bytes; inputs are limited to {MAX_FILE_BYTES}", Pos(shown))]
        raw = path.read_bytes()
    except OSError as exc:
        return [], [error("OBS005", f"cannot read file: {exc.strerror or exc}", Pos(shown))]
    if b"\x00" in raw:
        return [], [error("OBS005", "file is binary (contains NUL bytes), not YAML text", Pos(shown, 1, 1))]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [], [error("OBS005", "file is not UTF-8 text", Pos(shown, line, 1))]
    try:
        nodes = [n for n in YAML(typ="safe", pure=True).compose_all(text) if not _empty(n)]
    except (YAMLError, RecursionError):
        nodes = None  # the loader below reports the problem, with its position
    listed = lists_of is not None and any(isinstance(n, SequenceNode) for n in nodes or ())
    if nodes is None or (len(nodes) == 1 and not listed):
        tree, diags = load_text(text, shown)
        return ([tree] if isinstance(tree, YMap) else []), diags
    if not nodes:
        return [], [error(NOT_VALID, "the file holds no YAML document", Pos(shown, 1, 1))]
    trees, diags = [], []
    for node in nodes:
        items = node.value if listed and isinstance(node, SequenceNode) else [node]
        for i, item in enumerate(items):
            if item is not node and not isinstance(item, MappingNode):
                mark = item.start_mark
                diags.append(error(NOT_VALID, f"[{i}]: an item of a list of {lists_of} documents should be a "
                                              f"document (a mapping)", Pos(shown, mark.line + 1, mark.column + 1)))
                continue
            start, end = item.start_mark, item.end_mark
            piece = "\n" * start.line + " " * start.column + text[start.index:end.index]
            tree, more = load_text(piece, shown)
            diags += more
            if isinstance(tree, YMap):
                trees.append(tree)
    return trees, diags


_PLAIN_END = re.compile(r"\s+#|\s*$")


def as_written(value: object, pos: Pos, lines: list[str] | None) -> str:
    """A scalar as a Go program reads it into a text field: as written in the file (`true`, `1.10`,
    `007` stay so) where YAML typed it; `lines`: the file's lines."""
    if isinstance(value, str):
        return value
    if value is not None and lines and pos.line and 0 < pos.line <= len(lines):
        rest = lines[pos.line - 1][pos.col - 1:]
        end = _PLAIN_END.search(rest)
        raw = rest[:end.start()] if end else rest
        for stop in (",", "}", "]"):  # a flow collection's item ends there
            if stop in raw:
                raw = raw[:raw.index(stop)]
        raw = raw.strip().strip("'\"")
        if raw:
            return raw
    return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def load_imported(text: str, ctx: Ctx):
    """The produced spec loaded as `obsgen validate` loads it: its errors (importer bugs) are
    reported at their place in it. Its first model, or None."""
    project = load_texts({"imported.yaml": text})
    for d in project.diagnostics:
        if d.severity is Severity.ERROR:
            ctx.diags.append(error(d.code, f"the imported spec does not validate: {d.message}",
                                   Pos("<imported spec>", d.pos.line, d.pos.col), d.hint))
    return project.models[0] if project.ok and project.models else None


# ----------------------------------------------------------------------------- shared rules

def check_name(ctx: Ctx, v: Val, what: str) -> str | None:
    """An obsgen name (service, SLO, team): a lowercase DNS label."""
    try:
        return naming.check_name(str(v.value))
    except naming.NameNotAllowed as exc:
        words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", str(v.value)).lower()  # StockReads -> stock-reads
        suggestion = re.sub(r"[^a-z0-9]+", "-", words).strip("-")[:63].rstrip("-")
        ctx.cannot(f"{v.path}: {what} {exc}", v.pos,
                   hint=f"rename it, e.g. `{suggestion}`" if suggestion and suggestion != v.value else None)
        return None


def label_name_ok(ctx: Ctx, v: Val, key: str, what: str = "label") -> bool:
    if naming.LABEL_RE.fullmatch(key) and not key.startswith("__"):
        return True
    ctx.cannot(f"{v.path}: {key!r} is not a valid Prometheus {what} name, so obsgen cannot put it on the rules",
               v.key_pos, hint="label names are letters, digits and underscores, not starting with __")
    return False


def _reserved(ctx: Ctx, key: str, v: Val) -> None:
    hint = (f"obsgen's alert category is one of {', '.join(naming.CATEGORIES)}; rename the label "
            f"(e.g. `slo_category`) to keep it as a plain label" if key == "category"
            else "rename the label to keep it")
    ctx.cannot(f"{v.path}: label `{key}` is set by obsgen itself on SLO series and alerts", v.key_pos, hint=hint)


def slo_labels(ctx: Ctx, *sources: dict[str, Val]) -> tuple[dict[str, str], Val | None]:
    """Labels for an SLO's series and alerts, merged in order (later sources win, as in Sloth),
    and the `team` label, which obsgen models as the owning team instead."""
    labels: dict[str, str] = {}
    team: Val | None = None
    for source in sources:
        for key, v in source.items():
            if key == "team":
                team = v
            elif key in RESERVED_LABELS:
                _reserved(ctx, key, v)
            elif label_name_ok(ctx, v, key):
                labels[key] = str(v.value)
    return labels, team


def merge_team(ctx: Ctx, first: Val | None, second: Val | None) -> Val | None:
    """One team from two places that may both name it; they must agree."""
    if first and second and first.value != second.value:
        ctx.cannot(f"{second.path}: team {second.value!r} differs from team {first.value!r} given at "
                   f"{first.pos.line}:{first.pos.col}; obsgen pages one team per SLO", second.pos)
        return first
    return first or second


def alert_annotations(ctx: Ctx, items: dict[str, Val]) -> tuple[dict[str, str], str | None]:
    """Annotations for an SLO's alerts, and the runbook URL (obsgen's own field)."""
    out: dict[str, str] = {}
    runbook = None
    for key, v in items.items():
        text = str(v.value)
        if key in OBSGEN_ANNOTATIONS:
            ctx.cannot(f"{v.path}: obsgen writes the `{key}` of SLO alerts itself (from the SLO's service, "
                       f"name, objective and burn rates)", v.key_pos, hint="remove it, or rename it to keep the text")
        elif key in RUNBOOK_KEYS and _URL.match(text):
            if runbook is not None and runbook != text:
                ctx.cannot(f"{v.path}: a second runbook URL; obsgen keeps one per SLO", v.pos)
            runbook = text
        elif key == "runbook_url":
            ctx.cannot(f"{v.path}: obsgen's runbook_url must be an http(s) URL", v.pos)
        elif label_name_ok(ctx, v, key, "annotation"):
            out[key] = text
    return out, runbook


def promql_ok(ctx: Ctx, v: Val, expr: str) -> bool:
    """Trial-parse a query (windows already filled in) so that a typo is reported at its field."""
    problem = promql_error(expr)
    if problem:
        ctx.diags.append(error("OBS030", f"{v.path}: not valid PromQL ({problem})", v.pos))
    return problem is None


# ----------------------------------------------------------------------------- severities and categories

# Which of obsgen's default severities a severity of another tool acts like: its channels and timing
# are what an imported severity of that kind gets.
SEVERITY_KIN = {
    **dict.fromkeys(("page", "pager", "pageteam", "high", "error", "major", "fatal", "emergency", "alert", "p1",
                     "urgent", "sev1", "disaster"), "critical"),
    **dict.fromkeys(("ticket", "medium", "minor", "moderate", "warn", "p2", "p3", "slack", "chat", "sev2",
                     "average"), "warning"),
    **dict.fromkeys(("low", "none", "notice", "informational", "debug", "p4", "p5", "home", "sev3"), "info"),
}


class Vocabulary:
    """The severities and categories imported alerts use. obsgen's spec defines its own
    (routing.severities, routing.categories), so a name the input uses is kept and defined in the
    imported spec, with the channels and timing of the default severity it acts like. When the
    spec goes into a project whose routing is its own (`open` False), or a name cannot be an obsgen
    name (`Critical`, `P1 - urgent`), the nearest default is used with a warning."""

    def __init__(self, ctx: Ctx, open_: bool = True, severities=naming.SEVERITIES, categories=naming.CATEGORIES):
        self.ctx, self.open = ctx, open_
        self.known_severities, self.known_categories = frozenset(severities), frozenset(categories)
        self.severities: dict[str, tuple[str, Val]] = {}  # new severity -> (kin, where first used)
        self.categories: dict[str, Val] = {}

    def severity(self, v: Val, like: str | None = None, warn: bool = True) -> str:
        """The severity to write for `v`; `like`: the default it acts like when its name does not say;
        `warn`: report a change of name here (else the caller reports it)."""
        name = str(v.value).strip()
        low = name.lower()
        kin = low if low in naming.SEVERITIES else SEVERITY_KIN.get(low, like or "warning")
        if name in self.known_severities:
            return name
        if self.open and naming.ROUTING_NAME_RE.fullmatch(name):
            first = self.severities.setdefault(name, (kin, v))
            if first[1] is v:
                self.ctx.note(f"{v.pos}: severity {name!r} is defined in routing.severities, with the channels and "
                              f"timing of {kin}: obsgen routes by severity, so say there where {name} alerts go")
            return name
        if warn:
            self.ctx.approximate(f"{v.path}: severity {name!r} is imported as {kin} ({self.why(name)})", v.pos)
        return kin

    def why(self, name: str, what: str = "severities") -> str:
        """Why a severity or category name cannot be kept."""
        if not self.open:
            return f"the project's routing defines the {what}: define {name!r} there to keep it"
        return f"obsgen's {what} are lowercase names of letters, digits, - and _"

    def category(self, v: Val) -> str | None:
        """The category to write for `v`, or None when it cannot be one (then it stays a plain label)."""
        name = str(v.value).strip()
        if name in self.known_categories:
            return name
        if self.open and naming.ROUTING_NAME_RE.fullmatch(name):
            if name not in self.categories:
                self.categories[name] = v
                self.ctx.note(f"{v.pos}: category {name!r} is defined in routing.categories")
            return name
        return None

    def routing(self) -> dict:
        """What routing must define for the imported alerts: new severities and categories."""
        out: dict = {}
        if self.severities:
            out["severities"] = {name: dict(DEFAULT_SEVERITIES[kin]) for name, (kin, _) in self.severities.items()}
        if self.categories:
            out["categories"] = {name: {} for name in self.categories}
        return out


# ----------------------------------------------------------------------------- assembling

@dataclass
class ImportedSLO:
    service: Val  # the service name as written, with its position
    spec: dict  # the obsgen SLO, keys in output order
    pos: Pos  # where the SLO starts in the input
    team: Val | None = None  # the SLO's own team label, if any


@dataclass
class ImportedService:
    name: str
    team: Val | None = None  # the service's own team label, if any
    description: str | None = None
    slos: list[ImportedSLO] = field(default_factory=list)


class Build:
    """Collects services and SLOs from all documents, then writes and checks the obsgen spec."""

    def __init__(self, ctx: Ctx):
        self.ctx = ctx
        self.services: dict[str, ImportedService] = {}
        self.files: list[str] = []
        self.vocab = Vocabulary(ctx)

    def service(self, name: Val, team: Val | None = None, description: str | None = None) -> ImportedService | None:
        checked = check_name(self.ctx, name, "service name")
        if checked is None:
            return None
        svc = self.services.setdefault(checked, ImportedService(checked))
        svc.team = merge_team(self.ctx, svc.team, team)
        if description and svc.description and description != svc.description:
            self.ctx.cannot(f"{name.path}: service {checked!r} is described differently in two places; "
                            f"obsgen keeps one description", name.pos)
        svc.description = svc.description or description
        return svc

    def add(self, slo: ImportedSLO) -> None:
        svc = self.service(slo.service)
        if svc is None:
            return
        for other in svc.slos:
            if other.spec["name"] == slo.spec["name"]:
                self.ctx.diags.append(error("OBS020", f"SLO {slo.spec['name']!r} of service {svc.name!r} is already "
                                                      f"defined at {other.pos}", slo.pos))
                return
        svc.slos.append(slo)

    def render(self, default_team: str, title: str) -> str | None:
        ctx = self.ctx
        if not any(s.slos for s in self.services.values()) and not has_errors(ctx.diags):
            ctx.invalid(f"found no {ctx.fmt} SLO to import", Pos(self.files[0] if self.files else "<no input>"))
        teams: set[str] = set()
        services = []
        for name in sorted(self.services):
            svc = self.services[name]
            team = self._team(svc, default_team)
            teams.add(team)
            slos = []
            for slo in svc.slos:
                spec = dict(slo.spec)
                own = slo.team.value if slo.team else None
                if own is not None and own != team:
                    spec["alerting"] = {**spec.get("alerting", {}), "team": own}
                    teams.add(own)
                self._check(slo, spec)
                slos.append(spec)
            services.append({"name": name, "team": team,
                             **({"description": svc.description} if svc.description else {}), "slos": slos})
        if has_errors(ctx.diags):
            return None
        doc = {"apiVersion": naming.API_VERSION, "teams": [{"name": t} for t in sorted(teams)], "services": services}
        if self.vocab.routing():
            doc["routing"] = self.vocab.routing()
        header = [f"Imported by obsgen from {title}: {', '.join(self.files)}.",
                  "Review it, then keep it with your obsgen specs: it replaces those files as the source of truth."]
        if ctx.notes:
            header += ["", "Notes:"] + [f"- {n}" for n in ctx.notes]
        text = to_commented_yaml(doc, "\n".join(header))
        self._self_check(text)
        return None if has_errors(ctx.diags) else text

    def _team(self, svc: ImportedService, default_team: str) -> str:
        """The service's own team; else the team all its SLOs name, if they agree; else the default."""
        for v in [svc.team] + [s.team for s in svc.slos]:
            if v is not None and check_name(self.ctx, v, "team name") is None:
                return default_team
        if svc.team is not None:
            return str(svc.team.value)
        named = {s.team.value for s in svc.slos if s.team is not None}
        if len(named) == 1 and all(s.team is not None for s in svc.slos):
            return str(named.pop())
        return default_team

    def _check(self, slo: ImportedSLO, spec: dict) -> None:
        """What the importer built must be a valid obsgen SLO; a miss here is reported at the SLO."""
        try:
            model = SLOSpec.model_validate(spec)
        except ValidationError as exc:
            for e in exc.errors(include_url=False):
                where = ".".join(str(p) for p in e["loc"])
                self.ctx.cannot(f"SLO {spec['name']!r}: as an obsgen SLO, `{where}`: {e['msg']}", slo.pos)
            return
        for problem in warnings_for(model):
            self.ctx.diags.append(warning("OBS035", f"SLO {model.name!r}: {problem}", slo.pos,
                                          hint="lower the objective or lengthen the period"))

    def _self_check(self, text: str) -> None:
        """The produced spec must validate as it is; anything caught here is an importer bug."""
        for d in load_texts({"imported.yaml": text}).diagnostics:
            if d.severity is Severity.ERROR:
                self.ctx.diags.append(error(d.code, f"the imported spec does not validate: {d.message}",
                                            Pos("<imported spec>", d.pos.line, d.pos.col), d.hint))


def finish(build: Build, default_team: str, title: str) -> tuple[str | None, list[Diagnostic]]:
    ctx = build.ctx
    team = Val(default_team, Pos("--team"), Pos("--team"), "--team")
    if check_name(ctx, team, "team name") is None:
        return None, normalise(ctx.diags)
    text = build.render(default_team, title)
    return text, normalise(ctx.diags)
