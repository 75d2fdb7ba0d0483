"""What a connection costs: memory per peer and CPU per join of bare pyzmq meshes, by shape.

Usage (root; everything runs in a private network namespace with only its loopback up):

    unshare --net -- sh -c 'ip link set lo up && exec .venv/bin/python bench/connections.py \\
        [--shapes four,two-curve,two-plain,one-curve] [--nodes 6,25] [--rounds 3] [--repeats 2]'

No Hallway code: each node is a worker process (this file with --worker) holding one zmq.Context
with one I/O thread, a ROUTER bound on 127.0.0.1, and per peer the sockets of its shape:

  four       Hallway's links: an XPUB bound too, and per peer a DEALER to the peer's ROUTER and a
             SUB to its XPUB, all CURVE (the node's own keypair as server and as client), with a
             socket monitor on each SUB whose PAIR end is drained. Four TCP connections per pair.
  two-curve  per peer a DEALER to the peer's ROUTER, CURVE, no monitor: two per pair.
  two-plain  the same without CURVE (Pyre's shape): two per pair.
  one-curve  only the lower id connects (DEALER to the higher id's ROUTER, which answers over
             it): one CURVE connection per pair, carrying both directions.

The mesh is verified, not assumed: every DEALER says its id to the peer's ROUTER on connecting;
each SUB subscribes to its own node's id, and an XPUB answers each subscription with a message
on that topic (XPUB_VERBOSE; so only the new subscriber hears it: a subscription to everything,
as Hallway's, would have had every member answer a newcomer's SUB with a message to every
member, a fan-out of N messages per member per join that Hallway does not have); in one-curve
the ROUTER answers each DEALER. A node reports "complete" once it has heard every peer on every
connection kind it expects, and the mesh is complete when every node has.

For each shape and N it starts N - 1 members, waits for their mesh and for their CPU to go
idle, then lets `--rounds` newcomers join one at a time. For each join it reads every member's
CPU time per thread from /proc (schedstat's ns; utime + stime, in ticks, where it is missing)
before the newcomer starts and as soon as the mesh including it is complete, split into
libzmq's I/O thread (`ZMQbg/IO/0`), the Python main thread and the rest, and the newcomer's
own CPU from its start (and from its sockets being bound, which leaves out Python's start-up).
After the first join it waits for every node's RSS to stop changing (2 s at least) and reads
VmRSS, mallinfo2's bytes in use and the descriptors; the newcomer then leaves (members close
their sockets to it) before the next one joins.
A baseline reads a process with only a context ("bare") and one lone node per shape (N = 1).

CPU figures are CPU time, not wall time: a busy machine distorts them much less than it does
the join's wall time, which is printed too. Members' figures are medians over the members;
the summary's are medians of those over the joins. Hallway's ZAP handler, gates, heartbeats and
application messages are not here: libzmq skips ZAP when no handler is bound.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import resource
import select
import selectors
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zmq

TICK = os.sysconf("SC_CLK_TCK")
PORT_BASE = 20000  # node i binds ROUTER on PORT_BASE + 2i and XPUB on PORT_BASE + 2i + 1
SHAPES = ("four", "two-curve", "two-plain", "one-curve")
MONITORED = ("EVENT_DISCONNECTED", "EVENT_HANDSHAKE_SUCCEEDED", "EVENT_HANDSHAKE_FAILED_AUTH")

# --------------------------------------------------------------------------------------------
# The worker: one node, driven by JSON lines on stdin, answering with lines on stdout.
# --------------------------------------------------------------------------------------------


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def malloc_in_use() -> int:
    """Bytes glibc's malloc has handed out and not had back, over all arenas and mmaps."""
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = _MallInfo2
    info: _MallInfo2 = libc.mallinfo2()
    return int(info.uordblks) + int(info.hblkhd)  # hblkhd: chunks mmapped on their own


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


Handler = Callable[[list[bytes]], None]
Socket = zmq.Socket[bytes]


@dataclass
class Link:
    sockets: list[Socket] = field(default_factory=list)  # closed on drop
    monitored: Socket | None = None  # the SUB whose monitor is on


