"""Discovery's validation and its worker queue, driven directly: no zeroconf sockets, no traffic."""

from __future__ import annotations

import asyncio
import base64
import secrets
from types import SimpleNamespace

import pytest
import zmq
from zeroconf import (
    DNSAddress,
    DNSCache,
    DNSPointer,
    DNSService,
    DNSText,
    ServiceInfo,
    ServiceStateChange,
)

from hallway.core.errors import DecodeError
from hallway.core.model import fingerprint
from hallway.core.txt import OLD_PROTOCOL, SERVICE_TYPE, TxtRecord, build_txt
from hallway.net import Discovery, Found, NetError
from hallway.net import discovery as discovery_module


def record(pub_port: int = 40001) -> TxtRecord:
    public, _ = zmq.curve_keypair()
    return TxtRecord(public_key=public, pub_port=pub_port, office_tag="open", proof=b"")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Seen:
    def __init__(self) -> None:
        self.found: list[Found] = []
        self.lost: list[str] = []
        self.bad: list[tuple[str, str]] = []


def make(seen: Seen, clock: Clock | None = None, txt: TxtRecord | None = None) -> Discovery:
    txt = txt or record()
    return Discovery(
        ("127.0.0.1",),
        fingerprint(txt.public_key),
        txt,
        41000,
        on_found=seen.found.append,
        on_lost=seen.lost.append,
        on_bad=lambda source, reason: seen.bad.append((source, reason)),
        clock=clock or Clock(),
    )


def service(
    txt: TxtRecord | None = None,
    *,
    label: str | None = None,
    props: dict[bytes, bytes | None] | None = None,
    port: int = 41000,
    addresses: tuple[str, ...] = ("192.0.2.5",),
) -> tuple[str, ServiceInfo]:
    txt = txt or record()
    label = label or fingerprint(txt.public_key)
    info = ServiceInfo(
        SERVICE_TYPE,
        f"{label}.{SERVICE_TYPE}",
        port=port,
        properties=props if props is not None else build_txt(txt),
        server="peer.local.",
        parsed_addresses=list(addresses),
    )
    return label, info


# -- construction -----------------------------------------------------------------------------


def test_instance_must_be_the_fingerprint_of_the_key() -> None:
    txt = record()
    with pytest.raises(NetError, match="fingerprint"):
        Discovery(("127.0.0.1",), secrets.token_hex(16), txt, 1, on_found=print,
                  on_lost=print, on_bad=print)  # fmt: skip


@pytest.mark.parametrize("instance", ["Alice", "A" * 32, "0" * 31])
def test_instance_must_be_a_peer_id(instance: str) -> None:
    with pytest.raises(NetError, match="peer id"):
        Discovery(("127.0.0.1",), instance, record(), 1, on_found=print, on_lost=print,
                  on_bad=print)  # fmt: skip


def test_addresses_are_required() -> None:
    txt = record()
    with pytest.raises(NetError, match="address"):
        Discovery((), fingerprint(txt.public_key), txt, 1, on_found=print, on_lost=print,
                  on_bad=print)  # fmt: skip


def test_close_before_start_is_harmless() -> None:
    disco = make(Seen())
    disco.close()
    disco.close()
    with pytest.raises(NetError, match="once"):
        disco.start()


# -- validation of records ------------------------------------------------------------------


def test_a_good_record() -> None:
    txt = record(pub_port=4242)
    label, info = service(txt, addresses=("192.0.2.5", "0.0.0.0", "224.0.0.251", "192.0.2.6"))
    found = Discovery._validate(label, info)
    assert found == Found(label, txt, ("192.0.2.5", "192.0.2.6"), 41000)


def test_addresses_are_capped() -> None:
    label, info = service(addresses=tuple(f"192.0.2.{i}" for i in range(1, 40)))
    assert len(Discovery._validate(label, info).addresses) == discovery_module.MAX_ADDRESSES


def _bad_props() -> list[tuple[str, dict[bytes, bytes | None]]]:
    good = build_txt(record())
    return [
        ("empty", {}),
        ("no version", {k: v for k, v in good.items() if k != b"v"}),
        ("other version", {**good, b"v": b"3"}),
        ("protocol 1", {**good, b"v": b"1"}),
        ("bad key", {**good, b"k": b"x" * 40}),
        ("valueless key", {**good, b"k": None}),
        ("port zero", {**good, b"p": b"0"}),
        ("huge port", {**good, b"p": b"9" * 200}),
        ("bad tag", {**good, b"o": "café".encode()}),
        ("short proof", {**good, b"m": base64.b64encode(b"short")}),
        ("long tag", {**good, b"o": b"a" * 200}),
        ("junk", {bytes([i]): bytes(range(i)) for i in range(1, 60)}),
    ]


