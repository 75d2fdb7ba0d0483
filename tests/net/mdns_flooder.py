"""Flood a LAN with fake `_hallway._tcp` instances by sending raw mDNS responses.

    python mdns_flooder.py ADDRESS COUNT TAG SECONDS [INTERVAL [RATE]]

Announces COUNT instances from ADDRESS (PTR, SRV, TXT and A records, three instances per datagram,
the TTLs zeroconf itself uses) once, then again every INTERVAL seconds (default 1) until SECONDS
have passed (0: one pass). Datagrams go out at RATE a second (default 5,000): as fast as a victim
can read them, so that they are not simply lost in its socket buffer. Each record parses: a valid
Z85 key whose fingerprint is the instance name, and a proof of the right length that no office key
made. Half of them carry TAG (the victim's office tag, which is public), half a random tag. Nothing
is registered, nothing answers queries: it is what an outsider with a socket can do, thousands of
names a second.

Prints NDJSON on stdout: `ready`, one `pass` per round (with the seconds it took), `done`.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import struct
import sys
import time

from hallway.core import z85
from hallway.core.model import fingerprint
from hallway.core.txt import TXT_VERSION

MDNS = ("224.0.0.251", 5353)
SERVICE = "_hallway._tcp.local"
PTR, SRV, TXT, A = 12, 33, 16, 1
CLASS_IN, CACHE_FLUSH = 1, 0x8000
SHARED_TTL, UNIQUE_TTL = 4500, 120  # zeroconf's own choices for PTR and for the rest
PER_DATAGRAM = 3  # ~1,200 bytes: no IP fragments on a 1,500-byte MTU


def _name(text: str) -> bytes:
    return b"".join(bytes([len(part)]) + part.encode() for part in text.split(".")) + b"\0"


def _record(name: str, kind: int, klass: int, ttl: int, rdata: bytes) -> bytes:
    return _name(name) + struct.pack("!HHIH", kind, klass, ttl, len(rdata)) + rdata


def _instance(address: bytes, tag: str) -> bytes:
    key = z85.encode(os.urandom(32))
    label = fingerprint(key)
    instance = f"{label}.{SERVICE}"
    host = f"h{label[:12]}.local"
    strings = [b"v=" + TXT_VERSION, b"k=" + key, b"p=40001", b"o=" + tag.encode(),
               b"m=" + base64.b64encode(os.urandom(32))]  # fmt: skip
    txt = b"".join(bytes([len(s)]) + s for s in strings)
    srv = struct.pack("!HHH", 0, 0, 40000) + _name(host)
    return b"".join((
        _record(SERVICE, PTR, CLASS_IN, SHARED_TTL, _name(instance)),
        _record(instance, SRV, CLASS_IN | CACHE_FLUSH, UNIQUE_TTL, srv),
        _record(instance, TXT, CLASS_IN | CACHE_FLUSH, UNIQUE_TTL, txt),
        _record(host, A, CLASS_IN | CACHE_FLUSH, UNIQUE_TTL, address),
    ))  # fmt: skip


def datagrams(address: str, count: int, tag: str) -> list[bytes]:
    raw = socket.inet_aton(address)
    instances = [_instance(raw, tag if i % 2 else secrets.token_hex(8)) for i in range(count)]
    out = []
    for start in range(0, count, PER_DATAGRAM):
        group = instances[start : start + PER_DATAGRAM]
        # A response (QR and AA set) with every record as an answer.
        header = struct.pack("!HHHHHH", 0, 0x8400, 0, len(group) * 4, 0, 0)
        out.append(header + b"".join(group))
    return out


def emit(event: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def main() -> None:
    address, count, tag, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    interval = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0
    rate = float(sys.argv[6]) if len(sys.argv) > 6 else 5000.0
    packets = datagrams(address, count, tag)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(address))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    sock.bind((address, 0))
    emit({"type": "ready", "instances": count, "datagrams": len(packets)})
    began = time.monotonic()
    passes = 0
    while True:
        start = time.monotonic()
        for i, packet in enumerate(packets):
            sock.sendto(packet, MDNS)
            if i % 50 == 49:  # pace in bursts of 50: the victim reads them as they come
                time.sleep(max(0.0, start + (i + 1) / rate - time.monotonic()))
        passes += 1
        emit({"type": "pass", "n": passes, "secs": time.monotonic() - start})
        if time.monotonic() - began + interval > seconds:
            break
        time.sleep(max(0.0, start + interval - time.monotonic()))
    sock.close()
    emit({"type": "done", "passes": passes})


if __name__ == "__main__":
    main()
