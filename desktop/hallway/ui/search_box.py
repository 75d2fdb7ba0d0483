"""Search: the box in the main window (Ctrl+F) and its ranked results, each opening in its
context (`SearchResults.activated`).

A result's snippet marks the matching words between « and »; they are painted bold, piece by
piece with `drawText`, so a result never interprets markup from peers' words.
"""

from __future__ import annotations

import time

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hallway.engine.views import SearchHit
from hallway.ui.bridge import EngineBridge
from hallway.ui.event_card import elided
from hallway.ui.paint import paint_item_background, scaled_font
from hallway.ui.text import format_clock, plain_tooltip, tr

HIT_ROLE = Qt.ItemDataRole.UserRole + 30  # SearchHit
#: Typing pauses this long before the search runs (Enter runs it at once).
SEARCH_DELAY_MS = 250
_PAD = 6


def kind_label(kind: str) -> str:
    labels = {
        "post": tr("Post"),
        "question": tr("Question"),
        "reply": tr("Reply"),
        "event": tr("Event"),
        "status": tr("Status"),
    }
    return labels.get(kind, kind)


def snippet_pieces(snippet: str) -> list[tuple[str, bool]]:
    """The snippet as (text, matched) pieces, without the « » marks."""
    pieces: list[tuple[str, bool]] = []
    rest = " ".join(snippet.split())
    while rest:
        start = rest.find("«")
        end = rest.find("»", start + 1) if start >= 0 else -1
        if start < 0 or end < 0:
            pieces.append((rest, False))
            break
        if start:
            pieces.append((rest[:start], False))
        pieces.append((rest[start + 1 : end], True))
        rest = rest[end + 1 :]
    return pieces


class HitDelegate(QStyledItemDelegate):
    """A result in two lines: its kind, who and when; then the snippet, matches in bold."""

    def sizeHint(
        self, option: QStyleOptionViewItem, _index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        height = QFontMetrics(option.font).height()
        return QSize(200, 2 * _PAD + 2 * height + 3)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        hit = index.data(HIT_ROLE)
        if not isinstance(hit, SearchHit):
            return
        opt = paint_item_background(self, painter, option, index)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        colour = opt.palette.color(role)
        body = QFont(opt.font)
        bold = scaled_font(body, 1.0, bold=True)
        small = scaled_font(body, 0.9)
        line = QFontMetrics(body).height()
        rect: QRect = opt.rect.adjusted(_PAD + 2, _PAD, -_PAD, -_PAD)
        painter.save()
        try:
            when = format_clock(hit.at, time.time())
            faded = (
                opt.palette.color(QPalette.ColorGroup.Disabled, role) if not selected else colour
            )
            right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            when_width = elided(painter, small, QRect(rect.left(), rect.top(), rect.width(), line),
                                when, faded, flags=right)  # fmt: skip
            x = rect.left()
            kind = opt.palette.color(QPalette.ColorRole.Link) if not selected else colour
            x += elided(painter, bold, QRect(x, rect.top(), 120, line), kind_label(hit.kind), kind)
            x += 10
            elided(painter, body, QRect(x, rect.top(), rect.right() - when_width - 10 - x, line),
                   hit.name, colour)  # fmt: skip
            x, top = rect.left(), rect.top() + line + 3
            painter.setPen(colour)
            left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
            for text, matched in snippet_pieces(hit.snippet or hit.text):
                font = bold if matched else body
                metrics = QFontMetrics(font)
                # Not `elided`, which trims the spaces between the pieces.
                shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, rect.right() - x)
                painter.setFont(font)
                painter.drawText(QRect(x, top, rect.right() - x, line), left, shown)
                x += metrics.horizontalAdvance(shown)
                if shown != text:
                    break
        finally:
            painter.restore()


class SearchResults(QFrame):
    """The search box's results, under the window's banners; hidden until there are any.

    Signals:
        activated(SearchHit): a result was chosen (click, Enter).
    """

    activated = Signal(object)

    def __init__(self, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchResults")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._bridge = bridge
        self.field = QLineEdit()
        self.field.setObjectName("search")
        self.field.setPlaceholderText(self.tr("Search (Ctrl+F)"))
        self.field.setToolTip(self.tr("Search posts, replies, questions, events and statuses"))
        self.field.setClearButtonEnabled(True)
        self.field.setMinimumWidth(240)
        self.field.installEventFilter(self)
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip(self.tr("Close the results (Esc)"))
        close.clicked.connect(self.hide)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(close)
        self.list = QListWidget()
        self.list.setItemDelegate(HitDelegate(self.list))
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.itemActivated.connect(self._chosen)
        self.list.itemClicked.connect(self._chosen)
        self.list.installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.addLayout(head)
        layout.addWidget(self.list)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.search)
        self.field.textEdited.connect(self._typed)
        self.field.returnPressed.connect(self._enter)
        self.hide()

    @Slot(str)
    def _typed(self, text: str) -> None:
        if text.strip():
            self._timer.start()
        else:
            self._timer.stop()
            self.hide()

    @Slot()
    def _enter(self) -> None:
        if self.search() and self.list.count():
            self.list.setCurrentRow(0)
            self.list.setFocus()

    @Slot()
    def search(self) -> bool:
        """Search for the box's words; shows the results (or why there are none)."""
        self._timer.stop()
        words = self.field.text().strip()
        if not words:
            self.hide()
            return False
        hits = self._bridge.search(words)
        self.list.clear()
        for hit in hits:
            item = QListWidgetItem()
            item.setData(HIT_ROLE, hit)
            item.setToolTip(plain_tooltip(f"{hit.name}: {hit.text}"))
            self.list.addItem(item)
        if hits:
            self.title.setText(
                (
                    self.tr("1 result for “{words}”")
                    if len(hits) == 1
                    else self.tr("{n} results for “{words}”")
                ).format(n=len(hits), words=words)
            )
        elif self._bridge.last_error:
            self.title.setText(self._bridge.last_error)
        else:
            self.title.setText(self.tr("Nothing found for “{words}”").format(words=words))
        self.list.setVisible(bool(hits))
        # As tall as four results at most: the tabs below stay in sight.
        rows = sum(self.list.sizeHintForRow(r) for r in range(min(len(hits), 4)))
        self.list.setFixedHeight(rows + 2 * self.list.frameWidth() + 2)
        self.show()
        return bool(hits)

    def hits(self) -> list[SearchHit]:
        return [self.list.item(row).data(HIT_ROLE) for row in range(self.list.count())]

    @Slot(QListWidgetItem)
    def _chosen(self, item: QListWidgetItem) -> None:
        hit = item.data(HIT_ROLE)
        if isinstance(hit, SearchHit) and not self.isHidden():  # a click can also activate
            self.hide()
            self.activated.emit(hit)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key == Qt.Key.Key_Escape and (watched is self.field or watched is self.list):
                self.hide()
                self.field.setFocus()
                return True
            if key == Qt.Key.Key_Down and watched is self.field and self.list.count():
                self.show()
                self.list.setCurrentRow(0)
                self.list.setFocus()
                return True
        return super().eventFilter(watched, event)
