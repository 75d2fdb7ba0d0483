"""A hostile *member* (it holds the office key) cannot crash, block or bloat a node.

These tests run Node in-process on 127.0.0.1, so the test process itself must be inside a network
namespace of its own: tests/run starts pytest under `unshare --net`.
"""

from __future__ import annotations

import queue
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
import zmq
from zeroconf import ServiceInfo, Zeroconf

from hallway.core import wire
from hallway.core.model import Presence
from hallway.core.office import Office, derive_office_key
from hallway.core.txt import SERVICE_TYPE, TxtRecord, build_txt
from hallway.engine import (
    Event,
    Node,
    NodeConfig,
    NodeError,
    NodeWarning,
    PeerOffline,
    PeerOnline,
    StatusChanged,
)
from hallway.store import StoreError
from tests.support.netlab import require_private_loopback
from tests.support.waiting import wait_until

pytestmark = pytest.mark.net

OFFICE = Office(name="Acme", key=derive_office_key("Acme", "pw"))


@pytest.fixture
def loopback() -> None:
    require_private_loopback()


class Recorder:
    def __init__(self) -> None:
        self.events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self.seen: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.put(event)

    def wait(self, kind: type[Event], timeout: float = 10.0, **fields: object) -> Event:
        for event in self.seen:
            if isinstance(event, kind) and all(getattr(event, k) == v for k, v in fields.items()):
                return event
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(event)
            if isinstance(event, kind) and all(getattr(event, k) == v for k, v in fields.items()):
                return event
        raise TimeoutError(f"no {kind.__name__} {fields}; saw {[e.type for e in self.seen]}")


def _node(home: Path, name: str) -> tuple[Node, Recorder]:
    public, secret = zmq.curve_keypair()
    home.mkdir(mode=0o700)
    node = Node(
        NodeConfig(
            home=home, name=name, public_key=public, secret_key=secret, office=OFFICE,
            interfaces=("127.0.0.1",),
        )
    )  # fmt: skip
    recorder = Recorder()
    node.subscribe(recorder)
    node.start()
    return node, recorder


@pytest.fixture
def victim(loopback: None, tmp_path: Path) -> Iterator[tuple[Node, Recorder]]:
    node, recorder = _node(tmp_path / "victim", "Victim")
    try:
        yield node, recorder
    finally:
        node.close()


class FakeMember:
    """Speaks just enough of the protocol to be accepted, then misbehaves."""

    def __init__(self) -> None:
        self.public, self.secret = zmq.curve_keypair()
        self.ctx = zmq.Context()
        self.router = self._server(zmq.ROUTER)
        self.pub = self._server(zmq.PUB)
        self.router_port = self.router.bind_to_random_port("tcp://127.0.0.1")
        self.pub_port = self.pub.bind_to_random_port("tcp://127.0.0.1")
        self.dealer: zmq.Socket[bytes] | None = None

    def _server(self, kind: int) -> zmq.Socket[bytes]:
        sock = self.ctx.socket(kind)
        sock.linger = 0
        sock.sndhwm = 0  # no limit: the flood must reach the node
        sock.curve_server = True
        sock.curve_publickey, sock.curve_secretkey = self.public, self.secret
        return sock

    def hello(self, node: Node) -> None:
        dealer = self.ctx.socket(zmq.DEALER)
        dealer.linger = 0
        dealer.curve_serverkey = node.config.public_key
        dealer.curve_publickey, dealer.curve_secretkey = self.public, self.secret
        dealer.connect(f"tcp://127.0.0.1:{node.info.router_port}")
        dealer.send(
            wire.encode(
                wire.Hello(
                    office=OFFICE.tag, proof=OFFICE.proof(self.public), name="Mallory",
                    router_port=self.router_port, pub_port=self.pub_port, inc=7,
                )
            )
        )  # fmt: skip
        assert dealer.poll(10_000), "no WELCOME from the node"
        assert isinstance(wire.decode_reply(dealer.recv()), wire.Welcome)
        self.dealer = dealer

    def serve_requests(self, replies: list[bytes], timeout: float = 10.0) -> None:
        """Answer the node's HELLO and SNAPSHOT requests with `replies` (after WELCOME)."""
        deadline = time.monotonic() + timeout
        answered_snapshot = False
        while not answered_snapshot and time.monotonic() < deadline:
            if not self.router.poll(100):
                continue
            routing, payload = self.router.recv_multipart()
            request = wire.decode_request(payload)
            if isinstance(request, wire.Hello):
                welcome = wire.Welcome(name="Mallory", pub_port=self.pub_port, inc=7)
                self.router.send_multipart([routing, wire.encode(welcome)])
            else:
                for reply in replies:
                    self.router.send_multipart([routing, reply])
                answered_snapshot = True
        assert answered_snapshot, "the node never asked for a snapshot"

    def publish(self, payload: bytes) -> None:
        self.pub.send_multipart([wire.TOPIC, payload])

    def close(self) -> None:
        for sock in (self.router, self.pub, self.dealer):
            if sock is not None:
                sock.close(0)
        self.ctx.term()


