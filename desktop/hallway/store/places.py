"""The store's part for places (issue 14, schema v8): where members answered, so that a restart
finds the office again with no seed, and how each was found (`via`).

A place is written when a member comes online over a link to it (its WELCOME and first
snapshot came from there), so only places that worked are kept; each peer keeps its newest
`PLACES_PER_PEER`, and the hourly prune drops those that have not worked for `PLACE_MAX_AGE`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Final, Literal

import msgspec

__all__ = ["PLACES_PER_PEER", "PLACE_MAX_AGE", "PlacesStore", "StoredPlace", "Via", "better_via"]

Via = Literal["mdns", "seed", "exchange"]
PLACES_PER_PEER: Final = 4
PLACE_MAX_AGE: Final = 14 * 86400.0

# `via` keeps the best way known, as `better_via` says.
_UPSERT: Final = (
    "INSERT INTO places (peer, address, router_port, pub_port, via, last_ok) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (peer, address, router_port) DO UPDATE SET "
    "pub_port = excluded.pub_port, last_ok = max(places.last_ok, excluded.last_ok), "
    "via = CASE WHEN places.via = 'seed' OR excluded.via = 'exchange' THEN places.via "
    "ELSE excluded.via END"
)
_TRIM: Final = (
    "DELETE FROM places WHERE peer = ?1 AND (address, router_port) NOT IN ("
    "SELECT address, router_port FROM places WHERE peer = ?1 ORDER BY last_ok DESC LIMIT ?2)"
)


def better_via(known: Via | None, new: Via) -> Via:
    """How a peer counts as found: through a seed we were given, else through its mDNS record
    (on our link or reflected), else through another member's word (exchange)."""
    rank = ("exchange", "mdns", "seed")
    return new if known is None or rank.index(new) > rank.index(known) else known


class StoredPlace(msgspec.Struct, frozen=True):
    peer: str
    key: bytes
    address: str
    router_port: int
    pub_port: int
    via: Via
    last_ok: float


class PlacesStore:
    """Places of members; `Store` provides the connection."""

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        raise NotImplementedError

    def _write(self, doing: str) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def save_place(
        self, peer: str, address: str, router_port: int, pub_port: int, *, via: Via, at: float
    ) -> None:
        """A member answered at this place (the peer's row must exist). A place already known
        keeps the better way it was found (`better_via`)."""
        with self._write("save where a peer answered") as conn:
            conn.execute(_UPSERT, (peer, address, router_port, pub_port, via, at))
            conn.execute(_TRIM, (peer, PLACES_PER_PEER))

    def places(self, since: float = 0.0) -> list[StoredPlace]:
        """Places that worked at `since` or later, the newest first, with each peer's key."""
        rows = self._read(
            "SELECT p.peer, k.key, p.address, p.router_port, p.pub_port, p.via, p.last_ok "
            "FROM places AS p JOIN peers AS k ON k.id = p.peer WHERE p.last_ok >= ? "
            "ORDER BY p.last_ok DESC",
            (since,),
        )
        return [StoredPlace(*row) for row in rows]

    def prune_places(self, before: float) -> int:
        """Forget places that have not worked since `before`; how many went."""
        with self._write("forget old places") as conn:
            return conn.execute("DELETE FROM places WHERE last_ok < ?", (before,)).rowcount
