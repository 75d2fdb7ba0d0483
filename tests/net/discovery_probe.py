"""Drive `hallway.net.Discovery` instances from stdin and report what they see as NDJSON.

Run it inside a private network namespace (tests/net/test_discovery.py does), with zeroconf pinned
to 127.0.0.1. One JSON command per stdin line:

    {"cmd": "start", "node": "a"}               start a Discovery with a fresh CURVE key
    {"cmd": "update", "node": "a", "pub_port": 4242}
    {"cmd": "close", "node": "a"}
    {"cmd": "hostile", "variant": "badtxt"}     announce a raw, malformed record of our type
    {"cmd": "spawn", "tag": "x", "argv": [...]} run a tool in this namespace (avahi-browse...);
                                                each line it prints becomes an "out" event
    {"cmd": "quit"}

Every event is one line on stdout with `t`, a monotonic timestamp shared by all nodes of the
process: started, found, lost, bad, closed, updated, hostile, out, exited, error.
"""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import sys
import threading
import time
from typing import Any

import zmq
from zeroconf import IPVersion, ServiceInfo, Zeroconf

from hallway.core.model import fingerprint
from hallway.core.txt import SERVICE_TYPE, TxtRecord, build_txt
from hallway.net import Discovery, Found

ADDRESS = "127.0.0.1"
_out = threading.Lock()


def emit(event: dict[str, Any]) -> None:
    event["t"] = time.monotonic()
    line = json.dumps(event, sort_keys=True)
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def new_record(pub_port: int = 40001) -> TxtRecord:
    public, _secret = zmq.curve_keypair()
    return TxtRecord(public_key=public, pub_port=pub_port, office_tag="open", proof=b"")


class Probe:
    def __init__(self) -> None:
        self.nodes: dict[str, Discovery] = {}
        self.records: dict[str, TxtRecord] = {}
        self.raw: list[Zeroconf] = []
        self.spawned: list[tuple[subprocess.Popen[str], threading.Thread]] = []

    def start(self, node: str) -> None:
        record = new_record()
        instance = fingerprint(record.public_key)
        disco = Discovery(
            (ADDRESS,),
            instance,
            record,
            router_port=41000 + len(self.nodes),
            on_found=lambda found: self._found(node, found),
            on_lost=lambda peer: emit({"type": "lost", "node": node, "peer": peer}),
            on_bad=lambda source, why: emit(
                {"type": "bad", "node": node, "source": source, "reason": why}
            ),
        )
        self.nodes[node] = disco
        self.records[node] = record
        emit(
            {
                "type": "starting",
                "node": node,
                "instance": instance,
                "key": record.public_key.decode(),
            }
        )
        begun = time.monotonic()
        disco.start()
        emit(
            {
                "type": "started",
                "node": node,
                "instance": instance,
                "secs": time.monotonic() - begun,
            }
        )

    @staticmethod
    def _found(node: str, found: Found) -> None:
        emit(
            {
                "type": "found",
                "node": node,
                "peer": found.instance,
                "key": found.record.public_key.decode(),
                "pub_port": found.record.pub_port,
                "office": found.record.office_tag,
                "router_port": found.router_port,
                "addresses": list(found.addresses),
            }
        )

    def update(self, node: str, pub_port: int) -> None:
        old = self.records[node]
        record = TxtRecord(old.public_key, pub_port, old.office_tag, old.proof)
        emit({"type": "updating", "node": node})
        self.nodes[node].update(record)
        self.records[node] = record
        emit({"type": "updated", "node": node, "pub_port": pub_port})

    def close(self, node: str) -> None:
        emit({"type": "closing", "node": node})
        begun = time.monotonic()
        self.nodes.pop(node).close()
        emit({"type": "closed", "node": node, "secs": time.monotonic() - begun})

    def hostile(self, variant: str) -> None:
        """Announce a malformed record of our service type from a raw zeroconf instance."""
        record = new_record()
        good = build_txt(record)
        label = fingerprint(record.public_key)
        port = 42000
        addresses = [ADDRESS]
        props: dict[bytes, bytes | None] = dict(good)
        if variant == "badtxt":
            props[b"k"] = b"not a key"
        elif variant == "missing":
            del props[b"v"]
        elif variant == "huge":
            props = {f"x{i}".encode(): b"y" * 200 for i in range(30)}
            props[b"k"] = b"z" * 250
        elif variant == "notid":
            label = "Mallory's laptop"
        elif variant == "stolen":  # a real peer's key under another instance name
            props = dict(build_txt(next(iter(self.records.values()))))
            label = secrets.token_hex(16)
        elif variant == "noport":
            port = 0
        elif variant == "noaddr":
            addresses = []
        elif variant == "badproof":
            props[b"m"] = base64.b64encode(b"short")
        else:
            raise ValueError(f"unknown variant {variant!r}")
        zc = Zeroconf(interfaces=[ADDRESS], ip_version=IPVersion.V4Only)
        self.raw.append(zc)
        info = ServiceInfo(
            SERVICE_TYPE,
            f"{label}.{SERVICE_TYPE}",
            port=port,
            properties=props,
            server=f"h{secrets.token_hex(4)}.local.",
            parsed_addresses=addresses,
        )
        zc.register_service(info, cooperating_responders=True)
        emit({"type": "hostile", "variant": variant, "label": label})

    def spawn(self, tag: str, argv: list[str]) -> None:
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            text=True,
        )  # fmt: skip

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                emit({"type": "out", "tag": tag, "line": line.rstrip("\n")})
            emit({"type": "exited", "tag": tag, "code": proc.wait()})

        emit({"type": "spawned", "tag": tag, "pid": proc.pid})
        thread = threading.Thread(target=pump, name=f"spawn-{tag}")
        thread.start()
        self.spawned.append((proc, thread))

    def quit(self) -> None:
        for proc, thread in reversed(self.spawned):
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
            thread.join()
        for node in list(self.nodes):
            self.close(node)
        for zc in self.raw:
            zc.close()


def main() -> None:
    probe = Probe()
    emit({"type": "ready"})
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            command = json.loads(line)
            cmd = command["cmd"]
            try:
                if cmd == "start":
                    probe.start(command["node"])
                elif cmd == "update":
                    probe.update(command["node"], int(command["pub_port"]))
                elif cmd == "close":
                    probe.close(command["node"])
                elif cmd == "hostile":
                    probe.hostile(command["variant"])
                elif cmd == "spawn":
                    probe.spawn(command["tag"], list(command["argv"]))
                elif cmd == "quit":
                    break
                else:
                    emit({"type": "error", "error": f"unknown command {cmd!r}"})
            except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
                emit({"type": "error", "cmd": cmd, "error": repr(exc)})
    finally:
        probe.quit()
        emit({"type": "bye"})


if __name__ == "__main__":
    main()
