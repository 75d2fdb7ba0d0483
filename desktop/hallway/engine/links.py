"""One peer's sockets: a DEALER to its ROUTER and, once welcomed, a SUB on its PUB.

Owned and used only by the engine thread. Everything arriving on these sockets is attributed to
the peer whose key the CURVE handshake proved, whatever the message itself says.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import zmq
from zmq.utils.monitor import recv_monitor_message

from hallway.core import wire
from hallway.core.wire import SnapPost, StatusBody
from hallway.net.sockets import curve_client, endpoint

_MONITORED = zmq.EVENT_DISCONNECTED | zmq.EVENT_HANDSHAKE_SUCCEEDED


@dataclass
class SnapshotBuffer:
    posts: list[SnapPost] = field(default_factory=list)


@dataclass
class Link:
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
    snapshot_at: float = 0.0
    synced_once: bool = False
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
        dealer.connect(endpoint(address, router_port))
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
        sub.setsockopt(zmq.SUBSCRIBE, wire.TOPIC)
        self.monitor = sub.get_monitor_socket(_MONITORED)
        sub.connect(endpoint(self.address, self.pub_port))
        self.sub = sub

    def monitor_event(self) -> int:
        assert self.monitor is not None
        event: int = recv_monitor_message(self.monitor)["event"]
        return event

    def request_snapshot(self, now: float) -> bool:
        if self.snapshot is not None and now - self.snapshot_at < 3.0:
            return True  # one is on its way
        self.snapshot = SnapshotBuffer()
        self.snapshot_at = now
        return self.send(wire.encode(wire.SnapshotRequest()))

    def sockets(self) -> list[zmq.Socket[bytes]]:
        return [s for s in (self.dealer, self.sub, self.monitor) if s is not None]

    def close(self) -> None:
        if self.sub is not None:
            self.sub.disable_monitor()
            self.sub.close(linger=0)
        if self.monitor is not None:
            self.monitor.close(linger=0)
        self.dealer.close(linger=0)
        self.sub = self.monitor = None


__all__ = ["Link", "SnapPost", "SnapshotBuffer", "StatusBody"]
