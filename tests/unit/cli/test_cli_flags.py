"""`parse_flags` reads `[--home DIR] COMMAND [FLAG]...` as argparse does; the rest is argparse's."""

from __future__ import annotations

import argparse

import pytest

from hallway.cli import signals
from hallway.cli.flags import ACTIONS_DEST, DEFAULTS, FLAG_COMMANDS, flag_dest, parse_flags
from hallway.cli.main import EXIT_INTERRUPTED
from hallway.cli.parser import build_parser, parse_command_line

READ = [
    ["peers"],
    ["peers", "--json"],
    ["peers", "--json", "--json"],
    ["--home", "/tmp/x", "peers"],
    ["--home=/tmp/x", "peers", "--json"],
    ["--home", "peers", "peers"],
    ["--home", "a b", "status"],
    ["status", "--json"],
    ["watch"],
    ["knocks", "--json"],
    ["node"],
    ["--home", "/tmp/x", "node", "--json"],
]
LEFT_TO_ARGPARSE = [
    [],
    ["--version"],
    ["--help"],
    ["peers", "-h"],
    ["peers", "--help"],
    ["peers", "--js"],
    ["peers", "--json=yes"],
    ["peers", "extra"],
    ["peers", "--"],
    ["peers", "--home", "/tmp/x"],
    ["--home", "/a", "--home", "/b", "peers"],
    ["--home", "-x", "peers"],
    ["--home=", "peers"],
    ["--home"],
    ["--home", "/tmp/x"],
    ["peer"],
    ["status", "set", "busy"],
    ["status", "clear"],
    ["feed", "--json"],
    ["node", "--json", "--port", "7000"],
    ["node", "--name", "Ben", "--open"],
    ["node", "--peer", "198.18.0.2"],
]


def _argparse(argv: list[str]) -> dict[str, object]:
    found = vars(parse_command_line(build_parser(), argv))
    found.pop("usage_parser")
    return found


@pytest.mark.parametrize("argv", READ, ids=" ".join)
def test_parse_flags_reads_as_argparse_does(argv: list[str]) -> None:
    quick = parse_flags(argv)
    assert quick is not None
    assert vars(quick) == _argparse(argv)


@pytest.mark.parametrize("argv", LEFT_TO_ARGPARSE, ids=" ".join)
def test_anything_else_is_left_to_argparse(argv: list[str]) -> None:
    assert parse_flags(argv) is None


@pytest.mark.parametrize("command", sorted(FLAG_COMMANDS))
def test_the_table_is_every_option_of_its_commands(command: str) -> None:
    # An option added to one of these commands' parsers, and not to the table, would be missing
    # from what parse_flags returns: the table must be their whole set of options.
    top = build_parser(command)
    sub = next(a for a in top._actions if a.dest == "command").choices[command]  # type: ignore[index]
    assert isinstance(sub, argparse.ArgumentParser)
    defaults = DEFAULTS.get(command, {})
    flags = {o for a in sub._actions for o in a.option_strings if a.dest not in defaults}
    assert flags - {"-h", "--help", "--home"} == set(FLAG_COMMANDS[command])
    dests = {a.dest for a in sub._actions} - {"help", "home"}
    assert dests == {flag_dest(f) for f in FLAG_COMMANDS[command]} | set(defaults) | (
        {ACTIONS_DEST[command]} if command in ACTIONS_DEST else set()
    )
    assert {a.dest: a.default for a in sub._actions if a.dest in defaults} == defaults


def test_the_exit_status_of_an_interruption_is_the_same_everywhere() -> None:
    assert EXIT_INTERRUPTED == signals.EXIT_INTERRUPTED == 130


def test_a_default_list_is_a_new_one_each_time() -> None:
    first = parse_flags(["node"])
    assert first is not None
    first.peers.append("198.18.0.9")
    again = parse_flags(["node"])
    assert again is not None
    assert again.peers == [] == DEFAULTS["node"]["peers"]
