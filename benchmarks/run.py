"""Time obsgen as a user feels it: whole processes, wall clock and peak memory, against a floor.

    python benchmarks/run.py                          # reference spec, synthetic 100 / 1,000 / 5,000
    python benchmarks/run.py --sizes 100 1000 --runs 5 --targets files
    python benchmarks/run.py --profile                # plus cProfile of the biggest build

For the reference spec (specs/) and synthetic specs (benchmarks/synthetic.py) it times
`obsgen validate` and `obsgen build` for each output target, and for the reference spec `obsgen
check` of the built tree and `obsgen test` (where promtool, amtool and the blackbox exporter are
installed) (files, operator, mimir; one that
obsgen does not have yet is skipped and reported), each run a fresh process whose peak RSS and
CPU time come from wait4(). The floor is what Python alone takes: a process that only loads the
same spec files (benchmarks/floor.py load), and the time to serialise and write the same output
tree (floor.py dump). Results go to benchmarks/results/<date>-<commit>.json.
Not part of the test suite: timings belong in a benchmark, not in assertions.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import report  # noqa: E402
import synthetic  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
TARGETS = ("files", "operator", "mimir")
LOADERS = ("ruamel-safe-c", "ruamel-rt", "pyyaml-c")


def obsgen_cmd() -> list[str]:
    entry = Path(sys.executable).with_name("obsgen")
    return [str(entry)] if entry.exists() else [sys.executable, "-m", "obsgen.cli"]


def run_once(cmd: list[str]) -> dict:
    """One child process: wall seconds, CPU seconds and peak RSS (MiB) of that child alone."""
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=log)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            log.seek(0)
            sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{log.read().decode()[-3000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mib": usage.ru_maxrss / 1024}


def timed(cmd: list[str], runs: int, budget: float) -> dict:
    """Up to `runs` runs, fewer when they would take more than `budget` seconds (at least one)."""
    samples: list[dict] = []
    while len(samples) < runs and (not samples or sum(s["wall"] for s in samples) * (1 + 1 / len(samples)) <= budget):
        samples.append(run_once(cmd))
    return {"runs": len(samples),
            "wall": statistics.median(s["wall"] for s in samples), "wall_min": min(s["wall"] for s in samples),
            "cpu": statistics.median(s["cpu"] for s in samples),
            "rss_mib": max(s["rss_mib"] for s in samples)}


def available_targets() -> tuple[list[str], dict[str, str]]:
    """The output targets obsgen can build now, and why the others are skipped."""
    code = ("import json; from obsgen import targets as t\n"
            "out = getattr(t, 'OUTPUT_TARGETS', {'files': tuple(t.REGISTRY)})\n"
            "print(json.dumps({k: [n for n in v if n not in t.REGISTRY] for k, v in out.items()}))")
    missing = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                        check=True).stdout)
    ok = [t for t in TARGETS if t in missing and not missing[t]]
    why = {t: (f"targets not registered yet: {', '.join(missing[t])}" if t in missing
               else "not an output target of this obsgen") for t in TARGETS if t not in ok}
    return ok, why


def has_target_flag() -> bool:
    help_text = subprocess.run(obsgen_cmd() + ["build", "--help"], capture_output=True, text=True).stdout
    return "--target" in help_text


def spec_for(base: Path, n: int | None, target: str, flag: bool, scratch: Path,
             packs: bool = False) -> tuple[Path, list[str]]:
    """The spec folder to build for `target`, and the extra build arguments."""
    if flag or n is None:
        return base, (["--target", target] if flag else [])
    folder = scratch / f"spec-{n}-{target}"
    if not folder.exists():
        synthetic.write(n, folder, target, packs=packs)
    return folder, []


def measure(name: str, n: int | None, specs: Path, targets: list[str], flag: bool, args, scratch: Path) -> dict:
    row: dict = {"spec": name, "services": n, "targets": {}}
    print(f"\n{name}", flush=True)
    row["floor_load"] = {}
    for loader in LOADERS:
        row["floor_load"][loader] = timed([sys.executable, str(HERE / "floor.py"), "load", loader, str(specs)],
                                          args.runs, args.budget)
    row["validate"] = timed(obsgen_cmd() + ["validate", str(specs)], args.runs, args.budget)
    report.progress("validate", row["validate"], row["floor_load"]["ruamel-safe-c"]["wall"])
    for target in targets:
        folder, extra = spec_for(specs, n, target, flag, scratch, getattr(args, "packs", False))
        if n is None and not flag and target != "files":
            continue  # the reference spec says its own target; without --target there is no other
        out = scratch / f"out-{n}-{target}"
        result = timed(obsgen_cmd() + ["build", str(folder), "--out", str(out), *extra], args.runs, args.budget)
        dump = json.loads(subprocess.run([sys.executable, str(HERE / "floor.py"), "dump", str(out)],
                                         capture_output=True, text=True, check=True).stdout)
        result["floor_dump"] = dump
        result["files"] = dump.pop("files")
        row["targets"][target] = result
        report.progress(f"build --target {target}", result, report.build_floors(row, result)[0])
        if n is None and target == "files" and tools_present():
            # What a user waits for before a merge: promtool, amtool and the unit tests (written,
            # generated, the SLO stories) over the built tree, and `obsgen test` from the spec.
            for name, cmd in (("check", ["check", str(out)]), ("test", ["test", str(folder)])):
                row[name] = timed(obsgen_cmd() + cmd, args.runs, args.budget)
                report.progress(name, row[name], row["floor_load"]["ruamel-safe-c"]["wall"])
    return row


def tools_present() -> bool:
    import shutil

    return all(shutil.which(t) for t in ("promtool", "amtool", "prometheus-blackbox-exporter"))


def profile(n: int, specs: Path, scratch: Path, flag: bool) -> dict:
    """cProfile of `obsgen build` (files target): share of the time by phase and the top functions."""
    import pstats

    stats_file = scratch / "build.prof"
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(stats_file), "-m", "obsgen.cli", "build",
                    str(specs), "--out", str(scratch / "out-profile"), *(["--target", "files"] if flag else [])],
                   capture_output=True, check=True)
    stats = pstats.Stats(str(stats_file))
    return report.profile_summary(stats, n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 1000, 5000])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument("--budget", type=float, default=120.0,
                        help="seconds a measurement may take before it stops at fewer runs")
    parser.add_argument("--targets", nargs="*", choices=TARGETS, default=list(TARGETS))
    parser.add_argument("--no-reference", action="store_true", help="skip the reference spec in specs/")
    parser.add_argument("--profile", action="store_true", help="cProfile the build of the biggest size")
    parser.add_argument("--packs", action="store_true", help="synthetic services use packs, types and tiers "
                                                              "(in turn: http tier 1, worker tier 2, ten exporter kinds)")
    parser.add_argument("--out", type=Path, help="results file (default benchmarks/results/<date>-<commit>.json)")
    args = parser.parse_args()

    ok, skipped = available_targets()
    targets = [t for t in args.targets if t in ok]
    flag = has_target_flag()
    for t, why in skipped.items():
        if t in args.targets:
            print(f"skipped target {t}: {why}")
    print(f"output target chosen with {'obsgen build --target' if flag else 'output.target in the spec'}")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip())
    results: dict = {
        "commit": commit, "src_modified": dirty, "date": time.strftime("%Y-%m-%d"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_at_start": os.getloadavg()},
        "runs": args.runs, "target_flag": flag, "skipped_targets": {t: skipped[t] for t in args.targets if t in skipped},
        "python_startup": timed([sys.executable, "-c", "pass"], max(args.runs, 5), args.budget),
        "rows": [],
    }
    with tempfile.TemporaryDirectory(prefix="obsgen-bench-") as tmp:
        scratch = Path(tmp)
        if not args.no_reference:
            results["rows"].append(measure("reference spec (specs/)", None, ROOT / "specs", targets, flag, args,
                                           scratch))
        for n in args.sizes:
            specs = synthetic.write(n, scratch / f"spec-{n}", packs=args.packs)
            label = f"synthetic{' with packs' if args.packs else ''}, {n} services"
            results["rows"].append(measure(label, n, specs, targets, flag, args, scratch))
        if args.profile and args.sizes:
            n = max(args.sizes)
            print(f"\nprofiling obsgen build of {n} services", flush=True)
            results["profile"] = profile(n, scratch / f"spec-{n}", scratch, flag)
    print(report.table(results))
    out = args.out or HERE / "results" / f"{results['date']}-{commit}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


if __name__ == "__main__":
    main()
