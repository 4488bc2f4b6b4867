"""`obsgen check`: run the real tools (promtool, amtool) and obsgen's structural checks over a built tree.

Each alertmanager/routing-tests.yaml (the spec's routing table) is run through
`amtool config routes test` and through obsgen's own route evaluator (core/routes.py).
Results are values; the CLI reports them.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from obsgen.check.secrets import scan_files
from obsgen.core import naming
from obsgen.core.routes import RoutingRow, match_routes, read_routing_table
from obsgen.core.serialise import to_yaml
from obsgen.load.yaml import MAX_FILE_BYTES, read_yaml
from obsgen.targets import file_kind
from obsgen.targets.jaeger_config import config_problems
from obsgen.targets.operator.extract import operator_rule_file_groups, secret_alertmanager_files
from obsgen.write.tree import link_on_path

INSTALL_HINT = (
    "install them with `apt-get install prometheus prometheus-alertmanager` (Debian/Ubuntu: they bring "
    "promtool, prometheus, amtool and prometheus-alertmanager), or put the binaries from the Prometheus "
    "and Alertmanager release archives on PATH")
_NO_SD = re.compile(r"field (\w+_sd_configs) not found")
# Rule group settings newer than the installed promtool (group labels: 3.0, query_offset: 2.53).
_NEW_GROUP_FIELD = re.compile(r"field (labels|query_offset) not found in type rulefmt\.RuleGroup")


@dataclass(frozen=True)
class CheckResult:
    file: str
    check: str
    ok: bool
    detail: str = ""
    note: str = ""


class ToolMissing(Exception):
    def __init__(self, tools: list[str], hint: str = INSTALL_HINT):
        super().__init__(f"{' and '.join(tools)} not found on PATH; {hint}")
        self.tools = tools


def find_tools() -> dict[str, str]:
    tools = {name: shutil.which(name) for name in ("promtool", "amtool")}
    missing = [n for n, p in tools.items() if p is None]
    if missing:
        raise ToolMissing(missing)
    return {n: p for n, p in tools.items() if p}


# A tool that runs longer than this on one file has hung (promtool's SLO tests take seconds).
TOOL_TIMEOUT = 120


def _run(cmd: list[str], cwd: Path | None = None, timeout: float | None = None) -> tuple[bool, str]:
    """Run a checker: (ok, what it printed). A tool that hangs or cannot start is a failed check
    of that file, not the end of the run."""
    timeout = timeout or TOOL_TIMEOUT
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "NO_COLOR": "1"})
    except subprocess.TimeoutExpired:
        return False, f"{Path(cmd[0]).name} did not finish within {timeout:g} s (the time limit per file); stopped"
    except (OSError, ValueError) as exc:
        return False, f"{Path(cmd[0]).name} could not run: {exc}"
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


def _links(root: Path) -> list[Path]:
    """Symbolic links anywhere in the tree (not followed)."""
    out = []
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            if os.path.islink(os.path.join(folder, name)):
                out.append(Path(folder, name))
    return sorted(out)


def _glob(root: Path, pattern: str) -> list[Path]:
    """Regular files matching `pattern` below root, none reached through a symbolic link."""
    return sorted(p for p in root.rglob(pattern)
                  if link_on_path(root, p.relative_to(root).as_posix()) is None and p.is_file())


def _tree_files(root: Path) -> dict[str, list[Path]]:
    """The tree's files by kind, as the targets declare what they write (targets.WRITES); regular
    files only, none reached through a link."""
    out: dict[str, list[Path]] = {}
    for path in _glob(root, "*"):
        found = file_kind(path.relative_to(root).as_posix())
        if found is not None:
            out.setdefault(found[0], []).append(path)
    return out


def check_tree(root: Path) -> list[CheckResult]:
    tools = find_tools()
    results: list[CheckResult] = []
    rel = lambda p: p.relative_to(root).as_posix()  # noqa: E731
    # A committed tree is not trusted: a link in it would make the checkers read (and print)
    # files from elsewhere. Each link is a failed check, and nothing is read through it.
    for link in _links(root):
        results.append(CheckResult(rel(link), "no symbolic links", False,
                                   f"a symbolic link (to {os.readlink(link)}); obsgen does not follow links "
                                   f"in an output folder: remove it"))
    files = _tree_files(root)
    jobs = [(check, name, path) for kinds, check, name in CHECKS
            for path in sorted(p for kind in kinds for p in files.get(kind, []))]
    # Test files another environment has byte for byte, with the same rule files, are run once.
    same: dict[Path, Path] = {}
    seen: dict[bytes, Path] = {}
    for check, _, path in jobs:
        if check is _rule_tests:
            key = _test_inputs(path, root)
            if key is not None:
                same[path] = seen.setdefault(key, path)

    def run(job):
        check, name, path = job
        if same.get(path, path) != path:
            return None  # the first of its kind is run
        found = _guard(lambda: check(path, rel(path), tools), rel(path), name, many=True)
        return found if isinstance(found, list) else [found]

    # The tools run side by side, the slowest (promtool's tests, by size) first; the results
    # keep the tree's order.
    order = sorted(range(len(jobs)), key=lambda i: (jobs[i][0] is not _rule_tests, -_size(jobs[i][2])))
    with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
        done = dict(zip(order, pool.map(run, [jobs[i] for i in order])))
    firsts: dict[Path, list[CheckResult]] = {}
    for i, (check, name, path) in enumerate(jobs):
        found = done[i]
        if found is not None:
            firsts[path] = found
    for i, (check, name, path) in enumerate(jobs):
        if done[i] is not None:
            results += done[i]
            continue
        first = firsts[same[path]]
        results += [CheckResult(rel(path), r.check, r.ok, r.detail,
                                f"the same tests and rules as {r.file}: run once") for r in first]
    results.append(secret_scan(root))
    return results


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _test_inputs(path: Path, root: Path) -> bytes | None:
    """A test file and the rule files it loads, as one key; None when they cannot be read, or
    lie outside the tree or behind a link (nothing is read through one)."""
    try:
        if path.is_symlink():
            return None
        text = path.read_bytes()
        doc = read_yaml(text.decode("utf-8"), path.name)
        parts = [text]
        for rule_file in doc.get("rule_files") or []:
            target = (path.parent / str(rule_file)).resolve()
            if not target.is_relative_to(root.resolve()) or \
                    link_on_path(root, target.relative_to(root.resolve()).as_posix()) is not None:
                return None
            parts.append(str(rule_file).encode() + b"\0" + target.read_bytes())
    except (OSError, ValueError, UnicodeDecodeError, AttributeError, TypeError):
        return None
    return b"\0\0".join(parts)


def _is_duration(text: str) -> bool:
    try:
        return text == "0" or naming.duration_seconds(text) >= 0
    except ValueError:
        return False


def _rules(path: Path, name: str, tools: dict[str, str], check: str = "promtool check rules") -> CheckResult:
    ok, out = _run([tools["promtool"], "check", "rules", str(path)])
    newer = sorted(set(_NEW_GROUP_FIELD.findall(out)))
    if ok or not newer:
        return CheckResult(name, check, ok, "" if ok else out)
    # This promtool predates group labels or query_offset, which the spec's prometheus_version has:
    # check the file without them with promtool, and them with our own rules, and say so.
    try:
        doc = read_yaml(path.read_text(encoding="utf-8"), name)
        groups = [g for g in doc.get("groups") or [] if isinstance(g, dict)]
    except (OSError, ValueError, AttributeError) as exc:
        return CheckResult(name, "promtool check rules", False, f"not readable: {exc}")
    problems = []
    for g in groups:
        labels = g.pop("labels", None)
        offset = g.pop("query_offset", None)
        for key, value in (labels or {}).items():
            if not naming.LABEL_RE.fullmatch(str(key)) or not isinstance(value, str):
                problems.append(f"group {g.get('name')!r}: labels: {key!r} is not a label name with a text value")
        if offset is not None and not _is_duration(str(offset)):
            problems.append(f"group {g.get('name')!r}: query_offset {offset!r} is not a duration")
    with tempfile.TemporaryDirectory(prefix="obsgen-check-") as tmp:
        stripped = Path(tmp) / path.name
        stripped.write_text(to_yaml(doc), encoding="utf-8")
        ok, out = _run([tools["promtool"], "check", "rules", str(stripped)])
    note = (f"group {' and '.join(newer)} checked structurally only: this promtool is older than the Prometheus "
            f"that has them")
    return CheckResult(name, check, ok and not problems,
                       "\n".join(([] if ok else [out]) + problems), note)


def _rule_tests(path: Path, name: str, tools: dict[str, str]) -> CheckResult:
    # Test files name their rule files relative to themselves.
    ok, out = _run([tools["promtool"], "test", "rules", path.name], cwd=path.parent)
    newer = too_new_for_promtool(ok, out)
    if newer:
        return CheckResult(name, "promtool test rules", True, "", newer)
    return CheckResult(name, "promtool test rules", ok, "" if ok else out)


def too_new_for_promtool(ok: bool, out: str) -> str | None:
    """Why promtool could not run a test file whose rules have group settings newer than it
    (the rule files themselves are checked structurally): the tests are not run, and say so."""
    newer = sorted(set(_NEW_GROUP_FIELD.findall(out))) if not ok else []
    if not newer:
        return None
    return (f"not run: the rules' group {' and '.join(newer)} need a newer promtool than this one "
            f"(Prometheus 2.53 for query_offset, 3.0 for labels)")


def _alertmanager(path: Path, name: str, tools: dict[str, str]) -> CheckResult:
    ok, out = _run([tools["amtool"], "check-config", str(path)])
    return CheckResult(name, "amtool check-config", ok, "" if ok else out)


def _structure_check(problems_of, check: str):
    def run(path: Path, name: str, tools: dict[str, str]) -> CheckResult:
        problems = _structure(problems_of, path)
        return CheckResult(name, check, not problems, "\n".join(problems))
    return run


def _jaeger_config(path: Path, name: str, tools: dict[str, str]) -> CheckResult:
    try:
        doc = read_yaml(path.read_text(encoding="utf-8"), name)
        problems = _structure(lambda _: config_problems(doc), path)
    except (OSError, ValueError) as exc:
        problems = [f"not readable YAML: {exc}"]
    return CheckResult(name, "Jaeger 2 configuration structure", not problems, "\n".join(problems))


def _mimir_namespace(path: Path, name: str, tools: dict[str, str]) -> CheckResult:
    # promtool reads Prometheus rule files; a Mimir namespace file adds `namespace:` on top.
    check = "promtool check rules (mimir namespace)"
    try:
        groups = read_yaml(path.read_text(encoding="utf-8"), name)["groups"]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        return CheckResult(name, check, False, f"not a Mimir rule namespace: {exc}")
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / path.name
        plain.write_text(to_yaml({"groups": groups}), encoding="utf-8")
        return _rules(plain, name, tools, check)


def _operator_rules(path: Path, name: str, tools: dict[str, str]) -> CheckResult:
    """A PrometheusRule file's groups, as a plain rule file, through promtool."""
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / f"{path.stem}.rules.yml"
        plain.write_text(to_yaml(operator_rule_file_groups(path.read_text(encoding="utf-8"))), encoding="utf-8")
        return _rules(plain, name, tools, "promtool check rules (PrometheusRule)")


