"""This node's CURVE keypair: made once on first start, then loaded from the secret store."""

from __future__ import annotations

import msgspec
import zmq

from hallway.core import z85
from hallway.core.model import display_fingerprint, fingerprint
from hallway.identity.errors import IdentityError
from hallway.identity.secret_store import CURVE_SECRET, SecretStore


class Identity(msgspec.Struct, frozen=True):
    """A CURVE keypair in Z85 text (40 bytes each). The repr leaves the secret out."""

    public: bytes
    secret: bytes

    def __post_init__(self) -> None:
        if not z85.is_key(self.public):
            raise IdentityError("The public key is not a 40-character Z85 CURVE key.")
        if not z85.is_key(self.secret):
            raise IdentityError("The secret key is not a 40-character Z85 CURVE key.")

    @property
    def id(self) -> str:
        """The peer id: hex of 128 bits of SHA-256 over the raw public key."""
        return fingerprint(self.public)

    @property
    def fingerprint(self) -> str:
        """The id in groups of four, for people to compare."""
        return display_fingerprint(self.id)

    def __repr__(self) -> str:
        return f"Identity(id={self.id!r}, public={self.public!r})"


def load_or_create_identity(store: SecretStore, public_hint: bytes | None) -> Identity:
    """The home's identity, made and stored on first start.

    `public_hint` is the public key the caller recorded when the identity was made (None before
    the first start). With a hint, a missing secret is an error rather than a reason to make a
    new identity, and a stored secret must belong to the hint. Pass it whenever you have it:
    peers know this node by its fingerprint, so a silently new identity would be a new person.
    """
    if public_hint is not None and not z85.is_key(public_hint):
        raise IdentityError(
            f"The recorded public key {public_hint!r} is not a 40-character Z85 CURVE key; "
            "the home's settings are damaged."
        )
    found = store.lookup(CURVE_SECRET)
    if found is None:
        if public_hint is not None:
            raise IdentityError(_missing_message(store, public_hint))
        identity = _new_identity()
        store.set(CURVE_SECRET, identity.secret.decode("ascii"))
        return identity

    damaged = (
        f"The identity key kept in {found.where} is damaged. Restore it from a backup, or start "
        "over with a new identity (peers will see a new fingerprint)."
    )
    secret = found.value.encode("utf-8")
    if not z85.is_key(secret):
        raise IdentityError(damaged)
    identity = Identity(public=zmq.curve_public(secret), secret=secret)
    if public_hint is not None and identity.public != public_hint:
        expected = display_fingerprint(fingerprint(public_hint))
        raise IdentityError(
            f"The identity key kept in {found.where} belongs to {identity.fingerprint}, but this "
            f"home was set up as {expected}. Two homes may be sharing an instance id, or the "
            "key was replaced; restore the home's own key rather than continuing as someone else."
        )
    return identity


def _new_identity() -> Identity:
    try:
        public, secret = zmq.curve_keypair()
    except zmq.ZMQError as exc:
        raise IdentityError(
            f"Cannot make a CURVE keypair ({exc}); this libzmq was built without CURVE support."
        ) from exc
    return Identity(public=public, secret=secret)


def _missing_message(store: SecretStore, public_hint: bytes) -> str:
    places = f"{store.path}" if store.using_fallback else f"the system keyring or {store.path}"
    message = (
        f"This home's identity key (fingerprint {display_fingerprint(fingerprint(public_hint))}) "
        f"is not in {places}."
    )
    if store.warning is not None:
        message += (
            f" {store.warning}. If the key is in the system keyring, make the keyring "
            "available (unlock it) and start Hallway again."
        )
    else:
        message += (
            " It may have been deleted. Restore it, or start over with a new identity "
            "(peers will see a new fingerprint)."
        )
    return message
