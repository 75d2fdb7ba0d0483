"""Knocks (issue 12) between real nodes on namespace hosts: privacy, the outbox, kill -9, Do not
disturb and quiet hours, expiry, and `knock --wait`.

Every wait is for an event or a process's exit; the bounds only catch a broken mechanism. Expiry
is tested with `HALLWAY_TEST_KNOCK_EXPIRY` (seconds, read by `hallway.runtime`; tests only).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import secrets
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from hallway.runtime import KNOCK_EXPIRY_ENV
from hallway.store.home import database_path
from tests.net.conftest import Office, RunningNode, is_type, node_env
from tests.net.faults_support import all_meet
from tests.support.netlab import Event, EventStream

pytestmark = pytest.mark.net


def about(kind: str, knock_id: str, **fields: Any) -> Callable[[Event], bool]:
    """Events of `kind` about the knock `knock_id` (with `fields` equal)."""

    def match(event: Event) -> bool:
        knock = event.get("knock")
        return (
            event.get("type") == kind
            and isinstance(knock, dict)
            and knock.get("id") == knock_id
            and all(event.get(k) == v for k, v in fields.items())
        )

    return match


def knock(node: RunningNode, peer: str, *args: str) -> str:
    knock_id = node.cli("knock", peer, *args).stdout.strip()
    assert len(knock_id) == 16, knock_id
    return knock_id


def stored_bytes(node: RunningNode) -> bytes:
    """The node's database as it is on disk, its write-ahead log included."""
    path = database_path(node.home)
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def watching(node: RunningNode) -> tuple[subprocess.Popen[str], EventStream]:
    """`hallway watch --json` on the node's home, its events collected."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "hallway", "--home", str(node.home), "watch", "--json"],
        env=node_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    stream = EventStream(proc.stdout, label=f"{node.name}-watch")
    # The watcher subscribes some time after it starts (a Python process, then the control
    # socket): own status changes, until one shows in its stream, prove that it listens.
    for attempt in itertools.count():
        node.cli("status", "set", "busy", f"Reading {attempt}")
        try:
            stream.wait_for(lambda e: e.get("type") == "status" and e.get("own") is True, 1.0)
        except TimeoutError:
            assert attempt < 30, "the watcher never subscribed"
            continue
        return proc, stream
    raise AssertionError("unreachable")


def test_a_knock_and_its_reply_reach_only_the_two(office: Office) -> None:
    nodes = [office.node(n) for n in ("Ann", "Ben", "Cat")]
    ann, ben, cat = nodes
    all_meet(nodes)
    watch, cat_watch = watching(cat)
    try:
        secret = f"Secret-{secrets.token_hex(4)}"
        answer = f"Answer-{secrets.token_hex(4)}"
        knock_id = knock(ann, "Ben", secret)
        received = ben.wait(about("knock", knock_id))
        assert received["peer"] == ann.id
        assert received["knock"]["text"] == secret
        assert received["knock"]["outgoing"] is False
        ann.wait(about("knock_delivered", knock_id, held=False))

        ben.cli("knock", "reply", knock_id, answer)
        replied = ann.wait(about("knock_reply", knock_id))
        assert replied["knock"]["reply"] == answer
        listed = json.loads(ann.cli("knocks", "--json").stdout)
        assert [(k["id"], k["state"], k["reply"]) for k in listed] == [
            (knock_id, "replied", answer)
        ]

        # Cat: a post after the exchange reaches its watch stream after anything about it could.
        marker = f"Marker-{secrets.token_hex(4)}"
        ann.cli("post", marker)
        cat_watch.wait_for(lambda e: e.get("type") == "post" and e.get("text") == marker, 15)
        cat.wait(is_type("post", text=marker))
        for events in (cat_watch.snapshot(), cat.events.snapshot() if cat.events else []):
            text = json.dumps(events)
            assert secret not in text
            assert answer not in text
            assert not [e for e in events if str(e.get("type", "")).startswith("knock")]
        feed = cat.cli("feed", "--json", "--limit", "1000").stdout
        assert marker in feed
        assert secret not in feed
        assert json.loads(cat.cli("knocks", "--json").stdout) == []
        for node in (ann, ben):  # neither puts it in the feed either
            assert secret not in node.cli("feed", "--json", "--limit", "1000").stdout
    finally:
        watch.terminate()
        watch.wait(10)
        cat_watch.close()
        for stream in (watch.stdout, watch.stderr):
            if stream is not None:
                stream.close()
    # On disk: in the two databases, and in no other.
    assert secret.encode() in stored_bytes(ann)
    assert secret.encode() in stored_bytes(ben)
    assert answer.encode() in stored_bytes(ann)
    for node in nodes:
        node.stop()
    assert secret.encode() not in stored_bytes(cat)
    assert answer.encode() not in stored_bytes(cat)


def test_the_outbox_delivers_when_the_recipient_starts_later(office: Office) -> None:
    ann, ben = office.node("Ann"), office.node("Ben")
    all_meet([ann, ben])
    ben.stop()
    ann.wait(is_type("peer_offline", peer=ben.id))
    knock_id = knock(ann, "ben", "Are you in today?")
    (pending,) = json.loads(ann.cli("knocks", "--json").stdout)
    assert pending["state"] == "pending"

    ben.start()
    shown = ben.wait(about("knock", knock_id), timeout=20)
    assert shown["knock"]["text"] == "Are you in today?"
    ann.wait(about("knock_delivered", knock_id, held=False), timeout=20)
    (delivered,) = json.loads(ann.cli("knocks", "--json").stdout)
    assert delivered["state"] == "delivered"


def test_a_knock_pending_when_the_sender_is_killed_is_delivered_once(office: Office) -> None:
    ann, ben = office.node("Ann"), office.node("Ben")
    all_meet([ann, ben])
    ben.stop()
    ann.wait(is_type("peer_offline", peer=ben.id))
    knock_id = knock(ann, ben.id[:10], "Still there?")
    ann.stop(signal.SIGKILL)

    ben.start()
    ann.start()
    ben.wait(about("knock", knock_id), timeout=20)
    ann.wait(about("knock_delivered", knock_id), timeout=20)
    # Delivered, acknowledged, out of the outbox: another restart sends nothing again.
    ann.stop(signal.SIGKILL)
    ann.start()
    ann.wait(is_type("peer_online", peer=ben.id), timeout=20)
    ann.cli("post", "after the restart")
    ben.wait(is_type("post", text="after the restart"))
    assert ben.events is not None
    assert len([e for e in ben.events.snapshot() if about("knock", knock_id)(e)]) == 1
    (delivered,) = json.loads(ann.cli("knocks", "--json").stdout)
    assert delivered["state"] == "delivered"


def test_do_not_disturb_holds_a_knock_but_not_an_urgent_one(office: Office) -> None:
    ann, ben = office.node("Ann"), office.node("Ben")
    all_meet([ann, ben])
    ben.cli("status", "set", "dnd", "Focus")
    ann.wait(is_type("status", peer=ben.id, presence="dnd"))

    held_id = knock(ann, "Ben", "When you have a moment")
    ann.wait(about("knock_delivered", held_id, held=True, reason="dnd"))
    urgent_id = knock(ann, "Ben", "The build is on fire", "--urgent")
    ben.wait(about("knock", urgent_id))
    ann.wait(about("knock_delivered", urgent_id, held=False))
    assert ben.find(about("knock", held_id)) is None
    (held,) = [k for k in json.loads(ben.cli("knocks", "--json").stdout) if k["id"] == held_id]
    assert (held["state"], held["held"]) == ("held", "dnd")
    # --wait gives up with status 4 while it waits unseen.
    waited = ann.cli("knock", "Ben", "Anyone?", "--wait", "1", check=False)
    assert waited.returncode == 4, waited.stderr
    assert "Do not disturb" in waited.stderr
    assert "No reply from Ben within 1 s" in waited.stderr

    mark = ben.mark()
    ben.cli("status", "set", "available")
    shown = ben.wait_after(mark, about("knock", held_id))
    assert shown["knock"]["text"] == "When you have a moment"


def test_quiet_hours_hold_even_urgent_knocks_until_turned_off(office: Office) -> None:
    ann, ben = office.node("Ann"), office.node("Ben")
    all_meet([ann, ben])
    now = dt.datetime.now().astimezone()
    window = f"{now - dt.timedelta(hours=1):%H:%M}-{now + dt.timedelta(hours=1):%H:%M}"
    result = ben.cli("quiet", "set", window)
    assert "The running Hallway follows them now" in result.stderr
    knock_id = knock(ann, "Ben", "Urgent but quiet", "--urgent")
    delivered = ann.wait(about("knock_delivered", knock_id, held=True))
    assert delivered["reason"] == "quiet"
    assert ben.find(about("knock", knock_id)) is None
    ben.cli("quiet", "off")
    ben.wait(about("knock", knock_id))


def test_wait_prints_the_reply(office: Office) -> None:
    ann, ben = office.node("Ann"), office.node("Ben")
    all_meet([ann, ben])
    waiting = subprocess.Popen(
        [sys.executable, "-m", "hallway", "--home", str(ann.home), "knock", "Ben", "--wait", "30"],
        env=node_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    shown = ben.wait(is_type("knock", peer=ann.id), timeout=20)
    assert shown["knock"]["text"] == "Got a minute?"
    ben.cli("knock", "reply", shown["knock"]["id"], "yes")
    out, err = waiting.communicate(timeout=30)
    assert waiting.returncode == 0, err
    assert out.splitlines() == [shown["knock"]["id"], "Yes"]


def test_an_undelivered_knock_expires_and_the_sender_is_told(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann, ben = office.node("Ann"), office.node("Ben")
    all_meet([ann, ben])
    ben.stop()
    ann.wait(is_type("peer_offline", peer=ben.id))
    ann.stop()
    monkeypatch.setenv(KNOCK_EXPIRY_ENV, "2")
    ann.start()
    knock_id = knock(ann, "Ben")
    expired = ann.wait(about("knock_expired", knock_id), timeout=15)
    assert expired["knock"]["state"] == "expired"
    assert expired["name"] == "Ben"
    monkeypatch.delenv(KNOCK_EXPIRY_ENV)
    ben.start()
    ann.wait(is_type("peer_online", peer=ben.id), timeout=20)
    ann.cli("post", "hello again")
    ben.wait(is_type("post", text="hello again"))
    assert ben.find(about("knock", knock_id)) is None  # given up: never delivered late
