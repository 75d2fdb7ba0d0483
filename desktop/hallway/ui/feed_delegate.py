"""Painting the Feed's items: name and time on top, the text wrapped below, urgent marked; a
post's "Question" or "Answered" badge, "edited", and its buttons (the thread's and the
acknowledgement's); a new event as a compact card with its answer buttons.

Everything is painted with `QPainter.drawText`, which never interprets markup, so peers' words
always appear literally. Each item shows the name it was posted under, with the start of the
author's fingerprint and a warning mark when that name reads like another member's.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QMouseEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from hallway.core.meetups import EventView
from hallway.core.names import LOOK_ALIKE_MARK, fingerprint_suffix
from hallway.engine.events import FeedItem
from hallway.ui.event_card import (
    CardButton,
    button_at,
    feed_buttons,
    feed_row_height,
    paint_buttons,
    paint_feed_event,
)
from hallway.ui.icons import presence_colour
from hallway.ui.models import FEED_EVENT_ROLE, ITEM_ROLE
from hallway.ui.paint import LOOK_ALIKE_COLOUR, paint_emoji_chip, paint_item_background
from hallway.ui.post_card import (
    badge_colour,
    badge_text,
    footer_height,
    on_badge_colour,
    paint_badge,
    post_buttons,
)
from hallway.ui.text import emoji_font, format_clock, presence_label, tr

Index = QModelIndex | QPersistentModelIndex

_PAD = 8
_STRIPE = 4
_GAP = 3
_FOOTER_GAP = 6
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
    """Draws one feed item: name and time on top, the text wrapped below, urgent marked, then a
    post's buttons. A new event is a compact card with its answer buttons.

    Signals:
        clicked(str, str): an event's button was clicked: the event id and "going", "maybe" or
            "no".
        post_clicked(str, str): a post's button was clicked: its id and `post_card.THREAD`,
            `ACK` or `ACKS`.
    """

    clicked = Signal(str, str)
    post_clicked = Signal(str, str)

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
            footer = _FOOTER_GAP + footer_height(body)
            return QSize(width, _PAD + head_height + _GAP + rect.height() + footer + _PAD)
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
        if (
            event.type() == QEvent.Type.MouseButtonRelease
            and isinstance(event, QMouseEvent)
            and event.button() == Qt.MouseButton.LeftButton
        ):
            view = index.data(FEED_EVENT_ROLE)
            item = index.data(ITEM_ROLE)
            font = self._fonts(option)[0]
            if isinstance(view, EventView):
                button = button_at(feed_buttons(view, option.rect, font, time.time()),
                                   event.position().toPoint())  # fmt: skip
                if button is not None:
                    if button.enabled:
                        self.clicked.emit(view.id, button.key)
                    return True
            elif isinstance(item, FeedItem) and item.type == "post":
                button = button_at(self.buttons(item, option.rect, font),
                                   event.position().toPoint())  # fmt: skip
                if button is not None:
                    self.post_clicked.emit(item.id, button.key)
                    return True
        return super().editorEvent(event, model, option, index)  # type: ignore[arg-type]

    @staticmethod
    def buttons(item: FeedItem, rect: QRect, font: QFont) -> list[CardButton]:
        """A post's buttons, along its row's bottom."""
        height = footer_height(font)
        left = rect.left() + _STRIPE + _PAD
        row = QRect(left, rect.bottom() - _PAD - height + 1, rect.right() - _PAD - left, height)
        return post_buttons(item, row, font)

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

        x = self._paint_marks(painter, small, QRect(left, top, 0, line), item, opt)

        when = format_clock(item.at, time.time())
        if item.edited:
            when = tr("edited · {when}").format(when=when)
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
            paint_buttons(painter, self.buttons(item, rect, body), body, palette)
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

    def _paint_marks(
        self,
        painter: QPainter,
        font: QFont,
        where: QRect,
        item: FeedItem,
        opt: QStyleOptionViewItem,
    ) -> int:
        """URGENT, then "Question" or "Answered", from `where`'s left; returns where they end."""
        x, top, line = where.left(), where.top(), where.height()
        if item.urgent:
            x += self._paint_badge(painter, font, QRect(x, top, 0, line)) + 6
        badge = badge_text(item)
        if badge:
            palette: QPalette = opt.palette
            colour = badge_colour(item, palette)
            filled = on_badge_colour(palette) if item.answer else None
            if filled is None and opt.state & QStyle.StateFlag.State_Selected:
                # The question's blue outline vanishes on the selection's blue.
                colour = palette.color(QPalette.ColorRole.HighlightedText)
            x += paint_badge(painter, font, QRect(x, top, 0, line), badge, colour,
                             filled=filled) + 6  # fmt: skip
        return x

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
