"""Finding the office across routers: seeds, the office rendezvous, and stored places.

mDNS stays on its link. A node given seeds (HOST[:PORT]) asks each on the office rendezvous
(the seed's ROUTER port + 2, a CURVE server whose keypair every member derives from the office
key, `net/seeds.py`) with an ordinary HELLO; a member's seed answers `Intro` (its key, proof
and ports) and links back to us, and we link to it: from there on it is the usual HELLO and
WELCOME, budgets and all. Tries are one-shot, `Backoff` apart (2 s doubling to one a minute),
and names are resolved on a short-lived thread. Each seed's outcome is said once per change
(`SeedReport`, a line in `hallway node`).

Places where members answered (store/places.py) are dialled at start, a moment after mDNS had
its chance, and again every `PLACE_RETRY` for members not linked: a restart finds the office
again with no seed at all.
"""

from __future__ import annotations

import contextlib
import ipaddress
import threading
import time
from typing import Any, Final, Literal

import msgspec
import zmq

from hallway.core import wire
from hallway.core.errors import DecodeError, HallwayError
from hallway.core.model import fingerprint
from hallway.core.seeds import BACKOFF_MAX, Backoff, Seed
from hallway.engine import events as ev
from hallway.engine.reconnect import Reconnect
from hallway.engine.state import STRANGERS
from hallway.net.gate import Gate
from hallway.net.networks import own_networks
from hallway.net.seeds import SEED_TIMEOUT, rendezvous_client, resolve
from hallway.net.sockets import bind_more, unbind_from
from hallway.store.places import PLACE_MAX_AGE

__all__ = ["PLACES_DELAY", "PLACE_RETRY", "SeedReport", "SeedTry", "Seeding"]

PLACES_DELAY: Final = 1.0  # after start: mDNS finds who is on our link first
PLACE_RETRY: Final = 120.0  # members with stored places and no link are dialled this often
_MONITORED: Final = (
    zmq.EVENT_CONNECTED
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
)

Outcome = Literal["met", "no_answer", "other_office", "unresolved"]


class SeedReport(ev.Event, frozen=True, kw_only=True):
    """What became of a seed: said once each time it changes (`hallway node` prints it)."""

    type = "seed"
    seed: str
    outcome: str
    message: str
    peer: str | None = None

    def _fields(self) -> dict[str, Any]:
        return {"seed": self.seed, "outcome": self.outcome, "message": self.message,
                "peer": self.peer}  # fmt: skip


class SeedTry(msgspec.Struct):
    """One seed's state: when to try next, and the try in flight (a one-shot DEALER)."""

    seed: Seed
    text: str
    backoff: Backoff = msgspec.field(default_factory=Backoff)
    due: float = 0.0
    tries: int = 0
    resolving: bool = False
    sock: zmq.Socket[bytes] | None = None
    monitor: zmq.Socket[bytes] | None = None
    address: str = ""
    sent_at: float = 0.0
    refused: bool = False  # the handshake failed: a Hallway node of another office
    said: str = ""
    key: bytes = b""  # the member that answered, once

    def sockets(self) -> list[zmq.Socket[bytes]]:
        return [s for s in (self.sock, self.monitor) if s is not None]


def seed_message(text: str, outcome: Outcome, name: str = "") -> str:
    """The line `hallway node` prints for a seed's outcome."""
    if outcome == "met":
        return f"Seed {text} answered: met {name or 'a colleague'}."
    if outcome == "other_office":
        return (f"Seed {text} answered, but is not in this office (another office name or "
                "passphrase?); trying again at most once a minute.")  # fmt: skip
    if outcome == "unresolved":
        return f"Seed {text}: its name does not resolve; trying again at most once a minute."
    return f"Seed {text}: no answer; trying again at most once a minute."


