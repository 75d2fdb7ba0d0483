"""Discovery's browser on zeroconf's own loop: real zeroconf on 127.0.0.1, in the private
namespace tests/run gives pytest (nothing leaves it)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest
import zmq
from zeroconf import ServiceStateChange

from hallway.core.model import fingerprint
from hallway.core.txt import TxtRecord
from hallway.net import Discovery, Found
from tests.support.netlab import require_private_loopback
from tests.support.waiting import wait_until

pytestmark = pytest.mark.net

WAIT = 10.0


class Peer:
    def __init__(self) -> None:
        public, _ = zmq.curve_keypair()
        txt = TxtRecord(public_key=public, pub_port=40001, office_tag="ours", proof=b"")
        self.id = fingerprint(public)
        self.found: list[Found] = []
        self.lost: list[str] = []
        self.disco = Discovery(
            ("127.0.0.1",),
            self.id,
            txt,
            41000,
            on_found=self.found.append,
            on_lost=self.lost.append,
            on_bad=lambda source, reason: None,
            admits=lambda record: record.office_tag == "ours",
        )


async def _loop_thread() -> int:
    return threading.get_ident()


@pytest.fixture
def peers() -> Iterator[list[Peer]]:
    require_private_loopback()
    made: list[Peer] = []
    yield made
    for peer in made:
        peer.disco.close()


def test_the_browser_has_no_thread_of_its_own_and_stops_at_close(
    peers: list[Peer], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    handled: list[tuple[str, int]] = []
    on_change = Discovery._on_change

    def spy(self: Discovery, *, name: str, state_change: ServiceStateChange, **kw: object) -> None:
        handled.append((self._instance, threading.get_ident()))
        on_change(self, name=name, state_change=state_change, **kw)

    monkeypatch.setattr(Discovery, "_on_change", spy)
    caplog.set_level(logging.DEBUG, logger="hallway.net.discovery")
    before = set(threading.enumerate())
    ann, ben = Peer(), Peer()
    peers.extend((ann, ben))
    ann.disco.start()
    ben.disco.start()
    wait_until(lambda: [f.instance for f in ann.found] == [ben.id], WAIT, "Ann finding Ben")
    wait_until(lambda: [f.instance for f in ben.found] == [ann.id], WAIT, "Ben finding Ann")

    loops = {peer.id: peer.disco._call(_loop_thread()) for peer in (ann, ben)}
    assert {ident for _, ident in handled} == set(loops.values())
    assert all(loops[instance] == ident for instance, ident in handled)
    # Each Discovery adds zeroconf's loop and our worker; zeroconf's ServiceBrowser added a third.
    added = set(threading.enumerate()) - before
    assert sorted(t.name for t in added if t.ident not in loops.values()) == [
        "hallway-discovery",
        "hallway-discovery",
    ]
    assert len(added) == 4

    browser = ben.disco._browser
    assert browser is not None
    ben.disco.close()
    assert browser.done
    assert ben.disco._browser is None
    assert ben.disco._gate is None
    wait_until(lambda: ann.lost == [ben.id], WAIT, "Ann seeing Ben's goodbye")
    ann.disco.close()
    assert not set(threading.enumerate()) - before
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert "did not complete" not in caplog.text
