"""Knocks: a direct, private nudge to one colleague ("Got a minute?"), and its reply. Pure.

A knock goes from its sender's DEALER to the recipient's ROUTER and is acknowledged there; it is
kept only in the two databases (docs/PROTOCOL.md, "Knocks"). Its id is random, made by the sender;
the recipient knows a knock by (sender, id), so one sent again is never shown twice.

States. Outgoing: "pending" (in the outbox), "delivered" (shown), "held" (the recipient is in Do
not disturb or quiet hours: it shows when that ends), "replied", "expired" (not delivered within
`KNOCK_EXPIRY`). Incoming: "held", "shown", "replied".
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Any, Final, Literal

import msgspec

from hallway.core.model import STATUS_TEXT_MAX, one_line

__all__ = [
    "DEFAULT_TEXT",
    "KNOCK_EXPIRY",
    "KNOCK_TEXT_MAX",
    "QUICK_REPLIES",
    "HeldReason",
    "KnockError",
    "KnockView",
    "check_knock_text",
    "check_reply",
    "held_note",
    "is_knock_id",
    "new_knock_id",
]

KNOCK_TEXT_MAX: Final = STATUS_TEXT_MAX  # 140, for a knock and for a reply
DEFAULT_TEXT: Final = "Got a minute?"
KNOCK_EXPIRY: Final = 12 * 3600.0  # an undelivered knock is dropped (and its sender told)
QUICK_REPLIES: Final = {"yes": "Yes", "later": "In 5 min", "no": "Not now"}

# Why the recipient holds a knock: Do not disturb, or quiet hours ("" = shown at once).
HeldReason = Literal["", "dnd", "quiet"]

_ID: Final = re.compile(r"[0-9a-f]{16}")


class KnockError(ValueError):
    """A knock or a reply that breaks a rule; the message is for people."""


def new_knock_id() -> str:
    """64 random bits as hex: unique among one sender's knocks for as long as any is kept."""
    return secrets.token_hex(8)


def is_knock_id(text: str) -> bool:
    return _ID.fullmatch(text) is not None


def check_knock_text(text: str) -> str:
    """A knock's text on one line, `DEFAULT_TEXT` when empty; KnockError when too long."""
    cleaned = one_line(text)
    if len(cleaned) > KNOCK_TEXT_MAX:
        raise KnockError(
            f"a knock's text is {len(cleaned)} characters long; the limit is {KNOCK_TEXT_MAX}"
        )
    return cleaned or DEFAULT_TEXT


def check_reply(reply: str) -> str:
    """A quick reply word (yes, later, no) as its words, or free text on one line."""
    word = reply.strip().lower()
    if word in QUICK_REPLIES:
        return QUICK_REPLIES[word]
    cleaned = one_line(reply)
    if not cleaned:
        raise KnockError("a reply needs some text: yes, later, no, or your own words")
    if len(cleaned) > KNOCK_TEXT_MAX:
        raise KnockError(
            f"the reply is {len(cleaned)} characters long; the limit is {KNOCK_TEXT_MAX}"
        )
    return cleaned


def held_note(name: str, reason: str) -> str:
    """What the sender of a held knock is told. Quiet hours are the recipient's own business:
    only that the knock shows later is said, not why."""
    who = name or "Your colleague"
    if reason == "dnd":
        return f"{who} is in Do not disturb; your knock will show when that ends"
    return f"{who} is not taking knocks right now; yours will show when they are back"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")


class KnockView(msgspec.Struct, frozen=True, kw_only=True):
    """A knock as people and tools see it, sent (`outgoing`) or received.

    `peer` is the other side (the recipient of ours, the sender of theirs) and `name` its
    current name. `held` says why a held knock waits ("dnd" or "quiet"; "" otherwise).
    `reply` is the reply's text once there is one. `created` is when it was made (sent: our
    clock; received: when it arrived), `expires` when an undelivered one is given up.
    """

    id: str
    peer: str
    name: str
    outgoing: bool
    text: str
    urgent: bool = False
    state: str
    held: str = ""
    reply: str | None = None
    created: float
    expires: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "peer": self.peer,
            "name": self.name,
            "outgoing": self.outgoing,
            "text": self.text,
            "urgent": self.urgent,
            "state": self.state,
            "held": self.held or None,
            "reply": self.reply,
            "created": _iso(self.created),
            "expires": _iso(self.expires),
        }
