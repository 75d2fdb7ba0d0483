"""The DNS-SD TXT record (hallway/core/txt.py): build, parse, and parse hostile records safely."""

from __future__ import annotations

import base64
import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallway.core import z85
from hallway.core.errors import DecodeError
from hallway.core.office import OPEN_TAG, Office
from hallway.core.txt import OLD_PROTOCOL, TxtRecord, build_txt, parse_txt

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

keys = st.binary(min_size=32, max_size=32).map(z85.encode)
records = st.builds(
    TxtRecord,
    public_key=keys,
    pub_port=st.integers(1, 65535),
    office_tag=st.text(ALNUM, min_size=1, max_size=32),
    proof=st.just(b"") | st.binary(min_size=32, max_size=32),
)
values = st.none() | st.binary(max_size=300)
TXT_KEYS = [b"v", b"k", b"p", b"o", b"m"]

KEY = z85.encode(bytes(range(32)))
GOOD = {b"v": b"2", b"k": KEY, b"p": b"5555", b"o": b"open"}


def with_(**changes: bytes | None) -> dict[bytes, bytes | None]:
    props: dict[bytes, bytes | None] = dict(GOOD)
    for name, value in changes.items():
        props[name.encode()] = value
    return props


@given(records)
def test_round_trip(record: TxtRecord) -> None:
    assert parse_txt(dict(build_txt(record))) == record


def test_open_office_record_has_no_proof() -> None:
    record = TxtRecord(public_key=KEY, pub_port=1, office_tag=OPEN_TAG, proof=b"")
    props = build_txt(record)
    assert b"m" not in props
    assert props == {b"v": b"2", b"k": KEY, b"p": b"1", b"o": b"open"}


def test_a_protocol_1_record_is_refused_with_the_reason_the_engine_warns_about() -> None:
    # The engine recognises this exact reason (and warns once): other bad records are noise.
    with pytest.raises(DecodeError) as caught:
        parse_txt(with_(v=b"1"))
    assert str(caught.value) == OLD_PROTOCOL
    with pytest.raises(DecodeError) as caught:
        parse_txt(with_(v=b"3"))
    assert str(caught.value) != OLD_PROTOCOL


def test_closed_office_record_carries_a_proof_that_admits() -> None:
    office = Office(name="Acme", key=b"k" * 32)
    record = TxtRecord(
        public_key=KEY, pub_port=4000, office_tag=office.tag, proof=office.proof(KEY)
    )
    parsed = parse_txt(dict(build_txt(record)))
    assert office.admits(parsed.office_tag, parsed.public_key, parsed.proof)


def test_extra_keys_are_ignored() -> None:
    props = {**GOOD, b"x": b"whatever", b"flag": None}
    assert parse_txt(props).pub_port == 5555


@given(st.dictionaries(st.sampled_from(TXT_KEYS) | st.binary(max_size=4), values, max_size=8))
def test_arbitrary_records_only_raise_decode_error(props: dict[bytes, bytes | None]) -> None:
    with contextlib.suppress(DecodeError):
        parse_txt(props)


@given(records, st.sampled_from(TXT_KEYS), values)
def test_mangled_records_only_raise_decode_error(
    record: TxtRecord, key: bytes, value: bytes | None
) -> None:
    props: dict[bytes, bytes | None] = dict(build_txt(record))
    props[key] = value
    try:
        parsed = parse_txt(props)
    except DecodeError:
        return
    assert 1 <= parsed.pub_port <= 65535
    assert z85.is_key(parsed.public_key)
    assert parsed.office_tag.isalnum()
    assert len(parsed.proof) in (0, 32)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"v": None}, "lacks 'v'"),
        ({"v": b"3"}, "version"),
        ({"v": b"1"}, "protocol 1"),
        ({"k": None}, "lacks 'k'"),
        ({"k": KEY[:-1]}, "public key"),
        ({"k": KEY + b"0"}, "public key"),
        ({"k": b"~" + KEY[1:]}, "public key"),
        ({"k": b"#####" + KEY[5:]}, "public key"),  # a group over 2**32
        ({"k": b"x" * 300}, "too long"),
        ({"p": None}, "lacks 'p'"),
        ({"p": b""}, "port"),
        ({"p": b"0"}, "port"),
        ({"p": b"65536"}, "port"),
        ({"p": b"000080"}, "port"),
        ({"p": b"-1"}, "port"),
        ({"p": b" 80"}, "port"),
        ({"p": b"80a"}, "port"),
        ({"p": "٣".encode()}, "port"),
        ({"o": None}, "lacks 'o'"),
        ({"o": b""}, "office tag"),
        ({"o": b"a" * 33}, "office tag"),
        ({"o": b"a-b"}, "office tag"),
        ({"o": "café".encode()}, "office tag"),
        ({"o": b"\xff"}, "office tag"),
        ({"m": b""}, "membership proof"),
        ({"m": b"not base64!"}, "membership proof"),
        ({"m": base64.b64encode(b"x" * 31)}, "membership proof"),
        ({"m": base64.b64encode(b"x" * 33)}, "membership proof"),
        ({"m": base64.b64encode(b"x" * 32)[:-1]}, "membership proof"),
    ],
)
def test_invalid_records_are_rejected(changes: dict[str, bytes | None], message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        parse_txt(with_(**changes))


def test_key_without_value_for_proof_is_no_proof() -> None:
    # zeroconf reports a key without "=" as None; for the optional proof that means absent.
    assert parse_txt(with_(m=None)).proof == b""


def test_port_bounds() -> None:
    assert parse_txt(with_(p=b"1")).pub_port == 1
    assert parse_txt(with_(p=b"65535")).pub_port == 65535
