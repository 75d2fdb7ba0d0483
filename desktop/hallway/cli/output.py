"""Printing for the command line: JSON for programs, aligned text (colour on a terminal) for people.

Everything here works on the JSON forms (`PeerView.to_json()`, `FeedItem.to_json()`,
`Event.to_json()`), which is what the control socket delivers, so `hallway node` and
`hallway watch` print an event the same way.

Text from peers (names, status text, posts) goes through `one_line` wherever it is printed on one
line: a newline in it must not start a line that passes for our own output. A post in `feed`
keeps its lines, each indented under the first.

A name that reads like another member's (`look_alike`, set by the engine) is printed with the
start of its fingerprint and a mark, "Bob (3f9a) ⚠", wherever it appears, so two Bobs never look
the same.
"""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta

from hallway.control.transport import encode_json
from hallway.core.durations import format_remaining
from hallway.core.names import LOOK_ALIKE_MARK, labelled
from hallway.core.plain import Presence, one_line

TYPE_CHECKING = False  # typing's own would import typing: 11 ms of every client command
if TYPE_CHECKING:
    from typing import Any, Final, TextIO

__all__ = [
    "Style",
    "event_line",
    "feed_lines",
    "knock_state",
    "knocks_table",
    "message",
    "peers_table",
    "status_line",
    "write_json",
    "write_line",
]

_LABELS: Final = {p.value: p.label for p in Presence}
# Shape as well as colour tells presences apart, for colour-blind people and NO_COLOR.
_SYMBOLS: Final = {"available": "●", "away": "◐", "busy": "■", "dnd": "⊘", "offline": "○"}
_ASCII: Final = {"available": "+", "away": "~", "busy": "!", "dnd": "x", "offline": "-"}
_COLOURS: Final = {
    "available": "32",
    "away": "33",
    "busy": "31",
    "dnd": "35",
    "offline": "2",
}
LOOK_ALIKE_NOTE: Final = (
    "looks like another member's name: the digits in brackets, the start of the fingerprint, "
    "tell them apart"
)
BOLD: Final = "1"
DIM: Final = "2"
RED: Final = "31"


class Style:
    """Colour and symbols for one output stream.

    Colour only on a terminal, and never with `NO_COLOR` set (https://no-color.org) or a dumb
    terminal. Presence symbols fall back to ASCII where the stream's encoding lacks them.
    """

    def __init__(self, stream: TextIO) -> None:
        self.colour = _wants_colour(stream)
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            "".join(_SYMBOLS.values()).encode(encoding)
        except (UnicodeEncodeError, LookupError):
            self.symbols = _ASCII
        else:
            self.symbols = _SYMBOLS
        try:
            LOOK_ALIKE_MARK.encode(encoding)
        except (UnicodeEncodeError, LookupError):
            self.mark = "(!)"
        else:
            self.mark = LOOK_ALIKE_MARK

    def paint(self, text: str, code: str) -> str:
        if not self.colour or not text:
            return text
        return f"\x1b[{code}m{text}\x1b[0m"

    def presence(self, presence: str | None, *, online: bool = True) -> str:
        key = presence if online and presence in _SYMBOLS else "offline"
        return self.paint(self.symbols[key], _COLOURS[key])


def _wants_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


# writing ------------------------------------------------------------------------------------


def write_json(value: Any, stream: TextIO | None = None) -> None:
    """One JSON document on one line, flushed (NDJSON when called per event).

    msgspec's bytes, through json where they are the same (a client command need not load
    msgspec for them): see `hallway.control.transport.encode_json`."""
    write_line(encode_json(value).decode(), stream)


def message(text: str) -> None:
    """A message for the person (not data): to stderr."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def write_line(text: str, stream: TextIO | None = None) -> None:
    out = stream if stream is not None else sys.stdout
    out.write(text + "\n")
    out.flush()


# times --------------------------------------------------------------------------------------


def _local(iso_text: str | None) -> datetime | None:
    if not iso_text:
        return None
    try:
        return datetime.fromisoformat(iso_text).astimezone()
    except (TypeError, ValueError):
        return None


def _now() -> datetime:
    return datetime.now().astimezone()


def clock(iso_text: str | None, now: datetime | None = None) -> str:
    """A moment as people say it: "15:30" today, "Tue 15:30" this week, a date otherwise."""
    moment = _local(iso_text)
    if moment is None:
        return ""
    now = now or _now()
    if moment.date() == now.date():
        return moment.strftime("%H:%M")
    if abs(moment - now) < timedelta(days=6):
        return moment.strftime("%a %H:%M")
    return moment.strftime("%Y-%m-%d %H:%M")


def until_text(iso_text: str | None, now: datetime | None = None) -> str:
    """ "15:30 (in 45m)", or "" when there is no expiry."""
    moment = _local(iso_text)
    if moment is None:
        return ""
    now = now or _now()
    remaining = (moment - now).total_seconds()
    if remaining <= 0:
        return clock(iso_text, now)
    return f"{clock(iso_text, now)} (in {format_remaining(remaining)})"


def ago(iso_text: str | None, now: datetime | None = None) -> str:
    moment = _local(iso_text)
    if moment is None:
        return "never"
    now = now or _now()
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 6 * 3600:
        return f"{int(seconds // 3600)} h ago"
    return clock(iso_text, now)


# width --------------------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Columns `text` takes in a terminal: wide (CJK, most emoji) 2, combining marks 0."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or ch in "\u200d\ufe0e\ufe0f":
            continue
        width += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return width


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


# names --------------------------------------------------------------------------------------


def name_label(entry: dict[str, Any]) -> str:
    """The name on one line; "Bob (3f9a)" when it reads like another member's."""
    name = one_line(str(entry.get("name", "")))
    short = one_line(str(entry.get("short_fingerprint") or ""))
    return labelled(name, short, bool(entry.get("look_alike")))


