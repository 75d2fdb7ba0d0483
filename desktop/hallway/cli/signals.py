"""SIGINT and SIGTERM as an exception in the main thread, for a clean shutdown.

Python runs a signal's handler in the main thread between two bytecodes, not when the signal
arrives. A signal that lands after the interpreter's last check but before the main thread blocks
in a system call (a `recv`, a lock) leaves its handler pending until that call returns, which may
be never: Ctrl-C ignored. So a block that a signal must end waits through the wait that
`terminate_on_signals` yields, which also watches the signal module's wakeup descriptor. The
signal's low-level handler writes there however the signal is timed, the wait returns, and the
pending handler runs.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
from collections.abc import Iterator
from types import FrameType

from hallway.control.transport import wait_readable

TYPE_CHECKING = False  # typing's own would import typing (see hallway.control.client)
if TYPE_CHECKING:
    from hallway.control.transport import WaitReadable

__all__ = [
    "EXIT_INTERRUPTED",
    "Terminate",
    "ignore_signals",
    "terminate_on_signals",
]

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

    @property
    def exit_status(self) -> int:
        """A client command's: `EXIT_INTERRUPTED` on Ctrl-C, 0 when asked to stop (SIGTERM)."""
        return EXIT_INTERRUPTED if self.interrupted else 0


@contextlib.contextmanager
def terminate_on_signals() -> Iterator[WaitReadable]:
    """Within the block, SIGINT and SIGTERM raise `Terminate` in the main thread (once).

    Yields the way to block until a descriptor is readable that a signal always ends: with
    `Terminate`, raised by the handler as the wait returns. Elsewhere than the main thread, where
    no handler can be set, it is plain `wait_readable`.
    """
    if not _in_main_thread():
        yield wait_readable  # signal handlers can only be set from the main thread
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        ignore_signals()  # shutting down is bounded; a second Ctrl-C must not interrupt it
        raise Terminate(signum)

    wakeup, woken = os.pipe()
    for fd in (wakeup, woken):
        os.set_blocking(fd, False)

    def wait(fd: int, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            readable, _, _ = select.select([fd, wakeup], [], [], left)
            if wakeup in readable:
                # A signal came. Its handler runs (raising Terminate) at the interpreter's next
                # check for signals: as this function is left or goes round, before another wait.
                with contextlib.suppress(BlockingIOError):
                    os.read(wakeup, 512)
            if fd in readable:
                return True
            if not readable:
                return False  # timed out

    previous = {sig: signal.signal(sig, handler) for sig in _SIGNALS}
    previous_wakeup = signal.set_wakeup_fd(woken, warn_on_full_buffer=False)
    try:
        yield wait
    finally:
        signal.set_wakeup_fd(previous_wakeup)
        for sig, old in previous.items():
            signal.signal(sig, old)
        os.close(wakeup)
        os.close(woken)


def ignore_signals() -> None:
    if _in_main_thread():
        for sig in _SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