class Node:
    """One worker's sockets and what it has heard from whom, on an epoll loop as Hallway's."""

    def __init__(self, ident: int, shape: str, public: bytes, secret: bytes) -> None:
        self.ident, self.shape, self.public, self.secret = ident, shape, public, secret
        self.me = str(ident).encode()
        self.ctx: zmq.Context[Socket] = zmq.Context(io_threads=1)
        self.epoll = select.epoll()
        self.by_fd: dict[int, tuple[Socket, Handler]] = {}
        self.dirty: set[Socket] = set()  # sockets used since their events were read
        self.links: dict[int, Link] = {}
        self.expect: dict[int, set[str]] = {}  # peer: the kinds it must be heard on
        self.heard: dict[int, set[str]] = {}
        self.gen, self.reported = 0, 0
        self.router = self._server(zmq.ROUTER, PORT_BASE + 2 * ident, self._on_router)
        self.xpub: Socket | None = None
        if shape == "four":
            self.xpub = self._server(zmq.XPUB, PORT_BASE + 2 * ident + 1, self._on_xpub)
            self.xpub.setsockopt(zmq.XPUB_VERBOSE, 1)

    # sockets

    def _socket(self, kind: int, handler: Handler) -> Socket:
        sock = self.ctx.socket(kind)
        sock.setsockopt(zmq.LINGER, 0)
        self.watch(sock, handler)
        return sock

    def watch(self, sock: Socket, handler: Handler) -> None:
        fd = int(sock.getsockopt(zmq.FD))
        self.by_fd[fd] = (sock, handler)
        self.epoll.register(fd, select.EPOLLIN)
        self.dirty.add(sock)

    def unwatch(self, sock: Socket) -> None:
        fd = int(sock.getsockopt(zmq.FD))
        self.epoll.unregister(fd)
        del self.by_fd[fd]
        self.dirty.discard(sock)

    def _server(self, kind: int, port: int, handler: Handler) -> Socket:
        sock = self._socket(kind, handler)
        if self.shape != "two-plain":
            sock.setsockopt(zmq.CURVE_SERVER, 1)
            sock.setsockopt(zmq.CURVE_PUBLICKEY, self.public)
            sock.setsockopt(zmq.CURVE_SECRETKEY, self.secret)
        sock.bind(f"tcp://127.0.0.1:{port}")
        return sock

    def _client(self, kind: int, server_key: bytes, handler: Handler) -> Socket:
        sock = self._socket(kind, handler)
        if self.shape != "two-plain":
            sock.setsockopt(zmq.CURVE_SERVERKEY, server_key)
            sock.setsockopt(zmq.CURVE_PUBLICKEY, self.public)
            sock.setsockopt(zmq.CURVE_SECRETKEY, self.secret)
        return sock

    # links

    def add(self, peer: int, key: bytes) -> None:
        link = Link()
        kinds = {"router"}
        if self.shape == "one-curve" and peer < self.ident:
            kinds = {"router"}  # the lower id connects to us
        elif self.shape == "one-curve":
            kinds = {"dealer"}
        if self.shape != "one-curve" or peer > self.ident:
            dealer = self._client(zmq.DEALER, key, self._hearing(peer, "dealer"))
            dealer.connect(f"tcp://127.0.0.1:{PORT_BASE + 2 * peer}")
            dealer.send(self.me)
            link.sockets.append(dealer)
        if self.shape == "four":
            kinds.add("sub")
            sub = self._client(zmq.SUB, key, self._hearing(peer, "sub"))
            sub.setsockopt(zmq.SUBSCRIBE, self.me + b":")  # see the module's docstring
            events = 0
            for name in MONITORED:
                events |= getattr(zmq, name)
            monitor = sub.get_monitor_socket(events)
            monitor.setsockopt(zmq.LINGER, 0)
            self.watch(monitor, lambda _m: None)
            sub.connect(f"tcp://127.0.0.1:{PORT_BASE + 2 * peer + 1}")
            link.sockets += [sub, monitor]
            link.monitored = sub
        self.links[peer] = link
        self.expect[peer] = kinds
        self.heard.setdefault(peer, set())

    def drop(self, peer: int) -> None:
        link = self.links.pop(peer)
        if link.monitored is not None:
            link.monitored.disable_monitor()
        for sock in link.sockets:
            self.unwatch(sock)
            sock.close(linger=0)
        self.expect.pop(peer, None)
        self.heard.pop(peer, None)

    # traffic

    def _hearing(self, peer: int, kind: str) -> Handler:
        return lambda frames: self._heard(peer, kind, frames)

    def _heard(self, peer: int, kind: str, frames: list[bytes]) -> None:
        if frames[-1].rsplit(b":", 1)[-1] == str(peer).encode():
            self.heard.setdefault(peer, set()).add(kind)

    def _on_router(self, frames: list[bytes]) -> None:
        peer = int(frames[-1])
        self.heard.setdefault(peer, set()).add("router")
        if self.shape == "one-curve":
            self.router.send_multipart([frames[0], self.me])
            self.dirty.add(self.router)

    def _on_xpub(self, frames: list[bytes]) -> None:
        if frames[0][:1] == b"\x01" and self.xpub is not None:
            self.xpub.send(frames[0][1:] + self.me)  # to that subscriber only
            self.dirty.add(self.xpub)

    def complete(self) -> bool:
        return all(kinds <= self.heard.get(p, set()) for p, kinds in self.expect.items())

    def drain(self, sock: Socket, handler: Handler) -> None:
        while int(sock.getsockopt(zmq.EVENTS)) & zmq.POLLIN:
            handler(sock.recv_multipart(zmq.NOBLOCK))

    def command(self, line: str) -> bool:
        order = json.loads(line)
        if order["cmd"] == "add":
            self.gen = int(order["gen"])
            for peer, key in order["peers"].items():
                self.add(int(peer), key.encode())
        elif order["cmd"] == "drop":
            self.drop(int(order["peer"]))
        elif order["cmd"] == "mem":
            say(f"mem {malloc_in_use()}")
        elif order["cmd"] == "quit":
            return False
        return True

    def run(self) -> None:
        self.epoll.register(0, select.EPOLLIN)
        say("bound")
        pending = b""
        while True:
            while self.dirty:
                sock = self.dirty.pop()
                self.drain(sock, self.by_fd[int(sock.getsockopt(zmq.FD))][1])
            if self.gen > self.reported and self.complete():
                self.reported = self.gen
                say(f"complete {self.gen}")
            for fd, _event in self.epoll.poll():
                if fd == 0:
                    chunk = os.read(0, 65536)
                    if not chunk:
                        return  # the driver is gone
                    pending += chunk
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        if not self.command(line.decode()):
                            return
                elif fd in self.by_fd:
                    self.dirty.add(self.by_fd[fd][0])

    def close(self) -> None:
        for peer in list(self.links):
            self.drop(peer)
        self.ctx.destroy(linger=0)


