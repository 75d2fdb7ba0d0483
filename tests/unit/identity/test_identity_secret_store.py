from __future__ import annotations

import json
import logging
import os
import re
import stat
from pathlib import Path

import keyring
import pytest
from keyring.backends import chainer, fail, null
from keyring.errors import InitError, KeyringLocked, NoKeyringError

from hallway.identity import IdentityError, SecretStore, load_or_create_identity, owner_file
from hallway.identity.memory import MemoryKeyring
from hallway.identity.secret_store import CURVE_SECRET, OFFICE_KEY, SERVICE
from tests.support.file_keyring import LockedKeyring  # every call refused, as when locked


class DBusFailingKeyring(MemoryKeyring):
    """Reads work until `broken`; then calls fail the way a dead D-Bus session does."""

    broken = False

    def get_password(self, service: str, username: str) -> str | None:
        if self.broken:
            raise OSError("Connection refused: /run/user/1000/bus")
        return super().get_password(service, username)


class ForgetfulKeyring(MemoryKeyring):
    """Accepts values and drops them, like keyring.backends.null but without saying so."""

    def set_password(self, service: str, username: str, password: str) -> None:
        pass


def _fallback_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "hallway.identity" and r.levelname == "WARNING"]


def test_a_working_keyring_is_used_and_named(
    secrets_path: Path, memory_keyring: MemoryKeyring
) -> None:
    store = SecretStore("home-a", secrets_path)

    store.set(OFFICE_KEY, "value")

    assert not store.using_fallback
    assert store.warning is None
    assert store.backend_name == "hallway.identity.memory.MemoryKeyring"
    assert memory_keyring.get_password(SERVICE, "home-a/office-key") == "value"
    assert not secrets_path.exists()


def test_without_a_keyring_keys_go_to_an_owner_only_file_with_one_warning(
    home: Path, secrets_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="hallway.identity")
    os.chmod(home, 0o755)  # the file must be private even in a readable directory
    store = SecretStore("home-a", secrets_path, backend=fail.Keyring())
    identity = load_or_create_identity(store, None)

    assert store.using_fallback
    assert store.backend_name == f"file {secrets_path}"
    assert stat.S_IMODE(secrets_path.stat().st_mode) == 0o600
    assert store.warning == (
        f"No system keyring is available; keeping keys in {secrets_path} (readable only by you)"
    )

    again = SecretStore("home-a", secrets_path, backend=fail.Keyring())
    assert load_or_create_identity(again, identity.public) == identity
    assert again.warning == store.warning
    assert [r.getMessage() for r in _fallback_records(caplog)] == [store.warning]
    assert [p.name for p in home.iterdir()] == ["secrets.json"]  # no temporary files left


def test_the_process_wide_fail_keyring_means_the_file(secrets_path: Path) -> None:
    keyring.set_keyring(fail.Keyring())  # the memory_keyring fixture restores the old one
    store = SecretStore("home-a", secrets_path)

    load_or_create_identity(store, None)

    assert store.using_fallback
    assert secrets_path.exists()


