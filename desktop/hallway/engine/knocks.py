"""Knocks (issue 12): direct, private nudges between two members, and their replies.

A knock is never a record: it goes from the sender's DEALER to the recipient's ROUTER (`wire.Knock`)
and is acknowledged (`wire.KnockAck`) once the recipient has stored it, so it is in no snapshot,
no feed and no third member's database. The sender's own pending knocks are its outbox, on disk
before `Node.knock` returns: each is sent when the recipient is online, again every
`KNOCK_RETRY` until acknowledged, and given up (the sender told) when it expires. The recipient
knows a knock by (sender, id), so a copy sent again is acknowledged again and never shown twice:
at most once, whichever side is killed when. A reply travels the same way the other direction.

A recipient in Do not disturb (unless the knock is urgent) or in quiet hours holds it, says so in
the acknowledgement, and shows it when that ends: `_release_held` runs when our status changes,
when the quiet hours change or end (a deadline), and at start.
"""

from __future__ import annotations

import re
from datetime import datetime

import msgspec

from hallway.core import wire
from hallway.core.knocks import (
    KNOCK_EXPIRY,
    HeldReason,
    KnockError,
    KnockView,
    check_knock_text,
    new_knock_id,
)
from hallway.core.model import Presence, one_line
from hallway.core.quiet import QuietHours
from hallway.engine import events as ev
from hallway.engine.state import EngineState
from hallway.store.records import StoredKnock

KNOCK_RETRY = 3.0  # an unacknowledged knock or reply to an online peer is sent again after this
KNOCKS_PER_PEER = 50  # a member's knocks we keep per KNOCK_EXPIRY; beyond, dropped and counted
OUTBOX_PER_PEER = 50  # our knocks waiting for one member
CANDIDATES_SHOWN = 8

Key = tuple[str, str, bool]  # (peer, id, outgoing)

_PEER_ID = re.compile(r"[0-9a-f]{32}")


class KnockBook(msgspec.Struct):
    """The knocks that still need the engine (the rest are only on disk): our undelivered
    knocks, the knocks we hold, our replies not yet acknowledged; and when to send each again."""

    quiet: QuietHours | None = None
    expiry: float = KNOCK_EXPIRY
    open: dict[Key, StoredKnock] = msgspec.field(default_factory=dict)
    retry: dict[Key, float] = msgspec.field(default_factory=dict)
    recheck: float | None = None  # when the quiet hours holding a knock end

    def deadline(self) -> float | None:
        times = list(self.retry.values())
        times += [k.expires for k in self.open.values() if k.state != "held"]
        if self.recheck is not None:
            times.append(self.recheck)
        return min(times, default=None)


def local_time(now: float) -> datetime:
    return datetime.fromtimestamp(now).astimezone()


def _key(knock: StoredKnock) -> Key:
    return (knock.peer, knock.id, knock.outgoing)


