"""Phase 1, load: YAML text -> plain data that remembers where every value came from.

Only ruamel's composer is used (it gives a node graph with marks); the construction below is
ours, so that it can refuse tags that build objects, keep `yes`/`no` and dates as strings,
report every duplicate key, and bound what aliases expand to.
"""
from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, ReusedAnchorWarning, YAMLError
from ruamel.yaml.events import MappingEndEvent, MappingStartEvent, SequenceEndEvent, SequenceStartEvent
from ruamel.yaml.main import CParser as _CParser  # None without ruamel.yaml.clib
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

from obsgen.core.diagnostics import Diagnostic, Pos, describe, error

# Aliases may repeat data, but a spec never needs more than this many values built through them.
MAX_EXPANDED_VALUES = 200_000
MAX_DEPTH = 200
# A spec file is written by people: a team's file is kilobytes. Refusing anything bigger up front
# keeps a runaway file (a log pasted in, a generated dump) to one diagnostic in milliseconds.
MAX_FILE_BYTES = 16 * 1024 * 1024

_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {f"{_CORE}{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge")}


class YMap(dict):
    """A mapping that knows where it and each of its keys and values stand."""

    __slots__ = ("pos", "key_pos", "val_pos")

    def __init__(self, pos: Pos):
        super().__init__()
        self.pos = pos
        self.key_pos: dict[str, Pos] = {}
        self.val_pos: dict[str, Pos] = {}


class YSeq(list):
    __slots__ = ("pos", "item_pos")

    def __init__(self, pos: Pos):
        super().__init__()
        self.pos = pos
        self.item_pos: list[Pos] = []


class _Abort(Exception):
    def __init__(self, diag: Diagnostic):
        self.diag = diag


def _mark_pos(file: str, mark) -> Pos:
    return Pos(file, mark.line + 1, mark.column + 1)


