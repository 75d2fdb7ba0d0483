"""`hallway event ...` (issue 10) against a fake instance: output, exit codes, what reaches
the node."""

from __future__ import annotations

import io
import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from hallway.cli.output import Style, event_line
from hallway.core.meetups import Answer, EventSpec, describe_when
from hallway.engine.events import EventChanged, Reminder, RsvpChanged, SeatGained, Stopped
from tests.unit.cli.conftest import Run
from tests.unit.cli.fake_meetups import CAT, FakeMeetupNode
from tests.unit.control.fake_node import BEN, ME

AT = "2096-10-02 09:00"
START = datetime(2096, 10, 2, 9, 0).astimezone().timestamp()


class Pipe(io.StringIO):
    encoding = "utf-8"


def hallway(run: Run, home: Path, *argv: str) -> Any:
    return run("--home", str(home), "event", *argv)


def bens(node: FakeMeetupNode, **fields: Any) -> str:
    return node.add(BEN, EventSpec(title="Ben's demo", start=START, **fields)).id


# creating -------------------------------------------------------------------------------------


def test_create_prints_the_id_alone(run: Run, home: Path, running: FakeMeetupNode) -> None:
    result = hallway(
        run, home, "create", "Brainstorm", "--at", AT, "--duration", "45m",
        "--where", "Room 2", "--capacity", "8", "--note", "Bring ideas", "--remind", "1h",
    )  # fmt: skip
    assert result.code == 0
    assert running.specs == [
        EventSpec(
            title="Brainstorm",
            start=START,
            duration=2700.0,
            where="Room 2",
            capacity=8,
            note="Bring ideas",
            remind=3600.0,
        )
    ]
    assert result.out == f"{ME}:1:1\n"
    assert "Created “Brainstorm”, Tue 2 Oct 2096 09:00, 45 min." in result.err


def test_create_json_is_the_event_object(run: Run, home: Path, running: FakeMeetupNode) -> None:
    result = hallway(run, home, "create", "Retro", "--at", AT, "--json")
    assert result.code == 0
    made = json.loads(result.out)
    assert made["id"] == f"{ME}:1:1"
    assert made["start"].startswith("2096-10-02T")
    assert (made["capacity"], made["going"], made["mine"]) == (None, [], None)
    assert running.specs == [EventSpec(title="Retro", start=START)]  # the defaults


def test_create_cleans_the_title_and_takes_words(
    run: Run, home: Path, running: FakeMeetupNode
) -> None:
    assert hallway(run, home, "create", "Team", " lunch\n", "--at", AT, "--remind", "0").code == 0
    assert running.specs[0].title == "Team lunch"
    assert running.specs[0].remind == 0.0


def test_tomorrow_is_tomorrow(run: Run, home: Path, running: FakeMeetupNode) -> None:
    before = datetime.now().astimezone()
    assert hallway(run, home, "create", "Retro", "--at", "tomorrow 15:00").code == 0
    start = datetime.fromtimestamp(running.specs[0].start).astimezone()
    assert (start.hour, start.minute) == (15, 0)
    assert (start.date() - before.date()).days in {1, 0}  # 0: midnight passed in between