def _operator_secret(path: Path, name: str, tools: dict[str, str]) -> list[CheckResult]:
    """The config Secret's alertmanager.yml and templates, as the operator mounts them, through amtool."""
    files = secret_alertmanager_files(path.read_text(encoding="utf-8"))
    if not files:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        for rel_name, text in files.items():
            (Path(tmp) / rel_name).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / rel_name).write_text(text, encoding="utf-8")
        ok, msg = _run([tools["amtool"], "check-config", str(Path(tmp) / "alertmanager.yml")])
    return [CheckResult(name, "amtool check-config (config Secret)", ok, "" if ok else msg)]


def _blackbox(path: Path, name: str, tools: dict[str, str]) -> CheckResult:
    exporter = shutil.which(EXPORTER) or shutil.which("blackbox_exporter")
    if exporter is None:
        raise ToolMissing([EXPORTER], BLACKBOX_HINT)
    ok, message = check_blackbox_config(path, exporter)
    return CheckResult(name, "blackbox exporter --config.check", ok, message)


def secret_scan(root: Path) -> CheckResult:
    """Every file of the tree, for literal credentials (the build refuses to write them, but a
    tree can be edited by hand or built by another version)."""
    files = {}
    for path in _glob(root, "*"):
        if path.stat().st_size <= MAX_FILE_BYTES:
            try:
                files[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
    leaks = scan_files(files)
    return CheckResult(".", "no literal credentials", not leaks,
                       "\n".join(f"{d.pos.file}:{d.pos.line}:{d.pos.col}: {d.message}" for d in leaks))


def check_prometheus_config(config: Path, name: str, promtool: str) -> CheckResult:
    # --syntax-only: the secret files it names (CA, tokens) live on the Prometheus server, not
    # here; the rule files are checked on their own with `promtool check rules`.
    ok, out = _run([promtool, "check", "config", "--syntax-only", str(config)])
    missing = set(_NO_SD.findall(out))
    if ok or not missing:
        return CheckResult(name, "promtool check config", ok, "" if ok else out)
    # This promtool was built without some service discoveries (Debian's lacks Kubernetes, Linode,
    # Nomad...). Check the rest with promtool and those jobs with our own structural rules, and say so.
    try:
        doc = read_yaml(config.read_text(encoding="utf-8"), name)
        jobs = [j for j in doc.get("scrape_configs") or [] if isinstance(j, dict)]
    except (OSError, ValueError, AttributeError) as exc:
        return CheckResult(name, "promtool check config", False, f"not readable: {exc}")
    k8s = [j for j in jobs if any(key in j for key in missing)]
    doc["scrape_configs"] = [j for j in jobs if not any(key in j for key in missing)]
    alerting = doc.get("alerting") if isinstance(doc.get("alerting"), dict) else {}
    managers = [m for m in alerting.get("alertmanagers") or [] if isinstance(m, dict)]
    found_by = [m for m in managers if any(key in m for key in missing)]
    if found_by:
        alerting["alertmanagers"] = [m for m in managers if m not in found_by]
        k8s += [{"job_name": f"alertmanagers[{managers.index(m)}]", **m} for m in found_by]
    doc["rule_files"] = [str(config.parent / f) for f in doc.get("rule_files") or []]
    with tempfile.TemporaryDirectory(prefix="obsgen-check-") as tmp:
        stripped = Path(tmp) / "prometheus.yml"
        stripped.write_text(to_yaml(doc), encoding="utf-8")
        ok, out = _run([promtool, "check", "config", "--syntax-only", str(stripped)])
    problems = [p for j in k8s for p in kubernetes_job_problems(j)]
    kinds = ", ".join(sorted(missing))
    note = (f"{len(k8s)} job(s) with {kinds} ({', '.join(j['job_name'] for j in k8s)}) were checked "
            f"structurally only: this promtool is built without that service discovery")
    detail = "\n".join(([] if ok else [out]) + problems)
    return CheckResult(name, "promtool check config", ok and not problems, detail, note)


_ROLES = {"node", "pod", "service", "endpoints", "endpointslice", "ingress"}
_ACTIONS = {"replace", "keep", "drop", "keepequal", "dropequal", "hashmod", "labelmap", "labeldrop", "labelkeep",
            "lowercase", "uppercase"}


def kubernetes_job_problems(job: dict) -> list[str]:
    name = job.get("job_name", "?")
    problems = []
    for sd in job.get("kubernetes_sd_configs") or []:
        if sd.get("role") not in _ROLES:
            problems.append(f"job {name}: kubernetes_sd_configs role {sd.get('role')!r} is not one of "
                            f"{', '.join(sorted(_ROLES))}")
    for i, rc in enumerate(job.get("relabel_configs") or []):
        action = rc.get("action", "replace")
        if action not in _ACTIONS:
            problems.append(f"job {name}: relabel_configs[{i}]: unknown action {action!r}")
        try:
            re.compile(rc.get("regex", "(.*)"))
        except re.error as exc:
            problems.append(f"job {name}: relabel_configs[{i}]: regex does not compile: {exc}")
        if action in ("keep", "drop") and not rc.get("source_labels"):
            problems.append(f"job {name}: relabel_configs[{i}]: {action} needs source_labels")
        if action == "replace" and not rc.get("target_label"):
            problems.append(f"job {name}: relabel_configs[{i}]: replace needs target_label")
    return problems


def _read_json(path: Path) -> tuple[object, list[str]]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None, [f"larger than {MAX_FILE_BYTES // 2**20} MiB"]
        return json.loads(path.read_text(encoding="utf-8")), []
    except (OSError, ValueError) as exc:
        return None, [f"not readable JSON: {exc}"]
    except RecursionError:
        return None, ["not readable JSON: nested too deeply"]


def _guard(run, name: str, check: str, many: bool = False):
    """`run()`'s result(s); a file so unexpected that reading it back trips is a failed check of
    it, and the run goes on."""
    try:
        return run()
    except (AttributeError, TypeError, KeyError, IndexError, ValueError, RecursionError) as exc:
        failed = CheckResult(name, check, False, f"unexpected structure ({type(exc).__name__}: {exc})")
        return [failed] if many else failed


def _structure(check, path: Path) -> list[str]:
    """A structural check's problems; a file shaped so unexpectedly that the check itself
    trips is one problem of that file, never the end of the run (the tree may be anyone's)."""
    try:
        return check(path)
    except (AttributeError, TypeError, KeyError, ValueError, RecursionError) as exc:
        return [f"unexpected structure ({type(exc).__name__}: {exc})"]


def dashboard_problems(path: Path) -> list[str]:
    doc, problems = _read_json(path)
    if not isinstance(doc, dict):
        return problems or ["a dashboard must be a JSON object"]
    for key, kind in (("uid", str), ("title", str), ("schemaVersion", int), ("panels", list)):
        if not isinstance(doc.get(key), kind):
            problems.append(f"`{key}` missing or not a {kind.__name__}")
    ids = []
    for i, panel in enumerate(doc.get("panels") or []):
        ids.append(panel.get("id"))
        ds = panel.get("datasource")
        # rows, and panels without queries (text), may leave it out: Grafana reads none for them
        needed = "datasource" in panel or (panel.get("type") != "row" and panel.get("targets"))
        if needed and not (isinstance(ds, dict) and {"type", "uid"} <= set(ds)):
            problems.append(f"panels[{i}]: datasource must be a {{type, uid}} object")
        for j, target in enumerate(panel.get("targets") or []):
            if not isinstance(target.get("datasource"), dict):
                problems.append(f"panels[{i}].targets[{j}]: datasource must be a {{type, uid}} object")
        grid = panel.get("gridPos") or {}
        if not all(isinstance(grid.get(k), int) for k in ("x", "y", "w", "h")) or grid.get("x", 0) + grid.get(
                "w", 0) > 24:
            problems.append(f"panels[{i}]: gridPos must be integers x, y, w, h within 24 columns")
    if len(ids) != len(set(ids)):
        problems.append("panel ids are not unique")
    return problems


def manifest_problems(path: Path) -> list[str]:
    try:
        docs = [d for d in read_yaml(path.read_text(encoding="utf-8"), path.name, documents=True) if d is not None]
    except (OSError, ValueError) as exc:
        return [f"not readable YAML: {exc}"]
    problems = []
    for i, doc in enumerate(docs):
        where = f"document {i + 1}"
        if not isinstance(doc, dict):
            problems.append(f"{where}: not a mapping")
            continue
        for key in ("apiVersion", "kind"):
            if not isinstance(doc.get(key), str):
                problems.append(f"{where}: `{key}` missing")
        if not isinstance((doc.get("metadata") or {}).get("name"), str):
            problems.append(f"{where}: metadata.name missing")
        if doc.get("kind") == "Deployment":
            spec = doc.get("spec") or {}
            selector = (spec.get("selector") or {}).get("matchLabels") or {}
            labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
            if not selector or any(labels.get(k) != v for k, v in selector.items()):
                problems.append(f"{where}: Deployment selector does not match its pod template labels")
    return problems


def sampling_problems(path: Path) -> list[str]:
    doc, problems = _read_json(path)
    if not isinstance(doc, dict):
        return problems or ["sampling strategies must be a JSON object"]
    strategies = [doc.get("default_strategy") or {}] + list(doc.get("service_strategies") or [])
    for s in strategies:
        if s.get("type") == "probabilistic" and not 0 <= float(s.get("param", -1)) <= 1:
            problems.append(f"probabilistic sampling param {s.get('param')!r} is not between 0 and 1")
    return problems


# ----------------------------------------------------------------------------- routing tests

# Each amtool run is a short CPU-bound process; a few at a time keep both cores busy.
ROUTING_WORKERS = min(4, (os.cpu_count() or 1) + 1)
_MAX_REPORTED = 20


def amtool_label_args(labels: dict[str, str]) -> list[str]:
    """Labels as amtool's arguments: every value quoted and escaped, so that no value is read as a
    regex (`a=~b`), trimmed, or split."""
    def quote(v: str) -> str:
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return [f"{name}={quote(value)}" for name, value in sorted(labels.items())]


def amtool_routes(amtool: str, config: Path, labels: dict[str, str],
                  expected: tuple[str, ...] | None = None) -> tuple[bool, str]:
    """`amtool config routes test`: (ok, the receivers it printed, or its error). Without
    `expected`, ok means amtool ran; with it, that it routed to exactly those receivers."""
    cmd = [amtool, "config", "routes", "test", f"--config.file={config}"]
    if expected is not None:
        cmd.append(f"--verify.receivers={','.join(expected)}")
    try:
        proc = subprocess.run(cmd + amtool_label_args(labels), capture_output=True, text=True, timeout=60,
                              env={**os.environ, "NO_COLOR": "1"})
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:  # ValueError: a NUL in a label
        return False, f"amtool could not run: {exc}"
    printed = proc.stdout.splitlines()
    if proc.returncode == 0 or (printed and printed[-1].startswith("WARNING: Expected receivers")):
        return proc.returncode == 0, printed[0] if printed else ""
    # amtool's own error; its stderr also warns that --config.file overrides --alertmanager.url.
    errors = [line for line in proc.stderr.splitlines() if not line.startswith("Warning: --config.file")]
    return False, "amtool failed: " + " ".join(errors or printed).strip()


def _describe(row: RoutingRow) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(row.labels.items()))


