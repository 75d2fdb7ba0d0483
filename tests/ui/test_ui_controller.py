"""The app session: the no-tray fallback, following, pop-up clicks, and quitting."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from hallway_ui_fakes import ANN, CY, OWN, FakeNode, RecordingNotifier, post_event
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from hallway.engine.events import OTHER_OFFICE, NodeWarning, WarningCleared
from hallway.ui import controller as controller_module
from hallway.ui.controller import AppController
from hallway.ui.knowledge_popups import ACK_KEY, thread_item
from hallway.ui.models import FOLLOWED_ROLE
from hallway.ui.people_delegate import star_rect

LEFT = Qt.MouseButton.LeftButton


class FakeRuntime:
    def __init__(self, node: FakeNode, warnings: list[str] | None = None) -> None:
        self.node = node
        self.closed = 0
        self.warnings = warnings or []

    def close(self) -> None:
        self.closed += 1


class Notifier:
    def __init__(self) -> None:
        self.on_activated = None
        self.on_action = None
        self.supports_actions = False
        self.shown: list[tuple[str, str, str, str | None]] = []
        self.images: list = []

    def notify(self, title, body, urgency, item_id, image=None, *, actions=()):
        self.shown.append((title, body, urgency, item_id))
        self.images.append(image)

    def close(self):
        pass


@pytest.fixture
def saved():
    return []


@pytest.fixture
def runtime(node) -> FakeRuntime:
    return FakeRuntime(node)


@pytest.fixture
def make_app(qapp, runtime, config, saved) -> Iterator:
    made: list[AppController] = []

    def make(**kwargs) -> AppController:
        kwargs.setdefault("notifier", Notifier())
        app = AppController(runtime, config, save_config=saved.append, **kwargs)
        made.append(app)
        return app

    yield make
    for app in made:
        app.close()
        app.deleteLater()


def tray_available(monkeypatch, available: bool) -> None:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: available))


def test_without_a_tray_the_window_is_shown_and_usable(qtbot, monkeypatch, make_app, node):
    tray_available(monkeypatch, False)
    monkeypatch.setattr(controller_module, "TRAY_RECHECK_MS", 50)
    app = make_app()
    app.start(minimized=True)
    assert app.window.isVisible()
    assert not app.uses_tray()
    assert not app.window.hide_on_close
    # Usable: post from the Feed tab's compose box.
    app.window.feed_tab.compose.editor.setPlainText("Hello office")
    assert app.window.feed_tab.compose.send()
    assert node.calls[-1] == ("post", ("Hello office",), {"urgent": False})
    # A tray appears later: the app moves to it (a minimized window goes away).
    tray_available(monkeypatch, True)
    qtbot.waitUntil(app.uses_tray, timeout=2000)
    assert app.window.hide_on_close
    assert not app.window.isVisible()


def test_with_a_tray_minimized_start_shows_no_window(monkeypatch, make_app):
    tray_available(monkeypatch, True)
    app = make_app()
    app.start(minimized=True)
    assert app.uses_tray()
    assert not app.window.isVisible()
    app.tray.action("open").trigger()
    assert app.window.isVisible()
    app.window.close()  # hides to the tray
    assert not app.window.isVisible()


def test_with_a_tray_the_app_starts_in_the_tray(monkeypatch, make_app):
    tray_available(monkeypatch, True)
    app = make_app()
    app.start()
    assert app.uses_tray()
    assert not app.window.isVisible()
    app.tray.action("open").trigger()  # "Open Hallway"
    assert app.window.isVisible()


def main_windows() -> list[str]:
    return [type(w).__name__ for w in QApplication.topLevelWidgets()
            if type(w).__name__ == "MainWindow"]  # fmt: skip


def test_in_the_tray_the_window_is_built_only_when_opened_and_misses_nothing(
    qtbot, monkeypatch, make_app, node
):
    """Idling in the tray costs no window; what happened meanwhile is there when it opens."""
    tray_available(monkeypatch, True)
    app = make_app()
    app.start()
    now = time.time()
    drill = node.receive_post(OWN, "Sam", "Fire drill at 15:00", ack=True)
    node.emit(drill)
    node.emit(node.receive_ack(drill.post.id, ANN, "Ann"),
              node.receive_ack(drill.post.id, CY, "Cy"))  # fmt: skip
    node.emit(NodeWarning(at=now, message="Another office is near", code=OTHER_OFFICE),
              NodeWarning(at=now, message="Gone by now", code="passing"),
              WarningCleared(at=now, code="passing"),
              NodeWarning(at=now, message="Dropped a bad frame"))  # fmt: skip
    feed = app.feed
    qtbot.waitUntil(lambda: feed.row_of(drill.post.id) >= 0
                    and feed.item(feed.row_of(drill.post.id)).acks[0] == 2)  # fmt: skip
    assert not main_windows()

    app.tray.action("open").trigger()
    assert main_windows() == ["MainWindow"]
    window = app.window
    assert window.isVisible()
    assert window.office_banner.label.text() == "Another office is near"
    assert window.warning_banner.label.text() == "Dropped a bad frame"
    tab = window.feed_tab
    assert tab.model.item(tab.model.row_of(drill.post.id)).acks[0] == 2
    # Built once: later warnings reach it directly.
    node.emit(WarningCleared(at=time.time(), code=OTHER_OFFICE))
    qtbot.waitUntil(lambda: not window.office_banner.isVisible())


def test_the_first_run_and_the_demo_open_the_window_unless_minimized(monkeypatch, make_app):
    tray_available(monkeypatch, True)
    opened = make_app()
    opened.start(open_window=True)
    assert opened.uses_tray()
    assert opened.window.isVisible()
    kept = make_app()
    kept.start(open_window=True, minimized=True)
    assert not kept.window.isVisible()


def test_the_wrong_office_banner_opens_the_settings(qtbot, monkeypatch, make_app):
    tray_available(monkeypatch, False)
    app = make_app()
    app.start()
    app.window.settings_requested.emit()
    [dialog] = app.dialogs()
    assert type(dialog).__name__ == "SettingsDialog"
    dialog.reject()
    qtbot.waitUntil(lambda: not app.dialogs())


def test_closing_the_window_without_a_tray_quits(qtbot, monkeypatch, make_app):
    tray_available(monkeypatch, False)
    app = make_app()
    app.start()
    with qtbot.waitSignal(app.quit_requested):
        app.window.close()


def test_starring_persists_followed(qtbot, monkeypatch, make_app, saved):
    tray_available(monkeypatch, False)
    app = make_app()
    app.start()
    tab = app.window.people_tab
    star = star_rect(tab.list.visualRect(tab.index_of(ANN))).center()
    qtbot.mouseClick(tab.list.viewport(), LEFT, pos=star)
    assert saved[-1].followed == [ANN]
    assert app.policy.prefs.followed == frozenset({ANN})
    assert tab.index_of(ANN).data(FOLLOWED_ROLE)
    qtbot.mouseClick(tab.list.viewport(), LEFT, pos=star)
    assert saved[-1].followed == []
    # A click elsewhere on the entry selects the person; it does not follow them.
    qtbot.mouseClick(tab.list.viewport(), LEFT, pos=tab.list.visualRect(tab.index_of(ANN)).center())
    assert saved[-1].followed == []
    assert tab.selected_peer().id == ANN


def test_clicking_a_popup_opens_its_item(qtbot, monkeypatch, make_app, node):
    tray_available(monkeypatch, True)
    app = make_app()
    app.start(minimized=True)
    node.emit(post_event(ANN, "Ann", "Cake in the kitchen", seq=7))
    notifier = app.notifications._notifier
    qtbot.waitUntil(lambda: len(notifier.shown) == 1)
    notifier.on_activated(notifier.shown[0][3])
    qtbot.waitUntil(app.window.isVisible)
    assert app.window.tabs.currentWidget() is app.window.feed_tab
    current = app.window.feed_tab.list.currentIndex()
    assert current.data() == "Cake in the kitchen"
    # A peer id opens the People tab on that person.
    app.window.show_item(ANN)
    assert app.window.tabs.currentWidget() is app.window.people_tab
    assert app.window.people_tab.selected_peer().name == "Ann"


def test_quit_closes_the_runtime_once(monkeypatch, make_app, runtime):
    tray_available(monkeypatch, True)
    app = make_app()
    app.start(minimized=True)
    app.close()
    app.close()
    assert runtime.closed == 1


def test_tray_popup_and_compose_open_and_close(qtbot, monkeypatch, make_app, node):
    tray_available(monkeypatch, True)
    app = make_app()
    app.start(minimized=True)
    app.tray.action("set-status").trigger()
    assert app._popup is not None
    assert app._popup.isVisible()
    app.tray.action("post").trigger()
    [dialog] = app.dialogs()
    dialog.box.editor.setPlainText("From the tray")
    dialog.box.send()
    assert node.calls[-1] == ("post", ("From the tray",), {"urgent": False})
    qtbot.waitUntil(lambda: not app.dialogs())


def test_runtime_warnings_show_in_the_window(monkeypatch, qapp, node, config, saved):
    tray_available(monkeypatch, False)
    warning = "No system keyring is available; keeping keys in /h/secrets.json"
    app = AppController(
        FakeRuntime(node, [warning]), config, save_config=saved.append, notifier=Notifier()
    )
    try:
        app.start()
        assert app.window.warning_banner.label.text() == warning
        assert app.window.warning_banner.isVisibleTo(app.window)
    finally:
        app.close()
        app.deleteLater()


def test_the_demo_shows_no_keyring_warning(monkeypatch, qapp, node, config, saved):
    tray_available(monkeypatch, False)
    app = AppController(
        FakeRuntime(node, ["No system keyring found"]),
        config,
        save_config=saved.append,
        notifier=Notifier(),
        demo=True,
    )
    try:
        app.start()
        assert not app.window.warning_banner.isVisibleTo(app.window)
    finally:
        app.close()
        app.deleteLater()


# -- threads, questions and acknowledgements ---------------------------------------------------


def test_acknowledge_from_a_popups_action(qtbot, monkeypatch, make_app, node):
    """The pop-up's Acknowledge reaches the engine, and the tray menu's line for it goes."""
    tray_available(monkeypatch, True)
    notifier = RecordingNotifier(actions=True)
    app = make_app(notifier=notifier)
    app.start(minimized=True)
    drill = node.receive_post(ANN, "Ann", "Fire drill at 15:00", ack=True)
    node.emit(drill)
    qtbot.waitUntil(lambda: notifier.titles() == ["Ann asks you to acknowledge"])
    assert notifier.actions == [((ACK_KEY, "Acknowledge"),)]
    qtbot.waitUntil(lambda: app.tray.attention.unacked != ())
    app.tray.menu.aboutToShow.emit()
    assert app.tray.action(f"ack-{drill.post.id}") is not None
    # The D-Bus notifier calls back from its own thread.
    chosen = threading.Thread(target=notifier.on_action, args=(drill.post.id, ACK_KEY))
    chosen.start()
    chosen.join()
    qtbot.waitUntil(lambda: "ack" in node.names_called())
    assert node.calls[-1][:2] == ("ack", (drill.post.id,))
    qtbot.waitUntil(lambda: app.tray.attention.unacked == ())
    app.tray.menu.aboutToShow.emit()
    assert app.tray.action(f"ack-{drill.post.id}") is None


def test_clicking_a_replys_popup_opens_its_thread(qtbot, monkeypatch, make_app, node):
    tray_available(monkeypatch, True)
    app = make_app()
    app.start(minimized=True)
    ours = node.receive_post(OWN, "Me", "Who knows the badge printer?", question=True)
    node.emit(ours, node.receive_reply(ours.post.id, ANN, "Ann", "Turn it off and on"))
    notifier = app.notifications._notifier
    qtbot.waitUntil(lambda: [t for t, *_ in notifier.shown] == ["Ann replied to a question"])
    item_id = notifier.shown[0][3]
    reply_id = node.thread(ours.post.id).replies[0].id
    assert item_id == thread_item(ours.post.id, reply_id)
    notifier.on_activated(item_id)
    qtbot.waitUntil(app.window.isVisible)
    assert app.window.tabs.currentWidget() is app.window.feed_tab
    assert app.window.feed_tab.list.currentIndex().data() == "Who knows the badge printer?"
    panel = app.window.feed_tab.thread_panel
    assert panel.isVisible()
    assert (panel.post_id, panel.highlighted) == (ours.post.id, reply_id)


def test_open_questions_in_the_tray_open_the_feed(qtbot, monkeypatch, make_app, node):
    tray_available(monkeypatch, True)
    app = make_app()
    app.start(minimized=True)
    node.emit(node.receive_post(ANN, "Ann", "Spare key?", question=True))
    qtbot.waitUntil(lambda: app.tray.attention.open_questions == 1)
    app.tray.menu.aboutToShow.emit()
    app.tray.action("open-questions").trigger()
    assert app.window.isVisible()
    feed = app.window.feed_tab
    assert app.window.tabs.currentWidget() is feed
    assert feed.shown is feed.questions
    assert [feed.questions.item(row).text for row in range(feed.questions.rowCount())] == [
        "Spare key?"
    ]
