"""Wire schemas, version 2: what travels on PUB/SUB and ROUTER/DEALER, with its limits.

Version 2 carries replicated records: every piece of shared state (a status, a post, an event,
an RSVP) is a record `(author, kind, key) -> value` that only its author writes, numbered by the
author's own counter (`seq`, which survives restarts; a tombstone, `val = None`, is a version
too). Live records travel in envelopes on the author's PUB; the snapshot carries the author's
live records and tombstones: one sync path for every kind (docs/PROTOCOL.md). Knocks are not
records: they go only from one member's DEALER to another's ROUTER (`Knock`, `KnockReply`, each
acknowledged), so they are in no snapshot.

Every decoder here takes bytes from outside and either returns a valid, size-limited message or
raises `DecodeError`. Nothing else escapes, whatever the input. What it returns is also tidied
the same way for every receiver: names are one line (`one_line`), and a status's emoji that is
not exactly one emoji is dropped (the status itself is kept).
"""

from __future__ import annotations

from typing import Annotated, Final, Literal, TypeVar

import msgspec

from hallway.core.emoji import is_emoji
from hallway.core.errors import DecodeError
from hallway.core.knocks import KNOCK_TEXT_MAX
from hallway.core.meetups import EventSpec, RsvpValue
from hallway.core.model import (
    EMOJI_MAX,
    FRAME_MAX,
    NAME_MAX,
    POST_TEXT_MAX,
    STATUS_TEXT_MAX,
    Presence,
    one_line,
    strip_controls,
)
from hallway.core.records import ID_PATTERN, check_key

VERSION: Final = 2

# POSIX seconds, bounded so hostile values (NaN, inf, year 30000) never reach datetime.
Timestamp = Annotated[float, msgspec.Meta(ge=0, le=2**35)]
Counter = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
Name = Annotated[str, msgspec.Meta(max_length=NAME_MAX)]
StatusText = Annotated[str, msgspec.Meta(max_length=STATUS_TEXT_MAX)]
Emoji = Annotated[str, msgspec.Meta(max_length=EMOJI_MAX)]
PostText = Annotated[str, msgspec.Meta(min_length=1, max_length=POST_TEXT_MAX)]
Proof = Annotated[bytes, msgspec.Meta(max_length=64)]
OfficeTag = Annotated[str, msgspec.Meta(max_length=32)]
Kind = Literal["status", "post", "event", "rsvp", "ack"]
Key = Annotated[str, msgspec.Meta(max_length=80)]
KnockId = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{16}$")]
KnockText = Annotated[str, msgspec.Meta(max_length=KNOCK_TEXT_MAX)]
ReplyText = Annotated[str, msgspec.Meta(min_length=1, max_length=KNOCK_TEXT_MAX)]
ItemId = Annotated[str, msgspec.Meta(pattern=f"^(?:{ID_PATTERN})?$")]
Edits = Annotated[int, msgspec.Meta(ge=0, le=10_000)]

#: Records in one snapshot part, and in one whole snapshot (what a receiver accepts at most).
SNAPSHOT_PART_MAX: Final = 500
SNAPSHOT_RECORDS_MAX: Final = 2000
SNAPSHOT_POSTS_MAX: Final = 500  # an author's posts of the last 7 days, the newest
SNAPSHOT_CHUNK_BYTES: Final = 48 * 1024


class _Msg(msgspec.Struct, frozen=True, tag_field="k", omit_defaults=True):
    pass


# Record values (tagged on "t"; `EventSpec` and `RsvpValue` are core.meetups') ------------------


class StatusValue(msgspec.Struct, frozen=True, tag_field="t", tag="status", omit_defaults=True):
    presence: Presence
    text: StatusText = ""
    emoji: Emoji = ""
    until: Timestamp | None = None


