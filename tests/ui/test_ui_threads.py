"""Threads in the Feed: the collapsed count, the thread beside the feed, replying, answers,
edits, deletes and the open-questions filter, against the fake engine's real behaviour."""

from __future__ import annotations

import pytest
from hallway_ui_fakes import ANN, BEN, CY, OWN
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from hallway.ui.feed_tab import OPEN_QUESTIONS
from hallway.ui.main_window import MainWindow
from hallway.ui.models import FeedModel, PeopleModel
from hallway.ui.post_card import ACK, THREAD, thread_label


@pytest.fixture
def window(qtbot, bridge):
    feed = FeedModel()
    bridge.post_received.connect(feed.on_post_received)  # as the app wires it
    window = MainWindow(bridge, PeopleModel(), feed)
    qtbot.addWidget(window)
    window.resize(1000, 600)
    window.show()
    qtbot.waitExposed(window)
    window.tabs.setCurrentWidget(window.feed_tab)
    return window


def click_button(qtbot, tab, item_id: str, key: str) -> None:
    """Click the painted button `key` of the post's row, as a person would."""
    row = tab.shown.row_of(item_id)
    assert row >= 0
    index = tab.shown.index(row, 0)
    tab.list.scrollTo(index)
    rect = tab.list.visualRect(index)
    [button] = [b for b in tab.delegate.buttons(tab.shown.item(row), rect, tab.list.font())
                if b.key == key]  # fmt: skip
    qtbot.mouseClick(tab.list.viewport(), Qt.MouseButton.LeftButton, pos=button.rect.center())


def row(tab, item_id: str):
    return tab.model.item(tab.model.row_of(item_id))


def test_a_thread_collapses_to_a_count_and_opens_with_one_click(qtbot, window, node):
    tab = window.feed_tab
    post = node.receive_post(ANN, "Ann", "Who has the projector remote?")
    node.emit(post)
    qtbot.waitUntil(lambda: tab.model.row_of(post.post.id) >= 0)
    assert thread_label(row(tab, post.post.id)) == "Reply"
    node.emit(node.receive_reply(post.post.id, CY, "Cy", "Top drawer"),
              node.receive_reply(post.post.id, BEN, "Ben", "Or by the TV"))  # fmt: skip
    qtbot.waitUntil(lambda: row(tab, post.post.id).replies == 2)
    assert thread_label(row(tab, post.post.id)) == "2 replies · latest Ben"

    click_button(qtbot, tab, post.post.id, THREAD)
    panel = tab.thread_panel
    assert panel.isVisible()
    assert panel.post_id == post.post.id
    texts = [panel.cards[i].text.text() for i in panel.cards]
    assert texts == ["Who has the projector remote?", "Top drawer", "Or by the TV"]
    assert panel.count.text() == "2 replies"

    # Replying: Ctrl+Enter in the thread's box; the reply shows in the thread and the count.
    qtbot.keyClicks(panel.editor, "Found it, thanks")
    qtbot.keyClick(panel.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert node.calls[-1] == ("reply", (post.post.id, "Found it, thanks"), {})
    assert panel.editor.toPlainText() == ""
    qtbot.waitUntil(lambda: len(panel.cards) == 4)
    qtbot.waitUntil(lambda: row(tab, post.post.id).replies == 3)
    assert thread_label(row(tab, post.post.id)) == "3 replies · latest Me"
    # Esc closes the thread.
    qtbot.keyClick(panel, Qt.Key.Key_Escape)
    assert not panel.isVisible()


def test_peers_words_in_a_thread_are_plain_text(qtbot, window, node):
    tab = window.feed_tab
    post = node.receive_post(ANN, "<i>Ann</i>", "<b>bold?</b>")
    node.emit(post, node.receive_reply(post.post.id, CY, "Cy", "<img src=x> & <a href=y>z</a>"))
    qtbot.waitUntil(lambda: tab.model.row_of(post.post.id) >= 0)
    assert tab.open_thread(post.post.id)
    for card in tab.thread_panel.cards.values():
        assert card.text.textFormat() == Qt.TextFormat.PlainText
        assert card.name.textFormat() == Qt.TextFormat.PlainText
    names = {card.name.text() for card in tab.thread_panel.cards.values()}
    assert names == {"<i>Ann</i>", "Cy"}


def test_the_questions_author_marks_and_changes_the_answer(qtbot, window, node, bridge):
    tab = window.feed_tab
    assert bridge.post("How do I reset the badge printer?", question=True)
    [(_, _, kwargs)] = [c for c in node.calls if c[0] == "post"]
    assert kwargs == {"urgent": False, "question": True}
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1)
    question = tab.model.item(0)
    assert question.question
    assert question.own
    first = node.receive_reply(question.id, ANN, "Ann", "Hold the power button")
    second = node.receive_reply(question.id, CY, "Cy", "Unplug it for ten seconds")
    node.emit(first, second)
    assert tab.open_thread(question.id)
    panel = tab.thread_panel
    card = panel.cards[second.reply.id]
    assert card.answer_button.isVisibleTo(panel)
    assert not panel.cards[question.id].edit_button.isHidden()  # own post: editable
    assert card.edit_button.isHidden()  # Cy's reply is not ours

    card.answer_button.click()
    assert node.calls[-1] == ("answer", (second.reply.id,), {})
    qtbot.waitUntil(lambda: row(tab, question.id).answer == second.reply.id)
    qtbot.waitUntil(lambda: panel.view is not None and panel.view.post.answer == second.reply.id)
    order = [panel.cards_layout.itemAt(i).widget() for i in range(3)]
    assert [c.item.id for c in order] == [question.id, second.reply.id, first.reply.id]
    assert panel.cards[second.reply.id].badge.text() == "✓ Answer"
    assert panel.cards[question.id].badge.text() == "Answered"
    assert panel.cards[second.reply.id].answer_button.isHidden()

    panel.cards[first.reply.id].answer_button.click()  # changed its mind
    qtbot.waitUntil(lambda: row(tab, question.id).answer == first.reply.id)
    qtbot.waitUntil(lambda: panel.cards[first.reply.id].badge.text() == "✓ Answer")
    assert panel.cards[second.reply.id].badge.isHidden()


