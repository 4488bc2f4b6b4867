"""obsgen.core.regex in process: what Go's regexp (RE2 as Go 1.19 reads it) refuses, where a character
class ends, and the sample value built from a regex's syntax tree. Exact values throughout, so a
changed branch shows."""
from __future__ import annotations

import re._constants as sre  # Python 3.11+, as obsgen.core.regex
import re._parser as sre_parse
import signal
import threading

import pytest

from obsgen.core.regex import (
    _class_end,
    _go_only,
    _member,
    _sample,
    re2_problem,
    sample_of,
)

C_REFUSED = "\\C (any byte) is not supported by Go's regular expressions"
NAMED_REFUSED = "named groups are written (?P<name>...) in Go's regular expressions"


@pytest.fixture(autouse=True)
def _no_hang():
    """A scan that stops advancing loops for ever: fail the test after a minute instead (generous: a loaded machine must not fail it)."""
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover
        yield
        return

    def hung(signum, frame):
        raise TimeoutError("the scan did not end")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.setitimer(signal.ITIMER_REAL, 60)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ----------------------------------------------------------------------------- re2_problem / _go_only

@pytest.mark.parametrize("pattern, problem", [
    # \C (any byte): RE2 takes it, Go does not, wherever it stands outside a class
    (r"\C", C_REFUSED),
    (r"a\Cb", C_REFUSED),
    (r"a\C", C_REFUSED),
    (r"\Q\E\C", C_REFUSED),
    (r"\.\C", C_REFUSED),
    # \Q...\E is a literal: what is inside is text, not syntax
    (r"\Q\C\E", None),
    (r"\Q(?<x>\E", None),
    (r"\Q\C", None),  # an unterminated \Q runs to the end
    (r"\Qa\E(?<n>b)", NAMED_REFUSED),
    (r"\Q\C\E\C", C_REFUSED),
    # named groups: Go spells them (?P<name>
    (r"(?<n>a)", NAMED_REFUSED),
    (r"a(?<n>b)", NAMED_REFUSED),
    (r"(?P<n>a)", None),
    (r"\((?<n>a)", NAMED_REFUSED),
    (r"\(?<n>", None),  # an escaped ( opens no group
    # what RE2 itself refuses comes back in RE2's words
    (r"[\C]", "invalid escape sequence: \\C"),
    (r"(?<=a)b", "invalid perl operator: (?<="),
    (r"\c", "invalid escape sequence: \\c"),
    (r"a{2,1}", "invalid repetition size: {2,1}"),
    (r"[\Q(?<\E]", "invalid escape sequence: \\Q"),
    # character classes are skipped whole: what looks like syntax inside is a member
    (r"[(?<]", None),
    (r"[(?<]x", None),
    (r"[](?<]", None),
    (r"[^](?<]", None),
    (r"[a\](?<]", None),
    (r"[[:alpha:](?<]", None),
    (r"[[:alpha:][:digit:](?<]", None),
    (r"a[[:]", None),
    (r"[]]a]", None),
    (r"[^a]b]", None),
    (r"[\.]]", None),
    (r"[a][:]", None),
    # ... and a class ends where it ends: what follows it is read again
    (r"[(?<](?<n>a)", NAMED_REFUSED),
    (r"[]a](?<n>b)", NAMED_REFUSED),
    (r"[^]a](?<n>b)", NAMED_REFUSED),
    (r"[[:alpha:]](?<n>a)", NAMED_REFUSED),
    (r"[[:alpha:]](?<n>a)[:]", NAMED_REFUSED),
    (r"[[:alpha:][:digit:]](?<n>a)", NAMED_REFUSED),
    (r"[a\]b](?<n>c)", NAMED_REFUSED),
    (r"[a](?<n>b)]", NAMED_REFUSED),
    (r"[^a](?<n>b)]", NAMED_REFUSED),
    (r"[]]a(?<n>b)]", NAMED_REFUSED),
    (r"[\.](?<n>a)]", NAMED_REFUSED),
    (r"[ab]\C", C_REFUSED),
    (r"[abc](?<n>d)", NAMED_REFUSED),
    (r"x[^]b](?<n>c)", NAMED_REFUSED),
])
def test_re2_problem(pattern, problem):
    assert re2_problem(pattern) == problem


