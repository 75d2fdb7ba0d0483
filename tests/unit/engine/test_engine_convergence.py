"""The replicated-record layer converges: any order of delivery, drops, duplicates, restarts of
the author and stale snapshots end, once the author's last seq has been heard, in the author's
own state on every receiver (properties, with hypothesis, on the real sync path of fake_actor),
and on the way no receiver ever goes back to an older version of a record.

An author writes versions of records (statuses, events, RSVPs, deletions) and restarts now and
then; each receiver gets the live envelopes through a lossy, duplicating channel, and the
snapshots it asks for answered late (built when asked, delivered after later live messages) or
lost. Then the author's heartbeat carries its last seq, as it does every 10 s, and whatever the
receiver asks for from then on is answered. Every receiver must then hold exactly the author's
newest version of every record: nothing lost, nothing stale, nothing deleted brought back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallway.core import wire
from hallway.core.meetups import Answer, EventSpec, RsvpValue
from hallway.core.model import Presence, fingerprint
from hallway.engine.links import SNAPSHOT_RETRY, Link
from tests.unit.engine.fake_actor import FakeActor, fake_open, fake_subscribe, new_key

EVENT_KEYS = ("a:1", "a:2", "b:7")
RSVP_KEYS = tuple(f"{'e' * 32}:{key}" for key in EVENT_KEYS[:2])
START = 4_000_000_000.0  # far ahead of the fake clock: events stay upcoming

Key = tuple[str, str]


@dataclass
class Author:
    """What a member publishes, and the snapshots it answers with (linking.py's rules)."""

    inc: int = 5
    seq: int = 1_000
    live: dict[Key, wire.SnapRec] = field(default_factory=dict)

    def write(self, kind: wire.Kind, key: str, val: wire.Value | None) -> bytes:
        self.seq += 1
        self.live[(kind, key)] = wire.SnapRec(self.inc, self.seq, 1_000.0, kind, key, val)
        body = wire.Rec(kind=kind, key=key, val=val)
        return self._envelope(body)

    def restart(self) -> None:
        self.inc += 1  # a new incarnation; the seq goes on from the stored one

    def heartbeat(self) -> bytes:
        return self._envelope(wire.Heartbeat())

    def _envelope(self, body: wire.Body) -> bytes:
        env = wire.Envelope(v=wire.VERSION, inc=self.inc, seq=self.seq, at=1_000.0, body=body)
        return wire.encode(env)

    def answer(self, request: wire.SnapshotRequest) -> list[bytes]:
        recs = sorted(self.live.values(), key=lambda r: r.seq)
        if request.inc == self.inc and request.seq:
            recs = [r for r in recs if r.inc == self.inc and r.seq > request.seq]
        return wire.chunk_snapshot(inc=self.inc, seq=self.seq, name="Bob", recs=recs)


values = {
    "status": st.builds(
        wire.StatusValue,
        presence=st.sampled_from(list(Presence)),
        text=st.sampled_from(["", "Lunch", "In a call"]),
    ),
    "event": st.builds(
        EventSpec,
        title=st.sampled_from(["Standup", "Brainstorm", "Book club"]),
        start=st.just(START),
        capacity=st.one_of(st.none(), st.integers(1, 3)),
        cancelled=st.booleans(),
    ),
    "rsvp": st.builds(
        RsvpValue, answer=st.sampled_from(list(Answer)), at=st.floats(0, 2_000, width=32)
    ),
}
writes = st.one_of(
    st.tuples(st.just("status"), st.just(""), st.one_of(st.none(), values["status"])),
    st.tuples(st.just("event"), st.sampled_from(EVENT_KEYS), st.one_of(st.none(), values["event"])),
    st.tuples(st.just("rsvp"), st.sampled_from(RSVP_KEYS), st.one_of(st.none(), values["rsvp"])),
)
steps = st.lists(st.one_of(writes, st.just("restart")), min_size=1, max_size=25)
# What the channel does with each envelope, and whether answers to snapshot requests due so far
# are delivered now (0), held for later (1) or lost (2).
fates = st.sampled_from(["deliver", "deliver", "deliver", "drop", "twice"])


class Receiver:
    def __init__(self, actor: FakeActor) -> None:
        self.actor = actor
        key = new_key()
        actor.hello(key, "10.0.1.1")
        self.peer = fingerprint(key)
        actor.welcome(self.peer)
        self.link: Link = actor.links[self.peer]
        self.answered = 0  # requests on the link seen so far
        self.held: list[bytes] = []  # answers built, not delivered yet
        self.high: dict[Key, int] = {}  # the newest version held so far, per record

    def never_older(self) -> None:
        """No delivery, however late or repeated, takes a record back to an older version."""
        for key, (ver, _) in self.holds().items():
            assert ver >= self.high.get(key, 0), f"{key} went back to version {ver}"
            self.high[key] = ver

    def requests(self) -> list[wire.SnapshotRequest]:
        sent = [wire.decode_request(data) for data in self.link.dealer.sent]  # type: ignore[attr-defined]
        asked = [r for r in sent if isinstance(r, wire.SnapshotRequest)]
        new, self.answered = asked[self.answered :], len(asked)
        return new

    def envelope(self, data: bytes) -> None:
        self.actor._on_envelope(self.link, wire.decode_envelope(data))
        self.actor._flush()
        self.never_older()

    def parts(self, parts: list[bytes]) -> None:
        self.link.dealer.inbox += parts  # type: ignore[attr-defined]
        self.actor._on_dealer(self.link)
        self.actor._flush()
        self.never_older()
        while self.actor.backlog:  # a first snapshot's events and answers, a turn at a time
            due = self.actor._backlog_due(self.actor.clock())
            assert due is not None
            self.actor.clock.now = max(self.actor.clock.now, due)  # the loop waits till then
            self.actor._work_backlog()
            self.actor._flush()
            self.never_older()

    def time_passes(self) -> None:
        """The snapshot retry timer: one lost on the way is asked for again."""
        self.actor.clock.now += SNAPSHOT_RETRY
        self.actor._timers()

    def holds(self) -> dict[Key, tuple[int, object]]:
        book = self.actor.book
        out: dict[Key, tuple[int, object]] = {}
        for event_id, held in book.events.items():
            out[("event", event_id.split(":", 1)[1])] = (held.ver, held.spec)
        for key, answers in book.rsvps.items():
            if self.peer in answers:
                out[("rsvp", key)] = (answers[self.peer].ver, answers[self.peer].value)
        state = self.actor.roster.get(self.peer)
        assert state is not None
        if state.status_version is not None:
            status = state.status
            value = wire.StatusValue(presence=status.presence, text=status.text)
            out[("status", "")] = (state.status_version, value)
        return out


def expected(author: Author) -> dict[Key, tuple[int, object]]:
    out: dict[Key, tuple[int, object]] = {}
    for (kind, key), rec in author.live.items():
        if kind == "status":
            # A deleted status is no status: Available, no text (records.py, _CLEARED).
            val = rec.val or wire.StatusValue(presence=Presence.AVAILABLE)
            out[(kind, key)] = (rec.seq, val)
        else:
            out[(kind, key)] = (rec.seq, rec.val)
    return out


@pytest.fixture
def fake_links(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Link, "open", classmethod(fake_open))
    monkeypatch.setattr(Link, "subscribe", fake_subscribe)


def run(receiver: Receiver, author: Author, plan: list[object], data: st.DataObject) -> None:
    """Play the author's steps to one receiver through a channel `data` draws the faults of."""

    def serve(final: bool) -> None:
        for request in receiver.requests():
            answer = author.answer(request)
            fate = 0 if final else data.draw(st.integers(0, 2), label="answer")
            if fate == 0:
                receiver.parts(answer)
            elif fate == 1:
                receiver.held += answer
        if receiver.held and (final or data.draw(st.booleans(), label="late answers now")):
            held, receiver.held = receiver.held, []
            receiver.parts(held)

    # First contact: the handshake asks for everything, answered before the live stream.
    receiver.link.request_snapshot(receiver.actor.clock(), None)
    serve(final=True)
    for step in plan:
        if step == "restart":
            author.restart()
            continue
        kind, key, val = step  # type: ignore[misc]
        envelope = author.write(kind, key, val)
        fate = data.draw(fates, label="fate")
        for _ in range({"deliver": 1, "drop": 0, "twice": 2}[fate]):
            receiver.envelope(envelope)
        serve(final=False)
        if data.draw(st.booleans(), label="time passes"):
            receiver.time_passes()
    # The heal: the author's heartbeat says its last seq, and every request is answered now.
    for _ in range(6):
        receiver.envelope(author.heartbeat())
        serve(final=True)
        receiver.time_passes()
        serve(final=True)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=steps, data=st.data())
@pytest.mark.usefixtures("fake_links")
def test_any_delivery_converges_to_the_authors_state(
    plan: list[object], data: st.DataObject
) -> None:
    results = []
    for _ in range(2):  # two receivers, each with its own faults
        actor = FakeActor(max_links=4)
        try:
            receiver = Receiver(actor)
            author = Author()
            run(receiver, author, plan, data)
            want = expected(author)
            got = receiver.holds()
            assert got == want
            results.append(got)
            # What it holds is what it stored (the newest version of each).
            stored = {(r.kind, r.key): r.ver for r in actor.store.saved_records}
            assert {k: v[0] for k, v in got.items() if k[0] != "status"} == {
                k: v for k, v in stored.items() if (k[0], k[1]) in want
            }
        finally:
            actor.close()
    assert results[0] == results[1]
