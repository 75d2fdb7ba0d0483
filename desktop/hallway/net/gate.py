"""Connections to a bound socket that have not proven membership: capped, and dropped if slow.

libzmq accepts every TCP connection and keeps it while the peer holds it, and the ROUTER admits
any CURVE key (only a HELLO with a valid proof is answered). So an outsider can hold thousands of
connections, one descriptor each, until the process has none left. The gate watches the socket's
monitor: EVENT_ACCEPTED carries the connection's descriptor, from which getpeername() gives the
source address, and EVENT_DISCONNECTED the same descriptor when it goes. A connection is unproven
until the engine says otherwise (`prove`, with the descriptor a message came from, ZMQ_SRCFD).
Unproven connections are capped per source address and in total, and dropped when they have not
proven themselves within a few seconds.

libzmq has no way to close one connection of a bound socket. shutdown(2) on the descriptor does
it: the engine reads end-of-file, closes the connection and reports EVENT_DISCONNECTED. The call
goes to a duplicate of the descriptor whose addresses were checked to be the recorded ones, so a
descriptor that libzmq closed and reused meanwhile is never touched.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import math
import os
import socket
import struct
from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import Any, Final

import msgspec
import zmq

UNPROVEN_MAX: Final = 256  # in total, from all sources
UNPROVEN_PER_SOURCE: Final = 8
PROVE_WITHIN: Final = 5.0  # seconds; a member's HELLO comes within milliseconds of connecting
#: The PUB's connections, which say nothing to prove themselves: a member's SUB holds one each.
#: Only members' keys pass its handshake (ZAP), and libzmq drops one not done within 3 s.
SUBSCRIBERS_PER_SOURCE: Final = 32
_EVENTS: Final = zmq.EVENT_ACCEPTED | zmq.EVENT_DISCONNECTED
_DRAIN: Final = 4096  # events handled per call, so one flood cannot hold the loop for long
_names = itertools.count()

Address = tuple[Any, ...]


def monitor_event(head: bytes) -> tuple[int, int]:
    """A socket monitor message's first frame: its event and value (libzmq's zmq_socket_monitor).
    Parsed here rather than by zmq.utils.monitor, which imports zmq.asyncio and with it asyncio."""
    event, value = struct.unpack_from("=HI", head)
    return event, value


class Conn(msgspec.Struct):
    fd: int
    source: str
    peer: Address
    local: Address
    since: float
    key: bytes = b""  # set once proven


class ConnTable:
    """Which connections are open and proven, and which to drop. Pure: no I/O, a given clock."""

    def __init__(
        self,
        *,
        total: int = UNPROVEN_MAX,
        per_source: int = UNPROVEN_PER_SOURCE,
        within: float = PROVE_WITHIN,
    ) -> None:
        self.total = total
        self.per_source = per_source
        self.within = within
        self.conns: dict[int, Conn] = {}
        self.unproven: OrderedDict[int, Conn] = OrderedDict()  # oldest first
        self.by_source: Counter[str] = Counter()  # unproven connections per source
        self.by_key: dict[bytes, int] = {}  # a proven key's connection

    def accepted(self, conn: Conn) -> list[Conn]:
        """Record a new connection; return the ones to drop (maybe this one)."""
        self.gone(conn.fd)  # a descriptor reported again: its old connection is gone
        if self.by_source[conn.source] >= self.per_source:
            return [conn]
        drop = []
        if len(self.unproven) >= self.total:
            # Full: the source holding most gives up its oldest, so one that holds few (a
            # newcomer) always gets in and an attacker's own connections make the room.
            source = max(self.by_source, key=lambda s: self.by_source[s])
            oldest = next(c for c in self.unproven.values() if c.source == source)
            self.gone(oldest.fd)
            drop.append(oldest)
        self.conns[conn.fd] = conn
        self.unproven[conn.fd] = conn
        self.by_source[conn.source] += 1
        return drop

    def gone(self, fd: int) -> None:
        conn = self.conns.pop(fd, None)
        if conn is None:
            return
        if self.unproven.pop(fd, None) is not None:
            self.by_source[conn.source] -= 1
            if not self.by_source[conn.source]:
                del self.by_source[conn.source]
        if conn.key and self.by_key.get(conn.key) == fd:
            del self.by_key[conn.key]

    def prove(self, fd: int, key: bytes) -> Conn | None:
        """A member spoke on `fd`. Return the key's previous connection, to drop: one each."""
        conn = self.conns.get(fd)
        if conn is None or conn.key == key:
            return None
        if self.unproven.pop(fd, None) is not None:
            self.by_source[conn.source] -= 1
            if not self.by_source[conn.source]:
                del self.by_source[conn.source]
        conn.key = key
        previous = self.by_key.get(key)
        self.by_key[key] = fd
        old = self.conns.get(previous) if previous is not None else None
        if old is not None:
            self.gone(old.fd)
        return old

    def unproven_conn(self, fd: int) -> Conn | None:
        return self.unproven.get(fd)

    def expired(self, now: float) -> list[Conn]:
        out = []
        for conn in self.unproven.values():
            if now < conn.since + self.within:
                break
            out.append(conn)
        for conn in out:
            self.gone(conn.fd)
        return out

    def deadline(self) -> float | None:
        for conn in self.unproven.values():
            return conn.since + self.within if self.within != math.inf else None
        return None


