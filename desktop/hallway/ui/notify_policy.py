"""What pops up, and when: a pure policy (no Qt, injected clock), plus the `Notifier` seam.

Rules, from the tray-app spec:
- every post pops up, and every urgent post (urgent ones at critical urgency);
- status changes pop up only for people you follow;
- a colleague coming online pops up only if asked for (off by default);
- a new event pops up (with Going / Maybe / Not going where the desktop offers actions); so do
  your seat when you move up from the waitlist, a move or cancellation of an event you are going
  to, and an event's reminder;
- your own Do not disturb, "Pause notifications", or quiet hours (`QuietHours`, a daily window
  of this machine's own) hold back everything except urgent posts; an urgent knock gets through
  Do not disturb and the pause, never through quiet hours. Held items are not popped up (they
  are in the feed already) but counted, and when the silence ends one digest pop-up sums them
  up: "While you were away: 3 posts, 1 event, 1 knock, 5 status changes";
- knocks pop up (with Yes / In 5 min / Not now where the desktop offers actions), and so do a
  reply to ours, a note that ours is held until its recipient is back, and its expiry;
- knowledge sharing (`hallway.ui.knowledge_popups`): replies in threads we are involved in, our
  reply chosen as an answer, and posts asking us to acknowledge them (again on their author's
  "Remind"), with an Acknowledge action;
- bursts coalesce: the first item of a kind shows at once, and whatever of that kind arrives in the
  next `window` seconds is shown as one pop-up when the window ends ("4 new posts from Ann, Ben…").
  Urgent posts are never delayed or merged.

The policy returns `Popup` values; `hallway.ui.notifications` words them (translatably) and hands
them to a `Notifier`.
"""

from __future__ import annotations

import enum
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal, Protocol

from hallway.core.meetups import Answer, EventView
from hallway.core.model import Presence
from hallway.core.names import LOOK_ALIKE_MARK
from hallway.core.quiet import QuietHours
from hallway.engine.events import (
    Event,
    EventChanged,
    KnockDelivered,
    KnockExpired,
    KnockReceived,
    KnockReplied,
    Named,
    PeerOnline,
    PostReceived,
    Reminder,
    SeatGained,
    StatusChanged,
)

Urgency = Literal["normal", "critical"]
Clock = Callable[[], float]
LocalTime = Callable[[float], datetime]

DEFAULT_WINDOW = 10.0
#: A knock's pop-up names its knock by this prefix and the knock's id, so a click or an action
#: on it is told apart from a feed item's.
KNOCK_PREFIX = "knock:"
#: Events whose start the policy remembers (to tell a move from another edit); the oldest go.
REMEMBERED_EVENTS = 4096


@dataclass(frozen=True, slots=True)
class PopupImage:
    """A pop-up's picture (the person's avatar): 8-bit RGBA, rows `width * 4` bytes long, not
    premultiplied, as the freedesktop `image-data` hint wants it. No Qt, so D-Bus code can use it.
    """

    width: int
    height: int
    rgba: bytes


class Notifier(Protocol):
    """Shows a desktop pop-up. The seam between the policy and the platform.

    `title` and `body` are plain text: a notifier whose server interprets body markup (the
    freedesktop `body-markup` capability) must escape them. `item_id` names the feed item or peer
    the pop-up is about (None for a merged pop-up without a single item). `image`, when given,
    is the picture to show instead of the app's icon. When the person clicks a pop-up, the
    notifier calls `on_activated(item_id)`, from any thread.

    `actions` are buttons, (key, label) pairs, for a notifier whose `supports_actions` is true
    (others ignore them); choosing one calls `on_action(item_id, key)`, from any thread.
    """

    on_activated: Callable[[str | None], None] | None
    on_action: Callable[[str | None, str], None] | None

    @property
    def supports_actions(self) -> bool: ...

    def notify(
        self,
        title: str,
        body: str,
        urgency: Urgency,
        item_id: str | None,
        image: PopupImage | None = None,
        *,
        actions: Sequence[tuple[str, str]] = (),
    ) -> None: ...

    def close(self) -> None: ...


class Kind(enum.StrEnum):
    POST = "post"
    URGENT = "urgent"
    STATUS = "status"
    ONLINE = "online"
    EVENT = "event"  # a new event
    SEAT = "seat"  # we moved up from the waitlist
    EVENT_MOVED = "event_moved"  # an event we go to changed its time
    EVENT_CANCELLED = "event_cancelled"  # an event we go to was cancelled
    REMINDER = "reminder"
    KNOCK = "knock"  # a colleague knocks on our door
    KNOCK_REPLY = "knock_reply"  # an answer to our knock
    KNOCK_HELD = "knock_held"  # our knock waits until its recipient leaves Do not disturb
    KNOCK_EXPIRED = "knock_expired"  # our knock was not delivered in time
    REPLY = "reply"  # a reply in a thread that is ours or that we replied in
    ANSWER = "answer"  # our reply was chosen as a question's answer
    ACK = "ack"  # a post asks us to acknowledge it
    ACK_NUDGE = "ack_nudge"  # its author reminds us to acknowledge a post
    DIGEST = "digest"  # what silence held back, counted


