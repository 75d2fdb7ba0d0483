"""Discovery's validation and its worker queue, driven directly: no zeroconf sockets, no traffic."""

from __future__ import annotations

import base64
import secrets

import pytest
import zmq
from zeroconf import ServiceInfo, ServiceStateChange

from hallway.core.errors import DecodeError
from hallway.core.model import fingerprint
from hallway.core.txt import SERVICE_TYPE, TxtRecord, build_txt
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
        ("other version", {**good, b"v": b"2"}),
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
