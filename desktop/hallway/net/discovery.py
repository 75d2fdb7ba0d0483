"""Announce this node and find its peers over mDNS/DNS-SD (python-zeroconf, blocking API).

Threads. Zeroconf runs an event-loop thread and a browser thread of its own. The browser thread
only sorts an event into `_pending` and returns: it never resolves, never waits, and never
touches engine state. One worker thread of ours resolves records (from the cache, else with a
short query), validates them and calls the engine's callbacks, which must be thread-safe (the
engine's enqueue a message for its actor thread).

Everything that arrives is hostile until proven otherwise: a malformed record is reported to
`on_bad` and dropped, a chatty source is rate-limited, and the number of names waiting for the
worker is bounded. Nothing raises into zeroconf's threads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import enum
import functools
import ipaddress
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import zeroconf
from zeroconf import (
    DNSQuestionType,
    IPVersion,
    ServiceBrowser,
    ServiceInfo,
    ServiceStateChange,
    Zeroconf,
)

from hallway.core.errors import DecodeError
from hallway.core.model import fingerprint
from hallway.core.ratelimit import TokenBucket
from hallway.core.txt import SERVICE_TYPE, TxtRecord, build_txt, parse_txt
from hallway.net.errors import NetError

__all__ = ["Discovery", "Found"]

log = logging.getLogger(__name__)

RESOLVE_TIMEOUT = 0.75
"""Seconds to wait for a record that is not in the cache yet. Announcements carry every record,
so a resolution normally comes from the cache and this only bounds a hostile or lossy case."""
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

_CALL_TIMEOUT = 2.0
_PEER_ID = re.compile(r"[0-9a-f]{32}")
_SUFFIX = "." + SERVICE_TYPE
_MDNS_SOURCE = "mdns"
_QUESTION_TYPE: DNSQuestionType | None = DNSQuestionType.QM


@dataclass(frozen=True, slots=True)
class Found:
    """A peer's valid announcement. `instance` is its peer id: the fingerprint of `record`'s key."""

    instance: str
    record: TxtRecord
    addresses: tuple[str, ...]
    router_port: int


class _Op(enum.Enum):
    RESOLVE = "resolve"
    REMOVE = "remove"


_Request = concurrent.futures.Future[bool]
_Job = tuple[str, _Op] | tuple[str, ServiceInfo, bool]


def _source(label: str) -> str:
    """A printable, bounded name for a record's source, safe to put in a log line."""
    if _PEER_ID.fullmatch(label):
        return label
    return ascii(label[:48])


def _usable_addresses(addresses: list[str]) -> tuple[str, ...]:
    usable: dict[str, None] = {}
    for text in addresses:
        try:
            address = ipaddress.IPv4Address(text)
        except ValueError:
            continue
        if address.is_unspecified or address.is_multicast or address.is_reserved:
            continue
        usable.setdefault(str(address))
        if len(usable) == MAX_ADDRESSES:
            break
    return tuple(usable)


