"""The meetups scenario (issue 10): does an office full of events slow a newcomer's discovery?

Two offices of the same N-1 members (hosts 1..N-1) are built once: one *empty* (statuses
only) and one *loaded* with `events` events and `rsvps` answers, created through the members'
control sockets. A snapshot carries only its author's own records, so the load is spread: event
i is organised by member i mod M, and each member answers up to every event (one answer per
member and event, so M members give at most M x events answers: 200 events and 2,000 answers
need 10 members, `--nodes 11`). Every member then holds all of them.

The offices are then restarted from their homes, alternating (empty, loaded), (loaded, empty),
... for `blocks` blocks, so drift on a shared machine hits both alike. In each office a fresh
newcomer joins on host N `rounds` times; each join is measured as the discovery scenario does,
per member (start, and `ready`, until both sides have the other online with its status), and
once for the whole office (the last member). For the loaded office, also until the newcomer
holds every event and answer (`meetups_records_ms`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.scenarios import Cluster, Progress, Results, Settings, cluster, is_type
from bench.systems import HallwaySystem, Node, System, Unsupported, ts
from tests.support.netlab import Event, EventStream, Host

LOAD_TIMEOUT = 120.0
DAY = 86400.0
ANSWERS = ("going", "maybe", "going", "no")


def _tally(stream: EventStream, pred: Callable[[Event], bool], count: int,
           timeout: float) -> None:
    """Wait until `count` events match. Each event is looked at once (wait_for resumes where it
    stopped), where `wait_count` rescans the whole stream at every new line."""
    seen = 0

    def counted(event: Event) -> bool:
        nonlocal seen
        seen += pred(event)
        return seen >= count

    if count > 0:
        stream.wait_for(counted, timeout)


def plan(members: int, events: int, rsvps: int) -> list[list[int]]:
    """Which events each member answers (indices): spread so every event gets answers."""
    if members < 1:
        return []
    per, extra = divmod(min(rsvps, members * events), members)
    stride = max(1, events // members)
    return [[(j * stride + t) % events for t in range(per + (j < extra))]
            for j in range(members)]


class Office:
    """The homes of one office's members, restarted as a cluster for each measured block."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.homes: list[Path] = []
        self.names: list[str] = []


def _build(system: HallwaySystem, hosts: list[Host], s: Settings, p: Progress, office: Office,
           r: Results) -> None:
    with cluster(system, hosts, p, s) as c:
        p(f"hallway meetups: building the {office.label} office")
        nodes = c.start_all(hosts)
        office.homes = [n.home for n in nodes if n.home is not None]
        office.names = [n.name for n in nodes]
        if office.label == "loaded":
            _load(system, c, nodes, s, p, r)


def _load(system: HallwaySystem, c: Cluster, nodes: list[Node], s: Settings, p: Progress,
          r: Results) -> None:
    t0 = time.monotonic()
    base = time.time() + DAY
    ids: list[str] = []
    for i in range(s.meetup_events):
        p(f"hallway meetups: creating events {i + 1}/{s.meetup_events}")
        view = system.control(
            nodes[i % len(nodes)], "event_create", title=f"Meetup {i}", start=base + 3600.0 * i,
            duration=1800.0, where=f"Room {i % 7}", capacity=5 if i % 4 == 0 else None,
            note="", remind=600.0)
        ids.append(str(view["id"]))
    for node in c.nodes:
        p(f"hallway meetups: {node.name} receiving the events")
        _tally(node.events, is_type("event", change="created"), len(ids), LOAD_TIMEOUT)
    answers = plan(len(nodes), len(ids), s.meetup_rsvps)
    total = sum(len(a) for a in answers)

    def answer(j: int) -> None:
        for k, e in enumerate(answers[j]):
            system.control(nodes[j], "event_rsvp", id=ids[e], answer=ANSWERS[(j + k) % 4])

    p(f"hallway meetups: {total} answers")
    with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
        list(pool.map(answer, range(len(nodes))))
    for node in c.nodes:
        p(f"hallway meetups: {node.name} receiving the answers")
        _tally(node.events, is_type("rsvp"), total, LOAD_TIMEOUT)
    r.extra["meetups"] = {
        "events": len(ids), "rsvps": total, "rsvps_asked": s.meetup_rsvps,
        "members": len(nodes), "load_s": round(time.monotonic() - t0, 2),
    }
    if total < s.meetup_rsvps:
        r.extra["meetups"]["note"] = (
            f"{len(nodes)} members can answer {len(ids)} events at most {total} times "
            f"(one answer per member and event); --nodes {s.meetup_rsvps // len(ids) + 1} "
            f"gives {s.meetup_rsvps}")