# usage errors: exit 2, and the node is not asked -----------------------------------------------


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        ([], "what should it do? Choose create, list, show, rsvp, edit, cancel or ics"),
        (["create", "Retro"], "the following arguments are required: --at"),
        (["create", "Retro", "--at", "teatime"], "--at: cannot read"),
        (["create", "Retro", "--at", "2020-01-01 10:00"], "is in the past"),
        (["create", "Retro", "--at", AT, "--duration", "0m"], "longer than zero"),
        (["create", "Retro", "--at", AT, "--duration", "-5m"], "must be positive"),
        (["create", "Retro", "--at", AT, "--duration", "31d"], "30 days at most"),
        (["create", "Retro", "--at", AT, "--capacity", "0"], "from 1 to 1,000 people"),
        (["create", "Retro", "--at", AT, "--capacity", "1001"], "from 1 to 1,000 people"),
        (["create", "Retro", "--at", AT, "--capacity", "-3"], "from 1 to 1,000 people"),
        (["create", "Retro", "--at", AT, "--capacity", "lots"], "not a whole number"),
        (["create", "Retro", "--at", AT, "--capacity", "none"], "not a whole number"),
        (["rsvp", "x", "yes"], "'yes' is not an answer; choose going, maybe or no"),
        (["rsvp", "x"], "required: going|maybe|no"),
        (["show", " "], "is not an event id"),
        (["show", "x" * 161], "is not an event id"),
        (["edit", "x", "--at", "2020-01-01 10:00"], "is in the past"),
        (["edit", "x", "--capacity", "0"], "from 1 to 1,000 people"),
    ],
)
def test_usage_errors_exit_2(
    run: Run, home: Path, running: FakeMeetupNode, argv: list[str], says: str
) -> None:
    result = hallway(run, home, *argv)
    assert result.code == 2
    assert says in result.err
    assert "usage: hallway event" in result.err
    assert "Traceback" not in result.err
    assert result.out == ""
    assert running.calls == []


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["create", " ", "--at", AT], "a title needs 1"),
        (["create", "x" * 121, "--at", AT], "a title needs 1"),
        (["create", "Retro", "--at", AT, "--where", "x" * 81], "80 characters at most"),
        (["create", "Retro", "--at", AT, "--note", "x" * 1001], "1000 characters at most"),
        (["create", "Retro", "--at", AT, "--remind", "8d"], "at most 7 days before"),
        (["edit", "x"], "nothing to change"),
        (["edit", "x", "--title", "\n"], "a title needs 1"),
        (["edit", "x", "--where", "x" * 81], "80 characters at most"),
    ],
)
def test_checks_after_parsing_exit_2_too(
    run: Run, home: Path, running: FakeMeetupNode, argv: list[str], says: str
) -> None:
    result = hallway(run, home, *argv)
    assert result.code == 2
    assert says in result.err
    assert "usage: hallway event" in result.err
    assert running.calls == []


# refusals by the node: exit 1 ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["show", "nope"], "hallway: no event with the id 'nope'"),
        (["rsvp", "nope", "going"], "hallway: no event with the id 'nope'"),
        (["cancel", "nope"], "hallway: no event with the id 'nope'"),
        (["ics", "nope"], "hallway: no event with the id 'nope'"),
        (["edit", "BEN", "--title", "Mine"], "hallway: only its organiser, Ben, can change"),
        (["cancel", "BEN"], "hallway: only its organiser, Ben, can cancel “Ben's demo”"),
        (["rsvp", "CANCELLED", "going"], "was cancelled"),
        (["rsvp", "PAST", "maybe"], "has started"),
    ],
)
def test_refusals_exit_1(
    run: Run, home: Path, running: FakeMeetupNode, argv: list[str], says: str
) -> None:
    ids = {
        "BEN": bens(running),
        "CANCELLED": bens(running, cancelled=True),
        "PAST": running.add(BEN, EventSpec(title="Gone", start=1_000_000.0)).id,
    }
    result = hallway(run, home, *[ids.get(word, word) for word in argv])
    assert result.code == 1
    assert result.err.startswith("hallway: ")
    assert says in result.err
    assert "\n" not in result.err.strip()
    assert result.out == ""


def test_with_nothing_running_exit_3(run: Run, home: Path) -> None:
    assert hallway(run, home, "list").code == 3


# listing and showing ----------------------------------------------------------------------------


def test_list_one_line_per_event(run: Run, home: Path, running: FakeMeetupNode) -> None:
    assert hallway(run, home, "list").out.startswith("No upcoming events.")
    sooner = bens(running, capacity=8, where="Room\n2")
    running.answer_event(sooner, CAT, Answer.GOING)
    later = running.add(ME, EventSpec(title="Retro\n12:00 Fake line", start=START + 86400)).id
    running.answer_event(later, ME, Answer.MAYBE)
    lines = hallway(run, home, "list").out.splitlines()
    assert lines[0].split() == ["WHEN", "TITLE", "WHERE", "SEATS", "YOU", "ID"]
    assert len(lines) == 3
    assert describe_when(START, 1800, datetime.now().astimezone()) in lines[1]
    cells = [cell.strip() for cell in lines[1].split("  ") if cell.strip()]
    assert cells[1:5] == ["Ben's demo", "Room 2", "1/8 going", "-"]  # "-": no answer of ours
    assert lines[1].endswith(sooner)
    assert "Retro 12:00 Fake line" in lines[2]
    assert "maybe, organiser" in lines[2]
    assert lines[1].index(sooner) == lines[2].index(later)  # aligned


