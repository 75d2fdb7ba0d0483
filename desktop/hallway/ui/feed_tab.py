"""The Feed tab: a compose box on top, then posts and status changes, newest first.

Items are painted by `FeedDelegate` with `QPainter.drawText`, which never interprets markup, so
peers' words always appear literally. Each item shows the name it was posted under, with the start
of the author's fingerprint and a warning mark when that name reads like another member's.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QMouseEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from hallway.core.meetups import EventView
from hallway.core.names import LOOK_ALIKE_MARK, fingerprint_suffix
from hallway.engine.events import FeedItem
from hallway.ui.bridge import EngineBridge
from hallway.ui.compose import ComposeBox
from hallway.ui.event_actions import EventActions
from hallway.ui.event_card import button_at, feed_buttons, feed_row_height, paint_feed_event
from hallway.ui.icons import presence_colour
from hallway.ui.models import FEED_EVENT_ROLE, ITEM_ROLE, FeedModel
from hallway.ui.paint import LOOK_ALIKE_COLOUR, paint_emoji_chip, paint_item_background
from hallway.ui.text import emoji_font, format_clock, presence_label, tr

Index = QModelIndex | QPersistentModelIndex

_PAD = 8
_STRIPE = 4
_GAP = 3
_WRAP = Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
URGENT_COLOUR = QColor("#d93025")
FEED_EMOJI_PX = 20


def body_text(item: FeedItem) -> str:
    """What an item says, as plain text."""
    if item.type == "post":
        return item.text
    words = " ".join(p for p in (item.emoji, item.text) if p)
    presence = presence_label(item.presence) if item.presence else ""
    if words:
        return tr("is now {presence}: {words}").format(presence=presence, words=words)
    return tr("is now {presence}").format(presence=presence)


class FeedDelegate(QStyledItemDelegate):
    """Draws one feed item: name and time on top, the text wrapped below, urgent marked. A new
    event is a compact card with its answer buttons.

    Signals:
        clicked(str, str): an event's button was clicked: the event id and "going", "maybe" or
            "no".
    """

    clicked = Signal(str, str)

    def __init__(self, view: QListView) -> None:
        super().__init__(view)
        self._view = view

    def _fonts(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont, QFont]:
        body = QFont(option.font)
        head = QFont(body)
        head.setBold(True)
        small = QFont(body)
        small.setPointSizeF(max(6.0, body.pointSizeF() * 0.9))
        return body, head, small

    def _text_width(self) -> int:
        return max(100, self._view.viewport().width() - 2 * _PAD - _STRIPE - 2)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        item = index.data(ITEM_ROLE)
        if not isinstance(item, FeedItem):
            return super().sizeHint(option, index)
        body, head, _small = self._fonts(option)
        width = self._text_width()
        if item.type == "event":
            return QSize(width, feed_row_height(body))
        head_height = QFontMetrics(head).height()
        if item.type == "post":
            bounds = QRect(0, 0, width, 100000)
            rect = QFontMetrics(body).boundingRect(bounds, _WRAP, body_text(item))
            return QSize(width, _PAD + head_height + _GAP + rect.height() + _PAD)
        emoji_height = QFontMetrics(emoji_font(body, FEED_EMOJI_PX)).height() if item.emoji else 0
        return QSize(width, _PAD + max(head_height, emoji_height) + _PAD)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        item = index.data(ITEM_ROLE)
        if not isinstance(item, FeedItem):
            super().paint(painter, option, index)
            return
        opt = paint_item_background(self, painter, option, index)
        painter.save()
        try:
            view = index.data(FEED_EVENT_ROLE)
            if isinstance(view, EventView):
                now = time.time()
                selected = bool(opt.state & QStyle.StateFlag.State_Selected)
                paint_feed_event(painter, opt.rect, self._fonts(opt)[0], opt.palette, view=view,
                                 when=format_clock(item.at, now), now=now,
                                 selected=selected)  # fmt: skip
            else:
                self._paint_item(painter, opt, item)
        finally:
            painter.restore()

    def editorEvent(
        self,
        event: QEvent,
        model: object,
        option: QStyleOptionViewItem,
        index: Index,
    ) -> bool:
        view = index.data(FEED_EVENT_ROLE)
        if (
            isinstance(view, EventView)
            and event.type() == QEvent.Type.MouseButtonRelease
            and isinstance(event, QMouseEvent)
            and event.button() == Qt.MouseButton.LeftButton
        ):
            buttons = feed_buttons(view, option.rect, self._fonts(option)[0], time.time())
            button = button_at(buttons, event.position().toPoint())
            if button is not None:
                if button.enabled:
                    self.clicked.emit(view.id, button.key)
                return True
        return super().editorEvent(event, model, option, index)  # type: ignore[arg-type]

    def _paint_item(self, painter: QPainter, opt: QStyleOptionViewItem, item: FeedItem) -> None:
        rect: QRect = opt.rect
        palette: QPalette = opt.palette
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        body, head, small = self._fonts(opt)
        if item.urgent or item.presence is not None:
            stripe = URGENT_COLOUR if item.urgent else presence_colour(str(item.presence))
            painter.fillRect(QRect(rect.left(), rect.top() + 2, _STRIPE, rect.height() - 4), stripe)
        left = rect.left() + _STRIPE + _PAD
        top = rect.top() + _PAD
        # A status change is one line, centred on its row (an emoji makes the row taller).
        line = QFontMetrics(head).height() if item.type == "post" else rect.height() - 2 * _PAD

        x = left
        if item.urgent:
            x += self._paint_badge(painter, small, QRect(x, top, 0, line)) + 6

        when = format_clock(item.at, time.time())
        painter.setFont(small)
        when_width = QFontMetrics(small).horizontalAdvance(when)
        faded = QPalette.ColorGroup.Normal if selected else QPalette.ColorGroup.Disabled
        painter.setPen(palette.color(faded, role))
        painter.drawText(
            QRect(rect.right() - _PAD - when_width, top, when_width, line),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            when,
        )

        painter.setFont(head)
        painter.setPen(palette.color(role))
        room = rect.right() - _PAD - when_width - 8 - x
        if item.type == "post":
            self._paint_name(painter, head, QRect(x, top, room, line), item)
            painter.setFont(body)
            width = rect.right() - left - _PAD
            text_rect = QRect(left, top + line + _GAP, width, rect.bottom() - top - line)
            painter.drawText(text_rect, _WRAP, body_text(item))
            return
        name_width = self._paint_name(painter, head, QRect(x, top, room // 2, line), item)
        x += name_width + 6
        room -= name_width + 6
        if not item.emoji:
            self._elided(painter, body, QRect(x, top, room, line), body_text(item))
            return
        # The emoji large enough to see, between "is now Away:" and the status text.
        presence = presence_label(item.presence) if item.presence else ""
        x += self._elided(painter, body, QRect(x, top, room, line),
                          tr("is now {presence}:").format(presence=presence)) + 6  # fmt: skip
        emoji = emoji_font(body, FEED_EMOJI_PX)
        chip = QRect(x, top, QFontMetrics(emoji).horizontalAdvance(item.emoji) + 6, line)
        paint_emoji_chip(painter, chip, item.emoji, font=emoji, palette=opt.palette,
                         colour=painter.pen().color())  # fmt: skip
        x += chip.width() + 6
        end = rect.right() - _PAD - when_width - 8
        self._elided(painter, body, QRect(x, top, max(0, end - x), line), item.text)

    @staticmethod
    def _paint_name(painter: QPainter, font: QFont, where: QRect, item: FeedItem) -> int:
        """The name, elided before "(3f9a) ⚠" when it reads like another member's (the digits
        are what tell two Bobs apart); returns the width drawn."""
        metrics = QFontMetrics(font)
        short = fingerprint_suffix(item.short_fingerprint, item.look_alike)
        mark = f" {LOOK_ALIKE_MARK}" if item.look_alike else ""
        room = max(0, where.width() - metrics.horizontalAdvance(short + mark))
        name = metrics.elidedText(item.name, Qt.TextElideMode.ElideRight, room) + short
        width = metrics.horizontalAdvance(name)
        centred = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.setFont(font)
        painter.drawText(QRect(where.left(), where.top(), width, where.height()), centred, name)
        if not mark:
            return width
        mark_width = metrics.horizontalAdvance(mark)
        painter.save()
        painter.setPen(LOOK_ALIKE_COLOUR)
        painter.drawText(
            QRect(where.left() + width, where.top(), mark_width, where.height()), centred, mark
        )
        painter.restore()
        return width + mark_width

    @staticmethod
    def _elided(painter: QPainter, font: QFont, where: QRect, text: str) -> int:
        """Draw `text` elided to `where`; returns the width drawn."""
        metrics = QFontMetrics(font)
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(0, where.width()))
        painter.setFont(font)
        centred = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(where, centred, shown)
        return metrics.horizontalAdvance(shown)

    @staticmethod
    def _paint_badge(painter: QPainter, font: QFont, where: QRect) -> int:
        """The URGENT badge at `where`'s top-left; returns its width."""
        badge = tr("URGENT")
        painter.setFont(font)
        width = QFontMetrics(font).horizontalAdvance(badge) + 10
        badge_rect = QRect(where.left(), where.top(), width, where.height())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(URGENT_COLOUR)
        painter.drawRoundedRect(badge_rect, 3, 3)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(badge_rect, Qt.AlignmentFlag.AlignCenter, badge)
        return width


class FeedTab(QWidget):
    def __init__(
        self,
        bridge: EngineBridge,
        model: FeedModel,
        parent: QWidget | None = None,
        *,
        actions: EventActions | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.compose = ComposeBox(bridge, compact=True)
        self.list = QListView()
        self.list.setModel(model)
        self.delegate = FeedDelegate(self.list)
        self.list.setItemDelegate(self.delegate)
        if actions is not None:
            self.delegate.clicked.connect(actions.run)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setAlternatingRowColors(True)
        self.list.setSpacing(0)
        self.empty = QLabel(self.tr("Nothing yet. Posts and status changes show up here."))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.compose)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        model.rowsInserted.connect(self._update_empty)
        model.modelReset.connect(self._update_empty)
        self._update_empty()

    def _update_empty(self) -> None:
        self.empty.setVisible(self.model.rowCount() == 0)

    def select_item(self, item_id: str) -> bool:
        row = self.model.row_of(item_id)
        if row < 0:
            return False
        index = self.model.index(row, 0)
        self.list.setCurrentIndex(index)
        self.list.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True
