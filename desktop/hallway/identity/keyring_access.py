"""The system keyring, spoken to from a helper process, so the process that asks never loads it.

`import keyring` and its backend detection (entry points, secretstorage, cryptography) cost a
process ~11 MB of memory for as long as it runs (docs/benchmarks.md, issue 13's ninth pass): a
node or tray app on a desktop whose keys are in the keyring paid it at every start, and every
first start paid it. So the keyring is loaded in `hallway --keyring-helper`, a child process
that answers JSON lines on its stdin and stdout and ends when its stdin closes, or after
HELPER_IDLE seconds without a request; the asking process keeps only the answers. A process that
has keyring loaded already (the tests, which install an in-memory keyring) or is given a backend
uses it in place (`InProcessKeyring`), as does Windows, where pipes cannot be waited on.

Either way a call gives a value, or raises `KeyringError` with the reason in words and whether
it means "there is no keyring at all"; a delete of what is not there raises `NotStoredError`.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final, Protocol

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

SERVICE: Final = "hallway"
#: The argument that makes `hallway` (or `python -m hallway`) the helper (`hallway.entry`).
HELPER_FLAG: Final = "--keyring-helper"
#: Seconds the helper waits for its next request before it ends on its own.
HELPER_IDLE: Final = 30.0
#: Seconds to wait for the helper to load the keyring and say which backend it found.
START_TIMEOUT: Final = 30.0
#: Seconds to wait for an answer: a locked keyring may first ask the person to unlock it.
ANSWER_TIMEOUT: Final = 120.0


class KeyringError(Exception):
    """The keyring could not do what was asked. `str()` is the reason, for people."""

    def __init__(self, reason: str, *, no_keyring: bool = False) -> None:
        super().__init__(reason)
        self.no_keyring = no_keyring  # there is no usable keyring at all (not a refusal)

    @property
    def reason(self) -> str:
        return str(self)


class NotStoredError(KeyringError):
    """A delete found nothing to delete (or a backend that says so for other reasons)."""


class Keyring(Protocol):
    """What SecretStore needs of a keyring, for the service "hallway"."""

    label: str

    def get(self, account: str) -> str | None: ...

    def set(self, account: str, value: str) -> None: ...

    def delete(self, account: str) -> None: ...

    def close(self) -> None: ...


def in_process(backend: KeyringBackend | None = None) -> bool:
    """Whether the keyring is used in this process rather than through a helper."""
    return backend is not None or "keyring" in sys.modules or sys.platform == "win32"


def open_keyring(
    backend: KeyringBackend | None = None, *, launched: ProcessKeyring | None = None
) -> Keyring:
    """The keyring: `backend`, or keyring's own where this process has loaded keyring, or else
    a helper process's (`launched` already, or started now). Raises KeyringError when there is
    none that works."""
    if launched is not None:
        launched.wait_ready()
        return launched
    if in_process(backend):
        return open_in_process(backend)
    return ProcessKeyring.start()


def open_in_process(backend: KeyringBackend | None = None) -> InProcessKeyring:
    """`backend`, or keyring's process-wide one (loading keyring now)."""
    try:
        if backend is None:
            import keyring  # late: heavy (see the module docstring)

            backend = keyring.get_keyring()
    except Exception as exc:  # loading a backend can fail in any way (D-Bus, imports, config)
        raise _failure(exc) from exc
    label = _label(backend)
    if not _usable(backend):
        raise KeyringError(f"no usable keyring backend ({label})", no_keyring=True)
    return InProcessKeyring(backend, label)


