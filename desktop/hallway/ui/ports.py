"""What the UI needs from the engine, as a structural type so tests can drive it with a fake.

The real `hallway.engine.Node` satisfies `NodePort`; the UI never reaches around it. Commands
return `object` because the UI ignores their results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypedDict

from hallway.core.knocks import KnockView
from hallway.core.meetups import Answer, EventSpec, EventView
from hallway.core.model import Presence, Status
from hallway.core.quiet import QuietHours
from hallway.engine.events import Event, FeedItem, PeerView
from hallway.engine.node import NodeInfo
from hallway.engine.views import AckView, Attention, SearchHit, ThreadView

EventCallback = Callable[[Event], None]


class EventEdit(TypedDict, total=False):
    """What an edit changes (`Node.edit_event`'s keywords); what is left out stays."""

    title: str
    start: float
    duration: float
    where: str
    capacity: int
    note: str
    remind: float
    clear_capacity: bool


class NodePort(Protocol):
    """The thread-safe part of `hallway.engine.Node` that the UI uses."""

    @property
    def info(self) -> NodeInfo: ...

    def subscribe(self, callback: EventCallback) -> Callable[[], object]: ...

    def set_status(
        self, presence: Presence, text: str, *, emoji: str, until: float | None
    ) -> object: ...

    def clear_status(self) -> object: ...

    def post(self, text: str, *, urgent: bool, question: bool, ack: bool) -> object: ...

    def reply(self, post_id: str, text: str) -> object: ...

    def answer(self, reply_id: str) -> FeedItem: ...

    def ack(self, post_id: str) -> FeedItem: ...

    def acks(self, post_id: str) -> AckView: ...

    def remind_acks(self, post_id: str) -> AckView: ...

    def thread(self, item_id: str) -> ThreadView: ...

    def edit(self, item_id: str, text: str) -> FeedItem: ...

    def delete(self, item_id: str) -> None: ...

    def search(self, words: str, limit: int = 50) -> list[SearchHit]: ...

    def attention(self) -> Attention: ...

    def set_name(self, name: str) -> object: ...

    def peers(self) -> list[PeerView]: ...

    def me(self) -> PeerView: ...

    def feed(self, *, limit: int, questions: bool) -> list[FeedItem]: ...

    def recent_statuses(self, *, limit: int) -> list[Status]: ...

    def create_event(self, spec: EventSpec) -> EventView: ...

    def events(self, *, include_past: bool) -> list[EventView]: ...

    def event(self, event_id: str) -> EventView: ...

    def rsvp(self, event_id: str, answer: Answer) -> EventView: ...

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
    ) -> EventView: ...

    def cancel_event(self, event_id: str) -> EventView: ...

    def knock(self, peer: str, text: str = "", *, urgent: bool = False) -> KnockView: ...

    def knocks(self) -> list[KnockView]: ...

    def reply_knock(self, knock_id: str, reply: str) -> KnockView: ...

    def set_quiet_hours(self, quiet: QuietHours | None) -> object: ...


class RuntimePort(Protocol):
    """What the app needs of `hallway.runtime.Runtime`: its node, and a way to stop it."""

    @property
    def node(self) -> NodePort: ...

    @property
    def warnings(self) -> list[str]: ...

    def close(self) -> None: ...
