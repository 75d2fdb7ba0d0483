"""The real tray app (`hallway --home HOME`), with a window onto its widgets for the test.

Run as `python app_probe.py SOCKET --home HOME`: the app starts as `python -m hallway` does,
and once its QApplication exists a QLocalServer listens on the socket path SOCKET. Each
connection sends one line and gets one JSON line back: where Qt holds the keyboard focus, and
what the main window shows now (the
Feed's rows as the delegate paints them, with their painted buttons' screen positions; the
thread beside them; the acknowledgements dialog). Nothing here changes what the app does: the
test still drives it with X input (xdotool) and dunst, and reads the painted state from here
rather than guessing it from pixels.

The server runs on the GUI thread, so it reads the widgets between two of the app's events.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from PySide6.QtCore import QObject, QRect, Slot  # noqa: TID251 -- inside the app's process
from PySide6.QtGui import QGuiApplication  # noqa: TID251
from PySide6.QtNetwork import QLocalServer, QLocalSocket  # noqa: TID251
from PySide6.QtWidgets import QAbstractButton, QApplication, QListWidget, QWidget  # noqa: TID251

import hallway.ui.app as ui_app
from hallway.cli.main import main
from hallway.engine.events import FeedItem
from hallway.ui.acks_view import AcksDialog
from hallway.ui.feed_delegate import FeedDelegate
from hallway.ui.main_window import MainWindow
from hallway.ui.models import ITEM_ROLE
from hallway.ui.post_card import ack_label, badge_text, thread_label


def _rect(widget: QWidget, rect: QRect | None = None) -> list[int]:
    """`rect` (the whole widget by default) in screen coordinates: x, y, width, height."""
    area = widget.rect() if rect is None else rect
    corner = widget.mapToGlobal(area.topLeft())
    return [corner.x(), corner.y(), area.width(), area.height()]


def _button(button: QAbstractButton) -> dict[str, Any]:
    return {
        "text": button.text(),
        "visible": button.isVisible(),
        "enabled": button.isEnabled(),
        "checked": button.isChecked(),
        "rect": _rect(button),
    }


def _feed(window: MainWindow) -> list[dict[str, Any]]:
    tab = window.feed_tab
    view, model = tab.list, tab.shown
    viewport = view.viewport()
    rows = []
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        item = index.data(ITEM_ROLE)
        if not isinstance(item, FeedItem):
            continue
        rect = view.visualRect(index)
        post = item.type == "post"
        # The very geometry the delegate paints and hit-tests with.
        buttons = FeedDelegate.buttons(item, rect, view.font()) if post else []
        rows.append({
            "id": item.id,
            "type": item.type,
            "text": item.text,
            "shown": viewport.rect().intersects(rect),
            "badge": badge_text(item) if post else "",
            "thread_label": thread_label(item) if post else "",
            "ack_label": ack_label(item) if post else "",
            "acks": list(item.acks) if item.acks is not None else None,
            "acked": item.acked,
            "answer": item.answer,
            "rect": _rect(viewport, rect),
            "buttons": [
                {"key": b.key, "label": b.label, "rect": _rect(viewport, b.rect)} for b in buttons
            ],
        })  # fmt: skip
    return rows


def _thread(window: MainWindow) -> dict[str, Any]:
    panel = window.feed_tab.thread_panel
    cards = []
    layout = panel.cards_layout
    for i in range(layout.count()):
        card = layout.itemAt(i).widget()
        if card is None or card not in panel.cards.values():
            continue
        cards.append({
            "id": card.item.id,
            "text": card.text.text(),
            "badge": card.badge.text() if card.badge.isVisible() else "",
            "chosen": bool(card.property("chosen")),
            "rect": _rect(card),
            "buttons": {
                name: _button(button)
                for name, button in (("markAnswer", card.answer_button), ("ack", card.ack_button))
            },
        })  # fmt: skip
    return {
        "visible": panel.isVisible(),
        "post": panel.post_id,
        "count": panel.count.text(),
        "rect": _rect(panel),
        #: What of the cards shows: the rest is scrolled away.
        "viewport": _rect(panel.scroller.viewport()),
        "cards": cards,
        "editor": _rect(panel.editor),
        "reply": _button(panel.reply_button),
    }


def _acks(window: MainWindow) -> dict[str, Any] | None:
    dialog = window.feed_tab.acks_dialog
    if not isinstance(dialog, AcksDialog) or not dialog.isVisible():
        return None

    def entries(names: QListWidget) -> list[str]:
        return [names.item(i).text() for i in range(names.count())]

    return {
        "title": dialog.windowTitle(),
        "count": dialog.count.text(),
        "acknowledged": entries(dialog.acknowledged),
        "missing": entries(dialog.missing_list),
        "remind": _button(dialog.remind_button),
        "rect": _rect(dialog),
    }


def snapshot() -> dict[str, Any]:
    focused = QGuiApplication.focusWindow()
    # The window Qt holds the keyboard focus in (None once it has taken the app's focus-out).
    focus = None if focused is None else focused.objectName() or focused.title()
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    if not windows:
        return {"focus": focus, "window": False}
    window = windows[0]
    compose = window.feed_tab.compose
    boxes = (("urgent", compose.urgent), ("question", compose.question), ("ack", compose.ack),
             ("send", compose.send_button))  # fmt: skip
    return {
        "focus": focus,
        "window": window.isVisible(),
        "tab": window.tabs.tabText(window.tabs.currentIndex()),
        "compose": {
            "editor": _rect(compose.editor),
            "text": compose.text(),
            **{name: _button(box) for name, box in boxes},
            "message": compose.message.text() if compose.message.isVisible() else "",
        },
        "warning": window.warning_banner.label.text() if window.warning_banner.isVisible() else "",
        "feed": _feed(window),
        "thread": _thread(window),
        "acks": _acks(window),
    }


class Probe(QObject):
    def __init__(self, path: str, parent: QObject) -> None:
        super().__init__(parent)
        self.server = QLocalServer(self)
        QLocalServer.removeServer(path)
        if not self.server.listen(path):
            raise SystemExit(f"app_probe: cannot listen on {path}: {self.server.errorString()}")
        self.server.newConnection.connect(self._connected)

    @Slot()
    def _connected(self) -> None:
        while (socket := self.server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._answer(s))
            socket.disconnected.connect(socket.deleteLater)
            if socket.canReadLine():
                self._answer(socket)

    def _answer(self, socket: QLocalSocket) -> None:
        if not socket.canReadLine():
            return
        socket.readLine()  # one request: "state"
        try:
            reply = json.dumps(snapshot())
        except Exception as error:  # noqa: BLE001 -- the test fails with it, the app goes on
            reply = json.dumps({"error": repr(error)})
        socket.write((reply + "\n").encode())
        socket.flush()
        socket.disconnectFromServer()


def _install(path: str) -> None:
    original = ui_app.application
    probes: list[Probe] = []

    def application() -> QApplication:
        app = original()
        if not probes:
            probes.append(Probe(path, app))
        return app

    ui_app.application = application  # type: ignore[assignment]


if __name__ == "__main__":
    _install(sys.argv[1])
    sys.argv[0:2] = ["hallway"]
    sys.exit(main())
