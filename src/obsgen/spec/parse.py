"""Phase 2, parse: a positioned tree -> pydantic spec models, errors mapped back to line:col."""
from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from obsgen.core.diagnostics import Diagnostic, Pos, describe, error
from obsgen.core.interrupts import deferred
from obsgen.load.yaml import YMap, YSeq
from obsgen.spec import SECRET_KEYS, ProjectSpec

_PLAIN = {"dict_type": "a mapping", "list_type": "a list", "string_type": "a string",
          "int_type": "an integer", "float_type": "a number", "bool_type": "true or false",
          "model_type": "a mapping", "model_attributes_type": "a mapping"}


def locate(root: YMap, loc: tuple) -> tuple[Pos, bool]:
    """Position of `loc` in the tree; second value is True when the whole path was found.

    Steps that are not in the tree (pydantic's names for union members) are skipped.
    """
    node, pos, complete = root, root.pos, True
    last_key_pos = None
    for step in loc:
        if step == "[key]" and last_key_pos is not None:
            return last_key_pos, True
        if isinstance(node, YMap) and isinstance(step, str) and step in node:
            last_key_pos, pos = node.key_pos[step], node.val_pos[step]
            node = node[step]
        elif isinstance(node, YSeq) and isinstance(step, int) and 0 <= step < len(node):
            pos = node.item_pos[step]
            node = node[step]
            last_key_pos = None
        elif isinstance(step, str) and (step[:1].islower() and ("[" in step or step.endswith("type")
                                                                or "-" in step)):
            continue  # a union member's tag
        else:
            complete = False
    return pos, complete


def key_pos(root: YMap, loc: tuple) -> Pos:
    """Position of the key that ends `loc` (for unknown keys)."""
    parent, _ = _node_at(root, loc[:-1])
    if isinstance(parent, YMap) and loc and loc[-1] in parent.key_pos:
        return parent.key_pos[loc[-1]]
    return locate(root, loc)[0]


def _node_at(root, loc):
    node = root
    for step in loc:
        if isinstance(node, YMap) and step in node:
            node = node[step]
        elif isinstance(node, YSeq) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
    return node, True


def dotted(loc: tuple) -> str:
    out = ""
    for step in loc:
        if isinstance(step, int):
            out += f"[{step}]"
        elif step == "[key]" or (isinstance(step, str) and ("[" in step or step.endswith("type"))):
            continue
        else:
            out += ("." if out else "") + str(step)
    return out


def _unwrap(tp):
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0] if args else tp
            if len(args) <= 1:
                continue
            return tp
        else:
            return tp


def allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """Keys the spec allows at `loc` (a mapping), for "did you mean" hints."""
    tp = model
    for step in loc:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = next((f for n, f in tp.model_fields.items() if (f.alias or n) == step), None)
            if field is None:
                return []
            tp = field.annotation
        elif origin is list:
            tp = typing.get_args(tp)[0]
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        else:
            return []
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or n for n, f in tp.model_fields.items()]
    return []


