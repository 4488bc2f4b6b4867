"""`obsgen import PATH...`: the kind of each file found by its content, each kind imported by its own
importer, and the specs merged into one.

A file's kind comes from what it says it is, never from its name:

    version: prometheus/v1, apiVersion sloth.slok.dev/v1            -> sloth
    apiVersion openslo/...  (also a top-level list of them)         -> openslo
    apiVersion pyrra.dev/..., kind ServiceLevelObjective            -> pyrra
    top-level `groups:`, kind PrometheusRule                        -> rules
    top-level `route:` or `receivers:`, a Secret holding alertmanager.y(a)ml -> alertmanager
    top-level `scrape_configs:` (or `global` with scrape settings)  -> prometheus
    JSON with `panels` or `dashboard`, kind GrafanaDashboard, a ConfigMap of *.json -> grafana

A `kind: List` takes the kind of its items. A file of no kind is an error at its first line (OBS041);
so is a file whose documents are of several kinds. Merging: teams are joined by name, services,
dashboards and datasources listed (two of one name are an error naming both inputs), and routing
and global merged key by key (severities and categories joined; the same key set differently by two
inputs is an error). The merged spec is validated before it is written, like every importer's.
"""
from __future__ import annotations

import json
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from obsgen.core.diagnostics import Diagnostic, Pos, error, normalise
from obsgen.core.serialise import to_commented_yaml
from obsgen.features.importers.common import Ctx, display, load_imported
from obsgen.load.yaml import MAX_FILE_BYTES
from obsgen.spec.scraping import version_of

KINDS = ("sloth", "openslo", "pyrra", "rules", "alertmanager", "prometheus", "grafana")
SUFFIXES = (".yaml", ".yml", ".json")
_PROMETHEUS_GLOBAL = ("scrape_interval", "scrape_timeout", "evaluation_interval", "external_labels")


def _kind_of_document(doc, depth: int = 0) -> str | None:
    if depth > 3:  # a List of Lists of Lists: no tool writes that (and an alias may make it endless)
        return None
    if isinstance(doc, list):
        kinds = {_kind_of_document(d, depth + 1) for d in doc if isinstance(d, dict)}
        return kinds.pop() if len(kinds) == 1 else None
    if not isinstance(doc, dict):
        return None
    api, kind = str(doc.get("apiVersion") or ""), doc.get("kind")
    if kind == "List" and isinstance(doc.get("items"), list):
        return _kind_of_document(doc["items"], depth + 1)
    if doc.get("version") == "prometheus/v1" or api.startswith("sloth.slok.dev/"):
        return "sloth"
    if api.startswith("openslo/"):
        return "openslo"
    if api.startswith("pyrra.dev/"):
        return "pyrra"
    if kind == "PrometheusRule" or ("groups" in doc and not api):
        return "rules"
    if kind == "GrafanaDashboard" or "panels" in doc or isinstance(doc.get("dashboard"), dict):
        return "grafana"
    data = {k: v for key in ("data", "stringData") if kind in ("Secret", "ConfigMap")
            and isinstance(doc.get(key), dict) for k, v in doc[key].items()}
    if any(str(k).startswith("alertmanager.y") for k in data):
        return "alertmanager"
    if kind == "ConfigMap" and any(str(k).endswith(".json") for k in data):
        return "grafana"
    if "route" in doc or "receivers" in doc:
        return "alertmanager"
    if "scrape_configs" in doc or (isinstance(doc.get("global"), dict)
                                   and any(k in doc["global"] for k in _PROMETHEUS_GLOBAL)):
        return "prometheus"
    return None


