"""The arguments of `hallway knock`, `hallway knocks` and `hallway quiet` (issue 12):

hallway knock PEER [TEXT ...] [--urgent] [--wait [SECONDS]]
hallway knock reply ID yes|later|no|TEXT ...
hallway knocks [--json]
hallway quiet                      (show)
hallway quiet set 18:00-08:00 [--weekends]
hallway quiet off
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Final, Protocol

from hallway.cli.flags import add_flags
from hallway.core.errors import DurationError
from hallway.core.knocks import DEFAULT_TEXT
from hallway.core.quiet import QuietHours, parse_quiet

__all__ = ["DEFAULT_WAIT", "add_knock_commands", "quiet_arg", "seconds_arg"]

Command = Callable[[str, str, str], argparse.ArgumentParser]


class Formatter(Protocol):
    def __call__(self, prog: str) -> argparse.HelpFormatter: ...


_HOME_HELP = "the instance's directory (default: $HALLWAY_HOME, or the user data directory)"

DEFAULT_WAIT: Final = 300.0  # `--wait` without SECONDS: five minutes
WAIT_MAX: Final = 12 * 3600.0


def seconds_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= WAIT_MAX:
        raise argparse.ArgumentTypeError(f"choose from 1 to {WAIT_MAX:.0f} seconds")
    return value


def quiet_arg(text: str) -> QuietHours:
    try:
        return parse_quiet(text)
    except DurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_knock_commands(command: Command, formatter: Formatter) -> None:
    knock = command(
        "knock",
        "knock on a colleague's door: a private nudge, or reply to one",
        f'TEXT defaults to "{DEFAULT_TEXT}" (140 characters at most).\n'
        "PEER is a name, a unique start of a name or id, or an id.\n"
        "The knock waits (on disk) until both of you are online, 12 hours at most; someone in\n"
        "Do not disturb sees it when that ends (unless it is --urgent), someone in quiet hours\n"
        "when they end.\n\n"
        "examples:\n"
        "  hallway knock ben\n"
        '  hallway knock ben "Lunch?" --wait 120\n'
        "  hallway knock reply 3f9a1c2b4d5e6f70 later\n"
        '  hallway knock reply 3f9a1c2b4d5e6f70 "Give me ten minutes"\n\n'
        "Exit status 4: --wait saw no reply in time (or the knock expired).",
    )
    knock.usage = "%(prog)s PEER [TEXT ...] [--urgent] [--wait [SECONDS]]\n" + (
        " " * len("usage: ") + "%(prog)s reply ID yes|later|no|TEXT ..."
    )
    knock.add_argument(
        "words", metavar="PEER [TEXT]", nargs="+", help="who, and what to say (optional)"
    )
    knock.add_argument(
        "--urgent", action="store_true", help="show it even to someone in Do not disturb"
    )
    knock.add_argument(
        "--wait",
        metavar="SECONDS",
        nargs="?",
        type=seconds_arg,
        const=DEFAULT_WAIT,
        help=f"wait for the reply and print it (default {DEFAULT_WAIT:.0f} s)",
    )

    knocks = command(
        "knocks",
        "list the knocks you sent and received, with their state",
        "examples:\n  hallway knocks\n  hallway knocks --json | jq '.[] | select(.outgoing)'",
    )
    add_flags(knocks, "knocks")

    quiet = command(
        "quiet",
        "show or change this machine's quiet hours",
        "During quiet hours, pop-ups and knocks wait until they end (urgent posts still show).\n"
        "They are saved in config.toml, and a running Hallway follows them at once.\n\n"
        "examples:\n"
        "  hallway quiet\n"
        "  hallway quiet set 18:00-08:00 --weekends\n"
        "  hallway quiet off",
    )
    actions = quiet.add_subparsers(dest="quiet_command", metavar="ACTION")
    quiet_set = actions.add_parser(
        "set",
        help="set the daily window, e.g. 18:00-08:00",
        description="Set the daily window of quiet hours (it may cross midnight).",
        formatter_class=formatter,
        allow_abbrev=False,
    )
    quiet_set.add_argument(
        "window", metavar="START-END", type=quiet_arg, help="e.g. 18:00-08:00 or 6pm-8am"
    )
    quiet_set.add_argument("--weekends", action="store_true", help="all of Saturday and Sunday too")
    quiet_set.add_argument("--home", metavar="DIR", default=argparse.SUPPRESS, help=_HOME_HELP)
    quiet_set.set_defaults(usage_parser=quiet_set)
    quiet_off = actions.add_parser(
        "off",
        help="no quiet hours",
        description="Turn quiet hours off.",
        formatter_class=formatter,
        allow_abbrev=False,
    )
    quiet_off.add_argument("--home", metavar="DIR", default=argparse.SUPPRESS, help=_HOME_HELP)
    quiet_off.set_defaults(usage_parser=quiet_off)
