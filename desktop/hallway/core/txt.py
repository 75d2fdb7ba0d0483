"""The DNS-SD TXT record of a Hallway node: build it, and parse it from untrusted bytes."""

from __future__ import annotations

import base64
import binascii

import msgspec

from hallway.core import z85
from hallway.core.errors import DecodeError

SERVICE_TYPE = "_hallway._tcp.local."
TXT_VERSION = b"2"  # the protocol version (core.wire.VERSION)
#: Why a record of a node that speaks protocol 1 is ignored (the engine warns once about it).
OLD_PROTOCOL = "runs an older Hallway (protocol 1) and is ignored until it is updated"
_MAX_VALUE = 255


class TxtRecord(msgspec.Struct, frozen=True):
    public_key: bytes  # Z85, 40 bytes
    pub_port: int
    office_tag: str
    proof: bytes  # raw HMAC, empty for open offices


def build_txt(record: TxtRecord) -> dict[bytes, bytes]:
    props = {
        b"v": TXT_VERSION,
        b"k": record.public_key,
        b"p": str(record.pub_port).encode(),
        b"o": record.office_tag.encode(),
    }
    if record.proof:
        props[b"m"] = base64.b64encode(record.proof)
    return props


def _get(props: dict[bytes, bytes | None], key: bytes) -> bytes:
    value = props.get(key)
    if value is None:
        raise DecodeError(f"TXT record lacks {key.decode()!r}")
    if len(value) > _MAX_VALUE:
        raise DecodeError(f"TXT value {key.decode()!r} is too long")
    return value


def parse_txt(props: dict[bytes, bytes | None]) -> TxtRecord:
    """Validate a TXT record from the network. Raises DecodeError on anything off."""
    version = _get(props, b"v")
    if version == b"1":
        raise DecodeError(OLD_PROTOCOL)
    if version != TXT_VERSION:
        raise DecodeError("unsupported TXT record version")
    key = _get(props, b"k")
    if not z85.is_key(key):
        raise DecodeError("TXT record has an invalid public key")
    port_text = _get(props, b"p")
    if not port_text.isdigit() or len(port_text) > 5 or not 1 <= int(port_text) <= 65535:
        raise DecodeError("TXT record has an invalid port")
    tag_bytes = _get(props, b"o")
    try:
        tag = tag_bytes.decode("ascii")
    except UnicodeDecodeError:
        raise DecodeError("TXT record has an invalid office tag") from None
    if not tag or len(tag) > 32 or not tag.isalnum():
        raise DecodeError("TXT record has an invalid office tag")
    proof = b""
    raw_proof = props.get(b"m")
    if raw_proof is not None:
        try:
            proof = base64.b64decode(_get(props, b"m"), validate=True)
        except (binascii.Error, ValueError):
            raise DecodeError("TXT record has an invalid membership proof") from None
        if len(proof) != 32:
            raise DecodeError("TXT record has an invalid membership proof")
    return TxtRecord(public_key=key, pub_port=int(port_text), office_tag=tag, proof=proof)
