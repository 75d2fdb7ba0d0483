"""The byte level of the control socket, and what both of its ends share without msgspec.

Limits, reply codes and errors; the request line and the reading of replies and events (plain
`json`, the same bytes and values as msgspec's for everything a client sends and gets); path
limits, bounded line reading, peer credentials. A client command imports this and not
`hallway.control.protocol`, whose typed requests need msgspec (tens of milliseconds of start-up).
Where `json` could differ from msgspec (a float in exponent form, a lone surrogate, a reply that is
not one), the work goes to msgspec, so that bytes and messages stay exactly msgspec's.
"""

from __future__ import annotations

import _socket  # the client's sockets; the server's `socket.socket` is a subclass
import json
import math
import os
import select
import struct
import sys

from hallway.core.errors import HallwayError

TYPE_CHECKING = False  # typing's own would import typing: 11 ms of every client command
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Final

    #: Waits until a descriptor is readable (True) or for at most a timeout in seconds (False).
    WaitReadable = Callable[[int, float | None], bool]

__all__ = [
    "BAD_REQUEST",
    "EVENT_ID_MAX",
    "FEED_LIMIT_MAX",
    "INTERNAL",
    "MAX_REPLY",
    "MAX_REQUEST",
    "NODE_ERROR",
    "SOCKET_PATH_MAX",
    "TOO_LARGE",
    "UNSUPPORTED",
    "UNSUPPORTED_VERSION",
    "VERSION",
    "ControlError",
    "LineTooLongError",
    "NotRunning",
    "Reply",
    "check_socket_path",
    "decode_event",
    "decode_reply",
    "encode_request",
    "peer_uid",
    "read_line",
    "same_user",
    "wait_readable",
]

VERSION: Final = 1
MAX_REQUEST: Final = 64 * 1024  # one request line, newline included
MAX_REPLY: Final = 32 * 1024 * 1024  # replies come from our own server, but stay bounded
FEED_LIMIT_MAX: Final = 1000
# An event id is "<peer id>:<incarnation hex>:<seq>"; the engine says whether it knows it.
EVENT_ID_MAX: Final = 160

# Reply codes. Clients branch on these; the messages are for people.
BAD_REQUEST: Final = "bad_request"
TOO_LARGE: Final = "too_large"
UNSUPPORTED_VERSION: Final = "unsupported_version"
UNSUPPORTED: Final = "unsupported"
NODE_ERROR: Final = "node_error"
INTERNAL: Final = "internal"

# sun_path is 108 bytes on Linux, including the terminating NUL (104 on the BSDs and macOS).
SOCKET_PATH_MAX: Final = 107


class ControlError(HallwayError):
    """A control request failed. `code` is one of the reply codes of this module."""

    def __init__(self, message: str, code: str = INTERNAL) -> None:
        super().__init__(message)
        self.code = code


class NotRunning(ControlError):  # noqa: N818 -- reads as a state: `except NotRunning`
    """No instance is listening on the control socket of a home."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "not_running")


class LineTooLongError(ControlError):
    """A line outgrew its limit before its newline arrived."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request is larger than {limit} bytes", TOO_LARGE)
        self.limit = limit


class Reply:
    """One reply line: `ok` and `result`, or `error` and `code`."""

    __slots__ = ("code", "error", "ok", "result")

    def __init__(self, ok: bool, result: Any = None, error: str = "", code: str = "") -> None:
        self.ok = ok
        self.result = result
        self.error = error
        self.code = code

    def __repr__(self) -> str:
        return f"Reply(ok={self.ok!r}, result={self.result!r}, error={self.error!r})"


# msgspec's 64-bit integers; json would write a larger one, msgspec refuses it.
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1


