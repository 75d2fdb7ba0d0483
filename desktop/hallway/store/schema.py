"""The database schema as an ordered list of migrations; `PRAGMA user_version` says how many ran.

Rules for adding one: append, never edit a released script; each runs in its own transaction
together with the version bump, so a crash leaves the database at one version or the next; and
every bump gets a test that migrates real data from the version before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Final

from hallway.store.errors import StoreError

_V1_BASE: Final = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- A single row (id = 1): this node's own current status.
CREATE TABLE own_status (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    presence TEXT NOT NULL,
    text     TEXT NOT NULL,
    emoji    TEXT NOT NULL,
    until    REAL,
    set_at   REAL NOT NULL
);

CREATE TABLE peers (
    id         TEXT PRIMARY KEY,
    key        BLOB NOT NULL,
    name       TEXT NOT NULL,
    first_seen REAL NOT NULL,
    last_seen  REAL NOT NULL,
    verified   INTEGER NOT NULL
);

-- Last known status per peer, so a restarted node shows it before the peer answers.
CREATE TABLE peer_status (
    peer     TEXT PRIMARY KEY REFERENCES peers (id) ON DELETE CASCADE,
    presence TEXT NOT NULL,
    text     TEXT NOT NULL,
    emoji    TEXT NOT NULL,
    until    REAL,
    set_at   REAL NOT NULL
);

-- Posts and status changes, own and received. No foreign key on peer: own items are here too.
CREATE TABLE items (
    peer        TEXT NOT NULL,
    inc         INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('post', 'status')),
    sent_at     REAL NOT NULL,
    received_at REAL NOT NULL,
    text        TEXT NOT NULL,
    urgent      INTEGER NOT NULL,
    tags        TEXT NOT NULL,  -- JSON array of strings
    presence    TEXT,
    emoji       TEXT NOT NULL,
    until       REAL,
    UNIQUE (peer, inc, seq)
);
CREATE INDEX items_by_sent_at ON items (sent_at);
"""

# v2: the own status history behind "recent statuses" in the tray menu, seeded with the current
# custom status; and an index for retention, which prunes by our own clock (received_at).
_V2_HISTORY: Final = """
CREATE TABLE status_history (
    ord      INTEGER NOT NULL UNIQUE,  -- larger is newer; re-using a status moves it up
    presence TEXT NOT NULL,
    text     TEXT NOT NULL,
    emoji    TEXT NOT NULL,
    until    REAL,
    set_at   REAL NOT NULL,
    UNIQUE (presence, text, emoji)
);
INSERT INTO status_history (ord, presence, text, emoji, until, set_at)
    SELECT 1, presence, text, emoji, until, set_at FROM own_status
    WHERE text != '' OR emoji != '';

CREATE INDEX items_by_received_at ON items (received_at);
"""

# v3: the name an item was posted under, so that a rename does not rewrite who wrote the older
# items (issue 9, display-name impersonation). Received items take their author's name as stored
# now, the best there is; own items, whose name lives in config.toml, stay '' and show the
# current name.
_V3_ITEM_NAMES: Final = """
ALTER TABLE items ADD COLUMN name TEXT NOT NULL DEFAULT '';
UPDATE items SET name = coalesce((SELECT peers.name FROM peers WHERE peers.id = items.peer), '');
"""

# v4: clamp the times of items stored before the engine clamped received times (to at most
# FUTURE_SKEW, 300 s, after they were received: `core.roster.received_time`), once, rather than
# scan every row at every prune.
_V4_CLAMP_TIMES: Final = """
UPDATE items SET sent_at = received_at + 300.0 WHERE sent_at > received_at + 300.0;
"""

# v5: replicated records other than statuses and posts (events and RSVPs first), one row per
# (author, kind, key) holding its newest version; an empty value is a deletion (a tombstone).
# `expires` is when retention removes the row, by our clock.
_V5_RECORDS: Final = """
CREATE TABLE records (
    author      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    key         TEXT NOT NULL,
    ver         INTEGER NOT NULL,  -- the author's seq when it wrote this version
    inc         INTEGER NOT NULL,  -- the author's incarnation that published it
    at          REAL NOT NULL,     -- the author's time, clamped on receipt
    received_at REAL NOT NULL,
    value       BLOB NOT NULL,     -- msgpack of the value; empty for a tombstone
    expires     REAL NOT NULL,
    PRIMARY KEY (author, kind, key)
) WITHOUT ROWID;
CREATE INDEX records_by_expiry ON records (expires);
-- The answers to one event, whoever gave them: they expire with it (Store.add_received).
CREATE INDEX records_rsvp_by_event ON records (key) WHERE kind = 'rsvp';
"""

