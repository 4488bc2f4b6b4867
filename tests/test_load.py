"""Phase 1, load: what the YAML loader builds from the text, besides refusing hostile input
(test_hostile.py): merge keys, YAML 1.2 scalars, positions."""
from __future__ import annotations

import pytest

from obsgen.load.yaml import load_text, read_yaml


def load(text: str) -> dict:
    data, diags = load_text(text, "spec.yaml")
    assert data is not None and not diags, [d.message for d in diags]
    return data


@pytest.mark.parametrize("text", [
    "a: &a {x: 1, y: 1}\nb: {<<: *a, x: 2}\n",   # explicit after the merge
    "a: &a {x: 1, y: 1}\nb: {x: 2, <<: *a}\n",   # explicit before the merge
])
def test_a_key_written_in_the_mapping_wins_over_a_merged_one(text):
    assert dict(load(text)["b"]) == {"x": 2, "y": 1}


def test_of_several_merged_mappings_the_first_wins():
    assert dict(load("a: &a {x: 1}\nc: &c {x: 3, z: 3}\nb: {<<: [*a, *c]}\n")["b"]) == {"x": 1, "z": 3}


def test_merged_keys_keep_the_position_of_their_anchor_and_written_ones_their_own():
    tree = load("a: &a\n  x: 1\n  y: 1\nb:\n  <<: *a\n  x: 2\n")
    b = tree["b"]
    assert (b.val_pos["x"].line, b.val_pos["x"].col) == (6, 6)
    assert (b.val_pos["y"].line, b.val_pos["y"].col) == (3, 6)


@pytest.mark.parametrize("scalar, value", [
    ("yes", "yes"), ("no", "no"), ("on", "on"), ("2024-01-02", "2024-01-02"), ("1_000", 1000), ("0x1f", 31),
    ("0o17", 15), ("1.5e3", 1500.0), ("true", True), ("~", None), ("'5m'", "5m"),
])
def test_scalars_are_read_as_yaml_1_2(scalar, value):
    assert load(f"k: {scalar}\n")["k"] == value


def test_yaml_read_back_from_a_committed_tree_is_plain_data_with_every_document():
    docs = read_yaml("a: 1\n---\n- x\n", documents=True)
    assert docs == [{"a": 1}, ["x"]] and type(docs[0]) is dict and type(docs[1]) is list
    with pytest.raises(ValueError, match="more than one YAML document"):
        read_yaml("a: 1\n---\nb: 2\n")


def test_the_fast_depth_check_refuses_exactly_past_the_limit_and_counts_siblings_once():
    # The event-based check that refuses a deeply nested text before the slow composer sees it:
    # it must agree with the composer's own limit to the level, and count only open collections.
    from obsgen.load.yaml import MAX_DEPTH, _check_depth, _TooDeep

    _check_depth("a: " + "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1) + "\n")  # the root mapping is one
    with pytest.raises(_TooDeep) as caught:
        _check_depth("a: " + "[" * MAX_DEPTH + "1" + "]" * MAX_DEPTH + "\n")
    assert (caught.value.mark.line, caught.value.mark.column) == (0, 3 + MAX_DEPTH - 1)
    siblings = "a: [" + ", ".join(["[[1]]"] * (3 * MAX_DEPTH)) + "]\n"
    _check_depth(siblings)
    # Closed siblings leave the depth where it was: a later branch one level past the limit is refused.
    half = MAX_DEPTH // 2
    deep = "a: " + "[" * half + "[1], " * 5 + "[" * (MAX_DEPTH - half) + "1" + "]" * (MAX_DEPTH - half) + "]" * half
    with pytest.raises(_TooDeep):
        _check_depth(deep + "\n")


# ----------------------------------------------------------------------------- environments merging

_ENV_BASE = """\
apiVersion: obsgen/v1
teams: [{name: ops, email: {to: ops@example.com}}]
routing: {smtp: {smarthost: "smtp:25", from: am@example.com}}
services:
  - name: api
    team: ops
    alerts:
      - {name: Down, expr: up == 0, for: 5m, severity: warning, summary: s, description: d}
      - {name: Slow, expr: up == 2, for: 5m, severity: warning, summary: s, description: d}
dashboards:
  - {title: With Uid, uid: with-uid, panels: [{title: Up, queries: [{expr: up}]}]}
  - {title: By Title, panels: [{title: Up, queries: [{expr: up}]}]}
environments:
  prod:
"""


def _env(overrides: str):
    from obsgen.api import load_texts

    return load_texts({"spec.yaml": _ENV_BASE + overrides})


def test_an_environment_merges_one_alert_of_a_list_by_name_and_keeps_the_others():
    project = _env("    services: {api: {alerts: [{name: Slow, for: 10m}]}}\n")
    assert project.ok
    alerts = {a.name: a.spec.for_ for a in project.models[0].alerts}
    assert alerts == {"Down": "5m", "Slow": "10m"}


@pytest.mark.parametrize("override, renamed", [
    ("    services: {api: {name: web}}\n", "name"),
    ("    dashboards: {with-uid: {uid: other}}\n", "uid"),
    ("    dashboards: {by-title: {title: Another}}\n", "title"),
])
def test_an_environment_cannot_change_what_finds_its_object(override, renamed):
    found = [d.message for d in _env(override).diagnostics if d.code == "OBS033"]
    assert len(found) == 1 and f"cannot change the {renamed} of" in found[0], found


def test_a_dashboard_with_a_uid_may_take_another_title_per_environment():
    project = _env("    dashboards: {with-uid: {title: Production}}\n")
    assert project.ok, [d.message for d in project.diagnostics]
    assert {d.title for _, d in project.models[0].dashboards} >= {"Production", "By Title"}


def test_an_environment_may_restate_the_name_it_finds_its_object_by():
    project = _env("    services: {api: {name: api, alerts: [{name: Down, for: 1m}]}}\n")
    assert project.ok, [d.message for d in project.diagnostics]
    assert {a.name: a.spec.for_ for a in project.models[0].alerts}["Down"] == "1m"
