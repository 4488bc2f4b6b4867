import contextlib
import warnings

import os

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