@pytest.mark.parametrize("pattern, problem", [
    (r"\C", C_REFUSED),
    (r"ab\Ccd", C_REFUSED),
    (r"\Q\C\E", None),
    (r"\Q(?<x>\E", None),
    (r"(?<n>a)", NAMED_REFUSED),
    (r"(?P<n>a)", None),
    (r"[\C]", None),  # inside a class (RE2 refuses it there itself)
    (r"[\C](?<n>a)", NAMED_REFUSED),
    (r"", None),
    ("\\", None),  # a trailing backslash ends the scan
])
def test_go_only(pattern, problem):
    assert _go_only(pattern) == problem


@pytest.mark.parametrize("pattern, start, end", [
    ("[ab]", 0, 4),
    ("[abc]", 0, 5),
    ("[a]b", 0, 3),
    ("x[ab]y", 1, 5),
    ("a[b]c[d]", 4, 8),
    ("[a][^b]", 3, 7),
    ("[a][]b]", 3, 7),
    # a ] first is a member, after ^ too
    ("[]a]", 0, 4),
    ("x[]a]", 1, 5),
    ("[]]a]", 0, 3),
    ("[^a]", 0, 4),
    ("[^]a]", 0, 5),
    ("a[^]b]", 1, 6),
    ("^[a]b]", 1, 4),
    ("[a]b]", 0, 3),
    ("[^a]b]", 0, 4),
    # an escape takes the character after it
    ("[a\\]b]", 0, 6),
    ("[\\]]", 0, 4),
    ("[\\.]]", 0, 4),
    # [:name:] inside a class
    ("[[:alpha:]]", 0, 11),
    ("[[:alpha:]][:]", 0, 11),
    ("[[:alpha:][:digit:]]", 0, 20),
    ("[[::]]", 0, 6),
    ("x[[:]", 1, 5),
    ("[a][:]", 0, 3),
    # an unterminated class (RE2 refuses these first) ends past the end
    ("[ab", 0, 4),
])
def test_class_end(pattern, start, end):
    assert _class_end(pattern, start) == end


# ----------------------------------------------------------------------------- sample_of / _sample / _member

@pytest.mark.parametrize("pattern, sample", [
    # literals, any
    ("abc", "abc"), ("", ""), ("a.b", "axb"), ("(?s).", "x"), ("(?i)A", "A"),
    # a negated literal: x, or y when x is the one refused
    ("[^x]", "y"), ("[^y]", "x"), ("[^x]b", "yb"), ("[^\n]", "x"),
    # classes: the first member, the start of the first range, a category's sample
    ("[ba]", "b"), ("[b-d]", "b"), ("[d-fa]", "d"), ("[ab]c", "ac"),
    (r"[\d]", "1"), (r"[\D]", "a"), (r"[\w]", "a"), (r"[\W]", "-"), (r"[\s]", " "), (r"[\S]", "x"),
    (r"[\da]", "1"),
    # negated classes: x, a, 0, -, _, Z, the first not excluded
    ("[^xb]", "a"), ("[^xa]", "0"), ("[^ax]", "0"), ("[^xa0]", "-"), (r"[^xa0\-]", "_"),
    (r"[^xa0\-_]", "Z"), ("[^a-z]", "0"), ("[^a-x]", "0"), ("[^x-z]", "a"), ("[^w-y]", "a"),
    ("[^b-x]", "a"), ("[^a-z0-9]", "-"), ("[^0-9a-z]", "-"), ("[^a-wx]", "0"), (r"[^\d]", "x"),
    # categories
    (r"\d", "1"), (r"\D", "a"), (r"\w", "a"), (r"\W", "-"), (r"\s", " "), (r"\S", "x"),
    (r"a\db", "a1b"),
    # groups, nested, named, non-capturing
    ("((ab)c)", "abc"), ("(?:a(b(c)))", "abc"), ("(?P<n>a)b", "ab"),
    # alternations: the first branch
    ("ab|cd", "ab"), ("x(ab|cd)y", "xaby"), ("(a|b)", "a"), ("(?:[^x]|b)c", "yc"),
    ("(ab|c)(de|f)", "abde"),
    # repeats: the fewest
    ("a{3}", "aaa"), ("a{2,5}", "aa"), ("a*", ""), ("a*b", "b"), ("a{2,}?", "aa"), ("(ab){2}", "abab"),
    ("a+?", "a"), ("(?:ab)*?c", "c"), ("[b-d]{2}", "bb"), ("(?:a|b){3}", "aaa"), ("(ab|c)+", "ab"),
    # anchors are zero-width
    (r"^a\b", "a"), ("^a$", "a"), (r"\Aab", "ab"),
])
def test_sample_of(pattern, sample):
    assert sample_of(pattern) == sample


