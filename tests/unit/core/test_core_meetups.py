"""Office events (hallway/core/meetups.py): the rules, the seats and the view."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallway.core.meetups import (
    CAPACITY_MAX,
    DEFAULT_DURATION,
    DEFAULT_REMIND,
    NOTE_MAX,
    PLACE_MAX,
    TITLE_MAX,
    Answer,
    Attendee,
    EventSpec,
    MeetupError,
    Rsvp,
    RsvpValue,
    Seating,
    build_view,
    check_event,
    describe_when,
    moved_up,
    seat,
)

NOW = 1_800_000_000.0
LATER = NOW + 3600
ORGANISER = "a" * 32


def spec(**changes: object) -> EventSpec:
    fields: dict[str, object] = {"title": "Lunch and learn", "start": LATER} | changes
    return EventSpec(**fields)  # type: ignore[arg-type]


# --- check_event -------------------------------------------------------------------------------


def test_a_clean_spec_comes_back_unchanged() -> None:
    event = spec(where="Room 2", capacity=8, note="Bring\nquestions")
    assert check_event(event, now=NOW) is event


def test_text_is_cleaned() -> None:
    event = spec(title="  Lunch\n\tand\u202e learn ", where=" Room\n2 ", note=" one\r\ntwo\u200b ")
    checked = check_event(event, now=NOW)
    assert checked.title == "Lunch and learn"
    assert checked.where == "Room 2"
    assert checked.note == "one\ntwo"
    assert (checked.start, checked.duration) == (event.start, event.duration)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "title needs 1 to 120 characters"),
        ({"title": " \n\t "}, "title needs 1 to 120 characters"),
        ({"title": "x" * (TITLE_MAX + 1)}, "this one has 121"),
        ({"where": "x" * (PLACE_MAX + 1)}, "place can have 80 characters at most"),
        ({"note": "x" * (NOTE_MAX + 1)}, "note can have 1000 characters at most"),
        ({"start": NOW - 1}, "the start is in the past"),
        ({"start": math.nan}, "not a time"),
        ({"start": -1.0}, "not a time"),
        ({"start": 2.0**40}, "not a time"),
        ({"duration": 0.0}, "must end after it starts"),
        ({"duration": -60.0}, "must end after it starts"),
        ({"duration": math.inf}, "must end after it starts"),
        ({"duration": 31 * 86400.0}, "can last 30 days at most"),
        ({"capacity": 0}, "capacity must be 1 to 1,000 people (not 0)"),
        ({"capacity": CAPACITY_MAX + 1}, "(not 1001)"),
        ({"capacity": -3}, "(not -3)"),
        ({"remind": -1.0}, "reminder"),
        ({"remind": 8 * 86400.0}, "at most 7 days before"),
    ],
)
def test_check_event_refuses(changes: dict[str, object], message: str) -> None:
    with pytest.raises(MeetupError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_event(spec(**changes), now=NOW)


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "x" * TITLE_MAX},
        {"where": "x" * PLACE_MAX},
        {"note": "x" * NOTE_MAX},
        {"capacity": 1},
        {"capacity": CAPACITY_MAX},
        {"start": NOW},
        {"remind": 0.0},
        {"duration": 30 * 86400.0},
    ],
)
def test_check_event_accepts_the_limits(changes: dict[str, object]) -> None:
    check_event(spec(**changes), now=NOW)


def test_a_limit_counts_the_cleaned_text() -> None:
    checked = check_event(spec(title=" " + "x" * TITLE_MAX + "\u202e "), now=NOW)
    assert checked.title == "x" * TITLE_MAX


def test_an_edit_that_keeps_the_start_may_be_in_the_past() -> None:
    started = spec(start=NOW - 600)
    assert check_event(started, now=NOW, creating=False) is started
    with pytest.raises(MeetupError, match="past"):
        check_event(started, now=NOW)


def test_a_meetup_error_is_a_value_error() -> None:
    assert issubclass(MeetupError, ValueError)


# --- the wire shape ----------------------------------------------------------------------------


def test_event_spec_on_the_wire_is_tagged_and_omits_defaults() -> None:
    event = spec()
    assert json.loads(msgspec.json.encode(event)) == {
        "t": "event",
        "title": "Lunch and learn",
        "start": LATER,
    }
    full = spec(where="Room 2", capacity=8, note="n", remind=0.0, duration=60.0, cancelled=True)
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(full), type=EventSpec) == full
    assert (event.duration, event.remind, event.capacity) == (
        DEFAULT_DURATION,
        DEFAULT_REMIND,
        None,
    )
    assert event.end == LATER + DEFAULT_DURATION


def test_rsvp_value_on_the_wire() -> None:
    value = RsvpValue(answer=Answer.MAYBE, at=NOW)
    assert json.loads(msgspec.json.encode(value)) == {"t": "rsvp", "answer": "maybe", "at": NOW}
    union = msgspec.msgpack.Decoder(EventSpec | RsvpValue)
    assert union.decode(msgspec.msgpack.encode(value)) == value
    assert union.decode(msgspec.msgpack.encode(spec())) == spec()


@pytest.mark.parametrize(
    "raw",
    [
        {"t": "event", "title": "", "start": LATER},
        {"t": "event", "title": "x" * 121, "start": LATER},
        {"t": "event", "title": "x", "start": -1},
        {"t": "event", "title": "x", "start": LATER, "capacity": 0},
        {"t": "event", "title": "x", "start": LATER, "capacity": 1001},
        {"t": "event", "title": "x", "start": LATER, "duration": 0},
        {"t": "event", "title": "x", "start": LATER, "where": "x" * 81},
        {"t": "rsvp", "answer": "perhaps", "at": NOW},
        {"t": "rsvp", "answer": "going", "at": 2.0**36},
    ],
)
def test_a_peer_cannot_send_what_the_limits_forbid(raw: dict[str, object]) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.msgpack.decode(msgspec.msgpack.encode(raw), type=EventSpec | RsvpValue)


# --- seats -------------------------------------------------------------------------------------

PEERS = [f"{n:x}" * 32 for n in range(10)]


def rsvp_lists(min_size: int = 0) -> st.SearchStrategy[list[Rsvp]]:
    """One answer each from up to ten peers, at few distinct times so that ties are common."""
    answers = st.lists(
        st.tuples(st.sampled_from(Answer), st.integers(0, 4).map(float)),
        min_size=min_size,
        max_size=len(PEERS),
    )
    return st.tuples(st.permutations(PEERS), answers).map(
        lambda drawn: [Rsvp(peer, answer, at) for peer, (answer, at) in zip(*drawn, strict=False)]
    )


capacities = st.none() | st.integers(1, 6)


@given(rsvps=rsvp_lists(), capacity=capacities, data=st.data())
def test_every_order_of_arrival_gives_the_same_seats(
    rsvps: list[Rsvp], capacity: int | None, data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(rsvps))
    assert seat(shuffled, capacity) == seat(rsvps, capacity)


@given(rsvps=rsvp_lists(), capacity=capacities)
def test_the_first_going_answers_have_the_seats(rsvps: list[Rsvp], capacity: int | None) -> None:
    seating = seat(rsvps, capacity)
    in_order = [
        r.peer for r in sorted(rsvps, key=lambda r: (r.at, r.peer)) if r.answer is Answer.GOING
    ]
    assert list(seating.going + seating.waitlist) == in_order
    if capacity is None:
        assert seating.waitlist == ()
    else:
        assert len(seating.going) == min(capacity, len(in_order))


@given(
    # two going at least, so a capacity can leave someone waiting
    rsvps=rsvp_lists(min_size=2).map(
        lambda rs: [Rsvp(r.peer, Answer.GOING, r.at) for r in rs[:2]] + rs[2:]
    ),
    answer=st.sampled_from([Answer.MAYBE, Answer.NO]),
    at=st.integers(0, 10).map(float),
    data=st.data(),
)
def test_when_a_seat_frees_the_first_waiting_moves_up(
    rsvps: list[Rsvp], answer: Answer, at: float, data: st.DataObject
) -> None:
    going = sum(r.answer is Answer.GOING for r in rsvps)
    before = seat(rsvps, data.draw(st.integers(1, going - 1), label="capacity"))
    capacity = len(before.going)
    gone = data.draw(st.sampled_from(before.going), label="gone")
    changed = [Rsvp(r.peer, answer, at) if r.peer == gone else r for r in rsvps]
    after = seat(changed, capacity)
    assert moved_up(before, after) == (before.waitlist[0],)
    assert after.going == (*(p for p in before.going if p != gone), before.waitlist[0])
    assert after.waitlist == before.waitlist[1:]


@given(rsvps=rsvp_lists(), capacity=capacities, data=st.data())
def test_duplicate_answers_of_one_peer_do_not_depend_on_order(
    rsvps: list[Rsvp], capacity: int | None, data: st.DataObject
) -> None:
    extra = data.draw(st.lists(st.builds(Rsvp, st.sampled_from(PEERS), st.sampled_from(Answer))))
    combined = rsvps + [Rsvp(r.peer, r.answer, 5.0) for r in extra]
    shuffled = data.draw(st.permutations(combined))
    assert seat(shuffled, capacity) == seat(combined, capacity)


def test_ties_in_time_go_by_peer_id() -> None:
    rsvps = [
        Rsvp("b", Answer.GOING, 1.0),
        Rsvp("a", Answer.GOING, 1.0),
        Rsvp("c", Answer.GOING, 0.5),
    ]
    assert seat(rsvps, 2) == Seating(going=("c", "a"), waitlist=("b",))


def test_a_later_answer_of_the_same_peer_wins() -> None:
    rsvps = [Rsvp("a", Answer.GOING, 1.0), Rsvp("a", Answer.NO, 2.0), Rsvp("b", Answer.GOING, 3.0)]
    assert seat(rsvps, None) == Seating(going=("b",), waitlist=())


def test_moved_up_is_empty_when_nothing_moves_and_lists_several_when_capacity_grows() -> None:
    rsvps = [Rsvp(p, Answer.GOING, float(i)) for i, p in enumerate("abcde")]
    small = seat(rsvps, 2)
    assert moved_up(small, small) == ()
    assert moved_up(small, seat(rsvps, 4)) == ("c", "d")
    assert moved_up(seat(rsvps, 4), small) == ()


# --- the view ----------------------------------------------------------------------------------

ANN, BOB, CAT, DAN, EVE = (c * 32 for c in "12345")
NAMES = {ANN: "Ann", BOB: "Bob", CAT: "Cat", DAN: "Dan"}


def test_build_view_sorts_everyone_into_place() -> None:
    rsvps = [
        Rsvp(CAT, Answer.GOING, 3.0),
        Rsvp(BOB, Answer.GOING, 2.0),
        Rsvp(DAN, Answer.GOING, 4.0),
        Rsvp(EVE, Answer.NO, 1.0),
        Rsvp(ANN, Answer.MAYBE, 5.0),
    ]
    view = build_view(
        id=f"{ANN}:1f:3",
        organiser=ANN,
        organiser_name="Ann",
        spec=spec(capacity=2, where="Room 2", note="Hi"),
        sequence=2,
        updated_at=NOW,
        rsvps=rsvps,
        names=NAMES,
        own_id=DAN,
    )
    assert view.going == (Attendee(BOB, "Bob"), Attendee(CAT, "Cat"))
    assert view.waitlist == (Attendee(DAN, "Dan"),)
    assert view.maybe == (Attendee(ANN, "Ann"),)
    assert view.declined == (Attendee(EVE, "5555"),)  # no name known: the short fingerprint
    assert view.mine is Answer.GOING
    assert not view.own
    assert (view.start, view.end, view.duration) == (LATER, LATER + 1800, 1800)
    assert view.seats_text() == "2/2 going · 1 waiting"

    assert view.to_json() == {
        "id": f"{ANN}:1f:3",
        "title": "Lunch and learn",
        "where": "Room 2",
        "note": "Hi",
        "organiser": ANN,
        "organiser_name": "Ann",
        "start": "2027-01-15T09:00:00.000000+00:00",
        "end": "2027-01-15T09:30:00.000000+00:00",
        "duration": 1800.0,
        "remind": 600.0,
        "capacity": 2,
        "going": [{"peer": BOB, "name": "Bob"}, {"peer": CAT, "name": "Cat"}],
        "waitlist": [{"peer": DAN, "name": "Dan"}],
        "maybe": [{"peer": ANN, "name": "Ann"}],
        "declined": [{"peer": EVE, "name": "5555"}],
        "cancelled": False,
        "mine": "going",
        "updated_at": "2027-01-15T08:00:00.000000+00:00",
        "sequence": 2,
        "own": False,
    }
    json.dumps(view.to_json())  # plain JSON types only


def test_own_event_without_an_answer() -> None:
    view = build_view(
        id=f"{ANN}:1:0",
        organiser=ANN,
        organiser_name="Ann",
        spec=spec(cancelled=True),
        sequence=0,
        updated_at=NOW,
        rsvps=[],
        names={},
        own_id=ANN,
    )
    assert view.own
    assert view.mine is None
    assert view.to_json()["mine"] is None
    assert view.cancelled
    assert view.seats_text() == "0 going"


@pytest.mark.parametrize(
    ("capacity", "going", "text"),
    [(None, 3, "3 going"), (8, 5, "5/8 going"), (2, 4, "2/2 going · 2 waiting")],
)
def test_seats_text(capacity: int | None, going: int, text: str) -> None:
    rsvps = [Rsvp(PEERS[i], Answer.GOING, float(i)) for i in range(going)]
    view = build_view(
        id="x:1:0",
        organiser=ANN,
        organiser_name="Ann",
        spec=spec(capacity=capacity),
        sequence=0,
        updated_at=NOW,
        rsvps=rsvps,
        names={},
        own_id=ANN,
    )
    assert view.seats_text() == text


def test_past_means_ended() -> None:
    view = build_view(
        id="x:1:0",
        organiser=ANN,
        organiser_name="Ann",
        spec=spec(duration=600.0),
        sequence=0,
        updated_at=NOW,
        rsvps=[],
        names={},
        own_id=ANN,
    )
    assert not view.past(LATER)  # started, not ended
    assert not view.past(LATER + 599)
    assert view.past(LATER + 600)


# --- describe_when -----------------------------------------------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 2 December 2026, 09:30 in Berlin
WED = datetime(2026, 12, 2, 9, 30, tzinfo=BERLIN)


def at(year: int, month: int, day: int, hour: int, minute: int) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).timestamp()


@pytest.mark.parametrize(
    ("start", "duration", "text"),
    [
        (at(2026, 12, 2, 15, 0), 45 * 60, "today 15:00, 45 min"),
        (at(2026, 12, 3, 15, 0), 3600, "tomorrow 15:00, 1 h"),
        (at(2026, 12, 1, 8, 5), 5400, "yesterday 08:05, 1 h 30 min"),
        (at(2026, 12, 4, 10, 0), 1800, "Fri 4 Dec 10:00, 30 min"),
        (at(2027, 1, 5, 10, 0), 2 * 86400, "Tue 5 Jan 2027 10:00, 2 days"),
        (at(2026, 12, 2, 0, 0), 20, "today 00:00, 1 min"),
        (at(2026, 12, 2, 23, 59), 86400 + 3600, "today 23:59, 1 day 1 h"),
    ],
)
def test_describe_when(start: float, duration: float, text: str) -> None:
    assert describe_when(start, duration, WED) == text


def test_describe_when_uses_the_zone_of_now() -> None:
    start = datetime(2026, 12, 2, 23, 30, tzinfo=UTC).timestamp()
    assert describe_when(start, 1800, WED) == "tomorrow 00:30, 30 min"
    assert describe_when(start, 1800, WED.astimezone(UTC)) == "today 23:30, 30 min"


def test_describe_when_across_daylight_saving() -> None:
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=BERLIN)
    assert describe_when(at(2026, 12, 4, 10, 0), 1800, summer) == "Fri 4 Dec 10:00, 30 min"
