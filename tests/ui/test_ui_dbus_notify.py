"""`DBusNotifier` against a real notification daemon: dunst on Xvfb, on a private session bus.

dunst's history (`dunstctl history`) shows what arrived and its text; it does not list urgency,
so a dunst rule runs a script that records the urgency dunst saw (see tests/e2e/desktop.py), and
the per-urgency timeouts of our dunstrc show in the history too.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hallway_ui_fakes import ANN, FakeNode
from PySide6.QtGui import QColor, QImage

from hallway import assets
from hallway.core.model import Presence
from hallway.ui.avatar import avatar_colour
from hallway.ui.dbus_notify import (
    APP_NAME,
    DBusNotifier,
    NotificationServiceError,
    available,
    server_information,
)
from hallway.ui.notifications import NotificationCenter, desktop_notifier, popup_image
from hallway.ui.notify_policy import Candidate, Kind, NotifyPolicy, Popup
from tests.e2e.desktop import Desktop, LocalHost, Notification, require_tools
from tests.support.waiting import wait_until

RICH = "<b>hi</b> & <img src=x>"


@pytest.fixture(scope="module")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desktop]:
    require_tools("Xvfb", "dbus-daemon", "dunst", "dunstctl")
    desktop = Desktop(LocalHost(), tmp_path_factory.mktemp("dunst"))
    desktop.start(dunst=True)
    try:
        yield desktop
    finally:
        desktop.close()


@pytest.fixture
def bare_bus(tmp_path: Path) -> Iterator[Desktop]:
    """A session bus with nobody serving notifications on it."""
    require_tools("dbus-daemon")
    desktop = Desktop(LocalHost(), tmp_path)
    desktop.start_bus()
    try:
        yield desktop
    finally:
        desktop.close()


@pytest.fixture
def notifier(desktop: Desktop) -> Iterator[DBusNotifier]:
    icon = assets.icon_path("hallway").as_uri()
    with DBusNotifier(bus=desktop.bus_address, app_icon=icon) as notifier:
        yield notifier


class Clicks:
    """Records `on_activated` calls, which come from the notifier's own thread."""

    def __init__(self) -> None:
        self.items: list[str | None] = []
        self._cond = threading.Condition()

    def __call__(self, item_id: str | None) -> None:
        with self._cond:
            self.items.append(item_id)
            self._cond.notify_all()

    def wait(self, count: int, timeout: float = 5.0) -> list[str | None]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.items) >= count, timeout), self.items
            return list(self.items)


def _history(desktop: Desktop, *summaries: str) -> dict[str, Notification]:
    """Close what is on screen and return the history entries with these summaries."""
    desktop.run(["dunstctl", "close-all"])

    def found() -> dict[str, Notification] | None:
        entries = {n.summary: n for n in desktop.dunst_history() if n.summary in summaries}
        return entries if len(entries) == len(summaries) else None

    return wait_until(found, 5, f"{summaries} in dunst's history")


def _urgencies(desktop: Desktop, *summaries: str) -> dict[str, str]:
    def found() -> dict[str, str] | None:
        seen = {summary: level for level, summary in desktop.dunst_urgencies().values()}
        wanted = {summary: seen[summary] for summary in summaries if summary in seen}
        return wanted if len(wanted) == len(summaries) else None

    return wait_until(found, 5, f"dunst to show {summaries}")


def test_server_information_names_dunst(desktop: Desktop) -> None:
    info = server_information(desktop.bus_address)
    assert info.name == "dunst"
    assert {"actions", "body", "body-markup"} <= info.capabilities
    assert available(desktop.bus_address)


def test_popups_arrive_with_their_urgency_and_literal_text(
    desktop: Desktop, notifier: DBusNotifier
) -> None:
    notifier.notify("Ann", RICH, "normal", "ann:1:1")
    notifier.notify("Urgent from Ben", "Fire drill now", "critical", "ben:1:2")

    assert _urgencies(desktop, "Ann", "Urgent from Ben") == {
        "Ann": "NORMAL",
        "Urgent from Ben": "CRITICAL",
    }
    history = _history(desktop, "Ann", "Urgent from Ben")
    post, urgent = history["Ann"], history["Urgent from Ben"]
    # dunst reads bodies as markup: the tags must arrive escaped, to show as typed.
    assert "<b>" not in post.body
    assert html.unescape(post.body) == RICH
    assert urgent.body == "Fire drill now"
    assert urgent.timeout_us == 0  # dunstrc: critical pop-ups stay
    assert post.timeout_us == 10_000_000  # dunstrc: normal ones go after 10 s
    for entry in (post, urgent):
        assert entry.appname == APP_NAME
        assert entry.default_action == "default"
        assert entry.icon_path == str(assets.icon_path("hallway"))


