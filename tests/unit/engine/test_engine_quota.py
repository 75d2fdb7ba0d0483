"""Per-peer storage quotas and what a snapshot may fill (issue 9, item 4); no sockets."""

from __future__ import annotations

from hallway.core.records import local_key
from hallway.core.roster import Fill
from hallway.core.wire import SNAPSHOT_POSTS_MAX, SNAPSHOT_RECORDS_MAX, PostValue, SnapRec
from hallway.engine.links import SnapshotBuffer
from hallway.engine.quota import (
    ITEM_OVERHEAD,
    MAX_BYTES,
    MAX_ITEMS,
    MAX_TRACKED,
    RELOAD_EVERY,
    Quotas,
)
from hallway.engine.quota import item_size as size
from hallway.engine.sync import Spoiled, gap_records, spoil


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_an_honest_weeks_posts_fit_with_room() -> None:
    # A snapshot's worth (the author's 7 days, at most 500 posts) of the longest posts, in
    # four-byte characters, fits twice over; so do the items of four busy weeks.
    assert 2 * SNAPSHOT_POSTS_MAX * size("\U0001d538" * 2000) <= MAX_BYTES
    assert MAX_ITEMS > 4 * 1_000
    assert size("hi") == 2 + ITEM_OVERHEAD
    assert size("é") == 2 + ITEM_OVERHEAD  # bytes as stored (UTF-8), not characters


def test_items_over_the_count_are_refused_until_the_usage_is_read_again() -> None:
    clock, stored = Clock(), {"a": (2, 10)}
    quotas = Quotas(lambda: dict(stored), clock, max_items=4, max_bytes=10**6)
    assert [quotas.admit("a", 5) for _ in range(3)] == [True, True, False]
    assert quotas.admit("b", 5)  # every peer has its own
    assert quotas.used("a") == (4, 10 + 2 * ITEM_OVERHEAD + 10)
    quotas.release("a", 5)  # the database had that one already
    assert quotas.admit("a", 5)
    assert not quotas.admit("a", 5)
    stored["a"] = (0, 0)  # retention pruned them; seen at the next reload
    clock.now += RELOAD_EVERY
    assert quotas.admit("a", 5)


def test_the_usage_of_every_peer_is_read_at_once_and_again_after_many_new_peers() -> None:
    reads: list[int] = []

    def usage() -> dict[str, tuple[int, int]]:
        reads.append(1)
        return {"a": (1, 10)}

    quotas = Quotas(usage, Clock(), max_items=10, max_bytes=10**6)
    assert reads == []  # not before it is needed
    assert quotas.used("a") == (1, 10 + ITEM_OVERHEAD)
    assert quotas.used("b") == (0, 0)  # nothing stored: no query of its own
    assert quotas.admit("c", 5)
    assert len(reads) == 1
    for k in range(MAX_TRACKED):  # a bound on what one reading can grow to
        quotas.used(f"new-{k}")
    assert len(reads) == 2
    assert quotas.used("c") == (0, 0)  # read again: what the database holds (not stored yet)


def test_items_over_the_bytes_are_refused() -> None:
    quotas = Quotas(dict, Clock(), max_items=100, max_bytes=1_000)
    assert quotas.admit("a", 600)
    assert not quotas.admit("a", 600)
    assert quotas.admit("a", 400)


def test_one_warning_per_peer_per_period() -> None:
    clock = Clock()
    quotas = Quotas(dict, clock)
    first = quotas.over("a", "Mallory")
    assert first is not None
    assert first.startswith("Mallory: over the storage quota (5,000 items or 8 MiB)")
    assert quotas.over("a", "Mallory") is None
    assert quotas.over("b", "Ben") is not None
    clock.now += 3600
    assert quotas.over("a", "Mallory") is not None


def _posts(*keys: tuple[int, int]) -> list[SnapRec]:
    return [
        SnapRec(inc, seq, 0.0, "post", local_key(inc, seq), PostValue("x")) for inc, seq in keys
    ]


def test_a_snapshot_fills_only_the_gap_and_each_record_once() -> None:
    fill = Fill(inc=7, low=4, high=6)
    posts = _posts((7, 3), (7, 4), (7, 5), (7, 5), (7, 6), (7, 7), (8, 5), (7, 1000))
    kept, dropped = gap_records(posts, fill)
    assert [(p.inc, p.seq) for p in kept] == [(7, 4), (7, 5), (7, 6)]
    assert dropped == 5


def test_a_snapshot_brings_one_version_of_each_record_the_first_it_lists() -> None:
    # An author lists each record once; a snapshot that repeats a key with other versions
    # cannot make a receiver apply several (nor count them against the budget twice).
    status = [SnapRec(7, seq, 0.0, "status", "", None) for seq in (4, 5, 6)]
    kept, dropped = gap_records(status, Fill(inc=7, low=4, high=6))
    assert kept == status[:1]
    assert dropped == 2


def test_history_is_welcome_on_a_first_snapshot_but_no_more_than_a_snapshot_holds() -> None:
    fill = Fill(inc=7, low=0, high=10_000, history=True)
    posts = _posts(*[(3, n) for n in range(1200)], *[(7, n) for n in range(1, 1200)])
    kept, dropped = gap_records(posts, fill)
    assert len(kept) == SNAPSHOT_RECORDS_MAX
    assert kept[-1] == posts[-1]  # the newest are kept
    assert dropped == len(posts) - SNAPSHOT_RECORDS_MAX


def test_a_spoiled_snapshot_stays_pending_so_that_it_is_asked_for_again() -> None:
    assert spoil(None) is None
    assert isinstance(spoil(SnapshotBuffer(recs=_posts((1, 1)))), Spoiled)
    spoiled = spoil(SnapshotBuffer())
    assert spoiled is not None
    assert spoiled.recs == []
