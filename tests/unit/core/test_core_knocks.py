"""Knocks' pure rules (core/knocks.py): texts, replies, ids, the held note, the JSON form."""

from __future__ import annotations

import pytest

from hallway.core.knocks import (
    DEFAULT_TEXT,
    KNOCK_TEXT_MAX,
    KnockError,
    KnockView,
    check_knock_text,
    check_reply,
    held_note,
    is_knock_id,
    new_knock_id,
)


def test_a_knock_without_text_says_the_default() -> None:
    assert check_knock_text("") == DEFAULT_TEXT == "Got a minute?"
    assert check_knock_text("  \n ") == DEFAULT_TEXT


def test_a_knock_is_one_line_and_at_most_140_characters() -> None:
    assert check_knock_text("Coffee?\nNow\u2028please") == "Coffee? Now please"
    assert check_knock_text("x" * KNOCK_TEXT_MAX) == "x" * 140
    with pytest.raises(KnockError, match="141 characters long; the limit is 140"):
        check_knock_text("x" * 141)


@pytest.mark.parametrize(
    ("given", "reply"),
    [("yes", "Yes"), ("LATER", "In 5 min"), (" no ", "Not now"), ("Give me 10", "Give me 10")],
)
def test_quick_replies_and_free_text(given: str, reply: str) -> None:
    assert check_reply(given) == reply


def test_a_reply_needs_text_within_the_limit() -> None:
    with pytest.raises(KnockError, match="needs some text"):
        check_reply("   ")
    with pytest.raises(KnockError, match="the limit is 140"):
        check_reply("y" * 141)


def test_ids_are_random_hex() -> None:
    ids = {new_knock_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(is_knock_id(i) for i in ids)
    assert not is_knock_id("0123456789ABCDEF")
    assert not is_knock_id("0123")


def test_the_held_note_names_dnd_but_not_quiet_hours() -> None:
    assert held_note("Ben", "dnd") == (
        "Ben is in Do not disturb; your knock will show when that ends"
    )
    quiet = held_note("Ben", "quiet")
    assert "quiet" not in quiet.lower()
    assert "will show" in quiet


def test_json_form() -> None:
    view = KnockView(
        id="0123456789abcdef", peer="b" * 32, name="Ben", outgoing=True, text="Hi",
        urgent=True, state="held", held="dnd", created=0.0, expires=43200.0,
    )  # fmt: skip
    assert view.to_json() == {
        "id": "0123456789abcdef",
        "peer": "b" * 32,
        "name": "Ben",
        "outgoing": True,
        "text": "Hi",
        "urgent": True,
        "state": "held",
        "held": "dnd",
        "reply": None,
        "created": "1970-01-01T00:00:00.000000+00:00",
        "expires": "1970-01-01T12:00:00.000000+00:00",
    }
