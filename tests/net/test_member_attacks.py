"""A hostile member's snapshots and timestamps (issue 9, items 4 and 5).

The victim is a real `hallway node` on a lab host; the member is a raw client on another
(tests/net/hostile_member.py) that holds the passphrase, so its key and proof are valid. The
victim's CPU, memory and database size are printed before and after each attack.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hallway.core.roster import FUTURE_SKEW
from hallway.engine.actor import PEER_BURST, PEER_RATE, SNAPSHOT_RETRY
from hallway.engine.quota import ITEM_OVERHEAD, MAX_BYTES, MAX_ITEMS
from tests.net.conftest import OFFICE, Office, RunningNode, is_type, node_env
from tests.net.hostile_member import GAP, TEXT
from tests.support.netlab import Event, EventStream
from tests.support.procstat import Meter, rss_kb
from tests.support.timestamps import epoch_seconds
from tests.support.waiting import wait_until

pytestmark = pytest.mark.net

MEMBER = Path(__file__).with_name("hostile_member.py")
ATTACK_SECONDS = 30.0  # at most: the test ends the attack once the quota is reached
MiB = 1024 * 1024


def database_bytes(home: Path) -> int:
    """The size on disk of a home's database with its -wal and -shm files."""
    paths = [home / name for name in ("hallway.db", "hallway.db-wal", "hallway.db-shm")]
    return sum(path.stat().st_size for path in paths if path.exists())


class Cost:
    """What an attack cost the victim: CPU, RSS and database size, printed."""

    def __init__(self, node: RunningNode, capsys: pytest.CaptureFixture[str], label: str) -> None:
        assert node.proc is not None
        self.node, self.capsys, self.label = node, capsys, label
        self.meter = Meter(node.proc.pid)
        wait_until(lambda: time.monotonic() - self.meter.wall >= 2.0, 5, "a 2 s CPU sample")
        self.report("before")

    def report(self, when: str) -> None:
        pid = self.meter.pid
        text = (
            f"victim {when}: CPU {self.meter.percent():.1f} %, RSS {rss_kb(pid) / 1024:.1f} MB, "
            f"database {database_bytes(self.node.home) / MiB:.2f} MiB"
        )
        self.say(text)

    def say(self, text: str) -> None:
        with self.capsys.disabled():
            print(f"\n[{self.label}] {text}", end="")


