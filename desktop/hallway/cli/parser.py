"""The `hallway` command line: its arguments, help and argument types.

The command-line contract (issue 2) is relied on by other tools and tests; keep it stable:

    hallway [--home DIR] init --name NAME (--open | --office NAME --passphrase-file FILE)
                              [--peer HOST[:PORT]]...
    hallway [--home DIR] node [--name NAME] [--open | --office NAME --passphrase-file FILE]
                              [--interface ADDR] [--port PORT] [--peer HOST[:PORT]]... [--json]
    hallway [--home DIR] status [--json]
    hallway [--home DIR] status set PRESENCE [TEXT] [--emoji E] [--for DURATION | --until TIME]
    hallway [--home DIR] status clear
    hallway [--home DIR] post TEXT [--urgent] [--question] [--ack] [--json]
    hallway [--home DIR] reply|answer|ack|acks|thread|edit|delete ...
                              (issue 11; see hallway.cli.knowledge_parser)
    hallway [--home DIR] peers [--json]
    hallway [--home DIR] feed [--json] [--limit N] [--questions | --search WORDS]
    hallway [--home DIR] watch [--json]
    hallway [--home DIR] event ACTION ...  (issue 10; see hallway.cli.event_parser)
    hallway [--home DIR] knock PEER [TEXT] [--urgent] [--wait [SECONDS]]
    hallway [--home DIR] knock reply ID yes|later|no|TEXT
    hallway [--home DIR] knocks [--json]
    hallway [--home DIR] quiet [set START-END [--weekends] | off]   (issue 12: cli.knock_parser)
    hallway [--home DIR] demo [--colleagues N] [--headless]
    hallway --version
    hallway [--home DIR]            (the tray app)
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from hallway import __version__
from hallway.cli.flags import ACTIONS_DEST, add_flags
from hallway.cli.knowledge_parser import (
    KNOWLEDGE_COMMANDS,
    add_feed_options,
    add_knowledge_commands,
    add_post_options,
)
from hallway.control.transport import FEED_LIMIT_MAX
from hallway.core.errors import DurationError

TYPE_CHECKING = False  # typing's own would import typing: 11 ms of every client command
if TYPE_CHECKING:
    from typing import Final

    from hallway.cli.event_parser import Subparsers
    from hallway.core.model import Presence  # loaded by presence_arg, for `status set` alone

__all__ = [
    "COMMANDS",
    "build_parser",
    "command_in",
    "duration_arg",
    "emoji_arg",
    "limit_arg",
    "parse_command_line",
    "presence_arg",
    "until_arg",
]

_ALIASES: Final = {
    "available": "available",
    "here": "available",
    "away": "away",
    "busy": "busy",
    "dnd": "dnd",
    "do-not-disturb": "dnd",
    "do_not_disturb": "dnd",
}
_PRESENCES: Final = "choose available, away, busy or dnd"


def presence_arg(text: str) -> Presence:
    from hallway.core.model import Presence

    try:
        return Presence(_ALIASES[text.strip().lower()])
    except KeyError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a presence; {_PRESENCES}") from None


def duration_arg(text: str) -> timedelta:
    from hallway.core.durations import parse_duration

    try:
        return parse_duration(text)
    except DurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def emoji_arg(text: str) -> str:
    """One emoji, or "" for none."""
    from hallway.core.emoji import EMOJI_EXAMPLES, is_emoji

    emoji = text.strip()
    if emoji and not is_emoji(emoji):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not one emoji; give a single emoji such as {EMOJI_EXAMPLES}"
        )
    return emoji


def until_arg(text: str) -> datetime:
    from hallway.core.durations import until_time

    try:
        return until_time(text, datetime.now().astimezone())
    except DurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def limit_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= FEED_LIMIT_MAX:
        raise argparse.ArgumentTypeError(f"choose a number from 1 to {FEED_LIMIT_MAX}")
    return value


_MAIN_EPILOG = """\
Without a command, hallway starts the tray app.

