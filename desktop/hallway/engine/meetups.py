"""Office events and RSVPs: what these records mean to the engine.

An event is its organiser's record (`event`, key `<inc>:<seq>`), an answer its respondent's
(`rsvp`, key = the event's id). Both arrive through the one sync path (`syncing.py`, which hands
each version here with its author, as the CURVE handshake proved it) and are held in memory, in
`MeetupBook`, and on disk, in the records table, newest version only. Seats, the waitlist and
who moved up are computed from the answers held (`core.meetups.seat`): every member gets the same
result from the same records, with no coordinator, and an offline organiser blocks nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import msgspec

from hallway.core import wire
from hallway.core.meetups import (
    EVENT_KEEP_AFTER_END,
    Answer,
    EventSpec,
    EventView,
    MeetupError,
    Rsvp,
    RsvpValue,
    Seating,
    build_view,
    check_event,
    moved_up,
    seat,
)
from hallway.core.records import local_key, record_id
from hallway.core.roster import received_time
from hallway.engine import events as ev
from hallway.engine.state import EngineState
from hallway.store.records import StoredRecord

#: How long an answer whose event we have not seen (yet) is kept, and a deleted record's
#: tombstone: long enough to reach, through a snapshot, everyone who held what it replaced.
ORPHAN_KEEP = 8 * 86400.0


class HeldEvent(msgspec.Struct):
    organiser: str
    key: str
    ver: int
    at: float  # the organiser's time of this version: the event's `updated_at`
    spec: EventSpec | None  # None: deleted


class HeldRsvp(msgspec.Struct):
    ver: int
    value: RsvpValue | None  # None: withdrawn


class MeetupBook(msgspec.Struct):
    """The events and answers this node holds, by event id, and the reminders given."""

    events: dict[str, HeldEvent] = msgspec.field(default_factory=dict)
    rsvps: dict[str, dict[str, HeldRsvp]] = msgspec.field(default_factory=dict)
    reminded: set[str] = msgspec.field(default_factory=set)
    # The reminders still to give, (when, event id) sorted, as of the book's last change:
    # the loop asks for the next one every turn, and a book of hundreds of events changes
    # far less often than that.
    due: list[tuple[float, str]] | None = None

    def answers(self, event_id: str) -> list[Rsvp]:
        held = self.rsvps.get(event_id, {})
        return [
            Rsvp(peer=peer, answer=h.value.answer, at=h.value.at)
            for peer, h in held.items()
            if h.value is not None
        ]

    def seating(self, event_id: str) -> Seating | None:
        """The seats and the waitlist, when anyone could be waiting (more answers than seats);
        None otherwise: nobody moves up from a waitlist that cannot exist."""
        held = self.events.get(event_id)
        if held is None or held.spec is None or held.spec.capacity is None:
            return None
        if len(self.rsvps.get(event_id, ())) <= held.spec.capacity:
            return None
        return seat(self.answers(event_id), held.spec.capacity)


def event_expiry(spec: EventSpec | None, now: float) -> float:
    """When retention removes an event (and its answers): a week after its end."""
    return now + ORPHAN_KEEP if spec is None else spec.end + EVENT_KEEP_AFTER_END


class Meetups(EngineState):
    """The actor's part for events and RSVPs: applying versions, the commands, reminders."""

    def _load_meetups(self, records: list[StoredRecord]) -> None:
        for record in records:
            try:
                value = wire.decode_value(record.value)
            except msgspec.DecodeError:  # only a damaged database; what is left still works
                self._drop("store", f"unreadable {record.kind} record {record.key!r}")
                continue
            self._hold(record, value)

    def _hold(self, record: StoredRecord, value: wire.Value | None) -> bool:
        """Keep a version in memory if it is newer than the one held; whether it was."""
        book = self.book
        book.due = None  # the reminders to give may change with any version
        author, kind, key, ver, at = record.author, record.kind, record.key, record.ver, record.at
        if kind == "event" and (value is None or isinstance(value, EventSpec)):
            event_id = record_id(author, key)
            held = book.events.get(event_id)
            if held is not None and held.ver >= ver:
                return False
            book.events[event_id] = HeldEvent(author, key, ver, at, value)
            return True
        if kind == "rsvp" and (value is None or isinstance(value, RsvpValue)):
            answers = book.rsvps.setdefault(key, {})
            had = answers.get(author)
            if had is not None and had.ver >= ver:
                return False
            answers[author] = HeldRsvp(ver, value)
            return True
        return False

    # versions from peers (and our own, through the same steps) ---------------------------------

    def _apply_meetup(
        self,
        author: str,
        kind: str,
        key: str,
        *,
        ver: int,
        inc: int,
        at: float,
        value: wire.Value | None,
        live: bool,
    ) -> None:
        """Apply a peer's version of an event or an answer unless the one held is as new: it is
        written with this loop turn's batch (`_flush`)."""
        if not self._newer(author, kind, key, ver):
            return
        now = self.clock()
        if isinstance(value, EventSpec):
            try:  # one line for the title and place, no control characters: as for our own
                value = check_event(value, now=now, creating=False)
            except MeetupError as exc:
                self._drop(author, f"an event that breaks a rule: {exc}")
                return
        record = self._record(author, kind, key, ver=ver, inc=inc, at=received_time(at, now),
                              value=value)  # fmt: skip
        if not self._admit(author, "", size=len(record.value)):
            return  # over its storage quota: neither kept nor announced
        self.pending_records.append(record)
        self._commit_meetup(record, value, live=live)

    def _write_own(self, kind: str, key: str, value: wire.Value | None) -> None:
        """Write a version of one of our records, then publish it: written first, in its own
        transaction, so what a command confirmed survives kill -9 (a full disk raises here,
        and nothing is published)."""
        own = self.own
        at = self.clock()
        record = self._record(own.id, kind, key, ver=own.seq + 1, inc=own.inc, at=at, value=value)
        self.store.put_records([record])
        self._publish(wire.Rec(kind=kind, key=key, val=value), at=at)  # type: ignore[arg-type]
        self._commit_meetup(record, value, live=True)

    def _record(
        self, author: str, kind: str, key: str, *, ver: int, inc: int, at: float,
        value: wire.Value | None,
    ) -> StoredRecord:  # fmt: skip
        now = self.clock()
        if kind == "event":
            expires = event_expiry(value if isinstance(value, EventSpec) else None, now)
        else:  # an answer lives as long as its event (`pending_expiry`), or a while unseen
            spec = self._spec(key)
            expires = event_expiry(spec, now) if spec is not None else now + ORPHAN_KEEP
        blob = wire.encode_value(value)
        return StoredRecord(author, kind, key, ver, inc, at, now, blob, expires)

    def _commit_meetup(self, record: StoredRecord, value: wire.Value | None, *, live: bool) -> None:
        """Hold a version now stored (or in the batch), and say what changed."""
        author, kind, key = record.author, record.kind, record.key
        event_id = record_id(author, key) if kind == "event" else key
        batch = self.seats_before
        if batch is None:
            before = self.book.seating(event_id)
        elif event_id not in batch:  # a snapshot: seats are compared once, after it
            batch[event_id] = self.book.seating(event_id)
        was = self._spec(event_id)
        self._hold(record, value)
        spec = self._spec(event_id)
        if kind == "event" and spec is not None:
            if was is None or was.end != spec.end:
                self.pending_expiry[event_id] = record.expires  # its answers live as long
            self._announce_event(event_id, was, live=live)
        elif isinstance(value, RsvpValue):
            self.emit(
                ev.RsvpChanged(
                    at=self.clock(),
                    peer=author,
                    name=self.name_of(author),
                    event=event_id,
                    title=spec.title if spec is not None else "",
                    answer=value.answer,
                    own=author == self.own.id,
                )
            )
        if batch is None:
            self._seats_moved(event_id, before)

    @contextmanager
    def _snapshot_batch(self) -> Iterator[None]:
        """Apply a snapshot's records, then say who moved up: one seat computation before and
        one after per event touched, not two per record (2,000 answers from one member)."""
        batch: dict[str, Seating | None] = {}
        self.seats_before = batch
        try:
            yield
        finally:
            self.seats_before = None
            for event_id, before in batch.items():
                self._seats_moved(event_id, before)

    def _newer(self, author: str, kind: str, key: str, ver: int) -> bool:
        if kind == "event":
            held_event = self.book.events.get(record_id(author, key))
            return held_event is None or ver > held_event.ver
        held_rsvp = self.book.rsvps.get(key, {}).get(author)
        return held_rsvp is None or ver > held_rsvp.ver

    def _spec(self, event_id: str) -> EventSpec | None:
        held = self.book.events.get(event_id)
        return None if held is None else held.spec

    def _announce_event(self, event_id: str, was: EventSpec | None, *, live: bool) -> None:
        view = self._event_view(event_id)
        if view is None:
            return
        if was is None:
            change = "created"
        elif view.cancelled and not was.cancelled:
            change = "cancelled"
        else:
            change = "edited"
        self.emit(
            ev.EventChanged(
                at=self.clock(),
                name=view.organiser_name,
                change=change,
                event=view,
                own=view.own,
                live=live,
            )
        )

    def _seats_moved(self, event_id: str, before: Seating | None) -> None:
        """Say who moved from the waitlist to a seat since `before` (None: nobody waited)."""
        spec = self._spec(event_id)
        if before is None or not before.waitlist or spec is None:
            return
        after = seat(self.book.answers(event_id), spec.capacity)  # a capacity lifted: all go
        title = spec.title
        for peer in moved_up(before, after):
            self.emit(
                ev.SeatGained(
                    at=self.clock(),
                    peer=peer,
                    name=self.name_of(peer),
                    event=event_id,
                    title=title,
                    own=peer == self.own.id,
                )
            )

    # commands -----------------------------------------------------------------------------------

    def create_event(self, spec: EventSpec) -> EventView:
        spec = check_event(msgspec.structs.replace(spec, cancelled=False, edits=0),
                           now=self.clock())  # fmt: skip
        key = local_key(self.own.inc, self.own.seq + 1)
        self._write_own("event", key, spec)
        view = self._event_view(record_id(self.own.id, key))
        assert view is not None
        return view

    def rsvp(self, event_id: str, answer: Answer) -> EventView:
        spec = self._known(event_id)
        now = self.clock()
        if spec.cancelled:
            raise MeetupError(f"“{spec.title}” was cancelled; it takes no answers")
        if now >= spec.start:
            raise MeetupError(f"“{spec.title}” has already started; answers are closed")
        held = self.book.rsvps.get(event_id, {}).get(self.own.id)
        if held is None or held.value is None or held.value.answer is not answer:
            self._write_own("rsvp", event_id, RsvpValue(answer=answer, at=now))
        view = self._event_view(event_id)
        assert view is not None
        return view

    def edit_event(self, event_id: str, changes: dict[str, object]) -> EventView:
        spec = self._mine(event_id)
        if spec.cancelled:
            raise MeetupError(f"“{spec.title}” was cancelled; it cannot be edited")
        try:
            edited = msgspec.structs.replace(spec, **changes)
        except TypeError as exc:  # a caller's bug, not a person's: say which
            raise MeetupError(f"cannot edit an event that way: {exc}") from None
        if edited == spec:
            view = self._event_view(event_id)
            assert view is not None
            return view
        moved = edited.start != spec.start
        edited = check_event(edited, now=self.clock(), creating=moved)
        return self._replace_own_event(
            event_id, msgspec.structs.replace(edited, edits=spec.edits + 1)
        )

    def cancel_event(self, event_id: str) -> EventView:
        spec = self._mine(event_id)
        if spec.cancelled:
            raise MeetupError(f"“{spec.title}” is already cancelled")
        cancelled = msgspec.structs.replace(spec, cancelled=True, edits=spec.edits + 1)
        return self._replace_own_event(event_id, cancelled)

    def _replace_own_event(self, event_id: str, spec: EventSpec) -> EventView:
        self._write_own("event", self.book.events[event_id].key, spec)
        view = self._event_view(event_id)
        assert view is not None
        return view

    def _known(self, event_id: str) -> EventSpec:
        spec = self._spec(event_id)
        if spec is None:
            raise MeetupError(f"no event with id {event_id!r}; `hallway event list` shows them")
        return spec

    def _mine(self, event_id: str) -> EventSpec:
        spec = self._known(event_id)
        if self.book.events[event_id].organiser != self.own.id:
            raise MeetupError(
                f"“{spec.title}” is organised by {self._organiser_name(event_id)}; "
                "only its organiser can change it"
            )
        return spec

    def _organiser_name(self, event_id: str) -> str:
        organiser = self.book.events[event_id].organiser
        return self.name_of(organiser) or organiser[:8]

    # views and reminders ------------------------------------------------------------------------

    def _event_view(self, event_id: str) -> EventView | None:
        held = self.book.events.get(event_id)
        if held is None or held.spec is None:
            return None
        answers = self.book.answers(event_id)
        names = {r.peer: self.name_of(r.peer) for r in answers}
        return build_view(
            id=event_id,
            organiser=held.organiser,
            organiser_name=self.name_of(held.organiser),
            spec=held.spec,
            sequence=held.spec.edits,
            updated_at=held.at,
            rsvps=answers,
            names=names,
            own_id=self.own.id,
        )

    def event_views(self, *, include_past: bool) -> list[EventView]:
        now = self.clock()
        views = [self._event_view(event_id) for event_id in self.book.events]
        shown = [
            v for v in views if v is not None and (include_past or not (v.cancelled or v.past(now)))
        ]
        return sorted(shown, key=lambda v: (v.start, v.id))

    def event_view(self, event_id: str) -> EventView:
        self._known(event_id)
        view = self._event_view(event_id)
        assert view is not None
        return view

    def _reminder_candidates(self) -> list[tuple[float, str]]:
        """(when, event id) of the reminders still to give: events we go to or organise,
        soonest first (computed again only after the book changed)."""
        if self.book.due is None:
            self.book.due = sorted(self._find_reminders())
        return self.book.due

    def _find_reminders(self) -> list[tuple[float, str]]:
        out = []
        for event_id, held in self.book.events.items():
            spec = held.spec
            if spec is None or spec.cancelled or event_id in self.book.reminded:
                continue
            mine = self.book.rsvps.get(event_id, {}).get(self.own.id)
            going = (
                mine is not None and mine.value is not None and mine.value.answer is Answer.GOING
            )
            if going or held.organiser == self.own.id:
                out.append((spec.start - spec.remind, event_id))
        return out

    def _next_reminder(self) -> float | None:
        due = self._reminder_candidates()
        return due[0][0] if due else None

    def _remind(self, now: float) -> None:
        for when, event_id in list(self._reminder_candidates()):
            spec = self._spec(event_id)
            if now < when:
                break  # soonest first: none of the rest is due either
            if spec is None:
                continue
            self.book.reminded.add(event_id)
            self.book.due = None
            view = self._event_view(event_id)
            if view is not None and now < spec.start:  # not for one that began while we slept
                self.emit(ev.Reminder(at=now, event=view))
