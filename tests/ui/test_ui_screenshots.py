"""Screenshots of the popup, both tabs, the wrong-office hint, first run, settings, the tray menu
and two members called Bob, in the light and the dark theme, to look at
(artifacts/screenshots/*-light.png, *-dark.png).
"""

from __future__ import annotations

import time
from datetime import datetime

import msgspec
import pytest
from hallway_ui_fakes import (
    ANN,
    BEN,
    CY,
    OWN,
    FakeNode,
    online_event,
    peer,
    post_event,
    status_event,
)
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QSystemTrayIcon
from screenshot_helper import THEMES, save_screenshot, themed

from hallway.core.model import Presence, Status
from hallway.engine.events import OTHER_OFFICE, NodeWarning, WarningCleared
from hallway.ui.controller import AppController
from hallway.ui.first_run import FirstRunDialog
from hallway.ui.quick_status import ClearAfter, QuickStatusPopup
from hallway.ui.settings import SettingsDialog

NOW = datetime(2026, 11, 26, 14, 20).astimezone()
DEE, EVA = "e" * 32, "f" * 32
BOB, FAKE_BOB = "3f9a1c2b" + "0" * 24, "7c21" + "0" * 28


class Runtime:
    def __init__(self, node: FakeNode) -> None:
        self.node = node
        self.warnings: list[str] = []

    def close(self) -> None:
        pass


class Notifier:
    on_activated = None

    def notify(self, *args, **kwargs):
        pass

    def close(self):
        pass


@pytest.fixture(params=THEMES)
def theme(request, qapp):
    with themed(qapp, request.param) as shown:
        assert shown == request.param
        yield request.param


@pytest.fixture
def office_node() -> FakeNode:
    node = FakeNode()
    now = time.time()
    node._me = peer(
        OWN,
        "Sam Carter",
        own=True,
        status=Status(Presence.BUSY, "Quarterly report", "📅", now + 5400, now),
    )
    node._others = [
        peer(
            ANN,
            "Ann Example",
            status=Status(Presence.AVAILABLE, "Dentist, back at 2", "🦷", None, now),
        ),
        peer(BEN, "ben", online=False),
        peer(CY, "Cy Okafor", status=Status(Presence.AWAY, "Lunch", "🍽️", now + 1800, now)),
        peer(DEE, "Dee", status=Status(Presence.DND, "<b>hi</b><img src=x>", "", None, now)),
        peer(EVA, "Eva Lindqvist-Montgomery", status=Status(Presence.AVAILABLE)),
    ]
    return node


@pytest.fixture
def app(qtbot, monkeypatch, theme, office_node, config):
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    controller = AppController(
        Runtime(office_node), config, save_config=lambda c: None, notifier=Notifier()
    )
    controller.start()
    yield controller
    controller.close()
    controller.deleteLater()


def test_screenshot_main_window_tabs(qtbot, app, office_node, theme):
    now = time.time()
    office_node.emit(
        post_event(
            ANN, "Ann Example", "Cake in the kitchen #food — help yourselves!", seq=1, at=now - 3600
        ),
        status_event(CY, "Cy Okafor", Presence.AWAY, "Lunch", emoji="🍽️", at=now - 1800),
        post_event(DEE, "Dee", "<b>hi</b><img src=x>", seq=2, at=now - 900),
        post_event(
            BEN,
            "ben",
            "Fire drill at 15:00. Please leave by the main stairs, not the "
            "lift, and meet in the car park by the big oak tree.",
            urgent=True,
            seq=3,
            at=now - 60,
        ),
    )
    qtbot.waitUntil(lambda: app.feed.rowCount() == 4)
    window = app.window
    window.resize(900, 520)
    window.show()
    qtbot.waitExposed(window)
    window.people_tab.select_peer(DEE)
    window.warning_banner.show_text("Port 5670 is in use; using 5671 instead.")
    save_screenshot(window, f"main-people-{theme}")
    window.tabs.setCurrentWidget(window.feed_tab)
    window.feed_tab.list.setCurrentIndex(app.feed.index(1, 0))
    save_screenshot(window, f"main-feed-{theme}")


def test_screenshot_wrong_office_hint(qtbot, app, office_node, theme):
    window = app.window
    window.resize(900, 520)
    window.show()
    qtbot.waitExposed(window)
    message = "3 Hallway users nearby are in another office or typed a different passphrase."
    office_node.emit(NodeWarning(at=time.time(), message=message, code=OTHER_OFFICE))
    qtbot.waitUntil(window.office_banner.isVisible)
    assert message in app.tray.icon.toolTip()
    save_screenshot(window, f"office-hint-{theme}")
    office_node.emit(WarningCleared(at=time.time(), code=OTHER_OFFICE))
    qtbot.waitUntil(lambda: not window.office_banner.isVisible())


