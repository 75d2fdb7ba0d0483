"""The People tab: everyone with presence and status, a filter box, stars, and a details pane."""

from __future__ import annotations

import time

from PySide6.QtCore import QItemSelection, QModelIndex, QPersistentModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from hallway.engine.events import PeerView
from hallway.ui.models import PEER_ID_ROLE, PeopleColumn, PeopleFilter, PeopleModel
from hallway.ui.text import format_clock, format_last_seen, plain_label, status_line, tr

Index = QModelIndex | QPersistentModelIndex


class PeerDetails(QGroupBox):
    """Name, status, fingerprint (to compare out loud), address, first and last seen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(tr("Details"), parent)
        self.name = plain_label()
        self.status = plain_label()
        self.fingerprint = plain_label()
        self.fingerprint.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.address = plain_label()
        self.first_seen = plain_label()
        self.last_seen = plain_label()
        for label in (self.name, self.status, self.address):
            label.setWordWrap(True)
        # Shown alone (no empty rows beside it) while nobody is selected.
        self.hint = plain_label(tr("Select someone to see their details."))
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._form = form = QFormLayout(self)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow(self.hint)
        form.addRow(tr("Name"), self.name)
        form.addRow(tr("Status"), self.status)
        form.addRow(tr("Fingerprint"), self.fingerprint)
        form.addRow(tr("Address"), self.address)
        form.addRow(tr("First seen"), self.first_seen)
        form.addRow(tr("Last seen"), self.last_seen)
        self.show_peer(None)

    def _show_rows(self, shown: bool) -> None:
        self._form.setRowVisible(0, not shown)
        for row in range(1, self._form.rowCount()):
            self._form.setRowVisible(row, shown)

    def show_peer(self, peer: PeerView | None) -> None:
        now = time.time()
        if peer is None:
            for label in (
                self.name,
                self.status,
                self.fingerprint,
                self.address,
                self.first_seen,
                self.last_seen,
            ):
                label.setText("")
            self._show_rows(False)
            return
        self._show_rows(True)
        name = tr("{name} (you)").format(name=peer.name) if peer.own else peer.name
        self.name.setText(name)
        self.status.setText(status_line(peer.presence, peer.status.text, peer.status.emoji))
        # Two rows of four groups fit a narrow pane and are easy to read out.
        groups = peer.fingerprint.split()
        half = (len(groups) + 1) // 2
        self.fingerprint.setText(" ".join(groups[:half]) + "\n" + " ".join(groups[half:]))
        self.address.setText(peer.address or tr("unknown"))
        self.first_seen.setText(
            format_clock(peer.first_seen, now) if peer.first_seen else tr("unknown")
        )
        self.last_seen.setText(format_last_seen(peer.last_seen, peer.online or peer.own, now))


class PeopleTab(QWidget):
    """Signals:
    following_changed(str, bool): the person starred (True) or unstarred someone.
    """

    following_changed = Signal(str, bool)

    def __init__(self, model: PeopleModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = PeopleFilter(model, self)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("Filter by name or status"))
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.set_filter_text)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 12)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        fixed = QHeaderView.ResizeMode.ResizeToContents
        for column in (
            PeopleColumn.STAR,
            PeopleColumn.PRESENCE,
            PeopleColumn.EMOJI,
            PeopleColumn.UNTIL,
            PeopleColumn.LAST_SEEN,
        ):
            header.setSectionResizeMode(column, fixed)
        header.setSectionResizeMode(PeopleColumn.NAME, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(PeopleColumn.STATUS, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(PeopleColumn.NAME, 150)
        self.table.clicked.connect(self._clicked)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        model.dataChanged.connect(self._refresh_details)
        model.layoutChanged.connect(self._refresh_details)

        self.details = PeerDetails()
        self.details.setMinimumWidth(260)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.filter)
        left_layout.addWidget(self.table)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([640, 260])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    def selected_peer(self) -> PeerView | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.peer(str(rows[0].data(PEER_ID_ROLE)))

    def select_peer(self, peer_id: str) -> bool:
        row = self.model.row_of(peer_id)
        if row < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, PeopleColumn.NAME))
        if not index.isValid():  # filtered out: show everyone again
            self.filter.clear()
            index = self.proxy.mapFromSource(self.model.index(row, PeopleColumn.NAME))
        self.table.selectRow(index.row())
        self.table.scrollTo(index)
        return True

    @Slot(QModelIndex)
    def _clicked(self, index: QModelIndex) -> None:
        if index.column() != PeopleColumn.STAR:
            return
        peer = self.model.peer(str(index.data(PEER_ID_ROLE)))
        if peer is None or peer.own:
            return
        follow = peer.id not in self.model.followed()
        self.model.set_following(peer.id, follow)
        self.following_changed.emit(peer.id, follow)

    @Slot(QItemSelection, QItemSelection)
    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self.details.show_peer(self.selected_peer())

    @Slot()
    def _refresh_details(self) -> None:
        self.details.show_peer(self.selected_peer())
