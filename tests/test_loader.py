"""The YAML loader (load/yaml.py) called directly: what it refuses, with which code, message and
position, and what it builds. (Whole specs through the loader: tests/test_load.py and
tests/test_bad_input.py.)"""
from __future__ import annotations

import math
import subprocess
import sys
import warnings

import pytest
from ruamel.yaml.error import FileMark, MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import CollectionNode
from ruamel.yaml.reader import ReaderError

from obsgen.core.diagnostics import Pos, Severity
from obsgen.load import yaml as loader
from obsgen.load.yaml import YMap, YSeq, load_documents, load_file, load_text, read_yaml

F = "spec.yaml"
HINT_TAG = "a spec holds plain data: mappings, lists, strings, numbers, booleans"
HINT_ALIAS = "aliases (*name) that repeat large anchors multiply; write the data out"
HINT_CHAR = "remove it; a spec is plain text"
EMPTY = "the file is empty; a spec file needs at least `apiVersion: obsgen/v1`"


def _d(diag) -> tuple:
    assert diag.severity is Severity.ERROR
    return diag.code, diag.message, diag.pos, diag.hint


def refused(text: str, load=load_text, file: str = F) -> tuple:
    """The one diagnostic a refused text gets, as (code, message, Pos, hint)."""
    data, diags = load(text, file)
    assert data is None
    assert len(diags) == 1, diags
    return _d(diags[0])


def loaded(text: str, load=load_text):
    data, diags = load(text, F)
    assert data is not None and diags == [], diags
    return data


def at(line: int, col: int, file: str = F) -> Pos:
    return Pos(file, line, col)


@pytest.fixture(params=["libyaml", "pure"])
def parser(request, monkeypatch):
    """Both ways the loader reads YAML: libyaml, and the pure-Python parser it falls back to."""
    if request.param == "pure":
        monkeypatch.setattr(loader, "_CParser", None)
    return request.param


