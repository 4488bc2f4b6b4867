"""A build interrupted at any moment (SIGINT, SIGTERM, SIGKILL) leaves the previous output exactly
as it was: real `obsgen build` processes are killed at delays spread over the whole run."""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from obsgen.write.tree import MANIFEST

ROOT = Path(__file__).parents[1]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _build(specs: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "obsgen", "build", str(specs), "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The reference spec built once into out/ (with a file a person put there), and a changed
    spec whose build rewrites dozens of files."""
    root = tmp_path_factory.mktemp("kill")
    old, new = root / "old", root / "new"
    shutil.copytree(ROOT / "specs", old)
    shutil.copytree(ROOT / "specs", new)
    text = (new / "global.yaml").read_text()
    (new / "global.yaml").write_text(text.replace("scrape_interval: 15s", "scrape_interval: 20s")
                                     .replace("cluster: waardhaven-prod", "cluster: waardhaven-prod-2"))
    out = root / "out"
    subprocess.run([sys.executable, "-m", "obsgen", "build", str(old), "--out", str(out)], check=True,
                   capture_output=True)
    (out / "NOTES.md").write_text("a file a person keeps beside the output\n")
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "obsgen", "build", str(new), "--out", str(root / "timing")], check=True,
                   capture_output=True)
    seconds = time.monotonic() - start
    after = {**_tree(root / "timing"), "NOTES.md": (out / "NOTES.md").read_bytes()}
    return {"new": new, "out": out, "before": _tree(out), "after": after, "seconds": seconds}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name)
def test_a_build_killed_at_any_moment_leaves_the_previous_output_exactly_as_it_was(project, sig):
    out, before = project["out"], project["before"]
    steps = 12
    for i in range(steps):
        # Delays from the first instant to past the end of a build, so some kills land while the
        # tree is staged and swapped.
        delay = project["seconds"] * 1.2 * i / (steps - 1)
        proc = _build(project["new"], out)
        time.sleep(delay)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        assert b"Traceback" not in err, err.decode()
        got = _tree(out)
        if got == before:
            assert proc.returncode != 0, "the build ended well but left the old tree"
            continue
        # Otherwise the swap had happened (the build may have been killed while clearing up
        # after it): the new tree, whole. Put the old one back for the next kill.
        assert got == project["after"], f"{sig.name} after {delay:.2f}s left a tree that is neither old nor new"
        shutil.rmtree(out)
        for rel, data in before.items():
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            (out / rel).write_bytes(data)
    # Whatever a killed run left beside the output (a staging folder) is cleared by the next run,
    # which then writes the new tree whole.
    done = subprocess.run([sys.executable, "-m", "obsgen", "build", str(project["new"]), "--out", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".out.")] == []
    assert (out / "NOTES.md").read_text() == "a file a person keeps beside the output\n"
    assert _tree(out)[MANIFEST] != before[MANIFEST]
