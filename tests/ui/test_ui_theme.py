"""Light and dark: what `HALLWAY_THEME` asks for, and that forcing a theme changes the palette."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QPalette
from screenshot_helper import themed

from hallway.ui.main_window import Banner
from hallway.ui.theme import dark_palette, emoji_backdrop, is_dark, requested_theme


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
