"""How a `StoredItem` maps to a row of the items table, for every module of the store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any, Final

import msgspec

from hallway.store.records import StoredItem

# Column lists are spelled out in each statement (no string building) so every query reads whole.
SELECT_ITEMS: Final = (
    "SELECT peer, inc, seq, kind, sent_at, received_at, text, urgent, tags, presence, emoji, "
    "until, name, reply_to, question, ack, answer, edits, nudges, deleted, ver, ver_inc "
    "FROM items"
)
_COLUMNS: Final = (
    "INSERT INTO items (peer, inc, seq, kind, sent_at, received_at, text, urgent, tags, "
    "presence, emoji, until, name, reply_to, question, ack, answer, edits, nudges, deleted, ver, "
    "ver_inc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
#: A first version: stored once (a repeat, or an older version than the one held, is not).
INSERT_ITEM: Final = _COLUMNS + " ON CONFLICT (peer, inc, seq) DO NOTHING"
#: A later version of a post: it replaces the one held only when newer (its seq: an author's
#: never goes back, docs/ARCHITECTURE.md decision 12).
#: The time it was posted and the name it was posted under stay the first version's.
UPSERT_ITEM: Final = (
    _COLUMNS + " ON CONFLICT (peer, inc, seq) DO UPDATE SET text = excluded.text, "
    "urgent = excluded.urgent, tags = excluded.tags, reply_to = excluded.reply_to, "
    "question = excluded.question, ack = excluded.ack, answer = excluded.answer, "
    "edits = excluded.edits, nudges = excluded.nudges, deleted = excluded.deleted, "
    "ver = excluded.ver, ver_inc = excluded.ver_inc "
    "WHERE excluded.ver > items.ver"
)

_tags_encoder = msgspec.json.Encoder()
_tags_decoder = msgspec.json.Decoder(tuple[str, ...])


def item_row(item: StoredItem) -> tuple[object, ...]:
    ver_inc, ver = item.version
    return (
        item.peer,
        item.inc,
        item.seq,
        item.kind,
        item.sent_at,
        item.received_at,
        item.text,
        int(item.urgent),
        _tags_encoder.encode(item.tags).decode(),
        item.presence,
        item.emoji,
        item.until,
        item.name,
        item.reply_to,
        int(item.question),
        int(item.ack),
        item.answer,
        item.edits,
        item.nudges,
        int(item.deleted),
        ver,
        ver_inc,
    )


def item_of(row: Sequence[Any]) -> StoredItem:
    (peer, inc, seq, kind, sent_at, received_at, text, urgent, tags, presence, emoji, until, name,
     reply_to, question, ack, answer, edits, nudges, deleted, ver, ver_inc) = row  # fmt: skip
    return StoredItem(
        peer=peer,
        inc=inc,
        seq=seq,
        kind=kind,
        sent_at=sent_at,
        received_at=received_at,
        text=text,
        urgent=bool(urgent),
        tags=_tags_decoder.decode(tags),
        presence=presence,
        emoji=emoji,
        until=until,
        name=name,
        reply_to=reply_to,
        question=bool(question),
        ack=bool(ack),
        answer=answer,
        edits=edits,
        nudges=nudges,
        deleted=bool(deleted),
        # The first version is (0, 0), whatever the row says: one value, one meaning.
        ver=0 if (ver_inc, ver) == (inc, seq) else ver,
        ver_inc=0 if (ver_inc, ver) == (inc, seq) else ver_inc,
    )


def insert_items(
    conn: sqlite3.Connection, items: Iterable[StoredItem], *, index: bool = True
) -> list[bool]:
    """Insert first versions (in the caller's transaction), each once; with `index`, their
    words go in the search index too. Per item, whether it was new."""
    fresh = []
    for item in items:
        cursor = conn.execute(INSERT_ITEM, item_row(item))
        new = cursor.rowcount == 1
        fresh.append(new)
        if new and index and item.text:
            conn.execute(
                "INSERT INTO items_fts (rowid, text) VALUES (?, ?)", (cursor.lastrowid, item.text)
            )
    return fresh
