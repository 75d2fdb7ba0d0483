"""Migrations: a fresh database reaches the latest version, and every bump keeps real data."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from hallway.core.model import Presence, Status
from hallway.core.roster import FUTURE_SKEW
from hallway.store import (
    SCHEMA_VERSION,
    Store,
    StoredItem,
    StoredPeer,
    StoredRecord,
    StoreError,
    schema,
)

ANN = "a" * 32
KEY = b"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"


@contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection in autocommit mode, as `migrate` requires."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        yield conn


def tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {row[0] for row in rows}


def indexes(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    return {row[0] for row in rows}


def test_fresh_database_reaches_the_latest_version(db_path: Path) -> None:
    with Store.open(db_path):
        pass
    with raw(db_path) as conn:
        assert schema.user_version(conn) == SCHEMA_VERSION == 8
        assert {
            "meta",
            "own_status",
            "peers",
            "peer_status",
            "items",
            "status_history",
            "records",
            "knocks",
        } <= tables(conn)
        assert {"items_by_sent_at", "items_by_received_at", "records_by_expiry"} <= indexes(conn)


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION + 1))
def test_each_migration_applies_on_its_predecessor(db_path: Path, version: int) -> None:
    with raw(db_path) as conn:
        schema.migrate(conn, db_path, target=version - 1)
        assert schema.user_version(conn) == version - 1
        schema.migrate(conn, db_path, target=version)
        assert schema.user_version(conn) == version
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_v1_data_migrates_to_v2_intact(db_path: Path) -> None:
    with raw(db_path) as conn:
        schema.migrate(conn, db_path, target=1)
        # Rows written the way the v1 code wrote them.
        conn.execute("INSERT INTO meta VALUES ('name', 'Ann'), ('seq', '41')")
        conn.execute(
            "INSERT INTO own_status VALUES (1, 'busy', 'Writing the report', '📝', 5000.0, 100.0)"
        )
        conn.execute("INSERT INTO peers VALUES (?, ?, 'Ann', 10.0, 20.0, 1)", (ANN, KEY))
        conn.execute("INSERT INTO peer_status VALUES (?, 'away', 'Lunch', '', NULL, 15.0)", (ANN,))
        conn.execute(
            "INSERT INTO items VALUES (?, 3, 9, 'post', 50.0, 51.0, 'Cake #food', 1, '[\"food\"]', "
            "NULL, '', NULL)",
            (ANN,),
        )
        conn.execute(
            "INSERT INTO items VALUES (?, 3, 10, 'status', 60.0, 61.0, 'Lunch', 0, '[]', "
            "'away', '🍔', 900.0)",
            (ANN,),
        )

    with Store.open(db_path) as store:
        assert store.get_meta("name") == "Ann"
        assert store.get_meta("seq") == "41"
        own = Status(Presence.BUSY, "Writing the report", "📝", until=5000.0, set_at=100.0)
        assert store.load_own_status() == own
        assert store.peers() == [StoredPeer(ANN, KEY, "Ann", 10.0, 20.0, True)]
        assert store.peer_status(ANN) == Status(Presence.AWAY, "Lunch", set_at=15.0)
        # v3 gives each item its author's name as stored when it migrated.
        assert store.items() == [
            StoredItem(
                ANN, 3, 10, "status", 60.0, 61.0, "Lunch", False, (), "away", "🍔", 900.0, "Ann"
            ),
            StoredItem(ANN, 3, 9, "post", 50.0, 51.0, "Cake #food", True, ("food",), name="Ann"),
        ]
        # v2 seeds the history with the custom status the person had when they upgraded.
        assert store.status_history() == [own]
        # The unique key still holds across the migration.
        assert not store.add_item(StoredItem(ANN, 3, 9, "post", 1.0, 1.0, "replay"))

    with raw(db_path) as conn:
        assert schema.user_version(conn) == SCHEMA_VERSION
        assert "items_by_received_at" in indexes(conn)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_v2_items_keep_their_authors_name_through_v3(db_path: Path) -> None:
    ben, own = "b" * 32, "c" * 32
    with raw(db_path) as conn:
        schema.migrate(conn, db_path, target=2)
        conn.execute("INSERT INTO peers VALUES (?, ?, 'Ann', 10.0, 20.0, 1)", (ANN, KEY))
        for peer, seq in ((ANN, 1), (ben, 2), (own, 3)):  # Ben's row is gone; own is never there
            conn.execute(
                "INSERT INTO items VALUES (?, 1, ?, 'post', 50.0, 51.0, 'Hi', 0, '[]', NULL, '', "
                "NULL)",
                (peer, seq),
            )
    with Store.open(db_path) as store:
        assert {item.peer: item.name for item in store.items()} == {ANN: "Ann", ben: "", own: ""}
        # Our own name lives in config.toml; the engine names our items at start, once.
        assert store.name_items(own, "Sam") == 1
        assert store.name_items(own, "Someone else") == 0
        store.upsert_peer(ANN, KEY, "Mallory", 30.0, True)  # a rename rewrites no item
        store.add_item(StoredItem(ANN, 1, 4, "post", 60.0, 61.0, "Bye", name="Mallory"))
        names = {item.seq: item.name for item in store.items()}
        assert names == {1: "Ann", 2: "", 3: "Sam", 4: "Mallory"}
    with raw(db_path) as conn:
        assert schema.user_version(conn) == SCHEMA_VERSION
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_v4_clamps_far_future_times_stored_before_the_engine_clamped_them(db_path: Path) -> None:
    """Issue 9, item 5: 55 posts stamped 2^35 held the top of the feed. The rows stored before
    the engine clamped received times are fixed once, by the migration."""
    now = 1_800_000_000.0
    with raw(db_path) as conn:
        schema.migrate(conn, db_path, target=3)
        for seq in range(55):
            conn.execute(
                "INSERT INTO items VALUES ('mallory', 1, ?, 'post', ?, ?, 'from 3058', 0, '[]', "
                "NULL, '', NULL, 'Mallory')",
                (seq, 2.0**35, now - 10),
            )
        conn.execute(
            "INSERT INTO items VALUES (?, 1, 1, 'post', ?, ?, 'real news', 0, '[]', NULL, '', "
            "NULL, 'Ann')",
            (ANN, now + 600, now + 601),
        )
    with Store.open(db_path) as store:
        feed = store.items(100)
        assert feed[0].text == "real news"
        assert all(item.sent_at <= item.received_at + FUTURE_SKEW for item in feed)
        assert {item.sent_at for item in feed if item.peer == "mallory"} == {now - 10 + FUTURE_SKEW}
    with raw(db_path) as conn:
        assert schema.user_version(conn) == SCHEMA_VERSION
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_v4_data_goes_on_through_v5_and_the_seq_resumes_above_it(db_path: Path) -> None:
    """v5 adds the records table (events and RSVPs); what v4 stored stays, and the highest seq
    an author stored items under is where its counter resumes (protocol 2 never reuses one)."""
    own = "c" * 32
    with raw(db_path) as conn:
        schema.migrate(conn, db_path, target=4)
        conn.execute("INSERT INTO peers VALUES (?, ?, 'Ann', 10.0, 20.0, 1)", (ANN, KEY))
        for peer, inc, seq, kind in (
            (own, 7, 3, "status"),
            (own, 7, 4, "post"),
            (own, 9, 2, "post"),  # a later incarnation: v1 restarted the seq at 1
            (ANN, 1, 40, "post"),
        ):
            conn.execute(
                "INSERT INTO items VALUES (?, ?, ?, ?, 50.0, 51.0, 'Hi', 0, '[]', NULL, '', "
                "NULL, 'Ann')",
                (peer, inc, seq, kind),
            )
    with Store.open(db_path) as store:
        assert len(store.items()) == 4
        assert store.records() == []
        assert store.last_seq(own) == (4, (7, 3))
        assert store.last_seq(ANN) == (40, None)
        assert store.last_seq("d" * 32) == (0, None)
        record = StoredRecord(own, "event", "7:5", 5, 7, 60.0, 61.0, b"\x81", 9e9)
        assert store.put_records([record]) == [True]
        assert store.records(own) == [record]
        assert store.last_seq(own) == (5, (7, 3))
        assert store.usage_by_peer().get(own, (0, 0)) == (4, 3 * len(b"Hi") + 1)
    with raw(db_path) as conn:
        assert schema.user_version(conn) == SCHEMA_VERSION
        assert "records_by_expiry" in indexes(conn)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_v1_without_a_custom_status_gets_an_empty_history(db_path: Path) -> None:
    with raw(db_path) as conn:
        schema.migrate(conn, db_path, target=1)
        conn.execute("INSERT INTO own_status VALUES (1, 'away', '', '', NULL, 100.0)")
    with Store.open(db_path) as store:
        assert store.status_history() == []
        assert store.load_own_status() == Status(Presence.AWAY, set_at=100.0)


def test_a_newer_database_is_refused_and_left_alone(db_path: Path) -> None:
    with Store.open(db_path):
        pass
    with raw(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer Hallway") as info:
        Store.open(db_path)
    assert str(db_path) in str(info.value)
    with raw(db_path) as conn:
        assert schema.user_version(conn) == SCHEMA_VERSION + 1


def test_a_failing_migration_rolls_back_entirely(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n"
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, broken))
    with raw(db_path) as conn:
        with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
            schema.migrate(conn, db_path, target=SCHEMA_VERSION + 1)
        assert not conn.in_transaction
        # The earlier steps stay committed; the broken one left nothing behind.
        assert schema.user_version(conn) == SCHEMA_VERSION
        assert "half_done" not in tables(conn)


def test_store_reports_a_failing_migration_as_store_error(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(db_path) as store:
        store.set_meta("name", "Ann")
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, "SELECT * FROM nothing;"))
    with pytest.raises(StoreError, match=str(db_path)):
        Store.open(db_path)
    monkeypatch.undo()
    with Store.open(db_path) as store:
        assert store.get_meta("name") == "Ann"


def test_migration_scripts_split_into_whole_statements() -> None:
    script = "-- a comment\nCREATE TABLE t (x);\nCREATE TRIGGER g AFTER INSERT ON t BEGIN\n"
    script += "  DELETE FROM t WHERE x < 0;\nEND;\n-- trailing comment\n"
    assert list(schema._statements(script)) == [
        "-- a comment\nCREATE TABLE t (x);",
        "CREATE TRIGGER g AFTER INSERT ON t BEGIN\n  DELETE FROM t WHERE x < 0;\nEND;",
    ]
    with pytest.raises(ValueError, match="incomplete"):
        list(schema._statements("CREATE TABLE t (x)"))
