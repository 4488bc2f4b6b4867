"""The `obsgen` command's entry point.

`obsgen validate` runs in pre-commit hooks and `obsgen build` in CI, so their usual forms (paths,
--strict, --format, --target; --out and --check for build) are read here and run without
importing the command-line framework, which would add about 45 ms to every run. Anything else
(another command, --help, an option or value this does not know) goes to the full CLI in
`app.py`, which also reports usage errors. Both call the same functions in `commands.py`.
"""
from __future__ import annotations

import gc
import importlib
import os
import signal
import sys
import types
from pathlib import Path

from obsgen.core import interrupts

_FORMATS = ("text", "json")
_TARGETS = ("files", "operator", "mimir")


def _fast_args(argv: list[str]) -> tuple[str, dict] | None:
    """(command, keyword arguments) for a plain `validate` or `build` command line, else None."""
    if not argv or argv[0] not in ("validate", "build"):
        return None
    command = argv[0]
    kwargs: dict = {"paths": [], "fmt": "text", "strict": False, "output": None}
    if command == "build":
        kwargs.update(out=Path("generated"), check=False)
    args = iter(argv[1:])
    for arg in args:
        if arg == "--strict":
            kwargs["strict"] = True
        elif arg == "--check" and command == "build":
            kwargs["check"] = True
        elif arg in ("--format", "--target", "--out", "-o") or arg.startswith(("--format=", "--target=", "--out=")):
            name, _, value = arg.partition("=")
            if not value:
                value = next(args, "")
            if name == "--format" and value in _FORMATS:
                kwargs["fmt"] = value
            elif name == "--target" and value in _TARGETS:
                kwargs["output"] = value
            elif name in ("--out", "-o") and command == "build" and value and not value.startswith("-"):
                kwargs["out"] = Path(value)
            else:
                return None
        elif arg.startswith("-"):
            return None  # --help, -h, an unknown option: the full CLI answers
        else:
            kwargs["paths"].append(Path(arg))
    return command, kwargs


def _interrupt(signum, frame) -> None:
    interrupts.note()  # remembered, in case the exception is swallowed where it lands
    raise KeyboardInterrupt  # SIGTERM stops obsgen the way Ctrl-C does


def _unraisable(previous):
    def hook(unraisable) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            interrupts.note()  # an interrupt inside pydantic's validator: the run stops at the next check
            return
        previous(unraisable)
    return hook


def main(full: bool = False) -> None:
    """The `obsgen` command. `full` always uses the typer CLI (`python -m obsgen.cli`), so tests
    can compare it with the fast path."""
    # obsgen allocates many small objects that live for the whole run (models, nodes, output
    # trees). With CPython's default threshold (700) the collector walks them again and again:
    # a quarter of `validate`'s time on 1,000 services. Every 10,000 allocations still finds the
    # few cycles there are, and peak memory stays within 4% (benchmarks/README.md).
    gc.set_threshold(10_000, 10, 10)
    # SIGTERM and Ctrl-C stop a run cleanly: a build removes what it staged and leaves the output
    # folder as it was (write/tree.py), and the user gets one line, not a traceback.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    sys.unraisablehook = _unraisable(sys.unraisablehook)
    try:
        _main(full)
    except KeyboardInterrupt:
        _aborted()
    except SystemExit:
        raise
    except BaseException as exc:
        # An interrupt can land anywhere, and a few places wrap or swallow it: while a class is
        # being made (importing the models), Python 3.11 turns it into a RuntimeError about
        # `__set_name__`; while a Rust extension imports (promql-parser), it becomes that
        # extension's PanicException, which is not even an Exception.
        if _interrupted(exc) or interrupts.pending():
            _aborted()
        raise


def _interrupted(exc: BaseException | None) -> bool:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _aborted() -> None:
    print("Aborted!", file=sys.stderr)
    raise SystemExit(1) from None


def _without_plugin_discovery() -> None:
    """pydantic's plugin loader imports importlib.metadata (and with it email, zipfile, csv: about
    30 ms, 7% of `obsgen validate` on the reference spec) before it reads that plugins are
    disabled, and then returns none. With every plugin disabled, this stands in for it: no
    plugins, and any other name it is asked for comes from the real loader."""
    name = "pydantic.plugin._loader"
    if name in sys.modules:
        return
    stub = types.ModuleType(name)
    stub.get_plugins = lambda: ()  # type: ignore[attr-defined]

    def real(attr: str):
        if attr.startswith("__"):  # the import system asks for __path__ and the like
            raise AttributeError(attr)
        sys.modules.pop(name, None)
        return getattr(importlib.import_module(name), attr)
    stub.__getattr__ = real  # type: ignore[attr-defined]
    sys.modules[name] = stub


def _main(full: bool) -> None:
    # obsgen's models use no pydantic plugin; looking for them reads every installed package's
    # entry points (about 20 ms). Set before pydantic is imported; an explicit setting wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if os.environ["PYDANTIC_DISABLE_PLUGINS"] == "__all__":
        _without_plugin_discovery()
    fast = None if full else _fast_args(sys.argv[1:])
    if fast is None:
        from obsgen.cli.app import app

        app()  # click reports Ctrl-C inside a command as "Aborted!" too
        return
    from obsgen.cli import commands

    command, kwargs = fast
    raise SystemExit(getattr(commands, command)(**kwargs))
