"""Is this text one emoji? The answer every entry point shares: CLI, control socket, wire, UI.

The Unicode list of emoji (ZWJ sequences, flags, keycaps, skin tones) comes from the maintained
`emoji` package rather than a table of our own, so new Unicode versions need no change here.

Only the list's keys are kept. Importing the package builds its whole table (names, aliases,
versions: ~6 MB and ~80 ms), which a node would otherwise carry for good after the first status
it receives with an emoji. Its data file is read directly instead, into a set of ~0.5 MB; a
package that no longer ships that file is imported as before.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import msgspec

from hallway.core.model import EMOJI_MAX

__all__ = ["EMOJI_EXAMPLES", "is_emoji"]

#: For messages that say what an emoji is: a plain one, a skin tone, a ZWJ sequence, a flag.
EMOJI_EXAMPLES = "☕, 👍🏽, 👩‍💻 or 🇫🇷"

# emoji >= 2.13 keeps its list in this file: one object per emoji, keyed by the emoji itself.
_DATA_FILE = ("unicode_codes", "emoji.json")


class _Skipped(msgspec.Struct):
    """An entry's details (names, aliases, versions), which the decoder skips without building."""


def is_emoji(text: str) -> bool:
    """True when `text` is exactly one emoji, without surrounding space."""
    if not text or len(text) > EMOJI_MAX:
        return False  # also keeps hostile lengths away from the lookup
    return text in _emoji_set()


@functools.cache
def _emoji_set() -> frozenset[str]:
    # Built on first use: `hallway status` and the headless node's start-up need not pay for it.
    return _from_data_file() or _from_package()


def _from_data_file() -> frozenset[str] | None:
    # find_spec locates the package without running it (running it builds the whole table).
    spec = importlib.util.find_spec("emoji")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        try:
            data = Path(folder).joinpath(*_DATA_FILE).read_bytes()
            entries = msgspec.json.decode(data, type=dict[str, _Skipped])
        except (OSError, msgspec.DecodeError):
            continue  # moved, or a layout we do not know: the package's own API still works
        if entries:
            return frozenset(entries)
    return None


def _from_package() -> frozenset[str]:
    import emoji

    return frozenset(emoji.EMOJI_DATA)
