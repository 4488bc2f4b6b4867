"""`python -m obsgen`: the same as the `obsgen` command."""
from .cli import main

main()
