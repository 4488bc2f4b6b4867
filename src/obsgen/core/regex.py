"""Regular expressions as the tools that consume them read them: RE2 (google-re2), the syntax of Go's
regexp that Prometheus, Alertmanager and the blackbox exporter use. RE2 matches in time linear
in the text whatever the pattern, so no pattern from a spec or a committed config can hang obsgen.
"""
from __future__ import annotations

from functools import lru_cache


class UnsupportedRegex(ValueError):
    """A pattern RE2 (Alertmanager's regex syntax) refuses."""


@lru_cache(maxsize=1024)
def go_regex(pattern: str):
    """A compiled RE2 pattern (google-re2, the engine Go's regexp follows); use `.fullmatch`, as
    Alertmanager anchors it. RE2 matches in time linear in the value, whatever the pattern, so a
    committed config cannot make `obsgen check` hang. Raises UnsupportedRegex when RE2 refuses it."""
    import re2  # on first use: a run that meets no regular expression does without it

    options = re2.Options()
    options.log_errors = False
    options.max_mem = 64 << 20
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise UnsupportedRegex(f"regex {pattern!r}: {reason}") from None


def re2_problem(pattern: str) -> str | None:
    """Why the blackbox exporter (Go's regexp, which is RE2) would refuse `pattern`, or None.

    Python's `re` accepts lookarounds and backreferences that RE2 refuses, so it cannot judge.
    google-re2 parses RE2 itself; two things it accepts that the Go of Debian's exporter (built
    with Go 1.19) does not are refused here too: `\\C` (any byte) and `(?<name>` groups.
    """
    import re2  # on first use: a run that meets no regular expression does without it

    options = re2.Options()
    options.log_errors = False  # its parse errors are returned to us, not logged to stderr
    try:
        re2.compile(pattern, options)
    except re2.error as exc:
        return exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
    return _go_only(pattern)


def _go_only(pattern: str) -> str | None:
    """What RE2 accepts and Go 1.19's regexp does not, outside character classes."""
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            if pattern[i + 1:i + 2] == "C":
                return "\\C (any byte) is not supported by Go's regular expressions"
            if pattern[i + 1:i + 2] == "Q":  # a literal up to \E
                end = pattern.find("\\E", i + 2)
                i = n if end < 0 else end + 2
                continue
            i += 2
        elif c == "[":
            i = _class_end(pattern, i)
        elif pattern.startswith("(?<", i):  # RE2 refused lookbehinds already: a named group
            return "named groups are written (?P<name>...) in Go's regular expressions"
        else:
            i += 1
    return None


def _class_end(pattern: str, i: int) -> int:
    """Index after the character class opening at pattern[i] (the pattern already parsed as RE2)."""
    i += 1
    if pattern.startswith("^", i):
        i += 1
    if pattern.startswith("]", i):  # a `]` first is a literal
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        if pattern[i] == "\\":
            i += 2
        elif pattern.startswith("[:", i) and ":]" in pattern[i + 2:]:
            i = pattern.index(":]", i + 2) + 2
        else:
            i += 1
    return i + 1


def sample_of(pattern: str) -> str | None:
    """A short value the (anchored, Go/RE2) regex accepts, or None: built from the regex's syntax
    tree (the first branch of each alternation, the fewest repeats, a member of each class) and
    checked against the regex itself, so a wrong guess is None, never a value it refuses."""
    try:
        compiled = go_regex(pattern)
    except Exception:  # noqa: BLE001 - a regex Alertmanager refuses has no sample
        return None
    try:
        import re._parser as sre_parse  # Python 3.11+
    except ImportError:  # pragma: no cover
        import sre_parse  # type: ignore[no-redef]
    try:
        tree = sre_parse.parse(pattern)
        candidate = _sample(tree)
    except Exception:  # noqa: BLE001 - syntax Python reads differently from Go: no sample
        return None
    return candidate if candidate is not None and compiled.fullmatch(candidate) else None


_CATEGORY = {"CATEGORY_DIGIT": "1", "CATEGORY_NOT_DIGIT": "a", "CATEGORY_WORD": "a", "CATEGORY_NOT_WORD": "-",
             "CATEGORY_SPACE": " ", "CATEGORY_NOT_SPACE": "x"}


def _sample(tree) -> str | None:
    out = []
    for op, arg in tree:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("x" if chr(arg) != "x" else "y")
        elif name == "ANY":
            out.append("x")
        elif name == "IN":
            out.append(_member(arg))
        elif name == "BRANCH":
            part = _sample(arg[1][0])
            if part is None:
                return None
            out.append(part)
        elif name == "SUBPATTERN":
            part = _sample(arg[-1])
            if part is None:
                return None
            out.append(part)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, body = arg
            part = _sample(body)
            if part is None:
                return None
            out.append(part * low)
        elif name == "AT":
            continue
        elif name == "CATEGORY":
            out.append(_CATEGORY.get(str(arg), "x"))
        else:
            return None
    return "".join(out)


def _member(items) -> str:
    """A character a class [...] accepts."""
    negated = any(str(op) == "NEGATE" for op, _ in items)
    if not negated:
        op, arg = items[0]
        if str(op) == "LITERAL":
            return chr(arg)
        if str(op) == "RANGE":
            return chr(arg[0])
        if str(op) == "CATEGORY":
            return _CATEGORY.get(str(arg), "x")
        return "x"
    for candidate in "xa0-_Z":
        refused = False
        for op, arg in items:
            if str(op) == "LITERAL" and chr(arg) == candidate:
                refused = True
            elif str(op) == "RANGE" and arg[0] <= ord(candidate) <= arg[1]:
                refused = True
        if not refused:
            return candidate
    return "x"
