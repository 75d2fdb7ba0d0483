"""`hallway post/reply/answer/ack/acks/thread/edit/delete/feed` (issue 11) against a fake
instance: stdout and stderr, exit codes, JSON shapes, and that a refusal changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.unit.cli.conftest import Result, Run
from tests.unit.control.fake_node import BEN, CAT, ME, FakeNode

QUESTION = "Who knows how to reset the badge printer?"
ITEM_KEYS = {"reply_to", "replies", "question", "answer", "ack", "acked", "edited"}


@pytest.fixture
def node() -> FakeNode:
    # Not FakeMeetupNode: its test helper `answer(event_id, peer, ...)` hides `Node.answer`.
    return FakeNode()


def hallway(run: Run, home: Path, *argv: str) -> Result:
    return run("--home", str(home), *argv)


def json_of(result: Result) -> Any:
    assert result.code == 0, result.err
    return json.loads(result.out)


def snapshot(node: FakeNode) -> tuple[Any, ...]:
    return (list(node.posts), dict(node.answers), {k: dict(v) for k, v in node.acked.items()})


# posting and replying ---------------------------------------------------------------------------


def test_post_prints_the_id_alone_and_passes_the_flags(
    run: Run, home: Path, running: FakeNode
) -> None:
    result = hallway(run, home, "post", "--question", "--ack", "Who", "knows?")
    assert result.code == 0, result.err
    (post,) = running.posts
    assert result.out == post.id + "\n"
    assert (post.text, post.question, post.ack, post.urgent) == ("Who knows?", True, True, False)
    assert "Sent a question to the office, asking everyone to acknowledge it" in result.err
    assert f"`hallway acks {post.id}`" in result.err
    plain = hallway(run, home, "post", "Cake", "--urgent")
    assert plain.out == running.posts[1].id + "\n"
    assert plain.err == "Sent an urgent post to the office.\n"


def test_post_json_is_the_item(run: Run, home: Path, running: FakeNode) -> None:
    item = json_of(hallway(run, home, "post", "Fire drill at 15:00 #safety", "--ack", "--json"))
    assert item["id"] == running.posts[0].id
    assert (item["type"], item["name"], item["own"], item["tags"]) == (
        "post",
        "Ann",
        True,
        ["safety"],
    )
    assert set(item) >= ITEM_KEYS
    assert (item["reply_to"], item["replies"], item["question"], item["answer"]) == (
        None, 0, False, None,
    )  # fmt: skip
    assert (item["ack"], item["acks"], item["edited"]) == (True, {"n": 0, "of": 2}, False)
    assert item["sent_at"] == item["at"]


def test_reply_prints_its_id_and_a_reply_to_a_reply_joins_the_thread(
    run: Run, home: Path, running: FakeNode
) -> None:
    question = running.receive_post(BEN, QUESTION, question=True)
    first = hallway(run, home, "reply", question.id, "Hold", "the", "button")
    assert first.code == 0, first.err
    reply = running.posts[-1]
    assert first.out == reply.id + "\n"
    assert (reply.reply_to, reply.text, reply.peer) == (question.id, "Hold the button", ME)
    assert f"`hallway thread {question.id}`" in first.err
    second = hallway(run, home, "reply", reply.id, "For ten seconds")
    assert second.code == 0, second.err
    assert running.posts[-1].reply_to == question.id


# refusals: exit 1, the node's message, nothing changed ------------------------------------------


@pytest.fixture
def office(running: FakeNode) -> dict[str, str]:
    """Ben's question with Cat's reply, Ben's plain post, our question and our ack post."""
    bens_question = running.receive_post(BEN, QUESTION, question=True)
    cats_reply = running.receive_post(CAT, "Ask facilities", reply_to=bens_question.id)
    bens_post = running.receive_post(BEN, "Cake in the kitchen")
    ours = running.post("Where is the projector?", question=True)
    bens_reply = running.receive_post(BEN, "Room 2", reply_to=ours.id)
    drill = running.post("Fire drill at 15:00", ack=True)
    return {
        "bens_question": bens_question.id,
        "cats_reply": cats_reply.id,
        "bens_post": bens_post.id,
        "our_question": ours.id,
        "bens_reply": bens_reply.id,
        "drill": drill.id,
    }


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["reply", "nobody:1:9", "Hi"], "no post or reply with the id 'nobody:1:9' is known here"),
        (["answer", "{cats_reply}"], "only the author of a question can choose its answer"),
        (["answer", "{our_question}"], "is a post, not a reply"),
        (["ack", "{bens_post}"], "that post does not ask to be acknowledged"),
        (["acks", "{bens_post}"], "that post does not ask to be acknowledged"),
        (["edit", "{bens_post}", "Pie"], "you can only edit your own posts and replies"),
        (["edit", "{cats_reply}", "Pie"], "this one is Cat's"),
        (["delete", "{bens_question}"], "you can only delete your own posts and replies"),
        (["thread", "nobody:1:9"], "no post or reply with the id"),
    ],
)
def test_a_refusal_exits_1_with_the_message_and_changes_nothing(
    run: Run, home: Path, running: FakeNode, office: dict[str, str], argv: list[str], says: str
) -> None:
    before = snapshot(running)
    result = hallway(run, home, *[word.format(**office) for word in argv])
    assert result.code == 1
    assert result.out == ""
    assert result.err.startswith("hallway: ")
    assert says in result.err
    assert "Traceback" not in result.err
    assert snapshot(running) == before


