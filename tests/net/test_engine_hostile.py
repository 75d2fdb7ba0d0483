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
from hallway.core.meetups import Answer, EventSpec, RsvpValue
from hallway.core.model import Presence, fingerprint
from hallway.core.office import Office, derive_office_key
from hallway.core.records import local_key
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
from hallway.engine.events import OLD_PROTOCOL as OLD_PROTOCOL_CODE
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
                    proto=wire.VERSION,
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
    env = wire.Envelope(v=wire.VERSION, inc=7, seq=seq, at=at or time.time(), body=body)
    return wire.encode(env)


def _raw_record(seq: int, kind: object, key: object, val: object, at: float = 1.0) -> bytes:
    """A record envelope built by hand, for shapes our encoder would not make."""
    body = {"k": "rec", "kind": kind, "key": key, "val": val}
    return msgspec.msgpack.encode({"v": wire.VERSION, "inc": 7, "seq": seq, "at": at, "body": body})


def test_hostile_member_cannot_crash_or_bloat_a_node(victim: tuple[Node, Recorder]) -> None:
    node, events = victim
    mallory = FakeMember()
    try:
        mallory.hello(node)
        status = wire.StatusValue(presence=Presence.AVAILABLE)
        snapshot = wire.SnapshotPart(
            inc=7, seq=1, name="Mallory",
            recs=[wire.SnapRec(7, 1, time.time(), "status", "", status)],
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
        mallory.publish(_raw_record(2, "post", "7:2", {"t": "post", "text": "y" * 5000}))
        mallory.publish(
            msgspec.msgpack.encode(
                {"v": wire.VERSION, "inc": 7, "seq": 2, "at": float("nan"), "body": {"k": "hb"}}
            )
        )
        mallory.publish(_raw_record(2, "event", "7:2", {"t": "event", "title": "", "start": 1.0}))
        # Protocol 1's bodies, and a record of a kind this version does not know.
        mallory.publish(
            msgspec.msgpack.encode(
                {"v": 1, "inc": 7, "seq": 2, "at": 1.0, "body": {"k": "post", "text": "hi"}}
            )
        )
        mallory.publish(_raw_record(2, "ack", "7:2", None))
        mallory.publish(
            msgspec.msgpack.encode({"v": 99, "inc": 7, "seq": 2, "at": 1.0, "body": {"k": "hb"}})
        )
        for seq in range(2, 4002):  # a flood far past the rate limit
            busy = wire.StatusValue(presence=Presence.BUSY, text=str(seq))
            mallory.publish(_envelope(seq, wire.Rec(kind="status", val=busy)))
        events.wait(NodeWarning)
        wait_until(lambda: node.stats().get("dropped: over the rate limit", 0) > 0, 10, "drops")
        stats = node.stats()
        assert stats["dropped: malformed message"] >= 5
        assert stats["dropped: unsupported protocol version"] >= 1
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
            wire.SnapRec(7, i, time.time(), "post", local_key(7, i), wire.PostValue(text="z"))
            for i in range(wire.SNAPSHOT_PART_MAX)
        ]
        part = wire.SnapshotPart(inc=7, seq=1, name="Mallory", recs=posts, more=True)
        parts = wire.SNAPSHOT_RECORDS_MAX // wire.SNAPSHOT_PART_MAX + 1  # one more than it holds
        mallory.serve_requests([wire.encode(part)] * parts)
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

    def full(*_: object, **__: object) -> bool:
        raise StoreError("the disk is full: could not save a post to /home/x/hallway.db")

    monkeypatch.setattr(actor.store, "add_own_item", full)
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


# Issue 10 review: linking._on_hello checked `proto` before the membership proof, so a
# stranger's HELLO without `proto` raised the old-protocol warning; the proof comes first now.
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
            hello = {"k": "hello", "office": "x", "proof": b"", "name": "M", "router_port": 1,
                     "pub_port": 1, "inc": 1}  # fmt: skip
            dealer.send(msgspec.msgpack.encode(hello | {"proto": wire.VERSION}))
            dealer.send(msgspec.msgpack.encode(hello))  # as protocol 1 said it
            dealer.close()
        wait_until(lambda: node.stats().get("dropped: malformed request", 0) >= 30, 10, "drops")
        proofs = "dropped: HELLO without a valid membership proof"
        wait_until(lambda: node.stats().get(proofs, 0) >= 60, 10, "every HELLO judged")
        node.set_status(Presence.AWAY, "Lunch")
        events.wait(StatusChanged, own=True)
        assert not any(isinstance(e, NodeWarning) for e in events.seen)
        assert len(node.peers()) == 1  # strangers never reach the roster
    finally:
        ctx.term()