def marked(entry: dict[str, Any], style: Style, text: str) -> str:
    """`text` (a label, maybe painted) with the look-alike mark after it when it needs one."""
    return f"{text} {style.paint(style.mark, '33')}" if entry.get("look_alike") else text


# statuses -----------------------------------------------------------------------------------


def describe_status(entry: dict[str, Any]) -> str:
    """ "Busy — 📞 In a call": the presence label, then the emoji and text if any."""
    label = _LABELS.get(str(entry.get("presence")), str(entry.get("presence") or "?"))
    custom = " ".join(part for part in (entry.get("emoji"), entry.get("text")) if part)
    return f"{label} — {one_line(custom)}" if custom else label


def status_line(entry: dict[str, Any], style: Style, now: datetime | None = None) -> str:
    """One person's status on one line (`hallway status`)."""
    symbol = style.presence(entry.get("presence"), online=bool(entry.get("online", True)))
    name = marked(entry, style, style.paint(name_label(entry), BOLD))
    line = f"{symbol} {name}: {describe_status(entry)}"
    until = until_text(entry.get("until"), now)
    return f"{line}, until {until}" if until else line


def peers_table(peers: Sequence[dict[str, Any]], style: Style, now: datetime | None = None) -> str:
    """Everyone this instance knows, one aligned row each (`hallway peers`)."""
    if not peers:
        return "No colleagues yet."
    header = ["", "NAME", "STATUS", "UNTIL", "LAST SEEN"]
    rows: list[tuple[list[str], list[str]]] = []  # (plain cells, painted cells)
    for peer in peers:
        online = bool(peer.get("online"))
        name = name_label(peer)
        if peer.get("own"):
            name += " (you)"
        mark = f" {style.mark}" if peer.get("look_alike") else ""
        status = describe_status(peer) if online or peer.get("own") else "Offline"
        until = until_text(peer.get("until"), now) if online else ""
        seen = "online" if online else ago(peer.get("last_seen"), now)
        plain = [style.symbols["offline"], name + mark, status, until, seen]
        painted = [
            style.presence(peer.get("presence"), online=online),
            marked(peer, style, style.paint(name, BOLD) if peer.get("own") else name),
            status if online else style.paint(status, DIM),
            until,
            seen if online else style.paint(seen, DIM),
        ]
        rows.append((plain, painted))
    widths = [display_width(h) for h in header]
    for plain, _ in rows:
        widths = [max(w, display_width(cell)) for w, cell in zip(widths, plain, strict=True)]
    lines = [_row(header, header, widths, style, head=True)]
    lines += [_row(plain, painted, widths, style) for plain, painted in rows]
    if any(peer.get("look_alike") for peer in peers):
        lines.append(f"{style.paint(style.mark, '33')} {LOOK_ALIKE_NOTE}")
    return "\n".join(lines)


def _row(
    plain: Sequence[str],
    painted: Sequence[str],
    widths: Sequence[int],
    style: Style,
    *,
    head: bool = False,
) -> str:
    cells = [
        cell + " " * max(0, width - display_width(raw))
        for raw, cell, width in zip(plain, painted, widths, strict=True)
    ]
    line = "  ".join(cells).rstrip()
    return style.paint(line, DIM) if head else line


