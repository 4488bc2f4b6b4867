"""Silencing one check on one object, with a reason.

Checks that can be silenced (lint, objectives) return `Finding`s: a diagnostic plus the path, in
the merged spec tree, of the object it is about (an alert, a panel, a service, …). An object
silences a code with `silence: {CODE: reason}`; a silenced finding is dropped from the
diagnostics and kept as a `Silenced` record, which the build writes to `silenced.yaml` so the
reason travels with the output. A silence that names an unknown code, or that silences nothing
in any environment, is itself reported (OBS063).
"""
from __future__ import annotations

from dataclasses import dataclass

from obsgen.core.codes import CODES, SILENCEABLE
from obsgen.core.diagnostics import Diagnostic, Pos, warning
from obsgen.load.yaml import YMap, YSeq
from obsgen.resolve.model import Silenced


@dataclass(frozen=True)
class Finding:
    diagnostic: Diagnostic
    owner: tuple  # path of the object in the merged tree, e.g. ("services", 2, "alerts", 0)
    what: str  # the object in words: "alert HighErrorRate (service trading-api)"


def _node(tree: YMap, loc: tuple):
    node = tree
    for step in loc:
        if isinstance(node, YMap) and isinstance(step, str) and step in node:
            node = node[step]
        elif isinstance(node, YSeq) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            return None
    return node


def silences_at(tree: YMap, owner: tuple) -> YMap | None:
    node = _node(tree, owner)
    block = node.get("silence") if isinstance(node, YMap) else None
    return block if isinstance(block, YMap) else None


def apply(tree: YMap, findings: list[Finding]) -> tuple[list[Diagnostic], list[Silenced], set[Pos]]:
    """(diagnostics left, what was silenced, positions of the silence entries that were used)."""
    left: list[Diagnostic] = []
    silenced: list[Silenced] = []
    used: set[Pos] = set()
    for f in findings:
        block = silences_at(tree, f.owner)
        code = f.diagnostic.code
        if block is not None and code in block and code in SILENCEABLE and isinstance(block[code], str):
            silenced.append(Silenced(f.what, code, block[code], f.diagnostic.message))
            used.add(block.key_pos[code])
        else:
            left.append(f.diagnostic)
    return left, sorted(set(silenced)), used


def every_silence(tree: YMap) -> list[tuple[Pos, str]]:
    """(position, code) of every silence entry in the tree, wherever it is."""
    out: list[tuple[Pos, str]] = []

    def walk(node):
        if isinstance(node, YMap):
            for key, value in node.items():
                if key == "silence" and isinstance(value, YMap):
                    out.extend((value.key_pos[code], code) for code in value if isinstance(code, str))
                else:
                    walk(value)
        elif isinstance(node, YSeq):
            for item in node:
                walk(item)

    walk(tree)
    return out


def unused(trees: list[YMap], used: set[Pos]) -> list[Diagnostic]:
    """OBS063 for silences with an unknown code, or that silenced nothing in any environment."""
    diags = []
    seen: set[Pos] = set()
    for tree in trees:
        for pos, code in every_silence(tree):
            if pos in seen:
                continue
            seen.add(pos)
            if code not in CODES:
                diags.append(warning("OBS063", f"silence of unknown check {code}", pos))
            elif code not in SILENCEABLE:
                diags.append(warning("OBS063", f"{code} ({CODES[code]}) cannot be silenced", pos,
                                     hint="only lint and objective checks can be; fix the spec instead"))
            elif pos not in used:
                diags.append(warning("OBS063", f"silence of {code} silences nothing here", pos,
                                     hint="the check no longer fires on this object: remove the silence"))
    return diags
