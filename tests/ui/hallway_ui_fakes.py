"""A fake engine for the UI tests: records commands, emits events from its own thread."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

import msgspec

from hallway.core.knocks import KNOCK_EXPIRY, KnockView, check_knock_text, check_reply
from hallway.core.meetups import (
    Answer,
    EventSpec,
    EventView,
    MeetupError,
    Rsvp,
    build_view,
    check_event,
)
from hallway.core.model import (
    POST_TEXT_MAX,
    Post,
    Presence,
    Status,
    clean_text,
    display_fingerprint,
)
from hallway.core.quiet import QuietHours
from hallway.engine.events import (
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
    PeerOffline,
    PeerOnline,
    PeerRenamed,
    PeerView,
    PostReceived,
    ReplyReceived,
    StatusChanged,
)
from hallway.engine.node import NodeError, NodeInfo
from hallway.engine.views import (
    Acknowledged,
    AckView,
    Attention,
    SearchHit,
    ThreadView,
)
from hallway.store.config import Config

OWN = "a" * 32
ANN = "b" * 32
BEN = "c" * 32
CY = "d" * 32


def peer(
    pid: str, name: str, *, online: bool = True, own: bool = False, status: Status | None = None
) -> PeerView:
    now = time.time()
    return PeerView(
        id=pid,
        name=name,
        fingerprint=display_fingerprint(pid),
        online=online,
        status=status or Status(set_at=now - 100),
        last_seen=now - 60,
        first_seen=now - 86400,
        address="198.18.0.2",
        verified=True,
        own=own,
    )


def make_config(**changes: Any) -> Config:
    base = Config(name="Me", open=True, instance="0123456789abcdef")
    return msgspec.structs.replace(base, **changes)


class _Item:
    """A post or reply as the fake engine holds it (mutable: edits, answers, deletes)."""

    def __init__(self, post: Post, name: str) -> None:
        self.post, self.name = post, name
        self.answer: str | None = None
        self.deleted = False


class FakeKnowledge:
    """Threads, questions, acknowledgements, edits, deletes and a simple search, held in memory
    as the engine holds them; each command emits the event the engine would."""

    _me: PeerView
    _others: list[PeerView]
    _events: dict[str, _Held]
    feed_items: list[FeedItem]

    def _knowledge_init(self) -> None:
        self._items: dict[str, _Item] = {}
        self._acked: dict[str, dict[str, float]] = {}  # post id -> acker -> when
        self._seq = 100
        self.reminded: list[str] = []

    def _record(self, name: str, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError

    def emit(self, *events: Event) -> None:
        raise NotImplementedError

    # -- test helpers ----------------------------------------------------------------------

    def hold_post(
        self, pid: str, name: str, text: str, *, reply_to: str = "", question: bool = False,
        ack: bool = False, urgent: bool = False, at: float | None = None,
    ) -> Post:  # fmt: skip
        """Hold someone's post or reply (no event: see `receive_post`, `receive_reply`)."""
        self._seq += 1
        post = Post(id=f"{pid}:1:{self._seq}", peer=pid, text=text, urgent=urgent,
                    sent_at=time.time() if at is None else at, reply_to=reply_to,
                    question=question, ack=ack)  # fmt: skip
        self._items[post.id] = _Item(post, name)
        return post

    def receive_post(self, pid: str, name: str, text: str, **kwargs: Any) -> PostReceived:
        post = self.hold_post(pid, name, text, **kwargs)
        return PostReceived(at=post.sent_at, post=post, name=name, own=pid == OWN)

    def receive_reply(
        self, post_id: str, pid: str, name: str, text: str, *, at: float | None = None
    ) -> ReplyReceived:
        root = self._item(post_id)
        reply = self.hold_post(pid, name, text, reply_to=root.post.id, at=at)
        return self._reply_event(root, reply, name)

    def receive_ack(
        self, post_id: str, pid: str, name: str, at: float | None = None
    ) -> AckReceived:
        item = self._item(post_id)
        self._acked.setdefault(post_id, {})[pid] = time.time() if at is None else at
        counted = AckView(post_id, *self._ack_lists(item)).count if item.post.peer == OWN else None
        return AckReceived(at=time.time(), name=name, peer=pid, post=post_id, own=pid == OWN,
                           acks=counted)  # fmt: skip

    def receive_answer(self, reply_id: str) -> AnswerChosen:
        """The (someone else's) question's author chose `reply_id`."""
        reply = self._item(reply_id)
        root = self._item(reply.post.reply_to)
        root.answer = reply_id
        return self._answer_event(root, reply)

    def receive_edit(self, item_id: str, text: str) -> ItemEdited:
        item = self._item(item_id)
        item.post = msgspec.structs.replace(item.post, text=text, edits=item.post.edits + 1)
        post = item.post
        return ItemEdited(at=time.time(), name=item.name, peer=post.peer, id=item_id,
                          text=text, reply_to=post.reply_to, own=post.peer == OWN)  # fmt: skip

    def receive_delete(self, item_id: str) -> ItemDeleted:
        item = self._item(item_id)
        item.deleted = True
        if item.post.reply_to:
            root = self._items[item.post.reply_to]
            if root.answer == item_id:
                root.answer = None
        return ItemDeleted(at=time.time(), name=item.name, peer=item.post.peer, id=item_id,
                           reply_to=item.post.reply_to, own=item.post.peer == OWN)  # fmt: skip

    # -- NodePort --------------------------------------------------------------------------

    def reply(self, post_id: str, text: str) -> Post:
        self._record("reply", post_id, text)
        root = self._item(post_id)
        if root.post.reply_to:
            root = self._item(root.post.reply_to)
        reply = self.hold_post(OWN, self._me.name, _checked(text), reply_to=root.post.id)
        self.emit(self._reply_event(root, reply, self._me.name))
        return reply

    def answer(self, reply_id: str) -> FeedItem:
        self._record("answer", reply_id)
        reply = self._item(reply_id)
        root = self._items.get(reply.post.reply_to)
        if root is None or not root.post.question or root.post.peer != OWN:
            raise NodeError("only the author of a question can choose its answer")
        root.answer = reply_id
        self.emit(self._answer_event(root, reply))
        return self._feed_item(root)

    def ack(self, post_id: str) -> FeedItem:
        self._record("ack", post_id)
        item = self._item(post_id)
        if not item.post.ack or item.post.reply_to:
            raise NodeError(f"{post_id} does not ask to be acknowledged")
        if OWN not in self._acked.get(post_id, {}):
            self.emit(self.receive_ack(post_id, OWN, self._me.name))
        return self._feed_item(item)

    def acks(self, post_id: str) -> AckView:
        item = self._item(post_id)
        if not item.post.ack:
            raise NodeError(f"{post_id} does not ask to be acknowledged")
        return AckView(post_id, *self._ack_lists(item))

    def remind_acks(self, post_id: str) -> AckView:
        self._record("remind_acks", post_id)
        view = self.acks(post_id)
        if self._items[post_id].post.peer != OWN:
            raise NodeError("only its author can remind people of a post")
        self.reminded.append(post_id)
        return view

    def thread(self, item_id: str) -> ThreadView:
        root = self._item(item_id)
        if root.post.reply_to:
            root = self._item(root.post.reply_to)
        replies = sorted((i for i in self._live() if i.post.reply_to == root.post.id),
                         key=lambda i: i.post.sent_at)  # fmt: skip
        return ThreadView(self._feed_item(root), tuple(self._feed_item(r) for r in replies))

    def edit(self, item_id: str, text: str) -> FeedItem:
        self._record("edit", item_id, text)
        self._own_item(item_id)
        self.emit(self.receive_edit(item_id, _checked(text)))
        return self._feed_item(self._items[item_id])

    def delete(self, item_id: str) -> None:
        self._record("delete", item_id)
        self._own_item(item_id)
        self.emit(self.receive_delete(item_id))

    def search(self, words: str, limit: int = 50) -> list[SearchHit]:
        wanted = re.findall(r"\w+", words.casefold())
        if not wanted:
            raise NodeError("a search needs at least one word (letters or digits)")
        hits = []
        for kind, item_id, thread, pid, name, at, text in self._searchable():
            found = re.findall(r"\w+", text.casefold())
            score = sum(1 for w in wanted for f in found if f.startswith(w))
            if all(any(f.startswith(w) for f in found) for w in wanted):
                hits.append(SearchHit(kind, item_id, thread, pid, name, at, text,
                                      _snippet(text, wanted), -float(score)))  # fmt: skip
        return sorted(hits, key=lambda h: (h.rank, -h.at))[:limit]

    def attention(self) -> Attention:
        week = time.time() - 7 * 86400
        open_questions = sum(1 for i in self._open_questions() if i.post.sent_at >= week)
        asked = [i for i in self._roots() if i.post.ack and i.post.peer != OWN]
        unacked = tuple(
            self._feed_item(i) for i in asked if OWN not in self._acked.get(i.post.id, {})
        )
        return Attention(open_questions, unacked)

    def held_feed(self, *, questions: bool) -> list[FeedItem]:
        chosen = self._open_questions() if questions else self._roots()
        return [self._feed_item(i) for i in chosen]

    # -- inside ----------------------------------------------------------------------------

    def _item(self, item_id: str) -> _Item:
        item = self._items.get(item_id.strip())
        if item is None or item.deleted:
            raise NodeError(f"no post or reply {item_id}")
        return item

    def _own_item(self, item_id: str) -> _Item:
        item = self._item(item_id)
        if item.post.peer != OWN:
            raise NodeError("only its author can change a post or reply")
        return item

    def _live(self) -> list[_Item]:
        return [i for i in self._items.values() if not i.deleted]

    def _roots(self) -> list[_Item]:
        return [i for i in self._live() if not i.post.reply_to]

    def _open_questions(self) -> list[_Item]:
        return [i for i in self._roots() if i.post.question and i.answer is None]

    def _ack_lists(self, item: _Item) -> tuple[tuple[Acknowledged, ...], tuple[Acknowledged, ...]]:
        acked = self._acked.get(item.post.id, {})
        members = [p for p in (self._me, *self._others) if p.id != item.post.peer]
        done = tuple(Acknowledged(p.id, p.name, acked[p.id]) for p in members if p.id in acked)
        missing = tuple(Acknowledged(p.id, p.name) for p in members if p.id not in acked)
        return tuple(sorted(done, key=lambda a: a.at or 0.0)), missing

    def _feed_item(self, item: _Item) -> FeedItem:
        post = item.post
        replies = sorted((i for i in self._live() if i.post.reply_to == post.id),
                         key=lambda i: i.post.sent_at)  # fmt: skip
        own = post.peer == OWN
        acks = AckView(post.id, *self._ack_lists(item)).count if own and post.ack else None
        return FeedItem(
            id=post.id, type="reply" if post.reply_to else "post", peer=post.peer,
            name=item.name, at=post.sent_at, text=post.text, urgent=post.urgent, own=own,
            reply_to=post.reply_to, replies=len(replies),
            last_reply_name=replies[-1].name if replies else "", question=post.question,
            answer=item.answer, ack=post.ack, acked=OWN in self._acked.get(post.id, {}),
            acks=acks, edited=post.edits > 0,
        )  # fmt: skip

    def _reply_event(self, root: _Item, reply: Post, name: str) -> ReplyReceived:
        involved = root.post.peer == OWN or any(
            i.post.peer == OWN and i.post.reply_to == root.post.id and i.post.id != reply.id
            for i in self._live()
        )
        return ReplyReceived(at=reply.sent_at, name=name, reply=reply,
                             thread_author=root.post.peer, question=root.post.question,
                             involved=involved, own=reply.peer == OWN)  # fmt: skip

    def _answer_event(self, root: _Item, reply: _Item) -> AnswerChosen:
        return AnswerChosen(at=time.time(), name=root.name, peer=root.post.peer,
                            question=root.post.id, text=root.post.text, reply=reply.post.id,
                            reply_peer=reply.post.peer, own=root.post.peer == OWN,
                            mine=reply.post.peer == OWN)  # fmt: skip

    def _searchable(self) -> list[tuple[str, str, str, str, str, float, str]]:
        rows = []
        for i in self._live():
            post = i.post
            kind = "reply" if post.reply_to else "question" if post.question else "post"
            rows.append((kind, post.id, post.reply_to or post.id, post.peer, i.name,
                         post.sent_at, post.text))  # fmt: skip
        for event_id, held in self._events.items():
            rows.append(("event", event_id, event_id, held.organiser, held.name,
                         held.updated_at, held.spec.title))  # fmt: skip
        rows.extend(
            ("status", f"status:{p.id}:{p.status.set_at:.6f}", p.id, p.id, p.name,
             p.status.set_at, p.status.text)
            for p in (self._me, *self._others) if p.status.text
        )  # fmt: skip
        return rows


