"""The engine's typed event stream, and its JSON form for `node --json` and `watch --json`.

msgspec Structs rather than frozen dataclasses: a Struct class is built in ~0.06 ms against
~1.7 ms, and these are built on every start (measured: 23 ms of import time before).

Events are emitted on the engine thread. `at` is when this node handled the event (POSIX time).
"""

from __future__ import annotations

import functools
import math
from datetime import UTC, datetime
from typing import Any

import msgspec

from hallway.core.knocks import KnockView
from hallway.core.meetups import Answer, EventView
from hallway.core.model import Post, Presence, Status
from hallway.core.names import labelled
from hallway.core.names import short_fingerprint as first_group
from hallway.core.quiet import QuietHours, clock_text


def iso(ts: float | None) -> str | None:
    """POSIX time as ISO 8601 in UTC with microseconds; None stays None. As `datetime`'s
    `isoformat(timespec="microseconds")` writes it (tests/unit/engine/test_engine_events.py), in
    less than half its time: every event line has one or two of these."""
    if ts is None:
        return None
    seconds = math.floor(ts)
    micro = round((ts - seconds) * 1e6)
    if micro == 1_000_000:  # rounded up to the next second, as datetime rounds
        seconds, micro = seconds + 1, 0
    return f"{_utc_second(seconds)}.{micro:06d}+00:00"


@functools.lru_cache(maxsize=8)
def _utc_second(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


class PeerView(msgspec.Struct, frozen=True):
    """A peer as the UI and the CLI see it. `own` marks this node's own entry.

    `look_alike`: its name reads like another member's (TR39 skeletons, `hallway.core.names`);
    `look_alikes` names (by id, at most `LOOK_ALIKES_SHOWN`) those others. `short_fingerprint`
    is the start of the fingerprint, long enough to tell it from every other look-alike.
    """

    id: str
    name: str
    fingerprint: str
    online: bool
    status: Status
    last_seen: float | None
    first_seen: float | None
    address: str
    verified: bool
    own: bool = False
    look_alike: bool = False
    look_alikes: tuple[str, ...] = ()
    short_fingerprint: str = ""
    via: str = ""  # issue 14: "seed", else "mdns", else "exchange" ("" if never met here)

    @property
    def presence(self) -> Presence:
        return self.status.presence

    @property
    def label(self) -> str:
        """The name, with the short fingerprint when another member's name reads alike."""
        return labelled(self.name, self.short_fingerprint or first_group(self.id), self.look_alike)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "fingerprint": self.fingerprint,
            "online": self.online,
            "presence": self.status.presence.value,
            "text": self.status.text,
            "emoji": self.status.emoji,
            "until": iso(self.status.until),
            "last_seen": iso(self.last_seen),
            "first_seen": iso(self.first_seen),
            "address": self.address,
            "verified": self.verified,
            "own": self.own,
            "look_alike": self.look_alike,
            "look_alikes": list(self.look_alikes),
            "short_fingerprint": self.short_fingerprint or first_group(self.id),
            "via": self.via,
        }


class FeedItem(msgspec.Struct, frozen=True):
    """One entry of the feed: a post or a status change, newest first when listed; or a reply
    (`type` "reply", `reply_to` its post's id), in a thread or a search's results.

    `name` is the name the item was posted under, not the author's current one. `look_alike`
    and `short_fingerprint` as in `PeerView`, for that name.

    Threads and acknowledgements: `replies` counts a post's replies and `last_reply_name` names
    the latest one's author; a `question`'s `answer` is the chosen reply's id. An `ack` post
    asks to be acknowledged: `acked` says whether we have, and `acks` is (acknowledged, of)
    on our own such posts. `edited` once its author changed its text.
    """

    id: str
    type: str  # "post", "status" or "reply"
    peer: str
    name: str
    at: float  # the author's timestamp
    text: str
    urgent: bool = False
    tags: tuple[str, ...] = ()
    presence: Presence | None = None
    emoji: str = ""
    own: bool = False
    look_alike: bool = False
    short_fingerprint: str = ""
    reply_to: str = ""
    replies: int = 0
    last_reply_name: str = ""
    question: bool = False
    answer: str | None = None
    ack: bool = False
    acked: bool = False
    acks: tuple[int, int] | None = None
    edited: bool = False

    @property
    def label(self) -> str:
        return labelled(
            self.name, self.short_fingerprint or first_group(self.peer), self.look_alike
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "peer": self.peer,
            "name": self.name,
            "at": iso(self.at),
            "text": self.text,
            "urgent": self.urgent,
            "tags": list(self.tags),
            "presence": self.presence.value if self.presence else None,
            "emoji": self.emoji,
            "own": self.own,
            "look_alike": self.look_alike,
            "short_fingerprint": self.short_fingerprint or first_group(self.peer),
            "reply_to": self.reply_to or None,
            "replies": self.replies,
            "last_reply_name": self.last_reply_name or None,
            "question": self.question,
            "answer": self.answer,
            "ack": self.ack,
            "acked": self.acked,
            **({"acks": {"n": self.acks[0], "of": self.acks[1]}} if self.acks else {}),
            "edited": self.edited,
        }


