"""The engine's poller (net/poller.py): epoll over the sockets' mailboxes, never a missed message.

Sockets talk over inproc only (no network). A message's signal on a socket's descriptor can be
taken in by another call on the socket (here `connect`, which processes the socket's commands
at once); the poller must still report the message.
"""

from __future__ import annotations

import os
import select
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import zmq

from hallway.net import poller as poller_module
from hallway.net.poller import SWEEP_EVERY, Poller, TrackedSocket, TrackingContext

Pair = Callable[[str], tuple[zmq.Socket[Any], zmq.Socket[Any]]]


@pytest.fixture(params=["tracking", "plain"])
def ctx(request: pytest.FixtureRequest) -> Iterator[zmq.Context[Any]]:
    """A context whose sockets note their calls, and a plain one (asked at every poll)."""
    made: zmq.Context[Any] = TrackingContext() if request.param == "tracking" else zmq.Context()
    yield made
    made.term()


@pytest.fixture
def pair(ctx: zmq.Context[Any]) -> Iterator[Pair]:
    """Two DEALERs over inproc, (sender, receiver); closed after the test."""
    made: list[zmq.Socket[Any]] = []

    def open_pair(name: str) -> tuple[zmq.Socket[Any], zmq.Socket[Any]]:
        receiver = ctx.socket(zmq.DEALER)
        sender = ctx.socket(zmq.DEALER)
        made.extend((receiver, sender))
        receiver.bind(f"inproc://{name}")
        sender.connect(f"inproc://{name}")
        return sender, receiver

    yield open_pair
    for sock in made:
        sock.close(linger=0)


def _signalled(sock: zmq.Socket[Any]) -> bool:
    return bool(select.select([int(sock.getsockopt(zmq.FD))], [], [], 0)[0])


def test_readable_sockets_come_in_registration_order(ctx: zmq.Context[Any], pair: Pair) -> None:
    a_out, a_in = pair("a")
    b_out, b_in = pair("b")
    poller = Poller(ctx)
    poller.register(b_in, zmq.POLLIN)
    poller.register(a_in, zmq.POLLIN)
    assert poller.poll(0) == []
    a_out.send(b"1")
    b_out.send(b"2")
    assert [sock for sock, _ in poller.poll(1000)] == [b_in, a_in]
    assert b_in.recv(zmq.NOBLOCK) == b"2"
    assert a_in.recv(zmq.NOBLOCK) == b"1"
    poller.close()


def test_a_message_whose_signal_another_call_took_is_still_reported(
    ctx: zmq.Context[Any], pair: Pair
) -> None:
    sender, receiver = pair("c")
    poller = Poller(ctx)
    poller.register(receiver, zmq.POLLIN)
    assert poller.poll(0) == []
    sender.send(b"hello")
    assert _signalled(receiver)
    receiver.connect("inproc://elsewhere")  # takes the socket's commands in, signal included
    assert not _signalled(receiver), "the test no longer takes the signal away"
    started = time.monotonic()
    assert poller.poll(5000) == [(receiver, zmq.POLLIN)]
    assert time.monotonic() - started < 1.0  # at once, not at the timeout
    assert receiver.recv(zmq.NOBLOCK) == b"hello"
    poller.close()


def test_a_socket_left_with_messages_is_reported_again(ctx: zmq.Context[Any], pair: Pair) -> None:
    sender, receiver = pair("d")
    poller = Poller(ctx)
    poller.register(receiver, zmq.POLLIN)
    sender.send(b"1")
    sender.send(b"2")
    assert poller.poll(1000) == [(receiver, zmq.POLLIN)]
    assert receiver.recv(zmq.NOBLOCK) == b"1"  # a handler that stops before EAGAIN
    assert poller.poll(0) == [(receiver, zmq.POLLIN)]
    assert receiver.recv(zmq.NOBLOCK) == b"2"
    assert poller.poll(0) == []
    poller.close()


def test_plain_descriptors_and_timeouts(ctx: zmq.Context[Any]) -> None:
    read, write = os.pipe()
    try:
        poller = Poller(ctx)
        poller.register(read, zmq.POLLIN)
        started = time.monotonic()
        assert poller.poll(50) == []
        assert time.monotonic() - started >= 0.04
        os.write(write, b"x")
        assert poller.poll(1000) == [(read, zmq.POLLIN)]
        os.read(read, 1)
        assert poller.poll(0) == []
        poller.close()
    finally:
        os.close(read)
        os.close(write)


