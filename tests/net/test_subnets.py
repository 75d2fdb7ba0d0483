"""One office across subnets (issue 14): real `hallway node`s on the routed lab's hosts
(tests/support/subnets.py: 198.18.{1,2,3}.0/24, a router that forwards unicast only).

- one seed joins two subnets, peer exchange brings in a third, and a restart with no seed finds
  the office again from the places it learned;
- an avahi reflector on the router, with no seeds, is enough on its own;
- an outsider given a member's address gets nothing;
- a seed that does not answer is tried with back-off, never in a tight loop, and `node` says so.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.net.conftest import PASSPHRASE, RunningNode, is_type
from tests.support.netlab import Event, EventStream, Host, require_netns
from tests.support.subnets import Subnets, avahi_missing
from tests.support.waiting import wait_until

pytestmark = pytest.mark.net

OFFICE = "Acme"
PORT = 7000  # the office's well-known port: a seed is then just an address
WAIT = 30.0  # a loaded 2-core box; every wait ends as soon as its event arrives

# Accepts TCP connections and holds them, saying nothing; reports each with the time.
SILENT_LISTENER = """
import json, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(64)
print(json.dumps({"type": "ready"}), flush=True)
held = []
while True:
    conn, (addr, _port) = s.accept()
    held.append(conn)
    print(json.dumps({"type": "accepted", "from": addr, "at": time.time()}), flush=True)
"""


class RoutedOffice:
    """Nodes on the routed lab's hosts, all in one closed office at the well-known port."""

    def __init__(self, lab: Subnets, tmp: Path) -> None:
        self.lab = lab
        self.tmp = tmp
        self.nodes: list[RunningNode] = []
        self.passfile = tmp / "passphrase"
        self.passfile.write_text(PASSPHRASE + "\n")
        self.passfile.chmod(0o600)

    def args(self, *seeds: str, office: list[str] | None = None) -> list[str]:
        chosen = office or ["--office", OFFICE, "--passphrase-file", str(self.passfile)]
        return [*chosen, "--port", str(PORT), *(a for s in seeds for a in ("--peer", s))]

    def node(
        self, name: str, host: Host, *seeds: str, office: list[str] | None = None
    ) -> RunningNode:
        node = RunningNode(host, self.tmp / f"home-{name}", name, self.args(*seeds, office=office))
        self.nodes.append(node)
        return node.start(timeout=WAIT)

    def restart(self, node: RunningNode, *seeds: str) -> RunningNode:
        node.stop()
        again = RunningNode(node.host, node.home, node.name, self.args(*seeds))
        self.nodes.append(again)
        return again.start(timeout=WAIT)

    def close(self) -> None:
        for node in self.nodes:
            if node.proc is not None:
                node.stop(signal.SIGKILL)


@pytest.fixture
def routed(tmp_path: Path) -> Iterator[RoutedOffice]:
    require_netns()
    with Subnets() as lab:
        office = RoutedOffice(lab, tmp_path)
        try:
            yield office
        finally:
            office.close()


def online(node: RunningNode, *others: RunningNode, start: int = 0) -> None:
    for other in others:
        node.wait_after(start, is_type("peer_online", peer=other.id), WAIT)


def all_meet(nodes: list[RunningNode], start: dict[str, int] | None = None) -> None:
    for node in nodes:
        online(node, *(n for n in nodes if n is not node), start=(start or {}).get(node.name, 0))


def peers(node: RunningNode) -> dict[str, dict[str, object]]:
    return {p["id"]: p for p in json.loads(node.cli("peers", "--json").stdout)}


def exchange_both_ways(a: RunningNode, b: RunningNode, tag: str) -> None:
    """A status from `a` reaches `b`, and a post from `b` reaches `a`."""
    mark_a, mark_b = a.mark(), b.mark()
    a.cli("status", "set", "busy", f"status {tag}")
    b.wait_after(mark_b, is_type("status", peer=a.id, text=f"status {tag}"), WAIT)
    b.cli("post", f"post {tag}")
    a.wait_after(mark_a, is_type("post", peer=b.id, text=f"post {tag}"), WAIT)


def seed_said(node: RunningNode, outcome: str) -> Callable[[Event], bool]:
    return lambda e: e.get("type") == "seed" and e.get("outcome") == outcome


