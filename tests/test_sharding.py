"""Functional sharding of scraping (output.sharding): one Prometheus config per shard."""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from obsgen.api import generate, load_project, load_texts
from obsgen.targets.prometheus import PrometheusTarget

PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")
GOLDEN = Path(__file__).parent / "golden"
SHARD_FILE = re.compile(r"^default/prometheus/prometheus-(\d+)\.yml$")


def service(name: str, team: str, ports: range, rules: bool = True) -> str:
    targets = ", ".join(f"'127.0.0.1:{p}'" for p in ports)
    text = f"""\
  - name: {name}
    team: {team}
    scrape: {{static: [{targets}]}}
    metrics:
      - {{name: http_requests_total, type: counter, help: Requests., labels: [code]}}
"""
    if rules:
        text += f"""\
    alerts:
      - {{name: {name.replace('-', '_')}_down, expr: 'up{{job="{name}"}} == 0', for: 5m, severity: warning,
          category: application, summary: Down, description: Down}}
    slos:
      - name: availability
        objective: 99.9
        sli: {{ratio: {{bad: 'http_requests_total{{code=~"5.."}}', total: http_requests_total}}}}
        alerting: {{runbook_url: 'https://runbooks.example/{name}'}}
    probes:
      - {{name: health, http: {{url: 'https://{name}.example/health'}}}}
"""
    return text


def spec(sharding: str | None, target: str = "files", per: str = "service") -> str:
    """Four teams of unequal size; `quiet` has a service without any rule file."""
    text = f"""\
apiVersion: obsgen/v1
global: {{rule_files_per: {per}, external_labels: {{region: eu}}}}
teams:
  - {{name: payments, slack: {{channel: '#p', api_url_file: /s/p}}}}
  - {{name: web, slack: {{channel: '#w', api_url_file: /s/w}}}}
  - {{name: data, slack: {{channel: '#d', api_url_file: /s/d}}}}
  - {{name: quiet, slack: {{channel: '#q', api_url_file: /s/q}}}}
services:
"""
    text += service("checkout", "payments", range(10000, 10040))
    text += service("ledger", "payments", range(10100, 10105))
    text += service("refunds", "payments", range(10200, 10201))
    text += service("storefront", "web", range(10300, 10330))
    text += service("search", "web", range(10400, 10402))
    text += service("etl", "data", range(10500, 10503))
    text += service("heartbeat", "quiet", range(10600, 10601), rules=False)
    if sharding or target != "files":
        text += f"output: {{target: {target}{', sharding: ' + sharding if sharding else ''}}}\n"
    return text


def build(text: str) -> dict[str, str]:
    project = load_texts({"spec.yaml": text})
    assert project.ok, [str(d) for d in project.diagnostics]
    return generate(project, ["prometheus", "rules", "slo"])


def shards(files: dict[str, str]) -> dict[int, dict]:
    out = {}
    for path, text in files.items():
        if m := SHARD_FILE.match(path):
            out[int(m[1])] = YAML(typ="safe").load(text)
    return dict(sorted(out.items()))


def jobs(config: dict) -> dict[str, dict]:
    return {j["job_name"]: j for j in config["scrape_configs"]}


def write(files: dict[str, str], root: Path) -> None:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- relabelling, as Prometheus does it

def prometheus_hashmod(value: str, modulus: int) -> int:
    # Prometheus model/relabel: md5 of the joined values, its *last* 8 bytes big-endian, mod N.
    return int.from_bytes(hashlib.md5(value.encode()).digest()[8:], "big") % modulus


def relabel(labels: dict[str, str], configs: list[dict]) -> dict[str, str] | None:
    """The target's labels after `configs`, None when dropped (the actions obsgen's jobs use)."""
    labels = dict(labels)
    for rc in configs:
        value = rc.get("separator", ";").join(labels.get(s, "") for s in rc.get("source_labels", []))
        action = rc.get("action", "replace")
        regex = re.compile(rc.get("regex", "(.*)"))
        if action == "hashmod":
            labels[rc["target_label"]] = str(prometheus_hashmod(value, rc["modulus"]))
        elif action == "keep":
            if not regex.fullmatch(value):
                return None
        elif action == "replace":
            if m := regex.fullmatch(value):
                labels[rc["target_label"]] = m.expand(rc.get("replacement", "$1").replace("$", "\\"))
        else:
            raise AssertionError(f"no simulation of relabel action {action}")
    return labels


