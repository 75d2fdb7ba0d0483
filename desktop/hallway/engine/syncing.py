"""What peers send the actor, and how it becomes the roster, events and stored items.

A link's DEALER brings WELCOME (the actor subscribes at the peer's HELLO, else now) and snapshot
parts; its SUB brings envelopes, which the peer's SeqTracker orders: a gap or a restart asks for
a snapshot (the Clone pattern). Every message is charged to the peer's budget, a snapshot
brings only the gap it was asked for (`sync.py`), and what a peer may keep on our disk is capped
(`quota.py`). Received items are announced at once and written in batches a moment later
(`_flush`).
"""

from __future__ import annotations

import time

import zmq

from hallway.core import wire
from hallway.core.errors import DecodeError
from hallway.core.roster import Verdict
from hallway.engine import events as ev
from hallway.engine.links import SNAPSHOT_RETRY, Link
from hallway.engine.records import Records
from hallway.engine.sync import OUTSIDE_GAP, Spoiled, gap_records, spoil

SUSPECT_GRACE = 0.2  # a dropped connection not back by then (reconnects take ~100 ms) is gone


class Syncing(Records):
    """The actor's part that runs the sync state machine: replies, snapshots and updates,
    handed to `Records` (records.py) in the author's order."""

    # DEALER: replies from a peer ------------------------------------------------------------------

    def _on_dealer(self, link: Link) -> None:
        for _ in range(64):
            try:
                data = link.dealer.recv(zmq.NOBLOCK)
            except zmq.Again:
                return
            # Snapshot parts too are charged (their posts in _on_snapshot_part): a dropped part
            # spoils the snapshot in flight, and the retry timer asks for it again.
            if not self._allow(link.peer):
                link.snapshot = spoil(link.snapshot)
                continue
            try:
                reply = wire.decode_reply(data)
            except DecodeError as exc:
                self._drop(link.peer, str(exc))
                continue
            if isinstance(reply, wire.Welcome):
                self._on_welcome(link, reply)
                if link.dealer.closed:
                    return  # it could not subscribe: the link is gone
            elif isinstance(reply, wire.SnapshotPart):
                self._on_snapshot_part(link, reply)
            else:
                self._on_knock_ack(link.peer, reply)

    def _on_welcome(self, link: Link, welcome: wire.Welcome) -> None:
        state = self.roster.add(link.peer, link.key)
        if not link.welcomed:
            state.address, state.verified = link.address, True
        self._name_peer(state, welcome.name)  # names are one line: wire.decode_reply
        if link.welcomed:
            return
        link.welcomed = True
        if welcome.pub_port != link.pub_port:
            link.pub_port = welcome.pub_port
            self._unsubscribe(link)  # subscribed to the port its HELLO named: follow WELCOME's
        if not self._subscribe(link):
            return
        if link.sub_up:  # subscribed at its HELLO, and the handshake is done already
            link.request_snapshot(self.clock(), state.seq.since())

    def _subscribe(self, link: Link) -> bool:
        """Subscribe to the peer's PUB, which admits us now (its HELLO or WELCOME says so); False
        when that failed and the link is closed.

        Subscribe first, then ask for the snapshot (Clone pattern): nothing falls in between.
        The snapshot is requested once the SUB's handshake succeeded and the peer has welcomed
        us (see _on_monitor), so a peer reported online is one whose every later message, BYE
        included, reaches us. The handshake itself runs as early as we know the peer's PUB
        admits us: at its HELLO (a member says HELLO only to keys it admits), else at WELCOME.
        """
        if link.subscribed:
            link.admitted = True  # a refusal read after this came before it: see _on_sub_refused
            return True
        try:
            link.subscribe(self.ctx, self.cfg.public_key, self.cfg.secret_key)
        except zmq.ZMQError as exc:  # out of sockets: its next record or HELLO tries again
            self._drop("engine", f"could not subscribe to a peer: {exc}")
            self._close_link(link.peer, evict=False)
            return False
        assert link.sub is not None
        assert link.monitor is not None
        self._watch(link.sub, lambda: self._on_sub(link))
        self.subs.add(link.sub)
        self._watch(link.monitor, lambda: self._on_monitor(link))
        return True

    def _unsubscribe(self, link: Link) -> None:
        for sock in (link.sub, link.monitor):
            if sock is not None:
                if sock in self.handlers:
                    self._unwatch(sock)
                self.subs.discard(sock)
        link.unsubscribe()

    def _on_snapshot_part(self, link: Link, part: wire.SnapshotPart) -> None:
        snapshot = link.snapshot
        if snapshot is None or isinstance(snapshot, Spoiled):
            return  # not asked for, or a part of it was dropped: it will be asked for again
        if len(snapshot.recs) + len(part.recs) > wire.SNAPSHOT_RECORDS_MAX:
            link.snapshot = None
            self._drop(link.peer, "snapshot larger than allowed")
            return
        snapshot.recs.extend(part.recs)
        snapshot.parts += 1
        if part.more:
            return
        state = self.roster.add(link.peer, link.key)
        recs, outside = gap_records(snapshot.recs, state.seq.fillable(part.inc, part.seq))
        # Each record kept costs what a live message does, from the same bucket, once: the
        # repair path is no way around the rate limit. When the bucket cannot pay (an honest
        # burst drained it), the snapshot is asked for again once it can: slowed, never lost.
        bucket = self.buckets.get(link.peer)
        if recs and bucket is not None and not bucket.take(time.monotonic(), len(recs)):
            short = len(recs) + snapshot.parts - bucket.tokens
            link.retry_snapshot_at(
                self.clock() + max(SNAPSHOT_RETRY, short / bucket.rate), Spoiled()
            )
            self._drop(link.peer, "over the rate limit")
            return
        link.snapshot = None
        self._name_peer(state, part.name)
        first = not link.synced_once
        link.synced_once = True
        if outside:
            self._drop_many(link.peer, OUTSIDE_GAP, outside)
        buffered = state.seq.snapshot(part.inc, part.seq)
        if state.seq.unfilled:  # an older snapshot: ask for the rest of the hole
            link.request_snapshot(self.clock(), state.seq.since())
        came_online = self.roster.heard(link.peer)
        self._persist_peer(state)
        if came_online:
            self._peer_online(link, state.name)
        self._apply_records(link.peer, recs, first=first)
        for item in buffered:
            self._apply_envelope(link.peer, item)  # type: ignore[arg-type]

    # SUB: a peer's updates ------------------------------------------------------------------------

    def _on_sub(self, link: Link) -> None:
        sub = link.sub
        assert sub is not None
        for _ in range(256):
            try:
                frames = sub.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            self._on_sub_message(link, frames)
            if link.sub is not sub or not self.poller.more(sub):
                return  # closed while handling it, or nothing more waits

    def _on_sub_message(self, link: Link, frames: list[bytes]) -> None:
        if not self._allow(link.peer):
            self.routine = False
            return
        if len(frames) != 2 or frames[0] != wire.TOPIC:
            self._drop(link.peer, "message with an unexpected shape")
            return
        try:
            env = wire.decode_envelope(frames[1])
        except DecodeError as exc:
            self._drop(link.peer, str(exc))
            return
        self._on_envelope(link, env)

    def _on_envelope(self, link: Link, env: wire.Envelope) -> None:
        state = self.roster.get(link.peer)
        body = env.body
        data = not isinstance(body, wire.Heartbeat)
        # A heartbeat, or a status or post applied in order, from a peer online keeps the loop
        # turn routine (Actor._turn): what those can make due sooner says so (`_wake_by`).
        # Anything else may change any timer: they need a look.
        if state is None or not state.online or (data and not _live(body)):
            self.routine = False
            if state is None:
                return
        if isinstance(body, wire.Bye):
            self._offline(link.peer, "bye")
            return
        verdict = state.seq.check(env.inc, env.seq, data=data)
        # A heartbeat in order is a DUPLICATE (it repeats the last data seq).
        if verdict is not (Verdict.APPLY if data else Verdict.DUPLICATE):
            self.routine = False
        if verdict is Verdict.RESTART:
            state.seq.hold(env.inc, env.seq, env)
            link.request_snapshot(self.clock(), None)
            return
        if verdict is Verdict.BUFFER:
            if data:
                state.seq.hold(env.inc, env.seq, env)
            return
        if self.roster.heard(link.peer):
            self._peer_online(link, state.name)
        if verdict is Verdict.GAP:
            link.request_snapshot(self.clock(), state.seq.since())
        if verdict in (Verdict.APPLY, Verdict.GAP) and data:
            self._apply_envelope(link.peer, env)

    def _apply_envelope(self, peer: str, env: wire.Envelope) -> None:
        body = env.body
        if isinstance(body, wire.Rec):
            self._apply_record(peer, env.inc, env.seq, env.at, body)
        elif isinstance(body, wire.ProfileBody):
            state = self.roster.get(peer)
            name = body.name  # one line: wire.decode_envelope
            if state is not None and name and name != state.name:
                self._name_peer(state, name)
                self._persist_peer(state)
                self.emit(ev.PeerRenamed(at=self.clock(), peer=peer, name=name))

    # counts ---------------------------------------------------------------------------------------

    def _drop_many(self, peer: str, reason: str, count: int) -> None:
        """Count `count` items dropped for one reason; logged like any drop (`_drop`)."""
        self.noise.counts[reason] += count - 1
        self._drop(peer, reason)

    # the link's health ----------------------------------------------------------------------------

    def _on_monitor(self, link: Link) -> None:
        try:
            event = link.monitor_event()
        except zmq.ZMQError:
            return
        if event == zmq.EVENT_DISCONNECTED:
            link.sub_up = False
            state = self.roster.get(link.peer)
            if state is not None and state.online:
                link.suspect_until = self.clock() + SUSPECT_GRACE
        elif event == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            self._on_sub_refused(link)
        elif event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            link.suspect_until = None
            link.sub_up, link.admitted = True, False  # a later refusal needs a sign of its own
            if not link.welcomed:
                return  # subscribed at its HELLO: the snapshot is asked for at WELCOME
            state = self.roster.get(link.peer)
            if not link.synced_once or state is None or not state.online:
                # First contact, or back after a drop (a healed partition): catch up on what
                # was missed; the snapshot brings the peer online again.
                link.request_snapshot(self.clock(), state.seq.since() if state else None)

    def _on_sub_refused(self, link: Link) -> None:
        """The peer's PUB refused our SUB's handshake: it did not admit our key yet (it had
        not linked to us or read our HELLO: a restart, or our SUB opened at its HELLO won the
        race with its own ZAP check). libzmq never reconnects a socket after that, so the SUB
        is dropped, and opened again once the peer shows that it admits us: at once when it
        did so after this SUB was opened (its WELCOME or HELLO, read before this event), else
        at its next WELCOME or HELLO. One new SUB per such sign: never a loop."""
        state = self.roster.get(link.peer)
        if state is not None and state.online and link.suspect_until is None:
            link.suspect_until = self.clock() + SUSPECT_GRACE  # its DISCONNECTED goes unread
        again = link.admitted
        self._unsubscribe(link)
        if again:
            self._subscribe(link)

    def _peer_online(self, link: Link, name: str) -> None:
        self.emit(ev.PeerOnline(at=self.clock(), peer=link.peer, name=name, address=link.address))
        self._knocks_online(link.peer)
        if not self.hint.member_seen:
            self.hint.member_seen = True
            self._update_hint()

    # the loop turn's batch ------------------------------------------------------------------------

    def _flush(self) -> None:
        """Write what was received since the last time (items, peers' statuses, records) in
        one transaction: when it is due (Actor._write_batch), or before any other use of
        the database."""
        self.flush_at = None
        if not (self.pending_items or self.pending_statuses or self.pending_records):
            return
        items, self.pending_items = self.pending_items, []
        statuses, self.pending_statuses = self.pending_statuses, {}
        records, self.pending_records = self.pending_records, []
        expiry, self.pending_expiry = self.pending_expiry, {}
        try:
            fresh = self.store.add_received(items, statuses, records, expiry, index=False)
        except Exception as exc:  # noqa: BLE001 -- a full disk must not stop the node
            self._drop("store", f"could not save received items: {exc}")
            return
        self._index_soon(item for item, new in zip(items, fresh, strict=True) if new)


def _live(body: wire.Body) -> bool:
    """A status or a post (a version of one), which `Records` applies without touching a
    timer but a status's expiry (`_apply_status` brings the deadline forward for it)."""
    return isinstance(body, wire.Rec) and body.kind in ("status", "post")