def _restart(system: HallwaySystem, c: Cluster, hosts: list[Host], office: Office,
             s: Settings, held: tuple[int, int]) -> list[Node]:
    nodes = [system.restart(h, name, home)
             for h, name, home in zip(hosts, office.names, office.homes, strict=True)]
    c.nodes.extend(nodes)
    for node in nodes:
        node.wait_ready(s.mesh_timeout)
    # A restarted member already holds the others' statuses: it may announce none of them
    # again, so the mesh is complete once everyone has everyone online.
    for a in nodes:
        for b in c.peers_of(a):
            a.events.wait_for(is_type("peer_online", peer=b.id), s.mesh_timeout)
    for node in nodes:  # and settled: every member has taken in the others' records again
        _settle(system, node, held, s.mesh_timeout)
    return nodes


def _settle(system: HallwaySystem, node: Node, held: tuple[int, int], timeout: float) -> None:
    """Wait until `node` holds (events, answers) = `held`: a restarted member applies the
    others' first snapshots a slice at a time, and a newcomer should meet an office at rest,
    as it would at work, not one still busy catching up with its own restart."""
    deadline = time.monotonic() + timeout
    while True:
        views = system.control(node, "events", include_past=True)
        answers = sum(len(v[k]) for v in views for k in ("going", "waitlist", "maybe", "declined"))
        if (len(views), answers) >= held:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{node.name} holds {len(views)} events and {answers} answers")
        time.sleep(0.05)  # another process's state: polled (no event says "caught up")


def _join(system: HallwaySystem, c: Cluster, members: list[Node], host: Host, s: Settings,
          r: Results, variant: str, records: int) -> None:
    newcomer = c.start(host)
    newcomer.wait_ready(s.mesh_timeout)
    last = 0.0
    for old in members:
        both = max(c.link_time(old, newcomer), c.link_time(newcomer, old))
        last = max(last, both)
        r.add(f"meetups_{variant}_ms", [(both - newcomer.started_at) * 1e3])
        r.add(f"meetups_{variant}_from_ready_ms", [(both - ts(newcomer.ready)) * 1e3])
    r.add(f"meetups_{variant}_all_ms", [(last - newcomer.started_at) * 1e3])
    r.add(f"meetups_{variant}_all_from_ready_ms", [(last - ts(newcomer.ready)) * 1e3])
    if records:
        kinds = {"event", "rsvp"}
        held: list[float] = []

        def note(e: Event) -> bool:
            if e.get("type") in kinds:
                held.append(ts(e))
                return True
            return False

        _tally(newcomer.events, note, records, s.mesh_timeout)
        r.add("meetups_records_ms", [(max(held) - newcomer.started_at) * 1e3])
    system.quit(newcomer)
    for old in members:  # the next newcomer joins an office that has seen this one leave
        old.events.wait_for(is_type("peer_offline", peer=newcomer.id), s.offline_timeout)
    c.remove(newcomer)


def meetups(system: System, hosts: list[Host], s: Settings, r: Results, p: Progress) -> None:
    """Newcomer discovery in an office holding events and answers, against the same office
    without them, alternating offices block by block."""
    if not isinstance(system, HallwaySystem):
        raise Unsupported("meetups needs Hallway's events")
    if len(hosts) < 2:
        raise RuntimeError("meetups needs at least 2 hosts: members and a newcomer")
    member_hosts, newcomer_host = hosts[:-1], hosts[-1]
    empty, loaded = Office("empty"), Office("loaded")
    _build(system, member_hosts, s, p, empty, r)
    _build(system, member_hosts, s, p, loaded, r)
    info: dict[str, Any] = r.extra.get("meetups", {})
    records = info.get("events", 0) + info.get("rsvps", 0)
    held = (info.get("events", 0), info.get("rsvps", 0))
    for block in range(s.meetup_blocks):
        order = (empty, loaded) if block % 2 == 0 else (loaded, empty)
        for office in order:
            with cluster(system, member_hosts, p, s) as c:
                p(f"hallway meetups: block {block + 1}/{s.meetup_blocks}, {office.label} office")
                members = _restart(system, c, member_hosts, office, s,
                                   held if office is loaded else (0, 0))
                for rnd in range(s.meetup_rounds):
                    p(f"hallway meetups: block {block + 1}/{s.meetup_blocks}, {office.label}, "
                      f"newcomer {rnd + 1}/{s.meetup_rounds}")
                    _join(system, c, members, newcomer_host, s, r, office.label,
                          records if office is loaded else 0)
