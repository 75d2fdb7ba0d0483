"""Homes: the directory that holds everything of one instance, and its one-instance lock.

Several instances run side by side on one machine, each with its own home (the tests and the demo
rely on it), so every path here derives from the home and nothing is global.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from types import TracebackType

from hallway.store.errors import HomeBusy, StoreError, UnsafeHome
from hallway.store.private import (
    check_ancestors,
    check_private_dir,
    fix_dir_mode,
    shell_quoted,
    user_name,
)

# What a client command uses here takes and gives plain strings (os.path): pathlib would bring
# fnmatch, ntpath and urllib.parse into every one. The helpers below for the files only a running
# instance opens (database_path, ...) keep Paths: their callers wrap the home in one.
TYPE_CHECKING = False  # typing's own would import typing: 11 ms of every client command
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Final

HOME_ENV = "HALLWAY_HOME"
_APP = "hallway"


# What Hallway keeps in a home. Under one of these names, a symbolic link or another user's file
# means someone else had a hand in the home (see hallway.store.private).
_HOME_FILES: Final = (
    "lock",
    "hallway.db",
    "hallway.db-wal",
    "hallway.db-shm",
    "hallway.db-journal",
    "config.toml",
    "secrets.json",
    "identity.pub",
    "control.sock",
)


def resolve_home(arg: str | os.PathLike[str] | None) -> str:
    """The home: the `--home` argument, else `$HALLWAY_HOME`, else the platform's data dir.

    An absolute path, user-expanded: `str(Path(chosen).expanduser().absolute())`.
    Nothing is created: a client command for a home where nothing runs must leave no trace (only
    what runs an instance makes its home, through `HomeLock`). A home that exists is checked with
    `check_home`, so no command ever trusts one that another user can change.
    """
    chosen = arg or os.environ.get(HOME_ENV) or _user_data_dir()
    home = _absolute(os.fspath(chosen))
    if os.path.lexists(home):
        check_home(home)
    return home


def _absolute(path: str) -> str:
    """`str(Path(path).expanduser().absolute())` without pathlib.

    Not `os.path.abspath`: that folds `link/..` into nothing where the kernel goes up from the
    link's target, and would name another directory than the one used. Like pathlib, this drops
    empty and `.` components and keeps `..`. A `~user` of nobody raises `StoreError`.
    """
    root, parts = _split(path)
    if not root and parts and parts[0].startswith("~"):
        expanded = os.path.expanduser(parts[0])
        if expanded.startswith("~"):  # pathlib raised RuntimeError: a traceback, not a message
            raise StoreError(
                f"cannot use the home {path}: {parts[0]} names no user's home directory here; "
                "give the path in full with --home or HALLWAY_HOME",
                path,
            )
        root, head = _split(expanded)
        parts = head + parts[1:]
    if not root:
        root, head = _split(os.getcwd())
        parts = head + parts
    return root + "/".join(parts)


def _split(path: str) -> tuple[str, list[str]]:
    # POSIX keeps a leading "//" apart (implementation-defined); three or more mean "/".
    rest = path.lstrip("/")
    slashes = len(path) - len(rest)
    root = "//" if slashes == 2 else "/" if slashes else ""
    return root, [part for part in rest.split("/") if part not in ("", ".")]


def _user_data_dir() -> str:
    """platformdirs' `user_data_dir("hallway")`.

    On Linux that is the XDG Base Directory rule: $XDG_DATA_HOME when it is an absolute path,
    else $HOME/.local/share. It is applied here because importing platformdirs costs a client
    command ~18 ms (tempfile, shutil with bz2 and lzma, random), as much as the rest of its
    start-up beyond Python's own, on the path every person takes (no --home, no HALLWAY_HOME).
    Whatever this rule does not settle (a relative or missing $HOME, Android, other systems)
    goes to platformdirs, so the answer stays platformdirs' (tests/unit/store/test_home.py).
    """
    if sys.platform == "linux" and not _maybe_android():
        base = os.environ.get("XDG_DATA_HOME", "")
        if not os.path.isabs(base):
            home = os.environ.get("HOME", "")
            base = os.path.join(home, ".local", "share") if os.path.isabs(home) else ""
        if base:
            return os.path.join(base, _APP)
    import platformdirs

    return platformdirs.user_data_dir(_APP)


def _maybe_android() -> bool:
    # platformdirs tells an Android app by these; there its data directory is the app's own.
    return hasattr(sys, "getandroidapilevel") or "ANDROID_DATA" in os.environ


def create_home(home: str | os.PathLike[str]) -> None:
    """Make `home` (owner-only) if it is missing, then `check_home` it.

    An existing directory keeps its mode as long as nobody else can write to it: the person chose
    it, and it may hold other files of theirs.
    """
    if not os.path.lexists(home):
        try:
            os.makedirs(home, mode=0o700, exist_ok=True)
            # mkdir's mode is filtered by the umask; make sure it is exactly owner-only.
            fix_dir_mode(home, 0o700)
        except OSError as exc:
            raise StoreError(f"cannot create the home {home}: {exc.strerror}", home) from exc
    check_home(home)


def check_home(home: str | os.PathLike[str]) -> None:
    """Raise `UnsafeHome` unless `home` and what Hallway keeps in it are ours alone.

    The home must belong to us and be writable by nobody else, no directory above it may let
    another user swap it, and none of Hallway's files in it may be a symbolic link or another
    user's. The message says how to fix it.
    """
    check_private_dir(home, "the home")
    check_ancestors(home)
    me = os.getuid()
    for name in _HOME_FILES:
        path = os.path.join(home, name)
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise StoreError(f"cannot use {path}: {exc.strerror}", path) from exc
        if stat.S_ISLNK(info.st_mode):
            raise UnsafeHome(
                f"{path} is a symbolic link; Hallway uses only files of its own in its home, so "
                "that nobody can point it at another file. Remove it "
                f"(`rm {shell_quoted(path)}`) and start again.",
                path,
            )
        if info.st_uid != me:
            raise UnsafeHome(
                f"{path} belongs to {user_name(info.st_uid)}, not to you: someone else put it "
                "there, and could read or change it. Remove it "
                f"(`rm {shell_quoted(path)}`) and start again.",
                path,
            )


def control_socket_path(home: str | os.PathLike[str]) -> str:
    return os.path.join(home, "control.sock")


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

    Acquiring it makes the home (`create_home`) if it is missing: whatever runs an instance takes
    this lock first (`init`, `node`, the tray app), and nothing else creates a home.

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
        create_home(self.home)
        try:
            # O_NOFOLLOW: a link planted here would make us truncate the file it points to.
            flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(self.path, flags, 0o600)
        except OSError as exc:
            raise StoreError(
                f"cannot open the lock {self.path}: {exc.strerror}", self.path
            ) from exc
        import fcntl  # here: a client command resolves a home but never locks it

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
