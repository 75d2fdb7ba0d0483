"""Where the idle time and the screen lock come from, on Linux: no Qt, so it is tested alone.

Three sources, the first that answers wins (`find_idle_source`):
- `org.freedesktop.ScreenSaver` on the session bus: `GetActive` and its `ActiveChanged` signal
  (the screen is locked or blanked), and `GetSessionIdleTime` where offered (KDE; GNOME does not
  offer it). KDE's answers in milliseconds, whatever its name suggests.
- GNOME's `org.gnome.Mutter.IdleMonitor` (`GetIdletime`, milliseconds), on X11 and Wayland.
- the X11 MIT-SCREEN-SAVER extension (`XScreenSaverQueryInfo` from libXss, Debian's `libxss1`),
  through ctypes. Not under a Wayland session: XWayland sees only its own clients' input.
When the screen saver gives only the lock state, the idle time comes from the next source that
answers, and the lock state from the screen saver.

The D-Bus sources are in `idle_dbus` (jeepney, a Linux-only dependency); elsewhere only X11 is
tried.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys
from collections.abc import Callable, Mapping
from typing import Protocol

log = logging.getLogger(__name__)


class IdleSourceError(Exception):
    """A source stopped answering."""


class IdleSource(Protocol):
    """Idle time and lock state. `name` says which source it is, for people (Settings).
    `on_lock_change` is called (from any thread) when the lock state may have changed."""

    on_lock_change: Callable[[], None] | None

    @property
    def name(self) -> str: ...

    def idle_seconds(self) -> float: ...

    def locked(self) -> bool: ...

    def close(self) -> None: ...


class _XssInfo(ctypes.Structure):
    _fields_ = [
        ("window", ctypes.c_ulong),
        ("state", ctypes.c_int),
        ("kind", ctypes.c_int),
        ("til_or_since", ctypes.c_ulong),
        ("idle", ctypes.c_ulong),
        ("event_mask", ctypes.c_ulong),
    ]


def _library(name: str, fallback: str) -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library(name) or fallback)


class XssIdle:
    """The X server's idle time (milliseconds since the last input) through libXss."""

    def __init__(self, display: str | None = None) -> None:
        self._x11 = x11 = _library("X11", "libX11.so.6")
        self._xss = xss = _library("Xss", "libXss.so.1")
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x11.XDefaultRootWindow.restype = ctypes.c_ulong
        x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        x11.XFree.argtypes = [ctypes.c_void_p]
        xss.XScreenSaverQueryExtension.argtypes = [
            ctypes.c_void_p, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int)
        ]  # fmt: skip
        xss.XScreenSaverAllocInfo.restype = ctypes.POINTER(_XssInfo)
        xss.XScreenSaverQueryInfo.argtypes = [
            ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(_XssInfo)
        ]  # fmt: skip
        self._display = x11.XOpenDisplay(display.encode() if display else None)
        if not self._display:
            raise IdleSourceError("cannot open the X display")
        event, error = ctypes.c_int(), ctypes.c_int()
        if not xss.XScreenSaverQueryExtension(self._display, event, error):
            x11.XCloseDisplay(self._display)
            raise IdleSourceError("the X server has no MIT-SCREEN-SAVER extension")
        self._root = x11.XDefaultRootWindow(self._display)
        self._info = xss.XScreenSaverAllocInfo()

    def idle_seconds(self) -> float:
        if not self._display or not self._xss.XScreenSaverQueryInfo(
            self._display, self._root, self._info
        ):
            raise IdleSourceError("XScreenSaverQueryInfo failed")
        return float(self._info.contents.idle) / 1000

    def close(self) -> None:
        if self._display:
            self._x11.XFree(self._info)
            self._x11.XCloseDisplay(self._display)
            self._display = None


class X11Source:
    """X11's idle time alone (no lock state)."""

    name = "the X11 screen saver extension (libXss)"

    def __init__(self, xss: XssIdle) -> None:
        self.on_lock_change: Callable[[], None] | None = None
        self._xss = xss

    def idle_seconds(self) -> float:
        return self._xss.idle_seconds()

    def locked(self) -> bool:
        return False

    def close(self) -> None:
        self._xss.close()


def x11_idle(env: Mapping[str, str]) -> XssIdle | None:
    wayland = env.get("XDG_SESSION_TYPE") == "wayland" or bool(env.get("WAYLAND_DISPLAY"))
    if not env.get("DISPLAY") or wayland:
        return None
    try:
        return XssIdle(env["DISPLAY"])
    except (OSError, IdleSourceError) as error:
        log.debug("no X11 idle time: %s", error)
        return None


def find_idle_source(env: Mapping[str, str] = os.environ) -> IdleSource | None:
    """The first source that answers (see the module's docstring), or None. May take a second:
    call it off the GUI thread."""
    if sys.platform in ("win32", "darwin"):
        return None
    try:
        from hallway.ui.idle_dbus import find_bus_source
    except ImportError as error:  # no jeepney
        log.info("no D-Bus idle sources (%s)", error)
        xss = x11_idle(env)
        return X11Source(xss) if xss is not None else None
    return find_bus_source(lambda: x11_idle(env))