Get started:
  hallway init --name "Ann" --open          set up an open office (everyone on the LAN sees it)
  hallway init --name "Ann" --office "Acme" set up a closed office (asks for its passphrase)
  hallway                                   start the tray app
  hallway node                              or run headless, printing what happens

Then, from any terminal:
  hallway status set busy "In a call" --for 45m
  hallway post "Cake in the kitchen #treats"
  hallway post --question "Who knows how to reset the badge printer?"
  hallway feed --search badge
  hallway peers
  hallway event create "Brainstorm" --at "tomorrow 15:00" --where "Room 2"
  hallway knock ben "Got a minute?"

Exit status: 0 ok, 1 error, 2 usage error, 3 no Hallway running for the home,
4 no reply in time (knock --wait), 130 interrupted (Ctrl-C).
Environment: HALLWAY_HOME (the default for --home), NO_COLOR, HALLWAY_DEBUG=1 (tracebacks).
"""

_OFFICE_HELP = "join the closed office NAME (passphrase from --passphrase-file, or a prompt)"
_OPEN_HELP = "use an open office: anyone on the local network can see and join it"
_PASSFILE_HELP = "read the office passphrase from the first line of FILE (for scripts and services)"


# Options whose value may look like an option: argparse takes `--for -5m` for two options and
# says only "expected one argument"; `--for=-5m` reaches the value's own, clearer check.
_VALUE_OPTIONS: Final = frozenset(
    {
        "--for",
        "--until",
        "--limit",
        "--port",
        "--colleagues",
        "--duration",
        "--capacity",
        "--remind",
    }
)
_NEGATIVE: Final = re.compile(r"-[\d.]")


def parse_command_line(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None = None
) -> argparse.Namespace:
    """`parser.parse_args`, plus the checks argparse cannot express. Usage errors exit 2."""
    args = parser.parse_args(_attach_negative_values(sys.argv[1:] if argv is None else argv))
    if getattr(args, "status_command", None) == "set" and args.presence is None:
        # PRESENCE is optional to argparse only so that this message can list the choices.
        args.usage_parser.error(f"PRESENCE is required: {_PRESENCES}")
    if args.command == "event" and args.event_command is None:
        from hallway.cli.event_parser import ACTIONS

        args.usage_parser.error(f"what should it do? Choose {ACTIONS}")
    return args


def _attach_negative_values(argv: Sequence[str]) -> list[str]:
    out: list[str] = []
    words = iter(argv)
    for word in words:
        out.append(word)
        if word == "--":  # the rest are positionals
            out.extend(words)
            break
        if word in _VALUE_OPTIONS:
            value = next(words, None)
            if value is not None and _NEGATIVE.match(value):
                out[-1] = f"{word}={value}"
            elif value is not None:
                out.append(value)
    return out


def _formatter(prog: str) -> argparse.HelpFormatter:
    # Given no width, argparse asks shutil, whose import (bz2, lzma, zlib) is ~5 ms of every
    # command: each add_argument makes a formatter. os answers the same question.
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=30, width=_columns() - 2)


def _columns() -> int:
    """The terminal's width as `shutil.get_terminal_size` finds it: $COLUMNS, stdout's
    terminal, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


def _home_option(parser: argparse.ArgumentParser, *, default: object) -> None:
    parser.add_argument(
        "--home",
        metavar="DIR",
        default=default,
        help="the instance's directory (default: $HALLWAY_HOME, or the user data directory)",
    )


def _port(text: str) -> int:
    if not text.isdecimal() or not 1024 <= int(text) <= 65534:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port from 1024 to 65534")
    return int(text)


def _seed(text: str) -> str:
    from hallway.core.seeds import SeedError, parse_seed

    try:
        parse_seed(text)
    except SeedError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


def _peer_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument(
        "--peer",
        dest="peers",
        metavar="HOST[:PORT]",
        type=_seed,
        action="append",
        default=[],
        help=help_text,
    )


