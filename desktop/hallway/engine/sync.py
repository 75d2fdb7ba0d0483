"""What a snapshot may bring: only the gap it was asked to fill, at the peer's own expense.

A snapshot is checked against what the receiver knows it misses (`SeqTracker.fillable`), and the
posts it keeps are charged, once, to the same per-peer token bucket as live messages: a member
cannot use a claimed gap to push more than that through the repair path.
"""

from __future__ import annotations

from hallway.core.roster import Fill
from hallway.core.wire import SNAPSHOT_POSTS_MAX, SnapPost
from hallway.engine.links import SnapshotBuffer

OUTSIDE_GAP = "snapshot items outside the requested gap"


class Spoiled(SnapshotBuffer):
    """A snapshot in flight that lost a part (over the peer's budget), or that the budget could
    not pay for yet. The parts still coming are ignored, and the retry timer asks for the whole
    snapshot again (after SNAPSHOT_RETRY, or once the budget can pay)."""


def spoil(buffer: SnapshotBuffer | None) -> SnapshotBuffer | None:
    """What replaces a pending snapshot when one of its parts is dropped."""
    return None if buffer is None else Spoiled()


def gap_posts(posts: list[SnapPost], fill: Fill) -> tuple[list[SnapPost], int]:
    """The posts `fill` admits, each (inc, seq) once, at most SNAPSHOT_POSTS_MAX of them (the
    newest: an author sends its history oldest first); and how many were dropped."""
    seen: set[tuple[int, int]] = set()
    kept: list[SnapPost] = []
    for post in posts:
        key = (post.inc, post.seq)
        if key in seen or not fill.admits(post.inc, post.seq):
            continue
        seen.add(key)
        kept.append(post)
    kept = kept[-SNAPSHOT_POSTS_MAX:]
    return kept, len(posts) - len(kept)
