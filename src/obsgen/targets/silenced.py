"""silenced.yaml: every check the spec silenced in this environment, on what, and why.

It travels with the output so that reviewers and auditors see the exceptions next to the
configuration they affect. Written only when something is silenced."""
from __future__ import annotations

from obsgen.core.serialise import Artifact, to_yaml
from obsgen.resolve.model import Model, Silenced


class SilencedTarget:
    name = "silenced"

    def generate(self, model: Model) -> list[Artifact]:
        if not model.silenced:
            return []
        return [Artifact("silenced.yaml", to_yaml(silenced_doc(list(model.silenced)), model.header()))]


def silenced_doc(per_env: list[Silenced]) -> dict:
    return {"silenced": [{"object": s.what, "check": s.code, "reason": s.reason, "finding": s.message}
                         for s in per_env]}
