"""Phase 6, write: put a build on disk atomically, prune only what obsgen wrote before.

The whole output folder is staged beside itself (a copy, so files people put there survive),
updated, and swapped in. On Linux the swap is one `renameat2(RENAME_EXCHANGE)`: the output
folder is the old tree or the new one at every instant, whatever kills the build (SIGKILL
included). Elsewhere it is two renames; a build killed between them leaves the old tree beside
the output folder, and the next run puts it back before doing anything else. A staging folder
left by a killed build is removed by the next run.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = ".obsgen-manifest.json"


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def _staging(out: Path) -> tuple[Path, Path]:
    return out.parent / f".{out.name}.obsgen-staging", out.parent / f".{out.name}.obsgen-previous"


def recover(out: Path) -> None:
    """Undo what a build killed mid-swap left behind."""
    stage, previous = _staging(out)
    if previous.exists() and not out.exists():
        os.rename(previous, out)
    for leftover in (stage, previous):
        if leftover.exists():
            shutil.rmtree(leftover)


def owned_files(out: Path) -> set[str]:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return {str(p) for p in data.get("files", {})}
    except (OSError, ValueError, AttributeError):
        return set()


def manifest_text(files: dict[str, str]) -> str:
    digests = {path: hashlib.sha256(text.encode()).hexdigest() for path, text in sorted(files.items())}
    return json.dumps({"generator": "obsgen", "files": digests}, indent=2) + "\n"


def diff_tree(out: Path, files: dict[str, str]) -> Changes:
    """What writing `files` to `out` would change, counting only files obsgen owns."""
    changes = Changes()
    expected = dict(files)
    expected[MANIFEST] = manifest_text(files)
    for rel, text in sorted(expected.items()):
        target = out / rel
        try:
            current = target.read_bytes()
        except OSError:
            changes.added.append(rel)
            continue
        if current != text.encode():
            changes.changed.append(rel)
    changes.removed = sorted(owned_files(out) - set(files))
    changes.removed = [p for p in changes.removed if (out / p).exists()]
    return changes


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux renameat2); False where the system cannot."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    return False  # ENOSYS, EINVAL (a file system without exchange): fall back to two renames


def write_tree(out: Path, files: dict[str, str]) -> Changes:
    recover(out)
    changes = diff_tree(out, files)
    if not changes.any:
        return changes
    stage, previous = _staging(out)
    try:
        _stage(out, stage, files, changes)
    except BaseException:  # an error, Ctrl-C or SIGTERM while staging: the output was never touched
        shutil.rmtree(stage, ignore_errors=True)
        raise
    if out.exists() and _exchange(stage, out):
        shutil.rmtree(stage)  # now the old tree
        return changes
    if out.exists():
        os.rename(out, previous)
    os.rename(stage, out)
    if previous.exists():
        shutil.rmtree(previous)
    return changes


def _stage(out: Path, stage: Path, files: dict[str, str], changes: Changes) -> None:
    if out.exists():
        shutil.copytree(out, stage, symlinks=True)
    else:
        stage.mkdir(parents=True)
    for rel in changes.removed:
        (stage / rel).unlink(missing_ok=True)
        _prune_empty_dirs(stage, Path(rel).parent)
    for rel, text in files.items():
        target = stage / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    (stage / MANIFEST).write_text(manifest_text(files), encoding="utf-8", newline="\n")


def _prune_empty_dirs(root: Path, rel: Path) -> None:
    while str(rel) not in ("", "."):
        d = root / rel
        try:
            d.rmdir()
        except OSError:
            return
        rel = rel.parent
