"""One emoji or not (hallway/core/emoji.py), as the CLI, control socket, wire and UI check it."""

from __future__ import annotations

import subprocess
import sys

import emoji as emoji_data
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallway.core.emoji import EMOJI_EXAMPLES, is_emoji
from hallway.core.model import EMOJI_MAX

FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # a ZWJ sequence of seven code points
SCOTLAND = "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"  # a tag sequence
KISS = "👩🏻\u200d❤️\u200d💋\u200d👨🏼"  # ZWJ, skin tones and a variation selector: 10 code points
EVERY_EMOJI = sorted(emoji_data.EMOJI_DATA)


@pytest.mark.parametrize(
    "text",
    [
        "☕",
        "🦷",
        "🍽",  # without its variation selector, as some keyboards send it
        "🍽️",
        "👍🏽",
        "1️⃣",
        "#️⃣",
        "🇫🇷",
        FAMILY,
        "👩\u200d💻",
        SCOTLAND,
        KISS,
        "❤️",
    ],
)
def test_one_emoji(text: str) -> None:
    assert is_emoji(text)


@pytest.mark.parametrize(
    "text",
    [
        "notanemoji",
        "ab",
        "a",
        "1",  # a keycap's base alone is a digit
        "☕☕",
        "☕ ",
        " ☕",
        "🇫",  # half a flag
        "",
        " ",
        "\u200d",
        "☕\u200d",
        ":coffee:",  # the emoji package's alias, not an emoji
        "👍🏽👍🏽",
    ],
)
def test_anything_else(text: str) -> None:
    assert not is_emoji(text)


def test_the_examples_in_messages_are_emoji() -> None:
    examples = EMOJI_EXAMPLES.replace(" or ", ", ").split(", ")
    assert len(examples) == 4
    assert all(is_emoji(example) for example in examples)


@given(st.sampled_from(EVERY_EMOJI))
def test_every_emoji_fits_the_wire_limit(text: str) -> None:
    assert len(text) <= EMOJI_MAX
    assert is_emoji(text)


@given(st.sampled_from(EVERY_EMOJI), st.sampled_from(EVERY_EMOJI) | st.text(min_size=1))
def test_one_emoji_and_anything_more_is_not_one(first: str, more: str) -> None:
    # A trailing modifier, keycap mark or joiner can make a different, longer emoji out of two.
    if first + more not in emoji_data.EMOJI_DATA:
        assert not is_emoji(first + more)


@given(st.text(max_size=40))
def test_any_text_gets_an_answer(text: str) -> None:
    answer = is_emoji(text)
    assert isinstance(answer, bool)
    if answer:
        assert text == text.strip()
        assert 0 < len(text) <= EMOJI_MAX


def test_the_emoji_list_loads_only_when_needed() -> None:
    # The headless node's start-up pays for the list only once a status carries an emoji.
    code = (
        "import sys\n"
        "import hallway.core.emoji, hallway.core.wire, hallway.control.protocol, hallway.cli.main\n"
        "assert 'emoji' not in sys.modules, 'imported early'\n"
        "assert hallway.core.emoji.is_emoji('☕')\n"
        "assert 'emoji' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
