"""`python -m obsgen.cli`: always the full typer CLI, never the fast path (tests compare the two)."""
from obsgen.cli.entry import main

main(full=True)
