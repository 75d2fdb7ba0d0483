"""Avatars: a person's initials on a colour derived from their peer id, with a presence badge.

The colour comes from SHA-256 of the peer id, not Python's `hash()` (salted per process), so a
colleague has the same colour on every machine and after every restart. The badge's shape
is the tray's presence icon, whose shape differs per presence as well as its colour, so it reads
without colour vision.

The same drawing serves the People list, the tray menu's recent statuses and the pop-ups' icons.
"""

from __future__ import annotations

import hashlib
import math
from functools import lru_cache

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QImage, QPainter, QPixmap

from hallway.ui.icons import presence_icon

#: Mid-dark tones that keep white initials readable (WCAG contrast ≥ 4.5 with white) and stay
#: distinct from one another on light and dark backgrounds alike.
AVATAR_COLOURS = (
    "#c62828",  # red
    "#ad1457",  # pink
    "#6a1b9a",  # purple
    "#4527a0",  # deep purple
    "#283593",  # indigo
    "#1565c0",  # blue
    "#00695c",  # teal
    "#2e7d32",  # green
    "#8d4d00",  # amber, darkened
    "#bf360c",  # deep orange
    "#5d4037",  # brown
    "#455a64",  # blue grey
)

#: The badge is this fraction of the avatar's diameter.
BADGE_FRACTION = 0.34


def avatar_colour(peer_id: str) -> QColor:
    """The avatar colour for `peer_id`: the same on every machine."""
    digest = hashlib.sha256(peer_id.encode("utf-8")).digest()
    return QColor(AVATAR_COLOURS[int.from_bytes(digest[:4], "big") % len(AVATAR_COLOURS)])


def initials(name: str) -> str:
    """ "Ann Example" -> "AE", "ben" -> "B", "Eva Lindqvist-Montgomery" -> "EL", "" -> "?".

    The first letter of the first and last words; words that start with no letter or digit
    (an emoji, a bracket) are skipped, so "(Ann) 🌴" still gives "A".
    """
    words = [w for w in name.split() if w[0].isalnum()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


def paint_avatar(
    painter: QPainter,
    rect: QRectF,
    peer_id: str,
    name: str,
    presence: str | None,
    *,
    cutout: QColor | None = None,
    faded: bool = False,
) -> None:
    """Draw the avatar in `rect` (a square), with a badge for `presence` (None: no badge).

    `cutout` is the colour behind the avatar: the badge gets a ring of it so it stands apart
    from the disc (transparent when None, as for an icon). `faded` draws the disc paler, for
    people who are offline.
    """
    painter.save()
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        size = rect.width()
        colour = avatar_colour(peer_id)
        if faded:
            painter.setOpacity(0.55)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawEllipse(rect)
        font = QFont()
        font.setPixelSize(max(6, round(size * 0.36)))
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, initials(name))
        painter.setOpacity(1.0)
        if presence is not None:
            _paint_badge(painter, rect, presence, cutout)
    finally:
        painter.restore()


def _paint_badge(painter: QPainter, rect: QRectF, presence: str, cutout: QColor | None) -> None:
    diameter = rect.width() * BADGE_FRACTION
    badge = QRectF(rect.right() - diameter, rect.bottom() - diameter, diameter, diameter)
    ring = max(1.5, diameter * 0.18)
    around = badge.adjusted(-ring, -ring, ring, ring)
    painter.setPen(Qt.PenStyle.NoPen)
    if cutout is not None:
        painter.setBrush(cutout)
        painter.drawEllipse(around)
    else:
        # No known background (an icon): clear a ring so the badge stands apart from the disc.
        painter.save()
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
        painter.setBrush(QColor("#000000"))
        painter.drawEllipse(around)
        painter.restore()
    # The tray's own presence icons, so a presence looks the same everywhere. Their disc fills
    # 14 of their 16 units: scale so that the disc, not the canvas, is `diameter` wide.
    dark = cutout is not None and cutout.lightness() < 128
    canvas = badge.adjusted(*(d * diameter / 14 for d in (-1, -1, 1, 1)))
    ratio = painter.device().devicePixelRatioF()
    pixels = max(8, math.ceil(canvas.width() * ratio))
    pixmap = presence_icon(presence, dark=dark).pixmap(QSize(pixels, pixels))
    painter.drawPixmap(canvas, pixmap, QRectF(pixmap.rect()))


@lru_cache(maxsize=256)
def avatar_image(peer_id: str, name: str, presence: str | None, size: int) -> QImage:
    """The avatar as a transparent ARGB image of `size` pixels square."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    # Leave room for the badge's ring at the edge.
    paint_avatar(painter, QRectF(0.5, 0.5, size - 1.0, size - 1.0), peer_id, name, presence)
    painter.end()
    return image


def avatar_icon(peer_id: str, name: str, presence: str | None) -> QIcon:
    """The avatar at the sizes menus and pop-ups ask for."""
    icon = QIcon()
    for size in (16, 22, 24, 32, 48, 64, 96):
        icon.addPixmap(QPixmap.fromImage(avatar_image(peer_id, name, presence, size)))
    return icon
