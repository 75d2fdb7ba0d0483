"""Threads, acknowledgements and search results for people (issue 11): `hallway thread`,
`hallway acks` and `hallway feed --search`.

Each works on the JSON form the control socket delivers (`ThreadView.to_json()`,
`AckView.to_json()`, `SearchHit.to_json()`). One line per item; peers' text is folded to one
line (a post's own line breaks start indented lines, as in the feed).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from hallway.cli.knowledge_text import count_of
from hallway.cli.meetup_text import quoted
from hallway.cli.output import BOLD, DIM, Style, clock, display_width, feed_lines
from hallway.core.knowledge import MISSING_DAYS
from hallway.core.model import one_line

__all__ = ["acks_lines", "search_lines", "thread_lines"]

_REPLY_INDENT: Final = "    "
_MATCH: Final = re.compile("«([^«»]*)»")
_SEARCH_HEADER: Final = ("WHEN", "WHO", "KIND", "MATCH", "OPEN")


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def thread_lines(thread: dict[str, Any], style: Style, now: datetime | None = None) -> str:
    """The post, then its replies oldest first, indented under it; the answer is marked."""
    post = thread.get("post")
    if not isinstance(post, dict):
        return "Nothing to show."
    lines = [feed_lines([post], style, now)]
    replies = _dicts(thread.get("replies"))
    if not replies:
        lines.append(f"{_REPLY_INDENT}No replies yet.")
    else:
        answer = post.get("answer") if isinstance(post.get("answer"), str) else None
        shown = feed_lines(replies, style, now, answer=answer)
        lines += [_REPLY_INDENT + line for line in shown.splitlines()]
    return "\n".join(lines)


def acks_lines(view: dict[str, Any], style: Style, now: datetime | None = None) -> str:
    """ "12/15 acknowledged", then one line per member: when they did, or "missing"."""
    done = _dicts(view.get("acknowledged"))
    missing = _dicts(view.get("missing"))
    n, of = count_of(view.get("n")), count_of(view.get("of"))
    if not done and not missing:
        return (
            f"{n}/{of} acknowledged: nobody else has been seen here in the last "
            f"{MISSING_DAYS} days."
        )
    head = f"{n}/{of} acknowledged"
    head += f"; {len(missing)} missing" if missing else ", everyone"
    names = _names([*done, *missing])
    width = max(display_width(name) for name in names)
    lines = [style.paint(head, BOLD)]
    for entry, name in zip([*done, *missing], names, strict=True):
        pad = " " * (width - display_width(name))
        when = clock(entry.get("at"), now) if entry.get("at") else style.paint("missing", DIM)
        lines.append(f"  {name}{pad}  {when}".rstrip())
    return "\n".join(lines)


def _names(entries: Sequence[dict[str, Any]]) -> list[str]:
    """Each name on one line; two that read the same get the start of their peer id."""
    names = [one_line(str(e.get("name") or "")) or "?" for e in entries]
    seen = Counter(name.casefold() for name in names)
    return [
        f"{name} ({one_line(str(e.get('peer') or ''))[:8]})" if seen[name.casefold()] > 1 else name
        for name, e in zip(names, entries, strict=True)
    ]


def search_lines(
    hits: Sequence[dict[str, Any]], style: Style, words: str, now: datetime | None = None
) -> str:
    """One aligned line per hit, best first: when, who, what kind, the matching words (marked)
    and the id that opens it (`hallway thread ID`, or `hallway event show ID` for an event)."""
    if not hits:
        return f"Nothing found for {quoted(words)}."
    rows: list[tuple[list[str], list[str]]] = []  # (plain cells, cells as printed)
    for hit in hits:
        snippet = one_line(str(hit.get("snippet") or hit.get("text") or ""))
        # With colour the matches are bold; without, the engine's « » marks show them.
        match = _MATCH.sub(r"\1", snippet) if style.colour else snippet
        kind = one_line(str(hit.get("kind") or ""))
        opens = "" if kind == "status" else one_line(str(hit.get("thread") or hit.get("id") or ""))
        plain = [
            clock(hit.get("at"), now),
            one_line(str(hit.get("name") or "")),
            kind,
            match,
            opens,
        ]
        shown = [*plain[:3], _MATCH.sub(lambda m: style.paint(m[1], BOLD), snippet), opens]
        rows.append((plain, shown if style.colour else plain))
    header = list(_SEARCH_HEADER)
    widths = [
        max(display_width(row[i]) for row in [header, *(plain for plain, _ in rows)])
        for i in range(len(header))
    ]
    lines = [style.paint(_cells(header, header, widths), DIM)]
    lines += [_cells(plain, shown, widths) for plain, shown in rows]
    return "\n".join(lines)


def _cells(plain: Sequence[str], shown: Sequence[str], widths: Sequence[int]) -> str:
    padded = [
        cell + " " * max(0, width - display_width(raw))
        for raw, cell, width in zip(plain, shown, widths, strict=True)
    ]
    return "  ".join(padded).rstrip()
