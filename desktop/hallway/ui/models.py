"""Item models for people and the feed, fed only by the bridge's signals and the node's snapshot.

Seed with `reset(node.peers())` / `reset(node.feed())` after the bridge is attached: events that
race the snapshot are applied twice, which both models tolerate (they deduplicate and ignore
older statuses).

Peers' words come back from `Qt.DisplayRole` exactly as received; views draw them as plain text.
"""

from __future__ import annotations

import bisect
import dataclasses
import enum
import time
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QApplication

from hallway.core.model import DEFAULT_STATUS, Status, display_fingerprint
from hallway.engine.events import (
    FeedItem,
    Named,
    PeerOffline,
    PeerOnline,
    PeerRenamed,
    PeerView,
    PostReceived,
    StatusChanged,
    StatusExpired,
)
from hallway.ui.icons import OFFLINE, presence_icon
from hallway.ui.text import (
    format_clock,
    format_last_seen,
    format_until,
    look_alike_note,
    plain_tooltip,
    presence_label,
    shown_name,
    tr,
)

Index = QModelIndex | QPersistentModelIndex
_NO_INDEX = QModelIndex()
Clock = Callable[[], float]

# Custom roles shared by both models.
PEER_ROLE = Qt.ItemDataRole.UserRole + 1  # PeerView
PEER_ID_ROLE = Qt.ItemDataRole.UserRole + 2  # str
FOLLOWED_ROLE = Qt.ItemDataRole.UserRole + 3  # bool
FILTER_ROLE = Qt.ItemDataRole.UserRole + 4  # str: what the filter box matches
ITEM_ROLE = Qt.ItemDataRole.UserRole + 5  # FeedItem
ITEM_ID_ROLE = Qt.ItemDataRole.UserRole + 6  # str
URGENT_ROLE = Qt.ItemDataRole.UserRole + 7  # bool
LOOK_ALIKES_ROLE = Qt.ItemDataRole.UserRole + 8  # tuple[str, ...]: the labels of look-alikes


class PeopleColumn(enum.IntEnum):
    STAR = 0
    PRESENCE = 1
    NAME = 2
    EMOJI = 3
    STATUS = 4
    UNTIL = 5
    LAST_SEEN = 6


def _order_key(peer: PeerView) -> tuple[bool, bool, str, str]:
    """Own entry first, then people online, then the rest; each by name, ignoring case."""
    return (not peer.own, not peer.online, peer.name.casefold(), peer.id)


