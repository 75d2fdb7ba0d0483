"""Painting an event: its buttons (Going, Maybe, Not going, and the organiser's), the faces of
who is going, and the compact row the Feed shows. Shared by the Events tab and the Feed.

Buttons are painted, not widgets, like the People list's star: a list of hundreds of events keeps
no widgets per row. Their geometry comes from one function (`card_buttons`) for painting and for
clicks alike. Colours come from the palette, so both themes read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette

from hallway.core.meetups import Answer, Attendee, EventView, describe_when
from hallway.ui.avatar import paint_avatar
from hallway.ui.text import tr
from hallway.ui.theme import is_dark

GOING, MAYBE, NO = Answer.GOING.value, Answer.MAYBE.value, Answer.NO.value
CALENDAR, EDIT, CANCEL = "calendar", "edit", "cancel"
RSVP_KEYS = (GOING, MAYBE, NO)

FACE = 24
FACES_SHOWN = 8
_FACE_STEP = FACE + 3  # side by side: overlapping discs hid their initials
_BUTTON_PAD = 12
_BUTTON_GAP = 6
_RADIUS = 4
CANCELLED_COLOUR = QColor("#d93025")  # the stripe; text takes `alert_colour`
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def alert_colour(palette: QPalette) -> QColor:
    """Red text that keeps its contrast (≥ 4.5) on the light and the dark window alike."""
    return QColor("#ff8a80" if is_dark(palette) else "#c5221f")


def button_label(key: str) -> str:
    labels = {
        GOING: tr("Going"),
        MAYBE: tr("Maybe"),
        NO: tr("Not going"),
        CALENDAR: tr("Add to calendar"),
        EDIT: tr("Edit…"),
        CANCEL: tr("Cancel event"),
    }
    return labels[key]


def answerable(view: EventView, now: float) -> bool:
    """RSVPs change until the start, and never on a cancelled event (the node refuses them)."""
    return not view.cancelled and now < view.start


def when_text(view: EventView, now: float) -> str:
    """ "tomorrow 15:00, 45 min · Room 2", in local time."""
    when = describe_when(view.start, view.duration, datetime.fromtimestamp(now).astimezone())
    return f"{when} · {view.where}" if view.where else when


def state_text(view: EventView, now: float) -> str:
    """ "Cancelled", "Ended", "Now" or "" for an event still to come."""
    if view.cancelled:
        return tr("Cancelled")
    if view.past(now):
        return tr("Ended")
    if now >= view.start:
        return tr("Now")
    return ""


@dataclass(frozen=True, slots=True)
class CardButton:
    key: str
    label: str
    rect: QRect
    chosen: bool
    enabled: bool


def button_height(font: QFont) -> int:
    return QFontMetrics(font).height() + 10


def card_buttons(
    view: EventView, row: QRect, font: QFont, now: float, *, full: bool
) -> list[CardButton]:
    """The buttons of `view` laid out in `row` (their height is `button_height`): the answers on
    the left; with `full`, "Add to calendar" and the organiser's Edit and Cancel on the right."""
    metrics = QFontMetrics(font)
    height = button_height(font)
    top = row.top() + (row.height() - height) // 2
    buttons = []
    x = row.left()
    can_answer = answerable(view, now)
    for key in RSVP_KEYS:
        label = button_label(key)
        width = metrics.horizontalAdvance(label) + 2 * _BUTTON_PAD
        chosen = view.mine is not None and view.mine.value == key
        buttons.append(CardButton(key, label, QRect(x, top, width, height), chosen, can_answer))
        x += width + _BUTTON_GAP
    if not full:
        return buttons
    right: list[tuple[str, bool]] = [(CALENDAR, True)]
    if view.own and not view.cancelled:
        live = not view.past(now)
        right += [(EDIT, live), (CANCEL, live)]
    end = row.right()
    placed = []
    for key, enabled in reversed(right):
        label = button_label(key)
        width = metrics.horizontalAdvance(label) + 2 * _BUTTON_PAD
        if end - width < x + _BUTTON_GAP:  # too narrow: the menu still has it
            break
        placed.append(CardButton(key, label, QRect(end - width + 1, top, width, height), False,
                                 enabled))  # fmt: skip
        end -= width + _BUTTON_GAP
    return buttons + placed[::-1]


