"""The knocks table (schema v6): the outbox, dedupe by (peer, id, direction), and its migration."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import msgspec

from hallway.store import SCHEMA_VERSION, Store, StoredKnock, schema

BEN = "b" * 32
CAT = "c" * 32


def knock(peer: str = BEN, knock_id: str = "0123456789abcdef", **changes: object) -> StoredKnock:
    base = StoredKnock(
        peer=peer,
        id=knock_id,
        outgoing=True,
        text="Got a minute?",
        urgent=False,
        state="pending",
        created=100.0,
        expires=100.0 + 12 * 3600,
    )
    return msgspec.structs.replace(base, **changes)


def test_a_knock_round_trips_with_every_field(store: Store) -> None:
    full = knock(
        outgoing=False,
        urgent=True,
        state="replied",
        held="dnd",
        reply="In 5 min",
        reply_sent=True,
        replied_at=150.5,
    )
    assert store.add_knock(full)
    assert store.knock(BEN, full.id, False) == full
    assert store.knock(BEN, full.id, True) is None


def test_a_received_copy_is_not_stored_twice(store: Store) -> None:
    first = knock(outgoing=False, state="shown")
    assert store.add_knock(first)
    assert not store.add_knock(msgspec.structs.replace(first, text="changed", created=200.0))
    assert store.knock(BEN, first.id, False) == first
    # The same id from another sender, or in the other direction, is another knock.
    assert store.add_knock(msgspec.structs.replace(first, peer=CAT))
    assert store.add_knock(msgspec.structs.replace(first, outgoing=True))
    assert len(store.knocks_by_id(first.id)) == 3


def test_save_knock_updates_its_state(store: Store) -> None:
    pending = knock()
    store.save_knock(pending)
    delivered = msgspec.structs.replace(pending, state="held", held="quiet")
    store.save_knock(delivered)
    assert store.knock(BEN, pending.id, True) == delivered
    replied = msgspec.structs.replace(delivered, state="replied", reply="Yes", replied_at=300.0)
    store.save_knock(replied)
    assert store.knocks() == [replied]


def test_open_knocks_are_the_outbox_the_held_and_unsent_replies(store: Store) -> None:
    ids = iter(f"{n:016x}" for n in range(100))
    outbox = knock(knock_id=next(ids))
    delivered = knock(knock_id=next(ids), state="delivered")
    held = knock(knock_id=next(ids), outgoing=False, state="held", held="dnd")
    shown = knock(knock_id=next(ids), outgoing=False, state="shown")
    reply = knock(knock_id=next(ids), outgoing=False, state="replied", reply="No", replied_at=5.0)
    sent = msgspec.structs.replace(reply, id=next(ids), reply_sent=True)
    for each in (outbox, delivered, held, shown, reply, sent):
        store.save_knock(each)
    assert store.open_knocks() == [outbox, held, reply]


def test_knocks_are_newest_first_and_counted_per_sender(store: Store) -> None:
    for n in range(5):
        store.add_knock(knock(knock_id=f"{n:016x}", outgoing=False, state="shown", created=n))
    store.add_knock(knock(peer=CAT, knock_id="f" * 16, outgoing=False, state="shown", created=9))
    assert [k.created for k in store.knocks()] == [9, 4, 3, 2, 1, 0]
    assert [k.created for k in store.knocks(limit=2)] == [9, 4]
    assert store.knocks_from(BEN, since=2) == 3
    assert store.knocks_from(CAT, since=0) == 1


def test_prune_keeps_held_knocks_and_drops_old_others(store: Store) -> None:
    old_held = knock(knock_id="1" * 16, outgoing=False, state="held", held="quiet", created=1.0)
    old_shown = knock(knock_id="2" * 16, outgoing=False, state="shown", created=1.0)
    new = knock(knock_id="3" * 16, state="delivered", created=50.0)
    for each in (old_held, old_shown, new):
        store.save_knock(each)
    assert store.prune(before=10.0) == 1
    assert {k.id for k in store.knocks()} == {old_held.id, new.id}


def test_v5_data_goes_on_through_v6(db_path: Path) -> None:
    """v6 adds the knocks table; what v5 stored stays, and the table starts empty."""
    with closing(sqlite3.connect(db_path, isolation_level=None)) as conn:
        schema.migrate(conn, db_path, target=5)
        conn.execute(
            "INSERT INTO records VALUES ('a', 'event', '7:5', 5, 7, 60.0, 61.0, x'81', 9e9)"
        )
        conn.execute(
            "INSERT INTO items VALUES (?, 7, 3, 'post', 50.0, 51.0, 'Hi', 0, '[]', NULL, '', "
            "NULL, 'Ann')",
            (BEN,),
        )
    with Store.open(db_path) as store:
        assert len(store.records()) == 1
        assert len(store.items()) == 1
        assert store.knocks() == []
        store.save_knock(knock())
        assert store.open_knocks() == [knock()]
    with closing(sqlite3.connect(db_path)) as conn:
        assert schema.user_version(conn) == SCHEMA_VERSION == 8
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
