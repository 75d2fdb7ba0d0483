"""The engine's actor without sockets: its parts (linking, syncing, the wake-up queue) run on
fake sockets and a hand-moved clock, so their logic is tested without a network."""

from __future__ import annotations

import logging
import os
import queue
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from types import SimpleNamespace
from typing import Any

import zmq

from hallway.core import wire
from hallway.core.model import DEFAULT_STATUS, fingerprint
from hallway.core.office import Office, derive_office_key
from hallway.core.ratelimit import NoiseLog
from hallway.core.roster import Roster
from hallway.engine import events as ev
from hallway.engine.actor import Actor, Command, OtherOfficeHint
from hallway.engine.admission import Admission
from hallway.engine.knocks import KnockBook
from hallway.engine.links import Link
from hallway.engine.meetups import MeetupBook
from hallway.engine.names_view import NameBook
from hallway.engine.quota import Quotas
from hallway.engine.state import Own
from hallway.store.records import StoredRecord

OFFICE = Office(name="Acme", key=derive_office_key("Acme", "correct horse"))


class FakeClock:
    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


class FakeSocket:
    """A DEALER (or SUB, monitor) that hands out what a test queued and keeps what is sent."""

    def __init__(self) -> None:
        self.inbox: list[bytes] = []
        self.sent: list[bytes] = []
        self.closed = False

    def recv(self, flags: int = 0) -> bytes:
        if not self.inbox:
            raise zmq.Again
        return self.inbox.pop(0)

    def recv_multipart(self, flags: int = 0) -> list[bytes]:
        """A SUB's message: the topic, then what a test queued."""
        return [wire.TOPIC, self.recv(flags)]

    def send(self, data: bytes, flags: int = 0) -> None:
        self.sent.append(data)

    def send_multipart(self, frames: list[bytes], flags: int = 0) -> None:
        self.sent.append(frames[-1])

    def close(self, linger: int | None = None) -> None:
        self.closed = True

    def disable_monitor(self) -> None:
        pass


class FakePoller:
    """What a test makes ready is returned by the next poll (a loop turn: Actor._turn), which
    notes the timeout it was given."""

    def __init__(self) -> None:
        self.socks: set[Any] = set()
        self.ready: list[Any] = []
        self.timeouts: list[int] = []

    def poll(self, timeout: int) -> list[tuple[Any, int]]:
        self.timeouts.append(timeout)
        ready, self.ready = self.ready, []
        return [(sock, zmq.POLLIN) for sock in ready if sock in self.socks]

    def register(self, sock: Any, flags: int) -> None:
        self.socks.add(sock)

    def unregister(self, sock: Any) -> None:
        self.socks.discard(sock)

    def more(self, sock: Any) -> bool:
        return bool(sock.inbox) and not sock.closed


@dataclass
class FakeGate:
    """What the ROUTER's gate was told: the connections proven, refused and forgotten."""

    proven: dict[bytes, object] = field(default_factory=dict)
    refused: list[object] = field(default_factory=list)
    forgotten: list[bytes] = field(default_factory=list)

    def prove(self, frame: object, key: bytes) -> None:
        self.proven[key] = frame

    def refuse(self, frame: object) -> None:
        self.refused.append(frame)

    def forget(self, key: bytes) -> None:
        self.forgotten.append(key)
        self.proven.pop(key, None)

    def expire(self) -> None:
        pass

    def deadline(self) -> float | None:
        return None


@dataclass
class FakeDiscovery:
    """What the engine asked mDNS discovery for: records looked up, announcements made again."""

    looked_up: list[str] = field(default_factory=list)
    announced: list[tuple[str, ...] | None] = field(default_factory=list)

    def look_up(self, label: str) -> None:
        self.looked_up.append(label)

    def reannounce(self, addresses: tuple[str, ...] | None = None) -> None:
        self.announced.append(addresses)


class FakeStore:
    def __init__(self) -> None:
        self.items: list[Any] = []
        self.peers: dict[str, str] = {}
        self.saved_records: list[StoredRecord] = []
        self.places: list[tuple[str, str, int, int, str, float]] = []

    def usage_by_peer(self) -> dict[str, tuple[int, int]]:
        return {}

    def prune(self, before: float, now: float | None = None) -> int:
        return 0

    def prune_places(self, before: float) -> int:
        return 0

    def upsert_peer(self, peer: str, key: bytes, name: str, seen: float, verified: bool) -> None:
        self.peers[peer] = name

    def add_items(self, items: list[Any], *, index: bool = True) -> list[bool]:
        self.items += items
        return [True] * len(items)

    def add_own_item(self, item: Any) -> None:
        self.items.append(item)

    def record_own_status(self, status: Any, item: Any) -> None:
        self.items.append(item)

    def index(self, keys: list[tuple[str, int, int]]) -> None:
        pass

    def own_posts(self, author: str, since: float, limit: int) -> list[Any]:
        posts = [i for i in self.items if i.peer == author and i.kind == "post"]
        return [i for i in posts if i.sent_at >= since][-limit:]

    def records(self, author: str | None = None) -> list[StoredRecord]:
        return [r for r in self.saved_records if author is None or r.author == author]

    def save_place(
        self, peer: str, address: str, router_port: int, pub_port: int, *, via: str, at: float
    ) -> None:
        self.places.append((peer, address, router_port, pub_port, via, at))

    def add_received(
        self,
        items: list[Any],
        statuses: dict[str, Any],
        records: Iterable[StoredRecord] = (),
        expiry: dict[str, float] | None = None,
        *,
        index: bool = True,
    ) -> list[bool]:
        self.items += items
        self.saved_records += records
        return [True] * len(items)


