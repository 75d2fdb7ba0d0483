"""Knocks in the window: what is open (`KnockBook`), knocking on someone's door (`KnockDialog`)
and answering a knock with a quick reply or one's own words (`KnockReplyDialog`).

The pop-up of a knock carries the quick replies as actions (`notifications`); a click on it
opens the reply dialog, which is also where a reply of one's own is written.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hallway.core.knocks import DEFAULT_TEXT, KNOCK_TEXT_MAX, KnockView
from hallway.engine.events import KnockDelivered, KnockExpired, KnockReceived, KnockReplied
from hallway.ui.bridge import EngineBridge
from hallway.ui.notifications import KNOCK_KEYS, knock_reply_labels
from hallway.ui.text import format_clock, plain_label, tr

#: Outgoing states still waiting for an answer.
WAITING = frozenset({"pending", "delivered", "held"})
#: An incoming knock is worth answering for this long.
ANSWER_WITHIN = 12 * 3600.0

#: Characters of a knock's text in a tray line.
LINE_TEXT = 32

KnockEvent = KnockReceived | KnockDelivered | KnockReplied | KnockExpired


class KnockBook(QObject):
    """The knocks this session knows, kept current from the node's events and our commands.

    Signals:
        changed(): a knock was added or changed state.
    """

    changed = Signal()

    def __init__(self, parent: QObject | None = None, *, clock: Callable[[], float] = time.time):
        super().__init__(parent)
        self._clock = clock
        self._knocks: dict[str, KnockView] = {}

    def reset(self, views: Iterable[KnockView]) -> None:
        self._knocks = {view.id: view for view in views}
        self.changed.emit()

    def upsert(self, view: KnockView) -> None:
        self._knocks[view.id] = view
        self.changed.emit()

    @Slot(object)
    def on_event(self, event: KnockEvent) -> None:
        self.upsert(event.knock)

    def get(self, knock_id: str) -> KnockView | None:
        return self._knocks.get(knock_id)

    def _newest(self) -> list[KnockView]:
        return sorted(self._knocks.values(), key=lambda k: k.created, reverse=True)

    def waiting(self) -> list[KnockView]:
        """Ours that have no answer yet and have not expired, newest first."""
        now = self._clock()
        return [k for k in self._newest() if k.outgoing and k.state in WAITING and k.expires > now]

    def unanswered(self, peer: str | None = None) -> list[KnockView]:
        """Theirs shown to us and not answered yet (of `peer` only, if given), newest first."""
        since = self._clock() - ANSWER_WITHIN
        return [
            k
            for k in self._newest()
            if not k.outgoing
            and k.state == "shown"
            and k.created > since
            and (peer is None or k.peer == peer)
        ]


def waiting_line(view: KnockView) -> str:
    """The tray menu's line for one of our knocks: "Knock to Ben: waiting"."""
    if view.state == "held":
        return tr("Knock to {name}: will show later").format(name=view.name)
    return tr("Knock to {name}: waiting").format(name=view.name)


def unanswered_line(view: KnockView) -> str:
    """The tray menu's line for a knock to answer: "Knock from Ann: Got a minute?"."""
    text = view.text if len(view.text) <= LINE_TEXT else view.text[: LINE_TEXT - 1] + "…"
    return tr("Knock from {name}: {text}").format(name=view.name, text=text)


