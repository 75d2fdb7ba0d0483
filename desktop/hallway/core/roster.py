"""Who is in the office: per-peer liveness, status expiry and message ordering.

Pure state with an injected clock. The engine feeds it what it hears and asks it what is due;
the roster never does I/O, so tests drive time by hand.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator

import msgspec

from hallway.core.model import DEFAULT_STATUS, HEARTBEAT_INTERVAL, MISSED_HEARTBEATS, Status

Clock = Callable[[], float]

#: Silence after which a peer counts as gone: three missed heartbeats plus scheduling slack.
SILENCE_TIMEOUT = MISSED_HEARTBEATS * HEARTBEAT_INTERVAL + 0.5

#: How far ahead of our clock a received time may be. Clocks kept by NTP agree within a second,
#: and a laptop that has missed it for weeks drifts by seconds to a minute or two; five minutes
#: keeps an honest author's items in their own order, while a hostile one can put its items no
#: higher in the feed than it could by posting five minutes from now.
FUTURE_SKEW = 300.0


def received_time(at: float, now: float) -> float:
    """The author's time `at`, but never more than FUTURE_SKEW after our `now`."""
    return min(at, now + FUTURE_SKEW)


class Verdict(enum.Enum):
    APPLY = "apply"  # next in order: apply it
    DUPLICATE = "duplicate"  # seen already (or older than the snapshot): drop it
    GAP = "gap"  # newer than expected: apply it, and resync to fill what was missed
    RESTART = "restart"  # a new incarnation: reset and resync
    BUFFER = "buffer"  # no snapshot yet for this incarnation: hold it until one arrives


class SeqTracker:
    """Per-peer ordering in the Clone pattern: (incarnation, seq) against the last snapshot."""

    __slots__ = ("high", "inc", "low", "pending", "seq", "synced")

    def __init__(self) -> None:
        self.inc: int | None = None
        self.seq = 0
        self.synced = False
        self.pending: list[tuple[int, int, object]] = []
        # The lowest seq skipped over by a gap since the last snapshot: what a resync may fill
        # below `seq` (above it, up to the snapshot's seq, is missing by definition), and the
        # highest: a snapshot older than that (one already in flight when the gap was found)
        # leaves part of the hole, which another snapshot must fill.
        self.low: int | None = None
        self.high: int | None = None

    def check(self, inc: int, seq: int, *, data: bool) -> Verdict:
        """Classify a message. `data` is False for heartbeats, which carry the last data seq."""
        if inc != self.inc:
            self.inc, self.seq, self.synced, self.low, self.high = inc, 0, False, None, None
            self.pending.clear()
            return Verdict.RESTART
        if not self.synced:
            return Verdict.BUFFER
        if not data:
            return Verdict.GAP if seq > self.seq else Verdict.DUPLICATE
        if seq <= self.seq:
            return Verdict.DUPLICATE
        gap = seq > self.seq + 1
        if gap:
            if self.low is None:
                self.low = self.seq + 1
            self.high = seq - 1
        self.seq = seq
        return Verdict.GAP if gap else Verdict.APPLY

    def fillable(self, inc: int, seq: int) -> Fill:
        """What a snapshot at (inc, seq) may bring: call it before `snapshot`.

        A first snapshot of an incarnation brings the author's history (older incarnations'
        posts too); a resync only what we know we miss of the one we follow.
        """
        if inc != self.inc or not self.synced:
            return Fill(inc=inc, low=0, high=seq, history=True)
        return Fill(inc=inc, low=self.seq + 1 if self.low is None else self.low, high=seq)

    def snapshot(self, inc: int, seq: int) -> list[object]:
        """Record a snapshot at (inc, seq); return buffered items newer than it, in order.

        Duplicates among the buffered items are returned once. If the buffer itself has a hole,
        `seq` stays at the last item before it, so the next heartbeat or data message reports GAP
        and the caller resyncs. A snapshot older than a hole found meanwhile fills only its
        bottom: `unfilled` then says to ask for another.
        """
        if inc != self.inc or not self.synced:
            self.low = self.high = None
        elif self.high is not None and seq < self.high:
            self.low = max(self.low or 0, seq + 1)
        else:
            self.low = self.high = None
        if inc != self.inc:
            self.pending.clear()
            self.seq = seq
        else:
            self.seq = max(seq, self.seq)
        self.inc, self.synced = inc, True
        newer = {p[1]: p[2] for p in reversed(self.pending) if p[0] == inc and p[1] > self.seq}
        self.pending.clear()
        for number in sorted(newer):
            if number != self.seq + 1:
                break
            self.seq = number
        return [newer[number] for number in sorted(newer)]

    def since(self) -> tuple[int, int] | None:
        """What a snapshot request should ask for: what the author published after this
        (inc, seq); None (everything) before the first snapshot of its incarnation."""
        if self.inc is None or not self.synced:
            return None
        return self.inc, (self.seq + 1 if self.low is None else self.low) - 1

    @property
    def unfilled(self) -> bool:
        """Whether a hole is still known after the last snapshot (ask for another one)."""
        return self.low is not None

    def hold(self, inc: int, seq: int, item: object, limit: int = 1000) -> None:
        if len(self.pending) < limit:
            self.pending.append((inc, seq, item))


