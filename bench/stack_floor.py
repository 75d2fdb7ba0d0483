"""The least a node of Hallway's design holds, with none of Hallway's code (issue 13's floors).

Usage: run by `bench/node_start.py` (as "the stack alone"), in its network namespace with only
`lo`; by hand: `unshare --net -- sh -c 'ip link set lo up && .venv/bin/python bench/stack_floor.py'`

DESIGN.md fixes the stack a node runs: python-zeroconf announcing and browsing
`_hallway._tcp.local.` without probing, pyzmq with a CURVE ROUTER and a CURVE PUB bound, SQLite
(stdlib `sqlite3`, WAL) for the store, and msgspec's msgpack for the wire. This process loads
exactly those and starts them as a node does before it can meet anyone (one service registered,
one browser, both sockets bound, one table written), then prints one JSON line,
`{"type": "ready"}`, and waits for stdin to close. It imports nothing else of its own (`os`,
`sys`, `json` and `tempfile` aside) and keeps OpenSSL out as Hallway does, so its RSS and its
CPU at `ready` are a floor under any node of this design: Hallway's node does all of this, and
more.
"""

import sys

# As Hallway's entry points do (hallway/entry.py): nothing here speaks TLS, and without these
# asyncio and hashlib leave libssl and libcrypto unmapped. A floor keeps every saving any node
# of this design can make.
for _name in ("ssl", "_ssl", "_hashlib"):
    sys.modules.setdefault(_name, None)  # type: ignore[arg-type]  # None: "not installed"

import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sqlite3  # noqa: E402
import tempfile  # noqa: E402

import msgspec.msgpack  # noqa: E402
import zmq  # noqa: E402
from zeroconf import ServiceInfo, ServiceStateChange, Zeroconf  # noqa: E402
from zeroconf.asyncio import AsyncServiceBrowser  # noqa: E402

SERVICE_TYPE = "_hallway._tcp.local."


def main() -> int:
    public, secret = zmq.curve_keypair()
    ctx = zmq.Context(io_threads=1)
    ports = []
    for kind in (zmq.ROUTER, zmq.PUB):
        sock = ctx.socket(kind)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.CURVE_SERVER, 1)
        sock.setsockopt(zmq.CURVE_PUBLICKEY, public)
        sock.setsockopt(zmq.CURVE_SECRETKEY, secret)
        ports.append(sock.bind_to_random_port("tcp://127.0.0.1"))
    with tempfile.TemporaryDirectory(prefix="hwfloor-") as home:
        db = sqlite3.connect(os.path.join(home, "floor.db"))
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        with db:
            db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
            db.execute("INSERT INTO meta VALUES ('hello', ?)", (msgspec.msgpack.encode([1, 2]),))
        name = os.urandom(16).hex()  # Hallway's is the key's fingerprint: as long, as plain
        info = ServiceInfo(
            SERVICE_TYPE,
            f"{name}.{SERVICE_TYPE}",
            port=ports[0],
            properties={"v": "1", "k": public.decode(), "p": str(ports[1])},
            server=f"{name}.local.",
            parsed_addresses=["127.0.0.1"],
        )
        zc = Zeroconf(interfaces=["127.0.0.1"])
        seen: list[str] = []

        def on_change(
            zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
        ) -> None:
            del zeroconf, service_type, state_change
            seen.append(name)

        async def browse() -> AsyncServiceBrowser:  # made on zeroconf's loop, as Hallway does
            return AsyncServiceBrowser(zc, SERVICE_TYPE, handlers=[on_change])

        assert zc.loop is not None
        browser = asyncio.run_coroutine_threadsafe(browse(), zc.loop).result(5)
        # Announced without probing, the announcements left to go on in the background (as
        # Hallway does: the blocking `register_service` waits for them).
        asyncio.run_coroutine_threadsafe(
            zc.async_register_service(info, cooperating_responders=True), zc.loop
        ).result(5)
        sys.stdout.write(json.dumps({"type": "ready"}) + "\n")
        sys.stdout.flush()
        sys.stdin.read()  # until the harness closes it (or stops us)
        asyncio.run_coroutine_threadsafe(browser.async_cancel(), zc.loop).result(5)
        zc.close()
        db.close()
    ctx.destroy(linger=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
