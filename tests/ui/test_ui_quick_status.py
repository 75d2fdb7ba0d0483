"""The quick-status popup: values, validation and "clear after" choices."""

from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtCore import Qt

from hallway.core.durations import END_OF_DAY
from hallway.core.model import STATUS_TEXT_MAX, Presence
from hallway.ui.quick_status import ClearAfter, QuickStatusPopup, clear_after_until

NOW = datetime(2026, 11, 26, 14, 20).astimezone()


@pytest.fixture
def popup(qtbot, bridge):
    widget = QuickStatusPopup(bridge, clock=lambda: NOW)
    qtbot.addWidget(widget)
    widget.show_near(None)
    qtbot.waitExposed(widget)
    return widget


def test_clear_after_choices():
    assert clear_after_until(ClearAfter.MIN_30, NOW) == NOW.timestamp() + 1800
    assert clear_after_until(ClearAfter.HOUR_1, NOW) == NOW.timestamp() + 3600
    assert clear_after_until(ClearAfter.HOUR_4, NOW) == NOW.timestamp() + 4 * 3600
    end_of_day = datetime.combine(NOW.date(), END_OF_DAY, NOW.tzinfo).timestamp()
    assert clear_after_until(ClearAfter.TODAY, NOW) == end_of_day
    assert clear_after_until(ClearAfter.NEVER, NOW) is None


def test_enter_sets_the_status(qtbot, popup, node):
    popup.set_presence(Presence.BUSY)
    popup.text_edit.clear()
    qtbot.keyClicks(popup.text_edit, "In a meeting")
    popup.set_emoji("📅")
    popup.set_clear_after(ClearAfter.MIN_30)
    qtbot.keyClick(popup.text_edit, Qt.Key.Key_Return)
    assert node.calls == [
        (
            "set_status",
            (Presence.BUSY, "In a meeting"),
            {"emoji": "📅", "until": NOW.timestamp() + 1800},
        ),
    ]
    assert not popup.isVisible()


@pytest.mark.parametrize(
    ("choice", "until"),
    [
        (ClearAfter.TODAY, datetime.combine(NOW.date(), END_OF_DAY, NOW.tzinfo).timestamp()),
        (ClearAfter.NEVER, None),
    ],
)
def test_clear_after_reaches_the_engine(qtbot, popup, node, choice, until):
    popup.set_clear_after(choice)
    popup.set_button.click()
    assert node.calls[-1][2]["until"] == until


def test_escape_cancels(qtbot, popup, node):
    qtbot.keyClicks(popup.text_edit, "never mind")
    qtbot.keyClick(popup.text_edit, Qt.Key.Key_Escape)
    assert not popup.isVisible()
    assert node.calls == []


def test_text_cannot_exceed_the_limit_and_says_so(qtbot, popup):
    qtbot.keyClicks(popup.text_edit, "x" * (STATUS_TEXT_MAX + 10))
    assert len(popup.text_edit.text()) == STATUS_TEXT_MAX
    assert popup.counter.text() == "0 left"
    assert popup.message.isVisible()
    assert "140" in popup.message.text()
    popup.text_edit.backspace()
    assert popup.counter.text() == "1 left"
    assert not popup.message.isVisible()


def test_a_refused_status_keeps_the_popup_open_with_the_message(qtbot, popup, node):
    node.fail_with = "the node is not running"
    qtbot.keyClick(popup.text_edit, Qt.Key.Key_Return)
    assert popup.isVisible()
    assert popup.message.text() == "the node is not running"


def test_prefilled_with_the_current_status(qtbot, bridge, node):
    node.set_status(Presence.AWAY, "Lunch", emoji="🍽️")
    widget = QuickStatusPopup(bridge, clock=lambda: NOW)
    qtbot.addWidget(widget)
    assert widget.presence() is Presence.AWAY
    assert widget.text_edit.text() == "Lunch"
    assert widget.emoji() == "🍽️"
    assert widget.until() is None


def test_any_one_emoji_can_be_typed_in_other(qtbot, popup, node):
    popup.set_emoji("📅")
    popup.emoji_edit.insert("🦷")  # as a paste would (QTest cannot type beyond 16 bits)
    assert popup.emoji_group.checkedButton() is None  # the typed one replaces the choice
    popup.set_button.click()
    assert node.calls[-1][2]["emoji"] == "🦷"
    assert not popup.isVisible()


def test_a_non_emoji_is_refused_with_a_message_and_not_sent(qtbot, popup, node):
    qtbot.keyClicks(popup.emoji_edit, "notanemoji")
    qtbot.keyClick(popup.text_edit, Qt.Key.Key_Return)
    assert node.calls == []
    assert popup.isVisible()
    assert popup.message.isVisible()
    assert "“notanemoji” is not an emoji" in popup.message.text()
    # Choosing a button clears the field and the status goes out.
    [coffee] = [b for b in popup.emoji_group.buttons() if b.property("emoji") == "☕"]
    coffee.click()
    assert popup.emoji_edit.text() == ""
    popup.set_button.click()
    assert node.calls[-1][2]["emoji"] == "☕"


def test_a_current_emoji_not_among_the_buttons_is_kept(qtbot, bridge, node):
    node.set_status(Presence.BUSY, "Dentist", emoji="🦷")
    widget = QuickStatusPopup(bridge, clock=lambda: NOW)
    qtbot.addWidget(widget)
    assert widget.emoji_edit.text() == "🦷"
    assert widget.emoji() == "🦷"
    widget.set_button.click()
    assert node.calls[-1][2]["emoji"] == "🦷"
