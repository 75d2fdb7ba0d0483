"""Faults: partitions, restarts, port reuse, a slow subscriber and packet loss, with real nodes.

Each test runs two to four `hallway node` processes on lab hosts, breaks something on purpose and
checks that the office converges afterwards with nothing lost, repeated or misattributed. Waits
are on events; the bounds only catch a broken mechanism.
"""

from __future__ import annotations

import signal
import time

import pytest

from tests.net.conftest import Office, RunningNode, is_type
from tests.net.faults_support import (
    all_meet,
    assert_no_duplicate_posts,
    control,
    events_of,
    feed_posts,
    node_with,
    peers,
    post_events,
    post_quickly,
    set_status_quickly,
    stopped,
    wait_keys,
)

pytestmark = pytest.mark.net

SNAPSHOT_POSTS = 500  # a snapshot carries the author's newest 500 posts (docs/PROTOCOL.md)
PUB_SNDHWM = 2000


def _texts_of(node: RunningNode) -> set[str]:
    return {e["text"] for e in post_events(node) if e["peer"] == node.id}


def _post_key(event: dict[str, object]) -> tuple[object, object]:
    return event["peer"], event["text"]


# -- partition -------------------------------------------------------------------------------


def test_partition_heals_and_everything_converges(office: Office) -> None:
    ann, ben, cat = nodes = [office.node(n) for n in ("Ann", "Ben", "Cat")]
    all_meet(nodes)
    ann.cli("post", "Before the split")
    for node in (ben, cat):
        node.wait(is_type("post", peer=ann.id, text="Before the split"))

    cat.host.link_down()
    # Both sides notice: the partition is real before anyone writes into it.
    for node in (ann, ben):
        node.wait(is_type("peer_offline", peer=cat.id), timeout=10)
    for other in (ann, ben):
        cat.wait(is_type("peer_offline", peer=other.id), timeout=10)

    wanted: dict[RunningNode, tuple[str, str]] = {}
    for node, side in ((ann, "majority"), (ben, "majority"), (cat, "alone")):
        for i in range(3):
            node.cli("post", f"{node.name} posts from the {side} side #{i}")
        node.cli("status", "set", "away", f"{node.name}: first status while split")
        node.cli("status", "set", "busy", f"{node.name}: last status while split")
        wanted[node] = ("busy", f"{node.name}: last status while split")
    # The majority side still talks within itself.
    ben.wait(is_type("post", peer=ann.id, text="Ann posts from the majority side #2"))

    marks = {node: node.mark() for node in nodes}
    healed_at = time.monotonic()
    cat.host.link_up()

    every_post = {(n.id, t) for n in nodes for t in _texts_of(n)}
    assert len(every_post) == 10  # one before the split, three per node during it
    for node in nodes:
        wait_keys(node, is_type("post"), _post_key, every_post, timeout=20)
        for other, (_, text) in wanted.items():
            if other is not node:
                node.wait(is_type("status", peer=other.id, text=text), timeout=20)
    print(f"converged {time.monotonic() - healed_at:.1f} s after the heal")

    for node in (ann, ben):
        node.wait_after(marks[node], is_type("peer_online", peer=cat.id), timeout=10)
    for other in (ann, ben):
        cat.wait_after(marks[cat], is_type("peer_online", peer=other.id), timeout=10)

    feeds = {node: feed_posts(node) for node in nodes}
    ids = {node: set(f) for node, f in feeds.items()}
    assert ids[ann] == ids[ben] == ids[cat], "the feeds differ after the heal"
    assert {(item["peer"], item["text"]) for item in feeds[ann].values()} == every_post
    for node in nodes:
        assert_no_duplicate_posts(node)
        view = peers(node)
        for other, (presence, text) in wanted.items():
            if other is not node:
                assert view[other.id]["online"] is True, f"{node.name} sees {other.name} offline"
                assert (view[other.id]["presence"], view[other.id]["text"]) == (presence, text)


# -- restarts --------------------------------------------------------------------------------


