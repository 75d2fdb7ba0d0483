"""The engine's actor: the one thread that owns every socket and the database.

Its loop is a level-triggered zmq.Poller over its sockets and a wake-up pipe, with a timeout equal
to the time until the next timer. Nothing here blocks on a peer: sends are non-blocking, hostile
input is dropped and counted, and callbacks from zeroconf only enqueue work for this thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import zmq

from hallway.core import wire
from hallway.core.errors import DecodeError
from hallway.core.model import (
    DEFAULT_STATUS,
    Post,
    Status,
    display_fingerprint,
    extract_tags,
    fingerprint,
    post_id,
    strip_controls,
)
from hallway.core.ratelimit import NoiseLog, TokenBucket
from hallway.core.roster import PeerState, Roster, Verdict, received_time
from hallway.core.txt import TxtRecord
from hallway.engine import events as ev
from hallway.engine.admission import Admission
from hallway.engine.links import Link
from hallway.engine.names_view import start_names
from hallway.engine.quota import OVER_QUOTA, Quotas, item_size
from hallway.engine.sync import OUTSIDE_GAP, Spoiled, gap_posts, spoil
from hallway.net.discovery import MAX_FOREIGN, Discovery, Found
from hallway.net.gate import UNPROVEN_MAX, Gate, subscriber_gate
from hallway.net.sockets import bind_all, curve_server, open_context
from hallway.net.zap import ZapHandler
from hallway.store.db import Store, StoredItem

if TYPE_CHECKING:
    from hallway.engine.node import NodeConfig

_log = logging.getLogger("hallway.engine")

SUSPECT_GRACE = 0.2  # a dropped connection not back by then (reconnects take ~100 ms) is gone
HELLO_RETRY = 2.0
SNAPSHOT_RETRY = 3.0
HELLO_TRIES = 5
PEER_RATE = 100.0  # messages per second, sustained, per peer
PEER_BURST = 1500.0
MAX_LINKS = 1024  # peers linked at once (fewer if descriptors are short: open_context)
STRANGERS = "strangers"  # where drops of keys not admitted are logged (budgets: per address)
PRUNE_EVERY = 3600.0
# A member announced on mDNS is online within ~0.1 s, within ~2.5 s when a HELLO (retried after
# HELLO_RETRY) or the browser's first query (asked again after 1 s) is lost. Five seconds of
# other offices and no colleague is therefore no slow start, and still appears before a person
# starts to wonder why the window is empty.
OTHER_OFFICE_DELAY = 5.0
OTHER_OFFICE_REPEAT = 60.0  # a changed count is said again at most this often

Emit = Callable[[ev.Event], None]


@dataclass
class Command:
    """A call from another thread, run here; its result goes back through a Future."""

    fn: Callable[[], Any]
    future: Any  # concurrent.futures.Future


@dataclass
class OtherOfficeHint:
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


@dataclass
class Own:
    id: str
    name: str
    inc: int
    seq: int
    status: Status


class Actor:
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
        self.links: dict[str, Link] = {}
        self.buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self.verified: set[bytes] = set()  # keys admitted to our PUB
        self.running = True
        self.pending_items: list[StoredItem] = []
        self.snapshot_cache: tuple[object, list[bytes]] | None = None
        self.pending_statuses: dict[str, Status] = {}  # peer -> latest, written with the items
        self.quotas = Quotas(store.usage, clock)  # what each peer may keep on our disk
        # The loop's fast path (see run): the SUB sockets, whether this turn only noted
        # heartbeats, and the earliest timer deadline as last computed.
        self.subs: set[Any] = set()
        self.routine = False
        self.due = 0.0
        self.hint = OtherOfficeHint()
        self.conditions: dict[str, ev.NodeWarning] = {}  # lasting warnings in force, by code
        own_id = fingerprint(config.public_key)
        self.next_prune = clock()  # the first turn prunes
        status = store.load_own_status() or DEFAULT_STATUS
        if status.expired(clock()) or not status.set_at:
            status = Status(set_at=clock())
        self.own = Own(
            id=own_id,
            name=config.name,
            inc=secrets.randbits(62),
            seq=0,
            status=status,
        )
        # Every event that names a peer says whether another member's name reads alike.
        self.names, self.emit = start_names(own_id, config.name, store, emit)
        # Room for MAX_LINKS links within zmq's socket limit and our descriptor limit.
        # (The reserve: the unproven connections of the ROUTER's gate and of the PUB's.)
        self.ctx, self.max_links = open_context(MAX_LINKS, reserve=2 * UNPROVEN_MAX)
        self.zap = ZapHandler(self.ctx, self._authorize)
        keys = (config.public_key, config.secret_key)
        self.router = curve_server(self.ctx, zmq.ROUTER, *keys, domain=b"router")
        self.pub = curve_server(self.ctx, zmq.PUB, *keys, domain=b"pub")
        assert config.interfaces, "the Node resolves the interfaces before the actor starts"
        self.addresses: tuple[str, ...] = config.interfaces
        self.router_port = bind_all(self.router, self.addresses, config.port)
        self.pub_port = bind_all(self.pub, self.addresses, config.port + 1 if config.port else 0)
        self.poller = zmq.Poller()
        self.handlers: dict[Any, Callable[[], None]] = {}
        # Gates cap the connections that have not proven membership, and drop slow ones.
        self.admission, self.gate, self.pub_gate = (
            Admission(),
            Gate(self.ctx, self.router, clock),
            subscriber_gate(self.ctx, self.pub, clock, self.max_links),
        )
        for sock, handler in (
            (self.zap.socket, self.zap.handle),
            (self.router, self._on_router),
            (self.gate.socket, self.gate.handle),
            (self.pub_gate.socket, self.pub_gate.handle),
            (wake_fd, self._on_wake),
        ):
            self._watch(sock, handler)
        self.next_heartbeat = clock() + config.heartbeat_interval
        for stored in store.peers():
            state = self.roster.add(stored.id, stored.key)
            state.name = stored.name
            state.first_seen = stored.first_seen
            state.last_heard = stored.last_seen
            state.verified = stored.verified
            saved = store.peer_status(stored.id)
            if saved is not None:
                state.status = saved
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

    # plumbing ---------------------------------------------------------------------------------

    def _post_from_thread(self, item: tuple[str, Any]) -> None:
        self.commands.put(item)
        with contextlib.suppress(BlockingIOError, OSError):  # full pipe: a wake-up is pending
            os.write(self.wake_fd_w, b"\0")

    wake_fd_w = -1  # set by the Node

    def _watch(self, sock: Any, handler: Callable[[], None]) -> None:
        self.poller.register(sock, zmq.POLLIN)
        self.handlers[sock] = handler

    def _unwatch(self, sock: Any) -> None:
        self.poller.unregister(sock)
        del self.handlers[sock]

    def start(self) -> None:
        self.discovery.start()
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
        """The loop. A turn that only noted heartbeats of online peers (the common case when
        idle: one per peer per second) cannot have made any timer due sooner; it skips the timer
        scans, which cost O(peers) each, until the deadline computed last is reached."""
        while self.running:
            now = self.clock()
            if self.routine and now < self.due:
                timeout = (self.due - now) * 1000.0 + 1.0
            else:
                timeout = self._next_timeout()
            self.routine = True
            for sock, _ in self.poller.poll(int(timeout)):
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
            if self.routine and self.clock() < self.due:
                continue
            self.routine = False
            try:
                self._timers()
                self._flush()
            except Exception as exc:  # noqa: BLE001 -- a full disk must not stop the engine
                _log.exception("unexpected error in the engine's timers")
                self._drop("engine", f"unexpected error: {exc!r}")

    def _next_timeout(self) -> float:
        now = self.clock()
        deadlines = [self.next_heartbeat, self.next_prune]
        roster_deadline = self.roster.next_deadline()
        if roster_deadline is not None:
            deadlines.append(roster_deadline)
        if self.own.status.until is not None:
            deadlines.append(self.own.status.until)
        hint_due = self.hint.deadline()
        if hint_due is not None:
            deadlines.append(hint_due)
        gate_due = self.gate.deadline()  # an unproven connection to drop
        if gate_due is not None:
            deadlines.append(gate_due)
        for link in self.links.values():
            if link.suspect_until is not None:
                deadlines.append(link.suspect_until)
            if not link.welcomed:
                deadlines.append(link.hello_at + HELLO_RETRY)
            if link.snapshot is not None:
                deadlines.append(link.snapshot_at + SNAPSHOT_RETRY)
        self.due = min(deadlines)
        wait: float = max(0.0, (self.due - now) * 1000.0) + 1.0
        return wait

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
            else:
                kind, payload = item
                if kind == "found":
                    self._on_found(payload)
                elif kind == "lost":
                    self._on_lost(payload)
                elif kind == "bad":
                    self._drop_record(*payload)
                elif kind == "foreign":
                    self.hint.foreign = payload
                    self._update_hint()
                elif kind == "stop":
                    self.running = False

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

    def _drop_record(self, source: str, reason: str) -> None:
        """A bad mDNS record. Strangers' share one noise source, so a flood of fresh names is
        logged once a minute rather than once per name; a colleague's is still named."""
        if self.roster.get(source) is not None:
            self._drop(source, reason)
        else:
            self._drop("mdns", f"{reason}: {source}")

    def _update_hint(self) -> None:
        event = self.hint.update(self.clock())
        if isinstance(event, ev.NodeWarning) and event.code is not None:
            self.conditions[event.code] = event
        elif isinstance(event, ev.WarningCleared):
            self.conditions.pop(event.code, None)
        if event is not None:
            self.emit(event)

    def _peer_online(self, link: Link, name: str) -> None:
        self.emit(ev.PeerOnline(at=self.clock(), peer=link.peer, name=name, address=link.address))
        if not self.hint.member_seen:
            self.hint.member_seen = True
            self._update_hint()

    def _flush(self) -> None:
        """Write what this loop turn received (items, peers' statuses) in one transaction."""
        if not self.pending_items and not self.pending_statuses:
            return
        items, self.pending_items = self.pending_items, []
        statuses, self.pending_statuses = self.pending_statuses, {}
        try:
            self.store.add_received(items, statuses)
        except Exception as exc:  # noqa: BLE001 -- a full disk must not stop the node
            self._drop("store", f"could not save received items: {exc}")

    # timers -----------------------------------------------------------------------------------

    def _timers(self) -> None:
        now = self.clock()
        if now >= self.next_prune:  # retention, also for nodes that run for months
            self.next_prune = now + PRUNE_EVERY
            self.store.prune(now - self.cfg.retention_days * 86400)
        if now >= self.next_heartbeat:
            self._publish(wire.Heartbeat(), data=False)
            self.next_heartbeat = now + self.cfg.heartbeat_interval
        self.gate.expire()
        self._update_hint()
        for state in self.roster.silent():  # already marked offline by the roster
            self._announce_offline(state, "timeout")
        for state in self.roster.expired():
            self.emit(ev.StatusExpired(at=now, peer=state.id, name=state.name))
            self._persist_peer_status(state.id, state.status)
        if self.own.status.expired(now):
            self.own.status = Status(set_at=now)
            self.store.save_own_status(self.own.status)
            self.emit(ev.StatusExpired(at=now, peer=self.own.id, name=self.own.name, own=True))
        for link in list(self.links.values()):
            if link.suspect_until is not None and now >= link.suspect_until:
                link.suspect_until = None
                self._offline(link.peer, "disconnected")
            if link.snapshot is not None and now >= link.snapshot_at + SNAPSHOT_RETRY:
                link.snapshot = None  # lost on the way (or dropped by us): ask again
                link.request_snapshot(now)
            if not link.welcomed and now >= link.hello_at + HELLO_RETRY:
                if link.hello_tries >= HELLO_TRIES:
                    self._close_link(link.peer)
                else:
                    self._send_hello(link)

    # publishing -------------------------------------------------------------------------------

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

    # commands (run on this thread) ------------------------------------------------------------

    def set_status(self, status: Status) -> Status:
        own = self.own
        seq = own.seq + 1
        at = self.clock()
        status = Status(
            presence=status.presence,
            text=status.text,
            emoji=status.emoji,
            until=status.until,
            set_at=at,
        )
        # Write before publishing, in one transaction: what the node has confirmed survives a
        # crash, and one commit (not three) stands between the command and the wire.
        item = _status_item(own.id, own.inc, seq, status, at, name=own.name)
        self.store.record_own_status(status, item)
        own.status = status
        self._publish(
            wire.StatusBody(
                presence=status.presence, text=status.text, emoji=status.emoji, until=status.until
            ),
            at=at,
        )
        self.emit(ev.StatusChanged(at=at, peer=own.id, name=own.name, status=status, own=True))
        return status

    def post(self, text: str, urgent: bool) -> Post:
        own = self.own
        seq = own.seq + 1
        at = self.clock()
        post = Post(
            id=post_id(own.id, own.inc, seq),
            peer=own.id,
            text=text,
            urgent=urgent,
            sent_at=at,
            tags=extract_tags(text),
        )
        self.store.add_item(_post_item(post, own.inc, seq, at, name=own.name))
        self._publish(wire.PostBody(text=text, urgent=urgent), at=at)
        self.emit(ev.PostReceived(at=at, post=post, name=own.name, own=True))
        return post

    def set_name(self, name: str) -> None:
        self.own.name = name  # the config file keeps it across restarts (the caller saves it)
        self._publish(wire.ProfileBody(name=name))
        warnings = self.names.learn(self.own.id, name, now=self.clock())
        self.emit(ev.PeerRenamed(at=self.clock(), peer=self.own.id, name=name, own=True))
        for warning in warnings:
            self.emit(warning)

    def _name_peer(self, state: PeerState, name: str) -> None:
        """Learn a peer's name; say so when it now reads like another member's."""
        if not name or name == state.name:
            return
        state.name = name
        for warning in self.names.learn(state.id, name, now=self.clock()):
            self.emit(warning)

    def peer_views(self) -> list[ev.PeerView]:
        self.names.retain(state.id for state in self.roster)  # the roster evicts, too
        views = [self.me()]
        views += [self._view(state) for state in self.roster]
        return views

    def me(self) -> ev.PeerView:
        return ev.PeerView(
            id=self.own.id,
            name=self.own.name,
            fingerprint=display_fingerprint(self.own.id),
            online=True,
            status=self.own.status,
            last_seen=self.clock(),
            first_seen=None,
            address=", ".join(self.addresses),
            verified=True,
            own=True,
            look_alike=self.names.look_alike(self.own.id),
            look_alikes=self.names.look_alikes(self.own.id),
            short_fingerprint=self.names.short_fingerprint(self.own.id),
        )

    def _view(self, state: PeerState) -> ev.PeerView:
        return ev.PeerView(
            id=state.id,
            name=state.name,
            fingerprint=display_fingerprint(state.id),
            online=state.online,
            status=state.status,
            last_seen=state.last_heard or None,
            first_seen=state.first_seen,
            address=state.address,
            verified=state.verified,
            look_alike=self.names.look_alike(state.id),
            look_alikes=self.names.look_alikes(state.id),
            short_fingerprint=self.names.short_fingerprint(state.id),
        )

    def stats(self) -> dict[str, int]:
        counts = {f"dropped: {reason}": n for reason, n in self.noise.counts.items()}
        counts["refused connections"] = self.zap.denied
        counts["peers"] = len(self.roster)
        return counts

    def name_of(self, peer: str) -> str:
        if peer == self.own.id:
            return self.own.name
        state = self.roster.get(peer)
        return state.name if state is not None else ""

    # discovery --------------------------------------------------------------------------------

    def _on_found(self, found: Found) -> None:
        record = found.record
        peer = fingerprint(record.public_key)
        if peer == self.own.id:
            return
        # Discovery checked that the name is the key's fingerprint and that there is an address.
        if not self.cfg.office.admits(record.office_tag, record.public_key, record.proof):
            return  # another office (or a bad proof): never connect
        if self._connect(
            peer, record.public_key, found.addresses[0], found.router_port, record.pub_port
        ):
            self.verified.add(record.public_key)

    def _on_lost(self, instance: str) -> None:
        state = self.roster.get(instance)
        if state is not None and state.online:
            # Only a hint (anyone can send a goodbye): a peer that really left says BYE, or
            # its connection drops, or it falls silent; each of those takes it offline.
            return
        self._close_link(instance)

    def _connect(
        self, peer: str, key: bytes, address: str, router_port: int, pub_port: int
    ) -> bool:
        """Open a link (or keep the one there is); False when a limit refuses it. A peer enters
        the roster only when it answers with WELCOME, so keys that never do leave nothing."""
        link = self.links.get(peer)
        if link is not None:
            if link.key == key and link.same_place(address, router_port, pub_port):
                return True
            state = self.roster.get(peer)
            if link.welcomed and state is not None and state.online:
                # A working link wins: mDNS is unauthenticated, so a copied record with another
                # address must not cut us off. A peer that really moved goes offline first.
                return True
            self._close_link(peer, evict=False)  # moved: replaced below, not forgotten
        now = time.monotonic()
        if self.roster.get(peer) is None and not self.admission.may_connect(
            address, self.links.values(), now
        ):
            self._drop(STRANGERS, "too many unanswered links to one address")
            return False
        if len(self.links) >= self.max_links and not self._evict_unwelcomed():
            self._drop(STRANGERS, "too many peers")
            return False
        link = Link.open(
            self.ctx,
            self.cfg.public_key,
            self.cfg.secret_key,
            peer=peer,
            key=key,
            address=address,
            router_port=router_port,
            pub_port=pub_port,
        )
        self.links[peer] = link
        self._watch(link.dealer, lambda: self._on_dealer(link))
        self._send_hello(link)
        return True

    def _evict_unwelcomed(self) -> bool:
        """Make room by closing the oldest link that was never answered; False if none."""
        for peer, link in self.links.items():
            if not link.welcomed and self.roster.get(peer) is None:
                self._close_link(peer)
                return True
        return False

    def _send_hello(self, link: Link) -> None:
        link.hello_at = self.clock()
        link.hello_tries += 1
        link.send(
            wire.encode(
                wire.Hello(
                    office=self.cfg.office.tag,
                    proof=self.cfg.office.proof(self.cfg.public_key),
                    name=self.own.name,
                    router_port=self.router_port,
                    pub_port=self.pub_port,
                    inc=self.own.inc,
                )
            )
        )

    def _close_link(self, peer: str, *, evict: bool = True) -> None:
        link = self.links.pop(peer, None)
        if link is None:
            return
        for sock in link.sockets():
            if sock in self.handlers:
                self._unwatch(sock)
            self.subs.discard(sock)
        link.close()
        if evict and not link.welcomed and self.roster.get(peer) is None:
            # Never answered, never a member we knew: forget the key (a sybil leaves nothing).
            self.verified.discard(link.key)
            self.buckets.pop(peer, None)
            self.gate.forget(link.key)

    # ZAP --------------------------------------------------------------------------------------

    def _authorize(self, domain: bytes, key: bytes) -> bool:
        if self.cfg.office.is_open:
            return True
        if domain == b"router":
            return True  # anyone may knock; only a HELLO with a valid proof is answered
        return key in self.verified

    # ROUTER: requests from peers -------------------------------------------------------------

    def _on_router(self) -> None:
        for _ in range(64):  # bounded, so one busy peer cannot starve the rest
            try:
                frames = self.router.recv_multipart(zmq.NOBLOCK, copy=False)
            except zmq.Again:
                return
            if len(frames) != 2:
                self._drop("router", "request with an unexpected number of frames")
                continue
            routing, payload = frames
            key = str(payload.get("User-Id")).encode()
            peer = fingerprint(key)
            source = str(payload.get("Peer-Address"))
            stranger = key not in self.verified
            if not self._allow(peer, stranger=stranger, source=source):
                continue
            if not stranger:
                self.gate.prove(payload, key)  # a member's key: its connection may stay
            try:
                request = wire.decode_request(payload.bytes)
            except DecodeError as exc:
                self._drop(STRANGERS if stranger else peer, str(exc))
                if stranger:
                    self.gate.refuse(payload)
                continue
            if isinstance(request, wire.Hello):
                self._on_hello(routing.bytes, key, peer, request, source, frame=payload)
            elif not stranger or self.cfg.office.is_open:
                self._on_snapshot_request(routing.bytes)
            else:
                self.gate.refuse(payload)  # a request only members may make

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

    def _reply(self, routing: bytes, payload: bytes) -> None:
        with contextlib.suppress(zmq.Again, zmq.ZMQError):  # gone or too slow; it will ask again
            self.router.send_multipart([routing, payload], zmq.NOBLOCK)

    def _on_hello(
        self,
        routing: bytes,
        key: bytes,
        peer: str,
        hello: wire.Hello,
        address: str,
        *,
        frame: zmq.Frame,
    ) -> None:
        if not self.cfg.office.admits(hello.office, key, hello.proof):
            self._drop(STRANGERS, "HELLO without a valid membership proof")
            self.gate.refuse(frame)
            return  # silence: a non-member learns nothing
        state = self.roster.get(peer)
        if (
            state is None
            and key not in self.verified
            and not self.admission.new_keys.take(address, time.monotonic())
        ):
            # A member making keys: each address gets a few, then one every few seconds.
            self._drop(STRANGERS, "too many new keys from one address")
            return
        self.gate.prove(frame, key)
        # They found us first: connect back at once rather than wait for their mDNS record.
        # Admitted means both: our link to them, and WELCOME with our PUB open to their key.
        if not self._connect(peer, key, address, hello.router_port, hello.pub_port):
            return
        self.verified.add(key)
        if state is not None:
            self._name_peer(state, strip_controls(hello.name))
        self._reply(
            routing,
            wire.encode(wire.Welcome(name=self.own.name, pub_port=self.pub_port, inc=self.own.inc)),
        )

    def _on_snapshot_request(self, routing: bytes) -> None:
        for chunk in self._snapshot_chunks():
            self._reply(routing, chunk)

    def _snapshot_chunks(self) -> list[bytes]:
        """The encoded snapshot, built once per state (and per hour, as old posts age out):
        every peer that joins or resyncs gets the same bytes without a query or an encode."""
        now = self.clock()
        key = (self.own.inc, self.own.seq, self.own.name, self.own.status, int(now // 3600))
        if self.snapshot_cache is not None and self.snapshot_cache[0] == key:
            return self.snapshot_cache[1]
        since = now - self.cfg.post_history_days * 86400
        posts = [
            wire.SnapPost(inc=i.inc, seq=i.seq, at=i.sent_at, text=i.text, urgent=i.urgent)
            for i in self.store.posts_since(self.own.id, since)
        ]
        status = self.own.status
        chunks = wire.chunk_snapshot(
            inc=self.own.inc,
            seq=self.own.seq,
            name=self.own.name,
            posts=posts,
            status=wire.StatusBody(
                presence=status.presence, text=status.text, emoji=status.emoji, until=status.until
            ),
            status_at=status.set_at,
        )
        self.snapshot_cache = (key, chunks)
        return chunks

    # DEALER: replies from a peer -------------------------------------------------------------

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
            elif isinstance(reply, wire.SnapshotPart):
                self._on_snapshot_part(link, reply)
                if link.peer not in self.links:
                    return

    def _on_welcome(self, link: Link, welcome: wire.Welcome) -> None:
        state = self.roster.add(link.peer, link.key)
        if not link.welcomed:
            state.address, state.verified = link.address, True
        self._name_peer(state, strip_controls(welcome.name))
        if link.welcomed:
            return
        link.welcomed = True
        if welcome.pub_port != link.pub_port:
            link.pub_port = welcome.pub_port
        # Subscribe first, then ask for the snapshot (Clone pattern): nothing falls in between.
        # The snapshot is requested once the SUB's handshake succeeded (see _on_monitor), so a
        # peer reported online is one whose every later message, BYE included, reaches us.
        link.subscribe(self.ctx, self.cfg.public_key, self.cfg.secret_key)
        assert link.sub is not None
        assert link.monitor is not None
        self._watch(link.sub, lambda: self._on_sub(link))
        self.subs.add(link.sub)
        self._watch(link.monitor, lambda: self._on_monitor(link))

    def _on_snapshot_part(self, link: Link, part: wire.SnapshotPart) -> None:
        if link.snapshot is None or isinstance(link.snapshot, Spoiled):
            return  # not asked for, or a part of it was dropped: it will be asked for again
        if len(link.snapshot.posts) + len(part.posts) > wire.SNAPSHOT_POSTS_MAX * 2:
            link.snapshot = None
            self._drop(link.peer, "snapshot larger than allowed")
            return
        # Each post costs what a live message does, from the same bucket: the repair path is no
        # way around the rate limit. An honest snapshot (500 posts at most) fits in the burst.
        bucket = self.buckets.get(link.peer)
        if part.posts and bucket is not None and not bucket.take(time.monotonic(), len(part.posts)):
            link.snapshot = spoil(link.snapshot)
            self._drop(link.peer, "over the rate limit")
            return
        link.snapshot.posts.extend(part.posts)
        if part.more:
            return
        posts, link.snapshot = link.snapshot.posts, None
        state = self.roster.add(link.peer, link.key)
        self._name_peer(state, strip_controls(part.name))
        first = not link.synced_once
        link.synced_once = True
        posts, outside = gap_posts(posts, state.seq.fillable(part.inc, part.seq))
        if outside:
            self._drop_many(link.peer, OUTSIDE_GAP, outside)
        buffered = state.seq.snapshot(part.inc, part.seq)
        came_online = self.roster.heard(link.peer)
        self._persist_peer(state)
        if came_online:
            self._peer_online(link, state.name)
        if part.status is not None:
            self._apply_status(
                link.peer, part.status, part.status_at, force=first, version=(part.inc, part.seq)
            )
        self._apply_posts(link.peer, posts, live=not first)
        for item in buffered:
            self._apply_envelope(link.peer, item)  # type: ignore[arg-type]

    # SUB: a peer's updates --------------------------------------------------------------------

    def _on_sub(self, link: Link) -> None:
        sub = link.sub
        assert sub is not None
        for _ in range(256):
            try:
                frames = sub.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            if not self._allow(link.peer):
                self.routine = False
                continue
            if len(frames) != 2 or frames[0] != wire.TOPIC:
                self._drop(link.peer, "message with an unexpected shape")
                continue
            try:
                env = wire.decode_envelope(frames[1])
            except DecodeError as exc:
                self._drop(link.peer, str(exc))
                continue
            self._on_envelope(link, env)
            if link.peer not in self.links:
                return

    def _on_envelope(self, link: Link, env: wire.Envelope) -> None:
        state = self.roster.get(link.peer)
        body = env.body
        data = not isinstance(body, wire.Heartbeat)
        if state is None or data or not state.online:
            self.routine = False  # more than a heartbeat noted: the timers need a look
            if state is None:
                return
        if isinstance(body, wire.Bye):
            self._offline(link.peer, "bye")
            return
        verdict = state.seq.check(env.inc, env.seq, data=data)
        if verdict is not Verdict.APPLY:
            self.routine = False
        if verdict is Verdict.RESTART:
            state.seq.hold(env.inc, env.seq, env)
            link.request_snapshot(self.clock())
            return
        if verdict is Verdict.BUFFER:
            if data:
                state.seq.hold(env.inc, env.seq, env)
            return
        if self.roster.heard(link.peer):
            self._peer_online(link, state.name)
        if verdict is Verdict.GAP:
            link.request_snapshot(self.clock())
        if verdict in (Verdict.APPLY, Verdict.GAP) and data:
            self._apply_envelope(link.peer, env)

    def _apply_envelope(self, peer: str, env: wire.Envelope) -> None:
        body = env.body
        if isinstance(body, wire.StatusBody):
            self._apply_status(peer, body, env.at, seq=(env.inc, env.seq))
        elif isinstance(body, wire.PostBody):
            self._apply_post(peer, env, body)
        elif isinstance(body, wire.ProfileBody):
            state = self.roster.get(peer)
            name = strip_controls(body.name)
            if state is not None and name and name != state.name:
                self._name_peer(state, name)
                self._persist_peer(state)
                self.emit(ev.PeerRenamed(at=self.clock(), peer=peer, name=name))

    def _apply_status(
        self,
        peer: str,
        body: wire.StatusBody,
        at: float,
        *,
        force: bool = False,
        seq: tuple[int, int] | None = None,
        version: tuple[int, int] | None = None,
    ) -> None:
        """A live status (`seq`: its inc and seq) or a snapshot's (`version`: the snapshot's)."""
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
        if status == state.status and not force:
            return
        if not self.roster.set_status(peer, status, seq or version):
            return
        self.emit(
            ev.StatusChanged(at=self.clock(), peer=peer, name=state.name, status=state.status)
        )
        self._persist_peer_status(peer, state.status)
        if seq is not None and self._admit(peer, status.text):
            item = _status_item(peer, seq[0], seq[1], status, self.clock(), name=state.name)
            self.pending_items.append(item)

    def _apply_post(self, peer: str, env: wire.Envelope, body: wire.PostBody) -> None:
        post = Post(
            id=post_id(peer, env.inc, env.seq),
            peer=peer,
            text=strip_controls(body.text),
            urgent=body.urgent,
            sent_at=received_time(env.at, self.clock()),
            tags=extract_tags(body.text),
        )
        if not self._admit(peer, post.text):
            return  # over its storage quota: neither kept nor announced
        # The sequence check already dropped repeats, so announce first and write in the batch
        # flushed at the end of this loop turn: the disk stays off the receive path.
        now = self.clock()
        self.emit(ev.PostReceived(at=now, post=post, name=self.name_of(peer), live=True))
        self.pending_items.append(_post_item(post, env.inc, env.seq, now, name=self.name_of(peer)))

    def _apply_posts(self, peer: str, posts: list[wire.SnapPost], *, live: bool) -> None:
        """Store a snapshot's posts in one transaction; announce the ones that are new."""
        self._flush()  # so that live posts still in the batch count as seen
        now = self.clock()
        batch = [
            Post(
                id=post_id(peer, p.inc, p.seq),
                peer=peer,
                text=strip_controls(p.text),
                urgent=p.urgent,
                sent_at=received_time(p.at, now),
                tags=extract_tags(p.text),
            )
            for p in posts
        ]
        admitted = [self._admit(peer, post.text, report=False) for post in batch]
        if not all(admitted):
            self._over_quota(peer, admitted.count(False))
            posts = [p for p, ok in zip(posts, admitted, strict=True) if ok]
            batch = [post for post, ok in zip(batch, admitted, strict=True) if ok]
        try:
            fresh = self.store.add_items(
                [
                    _post_item(post, p.inc, p.seq, now, name=self.name_of(peer))
                    for post, p in zip(batch, posts, strict=True)
                ]
            )
        except Exception as exc:  # noqa: BLE001 -- a full disk must not stop the node
            self._drop("store", f"could not save received posts: {exc}")
            return
        name = self.name_of(peer)
        for post, new in zip(batch, fresh, strict=True):
            if new:
                self.emit(ev.PostReceived(at=now, post=post, name=name, live=live))
            else:
                self.quotas.release(peer, item_size(post.text))  # we had it: no more stored

    def _admit(self, peer: str, text: str, *, report: bool = True) -> bool:
        """Count an item against the peer's storage quota; False (counted) when it is over."""
        if self.quotas.admit(peer, item_size(text)):
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

    def _drop_many(self, peer: str, reason: str, count: int) -> None:
        """Count `count` items dropped for one reason; logged like any drop (`_drop`)."""
        self.noise.counts[reason] += count - 1
        self._drop(peer, reason)

    def _on_monitor(self, link: Link) -> None:
        try:
            event = link.monitor_event()
        except zmq.ZMQError:
            return
        if event == zmq.EVENT_DISCONNECTED:
            state = self.roster.get(link.peer)
            if state is not None and state.online:
                link.suspect_until = self.clock() + SUSPECT_GRACE
        elif event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            link.suspect_until = None
            state = self.roster.get(link.peer)
            if not link.synced_once or state is None or not state.online:
                # First contact, or back after a drop (a healed partition): catch up on what
                # was missed; the snapshot brings the peer online again.
                link.request_snapshot(self.clock())

    # state changes ----------------------------------------------------------------------------

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

    # shutdown ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Say goodbye (BYE on the PUB, then the mDNS goodbye) and release everything."""
        self._flush()
        try:
            self.pub.setsockopt(zmq.LINGER, 500)
            self._publish(wire.Bye(), data=False)
        finally:
            self.discovery.close()
            for peer in list(self.links):
                self._close_link(peer)
            self.zap.close()
            self.gate.close()
            self.pub_gate.close()
            self.router.close(linger=0)
            self.pub.close()
            self.ctx.term()


def _status_item(
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


def _post_item(post: Post, inc: int, seq: int, received: float, *, name: str) -> StoredItem:
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
    )
