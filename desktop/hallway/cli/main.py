"""The `hallway` entry point ([project.scripts] hallway = "hallway.cli.main:main").

Exit status: 0 ok, 1 error, 2 usage error, 3 no instance running for the home, 4 no reply to
a knock in time (`knock --wait`), 130 when a
client command is interrupted (Ctrl-C; SIGTERM stops `watch` with 0). A person's
mistake never prints a traceback; an unexpected error prints one line and a hint to report it,
and the traceback only with HALLWAY_DEBUG=1.
"""

from __future__ import annotations

import os
import sys

from hallway.cli.flags import parse_flags
from hallway.cli.knowledge_parser import KNOWLEDGE_COMMANDS
from hallway.cli.output import message
from hallway.control.transport import ControlError, NotRunning
from hallway.core.errors import HallwayError, UsageError
from hallway.store.home import resolve_home

TYPE_CHECKING = False  # typing's own would import typing: 11 ms of every client command
if TYPE_CHECKING:
    import argparse  # loaded with hallway.cli.parser, unless `parse_flags` read the line
    from collections.abc import Sequence
    from typing import Final

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_RUNNING",
    "EXIT_NO_REPLY",
    "EXIT_OK",
    "EXIT_USAGE",
    "main",
]

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_USAGE: Final = 2
EXIT_NOT_RUNNING: Final = 3
EXIT_NO_REPLY: Final = 4  # hallway.cli.knocks
# 128 + SIGINT, as hallway.cli.signals says it (whose `signal` import a client need not pay for).
EXIT_INTERRUPTED: Final = 130

DEBUG_ENV: Final = "HALLWAY_DEBUG"
_ISSUES: Final = "https://github.com/hallway-app/hallway/issues"
_CLIENT_COMMANDS: Final = frozenset(
    {"status", "post", "peers", "feed", "watch", "event", "knock", "knocks"} | KNOWLEDGE_COMMANDS
)


def main(argv: Sequence[str] | None = None) -> int:  # noqa: PLR0911 -- one per exit status
    words = sys.argv[1:] if argv is None else list(argv)
    # `hallway peers [--json]` needs no argparse (cli.flags); usage errors: argparse's message
    # and status 2.
    args = parse_flags(words) or _parse(words)
    if args.command not in _CLIENT_COMMANDS:
        # Client commands log nothing (they do not import logging): their start stays short.
        _configure_logging()
    _tolerate_any_terminal()
    home: str | None = None
    try:
        if args.command == "demo":  # its home is a temporary one unless --home names one
            from hallway.cli.demo_app import run_demo

            return run_demo(args, args.home)
        home = resolve_home(args.home)
        return _dispatch(args, home)
    except UsageError as exc:
        usage = _usage_parser(args, words)
        usage.print_usage(sys.stderr)
        message(f"{usage.prog}: error: {exc}")
        return EXIT_USAGE
    except NotRunning:
        message(
            f"No Hallway is running for home {home}. Start one with `hallway node` or `hallway`."
        )
        return EXIT_NOT_RUNNING
    except (ControlError, HallwayError) as exc:
        message(f"hallway: {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK  # the reader went away (`| head`); nothing more to say
    except Exception as exc:  # noqa: BLE001 -- the last line of defence: one line, not a traceback
        return _unexpected(exc)


def _parse(words: list[str]) -> argparse.Namespace:
    return _parse_with(_parser_for(words), words)


def _parser_for(words: list[str]) -> argparse.ArgumentParser:
    from hallway.cli.parser import build_parser, command_in, names_no_command

    # A client command builds its own subparser alone; the tray app (no command) none.
    return build_parser("" if names_no_command(words) else command_in(words))


def _parse_with(parser: argparse.ArgumentParser, words: list[str]) -> argparse.Namespace:
    from hallway.cli.parser import parse_command_line

    return parse_command_line(parser, words)


def _usage_parser(args: argparse.Namespace, words: list[str]) -> argparse.ArgumentParser:
    """The parser whose usage goes with a usage error: the command's own, else the top level's."""
    usage: argparse.ArgumentParser | None = getattr(args, "usage_parser", None)
    if usage is None:  # parsed by `parse_flags`, or no command: ask argparse (it parses alike)
        parser = _parser_for(words)
        usage = getattr(_parse_with(parser, words), "usage_parser", parser)
    return usage


def _dispatch(args: argparse.Namespace, home: str) -> int:
    # Imports per command: `hallway status` need not load the engine's runtime, nor Qt.
    command = args.command
    if command is None:
        from hallway.cli.app import run_tray

        return run_tray(home)
    if command in _CLIENT_COMMANDS:
        from hallway.cli.commands import run_client_command

        return run_client_command(args, home)
    if command == "init":
        from hallway.cli.commands import run_init

        return run_init(args, home)
    if command == "node":
        return _node(args, home)
    if command == "quiet":
        from pathlib import Path

        from hallway.cli.commands import client_for
        from hallway.cli.knocks import run_quiet

        return run_quiet(args, Path(home), client_for(home))
    raise UsageError(f"unknown command {command!r}")


def _node(args: argparse.Namespace, home_text: str) -> int:
    from pathlib import Path

    from hallway.cli.commands import passphrase_for
    from hallway.cli.node import run_headless

    home = Path(home_text)
    return run_headless(
        home,
        as_json=args.json,
        name=args.name,
        office=args.office,
        passphrase=passphrase_for(args, home, confirm=False),
        open_office=args.open_office,
        interface=args.interface,
        port=args.port,
        peers=args.peers,
    )


def _configure_logging() -> None:
    import logging

    debug = os.environ.get(DEBUG_ENV) == "1"
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s" if debug else "hallway: %(message)s",
        stream=sys.stderr,
    )


def _tolerate_any_terminal() -> None:
    # A terminal that cannot show an emoji in a colleague's status must not crash the command.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")


def _unexpected(exc: BaseException) -> int:
    import traceback

    message(f"hallway: unexpected error: {type(exc).__name__}: {exc}")
    if os.environ.get(DEBUG_ENV) == "1":
        traceback.print_exception(exc, file=sys.stderr)
    else:
        message(
            f"This is a bug in Hallway. Run again with {DEBUG_ENV}=1 for the details, and "
            f"please report them at {_ISSUES}."
        )
    return EXIT_ERROR
