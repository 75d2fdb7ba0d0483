"""`hallway node`'s outbox: the printer takes every event waiting at once (one write for a
burst), oldest first, and a reader too slow loses the oldest, counted. Events go out directly
from the engine's thread while nothing waits, on a pipe writer that never blocks."""

from __future__ import annotations

import contextlib
import io
import os
import queue
import select
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

import pytest

from hallway.cli.node import Outbox, PipeWriter, run_headless
from hallway.engine import events as ev
from tests.support.signalling import signalled_once_blocked

MakeOutbox = Callable[..., Outbox]


@pytest.fixture
def make_outbox() -> Iterator[MakeOutbox]:
    made: list[Outbox] = []

    def make(**options: Any) -> Outbox:
        made.append(Outbox(**options))
        return made[-1]

    yield make
    for box in made:
        box.close()


def test_the_printer_takes_every_waiting_event_at_once_in_order(make_outbox: MakeOutbox) -> None:
    box = make_outbox()
    for at in (1.0, 2.0, 3.0):
        box.put(ev.Stopped(at=at))
    assert [event.at for event in box.get()] == [1.0, 2.0, 3.0]
    with pytest.raises(queue.Empty):
        box.get_nowait()
    box.put(ev.Stopped(at=4.0))
    assert [event.at for event in box.get_nowait()] == [4.0]


def test_a_full_outbox_drops_the_oldest_and_counts_them(make_outbox: MakeOutbox) -> None:
    box = make_outbox(limit=2)
    for at in (1.0, 2.0, 3.0):
        box.put(ev.Stopped(at=at))
    assert box.dropped == 1
    assert [event.at for event in box.get()] == [2.0, 3.0]


class Direct:
    """A direct writer that takes what it is told to, and notes it."""

    def __init__(self) -> None:
        self.takes = True
        self.written: list[float] = []

    def __call__(self, event: ev.Event) -> bool:
        if self.takes:
            self.written.append(event.at)
        return self.takes


def test_events_go_out_directly_while_nothing_waits_and_queue_behind_one_that_could_not(
    make_outbox: MakeOutbox,
) -> None:
    direct = Direct()
    box = make_outbox(direct=direct)
    box.put(ev.PeerOffline(at=1.0, peer="p", name="P", reason="bye"))
    assert direct.written == [1.0]
    with pytest.raises(queue.Empty):
        box.get_nowait()  # nothing for the printer: the main thread was not needed
    direct.takes = False  # a full pipe
    box.put(ev.PeerOffline(at=2.0, peer="p", name="P", reason="bye"))
    direct.takes = True
    box.put(ev.PeerOffline(at=3.0, peer="p", name="P", reason="bye"))  # must not overtake 2.0
    assert direct.written == [1.0]
    assert [event.at for event in box.get()] == [2.0, 3.0]
    box.put(ev.PeerOffline(at=4.0, peer="p", name="P", reason="bye"))  # 2.0 and 3.0 not yet out
    assert direct.written == [1.0]
    box.printed()
    assert [event.at for event in box.get_nowait()] == [4.0]
    box.printed()
    box.put(ev.PeerOffline(at=5.0, peer="p", name="P", reason="bye"))
    assert direct.written == [1.0, 5.0]


def test_stopped_always_reaches_the_main_thread_which_waits_for_it(make_outbox: MakeOutbox) -> None:
    direct = Direct()
    box = make_outbox(direct=direct)
    box.put(ev.Stopped(at=1.0))
    assert direct.written == []
    assert [event.type for event in box.get()] == ["stopped"]


def test_the_printer_waits_on_a_descriptor_that_an_event_from_another_thread_makes_readable(
    make_outbox: MakeOutbox,
) -> None:
    box = make_outbox()
    waited: list[int] = []

    def wait(fd: int, timeout: float | None) -> bool:
        assert timeout is None
        waited.append(fd)
        engine = threading.Thread(target=box.put, args=(ev.Stopped(at=1.0),))
        engine.start()
        select.select([fd], [], [])  # no timeout: it must become readable
        engine.join()
        return True

    assert [event.at for event in box.get(wait)] == [1.0]
    assert len(waited) == 1
    assert select.select([waited[0]], [], [], 0)[0] == []  # taken: nothing waits any more


