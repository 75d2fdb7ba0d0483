"""Raw attacks on a node's ROUTER, run on a lab host by tests/net/test_router_floods.py.

    router_flooder.py MODE ADDRESS ROUTER_PORT SERVER_KEY CAP [ARGS...]

MODE:
  hold COUNT SOURCES     COUNT CURVE connections (random keys, no HELLO) spread over the
                         comma-separated SOURCES addresses, held; libzmq reconnects each one the
                         victim drops, after a second (issue 9, item 2).
  raw COUNT SOURCES EXPECT
                         the same with plain TCP connections that never start a handshake (the
                         PUB's port may be given for ROUTER_PORT), once, held; reports how many
                         the victim has closed once EXPECT are, or before its 3 s handshake
                         timeout could close any itself.
  hello-flood            one connection sending bogus HELLOs as fast as it can; reconnected when
                         dropped (item 3). Reports how many it sent when it stops.
  newcomer OFFICE PASS   a genuine newcomer: one valid HELLO a second until WELCOME. Also holds
                         a connection that sends nothing, and reports when the victim drops it.
  sybils OFFICE PASS COUNT RECORDS
                         a member making keys (item 6): COUNT fresh keys each say a valid HELLO,
                         and RECORDS mDNS records with valid proofs are announced, all naming
                         this host; a TCP listener at the port they name counts the victim's
                         connection attempts.

Prints NDJSON on stdout: `ready`, then mode-specific events, then `done`. Every mode attacks
until SIGTERM, which the test sends once its checks are done, so no attack ends before the test
has seen what it needs however slow the machine is; CAP seconds is only a safety net.
"""

from __future__ import annotations

import base64
import json
import resource
import signal
import socket
import struct
import sys
import threading
import time

import zmq
from mdns_flooder import CACHE_FLUSH, CLASS_IN, MDNS, PTR, SERVICE, SRV, TXT, A, _name, _record
from zmq.utils.monitor import recv_monitor_message

from hallway.core import wire
from hallway.core.model import fingerprint
from hallway.core.office import Office, derive_office_key
from hallway.core.txt import TXT_VERSION
from hallway.net.sockets import HANDSHAKE_IVL_MS

COUNTER_PORT = 47000  # where the sybils' records and HELLOs say their ROUTER and PUB are
# The victim's handshake timeout closes every connection that has not finished its handshake,
# cap or none, so closures seen after it prove nothing. Its timer for a connection starts when the
# victim accepts it, which is after our connect returned: counting stops this long after the last
# connect, whatever the load, with room for one more pass over the sockets.
RAW_COUNT_WITHIN = HANDSHAKE_IVL_MS / 1000 - 0.5


class Stop:
    """SIGTERM, blocked in every thread and taken synchronously: no handler runs mid-call."""

    def __init__(self, cap: float) -> None:
        self.deadline = time.monotonic() + cap
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # before any thread starts

    def told(self) -> bool:
        return signal.SIGTERM in signal.sigpending() or time.monotonic() >= self.deadline

    def wait(self, seconds: float) -> bool:
        """Wait up to `seconds` (or the cap); True once told to stop."""
        left = min(seconds, self.deadline - time.monotonic())
        if left > 0 and signal.sigtimedwait({signal.SIGTERM}, left) is not None:
            self.deadline = 0.0  # the signal was taken, so it is pending no more: remember it
        return self.told()


