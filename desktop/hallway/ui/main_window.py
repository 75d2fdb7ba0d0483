"""The main window ("Open Hallway"): People and Feed tabs, warning banner, open-office notice."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hallway.engine.events import NodeWarning
from hallway.ui.bridge import EngineBridge
from hallway.ui.feed_tab import FeedTab
from hallway.ui.icons import app_icon
from hallway.ui.models import FeedModel, PeopleModel
from hallway.ui.people_tab import PeopleTab

#: The "last seen" and "until" texts refresh at most this often, and only while shown.
TIME_REFRESH_MS = 30_000


class Banner(QFrame):
    """A one-line notice across the top of the window, optionally dismissable."""

    def __init__(self, kind: str, *, closable: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{kind}Banner")
        colours = {
            "warning": ("#fff4e5", "#8a4b00", "#f0c36d"),
            "info": ("#e8f0fe", "#174ea6", "#aecbfa"),
        }
        back, fore, border = colours[kind]
        self.setStyleSheet(
            f"#{kind}Banner {{ background: {back}; border: 1px solid {border};"
            f" border-radius: 4px; }} #{kind}Banner QLabel {{ color: {fore}; }}"
        )
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # warnings may quote peers
        self.label.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        if closable:
            close = QToolButton()
            close.setText("✕")
            close.setAutoRaise(True)
            close.setToolTip(self.tr("Dismiss"))
            close.clicked.connect(self.hide)
            layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_text(self, text: str) -> None:
        self.label.setText(text)
        self.show()


class MainWindow(QMainWindow):
    """Signals:
    following_changed(str, bool): someone was starred or unstarred (persist it).
    closed(): the window was closed while no tray icon exists to bring it back (quit then).
    """

    following_changed = Signal(str, bool)
    closed = Signal()

    def __init__(
        self,
        bridge: EngineBridge,
        people: PeopleModel,
        feed: FeedModel,
        *,
        open_office: bool = False,
        demo: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        # Qt adds " — Hallway" (the display name) to any other title.
        self.setWindowTitle(self.tr("Demo office") if demo else self.tr("Hallway"))
        self.setWindowIcon(app_icon())
        #: Whether closing should only hide (a tray icon can bring the window back).
        self.hide_on_close = False

        self.warning_banner = Banner("warning", closable=True)
        self.open_notice = Banner("info", closable=False)
        self.open_notice.show_text(
            self.tr(
                "This is an open office: everyone on this network can see it, "
                "including your name and status."
            )
        )
        self.open_notice.setVisible(open_office)

        self.people_tab = PeopleTab(people)
        self.feed_tab = FeedTab(bridge, feed)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.people_tab, self.tr("People"))
        self.tabs.addTab(self.feed_tab, self.tr("Feed"))
        self.people_tab.following_changed.connect(self.following_changed)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.open_notice)
        layout.addWidget(self.warning_banner)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.resize(980, 560)

        self._refresh = QTimer(self)
        self._refresh.setInterval(TIME_REFRESH_MS)
        self._refresh.setTimerType(Qt.TimerType.VeryCoarseTimer)
        self._refresh.timeout.connect(people.refresh_times)
        self._refresh.timeout.connect(self.feed_tab.list.viewport().update)

        bridge.warning.connect(self.on_warning)
        bridge.command_failed.connect(self.warning_banner.show_text)

    @Slot(object)
    def on_warning(self, event: NodeWarning) -> None:
        self.warning_banner.show_text(event.message)

    def bring_forward(self) -> None:
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    @Slot(object)
    def show_item(self, item_id: str | None) -> None:
        """Bring the window forward on the item (a feed item id or a peer id)."""
        self.bring_forward()
        if item_id and self.feed_tab.select_item(item_id):
            self.tabs.setCurrentWidget(self.feed_tab)
        elif item_id and self.people_tab.select_peer(item_id):
            self.tabs.setCurrentWidget(self.people_tab)
        else:
            self.tabs.setCurrentWidget(self.feed_tab)

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