def worker(ident: int, shape: str) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    line = b""
    while not line.endswith(b"\n"):  # byte by byte: what follows is read from the descriptor
        line += os.read(0, 1) or b"\n"
    init = json.loads(line)
    if shape == "bare":
        ctx = zmq.Context(io_threads=1)
        say("bound")
        while chunk := os.read(0, 65536):
            if b'"mem"' in chunk:
                say(f"mem {malloc_in_use()}")
        ctx.term()
        return 0
    node = Node(ident, shape, init["public"].encode(), init["secret"].encode())
    try:
        node.run()
    finally:
        node.close()
    return 0


# --------------------------------------------------------------------------------------------
# The driver: starts workers, reads /proc.
# --------------------------------------------------------------------------------------------

Threads = dict[str, tuple[str, float]]  # thread id: (its name, its CPU time so far in ms)


def thread_cpu(pid: int) -> Threads:
    """Each thread's name and CPU time (ms) so far, from schedstat's nanoseconds: stat's utime +
    stime count 10 ms ticks, coarser than a join's work or an update's, and they undercount
    threads that run in short bursts (libzmq's I/O thread: docs/benchmarks.md, eighth pass)."""
    found: Threads = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        task = f"/proc/{pid}/task/{tid}"
        try:
            name = Path(f"{task}/comm").read_text().strip()
            found[tid] = (name, int(Path(f"{task}/schedstat").read_text().split()[0]) / 1e6)
        except FileNotFoundError:
            continue  # the thread ended
        except OSError:
            fields = Path(f"{task}/stat").read_text().rsplit(")", 1)[1].split()
            found[tid] = (name, (int(fields[11]) + int(fields[12])) * 1000 / TICK)
    return found


