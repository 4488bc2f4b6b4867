"""What every operator resource shares: API versions, metadata, secret references, relabelings."""
from __future__ import annotations

import hashlib
import re

from obsgen.core.naming import secret_ref
from obsgen.resolve.model import Model

MONITORING_V1 = "monitoring.coreos.com/v1"
MONITORING_V1ALPHA1 = "monitoring.coreos.com/v1alpha1"
MANAGED_BY = {"app.kubernetes.io/managed-by": "obsgen"}


def metadata(model: Model, name: str, namespace: str | None = None, labels: dict[str, str] | None = None,
             annotations: dict[str, str] | None = None) -> dict:
    """Metadata with the operator settings' labels (for the Prometheus resource's selectors) and
    obsgen's managed-by label, which wins: it is how people find what obsgen owns."""
    op = model.spec.output.operator
    meta: dict = {"name": name, "namespace": namespace or op.namespace,
                  "labels": dict(sorted({**op.labels, **(labels or {}), **MANAGED_BY}.items()))}
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    return meta


def resource(api_version: str, kind: str, meta: dict, spec: dict) -> dict:
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, "spec": spec}


def k8s_name(text: str, prefix: str = "") -> str:
    """A DNS-1123 name for `text` (a dashboard uid may have capitals and `_`). When the text had to
    change, a digest of the original keeps two texts that change alike (`A_b`, `a-b`) apart."""
    clean = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    name = prefix + clean
    if clean != text:
        name = f"{name[:200]}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"
    return name


def secret_key(path: str) -> dict[str, str]:
    ref = secret_ref(path)
    assert ref is not None, f"resolve lets no unmappable credential file through: {path}"
    return ref


_RELABEL_KEYS = {"source_labels": "sourceLabels", "target_label": "targetLabel", "separator": "separator",
                 "regex": "regex", "modulus": "modulus", "replacement": "replacement", "action": "action"}


def relabeling(rc: dict) -> dict:
    """A Prometheus relabel_config in the operator's RelabelConfig spelling (camelCase keys)."""
    return {_RELABEL_KEYS[k]: v for k, v in rc.items()}
