"""Phase 3, merge (resolve/merge.py): the spec files' trees into one, and an environment's overrides
onto it. Called directly on loaded YAML trees, so the exact merged values, the positions they keep
and the diagnostics (code, message, file:line:col, hint) are pinned without a whole build."""
from __future__ import annotations

from textwrap import dedent

import pytest

from obsgen.api import load_texts
from obsgen.core.diagnostics import Pos
from obsgen.load.yaml import YMap, YSeq, _plain, load_text
from obsgen.resolve.merge import (
    Merge,
    SpecFile,
    _identity,
    _renames,
    apply_environment,
    as_str,
    deep_merge,
    item_name,
    merge_files,
)


def load(text: str, file: str = "a.yaml") -> YMap:
    tree, diags = load_text(dedent(text), file)
    assert isinstance(tree, YMap) and not diags, diags
    return tree


def spec_file(name: str, text: str, display: str | None = None) -> SpecFile:
    return SpecFile(name=name, display=display or name, tree=load(text, display or name))


def seq(text: str) -> YSeq:
    """A YAML list, from `l:` in the text (file x.yaml)."""
    return load(text, "x.yaml")["l"]


def diag(d) -> tuple:
    return d.severity.value, d.code, d.message, str(d.pos), d.hint


# --- merge_files ---------------------------------------------------------------------------------


def test_files_merge_in_name_order_list_sections_concatenate_and_the_first_global_wins():
    b = spec_file("b.yaml", """\
        teams:
          - name: tb
        global:
          x: 2
        """, display="dir/b.yaml")
    a = spec_file("a.yaml", """\
        global:
          x: 1
        teams:
          - name: ta
          - name: tc
        """, display="dir/a.yaml")
    root, envs, diags = merge_files([b, a])  # given out of order: merged by name, a first
    assert root.pos == Pos("dir/b.yaml", 1, 1)  # the first file given names the root
    assert _plain(root) == {"global": {"x": 1}, "teams": [{"name": "ta"}, {"name": "tc"}, {"name": "tb"}]}
    assert list(root) == ["global", "teams"]
    assert root["global"] is a.tree["global"]
    assert root.key_pos["global"] == Pos("dir/a.yaml", 1, 1) and root.val_pos["global"] == Pos("dir/a.yaml", 2, 3)
    assert root.key_pos["teams"] == Pos("dir/a.yaml", 3, 1) and root.val_pos["teams"] == Pos("dir/a.yaml", 4, 3)
    assert root["teams"].pos == Pos("dir/a.yaml", 4, 3)
    assert root["teams"].item_pos == [Pos("dir/a.yaml", 4, 5), Pos("dir/a.yaml", 5, 5), Pos("dir/b.yaml", 2, 5)]
    assert envs == {}
    assert [diag(d) for d in diags] == [(
        "error", "OBS022", "section `global` is already defined in dir/a.yaml (line 1)", "dir/b.yaml:3:1",
        "keep each of global, tracing and routing in one file")]


def test_no_files_merge_to_an_empty_tree_placed_nowhere():
    root, envs, diags = merge_files([])
    assert root == {} and envs == {} and diags == []
    assert root.pos == Pos("<none>") and str(root.pos) == "<none>"


def test_one_file_keeps_its_sections_and_their_positions():
    root, envs, diags = merge_files([spec_file("only.yaml", "apiVersion: obsgen/v1\nrouting: {a: 1}\n")])
    assert root.pos == Pos("only.yaml", 1, 1) and diags == [] and envs == {}
    assert _plain(root) == {"routing": {"a": 1}}  # apiVersion is not a section
    assert (root.key_pos["routing"], root.val_pos["routing"]) == (Pos("only.yaml", 2, 1), Pos("only.yaml", 2, 10))


def test_an_empty_list_section_is_skipped_and_one_not_a_list_is_reported_and_the_rest_still_merge():
    f = spec_file("a.yaml", """\
        teams:
        services: {x: 1}
        dashboards:
          - title: D
        routing: {r: 1}
        """)
    root, _, diags = merge_files([f])
    assert _plain(root) == {"dashboards": [{"title": "D"}], "routing": {"r": 1}}
    assert "teams" not in root and "services" not in root
    assert [diag(d) for d in diags] == [
        ("error", "OBS011", "services: should be a list, not a mapping", "a.yaml:2:11", None)]