class Event(msgspec.Struct, frozen=True, kw_only=True):
    at: float

    type = "event"

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "at": iso(self.at), **self._fields()}

    def _fields(self) -> dict[str, Any]:
        return {}


class Named(Event, frozen=True, kw_only=True):
    """An event that names a peer. `look_alike` and `short_fingerprint` as in `PeerView`; the
    engine sets them only when the name reads like another member's."""

    name: str
    look_alike: bool = False
    short_fingerprint: str = ""

    @property
    def peer_id(self) -> str:
        raise NotImplementedError

    @property
    def label(self) -> str:
        return labelled(self.name, self.short_fingerprint, self.look_alike)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "at": iso(self.at),
            **self._fields(),
            "look_alike": self.look_alike,
            "short_fingerprint": self.short_fingerprint or first_group(self.peer_id),
        }


class Ready(Event, frozen=True, kw_only=True):
    type = "ready"
    peer: str
    name: str
    fingerprint: str
    public_key: str
    office: str | None
    router_port: int
    pub_port: int
    addresses: tuple[str, ...]

    def _fields(self) -> dict[str, Any]:
        return {
            "peer": self.peer,
            "name": self.name,
            "fingerprint": self.fingerprint,
            "public_key": self.public_key,
            "office": self.office,
            "router_port": self.router_port,
            "pub_port": self.pub_port,
            "addresses": list(self.addresses),
        }


class PeerOnline(Named, frozen=True, kw_only=True):
    type = "peer_online"
    peer: str
    address: str

    @property
    def peer_id(self) -> str:
        return self.peer

    def _fields(self) -> dict[str, Any]:
        return {"peer": self.peer, "name": self.name, "address": self.address}


class PeerOffline(Named, frozen=True, kw_only=True):
    type = "peer_offline"
    peer: str
    reason: str  # "bye", "disconnected" or "timeout"

    @property
    def peer_id(self) -> str:
        return self.peer

    def _fields(self) -> dict[str, Any]:
        return {"peer": self.peer, "name": self.name, "reason": self.reason}


class PeerRenamed(Named, frozen=True, kw_only=True):
    type = "peer_renamed"
    peer: str
    own: bool = False

    @property
    def peer_id(self) -> str:
        return self.peer

    def _fields(self) -> dict[str, Any]:
        return {"peer": self.peer, "name": self.name, "own": self.own}


class StatusChanged(Named, frozen=True, kw_only=True):
    type = "status"
    peer: str
    status: Status
    own: bool = False

    @property
    def peer_id(self) -> str:
        return self.peer

    def _fields(self) -> dict[str, Any]:
        return {
            "peer": self.peer,
            "name": self.name,
            "sent_at": iso(self.status.set_at),
            "presence": self.status.presence.value,
            "text": self.status.text,
            "emoji": self.status.emoji,
            "until": iso(self.status.until),
            "own": self.own,
        }


class StatusExpired(Named, frozen=True, kw_only=True):
    type = "status_expired"
    peer: str
    own: bool = False

    @property
    def peer_id(self) -> str:
        return self.peer

    def _fields(self) -> dict[str, Any]:
        return {"peer": self.peer, "name": self.name, "own": self.own}


class PostReceived(Named, frozen=True, kw_only=True):
    type = "post"
    post: Post
    own: bool = False
    live: bool = True  # False when it came from a snapshot (history), not as it happened

    @property
    def peer_id(self) -> str:
        return self.post.peer

    def _fields(self) -> dict[str, Any]:
        return {
            "peer": self.post.peer,
            "name": self.name,
            "sent_at": iso(self.post.sent_at),
            "id": self.post.id,
            "text": self.post.text,
            "urgent": self.post.urgent,
            "tags": list(self.post.tags),
            "question": self.post.question,
            "ack": self.post.ack,
            "own": self.own,
            "live": self.live,
        }


