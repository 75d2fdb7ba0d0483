"""The roster (hallway/core/roster.py): liveness, expiry and ordering, on a hand-moved clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallway.core.model import DEFAULT_STATUS, Presence, Status
from hallway.core.roster import (
    FUTURE_SKEW,
    SILENCE_TIMEOUT,
    Fill,
    Roster,
    SeqTracker,
    Verdict,
    received_time,
)


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def roster(clock: FakeClock) -> Roster:
    return Roster(clock)


def busy(set_at: float, until: float | None = None, text: str = "Meeting") -> Status:
    return Status(presence=Presence.BUSY, text=text, until=until, set_at=set_at)


# membership and liveness ----------------------------------------------------------------------


def test_add_is_idempotent(roster: Roster, clock: FakeClock) -> None:
    first = roster.add("a", b"key")
    clock.advance(5)
    assert roster.add("a", b"other") is first
    assert first.first_seen == 1_000.0
    assert first.key == b"key"
    assert len(roster) == 1
    assert list(roster) == [first]
    assert roster.get("a") is first
    assert roster.get("b") is None
    assert not first.online


def test_heard_brings_a_peer_online_once(roster: Roster, clock: FakeClock) -> None:
    roster.add("a", b"k")
    assert roster.heard("a") is True
    clock.advance(1)
    assert roster.heard("a") is False
    peer = roster.get("a")
    assert peer is not None
    assert peer.online
    assert peer.last_heard == clock.now


def test_heard_of_unknown_peer_is_a_key_error(roster: Roster) -> None:
    with pytest.raises(KeyError):
        roster.heard("nobody")


def test_gone(roster: Roster) -> None:
    roster.add("a", b"k")
    assert roster.gone("a") is False  # never online
    roster.heard("a")
    assert roster.gone("a") is True
    assert roster.gone("a") is False
    assert roster.gone("nobody") is False


def test_silence_marks_offline_after_the_timeout_and_not_before(
    roster: Roster, clock: FakeClock
) -> None:
    roster.add("a", b"k")
    roster.heard("a")
    clock.advance(SILENCE_TIMEOUT - 0.001)
    assert roster.silent() == []
    clock.advance(0.001)
    gone = roster.silent()
    assert [p.id for p in gone] == ["a"]
    assert not gone[0].online
    assert roster.silent() == []  # reported once


def test_silence_timeout_is_three_missed_heartbeats_and_slack() -> None:
    assert 3 * 10.0 < SILENCE_TIMEOUT <= 3 * 10.0 + 1


def test_heartbeats_keep_a_peer_online(roster: Roster, clock: FakeClock) -> None:
    roster.add("a", b"k")
    roster.heard("a")
    for _ in range(20):
        clock.advance(1.0)
        roster.heard("a")
        assert roster.silent() == []


def test_silence_only_affects_silent_peers(roster: Roster, clock: FakeClock) -> None:
    for peer in ("quiet", "chatty", "offline"):
        roster.add(peer, b"k")
    roster.heard("quiet")
    roster.heard("chatty")
    clock.advance(SILENCE_TIMEOUT / 2)
    roster.heard("chatty")
    clock.advance(SILENCE_TIMEOUT / 2)
    assert [p.id for p in roster.silent()] == ["quiet"]


def test_custom_silence_timeout(clock: FakeClock) -> None:
    roster = Roster(clock, silence_timeout=10.0)
    roster.add("a", b"k")
    roster.heard("a")
    clock.advance(9.9)
    assert roster.silent() == []
    clock.advance(0.1)
    assert len(roster.silent()) == 1


# status -----------------------------------------------------------------------------------------


def test_set_status_ignores_older_statuses(roster: Roster) -> None:
    roster.add("a", b"k")
    newer, older = busy(set_at=20.0, text="new"), busy(set_at=10.0, text="old")
    assert roster.set_status("a", newer, 5) is True
    assert roster.set_status("a", older, 4) is False
    peer = roster.get("a")
    assert peer is not None
    assert peer.status == newer
    same_seq = busy(set_at=20.0, text="a snapshot at the same seq")
    assert roster.set_status("a", same_seq, 5) is True
    assert peer.status == same_seq


def test_the_authors_order_decides_not_its_clock(roster: Roster) -> None:
    """Issue 9, item 5: a status stamped in the year 3058 froze every later one."""
    roster.add("a", b"k")
    assert roster.set_status("a", busy(set_at=2.0**35, text="from 3058"), 1) is True
    assert roster.set_status("a", busy(set_at=1_000.0, text="later"), 2) is True
    peer = roster.get("a")
    assert peer is not None
    assert peer.status.text == "later"
    # An older seq loses whatever its clock says.
    assert roster.set_status("a", busy(set_at=2.0**35, text="replayed"), 1) is False
    # A restarted author resumes its seq above the last one it used (protocol 2): its first
    # status wins whatever its clock says, and the one before cannot come back.
    assert roster.set_status("a", busy(set_at=0.0, text="restarted"), 3) is True
    assert peer.status.text == "restarted"
    assert peer.status_version == 3
    assert roster.set_status("a", busy(set_at=2.0**35, text="replayed"), 2) is False
    assert peer.status.text == "restarted"


def test_set_status_clears_a_status_that_arrives_expired(roster: Roster, clock: FakeClock) -> None:
    roster.add("a", b"k")
    stale = busy(set_at=clock.now - 100, until=clock.now - 1)
    assert roster.set_status("a", stale, 3) is True
    peer = roster.get("a")
    assert peer is not None
    assert not peer.status.is_custom
    assert peer.status.presence is Presence.AVAILABLE
    # The cleared status keeps its version: an older status must not come back after it.
    assert roster.set_status("a", busy(set_at=clock.now - 200), 2) is False
    assert not peer.status.is_custom


def test_received_time_is_clamped_to_a_small_skew() -> None:
    now = 1_000_000.0
    assert received_time(now - 60, now) == now - 60  # the past is the author's to say
    assert received_time(now + 60, now) == now + 60  # a fast clock within the skew keeps order
    assert received_time(2.0**35, now) == now + FUTURE_SKEW
    assert FUTURE_SKEW == 300.0


def test_expiry_by_our_own_clock_even_when_the_author_is_silent(
    roster: Roster, clock: FakeClock
) -> None:
    roster.add("a", b"k")
    roster.heard("a")
    roster.set_status("a", busy(set_at=clock.now, until=clock.now + 600))
    clock.advance(SILENCE_TIMEOUT + 1)
    assert [p.id for p in roster.silent()] == ["a"]
    clock.advance(100)
    assert roster.expired() == []
    clock.advance(600)
    expired = roster.expired()
    assert [p.id for p in expired] == ["a"]
    status = expired[0].status
    assert status == Status(set_at=1_000.0)
    assert status.until is None
    assert roster.expired() == []  # reported once


def test_expiry_at_the_exact_deadline(roster: Roster, clock: FakeClock) -> None:
    roster.add("a", b"k")
    roster.set_status("a", busy(set_at=clock.now, until=clock.now + 60))
    clock.advance(59.999)
    assert roster.expired() == []
    clock.advance(0.001)
    assert len(roster.expired()) == 1


def test_status_without_until_never_expires(roster: Roster, clock: FakeClock) -> None:
    roster.add("a", b"k")
    roster.set_status("a", busy(set_at=clock.now))
    clock.advance(10**9)
    assert roster.expired() == []


def test_new_peer_has_default_status(roster: Roster) -> None:
    assert roster.add("a", b"k").status is DEFAULT_STATUS


# deadlines --------------------------------------------------------------------------------------


def test_next_deadline(roster: Roster, clock: FakeClock) -> None:
    assert roster.next_deadline() is None
    roster.add("a", b"k")
    assert roster.next_deadline() is None  # offline, no status
    roster.heard("a")
    assert roster.next_deadline() == clock.now + SILENCE_TIMEOUT
    roster.add("b", b"k")
    roster.set_status("b", busy(set_at=clock.now, until=clock.now + 1.0))
    assert roster.next_deadline() == clock.now + 1.0
    clock.advance(1.0)
    roster.expired()
    assert roster.next_deadline() == 1_000.0 + SILENCE_TIMEOUT


def test_waking_at_the_deadline_finds_the_work_due(roster: Roster, clock: FakeClock) -> None:
    """An engine that sleeps until next_deadline() must find something due, or it spins."""
    roster.add("a", b"k")
    clock.now = 1_000.1  # a value whose sums do not round nicely
    roster.heard("a")
    roster.add("b", b"k")
    roster.set_status("b", busy(set_at=clock.now, until=clock.now + 0.7))
    for _ in range(2):
        deadline = roster.next_deadline()
        assert deadline is not None
        clock.now = deadline
        assert roster.silent() or roster.expired()
    assert roster.next_deadline() is None


# ordering ---------------------------------------------------------------------------------------


def synced(inc: int = 7, seq: int = 10) -> SeqTracker:
    tracker = SeqTracker()
    assert tracker.check(inc, seq + 1, data=True) is Verdict.RESTART
    assert tracker.snapshot(inc, seq) == []
    return tracker


def test_first_message_is_a_restart() -> None:
    tracker = SeqTracker()
    assert tracker.check(1, 1, data=True) is Verdict.RESTART
    assert tracker.inc == 1
    assert not tracker.synced


def test_new_incarnation_is_a_restart() -> None:
    tracker = synced(inc=7)
    tracker.hold(7, 12, "stale")
    assert tracker.check(8, 1, data=True) is Verdict.RESTART
    assert (tracker.inc, tracker.seq, tracker.synced, tracker.pending) == (8, 0, False, [])


def test_buffer_until_snapshot() -> None:
    tracker = SeqTracker()
    assert tracker.check(1, 5, data=True) is Verdict.RESTART
    tracker.hold(1, 5, "m5")
    for seq in (6, 7):
        assert tracker.check(1, seq, data=True) is Verdict.BUFFER
        tracker.hold(1, seq, f"m{seq}")
    assert tracker.check(1, 7, data=False) is Verdict.BUFFER


def test_snapshot_releases_newer_buffered_items_in_order() -> None:
    tracker = SeqTracker()
    tracker.check(1, 8, data=True)
    for seq in (8, 6, 7, 5):  # the buffer need not be in order
        tracker.hold(1, seq, f"m{seq}")
    assert tracker.snapshot(1, 6) == ["m7", "m8"]
    assert tracker.synced
    assert tracker.seq == 8
    assert tracker.pending == []
    assert tracker.check(1, 9, data=True) is Verdict.APPLY


def test_snapshot_drops_buffered_items_of_other_incarnations() -> None:
    tracker = SeqTracker()
    tracker.check(1, 5, data=True)
    tracker.hold(1, 5, "mine")
    tracker.hold(2, 6, "other")
    assert tracker.snapshot(1, 4) == ["mine"]


def test_snapshot_releases_duplicated_buffered_items_once() -> None:
    tracker = SeqTracker()
    tracker.check(1, 5, data=True)
    for seq, item in ((5, "first"), (6, "m6"), (5, "again")):
        tracker.hold(1, seq, item)
    assert tracker.snapshot(1, 4) == ["first", "m6"]


def test_snapshot_with_a_hole_in_the_buffer_leads_to_a_resync() -> None:
    tracker = SeqTracker()
    tracker.check(1, 6, data=True)
    tracker.hold(1, 6, "m6")
    tracker.hold(1, 8, "m8")  # 7 was lost
    assert tracker.snapshot(1, 5) == ["m6", "m8"]
    assert tracker.check(1, 8, data=False) is Verdict.GAP  # the heartbeat shows it
    assert tracker.check(1, 9, data=True) is Verdict.GAP  # and so does the next message


def test_snapshot_of_a_new_incarnation_forgets_the_old_seq() -> None:
    tracker = synced(inc=1, seq=100)
    assert tracker.snapshot(2, 5) == []
    assert (tracker.inc, tracker.seq) == (2, 5)
    assert tracker.check(2, 6, data=True) is Verdict.APPLY


def test_later_snapshot_never_moves_seq_back() -> None:
    tracker = synced(inc=1, seq=10)
    assert tracker.check(1, 11, data=True) is Verdict.APPLY
    assert tracker.check(1, 12, data=True) is Verdict.APPLY
    assert tracker.snapshot(1, 11) == []  # a resync answered late
    assert tracker.check(1, 12, data=True) is Verdict.DUPLICATE
    assert tracker.check(1, 13, data=True) is Verdict.APPLY


def test_in_order_messages_apply() -> None:
    tracker = synced(seq=10)
    for seq in range(11, 20):
        assert tracker.check(7, seq, data=True) is Verdict.APPLY
    assert tracker.seq == 19


def test_duplicates_and_old_messages_are_dropped() -> None:
    tracker = synced(seq=10)
    assert tracker.check(7, 10, data=True) is Verdict.DUPLICATE  # covered by the snapshot
    assert tracker.check(7, 3, data=True) is Verdict.DUPLICATE
    assert tracker.check(7, 11, data=True) is Verdict.APPLY
    assert tracker.check(7, 11, data=True) is Verdict.DUPLICATE


def test_gaps_are_reported_and_applied() -> None:
    tracker = synced(seq=10)
    assert tracker.check(7, 13, data=True) is Verdict.GAP
    assert tracker.seq == 13
    assert tracker.check(7, 14, data=True) is Verdict.APPLY
    assert tracker.check(7, 12, data=True) is Verdict.DUPLICATE


def test_heartbeats() -> None:
    tracker = synced(seq=10)
    assert tracker.check(7, 10, data=False) is Verdict.DUPLICATE  # nothing missed
    assert tracker.check(7, 9, data=False) is Verdict.DUPLICATE
    assert tracker.check(7, 11, data=False) is Verdict.GAP  # a message we never saw
    assert tracker.seq == 10  # a heartbeat carries nothing to apply


def test_hold_is_bounded() -> None:
    tracker = SeqTracker()
    tracker.check(1, 1, data=True)
    for seq in range(1, 20):
        tracker.hold(1, seq, seq, limit=5)
    assert len(tracker.pending) == 5


@given(
    snapshot_seq=st.integers(0, 20),
    received=st.lists(st.booleans(), min_size=1, max_size=60),
)
def test_gap_is_reported_exactly_when_a_message_was_missed(
    snapshot_seq: int, received: list[bool]
) -> None:
    """A sender numbers 1..n; the receiver, synced at `snapshot_seq`, sees a subsequence."""
    tracker = synced(inc=3, seq=snapshot_seq)
    last = snapshot_seq
    for seq, arrives in enumerate(received, start=1):
        if not arrives:
            continue
        verdict = tracker.check(3, seq, data=True)
        if seq <= snapshot_seq:
            assert verdict is Verdict.DUPLICATE
        elif seq == last + 1:
            assert verdict is Verdict.APPLY
        else:
            assert verdict is Verdict.GAP
        last = max(last, seq)
    heartbeat = tracker.check(3, len(received), data=False)
    assert heartbeat is (Verdict.GAP if len(received) > last else Verdict.DUPLICATE)


# what a snapshot may fill (issue 9, item 4) ----------------------------------------------------


def test_a_first_snapshot_may_bring_history() -> None:
    tracker = SeqTracker()
    tracker.check(7, 3, data=False)  # RESTART: first sight of incarnation 7
    fill = tracker.fillable(7, 40)
    assert fill == Fill(inc=7, low=0, high=40, history=True)
    assert fill.admits(7, 0)
    assert fill.admits(7, 1)
    assert fill.admits(7, 40)
    assert not fill.admits(7, 41)  # beyond the snapshot's own seq
    assert fill.admits(3, 999)  # an older incarnation's post: history


def test_a_resync_fills_only_the_gap() -> None:
    tracker = SeqTracker()
    tracker.check(7, 0, data=False)
    tracker.snapshot(7, 5)
    assert tracker.check(7, 6, data=True) is Verdict.APPLY
    assert tracker.check(7, 9, data=True) is Verdict.GAP  # 7 and 8 were missed
    fill = tracker.fillable(7, 12)
    assert fill == Fill(inc=7, low=7, high=12)
    assert [s for s in range(1, 20) if fill.admits(7, s)] == [7, 8, 9, 10, 11, 12]
    assert not fill.admits(6, 8)  # no other incarnation on a resync
    tracker.snapshot(7, 12)
    assert tracker.low is None  # repaired: the next resync starts from seq
    assert tracker.fillable(7, 14) == Fill(inc=7, low=13, high=14)


def test_a_heartbeat_claiming_a_gap_opens_only_what_lies_above_seq() -> None:
    tracker = SeqTracker()
    tracker.check(7, 0, data=False)
    tracker.snapshot(7, 5)
    assert tracker.check(7, 1_000_000, data=False) is Verdict.GAP
    fill = tracker.fillable(7, 5)  # a snapshot that does not back the claim
    assert not any(fill.admits(7, s) for s in range(2_000))


@given(
    st.lists(st.tuples(st.booleans(), st.integers(1, 60)), max_size=40),
    st.integers(0, 80),
)
def test_fill_is_what_was_missed_since_the_last_snapshot(
    steps: list[tuple[bool, int]], snap: int
) -> None:
    """A resync admits every seq missed since the last snapshot (the repair works), and
    nothing at or below that snapshot's seq or above the new one's."""
    tracker = SeqTracker()
    tracker.check(1, 0, data=False)
    tracker.snapshot(1, 10)
    applied: set[int] = set()
    for data, seq in steps:
        verdict = tracker.check(1, seq, data=data)
        if data and verdict in (Verdict.APPLY, Verdict.GAP):
            applied.add(seq)
    fill = tracker.fillable(1, snap)
    admitted = {seq for seq in range(100) if fill.admits(1, seq)}
    assert all(10 < seq <= snap for seq in admitted)
    missed = {seq for seq in range(11, min(tracker.seq, snap) + 1) if seq not in applied}
    assert missed <= admitted


def test_a_snapshot_older_than_a_gap_found_meanwhile_keeps_the_rest_of_the_hole() -> None:
    """A gap found while a snapshot is in flight: that older snapshot fills only the bottom of
    the hole, and the tracker still knows the rest is missing, so the engine asks again."""
    tracker = SeqTracker()
    tracker.check(7, 0, data=False)
    tracker.snapshot(7, 5)
    assert tracker.check(7, 9, data=True) is Verdict.GAP  # 6, 7 and 8 were missed
    tracker.snapshot(7, 4)  # requested before the gap: it fills none of it
    assert tracker.unfilled
    assert tracker.fillable(7, 9) == Fill(inc=7, low=6, high=9)
    tracker.snapshot(7, 6)  # fills 6 only
    assert tracker.unfilled
    assert tracker.fillable(7, 9) == Fill(inc=7, low=7, high=9)
    tracker.snapshot(7, 9)  # the whole hole
    assert not tracker.unfilled
    assert tracker.low is None
    assert tracker.seq == 9
    assert tracker.fillable(7, 11) == Fill(inc=7, low=10, high=11)


def test_since_asks_for_what_follows_what_we_hold() -> None:
    """A snapshot request asks for everything until the incarnation's first snapshot, then only
    for what came after the last seq held in order (the bottom of a known hole)."""
    tracker = SeqTracker()
    assert tracker.since() is None
    tracker.check(7, 3, data=False)  # RESTART: not synced yet
    assert tracker.since() is None
    tracker.snapshot(7, 5)
    assert tracker.since() == (7, 5)
    assert tracker.check(7, 6, data=True) is Verdict.APPLY
    assert tracker.since() == (7, 6)
    assert tracker.check(7, 9, data=True) is Verdict.GAP  # 7 and 8 missed
    assert tracker.since() == (7, 6)
    tracker.snapshot(7, 7)  # older than the hole: fills 7 only
    assert tracker.since() == (7, 7)
    tracker.snapshot(7, 9)
    assert tracker.since() == (7, 9)
    assert tracker.check(8, 20, data=True) is Verdict.RESTART
    assert tracker.since() is None


def test_a_snapshot_of_a_new_incarnation_leaves_no_hole() -> None:
    tracker = SeqTracker()
    tracker.check(7, 0, data=False)
    tracker.snapshot(7, 5)
    tracker.check(7, 9, data=True)
    assert tracker.check(8, 1, data=True) is Verdict.RESTART
    tracker.snapshot(8, 3)
    assert not tracker.unfilled


def test_remove_forgets_a_peer(roster: Roster) -> None:
    roster.add("a", b"key")
    roster.heard("a")
    assert roster.remove("a") is not None
    assert roster.get("a") is None
    assert len(roster) == 0
    assert roster.remove("a") is None
