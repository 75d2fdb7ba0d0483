"""How one event looks in the Events tab: a card with the organiser's avatar, the title, when
(in local time and in words) and where, the seats and the faces of who is going, and its buttons.

Painted with `QPainter.drawText`, which never interprets markup, so titles and places appear
literally; long texts are elided, and the tooltip has them whole.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QHelpEvent, QMouseEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
)

from hallway.core.meetups import EventView
from hallway.ui.avatar import paint_avatar
from hallway.ui.event_card import (
    FACE,
    CardButton,
    alert_colour,
    button_at,
    button_height,
    card_buttons,
    elided,
    event_tooltip,
    more_faces,
    organiser_text,
    paint_buttons,
    paint_faces,
    state_text,
    when_text,
)
from hallway.ui.events_model import EVENT_ROLE
from hallway.ui.paint import scaled_font
from hallway.ui.text import plain_tooltip

Index = QModelIndex | QPersistentModelIndex
Clock = Callable[[], float]

AVATAR = 40
MARGIN = 5  # around the card, so cards stand apart
_PAD = 12
_GAP = 12
_LINE_GAP = 3
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


@dataclass(frozen=True, slots=True)
class _Fonts:
    title: QFont
    body: QFont
    small: QFont


def _fonts(base: QFont) -> _Fonts:
    return _Fonts(scaled_font(base, 1.15, bold=True), QFont(base), scaled_font(base, 0.92))


@dataclass(frozen=True, slots=True)
class _Rows:
    """Where each part of a card goes, from the card's rectangle alone."""

    card: QRect
    avatar: QRectF
    title: QRect
    when: QRect
    organiser: QRect
    note: QRect | None
    faces: QRect
    buttons: QRect


def _rows(rect: QRect, fonts: _Fonts, has_note: bool) -> _Rows:
    card = rect.adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)
    left = card.left() + _PAD + AVATAR + _GAP
    width = card.right() - _PAD - left
    y = card.top() + _PAD
    title_h = QFontMetrics(fonts.title).height()
    body_h = QFontMetrics(fonts.body).height()
    small_h = QFontMetrics(fonts.small).height()
    title = QRect(left, y, width, title_h)
    y += title_h + _LINE_GAP
    when = QRect(left, y, width, body_h)
    y += body_h + _LINE_GAP
    organiser = QRect(left, y, width, small_h)
    y += small_h + _LINE_GAP
    note = None
    if has_note:
        note = QRect(left, y, width, small_h)
        y += small_h + _LINE_GAP
    y += 4
    faces = QRect(left, y, width, FACE)
    y += FACE + 8
    buttons = QRect(left, y, width, button_height(fonts.body))
    avatar = QRectF(card.left() + _PAD, card.top() + _PAD, AVATAR, AVATAR)
    return _Rows(card, avatar, title, when, organiser, note, faces, buttons)


def card_height(font: QFont, has_note: bool) -> int:
    fonts = _fonts(font)
    rows = _rows(QRect(0, 0, 600, 10_000), fonts, has_note)
    return rows.buttons.bottom() + 1 + _PAD + MARGIN


class EventDelegate(QStyledItemDelegate):
    """Paints an `EventsModel` row (its `EVENT_ROLE`) as a card.

    Signals:
        clicked(str, str): a button of the card was clicked: the event id and the button's key
            ("going", "maybe", "no", "calendar", "edit", "cancel").
    """

    clicked = Signal(str, str)

    def __init__(self, view: QAbstractItemView, *, clock: Clock = time.time) -> None:
        super().__init__(view)
        self._clock = clock

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        view = index.data(EVENT_ROLE)
        has_note = isinstance(view, EventView) and bool(view.note)
        # Width 1: the list stretches each card to its viewport.
        return QSize(1, card_height(option.font, has_note))

    def buttons(self, option: QStyleOptionViewItem, view: EventView) -> list[CardButton]:
        fonts = _fonts(option.font)
        rows = _rows(option.rect, fonts, bool(view.note))
        return card_buttons(view, rows.buttons, fonts.body, self._clock(), full=True)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        view = index.data(EVENT_ROLE)
        if not isinstance(view, EventView):
            super().paint(painter, option, index)
            return
        painter.save()
        try:
            self._paint_card(painter, option, view)
        finally:
            painter.restore()

    def _paint_card(self, painter: QPainter, option: QStyleOptionViewItem, view: EventView) -> None:
        now = self._clock()
        palette: QPalette = option.palette
        fonts = _fonts(option.font)
        rows = _rows(option.rect, fonts, bool(view.note))
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        backdrop = palette.color(QPalette.ColorRole.Base)
        strong = palette.color(QPalette.ColorRole.Text)
        muted = QColor(strong)
        muted.setAlphaF(0.72)
        gone = view.cancelled or view.past(now)
        if gone:
            strong = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
            muted = strong

        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        border = QColor(palette.color(QPalette.ColorRole.Highlight) if selected else strong)
        if not selected:
            border.setAlphaF(0.2)
        painter.setPen(border)
        painter.setBrush(backdrop)
        painter.drawRoundedRect(QRectF(rows.card).adjusted(0.5, 0.5, -0.5, -0.5), 8, 8)

        paint_avatar(painter, rows.avatar, view.organiser, view.organiser_name, None,
                     faded=gone)  # fmt: skip

        state = state_text(view, now)
        title = rows.title
        if state:
            width = QFontMetrics(fonts.small).horizontalAdvance(state)
            colour = alert_colour(palette) if view.cancelled else muted
            elided(painter, fonts.small, title, state, colour, flags=_RIGHT)
            title = title.adjusted(0, 0, -(width + _GAP), 0)
        elided(painter, fonts.title, title, view.title, strong)
        elided(painter, fonts.body, rows.when, when_text(view, now), strong)
        elided(painter, fonts.small, rows.organiser, organiser_text(view), muted)
        if rows.note is not None:
            elided(painter, fonts.small, rows.note, view.note, muted)

        faces = rows.faces
        x = faces.left()
        if view.going:
            x += paint_faces(painter, x, faces.top(), view.going, backdrop=backdrop) + 6
            extra = more_faces(view.going)
            if extra:
                x += elided(painter, fonts.small, QRect(x, faces.top(), 60, FACE), extra, muted)
                x += 6
            x += 4
        seats = QRect(x, faces.top(), faces.right() - x, FACE)
        elided(painter, fonts.body, seats, view.seats_text(), strong)

        buttons = card_buttons(view, rows.buttons, fonts.body, now, full=True)
        paint_buttons(painter, buttons, fonts.body, palette)

    # -- interaction -----------------------------------------------------------------------

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
            view = index.data(EVENT_ROLE)
            if isinstance(view, EventView):
                button = button_at(self.buttons(option, view), event.position().toPoint())
                if button is not None:
                    if button.enabled:
                        self.clicked.emit(view.id, button.key)
                    return True
        return super().editorEvent(event, model, option, index)  # type: ignore[arg-type]

    def helpEvent(
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: Index,
    ) -> bool:
        item = index.data(EVENT_ROLE)
        if isinstance(item, EventView) and event.type() == QEvent.Type.ToolTip:
            text = plain_tooltip(event_tooltip(item, self._clock()))
            QToolTip.showText(event.globalPos(), text, view.viewport() if view else None)
            return True
        return super().helpEvent(event, view, option, index)
