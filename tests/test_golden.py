"""Golden cases: tests/golden/<case>/specs/ builds into exactly tests/golden/<case>/expected/.

After an intended change of output, run `pytest tests/test_golden.py --update-golden` and review
the diff of expected/ like any other change.
"""
import shutil
from pathlib import Path

import pytest

from obsgen.api import generate, load_project
from obsgen.write.tree import write_tree

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "specs").is_dir())


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES)
def test_golden_case_builds_byte_for_byte_into_its_expected_tree(case, tmp_path, update_golden):
    project = load_project([GOLDEN / case / "specs"])
    assert project.ok, [str(d) for d in project.diagnostics]
    out = tmp_path / "out"
    write_tree(out, generate(project))
    expected = GOLDEN / case / "expected"
    if update_golden:
        shutil.rmtree(expected, ignore_errors=True)
        shutil.copytree(out, expected)
    got, want = tree(out), tree(expected)
    assert sorted(got) == sorted(want)
    for path in want:
        assert got[path].decode() == want[path].decode(), f"{case}: {path} differs"


def test_there_is_a_golden_case_for_every_target():
    from obsgen.targets import REGISTRY

    produced = set()
    for case in CASES:
        for path in tree(GOLDEN / case / "expected"):
            produced.add(path.split("/")[1] if "/" in path else path)
    # prometheus.yml and rule files both live under prometheus/
    assert {"prometheus", "alertmanager", "grafana", "jaeger", "silenced.yaml", "instrumentation", "blackbox",
            "logging", "mimir", "runbooks"} <= produced
    assert set(REGISTRY) == {"prometheus", "rules", "slo", "alertmanager", "grafana", "jaeger", "otel", "silenced",
                             "instrumentation", "blackbox", "logging", "mimir", "operator", "runbooks"}
