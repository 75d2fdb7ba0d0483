"""Waiting for state that cannot notify us (another process's, a node's counters)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T | None],
    timeout: float,
    what: str | Callable[[], str],
    *,
    interval: float = 0.05,
) -> T:
    """Poll `condition` until it returns something truthy, or fail after `timeout` seconds.

    The test-side twin of `qtbot.waitUntil`: it waits for a condition, never for a time. `what`
    may be a function, called only on failure: what the scene looked like when time ran out.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout:.1f} s waiting for {said}")
        time.sleep(interval)
