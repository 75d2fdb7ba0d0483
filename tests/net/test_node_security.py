"""Only members of an office see it: wrong passphrases, raw clients and garbage get nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.net.conftest import Office, RunningNode, is_type, node_env
from tests.support.netlab import EventStream

pytestmark = pytest.mark.net

HOSTILE = Path(__file__).with_name("hostile_client.py")


def _hostile(office: Office, target: RunningNode, mode: str, seconds: float = 3.0) -> list[str]:
    host = office.lab.add_host()
    proc = host.popen(
        [
            sys.executable, str(HOSTILE), mode, target.host.address,
            str(target.ready["pub_port"]), str(target.ready["router_port"]),
            _public_key(target), str(seconds),
        ],
        env=node_env(), stdout=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    with EventStream(proc.stdout, label=mode) as stream:
        stream.wait_for(lambda e: e["type"] == "connected", 10)
        # While the outsider listens, the members talk.
        target.cli("post", f"members only ({mode})")
        result = stream.wait_for(lambda e: e["type"] == "result", seconds + 10)
    proc.wait(10)
    proc.stdout.close()
    return list(result["received"])


def _public_key(node: RunningNode) -> str:
    return str(node.ready["public_key"])  # public by design: it is in the mDNS record


def test_wrong_passphrase_sees_nothing_and_injects_nothing(office: Office) -> None:
    ann, ben = office.node("Ann"), office.node("Ben")
    ben.wait(is_type("peer_online", peer=ann.id))
    eve = office.node("Eve", office_args=office.office_args(passphrase="not the passphrase"))
    ann.cli("status", "set", "busy", "Secret project")
    eve.cli("post", "Free pizza, click here")
    eve.cli("status", "set", "available", "Trust me")
    # Ben sees Ann's change; by then Eve's traffic, had it passed, would have arrived too.
    ben.wait(is_type("status", peer=ann.id, text="Secret project"))
    ann.cli("post", "Only for members")
    ben.wait(is_type("post", text="Only for members"))
    for member in (ann, ben):
        assert member.find(lambda e: e.get("peer") == eve.id) is None
        peers = json.loads(member.cli("peers", "--json").stdout)
        assert eve.id not in {p["id"] for p in peers}
    assert eve.find(lambda e: e.get("peer") in {ann.id, ben.id}) is None
    eve_peers = json.loads(eve.cli("peers", "--json").stdout)
    assert {p["id"] for p in eve_peers} == {eve.id}


@pytest.mark.parametrize("mode", ["plain-sub", "random-sub", "random-hello"])
def test_raw_clients_read_nothing(office: Office, mode: str) -> None:
    ann, ben = office.node("Ann"), office.node("Ben")
    ben.wait(is_type("peer_online", peer=ann.id))
    received = _hostile(office, ann, mode)
    assert received == []
    # Members still heard it, so there was something to read.
    ben.wait(is_type("post", text=f"members only ({mode})"))


def test_garbage_and_oversized_frames_crash_nothing(office: Office) -> None:
    ann, ben = office.node("Ann"), office.node("Ben")
    ben.wait(is_type("peer_online", peer=ann.id))
    assert _hostile(office, ann, "garbage") == []
    ann.cli("status", "set", "dnd", "Still standing")
    ben.wait(is_type("status", peer=ann.id, text="Still standing"))
    assert ann.proc is not None
    assert ann.proc.poll() is None
