"""The office's events as a list model (upcoming first), kept current from the bridge.

An `EventChanged` carries the whole event and an own command returns it, so those update a row at
once. An `RsvpChanged` or `SeatGained` names only the event, and its seats have to be computed
again: the node is asked for its events off the GUI thread (it may take a while to answer when
busy), once per burst, by `EventsRefresher`.
"""

from __future__ import annotations

import bisect
import contextlib
import time
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
    Slot,
)

from hallway.core.meetups import EventView
from hallway.engine.events import EventChanged
from hallway.ui.bridge import EngineBridge

Index = QModelIndex | QPersistentModelIndex
Clock = Callable[[], float]
_NO_INDEX = QModelIndex()

EVENT_ROLE = Qt.ItemDataRole.UserRole + 20  # EventView
EVENT_ID_ROLE = Qt.ItemDataRole.UserRole + 21  # str

#: RSVPs arriving within this long are one fetch of the events.
REFRESH_MS = 300
#: How long closing waits for a fetch in flight (the node answers or fails within 10 s).
FETCH_DRAIN_MS = 15_000


def order_key(view: EventView, now: float) -> tuple[int, float, str]:
    """Upcoming events first, soonest first; then ended and cancelled ones, latest first."""
    if view.cancelled or view.past(now):
        return (1, -view.start, view.id)
    return (0, view.start, view.id)


class EventsModel(QAbstractListModel):
    """Every event the node holds, one row each.

    Signals:
        view_changed(EventView): an event was added or changed (the feed shows it too).
    """

    view_changed = Signal(object)

    def __init__(self, parent: QObject | None = None, *, clock: Clock = time.time) -> None:
        super().__init__(parent)
        self._clock = clock
        self._views: dict[str, EventView] = {}
        self._order: list[str] = []

    # -- queries ---------------------------------------------------------------------------

    def view(self, event_id: str) -> EventView | None:
        return self._views.get(event_id)

    def row_of(self, event_id: str) -> int:
        try:
            return self._order.index(event_id)
        except ValueError:
            return -1

    def views(self) -> list[EventView]:
        return [self._views[event_id] for event_id in self._order]

    def upcoming_count(self) -> int:
        now = self._clock()
        return sum(1 for v in self._views.values() if not (v.cancelled or v.past(now)))

    # -- changes ---------------------------------------------------------------------------

    def reset(self, views: Iterable[EventView]) -> None:
        self.beginResetModel()
        self._views = {v.id: v for v in views}
        self._order = self._sorted()
        self.endResetModel()

    def sync(self, views: Iterable[EventView]) -> None:
        """Take the node's whole list: changed rows update, new ones appear, gone ones go."""
        fresh = {v.id: v for v in views}
        for event_id in [e for e in self._order if e not in fresh]:
            row = self.row_of(event_id)
            self.beginRemoveRows(_NO_INDEX, row, row)
            del self._order[row]
            del self._views[event_id]
            self.endRemoveRows()
        for view in fresh.values():
            if self._views.get(view.id) != view:
                self.upsert(view)

    def upsert(self, view: EventView) -> None:
        old = self._views.get(view.id)
        if old is not None and _older(view, old):
            return  # a snapshot racing a newer live update
        self._views[view.id] = view
        if old is None:
            row = bisect.bisect_left(self._order, self._key(view.id), key=self._key)
            self.beginInsertRows(_NO_INDEX, row, row)
            self._order.insert(row, view.id)
            self.endInsertRows()
        elif self._sorted() != self._order:
            self._relayout()
        else:
            self._row_changed(view.id)
        self.view_changed.emit(view)

    @Slot(object)
    def on_event_changed(self, event: EventChanged) -> None:
        self.upsert(event.event)

    @Slot()
    def refresh_times(self) -> None:
        """Events end as time passes: move them down and redraw ("today", "tomorrow")."""
        if self._sorted() != self._order:
            self._relayout()
        elif self._order:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._order) - 1, 0))

    def _key(self, event_id: str) -> tuple[int, float, str]:
        return order_key(self._views[event_id], self._clock())

    def _sorted(self) -> list[str]:
        return sorted(self._views, key=self._key)

    def _relayout(self) -> None:
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        ids = [self._order[index.row()] for index in before]
        self._order = self._sorted()
        self.changePersistentIndexList(before, [self.index(self.row_of(i), 0) for i in ids])
        self.layoutChanged.emit()

    def _row_changed(self, event_id: str) -> None:
        row = self.row_of(event_id)
        if row >= 0:
            index = self.index(row, 0)
            self.dataChanged.emit(index, index)

    # -- Qt model interface ----------------------------------------------------------------

    def rowCount(self, parent: Index = _NO_INDEX) -> int:
        return 0 if parent.isValid() else len(self._order)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._order):
            return None
        view = self._views[self._order[index.row()]]
        values = {Qt.ItemDataRole.DisplayRole: view.title, EVENT_ROLE: view, EVENT_ID_ROLE: view.id}
        return values.get(role)


def _older(new: EventView, old: EventView) -> bool:
    # Only the organiser's edits are ordered (`sequence`); RSVPs change a view without one, so
    # an equal sequence is taken as news.
    return new.sequence < old.sequence


class EventsRefresher(QObject):
    """Fetches the node's events again after RSVPs and seat moves, once per burst, off the GUI
    thread, and hands them to `model.sync`."""

    _fetched = Signal(object)  # emitted on the pool's thread, queued to the GUI thread

    def __init__(
        self, bridge: EngineBridge, model: EventsModel, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._model = model
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._fetch)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._fetching = False
        self._stale_while_fetching = False
        self._closed = False
        self._fetched.connect(self._arrived)
        bridge.rsvp_changed.connect(self.stale)
        bridge.seat_gained.connect(self.stale)

    @Slot()
    @Slot(object)
    def stale(self, _event: object = None) -> None:
        if self._fetching:  # the answer in flight may predate this change: fetch once more
            self._stale_while_fetching = True
        elif not self._timer.isActive():  # not restarted: a flood must not postpone it
            self._timer.start()

    @Slot()
    def _fetch(self) -> None:
        if self._closed or self._fetching:
            return
        self._fetching = True
        self._stale_while_fetching = False
        self._pool.start(self._run)

    def _run(self) -> None:
        views = self._bridge.events()
        # RuntimeError: this object was deleted after close() gave up waiting for us.
        with contextlib.suppress(RuntimeError):
            self._fetched.emit(views)

    @Slot(object)
    def _arrived(self, views: list[EventView] | None) -> None:
        self._fetching = False
        if self._closed:
            return
        if views is not None:
            self._model.sync(views)
        if self._stale_while_fetching:
            self.stale()

    def busy(self) -> bool:
        return self._fetching or self._timer.isActive()

    def close(self) -> None:
        """Stop; call after the node stopped, which ends a fetch in flight."""
        self._closed = True
        self._timer.stop()
        self._pool.waitForDone(FETCH_DRAIN_MS)
