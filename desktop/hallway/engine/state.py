"""The engine's shared state, declared once, and the small steps every part of the actor takes.

`Actor` (actor.py) sets these fields and runs the loop. Its parts, `Linking`, `Syncing` and
`OwnData`, are mixins over `EngineState`: each uses the fields under the types declared here, and
the steps below (drop and count, charge a peer's budget, watch a socket, name, persist or take
offline a peer). Everything here runs on the engine thread.
"""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from ipaddress import IPv4Network
from typing import TYPE_CHECKING, Any

import msgspec
import zmq

from hallway.core import wire
from hallway.core.model import Post, Status, extract_tags, post_id
from hallway.core.ratelimit import NoiseLog, TokenBucket
from hallway.core.records import local_key
from hallway.core.roster import PeerState, Roster
from hallway.engine import events as ev
from hallway.engine.quota import OVER_QUOTA, item_size
from hallway.store.db import StoredItem, StoredRecord
from hallway.store.places import Via

if TYPE_CHECKING:
    from hallway.core.meetups import Seating
    from hallway.engine.actor import OtherOfficeHint
    from hallway.engine.admission import Admission
    from hallway.engine.links import Link
    from hallway.engine.meetups import MeetupBook
    from hallway.engine.names_view import NameBook
    from hallway.engine.node import NodeConfig
    from hallway.engine.quota import Quotas
    from hallway.net.discovery import Discovery
    from hallway.net.gate import Gate
    from hallway.net.poller import Poller
    from hallway.net.zap import ZapHandler
    from hallway.store.db import Store

PEER_RATE = 100.0  # messages per second, sustained, per peer
PEER_BURST = 1500.0
MAX_LINKS = 1024  # peers linked at once (fewer if descriptors are short: open_context)
STRANGERS = "strangers"  # where drops of keys not admitted are logged (budgets: per address)

Emit = Callable[[ev.Event], None]


class Own(msgspec.Struct):
    id: str
    name: str
    inc: int
    seq: int  # never goes back, across restarts too: a record's version is its seq
    status: Status
    status_version: tuple[int, int]  # (inc, seq) our status was published at


