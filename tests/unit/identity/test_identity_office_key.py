from __future__ import annotations

import sys
from pathlib import Path

import pytest
from keyring.backends import fail

from hallway.core.office import derive_office_key
from hallway.identity import (
    OFFICE_KEY_LEN,
    IdentityError,
    SecretStore,
    forget_office_key,
    helper,
    load_office_key,
    office_key,
    save_office_key,
)
from hallway.identity.memory import MemoryKeyring
from hallway.identity.secret_store import SERVICE


def test_no_office_key_before_joining(secrets_path: Path) -> None:
    assert load_office_key(SecretStore("home-a", secrets_path)) is None


def test_a_derived_office_key_round_trips_through_the_keyring(
    secrets_path: Path, memory_keyring: MemoryKeyring
) -> None:
    key = derive_office_key("Acme Studio", "correct horse")
    assert len(key) == OFFICE_KEY_LEN

    save_office_key(SecretStore("home-a", secrets_path), key)

    assert load_office_key(SecretStore("home-a", secrets_path)) == key
    assert memory_keyring.get_password(SERVICE, "home-a/office-key") is not None


def test_the_office_key_round_trips_through_the_fallback_file(secrets_path: Path) -> None:
    key = bytes(range(32))
    save_office_key(SecretStore("home-a", secrets_path, backend=fail.Keyring()), key)

    assert load_office_key(SecretStore("home-a", secrets_path, backend=fail.Keyring())) == key


def test_forgetting_the_office_key(secrets_path: Path) -> None:
    store = SecretStore("home-a", secrets_path)
    save_office_key(store, bytes(32))

    forget_office_key(store)
    forget_office_key(store)

    assert load_office_key(store) is None


def test_office_keys_of_two_homes_are_separate(tmp_path: Path) -> None:
    a = SecretStore("home-a", tmp_path / "a.json")
    b = SecretStore("home-b", tmp_path / "b.json")
    save_office_key(a, b"a" * 32)

    assert load_office_key(b) is None
    save_office_key(b, b"b" * 32)
    assert load_office_key(a) == b"a" * 32


@pytest.mark.parametrize("key", [b"", b"short", bytes(33)])
def test_a_key_of_the_wrong_size_is_not_saved(secrets_path: Path, key: bytes) -> None:
    store = SecretStore("home-a", secrets_path)

    with pytest.raises(IdentityError, match="An office key is 32 bytes"):
        save_office_key(store, key)
    assert load_office_key(store) is None


@pytest.mark.parametrize("stored", ["not base64!", "AAAA", "ünïcode"])
def test_a_damaged_stored_office_key_is_an_error(
    secrets_path: Path, memory_keyring: MemoryKeyring, stored: str
) -> None:
    memory_keyring.set_password(SERVICE, "home-a/office-key", stored)

    with pytest.raises(IdentityError, match="Join the office again"):
        load_office_key(SecretStore("home-a", secrets_path))


@pytest.mark.parametrize("helper_runs", [True, False])
def test_a_process_that_keeps_openssl_out_derives_the_same_key(
    monkeypatch: pytest.MonkeyPatch, helper_runs: bool
) -> None:
    """In a helper process (`hallway --derive-office-key`), or here when none can run."""
    expected = derive_office_key("Acme", "s3cret")
    launched: list[str] = []
    launch = helper.HelperProcess.launch

    def counted(self: helper.HelperProcess) -> None:
        launched.append("helper")
        launch(self)

    monkeypatch.setattr(helper.HelperProcess, "launch", counted)
    monkeypatch.setitem(sys.modules, "_hashlib", None)  # as `hallway.entry` leaves it
    if helper_runs:  # the key must come from the helper, not from here

        def not_here(office: str, passphrase: str) -> bytes:
            raise AssertionError("derived in this process")

        monkeypatch.setattr(office_key.core_office, "derive_office_key", not_here)
    else:
        monkeypatch.setattr(helper, "helper_command", lambda _flag: [sys.executable, "-c", ""])
    assert office_key.derive_office_key("Acme", "s3cret") == expected
    assert launched == ["helper"]
