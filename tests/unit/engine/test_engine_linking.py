"""Which links the actor opens and closes (hallway/engine/linking.py), on fake sockets: what a
refused or evicted key leaves behind, and the wake-up queue's items one by one."""

from __future__ import annotations

import errno
from concurrent.futures import Future

import pytest
import zmq

from hallway.core.model import fingerprint
from hallway.core.txt import OLD_PROTOCOL
from hallway.engine import events as ev
from hallway.engine.actor import Command
from hallway.engine.admission import PENDING_PER_ADDRESS
from hallway.engine.links import Link
from tests.unit.engine.fake_actor import FakeActor, new_key


def member_online(actor: FakeActor, address: str) -> str:
    key = new_key()
    actor.hello(key, address)
    peer = fingerprint(key)
    actor.welcome(peer)
    actor.roster.heard(peer)
    return peer


def test_a_hello_refused_for_want_of_room_leaves_no_proven_connection(actor: FakeActor) -> None:
    for i in range(actor.max_links):
        member_online(actor, f"10.0.1.{i}")
    key = new_key()
    frame = actor.hello(key, "10.0.2.1")
    assert fingerprint(key) not in actor.links
    assert key not in actor.gate.proven  # it would stay proven forever, outside any budget
    assert actor.gate.refused == [frame]
    assert key not in actor.verified


def test_a_hello_refused_by_the_address_budget_leaves_no_proven_connection(
    actor: FakeActor,
) -> None:
    actor.max_links = 64
    for _ in range(PENDING_PER_ADDRESS):  # links opened, never answered
        actor._connect(fingerprint(k := new_key()), k, "10.0.3.3", 7000, 7001)
    key = new_key()
    frame = actor.hello(key, "10.0.3.3")
    assert fingerprint(key) not in actor.links
    assert key not in actor.gate.proven
    assert actor.gate.refused == [frame]


def test_an_admitted_hello_is_proven(actor: FakeActor) -> None:
    key = new_key()
    frame = actor.hello(key, "10.0.4.4")
    assert actor.gate.proven[key] is frame
    assert key in actor.verified
    assert fingerprint(key) in actor.links


def test_a_protocol_1_hello_is_refused_with_one_warning_and_leaves_nothing(
    actor: FakeActor,
) -> None:
    """A version-1 node of our office (its proof is valid) is ignored cleanly: no link, no
    roster entry, no proven connection, and one warning however many times it knocks."""
    keys = [new_key(), new_key()]
    frames = [actor.hello(key, "10.0.6.6", proto=1) for key in keys * 2]
    assert actor.links == {}
    assert len(actor.roster) == 0
    assert actor.verified == set()
    assert actor.gate.proven == {}
    assert actor.gate.refused == frames
    warnings = [e for e in actor.events if isinstance(e, ev.NodeWarning)]
    assert [w.code for w in warnings] == [ev.OLD_PROTOCOL]
    assert "protocol 1" in warnings[0].message
    assert ev.OLD_PROTOCOL in actor.conditions
    # A node of this version from the same address is linked as usual.
    actor.hello(key := new_key(), "10.0.6.6")
    assert fingerprint(key) in actor.links


def test_a_protocol_1_record_on_mdns_warns_once(actor: FakeActor) -> None:
    for source in ("a" * 32, "b" * 32, "a" * 32):
        actor._drop_record(source, OLD_PROTOCOL)
    actor._drop_record("c" * 32, "TXT record has an invalid public key")
    warnings = [e for e in actor.events if isinstance(e, ev.NodeWarning)]
    assert [w.code for w in warnings] == [ev.OLD_PROTOCOL]