def test_answering_someone_elses_question_is_not_offered(qtbot, window, node):
    tab = window.feed_tab
    post = node.receive_post(ANN, "Ann", "Where is the spare key?", question=True)
    reply = node.receive_reply(post.post.id, CY, "Cy", "Reception")
    node.emit(post, reply)
    qtbot.waitUntil(lambda: tab.model.row_of(post.post.id) >= 0)
    assert tab.open_thread(reply.reply.id, highlight=reply.reply.id)
    card = tab.thread_panel.cards[reply.reply.id]
    assert card.answer_button.isHidden()
    assert card.property("highlighted") is True


def test_own_replies_edit_in_place_and_delete_after_confirming(qtbot, window, node, bridge):
    tab = window.feed_tab
    post = node.receive_post(ANN, "Ann", "Lunch at noon?")
    node.emit(post)
    qtbot.waitUntil(lambda: tab.model.row_of(post.post.id) >= 0)
    assert tab.open_thread(post.post.id)
    panel = tab.thread_panel
    panel.editor.setPlainText("Yes please")
    assert panel.send_reply()
    qtbot.waitUntil(lambda: len(panel.cards) == 2)
    [mine] = [c for c in panel.cards.values() if c.item.type == "reply"]
    assert not mine.edit_button.isHidden()

    mine.edit_button.click()
    assert mine.editor.isVisibleTo(panel)
    assert mine.editor.toPlainText() == "Yes please"
    mine.editor.setPlainText("Yes, at 12:30")
    mine.edit_row.findChild(type(mine.edit_button), "save").click()
    qtbot.waitUntil(lambda: mine.text.text() == "Yes, at 12:30")
    assert not mine.editing()
    assert mine.when.text().startswith("edited · ")

    mine.delete_button.click()
    assert mine.confirm_row.isVisibleTo(panel)
    assert node.names_called().count("delete") == 0  # not before confirming
    mine.confirm_button.click()
    qtbot.waitUntil(lambda: len(panel.cards) == 1)
    qtbot.waitUntil(lambda: row(tab, post.post.id).replies == 0)
    assert "Yes, at 12:30" not in [c.item.text for c in panel.cards.values()]


