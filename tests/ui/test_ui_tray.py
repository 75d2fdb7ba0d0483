"""The tray menu is rebuilt when it opens, and its actions reach the engine."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from hallway_ui_fakes import ANN, BEN, CY, OWN, status_event
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QSystemTrayIcon

from hallway.core.durations import MORNING
from hallway.core.model import Presence, Status
from hallway.ui.models import PeopleModel
from hallway.ui.notify_policy import NotifyPolicy
from hallway.ui.tray import TrayController

NOW = datetime(2026, 11, 26, 10, 0).astimezone()


@pytest.fixture
def people(bridge) -> PeopleModel:
    model = PeopleModel()
    bridge.status_changed.connect(model.on_status_changed)
    model.reset(bridge.peers())
    return model


@pytest.fixture
def policy() -> NotifyPolicy:
    return NotifyPolicy(clock=NOW.timestamp)


@pytest.fixture
def tray(bridge, people, policy) -> Iterator[TrayController]:
    controller = TrayController(bridge, people, policy, clock=lambda: NOW)
    yield controller
    controller.close()


def open_menu(tray: TrayController) -> None:
    tray.menu.aboutToShow.emit()


def test_menu_lists_presences_with_current_checked(tray, node):
    open_menu(tray)
    texts = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    for expected in (
        "Available",
        "Away",
        "Busy",
        "Do not disturb",
        "Set status…",
        "Post to office…",
        "Open Hallway",
        "Pause notifications",
        "Settings…",
        "Quit",
    ):
        assert expected in texts
    checked = [a.text() for a in tray.menu.actions() if a.isChecked()]
    assert checked == ["Available"]


def test_choosing_busy_reaches_the_engine_and_updates_the_check(qtbot, tray, node):
    open_menu(tray)
    tray.action("presence-busy").trigger()
    assert node.calls[-1][0] == "set_status"
    assert node.calls[-1][1][0] is Presence.BUSY
    # The engine reports our own change on its thread; the menu shows it next time it opens.
    node.emit(status_event(OWN, "Me", Presence.BUSY, own=True))
    qtbot.waitUntil(lambda: "Busy" in tray.icon.toolTip())
    open_menu(tray)
    assert [a.text() for a in tray.menu.actions() if a.isChecked()] == ["Busy"]


def test_recent_status_is_one_click_to_reuse(tray, node):
    open_menu(tray)
    recent = [a for a in tray.menu.actions() if a.objectName() == "recent-status"]
    assert [a.text() for a in recent] == ["Busy — 📅 In a meeting", "Away — 🍽️ Lunch && coffee"]
    recent[1].trigger()
    name, args, kwargs = node.calls[-1]
    assert (name, args, kwargs) == (
        "set_status",
        (Presence.AWAY, "Lunch & coffee"),
        {"emoji": "🍽️", "until": None},
    )


def test_dialog_actions_emit_requests(qtbot, tray):
    open_menu(tray)
    for name, signal in (
        ("set-status", tray.status_dialog_requested),
        ("post", tray.post_requested),
        ("open", tray.open_requested),
        ("settings", tray.settings_requested),
        ("quit", tray.quit_requested),
    ):
        with qtbot.waitSignal(signal, timeout=1000):
            tray.action(name).trigger()


def test_pause_and_resume_notifications(tray, policy):
    open_menu(tray)
    assert tray.action("resume") is None
    tray.action("pause-30m").trigger()
    assert policy.paused_until == (NOW + timedelta(minutes=30)).timestamp()
    open_menu(tray)
    assert tray.pause_menu.title() == "Notifications paused"
    tray.action("resume").trigger()
    assert policy.paused_until is None
    tray.action("pause-tomorrow").trigger()
    morning = datetime.combine(NOW.date() + timedelta(days=1), MORNING, NOW.tzinfo)
    assert policy.paused_until == morning.timestamp()


def test_tooltip_shows_status_and_online_count(qtbot, tray, node):
    node.emit(status_event(OWN, "Me", Presence.BUSY, "In a meeting", own=True))
    qtbot.waitUntil(lambda: tray.icon.toolTip() == "Busy — In a meeting · 2 online")


def test_activation_asks_for_the_popup(qtbot, tray):
    with qtbot.waitSignal(tray.quick_status_requested) as blocker:
        tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
    assert isinstance(blocker.args[0], QRect)


# -- open questions and posts to acknowledge ---------------------------------------------------


def attention_texts(tray: TrayController) -> list[str]:
    open_menu(tray)
    return [a.text() for a in tray.menu.actions()
            if a.objectName() in ("open-questions", "more-acks")
            or a.objectName().startswith("ack-")]  # fmt: skip


def test_nothing_to_attend_adds_no_lines(tray):
    assert attention_texts(tray) == []


def test_open_questions_are_counted_and_open_the_feed(qtbot, tray, node):
    badge = node.receive_post(ANN, "Ann", "Who knows the badge printer?", question=True)
    node.emit(badge)
    qtbot.waitUntil(lambda: attention_texts(tray) == ["1 open question"])
    old = node.receive_post(BEN, "Ben", "Fax?", question=True, at=time.time() - 8 * 86400)
    spare = node.receive_post(CY, "Cy", "Spare key?", question=True)
    node.emit(old, spare)  # a question older than 7 days is not counted
    qtbot.waitUntil(lambda: attention_texts(tray) == ["2 open questions"])
    with qtbot.waitSignal(tray.questions_requested, timeout=1000):
        tray.action("open-questions").trigger()
    # An answer closes a question; a deleted question is gone.
    reply = node.receive_reply(spare.post.id, ANN, "Ann", "Top drawer")
    node.emit(reply, node.receive_answer(reply.reply.id))
    qtbot.waitUntil(lambda: attention_texts(tray) == ["1 open question"])
    node.emit(node.receive_delete(badge.post.id))
    qtbot.waitUntil(lambda: attention_texts(tray) == [])


def test_a_post_to_acknowledge_stays_until_acknowledged(qtbot, tray, node):
    drill = node.receive_post(ANN, "Ann", "Fire drill at 15:00 & please confirm you read this",
                              ack=True)  # fmt: skip
    node.emit(drill)
    line = "Acknowledge: Fire drill at 15:00 && please confirm…"  # '&' shown literally
    qtbot.waitUntil(lambda: attention_texts(tray) == [line])
    action = tray.action(f"ack-{drill.post.id}")
    assert not action.icon().isNull()  # the author's avatar
    open_menu(tray)  # opening again keeps it: only acknowledging removes it
    assert tray.action(f"ack-{drill.post.id}") is not None
    tray.action(f"ack-{drill.post.id}").trigger()
    assert node.calls[-1][:2] == ("ack", (drill.post.id,))
    assert attention_texts(tray) == []  # at once, before the engine's event comes back
    qtbot.waitUntil(lambda: not tray._attention_timer.isActive())
    assert tray.attention.unacked == ()


def test_acknowledged_elsewhere_the_line_goes(qtbot, tray, node):
    drill = node.receive_post(ANN, "Ann", "Fire drill", ack=True)
    node.emit(drill)
    qtbot.waitUntil(lambda: len(attention_texts(tray)) == 1)
    node.emit(node.receive_ack(drill.post.id, OWN, "Me"))  # `hallway ack` on the command line
    qtbot.waitUntil(lambda: attention_texts(tray) == [])


def test_a_refused_acknowledgement_keeps_the_line(qtbot, tray, node, bridge):
    drill = node.receive_post(ANN, "Ann", "Fire drill", ack=True)
    node.emit(drill)
    qtbot.waitUntil(lambda: len(attention_texts(tray)) == 1)
    node.fail_with = "the node is stopping"
    with qtbot.waitSignal(bridge.command_failed):
        tray.action(f"ack-{drill.post.id}").trigger()
    assert len(attention_texts(tray)) == 1


def test_many_posts_to_acknowledge_end_with_a_line_to_the_feed(qtbot, tray, node):
    node.emit(*(node.receive_post(ANN, "Ann", f"Notice {n}", ack=True) for n in range(7)))
    qtbot.waitUntil(lambda: len(attention_texts(tray)) == 6)
    assert attention_texts(tray)[-1] == "2 more to acknowledge…"
    with qtbot.waitSignal(tray.feed_requested, timeout=1000):
        tray.action("more-acks").trigger()


def test_a_burst_of_events_asks_the_node_once_not_once_each(qtbot, tray, node):
    asked: list[int] = []
    attention = node.attention

    def counted():
        asked.append(1)
        return attention()

    node.attention = counted
    node.emit(*(node.receive_post(ANN, "Ann", f"Question {n}?", question=True) for n in range(5)))
    qtbot.waitUntil(lambda: tray.attention.open_questions == 5)
    assert len(asked) < 5


def test_opening_the_menu_does_not_wait_on_the_node(qtbot, tray, node):
    """Recent statuses are asked of the node when ours changes, not when the menu opens: a busy
    engine must not keep the menu from opening."""
    asked = []
    real = node.recent_statuses
    node.recent_statuses = lambda limit=5: asked.append(limit) or real(limit)
    open_menu(tray)
    assert asked == []
    node.recent.insert(0, Status(Presence.DND, "Deep work", emoji="🎧"))
    node.emit(status_event(BEN, "Ben", Presence.BUSY))  # someone else's: nothing to ask
    node.emit(status_event(OWN, "Me", Presence.DND, own=True))
    qtbot.waitUntil(lambda: len(asked) == 1)
    open_menu(tray)
    recent = [a.text() for a in tray.menu.actions() if a.objectName() == "recent-status"]
    assert recent[0] == "Do not disturb — 🎧 Deep work"
    assert len(asked) == 1