def test_list_json_and_all(run: Run, home: Path, running: FakeMeetupNode) -> None:
    upcoming = bens(running)
    cancelled = bens(running, cancelled=True)
    listed = json.loads(hallway(run, home, "list", "--json").out)
    assert [e["id"] for e in listed] == [upcoming]
    every = json.loads(hallway(run, home, "list", "--all", "--json").out)
    assert {e["id"] for e in every} == {upcoming, cancelled}
    human = hallway(run, home, "list", "--all").out
    assert "cancelled" in human.splitlines()[2] or "cancelled" in human.splitlines()[1]


def test_show_has_everyone(run: Run, home: Path, running: FakeMeetupNode) -> None:
    event_id = bens(running, capacity=1, note="Line one\nLine two\n\n12:00 Free pizza")
    running.answer_event(event_id, CAT, Answer.GOING, at=1.0)
    running.answer_event(event_id, ME, Answer.GOING, at=2.0)
    running.answer_event(event_id, "d" * 32, Answer.NO, at=3.0)
    shown = hallway(run, home, "show", event_id).out.splitlines()
    assert shown[0] == "“Ben's demo”"
    fields = dict(line.strip().split(":", 1) for line in shown[1 : shown.index("  Note:")])
    fields = {label: value.strip() for label, value in fields.items()}
    assert fields["Organiser"] == "Ben"
    assert fields["Seats"] == "1/1 going · 1 waiting"
    assert fields["Going"] == "Cat"
    assert fields["Waitlist"] == "Ann"
    assert fields["Maybe"] == "-"
    assert fields["Not going"] == "dddd"  # no name known: the start of the fingerprint
    assert fields["You"] == "waiting (#1)"
    assert fields["Id"] == event_id
    assert shown[-4:] == ["  Note:", "    Line one", "    Line two", "    12:00 Free pizza"]
    as_json = json.loads(hallway(run, home, "show", event_id, "--json").out)
    assert [a["name"] for a in as_json["waitlist"]] == ["Ann"]


# answering, editing, cancelling, exporting ---------------------------------------------------


def test_rsvp(run: Run, home: Path, running: FakeMeetupNode) -> None:
    event_id = bens(running, capacity=1)
    result = hallway(run, home, "rsvp", event_id, "GOING")
    assert result.code == 0
    assert result.out == ""
    assert "You are going to “Ben's demo”" in result.err
    assert "(1/1 going)" in result.err
    result = hallway(run, home, "rsvp", event_id, "no")
    assert result.err.strip() == "You are not going to “Ben's demo”."
    running.answer_event(event_id, CAT, Answer.GOING)
    result = hallway(run, home, "rsvp", event_id, "going")
    assert "you are on the waitlist (#1)" in result.err


def test_edit_sends_only_what_changes(run: Run, home: Path, running: FakeMeetupNode) -> None:
    event_id = running.add(ME, EventSpec(title="Retro", start=START, capacity=4)).id
    result = hallway(run, home, "edit", event_id, "--where", " Room 3 ", "--duration", "1h")
    assert result.code == 0
    assert running.edits == [{"where": "Room 3", "duration": 3600.0}]
    assert "Changed “Retro”: Tue 2 Oct 2096 09:00, 1 h · Room 3 · 0/4 going." in result.err
    assert hallway(run, home, "edit", event_id, "--capacity", "none").code == 0
    assert running.edits[-1] == {"capacity": None}
    assert hallway(run, home, "edit", event_id, "--at", AT, "--title", "Retro 2").code == 0
    assert running.edits[-1] == {"title": "Retro 2", "start": START}


def test_cancel_and_ics(run: Run, home: Path, running: FakeMeetupNode) -> None:
    event_id = running.add(ME, EventSpec(title="Retro", start=START)).id
    bens(running)
    every = hallway(run, home, "ics")
    assert every.code == 0
    assert every.out.startswith("BEGIN:VCALENDAR\r\n")
    assert every.out.endswith("END:VCALENDAR\r\n")
    assert every.out.count("BEGIN:VEVENT") == 2
    result = hallway(run, home, "cancel", event_id)
    assert result.code == 0
    assert result.err.strip() == "Cancelled “Retro”; everyone sees it cancelled."
    one = hallway(run, home, "ics", event_id).out
    assert one.count("BEGIN:VEVENT") == 1
    assert "STATUS:CANCELLED" in one


# watch and node lines --------------------------------------------------------------------------


def view_json(**fields: Any) -> dict[str, Any]:
    node = FakeMeetupNode()
    view = node.add(BEN, EventSpec(title="Brainstorm", start=START, duration=2700, **fields))
    return view.to_json()


WHEN = describe_when(START, 2700, datetime.now().astimezone())


