"""`obsgen init`: a commented starter project that validates and builds as it is."""
from __future__ import annotations

from pathlib import Path

from obsgen.core.resources import templates_dir
from obsgen.spec.schema import schema_text

SCHEMA = Path("schemas") / "obsgen-v1.json"  # the spec files' yaml-language-server comment points here


def write_starter(directory: Path) -> list[Path]:
    source = templates_dir() / "init"
    specs = directory / "specs"
    files = sorted(source.glob("*.yaml"))
    targets = [specs / f.name for f in files]
    for target in [*targets, directory / SCHEMA]:
        if target.exists():
            raise FileExistsError(str(target))
    specs.mkdir(parents=True, exist_ok=True)
    for f, target in zip(files, targets):
        target.write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    (directory / SCHEMA).parent.mkdir(parents=True, exist_ok=True)
    (directory / SCHEMA).write_text(schema_text(), encoding="utf-8", newline="\n")
    return [*targets, directory / SCHEMA]
