"""Go template text (Prometheus annotations, Alertmanager notification texts), read far enough to
check its structure: every action closed, blocks (`if`, `range`, `with`) balanced by `end`.

A team's own notification text is placed inside a `{{ define }}` obsgen writes, in a file every
receiver's templates are read from. Text that closes that `define` early could define templates
of its own, and replace the texts of every other team: so a team's text may neither use
`define` or `block` nor `end` more blocks than it opened. The reader is linear in the text and
knows Go's comments (`{{/* */}}`), trim markers (`{{- -}}`), strings, raw strings and characters,
so `"}}"` in a string does not end an action.
"""
from __future__ import annotations

from dataclasses import dataclass

_OPENERS = frozenset({"if", "range", "with", "block", "define"})


@dataclass(frozen=True)
class Action:
    start: int  # offset of `{{`
    keyword: str  # the first word of the action ("" for a pipeline)
    text: str  # what is between the delimiters, trim markers removed


class TemplateError(ValueError):
    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


def _skip_quoted(text: str, i: int) -> int:
    """Offset after the string, raw string or character literal starting at text[i]."""
    quote = text[i]
    j = i + 1
    n = len(text)
    while j < n:
        c = text[j]
        if c == quote:
            return j + 1
        if c == "\\" and quote != "`":
            j += 2
            continue
        if c == "\n" and quote != "`":
            break
        j += 1
    raise TemplateError("a string in a template action is not closed", i)


def actions(text: str) -> list[Action]:
    """The actions of a Go template, in order. Raises TemplateError on an unclosed action, a
    stray `}}` outside any action, or an empty action."""
    out: list[Action] = []
    i, n = 0, len(text)
    while True:
        start = text.find("{{", i)
        stray = text.find("}}", i, start if start >= 0 else n)
        if stray >= 0:
            raise TemplateError("a `}}` has no opening `{{`", stray)
        if start < 0:
            return out
        j = start + 2
        if text.startswith("- ", j) or text.startswith("-\t", j) or text.startswith("-\n", j):
            j += 1
        while j < n and text[j] in " \t\r\n":
            j += 1
        if text.startswith("/*", j):
            close = text.find("*/", j + 2)
            if close < 0:
                raise TemplateError("a template comment is not closed", start)
            k = close + 2
            while k < n and text[k] in " \t\r\n-":
                k += 1
            if not text.startswith("}}", k):
                raise TemplateError("a template comment must end its action (`*/}}`)", start)
            i = k + 2
            continue
        k = j
        while True:
            if k >= n:
                raise TemplateError("an opening `{{` is never closed", start)
            c = text[k]
            if c in "\"'`":
                k = _skip_quoted(text, k)
                continue
            if text.startswith("{{", k):
                raise TemplateError("an opening `{{` is never closed (another `{{` starts before its `}}`)", start)
            if text.startswith("}}", k):
                break
            k += 1
        body = text[j:k]
        if body.endswith(" -") or body.endswith("\t-") or body.endswith("\n-"):
            body = body[:-1]
        body = body.strip()
        if not body:
            raise TemplateError("empty template action `{{ }}`", start)
        word = body.split(None, 1)[0]
        out.append(Action(start, word if word.isidentifier() else "", body))
        i = k + 2


def structure_problem(text: str, *, own_templates: bool = True) -> tuple[str, int] | None:
    """Why the template text is malformed, and the offset: unclosed or stray delimiters, an
    `end` or `else` without a block, a block never ended; with `own_templates=False`, also any
    `define` or `block` (text that is placed inside obsgen's own `define`)."""
    try:
        found = actions(text)
    except TemplateError as exc:
        return str(exc), exc.offset
    stack: list[Action] = []
    for a in found:
        if a.keyword in ("define", "block") and not own_templates:
            return (f"`{{{{ {a.keyword} }}}}` is not allowed here: this text is one template already "
                    f"(obsgen defines it), and may not define others"), a.start
        if a.keyword in _OPENERS:
            stack.append(a)
        elif a.keyword == "else":
            if not stack or stack[-1].keyword not in ("if", "range", "with"):
                return "an `{{ else }}` outside any `if`, `range` or `with`", a.start
        elif a.keyword == "end":
            if not stack:
                return "an `{{ end }}` that closes no block (`if`, `range`, `with`)", a.start
            stack.pop()
        elif a.keyword in ("break", "continue"):
            if not any(b.keyword == "range" for b in stack):
                return f"`{{{{ {a.keyword} }}}}` outside a `range`", a.start
    if stack:
        return f"`{{{{ {stack[-1].keyword} }}}}` is never closed with `{{{{ end }}}}`", stack[-1].start
    return None