# questions and answers ------------------------------------------------------------------------


def test_answer_marks_the_reply_and_closes_the_question(
    run: Run, home: Path, running: FakeNode, office: dict[str, str]
) -> None:
    assert [i["id"] for i in json_of(hallway(run, home, "feed", "--questions", "--json"))] == [
        office["our_question"], office["bens_question"],
    ]  # fmt: skip
    result = hallway(run, home, "answer", office["bens_reply"])
    assert result.code == 0, result.err
    assert result.out == ""
    assert "Marked the answer to your question “Where is the projector?”." in result.err
    thread = json_of(hallway(run, home, "thread", office["bens_reply"], "--json"))
    assert thread["post"]["id"] == office["our_question"]  # a reply opens its thread
    assert thread["post"]["answer"] == office["bens_reply"]
    assert [r["id"] for r in thread["replies"]] == [office["bens_reply"]]
    open_ones = json_of(hallway(run, home, "feed", "--questions", "--json"))
    assert [i["id"] for i in open_ones] == [office["bens_question"]]
    lines = hallway(run, home, "thread", office["our_question"]).out.splitlines()
    assert "Where is the projector?  [answered · 1 reply, latest Ben]" in lines[0]
    assert lines[1].startswith("    ")
    assert lines[1].endswith(f"Room 2  [answer]  {office['bens_reply']}")


def test_feed_questions_human_and_when_none_are_open(
    run: Run, home: Path, running: FakeNode
) -> None:
    assert hallway(run, home, "feed", "--questions").out == "No open questions.\n"
    question = running.receive_post(BEN, QUESTION, question=True)
    running.receive_post(CAT, "Ask facilities", reply_to=question.id)
    (line,) = hallway(run, home, "feed", "--questions").out.splitlines()
    assert line.endswith(f"Ben  {QUESTION}  [question · 1 reply, latest Cat]  {question.id}")


def test_thread_json_is_the_post_and_its_replies_oldest_first(
    run: Run, home: Path, running: FakeNode, office: dict[str, str]
) -> None:
    later = running.receive_post(BEN, "Or call 2100", reply_to=office["bens_question"])
    thread = json_of(hallway(run, home, "thread", office["bens_question"], "--json"))
    assert set(thread) == {"post", "replies"}
    assert thread["post"]["replies"] == 2
    assert [r["id"] for r in thread["replies"]] == [office["cats_reply"], later.id]
    assert all(
        r["type"] == "reply" and r["reply_to"] == office["bens_question"] for r in thread["replies"]
    )


# acknowledgements -------------------------------------------------------------------------------


def test_ack_and_the_acks_of_our_post(
    run: Run, home: Path, running: FakeNode, office: dict[str, str]
) -> None:
    drill = running.receive_post(BEN, "Fire drill at 15:00", ack=True)
    assert json_of(hallway(run, home, "feed", "--json"))[0]["acked"] is False
    result = hallway(run, home, "ack", drill.id)
    assert result.code == 0, result.err
    assert "Acknowledged Ben's post “Fire drill at 15:00”." in result.err
    assert ME in running.acked[drill.id]
    assert json_of(hallway(run, home, "feed", "--json"))[0]["acked"] is True

    running.acknowledge_as(office["drill"], BEN, 1_700_000_000.0)
    acks = json_of(hallway(run, home, "acks", office["drill"], "--json"))
    assert acks["acknowledged"] == [
        {"peer": BEN, "name": "Ben", "at": "2023-11-14T22:13:20.000000+00:00"}
    ]
    assert acks["missing"] == [{"peer": CAT, "name": "Cat"}]
    assert (acks["n"], acks["of"]) == (1, 2)
    lines = hallway(run, home, "acks", office["drill"]).out.splitlines()
    assert lines[0] == "1/2 acknowledged; 1 missing"
    assert lines[1].startswith("  Ben  ")
    assert lines[2] == "  Cat  missing"
    feed = hallway(run, home, "feed").out
    assert f"Fire drill at 15:00  [1/2 acknowledged]  {office['drill']}" in feed


# editing and deleting ---------------------------------------------------------------------------


