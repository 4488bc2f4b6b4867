"""obsgen schema: the committed JSON Schema is current, documents every field from the models
themselves, gives an editor an example of every value, and accepts the spec files obsgen accepts
(and refuses some it refuses)."""
from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated

import jsonschema
import pytest
from pydantic import BaseModel, TypeAdapter
from ruamel.yaml import YAML

from obsgen import spec
from obsgen.spec.schema import properties, schema_text, spec_schema, undocumented, without_examples

ROOT = Path(__file__).parent.parent
COMMITTED = ROOT / "schemas" / "obsgen-v1.json"
SPEC_FILES = sorted([*ROOT.glob("specs/*.yaml"), *ROOT.glob("tests/golden/*/specs/*.yaml"),
                     *ROOT.glob("tests/golden_diff/*/*/*.yaml"), ROOT / "templates" / "init" / "obsgen.yaml"])


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = spec_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def load(text: str):
    return YAML(typ="safe").load(text)


def test_the_committed_schema_is_current(update_golden):
    if update_golden:
        COMMITTED.write_text(schema_text(), encoding="utf-8", newline="\n")
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), \
        "schemas/obsgen-v1.json is stale: run `pytest tests/test_schema.py --update-golden`"


def test_the_schema_is_deterministic_sorted_and_ends_with_a_newline():
    text = schema_text()
    assert text == schema_text() and text.endswith("}\n") and "\r" not in text
    assert text.splitlines()[1] == '  "$defs": {'  # sorted keys, two-space indent


def test_the_schema_names_its_dialect_and_itself():
    schema = spec_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] and schema["title"]
    assert set(schema["properties"]) == set(spec.FILE_KEYS) | set(spec.SECTION_KEYS)
    assert schema["required"] == ["apiVersion"]


MODELS = sorted((obj for obj in vars(spec).values()
                 if inspect.isclass(obj) and issubclass(obj, BaseModel) and obj.__module__.startswith("obsgen.spec.")
                 and obj.model_fields), key=lambda m: m.__name__)
assert len(MODELS) > 50, "the spec's models were not found: the example tests below would test nothing"
FIELDS = [(model, name) for model in MODELS for name in model.model_fields]


def test_every_field_has_a_description():
    assert undocumented(spec_schema()) == []


def test_the_models_themselves_describe_every_field():
    """The pydantic models are the one source: plain pydantic output already has every description."""
    raw = spec.ProjectSpec.model_json_schema(by_alias=True)
    assert undocumented(raw) == []


def test_every_field_has_examples_or_a_default_unless_the_schema_lists_its_values():
    """A default of null, [] or {} shows nothing; enums, constants and booleans list their values."""
    assert without_examples(spec_schema()) == []


@pytest.mark.parametrize("model, field", FIELDS, ids=lambda x: x if isinstance(x, str) else x.__name__)
def test_every_example_of_a_field_is_accepted_by_the_models(model, field):
    info = model.model_fields[field]
    examples = info.examples or []
    adapter = TypeAdapter(Annotated[info.annotation, *info.metadata]) if info.metadata else \
        TypeAdapter(info.annotation)
    for example in examples:
        adapter.validate_python(example)


def _examples_of(name: str, node: dict) -> list[tuple[str, object, dict]]:
    out = [(name, e, node) for e in node.get("examples", [])]
    for key in ("anyOf", "oneOf", "allOf"):
        for i, branch in enumerate(node.get(key, [])):
            out += _examples_of(f"{name}[{key}{i}]", branch)
    return out


def test_every_example_and_default_in_the_schema_is_valid_against_its_own_schema():
    schema = spec_schema()
    problems = []
    for name, node in properties(schema):
        checks = _examples_of(name, node)
        if "default" in node:
            checks.append((f"{name} (default)", node["default"], node))
        for where, value, sub in checks:
            validator = jsonschema.Draft202012Validator({**sub, "$defs": schema["$defs"]})
            problems += [f"{where}: {e.message}" for e in validator.iter_errors(value)]
    assert problems == []


