"""The engine's loop turn (Actor._turn) on fake sockets: turns that only apply peers' live
statuses and posts skip the O(peers) timer scans, yet every timer still fires when due, and
what was received is written FLUSH_DELAY after the first of it, not once per turn, or when the
node sends an update of its own: after that update is on the wire."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest

from hallway.core import wire
from hallway.core.model import Presence, Status, fingerprint
from hallway.core.roster import SILENCE_TIMEOUT
from hallway.engine import events as ev
from hallway.engine import state
from hallway.engine.actor import FLUSH_DELAY, FLUSH_MAX, Command
from hallway.engine.links import Link
from hallway.engine.quota import Quotas
from tests.unit.engine.fake_actor import FakeActor, new_key

INC = 7


def online(actor: FakeActor) -> Link:
    """A linked peer, online and in step with its seq (as its first snapshot leaves it)."""
    key = new_key()
    actor.hello(key, "10.0.1.1")
    peer = fingerprint(key)
    actor.welcome(peer)
    state = actor.roster.add(peer, key)
    state.seq.inc, state.seq.seq, state.seq.synced = INC, 5, True
    actor.roster.heard(peer)
    return actor.links[peer]


def send_status(
    actor: FakeActor, link: Link, seq: int, text: str, until: float | None = None
) -> None:
    """The peer's status at `seq` waits on its SUB, which the next poll reports ready."""
    value = wire.StatusValue(presence=Presence.BUSY, text=text, until=until)
    env = wire.Envelope(v=wire.VERSION, inc=INC, seq=seq, at=actor.clock.now,
                        body=wire.Rec(kind="status", val=value))  # fmt: skip
    assert link.sub is not None
    link.sub.inbox.append(wire.encode(env))  # type: ignore[attr-defined]
    actor.poller.ready.append(link.sub)


