"""A member cannot edit, delete, answer or acknowledge for someone else (issue 11).

The attacker is a raw pyzmq client with the passphrase (tests/net/knowledge_forger.py): whatever
it sends is attributed to the key its CURVE handshake proved, so the victim's post, question and
acknowledgements stay as their authors made them, on the victim and on a bystander, and the
forger's records count only as its own. Its malformed reply is dropped with a warning.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hallway.core.records import record_id
from tests.net.conftest import OFFICE, Office, RunningNode, is_type, node_env
from tests.net.faults_support import all_meet
from tests.net.knowledge_forger import HIJACKED, HIJACKED_REPLY, MALFORMED_TEXT, SIGN_OFF
from tests.support.netlab import EventStream
from tests.support.waiting import wait_until

pytestmark = pytest.mark.net

ROOT = Path(__file__).resolve().parents[2]


def _thread(node: RunningNode, item_id: str) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(node.cli("thread", item_id, "--json").stdout)
    return shown


def _acks(node: RunningNode, post_id: str) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(node.cli("acks", post_id, "--json").stdout)
    return shown


def _feed(node: RunningNode) -> dict[str, dict[str, Any]]:
    items = json.loads(node.cli("feed", "--json", "--limit", "200").stdout)
    return {item["id"]: item for item in items}


def test_a_member_cannot_edit_answer_or_acknowledge_for_someone_else(office: Office) -> None:
    ann, ben, cat = nodes = [office.node(n) for n in ("Ann", "Ben", "Cat")]
    all_meet(nodes)
    drill = ann.cli("post", "--ack", "Fire drill at 15:00, please confirm").stdout.strip()
    question = ann.cli("post", "--question", "Which room has a projector?").stdout.strip()
    for node in (ben, cat):
        node.wait(is_type("post", id=question))
    from_ben = ben.cli("reply", question, "Room 2 has one").stdout.strip()
    ann.wait(is_type("reply", id=from_ben))
    ann.cli("answer", from_ben)
    ben.cli("ack", drill)
    for node in (ben, cat):
        node.wait(is_type("answer", question=question, reply=from_ben))
    wait_until(lambda: _acks(ann, drill)["n"] == 1, 20, "Ben's acknowledgement")

    host = office.lab.add_host()
    proc = host.popen(
        [sys.executable, "-m", "tests.net.knowledge_forger", host.address, ann.host.address,
         str(ann.ready["router_port"]), str(ann.ready["public_key"]), OFFICE,
         str(office.passfile), drill, question, from_ben, "30"],
        env=node_env(), stdout=subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        with EventStream(proc.stdout, label="forger") as stream:
            started = stream.wait_for(lambda e: e["type"] == "member", 20)
            mallory, own_reply = str(started["peer"]), str(started["reply"])
            ann.wait(is_type("peer_online", peer=mallory), 20)
            # What it may do arrives, as its own: a reply in Ann's thread, an acknowledgement.
            heard = ann.wait(is_type("reply", id=own_reply), 20)
            assert (heard["peer"], heard["reply_to"]) == (mallory, question)
            ann.wait(is_type("ack", peer=mallory, post=drill), 20)
            # The malformed reply (its reply_to is no id) is dropped, and said so.
            warning = ann.wait(is_type("warning", peer=mallory), 20)
            assert "reply_to" in warning["message"], warning
            # Everything it sent before its last post has been handled once that post shows.
            ann.wait(is_type("post", peer=mallory, text=SIGN_OFF), 20)
            proc.send_signal(signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        proc.stdout.close()

    # Ann's post and question are as Ann made them, with Ben's reply as Ben wrote it.
    for node in (ann, ben, cat):
        thread = _thread(node, question)
        post = thread["post"]
        assert (post["peer"], post["text"]) == (ann.id, "Which room has a projector?")
        assert (post["answer"], post["edited"], post["question"]) == (from_ben, False, True)
        replies = {r["id"]: r for r in thread["replies"]}
        assert (replies[from_ben]["peer"], replies[from_ben]["text"]) == (ben.id, "Room 2 has one")
        assert replies[from_ben]["edited"] is False
        shown = _thread(node, drill)["post"]
        assert (shown["peer"], shown["text"]) == (ann.id, "Fire drill at 15:00, please confirm")
        assert (shown["edited"], shown["ack"]) == (False, True)
        items = _feed(node)
        assert drill in items, node.name
        assert question in items, node.name
        for item in items.values():  # whatever the forger made is its own, not Ann's or Ben's
            if HIJACKED in item["text"] or SIGN_OFF in item["text"]:
                assert item["peer"] == mallory, item
        assert not [i for i in items.values() if MALFORMED_TEXT in i["text"]]
    # Its own "question" (under the key of Ann's) names a reply of Ann's thread as its answer:
    # a reply not in its own thread answers nothing, so it shows as open.
    forged = _feed(ann)[record_id(mallory, question.split(":", 1)[1])]
    assert forged["question"] is True
    assert forged["answer"] is None
    # Its forged records count only as its own: its reply is one more in Ann's thread...
    replies = {r["id"]: r for r in _thread(ann, question)["replies"]}
    assert replies[own_reply]["peer"] == mallory
    for reply in replies.values():
        if reply["text"] in (HIJACKED_REPLY, MALFORMED_TEXT):
            assert reply["peer"] == mallory, reply
            assert reply["id"] != from_ben, reply
    assert MALFORMED_TEXT not in {r["text"] for r in replies.values()}
    # ...and its acknowledgement is its own: Cat is still missing, Ben still acknowledged.
    acks = _acks(ann, drill)
    assert {a["peer"] for a in acks["acknowledged"]} == {ben.id, mallory}
    assert [m["peer"] for m in acks["missing"]] == [cat.id]
    assert (acks["n"], acks["of"]) == (2, 3)
    # No event ever told anyone Ann's items changed.
    for node in (ann, ben, cat):
        for kind in ("edited", "deleted"):
            for item_id in (drill, question, from_ben):
                assert node.find(is_type(kind, id=item_id)) is None, (node.name, kind, item_id)
        assert node.find(is_type("answer", question=question, reply=own_reply)) is None
        assert node.find(is_type("ack", peer=cat.id)) is None
