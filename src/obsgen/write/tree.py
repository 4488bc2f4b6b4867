"""Phase 6, write: put a build on disk atomically, prune only what obsgen wrote before.

The whole output folder is staged beside itself (a copy, so files people put there survive),
updated, and swapped in. On Linux the swap is one `renameat2(RENAME_EXCHANGE)`: the output
folder is the old tree or the new one at every instant, whatever kills the build (SIGKILL
included). Elsewhere it is two renames; a build killed between them leaves the old tree beside
the output folder, and the next run puts it back before doing anything else. A staging folder
left by a killed build is removed by the next run.

The output folder is a trust boundary (README, "Security model"). Its contents, the manifest
included, may come from someone else's commit: every path is checked to lie inside the folder
before it is read, written or removed, no symbolic link inside it is followed, and a path the
manifest lists is pruned only when it is a plain relative path to a regular file whose content
is still what obsgen wrote (the manifest's digest). Builds into one folder take turns (a lock on
the folder's parent), so concurrent builds each leave a complete tree whose files match its
manifest.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import hashlib
import json
import os
import shutil
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MANIFEST = ".obsgen-manifest.json"
# A manifest obsgen wrote lists a few thousand files; anything far bigger is not one of ours.
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
_HEX64 = frozenset("0123456789abcdef")


class OutputError(Exception):
    """The output folder cannot be written (or read) safely; the message is for the user."""


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # Manifest entries obsgen did not act on, and why (outside the folder, a link, edited since).
    ignored: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)


# ----------------------------------------------------------------------------- paths inside the folder

def safe_relpath(rel: object) -> bool:
    """A path that can only name something inside a folder: relative, `/`-separated, no `.`,
    `..` or empty parts, no backslash, NUL or control character."""
    if not isinstance(rel, str) or not rel or len(rel) > 4096:
        return False
    if rel.startswith("/") or "\\" in rel or any(ord(c) < 32 or ord(c) == 127 for c in rel):
        return False
    parts = rel.split("/")
    return all(p not in ("", ".", "..") for p in parts) and ":" not in parts[0][1:2]


def link_on_path(root: Path, rel: str) -> str | None:
    """The first part of `root/rel` (below root) that is a symbolic link, as a path relative to
    root; None when there is none (parts that do not exist yet are fine)."""
    here = root
    parts = PurePosixPath(rel).parts
    for i, part in enumerate(parts):
        here = here / part
        try:
            st = os.lstat(here)
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return None
        if stat.S_ISLNK(st.st_mode):
            return "/".join(parts[:i + 1])
        if not stat.S_ISDIR(st.st_mode):
            return None
    return None


def _describe_link(root: Path, rel: str) -> str:
    try:
        target = os.readlink(root / rel)
    except OSError:
        target = "?"
    return f"{root / rel} is a symbolic link (to {target})"


def read_inside(root: Path, rel: str, limit: int | None = None) -> bytes | None:
    """The bytes of the regular file `root/rel`, or None when there is none. Raises OutputError
    when a part of the path is a symbolic link or the file is not a regular file: obsgen reads
    nothing through a link in an output folder."""
    if not safe_relpath(rel):
        raise OutputError(f"{rel!r} is not a path inside {root}")
    link = link_on_path(root, rel)
    if link is not None:
        raise OutputError(f"{_describe_link(root, link)}: obsgen does not follow links in an output folder; "
                          f"remove it")
    path = root / rel
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OutputError(f"{_describe_link(root, rel)}: obsgen does not follow links in an output folder; "
                              f"remove it") from None
        raise OutputError(f"cannot read {path}: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OutputError(f"{path} is not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1 if limit is not None else -1)
    finally:
        os.close(fd)
    if limit is not None and len(data) > limit:
        raise OutputError(f"{path} is larger than {limit} bytes")
    return data


# ----------------------------------------------------------------------------- the manifest

def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_text(files: dict[str, str]) -> str:
    digests = {path: _digest(text.encode()) for path, text in sorted(files.items())}
    return json.dumps({"generator": "obsgen", "files": digests}, indent=2) + "\n"


def read_manifest(out: Path) -> tuple[dict[str, str], list[str]]:
    """The files a committed manifest says obsgen wrote, {path: sha256}, keeping only entries that
    are plain paths inside `out`; and what was ignored, and why. A missing or unreadable manifest
    lists nothing."""
    try:
        data = read_inside(out, MANIFEST, MAX_MANIFEST_BYTES)
    except OutputError as exc:
        return {}, [f"{MANIFEST}: {exc}"]
    if data is None:
        return {}, []
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}, [f"{MANIFEST}: not JSON; nothing pruned"]
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, dict):
        return {}, [f"{MANIFEST}: no `files` mapping; nothing pruned"]
    listed, ignored = {}, []
    for rel, digest in files.items():
        if not safe_relpath(rel) or rel == MANIFEST:
            ignored.append(f"{rel!r}: not a path inside the output folder")
        elif not (isinstance(digest, str) and len(digest) == 64 and set(digest) <= _HEX64):
            ignored.append(f"{rel}: no valid digest")
        else:
            listed[rel] = digest
    return listed, ignored


def owned_files(out: Path) -> set[str]:
    return set(read_manifest(out)[0])


def _prunable(out: Path, listed: dict[str, str], keep: set[str]) -> tuple[list[str], list[str]]:
    """Listed files the build no longer writes that may be removed: regular files reached
    without a link, holding what obsgen wrote. The rest is left alone, with the reason."""
    remove, ignored = [], []
    for rel in sorted(set(listed) - keep):
        try:
            data = read_inside(out, rel)
        except OutputError as exc:
            ignored.append(f"{rel}: {exc}; left alone")
            continue
        if data is None:
            continue
        if _digest(data) != listed[rel]:
            ignored.append(f"{rel}: changed since obsgen wrote it; left alone")
            continue
        remove.append(rel)
    return remove, ignored


def _links_in_the_way(out: Path, rels: list[str]) -> list[str]:
    found = {link for rel in rels if (link := link_on_path(out, rel)) is not None}
    return sorted(found)


def _refuse_links(out: Path, rels: list[str]) -> None:
    links = _links_in_the_way(out, rels)
    if links:
        shown = "; ".join(_describe_link(out, rel) for rel in links[:5])
        more = f" (and {len(links) - 5} more)" if len(links) > 5 else ""
        raise OutputError(f"{shown}{more}: obsgen writes only real files and folders inside the output folder "
                          f"and never through a link; remove the link(s), nothing was written")


def diff_tree(out: Path, files: dict[str, str]) -> Changes:
    """What writing `files` to `out` would change, counting only files obsgen owns. Raises
    OutputError when a path it would write passes through a symbolic link."""
    changes = Changes()
    expected = dict(files)
    expected[MANIFEST] = manifest_text(files)
    _refuse_links(out, sorted(expected))
    for rel, text in sorted(expected.items()):
        try:
            current = read_inside(out, rel)
        except OutputError:
            current = b""  # a folder or a device where obsgen writes a file: the write will say
        if current is None:
            changes.added.append(rel)
        elif current != text.encode():
            changes.changed.append(rel)
    listed, ignored = read_manifest(out)
    changes.removed, more = _prunable(out, listed, set(files))
    changes.ignored = ignored + more
    return changes


# ----------------------------------------------------------------------------- the output folder itself

def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def _git_top(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def check_output_folder(out: Path, spec_paths: list[Path] = (), cwd: Path | None = None) -> None:
    """Refuse an output folder obsgen must not manage: the file-system root, the home folder, a
    repository's root or anything containing it, a folder that is, contains or sits inside a spec
    folder (or contains a spec file), and a symbolic link (the folder itself, or a folder on the way
    to it inside the working folder). Raises OutputError."""
    here = Path(os.path.abspath(cwd or Path.cwd()))
    path = Path(os.path.abspath(here / out))
    if path == Path(path.anchor):
        raise OutputError(f"{out} is the file-system root; give an output folder of its own, e.g. --out generated")
    # Links: the folder itself, and every folder on the way to it below the working folder.
    steps = [path] + ([p for p in path.parents if here in p.parents] if _inside(path, here) else [])
    for step in steps:
        if step.is_symlink():
            raise OutputError(f"{step} is a symbolic link (to {os.readlink(step)}); obsgen writes only into a real "
                              f"folder: give the folder the link points to with --out, or remove the link")
    real = path.resolve()
    home = Path.home().resolve() if "HOME" in os.environ else None
    if home is not None and real == home:
        raise OutputError(f"{out} is the home folder; give an output folder of its own, e.g. --out generated")
    for top in filter(None, {_git_top(here), _git_top(real) if real.exists() else None}):
        if _inside(top.resolve(), real):
            raise OutputError(f"{out} {'is' if top.resolve() == real else 'contains'} the repository at {top}; "
                              f"give an output folder inside it, e.g. --out generated")
    if here.resolve() != real and _inside(here.resolve(), real):
        raise OutputError(f"{out} contains the working folder; give an output folder of its own, e.g. --out generated")
    for spec in spec_paths:
        spec_real = (here / spec).resolve()
        if spec_real.is_dir():
            if _inside(real, spec_real) or _inside(spec_real, real):
                how = "is" if real == spec_real else "sits inside" if _inside(real, spec_real) else "contains"
                raise OutputError(f"{out} {how} the spec folder {spec}; generated files would be read as specs "
                                  f"(and specs pruned): give an output folder apart from it")
        elif _inside(spec_real, real):
            raise OutputError(f"{out} contains the spec file {spec}; give an output folder apart from it")


# ----------------------------------------------------------------------------- locking and recovery

@contextmanager
def _locked(out: Path, waiting: Callable[[], None] | None) -> Iterator[None]:
    """One build at a time per output folder: an exclusive lock on the folder's parent (a lock
    on the folder itself would be swapped away with it). Unix only; elsewhere builds do not wait."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    parent = out.parent
    try:
        fd = os.open(parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise OutputError(f"cannot open {parent}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _staging(out: Path) -> tuple[Path, Path]:
    return out.parent / f".{out.name}.obsgen-staging", out.parent / f".{out.name}.obsgen-previous"


def _is_real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _remove(path: Path) -> None:
    """Remove obsgen's own staging leftover: a real folder with what is in it (links inside are
    removed as links, never followed), or whatever else stands at that name."""
    if _is_real_dir(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def recover(out: Path) -> None:
    """Undo what a build killed mid-swap left behind."""
    stage, previous = _staging(out)
    if _is_real_dir(previous) and not os.path.lexists(out):
        os.rename(previous, out)
    for leftover in (stage, previous):
        _remove(leftover)


# ----------------------------------------------------------------------------- writing

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


def write_tree(out: Path, files: dict[str, str], waiting: Callable[[], None] | None = None) -> Changes:
    """Write `files` ({relative path: text}) to `out` atomically. Raises OutputError (the folder is
    left as it was) when a path is unsafe or the disk refuses; `waiting` is called when another
    build holds the folder."""
    bad = [rel for rel in files if not safe_relpath(rel) or rel == MANIFEST]
    if bad:
        raise OutputError(f"{bad[0]!r} is not a path inside the output folder")  # a target's bug, never a user's
    for folder in (out.parent, *out.parent.parents):
        if os.path.lexists(folder):
            if not folder.is_dir():
                raise OutputError(f"cannot write {out}: {folder} is a file, not a folder")
            break
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {out.parent}: {exc.strerror or exc}") from None
    with _locked(out, waiting):
        try:
            return _write_locked(out, files)
        except OSError as exc:
            where = f" {exc.filename}" if exc.filename else ""
            raise OutputError(f"cannot write{where}: {exc.strerror or exc}; {out} was left as it was") from None


def _write_locked(out: Path, files: dict[str, str]) -> Changes:
    recover(out)
    if os.path.islink(out):
        raise OutputError(f"{out} is a symbolic link; obsgen writes only into a real folder")
    if os.path.lexists(out) and not _is_real_dir(out):
        raise OutputError(f"{out} exists and is not a folder")
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
    try:
        os.rename(stage, out)
    except BaseException:  # the old tree back where it was, so that the error's "left as it was" holds
        if _is_real_dir(previous) and not os.path.lexists(out):
            os.rename(previous, out)
        shutil.rmtree(stage, ignore_errors=True)
        raise
    if previous.exists():
        shutil.rmtree(previous)
    return changes


def _stage(out: Path, stage: Path, files: dict[str, str], changes: Changes) -> None:
    if out.exists():
        shutil.copytree(out, stage, symlinks=True)
    else:
        stage.mkdir()
    # The copy has the same links as the output folder: none may be on a path obsgen touches.
    _refuse_links(stage, sorted(files) + changes.removed + [MANIFEST])
    for rel in changes.removed:
        (stage / rel).unlink(missing_ok=True)
        _prune_empty_dirs(stage, Path(rel).parent)
    for rel, text in files.items():
        _write_file(stage, rel, text)
    _write_file(stage, MANIFEST, manifest_text(files))


def _write_file(root: Path, rel: str, text: str) -> None:
    parent = root
    for part in PurePosixPath(rel).parts[:-1]:
        parent = parent / part
        try:
            os.mkdir(parent)
        except FileExistsError:
            if not _is_real_dir(parent):
                raise OutputError(f"{parent} is in the way of {rel}: it is not a folder") from None
    # O_NOFOLLOW: even a link that appeared after the checks is not written through.
    fd = os.open(root / rel, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def _prune_empty_dirs(root: Path, rel: Path) -> None:
    while str(rel) not in ("", "."):
        d = root / rel
        try:
            d.rmdir()
        except OSError:
            return
        rel = rel.parent