def test_edit_and_delete_our_own_items(
    run: Run, home: Path, running: FakeNode, office: dict[str, str]
) -> None:
    assert hallway(run, home, "reply", office["bens_question"], "Ask facilities?").code == 0
    ours = running.posts[-1].id
    result = hallway(run, home, "edit", ours, "Ask", "facilities, ext. 2100")
    assert result.code == 0, result.err
    assert "Edited your reply" in result.err
    _, edited = json_of(hallway(run, home, "thread", ours, "--json"))["replies"]
    assert (edited["text"], edited["edited"]) == ("Ask facilities, ext. 2100", True)
    assert "Ask facilities, ext. 2100  [edited]" in hallway(run, home, "thread", ours).out

    result = hallway(run, home, "delete", office["drill"])
    assert result.code == 0, result.err
    assert "no text of it is kept" in result.err
    assert office["drill"] not in [p.id for p in running.posts]


# feed: fields and search -------------------------------------------------------------------------


def test_feed_json_has_the_issue_fields(
    run: Run, home: Path, running: FakeNode, office: dict[str, str]
) -> None:
    items = json_of(hallway(run, home, "feed", "--json"))
    posts = {i["id"]: i for i in items if i["type"] == "post"}
    assert all(set(i) >= ITEM_KEYS for i in posts.values())
    assert office["cats_reply"] not in posts  # replies live in their threads
    assert posts[office["bens_question"]]["replies"] == 1
    assert posts[office["bens_question"]]["question"] is True
    assert posts[office["drill"]]["acks"] == {"n": 0, "of": 2}
    assert "acks" not in posts[office["bens_post"]]


def test_feed_search_prints_the_hits_and_where_they_open(
    run: Run, home: Path, running: FakeNode, office: dict[str, str]
) -> None:
    lines = hallway(run, home, "feed", "--search", "facil").out.splitlines()
    assert lines[0].split() == ["WHEN", "WHO", "KIND", "MATCH", "OPEN"]
    (hit,) = lines[1:]
    assert hit.split()[1:3] == ["Cat", "reply"]
    assert "Ask «facilities»" in hit
    assert hit.endswith(office["bens_question"])  # a reply opens in its thread
    hits = json_of(hallway(run, home, "feed", "--search", "badg", "--json"))
    assert [(h["kind"], h["thread"]) for h in hits] == [("question", office["bens_question"])]
    assert "«badge»" in hits[0]["snippet"]
    nothing = hallway(run, home, "feed", "--search", "zebra")
    assert nothing.out == "Nothing found for “zebra”.\n"


# usage errors: exit 2, the node is not asked ------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["reply", "x:1:1"], "the following arguments are required: TEXT"),
        (["reply", "x:1:1", " "], "a reply needs some text"),
        (["reply", "x:1:1", "x" * 2001], "the reply is 2001 characters long; the limit is 2000"),
        (["reply", "two words", "Hi"], "is not the id of a post or a reply"),
        (["edit", "x:1:1", "\n"], "the new text needs some text"),
        (["answer"], "required: REPLY_ID"),
        (["ack", ""], "is not the id of a post or a reply"),
        (["thread", "x" * 161], "is not the id of a post or a reply"),
        (["delete"], "required: ID"),
        (["feed", "--search"], "expected at least one argument"),
        (["feed", "--search", "?!"], "a search needs at least one word"),
        (["feed", "--search", *"abcdefghijklmnopq"], "at most 16 words"),
        (["feed", "--questions", "--search", "x"], "not allowed with argument --questions"),
        (["post", "--question"], "required: TEXT"),
    ],
)
def test_usage_errors_exit_2(
    run: Run, home: Path, running: FakeNode, argv: list[str], says: str
) -> None:
    result = hallway(run, home, *argv)
    assert result.code == 2
    assert says in result.err
    assert f"usage: hallway {argv[0]}" in result.err
    assert result.out == ""
    assert running.calls == []
    assert running.posts == []


@pytest.mark.parametrize("command", ["reply", "answer", "ack", "acks", "thread", "edit", "delete"])
def test_every_new_command_has_help_with_an_example(run: Run, command: str) -> None:
    result = run(command, "--help")
    assert result.code == 0
    assert "example" in result.out
    assert f"usage: hallway {command}" in result.out


def test_post_and_feed_help_name_the_new_options(run: Run) -> None:
    post = run("post", "--help").out
    assert all(option in post for option in ("--question", "--ack", "--json"))
    feed = run("feed", "--help").out
    assert "--questions" in feed
    assert "--search WORDS" in feed


@pytest.mark.parametrize(
    "argv",
    [["reply", "x:1:1", "Hi"], ["answer", "x:1:1"], ["ack", "x:1:1"], ["acks", "x:1:1"],
     ["thread", "x:1:1"], ["edit", "x:1:1", "Hi"], ["delete", "x:1:1"], ["feed", "--questions"],
     ["feed", "--search", "badge"]],
)  # fmt: skip
def test_with_nothing_running_exit_3(run: Run, home: Path, argv: list[str]) -> None:
    result = hallway(run, home, *argv)
    assert result.code == 3
    assert "No Hallway is running" in result.err
