"""What the engine does when the network changes or the machine wakes up (actor.py, linking.py),
on the fake actor of tests/unit/engine: which links open again, what is bound and announced."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import zmq

from hallway.core.model import fingerprint
from hallway.engine import reconnect as reconnect_module
from hallway.engine.linking import RELINK_GRACE
from hallway.engine.links import Link
from hallway.net.netwatch import SleepWatch
from tests.unit.engine.fake_actor import FakeActor, FakeSocket, fake_open, fake_subscribe, new_key
from tests.unit.net.test_net_netwatch import sleep_signal


class BindingSocket(FakeSocket):
    """A ROUTER or PUB that records where it listens; `taken` addresses refuse to bind."""

    def __init__(self, listening: set[str]) -> None:
        super().__init__()
        self.listening, self.taken = set(listening), set[str]()

    def bind(self, endpoint: str) -> None:
        if endpoint.split("//")[1].rsplit(":", 1)[0] in self.taken:
            raise zmq.ZMQError(zmq.EADDRINUSE)
        self.listening.add(endpoint)

    def unbind(self, endpoint: str) -> None:
        self.listening.discard(endpoint)


@pytest.fixture
def actor(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeActor]:
    monkeypatch.setattr(Link, "open", classmethod(fake_open))
    monkeypatch.setattr(Link, "subscribe", fake_subscribe)
    made = FakeActor()
    made.router = BindingSocket({"tcp://10.0.0.1:7000"})
    made.pub = BindingSocket({"tcp://10.0.0.1:7001"})  # type: ignore[assignment]
    made.rendezvous = BindingSocket({"tcp://10.0.0.1:7002"})  # type: ignore[assignment]
    made.rendezvous_port = 7002
    yield made
    made.close()


def machine_has(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> None:
    monkeypatch.setattr(
        reconnect_module,
        "list_ipv4",
        lambda include_loopback=False: [*addresses, "127.0.0.1"][
            : len(addresses) + include_loopback
        ],
    )


def online(actor: FakeActor, address: str) -> str:
    key = new_key()
    actor.hello(key, address)
    peer = fingerprint(key)
    actor.welcome(peer)
    actor.links[peer].synced_once = True  # its first snapshot came: online
    actor.roster.heard(peer)
    return peer


def test_the_peers_own_hello_from_another_place_moves_a_working_link(actor: FakeActor) -> None:
    peer = online(actor, "10.0.1.1")
    key = actor.links[peer].key
    actor._connect(peer, key, "10.0.1.9", 7000, 7001)  # an mDNS record: anyone can copy one
    assert actor.links[peer].address == "10.0.1.1"
    actor.hello(key, "10.0.1.9")  # only the key's holder can say HELLO: it moved
    assert actor.links[peer].address == "10.0.1.9"
    assert actor.roster.get(peer).online  # type: ignore[union-attr]  # no flapping


def test_a_hello_over_a_link_that_is_down_opens_it_again_at_once(actor: FakeActor) -> None:
    key = new_key()
    actor.hello(key, "10.0.2.1")
    peer = fingerprint(key)
    first = actor.links[peer]
    actor.hello(key, "10.0.2.1")  # first contact: both sides said HELLO at once
    assert actor.links[peer] is first
    actor.welcome(peer)
    # Welcomed, its first snapshot not in yet: HELLOs still cross, and reopening now would
    # start the first contact over, again and again across an office that starts at once.
    actor.hello(key, "10.0.2.1")
    assert actor.links[peer] is first
    first.synced_once = True
    actor.roster.heard(peer)
    actor.hello(key, "10.0.2.1")  # online: the link works
    assert actor.links[peer] is first
    actor._offline(peer, "disconnected")
    actor.hello(key, "10.0.2.1")  # back (woken up): no waiting for libzmq's back-off
    assert actor.links[peer] is not first
    assert first.dealer.closed


def wake(actor: FakeActor) -> None:
    ours, logind = socket.socketpair()
    actor.sleepwatch = SleepWatch(ours)
    try:
        logind.sendall(sleep_signal(True, serial=1))
        actor._on_sleep_signal()
        assert actor.net_check_at is None  # going to sleep: nothing to do
        logind.sendall(sleep_signal(False, serial=2))
        actor._on_sleep_signal()
    finally:
        logind.close()
        actor.sleepwatch.close()


def test_waking_up_opens_every_answered_link_again_and_announces(
    actor: FakeActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    machine_has(monkeypatch, "10.0.0.1")
    ann, ben = online(actor, "10.0.3.1"), online(actor, "10.0.3.2")
    actor._offline(ben, "disconnected")
    stranger = fingerprint(key := new_key())
    actor._connect(stranger, key, "10.0.3.3", 7000, 7001)  # never answered
    before = dict(actor.links)
    wake(actor)
    assert actor.net_check_at == actor.clock.now  # at once: no settling after a wake-up
    actor._timers()
    assert actor.discovery.announced == [("10.0.0.1",)]  # type: ignore[attr-defined]
    for peer in (ann, ben):
        link = actor.links[peer]
        assert link is not before[peer]
        assert before[peer].dealer.closed
        assert len(link.dealer.sent) == 1  # HELLO, from where we are now
    assert actor.links[stranger] is before[stranger]
    # Ann was online: she has RELINK_GRACE to answer again; Ben was offline already.
    assert actor.links[ann].suspect_until == actor.clock.now + RELINK_GRACE
    assert actor.links[ben].suspect_until is None
    actor.clock.now += RELINK_GRACE
    actor._timers()
    assert not actor.roster.get(ann).online  # type: ignore[union-attr]


def test_an_address_change_moves_the_sockets_when_they_follow_the_machine(
    actor: FakeActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    actor.follow = True
    peer = online(actor, "10.0.4.1")
    machine_has(monkeypatch)  # the address went: nothing to listen on, nothing to do yet
    actor._net_changed(settle=reconnect_module.NET_SETTLE)
    actor.clock.now += reconnect_module.NET_SETTLE
    actor._timers()
    assert actor.addresses == ("10.0.0.1",)
    assert actor.discovery.announced == []  # type: ignore[attr-defined]
    machine_has(monkeypatch, "10.0.9.9", "10.0.9.8")
    actor.router.taken = {"10.0.9.8"}  # type: ignore[attr-defined]
    old = actor.links[peer]
    actor._net_changed(settle=0.0)
    actor._timers()
    assert actor.addresses == ("10.0.9.9",)  # the same ports, on the address we have now
    assert actor.router.listening == {"tcp://10.0.9.9:7000"}  # type: ignore[attr-defined]
    assert actor.pub.listening == {"tcp://10.0.9.9:7001"}  # type: ignore[attr-defined]
    # The office rendezvous (issue 14) follows too, and our networks with it.
    assert actor.rendezvous.listening == {"tcp://10.0.9.9:7002"}  # type: ignore[attr-defined]
    assert actor.discovery.announced == [("10.0.9.9",)]  # type: ignore[attr-defined]
    assert actor.links[peer] is not old
    assert any("cannot listen on 10.0.9.8" in str(e) for e in actor.events)


def test_chosen_addresses_stay_and_are_linked_from_once_they_are_back(
    actor: FakeActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    peer = online(actor, "10.0.5.1")
    old = actor.links[peer]
    machine_has(monkeypatch, "10.0.7.7")  # not ours: --interface chose 10.0.0.1
    actor._net_changed(settle=0.0)
    actor._timers()
    assert actor.links[peer] is old
    machine_has(monkeypatch, "10.0.7.7", "10.0.0.1")
    actor._net_changed(settle=0.0)
    actor._timers()
    assert actor.addresses == ("10.0.0.1",)
    assert actor.links[peer] is not old
