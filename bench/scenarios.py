"""Benchmark scenarios. Each one starts its own nodes on the lab's hosts and stops them after.

Every figure comes from the nodes' own event timestamps (``at``, ``sent_at``) or from a wall time
taken just before the harness acted (start, kill, quit). Waiting is always on events, with a
timeout; the only sleep is the idle window of the footprint scenario, which is what it measures.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.systems import Node, System, Unsupported, ts
from tests.support.netlab import Event, Host

DELIVERY_TIMEOUT = 30.0

Progress = Callable[[str], None]


@dataclass
class Settings:
    messages: int = 60
    crash_rounds: int = 1
    quit_rounds: int = 3
    late_rounds: int = 3
    idle_seconds: float = 60.0
    burst: int = 1000
    offline_timeout: float = 60.0
    burst_timeout: float = 180.0
    mesh_timeout: float = 60.0
    hallway_driver: str = "control"
    hallway_init: str = "before"
    """Waiting for a node's ready event, or for two nodes to see each other. Many nodes on few
    cores start slowly: bench/cli.py raises it with --nodes."""
    meetup_events: int = 200
    meetup_rsvps: int = 2000
    meetup_blocks: int = 4
    meetup_rounds: int = 3
    soak_rate: float = 45.0
    soak_seconds: float = 180.0
    soak_settle: float = 30.0


@dataclass
class Results:
    """Raw samples (milliseconds) and other figures of one system."""

    samples: dict[str, list[float]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, values: list[float]) -> None:
        self.samples.setdefault(key, []).extend(values)


def is_type(kind: str, **match: Any) -> Callable[[Event], bool]:
    def pred(event: Event) -> bool:
        return event.get("type") == kind and all(event.get(k) == v for k, v in match.items())
    return pred


class Cluster:
    """The nodes a scenario runs, with helpers that wait on their events."""

    def __init__(self, system: System, hosts: list[Host], progress: Progress,
                 mesh_timeout: float = 60.0) -> None:
        self.system = system
        self.mesh_timeout = mesh_timeout
        self.hosts = hosts
        self.progress = progress
        self.nodes: list[Node] = []
        self._count = 0

    def start(self, host: Host) -> Node:
        self._count += 1
        node = self.system.start(host, f"{self.system.key}-{host.name}-{self._count}")
        self.nodes.append(node)
        return node

    def peers_of(self, node: Node) -> list[Node]:
        return [n for n in self.nodes if n is not node and n.alive()]

    def link_time(self, a: Node, b: Node, timeout: float | None = None) -> float:
        """When `a` had `b` online (and, where the system has statuses, held b's status)."""
        timeout = self.mesh_timeout if timeout is None else timeout
        at = ts(a.events.wait_for(is_type("peer_online", peer=b.id), timeout))
        if self.system.has_status:
            at = max(at, ts(a.events.wait_for(is_type("status", peer=b.id), timeout)))
        return at

    def start_all(self, hosts: list[Host]) -> list[Node]:
        nodes = [self.start(h) for h in hosts]
        for k, node in enumerate(nodes):
            self.progress(f"{self.system.key} mesh: {k + 1}/{len(nodes)} ready")
            node.wait_ready(self.mesh_timeout)
        self.wait_mesh()
        return nodes

    def wait_mesh(self) -> None:
        for k, a in enumerate(self.nodes):
            self.progress(f"{self.system.key} mesh: {k + 1}/{len(self.nodes)} sees everyone")
            for b in self.peers_of(a):
                self.link_time(a, b)

    def remove(self, node: Node) -> None:
        node.reap()
        self.nodes.remove(node)

    def stop_all(self) -> None:
        for node in list(self.nodes):
            if node.alive():
                with suppress(OSError, ValueError):
                    self.system.quit(node)
        for node in list(self.nodes):
            self.remove(node)


@contextmanager
def cluster(system: System, hosts: list[Host], progress: Progress,
            s: Settings | None = None) -> Iterator[Cluster]:
    c = Cluster(system, hosts, progress, s.mesh_timeout if s is not None else 60.0)
    try:
        yield c
    finally:
        c.stop_all()


def discovery(system: System, hosts: list[Host], s: Settings, r: Results, p: Progress) -> None:
    """Start nodes one by one; per pair, from the later one's start until both sides see it."""
    with cluster(system, hosts, p, s) as c:
        for k, host in enumerate(hosts):
            p(f"{system.key} discovery: node {k + 1}/{len(hosts)}")
            newcomer = c.start(host)
            newcomer.wait_ready(s.mesh_timeout)
            for old in c.peers_of(newcomer):
                both = max(c.link_time(old, newcomer), c.link_time(newcomer, old))
                r.add("discovery_ms", [(both - newcomer.started_at) * 1e3])
                r.add("discovery_from_ready_ms", [(both - ts(newcomer.ready)) * 1e3])


def propagation(system: System, hosts: list[Host], s: Settings, r: Results, p: Progress) -> None:
    """Round-robin authors; each update's delay at every receiver (receiver at - sent_at)."""
    with cluster(system, hosts, p, s) as c:
        p(f"{system.key} propagation: starting {len(hosts)} nodes")
        nodes = c.start_all(hosts)
        for i in range(s.messages):
            p(f"{system.key} propagation: {i + 1}/{s.messages}")
            r.add("propagation_ms", send_update(system, c, nodes[i % len(nodes)], f"prop-{i}"))


def send_update(system: System, c: Cluster, author: Node, label: str) -> list[float]:
    """One update from `author`: its status, or a post where the system has none. Returns each
    peer's delay (ms, its event's time less the author's `sent_at`) once every peer has it."""
    token = f"{label}-{uuid.uuid4().hex[:8]}"
    if system.has_status:
        system.set_status(author, token)
        kind = "status"
    else:
        system.post(author, token, token)
        kind = "post"
    delays = []
    for peer in c.peers_of(author):
        event = peer.events.wait_for(is_type(kind, peer=author.id, text=token), DELIVERY_TIMEOUT)
        delays.append((ts(event) - ts(event, "sent_at")) * 1e3)
    return delays


def _offline(system: System, hosts: list[Host], s: Settings, r: Results, p: Progress,
             *, key: str, rounds: int, how: str) -> None:
    with cluster(system, hosts, p, s) as c:
        p(f"{system.key} {how}: starting {len(hosts)} nodes")
        c.start_all(hosts)
        for rnd in range(rounds):
            victim = c.nodes[-1]
            survivors = c.peers_of(victim)
            p(f"{system.key} {how}: round {rnd + 1}/{rounds}, waiting for "
              f"{len(survivors)} survivors (timeout {s.offline_timeout:.0f} s)")
            at = victim.kill() if how == "crash" else system.quit(victim)
            for peer in survivors:
                event = peer.events.wait_for(is_type("peer_offline", peer=victim.id),
                                             s.offline_timeout)
                r.add(key, [(ts(event) - at) * 1e3])
            c.remove(victim)
            if rnd + 1 < rounds:
                c.start(victim.host).wait_ready(s.mesh_timeout)
                c.wait_mesh()


def crash(system: System, hosts: list[Host], s: Settings, r: Results, p: Progress) -> None:
    """SIGKILL one node; from the signal until every survivor has it offline."""
    _offline(system, hosts, s, r, p, key="killed_offline_ms", rounds=s.crash_rounds, how="crash")


def quit_(system: System, hosts: list[Host], s: Settings, r: Results, p: Progress) -> None:
    """Clean quit of one node; from the request until every survivor has it offline."""
    _offline(system, hosts, s, r, p, key="quit_offline_ms", rounds=s.quit_rounds, how="quit")


def late_join(system: System, hosts: list[Host], s: Settings, r: Results, p: Progress) -> None:
    """N-1 nodes with statuses; from a newcomer's start until it holds every one of them."""
    if not system.has_status:
        raise Unsupported("late_join needs statuses")
    with cluster(system, hosts[:-1], p, s) as c:
        p(f"{system.key} late_join: starting {len(hosts) - 1} nodes")
        old = c.start_all(hosts[:-1])
        for node in old:
            system.set_status(node, f"late-{node.name}")
        for rnd in range(s.late_rounds):
            p(f"{system.key} late_join: round {rnd + 1}/{s.late_rounds}")
            newcomer = c.start(hosts[-1])
            newcomer.wait_ready(s.mesh_timeout)
            last = max(
                ts(newcomer.events.wait_for(
                    is_type("status", peer=n.id, text=f"late-{n.name}"), s.mesh_timeout))
                for n in old
            )
            r.add("late_join_ms", [(last - newcomer.started_at) * 1e3])
            system.quit(newcomer)
            c.remove(newcomer)


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def footprint(system: System, hosts: list[Host], s: Settings, r: Results, p: Progress) -> None:
    """RSS and CPU of every node over an idle window, with the full mesh up."""
    with cluster(system, hosts, p, s) as c:
        p(f"{system.key} footprint: starting {len(hosts)} nodes")
        nodes = c.start_all(hosts)
        hz = os.sysconf("SC_CLK_TCK")
        before = {n.pid: _cpu_ticks(n.pid) for n in nodes}
        t0 = time.monotonic()
        end = t0 + s.idle_seconds
        while (left := end - time.monotonic()) > 0:
            p(f"{system.key} footprint: idle window, {left:.0f} s left")
            time.sleep(min(1.0, left))  # the idle window is the measurement, not a sync
        wall = time.monotonic() - t0
        r.add("idle_cpu_pct", [(_cpu_ticks(n.pid) - before[n.pid]) / hz / wall * 100
                               for n in nodes])
        r.add("rss_mb", [_rss_mb(n.pid) for n in nodes])


def burst(system: System, hosts: list[Host], s: Settings, r: Results, p: Progress) -> None:
    """One node posts `s.burst` messages as fast as it can; every other node must get all."""
    with cluster(system, hosts, p, s) as c:
        p(f"{system.key} burst: starting {len(hosts)} nodes")
        nodes = c.start_all(hosts)
        author = nodes[0]
        tag = f"burst-{uuid.uuid4().hex[:8]}-"
        texts = [f"{tag}{i}" for i in range(s.burst)]
        t0 = time.time()
        p(f"{system.key} burst: posting {s.burst}")
        # One after another from this process: Pyre's through its stdin, Hallway's through the
        # control socket (each post returns once it is stored and published). A CLI call per
        # post (--hallway-driver cli) costs a process start; a few in flight keep the node busy.
        workers = 4 if getattr(system, "driver", "") == "cli" else 1
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda t: system.post(author, t, t), texts))
        posted_ms = (time.time() - t0) * 1e3

        def pred(e: Event) -> bool:
            return (e.get("type") == "post" and e.get("peer") == author.id
                    and str(e.get("text", "")).startswith(tag))

        delivered: list[int] = []
        last_at = t0
        lat: list[float] = []
        for peer in c.peers_of(author):
            p(f"{system.key} burst: waiting for delivery at {peer.name}")
            try:
                got = peer.events.wait_count(pred, s.burst, s.burst_timeout)
            except TimeoutError:
                got = [e for e in peer.events.snapshot() if pred(e)]
            delivered.append(len({e["text"] for e in got}))
            lat += [(ts(e) - ts(e, "sent_at")) * 1e3 for e in got]
            last_at = max([last_at, *(ts(e) for e in got)])
        r.add("burst_latency_ms", lat)
        r.extra["burst"] = {
            "posts": s.burst,
            "receivers": len(delivered),
            "delivered_min": min(delivered, default=0),
            "delivered_all": all(d == s.burst for d in delivered),
            "duration_ms": (last_at - t0) * 1e3,
            "posting_ms": posted_ms,
        }


