"""Z85 (hallway/core/z85.py) against the RFC 32 test vector and pyzmq's implementation."""

from __future__ import annotations

import pytest
import zmq
from hypothesis import given
from hypothesis import strategies as st
from zmq.utils import z85 as zmq_z85

from hallway.core import z85
from hallway.core.errors import DecodeError

words = st.integers(0, 64).map(lambda n: n * 4).flatmap(lambda n: st.binary(min_size=n, max_size=n))


def test_rfc_test_vector() -> None:
    raw = bytes([0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B])
    assert z85.encode(raw) == b"HelloWorld"
    assert z85.decode(b"HelloWorld") == raw


@given(words)
def test_round_trip(raw: bytes) -> None:
    assert z85.decode(z85.encode(raw)) == raw


@given(st.binary(min_size=32, max_size=32))
def test_agrees_with_pyzmq_for_keys(raw: bytes) -> None:
    text = z85.encode(raw)
    assert text == zmq_z85.encode(raw)
    assert len(text) == z85.KEY_LEN
    assert z85.is_key(text)
    assert z85.decode(text) == zmq_z85.decode(text) == raw


@given(words)
def test_agrees_with_pyzmq_for_any_length(raw: bytes) -> None:
    assert z85.encode(raw) == zmq_z85.encode(raw)


def test_real_curve_keys() -> None:
    public, secret = zmq.curve_keypair()
    for key in (public, secret):
        assert z85.is_key(key)
        assert z85.encode(z85.decode(key)) == key


@given(st.binary(max_size=60))
def test_arbitrary_bytes_only_raise_decode_error(text: bytes) -> None:
    try:
        raw = z85.decode(text)
    except DecodeError:
        return
    assert len(raw) == len(text) // 5 * 4
    assert z85.encode(raw) == text


@pytest.mark.parametrize(
    "text",
    [
        b"HelloWorl",  # not a multiple of 5
        b"Hello World",
        b"Hell~",  # not in the alphabet
        b'Hell"',
        b"Hell ",
        b"Hell\x00",
        b"#####",  # 85**5 - 1 is over 2**32 - 1
        b"%nSc1",  # 2**32: the first value over the limit
    ],
)
def test_invalid_text_is_rejected(text: bytes) -> None:
    with pytest.raises(DecodeError):
        z85.decode(text)
    assert not z85.is_key(text * 8)


def test_largest_group() -> None:
    assert z85.decode(b"%nSc0") == b"\xff\xff\xff\xff"
    assert z85.encode(b"\xff\xff\xff\xff") == b"%nSc0"


def test_is_key_checks_length() -> None:
    key = z85.encode(bytes(32))
    assert z85.is_key(key)
    assert not z85.is_key(key[:-5])
    assert not z85.is_key(key + b"00000")
    assert not z85.is_key(b"")


def test_encode_wants_whole_words() -> None:
    with pytest.raises(ValueError, match="multiple of 4"):
        z85.encode(b"abc")


def test_str_input_is_rejected_not_crashed() -> None:
    with pytest.raises(DecodeError):
        z85.decode("HelloWorld")  # type: ignore[arg-type]
