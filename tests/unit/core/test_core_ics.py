"""Events as iCalendar (hallway/core/ics.py), read back with the icalendar library."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import cast

import icalendar
import msgspec

from hallway.core.ics import PRODID, events_to_ics, uid
from hallway.core.meetups import Answer, EventSpec, EventView, Rsvp, build_view

ANN = "a" * 32
START = datetime(2026, 12, 4, 9, 0, tzinfo=UTC).timestamp()
NOW = START - 86400 + 0.75  # a fraction, which iCalendar cannot hold


def view(
    event_id: str = f"{ANN}:1f:3", *, sequence: int = 0, cancelled: bool = False, **spec: object
) -> EventView:
    fields: dict[str, object] = {"title": "Lunch and learn", "start": START} | spec
    return build_view(
        id=event_id,
        organiser=ANN,
        organiser_name="Ann Smith",
        spec=EventSpec(cancelled=cancelled, **fields),  # type: ignore[arg-type]
        sequence=sequence,
        updated_at=NOW - 60.5,
        rsvps=[Rsvp("b" * 32, Answer.GOING, NOW)],
        names={},
        own_id=ANN,
    )


def parse(text: str) -> tuple[icalendar.Calendar, list[icalendar.Event]]:
    calendar = icalendar.Calendar.from_ical(text)
    assert isinstance(calendar, icalendar.Calendar)
    events = calendar.walk("VEVENT")
    assert all(isinstance(event, icalendar.Event) for event in events)
    return calendar, cast("list[icalendar.Event]", events)


def test_one_event() -> None:
    one = view(where="Room 2", note="Bring questions,\nand lunch; 10% off", duration=2700.0)
    text = events_to_ics([one], now=NOW)
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    calendar, (event,) = parse(text)
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"] == PRODID
    assert event["UID"] == f"{ANN}:1f:3@hallway"
    assert event["SUMMARY"] == "Lunch and learn"
    assert event["LOCATION"] == "Room 2"
    assert event["DESCRIPTION"] == "Bring questions,\nand lunch; 10% off"
    assert event["STATUS"] == "CONFIRMED"
    assert event["SEQUENCE"] == 0
    start = event.decoded("DTSTART")
    assert start == datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    assert start.utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == datetime(2026, 12, 4, 9, 45, tzinfo=UTC)
    assert event.decoded("DTSTAMP") == datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    assert event.decoded("LAST-MODIFIED") == datetime(2026, 12, 3, 8, 59, tzinfo=UTC)
    organizer = event["ORGANIZER"]
    assert organizer.params["CN"] == "Ann Smith"
    assert str(organizer) == f"urn:hallway:peer:{ANN}"
    # times are written in UTC, not with a TZID
    assert "DTSTART:20261204T090000Z\r\n" in text
    assert "TZID" not in text


def test_the_uid_is_stable_and_the_sequence_grows_with_edits() -> None:
    first = events_to_ics([view(sequence=0)], now=NOW)
    edited = events_to_ics([view(sequence=3, start=START + 3600)], now=NOW + 100)
    (_, (before,)), (_, (after,)) = parse(first), parse(edited)
    assert before["UID"] == after["UID"] == uid(f"{ANN}:1f:3")
    assert (before["SEQUENCE"], after["SEQUENCE"]) == (0, 3)
    assert after.decoded("DTSTART") == datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    assert events_to_ics([view(sequence=3)], now=NOW) == events_to_ics([view(sequence=3)], now=NOW)


def test_a_cancelled_event() -> None:
    _, (event,) = parse(events_to_ics([view(sequence=1, cancelled=True)], now=NOW))
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 1


def test_several_events_and_none() -> None:
    views = [view(f"{ANN}:1f:{n}", title=f"Talk {n}") for n in range(3)]
    _, events = parse(events_to_ics(views, now=NOW))
    assert [e["SUMMARY"] for e in events] == ["Talk 0", "Talk 1", "Talk 2"]
    assert len({e["UID"] for e in events}) == 3
    calendar, events = parse(events_to_ics([], now=NOW))
    assert events == []
    assert calendar["METHOD"] == "PUBLISH"


def test_empty_place_and_note_are_left_out() -> None:
    text = events_to_ics([view()], now=NOW)
    assert "LOCATION" not in text
    assert "DESCRIPTION" not in text


def test_text_that_looks_like_icalendar_stays_text() -> None:
    sneaky = "x\nEND:VEVENT\nBEGIN:VEVENT\nUID:evil"
    title = "Hi;\\there,: 👩‍💻 " + "long " * 20
    _, events = parse(events_to_ics([view(title=title.strip(), note=sneaky)], now=NOW))
    (event,) = events
    assert event["DESCRIPTION"] == sneaky
    assert event["SUMMARY"] == title.strip()
    assert all(len(line.encode()) <= 75 for line in events_to_ics([view()], now=NOW).split("\r\n"))


def test_a_view_round_trips_its_fields_through_json() -> None:
    # the CLI gets EventViews from the control socket; ics must not need anything else
    one = view(where="Room 2")
    again = msgspec.json.decode(msgspec.json.encode(one), type=EventView)
    assert events_to_ics([again], now=NOW) == events_to_ics([one], now=NOW)


def test_icalendar_is_only_loaded_by_the_export() -> None:
    code = "import sys, hallway.core.ics, hallway.core.meetups;print('icalendar' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