def button_at(buttons: list[CardButton], pos: QPoint) -> CardButton | None:
    return next((b for b in buttons if b.rect.contains(pos)), None)


def paint_buttons(
    painter: QPainter, buttons: list[CardButton], font: QFont, palette: QPalette
) -> None:
    painter.save()
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(font)
        text = palette.color(QPalette.ColorRole.Text)
        for button in buttons:
            frame = QRectF(button.rect).adjusted(0.5, 0.5, -0.5, -0.5)
            if button.chosen:
                fill = QColor(palette.color(QPalette.ColorRole.Highlight))
                fill.setAlphaF(1.0 if button.enabled else 0.5)
                painter.setPen(fill)
                painter.setBrush(fill)
                fore = palette.color(QPalette.ColorRole.HighlightedText)
            else:
                border = QColor(text)
                border.setAlphaF(0.38 if button.enabled else 0.18)
                painter.setPen(border)
                painter.setBrush(palette.color(QPalette.ColorRole.Button))
                fore = palette.color(_group(button.enabled), QPalette.ColorRole.ButtonText)
            painter.drawRoundedRect(frame, _RADIUS, _RADIUS)
            painter.setPen(fore)
            painter.drawText(button.rect, Qt.AlignmentFlag.AlignCenter, button.label)
    finally:
        painter.restore()


def _group(enabled: bool) -> QPalette.ColorGroup:
    return QPalette.ColorGroup.Normal if enabled else QPalette.ColorGroup.Disabled


def paint_faces(
    painter: QPainter, x: int, y: int, going: tuple[Attendee, ...], *, backdrop: QColor
) -> int:
    """The avatars of who is going (the first `FACES_SHOWN`); returns the width."""
    shown = going[:FACES_SHOWN]
    ring = 2
    for index, person in enumerate(shown):
        left = x + index * _FACE_STEP
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(backdrop)  # a ring of the card's colour parts overlapping faces
        painter.drawEllipse(QRectF(left - ring, y - ring, FACE + 2 * ring, FACE + 2 * ring))
        painter.restore()
        paint_avatar(painter, QRectF(left, y, FACE, FACE), person.peer, person.name, None)
    return (len(shown) - 1) * _FACE_STEP + FACE if shown else 0


def more_faces(going: tuple[Attendee, ...]) -> str:
    extra = len(going) - FACES_SHOWN
    return tr("+{count}").format(count=extra) if extra > 0 else ""


def organiser_text(view: EventView) -> str:
    if view.own:
        return tr("Organised by you")
    return tr("Organised by {name}").format(name=view.organiser_name)


def event_tooltip(view: EventView, now: float | None = None) -> str:
    """Everything about the event as plain text (the card elides long texts)."""
    now = time.time() if now is None else now
    lines = [view.title, when_text(view, now), organiser_text(view), view.seats_text()]
    state = state_text(view, now)
    if state:
        lines.insert(1, state)
    if view.going:
        lines.append(tr("Going: {names}").format(names=", ".join(p.name for p in view.going)))
    if view.waitlist:
        names = ", ".join(p.name for p in view.waitlist)
        lines.append(tr("Waiting: {names}").format(names=names))
    if view.maybe:
        lines.append(tr("Maybe: {names}").format(names=", ".join(p.name for p in view.maybe)))
    if view.note:
        lines += ["", view.note]
    return "\n".join(lines)


def elided(
    painter: QPainter,
    font: QFont,
    where: QRect,
    text: str,
    colour: QColor,
    *,
    flags: Qt.AlignmentFlag = _LEFT,
) -> int:
    """`text` on one line elided to `where`; returns the width drawn."""
    metrics = QFontMetrics(font)
    line = " ".join(text.split())
    shown = metrics.elidedText(line, Qt.TextElideMode.ElideRight, max(0, where.width()))
    painter.setFont(font)
    painter.setPen(colour)
    painter.drawText(where, flags, shown)
    return metrics.horizontalAdvance(shown)


