"""The ZAP handler (ZeroMQ RFC 27): decides which CURVE clients may connect.

It is a REP socket polled by the engine's own loop, so decisions read engine state without locks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

import zmq

from hallway.core import z85

ZAP_ENDPOINT: Final = "inproc://zeromq.zap.01"
_log = logging.getLogger(__name__)

#: authorize(domain, z85_public_key) -> whether to admit
Authorizer = Callable[[bytes, bytes], bool]


class ZapHandler:
    def __init__(self, ctx: zmq.Context[zmq.Socket[bytes]], authorize: Authorizer) -> None:
        self._authorize = authorize
        self.socket: zmq.Socket[bytes] = ctx.socket(zmq.REP)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.bind(ZAP_ENDPOINT)
        self.denied = 0

    def handle(self) -> None:
        """Answer one pending request (the socket is readable)."""
        frames = self.socket.recv_multipart()
        if len(frames) < 6:  # libzmq never sends this; answer anyway so the handshake ends
            self.socket.send_multipart([b"1.0", b"", b"500", b"bad request", b"", b""])
            return
        version, request_id, domain, _address, _identity, mechanism = frames[:6]
        credentials = frames[6:]
        key = b""
        ok = False
        if mechanism == b"CURVE" and len(credentials) == 1 and len(credentials[0]) == 32:
            key = z85.encode(credentials[0])
            ok = self._authorize(domain, key)
        if not ok:
            self.denied += 1
        status = (b"200", b"OK") if ok else (b"400", b"not a member of this office")
        self.socket.send_multipart([version, request_id, *status, key if ok else b"", b""])

    def close(self) -> None:
        self.socket.close(linger=0)
