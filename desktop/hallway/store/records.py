"""The rows the store hands out: plain frozen values, free of sqlite3."""

from __future__ import annotations

from typing import Final, Literal

import msgspec

from hallway.core.model import Post, Presence, Status, post_id

ItemKind = Literal["post", "status"]
ITEM_KINDS: Final[tuple[ItemKind, ...]] = ("post", "status")
#: The word "deleted" items keep as text: none of what they said (schema v7).
DELETED_TEXT: Final = ""


class StoredPeer(msgspec.Struct, frozen=True):
    id: str
    key: bytes  # Z85 CURVE public key
    name: str
    first_seen: float
    last_seen: float
    verified: bool


class StoredRecord(msgspec.Struct, frozen=True):
    """A replicated record's newest version held here (`core.records`; events and RSVPs).

    `ver` is the author's seq when it wrote this version, `inc` the incarnation that published
    it; `value` is the msgpack of the value (`wire.encode_value`), empty for a tombstone.
    `expires` is when retention removes it (our clock)."""

    author: str
    kind: str
    key: str
    ver: int
    inc: int
    at: float
    received_at: float
    value: bytes
    expires: float


class StoredKnock(msgspec.Struct, frozen=True):
    """A knock sent (`outgoing`) or received, as this home keeps it (`core.knocks`).

    `peer` is the other side. `held` is why the recipient holds it ("dnd", "quiet" or "").
    A received knock's `reply` is ours, sent until acknowledged (`reply_sent`) or until
    `expires` is past once more (counted from `replied_at`); a sent knock's `reply` is theirs.
    """

    peer: str
    id: str
    outgoing: bool
    text: str
    urgent: bool
    state: str
    created: float
    expires: float
    held: str = ""
    reply: str | None = None
    reply_sent: bool = False
    replied_at: float | None = None


class StoredItem(msgspec.Struct, frozen=True):
    """A post or a status change, own or received, as kept in the feed.

    `(peer, inc, seq)` identifies it across the office: the sender's id, its incarnation and the
    message's sequence number. `sent_at` is the sender's clock, `received_at` ours.
    Status items carry `presence`, `emoji` and `until`; posts carry `urgent` and `tags`.
    `name` is the author's display name when the item was posted (received, for a snapshot's),
    so a later rename does not rewrite who the feed says wrote it; "" for items stored before
    schema version 3 whose author was unknown then.

    Posts are versioned records (schema v7): `(ver_inc, ver)` published the version held (0:
    the first, `(inc, seq)`). A reply names its post in `reply_to`; a question's author keeps
    its chosen `answer` in it; `edits` counts changes of text and `nudges` the reminders to
    acknowledge an `ack` post. A `deleted` item keeps no text, only what makes it a tombstone.
    """

    peer: str
    inc: int
    seq: int
    kind: ItemKind
    sent_at: float
    received_at: float
    text: str = ""
    urgent: bool = False
    tags: tuple[str, ...] = ()
    presence: str | None = None
    emoji: str = ""
    until: float | None = None
    name: str = ""
    reply_to: str = ""
    question: bool = False
    ack: bool = False
    answer: str = ""
    edits: int = 0
    nudges: int = 0
    deleted: bool = False
    ver: int = 0
    ver_inc: int = 0

    @property
    def version(self) -> tuple[int, int]:
        """(inc, seq) that published the version held."""
        return (self.ver_inc, self.ver) if self.ver else (self.inc, self.seq)

    def __post_init__(self) -> None:
        if self.kind not in ITEM_KINDS:
            raise ValueError(f"item kind must be one of {ITEM_KINDS}, not {self.kind!r}")

    @property
    def id(self) -> str:
        return post_id(self.peer, self.inc, self.seq)

    def as_post(self) -> Post:
        return Post(
            id=self.id,
            peer=self.peer,
            text=self.text,
            urgent=self.urgent,
            sent_at=self.sent_at,
            tags=self.tags,
            reply_to=self.reply_to,
            question=self.question,
            ack=self.ack,
            edits=self.edits,
        )

    def as_status(self) -> Status:
        """The status this item announced; raises ValueError for a post or an unknown presence."""
        if self.kind != "status" or self.presence is None:
            raise ValueError(f"item {self.id} is not a status change")
        return Status(
            presence=Presence(self.presence),
            text=self.text,
            emoji=self.emoji,
            until=self.until,
            set_at=self.sent_at,
        )
