"""Words for knowledge sharing's pop-ups and tray lines, in the person's language.

`NotificationCenter` asks `knowledge_words` for the kinds of `hallway.ui.knowledge_popups`; the
tray menu uses `questions_line` and `ack_line`.
"""

from __future__ import annotations

from collections.abc import Callable

from hallway.engine.events import FeedItem
from hallway.ui.notify_policy import Kind, Popup
from hallway.ui.text import tr

KNOWLEDGE_KINDS = frozenset({Kind.REPLY, Kind.ANSWER, Kind.ACK, Kind.ACK_NUDGE})
#: Characters of a post's text in a tray line ("Acknowledge: Fire drill at 15:00…").
TRAY_TEXT = 40
_BODY_TEXT = 200


def one_line(text: str, limit: int) -> str:
    """`text` on one line (peers' line breaks folded), cut to at most `limit` characters with
    "…", after a whole word unless that would lose more than half."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" .,;:") + "…"


def acknowledge_label() -> str:
    """The pop-up action's label."""
    return tr("Acknowledge")


def knowledge_words(popup: Popup, digest: Callable[[Popup], str]) -> tuple[str, str]:
    """Title and body of a reply's, an answer's or an acknowledgement's pop-up. `digest` words
    the body of a merged one ("Ann: …" a line)."""
    items = popup.items
    first, names = items[0], ", ".join(popup.names[:2]) + ("…" if len(popup.names) > 2 else "")
    if len(items) > 1:
        titles = {
            Kind.REPLY: tr("{count} replies from {names}"),
            Kind.ANSWER: tr("{count} of your replies were marked as answers"),
            Kind.ACK: tr("{count} posts to acknowledge from {names}"),
            Kind.ACK_NUDGE: tr("{count} reminders to acknowledge from {names}"),
        }
        return titles[popup.kind].format(count=len(items), names=names), digest(popup)
    name, body = first.shown, one_line(first.text, _BODY_TEXT)
    if popup.kind is Kind.REPLY:
        title = tr("{name} replied to a question") if first.question else tr("{name} replied")
        return title.format(name=name), body
    if popup.kind is Kind.ANSWER:
        return tr("{name} marked your reply as the answer").format(name=name), body
    if popup.kind is Kind.ACK:
        return tr("{name} asks you to acknowledge").format(name=name), body
    return tr("{name} reminds you to acknowledge").format(name=name), body


def questions_line(count: int) -> str:
    """The tray menu's line for open questions: "2 open questions"."""
    return tr("1 open question") if count == 1 else tr("{count} open questions").format(count=count)


def ack_line(item: FeedItem) -> str:
    """The tray menu's line for a post to acknowledge: "Acknowledge: Fire drill at 15:00…"."""
    return tr("Acknowledge: {text}").format(text=one_line(item.text, TRAY_TEXT))


def more_acks_line(count: int) -> str:
    """The tray menu's line for posts to acknowledge beyond those listed."""
    return tr("{count} more to acknowledge…").format(count=count)
