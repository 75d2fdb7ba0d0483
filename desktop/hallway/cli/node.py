"""`hallway node`: a headless instance that prints its events until SIGINT or SIGTERM.

Events arrive on the engine thread; it only puts them on a queue, and the main thread prints
them, so a slow or closed stdout can never block the engine. A signal turns into an exception in
the main thread, which then shuts down cleanly: BYE and the mDNS goodbye, so colleagues see this
node go offline at once.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hallway.cli.output import Style, event_line, message
from hallway.cli.signals import Terminate, ignore_signals, terminate_on_signals
from hallway.control.transport import encode_json
from hallway.runtime import Runtime

if TYPE_CHECKING:
    from hallway.engine.events import Event

__all__ = ["run_headless"]


def run_headless(
    home: Path,
    *,
    as_json: bool,
    start: Callable[[Callable[[Event], None]], Runtime] | None = None,
    name: str | None = None,
    office: str | None = None,
    passphrase: str | None = None,
    open_office: bool = False,
    interface: str | None = None,
    port: int = 0,
    peers: Sequence[str] = (),
) -> int:
    """Run until a signal (exit 0), or until the node stops on its own (exit 1)."""
    events = Outbox()
    style = Style(sys.stdout)

    def show(batch: list[Event]) -> None:
        """Events queued together go out in one write (a burst is one system call, not one
        per event: each wakes whoever reads us)."""
        if as_json:
            text = "".join(encode_json(event.to_json()).decode() + "\n" for event in batch)
        else:
            text = "".join(event_line(event.to_json(), style) + "\n" for event in batch)
        sys.stdout.write(text)
        sys.stdout.flush()

    def starter(on_event: Callable[[Event], None]) -> Runtime:
        return Runtime.start(
            home,
            name=name,
            office=office,
            passphrase=passphrase,
            open_office=open_office,
            interface=interface,
            port=port,
            peers=peers,
            on_event=on_event,
        )

    with terminate_on_signals():
        try:
            runtime = (start or starter)(events.put)
        except Terminate:
            return 0  # Runtime.start cleans up after itself
        status, broken = _loop(runtime, events, show)
    if not broken:
        broken = _drain(events, show)  # what happened while closing, `stopped` last
    if broken:
        _silence_stdout()
    return status


class Outbox:
    """Events on their way to stdout, at most `limit`: when the reader falls that far behind,
    the oldest go (counted, and said once), so a stalled pipe cannot grow the node's memory."""

    def __init__(self, limit: int = 10_000) -> None:
        self._items: deque[Event] = deque(maxlen=limit)
        self._ready = threading.Condition()
        self.dropped = 0

    def put(self, event: Event) -> None:
        with self._ready:
            if len(self._items) == self._items.maxlen:
                self.dropped += 1
            self._items.append(event)
            self._ready.notify()

    def get(self) -> list[Event]:
        """Every event waiting, oldest first; waits for one when there is none."""
        with self._ready:
            while not self._items:
                self._ready.wait()
            return self._take()

    def get_nowait(self) -> list[Event]:
        with self._ready:
            if not self._items:
                raise queue.Empty
            return self._take()

    def _take(self) -> list[Event]:
        batch = list(self._items)
        self._items.clear()
        return batch


def _loop(
    runtime: Runtime, events: Outbox, show: Callable[[list[Event]], None]
) -> tuple[int, bool]:
    """Print events until told to stop. Returns (exit status, whether stdout broke)."""
    told = 0
    try:
        while True:
            batch = events.get()
            if events.dropped > told:
                message(f"hallway: output is too slow; {events.dropped - told} events dropped")
                told = events.dropped
            show(batch)
            if any(event.type == "stopped" for event in batch):
                message("hallway: the node stopped unexpectedly")
                return 1, False
    except (Terminate, KeyboardInterrupt):
        return 0, False
    except BrokenPipeError:
        return 0, True  # whoever read our output is gone: stop, as `head` expects
    finally:
        ignore_signals()
        runtime.close()


def _drain(events: Outbox, show: Callable[[list[Event]], None]) -> bool:
    try:
        while True:
            show(events.get_nowait())
    except queue.Empty:
        return False
    except BrokenPipeError:
        return True


def _silence_stdout() -> None:
    # Python flushes stdout again at exit; on a closed pipe that prints an error. Point the
    # descriptor at /dev/null so that last flush goes nowhere.
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
