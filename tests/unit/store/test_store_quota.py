"""The store's side of issue 9: a peer's usage for its quota, and far-future times clamped."""

from __future__ import annotations

from hallway.store import Store, StoredItem


def _item(peer: str, seq: int, text: str, sent: float, received: float) -> StoredItem:
    return StoredItem(
        peer=peer, inc=1, seq=seq, kind="post", sent_at=sent, received_at=received, text=text
    )


def test_usage_counts_items_and_bytes_per_peer(store: Store) -> None:
    assert store.usage_by_peer() == {}
    store.add_items([_item("a", 1, "hi", 1.0, 1.0), _item("a", 2, "\U0001d538\u00e9", 2.0, 2.0)])
    store.add_items([_item("b", 1, "other", 1.0, 1.0)])
    assert store.usage_by_peer() == {"a": (2, 2 + 4 + 2), "b": (1, 5)}  # UTF-8 bytes, as stored
