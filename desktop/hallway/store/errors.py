"""The errors of hallway.store. Messages name the file and say what to do."""

from __future__ import annotations

import os

from hallway.core.errors import HallwayError

TYPE_CHECKING = False  # typing's own would import typing: 11 ms of every client command
if TYPE_CHECKING:
    from pathlib import Path  # a client command's paths are strs: see hallway.store.home


class StoreError(HallwayError):
    """Local storage could not be used: the database, the config file or the home."""

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None) -> None:
        super().__init__(message)
        self.path = path


class UnsafeHome(StoreError):  # noqa: N818 -- reads as a state, like HomeBusy
    """A home, or a file in it, that another user owns or can change: Hallway will not use it.

    The message names the path and gives the command that makes it safe again.
    """


class ConfigError(StoreError):
    """config.toml is unreadable, malformed or invalid. The file is left as it is."""


class HomeBusy(StoreError):  # noqa: N818 -- reads as a state, like BlockingIOError's kin
    """Another process holds the lock of this home: one running instance per home."""

    def __init__(self, home: Path, pid: int | None) -> None:
        who = f"pid {pid}" if pid is not None else "pid unknown"
        super().__init__(f"Hallway is already running for home {home} ({who})", home)
        self.home = home
        self.pid = pid
