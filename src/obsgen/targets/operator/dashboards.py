"""Dashboards as ConfigMaps for the Grafana sidecar (kube-prometheus-stack's grafana chart).

The sidecar picks up ConfigMaps carrying `grafana_sidecar_label` and writes each data key to a
file; with `sidecar.dashboards.folderAnnotation: grafana_folder` (and the dashboards provider's
`foldersFromFilesStructure: true`) it puts the file in the folder the annotation names.
"""
from __future__ import annotations

from obsgen.core import naming
from obsgen.core.serialise import to_json
from obsgen.resolve.datasources import Datasources
from obsgen.resolve.model import Model
from obsgen.targets.grafana import dashboard, folder_title
from obsgen.targets.operator.common import k8s_name, metadata

FOLDER_ANNOTATION = "grafana_folder"


def dashboard_configmaps(model: Model) -> dict[str, dict]:
    """{dashboard uid: ConfigMap}, the dashboard JSON as `<uid>.json`, exactly as the files target writes it."""
    sources = Datasources(model.spec)
    sidecar = model.spec.output.operator.grafana_sidecar_label
    # Folder titles whose slugs agree are one folder, named by the first in sort order, as the
    # files target lays them out.
    titles = {uid: folder_title(spec) for uid, spec in model.dashboards}
    canonical: dict[str, str] = {}
    for title in titles.values():
        key = naming.slug(title, 63)
        canonical[key] = min(title, canonical.get(key, title))
    out = {}
    for uid, spec in model.dashboards:
        folder = canonical[naming.slug(titles[uid], 63)]
        meta = metadata(model, k8s_name(uid, "grafana-dashboard-"), labels=dict(sidecar),
                        annotations={FOLDER_ANNOTATION: folder})
        out[uid] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
                    "data": {f"{uid}.json": to_json(dashboard(uid, spec, sources))}}
    return out