def _json_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--json", action="store_true", help=f"print {what}")


def _office_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    office = parser.add_mutually_exclusive_group(required=required)
    office.add_argument("--open", dest="open_office", action="store_true", help=_OPEN_HELP)
    office.add_argument("--office", metavar="NAME", help=_OFFICE_HELP)
    parser.add_argument("--passphrase-file", metavar="FILE", help=_PASSFILE_HELP)
    parser.add_argument(
        "--interface",
        metavar="ADDR",
        help="the IPv4 address or interface name to use (default: every non-loopback one); "
        "127.0.0.1 keeps the office on this machine",
    )


def _action(actions: Subparsers, name: str, help_text: str, epilog: str) -> argparse.ArgumentParser:
    """A command (`hallway peers`) or a second-level one (`hallway event create`). Its usage
    errors show its own usage (`usage_parser`)."""
    sub = actions.add_parser(
        name,
        help=help_text,
        description=help_text[0].upper() + help_text[1:] + ".",
        epilog=epilog,
        formatter_class=_formatter,
        allow_abbrev=False,
    )
    _home_option(sub, default=argparse.SUPPRESS)
    sub.set_defaults(usage_parser=sub)
    return sub


Command = Callable[[str, str, str], argparse.ArgumentParser]


class _Parser(argparse.ArgumentParser):
    """A parser whose epilog may be made only when its help is printed (`later`): help that
    needs a heavy import (emoji data) costs nothing to a command that does not print it."""

    later: Callable[[], str] | None = None

    def format_help(self) -> str:
        if self.later is not None:
            self.epilog, self.later = self.later(), None
        return super().format_help()


def _status_set_epilog() -> str:
    from hallway.core.durations import UNTIL_WORDS_HELP
    from hallway.core.emoji import EMOJI_EXAMPLES

    return (
        "PRESENCE is one of available, away, busy, dnd (or do-not-disturb).\n"
        f"E is exactly one emoji, such as {EMOJI_EXAMPLES}.\n"
        "DURATION is positive: 45m, 2h, 1h30m, 90s, 1d (30 days at most).\n"
        "TIME: 15:30 or 3pm (the next one to come), or a word:\n"
        f"  {UNTIL_WORDS_HELP}.\n\n"
        "examples:\n"
        '  hallway status set busy "In a call until 3" --until 15:00\n'
        "  hallway status set dnd --for 2h\n"
        "  hallway status set available"
    )


def _init(command: Command) -> None:
    init = command(
        "init",
        "set up a home: your name, the office, and this machine's keys",
        "examples:\n"
        '  hallway init --name "Ann Smith" --open\n'
        '  hallway init --name "Ann Smith" --office "Acme Ltd"\n'
        '  hallway init --name "Build bot" --office "Acme Ltd" --passphrase-file /etc/acme.pass',
    )
    init.add_argument("--name", required=True, help="your name, as colleagues will see it")
    _office_options(init, required=True)
    _peer_option(
        init,
        "a colleague on another network (an address or name, and its --port; default: this "
        "office's port) who introduces you to the office; saved, repeatable",
    )


def _node(command: Command) -> None:
    node = command(
        "node",
        "run Hallway headless and print what happens",
        "With init's options, a new home is set up in the same step.\n\n"
        "examples:\n"
        "  hallway node\n"
        "  hallway node --json | jq .\n"
        "  hallway --home /tmp/ben node --name Ben --open --interface 127.0.0.1",
    )
    node.add_argument("--name", help="your name (sets it up, or changes it)")
    _office_options(node, required=False)
    node.add_argument(
        "--port",
        type=_port,
        default=0,
        help="listen on PORT (requests), PORT+1 (updates) and PORT+2 (colleagues asking to "
        "meet the office), e.g. for a firewall rule (default: any free ports)",
    )
    _peer_option(
        node,
        "a colleague on another network (an address or name, and its --port; default: this "
        "node's --port) who introduces you to the office; for this run, repeatable",
    )
    add_flags(node, "node")


