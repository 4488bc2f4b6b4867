"""The one way obsgen parses PromQL: bounded first, then promql-parser.

The parser's memory grows with the square of an expression's depth (a chain of 2,000 `up + up`
takes 600 MB, 5,000 nested parentheses 1.7 GB, and a 30 KB chain crashes the process), so every
expression is measured before it is parsed: its length, how deeply it nests, and how many
operators it chains. Real expressions are far inside these limits (the longest rule in
kube-prometheus is about 2 KB with a few dozen operators).
"""
from __future__ import annotations

import re
from functools import lru_cache

MAX_CHARS = 16 * 1024
MAX_NESTING = 64  # parentheses, calls, brackets and unary signs, one inside another
MAX_OPERATORS = 256  # binary operators, set operators and unary signs in one expression

_WORD_OPS = frozenset({"and", "or", "unless", "atan2"})
_SYMBOL_OPS = "+-*/%^<>=!"


class PromQLTooBig(ValueError):
    """An expression over a limit; the message names the limit."""


_NO_SYMBOLS = str.maketrans("", "", _SYMBOL_OPS)
_WORDS = re.compile(r"\b(?:and|or|unless|atan2)\b")


def bounds_problem(text: str) -> str | None:
    """Why `text` is too big to parse safely, or None. Linear in the text; strings and comments
    are skipped, so `"((("` in a label value counts nothing."""
    if len(text) > MAX_CHARS:
        return f"expression is {len(text):,} characters long; obsgen parses at most {MAX_CHARS:,}"
    # Nearly every expression is far inside the limits, and counting characters (an upper bound
    # of both nesting and operators) shows it without the character-by-character scan below.
    if text.count("(") + text.count("[") <= MAX_NESTING and (
            len(text) <= MAX_OPERATORS
            or len(text) - len(text.translate(_NO_SYMBOLS)) + len(_WORDS.findall(text)) <= MAX_OPERATORS):
        return None
    return _scan(text)


def _scan(text: str) -> str | None:
    depth = deepest = operators = 0
    braces = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'`":
            end = i + 1
            while end < n and text[end] != c:
                end += 2 if text[end] == "\\" and c != "`" else 1
            i = end + 1
            continue
        if c == "#":
            nl = text.find("\n", i)
            i = n if nl < 0 else nl + 1
            continue
        if c in "([":
            depth += 1
            deepest = max(deepest, depth)
        elif c in ")]":
            depth = max(0, depth - 1)
        elif c == "{":
            braces += 1
        elif c == "}":
            braces = max(0, braces - 1)
        elif braces == 0 and c in _SYMBOL_OPS:
            # `==`, `!=`, `<=`, `>=`, `=~` are one operator; a sign in `1e-3` counts too (harmless).
            operators += 1  # a run of unary signs (`- - - up`) nests: each sign counts
            while i + 1 < n and text[i + 1] in "=~" and c in "=!<>":
                i += 1
        elif c.isalpha() or c == "_":
            end = i + 1
            while end < n and (text[end].isalnum() or text[end] in "_:"):
                end += 1
            if braces == 0 and text[i:end] in _WORD_OPS:
                operators += 1
            i = end
            continue
        if deepest > MAX_NESTING:
            return f"expression nests more than {MAX_NESTING} levels deep; obsgen parses at most {MAX_NESTING}"
        if operators > MAX_OPERATORS:
            return f"expression has more than {MAX_OPERATORS} operators; obsgen parses at most {MAX_OPERATORS}"
        i += 1
    return None


@lru_cache(maxsize=16384)  # the checks, the lint and every environment read the same expressions
def parse(text: str):
    """promql_parser's tree for `text` (shared: callers only read it). Raises PromQLTooBig (a
    ValueError) over a limit, and ValueError/TypeError when it does not parse, as promql_parser
    does (an lru_cache does not keep failures: they are parsed again, and raise again)."""
    problem = bounds_problem(text)
    if problem is not None:
        raise PromQLTooBig(problem)
    import promql_parser  # on first use: `obsgen check` and drill parse no PromQL

    return promql_parser.parse(text)
