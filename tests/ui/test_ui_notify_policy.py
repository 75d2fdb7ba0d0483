"""What pops up: follow, DND, pause, urgent and coalescing, with a fake clock."""

from __future__ import annotations

import pytest
from hallway_ui_fakes import ANN, BEN, CY, OWN, online_event, post_event, status_event

from hallway.core.model import Presence
from hallway.ui.notifications import NotificationCenter
from hallway.ui.notify_policy import Held, Kind, NotifyPolicy, NotifyPrefs


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make(clock: Clock, **prefs) -> NotifyPolicy:
    return NotifyPolicy(NotifyPrefs(**prefs), clock=clock, window=10.0)


def test_every_post_pops_up(clock):
    policy = make(clock)
    [popup] = policy.on_event(post_event(ANN, "Ann", "Cake in the kitchen"))
    assert popup.kind is Kind.POST
    assert popup.urgency == "normal"
    assert popup.item_id == f"{ANN}:1:1"


def test_own_and_history_posts_do_not(clock):
    policy = make(clock)
    own = post_event(OWN, "Me", "mine")
    own = type(own)(at=own.at, post=own.post, name="Me", own=True)
    assert policy.on_event(own) == []
    assert policy.on_event(post_event(ANN, "Ann", "old", live=False)) == []


def test_status_changes_only_of_followed_people(clock):
    policy = make(clock, followed=frozenset({ANN}))
    assert policy.on_event(status_event(BEN, "Ben", Presence.BUSY)) == []
    [popup] = policy.on_event(status_event(ANN, "Ann", Presence.BUSY, "Call"))
    assert popup.kind is Kind.STATUS
    assert popup.item_id == ANN
    assert (
        make(clock, followed=frozenset({ANN}), followed_status=False).on_event(
            status_event(ANN, "Ann", Presence.AWAY)
        )
        == []
    )


def test_online_is_off_by_default(clock):
    assert make(clock).on_event(online_event(ANN, "Ann")) == []
    [popup] = make(clock, online=True).on_event(online_event(ANN, "Ann"))
    assert popup.kind is Kind.ONLINE


def test_own_dnd_holds_back_all_but_urgent(clock):
    policy = make(clock, followed=frozenset({ANN}))
    assert policy.on_event(status_event(OWN, "Me", Presence.DND, own=True)) == []
    assert policy.silenced()
    assert policy.on_event(post_event(ANN, "Ann", "Cake")) == []
    assert policy.on_event(status_event(ANN, "Ann", Presence.AWAY)) == []
    [urgent] = policy.on_event(post_event(BEN, "Ben", "Fire drill", urgent=True, seq=2))
    assert (urgent.kind, urgent.urgency) == (Kind.URGENT, "critical")
    # Back to available: ordinary pop-ups again.
    policy.on_event(status_event(OWN, "Me", Presence.AVAILABLE, own=True))
    assert len(policy.on_event(post_event(ANN, "Ann", "More cake", seq=3))) == 1


def test_pause_holds_back_until_it_ends(clock):
    policy = make(clock)
    policy.pause_until(clock.now + 1800)
    assert policy.on_event(post_event(ANN, "Ann", "Cake")) == []
    assert len(policy.on_event(post_event(ANN, "Ann", "Urgent!", urgent=True, seq=2))) == 1
    clock.now += 1801
    assert policy.paused_until is None
    digest, later = policy.on_event(post_event(ANN, "Ann", "Later", seq=3))
    assert (digest.kind, digest.held) == (Kind.DIGEST, Held(posts=1))
    assert later.kind is Kind.POST


def test_resume_ends_a_pause(clock):
    policy = make(clock)
    policy.pause_until(clock.now + 3600)
    policy.resume()
    assert len(policy.on_event(post_event(ANN, "Ann", "Cake"))) == 1


def test_urgent_can_be_turned_off(clock):
    policy = make(clock, urgent=False)
    assert policy.on_event(post_event(ANN, "Ann", "Fire", urgent=True)) == []


