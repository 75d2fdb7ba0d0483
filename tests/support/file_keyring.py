"""Keyring backends that other processes can share, for tests of the keyring's helper process
(`hallway.identity.keyring_access`): select one with `PYTHON_KEYRING_BACKEND=
tests.support.file_keyring.FileKeyring` and the file with HALLWAY_TEST_KEYRING.

`FileKeyring` keeps passwords in a JSON file, so what one helper process stored the next one
reads, as with a real Secret Service. `LockedKeyring` refuses every call, as a locked
collection does.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError

ENV = "HALLWAY_TEST_KEYRING"


class FileKeyring(KeyringBackend):
    priority = -20  # never chosen by keyring's own detection

    def _path(self) -> Path:
        return Path(os.environ[ENV])

    def _load(self) -> dict[str, str]:
        try:
            loaded: dict[str, str] = json.loads(self._path().read_text())
        except FileNotFoundError:
            return {}
        return loaded

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        stored = self._load()
        stored[f"{service}/{username}"] = password
        self._path().write_text(json.dumps(stored))

    def delete_password(self, service: str, username: str) -> None:
        stored = self._load()
        if stored.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError(f"no password for {username!r} in {service!r}")
        self._path().write_text(json.dumps(stored))


class LockedKeyring(KeyringBackend):
    priority = -20

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("Failed to unlock the collection!")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("Failed to unlock the collection!")