class PostValue(msgspec.Struct, frozen=True, tag_field="t", tag="post", omit_defaults=True):
    """A post, or with `reply_to` (a post's id) a reply in that post's thread.

    Later versions of the same record are its author's edits: `edits` counts the changes of
    text (shown as "edited"), `posted` keeps the first version's time. A question's author
    chooses its `answer` (a reply's id) in its own record, and `nudges` counts the reminders
    sent to those who have not acknowledged an `ack` post: no one else can write either."""

    text: PostText
    urgent: bool = False
    reply_to: ItemId = ""
    question: bool = False
    ack: bool = False
    answer: ItemId = ""
    edits: Edits = 0
    nudges: Edits = 0
    posted: Timestamp | None = None


class AckValue(msgspec.Struct, frozen=True, tag_field="t", tag="ack"):
    """Its author acknowledges the post whose id is the record's key, at `at`."""

    at: Timestamp


Value = StatusValue | PostValue | EventSpec | RsvpValue | AckValue

# PUB bodies ----------------------------------------------------------------------------------


class Rec(_Msg, frozen=True, tag="rec"):
    """A version of the author's record `(kind, key)`; `val = None` deletes it (a tombstone).
    Its version is the envelope's seq."""

    kind: Kind
    key: Key = ""
    val: Value | None = None


class ProfileBody(_Msg, frozen=True, tag="profile"):
    name: Name


class Heartbeat(_Msg, frozen=True, tag="hb"):
    """Carries no data. The envelope's seq is the last data seq sent, so a gap shows."""


class Bye(_Msg, frozen=True, tag="bye"):
    """A clean quit."""


Body = Rec | ProfileBody | Heartbeat | Bye


class Envelope(msgspec.Struct, frozen=True):
    """A PUB message: `[topic, msgpack(Envelope)]`. Data bodies take seq+1; hb and bye do not.

    `seq` never goes back for an author, across restarts too (it is kept in its database
    before anything is published): a record's version is the seq it was published at."""

    v: int
    inc: Counter
    seq: Counter
    at: Timestamp
    body: Body


TOPIC: Final = b"hw2"

# ROUTER requests and replies ----------------------------------------------------------------


class Hello(_Msg, frozen=True, tag="hello"):
    """First contact. `proof` is HMAC(office key, public key); the key itself is the ZAP user.
    `proto` is absent (1) in version 1's HELLO, which this version refuses."""

    office: OfficeTag
    proof: Proof
    name: Name
    router_port: Port
    pub_port: Port
    inc: Counter
    proto: int = 1


class SnapshotRequest(_Msg, frozen=True, tag="snap"):
    """Asks for the author's records. With `inc` set to the author's current incarnation, only
    those published after `seq` in it (a gap to fill); otherwise all of them."""

    inc: Counter = 0
    seq: Counter = 0


class Knock(_Msg, frozen=True, tag="knock"):
    """A knock for the receiver, from the key the handshake proved; `text` "" is the default
    text. Answered with `KnockAck` once it is stored, again for each copy (same `id`)."""

    id: KnockId
    text: KnockText = ""
    urgent: bool = False


class KnockReply(_Msg, frozen=True, tag="knock_reply"):
    """The reply to our knock `id`, from the member it was sent to; answered with
    `KnockReplyAck` once it is stored."""

    id: KnockId
    reply: ReplyText


# Issue 14: peer exchange and the office rendezvous ------------------------------------------

#: Places in one `PeerList` (~100 bytes each: far under the frame limit), addresses per place.
PEER_LIST_MAX: Final = 256
PEER_ADDRESSES_MAX: Final = 4
IPv4Text = Annotated[str, msgspec.Meta(max_length=15, pattern=r"^[0-9]{1,3}(\.[0-9]{1,3}){3}$")]
PublicKey = Annotated[bytes, msgspec.Meta(min_length=40, max_length=40)]


class PeerEntry(msgspec.Struct, frozen=True, array_like=True):
    """A member the sender knows: its key and proof (checked with `Office.admits` before any
    connection), where it answered, and when the sender last heard from it."""

    key: PublicKey
    proof: Proof
    addresses: Annotated[list[IPv4Text], msgspec.Meta(min_length=1, max_length=PEER_ADDRESSES_MAX)]
    router_port: Port
    pub_port: Port
    seen: Timestamp


