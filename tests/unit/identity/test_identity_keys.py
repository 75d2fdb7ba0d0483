from __future__ import annotations

from pathlib import Path

import pytest
import zmq

from hallway.core.model import display_fingerprint, fingerprint
from hallway.identity import Identity, IdentityError, SecretStore, load_or_create_identity
from hallway.identity.memory import MemoryKeyring
from hallway.identity.secret_store import CURVE_SECRET, SERVICE


def test_first_start_makes_a_keypair_and_a_restart_loads_the_same_one(
    secrets_path: Path, memory_keyring: MemoryKeyring
) -> None:
    first = load_or_create_identity(SecretStore("home-a", secrets_path), None)
    assert zmq.curve_public(first.secret) == first.public

    again = load_or_create_identity(SecretStore("home-a", secrets_path), first.public)

    assert again == first
    assert memory_keyring.get_password(SERVICE, "home-a/curve-secret") == first.secret.decode()
    assert not secrets_path.exists()


def test_id_and_fingerprint_come_from_the_public_key(secrets_path: Path) -> None:
    identity = load_or_create_identity(SecretStore("home-a", secrets_path), None)

    assert identity.id == fingerprint(identity.public)
    assert len(identity.id) == 32
    assert identity.fingerprint == display_fingerprint(identity.id)


def test_two_instances_on_one_machine_keep_separate_keys(tmp_path: Path) -> None:
    a = load_or_create_identity(SecretStore("home-a", tmp_path / "a.json"), None)
    b = load_or_create_identity(SecretStore("home-b", tmp_path / "b.json"), None)

    assert a.public != b.public
    assert load_or_create_identity(SecretStore("home-a", tmp_path / "a.json"), a.public) == a
    assert load_or_create_identity(SecretStore("home-b", tmp_path / "b.json"), b.public) == b


def test_a_recorded_identity_whose_secret_is_gone_is_an_error_not_a_new_identity(
    secrets_path: Path, memory_keyring: MemoryKeyring
) -> None:
    identity = load_or_create_identity(SecretStore("home-a", secrets_path), None)
    memory_keyring.delete_password(SERVICE, "home-a/curve-secret")
    store = SecretStore("home-a", secrets_path)

    with pytest.raises(IdentityError, match=r"identity key \(fingerprint .*\) is not in"):
        load_or_create_identity(store, identity.public)
    assert store.get(CURVE_SECRET) is None


def test_a_secret_that_does_not_match_the_recorded_public_key_is_refused(
    secrets_path: Path,
) -> None:
    load_or_create_identity(SecretStore("home-a", secrets_path), None)
    other_public, _ = zmq.curve_keypair()

    with pytest.raises(IdentityError, match="was set up as"):
        load_or_create_identity(SecretStore("home-a", secrets_path), other_public)


def test_a_damaged_stored_secret_is_an_error(
    secrets_path: Path, memory_keyring: MemoryKeyring
) -> None:
    memory_keyring.set_password(SERVICE, "home-a/curve-secret", "not a key")

    with pytest.raises(IdentityError, match="damaged"):
        load_or_create_identity(SecretStore("home-a", secrets_path), None)


def test_an_invalid_public_hint_is_an_error(secrets_path: Path) -> None:
    with pytest.raises(IdentityError, match="not a 40-character Z85"):
        load_or_create_identity(SecretStore("home-a", secrets_path), b"short")


def test_repr_and_str_leave_the_secret_out() -> None:
    public, secret = zmq.curve_keypair()
    identity = Identity(public=public, secret=secret)

    for text in (repr(identity), str(identity), f"{identity}", repr([identity])):
        assert secret.decode() not in text
        assert repr(secret) not in text
        assert public.decode() in text


def test_identity_refuses_keys_that_are_not_z85_keys() -> None:
    public, secret = zmq.curve_keypair()

    with pytest.raises(IdentityError, match="public key"):
        Identity(public=b"x" * 39, secret=secret)
    with pytest.raises(IdentityError, match="secret key"):
        Identity(public=public, secret=b"~" * 40)
