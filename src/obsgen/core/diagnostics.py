"""Diagnostics are values: every phase returns them, only reporters print them."""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from enum import Enum

from obsgen.core.credentials import redact


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"  # what a user should know, never a problem: --strict does not fail on notes


@dataclass(frozen=True, order=True)
class Pos:
    """A place in a spec file: 1-based line and column."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.col}"

    @classmethod
    def of_offset(cls, file: str, text: str, offset: int) -> Pos:
        """The place of the character at 0-based `offset` in `text`."""
        return cls(file, text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1)


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    code: str
    message: str
    pos: Pos
    hint: str | None = None

    def sort_key(self) -> tuple:
        return (self.pos.file, self.pos.line, self.pos.col, self.code, self.message)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["severity"] = self.severity.value
        out["file"], out["line"], out["col"] = self.pos.file, self.pos.line, self.pos.col
        del out["pos"]
        return out


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(text: str | None) -> str | None:
    """Messages quote what the spec says, which may hold newlines or control characters: they are
    shown escaped, so one diagnostic stays one line and the terminal shows what is there."""
    if text is None or not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def _clean(text: str | None) -> str | None:
    """What a diagnostic may say: on one line, and without a credential it quotes from the spec
    (a token pasted into a label is reported, never printed)."""
    return _one_line(redact(text))


def error(code: str, message: str, pos: Pos, hint: str | None = None) -> Diagnostic:
    return Diagnostic(Severity.ERROR, code, _clean(message), pos, _clean(hint))


def warning(code: str, message: str, pos: Pos, hint: str | None = None) -> Diagnostic:
    return Diagnostic(Severity.WARNING, code, _clean(message), pos, _clean(hint))


def note(code: str, message: str, pos: Pos, hint: str | None = None) -> Diagnostic:
    return Diagnostic(Severity.NOTE, code, _clean(message), pos, _clean(hint))


def has_errors(diags: list[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diags)


def normalise(diags: list[Diagnostic]) -> list[Diagnostic]:
    """Sorted, without duplicates (a base-spec error is found once per environment)."""
    return sorted(set(diags), key=Diagnostic.sort_key)


def format_text(d: Diagnostic) -> str:
    line = f"{d.pos}: {d.severity.value}[{d.code}]: {d.message}"
    if d.hint:
        line += f"\n  hint: {d.hint}"
    return line


def format_json(diags: list[Diagnostic]) -> str:
    return json.dumps({"diagnostics": [d.to_dict() for d in diags]}, indent=2, sort_keys=True)


def describe(value) -> str:
    """A value as a message quotes it, for "should be a list, not …": its kind, and for a
    scalar its value (a string cut at 40 characters)."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null (empty)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return f"the string {str(value)[:40]!r}"
