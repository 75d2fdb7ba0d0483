"""Write the seed corpus: valid inputs for every target, made with the project's own encoders.

Run from the repository root: `.venv/bin/python -m tests.fuzz.make_seeds`. It rewrites the
`seed-*` files under tests/fuzz/corpus/ and is deterministic, so re-running it after a schema
change shows the change as a diff.
"""

from __future__ import annotations

from pathlib import Path

from hallway.control import protocol
from hallway.core import wire, z85
from hallway.core.meetups import Answer, EventSpec, RsvpValue
from hallway.core.model import Presence
from hallway.core.office import Office
from hallway.core.records import local_key, record_id
from hallway.core.txt import TxtRecord, build_txt
from tests.fuzz.checks import pack_rdata

CORPUS = Path(__file__).resolve().parent / "corpus"

KEY = z85.encode(bytes(range(32)))
OFFICE = Office(name="Seeds", key=bytes(range(100, 132)))
AT = 1_750_000_000.25
EVENT_ID = "0123456789abcdef0123456789abcdef:7:5"


def _envelope(seq: int, body: wire.Body) -> bytes:
    env = wire.Envelope(v=wire.VERSION, inc=0x1234_5678_9ABC, seq=seq, at=AT, body=body)
    return bytes([0]) + wire.encode(env)


def _rec(kind: wire.Kind, key: str, val: wire.Value | None) -> wire.Rec:
    return wire.Rec(kind=kind, key=key, val=val)


def wire_seeds() -> dict[str, bytes]:
    status = wire.StatusValue(presence=Presence.BUSY, text="In a meeting #q3", emoji="📅", until=AT)
    event = EventSpec(
        title="Retro ☕",
        start=AT + 86400,
        duration=3600.0,
        where="Room 4",
        capacity=8,
        note="Bring ideas",
        remind=900.0,
        edits=2,
    )
    event_id = record_id("0123456789abcdef0123456789abcdef", local_key(7, 5))
    rsvp = RsvpValue(answer=Answer.GOING, at=AT)
    recs = [
        wire.SnapRec(7, 1, AT, "status", "", status),
        *[
            wire.SnapRec(
                7, i, AT + i, "post", local_key(7, i), wire.PostValue(f"post {i} ✓", i % 2 == 0)
            )
            for i in range(2, 5)
        ],
        wire.SnapRec(7, 5, AT, "event", local_key(7, 5), event),
        wire.SnapRec(7, 6, AT, "rsvp", event_id, rsvp),
        wire.SnapRec(7, 7, AT, "event", local_key(6, 9), None),
    ]
    hello = wire.Hello(
        office=OFFICE.tag,
        proof=OFFICE.proof(KEY),
        name="Ada",
        router_port=40001,
        pub_port=40002,
        inc=99,
        proto=wire.VERSION,
    )
    seeds = {
        "seed-env-status": _envelope(1, _rec("status", "", status)),
        "seed-env-status-min": _envelope(
            2, _rec("status", "", wire.StatusValue(Presence.AVAILABLE))
        ),
        "seed-env-post": _envelope(3, _rec("post", "1234:3", wire.PostValue("Cake", urgent=True))),
        "seed-env-event": _envelope(5, _rec("event", "1234:5", event)),
        "seed-env-rsvp": _envelope(6, _rec("rsvp", event_id, rsvp)),
        "seed-env-deleted": _envelope(7, _rec("post", "1234:3", None)),
        "seed-env-reply": _envelope(
            9, _rec("post", "1234:9", wire.PostValue("Ask Dan", reply_to=event_id))
        ),
        "seed-env-question-answered": _envelope(
            10,
            _rec(
                "post",
                "1234:3",
                wire.PostValue("Who?", question=True, answer=event_id, edits=1, posted=1.7e9),
            ),
        ),
        "seed-env-ack": _envelope(11, _rec("ack", event_id, wire.AckValue(at=1.7e9))),
        "seed-env-profile": _envelope(8, wire.ProfileBody(name="Ada Lovelace")),
        "seed-env-hb": _envelope(8, wire.Heartbeat()),
        "seed-env-bye": _envelope(8, wire.Bye()),
        "seed-req-hello": bytes([1]) + wire.encode(hello),
        "seed-req-snap": bytes([1]) + wire.encode(wire.SnapshotRequest()),
        "seed-req-snap-gap": bytes([1]) + wire.encode(wire.SnapshotRequest(inc=99, seq=12)),
        "seed-rep-welcome": bytes([2])
        + wire.encode(wire.Welcome(name="Grace", pub_port=40004, inc=5)),
        "seed-req-knock": bytes([1])
        + wire.encode(wire.Knock(id="0123456789abcdef", text="Got a minute? ☕", urgent=True)),
        "seed-req-knock-default": bytes([1]) + wire.encode(wire.Knock(id="fedcba9876543210")),
        "seed-req-knock-reply": bytes([1])
        + wire.encode(wire.KnockReply(id="0123456789abcdef", reply="In 5 min")),
        "seed-rep-knock-ack": bytes([2]) + wire.encode(wire.KnockAck(id="0123456789abcdef")),
        "seed-rep-knock-held": bytes([2])
        + wire.encode(wire.KnockAck(id="0123456789abcdef", held="dnd")),
        "seed-rep-knock-reply-ack": bytes([2])
        + wire.encode(wire.KnockReplyAck(id="0123456789abcdef")),
        "seed-rep-snapshot-empty": bytes([2])
        + wire.chunk_snapshot(inc=1, seq=0, name="", recs=[])[0],
    }
    (last,) = wire.chunk_snapshot(inc=7, seq=7, name="Grace", recs=recs)
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
        "event-create": (
            "event_create",
            {
                "title": "Retro",
                "start": AT,
                "duration": 1800.0,
                "where": "Room 4",
                "capacity": 8,
                "note": "Bring ideas",
                "remind": 600.0,
            },
        ),
        "events": ("events", {"include_past": True}),
        "event": ("event", {"id": EVENT_ID}),
        "event-rsvp": ("event_rsvp", {"id": EVENT_ID, "answer": "maybe"}),
        "event-edit": ("event_edit", {"id": EVENT_ID, "title": "Retro 2", "clear_capacity": True}),
        "event-cancel": ("event_cancel", {"id": EVENT_ID}),
        "event-ics": ("event_ics", {}),
        "knock": ("knock", {"peer": "ben", "text": "Lunch?", "urgent": True}),
        "knocks": ("knocks", {}),
        "knock-reply": ("knock_reply", {"id": "0123456789abcdef", "reply": "later"}),
        "quiet-set": ("quiet_set", {"start": "18:00", "end": "08:00", "weekends": True}),
        "quiet-off": ("quiet_off", {}),
        "reply": ("reply", {"id": f"{'a' * 32}:7:1", "text": "Hold the power button"}),
        "answer": ("answer", {"id": f"{'b' * 32}:7:2"}),
        "ack": ("ack", {"id": f"{'a' * 32}:7:3"}),
        "acks": ("acks", {"id": f"{'a' * 32}:7:3"}),
        "remind-acks": ("remind_acks", {"id": f"{'a' * 32}:7:3"}),
        "thread": ("thread", {"id": f"{'a' * 32}:7:1"}),
        "edit": ("edit", {"id": f"{'a' * 32}:7:1", "text": "Who resets the printer?"}),
        "delete": ("delete", {"id": f"{'a' * 32}:7:1"}),
        "search": ("search", {"words": "badg printer"}),
        "attention": ("attention", {}),
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