def test_a_list_section_given_as_a_string_is_described_by_its_value():
    _, _, diags = merge_files([spec_file("a.yaml", "teams: web\n")])
    assert [diag(d) for d in diags] == [
        ("error", "OBS011", "teams: should be a list, not the string 'web'", "a.yaml:1:8", None)]


def test_environments_are_collected_by_name_and_one_defined_twice_is_reported_at_the_second():
    a = spec_file("a.yaml", """\
        environments:
          prod:
            global: {x: 1}
        """)
    b = spec_file("b.yaml", """\
        environments:
          prod:
            global: {x: 2}
          dev: null
          stage: 5
        """)
    root, envs, diags = merge_files([b, a])
    assert "environments" not in root
    assert list(envs) == ["prod", "dev", "stage"]
    assert envs["prod"] is a.tree["environments"]["prod"]
    assert _plain(envs["prod"]) == {"global": {"x": 1}}
    for name, pos in (("dev", Pos("b.yaml", 4, 8)), ("stage", Pos("b.yaml", 5, 10))):
        assert isinstance(envs[name], YMap) and envs[name] == {} and envs[name].pos == pos
    assert [diag(d) for d in diags] == [
        ("error", "OBS020", "environment 'prod' is already defined in a.yaml (line 2)", "b.yaml:2:3", None)]


def test_an_environments_section_that_is_not_a_mapping_declares_none():
    _, envs, diags = merge_files([spec_file("a.yaml", "environments: [prod]\n")])
    assert envs == {} and diags == []


# --- Merge, _identity, item_name, _renames ---------------------------------------------------------


def test_a_fresh_merge_notes_nothing():
    m = Merge()
    assert (m.env, m.reshaped, m.diags, m.removed) == ("", [], [], [])
    assert Merge("prod").env == "prod"


def test_identity_is_the_first_key_every_item_has_as_a_string():
    assert _identity(seq("l: []\n")) is None
    assert _identity(seq("l: [a, b]\n")) is None
    assert _identity(seq("l: [{name: a}, b]\n")) is None
    assert _identity(seq("l: [{x: 1}]\n")) is None
    assert _identity(seq("l: [{name: 5}]\n")) is None
    assert _identity(seq("l: [{name: a, title: t}, {title: u}]\n")) == "title"
    assert _identity(seq("l: [{record: r, name: n}]\n")) == "name"
    assert _identity(seq("l: [{record: r}, {record: s, title: t}]\n")) == "record"


@pytest.mark.parametrize("section, item, name", [
    ("dashboards", {"uid": "d1", "title": "My Dash"}, "d1"),
    ("dashboards", {"title": "My Dash!"}, "my-dash"),
    ("dashboards", {"uid": None, "title": "Ops / Latency"}, "ops-latency"),
    ("dashboards", {"uid": 5, "title": "My Dash"}, None),  # a uid that is not a string: no name
    ("dashboards", {"uid": None, "title": 5}, None),
    ("dashboards", {}, None),
    ("dashboards", {"name": "n"}, None),
    ("services", {"name": "api", "uid": "u", "title": "T"}, "api"),
    ("services", {"name": 5}, None),
    ("services", {"title": "T"}, None),
])
def test_item_name(section, item, name):
    assert item_name(section, item) == name


def test_as_str():
    assert as_str("a") == "a" and as_str(5) is None and as_str(None) is None


