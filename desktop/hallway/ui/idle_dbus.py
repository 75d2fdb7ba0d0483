"""The idle sources on the session bus (see `idle_sources`), spoken with jeepney as `dbus_notify`
does. A router thread receives the replies and `ActiveChanged`, and calls `on_lock_change` from
that thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
from collections.abc import Callable
from typing import Any, Final

from jeepney import DBusAddress, MatchRule, Message, MessageType, message_bus, new_method_call
from jeepney.auth import AuthenticationError
from jeepney.io.threading import DBusRouter, RouterClosed, open_dbus_connection

from hallway.ui.idle_sources import IdleSource, IdleSourceError, XssIdle

log = logging.getLogger(__name__)

#: How long a probe or a poll waits for the bus (it is local: an answer takes microseconds).
DBUS_TIMEOUT: Final = 0.5

SCREENSAVER: Final = DBusAddress(
    "/org/freedesktop/ScreenSaver",
    bus_name="org.freedesktop.ScreenSaver",
    interface="org.freedesktop.ScreenSaver",
)
MUTTER: Final = DBusAddress(
    "/org/gnome/Mutter/IdleMonitor/Core",
    bus_name="org.gnome.Mutter.IdleMonitor",
    interface="org.gnome.Mutter.IdleMonitor",
)


class _LockSignals(queue.Queue[Message]):
    """A router filter's queue that calls back instead of queueing (on the router's thread)."""

    def __init__(self, callback: Callable[[Message], None]) -> None:
        super().__init__()
        self._callback = callback

    def put_nowait(self, item: Message) -> None:
        self._callback(item)


class _Bus:
    """One session-bus connection with its receiving thread."""

    def __init__(self) -> None:
        self._conn = open_dbus_connection(bus="SESSION", auth_timeout=DBUS_TIMEOUT)
        self.router = DBusRouter(self._conn)

    def call(self, address: DBusAddress, method: str) -> tuple[Any, ...]:
        reply = self.router.send_and_get_reply(
            new_method_call(address, method), timeout=DBUS_TIMEOUT
        )
        if reply.header.message_type is MessageType.error:
            raise IdleSourceError(f"{method}: {reply.body}")
        return tuple(reply.body)

    def close(self) -> None:
        self.router.close()
        self._conn.close()
        # WORKAROUND: jeepney 0.8/0.9's threading connection never closes its interrupt pipe.
        for fd in (getattr(self._conn, "_stop_r", None), getattr(self._conn, "_stop_w", None)):
            if isinstance(fd, int):
                with contextlib.suppress(OSError):
                    os.close(fd)


class _Source:
    """An `IdleSource` made of an idle-time reader and, perhaps, the screen saver's lock."""

    def __init__(
        self,
        name: str,
        idle: Callable[[], float],
        *,
        bus: _Bus | None = None,
        lock: bool = False,
        closers: tuple[Callable[[], None], ...] = (),
    ) -> None:
        self.on_lock_change: Callable[[], None] | None = None
        self._name, self._idle, self._bus, self._closers = name, idle, bus, closers
        self._locked = False
        self._watch: Any = None
        if lock and bus is not None:
            (active,) = bus.call(SCREENSAVER, "GetActive")
            self._locked = bool(active)
            rule = MatchRule(type="signal", interface=SCREENSAVER.interface, member="ActiveChanged")
            bus.router.send_and_get_reply(message_bus.AddMatch(rule), timeout=DBUS_TIMEOUT)
            self._watch = bus.router.filter(rule, queue=_LockSignals(self._lock_changed))

    @property
    def name(self) -> str:
        return self._name

    def _lock_changed(self, message: Message) -> None:
        self._locked = bool(message.body[0])
        callback = self.on_lock_change
        if callback is not None:
            callback()

    def idle_seconds(self) -> float:
        try:
            return self._idle()
        except (OSError, TimeoutError, ValueError) as error:
            raise IdleSourceError(str(error)) from error

    def locked(self) -> bool:
        return self._locked

    def close(self) -> None:
        self.on_lock_change = None
        if self._watch is not None:
            self._watch.close()
        for close in self._closers:
            close()
        if self._bus is not None:
            self._bus.close()


_ProbeErrors: Final = (
    OSError,  # no socket, refused, reset, timeouts
    KeyError,  # no DBUS_SESSION_BUS_ADDRESS
    ValueError,  # an address jeepney cannot use
    AuthenticationError,
    RouterClosed,
    IdleSourceError,  # the service is not there (ServiceUnknown), or refused the call
)


def _open_bus() -> _Bus | None:
    try:
        return _Bus()
    except _ProbeErrors as error:
        log.debug("no session bus: %s", error)
        return None


def _answers(bus: _Bus | None, address: DBusAddress, method: str) -> bool:
    if bus is None:
        return False
    try:
        bus.call(address, method)
    except _ProbeErrors as error:
        log.debug("%s.%s does not answer: %s", address.interface, method, error)
        return False
    return True


def _bus_idle(bus: _Bus, address: DBusAddress, method: str) -> Callable[[], float]:
    return lambda: float(bus.call(address, method)[0]) / 1000


def find_bus_source(x11: Callable[[], XssIdle | None]) -> IdleSource | None:
    """The first source that answers, in `idle_sources`' order; `x11` opens the last."""
    bus = _open_bus()
    lock = _answers(bus, SCREENSAVER, "GetActive")
    try:
        if bus is not None and lock and _answers(bus, SCREENSAVER, "GetSessionIdleTime"):
            return _Source("the screen saver (org.freedesktop.ScreenSaver)",
                           _bus_idle(bus, SCREENSAVER, "GetSessionIdleTime"),
                           bus=bus, lock=True)  # fmt: skip
        if bus is not None and _answers(bus, MUTTER, "GetIdletime"):
            return _Source("GNOME's idle monitor (org.gnome.Mutter.IdleMonitor)",
                           _bus_idle(bus, MUTTER, "GetIdletime"), bus=bus, lock=lock)  # fmt: skip
        xss = x11()
        if xss is not None:
            if not lock and bus is not None:
                bus.close()
                bus = None
            return _Source("the X11 screen saver extension (libXss)", xss.idle_seconds,
                           bus=bus, lock=lock, closers=(xss.close,))  # fmt: skip
    except _ProbeErrors as error:
        log.info("no idle source after all: %s", error)
    if bus is not None:
        bus.close()
    return None
