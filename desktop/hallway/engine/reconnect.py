"""Waking from sleep and network changes: the actor's part that notices them and reconnects.

The kernel's address and link changes come on an rtnetlink socket and logind's
`PrepareForSleep` on the system bus (`net/netwatch.py`), both polled by the loop next to the
zmq sockets. After a wake-up at once, after a change NET_SETTLE later, the node listens on the
machine's addresses now (when it follows them: no `--interface`), announces them again and opens
every link again (`Linking._relink_all`): docs/ARCHITECTURE.md, decision 15.
"""

from __future__ import annotations

import logging
import threading

from hallway.engine.state import EngineState
from hallway.net.interfaces import list_ipv4
from hallway.net.netwatch import AddressWatch, SleepWatch
from hallway.net.sockets import bind_more, unbind_from

_log = logging.getLogger("hallway.engine")

# The kernel reports a move (an address removed, another added, routes, the carrier) as a burst
# of messages within a few milliseconds; the network is looked at once, this long after the first.
NET_SETTLE = 0.15


class Reconnect(EngineState):
    """Watch for sleep and network changes, and reconnect after them."""

    # Class defaults: the engine's unit tests build actors by hand.
    follow = False
    netwatch: AddressWatch | None = None
    sleepwatch: SleepWatch | None = None
    sleep_lock: threading.Lock
    sleep_pending: SleepWatch | None  # connected, not yet taken by the engine thread
    stopping: bool  # close() has begun: the sleep watch's thread must not wake us any more
    net_check_at: float | None = None  # when to look at the network again (after a change)

    def _open_netwatch(self) -> None:
        """Watch the kernel's address changes now, and logind's signal once a thread has
        connected to the system bus (it may take a second or more to answer, or not be there)."""
        threading.Thread(target=self._connect_sleepwatch, name="hallway-sleep", daemon=True).start()
        self.netwatch = AddressWatch.open()
        if self.netwatch is not None:
            # By descriptor: zmq's poller reports plain sockets by theirs, not by the object.
            self._watch(self.netwatch.fileno(), self._on_netlink)

    def _connect_sleepwatch(self) -> None:
        """On a thread of its own; hands the watch over under the lock close() takes, so that
        nothing writes to the wake-up pipe once it may be closed."""
        watch = SleepWatch.connect()
        if watch is None:
            return
        with self.sleep_lock:
            if self.stopping:
                watch.close()
                return
            self.sleep_pending = watch
            self._post_from_thread(("sleepwatch", None))

    def _on_sleepwatch(self) -> None:
        with self.sleep_lock:
            watch, self.sleep_pending = self.sleep_pending, None
        if watch is not None:
            self.sleepwatch = watch
            self._watch(watch.fileno(), self._on_sleep_signal)

    def _on_sleep_signal(self) -> None:
        watch = self.sleepwatch
        assert watch is not None
        for going in watch.read():
            if going:
                _log.debug("the machine is going to sleep")
            else:
                _log.debug("the machine woke up: looking at the network again")
                self._net_changed(settle=0.0)
        if watch.closed:  # the bus went away (restarted): waking is noticed by timeouts now
            self._unwatch(watch.fileno())
            watch.close()
            self.sleepwatch = None

    def _on_netlink(self) -> None:
        assert self.netwatch is not None
        if self.netwatch.read():
            self._net_changed(settle=NET_SETTLE)

    def _net_changed(self, *, settle: float) -> None:
        """Look at the network soon: a burst of changes is looked at once."""
        at = self.clock() + settle
        if self.net_check_at is None or at < self.net_check_at:
            self.net_check_at = at

    def _net_check(self) -> None:
        """After waking up or a network change: listen on the addresses we have now (when they
        follow the machine's), announce them, and open every link again, so that both sides
        reconnect at once instead of when libzmq's heartbeats and back-off notice."""
        self.net_check_at = None
        present = list_ipv4()
        if self.follow:
            if not present:
                return  # no network yet: its arrival is the next change
            if set(present) != set(self.addresses):
                self._rebind(tuple(present))
        elif not set(self.addresses) & set(list_ipv4(include_loopback=True)):
            return  # our chosen addresses are not back yet
        _log.info("network changed: announcing %s and linking again", ", ".join(self.addresses))
        self.discovery.reannounce(self.addresses)
        self._relink_all()

    def _rebind(self, present: tuple[str, ...]) -> None:
        """Listen on the addresses that came (with the same ports, so peers that know them
        need nothing else) and stop listening on those that went."""
        added = [a for a in present if a not in self.addresses]
        gone = [a for a in self.addresses if a not in present]
        failed: dict[str, str] = {}
        for sock, port in ((self.router, self.router_port), (self.pub, self.pub_port)):
            failed.update(bind_more(sock, added, port))
        for address, why in failed.items():  # both sockets on an address, or neither
            self._drop("engine", f"cannot listen on {address}: {why}")
        kept = tuple(a for a in present if a not in failed)
        if not kept:
            return  # keep what we had rather than nothing
        for sock, port in ((self.router, self.router_port), (self.pub, self.pub_port)):
            unbind_from(sock, [*gone, *failed], port)
        self.addresses = kept