def test_a_click_on_our_popup_reports_its_item(desktop: Desktop, notifier: DBusNotifier) -> None:
    ours = Clicks()
    notifier.on_activated = ours
    with DBusNotifier(bus=desktop.bus_address) as other:
        theirs = Clicks()
        other.on_activated = theirs
        notifier.notify("Cy", "Lunch?", "normal", "cy:1:7")
        other.notify("Someone else", "Not ours", "critical", "other:1")
        _urgencies(desktop, "Cy", "Someone else")
        assert desktop.dunst_displayed() == 2
        # dunst sorts critical first: entry 0 is the other client's pop-up.
        desktop.run(["dunstctl", "action", "0"])
        assert theirs.wait(1) == ["other:1"]
        desktop.run(["dunstctl", "close"])  # `action` leaves the pop-up open; close the top one
        wait_until(lambda: desktop.dunst_displayed() == 1, 5, "the clicked pop-up to close")
        desktop.run(["dunstctl", "action", "0"])
        assert ours.wait(1) == ["cy:1:7"]
        assert theirs.items == ["other:1"], "a click reaches only the notifier that sent it"
    desktop.run(["dunstctl", "close-all"])
    wait_until(lambda: desktop.dunst_displayed() == 0, 5, "the pop-ups to close")


def test_closed_popups_are_forgotten(desktop: Desktop, notifier: DBusNotifier) -> None:
    notifier.notify("Dee", "Back at 3", "normal", "dee:1:1")
    _urgencies(desktop, "Dee")
    assert list(notifier._shown.values()) == ["dee:1:1"]
    desktop.run(["dunstctl", "close-all"])
    wait_until(lambda: not notifier._shown, 5, "NotificationClosed to be handled")


def test_close_is_idempotent_and_stops_the_thread(desktop: Desktop) -> None:
    notifier = DBusNotifier(bus=desktop.bus_address)
    thread = notifier._thread
    assert thread.is_alive()
    notifier.close()
    notifier.close()
    assert not thread.is_alive()
    notifier.notify("Nobody", "sees this", "normal", None)  # after close: nothing, no error


def test_without_a_notification_service(bare_bus: Desktop, tmp_path: Path) -> None:
    assert not available(bare_bus.bus_address)
    with pytest.raises(NotificationServiceError):
        DBusNotifier(bus=bare_bus.bus_address)
    missing = f"unix:path={tmp_path / 'no-such-bus'}"
    assert not available(missing)
    with pytest.raises(NotificationServiceError):
        DBusNotifier(bus=missing)


def test_the_desktop_notifier_is_chosen_only_where_a_service_answers(
    desktop: Desktop, bare_bus: Desktop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bare_bus.bus_address)
    assert desktop_notifier() is None  # the tray balloon stays
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop.bus_address)
    chosen = desktop_notifier()
    assert isinstance(chosen, DBusNotifier)
    chosen.close()


class Recording:
    def __init__(self) -> None:
        self.on_activated = None
        self.on_action = None
        self.supports_actions = False
        self.shown: list[tuple[str, str, str, str | None]] = []
        self.closed = False

    def notify(
        self,
        title: str,
        body: str,
        urgency: str,
        item_id: str | None,
        image: object = None,
        *,
        actions: object = (),
    ) -> None:
        self.shown.append((title, body, urgency, item_id))

    def close(self) -> None:
        self.closed = True


def test_center_switches_to_the_desktop_notifier_once_it_is_up(qtbot) -> None:
    fallback, found = Recording(), Recording()
    center = NotificationCenter(NotifyPolicy(), fallback)
    center.find_desktop_notifier(lambda: found)
    qtbot.waitUntil(lambda: fallback.closed)
    assert found.on_activated is not None
    center.close()
    assert found.closed
    center.deleteLater()


def test_center_closed_while_looking_closes_what_it_finds(qtbot) -> None:
    release = threading.Event()
    found = Recording()

    def slow() -> Recording:
        release.wait(5)
        return found

    center = NotificationCenter(NotifyPolicy(), Recording())
    center.find_desktop_notifier(slow)
    release.set()
    center.close()  # joins the probe, then closes what it found
    assert found.closed
    center.deleteLater()


def _shows_colour(path: Path, colour: QColor) -> bool:
    image = QImage(str(path))
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            seen = image.pixelColor(x, y)
            if max(abs(seen.red() - colour.red()), abs(seen.green() - colour.green()),
                   abs(seen.blue() - colour.blue())) <= 6:  # fmt: skip
                return True
    return False


def test_a_popup_shows_the_persons_avatar(qapp, desktop: Desktop, notifier: DBusNotifier) -> None:
    # image-data (iiibiiay), which dunst draws instead of the app icon: the avatar's colour
    # must appear in dunst's pop-up at the top right of the screen.
    status = Candidate(Kind.STATUS, ANN, "Ann Example", "Dentist", ANN, presence=Presence.BUSY)
    image = popup_image(Popup(Kind.STATUS, (status,)))
    assert image is not None
    notifier.notify("Ann Example is now Busy", "🦷 Dentist", "critical", ANN, image)
    crop = "400x160+870+30"  # dunstrc: 380 wide, 10 px from the right, 40 from the top
    wait_until(
        lambda: _shows_colour(desktop.screenshot("dunst-avatar", crop=crop), avatar_colour(ANN)),
        10,
        "dunst to draw the avatar",
    )
    desktop.run(["dunstctl", "close-all"])


