"""Events in the GUI: the New event dialog, the Events tab's cards and their buttons, the Feed's
event rows, and the pop-ups (with Going / Maybe / Not going where the notifier has actions)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from hallway_ui_fakes import ANN, BEN, CY, OWN, FakeNode, event_changed, status_event
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyleOptionViewItem, QSystemTrayIcon

from hallway.core.meetups import Answer, EventSpec, EventView
from hallway.core.model import Presence
from hallway.engine.events import Reminder, RsvpChanged, SeatGained
from hallway.ui.controller import AppController
from hallway.ui.event_card import CALENDAR, CANCEL, GOING, MAYBE, card_buttons, feed_buttons
from hallway.ui.event_dialog import EventDialog
from hallway.ui.events_model import EVENT_ROLE

LEFT = Qt.MouseButton.LeftButton
HOUR = 3600.0


class Runtime:
    def __init__(self, node: FakeNode) -> None:
        self.node = node
        self.warnings: list[str] = []

    def close(self) -> None:
        pass


class Notifier:
    """Records pop-ups; `supports_actions` as a desktop with buttons on its pop-ups."""

    def __init__(self, *, actions: bool = True) -> None:
        self.on_activated = None
        self.on_action = None
        self.supports_actions = actions
        self.shown: list[tuple[str, str, str | None, tuple]] = []

    def notify(self, title, body, urgency, item_id, image=None, *, actions=()):
        self.shown.append((title, body, item_id, tuple(actions)))

    def close(self):
        pass


def spec(title: str = "Design review", *, start: float | None = None, **more) -> EventSpec:
    return EventSpec(title=title, start=start or time.time() + 2 * HOUR, **more)


@pytest.fixture
def notifier() -> Notifier:
    return Notifier()


@pytest.fixture
def app(qtbot, monkeypatch, node, config, notifier) -> Iterator[AppController]:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    controller = AppController(
        Runtime(node), config, save_config=lambda c: None, notifier=notifier
    )
    controller.event_actions.open_url = lambda url: True
    controller.start()
    yield controller
    controller.close()
    controller.deleteLater()


def show_events(qtbot, app: AppController) -> None:
    window = app.window
    window.resize(900, 600)
    window.show()
    qtbot.waitExposed(window)
    window.tabs.setCurrentWidget(window.events_tab)


def click_card_button(qtbot, app: AppController, event_id: str, key: str) -> None:
    tab = app.window.events_tab
    index = app.events.index(app.events.row_of(event_id), 0)
    tab.list.scrollTo(index)
    opt = QStyleOptionViewItem()
    opt.initFrom(tab.list)
    opt.rect = tab.list.visualRect(index)
    view = index.data(EVENT_ROLE)
    (button,) = [b for b in tab.delegate.buttons(opt, view) if b.key == key]
    qtbot.mouseClick(tab.list.viewport(), LEFT, pos=button.rect.center())


# -- the dialog ----------------------------------------------------------------------------


def test_new_event_from_the_tray_creates_it_and_shows_its_card(qtbot, app, node):
    app.tray.rebuild_menu()
    app.tray.action("new-event").trigger()
    (dialog,) = app.dialogs()
    assert isinstance(dialog, EventDialog)
    qtbot.keyClicks(dialog.title, "Mentoring lunch")
    dialog.where.setText("Kitchen")
    dialog.limit.setChecked(True)
    dialog.capacity.setValue(6)
    with qtbot.waitSignal(dialog.saved):
        dialog.buttons.accepted.emit()
    ((name, (sent,), _),) = node.calls
    assert name == "create_event"
    assert (sent.title, sent.where, sent.capacity) == ("Mentoring lunch", "Kitchen", 6)
    assert sent.start > time.time()
    assert sent.remind == 600.0
    assert sent.duration == 1800.0
    (view,) = app.events.views()
    assert view.title == "Mentoring lunch"
    assert view.own
    qtbot.waitUntil(lambda: not app.dialogs())


def test_new_event_from_the_window(qtbot, app):
    show_events(qtbot, app)
    qtbot.mouseClick(app.window.events_tab.new_button, LEFT)
    (dialog,) = app.dialogs()
    assert isinstance(dialog, EventDialog)
    dialog.reject()


def test_the_dialog_says_what_is_wrong_and_keeps_everything(qtbot, bridge, node):
    dialog = EventDialog(bridge)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.submit()  # no title
    assert dialog.message.isVisible()
    assert "title" in dialog.message.text()
    assert node.calls == []

    dialog.title.setText("Retro")
    assert not dialog.message.isVisible()  # typing clears the old message
    dialog.note.setPlainText("Bring sticky notes")
    dialog.set_start(time.time() - HOUR)
    assert not dialog.submit()
    assert "past" in dialog.message.text()
    assert dialog.message.text()[0].isupper()
    assert (dialog.title.text(), dialog.note.toPlainText()) == ("Retro", "Bring sticky notes")
    assert node.calls == []


def test_a_refusal_by_the_node_shows_in_the_dialog(qtbot, bridge, node):
    dialog = EventDialog(bridge)
    qtbot.addWidget(dialog)
    dialog.title.setText("Retro")
    node.fail_with = "the node is not running"
    assert not dialog.submit()
    assert dialog.message.text() == "The node is not running."
    assert dialog.title.text() == "Retro"


def test_an_edit_sends_only_what_changed(qtbot, bridge, node):
    view = node.create_event(spec(capacity=8))
    node.calls.clear()
    dialog = EventDialog(bridge, view)
    qtbot.addWidget(dialog)
    assert dialog.title.text() == "Design review"
    assert dialog.limit.isChecked()
    dialog.where.setText("Room 2")
    dialog.limit.setChecked(False)
    with qtbot.waitSignal(dialog.saved) as saved:
        assert dialog.submit()
    assert node.calls == [("edit_event", (view.id,), {"where": "Room 2", "clear_capacity": True})]
    assert saved.args[0].where == "Room 2"
    assert saved.args[0].capacity is None


def test_editing_an_event_that_began_keeps_its_start(qtbot, bridge, node):
    view = node.add_event(OWN, "Me", spec(start=time.time() + 1.5))
    dialog = EventDialog(bridge, view, clock=lambda: view.start + 60)
    qtbot.addWidget(dialog)
    dialog.title.setText("Design review (now in room 3)")
    assert dialog.submit(), dialog.message.text()
    assert node.calls == [("edit_event", (view.id,), {"title": "Design review (now in room 3)"})]


# -- the Events tab ------------------------------------------------------------------------


def test_events_come_upcoming_first_and_cards_answer(qtbot, app, node):
    now = time.time()
    later = node.add_event(ANN, "Ann", spec("Later", start=now + 5 * HOUR), seq=1)
    soon = node.add_event(CY, "Cy", spec("Soon", start=now + HOUR, capacity=2), seq=2)
    node.emit(event_changed(later), event_changed(soon))
    qtbot.waitUntil(lambda: app.events.rowCount() == 2)
    assert [v.title for v in app.events.views()] == ["Soon", "Later"]
    show_events(qtbot, app)

    click_card_button(qtbot, app, soon.id, GOING)
    assert node.calls[-1] == ("rsvp", (soon.id, Answer.GOING), {})
    shown = app.events.view(soon.id)
    assert shown.mine is Answer.GOING
    assert [p.peer for p in shown.going] == [OWN]
    tab = app.window.events_tab
    index = app.events.index(app.events.row_of(soon.id), 0)
    buttons = card_buttons(shown, tab.list.visualRect(index), tab.list.font(), now, full=True)
    assert [b.key for b in buttons if b.chosen] == [GOING]

    click_card_button(qtbot, app, soon.id, MAYBE)
    assert app.events.view(soon.id).mine is Answer.MAYBE


def test_cancelled_events_cannot_be_answered_and_go_last(qtbot, app, node):
    view = node.add_event(ANN, "Ann", spec("Off"), seq=1)
    other = node.add_event(BEN, "ben", spec("On", start=time.time() + 9 * HOUR), seq=2)
    node._events[view.id].spec = EventSpec(title="Off", start=view.start, cancelled=True)
    node._events[view.id].sequence = 1
    node.emit(event_changed(other), event_changed(node.event(view.id), "cancelled"))
    qtbot.waitUntil(lambda: app.events.rowCount() == 2)
    assert [v.title for v in app.events.views()] == ["On", "Off"]
    show_events(qtbot, app)
    click_card_button(qtbot, app, view.id, GOING)
    assert "rsvp" not in node.names_called()


def test_others_answers_update_the_seats(qtbot, app, node):
    view = node.add_event(ANN, "Ann", spec(capacity=1), seq=1)
    node.emit(event_changed(view))
    qtbot.waitUntil(lambda: app.events.rowCount() == 1)
    node.answer_event(view.id, BEN, Answer.GOING)
    node.answer_event(view.id, CY, Answer.GOING)
    node.emit(
        RsvpChanged(at=time.time(), name="ben", peer=BEN, event=view.id, title=view.title,
                    answer=Answer.GOING),
        RsvpChanged(at=time.time(), name="Cy", peer=CY, event=view.id, title=view.title,
                    answer=Answer.GOING),
    )  # fmt: skip
    qtbot.waitUntil(lambda: app.events.view(view.id).seats_text() == "1/1 going · 1 waiting")


def test_the_organiser_cancels_after_confirming(qtbot, app, node):
    view = node.create_event(spec())
    app.events.upsert(view)
    asked: list[str] = []
    app.event_actions.confirm = lambda v: asked.append(v.title) or True
    show_events(qtbot, app)
    click_card_button(qtbot, app, view.id, CANCEL)
    assert asked == ["Design review"]
    assert node.calls[-1] == ("cancel_event", (view.id,), {})
    assert app.events.view(view.id).cancelled


def test_add_to_calendar_saves_an_ics_and_opens_it(qtbot, app, node, tmp_path):
    view = node.add_event(ANN, "Ann", spec(where="Room 2"), seq=1)
    app.events.upsert(view)
    opened = []
    app.event_actions.open_url = lambda url: opened.append(url.toLocalFile()) or True
    app.event_actions._folder = lambda: tmp_path
    show_events(qtbot, app)
    click_card_button(qtbot, app, view.id, CALENDAR)
    (path,) = opened
    text = Path(path).read_text(encoding="utf-8")
    assert "BEGIN:VEVENT" in text
    assert "SUMMARY:Design review" in text
    assert "LOCATION:Room 2" in text


# -- the Feed ------------------------------------------------------------------------------


def test_a_new_event_appears_in_the_feed_with_its_buttons(qtbot, app, node):
    view = node.add_event(ANN, "Ann", spec("Cake tasting"), seq=1)
    node.emit(event_changed(view))
    qtbot.waitUntil(lambda: app.feed.rowCount() == 1)
    window = app.window
    window.resize(900, 600)
    window.show()
    qtbot.waitExposed(window)
    window.tabs.setCurrentWidget(window.feed_tab)
    feed_list = window.feed_tab.list
    index = app.feed.index(0, 0)
    rect = feed_list.visualRect(index)
    (going,) = [b for b in feed_buttons(view, rect, feed_list.font(), time.time())
                if b.key == GOING]  # fmt: skip
    qtbot.mouseClick(feed_list.viewport(), LEFT, pos=going.rect.center())
    assert node.calls[-1] == ("rsvp", (view.id, Answer.GOING), {})
    assert app.events.view(view.id).mine is Answer.GOING
    assert app.feed.data(index, Qt.ItemDataRole.ToolTipRole)  # the whole event, as text


# -- pop-ups -------------------------------------------------------------------------------


def test_a_new_event_pops_up_with_answers_that_rsvp(qtbot, app, node, notifier):
    view = node.add_event(ANN, "Ann", spec("Hack day", where="Lab"), seq=1)
    node.emit(event_changed(view))
    qtbot.waitUntil(lambda: len(notifier.shown) == 1)
    ((title, body, item, actions),) = notifier.shown
    assert title == "New event: Hack day"
    assert "Lab" in body
    assert "Organised by Ann" in body
    assert item == view.id
    assert [key for key, _label in actions] == ["going", "maybe", "no"]
    assert [label for _key, label in actions] == ["Going", "Maybe", "Not going"]
    notifier.on_action(view.id, "maybe")  # as the notifier's thread would
    qtbot.waitUntil(lambda: ("rsvp", (view.id, Answer.MAYBE), {}) in node.calls)
    qtbot.waitUntil(lambda: app.events.view(view.id).mine is Answer.MAYBE)


@pytest.mark.parametrize("notifier", [Notifier(actions=False)])
def test_without_actions_a_click_opens_the_card(qtbot, app, node, notifier):
    view = node.add_event(ANN, "Ann", spec(), seq=1)
    node.emit(event_changed(view))
    qtbot.waitUntil(lambda: len(notifier.shown) == 1)
    assert notifier.shown[0][3] == ()
    notifier.on_activated(view.id)
    qtbot.waitUntil(app.window.isVisible)
    assert app.window.tabs.currentWidget() is app.window.events_tab
    assert app.window.events_tab.list.currentIndex().data(EVENT_ROLE).id == view.id


def test_own_and_old_events_do_not_pop_up(qtbot, app, node, notifier):
    own = node.create_event(spec())
    other = node.add_event(ANN, "Ann", spec(), seq=1)
    node.emit(event_changed(own), event_changed(other, live=False))
    qtbot.waitUntil(lambda: app.events.rowCount() == 2)
    assert notifier.shown == []


def test_dnd_holds_back_event_popups(qtbot, app, node, notifier):
    node.emit(status_event(OWN, "Me", Presence.DND, own=True))
    view = node.add_event(ANN, "Ann", spec(), seq=1)
    node.emit(event_changed(view), Reminder(at=time.time(), event=view))
    qtbot.waitUntil(lambda: app.events.rowCount() == 1)
    assert notifier.shown == []


def test_seat_move_cancel_and_reminder_pop_up(qtbot, app, node, notifier):
    app.policy._window = 0.0  # one pop-up each, not merged
    view = node.add_event(ANN, "Ann", spec("Offsite", capacity=1), seq=1)
    node.answer_event(view.id, OWN, Answer.GOING)
    going = node.event(view.id)
    node.emit(event_changed(going, live=False))
    node.emit(SeatGained(at=time.time(), name="Me", peer=OWN, event=view.id, title="Offsite",
                         own=True))  # fmt: skip
    qtbot.waitUntil(lambda: len(notifier.shown) == 1)
    assert notifier.shown[-1][0] == "You have a seat at Offsite"

    moved = EventView(**{**_fields(going), "start": going.start + HOUR, "end": going.end + HOUR,
                         "sequence": 1})  # fmt: skip
    node.emit(event_changed(moved, "edited"))
    qtbot.waitUntil(lambda: len(notifier.shown) == 2)
    assert notifier.shown[-1][0] == "Offsite has moved"
    assert notifier.shown[-1][1].startswith("Now ")

    renamed = EventView(**{**_fields(moved), "note": "bring a coat", "sequence": 2})
    node.emit(event_changed(renamed, "edited"))  # the time did not change: no pop-up
    node.emit(Reminder(at=time.time(), event=renamed))
    qtbot.waitUntil(lambda: len(notifier.shown) == 3)
    assert notifier.shown[-1][0] == "Soon: Offsite"

    cancelled = EventView(**{**_fields(renamed), "cancelled": True, "sequence": 3})
    node.emit(event_changed(cancelled, "cancelled"))
    qtbot.waitUntil(lambda: len(notifier.shown) == 4)
    assert notifier.shown[-1][0] == "Offsite is cancelled"
    assert all(item == view.id for _t, _b, item, _a in notifier.shown)


def _fields(view: EventView) -> dict:
    return msgspec.structs.asdict(view)


def test_context_menu_offers_the_same_actions(qtbot, app, node):
    view = node.create_event(spec())
    app.events.upsert(view)
    menu = app.window.events_tab.menu_for(view)
    names = [a.objectName() for a in menu.actions() if a.objectName()]
    assert names == ["event-going", "event-maybe", "event-no", "event-calendar", "event-edit",
                     "event-cancel"]  # fmt: skip
    (edit,) = [a for a in menu.actions() if a.objectName() == "event-edit"]
    edit.trigger()
    (dialog,) = app.dialogs()
    assert isinstance(dialog, EventDialog)
    assert dialog.title.text() == "Design review"
    dialog.reject()
    menu.deleteLater()