def test_a_chainer_without_backends_and_the_null_keyring_mean_the_file(
    secrets_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    for backend in (chainer.ChainerBackend(), null.Keyring()):
        store = SecretStore("home-a", secrets_path, backend=backend)
        assert store.using_fallback
        assert store.warning is not None
        assert store.warning.startswith("No system keyring is available")


@pytest.mark.parametrize("error", [NoKeyringError, InitError, KeyringLocked, ImportError])
def test_a_keyring_that_cannot_even_be_loaded_means_the_file(
    secrets_path: Path, monkeypatch: pytest.MonkeyPatch, error: type[Exception]
) -> None:
    def get_keyring() -> None:
        raise error("org.freedesktop.DBus.Error.ServiceUnknown")

    monkeypatch.setattr("keyring.get_keyring", get_keyring)

    store = SecretStore("home-a", secrets_path)

    assert store.using_fallback
    assert store.warning is not None
    assert str(secrets_path) in store.warning


def test_a_locked_keyring_means_the_file_and_a_clear_warning(
    secrets_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = SecretStore("home-a", secrets_path, backend=LockedKeyring())
    assert not store.using_fallback  # it looks fine until it is used

    store.set(OFFICE_KEY, "value")

    assert store.using_fallback
    assert store.get(OFFICE_KEY) == "value"
    assert store.warning == (
        "The system keyring could not be used (KeyringLocked: Failed to unlock the collection!); "
        f"keeping keys in {secrets_path} (readable only by you)"
    )
    assert len(_fallback_records(caplog)) == 1


def test_a_keyring_that_drops_values_is_caught_before_the_identity_is_lost(
    secrets_path: Path,
) -> None:
    store = SecretStore("home-a", secrets_path, backend=ForgetfulKeyring())
    identity = load_or_create_identity(store, None)

    assert store.using_fallback
    again = SecretStore("home-a", secrets_path, backend=ForgetfulKeyring())
    assert load_or_create_identity(again, identity.public) == identity


def test_a_keyring_that_dies_mid_run_does_not_become_a_new_identity(secrets_path: Path) -> None:
    backend = DBusFailingKeyring()
    identity = load_or_create_identity(SecretStore("home-a", secrets_path, backend=backend), None)
    backend.broken = True
    store = SecretStore("home-a", secrets_path, backend=backend)

    with pytest.raises(IdentityError, match="unlock it") as raised:
        load_or_create_identity(store, identity.public)
    assert "OSError: Connection refused" in str(raised.value)
    assert not secrets_path.exists()


def test_the_file_is_read_first_because_it_only_ever_holds_the_newest_entry(
    secrets_path: Path, memory_keyring: MemoryKeyring
) -> None:
    locked = SecretStore("home-a", secrets_path, backend=LockedKeyring())
    SecretStore("home-a", secrets_path).set(OFFICE_KEY, "old, in the keyring")
    locked.set(OFFICE_KEY, "new, while the keyring was locked")

    unlocked = SecretStore("home-a", secrets_path)
    assert unlocked.get(OFFICE_KEY) == "new, while the keyring was locked"

    unlocked.set(OFFICE_KEY, "newest, in the keyring")
    assert not secrets_path.exists()  # its last entry moved out
    assert unlocked.get(OFFICE_KEY) == "newest, in the keyring"


def test_delete_removes_an_entry_from_both_places(
    secrets_path: Path, memory_keyring: MemoryKeyring
) -> None:
    SecretStore("home-a", secrets_path).set(OFFICE_KEY, "in the keyring")
    SecretStore("home-a", secrets_path, backend=fail.Keyring()).set(OFFICE_KEY, "in the file")
    store = SecretStore("home-a", secrets_path)

    store.delete(OFFICE_KEY)
    store.delete(OFFICE_KEY)  # deleting what is not there is fine

    assert store.get(OFFICE_KEY) is None
    assert memory_keyring.get_password(SERVICE, "home-a/office-key") is None
    assert not secrets_path.exists()


def test_delete_from_a_locked_keyring_is_reported(secrets_path: Path) -> None:
    store = SecretStore("home-a", secrets_path, backend=LockedKeyring())

    with pytest.raises(IdentityError, match="may come back once the keyring works"):
        store.delete(OFFICE_KEY)
    assert store.using_fallback


def test_the_file_keeps_other_entries_when_one_changes(secrets_path: Path) -> None:
    store = SecretStore("home-a", secrets_path, backend=fail.Keyring())
    store.set(CURVE_SECRET, "one")
    store.set(OFFICE_KEY, "two")
    store.delete(OFFICE_KEY)

    assert store.get(CURVE_SECRET) == "one"
    assert json.loads(secrets_path.read_text()) == {
        "format": 1,
        "secrets": {"home-a/curve-secret": "one"},
    }


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o644])
def test_a_secrets_file_others_can_read_or_change_is_refused(secrets_path: Path, mode: int) -> None:
    store = SecretStore("home-a", secrets_path, backend=fail.Keyring())
    identity = load_or_create_identity(store, None)
    secrets_path.chmod(mode)

    with pytest.raises(IdentityError, match=re.escape(f"`chmod 600 {secrets_path}`")):
        load_or_create_identity(store, identity.public)
    with pytest.raises(IdentityError, match="other users can read or change it"):
        store.set(OFFICE_KEY, "value")  # nor is it rewritten behind the person's back
    assert stat.S_IMODE(secrets_path.stat().st_mode) == mode


