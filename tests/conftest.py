import contextlib
import warnings

import pytest

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
