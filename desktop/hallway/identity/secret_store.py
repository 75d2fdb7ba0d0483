"""Where a home keeps its secrets: the system keyring, or an owner-only file where there is none.

Each home has its own `instance` id, so several homes on one machine never share keys. Entries
live under keyring service "hallway", account "<instance>/<name>".

Order, and why. A write goes to the keyring when it works, and then the same entry is removed
from the file; when the keyring does not work, the write goes to the file. So an entry that is in
the file is always the newest one, and a read looks in the file first and then in the keyring.
The other order would bring back an old office key or identity from the keyring when a keyring
that was locked for a while is unlocked again.

A keyring that is missing (no backend, as on headless servers and in CI), locked or refusing
access is given up for the rest of the store's life; keys then go to the file. That is logged
once per process and kept in `warning` so the engine can show it to the person.

The keyring is reached only when it is first needed: a read that the file answers, which is every
start of a headless node on a machine without a keyring, never starts it. And it is loaded in a
helper process (`keyring_access`): finding keyring's backend (entry points, Secret Service,
`cryptography`) costs ~11 MB of memory, which that process gives back when it ends.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from hallway.identity.errors import IdentityError
from hallway.identity.helper import HelperUnavailableError
from hallway.identity.keyring_access import (
    SERVICE,
    Keyring,
    KeyringError,
    NotStoredError,
    ProcessKeyring,
    in_process,
    open_keyring,
)
from hallway.identity.owner_file import OwnerOnlyFile

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

__all__ = ["CURVE_SECRET", "OFFICE_KEY", "SERVICE", "Found", "SecretStore"]

CURVE_SECRET = "curve-secret"  # noqa: S105 -- a name under which the secret is kept
OFFICE_KEY = "office-key"

_log = logging.getLogger("hallway.identity")
_WARNING_LOGGED = threading.Event()  # one warning per process, however many stores
_INSTANCE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_NAME = re.compile(r"[a-z0-9-]{1,32}")


class Found(NamedTuple):
    value: str
    where: str  # for messages: "the system keyring (…)" or the file's path


class SecretStore:
    """Secrets for one home. Thread-safe. `backend`: a keyring backend to use in this process,
    instead of the system keyring (`keyring_access.open_keyring`)."""

    def __init__(
        self, instance: str, fallback_path: Path, *, backend: KeyringBackend | None = None
    ) -> None:
        if not _INSTANCE.fullmatch(instance):
            raise IdentityError(
                f"Invalid instance id {instance!r}: use 1-64 letters, digits, '-' or '_'."
            )
        self.instance = instance
        self._file = OwnerOnlyFile(fallback_path)
        self._lock = threading.RLock()
        self._warning: str | None = None
        self._backend: Keyring | None = None
        self._label = "none"
        self._requested = backend
        self._launched: ProcessKeyring | None = None
        self._resolved = False

    def _resolve(self) -> None:
        """Reach the keyring, once, on first need (see the module docstring)."""
        if self._resolved:
            return
        self._resolved = True
        backend, self._requested = self._requested, None
        launched, self._launched = self._launched, None
        try:
            self._backend = open_keyring(backend, launched=launched)
        except KeyringError as failure:
            self._give_up(failure)
            return
        self._label = self._backend.label

    def prepare(self) -> None:
        """Have the keyring's helper process start loading the keyring now, while this process
        does other things (a node imports its modules), when this home's secrets are not in
        the file and so will be read from the keyring. Never waits."""
        with self._lock:
            if self._resolved or self._launched is not None or in_process(self._requested):
                return
            if self.kept_in_file():
                return  # read from the file: the keyring is not needed
            try:
                self._launched = ProcessKeyring.launch()
            except HelperUnavailableError:
                return  # the first use tries again, and does without it if it must

    def release(self) -> None:
        """End the keyring's helper process, if one runs: the secrets a start needs are read.
        A later use starts it again."""
        with self._lock:
            if self._backend is not None:
                self._backend.close()
            launched, self._launched = self._launched, None
            if launched is not None:
                launched.close()

    @property
    def path(self) -> Path:
        """The owner-only file used where the keyring is not."""
        return self._file.path

    @property
    def using_fallback(self) -> bool:
        with self._lock:
            self._resolve()
            return self._backend is None

    @property
    def backend_name(self) -> str:
        """For people: the keyring backend in use, or "file <path>" once it has been given up."""
        with self._lock:
            self._resolve()
        if self._backend is None:
            return f"file {self.path}"
        return self._label

    @property
    def warning(self) -> str | None:
        """Why keys go to the file rather than the keyring; None while the keyring works."""
        with self._lock:
            self._resolve()
        return self._warning

    def kept_in_file(self) -> bool:
        """Whether this home's secrets live in the owner-only file, which happens only when no
        keyring worked as they were written. Answered without loading the keyring."""
        with self._lock:
            return any(
                self._file.get(self._account(name)) is not None
                for name in (CURVE_SECRET, OFFICE_KEY)
            )

    def get(self, name: str) -> str | None:
        found = self.lookup(name)
        return None if found is None else found.value

    def lookup(self, name: str) -> Found | None:
        """The stored value and where it was found; the file first (see the module docstring)."""
        account = self._account(name)
        with self._lock:
            value = self._file.get(account)
            if value is not None:
                return Found(value, str(self.path))
            self._resolve()
            if self._backend is None:
                return None
            try:
                value = self._backend.get(account)
            except KeyringError as failure:
                self._give_up(failure)
                return None
            return None if value is None else Found(value, self._keyring_place())

    def set(self, name: str, value: str) -> None:
        account = self._account(name)
        with self._lock:
            if self._keyring_set(account, value):
                self._file.discard(account)  # the file must never shadow a newer keyring value
                return
            self._file.put(account, value)

    def delete(self, name: str) -> None:
        """Remove `name` everywhere. IdentityError if a keyring that holds it cannot let it go."""
        account = self._account(name)
        with self._lock:
            self._file.discard(account)
            self._resolve()
            if self._backend is None:
                return
            try:
                self._backend.delete(account)
            except NotStoredError as missing:
                try:
                    still_there = self._backend.get(account) is not None
                except KeyringError as inner:
                    self._give_up(inner)
                    raise self._not_deleted(inner) from inner
                if still_there:
                    raise self._not_deleted(missing) from missing
            except KeyringError as failure:
                self._give_up(failure)
                if not failure.no_keyring:  # nothing can be in a keyring that does not exist
                    raise self._not_deleted(failure) from failure

    def _keyring_set(self, account: str, value: str) -> bool:
        """True when the keyring took the value and kept it."""
        self._resolve()
        backend = self._backend
        if backend is None:
            return False
        try:
            backend.set(account, value)
            kept = backend.get(account) == value
        except KeyringError as failure:
            self._give_up(failure)
            return False
        if not kept:
            # A backend that accepts and drops values (null, or a broken one) must not cost this
            # home its identity on the next start.
            self._give_up(KeyringError(f"KeyringError: {self._label} did not keep a value"))
            return False
        return True

    def _account(self, name: str) -> str:
        if not _NAME.fullmatch(name):
            raise ValueError(f"invalid secret name {name!r}")
        return f"{self.instance}/{name}"

    def _keyring_place(self) -> str:
        return f"the system keyring ({self._label})"

    def _not_deleted(self, failure: KeyringError) -> IdentityError:
        return IdentityError(
            f"Could not remove the entry from {self._keyring_place()}: {failure.reason}. "
            "It may come back once the keyring works again; remove it there by hand "
            f"(service {SERVICE!r})."
        )

    def _give_up(self, failure: KeyringError) -> None:
        """Stop using the keyring for the rest of this store's life, and say so."""
        backend, self._backend = self._backend, None
        if backend is not None:
            backend.close()
        if self._warning is not None:
            return
        where = f"keeping keys in {self.path} (readable only by you)"
        if failure.no_keyring:
            self._warning = f"No system keyring is available; {where}"
        else:
            self._warning = f"The system keyring could not be used ({failure.reason}); {where}"
        _log.debug("keyring given up for %s", self.instance, exc_info=failure)
        if not _WARNING_LOGGED.is_set():
            _WARNING_LOGGED.set()
            _log.warning("%s", self._warning)
