"""A post's marks and buttons, shared by the Feed's rows and the thread view: the "Question" or
"Answered" badge, the thread's "3 replies · latest Ben", and the acknowledgement's "Acknowledge",
"Acknowledged" or the author's "12/15 acknowledged".

The Feed paints its buttons (hit-tested like the event cards', from one geometry function); the
thread view makes the same labels into real buttons. Peers' words (the latest author's name) are
only ever drawn or set as plain text.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette

from hallway.engine.events import FeedItem
from hallway.ui.event_card import CardButton, button_height
from hallway.ui.text import tr
from hallway.ui.theme import is_dark

THREAD, ACK, ACKS = "thread", "ack", "acks"
_BUTTON_PAD = 12
_BUTTON_GAP = 6


def answer_colour(palette: QPalette) -> QColor:
    """Green that reads on the light and the dark window alike (the answered marks)."""
    return QColor("#81c995" if is_dark(palette) else "#137333")


def question_colour(palette: QPalette) -> QColor:
    return QColor("#8ab4f8" if is_dark(palette) else "#1a56c4")


def on_badge_colour(palette: QPalette) -> QColor:
    """Text on a filled badge: the badge colours are light on a dark window."""
    return QColor("#202124" if is_dark(palette) else "#ffffff")


def thread_label(item: FeedItem) -> str:
    """ "Reply", or "3 replies · latest Ben"."""
    if item.replies == 0:
        return tr("Reply")
    if item.replies == 1:
        return tr("1 reply · {name}").format(name=item.last_reply_name)
    return tr("{count} replies · latest {name}").format(
        count=item.replies, name=item.last_reply_name
    )


def ack_label(item: FeedItem) -> str:
    """What the acknowledgement button says ("" when the post does not ask for one)."""
    if not item.ack:
        return ""
    if item.own:
        if item.acks is None:
            return tr("Acknowledgements")
        return tr("{n}/{of} acknowledged").format(n=item.acks[0], of=item.acks[1])
    return tr("✓ Acknowledged") if item.acked else tr("Acknowledge")


def ack_tooltip(item: FeedItem) -> str:
    if item.own:
        return tr("Who acknowledged this post, and who has not yet")
    if item.acked:
        return tr("You acknowledged this post")
    return tr("Tell the author you read this")


def badge_text(item: FeedItem) -> str:
    if not item.question:
        return ""
    return tr("Answered") if item.answer else tr("Question")


def badge_colour(item: FeedItem, palette: QPalette) -> QColor:
    return answer_colour(palette) if item.answer else question_colour(palette)


def paint_badge(
    painter: QPainter,
    font: QFont,
    where: QRect,
    text: str,
    colour: QColor,
    *,
    filled: QColor | None = None,
) -> int:
    """A rounded badge at `where`'s left (its height); returns its width. `filled`: text of
    that colour on `colour`; else `colour` text in a `colour` outline."""
    width = QFontMetrics(font).horizontalAdvance(text) + 10
    rect = QRect(where.left(), where.top(), width, where.height())
    painter.save()
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(font)
        if filled is not None:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
        else:
            painter.setPen(colour)
            painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5), 3, 3)
        painter.setPen(filled or colour)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    finally:
        painter.restore()
    return width


def footer_height(font: QFont) -> int:
    return button_height(font)


def post_buttons(item: FeedItem, row: QRect, font: QFont) -> list[CardButton]:
    """The thread's button, then the acknowledgement's, left to right in `row`."""
    metrics = QFontMetrics(font)
    height = button_height(font)
    top = row.top() + (row.height() - height) // 2
    buttons = []
    x = row.left()
    labels = [(THREAD, thread_label(item), False)]
    if item.ack:
        labels.append((ACKS if item.own else ACK, ack_label(item), item.acked and not item.own))
    for key, label, chosen in labels:
        room = row.right() - x
        width = metrics.horizontalAdvance(label) + 2 * _BUTTON_PAD
        shown = label
        if width > room:  # elided only when it does not fit: elidedText rounds against us
            if room < 3 * _BUTTON_PAD:
                break
            width = room
            shown = metrics.elidedText(label, Qt.TextElideMode.ElideRight, room - 2 * _BUTTON_PAD)
        buttons.append(CardButton(key, shown, QRect(x, top, width, height), chosen, True))
        x += width + _BUTTON_GAP
    return buttons