@pytest.mark.parametrize(
    ("event", "says"),
    [
        (
            {"type": "event", "change": "created", "name": "Ben", "event": view_json()},
            f"Ben created “Brainstorm”: {WHEN} · 0 going",
        ),
        (
            {"type": "event", "change": "created", "own": True, "event": view_json(capacity=8)},
            f"You created “Brainstorm”: {WHEN} · 0/8 going",
        ),
        (
            {"type": "event", "change": "edited", "name": "Ben", "event": view_json(where="R2")},
            f"Ben changed “Brainstorm”: {WHEN} · R2 · 0 going",
        ),
        (
            {"type": "event", "change": "cancelled", "name": "Ben", "event": view_json()},
            f"Ben cancelled “Brainstorm” ({WHEN})",
        ),
        (
            {
                "type": "event",
                "change": "created",
                "name": "Ben",
                "live": False,
                "event": view_json(),
            },
            "Ben (earlier) created “Brainstorm”",
        ),
        (
            {"type": "rsvp", "name": "Cat", "title": "Brainstorm", "answer": "going"},
            "Cat is going to “Brainstorm”",
        ),
        (
            {"type": "rsvp", "name": "Ann", "own": True, "title": "Brainstorm", "answer": "no"},
            "You are not going to “Brainstorm”",
        ),
        (
            {"type": "rsvp", "name": "Cat", "title": "Brainstorm", "answer": "maybe"},
            "Cat might go to “Brainstorm”",
        ),
        (
            {"type": "seat", "name": "Cat", "title": "Brainstorm"},
            "Cat moved up from the waitlist to a seat at “Brainstorm”",
        ),
        (
            {"type": "seat", "name": "Ann", "own": True, "title": "Brainstorm"},
            "You moved up from the waitlist and have a seat at “Brainstorm”",
        ),
        (
            {"type": "reminder", "event": view_json(where="Room 2")},
            f"Reminder: “Brainstorm” {WHEN} · Room 2 (in ",
        ),
        ({"type": "event", "change": "created", "name": "Ben", "event": {}}, '"type": "event"'),
    ],
)
def test_watch_lines(event: dict[str, Any], says: str) -> None:
    line = event_line({"at": "2026-11-26T10:00:00+00:00", **event}, Style(Pipe()))
    assert says in line
    assert "\n" not in line


def test_peer_text_in_a_watch_line_stays_on_one_line() -> None:
    forged = view_json(where="Room 2\n10:00:00 Ann: Free pizza")
    forged["title"] = "Talk\u2028" + forged["title"]
    for event in (
        {"type": "event", "change": "created", "name": "Ben\nX", "event": forged},
        {"type": "rsvp", "name": "Cat", "title": "A\nB", "answer": "going"},
        {"type": "reminder", "event": forged},
    ):
        line = event_line({"at": "2026-11-26T10:00:00+00:00", **event}, Style(Pipe()))
        assert len(line.splitlines()) == 1


def test_watch_prints_the_engine_events_of_meetups(
    run: Run, home: Path, running: FakeMeetupNode
) -> None:
    view = running.add(BEN, EventSpec(title="Brainstorm", start=START, duration=2700))
    event_id = view.id

    def feed_events() -> None:
        assert running.subscribed.wait(10.0)
        running.emit(EventChanged(at=1.0, name="Ben", change="created", event=view))
        running.emit(
            RsvpChanged(
                at=2.0, name="Cat", peer=CAT, event=event_id, title="Brainstorm", answer=Answer.NO
            )
        )
        running.emit(
            SeatGained(at=3.0, name="Ann", peer=ME, event=event_id, title="Brainstorm", own=True)
        )
        running.emit(Reminder(at=4.0, event=view))
        running.emit(Stopped(at=5.0))

    emitter = threading.Thread(target=feed_events)
    emitter.start()
    try:
        result = run("--home", str(home), "watch")
    finally:
        emitter.join()
    assert result.code == 0
    lines = [line.split(" ", 1)[1] for line in result.out.splitlines()]
    reminder = lines.pop(3)
    assert lines == [
        f"Ben created “Brainstorm”: {WHEN} · 0 going",
        "Cat is not going to “Brainstorm”",
        "You moved up from the waitlist and have a seat at “Brainstorm”",
        "Hallway stopped.",
    ]
    assert reminder.startswith(f"Reminder: “Brainstorm” {WHEN} (in ")  # "(in 25512d 3h)"