def kept_by(shard_jobs: list[dict], address: str) -> list[int]:
    return [i for i, job in enumerate(shard_jobs) if relabel({"__address__": address}, job.get("relabel_configs", []))]


# --------------------------------------------------------------------------- tests

def test_the_hashing_simulation_agrees_with_prometheus_for_known_values():
    # Values worked out from Prometheus's relabel.go (md5, last 8 bytes); pinned so that a wrong
    # simulation cannot make the partition tests below pass on both sides.
    assert hashlib.md5(b"foo").hexdigest() == "acbd18db4cc2f85cedef654fccc4a4d8"
    assert [prometheus_hashmod("foo", n) for n in (2, 3, 7, 64)] == [0xEDEF654FCCC4A4D8 % n for n in (2, 3, 7, 64)]
    assert prometheus_hashmod("foo", 7) != 0xACBD18DB4CC2F85C % 7  # not the first 8 bytes


@pytest.mark.parametrize("count", [2, 3, 7])
def test_every_hashmod_shard_runs_every_job_and_labels_its_series_with_the_shard(count):
    configs = shards(build(spec(f"{{shards: {count}, by: hashmod}}", target="mimir")))
    assert list(configs) == list(range(count))
    all_jobs = [set(jobs(c)) for c in configs.values()]
    assert all(names == all_jobs[0] for names in all_jobs) and len(all_jobs[0]) == 13
    for i, c in configs.items():
        assert c["global"]["external_labels"] == {"prometheus_shard": str(i), "region": "eu"}
        assert "rule_files" not in c and "alerting" not in c  # Mimir's ruler has the global view


@settings(max_examples=200, deadline=None)
@given(addresses=st.lists(st.from_regex(r"[a-z0-9.-]{1,30}:[0-9]{1,5}", fullmatch=True), min_size=1, max_size=30),
       count=st.sampled_from([2, 3, 7]))
def test_hashmod_relabelling_keeps_each_address_on_exactly_one_shard(addresses, count):
    configs = _hashmod_configs(count)
    for name in ("checkout", "checkout-probe-health"):
        shard_jobs = [jobs(c)[name] for c in configs.values()]
        for address in addresses:
            assert len(kept_by(shard_jobs, address)) == 1, (name, address)


_CACHE: dict[int, dict[int, dict]] = {}


def _hashmod_configs(count: int) -> dict[int, dict]:
    if count not in _CACHE:
        _CACHE[count] = shards(build(spec(f"{{shards: {count}, by: hashmod}}", target="mimir")))
    return _CACHE[count]


def test_hashmod_spreads_a_jobs_targets_over_all_shards():
    shard_jobs = [jobs(c)["checkout"] for c in _hashmod_configs(3).values()]
    per_shard = [0, 0, 0]
    for port in range(10000, 10600):
        (shard,) = kept_by(shard_jobs, f"127.0.0.1:{port}")
        per_shard[shard] += 1
    assert min(per_shard) > 150, per_shard  # 200 each on average


def test_a_probe_is_sharded_by_the_url_it_probes_not_by_the_exporter_that_probes_it():
    shard_jobs = [jobs(c)["checkout-probe-health"] for c in _hashmod_configs(7).values()]
    owners = {kept_by(shard_jobs, f"https://host-{i}.example/health")[0] for i in range(60)}
    assert len(owners) > 1
    (owner,) = kept_by(shard_jobs, "https://checkout.example/health")
    after = relabel({"__address__": "https://checkout.example/health"}, shard_jobs[owner]["relabel_configs"])
    assert after is not None and after["__address__"] == "blackbox-exporter:9115"
    assert after["__param_target"] == "https://checkout.example/health"


