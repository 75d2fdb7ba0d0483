"""The store's part for knowledge sharing (issue 11): threads, versions of posts, deletions that
keep no text, acknowledgements, and full-text search (FTS5).

The engine stores items without their words (`index=False`) and has them indexed in batches
when it is idle (`index`, engine/state.py `_index_soon`): the index is then never between a
command and the wire, nor between a received item and its event, and bursts cost one
transaction. A later version is indexed as it is written (`put_item_version`), a deleted item's
words go with it (a trigger), and whatever a crash left unindexed is indexed at the next start
(`index_unindexed`). Events' words are indexed as their records are written (`put_records`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Final

import msgspec

from hallway.core import wire
from hallway.core.knowledge import QUESTION_KEEP
from hallway.core.meetups import EventSpec
from hallway.core.model import post_id
from hallway.core.records import record_id, split_id
from hallway.store.item_rows import SELECT_ITEMS, UPSERT_ITEM, item_of, item_row
from hallway.store.records import StoredItem, StoredRecord

__all__ = [
    "PRUNE_EVENT_WORDS",
    "PRUNE_ITEMS",
    "QUESTION_KEEP",
    "KnowledgeStore",
    "SearchRow",
    "index_events",
    "index_unindexed",
    "put_records",
]

# A version replaces the one held only when it is newer: the author's order decides.
_UPSERT_RECORD: Final = (
    "INSERT INTO records (author, kind, key, ver, inc, at, received_at, value, expires) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (author, kind, key) DO UPDATE SET ver = excluded.ver, inc = excluded.inc, "
    "at = excluded.at, received_at = excluded.received_at, value = excluded.value, "
    "expires = excluded.expires WHERE excluded.ver > records.ver"
)

# Items received before ?1 go, except questions (and the replies in their threads, which are
# kept while their question is), which go only when received before ?2.
PRUNE_ITEMS: Final = """
DELETE FROM items WHERE received_at < ?2 OR (received_at < ?1 AND question = 0 AND NOT (
    reply_to != '' AND EXISTS (
        SELECT 1 FROM items AS q WHERE q.question = 1
        AND q.peer || ':' || lower(printf('%x', q.inc)) || ':' || q.seq = items.reply_to)))
