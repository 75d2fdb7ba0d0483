"""Pop-up candidates for knowledge sharing (issue 11): pure, no Qt, like `notify_policy`.

- a reply pops up for the author of its post and for anyone who replied in that thread before
  (the engine says so: `ReplyReceived.involved`), never for our own replies or history;
- our reply chosen as a question's answer pops up ("Ann marked your reply as the answer");
- a post asking to be acknowledged pops up with an Acknowledge action (`Kind.ACK`, or
  `Kind.URGENT` carrying `ack`: urgent posts keep their own rules), and once more when its author
  clicks "Remind" (`AckNudged`).

A reply's pop-up, and an answer's, name their thread as `thread_item(post, reply)`, so a click
opens the thread rather than looking for the reply among the feed's posts.
"""

from __future__ import annotations

from typing import Final

from hallway.engine.events import AckNudged, AnswerChosen, Event, ReplyReceived
from hallway.ui.notify_policy import Candidate, Kind

#: The key of a pop-up's Acknowledge action.
ACK_KEY: Final = "acknowledge"
#: A pop-up about a reply names it by this prefix, its post's id, "/" and the reply's id.
THREAD_PREFIX: Final = "thread:"


def thread_item(post_id: str, reply_id: str = "") -> str:
    """The item id of a pop-up that opens `post_id`'s thread (on the reply `reply_id`)."""
    return f"{THREAD_PREFIX}{post_id}/{reply_id}"


def thread_of(item_id: str | None) -> tuple[str, str] | None:
    """The (post id, reply id) a `thread_item` names, else None ("" when no reply is named)."""
    if item_id is None or not item_id.startswith(THREAD_PREFIX):
        return None
    post, _, reply = item_id.removeprefix(THREAD_PREFIX).partition("/")
    return (post, reply) if post else None


def knowledge_candidate(event: Event) -> Candidate | None:
    """The pop-up a reply, an answer or an acknowledgement reminder makes, if any."""
    match event:
        case ReplyReceived(own=False, live=True, involved=True):
            reply = event.reply
            return Candidate(Kind.REPLY, reply.peer, event.name, reply.text,
                             thread_item(reply.reply_to, reply.id),
                             question=event.question)  # fmt: skip
        case AnswerChosen(own=False, mine=True) if event.reply:
            return Candidate(Kind.ANSWER, event.peer, event.name, event.text,
                             thread_item(event.question, event.reply), question=True)  # fmt: skip
        case AckNudged():
            post = event.post
            return Candidate(Kind.ACK_NUDGE, post.peer, event.name, post.text, post.id, ack=True,
                             question=post.question)  # fmt: skip
    return None
