"""Importers: other tools' files (Sloth, OpenSLO, Pyrra, Prometheus rule files, Grafana dashboards,
Alertmanager configurations, prometheus.yml) into obsgen specs; `detect` finds a file's kind and
merges the specs of several kinds. Each reads
its format with positions (`common`: the shared reading, checking and writing of a spec), maps it
onto obsgen's own model, and reports every approximation as a warning at its position."""
from obsgen.features.importers.alertmanager import import_alertmanager
from obsgen.features.importers.grafana import import_grafana
from obsgen.features.importers.openslo import import_openslo
from obsgen.features.importers.prometheus import import_prometheus
from obsgen.features.importers.pyrra import import_pyrra
from obsgen.features.importers.rules import import_rules
from obsgen.features.importers.sloth import import_sloth

__all__ = ["import_alertmanager", "import_grafana", "import_openslo", "import_prometheus", "import_pyrra", "import_rules",
           "import_sloth"]