def _checked(text: str) -> str:
    try:
        cleaned = clean_text(text, POST_TEXT_MAX)
    except ValueError as error:
        raise NodeError(f"too long: {error}") from None
    if not cleaned:
        raise NodeError("a reply needs some text")
    return cleaned


def _snippet(text: str, words: list[str]) -> str:
    """The text with each word that starts with a searched one between « and »."""

    def mark(match: re.Match[str]) -> str:
        word = match.group(0)
        return f"«{word}»" if any(word.casefold().startswith(w) for w in words) else word

    return re.sub(r"\w+", mark, text)


class FakeNode(FakeKnowledge):
    """Satisfies `hallway.ui.ports.NodePort`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self._callbacks: list[Callable[[Event], None]] = []
        self._lock = threading.Lock()
        self.fail_with: str | None = None
        self._me = peer(OWN, "Me", own=True)
        self._others = [
            peer(ANN, "Ann"),
            peer(BEN, "ben", online=False),
            peer(CY, "Cy"),
        ]
        self.feed_items: list[FeedItem] = []
        self.recent: list[Status] = [
            Status(Presence.BUSY, "In a meeting", "📅", set_at=10.0),
            Status(Presence.AWAY, "Lunch & coffee", "🍽️", set_at=5.0),
        ]
        # Events, as the engine keeps them: the organiser's spec and everyone's answers.
        self._events: dict[str, _Held] = {}
        self._answers: dict[str, dict[str, Rsvp]] = {}
        self._made = 0
        self._knocks: dict[str, KnockView] = {}
        self.quiet: QuietHours | None = None
        self._knowledge_init()

    # -- NodePort --------------------------------------------------------------------------

    @property
    def info(self) -> NodeInfo:
        return NodeInfo(
            id=OWN,
            fingerprint=display_fingerprint(OWN),
            name=self._me.name,
            office=None,
            router_port=1,
            pub_port=2,
            addresses=("198.18.0.1",),
        )

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        with self._lock:
            self._callbacks.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                self._callbacks.remove(callback)

        return unsubscribe

    def _record(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((name, args, kwargs))
        if self.fail_with:
            raise NodeError(self.fail_with)

    def set_status(
        self, presence: Presence, text: str = "", *, emoji: str = "", until: float | None = None
    ) -> Status:
        self._record("set_status", presence, text, emoji=emoji, until=until)
        status = Status(presence, text, emoji, until, set_at=time.time())
        self._me = msgspec.structs.replace(self._me, status=status)
        return status

    def clear_status(self) -> Status:
        self._record("clear_status")
        self._me = msgspec.structs.replace(self._me, status=Status(set_at=time.time()))
        return self._me.status

    def post(
        self, text: str, *, urgent: bool = False, question: bool = False, ack: bool = False
    ) -> Post:
        marks = {k: True for k, v in (("question", question), ("ack", ack)) if v}
        self._record("post", text, urgent=urgent, **marks)
        event = self.receive_post(OWN, self._me.name, _checked(text), urgent=urgent,
                                  question=question, ack=ack)  # fmt: skip
        self.emit(event)
        return event.post

    def set_name(self, name: str) -> None:
        self._record("set_name", name)

    def peers(self) -> list[PeerView]:
        return [self._me, *self._others]

    def me(self) -> PeerView:
        return self._me

    def feed(self, limit: int = 50, *, questions: bool = False) -> list[FeedItem]:
        """The test's `feed_items` and the posts held here, newest first."""
        held = self.held_feed(questions=questions)
        items = held if questions else [*self.feed_items, *held]
        return sorted(items, key=lambda i: i.at, reverse=True)[:limit]

    def recent_statuses(self, limit: int = 5) -> list[Status]:
        return self.recent[:limit]

    # -- events ----------------------------------------------------------------------------

    def create_event(self, spec: EventSpec) -> EventView:
        self._record("create_event", spec)
        try:
            spec = check_event(spec, now=time.time())
        except MeetupError as error:
            raise NodeError(str(error)) from None
        self._made += 1
        return self.add_event(OWN, "Me", spec, seq=self._made)

    def events(self, *, include_past: bool = False) -> list[EventView]:
        now = time.time()
        views = [self.event(event_id) for event_id in self._events]
        if not include_past:
            views = [v for v in views if not v.cancelled and not v.past(now)]
        return sorted(views, key=lambda v: v.start)

    def event(self, event_id: str) -> EventView:
        held = self._events.get(event_id)
        if held is None:
            raise NodeError(f"no event {event_id}")
        names = {p.id: p.name for p in self.peers()}
        return build_view(
            id=event_id,
            organiser=held.organiser,
            organiser_name=held.name,
            spec=held.spec,
            sequence=held.sequence,
            updated_at=held.updated_at,
            rsvps=self._answers[event_id].values(),
            names=names,
            own_id=OWN,
        )

    def rsvp(self, event_id: str, answer: Answer) -> EventView:
        self._record("rsvp", event_id, Answer(answer))
        view = self.event(event_id)
        if view.cancelled or time.time() >= view.start:
            raise NodeError("that event is cancelled or has started")
        self.answer_event(event_id, OWN, Answer(answer))
        return self.event(event_id)

    def edit_event(self, event_id: str, **changes: Any) -> EventView:
        self._record("edit_event", event_id, **changes)
        held = self._own_event(event_id)
        if changes.pop("clear_capacity", False):
            changes["capacity"] = None
        spec = msgspec.structs.replace(held.spec, **changes)
        held.spec, held.sequence, held.updated_at = spec, held.sequence + 1, time.time()
        return self.event(event_id)

    def cancel_event(self, event_id: str) -> EventView:
        self._record("cancel_event", event_id)
        held = self._own_event(event_id)
        held.spec = msgspec.structs.replace(held.spec, cancelled=True)
        held.sequence += 1
        return self.event(event_id)

    def _own_event(self, event_id: str) -> _Held:
        self.event(event_id)
        held = self._events[event_id]
        if held.organiser != OWN:
            raise NodeError("only its organiser can change an event")
        return held

    def add_event(
        self, organiser: str, name: str, spec: EventSpec, *, seq: int = 1, at: float | None = None
    ) -> EventView:
        """Hold an event (someone else's, say) without recording a command."""
        event_id = f"{organiser}:1:{seq}"
        updated = time.time() if at is None else at
        self._events[event_id] = _Held(organiser, name, spec, 0, updated)
        self._answers[event_id] = {}
        return self.event(event_id)

    def answer_event(
        self, event_id: str, peer_id: str, answer: Answer, at: float | None = None
    ) -> None:
        """`peer_id`'s answer, as the engine would hold it (the time kept for the same one)."""
        held = self._answers[event_id].get(peer_id)
        when = held.at if held and held.answer is answer else (at or time.time())
        self._answers[event_id][peer_id] = Rsvp(peer=peer_id, answer=answer, at=when)

    # -- knocks ----------------------------------------------------------------------------

    def knock(self, peer: str, text: str = "", *, urgent: bool = False) -> KnockView:
        self._record("knock", peer, text, urgent=urgent)
        known = {p.id: p.name for p in self._others}
        if peer not in known:
            raise NodeError(f"no colleague {peer!r}")
        now = time.time()
        view = KnockView(id=f"{len(self._knocks) + 1:016x}", peer=peer, name=known[peer],
                         outgoing=True, text=check_knock_text(text), urgent=urgent,
                         state="pending", created=now, expires=now + KNOCK_EXPIRY)  # fmt: skip
        self._knocks[view.id] = view
        return view

    def knocks(self) -> list[KnockView]:
        return sorted(self._knocks.values(), key=lambda k: k.created, reverse=True)

    def reply_knock(self, knock_id: str, reply: str) -> KnockView:
        self._record("reply_knock", knock_id, reply)
        view = self._knocks.get(knock_id)
        if view is None or view.outgoing:
            raise NodeError(f"no knock {knock_id} to answer")
        view = msgspec.structs.replace(view, state="replied", reply=check_reply(reply))
        self._knocks[knock_id] = view
        return view

    def set_quiet_hours(self, quiet: QuietHours | None) -> None:
        self._record("set_quiet_hours", quiet)
        self.quiet = quiet

    def incoming_knock(
        self, peer: str, name: str, text: str = "Got a minute?", *, urgent: bool = False
    ) -> KnockReceived:
        """A colleague's knock, held as the engine holds it; the event that shows it."""
        now = time.time()
        view = KnockView(id=f"{len(self._knocks) + 1:016x}", peer=peer, name=name,
                         outgoing=False, text=text, urgent=urgent, state="shown", created=now,
                         expires=now + KNOCK_EXPIRY)  # fmt: skip
        self._knocks[view.id] = view
        return KnockReceived(at=now, name=name, knock=view)

    def knock_news(self, knock_id: str, what: str, *, reply: str = "", reason: str = "") -> Any:
        """What the engine says of our knock: "delivered", "held", "replied" or "expired"."""
        view = self._knocks[knock_id]
        state = {"delivered": "delivered", "held": "held", "replied": "replied"}.get(what, what)
        view = msgspec.structs.replace(view, state=state, reply=reply or None,
                                       held=reason if what == "held" else "")  # fmt: skip
        self._knocks[knock_id] = view
        at = time.time()
        if what in ("delivered", "held"):
            return KnockDelivered(at=at, name=view.name, knock=view, held=what == "held",
                                  reason=reason)  # fmt: skip
        if what == "replied":
            return KnockReplied(at=at, name=view.name, knock=view)
        return KnockExpired(at=at, name=view.name, knock=view)

    # -- test helpers ----------------------------------------------------------------------

    def names_called(self) -> list[str]:
        return [name for name, _args, _kwargs in self.calls]

    def emit(self, *events: Event) -> None:
        """Deliver events to subscribers on another thread, as the engine does."""

        def deliver() -> None:
            with self._lock:
                callbacks = list(self._callbacks)
            for event in events:
                for callback in callbacks:
                    callback(event)

        thread = threading.Thread(target=deliver, name="fake-engine")
        thread.start()
        thread.join(timeout=5)
        assert not thread.is_alive()


