"""The engine's actor: the one thread that owns every socket and the database.

Its loop polls its sockets and a wake-up pipe (net/poller.py: one epoll set, so a wake-up costs
the same with 2 peers or 200), with a timeout equal to the time until the next timer. Nothing
here blocks on a peer: sends are non-blocking, hostile input is dropped and counted, and
callbacks from zeroconf only enqueue work for this thread.

The actor builds the state (declared in `state.py`) and runs the loop, the timers and the
shutdown. What it does with peers is in its parts: `linking.py` (which peers to link, and who may
talk to the ROUTER), `syncing.py` (what peers send), `own_data.py` (our own data, and the
views of everyone), `knocks.py` (knocks between two members) and `reconnect.py` (waking from
sleep, network changes).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import secrets
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec
import zmq

from hallway.core import wire
from hallway.core.model import DEFAULT_STATUS, Status, display_fingerprint, fingerprint
from hallway.core.ratelimit import NoiseLog
from hallway.core.roster import Roster
from hallway.core.txt import TxtRecord
from hallway.engine import events as ev
from hallway.engine import memory
from hallway.engine.admission import Admission
from hallway.engine.exchange import EXCHANGE_EVERY, Exchange
from hallway.engine.knocks import KnockBook, Knocks
from hallway.engine.linking import Linking
from hallway.engine.links import SNAPSHOT_RETRY
from hallway.engine.meetups import MeetupBook
from hallway.engine.names_view import start_names
from hallway.engine.own_data import OwnData
from hallway.engine.quota import Quotas
from hallway.engine.reconnect import NET_SETTLE
from hallway.engine.seeding import PLACES_DELAY, Seeding, SeedTry
from hallway.engine.state import MAX_LINKS, PEER_BURST, PEER_RATE, Emit, Own
from hallway.net.discovery import MAX_FOREIGN, Discovery
from hallway.net.gate import UNPROVEN_MAX, Gate, subscriber_gate
from hallway.net.networks import own_networks
from hallway.net.poller import Poller
from hallway.net.seeds import rendezvous_keys
from hallway.net.sockets import bind_consecutive, curve_server, open_context
from hallway.net.zap import ZapHandler
from hallway.store.db import Store
from hallway.store.places import PLACE_MAX_AGE
from hallway.store.records import StoredPeer

if TYPE_CHECKING:
    from hallway.engine.node import NodeConfig

# PEER_BURST and PEER_RATE (state.py) are named here too, where the tests read the engine's limits.
__all__ = [
    "FLUSH_DELAY",
    "FLUSH_MAX",
    "HELLO_RETRY",
    "HELLO_TRIES",
    "MAX_LINKS",
    "NET_SETTLE",
    "OTHER_OFFICE_DELAY",
    "OTHER_OFFICE_REPEAT",
    "PEER_BURST",
    "PEER_RATE",
    "PRUNE_EVERY",
    "SNAPSHOT_RETRY",
    "Actor",
    "Command",
    "OtherOfficeHint",
    "other_office_message",
]

_log = logging.getLogger("hallway.engine")

HELLO_RETRY = 2.0
HELLO_TRIES = 5
PRUNE_EVERY = 3600.0
# A member announced on mDNS is online within ~0.1 s, within ~2.5 s when a HELLO (retried after
# HELLO_RETRY) or the browser's first query (asked again after 1 s) is lost. Five seconds of
# other offices and no colleague is therefore no slow start, and still appears before a person
# starts to wonder why the window is empty.
OTHER_OFFICE_DELAY = 5.0
OTHER_OFFICE_REPEAT = 60.0  # a changed count is said again at most this often
# What was received is written this long after the first of it (see _write_batch). kill -9
# loses at most that much of what peers sent (their posts come again with their snapshots when
# we restart), never anything of ours: that is written before it is published.
FLUSH_DELAY = 0.1
FLUSH_MAX = 500  # items and records waiting that are written at once


class Command(msgspec.Struct):
    """A call from another thread, run here; its result goes back through a Future."""

    fn: Callable[[], Any]
    future: Any  # concurrent.futures.Future


class OtherOfficeHint(msgspec.Struct):
    """The hint that Hallway users are nearby but none of them is in our office.

    It starts when other offices' records have been seen for OTHER_OFFICE_DELAY while no member
    has come online since this node started, and it ends when a member comes online or the
    others are gone. Once a member has been online the office name and passphrase are proven
    right, so the hint never returns in this run: others nearby are then only another office.
    """

    foreign: int = 0  # instances announcing another office's tag or a failing proof
    member_seen: bool = False
    since: float | None = None  # when the condition began
    shown: int = 0  # the count last warned about; 0 while no warning is in force
    shown_at: float = 0.0

    def update(self, now: float) -> ev.Event | None:
        """The event to emit now, if any."""
        if self.member_seen or not self.foreign:
            self.since = None
            if not self.shown:
                return None
            self.shown = 0
            return ev.WarningCleared(at=now, code=ev.OTHER_OFFICE)
        if self.since is None:
            self.since = now
        due = self.deadline()
        if due is None or now < due:
            return None
        self.shown, self.shown_at = self.foreign, now
        return ev.NodeWarning(at=now, message=other_office_message(self.foreign),
                              code=ev.OTHER_OFFICE)  # fmt: skip

    def deadline(self) -> float | None:
        if self.member_seen or not self.foreign or self.since is None:
            return None
        if not self.shown:
            return self.since + OTHER_OFFICE_DELAY
        if self.foreign != self.shown:
            return self.shown_at + OTHER_OFFICE_REPEAT
        return None


def other_office_message(count: int) -> str:
    """Only the count: nothing about who the others are. Discovery counts up to MAX_FOREIGN."""
    if count == 1:
        return "1 Hallway user nearby is in another office or typed a different passphrase."
    many = f"At least {count}" if count >= MAX_FOREIGN else str(count)
    return f"{many} Hallway users nearby are in another office or typed a different passphrase."


class Actor(Linking, Exchange, OwnData, Knocks, Seeding):
    """The engine thread's one object: it owns the state and runs the loop; the parts it is
    made of (see the module's docstring) handle linking, syncing and our own data."""

    def __init__(
        self,
        *,
        config: NodeConfig,
        store: Store,
        emit: Emit,
        clock: Callable[[], float],
        commands: queue.SimpleQueue[Command | tuple[str, Any]],
        wake_fd: int,
    ) -> None:
        self.cfg = config
        self.store = store
        self.clock = clock
        self.commands = commands
        self.wake_fd = wake_fd
        self.noise = NoiseLog(_log, clock)
        self.roster = Roster(clock, silence_timeout=3 * config.heartbeat_interval + 0.5)
        self.links = {}
        self.buckets = OrderedDict()
        self.verified = set()
        self.running = True
        self.snapshot_cache = None
        self.pending_items, self.pending_statuses = [], {}
        self.unindexed, self.index_at, self.index_since = [], None, 0.0
        self.pending_records, self.pending_expiry, self.flush_at = [], {}, None
        store.before_use = self._flush  # the batch first, so every read sees what was received
        self.book, self.seats_before = MeetupBook(), None
        self.backlog, self.backlog_since, self.met_at = deque(), None, 0.0
        self.quotas = Quotas(store.usage_by_peer, clock)
        # The loop's fast path (see _turn): the SUB sockets, whether this turn only noted
        # heartbeats and live data, and the earliest timer deadline as last computed.
        self.subs = set()
        self.routine = False
        self.due = 0.0
        self.hint = OtherOfficeHint()
        self.conditions = {}
        own_id = fingerprint(config.public_key)
        self.next_prune = clock()  # the first turn prunes
        status = store.load_own_status() or DEFAULT_STATUS
        if status.expired(clock()) or not status.set_at:
            status = Status(set_at=clock())
        inc = secrets.randbits(62)
        # Our seq goes on from the highest we stored anything under, so no restart (kill -9
        # included) reuses a version; our clock in ms is a floor that keeps it going up even
        # for a home whose database was lost.
        last, status_version = store.last_seq(own_id)
        self.own = Own(
            id=own_id,
            name=config.name,
            inc=inc,
            seq=max(last, int(clock() * 1000)),
            status=status,
            status_version=status_version or (inc, 0),
        )
        # Every event that names a peer says whether another member's name reads alike.
        stored_peers = store.peers()
        self.names, self.emit = start_names(own_id, config.name, store, stored_peers, emit)
        # Room for MAX_LINKS links within zmq's socket limit and our descriptor limit.
        # (The reserve: the unproven connections of the ROUTER's gate and of the PUB's.)
        self.ctx, self.max_links = open_context(MAX_LINKS, reserve=2 * UNPROVEN_MAX)
        self.zap = ZapHandler(self.ctx, self._authorize)
        keys = (config.public_key, config.secret_key)
        self.router = curve_server(self.ctx, zmq.ROUTER, *keys, domain=b"router")
        self.pub = curve_server(self.ctx, zmq.PUB, *keys, domain=b"pub")
        self._bind(config)
        # Its cost per wake-up does not grow with the links (net/poller.py); zmq.Poller's did.
        self.poller, self.handlers = Poller(self.ctx), {}
        # Gates cap the connections that have not proven membership, and drop slow ones.
        self.admission, self.gate, self.pub_gate, self.rendezvous_gate = (
            Admission(),
            Gate(self.ctx, self.router, clock),
            subscriber_gate(self.ctx, self.pub, clock, self.max_links),
            Gate(self.ctx, self.rendezvous, clock),
        )
        for sock, handler in (
            (self.zap.socket, self.zap.handle),
            (self.router, self._on_router),
            (self.gate.socket, self.gate.handle),
            (self.pub_gate.socket, self.pub_gate.handle),
            (self.rendezvous, self._on_rendezvous),
            (self.rendezvous_gate.socket, self.rendezvous_gate.handle),
            (wake_fd, self._on_wake),
        ):
            self._watch(sock, handler)
        # With no --interface, the addresses follow the machine's (see _net_check).
        self.follow, self.sleep_lock, self.sleep_pending, self.stopping = (
            config.follow_interfaces, threading.Lock(), None, False
        )  # fmt: skip
        self.next_heartbeat = clock() + config.heartbeat_interval
        self._load_peers(stored_peers)
        self._load_places(config)
        self._load_meetups(store.records())
        self._load_knocks(KnockBook(quiet=config.quiet, expiry=config.knock_expiry))
        self.discovery = Discovery(
            addresses=self.addresses,
            instance=own_id,
            txt=TxtRecord(
                public_key=config.public_key,
                pub_port=self.pub_port,
                office_tag=config.office.tag,
                proof=config.office.proof(config.public_key),
            ),
            router_port=self.router_port,
            on_found=lambda found: self._post_from_thread(("found", found)),
            on_lost=lambda name: self._post_from_thread(("lost", name)),
            on_bad=lambda source, reason: self._post_from_thread(("bad", (source, reason))),
            admits=lambda r: config.office.admits(r.office_tag, r.public_key, r.proof),
            on_foreign=lambda count: self._post_from_thread(("foreign", count)),
        )

    def _bind(self, config: NodeConfig) -> None:
        """ROUTER at the port, PUB at +1, the office rendezvous at +2 (where members given our
        address as a seed ask who we are): a seed is one HOST:PORT."""
        self.rendezvous = curve_server(
            self.ctx, zmq.ROUTER, *rendezvous_keys(config.office), domain=b"rendezvous"
        )
        assert config.interfaces, "the Node resolves the interfaces before the actor starts"
        self.addresses = config.interfaces
        self.own_nets = own_networks(self.addresses)
        socks = [self.router, self.pub, self.rendezvous]
        try:
            self.router_port = bind_consecutive(
                socks, self.addresses, config.port or config.preferred_port
            )
        except zmq.ZMQError:
            if config.port or not config.preferred_port:
                raise
            _log.info("port %d is taken; listening on free ports", config.preferred_port)
            self.router_port = bind_consecutive(socks, self.addresses, 0)
        self.pub_port, self.rendezvous_port = self.router_port + 1, self.router_port + 2

    def _load_places(self, config: NodeConfig) -> None:
        """Issue 14: seeds to ask, how each member was found, the places to dial at start."""
        self.alternates, self.told, self.list_buckets = {}, {}, OrderedDict()
        self.seed_tries = [
            SeedTry(seed=seed, text=seed.text(config.port or self.router_port))
            for seed in config.seeds
        ]
        self.via = {}
        for place in reversed(self.store.places(since=self.clock() - PLACE_MAX_AGE)):
            self.via[place.peer] = place.via  # the newest place's way wins
        now = self.clock()
        self.places_due, self.next_exchange = now + PLACES_DELAY, now + EXCHANGE_EVERY

    def _load_peers(self, stored_peers: list[StoredPeer]) -> None:
        """The roster as stored: known peers show, offline, with their last status."""
        for stored in stored_peers:
            state = self.roster.add(stored.id, stored.key)
            state.name = stored.name
            state.first_seen = stored.first_seen
            state.last_heard = stored.last_seen
            state.verified = stored.verified
            saved = self.store.peer_status(stored.id)
            if saved is not None:
                state.status = saved

    def peer_views(self) -> list[ev.PeerView]:
        """Everyone, each with how we first found them (issue 14)."""
        return [
            view if view.own else msgspec.structs.replace(view, via=self.via.get(view.id, ""))
            for view in super().peer_views()
        ]

    # plumbing -------------------------------------------------------------------------------------

    def _post_from_thread(self, item: tuple[str, Any]) -> None:
        self.commands.put(item)
        with contextlib.suppress(BlockingIOError, OSError):  # full pipe: a wake-up is pending
            os.write(self.wake_fd_w, b"\0")

    wake_fd_w = -1  # set by the Node
    # The network watches (class defaults: the engine's unit tests build actors by hand).

    def start(self) -> None:
        self.discovery.start()
        self._open_netwatch()
        now = self.clock()
        self.emit(
            ev.Ready(
                at=now,
                peer=self.own.id,
                name=self.own.name,
                fingerprint=display_fingerprint(self.own.id),
                public_key=self.cfg.public_key.decode(),
                office=self.cfg.office.name,
                router_port=self.router_port,
                pub_port=self.pub_port,
                addresses=self.addresses,
            )
        )

    def run(self) -> None:
        while self.running:
            self._turn()

    def _turn(self) -> None:
        """One turn of the loop. A turn that only noted heartbeats of online peers, or applied
        their live statuses and posts in order (the common case: when idle, one heartbeat per
        peer per heartbeat interval, 10 s by default; when busy, the office's updates), skips
        the timer scans, which cost O(peers) each, until the deadline computed last is reached.
        What such a turn can make due sooner (a status's expiry, words to index) brings that
        deadline forward (`_wake_by`). Any other turn computes the deadline afresh, since its
        handlers may have moved any timer, and runs the timers only when one is due: every
        timer's work waits for a deadline that `_next_due` counts (the turns of a join are
        mostly ones with none due, docs/benchmarks.md, tenth pass). The received batch has a
        deadline of its own, which costs no scan (`_write_batch`)."""
        now = self.clock()
        wake = self.due if self.routine and now < self.due else self._next_due()
        if self.flush_at is not None:
            wake = min(wake, self.flush_at)
        self.routine = True
        for sock, _ in self.poller.poll(int(max(0.0, wake - now) * 1000.0 + 1.0)):
            handler = self.handlers.get(sock)
            if handler is None:
                continue
            if sock not in self.subs:
                self.routine = False
            try:
                handler()
            except Exception as exc:  # noqa: BLE001 -- no input may stop the engine
                self.routine = False
                _log.exception("unexpected error while handling input")
                self._drop("engine", f"unexpected error: {exc!r}")
        try:
            self._write_batch(self.clock())
            if not self.routine:
                self._next_due()
            if self.clock() < self.due:
                self.routine = True  # the deadline is up to date: the next wait uses it
                return
            self.routine = False
            self._timers()
        except Exception as exc:  # noqa: BLE001 -- a full disk must not stop the engine
            self.routine = False
            _log.exception("unexpected error in the engine's timers")
            self._drop("engine", f"unexpected error: {exc!r}")

    def _write_batch(self, now: float) -> None:
        """Write what was received (decision 6) FLUSH_DELAY after the first of it, so the disk
        is off the path of the updates other nodes on the machine are still applying, and a
        busy office's updates share a transaction; at once when FLUSH_MAX wait. Any other use
        of the database writes it first (`Store.before_use`), and so does `close`."""
        pending = len(self.pending_items) + len(self.pending_records)
        if self.flush_at is None:
            if not (pending or self.pending_statuses):
                return
            self.flush_at = now + FLUSH_DELAY
        if now >= self.flush_at or pending >= FLUSH_MAX:
            self._flush()

    def _next_due(self) -> float:
        """The earliest timer deadline (`due`), from every timer: O(peers)."""
        now = self.clock()
        deadlines = [self.next_heartbeat, self.next_prune]
        roster_deadline = self.roster.next_deadline()
        if roster_deadline is not None:
            deadlines.append(roster_deadline)
        if self.own.status.until is not None:
            deadlines.append(self.own.status.until)
        reminder = self._next_reminder()
        if reminder is not None:
            deadlines.append(reminder)
        backlog_due = self._backlog_due(now)  # first snapshots' events and answers to apply
        if backlog_due is not None:
            deadlines.append(backlog_due)
        if self.net_check_at is not None:
            deadlines.append(self.net_check_at)
        knock_due = self.knock_book.deadline()  # a knock to send again, expire or show
        if knock_due is not None:
            deadlines.append(knock_due)
        hint_due = self.hint.deadline()
        if hint_due is not None:
            deadlines.append(hint_due)
        # An unproven connection to drop; a seed to ask, or whose answer is overdue; words to
        # index.
        later = (self.gate.deadline(), self.rendezvous_gate.deadline(), self._seed_deadline(),
                 self.index_at)  # fmt: skip
        deadlines += [due for due in later if due is not None]
        deadlines += [self.places_due, self.next_exchange]
        for link in self.links.values():
            if link.suspect_until is not None:
                deadlines.append(link.suspect_until)
            if not link.welcomed:
                deadlines.append(link.hello_at + HELLO_RETRY)
            if link.snapshot is not None:
                deadlines.append(link.snapshot_due)
        self.due = min(deadlines)
        return self.due

    def _on_wake(self) -> None:
        os.read(self.wake_fd, 4096)
        while True:
            try:
                item = self.commands.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, Command):
                if not item.future.set_running_or_notify_cancel():
                    continue
                try:
                    item.future.set_result(item.fn())
                except BaseException as exc:  # noqa: BLE001 -- handed to the caller's thread
                    item.future.set_exception(exc)
                continue
            # Each item on its own: one that fails must not strand the rest of the queue (a
            # caller behind it would wait for its Future in vain).
            try:
                self._on_item(*item)
            except Exception as exc:  # noqa: BLE001 -- no input may stop the engine
                _log.exception("unexpected error while handling %s", item[0])
                self._drop("engine", f"unexpected error: {exc!r}")

    def _on_item(self, kind: str, payload: Any) -> None:
        if kind == "found":
            self._on_found(payload)
        elif kind == "lost":
            self._on_lost(payload)
        elif kind == "bad":
            self._drop_record(*payload)
        elif kind == "foreign":
            self.hint.foreign = payload
            self._update_hint()
        elif kind == "seed_resolved":
            self._on_seed_resolved(*payload)
        elif kind == "sleepwatch":
            self._on_sleepwatch()
        elif kind == "stop":
            self.running = False

    # timers ---------------------------------------------------------------------------------------

    def _timers(self) -> None:
        now = self.clock()
        if now >= self.next_prune:  # retention, also for nodes that run for months
            self.next_prune = now + PRUNE_EVERY
            self.store.prune(now - self.cfg.retention_days * 86400, now)
            self.store.prune_places(now - PLACE_MAX_AGE)
            self.quotas.read()  # what is left, before any received item needs it
        if now >= self.next_heartbeat:
            self._publish(wire.Heartbeat(), data=False)
            self.next_heartbeat = now + self.cfg.heartbeat_interval
            # Give back what a burst freed, on a wake-up the heartbeat makes anyway (a timer of
            # its own could fall just after a wake-up and wait for the next: up to 20 s).
            memory.trim()
        self.gate.expire()
        self.rendezvous_gate.expire()
        self._index_due(now)
        self._seed_timers(now)
        self._places_timer(now)
        self._exchange_timer(now)
        self._update_hint()
        self._work_backlog()
        self._remind(now)
        for state in self.roster.silent():  # already marked offline by the roster
            self._announce_offline(state, "timeout")
        for state in self.roster.expired():
            self.emit(ev.StatusExpired(at=now, peer=state.id, name=state.name))
            self._persist_peer_status(state.id, state.status)
        if self.own.status.expired(now):
            self.own.status = Status(set_at=now)
            self.store.save_own_status(self.own.status)
            self.emit(ev.StatusExpired(at=now, peer=self.own.id, name=self.own.name, own=True))
        self._knock_timers(now)
        if self.net_check_at is not None and now >= self.net_check_at:
            self._net_check()
        for link in list(self.links.values()):
            if link.suspect_until is not None and now >= link.suspect_until:
                link.suspect_until = None
                self._offline(link.peer, "disconnected")
            if link.snapshot is not None and now >= link.snapshot_due:
                link.snapshot = None  # lost on the way (or dropped by us): ask again
                link.request_snapshot(now, link.snapshot_since)
            if not link.welcomed and now >= link.hello_at + HELLO_RETRY:
                if link.hello_tries >= HELLO_TRIES:
                    self._give_up_place(link.peer)  # its next address, if it has one
                else:
                    self._send_hello(link)

    # shutdown -------------------------------------------------------------------------------------

    def close(self) -> None:
        """Say goodbye (BYE on the PUB, then the mDNS goodbye) and release everything."""
        with self.sleep_lock:
            self.stopping = True
            if self.sleep_pending is not None:
                self.sleep_pending.close()
                self.sleep_pending = None
        self._flush()
        if self.unindexed:
            self._index_now()
        try:
            self.pub.setsockopt(zmq.LINGER, 500)
            self._publish(wire.Bye(), data=False)
        finally:
            self.discovery.close()
            for watch in (self.netwatch, self.sleepwatch):
                if watch is not None:
                    watch.close()
            for peer in list(self.links):
                self._close_link(peer)
            self._close_seeds()
            self.zap.close()
            self.gate.close()
            self.pub_gate.close()
            self.rendezvous_gate.close()
            self.router.close(linger=0)
            self.rendezvous.close(linger=0)
            self.pub.close()
            if isinstance(self.poller, Poller):
                self.poller.close()
            self.ctx.term()