@pytest.mark.parametrize(("why", "props"), _bad_props(), ids=[w for w, _ in _bad_props()])
def test_malformed_txt_is_a_decode_error(why: str, props: dict[bytes, bytes | None]) -> None:
    txt = record()
    label, info = service(txt, props=props)
    with pytest.raises(DecodeError):
        Discovery._validate(label, info)


def test_a_key_under_another_name_is_refused() -> None:
    label, info = service(record(), label=secrets.token_hex(16))
    with pytest.raises(DecodeError, match="fingerprint"):
        Discovery._validate(label, info)


def test_a_record_without_a_usable_address_is_refused() -> None:
    label, info = service(addresses=("0.0.0.0", "255.255.255.255"))
    with pytest.raises(DecodeError, match="address"):
        Discovery._validate(label, info)


def test_a_zero_srv_port_is_refused() -> None:
    label, info = service(port=0)
    with pytest.raises(DecodeError, match="port"):
        Discovery._validate(label, info)


# -- the worker's queue ---------------------------------------------------------------------


def name_of(label: str) -> str:
    return f"{label}.{SERVICE_TYPE}"


def event(disco: Discovery, label: str, change: ServiceStateChange) -> None:
    disco._on_change(name=name_of(label), state_change=change, zeroconf=None,
                     service_type=SERVICE_TYPE)  # fmt: skip


def test_own_instance_and_foreign_types_are_ignored() -> None:
    txt = record()
    disco = make(Seen(), txt=txt)
    event(disco, fingerprint(txt.public_key), ServiceStateChange.Added)
    disco._on_change(name="x._other._tcp.local.", state_change=ServiceStateChange.Added)
    assert disco._next_job() is None


def test_events_for_one_name_coalesce_to_the_latest() -> None:
    disco = make(Seen())
    peer = secrets.token_hex(16)
    for change in (ServiceStateChange.Added, ServiceStateChange.Updated,
                   ServiceStateChange.Removed):  # fmt: skip
        event(disco, peer, change)
    assert disco._next_job() == (name_of(peer), discovery_module._Op.REMOVE)
    assert disco._next_job() is None


def test_resolutions_are_rate_limited_per_name_and_deferred() -> None:
    clock = Clock()
    disco = make(Seen(), clock)
    chatty, quiet = secrets.token_hex(16), secrets.token_hex(16)
    burst = int(discovery_module.RESOLVE_BURST)
    for _ in range(burst):
        event(disco, chatty, ServiceStateChange.Updated)
        assert disco._next_job() == (name_of(chatty), discovery_module._Op.RESOLVE)
    event(disco, chatty, ServiceStateChange.Updated)
    assert disco._next_job() is None
    assert disco._wait == pytest.approx(1 / discovery_module.RESOLVE_RATE)
    # Another source is not held back by the chatty one, and the deferred event is not lost.
    event(disco, quiet, ServiceStateChange.Added)
    assert disco._next_job() == (name_of(quiet), discovery_module._Op.RESOLVE)
    clock.now += 1 / discovery_module.RESOLVE_RATE
    assert disco._next_job() == (name_of(chatty), discovery_module._Op.RESOLVE)


def test_removals_are_never_rate_limited() -> None:
    disco = make(Seen())
    peer = secrets.token_hex(16)
    for _ in range(int(discovery_module.RESOLVE_BURST)):
        event(disco, peer, ServiceStateChange.Updated)
        disco._next_job()
    event(disco, peer, ServiceStateChange.Removed)
    assert disco._next_job() == (name_of(peer), discovery_module._Op.REMOVE)


def test_the_queue_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discovery_module, "MAX_PENDING", 3)
    disco = make(Seen())
    for _ in range(5):
        event(disco, secrets.token_hex(16), ServiceStateChange.Added)
    assert len(disco._pending) == 3
    assert disco._overflowed


def test_a_known_peer_turning_bad_is_lost_and_reported() -> None:
    seen = Seen()
    disco = make(seen)
    txt = record()
    label, info = service(txt)
    disco._finish(label, info, resolved=True)
    disco._finish(label, info, resolved=True)  # unchanged: reported once
    assert [f.instance for f in seen.found] == [label]
    _, broken = service(txt, props={**build_txt(txt), b"k": b"broken"})
    disco._finish(label, broken, resolved=True)
    assert seen.lost == [label]
    assert seen.bad == [(label, "TXT record has an invalid public key")]


