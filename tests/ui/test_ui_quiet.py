"""Quiet hours and the digest: what is held, what gets through, and the one pop-up that sums it
up when the silence ends (quiet hours, Do not disturb, or a pause). Injected clock: the policy
runs on a fixed Wednesday, in UTC, whatever this machine's zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import msgspec
import pytest
from hallway_ui_fakes import (
    ANN,
    BEN,
    CY,
    OWN,
    FakeNode,
    FakeRuntime,
    RecordingNotifier,
    event_changed,
    make_config,
    post_event,
    status_event,
)
from PySide6.QtWidgets import QSystemTrayIcon

from hallway.core.meetups import EventSpec
from hallway.core.model import Presence
from hallway.core.quiet import QuietHours
from hallway.engine.events import QuietChanged
from hallway.ui.controller import AppController
from hallway.ui.notifications import NotificationCenter
from hallway.ui.notify_policy import Held, Kind, NotifyPolicy, NotifyPrefs
from hallway.ui.settings import SettingsResult

EVENING = QuietHours(start=dt.time(18), end=dt.time(8))
WEDNESDAY_NIGHT = dt.datetime(2026, 11, 25, 22, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, at: dt.datetime = WEDNESDAY_NIGHT) -> None:
        self.now = at.timestamp()

    def __call__(self) -> float:
        return self.now

    def set(self, at: dt.datetime) -> None:
        self.now = at.timestamp()


def utc(when: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(when, dt.UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make(clock: Clock, quiet: QuietHours | None = EVENING) -> NotifyPolicy:
    policy = NotifyPolicy(NotifyPrefs(followed=frozenset({ANN, BEN, CY})), clock=clock,
                          local=utc)  # fmt: skip
    policy.set_quiet(quiet)
    return policy


def held_night(policy: NotifyPolicy, node: FakeNode) -> None:
    """3 posts, 1 event, 1 knock and 5 status changes while quiet."""
    events = [post_event(ANN, "Ann", f"post {n}", seq=n) for n in range(3)]
    view = node.add_event(BEN, "Ben", EventSpec(title="Cake", start=WEDNESDAY_NIGHT.timestamp()
                                                + 86400))  # fmt: skip
    events.append(event_changed(view))
    events.append(node.incoming_knock(CY, "Cy"))
    for n, who in enumerate((ANN, BEN, CY, ANN, BEN)):
        events.append(status_event(who, "x", Presence.AWAY, f"s{n}"))
    for event in events:
        assert policy.on_event(event) == []


def test_quiet_hours_hold_all_but_urgent_posts_and_end_with_one_digest(clock):
    policy = make(clock)
    assert policy.quiet_now()
    assert policy.silenced()
    held_night(policy, FakeNode())
    [urgent] = policy.on_event(post_event(BEN, "Ben", "Fire drill", urgent=True, seq=9))
    assert urgent.kind is Kind.URGENT
    # An urgent knock gets through Do not disturb, never through quiet hours.
    assert policy.on_event(FakeNode().incoming_knock(ANN, "Ann", urgent=True)) == []
    assert policy.held == Held(posts=3, events=1, knocks=2, statuses=5)
    # The digest waits for 08:00 sharp.
    morning = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
    assert policy.next_deadline() == morning.timestamp()
    clock.set(morning - dt.timedelta(seconds=1))
    assert policy.due() == []
    clock.set(morning)
    [digest] = policy.due()
    assert (digest.kind, digest.item_id) == (Kind.DIGEST, None)
    assert digest.held == Held(posts=3, events=1, knocks=2, statuses=5)
    assert policy.due() == []  # said once
    assert policy.next_deadline() is None
    assert len(policy.on_event(post_event(ANN, "Ann", "Good morning", seq=20))) == 1


def test_weekends_are_quiet_all_day(clock):
    policy = make(clock, QuietHours(start=dt.time(18), end=dt.time(8), weekends=True))
    clock.set(dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC))  # Saturday noon
    assert policy.on_event(post_event(ANN, "Ann", "hello")) == []
    # Saturday, the night and Sunday are one stretch: it ends on Monday at 08:00.
    assert policy.next_deadline() == dt.datetime(2026, 11, 30, 8, tzinfo=dt.UTC).timestamp()
    clock.set(dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC))  # a Wednesday noon
    assert not policy.quiet_now()


def test_the_digest_comes_when_dnd_ends_and_not_before_quiet_hours_do(clock):
    clock.set(dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.UTC))
    policy = make(clock)
    policy.on_event(status_event(OWN, "Me", Presence.DND, own=True))
    policy.on_event(post_event(ANN, "Ann", "cake"))
    [digest] = policy.on_event(status_event(OWN, "Me", Presence.AVAILABLE, own=True))
    assert digest.held == Held(posts=1)
    # Do not disturb ends inside quiet hours: the digest waits for them.
    clock.set(dt.datetime(2026, 11, 25, 19, 0, tzinfo=dt.UTC))
    policy.on_event(status_event(OWN, "Me", Presence.DND, own=True))
    policy.on_event(post_event(ANN, "Ann", "more cake", seq=2))
    assert policy.on_event(status_event(OWN, "Me", Presence.AVAILABLE, own=True)) == []
    assert policy.held == Held(posts=1)


def test_an_urgent_knock_gets_through_dnd_and_the_pause(clock):
    clock.set(dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC))
    policy = make(clock)
    node = FakeNode()
    policy.on_event(status_event(OWN, "Me", Presence.DND, own=True))
    assert policy.on_event(node.incoming_knock(ANN, "Ann")) == []
    [urgent] = policy.on_event(node.incoming_knock(BEN, "Ben", "Server down", urgent=True))
    assert (urgent.kind, urgent.urgency) == (Kind.KNOCK, "critical")
    policy.on_event(status_event(OWN, "Me", Presence.AVAILABLE, own=True))
    policy.pause_until(clock.now + 600)
    clock.now += 20
    assert len(policy.on_event(node.incoming_knock(CY, "Cy", urgent=True))) == 1


def test_nothing_held_means_no_digest(clock):
    policy = make(clock, None)
    policy.pause_until(clock.now + 60)
    policy.resume()
    assert policy.due() == []


def test_digest_words_name_only_what_was_held(qapp):
    center = NotificationCenter(NotifyPolicy(), RecordingNotifier())
    try:
        words = center.held_words
        assert words(Held(posts=3, events=1, knocks=1, statuses=5)) == (
            "3 posts, 1 event, 1 knock, 5 status changes"
        )
        assert words(Held(posts=1, statuses=2)) == "1 post, 2 status changes"
        assert words(Held(knocks=4)) == "4 knocks"
    finally:
        center.close()
        center.deleteLater()


@pytest.fixture
def app(qapp, monkeypatch, node) -> Iterator[AppController]:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    notifier = RecordingNotifier()
    controller = AppController(FakeRuntime(node), make_config(followed=[ANN]),
                               save_config=lambda c: None, notifier=notifier)  # fmt: skip
    controller.start()
    yield controller
    controller.close()
    controller.deleteLater()


def test_resuming_from_the_tray_shows_the_digest_and_a_click_opens_the_feed(qtbot, app, node):
    notifier = app.notifications._notifier
    app.tray.rebuild_menu()
    app.tray.action("pause-30m").trigger()
    node.emit(post_event(ANN, "Ann", "Cake", seq=1), post_event(BEN, "Ben", "More", seq=2),
              status_event(ANN, "Ann", Presence.BUSY, "Call"))  # fmt: skip
    qtbot.waitUntil(lambda: app.policy.held == Held(posts=2, statuses=1))
    assert notifier.shown == []
    app.tray.rebuild_menu()
    app.tray.action("resume").trigger()
    [(title, body, urgency, item)] = notifier.shown
    assert f"{title}: {body}" == "While you were away: 2 posts, 1 status change"
    assert (urgency, item) == ("normal", None)
    app.window.tabs.setCurrentWidget(app.window.people_tab)
    notifier.on_activated(None)
    qtbot.waitUntil(app.window.isVisible)
    assert app.window.tabs.currentWidget() is app.window.feed_tab


def test_quiet_hours_from_settings_reach_the_node_and_the_policy(qtbot, app, node):
    result = app.config
    quiet = QuietHours(start=dt.time(19), end=dt.time(7), weekends=True)
    app.apply_settings(SettingsResult(msgspec.structs.replace(result, quiet=quiet), None))
    assert ("set_quiet_hours", (quiet,), {}) in node.calls
    assert app.policy.quiet == quiet
    app.apply_settings(SettingsResult(msgspec.structs.replace(result, quiet=None), None))
    assert node.quiet is None
    assert app.policy.quiet is None


def test_quiet_hours_set_from_the_command_line_reach_the_policy_and_the_saved_config(
    qtbot, app, node
):
    """`hallway quiet set` while the app runs: the node says so, and the app follows, keeping
    them in the config it saves next (following someone, say) instead of writing them back."""
    quiet = QuietHours(start=dt.time(18), end=dt.time(8))
    node.emit(QuietChanged(at=0.0, quiet=quiet))
    qtbot.waitUntil(lambda: app.policy.quiet == quiet)
    assert app.config.quiet == quiet
    saved: list[object] = []
    app._save_config = saved.append
    app.set_following(BEN, True)
    assert [c.quiet for c in saved] == [quiet]  # type: ignore[attr-defined]
    node.emit(QuietChanged(at=0.0, quiet=None))
    qtbot.waitUntil(lambda: app.policy.quiet is None)
    assert app.config.quiet is None


def test_the_center_arms_its_timer_for_the_end_of_quiet_hours(qtbot, clock):
    policy = make(clock)
    notifier = RecordingNotifier()
    center = NotificationCenter(policy, notifier, clock=clock)
    try:
        center.on_event(post_event(ANN, "Ann", "late cake"))
        assert center._timer.isActive()  # looked at again within minutes, not polled
        assert center._timer.interval() == 300_000
        clock.set(dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC))
        center._timer.timeout.emit()
        assert notifier.shown == [("While you were away", "1 post", "normal", None)]
        assert not center._timer.isActive()
    finally:
        center.close()
        center.deleteLater()


def test_the_pause_menu_says_until_when_quiet_hours_hold(qtbot, app):
    now = dt.datetime.now().astimezone()
    hour = dt.timedelta(hours=1)
    app.policy.set_quiet(QuietHours(start=(now - hour).time(), end=(now + hour).time()))
    app.tray.rebuild_menu()
    note = app.tray.action("quiet-note")
    assert note is not None
    assert note.text().startswith("Quiet hours until ")
    assert not note.isEnabled()
    app.policy.set_quiet(None)
    app.tray.rebuild_menu()
    assert app.tray.action("quiet-note") is None