def test_a_refused_file_is_refused_even_when_the_keyring_works(secrets_path: Path) -> None:
    secrets_path.write_text('{"format": 1, "secrets": {}}')
    secrets_path.chmod(0o644)

    with pytest.raises(IdentityError, match="chmod 600"):
        SecretStore("home-a", secrets_path).get(OFFICE_KEY)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b'{"secrets": {}}',
        b'{"format": 1, "secrets": []}',
        b'{"format": 1, "secrets": {"home-a/curve-secret": 7}}',
        b'{"format": 1}' + b" " * 70_000,
    ],
)
def test_a_corrupt_secrets_file_is_an_error_not_a_new_identity(
    secrets_path: Path, content: bytes
) -> None:
    fd = os.open(secrets_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, content)
    os.close(fd)
    store = SecretStore("home-a", secrets_path, backend=fail.Keyring())

    with pytest.raises(IdentityError, match="is damaged"):
        load_or_create_identity(store, None)
    assert secrets_path.read_bytes() == content


def test_a_file_from_another_format_is_named_as_such(secrets_path: Path) -> None:
    fd = os.open(secrets_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b'{"format": 2, "secrets": {}}')
    os.close(fd)

    with pytest.raises(IdentityError, match="different version of Hallway"):
        SecretStore("home-a", secrets_path, backend=fail.Keyring()).get(CURVE_SECRET)


def test_a_secrets_path_that_is_a_directory_is_refused(secrets_path: Path) -> None:
    secrets_path.mkdir(mode=0o700)

    with pytest.raises(IdentityError, match="not a regular file"):
        SecretStore("home-a", secrets_path, backend=fail.Keyring()).get(CURVE_SECRET)


def test_a_failed_write_is_an_error_and_leaves_no_temporary_file(
    home: Path, secrets_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(owner_file.os, "replace", replace)
    store = SecretStore("home-a", secrets_path, backend=fail.Keyring())

    with pytest.raises(IdentityError, match=r"Cannot write .*No space left on device"):
        store.set(OFFICE_KEY, "value")
    assert list(home.iterdir()) == []


def test_a_secrets_file_under_a_non_directory_is_an_error(home: Path) -> None:
    blocker = home / "not-a-directory"
    blocker.write_text("")
    store = SecretStore("home-a", blocker / "secrets.json", backend=fail.Keyring())

    with pytest.raises(IdentityError, match=r"Cannot read .*Not a directory"):
        store.set(OFFICE_KEY, "value")


@pytest.mark.parametrize("instance", ["", "a/b", "home a", "x" * 65])
def test_instance_ids_that_could_collide_are_refused(secrets_path: Path, instance: str) -> None:
    with pytest.raises(IdentityError, match="Invalid instance id"):
        SecretStore(instance, secrets_path)


def test_kept_in_file_answers_without_the_keyring(secrets_path: Path) -> None:
    store = SecretStore("home-f", secrets_path, backend=fail.Keyring())
    assert not store.kept_in_file()
    store.set(CURVE_SECRET, "z" * 40)  # no keyring works: the file takes it
    again = SecretStore("home-f", secrets_path, backend=fail.Keyring())
    assert again.kept_in_file()
