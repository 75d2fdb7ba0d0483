"""Words for threads, questions and acknowledgements (issue 11), shared by the feed and the
`watch` lines. Works on the JSON forms (`FeedItem.to_json()`, `Event.to_json()`); peers' text
is folded to one line here, so none of it can pass for a line of ours.
"""

from __future__ import annotations

from typing import Any

from hallway.cli.meetup_text import quoted
from hallway.core.model import one_line

__all__ = ["count_of", "item_notes", "knowledge_event_text"]


def count_of(value: object) -> int:
    """A count from JSON, or 0 for anything that is not one."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _acks_text(acks: object) -> str | None:
    if not isinstance(acks, dict):
        return None
    return f"{count_of(acks.get('n'))}/{count_of(acks.get('of'))} acknowledged"


def item_notes(item: dict[str, Any], *, chosen: bool = False) -> list[str]:
    """ "question", "answered", "12/15 acknowledged", "3 replies, latest Cat", "edited"...:
    what a post or reply is, besides its text. `chosen`: the answer of its thread's question."""
    notes = []
    if chosen:
        notes.append("answer")
    if item.get("question"):
        notes.append("answered" if item.get("answer") else "question")
    if item.get("ack"):
        counted = _acks_text(item.get("acks"))
        if counted is not None:
            notes.append(counted)
        elif item.get("own"):
            notes.append("asks to be acknowledged")
        else:
            notes.append("acknowledged" if item.get("acked") else "please acknowledge")
    replies = count_of(item.get("replies"))
    if replies:
        text = "1 reply" if replies == 1 else f"{replies} replies"
        latest = one_line(str(item.get("last_reply_name") or ""))
        notes.append(f"{text}, latest {latest}" if latest else text)
    if item.get("edited"):
        notes.append("edited")
    return notes


def post_notes(event: dict[str, Any]) -> str:
    """ " [question]", " [please acknowledge: hallway ack ID]"...: the end of a post's line."""
    notes = []
    if event.get("question"):
        notes.append("question")
    if event.get("ack"):
        if event.get("own"):
            notes.append("asks to be acknowledged")
        else:
            notes.append(f"please acknowledge: hallway ack {one_line(str(event.get('id', '')))}")
    return f" [{'; '.join(notes)}]" if notes else ""


def knowledge_event_text(event: dict[str, Any], who: str, name: str) -> str | None:  # noqa: PLR0911
    """The `watch` line of a reply, an answer, an acknowledgement, a reminder to acknowledge,
    an edit or a delete; None for other events. `who` is "You" for our own."""
    text = one_line(str(event.get("text") or ""))
    what = "a reply" if event.get("reply_to") else "a post"
    match event.get("type"):
        case "reply":
            earlier = " (earlier)" if event.get("live") is False else ""
            to = " to a question" if event.get("question") else ""
            thread = one_line(str(event.get("reply_to") or ""))
            return f"{who}{earlier} replied{to}: {text} (hallway thread {thread})"
        case "answer":
            return _answer_text(event, who, quoted(text))
        case "ack":
            post = one_line(str(event.get("post") or ""))
            if event.get("own"):
                return f"You acknowledged {post}"
            counted = _acks_text(event.get("acks"))
            if counted is not None:
                return f"{who} acknowledged your post {post}: {counted}"
            return f"{who} acknowledged {post}"
        case "ack_reminder":
            item = one_line(str(event.get("id") or ""))
            return f"{name} asks you again to acknowledge: {text} (hallway ack {item})"
        case "edited":
            return f"{who} edited {what}: {text}"
        case "deleted":
            return f"{who} deleted {what}"
    return None


def _answer_text(event: dict[str, Any], who: str, question: str) -> str:
    if not event.get("reply"):
        return f"{who} withdrew the answer to {question}"
    if event.get("own"):
        return f"You chose an answer to {question}"
    if event.get("mine"):
        return f"{who} chose your reply as the answer to {question}"
    return f"{who} chose an answer to {question}"
