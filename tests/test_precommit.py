"""The hooks in .pre-commit-hooks.yaml, run by the real pre-commit in a throwaway repository.

pre-commit installs obsgen from this checkout into its own virtualenv (so it needs the package
index), which takes a while: one test covers both hooks, passing and failing."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PRE_COMMIT = shutil.which("pre-commit")


def run(cmd: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.tools
@pytest.mark.skipif(PRE_COMMIT is None, reason="needs pre-commit (pip install -e '.[test]')")
@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="pre-commit try-repo needs this checkout to be a git repository")
def test_the_hooks_pass_on_a_clean_repository_and_fail_on_a_broken_or_stale_one(tmp_path):
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    repo = tmp_path / "monitoring"
    subprocess.run(["obsgen", "init", str(repo)], check=True, capture_output=True)
    subprocess.run(["obsgen", "build"], cwd=repo, check=True, capture_output=True)
    for cmd in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-qm", "spec"]):
        subprocess.run(cmd, cwd=repo, env=env, check=True, capture_output=True)

    def hook(hook_id: str) -> subprocess.CompletedProcess:
        return run([PRE_COMMIT, "try-repo", str(ROOT), hook_id, "--all-files"], repo, env)

    for hook_id in ("obsgen-validate", "obsgen-build-check"):
        proc = hook(hook_id)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "Passed" in proc.stdout

    spec = repo / "specs" / "obsgen.yaml"
    text = spec.read_text()
    stale = text.replace("for: 5m", "for: 6m", 1)
    assert stale != text, "the starter spec should have an alert with `for: 5m`"
    spec.write_text(stale)
    proc = hook("obsgen-build-check")
    assert proc.returncode == 1 and "stale" in proc.stdout, proc.stdout

    spec.write_text(text.replace("apiVersion: obsgen/v1", "apiVersion: obsgen/v1\nservice: []", 1))
    proc = hook("obsgen-validate")
    assert proc.returncode == 1 and "error[OBS010]" in proc.stdout and "obsgen.yaml:" in proc.stdout, proc.stdout
