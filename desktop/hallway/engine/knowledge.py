"""Knowledge sharing (issue 11): threads, questions and their answers, acknowledgements, edits,
deletions and search, as the engine applies and commands them.

Everything here is a version of its author's own record (`core.knowledge`), handed over by the
one sync path with the author the CURVE handshake proved: a reply is the replier's post, a
chosen answer and a reminder to acknowledge are fields of the question's (the post's) own
record, an acknowledgement is the acknowledger's `ack` record. So no member can choose another's
answer, acknowledge for someone else, or change what someone else wrote.

Posts' versions live in the items table (their first version took the fast path of every post,
`Records._apply_post`); acknowledgements in the records table. Neither is held in memory.
"""

from __future__ import annotations

import msgspec

from hallway.core import wire
from hallway.core.knowledge import MISSING_DAYS, QUESTION_KEEP, QUESTION_RECENT, KnowledgeError
from hallway.core.model import Post, Presence, extract_tags, post_id, strip_controls
from hallway.core.records import local_key, parse_local_key, split_id
from hallway.core.roster import received_time
from hallway.engine import events as ev
from hallway.engine.meetups import Meetups
from hallway.engine.quota import item_size
from hallway.engine.state import post_value
from hallway.engine.views import Acknowledged, AckView, Attention, SearchHit, ThreadView
from hallway.store.records import StoredItem, StoredRecord

#: An acknowledgement is kept as long as the longest-kept post it can be of, and a day more.
ACK_KEEP = QUESTION_KEEP + 86400.0


