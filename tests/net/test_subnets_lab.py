"""Tests of the routed lab (tests/support/subnets.py): unicast crosses the router, mDNS does not,
and through an avahi reflector a service on one subnet is found, and reached, from the others."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.netlab import EventStream, Host, require_netns
from tests.support.subnets import Subnets, avahi_missing

SERVICE_TYPE = "_hwlab._tcp.local."
SERVICE_PORT = 4242

# Accepts TCP connections and reports each one's source address and first line.
LISTENER = """
import json, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen()
print(json.dumps({"type": "ready"}), flush=True)
while True:
    conn, (addr, _port) = s.accept()
    data = conn.makefile().readline().strip()
    print(json.dumps({"type": "accepted", "from": addr, "text": data}), flush=True)
    conn.close()
"""

# Connects to HOST PORT from this host and sends one line; exit status 0 when it got through.
CONNECT = """
import socket, sys
with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10) as s:
    s.sendall(sys.argv[3].encode() + b"\\n")
"""

# Every mDNS datagram this host's link carries, as {"from", "qr" (a response), "ours"}.
SNIFFER = """
import json, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("224.0.0.251", 5353))
mreq = struct.pack("4s4s", socket.inet_aton("224.0.0.251"), socket.inet_aton(sys.argv[1]))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
print(json.dumps({"type": "joined"}), flush=True)
while True:
    data, (addr, _port) = s.recvfrom(9000)
    qr = len(data) > 2 and bool(data[2] & 0x80)
    print(json.dumps({"type": "mdns", "from": addr, "qr": qr, "ours": b"_hwlab" in data}),
          flush=True)
"""

# python-zeroconf on one address: "publish NAME" registers NAME (this host's address, a TCP
# listener on SERVICE_PORT behind it); "browse" reports every instance it resolves.
ZEROCONF = f"""
import json, socket, sys, threading
from zeroconf import (DNSQuestionType, IPVersion, ServiceBrowser, ServiceInfo,
                      ServiceStateChange, Zeroconf)
address, role = sys.argv[1], sys.argv[2]
zc = Zeroconf(interfaces=[address], ip_version=IPVersion.V4Only)
def say(**event):
    print(json.dumps(event), flush=True)
if role == "publish":
    name = sys.argv[3]
    info = ServiceInfo("{SERVICE_TYPE}", name + ".{SERVICE_TYPE}",
                       addresses=[socket.inet_aton(address)], port={SERVICE_PORT},
                       server=name + ".local.")
    zc.register_service(info, cooperating_responders=True)
    say(type="registered", name=name)
else:
    def on_change(zeroconf, service_type, name, state_change):
        if state_change is ServiceStateChange.Removed:
            return
        info = zeroconf.get_service_info(service_type, name, timeout=3000)
        if info is not None:
            say(type="found", name=name.split(".")[0], addresses=info.parsed_addresses(),
                port=info.port)
    browser = ServiceBrowser(zc, "{SERVICE_TYPE}", handlers=[on_change],
                             question_type=DNSQuestionType.QM)
    say(type="browsing")
