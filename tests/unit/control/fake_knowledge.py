"""The knowledge-sharing API of `hallway.engine.Node` (issue 11), in memory, for `FakeNode`.

It refuses what the engine refuses (an unknown id, someone else's question or item, an ack on a
post that does not ask for it) with a `NodeError` and changes nothing then, so the control and
CLI tests need no engine. `receive_post` plays a colleague's post or reply arriving.
"""

from __future__ import annotations

import re
import time

import msgspec

from hallway.core.knowledge import search_words
from hallway.core.model import Post, extract_tags
from hallway.engine.events import FeedItem
from hallway.engine.node import NodeError
from hallway.engine.views import Acknowledged, AckView, Attention, SearchHit, ThreadView

ME = "a" * 32
BEN = "b" * 32
CAT = "c" * 32
MEMBERS = {ME: "Ann", BEN: "Ben", CAT: "Cat"}

_WORD = re.compile(r"\w+")


class FakeKnowledge:
    def __init__(self) -> None:
        self.posts: list[Post] = []  # posts and replies, oldest first
        self.calls: list[str] = []
        self.answers: dict[str, str] = {}  # question id -> reply id
        self.acked: dict[str, dict[str, float]] = {}  # post id -> {peer: when}
        self.reminded: list[str] = []
        self.thread_fails = False  # `thread` raises, as a node in trouble might

    # the Node's API ------------------------------------------------------------------------

    def post(
        self, text: str, *, urgent: bool = False, question: bool = False, ack: bool = False
    ) -> Post:
        self.calls.append("post")
        return self.receive_post(ME, text, urgent=urgent, question=question, ack=ack)

    def reply(self, post_id: str, text: str) -> Post:
        self.calls.append("reply")
        thread = self._root(self._post_of(post_id))
        if not text.strip():
            raise NodeError("a reply needs some text")
        return self.receive_post(ME, text, reply_to=thread.id)

    def answer(self, reply_id: str) -> FeedItem:
        self.calls.append("answer")
        reply = self._post_of(reply_id)
        if not reply.reply_to:
            raise NodeError(f"{reply_id!r} is a post, not a reply: choose one of its replies")
        question = self._post_of(reply.reply_to)
        if question.peer != ME:
            raise NodeError(
                f"only the author of a question can choose its answer; this one is "
                f"{MEMBERS[question.peer]}'s"
            )
        if not question.question:
            raise NodeError("that post is not a question, so it has no answer to choose")
        self.answers[question.id] = reply.id
        return self._item(question)

    def ack(self, post_id: str) -> FeedItem:
        self.calls.append("ack")
        post = self._asking(post_id)
        if post.peer == ME:
            raise NodeError("that post is your own; `hallway acks` shows who acknowledged it")
        self.acked.setdefault(post.id, {})[ME] = time.time()
        return self._item(post)

    def acks(self, post_id: str) -> AckView:
        return self._ack_view(self._asking(post_id))

    def remind_acks(self, post_id: str) -> AckView:
        self.calls.append("remind_acks")
        post = self._asking(post_id)
        if post.peer != ME:
            raise NodeError("only the author of a post can remind people to acknowledge it")
        self.reminded.append(post.id)
        return self._ack_view(post)

    def thread(self, item_id: str) -> ThreadView:
        if self.thread_fails:
            raise NodeError("the store is busy")
        post = self._root(self._post_of(item_id))
        replies = tuple(self._item(p) for p in self.posts if p.reply_to == post.id)
        return ThreadView(post=self._item(post), replies=replies)

    def edit(self, item_id: str, text: str) -> FeedItem:
        self.calls.append("edit")
        post = self._own_post(item_id, "edit")
        if not text.strip():
            raise NodeError("a post needs some text")
        edited = msgspec.structs.replace(
            post, text=text, tags=extract_tags(text), edits=post.edits + 1
        )
        self.posts[self.posts.index(post)] = edited
        return self._item(edited)

    def delete(self, item_id: str) -> None:
        self.calls.append("delete")
        post = self._own_post(item_id, "delete")
        self.posts = [p for p in self.posts if post.id not in (p.id, p.reply_to)]

    def feed(self, limit: int = 50, *, questions: bool = False) -> list[FeedItem]:
        posts = [p for p in reversed(self.posts) if not p.reply_to]
        if questions:
            posts = [p for p in posts if p.question and p.id not in self.answers]
        return [self._item(p) for p in posts][:limit]

    def search(self, words: str, limit: int = 50) -> list[SearchHit]:
        wanted = search_words(words)
        if not wanted:
            raise NodeError("a search needs at least one word (letters or digits)")
        hits: list[SearchHit] = []
        for post in reversed(self.posts):
            if not all(_has_word(post.text, word) for word in wanted):
                continue
            kind = "reply" if post.reply_to else "question" if post.question else "post"
            snippet = _WORD.sub(
                lambda m: f"«{m[0]}»" if _matches(m[0], wanted) else m[0], post.text
            )
            hits.append(
                SearchHit(
                    kind=kind, id=post.id, thread=post.reply_to or post.id, peer=post.peer,
                    name=MEMBERS.get(post.peer, "?"), at=post.sent_at, text=post.text,
                    snippet=snippet, rank=-float(len(hits)),
                )
            )  # fmt: skip
        return hits[:limit]

    def attention(self) -> Attention:
        tops = [p for p in self.posts if not p.reply_to]
        open_questions = sum(1 for p in tops if p.question and p.id not in self.answers)
        unacked = tuple(
            self._item(p)
            for p in reversed(tops)
            if p.ack and p.peer != ME and ME not in self.acked.get(p.id, {})
        )
        return Attention(open_questions=open_questions, unacked=unacked)

    # for the tests -------------------------------------------------------------------------

    def receive_post(
        self,
        peer: str,
        text: str,
        *,
        urgent: bool = False,
        question: bool = False,
        ack: bool = False,
        reply_to: str = "",
    ) -> Post:
        """A post (or, with `reply_to`, a reply) by `peer`, as if it had arrived."""
        post = Post(
            id=f"{peer}:1:{len(self.posts) + 1}",
            peer=peer,
            text=text,
            urgent=urgent,
            sent_at=time.time(),
            tags=extract_tags(text),
            reply_to=reply_to,
            question=question,
            ack=ack,
        )
        self.posts.append(post)
        return post

    def acknowledge_as(self, post_id: str, peer: str, at: float) -> None:
        self.acked.setdefault(post_id, {})[peer] = at

    # helpers -------------------------------------------------------------------------------

    def _post_of(self, item_id: str) -> Post:
        for post in self.posts:
            if post.id == item_id.strip():
                return post
        raise NodeError(f"no post or reply with the id {item_id!r} is known here")

    def _root(self, post: Post) -> Post:
        return self._post_of(post.reply_to) if post.reply_to else post

    def _asking(self, post_id: str) -> Post:
        post = self._post_of(post_id)
        if not post.ack:
            raise NodeError("that post does not ask to be acknowledged")
        return post

    def _own_post(self, item_id: str, verb: str) -> Post:
        post = self._post_of(item_id)
        if post.peer != ME:
            raise NodeError(
                f"you can only {verb} your own posts and replies; this one is "
                f"{MEMBERS[post.peer]}'s"
            )
        return post

    def _ack_view(self, post: Post) -> AckView:
        acked = self.acked.get(post.id, {})
        return AckView(
            post=post.id,
            acknowledged=tuple(Acknowledged(p, MEMBERS[p], at) for p, at in acked.items()),
            missing=tuple(
                Acknowledged(p, name)
                for p, name in MEMBERS.items()
                if p != post.peer and p not in acked
            ),
        )

    def _item(self, post: Post) -> FeedItem:
        replies = [p for p in self.posts if p.reply_to == post.id]
        own = post.peer == ME
        return FeedItem(
            id=post.id,
            type="reply" if post.reply_to else "post",
            peer=post.peer,
            name=MEMBERS.get(post.peer, "?"),
            at=post.sent_at,
            text=post.text,
            urgent=post.urgent,
            tags=post.tags,
            own=own,
            reply_to=post.reply_to,
            replies=len(replies),
            last_reply_name=MEMBERS.get(replies[-1].peer, "?") if replies else "",
            question=post.question,
            answer=self.answers.get(post.id),
            ack=post.ack,
            acked=ME in self.acked.get(post.id, {}),
            acks=self._ack_view(post).count if own and post.ack else None,
            edited=post.edits > 0,
        )


def _matches(token: str, wanted: list[str]) -> bool:
    return any(token.casefold().startswith(word) for word in wanted)


def _has_word(text: str, word: str) -> bool:
    return any(token.casefold().startswith(word) for token in _WORD.findall(text))
