"""`obsgen diff`: what changes between two built trees, object by object.

A tree is {path relative to the output folder: text}: what `api.generate` returns, and what
`read_tree` reads from a built folder. `objects` reads each file into objects keyed by identity,
`compare.diff_trees` compares them as parsed data (so reordering, moving a rule to another file or
re-wrapping an expression is no difference), `risk` flags the changes that make monitoring
quieter, and `report` prints the result as text, markdown or JSON.

Everything is pure except `read_tree`, `build_at_ref` and `run_diff`, which read the disk and git.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from obsgen.api import DEFAULT_SPECS, generate, load_project
from obsgen.features.diff.compare import diff_trees
from obsgen.features.diff.model import KINDS, Change, DiffError, Report
from obsgen.features.diff.objects import objects
from obsgen.features.diff.report import format_report
from obsgen.load.yaml import MAX_FILE_BYTES
from obsgen.write.tree import MANIFEST, OutputError, read_inside, read_manifest


def read_tree(root: Path) -> dict[str, str]:
    """A built folder as {relative path: text}: the files its manifest lists (those present), or,
    without a manifest, every file not hidden. A committed folder is not trusted: only paths
    inside it are read, and a symbolic link in it is an error, never followed."""
    if not root.is_dir():
        raise DiffError(f"{root} is not a folder: nothing built to compare against")
    listed, _ = read_manifest(root)
    names = sorted(listed)
    if not os.path.lexists(root / MANIFEST):
        names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                       if (p.is_file() or p.is_symlink())
                       and not any(s.startswith(".") for s in p.relative_to(root).parts))
    out = {}
    for rel in names:
        try:
            data = read_inside(root, rel, MAX_FILE_BYTES)
        except OutputError as exc:
            raise DiffError(str(exc)) from None
        if data is not None:
            try:
                out[rel] = data.decode("utf-8")
            except UnicodeDecodeError:
                raise DiffError(f"{root / rel} is not UTF-8 text") from None
    return out


def build(spec_paths: list[Path], where: str = "") -> dict[str, str]:
    """The tree the spec at `spec_paths` compiles to; DiffError when it has errors."""
    project = load_project(spec_paths)
    if not project.ok:
        raise DiffError(f"the spec{where} has errors", project.diagnostics)
    return generate(project)


def _git(args: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise DiffError(f"cannot run git: {exc}") from None
    if done.returncode != 0:
        raise DiffError(f"git {' '.join(args)}: {done.stderr.strip() or 'failed'}")
    return done.stdout.strip()


def build_at_ref(spec_paths: list[Path], ref: str, cwd: Path | None = None) -> dict[str, str]:
    """The tree the spec compiled to at git `ref`: the repository is checked out at that ref in a
    temporary worktree, built in memory, and the worktree removed, whatever happens. Spec paths
    that did not exist yet at `ref` build to nothing."""
    here = (cwd or Path.cwd()).resolve()
    top = Path(_git(["rev-parse", "--show-toplevel"], here)).resolve()
    try:
        commit = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top)
    except DiffError:
        raise DiffError(f"{ref!r} is not a commit in {top} (in CI, fetch it: actions/checkout with "
                        f"fetch-depth: 0)") from None
    rels = []
    for p in spec_paths:
        full = (here / p).resolve()
        try:
            rels.append(full.relative_to(top))
        except ValueError:
            raise DiffError(f"{p} is outside the git repository at {top}") from None
    with tempfile.TemporaryDirectory(prefix="obsgen-diff-") as tmp:
        tree = Path(tmp) / "base"
        _git(["worktree", "add", "--detach", "--quiet", str(tree), commit], top)
        try:
            paths = [tree / r for r in rels if (tree / r).exists()]
            return build(paths, f" at {ref}") if paths else {}
        finally:
            try:
                _git(["worktree", "remove", "--force", str(tree)], top)
            except DiffError:
                pass
            try:
                _git(["worktree", "prune"], top)
            except DiffError:
                pass


def run_diff(spec_paths: list[Path] | None = None, against: Path | None = None,
             base: str | None = None, generated: Path = Path("generated"),
             cwd: Path | None = None) -> Report:
    """`obsgen diff`: the spec now against the built folder `generated` (default), against any
    built folder (`against`), or against the spec at git ref `base`. Raises DiffError."""
    if against is not None and base is not None:
        raise DiffError("give --against or --base, not both")
    here = cwd or Path.cwd()
    given = spec_paths or [Path(DEFAULT_SPECS)]
    new = build(given if cwd is None else [here / p for p in given])
    if base is not None:
        old = build_at_ref(given, base, here)
    else:
        folder = against if against is not None else generated
        old = read_tree(folder if folder.is_absolute() else here / folder)
    return diff_trees(old, new)


__all__ = ["KINDS", "Change", "DiffError", "Report", "build", "build_at_ref", "diff_trees", "format_report",
           "objects", "read_tree", "run_diff"]
