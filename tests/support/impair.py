"""A userspace switch that loses and delays frames: the lab's stand-in for netem.

This kernel has no netem qdisc (nor fq, etf or NFQUEUE), so no packet can be held back in the
kernel. Instead, `Lab.impair` takes the switch-side veth ports (``v1``..``vN``) out of the lab's
bridge and runs this program in the switch namespace, where it acts as a learning switch:

- one ``AF_PACKET`` socket (``ETH_P_ALL``) bound to each port receives every frame that a host
  sends; frames the program itself sent (``PACKET_OUTGOING``) are ignored, so nothing loops;
- each frame is dropped with probability ``loss`` %, or else gets a delay drawn uniformly from
  ``[delay - jitter, delay + jitter]`` ms (clamped at 0) and waits in a heap of due times;
- a single ``poll`` loop sleeps until the next frame is due or a port has input, then sends each
  due frame to the port that its destination MAC was last seen on, or to every other port for
  broadcast, multicast (mDNS) and unknown destinations.

The loss and the delay are decided once per frame, as netem on each host's egress would: a lost
multicast frame reaches nobody, and a round trip crosses two delays. With jitter, frames are
reordered, as they are under netem: ``--delay 50 --jitter 50`` matches netem's ``delay 50ms 50ms``.

Hosts hand their frames to the veths with offloads on: a TCP frame may carry a partial checksum
or be a segmentation-offload super-frame of up to 64 KiB. The sockets use ``PACKET_VNET_HDR``,
so each frame comes with its offload metadata and is sent on with it unchanged. Loss applies to
such a super-frame as a whole, as netem's does (it sees the same unsegmented packets); small
messages, heartbeats and mDNS are one frame each.

Run: ``python tests/support/impair.py --ports v1,v2,v3 --loss 5 --delay 50 --jitter 50``. It
prints ``{"type": "ready", ...}`` once its sockets are bound, and on SIGTERM or SIGINT a
``{"type": "stats", ...}`` line (frames in, out and dropped, mean added delay, how late the loop
sent), then exits with status 0. Standard library only, so it runs from any interpreter.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import json
import math
import os
import random
import select
import signal
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ImpairedSwitch", "Impairment", "main"]

SOL_PACKET = 263  # <linux/socket.h>; the socket module of Python 3.11 lacks it
ETH_P_ALL = 0x0003  # <linux/if_ether.h>
PACKET_VNET_HDR = 15  # <linux/if_packet.h>
PACKET_IGNORE_OUTGOING = 23
VNET_HDR_LEN = 10  # struct virtio_net_hdr
VIRTIO_NET_HDR_F_NEEDS_CSUM = 1
MAX_FRAME = VNET_HDR_LEN + 65536 + 64  # a GSO super-frame, its header and some slack
BURST = 64  # frames read from one port per wake-up, so that no port starves the others


@dataclass(frozen=True)
class Impairment:
    """What the switch does to every frame."""

    loss_pct: float = 0.0
    delay_ms: float = 0.0
    jitter_ms: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.loss_pct <= 100.0:
            raise ValueError(f"loss must be a percentage from 0 to 100, not {self.loss_pct}")
        if self.delay_ms < 0 or self.jitter_ms < 0:
            raise ValueError("delay and jitter cannot be negative")


@dataclass
class Stats:
    frames_in: int = 0
    frames_out: int = 0
    dropped: int = 0
    tx_errors: int = 0
    delayed: int = 0
    delay_total_ms: float = 0.0
    late_total_ms: float = 0.0
    late_max_ms: float = 0.0
    by_port: dict[str, int] = field(default_factory=dict)

    def as_event(self) -> dict[str, Any]:
        return {
            "type": "stats",
            "frames_in": self.frames_in,
            "frames_out": self.frames_out,
            "dropped": self.dropped,
            "tx_errors": self.tx_errors,
            "mean_delay_ms": round(self.delay_total_ms / self.delayed, 3) if self.delayed else 0,
            "mean_late_ms": round(self.late_total_ms / self.delayed, 3) if self.delayed else 0,
            "max_late_ms": round(self.late_max_ms, 3),
            "in_by_port": dict(self.by_port),
        }


class ImpairedSwitch:
    """A learning switch between AF_PACKET sockets on `ports`, impairing every frame.

    `run` forwards until `stop` is called (from a signal handler, say) and returns the stats.
    """

    def __init__(
        self, ports: Sequence[str], impairment: Impairment, *, seed: int | None = None
    ) -> None:
        if len(set(ports)) != len(ports) or len(ports) < 2:
            raise ValueError(f"need two or more distinct ports, not {list(ports)}")
        self.ports = list(ports)
        self.impairment = impairment
        self.stats = Stats(by_port=dict.fromkeys(self.ports, 0))
        self._random = random.Random(seed)  # emulation, not cryptography
        self._socks: list[socket.socket] = []
        self._by_fd: dict[int, int] = {}
        self._macs: dict[bytes, int] = {}  # source MAC -> index of the port it was seen on
        # (due time, sequence number, frame, ingress port): the sequence keeps equal due times
        # in arrival order, so a constant delay never reorders.
        self._queue: list[tuple[float, int, bytes, int]] = []
        self._seq = 0
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._stopping = False
        self._buf = bytearray(MAX_FRAME)
        try:
            for index, port in enumerate(self.ports):
                sock = self._open(port)
                self._socks.append(sock)
                self._by_fd[sock.fileno()] = index
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _open(port: str) -> socket.socket:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        try:
            sock.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
            # Saves the kernel looping our own sends back to us; the pkttype check stays, for
            # kernels without it.
            with contextlib.suppress(OSError):
                sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            sock.bind((port, ETH_P_ALL))
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        return sock

    def stop(self) -> None:
        """Make `run` return; safe to call from a signal handler."""
        self._stopping = True
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"\0")

    def close(self) -> None:
        for sock in self._socks:
            sock.close()
        self._socks.clear()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def run(self) -> Stats:
        poller = select.poll()
        for sock in self._socks:
            poller.register(sock.fileno(), select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        while not self._stopping:
            timeout_ms: int | None = None
            if self._queue:
                wait = self._queue[0][0] - time.monotonic()
                timeout_ms = max(0, math.ceil(wait * 1000))
            for fd, _ in poller.poll(timeout_ms):
                if fd == self._wake_r:
                    with contextlib.suppress(OSError):
                        os.read(self._wake_r, 64)
                else:
                    self._receive(self._by_fd[fd])
            self._send_due(time.monotonic())
        return self.stats

    def _receive(self, index: int) -> None:
        sock = self._socks[index]
        for _ in range(BURST):
            try:
                size, address = sock.recvfrom_into(self._buf)
            except BlockingIOError:
                return
            except OSError:
                return  # ENETDOWN while a port is down: it comes back on its own
            if address[2] == socket.PACKET_OUTGOING or size <= VNET_HDR_LEN + 14:
                continue
            self._enqueue(bytes(self._buf[:size]), index)

    def _enqueue(self, frame: bytes, index: int) -> None:
        stats = self.stats
        stats.frames_in += 1
        stats.by_port[self.ports[index]] += 1
        source = frame[VNET_HDR_LEN + 6 : VNET_HDR_LEN + 12]
        if not source[0] & 1:
            self._macs[source] = index
        imp = self.impairment
        if imp.loss_pct and self._random.random() * 100.0 < imp.loss_pct:
            stats.dropped += 1
            return
        delay_ms = imp.delay_ms
        if imp.jitter_ms:
            delay_ms = max(0.0, self._random.uniform(delay_ms - imp.jitter_ms,
                                                     delay_ms + imp.jitter_ms))  # fmt: skip
        stats.delayed += 1
        stats.delay_total_ms += delay_ms
        if frame[0] & ~VIRTIO_NET_HDR_F_NEEDS_CSUM:
            # Received-side flags (DATA_VALID) mean nothing on transmit.
            frame = bytes([frame[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM]) + frame[1:]
        self._seq += 1
        heapq.heappush(self._queue, (time.monotonic() + delay_ms / 1000.0, self._seq, frame, index))

    def _send_due(self, now: float) -> None:
        queue, stats = self._queue, self.stats
        while queue and queue[0][0] <= now:
            due, _, frame, ingress = heapq.heappop(queue)
            late_ms = (now - due) * 1000.0
            stats.late_total_ms += late_ms
            stats.late_max_ms = max(stats.late_max_ms, late_ms)
            destination = frame[VNET_HDR_LEN : VNET_HDR_LEN + 6]
            known = None if destination[0] & 1 else self._macs.get(destination)
            if known is not None:
                targets: Sequence[int] = () if known == ingress else (known,)
            else:
                targets = [i for i in range(len(self._socks)) if i != ingress]
            for target in targets:
                try:
                    self._socks[target].send(frame)
                except OSError:
                    stats.tx_errors += 1  # a port that is down, or a full queue: a lost frame
                else:
                    stats.frames_out += 1


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--ports", required=True, help="comma-separated interfaces, e.g. v1,v2")
    parser.add_argument("--loss", type=float, default=0.0, help="percentage of frames dropped")
    parser.add_argument("--delay", type=float, default=0.0, help="mean added delay, in ms")
    parser.add_argument(
        "--jitter", type=float, default=0.0, help="the delay varies by up to this much, in ms"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of the loss and delays")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    ports = [p for p in args.ports.split(",") if p]
    impairment = Impairment(args.loss, args.delay, args.jitter)
    switch = ImpairedSwitch(ports, impairment, seed=args.seed)

    def on_signal(signum: int, frame: object) -> None:
        switch.stop()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)
    try:
        print(json.dumps({
            "type": "ready", "pid": os.getpid(), "ports": ports, "loss_pct": args.loss,
            "delay_ms": args.delay, "jitter_ms": args.jitter, "seed": args.seed,
        }), flush=True)  # fmt: skip
        stats = switch.run()
    finally:
        switch.close()
    print(json.dumps(stats.as_event()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