def test_a_protocol_1_peer_is_reported_as_such_and_never_found() -> None:
    # The engine warns once on this exact reason (engine/linking.py: _drop_record).
    seen = Seen()
    disco = make(seen)
    txt = record()
    label, old = service(txt, props={**build_txt(txt), b"v": b"1"})
    disco._finish(label, old, resolved=True)
    assert seen.found == []
    assert seen.bad == [(label, OLD_PROTOCOL)]


def test_a_changed_record_is_found_again() -> None:
    seen = Seen()
    disco = make(seen)
    txt = record()
    label, info = service(txt)
    disco._finish(label, info, resolved=True)
    _, moved = service(txt, port=41001)
    disco._finish(label, moved, resolved=True)
    assert [f.router_port for f in seen.found] == [41000, 41001]


def test_a_raising_callback_stops_nothing(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    def explode(found: Found) -> None:
        calls.append(found.instance)
        raise RuntimeError("engine bug")

    txt = record()
    disco = Discovery(("127.0.0.1",), fingerprint(txt.public_key), txt, 1, on_found=explode,
                      on_lost=print, on_bad=print)  # fmt: skip
    label, info = service()
    disco._finish(label, info, resolved=True)
    assert calls == [label]
    assert "a discovery callback raised" in caplog.text


def test_a_non_peer_id_name_is_reported_with_a_printable_source() -> None:
    seen = Seen()
    disco = make(seen)
    label = "Mallory\x1b[31m\n" + "x" * 200
    disco._resolve(name_of(label), label)
    [(source, reason)] = seen.bad
    assert reason == "instance name is not a peer id"
    assert source.isprintable()
    assert len(source) < 70


# -- office membership, refused names and sweeps ------------------------------------------------


class Office:
    """Admits records whose tag is ours; counts what `on_foreign` reports."""

    def __init__(self) -> None:
        self.counts: list[int] = []

    @staticmethod
    def admits(txt: TxtRecord) -> bool:
        return txt.office_tag == "ours"


def member_record(tag: str = "ours") -> TxtRecord:
    public, _ = zmq.curve_keypair()
    return TxtRecord(public_key=public, pub_port=40001, office_tag=tag, proof=b"")


def make_office(seen: Seen, office: Office, clock: Clock | None = None) -> Discovery:
    txt = member_record()
    return Discovery(
        ("127.0.0.1",),
        fingerprint(txt.public_key),
        txt,
        41000,
        on_found=seen.found.append,
        on_lost=seen.lost.append,
        on_bad=lambda source, reason: seen.bad.append((source, reason)),
        admits=office.admits,
        on_foreign=office.counts.append,
        clock=clock or Clock(),
    )


def test_other_offices_are_counted_not_found_and_not_reported_bad() -> None:
    seen, office = Seen(), Office()
    disco = make_office(seen, office)
    labels = []
    for _ in range(3):
        label, info = service(member_record("theirs"))
        disco._finish(label, info, resolved=True)
        disco._report_foreign()
        labels.append(label)
    assert seen.found == []
    assert seen.bad == []
    assert office.counts == [1, 2, 3]
    disco._forget(labels[0])  # its goodbye
    disco._report_foreign()
    assert office.counts[-1] == 2
    assert disco._known == {}


def test_refused_records_do_not_fill_the_peer_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discovery_module, "MAX_PEERS", 2)
    seen, office = Seen(), Office()
    disco = make_office(seen, office)
    for _ in range(20):  # junk proofs and other tags, as a flood sends them
        label, info = service(member_record("theirs"))
        disco._finish(label, info, resolved=True)
    member, info = service(member_record())
    disco._finish(member, info, resolved=True)
    assert [f.instance for f in seen.found] == [member]
    assert not [reason for _, reason in seen.bad if "too many" in reason]


def test_a_member_that_turns_foreign_is_lost_and_counted() -> None:
    seen, office = Seen(), Office()
    disco = make_office(seen, office)
    txt = member_record()
    label, info = service(txt)
    disco._finish(label, info, resolved=True)
    _, moved = service(TxtRecord(txt.public_key, txt.pub_port, "theirs", b""))
    disco._finish(label, moved, resolved=True)
    disco._report_foreign()
    assert seen.lost == [label]
    assert office.counts == [1]
    disco._finish(label, info, resolved=True)  # back in our office
    disco._report_foreign()
    assert office.counts == [1, 0]
    assert len(seen.found) == 2


