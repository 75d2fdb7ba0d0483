"""The owner-only JSON file that holds secrets where no system keyring can.

The file is written whole to a temporary file created 0600 with O_EXCL and then renamed over the
old one, so it is never readable by others and never half-written. A file that other users can
read or change is refused, not repaired: a secret that may have leaked should be noticed.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from pathlib import Path

from hallway.identity.errors import IdentityError

_FORMAT = 1
_MAX_SIZE = 64 * 1024  # a few keys are a few hundred bytes; anything this big is not ours


class OwnerOnlyFile:
    """Text secrets by name in one JSON file, readable and writable only by its owner.

    Not thread-safe on its own; `SecretStore` serialises access.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def get(self, name: str) -> str | None:
        return self.read().get(name)

    def put(self, name: str, value: str) -> None:
        entries = self.read()
        entries[name] = value
        self._write(entries)

    def discard(self, name: str) -> None:
        """Remove `name`; the file itself goes when its last entry does."""
        entries = self.read()
        if entries.pop(name, None) is None:
            return
        if entries:
            self._write(entries)
        else:
            self.path.unlink(missing_ok=True)

    def read(self) -> dict[str, str]:
        """All entries; empty when the file does not exist. IdentityError if unsafe or damaged."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise IdentityError(f"Cannot read {self.path}: {exc.strerror}.") from exc
        try:
            self._check_safe(os.fstat(fd))
            data = os.read(fd, _MAX_SIZE + 1)
        except OSError as exc:
            raise IdentityError(f"Cannot read {self.path}: {exc.strerror}.") from exc
        finally:
            os.close(fd)
        return self._parse(data)

    def _check_safe(self, st: os.stat_result) -> None:
        if not stat.S_ISREG(st.st_mode):
            raise IdentityError(f"{self.path} is not a regular file; Hallway keeps its keys there.")
        if st.st_uid != os.geteuid():
            raise IdentityError(
                f"{self.path} belongs to another user; Hallway will not use keys from it. "
                "Remove it, or run Hallway as the user who owns it."
            )
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o077:
            raise IdentityError(
                f"{self.path} holds secret keys but other users can read or change it "
                f"(mode {mode:04o}). Run `chmod 600 {self.path}` and start Hallway again."
            )

    def _parse(self, data: bytes) -> dict[str, str]:
        damaged = (
            f"{self.path} is damaged, so Hallway cannot read the keys in it. Restore it from a "
            "backup; deleting it gives this home a new identity and forgets the office key."
        )
        if len(data) > _MAX_SIZE:
            raise IdentityError(damaged)
        try:
            document = json.loads(data)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise IdentityError(damaged) from exc
        if not isinstance(document, dict) or not isinstance(document.get("format"), int):
            raise IdentityError(damaged)
        if document["format"] != _FORMAT:
            raise IdentityError(
                f"{self.path} was written by a different version of Hallway (format "
                f"{document['format']}); use that version, or restore an older copy of the file."
            )
        entries = document.get("secrets")
        if not isinstance(entries, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in entries.items()
        ):
            raise IdentityError(damaged)
        return dict(entries)

    def _write(self, entries: dict[str, str]) -> None:
        data = json.dumps({"format": _FORMAT, "secrets": entries}, indent=2, sort_keys=True)
        directory = self.path.parent
        temporary = directory / f".{self.path.name}.{secrets.token_hex(6)}.tmp"
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(
                temporary,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                0o600,
            )
            try:
                os.fchmod(fd, 0o600)  # the umask can only take bits away; make it exact
                with os.fdopen(fd, "wb", closefd=False) as file:
                    file.write(data.encode() + b"\n")
                    file.flush()
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, self.path)
            _fsync_directory(directory)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            raise IdentityError(f"Cannot write {self.path}: {exc.strerror or exc}.") from exc


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable; best effort, as some file systems refuse fsync on directories."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