def _summary(failures: list[str], total: int) -> str:
    shown = failures[:_MAX_REPORTED]
    more = [f"… and {len(failures) - len(shown)} more"] if len(failures) > len(shown) else []
    return "\n".join([f"{len(failures)} of {total} rows failed:"] + shown + more)


def check_routing_tests(tests: Path, name: str, amtool: str) -> list[CheckResult]:
    """Run an alertmanager/routing-tests.yaml against the alertmanager.yml beside it, through amtool
    and through obsgen's own route evaluator: one result for each."""
    config = tests.parent / "alertmanager.yml"
    try:
        rows, problems = read_routing_table(read_yaml(tests.read_text(encoding="utf-8"), name))
        am_config = read_yaml(config.read_text(encoding="utf-8"), config.name)
    except (OSError, ValueError) as exc:
        rows, problems, am_config = [], [f"not readable: {exc}"], None
    if not problems and not isinstance(am_config, dict):
        problems = [f"{config.name} is not a mapping"]
    if problems or not rows:
        detail = "\n".join(problems or ["no tests"])
        return [CheckResult(name, "amtool config routes test", False, detail)]

    def run(row: RoutingRow) -> str | None:
        ok, answer = amtool_routes(amtool, config, row.labels, row.receivers)
        return None if ok else f"{_describe(row)}: expected {','.join(row.receivers)}, amtool answered {answer}"

    with ThreadPoolExecutor(max_workers=ROUTING_WORKERS) as pool:
        amtool_failures = [f for f in pool.map(run, rows) if f]
    evaluator_failures = []
    for row in rows:
        try:
            got = ",".join(h.receiver for h in match_routes(am_config, row.labels))
        except (ValueError, TypeError, AttributeError, KeyError) as exc:  # a hand-edited config
            got = f"an error: {exc}"
        if got != ",".join(row.receivers):
            evaluator_failures.append(f"{_describe(row)}: expected {','.join(row.receivers)}, "
                                      f"obsgen's evaluator answered {got}")
    return [
        CheckResult(name, "amtool config routes test", not amtool_failures,
                    _summary(amtool_failures, len(rows)) if amtool_failures else ""),
        CheckResult(name, "route evaluator", not evaluator_failures,
                    _summary(evaluator_failures, len(rows)) if evaluator_failures else ""),
    ]


