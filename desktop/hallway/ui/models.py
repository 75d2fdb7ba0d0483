"""Item models for people and the feed, fed only by the bridge's signals and the node's snapshot.

Seed with `reset(node.peers())` / `reset(node.feed())` after the bridge is attached: events that
race the snapshot are applied twice, which both models tolerate (they deduplicate and ignore
older statuses).

Peers' words come back from `Qt.DisplayRole` exactly as received; views draw them as plain text.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import msgspec
from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
    Slot,
)

from hallway.core.meetups import EventView
from hallway.core.model import DEFAULT_STATUS, Status, display_fingerprint
from hallway.engine.events import (
    AckReceived,
    AnswerChosen,
    EventChanged,
    FeedItem,
    ItemDeleted,
    ItemEdited,
    Named,
    PeerOffline,
    PeerOnline,
    PeerRenamed,
    PeerView,
    PostReceived,
    ReplyReceived,
    StatusChanged,
    StatusExpired,
)
from hallway.ui.event_card import event_tooltip
from hallway.ui.text import (
    look_alike_note,
    plain_tooltip,
    shown_name,
)

if TYPE_CHECKING:
    from hallway.ui.bridge import EngineBridge

Index = QModelIndex | QPersistentModelIndex
_NO_INDEX = QModelIndex()

# Custom roles shared by both models.
PEER_ROLE = Qt.ItemDataRole.UserRole + 1  # PeerView
PEER_ID_ROLE = Qt.ItemDataRole.UserRole + 2  # str
FOLLOWED_ROLE = Qt.ItemDataRole.UserRole + 3  # bool
FILTER_ROLE = Qt.ItemDataRole.UserRole + 4  # str: what the filter box matches
ITEM_ROLE = Qt.ItemDataRole.UserRole + 5  # FeedItem
ITEM_ID_ROLE = Qt.ItemDataRole.UserRole + 6  # str
URGENT_ROLE = Qt.ItemDataRole.UserRole + 7  # bool
LOOK_ALIKES_ROLE = Qt.ItemDataRole.UserRole + 8  # tuple[str, ...]: the labels of look-alikes
FEED_EVENT_ROLE = Qt.ItemDataRole.UserRole + 9  # EventView of an "event" feed item, else None


def _order_key(peer: PeerView) -> tuple[bool, bool, str, str]:
    """Own entry first, then people online, then the rest; each by name, ignoring case."""
    return (not peer.own, not peer.online, peer.name.casefold(), peer.id)


class PeopleModel(QAbstractListModel):
    """Everyone this node knows, one row each, kept in display order.

    One column: the People list paints each whole entry from `PEER_ROLE` (and its tooltip), so
    the model has nothing to say per column. `DisplayRole` is the label as people read it.

    Signals:
        look_alikes_changed(): an event said a peer's name now reads like another member's, or
            no longer does. Which other peers are involved only the engine knows: fetch
            `node.peers()` and pass it to `update_look_alikes`.
    """

    look_alikes_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._peers: dict[str, PeerView] = {}
        self._order: list[str] = []
        self._rows: dict[str, int] = {}  # peer id -> its row in `_order`
        self._followed: set[str] = set()

    # -- queries ---------------------------------------------------------------------------

    def peer(self, peer_id: str) -> PeerView | None:
        return self._peers.get(peer_id)

    def row_of(self, peer_id: str) -> int:
        return self._rows.get(peer_id, -1)

    def own(self) -> PeerView | None:
        return next((p for p in self._peers.values() if p.own), None)

    def others(self) -> list[PeerView]:
        """Everyone but this node, in display order."""
        return [self._peers[pid] for pid in self._order if not self._peers[pid].own]

    def online_count(self) -> int:
        """Colleagues online, not counting this node."""
        return sum(1 for p in self._peers.values() if p.online and not p.own)

    def followed(self) -> frozenset[str]:
        return frozenset(self._followed)

    # -- changes ---------------------------------------------------------------------------

    def reset(self, peers: Iterable[PeerView]) -> None:
        self.beginResetModel()
        self._peers = {p.id: p for p in peers}
        self._order = sorted(self._peers, key=lambda pid: _order_key(self._peers[pid]))
        self._renumber()
        self.endResetModel()

    def update_look_alikes(self, peers: Iterable[PeerView]) -> None:
        """Take each known peer's look-alike flags from `peers` (the engine's views). Only the
        rows whose flags changed are reported; the flags never change the order."""
        for fresh in peers:
            peer = self._peers.get(fresh.id)
            if peer is not None and _flags(peer) != _flags(fresh):
                self._peers[fresh.id] = msgspec.structs.replace(
                    peer,
                    look_alike=fresh.look_alike,
                    look_alikes=fresh.look_alikes,
                    short_fingerprint=fresh.short_fingerprint,
                )
                self._row_changed(fresh.id)

    def look_alike_labels(self, peer: PeerView) -> tuple[str, ...]:
        """ "Bob (3f9a)" for each peer whose name reads like `peer`'s."""
        others = (self._peers.get(pid) for pid in peer.look_alikes)
        return tuple(other.label for other in others if other is not None)

    def set_followed(self, peer_ids: Iterable[str]) -> None:
        self._followed = set(peer_ids)
        self._all_changed()

    def set_following(self, peer_id: str, follow: bool) -> None:
        if follow:
            self._followed.add(peer_id)
        else:
            self._followed.discard(peer_id)
        self._row_changed(peer_id)

    @Slot()
    def refresh_times(self) -> None:
        """Report every row changed: their "until" and "last seen" texts depend on the clock."""
        self._all_changed()

    @Slot(object)
    def on_peer_online(self, event: PeerOnline) -> None:
        peer = self._peers.get(event.peer)
        if peer is None:
            new = self._new_peer(event.peer, event.name, event.at, address=event.address)
            self._upsert(self._named(new, event))
            return
        updated = msgspec.structs.replace(
            peer, online=True, name=event.name or peer.name, address=event.address,
            last_seen=event.at,
        )  # fmt: skip
        self._upsert(self._named(updated, event))

    @Slot(object)
    def on_peer_offline(self, event: PeerOffline) -> None:
        peer = self._peers.get(event.peer)
        if peer is not None and not peer.own:
            self._upsert(msgspec.structs.replace(peer, online=False, last_seen=event.at))

    @Slot(object)
    def on_peer_renamed(self, event: PeerRenamed) -> None:
        peer = self._peers.get(event.peer)
        if peer is not None:
            self._upsert(self._named(msgspec.structs.replace(peer, name=event.name), event))

    @Slot(object)
    def on_status_changed(self, event: StatusChanged) -> None:
        peer = self._peers.get(event.peer)
        if peer is None:
            peer = self._new_peer(event.peer, event.name, event.at, own=event.own)
        elif event.status.set_at < peer.status.set_at:
            return  # an older status delivered late (a snapshot racing a live update)
        updated = msgspec.structs.replace(
            peer, status=event.status, name=event.name or peer.name, online=True
        )
        self._upsert(self._named(updated, event))

    @Slot(object)
    def on_status_expired(self, event: StatusExpired) -> None:
        peer = self._peers.get(event.peer)
        if peer is not None:
            cleared = msgspec.structs.replace(DEFAULT_STATUS, set_at=peer.status.set_at)
            self._upsert(msgspec.structs.replace(peer, status=cleared))

    def _new_peer(
        self, peer_id: str, name: str, at: float, *, address: str = "", own: bool = False
    ) -> PeerView:
        return PeerView(
            id=peer_id,
            name=name,
            fingerprint=display_fingerprint(peer_id),
            online=True,
            status=DEFAULT_STATUS,
            last_seen=at,
            first_seen=at,
            address=address,
            verified=True,
            own=own,
        )

    def _named(self, peer: PeerView, event: Named) -> PeerView:
        """`peer` with the event's look-alike flags; asks for the others' when they changed."""
        if peer.look_alike != event.look_alike:
            self.look_alikes_changed.emit()
        if not event.look_alike:
            return msgspec.structs.replace(peer, look_alike=False, look_alikes=())
        return msgspec.structs.replace(
            peer, look_alike=True, short_fingerprint=event.short_fingerprint
        )

    def _upsert(self, peer: PeerView) -> None:
        old = self._peers.get(peer.id)
        if old is None:
            key = _order_key(peer)
            row = bisect.bisect_left(self._order, key, key=lambda pid: _order_key(self._peers[pid]))
            self.beginInsertRows(_NO_INDEX, row, row)
            self._peers[peer.id] = peer
            self._order.insert(row, peer.id)
            self._renumber(row)
            self.endInsertRows()
            return
        self._peers[peer.id] = peer
        if _order_key(old) == _order_key(peer):
            self._row_changed(peer.id)
        else:
            self._relayout()

    def _renumber(self, start: int = 0) -> None:
        for row in range(start, len(self._order)):
            self._rows[self._order[row]] = row

    def _relayout(self) -> None:
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        ids = [self._order[index.row()] for index in before]
        self._order.sort(key=lambda pid: _order_key(self._peers[pid]))
        self._rows = {}
        self._renumber()
        after = [self.index(self._rows[pid], 0) for pid in ids]
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def _row_changed(self, peer_id: str) -> None:
        row = self.row_of(peer_id)
        if row >= 0:
            index = self.index(row, 0)
            self.dataChanged.emit(index, index)

    def _all_changed(self) -> None:
        if self._order:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._order) - 1, 0))

    # -- Qt model interface ----------------------------------------------------------------

    def rowCount(self, parent: Index = _NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self._order)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._order):
            return None
        peer = self._peers[self._order[index.row()]]
        if role == Qt.ItemDataRole.DisplayRole:
            return shown_name(peer.label, peer.look_alike)
        if role == LOOK_ALIKES_ROLE:
            return self.look_alike_labels(peer) if peer.look_alike else ()
        if role == FILTER_ROLE:  # the fingerprint too: typing "3f9a" finds one of two Bobs
            return f"{peer.name}\n{peer.status.emoji} {peer.status.text}\n{peer.fingerprint}"
        values = {PEER_ROLE: peer, PEER_ID_ROLE: peer.id, FOLLOWED_ROLE: peer.id in self._followed}
        return values.get(role)