@pytest.fixture
def scans(actor: FakeActor, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    """The O(peers) scans and when: computing the deadlines ("due"), running the timers."""
    seen: list[tuple[str, float]] = []
    next_due, timers = actor._next_due, actor._timers

    def due() -> float:
        seen.append(("due", actor.clock.now))
        return next_due()

    def run_timers() -> None:
        seen.append(("timers", actor.clock.now))
        timers()

    monkeypatch.setattr(actor, "_next_due", due)
    monkeypatch.setattr(actor, "_timers", run_timers)
    return seen


def test_the_first_turn_reads_the_quota_usage_so_the_first_status_received_waits_for_no_query(
    actor: FakeActor,
) -> None:
    """Read when first needed, the usage (a query, and the received batch written before it)
    came with the first item a node received: at every node at once on the office's first
    update after a start (~0.8 ms each, docs/benchmarks.md, eighth pass). It is read where
    retention prunes: the first turn, then every hour."""
    reads: list[float] = []

    def usage() -> dict[str, tuple[int, int]]:
        reads.append(actor.clock.now)
        return {}

    actor.quotas = Quotas(usage, actor.clock)
    actor.next_prune = actor.clock.now  # as a real actor starts: its first turn prunes
    talker = online(actor)
    actor._turn()
    assert reads == [actor.clock.now]
    actor.clock.now += 1.0
    send_status(actor, talker, 6, "first")
    actor._turn()
    assert [e.status.text for e in actor.events if isinstance(e, ev.StatusChanged)] == ["first"]
    assert len(reads) == 1  # applied with no query of its own


def test_live_statuses_skip_the_timer_scans_and_a_due_timer_still_fires(
    actor: FakeActor, scans: list[tuple[str, float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Words are indexed long after (a timer of its own, which brings the deadline forward).
    monkeypatch.setattr(state, "INDEX_IDLE", 3600.0)
    monkeypatch.setattr(state, "INDEX_WAIT", 3600.0)
    talker, silent = online(actor), online(actor)
    start = actor.clock.now
    actor._turn()  # the deadlines, computed: the first is the silent peer's timeout
    assert actor.due == start + SILENCE_TIMEOUT
    for seq in range(6, 10):
        actor.clock.now += SILENCE_TIMEOUT / 5
        send_status(actor, talker, seq, f"update {seq}")
        actor._turn()
    assert scans == [("due", start)]  # four updates applied, no scan
    changed = [e.status.text for e in actor.events if isinstance(e, ev.StatusChanged)]
    assert changed == ["update 6", "update 7", "update 8", "update 9"]
    actor.clock.now = start + SILENCE_TIMEOUT  # the silent peer's deadline
    send_status(actor, talker, 10, "update 10")
    actor._turn()
    assert scans == [("due", start), ("due", actor.clock.now), ("timers", actor.clock.now)]
    offline = [e for e in actor.events if isinstance(e, ev.PeerOffline)]
    assert [(e.peer, e.reason) for e in offline] == [(silent.peer, "timeout")]


def test_a_live_status_that_expires_brings_the_deadline_forward(
    actor: FakeActor, scans: list[tuple[str, float]]
) -> None:
    link = online(actor)
    start = actor.clock.now
    actor._turn()
    assert actor.due == start + SILENCE_TIMEOUT
    send_status(actor, link, 6, "back at 1", until=start + 2.0)
    actor._turn()
    assert actor.due == start + 2.0
    actor.clock.now = start + 2.0
    actor._turn()  # nothing ready: the poll timed out at the status's expiry
    assert scans == [("due", start), ("due", start + 2.0), ("timers", start + 2.0)]
    expired = [e for e in actor.events if isinstance(e, ev.StatusExpired)]
    assert [e.peer for e in expired] == [link.peer]


def command(actor: FakeActor, fn: Callable[[], object]) -> Future[object]:
    """`fn`, sent to the engine as another thread sends a call: it runs in the next turn."""
    future: Future[object] = Future()
    actor.commands.put(Command(fn=fn, future=future))
    os.write(actor.wake_fd_w, b"\0")
    actor.poller.ready.append(actor.wake_fd)
    return future


def test_other_turns_compute_the_deadline_afresh_and_scan_the_timers_only_when_one_is_due(
    actor: FakeActor, scans: list[tuple[str, float]]
) -> None:
    """A turn that handled more than live data (here a call from another thread) may have moved
    any timer, so it computes the deadline again; it runs the timers only when one is due. Most
    turns of a join have none due (docs/benchmarks.md, tenth pass)."""
    actor._watch(actor.wake_fd, actor._on_wake)
    link = online(actor)
    online(actor)  # a second member: the first can be told of it
    start = actor.clock.now
    actor._turn()
    assert actor.due == start + SILENCE_TIMEOUT
    actor.clock.now += 1.0
    call = command(actor, lambda: "done")
    actor._turn()
    assert call.result(timeout=0) == "done"
    assert scans == [("due", start), ("due", start + 1.0)]  # nothing was due: no timer scan
    actor.clock.now += 1.0
    send_status(actor, link, 6, "live")
    actor._turn()  # routine: the deadline computed last holds
    assert scans == [("due", start), ("due", start + 1.0)]

    def exchange_now() -> None:
        actor.next_exchange = actor.clock.now  # tell a member who else is online: due now

    actor.clock.now += 1.0
    sent = {peer: len(each.dealer.sent) for peer, each in actor.links.items()}  # type: ignore[attr-defined]
    command(actor, exchange_now)
    actor._turn()  # the call made a timer due: it fires in the same turn
    assert scans[2:] == [("due", actor.clock.now), ("timers", actor.clock.now)]
    told = [
        wire.decode_request(message)
        for peer, before in sent.items()
        for message in actor.links[peer].dealer.sent[before:]  # type: ignore[attr-defined]
    ]
    assert [type(message) for message in told] == [wire.PeerList]  # one member, told of the other


def test_what_was_received_is_written_flush_delay_after_the_first_of_it(
    actor: FakeActor, scans: list[tuple[str, float]]
) -> None:
    link = online(actor)
    start = actor.clock.now
    actor._turn()
    send_status(actor, link, 6, "first")
    actor._turn()
    actor.clock.now = start + FLUSH_DELAY / 2
    send_status(actor, link, 7, "second")
    actor._turn()
    assert actor.store.items == []  # announced, not yet written
    assert [item.text for item in actor.pending_items] == ["first", "second"]
    assert actor.poller.timeouts[-1] <= FLUSH_DELAY / 2 * 1000 + 1  # the loop wakes for it
    actor.clock.now = start + FLUSH_DELAY
    actor._turn()  # nothing ready: the poll timed out at the batch's deadline
    assert [item.text for item in actor.store.items] == ["first", "second"]
    assert actor.pending_items == []
    assert actor.flush_at is None
    assert scans == [("due", start)]  # writing the batch needs no timer scan


def test_a_full_batch_is_written_at_once(actor: FakeActor) -> None:
    link = online(actor)
    actor._turn()
    for seq in range(6, 6 + FLUSH_MAX):
        send_status(actor, link, seq, f"update {seq}")
    while link.sub.inbox:  # type: ignore[union-attr]
        actor.poller.ready.append(link.sub)
        actor._turn()  # up to 256 a turn
    assert len(actor.store.items) == FLUSH_MAX  # all written, with no time gone by
    assert actor.pending_items == []


@pytest.mark.parametrize("update", ["status", "post"])
def test_our_own_update_goes_out_before_the_received_batch_is_written(
    actor: FakeActor, monkeypatch: pytest.MonkeyPatch, update: str
) -> None:
    """Our own rows are written first and published, and only then the batch: it is off the
    path between the command and the wire, and written when this node sends rather than when
    every receiver of one update writes theirs (docs/benchmarks.md, ninth pass)."""
    link = online(actor)
    actor._turn()
    send_status(actor, link, 6, "received")
    actor._turn()
    assert [item.text for item in actor.pending_items] == ["received"]
    order: list[str] = []
    store, pub = actor.store, actor.pub
    for name, target in (("add_received", store), ("add_own_item", store),
                         ("record_own_status", store), ("send_multipart", pub)):  # fmt: skip
        real = getattr(target, name)

        def logged(*args: object, _real: Any = real, _name: str = name, **kw: object) -> object:
            order.append(_name)
            return _real(*args, **kw)

        monkeypatch.setattr(target, name, logged)
    if update == "status":
        actor.set_status(Status(presence=Presence.BUSY, text="out"))
    else:
        actor.post("lunch?", urgent=False)
    own = "record_own_status" if update == "status" else "add_own_item"
    assert order == [own, "send_multipart", "add_received"]
    assert [item.text for item in store.items] == ["out" if update == "status" else "lunch?",
                                                   "received"]  # fmt: skip
    assert actor.pending_items == []
    assert actor.flush_at is None
