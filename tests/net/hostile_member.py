"""A raw *member* (it holds the passphrase) run on a lab host by the member-attack tests.

usage: hostile_member.py MODE OWN_ADDRESS VICTIM_ADDRESS VICTIM_ROUTER_PORT VICTIM_KEY SECONDS
       OFFICE PASSPHRASE_FILE

It makes a key with a valid proof, says HELLO, answers the victim's HELLO and snapshot
requests, and misbehaves by MODE (issue 9):
- snapshots: heartbeats claim a gap of GAP seqs; each snapshot request is answered with GAP new
  posts of 2,000 four-byte characters (the most bytes a post may have) that fill the claimed gap,
  plus posts outside it (beyond the snapshot's own seq), with other text;
- future: a snapshot status stamped 2^35 (the year 3058), 55 posts stamped so, then a status
  stamped now, which must not be frozen out.
Prints JSON lines: {"type": "member", "peer": ...}, {"type": "linked"}, then {"type": "result"}.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import zmq

from hallway.core import wire
from hallway.core.model import Presence, fingerprint
from hallway.core.office import Office, derive_office_key
from hallway.core.records import local_key

INC = 7
GAP = 200  # new posts per snapshot: a budget-sized answer, so snapshots keep completing
OUTSIDE = 20  # posts beyond the snapshot's own seq in each answer
PER_PART = 7  # 7 posts of ~8 KB stay under the 64 KiB frame limit
FAR_FUTURE = float(2**35)
TEXT = "\U0001d538" * 2000  # 2,000 characters, 8,000 bytes in UTF-8
OUTSIDE_TEXT = "\U0001d539" * 2000  # the posts outside the gap, told apart in the database


def main() -> None:
    mode, own, victim, router_port, victim_key, seconds, office_name, passfile = sys.argv[1:9]
    office = Office(
        name=office_name, key=derive_office_key(office_name, Path(passfile).read_text().strip())
    )
    member = Member(own, office)
    print(json.dumps({"type": "member", "peer": member.peer}), flush=True)
    member.hello(victim, int(router_port), victim_key.encode())
    deadline = time.monotonic() + float(seconds)

    def stop(*_: object) -> None:  # SIGTERM ends the attack early, results still printed
        nonlocal deadline
        deadline = 0.0

    signal.signal(signal.SIGTERM, stop)

    def ends() -> float:  # read at each turn: SIGTERM moves it
        return deadline

    result = member.snapshots(ends) if mode == "snapshots" else member.future(ends)
    member.close()
    print(json.dumps({"type": "result", **result}), flush=True)


class Member:
    def __init__(self, address: str, office: Office) -> None:
        self.public, self.secret = zmq.curve_keypair()
        self.peer = fingerprint(self.public)
        self.office = office
        self.ctx = zmq.Context()
        self.router = self._server(zmq.ROUTER)
        # XPUB: the victim's subscription shows, so nothing is published before it listens.
        self.pub = self._server(zmq.XPUB)
        self.router_port = self.router.bind_to_random_port(f"tcp://{address}")
        self.pub_port = self.pub.bind_to_random_port(f"tcp://{address}")
        self.dealer = self.ctx.socket(zmq.DEALER)
        self.linked = False
        self.subscribed = False

    def _server(self, kind: int) -> zmq.Socket[bytes]:
        sock = self.ctx.socket(kind)
        sock.linger = 0
        sock.sndhwm = 100_000
        sock.curve_server = True
        sock.curve_publickey, sock.curve_secretkey = self.public, self.secret
        return sock

    def hello(self, address: str, port: int, key: bytes) -> None:
        self.dealer.linger = 0
        self.dealer.curve_serverkey = key
        self.dealer.curve_publickey, self.dealer.curve_secretkey = self.public, self.secret
        self.dealer.connect(f"tcp://{address}:{port}")
        hello = wire.Hello(
            office=self.office.tag, proof=self.office.proof(self.public), name="Mallory",
            router_port=self.router_port, pub_port=self.pub_port, inc=INC, proto=wire.VERSION,
        )  # fmt: skip
        self.dealer.send(wire.encode(hello))
        if not self.dealer.poll(20_000):
            raise SystemExit("no WELCOME from the victim")
        assert isinstance(wire.decode_reply(self.dealer.recv()), wire.Welcome)

    def requests(self, timeout_ms: int) -> list[tuple[bytes, wire.Request]]:
        """Answer HELLOs; return the snapshot requests that came within `timeout_ms`."""
        out: list[tuple[bytes, wire.Request]] = []
        if self.pub.poll(0):
            self.subscribed = self.pub.recv().startswith(b"\x01") or self.subscribed
        if not self.router.poll(timeout_ms):
            return out
        while self.router.poll(0):
            routing, payload = self.router.recv_multipart()
            request = wire.decode_request(payload)
            if isinstance(request, wire.Hello):
                welcome = wire.Welcome(name="Mallory", pub_port=self.pub_port, inc=INC)
                self.router.send_multipart([routing, wire.encode(welcome)])
            else:
                out.append((routing, request))
                if not self.linked:
                    self.linked = True
                    print(json.dumps({"type": "linked"}), flush=True)
        return out

    def answer(self, routing: bytes, seq: int, recs: list[wire.SnapRec]) -> int:
        parts = [recs[i : i + PER_PART] for i in range(0, len(recs), PER_PART)] or [[]]
        for n, chunk in enumerate(parts):
            more = n < len(parts) - 1
            part = wire.SnapshotPart(inc=INC, seq=seq, name="Mallory", recs=chunk, more=more)
            self.router.send_multipart([routing, wire.encode(part)])
        return len(parts)

    def publish(self, seq: int, body: wire.Body, at: float | None = None) -> None:
        env = wire.Envelope(v=wire.VERSION, inc=INC, seq=seq, at=at or time.time(), body=body)
        self.pub.send_multipart([wire.TOPIC, wire.encode(env)])

    def snapshots(self, deadline: Callable[[], float]) -> dict[str, int]:
        claimed, answered, in_gap, outside, parts = GAP, 0, 0, 0, 0
        next_beat = 0.0
        while time.monotonic() < deadline():
            for routing, _ in self.requests(20):
                # Fill exactly the gap claimed (claimed - GAP, claimed], and add posts outside it.
                gap = [_post(s) for s in range(claimed - GAP + 1, claimed + 1)]
                beyond = range(claimed + 1, claimed + 1 + OUTSIDE)
                outside_gap = [_post(s, OUTSIDE_TEXT) for s in beyond]
                parts += self.answer(routing, claimed, gap + outside_gap)
                answered, in_gap, outside = answered + 1, in_gap + len(gap), outside + OUTSIDE
                claimed += GAP  # the next heartbeat claims the next gap
            if self.linked and time.monotonic() >= next_beat:
                self.publish(claimed, wire.Heartbeat())
                next_beat = time.monotonic() + 0.2
        return {"snapshots": answered, "in_gap": in_gap, "outside": outside, "parts": parts}

    def future(self, deadline: Callable[[], float]) -> dict[str, int]:
        first = True
        while time.monotonic() < deadline() and (first or not self.subscribed):
            for routing, _ in self.requests(50):
                status = wire.StatusValue(presence=Presence.BUSY, text="from 3058")
                self.answer(routing, 0, [wire.SnapRec(INC, 0, FAR_FUTURE, "status", "", status)])
                first = False
        if not self.subscribed:
            raise SystemExit("the victim never subscribed")
        for seq in range(1, 56):
            post = wire.PostValue(text=f"From the year 3058, #{seq}")
            self.publish(seq, wire.Rec(kind="post", key=local_key(INC, seq), val=post), FAR_FUTURE)
        away = wire.StatusValue(presence=Presence.AWAY, text="still 3058")
        self.publish(56, wire.Rec(kind="status", val=away), FAR_FUTURE)
        later = wire.StatusValue(presence=Presence.AVAILABLE, text="later")
        self.publish(57, wire.Rec(kind="status", val=later))
        while time.monotonic() < deadline():  # stay, but answer no resync: "later" came live
            self.requests(50)
        return {"posts": 55}

    def close(self) -> None:
        for sock in (self.router, self.pub, self.dealer):
            sock.close(0)
        self.ctx.term()


def _post(seq: int, text: str = TEXT) -> wire.SnapRec:
    post = wire.PostValue(text=text, urgent=True)
    return wire.SnapRec(INC, seq, time.time(), "post", local_key(INC, seq), post)


if __name__ == "__main__":
    main()
