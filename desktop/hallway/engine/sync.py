"""What a snapshot may bring: only the gap it was asked to fill, at the peer's own expense.

A snapshot is checked against what the receiver knows it misses (`SeqTracker.fillable`), and the
records it keeps are charged, once, to the same per-peer token bucket as live messages: a member
cannot use a claimed gap to push more than that through the repair path.
"""

from __future__ import annotations

from hallway.core.roster import Fill
from hallway.core.wire import SNAPSHOT_RECORDS_MAX, SnapRec
from hallway.engine.links import SnapshotBuffer

OUTSIDE_GAP = "snapshot items outside the requested gap"


class Spoiled(SnapshotBuffer):
    """A snapshot in flight that lost a part (over the peer's budget), or that the budget could
    not pay for yet. The parts still coming are ignored, and the retry timer asks for the whole
    snapshot again (after SNAPSHOT_RETRY, or once the budget can pay)."""


def spoil(buffer: SnapshotBuffer | None) -> SnapshotBuffer | None:
    """What replaces a pending snapshot when one of its parts is dropped."""
    return None if buffer is None else Spoiled()


def gap_records(recs: list[SnapRec], fill: Fill) -> tuple[list[SnapRec], int]:
    """The records `fill` admits, each (kind, key) once, at most SNAPSHOT_RECORDS_MAX of them
    (the newest: an author sends them oldest first); and how many were dropped."""
    seen: set[tuple[str, str]] = set()
    kept: list[SnapRec] = []
    for rec in recs:
        key = (rec.kind, rec.key)
        if key in seen or not fill.admits(rec.inc, rec.seq):
            continue
        seen.add(key)
        kept.append(rec)
    kept = kept[-SNAPSHOT_RECORDS_MAX:]
    return kept, len(recs) - len(kept)
