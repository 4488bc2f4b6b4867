"""What every semantic check reads: the environment's merged tree (names, references and
expressions are read from it, so that a service with a type error elsewhere still has its team
and PromQL checked), what parsed (for checks that need defaults), and where to report."""
from __future__ import annotations

from obsgen.core.diagnostics import Diagnostic, Pos, error
from obsgen.load.yaml import YMap, YSeq
from obsgen.spec.parse import Parsed, did_you_mean, locate


class Context:
    def __init__(self, tree: YMap, parsed: Parsed):
        self.tree = tree
        self.sections = parsed.sections
        self.teams = parsed.items["teams"]
        self.svcs = parsed.items["services"]
        self.dashboard_items = parsed.items["dashboards"]
        self._parsed = parsed
        self.diags: list[Diagnostic] = []

    @property
    def parsed_spec(self):
        """What parsed, as one spec (items with errors left out)."""
        return self._parsed.spec()

    def at(self, *loc) -> Pos:
        return locate(self.tree, loc)[0]

    def items(self, section: str) -> list[tuple[int, YMap]]:
        value = self.tree.get(section)
        return [(i, item) for i, item in enumerate(value) if isinstance(item, YMap)] if isinstance(value, YSeq) else []

    def unique(self, section: str, names: list[tuple[int, str | None]], what: str, field: str = "name",
               fold: bool = False) -> set[str]:
        """The names, each once; a second use is OBS020. With `fold`, names that differ only in
        case are the same (they become file names: one file on macOS and Windows checkouts)."""
        first: dict[str, tuple[int, str]] = {}
        for i, name in names:
            if name is None:
                continue
            key = name.casefold() if fold else name
            if key in first:
                j, seen = first[key]
                prev = self.at(section, j, field)
                same = f"duplicate {what} {name!r}" if seen == name else \
                    f"{what} {name!r} differs from {seen!r} only in case"
                self.diags.append(error("OBS020", f"{same} (first defined at {prev.file}:{prev.line})",
                                        self.at(section, i, field),
                                        hint=None if seen == name else "file systems on macOS and Windows, and Grafana "
                                             "on MySQL, treat them as one: rename one"))
            else:
                first[key] = (i, name)
        return {name for _, name in first.values()}

    def ref(self, name, known: set[str], what: str, *loc):
        if isinstance(name, str) and name not in known:
            self.diags.append(error("OBS021", f"{what} {name!r} is not defined", self.at(*loc),
                                    hint=did_you_mean(name, sorted(known)) or (
                                        f"defined: {', '.join(sorted(known))}" if known else f"no {what}s defined")))

    @staticmethod
    def alerts(service: YMap) -> list[tuple[int, YMap]]:
        alerts = service.get("alerts")
        return [(j, a) for j, a in enumerate(alerts) if isinstance(a, YMap)] if isinstance(alerts, YSeq) else []
