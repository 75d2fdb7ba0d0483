"""The store's side of issue 9: a peer's usage for its quota, and far-future times clamped."""

from __future__ import annotations

from hallway.core.roster import FUTURE_SKEW
from hallway.store import Store, StoredItem


def _item(peer: str, seq: int, text: str, sent: float, received: float) -> StoredItem:
    return StoredItem(
        peer=peer, inc=1, seq=seq, kind="post", sent_at=sent, received_at=received, text=text
    )


def test_usage_counts_items_and_bytes_per_peer(store: Store) -> None:
    assert store.usage("a") == (0, 0)
    store.add_items([_item("a", 1, "hi", 1.0, 1.0), _item("a", 2, "\U0001d538\u00e9", 2.0, 2.0)])
    store.add_items([_item("b", 1, "other", 1.0, 1.0)])
    assert store.usage("a") == (2, 2 + 4 + 2)  # UTF-8 bytes, as stored


def test_prune_clamps_far_future_times_stored_before_the_engine_clamped_them(
    store: Store,
) -> None:
    """Issue 9, item 5: 55 posts stamped 2^35 held the top of the feed."""
    now = 1_800_000_000.0
    store.add_items([_item("mallory", n, "from 3058", 2.0**35, now - 10) for n in range(55)])
    store.add_items([_item("ann", 1, "real news", now + 600, now + 601)])  # ten minutes on
    assert store.items(1)[0].peer == "mallory"
    assert store.prune(now - 86400) == 0
    feed = store.items(100)
    assert feed[0].text == "real news"
    assert all(item.sent_at <= item.received_at + FUTURE_SKEW for item in feed)
    assert {item.sent_at for item in feed if item.peer == "mallory"} == {now - 10 + FUTURE_SKEW}
