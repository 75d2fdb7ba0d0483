"""Posting: Ctrl+Enter sends, urgent is passed on, over-length is blocked with a message."""

from __future__ import annotations

from PySide6.QtCore import Qt

from hallway.core.model import POST_TEXT_MAX
from hallway.ui.compose import ComposeDialog


def test_ctrl_enter_sends_urgent_post(qtbot, bridge, node):
    dialog = ComposeDialog(bridge)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.box.editor, "Fire drill at 3")
    dialog.box.urgent.setChecked(True)
    with qtbot.waitSignal(dialog.accepted):
        qtbot.keyClick(dialog.box.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert node.calls == [("post", ("Fire drill at 3",), {"urgent": True})]
    assert dialog.box.text() == ""


def test_plain_enter_is_a_new_line(qtbot, bridge, node):
    dialog = ComposeDialog(bridge)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.box.editor, "line one")
    qtbot.keyClick(dialog.box.editor, Qt.Key.Key_Return)
    assert node.calls == []
    assert dialog.box.text() == "line one\n"


def test_over_length_is_blocked_with_a_message(qtbot, bridge, node):
    dialog = ComposeDialog(bridge)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.box.editor.setPlainText("x" * (POST_TEXT_MAX + 5))
    assert not dialog.box.send_button.isEnabled()
    assert dialog.box.counter.text() == "-5 left"
    assert "5 too many" in dialog.box.message.text()
    assert dialog.box.send() is False
    assert node.calls == []
    dialog.box.editor.setPlainText("x" * POST_TEXT_MAX)
    assert dialog.box.send_button.isEnabled()
    assert not dialog.box.message.isVisible()


def test_question_and_ack_are_passed_on_and_cleared(qtbot, bridge, node):
    dialog = ComposeDialog(bridge)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.box.editor.setPlainText("Who knows how to reset the badge printer?")
    dialog.box.question.setChecked(True)
    dialog.box.ack.setChecked(True)
    assert dialog.box.question.toolTip()
    assert dialog.box.ack.toolTip()
    with qtbot.waitSignal(dialog.accepted):
        assert dialog.box.send()
    assert node.calls == [
        ("post", ("Who knows how to reset the badge printer?",),
         {"urgent": False, "question": True, "ack": True}),
    ]  # fmt: skip
    assert not dialog.box.question.isChecked()
    assert not dialog.box.ack.isChecked()
