"""The mimir target: rule namespaces for `mimirtool rules sync`, holding the files target's groups.

mimirtool itself is not in Debian or PyPI, so these tests check its file format as its parser
reads it (strict keys, `namespace` + `groups`, group names unique per namespace, its recording
rule name check) and run every group through promtool, whose rule parser Mimir shares.
"""
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from obsgen.api import load_texts
from obsgen.targets import REGISTRY
from obsgen.targets.mimir import MimirTarget
from obsgen.targets.rules import RulesTarget
from obsgen.targets.slo import SLOTarget

TEAMS = """\
apiVersion: obsgen/v1
output:
  target: mimir
  mimir: {remote_write_url: "http://mimir:8080/api/v1/push", tenant: trading, namespaces: team}
teams:
  - {name: payments, slack: {channel: "#payments", api_url_file: /s/p}}
  - {name: search, slack: {channel: "#search", api_url_file: /s/s}}
"""

SERVICES = [
    """\
  - name: checkout
    team: payments
    metrics:
      - {name: http_requests_total, type: counter, help: x, labels: [code]}
    recording_rules:
      - {record: 'job:http_requests:rate5m', expr: 'sum by (job) (rate(http_requests_total[5m]))'}
    alerts:
      - {name: CheckoutErrors, severity: critical, category: application, for: 5m,
         expr: 'sum(rate(http_requests_total{code=~"5.."}[5m])) > 1', summary: errors}
    slos:
      - name: availability
        objective: 99.9
        sli: {ratio: {bad: 'http_requests_total{code=~"5.."}', total: http_requests_total}}
""",
    """\
  - name: ledger
    team: payments
    rule_group: {name: ledger-rules, interval: 1m}
    alerts:
      - {name: LedgerDown, severity: warning, category: infrastructure, expr: 'up{job="ledger"} == 0'}
""",
    """\
  - name: indexer
    team: search
    alerts:
      - {name: IndexerDown, severity: critical, category: infrastructure, for: 2m, expr: 'up{job="indexer"} == 0'}
""",
    """\
  - name: quiet
    team: search
""",
]


def spec(services=SERVICES, head=TEAMS) -> str:
    return head + "services:\n" + "".join(services)


def model_of(text: str):
    project = load_texts({"spec.yaml": text})
    assert project.ok, [str(d) for d in project.diagnostics]
    (model,) = project.models
    return model


def load(text: str) -> dict:
    return YAML(typ="safe").load(text)


def build(text: str) -> dict[str, dict]:
    return {a.path: load(a.content) for a in MimirTarget().generate(model_of(text))}


# ----------------------------------------------------------------------------- layout

def test_one_file_per_team_namespace_holds_its_services_groups_in_name_order():
    files = build(spec())
    assert sorted(files) == ["mimir/rules/payments.yaml", "mimir/rules/search.yaml"]
    assert files["mimir/rules/payments.yaml"]["namespace"] == "payments"
    assert [g["name"] for g in files["mimir/rules/payments.yaml"]["groups"]] == [
        "checkout", "checkout-slo-availability", "ledger-rules"]
    assert [g["name"] for g in files["mimir/rules/search.yaml"]["groups"]] == ["indexer"]


def test_namespaces_per_service_give_each_service_with_rules_its_own_file():
    files = build(spec(head=TEAMS.replace("namespaces: team", "namespaces: service")))
    assert {p: f["namespace"] for p, f in files.items()} == {
        "mimir/rules/checkout.yaml": "checkout", "mimir/rules/indexer.yaml": "indexer",
        "mimir/rules/ledger.yaml": "ledger"}
    assert [g["name"] for g in files["mimir/rules/checkout.yaml"]["groups"]] == [
        "checkout", "checkout-slo-availability"]


def test_namespaces_default_to_one_per_team():
    head = TEAMS.replace(", namespaces: team", "")
    assert sorted(build(spec(head=head))) == ["mimir/rules/payments.yaml", "mimir/rules/search.yaml"]


def test_a_spec_without_rules_writes_no_namespace():
    assert build(spec(services=[SERVICES[3]])) == {}


