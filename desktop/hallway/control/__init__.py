"""The local control socket: how the CLI drives a running node or tray app.

JSON lines over an owner-only AF_UNIX socket in the home; see `hallway.control.protocol`.
The server (which needs the engine) loads on first use, so the client commands start fast.
"""

from __future__ import annotations

from hallway.control.client import ControlClient, EventStream
from hallway.control.transport import ControlError, NotRunning

TYPE_CHECKING = False  # typing's own would import typing: 11 ms of every client command
if TYPE_CHECKING:
    from typing import Any

    from hallway.control.server import ControlServer, NodeAPI

__all__ = ["ControlClient", "ControlError", "ControlServer", "EventStream", "NodeAPI", "NotRunning"]


def __getattr__(name: str) -> Any:
    if name in {"ControlServer", "NodeAPI"}:
        from hallway.control import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
