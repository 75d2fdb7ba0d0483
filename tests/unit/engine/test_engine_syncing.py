"""What peers send the actor (hallway/engine/syncing.py), on fake sockets: how a snapshot is
charged, and that a repair is slowed by the rate limit but never lost."""

from __future__ import annotations

import time

from hallway.core import wire
from hallway.core.model import fingerprint
from hallway.engine import events as ev
from hallway.engine.links import SNAPSHOT_RETRY, Link
from hallway.engine.sync import Spoiled
from tests.unit.engine.fake_actor import FakeActor, new_key

INC = 5


def linked(actor: FakeActor) -> Link:
    key = new_key()
    actor.hello(key, "10.0.1.1")
    peer = fingerprint(key)
    actor.welcome(peer)
    return actor.links[peer]


def snapshot(seq: int, posts: int, text: str = "x" * 300) -> list[bytes]:
    """A snapshot at `seq` with its author's last `posts` posts, in parts as they are sent."""
    return wire.chunk_snapshot(
        inc=INC,
        seq=seq,
        name="Bob",
        posts=[
            wire.SnapPost(inc=INC, seq=s, at=1.0, text=text, urgent=False)
            for s in range(seq - posts + 1, seq + 1)
        ],
        status=None,
        status_at=0.0,
    )


def deliver(actor: FakeActor, link: Link, parts: list[bytes]) -> None:
    link.dealer.inbox += parts  # type: ignore[attr-defined]
    actor._on_dealer(link)


def requests(link: Link) -> int:
    return sum(
        isinstance(wire.decode_request(data), wire.SnapshotRequest)
        for data in link.dealer.sent  # type: ignore[attr-defined]
    )


def test_an_honest_snapshot_after_a_drained_budget_is_slowed_not_lost(actor: FakeActor) -> None:
    """The peer spent its burst on live messages; 3 s later (300 tokens) comes its 500-post
    snapshot. It cannot be paid yet, so it is asked for again once it can: no retry loop that
    spends its budget on parts of snapshots that are thrown away."""
    link = linked(actor)
    start = actor.clock()
    link.request_snapshot(start)
    bucket = actor.buckets[link.peer]
    bucket.tokens, bucket.stamp = 300.0, time.monotonic()
    parts = snapshot(500, 500)
    assert len(parts) > 1
    deliver(actor, link, parts)
    assert actor.store.items == []
    assert isinstance(link.snapshot, Spoiled)
    # Only its parts were charged: nothing for posts that were not kept.
    assert bucket.tokens >= 300.0 - len(parts)
    due = link.snapshot_due
    assert due >= start + SNAPSHOT_RETRY
    # Not asked again before the bucket can pay...
    actor.clock.now = due - 0.1
    actor._timers()
    assert requests(link) == 1
    # ...and then it is, and the snapshot goes through whole.
    actor.clock.now = due
    bucket.stamp -= due - start  # the bucket's time passes too
    actor._timers()
    assert requests(link) == 2
    deliver(actor, link, parts)
    assert link.snapshot is None
    assert len(actor.store.items) == 500
    assert any(isinstance(e, ev.PeerOnline) for e in actor.events)


def test_a_snapshot_is_charged_only_for_the_posts_kept(actor: FakeActor) -> None:
    link = linked(actor)
    state = actor.roster.get(link.peer)
    assert state is not None
    link.request_snapshot(actor.clock())
    deliver(actor, link, snapshot(100, 100))  # first sync: all 100
    assert len(actor.store.items) == 100
    state.seq.check(INC, 103, data=True)  # 101 and 102 were missed
    link.request_snapshot(actor.clock() + SNAPSHOT_RETRY)
    bucket = actor.buckets[link.peer]
    bucket.tokens, bucket.stamp = 10.0, time.monotonic()
    parts = snapshot(103, 103)  # 103 posts, of which 3 fill the gap (101 to 103)
    deliver(actor, link, parts)
    assert link.snapshot is None
    assert len(actor.store.items) == 103
    assert bucket.tokens >= 10.0 - len(parts) - 3 - 0.01


def test_a_gap_found_while_a_snapshot_is_in_flight_is_repaired(actor: FakeActor) -> None:
    link = linked(actor)
    state = actor.roster.get(link.peer)
    assert state is not None
    link.request_snapshot(actor.clock())
    deliver(actor, link, snapshot(10, 10))
    link.request_snapshot(actor.clock() + SNAPSHOT_RETRY)  # a resync, on its way
    asked = requests(link)
    envelope = wire.Envelope(
        v=wire.VERSION, inc=INC, seq=14, at=1.0, body=wire.PostBody(text="hi", urgent=False)
    )
    actor._on_envelope(link, envelope)  # 11 to 13 missed: a snapshot is already in flight
    assert requests(link) == asked
    deliver(actor, link, snapshot(11, 11))  # the one in flight: older than the gap
    assert requests(link) == asked + 1  # the rest of the hole is asked for at once
    deliver(actor, link, snapshot(14, 14))
    assert not state.seq.unfilled
    # (14 twice: live, and in the snapshot; the store keeps each (peer, inc, seq) once)
    seqs = {item.seq for item in actor.store.items + actor.pending_items}
    assert seqs == set(range(1, 15))
