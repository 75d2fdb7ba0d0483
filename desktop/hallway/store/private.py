"""Checks that a directory or file is ours alone, so that no other local user can read or swap it.

Another user who owns a home, or can write to it, can read the office's posts through a file they
planted there (a 0666 `hallway.db-wal`), answer on `control.sock` in our place, or plant a
symbolic link that turns our writes (a chmod, a truncation) onto any file of ours. Every message
names the path and says how to make it safe again.
"""

from __future__ import annotations

import contextlib
import os
import stat

from hallway.store.errors import StoreError, UnsafeHome

# Paths are plain strings here (os.path): pathlib would bring fnmatch, ntpath and urllib.parse
# into every client command, which checks its home on every start.
TYPE_CHECKING = False  # typing's own would import typing: 11 ms of every client command
if TYPE_CHECKING:
    from typing import Final

__all__ = ["check_ancestors", "check_private_dir", "claim_file", "fix_dir_mode", "user_name"]

_OTHERS_WRITE: Final = stat.S_IWGRP | stat.S_IWOTH
_MAX_LINKS: Final = 40  # as the kernel allows (ELOOP)


def shell_quoted(path: str | os.PathLike[str]) -> str:
    """`path` as a shell command in a message writes it. shlex loads here, not with every
    client command (which checks its home on every start and says this only when refusing)."""
    import shlex

    return shlex.quote(os.fspath(path))


def _group_name(gid: int) -> str:
    with contextlib.suppress(KeyError):
        import grp  # a message's words: see shell_quoted

        return f"{grp.getgrgid(gid).gr_name} (gid {gid})"
    return f"gid {gid}"


def user_name(uid: int) -> str:
    with contextlib.suppress(KeyError):
        import pwd  # a message's words: see shell_quoted

        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    return f"uid {uid}"


