"""Peers' words show literally: a status of `<b>hi</b><img src=x>` is not rendered as HTML."""

from __future__ import annotations

import time

from hallway_ui_fakes import ANN, post_event, status_event
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QTextDocument

from hallway.core.model import Presence
from hallway.ui.main_window import MainWindow
from hallway.ui.models import PEER_ROLE, FeedModel, PeopleModel
from hallway.ui.text import plain_tooltip

RICH = "<b>hi</b><img src=x>"


def test_rich_text_shows_literally_everywhere(qtbot, bridge, node):
    people, feed = PeopleModel(), FeedModel()
    bridge.status_changed.connect(people.on_status_changed)
    bridge.post_received.connect(feed.on_post_received)
    people.reset(bridge.peers())
    window = MainWindow(bridge, people, feed)
    qtbot.addWidget(window)
    node.emit(
        status_event(ANN, RICH, Presence.BUSY, RICH, at=time.time()),
        post_event(ANN, RICH, RICH),
    )
    qtbot.waitUntil(lambda: feed.rowCount() == 1)
    row = people.row_of(ANN)
    assert people.index(row, 0).data(Qt.ItemDataRole.DisplayRole) == RICH
    assert people.index(row, 0).data(PEER_ROLE).status.text == RICH
    assert feed.index(0, 0).data(Qt.ItemDataRole.DisplayRole) == RICH

    window.show()
    assert window.people_tab.select_peer(ANN)
    details = window.people_tab.details
    assert details.name.textFormat() == Qt.TextFormat.PlainText
    assert details.name.text() == RICH
    assert details.status.textFormat() == Qt.TextFormat.PlainText
    assert details.status.text() == f"Busy — {RICH}"

    # Tooltips are rich text in Qt; ours escape the words so they render as written.
    ann = people.peer(ANN)
    tooltip = window.people_tab.delegate.tooltip(ann, False, QRect(0, 0, 600, 60), QPoint(300, 30))
    document = QTextDocument()
    document.setHtml(tooltip)
    assert document.toPlainText().splitlines() == [RICH, f"Busy — {RICH}"]


def test_warning_banner_is_plain(qtbot, bridge, node):
    window = MainWindow(bridge, PeopleModel(), FeedModel())
    qtbot.addWidget(window)
    from hallway.engine.events import NodeWarning

    node.emit(NodeWarning(at=time.time(), message=RICH, peer=ANN))
    qtbot.waitUntil(lambda: window.warning_banner.label.text() == RICH)
    assert window.warning_banner.label.textFormat() == Qt.TextFormat.PlainText


def test_plain_tooltip_escapes():
    document = QTextDocument()
    document.setHtml(plain_tooltip("a < b & <i>c</i>\nnext"))
    assert document.toPlainText() == "a < b & <i>c</i>\nnext"
