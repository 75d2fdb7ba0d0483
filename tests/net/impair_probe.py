"""Small network probes for tests/net/test_impair.py, run on lab hosts; each reports NDJSON.

echo PORT                      answer every UDP datagram with itself
rtt ADDR PORT COUNT            COUNT sequential UDP round trips to an echo: their times in ms
sink PORT                      count UDP datagrams "data ..." until one reads "end"
send ADDR PORT TEXT COUNT      send COUNT datagrams "TEXT <i>"
mrecv GROUP PORT IFADDR        join a multicast group and report each datagram
msend GROUP PORT IFADDR TEXT   send one datagram to a multicast group
tcpsink PORT                   accept one TCP connection and report the SHA-256 of its bytes
tcpsend ADDR PORT SIZE         send SIZE pseudo-random bytes and report their SHA-256
"""

from __future__ import annotations

import hashlib
import json
import random
import socket
import struct
import sys
import time
from typing import Any


def emit(**event: Any) -> None:
    print(json.dumps(event), flush=True)


def udp(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind(("0.0.0.0", port))
    return sock


def echo(port: int) -> None:
    sock = udp(port)
    emit(type="ready")
    while True:
        data, peer = sock.recvfrom(2048)
        sock.sendto(data, peer)


def rtt(addr: str, port: int, count: int) -> None:
    sock = udp()
    sock.settimeout(2.0)
    times: list[float | None] = []
    for i in range(count):
        token = f"probe {i}".encode()
        started = time.monotonic()
        sock.sendto(token, (addr, port))
        result = None
        try:
            while result is None:
                if sock.recv(2048) == token:  # a late answer to an earlier probe is skipped
                    result = (time.monotonic() - started) * 1000.0
        except TimeoutError:
            pass
        times.append(result)
    emit(type="rtts", ms=times)


def sink(port: int) -> None:
    sock = udp(port)
    emit(type="ready")
    seen: set[bytes] = set()
    total = 0
    while True:
        data = sock.recv(2048)
        if data.startswith(b"end"):
            emit(type="count", total=total, unique=len(seen))
            return
        if data.startswith(b"data"):
            total += 1
            seen.add(data)


def send(addr: str, port: int, text: str, count: int) -> None:
    sock = udp()
    for i in range(count):
        sock.sendto(f"{text} {i}".encode(), (addr, port))
    emit(type="sent", count=count)


def mrecv(group: str, port: int, ifaddr: str) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((group, port))
    mreq = struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton(ifaddr))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    emit(type="ready")
    while True:
        data, (source, _) = sock.recvfrom(2048)
        emit(type="datagram", text=data.decode(), source=source)


def msend(group: str, port: int, ifaddr: str, text: str) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ifaddr))
    sock.sendto(text.encode(), (group, port))
    emit(type="sent")


def tcpsink(port: int) -> None:
    server = socket.create_server(("0.0.0.0", port))
    emit(type="ready")
    conn, _ = server.accept()
    digest, size = hashlib.sha256(), 0
    while chunk := conn.recv(1 << 16):
        digest.update(chunk)
        size += len(chunk)
    emit(type="received", sha256=digest.hexdigest(), size=size)


def tcpsend(addr: str, port: int, size: int) -> None:
    payload = random.Random(size).randbytes(size)
    started = time.monotonic()
    with socket.create_connection((addr, port), timeout=60) as conn:
        conn.sendall(payload)
    emit(type="sent", sha256=hashlib.sha256(payload).hexdigest(), size=size,
         seconds=round(time.monotonic() - started, 3))  # fmt: skip


def main(argv: list[str]) -> None:
    command, args = argv[0], argv[1:]
    if command == "echo":
        echo(int(args[0]))
    elif command == "rtt":
        rtt(args[0], int(args[1]), int(args[2]))
    elif command == "sink":
        sink(int(args[0]))
    elif command == "send":
        send(args[0], int(args[1]), args[2], int(args[3]))
    elif command == "mrecv":
        mrecv(args[0], int(args[1]), args[2])
    elif command == "msend":
        msend(args[0], int(args[1]), args[2], args[3])
    elif command == "tcpsink":
        tcpsink(int(args[0]))
    elif command == "tcpsend":
        tcpsend(args[0], int(args[1]), int(args[2]))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
