"""Literal credentials: found in any string of a spec (OBS013, at the value) and in any generated
file (OBS015, at the line and column in that file), so none reaches a repository or a cluster.

The spec's own shape already refuses keys that hold secrets (`api_url`, `password`, …) and URLs
with credentials in the fields that take URLs; this scanner looks at every value, wherever it is
(an annotation, a label, a description), and at the output, which is what gets committed.
What counts is in credentials.py: the formats of real tokens and keys, credentials in URLs and
headers, and `password=…`-style assignments of a literal.
"""
from __future__ import annotations

from obsgen.core.credentials import Hit, scan_text
from obsgen.core.diagnostics import Diagnostic, Pos, error
from obsgen.load.yaml import YMap, YSeq

__all__ = ["Hit", "scan_files", "scan_text", "scan_tree"]


def scan_tree(tree: YMap) -> list[Diagnostic]:
    """OBS013 for each string value of a loaded spec file that holds a literal credential."""
    out: list[Diagnostic] = []

    def visit(value, pos: Pos, path: str):
        if isinstance(value, YMap):
            for key, v in value.items():
                visit(v, value.val_pos[key], f"{path}.{key}" if path else key)
        elif isinstance(value, YSeq):
            for i, v in enumerate(value):
                visit(v, value.item_pos[i], f"{path}[{i}]")
        elif isinstance(value, str):
            hits = scan_text(value)
            if hits:
                out.append(error("OBS013", f"`{path}` holds {hits[0].what}; it would end up in generated files",
                                 pos, hint="keep credentials out of the spec: give the path of a file that "
                                           "holds it (*_file, credentials_file), or a reference the tool "
                                           "resolves at run time"))

    if scan_text("\n".join(_strings(tree))):  # nearly always empty: then one scan of the whole file is enough
        visit(tree, tree.pos, "")
    return out


def _strings(node) -> list[str]:
    out: list[str] = []
    stack = [node]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            out.append(value)
    return out


def scan_files(files: dict[str, str]) -> list[Diagnostic]:
    """OBS015 for each generated file that would hold a literal credential, at its line and column."""
    out = []
    for path, text in sorted(files.items()):
        for hit in scan_text(text):
            out.append(error("OBS015", f"generated file would contain {hit.what}", Pos.of_offset(path, text, hit.start),
                             hint="nothing was written; find where the spec puts it and use a file reference "
                                  "instead"))
    return out
