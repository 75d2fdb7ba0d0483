"""`FakeNode` with the event API of the meetups spec (issue 10), for the control and CLI tests.

It keeps events and answers in memory and refuses what the engine refuses, with the same kind
of message, so the tests of the command line and the control server need no engine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import msgspec

from hallway.core.meetups import (
    Answer,
    EventSpec,
    EventView,
    MeetupError,
    Rsvp,
    build_view,
    check_event,
)
from hallway.engine.node import NodeError
from tests.unit.control.fake_node import BEN, ME, FakeNode

CAT = "c" * 32
NAMES = {ME: "Ann", BEN: "Ben", CAT: "Cat"}


@dataclass
class _Held:
    organiser: str
    spec: EventSpec
    sequence: int = 0
    updated_at: float = field(default_factory=time.time)
    rsvps: dict[str, Rsvp] = field(default_factory=dict)


class FakeMeetupNode(FakeNode):
    def __init__(self) -> None:
        super().__init__()
        self.held: dict[str, _Held] = {}
        self.specs: list[EventSpec] = []  # what create_event received
        self.edits: list[dict[str, object]] = []  # what edit_event received

    # the Node's event API ------------------------------------------------------------------

    def create_event(self, spec: EventSpec) -> EventView:
        self.calls.append("create_event")
        self.specs.append(spec)
        try:
            spec = check_event(spec, now=time.time())
        except MeetupError as exc:
            raise NodeError(str(exc)) from None
        return self.add(ME, spec)

    def events(self, *, include_past: bool = False) -> list[EventView]:
        self.calls.append("events")
        now = time.time()
        views = [self._view(event_id) for event_id in self.held]
        if not include_past:
            views = [v for v in views if not v.cancelled and not v.past(now)]
        return sorted(views, key=lambda v: (v.start, v.id))

    def event(self, event_id: str) -> EventView:
        self.calls.append("event")
        self._find(event_id)
        return self._view(event_id)

    def rsvp(self, event_id: str, answer: Answer) -> EventView:
        self.calls.append("rsvp")
        held = self._find(event_id)
        if held.spec.cancelled:
            raise NodeError(f"“{held.spec.title}” was cancelled; there is nothing to answer")
        if time.time() >= held.spec.start:
            raise NodeError(f"“{held.spec.title}” has started; answers are closed")
        self.answer_event(event_id, ME, answer)
        return self._view(event_id)

    def edit_event(
        self,
        event_id: str,
        *,
        title: str | None = None,
        start: float | None = None,
        duration: float | None = None,
        where: str | None = None,
        capacity: int | None = None,
        note: str | None = None,
        remind: float | None = None,
        clear_capacity: bool = False,
    ) -> EventView:
        self.calls.append("edit_event")
        changes: dict[str, object] = {
            key: value
            for key, value in {
                "title": title,
                "start": start,
                "duration": duration,
                "where": where,
                "capacity": capacity,
                "note": note,
                "remind": remind,
            }.items()
            if value is not None
        }
        if clear_capacity:
            changes["capacity"] = None
        self.edits.append(changes)
        held = self._own(event_id, "change")
        spec = msgspec.structs.replace(held.spec, **changes)
        try:
            held.spec = check_event(spec, now=time.time(), creating=start is not None)
        except MeetupError as exc:
            raise NodeError(str(exc)) from None
        held.sequence += 1
        return self._view(event_id)

    def cancel_event(self, event_id: str) -> EventView:
        self.calls.append("cancel_event")
        held = self._own(event_id, "cancel")
        held.spec = msgspec.structs.replace(held.spec, cancelled=True)
        held.sequence += 1
        return self._view(event_id)

    # for the tests -------------------------------------------------------------------------

    def add(self, organiser: str, spec: EventSpec) -> EventView:
        """An event organised by `organiser` (ours or a colleague's, as if it had arrived)."""
        event_id = f"{organiser}:1:{len(self.held) + 1}"
        self.held[event_id] = _Held(organiser, spec)
        return self._view(event_id)

    def answer_event(
        self, event_id: str, peer: str, answer: Answer, at: float | None = None
    ) -> None:
        held = self.held[event_id]
        before = held.rsvps.get(peer)
        if before is not None and before.answer is answer:
            at = before.at  # the same answer again keeps its place
        held.rsvps[peer] = Rsvp(peer=peer, answer=answer, at=time.time() if at is None else at)

    def _find(self, event_id: str) -> _Held:
        held = self.held.get(event_id)
        if held is None:
            raise NodeError(f"no event with the id {event_id!r}")
        return held

    def _own(self, event_id: str, what: str) -> _Held:
        held = self._find(event_id)
        if held.organiser != ME:
            organiser = NAMES.get(held.organiser, "?")
            raise NodeError(f"only its organiser, {organiser}, can {what} “{held.spec.title}”")
        return held

    def _view(self, event_id: str) -> EventView:
        held = self.held[event_id]
        return build_view(
            id=event_id,
            organiser=held.organiser,
            organiser_name=NAMES.get(held.organiser, "?"),
            spec=held.spec,
            sequence=held.sequence,
            updated_at=held.updated_at,
            rsvps=held.rsvps.values(),
            names=NAMES,
            own_id=ME,
        )
