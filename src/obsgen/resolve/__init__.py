"""Phase 3, resolve: the files merged, each environment applied, the model (with what obsgen
derives: probe and log alerts, SLO rules) that targets generate from."""
