"""The control request decoder: typed requests out, or `RequestError`, whatever goes in."""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallway.control.protocol import (
    COMMANDS,
    MAX_REQUEST,
    ControlError,
    EventCreate,
    EventEdit,
    EventEditArgs,
    EventRsvp,
    Feed,
    PostArgs,
    PostRequest,
    Request,
    RequestError,
    StatusSet,
    StatusSetArgs,
    decode_reply,
    decode_request,
    encode_request,
)
from hallway.core.emoji import is_emoji
from hallway.core.meetups import Answer
from hallway.core.model import Presence

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)

# Requests that look almost right, so the decoder's validation (not only its parser) is exercised.
plausible = st.fixed_dictionaries(
    {"v": st.sampled_from([1, 1, 1, 0, 2, -1, "1", None])},
    optional={
        "cmd": st.sampled_from([*COMMANDS, "", "PING", "nope"]) | st.text(max_size=12),
        "args": st.dictionaries(
            st.sampled_from(
                [
                    *["presence", "text", "emoji", "until", "urgent", "limit", "x"],
                    *["title", "start", "duration", "capacity", "remind", "id", "answer"],
                ]
            ),
            json_values,
            max_size=5,
        )
        | json_values,
    },
)


def decodes_or_refuses(line: bytes) -> Request | None:
    try:
        return decode_request(line)
    except RequestError as exc:
        refusal = exc
    assert refusal.code in {"bad_request", "too_large", "unsupported_version"}
    assert str(refusal)
    return None


@settings(max_examples=300)
@given(st.binary(max_size=512))
def test_arbitrary_bytes_never_escape(data: bytes) -> None:
    decodes_or_refuses(data)


@settings(max_examples=300)
@given(json_values)
def test_arbitrary_json_never_escapes(value: Any) -> None:
    decodes_or_refuses(json.dumps(value).encode())


@settings(max_examples=500)
@given(plausible)
def test_plausible_requests_are_valid_or_refused(value: dict[str, Any]) -> None:
    request = decodes_or_refuses(json.dumps(value).encode())
    if request is None:
        return
    assert request.v == 1
    if isinstance(request, StatusSet):
        assert isinstance(request.args.presence, Presence)
        assert len(request.args.text) <= 140
        assert request.args.until is None or math.isfinite(request.args.until)
        assert request.args.emoji == "" or is_emoji(request.args.emoji)
    if isinstance(request, Feed):
        assert 1 <= request.args.limit <= 1000
    if isinstance(request, EventCreate):
        assert 1 <= len(request.args.title) <= 120
        assert math.isfinite(request.args.start)
        assert 0 < request.args.duration <= 30 * 86400
        assert request.args.capacity is None or 1 <= request.args.capacity <= 1000
    if isinstance(request, EventRsvp):
        assert isinstance(request.args.answer, Answer)
        assert 1 <= len(request.args.id) <= 160


MINIMAL_ARGS: dict[str, dict[str, Any]] = {
    "status_set": {"presence": "busy"},
    "post": {"text": "hello"},
    "reply": {"id": "x", "text": "Hi"},
    "answer": {"id": "x"},
    "ack": {"id": "x"},
    "acks": {"id": "x"},
    "remind_acks": {"id": "x"},
    "thread": {"id": "x"},
    "edit": {"id": "x", "text": "Hi"},
    "delete": {"id": "x"},
    "search": {"words": "badge"},
    "event_create": {"title": "Retro", "start": 4e9},
    "event": {"id": "x"},
    "event_rsvp": {"id": "x", "answer": "maybe"},
    "event_edit": {"id": "x"},
    "event_cancel": {"id": "x"},
    "knock": {"peer": "ben"},
    "knock_reply": {"id": "0123456789abcdef", "reply": "yes"},
    "quiet_set": {"start": "18:00", "end": "08:00"},
}


@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_command_decodes_with_minimal_args(cmd: str) -> None:
    request = decode_request(encode_request(cmd, MINIMAL_ARGS.get(cmd, {})))
    assert request.v == 1
    assert type(request).__struct_config__.tag == cmd


def test_round_trip() -> None:
    request = decode_request(encode_request("post", {"text": "Cake #food", "urgent": True}))
    assert request == PostRequest(v=1, args=PostArgs(text="Cake #food", urgent=True))


def test_an_edit_round_trips_with_only_its_changes() -> None:
    request = decode_request(encode_request("event_edit", {"id": "e:1:2", "clear_capacity": True}))
    assert request == EventEdit(v=1, args=EventEditArgs(id="e:1:2", clear_capacity=True))
    assert request.args.title is None
    assert request.args.start is None


@pytest.mark.parametrize(
    ("line", "code"),
    [
        (b"", "bad_request"),
        (b"null", "bad_request"),
        (b'{"cmd": "ping"}', "bad_request"),
        (b'{"v": 9, "cmd": "ping"}', "unsupported_version"),
        (b'{"v": 9, "cmd": "future_thing"}', "unsupported_version"),
        (b'{"v": 1, "cmd": "post", "args": {"text": ""}}', "bad_request"),
        (
            b'{"v": 1, "cmd": "status_set", "args": {"presence": "busy", "until": -5}}',
            "bad_request",
        ),
        (b"x" * (MAX_REQUEST + 1), "too_large"),
    ],
)
def test_refusals(line: bytes, code: str) -> None:
    with pytest.raises(RequestError) as info:
        decode_request(line)
    assert info.value.code == code


@pytest.mark.parametrize("emoji", ["", "☕", "👍🏽", "1️⃣", "🇫🇷", "👨\u200d👩\u200d👧\u200d👦"])
def test_status_set_takes_one_emoji(emoji: str) -> None:
    args = {"presence": "away", "text": "Lunch", "emoji": emoji}
    request = decode_request(encode_request("status_set", args))
    assert request == StatusSet(
        v=1, args=StatusSetArgs(presence=Presence.AWAY, text="Lunch", emoji=emoji)
    )


@pytest.mark.parametrize("emoji", ["notanemoji", "ab", "☕☕", " ", " ☕", "\u200d"])
def test_status_set_refuses_anything_but_one_emoji(emoji: str) -> None:
    line = encode_request("status_set", {"presence": "away", "emoji": emoji})
    with pytest.raises(RequestError, match="exactly one emoji, such as ☕") as info:
        decode_request(line)
    assert info.value.code == "bad_request"


@given(st.binary(max_size=256))
def test_reply_decoder_only_raises_control_errors(data: bytes) -> None:
    with contextlib.suppress(ControlError):
        decode_reply(data)
