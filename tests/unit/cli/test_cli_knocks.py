"""`hallway knock`, `knocks` and `quiet` (issue 12) against a fake instance: output, exit codes,
what reaches the node, and config.toml."""

from __future__ import annotations

import datetime as dt
import json
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from hallway.cli.output import Style, event_line
from hallway.core.knocks import KnockView
from hallway.core.quiet import QuietHours
from hallway.engine.events import (
    KnockDelivered,
    KnockExpired,
    KnockReceived,
    KnockReplied,
    Stopped,
)
from hallway.store import Config, load_config, save_config
from tests.support.signalling import signalled_once_blocked
from tests.unit.cli.conftest import Run
from tests.unit.cli.fake_knocks import FakeKnockNode
from tests.unit.cli.test_cli_client import Written
from tests.unit.cli.test_cli_events import Pipe
from tests.unit.control.fake_node import BEN, FakeNode


@pytest.fixture
def node() -> FakeNode:
    return FakeKnockNode()


@pytest.fixture
def knocker(running: FakeNode) -> FakeKnockNode:
    assert isinstance(running, FakeKnockNode)
    return running


def hallway(run: Run, home: Path, *argv: str) -> Any:
    return run("--home", str(home), *argv)


def test_knock_prints_the_id_and_resolves_the_peer(
    run: Run, home: Path, knocker: FakeKnockNode
) -> None:
    result = hallway(run, home, "knock", "ben", "Lunch", "now?", "--urgent")
    assert result.code == 0, result.err
    (sent,) = knocker.sent
    assert result.out == sent.id + "\n"
    assert (sent.peer, sent.text, sent.urgent) == (BEN, "Lunch now?", True)
    assert "You knocked on Ben's door: Lunch now?" in result.err


def test_an_unknown_peer_lists_the_candidates_and_exits_1(
    run: Run, home: Path, knocker: FakeKnockNode
) -> None:
    result = hallway(run, home, "knock", "zed")
    assert result.code == 1
    assert "no colleague matches 'zed'" in result.err
    assert "Ben (bbbbbbbb)" in result.err
    assert knocker.sent == []


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["knock"], "required"),
        (["knock", "ben", "x" * 141], "the limit is 140"),
        (["knock", "ben", "--wait", "soon"], "not a number of seconds"),
        (["knock", "reply"], "reply with what"),
        (["knock", "reply", "0123456789abcdef"], "reply with what"),
        (["knock", "reply", "nope", "yes"], "is not a knock's id"),
        (["knock", "reply", "0123456789abcdef", "yes", "--urgent"], "not with a reply"),
        (["quiet", "set", "18:00"], "write them as 18:00-08:00"),
        (["quiet", "set", "8:00-8:00"], "same time"),
    ],
)
def test_usage_errors_exit_2(
    run: Run, home: Path, knocker: FakeKnockNode, argv: list[str], says: str
) -> None:
    result = hallway(run, home, *argv)
    assert result.code == 2
    assert says in result.err
    assert "Traceback" not in result.err


def test_wait_prints_the_reply(run: Run, home: Path, knocker: FakeKnockNode) -> None:
    knocker.answer_with = "In 5 min"
    knocker.hold = "dnd"
    result = hallway(run, home, "knock", "ben", "--wait", "10")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [knocker.sent[0].id, "In 5 min"]
    assert "Ben is in Do not disturb; your knock will show when that ends." in result.err
    assert "Ben replied: In 5 min" in result.err


def test_wait_without_a_reply_exits_4(run: Run, home: Path, knocker: FakeKnockNode) -> None:
    result = hallway(run, home, "knock", "ben", "--wait", "0.3")
    assert result.code == 4
    assert result.out == knocker.sent[0].id + "\n"
    assert "No reply from Ben within 0.3 s." in result.err