def test_publisher_restarts_repeatedly(office: Office) -> None:
    ann, ben = office.node("Ann"), office.node("Ben")
    ben.wait(is_type("peer_online", peer=ann.id))
    host, home, ann_id = ann.host, ann.home, ann.id
    seen_ids: set[str] = set()

    for round_ in range(4):
        mark = ben.mark()
        if round_:
            ann.stop(signal.SIGTERM)
            ben.wait_after(mark, is_type("peer_offline", peer=ann_id, reason="bye"), timeout=10)
            mark = ben.mark()
            ann = office.node("Ann", host=host, home=home)
            assert ann.id == ann_id
            ben.wait_after(mark, is_type("peer_online", peer=ann_id), timeout=15)
            # peer_online comes with the peer's current status (ARCHITECTURE.md, decision 4):
            # the one set before the restart.
            status = ben.wait_after(mark, is_type("status", peer=ann_id), timeout=10)
            assert status["text"] == f"round {round_ - 1}"
            assert peers(ben)[ann_id]["text"] == f"round {round_ - 1}"

        texts = [f"round {round_} post {i}" for i in range(3)]
        for text in texts:
            ann.cli("post", text)
        ann.cli("status", "set", "busy", f"round {round_}")
        got = wait_keys(
            ben, is_type("post", peer=ann_id), lambda e: e["text"], texts, timeout=10, start=mark
        )
        ben.wait_after(mark, is_type("status", peer=ann_id, text=f"round {round_}"))

        after = post_events(ben, start=mark)
        # Nothing earlier is announced again as new, and each new post is announced once.
        assert not [e for e in after if e["id"] in seen_ids], "old posts re-announced"
        assert sorted(e["text"] for e in after) == sorted(texts), after
        seen_ids |= {e["id"] for e in after}
        assert got == set(texts)

    assert_no_duplicate_posts(ben)
    mine, theirs = feed_posts(ann), feed_posts(ben)
    assert set(mine) == set(theirs) == seen_ids
    assert len(seen_ids) == 12
    view = peers(ben)[ann_id]
    assert (view["presence"], view["text"], view["online"]) == ("busy", "round 3", True)


# -- port reuse ------------------------------------------------------------------------------


def test_port_reuse_is_never_misattributed(office: Office) -> None:
    port = 47100  # hosts are private namespaces: any port is free
    shared = office.lab.add_host()
    ann = node_with(office, "Ann", ["--port", str(port)], host=shared)
    ben = office.node("Ben")
    ben.wait(is_type("peer_online", peer=ann.id))
    ann.cli("status", "set", "away", "Ann's own status")
    ann.cli("post", "Ann's own post")
    ben.wait(is_type("post", peer=ann.id, text="Ann's own post"))
    ben.wait(is_type("status", peer=ann.id, text="Ann's own status"))

    ann.stop(signal.SIGKILL)
    ben.wait(is_type("peer_offline", peer=ann.id), timeout=10)
    mark = ben.mark()

    cat = node_with(office, "Cat", ["--port", str(port)], host=shared)
    assert cat.id != ann.id
    assert (cat.ready["router_port"], cat.ready["pub_port"]) == (port, port + 1)
    ben.wait_after(mark, is_type("peer_online", peer=cat.id, name="Cat"), timeout=15)
    cat.cli("status", "set", "busy", "Cat's status")
    cat.cli("post", "Cat's post")
    post = ben.wait_after(mark, is_type("post", text="Cat's post"), timeout=10)
    status = ben.wait_after(mark, is_type("status", text="Cat's status"), timeout=10)
    assert (post["peer"], post["name"]) == (cat.id, "Cat")
    assert (status["peer"], status["name"]) == (cat.id, "Cat")
    # A fresh heartbeat round: anything Ann's stale link could pick up has had its chance.
    cat.cli("post", "Cat again")
    ben.wait_after(mark, is_type("post", peer=cat.id, text="Cat again"), timeout=10)

    about_ann = [e for e in events_of(ben)[mark:] if e.get("peer") == ann.id]
    assert about_ann == [], f"events attributed to the dead node: {about_ann}"
    view = peers(ben)
    assert view[ann.id]["online"] is False
    assert (view[ann.id]["presence"], view[ann.id]["text"]) == ("away", "Ann's own status")
    assert (view[cat.id]["presence"], view[cat.id]["text"]) == ("busy", "Cat's status")
    items = feed_posts(ben)
    assert {i["text"]: i["peer"] for i in items.values()} == {
        "Ann's own post": ann.id,
        "Cat's post": cat.id,
        "Cat again": cat.id,
    }


# -- slow subscriber -------------------------------------------------------------------------


