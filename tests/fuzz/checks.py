"""The invariants every fuzz target checks, shared with the pytest replay of the corpus.

Each `check_*` takes the raw bytes of one fuzz input. A decoder may return a valid message or
raise its own error type (`DecodeError`, or `RequestError` for the control socket); anything else
escaping from here (another exception, a failed assertion) is a finding. A decoded message must
also survive a round trip: encoded again, it decodes to an equal message.

No atheris import here: `test_fuzz_regressions.py` runs these in the default test run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final

import msgspec

from hallway.control import protocol
from hallway.core import wire, z85
from hallway.core.emoji import is_emoji
from hallway.core.errors import DecodeError
from hallway.core.knocks import KNOCK_TEXT_MAX, is_knock_id
from hallway.core.knowledge import SEARCH_WORDS_MAX
from hallway.core.meetups import (
    CAPACITY_MAX,
    DURATION_MAX,
    NOTE_MAX,
    PLACE_MAX,
    REMIND_MAX,
    TITLE_MAX,
    Answer,
    EventSpec,
    RsvpValue,
)
from hallway.core.model import (
    EMOJI_MAX,
    FRAME_MAX,
    NAME_MAX,
    POST_TEXT_MAX,
    STATUS_TEXT_MAX,
    Presence,
    one_line,
)
from hallway.core.records import KINDS, check_key, split_id
from hallway.core.txt import TxtRecord, build_txt, parse_txt

TARGETS: Final = ("wire", "txt", "control")

COUNTER_MAX: Final = 2**63 - 1
TIME_MAX: Final = 2**35


# Known bugs, reported but not fixed yet: id -> the exception that escapes. `tolerated(exc)` lets
# a long fuzz run keep going past them (`tests/fuzz/run --skip-known`); the regression test makes
# their inputs (files named `<id>--...`) strict xfails. Remove the entry in the change that fixes
# the bug, and those inputs become ordinary regression tests.
class OversizedChunkError(AssertionError):
    """A snapshot chunk that `chunk_snapshot` made over the frame limit (bug `chunk-estimate`,
    fixed: it estimated a record's size from its value alone, while a record's key, counters
    and time take some 100 bytes more than the 60 it allowed; it now counts each exactly)."""


KNOWN_BUGS: Final[dict[str, type[BaseException]]] = {}


def tolerated(exc: BaseException) -> bool:
    """True if `exc` is a known, reported bug (for `--skip-known` fuzz runs only)."""
    return isinstance(exc, tuple(KNOWN_BUGS.values()))


def _refused(exc: Exception, codes: frozenset[str] | None = None) -> None:
    """A decoder's own error must say what was wrong: its message is shown and logged."""
    assert str(exc), f"{type(exc).__name__} without a message"
    if codes is not None:
        code = getattr(exc, "code", None)
        assert code in codes, f"unexpected error code {code!r}"


# wire ----------------------------------------------------------------------------------------

#: The first byte of a wire input picks the decoder (byte % 3); the rest is the frame.
WIRE_DECODERS: Final[tuple[Callable[[bytes], Any], ...]] = (
    wire.decode_envelope,
    wire.decode_request,
    wire.decode_reply,
)
_WIRE_TYPES: Final[tuple[tuple[type, ...], ...]] = (
    (wire.Envelope,),
    (wire.Hello, wire.SnapshotRequest, wire.Knock, wire.KnockReply),
    (wire.Welcome, wire.SnapshotPart, wire.KnockAck, wire.KnockReplyAck),
)


def check_wire(data: bytes) -> None:
    if not data:
        return
    which = data[0] % len(WIRE_DECODERS)
    decode = WIRE_DECODERS[which]
    try:
        msg = decode(data[1:])
    except DecodeError as exc:
        _refused(exc)
        return
    assert isinstance(msg, _WIRE_TYPES[which]), type(msg)
    _check_wire_limits(msg)
    _check_wire_round_trip(msg, decode)
    if isinstance(msg, wire.SnapshotPart):
        _check_rechunk(msg)