def _scalar(node: ScalarNode, file: str):
    tag, text = node.tag, node.value
    kind = tag[len(_CORE):] if tag.startswith(_CORE) else tag
    try:
        if kind == "null":
            return None
        if kind == "bool":
            return text.lower() == "true"
        if kind == "int":
            clean = text.replace("_", "")
            try:
                return int(clean, 10)
            except ValueError:
                return int(clean, 0)
        if kind == "float":
            low = text.lower().lstrip("+")
            if low in (".inf", "-.inf"):
                return -math.inf if low.startswith("-") else math.inf
            if low == ".nan":
                return math.nan
            return float(text.replace("_", ""))
    except ValueError:
        raise _Abort(error("OBS011", f"{text!r} is not a valid {kind}", _mark_pos(file, node.start_mark)))
    # str, timestamp (kept as written: durations and dates are strings to us)
    return text


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.diags: list[Diagnostic] = []
        self.expanded = 0  # values built through aliases (a node reached again, and all below it)
        self.aliased = 0  # how many aliased nodes the current path is inside
        self.built: set[int] = set()  # nodes built once already: reaching one again is an alias
        self.in_place: list[Node] = []  # the nodes on the current path that are written in place

    def pos(self, node: Node) -> Pos:
        return _mark_pos(self.file, node.start_mark)

    def build(self, node: Node, depth: int = 0):
        if depth > MAX_DEPTH:
            raise _Abort(error("OBS004", f"nesting deeper than {MAX_DEPTH} levels", self.pos(node)))
        fresh = id(node) not in self.built
        self.aliased += not fresh
        self.expanded += self.aliased > 0
        if self.expanded > MAX_EXPANDED_VALUES:
            # Point at the innermost value written in place: the one whose aliases blow up.
            where = self.in_place[-1] if self.in_place else node
            raise _Abort(error(
                "OBS004", f"the document expands to more than {MAX_EXPANDED_VALUES} values",
                self.pos(where), hint="aliases (*name) that repeat large anchors multiply; write the data out"))
        if fresh:
            self.built.add(id(node))
            self.in_place.append(node)
        try:
            return self._build(node, depth)
        finally:
            self.aliased -= not fresh
            if fresh:
                self.in_place.pop()

    def _build(self, node: Node, depth: int):
        tag = node.tag if isinstance(node.tag, str) else getattr(node.tag, "value", str(node.tag))
        if tag not in _ALLOWED_TAGS:
            raise _Abort(error("OBS003", f"tag {tag.replace(_CORE, '!!')} is not allowed", self.pos(node),
                               hint="a spec holds plain data: mappings, lists, strings, numbers, booleans"))
        if isinstance(node, ScalarNode):
            return _scalar(node, self.file)
        if isinstance(node, SequenceNode):
            seq = YSeq(self.pos(node))
            for item in node.value:
                seq.append(self.build(item, depth + 1))
                seq.item_pos.append(self.pos(item))
            return seq
        if isinstance(node, MappingNode):
            return self.mapping(node, depth)
        raise _Abort(error("OBS001", "unsupported YAML node", self.pos(node)))  # pragma: no cover

    def mapping(self, node: MappingNode, depth: int) -> YMap:
        out = YMap(self.pos(node))
        merges = []
        for knode, vnode in node.value:
            if knode.tag == f"{_CORE}merge":
                merges.append(vnode)
                continue
            if not isinstance(knode, ScalarNode):
                raise _Abort(error("OBS011", "mapping keys must be plain strings", self.pos(knode)))
            key = _scalar(knode, self.file)
            key = key if isinstance(key, str) else str(key).lower() if isinstance(key, bool) else str(key)
            if key in out:
                first = out.key_pos[key]
                self.diags.append(error("OBS002", f"duplicate key {key!r} (first defined at line {first.line})",
                                        self.pos(knode)))
                continue
            out[key] = self.build(vnode, depth + 1)
            out.key_pos[key] = self.pos(knode)
            out.val_pos[key] = self.pos(vnode)
        for mnode in merges:  # `<<: *base` fills in keys not given explicitly
            sources = mnode.value if isinstance(mnode, SequenceNode) else [mnode]
            for src in sources:
                built = self.build(src, depth + 1)
                if not isinstance(built, YMap):
                    raise _Abort(error("OBS011", "a merge key (<<) takes a mapping", self.pos(src)))
                for key, value in built.items():
                    if key not in out:
                        out[key] = value
                        out.key_pos[key] = built.key_pos[key]
                        out.val_pos[key] = built.val_pos[key]
        return out