def json_like_msgspec(value: Any) -> bool:
    """Whether `json.dumps(value, ensure_ascii=False, separators=(",", ":"))` gives the bytes
    `msgspec.json.encode(value)` does: plain containers, text, 64-bit integers, and finite floats
    that Python writes without an exponent (msgspec writes 1e16 where json writes 1e+16)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(_INT_MIN <= value <= _INT_MAX)
    if kind is float:
        return math.isfinite(value) and "e" not in repr(value)
    if kind is dict:
        return all(type(k) is str and json_like_msgspec(v) for k, v in value.items())
    if kind is list:
        return all(json_like_msgspec(v) for v in value)
    return False


def encode_json(value: Any) -> bytes:
    """`msgspec.json.encode(value)`, without importing msgspec where json writes the same.

    Once msgspec is loaded (in a node, which prints every event with `--json`), it does the work:
    it is the faster of the two."""
    if "msgspec" not in sys.modules and json_like_msgspec(value):
        try:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        except UnicodeEncodeError:
            pass  # a lone surrogate: msgspec says so in its own words
    import msgspec  # only for what json would write differently

    return msgspec.json.encode(value)


def encode_request(cmd: str, args: dict[str, Any]) -> bytes:
    return encode_json({"v": VERSION, "cmd": cmd, "args": args}) + b"\n"


def _no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are not JSON; msgspec refuses them


def _loads(line: bytes) -> Any:
    """The JSON value of `line` as msgspec would decode it; ValueError or RecursionError where
    json and msgspec might not agree (msgspec then decides, and words any error)."""
    value = json.loads(line.decode("utf-8"), parse_constant=_no_constant)
    if _has_big_int(value):
        raise ValueError("an integer out of msgspec's range")
    return value


def _has_big_int(value: Any) -> bool:
    if type(value) is int:
        return not bool(_INT_MIN <= value <= _INT_MAX)
    if type(value) is dict:
        return any(_has_big_int(v) for v in value.values())
    if type(value) is list:
        return any(_has_big_int(v) for v in value)
    return False


def decode_reply(line: bytes) -> Reply:
    """A reply line from the server, or `ControlError` if it is not one."""
    try:
        value = _loads(line)
    except (ValueError, RecursionError):  # UnicodeDecodeError and json's errors are ValueErrors
        value = None
    if (
        type(value) is dict
        and type(value.get("ok")) is bool
        and type(value.setdefault("error", "")) is str
        and type(value.setdefault("code", "")) is str
    ):
        return Reply(value["ok"], value.get("result"), value["error"], value["code"])
    return _decode_reply_strictly(line)


def _decode_reply_strictly(line: bytes) -> Reply:
    import msgspec  # only for a line json did not take as a reply

    class _Reply(msgspec.Struct, frozen=True):  # annotations resolve at runtime: no `Any`
        ok: bool
        result: object = None
        error: str = ""
        code: str = ""

    try:
        reply = msgspec.json.decode(line, type=_Reply)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ControlError(f"the running Hallway sent an unreadable reply: {exc}") from None
    return Reply(reply.ok, reply.result, reply.error, reply.code)


def decode_event(line: bytes) -> dict[str, Any]:
    """One streamed event line, or `ControlError`."""
    try:
        event = _loads(line)
    except (ValueError, RecursionError):
        event = _decode_event_strictly(line)
    if not isinstance(event, dict):
        raise ControlError("the running Hallway sent an event that is not an object")
    return event


def _decode_event_strictly(line: bytes) -> Any:
    import msgspec  # only for a line json did not take

    try:
        return msgspec.json.decode(line)
    except msgspec.DecodeError as exc:
        raise ControlError(f"the running Hallway sent an unreadable event: {exc}") from None


def check_socket_path(path: str | os.PathLike[str]) -> None:
    """Raise `ControlError` if `path` is too long to bind or connect an AF_UNIX socket to."""
    size = len(os.fsencode(path))
    if size > SOCKET_PATH_MAX:
        raise ControlError(
            f"the control socket path {path} is {size} bytes long, over the system's limit of "
            f"{SOCKET_PATH_MAX}; choose a home with a shorter path (--home or HALLWAY_HOME)"
        )


def wait_readable(fd: int, timeout: float | None = None) -> bool:
    """Wait until `fd` is readable (True) or `timeout` seconds have passed (False)."""
    return bool(select.select([fd], [], [], timeout)[0])


def read_line(
    sock: _socket.socket,
    buffer: bytearray,
    limit: int,
    wait: Callable[[int], object] | None = None,
) -> bytes | None:
    """The next line (with its newline) from `sock`, or None at the end of the stream.

    `buffer` carries what was read past the line to the next call. Raises `LineTooLongError` once a
    line outgrows `limit`, without reading the rest of it. `wait`, when given, is how to wait for
    the socket to become readable before each receive (one a signal can end: `hallway watch`).
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
        if wait is not None:
            wait(sock.fileno())
        chunk = sock.recv(min(limit, 1 << 20))
        if not chunk:
            if buffer.strip():  # a last line without its newline still counts
                line = bytes(buffer)
                buffer.clear()
                return line
            return None
        buffer += chunk


def peer_uid(sock: _socket.socket) -> int | None:
    """The uid of the process at the other end of a connected AF_UNIX socket, from the kernel.

    None where the platform has no SO_PEERCRED (Hallway targets Linux). Raises `OSError`.
    """
    if not hasattr(_socket, "SO_PEERCRED"):
        return None
    creds = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


def same_user(sock: _socket.socket) -> bool:
    """Whether the peer of a connected socket runs as our user (always true off Linux).

    Defence in depth for the server: the socket file is owner-only already. The client relies on
    it: whoever could write to the home could have put their own listener at `control.sock`.
    """
    try:
        uid = peer_uid(sock)
    except OSError:
        return False
    return uid is None or uid == os.getuid()