@pytest.fixture
def deep_stack():
    """Building 200 levels takes a few frames a level: room for them under a tracer or wrapper."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 10_000))
    yield
    sys.setrecursionlimit(old)


# ----------------------------------------------------------------------------- refusals, exactly

@pytest.mark.parametrize("text, code, message, line, col, hint", [
    # YAML syntax: the pure parser's message, at the problem's mark (not the context's)
    ("a: b: c\n", "OBS001", "YAML syntax error: mapping values are not allowed here", 1, 5, None),
    ("a: [1\n", "OBS001", "YAML syntax error: expected ',' or ']', but got '<stream end>'", 2, 1, None),
    ("a: *nope\n", "OBS001", "YAML syntax error: found undefined alias 'nope'", 1, 4, None),
    ("a: 1\n\tb: 2\n", "OBS001", "YAML syntax error: found character '\\t' that cannot start any token", 2, 1, None),
    ("&a [&a ", "OBS001", "YAML syntax error: expected ',' or ']', but got '<stream end>'", 1, 8, None),
    # characters YAML does not allow: counted in characters, from the last line break before them
    ("a: \x07\n", "OBS001", "character U+0007 is not allowed in YAML", 1, 4, HINT_CHAR),
    ("\na: \x07\n", "OBS001", "character U+0007 is not allowed in YAML", 2, 4, HINT_CHAR),
    ("a: 1\nb: 2\nc: 'x\x7f'\n", "OBS001", "character U+007F is not allowed in YAML", 3, 6, HINT_CHAR),
    # tags that build objects, or that nobody defined
    ("a: !!binary aGVsbG8=\n", "OBS003", "tag !!binary is not allowed", 1, 4, HINT_TAG),
    ("a:\n  - !env NAME\n", "OBS003", "tag !env is not allowed", 2, 5, HINT_TAG),
    ("x: !!python/object/apply:os.system ['true']\n", "OBS003", "tag !!python/object/apply:os.system is not allowed",
     1, 4, HINT_TAG),
    ("x: !!set {a, b}\n", "OBS003", "tag !!set is not allowed", 1, 4, HINT_TAG),
    ("x: !<tag:example.com,2024:thing> 1\n", "OBS003", "tag tag:example.com,2024:thing is not allowed", 1, 4, HINT_TAG),
    # a scalar typed (implicitly or by its tag) as a number it is not
    ("a: !!int abc\n", "OBS011", "'abc' is not a valid int", 1, 4, None),
    ("a: 0o_\n", "OBS011", "'0o_' is not a valid int", 1, 4, None),
    ("a:\n  b: ._\n", "OBS011", "'._' is not a valid float", 2, 6, None),
    ("a: !!float x\n", "OBS011", "'x' is not a valid float", 1, 4, None),
    ("!!int abc: 1\n", "OBS011", "'abc' is not a valid int", 1, 1, None),
    # keys and merge keys
    ("? [a]\n: 1\n", "OBS011", "mapping keys must be plain strings", 1, 3, None),
    ("x: {{a: 1}: 1}\n", "OBS011", "mapping keys must be plain strings", 1, 5, None),
    ("<<: 1\n", "OBS011", "a merge key (<<) takes a mapping", 1, 5, None),
    ("a: &a {x: 1}\nb: {<<: [*a, 2]}\n", "OBS011", "a merge key (<<) takes a mapping", 2, 14, None),
    # what a spec file must be
    ("", "OBS006", EMPTY, 1, 1, None),
    ("# only a comment\n", "OBS006", EMPTY, 1, 1, None),
    ("---\n", "OBS006", EMPTY, 1, 1, None),
    ("---\n---\n", "OBS006", EMPTY, 1, 1, None),
    ("''\n", "OBS006", "the top level must be a mapping, not the string ''", 1, 1, None),
    ("~\n", "OBS006", "the top level must be a mapping, not null (empty)", 1, 1, None),
    ("# x\nhello\n", "OBS006", "the top level must be a mapping, not the string 'hello'", 2, 1, None),
    ("\n\n  42\n", "OBS006", "the top level must be a mapping, not the number 42", 3, 3, None),
    ("- 1\n", "OBS006", "the top level must be a mapping, not a list", 1, 1, None),
    ("a: 1\n---\nb: 2\n", "OBS006", "one YAML document per spec file (found a second `---`)", 3, 1,
     "split it into two files"),
    ("a: 1\n---\n---\n  - b\n---\nc: 3\n", "OBS006", "one YAML document per spec file (found a second `---`)", 4, 3,
     "split it into two files"),
])
def test_each_refusal_has_its_code_message_position_and_hint(parser, text, code, message, line, col, hint):
    assert refused(text) == (code, message, at(line, col), hint)


AFTER_MULTIBYTE = "a: " + "é" * 10 + "\n\x07\nc: 1\nd: 2\n"


def test_the_pure_parser_places_a_disallowed_character_after_multibyte_text(monkeypatch):
    monkeypatch.setattr(loader, "_CParser", None)
    assert refused(AFTER_MULTIBYTE)[2] == at(2, 1)


def test_libyaml_places_a_disallowed_character_after_multibyte_text():
    # libyaml counts UTF-8 bytes (24 here); the place is in characters: 2:1, not 4:4.
    assert refused(AFTER_MULTIBYTE)[2] == at(2, 1)
    assert refused("a: é\n  b: \x80\n")[2] == at(2, 6)
    assert refused("a: 日本\nb: x\ufffe\n")[2] == at(2, 5)
    assert refused("a: é\x07\nb: \x07\n")[2] == at(1, 5)  # the first of two


def test_refusals_name_the_file_they_were_given():
    assert refused("a: !!int x\n", file="teams/ops.yaml")[2] == Pos("teams/ops.yaml", 1, 4)
    assert refused("a: b: c\n", file="b.yaml")[2] == Pos("b.yaml", 1, 5)
    assert refused("", file="e.yaml")[2] == Pos("e.yaml", 1, 1)
    assert refused("a: 1\n---\nb: 2\n", file="t.yaml")[2] == Pos("t.yaml", 3, 1)
    assert refused("- 1\n", file="l.yaml")[2] == Pos("l.yaml", 1, 1)
    assert refused("{[a]: 1}\n", file="k.yaml")[2] == Pos("k.yaml", 1, 2)
    assert refused("a: \x07\n", file="c.yaml")[2] == Pos("c.yaml", 1, 4)
    assert refused("x: !!set {a}\n", load=load_documents, file="d.yaml")[2] == Pos("d.yaml", 1, 4)


def test_a_recursive_alias_is_refused_as_too_deep(parser, deep_stack):
    assert refused("a: &a [*a]\n") == ("OBS004", "nesting deeper than 200 levels", at(1, 4), None)


def test_a_node_that_is_no_mapping_list_or_scalar_is_refused():
    mark = loader._compose("a: 1\n")[0].start_mark
    with pytest.raises(loader._Abort) as caught:
        loader._Builder(F).build(CollectionNode(f"{loader._CORE}map", [], mark, mark))
    assert _d(caught.value.diag) == ("OBS001", "unsupported YAML node", at(1, 1), None)


# ----------------------------------------------------------------------------- errors the parser raises

def _mark(line: int, col: int) -> FileMark:
    return FileMark("<unicode string>", 0, line - 1, col - 1)


@pytest.mark.parametrize("exc, code, message, line, col, hint", [
    (MarkedYAMLError(context="while parsing", context_mark=_mark(2, 3), problem="bad", problem_mark=_mark(4, 5)),
     "OBS001", "YAML syntax error: bad", 4, 5, None),
    (MarkedYAMLError(context="while parsing a thing", context_mark=_mark(2, 3)),
     "OBS001", "YAML syntax error: while parsing a thing", 2, 3, None),
    (MarkedYAMLError(problem="no mark"), "OBS001", "YAML syntax error: no mark", 1, 1, None),
    (MarkedYAMLError(), "OBS001", "YAML syntax error: invalid YAML", 1, 1, None),
    (YAMLError("the first line\nthe second"), "OBS001", "YAML error: the first line", 1, 1, None),
    (YAMLError(), "OBS001", "YAML error: unreadable", 1, 1, None),
    (RecursionError(), "OBS004", "nesting too deep to read", 1, 1, None),
    # a reader that gives the character itself rather than its code point
    (ReaderError("<unicode string>", 7, "\x1b", "unicode", "special characters are not allowed"),
     "OBS001", "character U+001B is not allowed in YAML", 2, 3, HINT_CHAR),
])
def test_what_the_parser_raises_becomes_one_diagnostic(monkeypatch, exc, code, message, line, col, hint):
    def compose(text):
        raise exc

    monkeypatch.setattr(loader, "_compose", compose)
    expected = (code, message, Pos("x.yaml", line, col), hint)
    assert refused("a: 1\nbc\x1b\n", file="x.yaml") == expected
    assert refused("a: 1\nbc\x1b\n", load=load_documents, file="x.yaml") == expected


@pytest.mark.parametrize("load", [load_text, load_documents])
def test_running_out_of_stack_while_building_is_refused(monkeypatch, load):
    def build(self, node, depth=0):
        raise RecursionError

    monkeypatch.setattr(loader._Builder, "build", build)
    assert refused("a: 1\n", load=load, file="r.yaml") == ("OBS004", "nesting too deep to read", Pos("r.yaml", 1, 1),
                                                           None)


# ----------------------------------------------------------------------------- nesting depth, to the level

def _block_lists(n: int) -> str:
    return "- " * n + "1\n"  # n lists nested without indentation or brackets, the scalar n deep


def _block_maps(n: int) -> str:
    return "".join(" " * i + "k:\n" for i in range(n - 1)) + " " * (n - 1) + "k: 1\n"  # n mappings, the scalar n deep


def _merge_at(d: int) -> str:
    return "".join(" " * i + "k:\n" for i in range(d)) + " " * d + "<<: {x: 1}\n"  # merged value d + 2 deep


def test_nesting_is_refused_one_level_past_the_limit(parser, deep_stack):
    assert loader.MAX_DEPTH == 200
    inner = loaded(_block_lists(200), load=load_documents)[0]
    for _ in range(199):
        inner = inner[0]
    assert inner == [1]
    # libyaml's event parser measures it first and names the first list past the limit (1:401);
    # the pure parser's composer names the scalar it reached (1:403)
    assert refused(_block_lists(201), load=load_documents) == ("OBS004", "nesting deeper than 200 levels",
                                                               at(1, 401 if parser == "libyaml" else 403), None)
    inner = loaded(_block_maps(200))
    for _ in range(199):
        inner = inner["k"]
    assert inner == {"k": 1}
    assert refused(_block_maps(201)) == ("OBS004", "nesting deeper than 200 levels", at(201, 204), None)
    inner = loaded(_merge_at(198))
    for _ in range(198):
        inner = inner["k"]
    assert inner == {"x": 1}
    assert refused(_merge_at(199)) == ("OBS004", "nesting deeper than 200 levels", at(200, 208), None)


def test_deep_flow_nesting_is_measured_before_it_is_composed(deep_stack):
    inner = loaded("a: " + "[" * 199 + "1" + "]" * 199 + "\n")["a"]
    for _ in range(198):
        inner = inner[0]
    assert inner == [1]
    # libyaml's event parser stops at the first collection past the limit
    assert refused("a: " + "[" * 200 + "1" + "]" * 200 + "\n") == ("OBS004", "nesting deeper than 200 levels",
                                                                    at(1, 203), None)
    assert refused("a: " + "[" * 300 + "]" * 300 + "\n") == ("OBS004", "nesting deeper than 200 levels",
                                                              at(1, 203), None)


def test_deep_flow_text_libyaml_refuses_is_read_by_the_pure_parser(deep_stack):
    # libyaml (YAML 1.1) refuses `http://h:1` in flow style before it has measured the depth:
    # the pure parser composes it, and the builder counts the levels.
    text = "a: [http://h:1, " + "[" * 150 + "1" + "]" * 151 + "\n"
    inner = loaded(text)["a"]
    assert inner[0] == "http://h:1"
    inner = inner[1]
    for _ in range(149):
        inner = inner[0]
    assert inner == [1]
    deep = "a: [http://h:1, " + "[" * 199 + "1" + "]" * 200 + "\n"
    assert refused(deep) == ("OBS004", "nesting deeper than 200 levels", at(1, 216), None)


@pytest.mark.parametrize("text, deep", [
    ("", False),
    ("a: 1\n", False),
    ("[" * 100, False),
    ("[" * 101, True),
    ("{" * 101, True),
    ("a: {b: " * 101, True),
    ("x" + "[" * 101, True),
    ("[" * 51, False),
    ("[" * 80, False),
    ("[]" * 150, False),
    ("]" * 50 + "[" * 101, False),
    ("[" * 100 + "]" + "[" * 2, True),
    ("'[" + "[" * 100 + "'", True),  # quoting is not understood: an over-estimate
    (" " * 200 + "a: 1\n", False),
    ("a:\n" + " " * 201 + "b: 1\n", True),
])
def test_the_cheap_depth_estimate(text, deep):
    assert loader._looks_deep(text) is deep


def test_deep_compact_block_lists_are_refused_without_crashing():
    # Compact nested lists have neither brackets nor indentation: _looks_deep counts runs of them
    # (before, libyaml's recursive composer took them and the process died at 50,000 levels).
    code = "from obsgen.load.yaml import load_documents; print(load_documents('- ' * 50000 + '1', 'f')[1][0].code)"
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout.strip()) == (0, "OBS004")


# ----------------------------------------------------------------------------- aliases: the budget, exactly

ALIASED = "a: &x [1, 2]\nb: *x\n"  # the alias builds 3 values: the list and its two items


def test_values_built_through_aliases_are_counted_exactly(monkeypatch):
    monkeypatch.setattr(loader, "MAX_EXPANDED_VALUES", 3)
    assert loaded(ALIASED) == {"a": [1, 2], "b": [1, 2]}
    # values written in place, before or after an alias, cost nothing
    assert loaded("c: [3, 4, 5]\n" + ALIASED + "d: [6, {e: 7}, 8]\ne: 9\n")["d"] == [6, {"e": 7}, 8]
    monkeypatch.setattr(loader, "MAX_EXPANDED_VALUES", 2)
    assert refused(ALIASED) == ("OBS004", "the document expands to more than 2 values", at(1, 1), HINT_ALIAS)


def test_the_budget_points_at_the_innermost_value_written_in_place(monkeypatch):
    text = "a: &x [1, 2]\nb: {c: [*x, *x]}\n"  # 6 values through aliases
    monkeypatch.setattr(loader, "MAX_EXPANDED_VALUES", 6)
    assert loaded(text)["b"] == {"c": [[1, 2], [1, 2]]}
    monkeypatch.setattr(loader, "MAX_EXPANDED_VALUES", 5)
    assert refused(text) == ("OBS004", "the document expands to more than 5 values", at(2, 8), HINT_ALIAS)


def test_an_alias_bomb_is_stopped_at_the_line_that_multiplies(monkeypatch):
    # the bad case alias-bomb.yaml, with a budget small enough to test in milliseconds
    lines = ["apiVersion: obsgen/v1", "a: &a [" + ", ".join(['"lol"'] * 9) + "]"]
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    monkeypatch.setattr(loader, "MAX_EXPANDED_VALUES", 1000)
    assert refused("\n".join(lines) + "\n") == ("OBS004", "the document expands to more than 1000 values", at(5, 4),
                                                HINT_ALIAS)


def test_the_documents_of_one_text_share_one_budget(monkeypatch):
    text = ALIASED + "---\nc: &y [1, 2]\nd: *y\n"
    monkeypatch.setattr(loader, "MAX_EXPANDED_VALUES", 6)
    assert loaded(text, load=load_documents) == [{"a": [1, 2], "b": [1, 2]}, {"c": [1, 2], "d": [1, 2]}]
    monkeypatch.setattr(loader, "MAX_EXPANDED_VALUES", 5)
    assert refused(text, load=load_documents) == ("OBS004", "the document expands to more than 5 values", at(4, 1),
                                                  HINT_ALIAS)


# ----------------------------------------------------------------------------- scalars, keys, positions

@pytest.mark.parametrize("scalar, value", [
    ("1__0", 10), ("1_", 1), ("-1_000", -1000), ("+1", 1), ("017", 17), ("0o17", 15), ("0b1_0", 2), ("0x_f", 15),
    ("-0x1f", -31), ("!!int '7'", 7),
    ("1.5", 1.5), ("1__0.5", 10.5), ("1.5_", 1.5), ("1e3", 1000.0), ("-2.5e-1", -0.25), ("!!float 1", 1.0),
    (".inf", math.inf), ("+.inf", math.inf), ("+.INF", math.inf), ("-.inf", -math.inf), ("-.Inf", -math.inf),
    ("true", True), ("False", False), ("TRUE", True), ("!!bool True", True),
    ("~", None), ("null", None), ("", None), ("!!null x", None),
    ("yes", "yes"), ("off", "off"), ("''", ""), ("'1'", "1"), ("!!str 1", "1"), ("5m", "5m"),
    ("2024-01-02", "2024-01-02"), ("2024-01-02T10:00:00Z", "2024-01-02T10:00:00Z"),
    ("!!timestamp 2024-01-02", "2024-01-02"),
])
def test_scalars_are_typed_as_the_loader_reads_yaml(parser, scalar, value):
    got = loaded(f"k: {scalar}\n")["k"]
    assert type(got) is type(value) and got == value


@pytest.mark.parametrize("scalar", [".nan", ".NaN", "!!float .NAN"])
def test_not_a_number_is_a_float(parser, scalar):
    assert math.isnan(loaded(f"k: {scalar}\n")["k"])


def test_keys_are_strings_however_they_are_written(parser):
    text = "~: a\ntrue: b\nFalse: c\n1: d\n0x1f: e\n1.5: f\n.inf: g\n2024-01-01: h\n'9': i\nplain: j\n"
    data = loaded(text)
    # a null key reads as the string 'None', booleans in lower case, numbers as Python writes them
    assert list(data.items()) == [("None", "a"), ("true", "b"), ("false", "c"), ("1", "d"), ("31", "e"), ("1.5", "f"),
                                  ("inf", "g"), ("2024-01-01", "h"), ("9", "i"), ("plain", "j")]
    assert data.key_pos["31"] == at(5, 1) and data.val_pos["31"] == at(5, 7)


POSITIONED = """\
top:
  - a
  - {k: v, n: 1}
