"""Acknowledgements: the author's "n/of acknowledged" follows acks live, the view lists who did
(with the time) and who is missing, and "Remind" asks the node to pop the post up again."""

from __future__ import annotations

from hallway_ui_fakes import ANN, BEN, CY
from test_ui_threads import click_button, row
from test_ui_threads import window as window  # noqa: PLC0414 (the fixture)

from hallway.ui.acks_view import AcksDialog
from hallway.ui.post_card import ACKS, ack_label


def test_the_authors_count_follows_acks_and_the_view_lists_who_is_missing(
    qtbot,
    window,
    node,
    bridge,
):
    tab = window.feed_tab
    assert bridge.post("Fire drill at 15:00. Please confirm you read this", ack=True)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1 and tab.model.item(0).acks is not None)
    post_id = tab.model.item(0).id
    assert ack_label(row(tab, post_id)) == "0/3 acknowledged"
    node.emit(node.receive_ack(post_id, ANN, "Ann"))
    qtbot.waitUntil(lambda: ack_label(row(tab, post_id)) == "1/3 acknowledged")

    click_button(qtbot, tab, post_id, ACKS)
    dialog = tab.acks_dialog
    assert isinstance(dialog, AcksDialog)
    assert dialog.count.text() == "1/3 acknowledged"
    assert dialog.acknowledged.count() == 1
    assert dialog.acknowledged.item(0).text().startswith("Ann — ")
    missing = [dialog.missing_list.item(i).text() for i in range(dialog.missing_list.count())]
    assert missing == ["ben", "Cy"]
    # Live: another ack while the view is open.
    node.emit(node.receive_ack(post_id, CY, "Cy"))
    qtbot.waitUntil(lambda: dialog.count.text() == "2/3 acknowledged")
    assert dialog.missing_list.count() == 1
    assert dialog.remind_button.text() == "Remind 1"
    dialog.remind_button.click()
    assert node.reminded == [post_id]
    assert dialog.note.text().startswith("Reminded 1 at ")
    node.emit(node.receive_ack(post_id, BEN, "ben"))
    qtbot.waitUntil(lambda: dialog.count.text() == "3/3 acknowledged")
    assert not dialog.remind_button.isEnabled()
    dialog.close()
    qtbot.waitUntil(lambda: tab.acks_dialog is None)


def test_acknowledging_in_the_thread(qtbot, window, node):
    tab = window.feed_tab
    post = node.receive_post(ANN, "Ann", "New VPN from Monday: read the wiki", ack=True)
    node.emit(post)
    qtbot.waitUntil(lambda: tab.model.row_of(post.post.id) >= 0)
    assert tab.open_thread(post.post.id)
    card = tab.thread_panel.cards[post.post.id]
    assert card.ack_button.text() == "Acknowledge"
    card.ack_button.click()
    qtbot.waitUntil(lambda: row(tab, post.post.id).acked)
    qtbot.waitUntil(lambda: card.ack_button.text() == "✓ Acknowledged")
    assert not card.ack_button.isEnabled()
    assert node.attention().unacked == ()


def test_a_refused_ack_shows_the_reason(qtbot, window, node, bridge):
    post = node.receive_post(ANN, "Ann", "Not asking", ack=False)
    node.emit(post)
    with qtbot.waitSignal(bridge.command_failed) as failed:
        assert not bridge.ack(post.post.id)
    assert "does not ask" in failed.args[0]
    qtbot.waitUntil(window.warning_banner.isVisible)