"""
PRUNE_EVENT_WORDS: Final = (
    "DELETE FROM events_fts WHERE id NOT IN "
    "(SELECT author || ':' || key FROM records WHERE kind = 'event')"
)

# A question is answered when its answer names a reply held in its own thread: an author can
# only choose among its thread's replies (a hostile one naming another's reply answers nothing),
# and deleting the chosen reply opens the question again.
_ANSWERED: Final = (
    "SELECT 1 FROM items AS r WHERE items.answer != '' "
    "AND r.reply_to = items.peer || ':' || lower(printf('%x', items.inc)) || ':' || items.seq "
    "AND r.deleted = 0 "
    "AND r.peer || ':' || lower(printf('%x', r.inc)) || ':' || r.seq = items.answer"
)

_INDEX_ONE: Final = (
    "INSERT OR REPLACE INTO items_fts (rowid, text) SELECT rowid, text FROM items "
    "WHERE peer = ? AND inc = ? AND seq = ? AND text != ''"
)

_SEARCH_ITEMS: Final = (
    "SELECT i.peer, i.inc, i.seq, i.kind, i.reply_to, i.question, i.sent_at, i.text, i.name, "
    "snippet(items_fts, 0, '«', '»', '…', 12), bm25(items_fts) AS rank "
    "FROM items_fts JOIN items AS i ON i.rowid = items_fts.rowid "
    "WHERE items_fts MATCH ? AND i.deleted = 0 ORDER BY rank, i.sent_at DESC LIMIT ?"
)
_SEARCH_EVENTS: Final = (
    "SELECT id, text, snippet(events_fts, 1, '«', '»', '…', 12), bm25(events_fts) AS rank "
    "FROM events_fts WHERE events_fts MATCH ? ORDER BY rank LIMIT ?"
)


class SearchRow(msgspec.Struct, frozen=True):
    """A search hit as stored: an item (`kind` "post" or "status", `reply_to` for a reply) or an
    event (`kind` "event", `id` its id, `text` its words). Lower `rank` is better (bm25)."""

    kind: str
    id: str
    peer: str
    reply_to: str
    question: bool
    at: float
    text: str
    name: str
    snippet: str
    rank: float


class KnowledgeStore:
    """Queries of threads, acknowledgements and search; `Store` provides the connection."""

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        raise NotImplementedError

    def _write(self, doing: str) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    # posts and their versions ---------------------------------------------------------------

    def item(self, item_id: str) -> StoredItem | None:
        """The post or reply (a tombstone too) with this id, if held."""
        key = _item_key(item_id)
        if key is None:
            return None
        rows = self._read(SELECT_ITEMS + " WHERE peer = ? AND inc = ? AND seq = ?", key)
        return item_of(rows[0]) if rows else None

    def put_item_version(self, item: StoredItem) -> bool:
        """Store a later version of a post or reply if it is newer than the one held (or none
        is). A deletion (`deleted`, no text) also drops every trace of the text from the search
        index, not only the row (`_purge_words`). Whether it was stored."""
        with self._write("save a changed post") as conn:
            stored = conn.execute(UPSERT_ITEM, item_row(item)).rowcount == 1
            if stored:
                _reindex(conn, item)
        if stored and item.deleted:
            self._purge_words()
        return stored

    def index(self, keys: Sequence[tuple[str, int, int]]) -> None:
        """Put the words of items stored without them (`index=False`), by (peer, inc, seq), in
        the search index, in one transaction."""
        if keys:
            with self._write("index items for search") as conn:
                conn.executemany(_INDEX_ONE, keys)

    def _purge_words(self) -> None:
        """Merge the search index into one segment, which leaves out deleted entries (FTS5 only
        marks them otherwise), and empty the WAL, which still holds the pages as they were."""
        with self._write("forget a deleted post") as conn:
            conn.execute("INSERT INTO items_fts (items_fts) VALUES ('optimize')")
        for row in self._read("PRAGMA wal_checkpoint(TRUNCATE)"):
            del row  # the counts do not matter: a busy reader only delays it to the next

    def answers(self, question: StoredItem) -> bool:
        """Whether the question's chosen answer is a reply held in its thread."""
        reply = self.item(question.answer) if question.answer else None
        return reply is not None and not reply.deleted and reply.reply_to == question.id

    def thread(self, post: str) -> list[StoredItem]:
        """The replies to a post that are not deleted, oldest first."""
        rows = self._read(
            SELECT_ITEMS + " WHERE reply_to = ? AND reply_to != '' AND deleted = 0 "
            "ORDER BY sent_at, rowid",
            (post,),
        )
        return [item_of(row) for row in rows]

    def threads(self, posts: Sequence[str]) -> dict[str, tuple[int, str, str]]:
        """For each post that has replies: (how many, the latest reply's author, the name it
        was posted under)."""
        if not posts:
            return {}
        marks = ",".join("?" * len(posts))
        rows = self._read(
            "SELECT reply_to, count(*), peer, name, max(sent_at) FROM items "  # noqa: S608
            f"WHERE reply_to IN ({marks}) AND reply_to != '' AND deleted = 0 GROUP BY reply_to",
            tuple(posts),
        )
        return {row[0]: (int(row[1]), row[2], row[3]) for row in rows}

    def replied(self, post: str, peer: str) -> bool:
        """Whether `peer` has replied to `post` (and not deleted it)."""
        rows = self._read(
            "SELECT 1 FROM items WHERE reply_to = ? AND reply_to != '' AND peer = ? "
            "AND deleted = 0 LIMIT 1",
            (post, peer),
        )
        return bool(rows)

    def questions(self, since: float, *, open_only: bool, limit: int) -> list[StoredItem]:
        """Questions asked since `since`, newest first; `open_only`: those with no answer (none
        chosen, or not one of its thread's replies held here)."""
        rows = self._read(
            SELECT_ITEMS + " WHERE question = 1 AND deleted = 0 AND sent_at >= ? "
            "AND (? = 0 OR NOT EXISTS (" + _ANSWERED + ")) ORDER BY sent_at DESC, rowid DESC "
            "LIMIT ?",
            (since, int(open_only), limit),
        )
        return [item_of(row) for row in rows]

    def ack_posts(self, since: float, limit: int = 50) -> list[StoredItem]:
        """Posts that ask to be acknowledged, sent since `since`, newest first."""
        rows = self._read(
            SELECT_ITEMS + " WHERE ack = 1 AND deleted = 0 AND reply_to = '' AND sent_at >= ? "
            "ORDER BY sent_at DESC, rowid DESC LIMIT ?",
            (since, limit),
        )
        return [item_of(row) for row in rows]

    def own_posts(self, peer: str, since: float, limit: int) -> list[StoredItem]:
        """What a snapshot of `peer` (ourselves) carries of its posts, oldest version first:
        posts and replies (tombstones too) since `since`, questions and the replies in their
        threads of the last QUESTION_KEEP before it: the newest `limit`."""
        rows = self._read(
            SELECT_ITEMS  # noqa: S608 -- constant text only
            + " WHERE peer = ?1 AND kind = 'post' AND (sent_at >= ?2 OR ("
            "sent_at >= ?2 - ?3 AND (question = 1 OR reply_to IN (SELECT q.peer || ':' || "
            "lower(printf('%x', q.inc)) || ':' || q.seq FROM items AS q WHERE q.question = 1 "
            "AND q.sent_at >= ?2 - ?3)))) ORDER BY ver DESC LIMIT ?4",
            (peer, since, QUESTION_KEEP, limit),
        )
        rows.reverse()
        return [item_of(row) for row in rows]

    # acknowledgements -----------------------------------------------------------------------

    def acks(self, post: str) -> list[tuple[str, float]]:
        """(who, when) of each acknowledgement of `post` held, oldest first."""
        rows = self._read(
            "SELECT author, at FROM records WHERE kind = 'ack' AND key = ? AND value != x'' "
            "ORDER BY at",
            (post,),
        )
        return [(row[0], float(row[1])) for row in rows]

    def acked(self, post: str, peer: str) -> bool:
        rows = self._read(
            "SELECT 1 FROM records WHERE author = ? AND kind = 'ack' AND key = ? AND value != x''",
            (peer, post),
        )
        return bool(rows)

    # search ---------------------------------------------------------------------------------

    def search(self, match: str, limit: int) -> list[SearchRow]:
        """Items and events whose words match the FTS5 expression `match`
        (`core.knowledge.fts_query`), best first."""
        hits = [
            SearchRow(
                kind=row[3],
                id=post_id(row[0], row[1], row[2]),
                peer=row[0],
                reply_to=row[4],
                question=bool(row[5]),
                at=float(row[6]),
                text=row[7],
                name=row[8],
                snippet=row[9],
                rank=float(row[10]),
            )
            for row in self._read(_SEARCH_ITEMS, (match, limit))
        ]
        for event_id, text, snippet, rank in self._read(_SEARCH_EVENTS, (match, limit)):
            author = split_id(event_id)
            hits.append(
                SearchRow(
                    kind="event",
                    id=event_id,
                    peer=author[0] if author else "",
                    reply_to="",
                    question=False,
                    at=0.0,
                    text=text,
                    name="",
                    snippet=snippet,
                    rank=float(rank),
                )
            )
        hits.sort(key=lambda hit: hit.rank)
        return hits[:limit]


