"""Grafana's template variables in panel queries: finding the references (`$var`, `${var}`,
`${var:format}`, `[[var]]`), the variables Grafana defines itself, and what a reference stands
for when a query is checked as PromQL."""
from __future__ import annotations

import re
import string
from dataclasses import dataclass

# Grafana's own (global) variables.
BUILTINS = frozenset({
    "__interval", "__interval_ms", "__rate_interval", "__rate_interval_ms", "__range", "__range_s", "__range_ms",
    "__from", "__to", "__dashboard", "__org", "__user", "__name", "__timezone", "__timeFilter", "timeFilter",
    "__auto", "__all_variables", "__url_time_range", "__series",
})
# Those that stand for a duration, and one PromQL reads well in their place (checks of ranges
# recognise it as Grafana's).
DURATIONS = frozenset({"__interval", "__rate_interval", "__range", "__auto"})

# Grafana's own pattern, by kind: $name, [[name:format]], ${name.field:format}. A name that starts
# with a digit ($1 in label_replace) is not a variable to Grafana either.
_REFERENCE = re.compile(r"\$([A-Za-z_]\w*)|\[\[([A-Za-z_]\w*?)(?::\w+)?\]\]|\$\{([A-Za-z_]\w*)(?:\.[^:^}]+)?(?::[^}]+)?\}")


@dataclass(frozen=True)
class Reference:
    name: str
    start: int
    end: int


def references(text: str) -> list[Reference]:
    return [Reference(next(g for g in m.groups() if g), m.start(), m.end()) for m in _REFERENCE.finditer(text)]


def undefined(text: str, declared: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """The variables `text` refers to that are neither Grafana's own nor declared, in order, once each."""
    out: list[str] = []
    for ref in references(text):
        # Grafana reserves names starting with __ for its own ($__fromTime, $__timeGroup, ... in SQL)
        if ref.name not in BUILTINS and not ref.name.startswith("__") and ref.name not in declared \
                and ref.name not in out:
            out.append(ref.name)
    return out


# What a variable stands for when a query is checked as PromQL, by where it is used: a duration
# inside a range or subquery `[...]` and after `offset`, a label name inside by/without/on/
# ignoring/group_left/group_right (...), as-is inside a string (any text is a valid label value
# or regex), a metric name before `{` or where an identifier continues it, a number elsewhere
# (`* $multiplier`, `topk($n, ...)`, `> $threshold`).
LINT_DURATION = "99d1s"  # the range checks recognise it as Grafana's and report nothing on it
METRIC_PLACEHOLDER = "obsgen_grafana_variable"  # metric-name position: lint checks no catalog for it
LABEL_PREFIX = "__obsgen_"  # label-name position: labels starting with __ are not checked against series
_LABEL_LIST = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(\s*[\w\s,\"$\{\}:]*$")
_OFFSET = re.compile(r"\boffset\s*-?\s*$")


def for_promql(text: str) -> str:
    """`text` with every variable reference but Grafana's duration variables (which the PromQL
    checks substitute themselves) replaced by something of the right kind, so that a query using
    variables parses as the PromQL Grafana will send."""
    refs = [r for r in references(text) if r.name not in DURATIONS]
    if not refs:
        return text
    out, last = [], 0
    strings = _string_spans(text)
    for ref in refs:
        out.append(text[last:ref.start])
        out.append(_stand_in(text, ref, strings))
        last = ref.end
    out.append(text[last:])
    return "".join(out)


def _string_spans(text: str) -> list[tuple[int, int]]:
    spans, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'`":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" and c != "`" else 1
            spans.append((i, j))
            i = j + 1
        elif c == "#":  # a comment runs to the end of the line
            j = text.find("\n", i)
            i = n if j < 0 else j
        else:
            i += 1
    return spans


def _stand_in(text: str, ref: Reference, strings: list[tuple[int, int]]) -> str:
    if any(a < ref.start < b for a, b in strings):
        return text[ref.start:ref.end]
    before = text[:ref.start]
    after = text[ref.end:]
    if before.rfind("[") > before.rfind("]"):
        return LINT_DURATION
    if _OFFSET.search(before):
        return "1m"
    if _LABEL_LIST.search(before):
        return LABEL_PREFIX + ref.name
    if (before[-1:].isalnum() or before[-1:] in ("_", ":")) or (after[:1].isalnum() or after[:1] == "_"):
        return ref.name  # part of a longer name: node_$kind_total
    if after.lstrip().startswith(("{", "[")) or not after.strip() and not before.strip():
        return METRIC_PLACEHOLDER
    return "1"


def ref_id(index: int) -> str:
    """A, B, ... Z, AA, AB, ...: Grafana's own sequence of query ids."""
    out, n = "", index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = string.ascii_uppercase[r] + out
    return out


def variable_promql(query: str) -> str | None:
    """The PromQL inside a Prometheus variable query: label_values(selector, label) and
    query_result(expr) wrap it, label_values(label), label_names() and metrics(re) have none;
    anything else is PromQL itself."""
    text = query.strip()
    for helper in ("query_result(", "label_values(", "label_names(", "metrics("):
        if text.startswith(helper) and text.endswith(")"):
            inner = text[len(helper):-1]
            if helper == "label_values(":
                inner = inner.rsplit(",", 1)[0] if "," in inner else ""
            elif helper != "query_result(":
                inner = ""
            return inner if inner.strip() else None
    return text or None
