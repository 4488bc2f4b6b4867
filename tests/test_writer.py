"""Writing output: atomic swap, a manifest, pruning only what obsgen wrote."""
import os

from obsgen.write.tree import MANIFEST, diff_tree, owned_files, recover, write_tree


def test_writing_creates_files_and_a_manifest_of_them(tmp_path):
    out = tmp_path / "out"
    changes = write_tree(out, {"a/x.yml": "x\n", "b.json": "{}\n"})
    assert (out / "a" / "x.yml").read_text() == "x\n"
    assert owned_files(out) == {"a/x.yml", "b.json"}
    assert sorted(changes.added) == sorted(["a/x.yml", "b.json", MANIFEST])


def test_a_file_the_spec_no_longer_produces_is_removed_but_files_people_put_there_stay(tmp_path):
    out = tmp_path / "out"
    write_tree(out, {"a/x.yml": "x\n", "a/y.yml": "y\n"})
    (out / "a" / "notes.txt").write_text("mine")
    (out / "README").write_text("mine too")
    changes = write_tree(out, {"a/x.yml": "x2\n"})
    assert changes.removed == ["a/y.yml"] and "a/x.yml" in changes.changed
    assert not (out / "a" / "y.yml").exists()
    assert (out / "a" / "notes.txt").read_text() == "mine"
    assert (out / "README").read_text() == "mine too"


def test_empty_folders_left_by_pruning_are_removed(tmp_path):
    out = tmp_path / "out"
    write_tree(out, {"old/deep/x.yml": "x\n", "keep.yml": "k\n"})
    write_tree(out, {"keep.yml": "k\n"})
    assert not (out / "old").exists()


def test_an_unchanged_build_touches_nothing(tmp_path):
    out = tmp_path / "out"
    write_tree(out, {"x.yml": "x\n"})
    stamp = os.stat(out / "x.yml").st_mtime_ns
    assert not write_tree(out, {"x.yml": "x\n"}).any
    assert os.stat(out / "x.yml").st_mtime_ns == stamp


def test_diff_tree_reports_without_writing(tmp_path):
    out = tmp_path / "out"
    write_tree(out, {"x.yml": "x\n", "y.yml": "y\n"})
    changes = diff_tree(out, {"x.yml": "changed\n", "z.yml": "z\n"})
    assert set(changes.changed) == {"x.yml", MANIFEST}
    assert "z.yml" in changes.added and changes.removed == ["y.yml"]
    assert (out / "x.yml").read_text() == "x\n"


def test_a_build_killed_between_the_two_renames_is_rolled_back_on_the_next_run(tmp_path):
    out = tmp_path / "out"
    write_tree(out, {"x.yml": "old\n"})
    # Simulate the crash window: the old tree moved aside, the new one not yet in place.
    os.rename(out, tmp_path / ".out.obsgen-previous")
    (tmp_path / ".out.obsgen-staging").mkdir()
    recover(out)
    assert (out / "x.yml").read_text() == "old\n"
    assert not (tmp_path / ".out.obsgen-previous").exists()
    assert not (tmp_path / ".out.obsgen-staging").exists()


def test_output_uses_lf_line_endings(tmp_path):
    out = tmp_path / "out"
    write_tree(out, {"x.yml": "a\nb\n"})
    assert b"\r" not in (out / "x.yml").read_bytes()


def test_yaml_written_from_many_threads_at_once_is_the_same_as_written_alone():
    # obsgen check serialises files from a thread pool; one YAML emitter shared between threads
    # interleaved their events and stayed broken for every dump after (CI, not every run here).
    from concurrent.futures import ThreadPoolExecutor

    from obsgen.core.serialise import to_commented_yaml, to_yaml

    docs = [{"groups": [{"name": f"g{i}-{j}", "rules": [
        {"alert": f"A{k}", "expr": "up == 0", "labels": {"severity": "page"}} for k in range(100)]}
        for j in range(2)]} for i in range(8)]
    for dump, rounds in ((to_yaml, 5), (to_commented_yaml, 1)):
        alone = [dump(d) for d in docs]
        for _ in range(rounds):
            with ThreadPoolExecutor(8) as pool:
                assert list(pool.map(dump, docs * 3)) == alone * 3
    assert to_yaml({"a": 1}) == "a: 1\n"


def test_a_dump_that_fails_does_not_break_the_next_one():
    from obsgen.core.serialise import to_yaml

    class Unwritable:
        pass

    import pytest
    from ruamel.yaml.representer import RepresenterError

    with pytest.raises(RepresenterError):
        to_yaml({"a": [1, Unwritable()]})
    assert to_yaml({"b": [1, 2]}) == "b:\n- 1\n- 2\n"
