"""Which peers the actor links to, and who may talk to its ROUTER.

Discovery's records (of our office only) open links, which say HELLO; a peer's HELLO with a valid
proof opens a link back and is answered with WELCOME. Limits keep records, keys or requests from
one address within that address's budgets (`admission.py`), and unanswered links from pushing
members out (`MAX_LINKS`). ZAP lets anyone knock on the ROUTER but only admitted keys onto the
PUB, and the gate (`net/gate.py`) cuts connections that never prove membership.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import zmq

from hallway.core import wire
from hallway.core.errors import DecodeError
from hallway.core.model import fingerprint
from hallway.core.records import local_key
from hallway.core.txt import OLD_PROTOCOL
from hallway.engine import events as ev
from hallway.engine.links import Link
from hallway.engine.state import STRANGERS, EngineState, post_value, status_value
from hallway.net.discovery import Found
from hallway.net.networks import is_on_link, on_link_first
from hallway.store.places import better_via

# A peer online when we open its link again has this long to complete the new handshake
# (HELLO, WELCOME, the SUB's CURVE handshake: milliseconds on a LAN) before it is offline.
RELINK_GRACE = 3.0


class Linking(EngineState):
    """The actor's part that opens, keeps and closes links, and answers the ROUTER."""

    # discovery ------------------------------------------------------------------------------------

    def _on_found(self, found: Found) -> None:
        record = found.record
        peer = fingerprint(record.public_key)
        if peer == self.own.id:
            return
        # Discovery checked that the name is the key's fingerprint, that there is an address, and
        # (`admits=`, see Actor) that the record proves membership of our office. Its addresses
        # are tried in turn, on-link ones first (a docker0 or VPN address may come first); one
        # reflected from another subnet is not on-link and is tried all the same.
        places = [
            (address, found.router_port, record.pub_port)
            for address in on_link_first(found.addresses, self.own_nets)
        ]
        if self._connect(peer, record.public_key, *places[0]):
            self.verified.add(record.public_key)
            self.via[peer] = better_via(self.via.get(peer), "mdns")
            self.alternates[peer] = places[1:]

    def _give_up_place(self, peer: str) -> None:
        """A link never answered its HELLOs: try the peer's next place, or close it."""
        link = self.links.get(peer)
        rest = self.alternates.pop(peer, [])
        if link is None or not rest:
            self._close_link(peer)
            return
        if self._connect(peer, link.key, *rest[0], reopen=True):
            self.alternates[peer] = rest[1:]
        else:
            self._close_link(peer)

    def _on_lost(self, instance: str) -> None:
        state = self.roster.get(instance)
        if state is not None and state.online:
            # Only a hint (anyone can send a goodbye): a peer that really left says BYE, or
            # its connection drops, or it falls silent; each of those takes it offline.
            return
        self._close_link(instance)

    def _drop_record(self, source: str, reason: str) -> None:
        """A bad mDNS record. Strangers' share one noise source, so a flood of fresh names is
        logged once a minute rather than once per name; a colleague's is still named."""
        if reason == OLD_PROTOCOL:
            self._old_protocol()
        if self.roster.get(source) is not None:
            self._drop(source, reason)
        else:
            self._drop("mdns", f"{reason}: {source}")

    def _old_protocol(self) -> None:
        """Warn, once a run, that a node nearby speaks protocol 1: it is ignored."""
        if ev.OLD_PROTOCOL in self.conditions:
            return
        warning = ev.NodeWarning(
            at=self.clock(),
            message=f"A Hallway node nearby {OLD_PROTOCOL}.",
            code=ev.OLD_PROTOCOL,
        )
        self.conditions[ev.OLD_PROTOCOL] = warning
        self.emit(warning)

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
        """Open a link (or keep the one there is); False when a limit refuses it. A peer enters
        the roster only when it answers with WELCOME, so keys that never do leave nothing.

        `proven`: the place comes from the peer's own HELLO, whose key the CURVE handshake
        proved, not from an mDNS record. `reopen`: open the link again even at the same place
        (our network changed: its connections may be dead)."""
        old = self.links.get(peer)
        place = (address, router_port, pub_port)
        if old is not None and not reopen and self._keeps(old, key, *place, proven=proven):
            return True
        # The limits first: a refused move keeps the old link, never a key without one.
        now = time.monotonic()
        others = (link for link in self.links.values() if link is not old)
        if self.roster.get(peer) is None and not self.admission.may_connect(address, others, now):
            self._drop(STRANGERS, "too many unanswered links to one address")
            return False
        if old is None and len(self.links) >= self.max_links and not self._make_room():
            self._drop(STRANGERS, "too many peers")
            return False
        try:
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
        except zmq.ZMQError as exc:  # out of sockets or descriptors: a limit too
            self._drop("engine", f"could not open a link: {exc}")
            return False
        if old is not None:
            self._close_link(peer, evict=False)  # moved: replaced, not forgotten
        self.links[peer] = link
        self._watch(link.dealer, lambda: self._on_dealer(link))
        self._send_hello(link)
        return True

    def _keeps(
        self, old: Link, key: bytes, address: str, router_port: int, pub_port: int, *, proven: bool
    ) -> bool:
        """Whether the link there is stays, rather than one to this place."""
        state = self.roster.get(old.peer)
        working = old.welcomed and state is not None and state.online
        if old.key == key and old.same_place(address, router_port, pub_port):
            # The peer's own HELLO over a link that had worked (synced) and is down now: the
            # peer is back (woken up, or its network changed). Open it again at once rather than
            # wait for libzmq's reconnect back-off (up to 2 s). A link still being made (its
            # first snapshot not in yet) stays: both sides' first HELLOs cross while meeting,
            # and reopening then would start every first contact over.
            return working or not (proven and old.synced_once)
        # A working link wins over an mDNS record, which anyone can copy with another address:
        # it must not cut us off. Not over the peer's HELLO from another place: only the
        # holder of the key can send that, so the peer has moved (a new address after sleep,
        # Wi-Fi to cable) and its old place is dead even if we have not noticed yet.
        return working and not proven

    def _relink_all(self) -> None:
        """Open every link that had worked again, after our network changed or we woke up.

        Their connections may be dead without libzmq knowing yet (it would notice within the
        heartbeat's 3 s, then back off), or come from an address we no longer have. The new
        DEALER says HELLO from where we are now, which makes the peer link back to us there
        (`_keeps`). A peer still online has RELINK_GRACE to complete the new handshake before
        it counts as offline, as after a dropped connection."""
        now = self.clock()
        for peer, link in list(self.links.items()):
            if not link.welcomed:
                continue  # never answered: its HELLOs are retried, its sockets reconnect
            state = self.roster.get(peer)
            online = state is not None and state.online
            place = (link.address, link.router_port, link.pub_port)
            if not self._connect(peer, link.key, *place, reopen=True):
                continue  # could not open another (out of sockets): the old one stays
            if online:
                self.links[peer].suspect_until = now + RELINK_GRACE

    def _make_room(self) -> bool:
        """Close one link to make room for another; False if every link is a member online.

        The oldest link never answered goes first. Then the member offline and heard from
        longest ago: anyone with the passphrase can make keys that answer WELCOME and fall
        silent, and those must not keep newcomers out. That member is forgotten (it comes back
        like a newcomer, through the new-key budget, when it appears again)."""
        for peer, link in self.links.items():
            if not link.welcomed and self.roster.get(peer) is None:
                self._close_link(peer)
                return True
        offline = [
            (state.last_heard, age, peer)  # the oldest link first among those never heard
            for age, peer in enumerate(self.links)
            if (state := self.roster.get(peer)) is not None and not state.online
        ]
        if not offline:
            return False
        *_, peer = min(offline)
        link = self.links[peer]
        self._close_link(peer, evict=False)
        self._forget_peer(peer, link.key)
        return True

    def _forget_peer(self, peer: str, key: bytes) -> None:
        """Forget a peer whose link is gone: its key, budget, name and place in the roster."""
        self.roster.remove(peer)
        self.names.forget(peer)
        self.verified.discard(key)
        self.buckets.pop(peer, None)
        self.gate.forget(key)

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
                    proto=wire.VERSION,
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
            self._forget_peer(peer, link.key)

    # ZAP ------------------------------------------------------------------------------------------

    def _authorize(self, domain: bytes, key: bytes) -> bool:
        if self.cfg.office.is_open:
            return True
        if domain in (b"router", b"rendezvous"):
            # Anyone may knock; only a HELLO with a valid proof is answered. The rendezvous's
            # CURVE handshake already needs the office key (its server key is derived from it).
            return True
        return key in self.verified

    # ROUTER: requests from peers ------------------------------------------------------------------

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
            elif isinstance(request, wire.SnapshotRequest) and (
                not stranger or self.cfg.office.is_open
            ):
                self._on_snapshot_request(routing.bytes, request)
            elif isinstance(request, wire.Knock | wire.KnockReply) and not stranger:
                self._on_knock_request(routing.bytes, peer, request)
            elif isinstance(request, wire.PeerList) and not stranger:
                self._on_peer_list(peer, request)
            else:
                self.gate.refuse(payload)  # a request only members may make

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
        if hello.proto != wire.VERSION:  # after the proof: only a member can raise the warning
            self._old_protocol()
            self.gate.refuse(frame)
            return  # never linked: no half-state is left behind
        state = self.roster.get(peer)
        if (
            state is None
            and key not in self.verified
            and not self.admission.new_keys.take(address, time.monotonic())
        ):
            # A member making keys: each address gets a few, then one every few seconds.
            self._drop(STRANGERS, "too many new keys from one address")
            return
        # They found us first: connect back at once rather than wait for their mDNS record.
        # Admitted means both: our link to them, and WELCOME with our PUB open to their key.
        # Proven only then: a proven connection stays until its key is forgotten, which happens
        # when its link closes, so a key refused a link must not leave one behind.
        if not self._connect(peer, key, address, hello.router_port, hello.pub_port, proven=True):
            self.gate.refuse(frame)
            return
        self.gate.prove(frame, key)
        self.verified.add(key)
        # They found us: on our link as we would have (mDNS), else they were told of us, or
        # found our record through a reflector: theirs is asked for, and counts once it comes.
        if peer not in self.via:
            on_link = is_on_link(address, self.own_nets)
            self.via[peer] = "mdns" if on_link else "exchange"
            if not on_link:
                self.discovery.look_up(peer)
        if state is not None:
            self._name_peer(state, hello.name)  # one line: wire.decode_request
        self._reply(
            routing,
            wire.encode(wire.Welcome(name=self.own.name, pub_port=self.pub_port, inc=self.own.inc)),
        )
        # Every way of linking admits the key to the PUB before its HELLO goes out (an mDNS
        # record, a list, a seed, a stored place): subscribe now, while our own HELLO waits for
        # its WELCOME, not after it, which takes a CURVE handshake off first contact. Should
        # the PUB refuse us all the same, its next sign opens the SUB again (_on_sub_refused).
        self._subscribe(self.links[peer])

    def _on_snapshot_request(self, routing: bytes, request: wire.SnapshotRequest) -> None:
        recs = self._snapshot_records()
        if request.inc == self.own.inc and request.seq:  # a gap: only what came after it
            recs = [r for r in recs if r.inc == self.own.inc and r.seq > request.seq]
            chunks = wire.chunk_snapshot(
                inc=self.own.inc, seq=self.own.seq, name=self.own.name, recs=recs
            )
        else:
            chunks = self._full_snapshot(recs)
        for chunk in chunks:
            self._reply(routing, chunk)

    def _snapshot_records(self) -> list[wire.SnapRec]:
        """Our live records and tombstones, oldest first, built once per state (and per hour,
        as old posts age out): every peer that joins or resyncs gets them without a query."""
        now = self.clock()
        key = (self.own.inc, self.own.seq, self.own.name, self.own.status, int(now // 3600))
        if self.snapshot_cache is not None and self.snapshot_cache[0] == key:
            return self.snapshot_cache[1]
        since = now - self.cfg.post_history_days * 86400
        inc, seq = self.own.status_version
        status = status_value(self.own.status)
        recs = [wire.SnapRec(inc, seq, self.own.status.set_at, "status", "", status)]
        for i in self.store.own_posts(self.own.id, since, wire.SNAPSHOT_POSTS_MAX):
            post = None if i.deleted else post_value(i)
            ver_inc, ver = i.version
            recs.append(
                wire.SnapRec(ver_inc, ver, i.sent_at, "post", local_key(i.inc, i.seq), post)
            )
        for r in self.store.records(self.own.id):
            kind: Any = r.kind  # one of wire.Kind: only the engine writes our records
            recs.append(wire.SnapRec(r.inc, r.ver, r.at, kind, r.key, wire.decode_value(r.value)))
        # The status first, whatever its age; then the newest of the rest, as many as a
        # receiver takes from one snapshot.
        rest = sorted(recs[1:], key=lambda r: r.seq)[-(wire.SNAPSHOT_RECORDS_MAX - 1) :]
        recs = [recs[0], *rest]
        self.snapshot_cache = (key, recs, None)
        return recs

    def _full_snapshot(self, recs: list[wire.SnapRec]) -> list[bytes]:
        cached = self.snapshot_cache
        if cached is not None and cached[2] is not None:
            return cached[2]
        chunks = wire.chunk_snapshot(
            inc=self.own.inc, seq=self.own.seq, name=self.own.name, recs=recs
        )
        if cached is not None:
            self.snapshot_cache = (cached[0], cached[1], chunks)
        return chunks
