"""A signal timed to miss the system call it should end, on purpose.

A signal that lands after the interpreter's last check for signals but before the main thread
blocks does not interrupt that block: its handler waits until the block ends on its own. That
window is a few microseconds, too narrow to hit on purpose. A signal raised on another thread
while the main thread is blocked has the same effect, every time: the signal module's low-level
handler runs on that thread, and the main thread's system call goes on.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.support.waiting import wait_until

__all__ = ["blocked", "signalled_once_blocked"]

#: How long the main thread may stay blocked after the signal before the test gives up on it.
GIVE_UP = 30.0


def blocked(tid: int) -> bool:
    """Whether thread `tid` of this process sleeps in a system call, other than waiting for a
    lock (the GIL, say: a futex), which a signal raised elsewhere could not be expected to end."""
    task = Path(f"/proc/self/task/{tid}")
    state = (task / "stat").read_text().rsplit(")", 1)[1].split()[0]
    return state == "S" and "futex" not in (task / "wchan").read_text()


@contextlib.contextmanager
def signalled_once_blocked(
    signum: signal.Signals,
    rescue: Callable[[], None],
    *,
    after: Callable[[], bool] = lambda: True,
) -> Iterator[threading.Event]:
    """Within the block, once the main thread blocks in a system call (and `after` holds: the
    block is the one under test), a thread of ours raises `signum` on itself. Call from the main
    thread, with a handler for `signum` set.

    Yields an event set when the main thread did not leave the block within `GIVE_UP` seconds of
    the signal (or never blocked as expected): `rescue` was then called to end the block, so the
    test fails instead of hanging.
    """
    main = threading.get_native_id()
    left = threading.Event()
    rescued = threading.Event()

    def signal_it() -> None:
        try:
            wait_until(
                lambda: left.is_set() or (after() and blocked(main)),
                GIVE_UP,
                "the main thread to block",
            )
        except AssertionError:
            pass  # it never blocked so: rescued below, and the test fails
        else:
            if left.is_set():
                return  # it left the block first (the test failed on its own)
            signal.pthread_kill(threading.get_ident(), signum)
            if left.wait(GIVE_UP):
                return
        rescued.set()
        rescue()

    thread = threading.Thread(target=signal_it, name="signaller")
    thread.start()
    try:
        yield rescued
    finally:
        left.set()
        thread.join()