class KnockDialog(QDialog):
    """ "Knock…": an optional text (it defaults to "Got a minute?") and urgent.

    Signals:
        sent(object): the knock was handed to the node (its `KnockView`).
    """

    sent = Signal(object)

    def __init__(
        self, bridge: EngineBridge, peer: str, name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.peer = peer
        self.setWindowTitle(self.tr("Knock on {name}'s door").format(name=name))
        intro = plain_label(
            self.tr(
                "{name} gets a pop-up and can answer Yes, In 5 min or Not now. "
                "If {name} is offline, it waits up to 12 hours."
            ).format(name=name)
        )
        intro.setWordWrap(True)
        self.text = QLineEdit()
        self.text.setMaxLength(KNOCK_TEXT_MAX)
        self.text.setPlaceholderText(DEFAULT_TEXT)
        self.urgent = QCheckBox(self.tr("Urgent: show it even in Do not disturb"))
        self.urgent.setToolTip(self.tr("Quiet hours still hold it until they end"))
        self.message = plain_label()
        self.message.setWordWrap(True)
        self.message.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.knock_button = buttons.addButton(
            self.tr("Knock"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.accepted.connect(self._knock_clicked)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.text)
        layout.addWidget(self.urgent)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)
        self.text.setFocus()

    @Slot()
    def _knock_clicked(self) -> None:
        self.submit()

    def submit(self) -> bool:
        """Knock; False (and the node's message) when refused."""
        view = self._bridge.knock(self.peer, self.text.text().strip(),
                                  urgent=self.urgent.isChecked())  # fmt: skip
        if view is None:
            self.message.setText(self._bridge.last_error)
            self.message.show()
            return False
        self.sent.emit(view)
        self.accept()
        return True


class KnockReplyDialog(QDialog):
    """A knock and its answers: Yes / In 5 min / Not now, or one's own words.

    Signals:
        replied(object): the reply was handed to the node (the knock's `KnockView`).
    """

    replied = Signal(object)

    def __init__(self, bridge: EngineBridge, view: KnockView, parent: QWidget | None = None):
        super().__init__(parent)
        self._bridge = bridge
        self.knock = view
        self.setWindowTitle(self.tr("Knock from {name}").format(name=view.name))
        heading = (self.tr("{name} knocked at {clock}, urgently:") if view.urgent
                   else self.tr("{name} knocked at {clock}:"))  # fmt: skip
        intro = plain_label(heading.format(name=view.name, clock=format_clock(view.created)))
        self.text = plain_label(view.text)
        self.text.setWordWrap(True)
        font = self.text.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.text.setFont(font)
        quick = QHBoxLayout()
        self.quick: dict[str, QPushButton] = {}
        for key, label in zip(KNOCK_KEYS, knock_reply_labels(), strict=True):
            button = QPushButton(label)
            button.setObjectName(f"reply-{key}")
            button.clicked.connect(self._replier(key))
            quick.addWidget(button)
            self.quick[key] = button
        self.own = QLineEdit()
        self.own.setMaxLength(KNOCK_TEXT_MAX)
        self.own.setPlaceholderText(self.tr("Or write your own answer…"))
        self.send = QPushButton(self.tr("Send"))
        self.send.setEnabled(False)
        self.own.textChanged.connect(lambda text: self.send.setEnabled(bool(text.strip())))
        self.own.returnPressed.connect(self._send_own)
        self.send.clicked.connect(self._send_own)
        own_row = QHBoxLayout()
        own_row.addWidget(self.own, 1)
        own_row.addWidget(self.send)
        self.message = plain_label()
        self.message.setWordWrap(True)
        self.message.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.text)
        layout.addSpacing(6)
        layout.addLayout(quick)
        layout.addLayout(own_row)
        layout.addWidget(self.message)
        self.setMinimumWidth(420)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def _replier(self, key: str) -> Callable[[], None]:
        return lambda: self._reply_quietly(key)

    def _reply_quietly(self, reply: str) -> None:
        self.reply(reply)  # slots return nothing (see ComposeBox._send_clicked)

    @Slot()
    def _send_own(self) -> None:
        if self.own.text().strip():
            self.reply(self.own.text().strip())

    def reply(self, reply: str) -> bool:
        """Answer ("yes", "later", "no" or one's own words); False when refused."""
        view = self._bridge.reply_knock(self.knock.id, reply)
        if view is None:
            self.message.setText(self._bridge.last_error)
            self.message.show()
            return False
        self.replied.emit(view)
        self.accept()
        return True