def did_you_mean(word, options: list) -> str | None:
    if not isinstance(word, str):
        return None
    close = difflib.get_close_matches(word, [o for o in options if isinstance(o, str)], n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


def translate(exc: ValidationError, root: YMap, model: type[BaseModel], prefix: tuple = (),
              shown: tuple | None = None) -> list[Diagnostic]:
    """Pydantic's errors as diagnostics; `model` was validated from the node at `prefix` in `root`.
    `shown` is the prefix as messages name it (an item's index within its own file)."""
    diags = []
    for err in exc.errors(include_url=False):
        loc, kind = tuple(err["loc"]), err["type"]
        where = dotted((prefix if shown is None else shown) + loc)
        if kind == "extra_forbidden":
            key = loc[-1]
            pos = key_pos(root, prefix + loc)
            if key in SECRET_KEYS:
                diags.append(error("OBS013", f"`{where}` would put a secret in generated files",
                                   pos, hint=f"store it in a file and give its path as {SECRET_KEYS[key]}"))
                continue
            options = allowed_keys(model, loc[:-1])
            hint = did_you_mean(str(key), options) or (
                f"allowed here: {', '.join(options)}" if options else None)
            diags.append(error("OBS010", f"unknown key `{where}`", pos, hint=hint))
        elif kind == "literal_secret":
            pos, _ = locate(root, prefix + loc)
            url = "URL" in err["msg"]
            diags.append(error("OBS013", f"{where}: {err['msg']}; it would end up in generated files", pos,
                               hint="drop the credential from the URL and give it as a file (credentials_file, "
                                    "url_file, api_url_file)" if url else
                               "secrets are only ever given as files the consuming tool reads at run time"))
        elif kind == "name_not_allowed":
            pos, _ = locate(root, prefix + loc)
            diags.append(error("OBS032", f"{where}: {err['msg']}", pos,
                               hint="names become file and folder names, so they are DNS labels"))
        elif kind == "missing":
            pos, _ = locate(root, prefix + loc[:-1])
            diags.append(error("OBS012", f"`{where}` is required", pos))
        else:
            pos, _ = locate(root, prefix + loc)
            msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
            if kind in _PLAIN:
                msg = f"should be {_PLAIN[kind]}, not {describe(err.get('input'))}"
            elif kind == "string_pattern_mismatch":
                msg = f"{err.get('input')!r} does not have the expected form ({err['ctx']['pattern']})"
            diags.append(error("OBS011", f"{where}: {msg}" if where else msg, pos))
    return diags


@dataclass
class Parsed:
    """What parsed cleanly, with each list item's index in the merged tree, so that later checks
    still run (and point at the right place) when some other part of the spec is broken."""

    sections: dict[str, object]
    items: dict[str, list[tuple[int, BaseModel]]]
    ok: bool

    def spec(self) -> ProjectSpec:
        data = dict(self.sections)
        for key, pairs in self.items.items():
            data[key] = [item for _, item in pairs]
        return ProjectSpec.model_construct(**{_field_name(k): v for k, v in data.items()})


def _field_name(alias: str) -> str:
    return "global_" if alias == "global" else alias


def parse_project(tree: YMap) -> Parsed:
    """Parse section by section and list item by list item, collecting every error."""
    with deferred():  # an interrupt inside pydantic's validator would turn into a wrong error
        return _parse_project(tree)


def _parse_project(tree: YMap) -> Parsed:
    diags: list[Diagnostic] = []
    sections: dict[str, object] = {}
    items: dict[str, list[tuple[int, BaseModel]]] = {}
    fields = {f.alias or n: f for n, f in ProjectSpec.model_fields.items()}
    for key, field in fields.items():
        tp = _unwrap(field.annotation)
        if typing.get_origin(tp) is list:
            item_type = typing.get_args(tp)[0]
            value = tree.get(key)
            if value is None:
                items[key] = []
                continue
            if not isinstance(value, list):
                diags.append(error("OBS011", f"{key}: should be a list, not {describe(value)}", tree.val_pos[key]))
                items[key] = []
                continue
            pairs = []
            per_file: dict[str, int] = {}
            for i, raw in enumerate(value):
                file = value.item_pos[i].file
                local = per_file[file] = per_file.get(file, -1) + 1  # its index in its own file
                try:
                    pairs.append((i, item_type.model_validate(raw)))
                except ValidationError as exc:
                    diags += translate(exc, tree, item_type, (key, i), (key, local))
            items[key] = pairs
        else:
            try:
                sections[key] = ProjectSpec.model_validate({key: tree[key]} if key in tree else {}).__dict__[
                    _field_name(key)]
            except ValidationError as exc:
                diags += translate(exc, tree, ProjectSpec)
                sections[key] = field.get_default(call_default_factory=True)
    return Parsed(sections, items, not diags), diags
