"""Which networks addresses are on: on-link first when connecting, and the count `status` shows.

A peer's address is on-link when it lies in the network of one of our own addresses (their
prefix lengths come from the interfaces, through ifaddr); any other is counted by its /24, the
usual size of an office's subnet. This is a display and an order of tries, never a security
decision: membership is the HELLO proof's business.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from hallway.net import interfaces

__all__ = [
    "count_networks",
    "is_on_link",
    "network_of",
    "on_link_first",
    "own_networks",
    "usable_addresses",
]

Network = ipaddress.IPv4Network


def usable_addresses(texts: Iterable[str], limit: int, *, loopback: bool = True) -> tuple[str, ...]:
    """The IPv4 addresses among `texts` a peer can be reached at, each once, in their order, at
    most `limit`: no unspecified, multicast or reserved one, and loopback only if `loopback`.
    For an mDNS record and a member's list of others alike."""
    usable: dict[str, None] = {}
    for text in texts:
        try:
            address = ipaddress.IPv4Address(text)
        except ValueError:
            continue
        if address.is_unspecified or address.is_multicast or address.is_reserved:
            continue
        if address.is_loopback and not loopback:
            continue
        usable.setdefault(str(address))
        if len(usable) == limit:
            break
    return tuple(usable)


def own_networks(addresses: Iterable[str]) -> tuple[Network, ...]:
    """The networks of our addresses `addresses`, as the interfaces give their prefixes; /32
    for an address no interface names (gone meanwhile)."""
    wanted = set(addresses)
    found: dict[Network, None] = {}
    for adapter in interfaces._adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str) and ip.ip in wanted:
                net = ipaddress.IPv4Network(f"{ip.ip}/{ip.network_prefix}", strict=False)
                found.setdefault(net)
                wanted.discard(ip.ip)
    for address in wanted:
        found.setdefault(ipaddress.IPv4Network(f"{address}/32"))
    return tuple(found)


def network_of(address: str, own: Sequence[Network]) -> Network | None:
    """The network `address` counts in: one of ours when on-link, else its /24 (None when it is
    no IPv4 address)."""
    try:
        parsed = ipaddress.IPv4Address(address)
    except ValueError:
        return None
    for network in own:
        if parsed in network and network.prefixlen < 32:
            return network
    return ipaddress.IPv4Network(f"{parsed}/24", strict=False)


def count_networks(own: Sequence[str], peers: Iterable[str], nets: Sequence[Network]) -> int:
    """How many networks the office online is on: those of online peers' addresses `peers`,
    and ours. We count once: in a network of ours that holds a peer, else in our first
    address's (a docker0 or VPN address of ours holding nobody adds nothing)."""
    found = {net for address in peers if (net := network_of(address, nets)) is not None}
    mine = {net for address in own if (net := network_of(address, nets)) is not None}
    if own and not found & mine:
        first = network_of(own[0], nets)
        if first is not None:
            found.add(first)
    return len(found)


def on_link_first(addresses: Sequence[str], own: Sequence[Network]) -> list[str]:
    """`addresses` with those on one of our links first, each group in its given order: a
    record whose first address is a docker0 or VPN one stays reachable."""

    return sorted(addresses, key=lambda a: not is_on_link(a, own))


def is_on_link(address: str, own: Sequence[Network]) -> bool:
    """Whether `address` lies in the network of one of our addresses."""
    try:
        parsed = ipaddress.IPv4Address(address)
    except ValueError:
        return False
    return any(parsed in net and net.prefixlen < 32 for net in own)
