"""What pops up, and when: a pure policy (no Qt, injected clock), plus the `Notifier` seam.

Rules, from the tray-app spec:
- every post pops up, and every urgent post (urgent ones at critical urgency);
- status changes pop up only for people you follow;
- a colleague coming online pops up only if asked for (off by default);
- a new event pops up (with Going / Maybe / Not going where the desktop offers actions); so do
  your seat when you move up from the waitlist, a move or cancellation of an event you are going
  to, and an event's reminder;
- your own Do not disturb, or "Pause notifications", holds back everything except urgent posts.
  Held items are simply not popped up: they are in the feed already;
- bursts coalesce: the first item of a kind shows at once, and whatever of that kind arrives in the
  next `window` seconds is shown as one pop-up when the window ends ("4 new posts from Ann, Ben…").
  Urgent posts are never delayed or merged.

The policy returns `Popup` values; `hallway.ui.notifications` words them (translatably) and hands
them to a `Notifier`.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

from hallway.core.meetups import Answer, EventView
from hallway.core.model import Presence
from hallway.core.names import LOOK_ALIKE_MARK
from hallway.engine.events import (
    Event,
    EventChanged,
    Named,
    PeerOnline,
    PostReceived,
    Reminder,
    SeatGained,
    StatusChanged,
)

Urgency = Literal["normal", "critical"]
Clock = Callable[[], float]

DEFAULT_WINDOW = 10.0
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

    @property
    def shown(self) -> str:
        """The name as a pop-up shows it."""
        return self.label or self.name


@dataclass(frozen=True, slots=True)
class Popup:
    """One pop-up to show: a single item, or several of one kind merged."""

    kind: Kind
    items: tuple[Candidate, ...]

    @property
    def urgency(self) -> Urgency:
        return "critical" if self.kind is Kind.URGENT else "normal"

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
            kind = Kind.URGENT if event.post.urgent else Kind.POST
            return Candidate(kind, event.post.peer, event.name, event.post.text, event.post.id)
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
    return _event_candidate(event)


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


class NotifyPolicy:
    """Decides which pop-ups to show. Feed it events; show what it returns; call `due()` at
    `next_deadline()` to release merged pop-ups."""

    def __init__(
        self,
        prefs: NotifyPrefs | None = None,
        *,
        clock: Clock = time.time,
        window: float = DEFAULT_WINDOW,
    ) -> None:
        self._prefs = prefs or NotifyPrefs()
        self._clock = clock
        self._window = window
        self._own_presence = Presence.AVAILABLE
        self._paused_until: float | None = None
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

    def pause_until(self, until: float) -> None:
        self._paused_until = until

    def resume(self) -> None:
        self._paused_until = None

    @property
    def paused_until(self) -> float | None:
        """When the pause ends, or None when not paused."""
        if self._paused_until is not None and self._clock() >= self._paused_until:
            self._paused_until = None
        return self._paused_until

    def silenced(self) -> bool:
        """Whether ordinary pop-ups are held back (own DND, or paused)."""
        return self._own_presence is Presence.DND or self.paused_until is not None

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
                self._pending.clear()
            return []
        if isinstance(event, EventChanged):
            before = self._times.get(event.event.id)
            self._remember(event.event)
            change = _change_candidate(event, before)
            if change is not None:
                return self.offer(_labelled(change, event))
        candidate = candidate_for(event)
        return self.offer(candidate) if candidate is not None else []

    def wanted(self, candidate: Candidate) -> bool:
        prefs = self._prefs
        match candidate.kind:
            case Kind.URGENT:
                return prefs.urgent
            case Kind.POST:
                return prefs.posts
            case Kind.STATUS:
                return prefs.followed_status and candidate.peer in prefs.followed
            case Kind.ONLINE:
                return prefs.online
            case Kind.EVENT:
                return prefs.events
            case Kind.SEAT | Kind.EVENT_MOVED | Kind.EVENT_CANCELLED | Kind.REMINDER:
                return True  # about the person's own plans: only silence holds them back

    def offer(self, candidate: Candidate) -> list[Popup]:
        if not self.wanted(candidate):
            return []
        # Urgent posts get through silence, and merge like the rest: the first shows at once,
        # so a flood of them (a hostile member, say) is one pop-up per window, not a hundred.
        if candidate.kind is not Kind.URGENT and self.silenced():
            return []
        now = self._clock()
        last = self._last_shown.get(candidate.kind)
        if candidate.kind not in self._pending and (last is None or now - last >= self._window):
            self._last_shown[candidate.kind] = now
            return [Popup(candidate.kind, (candidate,))]
        self._pending.setdefault(candidate.kind, []).append(candidate)
        return []

    def next_deadline(self) -> float | None:
        """When `due()` next has something to release, or None."""
        deadlines = [self._last_shown[kind] + self._window for kind in self._pending]
        return min(deadlines, default=None)

    def due(self) -> list[Popup]:
        """Release merged pop-ups whose window has ended."""
        now = self._clock()
        popups = []
        for kind in list(self._pending):
            if now >= self._last_shown[kind] + self._window:
                items = self._pending.pop(kind)
                self._last_shown[kind] = now
                if kind is Kind.URGENT or not self.silenced():
                    popups.append(Popup(kind, tuple(items)))
        return popups
