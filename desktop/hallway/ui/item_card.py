"""One post or reply in the thread view: the name it was posted under, its marks, its time (and
"edited"), its text, and what can be done with it here: mark as the answer, acknowledge, edit
in place, delete after a confirmation in place.

Peers' words go into plain-text labels only. Buttons are real widgets, so the keyboard reaches
every one of them.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from hallway.engine.events import FeedItem
from hallway.ui.post_card import (
    ack_label,
    ack_tooltip,
    answer_colour,
    on_badge_colour,
    question_colour,
)
from hallway.ui.text import format_clock, plain_label, shown_name

CARD_NAME = "threadCard"


def _badge(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setObjectName("badge")
    label.hide()
    return label


def _action(text: str, tooltip: str, name: str) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tooltip)
    button.setObjectName(name)
    button.setFlat(True)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    return button


class ItemCard(QFrame):
    """Signals (each with the item's id):
    answer_requested(str), ack_requested(str), acks_requested(str): its buttons.
    edit_submitted(str, str): the new text, from the editor in place.
    delete_confirmed(str): deleting was confirmed.
    """

    answer_requested = Signal(str)
    ack_requested = Signal(str)
    acks_requested = Signal(str)
    edit_submitted = Signal(str, str)
    delete_confirmed = Signal(str)

    def __init__(self, item: FeedItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(CARD_NAME)
        # Its whole text, always: a long thread scrolls rather than squeezing its cards.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.item = item
        self.root = item.type != "reply"
        self.name = QLabel()
        self.name.setTextFormat(Qt.TextFormat.PlainText)
        font = self.name.font()
        font.setBold(True)
        self.name.setFont(font)
        self.badge = _badge("")
        self.when = QLabel()
        self.when.setEnabled(False)
        self.text = plain_label()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        head = QHBoxLayout()
        head.addWidget(self.badge)
        head.addWidget(self.name)
        head.addStretch(1)
        head.addWidget(self.when)

        self.answer_button = _action(self.tr("Mark as answer"),
                                     self.tr("Show this reply first, as your question's answer"),
                                     "markAnswer")  # fmt: skip
        self.ack_button = _action("", "", "ack")
        self.edit_button = _action(self.tr("Edit"), self.tr("Change what you wrote"), "edit")
        self.delete_button = _action(self.tr("Delete…"),
                                     self.tr("Delete it for everyone: no text is kept"),
                                     "delete")  # fmt: skip
        self.answer_button.clicked.connect(lambda: self.answer_requested.emit(self.item.id))
        self.ack_button.clicked.connect(self._ack_clicked)
        self.edit_button.clicked.connect(self.start_edit)
        self.delete_button.clicked.connect(self.ask_delete)
        actions = QHBoxLayout()
        for button in (self.answer_button, self.ack_button, self.edit_button,
                       self.delete_button):  # fmt: skip
            actions.addWidget(button)
        actions.addStretch(1)

        self._make_rows()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 4)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.text)
        layout.addWidget(self.editor)
        layout.addWidget(self.edit_row)
        layout.addWidget(self.confirm_row)
        layout.addLayout(actions)
        for hidden in (self.editor, self.edit_row, self.confirm_row):
            hidden.hide()

    def _make_rows(self) -> None:
        """The editor in place with Save and Cancel, and the row confirming a delete."""
        self.editor = QPlainTextEdit()
        self.editor.setTabChangesFocus(True)
        self.editor.setMaximumHeight(self.editor.fontMetrics().lineSpacing() * 5 + 14)
        save = QPushButton(self.tr("Save"))
        save.setObjectName("save")
        save.clicked.connect(self._save)
        cancel = QPushButton(self.tr("Cancel"))
        cancel.clicked.connect(self.stop_edit)
        self.edit_row = QWidget()
        edit_buttons = QHBoxLayout(self.edit_row)
        edit_buttons.setContentsMargins(0, 0, 0, 0)
        edit_buttons.addStretch(1)
        edit_buttons.addWidget(cancel)
        edit_buttons.addWidget(save)

        self.confirm_row = QWidget()
        confirm = QHBoxLayout(self.confirm_row)
        confirm.setContentsMargins(0, 0, 0, 0)
        question = QLabel(self.tr("Delete this for everyone?"))
        self.confirm_button = really = QPushButton(self.tr("Delete"))
        really.setObjectName("confirmDelete")
        really.clicked.connect(lambda: self.delete_confirmed.emit(self.item.id))
        keep = QPushButton(self.tr("Keep"))
        keep.clicked.connect(self.confirm_row.hide)
        confirm.addWidget(question, 1)
        confirm.addWidget(keep)
        confirm.addWidget(really)

    def set_item(self, item: FeedItem, question: FeedItem, *, highlighted: bool) -> None:
        """Show `item` in the thread of `question` (its post, the item itself for the post)."""
        self.item = item
        chosen = not self.root and question.answer == item.id
        self.name.setText(shown_name(item.label, item.look_alike))
        when = format_clock(item.at, time.time())
        self.when.setText(self.tr("edited · {when}").format(when=when) if item.edited else when)
        self.text.setText(item.text)
        palette = self.palette()
        if self.root and item.question:
            answered = bool(item.answer)
            colour = answer_colour(palette) if answered else question_colour(palette)
            self._show_badge(self.tr("Answered") if answered else self.tr("Question"), colour)
        elif chosen:
            self._show_badge(self.tr("✓ Answer"), answer_colour(palette))
        else:
            self.badge.hide()
        self.answer_button.setVisible(
            not self.root and question.own and question.question and not chosen
        )
        self.ack_button.setVisible(self.root and item.ack)
        self.ack_button.setText(ack_label(item))
        self.ack_button.setToolTip(ack_tooltip(item))
        self.ack_button.setEnabled(item.own or not item.acked)
        self.edit_button.setVisible(item.own)
        self.delete_button.setVisible(item.own)
        self.setProperty("chosen", chosen)
        self.setProperty("highlighted", highlighted)
        self.style().unpolish(self)
        self.style().polish(self)

    def _show_badge(self, text: str, colour: QColor) -> None:
        self.badge.setText(text)
        self.badge.setStyleSheet(
            f"color: {on_badge_colour(self.palette()).name()}; background: {colour.name()};"
            " border-radius: 3px; padding: 1px 5px;"
        )
        self.badge.show()

    @Slot()
    def _ack_clicked(self) -> None:
        if self.item.own:
            self.acks_requested.emit(self.item.id)
        elif not self.item.acked:
            self.ack_requested.emit(self.item.id)

    @Slot()
    def start_edit(self) -> None:
        self.editor.setPlainText(self.item.text)
        self.text.hide()
        self.editor.show()
        self.edit_row.show()
        self.editor.setFocus()

    @Slot()
    def stop_edit(self) -> None:
        self.editor.hide()
        self.edit_row.hide()
        self.text.show()

    def editing(self) -> bool:
        return not self.editor.isHidden()

    @Slot()
    def _save(self) -> None:
        self.edit_submitted.emit(self.item.id, self.editor.toPlainText())

    @Slot()
    def ask_delete(self) -> None:
        self.confirm_row.show()
        self.confirm_button.setFocus()
