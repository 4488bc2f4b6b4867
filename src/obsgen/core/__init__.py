"""Phase-independent building blocks every layer may use: diagnostics and the code registry,
naming conventions, the credential scanner, bounded PromQL parsing, Go template structure, the
Alertmanager route evaluator, deterministic serialisation and where obsgen's templates live."""
