"""The knowledge-sharing commands of the control socket (issue 11): what reaches the node, the
JSON that comes back, refusals as node errors, and arguments checked before the node is asked."""

from __future__ import annotations

from typing import Any

import pytest

from hallway.control import ControlClient
from hallway.control.protocol import (
    BAD_REQUEST,
    NODE_ERROR,
    ControlError,
    RequestError,
    decode_request,
    encode_request,
)
from tests.unit.control.fake_node import BEN, CAT, ME, FakeNode

NEW_COMMANDS: dict[str, dict[str, Any]] = {
    "reply": {"id": "x", "text": "Hi"},
    "answer": {"id": "x"},
    "ack": {"id": "x"},
    "acks": {"id": "x"},
    "remind_acks": {"id": "x"},
    "thread": {"id": "x"},
    "edit": {"id": "x", "text": "Hi"},
    "delete": {"id": "x"},
    "search": {"words": "badge"},
    "attention": {},
}


@pytest.mark.parametrize("cmd", NEW_COMMANDS)
def test_every_new_command_decodes_with_minimal_args(cmd: str) -> None:
    request = decode_request(encode_request(cmd, NEW_COMMANDS[cmd]))
    assert type(request).__struct_config__.tag == cmd


def test_post_takes_question_and_ack_and_returns_the_item(
    client: ControlClient, node: FakeNode
) -> None:
    item = client.request("post", text="Who knows? #badge", question=True, ack=True)
    (post,) = node.posts
    assert (post.question, post.ack, post.urgent) == (True, True, False)
    assert item["id"] == post.id
    assert (item["type"], item["question"], item["ack"], item["tags"]) == (
        "post", True, True, ["badge"],
    )  # fmt: skip
    assert item["acks"] == {"n": 0, "of": 2}
    assert item["sent_at"] == item["at"]


def test_a_new_item_is_shown_even_when_the_node_cannot_open_its_thread(
    client: ControlClient, node: FakeNode
) -> None:
    node.thread_fails = True
    item = client.request("post", text="Fire drill", ack=True)
    assert item["id"] == node.posts[0].id  # it was sent: no error, no second post
    assert (item["name"], item["own"], item["ack"], item["question"]) == ("Ann", True, True, False)
    question = node.receive_post(BEN, "Badge?", question=True)
    reply = client.request("reply", id=question.id, text="Ask facilities")
    assert (reply["type"], reply["reply_to"]) == ("reply", question.id)


def test_a_thread_answered_acknowledged_edited_and_deleted(
    client: ControlClient, node: FakeNode
) -> None:
    question = client.request("post", text="Where is the projector?", question=True)
    bens = node.receive_post(BEN, "Room 2", reply_to=question["id"])
    reply = client.request("reply", id=bens.id, text="Thanks")  # a reply's id: its thread
    assert reply["reply_to"] == question["id"]
    chosen = client.request("answer", id=bens.id)
    assert (chosen["id"], chosen["answer"]) == (question["id"], bens.id)
    thread = client.request("thread", id=question["id"])
    assert thread["post"]["answer"] == bens.id
    assert [r["id"] for r in thread["replies"]] == [bens.id, reply["id"]]

    edited = client.request("edit", id=reply["id"], text="Thanks, found it")
    assert (edited["text"], edited["edited"]) == ("Thanks, found it", True)
    assert client.request("delete", id=reply["id"]) == {"deleted": reply["id"]}
    assert [r["id"] for r in client.request("thread", id=question["id"])["replies"]] == [bens.id]
    assert client.request("feed", questions=True) == []  # answered: no longer open


def test_acks_reminders_and_attention(client: ControlClient, node: FakeNode) -> None:
    ours = client.request("post", text="Fire drill at 15:00", ack=True)
    bens = node.receive_post(BEN, "Read the new policy", ack=True)
    node.receive_post(CAT, "Badge?", question=True)
    attention = client.request("attention")
    assert attention["open_questions"] == 1
    assert [(i["id"], i["ack"], i["acked"]) for i in attention["unacked"]] == [
        (bens.id, True, False)
    ]
    assert client.request("ack", id=bens.id)["acked"] is True
    assert client.request("attention")["unacked"] == []
    node.acknowledge_as(ours["id"], CAT, 1_700_000_000.0)
    view = client.request("acks", id=ours["id"])
    assert view == {
        "post": ours["id"],
        "n": 1,
        "of": 2,
        "acknowledged": [{"peer": CAT, "name": "Cat", "at": "2023-11-14T22:13:20.000000+00:00"}],
        "missing": [{"peer": BEN, "name": "Ben"}],
    }
    assert client.request("remind_acks", id=ours["id"]) == view
    assert node.reminded == [ours["id"]]