class _Held:
    def __init__(
        self, organiser: str, name: str, spec: EventSpec, sequence: int, updated_at: float
    ) -> None:
        self.organiser, self.name, self.spec = organiser, name, spec
        self.sequence, self.updated_at = sequence, updated_at


def event_changed(
    view: EventView, change: str = "created", *, live: bool = True, at: float | None = None
) -> EventChanged:
    return EventChanged(
        at=time.time() if at is None else at,
        name=view.organiser_name,
        change=change,
        event=view,
        own=view.own,
        live=live,
    )


def post_event(
    pid: str,
    name: str,
    text: str,
    *,
    urgent: bool = False,
    seq: int = 1,
    at: float | None = None,
    live: bool = True,
) -> PostReceived:
    at = time.time() if at is None else at
    return PostReceived(
        at=at,
        post=Post(id=f"{pid}:1:{seq}", peer=pid, text=text, urgent=urgent, sent_at=at),
        name=name,
        live=live,
    )


def status_event(
    pid: str,
    name: str,
    presence: Presence,
    text: str = "",
    *,
    at: float | None = None,
    own: bool = False,
    until: float | None = None,
    emoji: str = "",
) -> StatusChanged:
    at = time.time() if at is None else at
    return StatusChanged(
        at=at, peer=pid, name=name, own=own, status=Status(presence, text, emoji, until, set_at=at)
    )


