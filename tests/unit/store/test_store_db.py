"""The Store API: own state, status history, peers, items, retention and error reporting."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallway.core.model import Presence, Status, post_id
from hallway.store import Store, StoredItem, StoredPeer, StoreError
from hallway.store.db import PAGE_CACHE_KIB

ANN = "a" * 32
BOB = "b" * 32
KEY = b"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"


def post(
    peer: str = ANN,
    seq: int = 1,
    *,
    sent_at: float = 100.0,
    received_at: float | None = None,
    text: str | None = None,
    urgent: bool = False,
    tags: tuple[str, ...] = (),
) -> StoredItem:
    return StoredItem(
        peer=peer,
        inc=7,
        seq=seq,
        kind="post",
        sent_at=sent_at,
        received_at=sent_at if received_at is None else received_at,
        text=f"post {seq}" if text is None else text,
        urgent=urgent,
        tags=tags,
    )


def status_item(peer: str = ANN, seq: int = 1, *, sent_at: float = 100.0) -> StoredItem:
    return StoredItem(
        peer=peer,
        inc=7,
        seq=seq,
        kind="status",
        sent_at=sent_at,
        received_at=sent_at + 0.5,
        text="In a meeting",
        presence="busy",
        emoji="📅",
        until=sent_at + 3600,
    )


# Lifecycle ---------------------------------------------------------------------------------


def test_close_is_idempotent_and_later_use_says_closed(db_path: Path) -> None:
    store = Store.open(db_path)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.items()


def test_settings_are_wal_normal_with_foreign_keys_and_a_small_cache(store: Store) -> None:
    conn = store._conn
    assert conn is not None
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0
    # Negative: KiB, not pages. SQLite's default (-2000) would grow a node's RSS by ~2 MB.
    assert conn.execute("PRAGMA cache_size").fetchone()[0] == -PAGE_CACHE_KIB
    assert PAGE_CACHE_KIB < 2000


def test_opened_on_one_thread_used_on_another(db_path: Path) -> None:
    store = Store.open(db_path)

    def use() -> None:
        store.add_item(post())
        store.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(use).result()  # re-raises here whatever failed on the other thread
    with Store.open(db_path) as again:
        assert [i.id for i in again.items()] == [post().id]


def test_data_survives_reopening(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.set_meta("name", "Ann")
        store.add_item(post())
    with Store.open(db_path) as store:
        assert store.get_meta("name") == "Ann"
        assert store.items() == [post()]


# Own state ---------------------------------------------------------------------------------


def test_own_status_is_none_until_saved_then_latest(store: Store) -> None:
    assert store.load_own_status() is None
    first = Status(Presence.BUSY, "Deep work", "🎧", until=500.0, set_at=100.0)
    store.save_own_status(first)
    assert store.load_own_status() == first
    second = Status(Presence.AWAY, set_at=200.0)
    store.save_own_status(second)
    assert store.load_own_status() == second


def test_meta_get_set_overwrite(store: Store) -> None:
    assert store.get_meta("seq") is None
    store.set_meta("seq", "1")
    store.set_meta("seq", "2")
    store.set_meta("name", "")
    assert store.get_meta("seq") == "2"
    assert store.get_meta("name") == ""


# Status history ----------------------------------------------------------------------------


def test_status_history_newest_first_with_limit(store: Store) -> None:
    statuses = [Status(Presence.BUSY, f"task {n}", set_at=float(n)) for n in range(7)]
    for status in statuses:
        store.add_status_history(status)
    assert store.status_history() == statuses[::-1][:5]
    assert store.status_history(limit=2) == statuses[::-1][:2]


def test_status_history_ignores_plain_presence(store: Store) -> None:
    store.add_status_history(Status(Presence.AWAY, set_at=1.0))
    store.add_status_history(Status(Presence.AVAILABLE, set_at=2.0))
    assert store.status_history() == []
    store.add_status_history(Status(Presence.AWAY, emoji="🍔", set_at=3.0))
    assert store.status_history() == [Status(Presence.AWAY, emoji="🍔", set_at=3.0)]


def test_status_history_reuse_moves_to_top_without_duplicate(store: Store) -> None:
    lunch = Status(Presence.AWAY, "Lunch", "🍔", until=200.0, set_at=100.0)
    meeting = Status(Presence.BUSY, "Meeting", set_at=150.0)
    store.add_status_history(lunch)
    store.add_status_history(meeting)
    lunch_again = Status(Presence.AWAY, "Lunch", "🍔", until=9000.0, set_at=8000.0)
    store.add_status_history(lunch_again)
    assert store.status_history() == [lunch_again, meeting]
    # Same text with another presence is another entry.
    busy_lunch = Status(Presence.BUSY, "Lunch", "🍔", set_at=8100.0)
    store.add_status_history(busy_lunch)
    assert store.status_history() == [busy_lunch, lunch_again, meeting]


def test_status_history_keeps_latest_ten(store: Store) -> None:
    for n in range(25):
        store.add_status_history(Status(Presence.BUSY, f"task {n}", set_at=float(n)))
    kept = store.status_history(limit=100)
    assert [s.text for s in kept] == [f"task {n}" for n in range(24, 14, -1)]


# Peers -------------------------------------------------------------------------------------


def test_peers_upsert_keeps_first_seen_and_updates_the_rest(store: Store) -> None:
    assert store.peers() == []
    store.upsert_peer(ANN, KEY, "Ann", seen_at=10.0, verified=False)
    store.upsert_peer(ANN, KEY, "Ann B.", seen_at=20.0, verified=True)
    assert store.peers() == [StoredPeer(ANN, KEY, "Ann B.", 10.0, 20.0, True)]


def test_peer_last_seen_never_moves_back(store: Store) -> None:
    store.upsert_peer(ANN, KEY, "Ann", seen_at=50.0, verified=True)
    store.upsert_peer(ANN, KEY, "Ann", seen_at=40.0, verified=True)
    assert store.peers()[0].last_seen == 50.0


def test_peers_most_recently_seen_first(store: Store) -> None:
    store.upsert_peer(ANN, KEY, "Ann", seen_at=10.0, verified=True)
    store.upsert_peer(BOB, KEY, "Bob", seen_at=30.0, verified=False)
    assert [p.id for p in store.peers()] == [BOB, ANN]


def test_peer_status_round_trip_and_overwrite(store: Store) -> None:
    store.upsert_peer(ANN, KEY, "Ann", seen_at=10.0, verified=True)
    assert store.peer_status(ANN) is None
    first = Status(Presence.DND, "Focus", until=99.0, set_at=9.0)
    store.save_peer_status(ANN, first)
    assert store.peer_status(ANN) == first
    second = Status(set_at=11.0)
    store.save_peer_status(ANN, second)
    assert store.peer_status(ANN) == second
    assert store.peer_status(BOB) is None


def test_peer_status_of_an_unknown_peer_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match=BOB):
        store.save_peer_status(BOB, Status(set_at=1.0))


def test_record_own_status_writes_status_item_and_history_in_one_transaction(
    store: Store,
) -> None:
    custom = Status(Presence.BUSY, "In a meeting", "📅", until=3700.0, set_at=100.0)
    item = StoredItem(
        ANN, 7, 1, "status", 100.0, 100.0, "In a meeting", False, (), "busy", "📅", 3700.0
    )
    store.record_own_status(custom, item)
    assert store.load_own_status() == custom
    assert store.items() == [item]
    assert store.status_history() == [custom]

    plain = Status(Presence.AWAY, set_at=200.0)  # a plain presence is not remembered
    plain_item = StoredItem(ANN, 7, 2, "status", 200.0, 200.0, "", False, (), "away")
    store.record_own_status(plain, plain_item)
    assert store.load_own_status() == plain
    assert store.items() == [plain_item, item]
    assert store.status_history() == [custom]


def test_record_own_status_is_all_or_nothing(store: Store) -> None:
    first = Status(Presence.BUSY, "one", set_at=1.0)
    store.record_own_status(first, status_item(seq=1))
    conn = store._conn
    assert conn is not None
    conn.execute("PRAGMA query_only = ON")
    with pytest.raises(StoreError):
        store.record_own_status(Status(Presence.AWAY, "two", set_at=2.0), status_item(seq=2))
    conn.execute("PRAGMA query_only = OFF")
    assert store.load_own_status() == first
    assert [i.seq for i in store.items()] == [1]
    assert store.status_history() == [first]


def test_add_received_writes_items_and_latest_peer_statuses_together(store: Store) -> None:
    store.upsert_peer(ANN, KEY, "Ann", seen_at=10.0, verified=True)
    store.upsert_peer(BOB, KEY, "Bob", seen_at=10.0, verified=True)
    store.add_item(post(seq=1))
    ann = Status(Presence.BUSY, "Focus", set_at=20.0)
    bob = Status(Presence.AWAY, set_at=21.0)
    fresh = store.add_received([post(seq=1), post(seq=2), status_item(BOB)], {ANN: ann, BOB: bob})
    assert fresh == [False, True, True]
    assert store.peer_status(ANN) == ann
    assert store.peer_status(BOB) == bob
    assert store.add_received([], {}) == []


def test_add_received_for_an_unknown_peer_saves_nothing(store: Store) -> None:
    with pytest.raises(StoreError):
        store.add_received([post(seq=1)], {BOB: Status(set_at=1.0)})
    assert store.items() == []


# Items -------------------------------------------------------------------------------------


def test_add_item_then_duplicate_returns_false(store: Store) -> None:
    assert store.add_item(post(seq=1))
    assert not store.add_item(post(seq=1, text="a replay with other text"))
    assert store.items() == [post(seq=1)]


def test_same_seq_in_another_incarnation_or_peer_is_new(store: Store) -> None:
    base = post(seq=1)
    other_inc = StoredItem(ANN, 8, 1, "post", 100.0, 100.0, "after a restart")
    assert store.add_item(base)
    assert store.add_item(other_inc)
    assert store.add_item(post(peer=BOB, seq=1))
    assert len(store.items()) == 3


def test_add_items_reports_each_and_dedupes_within_the_batch(store: Store) -> None:
    store.add_item(post(seq=1))
    result = store.add_items([post(seq=1), post(seq=2), post(seq=3), post(seq=2)])
    assert result == [False, True, True, False]
    assert {i.seq for i in store.items()} == {1, 2, 3}
    assert store.add_items([]) == []


def test_items_newest_first_by_sent_at_and_by_kind(store: Store) -> None:
    store.add_items(
        [
            post(seq=1, sent_at=300.0),
            status_item(seq=2, sent_at=100.0),
            post(seq=3, sent_at=200.0),
            status_item(seq=4, sent_at=400.0),
        ]
    )
    assert [i.seq for i in store.items()] == [4, 1, 3, 2]
    assert [i.seq for i in store.items(limit=2)] == [4, 1]
    assert [i.seq for i in store.items(kind="post")] == [1, 3]
    assert [i.seq for i in store.items(kind="status")] == [4, 2]
    with pytest.raises(ValueError, match="kind"):
        store.items(kind="dm")


def test_items_with_equal_times_come_newest_insert_first(store: Store) -> None:
    store.add_items([post(seq=n, sent_at=100.0) for n in range(1, 4)])
    assert [i.seq for i in store.items()] == [3, 2, 1]


def test_status_item_round_trips_and_converts(store: Store) -> None:
    item = status_item()
    store.add_item(item)
    (loaded,) = store.items()
    assert loaded == item
    assert loaded.as_status() == Status(Presence.BUSY, "In a meeting", "📅", 3700.0, 100.0)
    with pytest.raises(ValueError, match="not a status"):
        post().as_status()


def test_post_item_id_and_conversion() -> None:
    item = post(seq=12, urgent=True, tags=("food", "cake"))
    assert item.id == post_id(ANN, 7, 12)
    converted = item.as_post()
    assert (converted.id, converted.peer, converted.urgent) == (item.id, ANN, True)
    assert (converted.text, converted.sent_at, converted.tags) == ("post 12", 100.0, item.tags)


def test_stored_item_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        StoredItem(ANN, 1, 1, "dm", 1.0, 1.0)  # type: ignore[arg-type]


def test_own_posts_are_one_peers_posts_oldest_first(store: Store) -> None:
    store.add_items(
        [
            post(seq=1, sent_at=100.0),
            post(seq=2, sent_at=300.0),
            post(seq=3, sent_at=200.0),
            status_item(seq=4, sent_at=250.0),
            post(peer=BOB, seq=5, sent_at=260.0),
        ]
    )
    assert [i.seq for i in store.own_posts(ANN, since=200.0, limit=500)] == [2, 3]
    assert [i.seq for i in store.own_posts(ANN, since=0.0, limit=500)] == [1, 2, 3]
    assert store.own_posts(ANN, since=301.0, limit=500) == []


def test_own_posts_limit_keeps_the_newest(store: Store) -> None:
    store.add_items([post(seq=n, sent_at=float(n)) for n in range(1, 11)])
    assert [i.seq for i in store.own_posts(ANN, since=0.0, limit=3)] == [8, 9, 10]


def test_prune_deletes_by_received_at_and_counts(store: Store) -> None:
    store.add_items(
        [
            post(seq=1, sent_at=10.0, received_at=10.0),
            # Sent long ago by a skewed clock, but received recently: kept.
            post(seq=2, sent_at=1.0, received_at=500.0),
            post(seq=3, sent_at=900.0, received_at=20.0),
            post(seq=4, sent_at=30.0, received_at=30.0),
        ]
    )
    assert store.prune(before=30.0) == 2
    assert sorted(i.seq for i in store.items()) == [2, 4]
    assert store.prune(before=30.0) == 0


# Errors ------------------------------------------------------------------------------------


def test_corrupt_file_raises_store_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "hallway.db"
    path.write_bytes(b"this is not SQLite, whatever the name says " * 200)
    with pytest.raises(StoreError, match=str(path)) as info:
        Store.open(path)
    assert info.value.path == path
    assert path.read_bytes().startswith(b"this is not SQLite")  # left for the person to inspect


def test_damaged_pages_found_later_raise_store_error(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.add_items([post(seq=n, text="x" * 500) for n in range(200)])
    size = db_path.stat().st_size
    assert size > 8 * 4096
    with db_path.open("r+b") as f:
        f.seek(4096 * 2)  # keep page 1 (header and schema); smash the data pages
        f.write(b"\xa5" * (size - 4096 * 2))
    # Opening reads only the schema; reading the feed finds the damage.
    with pytest.raises(StoreError, match="damaged"), Store.open(db_path) as store:
        store.items(limit=1000)


def test_sqlite_database_of_another_app_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not Hallway's"):
        Store.open(path)


def test_missing_directory_raises_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="nowhere"):
        Store.open(tmp_path / "nowhere" / "hallway.db")


def test_disk_full_raises_store_error_and_loses_nothing_committed(store: Store) -> None:
    conn = store._conn
    assert conn is not None
    store.add_item(post(seq=1))
    # max_page_count makes SQLite report SQLITE_FULL exactly as a full disk does.
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreError, match="full; nothing was saved"):
        store.add_items([post(seq=n, text="x" * 1500) for n in range(2, 50)])
    assert not conn.in_transaction
    assert [i.seq for i in store.items()] == [1]  # the whole failed batch is absent
    conn.execute("PRAGMA max_page_count = 1000000")
    assert store.add_item(post(seq=2))  # and the store keeps working once there is room


def test_read_only_database_raises_store_error(store: Store) -> None:
    conn = store._conn
    assert conn is not None
    conn.execute("PRAGMA query_only = ON")  # running as root, file modes would not stop us
    with pytest.raises(StoreError, match="read-only"):
        store.set_meta("name", "Ann")
    assert store.get_meta("name") is None


# Properties --------------------------------------------------------------------------------

_times = st.floats(min_value=0, max_value=2**35, allow_nan=False)
_counters = st.integers(min_value=0, max_value=2**63 - 1)
_text = st.text(max_size=300)
_items = st.builds(
    StoredItem,
    peer=st.text(alphabet="0123456789abcdef", min_size=32, max_size=32),
    inc=_counters,
    seq=_counters,
    kind=st.sampled_from(["post", "status"]),
    sent_at=_times,
    received_at=_times,
    text=_text,
    urgent=st.booleans(),
    tags=st.lists(st.text(max_size=32), max_size=16).map(tuple),
    presence=st.none() | st.sampled_from([p.value for p in Presence]),
    emoji=st.text(max_size=16),
    until=st.none() | _times,
)
_statuses = st.builds(
    Status,
    presence=st.sampled_from(list(Presence)),
    text=_text,
    emoji=st.text(max_size=16),
    until=st.none() | _times,
    set_at=_times,
)


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One store for the property tests; each example starts by emptying what it uses."""
    with Store.open(tmp_path_factory.mktemp("prop") / "hallway.db") as opened:
        yield opened


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(_items, max_size=5))
def test_items_round_trip_exactly(shared_store: Store, items: list[StoredItem]) -> None:
    shared_store.prune(before=math.inf)
    first: dict[str, StoredItem] = {}
    expected = []
    for item in items:
        expected.append(item.id not in first)
        first.setdefault(item.id, item)
    assert shared_store.add_items(items) == expected
    loaded = shared_store.items(limit=100)
    assert sorted(loaded, key=lambda i: i.id) == sorted(first.values(), key=lambda i: i.id)


@settings(max_examples=100)
@given(status=_statuses)
def test_statuses_round_trip_exactly(shared_store: Store, status: Status) -> None:
    shared_store.save_own_status(status)
    assert shared_store.load_own_status() == status
    shared_store.upsert_peer(ANN, KEY, "Ann", seen_at=1.0, verified=True)
    shared_store.save_peer_status(ANN, status)
    assert shared_store.peer_status(ANN) == status


def test_the_database_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "hallway.db"
    path.touch(mode=0o644)
    path.chmod(0o644)  # an existing file with a loose mode, as an old umask left it
    with Store.open(path) as store:
        store.set_meta("k", "v")
        for file in tmp_path.iterdir():
            assert file.stat().st_mode & 0o077 == 0, file