#: What the digest counts each held kind as ("3 posts, 1 event, 1 knock, 5 status changes").
DIGEST_PARTS: dict[Kind, str] = {
    Kind.POST: "posts",
    Kind.EVENT: "events",
    Kind.SEAT: "events",
    Kind.EVENT_MOVED: "events",
    Kind.EVENT_CANCELLED: "events",
    Kind.REMINDER: "events",
    Kind.KNOCK: "knocks",
    Kind.KNOCK_REPLY: "knocks",
    Kind.KNOCK_HELD: "knocks",
    Kind.KNOCK_EXPIRED: "knocks",
    Kind.STATUS: "statuses",
    Kind.REPLY: "replies",
    Kind.ANSWER: "answers",
    Kind.ACK: "acks",  # a post and its reminders count once (see `NotifyPolicy._count`)
    Kind.ACK_NUDGE: "acks",
}


@dataclass(frozen=True, slots=True)
class Held:
    """How many pop-ups of each part of the digest silence held back."""

    posts: int = 0
    events: int = 0
    knocks: int = 0
    statuses: int = 0
    replies: int = 0
    acks: int = 0  # posts to acknowledge
    answers: int = 0  # our replies chosen as answers


@dataclass(frozen=True, slots=True)
class NotifyPrefs:
    """Which kinds pop up (`Config.notifications`) and whom the person follows."""

    posts: bool = True
    urgent: bool = True
    followed_status: bool = True
    online: bool = False
    events: bool = True
    followed: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Candidate:
    """Something that might pop up."""

    kind: Kind
    peer: str
    name: str
    text: str = ""
    item_id: str | None = None
    emoji: str = ""
    presence: Presence | None = None
    label: str = ""  # "Bob (3f9a) ⚠" when the name reads like another member's
    event: EventView | None = None  # the event, for the event kinds that carry it
    urgent: bool = False  # an urgent knock (an urgent post has its own kind)
    held: str = ""  # why our knock is held: "dnd" or "quiet" (`KnockView.held`)
    ack: bool = False  # the post asks us to acknowledge it (its pop-up offers that)
    question: bool = False  # the post is a question

    @property
    def shown(self) -> str:
        """The name as a pop-up shows it."""
        return self.label or self.name


@dataclass(frozen=True, slots=True)
class Popup:
    """One pop-up to show: a single item, or several of one kind merged."""

    kind: Kind
    items: tuple[Candidate, ...]
    held: Held | None = None  # what a digest sums up

    @property
    def urgency(self) -> Urgency:
        urgent = self.kind is Kind.URGENT or any(item.urgent for item in self.items)
        return "critical" if urgent else "normal"

    @property
    def item_id(self) -> str | None:
        """The item to open on click: the newest one."""
        return self.items[-1].item_id if self.items else None

    @property
    def names(self) -> tuple[str, ...]:
        """The distinct names involved, as shown, in order of first appearance."""
        return tuple(dict.fromkeys(item.shown for item in self.items))


def candidate_for(event: Event) -> Candidate | None:
    """The pop-up candidate an engine event makes, if any (own events and history make none).
    A name that reads like another member's is shown with its short fingerprint and a mark."""
    candidate = _candidate(event)
    return _labelled(candidate, event) if candidate is not None else None


def _labelled(candidate: Candidate, event: Event) -> Candidate:
    if not isinstance(event, Named) or not event.look_alike:
        return candidate
    return replace(candidate, label=f"{event.label} {LOOK_ALIKE_MARK}")


def _candidate(event: Event) -> Candidate | None:
    match event:
        case PostReceived(own=False, live=True):
            post = event.post
            kind = Kind.URGENT if post.urgent else Kind.ACK if post.ack else Kind.POST
            return Candidate(kind, post.peer, event.name, post.text, post.id, ack=post.ack,
                             question=post.question)  # fmt: skip
        case StatusChanged(own=False):
            status = event.status
            return Candidate(
                Kind.STATUS,
                event.peer,
                event.name,
                status.text,
                event.peer,
                emoji=status.emoji,
                presence=status.presence,
            )
        case PeerOnline():
            return Candidate(Kind.ONLINE, event.peer, event.name, item_id=event.peer)
    from hallway.ui.knowledge_popups import knowledge_candidate  # it builds on this module

    return _event_candidate(event) or _knock_candidate(event) or knowledge_candidate(event)


