"""`obsgen schema`: the JSON Schema of an obsgen/v1 spec file, for editors and CI.

The sections come from the pydantic models in `spec` (by alias, so `global`, `for`, `from`), which
are the one source of every field's description, examples and default (a default_factory's value
too, unless it is just its model's own defaults). A spec *file* is more than one environment's
`ProjectSpec`: it has `apiVersion`, every section is optional (files are merged), and
`environments` maps each name to overrides that are deep-merged (mappings merge key by key, so
every field of an override is optional and has no default: what it leaves out keeps the base
value; lists replace, so list items are whole) — the same rules as `resolve.check_file` and
`resolve.apply_environment`.

Constraints the models check in Python (names, durations, label and metric names) are added as
`pattern`s where a regular expression says the same; cross-field rules (exactly one of `static`,
`kubernetes` or `exporter`, …) stay with `obsgen validate`.

The output is deterministic: `schema_text()` is what `schemas/obsgen-v1.json` holds.
"""
from __future__ import annotations

import copy
import json
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.json_schema import GenerateJsonSchema, NoDefault

from obsgen import spec
from obsgen.core import naming
from obsgen.spec import base

SCHEMA_ID = "urn:obsgen:schema:obsgen-v1"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


# ----------------------------------------------------------------------------- patterns

def _pattern_of(fn: Any) -> str | None:
    """The regular expression equivalent to one of spec/base.py's after-validators, where there is one."""
    if fn is base._name:
        return naming.NAME_RE.pattern
    if fn is base._duration:
        return r"^(?=.)" + naming.DURATION_RE.pattern.removeprefix("^")
    if fn is base._label_name:
        return r"^(?!__)" + naming.LABEL_RE.pattern.removeprefix("^")
    if getattr(fn, "__qualname__", "") == "_regex.<locals>.check":
        for cell in fn.__closure__ or ():
            pattern = getattr(cell.cell_contents, "pattern", None)
            if isinstance(pattern, str):
                return pattern
    return None


class _Generator(GenerateJsonSchema):
    def function_after_schema(self, schema):  # type: ignore[override]
        out = super().function_after_schema(schema)
        pattern = _pattern_of(schema.get("function", {}).get("function"))
        if pattern and out.get("type") == "string" and "pattern" not in out:
            out = {**out, "pattern": pattern}
        return out

    def get_default_value(self, schema):  # type: ignore[override]
        """pydantic leaves out a default_factory's value; an editor should show `group_by`'s default all
        the same. A model made of its own defaults is left out: its definition already shows them."""
        factory = schema.get("default_factory")
        if factory is None or schema.get("default_factory_takes_data"):
            return super().get_default_value(schema)
        value = factory()
        if isinstance(value, BaseModel):
            try:
                if value == type(value)():
                    return NoDefault
            except ValidationError:  # the model has required fields: the factory's value says something
                pass
        return value

    def encode_default(self, dft: Any) -> Any:
        """Models inside a default as a person writes them: fields left at their own default left out."""
        if isinstance(dft, (BaseModel, dict, list)):
            return TypeAdapter(type(dft)).dump_python(dft, mode="json", by_alias=True, exclude_defaults=True)
        return super().encode_default(dft)


# ----------------------------------------------------------------------------- building the schema

def _key_patterns(node: Any) -> None:
    """pydantic writes a mapping with constrained keys as patternProperties, which lets any other
    key through; a mapping of label names must refuse other keys: propertyNames says so."""
    if isinstance(node, list):
        for x in node:
            _key_patterns(x)
    if not isinstance(node, dict):
        return
    pp = node.get("patternProperties")
    if isinstance(pp, dict) and len(pp) == 1 and "properties" not in node and "additionalProperties" not in node:
        (pattern, value), = pp.items()
        del node["patternProperties"]
        node["propertyNames"] = {"pattern": pattern}
        node["additionalProperties"] = value
    for v in node.values():
        _key_patterns(v)


def _has_examples(node: dict) -> bool:
    return "examples" in node or any(_has_examples(x) for key in ("anyOf", "oneOf", "allOf") for x in node.get(key, ()))


def _without_default(node: Any) -> Any:
    """A property of an override: leaving it out keeps the base value, so its default does not apply.
    A default that showed the value's form stays as an example."""
    if not isinstance(node, dict) or "default" not in node:
        return node
    out = {k: v for k, v in node.items() if k != "default"}
    if node["default"] not in (None, [], {}) and not _has_examples(out):
        out["examples"] = [node["default"]]
    return out


def _partial(node: Any, defs: dict, made: dict) -> Any:
    """An override of `node`: every mapping field optional and without a default, recursively
    through mappings; lists (which an override replaces) keep whole items."""
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        partial_name = f"{name}Override"
        if partial_name not in made:
            made[partial_name] = {}  # placeholder: definitions may refer to themselves
            body = _partial(defs[name], defs, made)
            body["title"] = f"{body.get('title', name)} (environment override)"
            body["description"] = (f"what an environment changes in a {name}: only the fields given are "
                                   "changed, mappings merged key by key, lists and values replaced")
            made[partial_name] = body
        return {**{k: v for k, v in node.items() if k != "$ref"}, "$ref": f"#/$defs/{partial_name}"}
    out = dict(node)
    out.pop("required", None)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in out:
            out[key] = [_partial(x, defs, made) for x in out[key]]
    if "properties" in out:
        out["properties"] = {k: _without_default(_partial(v, defs, made)) for k, v in out["properties"].items()}
    if isinstance(out.get("additionalProperties"), dict):
        out["additionalProperties"] = _partial(out["additionalProperties"], defs, made)
    return out


