"""Knocks in the actor (hallway/engine/knocks.py), on fake sockets with a real database: the
outbox, acknowledgements, retries and expiry, dedupe, holding in DND and quiet hours, replies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from hallway.core import wire
from hallway.core.knocks import DEFAULT_TEXT, KnockError
from hallway.core.model import Presence, Status, fingerprint
from hallway.core.quiet import QuietHours
from hallway.engine import events as ev
from hallway.engine.knocks import KNOCK_RETRY, KNOCKS_PER_PEER, KnockBook, local_time
from hallway.engine.links import Link
from hallway.store import Store
from tests.unit.engine.fake_actor import FakeActor, FakeSocket, new_key

EXPIRY = 12 * 3600.0


@pytest.fixture
def knocking(actor: FakeActor, tmp_path: Path) -> Iterator[FakeActor]:
    store = Store.open(tmp_path / "hallway.db")
    actor.store = store  # type: ignore[assignment]
    actor.pub = FakeSocket()  # type: ignore[assignment]
    yield actor
    store.close()


def member(actor: FakeActor, *, online: bool = True) -> Link:
    """A member linked to us (welcomed); online once its first snapshot is applied."""
    key = new_key()
    actor.hello(key, "10.0.1.1")
    peer = fingerprint(key)
    actor.welcome(peer)
    link = actor.links[peer]
    if online:
        come_online(actor, link)
    return link


def come_online(actor: FakeActor, link: Link) -> None:
    link.request_snapshot(actor.clock(), None)
    dealer: FakeSocket = link.dealer  # type: ignore[assignment]
    dealer.inbox += wire.chunk_snapshot(inc=5, seq=0, name="Bob", recs=[])
    actor._on_dealer(link)
    state = actor.roster.get(link.peer)
    assert state is not None
    assert state.online


def sent(link: Link) -> list[object]:
    """What went to the peer's ROUTER that is about knocks."""
    dealer: FakeSocket = link.dealer  # type: ignore[assignment]
    requests = [wire.decode_request(data) for data in dealer.sent]
    return [r for r in requests if isinstance(r, wire.Knock | wire.KnockReply)]


def acks(actor: FakeActor) -> list[object]:
    """The acknowledgements our ROUTER sent (WELCOMEs left out)."""
    router: FakeSocket = actor.router  # type: ignore[assignment]
    replies = [wire.decode_reply(data) for data in router.sent]
    return [r for r in replies if isinstance(r, wire.KnockAck | wire.KnockReplyAck)]


def reply_on(actor: FakeActor, link: Link, reply: wire.Reply) -> None:
    dealer: FakeSocket = link.dealer  # type: ignore[assignment]
    dealer.inbox.append(wire.encode(reply))
    actor._on_dealer(link)


def of_type(actor: FakeActor, kind: type[ev.Event]) -> list[ev.Event]:
    return [e for e in actor.events if isinstance(e, kind)]


def test_a_knock_waits_in_the_outbox_until_its_peer_is_online(knocking: FakeActor) -> None:
    link = member(knocking, online=False)
    view = knocking.knock(link.peer, "Coffee?", False)
    assert (view.state, view.outgoing, view.text, view.name) == ("pending", True, "Coffee?", "Bob")
    assert sent(link) == []
    assert [k.state for k in knocking.store.knocks()] == ["pending"]  # on disk already

    come_online(knocking, link)
    assert sent(link) == [wire.Knock(id=view.id, text="Coffee?")]
    reply_on(knocking, link, wire.KnockAck(id=view.id))
    (delivered,) = of_type(knocking, ev.KnockDelivered)
    assert isinstance(delivered, ev.KnockDelivered)
    assert (delivered.held, delivered.knock.state) == (False, "delivered")
    assert knocking.knock_book.open == {}
    assert knocking.knock_book.deadline() is None
    # A late copy of the acknowledgement changes nothing.
    reply_on(knocking, link, wire.KnockAck(id=view.id))
    assert len(of_type(knocking, ev.KnockDelivered)) == 1


