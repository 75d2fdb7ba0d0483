"""Who this node is, and the secrets of its home: the CURVE keypair, the office key, passphrases.

Secrets go to the system keyring (keyring) and, where there is none, to an owner-only file in the
home; see `secret_store` for the order and why. `hallway.identity.memory` is an in-memory keyring
backend for tests; it is not imported here so a real process never registers it.
"""

from __future__ import annotations

from hallway.identity.errors import IdentityError
from hallway.identity.keys import Identity, load_or_create_identity
from hallway.identity.office_key import (
    OFFICE_KEY_LEN,
    derive_office_key,
    forget_office_key,
    load_office_key,
    save_office_key,
)
from hallway.identity.passphrase import PASSPHRASE_MAX, prompt_passphrase, read_passphrase_file
from hallway.identity.secret_store import SecretStore

__all__ = [
    "OFFICE_KEY_LEN",
    "PASSPHRASE_MAX",
    "Identity",
    "IdentityError",
    "SecretStore",
    "derive_office_key",
    "forget_office_key",
    "load_office_key",
    "load_or_create_identity",
    "prompt_passphrase",
    "read_passphrase_file",
    "save_office_key",
]
