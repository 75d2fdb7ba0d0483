"""Office events: what an organiser publishes, the answers to it, and who has a seat.

Every member computes the same seats from the same answers (`seat`), with no coordinator: the
"going" answers in the order they were made, ties broken by peer id. An answer's time is its
author's own clock; nothing here compares the clocks of two machines for anything but that order.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec

from hallway.core.durations import local_datetime
from hallway.core.model import one_line, strip_controls
from hallway.core.names import short_fingerprint

__all__ = [
    "CAPACITY_MAX",
    "DEFAULT_DURATION",
    "DEFAULT_REMIND",
    "DURATION_MAX",
    "EVENT_KEEP_AFTER_END",
    "NOTE_MAX",
    "PLACE_MAX",
    "REMIND_MAX",
    "TITLE_MAX",
    "Answer",
    "Attendee",
    "EventSpec",
    "EventView",
    "MeetupError",
    "Rsvp",
    "RsvpValue",
    "Seating",
    "build_view",
    "check_event",
    "describe_when",
    "moved_up",
    "seat",
]


class Answer(enum.StrEnum):
    GOING = "going"
    MAYBE = "maybe"
    NO = "no"


TITLE_MAX = 120
PLACE_MAX = 80
NOTE_MAX = 1000
CAPACITY_MAX = 1000
DEFAULT_DURATION = 30 * 60.0
DEFAULT_REMIND = 10 * 60.0
DURATION_MAX = 30 * 86400.0
REMIND_MAX = 7 * 86400.0
EVENT_KEEP_AFTER_END = 7 * 86400.0

# The same bounds as hallway.core.wire.Timestamp, which cannot be imported from here: wire
# imports this module to put events and RSVPs in its record union.
_TIME_MAX = 2**35
Timestamp = Annotated[float, msgspec.Meta(ge=0, le=_TIME_MAX)]


class MeetupError(ValueError):
    """An event or an answer that breaks a rule; the message is for the person who made it."""


class EventSpec(msgspec.Struct, frozen=True, tag_field="t", tag="event", omit_defaults=True):
    """An event as its organiser publishes it; also its wire value (`hallway.core.wire`).

    The constraints hold for what is decoded from a peer; `check_event` enforces them (and
    cleans the text) for what is built locally, which msgspec does not validate.
    """

    title: Annotated[str, msgspec.Meta(min_length=1, max_length=TITLE_MAX)]
    start: Timestamp
    duration: Annotated[float, msgspec.Meta(gt=0, le=DURATION_MAX)] = DEFAULT_DURATION
    where: Annotated[str, msgspec.Meta(max_length=PLACE_MAX)] = ""
    capacity: Annotated[int, msgspec.Meta(ge=1, le=CAPACITY_MAX)] | None = None
    note: Annotated[str, msgspec.Meta(max_length=NOTE_MAX)] = ""
    remind: Annotated[float, msgspec.Meta(ge=0, le=REMIND_MAX)] = DEFAULT_REMIND
    cancelled: bool = False
    # The organiser's edits and cancellation so far: iCalendar's SEQUENCE (EventView.sequence).
    edits: Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)] = 0

    @property
    def end(self) -> float:
        return self.start + self.duration


class RsvpValue(msgspec.Struct, frozen=True, tag_field="t", tag="rsvp"):
    """A member's answer to one event (keyed by the event id); also its wire value.

    `at` is the respondent's own clock when it made this answer; sending the same answer again
    keeps it, so a repeated "going" keeps its place in the queue for seats.
    """

    answer: Answer
    at: Timestamp


def _duration_words(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(f"{days} day" if days == 1 else f"{days} days")
    if hours:
        parts.append(f"{hours} h")
    if minutes:
        parts.append(f"{minutes} min")
    return " ".join(parts)


def check_event(spec: EventSpec, *, now: float, creating: bool = True) -> EventSpec:
    """The spec with its text cleaned, or MeetupError naming the first rule it breaks.

    `creating` refuses a start in the past: the engine passes it for a new event and for an edit
    that moves the start, but not for other edits of an event that has begun.
    """
    title = one_line(spec.title)
    where = one_line(spec.where)
    # \r\n from a pasted note would keep a stray \r on each line; strip_controls drops it.
    note = strip_controls(spec.note)
    if not 1 <= len(title) <= TITLE_MAX:
        raise MeetupError(f"a title needs 1 to {TITLE_MAX} characters (this one has {len(title)})")
    if len(where) > PLACE_MAX:
        raise MeetupError(f"a place can have {PLACE_MAX} characters at most (not {len(where)})")
    if len(note) > NOTE_MAX:
        raise MeetupError(f"a note can have {NOTE_MAX} characters at most (not {len(note)})")
    if not (math.isfinite(spec.start) and 0 <= spec.start <= _TIME_MAX - DURATION_MAX):
        raise MeetupError("the start is not a time this calendar can hold")
    if creating and spec.start < now:
        raise MeetupError("the start is in the past; pick a time that is still ahead")
    if not (math.isfinite(spec.duration) and spec.duration > 0):
        raise MeetupError("an event must end after it starts: give it a positive duration")
    if spec.duration > DURATION_MAX:
        raise MeetupError(f"an event can last {_duration_words(DURATION_MAX)} at most")
    capacity = spec.capacity
    if capacity is not None and (isinstance(capacity, bool) or not 1 <= capacity <= CAPACITY_MAX):
        raise MeetupError(f"a capacity must be 1 to {CAPACITY_MAX:,} people (not {capacity})")
    if not (math.isfinite(spec.remind) and 0 <= spec.remind <= REMIND_MAX):
        raise MeetupError(
            f"a reminder can come at most {_duration_words(REMIND_MAX)} before the start"
        )
    if (title, where, note) == (spec.title, spec.where, spec.note):
        return spec
    return msgspec.structs.replace(spec, title=title, where=where, note=note)


class Rsvp(msgspec.Struct, frozen=True):
    """One member's current answer to an event, as `seat` and `build_view` take it."""

    peer: str
    answer: Answer
    at: float


