"""The output folders obsgen refuses to manage (write/tree.check_output_folder) and the links it
refuses to write through (_refuse_links), tested in-process so mutation testing sees them;
tests/test_trust_boundary.py runs the same refusals through the CLI.

Every refusal is matched as the whole message: a changed condition, comparison or message branch
either refuses something accepted here, accepts something refused, or says another message.

The second half tests the writing itself in-process (safe paths, reads inside the folder, the
manifest, pruning, staging, the swap and what a failure at each step leaves behind); the kill,
trust-boundary and e2e suites run the same through the CLI, out of mutation testing's sight."""
import codecs
import errno
import hashlib
import json
import os
import re
import shutil
import signal
import stat
from contextlib import contextmanager
from pathlib import Path

import pytest

from obsgen.write import tree
from obsgen.write.tree import (
    MANIFEST,
    OutputError,
    _describe_link,
    _exchange,
    _git_top,
    _inside,
    _links_in_the_way,
    _prunable,
    _prune_empty_dirs,
    _refuse_links,
    _remove,
    _write_file,
    check_output_folder,
    diff_tree,
    manifest_text,
    read_inside,
    read_manifest,
    recover,
    safe_relpath,
    write_tree,
)

OWN = "; give an output folder of its own, e.g. --out generated"
IN_REPO = "; give an output folder inside it, e.g. --out generated"
SPEC_DIR = "; generated files would be read as specs (and specs pruned): give an output folder apart from it"
LINK = "; obsgen writes only into a real folder: give the folder the link points to with --out, or remove the link"
LINKS = (": obsgen writes only real files and folders inside the output folder and never through a link; "
         "remove the link(s), nothing was written")


@pytest.fixture
def base(tmp_path, monkeypatch):
    """A temporary folder outside any repository, HOME inside it, and the process working folder
    set apart (`elsewhere`), so a test shows which folder `cwd` names."""
    root = tmp_path.resolve()
    assert _git_top(root) is None, "these tests need a temporary folder outside any git repository"
    for name in ("home", "elsewhere", "work"):
        (root / name).mkdir()
    monkeypatch.setenv("HOME", str(root / "home"))
    monkeypatch.chdir(root / "elsewhere")
    return root


def repo_at(folder: Path, git_file: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if git_file:  # a worktree or submodule: .git is a file naming the real git folder
        (folder / ".git").write_text("gitdir: /somewhere/else\n")
    else:
        (folder / ".git").mkdir()
    return folder


def refuses(message: str, out, cwd=None, specs=()) -> None:
    with pytest.raises(OutputError, match=f"^{re.escape(message)}$"):
        check_output_folder(Path(out), [Path(s) for s in specs], cwd=cwd)


def accepts(out, cwd=None, specs=()) -> None:
    assert check_output_folder(Path(out), [Path(s) for s in specs], cwd=cwd) is None


# ----------------------------------------------------------------------------- helpers

def test_inside_means_the_same_folder_or_below_it_never_a_name_prefix():
    assert _inside(Path("/a/b"), Path("/a/b"))
    assert _inside(Path("/a/b/c"), Path("/a/b"))
    assert _inside(Path("/a/b/c"), Path("/"))
    assert not _inside(Path("/a"), Path("/a/b"))
    assert not _inside(Path("/a/bc"), Path("/a/b"))
    assert not _inside(Path("/x/b"), Path("/a/b"))


def test_git_top_is_the_nearest_folder_with_a_git_entry_at_or_above_the_start(base):
    assert _git_top(base / "work") is None
    outer = repo_at(base / "outer")
    inner = repo_at(outer / "vendor" / "inner", git_file=True)
    assert _git_top(outer) == outer
    assert _git_top(outer / "a" / "not-yet") == outer
    assert _git_top(inner) == inner
    assert _git_top(inner / "deep") == inner


# ----------------------------------------------------------------------------- the file-system root and home

@pytest.mark.parametrize("out", ["/", "../../../../../../../../../../../../../../../../.."])
def test_the_file_system_root_is_refused(base, out):
    refuses(f"{Path(out)} is the file-system root{OWN}", out, cwd=base / "work")


def test_the_home_folder_is_refused(base):
    refuses(f"{base / 'home'} is the home folder{OWN}", base / "home", cwd=base / "work")


def test_the_home_folder_is_compared_resolved_when_home_is_a_link(base, monkeypatch):
    (base / "home-link").symlink_to(base / "home")
    monkeypatch.setenv("HOME", str(base / "home-link"))
    refuses(f"{base / 'home'} is the home folder{OWN}", base / "home", cwd=base / "work")


def test_the_home_folder_reached_through_a_link_above_the_working_folder_is_refused(base):
    (base / "alias").symlink_to(base)  # above the working folder: not a refusal of its own
    out = base / "alias" / "home"
    refuses(f"{out} is the home folder{OWN}", out, cwd=base / "work")


def test_a_folder_inside_the_home_folder_is_accepted(base):
    accepts(base / "home" / "generated", cwd=base / "work")
    accepts("generated", cwd=base / "home")


def test_without_home_set_the_home_folder_is_not_refused_on_that_ground(base, monkeypatch):
    monkeypatch.delenv("HOME")
    # Path.home() would still find a home folder (the password database); pin it to one here.
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: base / "home"))
    accepts(base / "home", cwd=base / "work")