def test_other_offices_are_counted_up_to_a_bound_and_the_rest_evicted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(discovery_module, "MAX_FOREIGN", 5)
    seen, office = Seen(), Office()
    disco = make_office(seen, office)
    labels = []
    for _ in range(50):
        label, info = service(member_record("theirs"))
        disco._finish(label, info, resolved=True)
        labels.append(label)
    disco._report_foreign()
    assert disco._foreign == set(labels[:5])
    assert office.counts[-1] == 5
    assert disco._evict == labels[5:]


def test_a_member_looked_up_is_queued_once_and_found_like_any_other() -> None:
    seen = Seen()
    disco = make(seen)
    txt = record()
    label, info = service(txt)
    disco.look_up(label)
    disco.look_up(label)  # once is enough
    assert disco._next_job() == (name_of(label), discovery_module._Op.RESOLVE)
    assert disco._next_job() is None
    disco._finish(label, info, resolved=True)
    assert [f.instance for f in seen.found] == [label]
    disco.look_up(label)  # known already: nothing to ask
    assert disco._next_job() is None


def test_a_member_looked_up_that_does_not_answer_is_neither_reported_nor_refused() -> None:
    # Met through a seed or another member's word, it may have no mDNS record here at all;
    # one that goes silent after a browser saw it is reported as before.
    seen = Seen()
    disco = make(seen)
    asked, silent = secrets.token_hex(16), secrets.token_hex(16)
    disco.look_up(asked)
    disco._finish(asked, ServiceInfo(SERVICE_TYPE, name_of(asked)), resolved=False)
    disco._finish(silent, ServiceInfo(SERVICE_TYPE, name_of(silent)), resolved=False)
    assert [source for source, _ in seen.bad] == [silent]
    assert disco._evict == [silent]
    disco.look_up(asked)  # and it may be asked for again
    assert disco._next_job() == (name_of(asked), discovery_module._Op.RESOLVE)


def test_malformed_and_silent_records_are_evicted_not_remembered() -> None:
    seen, office = Seen(), Office()
    disco = make_office(seen, office)
    txt = member_record()
    label, broken = service(txt, props={**build_txt(txt), b"k": b"broken"})
    disco._finish(label, broken, resolved=True)
    silent = secrets.token_hex(16)
    disco._finish(silent, ServiceInfo(SERVICE_TYPE, name_of(silent)), resolved=False)
    assert disco._evict == [label, silent]
    assert disco._foreign == set()


def test_eviction_removes_a_refused_instance_and_nothing_else() -> None:
    cache = DNSCache()
    keep, drop = secrets.token_hex(16), secrets.token_hex(16)
    for label, host in ((keep, "keep.local."), (drop, "drop.local.")):
        name = name_of(label)
        cache.async_add_records([
            DNSPointer(SERVICE_TYPE, 12, 1, 4500, name),
            DNSService(name, 33, 1, 120, 0, 0, 41000, host),
            DNSText(name, 16, 1, 120, b"\x03v=1"),
            DNSAddress(host, 1, 1, 120, bytes([192, 0, 2, 5])),
        ])  # fmt: skip
    cancelled: list[str] = []
    browser = SimpleNamespace(
        query_scheduler=SimpleNamespace(cancel_ptr_refresh=lambda r: cancelled.append(r.alias))
    )
    discovery_module._evict_from_cache(cache_owner(cache), browser, {name_of(drop)})  # type: ignore[arg-type]
    assert cancelled == [name_of(drop)]
    assert cache.async_entries_with_name(name_of(drop)) == []
    assert cache.async_entries_with_name("drop.local.") == []
    assert len(cache.async_entries_with_name(name_of(keep))) == 2
    assert len(cache.async_entries_with_name("keep.local.")) == 1
    assert [r.alias for r in cache.async_all_by_details(SERVICE_TYPE, 12, 1)] == [name_of(keep)]  # type: ignore[attr-defined]


def cache_owner(cache: DNSCache) -> SimpleNamespace:
    return SimpleNamespace(cache=cache)


def test_the_count_is_reported_when_the_queue_has_drained() -> None:
    seen, office = Seen(), Office()
    disco = make_office(seen, office)
    first, info = service(member_record("theirs"))
    disco._finish(first, info, resolved=True)
    disco._report_foreign()  # 0 -> 1 goes out at once, queue or not
    event(disco, secrets.token_hex(16), ServiceStateChange.Added)
    second, info = service(member_record("theirs"))
    disco._finish(second, info, resolved=True)
    disco._report_foreign()
    assert office.counts == [1]  # a flood would change it once per name: wait for the queue
    disco._pending.clear()
    disco._report_foreign()
    assert office.counts == [1, 2]


