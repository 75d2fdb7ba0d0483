"""Automatic away: the rules, the watcher on a fake idle source, Settings, and quitting."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import msgspec
import pytest
from hallway_ui_fakes import (
    OWN,
    FakeIdleSource,
    FakeRuntime,
    RecordingNotifier,
    make_config,
    status_event,
)
from PySide6.QtWidgets import QSystemTrayIcon

from hallway.core.model import Presence, Status
from hallway.ui.controller import AppController
from hallway.ui.idle import (
    AWAY_POLL_MS,
    IDLE_SECONDS_ENV,
    POLL_MS,
    AutoAway,
    IdleWatcher,
    idle_minutes,
)
from hallway.ui.settings import SettingsDialog, SettingsResult

AWAY = Status(Presence.AWAY, "Away (idle)")
NOW = 1_800_000_000.0


def test_idle_past_the_limit_means_away_and_activity_brings_it_back():
    rules = AutoAway(10, Status())
    assert rules.step(599, False, NOW) is None
    assert rules.step(600, False, NOW) == AWAY
    rules.status_changed(AWAY)  # the node's echo of our own change
    assert rules.step(900, False, NOW) is None  # still idle: nothing more
    assert rules.step(2, False, NOW) == Status()
    assert not rules.away


def test_a_locked_screen_means_away_at_once_and_unlocking_brings_it_back():
    rules = AutoAway(10, Status())
    assert rules.step(3, True, NOW) == AWAY
    assert rules.step(4, True, NOW) is None
    assert rules.step(0, False, NOW) == Status()


@pytest.mark.parametrize(
    "status",
    [
        Status(Presence.DND),
        Status(Presence.BUSY),
        Status(Presence.AWAY, "Lunch"),
        Status(Presence.AVAILABLE, "Dentist, back at 2"),
        Status(Presence.AVAILABLE, emoji="🦷"),
    ],
)
def test_never_over_a_status_set_by_hand(status):
    rules = AutoAway(10, status)
    assert rules.step(3600, True, NOW) is None


def test_a_change_by_hand_while_away_is_kept():
    rules = AutoAway(10, Status())
    assert rules.step(600, False, NOW) == AWAY
    rules.status_changed(Status(Presence.BUSY, "Call"))
    assert rules.step(1, False, NOW) is None  # theirs stays
    assert not rules.away


def test_zero_minutes_is_off_and_turning_it_off_brings_the_status_back():
    rules = AutoAway(0, Status())
    assert rules.step(10**6, True, NOW) is None
    rules.minutes = 10
    assert rules.step(600, False, NOW) == AWAY
    rules.minutes = 0
    assert rules.step(600, False, NOW) == Status()


def test_polls_every_few_seconds_sooner_near_the_limit_and_each_second_while_away():
    rules = AutoAway(10, Status())
    assert rules.next_poll_ms(0) == POLL_MS
    assert rules.next_poll_ms(597) == 3000
    rules.step(600, False, NOW)
    assert rules.next_poll_ms(600) == AWAY_POLL_MS


@pytest.fixture
def watcher(qapp, bridge) -> Iterator[IdleWatcher]:
    made = IdleWatcher(bridge, 10, Status(), clock=lambda: NOW)
    yield made
    made.close()
    made.deleteLater()


def set_statuses(node) -> list[tuple]:
    return [call[1] for call in node.calls if call[0] == "set_status"]


def test_the_watcher_sets_away_and_restores_through_the_node(qtbot, watcher, node):
    source = FakeIdleSource()
    watcher.use_source(source)
    assert watcher.source_name == "a fake idle source"
    assert watcher._timer.isActive()
    source.idle = 601
    watcher.poll()
    assert set_statuses(node) == [(Presence.AWAY, "Away (idle)")]
    assert watcher._timer.interval() == AWAY_POLL_MS
    node.emit(status_event(OWN, "Me", Presence.AWAY, "Away (idle)", own=True))
    qtbot.waitUntil(lambda: watcher.rules.current.presence is Presence.AWAY)
    source.idle = 0.5
    watcher.poll()
    assert set_statuses(node)[-1] == (Presence.AVAILABLE, "")


def test_a_lock_signal_from_another_thread_is_acted_on_at_once(qtbot, watcher, node):
    source = FakeIdleSource()
    watcher.use_source(source)
    source.set_locked(True)
    qtbot.waitUntil(lambda: set_statuses(node) == [(Presence.AWAY, "Away (idle)")])
    source.set_locked(False)
    qtbot.waitUntil(lambda: len(set_statuses(node)) == 2)
    assert set_statuses(node)[-1] == (Presence.AVAILABLE, "")


def test_a_source_that_stops_answering_is_dropped(qtbot, watcher):
    source = FakeIdleSource()
    watcher.use_source(source)
    source.fail = True
    with qtbot.waitSignal(watcher.source_changed):
        watcher.poll()
    assert watcher.source_name is None
    assert source.closed
    assert not watcher._timer.isActive()


def test_the_source_is_looked_for_off_the_gui_thread(qtbot, watcher):
    source = FakeIdleSource()
    with qtbot.waitSignal(watcher.source_changed):
        watcher.find_source(lambda: source)
    assert watcher.source_name == source.name
    assert not watcher.looking


def test_settings_say_which_source_is_used_or_that_none_is(qtbot, config):
    dialog = SettingsDialog(config, platform="linux", idle_source="the X11 screen saver "
                            "extension (libXss)")  # fmt: skip
    qtbot.addWidget(dialog)
    assert "libXss" in dialog.idle_source.text()
    assert dialog.idle_minutes.isEnabled()
    dialog.idle_minutes.setValue(5)
    assert dialog.result_values().config.idle_minutes == 5
    none = SettingsDialog(config, platform="linux")
    qtbot.addWidget(none)
    assert "automatic away stays off" in none.idle_source.text()
    assert not none.idle_minutes.isEnabled()
    assert none.result_values().config.idle_minutes == config.idle_minutes


@pytest.fixture
def app(qapp, monkeypatch, node) -> Iterator[AppController]:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    source = FakeIdleSource()
    controller = AppController(FakeRuntime(node), make_config(idle_minutes=1),
                               save_config=lambda c: None, notifier=RecordingNotifier(),
                               find_idle=lambda: source)  # fmt: skip
    controller.start()
    yield controller
    controller.close()
    controller.deleteLater()


def test_the_app_finds_its_source_applies_settings_and_restores_on_quit(qtbot, app, node):
    qtbot.waitUntil(lambda: app.idle.source_name is not None)
    source = app.idle._source
    source.idle = 61
    app.idle.poll()
    assert set_statuses(node) == [(Presence.AWAY, "Away (idle)")]
    # Settings: 5 minutes now; still idle 61 s, so the status comes back.
    app.apply_settings(SettingsResult(msgspec.structs.replace(app.config, idle_minutes=5), None))
    assert set_statuses(node)[-1] == (Presence.AVAILABLE, "")
    source.idle = 400
    app.idle.poll()
    assert set_statuses(node)[-1] == (Presence.AWAY, "Away (idle)")
    app.close()  # quitting while away leaves the status as it was
    assert set_statuses(node)[-1] == (Presence.AVAILABLE, "")
    assert source.closed


def test_settings_open_while_looking_learn_the_source_when_found(qtbot, monkeypatch, node):
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    release = threading.Event()
    source = FakeIdleSource()

    def slow_find() -> FakeIdleSource:
        release.wait(10)
        return source

    app = AppController(FakeRuntime(node), make_config(), save_config=lambda c: None,
                        notifier=RecordingNotifier(), find_idle=slow_find)  # fmt: skip
    try:
        app.start()
        app.show_settings()
        [dialog] = app.dialogs()
        assert "Looking" in dialog.idle_source.text()
        release.set()
        qtbot.waitUntil(lambda: "fake idle source" in dialog.idle_source.text())
        dialog.reject()
        qtbot.waitUntil(lambda: not app.dialogs())
    finally:
        release.set()
        app.close()
        app.deleteLater()


def test_tests_may_shorten_the_idle_time_but_never_turn_it_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert idle_minutes(10) == 10
    monkeypatch.setenv(IDLE_SECONDS_ENV, "20")
    assert idle_minutes(1) == pytest.approx(20 / 60)
    assert idle_minutes(0) == 0  # off stays off
    monkeypatch.setenv(IDLE_SECONDS_ENV, "600")
    assert idle_minutes(1) == 1  # only ever shorter
    monkeypatch.setenv(IDLE_SECONDS_ENV, "soon")
    assert idle_minutes(3) == 3