class EngineState:
    """The fields the actor's parts share (set in `Actor.__init__`), and the steps they all take.
    The loop's own fields (its queue and wake-up pipe, its schedule) are the Actor's."""

    discovery: Discovery  # announced again after a network change (reconnect.py)

    cfg: NodeConfig
    store: Store
    clock: Callable[[], float]
    emit: Emit  # events get their look-alike names on the way (names_view.start_names)
    noise: NoiseLog
    own: Own
    names: NameBook
    roster: Roster
    links: dict[str, Link]
    buckets: OrderedDict[str, TokenBucket]  # each peer's message budget (_allow)
    verified: set[bytes]  # keys admitted to our PUB
    admission: Admission
    quotas: Quotas  # what each peer may keep on our disk
    pending_items: list[StoredItem]
    # Items stored without their words, (peer, inc, seq): indexed for search when idle
    # (`_index_soon`), or before a search.
    unindexed: list[tuple[str, int, int]]
    index_at: float | None
    index_since: float
    pending_statuses: dict[str, Status]  # peer -> latest, written with the items
    pending_records: list[StoredRecord]  # events and answers, written with the items
    pending_expiry: dict[str, float]  # event id -> when its answers expire with it
    book: MeetupBook
    seats_before: dict[str, Seating | None] | None  # while a snapshot is applied (meetups.py)
    backlog: deque[tuple[str, list[wire.SnapRec], bool]]  # first snapshots' events and answers
    backlog_since: float | None  # when the backlog began to wait (records.py, _backlog_due)
    met_at: float  # when a member's first snapshot was last applied (records.py)
    # Our snapshot's records for a state of ours, and their encoded chunks once asked for.
    snapshot_cache: tuple[object, list[wire.SnapRec], list[bytes] | None] | None
    hint: OtherOfficeHint
    conditions: dict[str, ev.NodeWarning]  # lasting warnings in force, by code
    ctx: zmq.Context[zmq.Socket[bytes]]
    max_links: int
    zap: ZapHandler
    router: zmq.Socket[bytes]
    pub: zmq.Socket[bytes]
    gate: Gate
    addresses: tuple[str, ...]
    router_port: int
    pub_port: int
    poller: Poller
    handlers: dict[Any, Callable[[], None]]
    subs: set[Any]  # the SUB sockets (the loop's fast path: see Actor._turn)
    routine: bool  # whether this loop turn only noted heartbeats and live data
    due: float  # the earliest timer deadline as last computed (Actor._next_due)
    flush_at: float | None  # when the received batch is written (Actor._write_batch)
    # Issue 14 (seeding.py, exchange.py): how each peer was first found ('mdns', 'seed',
    # 'exchange'), the networks of our addresses, and the places still to try for a peer
    # whose link is not answered (the next address of its record, older stored places).
    via: dict[str, Via]
    own_nets: tuple[IPv4Network, ...]
    alternates: dict[str, list[tuple[str, int, int]]]

    def _wake_by(self, at: float) -> None:
        """A deadline that a routine loop turn made (Actor._turn): the loop looks at its timers
        by then, although it skips them until the deadline computed last."""
        self.due = min(self.due, at)

    def _watch(self, sock: Any, handler: Callable[[], None]) -> None:
        self.poller.register(sock, zmq.POLLIN)
        self.handlers[sock] = handler

    def _unwatch(self, sock: Any) -> None:
        self.poller.unregister(sock)
        del self.handlers[sock]

    def _drop(self, source: str, reason: str) -> None:
        """Count and log (once a minute per source); warn the user only about colleagues and
        ourselves, so strangers cannot flood the window with warnings."""
        if self.noise.drop(source, reason) and source != STRANGERS:
            state = self.roster.get(source)
            if state is not None:
                message = f"{state.name or source}: {reason}"
                self.emit(ev.NodeWarning(at=self.clock(), message=message, peer=source))
            elif source in ("store", "engine"):
                self.emit(ev.NodeWarning(at=self.clock(), message=reason))

    def _allow(self, peer: str, *, stranger: bool = False, source: str = "") -> bool:
        """Charge one message to the peer's budget. Keys not yet admitted are charged to their
        source address: one address cycling through fresh keys gets no more than one budget,
        and a flood from it leaves every other address's budget, a newcomer's, untouched."""
        if stranger:
            if self.admission.strangers.take(source, time.monotonic()):
                return True
            self._drop(STRANGERS, "over the rate limit")
            return False
        name = peer
        bucket = self.buckets.get(name)
        if bucket is None:
            if len(self.buckets) >= MAX_LINKS:
                self.buckets.popitem(last=False)  # the least recently used
            bucket = self.buckets[name] = TokenBucket(PEER_RATE, PEER_BURST)
        else:
            self.buckets.move_to_end(name)
        if bucket.take(time.monotonic()):
            return True
        self._drop(name, "over the rate limit")
        return False

    def _publish(self, body: wire.Body, *, data: bool = True, at: float | None = None) -> None:
        """Publish with the next seq (data) or the last one (heartbeat, bye).

        `at` is the time the item was stored with, so author and receivers hold the same one.
        """
        if data:
            self.own.seq += 1
        if at is None:
            at = self.clock()
        env = wire.Envelope(v=wire.VERSION, inc=self.own.inc, seq=self.own.seq, at=at, body=body)
        with contextlib.suppress(zmq.Again):  # a slow subscriber will see the gap and resync
            self.pub.send_multipart([wire.TOPIC, wire.encode(env)], zmq.NOBLOCK)

    def _write_post(
        self,
        text: str,
        *,
        urgent: bool = False,
        question: bool = False,
        ack: bool = False,
        reply_to: str = "",
    ) -> Post:
        """Write one of our posts (a reply with `reply_to`), then publish it: written first, so
        what a command confirmed survives kill -9 (a full disk raises here, and nothing is
        published). Its words are indexed for search once the node is idle."""
        own = self.own
        seq = own.seq + 1
        at = self.clock()
        post = Post(id=post_id(own.id, own.inc, seq), peer=own.id, text=text, urgent=urgent,
                    sent_at=at, tags=extract_tags(text), reply_to=reply_to, question=question,
                    ack=ack)  # fmt: skip
        item = post_item(post, own.inc, seq, at, name=own.name)
        self.store.add_own_item(item)
        value = wire.PostValue(text, urgent, reply_to=reply_to, question=question, ack=ack)
        self._publish(wire.Rec(kind="post", key=local_key(own.inc, seq), val=value), at=at)
        self._flush_after_sending()
        self._index_soon([item])
        return post

    def _flush_after_sending(self) -> None:
        """Write the received batch now that our own update is on the wire. Our own rows are
        written without it (`Store.add_own_item`, `record_own_status`), which takes it off the
        path between the command and the wire. It is written here rather than left to its
        timer: the receivers of one update all start that timer at the same moment, and their
        writes, all at once, slowed the update in flight then (docs/benchmarks.md, issue 13's
        ninth pass). A node that writes its batch when it sends keeps the office's writes apart.
        """
        self._flush()

    def _index_soon(self, items: Iterable[StoredItem]) -> None:
        """Have the words of items just stored (without them) indexed for search once the node
        has been idle for INDEX_IDLE: not between a command and the wire, nor between an item
        received and its event, where the CPU is what other nodes on the machine wait for; a
        burst is one transaction. At most INDEX_WAIT late while the node stays busy."""
        keys = [(item.peer, item.inc, item.seq) for item in items if item.text]
        if not keys:
            return
        now = self.clock()
        first = now if not self.unindexed else self.index_since
        self.unindexed += keys
        self.index_since = first
        self.index_at = min(now + INDEX_IDLE, first + INDEX_WAIT)
        self._wake_by(self.index_at)

    def _index_due(self, now: float) -> None:
        if self.index_at is not None and now >= self.index_at:
            self._index_now()

    def _index_now(self) -> None:
        """Index what `_index_soon` holds (before a search, or when it is due)."""
        keys, self.unindexed, self.index_at = self.unindexed, [], None
        try:
            self.store.index(keys)
        except Exception as exc:  # noqa: BLE001 -- a full disk must not stop the node
            self._drop("store", f"could not index items for search: {exc}")  # next start does

    def _admit(self, peer: str, text: str, *, size: int = 0, report: bool = True) -> bool:
        """Count an item (its text, or `size` bytes of value) against the peer's storage
        quota; False (counted) when it is over."""
        if self.quotas.admit(peer, item_size(text) + size):
            return True
        if report:
            self._over_quota(peer, 1)
        return False

    def _over_quota(self, peer: str, count: int) -> None:
        """Count what was dropped; warn once per peer per QUOTA_WARN_EVERY, not per item."""
        self.noise.counts[OVER_QUOTA] += count
        state = self.roster.get(peer)
        message = self.quotas.over(peer, state.name if state is not None and state.name else peer)
        if message is not None:
            self.emit(ev.NodeWarning(at=self.clock(), message=message, peer=peer))

    def _update_hint(self) -> None:
        event = self.hint.update(self.clock())
        if isinstance(event, ev.NodeWarning) and event.code is not None:
            self.conditions[event.code] = event
        elif isinstance(event, ev.WarningCleared):
            self.conditions.pop(event.code, None)
        if event is not None:
            self.emit(event)

    def _name_peer(self, state: PeerState, name: str) -> None:
        """Learn a peer's name; say so when it now reads like another member's."""
        if not name or name == state.name:
            return
        state.name = name
        for warning in self.names.learn(state.id, name, now=self.clock()):
            self.emit(warning)

    def name_of(self, peer: str) -> str:
        if peer == self.own.id:
            return self.own.name
        state = self.roster.get(peer)
        return state.name if state is not None else ""

    def _on_dealer(self, link: Link) -> None:
        """Read the replies on a link's DEALER: Syncing's, declared here for Linking, which
        opens the links."""
        raise NotImplementedError

    def _post_from_thread(self, item: tuple[str, Any]) -> None:
        """Hand work to the engine thread from another one: the Actor's, declared here for
        Reconnect."""
        raise NotImplementedError

    def _relink_all(self) -> None:
        """Open every link that had worked again: Linking's, declared here for Reconnect."""
        raise NotImplementedError

    def _flush(self) -> None:
        """Write this loop turn's batch: Syncing's, declared here for Records."""
        raise NotImplementedError

    def _close_link(self, peer: str, *, evict: bool = True) -> None:
        """Close a peer's link: Linking's, declared here for Syncing."""
        raise NotImplementedError

    def _subscribe(self, link: Link) -> bool:
        """Subscribe to a peer's PUB: Syncing's, declared here for Linking."""
        raise NotImplementedError

    def _reply(self, routing: bytes, payload: bytes) -> None:
        """Answer a ROUTER request: Linking's, declared here for Knocks."""
        raise NotImplementedError

    def _on_knock_request(
        self, routing: bytes, peer: str, request: wire.Knock | wire.KnockReply
    ) -> None:
        """A member's knock or reply on the ROUTER: Knocks', declared here for Linking."""
        raise NotImplementedError

    def _connect(
        self,
        peer: str,
        key: bytes,
        address: str,
        router_port: int,
        pub_port: int,
        *,
        proven: bool = False,
        reopen: bool = False,
    ) -> bool:
        """Open a link to a peer: Linking's, declared here for Seeding and Exchange."""
        raise NotImplementedError

    def _on_peer_list(self, peer: str, request: wire.PeerList) -> None:
        """A member's peer exchange on the ROUTER: Exchange's, declared here for Linking."""
        raise NotImplementedError

    def _on_knock_ack(self, peer: str, ack: wire.KnockAck | wire.KnockReplyAck) -> None:
        """An acknowledgement on a DEALER: Knocks', declared here for Syncing."""
        raise NotImplementedError

    def _knocks_online(self, peer: str) -> None:
        """Send what waits for a peer that came online: Knocks', declared here for Syncing."""
        raise NotImplementedError

    def _release_held(self) -> None:
        """Show the knocks whose hold ended: Knocks', declared here for OwnData."""
        raise NotImplementedError

    # state changes --------------------------------------------------------------------------------

    def _offline(self, peer: str, reason: str) -> None:
        state = self.roster.get(peer)
        if state is None:
            return
        link = self.links.get(peer)
        if link is not None:
            link.suspect_until = None
        if self.roster.gone(peer):
            self._announce_offline(state, reason)

    def _announce_offline(self, state: PeerState, reason: str) -> None:
        self._persist_peer(state)
        self.emit(ev.PeerOffline(at=self.clock(), peer=state.id, name=state.name, reason=reason))

    def _persist_peer(self, state: PeerState) -> None:
        try:
            self.store.upsert_peer(
                state.id, state.key, state.name, state.last_heard or self.clock(), state.verified
            )
        except Exception as exc:  # noqa: BLE001 -- a full disk must not stop the node
            self._drop("store", f"could not save peer: {exc}")

    def _persist_peer_status(self, peer: str, status: Status) -> None:
        # Batched like received items (see _flush): the disk stays off the receive path. The
        # peer's row, which this one refers to, is written synchronously before any status.
        self.pending_statuses[peer] = status


