"""The byte level of the control socket: path limits, bounded line reading, peer credentials."""

from __future__ import annotations

import os
import socket
import struct
from pathlib import Path
from typing import Final

from hallway.control.protocol import TOO_LARGE, ControlError

__all__ = [
    "SOCKET_PATH_MAX",
    "LineTooLongError",
    "check_socket_path",
    "peer_uid",
    "read_line",
    "same_user",
]

# sun_path is 108 bytes on Linux, including the terminating NUL (104 on the BSDs and macOS).
SOCKET_PATH_MAX: Final = 107


class LineTooLongError(ControlError):
    """A line outgrew its limit before its newline arrived."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request is larger than {limit} bytes", TOO_LARGE)
        self.limit = limit


def check_socket_path(path: Path) -> None:
    """Raise `ControlError` if `path` is too long to bind or connect an AF_UNIX socket to."""
    size = len(os.fsencode(path))
    if size > SOCKET_PATH_MAX:
        raise ControlError(
            f"the control socket path {path} is {size} bytes long, over the system's limit of "
            f"{SOCKET_PATH_MAX}; choose a home with a shorter path (--home or HALLWAY_HOME)"
        )


def read_line(sock: socket.socket, buffer: bytearray, limit: int) -> bytes | None:
    """The next line (with its newline) from `sock`, or None at the end of the stream.

    `buffer` carries what was read past the line to the next call. Raises `LineTooLongError` once a
    line outgrows `limit`, without reading the rest of it.
    """
    while True:
        end = buffer.find(b"\n")
        if end >= 0:
            line = bytes(buffer[: end + 1])
            del buffer[: end + 1]
            return line
        if len(buffer) >= limit:
            buffer.clear()
            raise LineTooLongError(limit)
        chunk = sock.recv(min(limit, 1 << 20))
        if not chunk:
            if buffer.strip():  # a last line without its newline still counts
                line = bytes(buffer)
                buffer.clear()
                return line
            return None
        buffer += chunk


def peer_uid(sock: socket.socket) -> int | None:
    """The uid of the process at the other end of a connected AF_UNIX socket, from the kernel.

    None where the platform has no SO_PEERCRED (Hallway targets Linux). Raises `OSError`.
    """
    if not hasattr(socket, "SO_PEERCRED"):
        return None
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


def same_user(sock: socket.socket) -> bool:
    """Whether the peer of a connected socket runs as our user (always true off Linux).

    Defence in depth for the server: the socket file is owner-only already. The client relies on
    it: whoever could write to the home could have put their own listener at `control.sock`.
    """
    try:
        uid = peer_uid(sock)
    except OSError:
        return False
    return uid is None or uid == os.getuid()