@pytest.mark.parametrize("per", ["service", "team"])
def test_by_team_puts_each_job_in_exactly_one_shard_with_all_of_its_teams_jobs(per):
    configs = shards(build(spec("{shards: 3, by: team}", per=per)))
    team_of = {"checkout": "payments", "ledger": "payments", "refunds": "payments", "storefront": "web",
               "search": "web", "etl": "data", "heartbeat": "quiet"}
    where: dict[str, int] = {}
    for i, c in configs.items():
        for name, job in jobs(c).items():
            assert name not in where, f"{name} in shards {where[name]} and {i}"
            assert "hashmod" not in json.dumps(job)
            where[name] = i
    assert len(where) == 13
    shard_of_team = {team_of[name.split("-probe-")[0]]: i for name, i in where.items()}
    for name, i in where.items():
        assert shard_of_team[team_of[name.split("-probe-")[0]]] == i
    # Balanced by job count: payments (6 jobs) alone, web (4) and data (2) + quiet (1) apart.
    assert shard_of_team == {"payments": 0, "web": 1, "data": 2, "quiet": 2}


@pytest.mark.parametrize("per", ["service", "team"])
def test_a_team_shard_evaluates_exactly_the_rule_files_of_its_teams_and_they_all_exist(per):
    files = build(spec("{shards: 3, by: team}", per=per))
    rule_files = {p.removeprefix("default/prometheus/") for p in files if "/prometheus/rules/" in p}
    listed: list[str] = []
    for i, c in shards(files).items():
        listed += c["rule_files"]
        assert c["alerting"]["alertmanagers"]
        for path in c["rule_files"]:
            assert path in rule_files, f"shard {i} names {path}, which the build does not have"
    assert sorted(listed) == sorted(rule_files)  # each rule file on exactly one shard
    payments = next(c for c in shards(files).values() if "checkout" in jobs(c))
    expected = (["rules/checkout.rules.yml", "rules/checkout.slo.rules.yml", "rules/ledger.rules.yml",
                 "rules/ledger.slo.rules.yml", "rules/refunds.rules.yml", "rules/refunds.slo.rules.yml"]
                if per == "service" else
                ["rules/checkout.slo.rules.yml", "rules/ledger.slo.rules.yml", "rules/payments.rules.yml",
                 "rules/refunds.slo.rules.yml"])
    assert payments["rule_files"] == expected


def team_placement(configs: dict[int, dict]) -> dict[str, int]:
    team_of = {"checkout": "payments", "ledger": "payments", "refunds": "payments", "storefront": "web",
               "search": "web", "etl": "data", "heartbeat": "quiet"}
    return {team_of.get(name.split("-probe-")[0], "big"): i for i, c in configs.items() for name in jobs(c)}


def test_a_pinned_team_stays_on_its_shard_and_the_others_are_balanced_around_it():
    placed = team_placement(shards(build(spec("{shards: 3, by: team, pin: {quiet: 0, web: 0}}"))))
    # quiet (1 job) and web (4) share shard 0; payments (6) and data (2) go to the emptiest shards.
    assert placed == {"quiet": 0, "web": 0, "payments": 1, "data": 2}


# A new team with more scrape jobs (8) than any other.
BIG_TEAM = "".join(service(f"warehouse-{i}", "big", range(11000 + 10 * i, 11005 + 10 * i)) for i in range(4))


