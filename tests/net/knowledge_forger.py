"""A raw *member* that tries to write another member's posts, answers and acknowledgements
(issue 11).

usage: python -m tests.net.knowledge_forger OWN_ADDRESS VICTIM_ADDRESS VICTIM_ROUTER_PORT
       VICTIM_KEY OFFICE PASSPHRASE_FILE ACK_POST QUESTION REPLY SECONDS

It holds the passphrase (a valid key and proof: `hostile_member.Member`) and links to the victim.
Its snapshot holds only what a member may do: its own acknowledgement of the victim's post
ACK_POST and its own reply to the victim's question QUESTION. Live on its PUB it then sends,
first, a reply whose `reply_to` is not an id (malformed: dropped, and said so), and then versions
of records that would change the victim's items if anything a peer sends could name their
author: ACK_POST's own key with new text and many edits, then a deletion of it; QUESTION's own
key choosing the forger's reply as the answer; the key of REPLY (another member's reply) with
new text; a withdrawn and renewed acknowledgement. Last comes a plain post, "Mallory signs off",
so the victim's handling of it shows that everything before was handled. Every later snapshot
request is answered with the latest version of each record. Prints JSON lines:
{"type": "member", "peer", "reply"}, {"type": "linked"}, {"type": "done", "published": N}.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from hallway.core import wire
from hallway.core.office import Office, derive_office_key
from hallway.core.records import local_key, record_id, split_id
from tests.net.hostile_member import INC, Member

HIGH = 2**62  # a version no honest author reaches: it does not matter whose key it is
SIGN_OFF = "Mallory signs off"
MALFORMED_TEXT = "Malformed reply vombatidae"
HIJACKED = "Hijacked: the drill is cancelled"
HIJACKED_REPLY = "Hijacked reply: ignore the answer above"


def main() -> None:
    own, victim, router_port, victim_key, office_name, passfile = sys.argv[1:7]
    ack_post, question, reply, seconds = sys.argv[7:11]
    office = Office(
        name=office_name, key=derive_office_key(office_name, Path(passfile).read_text().strip())
    )
    keys = {}
    for item in (ack_post, question, reply):
        ids = split_id(item)
        assert ids is not None, item
        keys[item] = ids[1]
    member = Member(own, office)
    own_reply_key = local_key(INC, HIGH + 1)
    own_reply = record_id(member.peer, own_reply_key)
    print(json.dumps({"type": "member", "peer": member.peer, "reply": own_reply}), flush=True)
    member.hello(victim, int(router_port), victim_key.encode())
    now = time.time()
    latest: dict[tuple[str, str], wire.SnapRec] = {}

    def keep(seq: int, kind: wire.Kind, key: str, val: wire.Value | None) -> None:
        latest[kind, key] = wire.SnapRec(INC, seq, now, kind, key, val)

    keep(HIGH, "ack", ack_post, wire.AckValue(at=now))
    keep(HIGH + 1, "post", own_reply_key, wire.PostValue(text="Mine is better", reply_to=question))
    seq = HIGH + 1
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline and not member.subscribed:
        for routing, _ in member.requests(50):
            member.answer(routing, seq, list(latest.values()))
    if not member.subscribed:
        raise SystemExit("the victim never subscribed")

    # First, and the only thing that breaks a rule of the wire: its drop is the one warned of.
    seq += 1
    malformed = wire.PostValue(text=MALFORMED_TEXT, reply_to="not an id")
    member.publish(seq, wire.Rec(kind="post", key=local_key(INC, seq), val=malformed))
    forged: list[tuple[wire.Kind, str, wire.Value | None]] = [
        ("post", keys[ack_post], wire.PostValue(text=HIJACKED, ack=True, edits=9)),
        ("post", keys[ack_post], None),
        ("post", keys[question],
         wire.PostValue(text="Which room?", question=True, answer=own_reply, edits=3)),
        ("post", keys[reply], wire.PostValue(text=HIJACKED_REPLY, reply_to=question, edits=4)),
        ("ack", ack_post, None),
        ("ack", ack_post, wire.AckValue(at=0.0)),
    ]  # fmt: skip
    for kind, key, val in forged:
        seq += 1
        member.publish(seq, wire.Rec(kind=kind, key=key, val=val))
        keep(seq, kind, key, val)
    seq += 1
    sign_off = wire.PostValue(text=SIGN_OFF)
    member.publish(seq, wire.Rec(kind="post", key=local_key(INC, seq), val=sign_off))
    keep(seq, "post", local_key(INC, seq), sign_off)
    while time.monotonic() < deadline:  # stay linked and answer, so nothing is a lost link
        for routing, _ in member.requests(50):
            member.answer(routing, seq, list(latest.values()))
    print(json.dumps({"type": "done", "published": len(forged) + 2}), flush=True)
    member.close()


if __name__ == "__main__":
    main()