def _knock_candidate(event: Event) -> Candidate | None:
    """A knock on our door, or news of one of ours (its reply, a hold, its expiry)."""
    if not isinstance(event, KnockReceived | KnockDelivered | KnockReplied | KnockExpired):
        return None
    knock = event.knock
    match event:
        case KnockReceived() if not knock.outgoing:
            return Candidate(Kind.KNOCK, knock.peer, event.name, knock.text,
                             KNOCK_PREFIX + knock.id, urgent=knock.urgent)  # fmt: skip
        case KnockDelivered(held=True) if knock.outgoing:
            return Candidate(Kind.KNOCK_HELD, knock.peer, event.name, knock.text, knock.peer,
                             held=event.reason or knock.held)  # fmt: skip
        case KnockReplied() if knock.outgoing:
            return Candidate(Kind.KNOCK_REPLY, knock.peer, event.name, knock.reply or "",
                             knock.peer)  # fmt: skip
        case KnockExpired() if knock.outgoing:
            return Candidate(Kind.KNOCK_EXPIRED, knock.peer, event.name, knock.text, knock.peer)
    return None


def _event_candidate(event: Event) -> Candidate | None:
    match event:
        case EventChanged(change="created", own=False, live=True):
            view = event.event
            return Candidate(Kind.EVENT, view.organiser, event.name, view.title, view.id,
                             event=view)  # fmt: skip
        case SeatGained(own=True):
            return Candidate(Kind.SEAT, event.peer, event.name, event.title, event.event)
        case Reminder():
            view = event.event
            return Candidate(Kind.REMINDER, view.organiser, view.organiser_name, view.title,
                             view.id, event=view)  # fmt: skip
    return None


def _change_candidate(event: EventChanged, before: tuple[float, float] | None) -> Candidate | None:
    """A move or cancellation of an event we are going to (not our own), else None.
    `before` is the start and end the policy knew (None: it never saw the event)."""
    view = event.event
    if event.own or view.own or view.mine is not Answer.GOING:
        return None
    if event.change == "cancelled":
        kind = Kind.EVENT_CANCELLED
    elif event.change == "edited" and before is not None and before != (view.start, view.end):
        kind = Kind.EVENT_MOVED
    else:
        return None
    return Candidate(kind, view.organiser, event.name, view.title, view.id, event=view)


def _local_time(when: float) -> datetime:
    return datetime.fromtimestamp(when).astimezone()


