"""Tests of the namespace lab itself (tests/support/netlab.py)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.netlab import (
    BENCH_NETWORK,
    EventStream,
    Host,
    Lab,
    netns_available,
    require_netns,
    single_host_argv,
    sweep_stale,
)

MCAST_GROUP = "224.0.0.251"
MCAST_PORT = 15353

# Echoes every datagram that reaches the group as one JSON line, after announcing that it joined.
RECEIVER = f"""
import json, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("{MCAST_GROUP}", {MCAST_PORT}))
mreq = struct.pack("4s4s", socket.inet_aton("{MCAST_GROUP}"), socket.inet_aton(sys.argv[1]))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
print(json.dumps({{"type": "joined"}}), flush=True)
while True:
    data, (addr, _port) = s.recvfrom(2048)
    print(json.dumps({{"type": "datagram", "text": data.decode(), "from": addr}}), flush=True)
"""

# Sends one datagram to the group per line of stdin, and reports each send.
SENDER = f"""
import json, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
print(json.dumps({{"type": "ready"}}), flush=True)
for line in sys.stdin:
    try:
        s.sendto(line.strip().encode(), ("{MCAST_GROUP}", {MCAST_PORT}))
        print(json.dumps({{"type": "sent", "text": line.strip()}}), flush=True)
    except OSError as exc:
        print(json.dumps({{"type": "error", "text": line.strip(), "errno": exc.errno}}), flush=True)
"""

# One ICMP echo request and its reply, with a raw socket: the image has no ping(8).
PING = """
import os, socket, struct, sys
def csum(b):
    b += b"\\0" * (len(b) % 2)
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xFFFF)
    t += t >> 16
    return ~t & 0xFFFF
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(float(sys.argv[2]))
ident = os.getpid() & 0xFFFF
hdr = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"hallway"
s.sendto(struct.pack("!BBHHH", 8, 0, csum(hdr), ident, 1) + b"hallway", (sys.argv[1], 0))
while True:
    try:
        data, addr = s.recvfrom(1024)
    except TimeoutError:
        sys.exit(1)
    icmp = data[(data[0] & 0x0F) * 4:]
    if addr[0] == sys.argv[1] and icmp[0] == 0 and struct.unpack("!H", icmp[4:6])[0] == ident:
        sys.exit(0)
"""

# Echo requests to every address given, from one raw socket; prints the addresses that answered.
PING_ALL = """
import json, os, socket, struct, sys, time
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xFFFF)
    t += t >> 16
    return ~t & 0xFFFF
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident = os.getpid() & 0xFFFF
todo = set(sys.argv[1:])
for dst in todo:
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"hallway!"
    s.sendto(struct.pack("!BBHHH", 8, 0, csum(hdr), ident, 1) + b"hallway!", (dst, 0))
answered = set()
deadline = time.monotonic() + 10
while answered != todo and time.monotonic() < deadline:
    s.settimeout(max(0.01, deadline - time.monotonic()))
    try:
        data, addr = s.recvfrom(1024)
    except TimeoutError:
        break
    icmp = data[(data[0] & 0x0F) * 4:]
    if icmp[0] == 0 and struct.unpack("!H", icmp[4:6])[0] == ident:
        answered.add(addr[0])