def emit(event: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def _dealer(ctx: zmq.Context[zmq.Socket[bytes]], server_key: str) -> zmq.Socket[bytes]:
    return _keyed_dealer(ctx, server_key)[0]


def _keyed_dealer(ctx: zmq.Context[zmq.Socket[bytes]], server_key: str
                  ) -> tuple[zmq.Socket[bytes], bytes]:  # fmt: skip
    """A CURVE DEALER under a fresh key, and that key."""
    dealer = ctx.socket(zmq.DEALER)
    dealer.linger = 0
    dealer.curve_serverkey = server_key.encode()
    public, dealer.curve_secretkey = zmq.curve_keypair()
    dealer.curve_publickey = public
    return dealer, public


def _bogus_hello() -> bytes:
    hello = wire.Hello(office="0" * 16, proof=b"\0" * 32, name="Mallory", router_port=1,
                       pub_port=1, inc=1, proto=wire.VERSION)  # fmt: skip
    return wire.encode(hello)


def hold(ctx: zmq.Context[zmq.Socket[bytes]], target: str, key: str, count: int,
         sources: list[str]) -> list[zmq.Socket[bytes]]:  # fmt: skip
    socks = []
    for i in range(count):
        dealer = _dealer(ctx, key)
        dealer.reconnect_ivl = 1000
        dealer.connect(f"tcp://{sources[i % len(sources)]}:0;{target}")
        socks.append(dealer)
    return socks


def raw(address: str, port: int, count: int, sources: list[str]) -> list[socket.socket]:
    socks = []
    for i in range(count):
        sock = socket.socket()
        sock.bind((sources[i % len(sources)], 0))
        sock.connect((address, port))
        socks.append(sock)
    return socks


def raw_closed(socks: list[socket.socket], expect: int, stop: Stop) -> int:
    """How many of `socks` the victim closed: polled until `expect`, or until the victim's
    handshake timeout could start closing them (a busy victim takes a while over 1,100 accepts)."""
    until = time.monotonic() + RAW_COUNT_WITHIN
    while (count := closed(socks)) < expect and time.monotonic() < until:
        if stop.wait(min(0.05, until - time.monotonic())):
            break
    return count


def closed(socks: list[socket.socket]) -> int:
    """How many of `socks` the other end has closed (their greeting read and dropped)."""
    count = 0
    for sock in socks:
        sock.setblocking(False)
        try:
            while sock.recv(4096):
                pass
            count += 1
        except BlockingIOError:
            pass
        except OSError:
            count += 1
    return count


def hello_flood(ctx: zmq.Context[zmq.Socket[bytes]], target: str, key: str, stop: Stop) -> int:
    dealer = _dealer(ctx, key)
    dealer.reconnect_ivl = 10
    dealer.sndhwm = 100_000
    dealer.connect(f"tcp://{target}")
    payload, sent = _bogus_hello(), 0
    while not stop.told():
        try:
            dealer.send(payload, zmq.NOBLOCK)
            sent += 1
        except zmq.Again:
            dealer.poll(10, zmq.POLLOUT)
    return sent


def newcomer(ctx: zmq.Context[zmq.Socket[bytes]], target: str, key: str, office: Office,
             stop: Stop) -> None:  # fmt: skip
    idle = _dealer(ctx, key)
    idle.reconnect_ivl = -1  # once dropped, it stays away: the drop is what we measure
    monitor = idle.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED)
    idle.connect(f"tcp://{target}")
    dealer, public = _keyed_dealer(ctx, key)
    dealer.connect(f"tcp://{target}")
    hello = wire.encode(wire.Hello(office=office.tag, proof=office.proof(public), name="Newcomer",
                                   router_port=1, pub_port=1, inc=1,
                                   proto=wire.VERSION))  # fmt: skip
    began = time.monotonic()
    next_hello = began
    handshake = 0.0
    welcomed = False
    poller = zmq.Poller()
    poller.register(dealer, zmq.POLLIN)
    poller.register(monitor, zmq.POLLIN)
    while not stop.told():
        if not welcomed and time.monotonic() >= next_hello:
            dealer.send(hello, zmq.NOBLOCK)
            next_hello += 1.0
        for sock, _ in poller.poll(100):
            if sock is monitor:
                event = recv_monitor_message(monitor)["event"]
                if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                    handshake = time.monotonic()
                elif event == zmq.EVENT_DISCONNECTED:
                    emit({"type": "idle-dropped", "after": time.monotonic() - handshake})
            elif isinstance(wire.decode_reply(dealer.recv()), wire.Welcome) and not welcomed:
                welcomed = True
                emit({"type": "welcomed", "after": time.monotonic() - began})
    idle.disable_monitor()
    monitor.close(0)


