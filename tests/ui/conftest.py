"""pytest-qt on the offscreen platform, with a fake engine and a leak check for windows."""

from __future__ import annotations

import os

# Before any QApplication exists (pytest-qt makes it lazily, after conftest is imported).
os.environ["QT_QPA_PLATFORM"] = "offscreen"

from collections.abc import Iterator

import pytest
from hallway_ui_fakes import FakeNode, make_config
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication

from hallway.store.config import Config
from hallway.ui.bridge import EngineBridge

pytestmark = pytest.mark.gui


def _flush_deletes() -> None:
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()


@pytest.fixture(autouse=True)
def no_leaked_windows(qapp: QApplication) -> Iterator[None]:
    """Fail a test that leaves a top-level widget behind."""
    _flush_deletes()
    before = set(map(id, QApplication.topLevelWidgets()))
    yield
    _flush_deletes()
    leaked = [w for w in QApplication.topLevelWidgets() if id(w) not in before]
    names = [f"{type(w).__name__}({w.objectName()!r})" for w in leaked]
    for widget in leaked:
        widget.close()
        widget.deleteLater()
    _flush_deletes()
    assert not leaked, f"top-level widgets leaked: {names}"


@pytest.fixture
def node() -> FakeNode:
    return FakeNode()


@pytest.fixture
def bridge(qapp: QApplication, node: FakeNode) -> Iterator[EngineBridge]:
    bridge = EngineBridge(node)
    bridge.attach()
    yield bridge
    bridge.close()
    bridge.deleteLater()


@pytest.fixture
def config() -> Config:
    return make_config()
