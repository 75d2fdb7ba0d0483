"""Z85 (ZeroMQ RFC 32), the text form of CURVE keys. Kept here so `core` needs no zmq import."""

from __future__ import annotations

import struct

from hallway.core.errors import DecodeError

_ALPHABET = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"
_INDEX = {ch: i for i, ch in enumerate(_ALPHABET)}
KEY_LEN = 40  # a 32-byte key in Z85


def decode(text: bytes) -> bytes:
    if len(text) % 5:
        raise DecodeError("Z85 text length must be a multiple of 5")
    words = []
    for i in range(0, len(text), 5):
        value = 0
        for ch in text[i : i + 5]:
            digit = _INDEX.get(ch)
            if digit is None:
                raise DecodeError("invalid Z85 character")
            value = value * 85 + digit
        if value > 0xFFFFFFFF:
            raise DecodeError("Z85 group out of range")
        words.append(value)
    return struct.pack(f">{len(words)}I", *words)


def encode(raw: bytes) -> bytes:
    if len(raw) % 4:
        raise ValueError("Z85 input length must be a multiple of 4")
    out = bytearray()
    for (word,) in struct.iter_unpack(">I", raw):
        chunk = bytearray(5)
        value = word
        for j in range(4, -1, -1):
            value, digit = divmod(value, 85)
            chunk[j] = _ALPHABET[digit]
        out += chunk
    return bytes(out)


def is_key(text: bytes) -> bool:
    """True for the Z85 text of a 32-byte key."""
    if len(text) != KEY_LEN:
        return False
    try:
        decode(text)
    except DecodeError:
        return False
    return True
