"""The command line. Empty on purpose: `obsgen validate` and `obsgen build` start in `entry` and
must not import typer (`app`)."""