def split(pid: int, before: Threads, after: Threads) -> dict[str, float]:
    """CPU (ms) between two readings: libzmq's I/O thread(s), the main thread, the rest."""
    kinds = {"io": 0.0, "main": 0.0, "other": 0.0}
    for tid, (name, cpu) in after.items():
        kind = "io" if name.startswith("ZMQbg/IO") else "main" if tid == str(pid) else "other"
        kinds[kind] += cpu - before.get(tid, (name, 0.0))[1]
    return kinds


def total_cpu(pids: list[int]) -> float:
    return sum(cpu for pid in pids for _name, cpu in thread_cpu(pid).values())


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


class Worker:
    def __init__(self, ident: int, shape: str, group: int, keys: tuple[bytes, bytes]) -> None:
        self.ident = ident
        self.public = keys[0].decode()
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", str(ident), "--shapes", shape],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            process_group=group,
        )
        self.lines: list[str] = []
        self.buf = b""
        self.send({"public": self.public, "secret": keys[1].decode()})

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, order: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(order).encode() + b"\n")
        self.proc.stdin.flush()

    def has(self, line: str) -> bool:
        return line in self.lines


class Cluster:
    """The workers of one run, all in one process group that is killed however the run ends."""

    def __init__(self, shape: str) -> None:
        self.shape = shape
        self.workers: dict[int, Worker] = {}
        self.group = 0
        self.selector = selectors.DefaultSelector()

    def start(self, ident: int) -> Worker:
        w = Worker(ident, self.shape, self.group, zmq.curve_keypair())
        self.group = self.group or w.pid
        assert w.proc.stdout is not None
        self.selector.register(w.proc.stdout, selectors.EVENT_READ, w)
        self.workers[ident] = w
        return w

    def stop(self, ident: int) -> None:
        w = self.workers.pop(ident)
        assert w.proc.stdout is not None
        self.selector.unregister(w.proc.stdout)
        w.proc.kill()
        w.proc.wait()

    def wait(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.shape}: no {what} within {timeout:.0f} s")
            for key, _ in self.selector.select(min(left, 0.2)):
                w: Worker = key.data
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    raise RuntimeError(f"{self.shape}: worker {w.ident} exited")
                w.buf += chunk
                *lines, w.buf = w.buf.split(b"\n")
                w.lines += [line.decode() for line in lines]

    def mesh(self, gen: int, joiners: dict[int, list[int]], timeout: float) -> None:
        """Tell each node in `joiners` to link to its peers; wait until every node heard all."""
        for ident, peers in joiners.items():
            order = {p: self.workers[p].public for p in peers}
            self.workers[ident].send({"cmd": "add", "gen": gen, "peers": order})
        line = f"complete {gen}"
        self.wait(lambda: all(w.has(line) for w in self.workers.values()), timeout, "mesh")

    def idle(self, pids: list[int], timeout: float = 15.0) -> None:
        """Until the processes spend no CPU tick over 0.5 s (or `timeout`)."""
        deadline = time.monotonic() + timeout
        last = total_cpu(pids)
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = total_cpu(pids)
            if now - last < 1.0:  # ms, all of them together
                return
            last = now

    def settled_rss(self, least: float = 2.0, timeout: float = 20.0) -> tuple[dict[int, int], bool]:
        """Every node's RSS (kB) once no node's has changed over 0.5 s, `least` s at the soonest."""
        time.sleep(least)
        deadline = time.monotonic() + timeout
        last = {i: rss_kb(w.pid) for i, w in self.workers.items()}
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = {i: rss_kb(w.pid) for i, w in self.workers.items()}
            if now == last:
                return now, True
            last = now
        return last, False

    def malloc(self) -> dict[int, int]:
        for w in self.workers.values():
            w.lines = [line for line in w.lines if not line.startswith("mem ")]
            w.send({"cmd": "mem"})
        self.wait(
            lambda: all(any(x.startswith("mem ") for x in w.lines) for w in self.workers.values()),
            10,
            "malloc figures",
        )
        return {
            i: next(int(x.split()[1]) for x in w.lines if x.startswith("mem "))
            for i, w in self.workers.items()
        }

    def kill(self) -> None:
        if self.group:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.group, signal.SIGKILL)
        for w in self.workers.values():
            with contextlib.suppress(ProcessLookupError):
                w.proc.kill()
            w.proc.wait()
        self.selector.close()


