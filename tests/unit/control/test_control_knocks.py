"""The knock and quiet-hours commands of the control socket (issue 12)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from hallway.control import ControlClient, ControlServer
from hallway.control.protocol import (
    BAD_REQUEST,
    NODE_ERROR,
    ControlError,
    RequestError,
    decode_request,
)
from hallway.core.quiet import QuietHours
from tests.unit.cli.fake_knocks import FakeKnockNode
from tests.unit.control.fake_node import BEN


@pytest.fixture
def knocker() -> FakeKnockNode:
    return FakeKnockNode()


@pytest.fixture
def knock_client(sock_dir: Path, knocker: FakeKnockNode) -> Iterator[ControlClient]:
    with ControlServer(sock_dir / "control.sock", knocker) as server:
        yield ControlClient(server.path, timeout=5.0)


def test_knock_resolves_the_peer_and_returns_the_knock(
    knock_client: ControlClient, knocker: FakeKnockNode
) -> None:
    result = knock_client.request("knock", peer="Be", text="Hi", urgent=True)
    assert (result["peer"], result["text"], result["urgent"]) == (BEN, "Hi", True)
    assert result["state"] == "pending"
    assert [k["id"] for k in knock_client.request("knocks")] == [result["id"]]


def test_an_unknown_peer_is_a_node_error(knock_client: ControlClient) -> None:
    with pytest.raises(ControlError, match="no colleague matches 'Zed'") as caught:
        knock_client.request("knock", peer="Zed")
    assert caught.value.code == NODE_ERROR


def test_reply_and_quiet_hours_reach_the_node(
    knock_client: ControlClient, knocker: FakeKnockNode
) -> None:
    knocker.receive("00000000000000aa")
    replied = knock_client.request("knock_reply", id="00000000000000aa", reply="no")
    assert replied["reply"] == "Not now"
    knock_client.request("quiet_set", start="22:00", end="7:00", weekends=True)
    knock_client.request("quiet_off")
    assert knocker.quiet == [QuietHours(dt.time(22), dt.time(7), weekends=True), None]


@pytest.mark.parametrize(
    "line",
    [
        b'{"v":1,"cmd":"quiet_set","args":{"start":"25:00","end":"07:00"}}',
        b'{"v":1,"cmd":"quiet_set","args":{"start":"07:00","end":"07:00"}}',
        b'{"v":1,"cmd":"quiet_set","args":{"start":"7pm","end":"07:00"}}',
        b'{"v":1,"cmd":"knock_reply","args":{"id":"XYZ","reply":"yes"}}',
        b'{"v":1,"cmd":"knock","args":{"peer":""}}',
    ],
)
def test_bad_arguments_are_bad_requests(line: bytes) -> None:
    with pytest.raises(RequestError) as caught:
        decode_request(line)
    assert caught.value.code == BAD_REQUEST
