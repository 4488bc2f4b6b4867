"""Phase 4, check: every semantic check of a resolved spec, driven from one place."""
