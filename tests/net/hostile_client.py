"""A raw ZeroMQ client run on a lab host by the security tests. Prints one JSON line of results.

usage: hostile_client.py MODE ADDRESS PUB_PORT ROUTER_PORT SERVER_KEY SECONDS
MODE: plain-sub (no CURVE), random-sub (CURVE with a random key), random-hello (a HELLO with a
made-up proof), garbage (junk and oversized frames at the ROUTER).
"""

from __future__ import annotations

import json
import sys
import time

import zmq


def main() -> None:
    mode, address, pub_port, router_port, server_key, seconds = sys.argv[1:7]
    ctx = zmq.Context()
    public, secret = zmq.curve_keypair()
    received: list[str] = []
    deadline = time.monotonic() + float(seconds)
    if mode in {"plain-sub", "random-sub"}:
        sub = ctx.socket(zmq.SUB)
        if mode == "random-sub":
            sub.curve_serverkey = server_key.encode()
            sub.curve_publickey, sub.curve_secretkey = public, secret
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(f"tcp://{address}:{pub_port}")
        print(json.dumps({"type": "connected"}), flush=True)
        while (left := deadline - time.monotonic()) > 0:
            if sub.poll(int(left * 1000)):
                received.append(repr(sub.recv_multipart())[:80])
        sub.close(0)
    else:
        dealer = ctx.socket(zmq.DEALER)
        dealer.curve_serverkey = server_key.encode()
        dealer.curve_publickey, dealer.curve_secretkey = public, secret
        dealer.connect(f"tcp://{address}:{router_port}")
        if mode == "random-hello":
            import msgspec

            from hallway.core import wire

            hello = {
                "k": "hello",
                "office": "0" * 16,
                "proof": b"\x00" * 32,
                "name": "Mallory",
                "router_port": 1,
                "pub_port": 1,
                "inc": 1,
                "proto": wire.VERSION,  # this version's: refused for its proof alone
            }
            dealer.send(msgspec.msgpack.encode(hello))
            dealer.send(msgspec.msgpack.encode({"k": "snap"}))
        else:
            for payload in (
                b"",
                b"\xff" * 10,
                b"\x81\xa1k\xa5hello",
                b"x" * 70_000,
                msgspec_bomb(),
                b"\x00" * 1000,
            ):
                dealer.send(payload)
            dealer.send_multipart([b"a", b"b", b"c"])
        print(json.dumps({"type": "connected"}), flush=True)
        while (left := deadline - time.monotonic()) > 0:
            if dealer.poll(int(left * 1000)):
                received.append(repr(dealer.recv_multipart())[:80])
        dealer.close(0)
    ctx.term()
    print(json.dumps({"type": "result", "received": received}), flush=True)


def msgspec_bomb() -> bytes:
    """A msgpack array header claiming four billion items, with none behind it."""
    return b"\xdd\xff\xff\xff\xff"


if __name__ == "__main__":
    main()
