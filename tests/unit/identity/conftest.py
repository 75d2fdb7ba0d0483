"""Fixtures for the identity tests. No test here may reach the real system keyring."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest

from hallway.identity import secret_store
from hallway.identity.memory import MemoryKeyring


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Every test gets its own empty in-memory keyring as the process-wide backend.

    The previous backend is read from keyring.core rather than keyring.get_keyring(): the latter
    would run keyring's backend detection, which probes the real keyring over D-Bus.
    """
    previous = keyring.core._keyring_backend
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.core._keyring_backend = previous


@pytest.fixture(autouse=True)
def _fresh_fallback_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fallback warning is logged once per process; each test is a process of its own here."""
    monkeypatch.setattr(secret_store, "_WARNING_LOGGED", threading.Event())


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir(mode=0o700)
    return path


@pytest.fixture
def secrets_path(home: Path) -> Path:
    return home / "secrets.json"
