"""`python -m obsgen`: the same as the `obsgen` command."""
from obsgen.cli.entry import main

main()
