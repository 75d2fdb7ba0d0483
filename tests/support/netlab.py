"""Private multi-host networks for the network tests and the benchmarks.

A `Lab` builds a throw-away network out of Linux network namespaces:

- one *switch* namespace that holds a Linux bridge (``br0``), so nothing is ever attached to the
  machine's real interfaces or to a bridge of the root namespace;
- one namespace per host, each with ``lo`` up and a veth (``eth0`` inside the host, ``v<i>`` on
  the switch side) plugged into the bridge.

Addressing: every host of a lab sits on one /24 inside the benchmarking range 198.18.0.0/15. The
default subnet is 198.18.0.0/24 and host *i* (1-based) gets 198.18.0.<i>. Two labs never share a
bridge, so they may reuse the same subnet. Multicast works across the bridge (``multicast on``,
snooping off, a 224.0.0.0/4 route through ``eth0``), which is what mDNS needs. IPv6 is disabled in
every namespace so that no traffic leaves the benchmarking range, not even link-local chatter.

Impairment: `Lab.impair` makes the network lossy and slow. This kernel has no netem qdisc (nor fq,
etf or NFQUEUE), so nothing can delay a packet inside the kernel; instead the switch ports leave
the bridge and a userspace switch (tests/support/impair.py) forwards between them, dropping and
delaying frames. `Lab.clear_impairment` stops it and plugs the ports back into the bridge.

Cleanup always runs: on leaving the ``with`` block, on exceptions, on SIGINT and on SIGTERM (turned
into ``SystemExit`` while the lab is open) and at interpreter exit. It kills every process started
through the lab (each one leads its own process group), then every process still inside the lab's
namespaces, then deletes the namespaces, which removes their veths and the bridge with them.
`sweep_stale` removes what a crashed run left behind.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import ipaddress
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any, Self

__all__ = [
    "BENCH_NETWORK",
    "Event",
    "EventStream",
    "Host",
    "Lab",
    "LabError",
    "netns_available",
    "require_netns",
    "require_private_loopback",
    "single_host_argv",
    "sweep_stale",
]

BENCH_NETWORK = ipaddress.IPv4Network("198.18.0.0/15")
"""The only range lab hosts are ever addressed in (RFC 2544 benchmarking)."""

_PREFIX_ROOT = "hw"
_NETNS_DIR = Path("/run/netns")
_HOST_IFACE = "eth0"
_BRIDGE = "br0"
_CMD_TIMEOUT = 30.0
_TERM_GRACE = 2.0
_IMPAIR_SCRIPT = Path(__file__).with_name("impair.py")
_IMPAIR_READY_TIMEOUT = 15.0

Event = dict[str, Any]


class LabError(RuntimeError):
    """A lab operation failed; the message carries the command and its stderr."""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return _run(["ip", *args], check=check)


def _ip_batch(ns: str, commands: Sequence[str]) -> None:
    """Run `ip` commands in `ns` from one process."""
    argv = ["ip", "-n", ns, "-batch", "-"]
    text = "\n".join(commands) + "\n"
    res = subprocess.run(
        argv, input=text, capture_output=True, text=True, timeout=_CMD_TIMEOUT, check=False
    )
    if res.returncode != 0:
        raise LabError(f"ip -n {ns} -batch failed: {res.stderr.strip()}")


def _run(argv: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        list(argv), capture_output=True, text=True, check=False, timeout=_CMD_TIMEOUT
    )
    if check and proc.returncode != 0:
        raise LabError(f"{' '.join(argv)!r} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


def _list_netns() -> list[str]:
    # `ip netns list` prints "name (id: 3)"; the directory is simpler and needs no parsing.
    try:
        return sorted(p.name for p in _NETNS_DIR.iterdir())
    except FileNotFoundError:
        return []


def _netns_pids(ns: str) -> list[int]:
    proc = _ip("netns", "pids", ns, check=False)
    return [int(tok) for tok in proc.stdout.split() if tok.isdigit()]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_netns_processes(ns: str) -> None:
    pids = _netns_pids(ns)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + _TERM_GRACE
        # Processes that are not our children cannot be waited on; /proc is the only way to see
        # them go, so this one loop polls. It runs only during teardown.
        while pids and time.monotonic() < deadline:
            pids = [pid for pid in pids if _pid_alive(pid) and not _is_zombie(pid)]
            if pids:
                time.sleep(0.02)
        if not pids:
            return


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def _delete_netns(ns: str) -> None:
    _kill_netns_processes(ns)
    _ip("netns", "delete", ns, check=False)


@functools.cache
def netns_available() -> tuple[bool, str]:
    """Whether this process can build labs, and why not when it cannot."""
    if os.geteuid() != 0:
        return False, "network namespaces need root (run as root, or in CI)"
    for tool in ("ip", "unshare"):
        if _run(["sh", "-c", f"command -v {tool}"], check=False).returncode != 0:
            return False, f"{tool!r} is not installed"
    probe = f"{_PREFIX_ROOT}{os.getpid()}-probe"
    try:
        made = _ip("netns", "add", probe, check=False)
        if made.returncode != 0:
            return False, f"'ip netns add' failed: {made.stderr.strip()}"
        veth = _ip("-n", probe, "link", "add", "p0", "type", "veth", "peer", "name", "p1",
                   check=False)  # fmt: skip
        if veth.returncode != 0:
            return False, f"veth pairs are not available: {veth.stderr.strip()}"
        bridge = _ip("-n", probe, "link", "add", "b0", "type", "bridge", check=False)
        if bridge.returncode != 0:
            return False, f"bridges are not available: {bridge.stderr.strip()}"
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"cannot run 'ip': {exc}"
    finally:
        _ip("netns", "delete", probe, check=False)
    return True, "ok"


def require_netns() -> None:
    """Skip the calling test when labs cannot be built, or fail it under HALLWAY_REQUIRE_NETNS=1."""
    import pytest

    ok, why = netns_available()
    if ok:
        return
    if os.environ.get("HALLWAY_REQUIRE_NETNS") == "1":
        pytest.fail(f"HALLWAY_REQUIRE_NETNS=1 but network namespaces are unavailable: {why}")
    pytest.skip(f"network namespaces are unavailable: {why}")


def require_private_loopback() -> None:
    """Skip (or fail, under HALLWAY_REQUIRE_NETNS=1) unless this process is in a network
    namespace of its own with only `lo`, as tests/run arranges: tests that bind 127.0.0.1 in the
    test process itself (in-process nodes, the demo) may then send nothing anywhere else."""
    import socket

    import pytest

    require_netns()
    if [name for _, name in socket.if_nameindex()] == ["lo"]:
        return
    message = "this test needs pytest inside a network namespace of its own (see tests/run)"
    if os.environ.get("HALLWAY_REQUIRE_NETNS") == "1":
        pytest.fail(message)
    pytest.skip(message)


def single_host_argv(argv: Sequence[str]) -> list[str]:
    """Wrap `argv` to run in a fresh, private network namespace holding only ``lo`` (up).

    The namespace lives as long as the command: it needs no cleanup. python-zeroconf pinned to
    127.0.0.1 works in it.
    """
    return ["unshare", "--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *argv]


def sweep_stale(prefix: str = _PREFIX_ROOT) -> list[str]:
    """Delete namespaces left by crashed labs and return their names.

    Only namespaces whose name starts with `prefix` and follows the lab pattern
    (``hw<pid>-<hex>-...``) are touched, and only when the process that made them is gone, so
    labs of concurrent runs survive. Pass a lab's full prefix to remove that lab regardless.
    """
    pattern = re.compile(rf"^{re.escape(_PREFIX_ROOT)}(\d+)-([0-9a-f]+|probe|nprobe)(-|$)")
    removed = []
    for ns in _list_netns():
        match = pattern.match(ns)
        if not ns.startswith(prefix) or match is None:
            continue
        exact = prefix != _PREFIX_ROOT and (ns == prefix or ns.startswith(prefix + "-"))
        if not exact and _pid_alive(int(match.group(1))):
            continue
        _delete_netns(ns)
        removed.append(ns)
    return removed


class Host:
    """One machine of a lab: a network namespace with ``lo`` and ``eth0`` on the lab's bridge."""

    def __init__(self, lab: Lab, index: int, ns: str, address: str, prefixlen: int) -> None:
        self.lab = lab
        self.index = index
        self.name = f"h{index}"
        self.ns = ns
        self.address = address
        self.prefixlen = prefixlen
        self.iface = _HOST_IFACE
        self.switch_port = f"v{index}"
        self.mac = f"02:48:57:00:{index >> 8 & 0xFF:02x}:{index & 0xFF:02x}"  # locally administered

    def __repr__(self) -> str:
        return f"Host({self.name}, ns={self.ns}, address={self.address})"

    def argv(self, argv: Sequence[str]) -> list[str]:
        """`argv` wrapped to run inside this host's namespace."""
        return ["ip", "netns", "exec", self.ns, *argv]

    def popen(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        stdin: int | IO[Any] | None = subprocess.DEVNULL,
        stdout: int | IO[Any] | None = None,
        stderr: int | IO[Any] | None = None,
        text: bool = True,
        cwd: str | os.PathLike[str] | None = None,
    ) -> subprocess.Popen[str]:
        """Start `argv` in this host, as the leader of a new process group owned by the lab.

        ``ip netns exec`` execs the command, so the returned pid is the command's own.
        """
        return self.lab.track(
            subprocess.Popen(
                self.argv(argv),
                env=None if env is None else dict(env),
                stdin=stdin,
                stdout=stdout,
                stderr=stderr,
                text=text,
                cwd=cwd,
                start_new_session=True,
                bufsize=1 if text else -1,
            )
        )

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        timeout: float = _CMD_TIMEOUT,
        input_text: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `argv` in this host to completion and capture its output."""
        return subprocess.run(
            self.argv(argv),
            env=None if env is None else dict(env),
            input=input_text,
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
            start_new_session=True,
        )

    def link_down(self) -> None:
        """Pull the cable: the switch port goes down and ``eth0`` loses its carrier."""
        _ip("-n", self.lab.switch_ns, "link", "set", self.switch_port, "down")

    def link_up(self) -> None:
        """Plug the cable back in."""
        _ip("-n", self.lab.switch_ns, "link", "set", self.switch_port, "up")
        self._routes()

    def remove_address(self) -> None:
        """Take ``eth0``'s address away (a lease lost, Wi-Fi gone): the host is unreachable and
        has no IPv4 address but loopback. The kernel drops every route through ``eth0`` with
        its last address, multicast's included, and its neighbour entries; `assign_address`
        puts them back. The other hosts forget where the old address was."""
        _ip("-n", self.ns, "addr", "del", f"{self.address}/{self.prefixlen}", "dev", self.iface)
        self.lab._forget_address(self)

    def assign_address(self, address: str) -> None:
        """Give ``eth0`` a new address (a new lease, another network): from now on the host
        is `address`. Take the old one away first with `remove_address`."""
        if ipaddress.IPv4Address(address) not in self.lab.network:
            raise LabError(f"{address} is not in the lab's network {self.lab.network}")
        _ip("-n", self.ns, "addr", "add", f"{address}/{self.prefixlen}", "dev", self.iface)
        self.address = address
        self._routes()
        self.lab._introduce([self])

    def _routes(self) -> None:
        # Without a default route, multicast needs its own route or sendto() fails with
        # ENETUNREACH.
        _ip("-n", self.ns, "route", "replace", "224.0.0.0/4", "dev", self.iface)


class Lab:
    """A private network of namespace hosts on one bridge; use it as a context manager."""

    def __init__(self, subnet: str = "198.18.0.0/24") -> None:
        network = ipaddress.IPv4Network(subnet)
        if not network.subnet_of(BENCH_NETWORK):
            raise ValueError(f"lab subnets must lie inside {BENCH_NETWORK}, not {network}")
        self.network = network
        self.prefix = f"{_PREFIX_ROOT}{os.getpid()}-{secrets.token_hex(2)}"
        self.switch_ns = f"{self.prefix}-sw"
        self.hosts: list[Host] = []
        self._namespaces: list[str] = []
        self._procs: list[subprocess.Popen[Any]] = []
        self._lock = threading.Lock()
        self._closed = False
        self._saved_handlers: dict[int, Any] = {}
        self._switch: tuple[subprocess.Popen[str], EventStream] | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self._install_signal_handlers()
        atexit.register(self.close)
        try:
            self._add_netns(self.switch_ns)
            _ip("-n", self.switch_ns, "link", "add", _BRIDGE, "type", "bridge")
            _run(["ip", "netns", "exec", self.switch_ns, "sh", "-c",
                  f"echo 0 > /sys/class/net/{_BRIDGE}/bridge/multicast_snooping"])  # fmt: skip
            _ip("-n", self.switch_ns, "link", "set", _BRIDGE, "multicast", "on", "up")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Kill every process of the lab and delete its namespaces. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            self._kill_tracked()
            for ns in reversed(self._namespaces):
                _delete_netns(ns)
            sweep_stale(self.prefix)
            self._close_pipes()
        finally:
            self._restore_signal_handlers()
            atexit.unregister(self.close)

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def on_signal(signum: int, frame: FrameType | None) -> None:
            raise SystemExit(128 + signum)

        # SIGINT already raises KeyboardInterrupt; SIGTERM and SIGHUP would end the process
        # without unwinding, leaving namespaces and processes behind.
        for signum in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(signum) is signal.SIG_DFL:
                self._saved_handlers[signum] = signal.signal(signum, on_signal)

    def _restore_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum, handler in self._saved_handlers.items():
            signal.signal(signum, handler)
        self._saved_handlers.clear()

    # -- building ------------------------------------------------------------------------------

    def _add_netns(self, ns: str) -> None:
        _ip("netns", "add", ns)
        self._namespaces.append(ns)
        disable = "for f in all default; do echo 1 > /proc/sys/net/ipv6/conf/$f/disable_ipv6; done"
        _run(["ip", "netns", "exec", ns, "sh", "-c", disable])
        _ip("-n", ns, "link", "set", "lo", "up")

    def add_host(self) -> Host:
        """Add a host on the bridge, with address ``<subnet>.<i>`` for the i-th host (from 1)."""
        return self.add_hosts(1)[0]

    def add_hosts(self, count: int) -> list[Host]:
        if self._closed or not self._namespaces:
            raise LabError("add hosts inside the lab's `with` block")
        if self._switch is not None:
            raise LabError("add hosts before impair(), or after clear_impairment()")
        added = [self._new_host() for _ in range(count)]
        self._introduce(added)
        return added

    def _new_host(self) -> Host:
        index = len(self.hosts) + 1
        if index >= self.network.num_addresses - 1:
            raise LabError(f"{self.network} has no room for host {index}")
        ns = f"{self.prefix}-h{index}"
        host = Host(self, index, ns, str(self.network[index]), self.network.prefixlen)
        self._add_netns(ns)
        sw = ("-n", self.switch_ns)
        # The pair is made inside the switch namespace and one end moved straight into the host:
        # neither end ever exists in the root namespace.
        _ip(*sw, "link", "add", host.switch_port, "type", "veth", "peer", "name", host.iface,
            "address", host.mac, "netns", ns)  # fmt: skip
        _ip(*sw, "link", "set", host.switch_port, "master", _BRIDGE, "multicast", "on", "up")
        _run(["ip", "netns", "exec", ns, "sh", "-c",
              f"echo 1 > /proc/sys/net/ipv6/conf/{host.iface}/disable_ipv6"])  # fmt: skip
        _ip("-n", ns, "addr", "add", f"{host.address}/{host.prefixlen}", "dev", host.iface)
        _ip("-n", ns, "link", "set", host.iface, "multicast", "on", "up")
        host._routes()
        self.hosts.append(host)
        return host

    def _introduce(self, hosts: Sequence[Host]) -> None:
        """Tell `hosts` where every other host is, and every other host where they are, as
        permanent neighbour (ARP) entries.

        The kernel's neighbour table is one for the whole machine, all namespaces together, and
        keeps at most 1,024 learned entries (gc_thresh3). A mesh of n hosts learns about n * n,
        so a lab of 33 hosts, or two labs of 25 at once (a bench next to a test run), filled it:
        "neighbor table overflow" in the kernel log, and some pairs of hosts never reached each
        other while multicast still flowed. Permanent entries do not count against that limit,
        need no sysctl (which cannot be set from inside `unshare --net`), and touch no other lab.
        """
        new = set(hosts)
        for host in self.hosts:
            known = self.hosts if host in new else hosts
            entries = [
                f"neigh replace {other.address} lladdr {other.mac} dev {host.iface} nud permanent"
                for other in known
                if other is not host
            ]
            if entries:
                _ip_batch(host.ns, entries)

    def _forget_address(self, moved: Host) -> None:
        for host in self.hosts:
            if host is not moved:
                _ip("-n", host.ns, "neigh", "del", moved.address, "dev", host.iface, check=False)

    def spare_address(self) -> str:
        """An address of the lab's network that no host has, counted down from the top (hosts
        are numbered up from the bottom): where `Host.assign_address` can move a host."""
        taken = {host.address for host in self.hosts}
        for index in range(self.network.num_addresses - 2, len(self.hosts), -1):
            candidate = str(self.network[index])
            if candidate not in taken:
                return candidate
        raise LabError(f"{self.network} has no spare address")

    # -- impairment ----------------------------------------------------------------------------

    @property
    def impaired(self) -> bool:
        return self._switch is not None

    def impair(
        self, loss_pct: float, delay_ms: float, jitter_ms: float = 0.0, seed: int | None = None
    ) -> Event:
        """Make every link lossy and slow, until `clear_impairment` (or the lab's close).

        Each frame a host sends is dropped with probability `loss_pct` %, or else delayed by a
        time drawn uniformly from ``[delay_ms - jitter_ms, delay_ms + jitter_ms]`` (never below
        zero), as netem's ``loss L% delay Dms Jms`` on every host's egress would: a round trip
        crosses two delays, and with jitter frames are reordered. The ports leave the bridge
        and the userspace switch of tests/support/impair.py forwards between them (the kernel
        here has no netem). Calling it again replaces the impairment. Returns the switch's
        ready line; `seed` makes its loss and delays reproducible.
        """
        if self._closed or not self._namespaces:
            raise LabError("impair the lab inside its `with` block")
        if len(self.hosts) < 2:
            raise LabError("impairment needs two hosts or more")
        if self._switch is not None:
            self._stop_switch()
        ports = [host.switch_port for host in self.hosts]
        for port in ports:
            _ip("-n", self.switch_ns, "link", "set", port, "nomaster")
        argv = [
            "ip", "netns", "exec", self.switch_ns, sys.executable, str(_IMPAIR_SCRIPT),
            "--ports", ",".join(ports), "--loss", str(loss_pct), "--delay", str(delay_ms),
            "--jitter", str(jitter_ms),
        ]  # fmt: skip
        if seed is not None:
            argv += ["--seed", str(seed)]
        proc: subprocess.Popen[str] = self.track(
            subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
                bufsize=1,
            )
        )
        assert proc.stdout is not None
        events = EventStream(proc.stdout, label="impaired switch")
        self._switch = (proc, events)
        try:
            return events.wait_for(lambda e: e["type"] == "ready", _IMPAIR_READY_TIMEOUT)
        except TimeoutError as exc:
            _killpg(proc, signal.SIGKILL)
            proc.wait()
            assert proc.stderr is not None
            why = proc.stderr.read().strip()
            self._stop_switch()
            self._attach(ports)
            raise LabError(f"the impaired switch did not start: {why}") from exc

    def clear_impairment(self) -> Event | None:
        """Stop the impaired switch and plug the ports back into the bridge.

        Returns the switch's final stats (``frames_in``, ``frames_out``, ``dropped``,
        ``mean_delay_ms``...), or None when the lab was not impaired.
        """
        if self._switch is None:
            return None
        stats = self._stop_switch()
        self._attach([host.switch_port for host in self.hosts])
        return stats

    def _stop_switch(self) -> Event | None:
        assert self._switch is not None
        proc, events = self._switch
        self._switch = None
        _killpg(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=_CMD_TIMEOUT)
        except subprocess.TimeoutExpired:
            _killpg(proc, signal.SIGKILL)
            proc.wait()
        events.close()
        with contextlib.suppress(OSError, ValueError):
            if proc.stderr is not None:
                proc.stderr.close()
        return events.find(lambda e: e["type"] == "stats")

    def _attach(self, ports: Sequence[str]) -> None:
        for port in ports:
            _ip("-n", self.switch_ns, "link", "set", port, "master", _BRIDGE)

    # -- processes -----------------------------------------------------------------------------

    def track(self, proc: subprocess.Popen[Any]) -> subprocess.Popen[Any]:
        """Adopt `proc` (a process-group leader) so that the lab kills it on close."""
        with self._lock:
            if self._closed:
                _killpg(proc, signal.SIGKILL)
                raise LabError("the lab is closed")
            self._procs.append(proc)
        return proc

    def _kill_tracked(self) -> None:
        procs = list(self._procs)
        for proc in procs:
            if proc.poll() is None:
                _killpg(proc, signal.SIGTERM)
        deadline = time.monotonic() + _TERM_GRACE
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            # The leader may be gone while its group lives on: always sweep the group.
            _killpg(proc, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=_TERM_GRACE)

    def _close_pipes(self) -> None:
        # Only once every process of the namespaces is gone: closing a pipe that a reader thread
        # is blocked on waits for that read to end.
        for proc in self._procs:
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream is not None:
                    with contextlib.suppress(OSError, ValueError):
                        stream.close()


def _killpg(proc: subprocess.Popen[Any], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


class EventStream:
    """Collects a process's NDJSON output on a background thread.

    Lines that are not JSON objects are kept as ``{"type": "_raw", "line": ...}`` so that a
    timeout message shows them. `wait_for` blocks on a condition variable: it never polls.
    """

    def __init__(self, stream: IO[str], *, label: str = "", keep_tail: int = 8) -> None:
        self.label = label
        self.events: list[Event] = []
        self._stream = stream
        self._cond = threading.Condition()
        self._eof = False
        self._keep_tail = keep_tail
        self._thread = threading.Thread(target=self._pump, name=f"events-{label}", daemon=True)
        self._thread.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _pump(self) -> None:
        try:
            for line in self._stream:
                stripped = line.strip()
                if not stripped:
                    continue
                try:
                    event = json.loads(stripped)
                except ValueError:
                    event = None
                if not isinstance(event, dict):
                    event = {"type": "_raw", "line": stripped}
                with self._cond:
                    self.events.append(event)
                    self._cond.notify_all()
        except (OSError, ValueError):
            pass  # the stream was closed under us: that is how close() stops the thread
        finally:
            with self._cond:
                self._eof = True
                self._cond.notify_all()

    @property
    def ended(self) -> bool:
        with self._cond:
            return self._eof

    def snapshot(self) -> list[Event]:
        with self._cond:
            return list(self.events)

    def find(self, predicate: Callable[[Event], bool], start: int = 0) -> Event | None:
        with self._cond:
            return next((e for e in self.events[start:] if predicate(e)), None)

    def wait_for(
        self, predicate: Callable[[Event], bool], timeout: float, *, start: int = 0
    ) -> Event:
        """Return the first event from index `start` on that matches, waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        scanned = start
        with self._cond:
            while True:
                for event in self.events[scanned:]:
                    if predicate(event):
                        return event
                scanned = max(scanned, len(self.events))
                remaining = deadline - time.monotonic()
                if self._eof or remaining <= 0:
                    break
                self._cond.wait(remaining)
            tail = self.events[-self._keep_tail :]
            why = "the stream ended" if self._eof else f"{timeout:.1f} s passed"
        lines = "\n  ".join(json.dumps(e, sort_keys=True) for e in tail) or "(no events)"
        raise TimeoutError(f"{self.label or 'stream'}: no matching event, {why}; last:\n  {lines}")

    def wait_count(
        self, predicate: Callable[[Event], bool], count: int, timeout: float
    ) -> list[Event]:
        """Wait until `count` events match; return them all."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [e for e in self.events if predicate(e)]
                remaining = deadline - time.monotonic()
                if len(found) >= count or self._eof or remaining <= 0:
                    break
                self._cond.wait(remaining)
        if len(found) < count:
            raise TimeoutError(f"{self.label or 'stream'}: {len(found)} of {count} events matched")
        return found

    def close(self, timeout: float = 5.0) -> None:
        """Wait for the reader thread to finish, once the process has exited.

        The stream is not closed here: closing a buffered file that another thread is reading
        blocks on its lock. Killing the process (or closing the lab) ends the stream instead.
        """
        self._thread.join(timeout=timeout)
        if not self._thread.is_alive():
            with contextlib.suppress(OSError, ValueError):
                self._stream.close()