class NotifyPolicy:
    """Decides which pop-ups to show. Feed it events; show what it returns; call `due()` at
    `next_deadline()` to release merged pop-ups and the digest.

    `clock` gives POSIX time, `local` turns it into this machine's local time (quiet hours are
    local); tests inject both.
    """

    def __init__(
        self,
        prefs: NotifyPrefs | None = None,
        *,
        clock: Clock = time.time,
        window: float = DEFAULT_WINDOW,
        local: LocalTime = _local_time,
    ) -> None:
        self._prefs = prefs or NotifyPrefs()
        self._clock = clock
        self._local = local
        self._window = window
        self._own_presence = Presence.AVAILABLE
        self._paused_until: float | None = None
        self._quiet: QuietHours | None = None
        self._held: Counter[str] = Counter()
        self._held_acks: set[str | None] = set()  # posts to acknowledge the digest counts
        self._last_shown: dict[Kind, float] = {}
        self._pending: dict[Kind, list[Candidate]] = {}
        self._times: dict[str, tuple[float, float]] = {}  # event id -> (start, end) last seen

    # -- state -----------------------------------------------------------------------------

    @property
    def prefs(self) -> NotifyPrefs:
        return self._prefs

    def set_prefs(self, prefs: NotifyPrefs) -> None:
        self._prefs = prefs

    def set_own_presence(self, presence: Presence) -> None:
        self._own_presence = presence

    def set_quiet(self, quiet: QuietHours | None) -> None:
        """This machine's quiet hours (None: none). Call `due()` after: a change may end them."""
        self._quiet = quiet

    @property
    def quiet(self) -> QuietHours | None:
        return self._quiet

    def pause_until(self, until: float) -> None:
        self._paused_until = until

    def resume(self) -> None:
        """End the pause now. Call `due()` after, for the digest."""
        self._paused_until = None

    @property
    def paused_until(self) -> float | None:
        """When the pause ends, or None when not paused."""
        if self._paused_until is not None and self._clock() >= self._paused_until:
            self._paused_until = None
        return self._paused_until

    def quiet_until(self) -> float | None:
        """When the quiet hours holding now end, or None when none hold."""
        if self._quiet is None:
            return None
        end = self._quiet.ends_after(self._local(self._clock()))
        return end.timestamp() if end is not None else None

    def quiet_now(self) -> bool:
        return self._quiet is not None and self._quiet.active(self._local(self._clock()))

    def silenced(self) -> bool:
        """Whether ordinary pop-ups are held back (own DND, paused, or quiet hours)."""
        return (
            self._own_presence is Presence.DND or self.paused_until is not None or self.quiet_now()
        )

    def _holds(self, candidate: Candidate) -> bool:
        if candidate.kind is Kind.URGENT:
            return False  # urgent posts get through everything
        if candidate.urgent:  # an urgent knock: through DND and the pause, not quiet hours
            return self.quiet_now()
        return self.silenced()

    @property
    def held(self) -> Held:
        """What silence has held back so far (for the digest)."""
        return Held(**self._held)

    # -- decisions -------------------------------------------------------------------------

    def remember_events(self, views: Iterable[EventView]) -> None:
        """Know when these events are (the node's list at start), to notice a later move."""
        for view in views:
            self._remember(view)

    def _remember(self, view: EventView) -> None:
        self._times.pop(view.id, None)
        self._times[view.id] = (view.start, view.end)
        while len(self._times) > REMEMBERED_EVENTS:
            del self._times[next(iter(self._times))]

    def on_event(self, event: Event) -> list[Popup]:
        if isinstance(event, StatusChanged) and event.own:
            self._own_presence = event.status.presence
            if self._own_presence is Presence.DND:
                self._hold_pending(lambda _kind: True)
            return self._digest()
        popups = self._digest()
        if isinstance(event, EventChanged):
            before = self._times.get(event.event.id)
            self._remember(event.event)
            change = _change_candidate(event, before)
            if change is not None:
                return popups + self.offer(_labelled(change, event))
        candidate = candidate_for(event)
        return popups + (self.offer(candidate) if candidate is not None else [])

    def wanted(self, candidate: Candidate) -> bool:
        prefs = self._prefs
        match candidate.kind:
            case Kind.URGENT:
                return prefs.urgent
            case Kind.POST | Kind.ACK:  # an ACK post stays in the tray menu until acknowledged
                return prefs.posts
            case Kind.STATUS:
                return prefs.followed_status and candidate.peer in prefs.followed
            case Kind.ONLINE:
                return prefs.online
            case Kind.EVENT:
                return prefs.events
        # The rest are about the person's own plans, knocks and threads: only silence holds
        # them back.
        # A digest is made here, never offered.
        return candidate.kind is not Kind.DIGEST

    def offer(self, candidate: Candidate) -> list[Popup]:
        if not self.wanted(candidate):
            return []
        # Urgent posts get through silence, and merge like the rest: the first shows at once,
        # so a flood of them (a hostile member, say) is one pop-up per window, not a hundred.
        if self._holds(candidate):
            self._count([candidate])
            return []
        now = self._clock()
        last = self._last_shown.get(candidate.kind)
        if candidate.kind not in self._pending and (last is None or now - last >= self._window):
            self._last_shown[candidate.kind] = now
            return [Popup(candidate.kind, (candidate,))]
        self._pending.setdefault(candidate.kind, []).append(candidate)
        return []

    def _count(self, candidates: Iterable[Candidate]) -> None:
        for candidate in candidates:
            part = DIGEST_PARTS.get(candidate.kind)
            if part == "acks":  # a post and its author's reminders are one post to acknowledge
                if candidate.item_id in self._held_acks:
                    continue
                self._held_acks.add(candidate.item_id)
            if part is not None:
                self._held[part] += 1

    def _hold_pending(self, holds: Callable[[Candidate], bool]) -> None:
        """Move the waiting items silence now holds into the digest's count."""
        for kind in list(self._pending):
            kept = [item for item in self._pending[kind] if not holds(item)]
            self._count(item for item in self._pending[kind] if holds(item))
            if kept:
                self._pending[kind] = kept
            else:
                del self._pending[kind]

    def _digest(self) -> list[Popup]:
        """The digest pop-up, once silence has ended with something held."""
        if not self._held or self.silenced():
            return []
        held, self._held = self.held, Counter()
        self._held_acks.clear()
        return [Popup(Kind.DIGEST, (), held=held)]

    def next_deadline(self) -> float | None:
        """When `due()` next has something to release, or None."""
        deadlines = [self._last_shown[kind] + self._window for kind in self._pending]
        if self._held:  # the digest waits for the silence to end
            paused = self.paused_until
            if paused is not None:
                deadlines.append(paused)
            quiet_end = self.quiet_until()
            if quiet_end is not None:
                deadlines.append(quiet_end)
        return min(deadlines, default=None)

    def due(self) -> list[Popup]:
        """Release merged pop-ups whose window has ended, and the digest when silence ended."""
        now = self._clock()
        self._hold_pending(self._holds)
        popups = self._digest()
        for kind in list(self._pending):
            if now >= self._last_shown[kind] + self._window:
                items = self._pending.pop(kind)
                self._last_shown[kind] = now
                popups.append(Popup(kind, tuple(items)))
        return popups
