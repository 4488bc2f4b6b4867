"""Comparing two trees object by object."""
from __future__ import annotations

import difflib
import json
import re
from typing import Any

from obsgen.features.diff.model import Change, Key, Report
from obsgen.features.diff.objects import Keyed, Objects, objects, parse_expr, seconds
from obsgen.features.diff.risk import assess

# Fields compared as durations (1m is 60s) and as PromQL (re-wrapping is no change).
DURATIONS = frozenset({
    "for", "keep_firing_for", "interval", "scrape_interval", "scrape_timeout", "evaluation_interval",
    "group_wait", "group_interval", "repeat_interval", "resolve_timeout", "refresh"})
TEXT_DIFF_LINES = 20


def _same(key: str, a: Any, b: Any) -> bool:
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    if a == b:
        return True
    if key in DURATIONS and a is not None and b is not None:
        sa, sb = seconds(a), seconds(b)
        return sa is not None and sa == sb
    if key == "expr" and isinstance(a, str) and isinstance(b, str):
        pa, pb = parse_expr(a), parse_expr(b)
        return pa is not None and pb is not None and str(pa) == str(pb)
    return False


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _join(path: str, key: Any, keyed: bool) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if keyed:
        return f"{path}[{key}]"
    if _IDENT.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def compare(a: Any, b: Any, path: str = "", key: str = "") -> list[tuple[str, Any, Any]]:
    """(field, old, new) for every leaf or subtree that differs; a missing side is None."""
    if _same(key, a, b):
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        keyed = isinstance(a, Keyed) or isinstance(b, Keyed)
        for k in sorted(set(a) | set(b), key=str):
            sub = _join(path, k, keyed)
            if k not in a:
                out += _one_side(sub, None, b[k])
            elif k not in b:
                out += _one_side(sub, a[k], None)
            else:
                out += compare(a[k], b[k], sub, str(k))
        return out
    if isinstance(a, list) and isinstance(b, list) and a and b and all(isinstance(x, dict) for x in a + b):
        return _compare_items(a, b, path)
    return [(path or "value", a, b)]


def _compare_items(a: list, b: list, path: str) -> list[tuple[str, Any, Any]]:
    """Lists of unnamed mappings (relabelling rules, static configs): items inserted or deleted
    show as such, items edited in place field by field."""
    keys = lambda items: [json.dumps(x, sort_keys=True, default=str) for x in items]  # noqa: E731
    out: list[tuple[str, Any, Any]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, keys(a), keys(b), autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            for i, j in zip(range(i1, i2), range(j1, j2)):
                out += compare(a[i], b[j], f"{path}[{j}]")
            continue
        out += [(f"{path}[{i}]", a[i], None) for i in range(i1, i2)]
        out += [(f"{path}[{j}]", None, b[j]) for j in range(j1, j2)]
    return out


def _one_side(path: str, a: Any, b: Any) -> list[tuple[str, Any, Any]]:
    """A subtree on one side only: named items one by one (each panel, each integration)."""
    whole = a if b is None else b
    if isinstance(whole, Keyed) and whole:
        return [(f"{path}[{k}]", None if a is None else v, v if a is None else None) for k, v in whole.items()]
    return [(path, a, b)]


def _text_diff(old: str, new: str) -> str:
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1))[2:]
    if len(lines) > TEXT_DIFF_LINES:
        lines = lines[:TEXT_DIFF_LINES] + [f"... {len(lines) - TEXT_DIFF_LINES} more lines"]
    return "\n".join(lines)


def _summary(kind: str, value: Any) -> Any:
    """What a whole added or removed object shows as its old or new value."""
    if kind == "file":
        return f"{len(value.splitlines())} lines"
    if kind == "dashboard":
        return {"title": value.get("title"), "folder": value.get("folder"), "panels": sorted(value["panels"])}
    return value


def _pair_moved(old: Objects, new: Objects) -> dict[Key, Key]:
    """Alerts that moved to another group, matched by name where the name is unambiguous: new key -> old key."""
    pairs: dict[Key, Key] = {}
    for kind in ("alert",):  # recording rules share names (every SLO has slo:objective:ratio)
        gone: dict[tuple[str, str], list[Key]] = {}
        came: dict[tuple[str, str], list[Key]] = {}
        for k in old.keys() - new.keys():
            if k[0] == kind:
                gone.setdefault((k[1], k[2].rsplit("/", 1)[-1]), []).append(k)
        for k in new.keys() - old.keys():
            if k[0] == kind:
                came.setdefault((k[1], k[2].rsplit("/", 1)[-1]), []).append(k)
        for name, keys in came.items():
            if len(keys) == 1 and len(gone.get(name, [])) == 1:
                pairs[keys[0]] = gone[name][0]
    return pairs


def diff_trees(old: dict[str, str], new: dict[str, str]) -> Report:
    """What changes, object by object, from the tree `old` to the tree `new`. Files with the same
    text on both sides hold the same objects, so only the others are read."""
    same = {p for p in old.keys() & new.keys() if old[p] == new[p]}
    a = objects({p: t for p, t in old.items() if p not in same})
    b = objects({p: t for p, t in new.items() if p not in same})
    moved = _pair_moved(a, b)
    moved_from = set(moved.values())
    changes: list[Change] = []
    for key in sorted(a.keys() | b.keys()):
        kind, env, oid = key
        if key in moved_from:
            continue
        if key not in b:
            changes.append(Change(kind, env, oid, old=_summary(kind, a[key])))
        elif key not in a and key not in moved:
            changes.append(Change(kind, env, oid, new=_summary(kind, b[key])))
        elif kind == "file":
            if a[key] != b[key]:
                changes.append(Change(kind, env, oid, "text", new=_text_diff(a[key], b[key])))
        else:
            before = a[moved.get(key, key)]
            changes += [Change(kind, env, oid, f, o, n) for f, o, n in compare(before, b[key])]
    changes = assess(changes, a, b)
    return Report(tuple(sorted(changes, key=Change.sort_key)))
