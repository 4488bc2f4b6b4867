"""Where the files in `templates/` are: inside the installed package, or at the top of a checkout."""
from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parents[1]  # the obsgen package


def templates_dir() -> Path:
    for candidate in (_HERE / "templates", _HERE.parents[1] / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("obsgen's templates/ folder is missing from this installation")
