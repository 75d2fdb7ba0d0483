"""Write the seed corpus: valid inputs for every target, made with the project's own encoders.

Run from the repository root: `.venv/bin/python -m tests.fuzz.make_seeds`. It rewrites the
`seed-*` files under tests/fuzz/corpus/ and is deterministic, so re-running it after a schema
change shows the change as a diff.
"""

from __future__ import annotations

from pathlib import Path

from hallway.control import protocol
from hallway.core import wire, z85
from hallway.core.model import Presence
from hallway.core.office import Office
from hallway.core.txt import TxtRecord, build_txt
from tests.fuzz.checks import pack_rdata

CORPUS = Path(__file__).resolve().parent / "corpus"

KEY = z85.encode(bytes(range(32)))
OFFICE = Office(name="Seeds", key=bytes(range(100, 132)))
AT = 1_750_000_000.25


def _envelope(seq: int, body: wire.Body) -> bytes:
    env = wire.Envelope(v=wire.VERSION, inc=0x1234_5678_9ABC, seq=seq, at=AT, body=body)
    return bytes([0]) + wire.encode(env)


def wire_seeds() -> dict[str, bytes]:
    status = wire.StatusBody(presence=Presence.BUSY, text="In a meeting #q3", emoji="📅", until=AT)
    posts = [
        wire.SnapPost(inc=7, seq=i, at=AT + i, text=f"post {i} ✓", urgent=i % 2 == 0)
        for i in range(1, 4)
    ]
    seeds = {
        "seed-env-status": _envelope(1, status),
        "seed-env-status-min": _envelope(2, wire.StatusBody(presence=Presence.AVAILABLE)),
        "seed-env-post": _envelope(3, wire.PostBody(text="Cake in the kitchen", urgent=True)),
        "seed-env-profile": _envelope(4, wire.ProfileBody(name="Ada Lovelace")),
        "seed-env-hb": _envelope(4, wire.Heartbeat()),
        "seed-env-bye": _envelope(4, wire.Bye()),
        "seed-req-hello": bytes([1])
        + wire.encode(
            wire.Hello(
                office=OFFICE.tag,
                proof=OFFICE.proof(KEY),
                name="Ada",
                router_port=40001,
                pub_port=40002,
                inc=99,
            )
        ),
        "seed-req-snap": bytes([1]) + wire.encode(wire.SnapshotRequest()),
        "seed-rep-welcome": bytes([2])
        + wire.encode(wire.Welcome(name="Grace", pub_port=40004, inc=5)),
        "seed-rep-snapshot-empty": bytes([2])
        + wire.chunk_snapshot(inc=1, seq=0, name="", posts=[], status=None, status_at=0.0)[0],
    }
    (last,) = wire.chunk_snapshot(
        inc=7, seq=3, name="Grace", posts=posts, status=status, status_at=AT
    )
    seeds["seed-rep-snapshot"] = bytes([2]) + last
    return seeds


def txt_seeds() -> dict[str, bytes]:
    closed = TxtRecord(
        public_key=KEY, pub_port=40002, office_tag=OFFICE.tag, proof=OFFICE.proof(KEY)
    )
    opened = TxtRecord(public_key=KEY, pub_port=1, office_tag="open", proof=b"")
    wide = build_txt(closed)
    wide_bytes = bytearray([1])
    for key, value in wide.items():
        wide_bytes += bytes([len(key)]) + key + len(value).to_bytes(2, "big") + value
    return {
        "seed-rdata-closed": bytes([0]) + pack_rdata(dict(build_txt(closed))),
        "seed-rdata-open": bytes([0]) + pack_rdata(dict(build_txt(opened))),
        "seed-wide-closed": bytes(wide_bytes),
    }


def control_seeds() -> dict[str, bytes]:
    requests: dict[str, tuple[str, dict[str, object]]] = {
        "status-get": ("status_get", {}),
        "status-set": (
            "status_set",
            {"presence": "away", "text": "Lunch", "emoji": "🥪", "until": AT},
        ),
        "status-clear": ("status_clear", {}),
        "post": ("post", {"text": "Fire drill at 3", "urgent": True}),
        "peers": ("peers", {}),
        "feed": ("feed", {"limit": 20}),
        "watch": ("watch", {}),
        "ping": ("ping", {}),
        "show": ("show", {}),
    }
    seeds = {
        f"seed-{name}": protocol.encode_request(cmd, args) for name, (cmd, args) in requests.items()
    }
    assert set(protocol.COMMANDS) == {cmd for cmd, _ in requests.values()}
    return seeds


def main() -> None:
    for target, seeds in (
        ("wire", wire_seeds()),
        ("txt", txt_seeds()),
        ("control", control_seeds()),
    ):
        directory = CORPUS / target
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("seed-*"):
            old.unlink()
        for name, data in seeds.items():
            (directory / name).write_bytes(data)
        print(f"{directory}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
