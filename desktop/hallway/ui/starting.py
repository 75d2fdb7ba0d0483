"""The tray app's first moments: its icon is up while the node starts off the GUI thread.

Starting a node imports the engine, ZeroMQ and zeroconf, opens the store and binds its sockets:
more than the rest of the app's start-up together. Done on the GUI thread, nothing showed for
that long. Here a thread starts it while the event loop runs, so the icon ("Hallway: starting…",
with Quit in its menu) is drawn at once and the app answers from its first moment. The session's
controller takes the same icon over, so it neither flickers nor moves in the panel.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from hallway.ui.icons import OFFLINE, presence_icon

T = TypeVar("T")


class Starting(QObject, Generic[T]):
    """Runs `start` on a thread while `app`'s event loop turns and the tray shows the icon.

    Signals:
        finished(): `start` returned or raised (emitted on its thread, queued to the GUI).
    """

    finished = Signal()

    def __init__(
        self, app: QCoreApplication, start: Callable[[], T], discard: Callable[[T], None]
    ) -> None:
        super().__init__()
        self._app = app
        self._start = start
        self._discard = discard
        self._result: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="hallway-start", daemon=True)
        self.icon = QSystemTrayIcon(presence_icon(OFFLINE))
        self.icon.setToolTip(self.tr("Hallway: starting…"))
        self._menu = QMenu()
        self._menu.setObjectName("startingMenu")
        self._menu.addAction(self.tr("Starting…")).setEnabled(False)
        self._menu.addSeparator()
        self._menu.addAction(self.tr("Quit"), self._quit)
        self.icon.setContextMenu(self._menu)
        self._waiting = False
        self._started = False  # `finished` reached the GUI thread while it waited
        self.finished.connect(self._finished)

    def run(self) -> T | None:
        """Start, showing the icon where there is a tray: the started value, or None when
        the person quit (the menu, SIGINT, SIGTERM) meanwhile; what had started by then is
        handed to `discard`. Re-raises what `start` raised."""
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.icon.show()
        self._thread.start()
        self._waiting = True
        self._app.exec()  # until `_finished`, or a quit
        self._waiting = False  # a `finished` still queued must not end the next loop
        self._thread.join()  # after a quit: let the start end, then undo it
        if self._started and self._result is not None:
            return self._result
        self.icon.hide()
        self._menu.deleteLater()
        if self._started and self._error is not None:
            raise self._error
        if self._result is not None:
            self._discard(self._result)
        return None

    def take_icon(self) -> QSystemTrayIcon:
        """The icon, for the session to keep (it sets its own menu); the starting menu goes."""
        self.icon.setContextMenu(None)  # type: ignore[arg-type]  # Qt accepts no menu
        self._menu.deleteLater()
        return self.icon

    def _run(self) -> None:
        try:
            self._result = self._start()
        except BaseException as exc:  # noqa: BLE001 -- handed to the GUI thread, raised there
            self._error = exc
        self.finished.emit()

    @Slot()
    def _finished(self) -> None:
        if self._waiting:
            self._started = True
            self._app.exit(0)

    @Slot()
    def _quit(self) -> None:
        self._app.exit(0)