class PeerList(_Msg, frozen=True, tag="peer_list"):
    """Peer exchange: the members the sender knows, told to a member over its DEALER once both
    have met (after the HELLO proof: only members ever receive one). Not answered."""

    entries: Annotated[list[PeerEntry], msgspec.Meta(max_length=PEER_LIST_MAX)] = []


class Intro(_Msg, frozen=True, tag="intro"):
    """The office rendezvous's answer to a member's HELLO: who holds this seed, and its ports.
    Decoded by `decode_intro` only: it never arrives on a link's DEALER."""

    key: PublicKey
    proof: Proof
    name: Name
    router_port: Port
    pub_port: Port


Request = Hello | SnapshotRequest | Knock | KnockReply | PeerList


class Welcome(_Msg, frozen=True, tag="welcome"):
    name: Name
    pub_port: Port
    inc: Counter


class SnapRec(msgspec.Struct, frozen=True, array_like=True):
    """A record in a snapshot: published at (inc, seq), which is also its version."""

    inc: Counter
    seq: Counter
    at: Timestamp
    kind: Kind
    key: Key
    val: Value | None


class SnapshotPart(_Msg, frozen=True, tag="snapshot"):
    """One chunk of a snapshot at (inc, seq); the last has `more=False`."""

    inc: Counter
    seq: Counter
    name: Name
    recs: Annotated[list[SnapRec], msgspec.Meta(max_length=SNAPSHOT_PART_MAX)] = []
    more: bool = False


class KnockAck(_Msg, frozen=True, tag="knock_ack"):
    """The knock `id` is stored. `held`: why it is not shown yet ("dnd", "quiet"), or ""."""

    id: KnockId
    held: Literal["", "dnd", "quiet"] = ""


class KnockReplyAck(_Msg, frozen=True, tag="knock_reply_ack"):
    id: KnockId


Reply = Welcome | SnapshotPart | KnockAck | KnockReplyAck  # non-members get no reply at all

# codecs -------------------------------------------------------------------------------------

_encoder = msgspec.msgpack.Encoder()
_envelope_decoder = msgspec.msgpack.Decoder(Envelope)
_request_decoder = msgspec.msgpack.Decoder(Request)
_reply_decoder = msgspec.msgpack.Decoder(Reply)


def encode(msg: Envelope | Request | Reply | Intro) -> bytes:
    return _encoder.encode(msg)


_T = TypeVar("_T")


def _decode(decoder: msgspec.msgpack.Decoder[_T], data: bytes, what: str) -> _T:
    if len(data) > FRAME_MAX:
        raise DecodeError(f"{what} of {len(data)} bytes is over the {FRAME_MAX}-byte limit")
    try:
        return decoder.decode(data)
    except msgspec.DecodeError as exc:  # also covers ValidationError
        # msgspec quotes the offending value: keep a hostile peer's escape codes out of logs.
        raise DecodeError(f"malformed {what}: {strip_controls(str(exc))[:200]}") from None
    except UnicodeDecodeError:  # msgspec 0.22 raises this bare for a str that is not UTF-8
        raise DecodeError(f"malformed {what}: text that is not UTF-8") from None
    except RecursionError:  # msgspec's depth limit: deep nesting, e.g. in an unknown field
        raise DecodeError(f"malformed {what}: nested too deeply") from None


def decode_envelope(data: bytes) -> Envelope:
    env = _decode(_envelope_decoder, data, "message")
    if env.v != VERSION:
        raise DecodeError("unsupported protocol version")  # no detail: counted by reason
    body = env.body
    if isinstance(body, Rec):
        tidy = _tidy_record(body.kind, body.key, body.val)
        if tidy is not body.val:
            return msgspec.structs.replace(env, body=msgspec.structs.replace(body, val=tidy))
        return env
    if isinstance(body, ProfileBody) and body.name != one_line(body.name):
        return msgspec.structs.replace(env, body=ProfileBody(name=one_line(body.name)))
    return env