@pytest.mark.parametrize("section, base, patch, renamed", [
    ("services", {"name": "a"}, {"name": "a", "port": 1}, None),
    ("services", {"name": "a"}, {"name": "b"}, "name"),
    ("services", {"name": "a"}, {"port": 1}, None),
    ("services", {"name": "a"}, {"title": "x", "uid": "u"}, None),  # only dashboards are found by those
    ("services", {"name": "a"}, None, None),
    ("services", {"name": "a"}, 5, None),
    ("services", "a", {"name": "b"}, None),
    ("dashboards", {"uid": "d", "title": "T"}, {"title": "U"}, None),  # a uid's dashboard may retitle
    ("dashboards", {"uid": "d", "title": "T"}, {"uid": "e", "title": "U"}, "uid"),
    ("dashboards", {"uid": "d"}, {"uid": "d"}, None),
    ("dashboards", {"title": "T"}, {"title": "U"}, "title"),
    ("dashboards", {"title": "T"}, {"title": "T", "name": "x"}, None),
    ("dashboards", {"title": "T"}, {"uid": "u"}, "uid"),
])
def test_renames(section, base, patch, renamed):
    def ymap(v):
        if not isinstance(v, dict):
            return v
        out = YMap(Pos("x.yaml", 1, 1))
        out.update(v)
        return out
    assert _renames(section, ymap(base), ymap(patch)) == renamed


# --- deep_merge ----------------------------------------------------------------------------------


def test_mappings_merge_key_by_key_and_scalars_and_unnamed_lists_are_replaced():
    base = load("""\
        a: 1
        m: {x: 1, y: [1, 2], z: {p: 1}}
        """, "base.yaml")
    over = load("""\
        m: {y: [3], z: {q: 2}}
        b: 2
        a: 9
        """, "over.yaml")
    out = deep_merge(base, over)
    assert _plain(out) == {"a": 9, "m": {"x": 1, "y": [3], "z": {"p": 1, "q": 2}}, "b": 2}
    assert list(out) == ["a", "m", "b"]
    assert out.pos == base.pos == Pos("base.yaml", 1, 1)
    assert out.key_pos["a"] == Pos("over.yaml", 3, 1) and out.val_pos["a"] == Pos("over.yaml", 3, 4)
    assert out.key_pos["b"] == Pos("over.yaml", 2, 1)
    assert out["m"].pos == Pos("base.yaml", 2, 4)
    assert out["m"].key_pos["x"] == Pos("base.yaml", 2, 5) and out["m"].key_pos["y"] == Pos("over.yaml", 1, 5)
    assert _plain(base) == {"a": 1, "m": {"x": 1, "y": [1, 2], "z": {"p": 1}}}  # the base is untouched


def test_values_that_change_shape_are_noted_and_others_are_not():
    r: list = []
    five = deep_merge(load("m: {x: 1}\n")["m"], 5, reshaped=r)
    assert five == 5 and r == [5]
    over = load("m: {x: 1}\n")["m"]
    assert deep_merge(3, over, reshaped=r) is over and r == [5, over] and r[1] is over
    r.clear()
    assert deep_merge(1, 2, reshaped=r) == 2 and r == []
    assert deep_merge(None, over, reshaped=r) is over and r == []
    assert deep_merge(load("m: {x: 1}\n")["m"], None, reshaped=r) is None and r == []
    assert deep_merge([1], [2], reshaped=r) == [2] and r == []
    assert deep_merge(load("m: {x: 1}\n")["m"], 7) == 7  # noted nowhere, and no harm done


def test_a_shape_change_deep_inside_is_noted_in_the_callers_list():
    r: list = []
    out = deep_merge(load("a: {b: {x: 1}}\n"), load("a: {b: 7}\n"), reshaped=r)
    assert _plain(out) == {"a": {"b": 7}} and r == [7]


def test_a_named_list_replaced_by_a_mapping_is_a_shape_change():
    r: list = []
    base = seq("l: [{name: a}]\n")
    over = YMap(Pos("o.yaml", 1, 1))
    assert deep_merge(base, over, reshaped=r) is over and r == [over]


def test_a_list_of_named_objects_overriding_an_unnamed_one_replaces_it():
    over = seq("l: [{name: x}]\n")
    assert deep_merge(seq("l: [a, b]\n"), over) is over
    over = seq("l: [{x: 1}]\n")
    assert deep_merge(seq("l: [{name: a}]\n"), over) is over  # the override's items have no name
    over = seq("l: [b]\n")
    assert deep_merge(seq("l: [{name: a}]\n"), over) is over


