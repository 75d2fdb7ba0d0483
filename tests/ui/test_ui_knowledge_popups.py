"""Knowledge sharing's pop-ups: replies in our threads, our reply chosen as the answer, posts
asking to be acknowledged (with an Acknowledge action, again on the author's "Remind"), held by
DND, the pause and quiet hours like the rest and counted in the digest. Fake clock and engine."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from hallway_ui_fakes import ANN, BEN, CY, OWN, FakeNode, RecordingNotifier, status_event
from PySide6.QtCore import QPoint
from screenshot_helper import THEMES, save_screenshot, themed

from hallway.core.model import Presence
from hallway.core.quiet import QuietHours
from hallway.engine.events import AckNudged, PostReceived
from hallway.ui.knowledge_popups import ACK_KEY, thread_item, thread_of
from hallway.ui.models import PeopleModel
from hallway.ui.notifications import NotificationCenter
from hallway.ui.notify_policy import Held, Kind, NotifyPolicy, NotifyPrefs
from hallway.ui.tray import TrayController

FIRE_DRILL = "Fire drill at 15:00. Please confirm you read this"


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC).timestamp()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make(clock: Clock, **prefs) -> NotifyPolicy:
    return NotifyPolicy(NotifyPrefs(**prefs), clock=clock, window=10.0,
                        local=lambda when: dt.datetime.fromtimestamp(when, dt.UTC))  # fmt: skip


def nudge(asked: PostReceived) -> AckNudged:
    """The author's "Remind", as it reaches us."""
    return AckNudged(at=asked.at + 60, name=asked.name, post=asked.post)


# -- the policy ------------------------------------------------------------------------------


def test_a_reply_pops_up_for_the_threads_author_and_those_who_replied(clock):
    node, policy = FakeNode(), make(clock)
    ours = node.hold_post(OWN, "Me", "Who knows the badge printer?", question=True)
    [popup] = policy.on_event(node.receive_reply(ours.id, ANN, "Ann", "Turn it off and on"))
    assert popup.kind is Kind.REPLY
    reply = node.thread(ours.id).replies[0]
    assert popup.item_id == thread_item(ours.id, reply.id)
    assert thread_of(popup.item_id) == (ours.id, reply.id)
    # Ben's post: we hear of replies only after we replied in its thread ourselves.
    bens = node.hold_post(BEN, "Ben", "Lunch at noon")
    clock.now += 60
    assert policy.on_event(node.receive_reply(bens.id, CY, "Cy", "I'm in")) == []
    assert policy.on_event(node.receive_reply(bens.id, OWN, "Me", "Me too")) == []  # own
    [later] = policy.on_event(node.receive_reply(bens.id, ANN, "Ann", "Count me in"))
    assert (later.kind, later.items[0].text) == (Kind.REPLY, "Count me in")


def test_history_replies_do_not_pop_up(clock):
    node, policy = FakeNode(), make(clock)
    ours = node.hold_post(OWN, "Me", "Cake?")
    event = node.receive_reply(ours.id, ANN, "Ann", "Yes")
    old = type(event)(at=event.at, name=event.name, reply=event.reply,
                      thread_author=OWN, involved=True, live=False)  # fmt: skip
    assert policy.on_event(old) == []


def test_our_reply_chosen_as_the_answer_pops_up(clock):
    node, policy = FakeNode(), make(clock)
    question = node.hold_post(ANN, "Ann", "Where is the spare key?", question=True)
    mine = node.hold_post(OWN, "Me", "Top drawer", reply_to=question.id)
    [popup] = policy.on_event(node.receive_answer(mine.id))
    assert popup.kind is Kind.ANSWER
    assert popup.item_id == thread_item(question.id, mine.id)
    bens = node.hold_post(BEN, "Ben", "Reception has one", reply_to=question.id)
    clock.now += 60
    assert policy.on_event(node.receive_answer(bens.id)) == []  # not ours


def test_a_post_asking_for_acknowledgement_and_its_reminder(clock):
    node, policy = FakeNode(), make(clock)
    event = node.receive_post(ANN, "Ann", FIRE_DRILL, ack=True)
    [popup] = policy.on_event(event)
    assert (popup.kind, popup.item_id, popup.items[0].ack) == (Kind.ACK, event.post.id, True)
    [again] = policy.on_event(nudge(event))
    assert (again.kind, again.item_id, again.items[0].ack) == (Kind.ACK_NUDGE, event.post.id, True)
    urgent = node.receive_post(BEN, "Ben", "Leave the building", ack=True, urgent=True)
    [popup] = policy.on_event(urgent)
    assert (popup.kind, popup.urgency, popup.items[0].ack) == (Kind.URGENT, "critical", True)


def test_with_post_popups_off_only_the_reminder_pops_up(clock):
    node, policy = FakeNode(), make(clock, posts=False)
    event = node.receive_post(ANN, "Ann", FIRE_DRILL, ack=True)
    assert policy.on_event(event) == []
    [again] = policy.on_event(nudge(event))
    assert again.kind is Kind.ACK_NUDGE


