"""Routed offices for the network tests: several lab subnets joined by a router namespace.

A `Subnets` lab is one `netlab.Lab` per subnet (each its own switch namespace and bridge, hosts
``<subnet>.1``, ``.2``...) plus one *router* namespace with a leg on every bridge:

- the router's leg on subnet *i* is ``r<i>`` (address ``<subnet>.254``; the switch side is
  ``rt`` on that subnet's bridge), and it forwards unicast IPv4 between its legs;
- it forwards no multicast: Linux routes multicast only with a multicast routing daemon, and
  none runs here (224.0.0.251, mDNS, is link-local anyway), so every subnet is its own mDNS link;
- every host gets a route to the whole benchmarking range (198.18.0.0/15) through its subnet's
  router leg, and with ``default_route=True`` a default route through it as well. Its multicast
  route (netlab's 224.0.0.0/4 through ``eth0``) stays, so mDNS goes out on its own link.

`Subnets.start_reflector` runs avahi-daemon in the router with ``enable-reflector=yes`` on its
legs: what a router's mDNS repeater does. avahi-daemon hard-codes its pid file and socket under
/run/avahi-daemon and refuses to start when the pid file names a live process, so it runs in a
mount namespace of its own whose /run is a fresh tmpfs (``ip netns exec`` already makes the
namespace; mounts there never reach the machine's). It reads its own config file, has no D-Bus
(``enable-dbus=no``), keeps root (``--no-drop-root``: no avahi user or chroot needed) and logs
to stderr. One instance per router; several labs may each run theirs at once. Debian package:
``avahi-daemon`` (packaging/bootstrap already installs it with ``--test``).

Cleanup: the router's processes are tracked by the first subnet's lab, so closing the labs kills
them; then every namespace (router last) is deleted with its veths and bridges. The router's
namespace is named like a lab's (``hw<pid>-<hex>-rt``), so `netlab.sweep_stale` removes it after
a crash too. Nothing touches the machine's own interfaces.
"""

from __future__ import annotations

import atexit
import contextlib
import ipaddress
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from tests.support.netlab import (
    _PREFIX_ROOT,
    BENCH_NETWORK,
    EventStream,
    Host,
    Lab,
    LabError,
    _delete_netns,
    _ip,
    _run,
    sweep_stale,
)

__all__ = ["DEFAULT_SUBNETS", "ROUTER_HOST", "Reflector", "Subnets", "avahi_missing"]

DEFAULT_SUBNETS = ("198.18.1.0/24", "198.18.2.0/24", "198.18.3.0/24")
ROUTER_HOST = 254
"""The router's host number on every subnet: ``198.18.1.254`` and so on."""

_SWITCH_LEG = "rt"
_REFLECTOR_READY = "Server startup complete"
_REFLECTOR_TIMEOUT = 20.0

_AVAHI_CONF = """\
[server]
host-name=hallway-reflector
use-ipv4=yes
use-ipv6=no
allow-interfaces={interfaces}
enable-dbus=no
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
disable-publishing=yes
disable-user-service-publishing=yes
publish-addresses=no
publish-hinfo=no
publish-workstation=no
[reflector]
enable-reflector=yes
reflect-ipv=no
"""

# /run becomes a private tmpfs: avahi-daemon's pid file and socket are fixed under it.
_AVAHI_SETUP = 'mount -t tmpfs hallway-run /run && mkdir -p /run/avahi-daemon && exec "$@"'


def avahi_missing() -> str | None:
    """Why the reflector cannot run here (None when it can)."""
    if shutil.which("avahi-daemon") is None:
        return "avahi-daemon is not installed (Debian package avahi-daemon)"
    return None


class Reflector:
    """avahi-daemon reflecting mDNS between the router's legs; stopped by `stop` or the lab."""

    def __init__(self, proc: subprocess.Popen[str], log: EventStream, conf_dir: Path) -> None:
        self.proc = proc
        self.log = log
        self._conf_dir = conf_dir

    def lines(self) -> list[str]:
        """What avahi-daemon has logged so far."""
        return [str(e.get("line", "")) for e in self.log.snapshot()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self._conf_dir, ignore_errors=True)