def test_where_a_nested_change_is_named_from_the_top():
    m = Merge("prod")
    base = load("x:\n  rules: [{name: a}, {name: b}]\n")
    out = deep_merge(base, load("x:\n  rules: [{name: a, $delete: true}]\n"), merge=m)
    assert _plain(out) == {"x": {"rules": [{"name": "b"}]}}
    assert m.removed == ["x rules a"] and m.diags == []
    m = Merge("prod")
    deep_merge(base, load("x:\n  rules: [{name: a, $delete: true}]\n"), merge=m, where="service api")
    assert m.removed == ["service api x rules a"]


# --- lists of named objects (_merge_named, through deep_merge) -------------------------------------


def test_named_items_merge_by_name_in_order_and_new_ones_are_appended():
    base = seq("""\
        l:
          - name: A
            for: 1m
            labels: {x: "1"}
          - name: B
            for: 1m
        """)
    over = load("""\
        l:
          - name: N
            for: 3m
          - name: A
            labels: {y: "2"}
        """, "o.yaml")["l"]
    m = Merge("prod")
    out = deep_merge(base, over, merge=m, where="service api alerts")
    assert _plain(out) == [{"name": "A", "for": "1m", "labels": {"x": "1", "y": "2"}},
                           {"name": "B", "for": "1m"}, {"name": "N", "for": "3m"}]
    assert isinstance(out, YSeq) and out.pos == base.pos == Pos("x.yaml", 2, 3)
    assert out.item_pos == [Pos("x.yaml", 2, 5), Pos("x.yaml", 5, 5), Pos("o.yaml", 2, 5)]
    assert out[2] is over[0]
    assert out[0].pos == Pos("x.yaml", 2, 5) and out[0].key_pos["labels"] == Pos("o.yaml", 5, 5)
    assert m.diags == [] and m.removed == [] and m.reshaped == []


def test_one_item_of_the_name_is_found_whatever_severity_and_labels_the_override_gives():
    base = seq("l:\n  - {name: A, severity: warning, labels: {k: a}, for: 1m}\n")
    over = seq("l:\n  - {name: A, severity: critical, labels: {k: b}}\n")
    assert _plain(deep_merge(base, over)) == [{"name": "A", "severity": "critical", "labels": {"k": "b"},
                                               "for": "1m"}]


@pytest.mark.parametrize("others", [["warning"], ["warning", "info"]])
def test_items_of_one_name_are_told_apart_by_severity(others):
    severities = [others[0], "critical", *others[1:]]
    base = seq("l:\n" + "".join(f"  - {{name: A, severity: {s}, for: 1m}}\n" for s in severities))
    over = seq("l:\n  - {name: A, severity: critical, for: 5m}\n")
    m = Merge("prod")
    assert _plain(deep_merge(base, over, merge=m)) == [
        {"name": "A", "severity": s, "for": "5m" if s == "critical" else "1m"} for s in severities]
    assert m.diags == []


@pytest.mark.parametrize("labels, changed", [("{k: b}", 1), ("{k: a}", 0)])
def test_items_of_one_name_and_severity_are_told_apart_by_labels(labels, changed):
    base = seq("""\
        l:
          - {name: A, labels: {k: a}, for: 1m}
          - {name: A, labels: {k: b}, for: 1m}
        """)
    over = seq(f"l:\n  - {{name: A, labels: {labels}, for: 5m}}\n")
    m = Merge("prod")
    out = _plain(deep_merge(base, over, merge=m))
    assert [i["for"] for i in out] == ["5m" if i == changed else "1m" for i in range(2)]
    assert m.diags == []