# ----------------------------------------------------------------------------- repositories

def test_the_repository_root_as_the_output_is_refused(base):
    repo = repo_at(base / "repo")
    refuses(f". is the repository at {repo}{IN_REPO}", ".", cwd=repo)


def test_a_repository_is_found_from_the_output_folder_too(base):
    repo = repo_at(base / "repo")  # the working folder is no repository: only the output finds it
    refuses(f"{repo} is the repository at {repo}{IN_REPO}", repo, cwd=base / "work")


def test_the_repository_above_the_working_folder_is_found(base):
    repo = repo_at(base / "repo")
    (repo / "a" / "b").mkdir(parents=True)
    refuses(f"../.. is the repository at {repo}{IN_REPO}", "../..", cwd=repo / "a" / "b")


def test_an_output_containing_the_repository_is_refused(base):
    repo = repo_at(base / "parent" / "repo")
    refuses(f".. contains the repository at {repo}{IN_REPO}", "..", cwd=repo)


@pytest.mark.parametrize("cwd, out", [("repo", "generated"), ("repo/sub", "../deeper/generated"),
                                      ("work", "../repo/sub")])
def test_a_folder_inside_a_repository_is_accepted(base, cwd, out):
    repo = repo_at(base / "repo")
    (repo / "sub").mkdir()
    accepts(out, cwd=base / cwd)


# ----------------------------------------------------------------------------- the working folder

def test_an_output_containing_the_working_folder_is_refused(base):
    (base / "work" / "sub").mkdir()
    refuses(f".. contains the working folder{OWN}", "..", cwd=base / "work" / "sub")


def test_the_working_folder_itself_is_accepted_when_it_is_no_repository_root(base):
    accepts(".", cwd=base / "work")
    accepts(base / "work", cwd=base / "work")


def test_the_working_folder_is_compared_resolved_when_reached_through_a_link(base):
    (base / "alias").symlink_to(base)  # above the working folder: not a refusal of its own
    (base / "work" / "sub").mkdir()
    accepts(base / "work", cwd=base / "alias" / "work")
    refuses(f"{base / 'work'} contains the working folder{OWN}", base / "work", cwd=base / "alias" / "work" / "sub")


def test_a_relative_output_is_resolved_against_cwd_not_the_process_working_folder(base, monkeypatch):
    repo = repo_at(base / "repo")
    monkeypatch.chdir(repo)
    accepts(".", cwd=base / "work")
    accepts("generated", cwd=base / "work")
    refuses(f". is the repository at {repo}{IN_REPO}", ".", cwd=repo)


def test_without_cwd_the_process_working_folder_is_used(base, monkeypatch):
    repo = repo_at(base / "repo")
    monkeypatch.chdir(repo)
    refuses(f". is the repository at {repo}{IN_REPO}", ".")
    accepts("generated")


# ----------------------------------------------------------------------------- symbolic links

@pytest.mark.parametrize("inside_cwd", [True, False])
def test_a_link_as_the_output_folder_is_refused_naming_its_target(base, inside_cwd):
    (base / "target").mkdir()
    where = base / "work" if inside_cwd else base / "elsewhere"
    (where / "gen").symlink_to("../target")
    out = "gen" if inside_cwd else where / "gen"
    refuses(f"{where / 'gen'} is a symbolic link (to ../target){LINK}", out, cwd=base / "work")


@pytest.mark.parametrize("out, link", [("build/generated", "build"), ("a/build/generated/x", "a/build")])
def test_a_link_on_the_way_inside_the_working_folder_is_refused(base, out, link):
    (base / "target").mkdir()
    (base / "work" / link).parent.mkdir(parents=True, exist_ok=True)
    (base / "work" / link).symlink_to(base / "target")
    refuses(f"{base / 'work' / link} is a symbolic link (to {base / 'target'}){LINK}", out, cwd=base / "work")


@pytest.mark.parametrize("cwd, out", [
    ("alias/work", "generated"),            # a link above the working folder
    ("work-link", "generated"),             # the working folder itself is a link
    ("work", "../alias/elsewhere/gen"),     # a link on the way to an output outside the working folder
])
def test_links_at_or_above_the_working_folder_are_not_checked(base, cwd, out):
    (base / "alias").symlink_to(base)
    (base / "work-link").symlink_to(base / "work")
    accepts(out, cwd=base / cwd)


# ----------------------------------------------------------------------------- spec folders and files

def test_an_output_that_is_the_spec_folder_is_refused(base):
    (base / "work" / "specs").mkdir()
    refuses(f"specs is the spec folder specs{SPEC_DIR}", "specs", cwd=base / "work", specs=["specs"])


def test_an_output_inside_the_spec_folder_is_refused(base):
    (base / "work" / "specs").mkdir()
    refuses(f"specs/generated sits inside the spec folder specs{SPEC_DIR}", "specs/generated",
            cwd=base / "work", specs=["specs"])


def test_an_output_containing_the_spec_folder_is_refused(base):
    (base / "work" / "build" / "specs").mkdir(parents=True)
    refuses(f"build contains the spec folder build/specs{SPEC_DIR}", "build", cwd=base / "work",
            specs=["build/specs"])