def test_an_unacknowledged_knock_is_sent_again_then_expires(knocking: FakeActor) -> None:
    link = member(knocking)
    start = knocking.clock()
    view = knocking.knock(link.peer, "", True)
    assert view.text == DEFAULT_TEXT
    assert knocking.knock_book.deadline() == start + KNOCK_RETRY
    knocking.clock.now = start + KNOCK_RETRY
    knocking._timers()
    assert len(sent(link)) == 2
    # Offline: nothing is sent, and only the expiry remains as a deadline.
    knocking._offline(link.peer, "bye")
    knocking.clock.now += KNOCK_RETRY
    knocking._timers()
    assert len(sent(link)) == 2
    assert knocking.knock_book.deadline() == start + EXPIRY
    knocking.clock.now = start + EXPIRY
    knocking._timers()
    (expired,) = of_type(knocking, ev.KnockExpired)
    assert isinstance(expired, ev.KnockExpired)
    assert expired.knock.state == "expired"
    assert [k.state for k in knocking.knock_views()] == ["expired"]
    assert knocking.knock_book.deadline() is None


def test_a_received_knock_is_stored_acknowledged_and_shown_once(knocking: FakeActor) -> None:
    link = member(knocking)
    knock = wire.Knock(id="0123456789abcdef", text="Lunch?")
    knocking._on_knock_request(b"r", link.peer, knock)
    knocking._on_knock_request(b"r", link.peer, knock)  # a copy: the ack was lost
    assert acks(knocking) == [wire.KnockAck(id=knock.id)] * 2
    (shown,) = of_type(knocking, ev.KnockReceived)
    assert isinstance(shown, ev.KnockReceived)
    assert (shown.knock.state, shown.knock.outgoing, shown.name) == ("shown", False, "Bob")
    assert [k.text for k in knocking.knock_views()] == ["Lunch?"]


def test_a_stranger_or_too_many_knocks_get_no_acknowledgement(knocking: FakeActor) -> None:
    knocking._on_knock_request(b"r", "e" * 32, wire.Knock(id="0" * 16))
    assert acks(knocking) == []
    link = member(knocking)
    for n in range(KNOCKS_PER_PEER + 1):
        knocking._on_knock_request(b"r", link.peer, wire.Knock(id=f"{n:016x}"))
    assert len(acks(knocking)) == KNOCKS_PER_PEER
    assert len(of_type(knocking, ev.KnockReceived)) == KNOCKS_PER_PEER


def test_dnd_holds_a_knock_until_it_ends_but_not_an_urgent_one(knocking: FakeActor) -> None:
    link = member(knocking)
    knocking.set_status(Status(presence=Presence.DND))
    knocking._on_knock_request(b"r", link.peer, wire.Knock(id="1" * 16, text="Later?"))
    knocking._on_knock_request(b"r", link.peer, wire.Knock(id="2" * 16, urgent=True))
    assert acks(knocking) == [wire.KnockAck(id="1" * 16, held="dnd"), wire.KnockAck(id="2" * 16)]
    assert [e.knock.id for e in of_type(knocking, ev.KnockReceived)] == ["2" * 16]  # type: ignore[attr-defined]
    # A copy of the held one is acknowledged as held again.
    knocking._on_knock_request(b"r", link.peer, wire.Knock(id="1" * 16, text="Later?"))
    assert acks(knocking)[-1] == wire.KnockAck(id="1" * 16, held="dnd")

    knocking.set_status(Status(presence=Presence.AVAILABLE))
    shown = of_type(knocking, ev.KnockReceived)
    assert [e.knock.id for e in shown] == ["2" * 16, "1" * 16]  # type: ignore[attr-defined]
    assert {k.id: k.state for k in knocking.knock_views()} == {"1" * 16: "shown", "2" * 16: "shown"}


def test_a_dnd_with_an_end_releases_its_knocks_when_it_expires(knocking: FakeActor) -> None:
    link = member(knocking)
    until = knocking.clock() + 600
    knocking.set_status(Status(presence=Presence.DND, until=until))
    knocking._on_knock_request(b"r", link.peer, wire.Knock(id="3" * 16))
    assert of_type(knocking, ev.KnockReceived) == []
    knocking.clock.now = until
    knocking._timers()
    assert len(of_type(knocking, ev.KnockReceived)) == 1


