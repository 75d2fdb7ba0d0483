"""Replicated records: what a record's kind and key may be, and the ids people and tools see.

A record is `(author, kind, key) -> value`, written by its author alone (docs/PROTOCOL.md):

- `status`: key "" (one per member);
- `post` and `event`: key `<inc hex>:<seq>`, the author's incarnation and seq when it made the
  record, so that its id `<author>:<inc hex>:<seq>` is unique across the office and stays the
  same through edits;
- `rsvp`: key = the id of the event it answers (one answer per member and event);
- `ack`: key = the id of the post it acknowledges (one per member and post).

A reply is a `post` whose value names the post it answers (`wire.PostValue.reply_to`).
"""

from __future__ import annotations

import re
from typing import Final

KINDS: Final = ("status", "post", "event", "rsvp", "ack")

#: An office-wide id of a post or an event: `<author>:<inc hex>:<seq>`.
ID_PATTERN: Final = "[0-9a-f]{32}:[0-9a-f]{1,16}:[0-9]{1,19}"
_LOCAL = re.compile(r"[0-9a-f]{1,16}:[0-9]{1,19}")
_ID = re.compile(r"([0-9a-f]{32}):([0-9a-f]{1,16}:[0-9]{1,19})")


def local_key(inc: int, seq: int) -> str:
    """The key an author gives a post or an event it makes at (inc, seq)."""
    return f"{inc:x}:{seq}"


def parse_local_key(key: str) -> tuple[int, int] | None:
    """(inc, seq) of a post's or an event's key; None when it is not one."""
    if _LOCAL.fullmatch(key) is None:
        return None
    inc, seq = key.split(":")
    return int(inc, 16), int(seq)


def record_id(author: str, key: str) -> str:
    """The office-wide id of a post or an event."""
    return f"{author}:{key}"


def split_id(record: str) -> tuple[str, str] | None:
    """(author, key) of a post's or an event's id; None when it is not one."""
    match = _ID.fullmatch(record)
    return None if match is None else (match.group(1), match.group(2))


def check_key(kind: str, key: str) -> bool:
    """Whether `key` is well formed for a record of `kind`."""
    if kind == "status":
        return key == ""
    if kind in ("post", "event"):
        return _LOCAL.fullmatch(key) is not None
    if kind in ("rsvp", "ack"):
        return _ID.fullmatch(key) is not None
    return False
