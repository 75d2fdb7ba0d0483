"""Wire schemas (hallway/core/wire.py): round trips, limits, and hostile input."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallway.core import wire
from hallway.core.errors import DecodeError
from hallway.core.model import (
    EMOJI_MAX,
    FRAME_MAX,
    NAME_MAX,
    POST_TEXT_MAX,
    STATUS_TEXT_MAX,
    Presence,
    one_line,
)

WIDE = "\U0001f600"  # four bytes in UTF-8, one character
EMOJI = [
    "☕",
    "🦷",
    "👍🏽",
    "1️⃣",
    "🇫🇷",
    "👨\u200d👩\u200d👧\u200d👦",
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
]
INJECTED = "Bob\n01:50:00 Alice: Free pizza"

# strategies ---------------------------------------------------------------------------------

counters = st.integers(min_value=0, max_value=2**63 - 1)
timestamps = st.floats(min_value=0, max_value=2**35, allow_nan=False, allow_infinity=False)
ports = st.integers(min_value=1, max_value=65535)
# What decoders return is tidied (names on one line, only real emoji), so round trips start there.
names = st.text(max_size=NAME_MAX).map(one_line)
emoji = st.just("") | st.sampled_from(EMOJI)


def texts(max_size: int, min_size: int = 0) -> st.SearchStrategy[str]:
    return st.text(min_size=min_size, max_size=max_size)


status_bodies = st.builds(
    wire.StatusBody,
    presence=st.sampled_from(Presence),
    text=texts(STATUS_TEXT_MAX),
    emoji=emoji,
    until=st.none() | timestamps,
)
post_bodies = st.builds(wire.PostBody, text=texts(POST_TEXT_MAX, 1), urgent=st.booleans())
bodies: st.SearchStrategy[wire.Body] = st.one_of(
    status_bodies,
    post_bodies,
    st.builds(wire.ProfileBody, name=names),
    st.just(wire.Heartbeat()),
    st.just(wire.Bye()),
)
envelopes = st.builds(
    wire.Envelope, v=st.just(wire.VERSION), inc=counters, seq=counters, at=timestamps, body=bodies
)
requests: st.SearchStrategy[wire.Request] = st.one_of(
    st.builds(
        wire.Hello,
        office=texts(32),
        proof=st.binary(max_size=64),
        name=names,
        router_port=ports,
        pub_port=ports,
        inc=counters,
    ),
    st.just(wire.SnapshotRequest()),
)
snap_posts = st.builds(
    wire.SnapPost,
    inc=counters,
    seq=counters,
    at=timestamps,
    text=texts(POST_TEXT_MAX, 1),
    urgent=st.booleans(),
)
replies: st.SearchStrategy[wire.Reply] = st.one_of(
    st.builds(wire.Welcome, name=names, pub_port=ports, inc=counters),
    st.builds(
        wire.SnapshotPart,
        inc=counters,
        seq=counters,
        name=names,
        posts=st.lists(snap_posts, max_size=5),
        status=st.none() | status_bodies,
        status_at=timestamps,
        more=st.booleans(),
    ),
)

# Any msgpack value at all...
msgpack_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats()
    | st.text(max_size=20)
    | st.binary(max_size=20),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.text(max_size=8) | st.integers(-(2**63), 2**64 - 1), children, max_size=5
        )
    ),
    max_leaves=30,
)
# ...and values shaped like ours, with our keys and tags, so the fuzzing reaches field validation.
KEYS = [
    "v",
    "inc",
    "seq",
    "at",
    "body",
    "k",
    "presence",
    "text",
    "emoji",
    "until",
    "urgent",
    "name",
    "office",
    "proof",
    "router_port",
    "pub_port",
    "reason",
    "posts",
    "status",
    "status_at",
    "more",
]
TAGS = ["status", "post", "profile", "hb", "bye", "hello", "snap", "welcome", "denied", "snapshot"]
shaped_values = st.recursive(
    msgpack_values
    | st.sampled_from(TAGS)
    | st.sampled_from([p.value for p in Presence])
    | st.just(1)
    | st.just(2**63)
    | st.just(-1)
    | st.just(float("nan"))
    | st.just(float("inf"))
    | st.text(min_size=NAME_MAX, max_size=POST_TEXT_MAX + 2),
    lambda children: (
        st.lists(children, max_size=6)
        | st.dictionaries(st.sampled_from(KEYS), children, max_size=8)
    ),
    max_leaves=40,
)

DECODERS: list[Callable[[bytes], object]] = [
    wire.decode_envelope,
    wire.decode_request,
    wire.decode_reply,
]
decoder_ids = ["envelope", "request", "reply"]


def envelope(body: wire.Body, **fields: Any) -> bytes:
    base: dict[str, Any] = {"v": wire.VERSION, "inc": 1, "seq": 1, "at": 1.0, "body": body}
    base.update(fields)
    return wire.encode(wire.Envelope(**base))


def hello(**fields: Any) -> wire.Hello:
    base: dict[str, Any] = {
        "office": "open",
        "proof": b"",
        "name": "a",
        "router_port": 1,
        "pub_port": 2,
        "inc": 0,
    }
    base.update(fields)
    return wire.Hello(**base)


# round trips --------------------------------------------------------------------------------


@given(envelopes)
def test_envelope_round_trips(env: wire.Envelope) -> None:
    assert wire.decode_envelope(wire.encode(env)) == env


@given(requests)
def test_request_round_trips(request: wire.Request) -> None:
    assert wire.decode_request(wire.encode(request)) == request


@given(replies)
def test_reply_round_trips(reply: wire.Reply) -> None:
    assert wire.decode_reply(wire.encode(reply)) == reply


def test_decoders_keep_their_kinds_apart() -> None:
    with pytest.raises(DecodeError):
        wire.decode_request(wire.encode(wire.Welcome(name="a", pub_port=1, inc=0)))
    with pytest.raises(DecodeError):
        wire.decode_reply(wire.encode(wire.SnapshotRequest()))
    with pytest.raises(DecodeError):
        wire.decode_envelope(wire.encode(wire.SnapshotRequest()))


# hostile input ------------------------------------------------------------------------------


@pytest.mark.parametrize("decode", DECODERS, ids=decoder_ids)
@given(data=st.binary(max_size=512))
def test_arbitrary_bytes_only_raise_decode_error(
    decode: Callable[[bytes], object], data: bytes
) -> None:
    with contextlib.suppress(DecodeError):
        decode(data)


@pytest.mark.parametrize("decode", DECODERS, ids=decoder_ids)
@given(value=msgpack_values | shaped_values)
def test_arbitrary_msgpack_only_raises_decode_error(
    decode: Callable[[bytes], object], value: object
) -> None:
    with contextlib.suppress(DecodeError):
        decode(msgspec.msgpack.encode(value))


@pytest.mark.parametrize("decode", DECODERS, ids=decoder_ids)
@given(data=st.data())
def test_mangled_valid_messages_only_raise_decode_error(
    decode: Callable[[bytes], object], data: st.DataObject
) -> None:
    message = data.draw(envelopes | requests | replies)
    raw = bytearray(wire.encode(message))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    with contextlib.suppress(DecodeError):
        decode(bytes(raw[:cut]))


def test_deep_nesting_is_a_decode_error() -> None:
    nested = b"\x91" * 60_000 + b"\xc0"
    for decode in DECODERS:
        with pytest.raises(DecodeError):
            decode(nested)


@pytest.mark.parametrize("decode", DECODERS, ids=decoder_ids)
def test_oversized_frames_are_rejected_before_decoding(decode: Callable[[bytes], object]) -> None:
    with pytest.raises(DecodeError, match="over the 65536-byte limit"):
        decode(b"\xc0" * (FRAME_MAX + 1))
    # At the limit itself the frame is decoded (and here found malformed), not refused for size.
    with pytest.raises(DecodeError, match="malformed"):
        decode(b"\xc0" * FRAME_MAX)


def test_oversized_valid_looking_message_is_rejected() -> None:
    raw = envelope(wire.ProfileBody(name="a" * (FRAME_MAX + 10)))
    with pytest.raises(DecodeError, match="limit"):
        wire.decode_envelope(raw)


def test_trailing_bytes_are_rejected() -> None:
    with pytest.raises(DecodeError):
        wire.decode_envelope(envelope(wire.Heartbeat()) + b"\x00")


@pytest.mark.parametrize("version", [0, 2, 255])
def test_other_versions_are_rejected(version: int) -> None:
    with pytest.raises(DecodeError, match="version"):
        wire.decode_envelope(envelope(wire.Heartbeat(), v=version))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("at", float("nan")),
        ("at", float("inf")),
        ("at", -1.0),
        ("at", 2.0**35 + 1),
        ("inc", -1),
        ("seq", 2**63),
    ],
)
def test_out_of_range_numbers_are_rejected(field: str, value: float) -> None:
    with pytest.raises(DecodeError):
        wire.decode_envelope(envelope(wire.Heartbeat(), **{field: value}))


def test_unknown_body_kind_is_rejected() -> None:
    raw = msgspec.msgpack.encode(
        {"v": 1, "inc": 1, "seq": 1, "at": 1.0, "body": {"k": "shout", "text": "hi"}}
    )
    with pytest.raises(DecodeError):
        wire.decode_envelope(raw)


def test_unknown_presence_is_rejected() -> None:
    raw = msgspec.msgpack.encode(
        {"v": 1, "inc": 1, "seq": 1, "at": 1.0, "body": {"k": "status", "presence": "gone"}}
    )
    with pytest.raises(DecodeError):
        wire.decode_envelope(raw)


# limits, counted in characters ----------------------------------------------------------------


@pytest.mark.parametrize("char", ["a", WIDE])
def test_name_limit(char: str) -> None:
    ok = char * NAME_MAX
    assert wire.decode_envelope(envelope(wire.ProfileBody(name=ok))).body == wire.ProfileBody(ok)
    with pytest.raises(DecodeError):
        wire.decode_envelope(envelope(wire.ProfileBody(name=ok + char)))
    with pytest.raises(DecodeError):
        wire.decode_request(wire.encode(hello(name=ok + char)))
    with pytest.raises(DecodeError):
        wire.decode_reply(wire.encode(wire.Welcome(name=ok + char, pub_port=1, inc=0)))


@pytest.mark.parametrize("char", ["a", WIDE])
def test_status_text_limit(char: str) -> None:
    ok = wire.StatusBody(presence=Presence.BUSY, text=char * STATUS_TEXT_MAX)
    assert wire.decode_envelope(envelope(ok)).body == ok
    over = wire.StatusBody(presence=Presence.BUSY, text=char * (STATUS_TEXT_MAX + 1))
    with pytest.raises(DecodeError):
        wire.decode_envelope(envelope(over))


@pytest.mark.parametrize("char", ["a", WIDE])
def test_emoji_limit(char: str) -> None:
    over = wire.StatusBody(presence=Presence.AWAY, emoji=char * (EMOJI_MAX + 1))
    with pytest.raises(DecodeError):
        wire.decode_envelope(envelope(over))


# tidying: what every receiver gets ----------------------------------------------------------


@pytest.mark.parametrize("good", EMOJI)
def test_a_status_keeps_a_real_emoji(good: str) -> None:
    status = wire.StatusBody(presence=Presence.AWAY, text="Lunch", emoji=good)
    assert wire.decode_envelope(envelope(status)).body == status
    part = wire.SnapshotPart(inc=1, seq=1, name="Ann", status=status)
    decoded = wire.decode_reply(wire.encode(part))
    assert isinstance(decoded, wire.SnapshotPart)
    assert decoded.status == status


@pytest.mark.parametrize("bad", ["notanemoji", "a" * EMOJI_MAX, "☕☕", " ", "☕ ", "\u200d"])
def test_a_status_with_a_bad_emoji_keeps_all_but_the_emoji(bad: str) -> None:
    sent = wire.StatusBody(presence=Presence.BUSY, text="In a call", emoji=bad, until=9.0)
    kept = wire.StatusBody(presence=Presence.BUSY, text="In a call", until=9.0)
    assert wire.decode_envelope(envelope(sent)).body == kept
    part = wire.SnapshotPart(inc=1, seq=1, name="Ann", status=sent)
    decoded = wire.decode_reply(wire.encode(part))
    assert isinstance(decoded, wire.SnapshotPart)
    assert decoded.status == kept


@pytest.mark.parametrize(
    ("sent", "received"),
    [
        (INJECTED, "Bob 01:50:00 Alice: Free pizza"),
        ("Bob\r\n\u2028\u2029\x85\x0b\x0c\x1c\tLee", "Bob Lee"),
        ("  Ann\u3000\u00a0Lee  ", "Ann Lee"),
        ("\x1b[31mRed\x07", "[31mRed"),
        ("👩\u200d💻 Ann", "👩\u200d💻 Ann"),
    ],
)
def test_every_name_a_peer_sends_is_one_line(sent: str, received: str) -> None:
    profile = wire.decode_envelope(envelope(wire.ProfileBody(name=sent))).body
    assert profile == wire.ProfileBody(name=received)
    request = wire.decode_request(wire.encode(hello(name=sent)))
    assert isinstance(request, wire.Hello)
    assert request.name == received
    welcome = wire.decode_reply(wire.encode(wire.Welcome(name=sent, pub_port=1, inc=0)))
    assert welcome.name == received
    part = wire.decode_reply(wire.encode(wire.SnapshotPart(inc=1, seq=1, name=sent)))
    assert part.name == received


@given(st.text(max_size=NAME_MAX))
def test_decoded_names_have_no_line_breaks(name: str) -> None:
    decoded = wire.decode_request(wire.encode(hello(name=name)))
    assert isinstance(decoded, wire.Hello)
    assert len(decoded.name.splitlines()) <= 1
    assert decoded.name == one_line(decoded.name)


@pytest.mark.parametrize("char", ["a", WIDE])
def test_post_limit(char: str) -> None:
    ok = wire.PostBody(text=char * POST_TEXT_MAX, urgent=True)
    assert wire.decode_envelope(envelope(ok)).body == ok
    with pytest.raises(DecodeError):
        wire.decode_envelope(envelope(wire.PostBody(text=char * (POST_TEXT_MAX + 1))))


def test_empty_post_is_rejected() -> None:
    with pytest.raises(DecodeError):
        wire.decode_envelope(envelope(wire.PostBody(text="")))


def test_snapshot_post_limits() -> None:
    too_long = wire.SnapPost(inc=1, seq=1, at=1.0, text="a" * (POST_TEXT_MAX + 1), urgent=False)
    part = wire.SnapshotPart(inc=1, seq=1, name="a", posts=[too_long])
    with pytest.raises(DecodeError):
        wire.decode_reply(wire.encode(part))
    one = wire.SnapPost(inc=1, seq=1, at=1.0, text="a", urgent=False)
    many = wire.SnapshotPart(inc=1, seq=1, name="a", posts=[one] * (wire.SNAPSHOT_POSTS_MAX + 1))
    with pytest.raises(DecodeError):
        wire.decode_reply(wire.encode(many))


@pytest.mark.parametrize(
    "bad",
    [
        {"proof": b"x" * 65},
        {"pub_port": 0},
        {"pub_port": 65536},
        {"router_port": 0},
        {"router_port": 65536},
        {"office": "x" * 33},
        {"inc": -1},
    ],
)
def test_hello_limits(bad: dict[str, Any]) -> None:
    assert wire.decode_request(wire.encode(hello())) == hello()
    with pytest.raises(DecodeError):
        wire.decode_request(wire.encode(hello(**bad)))


# snapshots ------------------------------------------------------------------------------------


def decode_chunks(chunks: list[bytes]) -> list[wire.SnapshotPart]:
    parts = []
    for chunk in chunks:
        assert len(chunk) < FRAME_MAX
        part = wire.decode_reply(chunk)
        assert isinstance(part, wire.SnapshotPart)
        parts.append(part)
    return parts


def check_parts(
    parts: list[wire.SnapshotPart], status: wire.StatusBody | None, status_at: float
) -> None:
    assert parts
    assert [p.more for p in parts] == [True] * (len(parts) - 1) + [False]
    assert all(p.status is None for p in parts[:-1])
    assert parts[-1].status == status
    assert parts[-1].status_at == status_at


def test_worst_case_snapshot_fits_in_frames() -> None:
    posts = [
        wire.SnapPost(
            inc=2**63 - 1, seq=2**63 - 1 - i, at=2.0**35, text=WIDE * POST_TEXT_MAX, urgent=True
        )
        for i in range(wire.SNAPSHOT_POSTS_MAX)
    ]
    status = wire.StatusBody(
        presence=Presence.DND, text=WIDE * STATUS_TEXT_MAX, emoji=WIDE * EMOJI_MAX, until=2.0**35
    )
    chunks = wire.chunk_snapshot(
        inc=2**63 - 1,
        seq=2**63 - 1,
        name=WIDE * NAME_MAX,
        posts=posts,
        status=status,
        status_at=2.0**35,
    )
    parts = decode_chunks(chunks)
    check_parts(parts, msgspec.structs.replace(status, emoji=""), 2.0**35)  # not one emoji
    assert [post for part in parts for post in part.posts] == posts
    assert all(p.name == WIDE * NAME_MAX and p.inc == 2**63 - 1 for p in parts)


def test_snapshot_keeps_only_the_newest_posts() -> None:
    posts = [
        wire.SnapPost(inc=1, seq=i, at=1.0, text=f"post {i}", urgent=False)
        for i in range(wire.SNAPSHOT_POSTS_MAX + 20)
    ]
    parts = decode_chunks(
        wire.chunk_snapshot(inc=1, seq=1, name="a", posts=posts, status=None, status_at=0.0)
    )
    assert [post for part in parts for post in part.posts] == posts[-wire.SNAPSHOT_POSTS_MAX :]


def test_empty_snapshot_is_one_final_chunk() -> None:
    status = wire.StatusBody(presence=Presence.AWAY, text="Lunch")
    chunks = wire.chunk_snapshot(inc=3, seq=9, name="Ann", posts=[], status=status, status_at=5.0)
    parts = decode_chunks(chunks)
    assert len(parts) == 1
    check_parts(parts, status, 5.0)
    assert (parts[0].inc, parts[0].seq, parts[0].name, parts[0].posts) == (3, 9, "Ann", [])


@settings(deadline=None, max_examples=50)
@given(
    posts=st.lists(snap_posts, max_size=60),
    status=st.none() | status_bodies,
    status_at=timestamps,
    name=names,
    inc=counters,
    seq=counters,
)
def test_chunked_snapshots_round_trip(
    posts: list[wire.SnapPost],
    status: wire.StatusBody | None,
    status_at: float,
    name: str,
    inc: int,
    seq: int,
) -> None:
    chunks = wire.chunk_snapshot(
        inc=inc, seq=seq, name=name, posts=posts, status=status, status_at=status_at
    )
    parts = decode_chunks(chunks)
    check_parts(parts, status, status_at)
    assert all(p.posts for p in parts[:-1])
    assert all((p.inc, p.seq, p.name) == (inc, seq, name) for p in parts)
    assert [post for part in parts for post in part.posts] == posts


def test_text_that_is_not_utf8_is_a_decode_error() -> None:
    # msgspec raises a bare UnicodeDecodeError here; the decoders must turn it into DecodeError.
    bad_tag = b"\x81\xa1k\xa1\x80"  # {"k": <0x80>}
    for decode in (wire.decode_request, wire.decode_reply):
        with pytest.raises(DecodeError, match="UTF-8"):
            decode(bad_tag)
    raw = envelope(wire.StatusBody(presence=Presence.AWAY, text="\x01"))
    assert raw.count(b"\xa1\x01") == 1
    with pytest.raises(DecodeError, match="UTF-8"):
        wire.decode_envelope(raw.replace(b"\xa1\x01", b"\xa1\x80"))


def test_decode_errors_carry_no_control_characters() -> None:
    # msgspec quotes the offending value; a hostile peer's escape codes must not reach logs.
    hostile = msgspec.msgpack.encode(
        {"v": 1, "inc": 1, "seq": 1, "at": 1.0, "body": {"k": "\x1b[31mred\x07"}}
    )
    with pytest.raises(DecodeError) as caught:
        wire.decode_envelope(hostile)
    assert all(ch.isprintable() for ch in str(caught.value))


def test_version_errors_do_not_vary_with_the_input() -> None:
    # Drops are counted by reason: a reason that echoed the version would grow without bound.
    reasons = set()
    for version in (2, 99, 12345):
        data = msgspec.msgpack.encode(
            {"v": version, "inc": 1, "seq": 1, "at": 1.0, "body": {"k": "hb"}}
        )
        with pytest.raises(DecodeError) as caught:
            wire.decode_envelope(data)
        reasons.add(str(caught.value))
    assert len(reasons) == 1
