"""The knock messages of the wire (issue 12): limits, tidying, and what is refused."""

from __future__ import annotations

import msgspec
import pytest

from hallway.core import wire
from hallway.core.errors import DecodeError

ID = "0123456789abcdef"


def raw(message: dict[str, object]) -> bytes:
    return msgspec.msgpack.encode(message)


def test_knock_messages_round_trip() -> None:
    for request in (
        wire.Knock(id=ID, text="Lunch?", urgent=True),
        wire.Knock(id=ID),
        wire.KnockReply(id=ID, reply="In 5 min"),
    ):
        assert wire.decode_request(wire.encode(request)) == request
    for reply in (
        wire.KnockAck(id=ID),
        wire.KnockAck(id=ID, held="quiet"),
        wire.KnockReplyAck(id=ID),
    ):
        assert wire.decode_reply(wire.encode(reply)) == reply


def test_texts_arrive_on_one_line() -> None:
    knock = wire.decode_request(raw({"k": "knock", "id": ID, "text": "a\nb\u2028c"}))
    assert knock == wire.Knock(id=ID, text="a b c")
    reply = wire.decode_request(raw({"k": "knock_reply", "id": ID, "reply": " ok\n"}))
    assert reply == wire.KnockReply(id=ID, reply="ok")


@pytest.mark.parametrize(
    "message",
    [
        {"k": "knock", "id": "0123"},
        {"k": "knock", "id": ID.upper()},
        {"k": "knock", "id": ID, "text": "x" * 141},
        {"k": "knock", "id": ID, "urgent": "yes"},
        {"k": "knock_reply", "id": ID, "reply": ""},
        {"k": "knock_reply", "id": ID, "reply": "\n\u2028 "},
        {"k": "knock_reply", "id": ID},
    ],
)
def test_bad_requests_are_refused(message: dict[str, object]) -> None:
    with pytest.raises(DecodeError):
        wire.decode_request(raw(message))


@pytest.mark.parametrize(
    "message",
    [{"k": "knock_ack", "id": ID, "held": "asleep"}, {"k": "knock_reply_ack", "id": "x"}],
)
def test_bad_acknowledgements_are_refused(message: dict[str, object]) -> None:
    with pytest.raises(DecodeError):
        wire.decode_reply(raw(message))