def test_the_file_keys_are_documented_for_editors():
    top = spec_schema()["properties"]
    assert top["apiVersion"]["const"] == "obsgen/v1" and top["apiVersion"]["description"]
    assert top["environments"]["description"] and top["environments"]["examples"]


def test_every_object_with_named_fields_refuses_other_keys_as_the_models_do():
    schema = spec_schema()
    assert schema["additionalProperties"] is False
    open_objects = [name for name, d in schema["$defs"].items()
                    if "properties" in d and d.get("additionalProperties") is not False]
    assert open_objects == []


def test_an_override_has_no_defaults_or_required_fields_because_leaving_a_field_out_keeps_its_value():
    defs = spec_schema()["$defs"]
    overrides = {name: d for name, d in defs.items() if name.endswith("Override")}
    assert "GlobalSpecOverride" in overrides and "ServiceSpecOverride" in overrides
    for name, d in overrides.items():
        assert "required" not in d, name
        assert [p for p, sub in d.get("properties", {}).items() if "default" in sub] == [], name


def test_a_default_made_by_a_factory_is_shown_as_a_person_would_write_it():
    defs = spec_schema()["$defs"]
    assert defs["RoutingSpec"]["properties"]["group_by"]["default"] == ["alertname", "service", "severity"]
    assert defs["RoutingSpec"]["properties"]["severities"]["default"]["warning"] == {"channels": ["slack", "email"]}
    assert defs["SLOAlerting"]["properties"]["page"]["default"] == {"severity": "critical"}
    assert "default" not in defs["GlobalSpec"]["properties"]["datasource"]  # its definition shows it


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_spec_files_obsgen_accepts_validate_against_the_schema(path, validator):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(load(path.read_text()))]
    assert errors == []


@pytest.mark.parametrize("text, where", [
    ("services: []\n", []),  # no apiVersion
    ("apiVersion: obsgen/v2\n", ["apiVersion"]),
    ("apiVersion: obsgen/v1\nservice: []\n", []),
    ("apiVersion: obsgen/v1\nservices: [{name: Api, team: web}]\n", ["services", 0, "name"]),
    ("apiVersion: obsgen/v1\nservices: [{name: api, team: web, alerts: [{name: A, expr: up, severity: High}]}]\n",
     ["services", 0, "alerts", 0, "severity"]),
    ("apiVersion: obsgen/v1\nservices: [{name: api, team: web, alerts: [{name: A, expr: up, severity: info, "
     "for: 5 minutes}]}]\n", ["services", 0, "alerts", 0, "for"]),
    ("apiVersion: obsgen/v1\nglobal: {external_labels: {1x: x}}\n", ["global", "external_labels"]),
    ("apiVersion: obsgen/v1\nenvironments: {Prod: {}}\n", ["environments"]),
    ("apiVersion: obsgen/v1\nenvironments: {prod: {services: {api: {lables: {}}}}}\n",
     ["environments", "prod", "services", "api"]),
])
def test_the_schema_refuses_what_obsgen_refuses(text, where, validator):
    errors = list(validator.iter_errors(load(text)))
    assert errors
    paths = []
    while errors:  # errors inside anyOf branches are in each error's context
        e = errors.pop()
        paths.append(list(e.absolute_path))
        errors += e.context
    assert any(p[:len(where)] == where for p in paths), paths


def test_an_environment_override_may_give_any_part_of_an_object(validator):
    doc = load("apiVersion: obsgen/v1\n"
               "environments:\n"
               "  dev:\n"
               "    global: {scrape_interval: 1m}\n"
               "    routing: {severities: {critical: {group_wait: 1m}}}\n"
               "    services: {api: {scrape: {interval: 30s}}}\n"
               "    teams: {web: {slack: {channel: '#dev'}}}\n"
               "  prod:\n")
    assert [e.message for e in validator.iter_errors(doc)] == []
