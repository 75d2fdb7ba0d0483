"""Wire schemas, version 1: what travels on PUB/SUB and ROUTER/DEALER, with its limits.

Every decoder here takes bytes from outside and either returns a valid, size-limited message or
raises `DecodeError`. Nothing else escapes, whatever the input. What it returns is also tidied
the same way for every receiver: names are one line (`one_line`), and a status's emoji that is
not exactly one emoji is dropped (the status itself is kept).
"""

from __future__ import annotations

from typing import Annotated, Final, TypeVar

import msgspec

from hallway.core.emoji import is_emoji
from hallway.core.errors import DecodeError
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

VERSION: Final = 1

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

SNAPSHOT_POSTS_MAX: Final = 500
SNAPSHOT_CHUNK_BYTES: Final = 48 * 1024


class _Msg(msgspec.Struct, frozen=True, tag_field="k", omit_defaults=True):
    pass


# PUB bodies ----------------------------------------------------------------------------------


class StatusBody(_Msg, frozen=True, tag="status"):
    presence: Presence
    text: StatusText = ""
    emoji: Emoji = ""
    until: Timestamp | None = None


class PostBody(_Msg, frozen=True, tag="post"):
    text: PostText
    urgent: bool = False


class ProfileBody(_Msg, frozen=True, tag="profile"):
    name: Name


class Heartbeat(_Msg, frozen=True, tag="hb"):
    """Carries no data. The envelope's seq is the last data seq sent, so a gap shows."""


class Bye(_Msg, frozen=True, tag="bye"):
    """A clean quit."""


Body = StatusBody | PostBody | ProfileBody | Heartbeat | Bye


class Envelope(msgspec.Struct, frozen=True):
    """A PUB message: `[topic, msgpack(Envelope)]`. Data bodies take seq+1; hb and bye do not."""

    v: int
    inc: Counter
    seq: Counter
    at: Timestamp
    body: Body


TOPIC: Final = b"hw1"

# ROUTER requests and replies ----------------------------------------------------------------


class Hello(_Msg, frozen=True, tag="hello"):
    """First contact. `proof` is HMAC(office key, public key); the key itself is the ZAP user."""

    office: OfficeTag
    proof: Proof
    name: Name
    router_port: Port
    pub_port: Port
    inc: Counter


class SnapshotRequest(_Msg, frozen=True, tag="snap"):
    pass


Request = Hello | SnapshotRequest


class Welcome(_Msg, frozen=True, tag="welcome"):
    name: Name
    pub_port: Port
    inc: Counter


class SnapPost(msgspec.Struct, frozen=True, array_like=True):
    inc: Counter
    seq: Counter
    at: Timestamp
    text: PostText
    urgent: bool


class SnapshotPart(_Msg, frozen=True, tag="snapshot"):
    """One chunk of a snapshot. The last chunk has `more=False` and carries the status."""

    inc: Counter
    seq: Counter
    name: Name
    posts: Annotated[list[SnapPost], msgspec.Meta(max_length=SNAPSHOT_POSTS_MAX)] = []
    status: StatusBody | None = None
    status_at: Timestamp = 0.0
    more: bool = False


Reply = Welcome | SnapshotPart  # non-members get no reply at all

# codecs -------------------------------------------------------------------------------------

_encoder = msgspec.msgpack.Encoder()
_envelope_decoder = msgspec.msgpack.Decoder(Envelope)
_request_decoder = msgspec.msgpack.Decoder(Request)
_reply_decoder = msgspec.msgpack.Decoder(Reply)


def encode(msg: Envelope | Request | Reply) -> bytes:
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
    if isinstance(body, StatusBody):
        tidy = _tidy_status(body)
        return env if tidy is body else msgspec.structs.replace(env, body=tidy)
    if isinstance(body, ProfileBody) and body.name != one_line(body.name):
        return msgspec.structs.replace(env, body=ProfileBody(name=one_line(body.name)))
    return env


def decode_request(data: bytes) -> Request:
    request: Request = _decode(_request_decoder, data, "request")
    if isinstance(request, Hello) and request.name != one_line(request.name):
        return msgspec.structs.replace(request, name=one_line(request.name))
    return request


def decode_reply(data: bytes) -> Reply:
    reply: Reply = _decode(_reply_decoder, data, "reply")
    if isinstance(reply, SnapshotPart) and reply.status is not None:
        tidy = _tidy_status(reply.status)
        if tidy is not reply.status:
            reply = msgspec.structs.replace(reply, status=tidy)
    if reply.name != one_line(reply.name):
        reply = msgspec.structs.replace(reply, name=one_line(reply.name))
    return reply


def _tidy_status(status: StatusBody) -> StatusBody:
    # Dropping only the emoji keeps a peer's presence right even if it runs a newer emoji list.
    if status.emoji and not is_emoji(status.emoji):
        return msgspec.structs.replace(status, emoji="")
    return status


def chunk_snapshot(
    *,
    inc: int,
    seq: int,
    name: str,
    posts: list[SnapPost],
    status: StatusBody | None,
    status_at: float,
) -> list[bytes]:
    """Encode a snapshot as chunks that each stay well under the frame limit."""
    posts = posts[-SNAPSHOT_POSTS_MAX:]
    chunks: list[bytes] = []
    batch: list[SnapPost] = []
    size = 0
    for post in posts:
        cost = len(post.text.encode()) + 40
        if batch and size + cost > SNAPSHOT_CHUNK_BYTES:
            part = SnapshotPart(inc=inc, seq=seq, name=name, posts=batch, more=True)
            chunks.append(encode(part))
            batch, size = [], 0
        batch.append(post)
        size += cost
    last = SnapshotPart(
        inc=inc, seq=seq, name=name, posts=batch, status=status, status_at=status_at, more=False
    )
    chunks.append(encode(last))
    return chunks
