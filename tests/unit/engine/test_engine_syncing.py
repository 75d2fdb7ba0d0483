"""What peers send the actor (hallway/engine/syncing.py), on fake sockets: how a snapshot is
charged, and that a repair is slowed by the rate limit but never lost."""

from __future__ import annotations

import time

from hallway.core import wire
from hallway.core.meetups import Answer, EventSpec, RsvpValue
from hallway.core.model import Post, fingerprint, post_id
from hallway.core.records import local_key, record_id
from hallway.engine import events as ev
from hallway.engine.links import SNAPSHOT_RETRY, Link
from hallway.engine.state import post_item
from hallway.engine.sync import Spoiled
from hallway.store.records import StoredRecord
from tests.unit.engine.fake_actor import FakeActor, new_key

INC = 5


def linked(actor: FakeActor) -> Link:
    key = new_key()
    actor.hello(key, "10.0.1.1")
    peer = fingerprint(key)
    actor.welcome(peer)
    return actor.links[peer]


def post_rec(seq: int, text: str) -> wire.SnapRec:
    return wire.SnapRec(INC, seq, 1.0, "post", local_key(INC, seq), wire.PostValue(text=text))


def snapshot(seq: int, posts: int, text: str = "x" * 300) -> list[bytes]:
    """A snapshot at `seq` with its author's last `posts` posts, in parts as they are sent."""
    recs = [post_rec(s, text) for s in range(seq - posts + 1, seq + 1)]
    return wire.chunk_snapshot(inc=INC, seq=seq, name="Bob", recs=recs)


def deliver(actor: FakeActor, link: Link, parts: list[bytes]) -> None:
    link.dealer.inbox += parts  # type: ignore[attr-defined]
    actor._on_dealer(link)


def asked(link: Link) -> list[wire.SnapshotRequest]:
    """The snapshot requests sent on the link, in order."""
    sent = [wire.decode_request(data) for data in link.dealer.sent]  # type: ignore[attr-defined]
    return [request for request in sent if isinstance(request, wire.SnapshotRequest)]


def requests(link: Link) -> int:
    return len(asked(link))


def test_an_honest_snapshot_after_a_drained_budget_is_slowed_not_lost(actor: FakeActor) -> None:
    """The peer spent its burst on live messages; 3 s later (300 tokens) comes its 500-post
    snapshot. It cannot be paid yet, so it is asked for again once it can: no retry loop that
    spends its budget on parts of snapshots that are thrown away."""
    link = linked(actor)
    start = actor.clock()
    link.request_snapshot(start, None)
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
    link.request_snapshot(actor.clock(), state.seq.since())
    deliver(actor, link, snapshot(100, 100))  # first sync: all 100
    assert len(actor.store.items) == 100
    state.seq.check(INC, 103, data=True)  # 101 and 102 were missed
    link.request_snapshot(actor.clock() + SNAPSHOT_RETRY, state.seq.since())
    assert asked(link)[-1] == wire.SnapshotRequest(inc=INC, seq=100)
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
    link.request_snapshot(actor.clock(), state.seq.since())
    assert asked(link) == [wire.SnapshotRequest()]  # the first: everything
    deliver(actor, link, snapshot(10, 10))
    link.request_snapshot(actor.clock() + SNAPSHOT_RETRY, state.seq.since())  # a resync
    assert asked(link)[-1] == wire.SnapshotRequest(inc=INC, seq=10)
    count = requests(link)
    body = wire.Rec(kind="post", key=local_key(INC, 14), val=wire.PostValue(text="hi"))
    envelope = wire.Envelope(v=wire.VERSION, inc=INC, seq=14, at=1.0, body=body)
    actor._on_envelope(link, envelope)  # 11 to 13 missed: a snapshot is already in flight
    assert requests(link) == count
    deliver(actor, link, snapshot(11, 11))  # the one in flight: older than the gap
    assert requests(link) == count + 1  # the rest of the hole is asked for at once
    assert asked(link)[-1] == wire.SnapshotRequest(inc=INC, seq=11)
    deliver(actor, link, snapshot(14, 14))
    assert not state.seq.unfilled
    # (14 twice: live, and in the snapshot; the store keeps each (peer, inc, seq) once)
    seqs = {item.seq for item in actor.store.items + actor.pending_items}
    assert seqs == set(range(1, 15))


def own_snapshot(actor: FakeActor, request: wire.SnapshotRequest) -> list[wire.SnapshotPart]:
    router = actor.router
    router.sent.clear()
    actor._on_snapshot_request(b"r", request)
    parts = [wire.decode_reply(data) for data in router.sent]
    assert all(isinstance(part, wire.SnapshotPart) for part in parts)
    return parts  # type: ignore[return-value]