def online_event(pid: str, name: str) -> PeerOnline:
    return PeerOnline(at=time.time(), peer=pid, name=name, address="198.18.0.9")


def offline_event(pid: str, name: str) -> PeerOffline:
    return PeerOffline(at=time.time(), peer=pid, name=name, reason="bye")


def renamed_event(pid: str, name: str) -> PeerRenamed:
    return PeerRenamed(at=time.time(), peer=pid, name=name)


class FakeRuntime:
    """Satisfies `hallway.ui.ports.RuntimePort` around a `FakeNode`."""

    def __init__(self, node: FakeNode, warnings: list[str] | None = None) -> None:
        self.node = node
        self.closed = 0
        self.warnings = warnings or []

    def close(self) -> None:
        self.closed += 1


class RecordingNotifier:
    """A `Notifier` that keeps what it was asked to show, with the actions offered."""

    def __init__(self, *, actions: bool = True) -> None:
        self.on_activated: Callable[[str | None], None] | None = None
        self.on_action: Callable[[str | None, str], None] | None = None
        self.supports_actions = actions
        self.shown: list[tuple[str, str, str, str | None]] = []
        self.actions: list[tuple[tuple[str, str], ...]] = []

    def notify(
        self, title: str, body: str, urgency: str, item_id: str | None, image: Any = None,
        *, actions: Any = (),
    ) -> None:  # fmt: skip
        self.shown.append((title, body, urgency, item_id))
        self.actions.append(tuple(actions))

    def titles(self) -> list[str]:
        return [title for title, *_ in self.shown]

    def close(self) -> None:
        pass


class FakeIdleSource:
    """An idle source the test drives: `idle` seconds, `is_locked`, and `lock()`/`unlock()`
    that call back from another thread as the screen saver's does."""

    name = "a fake idle source"

    def __init__(self) -> None:
        self.on_lock_change: Callable[[], None] | None = None
        self.idle = 0.0
        self.is_locked = False
        self.fail = False
        self.closed = False

    def idle_seconds(self) -> float:
        if self.fail:
            from hallway.ui.idle_sources import IdleSourceError

            raise IdleSourceError("gone")
        return self.idle

    def locked(self) -> bool:
        return self.is_locked

    def set_locked(self, locked: bool) -> None:
        self.is_locked = locked
        callback = self.on_lock_change
        if callback is not None:
            thread = threading.Thread(target=callback, name="fake-screensaver")
            thread.start()
            thread.join(timeout=5)

    def close(self) -> None:
        self.closed = True
