"""The main window ("Open Hallway"): People, Feed and Events tabs, the search box (Ctrl+F) and
its results, warning banner, open-office notice."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QHideEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QStyle,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hallway.engine.events import OTHER_OFFICE, NodeWarning, WarningCleared
from hallway.engine.views import SearchHit
from hallway.ui.bridge import EngineBridge
from hallway.ui.event_actions import EventActions
from hallway.ui.events_model import EventsModel
from hallway.ui.events_tab import EventsTab
from hallway.ui.feed_tab import FeedTab
from hallway.ui.icons import app_icon
from hallway.ui.knocks import KnockBook
from hallway.ui.models import FeedModel, PeopleModel
from hallway.ui.people_tab import PeopleTab
from hallway.ui.search_box import SearchResults
from hallway.ui.theme import is_dark

#: The "last seen" and "until" texts refresh at most this often, and only while shown.
TIME_REFRESH_MS = 30_000


#: Banner colours (background, text, border) on a light and on a dark window.
BANNER_COLOURS = {
    "warning": (("#fff4e5", "#7a4200", "#f0c36d"), ("#3b2d12", "#ffd690", "#7c5c1e")),
    "info": (("#e8f0fe", "#174ea6", "#aecbfa"), ("#1b2a42", "#b3cdfa", "#35507a")),
}


class Banner(QFrame):
    """A notice across the top of the window, optionally dismissable, optionally with a button.

    Its colours follow the palette's lightness, so it reads in light and dark themes.
    """

    def __init__(
        self,
        kind: str,
        *,
        closable: bool,
        name: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._kind = kind
        self.setObjectName(name or f"{kind}Banner")
        #: The lasting condition shown (a `NodeWarning.code`), if any.
        self.code: str | None = None
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # warnings may quote peers
        self.label.setWordWrap(True)
        self._layout = layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        if closable:
            close = QToolButton()
            close.setText("✕")
            close.setAutoRaise(True)
            close.setToolTip(self.tr("Dismiss"))
            close.clicked.connect(self.hide)
            layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self._dark: bool | None = None
        self._restyle()
        self.hide()

    def add_icon(self, icon: QStyle.StandardPixmap) -> None:
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        mark = QLabel()
        mark.setPixmap(self.style().standardIcon(icon).pixmap(size, size))
        self._layout.insertWidget(0, mark, 0, Qt.AlignmentFlag.AlignVCenter)

    def add_button(self, text: str) -> QPushButton:
        button = QPushButton(text)
        self._layout.insertWidget(self._layout.indexOf(self.label) + 1, button, 0,
                                  Qt.AlignmentFlag.AlignVCenter)  # fmt: skip
        return button

    def _restyle(self) -> None:
        # The application's palette, not our own: the style sheet below changes our own.
        dark_now = is_dark(QApplication.palette())
        if dark_now == self._dark:
            return
        self._dark = dark_now
        light, dark = BANNER_COLOURS[self._kind]
        back, fore, border = dark if dark_now else light
        name = self.objectName()
        self.setStyleSheet(
            f"#{name} {{ background: {back}; border: 1px solid {border};"
            f" border-radius: 4px; }} #{name} QLabel {{ color: {fore}; }}"
        )

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._restyle()
        super().changeEvent(event)

    def show_text(self, text: str, code: str | None = None) -> None:
        self.code = code
        self.label.setText(text)
        self.show()


class MainWindow(QMainWindow):
    """Signals:
    following_changed(str, bool): someone was starred or unstarred (persist it).
    settings_requested(): the person asked for the settings (from the wrong-office banner).
    new_event_requested(): "New event…" was clicked (in the Events tab).
    closed(): the window was closed while no tray icon exists to bring it back (quit then).
    """

    following_changed = Signal(str, bool)
    settings_requested = Signal()
    new_event_requested = Signal()
    closed = Signal()

    def __init__(
        self,
        bridge: EngineBridge,
        people: PeopleModel,
        feed: FeedModel,
        *,
        events: EventsModel | None = None,
        actions: EventActions | None = None,
        knocks: KnockBook | None = None,
        open_office: bool = False,
        demo: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        events = events if events is not None else EventsModel(self)
        actions = actions if actions is not None else EventActions(bridge, events, self)
        # Qt adds " — Hallway" (the display name) to any other title.
        self.setWindowTitle(self.tr("Demo office") if demo else self.tr("Hallway"))
        self.setWindowIcon(app_icon())
        #: Whether closing should only hide (a tray icon can bring the window back).
        self.hide_on_close = False

        self.warning_banner = Banner("warning", closable=True)
        # Lasts while the condition does (until WarningCleared), so it cannot be dismissed.
        self.office_banner = Banner("warning", closable=False, name="officeBanner")
        self.office_banner.add_icon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        check = self.office_banner.add_button(self.tr("Check settings…"))
        check.clicked.connect(self.settings_requested)
        self.open_notice = Banner("info", closable=False)
        self.open_notice.show_text(
            self.tr(
                "This is an open office: everyone on this network can see it, "
                "including your name and status."
            )
        )
        self.open_notice.setVisible(open_office)

        self.people_tab = PeopleTab(people, knocks=knocks)
        self.feed_tab = FeedTab(bridge, feed, actions=actions)
        self.events_tab = EventsTab(events, actions)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        # Alt+P, Alt+F and Alt+E switch tabs from anywhere in the window.
        self.tabs.addTab(self.people_tab, self.tr("&People"))
        self.tabs.addTab(self.feed_tab, self.tr("&Feed"))
        self.tabs.addTab(self.events_tab, self.tr("&Events"))
        self.people_tab.following_changed.connect(self.following_changed)
        self.events_tab.new_event_requested.connect(self.new_event_requested)
        actions.problem.connect(self.warning_banner.show_text)
        self._make_search(bridge)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.open_notice)
        layout.addWidget(self.office_banner)
        layout.addWidget(self.warning_banner)
        layout.addWidget(self.search)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        # Room for the feed and an open thread beside it, three or four cards deep.
        self.resize(1060, 680)

        self._refresh = QTimer(self)
        self._refresh.setInterval(TIME_REFRESH_MS)
        self._refresh.setTimerType(Qt.TimerType.VeryCoarseTimer)
        self._refresh.timeout.connect(people.refresh_times)
        self._refresh.timeout.connect(self.feed_tab.list.viewport().update)
        self._refresh.timeout.connect(events.refresh_times)

        bridge.warning.connect(self.on_warning)
        bridge.warning_cleared.connect(self.on_warning_cleared)
        bridge.command_failed.connect(self.warning_banner.show_text)

    @Slot(object)
    def on_warning(self, event: NodeWarning) -> None:
        if event.code == OTHER_OFFICE:
            self.office_banner.show_text(event.message, OTHER_OFFICE)
        else:
            self.warning_banner.show_text(event.message, event.code)

    @Slot(object)
    def on_warning_cleared(self, event: WarningCleared) -> None:
        for banner in (self.office_banner, self.warning_banner):
            if banner.code == event.code:
                banner.code = None
                banner.hide()

    def bring_forward(self) -> None:
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    @Slot(object)
    def show_item(self, item_id: str | None) -> None:
        """Bring the window forward on the item (an event id, a feed item id or a peer id)."""
        self.bring_forward()
        if item_id and self.events_tab.select_event(item_id):
            self.tabs.setCurrentWidget(self.events_tab)
        elif item_id and self.feed_tab.select_item(item_id):
            self.tabs.setCurrentWidget(self.feed_tab)
        elif item_id and self.people_tab.select_peer(item_id):
            self.tabs.setCurrentWidget(self.people_tab)
        else:
            self.tabs.setCurrentWidget(self.feed_tab)

    def _make_search(self, bridge: EngineBridge) -> None:
        self.search = SearchResults(bridge)
        self.search.activated.connect(self.open_hit)
        corner = QWidget()
        corner_layout = QHBoxLayout(corner)
        corner_layout.setContentsMargins(0, 0, 2, 4)  # clear of the window's edge and the tabs
        corner_layout.addWidget(self.search.field)
        self.tabs.setCornerWidget(corner, Qt.Corner.TopRightCorner)
        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        find.activated.connect(self.focus_search)

    @Slot()
    def focus_search(self) -> None:
        self.search.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.field.selectAll()

    @Slot(object)
    def open_hit(self, hit: SearchHit) -> None:
        """Open a search result in its context: a post or question in its thread, a reply
        highlighted inside its thread, an event on the Events tab, a status in the Feed (or on
        its author in People)."""
        feed = self.feed_tab
        if hit.kind in ("post", "question", "reply"):
            feed.show_open_questions(False)
            self.tabs.setCurrentWidget(feed)
            highlight = hit.id if hit.kind == "reply" else None
            if not feed.open_thread(hit.thread, highlight):
                self.warning_banner.show_text(self.tr("That item is not here any more."))
        elif hit.kind == "event" and self.events_tab.select_event(hit.thread):
            self.tabs.setCurrentWidget(self.events_tab)
        elif hit.kind == "status" and feed.select_item(hit.id):
            self.tabs.setCurrentWidget(feed)
        elif self.people_tab.select_peer(hit.peer):
            self.tabs.setCurrentWidget(self.people_tab)

    def showEvent(self, event: QShowEvent) -> None:
        self._refresh.start()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self._refresh.stop()
        super().hideEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.WindowStateChange:
            if self.isMinimized():
                self._refresh.stop()
            elif self.isVisible():
                self._refresh.start()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.hide_on_close:
            event.ignore()
            self.hide()
            return
        event.accept()
        self.closed.emit()
