"""The item models follow engine events emitted on another thread."""

from __future__ import annotations

import time

from hallway_ui_fakes import (
    ANN,
    BEN,
    CY,
    OWN,
    offline_event,
    online_event,
    post_event,
    status_event,
)
from PySide6.QtCore import Qt

from hallway.core.model import Presence
from hallway.engine.events import StatusExpired
from hallway.ui.models import (
    FOLLOWED_ROLE,
    ITEM_ID_ROLE,
    PEER_ID_ROLE,
    PEER_ROLE,
    URGENT_ROLE,
    FeedModel,
    PeopleFilter,
    PeopleModel,
)

DAVE = "e" * 32


def wired_people(bridge):
    model = PeopleModel()
    bridge.peer_online.connect(model.on_peer_online)
    bridge.peer_offline.connect(model.on_peer_offline)
    bridge.peer_renamed.connect(model.on_peer_renamed)
    bridge.status_changed.connect(model.on_status_changed)
    bridge.status_expired.connect(model.on_status_expired)
    model.reset(bridge.peers())
    return model


def ids(model):
    return [model.index(row, 0).data(PEER_ID_ROLE) for row in range(model.rowCount())]


def seen(model, peer_id):
    """The peer as the People list reads it from its row."""
    return model.index(model.row_of(peer_id), 0).data(PEER_ROLE)


def test_people_order_own_first_then_online_then_by_name(bridge):
    model = wired_people(bridge)
    # Me (own), then online Ann and Cy by name, then offline ben.
    assert ids(model) == [OWN, ANN, CY, BEN]


def test_people_follow_events_from_another_thread(qtbot, bridge, node):
    model = wired_people(bridge)
    node.emit(online_event(DAVE, "dave"), status_event(ANN, "Ann", Presence.BUSY, "Call"))
    qtbot.waitUntil(lambda: model.row_of(DAVE) >= 0 and seen(model, ANN).status.text == "Call")
    assert seen(model, ANN).status.text == "Call"
    assert seen(model, ANN).presence == Presence.BUSY
    assert ids(model) == [OWN, ANN, CY, DAVE, BEN]

    node.emit(offline_event(ANN, "Ann"), online_event(BEN, "ben"))
    qtbot.waitUntil(lambda: ids(model) == [OWN, BEN, CY, DAVE, ANN])
    assert not seen(model, ANN).online


def test_status_expiry_clears_text(qtbot, bridge, node):
    model = wired_people(bridge)
    until = time.time() + 60
    node.emit(status_event(CY, "Cy", Presence.AWAY, "Lunch", until=until))
    qtbot.waitUntil(lambda: seen(model, CY).status.text == "Lunch")
    assert seen(model, CY).status.until == until
    node.emit(StatusExpired(at=time.time(), peer=CY, name="Cy"))
    qtbot.waitUntil(lambda: seen(model, CY).status.text == "")
    assert seen(model, CY).status.until is None
    assert seen(model, CY).presence == Presence.AVAILABLE


def test_older_status_does_not_overwrite_newer(qtbot, bridge, node):
    model = wired_people(bridge)
    now = time.time()
    with qtbot.waitSignal(bridge.status_changed):
        node.emit(status_event(ANN, "Ann", Presence.BUSY, "new", at=now))
    with qtbot.waitSignal(bridge.status_changed):
        node.emit(status_event(ANN, "Ann", Presence.AWAY, "old", at=now - 10))
    assert seen(model, ANN).status.text == "new"


def test_filter_narrows_by_name_or_text(qtbot, bridge, node):
    model = wired_people(bridge)
    proxy = PeopleFilter(model)
    proxy.set_filter_text("ANN")
    assert proxy.rowCount() == 1
    node.emit(status_event(CY, "Cy", Presence.BUSY, "Annual report"))
    qtbot.waitUntil(lambda: proxy.rowCount() == 2)
    proxy.set_filter_text("")
    assert proxy.rowCount() == 4


