"""A fake engine for the UI tests: records commands, emits events from its own thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import msgspec

from hallway.core.model import Post, Presence, Status, display_fingerprint
from hallway.engine.events import (
    Event,
    FeedItem,
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
