"""Look-alike names in human output: "Bob (3f9a) ⚠" in peers, feed, status and event lines."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from hallway.cli.output import Style, event_line, feed_lines, peers_table, status_line
from hallway.core.model import Post, Status
from hallway.engine.events import FeedItem, PeerView, PostReceived

CYRILLIC_O = "\u043e"
BOB, MALLORY, ANN = "3f9a1c2b" + "0" * 24, "7c21" + "0" * 28, "a" * 32
NOW = datetime(2026, 11, 26, 10, 0).astimezone()


class Pipe(io.StringIO):
    encoding = "utf-8"


class AsciiPipe(io.StringIO):
    encoding = "ascii"


def view(peer_id: str, name: str, *, look_alike: bool, own: bool = False) -> dict[str, Any]:
    return PeerView(
        id=peer_id,
        name=name,
        fingerprint="",
        online=True,
        status=Status(set_at=NOW.timestamp()),
        last_seen=NOW.timestamp(),
        first_seen=None,
        address="",
        verified=True,
        own=own,
        look_alike=look_alike,
        short_fingerprint="3f9a" if peer_id == BOB else "",
    ).to_json()


def test_peers_shows_two_bobs_apart_and_says_why() -> None:
    peers = [
        view(ANN, "Ann", look_alike=False, own=True),
        view(BOB, "Bob", look_alike=True),
        view(MALLORY, f"B{CYRILLIC_O}b", look_alike=True),
    ]
    lines = peers_table(peers, Style(Pipe()), NOW).splitlines()
    assert lines[1].split()[1:3] == ["Ann", "(you)"]  # no fingerprint where nothing collides
    assert "Bob (3f9a) ⚠" in lines[2]
    assert f"B{CYRILLIC_O}b (7c21) ⚠" in lines[3]  # filled from the id when not set
    assert lines[4] == (
        "⚠ looks like another member's name: the digits in brackets, the start of the "
        "fingerprint, tell them apart"
    )
    ascii_lines = peers_table(peers, Style(AsciiPipe()), NOW).splitlines()
    assert "Bob (3f9a) (!)" in ascii_lines[2]
    assert len(peers_table(peers[:1], Style(Pipe()), NOW).splitlines()) == 2  # no note


def test_feed_shows_the_posted_name_with_its_fingerprint() -> None:
    items = [
        FeedItem(
            id="1",
            type="post",
            peer=MALLORY,
            name="Bob",
            at=NOW.timestamp(),
            text="Pizza!",
            look_alike=True,
            short_fingerprint="7c21",
        ),
        FeedItem(id="2", type="post", peer=ANN, name="Ann", at=NOW.timestamp(), text="Hi"),
    ]
    lines = feed_lines([item.to_json() for item in items], Style(Pipe()), NOW).splitlines()
    assert lines[0].split(None, 1)[1].startswith("Bob (7c21) ⚠  Pizza!")
    assert "Ann" in lines[1]
    assert "(aaaa)" not in lines[1]


def test_event_and_status_lines_mark_a_look_alike() -> None:
    post = Post(id="x", peer=MALLORY, text="Free pizza", urgent=False, sent_at=0.0)
    event = PostReceived(at=0.0, post=post, name="Bob", look_alike=True, short_fingerprint="7c21")
    assert event_line(event.to_json(), Style(Pipe())).endswith("Bob (7c21) ⚠: Free pizza")
    plain = PostReceived(at=0.0, post=post, name="Bob")
    assert event_line(plain.to_json(), Style(Pipe())).endswith(" Bob: Free pizza")
    entry = view(BOB, "Bob", look_alike=True)
    assert status_line(entry, Style(Pipe()), NOW).startswith("● Bob (3f9a) ⚠: Available")
    warning = {"type": "warning", "message": "Two members have names that look alike: …"}
    assert "warning: Two members" in event_line(warning, Style(Pipe()))