@contextlib.contextmanager
def cluster(shape: str) -> Iterator[Cluster]:
    c = Cluster(shape)
    try:
        yield c
    finally:
        c.kill()


def bound(w: Worker) -> Callable[[], bool]:
    return lambda: w.has("bound")


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def run(shape: str, nodes: int, rounds: int, timeout: float) -> dict[str, Any]:
    """N - 1 members meshed, then `rounds` newcomers one at a time; see the module's docstring."""
    members = list(range(nodes - 1))
    result: dict[str, Any] = {"shape": shape, "nodes": nodes, "joins": []}
    with cluster(shape) as c:
        for i in members:
            c.start(i)
        c.wait(lambda: all(w.has("bound") for w in c.workers.values()), timeout, "bind")
        start = time.monotonic()
        c.mesh(1, {i: [p for p in members if p != i] for i in members}, timeout)
        result["first_mesh_s"] = time.monotonic() - start
        pids = [c.workers[i].pid for i in members]
        gen = 1
        for r in range(rounds):
            c.idle(pids)
            newcomer = nodes - 1 + r
            before = {pid: thread_cpu(pid) for pid in pids}
            began = time.monotonic()
            w = c.start(newcomer)
            c.wait(bound(w), timeout, "newcomer's bind")
            at_bind = thread_cpu(w.pid)
            gen += 1
            joiners = {i: [newcomer] for i in members}
            joiners[newcomer] = members
            linked = time.monotonic()
            c.mesh(gen, joiners, timeout)
            done = time.monotonic()
            after = {pid: thread_cpu(pid) for pid in pids}
            mine = thread_cpu(w.pid)
            spent = [split(pid, before[pid], after[pid]) for pid in pids]
            result["joins"].append(
                {
                    "member_ms": {k: med([s[k] for s in spent]) for k in ("io", "main", "other")},
                    "member_total_ms": med([sum(s.values()) for s in spent]),
                    "members_sum_ms": sum(sum(s.values()) for s in spent),
                    "newcomer_ms": sum(split(w.pid, {}, mine).values()),
                    "newcomer_after_bind_ms": split(w.pid, at_bind, mine),
                    "wall_s": done - began,
                    "mesh_wall_s": done - linked,
                }
            )
            if r == 0:
                rss, settled = c.settled_rss()
                heap = c.malloc()
                result["rss_kb"] = med([float(v) for v in rss.values()])
                result["rss_settled"] = settled
                result["malloc_kb"] = med([v / 1024 for v in heap.values()])
                result["fds"] = med(
                    [float(len(os.listdir(f"/proc/{x.pid}/fd"))) for x in c.workers.values()]
                )
            for i in members:
                c.workers[i].send({"cmd": "drop", "peer": newcomer})
            c.stop(newcomer)
    return result


def baseline(shape: str) -> dict[str, Any]:
    """A lone process: a bare context (shape "bare"), or one node of `shape` with no peers."""
    with cluster(shape) as c:
        w = c.start(0)
        c.wait(lambda: w.has("bound"), 30, "bind")
        rss, settled = c.settled_rss()
        heap = c.malloc()
        return {"shape": shape, "rss_kb": rss[0], "settled": settled, "malloc_kb": heap[0] / 1024}


def private_namespace() -> bool:
    """Only a loopback in this network namespace: nothing here can reach a real interface."""
    lines = Path("/proc/net/dev").read_text().splitlines()[2:]  # /sys may show the host's
    return [line.split(":")[0].strip() for line in lines] == ["lo"]


