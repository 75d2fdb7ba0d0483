"""`init` and the client commands, which talk to the running instance through its control socket."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from hallway.cli.knowledge_parser import KNOWLEDGE_COMMANDS
from hallway.cli.output import (
    Style,
    event_line,
    message,
    peers_table,
    status_line,
    write_json,
    write_line,
)
from hallway.control.client import ControlClient
from hallway.control.office import OFFICE_ONLINE, office_online
from hallway.core.errors import UsageError
from hallway.store.home import control_socket_path

TYPE_CHECKING = False  # typing's own would import typing: 11 ms of every client command
if TYPE_CHECKING:
    import argparse  # the arguments' type; `hallway peers` parses without argparse (cli.argv)
    from pathlib import Path  # a client command's home is a str: see hallway.store.home
    from typing import Any, TypeGuard

# Each command imports what it alone needs (the runtime, msgspec's schemas, the config...):
# `hallway peers` should start in little more than Python's own start-up time.

__all__ = ["client_for", "passphrase_for", "run_client_command", "run_init"]


def client_for(home: str | os.PathLike[str]) -> ControlClient:
    return ControlClient(control_socket_path(home))


def passphrase_for(args: argparse.Namespace, home: Path, *, confirm: bool) -> str | None:
    """The office passphrase from --passphrase-file or a prompt; None when none is needed."""
    from hallway.identity import prompt_passphrase, read_passphrase_file
    from hallway.store.config import load_config

    office: str | None = args.office
    if office is None:
        if args.passphrase_file is not None:
            raise UsageError("--passphrase-file goes with --office NAME")
        return None
    if args.passphrase_file is not None:
        return read_passphrase_file(args.passphrase_file)
    if not confirm:
        # `node --office X` for a home already in office X reuses its stored key.
        config = load_config(home)
        if config is not None and config.office == office.strip():
            return None
    if sys.stdin is None or not sys.stdin.isatty():
        raise UsageError(
            f"joining the office {office!r} needs its passphrase: --passphrase-file FILE, "
            "or run this on a terminal to type it"
        )
    message(f"Passphrase of the office {office!r}.")
    return prompt_passphrase(confirm=confirm)


def run_init(args: argparse.Namespace, home_text: str) -> int:
    from pathlib import Path

    from hallway.runtime import init_home

    home = Path(home_text)
    passphrase = passphrase_for(args, home, confirm=True)
    config = init_home(
        home,
        name=args.name,
        office=args.office,
        passphrase=passphrase,
        open_office=args.open_office,
        interface=args.interface,
        peers=args.peers,
    )
    office = f"the office {config.office!r}" if config.office else "an open office"
    message(f"Hallway is set up in {home} for {config.name}, in {office}.")
    message("Start it with `hallway` (the tray app) or `hallway node`.")
    return 0


def run_client_command(args: argparse.Namespace, home: str) -> int:  # noqa: PLR0911 -- per command
    """`status`, `post`, `peers`, `feed`, `watch`, `event`, `knock`, `knocks`, and `reply`,
    `answer`, `ack`, `acks`, `thread`, `edit`, `delete`. Raises `NotRunning`, `ControlError`."""
    client = client_for(home)
    style = Style(sys.stdout)
    match args.command:
        case "status":
            return _status(args, client, style)
        case "post":
            from hallway.cli.knowledge import run_post

            return run_post(args, client)
        case "peers":
            peers = client.request("peers")
            _print(args, peers, lambda: peers_table(peers, style))
        case "feed":
            from hallway.cli.knowledge import run_feed

            return run_feed(args, client, style)
        case command if command in KNOWLEDGE_COMMANDS:
            from hallway.cli.knowledge import run_knowledge

            return run_knowledge(args, client, style)
        case "watch":
            return _watch(args, client, style)
        case "event":
            from hallway.cli.events import run_event

            return run_event(args, client, style)
        case "knock":
            from hallway.cli.knocks import run_knock

            return run_knock(args, client)
        case "knocks":
            from hallway.cli.knocks import run_knocks

            return run_knocks(args, client, style)
    return 0


def _print(args: argparse.Namespace, value: Any, human: Callable[[], str]) -> None:
    if args.json:
        write_json(value)
    else:
        write_line(human())


def office_line(counts: dict[str, int]) -> str:
    """Issue 14: "7 online across 2 networks", from `office_online`'s counts."""
    online, networks = counts["online"], counts["networks"]
    return f"{online} online across {networks} network{'s' if networks != 1 else ''}"


def _status(args: argparse.Namespace, client: ControlClient, style: Style) -> int:
    if args.status_command is None:
        mine = client.request("status_get")
        # The node counts the office (control.office); a node from before that does not.
        counts = mine.pop(OFFICE_ONLINE, None)
        _print(args, mine, lambda: status_line(mine, style))
        if not args.json:
            if not _counts_ok(counts):
                counts = office_online(mine, client.request("peers"))
            write_line(office_line(counts))
        return 0
    if args.status_command == "clear":
        mine = client.request("status_clear")
        message(f"Status cleared. {status_line(mine, Style(sys.stderr))}")
        return 0
    from hallway.core.model import STATUS_TEXT_MAX

    text = " ".join(args.text)
    if len(text) > STATUS_TEXT_MAX:
        raise UsageError(
            f"the status text is {len(text)} characters long; the limit is {STATUS_TEXT_MAX}"
        )
    until: float | None = None
    if args.duration is not None:
        until = time.time() + args.duration.total_seconds()
    elif args.until is not None:
        until = args.until.timestamp()
    mine = client.request(
        "status_set", presence=args.presence.value, text=text, emoji=args.emoji, until=until
    )
    message(f"Status set. {status_line(mine, Style(sys.stderr))}")
    return 0


def _counts_ok(counts: object) -> TypeGuard[dict[str, int]]:
    return isinstance(counts, dict) and all(
        type(counts.get(key)) is int for key in ("online", "networks")
    )


def _watch(args: argparse.Namespace, client: ControlClient, style: Style) -> int:
    """Until the instance stops (its `stopped` event ends the stream), or SIGINT/SIGTERM.

    Ctrl-C exits with `EXIT_INTERRUPTED`, as for any interrupted command; SIGTERM is a request
    to stop, which `watch` honours with 0, like `hallway node`.
    """
    from hallway.cli.signals import Terminate, terminate_on_signals

    try:
        with terminate_on_signals() as wait, client.watch(wait) as events:
            for event in events:
                if args.json:
                    write_json(event)
                else:
                    write_line(event_line(event, style))
    except Terminate as stop:
        return stop.exit_status
    return 0
