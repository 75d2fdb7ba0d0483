"""The People tab: everyone with presence and status, a filter box, stars, and a details pane."""

from __future__ import annotations

import time

from PySide6.QtCore import QItemSelection, QModelIndex, QPoint, Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from hallway.engine.events import PeerView
from hallway.ui.avatar import avatar_image
from hallway.ui.icons import OFFLINE
from hallway.ui.knocks import KnockBook
from hallway.ui.models import PEER_ID_ROLE, PeopleFilter, PeopleModel
from hallway.ui.people_delegate import PeopleDelegate
from hallway.ui.text import (
    format_clock,
    format_last_seen,
    look_alike_note,
    plain_label,
    shown_name,
    status_line,
    tr,
)

DETAILS_AVATAR = 64


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
        self.avatar = QLabel()
        self.avatar.setObjectName("detailsAvatar")
        self._form = form = QFormLayout(self)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow(self.hint)
        form.addRow(self.avatar)
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
            self.avatar.clear()
            self._show_rows(False)
            return
        self._show_rows(True)
        presence = peer.presence.value if peer.online or peer.own else OFFLINE
        ratio = self.devicePixelRatioF()
        image = avatar_image(peer.id, peer.name, presence, round(DETAILS_AVATAR * ratio))
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(ratio)
        self.avatar.setPixmap(pixmap)
        shown = shown_name(peer.label, peer.look_alike)
        name = tr("{name} (you)").format(name=shown) if peer.own else shown
        self.name.setText(f"{name}\n{look_alike_note()}" if peer.look_alike else name)
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
    knock_requested(str): "Knock…" on this peer id (the row's button or its menu).
    knock_reply_requested(str): "Answer the knock…" of this knock id.
    """

    following_changed = Signal(str, bool)
    knock_requested = Signal(str)
    knock_reply_requested = Signal(str)

    def __init__(
        self, model: PeopleModel, parent: QWidget | None = None, *, knocks: KnockBook | None = None
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.knocks = knocks if knocks is not None else KnockBook(self)
        self.proxy = PeopleFilter(model, self)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("Filter by name or status"))
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.set_filter_text)

        # One painted entry per person (no columns): nothing can be clipped to a column's width,
        # and no width changes while rows update.
        self.list = QListView()
        self.list.setObjectName("people")
        self.list.setModel(self.proxy)
        self.delegate = PeopleDelegate(self.list)
        self.list.setItemDelegate(self.delegate)
        self.list.setUniformItemSizes(True)
        self.list.setMouseTracking(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.delegate.star_clicked.connect(self.toggle_following)
        self.delegate.knock_clicked.connect(self.knock_requested)
        self.list.selectionModel().selectionChanged.connect(self._selection_changed)
        model.dataChanged.connect(self._row_changed)
        model.layoutChanged.connect(self._refresh_details)

        self.details = PeerDetails()
        self.details.setMinimumWidth(260)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.filter)
        left_layout.addWidget(self.list)
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
        chosen = self.list.selectionModel().selectedIndexes()
        if not chosen:
            return None
        return self.model.peer(str(chosen[0].data(PEER_ID_ROLE)))

    def index_of(self, peer_id: str) -> QModelIndex:
        """The list's index for `peer_id` (invalid when unknown or filtered out)."""
        row = self.model.row_of(peer_id)
        if row < 0:
            return QModelIndex()
        return self.proxy.mapFromSource(self.model.index(row, 0))

    def select_peer(self, peer_id: str) -> bool:
        if self.model.row_of(peer_id) < 0:
            return False
        index = self.index_of(peer_id)
        if not index.isValid():  # filtered out: show everyone again
            self.filter.clear()
            index = self.index_of(peer_id)
        self.list.setCurrentIndex(index)
        self.list.scrollTo(index)
        return True

    @Slot(str)
    def toggle_following(self, peer_id: str) -> None:
        peer = self.model.peer(peer_id)
        if peer is None or peer.own:
            return
        follow = peer.id not in self.model.followed()
        self.model.set_following(peer.id, follow)
        self.following_changed.emit(peer.id, follow)

    def context_menu(self, peer: PeerView) -> QMenu:
        """The menu of a person's entry: knock, answer their knock, follow."""
        menu = QMenu(self)
        knock = menu.addAction(self.tr("Knock…"))
        knock.setObjectName("knock")
        knock.triggered.connect(lambda: self.knock_requested.emit(peer.id))
        unanswered = self.knocks.unanswered(peer.id)
        if unanswered:
            knock_id = unanswered[0].id
            answer = menu.addAction(self.tr("Answer their knock…"))
            answer.setObjectName("answer-knock")
            answer.triggered.connect(lambda: self.knock_reply_requested.emit(knock_id))
        menu.addSeparator()
        following = peer.id in self.model.followed()
        action = menu.addAction(self.tr("Stop following") if following else self.tr("Follow"))
        action.setObjectName("follow")
        action.triggered.connect(lambda: self.toggle_following(peer.id))
        return menu

    @Slot(QPoint)
    def _context_menu(self, pos: QPoint) -> None:
        peer = self.model.peer(str(self.list.indexAt(pos).data(PEER_ID_ROLE)))
        if peer is None or peer.own:
            return
        menu = self.context_menu(peer)
        menu.exec(self.list.viewport().mapToGlobal(pos))
        menu.deleteLater()

    @Slot(QItemSelection, QItemSelection)
    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self.details.show_peer(self.selected_peer())

    @Slot(QModelIndex, QModelIndex)
    def _row_changed(self, first: QModelIndex, last: QModelIndex) -> None:
        # Only when the selected peer's row is among them: a flood of changes to others must not
        # rebuild the details (and their avatar) once per change.
        chosen = self.list.selectionModel().selectedIndexes()
        if chosen and first.row() <= self.proxy.mapToSource(chosen[0]).row() <= last.row():
            self._refresh_details()

    @Slot()
    def _refresh_details(self) -> None:
        self.details.show_peer(self.selected_peer())