def test_edits_and_deletes_from_others_show_live(qtbot, window, node):
    tab = window.feed_tab
    post = node.receive_post(ANN, "Ann", "Cake in the kitchen")
    node.emit(post)
    qtbot.waitUntil(lambda: tab.model.row_of(post.post.id) >= 0)
    assert tab.open_thread(post.post.id)
    node.emit(node.receive_edit(post.post.id, "Cake in the kitchen, second floor"))
    qtbot.waitUntil(lambda: row(tab, post.post.id).edited)
    assert row(tab, post.post.id).text == "Cake in the kitchen, second floor"
    qtbot.waitUntil(lambda: tab.thread_panel.cards[post.post.id].when.text().startswith("edited"))
    node.emit(node.receive_delete(post.post.id))
    qtbot.waitUntil(lambda: tab.model.row_of(post.post.id) < 0)
    assert not tab.thread_panel.isVisible()


def test_own_post_edit_and_delete_from_the_feed_menu(qtbot, window, node, bridge):
    tab = window.feed_tab
    assert bridge.post("Standup moved to 10")
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1)
    item = tab.model.item(0)
    menu = tab.menu_for(item)
    names = [a.objectName() for a in menu.actions() if a.objectName()]
    assert names == ["open-thread", "edit", "delete"]
    [delete] = [a for a in menu.actions() if a.objectName() == "delete"]
    delete.trigger()
    menu.deleteLater()
    card = tab.thread_panel.cards[item.id]
    assert card.confirm_row.isVisibleTo(tab.thread_panel)
    card.confirm_button.click()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 0)
    assert not tab.thread_panel.isVisible()


def test_open_questions_filter(qtbot, window, node, bridge):
    tab = window.feed_tab
    asked = node.receive_post(ANN, "Ann", "Who knows the wifi password?", question=True)
    plain = node.receive_post(BEN, "Ben", "Cake!")
    node.emit(asked, plain)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 2)
    tab.filter.setCurrentIndex(OPEN_QUESTIONS)
    assert tab.list.model() is tab.questions
    assert [tab.questions.item(r).id for r in range(tab.questions.rowCount())] == [asked.post.id]
    # A new question shows at once; answering one takes it off the list.
    later = node.receive_post(CY, "Cy", "Is the lift working?", question=True)
    node.emit(later)
    qtbot.waitUntil(lambda: tab.questions.rowCount() == 2)
    reply = node.receive_reply(asked.post.id, CY, "Cy", "On the fridge")
    node.emit(reply, node.receive_answer(reply.reply.id))
    qtbot.waitUntil(lambda: tab.questions.rowCount() == 1)
    assert not tab.empty.isVisible()
    tab.filter.setCurrentIndex(0)
    assert tab.list.model() is tab.model
    assert row(tab, asked.post.id).answer == reply.reply.id


def test_a_refused_reply_says_why(qtbot, window, node):
    tab = window.feed_tab
    post = node.receive_post(ANN, "Ann", "Hello")
    node.emit(post)
    qtbot.waitUntil(lambda: tab.model.row_of(post.post.id) >= 0)
    assert tab.open_thread(post.post.id)
    node.fail_with = "the node is stopping"
    tab.thread_panel.editor.setPlainText("hi")
    assert not tab.thread_panel.send_reply()
    assert tab.thread_panel.message.text() == "the node is stopping"
    assert tab.thread_panel.editor.toPlainText() == "hi"
    QApplication.processEvents()


def test_ack_button_on_someone_elses_post(qtbot, window, node):
    tab = window.feed_tab
    post = node.receive_post(ANN, "Ann", "Fire drill at 15:00", ack=True)
    node.emit(post)
    qtbot.waitUntil(lambda: tab.model.row_of(post.post.id) >= 0)
    click_button(qtbot, tab, post.post.id, ACK)
    assert ("ack", (post.post.id,), {}) in node.calls
    qtbot.waitUntil(lambda: row(tab, post.post.id).acked)
    click_button(qtbot, tab, post.post.id, ACK)  # "✓ Acknowledged": nothing more to do
    assert node.names_called().count("ack") == 1
    assert OWN in node._acked[post.post.id]
