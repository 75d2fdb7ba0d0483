"""The lab's impaired switch (tests/support/impair.py, through `Lab.impair`): delay, jitter, loss.

Each test measures what the switch does to real traffic between namespace hosts, with probes from
tests/net/impair_probe.py. The bounds are wide: they show that the mechanism works, not how
precise it is on a loaded machine.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.netlab import Event, EventStream, Host, Lab, LabError, require_netns

pytestmark = pytest.mark.net

PROBE = Path(__file__).with_name("impair_probe.py")
PORT = 40000
MDNS_GROUP, MDNS_PORT = "224.0.0.251", 5353


@pytest.fixture
def lab() -> Iterator[Lab]:
    require_netns()
    with Lab() as the_lab:
        yield the_lab


def serve(host: Host, *args: str) -> EventStream:
    """Start a long-running probe on `host` (the lab kills it) once it says it is ready."""
    proc = host.popen([sys.executable, str(PROBE), *args], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    stream = EventStream(proc.stdout, label=f"{host.name} {args[0]}")
    stream.wait_for(lambda e: e["type"] == "ready", timeout=10)
    return stream


def probe(host: Host, *args: str, timeout: float = 60) -> dict[str, Any]:
    """Run a probe on `host` to completion and return its last event."""
    out = host.run([sys.executable, str(PROBE), *args], timeout=timeout).stdout
    event: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return event


def round_trips(client: Host, server: Host, count: int) -> list[float]:
    """`count` sequential UDP round trips from `client` to an echo on `server`, in ms."""
    times = probe(client, "rtt", server.address, str(PORT), str(count))["ms"]
    answered = [t for t in times if t is not None]
    assert len(answered) == count, f"{count - len(answered)} of {count} probes went unanswered"
    return answered


def is_datagram(text: str) -> Callable[[Event], bool]:
    return lambda event: event.get("type") == "datagram" and event.get("text") == text


def summary(times: list[float]) -> str:
    return f"min {min(times):.1f}, median {statistics.median(times):.1f}, max {max(times):.1f} ms"


def test_delay_applies_to_each_traversal_and_clearing_restores_the_fast_path(lab: Lab) -> None:
    a, b = lab.add_hosts(2)
    serve(b, "echo", str(PORT))
    fast = round_trips(a, b, 20)  # also fills both ARP caches

    ready = lab.impair(loss_pct=0, delay_ms=50, jitter_ms=0, seed=1)
    assert ready["ports"] == ["v1", "v2"]
    slow = round_trips(a, b, 20)
    stats = lab.clear_impairment()
    after = round_trips(a, b, 20)
    print(f"bridge {summary(fast)}; delay 50 ms: {summary(slow)}; cleared: {summary(after)}")
    print(f"switch stats: {stats}")

    # A round trip crosses the switch twice: about 100 ms.
    assert min(slow) >= 80, summary(slow)
    assert statistics.median(slow) < 400, summary(slow)
    assert stats is not None
    assert stats["dropped"] == 0
    assert stats["frames_in"] >= 40
    assert stats["frames_out"] >= 40
    assert 49 <= stats["mean_delay_ms"] <= 51
    assert not lab.impaired
    assert statistics.median(after) < 20, summary(after)
    assert lab.clear_impairment() is None  # idempotent


def test_jitter_varies_the_delay(lab: Lab) -> None:
    a, b = lab.add_hosts(2)
    serve(b, "echo", str(PORT))
    round_trips(a, b, 1)
    lab.impair(loss_pct=0, delay_ms=50, jitter_ms=50, seed=2)
    times = round_trips(a, b, 50)
    stats = lab.clear_impairment()
    print(f"delay 50 ± 50 ms: {summary(times)}; spread {max(times) - min(times):.1f} ms; {stats}")
    # Each traversal takes 0 to 100 ms, uniformly: round trips from 0 to 200 ms, mean 100.
    assert max(times) - min(times) >= 30
    assert 40 <= statistics.mean(times) <= 200
    assert stats is not None
    assert 30 <= stats["mean_delay_ms"] <= 70


def test_loss_drops_about_that_share(lab: Lab) -> None:
    a, b = lab.add_hosts(2)
    sink = serve(b, "sink", str(PORT))
    probe(a, "send", b.address, str(PORT), "warm-up", "1")  # resolves ARP before the loss
    lab.impair(loss_pct=50, delay_ms=0, jitter_ms=0, seed=3)
    probe(a, "send", b.address, str(PORT), "data", "400")
    # The switch keeps frames in order without jitter, so an "end" that arrives comes after every
    # datagram that did. Each try is lost with probability 1/2: repeat until one gets through.
    count = None
    for _ in range(40):
        probe(a, "send", b.address, str(PORT), "end", "1")
        try:
            count = sink.wait_for(lambda e: e["type"] == "count", timeout=0.5)
            break
        except TimeoutError:
            continue
    stats = lab.clear_impairment()
    print(f"50 % loss: {count} of 400 arrived; switch stats: {stats}")
    assert count is not None, "no end marker got through 40 tries"
    assert count["total"] == count["unique"]  # the switch never duplicates a frame
    assert 100 <= count["total"] <= 300, count
    assert stats is not None
    assert stats["frames_in"] >= 401
    # The end markers are lost too, so the switch dropped more than the data that went missing.
    assert stats["dropped"] >= 400 - count["total"]


def test_multicast_floods_through_the_impaired_switch(lab: Lab) -> None:
    a, b, c = lab.add_hosts(3)
    receivers = [serve(h, "mrecv", MDNS_GROUP, str(MDNS_PORT), h.address) for h in (b, c)]
    lab.impair(loss_pct=0, delay_ms=20, jitter_ms=10, seed=4)
    for i in range(5):
        probe(a, "msend", MDNS_GROUP, str(MDNS_PORT), a.address, f"hello {i}")
    for stream in receivers:
        for text in (f"hello {i}" for i in range(5)):
            got = stream.wait_for(is_datagram(text), timeout=10)
            assert got["source"] == a.address
    stats = lab.clear_impairment()
    print(f"multicast through the switch: {stats}")
    assert stats is not None
    assert stats["frames_out"] >= 10  # every frame reached both other ports


def test_tcp_survives_loss_and_reordering(lab: Lab) -> None:
    a, b = lab.add_hosts(2)
    sink = serve(b, "tcpsink", str(PORT))
    lab.impair(loss_pct=5, delay_ms=10, jitter_ms=10, seed=5)
    sent = probe(a, "tcpsend", b.address, str(PORT), str(2 << 20))
    got = sink.wait_for(lambda e: e["type"] == "received", timeout=60)
    stats = lab.clear_impairment()
    print(f"2 MiB over TCP with 5 % loss and 10 ± 10 ms: {sent['seconds']} s; {stats}")
    assert (got["sha256"], got["size"]) == (sent["sha256"], sent["size"])
    assert stats is not None
    assert stats["dropped"] > 0


def test_impair_checks_its_preconditions(lab: Lab) -> None:
    (a,) = lab.add_hosts(1)
    with pytest.raises(LabError, match="two hosts"):
        lab.impair(loss_pct=5, delay_ms=0, jitter_ms=0)
    b = lab.add_host()
    lab.impair(loss_pct=0, delay_ms=1, jitter_ms=0)
    with pytest.raises(LabError, match="before impair"):
        lab.add_host()
    # A second call replaces the first switch; close() stops whatever is left running.
    lab.impair(loss_pct=0, delay_ms=2, jitter_ms=0)
    assert lab.impaired
    serve(b, "echo", str(PORT))
    assert min(round_trips(a, b, 3)) >= 3


def test_closing_the_lab_stops_the_switch() -> None:
    require_netns()
    with Lab() as lab:
        lab.add_hosts(2)
        pid = lab.impair(loss_pct=1, delay_ms=1, jitter_ms=1)["pid"]
        assert Path(f"/proc/{pid}").exists()
    assert not Path(f"/proc/{pid}").exists()
