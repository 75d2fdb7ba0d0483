"""The event commands of the control protocol (issue 10) against a fake node."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hallway.control import ControlClient, ControlError, ControlServer
from hallway.core.meetups import Answer, EventSpec, MeetupError
from tests.unit.cli.fake_meetups import CAT, FakeMeetupNode
from tests.unit.control.fake_node import BEN, ME

EVENT_KEYS = {
    "id",
    "title",
    "where",
    "note",
    "organiser",
    "organiser_name",
    "start",
    "end",
    "capacity",
    "going",
    "maybe",
    "declined",
    "waitlist",
    "cancelled",
    "mine",
    "updated_at",
}
START = 4_000_000_000.0  # 2096: ahead for as long as these tests live


@pytest.fixture
def node() -> FakeMeetupNode:
    return FakeMeetupNode()


@pytest.fixture
def server(sock_dir: Path, node: FakeMeetupNode) -> Iterator[ControlServer]:
    with ControlServer(sock_dir / "control.sock", node, send_timeout=0.5) as srv:
        yield srv


def bens_event(node: FakeMeetupNode, **fields: Any) -> str:
    return node.add(BEN, EventSpec(title="Ben's demo", start=START, **fields)).id


def test_create_sends_the_spec_and_returns_the_event_object(
    client: ControlClient, node: FakeMeetupNode
) -> None:
    made = client.request(
        "event_create",
        title="Brainstorm",
        start=START,
        duration=2700.0,
        where="Room 2",
        capacity=8,
        note="Bring ideas",
        remind=600.0,
    )
    assert node.specs == [
        EventSpec(
            title="Brainstorm",
            start=START,
            duration=2700.0,
            where="Room 2",
            capacity=8,
            note="Bring ideas",
            remind=600.0,
        )
    ]
    assert set(made) >= EVENT_KEYS
    assert made["start"] == "2096-10-02T07:06:40.000000+00:00"
    assert made["end"] == "2096-10-02T07:51:40.000000+00:00"
    assert (made["organiser"], made["organiser_name"], made["capacity"]) == (ME, "Ann", 8)
    assert made["going"] == made["waitlist"] == made["maybe"] == made["declined"] == []
    assert made["mine"] is None
    assert made["cancelled"] is False


def test_defaults_of_a_new_event(client: ControlClient, node: FakeMeetupNode) -> None:
    client.request("event_create", title="Retro", start=START)
    assert node.specs == [EventSpec(title="Retro", start=START)]


def test_list_show_and_answer(client: ControlClient, node: FakeMeetupNode) -> None:
    event_id = bens_event(node, capacity=1)
    node.answer_event(event_id, CAT, Answer.GOING, at=1.0)
    done = node.add(BEN, EventSpec(title="Old", start=START, cancelled=True)).id
    assert [e["id"] for e in client.request("events")] == [event_id]
    assert [e["id"] for e in client.request("events", include_past=True)] == [event_id, done]
    answered = client.request("event_rsvp", id=event_id, answer="going")
    assert answered["mine"] == "going"
    assert answered["going"] == [{"peer": CAT, "name": "Cat"}]
    assert answered["waitlist"] == [{"peer": ME, "name": "Ann"}]
    assert client.request("event", id=event_id) == answered


def test_edit_sends_only_what_changes(client: ControlClient, node: FakeMeetupNode) -> None:
    event_id = client.request("event_create", title="Retro", start=START, capacity=5)["id"]
    edited = client.request("event_edit", id=event_id, where="Room 3", clear_capacity=True)
    assert node.edits == [{"where": "Room 3", "capacity": None}]
    assert (edited["where"], edited["capacity"]) == ("Room 3", None)
    client.request("event_edit", id=event_id, title="Retro #2", start=START + 60, capacity=3)
    assert node.edits[-1] == {"title": "Retro #2", "start": START + 60, "capacity": 3}


def test_ics_of_one_or_every_event_not_ended(client: ControlClient, node: FakeMeetupNode) -> None:
    mine = client.request("event_create", title="Retro", start=START)["id"]
    theirs = bens_event(node)
    every = client.request("event_ics")
    assert every.startswith("BEGIN:VCALENDAR\r\n")
    assert "METHOD:PUBLISH" in every
    assert every.count("BEGIN:VEVENT") == 2
    client.request("event_cancel", id=mine)
    one = client.request("event_ics", id=mine)
    assert one.count("BEGIN:VEVENT") == 1
    assert "STATUS:CANCELLED" in one
    assert "SEQUENCE:1" in one
    assert theirs.split(":")[0] not in one  # only the one asked for
    # Every one that has not ended, the cancelled one too: a calendar that has it learns it is off.
    every = client.request("event_ics")
    assert every.count("BEGIN:VEVENT") == 2
    assert every.count("STATUS:CANCELLED") == 1


@pytest.mark.parametrize(
    ("cmd", "args", "says"),
    [
        ("event", {"id": "nope"}, "no event with the id 'nope'"),
        ("event_rsvp", {"id": "nope", "answer": "going"}, "no event"),
        ("event_ics", {"id": "nope"}, "no event"),
        ("event_edit", {"id": "BEN", "title": "Mine now"}, "only its organiser, Ben, can change"),
        ("event_cancel", {"id": "BEN"}, "only its organiser, Ben, can cancel"),
        ("event_rsvp", {"id": "CANCELLED", "answer": "maybe"}, "was cancelled"),
        ("event_rsvp", {"id": "STARTED", "answer": "no"}, "has started"),
    ],
)
def test_node_refusals_are_node_errors(
    client: ControlClient, node: FakeMeetupNode, cmd: str, args: dict[str, Any], says: str
) -> None:
    ids = {
        "BEN": bens_event(node),
        "CANCELLED": bens_event(node, cancelled=True),
        "STARTED": node.add(BEN, EventSpec(title="Now", start=time.time() - 60)).id,
    }
    args = {key: ids.get(value, value) for key, value in args.items()}
    with pytest.raises(ControlError, match=says) as info:
        client.request(cmd, **args)
    assert info.value.code == "node_error"


def test_a_meetup_error_from_the_node_is_a_refusal_not_an_internal_error(
    client: ControlClient, node: FakeMeetupNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(spec: EventSpec) -> None:
        raise MeetupError("the start is in the past; pick a time that is still ahead")

    monkeypatch.setattr(node, "create_event", refuse)
    with pytest.raises(ControlError, match="in the past") as info:
        client.request("event_create", title="Retro", start=1.0)
    assert info.value.code == "node_error"


@pytest.mark.parametrize(
    ("cmd", "args"),
    [
        ("event_create", {"title": "", "start": START}),
        ("event_create", {"title": "x" * 121, "start": START}),
        ("event_create", {"title": "Retro"}),
        ("event_create", {"title": "Retro", "start": -1}),
        ("event_create", {"title": "Retro", "start": START, "capacity": 0}),
        ("event_create", {"title": "Retro", "start": START, "capacity": 1001}),
        ("event_create", {"title": "Retro", "start": START, "duration": 0}),
        ("event_create", {"title": "Retro", "start": START, "duration": -60}),
        ("event_create", {"title": "Retro", "start": START, "where": "x" * 81}),
        ("event_create", {"title": "Retro", "start": START, "note": "x" * 1001}),
        ("event_create", {"title": "Retro", "start": START, "remind": -1}),
        ("event_create", {"title": "Retro", "start": START, "organiser": BEN}),
        ("event_rsvp", {"id": "x", "answer": "yes"}),
        ("event_rsvp", {"id": "", "answer": "going"}),
        ("event_rsvp", {"id": "x" * 161, "answer": "going"}),
        ("event_edit", {"id": "x", "capacity": 3, "clear_capacity": True}),
        ("event_edit", {"id": "x", "capacity": 0}),
        ("event", {}),
        ("event_cancel", {"id": 5}),
        ("events", {"include_past": "yes"}),
    ],
)
def test_invalid_arguments_are_refused_before_the_node(
    client: ControlClient, node: FakeMeetupNode, cmd: str, args: dict[str, Any]
) -> None:
    with pytest.raises(ControlError) as info:
        client.request(cmd, **args)
    assert info.value.code == "bad_request"
    assert str(info.value).startswith("invalid request")
    assert node.calls == []