def test_an_item_the_override_cannot_tell_apart_is_reported_and_the_next_still_applies():
    base = seq("""\
        l:
          - {name: A, for: 1m}
          - {name: A, for: 2m}
          - {name: B, for: 1m}
        """)
    over = load("""\
        l:
          - {name: A, for: 9m}
          - {name: B, for: 3m}
        """, "o.yaml")["l"]
    m = Merge("prod")
    out = deep_merge(base, over, merge=m, where="service api alerts")
    assert _plain(out) == [{"name": "A", "for": "1m"}, {"name": "A", "for": "2m"}, {"name": "B", "for": "3m"}]
    assert [diag(d) for d in m.diags] == [(
        "error", "OBS033", ("environment 'prod': service api alerts has 2 items with name 'A'; the override "
                           "cannot tell which it changes"), "o.yaml:2:6",
        "give its severity too, and its labels where rules of one name and severity differ by them")]


def test_items_of_one_name_and_severity_without_labels_to_tell_them_apart_are_ambiguous():
    base = seq("""\
        l:
          - {name: A, severity: page, for: 1m}
          - {name: A, severity: page, labels: {k: a}}
          - {name: A, severity: page, labels: {k: b}}
          - {name: A, severity: warn}
        """)
    over = seq("l:\n  - {name: A, severity: page, for: 9m}\n")
    m = Merge("qa")
    deep_merge(base, over, merge=m, where="w")
    assert [(d.code, d.message) for d in m.diags] == [
        ("OBS033", "environment 'qa': w has 3 items with name 'A'; the override cannot tell which it changes")]


def test_delete_removes_an_item_and_a_missing_or_false_one_is_reported():
    base = seq("""\
        l:
          - {name: A}
          - {name: B}
          - {name: C}
        """)
    over = load("""\
        l:
          - {name: B, $delete: true}
          - {name: Z, $delete: true}
          - {name: C, $delete: false}
          - {name: A, x: 1}
          - {name: B, y: 1}
        """, "o.yaml")["l"]
    m = Merge("prod")
    out = deep_merge(base, over, merge=m, where="service api alerts")
    # B is gone before the last override names it again: that one adds a new B
    assert _plain(out) == [{"name": "A", "x": 1}, {"name": "C"}, {"name": "B", "y": 1}]
    assert out.pos == base.pos
    assert out.item_pos == [Pos("x.yaml", 2, 5), Pos("x.yaml", 4, 5), Pos("o.yaml", 6, 5)]
    assert m.removed == ["service api alerts B"]
    assert [diag(d) for d in m.diags] == [
        ("error", "OBS021", "environment 'prod' removes service api alerts 'Z', which is not defined",
         "o.yaml:3:6", None),
        ("error", "OBS011", "`$delete` takes true (remove the object), not False", "o.yaml:4:24", None)]


def test_the_delete_marker_is_not_merged_into_the_object():
    base = seq("l:\n  - {name: A, a: 1}\n")
    m = Merge("prod")
    out = deep_merge(base, seq("l:\n  - {name: A, b: 2, $delete: yes}\n"), merge=m)
    assert _plain(out) == [{"name": "A", "a": 1}]
    assert [(d.code, d.message) for d in m.diags] == [
        ("OBS011", "`$delete` takes true (remove the object), not 'yes'")]


def test_problems_inside_a_named_item_are_named_by_its_path():
    base = seq("l:\n  - name: svc\n    alerts: [{name: a}]\n")
    over = load("l:\n  - name: svc\n    alerts: [{name: zz, $delete: true}]\n", "o.yaml")["l"]
    m = Merge("prod")
    out = deep_merge(base, over, merge=m, where="services")
    assert _plain(out) == [{"name": "svc", "alerts": [{"name": "a"}]}]
    assert [diag(d) for d in m.diags] == [
        ("error", "OBS021", "environment 'prod' removes services[svc] alerts 'zz', which is not defined",
         "o.yaml:3:15", None)]


def test_a_merge_without_where_names_items_by_themselves():
    m = Merge("e")
    deep_merge(seq("l: [{name: a}]\n"), seq("l: [{name: b, $delete: true}]\n"), merge=m)
    assert [d.message for d in m.diags] == ["environment 'e' removes  'b', which is not defined"]


# --- apply_environment ---------------------------------------------------------------------------

BASE = """\
global:
  labels: {a: "1", b: "2"}
  objectives:
    - name: o1
      target: 1
services:
  - name: api
    port: 80
    alerts:
      - name: Down
        for: 1m
  - oops
  - name: web
    port: 81
  - name: db
    port: 82
"""

