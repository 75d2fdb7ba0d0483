"""An mDNS flood must not block discovery (issue 9, item 1).

A raw flooder (tests/net/mdns_flooder.py) announces thousands of fake `_hallway._tcp` instances,
with valid-looking records whose proofs no office key made, half of them with the victim's office
tag. During the flood a member restarts. Required: the member is linked again within 10 s of the
flood's end, nobody is refused as one peer too many, and the victim's memory comes back to within
10 % of what it was before. The victim's CPU and memory are printed before, during and after.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hallway.core.office import Office as OfficeKey
from hallway.core.office import derive_office_key
from tests.net.conftest import OFFICE, PASSPHRASE, Office, RunningNode, is_type, node_env
from tests.support.netlab import EventStream
from tests.support.procstat import Meter, rss_kb
from tests.support.timestamps import epoch_seconds
from tests.support.waiting import wait_until

pytestmark = pytest.mark.net

FLOODER = Path(__file__).with_name("mdns_flooder.py")
INSTANCES = 5000  # the flood: more than MAX_PEERS (4,096)
FLOOD_SECONDS = 6.0
FLOOD_INTERVAL = 0.0  # passes back to back: a sustained flood
RESTART_AFTER_PASS = 3
LINK_AFTER_FLOOD = 10.0  # the bound



def _pid(node: RunningNode) -> int:
    assert node.proc is not None
    return node.proc.pid


def test_an_mdns_flood_neither_blocks_discovery_nor_keeps_memory(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    def report(text: str) -> None:
        with capsys.disabled():
            print(f"\n[mdns flood] {text}", end="")

    ann, ben = office.node("Ann"), office.node("Ben")
    ann.wait(is_type("peer_online", peer=ben.id))
    # The baseline includes what a member's restart costs without a flood (reconnecting, a
    # snapshot, the first reuse of buffers), so that the bound below is about the flood alone.
    mark = ann.mark()
    ben.stop(signal.SIGTERM)
    ben.start()
    ann.wait_after(mark, is_type("peer_online", peer=ben.id))
    pid = _pid(ann)
    meter = Meter(pid)
    wait_until(lambda: time.monotonic() - meter.wall >= 2.0, 5, "a 2 s CPU sample")
    idle_cpu, before = meter.percent(), rss_kb(pid)
    report(f"victim before: RSS {before / 1024:.1f} MB, CPU {idle_cpu:.1f} %")

    tag = OfficeKey(name=OFFICE, key=derive_office_key(OFFICE, PASSPHRASE)).tag
    host = office.lab.add_host()
    flooder = host.popen(
        [sys.executable, str(FLOODER), host.address, str(INSTANCES), tag, str(FLOOD_SECONDS),
         str(FLOOD_INTERVAL)],
        env=node_env(), stdout=subprocess.PIPE,
    )  # fmt: skip
    assert flooder.stdout is not None
    with EventStream(flooder.stdout, label="flooder") as flood:
        # The member restarts once the flood has had time to fill what it can fill.
        flood.wait_for(lambda e: e["type"] == "pass" and e["n"] == RESTART_AFTER_PASS, 20)
        meter.percent()
        ben.stop(signal.SIGTERM)
        mark = ann.mark()
        ben.start()
        done = flood.wait_for(lambda e: e["type"] == "done", FLOOD_SECONDS + 20)
        flood_cpu, peak = meter.percent(), rss_kb(pid)
        ended = time.time()
        report(f"victim during {done['passes']} passes of {INSTANCES} instances: "
               f"RSS {peak / 1024:.1f} MB, CPU {flood_cpu:.1f} %")  # fmt: skip
    flooder.wait(10)
    linked = ann.wait_after(mark, is_type("peer_online", peer=ben.id), timeout=30)
    after_flood = epoch_seconds(linked["at"]) - ended
    report(f"restarted member linked {after_flood:+.1f} s after the flood ended"
           + (" (during it)" if after_flood < 0 else ""))  # fmt: skip
    assert after_flood <= LINK_AFTER_FLOOD

    # Memory: what the flood left must go. Allow zeroconf's cache cleanup (every 10 s) to run.
    bound = before * 1.10
    try:
        wait_until(lambda: rss_kb(pid) <= bound, 15, "RSS back within 10 % of its level before")
    finally:
        meter.percent()
        wait_until(lambda: time.monotonic() - meter.wall >= 2.0, 5, "a 2 s CPU sample")
        now = rss_kb(pid)
        report(f"victim after: RSS {now / 1024:.1f} MB ({100 * (now - before) / before:+.1f} %), "
               f"CPU {meter.percent():.1f} %")  # fmt: skip
    assert ann.proc is not None
    assert ann.proc.poll() is None
    ann.proc.send_signal(signal.SIGTERM)
    ann.proc.wait(10)
    errors = ann.stderr()
    assert "too many peers" not in errors
    assert "Traceback" not in errors
