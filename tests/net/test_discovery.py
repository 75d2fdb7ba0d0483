"""`hallway.net.Discovery` over real mDNS, in a private network namespace pinned to 127.0.0.1.

Each test runs tests/net/discovery_probe.py under ``unshare --net`` (only ``lo``, up), drives its
Discovery instances through stdin and waits on the NDJSON events it prints. Nothing reaches the
machine's real interfaces. Timings are printed, not asserted, except generous bounds that catch a
broken mechanism (a goodbye that never arrives, a close that hangs).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
import zmq

from hallway.core.model import fingerprint
from hallway.core.txt import TXT_VERSION
from tests.support.netlab import Event, EventStream, require_netns, single_host_argv

pytestmark = pytest.mark.net

PROBE = Path(__file__).with_name("discovery_probe.py")
WAIT = 10.0
SERVICE_TYPE_SHORT = "_hallway._tcp"
HOSTILE = ["badtxt", "missing", "huge", "notid", "stolen", "noport", "noaddr", "badproof"]


class Probe:
    """One probe process in its own namespace: commands in, events out."""

    def __init__(self, argv: list[str], stderr: IO[str]) -> None:
        self.stderr = stderr
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            start_new_session=True,  # its own process group, so a kill takes the whole tree
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.proc.stdout is not None
        self.events = EventStream(self.proc.stdout, label="probe", keep_tail=20)
        self.instances: dict[str, str] = {}

    def send(self, cmd: str, **fields: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd, **fields}) + "\n")
        self.proc.stdin.flush()

    def wait(
        self, predicate: Callable[[Event], bool], timeout: float = WAIT, start: int = 0
    ) -> Event:
        return self.events.wait_for(predicate, timeout, start=start)

    def mark(self) -> int:
        return len(self.events.snapshot())

    def start(self, *nodes: str) -> None:
        for node in nodes:
            self.send("start", node=node)
            started = self.wait(lambda e, n=node: e["type"] in ("started", "error")
                                and e.get("node", n) == n)  # fmt: skip
            assert started["type"] == "started", started
            self.instances[node] = started["instance"]

    def found(self, node: str, peer: str, start: int = 0) -> Event:
        instance = self.instances[peer]
        return self.wait(
            lambda e: e["type"] == "found" and e["node"] == node and e["peer"] == instance,
            start=start,
        )

    def stop(self) -> int:
        """Quit politely; kill the process group if that does not work in time."""
        if self.proc.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                self.send("quit")
            try:
                self.proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.events.close()
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError, ValueError):
                self.proc.stdin.close()
        return self.proc.returncode


@contextlib.contextmanager
def running_probe(argv: list[str], tmp_path: Path) -> Iterator[Probe]:
    with (tmp_path / "probe.stderr").open("w+") as stderr:
        running = Probe(argv, stderr)
        try:
            running.wait(lambda e: e["type"] == "ready")
            yield running
        finally:
            code = running.stop()
            stderr.seek(0)
            errors = stderr.read()
        errors_reported = [e for e in running.events.snapshot() if e["type"] == "error"]
        assert not errors_reported, errors_reported
        assert code == 0, f"the probe exited with {code}:\n{errors}"
        assert "Traceback" not in errors, errors


@pytest.fixture
def probe(tmp_path: Path) -> Iterator[Probe]:
    require_netns()
    with running_probe(single_host_argv([sys.executable, str(PROBE)]), tmp_path) as running:
        yield running


def report(capsys: pytest.CaptureFixture[str], text: str) -> None:
    with capsys.disabled():
        print(f"\n[discovery] {text}", end="")


def check_found(event: Event, probe: Probe, peer: str, *, pub_port: int = 40001) -> None:
    started = probe.events.find(lambda e: e["type"] == "starting" and e["node"] == peer)
    assert started is not None
    assert event["key"] == started["key"]
    assert event["pub_port"] == pub_port
    assert event["office"] == "open"
    assert event["addresses"] == ["127.0.0.1"]
    assert 41000 <= event["router_port"] < 41010


def started_at(probe: Probe, node: str) -> float:
    event = probe.events.find(lambda e: e["type"] == "starting" and e["node"] == node)
    assert event is not None
    return float(event["t"])


def test_two_peers_find_each_other_and_say_goodbye(
    probe: Probe, capsys: pytest.CaptureFixture[str]
) -> None:
    probe.start("a", "b")
    b_seen = probe.found("a", "b")
    a_seen = probe.found("b", "a")
    check_found(b_seen, probe, "b")
    check_found(a_seen, probe, "a")
    t_b = started_at(probe, "b")
    report(capsys, f"2 peers: a saw newcomer b after {(b_seen['t'] - t_b) * 1000:.1f} ms, "
                   f"b saw a after {(a_seen['t'] - t_b) * 1000:.1f} ms")  # fmt: skip

    probe.send("close", node="b")
    closing = probe.wait(lambda e: e["type"] == "closing" and e["node"] == "b")
    lost = probe.wait(lambda e: e["type"] == "lost" and e["node"] == "a")
    closed = probe.wait(lambda e: e["type"] == "closed" and e["node"] == "b")
    assert lost["peer"] == probe.instances["b"]
    report(capsys, f"goodbye: a lost b {(lost['t'] - closing['t']) * 1000:.1f} ms after "
                   f"close() began; close() took {closed['secs'] * 1000:.0f} ms")  # fmt: skip
    assert lost["t"] - closing["t"] < 5.0  # a goodbye, not a TTL expiry (that takes minutes)
    assert closed["secs"] < 2.0


def test_three_peers_and_an_updated_record(
    probe: Probe, capsys: pytest.CaptureFixture[str]
) -> None:
    nodes = ("a", "b", "c")
    probe.start(*nodes)
    for node in nodes:
        for peer in nodes:
            if peer != node:
                check_found(probe.found(node, peer), probe, peer)
    t_c = started_at(probe, "c")
    c_times = {f"{node}<-c": probe.found(node, "c")["t"] - t_c for node in ("a", "b")} | {
        f"c<-{peer}": probe.found("c", peer)["t"] - t_c for peer in ("a", "b")
    }
    report(capsys, "3 peers, from c's start: "
           + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in c_times.items()))  # fmt: skip
    assert not [e for e in probe.events.snapshot() if e["type"] in ("lost", "bad")]

    mark = probe.mark()
    probe.send("update", node="b", pub_port=4242)
    updated = probe.wait(lambda e: e["type"] == "updating", start=mark)
    for node in ("a", "c"):
        seen = probe.found(node, "b", start=mark)
        check_found(seen, probe, "b", pub_port=4242)
        report(capsys, f"update: {node} saw b's new TXT after "
                       f"{(seen['t'] - updated['t']) * 1000:.1f} ms")  # fmt: skip

    mark = probe.mark()
    probe.send("close", node="a")
    for node in ("b", "c"):
        lost = probe.wait(lambda e, n=node: e["type"] == "lost" and e["node"] == n, start=mark)
        assert lost["peer"] == probe.instances["a"]
    # Nobody lost anyone else.
    assert {e["peer"] for e in probe.events.snapshot() if e["type"] == "lost"} == {
        probe.instances["a"]
    }


def test_hostile_records_are_reported_and_do_not_break_discovery(
    probe: Probe, capsys: pytest.CaptureFixture[str]
) -> None:
    probe.start("a")
    labels = {}
    for variant in HOSTILE:
        probe.send("hostile", variant=variant)
        event = probe.wait(lambda e, v=variant: e["type"] == "hostile" and e["variant"] == v)
        labels[variant] = event["label"]
    probe.start("b")
    b_seen, a_seen = probe.found("a", "b"), probe.found("b", "a")
    check_found(b_seen, probe, "b")
    check_found(a_seen, probe, "a")
    # a has been up for seconds here, unlike in the tests above where peers start together.
    t_b = started_at(probe, "b")
    report(capsys, f"newcomer b joining a long-running a: a saw b after "
                   f"{(b_seen['t'] - t_b) * 1000:.1f} ms, b saw a after "
                   f"{(a_seen['t'] - t_b) * 1000:.1f} ms")  # fmt: skip

    reasons = {}
    for variant, label in labels.items():
        source = label if variant != "notid" else repr(label)
        bad = probe.wait(lambda e, s=source: e["type"] == "bad" and e["node"] == "a"
                         and e["source"] == s)  # fmt: skip
        reasons[variant] = bad["reason"]
    report(capsys, "hostile records, as a reported them: "
           + "; ".join(f"{v}: {r}" for v, r in reasons.items()))  # fmt: skip
    found = {e["peer"] for e in probe.events.snapshot() if e["type"] == "found"}
    assert found == {probe.instances["a"], probe.instances["b"]}
    assert "fingerprint" in reasons["stolen"]
    assert "peer id" in reasons["notid"]


# -- interoperability with Avahi --------------------------------------------------------------

AVAHI_CONF = """\
[server]
use-ipv4=yes
use-ipv6=no
allow-interfaces=lo
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
"""

# A private network namespace plus a private mount namespace whose /run is a fresh tmpfs, so the
# D-Bus system bus and avahi-daemon started there are invisible to (and cannot see) the host's.
AVAHI_SETUP = (
    "ip link set lo up && mount -t tmpfs hallway-run /run "
    '&& mkdir -p /run/dbus /run/avahi-daemon && exec "$@"'
)


@pytest.fixture
def avahi_probe(tmp_path: Path) -> Iterator[Probe]:
    require_netns()
    missing = [t for t in ("dbus-daemon", "avahi-daemon", "avahi-browse", "avahi-publish")
               if shutil.which(t) is None]  # fmt: skip
    if missing:
        pytest.skip(f"Avahi interoperability needs {', '.join(missing)} (avahi-utils)")
    conf = tmp_path / "avahi-daemon.conf"
    conf.write_text(AVAHI_CONF)
    argv = ["unshare", "--net", "--mount", "--propagation", "private", "--",
            "sh", "-c", AVAHI_SETUP, "sh", sys.executable, str(PROBE)]  # fmt: skip
    with running_probe(argv, tmp_path) as running:
        running.send(
            "spawn",
            tag="dbus",
            argv=["dbus-daemon", "--system", "--nofork", "--nopidfile", "--print-address"],
        )
        running.wait(lambda e: e.get("tag") == "dbus" and "unix:path=" in e.get("line", ""))
        running.send("spawn", tag="avahi",
                     argv=["avahi-daemon", "-f", str(conf), "--no-drop-root", "--no-chroot",
                           "--no-rlimits", "--no-proc-title"])  # fmt: skip
        running.wait(lambda e: e.get("tag") == "avahi"
                     and "Server startup complete" in e.get("line", ""))  # fmt: skip
        yield running


def test_avahi_resolves_us_and_we_find_avahi(
    avahi_probe: Probe, capsys: pytest.CaptureFixture[str]
) -> None:
    probe = avahi_probe
    probe.start("a")
    instance = probe.instances["a"]
    probe.send("spawn", tag="browse", argv=["avahi-browse", "-rp", SERVICE_TYPE_SHORT])
    resolved = probe.wait(lambda e: e.get("tag") == "browse"
                          and e.get("line", "").startswith(f"=;lo;IPv4;{instance};"))  # fmt: skip
    fields = resolved["line"].split(";")
    assert fields[6:9] == [f"{instance}.local", "127.0.0.1", "41000"]
    assert f'"v={TXT_VERSION.decode()}"' in fields[9]
    assert '"p=40001"' in fields[9]

    public, _ = zmq.curve_keypair()
    peer = fingerprint(public)
    published_at = probe.mark()
    probe.send("spawn", tag="publish", argv=[
        "avahi-publish", "-s", peer, SERVICE_TYPE_SHORT, "41999",
        f"v={TXT_VERSION.decode()}", f"k={public.decode()}", "p=40002", "o=open",
    ])  # fmt: skip
    found = probe.wait(lambda e: e["type"] == "found" and e["peer"] == peer, start=published_at)
    assert found["key"] == public.decode()
    assert (found["pub_port"], found["router_port"]) == (40002, 41999)
    assert found["addresses"] == ["127.0.0.1"]
    began = probe.wait(lambda e: e["type"] == "spawned" and e["tag"] == "publish")
    report(capsys, "avahi-publish -> Discovery found the peer "
           f"{(found['t'] - began['t']) * 1000:.0f} ms after avahi-publish started "
           "(avahi probes its name first)")  # fmt: skip
