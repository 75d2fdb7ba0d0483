"""The control socket when its process has no file descriptors left (issue 9, item 2).

The attack held a node at its descriptor limit; its accept loop then spun, logging each failed
accept (814,724 lines), and `hallway peers` timed out. Here a control server runs in a child
whose limit is lowered and then filled, and the test checks that the loop backs off, logs once,
and answers all the same.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from hallway.control import ControlClient, ControlError
from hallway.control.accept import RESERVE, Acceptor
from hallway.control.protocol import decode_reply, encode_request
from tests.support.waiting import wait_until

SERVER = """
import logging, os, resource, sys
from pathlib import Path
from hallway.control import ControlServer
from tests.unit.control.fake_node import FakeNode

logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(levelname)s %(message)s")
server = ControlServer(Path(sys.argv[1]), FakeNode())
server.start()
_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
filler = []
try:
    while True:
        filler.append(os.open(os.devnull, os.O_RDONLY))
except OSError:
    pass
print("exhausted", flush=True)
sys.stdin.readline()
for fd in filler:
    os.close(fd)
print("freed", flush=True)
sys.stdin.readline()
server.close()
"""

OUT_OF_FDS = "WARNING control socket: out of file descriptors"
LONGEST_WAIT = "next accept in 1.00 s"
BACK_OFF = ["0.01", "0.02", "0.04", "0.08", "0.16", "0.32", "0.64", "1.00"]  # as logged


class Child:
    def __init__(self, sock_dir: Path) -> None:
        self.path = sock_dir / "control.sock"
        self.log = sock_dir / "stderr.log"
        with self.log.open("w") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", SERVER, os.fspath(self.path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                cwd=Path(__file__).parents[3],  # `tests` importable, for the fake node
            )

    def say(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def hear(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def stderr(self) -> str:
        return self.log.read_text()


@pytest.fixture
def child(sock_dir: Path) -> Iterator[Child]:
    started = Child(sock_dir)
    try:
        yield started
    finally:
        if started.proc.poll() is None:
            started.proc.kill()
        started.proc.wait()
        for pipe in (started.proc.stdin, started.proc.stdout):
            if pipe is not None:
                pipe.close()


def ping_line() -> bytes:
    return encode_request("ping", {})


def connect(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(15.0)
    sock.connect(os.fspath(path))
    return sock


def reply_of(sock: socket.socket) -> dict[str, object]:
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(4096)
        assert chunk, f"the server hung up; it said {data!r}"
        data += chunk
    reply = decode_reply(data)
    assert reply.ok, reply.error
    assert isinstance(reply.result, dict)
    return reply.result


def test_the_control_socket_answers_without_spinning_when_fds_run_out(child: Child) -> None:
    assert child.hear() == "exhausted"
    client = ControlClient(child.path, timeout=15.0)

    # No descriptor is left, yet a request is served, on the one held in reserve.
    assert client.request("ping")["pid"] == child.proc.pid
    # A watch needs descriptors of its own (a pipe): it is refused with a reason, not dropped.
    with pytest.raises(ControlError, match="cannot watch right now: Too many open files"):
        client.watch()

    # Hold the reserve with connections that stay open, and queue another one behind them.
    holders = [connect(child.path) for _ in range(RESERVE)]
    for holder in holders:
        holder.sendall(ping_line())
        assert reply_of(holder)["pid"] == child.proc.pid
    waiting = connect(child.path)
    waiting.sendall(ping_line())

    # The loop backs off, doubling its wait up to a second, instead of spinning. The waits it
    # logged are checked, not how many: the loop keeps trying once a second for as long as this
    # process takes to get here, so a count would measure this process's speed.
    wait_until(lambda: LONGEST_WAIT in child.stderr(), 30.0, "the accept loop to back off")
    log = child.stderr()
    delays = re.findall(r"next accept in (\d+\.\d\d) s", log)
    assert delays[: len(BACK_OFF)] == BACK_OFF, log
    assert set(delays[len(BACK_OFF) :]) <= {"1.00"}, log
    # ...and says so once.
    assert log.count(OUT_OF_FDS) == 1, log

    # As soon as a descriptor is free, the waiting connection is served.
    holders.pop().close()
    assert reply_of(waiting)["pid"] == child.proc.pid
    waiting.close()
    for holder in holders:
        holder.close()

    child.say("free")
    assert child.hear() == "freed"
    assert client.request("ping")["pid"] == child.proc.pid
    with client.watch():
        pass
    wait_until(lambda: "file descriptors are available again" in child.stderr(), 10.0, "recovery")
    child.say("stop")
    assert child.proc.wait(timeout=30) == 0
    assert child.stderr().count(OUT_OF_FDS) == 1
    assert "Traceback" not in child.stderr()


class ExhaustedListener:
    """A listener whose first `failures` accepts fail for want of descriptors (all, by default)."""

    def __init__(self, failures: int | None = None) -> None:
        self.accepts = 0
        self.failures = failures
        self.accepted: list[socket.socket] = []

    def accept(self) -> tuple[socket.socket, object]:
        self.accepts += 1
        if self.failures is None or self.accepts <= self.failures:
            raise OSError(errno.EMFILE, os.strerror(errno.EMFILE))
        ours, theirs = socket.socketpair()
        self.accepted.append(theirs)
        return ours, None


def test_the_back_off_doubles_up_to_a_second_and_the_log_comes_once_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = 0.0
    listener = ExhaustedListener()
    acceptor = Acceptor(cast(socket.socket, listener), clock=lambda: now)
    delays = []
    with caplog.at_level(logging.WARNING, logger="hallway.control.server"):
        for _ in range(10):
            assert acceptor.accept() is None
            delays.append(acceptor.delay)
        assert caplog.text.count("out of file descriptors") == 1
        now = 61.0
        assert acceptor.accept() is None
    acceptor.close()
    assert delays == [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.0, 1.0, 1.0]
    # Each call: one accept, then one on each spare in turn, as if another thread took each first.
    assert listener.accepts == 11 * (1 + RESERVE)
    assert caplog.text.count("out of file descriptors") == 2
    assert "(Too many open files, 10 failed accepts)" in caplog.text  # the second report


@pytest.mark.parametrize("stolen", range(RESERVE))
def test_a_spare_taken_by_another_thread_is_followed_by_the_next(
    caplog: pytest.LogCaptureFixture, stolen: int
) -> None:
    # Another thread took the number freed for each of the first `stolen` retries.
    listener = ExhaustedListener(failures=1 + stolen)
    acceptor = Acceptor(cast(socket.socket, listener))
    with caplog.at_level(logging.WARNING, logger="hallway.control.server"):
        sock = acceptor.accept()
    assert sock is not None
    assert acceptor.delay == 0.0
    sock.close()
    listener.accepted[0].close()
    acceptor.close()


def test_when_every_spare_is_taken_the_loop_backs_off(caplog: pytest.LogCaptureFixture) -> None:
    listener = ExhaustedListener(failures=1 + RESERVE)
    acceptor = Acceptor(cast(socket.socket, listener))
    with caplog.at_level(logging.WARNING, logger="hallway.control.server"):
        assert acceptor.accept() is None
        assert acceptor.delay == 0.01
        sock = acceptor.accept()  # the next call has its reserve back, and the flood ended
    assert sock is not None
    assert listener.accepts == 2 + RESERVE
    sock.close()
    listener.accepted[0].close()
    acceptor.close()