@pytest.mark.net
def test_one_seed_joins_the_subnets_exchange_finds_a_third_and_a_restart_needs_none(
    routed: RoutedOffice,
) -> None:
    lab = routed.lab
    a1, a2 = (routed.node(n, h) for n, h in zip(("Ann", "Abe"), lab.add_hosts(0, 2), strict=True))
    b_hosts = lab.add_hosts(1, 2)
    # Exactly one host of subnet 2 has exactly one seed, on subnet 1.
    b1 = routed.node("Ben", b_hosts[0], a1.host.address)
    b2 = routed.node("Bea", b_hosts[1])
    first_four = [a1, a2, b1, b2]
    all_meet(first_four)
    said = b1.wait(seed_said(b1, "met"), WAIT)
    assert said["seed"] == f"{a1.host.address}:{PORT}"
    assert "met Ann" in str(said["message"])
    for one, other in ((a2, b2), (b1, a2), (a1, b2)):
        exchange_both_ways(one, other, f"{one.name}-{other.name}")
        exchange_both_ways(other, one, f"{other.name}-{one.name}")
    # How each was found: Ben through his seed, Bea through Ben's list; on one link, mDNS.
    ben_knows = peers(b1)
    assert ben_knows[a1.id]["via"] == "seed"
    assert ben_knows[b2.id]["via"] == "mdns"
    bea_knows = peers(b2)
    assert {bea_knows[n.id]["via"] for n in (a1, a2)} == {"exchange"}

    # A third subnet: its only seed is Bea, on subnet 2; it meets subnet 1 by exchange alone.
    c1 = routed.node("Cid", lab.add_host(2), b2.host.address)
    everyone = [*first_four, c1]
    all_meet(everyone)
    cid_knows = peers(c1)
    assert cid_knows[b2.id]["via"] == "seed"
    assert {cid_knows[n.id]["via"] for n in (a1, a2, b1)} == {"exchange"}
    exchange_both_ways(c1, a2, "Cid-Abe")
    exchange_both_ways(a1, c1, "Ann-Cid")
    status = c1.cli("status").stdout
    assert "5 online across 3 networks" in status, status

    # Every node again, none with --peer: what they learned finds the office.
    restarted = [routed.restart(node) for node in everyone]
    all_meet(restarted)
    assert not any(n.find(lambda e: e.get("type") == "seed") for n in restarted)
    assert peers(restarted[2])[a1.id]["via"] == "seed"  # the way first found is kept
    exchange_both_ways(restarted[4], restarted[0], "after restart")


@pytest.mark.net
def test_an_mdns_reflector_alone_joins_the_subnets(routed: RoutedOffice) -> None:
    missing = avahi_missing()
    if missing is not None:
        pytest.skip(missing)
    lab = routed.lab
    lab.start_reflector()
    nodes = [routed.node(f"N{i}", lab.add_host(i)) for i in range(3)]
    all_meet(nodes)
    for node in nodes:
        # A colleague may be met first through another's word (exchange); it counts as found
        # through mDNS once its reflected record arrives, which the reflector may send later.
        others = [n for n in nodes if n is not node]

        def found_by_mdns(node: RunningNode = node, others: list[RunningNode] = others) -> bool:
            known = peers(node)
            return {known[n.id]["via"] for n in others} == {"mdns"}

        wait_until(
            found_by_mdns,
            WAIT,
            lambda node=node: f"{node.name} to find the others in reflected records: {peers(node)}",
        )
    exchange_both_ways(nodes[0], nodes[2], "reflected")


@pytest.mark.net
def test_an_outsider_given_a_members_address_gets_nothing(routed: RoutedOffice) -> None:
    lab = routed.lab
    member = routed.node("Ann", lab.add_host(0))
    wrong = routed.tmp / "wrong"
    wrong.write_text("not the passphrase\n")
    outsiders = [
        routed.node("Eve", lab.add_host(1), member.host.address, office=["--open"]),
        routed.node(
            "Mal", lab.add_host(1), member.host.address,
            office=["--office", OFFICE, "--passphrase-file", str(wrong)],
        ),
    ]  # fmt: skip
    for outsider in outsiders:
        said = outsider.wait(seed_said(outsider, "other_office"), WAIT)
        assert "not in this office" in str(said["message"])
        outsider.cli("post", f"hello from {outsider.name}")
    # The positive control: a member given the same address is met at once.
    friend = routed.node("Ben", lab.add_host(1), member.host.address)
    online(member, friend)
    friend.cli("post", "hello from Ben")
    member.wait(is_type("post", peer=friend.id), WAIT)
    assert set(peers(member)) == {member.id, friend.id}
    feed = json.loads(member.cli("feed", "--json").stdout)
    assert [item["text"] for item in feed if not item.get("own")] == ["hello from Ben"]
    for outsider in outsiders:
        assert set(peers(outsider)) == {outsider.id}
        assert not member.find(lambda e, o=outsider: e.get("peer") == o.id)


@pytest.mark.net
def test_a_seed_that_does_not_answer_is_tried_with_back_off(routed: RoutedOffice) -> None:
    lab = routed.lab
    dead = lab.add_host(0)
    proc = dead.popen(
        [sys.executable, "-c", SILENT_LISTENER, dead.address, str(PORT + 2)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    listener = EventStream(proc.stdout, label="silent seed")
    listener.wait_for(lambda e: e["type"] == "ready", WAIT)
    node = routed.node("Ben", lab.add_host(1), dead.address)
    said = node.wait(seed_said(node, "no_answer"), WAIT)
    assert said["message"] == (
        f"Seed {dead.address}:{PORT}: no answer; trying again at most once a minute."
    )
    # Three tries: at start, then 2 s and 4 s after each try's 3 s without an answer. libzmq's
    # own reconnects (every 0.1 to 2 s) would have made dozens by then.
    tries = listener.wait_count(lambda e: e["type"] == "accepted", 3, WAIT)
    assert {e["from"] for e in tries} == {node.host.address}
    first, _, third = (float(e["at"]) for e in tries)
    assert third - first >= 3.0 + 2.0 + 3.0 + 4.0 - 1.0
    # Said once, not once per try.
    assert len([e for e in node.events.snapshot() if e.get("type") == "seed"]) == 1  # type: ignore[union-attr]
