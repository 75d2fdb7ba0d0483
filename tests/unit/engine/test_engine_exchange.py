"""Peer exchange and places (hallway/engine/exchange.py, issue 14) on fake sockets: which
entries are worth a link, what a member is told, how often a member may tell us, how each
peer was found, and the next place of a peer that does not answer."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest

from hallway.core import wire
from hallway.core.errors import DecodeError
from hallway.core.model import fingerprint
from hallway.core.office import Office, derive_office_key
from hallway.engine.actor import HELLO_RETRY, HELLO_TRIES
from hallway.engine.exchange import LIST_BURST, usable_entry
from tests.unit.engine.fake_actor import OFFICE, FakeActor, new_key

NETS = (IPv4Network("10.0.0.0/24"),)


def entry(key: bytes, *addresses: str, office: Office = OFFICE) -> wire.PeerEntry:
    return wire.PeerEntry(
        key=key, proof=office.proof(key), addresses=list(addresses),
        router_port=7000, pub_port=7001, seen=1.0,
    )  # fmt: skip


def member_online(actor: FakeActor, address: str) -> str:
    key = new_key()
    actor.hello(key, address)
    peer = fingerprint(key)
    actor.welcome(peer)
    actor.roster.heard(peer)
    return peer


def test_an_entry_needs_our_office_proof_a_key_and_usable_addresses() -> None:
    key = new_key()
    own = fingerprint(new_key())
    found = usable_entry(entry(key, "198.18.2.1", "10.0.0.9"), OFFICE, own, NETS)
    assert found == (fingerprint(key), ["10.0.0.9", "198.18.2.1"])  # on-link first
    other = Office("Acme", derive_office_key("Acme", "wrong horse"))
    assert usable_entry(entry(key, "10.0.0.9", office=other), OFFICE, own, NETS) is None
    assert usable_entry(entry(key, "10.0.0.9"), OFFICE, fingerprint(key), NETS) is None  # us
    linked = {fingerprint(key)}  # linked or being linked: the link beats hearsay
    assert usable_entry(entry(key, "10.0.0.9"), OFFICE, own, NETS, linked) is None
    not_z85 = b"~" * 40
    assert usable_entry(entry(not_z85, "10.0.0.9"), OFFICE, own, NETS) is None
    for bad in ("0.0.0.0", "224.0.0.251", "240.0.0.1", "127.0.0.1", "999.1.1.1"):
        assert usable_entry(entry(key, bad), OFFICE, own, NETS) is None, bad
    # A node on loopback (the demo) takes loopback places.
    loop = (IPv4Network("127.0.0.0/8"),)
    assert usable_entry(entry(key, "127.0.0.1"), OFFICE, own, loop) == (
        fingerprint(key),
        ["127.0.0.1"],
    )


def test_a_member_is_told_of_the_members_online_but_not_of_itself(actor: FakeActor) -> None:
    ann = member_online(actor, "10.0.0.2")
    ben = member_online(actor, "198.18.2.7")
    actor._tell(actor.links[ann])
    told = wire.decode_request(actor.links[ann].dealer.sent[-1])
    assert isinstance(told, wire.PeerList)
    assert [(fingerprint(e.key), e.addresses) for e in told.entries] == [(ben, ["198.18.2.7"])]
    assert OFFICE.admits(OFFICE.tag, told.entries[0].key, told.entries[0].proof)
    sent = len(actor.links[ann].dealer.sent)
    actor._tell(actor.links[ann])  # again within the minute: nothing
    assert len(actor.links[ann].dealer.sent) == sent


def test_told_members_are_linked_through_the_budgets_and_marked_exchange(
    actor: FakeActor,
) -> None:
    ann = member_online(actor, "10.0.0.2")
    cid, dan = new_key(), new_key()
    actor._on_peer_list(ann, wire.PeerList(entries=[entry(cid, "198.18.3.1"), entry(dan)]))
    assert set(actor.links) == {ann, fingerprint(cid)}  # Dan has no address: skipped
    assert actor.links[fingerprint(cid)].address == "198.18.3.1"
    assert actor.via[fingerprint(cid)] == "exchange"
    assert cid in actor.verified
    assert actor.via[ann] == "mdns"  # Ann's HELLO came from our own link


def test_a_member_that_tells_too_often_is_not_heard(actor: FakeActor) -> None:
    actor.max_links = 64
    ann = member_online(actor, "10.0.0.2")
    for _ in range(int(LIST_BURST)):
        actor._on_peer_list(ann, wire.PeerList(entries=[entry(new_key(), "198.18.3.1")]))
    linked = len(actor.links)
    actor._on_peer_list(ann, wire.PeerList(entries=[entry(new_key(), "198.18.3.2")]))
    assert len(actor.links) == linked
    assert actor.noise.counts["peer lists too often"] == 1


def test_a_hello_from_another_network_was_told_of_us_and_its_record_is_asked_for(
    actor: FakeActor,
) -> None:
    """It may also have found our record through a reflector, whose answers to others'
    questions never bring it to us: its record is asked for (`Discovery.look_up`), and it counts
    as found through mDNS once that comes (tests/net/test_subnets.py)."""
    key, ann = new_key(), new_key()
    actor.hello(key, "198.18.2.5")
    assert actor.via[fingerprint(key)] == "exchange"
    actor.hello(ann, "10.0.0.2")  # on our link: its record comes by itself
    assert actor.via[fingerprint(ann)] == "mdns"
    actor.hello(key, "198.18.2.5")  # asked once, not at every HELLO
    assert actor.discovery.looked_up == [fingerprint(key)]  # type: ignore[attr-defined]


def test_a_peer_that_does_not_answer_is_tried_at_its_next_address(actor: FakeActor) -> None:
    key = new_key()
    peer = fingerprint(key)
    actor._connect(peer, key, "172.17.0.2", 7000, 7001)
    actor.alternates[peer] = [("10.0.0.5", 7000, 7001)]
    for _ in range(HELLO_TRIES):
        actor.clock.now += HELLO_RETRY
        actor._timers()
    assert actor.links[peer].address == "10.0.0.5"
    assert actor.alternates[peer] == []
    for _ in range(HELLO_TRIES):
        actor.clock.now += HELLO_RETRY
        actor._timers()
    assert peer not in actor.links  # no place left: given up, as before


def test_peer_lists_and_intros_are_bounded_on_the_wire() -> None:
    good = entry(new_key(), "198.18.3.1")
    assert wire.decode_request(wire.encode(wire.PeerList(entries=[good]))) == wire.PeerList(
        entries=[good]
    )
    for bad in (
        wire.PeerList(entries=[good] * (wire.PEER_LIST_MAX + 1)),
        wire.PeerList(entries=[entry(new_key(), *["198.18.3.1"] * 5)]),
        wire.PeerList(entries=[entry(new_key(), "198.18.3.1; rm")]),
        wire.PeerList(entries=[entry(new_key())]),  # no address at all
        wire.PeerList(entries=[entry(b"short", "198.18.3.1")]),
    ):
        with pytest.raises(DecodeError):
            wire.decode_request(wire.encode(bad))
    key = new_key()
    intro = wire.Intro(key=key, proof=OFFICE.proof(key), name="Ann\nBob", router_port=7000,
                       pub_port=7001)  # fmt: skip
    assert wire.decode_intro(wire.encode(intro)).name == "Ann Bob"
    with pytest.raises(DecodeError):
        wire.decode_intro(wire.encode(wire.Welcome(name="x", pub_port=1, inc=1)))