class InProcessKeyring:
    """A keyring backend of this process, its errors turned into KeyringError."""

    def __init__(self, backend: KeyringBackend, label: str) -> None:
        self._backend = backend
        self.label = label

    def get(self, account: str) -> str | None:
        try:
            return self._backend.get_password(SERVICE, account)
        except Exception as exc:  # third-party backends raise anything, from D-Bus up
            raise _failure(exc) from exc

    def set(self, account: str, value: str) -> None:
        try:
            self._backend.set_password(SERVICE, account, value)
        except Exception as exc:
            raise _failure(exc) from exc

    def delete(self, account: str) -> None:
        from keyring.errors import PasswordDeleteError

        try:
            self._backend.delete_password(SERVICE, account)
        except PasswordDeleteError as exc:  # what backends raise for "not there", among others
            raise NotStoredError(_reason(exc)) from exc
        except Exception as exc:
            raise _failure(exc) from exc

    def close(self) -> None:
        pass


class _HelperGoneError(Exception):
    """The helper ended, or did not answer in time."""


class ProcessKeyring:
    """The keyring of a helper process (`serve`), started on first need and again if it has
    ended since (HELPER_IDLE, or a crash); `close` ends it."""

    def __init__(self, command: list[str] | None = None) -> None:
        self._command = command if command is not None else helper_command()
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self.label = ""

    @classmethod
    def start(cls, command: list[str] | None = None) -> ProcessKeyring:
        """A helper that found a usable keyring; KeyringError when it found none."""
        keyring = cls.launch(command)
        keyring.wait_ready()
        return keyring

    @classmethod
    def launch(cls, command: list[str] | None = None) -> ProcessKeyring:
        """A helper starting, not waited for (`wait_ready`): it loads the keyring while this
        process does something else. KeyringError when it cannot be started at all."""
        keyring = cls(command)
        keyring._launch()
        return keyring

    def get(self, account: str) -> str | None:
        value = self._call({"op": "get", "account": account}).get("value")
        return value if isinstance(value, str) else None

    def set(self, account: str, value: str) -> None:
        self._call({"op": "set", "account": account, "value": value})

    def delete(self, account: str) -> None:
        self._call({"op": "delete", "account": account})

    def close(self) -> None:
        proc, self._proc, self._buffer = self._proc, None, b""
        if proc is None:
            return
        with contextlib.suppress(OSError):
            _stdin(proc).close()  # the helper's cue to end
        try:
            proc.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        _stdout(proc).close()

    def _spawn(self) -> None:
        self._launch()
        self.wait_ready()

    def _launch(self) -> None:
        try:
            self._proc = subprocess.Popen(  # our own executable, no shell
                self._command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=helper_env(),
            )
        except OSError as exc:
            raise KeyringError(f"could not start the keyring helper: {exc}") from exc

    def wait_ready(self) -> None:
        """Wait for the launched helper to say which keyring it found; KeyringError (and the
        helper ended) when it found none, or ended."""
        try:
            hello = self._read(START_TIMEOUT)
        except _HelperGoneError as exc:
            self.close()
            raise KeyringError(f"the keyring helper {exc}") from exc
        if "failure" in hello:
            self.close()
            raise _failure_of(hello["failure"])
        self.label = str(hello.get("label", ""))

    def _call(self, request: dict[str, str]) -> dict[str, Any]:
        """One request and its answer. A helper that ended since the last one (it was idle) is
        started again, once: each request is safe to repeat."""
        for attempt in (1, 2):
            if self._proc is None or self._proc.poll() is not None:
                self.close()
                self._spawn()
            try:
                self._write(request)
                reply = self._read(ANSWER_TIMEOUT)
            except _HelperGoneError as exc:
                self.close()
                if attempt == 2:
                    raise KeyringError(f"the keyring helper {exc}") from exc
                continue
            if "not_stored" in reply:
                raise NotStoredError(str(reply["not_stored"]))
            if "failure" in reply:
                raise _failure_of(reply["failure"])
            return reply
        raise AssertionError("unreachable")  # pragma: no cover

    def _write(self, request: dict[str, str]) -> None:
        assert self._proc is not None
        try:
            stdin = _stdin(self._proc)
            stdin.write(json.dumps(request).encode() + b"\n")
            stdin.flush()
        except OSError as exc:  # BrokenPipeError: it ended
            raise _HelperGoneError("ended") from exc

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self._proc is not None
        fd = _stdout(self._proc).fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise _HelperGoneError(f"did not answer within {timeout:.0f} s")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise _HelperGoneError("ended")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            reply = json.loads(line)
        except ValueError as exc:
            raise _HelperGoneError("answered something unreadable") from exc
        if not isinstance(reply, dict):
            raise _HelperGoneError("answered something unreadable")
        return reply