def test_a_direct_writer_that_fails_leaves_the_event_to_the_printer(
    make_outbox: MakeOutbox,
) -> None:
    def broken(_event: ev.Event) -> bool:
        raise UnicodeEncodeError("ascii", "é", 0, 1, "cannot")

    box = make_outbox(direct=broken)
    box.put(ev.PeerOffline(at=1.0, peer="p", name="P", reason="bye"))
    assert [event.at for event in box.get()] == [1.0]


@pytest.fixture
def pipe() -> Iterator[tuple[int, TextIO]]:
    read_fd, write_fd = os.pipe()
    stream = os.fdopen(write_fd, "w", encoding="utf-8")
    try:
        yield read_fd, stream
    finally:
        stream.close()
        with contextlib.suppress(OSError):
            os.close(read_fd)


def test_a_pipe_writer_writes_whole_lines_and_never_waits_on_a_full_pipe(
    pipe: tuple[int, TextIO],
) -> None:
    read_fd, stream = pipe
    writer = PipeWriter.open(stream)
    assert writer is not None
    try:
        assert writer.write("héllo\n")
        assert os.read(read_fd, 100) == "héllo\n".encode()
        line = "x" * 1023 + "\n"
        written = 0
        while writer.write(line):  # a blocking write would hang here once the pipe is full
            written += len(line)
        assert written >= 4096  # a pipe holds at least a page
        assert os.get_blocking(stream.fileno())  # stdout's own description is left blocking
        data = b""
        while len(data) < written:
            data += os.read(read_fd, 65536)
        assert data == line.encode() * (written // len(line))  # whole lines only
        assert not writer.write("y" * (select.PIPE_BUF + 1))  # could not go whole: the printer's
    finally:
        writer.close()


def test_a_pipe_writer_whose_reader_is_gone_gives_the_event_back(pipe: tuple[int, TextIO]) -> None:
    read_fd, stream = pipe
    writer = PipeWriter.open(stream)
    assert writer is not None
    os.close(read_fd)
    assert not writer.write("anyone?\n")
    assert not writer.write("anyone?\n")  # closed now, asked again
    writer.close()


def test_only_pipes_get_a_pipe_writer(tmp_path: Path) -> None:
    with (tmp_path / "out.txt").open("w") as regular:
        assert PipeWriter.open(regular) is None
    assert PipeWriter.open(io.StringIO()) is None


class StoppedRuntime:
    """A node that stops as soon as it starts."""

    closed = False

    def close(self) -> None:
        self.closed = True


def test_a_node_started_with_stdout_closed_runs_and_prints_nowhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime = StoppedRuntime()

    def start(on_event: Callable[[ev.Event], None]) -> Any:
        on_event(ev.PeerOffline(at=1.0, peer="p", name="P", reason="bye"))
        on_event(ev.Stopped(at=2.0))
        return runtime

    monkeypatch.setattr(sys, "stdout", None)  # what Python gives `hallway node >&-`
    assert run_headless(tmp_path, as_json=True, start=start) == 1  # stopped on its own
    assert runtime.closed
    assert sys.stdout.name == os.devnull  # kept for the rest of the process: close it here
    sys.stdout.close()
    assert "the node stopped unexpectedly" in capsys.readouterr().err


class RunningRuntime:
    """A node that runs until closed."""

    closed = False

    def close(self) -> None:
        self.closed = True


def test_a_node_stops_on_a_sigterm_that_lands_just_before_it_waits(tmp_path: Path) -> None:
    # A signal that lands before the main thread's wait begins does not interrupt the wait:
    # the node must stop all the same.
    runtime = RunningRuntime()
    engine: list[Callable[[ev.Event], None]] = []

    def start(on_event: Callable[[ev.Event], None]) -> Any:
        engine.append(on_event)
        return runtime

    def stop() -> None:
        engine[0](ev.Stopped(at=1.0))  # the node stopping on its own: exit 1

    with signalled_once_blocked(signal.SIGTERM, stop, after=lambda: bool(engine)) as rescued:
        status = run_headless(tmp_path, as_json=True, start=start)
    assert not rescued.is_set(), "the node went on after SIGTERM"
    assert status == 0
    assert runtime.closed
