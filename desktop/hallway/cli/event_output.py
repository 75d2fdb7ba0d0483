"""Office events for people: the `hallway event list` table and the `hallway event show` page.

Both work on event objects (`EventView.to_json()`, via `view_of`). Peer-supplied text is one line
per cell; a note keeps its lines, each indented, so none can pass for a line of ours.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hallway.cli.meetup_text import answer_words, quoted, when_text
from hallway.cli.output import BOLD, DIM, Style, display_width
from hallway.core.durations import local_datetime
from hallway.core.meetups import Answer, Attendee, EventView
from hallway.core.model import one_line

__all__ = ["event_details", "events_table", "your_answer"]

_HEADER = ("WHEN", "TITLE", "WHERE", "SEATS", "YOU", "ID")


def your_answer(view: EventView, me: str | None, now: datetime) -> str:
    """ "going", "waiting (#2)", "maybe", "organiser"..., or the state of an event that is over."""
    if view.cancelled:
        return "cancelled"
    if view.past(now.timestamp()):
        return "ended"
    answer = answer_words(view.mine)
    if view.mine is Answer.GOING and me is not None:
        waiting = [a.peer for a in view.waitlist]
        if me in waiting:
            answer = f"waiting (#{waiting.index(me) + 1})"
    if view.own:
        return f"{answer}, organiser" if answer else "organiser"
    return answer or "-"


def events_table(
    views: Sequence[EventView], style: Style, now: datetime, *, me: str | None = None
) -> str:
    """One aligned line per event (`hallway event list`)."""
    if not views:
        return "No upcoming events. Create one with `hallway event create TITLE --at TIME`."
    rows = [
        (
            when_text(view, now),
            one_line(view.title),
            one_line(view.where),
            view.seats_text(),
            your_answer(view, me, now),
            view.id,
        )
        for view in views
    ]
    widths = [max(display_width(row[i]) for row in [_HEADER, *rows]) for i in range(len(_HEADER))]
    lines = [style.paint(_line(_HEADER, widths), DIM)]
    for view, row in zip(views, rows, strict=True):
        over = view.cancelled or view.past(now.timestamp())
        lines.append(style.paint(_line(row, widths), DIM) if over else _line(row, widths))
    return "\n".join(lines)


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    padded = [c + " " * max(0, w - display_width(c)) for c, w in zip(cells, widths, strict=True)]
    return "  ".join(padded).rstrip()


def event_details(view: EventView, style: Style, now: datetime, *, me: str | None = None) -> str:
    """Everything about one event (`hallway event show`)."""
    start = local_datetime(view.start, now)
    end = local_datetime(view.end, now)
    until = "%H:%M" if end.date() == start.date() else "%Y-%m-%d %H:%M"
    title = style.paint(quoted(view.title), BOLD)
    if view.cancelled:
        title += " " + style.paint("CANCELLED", BOLD + ";31")
    seats = view.seats_text()
    if view.capacity is not None and len(view.going) < view.capacity:
        seats += f" ({view.capacity - len(view.going)} free)"
    fields = [
        ("When", f"{when_text(view, now)} ({start:%Y-%m-%d %H:%M} to {end:{until}})"),
        ("Where", one_line(view.where) or "-"),
        ("Organiser", one_line(view.organiser_name) + (" (you)" if view.own else "")),
        ("Seats", seats),
        ("Going", _names(view.going)),
        ("Waitlist", _names(view.waitlist)),
        ("Maybe", _names(view.maybe)),
        ("Not going", _names(view.declined)),
        ("You", your_answer(view, me, now)),
        ("Reminder", _minutes_before(view.remind)),
        ("Id", view.id),
    ]
    width = max(len(label) for label, _ in fields) + 2
    lines = [title]
    lines += [f"  {(label + ':').ljust(width)}{value}" for label, value in fields]
    note = [one_line(line) for line in view.note.splitlines() if line.strip()]
    if note:
        lines.append("  Note:")
        lines += [f"    {line}" for line in note]
    return "\n".join(lines)


def _names(attendees: Sequence[Attendee]) -> str:
    return ", ".join(one_line(a.name) for a in attendees) or "-"


def _minutes_before(seconds: float) -> str:
    if seconds <= 0:
        return "at the start"
    minutes = round(seconds / 60)
    if minutes % 60 == 0:
        return f"{minutes // 60} h before"
    return f"{minutes} min before"