class PeopleFilter(QSortFilterProxyModel):
    """Narrows people by name or status text; keeps the source model's order."""

    def __init__(self, source: PeopleModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self.setFilterRole(FILTER_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    @Slot(str)
    def set_filter_text(self, text: str) -> None:
        self.setFilterFixedString(text.strip())


def _flags(peer: PeerView) -> tuple[bool, tuple[str, ...], str]:
    return peer.look_alike, peer.look_alikes, peer.short_fingerprint


def status_item(event: StatusChanged) -> FeedItem:
    status: Status = event.status
    at = status.set_at or event.at
    return FeedItem(
        id=f"status:{event.peer}:{at:.6f}",
        type="status",
        peer=event.peer,
        name=event.name,
        at=at,
        text=status.text,
        presence=status.presence,
        emoji=status.emoji,
        own=event.own,
        look_alike=event.look_alike,
        short_fingerprint=event.short_fingerprint,
    )


def post_item(event: PostReceived) -> FeedItem:
    post = event.post
    return FeedItem(
        id=post.id,
        type="post",
        peer=post.peer,
        name=event.name,
        at=post.sent_at,
        text=post.text,
        urgent=post.urgent,
        tags=post.tags,
        question=post.question,
        ack=post.ack,
        edited=post.edits > 0,
        own=event.own,
        look_alike=event.look_alike,
        short_fingerprint=event.short_fingerprint,
    )


def event_item(view: EventView) -> FeedItem:
    """A new event as a feed item (type "event", the event's id), at its organiser's time."""
    return FeedItem(
        id=view.id,
        type="event",
        peer=view.organiser,
        name=view.organiser_name,
        at=view.updated_at,
        text=view.title,
        own=view.own,
    )


class FeedModel(QAbstractListModel):
    """Posts, status changes and new events, newest first, at most `limit` of them. An event's
    row shows the event as it is now (`FEED_EVENT_ROLE`), kept current by `update_event`.

    A post's row carries its thread's count and latest author, its answer, its
    acknowledgements and its edits, kept current by the `on_*` slots of those events. With
    `open_questions` the model holds only questions still waiting for an answer."""

    def __init__(
        self, parent: QObject | None = None, *, limit: int = 500, open_questions: bool = False
    ) -> None:
        super().__init__(parent)
        self._limit = limit
        self.open_questions = open_questions
        self._items: list[FeedItem] = []
        self._keys: set[tuple[str, ...]] = set()
        self._events: dict[str, EventView] = {}
        self._replies: set[str] = set()  # replies counted from events (a repeat is not)
        self._following: list[EngineBridge] = []

    def follow(self, bridge: EngineBridge) -> None:
        """Keep the posts' threads, answers, acknowledgements, edits and deletions current from
        `bridge`'s events, once however often asked (the app and the Feed tab both ask). Rows
        are added by whoever owns the model (`on_post_received`, `on_status_changed`)."""
        if any(b is bridge for b in self._following):
            return
        self._following.append(bridge)
        bridge.reply_received.connect(self.on_reply_received)
        bridge.answer_chosen.connect(self.on_answer_chosen)
        bridge.ack_received.connect(self.on_ack_received)
        bridge.item_edited.connect(self.on_item_edited)
        bridge.item_deleted.connect(self.on_item_deleted)
        bridge.post_received.connect(lambda event: self._own_ack_post(bridge, event))

    def _own_ack_post(self, bridge: EngineBridge, event: PostReceived) -> None:
        """Our own post asking for acknowledgement shows its count from the start."""
        item = post_item(event)
        if event.own and item.ack:
            view = bridge.acks(item.id)
            if view is not None:
                self.add(item)
                self.change(item.id, acks=view.count)

    @staticmethod
    def _key(item: FeedItem) -> tuple[str, ...]:
        if item.type in ("post", "event"):
            return (item.type, item.id)
        return (item.type, item.peer, f"{item.at:.3f}")

    def item(self, row: int) -> FeedItem:
        return self._items[row]

    def row_of(self, item_id: str) -> int:
        return next((row for row, item in enumerate(self._items) if item.id == item_id), -1)

    def _wanted(self, item: FeedItem) -> bool:
        return not self.open_questions or (item.question and item.answer is None)

    def reset(self, items: Iterable[FeedItem]) -> None:
        self.beginResetModel()
        self._items, self._keys = [], set()
        for item in sorted(filter(self._wanted, items), key=lambda i: i.at, reverse=True):
            if self._key(item) not in self._keys and len(self._items) < self._limit:
                self._keys.add(self._key(item))
                self._items.append(item)
        self.endResetModel()

    def add(self, item: FeedItem) -> bool:
        """Insert in time order; False if it was already there."""
        key = self._key(item)
        if key in self._keys or not self._wanted(item):
            return False
        ats = [-i.at for i in self._items]
        row = bisect.bisect_right(ats, -item.at)
        if row >= self._limit:
            return False
        self.beginInsertRows(_NO_INDEX, row, row)
        self._items.insert(row, item)
        self._keys.add(key)
        self.endInsertRows()
        if len(self._items) > self._limit:
            last = len(self._items) - 1
            self.beginRemoveRows(_NO_INDEX, last, last)
            self._keys.discard(self._key(self._items.pop()))
            self.endRemoveRows()
        return True

    @Slot(object)
    def on_post_received(self, event: PostReceived) -> None:
        self.add(post_item(event))

    @Slot(object)
    def on_status_changed(self, event: StatusChanged) -> None:
        self.add(status_item(event))

    def set_item(self, item: FeedItem) -> None:
        """Show `item` (the engine's fresh view of a post) in place of the row with its id."""
        row = self.row_of(item.id)
        if row < 0:
            return
        if not self._wanted(item):
            self._remove(row)
            return
        self._items[row] = item
        index = self.index(row, 0)
        self.dataChanged.emit(index, index)

    def change(self, item_id: str, **changes: Any) -> None:
        """Change fields of the row with this id, if there is one."""
        row = self.row_of(item_id)
        if row >= 0:
            self.set_item(msgspec.structs.replace(self._items[row], **changes))

    def _remove(self, row: int) -> None:
        self.beginRemoveRows(_NO_INDEX, row, row)
        self._keys.discard(self._key(self._items.pop(row)))
        self.endRemoveRows()

    @Slot(object)
    def on_reply_received(self, event: ReplyReceived) -> None:
        reply = event.reply
        row = self.row_of(reply.reply_to)
        if row < 0 or reply.id in self._replies:
            return
        self._replies.add(reply.id)
        count = self._items[row].replies + 1
        self.change(reply.reply_to, replies=count, last_reply_name=event.name)

    @Slot(object)
    def on_answer_chosen(self, event: AnswerChosen) -> None:
        self.change(event.question, answer=event.reply or None)

    @Slot(object)
    def on_ack_received(self, event: AckReceived) -> None:
        changes: dict[str, Any] = {"acked": True} if event.own else {}
        if event.acks is not None:
            changes["acks"] = event.acks
        self.change(event.post, **changes)

    @Slot(object)
    def on_item_edited(self, event: ItemEdited) -> None:
        if not event.reply_to:
            self.change(event.id, text=event.text, edited=True)

    @Slot(object)
    def on_item_deleted(self, event: ItemDeleted) -> None:
        row = self.row_of(event.reply_to or event.id)
        if row < 0:
            return
        if not event.reply_to:
            self._remove(row)
            return
        # The thread's latest author may have changed: the thread view brings the engine's.
        self.change(event.reply_to, replies=max(0, self._items[row].replies - 1))

    def add_events(self, views: Iterable[EventView], now: float) -> None:
        """Know these events, and show those still to come (at start: the node's own feed
        holds posts and statuses)."""
        for view in views:
            self._events[view.id] = view
            if not view.cancelled and not view.past(now):
                self.add(event_item(view))

    @Slot(object)
    def on_event_changed(self, event: EventChanged) -> None:
        if event.change == "created":
            self._events[event.event.id] = event.event
            self.add(event_item(event.event))
        else:
            self.update_event(event.event)

    @Slot(object)
    def update_event(self, view: EventView) -> None:
        """Redraw the event's row (answers, seats, cancelled) if the feed shows it."""
        self._events[view.id] = view
        row = self.row_of(view.id)
        if row >= 0 and self._items[row].type == "event":
            index = self.index(row, 0)
            self.dataChanged.emit(index, index)

    def rowCount(self, parent: Index = _NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == FEED_EVENT_ROLE:
            return self._events.get(item.id) if item.type == "event" else None
        if role == Qt.ItemDataRole.ToolTipRole and item.type == "event":
            view = self._events.get(item.id)
            return plain_tooltip(event_tooltip(view)) if view is not None else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(feed_tooltip(item)) if item.text or item.look_alike else None
        values = {
            Qt.ItemDataRole.DisplayRole: item.text,
            ITEM_ROLE: item,
            ITEM_ID_ROLE: item.id,
            URGENT_ROLE: item.urgent,
            PEER_ID_ROLE: item.peer,
        }
        return values.get(role)


def feed_tooltip(item: FeedItem) -> str:
    """The item's whole text under the name it was posted under; a look-alike says so."""
    head = shown_name(item.label, item.look_alike)
    lines = [f"{head}: {item.text}" if item.text else head]
    if item.look_alike:
        lines.append(look_alike_note())
    return "\n".join(lines)