def _text(value: object, max_len: int, min_len: int = 0) -> None:
    assert isinstance(value, str)
    assert min_len <= len(value) <= max_len, len(value)
    value.encode()  # no lone surrogates: it must be encodable again


def _name(value: object) -> None:
    """Every receiver gets a peer's name on one line (a newline in it could forge output)."""
    _text(value, NAME_MAX)
    assert value == one_line(str(value)), value


def _counter(value: object) -> None:
    assert type(value) is int
    assert 0 <= value <= COUNTER_MAX


def _time(value: object) -> None:
    assert isinstance(value, float | int)
    assert not isinstance(value, bool)
    assert math.isfinite(value)
    assert 0 <= value <= TIME_MAX


def _port(value: object) -> None:
    assert type(value) is int
    assert 1 <= value <= 65535


def _status(body: wire.StatusValue | protocol.StatusSetArgs) -> None:
    assert isinstance(body.presence, Presence)
    _text(body.text, STATUS_TEXT_MAX)
    _text(body.emoji, EMOJI_MAX)
    assert body.emoji == "" or is_emoji(body.emoji), body.emoji
    if body.until is not None:
        _time(body.until)


def _check_wire_limits(msg: object) -> None:
    match msg:
        case wire.Envelope():
            assert msg.v == wire.VERSION
            _counter(msg.inc)
            _counter(msg.seq)
            _time(msg.at)
            _check_wire_limits(msg.body)
        case wire.Rec():
            _record(msg.kind, msg.key, msg.val)
        case wire.ProfileBody():
            _name(msg.name)
        case wire.Heartbeat() | wire.Bye():
            pass
        case wire.SnapshotRequest():
            _counter(msg.inc)
            _counter(msg.seq)
        case wire.Hello():
            _text(msg.office, 32)
            assert isinstance(msg.proof, bytes)
            assert len(msg.proof) <= 64
            _name(msg.name)
            _port(msg.router_port)
            _port(msg.pub_port)
            _counter(msg.inc)
            assert type(msg.proto) is int
        case wire.Welcome():
            _name(msg.name)
            _port(msg.pub_port)
            _counter(msg.inc)
        case wire.Knock():
            _knock_id(msg.id)
            _text(msg.text, KNOCK_TEXT_MAX)
            assert msg.text == one_line(msg.text)
            assert type(msg.urgent) is bool
        case wire.KnockReply():
            _knock_id(msg.id)
            _text(msg.reply, KNOCK_TEXT_MAX, 1)
            assert msg.reply == one_line(msg.reply)
        case wire.KnockAck():
            _knock_id(msg.id)
            assert msg.held in ("", "dnd", "quiet")
        case wire.KnockReplyAck():
            _knock_id(msg.id)
        case wire.SnapshotPart():
            _counter(msg.inc)
            _counter(msg.seq)
            _name(msg.name)
            assert len(msg.recs) <= wire.SNAPSHOT_PART_MAX
            for rec in msg.recs:
                assert isinstance(rec, wire.SnapRec)
                _counter(rec.inc)
                _counter(rec.seq)
                _time(rec.at)
                _record(rec.kind, rec.key, rec.val)
            assert type(msg.more) is bool
        case _:
            raise AssertionError(f"unexpected message type {type(msg)!r}")


def _knock_id(value: object) -> None:
    assert isinstance(value, str)
    assert is_knock_id(value), value


