"""`FakeMeetupNode` with the knock API of issue 12, for the control and CLI tests."""

from __future__ import annotations

import time

from hallway.core.knocks import KnockError, KnockView, check_knock_text, check_reply
from hallway.core.quiet import QuietHours
from hallway.engine.events import KnockDelivered, KnockReplied
from hallway.engine.node import NodeError
from tests.unit.cli.fake_meetups import NAMES, FakeMeetupNode
from tests.unit.control.fake_node import BEN, ME


class FakeKnockNode(FakeMeetupNode):
    """Knocks kept in memory. `answer_with`: the reply Ben gives at once (None: none)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[KnockView] = []
        self.received: list[KnockView] = []
        self.quiet: list[QuietHours | None] = []
        self.answer_with: str | None = None
        self.hold: str = ""

    def resolve_peer(self, text: str) -> str:
        found = [p for p, n in NAMES.items() if p != ME and n.lower().startswith(text.lower())]
        if text in NAMES:
            return text
        if len(found) != 1:
            raise NodeError(f"no colleague matches {text!r}; known: Ben (bbbbbbbb), Cat (cccccccc)")
        return found[0]

    def knock(self, peer: str, text: str = "", *, urgent: bool = False) -> KnockView:
        self.calls.append("knock")
        try:
            text = check_knock_text(text)
        except KnockError as exc:
            raise NodeError(str(exc)) from None
        now = time.time()
        view = KnockView(
            id=f"{len(self.sent) + 1:016x}", peer=peer, name=NAMES[peer], outgoing=True,
            text=text, urgent=urgent, state="pending", created=now, expires=now + 43200,
        )  # fmt: skip
        self.sent.append(view)
        if self.answer_with is not None:
            self.emit(KnockDelivered(at=now, name=view.name, knock=view, held=bool(self.hold),
                                     reason=self.hold))  # fmt: skip
            replied = KnockView(
                id=view.id, peer=peer, name=view.name, outgoing=True, text=text, urgent=urgent,
                state="replied", reply=self.answer_with, created=now, expires=now + 43200,
            )  # fmt: skip
            self.emit(KnockReplied(at=now, name=view.name, knock=replied))
        return view

    def knocks(self) -> list[KnockView]:
        return [*reversed(self.sent), *self.received]

    def reply_knock(self, knock_id: str, reply: str) -> KnockView:
        self.calls.append("reply_knock")
        for index, view in enumerate(self.received):
            if view.id == knock_id:
                answered = KnockView(
                    id=view.id, peer=view.peer, name=view.name, outgoing=False, text=view.text,
                    state="replied", reply=check_reply(reply), created=view.created,
                    expires=view.expires,
                )  # fmt: skip
                self.received[index] = answered
                return answered
        raise NodeError(f"no knock {knock_id!r} came to you; see `hallway knocks`")

    def set_quiet_hours(self, quiet: QuietHours | None) -> None:
        self.quiet.append(quiet)

    def receive(self, knock_id: str, text: str = "Got a minute?") -> KnockView:
        view = KnockView(
            id=knock_id, peer=BEN, name="Ben", outgoing=False, text=text, state="shown",
            created=time.time(), expires=time.time() + 43200,
        )  # fmt: skip
        self.received.append(view)
        return view