print(json.dumps(sorted(answered)))
"""


def ping(src: Host, dst: str, timeout: float = 2.0) -> bool:
    return src.run([sys.executable, "-c", PING, dst, str(timeout)], check=False).returncode == 0


def namespaces() -> list[str]:
    return (
        sorted(p.name for p in Path("/run/netns").glob("*")) if Path("/run/netns").exists() else []
    )


def pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


@pytest.fixture
def lab() -> Iterator[Lab]:
    require_netns()
    with Lab() as the_lab:
        yield the_lab


class McastPair:
    def __init__(self, sender: Host, receiver: Host) -> None:
        self.rx_proc = receiver.popen(
            [sys.executable, "-c", RECEIVER, receiver.address], stdout=subprocess.PIPE
        )
        assert self.rx_proc.stdout is not None
        self.rx = EventStream(self.rx_proc.stdout, label="receiver")
        self.tx_proc = sender.popen(
            [sys.executable, "-c", SENDER], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert self.tx_proc.stdout is not None
        self.tx = EventStream(self.tx_proc.stdout, label="sender")
        self.rx.wait_for(lambda e: e["type"] == "joined", timeout=10)
        self.tx.wait_for(lambda e: e["type"] == "ready", timeout=10)

    def send(self, text: str) -> None:
        assert self.tx_proc.stdin is not None
        self.tx_proc.stdin.write(text + "\n")
        self.tx_proc.stdin.flush()
        self.tx.wait_for(lambda e: e.get("text") == text, timeout=10)

    def received(self, text: str, timeout: float) -> bool:
        try:
            self.rx.wait_for(lambda e: e.get("text") == text, timeout=timeout)
        except TimeoutError:
            return False
        return True


@pytest.mark.net
def test_hosts_get_addresses_in_the_benchmarking_range(lab: Lab) -> None:
    hosts = lab.add_hosts(3)
    import ipaddress

    assert [h.address for h in hosts] == ["198.18.0.1", "198.18.0.2", "198.18.0.3"]
    for host in hosts:
        assert ipaddress.IPv4Address(host.address) in BENCH_NETWORK
        links = host.run(["ip", "-o", "link"]).stdout
        assert "lo:" in links
        assert "eth0@" in links
        assert "MULTICAST" in links.split("eth0@", 1)[1].split("\n", 1)[0]
        # Only lo and eth0: nothing from the real machine is visible in a host.
        assert len(links.strip().splitlines()) == 2


@pytest.mark.net
def test_two_hosts_ping_each_other(lab: Lab) -> None:
    a, b = lab.add_hosts(2)
    assert ping(a, b.address)
    assert ping(b, a.address)
    assert ping(a, "127.0.0.1")


@pytest.mark.net
def test_every_host_of_a_big_lab_reaches_every_other(lab: Lab) -> None:
    # 40 hosts learning each other by ARP would need 1,560 entries of the machine's one
    # neighbour table, which keeps 1,024: some pairs never met. Hosts know each other's
    # addresses from the start instead (permanent entries, outside that limit).
    hosts = lab.add_hosts(30) + lab.add_hosts(10)  # the second call must introduce both ways
    procs = []
    for host in hosts:
        argv = [sys.executable, "-c", PING_ALL, *(o.address for o in hosts if o is not host)]
        procs.append((host, host.popen(argv, stdout=subprocess.PIPE)))
    for host, proc in procs:
        out, _ = proc.communicate(timeout=30)
        others = sorted(o.address for o in hosts if o is not host)
        assert json.loads(out) == others, f"{host.name} reached only some of the others"
    neighbours = hosts[0].run(["ip", "neigh", "show", "dev", "eth0"]).stdout.splitlines()
    assert len(neighbours) == 39
    assert all("PERMANENT" in line for line in neighbours)


@pytest.mark.net
def test_multicast_crosses_the_bridge_and_link_down_partitions(lab: Lab) -> None:
    a, b = lab.add_hosts(2)
    pair = McastPair(sender=a, receiver=b)

    pair.send("before")
    assert pair.received("before", timeout=10)
    event = pair.rx.wait_for(lambda e: e.get("text") == "before", timeout=1)
    assert event["from"] == a.address

    a.link_down()
    assert not ping(b, a.address, timeout=0.5)
    pair.send("during")
    # A bounded wait for something that must not happen; the next step proves the path again.
    assert not pair.received("during", timeout=1.0)

    a.link_up()
    assert ping(b, a.address, timeout=5)
    pair.send("after")
    assert pair.received("after", timeout=10)


@pytest.mark.net
def test_close_removes_namespaces_and_kills_process_groups() -> None:
    require_netns()
    with Lab() as lab:
        host = lab.add_host()
        prefix = lab.prefix
        assert {f"{prefix}-sw", f"{prefix}-h1"} <= set(namespaces())
        # A child that starts a grandchild of its own in the background.
        proc = host.popen(["sh", "-c", "sleep 300 & echo $!; wait"], stdout=subprocess.PIPE)
        assert proc.stdout is not None
        grandchild = int(proc.stdout.readline())
        assert pid_alive(proc.pid)
        assert pid_alive(grandchild)
    assert not [ns for ns in namespaces() if ns.startswith(prefix)]
    assert proc.poll() is not None
    assert not pid_alive(grandchild)


@pytest.mark.net
def test_close_runs_on_exceptions() -> None:
    require_netns()
    prefix = ""
    with pytest.raises(RuntimeError, match="boom"), Lab() as lab:  # noqa: PT012
        prefix = lab.prefix
        lab.add_host()
        raise RuntimeError("boom")
    assert prefix
    assert not [ns for ns in namespaces() if ns.startswith(prefix)]


@pytest.mark.net
def test_sigterm_to_a_lab_process_cleans_up(tmp_path: Path) -> None:
    require_netns()
    script = tmp_path / "lab.py"
    script.write_text(
        "import sys\n"
        "from tests.support.netlab import Lab\n"
        "with Lab() as lab:\n"
        "    h = lab.add_host()\n"
        "    p = h.popen(['sleep', '300'])\n"
        "    print(lab.prefix, p.pid, flush=True)\n"
        "    sys.stdin.read()\n"
    )
    root = Path(__file__).resolve().parents[2]
    with subprocess.Popen(
        [sys.executable, str(script)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    ) as proc:
        assert proc.stdout is not None
        try:
            prefix, child = proc.stdout.readline().split()
            assert any(ns.startswith(prefix) for ns in namespaces())
            proc.terminate()
            assert proc.wait(timeout=30) == 128 + 15
        finally:
            proc.kill()
    assert not [ns for ns in namespaces() if ns.startswith(prefix)]
    assert not pid_alive(int(child))


@pytest.mark.net
def test_sweep_stale_removes_only_dead_labs() -> None:
    require_netns()
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = f"hw{dead.pid}-beef-h1"
    live = f"hw{os.getpid()}-beef-h1"
    subprocess.run(["ip", "netns", "add", stale], check=True)
    subprocess.run(["ip", "netns", "add", live], check=True)
    try:
        removed = sweep_stale()
        assert stale in removed
        assert live not in removed
        assert live in namespaces()
        assert sweep_stale(f"hw{os.getpid()}-beef") == [live]
    finally:
        for ns in (stale, live):
            subprocess.run(["ip", "netns", "delete", ns], check=False, capture_output=True)
    assert stale not in namespaces()
    assert live not in namespaces()


@pytest.mark.net
def test_single_host_argv_has_only_loopback_up() -> None:
    require_netns()
    out = subprocess.run(
        single_host_argv(["ip", "-o", "link"]), capture_output=True, text=True, check=True
    ).stdout
    lines = out.strip().splitlines()
    assert len(lines) == 1
    assert "lo:" in lines[0]
    assert "UP" in lines[0]


def test_require_netns_fails_when_required(monkeypatch: pytest.MonkeyPatch) -> None:
    import tests.support.netlab as netlab

    monkeypatch.setattr(netlab, "netns_available", lambda: (False, "no root"))
    monkeypatch.setenv("HALLWAY_REQUIRE_NETNS", "1")
    with pytest.raises(pytest.fail.Exception, match="no root"):
        netlab.require_netns()
    monkeypatch.delenv("HALLWAY_REQUIRE_NETNS")
    with pytest.raises(pytest.skip.Exception, match="no root"):
        netlab.require_netns()


def test_netns_available_gives_a_reason() -> None:
    ok, why = netns_available()
    assert isinstance(ok, bool)
    assert why


def test_event_stream_waits_for_a_matching_event() -> None:
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd, "r") as reader, os.fdopen(write_fd, "w") as writer:
        stream = EventStream(reader, label="pipe")

        def produce() -> None:
            for i in range(5):
                writer.write(json.dumps({"type": "tick", "i": i}) + "\n")
                writer.flush()
            writer.write("not json\n")
            writer.flush()

        thread = threading.Thread(target=produce)
        thread.start()
        event = stream.wait_for(lambda e: e.get("i") == 3, timeout=10)
        assert event == {"type": "tick", "i": 3}
        raw = stream.wait_for(lambda e: e["type"] == "_raw", timeout=10)
        assert raw["line"] == "not json"
        thread.join()
        with pytest.raises(TimeoutError, match=r"(?s)pipe: no matching event.*\"i\": 4"):
            stream.wait_for(lambda e: e.get("i") == 99, timeout=0.05)
        assert len(stream.wait_count(lambda e: e["type"] == "tick", 5, timeout=1)) == 5
        writer.close()
        with pytest.raises(TimeoutError, match="the stream ended"):
            stream.wait_for(lambda e: e.get("i") == 99, timeout=30)
        stream.close()
        assert stream.ended


def test_event_stream_handles_an_empty_stream() -> None:
    stream = EventStream(io.StringIO(""), label="empty")
    with pytest.raises(TimeoutError, match="no events"):
        stream.wait_for(lambda e: True, timeout=5)
    stream.close()