def test_a_member_writes_only_its_own_records(
    victim: tuple[Node, Recorder], tmp_path: Path
) -> None:
    """Issue 10: records are attributed to the key the CURVE handshake proved. A member that
    names another member's event in its records, by its key or by its id, writes only records
    of its own: its own event under that key, its own answer to that event."""
    node, events = victim
    ben, _ = _node(tmp_path / "ben", "Ben")
    mallory = FakeMember()
    try:
        events.wait(PeerOnline, name="Ben")
        standup = ben.create_event(EventSpec(title="Standup", start=time.time() + 7200))
        ben.rsvp(standup.id, Answer.GOING)
        ben_key = standup.id.split(":", 1)[1]
        wait_until(lambda: _going(node, standup.id) == [ben.id], 20, "Ben's event and answer")
        mallory.hello(node)
        hijack = EventSpec(title="Cancelled, go home", start=time.time() + 60, cancelled=True)
        now = time.time()
        recs = [
            wire.SnapRec(7, 1, now, "event", ben_key, hijack),
            wire.SnapRec(7, 2, now, "rsvp", standup.id, RsvpValue(Answer.GOING, at=now)),
            wire.SnapRec(7, 3, now, "status", "", wire.StatusValue(Presence.DND, "Ben is out")),
        ]
        mallory.serve_requests(
            [wire.encode(wire.SnapshotPart(inc=7, seq=3, name="Mallory", recs=recs))]
        )
        events.wait(PeerOnline, peer=mallory_id(mallory))
        them = mallory_id(mallory)
        theirs = f"{them}:{ben_key}"
        wait_until(lambda: theirs in _event_ids(node), 10, "Mallory's own event")
        assert _going(node, standup.id) == [ben.id, them]  # her answer, as hers
        assert node.event(standup.id).title == "Standup"
        statuses = {p.id: p.status.text for p in node.peers()}
        assert (statuses[them], statuses[ben.id]) == ("Ben is out", "")
        # Live: a deletion of "Ben's" event, an event keyed by its full id (malformed), Ben's
        # answer withdrawn, all sent by Mallory.
        mallory.publish(_envelope(4, wire.Rec(kind="event", key=ben_key)))
        mallory.publish(_raw_record(5, "event", standup.id, None))
        mallory.publish(_envelope(5, wire.Rec(kind="rsvp", key=standup.id)))
        wait_until(lambda: theirs not in _event_ids(node), 10, "Mallory's delete")
        wait_until(lambda: _going(node, standup.id) == [ben.id], 10, "Mallory's answer gone")
        held = node.event(standup.id)
        assert (held.title, held.cancelled, held.organiser) == ("Standup", False, ben.id)
        assert _event_ids(node) == {standup.id}
        assert node.stats()["dropped: malformed record"] == 1
        assert ben.event(standup.id).title == "Standup"
    finally:
        mallory.close()
        ben.close()


def mallory_id(member: FakeMember) -> str:
    return fingerprint(member.public)


def _event_ids(node: Node) -> set[str]:
    return {e.id for e in node.events(include_past=True)}


def _going(node: Node, event_id: str) -> list[str]:
    try:
        return [a.peer for a in node.event(event_id).going]
    except NodeError:  # not there (yet)
        return []


def test_a_protocol_1_node_is_ignored_with_one_warning(
    victim: tuple[Node, Recorder], tmp_path: Path
) -> None:
    """Issue 10: a version-1 member (its proof is valid) knocks on the ROUTER with a HELLO
    without `proto`, and announces a `v=1` record on mDNS. Neither links it nor crashes the node;
    one warning says why, and the members of this version are unaffected."""
    node, events = victim
    old = FakeMember()
    spoofer = Zeroconf(interfaces=["127.0.0.1"])
    try:
        # HELLO as protocol 1 said it: no `proto`.
        hello = {"k": "hello", "office": OFFICE.tag, "proof": OFFICE.proof(old.public),
                 "name": "Old", "router_port": old.router_port, "pub_port": old.pub_port,
                 "inc": 1}  # fmt: skip
        dealer = old.ctx.socket(zmq.DEALER)
        dealer.linger = 0
        dealer.curve_serverkey = node.config.public_key
        dealer.curve_publickey, dealer.curve_secretkey = old.public, old.secret
        dealer.connect(f"tcp://127.0.0.1:{node.info.router_port}")
        for _ in range(3):
            dealer.send(msgspec.msgpack.encode(hello))
        record = TxtRecord(
            public_key=old.public, pub_port=old.pub_port, office_tag=OFFICE.tag,
            proof=OFFICE.proof(old.public),
        )  # fmt: skip
        props = {**build_txt(record), b"v": b"1"}
        info = ServiceInfo(
            SERVICE_TYPE, f"{mallory_id(old)}.{SERVICE_TYPE}", port=old.router_port,
            properties=props, addresses=[socket.inet_aton("127.0.0.1")],
            server=f"{mallory_id(old)}.local.",
        )  # fmt: skip
        spoofer.register_service(info, cooperating_responders=True)
        warning = events.wait(NodeWarning, code=OLD_PROTOCOL_CODE)
        assert "protocol 1" in warning.message
        assert not dealer.poll(1000)  # no WELCOME, no reply at all
        ben, _ = _node(tmp_path / "ben", "Ben")
        try:
            events.wait(PeerOnline, name="Ben")
        finally:
            ben.close()
        assert [e for e in events.seen if isinstance(e, NodeWarning)] == [warning]
        assert {p.name for p in node.peers()} == {"Victim", "Ben"}
        assert node.running
        dealer.close(0)
    finally:
        spoofer.close()
        old.close()
