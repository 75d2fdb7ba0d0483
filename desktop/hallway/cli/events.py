"""`hallway event ...` (issue 10): office events through the running instance's control socket.

Mistakes found here, before the node is asked, are usage errors (exit 2); what the node refuses
(an unknown id, someone else's event, an answer after the start) comes back as a `ControlError`
(exit 1).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from typing import Any

import msgspec

from hallway.cli.event_output import event_details, events_table, your_answer
from hallway.cli.meetup_text import quoted, view_of, when_text
from hallway.cli.output import Style, message, write_json, write_line
from hallway.control.client import ControlClient
from hallway.control.transport import ControlError
from hallway.core.errors import UsageError
from hallway.core.meetups import (
    DEFAULT_DURATION,
    DEFAULT_REMIND,
    Answer,
    EventSpec,
    EventView,
    MeetupError,
    check_event,
)
from hallway.core.model import one_line

__all__ = ["run_event"]

_EDITABLE = ("title", "at", "duration", "where", "capacity", "note", "remind")


def run_event(args: argparse.Namespace, client: ControlClient, style: Style) -> int:
    match args.event_command:
        case "create":
            _create(args, client)
        case "list":
            results = client.request("events", include_past=args.all)
            if args.json:
                write_json(results)
            else:
                views = [_view(obj) for obj in results]
                write_line(events_table(views, style, _now(), me=_my_id(client, views)))
        case "show":
            result = client.request("event", id=args.id)
            if args.json:
                write_json(result)
            else:
                view = _view(result)
                write_line(event_details(view, style, _now(), me=_my_id(client, [view])))
        case "rsvp":
            view = _view(client.request("event_rsvp", id=args.id, answer=str(args.answer)))
            _answered(view, _my_id(client, [view]))
        case "edit":
            _edit(args, client)
        case "cancel":
            view = _view(client.request("event_cancel", id=args.id))
            message(f"Cancelled {quoted(view.title)}; everyone sees it cancelled.")
        case "ics":
            sys.stdout.write(client.request("event_ics", id=args.id))
            sys.stdout.flush()
    return 0


def _now() -> datetime:
    return datetime.now().astimezone()


def _view(obj: Any) -> EventView:
    try:
        return view_of(obj)
    except ValueError as exc:
        raise ControlError(f"the running Hallway sent an unreadable event: {exc}") from None


def _my_id(client: ControlClient, views: list[EventView]) -> str | None:
    """Our peer id, asked for only when it tells a seat from a place on a waitlist."""
    if not any(v.mine is Answer.GOING and v.waitlist for v in views):
        return None
    return str(client.request("status_get").get("id", "")) or None


def _create(args: argparse.Namespace, client: ControlClient) -> None:
    spec = EventSpec(
        title=" ".join(args.title),
        start=args.at.timestamp(),
        duration=DEFAULT_DURATION if args.duration is None else args.duration.total_seconds(),
        where=args.where or "",
        capacity=args.capacity,
        note=args.note or "",
        remind=DEFAULT_REMIND if args.remind is None else args.remind.total_seconds(),
    )
    try:
        spec = check_event(spec, now=time.time())
    except MeetupError as exc:
        raise UsageError(str(exc)) from None
    result = client.request(
        "event_create",
        title=spec.title,
        start=spec.start,
        duration=spec.duration,
        where=spec.where,
        capacity=spec.capacity,
        note=spec.note,
        remind=spec.remind,
    )
    if args.json:
        write_json(result)
    else:
        view = _view(result)
        write_line(view.id)
        message(f"Created {quoted(view.title)}, {when_text(view, _now())}.")


def _edit(args: argparse.Namespace, client: ControlClient) -> None:
    given = {key: getattr(args, key) for key in _EDITABLE if getattr(args, key, None) is not None}
    clear_capacity = "capacity" in vars(args) and args.capacity is None
    if not given and not clear_capacity:
        raise UsageError(
            "nothing to change: give --title, --at, --duration, --where, --capacity, --note "
            "or --remind"
        )
    changes: dict[str, Any] = {}
    if "at" in given:
        changes["start"] = given.pop("at").timestamp()
    for key in ("duration", "remind"):
        if key in given:
            changes[key] = given.pop(key).total_seconds()
    changes.update(given)
    changes = _checked(changes)
    if clear_capacity:
        changes["clear_capacity"] = True
    view = _view(client.request("event_edit", id=args.id, **changes))
    where = f" · {one_line(view.where)}" if view.where.strip() else ""
    message(
        f"Changed {quoted(view.title)}: {when_text(view, _now())}{where} · {view.seats_text()}."
    )


def _checked(changes: dict[str, Any]) -> dict[str, Any]:
    """The changes cleaned as `check_event` cleans an event; its refusals are usage errors.

    The fields that do not change stand in with valid values: only the node knows the event.
    """
    stand_in = EventSpec(title="-", start=time.time() + 60.0)
    try:
        spec = check_event(msgspec.structs.replace(stand_in, **changes), now=time.time())
    except MeetupError as exc:
        raise UsageError(str(exc)) from None
    return {key: getattr(spec, key) for key in changes}


def _answered(view: EventView, me: str | None) -> None:
    title = quoted(view.title)
    state = your_answer(view, me, _now())
    if state.startswith("waiting"):
        place = state.removeprefix("waiting ")
        message(
            f"All seats of {title} are taken: you are on the waitlist {place}, and move up when "
            "a seat frees."
        )
    elif view.mine is Answer.GOING:
        message(f"You are going to {title}, {when_text(view, _now())} ({view.seats_text()}).")
    elif view.mine is Answer.MAYBE:
        message(f"You might go to {title}.")
    else:
        message(f"You are not going to {title}.")
