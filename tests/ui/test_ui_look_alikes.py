"""Two "Bob"s in the window: the short fingerprint and a mark next to a look-alike name in People,
the feed and pop-ups, a tooltip that names the look-alike, and flags kept fresh from the engine."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import msgspec
import pytest
from hallway_ui_fakes import (
    OWN,
    FakeNode,
    online_event,
    peer,
    post_event,
    renamed_event,
    status_event,
)
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QSystemTrayIcon

from hallway.core.model import Presence
from hallway.engine.events import PeerView
from hallway.ui.controller import AppController
from hallway.ui.models import (
    LOOK_ALIKES_ROLE,
    FeedModel,
    PeopleModel,
    feed_tooltip,
    post_item,
)
from hallway.ui.notifications import NotificationCenter
from hallway.ui.notify_policy import NotifyPolicy, candidate_for
from hallway.ui.people_tab import PeopleTab
from hallway.ui.settings import SettingsDialog

FAKE_BOB = "B\u043eb"  # a Cyrillic small o
BOB = "3f9a1c2b" + "0" * 24
MALLORY = "7c21" + "0" * 28
NOTE = "Looks like another member's name: tell them apart by the fingerprint."


def flagged(view: PeerView, *others: str, short: str) -> PeerView:
    return msgspec.structs.replace(
        view, look_alike=True, look_alikes=others, short_fingerprint=short
    )


def two_bobs() -> list[PeerView]:
    return [
        peer(OWN, "Me", own=True),
        flagged(peer(BOB, "Bob"), MALLORY, short="3f9a"),
        flagged(peer(MALLORY, FAKE_BOB), BOB, short="7c21"),
    ]


class Recording:
    def __init__(self) -> None:
        self.on_activated = None
        self.on_action = None
        self.supports_actions = False
        self.shown: list[tuple[str, str]] = []

    def notify(self, title, body, urgency, item_id, image=None, *, actions=()):
        self.shown.append((title, body))

    def close(self):
        pass


def test_people_shows_each_bob_with_its_fingerprint_and_who_it_looks_like() -> None:
    model = PeopleModel()
    model.reset(two_bobs())
    rows = {model.data(model.index(r, 0), Qt.ItemDataRole.DisplayRole)
            for r in range(model.rowCount())}  # fmt: skip
    assert rows == {"Me", "Bob (3f9a) ⚠", f"{FAKE_BOB} (7c21) ⚠"}
    row = model.row_of(MALLORY)
    assert model.data(model.index(row, 0), LOOK_ALIKES_ROLE) == ("Bob (3f9a)",)
    own_row = model.row_of(OWN)
    assert model.data(model.index(own_row, 0), LOOK_ALIKES_ROLE) == ()


def test_the_delegate_paints_and_explains_a_look_alike(qtbot) -> None:
    model = PeopleModel()
    model.reset(two_bobs())
    tab = PeopleTab(model)
    qtbot.addWidget(tab)
    tab.resize(700, 400)
    tab.show()
    qtbot.waitExposed(tab)
    mallory = model.peer(MALLORY)
    assert mallory is not None
    text = tab.delegate.tooltip(
        mallory, False, QRect(0, 0, 600, 60), QPoint(300, 30), look_alikes=("Bob (3f9a)",)
    )
    assert f"{FAKE_BOB} (7c21) ⚠" in text
    assert "Looks like: Bob (3f9a)" in text
    assert NOTE.replace("'", "&#x27;") in text  # escaped: tooltips are plain text
    assert "7c21 0000" in text  # the whole fingerprint, to compare
    ann = peer("a" * 32, "Ann")
    assert "Looks like" not in tab.delegate.tooltip(
        ann, False, QRect(0, 0, 600, 60), QPoint(300, 30)
    )
    tab.proxy.set_filter_text("7c21")  # the fingerprint finds one of the two
    assert tab.proxy.rowCount() == 1


def test_the_feed_keeps_the_posted_name_and_marks_a_look_alike() -> None:
    event = msgspec.structs.replace(
        post_event(MALLORY, FAKE_BOB, "Free pizza"), look_alike=True, short_fingerprint="7c21"
    )
    item = post_item(event)
    assert (item.name, item.look_alike, item.short_fingerprint) == (FAKE_BOB, True, "7c21")
    assert feed_tooltip(item).splitlines() == [f"{FAKE_BOB} (7c21) ⚠: Free pizza", NOTE]
    model = FeedModel()
    model.add(item)
    model.add(post_item(post_event(BOB, "Bob", "Hi", seq=2)))
    plain = model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert "Bob: Hi" in plain
    assert "⚠" not in plain


def test_pop_ups_name_a_look_alike_with_its_fingerprint(qtbot) -> None:
    event = msgspec.structs.replace(
        post_event(MALLORY, FAKE_BOB, "Free pizza"), look_alike=True, short_fingerprint="7c21"
    )
    candidate = candidate_for(event)
    assert candidate is not None
    assert candidate.shown == f"{FAKE_BOB} (7c21) ⚠"
    assert candidate.name == FAKE_BOB  # the avatar's initials
    notifier = Recording()
    center = NotificationCenter(NotifyPolicy(window=0.0), notifier)
    center.on_event(event)
    center.on_event(post_event(BOB, "Bob", "Hello", seq=2))
    assert notifier.shown == [(f"{FAKE_BOB} (7c21) ⚠", "Free pizza"), ("Bob", "Hello")]
    center.close()
    center.deleteLater()


class Runtime:
    def __init__(self, node: FakeNode) -> None:
        self.node = node
        self.warnings: list[str] = []

    def close(self) -> None:
        pass


@pytest.fixture
def app(qapp, monkeypatch, node, config) -> Iterator[AppController]:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    node._others = [peer(BOB, "Bob")]
    controller = AppController(
        Runtime(node), config, save_config=lambda c: None, notifier=Recording()
    )
    controller.start()
    yield controller
    controller.close()
    controller.deleteLater()


def test_the_real_bob_is_flagged_when_an_impostor_arrives_and_cleared_when_it_renames(
    qtbot, app, node
) -> None:
    assert not app.people.peer(BOB).look_alike
    # The engine flags both; only the newcomer's event says so.
    node._others = [flagged(peer(BOB, "Bob"), MALLORY, short="3f9a"),
                    flagged(peer(MALLORY, FAKE_BOB), BOB, short="7c21")]  # fmt: skip
    node.emit(
        msgspec.structs.replace(
            online_event(MALLORY, FAKE_BOB), look_alike=True, short_fingerprint="7c21"
        )
    )
    qtbot.waitUntil(lambda: app.people.peer(BOB).look_alike)
    assert app.people.peer(BOB).short_fingerprint == "3f9a"
    assert app.people.peer(MALLORY).look_alikes == (BOB,)
    node._others = [peer(BOB, "Bob"), peer(MALLORY, "Mallory")]
    node.emit(renamed_event(MALLORY, "Mallory"))
    qtbot.waitUntil(lambda: not app.people.peer(BOB).look_alike)
    assert not app.people.peer(MALLORY).look_alike


class BusyNode(FakeNode):
    """`peers()` waits while `busy` is clear, as it waits on an engine busy with a flood."""

    def __init__(self) -> None:
        super().__init__()
        self.busy = threading.Event()
        self.busy.set()
        self.waiting = threading.Event()
        self.fetches = 0

    def peers(self) -> list[PeerView]:
        self.fetches += 1
        if not self.busy.is_set():
            self.waiting.set()
            self.busy.wait(timeout=30)
        return super().peers()


@pytest.fixture
def busy_node() -> BusyNode:
    node = BusyNode()
    node._others = [peer(BOB, "Bob")]
    return node


@pytest.fixture
def busy_app(qapp, monkeypatch, busy_node, config) -> Iterator[AppController]:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    controller = AppController(
        Runtime(busy_node), config, save_config=lambda c: None, notifier=Recording()
    )
    controller.start()
    yield controller
    busy_node.busy.set()  # close() waits for a fetch in flight
    controller.close()
    controller.deleteLater()


def impostor_arrives(node: FakeNode) -> None:
    node._others = [flagged(peer(BOB, "Bob"), MALLORY, short="3f9a"),
                    flagged(peer(MALLORY, FAKE_BOB), BOB, short="7c21")]  # fmt: skip
    node.emit(
        msgspec.structs.replace(
            online_event(MALLORY, FAKE_BOB), look_alike=True, short_fingerprint="7c21"
        )
    )


def test_the_gui_thread_keeps_going_while_the_engine_is_slow_to_answer(
    qtbot, busy_app, busy_node
) -> None:
    busy_node.busy.clear()
    impostor_arrives(busy_node)
    qtbot.waitUntil(busy_node.waiting.is_set)  # the fetch has started, and is stuck
    # Meanwhile events still reach the window: the GUI thread is not the one waiting.
    busy_node.emit(status_event(BOB, "Bob", Presence.BUSY, "In a call"))
    qtbot.waitUntil(lambda: busy_app.people.peer(BOB).status.text == "In a call")
    assert not busy_app.people.peer(BOB).look_alike  # not fetched yet
    busy_node.busy.set()
    qtbot.waitUntil(lambda: busy_app.people.peer(BOB).look_alike)
    assert busy_app.people.peer(BOB).status.text == "In a call"  # the flags only


def test_a_flood_of_look_alike_changes_is_fetched_once(qtbot, busy_app, busy_node) -> None:
    before = busy_node.fetches
    busy_node._others = [flagged(peer(BOB, "Bob"), MALLORY, short="3f9a"),
                         flagged(peer(MALLORY, FAKE_BOB), BOB, short="7c21")]  # fmt: skip
    flips = [
        msgspec.structs.replace(online_event(MALLORY, FAKE_BOB), look_alike=n % 2 == 0,
                            short_fingerprint="7c21")
        for n in range(41)
    ]  # fmt: skip
    busy_node.emit(*flips)
    qtbot.waitUntil(
        lambda: (
            busy_node.fetches > before
            and not busy_app._names_timer.isActive()
            and not busy_app._fetching
        )
    )
    assert busy_node.fetches == before + 1
    assert busy_app.people.peer(BOB).look_alike  # what the engine said once the flood ended


def test_settings_says_when_our_new_name_looks_like_a_members(qtbot, config) -> None:
    dialog = SettingsDialog(config, platform="linux", members=two_bobs()[1:])
    qtbot.addWidget(dialog)
    dialog.name.setText("B0B")
    assert dialog.look_alike.text() == (
        f"⚠ Looks like Bob (3f9a), {FAKE_BOB} (7c21): colleagues will see your fingerprint next "
        "to it."
    )
    assert dialog.save.isEnabled()  # a hint, not a refusal: two people may share a name
    dialog.name.setText("Sam")
    assert dialog.look_alike.text() == ""
