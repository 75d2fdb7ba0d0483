"""`Store.before_use`: the engine keeps what it received in a batch for a moment (ARCHITECTURE
decision 6); every read or write of the database writes that batch first, so none of them
misses it, and the batch's own write does not call the hook again. Our own status and posts,
written between a command and the wire, are the exception: they read nothing received."""

from __future__ import annotations

import pytest

from hallway.core.model import Presence, Status
from hallway.store import Store
from tests.unit.store.test_store_db import post, status_item


def test_a_read_writes_the_waiting_batch_first(store: Store) -> None:
    waiting = [post(seq=1, text="received a moment ago")]
    calls: list[int] = []

    def write_batch() -> None:
        calls.append(len(waiting))
        batch, waiting[:] = list(waiting), []
        if batch:
            store.add_items(batch)  # a write of its own: no second call

    store.before_use = write_batch
    assert [item.text for item in store.items()] == ["received a moment ago"]
    assert calls == [1]
    store.items()
    assert calls == [1, 0]  # every use asks; nothing was waiting the second time


def test_a_write_writes_the_waiting_batch_first(store: Store) -> None:
    order: list[str] = []
    store.before_use = lambda: order.append("batch")
    store.add_item(post(seq=2))
    assert order == ["batch"]


def test_a_failing_batch_fails_the_use_and_the_hook_stays(store: Store) -> None:
    def broken() -> None:
        raise RuntimeError("disk gone")

    store.before_use = broken
    with pytest.raises(RuntimeError):
        store.items()
    assert store.before_use is broken


def test_our_own_status_and_posts_are_written_without_the_batch(store: Store) -> None:
    waiting = [post(peer="b" * 32, seq=1, text="received a moment ago")]

    def write_batch() -> None:
        batch, waiting[:] = list(waiting), []
        if batch:
            store.add_items(batch)

    store.before_use = write_batch
    store.record_own_status(Status(presence=Presence.BUSY, text="In a meeting"), status_item())
    store.add_own_item(post(seq=2, text="our post"))
    assert [item.text for item in waiting] == ["received a moment ago"]  # still waiting
    # The next read writes it first, and finds everything.
    texts = {item.text for item in store.items()}
    assert texts == {"received a moment ago", "our post", "In a meeting"}
    assert waiting == []
