"""The events' JSON form (hallway/engine/events.py): what `node --json` and `watch --json` print."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallway.core.model import Presence, Status
from hallway.engine import events as ev

PEER = "3f9a1c2b" + "0" * 24


def reference(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")


@settings(max_examples=2000)
@given(st.floats(min_value=0.0, max_value=4_102_444_800.0))  # 1970 to 2100
def test_iso_writes_what_datetime_writes(ts: float) -> None:
    assert ev.iso(ts) == reference(ts)


@pytest.mark.parametrize(
    "ts",
    [
        0.0,
        1.9999995,  # rounds up into the next second
        1_764_460_799.9999996,  # and into the next day, month and year
        1_782_000_000.5,
        1_000.000_000_5,  # half a microsecond: to the even one, both
        1_000.000_001_5,
    ],
)
def test_iso_rounds_as_datetime_does(ts: float) -> None:
    assert ev.iso(ts) == reference(ts)


def test_iso_keeps_none() -> None:
    assert ev.iso(None) is None


def test_a_named_event_in_json() -> None:
    status = Status(Presence.BUSY, "In a meeting", "📅", until=None, set_at=1_782_000_000.25)
    event = ev.StatusChanged(at=1_782_000_001.5, peer=PEER, name="Bob", status=status)
    assert event.to_json() == {
        "type": "status",
        "at": "2026-06-21T00:00:01.500000+00:00",
        "peer": PEER,
        "name": "Bob",
        "sent_at": "2026-06-21T00:00:00.250000+00:00",
        "presence": "busy",
        "text": "In a meeting",
        "emoji": "📅",
        "until": None,
        "own": False,
        "look_alike": False,
        "short_fingerprint": "3f9a",
    }
    assert list(event.to_json())[:2] == ["type", "at"]  # the line starts with what it is