class Gate:
    """The connection table of one bound socket, fed by its monitor. Engine thread only."""

    def __init__(
        self,
        ctx: zmq.Context[zmq.Socket[bytes]],
        sock: zmq.Socket[bytes],
        clock: Callable[[], float],
        table: ConnTable | None = None,
    ) -> None:
        self.clock = clock
        self.table = table or ConnTable()
        self.dropped = 0
        self._sock = sock
        endpoint = f"inproc://hallway.gate.{os.getpid()}.{next(_names)}"
        sock.monitor(endpoint, _EVENTS)
        # Our end takes every event (no high-water mark): a lost EVENT_ACCEPTED would be a
        # connection the gate never caps.
        self.socket: zmq.Socket[bytes] = ctx.socket(zmq.PAIR)
        self.socket.setsockopt(zmq.RCVHWM, 0)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(endpoint)

    def handle(self) -> None:
        """Read pending monitor events (the socket is readable)."""
        for _ in range(_DRAIN):
            try:
                head, _endpoint = self.socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            event, fd = monitor_event(head)
            if event == zmq.EVENT_ACCEPTED:
                self._accepted(fd)
            elif event == zmq.EVENT_DISCONNECTED:
                self.table.gone(fd)

    def _accepted(self, fd: int) -> None:
        addresses = _addresses(fd)
        if addresses is None:
            return  # already closed again
        peer, local = addresses
        conn = Conn(fd=fd, source=str(peer[0]), peer=peer, local=local, since=self.clock())
        for victim in self.table.accepted(conn):
            self._drop(victim)

    def prove(self, frame: zmq.Frame, key: bytes) -> None:
        """The message in `frame` proved its sender a member (a valid HELLO, or a known key)."""
        with contextlib.suppress(zmq.ZMQError):
            old = self.table.prove(frame.get(zmq.SRCFD), key)
            if old is not None:
                self._drop(old)

    def refuse(self, frame: zmq.Frame) -> None:
        """Drop the unproven connection `frame` came from (it failed to prove membership)."""
        with contextlib.suppress(zmq.ZMQError):
            conn = self.table.unproven_conn(frame.get(zmq.SRCFD))
            if conn is not None:
                self.table.gone(conn.fd)
                self._drop(conn)

    def forget(self, key: bytes) -> None:
        """`key` is no member of ours any more (it never answered): drop its connection."""
        fd = self.table.by_key.get(key)
        conn = self.table.conns.get(fd) if fd is not None else None
        if conn is not None:
            self.table.gone(conn.fd)
            self._drop(conn)

    def expire(self) -> None:
        for conn in self.table.expired(self.clock()):
            self._drop(conn)

    def deadline(self) -> float | None:
        return self.table.deadline()

    def _drop(self, conn: Conn) -> None:
        self.dropped += 1
        shutdown(conn.fd, conn.peer, conn.local)

    def close(self) -> None:
        with contextlib.suppress(zmq.ZMQError):
            self._sock.disable_monitor()
        self.socket.close(linger=0)


def subscriber_gate(
    ctx: zmq.Context[zmq.Socket[bytes]],
    pub: zmq.Socket[bytes],
    clock: Callable[[], float],
    links: int,
) -> Gate:
    """The PUB's gate: connections capped per source and in total (room for `links` members
    and as many more in handshakes), never expired (a member's SUB stays for as long as it is
    linked). When full, the source holding most makes room, so members elsewhere keep theirs."""
    table = ConnTable(total=links + UNPROVEN_MAX, per_source=SUBSCRIBERS_PER_SOURCE,
                      within=math.inf)  # fmt: skip
    return Gate(ctx, pub, clock, table)


def _addresses(fd: int) -> tuple[Address, Address] | None:
    try:
        sock = socket.socket(fileno=fd)
    except OSError:
        return None
    try:
        return sock.getpeername(), sock.getsockname()
    except OSError:
        return None
    finally:
        sock.detach()  # the descriptor stays libzmq's


def shutdown(fd: int, peer: Address, local: Address) -> None:
    """Make libzmq drop the connection on `fd` if it is still the one between these addresses."""
    try:
        dup: int | None = os.dup(fd)
    except OSError as exc:
        if exc.errno not in (errno.EMFILE, errno.ENFILE):
            return  # closed already
        dup = None  # no descriptor to spare: act on libzmq's own, checked just before
    try:
        sock = socket.socket(fileno=fd if dup is None else dup)
    except OSError:
        if dup is not None:
            os.close(dup)
        return
    try:
        if (sock.getpeername(), sock.getsockname()) == (peer, local):
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # gone meanwhile
    finally:
        if dup is None:
            sock.detach()
        else:
            sock.close()