@pytest.mark.parametrize("silence", ["dnd", "pause", "quiet"])
def test_silence_holds_them_and_the_digest_counts_them(clock, silence):
    node, policy = FakeNode(), make(clock)
    if silence == "dnd":
        policy.on_event(status_event(OWN, "Me", Presence.DND, own=True))
    elif silence == "pause":
        policy.pause_until(clock.now + 3600)
    else:
        policy.set_quiet(QuietHours(dt.time(11), dt.time(13)))
    ours = node.hold_post(OWN, "Me", "Anyone for pizza?")
    question = node.hold_post(ANN, "Ann", "Spare key?", question=True)
    mine = node.hold_post(OWN, "Me", "Top drawer", reply_to=question.id)
    drill = node.receive_post(ANN, "Ann", FIRE_DRILL, ack=True)
    held = [
        node.receive_reply(ours.id, ANN, "Ann", "Yes"),
        node.receive_reply(ours.id, BEN, "Ben", "Me too"),
        node.receive_answer(mine.id),
        drill,
        nudge(drill),  # the same post: counted once
    ]
    for event in held:
        assert policy.on_event(event) == []
    clock.now += 2 * 3600
    if silence == "dnd":
        [digest] = policy.on_event(status_event(OWN, "Me", Presence.AVAILABLE, own=True))
    else:
        [digest] = policy.due()
    assert digest.kind is Kind.DIGEST
    assert digest.held == Held(replies=2, acks=1, answers=1)


# -- the words and the action ----------------------------------------------------------------


@pytest.fixture
def center(qapp, clock):
    notifier = RecordingNotifier(actions=True)
    center = NotificationCenter(make(clock), notifier, clock=clock)
    yield center, notifier
    center.close()
    center.deleteLater()


def test_words_of_each_popup(center, clock):
    center, notifier = center
    node = FakeNode()
    ours = node.hold_post(OWN, "Me", "Who knows the badge printer?", question=True)
    question = node.hold_post(ANN, "Ann", "Where is the spare key?", question=True)
    mine = node.hold_post(OWN, "Me", "Top drawer", reply_to=question.id)
    drill = node.receive_post(ANN, "Ann", FIRE_DRILL, ack=True)
    for event in (
        node.receive_reply(ours.id, BEN, "Ben", "Turn it\noff and on"),
        node.receive_answer(mine.id),
        drill,
        nudge(drill),
        node.receive_post(CY, "Cy", "Does anyone have a charger?", question=True),
    ):
        center.on_event(event)
    assert [shown[:2] for shown in notifier.shown] == [
        ("Ben replied to a question", "Turn it off and on"),
        ("Ann marked your reply as the answer", "Where is the spare key?"),
        ("Ann asks you to acknowledge", FIRE_DRILL),
        ("Ann reminds you to acknowledge", FIRE_DRILL),
        ("Question from Cy", "Does anyone have a charger?"),
    ]
    acknowledge = ((ACK_KEY, "Acknowledge"),)
    assert notifier.actions == [(), (), acknowledge, acknowledge, ()]


def test_a_burst_of_replies_merges_without_actions(center, clock):
    center, notifier = center
    node = FakeNode()
    ours = node.hold_post(OWN, "Me", "Pizza?")
    for pid, name in ((ANN, "Ann"), (BEN, "Ben"), (CY, "Cy")):
        center.on_event(node.receive_reply(ours.id, pid, name, f"{name} is in"))
    clock.now += 11
    center.refresh()
    assert notifier.titles() == ["Ann replied", "2 replies from Ben, Cy"]
    assert notifier.shown[1][1].splitlines() == ["Ben: Ben is in", "Cy: Cy is in"]


def test_choosing_acknowledge_asks_for_it_on_the_gui_thread(qtbot, center):
    center, notifier = center
    node = FakeNode()
    drill = node.receive_post(ANN, "Ann", FIRE_DRILL, ack=True)
    center.on_event(drill)
    with qtbot.waitSignal(center.acknowledge_requested) as chosen:
        # A D-Bus notifier calls back from its own thread.
        thread = threading.Thread(target=notifier.on_action, args=(drill.post.id, ACK_KEY))
        thread.start()
        thread.join()
    assert chosen.args == [drill.post.id]


def test_without_buttons_no_action_is_offered(qapp, clock):
    notifier = RecordingNotifier(actions=False)
    center = NotificationCenter(make(clock), notifier, clock=clock)
    center.on_event(FakeNode().receive_post(ANN, "Ann", FIRE_DRILL, ack=True))
    assert notifier.actions == [()]
    assert notifier.titles() == ["Ann asks you to acknowledge"]
    center.close()
    center.deleteLater()


def test_digest_words_name_replies_acks_and_answers(center):
    center, _notifier = center
    words = center.held_words(Held(posts=3, replies=2, acks=1, answers=1, knocks=1))
    assert words == (
        "3 posts, 2 replies, 1 post to acknowledge, 1 of your replies marked as the answer, 1 knock"
    )


# -- a look at the tray menu -----------------------------------------------------------------


@pytest.fixture(params=THEMES)
def theme(request, qapp):
    with themed(qapp, request.param) as shown:
        yield shown


def test_screenshot_tray_menu_with_questions_and_posts_to_acknowledge(qtbot, bridge, node, theme):
    node.hold_post(ANN, "Ann", "Who knows how to reset the badge printer?", question=True)
    node.hold_post(BEN, "ben", "Does anyone have a USB-C charger to lend?", question=True)
    node.hold_post(CY, "Cy", "Fire drill at 15:00. Please confirm you read this", ack=True)
    node.hold_post(ANN, "Ann", "New visitor policy from Monday", ack=True)
    people = PeopleModel()
    people.reset(bridge.peers())
    tray = TrayController(bridge, people, NotifyPolicy())
    try:
        tray.menu.popup(QPoint(100, 100))
        qtbot.waitExposed(tray.menu)
        texts = [a.text() for a in tray.menu.actions()]
        assert "2 open questions" in texts
        assert "Acknowledge: Fire drill at 15:00. Please confirm…" in texts
        save_screenshot(tray.menu, f"knowledge-tray-menu-{theme}")
        tray.menu.hide()
    finally:
        tray.close()
