"""A hostile local user at the control socket: a listener of theirs in our place, or a client.

The kernel's SO_PEERCRED tells each end who is at the other; client and server both refuse a
process of another user, the client before it sends anything.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hallway.control import ControlClient, ControlError, ControlServer
from tests.unit.control.fake_node import FakeNode
from tests.unit.store.hostile import HOSTILE_LISTENER, NOBODY, require_root

# A client running as another user: it connects, asks for a post, and reports what came back. It
# drops to that user itself, since that user may not be able to reach the test's interpreter.
FOREIGN_CLIENT = """
import os, socket, sys
os.setgroups([])
os.setgid(int(sys.argv[2]))
os.setuid(int(sys.argv[2]))
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.settimeout(10)
sock.connect(sys.argv[1])
reply = b""
try:  # the server may hang up first
    sock.sendall(b'{"cmd": "post", "args": {"text": "from another user"}}\\n')
    reply = sock.recv(4096)
except (BrokenPipeError, ConnectionResetError):
    pass
print(f"reply {reply!r}", flush=True)
"""


@pytest.fixture
def hostile_listener(sock_dir: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    require_root()
    path = sock_dir / "control.sock"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOSTILE_LISTENER, os.fspath(path), str(NOBODY)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline() == "listening\n"
        yield path, proc
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def test_the_client_refuses_a_listener_of_another_user_before_sending(
    hostile_listener: tuple[Path, subprocess.Popen[str]],
) -> None:
    path, proc = hostile_listener
    client = ControlClient(path, timeout=5.0)
    with pytest.raises(ControlError) as info:
        client.request("post", text="the secret plan", urgent=False)
    message = str(info.value)
    assert f"refusing {path}: the program listening there runs as nobody (uid {NOBODY})" in message
    assert "nothing was sent to it" in message
    assert f"`rm {path}`" in message
    assert proc.stdout is not None
    assert proc.stdout.readline() == "captured 0 bytes\n"  # and the fake peer was never read


def test_ping_and_watch_refuse_it_too(
    hostile_listener: tuple[Path, subprocess.Popen[str]],
) -> None:
    path, proc = hostile_listener
    client = ControlClient(path, timeout=5.0)
    assert not client.ping()
    assert proc.stdout is not None
    assert proc.stdout.readline() == "captured 0 bytes\n"


def test_a_server_does_not_start_over_a_listener_of_another_user(
    hostile_listener: tuple[Path, subprocess.Popen[str]],
) -> None:
    path, _ = hostile_listener
    with pytest.raises(ControlError, match="a program of another user is listening"):
        ControlServer(path, FakeNode()).start()


def test_the_server_refuses_a_client_of_another_user(
    server: ControlServer, node: FakeNode, caplog: pytest.LogCaptureFixture
) -> None:
    require_root()
    # Let the other user reach the socket at all: the owner-only file is the first wall, and
    # this test is about the second.
    server.path.parent.chmod(0o711)
    server.path.chmod(0o666)
    with caplog.at_level(logging.WARNING, logger="hallway.control.server"):
        result = subprocess.run(
            [sys.executable, "-c", FOREIGN_CLIENT, os.fspath(server.path), str(NOBODY)],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    assert result.stdout == "reply b''\n"  # closed without a word
    assert node.posts == []
    assert "refused a connection from another user" in caplog.text
    assert ControlClient(server.path, timeout=5.0).ping()  # and it still serves its own user
