"""Announce this node and find its peers over mDNS/DNS-SD (python-zeroconf).

Threads. Zeroconf runs one event-loop thread; the browser (an `AsyncServiceBrowser`) lives on
that loop, and its handler only sorts an event into `_pending` and returns: it never resolves,
never waits, and never touches engine state. (zeroconf's threaded `ServiceBrowser` would add a
thread fed by an unbounded queue: 288 events deep during an mDNS flood.) One worker thread of
ours resolves records (from the cache, else with a short query), validates them and calls the
engine's callbacks, which must be thread-safe (the engine's enqueue a message for its actor
thread).

Everything that arrives is hostile until proven otherwise: a malformed record is reported to
`on_bad` and dropped, a chatty source is rate-limited, and the number of names waiting for the
worker is bounded. Nothing raises into zeroconf's loop.

Office membership (tag and proof, through `admits`) is checked as soon as a record is parsed,
before anything is kept against the cap of peers. A refused record costs nothing lasting: it is
evicted from zeroconf's cache at once (only the first MAX_FOREIGN of other offices stay, to be
counted for `on_foreign` until they leave). `_Gate` judges TXT records on zeroconf's loop as they
arrive and counts those first MAX_FOREIGN itself, so that a flood is evicted with the packet that
brought it, however far behind the worker is, and never fills the cache: Python keeps its peak
memory, so the peak is what must stay low. A name whose event was dropped while the queue was
full is found again by a sweep of that cache, so no name is refused for good.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import enum
import functools
import heapq
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Self

import msgspec
import zeroconf
from zeroconf import (
    IPVersion,
    RecordUpdate,
    RecordUpdateListener,
    ServiceInfo,
    ServiceStateChange,
    Zeroconf,
)
from zeroconf.asyncio import AsyncServiceBrowser

from hallway.core.errors import DecodeError
from hallway.core.model import stranger_fingerprint
from hallway.core.ratelimit import TokenBucket
from hallway.core.txt import SERVICE_TYPE, TxtRecord, build_txt, parse_txt
from hallway.net.errors import NetError
from hallway.net.networks import usable_addresses

__all__ = ["Discovery", "Found"]

log = logging.getLogger(__name__)

RESOLVE_TIMEOUT = 0.75
"""Seconds to wait for a record that is not in the cache yet. Announcements carry every record,
so a resolution normally comes from the cache and this only bounds a hostile or lossy case."""
LOOK_UP_TIMEOUT = 3.0
"""Seconds a `look_up` asks for a member's record (zeroconf asks again ~0.2 s later, then every
second): a responder multicasts a record at most once a second, and one that announced itself
just before answers only a later question."""
GOODBYE_TIMEOUT = 0.3
"""Seconds `close` waits for zeroconf's goodbyes (three packets, 125 ms apart)."""
MAX_PENDING = 512
"""Names waiting for the worker. Beyond this, events for new names are dropped and reported."""
MAX_PEERS = 4096
"""Peers tracked at once. A LAN that announces more is hostile."""
MAX_INFLIGHT = 16
"""Queries for records missing from the cache, in flight at once."""
MAX_ADDRESSES = 8
"""Addresses kept per peer; the rest of a long list is ignored."""
RESOLVE_RATE = 2.0
RESOLVE_BURST = 5.0
"""Resolutions per second and burst, per instance name. Excess events are coalesced, not lost."""
MAX_BUCKETS = 1024
"""Rate limits kept at once; refilled ones are forgotten first, and all of them if need be."""
MAX_FOREIGN = 64
"""Instances of other offices (or with failing proofs) counted at once. Their records stay in
zeroconf's cache, so their goodbyes and expiry are seen; records refused beyond this, and every
malformed or silent one, are evicted from it at once."""
EVICT_BATCH = 64
"""Refused names evicted from zeroconf's cache in one call on its loop (or fewer, once idle)."""
SWEEP_DELAY = 0.25
"""Seconds between sweeps of zeroconf's cache while names whose events were dropped remain."""
SWEEP_INTERVAL = 30.0
"""Seconds between sweeps that forget counted names whose records left zeroconf's cache without
a goodbye (zeroconf evicts silently when its cache is full), and idle rate limits."""