PROD = """\
environments:
  prod:
    unknown: 1
    services:
      ap: {port: 1}
      api:
        port: 8080
        alerts:
          - {name: Missing, $delete: true}
          - {name: Down, for: 5m}
      web: {$delete: true}
      db: {port: 9}
    global:
      labels: {b: "3"}
      objectives:
        - {name: gone, $delete: true}
        - {name: o1, target: 2}
"""


def merged(*texts: str):
    files = [spec_file(f"{chr(ord('a') + i)}.yaml", t) for i, t in enumerate(texts)]
    root, envs, diags = merge_files(files)
    assert diags == []
    return root, envs


def test_an_environment_merges_services_by_name_and_global_deeply():
    root, envs = merged(BASE, PROD)
    r: list = []
    out, diags, removed = apply_environment(root, "prod", envs["prod"], r)
    assert _plain(out) == {
        "global": {"labels": {"a": "1", "b": "3"}, "objectives": [{"name": "o1", "target": 2}]},
        "services": [{"name": "api", "port": 8080, "alerts": [{"name": "Down", "for": "5m"}]}, "oops",
                     {"name": "db", "port": 9}],
    }
    assert list(out) == ["global", "services"] and "unknown" not in out
    assert removed == ["service web"] and r == []
    assert [diag(d) for d in diags] == [
        ("error", "OBS021", "environment 'prod' overrides service 'ap', which is not defined", "b.yaml:5:7",
         "did you mean `api`?"),
        ("error", "OBS021", "environment 'prod' removes service api alerts 'Missing', which is not defined",
         "b.yaml:9:14", None),
        ("error", "OBS021", "environment 'prod' removes global objectives 'gone', which is not defined",
         "b.yaml:16:12", None),
    ]
    # positions: the services keep the base's, the items theirs; global is where the override says
    assert out.pos == root.pos == Pos("a.yaml", 1, 1)
    assert out.key_pos["services"] == root.key_pos["services"] == Pos("a.yaml", 6, 1)
    assert out.val_pos["services"] == out["services"].pos == root["services"].pos == Pos("a.yaml", 7, 3)
    assert out["services"].item_pos == [Pos("a.yaml", 7, 5), Pos("a.yaml", 12, 5), Pos("a.yaml", 15, 5)]
    assert out["services"][0].key_pos["port"] == Pos("b.yaml", 7, 9)
    assert out["services"][0].key_pos["name"] == Pos("a.yaml", 7, 5)
    assert out.key_pos["global"] == Pos("b.yaml", 13, 5) and out.val_pos["global"] == Pos("b.yaml", 14, 7)
    assert out["global"].key_pos["labels"] == Pos("b.yaml", 14, 7)
    # the base tree is untouched
    assert [s.get("port") for s in root["services"] if isinstance(s, dict)] == [80, 81, 82]
    assert _plain(root["global"])["labels"] == {"a": "1", "b": "2"}


def test_sections_an_environment_does_not_touch_are_the_base_ones():
    root, envs = merged(BASE, "environments:\n  dev:\n    routing: {r: 1}\n")
    out, diags, removed = apply_environment(root, "dev", envs["dev"])
    assert diags == [] and removed == []
    assert out["services"] is root["services"] and out["global"] is root["global"]
    assert out.key_pos["services"] == root.key_pos["services"]
    assert _plain(out["routing"]) == {"r": 1}
    assert (out.key_pos["routing"], out.val_pos["routing"]) == (Pos("b.yaml", 3, 5), Pos("b.yaml", 3, 14))


def test_an_override_that_deletes_and_changes_is_not_a_delete():
    root, envs = merged(BASE, "environments:\n  e:\n    services:\n      web: {$delete: true, port: 1}\n")
    out, diags, removed = apply_environment(root, "e", envs["e"])
    assert removed == [] and diags == []
    assert _plain(out["services"])[2] == {"name": "web", "port": 1, "$delete": True}