@pytest.mark.parametrize("pattern", [
    r"[^xa0\-_Z]",  # every candidate refused
    "(",  # RE2 refuses it
    r"\C",  # Python cannot parse it
    "a(?=b)",  # RE2 refuses lookarounds
    r"a\1",  # backreferences
    r"\pL",  # Python does not know \p
    r"\Aa\z",  # \z: Python reads it differently
    "a++",  # RE2 refuses possessive repeats
])
def test_sample_of_none(pattern):
    assert sample_of(pattern) is None


def _tree(pattern):
    return sre_parse.parse(pattern)


@pytest.mark.parametrize("pattern, sample", [
    ("a++", "a"),  # a possessive repeat (Python's syntax): the fewest
    ("(?:ab){2}+", "abab"),
    ("a*+b", "b"),
    ("a*?", ""),
    ("a(?=b)", None),  # a lookahead: no sample
    ("(a(?=b))", None),
    ("(?:x|a(?=b))", "x"),
    ("(?:a(?=b)|x)", None),
    ("(?:a(?=b))*", None),
])
def test_sample_of_a_parsed_tree(pattern, sample):
    assert _sample(_tree(pattern)) == sample


def test_sample_of_a_bare_category_node():
    # Python's parser wraps \d in a class; a bare CATEGORY node still has its sample
    assert _sample([(sre.CATEGORY, sre.CATEGORY_DIGIT)]) == "1"
    assert _sample([(sre.CATEGORY, sre.CATEGORY_NOT_WORD)]) == "-"
    assert _sample([(sre.LITERAL, ord("a")), (sre.CATEGORY, sre.CATEGORY_SPACE)]) == "a "
    assert _sample([(sre.CATEGORY, sre.CATEGORY_LINEBREAK)]) == "x"  # one it has no sample for


def test_member():
    assert _member(_tree("[ba]")[0][1]) == "b"
    assert _member(_tree("[b-d]")[0][1]) == "b"
    assert _member(_tree(r"[\Wa]")[0][1]) == "-"
    assert _member(_tree("[^xa]")[0][1]) == "0"
    assert _member(_tree("[^a-z]")[0][1]) == "0"
    assert _member(_tree(r"[^xa0\-_Z]")[0][1]) == "x"  # every candidate refused: x, and the regex judges
    assert _member([(sre.CATEGORY, sre.CATEGORY_LINEBREAK)]) == "x"  # a category without a sample
    assert _member([(sre.NOT_LITERAL, ord("a"))]) == "x"  # an item it does not know


def test_a_second_quoted_literal_is_skipped_from_its_own_start_to_its_own_end():
    # \Q...\E twice: each ends at the first \E after it (not an earlier one, not the last one)
    assert re2_problem(r"\Qa\E\Q(?<x>\E") is None
    assert re2_problem(r"\Qa\E(?<y>b)\Qc\E") == "named groups are written (?P<name>...) in Go's regular expressions"


def test_a_refused_pattern_is_reported_once_and_nothing_is_logged_to_stderr(capfd):
    assert re2_problem("a(") is not None
    assert re2_problem(r"\Qa\E(?<y>b)") is not None
    out, err = capfd.readouterr()
    assert err == "" and out == ""