class EventChanged(Named, frozen=True, kw_only=True):
    """An office event was created, edited or cancelled. `name` is its organiser's; `live` is
    False when it came in a snapshot (history, or while we were away), not as it happened."""

    type = "event"
    change: str  # "created", "edited" or "cancelled"
    event: EventView
    own: bool = False
    live: bool = True

    @property
    def peer_id(self) -> str:
        return self.event.organiser

    def _fields(self) -> dict[str, Any]:
        return {
            "change": self.change,
            "name": self.name,
            "event": self.event.to_json(),
            "own": self.own,
            "live": self.live,
        }


class RsvpChanged(Named, frozen=True, kw_only=True):
    """`peer` (named `name`) answered the event `event` (its id)."""

    type = "rsvp"
    peer: str
    event: str
    title: str
    answer: Answer
    own: bool = False

    @property
    def peer_id(self) -> str:
        return self.peer

    def _fields(self) -> dict[str, Any]:
        return {
            "peer": self.peer,
            "name": self.name,
            "event": self.event,
            "title": self.title,
            "answer": self.answer.value,
            "own": self.own,
        }


class SeatGained(Named, frozen=True, kw_only=True):
    """`peer` moved from the waitlist to a seat; `own`: that is us."""

    type = "seat"
    peer: str
    event: str
    title: str
    own: bool = False

    @property
    def peer_id(self) -> str:
        return self.peer

    def _fields(self) -> dict[str, Any]:
        return {
            "peer": self.peer,
            "name": self.name,
            "event": self.event,
            "title": self.title,
            "own": self.own,
        }


class Reminder(Event, frozen=True, kw_only=True):
    """An event we go to or organise starts in `event.remind` seconds."""

    type = "reminder"
    event: EventView

    def _fields(self) -> dict[str, Any]:
        return {"event": self.event.to_json()}


# threads, answers and acknowledgements (issue 11) ------------------------------------------------


class ReplyReceived(Named, frozen=True, kw_only=True):
    """A reply in the thread of `thread` (a post's id, written by `thread_author`). `involved`:
    the thread is ours or we replied in it before, so its author wants to hear of it."""

    type = "reply"
    reply: Post
    thread_author: str
    question: bool = False  # the thread's post is a question
    involved: bool = False
    own: bool = False
    live: bool = True

    @property
    def peer_id(self) -> str:
        return self.reply.peer

    def _fields(self) -> dict[str, Any]:
        return {
            "peer": self.reply.peer,
            "name": self.name,
            "id": self.reply.id,
            "reply_to": self.reply.reply_to,
            "sent_at": iso(self.reply.sent_at),
            "text": self.reply.text,
            "thread_author": self.thread_author,
            "question": self.question,
            "involved": self.involved,
            "own": self.own,
            "live": self.live,
        }


class AnswerChosen(Named, frozen=True, kw_only=True):
    """The author of the question `question` (`peer`, named `name`) chose the reply `reply` as
    its answer ("" when the choice was withdrawn); `reply_peer` wrote it. `mine`: that is us."""

    type = "answer"
    peer: str
    question: str
    text: str  # the question's text
    reply: str
    reply_peer: str = ""
    own: bool = False
    mine: bool = False
    live: bool = True  # False when it came in a snapshot (history, or while we were away)

    @property
    def peer_id(self) -> str:
        return self.peer

    def _fields(self) -> dict[str, Any]:
        return {
            "peer": self.peer,
            "name": self.name,
            "question": self.question,
            "text": self.text,
            "reply": self.reply or None,
            "reply_peer": self.reply_peer or None,
            "own": self.own,
            "mine": self.mine,
            "live": self.live,
        }


class AckReceived(Named, frozen=True, kw_only=True):
    """`peer` (named `name`) acknowledged the post `post`. On our own post, `acks` is the
    count now: (acknowledged, of)."""

    type = "ack"
    peer: str
    post: str
    own: bool = False  # we acknowledged
    acks: tuple[int, int] | None = None

    @property
    def peer_id(self) -> str:
        return self.peer

    def _fields(self) -> dict[str, Any]:
        return {
            "peer": self.peer,
            "name": self.name,
            "post": self.post,
            "own": self.own,
            **({"acks": {"n": self.acks[0], "of": self.acks[1]}} if self.acks else {}),
        }


