"""A stand-in for `hallway.engine.Node` with the same public API, for control and CLI tests.

The knowledge-sharing part (posts, replies, answers, acknowledgements, search) is
`FakeKnowledge`'s."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from hallway.core.model import Presence, Status
from hallway.engine.events import Event, FeedItem, PeerView, StatusChanged
from hallway.engine.node import NodeError
from tests.unit.control.fake_knowledge import BEN, CAT, ME, FakeKnowledge

__all__ = ["BEN", "CAT", "ME", "FakeNode"]


class FakeNode(FakeKnowledge):
    """Keeps state in memory; `emit` plays the engine thread delivering an event."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._subscribers: list[Callable[[Event], None]] = []
        self.subscribed = threading.Event()
        self.unsubscribed = threading.Event()
        self.status = Status(set_at=1_700_000_000.0)

    # the Node's public API -----------------------------------------------------------------

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        with self._lock:
            self._subscribers.append(callback)
        self.subscribed.set()

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)
            self.unsubscribed.set()

        return unsubscribe

    def set_status(
        self, presence: Presence, text: str = "", *, emoji: str = "", until: float | None = None
    ) -> None:
        self.calls.append("set_status")
        if text == "boom":
            raise NodeError("the node refused: boom")
        self.status = Status(presence, text, emoji, until, time.time())
        self.emit(StatusChanged(at=time.time(), peer=ME, name="Ann", status=self.status, own=True))

    def clear_status(self) -> None:
        self.calls.append("clear_status")
        self.status = Status(set_at=time.time())

    def me(self) -> PeerView:
        return PeerView(
            id=ME,
            name="Ann",
            fingerprint=ME,
            online=True,
            status=self.status,
            last_seen=time.time(),
            first_seen=1_700_000_000.0,
            address="127.0.0.1",
            verified=True,
            own=True,
        )

    def peers(self) -> list[PeerView]:
        ben = PeerView(
            id=BEN,
            name="Ben",
            fingerprint=BEN,
            online=False,
            status=Status(Presence.BUSY, "In a call", "📞", 1_700_003_600.0, 1_700_000_000.0),
            last_seen=1_700_000_100.0,
            first_seen=1_600_000_000.0,
            address="127.0.0.2",
            verified=True,
        )
        return [self.me(), ben]

    def feed(self, limit: int = 50, *, questions: bool = False) -> list[FeedItem]:
        items = super().feed(limit, questions=questions)
        if not questions:
            items.append(
                FeedItem(
                    id=f"{BEN}:1:1",
                    type="status",
                    peer=BEN,
                    name="Ben",
                    at=1_700_000_000.0,
                    text="In a call",
                    presence=Presence.BUSY,
                    emoji="📞",
                )
            )
        return items[:limit]

    # for the tests -------------------------------------------------------------------------

    def emit(self, event: Event) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            callback(event)