def _cache_with(labels: list[str]) -> DNSCache:
    cache = DNSCache()
    cache.async_add_records(
        DNSPointer(SERVICE_TYPE, 12, 1, 4500, name_of(label)) for label in labels
    )
    return cache


def _sweepable(disco: Discovery, cache: DNSCache, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(disco, "_zc", SimpleNamespace(cache=cache))
    monkeypatch.setattr(disco, "_call", asyncio.run)


def test_names_dropped_from_a_full_queue_are_swept_in_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(discovery_module, "MAX_PENDING", 3)
    clock = Clock()
    seen, office = Seen(), Office()
    disco = make_office(seen, office, clock)
    labels = [secrets.token_hex(16) for _ in range(7)]
    for label in labels:
        event(disco, label, ServiceStateChange.Added)
    assert disco._overflowed
    assert len(disco._pending) == 3
    _sweepable(disco, _cache_with(labels), monkeypatch)
    handled: list[str] = []
    for _ in range(20):
        job = disco._next_job()
        if job is None:
            assert disco._wait is not None
            clock.now += disco._wait
            continue
        if job[1] is discovery_module._Op.SWEEP:
            disco._sweep()
        else:
            handled.append(job[0][: -len(discovery_module._SUFFIX)])
            disco._refuse(handled[-1], foreign=True)  # judged, as _resolve would
    assert sorted(handled) == sorted(labels)  # every refused name was retried


def test_a_sweep_forgets_refused_names_whose_records_are_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen, office = Seen(), Office()
    disco = make_office(seen, office)
    labels = []
    for _ in range(4):
        label, info = service(member_record("theirs"))
        disco._finish(label, info, resolved=True)
        labels.append(label)
    _sweepable(disco, _cache_with(labels[:1]), monkeypatch)  # zeroconf evicted three silently
    disco._sweep()
    disco._report_foreign()
    assert disco._foreign == set(labels[:1])
    assert office.counts[-1] == 1
    assert disco._pending == {}


def test_txt_rdata_is_read_as_zeroconf_reads_it() -> None:
    rdata = b"\x03v=1\x03v=2\x04flag\x00\x02k=" + bytes([7]) + b"p=40001"
    assert discovery_module._txt_properties(rdata) == {
        b"v": b"1",
        b"flag": None,
        b"k": b"",
        b"p": b"40001",
    }
    assert discovery_module._txt_properties(b"\x09truncated") == {b"truncated": None}


def _rdata(txt: TxtRecord) -> bytes:
    return b"".join(bytes([len(k) + len(v) + 1]) + k + b"=" + v for k, v in build_txt(txt).items())


def test_refused_records_are_counted_on_arrival_and_gated_once_the_count_is_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(discovery_module, "MAX_FOREIGN", 1)
    seen, office = Seen(), Office()
    disco = make_office(seen, office)
    first, second = member_record("theirs"), member_record("theirs")
    first_label, second_label = fingerprint(first.public_key), fingerprint(second.public_key)
    # Room to count: counted as it arrives and kept in the cache, before the worker judges it
    # (a worker held up must not leave the gate open to a flood); its judgement counts it once.
    kept = fingerprint.cache_info().currsize
    assert not disco._refused_on_arrival(name_of(first_label), _rdata(first))
    assert disco._foreign == {first_label}
    assert not disco._refused_on_arrival(name_of(first_label), _rdata(first))  # counted already
    assert fingerprint.cache_info().currsize == kept, "a stranger's key must not fill the cache"
    disco._refuse(first_label, foreign=True)
    assert disco._foreign == {first_label}
    # Full: refused as it arrives, and the browser event that follows is dropped.
    assert disco._refused_on_arrival(name_of(second_label), _rdata(second))
    event(disco, second_label, ServiceStateChange.Added)
    assert disco._pending == {}
    event(disco, second_label, ServiceStateChange.Added)  # announced again: judged again
    assert name_of(second_label) in disco._pending
    # Members, malformed records and stolen keys are never gated: the worker reports those.
    member = member_record()
    assert not disco._refused_on_arrival(name_of(fingerprint(member.public_key)), _rdata(member))
    assert not disco._refused_on_arrival(name_of(second_label), b"\x05v=1\x00")
    assert not disco._refused_on_arrival(name_of(secrets.token_hex(16)), _rdata(second))
