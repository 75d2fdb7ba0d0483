"""Save widget grabs as PNG artifacts (artifacts/screenshots/ at the checkout's root), in the
light and the dark theme."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QWidget

from hallway.ui.theme import apply_theme

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
THEMES = ("light", "dark")


def save_screenshot(widget: QWidget, name: str) -> Path:
    QCoreApplication.processEvents()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    assert widget.grab().save(str(path)), f"could not save {path}"
    return path


@contextmanager
def themed(app: QApplication, theme: str) -> Iterator[str]:
    """Fusion with the light or dark palette for the duration; the app's look comes back after."""
    style, palette = app.style().name(), QPalette(app.palette())
    try:
        yield apply_theme(app, theme)
    finally:
        apply_theme(app, "system", prefers_dark=False)  # forgets the look it saved when forcing
        app.setStyle(style)
        app.setPalette(palette)
