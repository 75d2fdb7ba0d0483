"""The gate's bookkeeping of unproven connections (issue 9, item 2): pure, no sockets."""

from __future__ import annotations

import math
import subprocess
import sys

from hallway.net.gate import Conn, ConnTable


def _conn(fd: int, source: str = "198.18.0.9", since: float = 0.0) -> Conn:
    return Conn(fd=fd, source=source, peer=(source, 40000 + fd), local=("198.18.0.1", 5000),
                since=since)  # fmt: skip


def test_a_source_over_its_cap_is_refused_and_others_still_get_in() -> None:
    table = ConnTable(total=100, per_source=3)
    assert all(table.accepted(_conn(fd)) == [] for fd in range(3))
    refused = _conn(3)
    assert table.accepted(refused) == [refused]
    assert table.accepted(_conn(4, source="198.18.0.7")) == []
    assert len(table.unproven) == 4


def test_when_full_the_biggest_source_makes_room_for_a_newcomer() -> None:
    table = ConnTable(total=4, per_source=3)
    for fd in range(3):
        table.accepted(_conn(fd, source="198.18.0.9", since=fd))
    table.accepted(_conn(3, source="198.18.0.8"))
    dropped = table.accepted(_conn(4, source="198.18.0.5"))
    assert [c.fd for c in dropped] == [0]  # the oldest of the source holding most
    assert set(table.unproven) == {1, 2, 3, 4}
    assert table.by_source == {"198.18.0.9": 2, "198.18.0.8": 1, "198.18.0.5": 1}


def test_unproven_connections_expire_and_proven_ones_stay() -> None:
    table = ConnTable(within=5.0)
    table.accepted(_conn(1, since=0.0))
    table.accepted(_conn(2, since=1.0))
    assert table.prove(2, b"member-key") is None
    assert table.deadline() == 5.0
    assert table.expired(4.9) == []
    assert [c.fd for c in table.expired(5.0)] == [1]
    assert table.deadline() is None
    assert table.expired(100.0) == []
    assert 2 in table.conns
    assert not table.by_source


def test_a_key_keeps_one_connection_the_newest() -> None:
    table = ConnTable()
    table.accepted(_conn(1))
    table.accepted(_conn(2))
    table.prove(1, b"k")
    old = table.prove(2, b"k")
    assert old is not None
    assert old.fd == 1
    assert set(table.conns) == {2}
    assert table.prove(2, b"k") is None  # every message proves again: cheap and no drop


def test_disconnects_and_reused_descriptors_leave_no_state() -> None:
    table = ConnTable(per_source=2)
    table.accepted(_conn(7))
    table.accepted(_conn(7))  # the descriptor came back before its disconnect was seen
    assert table.by_source == {"198.18.0.9": 1}
    table.prove(7, b"k")
    table.gone(7)
    table.gone(7)
    assert not table.conns
    assert not table.by_key
    assert not table.by_source


def test_the_context_and_descriptor_limit_fit_the_links() -> None:
    """Run in a child with a soft limit of 1,024 and a hard one of 4,096: the budget rises to
    what the links need, zmq's socket limit with it, and the links shrink to fit the hard limit."""
    code = """
import resource
resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 4096))
from hallway.net.sockets import FDS_PER_LINK, FIXED_FDS, SOCKETS_PER_LINK, open_context
import zmq
ctx, links = open_context(100, reserve=256)
soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
assert soft == FIXED_FDS + 256 + 100 * FDS_PER_LINK, soft
assert links == 100
assert ctx.get(zmq.MAX_SOCKETS) >= 100 * SOCKETS_PER_LINK
ctx.term()
ctx, links = open_context(1024, reserve=256)
assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == 4096
assert links == (4096 - FIXED_FDS - 256) // FDS_PER_LINK, links
assert ctx.get(zmq.MAX_SOCKETS) >= links * SOCKETS_PER_LINK
sockets = [ctx.socket(zmq.DEALER) for _ in range(links * SOCKETS_PER_LINK)]
for sock in sockets:
    sock.close()
ctx.term()
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=False)  # fmt: skip
    assert result.stdout.strip() == "ok", result.stderr


def test_a_table_without_expiry_only_caps() -> None:
    table = ConnTable(total=10, per_source=2, within=math.inf)
    table.accepted(_conn(1))
    assert table.deadline() is None
    assert table.expired(1e12) == []
    table.accepted(_conn(2))
    refused = _conn(3)
    assert table.accepted(refused) == [refused]