def helper_command() -> list[str]:
    """How to start the helper: this program with HELPER_FLAG (`hallway.entry`)."""
    if getattr(sys, "frozen", False):  # a PyInstaller bundle: its executable is `hallway`
        return [sys.executable, HELPER_FLAG]
    return [sys.executable, "-m", "hallway", HELPER_FLAG]


def helper_env() -> dict[str, str]:
    """This process's environment (keyring's settings, the session bus), with the directory
    this `hallway` package comes from first on the helper's path."""
    env = dict(os.environ)
    source = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (source, env.get("PYTHONPATH", "")) if p)
    return env


def serve(stdin: IO[bytes] | None = None, stdout: IO[bytes] | None = None) -> int:
    """The helper: load the keyring, say which backend (or why none), then answer one request
    per line until stdin closes or HELPER_IDLE passes without one. Requests come one at a time:
    the next only after the answer to the last."""
    source = stdin if stdin is not None else sys.stdin.buffer
    sink = stdout if stdout is not None else sys.stdout.buffer

    def answer(reply: dict[str, Any]) -> None:
        sink.write(json.dumps(reply).encode() + b"\n")
        sink.flush()

    try:
        keyring = open_in_process()
    except KeyringError as failure:
        answer({"failure": _failure_fields(failure)})
        return 0
    answer({"label": keyring.label})
    while select.select([source], [], [], HELPER_IDLE)[0]:
        line = source.readline()
        if not line:
            return 0  # the asking process closed our stdin, or ended
        answer(_answer(keyring, line))
    return 0


def _answer(keyring: Keyring, line: bytes) -> dict[str, Any]:
    try:
        request = json.loads(line)
        op, account = request["op"], str(request["account"])
        if op == "get":
            return {"value": keyring.get(account)}
        if op == "set":
            keyring.set(account, str(request["value"]))
        elif op == "delete":
            keyring.delete(account)
        else:
            return {"failure": {"reason": f"unknown request {op!r}"}}
    except NotStoredError as exc:
        return {"not_stored": exc.reason}
    except KeyringError as failure:
        return {"failure": _failure_fields(failure)}
    except (ValueError, KeyError, TypeError) as exc:
        return {"failure": {"reason": f"unreadable request: {exc}"}}
    return {"ok": True}


def _failure_fields(failure: KeyringError) -> dict[str, Any]:
    return {"reason": failure.reason, "no_keyring": failure.no_keyring}


def _failure_of(fields: object) -> KeyringError:
    if not isinstance(fields, dict):
        return KeyringError("the keyring helper answered something unreadable")
    reason = str(fields.get("reason") or "unknown reason")
    return KeyringError(reason, no_keyring=bool(fields.get("no_keyring")))


def _failure(exc: BaseException) -> KeyringError:
    return KeyringError(_reason(exc), no_keyring=_is_no_keyring(exc))


def _is_no_keyring(exc: BaseException) -> bool:
    if isinstance(exc, ImportError):
        return True
    try:
        from keyring.errors import NoKeyringError
    except ImportError:
        return False
    return isinstance(exc, NoKeyringError)


def _usable(backend: KeyringBackend) -> bool:
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring | null.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return bool(backend.backends)
    return True


def _label(backend: KeyringBackend) -> str:
    kind = type(backend)
    return f"{kind.__module__}.{kind.__qualname__}"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _stdin(proc: subprocess.Popen[bytes]) -> IO[bytes]:
    assert proc.stdin is not None
    return proc.stdin


def _stdout(proc: subprocess.Popen[bytes]) -> IO[bytes]:
    assert proc.stdout is not None
    return proc.stdout
