"""The control protocol, version 1: JSON lines over the owner-only socket in a home.

A request is one line, `{"v": 1, "cmd": "...", "args": {...}}`, at most `MAX_REQUEST` bytes.
A reply is one line: `{"ok": true, "result": ...}`, or
`{"ok": false, "error": "...", "code": "..."}`.
Event commands (issue 10) take and return the event object of `EventView.to_json()`; `event_ics`
returns the iCalendar text as one string. Knock commands (issue 12) return `KnockView.to_json()`;
`knock` takes the peer as people write it (a name, a unique prefix of a name or id, an id).
`quiet_set` and `quiet_off` change the running node's quiet hours (the CLI saves config.toml).
Knowledge commands (issue 11): `post`, `reply`, `answer`, `ack` and `edit` return the item in the
form of `FeedItem.to_json()` (`post` and `reply` add `sent_at`); `acks` and `remind_acks` return
`AckView.to_json()`, `thread` `ThreadView.to_json()`, `search` a list of `SearchHit.to_json()`,
`attention` `Attention.to_json()`, and `delete` `{"deleted": ID}`.
`status_get` returns our own `PeerView.to_json()` with `office_online`, `{"online": N,
"networks": M}` (`hallway.control.office`; a client falls back to counting for a node without it).
After a successful `watch` reply the server streams events, one JSON object per line, in the form
of `Event.to_json()`, until either side closes the connection.

The limits, reply codes, errors, and the client's side (`encode_request`, `decode_reply`,
`decode_event`) are `hallway.control.transport`'s, re-exported here: the typed requests below need
msgspec, which a client command should not pay for.

`decode_request` takes bytes from outside and either returns a typed, size-limited request or
raises `RequestError` with a code and a message for people. Nothing else escapes, whatever the
input.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

import msgspec

from hallway.control import transport as _transport
from hallway.core.emoji import EMOJI_EXAMPLES, is_emoji
from hallway.core.errors import DurationError
from hallway.core.knocks import KNOCK_TEXT_MAX
from hallway.core.knowledge import SEARCH_WORDS_MAX
from hallway.core.meetups import (
    CAPACITY_MAX,
    DEFAULT_DURATION,
    DEFAULT_REMIND,
    DURATION_MAX,
    NOTE_MAX,
    PLACE_MAX,
    REMIND_MAX,
    TITLE_MAX,
    Answer,
)
from hallway.core.model import Presence
from hallway.core.quiet import QuietHours, parse_quiet
from hallway.core.wire import Emoji, PostText, StatusText, Timestamp

# The light half, shared with the client (which must not import msgspec), is transport's.
BAD_REQUEST: Final = _transport.BAD_REQUEST
EVENT_ID_MAX: Final = _transport.EVENT_ID_MAX
FEED_LIMIT_MAX: Final = _transport.FEED_LIMIT_MAX
INTERNAL: Final = _transport.INTERNAL
MAX_REPLY: Final = _transport.MAX_REPLY
MAX_REQUEST: Final = _transport.MAX_REQUEST
NODE_ERROR: Final = _transport.NODE_ERROR
TOO_LARGE: Final = _transport.TOO_LARGE
UNSUPPORTED: Final = _transport.UNSUPPORTED
UNSUPPORTED_VERSION: Final = _transport.UNSUPPORTED_VERSION
VERSION: Final = _transport.VERSION
ControlError = _transport.ControlError
NotRunning = _transport.NotRunning
Reply = _transport.Reply
decode_event = _transport.decode_event
decode_reply = _transport.decode_reply
encode_request = _transport.encode_request


FeedLimit = Annotated[int, msgspec.Meta(ge=1, le=FEED_LIMIT_MAX)]
EventId = Annotated[str, msgspec.Meta(min_length=1, max_length=EVENT_ID_MAX)]
EventTitle = Annotated[str, msgspec.Meta(min_length=1, max_length=TITLE_MAX)]
Place = Annotated[str, msgspec.Meta(max_length=PLACE_MAX)]
Note = Annotated[str, msgspec.Meta(max_length=NOTE_MAX)]
Capacity = Annotated[int, msgspec.Meta(ge=1, le=CAPACITY_MAX)]
EventDuration = Annotated[float, msgspec.Meta(gt=0, le=DURATION_MAX)]
Remind = Annotated[float, msgspec.Meta(ge=0, le=REMIND_MAX)]
Version = Annotated[int, msgspec.Meta(ge=0, le=2**31)]
PeerText = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
KnockText = Annotated[str, msgspec.Meta(max_length=4 * KNOCK_TEXT_MAX)]  # the node cleans it
KnockId = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{16}$")]
ClockText = Annotated[str, msgspec.Meta(pattern="^[0-9]{1,2}:[0-9]{2}$")]
# A post's or a reply's id has the form of an event's; the engine says whether it knows it.
ItemId = Annotated[str, msgspec.Meta(min_length=1, max_length=EVENT_ID_MAX)]
# Room for every word at its longest; the node refuses a search with no word or too many.
SearchWords = Annotated[str, msgspec.Meta(min_length=1, max_length=64 * SEARCH_WORDS_MAX)]


class RequestError(ControlError):
    """A request that could not be decoded; the server answers it with an error reply."""


# Arguments ------------------------------------------------------------------------------------


class NoArgs(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pass


class StatusSetArgs(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    presence: Presence
    text: StatusText = ""
    emoji: Emoji = ""
    until: Timestamp | None = None


class PostArgs(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    text: PostText
    urgent: bool = False
    question: bool = False
    ack: bool = False


class FeedArgs(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    limit: FeedLimit = 50
    questions: bool = False  # only the open questions


class ItemArgs(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: ItemId


class ItemTextArgs(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """`reply` (id: the post replied to) and `edit` (id: the item changed)."""

    id: ItemId
    text: PostText


class SearchArgs(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    words: SearchWords
    limit: FeedLimit = 50


class EventCreateArgs(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    title: EventTitle
    start: Timestamp
    duration: EventDuration = DEFAULT_DURATION
    where: Place = ""
    capacity: Capacity | None = None
    note: Note = ""
    remind: Remind = DEFAULT_REMIND


class EventsArgs(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    include_past: bool = False


class EventIdArgs(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: EventId


class RsvpArgs(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: EventId
    answer: Answer


class EventEditArgs(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Only the fields given change; `clear_capacity` removes the limit on seats."""

    id: EventId
    title: EventTitle | None = None
    start: Timestamp | None = None
    duration: EventDuration | None = None
    where: Place | None = None
    capacity: Capacity | None = None
    note: Note | None = None
    remind: Remind | None = None
    clear_capacity: bool = False


