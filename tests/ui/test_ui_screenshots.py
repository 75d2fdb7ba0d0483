"""Screenshots of the popup, both tabs, the wrong-office hint, first run, settings, the tray menu
and two members called Bob, in the light and the dark theme, to look at
(artifacts/screenshots/*-light.png, *-dark.png).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import msgspec
import pytest
from hallway_ui_fakes import (
    ANN,
    BEN,
    CY,
    OWN,
    FakeNode,
    event_changed,
    online_event,
    peer,
    post_event,
    status_event,
)
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QSystemTrayIcon
from screenshot_helper import THEMES, save_screenshot, themed

from hallway.core.meetups import Answer, EventSpec
from hallway.core.model import Presence, Status
from hallway.engine.events import OTHER_OFFICE, NodeWarning, WarningCleared
from hallway.ui.controller import AppController
from hallway.ui.event_dialog import EventDialog
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
    on_action = None
    supports_actions = False

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


def _office_events(node: FakeNode) -> list:
    """Events of every kind: answered, full with a waitlist (ours, with a note), cancelled,
    ended, and one with a very long title."""
    now = time.time()
    day = datetime.fromtimestamp(now).astimezone().replace(hour=15, minute=0, second=0)
    tomorrow = (day + timedelta(days=1)).timestamp()
    review = node.add_event(ANN, "Ann Example", EventSpec(
        title="Design review: the new lobby signs", start=tomorrow, duration=45 * 60,
        where="Room 2 (second floor)", capacity=8), seq=1, at=now - 7200)  # fmt: skip
    for peer_id in (ANN, CY, EVA, DEE, OWN):
        node.answer_event(review.id, peer_id, Answer.GOING)
    node.answer_event(review.id, BEN, Answer.MAYBE)
    lunch = node.add_event(OWN, "Sam Carter", EventSpec(
        title="Mentoring lunch", start=now + 3 * 3600, duration=3600, where="Kitchen",
        capacity=3, note="Bring a question you have been saving up. Sandwiches on me."),
        seq=2, at=now - 3600)  # fmt: skip
    for peer_id in (ANN, CY, DEE, EVA, BEN):
        node.answer_event(lunch.id, peer_id, Answer.GOING)
    drill = node.add_event(BEN, "ben", EventSpec(
        title="Fire drill briefing", start=tomorrow + 7200, where="Car park", cancelled=True),
        seq=3, at=now - 600)  # fmt: skip
    node._events[drill.id].sequence = 1
    long = node.add_event(CY, "Cy Okafor", EventSpec(
        title="Quarterly all-hands with the leadership team, the board, questions from the "
        "floor and a very long title that cannot fit on one line", start=tomorrow + 86400 * 2,
        duration=2 * 3600, where="The big meeting room by the lifts on the ground floor"),
        seq=4, at=now - 300)  # fmt: skip
    for peer_id in (ANN, CY, DEE, EVA, BEN, OWN, BOB, FAKE_BOB, "1" * 32, "2" * 32):
        node.answer_event(long.id, peer_id, Answer.GOING)
    node.add_event(DEE, "Dee", EventSpec(title="Coffee with the CEO", start=now - 5 * 3600,
                                         duration=1800), seq=5)  # fmt: skip
    return [node.event(event_id) for event_id in node._events]


def test_screenshot_events(qtbot, monkeypatch, theme, office_node, config):
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    views = _office_events(office_node)
    app = AppController(Runtime(office_node), config, save_config=lambda c: None,
                        notifier=Notifier())  # fmt: skip
    try:
        app.start()
        assert app.events.rowCount() == len(views)
        window = app.window
        window.resize(900, 640)
        window.show()
        qtbot.waitExposed(window)
        window.tabs.setCurrentWidget(window.events_tab)
        save_screenshot(window, f"events-{theme}")
        window.events_tab.list.scrollToBottom()  # the cancelled and the ended ones
        save_screenshot(window, f"events-end-{theme}")
        window.events_tab.list.scrollToTop()
        window.resize(560, 640)
        save_screenshot(window, f"events-narrow-{theme}")
        window.resize(900, 640)
        new = office_node.add_event(ANN, "Ann Example", EventSpec(
            title="Cake tasting", start=time.time() + 5400, where="Kitchen"), seq=9)  # fmt: skip
        office_node.emit(
            post_event(ANN, "Ann Example", "Cake in the kitchen #food", seq=1,
                       at=time.time() - 900),
            event_changed(new),
        )  # fmt: skip
        qtbot.waitUntil(lambda: app.feed.row_of(new.id) >= 0)
        window.tabs.setCurrentWidget(window.feed_tab)
        save_screenshot(window, f"events-feed-{theme}")
    finally:
        app.close()
        app.deleteLater()


def test_screenshot_new_event_dialog(qtbot, bridge, node, theme):
    dialog = EventDialog(bridge)
    qtbot.addWidget(dialog)
    dialog.title.setText("Mentoring lunch")
    dialog.where.setText("Kitchen")
    dialog.limit.setChecked(True)
    dialog.capacity.setValue(6)
    dialog.note.setPlainText("Bring a question you have been saving up.")
    dialog.show()
    qtbot.waitExposed(dialog)
    save_screenshot(dialog, f"event-dialog-{theme}")
    dialog.set_start(time.time() - 3600)
    assert not dialog.submit()
    save_screenshot(dialog, f"event-dialog-refused-{theme}")


def test_screenshot_settings_quiet_hours_and_away(qtbot, theme):
    import datetime as dt

    from hallway_ui_fakes import make_config

    from hallway.core.quiet import QuietHours

    config = make_config(quiet=QuietHours(start=dt.time(18), end=dt.time(8), weekends=True),
                         idle_minutes=15)  # fmt: skip
    dialog = SettingsDialog(config, platform="linux",
                            idle_source="the X11 screen saver extension (libXss)")  # fmt: skip
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    save_screenshot(dialog, f"settings-quiet-away-{theme}")


def test_screenshot_knocks(qtbot, app, office_node, theme):
    """The People tab with a row's Knock button and menu, the knock dialog, the reply dialog and
    the tray's knock lines."""
    from hallway.ui.knocks import KnockDialog, KnockReplyDialog

    window = app.window
    window.resize(900, 520)
    window.show()
    qtbot.waitExposed(window)
    tab = window.people_tab
    tab.select_peer(CY)
    save_screenshot(window, f"knock-people-{theme}")
    menu = tab.context_menu(app.people.peer(ANN))
    menu.popup(QPoint(200, 200))
    qtbot.waitExposed(menu)
    save_screenshot(menu, f"knock-people-menu-{theme}")
    menu.hide()
    menu.deleteLater()

    app.show_knock(CY)
    [dialog] = [d for d in app.dialogs() if isinstance(d, KnockDialog)]
    dialog.text.setText("Have you got a minute for the release notes?")
    dialog.urgent.setChecked(True)
    qtbot.waitExposed(dialog)
    save_screenshot(dialog, f"knock-dialog-{theme}")
    assert dialog.submit()

    event = office_node.incoming_knock(ANN, "Ann Example", "Got a minute? The printer is on fire")
    office_node.emit(event)
    qtbot.waitUntil(lambda: bool(app.knocks.unanswered()))
    app.show_knock_reply(event.knock.id)
    [reply] = [d for d in app.dialogs() if isinstance(d, KnockReplyDialog)]
    reply.own.setText("Coming, bringing the extinguisher")
    qtbot.waitExposed(reply)
    save_screenshot(reply, f"knock-reply-{theme}")
    reply.reject()

    title, body = app.notifications.words(_knock_popup(event))
    assert (title, body) == ("Ann Example is knocking", "Got a minute? The printer is on fire")
    app.tray.menu.popup(QPoint(100, 100))
    qtbot.waitExposed(app.tray.menu)
    save_screenshot(app.tray.menu, f"knock-tray-menu-{theme}")
    app.tray.menu.hide()


