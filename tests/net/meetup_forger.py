"""A raw *member* that tries to write another member's event and answers (issue 10).

usage: python -m tests.net.meetup_forger OWN_ADDRESS VICTIM_ADDRESS VICTIM_ROUTER_PORT
       VICTIM_KEY OFFICE PASSPHRASE_FILE EVENT_ID SECONDS

It holds the passphrase (a valid key and proof: `hostile_member.Member`), links to the victim,
and then, in its snapshot and live on its PUB, sends versions of records that would change the
organiser's event EVENT_ID if anything a peer sends could name their author: the event's own key
with a new title and `cancelled`, at a version far above the organiser's; an answer to the event
stamped at time 0 (first in any queue); a deletion of it; and an event keyed by the full id of
the organiser's (malformed: a key is the author's own). Prints JSON lines: {"type": "member",
"peer"}, {"type": "linked"}, {"type": "done", "published": N}.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from hallway.core import wire
from hallway.core.meetups import Answer, EventSpec, RsvpValue
from hallway.core.office import Office, derive_office_key
from hallway.core.records import split_id
from tests.net.hostile_member import INC, Member

HIGH = 2**62  # a version no honest author reaches: it does not matter whose key it is


def main() -> None:
    own, victim, router_port, victim_key, office_name, passfile, event_id, seconds = sys.argv[1:9]
    office = Office(
        name=office_name, key=derive_office_key(office_name, Path(passfile).read_text().strip())
    )
    ids = split_id(event_id)
    assert ids is not None, event_id
    _, key = ids
    member = Member(own, office)
    print(json.dumps({"type": "member", "peer": member.peer}), flush=True)
    member.hello(victim, int(router_port), victim_key.encode())
    now = time.time()
    hijacked = EventSpec(title="Hijacked", start=now + 86400, where="Nowhere", edits=9)
    recs = [
        wire.SnapRec(INC, HIGH, now, "event", key, hijacked),
        wire.SnapRec(INC, HIGH + 1, now, "rsvp", event_id, RsvpValue(Answer.NO, at=0.0)),
    ]
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline and not member.subscribed:
        for routing, _ in member.requests(50):
            member.answer(routing, HIGH + 1, recs)
    if not member.subscribed:
        raise SystemExit("the victim never subscribed")
    cancelled = EventSpec(title="Hijacked", start=now + 86400, cancelled=True, edits=10)
    bodies: list[wire.Body] = [
        wire.Rec(kind="event", key=key, val=cancelled),
        wire.Rec(kind="rsvp", key=event_id, val=RsvpValue(Answer.GOING, at=0.0)),
        wire.Rec(kind="rsvp", key=event_id, val=None),
        wire.Rec(kind="rsvp", key=event_id, val=RsvpValue(Answer.GOING, at=0.0)),
    ]
    for seq, body in enumerate(bodies, start=HIGH + 2):
        member.publish(seq, body)
    # Not encodable as a Rec (its key is not the author's own form): sent as raw msgpack.
    forged = wire.encode(
        wire.Envelope(
            v=wire.VERSION, inc=INC, seq=HIGH + 2 + len(bodies), at=now,
            body=wire.Rec(kind="event", key=event_id, val=hijacked),
        )
    )  # fmt: skip
    member.pub.send_multipart([wire.TOPIC, forged])
    while time.monotonic() < deadline:  # stay linked and answer, so nothing is a lost link
        for routing, _ in member.requests(50):
            member.answer(routing, HIGH + len(bodies) + 2, recs)
    print(json.dumps({"type": "done", "published": len(bodies) + 1}), flush=True)
    member.close()


if __name__ == "__main__":
    main()
