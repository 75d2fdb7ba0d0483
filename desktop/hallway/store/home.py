"""Homes: the directory that holds everything of one instance, and its one-instance lock.

Several instances run side by side on one machine, each with its own home (the tests and the demo
rely on it), so every path here derives from the home and nothing is global.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

import platformdirs

from hallway.store.errors import HomeBusy, StoreError

HOME_ENV = "HALLWAY_HOME"
_APP = "hallway"


def resolve_home(arg: str | Path | None) -> Path:
    """The home: the `--home` argument, else `$HALLWAY_HOME`, else the platform's data dir.

    The directory is created owner-only when missing. An existing directory keeps its mode: the
    person chose it, and it may be shared with other files of theirs.
    """
    chosen = arg or os.environ.get(HOME_ENV) or platformdirs.user_data_dir(_APP)
    home = Path(chosen).expanduser().absolute()
    if not home.is_dir():
        try:
            home.mkdir(mode=0o700, parents=True, exist_ok=True)
            # mkdir's mode is filtered by the umask; make sure it is exactly owner-only.
            home.chmod(0o700)
        except OSError as exc:
            raise StoreError(f"cannot create the home {home}: {exc.strerror}", home) from exc
    return home


def control_socket_path(home: Path) -> Path:
    return home / "control.sock"


def database_path(home: Path) -> Path:
    return home / "hallway.db"


def config_path(home: Path) -> Path:
    return home / "config.toml"


def secrets_path(home: Path) -> Path:
    """The owner-only key fallback for machines without a keyring backend."""
    return home / "secrets.json"


def lock_path(home: Path) -> Path:
    return home / "lock"


class HomeLock:
    """An exclusive, non-blocking `flock` on `home/lock`, holding the owner's PID.

    `flock` rather than a PID file alone: the kernel drops the lock when the process dies, even by
    `kill -9`, so a stale lock never needs cleaning up. The file itself is never deleted, since
    unlinking a lock file races with a process that has just opened it.
    """

    def __init__(self, home: Path) -> None:
        self.home = home
        self.path = lock_path(home)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock or raise `HomeBusy` naming the holder's PID. Re-acquiring is a no-op."""
        if self._fd is not None:
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise StoreError(
                f"cannot open the lock {self.path}: {exc.strerror}", self.path
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise HomeBusy(self.home, pid) from None
        except OSError as exc:
            os.close(fd)
            raise StoreError(f"cannot lock {self.path}: {exc.strerror}", self.path) from exc
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as exc:
            os.close(fd)
            raise StoreError(f"cannot write to the lock {self.path}: {exc.strerror}") from exc
        self._fd = fd

    def release(self) -> None:
        """Drop the lock; idempotent."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        # Clear the PID first so nobody reads a stale one; closing the fd drops the flock.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)

    def __enter__(self) -> HomeLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    # The holder may have locked but not yet written its PID; then we cannot say who it is.
    try:
        raw = os.pread(fd, 32, 0)
        return int(raw.decode("ascii").strip())
    except (OSError, ValueError):
        return None
