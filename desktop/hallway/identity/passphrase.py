"""Office passphrases, from a file (for scripts and services) or typed at a terminal."""

from __future__ import annotations

import getpass
import os
import sys

from hallway.identity.errors import IdentityError

PASSPHRASE_MAX = 1024  # characters
_READ_LIMIT = PASSPHRASE_MAX * 4 + 8  # enough UTF-8 for the longest passphrase, a BOM and CRLF


def read_passphrase_file(path: str | os.PathLike[str]) -> str:
    """The passphrase in `path`, without one trailing newline. UTF-8; a BOM is ignored."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as file:
            data = file.read(_READ_LIMIT + 1)
    except FileNotFoundError as exc:
        raise IdentityError(f"The passphrase file {name} does not exist.") from exc
    except IsADirectoryError as exc:
        raise IdentityError(f"The passphrase file {name} is a directory.") from exc
    except PermissionError as exc:
        raise IdentityError(f"Cannot read the passphrase file {name}: permission denied.") from exc
    except OSError as exc:
        raise IdentityError(f"Cannot read the passphrase file {name}: {exc.strerror}.") from exc
    if len(data) > _READ_LIMIT:
        raise _too_long(f"The passphrase in {name}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IdentityError(f"The passphrase file {name} is not UTF-8 text.") from exc
    text = text.removesuffix("\n").removesuffix("\r")
    if "\n" in text or "\r" in text:
        raise IdentityError(
            f"The passphrase file {name} has more than one line; put only the passphrase in it."
        )
    return _checked(text, f"The passphrase in {name}")


def prompt_passphrase(confirm: bool = False) -> str:
    """Ask at the terminal without echo; with `confirm`, ask twice and require the same answer."""
    if sys.stdin is None or not sys.stdin.isatty():
        raise IdentityError("no terminal to ask for a passphrase; use --passphrase-file")
    try:
        passphrase = _checked(getpass.getpass("Office passphrase: "), "The passphrase")
        if confirm and getpass.getpass("Repeat the passphrase: ") != passphrase:
            raise IdentityError("The passphrases do not match.")
    except EOFError as exc:
        raise IdentityError("No passphrase was entered.") from exc
    return passphrase


def _checked(passphrase: str, what: str) -> str:
    if not passphrase.strip():
        raise IdentityError(f"{what} is empty.")
    if len(passphrase) > PASSPHRASE_MAX:
        raise _too_long(what)
    return passphrase


def _too_long(what: str) -> IdentityError:
    return IdentityError(f"{what} is too long; the limit is {PASSPHRASE_MAX} characters.")
