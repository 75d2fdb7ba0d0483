"""What a version of a record means, by kind: statuses and posts' first versions here, events
and answers in `meetups.py`, posts' later versions and acknowledgements in `knowledge.py`.

`Syncing` (syncing.py) hands every version here, live ones one by one and a snapshot's as a
batch, always attributed to the author whose key the CURVE handshake proved: nothing a peer
sends can write another member's records. A version is its seq, which the author never reuses.
"""

from __future__ import annotations

from hallway.core import wire
from hallway.core.model import Post, Presence, Status, extract_tags, post_id, strip_controls
from hallway.core.records import local_key, parse_local_key
from hallway.core.roster import received_time
from hallway.engine import events as ev
from hallway.engine.knowledge import Knowledge
from hallway.engine.quota import item_size
from hallway.engine.state import post_item, status_item


class Records(Knowledge):
    """The actor's part that applies versions of records, whatever path brought them."""

    def _apply_record(self, peer: str, inc: int, seq: int, at: float, rec: wire.Rec) -> None:
        """A live version, in the order the author published it."""
        val = rec.val
        if rec.kind == "status":
            status = val if isinstance(val, wire.StatusValue) else _CLEARED
            self._apply_status(peer, status, at, version=seq, item=(inc, seq))
        elif rec.kind == "post":
            if isinstance(val, wire.PostValue) and rec.key == local_key(inc, seq):
                self._apply_post(peer, inc, seq, at, val)
            elif val is None or isinstance(val, wire.PostValue):
                version = wire.SnapRec(inc, seq, at, "post", rec.key, val)
                self._apply_post_version(peer, version, live=True)
        elif rec.kind == "ack":
            self._apply_acks(peer, [(inc, seq, at, rec.key, val)], live=True)
        else:
            self._apply_meetup(peer, rec.kind, rec.key, ver=seq, inc=inc, at=at, value=val,
                               live=True)  # fmt: skip

    def _apply_records(self, peer: str, recs: list[wire.SnapRec], *, first: bool) -> None:
        """A snapshot's versions, oldest first. The first snapshot from a peer is history (its
        posts are not news); later ones fill what we missed while away.

        A first snapshot's events and answers (a member may hold hundreds) wait in `backlog`,
        applied a slice per loop turn after whatever else has come in (`_work_backlog`): the
        member is online with its status at once, and a newcomer meeting the whole office is
        not kept waiting for everyone's history. Versions make the order they are applied in
        irrelevant."""
        posts: list[wire.SnapRec] = []
        meetups: list[wire.SnapRec] = []
        acks: list[tuple[int, int, float, str, wire.Value | None]] = []
        for rec in recs:
            if rec.kind == "status":
                status = rec.val if isinstance(rec.val, wire.StatusValue) else _CLEARED
                self._apply_status(peer, status, rec.at, force=first, version=rec.seq)
            elif rec.kind == "post":
                posts.append(rec)
            elif rec.kind == "ack":
                acks.append((rec.inc, rec.seq, rec.at, rec.key, rec.val))
            else:
                meetups.append(rec)
        if posts:
            self._apply_posts(peer, posts, live=not first)
        if acks:
            self._apply_acks(peer, acks, live=not first)
        if first:
            self.met_at = self.clock()
        if first and meetups:
            self.backlog.append((peer, meetups, False))
        elif meetups:
            with self._snapshot_batch():
                self._apply_snapshot(peer, meetups, live=True)

    def _apply_snapshot(self, peer: str, recs: list[wire.SnapRec], *, live: bool) -> None:
        for rec in recs:
            self._apply_meetup(peer, rec.kind, rec.key, ver=rec.seq, inc=rec.inc, at=rec.at,
                               value=rec.val, live=live)  # fmt: skip

    def _backlog_due(self, now: float) -> float | None:
        """When to apply more of the backlog: at once, unless members are still being met (a
        link waits for its first snapshot, or one came in the last MET_QUIET, as others found
        on mDNS at the same time follow), for at most MEETING_FIRST after the backlog began:
        meeting the office comes before its history."""
        if not self.backlog:
            self.backlog_since = None
            return None
        if self.backlog_since is None:
            self.backlog_since = now
        latest = self.backlog_since + MEETING_FIRST
        if now >= latest:
            return now
        if any(not link.synced_once for link in self.links.values()):
            return latest
        return min(max(now, self.met_at + MET_QUIET), latest)

    def _work_backlog(self) -> None:
        """Apply the next BACKLOG_STEP records of first snapshots (see `_apply_records`), when
        `_backlog_due` says so."""
        now = self.clock()
        due = self._backlog_due(now)
        if due is None or due > now:
            return
        budget = BACKLOG_STEP
        with self._snapshot_batch():
            while self.backlog and budget > 0:
                peer, recs, live = self.backlog[0]
                self._apply_snapshot(peer, recs[:budget], live=live)
                if len(recs) > budget:
                    self.backlog[0] = (peer, recs[budget:], live)
                else:
                    self.backlog.popleft()
                budget -= len(recs)

    # statuses -------------------------------------------------------------------------------------

    def _apply_status(
        self,
        peer: str,
        body: wire.StatusValue,
        at: float,
        *,
        version: int,
        force: bool = False,
        item: tuple[int, int] | None = None,
    ) -> None:
        """A status at `version`; a live one (`item`: its inc and seq) also goes in the feed."""
        state = self.roster.get(peer)
        if state is None:
            return
        status = Status(
            presence=body.presence,
            text=strip_controls(body.text),
            emoji=strip_controls(body.emoji),
            until=body.until,
            set_at=received_time(at, self.clock()),
        )
        unchanged = status == state.status
        if not self.roster.set_status(peer, status, version):
            return
        if state.status.until is not None:
            self._wake_by(state.status.until)  # its expiry: a timer this turn may skip
        if unchanged and not force:
            return  # the version is held all the same: an older one cannot slip in after it
        self.emit(
            ev.StatusChanged(at=self.clock(), peer=peer, name=state.name, status=state.status)
        )
        self._persist_peer_status(peer, state.status)
        if item is not None and self._admit(peer, status.text):
            stored = status_item(peer, *item, status, self.clock(), name=state.name)
            self.pending_items.append(stored)

    # posts ----------------------------------------------------------------------------------------

    def _apply_post(self, peer: str, inc: int, seq: int, at: float, body: wire.PostValue) -> None:
        """A post's (or a reply's) first version, live."""
        post = _post(peer, inc, seq, received_time(at, self.clock()), body)
        if not self._admit(peer, post.text):
            return  # over its storage quota: neither kept nor announced
        # The sequence check already dropped repeats, so announce first and write in the batch
        # flushed at the end of this loop turn: the disk stays off the receive path.
        now = self.clock()
        name = self.name_of(peer)
        self._announce_new(post, name=name, live=True)
        self.pending_items.append(post_item(post, inc, seq, now, name=name))

    def _apply_posts(self, peer: str, recs: list[wire.SnapRec], *, live: bool) -> None:
        """Store a snapshot's first versions of posts in one transaction, and announce the ones
        that are new; then its later versions (edits, answers, deletions) one by one."""
        self._flush()  # so that live posts still in the batch count as seen
        now = self.clock()
        batch: list[tuple[Post, int, int]] = []
        later: list[wire.SnapRec] = []
        for rec in recs:
            made = parse_local_key(rec.key)  # wire.decode_reply checked it: never None here
            if made is None:
                continue
            if made != (rec.inc, rec.seq) or not isinstance(rec.val, wire.PostValue):
                later.append(rec)
                continue
            batch.append((_post(peer, *made, received_time(rec.at, now), rec.val), *made))
        admitted = [self._admit(peer, post.text, report=False) for post, _, _ in batch]
        if not all(admitted):
            self._over_quota(peer, admitted.count(False))
            batch = [entry for entry, ok in zip(batch, admitted, strict=True) if ok]
        name = self.name_of(peer)
        stored = [post_item(post, inc, seq, now, name=name) for post, inc, seq in batch]
        try:
            fresh = self.store.add_items(stored, index=False)
        except Exception as exc:  # noqa: BLE001 -- a full disk must not stop the node
            self._drop("store", f"could not save received posts: {exc}")
            return
        self._index_soon(item for item, new in zip(stored, fresh, strict=True) if new)
        for (post, _, _), new in zip(batch, fresh, strict=True):
            if new:
                self._announce_new(post, name=name, live=live)
            else:
                self.quotas.release(peer, item_size(post.text))  # we had it: no more stored
        for rec in later:
            self._apply_post_version(peer, rec, live=live)


def _post(peer: str, inc: int, seq: int, sent_at: float, body: wire.PostValue) -> Post:
    text = strip_controls(body.text)
    return Post(
        id=post_id(peer, inc, seq),
        peer=peer,
        text=text,
        urgent=body.urgent,
        sent_at=sent_at,
        tags=extract_tags(text),
        reply_to=body.reply_to,
        question=body.question,
        ack=body.ack,
        edits=body.edits,
    )


#: Events and answers of first snapshots applied per loop turn: ~3 ms of work, between which
#: the loop reads its sockets.
BACKLOG_STEP = 50
#: How long the backlog may wait while members are still being met (a first snapshot due).
MEETING_FIRST = 1.0
#: How long after the last member met the backlog waits for the next one.
MET_QUIET = 0.25

# A status record deleted (or holding another kind's value): the member has none.
_CLEARED = wire.StatusValue(presence=Presence.AVAILABLE)