class Discovery:
    """Announce ourselves as `instance` and report the peers of `SERVICE_TYPE` that come and go.

    Callbacks, all called from one worker thread of ours (never from zeroconf's):

    - `on_found(found)`: a peer appeared, or its key, PUB port, ROUTER port or addresses changed;
    - `on_lost(instance)`: a peer reported found sent its goodbye, expired, or turned malformed;
    - `on_bad(source, reason)`: a record was dropped; `source` is printable and bounded.

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
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not addresses:
            raise NetError("discovery needs at least one address to announce")
        if not _PEER_ID.fullmatch(instance):
            raise NetError(f"instance name {instance!r} is not a 32-hex peer id")
        if fingerprint(txt.public_key) != instance:
            raise NetError("instance name is not the fingerprint of the announced public key")
        self._addresses = addresses
        self._instance = instance
        self._on_found = on_found
        self._on_lost = on_lost
        self._on_bad = on_bad
        self._clock = clock
        self._info = self._service_info(txt, router_port)
        self._zc: Zeroconf | None = None
        self._browser: ServiceBrowser | None = None
        self._announce: Any = None  # keeps a reference to zeroconf's broadcast task
        self._cond = threading.Condition()
        # Guarded by _cond:
        self._pending: dict[str, _Op] = {}
        self._known: dict[str, Found] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._inflight: dict[str, _Request] = {}
        self._completed: deque[tuple[str, ServiceInfo, bool]] = deque()
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
            # Ask multicast (QM) questions from the start. zeroconf's default first question is
            # QU, answered by unicast to port 5353; where several nodes share one address (the
            # demo, the tests, two homes on one desk) the kernel hands that datagram to one
            # SO_REUSEPORT socket only, and the newcomer waited ~1 s for the second query.
            self._browser = ServiceBrowser(
                self._zc, SERVICE_TYPE, handlers=[self._on_change], question_type=_QUESTION_TYPE
            )
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
        if fingerprint(txt.public_key) != self._instance:
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
        if self._registered and zc is not None and zc.loop is not None and zc.loop.is_running():
            # The first goodbye leaves at once; the browser and the worker stop meanwhile.
            goodbye = asyncio.run_coroutine_threadsafe(self._goodbye(zc, self._info), zc.loop)
        if self._browser is not None:
            self._browser.cancel()
        if self._worker.is_alive() and threading.current_thread() is not self._worker:
            self._worker.join()
        if goodbye is not None:
            try:
                goodbye.result(GOODBYE_TIMEOUT)
            except (
                concurrent.futures.TimeoutError,
                concurrent.futures.CancelledError,
                zeroconf.Error,
                RuntimeError,
            ) as exc:
                log.debug("mDNS goodbye did not complete: %r", exc)
                goodbye.cancel()
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

    # -- zeroconf's browser thread -----------------------------------------------------------

    def _on_change(self, *, name: str, state_change: ServiceStateChange, **_: object) -> None:
        """Sort a browser event into `_pending` for the worker. Must never block or raise."""
        if not name.endswith(_SUFFIX):
            return
        label = name[: -len(_SUFFIX)]
        if label == self._instance:
            return
        op = _Op.REMOVE if state_change is ServiceStateChange.Removed else _Op.RESOLVE
        with self._cond:
            if self._closing:
                return
            if (
                name in self._pending
                or len(self._pending) < MAX_PENDING
                or (op is _Op.REMOVE and label in self._known)
            ):
                # Only the latest state of a name matters: a burst of updates costs one resolve.
                self._pending[name] = op
            else:
                self._overflowed = True
            self._cond.notify()

    # -- zeroconf's event loop ---------------------------------------------------------------

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
                else:
                    self._resolve(name, label)
            except Exception:
                log.exception("discovery failed to handle %s", _source(label))

    def _next_job(self) -> _Job | None:
        """What the worker does next, or None with `_wait` set. Holds _cond.

        Finished queries come first, then removals, then the first name whose rate limit allows
        a resolution and that has no query in flight.
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
            bucket = self._buckets.get(name)
            if bucket is None:
                if len(self._buckets) >= MAX_PENDING + MAX_PEERS:
                    self._buckets.clear()  # forgetting some limits beats growing without bound
                bucket = self._buckets[name] = TokenBucket(RESOLVE_RATE, RESOLVE_BURST)
            if bucket.take(now):
                chosen = (name, op)
                break
            due = (1.0 - bucket.tokens) / RESOLVE_RATE
            wait = due if wait is None else min(wait, due)
        if chosen is not None:
            del self._pending[chosen[0]]
            if chosen[1] is _Op.REMOVE:
                self._drop_request(chosen[0])
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
            future = asyncio.run_coroutine_threadsafe(
                info.async_request(zc, RESOLVE_TIMEOUT * 1000), zc.loop
            )
            self._inflight[name] = future
        future.add_done_callback(functools.partial(self._request_done, name, info))

    def _finish(self, label: str, info: ServiceInfo, *, resolved: bool) -> None:
        source = _source(label)
        if not resolved:
            self._report_bad(source, "record did not resolve (no SRV, TXT or address in time)")
            return
        try:
            found = self._validate(label, info)
        except DecodeError as exc:
            self._report_bad(source, str(exc))
            self._forget(label)  # a peer whose record turned bad is no longer reachable as such
            return
        with self._cond:
            previous = self._known.get(label)
            if previous == found:
                return
            full = previous is None and len(self._known) >= MAX_PEERS
            if not full:
                self._known[label] = found
        if full:
            self._report_bad(source, "too many peers announced on this network")
            return
        self._emit(self._on_found, found)

    @staticmethod
    def _validate(label: str, info: ServiceInfo) -> Found:
        record = parse_txt(info.properties)
        if fingerprint(record.public_key) != label:
            raise DecodeError("instance name is not the fingerprint of the announced key")
        port = info.port
        if port is None or not 1 <= port <= 65535:
            raise DecodeError("SRV record has an invalid port")
        addresses = _usable_addresses(info.parsed_addresses(IPVersion.V4Only))
        if not addresses:
            raise DecodeError("record has no usable IPv4 address")
        return Found(instance=label, record=record, addresses=addresses, router_port=port)

    def _forget(self, label: str) -> None:
        with self._cond:
            known = self._known.pop(label, None)
        if known is not None:
            self._emit(self._on_lost, label)

    def _report_bad(self, source: str, reason: str) -> None:
        self._emit(self._on_bad, source, reason)

    @staticmethod
    def _emit(callback: Callable[..., None], *args: object) -> None:
        try:
            callback(*args)
        except Exception:
            log.exception("a discovery callback raised")