sys.stdin.read()
zc.close()
"""

TIMEOUT = 20.0  # a loaded 2-core box; every wait ends as soon as its event arrives


def start(host: Host, script: str, *args: str, ready: str) -> EventStream:
    proc = host.popen(
        [sys.executable, "-c", script, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    events = EventStream(proc.stdout, label=f"{host.address} {args[1] if args[1:] else ''}")
    events.wait_for(lambda e: e["type"] == ready, TIMEOUT)
    return events


def connects(src: Host, address: str, port: int, text: str) -> bool:
    argv = [sys.executable, "-c", CONNECT, address, str(port), text]
    return src.run(argv, check=False, timeout=TIMEOUT).returncode == 0


def namespaces() -> list[str]:
    netns = Path("/run/netns")
    return sorted(p.name for p in netns.iterdir()) if netns.exists() else []


def pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


@pytest.fixture
def subnets() -> Iterator[Subnets]:
    require_netns()
    with Subnets() as lab:
        yield lab


def require_avahi() -> None:
    missing = avahi_missing()
    if missing is not None:
        pytest.skip(missing)


# -- the lab itself -----------------------------------------------------------------------------


def test_bad_subnets_are_refused() -> None:
    with pytest.raises(ValueError, match=r"inside 198\.18\.0\.0/15"):
        Subnets(["198.18.1.0/24", "10.0.0.0/24"])
    with pytest.raises(ValueError, match="overlap"):
        Subnets(["198.18.1.0/24", "198.18.0.0/23"])
    with pytest.raises(ValueError, match="two subnets"):
        Subnets(["198.18.1.0/24"])
    with pytest.raises(ValueError, match="too small"):
        Subnets(["198.18.1.0/25", "198.18.2.0/24"])


@pytest.mark.net
def test_hosts_are_addressed_per_subnet_and_routed(subnets: Subnets) -> None:
    a = subnets.add_host(0)
    b1, b2 = subnets.add_hosts(1, 2)
    c = subnets.add_host(2)
    assert [h.address for h in (a, b1, b2, c)] == [
        "198.18.1.1", "198.18.2.1", "198.18.2.2", "198.18.3.1",
    ]  # fmt: skip
    assert subnets.router_addresses == ["198.18.1.254", "198.18.2.254", "198.18.3.254"]
    assert subnets.spare_address(1) == "198.18.2.253"
    routes = b1.run(["ip", "route"]).stdout
    assert "198.18.0.0/15 via 198.18.2.254 dev eth0" in routes
    assert "224.0.0.0/4 dev eth0" in routes
    assert "default" not in routes
    # Only lo and eth0 in a host; the router has lo and one leg per subnet, nothing else.
    assert len(c.run(["ip", "-o", "link"]).stdout.strip().splitlines()) == 2
    router_links = subprocess.run(
        subnets.router_argv(["ip", "-o", "link"]), capture_output=True, text=True, check=True
    ).stdout
    names = sorted(line.split(":")[1].strip().split("@")[0] for line in router_links.splitlines())
    assert names == ["lo", "r1", "r2", "r3"]


@pytest.mark.net
def test_unicast_crosses_the_router_with_source_addresses_kept(subnets: Subnets) -> None:
    a = subnets.add_host(0)
    b = subnets.add_host(1)
    c = subnets.add_host(2)
    listener = start(b, LISTENER, b.address, "7000", ready="ready")
    assert connects(a, b.address, 7000, "from-1")
    assert connects(c, b.address, 7000, "from-3")
    seen = {
        e["text"]: e["from"]
        for e in listener.wait_count(lambda e: e["type"] == "accepted", 2, TIMEOUT)
    }
    # No NAT: the receiver sees the sender's own address (Hallway's budgets are per source).
    assert seen == {"from-1": a.address, "from-3": c.address}
    back = start(a, LISTENER, a.address, "7001", ready="ready")
    assert connects(c, a.address, 7001, "3-to-1")
    assert back.wait_for(lambda e: e["type"] == "accepted", TIMEOUT)["from"] == c.address


@pytest.mark.net
def test_mdns_stays_on_its_own_subnet(subnets: Subnets) -> None:
    pub, control = subnets.add_hosts(0, 2)
    browser_host, sniffer_host = subnets.add_hosts(1, 2)
    third = subnets.add_host(2)
    near = start(control, SNIFFER, control.address, ready="joined")
    far = start(sniffer_host, SNIFFER, sniffer_host.address, ready="joined")
    farther = start(third, SNIFFER, third.address, ready="joined")
    browser = start(browser_host, ZEROCONF, browser_host.address, "browse", ready="browsing")
    start(pub, ZEROCONF, pub.address, "publish", "alice", ready="registered")

    # On subnet 1 the announcements arrive; on subnet 2 the browser's queries do, so the
    # sniffer there works, but nothing from subnet 1 ever does.
    near.wait_count(lambda e: e.get("from") == pub.address and e["ours"] and e["qr"], 2, TIMEOUT)
    far.wait_for(lambda e: e.get("from") == browser_host.address and e["ours"], TIMEOUT)
    # A bounded wait for something that must not happen, after the positive control above.
    with pytest.raises(TimeoutError):
        browser.wait_for(lambda e: e["type"] == "found", 1.5)
    for stream, network in ((far, subnets.networks[1]), (farther, subnets.networks[2])):
        sources = {e["from"] for e in stream.snapshot() if e["type"] == "mdns"}
        assert all(ipaddress.IPv4Address(s) in network for s in sources), sources
    # The query from subnet 2 did not reach subnet 1 either.
    assert not near.find(lambda e: e.get("from") == browser_host.address)


@pytest.mark.net
def test_reflector_carries_a_service_across_subnets(subnets: Subnets) -> None:
    require_avahi()
    pub = subnets.add_host(0)
    early_host = subnets.add_host(2)
    late_host, sniffer_host = subnets.add_hosts(1, 2)
    reflector = subnets.start_reflector()
    assert any("r1.IPv4" in line for line in reflector.lines())
    # The service's TCP side, on the address the record names.
    service = start(pub, LISTENER, pub.address, str(SERVICE_PORT), ready="ready")
    sniffer = start(sniffer_host, SNIFFER, sniffer_host.address, ready="joined")
    # One browser before the announcements (they are reflected to it), one after (its query is
    # reflected to subnet 1, and the answer back).
    early = start(early_host, ZEROCONF, early_host.address, "browse", ready="browsing")
    start(pub, ZEROCONF, pub.address, "publish", "alice", ready="registered")
    early_found = early.wait_for(lambda e: e["type"] == "found", TIMEOUT)
    late = start(late_host, ZEROCONF, late_host.address, "browse", ready="browsing")
    late_found = late.wait_for(lambda e: e["type"] == "found", TIMEOUT)

    for found, host in ((early_found, early_host), (late_found, late_host)):
        assert found["name"] == "alice"
        assert found["port"] == SERVICE_PORT
        # The record names an address that is not on the browser's link: the router's.
        assert found["addresses"] == [pub.address]
        assert ipaddress.IPv4Address(pub.address) not in subnets.networks[subnets.subnet_of(host)]
        assert connects(host, pub.address, SERVICE_PORT, f"hello from {host.address}")
    accepted = service.wait_count(lambda e: e["type"] == "accepted", 2, TIMEOUT)
    assert {e["from"] for e in accepted} == {early_host.address, late_host.address}
    # On subnet 2 the records come from the router (reflected), never from subnet 1 itself.
    sniffer.wait_for(lambda e: e.get("from") == subnets.router_addresses[1] and e["ours"], TIMEOUT)
    assert not sniffer.find(lambda e: e.get("from") == pub.address)


@pytest.mark.net
def test_close_removes_router_reflector_and_hosts() -> None:
    require_netns()
    require_avahi()
    run_avahi = Path("/run/avahi-daemon")
    had_run_avahi = run_avahi.exists()
    with Subnets() as lab:
        host = lab.add_host(1)
        prefixes = [lab.prefix, *(sub.prefix for sub in lab.labs)]
        assert lab.router_ns in namespaces()
        reflector = lab.start_reflector()
        proc = host.popen(["sleep", "300"])
        assert pid_alive(reflector.proc.pid)
        # avahi-daemon's /run is its own: the machine's is untouched.
        assert run_avahi.exists() == had_run_avahi
    assert not [ns for ns in namespaces() if ns.startswith(tuple(prefixes))]
    assert not pid_alive(reflector.proc.pid)
    assert not pid_alive(proc.pid)
    assert run_avahi.exists() == had_run_avahi
