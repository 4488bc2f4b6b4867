"""Reading the operator folder back, for `obsgen check` (promtool, amtool) and `obsgen diff`."""
from __future__ import annotations

from pathlib import Path

from obsgen.core.serialise import to_yaml
from obsgen.load.yaml import read_yaml


def _documents(text: str) -> list[dict]:
    return [d for d in read_yaml(text, documents=True) if isinstance(d, dict)]


def operator_rule_file_groups(text: str) -> dict:
    """An operator rule file (PrometheusRule documents) as the `{"groups": [...]}` of a plain
    Prometheus rule file: what `obsgen diff` compares and promtool checks."""
    groups: list = []
    for doc in _documents(text):
        if doc.get("kind") == "PrometheusRule":
            groups.extend(doc.get("spec", {}).get("groups", []))
    return {"groups": groups}


def rule_files(folder: Path) -> dict[str, str]:
    """{`<name>.rules.yml`: plain rule file text} for every rule file under `folder`/rules (folder
    being an environment's operator/ folder), ready for `promtool check rules`."""
    out = {}
    for path in sorted((folder / "rules").glob("*.yaml")):
        out[f"{path.stem}.rules.yml"] = to_yaml(operator_rule_file_groups(path.read_text()))
    return out


def alertmanager_files(folder: Path) -> dict[str, str]:
    """{relative path: text}: `alertmanager.yml` and `templates/*.tmpl` as held in the config
    Secret, the template glob pointed at templates/ beside it, so `amtool check-config
    alertmanager.yml` reads exactly what the operator would. Empty without a config Secret
    (alertmanager_config mode: check the alertmanager.yml the alertmanager target writes)."""
    path = folder / "alertmanager" / "config-secret.yaml"
    if not path.is_file():
        return {}
    return secret_alertmanager_files(path.read_text())


def secret_alertmanager_files(text: str) -> dict[str, str]:
    """What `alertmanager_files` gives, from the text of a config-secret.yaml."""
    # Imported here: alerting brings the Alertmanager target (and jinja2), wanted only when a Secret is read.
    from obsgen.targets.operator.alerting import SECRET_CONFIG_KEY

    out: dict[str, str] = {}
    for doc in _documents(text):
        if doc.get("kind") != "Secret":
            continue
        for key, value in sorted(doc.get("stringData", {}).items()):
            if key == SECRET_CONFIG_KEY:
                config = read_yaml(value)
                config["templates"] = ["templates/*.tmpl"]
                out["alertmanager.yml"] = to_yaml(config)
            else:
                out[f"templates/{key}"] = value
    return out