def test_a_burst_coalesces_into_one_popup(clock):
    policy = make(clock)
    assert len(policy.on_event(post_event(ANN, "Ann", "first", seq=1))) == 1
    for seq, (pid, name) in enumerate([(ANN, "Ann"), (BEN, "Ben"), (CY, "Cy"), (ANN, "Ann")]):
        clock.now += 1
        assert policy.on_event(post_event(pid, name, f"p{seq}", seq=seq + 2)) == []
    assert policy.next_deadline() == 1_000_000.0 + 10
    assert policy.due() == []  # the window has not ended
    clock.now = policy.next_deadline()
    [merged] = policy.due()
    assert merged.kind is Kind.POST
    assert len(merged.items) == 4
    assert merged.names == ("Ann", "Ben", "Cy")
    assert merged.item_id == f"{ANN}:1:5"  # the newest
    assert policy.next_deadline() is None
    # Urgent posts are never held for a window.
    assert len(policy.on_event(post_event(BEN, "Ben", "now!", urgent=True, seq=9))) == 1


def test_a_quiet_period_resets_the_window(clock):
    policy = make(clock)
    assert len(policy.on_event(post_event(ANN, "Ann", "a", seq=1))) == 1
    clock.now += 11
    assert len(policy.on_event(post_event(ANN, "Ann", "b", seq=2))) == 1


def test_dnd_drops_what_was_waiting(clock):
    policy = make(clock)
    policy.on_event(post_event(ANN, "Ann", "a", seq=1))
    policy.on_event(post_event(ANN, "Ann", "b", seq=2))
    policy.on_event(status_event(OWN, "Me", Presence.DND, own=True))
    clock.now += 20
    assert policy.due() == []


class RecordingNotifier:
    def __init__(self) -> None:
        self.shown: list[tuple[str, str, str, str | None]] = []
        self.images: list = []
        self.on_activated = None
        self.on_action = None
        self.supports_actions = False
        self.closed = False

    def notify(self, title, body, urgency, item_id, image=None, *, actions=()):
        self.shown.append((title, body, urgency, item_id))
        self.images.append(image)

    def close(self):
        self.closed = True


def test_center_words_and_releases_merged_popups(qtbot, bridge, node):
    policy = NotifyPolicy(window=0.2)
    notifier = RecordingNotifier()
    center = NotificationCenter(policy, notifier)
    bridge.any_event.connect(center.on_event)
    node.emit(
        post_event(ANN, "Ann", "Cake", seq=1),
        post_event(BEN, "Ben", "More cake", seq=2),
        post_event(CY, "Cy", "Even more", seq=3),
        post_event(ANN, "Ann", "<b>hi</b>", seq=4),
        post_event(CY, "Cy", "Fire drill", urgent=True, seq=5),
    )
    qtbot.waitUntil(lambda: len(notifier.shown) == 3, timeout=3000)
    first, urgent, merged = notifier.shown
    assert first == ("Ann", "Cake", "normal", f"{ANN}:1:1")
    assert urgent == ("Urgent from Cy", "Fire drill", "critical", f"{CY}:1:5")
    assert merged[0] == "3 new posts from Ben, Cy…"
    assert merged[1].splitlines() == ["Ben: More cake", "Cy: Even more", "Ann: <b>hi</b>"]
    with qtbot.waitSignal(center.activated) as clicked:
        notifier.on_activated(f"{ANN}:1:4")
    assert clicked.args == [f"{ANN}:1:4"]
    center.close()
    assert notifier.closed
    center.deleteLater()


def test_a_flood_of_urgent_posts_is_one_popup_per_window_even_in_dnd(clock):
    policy = make(clock)
    policy.on_event(status_event(OWN, "Me", Presence.DND, own=True))
    [first] = policy.on_event(post_event(BEN, "Ben", "urgent 0", urgent=True, seq=1))
    assert first.kind is Kind.URGENT
    for seq in range(2, 101):
        assert policy.on_event(post_event(BEN, "Ben", f"urgent {seq}", urgent=True, seq=seq)) == []
    clock.now = policy.next_deadline()
    [merged] = policy.due()  # released although DND holds back everything else
    assert (merged.kind, merged.urgency, len(merged.items)) == (Kind.URGENT, "critical", 99)