def _status(command: Command) -> None:
    from hallway.core.durations import END_OF_DAY, MORNING

    status = command(
        "status",
        "show or change your status",
        "examples:\n"
        "  hallway status\n"
        '  hallway status set busy "In a call" --for 45m\n'
        '  hallway status set away "Lunch" --emoji 🍜 --until 13:30\n'
        "  hallway status clear",
    )
    add_flags(status, "status")
    status_commands = status.add_subparsers(dest=ACTIONS_DEST["status"], metavar="ACTION")
    status_set = status_commands.add_parser(
        "set",
        help="set your presence and status text",
        description="Set your presence, with optional text, emoji and expiry.",
        usage="%(prog)s PRESENCE [TEXT ...] [--emoji E] [--for DURATION | --until TIME]",
        formatter_class=_formatter,
        allow_abbrev=False,
    )
    status_set.later = _status_set_epilog  # type: ignore[attr-defined]
    _home_option(status_set, default=argparse.SUPPRESS)
    status_set.set_defaults(usage_parser=status_set)
    status_set.add_argument(
        "presence",
        metavar="PRESENCE",
        type=presence_arg,
        nargs="?",  # required all the same: see parse_command_line
        help="available, away, busy or dnd",
    )
    status_set.add_argument(
        "text", metavar="TEXT", nargs="*", default=[], help="what you are up to (optional)"
    )
    status_set.add_argument(
        "--emoji", metavar="E", type=emoji_arg, default="", help="one emoji to go with it"
    )
    expiry = status_set.add_mutually_exclusive_group()
    expiry.add_argument(
        "--for", dest="duration", metavar="DURATION", type=duration_arg, help="clear it after this"
    )
    expiry.add_argument(
        "--until",
        metavar="TIME",
        type=until_arg,
        help=f"clear it at this time: 15:30, 3pm, today ({END_OF_DAY:%H:%M}) "
        f"or tomorrow ({MORNING:%H:%M} tomorrow)",
    )
    status_clear = status_commands.add_parser(
        "clear",
        help="back to available, with no text",
        description="Clear your status: available, with no text.",
        formatter_class=_formatter,
        allow_abbrev=False,
    )
    _home_option(status_clear, default=argparse.SUPPRESS)
    status_clear.set_defaults(usage_parser=status_clear)


def _post(command: Command) -> None:
    post = command(
        "post",
        "post an announcement or a question to the office; prints its id",
        "examples:\n"
        '  hallway post "Cake in the kitchen #treats"\n'
        '  hallway post --urgent "Fire drill at 11:00, please leave by the stairs"\n'
        '  hallway post --question "Who knows how to reset the badge printer?"\n'
        '  id=$(hallway post --ack "Fire drill at 15:00. Please confirm you read this")',
    )
    add_post_options(post)


def _peers(command: Command) -> None:
    peers = command(
        "peers",
        "list your colleagues and their status",
        "examples:\n  hallway peers\n  hallway peers --json | jq '.[] | select(.online)'",
    )
    add_flags(peers, "peers")


def _feed(command: Command) -> None:
    feed = command(
        "feed",
        "show recent posts and status changes, newest first; or search them",
        "Each post shows its id (to reply, answer, acknowledge or open its thread), and\n"
        "whether it is a question, answered, edited, its replies and acknowledgements.\n\n"
        "examples:\n"
        "  hallway feed --limit 10\n"
        "  hallway feed --questions\n"
        "  hallway feed --search badge printer\n"
        "  hallway feed --json",
    )
    _json_option(feed, "a JSON array")
    feed.add_argument(
        "--limit", metavar="N", type=limit_arg, default=20, help="how many items (default 20)"
    )
    add_feed_options(feed)


def _knowledge(command: Command) -> None:
    add_knowledge_commands(command)


def _watch(command: Command) -> None:
    watch = command(
        "watch",
        "follow what happens, live, until interrupted",
        "examples:\n  hallway watch\n  hallway watch --json | jq 'select(.type == \"post\")'",
    )
    add_flags(watch, "watch")


