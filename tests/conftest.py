import contextlib
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import settings

# The test suite (and so CI) draws the same examples on every run: a commit's result does not
# depend on luck, and a failure reproduces as it is. `nox -s fuzz` explores: new random examples
# on each run, and more of them in test_fuzz (failures are kept in .hypothesis/, replayed first).
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("fuzz", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

# When a property fails, hypothesis's pytest plugin imports libcst (where installed) to print an
# `@example` patch, and importing libcst warns; under filterwarnings=error that turns the report of
# the failure into an INTERNALERROR. Import it here, quietly, first.
with warnings.catch_warnings(), contextlib.suppress(ImportError):
    warnings.simplefilter("ignore", DeprecationWarning)
    import libcst  # noqa: F401


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/*/expected from the current output")


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


# The external tools the tests run, and the Debian packages that bring them. On a developer's
# machine a test that needs a missing one is skipped (and says how to install it). In CI (`CI`
# set) or with OBSGEN_REQUIRE_TOOLS set, a missing tool fails the run before any test, naming it,
# and any skip at all is a failure: a renamed package or binary must not turn tests into green
# skips.
TOOLS = {
    "promtool": "prometheus", "prometheus": "prometheus", "amtool": "prometheus-alertmanager",
    "prometheus-alertmanager": "prometheus-alertmanager", "prometheus-blackbox-exporter": "prometheus-blackbox-exporter",
}
REQUIRED = bool(os.environ.get("CI") or os.environ.get("OBSGEN_REQUIRE_TOOLS"))


def missing_tools() -> dict[str, str]:
    return {tool: package for tool, package in TOOLS.items() if shutil.which(tool) is None}


def pytest_sessionstart(session):
    missing = missing_tools()
    if REQUIRED and missing:
        pytest.exit(f"missing on PATH: {', '.join(sorted(missing))} (install the Debian packages "
                    f"{', '.join(sorted(set(missing.values())))}); the tests run every tool where CI or "
                    f"OBSGEN_REQUIRE_TOOLS is set", returncode=3)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRED and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped where every test must run (CI or OBSGEN_REQUIRE_TOOLS is set): {reason}"


def needs(*tools: str):
    """Decorator for a test that runs these tools: marked `tools` (left out of `nox -s quick`),
    skipped where one is missing, which CI and OBSGEN_REQUIRE_TOOLS turn into a failure."""
    missing = [t for t in tools if shutil.which(t) is None]
    packages = sorted({TOOLS.get(t, t) for t in missing})

    def mark(test):
        return pytest.mark.tools(pytest.mark.skipif(
            bool(missing), reason=f"needs {', '.join(missing)} (apt-get install {' '.join(packages)})")(test))
    return mark


def pytest_collection_modifyitems(config, items):
    # A test skipped for want of a tool runs that tool: it belongs to the `tools` set too.
    for item in items:
        for mark in item.iter_markers("skipif"):
            reason = str(mark.kwargs.get("reason", ""))
            if any(tool in reason for tool in ("promtool", "amtool", "alertmanager", "blackbox", "prometheus")):
                item.add_marker(pytest.mark.tools)


# ----------------------------------------------------------------------------- Grafana's schema

GRAFANA_CHECKER = (Path(os.environ.get("OBSGEN_SHARED") or Path(__file__).resolve().parents[2] / "shared")
                   / "tools" / "check-grafana-dashboards")
# Grafana's published JSON Schema types two `any` values as objects: an override's matcher options
# and its properties' values. Grafana itself stores strings and numbers there (every real dashboard
# with a "by name" override does), and its generator was fixed upstream (grafana/grafana#121296).
# Errors at exactly those two places are the schema's, not the dashboard's.
SCHEMA_DEFECT = re.compile(r"\.fieldConfig\.overrides\[\d+\]\.(matcher\.options|properties\[\d+\]\.value): "
                           r".* is not of type 'object'$")


def grafana_schema(*paths) -> tuple[str, list[str]]:
    """Grafana's schema checker over dashboard files or folders: (what it printed on stdout, its
    errors other than the schema's own defect)."""
    result = subprocess.run([sys.executable, str(GRAFANA_CHECKER), *map(str, paths)], capture_output=True,
                            text=True, timeout=300)
    return result.stdout, [line for line in (result.stdout + result.stderr).splitlines()
                           if ": $." in line and not SCHEMA_DEFECT.search(line)]


def build_imported(text: str, out: Path) -> dict[str, str]:
    """An imported spec, validated as it is and built under `out` (the importers' tests)."""
    from obsgen.api import generate, load_texts
    from obsgen.core.diagnostics import format_text

    project = load_texts({"imported.yaml": text})
    assert project.ok, "\n".join(format_text(d) for d in project.diagnostics)
    files = generate(project)
    for path, content in files.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(content, encoding="utf-8")
    return files
