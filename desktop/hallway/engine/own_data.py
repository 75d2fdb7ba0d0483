"""Our own data: the commands that change it (status, post, name) and publish it, and the views
of everyone that the Node's commands read (peers, ourselves, stats).

Own items are written before they are published: what the node has confirmed survives a crash.
"""

from __future__ import annotations

from hallway.core import wire
from hallway.core.model import Post, Status, display_fingerprint
from hallway.core.roster import PeerState
from hallway.engine import events as ev
from hallway.engine.state import EngineState, status_item, status_value


class OwnData(EngineState):
    """The actor's part that runs the commands on our own data and answers views."""

    # commands (run on this thread) ----------------------------------------------------------------

    def set_status(self, status: Status) -> Status:
        own = self.own
        seq = own.seq + 1
        at = self.clock()
        status = Status(
            presence=status.presence,
            text=status.text,
            emoji=status.emoji,
            until=status.until,
            set_at=at,
        )
        # Write before publishing, in one transaction: what the node has confirmed survives a
        # crash, and one commit (not three) stands between the command and the wire.
        item = status_item(own.id, own.inc, seq, status, at, name=own.name)
        self.store.record_own_status(status, item)
        own.status, own.status_version = status, (own.inc, seq)
        self._publish(wire.Rec(kind="status", val=status_value(status)), at=at)
        self._flush_after_sending()
        self._index_soon([item])
        self.emit(ev.StatusChanged(at=at, peer=own.id, name=own.name, status=status, own=True))
        self._release_held()  # out of Do not disturb: the knocks it held show now
        return status

    def post(self, text: str, urgent: bool, *, question: bool = False, ack: bool = False) -> Post:
        post = self._write_post(text, urgent=urgent, question=question, ack=ack)
        self.emit(ev.PostReceived(at=post.sent_at, post=post, name=self.own.name, own=True))
        return post

    def set_name(self, name: str) -> None:
        self.own.name = name  # the config file keeps it across restarts (the caller saves it)
        self._publish(wire.ProfileBody(name=name))
        warnings = self.names.learn(self.own.id, name, now=self.clock())
        self.emit(ev.PeerRenamed(at=self.clock(), peer=self.own.id, name=name, own=True))
        for warning in warnings:
            self.emit(warning)

    def peer_views(self) -> list[ev.PeerView]:
        views = [self.me()]
        views += [self._view(state) for state in self.roster]
        return views

    def me(self) -> ev.PeerView:
        return ev.PeerView(
            id=self.own.id,
            name=self.own.name,
            fingerprint=display_fingerprint(self.own.id),
            online=True,
            status=self.own.status,
            last_seen=self.clock(),
            first_seen=None,
            address=", ".join(self.addresses),
            verified=True,
            own=True,
            look_alike=self.names.look_alike(self.own.id),
            look_alikes=self.names.look_alikes(self.own.id),
            short_fingerprint=self.names.short_fingerprint(self.own.id),
        )

    def _view(self, state: PeerState) -> ev.PeerView:
        return ev.PeerView(
            id=state.id,
            name=state.name,
            fingerprint=display_fingerprint(state.id),
            online=state.online,
            status=state.status,
            last_seen=state.last_heard or None,
            first_seen=state.first_seen,
            address=state.address,
            verified=state.verified,
            look_alike=self.names.look_alike(state.id),
            look_alikes=self.names.look_alikes(state.id),
            short_fingerprint=self.names.short_fingerprint(state.id),
        )

    def stats(self) -> dict[str, int]:
        counts = {f"dropped: {reason}": n for reason, n in self.noise.counts.items()}
        counts["refused connections"] = self.zap.denied
        counts["peers"] = len(self.roster)
        return counts
