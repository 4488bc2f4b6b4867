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


class SpecError(Exception):
    """Raised by the library API when a spec has errors; carries every diagnostic."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__(f"{len(diagnostics)} problem(s) in the spec")
        self.diagnostics = diagnostics


# Stable codes. Never renumber: users silence and grep by code.
CODES = {
    "OBS001": "YAML syntax error",
    "OBS002": "duplicate key in a mapping",
    "OBS003": "tag not allowed (only plain YAML data)",
    "OBS004": "aliases expand too far, or nesting too deep",
    "OBS005": "file cannot be read, or is not UTF-8 text",
    "OBS006": "a spec file's top level must be a mapping",
    "OBS007": "apiVersion missing or unsupported",
    "OBS010": "unknown key",
    "OBS011": "wrong type or value",
    "OBS012": "required key missing",
    "OBS013": "literal secret in the spec",
    "OBS015": "a generated file would contain a literal credential",
    "OBS020": "duplicate name",
    "OBS021": "reference to something that does not exist",
    "OBS022": "section defined in more than one file",
    "OBS023": "no spec files found",
    "OBS030": "PromQL expression does not parse",
    "OBS031": "alert template does not parse",
    "OBS032": "name not allowed",
    "OBS033": "inconsistent setting",
    "OBS034": "SLO does not match the metric catalog",
    "OBS035": "SLO alerting cannot work as declared",
    "OBS036": "regular expression the consuming tool (Go's RE2) refuses",
    "OBS037": "PromQL expression over obsgen's size limits (length, nesting, operators)",
    "OBS040": "cannot be expressed in obsgen (import)",
    "OBS041": "not a valid document of the imported format",
    "OBS042": "imported as an approximation",
    # Lint: PromQL-aware checks across the catalog, rules, dashboards and routing.
    "OBS050": "metric not in any catalog, recording rule or known exporter",
    "OBS051": "label the metric does not have",
    "OBS052": "counter used without rate/increase (or rate over a gauge)",
    "OBS053": "histogram_quantile over something that is not a bucket series, or without `le`",
    "OBS054": "range shorter than twice the scrape interval",
    "OBS055": "alert expression has no condition (always fires)",
    "OBS056": "`for` shorter than the evaluation interval",
    "OBS057": "alert name is not CamelCase",
    "OBS058": "alert has no summary or description",
    "OBS059": "critical alert without a runbook URL",
    "OBS060": "alerts of a team and severity reach no receiver",
    "OBS061": "route that can never match",
    "OBS062": "receiver (team channels) nobody routes to",
    "OBS063": "silence that is invalid or silences nothing",
    "OBS070": "alert notifies later than the time-to-notify objective",
    "OBS071": "monitoring coverage below the objective",
    "OBS080": "setting needs a newer Alertmanager than the spec targets",
}
