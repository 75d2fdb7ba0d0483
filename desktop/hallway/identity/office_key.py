"""The office key, kept in the secret store as base64 text."""

from __future__ import annotations

import base64
import binascii

from hallway.identity.errors import IdentityError
from hallway.identity.secret_store import OFFICE_KEY, SecretStore

OFFICE_KEY_LEN = 32  # what hallway.core.office.derive_office_key makes


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
