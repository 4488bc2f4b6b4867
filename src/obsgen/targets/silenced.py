"""silenced.yaml: every check the spec silenced in this environment, on what, and why.

It travels with the output so that reviewers and auditors see the exceptions next to the
configuration they affect. Written only when something is silenced."""
from __future__ import annotations

from obsgen.resolve.model import Model
from obsgen.core.serialise import Artifact, to_yaml
from obsgen.check.silences import silenced_doc


class SilencedTarget:
    name = "silenced"

    def generate(self, model: Model) -> list[Artifact]:
        if not model.silenced:
            return []
        return [Artifact("silenced.yaml", to_yaml(silenced_doc(list(model.silenced)), model.header()))]
