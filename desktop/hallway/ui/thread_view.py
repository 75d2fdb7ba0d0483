"""The thread beside the Feed: a post and its replies (a question's chosen answer first), and a
box to reply. Opened with one click on a post's "3 replies · latest Ben" (or "Reply"), or from
a search result, with the reply found highlighted.

It follows the bridge's events for its thread (replies, answers, acknowledgements, edits,
deletes) and asks the node for the thread again, once per burst; what the node says of the
post goes back to the Feed's rows through `fetched`.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hallway.core.model import POST_TEXT_MAX, clean_text
from hallway.engine.events import (
    AckReceived,
    AnswerChosen,
    FeedItem,
    ItemDeleted,
    ItemEdited,
    ReplyReceived,
)
from hallway.engine.views import ThreadView
from hallway.ui.bridge import EngineBridge
from hallway.ui.item_card import CARD_NAME, ItemCard
from hallway.ui.post_card import answer_colour
from hallway.ui.theme import is_dark


def _style(dark: bool, answer: str) -> str:
    card = f"QFrame#{CARD_NAME}"
    mid = "#5f6368" if dark else "#dadce0"
    return (
        f"{card} {{ background: palette(base); border: 1px solid {mid}; border-radius: 6px; }}"
        f' {card}[chosen="true"] {{ border: 2px solid {answer}; }}'
        f' {card}[highlighted="true"] {{ border: 2px solid palette(highlight); }}'
    )


class ThreadPanel(QFrame):
    """Signals:
    fetched(FeedItem): the node's view of the thread's post (the Feed shows the same counts).
    acks_requested(str): the author asked who acknowledged the post.
    closed(): the panel was closed.
    """

    fetched = Signal(object)
    acks_requested = Signal(str)
    closed = Signal()

    def __init__(self, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("threadPanel")
        self._bridge = bridge
        self.view: ThreadView | None = None
        self.cards: dict[str, ItemCard] = {}
        self.highlighted: str | None = None
        self.title = QLabel(self.tr("Thread"))
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip(self.tr("Close the thread (Esc)"))
        self.close_button.clicked.connect(self.close_thread)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.close_button)

        self.content = QWidget()
        self.cards_layout = QVBoxLayout(self.content)
        self.cards_layout.setContentsMargins(2, 2, 2, 2)
        self.cards_layout.setSpacing(6)
        self.cards_layout.addStretch(1)
        self.scroller = QScrollArea()
        self.scroller.setWidgetResizable(True)
        self.scroller.setWidget(self.content)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.count = QLabel()
        self.count.setEnabled(False)

        self._make_reply_box()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.scroller, 1)
        layout.addWidget(self.count)
        layout.addWidget(self.editor)
        layout.addLayout(self.send_row)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.refresh)
        bridge.reply_received.connect(self._on_reply)
        bridge.answer_chosen.connect(self._on_answer)
        bridge.ack_received.connect(self._on_ack)
        bridge.item_edited.connect(self._on_edited)
        bridge.item_deleted.connect(self._on_deleted)
        self._restyle()
        self.hide()

    def _make_reply_box(self) -> None:
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("replyEditor")
        self.editor.setPlaceholderText(self.tr("Reply… (Ctrl+Enter sends)"))
        self.editor.setTabChangesFocus(True)
        # Three lines: the thread above it is what matters; a longer reply scrolls.
        self.editor.setMaximumHeight(self.editor.fontMetrics().lineSpacing() * 3 + 14)
        self.editor.installEventFilter(self)
        self.reply_button = QPushButton(self.tr("Reply"))
        self.reply_button.setToolTip(self.tr("Send your reply to everyone (Ctrl+Enter)"))
        self.reply_button.clicked.connect(self._reply_clicked)
        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.hide()
        self.send_row = send = QHBoxLayout()
        send.addWidget(self.message, 1)
        send.addStretch(0)  # the button keeps its size while no message shows
        send.addWidget(self.reply_button)

    # -- opening ---------------------------------------------------------------------------

    @property
    def post_id(self) -> str | None:
        return self.view.post.id if self.view is not None else None

    def open(self, item_id: str, highlight: str | None = None) -> bool:
        """Show the thread of `item_id` (a post, or a reply: its post's thread), with the
        reply `highlight` marked and scrolled to; False when the node has no such item."""
        view = self._bridge.thread_view(item_id)
        if view is None:
            return False
        self.highlighted = highlight
        self._show(view)
        self.show()
        card = self.cards.get(highlight or "")
        if card is not None:
            QTimer.singleShot(0, lambda: self.scroller.ensureWidgetVisible(card))
        return True

    @Slot()
    def refresh(self) -> None:
        if self.view is None:
            return
        view = self._bridge.thread_view(self.view.post.id)
        if view is None:
            self.close_thread()
        else:
            self._show(view)

    @Slot()
    def close_thread(self) -> None:
        self.view = None
        self.hide()
        self.closed.emit()

    def _show(self, view: ThreadView) -> None:
        self.view = view
        items = (view.post, *view.answered_first())
        for stale in set(self.cards) - {item.id for item in items}:
            gone = self.cards.pop(stale)
            gone.hide()  # now: deleteLater waits for the event loop
            self.cards_layout.removeWidget(gone)
            gone.deleteLater()
        for row, item in enumerate(items):
            card = self.cards.get(item.id)
            if card is None:
                card = self.cards[item.id] = self._card(item)
            card.set_item(item, view.post, highlighted=item.id == self.highlighted)
            self.cards_layout.insertWidget(row, card)
            # Now, not when the layout's queued show runs: the card is there to be used (and
            # tested) as soon as the thread says so.
            card.show()
        self.count.setText(self._count_text(view))
        self.fetched.emit(view.post)

    def _count_text(self, view: ThreadView) -> str:
        n = len(view.replies)
        if n == 0:
            return self.tr("No replies yet.")
        return self.tr("1 reply") if n == 1 else self.tr("{count} replies").format(count=n)

    def _card(self, item: FeedItem) -> ItemCard:
        card = ItemCard(item)
        card.answer_requested.connect(self._answer)
        card.ack_requested.connect(self._ack)
        card.acks_requested.connect(self.acks_requested)
        card.edit_submitted.connect(self._edit)
        card.delete_confirmed.connect(self._delete)
        return card

    # Slots return nothing: PySide6 6.12 mishandles a returned bool's refcount.

    @Slot(str)
    def _answer(self, reply_id: str) -> None:
        self._bridge.answer(reply_id)

    @Slot(str)
    def _ack(self, post_id: str) -> None:
        self._bridge.ack(post_id)

    @Slot(str)
    def _delete(self, item_id: str) -> None:
        self._bridge.delete_item(item_id)

    @Slot(str, str)
    def _edit(self, item_id: str, text: str) -> None:
        card = self.cards.get(item_id)
        if self._bridge.edit_item(item_id, text) and card is not None:
            card.stop_edit()

    # -- replying --------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.editor
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.send_reply()
            return True
        return super().eventFilter(watched, event)

    @Slot()
    def _reply_clicked(self) -> None:
        self.send_reply()

    def send_reply(self) -> bool:
        """Reply in this thread; False (and a message) when empty, too long or refused."""
        if self.view is None:
            return False
        try:
            text = clean_text(self.editor.toPlainText(), POST_TEXT_MAX)
        except ValueError:
            self._say(self.tr("A reply can be {limit} characters at most.").format(
                limit=POST_TEXT_MAX))  # fmt: skip
            return False
        if not text:
            return False
        if not self._bridge.reply(self.view.post.id, text):
            self._say(self._bridge.last_error)
            return False
        self.editor.clear()
        self.message.hide()
        return True

    def _say(self, message: str) -> None:
        self.message.setText(message)
        self.message.show()

    # -- following the thread --------------------------------------------------------------

    def _stale(self, *ids: str) -> None:
        if self.view is not None and self.view.post.id in ids:
            self._timer.start()

    @Slot(object)
    def _on_reply(self, event: ReplyReceived) -> None:
        self._stale(event.reply.reply_to)

    @Slot(object)
    def _on_answer(self, event: AnswerChosen) -> None:
        self._stale(event.question)

    @Slot(object)
    def _on_ack(self, event: AckReceived) -> None:
        self._stale(event.post)

    @Slot(object)
    def _on_edited(self, event: ItemEdited) -> None:
        self._stale(event.id, event.reply_to)

    @Slot(object)
    def _on_deleted(self, event: ItemDeleted) -> None:
        if self.view is not None and event.id == self.view.post.id:
            self.close_thread()  # the post is gone, and its thread with it
        else:
            self._stale(event.reply_to)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close_thread()
            return
        super().keyPressEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._restyle()
        super().changeEvent(event)

    def _restyle(self) -> None:
        palette = self.palette()
        self.content.setStyleSheet(_style(is_dark(palette), answer_colour(palette).name()))