def _record(kind: object, key: object, val: object) -> None:
    """A record as every receiver gets it: a known kind, a key well formed for it, and either
    no value (a deletion) or a value of that kind, within its limits."""
    assert kind in KINDS, kind
    assert isinstance(key, str)
    assert check_key(str(kind), key), (kind, key)
    match val:
        case None:
            pass
        case wire.StatusValue():
            assert kind == "status"
            _status(val)
        case wire.PostValue():
            assert kind == "post"
            _text(val.text, POST_TEXT_MAX, 1)
            assert type(val.urgent) is bool
            assert val.reply_to == "" or split_id(val.reply_to) is not None, val.reply_to
            assert val.answer == "" or split_id(val.answer) is not None, val.answer
            # A reply is plain, and only a question has an answer (wire._tidy_record).
            assert not (val.reply_to and (val.urgent or val.question or val.ack or val.answer))
            assert val.question or not val.answer
            assert 0 <= val.edits <= 10_000
            assert 0 <= val.nudges <= 10_000
            if val.posted is not None:
                _time(val.posted)
        case EventSpec():
            assert kind == "event"
            _event(val)
        case RsvpValue():
            assert kind == "rsvp"
            assert isinstance(val.answer, Answer)
            _time(val.at)
        case wire.AckValue():
            assert kind == "ack"
            _time(val.at)
        case _:
            raise AssertionError(f"unexpected record value {type(val)!r}")


def _event(spec: EventSpec) -> None:
    _text(spec.title, TITLE_MAX, 1)
    _time(spec.start)
    assert math.isfinite(spec.duration)
    assert 0 < spec.duration <= DURATION_MAX
    _text(spec.where, PLACE_MAX)
    assert spec.capacity is None or (
        type(spec.capacity) is int and 1 <= spec.capacity <= CAPACITY_MAX
    )
    _text(spec.note, NOTE_MAX)
    assert math.isfinite(spec.remind)
    assert 0 <= spec.remind <= REMIND_MAX
    assert type(spec.cancelled) is bool
    assert type(spec.edits) is int
    assert 0 <= spec.edits <= 2**31 - 1


def _check_wire_round_trip(msg: Any, decode: Callable[[bytes], Any]) -> None:
    encoded = wire.encode(msg)
    again = msgspec.msgpack.decode(encoded, type=type(msg))
    assert again == msg, (again, msg)
    assert wire.encode(again) == encoded
    # Re-encoding may grow a frame (a float32 becomes a float64), so the public decoder's size
    # limit applies only when the encoding still fits.
    if len(encoded) <= FRAME_MAX:
        assert decode(encoded) == msg


def _check_rechunk(part: wire.SnapshotPart) -> None:
    """A snapshot built from these records (three times over) chunks into valid frames."""
    recs = list(part.recs) * 3
    chunks = wire.chunk_snapshot(inc=part.inc, seq=part.seq, name=part.name, recs=recs)
    assert chunks
    parts = []
    for chunk in chunks:
        if len(chunk) > FRAME_MAX:
            raise OversizedChunkError(f"a chunk of {len(chunk)} bytes")
        decoded = wire.decode_reply(chunk)  # a DecodeError here is a finding
        assert isinstance(decoded, wire.SnapshotPart)
        assert (decoded.inc, decoded.seq, decoded.name) == (part.inc, part.seq, part.name)
        parts.append(decoded)
    assert [p.more for p in parts] == [True] * (len(parts) - 1) + [False]
    assert all(len(p.recs) <= wire.SNAPSHOT_PART_MAX for p in parts)
    assert [r for chunk in parts for r in chunk.recs] == recs


# TXT records ---------------------------------------------------------------------------------


def txt_props(data: bytes) -> dict[bytes, bytes | None]:
    """The TXT properties a fuzz input stands for.

    An even first byte: the rest is TXT RDATA (length-prefixed strings), unpacked the way
    python-zeroconf's `ServiceInfo.properties` does: split at the first `=`, a string without
    one is a key with the value None, the first of duplicate keys wins. That is exactly what the
    network can hand `parse_txt`.
    An odd first byte: a wider format that also reaches values over 255 bytes and keys holding
    `=`: records of `key length (1 byte), key, value length (2 bytes, big-endian; 0xFFFF means
    None), value`.
    """
    if not data:
        return {}
    if data[0] % 2 == 0:
        return unpack_rdata(data[1:])
    return _unpack_wide(data[1:])