class Seeding(Reconnect):
    """The actor's part that asks seeds, answers on the office rendezvous, and dials places."""

    rendezvous: zmq.Socket[bytes]
    rendezvous_port: int
    rendezvous_gate: Gate
    seed_tries: list[SeedTry]
    places_due: float

    # the rendezvous: a member asks us to introduce ourselves ----------------------------------

    def _on_rendezvous(self) -> None:
        for _ in range(64):
            try:
                frames = self.rendezvous.recv_multipart(zmq.NOBLOCK, copy=False)
            except zmq.Again:
                return
            if len(frames) != 2:
                continue
            routing, payload = frames
            key = str(payload.get("User-Id")).encode()
            source = str(payload.get("Peer-Address"))
            if not self._allow("", stranger=True, source=source):
                continue
            if not self._introduce(routing.bytes, key, source, payload.bytes):
                self.rendezvous_gate.refuse(payload)

    def _introduce(self, routing: bytes, key: bytes, source: str, data: bytes) -> bool:
        """Answer a member's HELLO with Intro and link to it; False (silence) otherwise."""
        peer = fingerprint(key)
        try:
            hello = wire.decode_request(data)
        except DecodeError as exc:
            self._drop(STRANGERS, f"rendezvous: {exc}")
            return False
        office = self.cfg.office
        if not isinstance(hello, wire.Hello) or not office.admits(hello.office, key, hello.proof):
            self._drop(STRANGERS, "rendezvous request without a valid membership proof")
            return False
        if hello.proto != wire.VERSION or peer == self.own.id:
            return False
        if (
            self.roster.get(peer) is None
            and key not in self.verified
            and not self.admission.new_keys.take(source, time.monotonic())
        ):
            self._drop(STRANGERS, "too many new keys from one address")
            return False
        if not self._connect(peer, key, source, hello.router_port, hello.pub_port, proven=True):
            return False
        self.verified.add(key)
        self.via[peer] = "seed"
        intro = wire.Intro(
            key=self.cfg.public_key,
            proof=office.proof(self.cfg.public_key),
            name=self.own.name,
            router_port=self.router_port,
            pub_port=self.pub_port,
        )
        with contextlib.suppress(zmq.Again, zmq.ZMQError):
            self.rendezvous.send_multipart([routing, wire.encode(intro)], zmq.NOBLOCK)
        return True

    # seeds: we ask them -------------------------------------------------------------------------

    def _seed_deadline(self) -> float | None:
        due = [t.sent_at + SEED_TIMEOUT if t.sock is not None else t.due
               for t in self.seed_tries if not t.resolving]  # fmt: skip
        return min(due) if due else None

    def _seed_timers(self, now: float) -> None:
        for attempt in self.seed_tries:
            if attempt.sock is not None:
                if now >= attempt.sent_at + SEED_TIMEOUT:
                    self._seed_failed(attempt, "other_office" if attempt.refused else "no_answer")
                continue
            if attempt.resolving or now < attempt.due:
                continue
            if attempt.key and self._online(fingerprint(attempt.key)):
                attempt.due = now + BACKOFF_MAX  # met, and still there: nothing to ask
                continue
            self._seed_try(attempt)

    def _online(self, peer: str) -> bool:
        state = self.roster.get(peer)
        return state is not None and state.online

    def _seed_try(self, attempt: SeedTry) -> None:
        host = attempt.seed.host
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            attempt.resolving = True  # a name: resolved off this thread, then tried
            threading.Thread(
                target=self._resolve_seed, args=(attempt,), name="hallway-seed", daemon=True
            ).start()
            return
        self._seed_connect(attempt, host)

    def _resolve_seed(self, attempt: SeedTry) -> None:
        """On its own thread: only hands the answer to the engine."""
        try:
            found: list[str] | str = resolve(attempt.seed.host)
        except HallwayError as exc:
            found = str(exc)
        self._post_from_thread(("seed_resolved", (attempt, found)))

    def _on_seed_resolved(self, attempt: SeedTry, found: list[str] | str) -> None:
        attempt.resolving = False
        if attempt not in self.seed_tries:  # closed meanwhile
            return
        if isinstance(found, str):
            self._seed_failed(attempt, "unresolved")
            return
        self._seed_connect(attempt, found[attempt.tries % len(found)])

    def _seed_connect(self, attempt: SeedTry, address: str) -> None:
        now = self.clock()
        attempt.tries += 1
        attempt.address, attempt.sent_at, attempt.refused = address, now, False
        port = attempt.seed.router_port(self.cfg.port or self.router_port)
        try:
            sock = rendezvous_client(
                self.ctx,
                own_public=self.cfg.public_key,
                own_secret=self.cfg.secret_key,
                office=self.cfg.office,
                address=address,
                router_port=port,
            )
        except zmq.ZMQError as exc:
            self._drop("engine", f"could not ask seed {attempt.text}: {exc}")
            attempt.due = now + attempt.backoff.failed()
            return
        attempt.sock = sock
        attempt.monitor = sock.get_monitor_socket(_MONITORED)
        self._watch(sock, lambda: self._on_seed_reply(attempt))
        self._watch(attempt.monitor, lambda: self._on_seed_event(attempt))
        hello = wire.Hello(
            office=self.cfg.office.tag,
            proof=self.cfg.office.proof(self.cfg.public_key),
            name=self.own.name,
            router_port=self.router_port,
            pub_port=self.pub_port,
            inc=self.own.inc,
            proto=wire.VERSION,
        )
        with contextlib.suppress(zmq.Again, zmq.ZMQError):  # no answer then: the timer says so
            sock.send(wire.encode(hello), zmq.NOBLOCK)

    def _on_seed_event(self, attempt: SeedTry) -> None:
        monitor = attempt.monitor
        if monitor is None:
            return
        from zmq.utils.monitor import recv_monitor_message

        with contextlib.suppress(zmq.ZMQError):
            event = recv_monitor_message(monitor, zmq.NOBLOCK)["event"]
            if event != zmq.EVENT_CONNECTED:
                # A CURVE server that does not hold the office's rendezvous key: a Hallway
                # node of another office (or a wrong passphrase here). Said at once.
                attempt.refused = True
                self._seed_failed(attempt, "other_office")

    def _on_seed_reply(self, attempt: SeedTry) -> None:
        sock = attempt.sock
        if sock is None:
            return
        try:
            data = sock.recv(zmq.NOBLOCK)
        except zmq.Again:
            return
        try:
            intro = wire.decode_intro(data)
        except DecodeError as exc:
            self._drop(STRANGERS, f"seed {attempt.text}: {exc}")
            self._seed_failed(attempt, "no_answer")
            return
        peer = fingerprint(intro.key)
        office = self.cfg.office
        if peer == self.own.id or not office.admits(office.tag, intro.key, intro.proof):
            self._seed_failed(attempt, "other_office")
            return
        self._close_seed(attempt)
        attempt.backoff.reset()
        attempt.due = self.clock() + BACKOFF_MAX
        attempt.key = intro.key
        if self._connect(peer, intro.key, attempt.address, intro.router_port, intro.pub_port):
            self.verified.add(intro.key)
            self.via[peer] = "seed"
        self._say(attempt, "met", peer=peer, name=intro.name)

    def _seed_failed(self, attempt: SeedTry, outcome: Outcome) -> None:
        self._close_seed(attempt)
        attempt.due = self.clock() + attempt.backoff.failed()
        self._say(attempt, outcome)

    def _say(self, attempt: SeedTry, outcome: Outcome, *, peer: str = "", name: str = "") -> None:
        if attempt.said == outcome:
            return
        attempt.said = outcome
        message = seed_message(attempt.text, outcome, name)
        report = SeedReport(at=self.clock(), seed=attempt.text, outcome=outcome,
                            message=message, peer=peer or None)  # fmt: skip
        self.emit(report)

    def _close_seed(self, attempt: SeedTry) -> None:
        sock, monitor = attempt.sock, attempt.monitor
        attempt.sock = attempt.monitor = None
        if sock is not None:
            self._unwatch(sock)
            with contextlib.suppress(zmq.ZMQError):
                sock.disable_monitor()
            sock.close(linger=0)
        if monitor is not None:
            self._unwatch(monitor)
            monitor.close(linger=0)

    def _close_seeds(self) -> None:
        for attempt in self.seed_tries:
            self._close_seed(attempt)
        self.seed_tries = []

    # stored places: where members answered before ---------------------------------------------

    def _places_timer(self, now: float) -> None:
        if now < self.places_due:
            return
        self.places_due = now + PLACE_RETRY
        try:
            places = self.store.places(since=now - PLACE_MAX_AGE)
        except HallwayError as exc:
            self._drop("store", f"could not read stored places: {exc}")
            return
        by_peer: dict[str, list[tuple[str, int, int]]] = {}
        keys: dict[str, bytes] = {}
        for place in places:  # the newest first
            by_peer.setdefault(place.peer, []).append(
                (place.address, place.router_port, place.pub_port)
            )
            keys[place.peer] = place.key
        for peer, tries in by_peer.items():
            if peer == self.own.id or peer in self.links or self._online(peer):
                continue
            if self._connect(peer, keys[peer], *tries[0]):
                # As after a record or a list: our HELLO says our PUB admits the member, and it
                # subscribes on reading it (a member we stored, so one we verified before).
                self.verified.add(keys[peer])
                self.alternates[peer] = tries[1:]

    # our addresses changed (Reconnect) ----------------------------------------------------------

    def _rebind(self, present: tuple[str, ...]) -> None:
        before = self.addresses
        super()._rebind(present)
        added = [a for a in self.addresses if a not in before]
        gone = [a for a in before if a not in self.addresses]
        for address, why in bind_more(self.rendezvous, added, self.rendezvous_port).items():
            self._drop("engine", f"cannot listen for seeds on {address}: {why}")
        unbind_from(self.rendezvous, gone, self.rendezvous_port)
        self.own_nets = own_networks(self.addresses)
