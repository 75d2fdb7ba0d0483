"""The client commands against a fake instance: JSON shapes, human output, what reaches the node."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from hallway.control import ControlClient
from hallway.core.model import Presence, Status
from hallway.engine.events import PeerOffline, StatusChanged, Stopped
from tests.support.signalling import signalled_once_blocked
from tests.unit.cli.conftest import Run
from tests.unit.control.fake_node import BEN, ME, FakeNode

PEER_KEYS = {
    "id",
    "name",
    "online",
    "presence",
    "text",
    "emoji",
    "until",
    "last_seen",
    "fingerprint",
}
FEED_KEYS = {"id", "type", "peer", "name", "at", "text", "urgent"}


def test_peers_json_is_an_array_of_peer_objects(run: Run, home: Path, running: FakeNode) -> None:
    result = run("--home", str(home), "peers", "--json")
    assert result.code == 0
    peers = json.loads(result.out)
    assert [p["id"] for p in peers] == [ME, BEN]
    assert all(set(p) >= PEER_KEYS for p in peers)
    assert peers[1]["until"] == "2023-11-14T23:13:20.000000+00:00"
    assert peers[1]["online"] is False
    assert result.out.count("\n") == 1  # one document, one line


def test_feed_json_is_an_array_newest_first(run: Run, home: Path, running: FakeNode) -> None:
    assert run("--home", str(home), "post", "first").code == 0
    assert run("--home", str(home), "post", "second", "#news", "--urgent").code == 0
    items = json.loads(run("--home", str(home), "feed", "--json", "--limit", "2").out)
    assert [i["text"] for i in items] == ["second #news", "first"]
    assert items[0]["urgent"] is True
    assert items[0]["tags"] == ["news"]
    assert all(set(i) >= FEED_KEYS for i in items)


def test_status_json_is_your_own_entry(run: Run, home: Path, running: FakeNode) -> None:
    mine = json.loads(run("--home", str(home), "status", "--json").out)
    assert mine["id"] == ME
    assert mine["own"] is True
    assert set(mine) >= PEER_KEYS


def test_status_set_with_for(run: Run, home: Path, running: FakeNode) -> None:
    before = time.time()
    result = run(
        "--home", str(home), "status", "set", "do-not-disturb", "Deep", "work", "--for", "45m"
    )
    assert result.code == 0
    assert result.out == ""
    assert "Status set" in result.err
    status = running.status
    assert status.presence is Presence.DND
    assert status.text == "Deep work"
    assert status.until is not None
    assert before + 45 * 60 <= status.until <= time.time() + 45 * 60


def test_status_set_with_until_and_emoji(run: Run, home: Path, running: FakeNode) -> None:
    assert (
        run(
            "--home",
            str(home),
            "status",
            "set",
            "away",
            "Lunch",
            "--emoji",
            "🍜",
            "--until",
            "tomorrow",
        ).code
        == 0
    )
    assert running.status.emoji == "🍜"
    assert running.status.until is not None
    assert running.status.until > time.time()


def test_status_clear(run: Run, home: Path, running: FakeNode) -> None:
    assert run("--home", str(home), "status", "set", "busy").err.startswith("Status set. ")
    result = run("--home", str(home), "status", "clear")
    assert result.code == 0
    assert result.err.startswith("Status cleared. ")
    assert result.err.strip().endswith(" Ann: Available")
    assert running.status.presence is Presence.AVAILABLE
    assert running.calls == ["set_status", "clear_status"]


@pytest.mark.parametrize(
    "emoji", ["☕", "🦷", "👍🏽", "1️⃣", "🇫🇷", "👨\u200d👩\u200d👧\u200d👦", " 🍽 "]
)
def test_status_set_takes_any_one_emoji(
    run: Run, home: Path, running: FakeNode, emoji: str
) -> None:
    assert run("--home", str(home), "status", "set", "away", "--emoji", emoji).code == 0
    assert running.status.emoji == emoji.strip()


def test_status_set_for_a_negative_duration_says_durations_are_positive(
    run: Run, home: Path, running: FakeNode
) -> None:
    for argv in (["--for", "-5m"], ["--for=-5m"], ["--for", "-5"]):
        result = run("--home", str(home), "status", "set", "busy", *argv)
        assert result.code == 2
        assert "argument --for: a duration must be positive, e.g. 45m or 2h" in result.err
    assert running.calls == []


def test_a_node_refusal_is_an_error_not_a_traceback(
    run: Run, home: Path, running: FakeNode
) -> None:
    result = run("--home", str(home), "status", "set", "busy", "boom")
    assert result.code == 1
    assert result.err.strip() == "hallway: the node refused: boom"


def test_human_output(run: Run, home: Path, running: FakeNode) -> None:
    table = run("--home", str(home), "peers").out.splitlines()
    assert table[0].split() == ["NAME", "STATUS", "UNTIL", "LAST", "SEEN"]
    assert "Ann (you)" in table[1]
    assert "Offline" in table[2]
    # Columns line up: the status column starts at the same place on every row.
    column = table[0].index("STATUS")
    assert table[1][column - 2 : column] == "  "
    assert "\x1b[" not in "\n".join(table)  # not a terminal: no colour
    mine = run("--home", str(home), "status").out
    assert "Ann: Available" in mine


def test_after_a_double_dash_words_are_text_even_if_they_look_like_options(
    run: Run, home: Path, running: FakeNode
) -> None:
    assert run("--home", str(home), "post", "--", "--for", "-5m").code == 0
    assert running.posts[-1].text == "--for -5m"


def _watch_process(home: Path, node: FakeNode) -> subprocess.Popen[str]:
    """`hallway watch` as a process, once it follows the fake instance's events."""
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    env.pop("HALLWAY_HOME", None)
    watch = subprocess.Popen(
        [sys.executable, "-m", "hallway", "--home", str(home), "watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=env,
    )
    assert node.subscribed.wait(60.0), "watch never subscribed"
    # An event that has reached the output shows the watcher is in its loop, signal handler set.
    status = Status(Presence.BUSY, "Bob\n01:50:00 Alice: Free pizza", set_at=1_700_000_000.0)
    node.emit(StatusChanged(at=1_700_000_000.0, peer=BEN, name="Ben", status=status))
    assert watch.stdout is not None
    line = watch.stdout.readline()
    assert "Ben: Busy — Bob 01:50:00 Alice: Free pizza" in line
    return watch


def test_watch_exits_130_on_ctrl_c(home: Path, running: FakeNode) -> None:
    watch = _watch_process(home, running)
    watch.send_signal(signal.SIGINT)
    out, err = watch.communicate(timeout=60)
    assert watch.returncode == 130
    assert (out, err) == ("", "")  # nothing more: no traceback, no "Status set"
    assert running.unsubscribed.wait(10.0)  # and it closed its connection on the way out


class Written(io.StringIO):
    """stdout that tells when something was written."""

    def __init__(self) -> None:
        super().__init__()
        self.written = threading.Event()

    def write(self, text: str) -> int:
        count = super().write(text)
        self.written.set()
        return count


def test_watch_ends_on_a_ctrl_c_that_lands_just_before_it_waits(
    run: Run, home: Path, running: FakeNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Ctrl-C between two events that lands before the wait for the next one begins does not
    # interrupt that wait: `watch` must notice it all the same (CI saw it ignored, once).
    out = Written()
    monkeypatch.setattr(sys, "stdout", out)

    def feed_one_event() -> None:
        assert running.subscribed.wait(10.0)
        running.emit(PeerOffline(at=1_700_000_000.0, peer=BEN, name="Ben", reason="bye"))

    def stop() -> None:
        running.emit(Stopped(at=1_700_000_001.0))

    feeder = threading.Thread(target=feed_one_event)
    feeder.start()
    try:
        with signalled_once_blocked(signal.SIGINT, stop, after=out.written.is_set) as rescued:
            result = run("--home", str(home), "watch")
    finally:
        feeder.join()
    assert not rescued.is_set(), "watch went on waiting after Ctrl-C"
    assert result.code == 130
    assert out.getvalue().count("\n") == 1  # the event, and nothing after it
    assert running.unsubscribed.wait(10.0)


def test_watch_exits_0_when_asked_to_stop(home: Path, running: FakeNode) -> None:
    watch = _watch_process(home, running)
    watch.send_signal(signal.SIGTERM)
    assert watch.communicate(timeout=60) == ("", "")
    assert watch.returncode == 0


def test_watch_json_streams_ndjson_until_the_instance_stops(
    run: Run, home: Path, running: FakeNode
) -> None:
    def feed_events() -> None:
        assert running.subscribed.wait(10.0)
        running.emit(PeerOffline(at=1_700_000_000.0, peer=BEN, name="Ben", reason="bye"))
        running.emit(Stopped(at=1_700_000_001.0))

    emitter = threading.Thread(target=feed_events)
    emitter.start()
    try:
        result = run("--home", str(home), "watch", "--json")
    finally:
        emitter.join()
    assert result.code == 0
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert lines == [
        {
            "type": "peer_offline",
            "at": "2023-11-14T22:13:20.000000+00:00",
            "peer": BEN,
            "name": "Ben",
            "reason": "bye",
            "look_alike": False,
            "short_fingerprint": "bbbb",
        },
        {"type": "stopped", "at": "2023-11-14T22:13:21.000000+00:00"},
    ]


def test_status_says_the_nodes_count_and_json_leaves_it_out(
    run: Run, home: Path, running: FakeNode
) -> None:
    assert run("--home", str(home), "status").out.splitlines()[1] == "1 online across 1 network"
    assert "office_online" not in json.loads(run("--home", str(home), "status", "--json").out)


def test_status_counts_the_office_itself_for_an_older_node(
    run: Run, home: Path, running: FakeNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = ControlClient.request
    asked: list[str] = []

    def older_node(self: ControlClient, cmd: str, **args: Any) -> Any:
        asked.append(cmd)
        result = request(self, cmd, **args)
        if cmd == "status_get":
            del result["office_online"]  # a node from before issue 13's count
        return result

    monkeypatch.setattr(ControlClient, "request", older_node)
    assert run("--home", str(home), "status").out.splitlines()[1] == "1 online across 1 network"
    assert asked == ["status_get", "peers"]
