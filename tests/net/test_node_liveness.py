"""A killed node and a node that quits are marked offline by the others, each by its own signal."""

from __future__ import annotations

import signal
import time
from datetime import datetime

import pytest

from tests.net.conftest import Office, is_type

pytestmark = pytest.mark.net


def _seconds_after(event: dict[str, object], start: float) -> float:
    return datetime.fromisoformat(str(event["at"])).timestamp() - start


def test_killed_node_goes_offline(office: Office) -> None:
    ann, ben, cat = (office.node(n) for n in ("Ann", "Ben", "Cat"))
    for node in (ben, cat):
        node.wait(is_type("peer_online", peer=ann.id))
    killed_at = ann.send(signal.SIGKILL)
    for node in (ben, cat):
        event = node.wait(is_type("peer_offline", peer=ann.id), timeout=10)
        elapsed = _seconds_after(event, killed_at)
        print(f"{node.name}: offline {elapsed * 1000:.0f} ms after SIGKILL ({event['reason']})")
        # The kernel closes the killed process's connections, so the drop is seen at once;
        # the bound only catches a broken mechanism (the heartbeat timeout would take 3.5 s).
        assert event["reason"] == "disconnected"
        assert elapsed < 3.0


def test_clean_quit_goes_offline_at_once(office: Office) -> None:
    ann, ben = office.node("Ann"), office.node("Ben")
    ben.wait(is_type("peer_online", peer=ann.id))
    quit_at = ann.send(signal.SIGTERM)
    event = ben.wait(is_type("peer_offline", peer=ann.id), timeout=10)
    elapsed = _seconds_after(event, quit_at)
    print(f"offline {elapsed * 1000:.0f} ms after SIGTERM")
    assert event["reason"] == "bye"
    assert elapsed < 2.0
    assert ann.stop() == 0


def test_sigint_stops_cleanly(office: Office) -> None:
    ann, ben = office.node("Ann"), office.node("Ben")
    ben.wait(is_type("peer_online", peer=ann.id))
    ann.send(signal.SIGINT)
    ben.wait(is_type("peer_offline", peer=ann.id, reason="bye"), timeout=10)
    assert ann.stop() == 0


def test_silent_peer_times_out_after_missed_heartbeats(office: Office) -> None:
    ann, ben = office.node("Ann"), office.node("Ben")
    ben.wait(is_type("peer_online", peer=ann.id))
    pulled_at = time.time()
    ann.host.link_down()  # the cable is pulled: no FIN, no RST, just silence
    event = ben.wait(is_type("peer_offline", peer=ann.id), timeout=10)
    elapsed = _seconds_after(event, pulled_at)
    print(f"offline {elapsed * 1000:.0f} ms after the link went down")
    # The ZMTP heartbeat (a ping a second, 2 s to answer) drops the silent connection; the
    # application heartbeat's 30 s backstop would be far slower.
    assert event["reason"] == "disconnected"
    assert elapsed < 6.0
    mark = ben.mark()
    ann.host.link_up()
    ben.wait_after(mark, is_type("peer_online", peer=ann.id), timeout=15)
    ann.cli("status", "set", "busy", "Back on the network")
    ben.wait_after(mark, is_type("status", peer=ann.id, text="Back on the network"))
