"""Fixtures for the identity tests. No test here may reach the real system keyring."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from hallway.identity import secret_store


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
