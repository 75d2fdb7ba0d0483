"""`hallway knock`, `hallway knocks` and `hallway quiet` (issue 12).

Knocks go through the running instance's control socket. Quiet hours are this home's setting:
`quiet set` and `quiet off` write config.toml, then tell a running instance, if there is one.
Mistakes found here are usage errors (exit 2); what the node refuses (an unknown or ambiguous
colleague, an unknown knock) comes back as a `ControlError` (exit 1).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any, Final

import msgspec

from hallway.cli.output import (
    Style,
    knocks_table,
    message,
    name_label,
    write_json,
    write_line,
)
from hallway.control.client import ControlClient, EventStream
from hallway.control.transport import NotRunning
from hallway.core.knocks import KnockError, check_knock_text, check_reply, held_note, is_knock_id
from hallway.core.model import one_line
from hallway.core.quiet import QuietHours, clock_text
from hallway.runtime import NotSetUp, UsageError
from hallway.store.config import load_config, save_config

__all__ = ["EXIT_NO_REPLY", "run_knock", "run_knocks", "run_quiet"]

EXIT_NO_REPLY: Final = 4
_REPLY_USAGE: Final = "hallway knock reply ID yes|later|no|TEXT"


def run_knock(args: argparse.Namespace, client: ControlClient) -> int:
    words: list[str] = args.words
    if words[0] == "reply":
        return _reply(args, client)
    peer, text = words[0], " ".join(words[1:])
    try:
        check_knock_text(text)
    except KnockError as exc:
        raise UsageError(str(exc)) from None
    if args.wait is None:
        _knock(client, peer, text, urgent=args.urgent)
        return 0
    from hallway.cli.signals import Terminate, terminate_on_signals

    # Watching starts before the knock is sent, so that no reply can come in between.
    try:
        with terminate_on_signals() as wait, client.watch(wait) as stream:
            knock = _knock(client, peer, text, urgent=args.urgent)
            return _wait_for_reply(stream, knock, float(args.wait))
    except Terminate as stop:
        return stop.exit_status


def _knock(client: ControlClient, peer: str, text: str, *, urgent: bool) -> dict[str, Any]:
    knock: dict[str, Any] = client.request("knock", peer=peer, text=text, urgent=urgent)
    write_line(str(knock.get("id", "")))
    message(f"You knocked on {name_label(knock)}'s door: {one_line(str(knock.get('text', '')))}")
    return knock


def _reply(args: argparse.Namespace, client: ControlClient) -> int:
    if args.urgent or args.wait is not None:
        raise UsageError("--urgent and --wait go with a knock, not with a reply")
    if len(args.words) < 3:
        raise UsageError(f"reply with what? {_REPLY_USAGE}")
    knock_id = args.words[1].strip().lower()
    if not is_knock_id(knock_id):
        raise UsageError(f"{args.words[1]!r} is not a knock's id; `hallway knocks` lists them")
    reply = " ".join(args.words[2:])
    try:
        check_reply(reply)
    except KnockError as exc:
        raise UsageError(str(exc)) from None
    knock = client.request("knock_reply", id=knock_id, reply=reply)
    message(f"You replied to {name_label(knock)}: {one_line(str(knock.get('reply', '')))}")
    return 0


def _wait_for_reply(stream: EventStream, knock: dict[str, Any], seconds: float) -> int:
    """Print the reply to `knock` when it comes; EXIT_NO_REPLY when none came in time. Ctrl-C
    ends the wait with `Terminate` (`EXIT_INTERRUPTED`), the knock still delivered."""
    knock_id, peer = knock.get("id"), knock.get("peer")
    who = name_label(knock)
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        event = stream.next_within(left)
        if event is None:
            if stream.closed:
                message("Hallway stopped before a reply came.")
                return EXIT_NO_REPLY
            continue
        about = event.get("knock")
        if not isinstance(about, dict) or about.get("id") != knock_id or event.get("peer") != peer:
            continue
        match event.get("type"):
            case "knock_delivered":
                if event.get("held"):
                    message(held_note(who, str(event.get("reason") or "")) + ".")
                else:
                    message(f"{who} sees your knock.")
            case "knock_reply":
                reply = one_line(str(about.get("reply", "")))
                write_line(reply)
                message(f"{who} replied: {reply}")
                return 0
            case "knock_expired":
                message(f"Your knock to {who} could not be delivered in time and was dropped.")
                return EXIT_NO_REPLY
    message(f"No reply from {who} within {seconds:g} s.")
    return EXIT_NO_REPLY


def run_knocks(args: argparse.Namespace, client: ControlClient, style: Style) -> int:
    knocks = client.request("knocks")
    if args.json:
        write_json(knocks)
    else:
        write_line(knocks_table(knocks, style))
    return 0


def run_quiet(args: argparse.Namespace, home: Path, client: ControlClient) -> int:
    config = load_config(home)
    if config is None:
        raise NotSetUp(home)
    if args.quiet_command is None:
        write_line(quiet_text(config.quiet))
        return 0
    quiet: QuietHours | None = None
    if args.quiet_command == "set":
        quiet = msgspec.structs.replace(args.window, weekends=args.weekends)
    save_config(home, msgspec.structs.replace(config, quiet=quiet))
    try:
        if quiet is None:
            client.request("quiet_off")
        else:
            client.request(
                "quiet_set",
                start=clock_text(quiet.start),
                end=clock_text(quiet.end),
                weekends=quiet.weekends,
            )
    except NotRunning:
        running = ""
    else:
        running = " The running Hallway follows them now."
    said = f"Quiet hours: {quiet.describe()}." if quiet is not None else "Quiet hours are off."
    message(said + running)
    return 0


def quiet_text(quiet: QuietHours | None) -> str:
    if quiet is None:
        return "No quiet hours. Set them with `hallway quiet set 18:00-08:00 [--weekends]`."
    from datetime import datetime

    now = datetime.now().astimezone()
    ends = quiet.ends_after(now)
    state = f" (quiet now, until {ends:%a %H:%M})" if ends is not None else ""
    return f"Quiet hours: {quiet.describe()}{state}."