def put_records(conn: sqlite3.Connection, records: Iterable[StoredRecord]) -> list[bool]:
    """Upsert versions of records (in the caller's transaction), and keep events' words in the
    search index. Per record, whether it was stored (newer than the one held)."""
    stored = []
    for record in records:
        new = conn.execute(_UPSERT_RECORD, _record_row(record)).rowcount == 1
        stored.append(new)
        if new and record.kind == "event":
            _index_event(conn, record.author, record.key, record.value)
    return stored


def index_unindexed(conn: sqlite3.Connection) -> None:
    """Index the words of items that are not in the index: those a crash left no time to
    (`index`). One pass over the index's rowids at start."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "INSERT INTO items_fts (rowid, text) SELECT rowid, text FROM items "
            "WHERE text != '' AND rowid NOT IN (SELECT rowid FROM items_fts)"
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise


def _reindex(conn: sqlite3.Connection, item: StoredItem) -> None:
    """The search index holds an item's words as they are now (none once deleted)."""
    key = (item.peer, item.inc, item.seq)
    conn.execute(
        "DELETE FROM items_fts WHERE rowid = "
        "(SELECT rowid FROM items WHERE peer = ? AND inc = ? AND seq = ?)",
        key,
    )
    conn.execute(_INDEX_ONE, key)


def index_events(conn: sqlite3.Connection) -> None:
    """Index the words of the events held, once, when the index lacks some (events stored
    before schema v7)."""
    held = conn.execute("SELECT count(*) FROM records WHERE kind = 'event'").fetchone()[0]
    indexed = conn.execute("SELECT count(*) FROM events_fts").fetchone()[0]
    if held == indexed:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DELETE FROM events_fts")
        for author, key, value in conn.execute(
            "SELECT author, key, value FROM records WHERE kind = 'event'"
        ).fetchall():
            _index_event(conn, author, key, bytes(value))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise


def _index_event(conn: sqlite3.Connection, author: str, key: str, value: bytes) -> None:
    event_id = record_id(author, key)
    conn.execute("DELETE FROM events_fts WHERE id = ?", (event_id,))
    try:
        spec = wire.decode_value(value)
    except msgspec.DecodeError:  # a damaged row: searchable it is not, the rest still works
        return
    if isinstance(spec, EventSpec) and not spec.cancelled:
        words = " ".join(part for part in (spec.title, spec.where, spec.note) if part)
        conn.execute("INSERT INTO events_fts (id, text) VALUES (?, ?)", (event_id, words))


def _record_row(record: StoredRecord) -> tuple[object, ...]:
    return (
        record.author,
        record.kind,
        record.key,
        record.ver,
        record.inc,
        record.at,
        record.received_at,
        record.value,
        record.expires,
    )


def _item_key(item_id: str) -> tuple[str, int, int] | None:
    """(peer, inc, seq) of a post's id; None when it is not one."""
    parts = split_id(item_id)
    if parts is None:
        return None
    inc, seq = parts[1].split(":")
    return parts[0], int(inc, 16), int(seq)
