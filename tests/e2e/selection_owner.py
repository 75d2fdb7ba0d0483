"""Print the X window that owns a selection, or 0 when nobody does.

A system tray is there for applications once it owns _NET_SYSTEM_TRAY_S0 (Qt's
`isSystemTrayAvailable` asks exactly that), which trayer may do after its panel is mapped.
Usage: python selection_owner.py SELECTION (with DISPLAY set).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys


def selection_owner(name: str) -> int:
    xlib = ctypes.cdll.LoadLibrary(ctypes.util.find_library("X11") or "libX11.so.6")
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XInternAtom.restype = ctypes.c_ulong
    xlib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    xlib.XGetSelectionOwner.restype = ctypes.c_ulong
    xlib.XGetSelectionOwner.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    display = xlib.XOpenDisplay(None)
    if not display:
        raise SystemExit("cannot open the X display (is DISPLAY set?)")
    try:
        return int(xlib.XGetSelectionOwner(display, xlib.XInternAtom(display, name.encode(), 0)))
    finally:
        xlib.XCloseDisplay(display)


if __name__ == "__main__":
    print(selection_owner(sys.argv[1]))