def test_a_list_section_override_that_is_not_a_mapping_is_reported_and_the_rest_applies():
    root, envs = merged(BASE, """\
        environments:
          bad:
            services: [api]
            routing: {x: 1}
        """)
    out, diags, _ = apply_environment(root, "bad", envs["bad"])
    assert [diag(d) for d in diags] == [(
        "error", "OBS011", "environments.bad.services: should be a mapping of service name to overrides",
        "b.yaml:3:15", None)]
    assert out["services"] is root["services"]
    assert _plain(out["routing"]) == {"x": 1}


def test_an_override_that_renames_is_refused_and_the_rest_applies():
    root, envs = merged(BASE, """\
        environments:
          rename:
            services:
              api: {name: other, port: 1}
              web: {port: 2}
        """)
    out, diags, _ = apply_environment(root, "rename", envs["rename"])
    assert [diag(d) for d in diags] == [(
        "error", "OBS033", ("environment 'rename' cannot change the name of service 'api': overrides find their "
                           "object by it"), "b.yaml:4:13", "define another service instead")]
    assert [s.get("port") for s in out["services"] if isinstance(s, dict)] == [80, 2, 82]


def test_overrides_of_a_section_the_base_lacks_and_a_shape_change_deep_in_global():
    root, envs = merged("global:\n  labels: {a: '1'}\n", """\
        environments:
          dash:
            dashboards:
              x: {title: y}
            global:
              labels: 5
        """)
    r: list = []
    out, diags, removed = apply_environment(root, "dash", envs["dash"], r)
    over = envs["dash"]
    assert [diag(d) for d in diags] == [
        ("error", "OBS021", "environment 'dash' overrides dashboard 'x', which is not defined", "b.yaml:4:7", None)]
    assert out["dashboards"] == [] and isinstance(out["dashboards"], YSeq)
    assert out["dashboards"].pos == over.val_pos["dashboards"] == Pos("b.yaml", 4, 7)
    assert out.key_pos["dashboards"] == over.key_pos["dashboards"] == Pos("b.yaml", 3, 5)
    assert out.val_pos["dashboards"] == Pos("b.yaml", 4, 7)
    assert _plain(out["global"]) == {"labels": 5} and r == [5] and removed == []


def test_dashboards_are_found_by_uid_else_by_their_titles_slug():
    root, envs = merged("""\
        dashboards:
          - {uid: d1, title: One}
          - {title: Two Things}
        """, """\
        environments:
          e:
            dashboards:
              d1: {title: Uno}
              two-things: {refresh: 1m}
        """)
    out, diags, _ = apply_environment(root, "e", envs["e"])
    assert diags == []
    assert _plain(out["dashboards"]) == [{"uid": "d1", "title": "Uno"}, {"title": "Two Things", "refresh": "1m"}]


def test_an_environment_with_no_overrides_is_the_base():
    root, _ = merged(BASE)
    out, diags, removed = apply_environment(root, "default", YMap(root.pos))
    assert out == root and out is not root and diags == [] and removed == []
    assert out.key_pos == root.key_pos and out.val_pos == root.val_pos and out.pos == root.pos


# --- through the whole pipeline ------------------------------------------------------------------


def test_whole_spec_merge_diagnostics_point_into_the_right_file():
    project = load_texts({
        "b.yaml": "apiVersion: obsgen/v1\n\nglobal:\n  scrape_interval: 30s\n",
        "a.yaml": dedent("""\
            apiVersion: obsgen/v1
            global:
              scrape_interval: 15s
            teams:
              - name: web
            services:
              - name: web-api
                team: web
            environments:
              dev:
                services:
                  web-api: {name: web-api-dev}
            """),
    })
    found = [(d.code, d.message, str(d.pos)) for d in project.diagnostics if d.code in ("OBS022", "OBS033")]
    assert found == [
        ("OBS033", ("environment 'dev' cannot change the name of service 'web-api': overrides find their object "
                   "by it"), "a.yaml:12:17"),
        ("OBS022", "section `global` is already defined in a.yaml (line 2)", "b.yaml:3:1"),
    ]
    assert project.models == []