def test_ctrl_c_ends_the_wait_even_when_it_lands_just_before_it(
    run: Run, home: Path, knocker: FakeKnockNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    err = Written()
    monkeypatch.setattr(sys, "stderr", err)

    def stop() -> None:
        knocker.emit(Stopped(at=1_700_000_000.0))

    with signalled_once_blocked(signal.SIGINT, stop, after=err.written.is_set) as rescued:
        result = hallway(run, home, "knock", "ben", "--wait", "120")
    assert not rescued.is_set(), "the wait went on after Ctrl-C"
    assert result.code == 130
    assert result.out == knocker.sent[0].id + "\n"  # the knock went, and stays
    assert err.getvalue() == "You knocked on Ben's door: Got a minute?\n"  # nothing more


def test_reply_sends_the_answer(run: Run, home: Path, knocker: FakeKnockNode) -> None:
    knocker.receive("00000000000000aa")
    result = hallway(run, home, "knock", "reply", "00000000000000AA", "later")
    assert result.code == 0, result.err
    assert "You replied to Ben: In 5 min" in result.err
    result = hallway(run, home, "knock", "reply", "00000000000000bb", "Give", "me", "10")
    assert result.code == 1
    assert "no knock '00000000000000bb' came to you" in result.err


def test_knocks_table_and_json(run: Run, home: Path, knocker: FakeKnockNode) -> None:
    assert hallway(run, home, "knocks").out.startswith("No knocks yet")
    hallway(run, home, "knock", "cat", "Coffee?")
    knocker.receive("00000000000000aa", "Got a\nminute?")
    table = hallway(run, home, "knocks").out.splitlines()
    assert table[0].split() == ["WHEN", "WHO", "TEXT", "STATE", "REPLY", "ID"]
    assert "→ Cat" in table[1]
    assert "waiting to be delivered" in table[1]
    assert "← Ben" in table[2]
    assert "Got a minute?" in table[2]  # one line
    listed = json.loads(hallway(run, home, "knocks", "--json").out)
    assert [k["outgoing"] for k in listed] == [True, False]
    assert listed[1]["id"] == "00000000000000aa"


def test_with_nothing_running_exit_3(run: Run, home: Path) -> None:
    assert hallway(run, home, "knock", "ben").code == 3
    assert hallway(run, home, "knocks").code == 3


# quiet hours -----------------------------------------------------------------------------


@pytest.fixture
def set_up(home: Path) -> Path:
    save_config(home, Config(name="Ann", open=True, instance="ab" * 8))
    return home


def test_quiet_set_saves_and_tells_the_running_node(
    run: Run, set_up: Path, knocker: FakeKnockNode
) -> None:
    result = hallway(run, set_up, "quiet", "set", "18:00-08:00", "--weekends")
    assert result.code == 0, result.err
    expected = QuietHours(start=dt.time(18), end=dt.time(8), weekends=True)
    config = load_config(set_up)
    assert config is not None
    assert config.quiet == expected
    assert knocker.quiet == [expected]
    assert "Quiet hours: 18:00\u201308:00 and weekends. The running Hallway follows" in result.err
    shown = hallway(run, set_up, "quiet")
    assert shown.out.startswith("Quiet hours: 18:00\u201308:00 and weekends")
    off = hallway(run, set_up, "quiet", "off")
    assert off.code == 0
    assert knocker.quiet == [expected, None]
    config = load_config(set_up)
    assert config is not None
    assert config.quiet is None
    assert hallway(run, set_up, "quiet").out.startswith("No quiet hours.")


def test_quiet_without_a_running_node_only_saves(run: Run, set_up: Path) -> None:
    result = hallway(run, set_up, "quiet", "set", "9pm-7am")
    assert result.code == 0, result.err
    assert result.err.strip() == "Quiet hours: 21:00\u201307:00."
    config = load_config(set_up)
    assert config is not None
    assert config.quiet == QuietHours(start=dt.time(21), end=dt.time(7))


def test_quiet_in_a_home_not_set_up_exits_1(run: Run, home: Path) -> None:
    result = hallway(run, home, "quiet", "off")
    assert result.code == 1
    assert "not set up" in result.err


# watch lines -----------------------------------------------------------------------------


def view(**fields: Any) -> KnockView:
    base: dict[str, Any] = {
        "id": "0123456789abcdef", "peer": BEN, "name": "Ben", "outgoing": True,
        "text": "Lunch?", "state": "pending", "created": 0.0, "expires": 43200.0,
    }  # fmt: skip
    return KnockView(**{**base, **fields})


@pytest.mark.parametrize(
    ("event", "says"),
    [
        (
            KnockReceived(at=0.0, name="Ben", knock=view(outgoing=False, urgent=True)),
            "URGENT Ben knocks: Lunch? (reply: hallway knock reply 0123456789abcdef yes|later|no)",
        ),
        (KnockDelivered(at=0.0, name="Ben", knock=view()), "Your knock reached Ben: Lunch?"),
        (
            KnockDelivered(at=0.0, name="Ben", knock=view(), held=True, reason="dnd"),
            "Ben is in Do not disturb; your knock will show when that ends.",
        ),
        (
            KnockReplied(at=0.0, name="Ben", knock=view(reply="Not now")),
            "Ben replied to your knock: Not now",
        ),
        (
            KnockExpired(at=0.0, name="Ben", knock=view(state="expired")),
            "Your knock to Ben could not be delivered in time and was dropped: Lunch?",
        ),
    ],
)
def test_watch_lines(event: Any, says: str) -> None:
    line = event_line(event.to_json(), Style(Pipe()))
    assert line.endswith(" " + says)


def test_watch_json_has_the_knock() -> None:
    event = KnockReceived(at=0.0, name="Ben", knock=view(text="a\nb"))
    data = event.to_json()
    assert data["type"] == "knock"
    assert data["peer"] == BEN
    assert data["knock"]["text"] == "a\nb"
    assert "\n" not in event_line(data, Style(Pipe()))