def test_an_unregistered_socket_is_forgotten_and_may_be_closed(
    ctx: zmq.Context[Any], pair: Pair
) -> None:
    sender, receiver = pair("e")
    other_out, other_in = pair("f")
    poller = Poller(ctx)
    poller.register(receiver, zmq.POLLIN)
    poller.register(other_in, zmq.POLLIN)
    sender.send(b"gone")
    poller.unregister(receiver)
    receiver.close(linger=0)
    other_out.send(b"here")
    assert poller.poll(1000) == [(other_in, zmq.POLLIN)]
    with pytest.raises(KeyError):
        poller.unregister(receiver)
    poller.close()


def test_a_tracking_context_notes_the_calls_that_take_signals_in() -> None:
    ctx = TrackingContext()
    sock = ctx.socket(zmq.DEALER)
    monitor = sock.get_monitor_socket(zmq.EVENT_CONNECTED)
    try:
        assert isinstance(sock, TrackedSocket)
        assert isinstance(monitor, TrackedSocket)
        ctx.take_touched()
        sock.connect("inproc://nobody")
        sock.setsockopt(zmq.LINGER, 0)  # takes no commands in: not noted
        assert ctx.take_touched() == {sock}
        assert ctx.take_touched() == set()
        with pytest.raises(zmq.Again):
            monitor.recv(zmq.NOBLOCK)
        assert ctx.take_touched() == {monitor}
    finally:
        sock.disable_monitor()
        monitor.close(linger=0)
        sock.close(linger=0)
        ctx.term()


def test_a_timed_out_poll_asks_every_socket_at_most_once_per_sweep(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signal taken in by a call the poller cannot see is found when a poll times out, but
    not by every timeout: a busy engine's many short ones would ask every socket each time."""
    ctx = TrackingContext()
    try:
        now = [100.0]
        monkeypatch.setattr(poller_module, "time", SimpleNamespace(monotonic=lambda: now[0]))
        sender = ctx.socket(zmq.DEALER)
        receiver = ctx.socket(zmq.DEALER)
        receiver.bind("inproc://sweep")
        sender.connect("inproc://sweep")
        poller = Poller(ctx)
        poller.register(receiver, zmq.POLLIN)
        assert poller.poll(0) == []  # timed out: every socket asked
        sender.send(b"hello")
        assert _signalled(receiver)
        receiver.getsockopt(zmq.EVENTS)  # takes the signal in, unseen by the poller
        assert poller.poll(0) == []  # timed out again, within SWEEP_EVERY: not asked
        now[0] += SWEEP_EVERY
        assert poller.poll(0) == [(receiver, zmq.POLLIN)]
        assert receiver.recv(zmq.NOBLOCK) == b"hello"
        poller.close()
        sender.close(linger=0)
        receiver.close(linger=0)
    finally:
        ctx.term()


def test_a_socket_read_until_none_is_left_is_not_asked_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`more` tells a handler whether to read on; once nothing is left the socket's next message
    signals its descriptor, so the next poll need not ask it, and still reports that message."""
    ctx = TrackingContext()
    sender = ctx.socket(zmq.DEALER)
    receiver = ctx.socket(zmq.DEALER)
    poller = Poller(ctx)
    try:
        now = [100.0]  # no sweep after the first: only the descriptor can report a message
        monkeypatch.setattr(poller_module, "time", SimpleNamespace(monotonic=lambda: now[0]))
        asked: list[zmq.Socket[Any]] = []
        readable = poller_module._readable

        def counted(sock: zmq.Socket[Any]) -> bool:
            asked.append(sock)
            return readable(sock)

        monkeypatch.setattr(poller_module, "_readable", counted)
        receiver.bind("inproc://more")
        sender.connect("inproc://more")
        poller.register(receiver, zmq.POLLIN)
        assert poller.poll(0) == []  # timed out: the one sweep
        sender.send(b"1")
        sender.send(b"2")
        assert poller.poll(1000) == [(receiver, zmq.POLLIN)]
        assert receiver.recv(zmq.NOBLOCK) == b"1"
        assert poller.more(receiver)
        assert receiver.recv(zmq.NOBLOCK) == b"2"
        assert not poller.more(receiver)
        asked.clear()
        assert poller.poll(0) == []
        assert asked == []  # a handler that stopped early would have its socket asked
        sender.send(b"3")
        assert _signalled(receiver)
        assert poller.poll(0) == [(receiver, zmq.POLLIN)]
        assert receiver.recv(zmq.NOBLOCK) == b"3"
    finally:  # closed when it fails too: term() waits for every socket
        poller.close()
        sender.close(linger=0)
        receiver.close(linger=0)
        ctx.term()
