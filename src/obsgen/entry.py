"""The `obsgen` command's entry point.

`obsgen validate` runs in pre-commit hooks, so its usual forms (paths, --strict, --format,
--target) are read here and run without importing the command-line framework, which would add
about a fifth to its run time. Anything else (another command, --help, an option or value this
does not know) goes to the full CLI in `cli.py`, which also reports usage errors.
"""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

_FORMATS = ("text", "json")
_TARGETS = ("files", "operator", "mimir")


def _validate_args(argv: list[str]) -> tuple[list[Path], str, bool, str | None] | None:
    """(paths, format, strict, target) for a plain `validate` command line, else None."""
    if not argv or argv[0] != "validate":
        return None
    paths: list[Path] = []
    fmt, strict, target = "text", False, None
    args = iter(argv[1:])
    for arg in args:
        if arg == "--strict":
            strict = True
        elif arg in ("--format", "--target") or arg.startswith(("--format=", "--target=")):
            name, _, value = arg.partition("=")
            if not value:
                value = next(args, "")
            if name == "--format" and value in _FORMATS:
                fmt = value
            elif name == "--target" and value in _TARGETS:
                target = value
            else:
                return None
        elif arg.startswith("-"):
            return None  # --help, -h, an unknown option: the full CLI answers
        else:
            paths.append(Path(arg))
    return paths, fmt, strict, target


def _terminate(signum, frame) -> None:
    raise KeyboardInterrupt  # SIGTERM stops obsgen the way Ctrl-C does


def main() -> None:
    # SIGTERM and Ctrl-C stop a run cleanly: a build removes what it staged and leaves the output
    # folder as it was (writer.py), and the user gets one line, not a traceback.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        _main()
    except KeyboardInterrupt:
        print("Aborted!", file=sys.stderr)
        raise SystemExit(1) from None


def _main() -> None:
    # obsgen's models use no pydantic plugin; looking for them reads every installed package's
    # entry points (about 20 ms). Set before pydantic is imported; an explicit setting wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    args = _validate_args(sys.argv[1:])
    if args is None:
        from .cli import app

        app()  # click reports Ctrl-C inside a command as "Aborted!" too
        return
    from .commands import validate

    raise SystemExit(validate(*args))
