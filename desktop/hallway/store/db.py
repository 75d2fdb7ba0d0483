"""The SQLite store of one home: own status, peers, the feed of items, and small metadata.

Threading: the connection is opened with `check_same_thread=False` so that a node may open the
store on one thread and hand it to its engine thread, but only one thread may use a `Store` at a
time. In Hallway that is the engine's actor thread, which owns it.

Durability: WAL with `synchronous=NORMAL`. Every write method commits before it returns, so an
item the engine wrote before publishing survives `kill -9` of the process (a power cut may lose the
last commits, which is the trade `NORMAL` makes to keep fsync off the receive path). A failed
write rolls back and raises `StoreError`; nothing fails silently.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from hallway.core.model import Presence, Status
from hallway.store.errors import StoreError
from hallway.store.item_rows import SELECT_ITEMS, insert_items, item_of
from hallway.store.knowledge import (
    PRUNE_EVENT_WORDS,
    PRUNE_ITEMS,
    QUESTION_KEEP,
    KnowledgeStore,
    index_events,
    index_unindexed,
    put_records,
)
from hallway.store.places import PlacesStore
from hallway.store.private import check_private_dir, claim_file
from hallway.store.records import ITEM_KINDS, StoredItem, StoredKnock, StoredPeer, StoredRecord
from hallway.store.schema import migrate

__all__ = ["Store", "StoreError", "StoredItem", "StoredKnock", "StoredPeer", "StoredRecord"]

log = logging.getLogger(__name__)

STATUS_HISTORY_KEEP: Final = 10
BUSY_TIMEOUT_S: Final = 5.0
#: SQLite's page cache per connection (a node holds one). What the engine reads and writes
#: again and again (the indexes' upper pages, the tables' newest leaves) fits; the rest comes
#: from the kernel's page cache (docs/benchmarks.md, "Issue 13, twelfth pass").
PAGE_CACHE_KIB: Final = 256

# Column lists are spelled out in each statement (no string building) so every query reads whole.
_SELECT_RECORDS: Final = (
    "SELECT author, kind, key, ver, inc, at, received_at, value, expires FROM records"
)
_SELECT_KNOCKS: Final = (
    "SELECT peer, id, outgoing, text, urgent, state, created, expires, held, reply, reply_sent, "
    "replied_at FROM knocks"
)
_INSERT_KNOCK: Final = (
    "INSERT INTO knocks (peer, id, outgoing, text, urgent, state, created, expires, held, reply, "
    "reply_sent, replied_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

_UPSERT_OWN_STATUS: Final = (
    "INSERT INTO own_status (id, presence, text, emoji, until, set_at) "
    "VALUES (1, ?, ?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET presence = excluded.presence, "
    "text = excluded.text, emoji = excluded.emoji, until = excluded.until, "
    "set_at = excluded.set_at"
)
_UPSERT_PEER_STATUS: Final = (
    "INSERT INTO peer_status (peer, presence, text, emoji, until, set_at) "
    "VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (peer) DO UPDATE SET presence = excluded.presence, "
    "text = excluded.text, emoji = excluded.emoji, until = excluded.until, "
    "set_at = excluded.set_at"
)


class Store(KnowledgeStore, PlacesStore):
    """One home's database. Open it with `Store.open(path)`; close it, or use it with `with`."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        """Wrap a connection that `open` has configured and migrated; use `Store.open`."""
        self._conn: sqlite3.Connection | None = conn
        self.path = path
        # Called before each read or write (outside a transaction): the engine writes the batch
        # of what it received there, so it may hold that batch a while (ARCHITECTURE decision 6)
        # and every use of the database still sees it.
        self.before_use: Callable[[], None] | None = None

    # Lifecycle -----------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (or create) the database at `path` and migrate it to the current schema.

        Raises `StoreError` when the file is not a database, is damaged, was written by a newer
        Hallway, or cannot be read or written; `UnsafeHome` when it, its -wal or -shm file, or
        its directory is a symbolic link or someone else's (see `_claim`).
        """
        claimed = _claim(path)
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction spans
            # exactly one method call and the migrations control their own.
            conn = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise _store_error(exc, path, "open") from exc
        try:
            _configure(conn, path)
            migrate(conn, path)
            index_events(conn)
            index_unindexed(conn)
            _check_opened(path, claimed)
        except sqlite3.Error as exc:
            conn.close()
            raise _store_error(exc, path, "open") from exc
        except BaseException:
            conn.close()
            raise
        return cls(conn, path)

    def close(self) -> None:
        """Close the connection; idempotent. The last close checkpoints the WAL."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # Own state and metadata ----------------------------------------------------------------

    def load_own_status(self) -> Status | None:
        rows = self._read(
            "SELECT presence, text, emoji, until, set_at FROM own_status WHERE id = 1"
        )
        return self._status(rows[0]) if rows else None

    def save_own_status(self, status: Status) -> None:
        with self._write("save your status", batch_first=False) as conn:
            conn.execute(_UPSERT_OWN_STATUS, _status_row(status))

    def get_meta(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self._write(f"save {key!r}") as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # Own status history --------------------------------------------------------------------

    def add_status_history(self, status: Status) -> None:
        """Remember a custom status for re-use. The same presence, text and emoji again moves
        the old entry to the top instead of adding another. Only the latest 10 are kept.
        A plain presence without text or emoji is not remembered."""
        if not status.is_custom:
            return
        with self._write("save the status history") as conn:
            _add_history(conn, status)

    def record_own_status(self, status: Status, item: StoredItem) -> None:
        """What setting a status writes, in one transaction (one commit before it is published):
        the status itself, its item in the feed and, for a custom status, the history entry
        (as `save_own_status`, `add_item` and `add_status_history` would, one by one). Our own
        rows only, so the received batch (`before_use`) is not written first (`_write`)."""
        with self._write("save your status", batch_first=False) as conn:
            conn.execute(_UPSERT_OWN_STATUS, _status_row(status))
            insert_items(conn, [item], index=False)  # the engine has it indexed when idle
            if status.is_custom:
                _add_history(conn, status)

    def status_history(self, limit: int = 5) -> list[Status]:
        """Recent custom statuses, newest first. `until` is as it was when the status was set."""
        rows = self._read(
            "SELECT presence, text, emoji, until, set_at FROM status_history "
            "ORDER BY ord DESC LIMIT ?",
            (limit,),
        )
        return [self._status(row) for row in rows]

    # Peers ---------------------------------------------------------------------------------

    def upsert_peer(
        self, peer_id: str, key: bytes, name: str, seen_at: float, verified: bool
    ) -> None:
        """Record a sighting. Keeps `first_seen`; `last_seen` never moves backwards."""
        with self._write(f"save peer {peer_id}") as conn:
            conn.execute(
                "INSERT INTO peers (id, key, name, first_seen, last_seen, verified) "
                "VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET key = excluded.key, name = excluded.name, "
                "last_seen = max(last_seen, excluded.last_seen), verified = excluded.verified",
                (peer_id, key, name, seen_at, seen_at, int(verified)),
            )

    def peers(self) -> list[StoredPeer]:
        """Every stored peer, most recently seen first."""
        rows = self._read(
            "SELECT id, key, name, first_seen, last_seen, verified FROM peers "
            "ORDER BY last_seen DESC, id"
        )
        return [
            StoredPeer(
                id=row[0],
                key=bytes(row[1]),
                name=row[2],
                first_seen=row[3],
                last_seen=row[4],
                verified=bool(row[5]),
            )
            for row in rows
        ]

    def peer_status(self, peer_id: str) -> Status | None:
        rows = self._read(
            "SELECT presence, text, emoji, until, set_at FROM peer_status WHERE peer = ?",
            (peer_id,),
        )
        return self._status(rows[0]) if rows else None

    def save_peer_status(self, peer_id: str, status: Status) -> None:
        """Remember a peer's last known status. The peer must have been stored first."""
        with self._write(f"save the status of peer {peer_id}") as conn:
            conn.execute(_UPSERT_PEER_STATUS, (peer_id, *_status_row(status)))

    # Items ---------------------------------------------------------------------------------

    def add_item(self, item: StoredItem, *, index: bool = True) -> bool:
        """Store an item; False if one with the same (peer, inc, seq) is already there.
        `index` False: not searchable until `index` is given its key."""
        with self._write("save an item") as conn:
            return insert_items(conn, [item], index=index)[0]

    def add_own_item(self, item: StoredItem) -> None:
        """One of our own items (a post, a reply), to be indexed later: written without the
        received batch first (`_write`), since nothing received shares its (peer, inc, seq)."""
        with self._write("save your post", batch_first=False) as conn:
            insert_items(conn, [item], index=False)

    def add_items(self, items: Iterable[StoredItem], *, index: bool = True) -> list[bool]:
        """Store several items in one transaction (one commit for a burst of receives), with
        their words in the search index unless `index` is False. Returns, per item, whether it
        was new; a repeat within the batch counts as a duplicate."""
        with self._write("save items") as conn:
            return insert_items(conn, items, index=index)

    def add_received(
        self,
        items: Iterable[StoredItem],
        peer_statuses: Mapping[str, Status],
        records: Iterable[StoredRecord] = (),
        event_expiry: Mapping[str, float] | None = None,
        *,
        index: bool = True,
    ) -> list[bool]:
        """What the engine received in one loop turn, in one transaction: `items` as `add_items`
        stores them (`index` as there), each peer's latest status as `save_peer_status` does
        (the peers must have been stored first), `records` as `put_records` does, and the
        answers to each event in `event_expiry` given its expiry. Returns, per item, whether it
        was new."""
        with self._write("save received items") as conn:
            fresh = insert_items(conn, items, index=index)
            conn.executemany(
                _UPSERT_PEER_STATUS,
                [(peer, *_status_row(status)) for peer, status in peer_statuses.items()],
            )
            put_records(conn, records)
            if event_expiry:
                conn.executemany(
                    "UPDATE records SET expires = ? WHERE kind = 'rsvp' AND key = ?",
                    [(expires, event) for event, expires in event_expiry.items()],
                )
            return fresh

    def items(self, limit: int = 50, kind: str | None = None) -> list[StoredItem]:
        """The feed, newest first by the sender's time; `kind` is "post", "status" or None.
        Replies are in their threads (`thread`), and deleted posts nowhere.

        That time is one the receiver bounds: the engine stores a received time clamped to at
        most FUTURE_SKEW after it received the item, and schema version 4 clamped rows stored
        before it did, so a time in the year 3058 cannot hold the top of the feed.
        """
        if kind is None:
            rows = self._read(
                SELECT_ITEMS + " WHERE reply_to = '' AND deleted = 0 "
                "ORDER BY sent_at DESC, rowid DESC LIMIT ?",
                (limit,),
            )
        elif kind in ITEM_KINDS:
            rows = self._read(
                SELECT_ITEMS + " WHERE kind = ? AND reply_to = '' AND deleted = 0 "
                "ORDER BY sent_at DESC, rowid DESC LIMIT ?",
                (kind, limit),
            )
        else:
            raise ValueError(f"kind must be one of {ITEM_KINDS} or None, not {kind!r}")
        return [item_of(row) for row in rows]

    def usage_by_peer(self) -> dict[str, tuple[int, int]]:
        """For every peer that has something stored, how many items and records it has, and the
        bytes of their text and values (its storage quota), in one query."""
        rows = self._read(
            "SELECT peer, count(*), coalesce(sum(length(CAST(text AS BLOB))), 0) FROM items "
            "GROUP BY peer UNION ALL "
            "SELECT author, count(*), coalesce(sum(length(value)), 0) FROM records "
            "GROUP BY author",
            (),
        )
        usage: dict[str, tuple[int, int]] = {}
        for peer, count, size in rows:
            items, text = usage.get(peer, (0, 0))
            usage[peer] = (items + int(count), text + int(size))
        return usage

    def name_items(self, peer: str, name: str) -> int:
        """Give `peer`'s items that have no name yet (stored before schema version 3) `name`.
        Returns how many were named."""
        with self._write("save the names of items") as conn:
            return conn.execute(
                "UPDATE items SET name = ? WHERE peer = ? AND name = ''", (name, peer)
            ).rowcount

    def prune(self, before: float, now: float | None = None) -> int:
        """Delete items received before `before` (our clock, so a peer's skewed clock can
        neither pin its items nor expire them early; questions and their threads stay
        QUESTION_KEEP longer), and records whose time is up at `now`.
        Returns how many were deleted."""
        with self._write("prune old items") as conn:
            questions_before = min(before, (before if now is None else now) - QUESTION_KEEP)
            count = conn.execute(PRUNE_ITEMS, (before, questions_before)).rowcount
            if now is not None:
                count += conn.execute("DELETE FROM records WHERE expires < ?", (now,)).rowcount
                conn.execute(PRUNE_EVENT_WORDS)
            # Knocks go with the items of their time, unless one still waits to be shown.
            count += conn.execute(
                "DELETE FROM knocks WHERE created < ? AND NOT (outgoing = 0 AND state = 'held')",
                (before,),
            ).rowcount
            return count

    # Records -------------------------------------------------------------------------------

    def put_records(self, records: Iterable[StoredRecord]) -> list[bool]:
        """Store versions of records in one transaction, each only if it is newer than the one
        held. Returns, per record, whether it was stored."""
        with self._write("save records") as conn:
            return put_records(conn, records)

    def records(self, author: str | None = None) -> list[StoredRecord]:
        """Every record held (tombstones too), or those of one author, in the order written."""
        if author is None:
            rows = self._read(_SELECT_RECORDS + " ORDER BY ver")
        else:
            rows = self._read(_SELECT_RECORDS + " WHERE author = ? ORDER BY ver", (author,))
        return [
            StoredRecord(
                author=row[0],
                kind=row[1],
                key=row[2],
                ver=row[3],
                inc=row[4],
                at=row[5],
                received_at=row[6],
                value=bytes(row[7]),
                expires=row[8],
            )
            for row in rows
        ]

    def last_seq(self, author: str) -> tuple[int, tuple[int, int] | None]:
        """The highest seq `author` stored anything under (items and records), and (inc, seq)
        of its latest status item, if any: where its own counter and status resume."""
        rows = self._read(
            "SELECT max(coalesce((SELECT max(max(seq), max(ver)) FROM items WHERE peer = ?1), 0), "
            "coalesce((SELECT max(ver) FROM records WHERE author = ?1), 0))",
            (author,),
        )
        status = self._read(
            "SELECT inc, seq FROM items WHERE peer = ? AND kind = 'status' "
            "ORDER BY rowid DESC LIMIT 1",
            (author,),
        )
        return int(rows[0][0]), (int(status[0][0]), int(status[0][1])) if status else None

    # Knocks --------------------------------------------------------------------------------

    def add_knock(self, knock: StoredKnock) -> bool:
        """Store a new knock; False (nothing written) when one with its (peer, id, outgoing)
        is already here: a received knock sent again."""
        with self._write("save a knock") as conn:
            return (
                conn.execute(_INSERT_KNOCK + " ON CONFLICT DO NOTHING", _knock_row(knock)).rowcount
                == 1
            )

    def save_knock(self, knock: StoredKnock) -> None:
        """Store a knock's new state (or a new knock)."""
        with self._write("save a knock") as conn:
            conn.execute(
                _INSERT_KNOCK + " ON CONFLICT (peer, id, outgoing) DO UPDATE SET "
                "state = excluded.state, held = excluded.held, reply = excluded.reply, "
                "reply_sent = excluded.reply_sent, replied_at = excluded.replied_at, "
                "expires = excluded.expires",
                _knock_row(knock),
            )

    def knock(self, peer: str, knock_id: str, outgoing: bool) -> StoredKnock | None:
        rows = self._read(
            _SELECT_KNOCKS + " WHERE peer = ? AND id = ? AND outgoing = ?",
            (peer, knock_id, int(outgoing)),
        )
        return _knock(rows[0]) if rows else None

    def knocks(self, limit: int = 200) -> list[StoredKnock]:
        """Knocks sent and received, newest first."""
        rows = self._read(_SELECT_KNOCKS + " ORDER BY created DESC, id LIMIT ?", (limit,))
        return [_knock(row) for row in rows]

    def knocks_by_id(self, knock_id: str) -> list[StoredKnock]:
        return [_knock(r) for r in self._read(_SELECT_KNOCKS + " WHERE id = ?", (knock_id,))]

    def open_knocks(self) -> list[StoredKnock]:
        """What still needs the engine: our knocks not yet delivered, knocks we hold, and our
        replies not yet acknowledged."""
        rows = self._read(
            _SELECT_KNOCKS + " WHERE (outgoing = 1 AND state = 'pending') "
            "OR (outgoing = 0 AND state = 'held') "
            "OR (outgoing = 0 AND reply IS NOT NULL AND reply_sent = 0) ORDER BY created"
        )
        return [_knock(row) for row in rows]

    def knocks_from(self, peer: str, since: float) -> int:
        """How many knocks `peer` sent us that arrived at or after `since`."""
        rows = self._read(
            "SELECT count(*) FROM knocks WHERE peer = ? AND outgoing = 0 AND created >= ?",
            (peer, since),
        )
        return int(rows[0][0])

    # Plumbing ------------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"the database {self.path} is closed", self.path)
        return self._conn

    def _use(self, *, batch_first: bool = True) -> sqlite3.Connection:
        conn = self._connection()
        hook = self.before_use
        if batch_first and hook is not None and not conn.in_transaction:
            self.before_use = None  # its own writes must not call it again
            try:
                hook()
            finally:
                self.before_use = hook
        return conn

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        conn = self._use()
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path, "read") from exc

    @contextmanager
    def _write(self, doing: str, *, batch_first: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed on success and rolled back on any error.

        `batch_first` False: a write of our own rows that reads nothing received, between a
        command and the wire, does not write the received batch (`before_use`) first. That
        batch was the most of what an author spent there (docs/benchmarks.md, ninth pass)."""
        conn = self._use(batch_first=batch_first)
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (disk full) can leave the transaction open: end it here.
                if conn.in_transaction:
                    conn.rollback()
                raise
        except sqlite3.Error as exc:
            raise _store_error(exc, self.path, doing) from exc

    def _status(self, row: Sequence[Any]) -> Status:
        presence, text, emoji, until, set_at = row
        try:
            parsed = Presence(presence)
        except ValueError:
            raise StoreError(
                f"the database {self.path} holds an unknown presence {presence!r}", self.path
            ) from None
        return Status(presence=parsed, text=text, emoji=emoji, until=until, set_at=set_at)


def _configure(conn: sqlite3.Connection, path: Path) -> None:
    # The first statement reads the header, so a file that is not a database fails right here.
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        # Some filesystems (network mounts) cannot do WAL. Still correct, only slower.
        log.warning("SQLite could not use WAL for %s (journal mode %s)", path, mode)
    conn.execute("PRAGMA synchronous = NORMAL")
    # SQLite's own page cache, on top of the kernel's (which keeps the file's pages anyway):
    # its default of 2,000 KiB fills as the database grows and then stays in a node's RSS.
    conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB:d}")
    # A deleted post keeps no text behind: freed space is overwritten, not left readable.
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000):d}")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
        raise StoreError(f"{path} is an SQLite database, but not Hallway's", path)


def _add_history(conn: sqlite3.Connection, status: Status) -> None:
    conn.execute(
        "INSERT INTO status_history (ord, presence, text, emoji, until, set_at) "
        "VALUES ((SELECT coalesce(max(ord), 0) + 1 FROM status_history), ?, ?, ?, ?, ?) "
        "ON CONFLICT (presence, text, emoji) DO UPDATE SET ord = excluded.ord, "
        "until = excluded.until, set_at = excluded.set_at",
        _status_row(status),
    )
    conn.execute(
        "DELETE FROM status_history WHERE ord NOT IN "
        "(SELECT ord FROM status_history ORDER BY ord DESC LIMIT ?)",
        (STATUS_HISTORY_KEEP,),
    )


def _status_row(status: Status) -> tuple[str, str, str, float | None, float]:
    return (status.presence.value, status.text, status.emoji, status.until, status.set_at)


def _knock_row(knock: StoredKnock) -> tuple[object, ...]:
    return (
        knock.peer,
        knock.id,
        int(knock.outgoing),
        knock.text,
        int(knock.urgent),
        knock.state,
        knock.created,
        knock.expires,
        knock.held,
        knock.reply,
        int(knock.reply_sent),
        knock.replied_at,
    )


def _knock(row: Sequence[Any]) -> StoredKnock:
    peer, knock_id, outgoing, text, urgent, state, created, expires, held, reply, sent, at = row
    return StoredKnock(
        peer=peer,
        id=knock_id,
        outgoing=bool(outgoing),
        text=text,
        urgent=bool(urgent),
        state=state,
        created=created,
        expires=expires,
        held=held,
        reply=reply,
        reply_sent=bool(sent),
        replied_at=at,
    )


_SIDECARS: Final = ("-wal", "-shm", "-journal")


def _claim(path: Path) -> os.stat_result:
    """Check (and create) the database and its sidecar files before SQLite opens them.

    The database is owner-only whatever the umask or the directory's mode: it holds the office's
    posts, and SQLite gives the -wal and -shm files it creates the database file's mode. None of
    them may be a symbolic link (a chmod would reach the file it names) or another user's file (a
    0666 -wal planted by someone else would let them read every post). SQLite then opens the path
    we checked: it cannot be handed a descriptor, and a /proc/self/fd path would put the -wal file
    next to /proc. What keeps the name from being swapped in between is the directory, which must
    be ours alone (`check_private_dir`); `_check_opened` makes sure afterwards.
    """
    check_private_dir(path.parent, "the directory of the database")
    claimed = claim_file(path, create=True)
    assert claimed is not None  # just made, in a directory nobody else can write to
    for suffix in _SIDECARS:
        claim_file(path.with_name(path.name + suffix))
    return claimed


def _check_opened(path: Path, claimed: os.stat_result) -> None:
    # The -wal and -shm files exist now; the database must still be the file we checked.
    try:
        now = path.lstat()
    except OSError as exc:
        raise StoreError(f"cannot open the database {path}: {exc.strerror}", path) from exc
    if (now.st_dev, now.st_ino) != (claimed.st_dev, claimed.st_ino):
        raise StoreError(f"{path} was replaced while it was being opened; try again", path)
    for suffix in _SIDECARS:
        claim_file(path.with_name(path.name + suffix))


def _store_error(exc: sqlite3.Error, path: Path, doing: str) -> StoreError:
    """A message for people from an sqlite3 error, by its SQLite result code."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_FULL"):
        message = (
            f"cannot {doing}: the disk holding {path} is full; nothing was saved. "
            "Free some space and try again."
        )
    elif name.startswith("SQLITE_READONLY"):
        message = f"cannot {doing}: {path} is read-only; nothing was saved."
    elif name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        message = (
            f"{path} is damaged or is not a Hallway database ({exc}). "
            "Move it aside to start with an empty one."
        )
    elif name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        message = f"cannot {doing}: {path} is locked by another process."
    elif name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_PERM")):
        message = f"cannot {doing}: {path} cannot be accessed ({exc})."
    else:
        message = f"cannot {doing} ({path}): {exc}"
    return StoreError(message, path)
