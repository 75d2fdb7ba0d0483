"""`hallway` with no command: a second launch, a headless node in the way, no display."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from hallway.control import ControlServer
from hallway.store.home import control_socket_path
from tests.unit.cli.conftest import Run
from tests.unit.control.fake_node import FakeNode


@pytest.fixture
def no_display(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_display")
def test_without_a_display_the_tray_app_says_so(run: Run, home: Path) -> None:
    loaded = set(sys.modules)
    result = run("--home", str(home))
    assert result.code == 1
    assert "no graphical display" in result.err
    assert "hallway node" in result.err
    assert "Traceback" not in result.err
    assert not [m for m in set(sys.modules) - loaded if m.startswith(("PySide6", "hallway.ui"))]


def test_a_second_launch_brings_the_first_forward(run: Run, home: Path) -> None:
    shown = threading.Event()
    with ControlServer(control_socket_path(home), FakeNode(), on_show=shown.set):
        result = run("--home", str(home))
    assert result.code == 0
    assert shown.is_set()
    assert "already running" in result.err


def test_a_headless_node_in_the_home_is_explained(run: Run, home: Path, running: FakeNode) -> None:
    result = run("--home", str(home))
    assert result.code == 1
    assert "headless node" in result.err
