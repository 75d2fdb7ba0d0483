"""Office membership: the office key, its public tag, and per-key membership proofs.

The office key never leaves the machine. What goes on the LAN is the tag (so peers of other
offices are ignored before any connection) and, per member, HMAC(office key, public key), which
only someone holding the office key can make and which is useless without the matching secret key.
"""

from __future__ import annotations

import hashlib
import hmac
import sys
from collections.abc import Callable

import msgspec

OPEN_TAG = "open"

_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1
_KEY_LEN = 32


def derive_office_key(office: str, passphrase: str) -> bytes:
    """A 32-byte key from the office name and passphrase (scrypt; the name is the salt)."""
    salt = b"hallway-office-v1:" + office.strip().casefold().encode()
    return _scrypt()(
        passphrase.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=_KEY_LEN
    )


def _scrypt() -> Callable[..., bytes]:
    """OpenSSL's scrypt, loaded now if the process started without OpenSSL (hallway.entry)."""
    if hasattr(hashlib, "scrypt"):
        return hashlib.scrypt
    if sys.modules.get("_hashlib", ...) is None:
        del sys.modules["_hashlib"]  # only kept out until needed
    import _hashlib

    return _hashlib.scrypt


class Office(msgspec.Struct, frozen=True):
    """Either an open office (key is None) or a closed one known by name and key."""

    name: str | None
    key: bytes | None

    @classmethod
    def open(cls) -> Office:
        return cls(name=None, key=None)

    @property
    def is_open(self) -> bool:
        return self.key is None

    @property
    def tag(self) -> str:
        if self.key is None:
            return OPEN_TAG
        return hmac.new(self.key, b"hallway-office-tag", hashlib.sha256).hexdigest()[:16]

    def proof(self, public_key: bytes) -> bytes:
        """The membership proof for a Z85 public key; empty for an open office."""
        if self.key is None:
            return b""
        return hmac.new(self.key, b"hallway-member:" + public_key, hashlib.sha256).digest()

    def rendezvous_secret(self) -> bytes:
        """32 bytes every member derives alike: the CURVE secret key of the office's rendezvous
        socket, where a seed is asked to introduce itself. Only members can complete a CURVE
        handshake with it (the client must know its public key), and members hold the key
        anyway, so it gives a member nothing it could not already announce on mDNS."""
        key = self.key if self.key is not None else b"hallway-open-office"
        return hmac.new(key, b"hallway-rendezvous-v1", hashlib.sha256).digest()

    def admits(self, tag: str, public_key: bytes, proof: bytes) -> bool:
        """Whether a peer announcing `tag` and `proof` for `public_key` belongs to this office."""
        if tag != self.tag:
            return False
        if self.key is None:
            return True
        return hmac.compare_digest(self.proof(public_key), proof)