# Examples of an environment's overrides of the list sections, keyed by item name (reference spec names).
_ITEM_OVERRIDE_EXAMPLES = {
    "teams": {"quant": {"channels": {"critical": ["slack"]}}},
    "services": {"waardhaven-api": {"scrape": {"kubernetes": {"namespaces": ["staging"],
                                                              "selector": {"app": "waardhaven-api"}}}}},
    "dashboards": {"waardhaven-infrastructure": {"refresh": "5m"}},
    "datasources": {"loki": {"url": "http://loki.staging:3100"}},
}


def spec_schema() -> dict:
    """The JSON Schema (draft 2020-12) of one obsgen/v1 spec file."""
    model = copy.deepcopy(spec.ProjectSpec.model_json_schema(by_alias=True, schema_generator=_Generator))
    _key_patterns(model)
    defs = model.pop("$defs")
    sections = model["properties"]
    for key in spec.LIST_SECTIONS:  # `teams:` with every item commented out is allowed
        sections[key] = {"description": sections[key]["description"], "examples": sections[key]["examples"],
                         "anyOf": [{"type": "array", "items": sections[key]["items"]}, {"type": "null"}]}
    made: dict = {}
    overrides: dict = {}
    for key in spec.ENV_KEYS:
        if key in spec.LIST_SECTIONS:
            item = sections[key]["anyOf"][0]["items"]
            by = "uid (or the title's slug)" if key == "dashboards" else "name"
            overrides[key] = {"type": "object", "description": f"{key} by {by}: what this environment changes "
                                                               f"in each; a {key[:-1]} not defined is an error",
                              "additionalProperties": _partial(item, defs, made),
                              "examples": [_ITEM_OVERRIDE_EXAMPLES[key]]}
            if key not in ("dashboards", "datasources"):
                overrides[key]["propertyNames"] = {"pattern": naming.NAME_RE.pattern}
        else:
            body = {k: v for k, v in sections[key].items() if k not in ("default", "title")}
            overrides[key] = _partial(body, defs, made)
    defs.update(made)
    defs["EnvironmentOverrides"] = {
        "type": "object", "additionalProperties": False, "properties": overrides,
        "description": "what an environment changes: mappings merge key by key, lists and values replace",
        "title": "EnvironmentOverrides",
    }
    name_pattern = naming.NAME_RE.pattern
    properties = {
        "apiVersion": {"const": naming.API_VERSION,
                       "description": f"the spec format; always {naming.API_VERSION}, in every file"},
        "environments": {
            "description": "named environments (production, development, …), each built from the same spec into "
                           "its own folder of the output, with its overrides: global, tracing and routing are "
                           "deep-merged, teams, services and dashboards changed by name. An empty entry builds the "
                           "spec as it is; with no environments at all there is one build, `default`",
            "examples": [{"production": {}, "development": {"global": {"external_labels": {
                "cluster": "waardhaven-dev"}, "scrape_interval": "30s"}, "tracing": {"sampling": {"default": 1.0}}}}],
            "anyOf": [{"type": "object", "propertyNames": {"pattern": name_pattern},
                       "additionalProperties": {"anyOf": [{"$ref": "#/$defs/EnvironmentOverrides"},
                                                          {"type": "null"}]}},
                      {"type": "null"}]},
        **{key: sections[key] for key in spec.SECTION_KEYS},
    }
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_ID,
        "title": f"obsgen spec file ({naming.API_VERSION})",
        "description": "One file of an obsgen spec. Every *.yaml file in the spec folder is read and merged: "
                       "teams, services and dashboards are concatenated, global, tracing and routing may each "
                       "be defined in one file only.",
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion"],
        "properties": properties,
        "$defs": dict(sorted(defs.items())),
    }


def schema_text() -> str:
    """The schema as committed in schemas/obsgen-v1.json: sorted keys, 2-space indent, final newline."""
    return json.dumps(spec_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def properties(schema: dict) -> list[tuple[str, dict]]:
    """Every field of the schema as (`Model.field`, its schema); the file's own keys are `<file>.key`."""
    return [(f"{name}.{prop}", sub) for name, d in [*schema.get("$defs", {}).items(), ("<file>", schema)]
            for prop, sub in (d.get("properties") or {}).items()]


def undocumented(schema: dict) -> list[str]:
    """Fields without a description, anywhere in the schema."""
    return sorted(name for name, sub in properties(schema) if not sub.get("description"))


def _self_describing(node: dict) -> bool:
    """An enum, a constant or a boolean (or a list of them): the schema already lists every value."""
    if "enum" in node or "const" in node or node.get("type") == "boolean":
        return True
    if isinstance(node.get("items"), dict) and _self_describing(node["items"]):
        return True
    return any(_self_describing(x) for key in ("anyOf", "oneOf", "allOf") for x in node.get(key, ())
               if x.get("type") != "null")


def without_examples(schema: dict) -> list[str]:
    """Fields an editor can show no value for: no examples, no default that is more than null or
    empty, and not an enum, constant or boolean."""
    return sorted(name for name, sub in properties(schema)
                  if not (_has_examples(sub) or sub.get("default") not in (None, [], {}) or _self_describing(sub)))


__all__ = ["SCHEMA_ID", "properties", "schema_text", "spec_schema", "undocumented", "without_examples"]
