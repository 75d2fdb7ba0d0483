"""A wrong passphrase must not look like an empty office (issue 8).

Real `hallway node --json` processes on lab hosts: two members with one passphrase and a node with
another. The odd one out is told that Hallway users are nearby but none of them in its office,
and told again that this no longer applies once a member of its own office appears. An in-process
Node checks that the condition can also be asked for (`Node.warnings()`), for a window opened
after the event went by.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq

from hallway.core.office import Office as OfficeKey
from hallway.core.office import derive_office_key
from hallway.engine import Event, Node, NodeConfig, NodeWarning
from hallway.engine import actor as actor_module
from hallway.engine.events import OTHER_OFFICE, WarningCleared
from tests.net.conftest import Office, is_type
from tests.support.netlab import require_private_loopback
from tests.support.timestamps import epoch_seconds
from tests.support.waiting import wait_until

pytestmark = pytest.mark.net

OTHER_PASSPHRASE = "a different passphrase"


def test_the_odd_one_out_is_told_and_the_hint_clears_when_a_colleague_appears(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    ann, ben = office.node("Ann"), office.node("Ben")
    ben.wait(is_type("peer_online", peer=ann.id))
    eve = office.node("Eve", office_args=office.office_args(passphrase=OTHER_PASSPHRASE))
    warning = eve.wait(is_type("warning", code=OTHER_OFFICE), timeout=30)
    assert warning["message"] == (
        "2 Hallway users nearby are in another office or typed a different passphrase."
    )
    assert warning["peer"] is None  # nothing about the others but their number
    waited = epoch_seconds(warning["at"]) - eve.started_at
    with capsys.disabled():
        print(f"\n[other office] Eve was warned {waited:.1f} s after her start", end="")
    assert waited >= actor_module.OTHER_OFFICE_DELAY
    for member in (ann, ben):  # each has a colleague: no hint, though Eve is nearby
        assert member.find(is_type("warning", code=OTHER_OFFICE)) is None

    mark = eve.mark()
    fay = office.node("Fay", office_args=office.office_args(passphrase=OTHER_PASSPHRASE))
    online = eve.wait_after(mark, is_type("peer_online", peer=fay.ready["peer"]))
    cleared = eve.wait_after(mark, is_type("warning_cleared", code=OTHER_OFFICE))
    assert epoch_seconds(cleared["at"]) - epoch_seconds(online["at"]) < 1.0
    with capsys.disabled():
        print(f"; the hint cleared {epoch_seconds(cleared['at']) - fay.started_at:.2f} s after "
              "Fay started", end="")  # fmt: skip
    fay.wait(is_type("peer_online", peer=eve.id))
    assert fay.find(is_type("warning", code=OTHER_OFFICE)) is None  # Eve was found in time



# -- the condition through the Node's API -------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.events: queue.SimpleQueue[Event] = queue.SimpleQueue()

    def __call__(self, event: Event) -> None:
        self.events.put(event)

    def wait(self, kind: type[Event], timeout: float = 15.0) -> Event:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                break
            if isinstance(event, kind):
                return event
        raise AssertionError(f"no {kind.__name__} within {timeout} s")


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[list[Node]]:
    require_private_loopback()
    started: list[Node] = []
    yield started
    for node in started:
        node.close()


def _start(nodes: list[Node], home: Path, passphrase: str) -> tuple[Node, Recorder]:
    public, secret = zmq.curve_keypair()
    home.mkdir(mode=0o700)
    office = OfficeKey(name="Acme", key=derive_office_key("Acme", passphrase))
    node = Node(NodeConfig(home=home, name=home.name, public_key=public, secret_key=secret,
                           office=office, interfaces=("127.0.0.1",)))  # fmt: skip
    recorder = Recorder()
    node.subscribe(recorder)
    nodes.append(node)
    node.start()
    return node, recorder


def test_the_condition_in_force_can_be_asked_for(
    nodes: list[Node], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(actor_module, "OTHER_OFFICE_DELAY", 0.5)
    _start(nodes, tmp_path / "ann", "right")
    eve, eve_events = _start(nodes, tmp_path / "eve", "wrong")
    warning = eve_events.wait(NodeWarning)
    assert isinstance(warning, NodeWarning)
    assert warning.code == OTHER_OFFICE
    assert eve.warnings() == [warning]
    _start(nodes, tmp_path / "fay", "wrong")
    cleared = eve_events.wait(WarningCleared)
    assert isinstance(cleared, WarningCleared)
    assert cleared.code == OTHER_OFFICE
    wait_until(lambda: eve.warnings() == [], 5, "the condition to end")
