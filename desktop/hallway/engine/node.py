"""The Node: Hallway's engine. One actor thread owns the zmq sockets and the database.

Public, thread-safe API (the CLI, the control socket, the GUI and the tests all use only this):

    node = Node(config)
    unsubscribe = node.subscribe(callback)   # callback(event) runs on the engine thread; be quick
    node.start()                             # binds, announces, emits Ready; raises NodeError
    node.set_status(Presence.BUSY, "In a meeting", emoji="📅", until=time.time() + 3600)
    node.clear_status()
    node.post("Cake in the kitchen #food", urgent=False, question=False, ack=False) -> Post
    node.reply(post_id, "I can help") -> Post          # a reply: Post.reply_to = post_id
    node.answer(reply_id) -> FeedItem        # our question's chosen answer (can change)
    node.ack(post_id) -> FeedItem            # acknowledge a post that asks for it
    node.acks(post_id) -> AckView            # who acknowledged, who is missing
    node.remind_acks(post_id) -> AckView     # one more pop-up for those missing (own post)
    node.thread(item_id) -> ThreadView       # a post and its replies, oldest first
    node.edit(item_id, text) -> FeedItem     # own posts and replies
    node.delete(item_id)
    node.search("badg printer") -> list[SearchHit]   # FTS5, prefix matching, best first
    node.attention() -> Attention            # open questions, posts to acknowledge (tray)
    node.set_name("Ann")
    node.peers() -> list[PeerView]           # own entry first
    node.me() -> PeerView
    node.feed(limit=50, questions=False) -> list[FeedItem]    # newest first
    node.recent_statuses(limit=5) -> list[Status]   # own recent custom statuses, newest first
    node.warnings() -> list[NodeWarning]     # lasting conditions in force (a `code` each)
    node.create_event(EventSpec(title=..., start=...)) -> EventView
    node.events(include_past=False) -> list[EventView]   # upcoming first (soonest first)
    node.event(event_id) -> EventView
    node.rsvp(event_id, Answer.GOING) -> EventView
    node.edit_event(event_id, title=..., start=..., ...) -> EventView
    node.cancel_event(event_id) -> EventView
    node.knock(peer_id, "Got a minute?", urgent=False) -> KnockView   # to one colleague, privately
    node.knocks() -> list[KnockView]         # sent and received, newest first
    node.reply_knock(knock_id, "yes") -> KnockView   # yes, later, no, or text of one's own
    node.set_quiet_hours(QuietHours(...) or None)    # knocks wait while they hold
    node.resolve_peer("ben") -> str          # a peer id from a name, a unique prefix, an id
    node.info -> NodeInfo                    # id, fingerprint, name, office, ports, addresses
    node.close()                             # BYE, mDNS goodbye, joins the thread; idempotent

Every command raises `NodeError` with a message for people when it cannot be done (for example
text over the limit, or the node is not running).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from hallway.core.errors import HallwayError
from hallway.core.knocks import KNOCK_EXPIRY, KnockError, KnockView, check_knock_text, check_reply
from hallway.core.knowledge import SEARCH_LIMIT_MAX, KnowledgeError, fts_query
from hallway.core.meetups import Answer, EventSpec, EventView, MeetupError
from hallway.core.model import (
    EMOJI_MAX,
    HEARTBEAT_INTERVAL,
    NAME_MAX,
    POST_TEXT_MAX,
    STATUS_TEXT_MAX,
    Post,
    Presence,
    Status,
    clean_text,
    display_fingerprint,
    fingerprint,
)
from hallway.core.office import Office
from hallway.core.quiet import QuietHours
from hallway.core.seeds import Seed
from hallway.engine.actor import Actor, Command
from hallway.engine.events import Event, FeedItem, NodeWarning, PeerView, Stopped
from hallway.engine.views import AckView, Attention, SearchHit, ThreadView

if TYPE_CHECKING:
    from hallway.store.db import Store


class NodeError(HallwayError):
    """A command the node could not carry out; the message is for people."""


class NodeConfig(msgspec.Struct, frozen=True):
    home: Path
    name: str
    public_key: bytes  # Z85
    secret_key: bytes  # Z85
    office: Office
    interfaces: tuple[str, ...] | None = None  # None: every non-loopback IPv4 interface
    # Set by `Node.start` when `interfaces` was None: the engine then follows the machine's
    # addresses as they change (sleep, Wi-Fi to cable, a new lease).
    follow_interfaces: bool = False
    port: int = 0  # the ROUTER's port, the PUB's is the next one; 0 picks free ports
    # With `port` 0: the ports to try first (the tray app's, kept in config.toml), free ones
    # when they are taken.
    preferred_port: int = 0
    heartbeat_interval: float = HEARTBEAT_INTERVAL
    post_history_days: float = 7.0
    retention_days: float = 30.0
    quiet: QuietHours | None = None  # knocks wait while these hold (set_quiet_hours changes it)
    knock_expiry: float = KNOCK_EXPIRY  # an undelivered knock is given up after this
    seeds: tuple[Seed, ...] = ()  # colleagues on other networks to ask (issue 14)


class NodeInfo(msgspec.Struct, frozen=True):
    id: str
    fingerprint: str
    name: str
    office: str | None
    router_port: int
    pub_port: int
    addresses: tuple[str, ...]


class Node:
    """See the module docstring."""

    def __init__(self, config: NodeConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self._clock = clock
        self._listeners: list[Callable[[Event], None]] = []
        self._listeners_lock = threading.Lock()
        self._commands: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._wake_r, self._wake_w = os.pipe()
        self._pipe_lock = threading.Lock()
        os.set_blocking(self._wake_w, False)
        os.set_blocking(self._wake_r, False)
        self._thread: threading.Thread | None = None
        self._actor: Actor | None = None
        self._closed = False
        self._info: NodeInfo | None = None
        self.id = fingerprint(config.public_key)

    # lifecycle ----------------------------------------------------------------------------------

    def start(self) -> None:
        """Open the database, bind, announce, and run the engine thread. Raises NodeError."""
        if self._thread is not None:
            raise NodeError("this node was already started")
        from hallway.net.interfaces import resolve_interfaces
        from hallway.store.db import Store
        from hallway.store.home import database_path

        cfg = self.config
        try:
            addresses = cfg.interfaces or resolve_interfaces(None)
            store = Store.open(database_path(cfg.home))
        except HallwayError as exc:
            raise NodeError(str(exc)) from exc
        started = threading.Event()
        failure: list[BaseException] = []
        config = _with_interfaces(cfg, addresses)
        self._thread = threading.Thread(
            target=self._main,
            args=(config, store, started, failure),
            name="hallway-engine",
            daemon=True,
        )
        self._thread.start()
        started.wait()
        if failure:
            self._thread.join()
            error = failure[0]
            if isinstance(error, HallwayError):
                raise NodeError(str(error)) from error
            raise NodeError(f"could not start the node: {error}") from error

    def _main(
        self,
        config: NodeConfig,
        store: Store,
        started: threading.Event,
        failure: list[BaseException],
    ) -> None:
        """The engine thread: build the actor, report to start(), run, then say goodbye."""
        try:
            actor = Actor(
                config=config,
                store=store,
                emit=self._emit,
                clock=self._clock,
                commands=self._commands,
                wake_fd=self._wake_r,
            )
            actor.wake_fd_w = self._wake_w
            self._actor = actor
            self._info = NodeInfo(
                id=actor.own.id,
                fingerprint=display_fingerprint(actor.own.id),
                name=actor.own.name,
                office=config.office.name,
                router_port=actor.router_port,
                pub_port=actor.pub_port,
                addresses=actor.addresses,
            )
            actor.start()
        except BaseException as exc:  # noqa: BLE001 -- reported to start()'s caller
            failure.append(exc)
            if self._actor is not None:
                self._actor.close()
            store.close()
            self._close_pipe()
            started.set()
            return
        started.set()
        try:
            actor.run()
        except Exception:  # noqa: BLE001 -- logged; the finally block still says goodbye
            _log.exception("the engine stopped on an unexpected error")
        finally:
            try:
                actor.close()
            finally:
                store.close()
                self._refuse_pending()
                self._close_pipe()
                self._emit(Stopped(at=self._clock()))

    def close(self, timeout: float = 5.0) -> None:
        """Say goodbye and stop. Idempotent; safe from any thread but the engine's own."""
        if self._closed:
            return
        self._closed = True
        thread = self._thread
        if thread is None:
            self._close_pipe()  # never started: nobody else will
        elif thread.is_alive():
            self._commands.put(("stop", None))
            self._wake()
            thread.join(timeout)

    def _close_pipe(self) -> None:
        """Close the wake-up pipe; done by the engine thread once its loop is over."""
        with self._pipe_lock:
            for fd in (self._wake_r, self._wake_w):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._wake_r = self._wake_w = -1

    def _refuse_pending(self) -> None:
        """Answer the commands that arrived after the loop ended, so no caller waits in vain."""
        while True:
            try:
                item = self._commands.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, Command) and item.future.set_running_or_notify_cancel():
                item.future.set_exception(NodeError("the node has stopped"))

    def __enter__(self) -> Node:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._closed

    @property
    def info(self) -> NodeInfo:
        if self._info is None:
            raise NodeError("the node has not started")
        return self._info

    # events -------------------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call `callback(event)` on the engine thread for every event. Returns an unsubscribe."""
        with self._listeners_lock:
            self._listeners = [*self._listeners, callback]

        def unsubscribe() -> None:
            with self._listeners_lock:
                self._listeners = [cb for cb in self._listeners if cb is not callback]

        return unsubscribe

    def _emit(self, event: Event) -> None:
        for callback in self._listeners:
            try:
                callback(event)
            except Exception:  # noqa: BLE001 -- one bad listener must not stop the engine
                _log.exception("an event listener failed on %s", event.type)

    # commands -----------------------------------------------------------------------------------

    def _wake(self) -> None:
        with self._pipe_lock, contextlib.suppress(BlockingIOError, OSError):
            if self._wake_w >= 0:
                os.write(self._wake_w, b"\0")

    def _call(self, fn: Callable[[Actor], _T]) -> _T:
        actor = self._actor
        if actor is None or not self.running:
            raise NodeError("the node is not running")
        if threading.current_thread() is self._thread:
            actor.routine = False  # from a listener: this turn's timers need a look
            return fn(actor)
        future: Future[_T] = Future()
        self._commands.put(Command(lambda: fn(actor), future))
        self._wake()
        try:
            return future.result(timeout=10.0)
        except TimeoutError:
            raise NodeError("the node did not answer in time") from None
        except NodeError:
            raise
        except HallwayError as exc:  # a full disk, say: a message for people, not a traceback
            raise NodeError(str(exc)) from exc

    def set_status(
        self,
        presence: Presence | str,
        text: str = "",
        *,
        emoji: str = "",
        until: float | None = None,
    ) -> Status:
        try:
            status = Status(
                presence=Presence(presence),
                text=clean_text(text, STATUS_TEXT_MAX),
                emoji=clean_text(emoji, EMOJI_MAX),
                until=until,
            )
        except ValueError as exc:
            raise NodeError(f"invalid status: {exc}") from None
        if until is not None and until <= self._clock():
            raise NodeError("the status would expire before it is set")
        return self._call(lambda actor: actor.set_status(status))

    def clear_status(self) -> Status:
        return self._call(lambda actor: actor.set_status(Status()))

    def post(
        self, text: str, *, urgent: bool = False, question: bool = False, ack: bool = False
    ) -> Post:
        """Post to the office; a `question` can have an answer chosen, an `ack` post asks
        everyone to acknowledge it."""
        cleaned = _post_text(text, "post")
        return self._call(lambda actor: actor.post(cleaned, urgent, question=question, ack=ack))

    # threads, questions, acknowledgements, search ----------------------------------------------

    def reply(self, item_id: str, text: str) -> Post:
        """Reply in the thread of the post `item_id` (a reply's id: in its post's thread)."""
        cleaned = _post_text(text, "reply")
        return self._knowing(lambda actor: actor.reply(item_id.strip(), cleaned))

    def answer(self, reply_id: str) -> FeedItem:
        """Mark a reply to our own question as its answer (replacing an earlier choice);
        returns the question."""
        return self._knowing(lambda actor: actor.choose_answer(reply_id.strip()))

    def ack(self, item_id: str) -> FeedItem:
        """Acknowledge a post that asks for it (again: nothing changes)."""
        return self._knowing(lambda actor: actor.acknowledge(item_id.strip()))

    def acks(self, item_id: str) -> AckView:
        """Who acknowledged a post that asks for it, and who has not."""
        return self._knowing(lambda actor: actor.ack_view(item_id.strip()))

    def remind_acks(self, item_id: str) -> AckView:
        """Pop up our own post once more for those who have not acknowledged it."""
        return self._knowing(lambda actor: actor.remind_acks(item_id.strip()))

    def thread(self, item_id: str) -> ThreadView:
        """A post and its replies, oldest first (a reply's id: its post's thread)."""
        return self._knowing(lambda actor: actor.thread_view(item_id.strip()))

    def edit(self, item_id: str, text: str) -> FeedItem:
        """Change the text of our own post or reply; everyone sees it "edited"."""
        cleaned = _post_text(text, "post")
        return self._knowing(lambda actor: actor.edit_item(item_id.strip(), cleaned))

    def delete(self, item_id: str) -> None:
        """Delete our own post or reply, everywhere: no text of it is kept."""
        self._knowing(lambda actor: actor.delete_item(item_id.strip()))

    def search(self, words: str, limit: int = 50) -> list[SearchHit]:
        """Posts, replies, questions, events and statuses this node holds that have every word
        (each also as a word's start), best first."""
        query = _search_query(words)
        count = max(1, min(limit, SEARCH_LIMIT_MAX))
        return self._knowing(lambda actor: actor.search(query, count))

    def attention(self) -> Attention:
        """What the tray menu shows: open questions of the last week, posts to acknowledge."""
        return self._call(lambda actor: actor.attention())

    def _knowing(self, fn: Callable[[Actor], _T]) -> _T:
        try:
            return self._call(fn)
        except KnowledgeError as exc:
            raise NodeError(str(exc)) from None

    def set_name(self, name: str) -> None:
        try:
            cleaned = clean_text(name, NAME_MAX)
        except ValueError as exc:
            raise NodeError(f"name too long: {exc}") from None
        if not cleaned:
            raise NodeError("a name cannot be empty")
        self._call(lambda actor: actor.set_name(cleaned))

    def peers(self) -> list[PeerView]:
        """Own entry first, then everyone else this node knows."""
        return self._call(lambda actor: actor.peer_views())

    def me(self) -> PeerView:
        return self._call(lambda actor: actor.me())

    def feed(self, limit: int = 50, *, questions: bool = False) -> list[FeedItem]:
        """Posts and status changes, newest first (replies are in their threads);
        `questions`: only the open questions."""
        count = max(1, min(limit, 1000))
        return self._call(lambda actor: actor.feed_items(count, questions=questions))

    def stats(self) -> dict[str, int]:
        """Counters of dropped input by reason, and of connections refused by ZAP."""
        return self._call(lambda actor: actor.stats())

    def recent_statuses(self, limit: int = 5) -> list[Status]:
        return self._call(lambda actor: actor.store.status_history(limit))

    # events ---------------------------------------------------------------------------------

    def create_event(self, spec: EventSpec) -> EventView:
        """Publish a new event we organise. NodeError says which rule `spec` breaks."""
        return self._meetup(lambda actor: actor.create_event(spec))

    def events(self, *, include_past: bool = False) -> list[EventView]:
        """Upcoming events (not ended, not cancelled), soonest first; `include_past` adds ended
        and cancelled ones."""
        return self._meetup(lambda actor: actor.event_views(include_past=include_past))

    def event(self, event_id: str) -> EventView:
        return self._meetup(lambda actor: actor.event_view(event_id))

    def rsvp(self, event_id: str, answer: Answer | str) -> EventView:
        try:
            chosen = Answer(answer)
        except ValueError:
            raise NodeError(f"an answer is going, maybe or no, not {answer!r}") from None
        return self._meetup(lambda actor: actor.rsvp(event_id, chosen))

    def edit_event(
        self,
        event_id: str,
        *,
        title: str | None = None,
        start: float | None = None,
        duration: float | None = None,
        where: str | None = None,
        capacity: int | None = None,
        note: str | None = None,
        remind: float | None = None,
        clear_capacity: bool = False,
    ) -> EventView:
        """Change the fields given (only the organiser can); `clear_capacity` removes the
        limit on seats."""
        given = {"title": title, "start": start, "duration": duration, "where": where,
                 "capacity": capacity, "note": note, "remind": remind}  # fmt: skip
        changes: dict[str, object] = {k: v for k, v in given.items() if v is not None}
        if clear_capacity:
            changes["capacity"] = None
        return self._meetup(lambda actor: actor.edit_event(event_id, changes))

    def cancel_event(self, event_id: str) -> EventView:
        return self._meetup(lambda actor: actor.cancel_event(event_id))

    def _meetup(self, fn: Callable[[Actor], _T]) -> _T:
        try:
            return self._call(fn)
        except MeetupError as exc:
            raise NodeError(str(exc)) from None

    # knocks ---------------------------------------------------------------------------------

    def knock(self, peer: str, text: str = "", *, urgent: bool = False) -> KnockView:
        """Knock on `peer`'s door (an id: see `resolve_peer`). It waits in our outbox, on disk,
        until delivered; `KnockDelivered`, `KnockReplied` or `KnockExpired` follow."""
        try:
            cleaned = check_knock_text(text)
        except KnockError as exc:
            raise NodeError(str(exc)) from None
        return self._knocking(lambda actor: actor.knock(peer, cleaned, urgent))

    def knocks(self) -> list[KnockView]:
        """Knocks sent and received, newest first."""
        return self._knocking(lambda actor: actor.knock_views())

    def reply_knock(self, knock_id: str, reply: str) -> KnockView:
        """Answer a knock that came to us: "yes", "later", "no" or free text (140 at most)."""
        try:
            answer = check_reply(reply)
        except KnockError as exc:
            raise NodeError(str(exc)) from None
        return self._knocking(lambda actor: actor.reply_knock(knock_id.strip(), answer))

    def set_quiet_hours(self, quiet: QuietHours | None) -> None:
        """This machine's quiet hours (None: none), during which knocks are held."""
        self._call(lambda actor: actor.set_quiet_hours(quiet))

    def resolve_peer(self, text: str) -> str:
        """A colleague's id from a name, a unique start of a name or id, or an id; NodeError
        listing the candidates when none or several match."""
        return self._knocking(lambda actor: actor.resolve_peer(text))

    def _knocking(self, fn: Callable[[Actor], _T]) -> _T:
        try:
            return self._call(fn)
        except KnockError as exc:
            raise NodeError(str(exc)) from None

    def warnings(self) -> list[NodeWarning]:
        """The lasting warnings in force, each the latest `warning` event of its `code` that no
        `warning_cleared` has ended yet (for a window opened after it was emitted)."""
        return self._call(lambda actor: list(actor.conditions.values()))


_T = TypeVar("_T")
_log = logging.getLogger("hallway.engine")


def _with_interfaces(cfg: NodeConfig, addresses: tuple[str, ...]) -> NodeConfig:
    return msgspec.structs.replace(
        cfg, interfaces=addresses, follow_interfaces=cfg.interfaces is None
    )


def _post_text(text: str, what: str) -> str:
    try:
        cleaned = clean_text(text, POST_TEXT_MAX)
    except ValueError as exc:
        raise NodeError(f"{what} too long: {exc}") from None
    if not cleaned:
        raise NodeError(f"a {what} needs some text")
    return cleaned


def _search_query(words: str) -> str:
    try:
        return fts_query(words)
    except KnowledgeError as exc:
        raise NodeError(str(exc)) from None
