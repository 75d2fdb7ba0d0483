"""Light or dark: follow the desktop's colour scheme, or force one with `HALLWAY_THEME`.

`HALLWAY_THEME=dark` (or `light`) forces Qt's Fusion style with a dark (or light) palette;
`system`, the default, keeps the platform's own look unless the desktop says it prefers dark
(`QStyleHints.colorScheme()`) and the platform theme did not give a dark palette itself, as
happens on a bare X11 session: then Fusion with the dark palette. It follows the desktop when
its scheme changes while the app runs.

Custom painting must take its colours from the palette (see `people_delegate`, `feed_tab`,
`main_window.Banner`), so both schemes read well.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

log = logging.getLogger(__name__)

THEME_ENV = "HALLWAY_THEME"
THEMES = ("system", "light", "dark")

_DARK = {
    QPalette.ColorRole.Window: "#2b2b2e",
    QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#1e1e21",
    QPalette.ColorRole.AlternateBase: "#262629",
    QPalette.ColorRole.ToolTipBase: "#3a3a3e",
    QPalette.ColorRole.ToolTipText: "#e6e6e6",
    QPalette.ColorRole.PlaceholderText: "#8e8e93",
    QPalette.ColorRole.Text: "#e6e6e6",
    QPalette.ColorRole.Button: "#37373b",
    QPalette.ColorRole.ButtonText: "#e6e6e6",
    QPalette.ColorRole.BrightText: "#ff6b6b",
    QPalette.ColorRole.Light: "#4a4a4f",
    QPalette.ColorRole.Midlight: "#3e3e43",
    QPalette.ColorRole.Mid: "#2f2f33",
    QPalette.ColorRole.Dark: "#18181a",
    QPalette.ColorRole.Shadow: "#000000",
    QPalette.ColorRole.Highlight: "#2d6cb5",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#6ab0ff",
    QPalette.ColorRole.LinkVisited: "#b794f6",
}
_DARK_DISABLED = {
    QPalette.ColorRole.WindowText: "#77777c",
    QPalette.ColorRole.Text: "#77777c",
    QPalette.ColorRole.ButtonText: "#77777c",
    QPalette.ColorRole.Highlight: "#45454a",
    QPalette.ColorRole.HighlightedText: "#b0b0b0",
}


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in _DARK.items():
        palette.setColor(role, QColor(colour))
    for role, colour in _DARK_DISABLED.items():
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(colour))
    return palette


def light_palette() -> QPalette:
    style = QStyleFactory.create("Fusion")
    palette = style.standardPalette()
    style.deleteLater()
    return palette


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def emoji_backdrop(palette: QPalette) -> QColor:
    """A quiet backdrop for an emoji: white emoji (🦷, 🍽) vanish on a white list otherwise."""
    chip = QColor(palette.color(QPalette.ColorRole.Text))
    # Stronger on light backgrounds: at 17 % a white tooth (🦷) on the chip was still hard to see.
    chip.setAlphaF(0.12 if is_dark(palette) else 0.30)
    return chip


def requested_theme(environ: Mapping[str, str] = os.environ) -> str:
    """The theme asked for with `HALLWAY_THEME` ("system" when unset or not understood)."""
    value = environ.get(THEME_ENV, "").strip().lower() or "system"
    if value not in THEMES:
        log.warning("%s=%r is not one of %s: following the system", THEME_ENV, value, THEMES)
        return "system"
    return value


def system_prefers_dark() -> bool:
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


# Each app's style name and palette before we first forced a theme (the platform's), to give
# back on the way to "system": a palette of our own would pin colours the desktop no longer sets.
_native: dict[int, tuple[str, QPalette]] = {}


def _force(app: QApplication, palette: QPalette) -> None:
    _native.setdefault(id(app), (app.style().name(), QPalette(app.palette())))
    app.setStyle("Fusion")
    app.setPalette(palette)


def _restore_native(app: QApplication) -> None:
    native = _native.pop(id(app), None)
    if native is not None:
        style, palette = native
        app.setStyle(style)
        app.setPalette(palette)  # as it was: unpinned when it came from the platform


def apply_theme(
    app: QApplication, theme: str = "system", *, prefers_dark: bool | None = None
) -> str:
    """Apply `theme` to `app`; returns what is shown: "light", "dark" or "system" (native).

    "system" gives back the platform's look if a theme was forced before, and keeps it unless the
    desktop prefers dark (`prefers_dark`, asked of Qt when None) and the platform's palette is
    light: then Fusion with the dark palette.
    """
    if theme == "system":
        _restore_native(app)
        dark = system_prefers_dark() if prefers_dark is None else prefers_dark
        if not dark or is_dark(QGuiApplication.palette()):
            return "system"
        theme = "dark"
    _force(app, dark_palette() if theme == "dark" else light_palette())
    return theme


class ThemeFollower(QObject):
    """Applies the requested theme now and again whenever the desktop's scheme changes."""

    def __init__(self, app: QApplication, theme: str | None = None) -> None:
        super().__init__(app)
        self._app = app
        self._theme = theme or requested_theme()
        self.shown = apply_theme(app, self._theme)
        if self._theme == "system":
            QGuiApplication.styleHints().colorSchemeChanged.connect(self._scheme_changed)

    @Slot(Qt.ColorScheme)
    def _scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        self.shown = apply_theme(self._app, "system", prefers_dark=scheme == Qt.ColorScheme.Dark)