# ----------------------------------------------------------------------------- the blackbox exporter

EXPORTER = "prometheus-blackbox-exporter"
BLACKBOX_HINT = ("install it with: apt-get install prometheus-blackbox-exporter (Debian/Ubuntu), or put "
                "blackbox_exporter from the Prometheus release archives on PATH")


def check_blackbox_config(path: Path, exporter: str | None = None) -> tuple[bool, str]:
    """Run the real exporter's `--config.check` on a blackbox.yml: (ok, what it said when not ok).

    `exporter` is the binary to run; unset, `prometheus-blackbox-exporter` (Debian's name) or
    `blackbox_exporter` (the release archives') from PATH. Neither there: not ok, with how to install it.
    """
    exporter = exporter or shutil.which(EXPORTER) or shutil.which("blackbox_exporter")
    if exporter is None:
        return False, f"{EXPORTER} not found on PATH; {BLACKBOX_HINT}"
    try:
        proc = subprocess.run([exporter, "--config.check", f"--config.file={path}"], capture_output=True, text=True,
                              timeout=60, env={**os.environ, "NO_COLOR": "1"})
    except subprocess.TimeoutExpired:
        return False, f"{Path(exporter).name} did not finish within 60 s (the time limit per file); stopped"
    except OSError as exc:
        return False, f"{Path(exporter).name} could not run: {exc}"
    if proc.returncode == 0:
        return True, ""
    out = (proc.stdout + proc.stderr).strip().splitlines()
    # It logs its start-up too; what matters is the error line.
    return False, "\n".join([line for line in out if "level=error" in line] or out)