class Knowledge(Meetups):
    """The actor's part for threads, answers, acknowledgements, edits, deletions, search."""

    # versions from peers ------------------------------------------------------------------------

    def _apply_post_version(self, peer: str, rec: wire.SnapRec, *, live: bool) -> None:
        """A version of a post other than its first (an edit, a chosen answer, a reminder) or
        its deletion: stored if newer than the one held, then announced by what changed."""
        inc, seq, at = rec.inc, rec.seq, rec.at
        val = rec.val if isinstance(rec.val, wire.PostValue) else None
        made = parse_local_key(rec.key)
        if made is None:  # wire.decode_* checked it: never None here
            return
        self._flush()  # the first version may still be in this turn's batch
        held = self.store.item(post_id(peer, *made))
        if held is not None and held.ver >= seq:
            return
        now = self.clock()
        if val is None:
            if held is None or held.deleted:
                return  # nothing of it here to delete
            item = _tombstone(held, inc, seq)
        else:
            text = strip_controls(val.text)
            if not self._admit(peer, text):
                return
            item = StoredItem(
                peer=peer,
                inc=made[0],
                seq=made[1],
                kind="post",
                sent_at=received_time(val.posted or at, now),
                received_at=now,
                text=text,
                urgent=val.urgent,
                tags=extract_tags(text),
                name=held.name if held is not None else self.name_of(peer),
                reply_to=val.reply_to,
                question=val.question,
                ack=val.ack,
                answer=val.answer,
                edits=val.edits,
                nudges=val.nudges,
                ver=seq,
                ver_inc=inc,
            )
        try:
            stored = self.store.put_item_version(item)
        except Exception as exc:  # noqa: BLE001 -- a full disk must not stop the node
            self._drop("store", f"could not save a changed post: {exc}")
            stored = False
        if not stored:
            self.quotas.release(peer, item_size(item.text))
            return
        if held is not None:
            self.quotas.release(peer, item_size(held.text))  # replaced by the new version
        self._announce_version(held, item, live=live)

    def _announce_version(self, held: StoredItem | None, item: StoredItem, *, live: bool) -> None:
        """Say what a version changed: a post we had not seen is news like any (its first
        version may have been missed), otherwise an edit, an answer, a reminder, a deletion."""
        now = self.clock()
        name = self.name_of(item.peer)
        own = item.peer == self.own.id
        if held is None or held.deleted:
            if not item.deleted:
                self._announce_new(item.as_post(), name=name, live=live)
            return
        if item.deleted:
            self.emit(
                ev.ItemDeleted(
                    at=now, peer=item.peer, name=name, id=item.id, reply_to=item.reply_to, own=own
                )
            )
            return
        if item.edits != held.edits or item.text != held.text:
            self.emit(
                ev.ItemEdited(
                    at=now,
                    peer=item.peer,
                    name=name,
                    id=item.id,
                    text=item.text,
                    reply_to=item.reply_to,
                    own=own,
                )
            )
        if (
            item.question
            and item.answer != held.answer
            and (not item.answer or self.store.answers(item))
        ):
            answerer = split_id(item.answer)
            reply_peer = answerer[0] if answerer else ""
            self.emit(
                ev.AnswerChosen(
                    at=now,
                    peer=item.peer,
                    name=name,
                    question=item.id,
                    text=item.text,
                    reply=item.answer,
                    reply_peer=reply_peer,
                    own=own,
                    mine=reply_peer == self.own.id,
                    live=live,
                )
            )
        if (
            live
            and item.ack
            and item.nudges > held.nudges
            and not own
            and not self.store.acked(item.id, self.own.id)
        ):
            self.emit(ev.AckNudged(at=now, name=name, post=item.as_post()))

    def _announce_new(self, post: Post, *, name: str, live: bool) -> None:
        """A post or a reply seen for the first time (or our own, just written)."""
        now = self.clock()
        own = post.peer == self.own.id
        if not post.reply_to:
            self.emit(ev.PostReceived(at=now, post=post, name=name, live=live, own=own))
            return
        thread = self.store.item(post.reply_to)
        author = split_id(post.reply_to)
        thread_author = author[0] if author else ""
        involved = thread_author == self.own.id or self.store.replied(post.reply_to, self.own.id)
        self.emit(
            ev.ReplyReceived(
                at=now,
                name=name,
                reply=post,
                thread_author=thread_author,
                question=thread is not None and thread.question,
                involved=involved,
                own=own,
                live=live,
            )
        )

    def _apply_acks(
        self, peer: str, recs: list[tuple[int, int, float, str, wire.Value | None]], *, live: bool
    ) -> None:
        """Versions of `peer`'s acknowledgements, (inc, ver, at, key, value) each: stored in
        one transaction, each if newer than the one held."""
        now = self.clock()
        records = [
            StoredRecord(
                peer,
                "ack",
                key,
                ver,
                inc,
                received_time(at, now),
                now,
                wire.encode_value(val),
                now + ACK_KEEP,
            )
            for inc, ver, at, key, val in recs
            if val is None or isinstance(val, wire.AckValue)
        ]
        admitted = [r for r in records if self._admit(peer, "", size=len(r.value), report=False)]
        if len(admitted) < len(records):
            self._over_quota(peer, len(records) - len(admitted))
        try:
            stored = self.store.put_records(admitted)
        except Exception as exc:  # noqa: BLE001 -- a full disk must not stop the node
            self._drop("store", f"could not save acknowledgements: {exc}")
            return
        for record, new in zip(admitted, stored, strict=True):
            if not new or not record.value:
                continue
            mine = self._own_ack_post(record.key)
            if live or mine:
                self.emit(
                    ev.AckReceived(
                        at=now,
                        peer=peer,
                        name=self.name_of(peer),
                        post=record.key,
                        own=peer == self.own.id,
                        acks=self.ack_view(record.key).count if mine else None,
                    )
                )

    def _own_ack_post(self, item_id: str) -> bool:
        author = split_id(item_id)
        if author is None or author[0] != self.own.id:
            return False
        item = self.store.item(item_id)
        return item is not None and item.ack and not item.deleted

    # commands -----------------------------------------------------------------------------------

    def reply(self, item_id: str, text: str) -> Post:
        post = self._write_post(text, reply_to=self._thread_post(item_id).id)
        self._announce_new(post, name=self.own.name, live=True)
        return post

    def choose_answer(self, reply_id: str) -> ev.FeedItem:
        reply = self._held(reply_id)
        if not reply.reply_to:
            raise KnowledgeError(f"{reply_id} is a post, not a reply; answers are replies")
        question = self.store.item(reply.reply_to)
        if question is None or question.deleted:
            raise KnowledgeError("the question of that reply is no longer here")
        if not question.question:
            raise KnowledgeError(f"“{_short(question.text)}” is not a question")
        self._check_mine(question, "choose its answer")
        if question.answer != reply.id:
            question = self._write_version(question, answer=reply.id)
        return self._feed_items([question])[0]

    def acknowledge(self, item_id: str) -> ev.FeedItem:
        post = self._held(item_id)
        if not post.ack or post.reply_to:
            raise KnowledgeError(f"“{_short(post.text)}” does not ask to be acknowledged")
        if post.peer == self.own.id:
            raise KnowledgeError("that is your own post: `hallway acks` shows who acknowledged")
        if not self.store.acked(post.id, self.own.id):
            at = self.clock()
            value = wire.AckValue(at=at)
            own = self.own
            record = StoredRecord(
                own.id,
                "ack",
                post.id,
                own.seq + 1,
                own.inc,
                at,
                at,
                wire.encode_value(value),
                at + ACK_KEEP,
            )
            self.store.put_records([record])  # written first: it survives kill -9
            self._publish(wire.Rec(kind="ack", key=post.id, val=value), at=at)
            self.emit(ev.AckReceived(at=at, peer=own.id, name=own.name, post=post.id, own=True))
        return self._feed_items([post])[0]

    def ack_view(self, item_id: str) -> AckView:
        post = self._held(item_id)
        if not post.ack:
            raise KnowledgeError(f"“{_short(post.text)}” does not ask to be acknowledged")
        acks = self.store.acks(post.id)
        done = {peer for peer, _ in acks}
        cutoff = self.clock() - MISSING_DAYS * 86400.0
        missing = sorted(
            (
                Acknowledged(peer=state.id, name=self.name_of(state.id))
                for state in self.roster
                if state.id not in done
                and state.id != post.peer
                and (state.online or state.last_heard >= cutoff)
            ),
            key=lambda a: (a.name.casefold(), a.peer),
        )
        return AckView(
            post=post.id,
            acknowledged=tuple(
                Acknowledged(peer=peer, name=self.name_of(peer), at=at) for peer, at in acks
            ),
            missing=tuple(missing),
        )

    def remind_acks(self, item_id: str) -> AckView:
        post = self._held(item_id)
        self._check_mine(post, "remind people of it")
        view = self.ack_view(item_id)
        if view.missing:
            self._write_version(post, nudges=post.nudges + 1)
        return view

    def thread_view(self, item_id: str) -> ThreadView:
        thread = self._thread_post(item_id)
        replies = self.store.thread(thread.id)
        items = self._feed_items([thread, *replies])
        return ThreadView(post=items[0], replies=tuple(items[1:]))

    def edit_item(self, item_id: str, text: str) -> ev.FeedItem:
        item = self._held(item_id)
        self._check_mine(item, "edit it")
        if text != item.text:
            item = self._write_version(
                item, text=text, tags=extract_tags(text), edits=item.edits + 1
            )
        return self._feed_items([item])[0]

    def delete_item(self, item_id: str) -> None:
        item = self._held(item_id)
        self._check_mine(item, "delete it")
        self._write_version(item, deleted=True)

    def search(self, query: str, limit: int) -> list[SearchHit]:
        self._flush()
        self._index_now()  # what came in the last moment is found too
        hits = []
        for row in self.store.search(query, limit):
            if row.kind == "event":
                held = self.book.events.get(row.id)
                if held is None or held.spec is None:
                    continue
                kind, thread, at, name = "event", row.id, held.spec.start, self.name_of(row.peer)
            else:
                kind = "reply" if row.reply_to else "question" if row.question else row.kind
                thread, at, name = (
                    row.reply_to or row.id,
                    row.at,
                    row.name or self.name_of(row.peer),
                )
            hits.append(
                SearchHit(
                    kind=kind,
                    id=row.id,
                    thread=thread,
                    peer=row.peer,
                    name=name,
                    at=at,
                    text=row.text,
                    snippet=row.snippet,
                    rank=row.rank,
                )
            )
        return hits

    def attention(self) -> Attention:
        now = self.clock()
        questions = self.store.questions(now - QUESTION_RECENT, open_only=True, limit=1000)
        since = now - self.cfg.post_history_days * 86400.0
        unacked = [
            post
            for post in self.store.ack_posts(since)
            if post.peer != self.own.id and not self.store.acked(post.id, self.own.id)
        ]
        return Attention(open_questions=len(questions), unacked=tuple(self._feed_items(unacked)))

    def feed_items(self, limit: int, *, questions: bool = False) -> list[ev.FeedItem]:
        if questions:
            since = self.clock() - QUESTION_KEEP
            return self._feed_items(self.store.questions(since, open_only=True, limit=limit))
        return self._feed_items(self.store.items(limit))

    # helpers ------------------------------------------------------------------------------------

    def _held(self, item_id: str) -> StoredItem:
        item = self.store.item(item_id)
        if item is None or item.deleted or item.kind != "post":
            raise KnowledgeError(f"no post or reply with id {item_id!r}; `hallway feed` shows them")
        return item

    def _thread_post(self, item_id: str) -> StoredItem:
        """The post whose thread `item_id` (a post, or a reply in its thread) is in."""
        item = self._held(item_id)
        if not item.reply_to:
            return item
        thread = self.store.item(item.reply_to)
        if thread is None or thread.deleted:
            raise KnowledgeError("the post that reply answers is no longer here")
        return thread

    def _check_mine(self, item: StoredItem, doing: str) -> None:
        if item.peer != self.own.id:
            who = item.name or self.name_of(item.peer) or item.peer[:8]
            raise KnowledgeError(f"“{_short(item.text)}” is {who}'s; only its author can {doing}")

    def _write_version(self, held: StoredItem, **changes: object) -> StoredItem:
        """Write, then publish, a new version of one of our posts: written first, so what a
        command confirmed survives kill -9 (a full disk raises here, and nothing is published)."""
        own = self.own
        at = self.clock()
        item = msgspec.structs.replace(held, ver=own.seq + 1, ver_inc=own.inc, **changes)
        if item.deleted:
            item = _tombstone(held, own.inc, own.seq + 1)
        self.store.put_item_version(item)
        value = None if item.deleted else post_value(item)
        key = local_key(held.inc, held.seq)
        self._publish(wire.Rec(kind="post", key=key, val=value), at=at)
        self._announce_version(held, item, live=True)
        return item

    def _feed_items(self, items: list[StoredItem]) -> list[ev.FeedItem]:
        own = self.own.id
        posts = [item.id for item in items if item.kind == "post" and not item.reply_to]
        threads = self.store.threads(posts)
        asks = {item.id for item in items if item.ack and item.peer == own}
        out = []
        for item in items:
            name = item.name or self.name_of(item.peer)
            look_alike, short = self.names.tag(item.peer, name)
            replies, last_peer, last_name = threads.get(item.id, (0, "", ""))
            acks = self.ack_view(item.id).count if item.id in asks else None
            out.append(
                ev.FeedItem(
                    id=item.id,
                    type="reply" if item.reply_to else item.kind,
                    peer=item.peer,
                    name=name,
                    look_alike=look_alike,
                    short_fingerprint=short,
                    at=item.sent_at,
                    text=item.text,
                    urgent=item.urgent,
                    tags=item.tags,
                    presence=Presence(item.presence) if item.presence else None,
                    emoji=item.emoji,
                    own=item.peer == own,
                    reply_to=item.reply_to,
                    replies=replies,
                    last_reply_name=last_name or (self.name_of(last_peer) if last_peer else ""),
                    question=item.question,
                    answer=item.answer if item.question and self.store.answers(item) else None,
                    ack=item.ack,
                    acked=item.ack and item.peer != own and self.store.acked(item.id, own),
                    acks=acks,
                    edited=item.edits > 0,
                )
            )
        return out


def _tombstone(held: StoredItem, inc: int, seq: int) -> StoredItem:
    """What a deleted post keeps: who wrote it and when, so no older version comes back."""
    return msgspec.structs.replace(
        held, text="", tags=(), answer="", deleted=True, ver=seq, ver_inc=inc
    )


def _short(text: str, size: int = 40) -> str:
    line = " ".join(text.split())
    return line if len(line) <= size else line[: size - 1] + "…"
