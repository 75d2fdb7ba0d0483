"""What one source address may cost this node, before and while its keys become members.

Anyone with the passphrase can make any number of keys, and anyone at all can make requests
under fresh keys. So budgets that protect newcomers are kept per source address, not per key
and not shared: a flood from one address spends that address's budget and nobody else's.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Final, Protocol

from hallway.core.ratelimit import TokenBucket

#: Requests under keys not admitted yet, per source address (a HELLO is one; a member sends one).
STRANGER_RATE: Final = 20.0
STRANGER_BURST: Final = 100.0
#: New keys admitted per source address. A burst covers a demo or a shared host starting up.
NEW_KEY_RATE: Final = 0.5
NEW_KEY_BURST: Final = 32.0
#: Links opened to one address, and those not welcomed yet at once: records naming one address
#: cannot make this node hammer it.
CONNECT_RATE: Final = 0.5
CONNECT_BURST: Final = 32.0
PENDING_PER_ADDRESS: Final = 16
SOURCES_MAX: Final = 1024  # addresses tracked per budget; the least recently used go first


class Budgets:
    """Token buckets by source, bounded: the least recently used are dropped beyond `limit`,
    and a bucket that has filled up again is forgotten (a new one starts full anyway)."""

    def __init__(self, rate: float, burst: float, limit: int = SOURCES_MAX) -> None:
        self.rate = rate
        self.burst = burst
        self.limit = limit
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, source: str, now: float) -> bool:
        bucket = self._buckets.get(source)
        if bucket is None:
            self._prune(now)
            bucket = self._buckets[source] = TokenBucket(self.rate, self.burst)
        else:
            self._buckets.move_to_end(source)
        return bucket.take(now)

    def _prune(self, now: float) -> None:
        for _ in range(2):  # amortised: each insertion looks at the two least recently used
            if not self._buckets:
                return
            source, oldest = next(iter(self._buckets.items()))
            full = oldest.tokens + (now - oldest.stamp) * self.rate >= self.burst
            if not full and len(self._buckets) < self.limit:
                return
            del self._buckets[source]


class PendingLink(Protocol):
    @property
    def address(self) -> str: ...
    @property
    def welcomed(self) -> bool: ...


class Admission:
    """The per-source budgets of one engine."""

    def __init__(self) -> None:
        self.strangers = Budgets(STRANGER_RATE, STRANGER_BURST)
        self.new_keys = Budgets(NEW_KEY_RATE, NEW_KEY_BURST)
        self.connects = Budgets(CONNECT_RATE, CONNECT_BURST)

    def may_connect(self, address: str, links: Iterable[PendingLink], now: float) -> bool:
        """Whether to open one more link to `address` (and charge it if so)."""
        pending = sum(1 for link in links if link.address == address and not link.welcomed)
        return pending < PENDING_PER_ADDRESS and self.connects.take(address, now)