def _event(command: Command) -> None:
    from hallway.cli.event_parser import add_event_actions

    event = command(
        "event",
        "create, answer and list office events",
        "examples:\n"
        '  hallway event create "Brainstorm" --at "tomorrow 15:00" --duration 45m --capacity 8\n'
        "  hallway event list\n"
        "  hallway event rsvp ID going\n"
        "  hallway event ics > office.ics\n\n"
        "Run `hallway event ACTION --help` for each action's options.",
    )
    add_event_actions(event, _action)


def _knocks(command: Command) -> None:
    from hallway.cli.knock_parser import add_knock_commands

    add_knock_commands(command, _formatter)


def _demo(command: Command) -> None:
    demo = command(
        "demo",
        "try Hallway in a private office on this machine, with simulated colleagues",
        "Everything stays on 127.0.0.1: nothing reaches the network.\n\n"
        "examples:\n  hallway demo\n  hallway demo --headless",
    )
    demo.add_argument(
        "--colleagues", metavar="N", type=int, default=4, help="how many (1 to 8, default 4)"
    )
    demo.add_argument(
        "--headless", action="store_true", help="print events instead of starting the tray app"
    )


# The commands in the order `hallway --help` lists them, by the group that adds them.
_GROUPS: Final[tuple[tuple[frozenset[str], Callable[[Command], None]], ...]] = (
    (frozenset({"init"}), _init),
    (frozenset({"node"}), _node),
    (frozenset({"status"}), _status),
    (frozenset({"post"}), _post),
    (frozenset({"peers"}), _peers),
    (frozenset({"feed"}), _feed),
    (KNOWLEDGE_COMMANDS, _knowledge),
    (frozenset({"watch"}), _watch),
    (frozenset({"event"}), _event),
    (frozenset({"knock", "knocks", "quiet"}), _knocks),
    (frozenset({"demo"}), _demo),
)
COMMANDS: Final = frozenset().union(*(names for names, _ in _GROUPS))


def command_in(argv: Sequence[str]) -> str | None:
    """The command `argv` names, when nothing before it but `--home DIR` could make the parser
    print help, its version or an error of the top level; None otherwise."""
    words = iter(argv)
    for word in words:
        if word == "--home":
            value = next(words, None)
            if value is None or value.startswith("-"):
                return None
        elif not word.startswith("--home="):
            return word if word in COMMANDS else None
    return None


def names_no_command(argv: Sequence[str]) -> bool:
    """Whether `argv` is nothing but `--home DIR`: the tray app, which needs no command's
    parser (`build_parser("")`)."""
    words = list(argv)
    if words[:1] == ["--home"] and len(words) == 2:
        return not words[1].startswith("-")
    return len(words) <= 1 and all(w.startswith("--home=") for w in words)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line; with `only` (one of `COMMANDS`), the top level and that command alone;
    with "", the top level alone.

    Parsing a command needs nothing but its own subparser (argparse looks no further), so the
    client commands build only theirs: the whole tree costs a few milliseconds and imports every
    command's argument types. `hallway --help`, a mistyped command and no command get the whole
    tree, so that help and errors are the same either way.
    """
    parser = _Parser(
        prog="hallway",
        description="Hallway: presence, status and announcements for a small office, "
        "without a server.",
        epilog=_MAIN_EPILOG,
        formatter_class=_formatter,
        allow_abbrev=False,
    )
    _home_option(parser, default=None)
    parser.add_argument("--version", action="version", version=f"hallway {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    def command(name: str, help_text: str, epilog: str) -> argparse.ArgumentParser:
        # add_subparsers made `_Parser`s, which are ArgumentParsers (the generic is invariant).
        return _action(commands, name, help_text, epilog)  # type: ignore[arg-type]

    for names, add in _GROUPS:
        if only is None or only in names:
            add(command)
    return parser
