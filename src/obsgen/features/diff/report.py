"""The report as text (ANSI colours optional), as markdown for a pull-request comment, or as JSON."""
from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

from obsgen.features.diff.model import KINDS, Change, Report


def _show(value: Any, limit: int = 160) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        text = " ".join(value.split())
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = "[" + ", ".join(" ".join(v.split()) for v in value) + "]"
    else:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _word_diff(old: str, new: str, context: int = 3) -> str:
    """Two long strings as one, changed words marked [-old-]{+new+}, far-off context elided."""
    x, y = old.split(" "), new.split(" ")
    ops = difflib.SequenceMatcher(None, x, y, autojunk=False).get_opcodes()
    parts: list[str] = []
    for i, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal":
            words = x[i1:i2]
            head = words[:context] if i > 0 else []
            tail = words[-context:] if i < len(ops) - 1 else []
            if len(words) > len(head) + len(tail):
                parts += head + ["…"] + tail
            else:
                parts += words
            continue
        if i1 < i2:
            parts.append("[-" + " ".join(x[i1:i2]) + "-]")
        if j1 < j2:
            parts.append("{+" + " ".join(y[j1:j2]) + "+}")
    return " ".join(parts)


def _pair(c: Change) -> tuple[str, str, str]:
    """How a field change reads: ("added" or "removed", the value when short, ""), ("pair", old,
    new), or ("inline", word diff, "") for long strings."""
    for side, other, word in ((c.new, c.old, "added"), (c.old, c.new, "removed")):
        if other is None and isinstance(side, (dict, list)):
            shown = _show(side, 10_000)
            return (word, "" if len(shown) > 120 else shown, "")
    old, new = _show(c.old, 10_000), _show(c.new, 10_000)
    if isinstance(c.old, str) and isinstance(c.new, str) and max(len(old), len(new)) > 80:
        return ("inline", _show(_word_diff(old, new), 400), "")
    return ("pair", _show(old), _show(new))


@dataclass
class _Entry:
    """One object's changes, shown once for every environment where they are the same."""

    kind: str
    object_id: str
    action: str
    changes: list[Change]
    envs: list[str] = field(default_factory=list)

    @property
    def whole(self) -> Change | None:
        return next((c for c in self.changes if not c.field), None)


def _signature(changes: list[Change]) -> str:
    return json.dumps([[c.field, c.old, c.new, c.reason] for c in changes], sort_keys=True, default=str)


def _entries(report: Report) -> dict[str, list[_Entry]]:
    """Per kind, each changed object with its changes, identical ones merged across environments."""
    per_object: dict[tuple[str, str, str], list[Change]] = {}
    for c in report.changes:
        per_object.setdefault((c.kind, c.env, c.object_id), []).append(c)
    merged: dict[tuple[str, str, str], _Entry] = {}
    single = len(_envs(report)) <= 1  # then the totals line names it, and entries need not
    for (kind, env, oid), changes in per_object.items():
        env = "" if single else env
        action = changes[0].action if len(changes) == 1 else "changed"
        entry = merged.setdefault((kind, oid, _signature(changes)), _Entry(kind, oid, action, changes))
        entry.envs.append(env)
    out: dict[str, list[_Entry]] = {}
    for entry in sorted(merged.values(), key=lambda e: (list(KINDS).index(e.kind), e.object_id, e.envs)):
        out.setdefault(entry.kind, []).append(entry)
    return out


def _risky(report: Report) -> list[tuple[Change, list[str]]]:
    merged: dict[tuple, tuple[Change, list[str]]] = {}
    single = len(_envs(report)) <= 1
    for c in report.risky:
        merged.setdefault((c.kind, c.object_id, c.field, c.reason), (c, []))[1].append("" if single else c.env)
    return list(merged.values())


def _envs(report: Report) -> list[str]:
    return sorted({c.env for c in report.changes if c.env})


def _totals(report: Report, code=lambda e: e) -> str:
    objs = report.objects()
    n = {a: sum(1 for v in objs.values() if v == a) for a in ("added", "removed", "changed")}
    risky = len(report.risky)
    envs = _envs(report)
    where = (f" in {len(envs)} environments (each object counted once per environment it changes in)"
             if len(envs) > 1 else f" in {code(envs[0])}" if envs else "")
    return (f"{n['added']} added, {n['removed']} removed, {n['changed']} changed{where}"
            + (f"; {risky} risky" if risky else ""))


