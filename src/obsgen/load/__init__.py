"""Phase 1, load: spec files found on disk and read as YAML that remembers every position."""
