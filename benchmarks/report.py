"""Printing benchmark results: progress lines, the summary table with ratios and growth, profiles."""
from __future__ import annotations

import math

# The functions a build's time is split into (file suffix, function): cumulative time of each.
PHASES = [
    ("load (YAML with positions)", "obsgen/loader.py", "load_file"),
    ("parse + resolve + checks", "obsgen/api.py", "_resolve"),
    ("generate (all targets)", "obsgen/targets/__init__.py", "generate_all"),
    ("  of which serialise YAML", "obsgen/output.py", "to_yaml"),
    ("  of which serialise YAML documents", "obsgen/output.py", "to_yaml_documents"),
    ("  of which serialise JSON", "obsgen/output.py", "to_json"),
    ("write (atomic, manifest)", "obsgen/writer.py", "write_tree"),
]


def progress(label: str, result: dict, floor: float) -> None:
    print(f"  {label:<26} wall {result['wall']:8.2f} s  cpu {result['cpu']:8.2f} s  "
          f"rss {result['rss_mib']:7.0f} MiB  x{result['wall'] / floor:5.1f} floor ({result['runs']} runs)",
          flush=True)


def build_floors(row: dict, target: dict) -> tuple[float, float]:
    """(libyaml floor, ruamel floor): load the spec and serialise + write the output, each way. The
    libyaml floor serialises the faster way of ruamel as it comes and obsgen's own serialiser (older
    results have only the first)."""
    loads, dump = row["floor_load"], target["floor_dump"]
    libyaml = min(dump["ruamel-safe-c"], dump.get("obsgen-output", math.inf))
    return loads["ruamel-safe-c"]["wall"] + libyaml, loads["ruamel-rt"]["wall"] + dump["ruamel-rt"]


def table(results: dict) -> str:
    lines = [f"\npython startup {results['python_startup']['wall'] * 1000:.0f} ms; times are medians of up to "
             f"{results['runs']} runs, wall (cpu) in seconds; floors as in benchmarks/README.md"]
    head = f"{'spec':<28} {'command':<24} {'wall':>8} {'(cpu)':>8} {'MiB':>6} {'floor':>7} {'x':>6} {'rt floor':>8} {'x':>5}"
    lines += [head, "-" * len(head)]
    for row in results["rows"]:
        v, load = row["validate"], row["floor_load"]["ruamel-safe-c"]["wall"]
        rt = row["floor_load"]["ruamel-rt"]["wall"]
        lines.append(f"{row['spec']:<28} {'validate':<24} {v['wall']:8.2f} {v['cpu']:8.2f} {v['rss_mib']:6.0f} "
                     f"{load:7.2f} {v['wall'] / load:6.1f} {rt:8.2f} {v['wall'] / rt:5.1f}")
        for name, t in row["targets"].items():
            lib, ruamel = build_floors(row, t)
            lines.append(f"{'':<28} {'build --target ' + name:<24} {t['wall']:8.2f} {t['cpu']:8.2f} "
                         f"{t['rss_mib']:6.0f} {lib:7.2f} {t['wall'] / lib:6.1f} {ruamel:8.2f} {t['wall'] / ruamel:5.1f}")
        for name in ("check", "test"):
            if name in row:
                t = row[name]
                lines.append(f"{'':<28} {name:<24} {t['wall']:8.2f} {t['cpu']:8.2f} {t['rss_mib']:6.0f}")
    lines += growth(results)
    if "profile" in results:
        lines += profile_lines(results["profile"])
    return "\n".join(lines)


def growth(results: dict) -> list[str]:
    """Time and memory per service, and the exponent k of time ~ N^k between consecutive sizes."""
    rows = [r for r in results["rows"] if r["services"]]
    if len(rows) < 2:
        return []
    lines = ["", "growth (k: time ~ N^k between consecutive sizes; 1.0 is linear)",
             f"{'command':<24} " + " ".join(f"{'N=' + str(r['services']):>22}" for r in rows)]
    series = [("validate", lambda r: r["validate"])] + [
        (f"build --target {t}", lambda r, t=t: r["targets"][t]) for t in rows[0]["targets"]]
    for label, get in series:
        cells = []
        for i, r in enumerate(rows):
            m = get(r)
            cell = f"{m['cpu'] / r['services'] * 1000:6.1f} ms/svc"
            if i:
                prev = rows[i - 1]
                k = math.log(m["cpu"] / get(prev)["cpu"]) / math.log(r["services"] / prev["services"])
                cell += f" k={k:4.2f}"
            cells.append(f"{cell:>22}")
        lines.append(f"{label:<24} " + " ".join(cells))
        lines.append(f"{'  peak RSS':<24} " + " ".join(f"{get(r)['rss_mib']:>18.0f} MiB" for r in rows))
    return lines


def profile_summary(stats, n: int) -> dict:
    entries = stats.stats  # {(file, line, func): (cc, nc, tottime, cumtime, callers)}
    total = max(v[3] for v in entries.values())

    def cumulative(suffix: str, func: str) -> float:
        return sum(v[3] for (f, _, fn), v in entries.items() if f.endswith(suffix) and fn == func)

    phases = {label: round(cumulative(suffix, func), 3) for label, suffix, func in PHASES}
    targets = {}
    for (f, _, fn), v in entries.items():
        if "obsgen/targets/" in f and fn == "generate" and not f.endswith("__init__.py"):
            targets[f.rsplit("/", 1)[1].removesuffix(".py")] = round(v[3], 3)
    top = sorted(entries.items(), key=lambda kv: kv[1][2], reverse=True)[:15]
    return {
        "services": n, "total_profiled_seconds": round(total, 3), "phases_cumulative_seconds": phases,
        "targets_cumulative_seconds": dict(sorted(targets.items(), key=lambda kv: -kv[1])),
        "top_tottime": [{"function": f"{_short(f)}:{line}({fn})", "calls": v[1], "tottime": round(v[2], 3),
                         "cumtime": round(v[3], 3)} for (f, line, fn), v in top],
    }


def _short(path: str) -> str:
    for marker in ("site-packages/", "/src/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def profile_lines(p: dict) -> list[str]:
    total = p["total_profiled_seconds"]
    lines = ["", f"where `obsgen build` of {p['services']} services spends its time (cProfile, "
                 f"{total:.0f} s profiled; shares of that)"]
    lines += [f"  {label:<38} {sec:8.1f} s {sec / total:6.1%}" for label, sec in p["phases_cumulative_seconds"].items()]
    lines.append("  by target (generate, incl. serialising):")
    lines += [f"    {name:<36} {sec:8.1f} s {sec / total:6.1%}" for name, sec in p["targets_cumulative_seconds"].items()]
    lines.append("  top functions by own time:")
    lines += [f"    {e['tottime']:7.1f} s {e['calls']:>10} calls  {e['function']}" for e in p["top_tottime"][:10]]
    return lines
