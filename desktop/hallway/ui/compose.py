"""Writing a post to the office: a compose box (top of the Feed tab) and the "Post to office…"
dialog around the same box. Ctrl+Enter sends.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hallway.core.model import POST_TEXT_MAX, clean_text
from hallway.ui.bridge import EngineBridge

_WARN_AT = 100


class ComposeBox(QWidget):
    """A text box, the urgent, question and acknowledgement checkboxes, a count of characters
    left and a Send button.

    Signals:
        sent(): a post was handed to the node; the box is empty again.
    """

    sent = Signal()

    def __init__(
        self, bridge: EngineBridge, parent: QWidget | None = None, *, compact: bool = False
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText(self.tr("Post to the office… (Ctrl+Enter sends)"))
        self.editor.setTabChangesFocus(True)
        lines = 2 if compact else 5
        height = self.editor.fontMetrics().lineSpacing() * lines + 14
        self.editor.setMinimumHeight(height)
        if compact:
            self.editor.setMaximumHeight(height + self.editor.fontMetrics().lineSpacing() * 2)
        self.urgent = QCheckBox(self.tr("Urgent"))
        self.urgent.setToolTip(self.tr("Pops up for everyone, even when they do not disturb"))
        self.question = QCheckBox(self.tr("Question"))
        self.question.setToolTip(
            self.tr(
                "Ask the office: you can mark one reply as the answer, and the Feed lists "
                "open questions"
            )
        )
        self.ack = QCheckBox(self.tr("Ask to acknowledge"))
        self.ack.setToolTip(
            self.tr("Everyone is asked to confirm they read it; you see who has not")
        )
        self.counter = QLabel()
        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.hide()
        self.send_button = QPushButton(self.tr("Send"))
        self.send_button.clicked.connect(self._send_clicked)

        self.button_row = row = QHBoxLayout()
        row.addWidget(self.urgent)
        row.addWidget(self.question)
        row.addWidget(self.ack)
        row.addStretch(1)
        row.addWidget(self.counter)
        row.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.editor)
        layout.addWidget(self.message)
        layout.addLayout(row)

        self.editor.installEventFilter(self)
        self.editor.textChanged.connect(self._update)
        self._update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Ctrl+Enter sends; a plain Enter stays a new line.
        if (
            watched is self.editor
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.send()
            return True
        return super().eventFilter(watched, event)

    def text(self) -> str:
        return self.editor.toPlainText()

    @Slot()
    def _update(self) -> None:
        left = POST_TEXT_MAX - len(self.text())
        self.counter.setText(self.tr("{count} left").format(count=left))
        self.counter.setStyleSheet("color: palette(highlight);" if left < _WARN_AT else "")
        too_long = left < 0
        self.send_button.setEnabled(bool(self.text().strip()) and not too_long)
        if too_long:
            self._say(
                self.tr("A post can be {limit} characters at most: {over} too many.").format(
                    limit=POST_TEXT_MAX, over=-left
                )
            )
        else:
            self.message.hide()

    def _say(self, message: str) -> None:
        self.message.setText(message)
        self.message.show()

    @Slot()
    def _send_clicked(self) -> None:
        # A slot must not return a value: PySide6 6.12 mishandles a returned bool's refcount.
        self.send()

    def send(self) -> bool:
        """Send the post; False (and a message) if it is empty, too long or refused."""
        try:
            text = clean_text(self.text(), POST_TEXT_MAX)
        except ValueError:
            self._update()
            return False
        if not text:
            return False
        marks = (self.urgent, self.question, self.ack)
        urgent, question, ack = (box.isChecked() for box in marks)
        if not self._bridge.post(text, urgent=urgent, question=question, ack=ack):
            self._say(self._bridge.last_error)
            return False
        self.editor.clear()
        for box in marks:
            box.setChecked(False)
        self.sent.emit()
        return True


class ComposeDialog(QDialog):
    """ "Post to office…": the compose box in a dialog that closes once the post is sent."""

    def __init__(self, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Post to office"))
        self.box = ComposeBox(bridge)
        cancel = QPushButton(self.tr("Cancel"))
        cancel.clicked.connect(self.reject)
        self.box.button_row.insertWidget(self.box.button_row.count() - 1, cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Everyone in the office sees this post.")))
        layout.addWidget(self.box)
        self.box.sent.connect(self.accept)
        self.resize(480, 260)
        self.box.editor.setFocus()
