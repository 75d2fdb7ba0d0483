"""The Events tab: "New event…", then every event as a card, upcoming first.

The cards' buttons are painted (see `event_delegate`); the same actions are in each card's
context menu, which the keyboard reaches too (the Menu key).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt, Signal, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hallway.core.meetups import EventView
from hallway.ui.event_actions import EventActions
from hallway.ui.event_card import CALENDAR, CANCEL, EDIT, RSVP_KEYS, answerable, button_label
from hallway.ui.event_delegate import EventDelegate
from hallway.ui.events_model import EVENT_ROLE, EventsModel

Clock = Callable[[], float]


class EventsTab(QWidget):
    """Signals:
    new_event_requested(): "New event…" was clicked.
    """

    new_event_requested = Signal()

    def __init__(
        self,
        model: EventsModel,
        actions: EventActions,
        parent: QWidget | None = None,
        *,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.event_actions = actions
        self._clock = clock
        self.new_button = QPushButton(self.tr("New event…"))
        self.new_button.setObjectName("newEvent")
        self.new_button.clicked.connect(self.new_event_requested)
        heading = QLabel(self.tr("Upcoming events first; answer with the buttons on each card."))
        heading.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        top = QHBoxLayout()
        top.addWidget(heading, 1)
        top.addWidget(self.new_button)

        self.list = QListView()
        self.list.setObjectName("events")
        self.list.setModel(model)
        self.delegate = EventDelegate(self.list, clock=clock)
        self.list.setItemDelegate(self.delegate)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setMouseTracking(True)
        # Cards on the window's colour, so each card (on the base colour) stands apart.
        self.list.viewport().setBackgroundRole(QPalette.ColorRole.Window)
        self.list.setFrameShape(QListView.Shape.NoFrame)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.delegate.clicked.connect(actions.run)

        self.empty = QLabel(self.tr("No events yet. Create one with “New event…”."))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        for change in (model.rowsInserted, model.rowsRemoved, model.modelReset):
            change.connect(self._update_empty)
        self._update_empty()

    @Slot()
    def _update_empty(self) -> None:
        empty = self.model.rowCount() == 0
        self.empty.setVisible(empty)
        self.list.setVisible(not empty)

    def select_event(self, event_id: str) -> bool:
        row = self.model.row_of(event_id)
        if row < 0:
            return False
        index = self.model.index(row, 0)
        self.list.setCurrentIndex(index)
        self.list.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def menu_for(self, view: EventView) -> QMenu:
        """The card's actions as a menu (the caller shows and deletes it)."""
        menu = QMenu(self)
        now = self._clock()
        for key in RSVP_KEYS:
            action = menu.addAction(button_label(key))
            action.setObjectName(f"event-{key}")
            action.setCheckable(True)
            action.setChecked(view.mine is not None and view.mine.value == key)
            action.setEnabled(answerable(view, now))
            action.triggered.connect(self._runner(view.id, key))
        menu.addSeparator()
        keys = [CALENDAR]
        if view.own and not view.cancelled and not view.past(now):
            keys += [EDIT, CANCEL]
        for key in keys:
            action = menu.addAction(button_label(key))
            action.setObjectName(f"event-{key}")
            action.triggered.connect(self._runner(view.id, key))
        return menu

    def _runner(self, event_id: str, key: str) -> Callable[[], None]:
        return lambda: self.event_actions.run(event_id, key)

    @Slot(QPoint)
    def _context_menu(self, pos: QPoint) -> None:
        view = self.list.indexAt(pos).data(EVENT_ROLE)
        if not isinstance(view, EventView):
            return
        menu = self.menu_for(view)
        menu.exec(self.list.viewport().mapToGlobal(pos))
        menu.deleteLater()