class Seating(msgspec.Struct, frozen=True):
    """Peer ids with a seat and on the waitlist, each in seat order."""

    going: tuple[str, ...]
    waitlist: tuple[str, ...]


def _order(rsvp: Rsvp) -> tuple[float, str]:
    return (rsvp.at, rsvp.peer)


def _latest(rsvps: Iterable[Rsvp]) -> list[Rsvp]:
    """One answer per peer, in (at, peer) order.

    The record layer keeps one answer per member; should a caller pass two, the later one
    counts (ties by answer), so the result still does not depend on the order they came in.
    """
    best: dict[str, Rsvp] = {}
    for rsvp in rsvps:
        held = best.get(rsvp.peer)
        if held is None or (rsvp.at, rsvp.answer) > (held.at, held.answer):
            best[rsvp.peer] = rsvp
    return sorted(best.values(), key=_order)


def seat(rsvps: Iterable[Rsvp], capacity: int | None) -> Seating:
    """The first `capacity` "going" answers (all when None) have seats; the rest wait."""
    going = tuple(r.peer for r in _latest(rsvps) if r.answer is Answer.GOING)
    if capacity is None:
        return Seating(going=going, waitlist=())
    return Seating(going=going[:capacity], waitlist=going[capacity:])


def moved_up(before: Seating, after: Seating) -> tuple[str, ...]:
    """Who was waiting before and has a seat now, in seat order."""
    waiting = set(before.waitlist)
    return tuple(peer for peer in after.going if peer in waiting)


class Attendee(msgspec.Struct, frozen=True):
    peer: str
    name: str


def _iso(ts: float) -> str:
    # The same form as hallway.engine.events.iso, which the core cannot import.
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")