def unpack_rdata(text: bytes) -> dict[bytes, bytes | None]:
    """A copy of python-zeroconf's `ServiceInfo._unpack_text_into_properties`."""
    props: dict[bytes, bytes | None] = {}
    pos = 0
    while pos < len(text):
        length = text[pos]
        item = text[pos + 1 : pos + 1 + length]
        pos += 1 + length
        key, sep, value = item.partition(b"=")
        if key not in props:
            props[key] = value if sep else None
    return props


def pack_rdata(props: dict[bytes, bytes | None]) -> bytes:
    """TXT RDATA for `props`, as python-zeroconf's `ServiceInfo._set_properties` packs it."""
    out = bytearray()
    for key, value in props.items():
        item = key if value is None else key + b"=" + value
        assert len(item) <= 255
        out.append(len(item))
        out += item
    return bytes(out)


def _unpack_wide(body: bytes) -> dict[bytes, bytes | None]:
    props: dict[bytes, bytes | None] = {}
    pos = 0
    while pos < len(body):
        klen = body[pos]
        key = body[pos + 1 : pos + 1 + klen]
        pos += 1 + klen
        vlen = int.from_bytes(body[pos : pos + 2], "big") if pos + 2 <= len(body) else 0xFFFF
        pos += 2
        if vlen == 0xFFFF:
            props[key] = None
        else:
            props[key] = body[pos : pos + vlen]
            pos += vlen
    return props


def check_txt(data: bytes) -> None:
    props = txt_props(data)
    try:
        record = parse_txt(props)
    except DecodeError as exc:
        _refused(exc)
        return
    assert isinstance(record, TxtRecord)
    assert isinstance(record.public_key, bytes)
    assert len(record.public_key) == z85.KEY_LEN
    assert len(z85.decode(record.public_key)) == 32
    assert z85.encode(z85.decode(record.public_key)) == record.public_key
    _port(record.pub_port)
    assert isinstance(record.office_tag, str)
    assert 1 <= len(record.office_tag) <= 32
    assert record.office_tag.isascii()
    assert record.office_tag.isalnum()
    assert isinstance(record.proof, bytes)
    assert len(record.proof) in (0, 32)
    # Round trip: build the record's TXT, pack it as zeroconf would, unpack, parse again.
    built = build_txt(record)
    assert parse_txt(dict(built)) == record
    assert parse_txt(unpack_rdata(pack_rdata(dict(built)))) == record


# control socket ------------------------------------------------------------------------------

_CONTROL_CODES: Final = frozenset(
    {protocol.BAD_REQUEST, protocol.TOO_LARGE, protocol.UNSUPPORTED_VERSION}
)
_CONTROL_TYPES: Final = (
    protocol.StatusGet,
    protocol.StatusSet,
    protocol.StatusClear,
    protocol.PostRequest,
    protocol.Peers,
    protocol.Feed,
    protocol.Watch,
    protocol.Ping,
    protocol.Show,
    protocol.EventCreate,
    protocol.Events,
    protocol.EventShow,
    protocol.EventRsvp,
    protocol.EventEdit,
    protocol.EventCancel,
    protocol.EventIcs,
    protocol.KnockRequest,
    protocol.Knocks,
    protocol.KnockReplyRequest,
    protocol.QuietSet,
    protocol.QuietOff,
    protocol.ReplyRequest,
    protocol.AnswerRequest,
    protocol.AckRequest,
    protocol.Acks,
    protocol.RemindAcks,
    protocol.Thread,
    protocol.EditRequest,
    protocol.DeleteRequest,
    protocol.Search,
    protocol.AttentionRequest,
)


