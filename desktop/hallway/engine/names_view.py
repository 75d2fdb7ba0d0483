"""Which members' names read alike, kept up to date as names are learned (no sockets, no clock).

The engine tells the book every name it learns (HELLO, WELCOME, snapshot, rename, our own) and
forgets peers it drops. The book groups peers by the keys `hallway.core.names` compares (the TR39
skeleton of the name and of its case-folded form), so a change costs O(1) however large the
office, and a Sybil flood of "Bob"s stays linear. From that it answers what the views and events
carry: whether a name has a look-alike, which peers, and a short fingerprint that tells each
flagged peer from every other flagged one (as long as its longest common prefix with another
flagged id, plus one: the flagged ids' prefixes are counted, so that is O(1) too).

A new collision makes one `warning` event (at most `WARN_BURST`, then one a minute: the flags in
`peers` and the window stay whatever happens). Without ICU, names beyond ASCII are compared
case-folded (NFKC) instead, and that is said once.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from itertools import islice
from typing import TYPE_CHECKING

import msgspec

from hallway.core.names import (
    SHORT_FINGERPRINT,
    NamesUnavailableError,
    short_fingerprint,
    skeleton,
)
from hallway.core.ratelimit import TokenBucket
from hallway.engine import events as ev

if TYPE_CHECKING:
    from hallway.store.db import Store
    from hallway.store.records import StoredPeer

Emit = Callable[[ev.Event], None]

__all__ = ["LOOK_ALIKES_SHOWN", "NameBook", "start_names"]

#: Look-alikes listed per peer (`PeerView.look_alikes`); a flood of them is not worth listing.
LOOK_ALIKES_SHOWN = 8
WARN_BURST = 5.0
WARN_RATE = 1 / 60.0
_NAMED_IN_WARNING = 3


class NameBook:
    """Every known member's display name (ours included), grouped by what it reads like."""

    def __init__(self, own_id: str, own_name: str) -> None:
        self.own_id = own_id
        self._names: dict[str, str] = {}
        self._keys: dict[str, frozenset[str]] = {}
        self._owners: dict[str, set[str]] = {}
        self._flagged: set[str] = set()  # the ids whose name reads like another's
        self._prefixes: Counter[str] = Counter()  # the flagged ids' starts (see _digits)
        self._warnings = TokenBucket(WARN_RATE, WARN_BURST)
        self._icu = True
        self._icu_problem: str | None = None  # said once in a warning, then None
        self.learn(own_id, own_name, warn=False)

    # changes -----------------------------------------------------------------------------

    def learn(
        self, peer: str, name: str, *, now: float = 0.0, warn: bool = True
    ) -> list[ev.NodeWarning]:
        """Record `peer`'s name; the warnings to emit when it now reads like someone new."""
        if self._names.get(peer) == name:
            return []
        old = self._keys.get(peer, frozenset())
        keys = self._keys_of(name)
        self._set(peer, keys)
        self._names[peer] = name
        if not warn:
            return []
        warnings = []
        if self._icu_problem is not None:
            warnings.append(ev.NodeWarning(at=now, message=self._icu_problem))
            self._icu_problem = None
        # Whether someone reads alike now who did not before, found without listing the group
        # (a flood of "Bob"s must stay linear); the whole list only for a warning said.
        added = keys - old
        fresh = (o for key in added for o in self._owners[key] if not self._shared(o, peer, old))
        if next(fresh, None) is not None and self._warnings.take(now):
            others = self._alike(peer, besides=old)
            warnings.append(ev.NodeWarning(at=now, message=self._message(peer, others), peer=peer))
        return warnings

    def forget(self, peer: str) -> None:
        if peer != self.own_id and peer in self._names:
            self._set(peer, frozenset())
            del self._names[peer]

    # queries -----------------------------------------------------------------------------

    def look_alike(self, peer: str) -> bool:
        return peer in self._flagged

    def look_alikes(self, peer: str, limit: int = LOOK_ALIKES_SHOWN) -> tuple[str, ...]:
        """Up to `limit` other peers whose names read like `peer`'s, in id order."""
        if not self.look_alike(peer):
            return ()
        found: set[str] = set()
        for key in self._keys.get(peer, ()):
            found.update(islice((p for p in self._owners[key] if p != peer), limit))
        return tuple(sorted(found)[:limit])

    def short_fingerprint(self, peer: str) -> str:
        """The start of `peer`'s fingerprint, longer when another flagged peer's starts alike."""
        return short_fingerprint(peer, self._digits(peer))

    def tag(self, peer: str, name: str | None = None) -> tuple[bool, str]:
        """(look-alike?, short fingerprint) for `peer` shown as `name` (default: its current
        name). An item keeps the name it was posted under, which may read like another member's
        current name even after its author renamed."""
        if name is None or name == self._names.get(peer):
            return self.look_alike(peer), self.short_fingerprint(peer)
        others: set[str] = set()
        for key in self._keys_of(name):
            others.update(islice((p for p in self._owners.get(key, ()) if p != peer), 64))
        if not others:
            return False, short_fingerprint(peer)
        digits = max(self._digits(peer), *(_common_prefix(peer, p) + 1 for p in others))
        return True, short_fingerprint(peer, digits)

    def annotate(self, event: ev.Event) -> ev.Event:
        """`event` with `look_alike` and `short_fingerprint` set when its name needs them."""
        if not isinstance(event, ev.Named) or not self._flagged:
            return event
        alike, short = self.tag(event.peer_id, event.name)
        if not alike:
            return event
        return msgspec.structs.replace(event, look_alike=True, short_fingerprint=short)

    def tagging(self, emit: Callable[[ev.Event], None]) -> Callable[[ev.Event], None]:
        """`emit`, annotating each event first (one place for every event that names a peer)."""
        return lambda event: emit(self.annotate(event))

    # internals ---------------------------------------------------------------------------

    def _keys_of(self, name: str) -> frozenset[str]:
        if self._icu or name.isascii():
            try:
                keys = {skeleton(name), skeleton(name.casefold())}
            except NamesUnavailableError as exc:
                self._icu = False
                self._icu_problem = (
                    f"{exc} Until then, names are told apart only by case, so look-alike names "
                    "in other scripts are not flagged."
                )
            else:
                keys.discard("")
                return frozenset(keys)
        folded = " ".join(unicodedata.normalize("NFKC", name).casefold().split())
        return frozenset({folded} - {""})

    def _digits(self, peer: str) -> int:
        # As many hex digits as tell it from every other flagged id: the shortest start of it
        # that no other flagged id shares.
        if peer not in self._flagged:
            return SHORT_FINGERPRINT
        for digits in range(SHORT_FINGERPRINT, len(peer)):
            if self._prefixes[peer[:digits]] == 1:
                return digits
        return len(peer)

    def _alike(self, peer: str, *, besides: frozenset[str] = frozenset()) -> frozenset[str]:
        """The others whose name reads like `peer`'s, but those sharing one of `besides` (its
        keys before a change). O(group): only for a warning, which is rate-limited."""
        found: set[str] = set()
        for key in self._keys.get(peer, ()):
            found.update(o for o in self._owners[key] if not self._shared(o, peer, besides))
        return frozenset(found)

    def _shared(self, other: str, peer: str, keys: frozenset[str]) -> bool:
        """Whether `other` is `peer`, or has one of `keys` (for `peer`'s old keys: whether it
        read alike before; the others' owners of those keys are as they were)."""
        return other == peer or any(other in self._owners.get(key, ()) for key in keys)

    def _set(self, peer: str, keys: frozenset[str]) -> None:
        old = self._keys.get(peer, frozenset())
        touched = {peer}
        for key in old - keys:
            owners = self._owners[key]
            owners.discard(peer)
            if len(owners) == 1:
                touched |= owners  # alone with this name now: maybe no longer flagged
            elif not owners:
                del self._owners[key]
        for key in keys - old:
            owners = self._owners.setdefault(key, set())
            owners.add(peer)
            if len(owners) == 2:
                touched |= owners
        if keys:
            self._keys[peer] = keys
        else:
            self._keys.pop(peer, None)
        for other in touched:
            self._recheck(other)

    def _recheck(self, peer: str) -> None:
        want = any(len(self._owners[key]) > 1 for key in self._keys.get(peer, ()))
        if want == (peer in self._flagged):
            return
        starts = (peer[:digits] for digits in range(SHORT_FINGERPRINT, len(peer) + 1))
        if want:
            self._flagged.add(peer)
            self._prefixes.update(starts)
        else:
            self._flagged.discard(peer)
            self._prefixes.subtract(starts)
            for start in (peer[:digits] for digits in range(SHORT_FINGERPRINT, len(peer) + 1)):
                if not self._prefixes[start]:
                    del self._prefixes[start]

    def _label(self, peer: str) -> str:
        name = self._names.get(peer, "")
        return f"{name} ({self.short_fingerprint(peer)})"

    def _message(self, peer: str, others: frozenset[str]) -> str:
        hint = "Tell them apart by the fingerprint."
        if self.own_id in others:
            return (
                f"{self._label(peer)} has a name that looks like yours, "
                f"{self._label(self.own_id)}. {hint}"
            )
        if peer == self.own_id:
            listed = self._listing(sorted(others))
            return (
                f"Your name, {self._label(peer)}, looks like {listed}. Tell them apart by the "
                "fingerprint, or choose another name."
            )
        group = [peer, *sorted(others)]
        count = "Two" if len(group) == 2 else str(len(group))
        return f"{count} members have names that look alike: {self._listing(group)}. {hint}"

    def _listing(self, peers: list[str]) -> str:
        labels = [self._label(p) for p in peers[:_NAMED_IN_WARNING]]
        if len(peers) > _NAMED_IN_WARNING:
            return f"{', '.join(labels)} and {len(peers) - _NAMED_IN_WARNING} more"
        if len(labels) == 1:
            return labels[0]
        return f"{', '.join(labels[:-1])} and {labels[-1]}"


def start_names(
    own_id: str, own_name: str, store: Store, peers: Iterable[StoredPeer], emit: Emit
) -> tuple[NameBook, Emit]:
    """The engine's book of names at start, seeded with the stored `peers`' (quietly: these
    collisions are flagged, not announced again), and `emit` annotating events from it. Own
    items stored before items kept their name (schema version 3) are given ours now."""
    book = NameBook(own_id, own_name)
    for peer in peers:
        book.learn(peer.id, peer.name, warn=False)
    store.name_items(own_id, own_name)
    return book, book.tagging(emit)


def _common_prefix(a: str, b: str) -> int:
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return index
    return min(len(a), len(b))
