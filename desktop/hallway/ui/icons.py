"""Presence icons: the bundled SVGs when present, else a drawn disc, so the app never breaks.

The shape differs per presence as well as the colour (a ring for away, a dot for busy, a bar for
do not disturb) so the icon reads without colour vision.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPen, QPixmap

from hallway import assets
from hallway.core.model import Presence

OFFLINE = "offline"

_COLOURS = {
    Presence.AVAILABLE.value: "#1e8e3e",
    Presence.AWAY.value: "#e37400",
    Presence.BUSY.value: "#d93025",
    Presence.DND.value: "#a50e0e",
    OFFLINE: "#80868b",
}


def presence_colour(presence: str) -> QColor:
    return QColor(_COLOURS.get(str(presence), _COLOURS[OFFLINE]))


def panel_is_dark(palette: QPalette | None = None) -> bool:
    """Whether the panel behind the tray is probably dark (judged from the window colour)."""
    if palette is None:
        palette = QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def presence_icon(presence: str, *, dark: bool | None = None) -> QIcon:
    """The tray/list icon for a presence value ("available", ..., or "offline")."""
    return _presence_icon(str(presence), panel_is_dark() if dark is None else dark)


@cache
def _presence_icon(presence: str, dark: bool) -> QIcon:
    try:
        path = assets.icon_path(assets.tray_icon_name(presence, dark))
    except assets.AssetError:
        path = None
    if path is not None:
        icon = QIcon(str(path))
        if not icon.isNull() and not icon.pixmap(16, 16).isNull():
            return icon
    return drawn_presence_icon(presence, dark)


def app_icon() -> QIcon:
    try:
        icon = QIcon(str(assets.icon_path("hallway")))
    except assets.AssetError:
        return drawn_presence_icon(Presence.AVAILABLE.value, dark=False)
    return icon if not icon.isNull() else drawn_presence_icon(Presence.AVAILABLE.value, False)


def drawn_presence_icon(presence: str, dark: bool) -> QIcon:
    """The fallback: a coloured disc with a per-presence mark, drawn at several sizes."""
    icon = QIcon()
    for size in (16, 22, 24, 32, 48, 64):
        icon.addPixmap(_disc(presence, size, dark))
    return icon


def _disc(presence: str, size: int, dark: bool) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = presence_colour(presence)
    outline = QColor("#ffffff") if dark else colour.darker(140)
    box = QRectF(0.5, 0.5, size - 1.0, size - 1.0)
    painter.setPen(QPen(outline, max(1.0, size / 16)))
    if presence in {Presence.AWAY.value, OFFLINE}:
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(colour, max(2.0, size / 6)))
        inset = size / 8
        painter.drawEllipse(box.adjusted(inset, inset, -inset, -inset))
    else:
        painter.setBrush(colour)
        painter.drawEllipse(box)
    white = QColor("#ffffff")
    centre = QPointF(size / 2, size / 2)
    if presence == Presence.BUSY.value:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(white)
        painter.drawEllipse(centre, size / 6, size / 6)
    elif presence == Presence.DND.value:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(white)
        painter.drawRect(QRectF(size * 0.22, size * 0.42, size * 0.56, size * 0.16))
    painter.end()
    return pixmap
