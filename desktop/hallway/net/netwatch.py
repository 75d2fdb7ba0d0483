"""What tells the engine that the network changed: the kernel's address and link changes
(rtnetlink) and logind's PrepareForSleep signal (the system bus, through jeepney).

Both are sockets that the engine's loop polls next to its zmq sockets, so nothing here runs on a
thread of its own and nothing touches engine state: `read()` drains what arrived and says what it
meant. A source that is not there (no netlink in a sandbox, no system bus in CI or in a
container) is skipped: `open()` returns None after one debug line.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import socket
import struct
from typing import Final, Literal

import msgspec

__all__ = ["AddressWatch", "NetChange", "SleepWatch", "parse_rtnetlink"]

log = logging.getLogger(__name__)

# <linux/rtnetlink.h>, <linux/netlink.h>, <linux/if_addr.h>, <linux/if.h>
RTMGRP_LINK: Final = 0x1
RTMGRP_IPV4_IFADDR: Final = 0x10
RTM_NEWLINK: Final = 16
RTM_DELLINK: Final = 17
RTM_NEWADDR: Final = 20
RTM_DELADDR: Final = 21
NLMSG_OVERRUN: Final = 4
IFA_ADDRESS: Final = 1
IFA_LOCAL: Final = 2
IFF_UP: Final = 0x1
IFF_LOOPBACK: Final = 0x8
IFF_RUNNING: Final = 0x40
_NLMSGHDR = struct.Struct("=IHHII")  # length, type, flags, seq, pid
_IFADDRMSG = struct.Struct("=BBBBI")  # family, prefixlen, flags, scope, index
_IFINFOMSG = struct.Struct("=BxHiII")  # family, type, index, flags, change
_RTATTR = struct.Struct("=HH")  # length, type
_RECV_SIZE = 65536

Kind = Literal["address_added", "address_removed", "link_up", "link_down", "overrun"]


class NetChange(msgspec.Struct, frozen=True):
    """One change the kernel reported. `address` is set for address changes (IPv4, dotted),
    `loopback` for loopback addresses and links, which Hallway never announces."""

    kind: Kind
    index: int = 0  # the interface's index
    address: str = ""
    loopback: bool = False


def _align(n: int) -> int:
    return (n + 3) & ~3


def _attributes(data: bytes, start: int, end: int) -> dict[int, bytes]:
    attrs: dict[int, bytes] = {}
    while start + _RTATTR.size <= end:
        length, kind = _RTATTR.unpack_from(data, start)
        if length < _RTATTR.size or start + length > end:
            break  # malformed: keep what was read so far
        attrs.setdefault(kind, data[start + _RTATTR.size : start + length])
        start += _align(length)
    return attrs


def parse_rtnetlink(data: bytes) -> list[NetChange]:
    """The IPv4 address and link changes in one datagram from an rtnetlink socket.

    Anything else (other families, other message types, a truncated tail) is skipped: the
    kernel is trusted, but a parser must never raise on the engine thread.
    """
    changes: list[NetChange] = []
    offset = 0
    while offset + _NLMSGHDR.size <= len(data):
        length, kind, _flags, _seq, _pid = _NLMSGHDR.unpack_from(data, offset)
        if length < _NLMSGHDR.size or offset + length > len(data):
            break
        body, end = offset + _NLMSGHDR.size, offset + length
        if kind in (RTM_NEWADDR, RTM_DELADDR) and body + _IFADDRMSG.size <= end:
            family, _prefix, _fl, _scope, index = _IFADDRMSG.unpack_from(data, body)
            attrs = _attributes(data, body + _IFADDRMSG.size, end)
            raw = attrs.get(IFA_LOCAL, attrs.get(IFA_ADDRESS, b""))
            if family == socket.AF_INET and len(raw) == 4:
                address = ipaddress.IPv4Address(raw)
                added = kind == RTM_NEWADDR
                changes.append(
                    NetChange(
                        "address_added" if added else "address_removed",
                        index,
                        str(address),
                        address.is_loopback,
                    )
                )
        elif kind in (RTM_NEWLINK, RTM_DELLINK) and body + _IFINFOMSG.size <= end:
            _family, _type, index, flags, _change = _IFINFOMSG.unpack_from(data, body)
            up = kind == RTM_NEWLINK and flags & (IFF_UP | IFF_RUNNING) == IFF_UP | IFF_RUNNING
            changes.append(
                NetChange("link_up" if up else "link_down", index, "", bool(flags & IFF_LOOPBACK))
            )
        elif kind == NLMSG_OVERRUN:
            changes.append(NetChange("overrun"))
        offset += _align(length)
    return changes


class AddressWatch:
    """The kernel's IPv4 address changes and link carrier changes, as an rtnetlink socket
    (RTMGRP_IPV4_IFADDR | RTMGRP_LINK) the engine polls.

    `read()` is True when something that may have cut or moved our connections happened: an
    IPv4 address of an interface other than loopback came or went, or such an interface's
    carrier came back (a cable plugged in again, Wi-Fi associated). Links report their flags
    again and again (statistics, other flags), so only a change to "running" counts.
    """

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self._sock = sock
        self._running: dict[int, bool] = {}

    @classmethod
    def open(cls) -> AddressWatch | None:
        """The watch, or None where rtnetlink is not available (not Linux, a sandbox)."""
        family = getattr(socket, "AF_NETLINK", None)
        if family is None:
            log.debug("no rtnetlink here: network changes are noticed by timeouts only")
            return None
        try:
            sock = socket.socket(family, socket.SOCK_RAW | socket.SOCK_CLOEXEC, 0)  # ROUTE
        except OSError as exc:
            log.debug("cannot open rtnetlink (%s): network changes are noticed by timeouts", exc)
            return None
        try:
            sock.bind((0, RTMGRP_LINK | RTMGRP_IPV4_IFADDR))
        except OSError as exc:
            sock.close()
            log.debug("cannot subscribe to rtnetlink (%s): network changes are noticed late", exc)
            return None
        return cls(sock)

    def fileno(self) -> int:
        return self._sock.fileno()

    def read(self) -> bool:
        """Drain the socket; whether the network changed in a way that matters to us."""
        changed = False
        while True:
            try:
                data = self._sock.recv(_RECV_SIZE)
            except BlockingIOError:
                return changed
            except OSError:  # ENOBUFS: the kernel dropped messages; anything may have changed
                changed = True
                continue
            if not data:
                return changed
            for change in parse_rtnetlink(data):
                changed = self._matters(change) or changed

    def _matters(self, change: NetChange) -> bool:
        if change.kind == "overrun":
            return True
        if change.loopback:
            return False
        if change.kind in ("address_added", "address_removed"):
            return True
        running = change.kind == "link_up"
        before = self._running.get(change.index)
        self._running[change.index] = running
        # A link first heard of as running was running already: nothing came back.
        return running and before is False

    def close(self) -> None:
        self._sock.close()


# logind -----------------------------------------------------------------------------------------

LOGIND: Final = "org.freedesktop.login1"
LOGIND_PATH: Final = "/org/freedesktop/login1"
LOGIND_MANAGER: Final = "org.freedesktop.login1.Manager"
DBUS_TIMEOUT: Final = 1.0
# Where the system bus is when DBUS_SYSTEM_BUS_ADDRESS does not say (the D-Bus specification's
# default, as jeepney reads it).
SYSTEM_BUS_SOCKET: Final = "/var/run/dbus/system_bus_socket"


class SleepWatch:
    """logind's PrepareForSleep signal on the system bus: True before the machine sleeps,
    False when it has woken up. The bus connection is set up with jeepney's blocking API (on a
    thread of the caller's choosing: it may wait up to DBUS_TIMEOUT twice), then its socket is
    handed to the engine's loop, which feeds what arrives to jeepney's parser."""

    def __init__(self, sock: socket.socket, parser: object | None = None) -> None:
        from jeepney.low_level import Parser

        sock.setblocking(False)
        self._sock = sock
        self._parser: Parser = parser if isinstance(parser, Parser) else Parser()
        self.closed = False

    @classmethod
    def connect(cls, timeout: float = DBUS_TIMEOUT) -> SleepWatch | None:
        """Subscribe to PrepareForSleep; None (one debug line) when there is no system bus,
        no jeepney, or the bus refuses. Without a system bus (a container, a server without
        D-Bus) jeepney is not even imported: 3.5 ms of a start and 0.2 MB kept for nothing."""
        if not os.environ.get("DBUS_SYSTEM_BUS_ADDRESS") and not os.path.exists(SYSTEM_BUS_SOCKET):
            log.debug("no system bus (%s): sleep is not watched", SYSTEM_BUS_SOCKET)
            return None
        try:
            from jeepney import MessageType, message_bus
            from jeepney.auth import AuthenticationError
            from jeepney.io.blocking import open_dbus_connection
        except ImportError as exc:  # jeepney is a Linux-only dependency
            log.debug("no jeepney (%s): waking from sleep is noticed by timeouts only", exc)
            return None
        errors = (OSError, KeyError, ValueError, TimeoutError, AuthenticationError)
        try:
            conn = open_dbus_connection(bus="SYSTEM", auth_timeout=timeout)
        except errors as exc:
            log.debug("no system bus (%s): waking from sleep is noticed by timeouts only", exc)
            return None
        try:
            reply = conn.send_and_get_reply(message_bus.AddMatch(sleep_rule()), timeout=timeout)
        except errors as exc:
            conn.close()
            log.debug("the system bus did not answer (%s): sleep is not watched", exc)
            return None
        if reply.header.message_type is MessageType.error:
            conn.close()
            log.debug("the system bus refused to watch logind: %s", reply.body)
            return None
        # The engine reads the socket from now on; jeepney's selector is no longer needed, and
        # its parser may already hold the start of a signal.
        conn.selector.close()
        return cls(conn.sock, conn.parser)

    def fileno(self) -> int:
        return self._sock.fileno()

    def read(self) -> list[bool]:
        """Drain the socket: the PrepareForSleep arguments received, in order. When the bus
        closes the connection, `closed` is set and the engine stops polling it."""
        while True:
            try:
                data = self._sock.recv(4096)
            except BlockingIOError:
                break
            except OSError:
                data = b""
            if not data:
                self.closed = True
                break
            self._parser.add_data(data)
        return self._signals()

    def _signals(self) -> list[bool]:
        seen: list[bool] = []
        while True:
            try:
                message = self._parser.get_next_message()
            except (ValueError, KeyError, struct.error) as exc:  # a broken stream: give up on it
                log.debug("unreadable message on the system bus: %r", exc)
                self.closed = True
                return seen
            if message is None:
                return seen
            going = prepare_for_sleep(message)
            if going is not None:
                seen.append(going)

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self._sock.close()


def sleep_rule() -> object:
    from jeepney import MatchRule

    return MatchRule(
        type="signal",
        sender=LOGIND,
        interface=LOGIND_MANAGER,
        member="PrepareForSleep",
        path=LOGIND_PATH,
    )


def prepare_for_sleep(message: object) -> bool | None:
    """The argument of a PrepareForSleep signal broadcast on the bus, or None for any other
    message. A signal sent to us alone (it has a destination) is not logind's broadcast: any
    client of the system bus may send one, so it is ignored."""
    from jeepney import HeaderFields, Message, MessageType

    if not isinstance(message, Message) or message.header.message_type is not MessageType.signal:
        return None
    fields = message.header.fields
    if (
        fields.get(HeaderFields.member) != "PrepareForSleep"
        or fields.get(HeaderFields.interface) != LOGIND_MANAGER
        or fields.get(HeaderFields.path) != LOGIND_PATH
        or HeaderFields.destination in fields
        or len(message.body) != 1
        or not isinstance(message.body[0], bool)
    ):
        return None
    return message.body[0]
