"""Human output: widths, colour rules, tables and event lines."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest

from hallway.cli.output import (
    Style,
    ago,
    clock,
    display_width,
    event_line,
    feed_lines,
    peers_table,
    status_line,
    until_text,
)
from hallway.core import wire
from hallway.core.model import Post, Presence, Status, strip_controls
from hallway.engine.events import PeerOnline, PostReceived, StatusChanged


class Terminal(io.StringIO):
    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


class AsciiPipe(io.StringIO):
    encoding = "ascii"


NOW = datetime(2026, 11, 26, 10, 0).astimezone()


def iso(moment: datetime) -> str:
    return moment.isoformat()


def peer(**fields: Any) -> dict[str, Any]:
    base = {
        "id": "a" * 32,
        "name": "Ann",
        "online": True,
        "presence": "available",
        "text": "",
        "emoji": "",
        "until": None,
        "last_seen": iso(NOW),
        "own": False,
    }
    return base | fields


def test_display_width() -> None:
    assert display_width("Ann") == 3
    assert display_width("📞") == 2
    assert display_width("日本") == 4
    assert display_width("e\u0301") == 1
    assert display_width("👍\ufe0f") == 2


def test_colour_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert Style(Terminal()).colour
    assert not Style(io.StringIO()).colour
    monkeypatch.setenv("NO_COLOR", "1")
    assert not Style(Terminal()).colour
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not Style(Terminal()).colour


def test_symbols_fall_back_to_ascii() -> None:
    assert Style(AsciiPipe()).presence("busy") == "!"
    assert Style(Terminal()).presence("busy", online=False) != "!"


def test_times() -> None:
    assert clock(iso(NOW.replace(hour=15, minute=30)), NOW) == "15:30"
    assert clock(iso(NOW + timedelta(days=1)), NOW) == (NOW + timedelta(days=1)).strftime(
        "%a %H:%M"
    )
    assert clock(iso(NOW + timedelta(days=30)), NOW).startswith("2026-12-26")
    assert until_text(iso(NOW + timedelta(minutes=45)), NOW) == "10:45 (in 45m)"
    assert until_text(None, NOW) == ""
    assert ago(iso(NOW - timedelta(minutes=5)), NOW) == "5 min ago"
    assert ago(None, NOW) == "never"
    assert clock("not a time", NOW) == ""


def test_peers_table_aligns_wide_characters() -> None:
    style = Style(AsciiPipe())
    rows = [
        peer(name="Ann", own=True, presence="busy", text="In a call", emoji="📞"),
        peer(name="日本太郎", presence="dnd", until=iso(NOW + timedelta(hours=1))),
        peer(name="Ben", online=False, last_seen=iso(NOW - timedelta(minutes=3))),
    ]
    lines = peers_table(rows, style, NOW).splitlines()
    assert len(lines) == 4
    starts = {
        display_width(line[: line.index(word)])
        for line, word in zip(lines, ["STATUS", "Busy", "Do not", "Offline"], strict=True)
    }
    assert len(starts) == 1
    assert "Ann (you)" in lines[1]
    assert "11:00 (in 1h)" in lines[2]
    assert "3 min ago" in lines[3]
    assert peers_table([], style) == "No colleagues yet."


def test_status_line() -> None:
    style = Style(AsciiPipe())
    line = status_line(
        peer(presence="away", text="Lunch", emoji="🍜", until=iso(NOW + timedelta(minutes=30))),
        style,
        NOW,
    )
    assert line == "~ Ann: Away — 🍜 Lunch, until 10:30 (in 30m)"


def test_feed_lines_indent_multi_line_posts() -> None:
    style = Style(AsciiPipe())
    items = [
        {
            "type": "post",
            "name": "Ben",
            "at": iso(NOW),
            "text": "Fire drill\nUse the stairs",
            "urgent": True,
        },
        {
            "type": "status",
            "name": "Ann",
            "at": iso(NOW),
            "presence": "busy",
            "text": "Call",
            "emoji": "",
        },
    ]
    lines = feed_lines(items, style, NOW).splitlines()
    assert lines == [
        "10:00  Ben  URGENT Fire drill",
        "            Use the stairs",
        "10:00  Ann  is Busy — Call",
    ]
    assert feed_lines([], style) == "Nothing in the feed yet."


@pytest.mark.parametrize(
    ("event", "says"),
    [
        (
            {
                "type": "ready",
                "name": "Ann",
                "fingerprint": "a1b2",
                "office": None,
                "addresses": ["127.0.0.1"],
            },
            "in an open office, on 127.0.0.1",
        ),
        ({"type": "peer_online", "name": "Ben", "address": "10.0.0.2"}, "Ben is online"),
        ({"type": "peer_offline", "name": "Ben", "reason": "bye"}, "Ben went offline (bye)"),
        (
            {
                "type": "status",
                "name": "Ben",
                "presence": "busy",
                "text": "x",
                "emoji": "",
                "until": None,
            },
            "! Ben: Busy — x",
        ),
        (
            {
                "type": "status",
                "name": "Ann",
                "own": True,
                "presence": "away",
                "text": "",
                "emoji": "",
                "until": None,
            },
            "You: Away",
        ),
        ({"type": "post", "name": "Ben", "text": "Cake", "urgent": True}, "URGENT Ben: Cake"),
        ({"type": "post", "name": "Ben", "text": "Old", "live": False}, "Ben (earlier): Old"),
        ({"type": "status_expired", "name": "Ben"}, "Ben: status expired"),
        ({"type": "warning", "message": "odd frame"}, "warning: odd frame"),
        ({"type": "stopped"}, "Hallway stopped."),
        (
            {
                "type": "quiet_hours",
                "quiet": {"start": "18:00", "end": "08:00", "text": "18:00\u201308:00"},
            },
            "Quiet hours: 18:00\u201308:00",
        ),
        ({"type": "quiet_hours", "quiet": None}, "Quiet hours are off."),
        ({"type": "from_the_future", "x": 1}, '"from_the_future"'),
    ],
)
def test_event_lines(event: dict[str, Any], says: str) -> None:
    line = event_line({"at": "2026-11-26T10:00:00+00:00", **event}, Style(AsciiPipe()))
    assert says in line
    assert "\n" not in line


# a peer's text cannot forge a line of output (issue 9, item 8) --------------------------------

INJECTED = "Bob\n01:50:00 Alice: Free pizza"
# Everything a terminal or Python may take for the end of a line.
BREAKS = ["\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
BEN = "b" * 32


def test_an_injected_line_in_a_hello_name_stays_on_one_line() -> None:
    hello = wire.Hello(
        office="open",
        proof=b"",
        name=INJECTED,
        router_port=1,
        pub_port=2,
        inc=0,
        proto=wire.VERSION,
    )
    received = wire.decode_request(wire.encode(hello))
    assert isinstance(received, wire.Hello)
    event = PeerOnline(at=0.0, peer=BEN, name=strip_controls(received.name), address="10.0.0.2")
    line = event_line(event.to_json(), Style(AsciiPipe()))
    assert line.splitlines() == [line]
    assert line.endswith(" Bob 01:50:00 Alice: Free pizza is online (10.0.0.2)")


def test_an_injected_line_in_a_status_stays_on_one_line() -> None:
    value = wire.StatusValue(presence=Presence.BUSY, text=INJECTED, emoji="☕")
    env = wire.Envelope(v=wire.VERSION, inc=1, seq=1, at=1.0, body=wire.Rec("status", "", value))
    body = wire.decode_envelope(wire.encode(env)).body
    assert isinstance(body, wire.Rec)
    received = body.val
    assert isinstance(received, wire.StatusValue)
    status = Status(received.presence, strip_controls(received.text), received.emoji)
    event = StatusChanged(at=0.0, peer=BEN, name="Ben", status=status)
    line = event_line(event.to_json(), Style(AsciiPipe()))
    assert line.splitlines() == [line]
    assert line.endswith(" ! Ben: Busy — ☕ Bob 01:50:00 Alice: Free pizza")


def test_an_injected_line_in_a_post_stays_on_one_line() -> None:
    value = wire.PostValue(text=INJECTED)
    env = wire.Envelope(v=wire.VERSION, inc=1, seq=1, at=1.0, body=wire.Rec("post", "1:1", value))
    body = wire.decode_envelope(wire.encode(env)).body
    assert isinstance(body, wire.Rec)
    received = body.val
    assert isinstance(received, wire.PostValue)
    post = Post(
        id=f"{BEN}:1:1", peer=BEN, text=strip_controls(received.text), urgent=False, sent_at=1.0
    )
    line = event_line(PostReceived(at=0.0, post=post, name="Ben").to_json(), Style(AsciiPipe()))
    assert line.splitlines() == [line]
    assert line.endswith(" Ben: Bob 01:50:00 Alice: Free pizza")


@pytest.mark.parametrize("brk", BREAKS)
def test_no_line_break_from_a_peer_reaches_one_line_output(brk: str) -> None:
    # The output does not rely on the engine having cleaned the text: a name stored before the
    # wire tidied names, or a node of another version, must not inject a line either.
    hostile = f"Bob{brk}01:50:00 Alice: Free pizza"
    style = Style(AsciiPipe())
    events = [
        {"type": "peer_online", "name": hostile, "address": "10.0.0.2"},
        {"type": "peer_renamed", "peer": BEN, "name": hostile},
        {"type": "status", "name": hostile, "presence": "busy", "text": hostile, "emoji": hostile},
        {"type": "status_expired", "name": hostile},
        {"type": "post", "name": hostile, "text": hostile, "urgent": True},
        {"type": "warning", "message": hostile},
        {"type": "future_kind", "name": hostile},
    ]
    for event in events:
        line = event_line({"at": "2026-11-26T10:00:00+00:00", **event}, style)
        assert line.splitlines() == [line], event["type"]
    entry = peer(name=hostile, text=hostile, emoji="☕")
    line = status_line(entry, style, NOW)
    assert line.splitlines() == [line]
    assert len(peers_table([entry, peer(name=hostile, online=False)], style, NOW).splitlines()) == 3
    item = {"type": "status", "name": hostile, "at": iso(NOW), "presence": "busy", "text": hostile}
    assert len(feed_lines([item], style, NOW).splitlines()) == 1


def test_a_multi_line_post_in_the_feed_only_adds_indented_lines() -> None:
    style = Style(AsciiPipe())
    item = {"type": "post", "name": INJECTED, "at": iso(NOW), "text": "Hi\u2028" + INJECTED}
    lines = feed_lines([item], style, NOW).splitlines()
    assert lines[0] == "10:00  Bob 01:50:00 Alice: Free pizza  Hi"
    assert all(line.startswith(" " * 10) for line in lines[1:])
    assert [line.strip() for line in lines[1:]] == ["Bob", "01:50:00 Alice: Free pizza"]
