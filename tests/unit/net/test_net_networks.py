"""Networks (issue 14): on-link addresses first, and how many networks the office is on."""

from __future__ import annotations

from ipaddress import IPv4Network

import ifaddr
import pytest
import zmq

from hallway.core.office import Office, derive_office_key
from hallway.net import interfaces
from hallway.net.networks import count_networks, is_on_link, on_link_first, own_networks
from hallway.net.seeds import rendezvous_keys, resolve

LAN = IPv4Network("198.18.1.0/24")
DOCKER = IPv4Network("172.17.0.0/16")


def test_own_networks_take_the_interfaces_prefixes(monkeypatch: pytest.MonkeyPatch) -> None:
    adapters = [
        ifaddr.Adapter("eth0", "eth0", [ifaddr.IP("198.18.1.7", 24, "eth0")]),
        ifaddr.Adapter("docker0", "docker0", [ifaddr.IP("172.17.0.1", 16, "docker0")]),
    ]
    monkeypatch.setattr(interfaces, "_adapters", lambda: adapters)
    assert own_networks(["198.18.1.7", "172.17.0.1", "10.9.9.9"]) == (
        LAN,
        DOCKER,
        IPv4Network("10.9.9.9/32"),  # no interface has it (gone meanwhile): itself only
    )


def test_on_link_addresses_come_first_in_their_order() -> None:
    nets = (LAN,)
    assert on_link_first(["172.17.0.5", "198.18.1.9", "10.0.0.1", "198.18.1.2"], nets) == [
        "198.18.1.9",
        "198.18.1.2",
        "172.17.0.5",
        "10.0.0.1",
    ]
    assert is_on_link("198.18.1.200", nets)
    assert not is_on_link("198.18.2.1", nets)
    assert not is_on_link("10.9.9.9", (IPv4Network("10.9.9.9/32"),))
    assert not is_on_link("nonsense", nets)


def test_networks_are_counted_by_ours_then_by_slash_24() -> None:
    nets = (LAN, DOCKER)
    own = ["198.18.1.7", "172.17.0.1"]
    assert count_networks(own, [], nets) == 1  # alone: our first address's network
    assert count_networks(own, ["198.18.1.2", "198.18.1.3"], nets) == 1
    assert count_networks(own, ["198.18.1.2", "198.18.2.1", "198.18.2.9"], nets) == 2
    # Nobody on our own network: ours counts once, by our first address.
    assert count_networks(own, ["198.18.2.1", "198.18.3.1"], nets) == 3
    # A peer on docker0 with us: that network holds a peer, so our LAN adds nothing more.
    assert count_networks(own, ["172.17.0.5"], nets) == 1
    assert count_networks(own, ["not an address"], nets) == 1


def test_the_rendezvous_keypair_is_a_curve_keypair_of_the_office() -> None:
    acme = Office("Acme", derive_office_key("Acme", "correct horse"))
    public, secret = rendezvous_keys(acme)
    assert zmq.curve_public(secret) == public
    assert rendezvous_keys(acme) == (public, secret)
    assert rendezvous_keys(Office.open())[0] != public


def test_an_address_resolves_to_itself_without_a_lookup() -> None:
    assert resolve("198.18.1.1") == ["198.18.1.1"]
    assert "127.0.0.1" in resolve("localhost")