SOAK_FILLER = "the rest of a post of ordinary length, about as long as a sentence or two at work"


def soak(system: System, hosts: list[Host], s: Settings, r: Results, p: Progress) -> None:
    """RSS and CPU under a sustained load, as a node that runs all day meets it.

    With the full mesh up: an idle window (`s.soak_settle` seconds), then the nodes post
    `s.soak_rate` items a second between them for `s.soak_seconds` (authors round-robin, each
    post ~100 characters, paced on a fixed schedule from this process), then, once every node
    holds every item, a second idle window. Every node's RSS is read each second: `before` at
    the end of the first window, `peak` the highest from the load's start to the end, `after`
    at the end. CPU per item is each node's CPU (all its threads, schedstat) from the load's
    start until every item was delivered, over the items posted. The sleeps are the load's
    schedule and the idle windows, which are what this measures, not a sync.
    """
    from bench.connections import total_cpu

    with cluster(system, hosts, p, s) as c:
        p(f"{system.key} soak: starting {len(hosts)} nodes")
        nodes = c.start_all(hosts)
        peak = {n.pid: 0.0 for n in nodes}

        def idle(what: str, *, peaks: bool) -> None:
            end = time.monotonic() + s.soak_settle
            while (left := end - time.monotonic()) > 0:
                p(f"{system.key} soak: {what}, {left:.0f} s left")
                time.sleep(min(1.0, left))
                if peaks:
                    _note_peaks(nodes, peak)

        idle("idle before", peaks=False)
        r.add("soak_rss_before_mb", [_rss_mb(n.pid) for n in nodes])
        tag = f"soak-{uuid.uuid4().hex[:8]}-"
        cpu0 = {n.pid: total_cpu([n.pid]) for n in nodes}
        t0 = time.monotonic()
        posted = 0
        sampled = t0
        while (now := time.monotonic()) < t0 + s.soak_seconds:
            due = t0 + posted / s.soak_rate
            if now < due:
                time.sleep(min(due - now, 0.05))  # the load's schedule
                continue
            text = f"{tag}{posted} {SOAK_FILLER}"
            system.post(nodes[posted % len(nodes)], text, text)
            posted += 1
            if now - sampled >= 1.0:
                sampled = now
                _note_peaks(nodes, peak)
                p(f"{system.key} soak: {posted} posted, "
                  f"{t0 + s.soak_seconds - now:.0f} s left")
        load_s = time.monotonic() - t0
        delivered = []
        for node in nodes:
            p(f"{system.key} soak: waiting for delivery at {node.name}")
            own = len(range(nodes.index(node), posted, len(nodes)))

            def pred(e: Event, me: str = node.id) -> bool:
                return (e.get("type") == "post" and e.get("peer") != me
                        and str(e.get("text", "")).startswith(tag))

            try:
                got = node.events.wait_count(pred, posted - own, s.burst_timeout)
            except TimeoutError:
                got = [e for e in node.events.snapshot() if pred(e)]
            delivered.append(len(got) == posted - own)
        r.add("soak_cpu_ms_per_item",
              [(total_cpu([n.pid]) - cpu0[n.pid]) / posted for n in nodes])
        idle("idle after", peaks=True)
        r.add("soak_rss_peak_mb", list(peak.values()))
        r.add("soak_rss_after_mb", [_rss_mb(n.pid) for n in nodes])
        r.extra["soak"] = {"posted": posted, "load_s": round(load_s, 1),
                           "rate": round(posted / load_s, 1), "delivered_all": all(delivered)}


def _note_peaks(nodes: list[Node], peak: dict[int, float]) -> None:
    for node in nodes:
        peak[node.pid] = max(peak[node.pid], _rss_mb(node.pid))


def search(system: System, hosts: list[Host], s: Settings, r: Results, p: Progress) -> None:
    """Issue 11: searches over 10,000 items (bench/search.py, which imports this module)."""
    from bench.search import search as run

    run(system, hosts, s, r, p)


SCENARIOS: dict[str, Callable[[System, list[Host], Settings, Results, Progress], None]] = {
    "discovery": discovery,
    "propagation": propagation,
    "crash": crash,
    "quit": quit_,
    "late_join": late_join,
    "footprint": footprint,
    "burst": burst,
    "search": search,  # not in bench/cli.py's default set: run it with --scenario search
    "soak": soak,  # nor is this one (~4 minutes per system)
}