# v6: knocks (issue 12), sent and received: only their sender's and their recipient's databases
# ever hold one. `peer` is the other side; a received knock is known by (sender, id), so a copy
# sent again is acknowledged, never shown twice. Our own pending knocks are the outbox.
_V6_KNOCKS: Final = """
CREATE TABLE knocks (
    peer       TEXT NOT NULL,
    id         TEXT NOT NULL,
    outgoing   INTEGER NOT NULL,
    text       TEXT NOT NULL,
    urgent     INTEGER NOT NULL,
    state      TEXT NOT NULL,
    held       TEXT NOT NULL DEFAULT '',  -- why the recipient holds it: 'dnd', 'quiet' or ''
    reply      TEXT,
    reply_sent INTEGER NOT NULL DEFAULT 0,  -- a received knock's reply: 0 to send, 1 acknowledged
    replied_at REAL,
    created    REAL NOT NULL,  -- our clock: when we made it, or when it arrived
    expires    REAL NOT NULL,  -- when an undelivered knock (or reply) is given up
    PRIMARY KEY (peer, id, outgoing)
) WITHOUT ROWID;
CREATE INDEX knocks_by_created ON knocks (created);
"""

# v7: knowledge sharing (issue 11). Posts become versioned records: a reply is a post naming
# its post (`reply_to`), a question keeps its chosen `answer`, `edits` and `nudges` count its
# author's changes, and a deleted post keeps no text (`deleted`). `(ver_inc, ver)` published
# the version held. Full-text search (FTS5) over items' words and over events'.
_V7_KNOWLEDGE: Final = """
ALTER TABLE items ADD COLUMN reply_to TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN question INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN ack INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN answer TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN edits INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN nudges INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN ver INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN ver_inc INTEGER NOT NULL DEFAULT 0;
UPDATE items SET ver = seq, ver_inc = inc;
CREATE INDEX items_by_reply_to ON items (reply_to) WHERE reply_to != '';
CREATE INDEX items_questions ON items (sent_at) WHERE question = 1;

-- The words of items, under the item's rowid. Written by the store (`store/knowledge.py`): with
-- the receive batch, and for our own items just after they are published, so the index is never
-- on the path between a command and the wire; removed with the item by this trigger.
CREATE VIRTUAL TABLE items_fts USING fts5 (text);
INSERT INTO items_fts (rowid, text) SELECT rowid, text FROM items WHERE text != '';
CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
    DELETE FROM items_fts WHERE rowid = old.rowid;
END;

CREATE VIRTUAL TABLE events_fts USING fts5 (id UNINDEXED, text);
CREATE INDEX records_ack_by_post ON records (key) WHERE kind = 'ack';
"""

# v8: places (issue 14): where each member answered (a WELCOME over a link to it), so that a
# restart finds the office again with no seed and across routers; `via` is how we first found
# it ('mdns', 'seed' or 'exchange'). Aged out by `last_ok` (store/places.py).
_V8_PLACES: Final = """
CREATE TABLE places (
    peer        TEXT NOT NULL REFERENCES peers (id) ON DELETE CASCADE,
    address     TEXT NOT NULL,
    router_port INTEGER NOT NULL,
    pub_port    INTEGER NOT NULL,
    via         TEXT NOT NULL CHECK (via IN ('mdns', 'seed', 'exchange')),
    last_ok     REAL NOT NULL,
    PRIMARY KEY (peer, address, router_port)
) WITHOUT ROWID;
CREATE INDEX places_by_last_ok ON places (last_ok);
"""

MIGRATIONS: Final[tuple[str, ...]] = (
    _V1_BASE,
    _V2_HISTORY,
    _V3_ITEM_NAMES,
    _V4_CLAMP_TIMES,
    _V5_RECORDS,
    _V6_KNOCKS,
    _V7_KNOWLEDGE,
    _V8_PLACES,
)
SCHEMA_VERSION: Final = len(MIGRATIONS)


def user_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(conn: sqlite3.Connection, path: object, target: int | None = None) -> None:
    """Bring the database up to `target` (default: the latest), one transaction per step.

    `conn` must be in autocommit mode (isolation_level=None): the transactions are explicit so
    that the version check, the script and the bump happen under one write lock.
    """
    version = user_version(conn)
    if version > len(MIGRATIONS):
        raise StoreError(
            f"the database {path} has schema version {version}, but this Hallway knows only up "
            f"to {len(MIGRATIONS)}; it was written by a newer Hallway. Update Hallway, or use "
            "another home."
        )
    last = len(MIGRATIONS) if target is None else target
    for number in range(version + 1, last + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read under the lock: another connection may have migrated meanwhile.
            if user_version(conn) == number - 1:
                for statement in _statements(MIGRATIONS[number - 1]):
                    conn.execute(statement)
                # PRAGMA takes no parameters; `number` is an int from our own range.
                conn.execute(f"PRAGMA user_version = {number:d}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise


def _statements(script: str) -> Iterator[str]:
    # executescript() would COMMIT our transaction first, so run the script statement by
    # statement; complete_statement() knows where one ends (even inside a trigger body).
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip() and not _only_comments(buffer):
        raise ValueError(f"incomplete SQL statement in a migration: {buffer.strip()[:60]!r}")


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in text.splitlines())
