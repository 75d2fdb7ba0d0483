"""Peer exchange: members tell each other where the members they know are (issue 14).

When a member comes online (its first snapshot applied: the HELLO proof is behind us, both
ways), we tell it, over its ROUTER, the members online here with the place our link to each
works at (`PeerList`, not answered); later every `EXCHANGE_EVERY` to one member online. A
member's lists beyond `LIST_BURST`, then one a minute, are dropped. Each entry is checked like
an mDNS record (its proof with `Office.admits`, its addresses, not us, not linked already) and
opened through `_connect`, so the per-address budgets and `MAX_LINKS` apply: a lying member
costs what a flood of mDNS records would. Then one seed is enough to meet the whole office,
on a third subnet too. The place a member comes online at is kept (store/places.py).
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Container, Sequence
from typing import Final

from hallway.core import wire, z85
from hallway.core.errors import DecodeError
from hallway.core.model import fingerprint
from hallway.core.office import Office
from hallway.core.ratelimit import TokenBucket
from hallway.engine.links import Link
from hallway.engine.state import MAX_LINKS
from hallway.engine.syncing import Syncing
from hallway.net.networks import Network, is_on_link, on_link_first, usable_addresses
from hallway.store.places import Via

__all__ = [
    "EXCHANGE_EVERY",
    "EXCHANGE_MIN",
    "LIST_BURST",
    "LIST_RATE",
    "NEW_PER_LIST",
    "Exchange",
    "usable_entry",
]

EXCHANGE_EVERY: Final = 600.0  # to one member online, at random
EXCHANGE_MIN: Final = 60.0  # to one member at most this often
LIST_RATE: Final = 1 / 60  # lists a member may send us: a few at once, then one a minute
LIST_BURST: Final = 3.0
NEW_PER_LIST: Final = 64  # links opened from one list at most (the budgets apply as well)


def usable_entry(
    entry: wire.PeerEntry,
    office: Office,
    own_id: str,
    nets: Sequence[Network],
    linked: Container[str] = (),
) -> tuple[str, list[str]] | None:
    """The peer id and addresses (on-link first) of an entry worth connecting to, or None:
    its key must be a CURVE key with our office's proof, not ours nor one in `linked`, and its
    addresses usable (loopback only for a node that is itself on loopback, as the demo is).

    The id comes first: a newcomer gets a list from each member it meets, mostly of members it
    has linked to already (N lists of N entries), and those are skipped before the proof and
    the addresses are checked (~1 us an entry against ~30)."""
    if len(entry.key) != z85.KEY_LEN:
        return None
    try:
        peer = fingerprint(entry.key)
    except DecodeError:
        return None
    if peer == own_id or peer in linked:
        return None
    if not office.admits(office.tag, entry.key, entry.proof):
        return None
    loopback = any(net.network_address.is_loopback for net in nets)
    usable = usable_addresses(entry.addresses, len(entry.addresses), loopback=loopback)
    return (peer, on_link_first(usable, nets)) if usable else None


class Exchange(Syncing):
    """The actor's part that tells members about members, and links to those it is told of."""

    told: dict[str, float]  # when each member was last told (EXCHANGE_MIN)
    list_buckets: OrderedDict[str, TokenBucket]  # lists each member may still send us
    next_exchange: float

    def _peer_online(self, link: Link, name: str) -> None:
        super()._peer_online(link, name)
        self._save_place(link)
        self._tell(link)

    def _save_place(self, link: Link) -> None:
        via: Via = self._via(link.peer, link.address)
        try:
            self.store.save_place(
                link.peer, link.address, link.router_port, link.pub_port, via=via, at=self.clock()
            )
        except Exception as exc:  # noqa: BLE001 -- a full disk must not stop the node
            self._drop("store", f"could not save where a peer answered: {exc}")

    def _via(self, peer: str, address: str) -> Via:
        """How we first found `peer`; a member that reached us first: on our link as mDNS
        would have, else it was told of us (a seed's rendezvous sets 'seed' itself)."""
        known = self.via.get(peer)
        if known is not None:
            return known
        via: Via = "mdns" if is_on_link(address, self.own_nets) else "exchange"
        self.via[peer] = via
        return via

    def _tell(self, link: Link) -> None:
        now = self.clock()
        last = self.told.get(link.peer)
        if last is not None and now < last + EXCHANGE_MIN:
            return
        self.told[link.peer] = now
        entries = self._entries(link.peer)
        if entries:
            link.send(wire.encode(wire.PeerList(entries=entries)))

    def _entries(self, to: str) -> list[wire.PeerEntry]:
        """The members online here (not `to`), each at the place our link to it works at."""
        now = self.clock()
        office = self.cfg.office
        entries: list[wire.PeerEntry] = []
        for peer, link in self.links.items():
            state = self.roster.get(peer)
            if peer == to or not link.welcomed or state is None or not state.online:
                continue
            entries.append(
                wire.PeerEntry(
                    key=link.key,
                    proof=office.proof(link.key),
                    addresses=[link.address],
                    router_port=link.router_port,
                    pub_port=link.pub_port,
                    seen=min(max(state.last_heard or now, 0.0), 2.0**35),
                )
            )
            if len(entries) >= wire.PEER_LIST_MAX:
                break
        return entries

    def _exchange_timer(self, now: float) -> None:
        if now < self.next_exchange:
            return
        self.next_exchange = now + EXCHANGE_EVERY
        online = [
            link
            for peer, link in self.links.items()
            if link.welcomed and (state := self.roster.get(peer)) is not None and state.online
        ]
        if online:
            self._tell(online[secrets.randbelow(len(online))])

    def _on_peer_list(self, peer: str, request: wire.PeerList) -> None:
        bucket = self.list_buckets.get(peer)
        if bucket is None:
            if len(self.list_buckets) >= MAX_LINKS:
                self.list_buckets.popitem(last=False)
            bucket = self.list_buckets[peer] = TokenBucket(LIST_RATE, LIST_BURST)
        if not bucket.take(time.monotonic()):
            self._drop(peer, "peer lists too often")
            return
        opened = 0
        for entry in request.entries:
            # Linked, or being linked: that link is better than hearsay.
            found = usable_entry(entry, self.cfg.office, self.own.id, self.own_nets, self.links)
            if found is None:
                continue
            other, addresses = found
            places = [(address, entry.router_port, entry.pub_port) for address in addresses]
            if self._connect(other, entry.key, *places[0]):
                self.verified.add(entry.key)
                self.via.setdefault(other, "exchange")
                self.alternates[other] = places[1:]
                opened += 1
            if opened >= NEW_PER_LIST:
                break
