"""The system keyring, spoken to from a helper process, so the process that asks never loads it.

`import keyring` and its backend detection (entry points, secretstorage, cryptography) cost a
process ~11 MB of memory for as long as it runs (docs/benchmarks.md, issue 13's ninth pass): a
node or tray app on a desktop whose keys are in the keyring paid it at every start, and every
first start paid it. So the keyring is loaded in `hallway --keyring-helper` (`helper.py`),
which says which backend it found, answers a request per line, and ends when released or after
HELPER_IDLE seconds without a request; the asking process keeps only the answers. A process that
has keyring loaded already (the tests, which install an in-memory keyring) or is given a backend
uses it in place (`InProcessKeyring`), as does Windows, where pipes cannot be waited on, and any
process whose helper cannot run at all.

Either way a call gives a value, or raises `KeyringError` with the reason in words and whether
it means "there is no keyring at all"; a delete of what is not there raises `NotStoredError`.
"""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Any, Final, Protocol

from hallway.identity.helper import (
    KEYRING_FLAG,
    HelperProcess,
    HelperUnavailableError,
    Message,
    serve,
)

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

SERVICE: Final = "hallway"
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
    if launched is None and in_process(backend):
        return open_in_process(backend)
    try:
        if launched is None:
            launched = ProcessKeyring.launch()
        launched.wait_ready()
    except HelperUnavailableError:  # it could not run at all: do without it
        return open_in_process()
    return launched


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


class ProcessKeyring:
    """The keyring of a helper process (`serve_keyring`), started on first need and again if it
    has ended since (HELPER_IDLE, or a crash); `close` ends it."""

    def __init__(self, command: list[str] | None = None) -> None:
        self._helper = HelperProcess(KEYRING_FLAG, command)
        self.label = ""

    @classmethod
    def start(cls, command: list[str] | None = None) -> ProcessKeyring:
        """A helper that found a usable keyring. KeyringError when it found none;
        HelperUnavailableError when it could not be run."""
        keyring = cls.launch(command)
        keyring.wait_ready()
        return keyring

    @classmethod
    def launch(cls, command: list[str] | None = None) -> ProcessKeyring:
        """A helper starting, not waited for (`wait_ready`): it loads the keyring while this
        process does something else."""
        keyring = cls(command)
        keyring._helper.launch()
        return keyring

    @property
    def pid(self) -> int | None:
        return self._helper.pid

    def wait_ready(self) -> None:
        """Wait for the launched helper to say which keyring it found. KeyringError (and the
        helper ended) when it found none; HelperUnavailableError when it ended first."""
        try:
            hello = self._helper.receive(START_TIMEOUT)
        except HelperUnavailableError:
            self.close()
            raise
        if "failure" in hello:
            self.close()
            raise _failure_of(hello["failure"])
        self.label = str(hello.get("label", ""))

    def get(self, account: str) -> str | None:
        value = self._call({"op": "get", "account": account}).get("value")
        return value if isinstance(value, str) else None

    def set(self, account: str, value: str) -> None:
        self._call({"op": "set", "account": account, "value": value})

    def delete(self, account: str) -> None:
        self._call({"op": "delete", "account": account})

    def close(self) -> None:
        self._helper.close()

    def _call(self, request: Message) -> Message:
        """One request and its answer. A helper that ended since the last one (it was idle) is
        started again, once: each request is safe to repeat."""
        for attempt in (1, 2):
            try:
                if not self._helper.running:
                    self.close()
                    self._helper.launch()
                    self.wait_ready()
                reply = self._helper.ask(request, ANSWER_TIMEOUT)
            except HelperUnavailableError as exc:
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


def serve_keyring(stdin: IO[bytes] | None = None, stdout: IO[bytes] | None = None) -> int:
    """The helper (`hallway --keyring-helper`): load the keyring, say which backend (or why
    none, and end), then answer get, set and delete requests."""
    try:
        keyring = open_in_process()
    except KeyringError as failure:
        hello: Message = {"failure": _failure_fields(failure)}
        return serve(lambda _request: hello, hello=hello, idle=0.0, stdin=stdin, stdout=stdout)
    return serve(
        lambda request: _answer(keyring, request),
        hello={"label": keyring.label},
        idle=HELPER_IDLE,
        stdin=stdin,
        stdout=stdout,
    )


def _answer(keyring: Keyring, request: Message) -> Message:
    try:
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
    except KeyError as exc:
        return {"failure": {"reason": f"unreadable request: no {exc}"}}
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