def check_private_dir(path: str | os.PathLike[str], what: str) -> None:
    """Raise `UnsafeHome` unless `path` is a directory of ours that nobody else can write to.

    A directory that other people can read is fine: the files in it are owner-only.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        raise StoreError(f"cannot use {what} {path}: {exc.strerror}", path) from exc
    if not stat.S_ISDIR(info.st_mode):
        raise StoreError(f"{what} {path} is not a directory", path)
    me = os.getuid()
    if info.st_uid != me:
        raise UnsafeHome(
            f"{what} {path} belongs to {user_name(info.st_uid)}, not to you "
            f"({user_name(me)}): its owner could read and replace everything in it. Move it "
            f"aside (`mv {shell_quoted(path)} {shell_quoted(path)}.untrusted`) so that Hallway "
            "makes a new one, or choose another home with --home or HALLWAY_HOME.",
            path,
        )
    if info.st_mode & _OTHERS_WRITE:
        raise UnsafeHome(
            f"{what} {path} can be written by other users (mode "
            f"{stat.S_IMODE(info.st_mode):04o}), who could replace the files in it. Make it "
            f"yours alone with `chmod go-w {shell_quoted(path)}` and start again.",
            path,
        )


def check_ancestors(path: str | os.PathLike[str]) -> None:
    """Raise `UnsafeHome` if another user could swap `path`, or a directory on the way, for theirs.

    The path is walked as given, one component at a time, the way the kernel does: every directory
    that holds a component must be safe (`_check_holder`), and a component that is a symbolic link
    must be ours or root's (whoever owns it can remove it in a sticky directory and plant another),
    then its target is walked the same way. Checking only the real path would miss a link in a
    directory everyone may write to: anyone could point it at a home of their own.
    """
    todo = list(reversed(os.path.join(os.getcwd(), path).split("/")))
    here = "/"  # where the walk has reached: a real directory, no link in its path
    links = 0
    while todo:
        name = todo.pop()
        if name in ("", "."):
            continue
        if name == "..":
            here = os.path.dirname(here)
            continue
        _check_holder(here, path)
        entry = os.path.join(here, name)
        try:
            info = os.lstat(entry)
        except OSError as exc:
            message = f"cannot check {entry}, on the way to {path}: {exc.strerror}"
            raise StoreError(message, path) from exc
        if not stat.S_ISLNK(info.st_mode):
            here = entry
            continue
        if info.st_uid not in (0, os.getuid()):
            raise UnsafeHome(
                f"{entry}, on the way to {path}, is a symbolic link that belongs to "
                f"{user_name(info.st_uid)}, who could point it at a home of their own. Choose a "
                "home elsewhere with --home or HALLWAY_HOME.",
                path,
            )
        links += 1
        if links > _MAX_LINKS:
            raise StoreError(f"too many symbolic links on the way to {path}", path)
        target = os.readlink(entry)
        if target.startswith("/"):
            here = "/"
        todo.extend(reversed(target.split("/")))


def _check_holder(directory: str, path: str | os.PathLike[str]) -> None:
    """Raise `UnsafeHome` if someone other than us and root could rename entries of `directory`.

    Another user's directory is refused: its owner may do anything in it. So is one that everyone
    may write without the sticky bit (which is what keeps /tmp safe: only an entry's owner may
    rename it). A group-writable one is trusted if it is ours: a umask of 002 makes every
    directory we create so, and that setup goes with a private group of our own; refusing would
    turn away ordinary homes. Root's group-writable directories are refused: their group (staff,
    mail, a team) is other people, any of whom could swap our home.
    """
    me = os.getuid()
    try:
        info = os.lstat(directory)
    except OSError as exc:
        raise StoreError(
            f"cannot check {directory}, which holds {path}: {exc.strerror}", path
        ) from exc
    unsticky = not info.st_mode & stat.S_ISVTX
    if info.st_uid not in (0, me):
        who = user_name(info.st_uid)
    elif unsticky and info.st_mode & stat.S_IWOTH:
        who = "every user"
    elif unsticky and info.st_mode & stat.S_IWGRP and info.st_uid != me:
        who = f"the members of group {_group_name(info.st_gid)}"
    else:
        return
    raise UnsafeHome(
        f"{directory}, which holds {path}, can be changed by {who}, who could swap Hallway's "
        "files for their own. Choose a home elsewhere with --home or HALLWAY_HOME.",
        path,
    )


def fix_dir_mode(path: str | os.PathLike[str], mode: int) -> None:
    """Set a directory's mode without following a symbolic link put in its place."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def claim_file(path: str | os.PathLike[str], *, create: bool = False) -> os.stat_result | None:
    """Make sure `path` is a regular file of ours, owner-only; None if it does not exist.

    Never follows a symbolic link, and never opens the file for reading or writing once it exists:
    closing such a descriptor would drop the POSIX locks SQLite holds on it in this process. An
    O_PATH descriptor drops none, and /proc/self/fd/N lets chmod reach exactly the inode checked.
    With `create`, a missing file is made owner-only (O_EXCL: nobody else's file is ever reused).
    """
    try:
        if create:
            with contextlib.suppress(FileExistsError):
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
                os.close(os.open(path, flags, 0o600))
        fd = os.open(path, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot open {path}: {exc.strerror}", path) from exc
    try:
        info = os.fstat(fd)
        if stat.S_ISLNK(info.st_mode):
            raise UnsafeHome(
                f"{path} is a symbolic link; Hallway uses only files of its own there, so that "
                "nobody can point it at another file. Remove it "
                f"(`rm {shell_quoted(path)}`) and start again.",
                path,
            )
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeHome(f"{path} is not a regular file; move it out of the way", path)
        if info.st_uid != os.getuid():
            raise UnsafeHome(
                f"{path} belongs to {user_name(info.st_uid)}, not to you: someone else put it "
                "there, and could read or change it. Remove it "
                f"(`rm {shell_quoted(path)}`) and start again.",
                path,
            )
        if stat.S_IMODE(info.st_mode) != 0o600:
            os.chmod(f"/proc/self/fd/{fd}", 0o600)
    except OSError as exc:
        raise StoreError(f"cannot make {path} owner-only: {exc.strerror}", path) from exc
    finally:
        os.close(fd)
    return info
