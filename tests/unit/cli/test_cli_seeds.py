"""`--peer` on `init` and `node`, the seed lines of `hallway node`, and the office line of
`hallway status` (issue 14)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hallway.cli.commands import office_line
from hallway.cli.output import Style, event_line
from hallway.control.office import office_online
from hallway.store.config import load_config
from tests.unit.cli.conftest import Run


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["node", "--peer", "ben smith"], "neither an IPv4 address nor a host name"),
        (["node", "--peer", "198.18.2.1:http"], "the port after ':' must be a number"),
        (["init", "--name", "Ann", "--open", "--peer", "198.18.2.1:65535"], "from 1 to 65533"),
    ],
)
def test_bad_seeds_are_usage_errors(run: Run, argv: list[str], says: str) -> None:
    result = run(*argv)
    assert result.code == 2
    assert says in result.err
    assert "Traceback" not in result.err


def test_init_saves_its_seeds(run: Run, home: Path) -> None:
    argv = ["--home", str(home), "init", "--name", "Ann", "--open"]
    assert run(*argv, "--peer", "198.18.2.1", "--peer", "desk-ben:7100").code == 0
    assert run(*argv, "--peer", "198.18.2.1", "--peer", "198.18.3.9").code == 0
    config = load_config(home)
    assert config is not None
    assert config.peers == ["198.18.2.1", "desk-ben:7100", "198.18.3.9"]


def test_a_seed_event_is_one_plain_line() -> None:
    style = Style(io.StringIO())
    event = {"type": "seed", "at": None, "seed": "198.18.1.1:7000", "outcome": "no_answer",
             "message": "Seed 198.18.1.1:7000: no answer;\\n trying again"}  # fmt: skip
    line = event_line(event, style)
    assert line.endswith("Seed 198.18.1.1:7000: no answer;\\n trying again")
    assert "\n" not in line


def test_the_office_line_counts_us_and_the_networks_online() -> None:
    me = {"address": "127.0.0.1", "own": True, "online": True}
    peers = [
        me,
        {"address": "198.18.2.1", "online": True},
        {"address": "198.18.2.9", "online": True},
        {"address": "198.18.3.1", "online": True},
        {"address": "198.18.4.1", "online": False},
    ]
    assert office_line(office_online(me, peers)) == "4 online across 3 networks"
    assert office_line(office_online(me, [me])) == "1 online across 1 network"
