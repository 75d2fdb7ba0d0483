"""An in-memory keyring backend, for tests and throwaway processes.

Install it in a test with `keyring.set_keyring(MemoryKeyring())`, or for a whole process with
`PYTHON_KEYRING_BACKEND=hallway.identity.memory.MemoryKeyring`. Everything it holds is gone when
the process ends, so a node using it gets a new identity on every start.
"""

from __future__ import annotations

import threading

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """Passwords in a dict. Thread-safe; one instance is one independent keyring."""

    # Below fail.Keyring (0) and null.Keyring (-1): importing this module registers the class with
    # keyring, and it must never win keyring's own backend detection in a real process.
    priority = -10

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._lock = threading.Lock()
        self._passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            return self._passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._lock:
            self._passwords[service, username] = password

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            if self._passwords.pop((service, username), None) is None:
                # What the real backends do, so callers are tested against the same behaviour.
                raise PasswordDeleteError(f"no password for {username!r} in {service!r}")