def test_star_shows_followed(bridge):
    model = wired_people(bridge)
    model.set_followed([ANN])
    starred = {pid: model.index(model.row_of(pid), 0).data(FOLLOWED_ROLE) for pid in (ANN, CY)}
    assert starred == {ANN: True, CY: False}


def test_feed_newest_first_live_and_deduplicated(qtbot, bridge, node):
    feed = FeedModel()
    bridge.post_received.connect(feed.on_post_received)
    bridge.status_changed.connect(feed.on_status_changed)
    now = time.time()
    node.emit(
        post_event(ANN, "Ann", "older", at=now - 30, seq=1),
        post_event(CY, "Cy", "Fire drill at 3", urgent=True, at=now, seq=2),
        status_event(BEN, "ben", Presence.AWAY, "Lunch", at=now - 10),
        post_event(ANN, "Ann", "older", at=now - 30, seq=1),  # a duplicate
    )
    qtbot.waitUntil(lambda: feed.rowCount() == 3)
    texts = [feed.index(row, 0).data() for row in range(3)]
    assert texts == ["Fire drill at 3", "Lunch", "older"]
    assert feed.index(0, 0).data(URGENT_ROLE) is True
    assert feed.index(2, 0).data(URGENT_ROLE) is False
    assert feed.row_of(feed.index(0, 0).data(ITEM_ID_ROLE)) == 0


def test_feed_snapshot_then_live(qtbot, bridge, node):
    feed = FeedModel(limit=3)
    bridge.post_received.connect(feed.on_post_received)
    feed.reset([])
    for seq in range(5):
        node.emit(post_event(ANN, "Ann", f"post {seq}", seq=seq, at=1000.0 + seq))
    qtbot.waitUntil(lambda: feed.index(0, 0).data() == "post 4")
    assert feed.rowCount() == 3
    assert feed.index(2, 0).data(Qt.ItemDataRole.DisplayRole) == "post 2"


def test_feed_rows_follow_threads_answers_acks_edits_and_deletes(qtbot):
    from hallway_ui_fakes import ANN, CY, FakeNode

    node = FakeNode()
    feed = FeedModel()
    event = node.receive_post(ANN, "Ann", "Which room?", question=True, ack=True)
    feed.on_post_received(event)
    post_id = event.post.id
    first = feed.item(0)
    assert (first.question, first.ack, first.replies, first.answer) == (True, True, 0, None)
    reply = node.receive_reply(post_id, CY, "Cy", "Room 2")
    feed.on_reply_received(reply)
    feed.on_reply_received(reply)  # a repeat is not counted twice
    assert (feed.item(0).replies, feed.item(0).last_reply_name) == (1, "Cy")
    feed.on_answer_chosen(node.receive_answer(reply.reply.id))
    assert feed.item(0).answer == reply.reply.id
    feed.on_ack_received(node.receive_ack(post_id, "a" * 32, "Me"))
    assert feed.item(0).acked
    feed.on_item_edited(node.receive_edit(post_id, "Which room, again?"))
    assert (feed.item(0).text, feed.item(0).edited) == ("Which room, again?", True)
    feed.on_item_deleted(node.receive_delete(reply.reply.id))
    assert feed.item(0).replies == 0
    feed.on_item_deleted(node.receive_delete(post_id))
    assert feed.rowCount() == 0


def test_open_questions_model_keeps_only_open_ones(qtbot):
    from hallway_ui_fakes import ANN, CY, FakeNode

    node = FakeNode()
    questions = FeedModel(open_questions=True)
    asked = node.receive_post(ANN, "Ann", "Anyone?", question=True)
    questions.on_post_received(node.receive_post(ANN, "Ann", "Not a question"))
    questions.on_post_received(asked)
    assert questions.rowCount() == 1
    reply = node.receive_reply(asked.post.id, CY, "Cy", "Me")
    questions.on_answer_chosen(node.receive_answer(reply.reply.id))
    assert questions.rowCount() == 0
