"""A member cannot answer for someone else or change someone else's event (issue 10).

The attacker is a raw pyzmq client with the passphrase (tests/net/meetup_forger.py): whatever it
sends is attributed to the key its CURVE handshake proved, so the organiser's event and the other
members' answers stay as their authors wrote them, on the victim and on a bystander.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.net.conftest import OFFICE, Office, RunningNode, is_type, node_env
from tests.net.faults_support import all_meet
from tests.support.netlab import EventStream
from tests.support.waiting import wait_until

pytestmark = pytest.mark.net

ROOT = Path(__file__).resolve().parents[2]


def _show(node: RunningNode, event_id: str) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(node.cli("event", "show", event_id, "--json").stdout)
    return shown


def test_a_member_cannot_write_another_members_event_or_answer(office: Office) -> None:
    ann, ben, cat = nodes = [office.node(n) for n in ("Ann", "Ben", "Cat")]
    all_meet(nodes)
    event_id = ann.cli("event", "create", "Budget review", "--at", "tomorrow 10:00").stdout.strip()
    ben.wait(is_type("event", change="created"))
    ben.cli("event", "rsvp", event_id, "going")
    cat.cli("event", "rsvp", event_id, "maybe")
    wait_until(
        lambda: all(len(_show(n, event_id)["going"]) == 1 for n in nodes), 20, "Ben's answer"
    )

    host = office.lab.add_host()
    proc = host.popen(
        [sys.executable, "-m", "tests.net.meetup_forger", host.address, ann.host.address,
         str(ann.ready["router_port"]), str(ann.ready["public_key"]), OFFICE,
         str(office.passfile), event_id, "20"],
        env=node_env(), stdout=subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        with EventStream(proc.stdout, label="forger") as stream:
            mallory = str(stream.wait_for(lambda e: e["type"] == "member", 20)["peer"])
            ann.wait(is_type("peer_online", peer=mallory), 20)
            # Its records arrive: as its own, under its own id, and nowhere else.
            ann.wait(is_type("rsvp", peer=mallory, event=event_id, answer="going"), 20)
            forged = ann.wait(is_type("event", change="created", name="Mallory"), 20)
            assert forged["event"]["id"] != event_id
            assert forged["event"]["organiser"] == mallory
            ann.wait(lambda e: e["type"] == "rsvp" and e["peer"] == mallory
                     and e["answer"] == "going" and e["at"] > forged["at"], 20)  # fmt: skip
            # The last, malformed record (an event keyed by Ann's id) is dropped, and said so.
            ann.wait(lambda e: e["type"] == "warning" and e["peer"] == mallory
                     and "invalid key" in e["message"], 20)  # fmt: skip
            proc.send_signal(signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        proc.stdout.close()

    view = _show(ann, event_id)
    assert view["title"] == "Budget review"
    assert view["organiser"] == ann.id
    assert view["cancelled"] is False
    assert view["sequence"] == 0
    going = {p["peer"] for p in view["going"]}
    assert going == {ben.id, mallory}, "Ben keeps his answer; Mallory's is her own"
    assert [p["peer"] for p in view["maybe"]] == [cat.id]
    # The bystander never linked to Mallory: Ann's event is as Ann wrote it there too.
    assert _show(cat, event_id)["title"] == "Budget review"
    assert _show(ben, event_id)["going"][0]["peer"] == ben.id


def test_a_version_1_node_is_ignored_with_one_warning(office: Office) -> None:
    ann, ben = office.node("Ann"), office.node("Ben")
    all_meet([ann, ben])
    host = office.lab.add_host()
    proc = host.popen(
        [sys.executable, "-m", "tests.net.old_node", host.address, ann.host.address,
         str(ann.ready["router_port"]), str(ann.ready["public_key"]), OFFICE,
         str(office.passfile)],
        env=node_env(), stdout=subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        with EventStream(proc.stdout, label="old node") as stream:
            old = str(stream.wait_for(lambda e: e["type"] == "old", 20)["peer"])
            # Its mDNS record and its HELLO are both refused; one warning says why.
            assert stream.wait_for(lambda e: e["type"] == "hello", 20)["answered"] is False
            for node in (ann, ben):
                warning = node.wait(is_type("warning", code="old_protocol"), 20)
                assert "older Hallway" in warning["message"]
            # No half-state: it is not a peer anywhere, and the office goes on as before.
            for node in (ann, ben):
                listed = json.loads(node.cli("peers", "--json").stdout)
                assert old not in {p["id"] for p in listed}
            ann.cli("post", "Still here")
            ben.wait(is_type("post", peer=ann.id, text="Still here"))
            proc.send_signal(signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        proc.stdout.close()
    for node in (ann, ben):
        assert node.events is not None
        warnings = [e for e in node.events.snapshot() if e.get("code") == "old_protocol"]
        assert len(warnings) == 1, warnings
        assert node.find(is_type("peer_online", peer=old)) is None
