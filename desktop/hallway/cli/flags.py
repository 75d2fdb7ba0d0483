"""Command lines read without argparse: `[--home DIR] COMMAND [FLAG]...` for a command whose
options are all flags, such as `hallway peers --json`, or whose other options are left at their
defaults, such as `hallway node --json`.

Importing argparse (with the gettext and locale it loads) and building even one command's parser
are ~10 ms of a client command whose whole start should stay within 3x Python's own (issue 13),
and of a node's start, on the way to meeting the office.
`parse_flags` reads these plainest command lines from `FLAG_COMMANDS`, the table from which
`hallway.cli.parser` adds the same commands' options, and returns None for anything else, which
argparse then reads as ever: help, a mistake, `--`, an abbreviation, `--home` after the command,
a repeated `--home`, or a value argparse might take for an option. So help, messages and exit
statuses stay argparse's; tests/unit/cli/test_cli_flags.py checks that both read alike.
"""

from __future__ import annotations

from types import SimpleNamespace

TYPE_CHECKING = False  # typing's own would import typing: 11 ms of every client command
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import Final

__all__ = ["ACTIONS_DEST", "DEFAULTS", "FLAG_COMMANDS", "add_flags", "flag_dest", "parse_flags"]

#: Each command whose options are all flags (`store_true`): flag -> its help.
FLAG_COMMANDS: Final[dict[str, dict[str, str]]] = {
    "status": {"--json": "print your own entry as JSON"},
    "peers": {"--json": "print a JSON array"},
    "watch": {"--json": "print one JSON object per event (NDJSON)"},
    "knocks": {"--json": "print a JSON array"},
    "node": {"--json": "print one JSON object per event (NDJSON)"},
}
#: What a command of `FLAG_COMMANDS` with options that take values holds for them when none is
#: given (argparse's defaults; the tests compare them with the parser's): dest -> default.
DEFAULTS: Final[dict[str, dict[str, object]]] = {
    "node": {
        "name": None,
        "open_office": False,
        "office": None,
        "passphrase_file": None,
        "interface": None,
        "port": 0,
        "peers": [],
    },
}
#: Where a command with actions of its own (`status set`) keeps the action: None without one.
ACTIONS_DEST: Final = {"status": "status_command"}


def add_flags(parser: argparse.ArgumentParser, command: str) -> None:
    """Give the parser of `command` (one of `FLAG_COMMANDS`) its flags."""
    for flag, help_text in FLAG_COMMANDS[command].items():
        parser.add_argument(flag, action="store_true", help=help_text)


def flag_dest(flag: str) -> str:
    """The attribute argparse stores `flag` in: `--dry-run` in `dry_run`."""
    return flag[2:].replace("-", "_")


def parse_flags(words: Sequence[str]) -> argparse.Namespace | None:
    """The arguments argparse would parse from `words` (but `usage_parser`), or None when they
    are not `[--home DIR] COMMAND [FLAG]...` for a command of `FLAG_COMMANDS`."""
    home: str | None = None
    rest = list(words)
    if rest[:1] == ["--home"] and rest[1:]:
        home, rest = rest[1], rest[2:]
    elif rest and rest[0].startswith("--home="):
        home, rest = rest[0].removeprefix("--home="), rest[1:]
    if home is not None and (not home or home.startswith("-")):
        return None  # argparse's to refuse, or to read in its own way
    if not rest or rest[0] not in FLAG_COMMANDS:
        return None
    command, given = rest[0], rest[1:]
    flags = FLAG_COMMANDS[command]
    if any(word not in flags for word in given):
        return None
    values: dict[str, object] = {"home": home, "command": command}
    if command in ACTIONS_DEST:
        values[ACTIONS_DEST[command]] = None
    values.update({flag_dest(flag): flag in given for flag in flags})
    for dest, default in DEFAULTS.get(command, {}).items():  # a list of its own, as argparse's
        values[dest] = list(default) if isinstance(default, list) else default
    # The same attributes as argparse's Namespace; nothing compares or prints it by type.
    return SimpleNamespace(**values)  # type: ignore[return-value]
