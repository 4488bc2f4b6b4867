"""Where dashboard panels go on Grafana's 24-column grid, computed from the spec: what the
Grafana target writes as each panel's gridPos, and what the checks read to find panels Grafana
would rearrange."""
from __future__ import annotations

from dataclasses import dataclass

from obsgen.spec import PanelSpec

GRID_COLUMNS = 24
DEFAULT_HEIGHT = 8
DEFAULT_WIDTH = {"stat": 6, "gauge": 6, "bargauge": 6, "table": 24, "text": 24, "logs": 24}
WIDE = 12  # every other type


def default_width(kind: str) -> int:
    return DEFAULT_WIDTH.get(kind, WIDE)


@dataclass(frozen=True)
class Pos:
    x: int
    y: int
    w: int
    h: int

    def json(self) -> dict:
        return {"h": self.h, "w": self.w, "x": self.x, "y": self.y}


class Grid:
    """Where panels go when the spec gives no x/y, the way Grafana's grid settles them: left to
    right from after the previous panel (a new line when the next does not fit), each panel as
    high as the columns it spans allow (Grafana floats panels up)."""

    def __init__(self, top: int = 0):
        self.heights = [top] * GRID_COLUMNS
        self.x = 0

    def next(self, w: int) -> tuple[int, int]:
        """Where a panel `w` columns wide would go."""
        x = 0 if self.x + w > GRID_COLUMNS else self.x
        return x, max(self.heights[x:x + w])

    def place(self, w: int, h: int, x: int | None = None, y: int | None = None) -> Pos:
        auto_x, _ = self.next(w)
        x = auto_x if x is None else x
        y = max(self.heights[x:x + w]) if y is None else y
        for c in range(x, x + w):
            self.heights[c] = max(self.heights[c], y + h)
        self.x = x + w
        return Pos(x, y, w, h)

    def bottom(self) -> int:
        return max(self.heights)

    def row(self) -> Pos:
        """A row: a full-width line below everything so far."""
        y = self.bottom()
        self.heights = [y + 1] * GRID_COLUMNS
        self.x = 0
        return Pos(0, y, GRID_COLUMNS, 1)


def size(p: PanelSpec) -> tuple[int, int]:
    return p.width or default_width(p.kind), p.height or DEFAULT_HEIGHT


def layout(panels: list[PanelSpec]) -> list[tuple[Pos, list[Pos]]]:
    """Each top-level panel's position and, for rows, its panels' positions. A collapsed row's
    panels are placed as if it were open; the next row follows right below it."""
    grid, out = Grid(), []
    for p in panels:
        if not p.is_row:
            out.append((grid.place(*size(p), p.x, p.y), []))
            continue
        pos = grid.row()
        inner = grid if not p.collapsed else Grid(pos.y + 1)
        out.append((pos, [inner.place(*size(c), c.x, c.y) for c in p.panels or []]))
    return out
