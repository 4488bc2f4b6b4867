"""Developer sessions. They run in the current environment (install with `pip install -e '.[test]'`)
so that the Debian-packaged promtool/amtool and the installed obsgen are the ones tested."""
from __future__ import annotations

import glob
from pathlib import Path

import nox

nox.options.sessions = ["tests"]
SHARED = "../shared"


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    """The whole test suite."""
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=False)
def quick(session: nox.Session) -> None:
    """The fast loop: every test that needs no external tool (promtool, amtool, Prometheus,
    Alertmanager, the blackbox exporter)."""
    session.run("python", "-m", "pytest", "-q", "-m", "not tools", *session.posargs)


@nox.session(python=False)
def lint(session: nox.Session) -> None:
    """The layer contract and no import cycles (src/obsgen/README.md), as CI checks them."""
    session.run("lint-imports")


@nox.session(python=False)
def check(session: nox.Session) -> None:
    """generated/ is current, passes promtool/amtool (and the routing table), routes as the spec says
    in a fire drill, and its dashboards pass Grafana's schema."""
    session.run("obsgen", "build", "--check")
    session.run("obsgen", "check", "generated")
    session.run("obsgen", "drill", "--all")
    dashboards = sorted(glob.glob("generated/*/grafana/dashboards"))
    session.run("python", f"{SHARED}/tools/check-grafana-dashboards", *dashboards)


@nox.session(python=False)
def fuzz(session: nox.Session) -> None:
    """Explore: every hypothesis test with fresh random examples, the fuzz tests with 10x as many.
    `nox -s tests` (and CI) draws the same examples every run; this is where new failures are found."""
    env = {"HYPOTHESIS_PROFILE": "fuzz", "OBSGEN_FUZZ_SCALE": "10"}
    session.run("python", "-m", "pytest", "-q", "-m", "hypothesis", *session.posargs, env=env)


@nox.session(python=False)
def bench(session: nox.Session) -> None:
    """Time obsgen as whole processes (see benchmarks/README.md), e.g. `nox -s bench -- --sizes 100 1000`."""
    # Users' Pythons cache bytecode: a PYTHONDONTWRITEBYTECODE inherited from a test setup would
    # make every run compile obsgen afresh and inflate start-up.
    session.run("python", "benchmarks/run.py", *session.posargs, env={"PYTHONDONTWRITEBYTECODE": ""})


@nox.session(python=False)
def mutants(session: nox.Session) -> None:
    """Mutation testing (mutmut, pinned in the test extras) of the modules whose mistakes would
    silently break users' monitoring; then mutation/results.json and mutation/REPORT.md. All groups
    take about 45 minutes on two cores, lint the longest at about 16 (`nox -s mutants -- lint` runs
    one group; the others keep their recorded results): not part of the default run. Run it before
    closing an issue that touches those modules."""
    session.run("python", "mutation/run.py", *session.posargs, env={"OBSGEN_SHARED": str(Path(SHARED).resolve())})
    session.run("python", "mutation/report.py")



@nox.session(python=False)
def stress(session: nox.Session) -> None:
    """The drill and end-to-end tests several runs in a row (10; `nox -s stress -- 3` for 3) with
    every core kept busy by other work: they wait for events, never for a fixed time, so a loaded
    machine makes them slower, not red. Run from a terminal or a background job alike."""
    import os
    import subprocess
    import sys

    runs = int(session.posargs[0]) if session.posargs else 10
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 2)]
    try:
        for n in range(runs):
            session.log(f"run {n + 1} of {runs}, with {len(busy)} busy processes")
            session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_drill.py",
                        "tests/test_e2e.py")
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()
