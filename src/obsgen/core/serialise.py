"""Deterministic serialisation: fixed key order as built, LF, final newline, a header comment."""
from __future__ import annotations

import io
import json
import re
import threading
from dataclasses import dataclass

from ruamel.yaml import YAML
from ruamel.yaml.main import CEmitter as _CEmitter  # None without ruamel.yaml.clib
from ruamel.yaml.representer import RoundTripRepresenter, SafeRepresenter
from ruamel.yaml.tag import Tag


@dataclass(frozen=True)
class Artifact:
    """One generated file: its path below the environment's folder, and its text."""

    path: str
    content: str


# ruamel makes a Tag object per node from the tag's string and decodes it character by character
# the first time the emitter asks for it: that was a fifth of a small build's time. One shared,
# already decoded Tag per tag string gives the same nodes.
_TAGS: dict[str, Tag] = {}


def _shared_tag(tag):
    if not isinstance(tag, str):
        return tag
    shared = _TAGS.get(tag)
    if shared is None:
        shared = _TAGS[tag] = Tag(suffix=tag)
        str(shared)  # decode once, now
    return shared


class _Representer(SafeRepresenter):
    def ignore_aliases(self, data) -> bool:
        # Generated files are read by people and by go-yaml: never `&id001` anchors.
        return True

    def represent_scalar(self, tag, value, style=None, anchor=None):
        return super().represent_scalar(_shared_tag(tag), value, style, anchor)

    def represent_sequence(self, tag, sequence, flow_style=None):
        return super().represent_sequence(_shared_tag(tag), sequence, flow_style)

    def represent_mapping(self, tag, mapping, flow_style=None):
        return super().represent_mapping(_shared_tag(tag), mapping, flow_style)


# Plain scalars that YAML 1.1 readers (Prometheus and Alertmanager use go-yaml v2) would not read
# back as strings: booleans like `yes`/`on`, nulls, numbers in any base, sexagesimals, dates.
_YAML11_SPECIAL = re.compile(
    r"(?i)(y|yes|n|no|true|false|on|off|null|~|[-+]?(0b[01_]+|0x[0-9a-f_]+|0[0-7_]+|[0-9][0-9_]*"
    r"(:[0-5]?[0-9])+(\.[0-9_]*)?|[0-9][0-9_]*|[0-9_]*\.[0-9_]*([e][-+]?[0-9]+)?|\.inf|\.nan)"
    r"|\d{4}-\d\d?-\d\d?([Tt ].*)?)")


def _str(rep, data: str):
    style = "|" if "\n" in data else "'" if _YAML11_SPECIAL.fullmatch(data) else None
    return rep.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _dict(rep, data: dict):
    return rep.represent_mapping("tag:yaml.org,2002:map", data)  # in the order the target built it


_Representer.add_representer(str, _str)
_Representer.add_representer(dict, _dict)


def _yaml() -> YAML:
    # libyaml's emitter (ruamel.yaml.clib) writes YAML about twice as fast as ruamel's Python one,
    # which was most of a big build's time. Its style: lists under a key are not indented.
    y = YAML(typ="safe", pure=_CEmitter is None)
    y.Representer = _Representer
    y.default_flow_style = False
    y.width = 4096
    y.allow_unicode = True
    y.sort_base_mapping_type_on_output = False  # keys in the order the target built them
    return y


class _PerThread(threading.local):
    """One YAML instance per thread: a ruamel YAML object keeps its emitter's state between the
    calls of one dump, so two threads sharing one (obsgen check writes files from a thread pool)
    interleave their events, and the emitter stays broken for every dump after. An instance whose
    dump raised is dropped, so one failure never poisons the next dump."""

    plain: YAML | None = None
    commented: YAML | None = None


_LOCAL = _PerThread()


def _dump(kind: str, make, data) -> str:
    y = getattr(_LOCAL, kind)
    if y is None:
        y = make()
        setattr(_LOCAL, kind, y)
    buf = io.StringIO()
    try:
        y.dump(data, buf)
    except BaseException:
        setattr(_LOCAL, kind, None)
        raise
    return buf.getvalue()


class _CommentedRepresenter(RoundTripRepresenter):
    def ignore_aliases(self, data) -> bool:
        return True


_CommentedRepresenter.add_representer(str, _str)


def _commented_yaml() -> YAML:
    y = YAML(typ="rt")
    y.Representer = _CommentedRepresenter
    y.default_flow_style = False
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def comment_header(header: str) -> str:
    return "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())


def to_yaml(data, header: str | None = None) -> str:
    text = _dump("plain", _yaml, data)
    return (comment_header(header) if header else "") + text


def to_commented_yaml(data, header: str | None = None) -> str:
    """YAML for people to edit (importers write specs): keeps the comments of ruamel's commented
    maps and lists, and indents lists as the reference spec does. Slower than to_yaml."""
    return (comment_header(header) if header else "") + _dump("commented", _commented_yaml, data)


def to_yaml_documents(docs: list, header: str | None = None) -> str:
    parts = [to_yaml(d).rstrip("\n") + "\n" for d in docs]
    return (comment_header(header) if header else "") + "---\n".join(parts)


def to_json(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