class AckNudged(Named, frozen=True, kw_only=True):
    """The author of `post` (which we have not acknowledged) asked us once more to."""

    type = "ack_reminder"
    post: Post

    @property
    def peer_id(self) -> str:
        return self.post.peer

    def _fields(self) -> dict[str, Any]:
        return {
            "peer": self.post.peer,
            "name": self.name,
            "id": self.post.id,
            "text": self.post.text,
        }


class ItemEdited(Named, frozen=True, kw_only=True):
    """Its author changed the text of a post or a reply (`reply_to`: the reply's post)."""

    type = "edited"
    peer: str
    id: str
    text: str
    reply_to: str = ""
    own: bool = False

    @property
    def peer_id(self) -> str:
        return self.peer

    def _fields(self) -> dict[str, Any]:
        return {
            "peer": self.peer,
            "name": self.name,
            "id": self.id,
            "text": self.text,
            "reply_to": self.reply_to or None,
            "own": self.own,
        }


class ItemDeleted(Named, frozen=True, kw_only=True):
    """Its author deleted a post or a reply: no text of it is left here."""

    type = "deleted"
    peer: str
    id: str
    reply_to: str = ""
    own: bool = False

    @property
    def peer_id(self) -> str:
        return self.peer

    def _fields(self) -> dict[str, Any]:
        return {
            "peer": self.peer,
            "name": self.name,
            "id": self.id,
            "reply_to": self.reply_to or None,
            "own": self.own,
        }


class _KnockEvent(Named, frozen=True, kw_only=True):
    """An event about one knock; `name` is the other side's (`knock.peer`)."""

    knock: KnockView

    @property
    def peer_id(self) -> str:
        return self.knock.peer

    def _fields(self) -> dict[str, Any]:
        return {"peer": self.knock.peer, "name": self.name, "knock": self.knock.to_json()}


class KnockReceived(_KnockEvent, frozen=True, kw_only=True):
    """A colleague's knock to show now (with the quick replies): at once, or when the Do not
    disturb or quiet hours that held it end."""

    type = "knock"


class KnockDelivered(_KnockEvent, frozen=True, kw_only=True):
    """Our knock reached its recipient. `held`: it shows only when their Do not disturb
    (`reason` "dnd") or quiet hours ("quiet") end; `core.knocks.held_note` says so."""

    type = "knock_delivered"
    held: bool = False
    reason: str = ""

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "held": self.held, "reason": self.reason or None}


class KnockReplied(_KnockEvent, frozen=True, kw_only=True):
    """The recipient of our knock replied (`knock.reply`)."""

    type = "knock_reply"


class KnockExpired(_KnockEvent, frozen=True, kw_only=True):
    """Our knock could not be delivered within its time (12 h) and is given up."""

    type = "knock_expired"


class QuietChanged(Event, frozen=True, kw_only=True):
    """This machine's quiet hours were set (`quiet`) or switched off (None), by the app or by
    `hallway quiet`: whoever shows pop-ups follows them."""

    type = "quiet_hours"
    quiet: QuietHours | None

    def _fields(self) -> dict[str, Any]:
        quiet = self.quiet
        if quiet is None:
            return {"quiet": None}
        window = {"start": clock_text(quiet.start), "end": clock_text(quiet.end)}
        return {"quiet": {**window, "weekends": quiet.weekends, "text": quiet.describe()}}


class NodeWarning(Event, frozen=True, kw_only=True):
    """Something people should know. `code` names a lasting condition (OTHER_OFFICE) that a
    later `WarningCleared` with the same code ends; one-off warnings have no code."""

    type = "warning"
    message: str
    peer: str | None = None
    code: str | None = None

    def _fields(self) -> dict[str, Any]:
        return {"message": self.message, "peer": self.peer, "code": self.code}


# Hallway services are nearby, but none of them is in our office (wrong passphrase or office name).
OTHER_OFFICE = "other_office"
# A node nearby speaks an older protocol; it is ignored until it is updated.
OLD_PROTOCOL = "old_protocol"


class WarningCleared(Event, frozen=True, kw_only=True):
    """The condition an earlier `NodeWarning` with this `code` reported has ended."""

    type = "warning_cleared"
    code: str

    def _fields(self) -> dict[str, Any]:
        return {"code": self.code}


class Stopped(Event, frozen=True, kw_only=True):
    type = "stopped"
