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
        ({"type": "from_the_future", "x": 1}, '"from_the_future"'),
    ],
)
def test_event_lines(event: dict[str, Any], says: str) -> None:
    line = event_line({"at": "2026-11-26T10:00:00+00:00", **event}, Style(AsciiPipe()))
    assert says in line
    assert "\n" not in line or event["type"] == "post"
