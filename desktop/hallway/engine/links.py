"""One peer's sockets: a DEALER to its ROUTER and, once it admits us, a SUB on its PUB.

Owned and used only by the engine thread. Everything arriving on these sockets is attributed to
the peer whose key the CURVE handshake proved, whatever the message itself says.
"""

from __future__ import annotations

import msgspec
import zmq

from hallway.core import wire
from hallway.core.wire import SnapRec
from hallway.net.gate import monitor_event
from hallway.net.sockets import curve_client, endpoint

_MONITORED = (
    zmq.EVENT_DISCONNECTED | zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_AUTH
)
SNAPSHOT_RETRY = 3.0  # a snapshot not complete by then was lost (or dropped by us): ask again


class SnapshotBuffer(msgspec.Struct):
    recs: list[SnapRec] = msgspec.field(default_factory=list)
    parts: int = 0  # received so far: each costs a message from the peer's budget


class Link(msgspec.Struct):
    peer: str
    key: bytes
    address: str
    router_port: int
    pub_port: int
    dealer: zmq.Socket[bytes]
    sub: zmq.Socket[bytes] | None = None
    monitor: zmq.Socket[bytes] | None = None
    welcomed: bool = False
    hello_at: float = 0.0
    hello_tries: int = 0
    snapshot: SnapshotBuffer | None = None
    snapshot_due: float = 0.0  # when the snapshot in flight counts as lost
    snapshot_since: tuple[int, int] | None = None  # what it asks for (None: everything)
    synced_once: bool = False
    sub_up: bool = False  # the SUB's handshake succeeded and it has not disconnected since
    admitted: bool = False  # the peer showed it admits us (HELLO, WELCOME) since the SUB opened
    suspect_until: float | None = None  # disconnected; offline unless it reconnects by then

    @classmethod
    def open(
        cls,
        ctx: zmq.Context[zmq.Socket[bytes]],
        own_public: bytes,
        own_secret: bytes,
        *,
        peer: str,
        key: bytes,
        address: str,
        router_port: int,
        pub_port: int,
    ) -> Link:
        dealer = curve_client(ctx, zmq.DEALER, own_public, own_secret, key)
        try:
            dealer.connect(endpoint(address, router_port))
        except zmq.ZMQError:
            dealer.close(linger=0)  # no half-built link holds a descriptor
            raise
        return cls(
            peer=peer,
            key=key,
            address=address,
            router_port=router_port,
            pub_port=pub_port,
            dealer=dealer,
        )

    def same_place(self, address: str, router_port: int, pub_port: int) -> bool:
        return (address, router_port, pub_port) == (self.address, self.router_port, self.pub_port)

    def send(self, payload: bytes) -> bool:
        """Send to the peer's ROUTER without blocking; False when its queue is full."""
        try:
            self.dealer.send(payload, zmq.NOBLOCK)
        except zmq.Again:
            return False
        return True

    def subscribe(self, ctx: zmq.Context[zmq.Socket[bytes]], public: bytes, secret: bytes) -> None:
        if self.sub is not None:
            return
        sub = curve_client(ctx, zmq.SUB, public, secret, self.key)
        try:
            sub.setsockopt(zmq.SUBSCRIBE, wire.TOPIC)
            self.monitor = sub.get_monitor_socket(_MONITORED)
            sub.connect(endpoint(self.address, self.pub_port))
        except zmq.ZMQError:
            if self.monitor is not None:
                sub.disable_monitor()
                self.monitor.close(linger=0)
                self.monitor = None
            sub.close(linger=0)
            raise
        self.sub = sub
        self.admitted = False

    def monitor_event(self) -> int:
        assert self.monitor is not None
        return monitor_event(self.monitor.recv_multipart()[0])[0]

    def request_snapshot(self, now: float, since: tuple[int, int] | None) -> bool:
        """Ask for the peer's records published after `since` (its inc and seq), or for all
        of them (None). One at a time: while one is in flight, that one stands."""
        if self.snapshot is not None and now < self.snapshot_due:
            return True  # one is on its way (or a retry is scheduled: `retry_snapshot_at`)
        self.snapshot = SnapshotBuffer()
        self.snapshot_due = now + SNAPSHOT_RETRY
        self.snapshot_since = since
        inc, seq = since or (0, 0)
        return self.send(wire.encode(wire.SnapshotRequest(inc=inc, seq=seq)))

    def retry_snapshot_at(self, when: float, spoiled: SnapshotBuffer) -> None:
        """Mark the snapshot in flight dropped (`spoiled`), and ask again at `when`."""
        self.snapshot = spoiled
        self.snapshot_due = when

    def sockets(self) -> list[zmq.Socket[bytes]]:
        return [s for s in (self.dealer, self.sub, self.monitor) if s is not None]

    @property
    def subscribed(self) -> bool:
        return self.sub is not None

    def unsubscribe(self) -> None:
        if self.sub is not None:
            self.sub.disable_monitor()
            self.sub.close(linger=0)
        if self.monitor is not None:
            self.monitor.close(linger=0)
        self.sub = self.monitor = None
        self.sub_up = False

    def close(self) -> None:
        self.unsubscribe()
        self.dealer.close(linger=0)


__all__ = ["SNAPSHOT_RETRY", "Link", "SnapRec", "SnapshotBuffer"]