def _envelope(seq: int, body: wire.Body, *, at: float | None = None) -> bytes:
    return wire.encode(wire.Envelope(v=1, inc=7, seq=seq, at=at or time.time(), body=body))


def test_hostile_member_cannot_crash_or_bloat_a_node(victim: tuple[Node, Recorder]) -> None:
    node, events = victim
    mallory = FakeMember()
    try:
        mallory.hello(node)
        snapshot = wire.SnapshotPart(
            inc=7, seq=1, name="Mallory", status=wire.StatusBody(presence=Presence.AVAILABLE),
            status_at=time.time(),
        )  # fmt: skip
        mallory.serve_requests(
            [
                b"\xc1garbage",
                msgspec.msgpack.encode({"k": "snapshot", "inc": 7, "seq": -1, "name": 5}),
                msgspec.msgpack.encode({"k": "snapshot", "inc": 7, "seq": 1, "name": "x" * 500}),
                wire.encode(snapshot),
            ]
        )
        events.wait(PeerOnline, name="Mallory")
        # Now a stream of abuse on the PUB: junk, wrong shapes, over-long text, absurd times.
        mallory.publish(b"\x00\x01\x02")
        mallory.pub.send_multipart([b"x", b"y", b"z"])
        mallory.publish(
            msgspec.msgpack.encode(
                {"v": 1, "inc": 7, "seq": 2, "at": 1.0, "body": {"k": "post", "text": "y" * 5000}}
            )
        )
        mallory.publish(
            msgspec.msgpack.encode(
                {"v": 1, "inc": 7, "seq": 2, "at": float("nan"), "body": {"k": "hb"}}
            )
        )
        mallory.publish(
            msgspec.msgpack.encode({"v": 99, "inc": 7, "seq": 2, "at": 1.0, "body": {"k": "hb"}})
        )
        for seq in range(2, 4002):  # a flood far past the rate limit
            mallory.publish(_envelope(seq, wire.StatusBody(presence=Presence.BUSY, text=str(seq))))
        events.wait(NodeWarning)
        wait_until(lambda: node.stats().get("dropped: over the rate limit", 0) > 0, 10, "drops")
        stats = node.stats()
        assert stats["dropped: malformed message"] >= 3
        assert stats["dropped: malformed reply"] >= 1
        assert len(stats) < 12
        # The node still serves its own user and the office.
        node.set_status(Presence.BUSY, "Still fine")
        events.wait(StatusChanged, own=True)
        assert node.me().status.text == "Still fine"
        peers = node.peers()
        assert len(peers) == 2
        assert len(node.feed(limit=1000)) <= 1000
    finally:
        mallory.close()


