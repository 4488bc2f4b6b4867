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


_SAMPLE_STEPS = ((r"\\d\+|\[0-9\]\+|\\d\*|\[0-9\]\*|\\d", "1"), (r"\[a-z\]\+|\[a-z\]\*|\[a-zA-Z\]\+|\\w\+|\\w\*", "a"),
                 (r"\.\+", "x"), (r"\.\*", ""), (r"\\S\+", "x"), (r"\[\^[^\]]*\]\+", "x"), (r"\(\?i\)", ""))


def sample_of(pattern: str) -> str | None:
    """A value the (anchored, Go/RE2) regex accepts, when a simple rewrite of it finds one: each
    alternative with `.*` dropped, `.+` as `x`, digits as `1`, words as `a`, then unescaped.
    Checked against the regex itself, so a wrong guess is None, never a value it refuses."""
    import re

    try:
        compiled = go_regex(pattern)
    except Exception:  # noqa: BLE001 - a regex Alertmanager refuses has no sample
        return None
    inner = pattern[1:-1] if pattern.startswith("(") and pattern.endswith(")") and pattern.count("(") == 1 \
        else pattern
    for alternative in (inner.split("|") + [inner]) if "(" not in inner else [inner]:
        candidate = alternative.removeprefix("^").removesuffix("$")
        for find, replace in _SAMPLE_STEPS:
            candidate = re.sub(find, replace, candidate)
        candidate = re.sub(r"\\(.)", r"\1", candidate).replace("?", "")
        if compiled.fullmatch(candidate):
            return candidate
    return None
