"""SIGINT and SIGTERM as an exception in the main thread, for a clean shutdown."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

__all__ = ["EXIT_INTERRUPTED", "Terminate", "ignore_signals", "terminate_on_signals"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)

#: The shell's status for a command stopped by Ctrl-C (128 + SIGINT), which scripts test for.
EXIT_INTERRUPTED = 128 + signal.SIGINT


def _in_main_thread() -> bool:
    import threading  # not at the top: `hallway peers` never sets a handler (~2 ms to import)

    return threading.current_thread() is threading.main_thread()


class Terminate(BaseException):
    """SIGINT or SIGTERM arrived: leave the loop and shut down.

    A BaseException, like KeyboardInterrupt, so no `except Exception` swallows it. `signum` says
    which: a client command exits with `EXIT_INTERRUPTED` on Ctrl-C, and 0 when asked to stop.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def interrupted(self) -> bool:
        return self.signum == signal.SIGINT


@contextlib.contextmanager
def terminate_on_signals() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise `Terminate` in the main thread (once)."""
    if not _in_main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        ignore_signals()  # shutting down is bounded; a second Ctrl-C must not interrupt it
        raise Terminate(signum)

    previous = {sig: signal.signal(sig, handler) for sig in _SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def ignore_signals() -> None:
    if _in_main_thread():
        for sig in _SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
