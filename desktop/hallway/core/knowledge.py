"""Knowledge sharing (issue 11): the rules of replies, questions, acknowledgements and search.

Replies are posts of their own authors that name the post they answer; a question's chosen
answer and an `ack` post's reminders are fields of the question's (the post's) own record; an
acknowledgement is its author's `ack` record. So each is written by its author alone, and
travels, heals and survives restarts like any record (docs/PROTOCOL.md).
"""

from __future__ import annotations

import re

from hallway.core.errors import HallwayError

TYPE_CHECKING = False  # typing's own would import typing: 11 ms of every client command
if TYPE_CHECKING:
    from typing import Final

DAY: Final = 86400.0
#: How long a question and its thread are kept (other posts: `post_history_days`, 7).
QUESTION_KEEP: Final = 90 * DAY
#: Open questions asked this recently are counted in the tray menu.
QUESTION_RECENT: Final = 7 * DAY
#: "Missing" acknowledgements: members seen here this recently who have not acknowledged.
MISSING_DAYS: Final = 14
#: A reply whose post we do not hold (yet) is kept this long, then dropped.
ORPHAN_KEEP: Final = 8 * DAY
#: Results a search returns at most.
SEARCH_LIMIT_MAX: Final = 200
#: Words in a search, at most: a longer query is refused rather than cut.
SEARCH_WORDS_MAX: Final = 16


class KnowledgeError(HallwayError):
    """A knowledge-sharing command that cannot be done: the message says why, for people."""


_WORD = re.compile(r"\w+", re.UNICODE)


def search_words(text: str) -> list[str]:
    """The words of a search as FTS5's unicode61 tokenizer sees them (letters and digits;
    everything else separates): so no input can be FTS5 syntax."""
    return _WORD.findall(text.casefold())[: SEARCH_WORDS_MAX + 1]


def fts_query(text: str) -> str:
    """An FTS5 MATCH expression that finds items holding every word of `text`, each of two
    letters or more also as the start of a longer word ("badg" finds "badge"); KnowledgeError
    when `text` has none or too many."""
    words = search_words(text)
    if not words:
        raise KnowledgeError("a search needs at least one word (letters or digits)")
    if len(words) > SEARCH_WORDS_MAX:
        raise KnowledgeError(f"a search takes at most {SEARCH_WORDS_MAX} words")
    # Each word quoted (a "word" such as AND or NEAR is then just a word), with a prefix star
    # from two letters on: a single letter starts most words, and ranking nine items in ten
    # for a search box's first keystroke costs ~40 ms over 10,000 items (docs/benchmarks.md).
    return " ".join(f'"{word}"*' if len(word) > 1 else f'"{word}"' for word in words)
