"""A zmq.Poller whose cost per wake-up does not grow with the number of sockets.

`zmq_poll` asks every socket it is given for its events (`ZMQ_EVENTS`: a `poll(2)` of the
socket's mailbox, and a `getpid`) before it sleeps and again when it wakes. The engine polls
three sockets per peer, so at 25 peers every wake-up, a heartbeat or an update, cost some 320
system calls, in a thread that woke for one message.

Here each socket's mailbox descriptor (`ZMQ_FD`) sits in one epoll set, and only the sockets
whose descriptor fired are asked for their events. That descriptor is edge-like: it signals when
commands reach the mailbox, and any call on the socket that takes commands in (send, recv, bind,
connect and their undoing) may leave a message waiting with nothing signalled. So before it
sleeps the poller asks again the sockets it returned last time (their handlers may stop before
`EAGAIN`) and those such a call was made on since: the sockets of a `TrackingContext` note those
calls themselves. A handler that ends with `Poller.more` (no message left) spares its socket
that question. Sockets of another context are asked every time. When a poll times out, which
happens at timers only, every socket is asked, at most once per SWEEP_EVERY (a busy engine's
timers, its batch written every 0.1 s, would otherwise ask 75 sockets at 25 peers each time): a
signal taken in by a way not seen here then costs a delay until a later timer, never a message.
That sweep is a safety net only: in a run of the network tests that noted every socket a sweep
found readable, no node's sweep found a message whose signal had gone unseen (each had come
while the sweep ran, its descriptor signalled), so it asks every 10 s, not every second
(docs/benchmarks.md, issue 13's seventh pass).
"""

from __future__ import annotations

import contextlib
import select
import time
from typing import Any

import zmq

__all__ = ["Poller", "TrackedSocket", "TrackingContext"]

# Plain ints: pyzmq's constants are enum flags, and `int & flag` builds a flag (~2 us).
_EVENTS = int(zmq.EVENTS)
_POLLIN = int(zmq.POLLIN)
SWEEP_EVERY = 10.0  # seconds: the least time between two polls that ask every socket


class TrackedSocket(zmq.Socket[Any]):
    """A socket that notes the calls after which its FD may not signal a waiting message."""

    _noted: set[Any] | None = None  # its context's set of touched sockets

    def _note(self) -> None:
        if self._noted is not None:
            self._noted.add(self)

    def send(self, *args: Any, **kwargs: Any) -> Any:
        self._note()
        return super().send(*args, **kwargs)

    def recv(self, *args: Any, **kwargs: Any) -> Any:
        self._note()
        return super().recv(*args, **kwargs)

    def bind(self, *args: Any, **kwargs: Any) -> Any:
        self._note()
        return super().bind(*args, **kwargs)

    def unbind(self, *args: Any, **kwargs: Any) -> None:
        self._note()
        super().unbind(*args, **kwargs)

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        self._note()
        return super().connect(*args, **kwargs)

    def disconnect(self, *args: Any, **kwargs: Any) -> None:
        self._note()
        super().disconnect(*args, **kwargs)


class TrackingContext(zmq.Context[Any]):
    """A context whose sockets (monitor sockets included) are `TrackedSocket`s."""

    _socket_class = TrackedSocket
    _touched: set[Any]

    def __init__(self) -> None:
        super().__init__()
        self._touched = set()

    def socket(self, socket_type: int, socket_class: Any = None, **kwargs: Any) -> Any:
        sock = super().socket(socket_type, socket_class, **kwargs)
        if isinstance(sock, TrackedSocket):
            sock._noted = self._touched
        return sock

    def settle(self, sock: Any) -> None:
        """`sock` was just found with no message waiting (see `Poller.more`)."""
        self._touched.discard(sock)

    def take_touched(self) -> set[Any]:
        """The sockets touched since the last call."""
        touched = set(self._touched)
        self._touched.clear()  # the one set every socket notes into
        return touched


