"""The Feed tab: a compose box on top, a filter (everything or the open questions), then posts
and status changes, newest first, with the open thread beside them.

Items are painted by `feed_delegate.FeedDelegate`. A post's "3 replies · latest Ben" (or
"Reply") opens its thread in `thread_view.ThreadPanel`; Enter on a post does too, and its context
menu (the Menu key) holds everything its buttons do, and editing and deleting one's own.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QPoint, Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from hallway.engine.events import FeedItem, PostReceived
from hallway.ui.acks_view import AcksDialog
from hallway.ui.bridge import EngineBridge
from hallway.ui.compose import ComposeBox
from hallway.ui.event_actions import EventActions
from hallway.ui.feed_delegate import FeedDelegate
from hallway.ui.models import ITEM_ROLE, FeedModel, post_item
from hallway.ui.post_card import ACK, ACKS, THREAD
from hallway.ui.thread_view import ThreadPanel

EVERYTHING, OPEN_QUESTIONS = 0, 1


class FeedTab(QWidget):
    def __init__(
        self,
        bridge: EngineBridge,
        model: FeedModel,
        parent: QWidget | None = None,
        *,
        actions: EventActions | None = None,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.model = model
        #: The open questions, when the filter asks for them (fetched again each time).
        self.questions = FeedModel(self, open_questions=True)
        self.acks_dialog: AcksDialog | None = None
        self.compose = ComposeBox(bridge, compact=True)
        top = self._make_filter()
        self._make_list(actions)
        self.thread_panel = ThreadPanel(bridge)
        self.thread_panel.fetched.connect(self._fetched)
        self.thread_panel.acks_requested.connect(self.show_acks)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.list)
        self.splitter.addWidget(self.thread_panel)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)

        self.empty = QLabel(self.tr("Nothing yet. Posts and status changes show up here."))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.compose)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.empty)
        for feed in (model, self.questions):
            for change in (feed.rowsInserted, feed.rowsRemoved, feed.modelReset):
                change.connect(self._update_empty)
        self._follow(bridge)
        self._update_empty()

    def _make_filter(self) -> QHBoxLayout:
        self.filter = QComboBox()
        self.filter.setObjectName("feedFilter")
        self.filter.addItems([self.tr("Everything"), self.tr("Open questions")])
        self.filter.setToolTip(self.tr("Show every post and status change, or only the "
                                       "questions still waiting for an answer"))  # fmt: skip
        self.filter.currentIndexChanged.connect(self._filter_changed)
        show = QLabel(self.tr("&Show:"))
        show.setBuddy(self.filter)
        top = QHBoxLayout()
        top.addStretch(1)
        top.addWidget(show)
        top.addWidget(self.filter)
        return top

    def _make_list(self, actions: EventActions | None) -> None:
        self.list = QListView()
        self.list.setObjectName("feed")
        self.list.setModel(self.model)
        self.delegate = FeedDelegate(self.list)
        self.list.setItemDelegate(self.delegate)
        if actions is not None:
            self.delegate.clicked.connect(actions.run)
        self.delegate.post_clicked.connect(self._post_clicked)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setAlternatingRowColors(True)
        self.list.setSpacing(0)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.activated.connect(self._activated)

    def _follow(self, bridge: EngineBridge) -> None:
        """Keep both lists current (the app feeds `model` posts and statuses itself, and has
        it follow the bridge already, as it is there before this tab)."""
        bridge.post_received.connect(self._post_arrived)
        self.model.follow(bridge)
        self.questions.follow(bridge)

    @Slot(object)
    def _post_arrived(self, event: PostReceived) -> None:
        self.questions.add(post_item(event))

    @property
    def shown(self) -> FeedModel:
        """The list shown: everything, or the open questions."""
        return self.questions if self.filter.currentIndex() == OPEN_QUESTIONS else self.model

    @Slot(int)
    def _filter_changed(self, which: int) -> None:
        if which == OPEN_QUESTIONS:
            self.questions.reset(self._bridge.feed(questions=True))
        self.list.setModel(self.shown)
        self._update_empty()

    def show_open_questions(self, only: bool) -> None:
        self.filter.setCurrentIndex(OPEN_QUESTIONS if only else EVERYTHING)

    @Slot()
    def _update_empty(self) -> None:
        empty = self.shown.rowCount() == 0
        self.empty.setText(
            self.tr("No open questions.")
            if self.shown is self.questions
            else self.tr("Nothing yet. Posts and status changes show up here.")
        )
        self.empty.setVisible(empty)

    def item(self, item_id: str) -> FeedItem | None:
        for feed in (self.shown, self.model, self.questions):
            row = feed.row_of(item_id)
            if row >= 0:
                return feed.item(row)
        return None

    def select_item(self, item_id: str) -> bool:
        row = self.shown.row_of(item_id)
        if row < 0:
            return False
        index = self.shown.index(row, 0)
        self.list.setCurrentIndex(index)
        self.list.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    # -- threads and acknowledgements ------------------------------------------------------

    def open_thread(self, item_id: str, highlight: str | None = None) -> bool:
        """Open the thread of a post, or of a reply (then `highlight` it)."""
        if not self.thread_panel.open(item_id, highlight):
            return False
        if self.thread_panel.post_id is not None:
            self.select_item(self.thread_panel.post_id)
        return True

    @Slot(object)
    def _fetched(self, post: FeedItem) -> None:
        self.model.set_item(post)
        self.questions.set_item(post)

    @Slot(str, str)
    def _post_clicked(self, item_id: str, key: str) -> None:
        item = self.item(item_id)
        if key == THREAD:
            self.open_thread(item_id)
        elif key == ACK and item is not None and not item.acked:
            self._bridge.ack(item_id)
        elif key == ACKS:
            self.show_acks(item_id)

    @Slot(QModelIndex)
    def _activated(self, index: QModelIndex) -> None:
        item = index.data(ITEM_ROLE)
        if isinstance(item, FeedItem) and item.type == "post":
            self.open_thread(item.id)

    @Slot(str)
    def show_acks(self, post_id: str) -> None:
        item = self.item(post_id)
        if (
            item is None
            and self.thread_panel.view is not None
            and self.thread_panel.post_id == post_id
        ):
            item = self.thread_panel.view.post
        if item is None:
            return
        if self.acks_dialog is not None:
            self.acks_dialog.close()
        self.acks_dialog = dialog = AcksDialog(self._bridge, item, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(self._acks_gone)
        dialog.show()

    @Slot()
    def _acks_gone(self) -> None:
        self.acks_dialog = None

    def menu_for(self, item: FeedItem) -> QMenu:
        """A post's actions as a menu (the caller shows and deletes it)."""
        menu = QMenu(self)

        def add(name: str, text: str, run: Callable[[], object]) -> None:
            action = menu.addAction(text)
            action.setObjectName(name)
            action.triggered.connect(run)

        add("open-thread", self.tr("Open thread"), lambda: self.open_thread(item.id))
        if item.ack and item.own:
            add("acks", self.tr("Acknowledgements…"), lambda: self.show_acks(item.id))
        elif item.ack and not item.acked:
            add("ack", self.tr("Acknowledge"), lambda: self._bridge.ack(item.id))
        if item.own:
            menu.addSeparator()
            add("edit", self.tr("Edit…"), lambda: self._in_thread(item.id, edit=True))
            add("delete", self.tr("Delete…"), lambda: self._in_thread(item.id, edit=False))
        return menu

    def _in_thread(self, item_id: str, *, edit: bool) -> None:
        """Edit or delete a post in its thread, where the card edits in place."""
        if self.open_thread(item_id):
            card = self.thread_panel.cards[item_id]
            if edit:
                card.start_edit()
            else:
                card.ask_delete()

    @Slot(QPoint)
    def _context_menu(self, pos: QPoint) -> None:
        item = self.list.indexAt(pos).data(ITEM_ROLE)
        if not isinstance(item, FeedItem) or item.type != "post":
            return
        menu = self.menu_for(item)
        menu.exec(self.list.viewport().mapToGlobal(pos))
        menu.deleteLater()
