"""The arguments of `hallway event ...` (issue 10), and their types. Keep the contract stable::

hallway event create TITLE --at TIME [--duration DUR] [--where PLACE] [--capacity N]
                           [--note TEXT] [--remind DUR]   (--json: the event object)
hallway event list [--all] [--json]
hallway event show ID [--json]
hallway event rsvp ID going|maybe|no
hallway event edit ID [--title T] [--at TIME] [--duration DUR] [--where P] [--capacity N]
                      [--note T] [--remind DUR]
hallway event cancel ID
hallway event ics [ID]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final, TypeAlias

from hallway.control.transport import EVENT_ID_MAX
from hallway.core.durations import WHEN_HELP, parse_duration, parse_when
from hallway.core.errors import DurationError
from hallway.core.meetups import CAPACITY_MAX, Answer

__all__ = [
    "ACTIONS",
    "CLEAR",
    "add_event_actions",
    "answer_arg",
    "capacity_arg",
    "event_id_arg",
    "remind_arg",
    "when_arg",
]

#: `--capacity none` on an edit: no limit on seats any more.
CLEAR: Final = "none"
ACTIONS: Final = "create, list, show, rsvp, edit, cancel or ics"
_ANSWERS: Final = "choose going, maybe or no"
_NO_REMINDER_WORDS: Final = frozenset({"0", "0m", "0s", "none", "start"})

Subparsers: TypeAlias = (
    "argparse._SubParsersAction[argparse.ArgumentParser]"  # generic in typeshed only
)
# Makes one action's parser from (subparsers, name, help, epilog), as `hallway status set` is made.
Action: TypeAlias = Callable[[Subparsers, str, str, str], argparse.ArgumentParser]


def when_arg(text: str) -> datetime:
    """A start still ahead: `parse_when`, and a moment in the past is refused here."""
    now = datetime.now().astimezone()
    try:
        moment = parse_when(text, now)
    except DurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if moment <= now:
        raise argparse.ArgumentTypeError(
            f"{moment:%Y-%m-%d %H:%M} is in the past; an event must start later"
        )
    return moment


def duration_arg(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise argparse.ArgumentTypeError(
            f"{exc}; an event must end after it starts (e.g. 45m or 1h30m)"
        ) from None


def remind_arg(text: str) -> timedelta:
    """How long before the start; 0 (or "start") for a reminder at the start itself."""
    if text.strip().lower() in _NO_REMINDER_WORDS:
        return timedelta(0)
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def capacity_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of people") from None
    if not 1 <= value <= CAPACITY_MAX:
        raise argparse.ArgumentTypeError(f"a capacity must be from 1 to {CAPACITY_MAX:,} people")
    return value


def capacity_or_clear_arg(text: str) -> int | None:
    """A capacity, or None for `none` (no limit)."""
    if text.strip().lower() == CLEAR:
        return None
    return capacity_arg(text)


def answer_arg(text: str) -> Answer:
    try:
        return Answer(text.strip().lower())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an answer; {_ANSWERS}") from None


def event_id_arg(text: str) -> str:
    event_id = text.strip()
    if not event_id or len(event_id) > EVENT_ID_MAX or not event_id.isprintable():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an event id; `hallway event list` shows them"
        )
    return event_id


_TIME_HELP = f"TIME, in local time and still ahead:\n  {WHEN_HELP}."
_DUR_HELP = "DUR: 45m, 1h, 1h30m, 2d (30 days at most)."


def add_event_actions(event: argparse.ArgumentParser, action: Action) -> None:
    """The actions of `hallway event`."""
    actions = event.add_subparsers(dest="event_command", metavar="ACTION")

    def add(name: str, help_text: str, epilog: str) -> argparse.ArgumentParser:
        return action(actions, name, help_text, epilog)

    create = add(
        "create",
        "create an event; prints its id",
        f"{_TIME_HELP}\n{_DUR_HELP}\n\n"
        "examples:\n"
        '  hallway event create "Brainstorm" --at "tomorrow 15:00" --duration 45m '
        '--where "Room 2"\n'
        '  hallway event create "Mentoring lunch" --at "fri 12:30" --capacity 8 --remind 1h\n'
        '  id=$(hallway event create "Retro" --at 16:00)',
    )
    create.add_argument(
        "title", metavar="TITLE", nargs="+", help="what it is (1 to 120 characters)"
    )
    _fields(create, creating=True)
    _json(create, "the new event as a JSON object")

    listing = add(
        "list",
        "list upcoming events, soonest first",
        "examples:\n  hallway event list\n  hallway event list --all --json | jq '.[].title'",
    )
    listing.add_argument("--all", action="store_true", help="add past and cancelled events")
    _json(listing, "a JSON array of event objects")

    show = add(
        "show",
        "show one event with everyone's answers",
        "example:\n  hallway event show ID",
    )
    _id(show)
    _json(show, "the event object")

    rsvp = add(
        "rsvp",
        "answer an event: going, maybe or no",
        "You can change your answer until the event starts. When it has a capacity, the first\n"
        "to answer going have the seats; the others wait, and move up when a seat frees.\n\n"
        "example:\n  hallway event rsvp ID going",
    )
    _id(rsvp)
    rsvp.add_argument("answer", metavar="going|maybe|no", type=answer_arg, help="your answer")

    edit = add(
        "edit",
        "change an event you organise; the others see the change",
        f"{_TIME_HELP}\n{_DUR_HELP}\n"
        f"--capacity {CLEAR} removes the limit on seats.\n\n"
        "examples:\n"
        '  hallway event edit ID --at "tomorrow 16:00"\n'
        '  hallway event edit ID --where "Room 3" --capacity 12',
    )
    _id(edit)
    edit.add_argument("--title", metavar="T", help="a new title (1 to 120 characters)")
    _fields(edit, creating=False)

    cancel = add(
        "cancel",
        "cancel an event you organise; everyone sees it cancelled",
        "example:\n  hallway event cancel ID",
    )
    _id(cancel)

    ics = add(
        "ics",
        "print iCalendar (RFC 5545): one event, or every one not ended (cancelled ones marked so)",
        "examples:\n  hallway event ics > office.ics\n  hallway event ics ID > brainstorm.ics",
    )
    ics.add_argument(
        "id",
        metavar="ID",
        nargs="?",
        type=event_id_arg,
        help="the event (default: every one not ended)",
    )


def _id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", metavar="ID", type=event_id_arg, help="the event's id (see list)")


def _json(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--json", action="store_true", help=f"print {what}")


def _fields(parser: argparse.ArgumentParser, *, creating: bool) -> None:
    parser.add_argument(
        "--at", metavar="TIME", required=creating, type=when_arg, help="when it starts"
    )
    parser.add_argument(
        "--duration",
        metavar="DUR",
        type=duration_arg,
        help="how long it lasts" + (" (default 30m)" if creating else ""),
    )
    parser.add_argument("--where", metavar="PLACE", help="where (80 characters at most)")
    parser.add_argument(
        "--capacity",
        metavar="N",
        type=capacity_arg if creating else capacity_or_clear_arg,
        default=None if creating else argparse.SUPPRESS,
        help=f"seats, 1 to {CAPACITY_MAX:,} (default: no limit)"
        if creating
        else f"seats, 1 to {CAPACITY_MAX:,}, or {CLEAR}",
    )
    parser.add_argument("--note", metavar="TEXT", help="more about it (1,000 characters at most)")
    parser.add_argument(
        "--remind",
        metavar="DUR",
        type=remind_arg,
        help="remind those going (and you) this long before the start"
        + (" (default 10m; 0: at the start)" if creating else "; 0: at the start"),
    )