class EventIcsArgs(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One event, or (`id` None) every upcoming one."""

    id: EventId | None = None


class KnockArgs(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    peer: PeerText
    text: KnockText = ""
    urgent: bool = False


class KnockReplyArgs(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: KnockId
    reply: Annotated[str, msgspec.Meta(min_length=1, max_length=4 * KNOCK_TEXT_MAX)]


class QuietArgs(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    start: ClockText
    end: ClockText
    weekends: bool = False


# Requests: a tagged union on "cmd" ------------------------------------------------------------


class _Request(msgspec.Struct, frozen=True, tag_field="cmd", forbid_unknown_fields=True):
    v: Version


class StatusGet(_Request, frozen=True, tag="status_get"):
    args: NoArgs = NoArgs()


class StatusSet(_Request, frozen=True, tag="status_set"):
    args: StatusSetArgs


class StatusClear(_Request, frozen=True, tag="status_clear"):
    args: NoArgs = NoArgs()


class PostRequest(_Request, frozen=True, tag="post"):
    args: PostArgs


class Peers(_Request, frozen=True, tag="peers"):
    args: NoArgs = NoArgs()


class Feed(_Request, frozen=True, tag="feed"):
    args: FeedArgs = FeedArgs()


class Watch(_Request, frozen=True, tag="watch"):
    args: NoArgs = NoArgs()


class Ping(_Request, frozen=True, tag="ping"):
    args: NoArgs = NoArgs()


class Show(_Request, frozen=True, tag="show"):
    args: NoArgs = NoArgs()


class EventCreate(_Request, frozen=True, tag="event_create"):
    args: EventCreateArgs


class Events(_Request, frozen=True, tag="events"):
    args: EventsArgs = EventsArgs()


class EventShow(_Request, frozen=True, tag="event"):
    args: EventIdArgs


class EventRsvp(_Request, frozen=True, tag="event_rsvp"):
    args: RsvpArgs


class EventEdit(_Request, frozen=True, tag="event_edit"):
    args: EventEditArgs


class EventCancel(_Request, frozen=True, tag="event_cancel"):
    args: EventIdArgs


class EventIcs(_Request, frozen=True, tag="event_ics"):
    args: EventIcsArgs = EventIcsArgs()


class KnockRequest(_Request, frozen=True, tag="knock"):
    args: KnockArgs


class Knocks(_Request, frozen=True, tag="knocks"):
    args: NoArgs = NoArgs()


class KnockReplyRequest(_Request, frozen=True, tag="knock_reply"):
    args: KnockReplyArgs


class QuietSet(_Request, frozen=True, tag="quiet_set"):
    args: QuietArgs


class QuietOff(_Request, frozen=True, tag="quiet_off"):
    args: NoArgs = NoArgs()


class ReplyRequest(_Request, frozen=True, tag="reply"):
    args: ItemTextArgs


class AnswerRequest(_Request, frozen=True, tag="answer"):
    args: ItemArgs


class AckRequest(_Request, frozen=True, tag="ack"):
    args: ItemArgs


class Acks(_Request, frozen=True, tag="acks"):
    args: ItemArgs


class RemindAcks(_Request, frozen=True, tag="remind_acks"):
    args: ItemArgs


class Thread(_Request, frozen=True, tag="thread"):
    args: ItemArgs


class EditRequest(_Request, frozen=True, tag="edit"):
    args: ItemTextArgs


class DeleteRequest(_Request, frozen=True, tag="delete"):
    args: ItemArgs


class Search(_Request, frozen=True, tag="search"):
    args: SearchArgs


class AttentionRequest(_Request, frozen=True, tag="attention"):
    args: NoArgs = NoArgs()


Request = (
    StatusGet
    | StatusSet
    | StatusClear
    | PostRequest
    | Peers
    | Feed
    | Watch
    | Ping
    | Show
    | EventCreate
    | Events
    | EventShow
    | EventRsvp
    | EventEdit
    | EventCancel
    | EventIcs
    | KnockRequest
    | Knocks
    | KnockReplyRequest
    | QuietSet
    | QuietOff
    | ReplyRequest
    | AnswerRequest
    | AckRequest
    | Acks
    | RemindAcks
    | Thread
    | EditRequest
    | DeleteRequest
    | Search
    | AttentionRequest
)

COMMANDS: Final = (
    "status_get",
    "status_set",
    "status_clear",
    "post",
    "peers",
    "feed",
    "watch",
    "ping",
    "show",
    "event_create",
    "events",
    "event",
    "event_rsvp",
    "event_edit",
    "event_cancel",
    "event_ics",
    "knock",
    "knocks",
    "knock_reply",
    "quiet_set",
    "quiet_off",
    "reply",
    "answer",
    "ack",
    "acks",
    "remind_acks",
    "thread",
    "edit",
    "delete",
    "search",
    "attention",
)


class _Probe(msgspec.Struct):
    """Only the version, so a request from a newer client gets the right error."""

    v: Version


_decoder: Final[msgspec.json.Decoder[Request]] = msgspec.json.Decoder(Request)
_probe: Final = msgspec.json.Decoder(_Probe)


def decode_request(line: bytes) -> Request:
    """One request line (without or with its newline) into a typed request, or `RequestError`."""
    if len(line) > MAX_REQUEST:
        raise RequestError(f"request is larger than {MAX_REQUEST} bytes", TOO_LARGE)
    try:
        request = _decoder.decode(line)
    except msgspec.ValidationError as exc:
        _check_version(line)
        raise RequestError(f"invalid request: {exc}", BAD_REQUEST) from None
    except msgspec.DecodeError as exc:
        raise RequestError(f"request is not valid JSON: {exc}", BAD_REQUEST) from None
    except UnicodeDecodeError:  # msgspec 0.22 raises this bare for a str that is not UTF-8
        raise RequestError("request is not valid UTF-8", BAD_REQUEST) from None
    except RecursionError:  # msgspec's depth limit: deep nesting, e.g. in an unknown field
        raise RequestError("request is nested too deeply", BAD_REQUEST) from None
    if request.v != VERSION:
        raise RequestError(_version_message(request.v), UNSUPPORTED_VERSION)
    if isinstance(request, StatusSet) and request.args.emoji and not is_emoji(request.args.emoji):
        raise RequestError(
            f"invalid request: the emoji must be exactly one emoji, such as {EMOJI_EXAMPLES}",
            BAD_REQUEST,
        )
    if (
        isinstance(request, EventEdit)
        and request.args.clear_capacity
        and request.args.capacity is not None
    ):
        raise RequestError("invalid request: give a capacity or clear it, not both", BAD_REQUEST)
    if isinstance(request, QuietSet):
        try:
            quiet_of(request.args)
        except DurationError as exc:
            raise RequestError(f"invalid request: {exc}", BAD_REQUEST) from None
    return request


def quiet_of(args: QuietArgs) -> QuietHours:
    """The quiet hours a `quiet_set` request names; DurationError when they are not valid."""
    return parse_quiet(f"{args.start}-{args.end}", weekends=args.weekends)


def _check_version(line: bytes) -> None:
    try:
        version = _probe.decode(line).v
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return
    if version != VERSION:
        raise RequestError(_version_message(version), UNSUPPORTED_VERSION)


def _version_message(version: int) -> str:
    return f"control protocol version {version} is not supported; this Hallway speaks {VERSION}"


# Replies --------------------------------------------------------------------------------------


def encode_ok(result: Any) -> bytes:
    return msgspec.json.encode({"ok": True, "result": result}) + b"\n"


def encode_error(message: str, code: str) -> bytes:
    return msgspec.json.encode({"ok": False, "error": message, "code": code}) + b"\n"


def encode_event(event: dict[str, Any]) -> bytes:
    return msgspec.json.encode(event) + b"\n"
