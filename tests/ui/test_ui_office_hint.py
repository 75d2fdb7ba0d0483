"""The wrong-office hint: a banner in the window and a line in the tray tooltip while it lasts."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from hallway_ui_fakes import ANN

from hallway.engine.events import OTHER_OFFICE, NodeWarning, WarningCleared
from hallway.ui.main_window import MainWindow
from hallway.ui.models import FeedModel, PeopleModel
from hallway.ui.notify_policy import NotifyPolicy
from hallway.ui.tray import TrayController

HINT = "3 Hallway users nearby are in another office or typed a different passphrase."


@pytest.fixture
def scene(qtbot, bridge) -> Iterator[tuple[MainWindow, TrayController]]:
    people = PeopleModel()
    people.reset(bridge.peers())
    window = MainWindow(bridge, people, FeedModel())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    tray = TrayController(bridge, people, NotifyPolicy())
    yield window, tray
    tray.close()


def warning(message: str, code: str | None = None) -> NodeWarning:
    return NodeWarning(at=time.time(), message=message, code=code)


def test_the_hint_shows_while_it_lasts_and_goes_on_warning_cleared(qtbot, scene, node):
    window, tray = scene
    plain_tooltip = tray.icon.toolTip()
    node.emit(warning(HINT, OTHER_OFFICE))
    qtbot.waitUntil(window.office_banner.isVisible)
    assert window.office_banner.label.text() == HINT
    assert not window.warning_banner.isVisible()  # the one-off banner is left for others
    assert tray.icon.toolTip() == f"{plain_tooltip}\n{HINT}"
    # Someone else's lasting warning does not clear ours.
    node.emit(WarningCleared(at=time.time(), code="another"))
    node.emit(WarningCleared(at=time.time(), code=OTHER_OFFICE))
    qtbot.waitUntil(lambda: not window.office_banner.isVisible())
    assert tray.icon.toolTip() == plain_tooltip


def test_one_off_warnings_still_use_the_dismissable_banner(qtbot, scene, node):
    window, tray = scene
    node.emit(warning(f"Dropped a bad frame from {ANN[:8]}"))
    qtbot.waitUntil(window.warning_banner.isVisible)
    assert not window.office_banner.isVisible()
    assert "\n" not in tray.icon.toolTip()


def test_the_bridge_has_a_signal_for_warning_cleared(qtbot, bridge, node):
    with qtbot.waitSignal(bridge.warning_cleared) as blocker:
        node.emit(WarningCleared(at=time.time(), code=OTHER_OFFICE))
    assert blocker.args[0].code == OTHER_OFFICE
