"""Time obsgen as a user feels it: whole processes, wall clock, several runs.

    python benchmarks/run.py                 # the reference spec in specs/
    python benchmarks/run.py --services 1000 # plus a synthetic spec of that many services

Reports the median and the best of N runs of `obsgen validate` and `obsgen build`, and the
floor they are compared with: a process that only starts Python and loads the same YAML.
Not part of the test suite: timings belong in a benchmark, not in assertions.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def obsgen_cmd() -> list[str]:
    entry = Path(sys.executable).with_name("obsgen")
    return [str(entry)] if entry.exists() else [sys.executable, "-m", "obsgen.cli"]


def timed(cmd: list[str], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr.decode()}")
    return statistics.median(times), min(times)


def synthetic(n: int, folder: Path) -> Path:
    """A spec of `n` services, each with a scrape job, three metrics, two alerts and a dashboard."""
    specs = folder / "specs"
    specs.mkdir(parents=True)
    lines = ["apiVersion: obsgen/v1", "teams:"]
    for t in range(max(1, n // 50)):
        lines += [f"  - name: team-{t}", f"    slack: {{channel: '#team-{t}', api_url_file: /s/slack-{t}}}"]
    (specs / "teams.yaml").write_text("\n".join(lines) + "\n")
    lines = ["apiVersion: obsgen/v1", "services:"]
    dash = ["apiVersion: obsgen/v1", "dashboards:"]
    for i in range(n):
        team = f"team-{i % max(1, n // 50)}"
        lines += [
            f"  - name: svc-{i}", f"    team: {team}", f"    scrape: {{static: ['svc-{i}:8000']}}",
            "    metrics:",
            "      - {name: http_requests_total, type: counter, help: Requests., labels: [code]}",
            "      - {name: http_request_duration_seconds, type: histogram, help: Latency., unit: seconds}",
            "      - {name: queue_depth, type: gauge, help: Queue depth.}",
            "    alerts:",
            f"      - {{name: Svc{i}Errors, expr: 'sum(rate(http_requests_total{{code=~\"5..\",job=\"svc-{i}\"}}[5m])) > 1',"
            " for: 5m, severity: critical, category: application, summary: Errors, description: '{{ $value }}'}",
            f"      - {{name: Svc{i}Queue, expr: 'queue_depth{{job=\"svc-{i}\"}} > 100', for: 10m, severity: warning,"
            " category: application, summary: Queue, description: Deep queue}",
        ]
        dash += [f"  - title: Service {i}", "    panels:",
                 f"      - {{title: Requests, queries: [{{expr: 'sum(rate(http_requests_total{{job=\"svc-{i}\"}}[5m]))'}}]}}"]
    (specs / "services.yaml").write_text("\n".join(lines) + "\n")
    (specs / "dashboards.yaml").write_text("\n".join(dash) + "\n")
    return specs


def floor_cmd(specs: Path) -> list[str]:
    code = ("import sys, pathlib\nfrom ruamel.yaml import YAML\ny = YAML(typ='safe', pure=False)\n"
            f"for p in sorted(pathlib.Path({str(specs)!r}).glob('*.yaml')): y.load(p.read_text())\n")
    return [sys.executable, "-c", code]


def report(name: str, specs: Path, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = [
            ("floor: start Python, load the YAML", floor_cmd(specs)),
            ("obsgen validate", obsgen_cmd() + ["validate", str(specs)]),
            ("obsgen build", obsgen_cmd() + ["build", str(specs), "--out", f"{tmp}/out"]),
        ]
        print(f"\n{name} ({runs} runs each)")
        floor = None
        for label, cmd in rows:
            if label == "obsgen build":
                shutil.rmtree(f"{tmp}/out", ignore_errors=True)
            median, best = timed(cmd, runs)
            floor = floor or median
            print(f"  {label:<36} median {median * 1000:7.0f} ms   best {best * 1000:7.0f} ms   "
                  f"x{median / floor:5.1f} floor")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--services", type=int, nargs="*", default=[])
    args = parser.parse_args()
    report("reference spec (specs/)", ROOT / "specs", args.runs)
    for n in args.services:
        with tempfile.TemporaryDirectory() as tmp:
            report(f"synthetic spec, {n} services", synthetic(n, Path(tmp)), max(3, args.runs // 2))


if __name__ == "__main__":
    main()