def check_control(data: bytes) -> None:
    try:
        request = protocol.decode_request(data)
    except protocol.RequestError as exc:
        _refused(exc, _CONTROL_CODES)
        return
    assert isinstance(request, _CONTROL_TYPES), type(request)
    assert request.v == protocol.VERSION
    args = request.args
    match args:
        case protocol.StatusSetArgs():
            _status(args)
        case protocol.PostArgs():
            _text(args.text, POST_TEXT_MAX, 1)
            assert type(args.urgent) is bool
            assert type(args.question) is bool
            assert type(args.ack) is bool
        case protocol.FeedArgs():
            assert type(args.limit) is int
            assert 1 <= args.limit <= protocol.FEED_LIMIT_MAX
            assert type(args.questions) is bool
        case protocol.ItemArgs():
            _text(args.id, protocol.EVENT_ID_MAX, 1)
        case protocol.ItemTextArgs():
            _text(args.id, protocol.EVENT_ID_MAX, 1)
            _text(args.text, POST_TEXT_MAX, 1)
        case protocol.SearchArgs():
            _text(args.words, 64 * SEARCH_WORDS_MAX, 1)
            assert 1 <= args.limit <= protocol.FEED_LIMIT_MAX
        case protocol.NoArgs():
            pass
        case protocol.EventCreateArgs():
            _text(args.title, TITLE_MAX, 1)
            _time(args.start)
            _event_fields(args)
        case protocol.EventsArgs():
            assert type(args.include_past) is bool
        case protocol.EventIdArgs() | protocol.EventIcsArgs():
            if args.id is not None:
                _text(args.id, protocol.EVENT_ID_MAX, 1)
        case protocol.RsvpArgs():
            _text(args.id, protocol.EVENT_ID_MAX, 1)
            assert isinstance(args.answer, Answer)
        case protocol.EventEditArgs():
            _text(args.id, protocol.EVENT_ID_MAX, 1)
            if args.title is not None:
                _text(args.title, TITLE_MAX, 1)
            if args.start is not None:
                _time(args.start)
            _event_fields(args)
            assert type(args.clear_capacity) is bool
            assert not (args.clear_capacity and args.capacity is not None)
        case protocol.KnockArgs():
            _text(args.peer, 200, 1)
            _text(args.text, 4 * KNOCK_TEXT_MAX)
            assert type(args.urgent) is bool
        case protocol.KnockReplyArgs():
            _knock_id(args.id)
            _text(args.reply, 4 * KNOCK_TEXT_MAX, 1)
        case protocol.QuietArgs():
            quiet = protocol.quiet_of(args)  # decode_request checked it
            assert quiet.start != quiet.end
            assert type(args.weekends) is bool
        case _:
            raise AssertionError(f"unexpected args type {type(args)!r}")
    # Round trip, both as msgspec encodes the struct and as the CLI client builds a request.
    encoded = msgspec.json.encode(request)
    assert protocol.decode_request(encoded) == request
    tag = type(request).__struct_config__.tag
    assert isinstance(tag, str)
    client_line = protocol.encode_request(tag, msgspec.to_builtins(args))
    assert protocol.decode_request(client_line) == request


def _event_fields(args: protocol.EventCreateArgs | protocol.EventEditArgs) -> None:
    """The limits of an event's optional fields in a control request (None: not given)."""
    if args.duration is not None:
        assert math.isfinite(args.duration)
        assert 0 < args.duration <= DURATION_MAX
    if args.where is not None:
        _text(args.where, PLACE_MAX)
    if args.capacity is not None:
        assert type(args.capacity) is int
        assert 1 <= args.capacity <= CAPACITY_MAX
    if args.note is not None:
        _text(args.note, NOTE_MAX)
    if args.remind is not None:
        assert math.isfinite(args.remind)
        assert 0 <= args.remind <= REMIND_MAX


CHECKS: Final[dict[str, Callable[[bytes], None]]] = {
    "wire": check_wire,
    "txt": check_txt,
    "control": check_control,
}
