"""Painting shared by the People and Feed lists: the item's background, the emoji chip and the
look-alike mark's colour."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from hallway.ui.theme import emoji_backdrop

LOOK_ALIKE_COLOUR = QColor("#e8710a")  # orange, like a warning sign, on light and dark alike
_CHIP_RADIUS = 6


def scaled_font(base: QFont, factor: float, *, bold: bool = False) -> QFont:
    """`base` at `factor` times its size (never under 7 pt), bold if asked: the fonts of the
    painted rows, each a step from the list's own. A font sized in pixels stays as it is."""
    font = QFont(base)
    font.setBold(bold)
    if base.pointSizeF() > 0:
        font.setPointSizeF(max(7.0, base.pointSizeF() * factor))
    return font


def paint_item_background(
    delegate: QStyledItemDelegate,
    painter: QPainter,
    option: QStyleOptionViewItem,
    index: QModelIndex | QPersistentModelIndex,
) -> QStyleOptionViewItem:
    """The style's item background (selection, hover, focus) without its text, for a delegate
    that paints the content itself; returns the option it was drawn with."""
    opt = QStyleOptionViewItem(option)
    delegate.initStyleOption(opt, index)
    opt.text = ""
    widget = opt.widget
    style = widget.style() if widget is not None else QApplication.style()
    style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
    return opt


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
