"""Random input never crashes obsgen: random bytes and random YAML (of any shape, and shaped like
a spec with random keys and values) give diagnostics, never an exception, and every diagnostic
points inside the file it names."""
from __future__ import annotations

import io
import os
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from obsgen.api import load_project
from obsgen.core.codes import CODES

# `nox -s fuzz` sets OBSGEN_FUZZ_SCALE to run many more examples than the test suite does.
EXAMPLES = 300 * int(os.environ.get("OBSGEN_FUZZ_SCALE", "1"))
FUZZ = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]}


def _check(tmp_path: Path, data: bytes) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(data)
    project = load_project([spec])  # must not raise
    # YAML's line breaks: LF, CR, CRLF, and (YAML 1.1, which ruamel follows) NEL, LS and PS.
    text = data.decode("utf-8", "replace")
    lines = len(text.replace("\r\n", "\n").translate({0x0D: 0x0A, 0x85: 0x0A, 0x2028: 0x0A, 0x2029: 0x0A})
                .split("\n"))
    for d in project.diagnostics:
        assert d.code in CODES
        assert "\n" not in d.message
        assert d.pos.file.endswith("spec.yaml")
        if d.pos.line:
            assert 1 <= d.pos.line <= lines, (d, lines)
            assert d.pos.col >= 1


@settings(max_examples=EXAMPLES, **FUZZ)
@given(data=st.binary(max_size=400))
def test_random_bytes_never_crash_the_loader(tmp_path, data):
    _check(tmp_path, data)


# Text made of YAML's own punctuation and keywords: mostly broken YAML, in every broken way.
yaml_soup = st.lists(st.sampled_from([
    "apiVersion: obsgen/v1\n", "services:\n", "  - name: a\n", "    team: t\n", "teams: [{name: t}]\n", ":", "-",
    " ", "\n", "\t", "[", "]", "{", "}", ",", "&a ", "*a", "!!str ", "!tag ", "? ", "'", '"', "#", "---\n", "...\n",
    "|\n", ">\n", "<<: *a\n", "%YAML 1.2\n", "x", "1", "null", "~", "yes", "2024-01-01", "\ufeff", "é",
]), max_size=60).map("".join)


@settings(max_examples=EXAMPLES, **FUZZ)
@given(text=yaml_soup)
@example(text="&a [&a ")  # a redefined anchor made ruamel's pure parser warn, before its syntax error
def test_random_yaml_like_text_never_crashes_obsgen(tmp_path, text):
    _check(tmp_path, text.encode())


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20))
keys = st.sampled_from(["apiVersion", "global", "teams", "services", "dashboards", "routing", "tracing",
                        "logging", "output", "environments", "name", "team", "scrape", "alerts", "expr",
                        "severity", "probes", "http", "url", "logs", "slos", "sli", "panels", "queries",
                        "silence", "for", "labels", "x"]) | st.text(min_size=1, max_size=8)
trees = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
                     max_leaves=30)


@settings(max_examples=EXAMPLES, **FUZZ)
@given(tree=st.dictionaries(keys, trees, max_size=6), versioned=st.booleans())
def test_random_well_formed_yaml_shaped_like_a_spec_never_crashes_obsgen(tmp_path, tree, versioned):
    if versioned:
        tree = {"apiVersion": "obsgen/v1", **tree}
    buf = io.StringIO()
    YAML(typ="safe", pure=True).dump(tree, buf)
    _check(tmp_path, buf.getvalue().encode())


SAFE_PATH = __import__("re").compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")


def test_every_output_path_of_every_target_stays_inside_the_output_folder():
    """Names become paths only through naming's rules (DNS labels, uids, slugs): whatever the spec,
    a path is relative, has no `..`, no hidden or empty segment, no NUL and no exotic character."""
    from obsgen.api import generate

    root = Path(__file__).parent
    folders = [root.parent / "specs", *sorted((root / "golden").glob("*/specs"))]
    for folder in folders:
        for target in ("files", "operator", "mimir"):
            if target == "operator" and folder.parent.name == "scraping-open":
                continue  # Prometheus' own scrape settings: the operator target refuses them (OBS045)
            project = load_project([folder], output=target)
            assert project.ok, (folder, target)
            for path in generate(project):
                assert SAFE_PATH.fullmatch(path) and ".." not in path.split("/"), (folder, target, path)
