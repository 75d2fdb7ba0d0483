"""One `watch` connection's bounded event queue, fed from the engine thread."""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque

from hallway.engine.events import Event

__all__ = ["Watcher"]


class Watcher:
    """Events for one watcher, and a pipe that wakes the connection's thread when some arrive.

    `offer` runs on the engine thread: it never blocks and never raises. When the queue is full
    the watcher is marked `dropped` and its queue cleared, so it can never make the node grow.
    """

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._events: deque[Event] = deque()
        self._lock = threading.Lock()
        self._poked = False
        self._closed = False
        self.dropped = False
        self.stopping = False
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)

    def offer(self, event: Event) -> None:
        with self._lock:
            if self.dropped:
                return
            if len(self._events) >= self._maxsize:
                self.dropped = True
                self._events.clear()
            else:
                self._events.append(event)
        self.poke()

    def stop(self) -> None:
        """Ask the connection to flush what it holds and end."""
        self.stopping = True
        self.poke()

    def poke(self) -> None:
        with self._lock:
            if self._poked or self._closed:
                return
            self._poked = True
            with contextlib.suppress(OSError):  # a full pipe already holds a wake-up
                os.write(self.wake_w, b"\0")

    def take(self) -> list[Event]:
        """Everything queued so far; called by the connection's thread after a wake-up."""
        with contextlib.suppress(OSError):
            while os.read(self.wake_r, 512):
                pass
        with self._lock:
            self._poked = False
            events = list(self._events)
            self._events.clear()
        return events

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            os.close(self.wake_r)
            os.close(self.wake_w)
