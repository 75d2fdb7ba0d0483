"""The data model: presence, status, posts and peer ids, with the limits every node enforces."""

from __future__ import annotations

import functools
import hashlib
import re

import msgspec

from hallway.core import z85 as _z85

# What a client prints with is in `core.plain`, which imports nothing heavy (no msgspec).
from hallway.core.plain import NAME_MAX, Presence, display_fingerprint, one_line, strip_controls

__all__ = [
    "DEFAULT_STATUS",
    "EMOJI_MAX",
    "FRAME_MAX",
    "HEARTBEAT_INTERVAL",
    "LIVENESS_PING",
    "LIVENESS_TIMEOUT",
    "MISSED_HEARTBEATS",
    "NAME_MAX",
    "POST_RETENTION_DAYS",
    "POST_TEXT_MAX",
    "STATUS_TEXT_MAX",
    "TAGS_MAX",
    "TAG_MAX",
    "Post",
    "Presence",
    "Status",
    "clean_text",
    "display_fingerprint",
    "extract_tags",
    "fingerprint",
    "one_line",
    "post_id",
    "stranger_fingerprint",
    "strip_controls",
]

STATUS_TEXT_MAX = 140
EMOJI_MAX = 16
POST_TEXT_MAX = 2000
TAG_MAX = 32
TAGS_MAX = 16
FRAME_MAX = 64 * 1024

#: Liveness is the kernel's: TCP keepalive probes a connection silent for a second, every second,
#: and one unanswered for 2.5 s is dropped (net/sockets.py), without waking any thread of ours.
LIVENESS_PING = 1.0
LIVENESS_TIMEOUT = 2.0
#: The application heartbeat only carries the last seq, so a lost last message shows as a gap;
#: its silence is a backstop for a peer whose process answers pings but whose engine is stuck.
HEARTBEAT_INTERVAL = 10.0
MISSED_HEARTBEATS = 3
POST_RETENTION_DAYS = 7


def stranger_fingerprint(public_key_z85: bytes | str) -> str:
    """The peer id: 128 bits of SHA-256 over the raw 32-byte CURVE public key, as hex.

    Never kept: for keys from anyone on the LAN (mDNS records), whose flood must not fill, or
    churn, the cache of `fingerprint`."""
    key = public_key_z85.encode() if isinstance(public_key_z85, str) else public_key_z85
    raw = _z85.decode(key)
    return hashlib.sha256(raw).hexdigest()[:32]


fingerprint = functools.lru_cache(maxsize=1024)(stranger_fingerprint)
"""`stranger_fingerprint`, kept for the keys seen last (Z85 in Python and a hash: ~6 us): for
members' keys. Every request on the ROUTER is named by its key, and a newcomer reads each
member's list of the others."""


_TAG = re.compile(rf"(?<![\w#])#(\w{{1,{TAG_MAX}}})")


def extract_tags(text: str) -> tuple[str, ...]:
    """Hashtags in a post, lower-cased, unique, in order of first appearance."""
    seen: dict[str, None] = {}
    for match in _TAG.finditer(text):
        seen.setdefault(match.group(1).lower(), None)
        if len(seen) >= TAGS_MAX:
            break
    return tuple(seen)


def clean_text(text: str, limit: int) -> str:
    """Strip control characters (keeping newlines) and surrounding space; enforce the limit."""
    cleaned = strip_controls(text)
    if len(cleaned) > limit:
        raise ValueError(f"text is {len(cleaned)} characters long; the limit is {limit}")
    return cleaned


class Status(msgspec.Struct, frozen=True):
    """A person's presence and status. `until` is a POSIX time after which it clears."""

    presence: Presence = Presence.AVAILABLE
    text: str = ""
    emoji: str = ""
    until: float | None = None
    set_at: float = 0.0

    def expired(self, now: float) -> bool:
        return self.until is not None and now >= self.until

    @property
    def is_custom(self) -> bool:
        return bool(self.text or self.emoji)


DEFAULT_STATUS = Status()


class Post(msgspec.Struct, frozen=True):
    """An office announcement, or a reply to one (`reply_to`: the post's id). `id` is
    `<peer>:<inc>:<seq>`, unique across the office and the same through edits (`edits` counts
    them). A `question` can have an answer chosen; an `ack` post asks to be acknowledged."""

    id: str
    peer: str
    text: str
    urgent: bool
    sent_at: float
    tags: tuple[str, ...] = ()
    reply_to: str = ""
    question: bool = False
    ack: bool = False
    edits: int = 0


def post_id(peer: str, inc: int, seq: int) -> str:
    return f"{peer}:{inc:x}:{seq}"
