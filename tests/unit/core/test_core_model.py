"""The data model (hallway/core/model.py): ids, tags, text cleaning, status and posts."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallway.core import z85
from hallway.core.errors import DecodeError
from hallway.core.model import (
    DEFAULT_STATUS,
    STATUS_TEXT_MAX,
    TAG_MAX,
    TAGS_MAX,
    Presence,
    Status,
    clean_text,
    display_fingerprint,
    extract_tags,
    fingerprint,
    one_line,
    post_id,
)

keys = st.binary(min_size=32, max_size=32).map(z85.encode)


@given(keys)
def test_fingerprint_is_32_hex_and_stable(key: bytes) -> None:
    peer = fingerprint(key)
    assert re.fullmatch(r"[0-9a-f]{32}", peer)
    assert fingerprint(key) == peer
    assert fingerprint(key.decode()) == peer


@given(keys, keys)
def test_fingerprint_differs_per_key(a: bytes, b: bytes) -> None:
    if a != b:
        assert fingerprint(a) != fingerprint(b)


def test_fingerprint_known_value() -> None:
    # SHA-256 of 32 zero bytes, first 128 bits: pins the id so it never changes by accident.
    assert fingerprint(z85.encode(bytes(32))) == "66687aadf862bd776c8fc18b8e9f8e20"


def test_fingerprint_rejects_invalid_keys() -> None:
    with pytest.raises(DecodeError):
        fingerprint(b"~" * 40)


def test_display_fingerprint() -> None:
    peer = "66687aadf862bd776c8fc18b8e9f8e20"
    shown = display_fingerprint(peer)
    assert shown == "6668 7aad f862 bd77 6c8f c18b 8e9f 8e20"
    assert shown.replace(" ", "") == peer


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("Cake in the kitchen #food", ("food",)),
        ("#Food #food #FOOD", ("food",)),
        ("#b #a #b #c", ("b", "a", "c")),
        ("a#b", ()),
        ("mail ann#work", ()),
        ("##x", ()),
        ("#", ()),
        ("# spaced", ()),
        ("(#paren) #end.", ("paren", "end")),
        ("line\n#next", ("next",)),
        ("#café #Ünïcode", ("café", "ünïcode")),
        ("#snake_case #with-dash", ("snake_case", "with")),
        ("#1st", ("1st",)),
    ],
)
def test_extract_tags(text: str, tags: tuple[str, ...]) -> None:
    assert extract_tags(text) == tags


def test_extract_tags_has_a_maximum() -> None:
    text = " ".join(f"#t{i}" for i in range(TAGS_MAX + 10))
    assert extract_tags(text) == tuple(f"t{i}" for i in range(TAGS_MAX))


@given(st.text(alphabet=st.sampled_from("#aB_1 é\n.-"), max_size=200))
def test_extract_tags_properties(text: str) -> None:
    tags = extract_tags(text)
    assert len(tags) <= TAGS_MAX
    assert len(set(tags)) == len(tags)
    lowered = text.lower()
    for tag in tags:
        assert tag == tag.lower()
        assert 1 <= len(tag) <= TAG_MAX
        assert "#" + tag in lowered


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("  In a meeting  ", "In a meeting"),
        ("a\x00b\x1bc\x7fd", "abcd"),
        ("tab\there", "tabhere"),
        ("cr\r\nlf", "cr\nlf"),
        ("\n\nkeep\ninner\n\n", "keep\ninner"),
        ("evil\u202etxt.exe", "eviltxt.exe"),  # bidi override
        ("👩\u200d💻 Working from home", "👩\u200d💻 Working from home"),  # ZWJ sequence
        ("\u200cmi\u200cxed", "\u200cmi\u200cxed"),
        ("café 日本 😀", "café 日本 😀"),
    ],
)
def test_clean_text(text: str, cleaned: str) -> None:
    assert clean_text(text, 100) == cleaned


def test_clean_text_limit() -> None:
    assert clean_text("😀" * STATUS_TEXT_MAX, STATUS_TEXT_MAX) == "😀" * STATUS_TEXT_MAX
    with pytest.raises(ValueError, match="141 characters long; the limit is 140"):
        clean_text("a" * (STATUS_TEXT_MAX + 1), STATUS_TEXT_MAX)
    # The limit applies after cleaning.
    assert clean_text("  " + "a" * 10 + "\x00" * 50, 10) == "a" * 10


@given(st.text(max_size=300), st.integers(0, 300))
def test_clean_text_properties(text: str, limit: int) -> None:
    try:
        cleaned = clean_text(text, limit)
    except ValueError:
        return
    assert len(cleaned) <= limit
    assert cleaned == cleaned.strip()
    assert all(ch.isprintable() or ch in "\n\u200c\u200d" for ch in cleaned)
    assert clean_text(cleaned, limit) == cleaned


@pytest.mark.parametrize(
    ("text", "single"),
    [
        ("Bob\n01:50:00 Alice: Free pizza", "Bob 01:50:00 Alice: Free pizza"),
        ("a\r\nb\rc\vd\fe", "a b c d e"),
        ("a\u2028b\u2029c\x85d", "a b c d"),  # Unicode line and paragraph separators, NEL
        ("a\x1cb\x1dc\x1ed\x1ff", "a b c d f"),  # the ASCII separators Python splits lines at
        ("  Ann \t\u00a0\u3000 Lee  ", "Ann Lee"),
        ("a\x00b\x1b[2Jc\x07", "ab[2Jc"),
        ("evil\u202etxt", "eviltxt"),
        ("👩\u200d💻 Ann", "👩\u200d💻 Ann"),
        ("", ""),
        ("\n\n", ""),
    ],
)
def test_one_line(text: str, single: str) -> None:
    assert one_line(text) == single


@given(st.text(max_size=200))
def test_one_line_properties(text: str) -> None:
    single = one_line(text)
    assert len(single.splitlines()) <= 1
    assert single == single.strip()
    assert "  " not in single
    assert all(ch.isprintable() or ch in "\u200c\u200d" for ch in single)
    assert one_line(single) == single


def test_presence_labels() -> None:
    assert [p.value for p in Presence] == ["available", "away", "busy", "dnd"]
    assert {p.label for p in Presence} == {"Available", "Away", "Busy", "Do not disturb"}
    assert Presence("dnd") is Presence.DND


def test_status_expiry() -> None:
    forever = Status(presence=Presence.BUSY, text="Focus")
    assert not forever.expired(1e12)
    timed = Status(presence=Presence.AWAY, until=100.0)
    assert not timed.expired(99.9)
    assert timed.expired(100.0)
    assert timed.expired(101.0)


def test_status_is_custom() -> None:
    assert not DEFAULT_STATUS.is_custom
    assert DEFAULT_STATUS.presence is Presence.AVAILABLE
    assert not Status(presence=Presence.BUSY).is_custom
    assert Status(text="Lunch").is_custom
    assert Status(emoji="🍕").is_custom


def test_post_id() -> None:
    assert post_id("abcd", 255, 7) == "abcd:ff:7"
    assert post_id("abcd", 0, 0) == "abcd:0:0"