def _record_datagram(address: str, office: Office) -> bytes:
    public, _ = zmq.curve_keypair()
    label = fingerprint(public)
    instance, host = f"{label}.{SERVICE}", f"h{label[:12]}.local"
    strings = [b"v=" + TXT_VERSION, b"k=" + public, f"p={COUNTER_PORT}".encode(),
               b"o=" + office.tag.encode(),
               b"m=" + base64.b64encode(office.proof(public))]  # fmt: skip
    txt = b"".join(bytes([len(s)]) + s for s in strings)
    srv = struct.pack("!HHH", 0, 0, COUNTER_PORT) + _name(host)
    answers = b"".join((
        _record(SERVICE, PTR, CLASS_IN, 4500, _name(instance)),
        _record(instance, SRV, CLASS_IN | CACHE_FLUSH, 120, srv),
        _record(instance, TXT, CLASS_IN | CACHE_FLUSH, 120, txt),
        _record(host, A, CLASS_IN | CACHE_FLUSH, 120, socket.inet_aton(address)),
    ))  # fmt: skip
    return struct.pack("!HHHHHH", 0, 0x8400, 0, 4, 0, 0) + answers


def _count_connections(listener: socket.socket, counts: list[int]) -> None:
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        counts[0] += 1
        conn.close()  # as a dead or wrong endpoint would: the victim tries again


def sybils(ctx: zmq.Context[zmq.Socket[bytes]], target: str, key: str, office: Office,
           count: int, records: int, own: str, stop: Stop) -> None:  # fmt: skip
    listener = socket.create_server((own, COUNTER_PORT), backlog=1024)
    counts = [0]
    threading.Thread(target=_count_connections, args=(listener, counts), daemon=True).start()
    mdns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mdns.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(own))
    mdns.bind((own, 0))
    for _ in range(records):
        mdns.sendto(_record_datagram(own, office), MDNS)
    socks = []
    for _ in range(count):
        dealer, public = _keyed_dealer(ctx, key)
        dealer.connect(f"tcp://{target}")
        dealer.send(wire.encode(wire.Hello(office=office.tag, proof=office.proof(public),
                                           name="Sybil", router_port=COUNTER_PORT,
                                           pub_port=COUNTER_PORT, inc=1,
                                           proto=wire.VERSION)))  # fmt: skip
        socks.append(dealer)
    began = time.monotonic()
    emit({"type": "sent", "hellos": count, "records": records})
    stopping = False
    while not stopping:
        stopping = stop.wait(1.0)  # a report a second, and a last one
        emit({"type": "count", "connections": counts[0], "seconds": time.monotonic() - began})
    listener.close()
    mdns.close()


def main() -> None:
    mode, address, router_port, key, cap, *args = sys.argv[1:]
    stop = Stop(float(cap))
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    ctx.set(zmq.MAX_SOCKETS, 10_000)
    target = f"{address}:{router_port}"
    held: list[zmq.Socket[bytes]] = []
    tcp: list[socket.socket] = []
    if mode == "hold":
        held = hold(ctx, target, key, int(args[0]), args[1].split(","))
        emit({"type": "ready", "connections": len(held)})
    elif mode == "raw":
        tcp = raw(address, int(router_port), int(args[0]), args[1].split(","))
        shut = raw_closed(tcp, int(args[2]), stop)
        emit({"type": "ready", "connections": len(tcp), "closed": shut})
    elif mode == "hello-flood":
        emit({"type": "ready"})
        began = time.monotonic()
        sent = hello_flood(ctx, target, key, stop)
        emit({"type": "sent", "hellos": sent, "seconds": time.monotonic() - began})
    elif mode == "newcomer":
        emit({"type": "ready"})
        newcomer(ctx, target, key, Office(name=args[0], key=derive_office_key(*args[:2])), stop)
    elif mode == "sybils":
        emit({"type": "ready"})
        office = Office(name=args[0], key=derive_office_key(*args[:2]))
        sybils(ctx, target, key, office, int(args[2]), int(args[3]), args[4], stop)
    while not stop.wait(stop.deadline - time.monotonic()):
        pass  # holding is the attack
    for sock in held:
        sock.close(0)
    for conn in tcp:
        conn.close()
    ctx.term()
    emit({"type": "done"})


if __name__ == "__main__":
    main()