class Fill(msgspec.Struct, frozen=True):
    """The seqs of `inc` a snapshot may fill, and whether other incarnations' posts are welcome."""

    inc: int
    low: int
    high: int
    history: bool = False

    def admits(self, inc: int, seq: int) -> bool:
        if inc != self.inc:
            return self.history
        return self.low <= seq <= self.high


class PeerState(msgspec.Struct):
    id: str
    key: bytes
    first_seen: float
    name: str = ""
    address: str = ""
    online: bool = False
    verified: bool = False
    last_heard: float = 0.0
    status: Status = DEFAULT_STATUS
    # The seq of the message that set `status` (its version): the author's order decides, not
    # its clock. An author's seq never goes back, across its restarts too.
    status_version: int | None = None
    seq: SeqTracker = msgspec.field(default_factory=SeqTracker)


class Roster:
    """The peers this node knows, keyed by id, with liveness and expiry by one clock."""

    def __init__(self, clock: Clock, silence_timeout: float = SILENCE_TIMEOUT) -> None:
        self._clock = clock
        self._timeout = silence_timeout
        self._peers: dict[str, PeerState] = {}

    def __iter__(self) -> Iterator[PeerState]:
        return iter(self._peers.values())

    def __len__(self) -> int:
        return len(self._peers)

    def get(self, peer_id: str) -> PeerState | None:
        return self._peers.get(peer_id)

    def add(self, peer_id: str, key: bytes) -> PeerState:
        state = self._peers.get(peer_id)
        if state is None:
            state = PeerState(id=peer_id, key=key, first_seen=self._clock())
            self._peers[peer_id] = state
        return state

    def remove(self, peer_id: str) -> PeerState | None:
        """Forget a peer altogether (the engine evicts peers to make room); its state, if any."""
        return self._peers.pop(peer_id, None)

    def heard(self, peer_id: str) -> bool:
        """Note that a peer spoke. True when this brings it online."""
        state = self._peers[peer_id]
        state.last_heard = self._clock()
        if state.online:
            return False
        state.online = True
        return True

    def gone(self, peer_id: str) -> bool:
        """Mark a peer offline. True when it was online."""
        state = self._peers.get(peer_id)
        if state is None or not state.online:
            return False
        state.online = False
        return True

    def set_status(self, peer_id: str, status: Status, version: int | None = None) -> bool:
        """Apply a status unless the one held is newer; one that arrives expired clears.

        `version` is the seq it was published at: the higher wins. The author's clock
        (`set_at`) is never compared: one far-future stamp would otherwise freeze every later
        status.
        """
        state = self._peers[peer_id]
        held = state.status_version
        if version is not None and held is not None and version < held:
            return False
        state.status_version = version
        # An expired status clears but keeps its version, so an older one cannot slip in after it.
        state.status = Status(set_at=status.set_at) if status.expired(self._clock()) else status
        return True

    def silent(self) -> list[PeerState]:
        """Online peers not heard from within the timeout; they are marked offline."""
        now = self._clock()
        # The same sum as next_deadline(), so waking at that deadline finds the peer due.
        out = [p for p in self._peers.values() if p.online and now >= p.last_heard + self._timeout]
        for state in out:
            state.online = False
        return out

    def expired(self) -> list[PeerState]:
        """Peers whose status just expired by our clock; their status is reset."""
        now = self._clock()
        out = [p for p in self._peers.values() if p.status.expired(now)]
        for state in out:
            state.status = Status(set_at=state.status.set_at)
        return out

    def next_deadline(self) -> float | None:
        """The earliest time at which `silent()` or `expired()` could return something."""
        times = [p.last_heard + self._timeout for p in self._peers.values() if p.online]
        times += [p.status.until for p in self._peers.values() if p.status.until is not None]
        return min(times, default=None)