class FakeActor(Actor):
    """An Actor whose state is set up by hand: no context, sockets or discovery."""

    def __init__(self, *, max_links: int = 8) -> None:  # no super(): that opens sockets
        self.clock = FakeClock()
        public, secret = zmq.curve_keypair()
        self.cfg = SimpleNamespace(
            public_key=public, secret_key=secret, office=OFFICE, post_history_days=30,
            retention_days=30,
        )
        self.store = FakeStore()
        self.events: list[ev.Event] = []
        self.emit = self.events.append
        self.noise = NoiseLog(logging.getLogger("hallway.test"), self.clock)
        own = fingerprint(public)
        self.own = Own(
            id=own, name="Sam", inc=1, seq=0, status=DEFAULT_STATUS, status_version=(1, 0)
        )
        self.names = NameBook(own, "Sam")
        self.roster = Roster(self.clock)
        self.links = {}
        self.buckets = OrderedDict()
        self.verified = set()
        self.admission = Admission()
        self.quotas = Quotas(self.store.usage_by_peer, self.clock)
        self.pending_items, self.pending_statuses = [], {}
        self.unindexed, self.index_at, self.index_since = [], None, 0.0
        self.pending_records, self.pending_expiry, self.book = [], {}, MeetupBook()
        self.flush_at, self.due = None, 0.0
        self.seats_before, self.backlog, self.backlog_since, self.met_at = (
            None,
            deque(),
            None,
            0.0,
        )
        self.snapshot_cache = None
        self.hint, self.conditions = OtherOfficeHint(), {}
        self.knock_book = KnockBook()
        self.ctx = None
        self.max_links = max_links
        self.router, self.pub = FakeSocket(), FakeSocket()
        self.gate = self.rendezvous_gate = FakeGate()
        self.discovery = FakeDiscovery()
        self.addresses, self.router_port, self.pub_port = ("10.0.0.1",), 7000, 7001
        self.poller = FakePoller()
        self.handlers, self.subs, self.routine = {}, set(), False
        self.commands: queue.SimpleQueue[Command | tuple[str, Any]] = queue.SimpleQueue()
        self.wake_fd, self.wake_fd_w = os.pipe()
        self.running = True
        self.next_prune = self.next_heartbeat = float("inf")
        # Issue 14: how peers were found, our networks, places to try, peer exchange, seeds.
        self.via, self.own_nets, self.alternates = {}, (IPv4Network("10.0.0.0/24"),), {}
        self.told, self.list_buckets, self.seed_tries = {}, OrderedDict(), []
        self.next_exchange = self.places_due = float("inf")

    def close(self) -> None:
        os.close(self.wake_fd)
        os.close(self.wake_fd_w)

    # a member, as seen from here ---------------------------------------------------------------

    def hello(
        self, key: bytes, address: str, frame: object | None = None, *, proto: int = wire.VERSION
    ) -> object:
        """A valid HELLO from `key` at `address` (of protocol `proto`); the frame it came in
        (the gate's handle)."""
        frame = frame if frame is not None else object()
        hello = wire.Hello(
            office=OFFICE.tag, proof=OFFICE.proof(key), name="Bob",
            router_port=7000, pub_port=7001, inc=5, proto=proto,
        )  # fmt: skip
        self._on_hello(b"r", key, fingerprint(key), hello, address, frame=frame)
        return frame

    def welcome(self, peer: str) -> None:
        """The peer answers our HELLO with WELCOME."""
        link = self.links[peer]
        link.dealer.inbox.append(wire.encode(wire.Welcome(name="Bob", pub_port=7001, inc=5)))
        self._on_dealer(link)


def fake_open(cls: type[Link], ctx: object, public: bytes, secret: bytes, **kw: Any) -> Link:
    return cls(dealer=FakeSocket(), **kw)


def fake_subscribe(self: Link, ctx: object, public: bytes, secret: bytes) -> None:
    self.sub, self.monitor = FakeSocket(), FakeSocket()
    self.admitted = False


def new_key() -> bytes:
    return zmq.curve_keypair()[0]
