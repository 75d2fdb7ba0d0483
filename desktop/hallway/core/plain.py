"""The few pieces of the model a command-line client prints with, in a module that imports
nothing heavy: `hallway peers` must start in little more than Python's own start-up time, and
`core.model` (msgspec, and with it `decimal`, `uuid`, `typing_extensions`...) costs ~30 ms."""

from __future__ import annotations

import enum

NAME_MAX = 64


class Presence(enum.StrEnum):
    AVAILABLE = "available"
    AWAY = "away"
    BUSY = "busy"
    DND = "dnd"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Presence.AVAILABLE: "Available",
    Presence.AWAY: "Away",
    Presence.BUSY: "Busy",
    Presence.DND: "Do not disturb",
}


def display_fingerprint(peer_id: str) -> str:
    """The id in groups of four, easy to read out and compare."""
    return " ".join(peer_id[i : i + 4] for i in range(0, len(peer_id), 4))


# The joiners that emoji sequences ("👩‍💻") and several scripts need.
_JOINERS = frozenset("\u200c\u200d")
# Newlines too, where text may have several lines (posts).
_KEEP = _JOINERS | {"\n"}


def strip_controls(text: str) -> str:
    """Drop control and format characters (bidi overrides...) but newlines and emoji joiners."""
    if text.isprintable():
        return text.strip()
    return "".join(ch for ch in text if ch in _KEEP or ch.isprintable()).strip()


def one_line(text: str) -> str:
    """Text for one line: controls dropped, each run of whitespace one space, none around it.

    Names are one line, and so is a peer's text printed on one line: a newline (or U+2028, a
    vertical tab...) inside it would otherwise start a line that looks like our own output.
    """
    if not text.isprintable():
        text = "".join(
            " " if ch.isspace() else ch
            for ch in text
            if ch in _JOINERS or ch.isspace() or ch.isprintable()
        )
    return " ".join(text.split())
