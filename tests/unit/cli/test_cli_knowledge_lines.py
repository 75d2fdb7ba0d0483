"""The human lines of issue 11: `watch` for replies, answers, acknowledgements, reminders, edits
and deletes; the notes of a feed item; acks, search and thread pages. One line per item, and no
peer's text can start a line of its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from hallway.cli.knowledge_output import acks_lines, search_lines, thread_lines
from hallway.cli.output import Style, event_line, feed_lines
from hallway.core.model import Post
from hallway.engine.events import (
    AckNudged,
    AckReceived,
    AnswerChosen,
    Event,
    FeedItem,
    ItemDeleted,
    ItemEdited,
    PostReceived,
    ReplyReceived,
)
from hallway.engine.views import Acknowledged, AckView, SearchHit, ThreadView
from tests.unit.cli.test_cli_events import Pipe
from tests.unit.control.fake_node import BEN, CAT, ME

NOW = datetime(2026, 11, 26, 10, 0).astimezone()
AT = NOW.timestamp()
POST = f"{ME}:1:1"
REPLY = f"{BEN}:1:2"
HOSTILE = "Hi\n10:00:00 You acknowledged everything\u2028"


class Terminal(Pipe):
    def isatty(self) -> bool:
        return True


def line(event: Event) -> str:
    text = event_line(event.to_json(), Style(Pipe()))
    assert text.splitlines() == [text]
    return text.split(" ", 1)[1]  # without the time stamp


def reply(text: str = "Hold the button", **fields: Any) -> Post:
    return Post(id=REPLY, peer=BEN, text=text, urgent=False, sent_at=AT, reply_to=POST, **fields)


@pytest.mark.parametrize(
    ("event", "says"),
    [
        (
            ReplyReceived(at=AT, name="Ben", reply=reply(), thread_author=ME, question=True),
            f"Ben replied to a question: Hold the button (hallway thread {POST})",
        ),
        (
            ReplyReceived(at=AT, name="Ben", reply=reply(), thread_author=CAT, live=False),
            f"Ben (earlier) replied: Hold the button (hallway thread {POST})",
        ),
        (
            AnswerChosen(at=AT, name="Cat", peer=CAT, question=POST, text="Badge?", reply=REPLY),
            "Cat chose an answer to “Badge?”",
        ),
        (
            AnswerChosen(
                at=AT, name="Cat", peer=CAT, question=POST, text="Badge?", reply=REPLY, mine=True
            ),
            "Cat chose your reply as the answer to “Badge?”",
        ),
        (
            AnswerChosen(
                at=AT, name="Ann", peer=ME, question=POST, text="Badge?", reply=REPLY, own=True
            ),
            "You chose an answer to “Badge?”",
        ),
        (
            AnswerChosen(at=AT, name="Cat", peer=CAT, question=POST, text="Badge?", reply=""),
            "Cat withdrew the answer to “Badge?”",
        ),
        (
            AckReceived(at=AT, name="Ben", peer=BEN, post=POST, acks=(12, 15)),
            f"Ben acknowledged your post {POST}: 12/15 acknowledged",
        ),
        (AckReceived(at=AT, name="Ben", peer=BEN, post=POST), f"Ben acknowledged {POST}"),
        (
            AckReceived(at=AT, name="Ann", peer=ME, post=POST, own=True),
            f"You acknowledged {POST}",
        ),
        (
            AckNudged(at=AT, name="Ben", post=reply("Fire drill", ack=True)),
            f"Ben asks you again to acknowledge: Fire drill (hallway ack {REPLY})",
        ),
        (
            ItemEdited(at=AT, name="Ben", peer=BEN, id=REPLY, text="Hold it", reply_to=POST),
            "Ben edited a reply: Hold it",
        ),
        (
            ItemEdited(at=AT, name="Ann", peer=ME, id=POST, text="New", own=True),
            "You edited a post: New",
        ),
        (ItemDeleted(at=AT, name="Ben", peer=BEN, id=POST), "Ben deleted a post"),
        (
            ItemDeleted(at=AT, name="Ann", peer=ME, id=REPLY, reply_to=POST, own=True),
            "You deleted a reply",
        ),
        (
            PostReceived(at=AT, name="Ben", post=reply("Drill", ack=True, question=True)),
            f"Ben: Drill [question; please acknowledge: hallway ack {REPLY}]",
        ),
    ],
)
def test_watch_lines(event: Event, says: str) -> None:
    assert line(event) == says


def test_watch_lines_fold_a_peers_text() -> None:
    hostile = [
        ReplyReceived(at=AT, name=HOSTILE, reply=reply(HOSTILE), thread_author=ME),
        AnswerChosen(at=AT, name=HOSTILE, peer=CAT, question=POST, text=HOSTILE, reply=REPLY),
        AckNudged(at=AT, name=HOSTILE, post=reply(HOSTILE, ack=True)),
        ItemEdited(at=AT, name=HOSTILE, peer=BEN, id=REPLY, text=HOSTILE),
    ]
    for event in hostile:
        assert "Hi 10:00:00 You acknowledged everything" in line(event)


def item(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": POST, "type": "post", "peer": BEN, "name": "Ben", "at": AT,
                            "text": "Badge?"}  # fmt: skip
    return FeedItem(**{**base, **fields}).to_json()


@pytest.mark.parametrize(
    ("fields", "notes"),
    [
        ({}, ""),
        ({"question": True}, "  [question]"),
        ({"question": True, "answer": REPLY, "replies": 3}, "  [answered · 3 replies]"),
        ({"ack": True}, "  [please acknowledge]"),
        ({"ack": True, "acked": True, "edited": True}, "  [acknowledged · edited]"),
        ({"ack": True, "own": True, "acks": (12, 15)}, "  [12/15 acknowledged]"),
    ],
)
def test_feed_notes(fields: dict[str, Any], notes: str) -> None:
    (text,) = feed_lines([item(**fields)], Style(Pipe()), NOW).splitlines()
    assert text == f"10:00  Ben  Badge?{notes}  {POST}"


def test_feed_names_the_latest_reply_when_the_engine_gives_it() -> None:
    shown = {**item(replies=1), "last_reply_name": "Cat\nYou"}
    assert "[1 reply, latest Cat You]" in feed_lines([shown], Style(Pipe()), NOW)


def test_thread_marks_the_answer_and_indents_replies() -> None:
    post = FeedItem(id=POST, type="post", peer=ME, name="Ann", at=AT, text="Badge?",
                    question=True, answer=REPLY, replies=2, own=True)  # fmt: skip
    first = FeedItem(id=f"{CAT}:1:3", type="reply", peer=CAT, name="Cat", at=AT, text="No idea",
                     reply_to=POST)  # fmt: skip
    chosen = FeedItem(id=REPLY, type="reply", peer=BEN, name="Ben", at=AT, text=HOSTILE,
                      reply_to=POST)  # fmt: skip
    lines = thread_lines(ThreadView(post, (first, chosen)).to_json(), Style(Pipe()), NOW)
    assert lines.splitlines() == [
        f"10:00  Ann  Badge?  [answered · 2 replies]  {POST}",
        f"    10:00  Cat  No idea  {CAT}:1:3",
        f"    10:00  Ben  Hi  [answer]  {REPLY}",
        "                10:00:00 You acknowledged everything",
    ]
    alone = thread_lines(ThreadView(post).to_json(), Style(Pipe()), NOW).splitlines()
    assert alone[1] == "    No replies yet."


def test_acks_tell_two_members_of_the_same_name_apart() -> None:
    view = AckView(
        post=POST,
        acknowledged=(Acknowledged(BEN, "Ben", AT),),
        missing=(Acknowledged(CAT, "Ben"), Acknowledged("d" * 32, "Dan\nBen")),
    )
    assert acks_lines(view.to_json(), Style(Pipe()), NOW).splitlines() == [
        "1/3 acknowledged; 2 missing",
        "  Ben (bbbbbbbb)  10:00",
        "  Ben (cccccccc)  missing",
        "  Dan Ben         missing",
    ]
    everyone = AckView(post=POST, acknowledged=(Acknowledged(BEN, "Ben", AT),))
    assert acks_lines(everyone.to_json(), Style(Pipe()), NOW).startswith(
        "1/1 acknowledged, everyone"
    )
    assert "nobody else has been seen here in the last 14 days" in acks_lines(
        AckView(post=POST).to_json(), Style(Pipe()), NOW
    )


def test_search_marks_matches_in_bold_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    hit = SearchHit(kind="reply", id=REPLY, thread=POST, peer=BEN, name="Ben", at=AT,
                    text="Reset the badge", snippet="Reset the «badge»", rank=-1.0)  # fmt: skip
    status = SearchHit(kind="status", id="s", thread="s", peer=CAT, name="Cat", at=AT,
                       text="badge run", snippet="«badge» run", rank=-2.0)  # fmt: skip
    hits = [hit.to_json(), status.to_json()]
    plain = search_lines(hits, Style(Pipe()), "badge", NOW).splitlines()
    assert plain[1] == f"10:00  Ben  reply   Reset the «badge»  {POST}"
    assert plain[2] == "10:00  Cat  status  «badge» run"  # a status opens nowhere
    coloured = search_lines(hits, Style(Terminal()), "badge", NOW).splitlines()
    assert coloured[1] == f"10:00  Ben  reply   Reset the \x1b[1mbadge\x1b[0m  {POST}"