class Knocks(EngineState):
    """The actor's part for knocks: the commands, the two requests and their acknowledgements,
    the outbox's timers, and holding knocks in Do not disturb and quiet hours."""

    knock_book: KnockBook

    def _load_knocks(self, book: KnockBook) -> None:
        self.knock_book = book
        for knock in self.store.open_knocks():
            self.knock_book.open[_key(knock)] = knock

    # commands -------------------------------------------------------------------------------

    def knock(self, peer: str, text: str, urgent: bool) -> KnockView:
        if peer == self.own.id:
            raise KnockError("you cannot knock on your own door")
        state = self.roster.get(peer)
        if state is None:
            raise KnockError(f"no colleague has the id {peer!r}")
        waiting = sum(1 for k in self.knock_book.open.values() if k.outgoing and k.peer == peer)
        if waiting >= OUTBOX_PER_PEER:
            raise KnockError(f"{waiting} knocks already wait for {state.name or peer}")
        now = self.clock()
        knock = StoredKnock(
            peer=peer,
            id=new_knock_id(),
            outgoing=True,
            text=check_knock_text(text),
            urgent=urgent,
            state="pending",
            created=now,
            expires=now + self.knock_book.expiry,
        )
        self.store.save_knock(knock)  # on disk before anything is sent: kill -9 loses nothing
        self.knock_book.open[_key(knock)] = knock
        self._send_knock(knock, now)
        return self.knock_view(knock)

    def knock_views(self) -> list[KnockView]:
        return [self.knock_view(k) for k in self.store.knocks()]

    def reply_knock(self, knock_id: str, reply: str) -> KnockView:
        received = [k for k in self.store.knocks_by_id(knock_id) if not k.outgoing]
        if not received:
            raise KnockError(f"no knock {knock_id!r} came to you; see `hallway knocks`")
        if len(received) > 1:  # two senders chose the same 64 random bits: say which is meant
            raise KnockError(f"several colleagues sent a knock {knock_id!r}")
        (knock,) = received
        if knock.reply is not None:
            raise KnockError(f"you already answered that knock: {knock.reply!r}")
        now = self.clock()
        knock = msgspec.structs.replace(
            knock,
            state="replied",
            held="",
            reply=reply,
            reply_sent=False,
            replied_at=now,
            expires=now + self.knock_book.expiry,
        )
        self.store.save_knock(knock)
        self.knock_book.open[_key(knock)] = knock
        self._send_knock(knock, now)
        return self.knock_view(knock)

    def set_quiet_hours(self, quiet: QuietHours | None) -> None:
        changed = quiet != self.knock_book.quiet
        self.knock_book.quiet = quiet
        self._release_held()
        if changed:  # the tray app follows a change made with `hallway quiet`
            self.emit(ev.QuietChanged(at=self.clock(), quiet=quiet))

    def resolve_peer(self, text: str) -> str:
        """A member's id from its name, a unique start of its name or id, or the id itself."""
        query = one_line(text).casefold()
        if not query:
            raise KnockError("name a colleague: a name, the start of one, or an id")
        members = [(state.id, state.name) for state in self.roster]
        if _PEER_ID.fullmatch(query) and any(peer == query for peer, _ in members):
            return query
        found = [(p, n) for p, n in members if n.casefold() == query]
        if not found:
            found = [(p, n) for p, n in members if n.casefold().startswith(query)]
            found += [(p, n) for p, n in members if p.startswith(query) and (p, n) not in found]
        if len(found) == 1:
            return found[0][0]
        if not found:
            known = _candidates(members) or "nobody yet"
            raise KnockError(f"no colleague matches {text.strip()!r}; known: {known}")
        raise KnockError(
            f"{text.strip()!r} matches several colleagues: {_candidates(found)}; "
            "give more of the name, or the start of the id"
        )

    def knock_view(self, knock: StoredKnock) -> KnockView:
        return KnockView(
            id=knock.id,
            peer=knock.peer,
            name=self.name_of(knock.peer),
            outgoing=knock.outgoing,
            text=knock.text,
            urgent=knock.urgent,
            state=knock.state,
            held=knock.held,
            reply=knock.reply,
            created=knock.created,
            expires=knock.expires,
        )

    # sending --------------------------------------------------------------------------------

    def _send_knock(self, knock: StoredKnock, now: float) -> None:
        """Send a knock (or our reply to one) if its peer is online; the retry timer or the
        peer's coming online sends it otherwise."""
        key = _key(knock)
        state = self.roster.get(knock.peer)
        link = self.links.get(knock.peer)
        if state is None or not state.online or link is None or not link.welcomed:
            self.knock_book.retry.pop(key, None)
            return
        message: wire.Knock | wire.KnockReply
        if knock.outgoing:
            message = wire.Knock(id=knock.id, text=knock.text, urgent=knock.urgent)
        else:
            assert knock.reply is not None
            message = wire.KnockReply(id=knock.id, reply=knock.reply)
        link.send(wire.encode(message))
        self.knock_book.retry[key] = now + KNOCK_RETRY

    def _knocks_online(self, peer: str) -> None:
        now = self.clock()
        for knock in list(self.knock_book.open.values()):
            if knock.peer == peer and knock.state != "held":
                self._send_knock(knock, now)

    def _knock_timers(self, now: float) -> None:
        book = self.knock_book
        for key, knock in list(book.open.items()):
            if knock.state == "held":
                continue
            if now >= knock.expires:
                self._give_up(key, knock)
            elif key in book.retry and now >= book.retry[key]:
                self._send_knock(knock, now)
        if any(k.state == "held" for k in book.open.values()):
            self._release_held()

    def _give_up(self, key: Key, knock: StoredKnock) -> None:
        """An undelivered knock expires (and its sender hears of it); an unacknowledged reply
        is no longer sent (it stays on disk as given)."""
        del self.knock_book.open[key]
        self.knock_book.retry.pop(key, None)
        if not knock.outgoing:
            return
        knock = msgspec.structs.replace(knock, state="expired")
        self.store.save_knock(knock)
        name = self.name_of(knock.peer)
        self.emit(ev.KnockExpired(at=self.clock(), name=name, knock=self.knock_view(knock)))

    # receiving ------------------------------------------------------------------------------

    def _on_knock_request(
        self, routing: bytes, peer: str, request: wire.Knock | wire.KnockReply
    ) -> None:
        """A member's knock or reply, on our ROUTER (the peer is the key ZAP proved)."""
        if self.roster.get(peer) is None:
            return  # not linked yet: no acknowledgement, so it is sent again
        if isinstance(request, wire.Knock):
            held = self._receive_knock(peer, request)
            if held is not None:
                self._reply(routing, wire.encode(wire.KnockAck(id=request.id, held=held)))
            return
        if self._receive_reply(peer, request):
            self._reply(routing, wire.encode(wire.KnockReplyAck(id=request.id)))

    def _receive_knock(self, peer: str, request: wire.Knock) -> HeldReason | None:
        """Store and show (or hold) a knock; what to acknowledge, None for nothing."""
        stored = self.store.knock(peer, request.id, False)
        if stored is not None:  # a copy: acknowledged again, shown once
            return _held(stored.held) if stored.state == "held" else ""
        now = self.clock()
        if self.store.knocks_from(peer, now - self.knock_book.expiry) >= KNOCKS_PER_PEER:
            self._drop(peer, "too many knocks")
            return None
        held = self._hold_reason(request.urgent, now)
        knock = StoredKnock(
            peer=peer,
            id=request.id,
            outgoing=False,
            text=request.text or check_knock_text(""),
            urgent=request.urgent,
            state="held" if held else "shown",
            created=now,
            expires=now + self.knock_book.expiry,
            held=held,
        )
        self.store.add_knock(knock)  # stored before it is acknowledged
        if held:
            self.knock_book.open[_key(knock)] = knock
            self._release_held()  # sets the recheck deadline
        else:
            self.emit(
                ev.KnockReceived(at=now, name=self.name_of(peer), knock=self.knock_view(knock))
            )
        return held

    def _receive_reply(self, peer: str, request: wire.KnockReply) -> bool:
        """Store the reply to our knock; whether to acknowledge it (a knock of ours to them)."""
        knock = self.store.knock(peer, request.id, True)
        if knock is None:
            self._drop(peer, "a reply to a knock never sent to it")
            return False
        if knock.reply is not None:
            return True  # a copy
        key = _key(knock)
        self.knock_book.open.pop(key, None)
        self.knock_book.retry.pop(key, None)
        knock = msgspec.structs.replace(
            knock, state="replied", reply=request.reply, replied_at=self.clock()
        )
        self.store.save_knock(knock)
        name = self.name_of(peer)
        self.emit(ev.KnockReplied(at=self.clock(), name=name, knock=self.knock_view(knock)))
        return True

    def _on_knock_ack(self, peer: str, ack: wire.KnockAck | wire.KnockReplyAck) -> None:
        """The peer stored our knock (or our reply): the outbox lets it go."""
        key = (peer, ack.id, isinstance(ack, wire.KnockAck))
        knock = self.knock_book.open.get(key)
        if knock is None:
            return  # a copy's acknowledgement, or not ours to hear
        del self.knock_book.open[key]
        self.knock_book.retry.pop(key, None)
        if isinstance(ack, wire.KnockReplyAck):
            self.store.save_knock(msgspec.structs.replace(knock, reply_sent=True))
            return
        knock = msgspec.structs.replace(
            knock, state="held" if ack.held else "delivered", held=ack.held
        )
        self.store.save_knock(knock)
        self.emit(
            ev.KnockDelivered(
                at=self.clock(),
                name=self.name_of(peer),
                knock=self.knock_view(knock),
                held=bool(ack.held),
                reason=ack.held,
            )
        )

    # holding --------------------------------------------------------------------------------

    def _hold_reason(self, urgent: bool, now: float) -> HeldReason:
        quiet = self.knock_book.quiet
        if quiet is not None and quiet.active(local_time(now)):
            return "quiet"  # urgent or not
        status = self.own.status
        if status.presence is Presence.DND and not urgent and not status.expired(now):
            return "dnd"
        return ""

    def _release_held(self) -> None:
        """Show the held knocks whose hold has ended (oldest first); note when quiet hours
        that still hold some end."""
        book = self.knock_book
        now = self.clock()
        book.recheck = None
        for key, knock in list(book.open.items()):
            if knock.outgoing or knock.state != "held":
                continue
            reason = self._hold_reason(knock.urgent, now)
            if reason:
                if reason == "quiet" and book.quiet is not None:
                    ends = book.quiet.ends_after(local_time(now))
                    # Never sooner than a second: a clock change cannot make this spin.
                    book.recheck = None if ends is None else max(ends.timestamp(), now + 1.0)
                continue
            del book.open[key]
            shown = msgspec.structs.replace(knock, state="shown", held="")
            self.store.save_knock(shown)
            name = self.name_of(shown.peer)
            self.emit(ev.KnockReceived(at=now, name=name, knock=self.knock_view(shown)))


def _held(reason: str) -> HeldReason:
    return "dnd" if reason == "dnd" else "quiet" if reason == "quiet" else ""


def _candidates(members: list[tuple[str, str]]) -> str:
    shown = [f"{name or '(no name)'} ({peer[:8]})" for peer, name in members]
    more = len(shown) - CANDIDATES_SHOWN
    text = ", ".join(shown[:CANDIDATES_SHOWN])
    return f"{text} and {more} more" if more > 0 else text
