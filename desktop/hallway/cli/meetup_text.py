"""Office events (issue 10) in words, from the event objects the control socket delivers.

The event object (`EventView.to_json()`) carries its times as ISO 8601; `view_of` turns it back
into an `EventView`, so the command line says "tomorrow 15:00, 45 min" and "5/8 going" with the
same code as the tray app. Titles, places and names come from peers: they are printed through
`one_line` wherever they share a line with anything else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import msgspec

from hallway.core.meetups import Answer, EventView, describe_when
from hallway.core.model import one_line

__all__ = ["answer_words", "quoted", "view_of", "when_text"]

_TIMES: Final = ("start", "end", "updated_at")
ANSWER_WORDS: Final = {Answer.GOING: "going", Answer.MAYBE: "maybe", Answer.NO: "not going"}


def view_of(obj: Any) -> EventView:
    """The event object as an `EventView`; ValueError when it is not one."""
    fields = dict(obj) if isinstance(obj, dict) else {}
    for key in _TIMES:
        try:
            fields[key] = datetime.fromisoformat(str(fields.get(key))).timestamp()
        except ValueError:
            raise ValueError(f"the event's {key} is not a time") from None
    try:
        return msgspec.convert(fields, EventView, strict=False)
    except msgspec.ValidationError as exc:
        raise ValueError(f"not an event object: {exc}") from None


def quoted(title: str) -> str:
    return f"“{one_line(title)}”"


def when_text(view: EventView, now: datetime) -> str:
    """ "tomorrow 15:00, 45 min", in local time."""
    return describe_when(view.start, view.duration, now)


def answer_words(answer: Answer | str | None) -> str:
    if answer is None:
        return ""
    try:
        return ANSWER_WORDS[Answer(answer)]
    except ValueError:
        return one_line(str(answer))
