"""The tray app's start: the icon is up and the app answers while the node starts on a thread."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QSystemTrayIcon

from hallway.ui.starting import Starting


class Blocked:
    """A start that waits until the test lets it go, and records what was discarded."""

    def __init__(self, result: object = "node", error: BaseException | None = None) -> None:
        self.go = threading.Event()
        self.began = threading.Event()
        self.result = result
        self.error = error
        self.discarded: list[object] = []

    def start(self) -> object:
        self.began.set()
        assert self.go.wait(10)
        if self.error is not None:
            raise self.error
        return self.result


@pytest.fixture(autouse=True)
def with_tray(monkeypatch):
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))


def when_started(qtbot, blocked: Blocked, then) -> None:
    """Once the start is running and the event loop turns, call `then` from that loop."""

    def check() -> None:
        if blocked.began.is_set():
            then()
        else:
            QTimer.singleShot(5, check)

    QTimer.singleShot(0, check)


def test_the_icon_shows_and_the_loop_turns_while_the_node_starts(qtbot, qapp):
    blocked = Blocked()
    starting = Starting(qapp, blocked.start, blocked.discarded.append)
    seen: dict[str, object] = {}

    def look() -> None:  # on the GUI thread, with the start still waiting: the loop turns
        seen["visible"] = starting.icon.isVisible()
        seen["tooltip"] = starting.icon.toolTip()
        menu = starting.icon.contextMenu()
        seen["menu"] = [(a.text(), a.isEnabled()) for a in menu.actions() if a.text()]
        blocked.go.set()

    when_started(qtbot, blocked, look)
    assert starting.run() == "node"
    assert seen == {"visible": True, "tooltip": "Hallway: starting…",
                    "menu": [("Starting…", False), ("Quit", True)]}  # fmt: skip
    assert blocked.discarded == []
    icon = starting.take_icon()
    assert icon.isVisible()  # the session keeps the same icon: no flicker, same place
    assert icon.contextMenu() is None
    icon.hide()


def test_quit_while_starting_stops_what_started(qtbot, qapp):
    blocked = Blocked()
    starting = Starting(qapp, blocked.start, blocked.discarded.append)

    def quit_then_finish() -> None:
        [quit_action] = [a for a in starting.icon.contextMenu().actions() if a.text() == "Quit"]
        quit_action.trigger()
        blocked.go.set()

    when_started(qtbot, blocked, quit_then_finish)
    assert starting.run() is None
    assert blocked.discarded == ["node"]  # closed once it had started
    assert not starting.icon.isVisible()


def test_a_signal_to_quit_while_starting_is_a_quit(qtbot, qapp):
    blocked = Blocked()
    starting = Starting(qapp, blocked.start, blocked.discarded.append)

    def terminated() -> None:
        qapp.exit(0)  # what SIGTERM does (`hallway.ui.app.leave`)
        blocked.go.set()

    when_started(qtbot, blocked, terminated)
    assert starting.run() is None
    assert blocked.discarded == ["node"]


def test_a_failed_start_is_raised_on_the_gui_thread(qtbot, qapp):
    blocked = Blocked(error=RuntimeError("port in use"))
    blocked.go.set()
    starting = Starting(qapp, blocked.start, blocked.discarded.append)
    with pytest.raises(RuntimeError, match="port in use"):
        starting.run()
    assert blocked.discarded == []


def test_a_late_finished_does_not_end_the_next_loop(qtbot, qapp):
    """After a quit, the start's `finished` may still be queued: the session's loop must not
    take it for its own end."""
    blocked = Blocked()
    starting = Starting(qapp, blocked.start, blocked.discarded.append)
    when_started(qtbot, blocked, lambda: qapp.exit(0))  # quit before the start ends
    late = threading.Timer(0.05, blocked.go.set)  # after the loop ended: `finished` queues
    late.start()
    assert starting.run() is None
    ended: list[str] = []
    QTimer.singleShot(200, lambda: (ended.append("timer"), qapp.exit(7)))
    assert qapp.exec() == 7  # the timer ended it, not the stale `finished`
    assert ended == ["timer"]
    late.join()
