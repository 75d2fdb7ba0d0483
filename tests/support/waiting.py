"""Waiting for state that cannot notify us (another process's, a node's counters)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T | None], timeout: float, what: str, *, interval: float = 0.05
) -> T:
    """Poll `condition` until it returns something truthy, or fail after `timeout` seconds.

    The test-side twin of `qtbot.waitUntil`: it waits for a condition, never for a time.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f} s waiting for {what}")
        time.sleep(interval)
