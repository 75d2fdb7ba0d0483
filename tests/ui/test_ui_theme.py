"""Light and dark: what `HALLWAY_THEME` asks for, and that forcing a theme changes the palette."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from screenshot_helper import themed

from hallway.ui.main_window import Banner
from hallway.ui.theme import (
    ThemeFollower,
    apply_theme,
    dark_palette,
    emoji_backdrop,
    is_dark,
    requested_theme,
)


@pytest.mark.parametrize(
    ("value", "theme"),
    [("", "system"), ("dark", "dark"), (" Light ", "light"), ("system", "system"), ("x", "system")],
)
def test_the_theme_asked_for(value, theme):
    assert requested_theme({"HALLWAY_THEME": value}) == theme
    assert requested_theme({}) == "system"


def test_forcing_dark_gives_fusion_with_a_dark_palette_and_readable_text(qapp):
    with themed(qapp, "dark") as shown:
        assert shown == "dark"
        assert qapp.style().name().lower() == "fusion"
        palette = qapp.palette()
        assert is_dark(palette)
        text = palette.color(QPalette.ColorRole.Text).lightness()
        base = palette.color(QPalette.ColorRole.Base).lightness()
        assert text - base > 150
    assert shown == "dark"


def test_banners_follow_the_palette(qtbot, qapp):
    banner = Banner("warning", closable=True)
    qtbot.addWidget(banner)
    light_sheet = banner.styleSheet()
    with themed(qapp, "dark"):
        qtbot.waitUntil(lambda: banner.styleSheet() != light_sheet)
        assert "#3b2d12" in banner.styleSheet()  # the dark background
    with themed(qapp, "light"):
        qtbot.waitUntil(lambda: "#fff4e5" in banner.styleSheet())


def test_the_emoji_backdrop_is_stronger_on_light_backgrounds(qapp):
    with themed(qapp, "light"):
        light = emoji_backdrop(qapp.palette())
    assert emoji_backdrop(dark_palette()).alphaF() < light.alphaF()


@pytest.fixture
def desktop_look(qapp):
    """A desktop whose theme gives its own style and (light) palette; put back afterwards."""
    style, palette = qapp.style().name(), QPalette(qapp.palette())
    desktop = QPalette(palette)
    desktop.setColor(QPalette.ColorRole.Window, QColor("#fdf6e3"))  # not Fusion's grey
    desktop.setColor(QPalette.ColorRole.Highlight, QColor("#b58900"))
    qapp.setStyle("Windows")
    qapp.setPalette(desktop)
    yield desktop
    apply_theme(qapp, "system", prefers_dark=False)  # forget what this test forced
    qapp.setStyle(style)
    qapp.setPalette(palette)


def test_back_to_light_gives_back_the_desktops_own_style_and_palette(qapp, desktop_look):
    follower = ThemeFollower(qapp, "system")
    try:
        follower._scheme_changed(Qt.ColorScheme.Dark)
        assert follower.shown == "dark"
        assert qapp.style().name().lower() == "fusion"
        assert is_dark(qapp.palette())
        follower._scheme_changed(Qt.ColorScheme.Light)
        assert follower.shown == "system"
        assert qapp.style().name().lower() == "windows"
        for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Highlight):
            assert qapp.palette().color(role) == desktop_look.color(role)
    finally:
        follower.deleteLater()


def test_going_dark_keeps_a_desktop_that_is_dark_already(qapp, desktop_look):
    dark_desktop = dark_palette()
    dark_desktop.setColor(QPalette.ColorRole.Highlight, QColor("#b58900"))
    qapp.setPalette(dark_desktop)
    follower = ThemeFollower(qapp, "system")
    try:
        follower._scheme_changed(Qt.ColorScheme.Dark)
        assert follower.shown == "system"
        assert qapp.style().name().lower() == "windows"  # not Fusion over the desktop's look
        assert qapp.palette().color(QPalette.ColorRole.Highlight) == QColor("#b58900")
    finally:
        follower.deleteLater()


def test_a_forced_theme_is_undone_by_the_next_system_one(qapp, desktop_look):
    assert apply_theme(qapp, "dark") == "dark"
    assert apply_theme(qapp, "light") == "light"  # still remembers the desktop's look
    assert apply_theme(qapp, "system", prefers_dark=False) == "system"
    assert qapp.style().name().lower() == "windows"
    assert qapp.palette().color(QPalette.ColorRole.Window) == QColor("#fdf6e3")
