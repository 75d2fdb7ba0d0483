"""Per-peer storage quotas: what one member can make this node keep on disk.

The rate limit bounds how fast a member's items arrive; the quota bounds how many of them stay.
Usage is counted here as items are admitted, and read from the database for every peer at once
(`read`) after each pruning by retention: the engine's first loop turn, then every hour. So the
receive path pays a dict lookup and no query. (Read one peer at a time, the first item from each
peer cost a query, and the received batch written before it, at every node. Read when first
needed, the query and that batch came with the first item a node received: ~0.8 ms of every
node's CPU on the office's first update after a start, when all of them apply it at once.) What
was never read, or not for RELOAD_EVERY, or has gained MAX_TRACKED new peers since, is read
when next needed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from hallway.core.ratelimit import NoiseLog

#: Items (posts and status changes) and bytes one peer may have stored. A snapshot carries at
#: most 500 posts, its author's last 7 days (wire.SNAPSHOT_POSTS_MAX); with a status change
#: every few minutes of a working day on top, a very busy member stores about 1,000 items a
#: week, and retention (30 days by default) keeps four weeks of them. 5,000 items is that with
#: room; 8 MiB holds 500 posts of 2,000 four-byte characters twice over, or 5,000 typical ones.
#: A hostile member, or one whose automation runs away, stops there: ~9 MiB of database.
MAX_ITEMS: Final = 5_000
MAX_BYTES: Final = 8 * 1024 * 1024
#: What a row costs besides its text: ids, times, tags and its entries in three indexes.
ITEM_OVERHEAD: Final = 160
RELOAD_EVERY: Final = 3600.0
MAX_TRACKED: Final = 4096  # peers new since the last read; beyond them the usage is read again

OVER_QUOTA: Final = "over the storage quota"
QUOTA_WARN_EVERY: Final = 3600.0  # one warning per peer per hour while it stays over

Usage = Callable[[], dict[str, tuple[int, int]]]  # every peer -> (items, bytes of text) stored


def item_size(text: str) -> int:
    """The bytes an item counts for: its text as stored, and the row around it."""
    return (len(text) if text.isascii() else len(text.encode())) + ITEM_OVERHEAD


class Quotas:
    def __init__(
        self,
        usage: Usage,
        clock: Callable[[], float],
        *,
        max_items: int = MAX_ITEMS,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self._usage = usage
        self._clock = clock
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._used: dict[str, list[int]] = {}
        self._limit = 0  # read it when this many peers are tracked (first: at once)
        self._reload_at = 0.0
        self._noise = NoiseLog(logging.getLogger("hallway.engine"), clock, QUOTA_WARN_EVERY)

    def admit(self, peer: str, size: int) -> bool:
        """Count an item of `size` bytes against the peer's quota; False when it is over."""
        used = self._get(peer)
        if used[0] + 1 > self.max_items or used[1] + size > self.max_bytes:
            return False
        used[0] += 1
        used[1] += size
        return True

    def release(self, peer: str, size: int) -> None:
        """An admitted item was not stored after all (the database had it already)."""
        used = self._used.get(peer)
        if used is not None:
            used[0] = max(0, used[0] - 1)
            used[1] = max(0, used[1] - size)

    def used(self, peer: str) -> tuple[int, int]:
        items, size = self._get(peer)
        return items, size

    def over(self, peer: str, name: str) -> str | None:
        """Note that the peer's items were dropped: the warning to give, once per peer per
        QUOTA_WARN_EVERY (logged then, with the count since the last one), else None."""
        mib = self.max_bytes / (1024 * 1024)
        message = (
            f"{name}: {OVER_QUOTA} ({self.max_items:,} items or {mib:g} MiB); "
            "its new items are not saved until older ones age out"
        )
        return message if self._noise.drop(peer, message) else None

    def read(self) -> None:
        """Read every peer's usage from the database now."""
        self._used = {
            author: [items, text_bytes + items * ITEM_OVERHEAD]
            for author, (items, text_bytes) in self._usage().items()
        }
        self._limit = len(self._used) + MAX_TRACKED
        self._reload_at = self._clock() + RELOAD_EVERY

    def _get(self, peer: str) -> list[int]:
        if self._clock() >= self._reload_at or len(self._used) >= self._limit:
            self.read()
        used = self._used.get(peer)
        if used is None:  # nothing stored yet
            used = self._used[peer] = [0, 0]
        return used