_BRACKETS = re.compile(r"[^\[\]{}]+")
_INDENT = re.compile(r"^ {%d,}" % (MAX_DEPTH + 1), re.MULTILINE)
# Compact nested block collections (`- - - 1`, `? ? a`) nest without brackets or indentation.
_COMPACT = re.compile(r"(?:[-?][ \t]+){%d,}" % (MAX_DEPTH // 2))


def _looks_deep(text: str) -> bool:
    """Could this text nest deeper than MAX_DEPTH? A cheap over-estimate: unclosed flow brackets
    (ignoring quoting), indentation width, and runs of compact block entries (`- - - …`)."""
    depth = peak = 0
    for ch in _BRACKETS.sub("", text):  # only the brackets are left: a short string
        if ch in "[{":
            depth += 1
            peak = max(peak, depth)
        else:
            depth -= 1
    return peak > MAX_DEPTH // 2 or _INDENT.search(text) is not None or _COMPACT.search(text) is not None


class _TooDeep(Exception):
    def __init__(self, mark):
        self.mark = mark


def _check_depth(text: str) -> None:
    """Raise _TooDeep at the first collection nested deeper than MAX_DEPTH. libyaml's event parser
    keeps its stacks on the heap (only its composer recurses), and stops reading there: a text
    nested thousands deep is refused in milliseconds, where the pure parser takes seconds."""
    depth = 0
    for event in YAML(typ="safe", pure=False).parse(text):
        if isinstance(event, (SequenceStartEvent, MappingStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise _TooDeep(event.start_mark)
        elif isinstance(event, (SequenceEndEvent, MappingEndEvent)):
            depth -= 1


class _Resolver(VersionedResolver):
    """YAML 1.2's implicit types (`yes` is a string, `010` is ten) for every file. libyaml's path
    never sees a `%YAML` directive, so the pure parser ignores it too and both read a file alike;
    asking which version applies cost a quarter of the load time, as two exceptions per scalar."""

    _table: dict | None = None  # first character -> [(tag, pattern)], with tags made once

    @property
    def processing_version(self):
        return (1, 2)

    def resolve(self, kind, value, implicit):
        if kind is ScalarNode:
            if implicit[0]:
                table = _Resolver._table
                if table is None:
                    table = _Resolver._table = {
                        first: [(Tag(suffix=tag), pattern) for tag, pattern in pairs]
                        for first, pairs in self.versioned_resolver.items()}
                for tag, pattern in (*table.get(value[:1], ()), *table.get(None, ())):
                    if pattern.match(value):
                        return tag
            return self.DEFAULT_SCALAR_TAG
        return self.DEFAULT_SEQUENCE_TAG if kind is SequenceNode else self.DEFAULT_MAPPING_TAG


def _yaml(pure: bool) -> YAML:
    yaml = YAML(typ="safe", pure=pure)
    yaml.Resolver = _Resolver
    return yaml


def _compose(text: str) -> list:
    # libyaml (ruamel.yaml.clib) composes ~8x faster than the pure-Python parser, and
    # `obsgen validate` runs on every commit. Its composer recurses in C, though, so text that
    # might nest deeply is measured first (and refused when it does).
    pure = _CParser is None
    if not pure and _looks_deep(text):
        try:
            _check_depth(text)
        except MarkedYAMLError:
            pure = True  # libyaml refuses it: the pure parser decides (below)
    if pure:
        return _compose_pure(text)
    try:
        return list(_yaml(pure=False).compose_all(text))
    except MarkedYAMLError:
        pass
    # libyaml reads YAML 1.1 and refuses some 1.2 text (`[http://a:1]` in flow style); the pure
    # parser is the reference, and gives the error message when the text really is wrong.
    return _compose_pure(text)


def _compose_pure(text: str) -> list:
    # YAML lets an anchor be defined again (an alias takes the latest one) and libyaml says
    # nothing; ruamel's pure composer does the same but also warns. Both paths must agree.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReusedAnchorWarning)
        return list(_yaml(pure=True).compose_all(text))


def _empty(node) -> bool:
    """No document, or an explicit `---` with nothing after it."""
    return node is None or (isinstance(node, ScalarNode) and node.tag == f"{_CORE}null" and node.value == "")


def _compose_checked(text: str, file: str) -> tuple[list | None, list[Diagnostic]]:
    """The text's non-empty documents as nodes, or None and the diagnostic."""
    try:
        docs = _compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = _mark_pos(file, mark) if mark is not None else Pos(file, 1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        return None, [error("OBS001", f"YAML syntax error: {problem}", pos)]
    except _TooDeep as exc:
        return None, [error("OBS004", f"nesting deeper than {MAX_DEPTH} levels", _mark_pos(file, exc.mark))]
    except RecursionError:
        return None, [error("OBS004", "nesting too deep to read", Pos(file, 1, 1))]
    except ReaderError as exc:  # a character YAML does not allow in a document
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        # The reader stops at the first character it refuses, so that character's first place in the
        # text is where it stopped. (libyaml's position counts UTF-8 bytes, the pure reader's characters.)
        at = text.find(char)
        return None, [_not_allowed(char, text, exc.position if at < 0 else at, file)]
    except YAMLError as exc:
        return None, [error("OBS001", f"YAML error: {str(exc).splitlines()[0] if str(exc) else 'unreadable'}",
                            Pos(file, 1, 1))]
    except UnicodeEncodeError as exc:  # a lone surrogate in a str given through the API (no file holds one)
        return None, [_not_allowed(text[exc.start], text, exc.start, file)]
    return [d for d in docs if not _empty(d)], []


def _not_allowed(char: str, text: str, at: int, file: str) -> Diagnostic:
    """OBS001 for a character YAML does not allow, at offset `at` of `text`."""
    return error("OBS001", f"character U+{ord(char):04X} is not allowed in YAML", Pos.of_offset(file, text, at),
                 hint="remove it; a spec is plain text")


def load_documents(text: str, file: str) -> tuple[list | None, list[Diagnostic]]:
    """Every document of a YAML text, with the same bounds as a spec (size, nesting, aliases,
    plain tags): for files obsgen reads but did not write itself, such as a committed output
    tree or another tool's configuration. Returns (documents or None, diagnostics)."""
    if len(text) > MAX_FILE_BYTES:
        return None, [error("OBS005", f"more than {MAX_FILE_BYTES // 2**20} MiB of YAML", Pos(file, 1, 1))]
    docs, diags = _compose_checked(text, file)
    if docs is None:
        return None, diags
    builder = _Builder(file)  # one budget for aliases across the documents
    try:
        data = [builder.build(d) for d in docs]
    except _Abort as abort:
        return None, builder.diags + [abort.diag]
    except RecursionError:
        return None, [error("OBS004", "nesting too deep to read", Pos(file, 1, 1))]
    return data, builder.diags


def read_yaml(text: str, file: str = "<yaml>", documents: bool = False):
    """Plain data from YAML obsgen did not write (bounded as `load_documents`): one document (or
    None), or with `documents` the list of them. Raises ValueError with the first problem."""
    data, diags = load_documents(text, file)
    errors = [d for d in diags if d.severity.value == "error"]
    if data is None or errors:
        d = (errors or diags)[0]
        raise ValueError(f"{d.pos}: {d.message}")
    data = [_plain(d) for d in data]
    if documents:
        return data
    if len(data) > 1:
        raise ValueError(f"{file}: more than one YAML document")
    return data[0] if data else None


def _plain(value):
    """YMap/YSeq as dict/list (their positions dropped), so any serialiser takes them."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load_text(text: str, file: str) -> tuple[object, list[Diagnostic]]:
    """Parse one YAML document. Returns (data or None, diagnostics)."""
    docs, diags = _compose_checked(text, file)
    if docs is None:
        return None, diags
    if not docs:
        return None, [error("OBS006", "the file is empty; a spec file needs at least `apiVersion: obsgen/v1`",
                            Pos(file, 1, 1))]
    if len(docs) > 1:
        return None, [error("OBS006", "one YAML document per spec file (found a second `---`)",
                            _mark_pos(file, docs[1].start_mark), hint="split it into two files")]
    builder = _Builder(file)
    try:
        data = builder.build(docs[0])
    except _Abort as abort:
        return None, builder.diags + [abort.diag]
    except RecursionError:
        return None, [error("OBS004", "nesting too deep to read", Pos(file, 1, 1))]
    if not isinstance(data, YMap):
        return None, builder.diags + [error(
            "OBS006", f"the top level must be a mapping, not {describe(data)}", _mark_pos(file, docs[0].start_mark))]
    return data, builder.diags


def load_file(path: Path, display: str) -> tuple[object, list[Diagnostic]]:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [error("OBS005", f"file is {size / 2**20:.1f} MiB; a spec file may be at most "
                                          f"{MAX_FILE_BYTES // 2**20} MiB", Pos(display, 1, 1),
                                hint="split it: spec files in a folder are merged (one per team, say)")]
        raw = path.read_bytes()
    except OSError as exc:
        return None, [error("OBS005", f"cannot read file: {exc.strerror or exc}", Pos(display))]
    if b"\x00" in raw:
        return None, [error("OBS005", "file is binary (contains NUL bytes), not YAML text", Pos(display, 1, 1))]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        col = len(raw[line_start:exc.start].decode("utf-8", errors="replace")) + 1  # characters, like YAML marks
        return None, [error("OBS005", "file is not UTF-8 text", Pos(display, line, col))]
    return load_text(text, display)
