"""How one person looks in the People list: star, avatar with presence badge, name and presence,
emoji and status, whether they are online and until when. A name that reads like another
member's shows the start of its fingerprint and a warning mark, "Bob (3f9a) ⚠", and its tooltip
names the look-alikes.

Everything is painted with `QPainter.drawText`, which never interprets markup, so peers' words
always appear literally. Each row lays itself out from its own width, never from its
neighbours', so nothing moves while other rows update; long texts are elided, never clipped.
Colours come from the view's palette, so the row reads in light and dark themes alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
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

from hallway.core.model import one_line
from hallway.core.names import LOOK_ALIKE_MARK, fingerprint_suffix
from hallway.engine.events import PeerView
from hallway.ui.avatar import paint_avatar
from hallway.ui.icons import OFFLINE
from hallway.ui.models import FOLLOWED_ROLE, LOOK_ALIKES_ROLE, PEER_ROLE
from hallway.ui.paint import (
    LOOK_ALIKE_COLOUR,
    paint_emoji_chip,
    paint_item_background,
    scaled_font,
)
from hallway.ui.text import (
    emoji_font,
    format_clock,
    format_last_seen,
    format_until,
    look_alike_note,
    plain_tooltip,
    presence_label,
    shown_name,
    tr,
)

Index = QModelIndex | QPersistentModelIndex
Clock = Callable[[], float]

AVATAR = 40
EMOJI_PX = 22
_PAD = 8
_STAR = 26
_GAP = 12
_LINE_GAP = 4
_KNOCK_HEIGHT = 24
STAR_COLOUR = QColor("#e8a317")  # gold: reads on light and dark backgrounds
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


@dataclass(frozen=True, slots=True)
class _Fonts:
    name: QFont
    body: QFont
    small: QFont
    emoji: QFont


def _fonts(base: QFont) -> _Fonts:
    name = scaled_font(base, 1.08, bold=True)
    return _Fonts(name, QFont(base), scaled_font(base, 0.9), emoji_font(base, EMOJI_PX))


@dataclass(frozen=True, slots=True)
class _Look:
    fonts: _Fonts
    palette: QPalette
    strong: QColor  # names and status texts
    muted: QColor  # presence, times, the star


def star_rect(row: QRect) -> QRect:
    """Where the follow star of a row drawn in `row` is (for clicks, tooltips and tests)."""
    return QRect(row.left() + 4, row.top(), _STAR, row.height())


def knock_rect(row: QRect, font: QFont) -> QRect:
    """Where the "Knock" button of a row drawn in `row` is (shown on hover and selection)."""
    width = QFontMetrics(font).horizontalAdvance(knock_label()) + 20
    top = row.top() + (row.height() - _KNOCK_HEIGHT) // 2
    return QRect(row.right() - _PAD - width, top, width, _KNOCK_HEIGHT)


def knock_label() -> str:
    return tr("Knock")


def fit_name_and_presence(
    name_font: QFont, body_font: QFont, peer: PeerView, room: int
) -> tuple[str, str]:
    """The name and " · Do not disturb" as they fit in `room` pixels side by side.

    The presence keeps its room and the name gives way (elided, never cut) when both do not
    fit; only in a very narrow row does the presence give way too. A look-alike's name is its
    label, "Bob (3f9a)", elided before the fingerprint: the digits are what tell two Bobs apart.
    """
    label = presence_label(peer.presence) if peer.online or peer.own else tr("Offline")
    tail = f"  ·  {label}"
    if peer.own:
        tail = " " + tr("(you)") + tail
    body = QFontMetrics(body_font)
    names = QFontMetrics(name_font)
    tail_width = min(body.horizontalAdvance(tail), room // 2)
    short = fingerprint_suffix(peer.short_fingerprint, peer.look_alike)
    short_width = names.horizontalAdvance(short)
    name = names.elidedText(peer.name, Qt.TextElideMode.ElideRight, room - tail_width - short_width)
    name += short
    left = room - names.horizontalAdvance(name)
    return name, body.elidedText(tail, Qt.TextElideMode.ElideRight, left)


class PeopleDelegate(QStyledItemDelegate):
    """Paints a `PeopleModel` row (from its `PEER_ROLE`) as a chat app's contact entry.

    Signals:
        star_clicked(str): the star of this peer id was clicked (follow or unfollow).
        knock_clicked(str): the "Knock" button of this peer id was clicked.
    """

    star_clicked = Signal(str)
    knock_clicked = Signal(str)

    def __init__(self, view: QAbstractItemView, *, clock: Clock = time.time) -> None:
        super().__init__(view)
        self._clock = clock

    def row_height(self, font: QFont) -> int:
        fonts = _fonts(font)
        name = QFontMetrics(fonts.name).height()
        second = max(QFontMetrics(fonts.body).height(), QFontMetrics(fonts.emoji).height())
        return max(AVATAR + 2 * _PAD + 4, name + _LINE_GAP + second + 2 * _PAD)

    def sizeHint(self, option: QStyleOptionViewItem, _index: Index) -> QSize:
        # Width 1: the list stretches each row to its viewport. A width taken from the viewport
        # here would be cached (uniform item sizes) and keep rows wide after the window narrows.
        return QSize(1, self.row_height(option.font))

    # -- painting --------------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        peer = index.data(PEER_ROLE)
        if not isinstance(peer, PeerView):
            super().paint(painter, option, index)
            return
        opt = paint_item_background(self, painter, option, index)
        painter.save()
        try:
            # The view's font, not the item's: the model's bold for our own row would make
            # every text of it bold here.
            fonts = _fonts(option.font)
            self._paint_peer(painter, opt, fonts, peer, followed=bool(index.data(FOLLOWED_ROLE)))
        finally:
            painter.restore()

    def _paint_peer(
        self,
        painter: QPainter,
        opt: QStyleOptionViewItem,
        fonts: _Fonts,
        peer: PeerView,
        *,
        followed: bool,
    ) -> None:
        rect: QRect = opt.rect
        palette: QPalette = opt.palette
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        present = peer.online or peer.own
        strong = palette.color(role)
        if not present and not selected:
            strong = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        muted = QColor(strong)
        muted.setAlphaF(0.72 if present or selected else 1.0)
        backdrop = palette.color(
            QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Base
        )
        look = _Look(fonts, palette, strong, muted)

        if not peer.own:
            self._paint_star(painter, star_rect(rect), followed=followed, look=look)
        top = rect.top() + (rect.height() - AVATAR) // 2
        avatar = QRectF(rect.left() + 4 + _STAR + 4, top, AVATAR, AVATAR)
        presence = peer.presence.value if peer.online or peer.own else OFFLINE
        paint_avatar(
            painter, avatar, peer.id, peer.name, presence, cutout=backdrop, faded=not present
        )

        left = int(avatar.right()) + _GAP
        right = rect.right() - _PAD - 4
        hovered = QStyle.StateFlag.State_MouseOver | QStyle.StateFlag.State_Selected
        if opt.state & hovered and not peer.own:
            button = knock_rect(rect, fonts.small)
            self._paint_knock(painter, button, look)
            right = button.left() - _GAP
        name_height = QFontMetrics(fonts.name).height()
        second_height = max(QFontMetrics(fonts.body).height(), QFontMetrics(fonts.emoji).height())
        words = peer.status.text
        emoji = peer.status.emoji
        two_lines = bool(words or emoji or peer.status.until is not None)
        block = name_height + (_LINE_GAP + second_height if two_lines else 0)
        y1 = rect.top() + (rect.height() - block) // 2
        y2 = y1 + name_height + _LINE_GAP

        now = self._clock()
        seen = format_last_seen(peer.last_seen, present, now)
        first = QRect(left, y1, right - left, name_height)
        self._paint_first_line(painter, look, first, peer=peer, seen=seen)
        if two_lines:
            until = tr("until {clock}").format(clock=format_clock(peer.status.until, now)) if (
                peer.status.until is not None
            ) else ""  # fmt: skip
            line = QRect(left, y2, right - left, second_height)
            self._paint_second_line(painter, look, line, emoji=emoji, words=words, until=until)

    @staticmethod
    def _paint_star(painter: QPainter, where: QRect, *, followed: bool, look: _Look) -> None:
        star = QFont(look.fonts.body)
        star.setPixelSize(18)
        painter.setFont(star)
        painter.setPen(STAR_COLOUR if followed else look.muted)
        painter.drawText(where, Qt.AlignmentFlag.AlignCenter, "★" if followed else "☆")

    @staticmethod
    def _paint_knock(painter: QPainter, where: QRect, look: _Look) -> None:
        palette = look.palette
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.setBrush(palette.color(QPalette.ColorRole.Button))
        painter.drawRoundedRect(QRectF(where).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        painter.setFont(look.fonts.small)
        painter.setPen(palette.color(QPalette.ColorRole.ButtonText))
        painter.drawText(where, Qt.AlignmentFlag.AlignCenter, knock_label())

    @staticmethod
    def _paint_first_line(
        painter: QPainter, look: _Look, line: QRect, *, peer: PeerView, seen: str
    ) -> None:
        """ "Ann Example · Busy" on the left, "online now" or "2h ago" on the right."""
        fonts, strong, muted = look.fonts, look.strong, look.muted
        small = QFontMetrics(fonts.small)
        seen_width = small.horizontalAdvance(seen)
        painter.setFont(fonts.small)
        painter.setPen(muted)
        painter.drawText(QRect(line.right() - seen_width, line.top(), seen_width, line.height()),
                         _RIGHT, seen)  # fmt: skip

        room = line.width() - seen_width - _GAP
        mark = f" {LOOK_ALIKE_MARK}" if peer.look_alike else ""
        mark_width = QFontMetrics(fonts.name).horizontalAdvance(mark)
        name, tail = fit_name_and_presence(fonts.name, fonts.body, peer, room - mark_width)
        name_width = QFontMetrics(fonts.name).horizontalAdvance(name)
        painter.setFont(fonts.name)
        painter.setPen(strong)
        painter.drawText(QRect(line.left(), line.top(), name_width, line.height()), _LEFT, name)
        if mark:
            painter.setPen(LOOK_ALIKE_COLOUR)
            painter.drawText(QRect(line.left() + name_width, line.top(), mark_width,
                                   line.height()), _LEFT, mark)  # fmt: skip
            name_width += mark_width
        painter.setFont(fonts.body)
        painter.setPen(muted)
        painter.drawText(QRect(line.left() + name_width, line.top(), room - name_width,
                               line.height()), _LEFT, tail)  # fmt: skip

    @staticmethod
    def _paint_second_line(
        painter: QPainter, look: _Look, line: QRect, *, emoji: str, words: str, until: str
    ) -> None:
        """The emoji on its chip, the status text, and "until 15:30" on the right."""
        fonts, strong, muted = look.fonts, look.strong, look.muted
        x = line.left()
        if emoji:
            chip = QRect(x, line.top() + (line.height() - EMOJI_PX - 6) // 2, EMOJI_PX + 6,
                         EMOJI_PX + 6)  # fmt: skip
            paint_emoji_chip(painter, chip, emoji, font=fonts.emoji, palette=look.palette,
                             colour=strong)  # fmt: skip
            x = chip.right() + 8
        until_width = 0
        if until:
            small = QFontMetrics(fonts.small)
            until_width = small.horizontalAdvance(until)
            painter.setFont(fonts.small)
            painter.setPen(muted)
            painter.drawText(QRect(line.right() - until_width, line.top(), until_width,
                                   line.height()), _RIGHT, until)  # fmt: skip
        if words:
            room = line.right() - x - (until_width + _GAP if until else 0)
            text = QFontMetrics(fonts.body).elidedText(
                one_line(words), Qt.TextElideMode.ElideRight, room
            )
            painter.setFont(fonts.body)
            painter.setPen(strong)
            painter.drawText(QRect(x, line.top(), room, line.height()), _LEFT, text)

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
            peer = index.data(PEER_ROLE)
            where = event.position().toPoint()
            if isinstance(peer, PeerView) and not peer.own:
                if star_rect(option.rect).contains(where):
                    self.star_clicked.emit(peer.id)
                    return True
                if knock_rect(option.rect, _fonts(option.font).small).contains(where):
                    self.knock_clicked.emit(peer.id)
                    return True
        return super().editorEvent(event, model, option, index)  # type: ignore[arg-type]

    def helpEvent(
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: Index,
    ) -> bool:
        peer = index.data(PEER_ROLE)
        if isinstance(peer, PeerView) and event.type() == QEvent.Type.ToolTip:
            followed = bool(index.data(FOLLOWED_ROLE))
            alikes = tuple(index.data(LOOK_ALIKES_ROLE) or ())
            text = self.tooltip(peer, followed, option.rect, event.pos(), look_alikes=alikes,
                                font=option.font)  # fmt: skip
            QToolTip.showText(event.globalPos(), text, view.viewport() if view else None)
            return True
        return super().helpEvent(event, view, option, index)

    def tooltip(
        self,
        peer: PeerView,
        followed: bool,
        rect: QRect,
        pos: QPoint,
        *,
        look_alikes: tuple[str, ...] = (),
        font: QFont | None = None,
    ) -> str:
        """The star's meaning over the star; the whole entry, untruncated, elsewhere. A look-alike
        also gets who it looks like (`look_alikes`: their labels) and its whole fingerprint."""
        if not peer.own and star_rect(rect).contains(pos):
            return tr("Stop following") if followed else tr("Follow: pop up their status changes")
        if not peer.own and font is not None and knock_rect(rect, _fonts(font).small).contains(pos):
            return plain_tooltip(tr("Knock on {name}'s door").format(name=peer.label))
        lines = [shown_name(peer.label, peer.look_alike)]
        words = " ".join(p for p in (peer.status.emoji, peer.status.text) if p)
        present = peer.online or peer.own
        label = presence_label(peer.presence) if present else tr("Offline")
        lines.append(f"{label} — {words}" if words else label)
        if peer.status.until is not None:
            lines.append(format_until(peer.status.until, self._clock()))
        if peer.look_alike:
            lines.append(look_alike_note())
            if look_alikes:
                lines.append(tr("Looks like: {names}").format(names=", ".join(look_alikes)))
            lines.append(tr("Fingerprint: {fingerprint}").format(fingerprint=peer.fingerprint))
        return plain_tooltip("\n".join(lines))