def test_pinned_teams_do_not_move_when_a_big_team_arrives():
    pin = "{shards: 3, by: team, pin: {web: 2, data: 1}}"
    before = team_placement(shards(build(spec(pin))))
    text = spec(pin).replace("teams:\n", "teams:\n  - {name: big, slack: {channel: '#b', api_url_file: /s/b}}\n")
    text = text.replace("output:", BIG_TEAM + "output:")
    after = team_placement(shards(build(text)))
    assert (before["web"], before["data"]) == (after["web"], after["data"]) == (2, 1)
    # Without pins the same arrival moves teams: the reason pins exist.
    unpinned = "{shards: 3, by: team}"
    text = spec(unpinned).replace("teams:\n", "teams:\n  - {name: big, slack: {channel: '#b', api_url_file: /s/b}}\n")
    text = text.replace("output:", BIG_TEAM + "output:")
    moved = team_placement(shards(build(text)))
    assert any(moved[t] != team_placement(shards(build(spec(unpinned))))[t] for t in ("payments", "web", "data"))


@pytest.mark.parametrize("sharding, target, code, message, at", [
    ("{shards: 3, by: team, pin: {paymnets: 0}}", "files", "OBS021", "team 'paymnets' is not defined", "paymnets: 0"),
    ("{shards: 3, by: team, pin: {web: 3}}", "files", "OBS043", "shard 3 does not exist", "3}"),
    ("{shards: 3, by: hashmod, pin: {web: 1}}", "mimir", "OBS043", "only `by: team`", "1}"),
    ("{shards: 2, by: team}", "operator", "OBS044", "the operator target writes no Prometheus configuration", "2,"),
])
def test_sharding_settings_that_cannot_work_are_reported_at_their_place(sharding, target, code, message, at):
    text = spec(sharding, target=target)
    project = load_texts({"spec.yaml": text})
    (found,) = [d for d in project.diagnostics if d.code == code and message in d.message]
    line = text.splitlines()[found.pos.line - 1]
    assert line.startswith("output:") and line[found.pos.col - 1:].startswith(at), (line, found.pos)
    if code == "OBS021":
        assert found.hint == "did you mean `payments`?"


def test_a_pinned_team_without_services_is_a_warning():
    text = spec("{shards: 2, by: team, pin: {idle: 1}}").replace(
        "teams:\n", "teams:\n  - {name: idle, slack: {channel: '#i', api_url_file: /s/i}}\n")
    project = load_texts({"spec.yaml": text})
    assert project.ok
    assert any(d.code == "OBS044" and "owns no services" in d.message for d in project.diagnostics)


def test_a_sharded_build_has_no_unsharded_prometheus_yml():
    files = build(spec("{shards: 2, by: team}"))
    assert "default/prometheus/prometheus.yml" not in files
    assert sorted(p for p in files if SHARD_FILE.match(p)) == ["default/prometheus/prometheus-0.yml",
                                                               "default/prometheus/prometheus-1.yml"]


def test_shards_beyond_the_teams_scrape_nothing_but_are_still_valid_configs():
    configs = shards(build(spec("{shards: 6, by: team}")))
    assert [len(c["scrape_configs"]) for c in configs.values()] == [6, 4, 2, 1, 0, 0]
    assert configs[5]["rule_files"] == []


@pytest.mark.parametrize("expected", sorted(GOLDEN.glob("*/expected/*/prometheus/prometheus.yml")),
                         ids=lambda p: "/".join(p.parts[-5:-2:2]))
def test_one_shard_writes_todays_prometheus_yml_byte_for_byte(expected):
    case, env = expected.parents[3], expected.parents[1].name
    project = load_project([case / "specs"])
    assert project.ok
    (model,) = [m for m in project.models if m.env == env]
    (art,) = PrometheusTarget().generate(model)
    assert art.path == "prometheus/prometheus.yml"
    assert art.content == expected.read_text(encoding="utf-8")


def test_saying_one_shard_explicitly_changes_nothing():
    assert build(spec("{shards: 1, by: team}")) == build(spec(None))
    assert build(spec("{shards: 1, by: hashmod}", target="mimir")) == build(spec(None, target="mimir"))