# -- the Feed's compact row ------------------------------------------------------------------

_ROW_PAD = 8
_STRIPE = 4


@dataclass(frozen=True, slots=True)
class FeedRow:
    head: QRect
    body: QRect
    buttons: QRect


def feed_row(rect: QRect, font: QFont) -> FeedRow:
    head_font = QFont(font)
    head_font.setBold(True)
    head_h = QFontMetrics(head_font).height()
    body_h = QFontMetrics(font).height()
    left = rect.left() + _STRIPE + _ROW_PAD
    width = rect.right() - _ROW_PAD - left
    top = rect.top() + _ROW_PAD
    head = QRect(left, top, width, head_h)
    body = QRect(left, head.bottom() + 1 + 3, width, body_h)
    buttons = QRect(left, body.bottom() + 1 + 6, width, button_height(font))
    return FeedRow(head, body, buttons)


def feed_row_height(font: QFont) -> int:
    row = feed_row(QRect(0, 0, 600, 1000), font)
    return row.buttons.bottom() + 1 + _ROW_PAD


def feed_buttons(view: EventView, rect: QRect, font: QFont, now: float) -> list[CardButton]:
    return card_buttons(view, feed_row(rect, font).buttons, font, now, full=False)


def paint_feed_event(
    painter: QPainter,
    rect: QRect,
    font: QFont,
    palette: QPalette,
    *,
    view: EventView,
    when: str,
    selected: bool,
    now: float,
) -> None:
    """ "Ann Example · new event" and `when` (the feed's time) on top, the event in one line
    ("Design review — tomorrow 15:00, 45 min · Room 2 · 3 going"), then the answer buttons."""
    row = feed_row(rect, font)
    role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
    strong = palette.color(role)
    faded = palette.color(QPalette.ColorGroup.Normal if selected else QPalette.ColorGroup.Disabled,
                          role)  # fmt: skip
    head = QFont(font)
    head.setBold(True)
    small = QFont(font)
    if font.pointSizeF() > 0:
        small.setPointSizeF(max(6.0, font.pointSizeF() * 0.9))
    stripe = CANCELLED_COLOUR if view.cancelled else palette.color(QPalette.ColorRole.Highlight)
    painter.fillRect(QRect(rect.left(), rect.top() + 2, _STRIPE, rect.height() - 4), stripe)

    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    when_width = elided(painter, small, row.head, when, faded, flags=right)
    room = row.head.adjusted(0, 0, -(when_width + 8), 0)
    name_room = QRect(room.left(), room.top(), room.width() // 2, room.height())
    x = room.left() + elided(painter, head, name_room, view.organiser_name, strong) + 6
    what = tr("cancelled an event") if view.cancelled else tr("new event")
    muted = QColor(strong)
    muted.setAlphaF(0.72)  # "new event" must read; the disabled colour is for the time only
    elided(painter, font, QRect(x, room.top(), room.right() - x, room.height()), what, muted)

    title_width = elided(painter, head, QRect(row.body.left(), row.body.top(),
                                              row.body.width() // 2, row.body.height()),
                         view.title, strong)  # fmt: skip
    x = row.body.left() + title_width + QFontMetrics(font).horizontalAdvance(" ")
    rest = f"— {when_text(view, now)} · {view.seats_text()}"
    elided(painter, font, QRect(x, row.body.top(), row.body.right() - x, row.body.height()),
           rest, strong)  # fmt: skip

    buttons = card_buttons(view, row.buttons, font, now, full=False)
    paint_buttons(painter, buttons, font, palette)
    state = state_text(view, now)
    if state and buttons:
        x = buttons[-1].rect.right() + 12
        colour = alert_colour(palette) if view.cancelled else faded
        elided(painter, small, QRect(x, row.buttons.top(), row.buttons.right() - x,
                                     row.buttons.height()), state, colour)  # fmt: skip