def _knock_popup(event):
    from hallway.ui.notify_policy import Kind, Popup, candidate_for

    return Popup(Kind.KNOCK, (candidate_for(event),))


def _knowledge(node: FakeNode) -> tuple[str, str, str]:
    """A question answered (the chosen reply is not the first), a post with a thread, and our
    own post asking for acknowledgement, partly acknowledged."""
    now = time.time()
    question = node.receive_post(ANN, "Ann Example", "Who knows how to reset the badge printer? "
                                 "It prints blank cards since this morning.", question=True,
                                 at=now - 3000)  # fmt: skip
    first = node.receive_reply(question.post.id, BEN, "ben", "Maybe ask facilities?",
                               at=now - 2700)  # fmt: skip
    chosen = node.receive_reply(question.post.id, CY, "Cy Okafor", "Hold the power button for "
                                "ten seconds, then load the ribbon again: it resets the badge "
                                "calibration.", at=now - 2400)  # fmt: skip
    thanks = node.receive_reply(question.post.id, ANN, "Ann Example", "That worked, thank you!",
                                at=now - 1800)  # fmt: skip
    answered = node.receive_answer(chosen.reply.id)
    lunch = node.receive_post(DEE, "Dee", "Team lunch on Friday? Thinking the noodle place "
                              "#food", at=now - 1200)  # fmt: skip
    yes = node.receive_reply(lunch.post.id, EVA, "Eva Lindqvist-Montgomery", "Count me in",
                             at=now - 900)  # fmt: skip
    edited = node.receive_reply(lunch.post.id, OWN, "Sam Carter", "Yes! <b>Noodles</b> 🍜",
                                at=now - 600)  # fmt: skip
    drill = node.receive_post(OWN, "Sam Carter", "Fire drill at 15:00. Please confirm you read "
                              "this, and leave by the main stairs.", ack=True, urgent=True,
                              at=now - 300)  # fmt: skip
    node.emit(question, first, chosen, thanks, answered, lunch, yes, edited,
              node.receive_edit(edited.reply.id, "Yes! <b>Noodles</b> 🍜 (vegetarian please)"),
              drill)  # fmt: skip
    node.emit(node.receive_ack(drill.post.id, ANN, "Ann Example", at=now - 240),
              node.receive_ack(drill.post.id, CY, "Cy Okafor", at=now - 120))  # fmt: skip
    return question.post.id, lunch.post.id, drill.post.id


def test_screenshot_threads_and_acks(qtbot, app, office_node, theme):
    question, lunch, drill = _knowledge(office_node)
    window = app.window
    tab = window.feed_tab
    qtbot.waitUntil(lambda: tab.model.rowCount() >= 3)
    qtbot.waitUntil(lambda: tab.model.item(tab.model.row_of(drill)).acks == (2, 5))
    window.resize(1100, 680)
    window.show()
    qtbot.waitExposed(window)
    window.tabs.setCurrentWidget(tab)
    assert tab.open_thread(lunch)
    save_screenshot(window, f"thread-{theme}")
    assert tab.open_thread(question)
    save_screenshot(window, f"thread-answered-{theme}")
    tab.show_acks(drill)
    dialog = tab.acks_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    save_screenshot(dialog, f"acks-{theme}")
    dialog.close()
    window.search.field.setText("badg")
    assert window.search.search()
    save_screenshot(window, f"search-{theme}")
