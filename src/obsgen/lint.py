"""Phase 3b, lint: PromQL-aware checks across the catalog, rules, dashboards and routing."""
from __future__ import annotations

from .loader import YMap
from .model import Model
from .parse import Parsed
from .silence import Finding


def run(tree: YMap, parsed: Parsed, model: Model) -> list[Finding]:
    return []