map:
  x: 1
  y: [2, 3]
"""


def test_every_value_and_key_knows_where_it_was_written(parser):
    data = loaded(POSITIONED)
    assert type(data) is YMap and data.pos == at(1, 1)
    assert data.key_pos == {"top": at(1, 1), "map": at(4, 1)}
    assert data.val_pos == {"top": at(2, 3), "map": at(5, 3)}
    top = data["top"]
    assert type(top) is YSeq and top.pos == at(2, 3) and top.item_pos == [at(2, 5), at(3, 5)]
    flow = top[1]
    assert flow == {"k": "v", "n": 1} and flow.pos == at(3, 5)
    assert flow.key_pos == {"k": at(3, 6), "n": at(3, 12)} and flow.val_pos == {"k": at(3, 9), "n": at(3, 15)}
    inner = data["map"]
    assert inner.pos == at(5, 3) and inner.key_pos == {"x": at(5, 3), "y": at(6, 3)}
    assert inner.val_pos == {"x": at(5, 6), "y": at(6, 6)}
    assert inner["y"] == [2, 3] and inner["y"].pos == at(6, 6) and inner["y"].item_pos == [at(6, 7), at(6, 10)]


def test_merged_keys_keep_the_key_and_value_positions_of_their_anchor(parser):
    data = loaded("a: &a\n  x: 1\n  y: 1\nb:\n  <<: *a\n  x: 2\n")
    b = data["b"]
    assert dict(b) == {"x": 2, "y": 1}
    assert b.key_pos == {"x": at(6, 3), "y": at(3, 3)} and b.val_pos == {"x": at(6, 6), "y": at(3, 6)}


def test_every_duplicate_key_is_reported_and_the_first_value_kept(parser):
    data, diags = load_text("a: 1\nb:\n  c: 2\n  c: 3\na: 4\nd: 5\n", F)
    assert data == {"a": 1, "b": {"c": 2}, "d": 5} and data.key_pos["d"] == at(6, 1)
    assert [_d(d) for d in diags] == [
        ("OBS002", "duplicate key 'c' (first defined at line 3)", at(4, 3), None),
        ("OBS002", "duplicate key 'a' (first defined at line 1)", at(5, 1), None),
    ]


def test_duplicate_keys_are_reported_with_the_refusal_that_follows_them():
    data, diags = load_text("a: 1\na: 2\nb: !!binary x\n", F)
    assert data is None and [d.code for d in diags] == ["OBS002", "OBS003"]
    data, diags = load_documents("a: 1\na: 2\n---\nb: !!int x\n", F)
    assert data is None
    assert [_d(d) for d in diags] == [("OBS002", "duplicate key 'a' (first defined at line 1)", at(2, 1), None),
                                      ("OBS011", "'x' is not a valid int", at(4, 4), None)]


# ----------------------------------------------------------------------------- libyaml, the pure parser, warnings

MIXED = """\
base: &base {port: 80, tls: false, tags: [a, b]}
svc:
  <<: *base
  port: 8080
  url: http://h:1/x
  when: 2024-01-02
  ratio: 1.5e3
  list:
    - *base
    - [1, "two", 'three', ~]