class Poller(zmq.Poller):
    """`zmq.Poller`'s register/unregister/poll for POLLIN, over epoll (Linux).

    Results come in registration order, as zmq's do. Plain descriptors (ints, or objects with
    `fileno()`) are level-triggered as usual. Sockets must be unregistered before they are
    closed (as with zmq.Poller, which raises on a closed socket).
    """

    def __init__(self, ctx: zmq.Context[Any] | None = None) -> None:
        super().__init__()
        self._ctx = ctx if isinstance(ctx, TrackingContext) else None
        self._epoll = select.epoll()
        self._objects: dict[int, Any] = {}  # descriptor -> what was registered
        self._fds: dict[Any, int] = {}  # what was registered -> descriptor
        self._order: dict[Any, int] = {}
        self._serial = 0
        self._sockets: set[zmq.Socket[Any]] = set()
        self._untracked: set[zmq.Socket[Any]] = set()
        self._recheck: set[zmq.Socket[Any]] = set()
        self._swept = -SWEEP_EVERY  # time.monotonic() of the last poll that asked every socket

    def register(self, socket: Any, flags: int = zmq.POLLIN | zmq.POLLOUT) -> None:
        if flags & ~(zmq.POLLIN | zmq.POLLOUT | zmq.POLLERR):
            raise ValueError(f"unsupported poll flags: {flags}")
        if socket in self._fds:
            return  # POLLIN only: nothing to modify
        if isinstance(socket, zmq.Socket):
            fd = int(socket.getsockopt(zmq.FD))
            self._sockets.add(socket)
            if self._ctx is None or socket.context is not self._ctx:
                self._untracked.add(socket)
            self._recheck.add(socket)  # it may hold messages already
        else:
            fd = socket if isinstance(socket, int) else int(socket.fileno())
        self._epoll.register(fd, select.EPOLLIN)
        self._objects[fd], self._fds[socket] = socket, fd
        self._serial += 1
        self._order[socket] = self._serial

    def modify(self, socket: Any, flags: int = zmq.POLLIN | zmq.POLLOUT) -> None:
        self.register(socket, flags)

    def unregister(self, socket: Any) -> None:
        fd = self._fds.pop(socket)
        del self._objects[fd], self._order[socket]
        for group in (self._sockets, self._untracked, self._recheck):
            group.discard(socket)
        with contextlib.suppress(OSError):  # its descriptor is closed: epoll forgot it already
            self._epoll.unregister(fd)

    def close(self) -> None:
        self._epoll.close()

    def more(self, sock: zmq.Socket[Any]) -> bool:
        """Whether another message waits on `sock`, for a handler that reads a few at a time.

        Asking takes in the socket's pending commands. When none waits, every pipe of the socket
        was found empty, so the next message to reach one signals its descriptor: the next poll
        need not ask this socket again, as it would after a handler that stopped early. Cheaper
        than the `zmq.Again` of one more `recv`, which tells the same."""
        if _readable(sock):
            return True
        self._recheck.discard(sock)
        if self._ctx is not None and sock.context is self._ctx:
            self._ctx.settle(sock)
        return False

    def poll(self, timeout: int | None = None) -> list[tuple[Any, int]]:
        """What is readable now, else the first to become so within `timeout` ms (None or
        negative: no limit)."""
        check = self._recheck | self._untracked
        if self._ctx is not None:
            check |= self._ctx.take_touched() & self._sockets
        ready: set[Any] = {sock for sock in check if _readable(sock)}
        forever = timeout is None or timeout < 0
        deadline = 0.0 if forever else time.monotonic() + (timeout or 0) / 1000.0
        while True:
            if ready:
                wait = 0.0
            elif forever:
                wait = -1.0
            else:
                wait = max(0.0, deadline - time.monotonic())
            for fd, _ in self._epoll.poll(wait):
                obj = self._objects.get(fd)
                if obj is not None and (not isinstance(obj, zmq.Socket) or _readable(obj)):
                    ready.add(obj)
            if ready:
                break
            if wait == 0.0:  # timed out: ask everyone (see the module's docstring)
                now = time.monotonic()
                if now >= self._swept + SWEEP_EVERY:
                    self._swept = now
                    ready = {sock for sock in self._sockets if _readable(sock)}
                break
        self._recheck = {obj for obj in ready if isinstance(obj, zmq.Socket)}
        order = self._order
        return [(obj, _POLLIN) for obj in sorted(ready, key=order.__getitem__)]


def _readable(sock: zmq.Socket[Any]) -> bool:
    """Whether a message waits; takes in the socket's pending commands, which clears its FD."""
    return not sock.closed and bool(int(sock.getsockopt(_EVENTS)) & _POLLIN)
