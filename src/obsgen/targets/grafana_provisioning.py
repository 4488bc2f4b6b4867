"""Grafana provisioning: a dashboards provider file and a datasource file, so that a stock Grafana
with this environment's grafana/ folder mounted at `output.grafana.path` loads it as is.

    grafana/dashboards/<folder slug>/<uid>.json    the dashboards (targets/grafana.py)
    grafana/provisioning/dashboards/obsgen.yaml    one provider per folder
    grafana/provisioning/datasources/obsgen.yaml   the datasource every panel queries

One provider per folder rather than one with `foldersFromFilesStructure`: that option names each
folder after its directory (the slug, "web-team" for "Web Team") and turns a `general/` directory
into a folder called "general" beside Grafana's own General. A provider per folder keeps the
spec's folder titles, and General's dashboards land in General. Grafana reads provisioning files
when it starts (or on POST /api/admin/provisioning/dashboards/reload); the dashboards inside each
provider's folder it re-reads on its own.
"""
from __future__ import annotations

from obsgen.core.serialise import Artifact, to_yaml
from obsgen.resolve.model import Model

DASHBOARDS_FILE = "grafana/provisioning/dashboards/obsgen.yaml"
DATASOURCES_FILE = "grafana/provisioning/datasources/obsgen.yaml"
DASHBOARDS_DIR = "grafana/dashboards"
# Grafana's root folder: not a folder one may create, so its provider names no folder.
GENERAL = "general"
# What Grafana's Prometheus datasource should expect of the server it queries (`prometheusType`).
SERVER_KIND = {"files": "Prometheus", "mimir": "Mimir"}


def _literal(text: str) -> str:
    # Grafana expands $VAR and ${VAR} in every provisioning value; `$$` is a literal `$`.
    return text.replace("$", "$$")


def _mount(model: Model, path: str) -> str:
    """Where `path` (relative to the environment folder, below grafana/) is inside Grafana."""
    return model.spec.output.grafana.path.rstrip("/") + "/" + path.removeprefix("grafana/")


def providers(model: Model, folders: dict[str, str]) -> dict:
    """The dashboards provider file for {folder directory: folder title}."""
    out = []
    for directory, title in sorted(folders.items()):
        slug = directory.rsplit("/", 1)[1]
        out.append({
            "name": f"obsgen-{slug}",
            "orgId": 1,
            "type": "file",
            "folder": "" if slug == GENERAL else _literal(title),
            # The files are rewritten by every build: a dashboard gone from the spec goes from
            # Grafana, and edits saved in the UI would be lost, so Grafana refuses them.
            "disableDeletion": False,
            "allowUiUpdates": False,
            "options": {"path": _literal(_mount(model, directory))},
        })
    return {"apiVersion": 1, "providers": out}


def datasources(model: Model) -> dict:
    ds, out = model.spec.global_.datasource, model.spec.output
    source: dict = {
        "name": ds.uid,
        "type": ds.type,
        "uid": ds.uid,
        "access": "proxy",
        "url": _literal(out.grafana.datasource_url),
        "isDefault": True,
        "editable": False,
    }
    if ds.type == "prometheus":
        # The scrape interval is the shortest step worth querying ($__rate_interval builds on it).
        source["jsonData"] = {"timeInterval": model.spec.global_.scrape_interval,
                              "prometheusType": SERVER_KIND.get(out.target, "Prometheus")}
        if out.target == "mimir" and out.mimir.tenant:
            # Mimir answers for the tenant the X-Scope-OrgID header names. Grafana takes custom
            # header values in secureJsonData only; a tenant id is not a secret.
            source["jsonData"]["httpHeaderName1"] = "X-Scope-OrgID"
            source["secureJsonData"] = {"httpHeaderValue1": _literal(out.mimir.tenant)}
    out_list = [source]
    # `datasources` entries with a url are provisioned too (without one, they must already exist).
    for d in sorted(model.spec.datasources, key=lambda d: d.name):
        if d.url is not None and d.uid != ds.uid:
            out_list.append({"name": _literal(d.name), "type": d.type, "uid": d.uid, "access": "proxy",
                             "url": _literal(d.url), "isDefault": False, "editable": False})
    return {"apiVersion": 1, "datasources": out_list}


def provisioning(model: Model, folders: dict[str, str]) -> list[Artifact]:
    """Both provisioning files, for dashboards in {folder directory: folder title}."""
    g = model.spec.output.grafana
    mount = g.path.rstrip("/")
    how = (f"Mount this environment's grafana/ folder at {mount} and start Grafana with\n"
           f"GF_PATHS_PROVISIONING={mount}/provisioning; it reads this file when it starts.")
    header = f"{model.header()}\n\n{how}"
    return [Artifact(DASHBOARDS_FILE, to_yaml(providers(model, folders), header)),
            Artifact(DATASOURCES_FILE, to_yaml(datasources(model), header))]
