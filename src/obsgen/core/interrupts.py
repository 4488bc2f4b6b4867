"""Interrupts (Ctrl-C, SIGTERM) that arrive where Python cannot raise them.

An interrupt raises KeyboardInterrupt between two Python bytecodes. Inside pydantic's validator
(Rust calling back into Python) it cannot propagate: it is printed as an ignored exception, with a
traceback, and the value being checked is reported invalid (found by tests/test_kill.py). Two
defences: `deferred()` blocks the signals around the bulk of that work (the kernel holds them
until the block ends, and the interrupt then arrives as usual), and the CLI notes every interrupt
(`note`), so one that was swallowed anyway still stops the run at the next `raise_if_pending`,
before anything wrong is printed or written.
"""
from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_interrupted = threading.Event()


def note() -> None:
    """An interrupt arrived (the CLI's signal handlers and its hook for swallowed exceptions)."""
    _interrupted.set()


def pending() -> bool:
    return _interrupted.is_set()


def raise_if_pending() -> None:
    """Stop here if an interrupt arrived and was swallowed on its way."""
    if _interrupted.is_set():
        raise KeyboardInterrupt


@contextmanager
def deferred() -> Iterator[None]:
    """SIGINT and SIGTERM held until the block is done (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