def feed_lines(
    items: Sequence[dict[str, Any]],
    style: Style,
    now: datetime | None = None,
    *,
    answer: str | None = None,
) -> str:
    """Posts and status changes, newest first, continuation lines indented (`hallway feed`).

    A post's first line ends with what it is besides its text ("question", "3 replies"...)
    and its id, to act on it; `answer` is the id of the item to mark as the chosen answer."""
    if not items:
        return "Nothing in the feed yet."
    when = [clock(item.get("at"), now) for item in items]
    mark = f" {style.mark}"
    names = [name_label(item) + (mark if item.get("look_alike") else "") for item in items]
    time_width = max(display_width(w) for w in when)
    name_width = max(display_width(n) for n in names)
    indent = " " * (time_width + name_width + 4)
    lines = []
    for item, at, name in zip(items, when, names, strict=True):
        tail = ""
        if item.get("type") == "status":
            text = f"is {describe_status(item)}"
        else:
            text = str(item.get("text", "")) or "(deleted)"
            if item.get("urgent"):
                text = f"{style.paint('URGENT', BOLD + ';' + RED)} {text}"
            tail = _post_tail(item, style, chosen=answer is not None and item.get("id") == answer)
        head = f"{_pad(at, time_width)}  {style.paint(_pad(name, name_width), BOLD)}  "
        # Every line break of a post starts an indented line, which cannot pass for an item.
        first, *rest = [one_line(line) for line in text.splitlines()] or [""]
        lines.append(head + first + tail)
        lines += [indent + line for line in rest]
    return "\n".join(lines)


def _post_tail(item: dict[str, Any], style: Style, *, chosen: bool) -> str:
    from hallway.cli.knowledge_text import item_notes

    notes = item_notes(item, chosen=chosen)
    tail = f"  [{' · '.join(notes)}]" if notes else ""
    item_id = one_line(str(item.get("id") or ""))
    return tail + (f"  {style.paint(item_id, DIM)}" if item_id else "")


# events -------------------------------------------------------------------------------------


# What the end of each lasting warning (`code`) means, for people. The codes are the engine's
# (`hallway.engine.events.OTHER_OFFICE`), spelt out: client commands must not load the engine.
_CLEARED = {"other_office": "The warning about Hallway users in other offices no longer applies."}


def event_line(event: dict[str, Any], style: Style) -> str:
    """One event of `hallway node` or `hallway watch`, for people."""
    from hallway.cli.knowledge_text import knowledge_event_text, post_notes

    kind = event.get("type")
    at = _local(event.get("at"))
    stamp = style.paint(at.strftime("%H:%M:%S") if at else "--:--:--", DIM)
    name = marked(event, style, style.paint(name_label(event), BOLD))
    who = "You" if event.get("own") else name
    match kind:
        case "ready":
            office_name = event.get("office")
            office = (
                f"the office {one_line(str(office_name))!r}" if office_name else "an open office"
            )
            addresses = ", ".join(event.get("addresses") or []) or "?"
            text = (
                f"Hallway is running as {name} ({event.get('fingerprint')}) in {office}, "
                f"on {addresses}. Press Ctrl-C to stop."
            )
        case "peer_online":
            text = f"{name} is online ({event.get('address')})"
        case "peer_offline":
            text = f"{name} went offline ({event.get('reason')})"
        case "peer_renamed":
            text = f"{style.paint(str(event.get('peer', ''))[:8], DIM)} is now called {name}"
        case "status":
            symbol = style.presence(event.get("presence"))
            text = f"{symbol} {who}: {describe_status(event)}"
            until = until_text(event.get("until"))
            if until:
                text += f", until {until}"
        case "status_expired":
            text = f"{who}: status expired"
        case "post":
            label = style.paint("URGENT", BOLD + ";" + RED) + " " if event.get("urgent") else ""
            earlier = " (earlier)" if event.get("live") is False else ""
            # One line per event, so that no post can pass for another event.
            text = f"{label}{who}{earlier}: {one_line(str(event.get('text', '')))}"
            text += post_notes(event)
        case "warning":
            text = style.paint(f"warning: {one_line(str(event.get('message')))}", "33")
        case "warning_cleared":
            code = one_line(str(event.get("code")))
            text = _CLEARED.get(code, f"The warning {code!r} no longer applies.")
        case "stopped":
            text = "Hallway stopped."
        case _:
            text = (
                _meetup_text(event, who)
                or knowledge_event_text(event, who, name)
                or _knock_text(event, name)
                or _quiet_text(event)
                or _seed_text(event, style)
                or _raw(event)
            )
    return f"{stamp} {text}"


def _seed_text(event: dict[str, Any], style: Style) -> str | None:
    """Issue 14: what became of a seed (said once per change); None for other events."""
    if event.get("type") != "seed":
        return None
    text = one_line(str(event.get("message")))
    return text if event.get("outcome") == "met" else style.paint(text, "33")


def _quiet_text(event: dict[str, Any]) -> str | None:
    """The line for quiet hours set or switched off; None for other events."""
    if event.get("type") != "quiet_hours":
        return None
    quiet = event.get("quiet")
    if isinstance(quiet, dict):
        return f"Quiet hours: {one_line(str(quiet.get('text', '')))}"
    return "Quiet hours are off."


