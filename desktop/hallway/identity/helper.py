"""Helper processes: a node or the tray app hands them the work whose libraries it should not keep.

Some work is needed once, at a start or when joining an office, but loads libraries that stay in
the process for as long as it runs: the keyring (~11 MB: keyring, secretstorage, cryptography)
and OpenSSL for scrypt (4.4 MB; the entry points keep OpenSSL out, `hallway.entry`). A helper is
this same program started with a flag (`hallway --keyring-helper`, `--derive-office-key`); it
reads one JSON object per line on its stdin, answers one per line on its stdout, and ends when
its stdin closes, or when it has waited `idle` seconds for the next request. Requests come one
at a time: the next only after the answer to the last.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Final

KEYRING_FLAG: Final = "--keyring-helper"
DERIVE_FLAG: Final = "--derive-office-key"

Message = dict[str, Any]


class HelperUnavailableError(Exception):
    """The helper could not be started, ended, or did not answer in time. `str()` says which."""


class HelperProcess:
    """One helper process, started by `launch`, ended by `close` (or by its own idle time)."""

    def __init__(self, flag: str, command: list[str] | None = None) -> None:
        self._command = command if command is not None else helper_command(flag)
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def launch(self) -> None:
        """Start it, without waiting for anything it says."""
        try:
            self._proc = subprocess.Popen(  # our own executable, no shell
                self._command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=helper_env(),
            )
        except OSError as exc:
            raise HelperUnavailableError(f"could not be started: {exc}") from exc

    def ask(self, request: Message, timeout: float) -> Message:
        """Send one request, and wait up to `timeout` s for its answer."""
        self.send(request)
        return self.receive(timeout)

    def send(self, request: Message) -> None:
        proc = self._started()
        assert proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(request).encode() + b"\n")
            proc.stdin.flush()
        except OSError as exc:  # BrokenPipeError: it ended
            raise HelperUnavailableError("ended") from exc

    def receive(self, timeout: float) -> Message:
        """The next line it writes, as an object."""
        proc = self._started()
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise HelperUnavailableError(f"did not answer within {timeout:.0f} s")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise HelperUnavailableError("ended")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            reply = json.loads(line)
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            raise HelperUnavailableError("answered something unreadable")
        return reply

    def close(self) -> None:
        """End it (its stdin closes, its cue to end) and wait for that."""
        proc, self._proc, self._buffer = self._proc, None, b""
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()
        try:
            proc.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    def _started(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            raise HelperUnavailableError("not started")
        return self._proc


def helper_command(flag: str) -> list[str]:
    """How to start a helper: this program with its flag (`hallway.entry`)."""
    if getattr(sys, "frozen", False):  # a PyInstaller bundle: its executable is `hallway`
        return [sys.executable, flag]
    return [sys.executable, "-m", "hallway", flag]


def helper_env() -> dict[str, str]:
    """This process's environment (keyring's settings, the session bus), with the directory
    this `hallway` package comes from first on the helper's path."""
    env = dict(os.environ)
    source = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (source, env.get("PYTHONPATH", "")) if p)
    return env


def serve(
    answer: Callable[[Message], Message],
    *,
    hello: Message | None = None,
    idle: float | None = None,
    stdin: IO[bytes] | None = None,
    stdout: IO[bytes] | None = None,
) -> int:
    """A helper's loop: say `hello` (if any), then answer each request line until stdin closes
    or `idle` s pass without one. A line that is not a JSON object is answered with a failure."""
    source = stdin if stdin is not None else sys.stdin.buffer
    sink = stdout if stdout is not None else sys.stdout.buffer

    def say(reply: Message) -> None:
        sink.write(json.dumps(reply).encode() + b"\n")
        sink.flush()

    if hello is not None:
        say(hello)
    while select.select([source], [], [], idle)[0]:
        line = source.readline()
        if not line:
            return 0  # the asking process closed our stdin, or ended
        try:
            request = json.loads(line)
        except ValueError as exc:
            say({"failure": {"reason": f"unreadable request: {exc}"}})
            continue
        if not isinstance(request, dict):
            say({"failure": {"reason": "unreadable request: not an object"}})
            continue
        say(answer(request))
    return 0
