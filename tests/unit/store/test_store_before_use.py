"""`Store.before_use`: the engine keeps what it received in a batch for a moment (ARCHITECTURE
decision 6); every read or write of the database writes that batch first, so none of them
misses it, and the batch's own write does not call the hook again."""

from __future__ import annotations

import pytest

from hallway.store import Store
from tests.unit.store.test_store_db import post


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