class Attack:
    """A hostile_member.py process on a lab host of its own, and what it prints."""

    def __init__(self, proc: subprocess.Popen[str], stream: EventStream) -> None:
        self.proc, self.stream = proc, stream

    def wait_for(self, predicate: Callable[[Event], bool], timeout: float) -> Event:
        return self.stream.wait_for(predicate, timeout)

    def stop(self) -> None:
        """End the attack; the member still prints its result."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)


@contextmanager
def member(office: Office, victim: RunningNode, mode: str, seconds: float) -> Iterator[Attack]:
    host = office.lab.add_host()
    proc = host.popen(
        [sys.executable, str(MEMBER), mode, host.address, victim.host.address,
         str(victim.ready["router_port"]), str(victim.ready["public_key"]), str(seconds),
         OFFICE, str(office.passfile)],
        env=node_env(), stdout=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        with EventStream(proc.stdout, label=mode) as stream:
            yield Attack(proc, stream)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        proc.stdout.close()


def _stored(home: Path, peer: str) -> tuple[int, int, int]:
    """The peer's stored items, their bytes as the quota counts them, and those with TEXT's
    marker missing (posts the attacker placed outside the gap carry other text)."""
    with sqlite3.connect(f"file:{home / 'hallway.db'}?mode=ro", uri=True) as conn:
        count, size, foreign = conn.execute(
            "SELECT count(*), coalesce(sum(length(CAST(text AS BLOB))), 0), "
            "coalesce(sum(text != ?), 0) FROM items WHERE peer = ?",
            (TEXT, peer),
        ).fetchone()
    conn.close()
    return int(count), int(size) + int(count) * ITEM_OVERHEAD, int(foreign)


def test_snapshots_are_charged_fill_only_the_gap_and_stop_at_a_quota(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    """Item 4: a member answered each snapshot request with 1,000 new posts and provoked the
    requests with heartbeats claiming a gap; in 60 s the victim stored 1.07 GB."""
    ann, ben = office.node("Ann"), office.node("Ben")
    ann.wait(is_type("peer_online", peer=ben.id))
    cost = Cost(ann, capsys, "snapshot flood")
    started = time.monotonic()
    with member(office, ann, "snapshots", ATTACK_SECONDS) as attack:
        mallory = str(attack.wait_for(lambda e: e["type"] == "member", 20)["peer"])
        ann.wait(is_type("peer_online", peer=mallory), 20)
        # The quota is reached after ~1,000 posts of 8,000 bytes, at the pace the budget allows.
        ann.wait(
            lambda e: e["type"] == "warning" and e["peer"] == mallory
            and "storage quota" in e["message"],
            ATTACK_SECONDS,
        )  # fmt: skip
        # Meanwhile the office goes on: a colleague's status arrives, the control socket answers.
        ben.cli("status", "set", "busy", "Still here")
        ann.wait(is_type("status", peer=ben.id, text="Still here"), 15)
        assert mallory in {p["id"] for p in json.loads(ann.cli("peers", "--json").stdout)}
        attack.stop()
        result = attack.wait_for(lambda e: e["type"] == "result", 15)
        elapsed = time.monotonic() - started
    cost.report(f"after {result['snapshots']} snapshots answered ({result['in_gap']} posts)")
    assert ann.events is not None
    warnings = [
        e for e in ann.events.snapshot() if e["type"] == "warning" and e["peer"] == mallory
        and "storage quota" in e["message"]
    ]  # fmt: skip
    assert len(warnings) == 1  # once, not per item
    assert ann.proc is not None
    ann.proc.send_signal(signal.SIGTERM)
    ann.proc.wait(10)
    errors = ann.stderr()
    count, size, foreign = _stored(ann.home, mallory)
    cost.say(
        f"Mallory's items stored: {count}, {size / MiB:.2f} MiB as the quota counts them; "
        f"database {database_bytes(ann.home) / MiB:.2f} MiB"
    )
    assert count <= MAX_ITEMS
    assert size <= MAX_BYTES
    assert result["in_gap"] * (len(TEXT.encode()) + ITEM_OVERHEAD) > MAX_BYTES  # it was tried
    assert foreign == 0  # nothing from outside the gaps asked for
    # Charged to the budget: each completed snapshot took GAP posts from the bucket, and a
    # spoiled one is asked for again only after SNAPSHOT_RETRY (uncharged, one a round trip).
    completed = (PEER_BURST + PEER_RATE * elapsed) / GAP
    assert result["snapshots"] <= completed + elapsed / SNAPSHOT_RETRY + 3
    assert database_bytes(ann.home) <= 3 * MAX_BYTES  # 1.07 GB before the fix
    assert "Traceback" not in errors


def test_far_future_times_are_clamped_and_freeze_no_status(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    """Item 5: `at` = 2^35 (the year 3058) held the top of the feed, and a status so stamped
    froze that member's later statuses."""
    ann = office.node("Ann")
    cost = Cost(ann, capsys, "far future")
    with member(office, ann, "future", 30) as attack:
        mallory = str(attack.wait_for(lambda e: e["type"] == "member", 20)["peer"])
        first = ann.wait(is_type("status", peer=mallory, text="from 3058"), 20)
        # A status stamped now, sent after two stamped 3058, is the one that holds.
        ann.wait(is_type("status", peer=mallory, text="later"), 20)
        wait_until(lambda: _posts_of(ann, mallory) == 55, 10, "the 55 posts in the feed")
        now = time.time()
        feed = json.loads(ann.cli("feed", "--json", "--limit", "100").stdout)
        peers = json.loads(ann.cli("peers", "--json").stdout)
    cost.report("after 55 posts and two statuses stamped 3058")
    theirs = [item for item in feed if item["peer"] == mallory]
    assert max(epoch_seconds(item["at"]) for item in theirs) <= now + FUTURE_SKEW
    assert epoch_seconds(first["sent_at"]) <= now + FUTURE_SKEW
    assert next(p for p in peers if p["id"] == mallory)["text"] == "later"


def _posts_of(node: RunningNode, peer: str) -> int:
    feed = json.loads(node.cli("feed", "--json", "--limit", "100").stdout)
    return sum(1 for item in feed if item["peer"] == peer and item["type"] == "post")