class EventView(msgspec.Struct, frozen=True):
    """An event with everyone's answers, as the UI, the CLI and the calendar export see it.

    `going` and `waitlist` are in seat order, `maybe` and `declined` in the order of answering.
    `sequence` counts the organiser's edits and cancellation (iCalendar's SEQUENCE).
    """

    id: str
    title: str
    where: str
    note: str
    organiser: str
    organiser_name: str
    start: float
    end: float
    duration: float
    remind: float
    capacity: int | None
    going: tuple[Attendee, ...]
    waitlist: tuple[Attendee, ...]
    maybe: tuple[Attendee, ...]
    declined: tuple[Attendee, ...]
    cancelled: bool
    mine: Answer | None
    updated_at: float
    sequence: int
    own: bool

    def past(self, now: float) -> bool:
        return now >= self.end

    def seats_text(self) -> str:
        """ "5/8 going · 2 waiting", or "3 going" without a capacity."""
        if self.capacity is None:
            return f"{len(self.going)} going"
        text = f"{len(self.going)}/{self.capacity} going"
        return f"{text} · {len(self.waitlist)} waiting" if self.waitlist else text

    def to_json(self) -> dict[str, Any]:
        """The event object of `hallway event … --json` and of the `event` JSON event."""

        def people(attendees: tuple[Attendee, ...]) -> list[dict[str, str]]:
            return [{"peer": a.peer, "name": a.name} for a in attendees]

        return {
            "id": self.id,
            "title": self.title,
            "where": self.where,
            "note": self.note,
            "organiser": self.organiser,
            "organiser_name": self.organiser_name,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "duration": self.duration,
            "remind": self.remind,
            "capacity": self.capacity,
            "going": people(self.going),
            "waitlist": people(self.waitlist),
            "maybe": people(self.maybe),
            "declined": people(self.declined),
            "cancelled": self.cancelled,
            "mine": None if self.mine is None else str(self.mine),
            "updated_at": _iso(self.updated_at),
            "sequence": self.sequence,
            "own": self.own,
        }


def build_view(
    *,
    id: str,  # noqa: A002 -- the event object's own field name
    organiser: str,
    organiser_name: str,
    spec: EventSpec,
    sequence: int,
    updated_at: float,
    rsvps: Iterable[Rsvp],
    names: Mapping[str, str],
    own_id: str,
) -> EventView:
    """The view of one event; `names` maps peer ids to display names (else a fingerprint)."""
    answers = _latest(rsvps)
    seating = seat(answers, spec.capacity)

    def person(peer: str) -> Attendee:
        return Attendee(peer=peer, name=names.get(peer) or short_fingerprint(peer))

    def answered(answer: Answer) -> tuple[Attendee, ...]:
        return tuple(person(r.peer) for r in answers if r.answer is answer)

    mine = next((r.answer for r in answers if r.peer == own_id), None)
    return EventView(
        id=id,
        title=spec.title,
        where=spec.where,
        note=spec.note,
        organiser=organiser,
        organiser_name=organiser_name,
        start=spec.start,
        end=spec.end,
        duration=spec.duration,
        remind=spec.remind,
        capacity=spec.capacity,
        going=tuple(map(person, seating.going)),
        waitlist=tuple(map(person, seating.waitlist)),
        maybe=answered(Answer.MAYBE),
        declined=answered(Answer.NO),
        cancelled=spec.cancelled,
        mine=mine,
        updated_at=updated_at,
        sequence=sequence,
        own=organiser == own_id,
    )


# English names, not strftime's %a and %b, whose words follow the process locale.
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def describe_when(start: float, duration: float, now: datetime) -> str:
    """When, in the local time of `now` and in words: "today 15:00, 45 min", "tomorrow 15:00,
    1 h", "Fri 4 Dec 10:00, 30 min" (with the year when it is not this one)."""
    when = local_datetime(start, now)
    days = (when.date() - now.date()).days
    clock = f"{when:%H:%M}"
    if days == 0:
        day = "today"
    elif days == 1:
        day = "tomorrow"
    elif days == -1:
        day = "yesterday"
    else:
        day = f"{_DAYS[when.weekday()]} {when.day} {_MONTHS[when.month - 1]}"
        if when.year != now.year:
            day += f" {when.year}"
    return f"{day} {clock}, {_duration_words(duration)}"