"""


def test_libyaml_and_the_pure_parser_build_the_same_values_at_the_same_places(monkeypatch):
    fast = loaded(MIXED)
    monkeypatch.setattr(loader, "_CParser", None)
    pure = loaded(MIXED)
    assert fast == pure
    assert fast["svc"]["list"][0] == {"port": 80, "tls": False, "tags": ["a", "b"]}

    def places(v):
        if isinstance(v, YMap):
            return (v.pos, v.key_pos, v.val_pos, {k: places(x) for k, x in v.items()})
        if isinstance(v, YSeq):
            return (v.pos, v.item_pos, [places(x) for x in v])
        return None

    assert places(fast) == places(pure)


@pytest.mark.parametrize("text, expect", [
    ("a: &x 1\nb: &x 2\nc: *x\n", {"a": 1, "b": 2, "c": 2}),
    # libyaml refuses this flow text: the pure parser reads it
    ("a: &x [http://h:1]\nb: &x [2]\nc: *x\n", {"a": ["http://h:1"], "b": [2], "c": [2]}),
])
def test_a_redefined_anchor_takes_the_latest_definition_without_a_warning(parser, text, expect):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert loaded(text) == expect
        assert loaded(text, load=load_documents) == [expect]


def test_nodes_carry_the_standard_tags(parser):
    (doc,) = loader._compose("a: [1, {b: c}]\n")
    seq = doc.value[0][1]
    assert (doc.tag, seq.tag, seq.value[0].tag, seq.value[1].tag) == tuple(
        f"{loader._CORE}{t}" for t in ("map", "seq", "int", "map"))


def test_the_resolver_builds_its_table_on_first_use(monkeypatch):
    monkeypatch.setattr(loader._Resolver, "_table", None)
    assert loaded("a: 1\nb: true\nc: x\nd: ~\ne: 1.5\n") == {"a": 1, "b": True, "c": "x", "d": None, "e": 1.5}
    assert loader._Resolver._table is not None


# ----------------------------------------------------------------------------- load_documents, read_yaml

def test_load_documents_keeps_every_non_empty_document_of_any_kind():
    docs = loaded("---\n---\na: 1\n---\n- x\n---\n5\n", load=load_documents)
    assert docs == [{"a": 1}, ["x"], 5]
    assert docs[0].pos == at(3, 1) and docs[1].item_pos == [at(5, 3)]
    assert load_documents("# nothing\n", F) == ([], [])


def test_load_documents_refuses_a_text_over_the_size_limit_before_reading_it(monkeypatch):
    assert loader.MAX_FILE_BYTES == 16 * 2**20
    big = "#" * (loader.MAX_FILE_BYTES + 1)
    assert refused(big, load=load_documents, file="big.yaml") == ("OBS005", "more than 16 MiB of YAML",
                                                                  Pos("big.yaml", 1, 1), None)
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 2 * 2**20)
    assert load_documents("#" * (2 * 2**20), F) == ([], [])
    assert refused("#" * (2 * 2**20 + 1), load=load_documents) == ("OBS005", "more than 2 MiB of YAML", at(1, 1), None)


def test_read_yaml_gives_plain_data():
    assert read_yaml("") is None
    assert read_yaml("# nothing\n", documents=True) == []
    one = read_yaml("a: [1, {b: 2}]\n")
    assert one == {"a": [1, {"b": 2}]}
    assert type(one) is dict and type(one["a"]) is list and type(one["a"][1]) is dict
    assert read_yaml("- 1\n") == [1]
    assert read_yaml("5\n") == 5
    docs = read_yaml("a: 1\n---\n- x\n", documents=True)
    assert docs == [{"a": 1}, ["x"]] and type(docs[0]) is dict and type(docs[1]) is list


@pytest.mark.parametrize("text, file, message", [
    ("a: [\n", None, "<yaml>:2:1: YAML syntax error: expected the node content, but found '<stream end>'"),
    ("a: !!binary x\n", "conf.yaml", "conf.yaml:1:4: tag !!binary is not allowed"),
    ("a: 1\na: 2\n", None, "<yaml>:2:1: duplicate key 'a' (first defined at line 1)"),
    ("a: 1\na: 2\nb: 1\nb: 2\n", "d.yaml", "d.yaml:2:1: duplicate key 'a' (first defined at line 1)"),
    ("a: 1\n---\nb: 2\n", None, "<yaml>: more than one YAML document"),
    ("a: 1\n---\nb: 2\n", "two.yaml", "two.yaml: more than one YAML document"),
])
def test_read_yaml_raises_the_first_problem(text, file, message):
    with pytest.raises(ValueError) as caught:
        read_yaml(text) if file is None else read_yaml(text, file)
    assert str(caught.value) == message


def test_a_lone_surrogate_is_a_diagnostic_not_a_crash():
    data, diags = load_text("a: 1\nb: x\ud800\n", F)
    assert data is None and [(d.code, d.message, d.pos) for d in diags] == [
        ("OBS001", "character U+D800 is not allowed in YAML", Pos(F, 2, 5))]


# ----------------------------------------------------------------------------- load_file

def test_load_file_reads_utf8_with_or_without_a_bom_and_reports_the_display_name(tmp_path):
    plain, bom = tmp_path / "plain.yaml", tmp_path / "bom.yaml"
    plain.write_bytes("a: [1]\nb: café\n".encode())
    bom.write_bytes("\ufeffa: [1]\nb: café\n".encode())
    for path in (plain, bom):
        data, diags = load_file(path, "teams/ops.yaml")
        assert diags == [] and data == {"a": [1], "b": "café"}
        assert data.pos == Pos("teams/ops.yaml", 1, 1) and data.key_pos["a"] == Pos("teams/ops.yaml", 1, 1)
        assert data["a"].item_pos == [Pos("teams/ops.yaml", 1, 5)]
    assert load_file(tmp_path / "bom.yaml", "x.yaml")[1] == []
    (tmp_path / "bad.yaml").write_text("a: !!int x\n")
    assert refused(tmp_path / "bad.yaml", load=load_file, file="shown.yaml") == (
        "OBS011", "'x' is not a valid int", Pos("shown.yaml", 1, 4), None)


def test_load_file_says_why_it_cannot_read_a_file(tmp_path):
    assert refused(tmp_path / "missing.yaml", load=load_file, file="missing.yaml") == (
        "OBS005", "cannot read file: No such file or directory", Pos("missing.yaml"), None)
    assert refused(tmp_path, load=load_file, file="a-folder") == (
        "OBS005", "cannot read file: Is a directory", Pos("a-folder"), None)


def test_load_file_refuses_a_file_over_the_size_limit_without_reading_it(tmp_path):
    huge, edge = tmp_path / "huge.yaml", tmp_path / "edge.yaml"
    with huge.open("wb") as f:  # sparse: costs no disk
        f.truncate(loader.MAX_FILE_BYTES + 1)
    with edge.open("wb") as f:
        f.truncate(loader.MAX_FILE_BYTES)
    assert refused(huge, load=load_file, file="huge.yaml") == (
        "OBS005", "file is 16.0 MiB; a spec file may be at most 16 MiB", Pos("huge.yaml", 1, 1),
        "split it: spec files in a folder are merged (one per team, say)")
    # exactly at the limit the file is read (and these zeros are then refused as binary)
    assert refused(edge, load=load_file, file="edge.yaml") == (
        "OBS005", "file is binary (contains NUL bytes), not YAML text", Pos("edge.yaml", 1, 1), None)


@pytest.mark.parametrize("raw, line, col", [
    (b"\xe9: 1\n", 1, 1),
    (b"a: caf\xe9\n", 1, 7),
    (b"\na: \xe9\n", 2, 4),
    (b"x: 1\ny: 2\nz: " + "é".encode() + b"\xe9\nw: 3\n", 3, 5),  # columns count characters, not bytes
    (b"a: 1\n\nb: \xc3\n", 3, 4),  # a multi-byte character cut short
])
def test_load_file_refuses_text_that_is_not_utf8_at_the_first_bad_character(tmp_path, raw, line, col):
    path = tmp_path / "latin.yaml"
    path.write_bytes(raw)
    assert refused(path, load=load_file, file="latin.yaml") == ("OBS005", "file is not UTF-8 text",
                                                               Pos("latin.yaml", line, col), None)


def test_load_file_refuses_binary(tmp_path):
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"a: 1\nb: \x00\x01\n")
    assert refused(path, load=load_file, file="bin.yaml") == (
        "OBS005", "file is binary (contains NUL bytes), not YAML text", Pos("bin.yaml", 1, 1), None)


@pytest.mark.parametrize("text, line, col", [("\n\nb: x\ud800\n", 3, 5), ("\nb: \ud800", 2, 4), ("\ud800", 1, 1)])
def test_a_lone_surrogate_is_placed_by_lines_and_columns_of_the_text(text, line, col):
    data, diags = load_text(text, F)
    assert data is None and [(d.code, d.message, d.pos, d.hint) for d in diags] == [
        ("OBS001", "character U+D800 is not allowed in YAML", Pos(F, line, col), "remove it; a spec is plain text")]
