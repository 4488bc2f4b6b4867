"""`python -m obsgen`: the same as the `obsgen` command."""
from .entry import main

main()