def test_groups_are_exactly_those_the_rules_and_slo_targets_write_as_rule_files():
    model = model_of(spec())
    files = [a for t in (RulesTarget(), SLOTarget()) for a in t.generate(model) if "/rules/" in a.path]
    plain = sorted((g for a in files for g in load(a.content)["groups"]), key=lambda g: g["name"])
    mimir = sorted((g for f in build(spec()).values() for g in f["groups"]), key=lambda g: g["name"])
    assert mimir == plain
    assert len(mimir) == 4


# ----------------------------------------------------------------------------- mimirtool's format

# What mimirtool's parser (yaml.v3 with KnownFields) accepts: RuleNamespace, rwrulefmt.RuleGroup
# (Prometheus' rulefmt.RuleGroup and Mimir's additions) and rulefmt.Rule.
NAMESPACE_KEYS = {"namespace", "groups"}
GROUP_KEYS = {"name", "interval", "query_offset", "limit", "rules", "labels", "source_tenants",
              "evaluation_delay", "align_evaluation_time_on_interval"}
RULE_KEYS = {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"}


def test_files_use_only_keys_mimirtools_strict_parser_knows_and_unique_group_names():
    for path, doc in build(spec()).items():
        assert set(doc) == NAMESPACE_KEYS, path
        assert Path(path).stem == doc["namespace"]
        names = [g["name"] for g in doc["groups"]]
        assert len(names) == len(set(names)), path
        for group in doc["groups"]:
            assert set(group) <= GROUP_KEYS and group["rules"], group["name"]
            assert all(set(rule) <= RULE_KEYS and ("record" in rule) != ("alert" in rule)
                       for rule in group["rules"])


def test_obsgens_own_recording_rules_pass_mimirtools_strict_name_check():
    # `mimirtool rules check --strict`: level:metric:operation, so at least two colons.
    slo = [r["record"] for f in build(spec()).values() for g in f["groups"] if "-slo-" in g["name"]
           for r in g["rules"] if "record" in r]
    assert slo and all(len(name.split(":")) >= 3 for name in slo), slo


def test_header_says_how_to_sync_the_tenant():
    art = MimirTarget().generate(model_of(spec()))[0]
    assert art.content.startswith("# Generated by obsgen from spec.yaml.")
    assert ('#   mimirtool rules sync --address "$MIMIR_ADDRESS" --id trading --rule-dirs mimir/rules\n'
            in art.content)


def test_without_a_tenant_the_sync_command_names_mimirs_tenant_for_single_tenant_mode():
    art = MimirTarget().generate(model_of(spec(head=TEAMS.replace(", tenant: trading", ""))))[0]
    assert "--id anonymous " in art.content


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_every_namespaces_groups(tmp_path):
    files = build(spec())
    for path, doc in files.items():
        plain = tmp_path / Path(path).name
        plain.write_text(_dump({"groups": doc["groups"]}))
        result = subprocess.run(["promtool", "check", "rules", str(plain)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"SUCCESS: {sum(len(g['rules']) for g in doc['groups'])} rules found" in result.stdout


def _dump(data) -> str:
    import io

    buf = io.StringIO()
    YAML(typ="safe").dump(data, buf)
    return buf.getvalue()


# ----------------------------------------------------------------------------- determinism

def test_output_is_byte_identical_whatever_the_order_of_services():
    first = MimirTarget().generate(model_of(spec()))
    shuffled = list(SERVICES)
    random.Random(7).shuffle(shuffled)
    assert shuffled != SERVICES
    assert MimirTarget().generate(model_of(spec(services=shuffled))) == first
    assert all(a.content.endswith("\n") and "\r" not in a.content for a in first)


def test_target_is_registered_and_the_mimir_output_writes_no_plain_rule_files():
    from obsgen.targets import OUTPUT_TARGETS

    assert REGISTRY["mimir"]().name == "mimir"
    assert "mimir" in OUTPUT_TARGETS["mimir"] and not {"rules", "slo"} & set(OUTPUT_TARGETS["mimir"])
