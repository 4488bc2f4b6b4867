"""One module per exporter kind beyond the first five (those are in resolve/packs/exporters), each
defining `PACK`: the module is the kind's name with `-` as `_` (kube_state_metrics)."""
