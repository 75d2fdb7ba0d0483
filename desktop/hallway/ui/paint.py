"""Painting shared by the People and Feed lists: the emoji chip and the look-alike mark's colour."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette

from hallway.ui.theme import emoji_backdrop

LOOK_ALIKE_COLOUR = QColor("#e8710a")  # orange, like a warning sign, on light and dark alike
_CHIP_RADIUS = 6


def paint_emoji_chip(
    painter: QPainter, chip: QRect, emoji: str, *, font: QFont, palette: QPalette, colour: QColor
) -> None:
    """`emoji` centred on a quiet rounded chip filling `chip`: white emoji (🍽, 🦷) vanish on a
    light row otherwise. Leaves the painter's pen, brush and font as they were."""
    painter.save()
    try:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(emoji_backdrop(palette))
        painter.drawRoundedRect(QRectF(chip), _CHIP_RADIUS, _CHIP_RADIUS)
        painter.setFont(font)
        painter.setPen(colour)
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, emoji)
    finally:
        painter.restore()