class _Style:
    def __init__(self, color: bool):
        self.color = color

    def __call__(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text


SIGNS = {"added": ("+", "32"), "removed": ("-", "31"), "changed": ("~", "33")}


def format_text(report: Report, color: bool = False) -> str:
    s = _Style(color)
    if report.empty:
        return "obsgen diff: no changes\n"
    lines = [s("1", f"obsgen diff: {_totals(report)}")]
    if report.risky:
        lines += ["", s("1;31", "risky:")]
        for c, envs in _risky(report):
            where = f" [{', '.join(e for e in envs if e)}]" if any(envs) else ""
            lines.append(s("31", f"  ! {KINDS[c.kind]}: {c.object_id}{where}: {c.reason}"))
    for kind, entries in _entries(report).items():
        lines += ["", s("1", KINDS[kind])]
        for e in entries:
            sign, code = SIGNS[e.action]
            where = f"  [{', '.join(x for x in e.envs if x)}]" if any(e.envs) else ""
            whole = e.whole
            lines.append(s(code, f"  {sign} {e.object_id}") + where
                         + (s("1;31", f"  ! {whole.reason}") if whole and whole.risky else ""))
            for c in e.changes:
                if not c.field:
                    continue
                if c.kind == "file":
                    for d in str(c.new).splitlines():
                        colour = "32" if d.startswith("+") else "31" if d.startswith("-") else "36"
                        lines.append(s(colour, f"      {d}"))
                    continue
                how, x, y = _pair(c)
                line = f"      {c.field}: " + (f"{x} -> {y}" if how == "pair" else x if how == "inline"
                                                 else f"{how} {x}" if x else how)
                lines.append(line + (s("1;31", f"  ! {c.reason}") if c.risky else ""))
    return "\n".join(lines) + "\n"


def _code(value: str) -> str:
    text = value.replace("\n", " ")
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


DETAILS_OVER = 20  # lines; a longer section is folded into <details>


def _envs_md(envs: list[str]) -> str:
    named = [e for e in envs if e]
    return f" in {', '.join(_code(e) for e in named)}" if named else ""


def format_markdown(report: Report) -> str:
    if report.empty:
        return "### obsgen diff\n\nNo changes.\n"
    out = ["### obsgen diff", "", _totals(report, _code) + ".", "",
           "| | added | removed | changed |", "| --- | ---: | ---: | ---: |"]
    for kind, n in report.counts().items():
        out.append(f"| {KINDS[kind]} | {n['added']} | {n['removed']} | {n['changed']} |")
    if report.risky:
        out += ["", "**⚠ risky**", ""]
        for c, envs in _risky(report):
            out.append(f"- {KINDS[c.kind]}: {_code(c.object_id)}" + (f" {_code(c.field)}" if c.field else "")
                       + f"{_envs_md(envs)}: {c.reason}")
    for kind, entries in _entries(report).items():
        body: list[str] = []
        for e in entries:
            whole = e.whole
            warn = f" ⚠ {whole.reason}" if whole and whole.risky else ""
            body.append(f"- {_code(e.object_id)} {e.action}{_envs_md(e.envs)}{warn}")
            for c in e.changes:
                if not c.field:
                    continue
                if c.kind == "file":
                    body += ["", "  ```diff", *[f"  {d}" for d in str(c.new).splitlines()], "  ```", ""]
                    continue
                how, x, y = _pair(c)
                shown = (f"{_code(x)} → {_code(y)}" if how == "pair" else _code(x) if how == "inline"
                         else f"{how} {_code(x)}" if x else how)
                body.append(f"  - {_code(c.field)}: {shown}" + (f" ⚠ {c.reason}" if c.risky else ""))
        title = KINDS[kind]
        if len(body) > DETAILS_OVER:
            out += ["", f"<details><summary>{title}</summary>", "", *body, "", "</details>"]
        else:
            out += ["", f"#### {title}", "", *body]
    return "\n".join(out) + "\n"


def format_json(report: Report) -> str:
    doc = {"summary": report.counts(), "risky": len(report.risky),
           "changes": [c.to_dict() for c in report.changes]}
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def format_report(report: Report, fmt: str = "text", color: bool = False) -> str:
    """`text` (ANSI colours when `color`), `markdown` (a pull-request comment) or `json`."""
    if fmt == "text":
        return format_text(report, color)
    if fmt == "markdown":
        return format_markdown(report)
    if fmt == "json":
        return format_json(report)
    raise ValueError(f"unknown format {fmt!r}: text, markdown or json")
