"""The records table (schema v5): a record's newest version only, in the author's order;
retention by expiry; a peer's usage; and where an author's own seq resumes."""

from __future__ import annotations

from pathlib import Path

import pytest

from hallway.core.model import Status
from hallway.store import Store, StoredItem, StoredRecord, StoreError

ANN = "a" * 32
BOB = "b" * 32
KEY = b"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
EVENT = f"{ANN}:7:5"


def rec(
    author: str = ANN,
    kind: str = "event",
    key: str = "7:5",
    ver: int = 5,
    *,
    value: bytes = b"\x81\xa1t\xa5event",
    expires: float = 1_000.0,
) -> StoredRecord:
    return StoredRecord(author, kind, key, ver, 7, 10.0, 11.0, value, expires)


def test_a_version_replaces_only_an_older_one(store: Store) -> None:
    assert store.put_records([rec(ver=5)]) == [True]
    # The author's order decides: an older or the same version changes nothing.
    assert store.put_records([rec(ver=4, value=b"old"), rec(ver=5, value=b"same")]) == [
        False,
        False,
    ]
    assert store.records() == [rec(ver=5)]
    assert store.put_records([rec(ver=9, value=b"")]) == [True]  # a deletion is a version too
    assert store.records() == [rec(ver=9, value=b"")]
    assert store.put_records([rec(ver=8)]) == [False]  # nothing older comes back after it


def test_records_are_one_per_author_kind_and_key_in_the_order_written(store: Store) -> None:
    mine = [rec(ver=6), rec(kind="rsvp", key=EVENT, ver=3), rec(key="7:9", ver=9)]
    theirs = rec(BOB, "rsvp", EVENT, ver=4)
    assert store.put_records([*mine, theirs]) == [True] * 4
    assert store.records(ANN) == sorted(mine, key=lambda r: r.ver)
    assert store.records(BOB) == [theirs]
    assert [r.ver for r in store.records()] == [3, 4, 6, 9]


def test_records_survive_reopening(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.put_records([rec()])
    with Store.open(db_path) as store:
        assert store.records() == [rec()]


def test_add_received_writes_records_and_event_expiry_with_the_items(store: Store) -> None:
    store.upsert_peer(BOB, KEY, "Bob", seen_at=10.0, verified=True)
    answers = [rec(ANN, "rsvp", EVENT, ver=3), rec(BOB, "rsvp", EVENT, ver=4)]
    other = rec(BOB, "rsvp", f"{ANN}:7:6", ver=5, expires=77.0)
    item = StoredItem(BOB, 1, 1, "post", 1.0, 1.0, "hi")
    fresh = store.add_received([item], {BOB: Status(set_at=1.0)}, [*answers, other], {EVENT: 555.0})
    assert fresh == [True]
    # The answers to an event expire with it; the others keep their own expiry.
    assert {(r.author, r.key): r.expires for r in store.records()} == {
        (ANN, EVENT): 555.0,
        (BOB, EVENT): 555.0,
        (BOB, f"{ANN}:7:6"): 77.0,
    }


def test_add_received_is_all_or_nothing_records_included(store: Store) -> None:
    with pytest.raises(StoreError):  # a status of a peer never stored
        store.add_received([], {BOB: Status(set_at=1.0)}, [rec()])
    assert store.records() == []


def test_prune_removes_records_whose_time_is_up(store: Store) -> None:
    store.put_records([rec(expires=100.0), rec(key="7:6", expires=200.0), rec(BOB, expires=50.0)])
    assert store.prune(before=0.0) == 0  # no `now`: items only
    assert len(store.records()) == 3
    assert store.prune(before=0.0, now=150.0) == 2
    assert store.records() == [rec(key="7:6", expires=200.0)]


def test_usage_counts_records_with_items(store: Store) -> None:
    store.add_items([StoredItem(ANN, 1, 1, "post", 1.0, 1.0, "hi")])
    store.put_records([rec(value=b"12345"), rec(kind="rsvp", key=EVENT, value=b"")])
    store.put_records([rec(BOB, value=b"x" * 100)])
    assert store.usage_by_peer() == {ANN: (3, 2 + 5), BOB: (1, 100)}  # items and records


def test_last_seq_is_the_highest_of_items_and_records(store: Store) -> None:
    assert store.last_seq(ANN) == (0, None)
    store.add_items(
        [
            StoredItem(ANN, 3, 20, "status", 1.0, 1.0, "Lunch", presence="away"),
            StoredItem(ANN, 4, 12, "post", 1.0, 1.0, "hi"),
            StoredItem(ANN, 4, 13, "status", 1.0, 1.0, "", presence="available"),
            StoredItem(BOB, 1, 99, "post", 1.0, 1.0, "not Ann's"),
        ]
    )
    # The latest status item is the one written last, whatever its seq.
    assert store.last_seq(ANN) == (20, (4, 13))
    store.put_records([rec(ver=31), rec(BOB, ver=500)])
    assert store.last_seq(ANN) == (31, (4, 13))
