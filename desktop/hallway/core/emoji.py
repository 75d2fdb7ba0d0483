"""Is this text one emoji? The answer every entry point shares: CLI, control socket, wire, UI.

The Unicode list of emoji (ZWJ sequences, flags, keycaps, skin tones) comes from the maintained
`emoji` package rather than a table of our own, so new Unicode versions need no change here.
"""

from __future__ import annotations

from hallway.core.model import EMOJI_MAX

__all__ = ["EMOJI_EXAMPLES", "is_emoji"]

#: For messages that say what an emoji is: a plain one, a skin tone, a ZWJ sequence, a flag.
EMOJI_EXAMPLES = "☕, 👍🏽, 👩‍💻 or 🇫🇷"


def is_emoji(text: str) -> bool:
    """True when `text` is exactly one emoji, without surrounding space."""
    if not text or len(text) > EMOJI_MAX:
        return False  # also keeps hostile lengths away from the lookup
    # Imported on first use: the emoji list takes ~80 ms to load, which `hallway status` and the
    # headless node's start-up need not pay.
    import emoji

    return emoji.is_emoji(text)
