"""The search box: Ctrl+F, ranked results painted as plain text, and each result opening in its
context (a reply highlighted in its thread, an event on the Events tab)."""

from __future__ import annotations

import time

from hallway_ui_fakes import ANN, CY
from PySide6.QtCore import Qt
from test_ui_threads import window as window  # noqa: PLC0414 (the fixture)

from hallway.core.meetups import EventSpec
from hallway.ui.search_box import snippet_pieces


def test_snippet_pieces_drop_the_marks():
    assert snippet_pieces("reset the «badge» «print»er") == [
        ("reset the ", False), ("badge", True), (" ", False), ("print", True), ("er", False),
    ]  # fmt: skip
    assert snippet_pieces("no «close") == [("no «close", False)]


def test_ctrl_f_and_a_reply_opens_highlighted_in_its_thread(qtbot, window, node):
    post = node.receive_post(ANN, "Ann", "Who can fix the printer?", question=True)
    reply = node.receive_reply(post.post.id, CY, "Cy", "The badge printer resets with a pin")
    node.emit(post, reply)
    tab = window.feed_tab
    qtbot.waitUntil(lambda: tab.model.row_of(post.post.id) >= 0)
    window.tabs.setCurrentWidget(window.people_tab)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    field = window.search.field
    qtbot.waitUntil(field.hasFocus)
    qtbot.keyClicks(field, "badg")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    results = window.search
    assert results.isVisible()
    [hit] = results.hits()
    assert (hit.kind, hit.id, hit.thread) == ("reply", reply.reply.id, post.post.id)
    assert results.title.text() == "1 result for “badg”"
    assert results.list.hasFocus()
    qtbot.keyClick(results.list, Qt.Key.Key_Return)
    assert window.tabs.currentWidget() is tab
    panel = tab.thread_panel
    assert panel.isVisible()
    assert panel.post_id == post.post.id
    assert panel.cards[reply.reply.id].property("highlighted") is True
    assert not results.isVisible()


def test_ranked_results_and_an_event_opens_on_its_tab(qtbot, window, node):
    view = node.add_event(ANN, "Ann", EventSpec(title="Printer training", start=time.time() + 3600))
    window.events_tab.model.reset([view])
    node.emit(node.receive_post(CY, "Cy", "printer printer jammed"))
    field = window.search.field
    field.setText("printer")
    assert window.search.search()
    kinds = [h.kind for h in window.search.hits()]
    assert kinds == ["post", "event"]  # two matches rank above one
    window.search.list.setCurrentRow(1)
    window.search.list.itemActivated.emit(window.search.list.item(1))
    assert window.tabs.currentWidget() is window.events_tab
    assert window.events_tab.list.currentIndex().row() == 0


def test_nothing_found_and_no_words(qtbot, window, node):
    results = window.search
    results.field.setText("zebra")
    assert not results.search()
    assert results.title.text() == "Nothing found for “zebra”"
    assert results.isVisible()
    assert results.list.isHidden()
    results.field.setText("!!!")
    assert not results.search()
    assert "at least one word" in results.title.text()
    assert not window.warning_banner.isVisible()  # a search's own problem, not the window's
    qtbot.keyClick(results.field, Qt.Key.Key_Escape)
    assert not results.isVisible()