_CALL_TIMEOUT = 2.0
_PEER_ID = re.compile(r"[0-9a-f]{32}")
_SUFFIX = "." + SERVICE_TYPE
_MDNS_SOURCE = "mdns"
_TYPE_PTR = 12  # DNS record type and class numbers (RFC 1035)
_TYPE_TXT = 16
_CLASS_IN = 1


class Found(msgspec.Struct, frozen=True):
    """A peer's valid announcement. `instance` is its peer id: the fingerprint of `record`'s key."""

    instance: str
    record: TxtRecord
    addresses: tuple[str, ...]
    router_port: int


class _Op(enum.Enum):
    RESOLVE = "resolve"
    REMOVE = "remove"
    SWEEP = "sweep"


_Request = concurrent.futures.Future[bool]
_Job = tuple[str, _Op] | tuple[str, ServiceInfo, bool]


def _source(label: str) -> str:
    """A printable, bounded name for a record's source, safe to put in a log line."""
    if _PEER_ID.fullmatch(label):
        return label
    return ascii(label[:48])


class Discovery:
    """Announce ourselves as `instance` and report the peers of `SERVICE_TYPE` that come and go.

    Callbacks, all called from one worker thread of ours (never from zeroconf's):

    - `on_found(found)`: a peer appeared, or its key, PUB port, ROUTER port or addresses changed;
    - `on_lost(instance)`: a peer reported found sent its goodbye, expired, or turned malformed;
    - `on_bad(source, reason)`: a record was dropped; `source` is printable and bounded;
    - `on_foreign(count)`: how many instances now announce a record that `admits` refuses (another
      office, or a wrong passphrase); reported when it changes and the queue is empty.

    Only records that `admits` accepts are reported found (all of them if it is None).
    A callback that raises is logged; it stops neither discovery nor the other callbacks.
    """

    def __init__(
        self,
        addresses: tuple[str, ...],
        instance: str,
        txt: TxtRecord,
        router_port: int,
        *,
        on_found: Callable[[Found], None],
        on_lost: Callable[[str], None],
        on_bad: Callable[[str, str], None],
        admits: Callable[[TxtRecord], bool] | None = None,
        on_foreign: Callable[[int], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not addresses:
            raise NetError("discovery needs at least one address to announce")
        if not _PEER_ID.fullmatch(instance):
            raise NetError(f"instance name {instance!r} is not a 32-hex peer id")
        if stranger_fingerprint(txt.public_key) != instance:
            raise NetError("instance name is not the fingerprint of the announced public key")
        self._addresses = addresses
        self._instance = instance
        self._on_found = on_found
        self._on_lost = on_lost
        self._on_bad = on_bad
        self._admits = admits
        self._on_foreign = on_foreign
        self._clock = clock
        self._info = self._service_info(txt, router_port)
        self._zc: Zeroconf | None = None
        self._browser: AsyncServiceBrowser | None = None  # set and cleared on zeroconf's loop
        self._gate: _Gate | None = None  # likewise
        self._announce: Any = None  # keeps a reference to zeroconf's broadcast task
        self._cond = threading.Condition()
        # Guarded by _cond:
        self._pending: dict[str, _Op] = {}
        self._known: dict[str, Found] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._inflight: dict[str, _Request] = {}
        self._completed: deque[tuple[str, ServiceInfo, bool]] = deque()
        self._foreign: set[str] = set()  # labels counted as other offices', at most MAX_FOREIGN
        self._reported = 0
        self._evict: list[str] = []  # refused names whose records zeroconf still caches
        self._gated: set[str] = set()  # refused on arrival by _Gate; their next event is moot
        self._asked: set[str] = set()  # labels the engine looks up (`look_up`): no answer is fine
        self._sweep_at: float | None = None
        self._overflowed = False
        self._wait: float | None = None
        self._started = False
        self._closing = False
        self._registered = False
        self._worker = threading.Thread(target=self._run, name="hallway-discovery", daemon=True)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Announce ourselves (no probing) and start browsing. Raises NetError."""
        with self._cond:
            if self._started or self._closing:
                raise NetError("discovery can only be started once")
            self._started = True
        try:
            self._zc = Zeroconf(interfaces=list(self._addresses), ip_version=IPVersion.V4Only)
        except OSError as exc:
            raise NetError(f"cannot start mDNS on {', '.join(self._addresses)}: {exc}") from exc
        try:
            self._worker.start()
            self._call(self._browse(self._zc))
            # A 128-bit name cannot collide: skip the ~1 s of probing (cooperating_responders).
            # Only the registration is waited for; its three announcements go out in the
            # background instead of blocking start() for 450 ms as register_service would.
            self._announce = self._call(
                self._zc.async_register_service(self._info, cooperating_responders=True)
            )
            self._registered = True
        except (zeroconf.Error, OSError, RuntimeError, concurrent.futures.TimeoutError) as exc:
            self.close()
            raise NetError(f"cannot announce on mDNS: {exc!r}") from exc

    def update(self, txt: TxtRecord, router_port: int | None = None) -> None:
        """Re-announce with a changed TXT record (or ROUTER port). Peers see an Updated record."""
        if stranger_fingerprint(txt.public_key) != self._instance:
            raise NetError("instance name is not the fingerprint of the announced public key")
        port = self._info.port if router_port is None else router_port
        assert port is not None
        info = self._service_info(txt, port)
        with self._cond:
            zc = self._zc
            if zc is None or self._closing:
                self._info = info  # announced as is by a later start()
                return
        try:
            self._announce = self._call(zc.async_update_service(info))
        except (zeroconf.Error, RuntimeError, concurrent.futures.TimeoutError) as exc:
            raise NetError(f"cannot update the mDNS announcement: {exc!r}") from exc
        self._info = info

    def reannounce(self, addresses: tuple[str, ...] | None = None) -> None:
        """Announce ourselves again, after sleep or a network change, on `addresses` when they
        changed: zeroconf's sockets move to them and peers see an updated record. Returns at
        once; the broadcasts go out from zeroconf's loop (a failure is logged, never raised:
        the next change tries again)."""
        with self._cond:
            zc = self._zc
            if zc is None or zc.loop is None or self._closing or not self._registered:
                return
        moved = addresses is not None and addresses != self._addresses
        if moved:
            assert addresses is not None
            self._addresses = addresses
            old = self._info
            assert old.port is not None
            self._info = ServiceInfo(
                SERVICE_TYPE,
                old.name,
                port=old.port,
                properties=old.properties,
                server=old.server,
                parsed_addresses=list(addresses),
            )
        interfaces = list(self._addresses) if moved else None
        try:
            future = asyncio.run_coroutine_threadsafe(
                self._reannounce(zc, self._info, interfaces), zc.loop
            )
        except RuntimeError as exc:  # zeroconf's loop has stopped
            log.debug("cannot announce again: %r", exc)
            return
        future.add_done_callback(_log_failure)
        self._announce = future

    @staticmethod
    async def _reannounce(zc: Zeroconf, info: ServiceInfo, interfaces: list[str] | None) -> None:
        # The record first (on the senders there are: those whose address is gone fail, the
        # others announce the new addresses), then the senders, which re-announce it on the
        # new ones. zeroconf < 0.150 cannot move its sockets: then only the record changes.
        await zc.async_update_service(info)
        update_interfaces = getattr(zc, "async_update_interfaces", None)
        if interfaces is not None and update_interfaces is not None:
            await update_interfaces(interfaces)

    def look_up(self, label: str) -> None:
        """Ask for a member's record that has not reached us: a member on another network that
        found us through a reflector and reached us first. Its own announcements may have gone
        before we listened, and through a reflector the answers to others' questions never
        bring the asker's own record, while those questions keep zeroconf from asking ours
        (RFC 6762's duplicate question suppression). A record that comes is found as any other
        (`on_found`); none is no warning: a member met through a seed or another member's word
        may have no mDNS record here at all. From any thread."""
        name = label + _SUFFIX
        with self._cond:
            if self._closing or label in self._known or name in self._pending:
                return
            if name in self._inflight:
                return  # asked already, as any other
            self._asked.add(label)
            self._pending[name] = _Op.RESOLVE
            self._cond.notify()

    def close(self) -> None:
        """Send our goodbye, stop browsing and join every thread. Idempotent; ~0.3 s."""
        with self._cond:
            if self._closing:
                return
            self._closing = True
            # Empty the table before cancelling: cancel() runs _request_done right here.
            inflight, self._inflight = self._inflight, {}
            for future in inflight.values():
                future.cancel()
            self._cond.notify_all()
        zc = self._zc
        goodbye: concurrent.futures.Future[None] | None = None
        stop: concurrent.futures.Future[None] | None = None
        if zc is not None and zc.loop is not None and zc.loop.is_running():
            # The first goodbye leaves at once; the browser and the worker stop meanwhile.
            with contextlib.suppress(RuntimeError):  # the loop stopped since: nothing runs there
                if self._registered:
                    goodbye = asyncio.run_coroutine_threadsafe(
                        self._goodbye(zc, self._info), zc.loop
                    )
                stop = asyncio.run_coroutine_threadsafe(self._stop_browsing(zc), zc.loop)
        if self._worker.is_alive() and threading.current_thread() is not self._worker:
            self._worker.join()
        _wait_for(goodbye, "mDNS goodbye", GOODBYE_TIMEOUT)
        _wait_for(stop, "stopping the mDNS browser", _CALL_TIMEOUT)
        if zc is not None:
            zc.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def _browse(self, zc: Zeroconf) -> None:
        """Start browsing (on zeroconf's loop, where AsyncServiceBrowser must be made).

        zeroconf's default questions: the first asks for unicast answers (QU), the later ones
        multicast (QM). Asked multicast, every member answered to all, and each parsed all the
        others' answers: O(N^2) packets per join, the largest part of what a join cost the members
        at 25 (docs/ARCHITECTURE.md, decision 21). A unicast answer that goes astray (avahi, or
        nodes sharing one address, where the kernel hands it to one socket bound to 5353) delays
        nothing: members dial a newcomer when its announcement arrives, and the next question,
        ~1 s later, is multicast.
        """
        browser = AsyncServiceBrowser(zc, SERVICE_TYPE, handlers=[self._on_change])
        self._browser = browser
        if self._admits is not None:
            self._gate = _Gate(self, zc, browser)
            zc.async_add_listener(self._gate, None)

    async def _stop_browsing(self, zc: Zeroconf) -> None:
        """Cancel the browser and remove the gate (on zeroconf's loop, so after `_browse` even
        when start() gave up waiting for it): no handler of ours runs once this has."""
        browser, self._browser = self._browser, None
        gate, self._gate = self._gate, None
        if gate is not None:
            zc.async_remove_listener(gate)
        if browser is not None:
            await browser.async_cancel()

    @staticmethod
    async def _goodbye(zc: Zeroconf, info: ServiceInfo) -> None:
        broadcast = await zc.async_unregister_service(info)
        await broadcast

    def _service_info(self, txt: TxtRecord, router_port: int) -> ServiceInfo:
        return ServiceInfo(
            SERVICE_TYPE,
            f"{self._instance}.{SERVICE_TYPE}",
            port=router_port,
            properties=build_txt(txt),
            server=f"{self._instance}.local.",
            parsed_addresses=list(self._addresses),
        )

    def _call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run a zeroconf coroutine on its loop and return its result (from any other thread)."""
        assert self._zc is not None
        assert self._zc.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._zc.loop).result(_CALL_TIMEOUT)

    # -- zeroconf's event loop ---------------------------------------------------------------

    def _on_change(self, *, name: str, state_change: ServiceStateChange, **_: object) -> None:
        """Sort a browser event into `_pending` for the worker (on zeroconf's loop, after the
        packet's records are in the cache and `_Gate` has judged them). Must never block, raise
        or call back: every other packet waits behind it."""
        if not name.endswith(_SUFFIX):
            return
        label = name[: -len(_SUFFIX)]
        if label == self._instance:
            return
        op = _Op.REMOVE if state_change is ServiceStateChange.Removed else _Op.RESOLVE
        with self._cond:
            if self._closing:
                return
            if label in self._gated:
                self._gated.discard(label)
                if op is _Op.RESOLVE:
                    return  # judged and evicted as it arrived
            if (
                name in self._pending
                or len(self._pending) < MAX_PENDING
                or (op is _Op.REMOVE and (label in self._known or label in self._foreign))
            ):
                # Only the latest state of a name matters: a burst of updates costs one resolve.
                self._pending[name] = op
            else:
                self._overflowed = True
                self._schedule_sweep(SWEEP_DELAY)
            self._cond.notify()

    def _request_done(self, name: str, info: ServiceInfo, future: _Request) -> None:
        """A query finished (or was cancelled). Hand it to the worker; never block the loop."""
        with self._cond:
            if self._inflight.get(name) is future:
                del self._inflight[name]
                ok = not future.cancelled() and future.exception() is None and bool(future.result())
                self._completed.append((name, info, ok))
                self._cond.notify()

    # -- the worker --------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                job = self._next_job()
                while job is None and not self._closing:
                    self._cond.wait(self._wait)
                    job = self._next_job()
                if self._closing:
                    return
                overflowed, self._overflowed = self._overflowed, False
            if overflowed:
                self._report_bad(_MDNS_SOURCE, "too many records waiting to be resolved")
            assert job is not None
            name = job[0]
            label = name[: -len(_SUFFIX)]
            try:
                if isinstance(job[1], ServiceInfo):
                    self._finish(label, job[1], resolved=job[2])
                elif job[1] is _Op.REMOVE:
                    self._forget(label)
                elif job[1] is _Op.SWEEP:
                    self._sweep()
                else:
                    self._resolve(name, label)
            except Exception:
                log.exception("discovery failed to handle %s", _source(label))
            self._report_foreign()
            self._flush_evictions()

    def _next_job(self) -> _Job | None:
        """What the worker does next, or None with `_wait` set. Holds _cond.

        Finished queries come first, then removals, then the first name whose rate limit allows
        a resolution and that has no query in flight, then a sweep that is due.
        """
        if self._completed:
            return self._completed.popleft()
        now = self._clock()
        wait: float | None = None
        chosen: tuple[str, _Op] | None = None
        for name, op in self._pending.items():
            if op is _Op.REMOVE:
                chosen = (name, op)
                break
            if name in self._inflight or len(self._inflight) >= MAX_INFLIGHT:
                continue  # _request_done wakes the worker
            bucket = self._bucket(name, now)
            if bucket.take(now):
                chosen = (name, op)
                break
            due = (1.0 - bucket.tokens) / RESOLVE_RATE
            wait = due if wait is None else min(wait, due)
        if chosen is not None:
            del self._pending[chosen[0]]
            if chosen[1] is _Op.REMOVE:
                self._drop_request(chosen[0])
        elif self._sweep_at is not None and not self._pending:
            # Only once the queue has drained: a sweep refills it with what was dropped.
            if now >= self._sweep_at:
                self._sweep_at = None
                chosen = ("", _Op.SWEEP)
            else:
                due = self._sweep_at - now
                wait = due if wait is None else min(wait, due)
        self._wait = None if wait is None else max(wait, 0.001)
        return chosen

    def _drop_request(self, name: str) -> None:
        """Cancel the query for a name that went away and drop its result. Holds _cond."""
        future = self._inflight.pop(name, None)
        if future is not None:
            future.cancel()
        self._completed = deque(job for job in self._completed if job[0] != name)

    def _resolve(self, name: str, label: str) -> None:
        if not _PEER_ID.fullmatch(label):
            self._refuse(label, foreign=False)
            self._report_bad(_source(label), "instance name is not a peer id")
            return
        zc = self._zc
        assert zc is not None
        assert zc.loop is not None
        info = ServiceInfo(SERVICE_TYPE, name)
        if info.load_from_cache(zc):
            self._finish(label, info, resolved=True)
            return
        # Not all in the cache: query without waiting, so one silent name cannot stall the rest.
        with self._cond:
            if self._closing:
                return
            timeout = LOOK_UP_TIMEOUT if label in self._asked else RESOLVE_TIMEOUT
            future = asyncio.run_coroutine_threadsafe(
                info.async_request(zc, timeout * 1000), zc.loop
            )
            self._inflight[name] = future
        future.add_done_callback(functools.partial(self._request_done, name, info))

    def _finish(self, label: str, info: ServiceInfo, *, resolved: bool) -> None:
        source = _source(label)
        with self._cond:
            asked = label in self._asked
            self._asked.discard(label)
        if not resolved and asked:
            return  # looked up for the engine, and not on this network: nothing to report
        if not resolved:
            # Remembered as refused, so a sweep does not query it again; any record that
            # arrives for the name later is an update, and is judged afresh.
            self._refuse(label, foreign=False)
            self._report_bad(source, "record did not resolve (no SRV, TXT or address in time)")
            return
        try:
            found = self._validate(label, info)
        except DecodeError as exc:
            self._report_bad(source, str(exc))
            self._forget(label)  # a peer whose record turned bad is no longer reachable as such
            self._refuse(label, foreign=False)
            return
        if self._admits is not None and not self._admits(found.record):
            # Another office, or a wrong passphrase: counted, never kept against MAX_PEERS.
            self._forget(label)
            self._refuse(label, foreign=True)
            return
        with self._cond:
            self._unrefuse(label)
            previous = self._known.get(label)
            if previous == found:
                return
            full = previous is None and len(self._known) >= MAX_PEERS
            if full:
                self._schedule_sweep(SWEEP_INTERVAL)  # retried later, once there is room
            else:
                self._known[label] = found
        if full:
            self._report_bad(source, "too many peers announced on this network")
            return
        self._emit(self._on_found, found)

    @staticmethod
    def _validate(label: str, info: ServiceInfo) -> Found:
        record = parse_txt(info.properties)
        if stranger_fingerprint(record.public_key) != label:
            raise DecodeError("instance name is not the fingerprint of the announced key")
        port = info.port
        if port is None or not 1 <= port <= 65535:
            raise DecodeError("SRV record has an invalid port")
        addresses = usable_addresses(info.parsed_addresses(IPVersion.V4Only), MAX_ADDRESSES)
        if not addresses:
            raise DecodeError("record has no usable IPv4 address")
        return Found(instance=label, record=record, addresses=addresses, router_port=port)

    def _forget(self, label: str) -> None:
        with self._cond:
            known = self._known.pop(label, None)
            self._asked.discard(label)
            self._unrefuse(label)
        if known is not None:
            self._emit(self._on_lost, label)

    # -- refused names and sweeps (the worker) -----------------------------------------------

    def _refuse(self, label: str, *, foreign: bool) -> None:
        """Count another office's instance while there is room; evict anything else."""
        with self._cond:
            if foreign and self._count_foreign(label):
                return
            self._foreign.discard(label)
            self._evict.append(label)

    def _count_foreign(self, label: str) -> bool:
        """Count another office's instance if there is room; whether it is counted. Holds
        _cond."""
        if label not in self._foreign and len(self._foreign) >= MAX_FOREIGN:
            return False
        self._foreign.add(label)
        if self._sweep_at is None:
            self._schedule_sweep(SWEEP_INTERVAL)
        return True

    def _unrefuse(self, label: str) -> None:
        """Holds _cond."""
        self._foreign.discard(label)

    def _schedule_sweep(self, delay: float) -> None:
        """Holds _cond. The earlier of an already scheduled sweep and this one stands."""
        at = self._clock() + delay
        if self._sweep_at is None or at < self._sweep_at:
            self._sweep_at = at
            self._cond.notify()

    def _flush_evictions(self) -> None:
        """Evict refused names from zeroconf's cache, in batches, so they cost nothing lasting and
        a sweep never finds them again. A name announced again is judged again."""
        with self._cond:
            if not self._evict or (self._pending and len(self._evict) < EVICT_BATCH):
                return
            names, self._evict = {label + _SUFFIX for label in self._evict}, []
            zc, browser = self._zc, self._browser
            if self._closing or zc is None or zc.loop is None or browser is None:
                return
        with contextlib.suppress(RuntimeError):  # the loop has stopped: nothing is cached
            zc.loop.call_soon_threadsafe(_evict_from_cache, zc, browser, names)

    def _sweep(self) -> None:
        """Queue the cached names that were never judged (their events were dropped while the
        queue was full), forget counted names whose records are gone, and idle rate limits."""
        zc = self._zc
        if zc is None:
            return
        try:
            cached: set[str] = self._call(self._cached_labels(zc))
        except (
            RuntimeError,
            concurrent.futures.TimeoutError,
            concurrent.futures.CancelledError,
        ) as exc:
            log.debug("could not read zeroconf's cache: %r", exc)
            with self._cond:
                self._schedule_sweep(SWEEP_INTERVAL)
            return
        now = self._clock()
        with self._cond:
            self._foreign &= cached
            self._prune_buckets(now)
            waiting = {name[: -len(_SUFFIX)] for name in (*self._pending, *self._inflight)}
            left = False
            for label in cached:
                if label in self._known or label in self._foreign or label in waiting:
                    continue
                if label == self._instance:
                    continue
                if len(self._pending) >= MAX_PENDING:
                    left = True
                    break
                self._pending[label + _SUFFIX] = _Op.RESOLVE
            if left:
                self._schedule_sweep(SWEEP_DELAY)
            elif self._foreign or self._buckets:
                self._schedule_sweep(SWEEP_INTERVAL)

    def _bucket(self, name: str, now: float) -> TokenBucket:
        """Holds _cond."""
        bucket = self._buckets.get(name)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._prune_buckets(now)
            if len(self._buckets) >= MAX_BUCKETS:
                self._buckets.clear()  # forgetting some limits beats growing without bound
            bucket = self._buckets[name] = TokenBucket(RESOLVE_RATE, RESOLVE_BURST)
        return bucket

    def _prune_buckets(self, now: float) -> None:
        """Holds _cond. A bucket that has refilled is no different from a new one: forget it."""
        self._buckets = {
            name: bucket
            for name, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.stamp) * bucket.rate < bucket.burst
        }

    @staticmethod
    async def _cached_labels(zc: Zeroconf) -> set[str]:
        """The instance labels of every PTR record of our type in zeroconf's cache (its loop)."""
        labels: set[str] = set()
        for record in zc.cache.async_all_by_details(SERVICE_TYPE, _TYPE_PTR, _CLASS_IN):
            alias = getattr(record, "alias", None)  # a PTR's target (DNSPointer is not exported)
            if isinstance(alias, str) and alias.endswith(_SUFFIX):
                labels.add(alias[: -len(_SUFFIX)])
        return labels

    def _refused_on_arrival(self, name: str, rdata: bytes) -> bool:
        """Whether a TXT record just received is refused by `admits` and finds the count of
        other offices full; then its name is marked so that its browser event is dropped. Runs
        on zeroconf's loop: must not block, raise, or call back."""
        if not name.endswith(_SUFFIX):
            return False
        label = name[: -len(_SUFFIX)]
        with self._cond:
            if label in self._foreign or label in self._known or not _PEER_ID.fullmatch(label):
                return False  # the worker judges it, and reports or counts it
        try:
            record = parse_txt(_txt_properties(rdata))
        except DecodeError:
            return False
        if (
            self._admits is None
            or stranger_fingerprint(record.public_key) != label
            or self._admits(record)
        ):
            return False
        with self._cond:
            # Counted here rather than when the worker gets to it: a worker held up (a loaded
            # machine) must not leave the gate open while a flood fills zeroconf's cache.
            if self._count_foreign(label):
                return False  # cached, so that its goodbye and expiry are seen
            if len(self._gated) >= MAX_PENDING:
                self._gated.clear()  # marks whose event never came: harmless to forget
            self._gated.add(label)
        return True

    def _report_foreign(self) -> None:
        """Tell `on_foreign` the count once the queue is empty (a flood changes it thousands of
        times in a row), or at once when it leaves or reaches zero."""
        with self._cond:
            count = len(self._foreign)
            if count == self._reported or (self._pending and count and self._reported):
                return
            self._reported = count
        if self._on_foreign is not None:
            self._emit(self._on_foreign, count)

    def _report_bad(self, source: str, reason: str) -> None:
        self._emit(self._on_bad, source, reason)

    @staticmethod
    def _emit(callback: Callable[..., None], *args: object) -> None:
        try:
            callback(*args)
        except Exception:
            log.exception("a discovery callback raised")


def _wait_for(future: concurrent.futures.Future[None] | None, what: str, timeout: float) -> None:
    """Wait for a step of close() on zeroconf's loop; one that fails or lags is given up."""
    if future is None:
        return
    try:
        future.result(timeout)
    except (
        concurrent.futures.TimeoutError,
        concurrent.futures.CancelledError,
        zeroconf.Error,
        RuntimeError,
    ) as exc:
        log.debug("%s did not complete: %r", what, exc)
        future.cancel()


def _log_failure(future: concurrent.futures.Future[None]) -> None:
    if future.cancelled():
        return
    exc = future.exception()
    if exc is not None:
        log.debug("announcing again failed: %r", exc)


def _evict_from_cache(zc: Zeroconf, browser: AsyncServiceBrowser, names: set[str]) -> None:
    """Remove every cached record of these instances (on zeroconf's loop): the PTR, SRV and TXT,
    the address records no other cached service points at, and the PTR's scheduled refresh."""
    cache = zc.cache
    doomed: list[Any] = []
    for record in cache.async_all_by_details(SERVICE_TYPE, _TYPE_PTR, _CLASS_IN):
        if getattr(record, "alias", None) in names:
            doomed.append(record)
            browser.query_scheduler.cancel_ptr_refresh(record)  # type: ignore[arg-type]
    servers: set[str] = set()
    for name in names:
        for record in cache.async_entries_with_name(name):
            doomed.append(record)
            server = getattr(record, "server", None)
            if isinstance(server, str):
                servers.add(server)
    cache.async_remove_records(doomed)
    for server in servers:
        if not cache.async_entries_with_server(server):
            cache.async_remove_records(cache.async_entries_with_name(server))
    # WORKAROUND: zeroconf's QueryScheduler leaves a cancelled refresh in its heap until it would
    # have fired (at 75 % of the PTR's TTL: ~56 min for zeroconf's 4,500 s). A flood announcing
    # evicted names again and again piled up one per announcement (2.3 MB in the regression test).
    heap = getattr(browser.query_scheduler, "_query_heap", None)
    if isinstance(heap, list) and len(heap) > 2 * EVICT_BATCH:
        live = [query for query in heap if not getattr(query, "cancelled", False)]
        if len(live) * 2 < len(heap):
            heap[:] = live
            heapq.heapify(heap)


def _txt_properties(rdata: bytes) -> dict[bytes, bytes | None]:
    """DNS-SD TXT rdata (length-prefixed "key=value" strings) as zeroconf's ServiceInfo reads
    it: the first occurrence of a key wins (RFC 6763, 6.4)."""
    props: dict[bytes, bytes | None] = {}
    index = 0
    while index < len(rdata):
        length = rdata[index]
        entry = rdata[index + 1 : index + 1 + length]
        index += 1 + length
        key, sep, value = entry.partition(b"=")
        if key and key not in props:
            props[key] = value if sep else None
    return props


class _Gate(RecordUpdateListener):
    """Judges TXT records on zeroconf's loop as they arrive: the first MAX_FOREIGN refused are
    counted, and a flood of refused records beyond them is evicted within the packet that brought
    it, instead of filling zeroconf's cache until the worker gets to it (RSS would keep that
    peak)."""

    def __init__(self, discovery: Discovery, zc: Zeroconf, browser: AsyncServiceBrowser) -> None:
        super().__init__()
        self._discovery = discovery
        self._zc = zc
        self._browser = browser
        self._doomed: set[str] = set()

    def async_update_records(
        self,
        zc: Zeroconf,  # noqa: ARG002 -- zeroconf's signature; ours was given at construction
        now: float,
        records: list[RecordUpdate],
    ) -> None:
        for update in records:
            record = update.new
            text = getattr(record, "text", None)  # DNSText is not exported
            if record.type != _TYPE_TXT or update.old is not None or not isinstance(text, bytes):
                continue
            if record.is_expired(now):
                continue
            try:
                refused = self._discovery._refused_on_arrival(record.name, text)
            except Exception:
                log.exception("judging an mDNS record failed")
                continue
            if refused:
                self._doomed.add(record.name)

    def async_update_records_complete(self) -> None:
        if self._doomed:
            names, self._doomed = self._doomed, set()
            _evict_from_cache(self._zc, self._browser, names)
