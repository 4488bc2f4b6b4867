"""obsgen schema: the committed JSON Schema is current, documents every field, and accepts the
spec files obsgen accepts (and refuses some it refuses)."""
from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from obsgen import spec
from obsgen.schema import FIELD_DESCRIPTIONS, schema_text, spec_schema, undocumented

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


def test_every_field_has_a_description():
    assert undocumented(spec_schema()) == []


def test_the_description_table_names_only_fields_that_exist():
    raw = spec.ProjectSpec.model_json_schema(by_alias=True)
    fields = {f"{name}.{prop}" for name, d in raw["$defs"].items() for prop in d.get("properties", {})}
    fields |= {f"ProjectSpec.{prop}" for prop in raw["properties"]}
    assert sorted(set(FIELD_DESCRIPTIONS) - fields) == []


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_spec_files_obsgen_accepts_validate_against_the_schema(path, validator):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(load(path.read_text()))]
    assert errors == []


@pytest.mark.parametrize("text, where", [
    ("services: []\n", []),  # no apiVersion
    ("apiVersion: obsgen/v2\n", ["apiVersion"]),
    ("apiVersion: obsgen/v1\nservice: []\n", []),
    ("apiVersion: obsgen/v1\nservices: [{name: Api, team: web}]\n", ["services", 0, "name"]),
    ("apiVersion: obsgen/v1\nservices: [{name: api, team: web, alerts: [{name: A, expr: up, severity: high}]}]\n",
     ["services", 0, "alerts", 0, "severity"]),
    ("apiVersion: obsgen/v1\nservices: [{name: api, team: web, alerts: [{name: A, expr: up, severity: info, "
     "for: 5 minutes}]}]\n", ["services", 0, "alerts", 0, "for"]),
    ("apiVersion: obsgen/v1\nglobal: {external_labels: {__name__: x}}\n", ["global", "external_labels"]),
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