def test_an_output_containing_a_spec_file_is_refused(base):
    (base / "work" / "gen").mkdir()
    (base / "work" / "gen" / "app.yaml").write_text("service: x\n")
    refuses("gen contains the spec file gen/app.yaml; give an output folder apart from it", "gen",
            cwd=base / "work", specs=["gen/app.yaml"])


def test_every_spec_path_is_checked_not_only_the_first(base):
    (base / "work" / "specs").mkdir()
    (base / "work" / "more").mkdir()
    refuses(f"more/gen sits inside the spec folder more{SPEC_DIR}", "more/gen", cwd=base / "work",
            specs=["specs", "more"])


def test_spec_folders_and_files_beside_the_output_are_accepted(base):
    work = base / "work"
    (work / "specs").mkdir()
    (work / "gen-specs").mkdir()
    (work / "generated.yaml").write_text("service: x\n")
    (work / "specs" / "app.yaml").write_text("service: x\n")
    accepts("generated", cwd=work, specs=["specs", "gen-specs", "generated.yaml", "specs/app.yaml"])
    accepts("gen", cwd=work, specs=["gen-specs", "generated.yaml"])


# ----------------------------------------------------------------------------- links in the way of files to write

def test_describe_link_names_the_link_and_its_target_or_a_question_mark(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to("real")
    assert _describe_link(tmp_path, "link") == f"{tmp_path / 'link'} is a symbolic link (to real)"
    assert _describe_link(tmp_path, "real") == f"{tmp_path / 'real'} is a symbolic link (to ?)"
    assert _describe_link(tmp_path, "missing") == f"{tmp_path / 'missing'} is a symbolic link (to ?)"


def test_without_links_in_the_way_nothing_is_refused(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.yml").write_text("x\n")
    rels = ["a/b/x.yml", "a/new/y.yml", "z.json"]
    assert _links_in_the_way(tmp_path, rels) == []
    assert _refuse_links(tmp_path, rels) is None


def test_links_in_the_way_are_named_once_each_in_order(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "c").mkdir()
    (tmp_path / "zz").symlink_to("elsewhere")
    (tmp_path / "c" / "d").symlink_to("../elsewhere")
    (tmp_path / "f.yml").symlink_to("elsewhere/f.yml")  # a file link, dangling
    rels = ["zz/x.yml", "zz/y/z.yml", "c/d/x.yml", "c/real.yml", "f.yml", "new/x.yml"]
    assert _links_in_the_way(tmp_path, rels) == ["c/d", "f.yml", "zz"]
    expected = (f"{tmp_path / 'c/d'} is a symbolic link (to ../elsewhere); "
                f"{tmp_path / 'f.yml'} is a symbolic link (to elsewhere/f.yml); "
                f"{tmp_path / 'zz'} is a symbolic link (to elsewhere){LINKS}")
    with pytest.raises(OutputError, match=f"^{re.escape(expected)}$"):
        _refuse_links(tmp_path, rels)


@pytest.mark.parametrize("count, more", [(5, ""), (6, " (and 1 more)"), (8, " (and 3 more)")])
def test_at_most_five_links_are_shown_and_the_rest_counted(tmp_path, count, more):
    names = [f"link{i}" for i in range(count)]
    for name in names:
        (tmp_path / name).symlink_to(f"target-{name}")
    rels = [f"{name}/file.yml" for name in reversed(names)]
    shown = "; ".join(f"{tmp_path / name} is a symbolic link (to target-{name})" for name in names[:5])
    with pytest.raises(OutputError, match=f"^{re.escape(shown + more + LINKS)}$"):
        _refuse_links(tmp_path, rels)


# ============================================================================= writing the tree, in-process
# safe paths, reading inside the folder, the manifest, pruning, staging and the swap. The CLI suites
# (kill, trust boundary, e2e) run these through a subprocess, which mutation testing cannot see.

NOT_FOLLOWED = ": obsgen does not follow links in an output folder; remove it"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


class Blocked(Exception):
    """Raised by the alarm in `deadline`: a call that must return at once was still waiting."""


@contextmanager
def deadline(seconds: float):
    def expire(signum, frame):
        raise Blocked(f"still blocked after {seconds}s")
    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.obsgen-"))


def tree_of(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


# ----------------------------------------------------------------------------- safe_relpath

@pytest.mark.parametrize("rel", [
    "x.yml", "a/b/c.yml", ".hidden", "a/.b", "a..b", "...", "a b.yml", "a/b c/d", "é/ü.yml", "a\x80b", "a\x9fb",
    "ab:c", "a/b:c", "x" * 4096, "a/" * 2047 + "bc",
])
def test_safe_relpath_accepts_plain_relative_paths(rel):
    assert len(rel) <= 4096
    assert safe_relpath(rel) is True


@pytest.mark.parametrize("rel", [
    "", None, 5, 1.5, b"x.yml", ["x.yml"], "x" * 4097, "a/" * 2048 + "b",
    "/abs", "/", "a\\b", "\\", "a\x00b", "a\x01b", "a\nb", "a\tb", "\x1f", "a\x7fb",
    "a//b", "a/", "//x", ".", "./a", "a/./b", "a/.", "..", "../a", "a/../b", "a/..",
    "c:", "c:x", "C:/x", "c:\\x",
])
def test_safe_relpath_refuses_anything_that_could_leave_the_folder(rel):
    assert safe_relpath(rel) is False


# ----------------------------------------------------------------------------- read_inside

def test_read_inside_reads_a_regular_file_and_nothing_where_there_is_none(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.yml").write_bytes(b"x\n")
    (tmp_path / "f").write_text("f")
    assert read_inside(tmp_path, "a/x.yml") == b"x\n"
    assert read_inside(tmp_path, "a/missing.yml") is None
    assert read_inside(tmp_path, "missing/x.yml") is None
    assert read_inside(tmp_path, "f/x.yml") is None  # a file where a folder would be


@pytest.mark.parametrize("rel", ["../x", "/etc/passwd", "a//b", ""])
def test_read_inside_refuses_a_path_outside_the_folder(tmp_path, rel):
    with pytest.raises(OutputError, match=exactly(f"{rel!r} is not a path inside {tmp_path}")):
        read_inside(tmp_path, rel)


def test_read_inside_refuses_a_folder_link_on_the_way(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "x.yml").write_text("x\n")
    (tmp_path / "d").symlink_to("real")
    with pytest.raises(OutputError, match=exactly(f"{tmp_path / 'd'} is a symbolic link (to real){NOT_FOLLOWED}")):
        read_inside(tmp_path, "d/x.yml")


def test_read_inside_never_opens_a_link_even_one_the_path_check_missed(tmp_path, monkeypatch):
    # A link that appears between the check and the open: O_NOFOLLOW refuses it (ELOOP).
    (tmp_path / "real.yml").write_text("theirs\n")
    (tmp_path / "x.yml").symlink_to("real.yml")
    monkeypatch.setattr(tree, "link_on_path", lambda root, rel: None)
    said = f"{tmp_path / 'x.yml'} is a symbolic link (to real.yml){NOT_FOLLOWED}"
    with pytest.raises(OutputError, match=exactly(said)):
        read_inside(tmp_path, "x.yml")


def test_read_inside_says_why_a_file_cannot_be_opened(tmp_path, monkeypatch):
    (tmp_path / "x.yml").write_text("x\n")
    real_open = os.open

    def refuse(path, flags, *args, **kwargs):
        if Path(path) == tmp_path / "x.yml":
            raise OSError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(OutputError, match=exactly(f"cannot read {tmp_path / 'x.yml'}: Permission denied")):
        read_inside(tmp_path, "x.yml")


def test_read_inside_refuses_a_folder_where_a_file_is_read(tmp_path):
    (tmp_path / "x.yml").mkdir()
    with pytest.raises(OutputError, match=exactly(f"{tmp_path / 'x.yml'} is not a regular file")):
        read_inside(tmp_path, "x.yml")


def test_read_inside_refuses_a_fifo_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "x.yml")
    with deadline(60), pytest.raises(OutputError, match=exactly(f"{tmp_path / 'x.yml'} is not a regular file")):
        read_inside(tmp_path, "x.yml")


@pytest.mark.parametrize("size, limit", [(0, 0), (4, 5), (5, 5), (1, None), (70000, None)])
def test_read_inside_returns_the_whole_file_up_to_the_limit(tmp_path, size, limit):
    data = bytes(i % 251 for i in range(size))
    (tmp_path / "x").write_bytes(data)
    assert read_inside(tmp_path, "x", limit) == data


@pytest.mark.parametrize("size, limit", [(1, 0), (6, 5), (7, 5), (100, 5)])
def test_read_inside_refuses_a_file_over_the_limit(tmp_path, size, limit):
    (tmp_path / "x").write_bytes(b"y" * size)
    with pytest.raises(OutputError, match=exactly(f"{tmp_path / 'x'} is larger than {limit} bytes")):
        read_inside(tmp_path, "x", limit)


# ----------------------------------------------------------------------------- the manifest

def test_manifest_text_is_the_sorted_digests_indented_by_two(tmp_path):
    text = manifest_text({"b/y.yml": "y\n", "a.yml": "a\n", "é.yml": "é\n"})
    a, y, e = sha("a\n"), sha("y\n"), sha("é\n")
    assert text == ('{\n'
                    '  "generator": "obsgen",\n'
                    '  "files": {\n'
                    f'    "a.yml": "{a}",\n'
                    f'    "b/y.yml": "{y}",\n'
                    f'    "\\u00e9.yml": "{e}"\n'
                    '  }\n'
                    '}\n')
    assert manifest_text({}) == '{\n  "generator": "obsgen",\n  "files": {}\n}\n'


def write_manifest(out: Path, doc) -> None:
    out.mkdir(exist_ok=True)
    (out / MANIFEST).write_text(doc if isinstance(doc, str) else json.dumps(doc))


def test_read_manifest_of_a_folder_without_one_lists_nothing(tmp_path):
    assert read_manifest(tmp_path) == ({}, [])
    assert read_manifest(tmp_path / "missing") == ({}, [])


@pytest.mark.parametrize("text, why", [
    ("not json", "not JSON; nothing pruned"),
    ("\udcff", "not JSON; nothing pruned"),
    ("[1, 2]", "no `files` mapping; nothing pruned"),
    ('"files"', "no `files` mapping; nothing pruned"),
    ('{"generator": "obsgen"}', "no `files` mapping; nothing pruned"),
    ('{"files": ["a.yml"]}', "no `files` mapping; nothing pruned"),
])
def test_a_manifest_that_is_not_one_lists_nothing_and_says_why(tmp_path, text, why):
    (tmp_path / MANIFEST).write_bytes(text.encode("utf-8", "surrogateescape"))
    assert read_manifest(tmp_path) == ({}, [f"{MANIFEST}: {why}"])


def test_a_manifest_over_the_size_limit_lists_nothing(tmp_path, monkeypatch):
    assert tree.MAX_MANIFEST_BYTES == 16 * 1024 * 1024
    write_manifest(tmp_path, {"files": {"a.yml": sha("a\n")}})
    size = (tmp_path / MANIFEST).stat().st_size
    monkeypatch.setattr(tree, "MAX_MANIFEST_BYTES", size)
    assert read_manifest(tmp_path) == ({"a.yml": sha("a\n")}, [])
    monkeypatch.setattr(tree, "MAX_MANIFEST_BYTES", size - 1)
    assert read_manifest(tmp_path) == ({}, [f"{MANIFEST}: {tmp_path / MANIFEST} is larger than {size - 1} bytes"])


def test_a_manifest_behind_a_link_lists_nothing(tmp_path):
    (tmp_path / "real.json").write_text(json.dumps({"files": {"a.yml": sha("a\n")}}))
    (tmp_path / MANIFEST).symlink_to("real.json")
    assert read_manifest(tmp_path) == (
        {}, [f"{MANIFEST}: {tmp_path / MANIFEST} is a symbolic link (to real.json){NOT_FOLLOWED}"])


def test_read_manifest_keeps_only_plain_paths_with_a_sha256(tmp_path):
    good = sha("a\n")
    write_manifest(tmp_path, {"files": {
        "a.yml": good, "sub/b.yml": good,
        "../up.yml": good, "/abs.yml": good, "a//b.yml": good, MANIFEST: good, "c:x": good,
        "short.yml": good[:63], "long.yml": good + "0", "hex-short.yml": "abc", "upper.yml": good.upper(),
        "not-hex.yml": "g" * 64, "int.yml": 5, "null.yml": None, "list.yml": [good],
    }})
    listed, ignored = read_manifest(tmp_path)
    assert listed == {"a.yml": good, "sub/b.yml": good}
    assert ignored == [
        "'../up.yml': not a path inside the output folder", "'/abs.yml': not a path inside the output folder",
        "'a//b.yml': not a path inside the output folder", f"'{MANIFEST}': not a path inside the output folder",
        "'c:x': not a path inside the output folder",
        "short.yml: no valid digest", "long.yml: no valid digest", "hex-short.yml: no valid digest",
        "upper.yml: no valid digest", "not-hex.yml: no valid digest", "int.yml: no valid digest",
        "null.yml: no valid digest", "list.yml: no valid digest",
    ]


# ----------------------------------------------------------------------------- pruning and the diff

def test_prunable_removes_only_unchanged_regular_files_and_goes_on_after_each_one_it_leaves(tmp_path):
    (tmp_path / "a.yml").symlink_to("elsewhere.yml")     # a link: left alone, with the reason
    # b.yml listed but gone: nothing to do
    (tmp_path / "c.yml").write_text("edited\n")          # changed since obsgen wrote it
    (tmp_path / "d.yml").write_text("d\n")               # still obsgen's: pruned
    (tmp_path / "e.yml").write_text("e\n")               # still written by this build: kept
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "g.yml").write_text("g\n")         # pruned too, after everything above
    listed = {name: sha(f"{name[-5]}\n") for name in ("a.yml", "b.yml", "c.yml", "d.yml", "e.yml", "f/g.yml")}
    remove, ignored = _prunable(tmp_path, listed, {"e.yml", "x.yml"})
    assert remove == ["d.yml", "f/g.yml"]
    assert ignored == [f"a.yml: {tmp_path / 'a.yml'} is a symbolic link (to elsewhere.yml){NOT_FOLLOWED}; left alone",
                       "c.yml: changed since obsgen wrote it; left alone"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yml", "c.yml", "d.yml", "e.yml", "f"]  # reads only


def test_diff_tree_counts_a_folder_where_a_file_goes_as_changed_and_reports_all_it_ignores(tmp_path):
    out = tmp_path / "out"
    write_manifest(out, {"files": {"../evil.yml": sha("e\n"), MANIFEST: sha("m\n"), "bad.yml": "xyz",
                                   "gone.yml": sha("gone\n"), "edited.yml": sha("orig\n"), "same.yml": sha("s\n")}})
    (out / "gone.yml").write_text("gone\n")
    (out / "edited.yml").write_text("edited\n")
    (out / "same.yml").write_text("s\n")
    (out / "x.yml").mkdir()
    changes = diff_tree(out, {"x.yml": "XXXX", "new.yml": "n\n", "same.yml": "s\n"})
    assert changes.added == ["new.yml"]
    assert changes.changed == [MANIFEST, "x.yml"]
    assert changes.removed == ["gone.yml"]
    assert changes.ignored == ["'../evil.yml': not a path inside the output folder",
                               f"'{MANIFEST}': not a path inside the output folder",
                               "bad.yml: no valid digest",
                               "edited.yml: changed since obsgen wrote it; left alone"]
    assert changes.any


def test_diff_tree_of_an_up_to_date_folder_is_empty(tmp_path):
    out = tmp_path / "out"
    files = {"a/x.yml": "x\n", "y.yml": ""}
    write_tree(out, files)
    changes = diff_tree(out, files)
    assert (changes.added, changes.changed, changes.removed, changes.ignored) == ([], [], [], [])
    assert not changes.any


# ----------------------------------------------------------------------------- write_tree: what it refuses

@pytest.mark.parametrize("files, bad", [
    ({"ok.yml": "x\n", "../x.yml": "y\n"}, "../x.yml"),
    ({MANIFEST: "{}\n"}, MANIFEST),
    ({"a/../../x.yml": "y\n", "/abs.yml": "z\n"}, "a/../../x.yml"),
])
def test_write_tree_refuses_a_path_outside_the_folder_and_writes_nothing(tmp_path, files, bad):
    out = tmp_path / "out"
    with pytest.raises(OutputError, match=exactly(f"{bad!r} is not a path inside the output folder")):
        write_tree(out, files)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_write_tree_refuses_an_output_below_a_file(tmp_path):
    (tmp_path / "f").write_text("f")
    out = tmp_path / "f" / "sub" / "out"
    with pytest.raises(OutputError, match=exactly(f"cannot write {out}: {tmp_path / 'f'} is a file, not a folder")):
        write_tree(out, {"x.yml": "x\n"})


def test_write_tree_creates_missing_parent_folders(tmp_path):
    out = tmp_path / "a" / "b" / "out"
    write_tree(out, {"x.yml": "x\n"})
    assert (out / "x.yml").read_text() == "x\n"


@pytest.mark.parametrize("exc, why", [(OSError(errno.EACCES, "Permission denied"), "Permission denied"),
                                      (OSError("no strerror here"), "no strerror here")])
def test_write_tree_says_why_the_parent_cannot_be_created(tmp_path, monkeypatch, exc, why):
    def refuse(self, *args, **kwargs):
        raise exc
    monkeypatch.setattr(Path, "mkdir", refuse)
    out = tmp_path / "a" / "out"
    with pytest.raises(OutputError, match=exactly(f"cannot create {tmp_path / 'a'}: {why}")):
        write_tree(out, {"x.yml": "x\n"})


def test_write_tree_refuses_an_output_that_is_a_link(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "out").symlink_to("real")
    out = tmp_path / "out"
    with pytest.raises(OutputError, match=exactly(f"{out} is a symbolic link; obsgen writes only into a real folder")):
        write_tree(out, {"x.yml": "x\n"})
    assert list((tmp_path / "real").iterdir()) == []


def test_write_tree_refuses_an_output_that_is_a_file(tmp_path):
    out = tmp_path / "out"
    out.write_text("mine\n")
    with pytest.raises(OutputError, match=exactly(f"{out} exists and is not a folder")):
        write_tree(out, {"x.yml": "x\n"})
    assert out.read_text() == "mine\n"
    assert leftovers(out) == []


def test_a_file_in_the_way_of_a_folder_to_write_is_refused_and_the_output_left_alone(tmp_path):
    out = tmp_path / "out"
    write_tree(out, {"keep.yml": "k\n"})
    (out / "a").write_text("mine\n")
    before = tree_of(out)
    stage = tmp_path / ".out.obsgen-staging"
    with pytest.raises(OutputError, match=exactly(f"{stage / 'a'} is in the way of a/x.yml: it is not a folder")):
        write_tree(out, {"keep.yml": "k\n", "a/x.yml": "x\n"})
    assert tree_of(out) == before
    assert leftovers(out) == []


# ----------------------------------------------------------------------------- write_tree: what it writes

def test_files_are_created_rw_r_r_whatever_the_umask_allows(tmp_path):
    out = tmp_path / "out"
    old = os.umask(0)
    try:
        write_tree(out, {"a/x.yml": "x\n"})
    finally:
        os.umask(old)
    assert stat.S_IMODE((out / "a" / "x.yml").stat().st_mode) == 0o644
    assert stat.S_IMODE((out / MANIFEST).stat().st_mode) == 0o644


def test_a_shorter_file_replaces_a_longer_one_whole(tmp_path):
    out = tmp_path / "out"
    write_tree(out, {"x.yml": "a much longer first version\n"})
    write_tree(out, {"x.yml": "short\n"})
    assert (out / "x.yml").read_bytes() == b"short\n"


def test_files_are_written_as_utf8_with_lf_line_endings_whatever_the_platform(tmp_path, monkeypatch):
    opened = []
    real_fdopen = os.fdopen

    def spy(fd, mode="r", *args, **kwargs):
        fh = real_fdopen(fd, mode, *args, **kwargs)
        if "w" in mode:
            opened.append((kwargs.get("encoding"), kwargs.get("newline", None)))
        return fh

    monkeypatch.setattr(os, "fdopen", spy)
    out = tmp_path / "out"
    write_tree(out, {"x.yml": "é ✓\nb\n"})
    assert (out / "x.yml").read_bytes() == "é ✓\nb\n".encode()
    assert len(opened) == 2  # the file and the manifest
    for encoding, newline in opened:
        assert encoding is not None and codecs.lookup(encoding).name == "utf-8"
        assert newline == "\n"


def test_write_file_never_writes_through_a_link(tmp_path):
    (tmp_path / "theirs.yml").write_text("theirs\n")
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "x.yml").symlink_to("../theirs.yml")
    with pytest.raises(OSError) as caught:
        _write_file(tmp_path / "root", "x.yml", "mine\n")
    assert caught.value.errno == errno.ELOOP
    assert (tmp_path / "theirs.yml").read_text() == "theirs\n"


def test_links_people_put_in_the_output_stay_links(tmp_path):
    out = tmp_path / "out"
    write_tree(out, {"x.yml": "x\n"})
    (tmp_path / "notes.txt").write_text("notes\n")
    (out / "notes").symlink_to(tmp_path / "notes.txt")
    (out / "dangling").symlink_to("nowhere")
    write_tree(out, {"x.yml": "x2\n"})
    assert (out / "x.yml").read_text() == "x2\n"
    assert os.readlink(out / "notes") == str(tmp_path / "notes.txt")
    assert os.readlink(out / "dangling") == "nowhere"


def test_pruning_removes_emptied_folders_but_not_the_output_or_folders_still_in_use(tmp_path):
    out = tmp_path / "out"
    write_tree(out, {"a/b/c/x.yml": "x\n", "a/y.yml": "y\n", "d/z.yml": "z\n", "top.yml": "t\n"})
    changes = write_tree(out, {"a/y.yml": "y\n"})
    assert changes.removed == ["a/b/c/x.yml", "d/z.yml", "top.yml"]
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == [MANIFEST, "a", "a/y.yml"]


@pytest.mark.parametrize("rel, keep, remaining", [
    ("a/b/c", [], []),
    ("a/b/c", ["a/keep"], ["a", "a/keep"]),
    ("a/b/c", ["a/b/keep"], ["a", "a/b", "a/b/keep"]),
    ("a/b", [], ["a", "a/b", "a/b/c"]),  # a/b is not empty: nothing goes
    (".", [], ["a", "a/b", "a/b/c"]),
])
def test_prune_empty_dirs_climbs_to_the_first_folder_in_use_and_never_removes_the_root(tmp_path, rel, keep,
                                                                                       remaining):
    root = tmp_path / "root"
    (root / "a" / "b" / "c").mkdir(parents=True)
    for name in keep:
        (root / name).write_text("k")
    _prune_empty_dirs(root, Path(rel))
    assert root.is_dir()
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*")) == remaining


# ----------------------------------------------------------------------------- failures while staging and swapping

@pytest.fixture
def built(tmp_path):
    """An output folder obsgen wrote, with a file someone put there."""
    out = tmp_path / "out"
    write_tree(out, {"x.yml": "old\n", "gone.yml": "g\n"})
    (out / "notes.txt").write_text("mine\n")
    return out


NEW = {"x.yml": "new\n", "y.yml": "y\n"}


@pytest.mark.parametrize("exc, said", [
    (OSError(errno.ENOSPC, "No space left on device", "/disk/x.yml"),
     "cannot write /disk/x.yml: No space left on device"),
    (OSError(errno.ENOSPC, "No space left on device"), "cannot write: No space left on device"),
    (OSError("the disk is on fire"), "cannot write: the disk is on fire"),
])
def test_a_failed_write_while_staging_leaves_the_output_as_it_was_and_no_staging_folder(built, monkeypatch, exc, said):
    before = tree_of(built)

    def fail(root, rel, text):
        raise exc
    monkeypatch.setattr(tree, "_write_file", fail)
    with pytest.raises(OutputError, match=exactly(f"{said}; {built} was left as it was")):
        write_tree(built, NEW)
    assert tree_of(built) == before
    assert leftovers(built) == []


def test_a_failed_copy_before_the_staging_folder_exists_reports_the_copy_error(built, monkeypatch):
    before = tree_of(built)

    def fail(src, dst, **kwargs):
        raise OSError(errno.EIO, "Input/output error", str(src / "x.yml"))
    monkeypatch.setattr(shutil, "copytree", fail)
    with pytest.raises(OutputError, match=exactly(f"cannot write {built / 'x.yml'}: Input/output error; "
                                                  f"{built} was left as it was")):
        write_tree(built, NEW)
    assert tree_of(built) == before
    assert leftovers(built) == []


def test_an_interrupt_while_staging_removes_the_staging_folder_and_is_not_swallowed(built, monkeypatch):
    before = tree_of(built)

    def interrupt(root, rel, text):
        raise KeyboardInterrupt
    monkeypatch.setattr(tree, "_write_file", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_tree(built, NEW)
    assert tree_of(built) == before
    assert leftovers(built) == []


def test_exchange_swaps_two_folders(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "from-a").write_text("a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "from-b").write_text("b")
    assert _exchange(tmp_path / "a", tmp_path / "b") is True
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["from-b"]
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["from-a"]


def test_exchange_says_false_when_it_cannot(tmp_path):
    (tmp_path / "a").mkdir()
    assert _exchange(tmp_path / "a", tmp_path / "missing") is False
    assert _exchange(tmp_path / "missing", tmp_path / "a") is False
    assert (tmp_path / "a").is_dir() and not (tmp_path / "missing").exists()


def test_exchange_says_false_without_a_c_library(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "from-a").write_text("a")

    def no_library(*args, **kwargs):
        raise OSError("no C library here")
    monkeypatch.setattr(tree.ctypes, "CDLL", no_library)
    assert _exchange(tmp_path / "a", tmp_path / "b") is False
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["from-a"]


@pytest.mark.parametrize("found", ["libc.so.6", None])
def test_exchange_loads_the_c_library_found_by_name_or_else_libc_so_6(tmp_path, monkeypatch, found):
    # Only the C library's lookup answers; without an answer, libc.so.6 (glibc) is the one loaded.
    monkeypatch.setattr(tree.ctypes.util, "find_library", lambda name: found if name == "c" else "no-such-lib.so")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "from-a").write_text("a")
    assert _exchange(tmp_path / "a", tmp_path / "b") is True
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["from-a"]


@pytest.mark.parametrize("how", ["no exchange", "no C library"])
def test_without_an_atomic_exchange_two_renames_swap_the_tree_in(built, monkeypatch, how):
    def no_library(*args, **kwargs):
        raise OSError("no C library here")
    if how == "no exchange":
        monkeypatch.setattr(tree, "_exchange", lambda a, b: False)
    else:
        monkeypatch.setattr(tree.ctypes, "CDLL", no_library)
    changes = write_tree(built, NEW)
    assert (changes.added, changes.changed, changes.removed) == (["y.yml"], [MANIFEST, "x.yml"], ["gone.yml"])
    assert tree_of(built) == {MANIFEST: manifest_text(NEW), "notes.txt": "mine\n", "x.yml": "new\n", "y.yml": "y\n"}
    assert leftovers(built) == []


def test_a_first_build_without_an_exchange_renames_the_staging_folder_into_place(tmp_path, monkeypatch):
    monkeypatch.setattr(tree, "_exchange", lambda a, b: pytest.fail("nothing to exchange with"))
    out = tmp_path / "out"
    write_tree(out, NEW)
    assert tree_of(out) == {MANIFEST: manifest_text(NEW), "x.yml": "new\n", "y.yml": "y\n"}
    assert leftovers(out) == []


def _fail_renaming(monkeypatch, source: Path) -> None:
    """os.rename fails with an I/O error when it moves `source`, and works for anything else."""
    real_rename = os.rename

    def rename(src, dst):
        if Path(src) == source:
            raise OSError(errno.EIO, "Input/output error", str(src))
        real_rename(src, dst)
    monkeypatch.setattr(os, "rename", rename)


def test_a_build_failing_between_the_two_renames_puts_the_old_tree_back_at_once(built, monkeypatch):
    before = tree_of(built)
    monkeypatch.setattr(tree, "_exchange", lambda a, b: False)
    stage = built.parent / ".out.obsgen-staging"
    _fail_renaming(monkeypatch, stage)
    with pytest.raises(OutputError, match=exactly(f"cannot write {stage}: Input/output error; "
                                                  f"{built} was left as it was")):
        write_tree(built, NEW)
    assert tree_of(built) == before  # as the message says
    assert leftovers(built) == []


def test_recover_removes_leftovers_of_any_kind_without_following_links(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "keep.yml").write_text("k\n")
    (tmp_path / ".out.obsgen-staging").write_text("a file")
    (tmp_path / ".out.obsgen-previous").symlink_to("theirs")
    recover(out)
    assert leftovers(out) == []
    assert (tmp_path / "theirs" / "keep.yml").read_text() == "k\n"
    assert out.is_dir()


@pytest.mark.parametrize("kind", ["file", "link", "dangling link", "folder", "nothing"])
def test_remove_removes_whatever_stands_at_the_name(tmp_path, kind):
    path = tmp_path / "x"
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "t").write_text("t")
    if kind == "file":
        path.write_text("x")
    elif kind == "link":
        path.symlink_to("target")
    elif kind == "dangling link":
        path.symlink_to("nowhere")
    elif kind == "folder":
        (path / "sub").mkdir(parents=True)
        (path / "sub" / "link").symlink_to("../../target")
    _remove(path)
    assert not os.path.lexists(path)
    assert (tmp_path / "target" / "t").read_text() == "t"


def test_a_build_waits_for_the_one_holding_the_folder_and_says_so(tmp_path):
    fcntl = pytest.importorskip("fcntl")
    out = tmp_path / "out"
    held = os.open(tmp_path, os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)
    calls = []

    def waiting():
        calls.append("waiting")
        os.close(held)  # the other build finishes

    try:
        with deadline(60):
            write_tree(out, {"x.yml": "x\n"}, waiting=waiting)
    finally:
        if not calls:
            os.close(held)
    assert calls == ["waiting"]
    assert (out / "x.yml").read_text() == "x\n"


def test_a_first_build_whose_rename_fails_leaves_no_folder_and_says_the_rename_failed(tmp_path, monkeypatch):
    out = tmp_path / "out"
    stage = tmp_path / ".out.obsgen-staging"
    _fail_renaming(monkeypatch, stage)
    with pytest.raises(OutputError, match=exactly(f"cannot write {stage}: Input/output error; "
                                                  f"{out} was left as it was")):
        write_tree(out, NEW)
    assert not os.path.lexists(out)
    assert leftovers(out) == []
