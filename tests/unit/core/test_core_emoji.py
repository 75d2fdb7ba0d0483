"""One emoji or not (hallway/core/emoji.py), as the CLI, control socket, wire and UI check it."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import emoji as emoji_data
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallway.core.emoji import EMOJI_EXAMPLES, _emoji_set, _from_data_file, is_emoji
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
    # The headless node's start-up pays for the list only once a status carries an emoji, and
    # then only for the set of emoji: the package's full table (names in many languages,
    # aliases, versions) is never built.
    code = (
        "import sys\n"
        "import hallway.core.emoji, hallway.core.wire, hallway.control.protocol, hallway.cli.main\n"
        "assert hallway.core.emoji._emoji_set.cache_info().currsize == 0, 'loaded early'\n"
        "before = int(open('/proc/self/statm').read().split()[1])\n"
        "assert hallway.core.emoji.is_emoji('☕')\n"
        "added = int(open('/proc/self/statm').read().split()[1]) - before\n"
        "assert 'emoji' not in sys.modules, 'the full table was built'\n"
        "import resource\n"
        "print(added * resource.getpagesize())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, timeout=60, capture_output=True, text=True
    )
    # ~0.5 MB for the set; the package's table took ~6 MB.
    assert int(out.stdout) < 2 << 20


def test_the_set_is_the_packages_list() -> None:
    assert _from_data_file() == frozenset(emoji_data.EMOJI_DATA)


def test_without_the_data_file_the_package_answers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A later `emoji` that moves its data file must not make every emoji unknown.
    spec = importlib.util.spec_from_loader("emoji", loader=None, is_package=True)
    assert spec is not None
    assert spec.submodule_search_locations is not None
    spec.submodule_search_locations.append(str(tmp_path))
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec)
    assert _from_data_file() is None
    (tmp_path / "unicode_codes").mkdir()
    (tmp_path / "unicode_codes" / "emoji.json").write_text('["not", "the", "layout"]')
    assert _from_data_file() is None
    _emoji_set.cache_clear()
    try:
        assert is_emoji("☕")
        assert not is_emoji("notanemoji")
    finally:
        _emoji_set.cache_clear()
