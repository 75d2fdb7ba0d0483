"""Run one Pyre (ZRE) node and speak Hallway's event stream, so one harness measures both.

Output, one JSON object per line on stdout (see the event stream in docs/PROTOCOL.md):

- ``ready`` once the node has started (``peer`` is its UUID as hex);
- ``peer_online`` on ENTER, ``peer_offline`` on EXIT (Pyre cannot tell a clean stop from an
  expiry, so the reason is always ``timeout``);
- ``post`` on SHOUT to the group, and for the node's own shouts with ``own: true``;
- ``stopped`` before exiting.

Input, one JSON object per line on stdin:

- ``{"cmd": "shout", "text": "...", "id": "..."}`` shouts ``{"text", "sent_at", "id"}`` to the
  group; ``id`` is optional;
- ``{"cmd": "quit"}`` stops the node cleanly (Pyre then beacons port 0, its goodbye).

EOF on stdin, SIGTERM and SIGINT stop the node cleanly too.

Pyre picks the first IPv4 interface that is neither loopback nor link-local and beacons to its
broadcast address (UDP 5670). It has no way to choose an interface (``set_interface`` is a stub and
it reads no ZSYS_INTERFACE), so run it where the only such interface is the one to use: a lab host.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import uuid
from datetime import UTC, datetime
from types import FrameType
from typing import Any

import zmq
from pyre import Pyre  # type: ignore[import-untyped]
from pyre.pyre_event import PyreEvent  # type: ignore[import-untyped]

GROUP = "HALLWAY"
_CMD_ENDPOINT = "inproc://driver-commands"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class Output:
    def __init__(self) -> None:
        self._lock = threading.Lock()

    def emit(self, kind: str, **fields: Any) -> None:
        line = json.dumps({"type": kind, "at": now_iso(), **fields}, separators=(",", ":"))
        with self._lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()


def read_stdin(ctx: zmq.Context[zmq.Socket[bytes]]) -> None:
    """Forward stdin lines to the node thread: Pyre's sockets belong to that one thread."""
    push = ctx.socket(zmq.PAIR)
    push.connect(_CMD_ENDPOINT)
    try:
        for line in sys.stdin:
            if line.strip():
                push.send_string(line)
        push.send_string('{"cmd": "quit"}')
    except zmq.ZMQError:
        pass  # the node is stopping and destroyed the context
    finally:
        push.close(linger=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--group", default=GROUP)
    parser.add_argument("--verbose", action="store_true", help="log Pyre's debug output on stderr")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        stream=sys.stderr)

    out = Output()
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    commands = ctx.socket(zmq.PAIR)
    commands.bind(_CMD_ENDPOINT)
    wake = ctx.socket(zmq.PAIR)  # signal handlers poke the loop through this pair
    wake.bind("inproc://driver-wake")
    wake_tx = ctx.socket(zmq.PAIR)
    wake_tx.connect("inproc://driver-wake")

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        wake_tx.send(b"stop", zmq.NOBLOCK)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    node = Pyre(args.name, ctx=ctx)
    node.join(args.group)
    node.start()
    own = uuid.UUID(str(node.uuid())).hex
    endpoint = str(node.endpoint())
    address, _, port = endpoint.removeprefix("tcp://").rpartition(":")
    names: dict[str, str] = {}
    out.emit("ready", peer=own, name=args.name, fingerprint=None, office=None,
             router_port=int(port), pub_port=None, addresses=[address])

    threading.Thread(target=read_stdin, args=(ctx,), daemon=True).start()
    poller = zmq.Poller()
    poller.register(node.socket(), zmq.POLLIN)
    poller.register(commands, zmq.POLLIN)
    poller.register(wake, zmq.POLLIN)
    running = True
    while running:
        try:
            ready = dict(poller.poll())
        except zmq.ZMQError:
            continue  # EINTR from a signal: the wake socket tells the rest
        if node.socket() in ready:
            handle_event(PyreEvent(node), names, out)
        if commands in ready:
            running = handle_command(commands.recv_string(), node, args, own, out)
        if wake in ready:
            wake.recv()
            running = False

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    node.stop()
    out.emit("stopped")
    # The stdin thread may still hold its socket while it blocks on a read: term() would wait
    # for it forever, destroy() does not.
    ctx.destroy(linger=0)
    return 0


def handle_event(event: Any, names: dict[str, str], out: Output) -> None:
    peer = event.peer_uuid.hex
    if event.type == "ENTER":
        names[peer] = event.peer_name
        address = str(event.peer_addr).removeprefix("tcp://").rpartition(":")[0]
        out.emit("peer_online", peer=peer, name=event.peer_name, address=address)
    elif event.type == "EXIT":
        out.emit("peer_offline", peer=peer, name=names.pop(peer, event.peer_name),
                 reason="timeout")
    elif event.type == "SHOUT":
        try:
            body = json.loads(event.msg[0])
            text, sent_at = str(body["text"]), str(body["sent_at"])
        except (ValueError, KeyError, IndexError, TypeError):
            out.emit("warning", message="undecodable SHOUT", peer=peer)
            return
        out.emit("post", peer=peer, name=event.peer_name, sent_at=sent_at,
                 id=str(body.get("id") or ""), text=text, urgent=False, tags=[], own=False)


def handle_command(line: str, node: Any, args: argparse.Namespace, own: str, out: Output) -> bool:
    """Apply one stdin command; return False to stop."""
    try:
        cmd = json.loads(line)
        kind = cmd["cmd"]
    except (ValueError, KeyError, TypeError):
        out.emit("warning", message=f"bad command: {line.strip()[:80]}")
        return True
    if kind == "quit":
        return False
    if kind == "shout":
        sent_at = now_iso()
        post_id = str(cmd.get("id") or uuid.uuid4().hex)
        text = str(cmd.get("text", ""))
        body = json.dumps({"text": text, "sent_at": sent_at, "id": post_id})
        node.shout(args.group, body.encode())
        out.emit("post", peer=own, name=args.name, sent_at=sent_at, id=post_id, text=text,
                 urgent=False, tags=[], own=True)
        return True
    out.emit("warning", message=f"unknown command: {kind!r}")
    return True


if __name__ == "__main__":
    sys.exit(main())