class Subnets:
    """Several lab subnets joined by a router that forwards unicast only; a context manager."""

    def __init__(
        self, subnets: Sequence[str] = DEFAULT_SUBNETS, *, default_route: bool = False
    ) -> None:
        networks = [ipaddress.IPv4Network(s) for s in subnets]
        if len(networks) < 2:
            raise ValueError("a routed lab needs two subnets or more")
        for network in networks:
            if not network.subnet_of(BENCH_NETWORK):
                raise ValueError(f"lab subnets must lie inside {BENCH_NETWORK}, not {network}")
            if network.num_addresses <= ROUTER_HOST + 1:
                raise ValueError(f"{network} is too small: the router is host {ROUTER_HOST}")
        if any(a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1 :]):
            raise ValueError("routed subnets must not overlap")
        self.networks = networks
        self.default_route = default_route
        self.labs = [Lab(str(network)) for network in networks]
        self.prefix = f"{_PREFIX_ROOT}{os.getpid()}-{secrets.token_hex(2)}"
        self.router_ns = f"{self.prefix}-rt"
        self.router_legs = [f"r{i + 1}" for i in range(len(networks))]
        self.router_addresses = [str(network[ROUTER_HOST]) for network in networks]
        self.reflector: Reflector | None = None
        self._router_made = False
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> Self:
        atexit.register(self.close)
        try:
            for lab in self.labs:
                lab.__enter__()
            self._make_router()
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
        """Stop the reflector, close every lab, delete the router. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            if self.reflector is not None:
                self.reflector.stop()
            for lab in reversed(self.labs):
                lab.close()
            if self._router_made:
                _delete_netns(self.router_ns)
            sweep_stale(self.prefix)
        finally:
            atexit.unregister(self.close)

    # -- building ------------------------------------------------------------------------------

    def _make_router(self) -> None:
        ns = self.router_ns
        _ip("netns", "add", ns)
        self._router_made = True
        quiet = "for f in all default; do echo 1 > /proc/sys/net/ipv6/conf/$f/disable_ipv6; done"
        _run(["ip", "netns", "exec", ns, "sh", "-c", quiet])
        # A new namespace starts with forwarding off whatever the machine's setting.
        _run(["ip", "netns", "exec", ns, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"])
        _ip("-n", ns, "link", "set", "lo", "up")
        for lab, leg, address in zip(
            self.labs, self.router_legs, self.router_addresses, strict=True
        ):
            sw = ("-n", lab.switch_ns)
            # Made in the switch namespace with one end moved straight into the router: neither
            # end ever exists in the root namespace (as netlab does for hosts).
            _ip(*sw, "link", "add", _SWITCH_LEG, "type", "veth", "peer", "name", leg, "netns", ns)
            _ip(*sw, "link", "set", _SWITCH_LEG, "master", "br0", "multicast", "on", "up")
            _ip("-n", ns, "addr", "add", f"{address}/{lab.network.prefixlen}", "dev", leg)
            _ip("-n", ns, "link", "set", leg, "multicast", "on", "up")

    def add_host(self, subnet: int) -> Host:
        """Add a host on subnet `subnet` (0-based), routed to the others through the router."""
        lab = self.labs[subnet]
        host = lab.add_host()
        self.route(host)
        return host

    def add_hosts(self, subnet: int, count: int) -> list[Host]:
        return [self.add_host(subnet) for _ in range(count)]

    def route(self, host: Host) -> None:
        """(Re)install `host`'s routes through the router: after `Host.assign_address`, which
        restores only the multicast route (the kernel drops gateway routes with the address)."""
        gateway = self.router_addresses[self.labs.index(host.lab)]
        _ip("-n", host.ns, "route", "replace", str(BENCH_NETWORK), "via", gateway)
        if self.default_route:
            _ip("-n", host.ns, "route", "replace", "default", "via", gateway)

    def subnet_of(self, host: Host) -> int:
        return self.labs.index(host.lab)

    def spare_address(self, subnet: int) -> str:
        """An address of subnet `subnet` that neither a host nor the router has."""
        lab = self.labs[subnet]
        taken = {host.address for host in lab.hosts} | {self.router_addresses[subnet]}
        for index in range(lab.network.num_addresses - 2, len(lab.hosts), -1):
            candidate = str(lab.network[index])
            if candidate not in taken:
                return candidate
        raise LabError(f"{lab.network} has no spare address")

    @property
    def hosts(self) -> list[Host]:
        return [host for lab in self.labs for host in lab.hosts]

    def router_argv(self, argv: Sequence[str]) -> list[str]:
        """`argv` wrapped to run inside the router's namespace."""
        return ["ip", "netns", "exec", self.router_ns, *argv]

    # -- the mDNS reflector ----------------------------------------------------------------------

    def start_reflector(self, subnets: Sequence[int] | None = None) -> Reflector:
        """Run avahi-daemon with ``enable-reflector=yes`` on the router's legs to `subnets`
        (all by default); returns once it has started. Raises LabError when it cannot."""
        if self._closed or not self._router_made:
            raise LabError("start the reflector inside the lab's `with` block")
        if self.reflector is not None:
            raise LabError("the reflector is running already")
        missing = avahi_missing()
        if missing is not None:
            raise LabError(missing)
        chosen = range(len(self.labs)) if subnets is None else subnets
        legs = ",".join(self.router_legs[i] for i in chosen)
        conf_dir = Path(tempfile.mkdtemp(prefix=f"{self.prefix}-avahi-"))
        conf = conf_dir / "avahi-daemon.conf"
        conf.write_text(_AVAHI_CONF.format(interfaces=legs))
        argv = self.router_argv([
            "unshare", "--mount", "--propagation", "private", "--", "sh", "-c", _AVAHI_SETUP,
            "sh", "avahi-daemon", "-f", str(conf), "--no-drop-root", "--no-chroot",
            "--no-rlimits", "--no-proc-title",
        ])  # fmt: skip
        proc: subprocess.Popen[str] = self.labs[0].track(
            subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
                bufsize=1,
            )
        )
        assert proc.stderr is not None
        log = EventStream(proc.stderr, label="avahi-daemon", keep_tail=20)
        reflector = Reflector(proc, log, conf_dir)
        try:
            log.wait_for(lambda e: _REFLECTOR_READY in str(e.get("line", "")), _REFLECTOR_TIMEOUT)
        except TimeoutError as exc:
            reflector.stop()
            raise LabError(f"avahi-daemon did not start: {exc}") from exc
        self.reflector = reflector
        return reflector

    def stop_reflector(self) -> None:
        if self.reflector is not None:
            reflector, self.reflector = self.reflector, None
            with contextlib.suppress(OSError):
                reflector.stop()
