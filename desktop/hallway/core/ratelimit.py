"""Per-peer rate limits and once-a-minute logging for noise from misbehaving peers."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

import msgspec


class TokenBucket(msgspec.Struct):
    """`rate` tokens per second, up to `burst`. Starts full."""

    rate: float
    burst: float
    tokens: float = -1.0
    stamp: float = 0.0

    def take(self, now: float, cost: float = 1.0) -> bool:
        if self.tokens < 0:
            self.tokens, self.stamp = self.burst, now
        # A clock that steps back must not drive tokens below zero: that reads as "start full".
        elapsed = max(0.0, now - self.stamp)
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.stamp = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False


class NoiseLog(msgspec.Struct):
    """Counts dropped input per reason and logs at most once per source per period."""

    logger: logging.Logger
    clock: Callable[[], float]
    period: float = 60.0
    counts: Counter[str] = msgspec.field(default_factory=Counter)
    _last: dict[str, float] = msgspec.field(default_factory=dict)
    _since: Counter[str] = msgspec.field(default_factory=Counter)

    def drop(self, source: str, reason: str) -> bool:
        """Count a drop; return True when it was logged (the first in this period)."""
        # Count by kind ("malformed message"), not by the detail, so hostile input cannot grow it.
        self.counts[reason.split(":", 1)[0]] += 1
        self._since[source] += 1
        now = self.clock()
        last = self._last.get(source)
        if last is not None and now - last < self.period:
            return False
        if len(self._last) > 10_000:  # a flood of fresh sources must not grow this forever
            self._last.clear()
            self._since.clear()
        self._last[source] = now
        dropped = self._since.pop(source, 1)
        self.logger.warning(
            "dropped input from %s: %s (%d dropped since last report)", source, reason, dropped
        )
        return True
