"""Giving freed memory back to the system.

A burst (a flood of mDNS records, a big snapshot, a search) leaves glibc's heaps holding the
freed memory: Python frees, but malloc keeps the pages for later. `trim` asks glibc to return
them (`malloc_trim`), which is what lets a node's memory come back after a flood. It takes well
under a millisecond, so the actor calls it with every heartbeat. Elsewhere (musl, macOS) it does
nothing.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable

__all__ = ["trim"]


def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None).malloc_trim  # the C library the process already runs on
    except (OSError, AttributeError):  # not glibc
        return None
    function.argtypes = [ctypes.c_size_t]
    function.restype = ctypes.c_int
    return function


_TRIM = _malloc_trim()


def trim() -> bool:
    """Return free heap memory to the system; True when some was returned."""
    return _TRIM is not None and _TRIM(0) == 1