def test_slow_subscriber_gap_is_detected_and_repaired(office: Office) -> None:
    ann, ben = office.node("Ann"), office.node("Ben")
    ben.wait(is_type("peer_online", peer=ann.id))
    # A live post proves Ben's SUB is connected and subscribed: what follows overflows a real
    # subscription rather than racing its set-up.
    ann.cli("post", "warm-up")
    ben.wait(is_type("post", peer=ann.id, text="warm-up"))
    total = PUB_SNDHWM + 1000  # past the PUB's high-water mark and the receive burst

    with stopped(ben):
        started = time.monotonic()
        replies = post_quickly(ann, (f"flood {i:04d}" for i in range(total)))
        print(f"posted {total} in {time.monotonic() - started:.1f} s while Ben was stopped")
    resumed = time.monotonic()
    # Ben drops what is over its per-peer rate limit (100/s, burst 1,500) and says so once.
    ben.wait(is_type("warning", peer=ann.id), timeout=10)
    # Ann goes on posting a moment later, as people do: this post comes after the backlog.
    replies += post_quickly(ann, ["after the flood"])
    ids = [r["id"] for r in replies]
    assert len(set(ids)) == total + 1
    window = ids[-SNAPSHOT_POSTS:]

    # The repair: every post within the snapshot window reaches Ben, within seconds.
    wait_keys(ben, is_type("post", peer=ann.id), lambda e: e["id"], window, timeout=20)
    repaired = time.monotonic() - resumed
    received = {e["id"] for e in post_events(ben) if e["peer"] == ann.id}
    missing = [i for i in ids if i not in received]
    warnings = [e["message"] for e in events_of(ben) if e["type"] == "warning"]
    print(
        f"Ben has {len(received)} of {len(ids)} posts, the window {repaired:.1f} s after "
        f"SIGCONT; warnings: {warnings}"
    )
    # The overflow really happened (or this test proves nothing), and all it lost lies before
    # the window: a gap was left, seen, and filled by a snapshot.
    assert missing, "nothing overflowed: the test did not exercise the gap"
    assert not set(missing) & set(window)
    assert_no_duplicate_posts(ben)
    stored = feed_posts(ben)
    assert set(window) <= set(stored)
    assert all(stored[i]["peer"] == ann.id for i in window)
    # After the repair, live delivery goes on.
    ann.cli("post", "later still")
    ben.wait(is_type("post", peer=ann.id, text="later still"), timeout=10)


# -- packet loss -----------------------------------------------------------------------------


LOSS_PCT = 5.0
DELAY_MS = 50.0
JITTER_MS = 50.0


def test_packet_loss_loses_nothing_and_nobody_goes_offline(office: Office) -> None:
    """5 % loss and 50 ms jitter, as netem's ``loss 5% delay 50ms 50ms`` on every host would be.

    "50 ms jitter" is read as netem reads it: each frame's one-way delay is drawn uniformly from
    50 ± 50 ms, so from 0 to 100 ms (a round trip 0 to 200 ms), independently per frame, which
    also reorders frames. The kernel has no netem: `Lab.impair` runs a userspace switch that does
    this to every frame between the hosts (tests/support/impair.py).
    """
    nodes = [office.node(n) for n in ("Ann", "Ben", "Cat")]
    all_meet(nodes)
    marks = {node: node.mark() for node in nodes}
    office.lab.impair(LOSS_PCT, DELAY_MS, JITTER_MS, seed=4)

    clients = {node: control(node) for node in nodes}
    started = time.monotonic()
    round_ = 0
    while time.monotonic() < started + 12.0:
        for node in nodes:
            clients[node].request("post", text=f"{node.name} lossy post {round_}")
            if round_ % 3 == 0:
                set_status_quickly(node, "busy", f"{node.name} status {round_}")
        # Each round waits until the others have its posts, so loss shows up as delay here.
        for node in nodes:
            want = {(o.id, f"{o.name} lossy post {round_}") for o in nodes if o is not node}
            wait_keys(node, is_type("post"), _post_key, want, timeout=15, start=marks[node])
        round_ += 1
        # The load's pace (at most ten rounds a second, under the 100/s per-peer limit and within
        # the 1,000 items a feed lists): not a wait for any condition.
        time.sleep(max(0.0, started + round_ * 0.1 - time.monotonic()))
    last_status = {node: f"{node.name} status {(round_ - 1) // 3 * 3}" for node in nodes}

    everything = {(o.id, f"{o.name} lossy post {r}") for o in nodes for r in range(round_)}
    for node in nodes:
        for other in nodes:
            if other is not node:
                node.wait(is_type("status", peer=other.id, text=last_status[other]), timeout=15)
    for node in nodes:
        flaps = [
            e
            for e in events_of(node)[marks[node] :]
            if e["type"] in ("peer_offline", "peer_online")
        ]
        assert flaps == [], f"{node.name}: a peer was falsely marked offline: {flaps}"
    stats = office.lab.clear_impairment()
    print(
        f"{round_} rounds in {time.monotonic() - started:.1f} s under {LOSS_PCT:g} % loss and "
        f"{DELAY_MS:g} ± {JITTER_MS:g} ms; switch: {stats}"
    )
    assert stats is not None
    assert stats["dropped"] > 0, "the switch dropped nothing"
    assert stats["mean_delay_ms"] > DELAY_MS / 2, "the switch delayed nothing"

    feeds = {node: feed_posts(node) for node in nodes}
    for node in nodes:
        assert_no_duplicate_posts(node)
        texts = {(i["peer"], i["text"]) for i in feeds[node].values()}
        assert everything <= texts, f"{node.name} lacks {sorted(everything - texts)[:5]}"
        view = peers(node)
        for other in nodes:
            if other is not node:
                assert view[other.id]["online"] is True
                assert view[other.id]["text"] == last_status[other]