def main() -> int:
    ap = argparse.ArgumentParser(
        prog="bench/connections.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument(
        "--shapes", default=",".join(SHAPES), help="comma-separated, of: " + " ".join(SHAPES)
    )
    ap.add_argument("--nodes", default="6,25", help="office sizes with the newcomer (default 6,25)")
    ap.add_argument("--rounds", type=int, default=3, help="newcomers per run, one after the other")
    ap.add_argument("--repeats", type=int, default=2, help="runs per shape and size")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per mesh (default 120)")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker is not None:
        return worker(args.worker, args.shapes)
    if not private_namespace():
        print("run me inside `unshare --net` (only lo may exist here)", file=sys.stderr)
        return 2
    shapes = args.shapes.split(",")
    sizes = [int(n) for n in args.nodes.split(",")]
    for shape in ["bare", *shapes]:
        b = baseline(shape)
        print(
            f"baseline {shape:9}  RSS {b['rss_kb'] / 1024:6.2f} MB  malloc {b['malloc_kb']:7.0f} kB"
            + ("" if b["settled"] else "  (RSS still moving)"),
            flush=True,
        )
    results: list[dict[str, Any]] = []
    for repeat in range(args.repeats):
        for shape in shapes:
            for n in sizes:
                res = run(shape, n, args.rounds, args.timeout)
                res["repeat"] = repeat
                results.append(res)
                report(res)
    summary(results)
    return 0


def report(res: dict[str, Any]) -> None:
    print(
        f"{res['shape']:9} N={res['nodes']:<3} run {res['repeat'] + 1}: "
        f"RSS {res['rss_kb'] / 1024:.2f} MB{'' if res['rss_settled'] else ' (moving)'}, "
        f"malloc {res['malloc_kb'] / 1024:.2f} MB, fds {res['fds']:.0f}, "
        f"first mesh {res['first_mesh_s']:.1f} s",
        flush=True,
    )
    for j in res["joins"]:
        m, n = j["member_ms"], j["newcomer_after_bind_ms"]
        print(
            f"    join: member {j['member_total_ms']:6.2f} ms (io {m['io']:.2f} main"
            f" {m['main']:.2f} other {m['other']:.2f}), members' sum {j['members_sum_ms']:.1f};"
            f" newcomer {j['newcomer_ms']:.1f}, after bind io {n['io']:.2f} main {n['main']:.2f};"
            f" wall {j['wall_s']:.2f} s (mesh {j['mesh_wall_s'] * 1e3:.1f} ms)",
            flush=True,
        )


def summary(results: list[dict[str, Any]]) -> None:
    """One line per run: the join figures are medians over its joins."""
    print(
        "\nshape      N run  RSS MB  kB/peer  malloc kB/peer  member ms io/main/all  sum ms"
        "  newcomer ms io/main/all-from-start"
    )
    for res in results:
        lower = [
            r
            for r in results
            if (r["shape"], r["repeat"]) == (res["shape"], res["repeat"])
            and r["nodes"] < res["nodes"]
        ]
        slope = mslope = ""
        if lower:
            low = max(lower, key=lambda r: r["nodes"])
            gap = res["nodes"] - low["nodes"]
            slope = f"{(res['rss_kb'] - low['rss_kb']) / gap:.0f}"
            mslope = f"{(res['malloc_kb'] - low['malloc_kb']) / gap:.0f}"
        joins = res["joins"]
        io, main_ms, total = (
            med([j["member_ms"][k] for j in joins])
            if k != "all"
            else med([j["member_total_ms"] for j in joins])
            for k in ("io", "main", "all")
        )
        new_io = med([j["newcomer_after_bind_ms"]["io"] for j in joins])
        new_main = med([j["newcomer_after_bind_ms"]["main"] for j in joins])
        print(
            f"{res['shape']:9} {res['nodes']:3} {res['repeat'] + 1:3}  {res['rss_kb'] / 1024:6.2f}"
            f"  {slope:>7}  {mslope:>14}  {io:6.2f}/{main_ms:5.2f}/{total:6.2f}"
            f"  {med([j['members_sum_ms'] for j in joins]):6.1f}"
            f"  {new_io:6.1f}/{new_main:5.1f}/{med([j['newcomer_ms'] for j in joins]):6.1f}"
        )


if __name__ == "__main__":
    sys.exit(main())
