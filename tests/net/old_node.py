"""A node of protocol version 1, as far as others can see it (issue 10).

usage: python -m tests.net.old_node OWN_ADDRESS VICTIM_ADDRESS VICTIM_ROUTER_PORT VICTIM_KEY
       OFFICE PASSPHRASE_FILE

It announces itself on mDNS the way version 1 did (TXT `v=1`, a valid key and membership proof)
and sends the victim a version-1 HELLO (no `proto`), then stays until SIGTERM. Prints JSON lines:
{"type": "old", "peer"}, {"type": "hello", "answered": bool} (whether anything came back within
3 s).
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path

import msgspec
import zmq
from zeroconf import IPVersion, ServiceInfo, Zeroconf

from hallway.core.model import fingerprint
from hallway.core.office import Office, derive_office_key
from hallway.core.txt import SERVICE_TYPE, TxtRecord, build_txt


def main() -> None:
    own, victim, router_port, victim_key, office_name, passfile = sys.argv[1:7]
    office = Office(
        name=office_name, key=derive_office_key(office_name, Path(passfile).read_text().strip())
    )
    public, secret = zmq.curve_keypair()
    peer = fingerprint(public)
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    router.curve_server, router.curve_publickey, router.curve_secretkey = True, public, secret
    port = router.bind_to_random_port(f"tcp://{own}")
    txt = build_txt(TxtRecord(public, port + 1, office.tag, office.proof(public)))
    txt[b"v"] = b"1"
    zc = Zeroconf(interfaces=[own], ip_version=IPVersion.V4Only)
    info = ServiceInfo(
        SERVICE_TYPE, f"{peer}.{SERVICE_TYPE}", port=port, properties=txt,
        server=f"{peer}.local.", parsed_addresses=[own],
    )  # fmt: skip
    zc.register_service(info, cooperating_responders=True)
    print(json.dumps({"type": "old", "peer": peer}), flush=True)

    dealer = ctx.socket(zmq.DEALER)
    dealer.linger = 0
    dealer.curve_serverkey = victim_key.encode()
    dealer.curve_publickey, dealer.curve_secretkey = public, secret
    dealer.connect(f"tcp://{victim}:{router_port}")
    hello = {  # version 1's HELLO: no `proto`
        "k": "hello", "office": office.tag, "proof": office.proof(public), "name": "Old Olga",
        "router_port": port, "pub_port": port + 1, "inc": 1,
    }  # fmt: skip
    dealer.send(msgspec.msgpack.encode(hello))
    answered = bool(dealer.poll(3000))
    print(json.dumps({"type": "hello", "answered": answered}), flush=True)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    done.wait(60)
    zc.unregister_service(info)
    zc.close()
    for sock in (dealer, router):
        sock.close(0)
    ctx.term()


if __name__ == "__main__":
    main()
