"""Replies, questions, acknowledgements and search (issue 11), with real nodes on namespace hosts.

Replies, answers and acknowledgements are records of their own authors: these tests check that
every node comes to the same thread, answer and count whatever reaches it in which order (three
hosts replying, a late joiner, a partition, a kill -9 right after `hallway reply` returned), and
that a deleted text is gone from every node, its database file included. Waits are on events or
on a node's own answer to `thread`, `acks` or `feed`; the bounds only catch a broken mechanism.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.net.conftest import Office, RunningNode, is_type
from tests.net.faults_support import all_meet
from tests.support.waiting import wait_until

pytestmark = pytest.mark.net

View = dict[str, Any]


def _post(node: RunningNode, text: str, *flags: str) -> str:
    result = node.cli("post", *flags, text)
    post_id = result.stdout.strip()
    assert post_id.startswith(node.id + ":"), result.stdout
    return post_id


def _reply(node: RunningNode, post_id: str, text: str) -> str:
    result = node.cli("reply", post_id, text)
    reply_id = result.stdout.strip()
    assert reply_id.startswith(node.id + ":"), result.stdout
    return reply_id


def _thread(node: RunningNode, item_id: str) -> View | None:
    result = node.cli("thread", item_id, "--json", check=False)
    if result.returncode != 0:
        return None
    shown: View = json.loads(result.stdout)
    return shown


def _feed(node: RunningNode, *args: str) -> list[View]:
    return list(json.loads(node.cli("feed", "--json", "--limit", "200", *args).stdout))


def _search(node: RunningNode, words: str) -> list[View]:
    return list(json.loads(node.cli("feed", "--search", words, "--json").stdout))


def _acks(node: RunningNode, post_id: str) -> View:
    shown: View = json.loads(node.cli("acks", post_id, "--json").stdout)
    return shown


def _shape(view: View) -> tuple[object, ...]:
    """What every node must agree on about a thread."""
    post = view["post"]
    replies = tuple((r["id"], r["peer"], r["text"], r["edited"]) for r in view["replies"])
    return post["id"], post["text"], post["answer"], post["edited"], replies


def _converged(
    nodes: list[RunningNode], post_id: str, ready: Callable[[View], bool], what: str
) -> View:
    """Wait until every node shows the thread alike, and `ready` holds for it."""

    def same() -> View | None:
        views = []
        for node in nodes:
            view = _thread(node, post_id)
            if view is None or not ready(view):
                return None
            views.append(view)
        if any(_shape(v) != _shape(views[0]) for v in views):
            return None
        return views[0]

    return wait_until(same, 30, f"every node to show the thread {post_id} alike: {what}")


def _reply_ids(view: View) -> list[str]:
    return [r["id"] for r in view["replies"]]


def _refused(node: RunningNode, *args: str, code: int = 1) -> str:
    """Run a command that must be refused with a message for people; return the message.
    Exit code 1: the node refused it; 2: the command line already saw the mistake."""
    result = node.cli(*args, check=False)
    assert result.returncode == code, (args, result.returncode, result.stdout, result.stderr)
    assert result.stderr.strip(), args
    assert "Traceback" not in result.stderr, result.stderr
    return result.stderr


def test_a_thread_from_three_hosts_converges_and_a_late_joiner_receives_it(
    office: Office,
) -> None:
    nodes = [office.node(n) for n in ("Ann", "Ben", "Cat")]
    ann, ben, cat = nodes
    all_meet(nodes)
    question = _post(
        ann, "Who knows how to reset the printer on floor 3? #facilities", "--question"
    )
    for node in (ben, cat):
        shown = node.wait(is_type("post", id=question))
        assert shown["question"] is True
        assert shown["ack"] is False

    # The author hears of every reply; someone who has not replied yet is not involved.
    first = _reply(ben, question, "Hold the power button for ten seconds")
    ann_heard = ann.wait(is_type("reply", id=first))
    assert ann_heard["reply_to"] == question
    assert ann_heard["involved"] is True
    assert ann_heard["question"] is True
    assert ann_heard["thread_author"] == ann.id
    assert cat.wait(is_type("reply", id=first))["involved"] is False
    # Once Cat has replied in it, later replies involve Cat too.
    second = _reply(cat, question, "Or ask the front desk, they have the key")
    assert ben.wait(is_type("reply", id=second))["involved"] is True
    third = _reply(ann, question, "Thanks, both of you")
    for node in (ben, cat):
        assert node.wait(is_type("reply", id=third))["involved"] is True
    assert ann.wait(is_type("reply", id=third))["own"] is True

    view = _converged(nodes, question, lambda v: len(v["replies"]) == 3, "three replies")
    assert _reply_ids(view) == [first, second, third], "oldest reply first"
    assert [r["peer"] for r in view["replies"]] == [ben.id, cat.id, ann.id]
    assert all(r["type"] == "reply" and r["reply_to"] == question for r in view["replies"])
    assert view["post"]["question"] is True
    assert view["post"]["answer"] is None
    # A reply's id opens its thread too.
    opened = _thread(cat, first)
    assert opened is not None
    assert opened["post"]["id"] == question
    for node in nodes:
        item = {i["id"]: i for i in _feed(node)}[question]
        assert item["replies"] == 3
        assert item["question"] is True
        assert [i["id"] for i in _feed(node, "--questions")] == [question], node.name

    # A newcomer receives the open question with its whole thread, from each reply's author.
    dan = office.node("Dan")
    view = _converged([*nodes, dan], question, lambda v: len(v["replies"]) == 3, "late joiner")
    assert _reply_ids(view) == [first, second, third]
    assert [i["id"] for i in _feed(dan, "--questions")] == [question]


def test_an_answer_is_marked_and_then_changed(office: Office) -> None:
    nodes = [office.node(n) for n in ("Ann", "Ben", "Cat")]
    ann, ben, cat = nodes
    all_meet(nodes)
    question = _post(ann, "Where do we keep the spare HDMI adapters?", "--question")
    ben.wait(is_type("post", id=question))
    cat.wait(is_type("post", id=question))
    from_ben = _reply(ben, question, "Second drawer in the meeting room")
    from_cat = _reply(cat, question, "IT cupboard, top shelf")
    _converged(nodes, question, lambda v: len(v["replies"]) == 2, "both replies")
    for node in nodes:
        assert [i["id"] for i in _feed(node, "--questions")] == [question]

    # Only the question's author chooses; the refusal changes nothing.
    assert "only its author" in _refused(ben, "answer", from_cat)

    marks = {node: node.mark() for node in nodes}
    ann.cli("answer", from_ben)
    for node in nodes:
        chosen = node.wait_after(marks[node], is_type("answer", question=question))
        assert chosen["reply"] == from_ben
        assert chosen["reply_peer"] == ben.id
        assert chosen["peer"] == ann.id
        assert chosen["own"] is (node is ann)
        assert chosen["mine"] is (node is ben)
    view = _converged(nodes, question, lambda v: v["post"]["answer"] == from_ben, "Ben's answer")
    assert _reply_ids(view) == [from_ben, from_cat]
    for node in nodes:  # answered: no longer an open question anywhere
        assert _feed(node, "--questions") == [], node.name
        assert {i["id"]: i for i in _feed(node)}[question]["answer"] == from_ben

    marks = {node: node.mark() for node in nodes}
    ann.cli("answer", from_cat)
    for node in nodes:
        chosen = node.wait_after(marks[node], is_type("answer", question=question))
        assert chosen["reply"] == from_cat
        assert chosen["mine"] is (node is cat)
    view = _converged(nodes, question, lambda v: v["post"]["answer"] == from_cat, "the change")
    assert _reply_ids(view) == [from_ben, from_cat]
    assert view["post"]["edited"] is False, "choosing an answer is not an edit of the text"


def test_acknowledgements_are_counted_and_the_missing_are_listed(office: Office) -> None:
    nodes = [office.node(n) for n in ("Ann", "Ben", "Cat", "Dan")]
    ann, ben, cat, dan = nodes
    all_meet(nodes)
    drill = _post(ann, "Fire drill at 15:00. Please confirm you read this", "--ack")
    plain = _post(ann, "Cake in the kitchen")
    for node in (ben, cat, dan):
        assert node.wait(is_type("post", id=drill))["ack"] is True
        node.wait(is_type("post", id=plain))

    acks = _acks(ann, drill)
    assert (acks["n"], acks["of"]) == (0, 3)
    assert acks["acknowledged"] == []
    assert {m["peer"]: m["name"] for m in acks["missing"]} == {
        ben.id: "Ben",
        cat.id: "Cat",
        dan.id: "Dan",
    }

    # Bad input changes nothing: a post that does not ask for it cannot be acknowledged.
    _refused(ben, "ack", plain)
    mark = ann.mark()
    ben.cli("ack", drill)
    cat.cli("ack", drill)
    for who in (ben, cat):
        heard = ann.wait_after(mark, is_type("ack", peer=who.id, post=drill))
        assert heard["own"] is False
    assert ann.wait_after(mark, is_type("ack", peer=cat.id))["acks"] in (
        {"n": 1, "of": 3},
        {"n": 2, "of": 3},
    )

    acks = wait_until(lambda: _counted(ann, drill, 2), 20, "Ann to count two acknowledgements")
    assert acks["of"] == 3
    assert {a["peer"]: a["name"] for a in acks["acknowledged"]} == {ben.id: "Ben", cat.id: "Cat"}
    assert all(a["at"] for a in acks["acknowledged"])
    assert [(m["peer"], m["name"]) for m in acks["missing"]] == [(dan.id, "Dan")]
    own = {i["id"]: i for i in _feed(ann)}[drill]
    assert own["acks"] == {"n": 2, "of": 3}
    assert own["ack"] is True
    for node, acked in ((ben, True), (cat, True), (dan, False)):
        item = {i["id"]: i for i in _feed(node)}[drill]
        assert item["ack"] is True
        assert item["acked"] is acked, node.name
        assert "acks" not in item, "the count is only on the author's own post"
    assert "acks" not in {i["id"]: i for i in _feed(ann)}[plain]

    # Missing means seen in the last 14 days and not acknowledged: Dan going offline stays
    # missing; Dan's acknowledgement, once back, is counted.
    host, home = dan.host, dan.home
    dan.stop()
    ann.wait(is_type("peer_offline", peer=dan.id))
    acks = _acks(ann, drill)
    assert [m["peer"] for m in acks["missing"]] == [dan.id]
    assert (acks["n"], acks["of"]) == (2, 3)
    dan = office.node("Dan", host=host, home=home)
    mark = ann.mark()
    dan.cli("ack", drill)
    ann.wait_after(mark, is_type("ack", peer=dan.id, post=drill))
    acks = wait_until(lambda: _counted(ann, drill, 3), 20, "Ann to count Dan's acknowledgement")
    assert (acks["of"], acks["missing"]) == (3, [])


def _counted(node: RunningNode, post_id: str, n: int) -> View | None:
    view = _acks(node, post_id)
    return view if view["n"] == n else None


def test_a_reply_made_during_a_partition_arrives_after_the_heal(office: Office) -> None:
    nodes = [office.node(n) for n in ("Ann", "Ben", "Cat")]
    ann, ben, cat = nodes
    all_meet(nodes)
    post = _post(ann, "Anyone up for a run after work?")
    _converged(nodes, post, lambda v: True, "the post")

    cat.host.link_down()
    for node in (ann, ben):
        node.wait(is_type("peer_offline", peer=cat.id), timeout=10)
    cat.wait(is_type("peer_offline", peer=ann.id), timeout=10)
    from_cat = _reply(cat, post, "Count me in, 5 km please")  # on the minority side
    from_ben = _reply(ben, post, "Yes, if it does not rain")
    ann.cli("edit", post, "Anyone up for a run after work? Meet at the lobby")
    assert _reply_ids(_thread(cat, post) or {"replies": []}) == [from_cat]

    cat.host.link_up()
    view = _converged(
        nodes, post, lambda v: len(v["replies"]) == 2 and v["post"]["edited"], "after the heal"
    )
    assert _reply_ids(view) == [from_cat, from_ben], "the order they were made in"
    assert view["post"]["text"] == "Anyone up for a run after work? Meet at the lobby"
    for node in (ann, ben):
        heard = node.wait(is_type("reply", id=from_cat))
        assert heard["text"] == "Count me in, 5 km please"
    assert ann.wait(is_type("reply", id=from_cat))["involved"] is True
    assert {i["id"]: i for i in _feed(cat)}[post]["replies"] == 2


def test_an_edit_and_a_delete_reach_everyone_and_leave_no_text(office: Office) -> None:
    nodes = [office.node(n) for n in ("Ann", "Ben", "Cat")]
    ann, ben, cat = nodes
    all_meet(nodes)
    # Words that occur nowhere else, to look for in every node's database afterwards.
    gone_reply, gone_post = "qzvexaloptrim", "jwyrkobunderth"
    post = _post(ann, "Lunch order closes at noon #food")
    from_ben = _reply(ben, post, "A falafel wrap for me")
    from_cat = _reply(cat, post, f"Mine is the {gone_reply} salad")
    other = _post(ben, f"Parking lot code is {gone_post} this week")
    for node in (ann, cat):
        node.wait(is_type("post", id=other))
    _converged(nodes, post, lambda v: len(v["replies"]) == 2, "both replies")
    for node in nodes:
        assert [h["id"] for h in _search(node, gone_reply)] == [from_cat], node.name
        assert [h["id"] for h in _search(node, gone_post)] == [other], node.name

    # Nobody edits or deletes someone else's item, and the refusal changes nothing.
    _refused(ben, "edit", post, "Lunch is cancelled")
    _refused(ben, "delete", from_cat)

    marks = {node: node.mark() for node in nodes}
    ann.cli("edit", post, "Lunch order closes at 11:30 #food")
    ben.cli("edit", from_ben, "A falafel wrap for me, no onions")
    for node in nodes:
        edited = node.wait_after(marks[node], is_type("edited", id=post))
        assert edited["text"] == "Lunch order closes at 11:30 #food"
        assert edited["own"] is (node is ann)
        assert node.wait_after(marks[node], is_type("edited", id=from_ben))["reply_to"] == post
    view = _converged(
        nodes, post, lambda v: v["post"]["edited"] and v["replies"][0]["edited"], "the edits"
    )
    assert view["post"]["text"] == "Lunch order closes at 11:30 #food"
    assert view["replies"][0]["text"] == "A falafel wrap for me, no onions"
    assert view["replies"][1]["edited"] is False
    for node in nodes:
        item = {i["id"]: i for i in _feed(node)}[post]
        assert (item["text"], item["edited"], item["tags"]) == (
            "Lunch order closes at 11:30 #food", True, ["food"]
        )  # fmt: skip

    marks = {node: node.mark() for node in nodes}
    cat.cli("delete", from_cat)
    ben.cli("delete", other)
    for node in nodes:
        gone = node.wait_after(marks[node], is_type("deleted", id=from_cat))
        assert gone["reply_to"] == post
        assert gone["own"] is (node is cat)
        node.wait_after(marks[node], is_type("deleted", id=other))
    view = _converged(nodes, post, lambda v: len(v["replies"]) == 1, "the deleted reply gone")
    assert _reply_ids(view) == [from_ben]
    for node in nodes:
        feed = node.cli("feed", "--json", "--limit", "200").stdout
        assert gone_reply not in feed, node.name
        assert gone_post not in feed, node.name
        assert other not in {i["id"] for i in json.loads(feed)}
        assert {i["id"]: i for i in json.loads(feed)}[post]["replies"] == 1
        for item_id in (post, from_cat, other):
            shown = node.cli("thread", item_id, "--json", check=False)
            assert gone_reply not in shown.stdout, node.name
            assert gone_post not in shown.stdout, node.name
        for word in (gone_reply, gone_post, gone_reply[:5], gone_post[:5]):
            assert _search(node, word) == [], (node.name, word)

    # No text is left behind on disk either: not in the database, its WAL, or anything else;
    # Cat is killed, so what its WAL holds stays there to be read.
    assert ann.stop() == 0
    assert ben.stop() == 0
    cat.stop(signal.SIGKILL)
    assert (cat.home / "hallway.db-wal").exists()
    for node in nodes:
        _assert_nowhere(node.home, gone=[gone_reply, gone_post], kept="falafel")


def _assert_nowhere(home: Path, *, gone: list[str], kept: str) -> None:
    """No file of `home` holds a word of `gone`, while one holds `kept` (so the files read are
    the ones that hold the text)."""
    # FTS5 keeps its terms prefix-compressed against the previous term on a page: look for the
    # words without their first letters too.
    needles = [w.encode() for word in gone for w in (word, word[2:])]
    files = {path: path.read_bytes() for path in home.rglob("*") if path.is_file()}
    assert any(path.name == "hallway.db" for path in files), list(files)
    assert any(kept.encode() in data for data in files.values()), f"{kept!r} not in {home}"
    for path, data in files.items():
        found = [needle.decode() for needle in needles if needle in data]
        assert not found, f"deleted text {found} is still in {path}"


def test_search_finds_a_reply_by_a_word_prefix(office: Office) -> None:
    nodes = [office.node(n) for n in ("Ann", "Ben", "Cat")]
    ann, ben, cat = nodes
    all_meet(nodes)
    post = _post(ann, "The printer on floor 3 is jammed again", "--question")
    ben.wait(is_type("post", id=post))
    reply = _reply(ben, post, "Tap your badge on the reader, then clear the queue")
    _converged(nodes, post, lambda v: len(v["replies"]) == 1, "Ben's reply")

    for node in nodes:
        hits = _search(node, "badg")
        assert [h["id"] for h in hits] == [reply], node.name
        hit = hits[0]
        assert hit["kind"] == "reply"
        assert hit["thread"] == post, "a reply opens inside its thread"
        assert (hit["peer"], hit["name"]) == (ben.id, "Ben")
        assert hit["text"] == "Tap your badge on the reader, then clear the queue"
        assert "«" in hit["snippet"]
        assert "»" in hit["snippet"]
        assert "badge" in hit["snippet"]
        # Every word must match, each as a prefix; the question is found as a question.
        assert [h["id"] for h in _search(node, "BADG que")] == [reply]
        assert [h["id"] for h in _search(node, "badg printer")] == []
        found = _search(node, "jam")
        assert [(h["id"], h["kind"], h["thread"]) for h in found] == [(post, "question", post)]
        assert _search(node, "zebra") == []
    # A search with no words is a mistake, said as such: no traceback.
    _refused(cat, "feed", "--search", "!!!", code=2)


def test_kill_9_right_after_a_reply_loses_nothing(office: Office) -> None:
    ann, ben = office.node("Ann"), office.node("Ben")
    all_meet([ann, ben])
    question = _post(ann, "Which room has the good whiteboard?", "--question")
    ben.wait(is_type("post", id=question))
    host, home = ben.host, ben.home

    reply = _reply(ben, question, "Room 4, the one by the stairs")
    ben.stop(signal.SIGKILL)  # the reply was confirmed: it must survive
    ben = office.node("Ben", host=host, home=home)
    view = _converged([ann, ben], question, lambda v: len(v["replies"]) == 1, "Ben's reply")
    assert _reply_ids(view) == [reply]
    assert view["replies"][0]["text"] == "Room 4, the one by the stairs"
    assert view["replies"][0]["own"] is False  # as Ann's node shows it

    # The author's choice of answer survives its kill -9 too.
    host, home = ann.host, ann.home
    ann.cli("answer", reply)
    ann.stop(signal.SIGKILL)
    ann = office.node("Ann", host=host, home=home)
    view = _converged([ann, ben], question, lambda v: v["post"]["answer"] == reply, "the answer")
    assert _reply_ids(view) == [reply]
    # Ben's node shows it as his own reply, chosen.
    own = _thread(ben, reply)
    assert own is not None
    assert own["replies"][0]["own"] is True