def around_now(actor: FakeActor, **kw: bool) -> QuietHours:
    """Quiet hours that hold now and end in an hour."""
    local = local_time(actor.clock())
    start = (local - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (local + dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    return QuietHours(start=start, end=end, **kw)


def test_quiet_hours_hold_even_urgent_knocks_until_they_end(knocking: FakeActor) -> None:
    link = member(knocking)
    quiet = around_now(knocking)
    knocking.set_quiet_hours(quiet)
    knocking._on_knock_request(b"r", link.peer, wire.Knock(id="4" * 16, urgent=True))
    assert acks(knocking) == [wire.KnockAck(id="4" * 16, held="quiet")]
    assert of_type(knocking, ev.KnockReceived) == []
    ends = quiet.ends_after(local_time(knocking.clock()))
    assert ends is not None
    assert knocking.knock_book.recheck == ends.timestamp()
    assert knocking.knock_book.deadline() == ends.timestamp()
    knocking.clock.now = ends.timestamp()
    knocking._timers()
    assert len(of_type(knocking, ev.KnockReceived)) == 1
    assert knocking.knock_book.deadline() is None


def test_turning_quiet_hours_off_shows_what_they_held(knocking: FakeActor) -> None:
    link = member(knocking)
    knocking.set_quiet_hours(around_now(knocking))
    knocking._on_knock_request(b"r", link.peer, wire.Knock(id="5" * 16))
    knocking.set_quiet_hours(None)
    assert len(of_type(knocking, ev.KnockReceived)) == 1


def test_held_knocks_survive_a_restart(knocking: FakeActor) -> None:
    link = member(knocking)
    knocking.set_status(Status(presence=Presence.DND))
    knocking._on_knock_request(b"r", link.peer, wire.Knock(id="6" * 16))
    knocking._load_knocks(KnockBook())  # as a restarted engine finds them
    assert list(knocking.knock_book.open) == [(link.peer, "6" * 16, False)]
    knocking.own.status = Status()
    knocking._timers()
    assert len(of_type(knocking, ev.KnockReceived)) == 1


def test_a_reply_goes_back_until_acknowledged(knocking: FakeActor) -> None:
    link = member(knocking)
    knocking._on_knock_request(b"r", link.peer, wire.Knock(id="7" * 16))
    view = knocking.reply_knock("7" * 16, "In 5 min")
    assert (view.state, view.reply) == ("replied", "In 5 min")
    assert sent(link) == [wire.KnockReply(id="7" * 16, reply="In 5 min")]
    with pytest.raises(KnockError, match="already answered"):
        knocking.reply_knock("7" * 16, "Yes")
    with pytest.raises(KnockError, match="no knock"):
        knocking.reply_knock("8" * 16, "Yes")
    reply_on(knocking, link, wire.KnockReplyAck(id="7" * 16))
    assert knocking.knock_book.open == {}
    assert knocking.store.open_knocks() == []


def test_the_sender_hears_the_reply_once_and_only_from_the_recipient(knocking: FakeActor) -> None:
    ben, cat = member(knocking), member(knocking)
    view = knocking.knock(ben.peer, "", False)
    knocking._on_knock_request(b"r", cat.peer, wire.KnockReply(id=view.id, reply="Yes"))
    assert acks(knocking) == []  # Cat was never knocked: not hers to answer
    knocking._on_knock_request(b"r", ben.peer, wire.KnockReply(id=view.id, reply="Yes"))
    knocking._on_knock_request(b"r", ben.peer, wire.KnockReply(id=view.id, reply="Yes"))
    assert acks(knocking) == [wire.KnockReplyAck(id=view.id)] * 2
    (replied,) = of_type(knocking, ev.KnockReplied)
    assert isinstance(replied, ev.KnockReplied)
    assert (replied.knock.reply, replied.knock.state) == ("Yes", "replied")
    assert knocking.knock_book.open == {}  # answered: no longer sent


def test_resolve_peer(knocking: FakeActor) -> None:
    links = [member(knocking) for _ in range(3)]
    names = ["Ben Smith", "Bea", "Cat"]
    for link, name in zip(links, names, strict=True):
        state = knocking.roster.get(link.peer)
        assert state is not None
        state.name = name
    ben, bea, cat = (link.peer for link in links)
    assert knocking.resolve_peer("cat") == cat
    assert knocking.resolve_peer("ben") == ben  # a unique start of a name
    assert knocking.resolve_peer(f" {bea.upper()} ") == bea
    assert knocking.resolve_peer(ben[:12]) == ben  # a unique start of an id
    with pytest.raises(KnockError, match="matches several") as several:
        knocking.resolve_peer("be")
    assert "Ben Smith" in str(several.value)
    assert "Bea" in str(several.value)
    with pytest.raises(KnockError, match="no colleague matches 'Dan'") as unknown:
        knocking.resolve_peer("Dan")
    assert all(name in str(unknown.value) for name in names)
    with pytest.raises(KnockError, match="your own door"):
        knocking.knock(knocking.own.id, "", False)