#: How long the node waits idle before indexing new items for search, and at most while busy.
INDEX_IDLE = 0.5
INDEX_WAIT = 5.0


def status_value(status: Status) -> wire.StatusValue:
    return wire.StatusValue(
        presence=status.presence, text=status.text, emoji=status.emoji, until=status.until
    )


def status_item(
    peer: str, inc: int, seq: int, status: Status, received: float, *, name: str
) -> StoredItem:
    return StoredItem(
        peer=peer,
        inc=inc,
        seq=seq,
        kind="status",
        sent_at=status.set_at,
        received_at=received,
        text=status.text,
        urgent=False,
        tags=(),
        presence=status.presence.value,
        emoji=status.emoji,
        until=status.until,
        name=name,
    )


def post_item(post: Post, inc: int, seq: int, received: float, *, name: str) -> StoredItem:
    return StoredItem(
        peer=post.peer,
        inc=inc,
        seq=seq,
        kind="post",
        sent_at=post.sent_at,
        received_at=received,
        text=post.text,
        urgent=post.urgent,
        tags=post.tags,
        presence=None,
        emoji="",
        until=None,
        name=name,
        reply_to=post.reply_to,
        question=post.question,
        ack=post.ack,
        edits=post.edits,
    )


def post_value(item: StoredItem) -> wire.PostValue:
    """A post's version as it travels: a later version keeps its first one's time."""
    return wire.PostValue(
        text=item.text,
        urgent=item.urgent,
        reply_to=item.reply_to,
        question=item.question,
        ack=item.ack,
        answer=item.answer,
        edits=item.edits,
        nudges=item.nudges,
        posted=item.sent_at if item.version != (item.inc, item.seq) else None,
    )
