"""The one door between the GUI thread and the engine's thread.

Events: the engine calls `EngineBridge._on_event` on its own thread; the bridge re-emits each
event as a typed Qt signal. Qt delivers a signal emitted on another thread to a receiver living
in the GUI thread as a queued call, so every `@Slot` connected to these signals runs on the GUI
thread, in event order.

Commands: the Node's API is thread-safe and its commands are quick (they hand a message to the
engine's actor), so the bridge calls it directly and turns a `NodeError` into `command_failed`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject, Signal, SignalInstance

from hallway.core.knocks import KnockView
from hallway.core.meetups import Answer, EventSpec, EventView
from hallway.core.model import Presence, Status
from hallway.core.quiet import QuietHours
from hallway.engine.events import (
    AckNudged,
    AckReceived,
    AnswerChosen,
    Event,
    EventChanged,
    FeedItem,
    ItemDeleted,
    ItemEdited,
    KnockDelivered,
    KnockExpired,
    KnockReceived,
    KnockReplied,
    NodeWarning,
    PeerOffline,
    PeerOnline,
    PeerRenamed,
    PeerView,
    PostReceived,
    QuietChanged,
    Ready,
    Reminder,
    ReplyReceived,
    RsvpChanged,
    SeatGained,
    StatusChanged,
    StatusExpired,
    Stopped,
    WarningCleared,
)
from hallway.engine.node import NodeError, NodeInfo
from hallway.engine.views import AckView, Attention, SearchHit, ThreadView
from hallway.ui.ports import EventEdit, NodePort

log = logging.getLogger(__name__)
_T = TypeVar("_T")


class EngineBridge(QObject):
    """Engine events as Qt signals, and the engine's commands for GUI code.

    Signals:
        any_event(Event): every event, before the typed signal below.
        ready(Ready): the node is up.
        peer_online(PeerOnline): a colleague came online.
        peer_offline(PeerOffline): a colleague went offline.
        peer_renamed(PeerRenamed): a colleague changed their name.
        status_changed(StatusChanged): a status changed (`own` marks this node's own).
        status_expired(StatusExpired): a status reached its "until" and cleared.
        post_received(PostReceived): a post arrived (or was sent by us: `own`).
        event_changed(EventChanged): an event was created, edited or cancelled.
        rsvp_changed(RsvpChanged): someone answered an event (the seats may have moved).
        seat_gained(SeatGained): someone moved from an event's waitlist to a seat.
        reminder(Reminder): an event we go to or organise starts soon.
        knock_received(KnockReceived): a colleague knocks (shown now, not held).
        knock_delivered(KnockDelivered): our knock arrived (or is held: `held`).
        knock_replied(KnockReplied): a knock was answered.
        knock_expired(KnockExpired): our knock was not delivered in time.
        reply_received(ReplyReceived): a reply in a thread (ours too: `own`).
        answer_chosen(AnswerChosen): a question's author chose (or changed) its answer.
        ack_received(AckReceived): someone (or we: `own`) acknowledged a post.
        ack_nudged(AckNudged): an author reminded us to acknowledge their post.
        item_edited(ItemEdited): a post or reply was edited by its author.
        item_deleted(ItemDeleted): a post or reply was deleted by its author.
        warning(NodeWarning): something people should know (shown in a banner). One with a
            `code` names a lasting condition, which lasts until `warning_cleared`.
        warning_cleared(WarningCleared): the condition of an earlier warning with this code
            has ended.
        stopped(): the node stopped.
        command_failed(str): a command was refused; the message is for people.
    """

    any_event = Signal(object)
    ready = Signal(object)
    peer_online = Signal(object)
    peer_offline = Signal(object)
    peer_renamed = Signal(object)
    status_changed = Signal(object)
    status_expired = Signal(object)
    post_received = Signal(object)
    event_changed = Signal(object)
    rsvp_changed = Signal(object)
    seat_gained = Signal(object)
    reminder = Signal(object)
    knock_received = Signal(object)
    knock_delivered = Signal(object)
    knock_replied = Signal(object)
    knock_expired = Signal(object)
    quiet_changed = Signal(object)
    reply_received = Signal(object)
    answer_chosen = Signal(object)
    ack_received = Signal(object)
    ack_nudged = Signal(object)
    item_edited = Signal(object)
    item_deleted = Signal(object)
    warning = Signal(object)
    warning_cleared = Signal(object)
    stopped = Signal()
    command_failed = Signal(str)

    def __init__(self, node: NodePort, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._node = node
        self._unsubscribe: Callable[[], object] | None = None
        self.last_error = ""

    @property
    def node(self) -> NodePort:
        return self._node

    def attach(self) -> None:
        """Start receiving the node's events (idempotent)."""
        if self._unsubscribe is None:
            self._unsubscribe = self._node.subscribe(self._on_event)

    def close(self) -> None:
        """Stop receiving events (idempotent). Signals already queued are still delivered."""
        unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()

    # -- events (engine thread) ------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        # Runs on the engine thread: only emit, never touch GUI state here.
        self.any_event.emit(event)
        if isinstance(event, Stopped):
            self.stopped.emit()
            return
        signal = self._signal_for(event)
        if signal is None:
            log.debug("event %s has no signal of its own", type(event).__name__)
        else:
            signal.emit(event)

    def _signal_for(self, event: Event) -> SignalInstance | None:
        signals: dict[type[Event], SignalInstance] = {
            Ready: self.ready,
            PeerOnline: self.peer_online,
            PeerOffline: self.peer_offline,
            PeerRenamed: self.peer_renamed,
            StatusChanged: self.status_changed,
            StatusExpired: self.status_expired,
            PostReceived: self.post_received,
            EventChanged: self.event_changed,
            RsvpChanged: self.rsvp_changed,
            SeatGained: self.seat_gained,
            Reminder: self.reminder,
            KnockReceived: self.knock_received,
            KnockDelivered: self.knock_delivered,
            KnockReplied: self.knock_replied,
            KnockExpired: self.knock_expired,
            QuietChanged: self.quiet_changed,
            ReplyReceived: self.reply_received,
            AnswerChosen: self.answer_chosen,
            AckReceived: self.ack_received,
            AckNudged: self.ack_nudged,
            ItemEdited: self.item_edited,
            ItemDeleted: self.item_deleted,
            NodeWarning: self.warning,
            WarningCleared: self.warning_cleared,
        }
        return signals.get(type(event))

    # -- commands (any thread; the node is thread-safe) ------------------------------------

    def set_status(
        self, presence: Presence, text: str = "", *, emoji: str = "", until: float | None = None
    ) -> bool:
        return self._run(lambda: self._node.set_status(presence, text, emoji=emoji, until=until))

    def set_presence(self, presence: Presence) -> bool:
        """Change the presence, keeping the current text, emoji and "until"."""
        current = self.me().status
        return self.set_status(presence, current.text, emoji=current.emoji, until=current.until)

    def reuse_status(self, status: Status) -> bool:
        """Set a recent status again, as it was, without its old "until"."""
        return self.set_status(status.presence, status.text, emoji=status.emoji, until=None)

    def clear_status(self) -> bool:
        return self._run(self._node.clear_status)

    def post(
        self, text: str, *, urgent: bool = False, question: bool = False, ack: bool = False
    ) -> bool:
        return self._run(lambda: self._node.post(text, urgent=urgent, question=question, ack=ack))

    # Threads, questions and acknowledgements: what changes comes back as events
    # (`reply_received`, `answer_chosen`, `ack_received`, `item_edited`, `item_deleted`).

    def reply(self, post_id: str, text: str) -> bool:
        return self._run(lambda: self._node.reply(post_id, text))

    def answer(self, reply_id: str) -> bool:
        return self._run(lambda: self._node.answer(reply_id))

    def ack(self, post_id: str) -> bool:
        return self._run(lambda: self._node.ack(post_id))

    def acks(self, post_id: str) -> AckView | None:
        return self._ask(lambda: self._node.acks(post_id))

    def remind_acks(self, post_id: str) -> bool:
        return self._run(lambda: self._node.remind_acks(post_id))

    def thread_view(self, item_id: str) -> ThreadView | None:
        """`node.thread` (named apart from `QObject.thread`, which it must not hide)."""
        return self._ask(lambda: self._node.thread(item_id))

    def edit_item(self, item_id: str, text: str) -> bool:
        return self._run(lambda: self._node.edit(item_id, text))

    def delete_item(self, item_id: str) -> bool:
        return self._run(lambda: self._node.delete(item_id))

    def search(self, words: str, limit: int = 50) -> list[SearchHit]:
        """Hits, best first; none when refused (the reason, such as a search with no words,
        is in `last_error`: the search box shows it, no banner)."""
        try:
            hits = self._node.search(words, limit)
        except NodeError as error:
            self.last_error = str(error)
            return []
        self.last_error = ""
        return hits

    def attention(self) -> Attention | None:
        """Open questions and posts to acknowledge (None when the node cannot say)."""
        try:
            return self._node.attention()
        except NodeError:
            return None

    def set_name(self, name: str) -> bool:
        return self._run(lambda: self._node.set_name(name))

    # Knocks and events: each command returns the knock or event as it is now, or None when
    # refused (the message is in `last_error`, and `command_failed` carried it).

    def create_event(self, spec: EventSpec) -> EventView | None:
        return self._ask(lambda: self._node.create_event(spec))

    def rsvp(self, event_id: str, answer: Answer) -> EventView | None:
        return self._ask(lambda: self._node.rsvp(event_id, answer))

    def edit_event(self, event_id: str, changes: EventEdit) -> EventView | None:
        return self._ask(lambda: self._node.edit_event(event_id, **changes))

    def cancel_event(self, event_id: str) -> EventView | None:
        return self._ask(lambda: self._node.cancel_event(event_id))

    def knock(self, peer: str, text: str = "", *, urgent: bool = False) -> KnockView | None:
        return self._ask(lambda: self._node.knock(peer, text, urgent=urgent))

    def reply_knock(self, knock_id: str, reply: str) -> KnockView | None:
        return self._ask(lambda: self._node.reply_knock(knock_id, reply))

    def knocks(self) -> list[KnockView]:
        """Knocks sent and received, newest first (none when the node cannot say)."""
        try:
            return self._node.knocks()
        except NodeError:
            return []

    def set_quiet_hours(self, quiet: QuietHours | None) -> bool:
        return self._run(lambda: self._node.set_quiet_hours(quiet))

    def events(self) -> list[EventView] | None:
        """Every event the node holds, past and cancelled ones too (None when it cannot say)."""
        try:
            return self._node.events(include_past=True)
        except NodeError:
            return None

    def peers(self) -> list[PeerView]:
        return self._node.peers()

    def me(self) -> PeerView:
        return self._node.me()

    def feed(self, limit: int = 200, *, questions: bool = False) -> list[FeedItem]:
        """Newest first; `questions`: only the open questions."""
        return self._node.feed(limit=limit, questions=questions)

    def recent_statuses(self, limit: int = 5) -> list[Status]:
        try:
            return self._node.recent_statuses(limit=limit)
        except NodeError:
            return []

    def info(self) -> NodeInfo:
        return self._node.info

    def _run(self, command: Callable[[], object]) -> bool:
        """Run a command; on `NodeError` keep its message in `last_error` and signal it."""

        def run() -> bool:
            command()  # may return None on success
            return True

        return self._ask(run) is not None

    def _ask(self, command: Callable[[], _T]) -> _T | None:
        """`_run` that returns the command's result (None when refused)."""
        try:
            result = command()
        except NodeError as error:
            self.last_error = str(error)
            self.command_failed.emit(self.last_error)
            return None
        self.last_error = ""
        return result
