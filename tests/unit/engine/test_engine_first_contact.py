"""First contact on fake sockets (hallway/engine/syncing.py, linking.py, seeding.py): the SUB
is opened at the peer's HELLO, and a handshake its PUB refused is opened again, because libzmq
never reconnects a socket whose handshake was refused."""

from __future__ import annotations

from typing import Any

import pytest
import zmq

from hallway.core import wire
from hallway.core.model import fingerprint
from hallway.engine.links import Link
from hallway.store.places import StoredPlace
from tests.unit.engine.fake_actor import FakeActor, FakeSocket, new_key


def sub_event(actor: FakeActor, link: Link, event: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The link's SUB monitor reports `event` (patched on the class: a Link has slots only)."""
    monkeypatch.setattr(Link, "monitor_event", lambda _link: event)
    actor._on_monitor(link)


def subscribed(link: Link) -> bool:
    return link.sub is not None  # a call: mypy does not narrow it between a test's steps


def snapshot_requests(link: Link) -> int:
    dealer: Any = link.dealer
    sent = [wire.decode_request(data) for data in dealer.sent]
    return sum(isinstance(request, wire.SnapshotRequest) for request in sent)


def test_the_sub_is_opened_at_the_peers_hello_and_the_snapshot_asked_at_welcome(
    actor: FakeActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = new_key()
    actor.hello(key, "10.0.0.2")
    link = actor.links[fingerprint(key)]
    assert link.sub is not None
    sub_event(actor, link, zmq.EVENT_HANDSHAKE_SUCCEEDED, monkeypatch)
    assert snapshot_requests(link) == 0  # not welcomed yet: its WELCOME asks
    actor.welcome(link.peer)
    assert snapshot_requests(link) == 1


def test_a_refusal_read_after_welcome_opens_the_sub_again(
    actor: FakeActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The peer dialled us and its PUB checked our SUB before it read our HELLO; its WELCOME
    # (it admits us now) is read before the refusal. The SUB must not stay dead.
    key = new_key()
    actor.hello(key, "10.0.0.2")
    link = actor.links[fingerprint(key)]
    refused: Any = link.sub
    actor.welcome(link.peer)
    sub_event(actor, link, zmq.EVENT_HANDSHAKE_FAILED_AUTH, monkeypatch)
    assert isinstance(refused, FakeSocket)
    assert refused.closed
    assert link.sub is not None
    assert link.sub is not refused
    assert link.sub in actor.handlers
    assert refused not in actor.handlers
    sub_event(actor, link, zmq.EVENT_HANDSHAKE_SUCCEEDED, monkeypatch)
    assert snapshot_requests(link) == 1


def test_a_refusal_read_before_welcome_waits_for_it(
    actor: FakeActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = new_key()
    actor.hello(key, "10.0.0.2")
    link = actor.links[fingerprint(key)]
    sub_event(actor, link, zmq.EVENT_HANDSHAKE_FAILED_AUTH, monkeypatch)
    assert not subscribed(link)
    actor.welcome(link.peer)
    assert subscribed(link)
    sub_event(actor, link, zmq.EVENT_HANDSHAKE_SUCCEEDED, monkeypatch)
    assert snapshot_requests(link) == 1


def test_a_refusal_with_no_sign_since_waits_for_the_peers_next_hello(
    actor: FakeActor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The peer restarted and its new PUB does not know us yet: no new SUB until it says HELLO,
    # and a refusal does not open one SUB after another.
    key = new_key()
    actor.hello(key, "10.0.0.2")
    link = actor.links[fingerprint(key)]
    actor.welcome(link.peer)
    sub_event(actor, link, zmq.EVENT_HANDSHAKE_SUCCEEDED, monkeypatch)
    sub_event(actor, link, zmq.EVENT_HANDSHAKE_FAILED_AUTH, monkeypatch)
    assert link.sub is None
    actor.hello(key, "10.0.0.2")
    assert actor.links[link.peer].sub is not None


def test_a_place_dialled_is_admitted_to_our_pub(actor: FakeActor) -> None:
    # Our HELLO tells the member our PUB admits it: it subscribes on reading it.
    key = new_key()
    place = StoredPlace(
        peer=fingerprint(key), key=key, address="10.0.0.2", router_port=7000, pub_port=7001,
        via="mdns", last_ok=actor.clock(),
    )  # fmt: skip
    actor.store = type("Places", (), {"places": lambda self, since: [place]})()
    actor.places_due = 0.0
    actor._places_timer(actor.clock())
    assert fingerprint(key) in actor.links
    assert key in actor.verified
    assert actor._authorize(b"pub", key)

