"""Phase 6, write: the output folder, written atomically and kept as a trust boundary."""