def test_search_returns_hits_best_first(client: ControlClient, node: FakeNode) -> None:
    question = node.receive_post(BEN, "Who can reset the badge printer?", question=True)
    node.receive_post(CAT, "Badges are in the drawer", reply_to=question.id)
    hits = client.request("search", words="BADG", limit=1)
    assert len(hits) == 1
    assert (hits[0]["kind"], hits[0]["thread"], hits[0]["name"]) == ("reply", question.id, "Cat")
    assert hits[0]["snippet"] == "«Badges» are in the drawer"
    assert {"kind", "id", "thread", "peer", "name", "at", "text", "snippet", "rank"} <= set(hits[0])


def state(node: FakeNode) -> tuple[Any, ...]:
    acked = {post: dict(peers) for post, peers in node.acked.items()}
    return list(node.posts), dict(node.answers), acked, list(node.reminded)


@pytest.mark.parametrize(
    ("cmd", "args", "says"),
    [
        ("reply", {"id": "nope", "text": "Hi"}, "no post or reply with the id 'nope'"),
        ("answer", {"id": "{bens_reply}"}, "only the author of a question can choose its answer"),
        ("ack", {"id": "{bens_question}"}, "that post does not ask to be acknowledged"),
        ("remind_acks", {"id": "{bens_drill}"}, "only the author of a post can remind"),
        ("edit", {"id": "{bens_question}", "text": "Mine now"}, "only edit your own"),
        ("delete", {"id": "{bens_reply}"}, "only delete your own"),
        ("search", {"words": "?!"}, "a search needs at least one word"),
    ],
)
def test_refusals_are_node_errors_and_change_nothing(
    client: ControlClient, node: FakeNode, cmd: str, args: dict[str, str], says: str
) -> None:
    question = node.receive_post(BEN, "Badge?", question=True)
    ids = {
        "bens_question": question.id,
        "bens_reply": node.receive_post(CAT, "Ask Dan", reply_to=question.id).id,
        "bens_drill": node.receive_post(BEN, "Drill", ack=True).id,
    }
    before = state(node)
    with pytest.raises(ControlError, match=says) as caught:
        client.request(cmd, **{key: value.format(**ids) for key, value in args.items()})
    assert caught.value.code == NODE_ERROR
    assert state(node) == before


@pytest.mark.parametrize(
    ("cmd", "args", "says"),
    [
        ("reply", {"id": "x"}, "missing required field `text`"),
        ("reply", {"id": "x", "text": ""}, "length >= 1"),
        ("reply", {"id": "x", "text": "x" * 2001}, "length <= 2000"),
        ("edit", {"id": "", "text": "Hi"}, "length >= 1"),
        ("ack", {"id": "x" * 161}, "length <= 160"),
        ("answer", {"id": 5}, "Expected `str`"),
        ("thread", {"id": "x", "deep": True}, "unknown field `deep`"),
        ("search", {"words": ""}, "length >= 1"),
        ("search", {"words": "badge", "limit": 0}, ">= 1"),
        ("post", {"text": "Hi", "question": "yes"}, "Expected `bool`"),
        ("feed", {"questions": 1}, "Expected `bool`"),
    ],
)
def test_bad_arguments_are_bad_requests(cmd: str, args: dict[str, Any], says: str) -> None:
    with pytest.raises(RequestError, match=says) as caught:
        decode_request(encode_request(cmd, args))
    assert caught.value.code == BAD_REQUEST


def test_a_bad_request_never_reaches_the_node(client: ControlClient, node: FakeNode) -> None:
    with pytest.raises(ControlError) as caught:
        client.request("reply", id=f"{ME}:1:1", text="")
    assert caught.value.code == BAD_REQUEST
    assert node.calls == []
