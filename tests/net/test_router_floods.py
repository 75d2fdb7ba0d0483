"""Attacks on a node's ROUTER (issue 9, items 2, 3 and 6), by raw clients on lab hosts.

tests/net/router_flooder.py performs them: held CURVE connections from many source addresses, a
flood of bogus HELLOs on one connection, and a member making keys (1,500 HELLOs under fresh keys
and 200 valid-proof mDNS records naming one address). Each test requires what the issue
requires, with bounds on mechanisms only (a newcomer is welcomed within 10 s during the flood),
and prints the victim's CPU, memory and descriptors before, during and after.
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hallway.net.gate import (
    PROVE_WITHIN,
    SUBSCRIBERS_PER_SOURCE,
    UNPROVEN_MAX,
    UNPROVEN_PER_SOURCE,
)
from tests.net.conftest import OFFICE, PASSPHRASE, Office, RunningNode, is_type, node_env
from tests.support.netlab import EventStream, Host
from tests.support.procstat import Meter, fd_count, rss_kb
from tests.support.waiting import wait_until

pytestmark = pytest.mark.net

FLOODER = Path(__file__).with_name("router_flooder.py")
NEWCOMER_WITHIN = 10.0  # the bound: welcomed, or linked, this soon during the flood
FD_LIMIT = 1024  # the descriptors the victim had
# Attacks run until the test stops them; this only ends one a crashed test left behind.
SAFETY_CAP = 300.0
# How long to wait for an event whose timing is asserted on its own figure ('after'): the wait
# bounds nothing, a slow machine merely must not fail it before the figure is known.
EVENT_WAIT = 60.0


class Victim:
    """Measures one node process: CPU since the last reading, RSS, descriptors."""

    def __init__(self, node: RunningNode, report: pytest.CaptureFixture[str], tag: str) -> None:
        assert node.proc is not None
        self.node, self.pid, self.capsys, self.tag = node, node.proc.pid, report, tag
        self.meter = Meter(self.pid)
        self.rss_before = 0

    def say(self, text: str) -> None:
        with self.capsys.disabled():
            print(f"\n[{self.tag}] {text}", end="")

    def sample(self, when: str, *, settle: bool = False) -> None:
        if settle:  # a CPU figure over the next 2 s, not since the last reading
            self.meter.percent()
            wait_until(lambda: time.monotonic() - self.meter.wall >= 2.0, 5, "a 2 s CPU sample")
        rss = rss_kb(self.pid)
        self.rss_before = self.rss_before or rss
        self.say(f"victim {when}: CPU {self.meter.percent():.0f} %, RSS {rss / 1024:.1f} MB "
                 f"({100 * (rss - self.rss_before) / self.rss_before:+.0f} %), "
                 f"{fd_count(self.pid)} descriptors")  # fmt: skip

    def healthy(self) -> None:
        proc = self.node.proc
        assert proc is not None
        assert proc.poll() is None
        started = time.monotonic()
        peers = json.loads(self.node.cli("peers", "--json").stdout)
        self.say(f"`hallway peers` answered in {time.monotonic() - started:.2f} s")
        assert peers


@contextmanager
def flooder(host: Host, target: RunningNode, mode: str, *args: str,
            port: str = "router_port") -> Iterator[EventStream]:  # fmt: skip
    """An attack that runs for the whole `with` block, and is stopped (SIGTERM) when it ends."""
    proc = host.popen(
        [sys.executable, str(FLOODER), mode, target.host.address, str(target.ready[port]),
         str(target.ready["public_key"]), str(SAFETY_CAP), *args],
        env=node_env(), stdout=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        with EventStream(proc.stdout, label=mode) as stream:
            stream.wait_for(lambda e: e["type"] == "ready", EVENT_WAIT)
            yield stream
            assert stream.find(lambda e: e["type"] == "done") is None, f"{mode} ended early"
            proc.send_signal(signal.SIGTERM)
            stream.wait_for(lambda e: e["type"] == "done", 30)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def established(host: Host, port: int) -> Counter[str]:
    """Established TCP connections to `port` on `host`, by source address."""
    lines = host.run(["ss", "-Htn", "state", "established", f"( sport = :{port} )"]).stdout
    return Counter(line.split()[-1].rsplit(":", 1)[0] for line in lines.splitlines())


def test_held_connections_are_capped_and_dropped(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    """Item 2: 1,100 CURVE connections from 40 addresses against a node with 1,024 descriptors,
    and 1,100 plain TCP connections from 10 of them to its PUB. Unproven connections stay under
    their caps, an idle one is dropped within a few seconds, a newcomer is welcomed, and the
    control socket answers."""
    ann = office.node("Ann")
    victim = Victim(ann, capsys, "held connections")
    resource.prlimit(victim.pid, resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))
    victim.sample("before", settle=True)
    attacker = office.lab.add_host()
    sources = [f"198.18.0.{100 + i}" for i in range(40)]
    for source in sources:
        attacker.run(["ip", "addr", "add", f"{source}/24", "dev", attacker.iface])
    port, pub_port = int(ann.ready["router_port"]), int(ann.ready["pub_port"])
    worst: Counter[str] = Counter()
    descriptors = 0

    def look() -> int:
        nonlocal descriptors
        now = established(ann.host, port)
        for source in sources:
            worst[source] = max(worst[source], now[source])
        descriptors = max(descriptors, fd_count(victim.pid))
        return sum(now[s] for s in sources)

    # Ten sources of 110 each: all but 32 of each are over the cap (without a cap, libzmq would
    # keep all of them until its 3 s handshake timeout).
    over_cap = 1100 - 10 * SUBSCRIBERS_PER_SOURCE
    with flooder(attacker, ann, "raw", "1100", ",".join(sources[:10]), str(over_cap),
                 port="pub_port") as raw:  # fmt: skip
        ready = raw.wait_for(lambda e: e["type"] == "ready", 1)
        subscribers = established(ann.host, pub_port)  # while the flooder still holds them
        descriptors = fd_count(victim.pid)
        held = max(subscribers[s] for s in sources[:10])
        victim.say(f"plain connections to the PUB: {ready['closed']} of 1100 closed at once, "
                   f"at most {held} held per source (cap {SUBSCRIBERS_PER_SOURCE})")  # fmt: skip
        assert ready["closed"] >= over_cap - 50
        assert held <= SUBSCRIBERS_PER_SOURCE
    with flooder(attacker, ann, "hold", "1100", ",".join(sources)):
        # The flood has reached the gate's total cap (every source past its own).
        wait_until(lambda: look() >= UNPROVEN_MAX * 3 // 4, 20, "the held connections")
        newcomer = office.lab.add_host()
        with flooder(newcomer, ann, "newcomer", OFFICE, PASSPHRASE) as guest:
            welcomed = guest.wait_for(lambda e: e["type"] == "welcomed", EVENT_WAIT)
            victim.say(f"a newcomer was welcomed {welcomed['after']:.2f} s after its first HELLO")
            victim.healthy()
            dropped = guest.wait_for(lambda e: e["type"] == "idle-dropped", EVENT_WAIT)
            victim.say(f"a connection that said nothing was dropped after {dropped['after']:.1f} s")
            look()
            victim.sample("during the flood")
    assert welcomed["after"] <= NEWCOMER_WITHIN
    victim.say(f"held at once: at most {max(worst.values())} per source (cap "
               f"{UNPROVEN_PER_SOURCE}), {descriptors} descriptors (limit {FD_LIMIT})")  # fmt: skip
    assert PROVE_WITHIN - 1 <= dropped["after"] <= PROVE_WITHIN + 4
    assert max(worst.values()) <= 2 * UNPROVEN_PER_SOURCE  # the cap, and some in flight
    assert descriptors < FD_LIMIT - 100
    victim.sample("after", settle=True)
    victim.healthy()
    errors = _stop(ann)
    assert "Too many open files" not in errors
    assert "Traceback" not in errors


def test_a_hello_flood_does_not_starve_a_newcomer(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    """Item 3: one connection floods bogus HELLOs; a newcomer elsewhere still gets WELCOME."""
    ann = office.node("Ann")
    victim = Victim(ann, capsys, "hello flood")
    victim.sample("before", settle=True)
    attacker, newcomer = office.lab.add_host(), office.lab.add_host()
    port = int(ann.ready["router_port"])
    with flooder(attacker, ann, "hello-flood") as flood:
        wait_until(lambda: established(ann.host, port)[attacker.address], 10, "the flood")
        with flooder(newcomer, ann, "newcomer", OFFICE, PASSPHRASE) as guest:
            welcomed = guest.wait_for(lambda e: e["type"] == "welcomed", EVENT_WAIT)
            victim.say(f"a newcomer was welcomed {welcomed['after']:.2f} s after its first HELLO")
            victim.sample("during the flood")
            victim.healthy()
    assert welcomed["after"] <= NEWCOMER_WITHIN
    sent = flood.find(lambda e: e["type"] == "sent")
    assert sent is not None
    victim.say(f"the flooder sent {sent['hellos']} bogus HELLOs in {sent['seconds']:.0f} s")
    victim.sample("after", settle=True)
    assert "Traceback" not in _stop(ann)


def test_sybils_leave_a_newcomer_linked_and_the_node_bounded(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    """Item 6: a member makes 1,500 keys that each say a valid HELLO, and announces 200
    valid-proof records naming one address. A member who starts meanwhile is fully linked, the
    node lists no sybil, and its connection attempts to that address stay few."""
    ann, ben = office.node("Ann"), office.node("Ben")
    ann.wait(is_type("peer_online", peer=ben.id))
    victim = Victim(ann, capsys, "sybils")
    victim.sample("before", settle=True)
    attacker = office.lab.add_host()
    with flooder(attacker, ann, "sybils", OFFICE, PASSPHRASE, "1500", "200",
                 attacker.address) as flood:  # fmt: skip
        flood.wait_for(lambda e: e["type"] == "sent", 60)
        victim.sample("after the HELLOs")
        cid = office.node("Cid")
        ann.wait(is_type("peer_online", peer=cid.id), NEWCOMER_WITHIN)
        cid.wait(is_type("peer_online", peer=ann.id), NEWCOMER_WITHIN)
        victim.say(f"a member who started during the attack was linked both ways "
                   f"{time.time() - cid.started_at:.1f} s after it started")  # fmt: skip
        peers = json.loads(ann.cli("peers", "--json").stdout)
        assert {p["id"] for p in peers} == {ann.id, ben.id, cid.id}
        victim.healthy()
        # A rate over 15 s at least, so that the first burst of attempts does not dominate it.
        flood.wait_for(lambda e: e["type"] == "count" and e["seconds"] >= 15, EVENT_WAIT)
    last = [e for e in flood.snapshot() if e["type"] == "count"][-1]  # the one made on SIGTERM
    attempts, seconds = last["connections"], last["seconds"]
    victim.say(f"connection attempts to the sybils' address in {seconds:.0f} s: {attempts}")
    assert attempts <= 40 * seconds  # was 18,141 in 40 s (450 a second)
    victim.sample("after", settle=True)
    errors = _stop(ann)
    assert "Too many" not in errors
    assert "Traceback" not in errors


def _stop(node: RunningNode) -> str:
    """Stop the node cleanly and return what it wrote on stderr."""
    proc = node.proc
    assert proc is not None
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    return node.stderr()