@pytest.mark.parametrize("sharding", ["{shards: 5, by: team}", "{shards: 4, by: hashmod}"])
def test_sharded_output_does_not_depend_on_the_order_of_teams_or_services(sharding):
    text = spec(sharding, target="mimir" if "hashmod" in sharding else "files")
    head, services = text.split("services:\n")
    services, output = services.split("output:")
    items = re.split(r"(?m)^(?=  - name: )", services)[1:]
    teams = re.findall(r"(?m)^  - \{name: .*\n", head)
    shuffled_head = head.replace("".join(teams), "".join(reversed(teams)))
    shuffled = shuffled_head + "services:\n" + "".join(reversed(items)) + "output:" + output
    assert shuffled != text
    a, b = build(text), build(shuffled)
    assert {p: a[p] for p in a if SHARD_FILE.match(p)} == {p: b[p] for p in b if SHARD_FILE.match(p)}


@pytest.mark.tools
@pytest.mark.skipif(not PROMTOOL, reason="needs promtool (apt-get install prometheus)")
@pytest.mark.parametrize("sharding,target,per", [("{shards: 3, by: hashmod}", "mimir", "service"),
                                                 ("{shards: 3, by: team}", "files", "service"),
                                                 ("{shards: 4, by: team}", "files", "team"),
                                                 ("{shards: 2, by: team}", "mimir", "service")])
def test_promtool_accepts_every_shard_with_the_rule_files_it_names(sharding, target, per, tmp_path):
    files = build(spec(sharding, target=target, per=per))
    write(files, tmp_path)
    configs = sorted(tmp_path.glob("default/prometheus/prometheus-*.yml"))
    assert len(configs) == int(re.search(r"shards: (\d+)", sharding)[1])
    for config in configs:
        # Not --syntax-only: promtool also reads and checks every rule file the config names.
        proc = subprocess.run([PROMTOOL, "check", "config", str(config)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        named = YAML(typ="safe").load(config.read_text()).get("rule_files") or []
        assert not named or f"SUCCESS: {len(named)} rule files found" in proc.stdout
        for path in named:
            assert f"Checking {config.parent / path}\n  SUCCESS" in proc.stdout


# --------------------------------------------------------------------------- the real Prometheus

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _targets(port: int, deadline: float, total: int) -> dict:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/targets?state=any", timeout=2) as r:
                data = json.load(r)["data"]
            if len(data["activeTargets"]) + len(data["droppedTargets"]) >= total:
                return data
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"Prometheus on {port} did not discover its {total} targets in time")


@pytest.mark.tools
@pytest.mark.skipif(not PROMETHEUS, reason="needs prometheus (apt-get install prometheus)")
def test_real_prometheus_servers_keep_the_targets_the_simulation_says_and_together_all_of_them(tmp_path):
    files = build(spec("{shards: 3, by: hashmod}", target="mimir"))
    write(files, tmp_path)
    configs = _hashmod_configs(3)
    total = sum(len(sc["targets"]) for j in configs[0]["scrape_configs"] for sc in j["static_configs"])
    procs, ports = [], []
    try:
        for i in configs:
            port = _free_port()
            ports.append(port)
            log = open(tmp_path / f"prometheus-{i}.log", "wb")  # noqa: SIM115 (closed with the process)
            procs.append((subprocess.Popen(
                [PROMETHEUS, f"--config.file={tmp_path}/default/prometheus/prometheus-{i}.yml",
                 f"--storage.tsdb.path={tmp_path}/tsdb-{i}", f"--web.listen-address=127.0.0.1:{port}"],
                stdout=log, stderr=subprocess.STDOUT), log))
        deadline = time.monotonic() + 60
        kept: dict[str, list[int]] = {}
        for i, port in enumerate(ports):
            data = _targets(port, deadline, total)
            for t in data["activeTargets"]:
                key = f"{t['labels']['job']} {t['discoveredLabels']['__address__']}"
                kept.setdefault(key, []).append(i)
    finally:
        for proc, log in procs:
            proc.terminate()
            proc.wait(timeout=30)
            log.close()
    assert len(kept) == total and all(len(owners) == 1 for owners in kept.values()), kept
    for key, (owner,) in kept.items():
        job, address = key.split(" ")
        assert kept_by([jobs(c)[job] for c in configs.values()], address) == [owner], key
