"""`hallway node`: a headless instance that prints its events until SIGINT or SIGTERM.

Events arrive on the engine thread, and a slow or closed stdout must never block it. When stdout
is a pipe (a script reading `--json`), the engine thread writes each event itself, without
waiting: on a file description of its own opened non-blocking (`PipeWriter`), one line, which a
pipe takes whole or not at all. Anything it cannot write that way (a full pipe, a long line, any
other kind of stdout) goes on a queue that the main thread prints, and so does everything after
it until the queue is empty again, so the order holds. Waking the main thread for every event
cost it 0.2-0.3 ms of CPU per event, a fifth of what a node spent on an update at N = 25
(docs/benchmarks.md, issue 13's fifth pass).

A signal turns into an exception in the main thread, which then shuts down cleanly: BYE and the
mDNS goodbye, so colleagues see this node go offline at once.
"""

from __future__ import annotations

import contextlib
import os
import queue
import select
import stat
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from hallway.cli.output import Style, event_line, message
from hallway.cli.signals import Terminate, ignore_signals, terminate_on_signals
from hallway.control.transport import encode_json, wait_readable
from hallway.runtime import Runtime

if TYPE_CHECKING:
    from hallway.control.transport import WaitReadable
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
    if sys.stdout is None:  # started with stdout closed (`>&-`): the events go nowhere
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 -- for the rest of the process
    style = Style(sys.stdout)

    def render(batch: list[Event]) -> str:
        if as_json:
            return "".join(encode_json(event.to_json()).decode() + "\n" for event in batch)
        return "".join(event_line(event.to_json(), style) + "\n" for event in batch)

    def show(batch: list[Event]) -> None:
        """Events queued together go out in one write (a burst is one system call, not one
        per event: each wakes whoever reads us)."""
        sys.stdout.write(render(batch))
        sys.stdout.flush()

    sys.stdout.flush()  # nothing written before may come after a direct write
    pipe = PipeWriter.open(sys.stdout)
    events = Outbox(direct=None if pipe is None else lambda event: pipe.write(render([event])))

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

    try:
        with terminate_on_signals() as wait:
            try:
                runtime = (start or starter)(events.put)
            except Terminate:
                return 0  # Runtime.start cleans up after itself
            status, broken = _loop(runtime, events, show, wait)
        if not broken:
            broken = _drain(events, show)  # what happened while closing, `stopped` last
    finally:
        events.close()
        if pipe is not None:
            pipe.close()
    if broken:
        _silence_stdout()
    return status


class PipeWriter:
    """Writes to a pipe that never wait: on a file description of the pipe's own (Linux), opened
    non-blocking, so the O_NONBLOCK flag reaches neither stdout's description nor whoever shares
    it. A line no longer than PIPE_BUF goes whole or not at all."""

    def __init__(self, fd: int, encoding: str, errors: str) -> None:
        self._fd: int | None = fd
        self._encoding = encoding
        self._errors = errors

    @classmethod
    def open(cls, stream: TextIO) -> PipeWriter | None:
        """A writer for `stream` when it is a pipe that can be opened so; else None."""
        try:
            fd = stream.fileno()
            if not stat.S_ISFIFO(os.fstat(fd).st_mode):
                return None
            own = os.open(f"/proc/self/fd/{fd}", os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except (OSError, ValueError):  # not Linux, no /proc, or no reader left
            return None
        return cls(own, stream.encoding, stream.errors or "strict")

    def write(self, text: str) -> bool:
        """Write `text` whole now; False when it has to wait for the printer (a full pipe, a
        line too long to go whole, a pipe that broke: the printer's write then says so)."""
        if self._fd is None:
            return False
        data = text.encode(self._encoding, self._errors)
        if len(data) > select.PIPE_BUF:
            return False
        try:
            return os.write(self._fd, data) == len(data)
        except BlockingIOError:
            return False
        except OSError:  # broken: whoever reads us is gone, which the printer handles
            self.close()
            return False

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


class Outbox:
    """Events on their way to stdout, at most `limit`: when the reader falls that far behind,
    the oldest go (counted, and said once), so a stalled pipe cannot grow the node's memory.

    `direct`, when given, writes one event at once without waiting, or returns False. It is
    tried only while nothing is queued or being printed, so events leave in the order they came,
    and never for `stopped`, which the main thread waits for.

    The main thread waits on a descriptor (an eventfd, readable while events wait), not a lock:
    a wait on a descriptor is one that a signal can end however it is timed (`cli.signals`).
    """

    def __init__(
        self, limit: int = 10_000, *, direct: Callable[[Event], bool] | None = None
    ) -> None:
        self._items: deque[Event] = deque(maxlen=limit)
        self._lock = threading.Lock()
        self._waiting = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._direct = direct
        self._printing = False  # a batch taken by `get` is being written
        self.dropped = 0

    def put(self, event: Event) -> None:
        with self._lock:
            if not self._items:
                if (
                    self._direct is not None
                    and not self._printing
                    and event.type != "stopped"
                    and self._wrote(self._direct, event)
                ):
                    return
                os.eventfd_write(self._waiting, 1)
            elif len(self._items) == self._items.maxlen:
                self.dropped += 1
            self._items.append(event)

    @staticmethod
    def _wrote(direct: Callable[[Event], bool], event: Event) -> bool:
        try:
            return direct(event)
        except Exception:  # noqa: BLE001 -- the printer meets it again, in the main thread
            return False

    def get(self, wait: WaitReadable = wait_readable) -> list[Event]:
        """Every event waiting, oldest first; waits for one through `wait` when there is none.
        Until `printed`, later events queue behind these."""
        while True:
            with self._lock:
                if self._items:
                    self._printing = True
                    return self._take()
            wait(self._waiting, None)

    def printed(self) -> None:
        """The batch from `get` is written: events may go out directly again."""
        with self._lock:
            self._printing = False

    def get_nowait(self) -> list[Event]:
        with self._lock:
            if not self._items:
                raise queue.Empty
            return self._take()

    def close(self) -> None:
        with self._lock:
            fd, self._waiting = self._waiting, -1
        if fd >= 0:
            os.close(fd)

    def _take(self) -> list[Event]:
        os.eventfd_read(self._waiting)  # events were waiting: the descriptor was readable
        batch = list(self._items)
        self._items.clear()
        return batch


def _loop(
    runtime: Runtime, events: Outbox, show: Callable[[list[Event]], None], wait: WaitReadable
) -> tuple[int, bool]:
    """Print events until told to stop. Returns (exit status, whether stdout broke)."""
    told = 0
    try:
        while True:
            batch = events.get(wait)
            if events.dropped > told:
                message(f"hallway: output is too slow; {events.dropped - told} events dropped")
                told = events.dropped
            show(batch)
            events.printed()
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