def test_member_snapshot_cannot_overflow(victim: tuple[Node, Recorder]) -> None:
    node, events = victim
    mallory = FakeMember()
    try:
        mallory.hello(node)
        posts = [
            wire.SnapPost(inc=7, seq=i, at=time.time(), text="z", urgent=False)
            for i in range(wire.SNAPSHOT_POSTS_MAX)
        ]
        part = wire.SnapshotPart(inc=7, seq=1, name="Mallory", posts=posts, more=True)
        mallory.serve_requests([wire.encode(part)] * 5)
        warning = events.wait(NodeWarning)
        assert "snapshot" in warning.message
        assert node.running
    finally:
        mallory.close()


def test_a_full_disk_is_an_error_for_people_not_a_crash(
    victim: tuple[Node, Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    node, _ = victim
    actor = node._actor
    assert actor is not None

    def full(*_: object) -> bool:
        raise StoreError("the disk is full: could not save a post to /home/x/hallway.db")

    monkeypatch.setattr(actor.store, "add_item", full)
    with pytest.raises(NodeError, match="disk is full"):
        node.post("Lost?")
    monkeypatch.undo()
    assert node.running
    assert node.post("After the disk was freed").text == "After the disk was freed"


def test_a_copied_mdns_record_and_a_spoofed_goodbye_cut_no_one_off(
    victim: tuple[Node, Recorder], tmp_path: Path
) -> None:
    """mDNS is plain text: anyone can re-announce a member's record (key and proof included)
    with another address, or send a goodbye for it. Neither may cut a working link."""
    node, events = victim
    ben, _ = _node(tmp_path / "ben", "Ben")
    spoofer = Zeroconf(interfaces=["127.0.0.1"])
    try:
        events.wait(PeerOnline, name="Ben")
        record = TxtRecord(
            public_key=ben.config.public_key, pub_port=1, office_tag=OFFICE.tag,
            proof=OFFICE.proof(ben.config.public_key),
        )  # fmt: skip
        fake = ServiceInfo(
            SERVICE_TYPE, f"{ben.id}.{SERVICE_TYPE}", port=2, properties=build_txt(record),
            addresses=[socket.inet_aton("127.0.0.1")], server=f"{ben.id}.local.",
        )  # fmt: skip
        spoofer.register_service(fake, cooperating_responders=True)
        spoofer.unregister_service(fake)  # and its goodbye
        ben.set_status(Presence.BUSY, "Still here")
        events.wait(StatusChanged, peer=ben.id)
        assert not any(isinstance(e, PeerOffline) for e in events.seen)
        assert next(p for p in node.peers() if p.id == ben.id).online
    finally:
        spoofer.close()
        ben.close()


def test_strangers_cycling_keys_raise_no_warnings(victim: tuple[Node, Recorder]) -> None:
    node, events = victim
    ctx = zmq.Context()
    try:
        for _ in range(30):  # thirty fresh keys, each a non-member knocking with junk
            dealer = ctx.socket(zmq.DEALER)
            dealer.linger = 2000  # deliver what was sent once the handshake is done
            dealer.curve_serverkey = node.config.public_key
            dealer.curve_publickey, dealer.curve_secretkey = zmq.curve_keypair()
            dealer.connect(f"tcp://127.0.0.1:{node.info.router_port}")
            dealer.send(b"\xc1junk")
            dealer.send(msgspec.msgpack.encode({"k": "hello", "office": "x", "proof": b"",
                                                "name": "M", "router_port": 1, "pub_port": 1,
                                                "inc": 1}))
            dealer.close()
        wait_until(lambda: node.stats().get("dropped: malformed request", 0) >= 30, 10, "drops")
        node.set_status(Presence.AWAY, "Lunch")
        events.wait(StatusChanged, own=True)
        assert not any(isinstance(e, NodeWarning) for e in events.seen)
        assert len(node.peers()) == 1  # strangers never reach the roster
    finally:
        ctx.term()
