from __future__ import annotations

import keyring.core
import pytest
from keyring.backends import fail, null
from keyring.errors import PasswordDeleteError

from hallway.identity.memory import MemoryKeyring


def test_memory_keyring_stores_gets_and_deletes() -> None:
    backend = MemoryKeyring()

    assert backend.get_password("svc", "user") is None
    backend.set_password("svc", "user", "secret")
    assert backend.get_password("svc", "user") == "secret"
    assert backend.get_password("svc", "other") is None
    assert backend.get_password("other", "user") is None
    backend.delete_password("svc", "user")
    assert backend.get_password("svc", "user") is None


def test_deleting_what_is_not_there_raises_like_real_backends() -> None:
    with pytest.raises(PasswordDeleteError):
        MemoryKeyring().delete_password("svc", "user")


def test_instances_are_independent() -> None:
    a, b = MemoryKeyring(), MemoryKeyring()
    a.set_password("svc", "user", "secret")

    assert b.get_password("svc", "user") is None


def test_it_can_be_chosen_with_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "hallway.identity.memory.MemoryKeyring")

    assert isinstance(keyring.core.load_env(), MemoryKeyring)


def test_it_never_wins_keyring_detection_in_a_real_process() -> None:
    assert MemoryKeyring.priority < null.Keyring.priority < fail.Keyring.priority
