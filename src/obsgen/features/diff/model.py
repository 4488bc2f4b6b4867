"""What a diff is made of: changes to objects, collected in a report."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from obsgen.core.diagnostics import Diagnostic

# Kinds of object, in display order, with each kind's heading.
KINDS = {
    "prometheus": "Prometheus settings", "scrape_job": "Scrape jobs", "rule_group": "Rule groups",
    "alert": "Alerts", "recording_rule": "Recording rules", "slo": "SLOs",
    "alertmanager": "Alertmanager settings", "route": "Routes", "receiver": "Receivers",
    "inhibit_rule": "Inhibition rules", "time_interval": "Time intervals", "dashboard": "Dashboards",
    "probe_module": "Probe modules", "sampling": "Trace sampling", "jaeger": "Jaeger deployment",
    "operator": "Prometheus Operator resources",
    "file": "Other files",
}
Key = tuple[str, str, str]  # kind, env, object id


class DiffError(Exception):
    """The diff could not be computed: a spec with errors, a bad git ref, a missing folder."""

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None):
        super().__init__(message)
        self.diagnostics = diagnostics or []


@dataclass(frozen=True)
class Change:
    kind: str  # one of KINDS
    env: str
    object_id: str
    field: str = ""  # "" when the whole object was added or removed
    old: Any = None
    new: Any = None
    risky: bool = False
    reason: str = ""

    @property
    def action(self) -> str:
        if not self.field and self.old is None:
            return "added"
        if not self.field and self.new is None:
            return "removed"
        return "changed"

    def sort_key(self) -> tuple:
        return (list(KINDS).index(self.kind), self.env, self.object_id, self.field)

    def to_dict(self) -> dict:
        return {"action": self.action, **asdict(self)}


@dataclass(frozen=True)
class Report:
    changes: tuple[Change, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.changes

    @property
    def risky(self) -> list[Change]:
        return [c for c in self.changes if c.risky]

    def objects(self) -> dict[Key, str]:
        """Every object that differs, and how: added, removed or changed."""
        out: dict[Key, str] = {}
        for c in self.changes:
            key = (c.kind, c.env, c.object_id)
            out[key] = c.action if c.action != "changed" or key not in out else out[key]
        return out

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for (kind, _, _), action in self.objects().items():
            out.setdefault(kind, {"added": 0, "removed": 0, "changed": 0})[action] += 1
        return {k: out[k] for k in KINDS if k in out}