class PeopleModel(QAbstractTableModel):
    """Everyone this node knows, one row each, kept in display order.

    Signals:
        look_alikes_changed(): an event said a peer's name now reads like another member's, or
            no longer does. Which other peers are involved only the engine knows: fetch
            `node.peers()` and pass it to `update_look_alikes`.
    """

    look_alikes_changed = Signal()

    def __init__(self, parent: QObject | None = None, *, clock: Clock = time.time) -> None:
        super().__init__(parent)
        self._clock = clock
        self._peers: dict[str, PeerView] = {}
        self._order: list[str] = []
        self._followed: set[str] = set()

    # -- queries ---------------------------------------------------------------------------

    def peer(self, peer_id: str) -> PeerView | None:
        return self._peers.get(peer_id)

    def row_of(self, peer_id: str) -> int:
        return self._order.index(peer_id) if peer_id in self._peers else -1

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
        self.endResetModel()

    def update_look_alikes(self, peers: Iterable[PeerView]) -> None:
        """Take each known peer's look-alike flags from `peers` (the engine's views)."""
        for fresh in peers:
            peer = self._peers.get(fresh.id)
            if peer is not None and _flags(peer) != _flags(fresh):
                self._upsert(
                    dataclasses.replace(
                        peer,
                        look_alike=fresh.look_alike,
                        look_alikes=fresh.look_alikes,
                        short_fingerprint=fresh.short_fingerprint,
                    )
                )

    def look_alike_labels(self, peer: PeerView) -> tuple[str, ...]:
        """ "Bob (3f9a)" for each peer whose name reads like `peer`'s."""
        others = (self._peers.get(pid) for pid in peer.look_alikes)
        return tuple(other.label for other in others if other is not None)

    def set_followed(self, peer_ids: Iterable[str]) -> None:
        self._followed = set(peer_ids)
        self._changed_columns(PeopleColumn.STAR, PeopleColumn.STAR)

    def set_following(self, peer_id: str, follow: bool) -> None:
        if follow:
            self._followed.add(peer_id)
        else:
            self._followed.discard(peer_id)
        row = self.row_of(peer_id)
        if row >= 0:
            # The whole row: the People list draws every column in one entry (NAME's).
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(PeopleColumn) - 1))

    @Slot()
    def refresh_times(self) -> None:
        """Recompute the "until" and "last seen" texts (they depend on the clock)."""
        self._changed_columns(PeopleColumn.UNTIL, PeopleColumn.LAST_SEEN)

    @Slot(object)
    def on_peer_online(self, event: PeerOnline) -> None:
        peer = self._peers.get(event.peer)
        if peer is None:
            new = self._new_peer(event.peer, event.name, event.at, address=event.address)
            self._upsert(self._named(new, event))
            return
        updated = dataclasses.replace(
            peer, online=True, name=event.name or peer.name, address=event.address,
            last_seen=event.at,
        )  # fmt: skip
        self._upsert(self._named(updated, event))

    @Slot(object)
    def on_peer_offline(self, event: PeerOffline) -> None:
        peer = self._peers.get(event.peer)
        if peer is not None and not peer.own:
            self._upsert(dataclasses.replace(peer, online=False, last_seen=event.at))

    @Slot(object)
    def on_peer_renamed(self, event: PeerRenamed) -> None:
        peer = self._peers.get(event.peer)
        if peer is not None:
            self._upsert(self._named(dataclasses.replace(peer, name=event.name), event))

    @Slot(object)
    def on_status_changed(self, event: StatusChanged) -> None:
        peer = self._peers.get(event.peer)
        if peer is None:
            peer = self._new_peer(event.peer, event.name, event.at, own=event.own)
        elif event.status.set_at < peer.status.set_at:
            return  # an older status delivered late (a snapshot racing a live update)
        updated = dataclasses.replace(
            peer, status=event.status, name=event.name or peer.name, online=True
        )
        self._upsert(self._named(updated, event))

    @Slot(object)
    def on_status_expired(self, event: StatusExpired) -> None:
        peer = self._peers.get(event.peer)
        if peer is not None:
            cleared = dataclasses.replace(DEFAULT_STATUS, set_at=peer.status.set_at)
            self._upsert(dataclasses.replace(peer, status=cleared))

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
            return dataclasses.replace(peer, look_alike=False, look_alikes=())
        return dataclasses.replace(peer, look_alike=True, short_fingerprint=event.short_fingerprint)

    def _upsert(self, peer: PeerView) -> None:
        old = self._peers.get(peer.id)
        if old is None:
            keys = [_order_key(self._peers[pid]) for pid in self._order]
            row = bisect.bisect_left(keys, _order_key(peer))
            self.beginInsertRows(_NO_INDEX, row, row)
            self._peers[peer.id] = peer
            self._order.insert(row, peer.id)
            self.endInsertRows()
            return
        self._peers[peer.id] = peer
        if _order_key(old) == _order_key(peer):
            row = self._order.index(peer.id)
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(PeopleColumn) - 1))
        else:
            self._relayout()

    def _relayout(self) -> None:
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        ids = [self._order[index.row()] for index in before]
        self._order.sort(key=lambda pid: _order_key(self._peers[pid]))
        rows = {pid: row for row, pid in enumerate(self._order)}
        after = [
            self.index(rows[pid], index.column()) for pid, index in zip(ids, before, strict=True)
        ]
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def _changed_columns(self, first: int, last: int) -> None:
        # Widened to NAME: the People list draws every column in NAME's one entry.
        first, last = min(first, PeopleColumn.NAME), max(last, PeopleColumn.NAME)
        if self._order:
            self.dataChanged.emit(self.index(0, first), self.index(len(self._order) - 1, last))

    # -- Qt model interface ----------------------------------------------------------------

    def rowCount(self, parent: Index = _NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent: Index = _NO_INDEX) -> int:
        return 0 if parent.isValid() else len(PeopleColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        titles = {
            PeopleColumn.STAR: "",
            PeopleColumn.PRESENCE: tr("Presence"),
            PeopleColumn.NAME: tr("Name"),
            PeopleColumn.EMOJI: "",
            PeopleColumn.STATUS: tr("Status"),
            PeopleColumn.UNTIL: tr("Until"),
            PeopleColumn.LAST_SEEN: tr("Last seen"),
        }
        return titles.get(PeopleColumn(section)) if 0 <= section < len(PeopleColumn) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._order):
            return None
        peer = self._peers[self._order[index.row()]]
        column = PeopleColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(peer, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(peer, column)
        if role >= Qt.ItemDataRole.UserRole:
            return self._custom(peer, role)
        return self._look(peer, column, role)

    def _look(self, peer: PeerView, column: PeopleColumn, role: int) -> Any:
        """Icons, fonts, colours and alignment."""
        if role == Qt.ItemDataRole.DecorationRole and column == PeopleColumn.PRESENCE:
            return presence_icon(peer.presence.value if peer.online else OFFLINE)
        if role == Qt.ItemDataRole.FontRole and peer.own and column == PeopleColumn.NAME:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and not peer.online:
            return QApplication.palette().brush(
                QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text
            )
        centred = (PeopleColumn.STAR, PeopleColumn.EMOJI)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in centred:
            return Qt.AlignmentFlag.AlignCenter
        return None

    def _display(self, peer: PeerView, column: PeopleColumn) -> str:
        now = self._clock()
        if column == PeopleColumn.STAR:
            return "★" if peer.id in self._followed else ("" if peer.own else "☆")
        if column == PeopleColumn.PRESENCE:
            return presence_label(peer.presence) if peer.online else tr("Offline")
        texts = {
            PeopleColumn.NAME: shown_name(peer.label, peer.look_alike),
            PeopleColumn.EMOJI: peer.status.emoji,
            PeopleColumn.STATUS: peer.status.text,
        }
        if column in texts:
            return texts[column]
        if column == PeopleColumn.UNTIL:  # the clock only; the tooltip says how long is left
            until = peer.status.until
            return "" if until is None else format_clock(until, now)
        return format_last_seen(peer.last_seen, peer.online or peer.own, now)

    def _tooltip(self, peer: PeerView, column: PeopleColumn) -> str | None:
        if column == PeopleColumn.STAR and not peer.own:
            following = peer.id in self._followed
            return tr("Stop following") if following else tr("Follow: pop up their status changes")
        if column == PeopleColumn.NAME and peer.look_alike:
            return plain_tooltip(self.look_alike_tooltip(peer))
        if column in (PeopleColumn.NAME, PeopleColumn.STATUS) and (peer.name or peer.status.text):
            text = peer.name if column == PeopleColumn.NAME else peer.status.text
            return plain_tooltip(text) if text else None
        if column == PeopleColumn.UNTIL and peer.status.until is not None:
            return format_until(peer.status.until, self._clock())
        return None

    def look_alike_tooltip(self, peer: PeerView) -> str:
        """Who else reads alike, and the whole fingerprint to compare."""
        lines = [shown_name(peer.label, True), look_alike_note()]
        others = self.look_alike_labels(peer)
        if others:
            lines.append(tr("Looks like: {names}").format(names=", ".join(others)))
        lines.append(tr("Fingerprint: {fingerprint}").format(fingerprint=peer.fingerprint))
        return "\n".join(lines)

    def _custom(self, peer: PeerView, role: int) -> Any:
        values = {
            PEER_ROLE: peer,
            PEER_ID_ROLE: peer.id,
            FOLLOWED_ROLE: peer.id in self._followed,
            # The fingerprint too: typing "3f9a" finds one of two Bobs.
            FILTER_ROLE: f"{peer.name}\n{peer.status.emoji} {peer.status.text}\n{peer.fingerprint}",
            LOOK_ALIKES_ROLE: self.look_alike_labels(peer) if peer.look_alike else (),
        }
        return values.get(role)


class PeopleFilter(QSortFilterProxyModel):
    """Narrows people by name or status text; keeps the source model's order."""

    def __init__(self, source: PeopleModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self.setFilterRole(FILTER_ROLE)
        self.setFilterKeyColumn(PeopleColumn.NAME)
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
        own=event.own,
        look_alike=event.look_alike,
        short_fingerprint=event.short_fingerprint,
    )


class FeedModel(QAbstractListModel):
    """Posts and status changes, newest first, at most `limit` of them."""

    def __init__(self, parent: QObject | None = None, *, limit: int = 500) -> None:
        super().__init__(parent)
        self._limit = limit
        self._items: list[FeedItem] = []
        self._keys: set[tuple[str, ...]] = set()

    @staticmethod
    def _key(item: FeedItem) -> tuple[str, ...]:
        if item.type == "post":
            return ("post", item.id)
        return (item.type, item.peer, f"{item.at:.3f}")

    def item(self, row: int) -> FeedItem:
        return self._items[row]

    def row_of(self, item_id: str) -> int:
        return next((row for row, item in enumerate(self._items) if item.id == item_id), -1)

    def reset(self, items: Iterable[FeedItem]) -> None:
        self.beginResetModel()
        self._items, self._keys = [], set()
        for item in sorted(items, key=lambda i: i.at, reverse=True):
            if self._key(item) not in self._keys and len(self._items) < self._limit:
                self._keys.add(self._key(item))
                self._items.append(item)
        self.endResetModel()

    def add(self, item: FeedItem) -> bool:
        """Insert in time order; False if it was already there."""
        key = self._key(item)
        if key in self._keys:
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

    def rowCount(self, parent: Index = _NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
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
