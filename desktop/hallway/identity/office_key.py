"""The office key: derived from the passphrase, kept in the secret store as base64 text."""

from __future__ import annotations

import base64
import binascii
import sys

from hallway.core import office as core_office
from hallway.identity.errors import IdentityError
from hallway.identity.helper import (
    DERIVE_FLAG,
    HelperProcess,
    HelperUnavailableError,
    Message,
    serve,
)
from hallway.identity.secret_store import OFFICE_KEY, SecretStore

OFFICE_KEY_LEN = 32  # what hallway.core.office.derive_office_key makes
#: Seconds for a helper to start and run scrypt (~50 ms of work).
DERIVE_TIMEOUT = 60.0


def derive_office_key(office: str, passphrase: str) -> bytes:
    """`core.office.derive_office_key`, in a helper process when this one has kept OpenSSL out
    (`hallway.entry`): scrypt is OpenSSL's, and once loaded for it, libcrypto would stay in a
    node or the tray app for good (4.4 MB). Where the helper cannot run, here after all."""
    if sys.modules.get("_hashlib", ...) is not None or sys.platform == "win32":
        return core_office.derive_office_key(office, passphrase)  # loaded, or not kept out
    helper = HelperProcess(DERIVE_FLAG)
    try:
        helper.launch()
        reply = helper.ask({"office": office, "passphrase": passphrase}, DERIVE_TIMEOUT)
        key = bytes.fromhex(str(reply["key"]))
    except (HelperUnavailableError, KeyError, ValueError):
        return core_office.derive_office_key(office, passphrase)
    finally:
        helper.close()
    if len(key) != OFFICE_KEY_LEN:
        return core_office.derive_office_key(office, passphrase)
    return key


def serve_derive() -> int:
    """The helper (`hallway --derive-office-key`): a key per request, until its stdin closes."""

    def answer(request: Message) -> Message:
        try:
            office, passphrase = str(request["office"]), str(request["passphrase"])
        except KeyError as exc:
            return {"failure": {"reason": f"unreadable request: no {exc}"}}
        return {"key": core_office.derive_office_key(office, passphrase).hex()}

    return serve(answer, idle=DERIVE_TIMEOUT)


def save_office_key(store: SecretStore, key: bytes) -> None:
    if len(key) != OFFICE_KEY_LEN:
        raise IdentityError(f"An office key is {OFFICE_KEY_LEN} bytes, not {len(key)}.")
    store.set(OFFICE_KEY, base64.b64encode(key).decode("ascii"))


def load_office_key(store: SecretStore) -> bytes | None:
    """The saved office key, or None if this home has not joined a closed office."""
    found = store.lookup(OFFICE_KEY)
    if found is None:
        return None
    try:
        key = base64.b64decode(found.value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        key = b""
    if len(key) != OFFICE_KEY_LEN:
        raise IdentityError(
            f"The office key kept in {found.where} is damaged. Join the office again with its "
            "name and passphrase."
        )
    return key


def forget_office_key(store: SecretStore) -> None:
    store.delete(OFFICE_KEY)
