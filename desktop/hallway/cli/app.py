"""Starting the tray app (`hallway` with no command), without importing Qt early.

`hallway.ui` is the only package that imports PySide6, and only once we know it can start: the
headless commands must work where Qt is not installed or no display exists. What is imported here
is what comes before the tray icon, so it is kept to that (the demo is `hallway.cli.demo_app`).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from hallway.cli.commands import client_for
from hallway.cli.output import message
from hallway.control.transport import UNSUPPORTED, ControlError, NotRunning
from hallway.core.errors import HallwayError, SetupError

__all__ = ["UiUnavailable", "load_ui", "run_tray"]

UiRun = Callable[..., int]
_HEADLESS_PLATFORMS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb", "wayland", "xcb")


class UiUnavailable(HallwayError):  # noqa: N818 -- a state, like HomeBusy
    """The tray app cannot start here: no PySide6, or no display."""


def load_ui() -> UiRun:
    """`hallway.ui.app.run`, or `UiUnavailable` saying why it cannot start."""
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM", "").startswith(_HEADLESS_PLATFORMS)
        and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    ):
        raise UiUnavailable("no graphical display was found (DISPLAY, WAYLAND_DISPLAY are unset)")
    try:
        from hallway.ui.app import run
    except ImportError as exc:
        raise UiUnavailable(f"the tray app needs PySide6, which failed to load: {exc}") from exc
    return run


def run_tray(home: str) -> int:
    """The tray app; a second launch brings the running one forward instead."""
    try:
        client_for(home).request("show")
    except NotRunning:
        pass
    except ControlError as exc:
        if exc.code == UNSUPPORTED:
            raise SetupError(
                f"a headless node (`hallway node`) is running for {home}; stop it to start the "
                "tray app there, or use the client commands (`hallway status`, ...) against it"
            ) from None
        raise
    else:
        message(f"Hallway is already running for {home}; its window is in front.")
        return 0
    try:
        run = load_ui()
    except UiUnavailable as exc:
        message(f"hallway: {exc}.\nRun `hallway node` for a headless node; see `hallway --help`.")
        return 1
    # What the tray app finds as it starts (notifications, the idle source, that it is up) is
    # said as `hallway-tray` says it; client commands stay quiet.
    root = logging.getLogger()
    root.setLevel(min(root.level, logging.INFO))
    return run(Path(home))