def _action_invoked(notification: int, key: str):
    from jeepney import DBusAddress, new_signal

    emitter = DBusAddress("/org/freedesktop/Notifications",
                          interface="org.freedesktop.Notifications")  # fmt: skip
    return new_signal(emitter, "ActionInvoked", "us", (notification, key))


def test_a_new_events_answers_go_out_as_actions_and_come_back(
    desktop: Desktop, notifier: DBusNotifier
) -> None:
    """dunst lists "actions"; a pop-up's actions reach `on_action` with their key, the click
    still reaches `on_activated`, and another client's notification reaches neither."""
    assert notifier.supports_actions
    answers: list[tuple[str | None, str]] = []
    clicks = Clicks()
    notifier.on_action = lambda item, key: answers.append((item, key))
    notifier.on_activated = clicks
    sent: list[list[str]] = []
    send = notifier._conn.send

    def spy(message, serial=None):
        if message.header.fields.get(3) == "Notify":  # HeaderFields.member
            sent.append(list(message.body[5]))
        return send(message, serial=serial)

    notifier._conn.send = spy
    answers_offered = [("going", "Going"), ("maybe", "Maybe"), ("no", "Not going")]
    notifier.notify(
        "New event: Hack day", "tomorrow 15:00", "normal", "ann:1:1", actions=answers_offered
    )
    _urgencies(desktop, "New event: Hack day")
    assert sent == [["default", "Open", "going", "Going", "maybe", "Maybe", "no", "Not going"]]
    (notification,) = wait_until(lambda: list(notifier._shown), 5, "the notification's id")
    # The click first: choosing an answer withdraws the pop-up, and dunst's NotificationClosed
    # (on the notifier's thread) then makes a later click on it not ours any more.
    notifier._dispatch(_action_invoked(notification, "default"))
    assert clicks.wait(1) == ["ann:1:1"]
    notifier._dispatch(_action_invoked(notification + 1000, "going"))  # not ours
    notifier._dispatch(_action_invoked(notification, "maybe"))
    assert answers == [("ann:1:1", "maybe")]
    desktop.run(["dunstctl", "close-all"])


def test_a_post_to_acknowledge_offers_acknowledge_and_the_choice_comes_back(
    qtbot, desktop: Desktop, notifier: DBusNotifier
) -> None:
    """A post asking for acknowledgement reaches dunst with an Acknowledge action; choosing it
    asks the center (on the GUI thread) to acknowledge that post."""
    sent: list[list[str]] = []
    send = notifier._conn.send

    def spy(message, serial=None):
        if message.header.fields.get(3) == "Notify":  # HeaderFields.member
            sent.append(list(message.body[5]))
        return send(message, serial=serial)

    notifier._conn.send = spy
    center = NotificationCenter(NotifyPolicy(), notifier)
    drill = FakeNode().receive_post(ANN, "Ann", "Fire drill at 15:00", ack=True)
    center.on_event(drill)
    _urgencies(desktop, "Ann asks you to acknowledge")
    assert sent == [["default", "Open", "acknowledge", "Acknowledge"]]
    (notification,) = wait_until(lambda: list(notifier._shown), 5, "the notification's id")
    with qtbot.waitSignal(center.acknowledge_requested) as chosen:
        notifier._dispatch(_action_invoked(notification, "acknowledge"))
    assert chosen.args == [drill.post.id]
    center.close()  # closes the notifier too; the fixture's close is idempotent
    center.deleteLater()
    desktop.run(["dunstctl", "close-all"])


def test_a_popup_whose_action_was_chosen_is_closed(
    desktop: Desktop, notifier: DBusNotifier
) -> None:
    """dunst leaves a pop-up up after its action is chosen from its menu; we close it, as the
    spec expects of a pop-up that is not resident: the answer was given."""
    notifier.on_action = lambda item, key: None
    notifier.notify("New event: Retro", "Friday 10:00", "normal", "ann:1:2",
                    actions=[("going", "Going")])  # fmt: skip
    _urgencies(desktop, "New event: Retro")
    (notification,) = wait_until(lambda: list(notifier._shown), 5, "the notification's id")

    def shown() -> int:
        return int(desktop.run(["dunstctl", "count", "displayed"]).stdout.strip())

    assert shown() == 1
    notifier._dispatch(_action_invoked(notification, "going"))
    wait_until(lambda: shown() == 0, 5, "dunst to close the answered pop-up")
