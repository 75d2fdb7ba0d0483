"""Where to put a popup next to the tray icon, kept on screen whatever edge the panel is on."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize

_GAP = 4


def popup_position(size: QSize, anchor: QRect, screen: QRect) -> QPoint:
    """The top-left corner for a popup of `size` beside `anchor` (the tray icon or the cursor).

    It opens away from the nearest screen edge: below an icon in a top panel, above one in a
    bottom panel, and is clamped to stay inside `screen` (the available geometry).
    """
    space_below = screen.bottom() - anchor.bottom()
    space_above = anchor.top() - screen.top()
    if space_below >= size.height() + _GAP or space_below >= space_above:
        y = anchor.bottom() + _GAP
    else:
        y = anchor.top() - size.height() - _GAP
    x = anchor.center().x() - size.width() // 2
    x = max(screen.left(), min(x, screen.right() - size.width() + 1))
    y = max(screen.top(), min(y, screen.bottom() - size.height() + 1))
    return QPoint(x, y)