def decode_request(data: bytes) -> Request:
    request: Request = _decode(_request_decoder, data, "request")
    if isinstance(request, Hello) and request.name != one_line(request.name):
        return msgspec.structs.replace(request, name=one_line(request.name))
    if isinstance(request, Knock) and request.text != one_line(request.text):
        return msgspec.structs.replace(request, text=one_line(request.text))
    if isinstance(request, KnockReply) and request.reply != one_line(request.reply):
        if not one_line(request.reply):
            raise DecodeError("malformed request: a knock's reply without text")
        return msgspec.structs.replace(request, reply=one_line(request.reply))
    return request


_intro_decoder = msgspec.msgpack.Decoder(Intro)


def decode_intro(data: bytes) -> Intro:
    intro = _decode(_intro_decoder, data, "rendezvous reply")
    return msgspec.structs.replace(intro, name=one_line(intro.name))


def decode_reply(data: bytes) -> Reply:
    reply: Reply = _decode(_reply_decoder, data, "reply")
    if isinstance(reply, SnapshotPart):
        recs = [_tidy_snap(rec) for rec in reply.recs]
        if any(new is not old for new, old in zip(recs, reply.recs, strict=True)):
            reply = msgspec.structs.replace(reply, recs=recs)
    if isinstance(reply, Welcome | SnapshotPart) and reply.name != one_line(reply.name):
        reply = msgspec.structs.replace(reply, name=one_line(reply.name))
    return reply


def _tidy_snap(rec: SnapRec) -> SnapRec:
    tidy = _tidy_record(rec.kind, rec.key, rec.val)
    return rec if tidy is rec.val else msgspec.structs.replace(rec, val=tidy)


def _tidy_record(kind: str, key: str, val: Value | None) -> Value | None:
    """Check that the value is of the record's kind and its key well formed (DecodeError);
    return the value as every receiver keeps it."""
    if val is not None and val.__struct_config__.tag != kind:
        raise DecodeError(f"malformed record: another kind's value in a record of kind {kind}")
    if not check_key(kind, key):
        raise DecodeError(f"malformed record: an invalid key for a record of kind {kind}")
    # Dropping only the emoji keeps a peer's presence right even if it runs a newer emoji list.
    if isinstance(val, StatusValue) and val.emoji and not is_emoji(val.emoji):
        return msgspec.structs.replace(val, emoji="")
    # A reply is plain: the flags of a post mean nothing on it, so no receiver shows them.
    if (
        isinstance(val, PostValue)
        and val.reply_to
        and (val.urgent or val.question or val.ack or val.answer or val.nudges)
    ):
        return msgspec.structs.replace(
            val, urgent=False, question=False, ack=False, answer="", nudges=0
        )
    if isinstance(val, PostValue) and val.answer and not val.question:
        return msgspec.structs.replace(val, answer="")
    return val


def chunk_snapshot(*, inc: int, seq: int, name: str, recs: list[SnapRec]) -> list[bytes]:
    """Encode a snapshot as chunks that each stay well under the frame limit."""
    chunks: list[bytes] = []
    batch: list[SnapRec] = []
    size = 0
    for rec in recs:
        cost = len(_encoder.encode(rec)) + 1  # its exact size, and a byte of list header
        if batch and (size + cost > SNAPSHOT_CHUNK_BYTES or len(batch) >= SNAPSHOT_PART_MAX):
            chunks.append(encode(SnapshotPart(inc=inc, seq=seq, name=name, recs=batch, more=True)))
            batch, size = [], 0
        batch.append(rec)
        size += cost
    chunks.append(encode(SnapshotPart(inc=inc, seq=seq, name=name, recs=batch, more=False)))
    return chunks


def encode_value(val: Value | None) -> bytes:
    """A record's value as the database keeps it (msgpack; a tombstone is empty)."""
    return b"" if val is None else _encoder.encode(val)


_value_decoder = msgspec.msgpack.Decoder(Value)


def decode_value(data: bytes) -> Value | None:
    """What `encode_value` made (from our own database: a failure is a damaged database)."""
    return None if not data else _value_decoder.decode(data)
