"""Turning times, presences and peers' words into text for people, translatably and safely.

Peers' words (names, statuses, posts) are always shown as plain text. Labels get
`Qt.TextFormat.PlainText`; tooltips, which Qt renders as rich text whenever a string merely looks
like HTML, get `plain_tooltip`, which escapes the text inside an explicit rich-text wrapper so it
always shows literally.
"""

from __future__ import annotations

import html
import time
from datetime import datetime

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel

from hallway.core.durations import format_remaining
from hallway.core.model import Presence
from hallway.core.names import LOOK_ALIKE_MARK

__all__ = [
    "LOOK_ALIKE_MARK",
    "emoji_font",
    "format_clock",
    "format_last_seen",
    "format_until",
    "look_alike_note",
    "plain_label",
    "plain_tooltip",
    "presence_label",
    "shown_name",
    "status_line",
    "tr",
]


def tr(text: str, disambiguation: str | None = None, n: int = -1) -> str:
    """Translate in the shared "Hallway" context (for module-level helpers without a QObject)."""
    return QCoreApplication.translate("Hallway", text, disambiguation, n)


def presence_label(presence: Presence) -> str:
    labels = {
        Presence.AVAILABLE: tr("Available"),
        Presence.AWAY: tr("Away"),
        Presence.BUSY: tr("Busy"),
        Presence.DND: tr("Do not disturb"),
    }
    return labels[presence]


def plain_tooltip(text: str) -> str:
    """A tooltip that shows `text` literally even when it contains markup."""
    return "<qt>" + html.escape(text).replace("\n", "<br/>") + "</qt>"


def plain_label(text: str = "", parent: QLabel | None = None) -> QLabel:
    """A label for peer-provided text: plain text, selectable, never a link."""
    from PySide6.QtCore import Qt

    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setText(text)
    return label


def status_line(presence: Presence, text: str, emoji: str) -> str:
    """ "Busy — 📅 In a meeting", or just "Busy"."""
    words = " ".join(part for part in (emoji, text) if part)
    if not words:
        return presence_label(presence)
    return tr("{presence} — {words}").format(presence=presence_label(presence), words=words)


def format_clock(ts: float, now: float | None = None) -> str:
    """ "14:05" today, "Mon 14:05" within a week, else "26 Nov 14:05" (local time)."""
    now = time.time() if now is None else now
    moment = datetime.fromtimestamp(ts).astimezone()
    today = datetime.fromtimestamp(now).astimezone()
    if moment.date() == today.date():
        return moment.strftime("%H:%M")
    if abs((today.date() - moment.date()).days) < 7:
        return moment.strftime("%a %H:%M")
    return moment.strftime("%d %b %H:%M")


def format_until(until: float | None, now: float | None = None) -> str:
    """ "until 15:30 (45m)", or "" when the status does not clear by itself."""
    if until is None:
        return ""
    now = time.time() if now is None else now
    if until <= now:
        return tr("ending")
    return tr("until {clock} ({left})").format(
        clock=format_clock(until, now), left=format_remaining(until - now)
    )


def format_last_seen(last_seen: float | None, online: bool, now: float | None = None) -> str:
    if online:
        return tr("online now")
    if last_seen is None:
        return tr("never")
    now = time.time() if now is None else now
    ago = now - last_seen
    if ago < 60:
        return tr("just now")
    if ago < 86400:
        return tr("{ago} ago").format(ago=format_remaining(ago))
    return format_clock(last_seen, now)


#: Colour emoji fonts, tried before the text font for emoji so they never fall back to a small
#: monochrome glyph (Noto is what packaging/bootstrap installs on Linux).
EMOJI_FAMILIES = ("Noto Color Emoji", "Apple Color Emoji", "Segoe UI Emoji", "Twemoji")


def emoji_font(base: QFont, pixels: int) -> QFont:
    """`base` at `pixels` pixels, with the colour emoji fonts first."""
    font = QFont(base)
    font.setFamilies([*EMOJI_FAMILIES, *base.families()])
    font.setPixelSize(pixels)
    return font


def look_alike_note() -> str:
    return tr("Looks like another member's name: tell them apart by the fingerprint.")


def shown_name(label: str, look_alike: bool) -> str:
    """ "Bob (3f9a) ⚠" for a name that reads like another member's (`label` from the engine's
    events and views); the label alone otherwise."""
    return f"{label} {LOOK_ALIKE_MARK}" if look_alike else label
