"""Knowledge sharing in the store (schema v7): versions of posts, threads, deletions that keep
no text, acknowledgements, retention of questions, and full-text search with prefixes."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import msgspec

from hallway.core import wire
from hallway.core.knowledge import QUESTION_KEEP, fts_query
from hallway.core.meetups import EventSpec
from hallway.core.model import post_id
from hallway.store import Store, StoredItem, StoredRecord, schema

ANN = "a" * 32
BEN = "b" * 32
DAY = 86400.0


def item(peer: str = ANN, seq: int = 1, text: str = "Who fixes the badge printer?", *,
         sent_at: float = 1000.0, **fields: Any) -> StoredItem:  # fmt: skip
    base = StoredItem(peer=peer, inc=7, seq=seq, kind="post", sent_at=sent_at,
                      received_at=sent_at, text=text)  # fmt: skip
    return msgspec.structs.replace(base, **fields)


def question(seq: int = 1, **fields: Any) -> StoredItem:
    return item(seq=seq, question=True, **fields)


def reply(to: StoredItem, seq: int, text: str, *, peer: str = BEN, **fields: Any) -> StoredItem:
    fields.setdefault("sent_at", to.sent_at + seq)
    return item(peer=peer, seq=seq, text=text, reply_to=to.id, **fields)


def test_a_later_version_replaces_an_older_one_and_keeps_when_it_was_posted(store: Store) -> None:
    q = question()
    store.add_items([q])
    edited = msgspec.structs.replace(q, text="Who resets the badge printer?", edits=1, ver=9,
                                 ver_inc=7, sent_at=5000.0)  # fmt: skip
    assert store.put_item_version(edited)
    older = msgspec.structs.replace(edited, text="an older edit", ver=8)
    assert not store.put_item_version(older)  # the author's order decides
    held = store.item(q.id)
    assert held is not None
    assert (held.text, held.edits, held.version) == ("Who resets the badge printer?", 1, (7, 9))
    assert held.sent_at == q.sent_at  # the time it was posted, not edited
    # A first version arriving after a later one changes nothing either.
    assert store.add_items([q]) == [False]
    assert store.item(q.id) == held


def test_a_thread_is_its_replies_oldest_first_and_the_feed_has_none(store: Store) -> None:
    q = question()
    first, second = reply(q, 2, "Hold the power button"), reply(q, 3, "Ask Dan", peer=ANN)
    store.add_items([q, second, first])
    assert [r.text for r in store.thread(q.id)] == ["Hold the power button", "Ask Dan"]
    assert store.threads([q.id]) == {q.id: (2, ANN, "")}
    assert store.replied(q.id, BEN)
    assert not store.replied(q.id, "c" * 32)
    assert [i.id for i in store.items()] == [q.id]  # replies live in their thread


def test_a_deleted_reply_leaves_no_text_in_the_database_file(store: Store, db_path: Path) -> None:
    q = question()
    secret = reply(q, 2, "The code is zanzibarquokka 4711")
    store.add_items([q, secret])
    assert [h.id for h in store.search(fts_query("zanzibar"), 10)] == [secret.id]
    tomb = msgspec.structs.replace(secret, text="", deleted=True, ver=12, ver_inc=7)
    assert store.put_item_version(tomb)
    assert store.thread(q.id) == []
    assert store.search(fts_query("zanzibar"), 10) == []
    held = store.item(secret.id)
    assert held is not None
    assert held.deleted
    assert held.text == ""
    # Nothing of the words is left: not in the table, not in the index, not in the WAL.
    store.close()
    for path in db_path.parent.iterdir():
        assert b"zanzibar" not in path.read_bytes(), path.name


def test_search_matches_prefixes_ranks_and_says_where_each_hit_is(store: Store) -> None:
    q = question(text="Who knows how to reset the badge printer?")
    answer = reply(q, 2, "Badges print again after a restart")
    status = item(peer=BEN, seq=3, text="At the printer all morning", kind="status",
                  presence="busy")  # fmt: skip
    store.add_items([q, answer, status, item(seq=4, text="Cake in the kitchen")])
    hits = store.search(fts_query("badg"), 10)
    assert {h.id for h in hits} == {q.id, answer.id}
    assert all("«" in h.snippet for h in hits)
    by_id = {h.id: h for h in hits}
    assert by_id[answer.id].reply_to == q.id
    assert by_id[q.id].question
    assert {h.kind for h in store.search(fts_query("print"), 10)} == {"post", "status"}
    assert store.search(fts_query("badg kitchen"), 10) == []  # every word must match


def test_events_are_searchable_by_their_words_until_cancelled(store: Store) -> None:
    spec = EventSpec(title="Brainstorm on onboarding", start=9e8, where="Room 2", note="Bring pens")
    event = StoredRecord(ANN, "event", "7:5", 5, 7, 10.0, 11.0, wire.encode_value(spec), 9e9)
    store.put_records([event])
    assert [(h.kind, h.id) for h in store.search(fts_query("onboard"), 10)] == [
        ("event", f"{ANN}:7:5")
    ]
    assert store.search(fts_query("pens"), 10)  # the note counts too
    cancelled = msgspec.structs.replace(spec, cancelled=True)
    store.put_records([msgspec.structs.replace(event, ver=6, value=wire.encode_value(cancelled))])
    assert store.search(fts_query("onboard"), 10) == []


def test_acknowledgements_are_counted_per_post(store: Store) -> None:
    post = item(ack=True, text="Fire drill at 15:00")
    store.add_items([post])
    ack = wire.encode_value(wire.AckValue(at=1200.0))
    store.put_records([StoredRecord(BEN, "ack", post.id, 3, 7, 1200.0, 1200.0, ack, 9e9)])
    assert store.acks(post.id) == [(BEN, 1200.0)]
    assert store.acked(post.id, BEN)
    assert not store.acked(post.id, ANN)


def test_questions_and_their_threads_outlive_other_posts(store: Store) -> None:
    now = 200 * DAY
    old = now - 40 * DAY
    q = question(sent_at=old, received_at=old)
    answer = reply(q, 2, "Hold the power button", received_at=old)
    plain = item(seq=3, text="Cake", sent_at=old, received_at=old)
    stale = question(seq=4, sent_at=now - 100 * DAY, received_at=now - 100 * DAY)
    store.add_items([q, answer, plain, stale])
    store.prune(before=now - 30 * DAY, now=now)
    assert {i.id for i in store.items()} == {q.id}
    assert [r.id for r in store.thread(q.id)] == [answer.id]
    assert store.item(stale.id) is None  # past QUESTION_KEEP too
    assert QUESTION_KEEP == 90 * DAY


def test_a_snapshot_carries_recent_posts_and_the_questions_of_90_days(store: Store) -> None:
    now = 200 * DAY
    q = question(sent_at=now - 60 * DAY)
    mine = reply(q, 2, "my answer to an old question", peer=ANN, sent_at=now - 59 * DAY)
    old_post = item(seq=3, text="old", sent_at=now - 60 * DAY)
    recent = item(seq=4, text="recent", sent_at=now - DAY)
    store.add_items([q, mine, old_post, recent])
    shipped = {i.id for i in store.own_posts(ANN, since=now - 7 * DAY, limit=500)}
    assert shipped == {q.id, mine.id, recent.id}


def test_v6_data_goes_on_through_v7(db_path: Path) -> None:
    """v7 adds thread, question, version and deletion columns and the search indexes; what v6
    stored stays, is a first version, and is searchable at once."""
    with closing(sqlite3.connect(db_path, isolation_level=None)) as conn:
        schema.migrate(conn, db_path, target=6)
        conn.execute(
            "INSERT INTO items VALUES (?, 7, 3, 'post', 50.0, 51.0, 'Printer jammed again', 0, "
            "'[]', NULL, '', NULL, 'Ann')",
            (ANN,),
        )
        spec = EventSpec(title="Printer training", start=9e8)
        conn.execute(
            "INSERT INTO records VALUES (?, 'event', '7:5', 5, 7, 60.0, 61.0, ?, 9e9)",
            (ANN, wire.encode_value(spec)),
        )
    with Store.open(db_path) as store:
        [old] = store.items()
        assert (old.text, old.version, old.reply_to, old.deleted) == (
            "Printer jammed again", (7, 3), "", False,
        )  # fmt: skip
        assert {h.kind for h in store.search(fts_query("print"), 10)} == {"post", "event"}
        assert store.last_seq(ANN)[0] == 5
        assert store.item(post_id(ANN, 7, 3)) == old
    with closing(sqlite3.connect(db_path)) as conn:
        assert schema.user_version(conn) == schema.SCHEMA_VERSION
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_question_is_answered_only_by_a_reply_in_its_own_thread(store: Store) -> None:
    q = question()
    other = item(seq=5, text="Where is the key?", question=True, sent_at=900.0)
    chosen = reply(q, 2, "Hold the power button")
    elsewhere = reply(other, 3, "At reception")
    store.add_items([q, other, chosen, elsewhere])
    answered = msgspec.structs.replace(q, answer=chosen.id, ver=10, ver_inc=7)
    assert store.put_item_version(answered)
    # Another thread's reply answers nothing (only a hostile author could name one).
    wrong = msgspec.structs.replace(other, answer=elsewhere.id.replace(":7:3", ":7:99"), ver=11)
    assert store.put_item_version(wrong)
    assert [i.id for i in store.questions(0.0, open_only=True, limit=10)] == [other.id]
    held = store.item(q.id)
    assert held is not None
    assert store.answers(held)
    # Deleting the chosen reply opens the question again.
    store.put_item_version(msgspec.structs.replace(chosen, text="", deleted=True, ver=12))
    assert {i.id for i in store.questions(0.0, open_only=True, limit=10)} == {q.id, other.id}


def test_items_stored_unindexed_are_searchable_once_indexed_or_after_a_crash(
    db_path: Path,
) -> None:
    """The engine stores items without their words and has them indexed when idle; what a
    crash left unindexed is indexed at the next start, once."""
    mine = item(text="Projector in room 2 is fixed")
    lost = item(seq=2, text="Whiteboard markers are in the cupboard")
    with Store.open(db_path) as store:
        store.add_item(mine, index=False)
        store.add_items([lost], index=False)
        assert store.search(fts_query("projector"), 10) == []
        store.index([(mine.peer, mine.inc, mine.seq)])
        assert [h.id for h in store.search(fts_query("projector"), 10)] == [mine.id]
        # ...and a crash before `lost` is indexed:
    with Store.open(db_path) as store:
        assert [h.id for h in store.search(fts_query("whiteb"), 10)] == [lost.id]
        assert len(store.search(fts_query("projector"), 10)) == 1  # indexed once, not twice
