"""What the knowledge-sharing commands answer (issue 11): a thread, the acknowledgements of a
post, search results, and what needs attention (for the tray).

Plain msgspec Structs like `FeedItem`, each with the JSON form the command line prints.
"""

from __future__ import annotations

from typing import Any

import msgspec

from hallway.engine.events import FeedItem, iso


class ThreadView(msgspec.Struct, frozen=True):
    """A post and its replies, oldest reply first (`post.answer` names the chosen one)."""

    post: FeedItem
    replies: tuple[FeedItem, ...] = ()

    def answered_first(self) -> tuple[FeedItem, ...]:
        """The replies with a question's chosen answer first, as the window shows them."""
        chosen = [r for r in self.replies if r.id == self.post.answer]
        return (*chosen, *(r for r in self.replies if r.id != self.post.answer))

    def to_json(self) -> dict[str, Any]:
        return {"post": self.post.to_json(), "replies": [r.to_json() for r in self.replies]}


class Acknowledged(msgspec.Struct, frozen=True):
    peer: str
    name: str
    at: float | None = None  # None in `missing`

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"peer": self.peer, "name": self.name}
        if self.at is not None:
            out["at"] = iso(self.at)
        return out


class AckView(msgspec.Struct, frozen=True):
    """Who acknowledged the post `post`, and who is missing: the members seen here in the last
    `core.knowledge.MISSING_DAYS` days (not its author) who have not."""

    post: str
    acknowledged: tuple[Acknowledged, ...] = ()
    missing: tuple[Acknowledged, ...] = ()

    @property
    def count(self) -> tuple[int, int]:
        """(acknowledged, of): "12/15 acknowledged"."""
        n = len(self.acknowledged)
        return n, n + len(self.missing)

    def to_json(self) -> dict[str, Any]:
        n, of = self.count
        return {
            "post": self.post,
            "n": n,
            "of": of,
            "acknowledged": [a.to_json() for a in self.acknowledged],
            "missing": [{"peer": m.peer, "name": m.name} for m in self.missing],
        }


class SearchHit(msgspec.Struct, frozen=True):
    """One search result, best first. `kind` is "post", "question", "reply", "event" or
    "status"; `thread` is where it opens: a reply's post, or the item itself (an event's id
    for an event). `snippet` is the matching part of the text, matches between « and »."""

    kind: str
    id: str
    thread: str
    peer: str
    name: str
    at: float
    text: str
    snippet: str
    rank: float

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "thread": self.thread,
            "peer": self.peer,
            "name": self.name,
            "at": iso(self.at),
            "text": self.text,
            "snippet": self.snippet,
            "rank": self.rank,
        }


class Attention(msgspec.Struct, frozen=True):
    """What the tray menu shows: open questions asked in the last 7 days, and posts that ask
    us to acknowledge them and that we have not (newest first)."""

    open_questions: int = 0
    unacked: tuple[FeedItem, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "open_questions": self.open_questions,
            "unacked": [item.to_json() for item in self.unacked],
        }