def test_screenshot_quick_status(qtbot, bridge, node, theme):
    popup = QuickStatusPopup(bridge, clock=lambda: NOW)
    qtbot.addWidget(popup)
    popup.set_presence(Presence.BUSY)
    popup.text_edit.setText("In a meeting until 3")
    popup.set_emoji("📅")
    popup.set_clear_after(ClearAfter.HOUR_1)
    popup.show_near(None)
    qtbot.waitExposed(popup)
    save_screenshot(popup, f"quick-status-{theme}")
    popup.set_emoji("🍽️")
    popup.emoji_edit.setText("nope")
    popup.accept()
    save_screenshot(popup, f"quick-status-refused-{theme}")
    popup.emoji_edit.clear()
    popup.text_edit.setText("x" * 140)
    save_screenshot(popup, f"quick-status-limit-{theme}")


def test_screenshot_first_run(qtbot, theme):
    dialog = FirstRunDialog(default_name="Sam Carter")
    qtbot.addWidget(dialog)
    dialog.office.office.setText("Acme Leeds")
    dialog.show()
    qtbot.waitExposed(dialog)
    save_screenshot(dialog, f"first-run-{theme}")
    dialog.office.open.click()
    save_screenshot(dialog, f"first-run-open-{theme}")


def test_screenshot_settings(qtbot, config, theme):
    dialog = SettingsDialog(config, platform="linux")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    save_screenshot(dialog, f"settings-{theme}")


def test_screenshot_tray_menu(qtbot, app, theme):
    app.tray.menu.popup(QPoint(100, 100))
    qtbot.waitExposed(app.tray.menu)
    save_screenshot(app.tray.menu, f"tray-menu-{theme}")
    app.tray.menu.hide()
    pause = app.tray.pause_menu
    pause.popup(QPoint(300, 100))
    qtbot.waitExposed(pause)
    save_screenshot(pause, f"tray-menu-pause-{theme}")
    pause.hide()


def test_screenshot_two_bobs(qtbot, app, office_node, theme):
    """A member named itself "Bob" with a Cyrillic o: both Bobs show the start of their
    fingerprint and a mark, in People and in the feed."""
    now = time.time()

    def bob(pid: str, name: str, other: str, short: str, status: Status):
        view = peer(pid, name, status=status)
        return msgspec.structs.replace(
            view, look_alike=True, look_alikes=(other,), short_fingerprint=short
        )

    office_node._others = [
        *office_node._others[:3],
        bob(BOB, "Bob", FAKE_BOB, "3f9a", Status(Presence.BUSY, "Release day", "🚀", None, now)),
        bob(FAKE_BOB, "B\u043eb", BOB, "7c21", Status(Presence.AVAILABLE, set_at=now)),
    ]
    office_node.emit(
        online_event(BOB, "Bob"),  # known before the impostor arrives
        status_event(BOB, "Bob", Presence.BUSY, "Release day", emoji="🚀", at=now - 1200),
        msgspec.structs.replace(
            online_event(FAKE_BOB, "B\u043eb"), look_alike=True, short_fingerprint="7c21"
        ),
        NodeWarning(
            at=now,
            message="Two members have names that look alike: B\u043eb (7c21) and Bob (3f9a). "
            "Tell them apart by the fingerprint.",
            peer=FAKE_BOB,
        ),
    )
    qtbot.waitUntil(lambda: bool(app.people.peer(BOB) and app.people.peer(BOB).look_alike))
    office_node.emit(
        post_event(ANN, "Ann Example", "Cake in the kitchen #food", seq=1, at=now - 900),
        msgspec.structs.replace(
            post_event(BOB, "Bob", "Deploying the release at 4, please hold merges", seq=2,
                       at=now - 600),
            look_alike=True, short_fingerprint="3f9a",
        ),
        msgspec.structs.replace(
            post_event(FAKE_BOB, "B\u043eb", "Please send me your passphrase for the release",
                       seq=3, at=now - 60),
            look_alike=True, short_fingerprint="7c21",
        ),
    )  # fmt: skip
    qtbot.waitUntil(lambda: app.feed.rowCount() == 4)
    window = app.window
    window.resize(900, 560)
    window.show()
    qtbot.waitExposed(window)
    window.people_tab.select_peer(FAKE_BOB)
    save_screenshot(window, f"lookalike-people-{theme}")
    window.tabs.setCurrentWidget(window.feed_tab)
    save_screenshot(window, f"lookalike-feed-{theme}")
