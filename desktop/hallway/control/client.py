"""The control client: how the CLI (and the demo driver) talk to a running instance."""

from __future__ import annotations

import _socket
import contextlib
import errno
import os
import time
from collections.abc import Iterator

from hallway.control.transport import (
    MAX_REPLY,
    ControlError,
    LineTooLongError,
    NotRunning,
    check_socket_path,
    decode_event,
    decode_reply,
    encode_request,
    peer_uid,
    read_line,
    wait_readable,
)
from hallway.store.private import shell_quoted, user_name

TYPE_CHECKING = False  # typing's own would import typing: 11 ms of every client command
if TYPE_CHECKING:
    from typing import Any

    from hallway.control.transport import WaitReadable

# The client's sockets are `_socket`'s, which `socket.socket` only subclasses (adding makefile,
# dup and a `with` block, none of which a client needs): the `socket` module imports selectors,
# array and its enums, ~7 ms of every client command. `_socket.timeout` is TimeoutError.
Socket = _socket.socket

__all__ = ["ControlClient", "EventStream"]

# What "nobody is listening" looks like: no socket file, a stale one, or a dead directory.
_NOT_RUNNING = {errno.ENOENT, errno.ECONNREFUSED, errno.ENOTDIR}


class ControlClient:
    """Sends requests to the instance whose control socket is `path`.

    Each call opens its own connection, so a client can be shared between threads.
    `timeout` bounds connecting and each request; a watch stream waits for events forever.
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 10.0) -> None:
        self.path = os.fspath(path)  # a str: client commands do without pathlib (see store.home)
        self.timeout = timeout

    def request(self, cmd: str, **args: Any) -> Any:
        """Run one command and return its result. Raises `NotRunning` or `ControlError`."""
        sock = self._connect()
        try:
            self._send(sock, encode_request(cmd, args))
            return self._reply(sock, bytearray())
        finally:
            sock.close()

    def ping(self) -> bool:
        """Whether an instance answers on this socket."""
        try:
            self.request("ping")
        except ControlError:
            return False
        return True

    def watch(self, wait: WaitReadable = wait_readable) -> EventStream:
        """Start watching the running instance's events. Raises `NotRunning` or `ControlError`.

        The stream yields each event as a JSON object until the instance stops; close it (or use
        it in a `with`) to disconnect. It waits for each through `wait` (see `EventStream`).
        """
        sock = self._connect()
        buffer = bytearray()
        try:
            self._send(sock, encode_request("watch", {}))
            self._reply(sock, buffer)
            sock.settimeout(None)
        except BaseException:
            sock.close()
            raise
        return EventStream(self, sock, buffer, wait)

    def _connect(self) -> Socket:
        check_socket_path(self.path)
        sock = Socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self.path)
        except OSError as exc:
            sock.close()
            if exc.errno in _NOT_RUNNING:
                raise NotRunning(f"nothing is listening on {self.path}") from None
            raise ControlError(f"cannot connect to {self.path}: {exc.strerror or exc}") from exc
        try:
            self._check_listener(sock)
        except BaseException:
            sock.close()
            raise
        return sock

    def _check_listener(self, sock: Socket) -> None:
        # Before sending anything: a listener of another user's (planted in a home they could
        # write to) would otherwise receive our posts and could feed us made-up answers.
        try:
            uid = peer_uid(sock)
        except OSError as exc:
            raise ControlError(f"cannot tell who listens on {self.path}: {exc.strerror}") from exc
        if uid is not None and uid != os.getuid():
            raise ControlError(
                f"refusing {self.path}: the program listening there runs as {user_name(uid)}, "
                "not as you, and may be someone else's trap; nothing was sent to it. Remove it "
                f"(`rm {shell_quoted(self.path)}`) and check who can write to "
                f"{os.path.dirname(self.path) or '.'}."
            )

    def _send(self, sock: Socket, data: bytes) -> None:
        try:
            sock.sendall(data)
        except TimeoutError:
            raise ControlError(
                f"the running Hallway did not answer within {self.timeout:g} s"
            ) from None
        except OSError:
            # The server may have refused us and hung up (too many connections, say): its reply
            # then explains why, so read it rather than report a broken pipe.
            self._reply(sock, bytearray())
            raise ControlError(f"lost the connection to {self.path}") from None

    def _reply(self, sock: Socket, buffer: bytearray) -> Any:
        line = self._read(sock, buffer)
        if line is None:
            raise ControlError("the running Hallway closed the connection without replying")
        reply = decode_reply(line)
        if not reply.ok:
            raise ControlError(reply.error or "the request failed", reply.code or "unknown")
        return reply.result

    def _read(self, sock: Socket, buffer: bytearray) -> bytes | None:
        try:
            return read_line(sock, buffer, MAX_REPLY)
        except LineTooLongError:
            raise ControlError(f"a reply was larger than {MAX_REPLY} bytes") from None
        except TimeoutError:
            raise ControlError(
                f"the running Hallway did not answer within {self.timeout:g} s"
            ) from None
        except OSError as exc:
            with contextlib.suppress(OSError):
                sock.close()
            raise ControlError(f"lost the connection to {self.path}: {exc}") from exc


class EventStream:
    """The events of one `watch`, as an iterator of JSON objects that owns its connection.

    It waits for each event through `wait` (see `transport.wait_readable`): the CLI's ends on a
    signal however the signal is timed (`cli.signals`).
    """

    def __init__(
        self,
        client: ControlClient,
        sock: Socket,
        buffer: bytearray,
        wait: WaitReadable = wait_readable,
    ) -> None:
        self._client = client
        self._sock = sock
        self._buffer = buffer
        self._wait = wait

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self

    def __next__(self) -> dict[str, Any]:
        event = self._next(None)
        if event is None:
            raise StopIteration
        return event

    @property
    def closed(self) -> bool:
        return self._sock.fileno() < 0

    def next_within(self, seconds: float) -> dict[str, Any] | None:
        """The next event, or None when none came within `seconds` (or the stream ended)."""
        try:
            return self._next(time.monotonic() + seconds)
        except TimeoutError:
            return None

    def _next(self, deadline: float | None) -> dict[str, Any] | None:
        """The next event; None once the stream ended. Raises TimeoutError at `deadline`."""

        def wait(fd: int) -> None:
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            if not self._wait(fd, left):
                raise TimeoutError

        while not self.closed:
            try:
                line = read_line(self._sock, self._buffer, MAX_REPLY, wait)
            except LineTooLongError:
                raise ControlError(f"an event was larger than {MAX_REPLY} bytes") from None
            except TimeoutError:
                raise
            except OSError as exc:
                raise ControlError(f"lost the connection to {self._client.path}") from exc
            if line is None:
                self.close()
            elif line.strip():
                return decode_event(line)
        return None

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
