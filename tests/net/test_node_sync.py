"""Discovery, propagation, late joiners, expiry and restarts, with real nodes on lab hosts."""

from __future__ import annotations

import json
import signal

import pytest

from tests.net.conftest import Office, is_type

pytestmark = pytest.mark.net


def test_three_nodes_discover_each_other_and_propagate(office: Office) -> None:
    ann, ben, cat = (office.node(n) for n in ("Ann", "Ben", "Cat"))
    for node in (ann, ben, cat):
        for other in {ann, ben, cat} - {node}:
            node.wait(is_type("peer_online", peer=other.id, name=other.name))

    ann.cli("status", "set", "busy", "Writing the quarterly report", "--emoji", "📈")
    for node in (ben, cat):
        event = node.wait(is_type("status", peer=ann.id, text="Writing the quarterly report"))
        assert event["presence"] == "busy"
        assert event["emoji"] == "📈"
        assert event["name"] == "Ann"
        assert event["sent_at"] <= event["at"]

    ben.cli("post", "Cake in the kitchen #treats", "--urgent")
    for node in (ann, cat):
        event = node.wait(is_type("post", peer=ben.id, text="Cake in the kitchen #treats"))
        assert event["urgent"] is True
        assert event["tags"] == ["treats"]

    peers = json.loads(cat.cli("peers", "--json").stdout)
    by_id = {p["id"]: p for p in peers}
    assert by_id[ann.id]["presence"] == "busy"
    assert by_id[ann.id]["text"] == "Writing the quarterly report"
    assert by_id[ann.id]["online"] is True
    assert {ann.id, ben.id, cat.id} <= set(by_id)

    feed = json.loads(ann.cli("feed", "--json").stdout)
    assert feed[0]["text"] == "Cake in the kitchen #treats"
    assert feed[0]["peer"] == ben.id
    assert feed[0]["urgent"] is True


def test_late_joiner_gets_current_state(office: Office) -> None:
    ann = office.node("Ann")
    ann.cli("status", "set", "away", "Lunch", "--for", "2h")
    ann.cli("post", "Fire drill at 3pm")
    ann.cli("post", "Standup moved to 10:15")

    dan = office.node("Dan")
    status = dan.wait(is_type("status", peer=ann.id, text="Lunch"))
    assert status["presence"] == "away"
    assert status["until"] is not None
    for text in ("Fire drill at 3pm", "Standup moved to 10:15"):
        dan.wait(is_type("post", peer=ann.id, text=text))
    feed = json.loads(dan.cli("feed", "--json").stdout)
    assert [i["text"] for i in feed if i["type"] == "post"] == [
        "Standup moved to 10:15",
        "Fire drill at 3pm",
    ]


def test_expiry_clears_status_everywhere_even_with_author_gone(office: Office) -> None:
    ann, ben, cat = (office.node(n) for n in ("Ann", "Ben", "Cat"))
    for node in (ben, cat):
        node.wait(is_type("peer_online", peer=ann.id))
    ann.cli("status", "set", "busy", "Quick call", "--for", "3s")
    for node in (ben, cat):
        node.wait(is_type("status", peer=ann.id, text="Quick call"))
    ann.stop(signal.SIGKILL)
    for node in (ben, cat):
        node.wait(is_type("status_expired", peer=ann.id), timeout=10)
        peers = json.loads(node.cli("peers", "--json").stdout)
        entry = next(p for p in peers if p["id"] == ann.id)
        assert entry["text"] == ""
        assert entry["presence"] == "available"


def test_restarted_node_is_the_same_peer_with_a_new_incarnation(office: Office) -> None:
    ann, ben = office.node("Ann"), office.node("Ben")
    ben.wait(is_type("peer_online", peer=ann.id))
    ann.cli("post", "Before the restart")
    ben.wait(is_type("post", text="Before the restart"))
    first_post = ben.find(is_type("post", text="Before the restart"))
    assert first_post is not None

    ann.stop(signal.SIGTERM)
    ben.wait(is_type("peer_offline", peer=ann.id))
    mark = ben.mark()
    again = office.node("Ann", host=ann.host, home=ann.home)
    assert again.id == ann.id
    ben.wait_after(mark, is_type("peer_online", peer=ann.id))
    again.cli("post", "After the restart")
    after = ben.wait_after(mark, is_type("post", peer=ann.id, text="After the restart"))
    # A new incarnation goes on numbering where the last stopped (protocol 2: no version is
    # ever reused); ids stay distinct, and nothing is replayed as new.
    assert after["id"] != first_post["id"]
    first_inc, first_seq = first_post["id"].split(":")[1:]
    after_inc, after_seq = after["id"].split(":")[1:]
    assert after_inc != first_inc
    assert int(after_seq) > int(first_seq)
    replayed = [
        e
        for e in ben.events.snapshot()[mark:]  # type: ignore[union-attr]
        if e["type"] == "post" and e["text"] == "Before the restart"
    ]
    assert replayed == []


def test_kill_9_loses_nothing_the_node_confirmed(office: Office) -> None:
    ann = office.node("Ann")
    texts = [f"notice {i}" for i in range(15)]
    for text in texts:
        ann.cli("post", text)  # returns once the node has confirmed it
    ann.cli("status", "set", "away", "Back at two")
    ann.stop(signal.SIGKILL)
    again = office.node("Ann", host=ann.host, home=ann.home)
    feed = json.loads(again.cli("feed", "--json", "--limit", "100").stdout)
    assert {i["text"] for i in feed if i["type"] == "post"} == set(texts)
    me = json.loads(again.cli("status", "--json").stdout)
    assert me["presence"] == "away"
    assert me["text"] == "Back at two"
