"""A fake engine for the UI tests: records commands, emits events from its own thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import msgspec

from hallway.core.knocks import KNOCK_EXPIRY, KnockView, check_knock_text, check_reply
from hallway.core.meetups import (
    Answer,
    EventSpec,
    EventView,
    MeetupError,
    Rsvp,
    build_view,
    check_event,
)
from hallway.core.model import Post, Presence, Status, display_fingerprint
from hallway.core.quiet import QuietHours
from hallway.engine.events import (
    Event,
    EventChanged,
    FeedItem,
    KnockDelivered,
    KnockExpired,
    KnockReceived,
    KnockReplied,
    PeerOffline,
    PeerOnline,
    PeerRenamed,
    PeerView,
    PostReceived,
    StatusChanged,
)
from hallway.engine.node import NodeError, NodeInfo
from hallway.store.config import Config

OWN = "a" * 32
ANN = "b" * 32
BEN = "c" * 32
CY = "d" * 32


def peer(
    pid: str, name: str, *, online: bool = True, own: bool = False, status: Status | None = None
) -> PeerView:
    now = time.time()
    return PeerView(
        id=pid,
        name=name,
        fingerprint=display_fingerprint(pid),
        online=online,
        status=status or Status(set_at=now - 100),
        last_seen=now - 60,
        first_seen=now - 86400,
        address="198.18.0.2",
        verified=True,
        own=own,
    )


def make_config(**changes: Any) -> Config:
    base = Config(name="Me", open=True, instance="0123456789abcdef")
    return msgspec.structs.replace(base, **changes)


class FakeNode:
    """Satisfies `hallway.ui.ports.NodePort`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self._callbacks: list[Callable[[Event], None]] = []
        self._lock = threading.Lock()
        self.fail_with: str | None = None
        self._me = peer(OWN, "Me", own=True)
        self._others = [
            peer(ANN, "Ann"),
            peer(BEN, "ben", online=False),
            peer(CY, "Cy"),
        ]
        self.feed_items: list[FeedItem] = []
        self.recent: list[Status] = [
            Status(Presence.BUSY, "In a meeting", "📅", set_at=10.0),
            Status(Presence.AWAY, "Lunch & coffee", "🍽️", set_at=5.0),
        ]
        # Events, as the engine keeps them: the organiser's spec and everyone's answers.
        self._events: dict[str, _Held] = {}
        self._answers: dict[str, dict[str, Rsvp]] = {}
        self._made = 0
        self._knocks: dict[str, KnockView] = {}
        self.quiet: QuietHours | None = None

    # -- NodePort --------------------------------------------------------------------------

    @property
    def info(self) -> NodeInfo:
        return NodeInfo(
            id=OWN,
            fingerprint=display_fingerprint(OWN),
            name=self._me.name,
            office=None,
            router_port=1,
            pub_port=2,
            addresses=("198.18.0.1",),
        )

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        with self._lock:
            self._callbacks.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                self._callbacks.remove(callback)

        return unsubscribe

    def _record(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((name, args, kwargs))
        if self.fail_with:
            raise NodeError(self.fail_with)

    def set_status(
        self, presence: Presence, text: str = "", *, emoji: str = "", until: float | None = None
    ) -> Status:
        self._record("set_status", presence, text, emoji=emoji, until=until)
        status = Status(presence, text, emoji, until, set_at=time.time())
        self._me = msgspec.structs.replace(self._me, status=status)
        return status

    def clear_status(self) -> Status:
        self._record("clear_status")
        self._me = msgspec.structs.replace(self._me, status=Status(set_at=time.time()))
        return self._me.status

    def post(self, text: str, *, urgent: bool = False) -> Post:
        self._record("post", text, urgent=urgent)
        return Post(
            id=f"{OWN}:1:{len(self.calls)}", peer=OWN, text=text, urgent=urgent, sent_at=time.time()
        )

    def set_name(self, name: str) -> None:
        self._record("set_name", name)

    def peers(self) -> list[PeerView]:
        return [self._me, *self._others]

    def me(self) -> PeerView:
        return self._me

    def feed(self, limit: int = 50) -> list[FeedItem]:
        return self.feed_items[:limit]

    def recent_statuses(self, limit: int = 5) -> list[Status]:
        return self.recent[:limit]

    # -- events ----------------------------------------------------------------------------

    def create_event(self, spec: EventSpec) -> EventView:
        self._record("create_event", spec)
        try:
            spec = check_event(spec, now=time.time())
        except MeetupError as error:
            raise NodeError(str(error)) from None
        self._made += 1
        return self.add_event(OWN, "Me", spec, seq=self._made)

    def events(self, *, include_past: bool = False) -> list[EventView]:
        now = time.time()
        views = [self.event(event_id) for event_id in self._events]
        if not include_past:
            views = [v for v in views if not v.cancelled and not v.past(now)]
        return sorted(views, key=lambda v: v.start)

    def event(self, event_id: str) -> EventView:
        held = self._events.get(event_id)
        if held is None:
            raise NodeError(f"no event {event_id}")
        names = {p.id: p.name for p in self.peers()}
        return build_view(
            id=event_id,
            organiser=held.organiser,
            organiser_name=held.name,
            spec=held.spec,
            sequence=held.sequence,
            updated_at=held.updated_at,
            rsvps=self._answers[event_id].values(),
            names=names,
            own_id=OWN,
        )

    def rsvp(self, event_id: str, answer: Answer) -> EventView:
        self._record("rsvp", event_id, Answer(answer))
        view = self.event(event_id)
        if view.cancelled or time.time() >= view.start:
            raise NodeError("that event is cancelled or has started")
        self.answer(event_id, OWN, Answer(answer))
        return self.event(event_id)

    def edit_event(self, event_id: str, **changes: Any) -> EventView:
        self._record("edit_event", event_id, **changes)
        held = self._own_event(event_id)
        if changes.pop("clear_capacity", False):
            changes["capacity"] = None
        spec = msgspec.structs.replace(held.spec, **changes)
        held.spec, held.sequence, held.updated_at = spec, held.sequence + 1, time.time()
        return self.event(event_id)

    def cancel_event(self, event_id: str) -> EventView:
        self._record("cancel_event", event_id)
        held = self._own_event(event_id)
        held.spec = msgspec.structs.replace(held.spec, cancelled=True)
        held.sequence += 1
        return self.event(event_id)

    def _own_event(self, event_id: str) -> _Held:
        self.event(event_id)
        held = self._events[event_id]
        if held.organiser != OWN:
            raise NodeError("only its organiser can change an event")
        return held

    def add_event(
        self, organiser: str, name: str, spec: EventSpec, *, seq: int = 1, at: float | None = None
    ) -> EventView:
        """Hold an event (someone else's, say) without recording a command."""
        event_id = f"{organiser}:1:{seq}"
        updated = time.time() if at is None else at
        self._events[event_id] = _Held(organiser, name, spec, 0, updated)
        self._answers[event_id] = {}
        return self.event(event_id)

    def answer(self, event_id: str, peer_id: str, answer: Answer, at: float | None = None) -> None:
        """`peer_id`'s answer, as the engine would hold it (the time kept for the same one)."""
        held = self._answers[event_id].get(peer_id)
        when = held.at if held and held.answer is answer else (at or time.time())
        self._answers[event_id][peer_id] = Rsvp(peer=peer_id, answer=answer, at=when)

    # -- knocks ----------------------------------------------------------------------------

    def knock(self, peer: str, text: str = "", *, urgent: bool = False) -> KnockView:
        self._record("knock", peer, text, urgent=urgent)
        known = {p.id: p.name for p in self._others}
        if peer not in known:
            raise NodeError(f"no colleague {peer!r}")
        now = time.time()
        view = KnockView(id=f"{len(self._knocks) + 1:016x}", peer=peer, name=known[peer],
                         outgoing=True, text=check_knock_text(text), urgent=urgent,
                         state="pending", created=now, expires=now + KNOCK_EXPIRY)  # fmt: skip
        self._knocks[view.id] = view
        return view

    def knocks(self) -> list[KnockView]:
        return sorted(self._knocks.values(), key=lambda k: k.created, reverse=True)

    def reply_knock(self, knock_id: str, reply: str) -> KnockView:
        self._record("reply_knock", knock_id, reply)
        view = self._knocks.get(knock_id)
        if view is None or view.outgoing:
            raise NodeError(f"no knock {knock_id} to answer")
        view = msgspec.structs.replace(view, state="replied", reply=check_reply(reply))
        self._knocks[knock_id] = view
        return view

    def set_quiet_hours(self, quiet: QuietHours | None) -> None:
        self._record("set_quiet_hours", quiet)
        self.quiet = quiet

    def incoming_knock(
        self, peer: str, name: str, text: str = "Got a minute?", *, urgent: bool = False
    ) -> KnockReceived:
        """A colleague's knock, held as the engine holds it; the event that shows it."""
        now = time.time()
        view = KnockView(id=f"{len(self._knocks) + 1:016x}", peer=peer, name=name,
                         outgoing=False, text=text, urgent=urgent, state="shown", created=now,
                         expires=now + KNOCK_EXPIRY)  # fmt: skip
        self._knocks[view.id] = view
        return KnockReceived(at=now, name=name, knock=view)

    def knock_news(self, knock_id: str, what: str, *, reply: str = "", reason: str = "") -> Any:
        """What the engine says of our knock: "delivered", "held", "replied" or "expired"."""
        view = self._knocks[knock_id]
        state = {"delivered": "delivered", "held": "held", "replied": "replied"}.get(what, what)
        view = msgspec.structs.replace(view, state=state, reply=reply or None,
                                       held=reason if what == "held" else "")  # fmt: skip
        self._knocks[knock_id] = view
        at = time.time()
        if what in ("delivered", "held"):
            return KnockDelivered(at=at, name=view.name, knock=view, held=what == "held",
                                  reason=reason)  # fmt: skip
        if what == "replied":
            return KnockReplied(at=at, name=view.name, knock=view)
        return KnockExpired(at=at, name=view.name, knock=view)

    # -- test helpers ----------------------------------------------------------------------

    def names_called(self) -> list[str]:
        return [name for name, _args, _kwargs in self.calls]

    def emit(self, *events: Event) -> None:
        """Deliver events to subscribers on another thread, as the engine does."""

        def deliver() -> None:
            with self._lock:
                callbacks = list(self._callbacks)
            for event in events:
                for callback in callbacks:
                    callback(event)

        thread = threading.Thread(target=deliver, name="fake-engine")
        thread.start()
        thread.join(timeout=5)
        assert not thread.is_alive()


class _Held:
    def __init__(
        self, organiser: str, name: str, spec: EventSpec, sequence: int, updated_at: float
    ) -> None:
        self.organiser, self.name, self.spec = organiser, name, spec
        self.sequence, self.updated_at = sequence, updated_at


def event_changed(
    view: EventView, change: str = "created", *, live: bool = True, at: float | None = None
) -> EventChanged:
    return EventChanged(
        at=time.time() if at is None else at,
        name=view.organiser_name,
        change=change,
        event=view,
        own=view.own,
        live=live,
    )


def post_event(
    pid: str,
    name: str,
    text: str,
    *,
    urgent: bool = False,
    seq: int = 1,
    at: float | None = None,
    live: bool = True,
) -> PostReceived:
    at = time.time() if at is None else at
    return PostReceived(
        at=at,
        post=Post(id=f"{pid}:1:{seq}", peer=pid, text=text, urgent=urgent, sent_at=at),
        name=name,
        live=live,
    )


def status_event(
    pid: str,
    name: str,
    presence: Presence,
    text: str = "",
    *,
    at: float | None = None,
    own: bool = False,
    until: float | None = None,
    emoji: str = "",
) -> StatusChanged:
    at = time.time() if at is None else at
    return StatusChanged(
        at=at, peer=pid, name=name, own=own, status=Status(presence, text, emoji, until, set_at=at)
    )


def online_event(pid: str, name: str) -> PeerOnline:
    return PeerOnline(at=time.time(), peer=pid, name=name, address="198.18.0.9")


def offline_event(pid: str, name: str) -> PeerOffline:
    return PeerOffline(at=time.time(), peer=pid, name=name, reason="bye")


def renamed_event(pid: str, name: str) -> PeerRenamed:
    return PeerRenamed(at=time.time(), peer=pid, name=name)


class FakeRuntime:
    """Satisfies `hallway.ui.ports.RuntimePort` around a `FakeNode`."""

    def __init__(self, node: FakeNode, warnings: list[str] | None = None) -> None:
        self.node = node
        self.closed = 0
        self.warnings = warnings or []

    def close(self) -> None:
        self.closed += 1


class RecordingNotifier:
    """A `Notifier` that keeps what it was asked to show, with the actions offered."""

    def __init__(self, *, actions: bool = True) -> None:
        self.on_activated: Callable[[str | None], None] | None = None
        self.on_action: Callable[[str | None, str], None] | None = None
        self.supports_actions = actions
        self.shown: list[tuple[str, str, str, str | None]] = []
        self.actions: list[tuple[tuple[str, str], ...]] = []

    def notify(
        self, title: str, body: str, urgency: str, item_id: str | None, image: Any = None,
        *, actions: Any = (),
    ) -> None:  # fmt: skip
        self.shown.append((title, body, urgency, item_id))
        self.actions.append(tuple(actions))

    def titles(self) -> list[str]:
        return [title for title, *_ in self.shown]

    def close(self) -> None:
        pass


class FakeIdleSource:
    """An idle source the test drives: `idle` seconds, `is_locked`, and `lock()`/`unlock()`
    that call back from another thread as the screen saver's does."""

    name = "a fake idle source"

    def __init__(self) -> None:
        self.on_lock_change: Callable[[], None] | None = None
        self.idle = 0.0
        self.is_locked = False
        self.fail = False
        self.closed = False

    def idle_seconds(self) -> float:
        if self.fail:
            from hallway.ui.idle_sources import IdleSourceError

            raise IdleSourceError("gone")
        return self.idle

    def locked(self) -> bool:
        return self.is_locked

    def set_locked(self, locked: bool) -> None:
        self.is_locked = locked
        callback = self.on_lock_change
        if callback is not None:
            thread = threading.Thread(target=callback, name="fake-screensaver")
            thread.start()
            thread.join(timeout=5)

    def close(self) -> None:
        self.closed = True
