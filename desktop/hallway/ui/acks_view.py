"""The acknowledgements of one's own post: "12/15 acknowledged", who did and when, who is
missing (members seen here in the last 14 days), and "Remind", which pops the post up once
more for those missing. Follows the bridge's `ack_received` while open.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hallway.engine.events import AckReceived, FeedItem
from hallway.engine.views import AckView
from hallway.ui.avatar import avatar_icon
from hallway.ui.bridge import EngineBridge
from hallway.ui.text import format_clock, plain_label


class AcksDialog(QDialog):
    def __init__(self, bridge: EngineBridge, post: FeedItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Acknowledgements"))
        self._bridge = bridge
        self.post = post
        self.view: AckView | None = None
        text = plain_label(post.text)
        text.setWordWrap(True)
        text.setMaximumHeight(text.fontMetrics().lineSpacing() * 4 + 4)
        self.count = QLabel()
        font = self.count.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.count.setFont(font)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.done_title, self.missing_title = QLabel(), QLabel()
        self.acknowledged = QListWidget()
        self.acknowledged.setObjectName("acknowledged")
        self.missing_list = QListWidget()
        self.missing_list.setObjectName("missing")
        lists = QGridLayout()
        lists.addWidget(self.done_title, 0, 0)
        lists.addWidget(self.missing_title, 0, 1)
        lists.addWidget(self.acknowledged, 1, 0)
        lists.addWidget(self.missing_list, 1, 1)
        self.note = QLabel()
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setEnabled(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.remind_button = QPushButton(self.tr("Remind"))
        self.remind_button.setToolTip(self.tr("Pop this post up once more for those missing"))
        self.remind_button.clicked.connect(self._remind_clicked)
        buttons.addButton(self.remind_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.count)
        layout.addWidget(self.progress)
        layout.addLayout(lists, 1)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        bridge.ack_received.connect(self._on_ack)
        self.resize(520, 380)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        view = self._bridge.acks(self.post.id)
        if view is not None:
            self.show_view(view)

    def show_view(self, view: AckView) -> None:
        self.view = view
        n, of = view.count
        self.count.setText(self.tr("{n}/{of} acknowledged").format(n=n, of=of))
        self.progress.setRange(0, max(1, of))
        self.progress.setValue(n)
        self.done_title.setText(self.tr("Acknowledged ({n})").format(n=n))
        self.missing_title.setText(self.tr("Missing ({n})").format(n=len(view.missing)))
        now = time.time()
        self.acknowledged.clear()
        for person in view.acknowledged:
            when = format_clock(person.at, now) if person.at is not None else ""
            item = QListWidgetItem(avatar_icon(person.peer, person.name, None),
                                   f"{person.name} — {when}" if when else person.name)  # fmt: skip
            self.acknowledged.addItem(item)
        self.missing_list.clear()
        for person in view.missing:
            self.missing_list.addItem(QListWidgetItem(avatar_icon(person.peer, person.name, None),
                                                 person.name))  # fmt: skip
        self.remind_button.setEnabled(bool(view.missing))
        self.remind_button.setText(
            self.tr("Remind {n}").format(n=len(view.missing)) if view.missing else self.tr("Remind")
        )

    @Slot()
    def _remind_clicked(self) -> None:
        self.remind()

    def remind(self) -> bool:
        """One more pop-up for those missing; says so under the lists."""
        if self.view is None or not self.view.missing:
            return False
        if not self._bridge.remind_acks(self.post.id):
            self.note.setText(self._bridge.last_error)
            return False
        self.note.setText(
            self.tr("Reminded {n} at {when}.").format(
                n=len(self.view.missing), when=format_clock(time.time())
            )
        )
        return True

    @Slot(object)
    def _on_ack(self, event: AckReceived) -> None:
        if event.post == self.post.id:
            self.refresh()