def test_keys_that_answer_and_fall_silent_make_room_for_newcomers(actor: FakeActor) -> None:
    """A member's many keys answer WELCOME and never say more. Once the links are full, the
    one heard from longest ago is forgotten for a newcomer: link, roster, budget, key, name."""
    sybils = []
    for i in range(actor.max_links):
        key = new_key()
        actor.hello(key, f"10.0.5.{i}")
        actor.welcome(fingerprint(key))
        sybils.append(key)
    assert len(actor.roster) == actor.max_links
    assert all(fingerprint(k) in actor.buckets for k in sybils)  # charged for the WELCOME
    newcomer = new_key()
    actor.hello(newcomer, "10.0.6.1")
    assert fingerprint(newcomer) in actor.links
    gone = sybils[0]  # none heard since WELCOME: the oldest link goes
    peer = fingerprint(gone)
    assert peer not in actor.links
    assert actor.roster.get(peer) is None
    assert peer not in actor.buckets
    assert gone not in actor.verified
    assert gone in actor.gate.forgotten
    assert peer not in actor.names._names
    assert all(fingerprint(k) in actor.links for k in sybils[1:])


def test_the_member_offline_longest_goes_first_and_online_members_never(
    actor: FakeActor,
) -> None:
    peers = [member_online(actor, f"10.0.7.{i}") for i in range(actor.max_links)]
    actor.clock.now += 100
    actor.roster.heard(peers[0])  # heard last
    actor.roster.heard(peers[2])
    for peer in peers[:3]:
        actor.roster.gone(peer)
    # peers[1] went offline having been heard longest ago; peers[3] is online.
    actor.hello(new_key(), "10.0.8.1")
    assert peers[1] not in actor.links
    assert actor.roster.get(peers[1]) is None
    assert all(p in actor.links for p in (peers[0], peers[2], peers[3]))
    # Now all online: a newcomer is refused, nobody is pushed out.
    for peer in list(actor.links):
        if actor.roster.get(peer) is None:
            actor.welcome(peer)
        actor.roster.heard(peer)
    refused = new_key()
    actor.hello(refused, "10.0.8.2")
    assert fingerprint(refused) not in actor.links
    assert len(actor.links) == actor.max_links


def test_a_move_refused_by_a_limit_keeps_the_link_it_had(actor: FakeActor) -> None:
    """A record for a known key at another address: if the new link is refused, the old one
    stays, so the key is never left verified and proven with no link."""
    actor.max_links = 64
    key = new_key()
    peer = fingerprint(key)
    actor.hello(key, "10.0.9.1")
    old = actor.links[peer]
    for _ in range(PENDING_PER_ADDRESS):
        actor._connect(fingerprint(k := new_key()), k, "10.0.9.2", 7000, 7001)
    assert not actor._connect(peer, key, "10.0.9.2", 7000, 7001)
    assert actor.links[peer] is old
    assert not old.dealer.closed
    assert key in actor.verified


def test_a_link_that_cannot_be_opened_is_a_warning_and_keeps_the_old_one(
    actor: FakeActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = new_key()
    peer = fingerprint(key)
    actor.hello(key, "10.0.10.1")
    old = actor.links[peer]

    def no_sockets(*args: object, **kwargs: object) -> Link:
        raise zmq.ZMQError(errno.EMFILE)

    monkeypatch.setattr(Link, "open", no_sockets)
    assert not actor._connect(peer, key, "10.0.10.2", 7000, 7001)
    assert actor.links[peer] is old
    assert not actor._connect(fingerprint(k := new_key()), k, "10.0.10.3", 7000, 7001)
    warnings = [e for e in actor.events if isinstance(e, ev.NodeWarning)]
    assert "could not open a link" in warnings[0].message


def test_a_failing_item_on_the_wake_up_queue_strands_nothing(
    actor: FakeActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(found: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(actor, "_on_found", broken)
    future: Future[int] = Future()
    actor.commands.put(("found", object()))
    actor.commands.put(Command(fn=lambda: 42, future=future))
    actor.commands.put(("stop", None))
    actor._post_from_thread(("foreign", 0))
    actor._on_wake()
    assert future.result(timeout=0) == 42
    assert not actor.running
    assert any(isinstance(e, ev.NodeWarning) and "boom" in e.message for e in actor.events)