def test_a_gap_request_gets_only_what_followed_it_and_any_other_everything(
    actor: FakeActor,
) -> None:
    own = actor.own
    for seq in range(1, 5):
        post = Post(post_id(own.id, own.inc, seq), own.id, f"post {seq}", False, actor.clock())
        actor.store.items.append(post_item(post, own.inc, seq, actor.clock(), name="Sam"))
    event = EventSpec(title="Standup", start=actor.clock() + 3600)
    answer = RsvpValue(answer=Answer.GOING, at=actor.clock())
    event_id = record_id(own.id, local_key(own.inc, 5))
    for seq, kind, key, val in (
        (5, "event", local_key(own.inc, 5), event),
        (6, "rsvp", event_id, answer),
    ):
        actor.store.saved_records.append(
            StoredRecord(own.id, kind, key, seq, own.inc, 1.0, 1.0, wire.encode_value(val), 9e9)
        )
    own.seq = 6
    everything = own_snapshot(actor, wire.SnapshotRequest())
    recs = [rec for part in everything for rec in part.recs]
    assert [(r.seq, r.kind) for r in recs] == [
        (0, "status"), (1, "post"), (2, "post"), (3, "post"), (4, "post"), (5, "event"), (6, "rsvp")
    ]  # fmt: skip
    assert recs[5].val == event
    assert recs[6].key == event_id
    assert [(p.inc, p.seq, p.name) for p in everything] == [(own.inc, 6, "Sam")]
    gap = own_snapshot(actor, wire.SnapshotRequest(inc=own.inc, seq=4))
    assert [(r.seq, r.kind) for part in gap for r in part.recs] == [(5, "event"), (6, "rsvp")]
    assert gap[-1].seq == 6
    # A gap in an incarnation we no longer run is no gap: everything, as for a newcomer.
    assert own_snapshot(actor, wire.SnapshotRequest(inc=own.inc + 1, seq=4)) == everything


def test_a_peers_records_are_its_own_whatever_they_say(actor: FakeActor) -> None:
    """Records are attributed to the key the link proved: an event is the sender's, however its
    key reads, and an answer is the sender's answer, to whichever event it names."""
    link = linked(actor)
    link.request_snapshot(actor.clock(), None)
    deliver(actor, link, snapshot(10, 0))
    other = "c" * 32
    someone_elses = record_id(other, local_key(3, 4))
    event = EventSpec(title="Standup", start=actor.clock() + 3600)
    sent = [
        wire.Rec(kind="event", key=local_key(3, 4), val=event),
        wire.Rec(kind="rsvp", key=someone_elses, val=RsvpValue(Answer.GOING, at=1.0)),
        wire.Rec(kind="event", key=local_key(3, 4), val=None),  # deleted again
    ]
    for seq, body in enumerate(sent, start=11):
        actor._on_envelope(link, wire.Envelope(v=wire.VERSION, inc=INC, seq=seq, at=1.0, body=body))
    actor._flush()
    theirs = record_id(link.peer, local_key(3, 4))
    assert set(actor.book.events) == {theirs}
    assert actor.book.events[theirs].organiser == link.peer
    assert actor.book.events[theirs].spec is None
    assert set(actor.book.rsvps[someone_elses]) == {link.peer}
    assert someone_elses not in actor.book.events
    assert {r.author for r in actor.store.saved_records} == {link.peer}
    assert [r.ver for r in actor.store.saved_records] == [11, 12, 13]
    created = [e for e in actor.events if isinstance(e, ev.EventChanged)]
    assert [(e.event.organiser, e.change) for e in created] == [(link.peer, "created")]


def heartbeat(seq: int, inc: int = 7) -> wire.Envelope:
    return wire.Envelope(v=2, inc=inc, seq=seq, at=1_000.0, body=wire.Heartbeat())


def test_a_heartbeat_in_order_keeps_the_loop_turn_routine(actor: FakeActor) -> None:
    """An idle node's turns are heartbeats; one in order must not make the loop scan its
    timers (an O(peers) look each time), a gap, a restart or an offline peer must."""
    link = linked(actor)
    state = actor.roster.add(link.peer, link.key)  # as its first snapshot finds it
    state.seq.inc, state.seq.seq, state.seq.synced = 7, 5, True
    actor.roster.heard(link.peer)  # online
    actor.routine = True
    actor._on_envelope(link, heartbeat(5))
    assert actor.routine
    actor._on_envelope(link, heartbeat(6))  # a data seq never seen: a gap, a snapshot to ask
    assert not actor.routine
    actor.routine = True
    actor._on_envelope(link, heartbeat(6, inc=8))  # a restart
    assert not actor.routine