_MANIFESTS = ("jaeger-manifests", "otel-configmap", "operator-rules", "operator-alertmanager-secret",
              "operator-resources")
# What `obsgen check` runs on each kind of file the targets declare (targets.WRITES), in this order;
# a kind not listed (templates, env files, Python modules) is only scanned for credentials.
CHECKS = [
    (("rules",), _rules, "promtool check rules"),
    (("rule-tests",), _rule_tests, "promtool test rules"),
    (("prometheus-config",), lambda p, n, t: check_prometheus_config(p, n, t["promtool"]), "promtool check config"),
    (("alertmanager-config",), _alertmanager, "amtool check-config"),
    (("routing-tests",), lambda p, n, t: check_routing_tests(p, n, t["amtool"]), "amtool config routes test"),
    (("dashboard",), _structure_check(dashboard_problems, "dashboard structure"), "dashboard structure"),
    (("operator-rules",), _operator_rules, "promtool check rules (PrometheusRule)"),
    (("operator-alertmanager-secret",), _operator_secret, "amtool check-config (config Secret)"),
    (("jaeger-config",), _jaeger_config, "Jaeger 2 configuration structure"),
    (_MANIFESTS, _structure_check(manifest_problems, "kubernetes manifest structure"), "kubernetes manifest structure"),
    (("sampling-strategies",), _structure_check(sampling_problems, "sampling strategies"), "sampling strategies"),
    (("mimir-namespace",), _mimir_namespace, "promtool check rules (mimir namespace)"),
    (("blackbox-config",), _blackbox, "blackbox exporter --config.check"),
]
