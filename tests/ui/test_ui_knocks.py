"""Knocks in the GUI: "Knock…" on a person (row button, context menu, tray), the dialog, the
knock's pop-up and its actions, the reply dialog, the tray's lines, and the pop-ups about ours."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hallway_ui_fakes import (
    ANN,
    BEN,
    CY,
    OWN,
    FakeRuntime,
    RecordingNotifier,
    make_config,
    status_event,
)
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSystemTrayIcon

from hallway.core.model import Presence
from hallway.ui.controller import AppController
from hallway.ui.knocks import KnockDialog, KnockReplyDialog
from hallway.ui.people_delegate import knock_rect

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def app(qapp, monkeypatch, node, notifier) -> Iterator[AppController]:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    controller = AppController(FakeRuntime(node), make_config(), save_config=lambda c: None,
                               notifier=notifier)  # fmt: skip
    controller.start()
    yield controller
    controller.close()
    controller.deleteLater()


def only_dialog(app: AppController, kind: type):
    [dialog] = [d for d in app.dialogs() if isinstance(d, kind)]
    return dialog


def knock_calls(node) -> list[tuple]:
    return [(name, args, kwargs) for name, args, kwargs in node.calls if "knock" in name]


def test_knock_from_the_people_context_menu(qtbot, app, node):
    tab = app.window.people_tab
    menu = tab.context_menu(app.people.peer(ANN))
    actions = {a.objectName(): a for a in menu.actions()}
    assert "answer-knock" not in actions  # nothing to answer yet
    actions["knock"].trigger()
    menu.deleteLater()
    dialog = only_dialog(app, KnockDialog)
    assert dialog.text.placeholderText() == "Got a minute?"
    qtbot.keyClicks(dialog.text, "Lunch?")
    dialog.urgent.setChecked(True)
    qtbot.mouseClick(dialog.knock_button, LEFT)
    assert knock_calls(node) == [("knock", (ANN, "Lunch?"), {"urgent": True})]
    qtbot.waitUntil(lambda: not app.dialogs())
    # The tray says it is waiting.
    app.tray.rebuild_menu()
    [line] = [a for a in app.tray.menu.actions() if a.objectName() == "knock-waiting"]
    assert line.text() == "Knock to Ann: waiting"
    assert not line.isEnabled()


def test_the_rows_knock_button(qtbot, app, node):
    tab = app.window.people_tab
    app.window.resize(900, 520)
    app.window.show()
    qtbot.waitExposed(app.window)
    rect = tab.list.visualRect(tab.index_of(CY))
    with qtbot.waitSignal(tab.knock_requested) as asked:
        qtbot.mouseClick(tab.list.viewport(), LEFT, pos=knock_rect(rect, tab.font()).center())
    assert asked.args == [CY]
    only_dialog(app, KnockDialog).reject()


def test_a_refused_knock_says_why_and_stays_open(qtbot, app, node):
    app.show_knock(ANN)
    dialog = only_dialog(app, KnockDialog)
    dialog.text.setText("x")
    node.fail_with = "Ann is not in this office any more"
    assert not dialog.submit()
    assert dialog.message.text() == "Ann is not in this office any more"
    assert dialog.isVisible()
    dialog.reject()


def test_the_tray_offers_knocks_on_the_people_online(qtbot, app, node):
    app.tray.rebuild_menu()
    assert {a.text() for a in app.tray.knock_menu.actions()} == {"Ann", "Cy"}  # ben is offline
    node.emit(status_event(CY, "Cy", Presence.AVAILABLE), status_event(ANN, "Ann", Presence.BUSY))
    qtbot.waitUntil(lambda: app.people.peer(ANN).presence is Presence.BUSY)
    app.tray.rebuild_menu()
    assert [a.text() for a in app.tray.knock_menu.actions()] == ["Ann", "Cy"]  # newest first
    app.tray.action(f"knock-{ANN}").trigger()
    assert only_dialog(app, KnockDialog).peer == ANN
    only_dialog(app, KnockDialog).reject()


def test_a_knock_pops_up_with_quick_replies_that_answer_it(qtbot, app, node, notifier):
    event = node.incoming_knock(ANN, "Ann")
    node.emit(event)
    qtbot.waitUntil(lambda: len(notifier.shown) == 1)
    title, body, urgency, item = notifier.shown[0]
    assert (title, body, urgency) == ("Ann is knocking", "Got a minute?", "normal")
    assert item == f"knock:{event.knock.id}"
    assert notifier.actions[0] == (("yes", "Yes"), ("later", "In 5 min"), ("no", "Not now"))
    notifier.on_action(item, "later")  # from the notifier's thread in real life
    qtbot.waitUntil(lambda: bool(knock_calls(node)))
    assert knock_calls(node) == [("reply_knock", (event.knock.id, "later"), {})]
    assert app.knocks.unanswered() == []


def test_a_click_on_a_knock_opens_the_reply_dialog_for_own_words(qtbot, app, node, notifier):
    event = node.incoming_knock(BEN, "ben", "Can you look at my PR?", urgent=True)
    node.emit(event)
    qtbot.waitUntil(lambda: len(notifier.shown) == 1)
    assert notifier.shown[0][:3] == ("Urgent knock from ben", "Can you look at my PR?",
                                     "critical")  # fmt: skip
    notifier.on_activated(notifier.shown[0][3])
    qtbot.waitUntil(lambda: bool(app.dialogs()))
    assert app.window.isVisible()
    assert app.window.people_tab.selected_peer().id == BEN
    dialog = only_dialog(app, KnockReplyDialog)
    assert dialog.text.text() == "Can you look at my PR?"
    assert not dialog.send.isEnabled()
    qtbot.keyClicks(dialog.own, "After lunch, at 2")
    qtbot.mouseClick(dialog.send, LEFT)
    assert knock_calls(node) == [("reply_knock", (event.knock.id, "After lunch, at 2"), {})]
    qtbot.waitUntil(lambda: not app.dialogs())


def test_the_tray_and_the_menu_offer_to_answer(qtbot, app, node):
    event = node.incoming_knock(CY, "Cy")
    node.emit(event)
    qtbot.waitUntil(lambda: bool(app.knocks.unanswered()))
    app.tray.rebuild_menu()
    [line] = [a for a in app.tray.menu.actions() if a.objectName() == "knock-unanswered"]
    assert line.text() == "Knock from Cy: Got a minute?"
    line.trigger()
    dialog = only_dialog(app, KnockReplyDialog)
    qtbot.mouseClick(dialog.quick["yes"], LEFT)
    assert knock_calls(node) == [("reply_knock", (event.knock.id, "yes"), {})]
    qtbot.waitUntil(lambda: not app.dialogs())
    menu = app.window.people_tab.context_menu(app.people.peer(CY))
    assert "answer-knock" not in [a.objectName() for a in menu.actions()]
    menu.deleteLater()


def test_dnd_holds_a_knock_but_not_an_urgent_one(qtbot, app, node, notifier):
    node.emit(status_event(OWN, "Me", Presence.DND, own=True))
    node.emit(node.incoming_knock(ANN, "Ann"), node.incoming_knock(CY, "Cy", urgent=True))
    qtbot.waitUntil(lambda: len(notifier.shown) == 1)
    assert notifier.shown[0][0] == "Urgent knock from Cy"
    node.emit(status_event(OWN, "Me", Presence.AVAILABLE, own=True))
    qtbot.waitUntil(lambda: len(notifier.shown) == 2)
    assert notifier.shown[1][:2] == ("While you were away", "1 knock")


def test_news_of_our_knocks_pops_up(qtbot, app, node, notifier):
    first = app.bridge.knock(BEN, "")
    second = app.bridge.knock(ANN, "Coffee?")
    third = app.bridge.knock(CY, "")
    node.emit(node.knock_news(first.id, "held", reason="dnd"))
    qtbot.waitUntil(lambda: len(notifier.shown) == 1)
    assert notifier.shown[0][:2] == (
        "Your knock to ben will show later",
        "ben is in Do not disturb; your knock will show when that ends.",
    )
    node.emit(node.knock_news(second.id, "replied", reply="In 5 min"))
    node.emit(node.knock_news(third.id, "expired"))
    qtbot.waitUntil(lambda: len(notifier.shown) == 3)
    assert notifier.shown[1][:2] == ("Ann answered your knock", "In 5 min")
    assert notifier.shown[2][:2] == ("Your knock to Cy expired",
                                     "It could not be delivered within 12 hours.")  # fmt: skip
    assert notifier.actions[1:] == [(), ()]
    app.tray.rebuild_menu()
    [line] = [a.text() for a in app.tray.menu.actions() if a.objectName() == "knock-waiting"]
    assert line == "Knock to ben: will show later"


def test_held_in_quiet_hours_says_only_later(qtbot, app, node, notifier):
    knock = app.bridge.knock(BEN, "")
    node.emit(node.knock_news(knock.id, "held", reason="quiet"))
    qtbot.waitUntil(lambda: len(notifier.shown) == 1)
    assert "Do not disturb" not in notifier.shown[0][1]
    assert "will show when they are back" in notifier.shown[0][1]