def _knock_text(event: dict[str, Any], name: str) -> str | None:  # noqa: PLR0911 -- per type
    """The line for a knock, its delivery, its reply or its expiry; None for other events."""
    knock = event.get("knock")
    if not isinstance(knock, dict):
        return None
    text = one_line(str(knock.get("text", "")))
    match event.get("type"):
        case "knock":
            urgent = "URGENT " if knock.get("urgent") else ""
            knock_id = one_line(str(knock.get("id", "")))
            return (
                f"{urgent}{name} knocks: {text} "
                f"(reply: hallway knock reply {knock_id} yes|later|no)"
            )
        case "knock_delivered":
            if event.get("held"):
                from hallway.core.knocks import held_note

                return held_note(name, str(event.get("reason") or "")) + "."
            return f"Your knock reached {name}: {text}"
        case "knock_reply":
            return f"{name} replied to your knock: {one_line(str(knock.get('reply', '')))}"
        case "knock_expired":
            return f"Your knock to {name} could not be delivered in time and was dropped: {text}"
    return None


_STATES: Final = {
    "pending": "waiting to be delivered",
    "delivered": "delivered",
    "held": "held",
    "replied": "replied",
    "expired": "expired",
    "shown": "new",
}


def knock_state(knock: dict[str, Any]) -> str:
    """ "waiting to be delivered", "held (Do not disturb)"...: a knock's state for people."""
    state = str(knock.get("state", ""))
    if state == "held":
        if knock.get("held") == "dnd":
            return "held (Do not disturb)"
        return "held (shows later)" if knock.get("outgoing") else "held (quiet hours)"
    return _STATES.get(state, one_line(state))


def knocks_table(
    knocks: Sequence[dict[str, Any]], style: Style, now: datetime | None = None
) -> str:
    """Knocks sent (→) and received (←), newest first (`hallway knocks`)."""
    if not knocks:
        return "No knocks yet. Knock with `hallway knock NAME`."
    header = ["WHEN", "WHO", "TEXT", "STATE", "REPLY", "ID"]
    rows = []
    for knock in knocks:
        arrow = "→" if knock.get("outgoing") else "←"
        urgent = "URGENT " if knock.get("urgent") else ""
        rows.append(
            [
                clock(knock.get("created"), now),
                f"{arrow} {one_line(str(knock.get('name') or str(knock.get('peer', ''))[:8]))}",
                urgent + one_line(str(knock.get("text", ""))),
                knock_state(knock),
                one_line(str(knock.get("reply") or "")),
                one_line(str(knock.get("id", ""))),
            ]
        )
    widths = [max(display_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [style.paint(_cells(header, widths), DIM)]
    lines += [_cells(row, widths) for row in rows]
    return "\n".join(lines)


def _cells(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(_pad(cell, width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def _raw(event: dict[str, Any]) -> str:
    return one_line(json.dumps(event, ensure_ascii=False))  # json keeps U+2028 as is


def _meetup_text(event: dict[str, Any], who: str) -> str | None:
    """The line for an office event's creation, change, answer, seat or reminder; None for any
    other type of event."""
    from hallway.cli.meetup_text import answer_words, quoted

    title = quoted(str(event.get("title", "")))
    match event.get("type"):
        case "rsvp":
            answer = answer_words(event.get("answer"))
            if answer == "maybe":
                return f"{who} might go to {title}"
            verb = "are" if event.get("own") else "is"
            return f"{who} {verb} {answer or 'answering'} to {title}"
        case "seat":
            if event.get("own"):
                return f"You moved up from the waitlist and have a seat at {title}"
            return f"{who} moved up from the waitlist to a seat at {title}"
        case "event" | "reminder":
            return _event_text(event, who)
    return None


def _event_text(event: dict[str, Any], who: str) -> str | None:
    from hallway.cli.meetup_text import quoted, view_of, when_text

    try:
        view = view_of(event.get("event"))
    except ValueError:
        return None
    now = _now()
    when = when_text(view, now)
    where = f" · {one_line(view.where)}" if view.where.strip() else ""
    if event.get("type") == "reminder":
        left = view.start - now.timestamp()
        soon = f" (in {format_remaining(left)})" if left > 0 else ""
        return f"Reminder: {quoted(view.title)} {when}{where}{soon}"
    who += " (earlier)" if event.get("live") is False else ""
    change = event.get("change")
    if change == "cancelled":
        return f"{who} cancelled {quoted(view.title)} ({when})"
    verb = "created" if change == "created" else "changed"
    return f"{who} {verb} {quoted(view.title)}: {when}{where} · {view.seats_text()}"