def kind_of(path: Path, shown: str) -> tuple[str | None, Diagnostic | None]:
    """The kind of one file, or an error saying why none."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None, error("OBS005", f"file is larger than {MAX_FILE_BYTES} bytes", Pos(shown))
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return None, error("OBS005", f"cannot read file: {exc}", Pos(shown))
    try:
        docs = [json.loads(text)] if path.suffix == ".json" else list(YAML(typ="safe", pure=True).load_all(text))
    except json.JSONDecodeError as exc:
        return None, error("OBS041", f"not JSON: {exc.msg}", Pos(shown, exc.lineno, exc.colno))
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = Pos(shown, mark.line + 1, mark.column + 1) if mark is not None else Pos(shown, 1, 1)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, error("OBS001", f"not YAML: {problem}", where)
    except (ValueError, RecursionError) as exc:
        return None, error("OBS041", f"not readable as JSON or YAML: {type(exc).__name__}", Pos(shown, 1, 1))
    kinds = {k for k in (_kind_of_document(d) for d in docs if d is not None)}
    if len(kinds) == 1 and None not in kinds:
        return kinds.pop(), None
    if len(kinds - {None}) > 1:
        return None, error("OBS041", f"the documents of this file are of several kinds ({', '.join(sorted(kinds - {None}))}): "
                                     f"import it with the importer of each", Pos(shown, 1, 1))
    return None, error("OBS041", "not a file obsgen imports: no Sloth, OpenSLO, Pyrra, rule file, Alertmanager, "
                                 "Prometheus or Grafana document found", Pos(shown, 1, 1),
                       hint="name the kind: obsgen import sloth|openslo|pyrra|rules|alertmanager|prometheus|grafana")


def detect(paths: list[Path]) -> tuple[dict[str, list[Path]], list[Diagnostic]]:
    """{kind: its files} for the files and folders given (folders: their YAML and JSON files)."""
    diags: list[Diagnostic] = []
    found: dict[str, tuple[Path, str]] = {}
    for p in paths:
        if p.is_dir():
            files = [f for f in sorted(p.rglob("*")) if f.suffix in SUFFIXES and f.is_file()]
            if not files:
                diags.append(error("OBS023", "no *.yaml, *.yml or *.json files in this folder", Pos(display(p))))
        elif p.is_file():
            files = [p]
        else:
            diags.append(error("OBS023", "no such file or folder", Pos(display(p))))
            files = []
        for f in files:
            found.setdefault(str(f.resolve()), (f, display(f)))
    out: dict[str, list[Path]] = {}
    for f, shown in sorted(found.values(), key=lambda pair: pair[1]):
        kind, problem = kind_of(f, shown)
        if problem:
            diags.append(problem)
        else:
            out.setdefault(kind, []).append(f)
    return out, diags


def _run(kind: str, files: list[Path], team: str | None) -> tuple[str | None, list[Diagnostic]]:
    from obsgen.features import importers

    if kind == "grafana":
        return importers.import_grafana(files)
    if kind == "alertmanager":
        return importers.import_alertmanager(files)
    fn = getattr(importers, f"import_{kind}")
    return fn(files, team=team) if team else fn(files)


def import_any(paths: list[Path], team: str | None = None) -> tuple[str | None, list[Diagnostic]]:
    """Every file's kind detected, each kind imported, the specs merged: (spec text or None, diagnostics)."""
    kinds, diags = detect(paths)
    if diags:
        return None, normalise(diags)
    texts = {}
    for kind in KINDS:
        if kind in kinds:
            text, found = _run(kind, kinds[kind], team)
            diags += found
            texts[kind] = text
    if any(t is None for t in texts.values()) or not texts:
        return None, normalise(diags)
    if len(texts) == 1:
        return next(iter(texts.values())), normalise(diags)
    text = merge(texts, diags, kinds)
    return text, normalise(diags)


def _header(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[1:].removeprefix(" "))
    return lines


def merge(texts: dict[str, str], diags: list[Diagnostic], files: dict[str, list[Path]] | None = None) -> str | None:
    """One spec from the specs of several importers (`files`: each kind's inputs, where a clash is
    reported)."""
    yaml = YAML()
    out: dict = {}
    owners: dict[tuple[str, str], str] = {}  # (section, name) -> the kind that defined it
    header = ["Imported by obsgen from several kinds of files, each by its importer:"]
    for kind, text in texts.items():
        doc = yaml.load(text)
        where = Pos(display(files[kind][0])) if files and files.get(kind) else Pos("<imported spec>")
        header += ["", f"[{kind}]"] + _header(text)
        for key, value in doc.items():
            if key == "apiVersion":
                out.setdefault(key, value)
            elif key in ("teams", "services", "dashboards", "datasources"):
                items = out.setdefault(key, [])
                for item in value:
                    name = item.get("name") or item.get("uid") or item.get("title")
                    first = owners.get((key, str(name)))
                    if first is None:
                        owners[(key, str(name))] = kind
                        items.append(item)
                    elif key != "teams":  # a team named twice is one team
                        diags.append(error("OBS020", f"{key[:-1]} {name!r} comes from both the {first} and the {kind} "
                                                     f"import", where, hint="import them separately, and rename one"))
            elif isinstance(value, dict):
                section = out.setdefault(key, {})
                for k, v in value.items():
                    if k in ("severities", "categories") and isinstance(v, dict):
                        section.setdefault(k, {}).update({n: c for n, c in v.items() if n not in section[k]})
                    elif k.endswith("_version") and k in section:  # what every input needs: the newest
                        section[k] = max(section[k], v, key=lambda t: version_of(str(t)))
                    elif k in section and section[k] != v:
                        diags.append(error("OBS020", f"{key}.{k} is set differently by the {owners[(key, k)]} and "
                                                     f"the {kind} import", where,
                                           hint="import them separately, and keep one"))
                    else:
                        section.setdefault(k, v)
                        owners.setdefault((key, k), kind)
            else:
                out.setdefault(key, value)
    if any(d.severity.value == "error" for d in diags):
        return None
    text = to_commented_yaml(out, "\n".join(header))
    ctx = Ctx("merged")
    load_imported(text, ctx)
    diags += ctx.diags
    return None if ctx.diags and any(d.severity.value == "error" for d in ctx.diags) else text


__all__ = ["KINDS", "detect", "import_any", "kind_of"]
